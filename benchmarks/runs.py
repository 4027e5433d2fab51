"""Time against length for texts of one repeated thing (issue 5: linear).

For each tokenizer and each kind of run (one char, spaces, newlines, one
emoji, digits, one CJK char), texts of 128 KiB to 2 MiB are encoded by
`encode` (an `Encoding`, offsets and all) and by `encode_batch_ids` (one
text), on one thread, at 128 KiB, 1 MiB, 8 MiB and 32 MiB; the report gives
the time per MiB at each length (best of three) and two ratios of time per
MiB: 8 MiB over 128 KiB, and 32 MiB over 8 MiB. Time linear in the length
keeps them near 1; quadratic work would make them 64 and 4. The first also
holds the step from working sets that fit the caches to ones that do not (a
128 KiB run of one letter merges in about 2 MiB of state, an 8 MiB one in
128 MiB, in fresh pages the kernel must fault in); past it, the second is the
algorithm's own growth.
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
LENGTHS = [1 << 17, 1 << 20, 1 << 23, 1 << 25]
# The ratios: (longer, shorter) lengths.
RATIOS = [(1 << 23, 1 << 17), (1 << 25, 1 << 23)]


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
    sizes = " / ".join(f"{n >> 10} KiB" for n in LENGTHS)
    ratios = " | ".join(f"{hi >> 10} / {lo >> 10} KiB" for hi, lo in RATIOS)
    aligns = "---:|" * len(RATIOS)
    lines = [
        "### Texts of one repeated thing (`benchmarks/runs.py`)",
        "",
        f"`python benchmarks/runs.py{shown_args()}`, "
        f"{time.strftime('%Y-%m-%d')}, one thread, milliseconds per MiB (best of three) for one text of each "
        f"length ({sizes}), by `encode` and by `encode_batch_ids`; each ratio is one length's time per MiB over "
        "another's: 1 when the time is linear in the length, the ratio of the lengths if it were quadratic. "
        "The first ratio also holds the step from state that fits the caches to state that does not; "
        "the second is past it.",
        "",
        f"| tokenizer | run | encode, ms/MiB ({sizes}) | {ratios} | ids, ms/MiB ({sizes}) | {ratios} |",
        f"|---|---|---|{aligns}---|{aligns}",
    ]
    for name, kind, v in rows:
        cells = []
        for call in ("encode", "ids"):
            cells.append(" / ".join(f"{v[(call, n)] * 1e3:.1f}" for n in LENGTHS))
            cells += [f"{v[(call, hi)] / v[(call, lo)]:.2f}" for hi, lo in RATIOS]
        lines.append(f"| {name} | {kind} | " + " | ".join(cells) + " |")
    replace_section(out, "runs", lines)


if __name__ == "__main__":
    main()
