"""What two cores give at all, against which the all-thread cells are read.

Issue 5 asks all threads to reach 1.8x one thread. On a 2-core VM no program
can do better than two independent single-threaded processes running at once,
one per core: they share no lock, no memory and no thread pool, only the host
(its caches, memory, clock and its other guests). So for each cell this script
measures, in the same run, the sustained throughput of

- `1 proc`: one process, one thread, on core 0;
- `2 procs`: two such processes at the same moment, on cores 0 and 1 (their sum);
- `2 threads`: one process with fasttok's threads on both cores;

for fasttok's flat ids (`encode_batch_ids`, no padding or truncation) and, as
a control from another library (`--control`), tiktoken (`encode_ordinary` per
document; its own threaded batch call for `2 threads`). `2 procs / 1 proc` is
this host's ceiling for two cores; when fasttok's `2 threads / 1 proc` is close
to it, the rest of the gap to 2x is the host's, not the threads'.

Each measurement encodes the cell's documents over and over for `--seconds`
(every process starts at the same wall-clock moment, after loading), cycling
through four copies of the documents with different endings, and reports
bytes over seconds. The three modes take turns for `--rounds` rounds and the
report gives each mode's median. fasttok's ids are checked against
`tokenizers` once per cell first; a cell where they differ is not timed.

    python benchmarks/scaling.py                            # writes the section of docs/benchmarks.md
    python benchmarks/scaling.py --tokenizers cl100k --corpora en --sizes 100
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))

import encode  # noqa: E402
from _report import replace_section, shown_args  # noqa: E402

WORKER = r"""
import json, os, sys, time
import numpy
lib, src_path, docs_path, start_at, seconds = sys.argv[1:6]
start_at, seconds = float(start_at), float(seconds)
docs = json.load(open(docs_path, encoding="utf-8"))
threads = os.environ.get("FASTTOK_NUM_THREADS")
if lib == "check":
    import fasttok, tokenizers
    src = open(src_path, encoding="utf-8").read()
    a = fasttok.Tokenizer.from_str(src)
    a.no_padding(); a.no_truncation()
    flat, starts = a.encode_batch_ids(docs, add_special_tokens=False)
    mine = [flat[starts[i]:starts[i + 1]].tolist() for i in range(len(docs))]
    ref = tokenizers.Tokenizer.from_str(src)
    ref.no_padding(); ref.no_truncation()
    theirs = [e.ids for e in ref.encode_batch(docs, add_special_tokens=False)]
    json.dump({"identical": mine == theirs}, sys.stdout)
    sys.exit(0)
if lib.startswith("tiktoken:"):
    # TIKTOKEN_RUN
else:
    import fasttok
    tok = fasttok.Tokenizer.from_str(open(src_path, encoding="utf-8").read())
    tok.no_padding(); tok.no_truncation()
    run = lambda docs: tok.encode_batch_ids(docs, add_special_tokens=False)
variants = [[d + "\n" + " " * k for d in docs] for k in range(4)]
sizes = [sum(len(d.encode()) for d in v) for v in variants]
run(variants[0])
while time.time() < start_at:
    time.sleep(0.001)
done, spent, k = 0, 0.0, 0
t0 = time.perf_counter()
while spent < seconds:
    run(variants[k % 4])
    done += sizes[k % 4]
    k += 1
    spent = time.perf_counter() - t0
json.dump({"mbs": done / spent / 1e6}, sys.stdout)
"""
WORKER = encode.with_tiktoken(WORKER)


def spawn(lib: str, src: Path, docs: Path, threads: int, core: Optional[int], start_at: float, seconds: float):
    cmd = [sys.executable, "-c", WORKER, lib, str(src), str(docs), repr(start_at), repr(seconds)]
    if core is not None:
        cmd = encode.pinned(cmd, core)
    env = encode.worker_env(threads)
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(p: subprocess.Popen) -> Dict:
    out, err = p.communicate()
    if p.returncode != 0:
        raise RuntimeError((err.strip().splitlines() or ["worker failed"])[-1])
    return json.loads(out)


def mode(lib: str, src: Path, docs: Path, which: str, seconds: float) -> float:
    """One measurement of `which` ("1 proc", "2 procs", "2 threads"): MB/s in all."""
    # Long enough for every worker to load its library and documents first.
    start_at = time.time() + 1.5
    if which == "1 proc":
        procs = [spawn(lib, src, docs, 1, 0, start_at, seconds)]
    elif which == "2 procs":
        procs = [spawn(lib, src, docs, 1, core, start_at, seconds) for core in (0, 1)]
    else:
        procs = [spawn(lib, src, docs, 2, None, start_at, seconds)]
    return sum(finish(p)["mbs"] for p in procs)


MODES = ("1 proc", "2 procs", "2 threads")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tokenizers", default="cl100k,o200k,llama3,bert-base-uncased,llama2,pegasus-unigram")
    ap.add_argument("--corpora", default="en,multi,code")
    ap.add_argument("--sizes", default="100,8000")
    ap.add_argument("--total", type=int, default=2_000_000, help="bytes per corpus (default 2 MB)")
    ap.add_argument(
        "--control", default="cl100k", help="tokenizers also measured with tiktoken (those it has), comma-separated"
    )
    ap.add_argument("--seconds", type=float, default=1.5, help="length of each measurement")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", default=str(encode.ROOT / "docs" / "benchmarks.md"))
    args = ap.parse_args()
    if (os.cpu_count() or 1) < 2:
        sys.exit("scaling.py needs at least two cores")
    sources = encode.tokenizer_sources()
    encode.CACHE.append(encode.tiktoken_cache())
    tmp = encode.ROOT / "target" / "bench"
    tmp.mkdir(parents=True, exist_ok=True)
    rows: List[Dict] = []
    for size in [int(x) for x in args.sizes.split(",")]:
        for corpus in args.corpora.split(","):
            texts = encode.documents(corpus, size, max(args.total, size))
            if not texts:
                print(f"corpus {corpus}: not found, skipped", file=sys.stderr)
                continue
            docs = tmp / f"scaling-{corpus}.json"
            docs.write_text(json.dumps(texts), encoding="utf-8")
            for name in args.tokenizers.split(","):
                if name not in sources:
                    continue
                src = tmp / f"{name}.json"
                src.write_text(sources[name], encoding="utf-8")
                if not finish(spawn("check", src, docs, 1, None, 0.0, 0.0))["identical"]:
                    print(f"{name} {corpus} {size}: fasttok's ids differ from tokenizers', not timed", file=sys.stderr)
                    rows.append({"tokenizer": name, "corpus": corpus, "size": size, "lib": "fasttok-ids"})
                    continue
                libs = ["fasttok-ids"] + (
                    [f"tiktoken:{encode.TIKTOKEN[name]}"]
                    if name in encode.TIKTOKEN and name in args.control.split(",")
                    else []
                )
                for lib in libs:
                    got: Dict[str, List[float]] = {m: [] for m in MODES}
                    for _ in range(args.rounds):
                        for m in MODES:
                            got[m].append(mode(lib, src, docs, m, args.seconds))
                    med = {m: statistics.median(v) for m, v in got.items()}
                    r = {
                        "tokenizer": name,
                        "corpus": corpus,
                        "size": size,
                        "lib": lib.split(":")[0],
                        **{m: round(v, 1) for m, v in med.items()},
                        "runs": got,
                    }
                    rows.append(r)
                    print(json.dumps(r), flush=True)
    write_report(rows, Path(args.out), args)


def write_report(rows: List[Dict], out: Path, args: argparse.Namespace) -> None:
    lines = [
        "### What two cores give (`benchmarks/scaling.py`)",
        "",
        f"`python benchmarks/scaling.py{shown_args()}`, "
        f"{time.strftime('%Y-%m-%d')}, {args.rounds} rounds of {args.seconds:g} s per mode, medians, MB/s of UTF-8 "
        "input. `1 proc`: one single-threaded process on core 0; `2 procs`: two of them at once, one per core "
        "(the sum): the most any program gets from two cores here; `2 threads`: one fasttok (or tiktoken) "
        "process on both cores. The last two columns: the library's threads against one process, and against "
        "that ceiling.",
        "",
        "| tokenizer | corpus | size | library | 1 proc | 2 procs | 2 threads | 2 procs / 1 proc "
        "| 2 threads / 1 proc | 2 threads / 2 procs |",
        "|---|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        where = f"| {r['tokenizer']} | {r['corpus']} | {encode.size_label(r['size'])} | {r['lib']} |"
        if "1 proc" not in r:
            lines.append(f"{where} differs from `tokenizers`: not timed | | | | | |")
            continue
        one, two, thr = r["1 proc"], r["2 procs"], r["2 threads"]
        lines.append(f"{where} {one} | {two} | {thr} | {two / one:.2f}x | {thr / one:.2f}x | {thr / two:.2f} |")
    replace_section(out, "scaling", lines)


if __name__ == "__main__":
    main()
