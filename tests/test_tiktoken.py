"""fasttok.tiktoken against the `tiktoken` package from PyPI, offline.

The reference reads the same rank files: fasttok's shipped copies (their
sha256 is checked against OpenAI's published one on load), placed in a
TIKTOKEN_CACHE_DIR under the names tiktoken looks for; GPT-2's data-gym files
come from data/vocab/gpt2.
"""

from __future__ import annotations

import hashlib
import lzma
import pickle
from pathlib import Path
from typing import Any, Dict, List

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fasttok import tiktoken as ft

from conftest import ROOT, TIKTOKEN_NAMES, corpus_docs

tiktoken = pytest.importorskip("tiktoken")

NAMES = TIKTOKEN_NAMES
SHIPPED = Path(ft.__file__).parent / "_tiktoken"


@pytest.fixture(scope="module")
def ref(tiktoken_ref: Dict[str, Any]) -> Dict[str, Any]:
    """tiktoken's encodings, loaded from a cache holding the shipped files (conftest)."""
    return tiktoken_ref


def texts() -> List[str]:
    docs: List[str] = []
    for corpus in ["en", "multi", "code"]:
        docs += corpus_docs(corpus, n_docs=150, seed=7, max_chars=3000)
    if not docs:
        docs = (ROOT / "data" / "sample" / "kjv-genesis.txt").read_text(encoding="utf-8").split("\n\n")[:200]
    return docs + [
        "",
        " ",
        "   leading and trailing   ",
        "a\n\n\nb\r\n\r\nc \n  \t x",
        "it's I'M we'Ve THEY'LL 'd",
        "12345678901234567890 ½ ٣٤٥",
        "👨‍👩‍👧‍👦 emoji 🏳️‍🌈 flags 🇫🇷",
        "=" * 300 + "-" * 17 + " " * 50,
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "e\u0301\u0301 combining \u0301",
    ]


@pytest.mark.parametrize("name", NAMES)
def test_encode_ordinary_matches(ref: Dict[str, Any], name: str) -> None:
    ours, theirs = ft.get_encoding(name), ref[name]
    docs = texts()
    assert ours.encode_ordinary_batch(docs) == theirs.encode_ordinary_batch(docs)
    for d in docs[:50]:
        assert ours.encode_ordinary(d) == theirs.encode_ordinary(d)


@pytest.mark.parametrize("name", NAMES)
def test_vocabulary_facts(ref: Dict[str, Any], name: str) -> None:
    ours, theirs = ft.get_encoding(name), ref[name]
    assert ours.n_vocab == theirs.n_vocab
    assert ours.max_token_value == theirs.max_token_value
    assert ours.eot_token == theirs.eot_token
    assert ours.special_tokens_set == theirs.special_tokens_set
    assert ours.token_byte_values() == theirs.token_byte_values()
    for t in [0, 1, 255, 256, 1000, theirs.eot_token]:
        assert ours.decode_single_token_bytes(t) == theirs.decode_single_token_bytes(t)
    for s in ["hello", " the", "<|endoftext|>", b"\xff"]:
        assert ours.encode_single_token(s) == theirs.encode_single_token(s)
    with pytest.raises(KeyError):
        ours.encode_single_token("not one token at all")


@pytest.mark.parametrize("name", ["cl100k_base", "o200k_base", "p50k_edit", "o200k_harmony"])
def test_special_tokens(ref: Dict[str, Any], name: str) -> None:
    ours, theirs = ft.get_encoding(name), ref[name]
    specials = sorted(theirs.special_tokens_set)[:6]
    text = f"Hi {specials[0]} there{specials[-1]}<|endoftext|>x <|endoftext"
    # Default: special-token text is refused, with tiktoken's message.
    with pytest.raises(ValueError, match="Encountered text corresponding to disallowed special token"):
        ours.encode(text)
    with pytest.raises(ValueError, match="Encountered text corresponding to disallowed special token"):
        theirs.encode(text)

    def outcome(enc: Any, texts: List[str], kw: Dict[str, Any]) -> Any:
        try:
            return enc.encode_batch(texts, **kw)
        except ValueError as e:
            return ("ValueError", str(e).splitlines()[0])

    for kw in [
        {"allowed_special": "all"},
        {"allowed_special": {"<|endoftext|>"}, "disallowed_special": ()},
        {"allowed_special": {specials[0]}, "disallowed_special": ()},
        {"allowed_special": {specials[0]}},
        {"disallowed_special": ()},
        {"disallowed_special": {specials[-1]}},
        {"allowed_special": set(specials)},
    ]:
        assert outcome(ours, [text, "plain"], kw) == outcome(theirs, [text, "plain"], kw), kw
        assert outcome(ours, [text], kw) == outcome(theirs, [text], kw), kw


@pytest.mark.parametrize("name", ["cl100k_base", "o200k_base", "r50k_base"])
def test_decoding(ref: Dict[str, Any], name: str) -> None:
    ours, theirs = ft.get_encoding(name), ref[name]
    for d in texts()[:80]:
        ids = theirs.encode_ordinary(d)
        assert ours.decode(ids) == theirs.decode(ids) == d
        assert ours.decode_bytes(ids) == theirs.decode_bytes(ids)
        assert ours.decode_tokens_bytes(ids) == theirs.decode_tokens_bytes(ids)
        assert ours.decode_with_offsets(ids) == theirs.decode_with_offsets(ids)
    bad = [theirs.encode_single_token(b"\xe6"), 1000]
    assert ours.decode(bad) == theirs.decode(bad)
    assert list(ours.encode_to_numpy("hello world")) == list(theirs.encode_to_numpy("hello world"))
    assert ours.decode_batch([[1, 2], [3]]) == theirs.decode_batch([[1, 2], [3]])


text_strategy = st.lists(
    st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from([" ", "  ", "\n", "\r\n", "\t", "'s", "'T", "1", "½", "é", "\u0301", "👍", "ab", "="]),
    ),
    max_size=40,
).map("".join)


@pytest.mark.parametrize("name", ["cl100k_base", "o200k_base", "r50k_base", "p50k_base"])
def test_hypothesis_text(ref: Dict[str, Any], name: str) -> None:
    ours, theirs = ft.get_encoding(name), ref[name]

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(text_strategy)
    def check(s: str) -> None:
        assert ours.encode_ordinary(s) == theirs.encode_ordinary(s)
        assert ours.encode(s, disallowed_special=()) == theirs.encode(s, disallowed_special=())

    check()


def test_lone_surrogates_become_replacement_chars(ref: Dict[str, Any]) -> None:
    ours, theirs = ft.get_encoding("cl100k_base"), ref["cl100k_base"]
    s = "a\ud800b \udfff"
    assert ours.encode(s) == theirs.encode(s)


def test_models_and_names(ref: Dict[str, Any]) -> None:
    for model in ["gpt-4o", "gpt-4", "gpt-3.5-turbo-0613", "text-embedding-3-small", "text-davinci-003", "davinci"]:
        assert ft.encoding_for_model(model).name == tiktoken.encoding_for_model(model).name
    assert set(NAMES) <= set(ft.list_encoding_names())
    with pytest.raises(KeyError):
        ft.encoding_for_model("no-such-model")
    with pytest.raises(ValueError, match="Unknown encoding"):
        ft.get_encoding("nope")


def test_custom_encoding_and_load(ref: Dict[str, Any], tmp_path: Path) -> None:
    data = lzma.decompress((SHIPPED / "r50k_base.tiktoken.xz").read_bytes())
    path = tmp_path / "r50k.tiktoken"
    path.write_bytes(data)
    ranks = ft.load_tiktoken_bpe(str(path), expected_hash=hashlib.sha256(data).hexdigest())
    assert ranks == tiktoken.load.load_tiktoken_bpe(str(path))
    ours = ft.Encoding(
        "mine", pat_str=ref["r50k_base"]._pat_str, mergeable_ranks=ranks, special_tokens={"<|x|>": 50256}
    )
    theirs = tiktoken.Encoding(
        "mine", pat_str=ref["r50k_base"]._pat_str, mergeable_ranks=ranks, special_tokens={"<|x|>": 50256}
    )
    for d in texts()[:40]:
        assert ours.encode(d, allowed_special="all") == theirs.encode(d, allowed_special="all")
    with pytest.raises(Exception, match="sha256"):
        ft.load_tiktoken_bpe(str(path), expected_hash="0" * 64)
    assert pickle.loads(pickle.dumps(ft.get_encoding("cl100k_base"))).encode("hi") == [6151]


def test_shipped_files_are_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "cl100k_base.tiktoken"
    bad.write_bytes(b"IQ== 0\n")
    monkeypatch.setenv("FASTTOK_TIKTOKEN_DIR", str(tmp_path))
    monkeypatch.setattr(ft, "_cache", {})
    with pytest.raises(Exception, match="sha256"):
        ft.get_encoding("cl100k_base")


# ---- conversion to tokenizer.json --------------------------------------------


@pytest.mark.parametrize("name", ["cl100k_base", "o200k_base", "r50k_base", "p50k_edit"])
def test_converted_tokenizer_json_agrees_with_tiktoken(ref: Dict[str, Any], name: str, tmp_path: Path) -> None:
    hf = pytest.importorskip("tokenizers")
    import fasttok

    doc = ft.to_tokenizer_json(name)
    path = tmp_path / f"{name}.json"
    path.write_text(doc, encoding="utf-8")
    theirs = ref[name]
    both = [fasttok.Tokenizer.from_file(str(path)), hf.Tokenizer.from_file(str(path))]
    docs = texts()
    expected = theirs.encode_batch(docs, allowed_special="all")
    for tok in both:
        got = [e.ids for e in tok.encode_batch(docs, add_special_tokens=False)]
        assert got == expected
        assert tok.decode(expected[0]) == docs[0]


@pytest.mark.parametrize("name", ["cl100k_base", "o200k_base", "r50k_base"])
def test_converted_tokenizer_json_on_hypothesis_text(ref: Dict[str, Any], name: str) -> None:
    hf = pytest.importorskip("tokenizers")
    import fasttok

    doc = ft.to_tokenizer_json(name)
    ours, theirs_hf, theirs = fasttok.Tokenizer.from_str(doc), hf.Tokenizer.from_str(doc), ref[name]

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(text_strategy)
    def check(s: str) -> None:
        expected = theirs.encode(s, allowed_special="all")
        assert ours.encode(s, add_special_tokens=False).ids == expected
        assert theirs_hf.encode(s, add_special_tokens=False).ids == expected

    check()
