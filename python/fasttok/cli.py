"""The ``fasttok`` command.

Subcommands: ``train``, ``encode``, ``decode``, ``info``, ``show``,
``parity`` and ``convert``. Exit codes: 0 success, 1 failure or divergence,
2 usage error.
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


def _lines(files: Sequence[str], field: str = "text", progress: bool = False) -> Iterator[str]:
    """One document per line (without its newline) or per JSON Lines record,
    from text, compressed or JSON Lines files, or standard input."""
    return _sequences(list(files) or ["-"], field, progress, keep_newline=False)


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


def _sequences(files: Sequence[str], field: str, progress: bool, keep_newline: bool = True) -> Iterator[str]:
    """The documents of `files`: each line (with its newline, as the core
    reads plain files for training, unless `keep_newline` is false), or the
    `field` of each JSON Lines record."""
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
                    yield line if keep_newline else line.rstrip("\n")
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
DEFAULT_PRESET = {"bpe": "gpt2", "wordpiece": "bert", "wordlevel": "whitespace", "unigram": "llama"}
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
    elif args.model == "unigram":
        model = models.Unigram()
        trainer_cls = trainers.UnigramTrainer
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
        "special_tokens": specials,
        "show_progress": not args.quiet,
    }
    if args.model == "unigram":
        if args.min_frequency or args.limit_alphabet is not None:
            raise CliError("--min-frequency and --limit-alphabet do not apply to --model unigram")
        kw["unk_token"] = unk
    else:
        kw["min_frequency"] = args.min_frequency
    if args.model != "wordlevel":
        if args.limit_alphabet is not None and args.model != "unigram":
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


def _progress_wanted(args: argparse.Namespace) -> bool:
    return not getattr(args, "quiet", False) and sys.stderr.isatty()


def cmd_encode(args: argparse.Namespace, out: IO[str]) -> int:
    tok = _load(args.tokenizer)
    if not args.file_settings:
        # One output per input document: padding and truncation from the file
        # would only add pad ids or silently drop tokens.
        tok.no_padding()
        tok.no_truncation()
    docs = _lines(args.files, args.field, _progress_wanted(args))
    if args.format in ("npy", "bin"):
        return _encode_flat(tok, docs, args)
    sink: IO[str] = out
    if args.output:
        try:
            sink = open(args.output, "w", encoding="utf-8")
        except OSError as e:
            raise CliError(f"{args.output}: {e.strerror or e}") from None
    try:
        for batch in _batches(docs):
            for enc in tok.encode_batch(batch, add_special_tokens=args.add_special_tokens):
                if args.format == "ids":
                    sink.write(" ".join(map(str, enc.ids)) + "\n")
                elif args.format == "tokens":
                    sink.write(" ".join(enc.tokens) + "\n")
                else:
                    sink.write(json.dumps({"ids": enc.ids, "tokens": enc.tokens, "offsets": enc.offsets}) + "\n")
    finally:
        if sink is not out:
            sink.close()
    return 0


def _encode_flat(tok: fasttok.Tokenizer, docs: Iterator[str], args: argparse.Namespace) -> int:
    """All ids in one flat uint32 array (`-o`), plus the index of where each
    document starts (n_docs + 1 uint64 offsets) beside it: `OUT.idx` for
    `bin` (raw little-endian, written as it goes), `OUT.idx.npy` for `npy`
    (built in memory, then saved)."""
    import numpy as np

    if not args.output:
        raise CliError(f"--format {args.format} writes binary files: give -o OUT")
    index_path = args.output + (".idx" if args.format == "bin" else ".idx.npy")
    total = 0
    starts: List[int] = [0]
    chunks: List[Any] = []
    try:
        sink = open(args.output, "wb") if args.format == "bin" else None
    except OSError as e:
        raise CliError(f"{args.output}: {e.strerror or e}") from None
    try:
        for batch in _batches(docs, 4096):
            ids, offsets = tok.encode_batch_ids(batch, add_special_tokens=args.add_special_tokens)
            starts.extend(int(total + o) for o in offsets[1:])
            total += len(ids)
            if sink is not None:
                sink.write(ids.astype("<u4", copy=False).tobytes())
            else:
                chunks.append(ids.copy())
    finally:
        if sink is not None:
            sink.close()
    index = np.asarray(starts, dtype="<u8")
    try:
        if args.format == "bin":
            index.tofile(index_path)
        else:
            flat = np.concatenate(chunks) if chunks else np.zeros(0, dtype="<u4")
            np.save(args.output, flat.astype("<u4", copy=False))
            np.save(index_path, index)
    except OSError as e:
        raise CliError(f"{e.filename}: {e.strerror or e}") from None
    if not args.quiet:
        print(
            f"fasttok encode: {len(starts) - 1} documents, {total} tokens -> {args.output} (index {index_path})",
            file=sys.stderr,
        )
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


def _tiktoken_reference(name: str) -> Any:
    """The `tiktoken` package's encoding `name`, offline: its rank files are
    served from fasttok's shipped copies through a private TIKTOKEN_CACHE_DIR
    (unless one is set already)."""
    try:
        import tiktoken
    except ImportError:
        raise CliError("--reference tiktoken:NAME needs the tiktoken package: pip install tiktoken") from None
    from fasttok import tiktoken as ft

    if name not in ft.list_encoding_names():
        raise CliError(f"unknown tiktoken encoding {name!r} (one of {', '.join(ft.list_encoding_names())})")
    if "TIKTOKEN_CACHE_DIR" not in os.environ:
        import atexit
        import hashlib
        import shutil
        import tempfile

        cache = tempfile.mkdtemp(prefix="fasttok-tiktoken-")
        atexit.register(shutil.rmtree, cache, True)
        for stem in ["r50k_base", "p50k_base", "cl100k_base", "o200k_base"]:
            data, _ = ft._rank_file_bytes(stem)
            key = hashlib.sha1(ft._URL.format(stem).encode()).hexdigest()
            with open(os.path.join(cache, key), "wb") as f:
                f.write(data)
        os.environ["TIKTOKEN_CACHE_DIR"] = cache
    if name == "gpt2":
        name = "r50k_base"  # the same ranks, without tiktoken's separate GPT-2 files
    try:
        return tiktoken.get_encoding(name)
    except Exception as e:  # tiktoken raises several kinds
        raise CliError(f"tiktoken cannot load {name}: {e}") from None


def cmd_parity(args: argparse.Namespace, out: IO[str]) -> int:
    ours = _load(args.tokenizer)
    ref_name = args.reference
    docs = tokens = diverged = 0

    def report(n: int, line: str, field: str, x: List[Any], y: List[Any]) -> None:
        i = next((k for k in range(min(len(x), len(y))) if x[k] != y[k]), min(len(x), len(y)))
        out.write(f"line {n}: {field} differ at token {i}: {ref_name} {x[i : i + 3]} fasttok {y[i : i + 3]}\n")
        out.write(f"  context: {line[:80]!r}\n")

    lines = _lines(args.files, args.field, _progress_wanted(args))
    if ref_name.startswith("tiktoken:"):
        enc = _tiktoken_reference(ref_name.split(":", 1)[1])
        for n, line in enumerate(lines, 1):
            x = enc.encode(line, allowed_special="all")
            y = ours.encode(line, add_special_tokens=False).ids
            docs += 1
            tokens += len(x)
            if x != y:
                diverged += 1
                report(n, line, "ids", x, y)
            elif ours.decode(y, skip_special_tokens=False) != enc.decode(x):
                diverged += 1
                out.write(f"line {n}: decode differs\n")
    elif ref_name == "hf":
        try:
            import tokenizers
        except ImportError:
            raise CliError("parity needs the reference library: pip install tokenizers") from None
        try:
            ref = tokenizers.Tokenizer.from_file(args.tokenizer)
        except Exception as e:  # tokenizers raises bare Exception
            raise CliError(f"tokenizers cannot load {args.tokenizer}: {e}") from None
        fields = ("ids", "tokens", "offsets", "attention_mask", "special_tokens_mask", "type_ids")
        for n, line in enumerate(lines, 1):
            a, b = ref.encode(line), ours.encode(line)
            docs += 1
            tokens += len(a.ids)
            for field in fields:
                x, y = getattr(a, field), getattr(b, field)
                if x != y:
                    diverged += 1
                    report(n, line, field, x, y)
                    break
            if ref.decode(a.ids) != ours.decode(a.ids):
                diverged += 1
                out.write(f"line {n}: decode differs\n")
    else:
        raise CliError(f"--reference: expected hf or tiktoken:NAME, got {ref_name!r}")
    out.write(f"compared {docs} lines, {tokens} tokens: {diverged} divergences\n")
    return 1 if diverged else 0


def cmd_bench(args: argparse.Namespace, out: IO[str]) -> int:
    """Throughput of fasttok and of the reference on the same documents, after
    checking that both give the same ids."""
    if args.threads is not None:
        if args.threads < 1:
            raise CliError(f"--threads must be at least 1, got {args.threads}")
        # Both libraries size their thread pools on first use, which is below.
        os.environ["FASTTOK_NUM_THREADS"] = os.environ["RAYON_NUM_THREADS"] = str(args.threads)
    ours = _load(args.tokenizer)
    ours.no_padding()
    ours.no_truncation()
    docs: List[str] = []
    size = 0
    for line in _lines(args.files, args.field):
        docs.append(line)
        size += len(line.encode("utf-8"))
        if size >= args.max_bytes:
            break
    if not docs:
        raise CliError("no documents to measure")
    special = args.add_special_tokens

    def run_ours() -> List[List[int]]:
        flat, starts = ours.encode_batch_ids(docs, add_special_tokens=special)
        return [flat[starts[i] : starts[i + 1]].tolist() for i in range(len(docs))]

    ref_name = args.reference
    if ref_name.startswith("tiktoken:"):
        enc = _tiktoken_reference(ref_name.split(":", 1)[1])

        def run_ref() -> List[List[int]]:
            return enc.encode_batch(docs, allowed_special="all")  # type: ignore[no-any-return]

    elif ref_name == "hf":
        try:
            import tokenizers
        except ImportError:
            raise CliError("bench needs the reference library: pip install tokenizers") from None
        try:
            ref = tokenizers.Tokenizer.from_file(args.tokenizer)
        except Exception as e:  # tokenizers raises bare Exception
            raise CliError(f"tokenizers cannot load {args.tokenizer}: {e}") from None
        ref.no_padding()
        ref.no_truncation()

        def run_ref() -> List[List[int]]:
            return [e.ids for e in ref.encode_batch(docs, add_special_tokens=special)]

    else:
        raise CliError(f"--reference: expected hf or tiktoken:NAME, got {ref_name!r}")
    a, b = run_ours(), run_ref()
    differ = sum(x != y for x, y in zip(a, b, strict=False))
    if differ:
        out.write(f"{differ} of {len(docs)} documents differ from {ref_name}: not timed (see fasttok parity)\n")
        return 1
    tokens = sum(len(x) for x in a)

    runs: Any = range(args.repeat)
    if _progress_wanted(args):
        from tqdm import tqdm

        runs = tqdm(range(2 * args.repeat), desc="timing", leave=False)
    ticks = iter(runs)

    def best(f: Any) -> float:
        times = []
        for _ in range(args.repeat):
            next(ticks, None)
            t = time.perf_counter()
            f()
            times.append(time.perf_counter() - t)
        return min(times)

    t_ours, t_ref = best(run_ours), best(run_ref)
    mb = size / 1e6
    threads = args.threads or fasttok.num_threads()
    out.write(f"{len(docs)} documents, {mb:.1f} MB, {tokens} tokens, identical ids; {threads} thread(s), ")
    out.write(f"best of {args.repeat}\n")
    w = max(len(ref_name), 7)
    out.write(f"{'library':<{w}} {'seconds':>9} {'MB/s':>9} {'Mtok/s':>9}\n")
    for name, t in [("fasttok", t_ours), (ref_name, t_ref)]:
        out.write(f"{name:<{w}} {t:>9.3f} {mb / t:>9.2f} {tokens / t / 1e6:>9.2f}\n")
    out.write(f"fasttok is {t_ref / t_ours:.2f}x {ref_name}\n")
    return 0


def cmd_convert(args: argparse.Namespace, out: IO[str]) -> int:
    from fasttok import tiktoken as ft

    source = args.input
    names = ft.list_encoding_names()
    if source.endswith(".model"):
        raise CliError(f"{source}: SentencePiece .model files are not supported yet (tiktoken rank files are)")
    try:
        if source in names:
            doc = ft.to_tokenizer_json(source)
        else:
            if not os.path.isfile(source):
                raise CliError(f"{source}: no such file, and not an encoding name ({', '.join(names)})")
            stem = os.path.basename(source).split(".")[0]
            name = args.encoding or (stem if stem in names else None)
            if name is None:
                raise CliError(
                    f"{source}: cannot tell which encoding's split pattern and special tokens go with it; "
                    f"pass --encoding NAME ({', '.join(names)})"
                )
            if name not in names:
                raise CliError(f"--encoding: unknown encoding {name!r} (one of {', '.join(names)})")
            base = ft.get_encoding(name)
            enc = ft.Encoding(
                name,
                pat_str=base._pat_str,
                mergeable_ranks=ft.load_tiktoken_bpe(source),
                special_tokens=base._special_tokens,
            )
            doc = ft.to_tokenizer_json(enc)
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(doc)
    except fasttok.FasttokError as e:
        raise CliError(str(e)) from None
    except OSError as e:
        raise CliError(f"{e.filename or args.output}: {e.strerror or e}") from None
    if not args.quiet:
        print(f"fasttok convert: {source} -> {args.output}", file=sys.stderr)
    return 0


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
    for i, (id_, token, (start, end)) in enumerate(zip(enc.ids, enc.tokens, enc.offsets, strict=False)):
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
        description="Train a BPE, WordPiece, WordLevel or Unigram vocabulary on text files (.txt, .gz, .xz, .zst, "
        ".jsonl; - for standard input) and write a tokenizer.json that Hugging Face tokenizers loads. "
        "Presets: gpt2 (byte-level BPE, the default for bpe), bert (BERT normalizer and pre-tokenizer, "
        "the default for wordpiece), llama (Metaspace, the default for unigram), whitespace (the default for "
        "wordlevel).",
        epilog="example: fasttok train --model bpe --vocab-size 32000 -o tokenizer.json corpus.txt",
    )
    t.add_argument("--model", choices=["bpe", "wordpiece", "wordlevel", "unigram"], default="bpe")
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
    e.add_argument(
        "--format",
        choices=["ids", "tokens", "jsonl", "npy", "bin"],
        default="ids",
        help="text formats: one line per document; npy/bin: one flat uint32 array in -o, "
        "with the documents' start offsets in OUT.idx(.npy)",
    )
    e.add_argument("-o", "--output", help="output file (default: standard output; required for npy/bin)")
    e.add_argument("--field", default="text", help="the text field of .jsonl records")
    e.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")
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
    r.add_argument(
        "--reference",
        default="hf",
        metavar="hf|tiktoken:NAME",
        help="Hugging Face tokenizers on the same file (default), or a tiktoken encoding (e.g. tiktoken:cl100k_base)",
    )
    r.add_argument("--field", default="text", help="the text field of .jsonl records")
    r.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    r.add_argument("files", nargs="*")
    r.set_defaults(run=cmd_parity)

    b = sub.add_parser(
        "bench",
        help="measure fasttok's throughput against the reference library, after checking they agree",
        epilog="example: fasttok bench -t tokenizer.json --threads 1 corpus.txt",
    )
    b.add_argument("-t", "--tokenizer", required=True)
    b.add_argument("--reference", default="hf", metavar="hf|tiktoken:NAME", help="as for parity (default: hf)")
    b.add_argument("--threads", type=int, help="threads for both libraries (default: all cores)")
    b.add_argument("--repeat", type=int, default=3, help="runs of each; the best counts (default 3)")
    b.add_argument("--max-bytes", type=_size, default=20 << 20, metavar="SIZE", help="read up to this much (20M)")
    b.add_argument("--add-special-tokens", action="store_true")
    b.add_argument("--field", default="text", help="the text field of .jsonl records")
    b.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    b.add_argument("files", nargs="*")
    b.set_defaults(run=cmd_bench)

    c = sub.add_parser(
        "convert",
        help="turn a tiktoken encoding into a tokenizer.json",
        description="Writes a tokenizer.json (loaded by fasttok and Hugging Face tokenizers) for a tiktoken "
        "encoding: an encoding name (cl100k_base, o200k_base, ...) or a .tiktoken rank file, whose split "
        "pattern and special tokens come from --encoding or from its file name.",
        epilog="example: fasttok convert cl100k_base -o cl100k.json",
    )
    c.add_argument("input", help="an encoding name or a .tiktoken rank file")
    c.add_argument("--encoding", help="the encoding whose pattern and special tokens to use with a rank file")
    c.add_argument("-o", "--output", required=True)
    c.add_argument("-q", "--quiet", action="store_true")
    c.set_defaults(run=cmd_convert)
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
