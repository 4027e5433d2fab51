"""Encode throughput of fasttok and Hugging Face `tokenizers`, side by side.

Each (library, tokenizer, corpus, threads) cell runs in its own process on
the same documents. Before any timing, the outputs of both libraries are
checked id for id; a cell whose outputs differ is reported, not timed.

    python benchmarks/encode.py                # all tokenizers found, writes docs/benchmarks.md
    python benchmarks/encode.py --quick        # fewer, smaller runs

Data: FASTTOK_DATA or ../shared/data (see DATA.md); the project's own
data/ holds BERT and GPT-2 and a small sample corpus.
"""

from __future__ import annotations

import argparse
import json
import lzma
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _report import replace_section  # noqa: E402

from conftest import find_data, gpt2_tokenizer_json, tokenizer_sources  # noqa: E402

TOKENIZERS = ["bert-base-uncased", "gpt2", "cl100k", "o200k", "llama3", "llama2", "pegasus-unigram"]
CORPORA = ["en", "multi", "code"]


def documents(corpus: str, doc_bytes: int, total_bytes: int) -> List[str]:
    """Consecutive ~doc_bytes documents from the start of a corpus."""
    p = find_data(f"corpus/{corpus}.txt.xz")
    if p is None:
        return []
    with lzma.open(p, "rt", encoding="utf-8", errors="replace") as f:
        text = f.read(total_bytes)
    docs, cur, size = [], [], 0
    for line in text.splitlines(keepends=True):
        cur.append(line)
        size += len(line.encode())
        if size >= doc_bytes:
            docs.append("".join(cur))
            cur, size = [], 0
    return docs


WORKER = r"""
import json, os, sys, time
lib, src_path, docs_path, repeat = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
docs = json.load(open(docs_path, encoding="utf-8"))
src = open(src_path, encoding="utf-8").read()
threads = os.environ.get("FASTTOK_NUM_THREADS")
if lib.startswith("tiktoken:"):
    import tiktoken
    enc = tiktoken.get_encoding(lib.split(":", 1)[1])
    if threads == "1":
        run = lambda docs: [enc.encode_ordinary(d) for d in docs]
    else:
        run = lambda docs: enc.encode_ordinary_batch(docs, num_threads=os.cpu_count())
    ids = run(docs)
elif lib.split(":")[0] in ("quicktok", "bpe-openai", "kitoken", "gigatoken"):
    # Peers, one document at a time (their per-text call).
    kind, _, name = lib.partition(":")
    if kind == "quicktok":
        import quicktok
        one = quicktok.get_encoding(name).encode_ordinary
    elif kind == "bpe-openai":
        import bpe_openai
        one = bpe_openai.get_encoding(name).encode
    elif kind == "kitoken":
        import kitoken
        k = kitoken.Kitoken.from_file(src_path)
        one = lambda d: k.encode(d, False)
    else:
        import gigatoken
        g = gigatoken.Tokenizer(src_path)
        one = g.encode
    run = lambda docs: [one(d) for d in docs]
    ids = [[int(x) for x in o] for o in run(docs)]
else:
    if lib.startswith("fasttok"):
        import fasttok as m
    else:
        import tokenizers as m
    tok = m.Tokenizer.from_str(src)
    tok.no_padding(); tok.no_truncation()
    ids = [e.ids for e in tok.encode_batch(docs, add_special_tokens=False)]
    if lib == "fasttok-ids":
        # One flat numpy uint32 array and the documents' offsets.
        run = lambda docs: tok.encode_batch_ids(docs, add_special_tokens=False)
        flat, starts = run(docs)
        ids = [flat[starts[i]:starts[i + 1]].tolist() for i in range(len(docs))]
    else:
        run = lambda docs: [e.ids for e in tok.encode_batch(docs, add_special_tokens=False)]
# Each timed pass sees the documents with a different ending (r + 1 extra line
# breaks), so that no library can answer from a cache of whole documents.
best = float("inf")
for r in range(repeat):
    variant = [d + "\n" * (r + 1) for d in docs]
    t0 = time.perf_counter()
    run(variant)
    best = min(best, time.perf_counter() - t0)
json.dump({"seconds": best, "ids": ids}, sys.stdout)
"""

# Other peers for each tokenizer (each tried; one that fails or differs is reported so).
PEERS = {
    "cl100k": ["quicktok:cl100k_base", "bpe-openai:cl100k_base", "kitoken", "gigatoken"],
    "o200k": ["quicktok:o200k_base", "bpe-openai:o200k_base", "kitoken", "gigatoken"],
    "llama3": ["quicktok:llama3", "kitoken", "gigatoken"],
    "gpt2": ["kitoken", "gigatoken"],
}

# tiktoken's encoding for the tokenizers that are one (run on the same rank
# files, served from fasttok's shipped copies).
TIKTOKEN = {"gpt2": "r50k_base", "cl100k": "cl100k_base", "o200k": "o200k_base"}


def tiktoken_cache() -> str:
    import hashlib
    import tempfile

    from fasttok import tiktoken as ft

    cache = tempfile.mkdtemp(prefix="fasttok-bench-")
    for stem in ["r50k_base", "cl100k_base", "o200k_base"]:
        data, _ = ft._rank_file_bytes(stem)
        with open(os.path.join(cache, hashlib.sha1(ft._URL.format(stem).encode()).hexdigest()), "wb") as f:
            f.write(data)
    return cache


CACHE: List[str] = []


def run_cell(lib: str, src_path: Path, docs_path: Path, threads: Optional[int], repeat: int) -> Dict:
    env = dict(os.environ)
    env.setdefault("TIKTOKEN_CACHE_DIR", CACHE[0])
    if threads is not None:
        env.update(FASTTOK_NUM_THREADS=str(threads), RAYON_NUM_THREADS=str(threads), RAYON_RS_NUM_CPUS=str(threads))
        if threads == 1:
            env["TOKENIZERS_PARALLELISM"] = "false"
    r = subprocess.run(
        [sys.executable, "-c", WORKER, lib, str(src_path), str(docs_path), str(repeat)],
        env=env,
        capture_output=True,
        text=True,
    )
    if r.returncode != 0:
        return {"error": (r.stderr.strip().splitlines() or ["failed"])[-1][:120]}
    return json.loads(r.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"))
    args = ap.parse_args()
    doc_bytes = 8_000
    total = 1_000_000 if args.quick else 4_000_000
    repeat = 2 if args.quick else 3
    sources = tokenizer_sources()
    if "gpt2" not in sources and gpt2_tokenizer_json():
        sources["gpt2"] = gpt2_tokenizer_json() or ""
    CACHE.append(tiktoken_cache())
    tmp = ROOT / "target" / "bench"
    tmp.mkdir(parents=True, exist_ok=True)
    rows = []
    for corpus in CORPORA:
        docs = documents(corpus, doc_bytes, total)
        if not docs:
            print(f"corpus {corpus}: not found, skipped", file=sys.stderr)
            continue
        mb = sum(len(d.encode()) for d in docs) / 1e6
        docs_path = tmp / f"{corpus}.json"
        docs_path.write_text(json.dumps(docs), encoding="utf-8")
        for name in TOKENIZERS:
            if name not in sources:
                continue
            src_path = tmp / f"{name}.json"
            src_path.write_text(sources[name], encoding="utf-8")
            for threads in (1, None):
                libs = ["tokenizers", "fasttok", "fasttok-ids"]
                if name in TIKTOKEN:
                    libs.append(f"tiktoken:{TIKTOKEN[name]}")
                libs += PEERS.get(name, [])
                res = {lib: run_cell(lib, src_path, docs_path, threads, repeat) for lib in libs}
                ref = res["tokenizers"]["ids"]

                def speed(lib: str, res: Dict = res, ref: List = ref, mb: float = mb) -> Optional[float]:
                    if lib not in res or res[lib].get("ids") != ref:
                        return None  # differs, failed or absent: not timed
                    return mb / res[lib]["seconds"]

                peers = {}
                for lib in PEERS.get(name, []):
                    v = speed(lib)
                    peers[lib] = round(v, 2) if v is not None else ("error" if "error" in res[lib] else "differs")

                row = {
                    "tokenizer": name,
                    "corpus": corpus,
                    "threads": "1" if threads == 1 else f"all ({os.cpu_count()})",
                    "MB": round(mb, 2),
                    "identical": res["fasttok"]["ids"] == ref and res["fasttok-ids"]["ids"] == ref,
                    "tokenizers_mbs": mb / res["tokenizers"]["seconds"],
                    "fasttok_mbs": speed("fasttok"),
                    "fasttok_ids_mbs": speed("fasttok-ids"),
                    "tiktoken_mbs": speed(f"tiktoken:{TIKTOKEN[name]}") if name in TIKTOKEN else None,
                    "tiktoken_differs": name in TIKTOKEN and speed(f"tiktoken:{TIKTOKEN[name]}") is None,
                    "peers": peers,
                }
                rows.append(row)
                print(json.dumps(row), flush=True)
    write_report(rows, Path(args.out))


READING = """### Reading the encoding numbers

- Flat ids is the path for bulk tokenization (training data, `fasttok encode --format
  bin`, the tiktoken API): for byte-level BPE (GPT-2, cl100k, o200k, Llama-3) it cuts the
  text with hand-written matchers for those exact split patterns (each checked against
  Oniguruma on every code point's class and on random text), rewrites bytes per word,
  and takes ids from a per-thread word cache, with no `NormalizedString`, no `Encoding`
  and no Python object per token.
- `encode_batch` builds everything an `Encoding` holds (offsets, tokens, masks); it
  uses the same hand-written matchers but still one `NormalizedString` per word.
- BERT (a normalizer) and Llama-2 / Unigram (Metaspace) take the general path either
  way; Llama-2 is one BPE word per document, cut before each `▁` where no merge can
  cross (checked on the merges at load), so the word cache applies.
- Each timed pass encodes the documents with a different ending (a few extra line
  breaks), so a cache of whole documents cannot answer (gigatoken keeps one: on repeated
  documents it reports several times its cold speed).
- Other peers (quicktok-v1, bpe-openai, kitoken, gigatoken) encode one document at a
  time through their per-text call, on every thread setting (their own threading, if
  any, is theirs: gigatoken was seen using ~1.6 cores for single calls). tokie needs its
  own file format and is not measured. Not measured yet: 100 B and 1 MB documents."""


def write_report(rows: List[Dict], out: Path) -> None:
    import tokenizers

    import fasttok

    lines = [
        "## Encoding",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} by `python benchmarks/encode.py` on {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}; fasttok {fasttok.__version__}, "
        f"tokenizers {tokenizers.__version__}.",
        "Documents of about 8 KB, no special tokens, ids returned to Python; best of several runs; each "
        "library in its own process. Every output was checked id for id against `tokenizers` before its "
        "time counts (a cell that differs is marked and not timed). MB/s of UTF-8 input, higher is better.",
        "",
        "- `tokenizers`: `encode_batch`, then `.ids` of each `Encoding`; fasttok `encode_batch`: the same "
        "calls on fasttok (offsets, tokens and masks built too).",
        "- fasttok flat ids: `encode_batch_ids`, one numpy `uint32` array plus document offsets (takes the "
        "no-alignment path when the pipeline allows: no normalizer, a cutting pre-tokenizer).",
        "- tiktoken 0.14 (gpt2 = r50k_base, cl100k, o200k): `encode_ordinary` per document on one thread, "
        "`encode_ordinary_batch` on all.",
        "",
    ]
    for threads in sorted({r["threads"] for r in rows}):
        lines += [
            f"### Encoding, threads: {threads}",
            "",
            "| tokenizer | corpus | tokenizers | tiktoken | fasttok `encode_batch` | fasttok flat ids | "
            "flat ids / tokenizers | flat ids / tiktoken | other peers (MB/s) |",
            "|---|---|---:|---:|---:|---:|---:|---:|---|",
        ]

        def cell(v: Optional[float], differs: bool = False) -> str:
            return "differs" if differs else ("-" if v is None else f"{v:.2f}")

        for r in rows:
            if r["threads"] != threads:
                continue
            ids = r.get("fasttok_ids_mbs")
            tk = r.get("tiktoken_mbs")
            vs_hf = "-" if ids is None else f"{ids / r['tokenizers_mbs']:.1f}x"
            vs_tk = "-" if ids is None or tk is None else f"{ids / tk:.1f}x"
            lines.append(
                f"| {r['tokenizer']} | {r['corpus']} | {r['tokenizers_mbs']:.2f} | "
                f"{cell(tk, r.get('tiktoken_differs', False))} | {cell(r['fasttok_mbs'], r['fasttok_mbs'] is None)} | "
                f"{cell(ids, ids is None)} | {vs_hf} | {vs_tk} | "
                + ", ".join(f"{k.split(':')[0]} {v}" for k, v in r.get("peers", {}).items())
                + " |"
            )
        lines.append("")
    lines += READING.splitlines() + [""]
    try:
        plot(rows, out.parent / "benchmarks.png")
        lines += ["![throughput](benchmarks.png)", ""]
    except ImportError:
        lines += ["(matplotlib not installed: no plot)", ""]
    replace_section(out, "encode", lines)


def plot(rows: List[Dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = sorted({r["threads"] for r in rows})
    fig, axes = plt.subplots(1, len(groups), figsize=(7 * len(groups), 6), squeeze=False)
    for ax, g in zip(axes[0], groups):
        sub = [r for r in rows if r["threads"] == g]
        labels = [f"{r['tokenizer']}\n{r['corpus']}" for r in sub]
        xs = range(len(sub))
        series = [
            ("tokenizers", "tokenizers_mbs"),
            ("tiktoken", "tiktoken_mbs"),
            ("fasttok encode_batch", "fasttok_mbs"),
            ("fasttok flat ids", "fasttok_ids_mbs"),
        ]
        for k, (label, key) in enumerate(series):
            ax.bar([x - 0.3 + 0.2 * k for x in xs], [r.get(key) or 0 for r in sub], width=0.2, label=label)
        ax.set_xticks(list(xs))
        ax.set_xticklabels(labels, rotation=70, fontsize=7)
        ax.set_ylabel("MB/s")
        ax.set_title(f"threads: {g}")
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    main()
