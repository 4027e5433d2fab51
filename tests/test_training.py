"""Training parity: fasttok's trainers against ``tokenizers``' on the shared
corpora (or the bundled sample when they are absent).

Where ``tokenizers`` is deterministic (BPE without prefix/suffix, WordLevel)
the saved tokenizer.json must be identical. Where it breaks ties in hash-map
order (continuing_subword_prefix / end_of_word_suffix, so WordPiece too) the
two must agree as closely as ``tokenizers`` agrees with itself (issue #3):
token sets within 0.1%, tokens identical on at least 99.8% of held-out lines.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

import pytest
import tokenizers as hf

import fasttok
from fasttok import errors

from conftest import ROOT, corpus_docs, find_data

CORPORA = ["en", "multi", "code"]
TRAIN_CHARS = 3_000_000


def _corpus_file(tmp: Path, name: str) -> Path:
    """About 3 MB of documents drawn from the whole corpus, as a text file."""
    if find_data(f"corpus/{name}.txt.xz") is None:
        if name != "en":
            pytest.skip(f"shared corpus {name} not available")
        return ROOT / "data" / "sample" / "kjv-genesis.txt"
    docs = corpus_docs(name, n_docs=100_000, seed=1, max_chars=4000)
    out, size = [], 0
    for d in docs:
        out.append(d)
        size += len(d)
        if size > TRAIN_CHARS:
            break
    p = tmp / f"{name}.txt"
    p.write_text("\n\n".join(out), encoding="utf-8")
    return p


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    tmp = tmp_path_factory.mktemp("corpus")
    made: Dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in made:
            made[name] = _corpus_file(tmp, name)
        return made[name]

    return get


def held_out(name: str, n: int = 400) -> List[str]:
    docs = corpus_docs(name, n_docs=n, seed=99, max_chars=2000)
    if not docs:
        docs = (ROOT / "data" / "sample" / "kjv-genesis.txt").read_text(encoding="utf-8").splitlines()[-n:]
    return docs


# ---- pipelines, built the same way in both libraries -------------------------


def byte_level(lib: Any, vocab_size: int, **kw: Any) -> Tuple[Any, Any]:
    tok = lib.Tokenizer(lib.models.BPE())
    tok.pre_tokenizer = lib.pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = lib.decoders.ByteLevel()
    trainer = lib.trainers.BpeTrainer(
        vocab_size=vocab_size,
        show_progress=False,
        initial_alphabet=lib.pre_tokenizers.ByteLevel.alphabet(),
        special_tokens=["<|endoftext|>", "<pad>"],
        **kw,
    )
    return tok, trainer


def whitespace_bpe(lib: Any, vocab_size: int, **kw: Any) -> Tuple[Any, Any]:
    tok = lib.Tokenizer(lib.models.BPE(unk_token="[UNK]"))
    tok.normalizer = lib.normalizers.NFKC()
    tok.pre_tokenizer = lib.pre_tokenizers.Whitespace()
    kw.setdefault("special_tokens", ["[UNK]", "[CLS]", "[SEP]"])
    trainer = lib.trainers.BpeTrainer(vocab_size=vocab_size, show_progress=False, **kw)
    return tok, trainer


def wordpiece(lib: Any, vocab_size: int, **kw: Any) -> Tuple[Any, Any]:
    tok = lib.Tokenizer(lib.models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = lib.normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = lib.pre_tokenizers.BertPreTokenizer()
    tok.decoder = lib.decoders.WordPiece()
    trainer = lib.trainers.WordPieceTrainer(
        vocab_size=vocab_size, show_progress=False, special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"], **kw
    )
    return tok, trainer


def wordlevel(lib: Any, vocab_size: int, **kw: Any) -> Tuple[Any, Any]:
    tok = lib.Tokenizer(lib.models.WordLevel(unk_token="<unk>"))
    tok.pre_tokenizer = lib.pre_tokenizers.WhitespaceSplit()
    trainer = lib.trainers.WordLevelTrainer(vocab_size=vocab_size, show_progress=False, special_tokens=["<unk>"], **kw)
    return tok, trainer


def train_both(build: Callable[..., Tuple[Any, Any]], path: Path, vocab_size: int, **kw: Any) -> Tuple[Any, Any]:
    ft_tok, ft_tr = build(fasttok, vocab_size, **kw)
    ft_tok.train([str(path)], ft_tr)
    hf_tok, hf_tr = build(hf, vocab_size, **kw)
    hf_tok.train([str(path)], hf_tr)
    return ft_tok, hf_tok


def model_json(tok: Any) -> Dict[str, Any]:
    return json.loads(tok.to_str())


# ---- exact where tokenizers is deterministic ----------------------------------


@pytest.mark.parametrize("name", CORPORA)
@pytest.mark.parametrize("vocab_size", [8000, 32000])
def test_byte_level_bpe_identical(corpus: Callable[[str], Path], name: str, vocab_size: int) -> None:
    ft, ref = train_both(byte_level, corpus(name), vocab_size)
    a, b = model_json(ft), model_json(ref)
    assert a["model"]["vocab"] == b["model"]["vocab"]
    assert a["model"]["merges"] == b["model"]["merges"]
    assert a["added_tokens"] == b["added_tokens"]
    assert ft.to_str() == ref.to_str()


@pytest.mark.parametrize("name", CORPORA)
@pytest.mark.parametrize("vocab_size", [8000, 32000])
def test_whitespace_bpe_identical(corpus: Callable[[str], Path], name: str, vocab_size: int) -> None:
    ft, ref = train_both(whitespace_bpe, corpus(name), vocab_size, min_frequency=2)
    assert ft.to_str() == ref.to_str()
    # The trained tokenizer encodes alike in both libraries.
    docs = held_out(name, 100)
    loaded = hf.Tokenizer.from_str(ft.to_str())
    for d in docs:
        assert ft.encode(d).ids == loaded.encode(d).ids


@pytest.mark.parametrize(
    "kw",
    [
        {"max_token_length": 4},
        {"min_frequency": 50},
        {"vocab_size": 500, "limit_alphabet": 200, "special_tokens": []},
        {"initial_alphabet": ["é", "ß", "€"]},
    ],
    ids=lambda kw: ",".join(kw),
)
def test_bpe_options_identical(corpus: Callable[[str], Path], kw: Dict[str, Any]) -> None:
    kw = dict(kw)
    vocab_size = kw.pop("vocab_size", 8000)
    ft, ref = train_both(
        whitespace_bpe, corpus("multi" if find_data("corpus/multi.txt.xz") else "en"), vocab_size, **kw
    )
    assert ft.to_str() == ref.to_str()


@pytest.mark.parametrize("name", ["en", "multi"])
def test_wordlevel_identical(corpus: Callable[[str], Path], name: str) -> None:
    ft, ref = train_both(wordlevel, corpus(name), 20000, min_frequency=2)
    assert ft.to_str() == ref.to_str()


def test_train_from_iterator_matches_tokenizers(corpus: Callable[[str], Path]) -> None:
    lines = corpus("en").read_text(encoding="utf-8").splitlines(keepends=True)[:20000]
    ft_tok, ft_tr = byte_level(fasttok, 3000)
    # Strings and lists of strings, as tokenizers accepts.
    ft_tok.train_from_iterator(iter([lines[:5000]] + lines[5000:]), ft_tr, length=len(lines))
    hf_tok, hf_tr = byte_level(hf, 3000)
    hf_tok.train_from_iterator(iter(lines), hf_tr)
    assert ft_tok.to_str() == hf_tok.to_str()


# ---- where tokenizers breaks ties in hash-map order ------------------------------
#
# With a continuing_subword_prefix or end_of_word_suffix, tokenizers gives the
# prefixed/suffixed chars ids in the hash order of its word map, and with
# limit_alphabet it cuts tied chars in hash order; pair ties are then broken by
# those ids, so its output varies from run to run. Two checks:
# 1. replay: fasttok, given the initial tokens in the order one tokenizers run
#    chose (read back from that run's vocabulary), reproduces that run exactly;
# 2. agreement: fasttok's own order agrees with tokenizers about as well as
#    tokenizers agrees with itself.


def initial_tokens(ref: Any, specials: List[str], prefix: str = "", suffix: str = "") -> List[str]:
    """The tokens tokenizers created before its first merge: single chars,
    with the prefix and/or suffix, in id order."""

    def core(t: str) -> str:
        if prefix and t.startswith(prefix):
            t = t[len(prefix) :]
        if suffix and t.endswith(suffix):
            t = t[: -len(suffix)]
        return t

    vocab = sorted(ref.get_vocab(with_added_tokens=False).items(), key=lambda kv: kv[1])
    return [t for t, _ in vocab if t not in specials and len(core(t)) == 1]


WP_SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


@pytest.mark.parametrize("name", CORPORA)
@pytest.mark.parametrize("vocab_size", [8000, 32000])
def test_wordpiece_replays_tokenizers(corpus: Callable[[str], Path], name: str, vocab_size: int) -> None:
    path = corpus(name)
    ref, ref_tr = wordpiece(hf, vocab_size)
    ref.train([str(path)], ref_tr)
    ft, ft_tr = wordpiece(fasttok, vocab_size)
    ft_tr._initial_tokens = initial_tokens(ref, WP_SPECIALS, prefix="##")
    ft.train([str(path)], ft_tr)
    assert ft.get_vocab() == ref.get_vocab()
    assert [ft.token_to_id(t) for t in WP_SPECIALS] == [0, 1, 2, 3, 4]


BPE_TIES = [{"end_of_word_suffix": "</w>"}, {"continuing_subword_prefix": "##"}, {"limit_alphabet": 1000}]


@pytest.mark.parametrize("kw", BPE_TIES, ids=lambda kw: ",".join(kw))
@pytest.mark.parametrize("name", ["en", "multi"])
def test_prefix_suffix_bpe_replays_tokenizers(corpus: Callable[[str], Path], name: str, kw: Dict[str, Any]) -> None:
    path = corpus(name)
    ref, ref_tr = whitespace_bpe(hf, 8000, **kw)
    ref.train([str(path)], ref_tr)
    ft, ft_tr = whitespace_bpe(fasttok, 8000, **kw)
    ft_tr._initial_tokens = initial_tokens(
        ref, ["[UNK]", "[CLS]", "[SEP]"], kw.get("continuing_subword_prefix", ""), kw.get("end_of_word_suffix", "")
    )
    ft.train([str(path)], ft_tr)
    assert ft.to_str() == ref.to_str()


def agreement(ft: Any, ref: Any, docs: List[str]) -> Tuple[float, float]:
    """(share of tokens in only one vocabulary, share of held-out lines
    tokenized identically)."""
    a, b = set(ft.get_vocab()), set(ref.get_vocab())
    token_diff = len(a ^ b) / max(len(a), len(b))
    lines = [ln for d in docs for ln in d.splitlines() if ln.strip()]
    same = sum(ft.encode(ln).tokens == ref.encode(ln).tokens for ln in lines)
    return token_diff, same / len(lines)


@pytest.mark.parametrize(
    "build,kw",
    [(wordpiece, {}), (whitespace_bpe, {"end_of_word_suffix": "</w>"})],
    ids=["wordpiece", "bpe-suffix"],
)
@pytest.mark.parametrize("name", ["en", "code"])
def test_agrees_with_tokenizers_as_it_agrees_with_itself(
    corpus: Callable[[str], Path], build: Callable[..., Tuple[Any, Any]], kw: Dict[str, Any], name: str
) -> None:
    path = corpus(name)
    runs = []
    for lib in (hf, hf, hf, fasttok):
        tok, tr = build(lib, 8000, **kw)
        tok.train([str(path)], tr)
        runs.append(tok)
    docs = held_out(name)
    own = [agreement(runs[i], runs[j], docs) for i, j in [(0, 1), (0, 2), (1, 2)]]
    ours = [agreement(runs[3], r, docs) for r in runs[:3]]
    mean_diff = sum(d for d, _ in ours) / 3
    mean_lines = sum(x for _, x in ours) / 3
    # Issue #3's bounds (0.1% of tokens, 99.8% of lines), or tokenizers' own
    # run-to-run differences where those are larger (with a margin: one
    # sample of three runs is a noisy measure of them).
    assert mean_diff <= max(0.001, 2 * max(d for d, _ in own)), (ours, own)
    assert mean_lines >= min(0.998, min(x for _, x in own) - 0.002), (ours, own)


# ---- determinism ------------------------------------------------------------

_TRAIN_SCRIPT = """
import sys, fasttok
from fasttok import models, pre_tokenizers, trainers
tok = fasttok.Tokenizer(models.WordPiece(unk_token="[UNK]"))
tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
tok.train([sys.argv[1]], trainers.WordPieceTrainer(vocab_size=6000, show_progress=False, special_tokens=["[UNK]"]))
sys.stdout.write(tok.to_str())
"""


def outputs_by_thread_count(script: str, path: Path, counts: List[str]) -> set:
    """The distinct outputs of `script` (given `path`) run with each thread count."""
    outs = set()
    for threads in counts:
        env = dict(os.environ, FASTTOK_NUM_THREADS=threads)
        r = subprocess.run(
            [sys.executable, "-c", script, str(path)], env=env, capture_output=True, text=True, check=True
        )
        outs.add(r.stdout)
    return outs


def test_same_output_whatever_the_thread_count(corpus: Callable[[str], Path]) -> None:
    assert len(outputs_by_thread_count(_TRAIN_SCRIPT, corpus("en"), ["1", "2", "4", "2"])) == 1


# ---- errors -----------------------------------------------------------------


def test_missing_file_is_named(tmp_path: Path) -> None:
    tok, tr = byte_level(fasttok, 1000)
    missing = tmp_path / "nope.txt"
    with pytest.raises(errors.FileNotFound, match="nope.txt"):
        tok.train([str(missing)], tr)


def test_invalid_utf8_names_file_and_offset(tmp_path: Path) -> None:
    p = tmp_path / "bad.txt"
    p.write_bytes(b"hello world\nfine line\nbroken \xff here\n")
    tok, tr = byte_level(fasttok, 1000)
    with pytest.raises(errors.InputError, match=r"bad\.txt: invalid UTF-8 at byte 29"):
        tok.train([str(p)], tr)
    # tokenizers refuses the file too.
    hf_tok, hf_tr = byte_level(hf, 1000)
    with pytest.raises(Exception, match="UTF-8"):
        hf_tok.train([str(p)], hf_tr)


def test_vocab_size_below_alphabet(tmp_path: Path) -> None:
    p = tmp_path / "a.txt"
    p.write_text("hello world\n")
    tok, tr = byte_level(fasttok, 100)
    with pytest.raises(errors.ConfigError, match="vocab_size 100 is smaller than the 258"):
        tok.train([str(p)], tr)


def test_empty_corpus(tmp_path: Path) -> None:
    p = tmp_path / "empty.txt"
    p.write_text("")
    tok, tr = byte_level(fasttok, 1000)
    with pytest.raises(errors.InputError, match="no words"):
        tok.train([str(p)], tr)
    with pytest.raises(errors.InputError, match="no words"):
        tok.train_from_iterator([], tr)


def test_trainer_must_match_model(tmp_path: Path) -> None:
    p = tmp_path / "a.txt"
    p.write_text("hello world\n")
    tok = fasttok.Tokenizer(fasttok.models.WordPiece())
    with pytest.raises(errors.ConfigError, match="BpeTrainer can only train a BPE model"):
        tok.train([str(p)], fasttok.trainers.BpeTrainer(show_progress=False))


def test_bad_trainer_arguments() -> None:
    with pytest.raises(ValueError, match="vocab_size"):
        fasttok.trainers.BpeTrainer(vocab_size=-1)
    with pytest.raises(TypeError, match="special_tokens"):
        fasttok.trainers.BpeTrainer(special_tokens=[3])
    tok, tr = byte_level(fasttok, 1000)
    with pytest.raises(TypeError, match="train_from_iterator"):
        tok.train_from_iterator([b"bytes"], tr)


def test_default_trainer_and_model_get_trainer(tmp_path: Path) -> None:
    p = tmp_path / "a.txt"
    p.write_text("low lower lowest newer wider\n" * 10)
    tok = fasttok.Tokenizer(fasttok.models.WordLevel(unk_token="<unk>"))
    tok.pre_tokenizer = fasttok.pre_tokenizers.Whitespace()
    assert isinstance(tok.model.get_trainer(), fasttok.trainers.WordLevelTrainer)
    tok.train([str(p)])
    ref = hf.Tokenizer(hf.models.WordLevel(unk_token="<unk>"))
    ref.pre_tokenizer = hf.pre_tokenizers.Whitespace()
    ref.train([str(p)])
    assert tok.get_vocab() == ref.get_vocab()


# ---- memory budget ------------------------------------------------------------


def _merges(tok: Any) -> List[Any]:
    return list(model_json(tok)["model"]["merges"])


def test_memory_budget_prunes_rare_words_only(corpus: Callable[[str], Path]) -> None:
    path = corpus("en")
    plain, tr = whitespace_bpe(fasttok, 3000)
    plain.train([str(path)], tr)
    roomy, tr = whitespace_bpe(fasttok, 3000)
    roomy.train([str(path)], tr, memory_budget=1 << 40)
    assert roomy.to_str() == plain.to_str()
    # Half the word table (about 64 bytes a word plus its length): rare words
    # are dropped, which lowers the counts of pairs spread over many rare
    # words, so the merges change, but most of the frequent ones stay.
    table = sum(64 + len(w.encode()) for w in set(path.read_text(encoding="utf-8").split()))
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    tight, tr = whitespace_bpe(fasttok, 3000)
    tight.train_from_iterator(lines, tr, memory_budget=table // 2)
    assert tight.to_str() != plain.to_str()
    top = [tuple(m) for m in _merges(plain)[:1000]]
    assert len(set(top) & {tuple(m) for m in _merges(tight)[:1000]}) >= 800


def test_lines_longer_than_a_batch_are_not_cut(tmp_path: Path) -> None:
    """Files are read in blocks of about 4 MB, always cut after a line break."""
    p = tmp_path / "long.txt"
    words = " ".join(f"w{i % 977}x{i % 13}" for i in range(700_000))  # one line of about 6 MB
    p.write_text("short line\n" + words + "\nlast line without break", encoding="utf-8")
    ft, ref = train_both(wordlevel, p, 50_000)
    assert ft.get_vocab() == ref.get_vocab()


# ---- Unigram ------------------------------------------------------------------


def unigram(lib: Any, vocab_size: int, **kw: Any) -> Tuple[Any, Any]:
    tok = lib.Tokenizer(lib.models.Unigram())
    tok.normalizer = lib.normalizers.NFKC()
    tok.pre_tokenizer = lib.pre_tokenizers.Metaspace()
    tok.decoder = lib.decoders.Metaspace()
    kw.setdefault("special_tokens", ["<pad>", "</s>"])
    kw.setdefault("unk_token", "<unk>")
    trainer = lib.trainers.UnigramTrainer(vocab_size=vocab_size, show_progress=False, **kw)
    return tok, trainer


def assert_same_unigram(ft: Any, ref: Any, docs: List[str]) -> None:
    """What tokenizers itself keeps from run to run (its E-step adds floats in
    hash order, and it gives the chars it must put back their small penalty
    scores in hash order): the same pieces, the same scores up to rounding
    except for those put-back chars, whose scores are the same set; the same
    unk id and special token ids; the same tokens on held-out text that has
    none of the put-back chars."""
    a, b = model_json(ft)["model"], model_json(ref)["model"]
    assert a["unk_id"] == b["unk_id"]
    assert a["byte_fallback"] == b["byte_fallback"]
    va, vb = dict(map(tuple, a["vocab"])), dict(map(tuple, b["vocab"]))
    assert len(a["vocab"]) == len(b["vocab"])
    assert set(va) == set(vb)
    for t in ref.get_added_tokens_decoder().values():
        assert ft.token_to_id(t.content) == ref.token_to_id(t.content)
    moved = [p for p in va if abs(va[p] - vb[p]) > 1e-9 * max(1.0, abs(vb[p]))]
    assert all(len(p) == 1 for p in moved), moved
    assert sorted(va[p] for p in moved) == pytest.approx(sorted(vb[p] for p in moved), abs=1e-9)
    # Text without those chars is cut the same way: both models score every
    # piece it can use the same (to 1e-9). Text with them may not be
    # (tokenizers' own runs differ there too).
    lines = [ln for d in docs for ln in d.splitlines() if ln.strip()]
    plain = [ln for ln in lines if not any(c in ln for c in moved)]
    assert len(plain) >= len(lines) // 2
    # Up to ties between the same pieces in another order ("0"+"000000" or
    # "000000"+"0"): equal sums that rounding decides, in tokenizers' own
    # runs as well.
    same = ties = 0
    for ln in plain:
        x, y = ft.encode(ln).tokens, ref.encode(ln).tokens
        same += x == y
        ties += x != y and sorted(x) == sorted(y)
    assert same + ties == len(plain), (same, ties, len(plain))
    assert same >= 0.97 * len(plain)


@pytest.mark.parametrize("name", CORPORA)
def test_unigram_matches_tokenizers(corpus: Callable[[str], Path], name: str) -> None:
    ft, ref = train_both(unigram, corpus(name), 8000)
    assert_same_unigram(ft, ref, held_out(name))


@pytest.mark.parametrize(
    "kw",
    [
        {"unk_token": None},
        {"special_tokens": ["<s>", "<unk>", "</s>"]},
        {"shrinking_factor": 0.5, "n_sub_iterations": 1},
        {"max_piece_length": 6, "initial_alphabet": ["q", "ζ", "€uro"]},
    ],
    ids=["no-unk", "unk-among-specials", "shrink-0.5", "short-pieces"],
)
def test_unigram_options_match_tokenizers(corpus: Callable[[str], Path], kw: Dict[str, Any]) -> None:
    ft, ref = train_both(unigram, corpus("en"), 3000, **kw)
    assert_same_unigram(ft, ref, held_out("en", 100))


def test_unigram_identical_where_tokenizers_is_deterministic() -> None:
    """Two distinct words: float sums cannot depend on their order, so
    tokenizers always gives the same scores, and fasttok gives them too, bit
    for bit, with the same ids. Only the chars put back at the end (with
    penalty scores handed out in tokenizers' hash order) may trade places."""
    words = ["▁hellohello"] * 12 + ["▁yellowyellow"] * 7
    outs = []
    for lib in (fasttok, hf):
        tok = lib.Tokenizer(lib.models.Unigram())
        tok.pre_tokenizer = lib.pre_tokenizers.WhitespaceSplit()
        tr = lib.trainers.UnigramTrainer(vocab_size=14, show_progress=False, unk_token="<unk>")
        tok.train_from_iterator(words, tr)
        outs.append(model_json(tok)["model"])
    a, b = outs
    assert len(a["vocab"]) == len(b["vocab"])
    moved = {p for (p, x), (q, y) in zip(a["vocab"], b["vocab"], strict=False) if (p, x) != (q, y)}
    assert all(len(p) == 1 for p in moved), moved
    canon = [[("<moved>" if p in moved else p), x] for p, x in a["vocab"]]
    assert canon == [[("<moved>" if p in moved else p), x] for p, x in b["vocab"]]
    assert a["unk_id"] == b["unk_id"] == 0


_UNIGRAM_SCRIPT = """
import sys, fasttok
from fasttok import models, pre_tokenizers, trainers
tok = fasttok.Tokenizer(models.Unigram())
tok.pre_tokenizer = pre_tokenizers.Metaspace()
tok.train([sys.argv[1]], trainers.UnigramTrainer(vocab_size=3000, show_progress=False, unk_token="<unk>"))
sys.stdout.write(tok.to_str())
"""


def test_unigram_same_output_whatever_the_thread_count(corpus: Callable[[str], Path]) -> None:
    assert len(outputs_by_thread_count(_UNIGRAM_SCRIPT, corpus("en"), ["1", "2", "3"])) == 1


def test_unigram_errors(tmp_path: Path) -> None:
    p = tmp_path / "a.txt"
    p.write_text("hello world, this is a small corpus\n" * 3)
    tok, tr = unigram(fasttok, 10)
    with pytest.raises(errors.ConfigError, match=r"vocab_size: 10 is below the \d+ distinct chars"):
        tok.train([str(p)], tr)
    with pytest.raises(ValueError, match="shrinking_factor"):
        fasttok.trainers.UnigramTrainer(shrinking_factor=1.0)
    with pytest.raises(ValueError, match="vocab_size"):
        fasttok.trainers.UnigramTrainer(vocab_size=0)
    bpe = fasttok.Tokenizer(fasttok.models.BPE())
    with pytest.raises(errors.ConfigError, match="UnigramTrainer can only train a Unigram model"):
        bpe.train([str(p)], fasttok.trainers.UnigramTrainer(show_progress=False))
    assert isinstance(fasttok.models.Unigram().get_trainer(), fasttok.trainers.UnigramTrainer)
    # A word spelling the training-time unk piece (tokenizers panics on it).
    tok, tr = unigram(fasttok, 60)
    tok.train_from_iterator(["<UNK> hello <UNK> world"] * 5, tr)
    assert tok.encode("hello <UNK>").tokens


@pytest.mark.parametrize("make", ["bpe", "wordpiece", "wordlevel", "unigram"])
def test_absurd_vocab_sizes(make: str) -> None:
    """A vocab_size far beyond what the corpus holds gives everything the
    corpus holds (no huge allocation, no overflow); one past 2**63-1 is a
    clear error."""
    build = {"bpe": whitespace_bpe, "wordpiece": wordpiece, "wordlevel": wordlevel, "unigram": unigram}[make]
    lines = ["hello world the quick brown fox jumps over the lazy dog"] * 20
    sizes = []
    for vocab_size in [10**4, 10**12, 2**63 - 1]:
        tok, tr = build(fasttok, vocab_size)
        tok.train_from_iterator(lines, tr)
        sizes.append(tok.get_vocab_size())
    assert sizes[0] == sizes[1] == sizes[2] < 200
    with pytest.raises(ValueError, match="vocab_size"):
        build(fasttok, 2**64)
