"""The `fasttok` command, run as a user would: through a subprocess."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any, List

import pytest

from conftest import ROOT

BERT = str(ROOT / "data" / "vocab" / "bert-base-uncased" / "tokenizer.json")
SAMPLE = str(ROOT / "data" / "sample" / "kjv-genesis.txt")


def run(args: List[str], stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "fasttok.cli", *args], input=stdin, capture_output=True, text=True, timeout=300
    )


def test_encode_decode_round_trip(tmp_path: Any) -> None:
    r = run(["encode", "-t", BERT, "-"], stdin="Hello, world!\nsecond line\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0] == "7592 1010 2088 999"
    d = run(["decode", "-t", BERT, "-"], stdin=r.stdout)
    assert d.returncode == 0
    assert d.stdout.splitlines() == ["hello, world!", "second line"]


def test_encode_formats() -> None:
    r = run(["encode", "-t", BERT, "--format", "tokens", "--add-special-tokens"], stdin="Hi there\n")
    assert r.stdout.split()[:2] == ["[CLS]", "hi"]
    r = run(["encode", "-t", BERT, "--format", "jsonl"], stdin="Hi\n")
    assert '"offsets": [[0, 2]]' in r.stdout


def test_info() -> None:
    r = run(["info", BERT])
    assert r.returncode == 0
    assert "WordPiece" in r.stdout and "[CLS]" in r.stdout


def test_show() -> None:
    r = run(["show", "-t", BERT, "--color", "never", "Hello, world!"])
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "[Hello][,] [world][!]"
    assert lines[1] == "4 tokens"
    assert "7592" in lines[2] and "0-5" in lines[2]
    c = run(["show", "-t", BERT, "--color", "always", "Hi"])
    assert "\x1b[" in c.stdout


def test_parity_on_sample() -> None:
    pytest.importorskip("tokenizers")
    r = run(["parity", "-t", BERT, SAMPLE])
    assert r.returncode == 0, r.stdout[-2000:]
    assert "0 divergences" in r.stdout


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["encode", "-t", "missing.json", "-"], 1, "missing.json"),
        (["encode", "-t", BERT, "missing.txt"], 1, "missing.txt"),
        (["decode", "-t", BERT, "-"], 1, "line 1"),
        (["info", SAMPLE], 1, "kjv-genesis.txt"),
        (["frobnicate"], 2, "invalid choice"),
        (["encode"], 2, "required"),
        (["show", "-t", "missing.json", "x"], 1, "missing.json"),
    ],
)
def test_failures_are_one_clear_line(args: List[str], code: int, message: str, tmp_path: Path) -> None:
    r = run(args, stdin="not ids\n")
    assert r.returncode == code
    assert message in r.stderr
    assert "Traceback" not in r.stderr
