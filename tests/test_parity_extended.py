"""The long parity sweep (kept out of CI: run with `pytest -m slow`).

Every shared tokenizer against `tokenizers` over thousands of documents from
the three corpora, whole documents (not truncated), as singles and pairs.
FASTTOK_PARITY_DOCS sets the number of documents per corpus (default 1500).
"""

from __future__ import annotations

import os

import pytest

import fasttok

from conftest import corpus_docs, tokenizer_sources
from test_parity import assert_same

tokenizers = pytest.importorskip("tokenizers")
SOURCES = tokenizer_sources()
N_DOCS = int(os.environ.get("FASTTOK_PARITY_DOCS", "1500"))


@pytest.mark.slow
@pytest.mark.parametrize("corpus", ["en", "multi", "code"])
@pytest.mark.parametrize("name", sorted(SOURCES))
def test_long_sweep(name: str, corpus: str) -> None:
    docs = corpus_docs(corpus, N_DOCS, seed=7, max_chars=20_000)
    if not docs:
        pytest.skip(f"corpus {corpus} not found")
    hf = tokenizers.Tokenizer.from_str(SOURCES[name])
    ft = fasttok.Tokenizer.from_str(SOURCES[name])
    for t in (hf, ft):
        t.no_padding()
        t.no_truncation()
    for a, b, d in zip(hf.encode_batch(docs), ft.encode_batch(docs), docs, strict=True):
        assert_same(a, b, f"{name} {corpus} {d[:40]!r}")
        assert hf.decode(a.ids) == ft.decode(a.ids)
    pairs = list(zip(docs[::2], docs[1::2], strict=False))[:200]
    for a, b in zip(hf.encode_batch(pairs), ft.encode_batch(pairs), strict=True):
        assert_same(a, b, f"{name} {corpus} pair")
