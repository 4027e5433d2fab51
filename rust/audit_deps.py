"""Offline dependency audit, run by CI: every crate in the build comes from
crates.io (or is fasttok itself), under a licence on the allow-list, and the
same crate in two versions is reported. It reads `cargo metadata` (the
Cargo.lock and the registry cache; no network).

    python rust/audit_deps.py

The advisory check (RustSec) needs its database from GitHub, which these
machines cannot reach; `cargo deny check` with rust/deny.toml runs it where
the network allows (docs/reliability.md).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Dict, List, Set

ROOT = Path(__file__).resolve().parent.parent

ALLOWED = {
    "MIT",
    "Apache-2.0",
    "Apache-2.0 WITH LLVM-exception",
    "BSD-2-Clause",
    "BSD-3-Clause",
    "ISC",
    "Zlib",
    "Unicode-3.0",
    "Unicode-DFS-2016",
    "Unlicense",
    "0BSD",
    "BSL-1.0",
    "CC0-1.0",
    "MPL-2.0",
}
CRATES_IO = "registry+https://github.com/rust-lang/crates.io-index"


def licence_ok(expr: str) -> bool:
    """An SPDX expression is allowed when some OR-branch has only allowed
    licences (AND). `MIT/Apache-2.0` is the old spelling of OR."""
    expr = expr.replace("/", " OR ").replace("(", " ").replace(")", " ")
    for branch in re.split(r"\s+OR\s+", expr):
        terms = [t.strip() for t in re.split(r"\s+AND\s+", branch) if t.strip()]
        if terms and all(t in ALLOWED for t in terms):
            return True
    return False


def main() -> int:
    meta = json.loads(
        subprocess.run(
            ["cargo", "metadata", "--format-version", "1", "--locked", "--features", "python"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    resolved: Set[str] = {n["id"] for n in meta["resolve"]["nodes"]}
    problems: List[str] = []
    versions: Dict[str, List[str]] = defaultdict(list)
    count = 0
    for pkg in meta["packages"]:
        if pkg["id"] not in resolved:
            continue
        count += 1
        name, version = pkg["name"], pkg["version"]
        versions[name].append(version)
        source = pkg.get("source")
        if source is None:
            if name != "fasttok":
                problems.append(f"{name} {version}: a path dependency that is not fasttok")
            continue
        if source != CRATES_IO:
            problems.append(f"{name} {version}: from {source}, not crates.io")
        lic = pkg.get("license")
        if not lic:
            problems.append(f"{name} {version}: no SPDX licence (license-file: {pkg.get('license_file')})")
        elif not licence_ok(lic):
            problems.append(f"{name} {version}: licence {lic!r} is not on the allow-list")
    dups = {n: v for n, v in versions.items() if len(v) > 1}
    print(f"{count} crates (with the python feature), all checked")
    for n, v in sorted(dups.items()):
        print(f"note: {n} in {len(v)} versions: {', '.join(sorted(v))}")
    for p in problems:
        print(f"error: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
