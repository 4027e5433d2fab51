"""The ``fasttok`` command.

Subcommands: ``train``, ``encode``, ``decode``, ``info``, ``show`` and
``parity``. Exit codes: 0 success, 1 failure or divergence, 2 usage error.
"""

from __future__ import annotations

import argparse
import gzip
import json
import lzma
import os
import sys
import time
from typing import IO, Any, BinaryIO, Dict, Iterator, List, Optional, Sequence, Tuple

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


# ---- reading corpora ----------------------------------------------------------

COMPRESSED = (".gz", ".xz", ".zst")


def _is_plain(path: str) -> bool:
    """A file the core can read itself: uncompressed text, not JSON Lines."""
    return path != "-" and not path.endswith(COMPRESSED) and not path.endswith((".jsonl", ".jsonl.gz"))


def _open_binary(path: str, progress: bool) -> BinaryIO:
    """`path` decompressed by its extension; `-` is standard input. With
    `progress`, a bar on stderr follows the bytes read from disk."""
    if path == "-":
        return sys.stdin.buffer
    try:
        raw: Any = open(path, "rb")
    except OSError as e:
        raise CliError(f"{path}: {e.strerror or e}") from None
    if progress:
        from tqdm import tqdm

        raw = tqdm.wrapattr(raw, "read", total=os.path.getsize(path), desc=os.path.basename(path), leave=False)
    if path.endswith(".gz"):
        return gzip.GzipFile(fileobj=raw)  # type: ignore[return-value]
    if path.endswith(".xz"):
        return lzma.LZMAFile(raw)  # type: ignore[return-value]
    if path.endswith(".zst"):
        try:
            import zstandard  # type: ignore[import-not-found, unused-ignore]
        except ImportError:
            raise CliError(f"{path}: reading .zst needs the zstandard package (pip install zstandard)") from None
        return zstandard.ZstdDecompressor().stream_reader(raw)  # type: ignore[no-any-return]
    return raw  # type: ignore[no-any-return]


def _sequences(files: Sequence[str], field: str, progress: bool) -> Iterator[str]:
    """The training sequences of `files`: each line (with its newline, as the
    core reads plain files), or the `field` of each JSON Lines record."""
    for path in files or ["-"]:
        jsonl = ".jsonl" in os.path.basename(path)
        stream = _open_binary(path, progress)
        offset = 0
        try:
            for n, raw in enumerate(stream, 1):
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError as e:
                    raise CliError(f"{path}: invalid UTF-8 at byte {offset + e.start} (line {n})") from None
                offset += len(raw)
                if not jsonl:
                    yield line
                    continue
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as e:
                    raise CliError(f"{path}:{n}: not JSON ({e.msg})") from None
                text = record.get(field) if isinstance(record, dict) else None
                if not isinstance(text, str):
                    raise CliError(f"{path}:{n}: no string field {field!r}")
                yield text
        except (OSError, EOFError, lzma.LZMAError) as e:
            raise CliError(f"{path}: {e}") from None
        finally:
            if stream is not sys.stdin.buffer:
                stream.close()


# ---- train ---------------------------------------------------------------------

PRESETS = ["gpt2", "bert", "llama", "whitespace"]
DEFAULT_PRESET = {"bpe": "gpt2", "wordpiece": "bert", "wordlevel": "whitespace"}
UNK = {"gpt2": None, "bert": "[UNK]", "llama": "<unk>", "whitespace": "[UNK]"}
SPECIALS = {
    "gpt2": ["<|endoftext|>"],
    "bert": ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"],
    "llama": ["<unk>", "<s>", "</s>"],
    "whitespace": ["[UNK]"],
}


def _pipeline(args: argparse.Namespace) -> Tuple[fasttok.Tokenizer, Any, str]:
    """The tokenizer to train and its trainer, from --model, --preset and flags."""
    from fasttok import decoders, models, normalizers, pre_tokenizers, trainers

    preset = args.preset or DEFAULT_PRESET[args.model]
    specials = args.special_tokens if args.special_tokens is not None else SPECIALS[preset]
    unk = UNK[preset]
    if args.model != "bpe" and unk is None:
        unk = "[UNK]"
    if unk is not None and args.model != "bpe" and unk not in specials:
        specials = [unk, *specials]
    if args.model == "bpe":
        model: models.Model = models.BPE(unk_token=unk if unk in specials else None, fuse_unk=preset == "llama")
        trainer_cls: Any = trainers.BpeTrainer
    elif args.model == "wordpiece":
        model = models.WordPiece(unk_token=unk or "[UNK]")
        trainer_cls = trainers.WordPieceTrainer
    else:
        model = models.WordLevel(unk_token=unk)
        trainer_cls = trainers.WordLevelTrainer
    tok = fasttok.Tokenizer(model)
    byte_level = args.byte_level or preset == "gpt2"
    if preset == "bert":
        tok.normalizer = normalizers.BertNormalizer(lowercase=args.lowercase)
    elif args.lowercase:
        tok.normalizer = normalizers.Lowercase()
    if byte_level:
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tok.decoder = decoders.ByteLevel()
    elif preset == "bert":
        tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        tok.decoder = decoders.WordPiece()
    elif preset == "llama":
        tok.pre_tokenizer = pre_tokenizers.Metaspace(prepend_scheme="first")
        tok.decoder = decoders.Metaspace(prepend_scheme="first")
    else:
        tok.pre_tokenizer = pre_tokenizers.Whitespace()
    kw: Dict[str, Any] = {
        "vocab_size": args.vocab_size,
        "min_frequency": args.min_frequency,
        "special_tokens": specials,
        "show_progress": not args.quiet,
    }
    if args.model != "wordlevel":
        if args.limit_alphabet is not None:
            kw["limit_alphabet"] = args.limit_alphabet
        if byte_level:
            kw["initial_alphabet"] = pre_tokenizers.ByteLevel.alphabet()
    return tok, trainer_cls(**kw), preset


def _add_post_processor(tok: fasttok.Tokenizer, preset: str, byte_level: bool) -> None:
    from fasttok import processors

    def special(token: str) -> Optional[Tuple[str, int]]:
        i = tok.token_to_id(token)
        return None if i is None else (token, i)

    if preset == "bert":
        cls, sep = special("[CLS]"), special("[SEP]")
        if cls and sep:
            tok.post_processor = processors.TemplateProcessing(
                single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[cls, sep]
            )
    elif preset == "llama":
        bos = special("<s>")
        if bos:
            tok.post_processor = processors.TemplateProcessing(
                single="<s> $A", pair="<s> $A <s>:1 $B:1", special_tokens=[bos]
            )
    elif byte_level:
        tok.post_processor = processors.ByteLevel(trim_offsets=False)


def _size(text: str) -> int:
    """`2G`, `512M`, `100000`: a size in bytes (for argparse)."""
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
    t = text.strip().upper().removesuffix("B")
    try:
        if t and t[-1] in units:
            return int(float(t[:-1]) * units[t[-1]])
        return int(t)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (examples: 500M, 2G)") from None


def cmd_train(args: argparse.Namespace, out: IO[str]) -> int:
    if args.vocab_size < 1:
        raise CliError(f"--vocab-size must be positive, got {args.vocab_size}")
    files = args.files or ["-"]
    for f in files:
        if f != "-" and not os.path.exists(f):
            raise CliError(f"{f}: no such file")
    tok, trainer, preset = _pipeline(args)
    show = not args.quiet and sys.stderr.isatty()
    started = time.perf_counter()
    try:
        if all(_is_plain(f) for f in files):
            tok.train(files, trainer, memory_budget=args.memory_budget)
        else:
            tok.train_from_iterator(_sequences(files, args.field, show), trainer, memory_budget=args.memory_budget)
        _add_post_processor(tok, preset, args.byte_level or preset == "gpt2")
        tok.save(args.output)
    except fasttok.FasttokError as e:
        raise CliError(str(e)) from None
    except OSError as e:
        raise CliError(f"{args.output}: {e.strerror or e}") from None
    if not args.quiet:
        print(
            f"fasttok train: {args.model} ({preset}), vocabulary of {tok.get_vocab_size()} tokens in "
            f"{time.perf_counter() - started:.2f} s -> {args.output}",
            file=sys.stderr,
        )
    return 0


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

    t = sub.add_parser(
        "train",
        help="train a vocabulary and write a tokenizer.json",
        description="Train a BPE, WordPiece or WordLevel vocabulary on text files (.txt, .gz, .xz, .zst, "
        ".jsonl; - for standard input) and write a tokenizer.json that Hugging Face tokenizers loads. "
        "Presets: gpt2 (byte-level BPE, the default for bpe), bert (BERT normalizer and pre-tokenizer, "
        "the default for wordpiece), llama (Metaspace), whitespace (the default for wordlevel).",
        epilog="example: fasttok train --model bpe --vocab-size 32000 -o tokenizer.json corpus.txt",
    )
    t.add_argument("--model", choices=["bpe", "wordpiece", "wordlevel"], default="bpe")
    t.add_argument("--vocab-size", type=int, default=30000)
    t.add_argument("--min-frequency", type=int, default=0, help="minimum count of a merged pair (or a word)")
    t.add_argument("--special-tokens", nargs="*", metavar="T", help="special tokens (default: the preset's)")
    t.add_argument("--preset", choices=PRESETS, help="pipeline around the model (default: by model)")
    t.add_argument("--lowercase", action="store_true", help="lowercase the text first")
    t.add_argument("--byte-level", action="store_true", help="byte-level pre-tokenizer and decoder")
    t.add_argument("--limit-alphabet", type=int, help="keep at most this many initial characters")
    t.add_argument(
        "--memory-budget",
        type=_size,
        metavar="SIZE",
        help="keep the word counts under this size (e.g. 2G) by dropping the rarest words",
    )
    t.add_argument("--field", default="text", help="the text field of .jsonl records (default: text)")
    t.add_argument("-q", "--quiet", action="store_true", help="no progress bars or summary")
    t.add_argument("-o", "--output", required=True, help="where to write the tokenizer.json")
    t.add_argument("files", nargs="*", help="training text (default: standard input)")
    t.set_defaults(run=cmd_train)

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
