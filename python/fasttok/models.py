"""Models, named as in ``tokenizers.models``."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Tuple

from fasttok._component import Component


class Token:
    """One token from :meth:`Model.tokenize`."""

    __slots__ = ("id", "value", "offsets")

    def __init__(self, id: int, value: str, offsets: Tuple[int, int]) -> None:
        self.id = id
        self.value = value
        self.offsets = offsets

    def as_tuple(self) -> Tuple[int, str, Tuple[int, int]]:
        return (self.id, self.value, self.offsets)

    def __repr__(self) -> str:
        return f"Token(id={self.id}, value={self.value!r}, offsets={self.offsets})"


class Model(Component):
    """Base class of models."""

    _kind = "model"

    def tokenize(self, sequence: str) -> List[Token]:
        return [Token(i, v, o) for i, v, o in self._core.tokenize(sequence)]

    def token_to_id(self, token: str) -> Optional[int]:
        return self._core.token_to_id(token)  # type: ignore[no-any-return]

    def id_to_token(self, id: int) -> Optional[str]:
        return self._core.id_to_token(id)  # type: ignore[no-any-return]

    def get_vocab_size(self) -> int:
        return int(self._core.get_vocab_size())

    def __repr__(self) -> str:
        return f"{type(self).__name__}(vocab_size={self.get_vocab_size()})"

    def get_trainer(self) -> Any:
        """A trainer for this kind of model, with default settings."""
        from fasttok import trainers

        kinds = {
            "BPE": trainers.BpeTrainer,
            "WordPiece": trainers.WordPieceTrainer,
            "WordLevel": trainers.WordLevelTrainer,
            "Unigram": trainers.UnigramTrainer,
        }
        return kinds[self._core.type_name()]()


def _read_vocab_json(path: str) -> Dict[str, int]:
    with open(path, encoding="utf-8") as f:
        vocab = json.load(f)
    if not isinstance(vocab, dict):
        raise ValueError(f"{path}: expected a JSON object of token: id")
    return vocab


class BPE(Model):
    def __init__(
        self,
        vocab: Optional[Dict[str, int]] = None,
        merges: Optional[List[Tuple[str, str]]] = None,
        cache_capacity: Optional[int] = None,
        dropout: Optional[float] = None,
        unk_token: Optional[str] = None,
        continuing_subword_prefix: Optional[str] = None,
        end_of_word_suffix: Optional[str] = None,
        fuse_unk: Optional[bool] = None,
        byte_fallback: bool = False,
        ignore_merges: bool = False,
    ) -> None:
        del cache_capacity  # the cache is managed by fasttok
        super().__init__(
            {
                "type": "BPE",
                "dropout": dropout,
                "unk_token": unk_token,
                "continuing_subword_prefix": continuing_subword_prefix,
                "end_of_word_suffix": end_of_word_suffix,
                "fuse_unk": bool(fuse_unk),
                "byte_fallback": byte_fallback,
                "ignore_merges": ignore_merges,
                "vocab": dict(vocab or {}),
                "merges": [list(m) for m in (merges or [])],
            }
        )

    @staticmethod
    def read_file(vocab: str, merges: str) -> Tuple[Dict[str, int], List[Tuple[str, str]]]:
        """Reads a ``vocab.json`` and a ``merges.txt``."""
        v = _read_vocab_json(vocab)
        m: List[Tuple[str, str]] = []
        with open(merges, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                line = line.rstrip("\r\n")
                if not line or (n == 1 and line.startswith("#version")):
                    continue
                parts = line.split(" ")
                if len(parts) != 2:
                    raise ValueError(f"{merges}:{n}: expected two tokens separated by a space")
                m.append((parts[0], parts[1]))
        return v, m

    @classmethod
    def from_file(cls, vocab: str, merges: str, **kwargs: Any) -> BPE:
        v, m = cls.read_file(vocab, merges)
        return cls(v, m, **kwargs)


class WordPiece(Model):
    def __init__(
        self,
        vocab: Optional[Dict[str, int]] = None,
        unk_token: str = "[UNK]",
        max_input_chars_per_word: int = 100,
        continuing_subword_prefix: str = "##",
    ) -> None:
        super().__init__(
            {
                "type": "WordPiece",
                "unk_token": unk_token,
                "continuing_subword_prefix": continuing_subword_prefix,
                "max_input_chars_per_word": max_input_chars_per_word,
                "vocab": dict(vocab or {}),
            }
        )

    @staticmethod
    def read_file(vocab: str) -> Dict[str, int]:
        """Reads a BERT ``vocab.txt`` (one token a line)."""
        out: Dict[str, int] = {}
        with open(vocab, encoding="utf-8") as f:
            for i, line in enumerate(f):
                out[line.rstrip("\r\n")] = i
        return out

    @classmethod
    def from_file(cls, vocab: str, **kwargs: Any) -> WordPiece:
        return cls(cls.read_file(vocab), **kwargs)


class WordLevel(Model):
    def __init__(self, vocab: Optional[Dict[str, int]] = None, unk_token: Optional[str] = None) -> None:
        super().__init__({"type": "WordLevel", "vocab": dict(vocab or {}), "unk_token": unk_token or "<unk>"})

    @staticmethod
    def read_file(vocab: str) -> Dict[str, int]:
        return _read_vocab_json(vocab)

    @classmethod
    def from_file(cls, vocab: str, unk_token: Optional[str] = None) -> WordLevel:
        return cls(cls.read_file(vocab), unk_token)


class Unigram(Model):
    def __init__(
        self,
        vocab: Optional[List[Tuple[str, float]]] = None,
        unk_id: Optional[int] = None,
        byte_fallback: bool = False,
    ) -> None:
        super().__init__(
            {
                "type": "Unigram",
                "unk_id": unk_id,
                "vocab": [[p, float(s)] for p, s in (vocab or [])],
                "byte_fallback": byte_fallback,
            }
        )


__all__ = ["Model", "BPE", "WordPiece", "WordLevel", "Unigram", "Token"]
