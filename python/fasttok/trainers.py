"""Trainers, named as in ``tokenizers.trainers``.

A trainer holds settings only; ``Tokenizer.train(files, trainer)`` and
``Tokenizer.train_from_iterator(iterator, trainer)`` do the work, in the Rust
core, on all cores. For the same corpus and settings the result is the one
``tokenizers`` gives (see docs/training.md for where its own output varies
from run to run and what fasttok does there).
"""

from __future__ import annotations

import json
from typing import Any, Dict, Iterable, List, Optional, Union

__all__ = ["Trainer", "BpeTrainer", "WordPieceTrainer", "WordLevelTrainer", "UnigramTrainer"]


def _token_spec(token: Any) -> Dict[str, Any]:
    """A special token as the core reads it: always special, a plain string
    not normalized (as ``tokenizers`` builds it)."""
    if isinstance(token, str):
        return {
            "content": token,
            "single_word": False,
            "lstrip": False,
            "rstrip": False,
            "normalized": False,
            "special": True,
        }
    state = getattr(token, "__getstate__", None)
    if state is None or not hasattr(token, "content"):
        raise TypeError(f"special_tokens: expected str or AddedToken, got {type(token).__name__}")
    spec = dict(state())
    spec["special"] = True
    return spec


def _alphabet(chars: Iterable[str]) -> List[str]:
    """``initial_alphabet``: the first char of each string (as ``tokenizers``)."""
    out: List[str] = []
    for s in chars:
        if not isinstance(s, str):
            raise TypeError(f"initial_alphabet: expected a list of str, got {type(s).__name__}")
        if s and s[0] not in out:
            out.append(s[0])
    return out


def _count(name: str, value: Any, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value < 2**63:
        raise ValueError(f"{name}: expected an integer from {minimum} to 2**63-1, got {value!r}")
    return value


class Trainer:
    """Base class of the trainers."""

    _type = ""
    _fields: tuple[str, ...] = ()

    special_tokens: List[Any]
    show_progress: bool

    def _spec(self) -> Dict[str, Any]:
        spec: Dict[str, Any] = {"type": self._type}
        for f in self._fields:
            spec[f] = getattr(self, f)
        spec["special_tokens"] = [_token_spec(t) for t in self.special_tokens]
        if "initial_alphabet" in spec:
            spec["initial_alphabet"] = _alphabet(spec["initial_alphabet"])
        replay = getattr(self, "_initial_tokens", None)
        if replay is not None:  # test hook, see BpeTrainer::initial_tokens in the core
            spec["_initial_tokens"] = list(replay)
        return spec

    def _json(self) -> str:
        return json.dumps(self._spec())

    def __repr__(self) -> str:
        args = ", ".join(f"{f}={getattr(self, f)!r}" for f in ("vocab_size", "min_frequency") if f in self._fields)
        return f"{type(self).__name__}({args})"

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._spec() == other._spec()  # type: ignore[attr-defined, no-any-return]

    __hash__ = None  # type: ignore[assignment]


class BpeTrainer(Trainer):
    """Trains a :class:`fasttok.models.BPE` model.

    Args:
        vocab_size: the size of the final vocabulary, special tokens and alphabet included.
        min_frequency: the minimum count a pair must have to be merged.
        show_progress: progress bars on stderr (when it is a terminal).
        special_tokens: tokens given the first ids and added to the tokenizer as special.
        limit_alphabet: keep at most this many chars in the initial alphabet (the most frequent).
        initial_alphabet: chars always in the alphabet, even if unseen (first char of each string).
        continuing_subword_prefix: a prefix on every symbol that does not start a word.
        end_of_word_suffix: a suffix on every symbol that ends a word.
        max_token_length: no merged token longer than this many chars.
    """

    _type = "BpeTrainer"
    _fields = (
        "vocab_size",
        "min_frequency",
        "show_progress",
        "limit_alphabet",
        "initial_alphabet",
        "continuing_subword_prefix",
        "end_of_word_suffix",
        "max_token_length",
    )

    def __init__(
        self,
        vocab_size: int = 30000,
        min_frequency: int = 0,
        show_progress: bool = True,
        special_tokens: Optional[List[Union[str, Any]]] = None,
        limit_alphabet: Optional[int] = None,
        initial_alphabet: Optional[List[str]] = None,
        continuing_subword_prefix: Optional[str] = None,
        end_of_word_suffix: Optional[str] = None,
        max_token_length: Optional[int] = None,
    ) -> None:
        self.vocab_size = _count("vocab_size", vocab_size)
        self.min_frequency = _count("min_frequency", min_frequency)
        self.show_progress = bool(show_progress)
        self.special_tokens = list(special_tokens or [])
        self.limit_alphabet = None if limit_alphabet is None else _count("limit_alphabet", limit_alphabet)
        self.initial_alphabet = _alphabet(initial_alphabet or [])
        self.continuing_subword_prefix = continuing_subword_prefix
        self.end_of_word_suffix = end_of_word_suffix
        self.max_token_length = None if max_token_length is None else _count("max_token_length", max_token_length)
        for t in self.special_tokens:
            _token_spec(t)


class WordPieceTrainer(BpeTrainer):
    """Trains a :class:`fasttok.models.WordPiece` model (BPE merges over words
    whose non-initial chars carry ``continuing_subword_prefix``; only the
    vocabulary is kept)."""

    _type = "WordPieceTrainer"

    def __init__(
        self,
        vocab_size: int = 30000,
        min_frequency: int = 0,
        show_progress: bool = True,
        special_tokens: Optional[List[Union[str, Any]]] = None,
        limit_alphabet: Optional[int] = None,
        initial_alphabet: Optional[List[str]] = None,
        continuing_subword_prefix: str = "##",
        end_of_word_suffix: Optional[str] = None,
    ) -> None:
        super().__init__(
            vocab_size=vocab_size,
            min_frequency=min_frequency,
            show_progress=show_progress,
            special_tokens=special_tokens,
            limit_alphabet=limit_alphabet,
            initial_alphabet=initial_alphabet,
            continuing_subword_prefix=continuing_subword_prefix,
            end_of_word_suffix=end_of_word_suffix,
        )


class WordLevelTrainer(Trainer):
    """Trains a :class:`fasttok.models.WordLevel` model: the special tokens,
    then the most frequent words (ties in byte order) seen at least
    ``min_frequency`` times."""

    _type = "WordLevelTrainer"
    _fields = ("vocab_size", "min_frequency", "show_progress")

    def __init__(
        self,
        vocab_size: int = 30000,
        min_frequency: int = 0,
        show_progress: bool = True,
        special_tokens: Optional[List[Union[str, Any]]] = None,
    ) -> None:
        self.vocab_size = _count("vocab_size", vocab_size)
        self.min_frequency = _count("min_frequency", min_frequency)
        self.show_progress = bool(show_progress)
        self.special_tokens = list(special_tokens or [])
        for t in self.special_tokens:
            _token_spec(t)


class UnigramTrainer(Trainer):
    """Trains a :class:`fasttok.models.Unigram` model (SentencePiece's
    algorithm, as ``tokenizers`` runs it): seed pieces from a suffix array of
    the words, EM re-estimation of their scores, pruning by likelihood loss.

    Args:
        vocab_size: the number of pieces, special tokens not included.
        show_progress: progress bars on stderr (when it is a terminal).
        special_tokens: tokens given the first ids and added to the tokenizer as special.
        shrinking_factor: the share of pieces each pruning round keeps (between 0 and 1).
        unk_token: the unknown token; added first (unless among ``special_tokens``) and
            used as the model's ``unk_id``. None: the model has no unknown token.
        max_piece_length: no piece longer than this many chars.
        n_sub_iterations: EM iterations between two pruning rounds.
        initial_alphabet: chars always in the vocabulary (first char of each string).
    """

    _type = "UnigramTrainer"
    _fields = (
        "vocab_size",
        "show_progress",
        "shrinking_factor",
        "unk_token",
        "max_piece_length",
        "n_sub_iterations",
        "initial_alphabet",
    )

    def __init__(
        self,
        vocab_size: int = 8000,
        show_progress: bool = True,
        special_tokens: Optional[List[Union[str, Any]]] = None,
        shrinking_factor: float = 0.75,
        unk_token: Optional[str] = None,
        max_piece_length: int = 16,
        n_sub_iterations: int = 2,
        initial_alphabet: Optional[List[str]] = None,
    ) -> None:
        self.vocab_size = _count("vocab_size", vocab_size, 1)
        self.show_progress = bool(show_progress)
        self.special_tokens = list(special_tokens or [])
        if isinstance(shrinking_factor, bool) or not isinstance(shrinking_factor, (int, float)):
            raise ValueError(f"shrinking_factor: expected a number between 0 and 1, got {shrinking_factor!r}")
        if not 0.0 < float(shrinking_factor) < 1.0:
            raise ValueError(f"shrinking_factor: expected a number strictly between 0 and 1, got {shrinking_factor!r}")
        self.shrinking_factor = float(shrinking_factor)
        if unk_token is not None and not isinstance(unk_token, str):
            raise TypeError(f"unk_token: expected str or None, got {type(unk_token).__name__}")
        self.unk_token = unk_token
        self.max_piece_length = _count("max_piece_length", max_piece_length)
        self.n_sub_iterations = _count("n_sub_iterations", n_sub_iterations)
        self.initial_alphabet = _alphabet(initial_alphabet or [])
        for t in self.special_tokens:
            _token_spec(t)
