"""Normalizers, named as in ``tokenizers.normalizers``."""

from __future__ import annotations

import base64
from typing import Any, List, Optional

from fasttok._component import Component, Regex, pattern_spec


class Normalizer(Component):
    """Base class of normalizers."""

    _kind = "normalizer"

    def normalize_str(self, sequence: str) -> str:
        """The normalized form of ``sequence``."""
        return str(self._core.normalize_str(sequence))


class BertNormalizer(Normalizer):
    def __init__(
        self,
        clean_text: bool = True,
        handle_chinese_chars: bool = True,
        strip_accents: Optional[bool] = None,
        lowercase: bool = True,
    ) -> None:
        super().__init__(
            {
                "type": "BertNormalizer",
                "clean_text": clean_text,
                "handle_chinese_chars": handle_chinese_chars,
                "strip_accents": strip_accents,
                "lowercase": lowercase,
            }
        )


def _simple(name: str, doc: str) -> type:
    def __init__(self: Normalizer) -> None:
        Normalizer.__init__(self, {"type": name})

    return type(name, (Normalizer,), {"__init__": __init__, "__doc__": doc, "__module__": __name__})


NFC = _simple("NFC", "Unicode NFC normalization.")
NFD = _simple("NFD", "Unicode NFD normalization.")
NFKC = _simple("NFKC", "Unicode NFKC normalization.")
NFKD = _simple("NFKD", "Unicode NFKD normalization.")
Lowercase = _simple("Lowercase", "Lowercases the text.")
StripAccents = _simple("StripAccents", "Removes combining marks (use after NFD).")
Nmt = _simple("Nmt", "The NMT normalizer: drops control chars, maps other spaces to ' '.")
ByteLevel = _simple("ByteLevel", "Writes every byte as its GPT-2 byte-level char.")


class Strip(Normalizer):
    def __init__(self, left: bool = True, right: bool = True) -> None:
        super().__init__({"type": "Strip", "strip_left": left, "strip_right": right})


class Replace(Normalizer):
    def __init__(self, pattern: Any, content: str) -> None:
        super().__init__({"type": "Replace", "pattern": pattern_spec(pattern), "content": content})


class Prepend(Normalizer):
    def __init__(self, prepend: str) -> None:
        super().__init__({"type": "Prepend", "prepend": prepend})


class Precompiled(Normalizer):
    def __init__(self, precompiled_charsmap: bytes) -> None:
        super().__init__(
            {
                "type": "Precompiled",
                "precompiled_charsmap": base64.b64encode(bytes(precompiled_charsmap)).decode(),
            }
        )


class Sequence(Normalizer):
    def __init__(self, normalizers: List[Normalizer]) -> None:
        super().__init__({"type": "Sequence", "normalizers": [n._spec for n in normalizers]})

    def __getitem__(self, i: int) -> Normalizer:
        return Normalizer._wrap(self._spec["normalizers"][i])  # type: ignore[return-value]

    def __len__(self) -> int:
        return len(self._spec["normalizers"])


__all__ = [
    "Normalizer",
    "BertNormalizer",
    "NFC",
    "NFD",
    "NFKC",
    "NFKD",
    "Lowercase",
    "StripAccents",
    "Nmt",
    "Strip",
    "Replace",
    "Prepend",
    "Precompiled",
    "ByteLevel",
    "Sequence",
    "Regex",
]
