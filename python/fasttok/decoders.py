"""Decoders, named as in ``tokenizers.decoders``."""

from __future__ import annotations

from typing import Any, List

from fasttok._component import Component, pattern_spec


class Decoder(Component):
    """Base class of decoders."""

    _kind = "decoder"

    def decode(self, tokens: List[str]) -> str:
        """Joins ``tokens`` back into text."""
        return str(self._core.decode(list(tokens)))


class ByteLevel(Decoder):
    def __init__(self) -> None:
        super().__init__({"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True})


class WordPiece(Decoder):
    def __init__(self, prefix: str = "##", cleanup: bool = True) -> None:
        super().__init__({"type": "WordPiece", "prefix": prefix, "cleanup": cleanup})


class Metaspace(Decoder):
    def __init__(self, replacement: str = "▁", prepend_scheme: str = "always", split: bool = True) -> None:
        super().__init__(
            {"type": "Metaspace", "replacement": replacement, "prepend_scheme": prepend_scheme, "split": split}
        )


class BPEDecoder(Decoder):
    def __init__(self, suffix: str = "</w>") -> None:
        super().__init__({"type": "BPEDecoder", "suffix": suffix})


class ByteFallback(Decoder):
    def __init__(self) -> None:
        super().__init__({"type": "ByteFallback"})


class Fuse(Decoder):
    def __init__(self) -> None:
        super().__init__({"type": "Fuse"})


class Strip(Decoder):
    def __init__(self, content: str = " ", left: int = 0, right: int = 0) -> None:
        super().__init__({"type": "Strip", "content": content, "start": left, "stop": right})


class Replace(Decoder):
    def __init__(self, pattern: Any, content: str) -> None:
        super().__init__({"type": "Replace", "pattern": pattern_spec(pattern), "content": content})


class CTC(Decoder):
    def __init__(self, pad_token: str = "<pad>", word_delimiter_token: str = "|", cleanup: bool = True) -> None:
        super().__init__(
            {"type": "CTC", "pad_token": pad_token, "word_delimiter_token": word_delimiter_token, "cleanup": cleanup}
        )


class Sequence(Decoder):
    def __init__(self, decoders: List[Decoder]) -> None:
        super().__init__({"type": "Sequence", "decoders": [d._spec for d in decoders]})


__all__ = [
    "Decoder",
    "ByteLevel",
    "WordPiece",
    "Metaspace",
    "BPEDecoder",
    "ByteFallback",
    "Fuse",
    "Strip",
    "Replace",
    "CTC",
    "Sequence",
]
