"""Shared fixtures: where the real data is, and the reference tokenizers.

Real vocabularies and corpora come from ``FASTTOK_DATA`` (default: the
``shared/data`` folder beside the checkout, then the project's own
``data/``). Suites that need files which are absent skip cleanly.
"""

from __future__ import annotations

import hashlib
import json
import lzma
import os
import random
import shutil
from functools import cache
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest

ROOT = Path(__file__).resolve().parent.parent


def data_dirs() -> List[Path]:
    dirs = []
    env = os.environ.get("FASTTOK_DATA")
    if env:
        dirs.append(Path(env))
    dirs.append(ROOT.parent / "shared" / "data")
    dirs.append(ROOT / "data")
    return [d for d in dirs if d.is_dir()]


def find_data(rel: str) -> Optional[Path]:
    for d in data_dirs():
        p = d / rel
        if p.exists():
            return p
    return None


TOKENIZER_FILES = {
    "bert-base-uncased": "vocab/bert-base-uncased/tokenizer.json",
    "roberta": "vocab/roberta/tokenizer.json",
    "cl100k": "vocab/cl100k/tokenizer.json",
    "o200k": "vocab/o200k/tokenizer.json",
    "llama3": "vocab/llama3/tokenizer.json",
    "llama2": "vocab/llama2/tokenizer.json",
    "mistral-7b": "vocab/mistral-7b/tokenizer.json",
    "claude-legacy": "vocab/claude-legacy/tokenizer.json",
    "pegasus-unigram": "vocab/pegasus-unigram/tokenizer.json",
    "hf-wiki-bert": "vocab/hf-wiki/bert-wiki.json",
    "hf-wiki-bpe": "vocab/hf-wiki/tokenizer-wiki.json",
}


@cache
def gpt2_tokenizer_json() -> Optional[str]:
    """GPT-2's tokenizer.json, built by `tokenizers` from the raw encoder.json
    and vocab.bpe (the way its own GPT-2 conversion does)."""
    enc = find_data("vocab/gpt2/encoder.json")
    bpe = find_data("vocab/gpt2/vocab.bpe")
    if enc is None or bpe is None:
        return None
    import tokenizers
    from tokenizers import decoders, models, pre_tokenizers, processors

    vocab = json.loads(enc.read_text(encoding="utf-8"))
    merges = []
    for line in bpe.read_text(encoding="utf-8").splitlines()[1:]:
        if line.strip():
            a, b = line.split(" ")
            merges.append((a, b))
    tok = tokenizers.Tokenizer(models.BPE(vocab, merges))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=True)
    tok.add_special_tokens(["<|endoftext|>"])
    return tok.to_str()


def tokenizer_sources() -> Dict[str, str]:
    """name -> tokenizer.json text, for every one available here."""
    out = {}
    for name, rel in TOKENIZER_FILES.items():
        p = find_data(rel)
        if p is not None:
            out[name] = p.read_text(encoding="utf-8")
    g = gpt2_tokenizer_json()
    if g is not None:
        out["gpt2"] = g
    return out


@cache
def _corpus_chunks(name: str, max_chars: int) -> List[str]:
    p = find_data(f"corpus/{name}.txt.xz")
    if p is None:
        return []
    with lzma.open(p, "rt", encoding="utf-8", errors="replace") as f:
        text = f.read()
    chunks: List[str] = []
    for doc in text.split("\n\n"):
        if not doc.strip():
            continue
        # Long documents (a whole book) become line-aligned chunks.
        cur: List[str] = []
        size = 0
        for line in doc.splitlines(keepends=True):
            if size + len(line) > max_chars and cur:
                chunks.append("".join(cur))
                cur, size = [], 0
            cur.append(line)
            size += len(line)
        if cur:
            chunks.append("".join(cur))
    return chunks


def corpus_docs(name: str, n_docs: int = 300, seed: int = 0, max_chars: int = 3000) -> List[str]:
    """A reproducible sample of documents (or line-aligned chunks of at most
    `max_chars`) from anywhere in a shared corpus."""
    chunks = _corpus_chunks(name, max_chars)
    rng = random.Random(seed)
    return rng.sample(chunks, min(n_docs, len(chunks)))


@pytest.fixture(scope="session")
def sources() -> Dict[str, str]:
    return tokenizer_sources()


TIKTOKEN_NAMES = ["gpt2", "r50k_base", "p50k_base", "p50k_edit", "cl100k_base", "o200k_base", "o200k_harmony"]


@pytest.fixture(scope="session")
def tiktoken_ref(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dict[str, Any]]:
    """The `tiktoken` package's encodings, offline: fasttok's shipped rank
    files (sha256-checked) and data/vocab/gpt2, placed in a TIKTOKEN_CACHE_DIR
    under the names tiktoken looks for."""
    tiktoken = pytest.importorskip("tiktoken")
    from fasttok import tiktoken as ft

    shipped = Path(ft.__file__).parent / "_tiktoken"
    cache_dir = tmp_path_factory.mktemp("tiktoken-cache")
    url = "https://openaipublic.blob.core.windows.net/{}"
    for stem in ["r50k_base", "p50k_base", "cl100k_base", "o200k_base"]:
        data = lzma.decompress((shipped / f"{stem}.tiktoken.xz").read_bytes())
        key = hashlib.sha1(url.format(f"encodings/{stem}.tiktoken").encode()).hexdigest()
        (cache_dir / key).write_bytes(data)
    for name, path in [("vocab.bpe", "vocab.bpe"), ("encoder.json", "encoder.json")]:
        key = hashlib.sha1(url.format(f"gpt-2/encodings/main/{name}").encode()).hexdigest()
        shutil.copy(ROOT / "data" / "vocab" / "gpt2" / path, cache_dir / key)
    old = os.environ.get("TIKTOKEN_CACHE_DIR")
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache_dir)
    try:
        yield {n: tiktoken.get_encoding(n) for n in TIKTOKEN_NAMES}
    finally:
        if old is None:
            del os.environ["TIKTOKEN_CACHE_DIR"]
        else:
            os.environ["TIKTOKEN_CACHE_DIR"] = old
