"""The fast `Encoding` path of byte-level BPE (ids from the id cache, offsets
from token lengths, token strings built only when read) against
`tokenizers`, through everything that reads or moves an encoding's tokens
afterwards: pickling, merging, truncation, padding, post-processors. Runs on
the GPT-2 files the project ships."""

from __future__ import annotations

import pickle
from typing import Any, Optional, Tuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fasttok
from fasttok import processors

from conftest import gpt2_tokenizer_json

tokenizers = pytest.importorskip("tokenizers")

TEXTS = [
    "Hello, world! How's it going?",
    "a 𝕏𝔂 龘 x",
    "  leading and trailing  \n\n",
    "中文字符和日本語のテキスト、한국어 Привет",
    "🤗 emoji 👨‍👩‍👧‍👦 flags 🇫🇷 e\u0301 \u0915\u094d\u0937",
    "def f(x):\n    return x  # comment\n",
    "x",
]

FIELDS = ["ids", "tokens", "offsets", "type_ids", "attention_mask", "special_tokens_mask", "word_ids", "sequence_ids"]


def same(a: Any, b: Any, what: str) -> None:
    for f in FIELDS:
        assert getattr(a, f) == getattr(b, f), f"{what}: {f}"
    assert len(a.overflowing) == len(b.overflowing), what
    for x, y in zip(a.overflowing, b.overflowing, strict=True):
        same(x, y, what + " overflowing")


def gpt2(post: Optional[str]) -> Tuple[Any, Any]:
    src = gpt2_tokenizer_json()
    if src is None:
        pytest.skip("GPT-2 vocabulary not found")
    h, f = tokenizers.Tokenizer.from_str(src), fasttok.Tokenizer.from_str(src)
    if post == "none":
        h.post_processor = None
        f.post_processor = None
    elif post == "template":
        h.post_processor = tokenizers.processors.TemplateProcessing(
            single="<|endoftext|> $A", pair="$A <|endoftext|> $B:1", special_tokens=[("<|endoftext|>", 50256)]
        )
        f.post_processor = processors.TemplateProcessing(
            single="<|endoftext|> $A", pair="$A <|endoftext|> $B:1", special_tokens=[("<|endoftext|>", 50256)]
        )
    return h, f


@pytest.mark.parametrize("post", ["none", "template", "file"])
def test_tokens_survive_every_use(post: str) -> None:
    h, f = gpt2(post)
    for t in TEXTS:
        same(h.encode(t), f.encode(t), t)
        same(h.encode(t, t[::-1]), f.encode(t, t[::-1]), t + " pair")
        # Pickling and merging carry the token strings along.
        e = pickle.loads(pickle.dumps(f.encode(t)))
        assert e.tokens == h.encode(t).tokens
        m1 = tokenizers.Encoding.merge([h.encode(t), h.encode("more")], growing_offsets=True)
        m2 = fasttok.Encoding.merge([f.encode(t), f.encode("more")], growing_offsets=True)
        assert (m1.tokens, m1.offsets) == (m2.tokens, m2.offsets)
        # A post-processor run by hand reads them too.
        pp_h = tokenizers.processors.ByteLevel(trim_offsets=True)
        pp_f = processors.ByteLevel(trim_offsets=True)
        a, b = pp_h.process(h.encode(t)), pp_f.process(f.encode(t))
        assert (a.tokens, a.offsets) == (b.tokens, b.offsets)
    # Truncation's overflowing parts and padding.
    for x in (h, f):
        x.enable_truncation(5, stride=2)
        x.enable_padding(length=7, pad_token="<|endoftext|>", pad_id=50256)
    for t in TEXTS:
        same(h.encode(t), f.encode(t), t + " truncated")
    for a, b in zip(h.encode_batch(TEXTS), f.encode_batch(TEXTS), strict=True):
        same(a, b, "batch truncated")


@settings(max_examples=150, deadline=None)
@given(texts=st.lists(st.text(max_size=60), min_size=1, max_size=4))
def test_any_text_in_a_batch(texts: list) -> None:
    h, f = gpt2("none")
    ok = [t for t in texts if not any(0xD800 <= ord(c) < 0xE000 for c in t)]
    for a, b in zip(h.encode_batch(ok), f.encode_batch(ok), strict=True):
        same(a, b, repr(ok))


def test_vocabulary_without_every_byte_takes_the_general_path() -> None:
    """A byte-level BPE trained without ByteLevel's full alphabet has unknown
    chars: an unknown token stands for a whole char, not one byte."""
    from tokenizers import decoders, models, pre_tokenizers, trainers

    h = tokenizers.Tokenizer(models.BPE(unk_token="<unk>"))
    h.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    h.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=300, special_tokens=["<unk>"], show_progress=False)
    h.train_from_iterator(["the cat sat on the mat", "hello there"] * 20, trainer=trainer)
    f = fasttok.Tokenizer.from_str(h.to_str())
    for t in ["the cat", "the Zebra é 中 sat", "xyz q", "hello 🤗 there"]:
        same(h.encode(t), f.encode(t), t)


def test_lists_past_the_shared_ints() -> None:
    """Offsets beyond the ints fasttok shares between lists (2^18) are made
    one by one; every list still equals `tokenizers`'."""
    h, f = gpt2("none")
    text = "word " * 60_000 + "中文 " * 2_000
    a, b = h.encode(text), f.encode(text)
    assert a.offsets[-1][1] > 1 << 18
    same(a, b, "long text")


STRESS = [
    "e\u0301 café ΟΔΟΣ σοφός İstanbul ﬁne",
    "\u0301x a\u0300\u0301b 中文字 한국어 ½ ① Å",
    "a\x0cb\x00c\u200bd tab\there",
    "Straße ǅemal ΐ ﬃ",
    "plain ascii text, nothing else",
    "",
    "  two  spaces, ab cab ",
    "été 😀 x",
]


@pytest.mark.parametrize(
    "normalizer",
    [
        "NFC",
        "NFKC",
        "NFD-strip",
        "lower",
        "bert",
        "bert-keep-accents",
        "llama",
        "prepend-lower",
        "nfc-then-prepend",
        "replace-two-chars",
    ],
)
def test_char_by_char_normalizers_align_as_tokenizers(normalizer: str) -> None:
    """Normalizers that mostly work char by char: each char's output is
    aligned to it, unless the text's normalization is not the chars' own
    (composition, final sigma, dropped marks), where the full normalizer
    decides. Offsets, words and tokens equal `tokenizers'`."""
    from conftest import find_data

    p = find_data("vocab/bert-base-uncased/tokenizer.json")
    if p is None:
        pytest.skip("BERT vocabulary not found")
    src = p.read_text(encoding="utf-8")
    pair = []
    for lib in (tokenizers, fasttok):
        t = lib.Tokenizer.from_str(src)
        t.no_padding()
        t.no_truncation()
        t.normalizer = {
            "NFC": lambda n: n.NFC(),
            "NFKC": lambda n: n.NFKC(),
            "NFD-strip": lambda n: n.Sequence([n.NFD(), n.StripAccents()]),
            "lower": lambda n: n.Lowercase(),
            "bert": lambda n: n.BertNormalizer(lowercase=True, strip_accents=True),
            "bert-keep-accents": lambda n: n.BertNormalizer(lowercase=True, strip_accents=False),
            # Llama-2's: the prepended text aligned to the first char.
            "llama": lambda n: n.Sequence([n.Prepend("▁"), n.Replace(" ", "▁")]),
            "prepend-lower": lambda n: n.Sequence([n.Prepend("ß "), n.Lowercase(), n.NFKC()]),
            # Not char by char (the full normalizer decides).
            "nfc-then-prepend": lambda n: n.Sequence([n.NFC(), n.Prepend("▁")]),
            "replace-two-chars": lambda n: n.Sequence([n.Prepend("▁"), n.Replace("ab", "x")]),
        }[normalizer](lib.normalizers)
        pair.append(t)
    h, f = pair
    for t in STRESS:
        same(h.encode(t), f.encode(t), t)
    for a, b in zip(h.encode_batch(STRESS), f.encode_batch(STRESS), strict=True):
        same(a, b, "batch")
