"""Pre-tokenizers, named as in ``tokenizers.pre_tokenizers``."""

from __future__ import annotations

from typing import Any, List, Tuple

from fasttok._component import Component, Regex, pattern_spec

_BEHAVIORS = {
    "removed": "Removed",
    "isolated": "Isolated",
    "merged_with_previous": "MergedWithPrevious",
    "merged_with_next": "MergedWithNext",
    "contiguous": "Contiguous",
}


def _behavior(b: str) -> str:
    key = b.lower() if b.lower() in _BEHAVIORS else b
    if key in _BEHAVIORS:
        return _BEHAVIORS[key]
    if b in _BEHAVIORS.values():
        return b
    raise ValueError(f"behavior: expected one of {', '.join(_BEHAVIORS)}, got {b!r}")


class PreTokenizer(Component):
    """Base class of pre-tokenizers."""

    _kind = "pre_tokenizer"

    def pre_tokenize_str(self, sequence: str) -> List[Tuple[str, Tuple[int, int]]]:
        """The pieces of ``sequence`` with their (char) offsets."""
        return list(self._core.pre_tokenize_str(sequence))


class ByteLevel(PreTokenizer):
    def __init__(self, add_prefix_space: bool = True, use_regex: bool = True, trim_offsets: bool = True) -> None:
        super().__init__(
            {
                "type": "ByteLevel",
                "add_prefix_space": add_prefix_space,
                "trim_offsets": trim_offsets,
                "use_regex": use_regex,
            }
        )

    @staticmethod
    def alphabet() -> List[str]:
        """The 256 chars that stand for bytes."""
        bs = list(range(0x21, 0x7F)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
        n = 0
        out = []
        for b in range(256):
            if b in bs:
                out.append(chr(b))
            else:
                out.append(chr(256 + n))
                n += 1
        return out


class Whitespace(PreTokenizer):
    def __init__(self) -> None:
        super().__init__({"type": "Whitespace"})


class WhitespaceSplit(PreTokenizer):
    def __init__(self) -> None:
        super().__init__({"type": "WhitespaceSplit"})


class BertPreTokenizer(PreTokenizer):
    def __init__(self) -> None:
        super().__init__({"type": "BertPreTokenizer"})


class Metaspace(PreTokenizer):
    def __init__(self, replacement: str = "▁", prepend_scheme: str = "always", split: bool = True) -> None:
        if prepend_scheme not in ("always", "never", "first"):
            raise ValueError(f"prepend_scheme: expected always, never or first, got {prepend_scheme!r}")
        super().__init__(
            {"type": "Metaspace", "replacement": replacement, "prepend_scheme": prepend_scheme, "split": split}
        )


class Split(PreTokenizer):
    def __init__(self, pattern: Any, behavior: str, invert: bool = False) -> None:
        super().__init__(
            {"type": "Split", "pattern": pattern_spec(pattern), "behavior": _behavior(behavior), "invert": invert}
        )


class Punctuation(PreTokenizer):
    def __init__(self, behavior: str = "isolated") -> None:
        super().__init__({"type": "Punctuation", "behavior": _behavior(behavior)})


class Digits(PreTokenizer):
    def __init__(self, individual_digits: bool = False) -> None:
        super().__init__({"type": "Digits", "individual_digits": individual_digits})


class CharDelimiterSplit(PreTokenizer):
    def __init__(self, delimiter: str) -> None:
        if len(delimiter) != 1:
            raise ValueError("delimiter: expected exactly one char")
        super().__init__({"type": "CharDelimiterSplit", "delimiter": delimiter})


class FixedLength(PreTokenizer):
    def __init__(self, length: int = 5) -> None:
        if length < 1:
            raise ValueError("length: must be at least 1")
        super().__init__({"type": "FixedLength", "length": length})


class UnicodeScripts(PreTokenizer):
    def __init__(self) -> None:
        super().__init__({"type": "UnicodeScripts"})


class Sequence(PreTokenizer):
    def __init__(self, pretokenizers: List[PreTokenizer]) -> None:
        super().__init__({"type": "Sequence", "pretokenizers": [p._spec for p in pretokenizers]})

    def __getitem__(self, i: int) -> PreTokenizer:
        return PreTokenizer._wrap(self._spec["pretokenizers"][i])  # type: ignore[return-value]

    def __len__(self) -> int:
        return len(self._spec["pretokenizers"])


__all__ = [
    "PreTokenizer",
    "ByteLevel",
    "Whitespace",
    "WhitespaceSplit",
    "BertPreTokenizer",
    "Metaspace",
    "Split",
    "Punctuation",
    "Digits",
    "CharDelimiterSplit",
    "UnicodeScripts",
    "FixedLength",
    "Sequence",
    "Regex",
]
