"""Post-processors, named as in ``tokenizers.processors``."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple, Union

from fasttok._component import Component


class PostProcessor(Component):
    """Base class of post-processors."""

    _kind = "post_processor"

    def num_special_tokens_to_add(self, is_pair: bool) -> int:
        return int(self._core.num_special_tokens_to_add(is_pair))

    def process(self, encoding: Any, pair: Any = None, add_special_tokens: bool = True) -> Any:
        return self._core.process(encoding, pair, add_special_tokens)


class BertProcessing(PostProcessor):
    def __init__(self, sep: Tuple[str, int], cls: Tuple[str, int]) -> None:
        super().__init__({"type": "BertProcessing", "sep": list(sep), "cls": list(cls)})


class RobertaProcessing(PostProcessor):
    def __init__(
        self, sep: Tuple[str, int], cls: Tuple[str, int], trim_offsets: bool = True, add_prefix_space: bool = True
    ) -> None:
        super().__init__(
            {
                "type": "RobertaProcessing",
                "sep": list(sep),
                "cls": list(cls),
                "trim_offsets": trim_offsets,
                "add_prefix_space": add_prefix_space,
            }
        )


class ByteLevel(PostProcessor):
    def __init__(self, trim_offsets: bool = True, add_prefix_space: bool = True, use_regex: bool = True) -> None:
        super().__init__(
            {
                "type": "ByteLevel",
                "add_prefix_space": add_prefix_space,
                "trim_offsets": trim_offsets,
                "use_regex": use_regex,
            }
        )


def _parse_piece(p: str) -> Dict[str, Any]:
    name, type_id = p, 0
    if ":" in p[1:]:
        name, _, t = p.rpartition(":")
        type_id = int(t)
    if name.startswith("$"):
        rest = name[1:]
        if rest in ("", "A", "a"):
            return {"Sequence": {"id": "A", "type_id": type_id}}
        if rest in ("B", "b"):
            return {"Sequence": {"id": "B", "type_id": type_id}}
        if rest.isdigit() and ":" not in p:
            return {"Sequence": {"id": "A", "type_id": int(rest)}}
        raise ValueError(f"template piece {p!r}: expected $A, $B or $<type id>")
    return {"SpecialToken": {"id": name, "type_id": type_id}}


def _template(t: Union[str, List[str]]) -> List[Dict[str, Any]]:
    pieces = t.split() if isinstance(t, str) else list(t)
    return [_parse_piece(p) for p in pieces]


class TemplateProcessing(PostProcessor):
    def __init__(
        self,
        single: Union[str, List[str], None] = None,
        pair: Union[str, List[str], None] = None,
        special_tokens: Optional[List[Any]] = None,
    ) -> None:
        specials: Dict[str, Any] = {}
        for s in special_tokens or []:
            if isinstance(s, dict):
                specials[s["id"]] = {"id": s["id"], "ids": list(s["ids"]), "tokens": list(s["tokens"])}
            else:
                tok, tid = s
                specials[tok] = {"id": tok, "ids": [tid], "tokens": [tok]}
        single_t = _template(single if single is not None else "$0")
        pair_t = _template(pair if pair is not None else "$A:0 $B:1")
        super().__init__({"type": "TemplateProcessing", "single": single_t, "pair": pair_t, "special_tokens": specials})


class Sequence(PostProcessor):
    def __init__(self, processors: List[PostProcessor]) -> None:
        super().__init__({"type": "Sequence", "processors": [p._spec for p in processors]})


__all__ = ["PostProcessor", "BertProcessing", "RobertaProcessing", "ByteLevel", "TemplateProcessing", "Sequence"]
