"""Unigram training time and peak memory: fasttok and `tokenizers` (the same
job: NFKC, Metaspace, UnigramTrainer), and SentencePiece's own Unigram
trainer for scale (a different job: its own normalization and sentence
sampling), each in its own process on the first MB of the shared corpora.

    python benchmarks/train_unigram.py                  # en/multi/code, 20 MB, 8k and 32k
    python benchmarks/train_unigram.py --mb 5 --vocab 8000 --corpora en

Before its time is shown, fasttok's vocabulary is compared with `tokenizers'`:
the same pieces, and the same scores to 1e-9 except for the chars both put
back at the end with penalty scores (handed out in hash order by
`tokenizers`, so not reproducible; see docs/training.md).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from _report import replace_section  # noqa: E402
from train import corpus_file, run_worker, table_rows  # noqa: E402

LIBS = ["fasttok", "tokenizers", "sentencepiece"]

WORKER = r"""
import json, resource, sys, time
lib, path, vocab_size, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
vocab = None
if lib in ("fasttok", "tokenizers"):
    m = __import__(lib)
    tok = m.Tokenizer(m.models.Unigram())
    tok.normalizer = m.normalizers.NFKC()
    tok.pre_tokenizer = m.pre_tokenizers.Metaspace()
    tr = m.trainers.UnigramTrainer(vocab_size=vocab_size, show_progress=False, unk_token="<unk>",
                                   special_tokens=["<pad>", "</s>"])
    t = time.perf_counter()
    tok.train([path], tr)
    elapsed = time.perf_counter() - t
    vocab = json.loads(tok.to_str())["model"]["vocab"]
else:
    import io, os, sentencepiece as spm
    t = time.perf_counter()
    spm.SentencePieceTrainer.train(input=path, model_writer=io.BytesIO(), vocab_size=vocab_size,
        model_type="unigram", input_sentence_size=2000000, shuffle_input_sentence=True,
        num_threads=os.cpu_count(), minloglevel=2, max_sentence_length=1 << 20)
    elapsed = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
json.dump({"seconds": elapsed, "peak_mb": peak / 1024, "vocab": vocab}, open(out, "w"))
"""


def run(lib: str, path: Path, vocab_size: int, tmp: Path, timeout: float) -> Dict:
    return run_worker(WORKER, lib, path, vocab_size, tmp, timeout)


def compare(ours: List, ref: List) -> str:
    """'same pieces' and how many chars only differ by their put-back penalty."""
    a, b = dict(map(tuple, ours)), dict(map(tuple, ref))
    if set(a) != set(b):
        return f"DIFFERS: {len(set(a) ^ set(b))} pieces in only one"
    moved = [p for p in a if abs(a[p] - b[p]) > 1e-9 * max(1.0, abs(b[p]))]
    pairs = zip(sorted(a[p] for p in moved), sorted(b[p] for p in moved), strict=False)
    if any(len(p) != 1 for p in moved) or any(abs(x - y) > 1e-9 * max(1.0, abs(y)) for x, y in pairs):
        return "DIFFERS: scores"
    return f"same pieces and scores ({len(moved)} put-back chars in another order)"


def head(src: Path, mb: float, tmp: Path) -> Path:
    out = tmp / f"{src.stem}-{mb:g}mb.txt"
    with open(src, "rb") as f:
        data = f.read(int(mb * 1e6))
    out.write_bytes(data[: data.rfind(b"\n") + 1])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpora", nargs="+", default=["en", "multi", "code"])
    ap.add_argument("--vocab", nargs="+", type=int, default=[8000, 32000])
    ap.add_argument("--mb", type=float, default=20)
    ap.add_argument("--libs", nargs="+", default=LIBS, choices=LIBS)
    ap.add_argument("--timeout", type=float, default=1800)
    ap.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"))
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        for corpus in args.corpora:
            full = corpus_file(corpus, tmp)
            if full is None:
                print(f"corpus {corpus}: not found, skipped")
                continue
            path = head(full, args.mb, tmp)
            for vocab_size in args.vocab:
                results = {lib: run(lib, path, vocab_size, tmp, args.timeout) for lib in args.libs}
                ref = results.get("tokenizers", {}).get("vocab")
                for lib, r in results.items():
                    note = r.get("error", "")
                    if lib == "fasttok" and ref is not None and r.get("vocab") is not None:
                        note = compare(r["vocab"], ref)
                        if note.startswith("DIFFERS"):
                            r["seconds"] = None
                    elif lib == "sentencepiece" and not note:
                        note = "different job"
                    rows.append(
                        {
                            "corpus": corpus,
                            "mb": path.stat().st_size / 1e6,
                            "vocab": vocab_size,
                            "lib": lib,
                            "seconds": r.get("seconds"),
                            "peak_mb": r.get("peak_mb"),
                            "note": note,
                        }
                    )
                    print({k: v for k, v in rows[-1].items()}, flush=True)
    write_report(rows, Path(args.out), args.mb)


def write_report(rows: List[Dict], out: Path, mb: float) -> None:
    import tokenizers

    import fasttok

    lines = [
        "## Training: Unigram",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} by `python benchmarks/train_unigram.py` on {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}; fasttok {fasttok.__version__}, "
        f"tokenizers {tokenizers.__version__}. NFKC + Metaspace + UnigramTrainer (unk and two special "
        f"tokens), on the first {mb:g} MB of each corpus, each run in its own process. Ratio = other / fasttok "
        "(above 1: fasttok is faster or smaller).",
        "",
        "| corpus | vocab | library | seconds | time ratio | peak MB | memory ratio | output |",
        "|---|---:|---|---:|---:|---:|---:|---|",
    ]
    lines += table_rows(rows)
    lines += [
        "",
        "fasttok runs the E-step (forward-backward over every distinct word) and the Viterbi passes "
        "of pruning on all cores, in fixed-size chunks of words so that the result does not depend on "
        "the thread count; `tokenizers` does the same work, partly in parallel. Seeds come from a "
        "suffix array in both (fasttok's own, about 20 bytes per char).",
        "",
    ]
    replace_section(out, "train-unigram", lines)


if __name__ == "__main__":
    main()
