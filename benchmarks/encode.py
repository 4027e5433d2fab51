"""Encode throughput of fasttok and its peers, side by side.

Each (library, tokenizer, corpus, document size, threads) cell runs in its
own process on the same documents. Before any timing, every library's ids
are checked against Hugging Face `tokenizers`; a cell whose ids differ is
reported as such and not timed. Single-thread cells run pinned to one core
(`taskset`), so that a library's own helper threads cannot count as one
thread.

    python benchmarks/encode.py                       # everything found, writes docs/benchmarks.md
    python benchmarks/encode.py --sizes 8000 --quick  # one size, fewer and smaller runs
    python benchmarks/encode.py --tokenizers cl100k --corpora en

Data: FASTTOK_DATA or ../shared/data (see DATA.md); the project's own
data/ holds BERT and GPT-2 and a small sample corpus.
"""

from __future__ import annotations

import argparse
import json
import lzma
import os
import platform
import shutil
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
    """Consecutive documents of about doc_bytes from the start of a corpus,
    each ending after a line break (or, for short ones, after a space)."""
    p = find_data(f"corpus/{corpus}.txt.xz")
    if p is None:
        return []
    with lzma.open(p, "rt", encoding="utf-8", errors="replace") as f:
        text = f.read(total_bytes)
    ends = "\n" if doc_bytes >= 1000 else " \n"
    docs, start = [], 0
    while True:
        at = len(text[start : start + doc_bytes].encode()[:doc_bytes].decode("utf-8", "ignore")) + start
        cut = min((i for i in (text.find(c, at) for c in ends) if i >= 0), default=-1)
        if cut < 0:
            break
        docs.append(text[start : cut + 1])
        start = cut + 1
    return docs


WORKER = r"""
import json, os, sys, time
# Every worker imports numpy first, as pipelines do, and lets OpenBLAS's
# threads (which spin for a moment after numpy's import) go idle, so that
# they take no core from the library measured.
import numpy
time.sleep(0.3)
lib, src_path, docs_path, repeat = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
docs = json.load(open(docs_path, encoding="utf-8"))
src = open(src_path, encoding="utf-8").read()
threads = os.environ.get("FASTTOK_NUM_THREADS")
if lib.startswith("tiktoken:"):
    # TIKTOKEN_RUN
    ids = run(docs)
elif lib == "tokie":
    # tokie's batch call with flat output (the closest to fasttok's flat ids).
    import tokie
    t = tokie.Tokenizer.from_json(src_path)
    run = lambda docs: t.encode_batch_flat(docs, add_special_tokens=False)
    flat, counts = run(docs)
    ids, at = [], 0
    for c in counts.tolist():
        ids.append(flat[at:at + c].tolist())
        at += c
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
# Each timed pass sees the documents with a different ending (a line break,
# then pass r's number in binary as spaces and line breaks), so that no
# library can answer from a cache of whole documents; a pass's time is
# scaled to the documents' own bytes. At least `repeat` passes, and more
# (up to 200) until the passes have taken a second: the best of a few
# millisecond-long passes moves with the machine's noise (one fast cell
# varied by 10% between runs).
size = sum(len(d.encode()) for d in docs)
best, spent, r = float("inf"), 0.0, 0
while r < repeat or (spent < 1.0 and r < 200):
    end = "\n" + format(r, "b").replace("0", " ").replace("1", "\n")
    variant = [d + end for d in docs]
    t0 = time.perf_counter()
    run(variant)
    dt = time.perf_counter() - t0
    best = min(best, dt * size / (size + len(end) * len(docs)))
    spent, r = spent + dt, r + 1
json.dump({"seconds": best, "ids": ids}, sys.stdout)
"""

# How a worker (here and in scaling.py) runs tiktoken, given `lib`
# ("tiktoken:<encoding>") and `threads`: one text at a time on one thread,
# else its own threaded batch call.
TIKTOKEN_RUN = """
import tiktoken
enc = tiktoken.get_encoding(lib.split(":", 1)[1])
if threads == "1":
    run = lambda docs: [enc.encode_ordinary(d) for d in docs]
else:
    run = lambda docs: enc.encode_ordinary_batch(docs, num_threads=os.cpu_count())
"""


def with_tiktoken(worker: str) -> str:
    """`worker` with its line `    # TIKTOKEN_RUN` (in an `if`, indented once) replaced by `TIKTOKEN_RUN`."""
    import textwrap

    return worker.replace("    # TIKTOKEN_RUN\n", textwrap.indent(TIKTOKEN_RUN.lstrip("\n"), "    "))


WORKER = with_tiktoken(WORKER)

# Other peers for each tokenizer (each tried; one that fails or differs is reported so).
PEERS = {
    "cl100k": ["quicktok:cl100k_base", "bpe-openai:cl100k_base", "kitoken", "gigatoken", "tokie"],
    "o200k": ["quicktok:o200k_base", "bpe-openai:o200k_base", "kitoken", "gigatoken", "tokie"],
    "llama3": ["quicktok:llama3", "kitoken", "gigatoken", "tokie"],
    "gpt2": ["kitoken", "gigatoken", "tokie"],
    "bert-base-uncased": ["kitoken", "gigatoken", "tokie"],
    "llama2": ["kitoken", "gigatoken", "tokie"],
    "pegasus-unigram": ["kitoken", "gigatoken", "tokie"],
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


def cpu_times(cpu: str) -> Optional[tuple]:
    """(steal, total) jiffies of `cpu` ("cpu" for all, "cpu0" for the first) from
    /proc/stat, None where there is none."""
    try:
        with open("/proc/stat", encoding="ascii") as f:
            for line in f:
                name, *fields = line.split()
                if name == cpu:
                    ticks = [int(x) for x in fields[:8]]
                    return ticks[7], sum(ticks)
    except (OSError, ValueError, IndexError):
        pass
    return None


def worker_env(threads: Optional[int]) -> Dict[str, str]:
    """The environment of a worker process (here and in scaling.py): tiktoken's rank files
    from `CACHE`, and every library's thread count set to `threads` (None: their own)."""
    env = dict(os.environ)
    env.setdefault("TIKTOKEN_CACHE_DIR", CACHE[0])
    if threads is not None:
        env.update(FASTTOK_NUM_THREADS=str(threads), RAYON_NUM_THREADS=str(threads), RAYON_RS_NUM_CPUS=str(threads))
        if threads == 1:
            env["TOKENIZERS_PARALLELISM"] = "false"
    return env


def pinned(cmd: List[str], core: int) -> List[str]:
    """`cmd` run on `core` alone, where `taskset` is found (else as it is)."""
    return ["taskset", "-c", str(core), *cmd] if shutil.which("taskset") else cmd


def run_cell(lib: str, src_path: Path, docs_path: Path, threads: Optional[int], repeat: int) -> Dict:
    env = worker_env(threads)
    cmd = [sys.executable, "-c", WORKER, lib, str(src_path), str(docs_path), str(repeat)]
    if threads == 1:
        cmd = pinned(cmd, 0)
    cpu = "cpu0" if threads == 1 and cmd[0] == "taskset" else "cpu"
    before = cpu_times(cpu)
    r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    after = cpu_times(cpu)
    if r.returncode != 0:
        return {"error": (r.stderr.strip().splitlines() or ["failed"])[-1][:120]}
    out = json.loads(r.stdout)
    if before and after and after[1] > before[1]:
        # The share of the cores' time the host took while this worker ran.
        out["steal_pct"] = 100 * (after[0] - before[0]) / (after[1] - before[1])
    return out


def size_label(n: int) -> str:
    return f"{n // 1_000_000} MB" if n >= 1_000_000 else f"{n // 1000} KB" if n >= 1000 else f"{n} B"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="1 MB per corpus, 2 timed passes (else 5)")
    ap.add_argument("--sizes", default="100,8000,1000000", help="document sizes in bytes, comma-separated")
    ap.add_argument("--total", type=int, default=2_000_000, help="bytes per corpus (default 2 MB)")
    ap.add_argument("--tokenizers", default=",".join(TOKENIZERS))
    ap.add_argument("--corpora", default=",".join(CORPORA))
    ap.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"))
    ap.add_argument(
        "--rounds",
        type=int,
        default=2,
        help="rounds of the contenders' cells, both thread counts in turn (default 2; see READING)",
    )
    ap.add_argument(
        "--recheck",
        type=int,
        default=1,
        help="times the cells that miss a target are measured again at the end (default 1; see READING)",
    )
    ap.add_argument(
        "--rows",
        help="an earlier run's rows (its JSON lines on stdout): recheck and report them instead of a new run",
    )
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    total = 1_000_000 if args.quick else args.total
    repeat = 2 if args.quick else 5
    sources = tokenizer_sources()
    if "gpt2" not in sources and gpt2_tokenizer_json():
        sources["gpt2"] = gpt2_tokenizer_json() or ""
    CACHE.append(tiktoken_cache())
    tmp = ROOT / "target" / "bench"
    tmp.mkdir(parents=True, exist_ok=True)

    def corpus_docs(corpus: str, size: int) -> Optional[tuple]:
        """The corpus's documents written for the workers: (path, MB), None if not found."""
        docs = documents(corpus, size, max(total, size))
        if not docs:
            return None
        docs_path = tmp / f"{corpus}.json"
        docs_path.write_text(json.dumps(docs), encoding="utf-8")
        return docs_path, sum(len(d.encode()) for d in docs) / 1e6

    def run(name: str, corpus: str, size: int, docs: tuple, only: Optional[set] = None) -> List[Dict]:
        """One cell on `docs` (from `corpus_docs`), both thread counts, `--rounds` rounds
        (of the libraries in `only`, if given: see `measure`)."""
        docs_path, mb = docs
        if name not in sources:
            return []
        src_path = tmp / f"{name}.json"
        src_path.write_text(sources[name], encoding="utf-8")
        cells = {t: measure(name, t, src_path, docs_path, repeat, only) for t in THREADS}
        for _ in range(1, args.rounds):
            for t in THREADS:
                again(cells[t], mb, src_path, docs_path, t, repeat)
        return [row(name, corpus, size, t, mb, cells[t]) for t in THREADS]

    rows: List[Dict] = []
    if args.rows:
        # The last row of each cell and thread count (a recheck prints its cell again).
        last = {}
        for line in Path(args.rows).read_text(encoding="utf-8").splitlines():
            if line.strip():
                r = json.loads(line)
                r.pop("rechecked", None)
                last[(*cell_key(r), r["threads"])] = r
        rows = list(last.values())
    else:
        for size in sizes:
            for corpus in args.corpora.split(","):
                docs = corpus_docs(corpus, size)
                if docs is None:
                    print(f"corpus {corpus}: not found, skipped", file=sys.stderr)
                    continue
                for name in args.tokenizers.split(","):
                    for r in run(name, corpus, size, docs):
                        rows.append(r)
                        print(json.dumps(r), flush=True)
    for _ in range(args.recheck):
        for key in sorted({cell_key(r) for r in rows if misses(rows, cell_key(r))}):
            docs = corpus_docs(key[2], key[0])
            if docs is None:
                continue
            only = contenders([r for r in rows if cell_key(r) == key])
            again_rows = {r["threads"]: r for r in run(key[1], key[2], key[0], docs, only)}
            if any(r["MB"] != again_rows.get(r["threads"], r)["MB"] for r in rows if cell_key(r) == key):
                print(f"recheck of {key}: other documents than the rows' (--total?), not merged", file=sys.stderr)
                continue
            rows = [
                merge(r, again_rows[r["threads"]], only) if cell_key(r) == key and r["threads"] in again_rows else r
                for r in rows
            ]
            for r in rows:
                if cell_key(r) == key:
                    print(json.dumps({**r, "rechecked": True}), flush=True)
    write_report(rows, Path(args.out))


def cell_key(r: Dict) -> tuple:
    return (r["size"], r["tokenizer"], r["corpus"])


def misses(rows: List[Dict], key: tuple) -> bool:
    """Whether the cell `key` misses one of issue 5's targets: one thread behind the best
    exact peer or under 20x `tokenizers`, or all threads under 1.8x one thread."""
    cell = {r["threads"]: r for r in rows if cell_key(r) == key}
    one = cell.get("1")
    if one is None or one.get("fasttok_ids_mbs") is None:
        return False  # differs: another run cannot change that
    ids = one["fasttok_ids_mbs"]
    if (one.get("best_peer_mbs") or 0) > ids or ids < 20 * one["tokenizers_mbs"]:
        return True
    return any((r.get("fasttok_ids_mbs") or 0) < 1.8 * ids for t, r in cell.items() if t != "1")


def contenders(cell: List[Dict]) -> set:
    """The libraries that can decide a cell's targets (its rows, both thread counts):
    fasttok's flat ids and every exact peer at least half as fast in either row."""
    only = {"fasttok-ids"}
    for r in cell:
        floor = (r.get("fasttok_ids_mbs") or 0) / 2
        only |= {lib for lib, v in r.get("peers", {}).items() if isinstance(v, float) and v >= floor}
    return only


def merge(old: Dict, new: Dict, measured: set) -> Dict:
    """A cell's row from two measurements, the second of the libraries in `measured` (and
    `tokenizers`): each library's better speed, and "differs" or "error" if either
    measurement says so."""
    out = dict(old)
    for key, lib in (("tokenizers_mbs", "tokenizers"), ("fasttok_mbs", "fasttok"), ("fasttok_ids_mbs", "fasttok-ids")):
        if lib != "tokenizers" and lib not in measured:
            continue
        a, b = old.get(key), new.get(key)
        out[key] = None if a is None or b is None else max(a, b)
        if lib == "fasttok-ids" and a is not None and b is not None and b > a:
            out["steal_pct"] = new.get("steal_pct")
    peers: Dict[str, object] = {}
    for lib, a in old.get("peers", {}).items():
        b = new.get("peers", {}).get(lib, a) if lib in measured else a
        # A status ("differs", "error") wins over a speed; else the better speed.
        peers[lib] = a if not isinstance(a, float) else b if not isinstance(b, float) else max(a, b)
    out["peers"] = peers
    exact = [v for v in peers.values() if isinstance(v, float)]
    out["best_peer_mbs"] = max(exact) if exact else None
    out["identical"] = bool(old.get("identical")) and bool(new.get("identical"))
    return out


THREADS = (1, None)


def measure(
    name: str, threads: Optional[int], src_path: Path, docs_path: Path, repeat: int, only: Optional[set] = None
) -> Dict[str, Dict]:
    """Every library's cell once (or those named in `only`, by the name their rows give
    them, and `tokenizers`, the reference): lib -> its worker's result."""
    libs = ["tokenizers", "fasttok", "fasttok-ids"]
    if name in TIKTOKEN:
        libs.append(f"tiktoken:{TIKTOKEN[name]}")
    libs += PEERS.get(name, [])
    if only is not None:
        libs = [lib for lib in libs if lib == "tokenizers" or lib.split(":")[0] in only]
    return {lib: run_cell(lib, src_path, docs_path, threads, repeat) for lib in libs}


def exact(res: Dict[str, Dict], lib: str) -> bool:
    return lib in res and "seconds" in res[lib] and res[lib].get("ids") == res["tokenizers"]["ids"]


def again(
    res: Dict[str, Dict], mb: float, src_path: Path, docs_path: Path, threads: Optional[int], repeat: int
) -> None:
    """Another round of the contenders' cells, keeping each one's best time: fasttok's
    flat ids and every exact peer at least half as fast as it (the only ones that can
    decide a ratio; `tokenizers` and the far slower peers keep their one round)."""
    if not exact(res, "fasttok-ids"):
        return
    floor = mb / res["fasttok-ids"]["seconds"] / 2
    for lib in [x for x in res if x != "tokenizers" and exact(res, x) and mb / res[x]["seconds"] >= floor]:
        r = run_cell(lib, src_path, docs_path, threads, repeat)
        if r.get("ids") == res["tokenizers"]["ids"] and r["seconds"] < res[lib]["seconds"]:
            res[lib]["seconds"] = r["seconds"]
            res[lib]["steal_pct"] = r.get("steal_pct")


def row(name: str, corpus: str, size: int, threads: Optional[int], mb: float, res: Dict[str, Dict]) -> Dict:
    libs = list(res)

    def speed(lib: str) -> Optional[float]:
        if not exact(res, lib):
            return None  # differs, failed or absent: not timed
        return mb / res[lib]["seconds"]

    peers: Dict[str, object] = {}
    for lib in [x for x in libs if x.startswith("tiktoken:")] + [x for x in PEERS.get(name, []) if x in res]:
        v = speed(lib)
        peers[lib.split(":")[0]] = round(v, 2) if v is not None else ("error" if "error" in res[lib] else "differs")
    exact_peers = [v for v in peers.values() if isinstance(v, float)]
    ref = res["tokenizers"]["ids"]
    return {
        "tokenizer": name,
        "corpus": corpus,
        "size": size,
        "threads": "1" if threads == 1 else f"all ({os.cpu_count()})",
        "MB": round(mb, 2),
        "identical": all(res[lib].get("ids") == ref for lib in ("fasttok", "fasttok-ids") if lib in res),
        "tokenizers_mbs": mb / res["tokenizers"]["seconds"],
        "fasttok_mbs": speed("fasttok"),
        "fasttok_ids_mbs": speed("fasttok-ids"),
        "best_peer_mbs": max(exact_peers) if exact_peers else None,
        "peers": peers,
        "steal_pct": res["fasttok-ids"].get("steal_pct") if "fasttok-ids" in res else None,
    }


READING = """### Reading the encoding numbers

- Flat ids (`encode_batch_ids`) is the path for bulk tokenization (training data,
  `fasttok encode --format bin`, the tiktoken API): pre-tokenizers that only cut the text
  run on plain string slices (hand-written matchers for the GPT-2, cl100k/Llama-3 and
  o200k split patterns, each checked against Oniguruma on every code point's class and
  on random text), normalizers as plain string operations where they are char-local, and
  ids come from a per-thread cache keyed by the raw word (words of up to 15 bytes packed
  in one 128-bit key, up to three ids held inline), with no `NormalizedString`, no
  `Encoding` and no Python object per token.
- `encode_batch` builds everything an `Encoding` holds (offsets, tokens, masks).
- Metaspace (Unigram, Mistral) is a step of the plain splitter too; Llama-2's one BPE
  word per document (no pre-tokenizer) is cut before each `▁` and around the ASCII chars
  no merge can join (`\\n`, `\\t`: checked on the vocabulary and merges at load), so the
  id cache applies to it as well.
- Each timed pass encodes the documents with a different ending (a few spaces and line
  breaks, its time scaled to the documents' own bytes), so a cache of whole documents
  cannot answer (gigatoken keeps one: on repeated documents it reports several times
  its cold speed). Every library keeps its word
  caches warm across passes: the numbers are steady-state throughput. A cell's time is
  its best pass: of 5 (2 with `--quick`), or of as many as fit in one second of timed
  passes when they are short (at most 200), the same rule for every library. Then a
  second round (`--rounds`): each thread count in turn, fasttok's flat ids and every
  exact peer at least half as fast run again, each keeping its better time (this VM's
  speed drifts by 10-20% over seconds: with one round, fasttok's 2-thread over 1-thread
  ratio moved between 1.33x and 1.99x on the same build; `tokenizers` and the slower
  peers keep their one round). Last (`--recheck`), each cell that misses a target (one
  thread behind the best exact peer or under 20x `tokenizers`, all threads under 1.8x one)
  is measured once more at the end of the run, when the machine's load is another:
  `tokenizers`, fasttok's flat ids and every exact peer at least half as fast, each
  keeping its better speed of the two (a library that differed or failed in either
  measurement stays so).
- Peers: tiktoken `encode_ordinary` per document (one thread) or `encode_ordinary_batch`
  (all); quicktok-v1, bpe-openai, kitoken and gigatoken one document at a time through
  their per-text call; tokie through `encode_batch_flat` (its flat batch call), loaded
  from the same tokenizer.json. "differs" means its ids are not `tokenizers`' on these
  documents (so it is not timed), "error" that it cannot load or run this tokenizer.
- Every worker imports numpy and waits 0.3 s before it starts (OpenBLAS's threads spin
  for about 0.1 s after numpy's import and would take a core from the all-threads cells).
- One thread means one core: those cells run under `taskset -c 0` with the thread
  variables set to 1, so that a library's helper threads share the same core.
- "steal" is the share of CPU time the hypervisor gave to other guests while fasttok's
  flat-ids worker ran (the worker whose time counts; core 0 in one-thread cells, both
  cores otherwise), from /proc/stat. Idle, this VM shows about 0.1%; a cell with a few
  percent or more was measured on a loaded host and its ratios are less certain."""


def write_report(rows: List[Dict], out: Path) -> None:
    import tokenizers

    import fasttok

    lines = [
        "## Encoding",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} by `python benchmarks/encode.py` on {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}; fasttok {fasttok.__version__}, "
        f"tokenizers {tokenizers.__version__}.",
        "Documents cut from the start of each shared corpus at the size given, no special tokens, ids "
        "returned to Python; best of several passes; each library in its own process. Every output was "
        "checked id for id against `tokenizers` before its time counts. MB/s of UTF-8 input, higher is "
        'better. "best peer" is the fastest peer other than `tokenizers` whose ids are identical.',
        "",
    ]
    groups = sorted({(r["size"], r["threads"]) for r in rows}, key=lambda g: (g[0], g[1] != "1"))
    for size, threads in groups:
        lines += [
            f"### Documents of about {size_label(size)}, threads: {threads}",
            "",
            "| tokenizer | corpus | tokenizers | fasttok `encode_batch` | fasttok flat ids | "
            "flat ids / tokenizers | best peer | flat ids / best peer | steal | peers (MB/s) |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
        ]

        def cell(v: Optional[float]) -> str:
            return "differs" if v is None else f"{v:.1f}"

        for r in rows:
            if (r["size"], r["threads"]) != (size, threads):
                continue
            ids, best = r.get("fasttok_ids_mbs"), r.get("best_peer_mbs")
            vs_hf = "-" if ids is None else f"{ids / r['tokenizers_mbs']:.1f}x"
            vs_best = "-" if ids is None or best is None else f"{ids / best:.2f}x"
            steal = "-" if r.get("steal_pct") is None else f"{r['steal_pct']:.1f}%"
            lines.append(
                f"| {r['tokenizer']} | {r['corpus']} | {r['tokenizers_mbs']:.1f} | {cell(r['fasttok_mbs'])} | "
                f"{cell(ids)} | {vs_hf} | {'-' if best is None else f'{best:.1f}'} | {vs_best} | "
                f"{steal} | " + ", ".join(f"{k} {v}" for k, v in r.get("peers", {}).items()) + " |"
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

    groups = sorted({(r["size"], r["threads"]) for r in rows}, key=lambda g: (g[0], g[1] != "1"))
    fig, axes = plt.subplots(len(groups), 1, figsize=(14, 4.5 * len(groups)), squeeze=False)
    series = [
        ("tokenizers", "tokenizers_mbs"),
        ("best exact peer", "best_peer_mbs"),
        ("fasttok encode_batch", "fasttok_mbs"),
        ("fasttok flat ids", "fasttok_ids_mbs"),
    ]
    for ax, (size, threads) in zip(axes[:, 0], groups, strict=False):
        sub = [r for r in rows if (r["size"], r["threads"]) == (size, threads)]
        xs = range(len(sub))
        for k, (label, key) in enumerate(series):
            ax.bar([x - 0.3 + 0.2 * k for x in xs], [r.get(key) or 0 for r in sub], width=0.2, label=label)
        ax.set_xticks(list(xs))
        ax.set_xticklabels([f"{r['tokenizer']}\n{r['corpus']}" for r in sub], rotation=70, fontsize=7)
        ax.set_yscale("log")
        ax.set_ylabel("MB/s (log)")
        ax.set_title(f"documents of about {size_label(size)}, threads: {threads}")
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)


if __name__ == "__main__":
    main()
