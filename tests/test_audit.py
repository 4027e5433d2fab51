"""The offline dependency audit CI runs (rust/audit_deps.py)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

from conftest import ROOT

spec = importlib.util.spec_from_file_location("audit_deps", ROOT / "rust" / "audit_deps.py")
assert spec is not None and spec.loader is not None
audit = importlib.util.module_from_spec(spec)
spec.loader.exec_module(audit)


def test_licence_expressions() -> None:
    assert audit.licence_ok("MIT OR Apache-2.0")
    assert audit.licence_ok("MIT/Apache-2.0")
    assert audit.licence_ok("(MIT OR Apache-2.0) AND Unicode-3.0")
    assert audit.licence_ok("Apache-2.0 WITH LLVM-exception OR MIT")
    assert not audit.licence_ok("GPL-3.0-only")
    assert not audit.licence_ok("MIT AND GPL-2.0")
    assert audit.licence_ok("GPL-2.0 OR MIT")


def test_the_build_passes_the_audit() -> None:
    r = subprocess.run([sys.executable, str(ROOT / "rust" / "audit_deps.py")], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "crates (with the python feature), all checked" in r.stdout
