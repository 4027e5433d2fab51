"""Two builds of fasttok's extension, compared in one process, pass for pass.

On the 2-core VMs we work on, the same cell measured in two processes a
minute apart moves by up to 2x (the host's load comes and goes), so a change
worth a few percent cannot be seen that way. Here both builds are loaded side
by side (each `_core` shared object as its own module, with its own thread
pool and caches) and take turns on the same documents: every pass encodes a
fresh copy of the documents (made right before its call, so that neither
build finds the texts in the other's caches) with the flat-ids call, the
order alternating, each call 1.5 ms after the last (when the helper threads
of the build that made it have stopped waiting for more), and the report is
each build's best pass and the median of the paired ratios (B's time over
A's: below 1 means B is faster).

    cp python/fasttok/_core*.so /tmp/a.so      # the build before a change
    maturin develop --release                  # or pip install -e .
    python benchmarks/ab_builds.py /tmp/a.so python/fasttok/_core*.so \\
        --tokenizer cl100k --corpus code --size 8000 --threads 1

By default every call starts with the helper threads asleep (the 1.5 ms
pause). `--burst N` measures calls as `encode.py` makes them instead: each
build in turn makes N calls back to back (its helpers stay awake between
them), the first of the N not counted, and the report pairs the builds'
median call of each turn. (For one long text on two threads, 2026-12-03:
the helper started within 1 us of the caller's call when calls came back
to back.)

With `--threads 1` the process should also run on one core (`taskset -c 0`),
as `encode.py`'s one-thread cells do. The tokenizer.json comes from
`encode.py`'s sources, the documents from its `documents`.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import time
from pathlib import Path
from types import ModuleType

sys.path.insert(0, str(Path(__file__).resolve().parent))


def load(path: str) -> ModuleType:
    """The extension at `path` as a module of its own (its init function is
    `PyInit__core` whatever the file is called)."""
    spec = importlib.util.spec_from_file_location("_core", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"{path}: not a loadable extension")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("a", help="build A: a fasttok _core shared object")
    ap.add_argument("b", help="build B")
    ap.add_argument("--tokenizer", default="cl100k")
    ap.add_argument("--corpus", default="en")
    ap.add_argument("--size", type=int, default=8000, help="document size in bytes (default 8000)")
    ap.add_argument("--total", type=int, default=2_000_000, help="bytes of documents (default 2 MB)")
    ap.add_argument("--threads", type=int, default=None, help="FASTTOK_NUM_THREADS (default: all cores)")
    ap.add_argument("--seconds", type=float, default=20.0, help="how long to alternate (default 20)")
    ap.add_argument("--burst", type=int, default=1, help="calls per turn, back to back (default 1: one call, a pause)")
    args = ap.parse_args()
    if args.threads is not None:
        os.environ["FASTTOK_NUM_THREADS"] = str(args.threads)
    # numpy first, as encode.py's workers do, and a moment for OpenBLAS's
    # threads to go idle.
    import numpy  # noqa: F401

    time.sleep(0.3)
    import encode

    sources = encode.tokenizer_sources()
    if args.tokenizer not in sources:
        raise SystemExit(f"unknown tokenizer {args.tokenizer!r}; one of {', '.join(sorted(sources))}")
    docs = encode.documents(args.corpus, args.size, max(args.total, args.size))
    if not docs:
        raise SystemExit(f"corpus {args.corpus!r} not found")
    mb = sum(len(d.encode()) for d in docs) / 1e6
    toks = []
    for path in (args.a, args.b):
        t = load(path).Tokenizer.from_str(sources[args.tokenizer])
        t.set_padding(None)
        t.set_truncation(None)
        toks.append(t)
    (a_ids, a_starts), (b_ids, b_starts) = (t.encode_batch_ids(docs, False) for t in toks)
    if bytes(a_ids) != bytes(b_ids) or bytes(a_starts) != bytes(b_starts):
        raise SystemExit("the two builds give different ids on these documents")
    times: list[list[float]] = [[], []]
    stop = time.monotonic() + args.seconds
    p = 0
    while time.monotonic() < stop:
        # A different ending each pass, as in encode.py: no cache of whole
        # documents can answer.
        end = "\n" + format(p, "b").replace("0", " ").replace("1", "\n")
        for k in (0, 1) if p % 2 == 0 else (1, 0):
            turn = []
            for r in range(args.burst + (args.burst > 1)):
                texts = [d + end + " " * r for d in docs]
                t0 = time.perf_counter()
                toks[k].encode_batch_ids(texts, False)
                turn.append(time.perf_counter() - t0)
            # A burst's first call starts with the helpers asleep.
            times[k].append(statistics.median(turn[1:]) if args.burst > 1 else turn[0])
            # Past the millisecond a build's helper threads stay awake
            # after a batch: the other build's call gets both cores.
            time.sleep(0.0015)
        p += 1
    ratio = statistics.median(b / a for a, b in zip(*times, strict=True))
    print(
        f"{args.tokenizer} {args.corpus} {args.size} B, threads {args.threads or 'all'}, "
        f"burst {args.burst}, {p} pairs: "
        f"A {mb / min(times[0]):.1f} MB/s, B {mb / min(times[1]):.1f} MB/s "
        f"({'best passes' if args.burst == 1 else 'best turns, by their median call'}); "
        f"median B/A time {ratio:.3f}"
    )


if __name__ == "__main__":
    main()
