"""The ``fasttok`` command.

Subcommands so far: ``encode``, ``decode``, ``info``, ``show`` and ``parity``
(training and the rest of the CLI are tracked in the issues). Exit codes:
0 success, 1 failure or divergence, 2 usage error.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import IO, Iterator, List, Optional, Sequence

import fasttok


class CliError(Exception):
    """An expected failure: printed as one line, exit code 1."""


def _lines(files: Sequence[str]) -> Iterator[str]:
    if not files or list(files) == ["-"]:
        for line in sys.stdin:
            yield line.rstrip("\n")
        return
    for path in files:
        try:
            with open(path, encoding="utf-8") as f:
                for line in f:
                    yield line.rstrip("\n")
        except OSError as e:
            raise CliError(f"{path}: {e.strerror or e}") from None
        except UnicodeDecodeError as e:
            raise CliError(f"{path}: not UTF-8 text ({e.reason} at byte {e.start})") from None


def _load(path: str) -> fasttok.Tokenizer:
    try:
        return fasttok.Tokenizer.from_file(path)
    except fasttok.FasttokError as e:
        raise CliError(str(e)) from None


def _batches(lines: Iterator[str], size: int = 1024) -> Iterator[List[str]]:
    batch: List[str] = []
    for line in lines:
        batch.append(line)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def cmd_encode(args: argparse.Namespace, out: IO[str]) -> int:
    tok = _load(args.tokenizer)
    if not args.file_settings:
        # One output line per input line: padding and truncation from the file
        # would only add pad ids or silently drop tokens.
        tok.no_padding()
        tok.no_truncation()
    for batch in _batches(_lines(args.files)):
        for enc in tok.encode_batch(batch, add_special_tokens=args.add_special_tokens):
            if args.format == "ids":
                out.write(" ".join(map(str, enc.ids)) + "\n")
            elif args.format == "tokens":
                out.write(" ".join(enc.tokens) + "\n")
            else:
                out.write(json.dumps({"ids": enc.ids, "tokens": enc.tokens, "offsets": enc.offsets}) + "\n")
    return 0


def cmd_decode(args: argparse.Namespace, out: IO[str]) -> int:
    tok = _load(args.tokenizer)
    for n, line in enumerate(_lines(args.files), 1):
        try:
            ids = [int(x) for x in line.split()]
        except ValueError:
            raise CliError(f"line {n}: expected space-separated integer ids") from None
        try:
            out.write(tok.decode(ids, skip_special_tokens=not args.keep_special_tokens) + "\n")
        except fasttok.FasttokError as e:
            raise CliError(f"line {n}: {e}") from None
    return 0


def _describe(spec: Optional[dict]) -> str:
    if spec is None:
        return "none"
    kind = spec.get("type", "?")
    for key in ("normalizers", "pretokenizers", "processors", "decoders"):
        if key in spec:
            return f"{kind}[{', '.join(_describe(s) for s in spec[key])}]"
    return str(kind)


def cmd_info(args: argparse.Namespace, out: IO[str]) -> int:
    tok = _load(args.tokenizer)
    doc = json.loads(tok.to_str())
    model = doc["model"]
    out.write(f"model:          {model['type']}\n")
    out.write(f"vocab size:     {tok.get_vocab_size(with_added_tokens=False)} (+{len(doc['added_tokens'])} added)\n")
    for key in ("normalizer", "pre_tokenizer", "post_processor", "decoder"):
        out.write(f"{key + ':':<16}{_describe(doc[key])}\n")
    specials = [t["content"] for t in doc["added_tokens"] if t["special"]]
    shown = ", ".join(specials[:20]) + (f", ... ({len(specials)} in all)" if len(specials) > 20 else "")
    out.write(f"special tokens: {shown or 'none'}\n")
    out.write(f"truncation:     {tok.truncation}\npadding:        {tok.padding}\n")
    return 0


def cmd_parity(args: argparse.Namespace, out: IO[str]) -> int:
    try:
        import tokenizers
    except ImportError:
        raise CliError("parity needs the reference library: pip install tokenizers") from None
    ours = _load(args.tokenizer)
    try:
        ref = tokenizers.Tokenizer.from_file(args.tokenizer)
    except Exception as e:  # tokenizers raises bare Exception
        raise CliError(f"tokenizers cannot load {args.tokenizer}: {e}") from None
    docs = tokens = diverged = 0
    fields = ("ids", "tokens", "offsets", "attention_mask", "special_tokens_mask", "type_ids")
    for n, line in enumerate(_lines(args.files), 1):
        a, b = ref.encode(line), ours.encode(line)
        docs += 1
        tokens += len(a.ids)
        for field in fields:
            x, y = getattr(a, field), getattr(b, field)
            if x != y:
                diverged += 1
                i = next((k for k in range(min(len(x), len(y))) if x[k] != y[k]), min(len(x), len(y)))
                out.write(f"line {n}: {field} differ at token {i}: tokenizers {x[i : i + 3]} fasttok {y[i : i + 3]}\n")
                out.write(f"  context: {line[:80]!r}\n")
                break
        if ref.decode(a.ids) != ours.decode(a.ids):
            diverged += 1
            out.write(f"line {n}: decode differs\n")
    out.write(f"compared {docs} lines, {tokens} tokens: {diverged} divergences\n")
    return 1 if diverged else 0


_COLOURS = [41, 42, 43, 44, 45, 46]


def cmd_show(args: argparse.Namespace, out: IO[str]) -> int:
    tok = _load(args.tokenizer)
    tok.no_padding()
    tok.no_truncation()
    text = args.text
    enc = tok.encode(text, add_special_tokens=args.add_special_tokens)
    colour = args.color == "always" or (args.color == "auto" and out.isatty())
    pieces = []
    last = 0
    for i, (start, end) in enumerate(enc.offsets):
        if enc.special_tokens_mask[i] or start < last or end <= start:
            continue
        pieces.append(text[last:start])
        piece = text[start:end]
        if colour:
            pieces.append(f"\x1b[30;{_COLOURS[i % len(_COLOURS)]}m{piece}\x1b[0m")
        else:
            pieces.append(f"[{piece}]")
        last = end
    pieces.append(text[last:])
    out.write("".join(pieces) + "\n")
    out.write(f"{len(enc.ids)} tokens\n")
    for i, (id_, token, (start, end)) in enumerate(zip(enc.ids, enc.tokens, enc.offsets)):
        out.write(f"{i:>5}  {id_:>8}  {token!r:<24} {start}-{end}\n")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="fasttok",
        description="Fast subword tokenization, compatible with Hugging Face tokenizer.json files.",
    )
    p.add_argument("--version", action="version", version=f"fasttok {fasttok.__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    e = sub.add_parser(
        "encode",
        help="encode text, one output line per input line",
        epilog="example: fasttok encode -t tokenizer.json --format tokens corpus.txt",
    )
    e.add_argument("-t", "--tokenizer", required=True, help="tokenizer.json")
    e.add_argument("--format", choices=["ids", "tokens", "jsonl"], default="ids")
    e.add_argument("--add-special-tokens", action="store_true", help="add the post-processor's special tokens")
    e.add_argument(
        "--file-settings", action="store_true", help="apply the padding and truncation the tokenizer file configures"
    )
    e.add_argument("files", nargs="*", help="input files (default: standard input)")
    e.set_defaults(run=cmd_encode)

    d = sub.add_parser(
        "decode",
        help="decode lines of space-separated ids",
        epilog="example: fasttok encode -t tok.json text.txt | fasttok decode -t tok.json",
    )
    d.add_argument("-t", "--tokenizer", required=True)
    d.add_argument("--keep-special-tokens", action="store_true")
    d.add_argument("files", nargs="*")
    d.set_defaults(run=cmd_decode)

    i = sub.add_parser("info", help="describe a tokenizer", epilog="example: fasttok info tokenizer.json")
    i.add_argument("tokenizer")
    i.set_defaults(run=cmd_info)

    w = sub.add_parser(
        "show",
        help="show how a text is tokenized: the text with each token marked, then ids and offsets",
        epilog='example: fasttok show -t tokenizer.json "Hello, world!"',
    )
    w.add_argument("-t", "--tokenizer", required=True)
    w.add_argument("--add-special-tokens", action="store_true")
    w.add_argument("--color", choices=["auto", "always", "never"], default="auto")
    w.add_argument("text")
    w.set_defaults(run=cmd_show)

    r = sub.add_parser(
        "parity",
        help="compare fasttok with Hugging Face tokenizers line by line",
        epilog="example: fasttok parity -t tokenizer.json corpus.txt",
    )
    r.add_argument("-t", "--tokenizer", required=True)
    r.add_argument("files", nargs="*")
    r.set_defaults(run=cmd_parity)
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args, sys.stdout))
    except CliError as e:
        print(f"fasttok {args.command}: {e}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stop quietly, and keep Python
        # from complaining when it flushes stdout at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
