"""fasttok against Hugging Face `tokenizers`, on real tokenizer.json files and
real text: every field of every encoding, and decode, must be identical."""

from __future__ import annotations

from typing import Any, List

import pytest

import fasttok

from conftest import corpus_docs, tokenizer_sources

tokenizers = pytest.importorskip("tokenizers")

SOURCES = tokenizer_sources()
NAMES = sorted(SOURCES)

# Short inputs that have tripped tokenizers before: empty and blank input,
# whitespace runs, combining marks, ZWJ emoji, ligatures, controls, special
# token text inside ordinary text.
EDGE_CASES = [
    "",
    " ",
    "   ",
    "\n",
    "\t\n \r\n",
    "a",
    "  hello  world  ",
    "Hello, world!",
    "don't STOP believin'",
    "e\u0301 a\u0300\u0301 \u0915\u094d\u0937",
    "🤗 emoji 👨‍👩‍👧‍👦 flags 🇫🇷 skin 👍🏽",
    "ﬁ ﬂ ① Ⅻ ½ ㎏ Å",
    "\u0000 \u0001 \u200b \ufeff \ufffd",
    "中文字符和日本語のテキスト、한국어",
    "Привет, мир! Γειά σου κόσμε",
    "مرحبا بالعالم",
    "<s> hi </s> <unk> <pad>",
    "Hello   <mask>   world <mask><mask>x",
    "[CLS] x [SEP] [MASK] [PAD]",
    "<|endoftext|>hi<|endoftext|> <|fim_prefix|>",
    "<|begin_of_text|>x<|eot_id|>",
    "def f(x):\n    return x  # comment\n\n\n",
    "1234567890 3.14159 1,000,000",
    "a" * 300,
    " " * 50 + "x",
    "\u2581 \u2581\u2581x",
]

FIELDS = ["ids", "tokens", "offsets", "type_ids", "attention_mask", "special_tokens_mask", "word_ids", "sequence_ids"]


def texts() -> List[str]:
    out = list(EDGE_CASES)
    for corpus in ("en", "multi", "code"):
        out += corpus_docs(corpus, 60, seed=1, max_chars=2000)
    return out


def assert_same(hf: Any, ft: Any, context: str) -> None:
    for field in FIELDS:
        a, b = getattr(hf, field), getattr(ft, field)
        if a != b:
            i = next((k for k in range(min(len(a), len(b))) if a[k] != b[k]), min(len(a), len(b)))
            raise AssertionError(
                f"{context}: {field} differs at token {i}: tokenizers {a[max(0, i - 2) : i + 3]} "
                f"fasttok {b[max(0, i - 2) : i + 3]} (tokens {hf.tokens[max(0, i - 2) : i + 3]})"
            )
    assert len(hf.overflowing) == len(ft.overflowing), f"{context}: number of overflowing encodings"
    for k, (a, b) in enumerate(zip(hf.overflowing, ft.overflowing, strict=True)):
        assert_same(a, b, f"{context} overflowing[{k}]")


def pair_of(name: str, plain: bool = True) -> tuple:
    src = SOURCES[name]
    hf = tokenizers.Tokenizer.from_str(src)
    ft = fasttok.Tokenizer.from_str(src)
    if plain:
        hf.no_padding()
        hf.no_truncation()
        ft.no_padding()
        ft.no_truncation()
    return hf, ft


@pytest.fixture(scope="module", params=NAMES)
def named(request: Any) -> Any:
    return request.param


RUN_UNITS = ["a", " ", "\n", "\t", "🤗", "中", "7", "ab", "ha ", "é", "-=", "👍🏽"]


@pytest.mark.parametrize("n", [255, 256, 1000, 4099, 20_000])
def test_long_runs(named: str, n: int) -> None:
    """Runs of one unit (a word of hundreds to tens of thousands of symbols,
    merged by the bucket queue from 256 on) and a run of one letter then
    another: every field as `tokenizers` gives it."""
    hf, ft = pair_of(named)
    for unit in RUN_UNITS:
        text = unit * (n // len(unit))
        assert_same(hf.encode(text), ft.encode(text), f"{named} {unit!r} * {n // len(unit)}")
    text = "a" * n + "b" * n + "ab" * n
    assert_same(hf.encode(text), ft.encode(text), f"{named} a*{n} b*{n} ab*{n}")


def test_every_shared_tokenizer_is_found() -> None:
    # The project ships bert-base-uncased and GPT-2; the rest come from shared data.
    assert "bert-base-uncased" in SOURCES and "gpt2" in SOURCES


@pytest.mark.parametrize("add_special_tokens", [True, False])
def test_single(named: str, add_special_tokens: bool) -> None:
    hf, ft = pair_of(named)
    for text in texts():
        a = hf.encode(text, add_special_tokens=add_special_tokens)
        b = ft.encode(text, add_special_tokens=add_special_tokens)
        assert_same(a, b, f"{named} {text[:40]!r}")


def test_pair(named: str) -> None:
    hf, ft = pair_of(named)
    ts = texts()
    for x, y in zip(ts[::2], ts[1::2], strict=False):
        for sp in (True, False):
            assert_same(hf.encode(x, y, add_special_tokens=sp), ft.encode(x, y, add_special_tokens=sp), f"{named} pair")


def test_pretokenized(named: str) -> None:
    hf, ft = pair_of(named)
    for text in texts()[:60]:
        words = text.split()
        assert_same(hf.encode(words, is_pretokenized=True), ft.encode(words, is_pretokenized=True), f"{named} words")
    words = [t.split() for t in texts()[60:80]]
    pairs = zip(hf.encode_batch(words, is_pretokenized=True), ft.encode_batch(words, is_pretokenized=True), strict=True)
    for a, b in pairs:
        assert_same(a, b, f"{named} batch words")


def test_decode(named: str) -> None:
    hf, ft = pair_of(named)
    for text in texts():
        ids = hf.encode(text).ids
        for skip in (True, False):
            assert hf.decode(ids, skip_special_tokens=skip) == ft.decode(ids, skip_special_tokens=skip), text[:40]
    batch = [hf.encode(t).ids for t in texts()[:50]]
    assert hf.decode_batch(batch) == ft.decode_batch(batch)


def test_file_settings(named: str) -> None:
    """With the padding and truncation the file itself configures."""
    hf, ft = pair_of(named, plain=False)
    ts = texts()
    for text in ts:
        assert_same(hf.encode(text), ft.encode(text), f"{named} {text[:40]!r}")
    for a, b in zip(hf.encode_batch(ts), ft.encode_batch(ts), strict=True):
        assert_same(a, b, f"{named} batch")


@pytest.mark.parametrize("direction", ["right", "left"])
@pytest.mark.parametrize("strategy", ["longest_first", "only_first", "only_second"])
def test_truncation_and_padding(named: str, direction: str, strategy: str) -> None:
    hf, ft = pair_of(named)
    extra = hf.num_special_tokens_to_add(True)
    for t in (hf, ft):
        t.enable_truncation(24 + extra, stride=5, strategy=strategy, direction=direction)
        t.enable_padding(direction=direction, pad_id=3, pad_token="<pad>", pad_to_multiple_of=8)
    ts = [t for t in texts() if t.strip()][:40]
    pairs = list(zip(ts[::2], ts[1::2], strict=False))
    if strategy != "only_second":
        for text in ts:
            same_or_both_fail(lambda t, text=text: t.encode(text), hf, ft, f"{named} {strategy} {direction} single")
    for x, y in pairs:
        same_or_both_fail(lambda t, x=x, y=y: t.encode(x, y), hf, ft, f"{named} {strategy} {direction} pair")


def same_or_both_fail(call: Any, hf: Any, ft: Any, context: str) -> None:
    """Where `tokenizers` refuses (it raises, or panics, e.g. when the stride
    does not fit), fasttok must raise its InputError instead."""
    try:
        a = call(hf)
    except BaseException as e:  # tokenizers raises PanicException, a BaseException
        if isinstance(e, (KeyboardInterrupt, SystemExit)):
            raise
        with pytest.raises(fasttok.InputError):
            call(ft)
        return
    assert_same(a, call(ft), context)


def test_fixed_padding(named: str) -> None:
    hf, ft = pair_of(named)
    for t in (hf, ft):
        t.enable_padding(length=64, direction="left", pad_type_id=1)
    ts = texts()[:40]
    for a, b in zip(hf.encode_batch(ts), ft.encode_batch(ts), strict=True):
        assert_same(a, b, f"{named} fixed padding")


def test_vocab(named: str) -> None:
    hf, ft = pair_of(named)
    assert hf.get_vocab_size() == ft.get_vocab_size()
    assert hf.get_vocab_size(with_added_tokens=False) == ft.get_vocab_size(with_added_tokens=False)
    assert hf.get_vocab() == ft.get_vocab()
    for tok, i in list(hf.get_vocab().items())[:2000]:
        assert ft.token_to_id(tok) == i
        assert ft.id_to_token(i) == hf.id_to_token(i)
    assert ft.token_to_id("\u0000definitely not a token\u0000") is None
    for sp in (True, False):
        assert hf.num_special_tokens_to_add(sp) == ft.num_special_tokens_to_add(sp)


def test_roundtrip_through_tokenizers(named: str, tmp_path: Any) -> None:
    """fasttok's save is loaded by `tokenizers`, which then encodes identically."""
    hf, ft = pair_of(named, plain=False)
    path = tmp_path / "saved.json"
    ft.save(str(path))
    hf2 = tokenizers.Tokenizer.from_file(str(path))
    ft2 = fasttok.Tokenizer.from_file(str(path))
    for text in texts()[:80]:
        a = hf.encode(text)
        assert_same(a, hf2.encode(text), f"{named} reloaded by tokenizers")
        assert_same(a, ft2.encode(text), f"{named} reloaded by fasttok")
        assert hf.decode(a.ids) == hf2.decode(a.ids)
