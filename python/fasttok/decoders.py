"""Decoders, named as in ``tokenizers.decoders``."""

from __future__ import annotations

from typing import Any, List, Optional

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


class DecodeStream:
    """Incremental decoding, one id at a time, as ``tokenizers.decoders.DecodeStream``:
    ``step`` returns the new text once it forms complete characters, else None."""

    def __init__(self, skip_special_tokens: bool = True) -> None:
        self.skip_special_tokens = skip_special_tokens
        self._ids: List[int] = []
        self._prefix = ""
        self._prefix_index = 0

    def step(self, tokenizer: Any, id: int) -> Optional[str]:
        self._ids.append(id)
        text = tokenizer.decode(self._ids, skip_special_tokens=self.skip_special_tokens)
        if len(text) <= len(self._prefix) or text.endswith("\ufffd"):
            return None
        if not text.startswith(self._prefix):
            from fasttok.errors import InputError

            raise InputError("DecodeStream: the decoded text no longer starts with what was already returned")
        new_text = text[len(self._prefix) :]
        new_prefix_index = len(self._ids) - self._prefix_index
        self._ids = self._ids[self._prefix_index :]
        self._prefix = tokenizer.decode(self._ids, skip_special_tokens=self.skip_special_tokens)
        self._prefix_index = new_prefix_index
        return new_text


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
    "DecodeStream",
]
