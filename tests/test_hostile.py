"""Hostile sizes: one huge document, long runs of one char. Outputs are
compared with `tokenizers` and `tiktoken`; runs are checked to finish (a
hang guard with a generous limit, not a speed test)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable, Dict, List

import pytest
import tokenizers as hf

import fasttok

from conftest import ROOT, corpus_docs, tokenizer_sources

SAMPLE = ROOT / "data" / "sample" / "kjv-genesis.txt"


def long_document(n_bytes: int) -> str:
    """Real text (shared corpora when present, else the bundled sample), many
    paragraphs joined by newlines, repeated up to about `n_bytes`."""
    parts: List[str] = []
    for name in ("en", "multi", "code"):
        parts += corpus_docs(name, n_docs=300, seed=5, max_chars=4000)
    if not parts:
        parts = [SAMPLE.read_text(encoding="utf-8")]
    text = "\n".join(parts)
    reps = max(1, n_bytes // max(1, len(text.encode("utf-8"))))
    return "\n".join([text] * reps)[: n_bytes * 2]


def _sources() -> Dict[str, str]:
    src = tokenizer_sources()
    if "gpt2" in src:
        # RoBERTa-style: ByteLevel with a prefix space (only the text's start gets it).
        d = json.loads(src["gpt2"])
        d["pre_tokenizer"]["add_prefix_space"] = True
        src["gpt2-prefix-space"] = json.dumps(d)
    if "pegasus-unigram" in src:
        # A normalizer that drops the spaces a long text would be cut after:
        # it must stay whole (words join across them).
        d = json.loads(src["pegasus-unigram"])
        d["normalizer"]["normalizers"][-1]["content"] = ""
        d["normalizer"]["normalizers"][-1]["pattern"] = {"String": " "}
        src["pegasus-spaces-dropped"] = json.dumps(d)
    if "bert-base-uncased" in src:
        # An added token holding a space could straddle a cut at a space.
        d = json.loads(src["bert-base-uncased"])
        flags = {"single_word": False, "lstrip": False, "rstrip": False, "normalized": True, "special": False}
        d["added_tokens"].append({"id": 30522, "content": "the first", **flags})
        src["bert-spaced-token"] = json.dumps(d)
    return src


SOURCES = _sources()
FAMILIES = [
    n
    for n in [
        "gpt2",
        "gpt2-prefix-space",
        "bert-base-uncased",
        "bert-spaced-token",
        "cl100k",
        "o200k",
        "llama3",
        "llama2",
        "mistral-7b",
        "pegasus-unigram",
        "pegasus-spaces-dropped",
    ]
    if n in SOURCES
]


@pytest.mark.parametrize("name", FAMILIES)
def test_long_document_ids_match_tokenizers(name: str) -> None:
    """A 3 MB document takes the bulk-ids path in parts cut where the
    pipeline allows (line starts for pattern splitters, whitespace before a
    letter for whitespace splitters, the raw text normalized part by part;
    spaces for Llama-2's raw text), encoded in parallel: the ids are those of
    `tokenizers` on the whole. The variants that must stay whole give them
    too."""
    doc = long_document(3_000_000)
    assert "\nA" in doc or "\nT" in doc
    ours = fasttok.Tokenizer.from_str(SOURCES[name])
    ref = hf.Tokenizer.from_str(SOURCES[name])
    for t in (ours, ref):
        # Some files truncate (BERT's to 512): the whole text is the point.
        t.no_truncation()
        t.no_padding()
    flat, starts = ours.encode_batch_ids([doc], add_special_tokens=False)
    expected = ref.encode(doc, add_special_tokens=False).ids
    assert len(flat) == len(expected)
    assert flat.tolist() == expected


@pytest.mark.parametrize("name", [n for n in ("gpt2", "cl100k", "bert-base-uncased") if n in SOURCES])
def test_big_batches_of_flat_ids_match_tokenizers(name: str) -> None:
    """Batches whose flat ids are gathered from several threads' runs (and,
    past 64k ids, copied on all threads), texts of every size and
    width in a shuffled order: each text's ids are `tokenizers'` ids of it,
    and the array is numpy's own to write, outliving the tokenizer."""
    import random

    parts: List[str] = []
    for corpus in ("en", "multi", "code"):
        parts += corpus_docs(corpus, n_docs=40, seed=9, max_chars=6000)
    if not parts:
        parts = SAMPLE.read_text(encoding="utf-8").split("\n\n")[:120]
    unique = parts + ["", " ", "\n\n", "x" * 70_000] + [p[: len(p) // 7] for p in parts]
    ref = hf.Tokenizer.from_str(SOURCES[name])
    ref.no_truncation()
    want = [e.ids for e in ref.encode_batch(unique, add_special_tokens=False)]
    ours = fasttok.Tokenizer.from_str(SOURCES[name])
    ours.no_truncation()
    rng = random.Random(3)
    for copies in (1, 3, 90):
        order = [i for i in range(len(unique)) for _ in range(copies)]
        rng.shuffle(order)
        flat, starts = ours.encode_batch_ids([unique[i] for i in order], add_special_tokens=False)
        assert len(starts) == len(order) + 1 and starts[-1] == len(flat)
        got = flat.tolist()
        for k, i in enumerate(order):
            assert got[starts[k] : starts[k + 1]] == want[i], (copies, k, unique[i][:80])
    assert len(flat) > 1 << 20
    del ours
    flat[:3] = [7, 8, 9]
    assert flat[:3].tolist() == [7, 8, 9] and flat[3:].tolist() == got[3:]


@pytest.mark.parametrize("name", FAMILIES)
def test_long_document_encoding_matches_tokenizers(name: str) -> None:
    """`encode` on a 3 MB document: cut at line starts and encoded on all
    cores where the pipeline allows (all these but the prefix-space one),
    with offsets and word ids shifted back: every field is `tokenizers`'."""
    doc = long_document(3_000_000)
    ours = fasttok.Tokenizer.from_str(SOURCES[name])
    ref = hf.Tokenizer.from_str(SOURCES[name])
    for t in (ours, ref):
        t.no_truncation()
        t.no_padding()
    a, b = ours.encode(doc), ref.encode(doc)
    for field in ["ids", "tokens", "offsets", "word_ids", "type_ids", "special_tokens_mask", "attention_mask"]:
        assert getattr(a, field) == getattr(b, field), field


def non_latin_document(n_bytes: int) -> str:
    """Multilingual corpus text with the ASCII letters and digits taken out,
    about `n_bytes` of it: every place a long text may be cut is then one
    found only by the cut rules for text in any script (a line break before
    a non-ASCII letter, a space before a non-ASCII char)."""
    import re

    docs = corpus_docs("multi", n_docs=400, seed=11, max_chars=4000)
    if not docs:
        pytest.skip("no multilingual corpus")
    text = re.sub(r"[A-Za-z0-9]", "", "\n".join(docs))
    reps = max(1, n_bytes // max(1, len(text.encode("utf-8"))) + 1)
    out = "\n".join([text] * reps)
    return out[: len(out) * n_bytes // len(out.encode("utf-8"))]


@pytest.mark.parametrize("name", FAMILIES)
def test_batch_of_long_texts_in_any_script_matches_tokenizers(name: str) -> None:
    """A batch of two long texts with no ASCII letters or digits and a short
    one: the long ones are cut (at line breaks before non-ASCII letters,
    spaces before non-ASCII chars, where the pipeline allows) and their parts
    shared by both threads. Ids through `encode_batch_ids` and every field
    through `encode_batch` are `tokenizers'`."""
    doc = non_latin_document(1_400_000)
    assert not any(c.isascii() and c.isalnum() for c in doc)
    half = doc.index("\n", len(doc) // 2)
    batch = [doc[:half], "short text, 1 2 3", doc[half:]]
    ours = fasttok.Tokenizer.from_str(SOURCES[name])
    ref = hf.Tokenizer.from_str(SOURCES[name])
    for t in (ours, ref):
        t.no_truncation()
        t.no_padding()
    want = ref.encode_batch(batch, add_special_tokens=False)
    flat, starts = ours.encode_batch_ids(batch, add_special_tokens=False)
    got = flat.tolist()
    for k, e in enumerate(want):
        assert got[starts[k] : starts[k + 1]] == e.ids, k
    for a, b in zip(ours.encode_batch(batch, add_special_tokens=False), want, strict=True):
        for field in ["ids", "tokens", "offsets", "word_ids", "special_tokens_mask"]:
            assert getattr(a, field) == getattr(b, field), field


def test_100mb_document_matches_tiktoken(tiktoken_ref: Dict[str, Any]) -> None:
    """One 100 MB string through the tiktoken API: the same ids as tiktoken."""
    from fasttok import tiktoken as ft_tiktoken

    doc = long_document(100_000_000)[:100_000_000]
    ours = ft_tiktoken.get_encoding("cl100k_base").encode_ordinary(doc)
    theirs = tiktoken_ref["cl100k_base"].encode_ordinary(doc)
    assert len(ours) == len(theirs)
    assert ours == theirs


RUNS: Dict[str, Callable[[int], str]] = {
    "char": lambda n: "a" * n,
    "spaces": lambda n: " " * n,
    "newlines": lambda n: "\n" * n,
    "emoji": lambda n: "🤗" * (n // 4),
    "digits": lambda n: "7" * n,
    "cjk": lambda n: "中" * (n // 3),
}

_RUN_SCRIPT = """
import sys, fasttok
from pathlib import Path
tok = fasttok.Tokenizer.from_file(sys.argv[1])
text = {runs}[sys.argv[2]]
e = tok.encode(text)
flat, _ = tok.encode_batch_ids([text])
assert e.ids == flat.tolist() or tok.truncation or tok.padding, "bulk ids differ from encode"
print(len(e.ids))
"""


RUN_FAMILIES = [n for n in ["gpt2", "bert-base-uncased", "cl100k", "llama2", "pegasus-unigram"] if n in SOURCES]


@pytest.mark.parametrize("run", sorted(RUNS))
@pytest.mark.parametrize("name", RUN_FAMILIES)
def test_one_megabyte_runs_finish(name: str, run: str, tmp_path: Path) -> None:
    """1 MB of one char, spaces, newlines, one emoji...: encoded by the full
    and the bulk path well within the limit (quadratic work would take hours)."""
    path = tmp_path / "tokenizer.json"
    path.write_text(SOURCES[name], encoding="utf-8")
    runs = "{" + ", ".join(f"{k!r}: {f(8)[:1]!r} * {len(f(1 << 20))}" for k, f in RUNS.items()) + "}"
    script = _RUN_SCRIPT.format(runs=runs)
    r = subprocess.run([sys.executable, "-c", script, str(path), run], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert int(r.stdout.strip()) > 0
