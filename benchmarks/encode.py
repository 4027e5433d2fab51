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
if lib == "fasttok":
    import fasttok as m
else:
    import tokenizers as m
tok = m.Tokenizer.from_str(src)
tok.no_padding(); tok.no_truncation()
out = tok.encode_batch(docs, add_special_tokens=False)
ids = [e.ids for e in out]
best = float("inf")
for _ in range(repeat):
    t0 = time.perf_counter()
    out = tok.encode_batch(docs, add_special_tokens=False)
    [e.ids for e in out]
    best = min(best, time.perf_counter() - t0)
json.dump({"seconds": best, "ids": ids}, sys.stdout)
"""


def run_cell(lib: str, src_path: Path, docs_path: Path, threads: Optional[int], repeat: int) -> Dict:
    env = dict(os.environ)
    if threads is not None:
        env.update(FASTTOK_NUM_THREADS=str(threads), RAYON_NUM_THREADS=str(threads), RAYON_RS_NUM_CPUS=str(threads))
        if threads == 1:
            env["TOKENIZERS_PARALLELISM"] = "false"
    r = subprocess.run(
        [sys.executable, "-c", WORKER, lib, str(src_path), str(docs_path), str(repeat)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
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
                res = {lib: run_cell(lib, src_path, docs_path, threads, repeat) for lib in ("tokenizers", "fasttok")}
                same = res["tokenizers"]["ids"] == res["fasttok"]["ids"]
                row = {
                    "tokenizer": name,
                    "corpus": corpus,
                    "threads": "1" if threads == 1 else f"all ({os.cpu_count()})",
                    "MB": round(mb, 2),
                    "identical": same,
                    "tokenizers_mbs": mb / res["tokenizers"]["seconds"],
                    "fasttok_mbs": mb / res["fasttok"]["seconds"] if same else None,
                }
                rows.append(row)
                print(json.dumps(row), flush=True)
    write_report(rows, Path(args.out))


READING = """### Reading the encoding numbers

- This is the general pipeline (Oniguruma regexes, per-word normalized strings, a
  per-thread word cache for BPE, Viterbi over a byte trie for Unigram).
- Llama-2 has no pre-tokenizer, so a whole document is one BPE word; fasttok cuts it
  before each `▁` where no merge can cross (checked on the merges at load), so the
  word cache applies.
- Not measured here yet: tiktoken and the other peers (quicktok, gigatoken, tokie,
  kitoken, bpe-openai), 100 B and 1 MB documents. The hand-written pre-tokenizers and
  the linear-time BPE that should bring fasttok ahead of them are the speed issue's work."""


def write_report(rows: List[Dict], out: Path) -> None:
    import tokenizers

    import fasttok

    lines = [
        "## Encoding",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} by `python benchmarks/encode.py` on {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}; fasttok {fasttok.__version__}, "
        f"tokenizers {tokenizers.__version__}.",
        "Documents of about 8 KB, `encode_batch` without special tokens, ids returned to Python; best of "
        "several runs; each cell in its own process. Outputs were checked id for id before timing "
        "(a cell that differs is marked and not timed).",
        "",
        "MB/s of UTF-8 input (higher is better); ratio = fasttok / tokenizers.",
        "",
    ]
    for threads in sorted({r["threads"] for r in rows}):
        lines += [
            f"### Encoding, threads: {threads}",
            "",
            "| tokenizer | corpus | tokenizers MB/s | fasttok MB/s | ratio |",
            "|---|---|---:|---:|---:|",
        ]
        for r in rows:
            if r["threads"] != threads:
                continue
            if r["fasttok_mbs"] is None:
                lines.append(f"| {r['tokenizer']} | {r['corpus']} | {r['tokenizers_mbs']:.2f} | differs | - |")
            else:
                ratio = r["fasttok_mbs"] / r["tokenizers_mbs"]
                lines.append(
                    f"| {r['tokenizer']} | {r['corpus']} | {r['tokenizers_mbs']:.2f} | "
                    f"{r['fasttok_mbs']:.2f} | {ratio:.2f}x |"
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
        ax.bar([x - 0.2 for x in xs], [r["tokenizers_mbs"] for r in sub], width=0.4, label="tokenizers")
        ax.bar([x + 0.2 for x in xs], [r["fasttok_mbs"] or 0 for r in sub], width=0.4, label="fasttok")
        ax.set_xticks(list(xs))
        ax.set_xticklabels(labels, rotation=70, fontsize=7)
        ax.set_ylabel("MB/s")
        ax.set_title(f"threads: {g}")
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    main()
