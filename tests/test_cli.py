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


# ---- train ------------------------------------------------------------------


def _train_corpus(tmp_path: Path) -> Path:
    """The shared English corpus's first 5 MB when present, else the bundled sample."""
    from conftest import find_data

    src = find_data("corpus/en.txt.xz")
    if src is None:
        return Path(SAMPLE)
    import lzma

    out = tmp_path / "en5.txt"
    with lzma.open(src, "rb") as f:
        data = f.read(5_000_000)
    out.write_bytes(data[: data.rfind(b"\n") + 1])
    return out


@pytest.mark.parametrize("model", ["bpe", "wordpiece", "wordlevel", "unigram"])
def test_train_gives_a_tokenizer_both_libraries_agree_on(model: str, tmp_path: Path) -> None:
    hf = pytest.importorskip("tokenizers")
    corpus = _train_corpus(tmp_path)
    out = tmp_path / f"{model}.json"
    r = run(["train", "--model", model, "--vocab-size", "8000", "-o", str(out), str(corpus)])
    assert r.returncode == 0, r.stderr
    assert f"-> {out}" in r.stderr
    ours = fasttok_tokenizer(out)
    ref = hf.Tokenizer.from_file(str(out))
    assert ours.get_vocab() == ref.get_vocab()
    lines = Path(SAMPLE).read_text(encoding="utf-8").splitlines()[:300]
    for line in lines:
        assert ours.encode(line).ids == ref.encode(line).ids
        assert ours.encode(line).offsets == ref.encode(line).offsets
    p = run(["parity", "-t", str(out), SAMPLE])
    assert p.returncode == 0, p.stdout[-2000:]


def fasttok_tokenizer(path: Path) -> Any:
    import fasttok

    return fasttok.Tokenizer.from_file(str(path))


def test_train_reads_compressed_jsonl_and_stdin(tmp_path: Path) -> None:
    import gzip
    import json as js
    import lzma

    text = Path(SAMPLE).read_bytes()
    plain = tmp_path / "plain.json"
    assert run(["train", "-q", "--vocab-size", "3000", "-o", str(plain), SAMPLE]).returncode == 0
    (tmp_path / "c.txt.gz").write_bytes(gzip.compress(text))
    (tmp_path / "c.txt.xz").write_bytes(lzma.compress(text))
    for name in ["c.txt.gz", "c.txt.xz"]:
        out = tmp_path / f"{name}.json"
        r = run(["train", "-q", "--vocab-size", "3000", "-o", str(out), str(tmp_path / name)])
        assert r.returncode == 0, r.stderr
        assert out.read_text() == plain.read_text(), name
    out = tmp_path / "stdin.json"
    r = run(["train", "-q", "--vocab-size", "3000", "-o", str(out), "-"], stdin=text.decode("utf-8"))
    assert r.returncode == 0, r.stderr
    assert out.read_text() == plain.read_text()
    # JSON Lines: one sequence per record, from --field.
    lines = text.decode("utf-8").splitlines(keepends=True)
    (tmp_path / "c.jsonl").write_text("".join(js.dumps({"body": ln}) + "\n" for ln in lines))
    out = tmp_path / "jsonl.json"
    r = run(["train", "-q", "--vocab-size", "3000", "--field", "body", "-o", str(out), str(tmp_path / "c.jsonl")])
    assert r.returncode == 0, r.stderr
    assert out.read_text() == plain.read_text()


def test_train_presets(tmp_path: Path) -> None:
    out = tmp_path / "bert.json"
    r = run(["train", "-q", "--model", "wordpiece", "--lowercase", "--vocab-size", "3000", "-o", str(out), SAMPLE])
    assert r.returncode == 0, r.stderr
    s = run(["show", "-t", str(out), "--color", "never", "--add-special-tokens", "In the Beginning"])
    assert "'[CLS]'" in s.stdout.splitlines()[2]
    assert "'beginning'" in s.stdout
    out = tmp_path / "llama.json"
    r = run(["train", "-q", "--preset", "llama", "--vocab-size", "3000", "-o", str(out), SAMPLE])
    assert r.returncode == 0, r.stderr
    d = run(["encode", "-t", str(out), "-"], stdin="And God said\n")
    back = run(["decode", "-t", str(out), "-"], stdin=d.stdout)
    assert back.stdout == "And God said\n"


@pytest.mark.parametrize(
    "make,args,message",
    [
        (None, ["missing.txt"], "missing.txt: no such file"),
        (b"ok\n\xff\xfe\n", ["bad.txt"], "invalid UTF-8 at byte 3"),
        (b"ok\n\xff\xfe\n", ["bad.txt.gz"], "invalid UTF-8 at byte 3"),
        (b'{"text": "a"}\nnot json\n', ["bad.jsonl"], "bad.jsonl:2: not JSON"),
        (b'{"body": "a"}\n', ["bad.jsonl"], "bad.jsonl:1: no string field 'text'"),
        (b"hello world\n", ["--vocab-size", "10", "ok.txt"], "vocab_size 10 is smaller"),
        (b"", ["empty.txt"], "no words"),
        (b"hello world\n", ["--model", "unigram", "--vocab-size", "5", "ok.txt"], "vocab_size: 5 is below"),
        (b"hello world\n", ["--model", "unigram", "--min-frequency", "2", "ok.txt"], "do not apply to --model unigram"),
    ],
)
def test_train_failures(make: Any, args: List[str], message: str, tmp_path: Path) -> None:
    import gzip

    name = args[-1]
    if make is not None:
        data = gzip.compress(make) if name.endswith(".gz") else make
        (tmp_path / name).write_bytes(data)
    r = run(["train", "-q", "-o", str(tmp_path / "out.json"), *args[:-1], str(tmp_path / name)])
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert message in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "Traceback" not in r.stderr


def test_train_usage_errors() -> None:
    r = run(["train", "--model", "nope", "-o", "x.json", SAMPLE])
    assert r.returncode == 2
    r = run(["train", "--help"])
    assert r.returncode == 0 and "example: fasttok train" in r.stdout


def test_train_memory_budget(tmp_path: Path) -> None:
    out = tmp_path / "o.json"
    r = run(["train", "-q", "--vocab-size", "3000", "--memory-budget", "100K", "-o", str(out), SAMPLE])
    assert r.returncode == 0, r.stderr
    r = run(["train", "--memory-budget", "lots", "-o", str(out), SAMPLE])
    assert r.returncode == 2 and "not a size" in r.stderr


# ---- encode to files, convert, parity against tiktoken --------------------------


def test_encode_flat_formats(tmp_path: Path) -> None:
    import json as js

    import numpy as np

    import fasttok

    lines = Path(SAMPLE).read_text(encoding="utf-8").splitlines()[:200]
    (tmp_path / "docs.jsonl").write_text("".join(js.dumps({"body": ln}) + "\n" for ln in lines))
    tok = fasttok.Tokenizer.from_file(BERT)
    tok.no_padding()
    tok.no_truncation()
    expected = [e.ids for e in tok.encode_batch(lines, add_special_tokens=False)]
    for fmt in ["bin", "npy"]:
        out = tmp_path / f"t.{fmt}"
        r = run(
            [
                "encode",
                "-q",
                "-t",
                BERT,
                "--format",
                fmt,
                "--field",
                "body",
                "-o",
                str(out),
                str(tmp_path / "docs.jsonl"),
            ]
        )
        assert r.returncode == 0, r.stderr
        if fmt == "bin":
            ids, index = np.fromfile(out, "<u4"), np.fromfile(str(out) + ".idx", "<u8")
        else:
            ids, index = np.load(out), np.load(str(out) + ".idx.npy")
        assert ids.dtype == np.uint32 and len(index) == len(lines) + 1
        assert [ids[index[i] : index[i + 1]].tolist() for i in range(len(lines))] == expected
    r = run(["encode", "-t", BERT, "--format", "npy", SAMPLE])
    assert r.returncode == 1 and "give -o" in r.stderr


def test_encode_reads_compressed_input_and_writes_output(tmp_path: Path) -> None:
    import gzip

    (tmp_path / "s.txt.gz").write_bytes(gzip.compress(b"Hello, world!\nsecond line\n"))
    out = tmp_path / "ids.txt"
    r = run(["encode", "-t", BERT, "-o", str(out), str(tmp_path / "s.txt.gz")])
    assert r.returncode == 0, r.stderr
    assert out.read_text().splitlines()[0] == "7592 1010 2088 999"


def test_convert_and_parity_against_tiktoken(tmp_path: Path) -> None:
    pytest.importorskip("tiktoken")
    out = tmp_path / "cl100k.json"
    r = run(["convert", "cl100k_base", "-o", str(out)])
    assert r.returncode == 0, r.stderr
    p = run(["parity", "-q", "-t", str(out), "--reference", "tiktoken:cl100k_base", SAMPLE])
    assert p.returncode == 0, p.stdout[-2000:]
    assert "0 divergences" in p.stdout
    # A tokenizer that is not that encoding diverges: exit 1, with the place.
    p = run(["parity", "-q", "-t", BERT, "--reference", "tiktoken:cl100k_base", SAMPLE])
    assert p.returncode == 1 and "line 1: ids differ at token 0" in p.stdout
    # A rank file named like its encoding; other names need --encoding.
    from fasttok import tiktoken as ft

    data, _ = ft._rank_file_bytes("r50k_base")
    (tmp_path / "r50k_base.tiktoken").write_bytes(data)
    (tmp_path / "ranks.tiktoken").write_bytes(data)
    assert run(["convert", "-q", str(tmp_path / "r50k_base.tiktoken"), "-o", str(tmp_path / "a.json")]).returncode == 0
    r = run(["convert", str(tmp_path / "ranks.tiktoken"), "-o", str(tmp_path / "b.json")])
    assert r.returncode == 1 and "pass --encoding" in r.stderr
    r = run(["convert", "-q", str(tmp_path / "ranks.tiktoken"), "--encoding", "gpt2", "-o", str(tmp_path / "b.json")])
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "a.json").read_text() == (tmp_path / "b.json").read_text()


@pytest.mark.parametrize(
    "args,message",
    [
        (["convert", "nope", "-o", "x.json"], "nope: no such file, and not an encoding name"),
        (["convert", "m.model", "-o", "x.json"], "SentencePiece .model files are not supported"),
        (["parity", "-t", BERT, "--reference", "tiktoken:nope", SAMPLE], "unknown tiktoken encoding 'nope'"),
        (["parity", "-t", BERT, "--reference", "spm", SAMPLE], "expected hf or tiktoken:NAME"),
    ],
)
def test_convert_and_parity_failures(args: List[str], message: str) -> None:
    r = run(args)
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert message in r.stderr and "Traceback" not in r.stderr


def test_bench(tmp_path: Path) -> None:
    pytest.importorskip("tokenizers")
    r = run(["bench", "-t", BERT, "--repeat", "1", "--threads", "1", SAMPLE])
    assert r.returncode == 0, r.stderr
    assert "identical ids; 1 thread(s)" in r.stdout
    assert r.stdout.splitlines()[2].split()[0] == "fasttok" and "x hf" in r.stdout
    pytest.importorskip("tiktoken")
    r = run(["bench", "-t", BERT, "--repeat", "1", "--reference", "tiktoken:cl100k_base", SAMPLE])
    assert r.returncode == 1 and "differ from tiktoken:cl100k_base: not timed" in r.stdout
    r = run(["bench", "-t", BERT, "--threads", "0", SAMPLE])
    assert r.returncode == 1 and "--threads must be at least 1" in r.stderr
