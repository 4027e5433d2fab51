"""Hypothesis-generated text through fasttok and `tokenizers`: ids, tokens,
offsets and decode must agree on any Unicode input, and fasttok's own
invariants (batch == one by one, decode round trip) must hold."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fasttok

from conftest import tokenizer_sources

tokenizers = pytest.importorskip("tokenizers")

SOURCES = tokenizer_sources()

SPECIALS = ["[CLS]", "[SEP]", "[MASK]", "<s>", "</s>", "<unk>", "<mask>", "<|endoftext|>", "<|eot_id|>", "<pad>"]

# Pieces that stress normalizers and splitters.
PIECES = st.sampled_from(
    [
        " ",
        "  ",
        "\t",
        "\n",
        "\r\n",
        "\u00a0",
        "\u3000",
        "\u200b",
        "\u200d",
        "\u0301",
        "\u0308",
        "👨‍👩‍👧",
        "🏳️‍🌈",
        "👍🏽",
        "ﬁ",
        "Å",
        "İ",
        "ß",
        "’s",
        "'ll",
        "\u0000",
        "\u007f",
        "\ufffd",
        "▁",
        "Ġ",
        "##",
        "...",
        "123",
        "٣",
        "中",
        "ア",
        "한",
    ]
    + SPECIALS
)

TEXT = st.lists(
    st.one_of(
        st.text(
            alphabet=st.characters(blacklist_categories=["Cs"]),
            max_size=12,
        ),
        PIECES,
        st.text(alphabet=" \t\n", min_size=1, max_size=6),
    ),
    max_size=12,
).map("".join)

FIELDS = ["ids", "tokens", "offsets", "type_ids", "attention_mask", "special_tokens_mask", "word_ids", "sequence_ids"]

_cache: dict = {}


def pair_of(name: str) -> Any:
    if name not in _cache:
        src = SOURCES[name]
        hf = tokenizers.Tokenizer.from_str(src)
        ft = fasttok.Tokenizer.from_str(src)
        for t in (hf, ft):
            t.no_padding()
            t.no_truncation()
        _cache[name] = (hf, ft)
    return _cache[name]


def check(name: str, text: str, pair: str = "") -> None:
    hf, ft = pair_of(name)
    args = (text, pair) if pair else (text,)
    a = hf.encode(*args)
    b = ft.encode(*args)
    for field in FIELDS:
        assert getattr(a, field) == getattr(b, field), (name, field, text, pair)
    for skip in (True, False):
        assert hf.decode(a.ids, skip_special_tokens=skip) == ft.decode(a.ids, skip_special_tokens=skip), (name, text)


SETTINGS = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


@pytest.mark.parametrize("name", sorted(SOURCES))
@SETTINGS
@given(text=TEXT)
def test_matches_tokenizers(name: str, text: str) -> None:
    check(name, text)


@pytest.mark.parametrize("name", sorted(SOURCES))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=TEXT, pair=TEXT)
def test_pairs_match_tokenizers(name: str, text: str, pair: str) -> None:
    check(name, text, pair)


@pytest.mark.parametrize("name", ["gpt2", "bert-base-uncased"])
@settings(max_examples=60, deadline=None)
@given(texts=st.lists(TEXT, max_size=8))
def test_batch_equals_one_by_one(name: str, texts: list) -> None:
    _, ft = pair_of(name)
    batch = ft.encode_batch(texts)
    for t, e in zip(texts, batch, strict=True):
        one = ft.encode(t)
        assert (e.ids, e.offsets, e.tokens) == (one.ids, one.offsets, one.tokens)
    flat, starts = ft.encode_batch_ids(texts)
    assert len(starts) == len(texts) + 1
    for i, e in enumerate(batch):
        assert list(flat[starts[i] : starts[i + 1]]) == e.ids


@settings(max_examples=150, deadline=None)
@given(text=TEXT)
def test_byte_level_round_trip(text: str) -> None:
    """A byte-level BPE loses nothing: decode(encode(x)) == x."""
    _, ft = pair_of("gpt2")
    assert ft.decode(ft.encode(text).ids, skip_special_tokens=False) == text


def test_lone_surrogate_is_a_clear_error() -> None:
    _, ft = pair_of("gpt2")
    with pytest.raises(fasttok.InputError, match="surrogate"):
        ft.encode("abc\ud800def")
    with pytest.raises(fasttok.InputError, match="surrogate"):
        ft.encode_batch(["ok", "\udfff"])
    # The flat batch reports the first bad text by position, however the
    # texts are shared out between threads.
    batch = ["ok"] * 500 + ["\ud800x"] + ["fine"] * 500 + ["\udfff"]
    with pytest.raises(fasttok.InputError, match="text 500 contains a lone surrogate"):
        ft.encode_batch_ids(batch)
    with pytest.raises(TypeError, match="text 3: expected str"):
        ft.encode_batch_ids(["a", "b", "c", 4, "\ud800"])


class _Str(str):
    """A str subclass: CPython keeps its chars apart from the object (not
    compact), which fasttok reads in place too."""


# Chars of each width CPython stores a str in (PEP 393): ASCII, Latin-1,
# UCS-2 (surrogates excluded) and UCS-4.
WIDTHS = st.sampled_from(
    [
        st.characters(max_codepoint=0x7F),
        st.characters(min_codepoint=0x80, max_codepoint=0xFF),
        st.characters(min_codepoint=0x100, max_codepoint=0xFFFF, exclude_categories=("Cs",)),
        st.characters(min_codepoint=0x10000),
    ]
)


@settings(max_examples=120, deadline=None)
@given(
    texts=st.lists(
        st.lists(st.tuples(WIDTHS.flatmap(lambda c: st.text(c, max_size=20)), st.booleans()), max_size=6),
        max_size=6,
    )
)
def test_every_str_width_reads_as_its_utf8(texts: list) -> None:
    """fasttok converts each str from CPython's own storage (one, two or
    four bytes per char, runs of ASCII eight at a time) on the thread that
    encodes it: texts that mix the widths, with ASCII runs of every length
    and str subclasses among them, give `tokenizers`' ids on every entry
    point that reads strs that way."""
    from fasttok import tiktoken as ft_tiktoken

    hf, ft = pair_of("gpt2")
    batch = []
    for parts in texts:
        text = "".join(p + ("a" * 9 if long_ascii else "") for p, long_ascii in parts)
        batch.append(_Str(text) if len(batch) % 2 else text)
    want = [e.ids for e in hf.encode_batch([str(t) for t in batch], add_special_tokens=False)]
    flat, starts = ft.encode_batch_ids(batch, add_special_tokens=False)
    assert [list(flat[starts[i] : starts[i + 1]]) for i in range(len(batch))] == want
    assert [e.ids for e in ft.encode_batch(batch, add_special_tokens=False)] == want
    r50k = ft_tiktoken.get_encoding("r50k_base")
    assert r50k.encode_ordinary_batch(batch) == want
    assert [r50k.encode_ordinary(t) for t in batch] == want


@pytest.mark.parametrize("name", [n for n in ("llama2", "mistral-7b") if n in SOURCES])
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parts=st.lists(TEXT, min_size=4, max_size=12))
def test_long_sentencepiece_words(name: str, parts: list) -> None:
    """Without a pre-tokenizer the whole text is one BPE word; fasttok cuts it
    before each `▁` (when provably exact): the ids must not change."""
    check(name, " ".join(parts) + " " + "▁ ▁▁x" * 20)


# Long words of few distinct pairs: BPE merges those (from 256 symbols on)
# by its bucket queue instead of its heap.
FEW_PAIRS = st.tuples(
    st.lists(st.sampled_from(["a", "b", "aa", "ab", "🤗", "中", "é", "=", "-", "\u0301"]), min_size=1, max_size=4),
    st.lists(st.integers(0, 3), min_size=100, max_size=3000),
).map(lambda t: "".join(t[0][i % len(t[0])] for i in t[1]))


@pytest.mark.parametrize("name", sorted(SOURCES))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(word=FEW_PAIRS, prefix=st.sampled_from(["", " ", "x", "\n"]))
def test_long_words_of_few_pairs(name: str, word: str, prefix: str) -> None:
    check(name, prefix + word)
    hf, ft = pair_of(name)
    flat, _ = ft.encode_batch_ids([prefix + word, word], add_special_tokens=True)
    assert flat.tolist() == hf.encode(prefix + word).ids + hf.encode(word).ids


def _sentencepiece_bpe(joined: bool, fuse_unk: bool, byte_fallback: bool) -> str:
    """A small Llama-2-style BPE (Prepend + Replace, no pre-tokenizer). With
    `joined`, tokens join `\n` and `\t` to neighbours (no cut around them is
    exact then); `x` is unknown."""
    import json

    vocab = {"<unk>": 0, "\u2581": 1, "a": 2, "b": 3, "\n": 4, "\t": 5, "\u2581a": 6, "ab": 7, "\u2581\u2581": 8}
    merges = ["\u2581 a", "a b", "\u2581 \u2581"]
    if joined:
        vocab.update({"a\n": 9, "\n\n": 10, "\tb": 11})
        merges += ["a \n", "\n \n", "\t b"]
    if byte_fallback:
        vocab.update({f"<0x{b:02X}>": 100 + b for b in range(256)})
    return json.dumps(
        {
            "version": "1.0",
            "normalizer": {
                "type": "Sequence",
                "normalizers": [
                    {"type": "Prepend", "prepend": "\u2581"},
                    {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"},
                ],
            },
            "model": {
                "type": "BPE",
                "unk_token": "<unk>",
                "fuse_unk": fuse_unk,
                "byte_fallback": byte_fallback,
                "vocab": vocab,
                "merges": merges,
            },
        }
    )


@pytest.mark.parametrize("joined", [False, True])
@pytest.mark.parametrize("fuse_unk", [False, True])
@pytest.mark.parametrize("byte_fallback", [False, True])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(st.text(alphabet="ab x\n\t\u2581", max_size=60), min_size=1, max_size=6))
def test_sentencepiece_cuts_around_isolated_chars(
    joined: bool, fuse_unk: bool, byte_fallback: bool, texts: list
) -> None:
    """Without a pre-tokenizer, fasttok cuts a SentencePiece-style text before
    `▁` and around chars no merge can join (Llama-2's `\n`): the ids and
    offsets must be `tokenizers'`, whether such chars are joinable or not,
    known or unknown, with or without byte fallback."""
    src = _sentencepiece_bpe(joined, fuse_unk, byte_fallback)
    hf, ft = tokenizers.Tokenizer.from_str(src), fasttok.Tokenizer.from_str(src)
    flat, starts = ft.encode_batch_ids(texts, add_special_tokens=False)
    for i, t in enumerate(texts):
        a, b = hf.encode(t), ft.encode(t)
        assert (a.ids, a.offsets) == (b.ids, b.offsets), repr(t)
        assert list(flat[starts[i] : starts[i + 1]]) == a.ids, repr(t)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(st.text(alphabet="ab x\n\u2581", max_size=30), min_size=1, max_size=6))
def test_sentencepiece_raw_cut_leaves_normalized_added_tokens(texts: list) -> None:
    """Llama-2's flat ids are cut and looked up on the raw text (spaces as
    `▁`); an added token matched on the normalized text (here one that spans
    a space) must still be found, and a raw one too."""
    src = _sentencepiece_bpe(False, False, True)
    pair = [tokenizers.Tokenizer.from_str(src), fasttok.Tokenizer.from_str(src)]
    for t, lib in zip(pair, (tokenizers, fasttok), strict=True):
        t.add_tokens([lib.AddedToken("b\u2581a", normalized=True), lib.AddedToken("xx", normalized=False)])
    hf, ft = pair
    flat, starts = ft.encode_batch_ids(texts, add_special_tokens=False)
    for i, t in enumerate(texts):
        assert list(flat[starts[i] : starts[i + 1]]) == hf.encode(t, add_special_tokens=False).ids, repr(t)


@pytest.mark.parametrize("name", sorted(SOURCES))
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(TEXT, min_size=1, max_size=4))
def test_flat_ids_match_tokenizers(name: str, texts: list) -> None:
    """`encode_batch_ids` (which takes the no-alignment fast path when the
    pipeline allows) gives tokenizers' ids, with and without special tokens."""
    hf, ft = pair_of(name)
    for special in (False, True):
        flat, starts = ft.encode_batch_ids(texts, add_special_tokens=special)
        for i, t in enumerate(texts):
            assert list(flat[starts[i] : starts[i + 1]]) == hf.encode(t, add_special_tokens=special).ids, (t, special)


# Chars whose grapheme clusters take the rarer UAX #29 rules: Indic conjuncts
# (virama), Hangul jamo, regional indicators, ZWJ emoji sequences, Prepend,
# SpacingMark, CR LF; and chars SentencePiece maps (fullwidth, ligature,
# circled digit, soft hyphen, ideographic space).
GRAPHEME_STRESS = (
    "aA \r\n\x1f\x07\u0915\u094d\u0937\u093f\u093e\u0902\u1100\u1161\u11a8\uac00\uac01"
    "\U0001f1eb\U0001f1f7\u200d\U0001f44d\U0001f3fd\u00a9\u2764\ufe0f\u0e01\u0e33\u0e31"
    "\u0600\u0605\u0301\uff21\ufb01\u2460\u00ad\u3000\u0627\u064b\u05d0\u05b8"
)


@pytest.mark.parametrize("name", [n for n in sorted(SOURCES) if '"Precompiled"' in SOURCES[n]])
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(st.text(alphabet=GRAPHEME_STRESS, max_size=40), min_size=1, max_size=5))
def test_precompiled_graphemes_on_the_flat_path(name: str, texts: list) -> None:
    """SentencePiece's map goes grapheme by grapheme; the flat-ids path finds
    most graphemes without the segmenter (a char alone, or a char and the
    marks after it): the ids must be `tokenizers'` on text made of the chars
    whose clusters follow the rarer rules."""
    hf, ft = pair_of(name)
    flat, starts = ft.encode_batch_ids(texts, add_special_tokens=False)
    for i, t in enumerate(texts):
        assert list(flat[starts[i] : starts[i + 1]]) == hf.encode(t, add_special_tokens=False).ids, repr(t)


# Chars that NFD decomposes (accents, Hangul syllables, Greek with tonos),
# combining marks of several classes, and combining chars that are not Mn
# and so survive accent stripping (U+302E/F, U+1D165, U+1D16D): the order
# NFD gives them matters. And Mn chars of combining class 0 (Devanagari's
# vowel signs and anusvara, Thai's marks): starters NFD keeps as they are,
# still stripped.
ACCENTED = (
    "aA\u00e9\u00c9\u0301\u0308\u0327\u00f1\u00d1\uac00\uac01\u1100\u1161\u11a8\u1e09\u01c5\ufb01"
    "\u302e\u302f\U0001d165\U0001d16d\u0345\u0386\u0390\u1f70\u1fb3\u0401\u0439\u0915\u093f\u094d"
    "\u4e2d \t\n\u00a0\u0130\u00df\u1e9e\u0f73\u0f75\u0942\u0941\u0902\u0e01\u0e31\u0e34"
)


@pytest.mark.parametrize("strip_accents", [None, True, False])
@pytest.mark.parametrize("lowercase", [True, False])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(st.text(alphabet=ACCENTED, max_size=30), min_size=1, max_size=5))
def test_bert_normalizer_on_the_flat_path(strip_accents: Any, lowercase: bool, texts: list) -> None:
    """BERT's accent stripping (NFD, then no Mn) goes char by char on the
    flat-ids path, and by NFD when a kept char is a combining one: the ids
    must be `tokenizers'` for every setting of the normalizer."""
    import json

    if "bert-base-uncased" not in SOURCES:
        pytest.skip("no BERT vocabulary")
    doc = json.loads(SOURCES["bert-base-uncased"])
    doc["normalizer"].update(strip_accents=strip_accents, lowercase=lowercase)
    src = json.dumps(doc)
    hf, ft = tokenizers.Tokenizer.from_str(src), fasttok.Tokenizer.from_str(src)
    flat, starts = ft.encode_batch_ids(texts, add_special_tokens=False)
    for i, t in enumerate(texts):
        assert list(flat[starts[i] : starts[i + 1]]) == hf.encode(t, add_special_tokens=False).ids, repr(t)
        assert ft.normalizer.normalize_str(t) == hf.normalizer.normalize_str(t), repr(t)


# Normalizer corner cases for the plain-string paths (graphemes for
# SentencePiece's precompiled map, CR LF, combining marks after ASCII, flags).
TRICKY = [
    "e\u0301",
    "a\r\nb",
    "\r\n",
    "\r",
    "x\u200dy",
    "\ufb01 \ufb02",
    "\uff11\uff12\uff13 \uff21\uff22",
    "\U0001f44d\U0001f3fda",
    "\U0001f1eb\U0001f1f7\U0001f1e9\U0001f1ea",
    "a\u0308\u0301b",
    "\u3000x",
    "\uff76\uff9e",
    "\u216b",
    "\u00ad",
    "\u210c",
    "x\x00y",
    "\x1f\u0300",
    "\t\x0b\x0c",
    "  a   b ",
]


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_flat_ids_on_normalizer_corner_cases(name: str) -> None:
    hf, ft = pair_of(name)
    texts = TRICKY + [a + b for a in TRICKY for b in TRICKY]
    flat, starts = ft.encode_batch_ids(texts, add_special_tokens=False)
    for i, t in enumerate(texts):
        assert list(flat[starts[i] : starts[i + 1]]) == hf.encode(t, add_special_tokens=False).ids, repr(t)
