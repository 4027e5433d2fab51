"""fasttok: a fast subword tokenizer, a drop-in for Hugging Face ``tokenizers``.

>>> from fasttok import Tokenizer
>>> tok = Tokenizer.from_file("tokenizer.json")
>>> tok.encode("Hello world").ids
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, Union, cast

from fasttok import _core, decoders, models, normalizers, pre_tokenizers, processors, trainers
from fasttok._component import Regex
from fasttok.errors import ConfigError, FasttokError, FileError, FileNotFound, InputError

__version__: str = _core.__version__

Encoding = _core.Encoding

TextInput = str
PreTokenizedInput = List[str]
InputSequence = Union[TextInput, PreTokenizedInput]
EncodeInput = Union[InputSequence, Tuple[InputSequence, InputSequence], List[InputSequence]]


class AddedToken:
    """A token matched in the text before the model sees it."""

    def __init__(
        self,
        content: str,
        single_word: bool = False,
        lstrip: bool = False,
        rstrip: bool = False,
        normalized: Optional[bool] = None,
        special: bool = False,
    ) -> None:
        self.content = content
        self.single_word = single_word
        self.lstrip = lstrip
        self.rstrip = rstrip
        self._normalized = normalized
        self.special = special

    @property
    def normalized(self) -> bool:
        return (not self.special) if self._normalized is None else self._normalized

    @normalized.setter
    def normalized(self, value: bool) -> None:
        self._normalized = value

    def _as_tuple(self) -> Tuple[str, bool, bool, bool, bool, bool]:
        return (self.content, self.single_word, self.lstrip, self.rstrip, self.normalized, self.special)

    def __str__(self) -> str:
        return self.content

    def __repr__(self) -> str:
        return (
            f'AddedToken("{self.content}", rstrip={self.rstrip}, lstrip={self.lstrip}, '
            f"single_word={self.single_word}, normalized={self.normalized}, special={self.special})"
        )

    def __eq__(self, other: object) -> bool:
        if isinstance(other, AddedToken):
            return self._as_tuple() == other._as_tuple()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.content)

    def __getstate__(self) -> Dict[str, Any]:
        return {
            "content": self.content,
            "single_word": self.single_word,
            "lstrip": self.lstrip,
            "rstrip": self.rstrip,
            "normalized": self.normalized,
            "special": self.special,
        }

    def __setstate__(self, state: Dict[str, Any]) -> None:
        self.__init__(**state)  # type: ignore[misc]


_DIRECTIONS = {"left": "Left", "right": "Right"}
_STRATEGIES = {"longest_first": "LongestFirst", "only_first": "OnlyFirst", "only_second": "OnlySecond"}


_TRAIN_BATCH_ITEMS = 4096
_TRAIN_BATCH_CHARS = 4 << 20


def _trainer_json(trainer: Any) -> str:
    if not isinstance(trainer, trainers.Trainer):
        raise TypeError(f"trainer: expected a fasttok.trainers.Trainer, got {type(trainer).__name__}")
    return trainer._json()


def _choice(name: str, value: str, table: Dict[str, str]) -> str:
    if value in table:
        return table[value]
    raise ValueError(f"{name}: expected one of {', '.join(table)}, got {value!r}")


class Tokenizer:
    """A tokenization pipeline: normalizer, pre-tokenizer, model,
    post-processor and decoder, as described by a tokenizer.json file."""

    def __init__(self, model: models.Model) -> None:
        if not isinstance(model, models.Model):
            raise TypeError(f"Tokenizer(model): expected a fasttok.models.Model, got {type(model).__name__}")
        self._t = _core.Tokenizer(model._core)

    @classmethod
    def _wrap(cls, core: Any) -> Tokenizer:
        obj = cls.__new__(cls)
        obj._t = core
        return obj

    # ---- loading and saving -------------------------------------------------

    @classmethod
    def from_file(cls, path: Union[str, os.PathLike[str]]) -> Tokenizer:
        """Loads a tokenizer.json file."""
        return cls._wrap(_core.Tokenizer.from_file(os.fspath(path)))

    @classmethod
    def from_str(cls, json_str: str) -> Tokenizer:
        """Loads a tokenizer from the text of a tokenizer.json."""
        return cls._wrap(_core.Tokenizer.from_str(json_str))

    @classmethod
    def from_buffer(cls, buffer: bytes) -> Tokenizer:
        try:
            text = bytes(buffer).decode("utf-8")
        except UnicodeDecodeError as e:
            raise ConfigError(f"<buffer>: not UTF-8 ({e})") from None
        return cls._wrap(_core.Tokenizer.from_str(text, "<buffer>"))

    @classmethod
    def from_pretrained(cls, identifier: str, revision: str = "main", token: Optional[str] = None) -> Tokenizer:
        """Loads ``identifier`` if it is a local directory or file; fasttok does
        not download from a model hub."""
        path = identifier
        if os.path.isdir(path):
            path = os.path.join(path, "tokenizer.json")
        if os.path.isfile(path):
            return cls.from_file(path)
        raise FileNotFound(
            f"{identifier}: not a local tokenizer.json or directory (fasttok does not download models; "
            "pass the path of a tokenizer.json)"
        )

    def to_str(self, pretty: bool = False) -> str:
        return str(self._t.to_str(pretty))

    def save(self, path: Union[str, os.PathLike[str]], pretty: bool = True) -> None:
        self._t.save(os.fspath(path), pretty)

    def __getstate__(self) -> str:
        return self.to_str()

    def __setstate__(self, state: str) -> None:
        self._t = _core.Tokenizer.from_str(state)

    def __copy__(self) -> Tokenizer:
        return Tokenizer.from_str(self.to_str())

    def __deepcopy__(self, memo: Dict[int, Any]) -> Tokenizer:
        return self.__copy__()

    def __repr__(self) -> str:
        return f"Tokenizer(vocab_size={self.get_vocab_size()}, model={self.model!r})"

    # ---- training -------------------------------------------------------------

    def train(
        self,
        files: Union[str, os.PathLike[str], Sequence[Union[str, os.PathLike[str]]]],
        trainer: Optional[trainers.Trainer] = None,
        memory_budget: Optional[int] = None,
    ) -> None:
        """Trains the model on text files, read line by line; the normalizer and
        pre-tokenizer apply. ``trainer`` defaults to the model's own kind.

        ``memory_budget`` (bytes, fasttok only) bounds the table of word
        counts: past it, the rarest words are dropped (docs/training.md)."""
        if isinstance(files, (str, os.PathLike)):
            files = [files]
        paths = [os.fspath(f) for f in files]
        self._t.train(paths, None if trainer is None else _trainer_json(trainer), memory_budget)

    def train_from_iterator(
        self,
        iterator: Iterable[Union[str, Iterable[str]]],
        trainer: Optional[trainers.Trainer] = None,
        length: Optional[int] = None,
        memory_budget: Optional[int] = None,
    ) -> None:
        """Trains the model on an iterator of strings (or of lists of strings,
        each string one sequence). It is consumed in batches; each batch is
        counted on all cores without the GIL. ``memory_budget`` as in
        :meth:`train`."""
        show = True if trainer is None else bool(trainer.show_progress)
        counter = _core.WordCounter(show, length, memory_budget)
        batch: List[str] = []
        size = 0
        for item in iterator:
            seqs = [item] if isinstance(item, str) else item
            for s in seqs:
                if not isinstance(s, str):
                    raise TypeError(f"train_from_iterator: expected str or a list of str, got {type(s).__name__}")
                batch.append(s)
                size += len(s)
            if len(batch) >= _TRAIN_BATCH_ITEMS or size >= _TRAIN_BATCH_CHARS:
                counter.add(self._t, batch)
                batch, size = [], 0
        if batch:
            counter.add(self._t, batch)
        self._t.train_counts(counter, None if trainer is None else _trainer_json(trainer))

    # ---- encoding -------------------------------------------------------------

    def encode(
        self,
        sequence: InputSequence,
        pair: Optional[InputSequence] = None,
        is_pretokenized: bool = False,
        add_special_tokens: bool = True,
    ) -> Encoding:
        """Encodes one sequence, or a pair of sequences."""
        return self._t.encode(sequence, pair, is_pretokenized, add_special_tokens)

    def encode_batch(
        self, input: Sequence[EncodeInput], is_pretokenized: bool = False, add_special_tokens: bool = True
    ) -> List[Encoding]:
        """Encodes many inputs in parallel (all cores, GIL released)."""
        return list(self._t.encode_batch(input, is_pretokenized, add_special_tokens))

    def encode_batch_fast(
        self, input: Sequence[EncodeInput], is_pretokenized: bool = False, add_special_tokens: bool = True
    ) -> List[Encoding]:
        return self.encode_batch(input, is_pretokenized, add_special_tokens)

    def encode_batch_ids(self, input: Sequence[str], add_special_tokens: bool = True) -> Tuple[Any, Any]:
        """Ids of many texts as one flat ``uint32`` numpy array plus the start
        of each text in it (``len(input) + 1`` offsets). No Python object is
        made per token. Each text is processed as by ``encode`` (so fixed
        padding and truncation apply; padding to the longest of the batch
        does not, as it would only add pad ids to the flat array)."""
        import numpy as np

        # A list goes as it is: the extension takes its own tuple of the texts.
        texts = input if type(input) is list else list(input)
        flat, starts = self._t.encode_batch_ids(texts, add_special_tokens)
        # `flat` lends its ids through the buffer protocol (numpy's array
        # keeps it alive); numpy's stubs name only the stdlib buffer types.
        ids = np.frombuffer(cast(Any, flat), dtype="<u4")
        return ids, np.frombuffer(starts, dtype="<u8").astype(np.int64)

    def decode(self, ids: Sequence[int], skip_special_tokens: bool = True) -> str:
        return str(self._t.decode(list(ids), skip_special_tokens))

    def decode_batch(self, sequences: Sequence[Sequence[int]], skip_special_tokens: bool = True) -> List[str]:
        return list(self._t.decode_batch([list(s) for s in sequences], skip_special_tokens))

    def post_process(
        self, encoding: Encoding, pair: Optional[Encoding] = None, add_special_tokens: bool = True
    ) -> Encoding:
        return self._t.post_process(encoding, pair, add_special_tokens)

    def num_special_tokens_to_add(self, is_pair: bool) -> int:
        return int(self._t.num_special_tokens_to_add(is_pair))

    def normalize(self, sequence: str) -> str:
        return str(self._t.normalize(sequence))

    # ---- vocabulary -------------------------------------------------------------

    def token_to_id(self, token: str) -> Optional[int]:
        return self._t.token_to_id(token)  # type: ignore[no-any-return]

    def id_to_token(self, id: int) -> Optional[str]:
        return self._t.id_to_token(id)  # type: ignore[no-any-return]

    def get_vocab(self, with_added_tokens: bool = True) -> Dict[str, int]:
        return dict(self._t.get_vocab(with_added_tokens))

    def get_vocab_size(self, with_added_tokens: bool = True) -> int:
        return int(self._t.get_vocab_size(with_added_tokens))

    def get_added_tokens_decoder(self) -> Dict[int, AddedToken]:
        return {i: AddedToken(*t) for i, t in self._t.get_added_tokens_decoder()}

    def add_tokens(self, tokens: Iterable[Union[str, AddedToken]]) -> int:
        """Adds ordinary tokens; returns how many were new."""
        items = []
        for t in tokens:
            if isinstance(t, str):
                t = AddedToken(t)
            elif not isinstance(t, AddedToken):
                raise TypeError(f"add_tokens: expected str or AddedToken, got {type(t).__name__}")
            items.append(t._as_tuple())
        return int(self._t.add_tokens(items))

    def add_special_tokens(self, tokens: Iterable[Union[str, AddedToken]]) -> int:
        """Adds special tokens (skipped by ``decode(skip_special_tokens=True)``)."""
        items = []
        for t in tokens:
            if isinstance(t, str):
                t = AddedToken(t, special=True)
            elif isinstance(t, AddedToken):
                t = AddedToken(t.content, t.single_word, t.lstrip, t.rstrip, t._normalized, True)
            else:
                raise TypeError(f"add_special_tokens: expected str or AddedToken, got {type(t).__name__}")
            items.append(t._as_tuple())
        return int(self._t.add_tokens(items))

    @property
    def encode_special_tokens(self) -> bool:
        return bool(self._t.encode_special_tokens)

    @encode_special_tokens.setter
    def encode_special_tokens(self, value: bool) -> None:
        self._t.encode_special_tokens = bool(value)

    # ---- padding and truncation ---------------------------------------------------

    def enable_padding(
        self,
        direction: str = "right",
        pad_id: int = 0,
        pad_type_id: int = 0,
        pad_token: str = "[PAD]",
        length: Optional[int] = None,
        pad_to_multiple_of: Optional[int] = None,
    ) -> None:
        params = {
            "strategy": "BatchLongest" if length is None else {"Fixed": int(length)},
            "direction": _choice("direction", direction, _DIRECTIONS),
            "pad_to_multiple_of": pad_to_multiple_of,
            "pad_id": int(pad_id),
            "pad_type_id": int(pad_type_id),
            "pad_token": pad_token,
        }
        self._t.set_padding(json.dumps(params))

    def no_padding(self) -> None:
        self._t.set_padding(None)

    @property
    def padding(self) -> Optional[Dict[str, Any]]:
        raw = self._t.get_padding()
        if raw is None:
            return None
        p = json.loads(raw)
        strategy = p["strategy"]
        return {
            "length": strategy["Fixed"] if isinstance(strategy, dict) else None,
            "pad_to_multiple_of": p["pad_to_multiple_of"],
            "pad_id": p["pad_id"],
            "pad_token": p["pad_token"],
            "pad_type_id": p["pad_type_id"],
            "direction": p["direction"].lower(),
        }

    def enable_truncation(
        self, max_length: int, stride: int = 0, strategy: str = "longest_first", direction: str = "right"
    ) -> None:
        if max_length < 0 or stride < 0:
            raise InputError("enable_truncation: max_length and stride must not be negative")
        params = {
            "max_length": int(max_length),
            "stride": int(stride),
            "strategy": _choice("strategy", strategy, _STRATEGIES),
            "direction": _choice("direction", direction, _DIRECTIONS),
        }
        self._t.set_truncation(json.dumps(params))

    def no_truncation(self) -> None:
        self._t.set_truncation(None)

    @property
    def truncation(self) -> Optional[Dict[str, Any]]:
        raw = self._t.get_truncation()
        if raw is None:
            return None
        p = json.loads(raw)
        strategies = {v: k for k, v in _STRATEGIES.items()}
        return {
            "max_length": p["max_length"],
            "stride": p["stride"],
            "strategy": strategies[p["strategy"]],
            "direction": p["direction"].lower(),
        }

    # ---- components -----------------------------------------------------------------

    def _get(self, kind: str, cls: Any) -> Any:
        core = self._t.component(kind)
        if core is None:
            return None
        return cls._from_core(core)

    def _set(self, kind: str, value: Any, cls: Any) -> None:
        if value is not None and not isinstance(value, cls):
            raise TypeError(f"{kind}: expected a {cls.__module__}.{cls.__name__}, got {type(value).__name__}")
        self._t.set_component(kind, None if value is None else value._core)

    @property
    def normalizer(self) -> Optional[normalizers.Normalizer]:
        return self._get("normalizer", normalizers.Normalizer)  # type: ignore[no-any-return]

    @normalizer.setter
    def normalizer(self, value: Optional[normalizers.Normalizer]) -> None:
        self._set("normalizer", value, normalizers.Normalizer)

    @property
    def pre_tokenizer(self) -> Optional[pre_tokenizers.PreTokenizer]:
        return self._get("pre_tokenizer", pre_tokenizers.PreTokenizer)  # type: ignore[no-any-return]

    @pre_tokenizer.setter
    def pre_tokenizer(self, value: Optional[pre_tokenizers.PreTokenizer]) -> None:
        self._set("pre_tokenizer", value, pre_tokenizers.PreTokenizer)

    @property
    def model(self) -> models.Model:
        return self._get("model", models.Model)  # type: ignore[no-any-return]

    @model.setter
    def model(self, value: models.Model) -> None:
        if value is None:
            raise TypeError("model: a tokenizer always has a model")
        self._set("model", value, models.Model)

    @property
    def post_processor(self) -> Optional[processors.PostProcessor]:
        return self._get("post_processor", processors.PostProcessor)  # type: ignore[no-any-return]

    @post_processor.setter
    def post_processor(self, value: Optional[processors.PostProcessor]) -> None:
        self._set("post_processor", value, processors.PostProcessor)

    @property
    def decoder(self) -> Optional[decoders.Decoder]:
        return self._get("decoder", decoders.Decoder)  # type: ignore[no-any-return]

    @decoder.setter
    def decoder(self, value: Optional[decoders.Decoder]) -> None:
        self._set("decoder", value, decoders.Decoder)


def num_threads() -> int:
    """How many threads batch calls use (``FASTTOK_NUM_THREADS`` sets it)."""
    return int(_core.num_threads())


__all__ = [
    "Tokenizer",
    "Encoding",
    "AddedToken",
    "Regex",
    "FasttokError",
    "ConfigError",
    "InputError",
    "FileError",
    "FileNotFound",
    "normalizers",
    "pre_tokenizers",
    "models",
    "processors",
    "decoders",
    "num_threads",
]
