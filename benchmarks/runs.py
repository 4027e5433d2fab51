"""Time against length for texts of one repeated thing (issue 5: linear).

For each tokenizer and each kind of run (one char, spaces, newlines, one
emoji, digits, one CJK char), texts of 128 KiB to 2 MiB are encoded by
`encode` (an `Encoding`, offsets and all) and by `encode_batch_ids` (one
text), on one thread; the report gives the time per MiB at each length (best
of three) and the ratio of the longest's to the shortest's. Time linear in the
length keeps that ratio near 1; quadratic work would make it 16.
`tests/test_hostile.py` checks that such texts finish and agree between the two
calls; this measures how their time grows.

    python benchmarks/runs.py                    # writes its section of docs/benchmarks.md
    python benchmarks/runs.py --tokenizers cl100k --out /tmp/runs.md
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Callable, Dict, List

os.environ.setdefault("FASTTOK_NUM_THREADS", "1")

sys.path.insert(0, str(Path(__file__).resolve().parent))

import encode  # noqa: E402
from _report import replace_section, shown_args  # noqa: E402

RUNS: Dict[str, str] = {"char": "a", "spaces": " ", "newlines": "\n", "emoji": "🤗", "digits": "7", "cjk": "中"}
LENGTHS = [1 << 17, 1 << 19, 1 << 21]


def best(f: Callable[[], object], times: int = 3) -> float:
    out = float("inf")
    for _ in range(times):
        t0 = time.perf_counter()
        f()
        out = min(out, time.perf_counter() - t0)
    return out


def one(tok: object, call: str, text: str) -> Callable[[], object]:
    if call == "encode":
        return lambda: tok.encode(text, add_special_tokens=False)  # type: ignore[attr-defined]
    return lambda: tok.encode_batch_ids([text], add_special_tokens=False)  # type: ignore[attr-defined]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tokenizers", default=",".join(encode.TOKENIZERS))
    ap.add_argument("--out", default=str(encode.ROOT / "docs" / "benchmarks.md"))
    args = ap.parse_args()
    import fasttok

    sources = encode.tokenizer_sources()
    rows: List[tuple] = []
    for name in args.tokenizers.split(","):
        if name not in sources:
            continue
        tok = fasttok.Tokenizer.from_str(sources[name])
        tok.no_padding()
        tok.no_truncation()
        for kind, unit in RUNS.items():
            per_mib = {}
            for call in ("encode", "ids"):
                for n in LENGTHS:
                    text = unit * (n // len(unit.encode()))
                    t = best(one(tok, call, text))
                    per_mib[(call, n)] = t / (len(text.encode()) / (1 << 20))
            rows.append((name, kind, per_mib))
            print(name, kind, {f"{c} {n >> 10} KiB": round(v * 1e3, 2) for (c, n), v in per_mib.items()}, flush=True)
    write_report(rows, Path(args.out))


def write_report(rows: List[tuple], out: Path) -> None:
    lo, hi = LENGTHS[0], LENGTHS[-1]
    sizes = " / ".join(f"{n >> 10} KiB" for n in LENGTHS)
    lines = [
        "### Texts of one repeated thing (`benchmarks/runs.py`)",
        "",
        f"`python benchmarks/runs.py{shown_args()}`, "
        f"{time.strftime('%Y-%m-%d')}, one thread, milliseconds per MiB (best of three) for one text of each "
        f"length ({sizes}), by `encode` and by `encode_batch_ids`; the ratio is the {hi >> 10} KiB text's time "
        f"per MiB over the {lo >> 10} KiB one's: 1 when the time is linear in the length, "
        f"{hi // lo} if it were quadratic.",
        "",
        f"| tokenizer | run | encode, ms/MiB ({sizes}) | ratio | ids, ms/MiB ({sizes}) | ratio |",
        "|---|---|---|---:|---|---:|",
    ]
    for name, kind, v in rows:
        cells = []
        for call in ("encode", "ids"):
            cells.append(" / ".join(f"{v[(call, n)] * 1e3:.1f}" for n in LENGTHS))
            cells.append(f"{v[(call, hi)] / v[(call, lo)]:.2f}")
        lines.append(f"| {name} | {kind} | " + " | ".join(cells) + " |")
    replace_section(out, "runs", lines)


if __name__ == "__main__":
    main()
