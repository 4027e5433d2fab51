"""OpenAI's encodings with tiktoken's API, offline.

>>> from fasttok import tiktoken
>>> enc = tiktoken.get_encoding("cl100k_base")
>>> enc.encode("hello world")
[15339, 1917]

The rank files of r50k_base (= gpt2), p50k_base, cl100k_base and o200k_base
(MIT, from OpenAI) ship inside the package, xz-compressed, and are checked
against their published sha256 when loaded. ``FASTTOK_TIKTOKEN_DIR`` (a folder
of ``<name>.tiktoken`` files) or tiktoken's own ``TIKTOKEN_CACHE_DIR`` can
point at other copies. Encoding runs in fasttok's core (the same byte-level
BPE and pre-tokenizers as the rest of fasttok), with tiktoken's merge order.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import lzma
import os
import re
import threading
from typing import AbstractSet, Any, Collection, Dict, List, Literal, Optional, Sequence, Tuple, Union

from fasttok import _core
from fasttok.errors import ConfigError, FileNotFound, InputError

__all__ = [
    "Encoding",
    "get_encoding",
    "encoding_for_model",
    "encoding_name_for_model",
    "list_encoding_names",
    "load_tiktoken_bpe",
    "to_tokenizer_json",
]

ENDOFTEXT = "<|endoftext|>"
FIM_PREFIX = "<|fim_prefix|>"
FIM_MIDDLE = "<|fim_middle|>"
FIM_SUFFIX = "<|fim_suffix|>"
ENDOFPROMPT = "<|endofprompt|>"

# Split patterns, as tiktoken states them (fancy-regex syntax); the core
# rewrites the few constructs Oniguruma reads differently.
_R50K_PAT = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s"""
_CL100K_PAT = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|"""
    r"""\s+(?!\S)|\s"""
)
_O200K_PAT = "|".join(
    [
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]
)

# The same patterns as tokenizer.json files write them for Oniguruma (shown
# equal to tiktoken's on its test texts); fasttok has hand-written matchers for
# these exact strings, so the core uses them.
_R50K_CORE_PAT = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
_CL100K_CORE_PAT = (
    r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|"""
    r"""\s+(?!\S)|\s+"""
)
_CORE_PATTERNS = {_R50K_PAT: _R50K_CORE_PAT, _CL100K_PAT: _CL100K_CORE_PAT}

# Rank files: the sha256 OpenAI publishes for each, and where tiktoken fetches it.
_FILES = {
    "r50k_base": "306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930",
    "p50k_base": "94b5ca7dff4d00767bc256fdd1b27e5b17361d7b8a5f968547f9f23eb70d2069",
    "cl100k_base": "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    "o200k_base": "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
}
_URL = "https://openaipublic.blob.core.windows.net/encodings/{}.tiktoken"


def _harmony_specials() -> Dict[str, int]:
    """o200k_base's special tokens, the harmony chat format's, and reserved
    names for every id from 200013 on (200018 then has two names, as in
    tiktoken, and decodes to the later one)."""
    named = {
        ENDOFTEXT: 199999,
        ENDOFPROMPT: 200018,
        "<|startoftext|>": 199998,
        "<|reserved_200000|>": 200000,
        "<|reserved_200001|>": 200001,
        "<|return|>": 200002,
        "<|constrain|>": 200003,
        "<|reserved_200004|>": 200004,
        "<|channel|>": 200005,
        "<|start|>": 200006,
        "<|end|>": 200007,
        "<|message|>": 200008,
        "<|reserved_200009|>": 200009,
        "<|reserved_200010|>": 200010,
        "<|reserved_200011|>": 200011,
        "<|call|>": 200012,
    }
    return {**named, **{f"<|reserved_{i}|>": i for i in range(200013, 201088)}}


# name -> (rank file, pattern, special tokens, explicit_n_vocab)
_ENCODINGS: Dict[str, Tuple[str, str, Dict[str, int], Optional[int]]] = {
    "gpt2": ("r50k_base", _R50K_PAT, {ENDOFTEXT: 50256}, 50257),
    "r50k_base": ("r50k_base", _R50K_PAT, {ENDOFTEXT: 50256}, 50257),
    "p50k_base": ("p50k_base", _R50K_PAT, {ENDOFTEXT: 50256}, 50281),
    "p50k_edit": (
        "p50k_base",
        _R50K_PAT,
        {ENDOFTEXT: 50256, FIM_PREFIX: 50281, FIM_MIDDLE: 50282, FIM_SUFFIX: 50283},
        None,
    ),
    "cl100k_base": (
        "cl100k_base",
        _CL100K_PAT,
        {ENDOFTEXT: 100257, FIM_PREFIX: 100258, FIM_MIDDLE: 100259, FIM_SUFFIX: 100260, ENDOFPROMPT: 100276},
        None,
    ),
    "o200k_base": ("o200k_base", _O200K_PAT, {ENDOFTEXT: 199999, ENDOFPROMPT: 200018}, None),
    "o200k_harmony": ("o200k_base", _O200K_PAT, _harmony_specials(), None),
}

# Model names, as tiktoken maps them to encodings.
_MODEL_PREFIXES = {
    "o1-": "o200k_base",
    "o3-": "o200k_base",
    "o4-mini-": "o200k_base",
    "gpt-5-": "o200k_base",
    "gpt-4.5-": "o200k_base",
    "gpt-4.1-": "o200k_base",
    "chatgpt-4o-": "o200k_base",
    "gpt-4o-": "o200k_base",
    "gpt-4-": "cl100k_base",
    "gpt-3.5-turbo-": "cl100k_base",
    "gpt-35-turbo-": "cl100k_base",
    "gpt-oss-": "o200k_harmony",
    "ft:gpt-4o": "o200k_base",
    "ft:gpt-4": "cl100k_base",
    "ft:gpt-3.5-turbo": "cl100k_base",
    "ft:davinci-002": "cl100k_base",
    "ft:babbage-002": "cl100k_base",
}
_MODELS = {
    "o1": "o200k_base",
    "o3": "o200k_base",
    "o4-mini": "o200k_base",
    "gpt-5": "o200k_base",
    "gpt-4.1": "o200k_base",
    "chatgpt-4o-latest": "o200k_base",
    "gpt-4o": "o200k_base",
    "gpt-4": "cl100k_base",
    "gpt-3.5-turbo": "cl100k_base",
    "gpt-3.5": "cl100k_base",
    "gpt-35-turbo": "cl100k_base",
    "davinci-002": "cl100k_base",
    "babbage-002": "cl100k_base",
    "text-embedding-ada-002": "cl100k_base",
    "text-embedding-3-small": "cl100k_base",
    "text-embedding-3-large": "cl100k_base",
    "text-davinci-003": "p50k_base",
    "text-davinci-002": "p50k_base",
    "text-davinci-001": "r50k_base",
    "text-curie-001": "r50k_base",
    "text-babbage-001": "r50k_base",
    "text-ada-001": "r50k_base",
    "davinci": "r50k_base",
    "curie": "r50k_base",
    "babbage": "r50k_base",
    "ada": "r50k_base",
    "code-davinci-002": "p50k_base",
    "code-davinci-001": "p50k_base",
    "code-cushman-002": "p50k_base",
    "code-cushman-001": "p50k_base",
    "davinci-codex": "p50k_base",
    "cushman-codex": "p50k_base",
    "text-davinci-edit-001": "p50k_edit",
    "code-davinci-edit-001": "p50k_edit",
    "text-similarity-davinci-001": "r50k_base",
    "text-similarity-curie-001": "r50k_base",
    "text-similarity-babbage-001": "r50k_base",
    "text-similarity-ada-001": "r50k_base",
    "text-search-davinci-doc-001": "r50k_base",
    "text-search-curie-doc-001": "r50k_base",
    "text-search-babbage-doc-001": "r50k_base",
    "text-search-ada-doc-001": "r50k_base",
    "code-search-babbage-code-001": "r50k_base",
    "code-search-ada-code-001": "r50k_base",
    "gpt2": "gpt2",
    "gpt-2": "gpt2",
}

_HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_tiktoken")


def _rank_file_bytes(stem: str) -> Tuple[bytes, str]:
    """The content of `<stem>.tiktoken` and where it came from: the folder in
    FASTTOK_TIKTOKEN_DIR, tiktoken's cache (TIKTOKEN_CACHE_DIR), then the copy
    shipped with fasttok. Its sha256 must be the published one."""
    candidates = []
    own = os.environ.get("FASTTOK_TIKTOKEN_DIR")
    if own:
        candidates.append(os.path.join(own, f"{stem}.tiktoken"))
    cache = os.environ.get("TIKTOKEN_CACHE_DIR")
    if cache:
        candidates.append(os.path.join(cache, hashlib.sha1(_URL.format(stem).encode()).hexdigest()))
    for path in candidates:
        if os.path.isfile(path):
            with open(path, "rb") as f:
                data = f.read()
            break
    else:
        path = os.path.join(_HERE, f"{stem}.tiktoken.xz")
        try:
            with lzma.open(path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            raise FileNotFound(f"{path}: the rank file of {stem} is missing from this installation") from None
    expected = _FILES.get(stem)
    digest = hashlib.sha256(data).hexdigest()
    if expected is not None and digest != expected:
        raise ConfigError(f"{path}: sha256 is {digest}, expected {expected} (a corrupted or different {stem})")
    return data, path


def load_tiktoken_bpe(tiktoken_bpe_file: str, expected_hash: Optional[str] = None) -> Dict[bytes, int]:
    """Reads a rank file into `{token bytes: rank}`. `tiktoken_bpe_file` is a
    local path, or one of OpenAI's download addresses (served from the copies
    fasttok ships or from TIKTOKEN_CACHE_DIR: nothing is downloaded)."""
    m = re.fullmatch(r"https://openaipublic\.blob\.core\.windows\.net/encodings/(\w+)\.tiktoken", tiktoken_bpe_file)
    if m:
        data, origin = _rank_file_bytes(m.group(1))
    elif "://" in tiktoken_bpe_file:
        raise FileNotFound(f"{tiktoken_bpe_file}: fasttok does not download; pass a local path")
    else:
        try:
            with open(tiktoken_bpe_file, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            raise FileNotFound(f"{tiktoken_bpe_file}: no such file") from None
        origin = tiktoken_bpe_file
    if expected_hash is not None and hashlib.sha256(data).hexdigest() != expected_hash:
        raise ConfigError(f"{origin}: sha256 differs from expected_hash {expected_hash}")
    return _parse_ranks(data, origin)


@functools.lru_cache(maxsize=64)
def _specials_regex(tokens: frozenset) -> re.Pattern:  # type: ignore[type-arg]
    """One regex finding any of `tokens` (longest first where they overlap)."""
    return re.compile("|".join(map(re.escape, sorted(tokens, key=len, reverse=True))))


def _fix_surrogates(text: str) -> str:
    """Lone surrogates become U+FFFD, as tiktoken does."""
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


class Encoding:
    """An encoding with tiktoken's API (``tiktoken.Encoding``)."""

    def __init__(
        self,
        name: str,
        *,
        pat_str: str,
        mergeable_ranks: Dict[bytes, int],
        special_tokens: Dict[str, int],
        explicit_n_vocab: Optional[int] = None,
        _core_tokenizer: Any = None,
    ) -> None:
        self.name = name
        self._pat_str = pat_str
        self._mergeable_ranks = mergeable_ranks
        self._special_tokens = dict(special_tokens)
        self.max_token_value = max(max(mergeable_ranks.values()), max(special_tokens.values(), default=0))
        if explicit_n_vocab is not None:
            if len(mergeable_ranks) + len(special_tokens) != explicit_n_vocab or self.max_token_value != (
                explicit_n_vocab - 1
            ):
                raise ConfigError(
                    f"{name}: explicit_n_vocab {explicit_n_vocab} does not match "
                    f"{len(mergeable_ranks)} ranks + {len(special_tokens)} special tokens"
                )
        if _core_tokenizer is None:
            _core_tokenizer = _core.Tokenizer.from_tiktoken_ranks(
                list(mergeable_ranks.items()), _CORE_PATTERNS.get(pat_str, pat_str), []
            )
        self._core = _core_tokenizer
        self._decoder: Dict[int, bytes] = {rank: token for token, rank in mergeable_ranks.items()}
        self._special_decoder = {rank: token.encode("utf-8") for token, rank in self._special_tokens.items()}
        specials = sorted(self._special_tokens, key=len, reverse=True)
        self._special_re = re.compile("|".join(map(re.escape, specials))) if specials else None

    def __repr__(self) -> str:
        return f"<Encoding {self.name!r}>"

    # ---- encoding ---------------------------------------------------------

    def _ordinary(self, texts: List[str]) -> List[List[int]]:
        try:
            return self._core.encode_ids_batch(texts)  # type: ignore[no-any-return]
        except (UnicodeEncodeError, InputError):
            return self._core.encode_ids_batch([_fix_surrogates(t) for t in texts])  # type: ignore[no-any-return]

    def encode_ordinary(self, text: str) -> List[int]:
        """Encodes ignoring special tokens (their text is ordinary text)."""
        try:
            return self._core.encode_ids(text)  # type: ignore[no-any-return]
        except (UnicodeEncodeError, InputError):
            return self._core.encode_ids(_fix_surrogates(text))  # type: ignore[no-any-return]

    def encode_ordinary_batch(self, text: Sequence[str], *, num_threads: int = 8) -> List[List[int]]:
        return self._ordinary(list(text))

    def _allowed(
        self,
        allowed_special: Union[Literal["all"], AbstractSet[str]],
        disallowed_special: Union[Literal["all"], Collection[str]],
    ) -> Tuple[AbstractSet[str], Collection[str]]:
        allowed: AbstractSet[str] = self.special_tokens_set if allowed_special == "all" else allowed_special
        disallowed = self.special_tokens_set - allowed if disallowed_special == "all" else disallowed_special
        return allowed, disallowed

    def _check(self, text: str, disallowed: Collection[str]) -> None:
        if not disallowed:
            return
        m = _specials_regex(frozenset(disallowed)).search(text)
        if m:
            token = m.group()
            raise ValueError(
                f"Encountered text corresponding to disallowed special token {token!r}.\n"
                f"To encode it as the special token, pass allowed_special={{{token!r}, ...}} (or 'all'); "
                f"to encode it as ordinary text, pass disallowed_special=(enc.special_tokens_set - {{{token!r}}}) "
                "or disallowed_special=() to turn this check off."
            )

    def _split_special(self, text: str, allowed: AbstractSet[str]) -> List[Union[str, int]]:
        """The text cut at the allowed special tokens: strings and ids."""
        if not allowed or self._special_re is None:
            return [text]
        pieces: List[Union[str, int]] = []
        start = pos = 0
        while True:
            m = self._special_re.search(text, pos)
            if m is None:
                break
            if m.group() not in allowed:
                pos = m.start() + 1  # a disallowed one: look again from the next char
                continue
            pieces.append(text[start : m.start()])
            pieces.append(self._special_tokens[m.group()])
            start = pos = m.end()
        pieces.append(text[start:])
        return pieces

    def _encode_many(
        self,
        texts: Sequence[str],
        allowed_special: Union[Literal["all"], AbstractSet[str]],
        disallowed_special: Union[Literal["all"], Collection[str]],
    ) -> List[List[int]]:
        allowed, disallowed = self._allowed(allowed_special, disallowed_special)
        for t in texts:
            self._check(t, disallowed)
        if not allowed:
            if len(texts) == 1:
                return [self.encode_ordinary(texts[0])]
            return self._ordinary(list(texts))
        split = [self._split_special(t, allowed) for t in texts]
        segments = [p for parts in split for p in parts if isinstance(p, str)]
        encoded = iter(self._ordinary(segments))
        out = []
        for parts in split:
            ids: List[int] = []
            for p in parts:
                if isinstance(p, str):
                    ids.extend(next(encoded))
                else:
                    ids.append(p)
            out.append(ids)
        return out

    def encode(
        self,
        text: str,
        *,
        allowed_special: Union[Literal["all"], AbstractSet[str]] = set(),  # noqa: B006
        disallowed_special: Union[Literal["all"], Collection[str]] = "all",
    ) -> List[int]:
        """Encodes `text`. Special-token text raises ValueError unless allowed
        (then it becomes the special token) or not disallowed (then it is
        ordinary text), as in tiktoken."""
        return self._encode_many([text], allowed_special, disallowed_special)[0]

    def encode_batch(
        self,
        text: Sequence[str],
        *,
        num_threads: int = 8,
        allowed_special: Union[Literal["all"], AbstractSet[str]] = set(),  # noqa: B006
        disallowed_special: Union[Literal["all"], Collection[str]] = "all",
    ) -> List[List[int]]:
        """Encodes many texts on all cores (`num_threads` is accepted for
        compatibility; FASTTOK_NUM_THREADS sets the pool)."""
        return self._encode_many(list(text), allowed_special, disallowed_special)

    def encode_to_numpy(
        self,
        text: str,
        *,
        allowed_special: Union[Literal["all"], AbstractSet[str]] = set(),  # noqa: B006
        disallowed_special: Union[Literal["all"], Collection[str]] = "all",
    ) -> Any:
        import numpy as np

        ids = self.encode(text, allowed_special=allowed_special, disallowed_special=disallowed_special)
        return np.array(ids, dtype=np.uint32)

    def encode_single_token(self, text_or_bytes: Union[str, bytes]) -> int:
        """The id of one whole token; KeyError if it is not one."""
        if isinstance(text_or_bytes, str):
            if text_or_bytes in self._special_tokens:
                return self._special_tokens[text_or_bytes]
            key = text_or_bytes.encode("utf-8")
        else:
            key = text_or_bytes
        if key in self._mergeable_ranks:
            return self._mergeable_ranks[key]
        special = self._special_tokens.get(key.decode("utf-8", "replace"))
        if special is not None:
            return special
        raise KeyError(text_or_bytes)

    # ---- decoding ---------------------------------------------------------

    def decode_single_token_bytes(self, token: int) -> bytes:
        if token in self._decoder:
            return self._decoder[token]
        if token in self._special_decoder:
            return self._special_decoder[token]
        raise KeyError(token)

    def decode_tokens_bytes(self, tokens: Sequence[int]) -> List[bytes]:
        return [self.decode_single_token_bytes(t) for t in tokens]

    def decode_bytes(self, tokens: Sequence[int]) -> bytes:
        return b"".join(self.decode_tokens_bytes(tokens))

    def decode(self, tokens: Sequence[int], errors: str = "replace") -> str:
        return self.decode_bytes(tokens).decode("utf-8", errors=errors)

    def decode_batch(
        self, batch: Sequence[Sequence[int]], *, errors: str = "replace", num_threads: int = 8
    ) -> List[str]:
        return [self.decode(t, errors=errors) for t in batch]

    def decode_bytes_batch(self, batch: Sequence[Sequence[int]], *, num_threads: int = 8) -> List[bytes]:
        return [self.decode_bytes(t) for t in batch]

    def decode_with_offsets(self, tokens: Sequence[int]) -> Tuple[str, List[int]]:
        """The text and, per token, the index of the first char it starts
        (a token starting inside a char counts from that char)."""
        parts = self.decode_tokens_bytes(tokens)
        offsets = []
        chars = 0
        for b in parts:
            continuation = bool(b) and 0x80 <= b[0] < 0xC0
            offsets.append(max(0, chars - continuation))
            chars += sum(1 for x in b if not 0x80 <= x < 0xC0)
        return b"".join(parts).decode("utf-8", errors="strict"), offsets

    # ---- vocabulary -------------------------------------------------------

    def token_byte_values(self) -> List[bytes]:
        """Every ordinary token's bytes, sorted."""
        return sorted(self._mergeable_ranks)

    @property
    def eot_token(self) -> int:
        return self._special_tokens[ENDOFTEXT]

    @functools.cached_property
    def special_tokens_set(self) -> set[str]:
        return set(self._special_tokens)

    def is_special_token(self, token: int) -> bool:
        return token in self._special_decoder

    @property
    def n_vocab(self) -> int:
        return self.max_token_value + 1

    def to_tokenizer_json(self) -> str:
        """This encoding as a tokenizer.json (see :func:`to_tokenizer_json`)."""
        return to_tokenizer_json(self)

    def __getstate__(self) -> object:
        return {"name": self.name}

    def __setstate__(self, state: Dict[str, Any]) -> None:
        other = get_encoding(state["name"])
        self.__dict__.update(other.__dict__)


def to_tokenizer_json(encoding: Union[Encoding, str]) -> str:
    """A tiktoken encoding as a tokenizer.json that `tokenizers` and fasttok
    load: its pattern as a Split pre-tokenizer, byte-level BPE with every
    split of every token as a merge (ranked by the token) and
    `ignore_merges`, the special tokens with their ids."""
    enc = get_encoding(encoding) if isinstance(encoding, str) else encoding
    tok = _core.Tokenizer.from_tiktoken_ranks(
        list(enc._mergeable_ranks.items()),
        _CORE_PATTERNS.get(enc._pat_str, enc._pat_str),
        sorted(enc._special_tokens.items()),
        False,
    )
    return str(tok.to_str(True))


_lock = threading.Lock()
_cache: Dict[str, Encoding] = {}


def list_encoding_names() -> List[str]:
    return list(_ENCODINGS)


def get_encoding(encoding_name: str) -> Encoding:
    """One of OpenAI's encodings, from the rank files shipped with fasttok."""
    with _lock:
        if encoding_name in _cache:
            return _cache[encoding_name]
        if encoding_name not in _ENCODINGS:
            raise ValueError(f"Unknown encoding {encoding_name!r}. Plugins found: {', '.join(_ENCODINGS)}")
        stem, pattern, specials, n_vocab = _ENCODINGS[encoding_name]
        data, origin = _rank_file_bytes(stem)
        core = _core.Tokenizer.from_tiktoken_file(data, _CORE_PATTERNS.get(pattern, pattern), [], True, origin)
        ranks = _parse_ranks(data, origin)
        enc = Encoding(
            encoding_name,
            pat_str=pattern,
            mergeable_ranks=ranks,
            special_tokens=specials,
            explicit_n_vocab=n_vocab,
            _core_tokenizer=core,
        )
        _cache[encoding_name] = enc
        return enc


def _parse_ranks(data: bytes, origin: str) -> Dict[bytes, int]:
    ranks: Dict[bytes, int] = {}
    for n, line in enumerate(data.splitlines(), 1):
        if not line.strip():
            continue
        try:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
        except ValueError:
            raise ConfigError(f"{origin}:{n}: expected '<base64 token> <rank>'") from None
    return ranks


def encoding_name_for_model(model_name: str) -> str:
    if model_name in _MODELS:
        return _MODELS[model_name]
    for prefix, name in _MODEL_PREFIXES.items():
        if model_name.startswith(prefix):
            return name
    raise KeyError(
        f"Could not automatically map {model_name} to a tokeniser. "
        "Please use `tiktoken.get_encoding` to explicitly get the tokeniser you expect."
    )


def encoding_for_model(model_name: str) -> Encoding:
    return get_encoding(encoding_name_for_model(model_name))
