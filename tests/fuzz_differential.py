"""Differential fuzz, for a time budget: hypothesis text through fasttok and
`tokenizers` (every shipped tokenizer.json, singles and pairs, with and
without special tokens, flat ids, decode) and through `fasttok.tiktoken` and
`tiktoken`. Not collected by the normal test run (the file name does not
start with `test_`); `rust/fuzz/run.sh` runs it:

    FASTTOK_FUZZ_SECONDS=600 python -m pytest tests/fuzz_differential.py -q

Each round draws new random examples; a failure is shrunk by hypothesis and
printed, to become a regression test in tests/test_properties.py.
"""

from __future__ import annotations

import os
import time
from typing import Any, Callable, Dict

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_properties import FIELDS, PIECES, SOURCES, TEXT, pair_of

import fasttok

tokenizers = pytest.importorskip("tokenizers")

BUDGET = float(os.environ.get("FASTTOK_FUZZ_SECONDS", "60"))
ROUND = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)

# Longer and stranger than the CI strategy: long runs, many pieces.
LONG_TEXT = st.lists(
    st.one_of(
        TEXT,
        PIECES.flatmap(lambda p: st.integers(1, 300).map(lambda n: p * n)),
        st.text(alphabet=st.characters(blacklist_categories=["Cs"]), min_size=50, max_size=400),
    ),
    max_size=8,
).map("".join)


def for_budget(name: str, share: float, body: Callable[[], None]) -> int:
    """Runs hypothesis rounds of `body` until its share of the budget is used."""
    end = time.monotonic() + BUDGET * share
    rounds = 0
    while time.monotonic() < end:
        body()
        rounds += 1
    print(f"{name}: {rounds} rounds of up to {ROUND.max_examples} examples")
    return rounds


def _compare(name: str, text: str, pair: str, specials: bool) -> None:
    hf, ft = pair_of(name)
    args = (text, pair) if pair else (text,)
    a = hf.encode(*args, add_special_tokens=specials)
    b = ft.encode(*args, add_special_tokens=specials)
    for field in FIELDS:
        assert getattr(a, field) == getattr(b, field), (name, field, text, pair, specials)
    if not pair:
        flat, _ = ft.encode_batch_ids([text], add_special_tokens=specials)
        assert flat.tolist() == a.ids, (name, "flat ids", text)
    for skip in (True, False):
        assert hf.decode(a.ids, skip_special_tokens=skip) == ft.decode(a.ids, skip_special_tokens=skip), (name, text)


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_tokenizers_differential(name: str) -> None:
    @ROUND
    @given(text=LONG_TEXT, pair=st.one_of(st.just(""), TEXT), specials=st.booleans())
    def body(text: str, pair: str, specials: bool) -> None:
        _compare(name, text, pair, specials)

    assert for_budget(name, 0.5 / max(1, len(SOURCES)), body) >= 1


ENCODINGS = ["gpt2", "r50k_base", "p50k_base", "cl100k_base", "o200k_base"]


@pytest.mark.parametrize("enc_name", ENCODINGS)
def test_tiktoken_differential(enc_name: str, tiktoken_ref: Dict[str, Any]) -> None:
    from fasttok import tiktoken as ours_mod

    ref: Any = tiktoken_ref[enc_name]
    ours: Any = ours_mod.get_encoding(enc_name)

    @ROUND
    @given(text=LONG_TEXT)
    def body(text: str) -> None:
        assert ours.encode_ordinary(text) == ref.encode_ordinary(text), text
        ids = ref.encode(text, allowed_special="all")
        assert ours.encode(text, allowed_special="all") == ids, text
        assert ours.decode_bytes(ids) == ref.decode_bytes(ids)

    assert for_budget(enc_name, 0.5 / len(ENCODINGS), body) >= 1


def test_fasttok_is_importable() -> None:
    assert fasttok.Tokenizer is not None
