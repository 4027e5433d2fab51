"""docs/benchmarks.md holds one section per benchmark script, each between
`<!-- NAME:start -->` and `<!-- NAME:end -->`; a script rewrites only its own."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List


def replace_section(path: Path, name: str, lines: List[str]) -> None:
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    body = "\n".join([start, *lines, end])
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if start in text and end in text:
        head, rest = text.split(start, 1)
        tail = rest.split(end, 1)[1]
        text = head + body + tail
    else:
        text = text.rstrip("\n") + "\n\n" + body + "\n"
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path} ({name})")


def shown_args() -> str:
    """This run's command-line arguments but `--out`, each after a space, for a report to show how it was made."""
    shown, skip = [], False
    for a in sys.argv[1:]:
        if skip:
            skip = False
        elif a == "--out":
            skip = True
        elif not a.startswith("--out="):
            shown.append(a)
    return "".join(f" {a}" for a in shown)
