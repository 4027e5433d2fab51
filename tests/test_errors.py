"""Bad input gets a clear exception from the documented hierarchy, never a
crash: malformed files, unknown components, bad ids, bad arguments."""

from __future__ import annotations

import json
from typing import Any, Dict

import pytest

import fasttok
from fasttok import models, pre_tokenizers

WL = {"type": "WordLevel", "vocab": {"[UNK]": 0, "a": 1}, "unk_token": "[UNK]"}


def doc(**parts: Any) -> str:
    d: Dict[str, Any] = {"model": WL}
    d.update(parts)
    return json.dumps(d)


@pytest.mark.parametrize(
    "text, where, what",
    [
        ("{", "<string>", "EOF"),
        (doc() + " xyz", "<string>", "trailing characters"),
        ("[]", "<string>", "invalid"),
        ('{"normalizer": null}', "<string>", "missing field `model`"),
        (doc(normalizer={"type": "Foo"}), "normalizer", "unknown variant `Foo`"),
        (doc(pre_tokenizer={"type": "Nope"}), "pre_tokenizer", "unknown variant `Nope`"),
        (doc(decoder={"type": "Nope"}), "decoder", "unknown variant"),
        (doc(post_processor={"type": "Nope"}), "post_processor", "unknown variant"),
        (
            json.dumps({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a b"]}}),
            "model",
            'token "b" of merge "a b" is not in the vocabulary',
        ),
        (
            json.dumps({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [["a"]]}}),
            "model",
            "merges[0]",
        ),
        (
            doc(pre_tokenizer={"type": "Split", "pattern": {"Regex": "(("}, "behavior": "Isolated"}),
            "pre_tokenizer",
            "regex",
        ),
        (doc(normalizer={"type": "Replace", "pattern": {"Regex": "[a-"}, "content": ""}), "normalizer", "regex"),
        (json.dumps({"model": {"type": "WordPiece", "vocab": {"a": "zero"}}}), "model", 'vocab["a"]'),
        (json.dumps({"model": {"type": "Magic", "vocab": {}}}), "model", "unknown model type"),
        (json.dumps({"model": {"type": "Unigram", "vocab": [["a", 0.0]], "unk_id": 5}}), "model", "unk_id"),
        (doc(truncation={"max_length": "x"}), "truncation.max_length", "invalid type"),
        (doc(padding={"strategy": {"Fixed": -1}}), "padding", "invalid value"),
        (doc(normalizer={"type": "Precompiled", "precompiled_charsmap": "!!!"}), "normalizer", "base64"),
        (
            doc(
                post_processor={
                    "type": "TemplateProcessing",
                    "single": [{"SpecialToken": {"id": "[X]", "type_id": 0}}],
                    "pair": [],
                    "special_tokens": {},
                }
            ),
            "post_processor",
            "[X]",
        ),
        (doc(added_tokens=[{"id": 0}]), "added_tokens", "content"),
    ],
)
def test_malformed_tokenizer_json(text: str, where: str, what: str) -> None:
    with pytest.raises(fasttok.ConfigError) as info:
        fasttok.Tokenizer.from_str(text)
    msg = str(info.value)
    assert where in msg and what in msg, msg
    assert isinstance(info.value, ValueError) and isinstance(info.value, fasttok.FasttokError)


def test_deeply_nested_sequence_is_an_error_not_a_crash() -> None:
    depth = 5000
    nested = '{"type": "Sequence", "normalizers": [' * depth + '{"type": "NFC"}' + "]}" * depth
    text = '{"model": ' + json.dumps(WL) + ', "normalizer": ' + nested + "}"
    with pytest.raises(fasttok.ConfigError, match="recursion"):
        fasttok.Tokenizer.from_str(text)


def test_missing_file_names_the_file(tmp_path: Any) -> None:
    missing = tmp_path / "nope.json"
    with pytest.raises(fasttok.FileNotFound) as info:
        fasttok.Tokenizer.from_file(missing)
    assert str(missing) in str(info.value)
    assert isinstance(info.value, FileNotFoundError) and isinstance(info.value, OSError)
    bad = tmp_path / "bad.json"
    bad.write_text('{"model": {"type": "WordLevel", "vocab": {}}, "normalizer": {"type": "X"}}')
    with pytest.raises(fasttok.ConfigError) as info2:
        fasttok.Tokenizer.from_file(bad)
    assert str(bad) in str(info2.value) and "normalizer" in str(info2.value)
    with pytest.raises(fasttok.FileError):
        fasttok.Tokenizer.from_file(tmp_path)  # a directory
    latin1 = tmp_path / "latin1.json"
    latin1.write_bytes(b'{"model": \xff}')
    with pytest.raises(fasttok.FasttokError):
        fasttok.Tokenizer.from_file(latin1)


def test_bad_ids_and_arguments() -> None:
    t = fasttok.Tokenizer.from_str(doc())
    with pytest.raises(fasttok.InputError, match="99"):
        t.decode([1, 99])
    with pytest.raises(fasttok.InputError):
        t.decode([-1])
    assert t.id_to_token(99) is None and t.id_to_token(-5) is None
    with pytest.raises(TypeError):
        t.encode(123)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        t.encode("a b", is_pretokenized=True)
    with pytest.raises(ValueError):
        t.enable_truncation(10, strategy="sideways")
    with pytest.raises(ValueError):
        t.enable_padding(direction="up")
    with pytest.raises(ValueError):
        pre_tokenizers.Split("x", "sometimes")
    with pytest.raises(fasttok.ConfigError):
        models.BPE({"a": 0}, [("a", "b")])
    with pytest.raises(TypeError):
        t.normalizer = pre_tokenizers.Whitespace()  # type: ignore[assignment]


def test_unsatisfiable_truncation_is_an_error() -> None:
    t = fasttok.Tokenizer.from_str(doc())
    t.pre_tokenizer = pre_tokenizers.Whitespace()
    t.enable_truncation(4, stride=4)
    with pytest.raises(fasttok.InputError, match="stride"):
        t.encode("a a a a a a a a")
    t.enable_truncation(2, strategy="only_second")
    with pytest.raises(fasttok.InputError, match="pair"):
        t.encode("a a a")


def test_unknown_word_without_unk_token() -> None:
    t = fasttok.Tokenizer.from_str(json.dumps({"model": {"type": "WordLevel", "vocab": {"a": 0}, "unk_token": "<u>"}}))
    with pytest.raises(fasttok.InputError, match="not in the vocabulary"):
        t.encode("b")


def test_empty_and_huge_inputs() -> None:
    t = fasttok.Tokenizer.from_str(doc())
    t.pre_tokenizer = pre_tokenizers.Whitespace()
    assert t.encode("").ids == []
    assert t.encode_batch([]) == []
    assert t.decode([]) == ""
    big = "a " * 500_000
    assert len(t.encode(big).ids) == 500_000


def test_error_inside_a_sequence_names_the_element() -> None:
    bad = doc(normalizer={"type": "Sequence", "normalizers": [{"type": "NFC"}, {"type": "Bar"}]})
    with pytest.raises(fasttok.ConfigError, match=r"normalizer\.normalizers\[1\]`: unknown variant `Bar`"):
        fasttok.Tokenizer.from_str(bad)
    bad = doc(
        pre_tokenizer={
            "type": "Sequence",
            "pretokenizers": [{"type": "Split", "pattern": {"Regex": "(("}, "behavior": "Isolated"}],
        }
    )
    with pytest.raises(fasttok.ConfigError, match=r"pre_tokenizer\.pretokenizers\[0\]`: invalid regex"):
        fasttok.Tokenizer.from_str(bad)


def test_added_token_normalized_to_nothing() -> None:
    """Found by fuzzing: an added token the normalizer empties (Strip on " ")
    matched inside multi-byte chars; `tokenizers` panics there, fasttok
    encodes, and agrees with `tokenizers` wherever that does not panic."""
    import tokenizers as hf

    def build(lib: Any) -> Any:
        t = lib.Tokenizer(lib.models.WordLevel({"a": 0, "b": 1, "<unk>": 2, " ": 3}, unk_token="<unk>"))
        t.normalizer = lib.normalizers.Strip()
        t.pre_tokenizer = lib.pre_tokenizers.Whitespace()
        t.add_tokens([lib.AddedToken(" ", rstrip=True, normalized=True)])
        return t

    ours, ref = build(fasttok), build(hf)
    # (On "a  b" tokenizers gives overlapping tokens, "  " at 1..3 and " " at
    # 2..3; fasttok gives the first only: docs/errors.md.)
    for s in ["a b", "ab", " a b ", "a\tb"]:
        assert ours.encode(s).tokens == ref.encode(s).tokens
        assert ours.encode(s).offsets == ref.encode(s).offsets
    e = ours.encode("\x13\x00\x00\ufffd\ufffd")
    assert all(a <= b <= 5 for a, b in e.offsets)


def test_nul_bytes_in_text() -> None:
    """NUL chars are ordinary text: the same ids and offsets as `tokenizers`
    on every shipped tokenizer, never an error or a cut string."""
    import tokenizers as hf

    from conftest import tokenizer_sources

    for name, src in tokenizer_sources().items():
        ours, ref = fasttok.Tokenizer.from_str(src), hf.Tokenizer.from_str(src)
        for s in ["\x00", "a\x00b", "\x00" * 1000, "hello\x00 world\x00", " \x00\n\x00 "]:
            a, b = ours.encode(s), ref.encode(s)
            assert (a.ids, a.offsets) == (b.ids, b.offsets), (name, s)
            flat, _ = ours.encode_batch_ids([s])
            assert flat.tolist() == b.ids, (name, s)


def test_huge_vocabulary_ids() -> None:
    """Ids up to 2**32-1 in a vocabulary (found by fuzzing: a dense id table
    ran out of memory): the same ids and decoding as `tokenizers`."""
    import tokenizers as hf

    src = json.dumps(
        {
            "model": {
                "type": "WordPiece",
                "unk_token": "[UNK]",
                "continuing_subword_prefix": "##",
                "max_input_chars_per_word": 100,
                "vocab": {"[UNK]": 0, "a": 891_000_000, "##b": 4_294_967_295, "b": 5},
            },
            "pre_tokenizer": {"type": "Whitespace"},
        }
    )
    ours, ref = fasttok.Tokenizer.from_str(src), hf.Tokenizer.from_str(src)
    for s in ["ab a b", "ba", "a"]:
        assert ours.encode(s).ids == ref.encode(s).ids
        assert ours.decode(ref.encode(s).ids) == ref.decode(ref.encode(s).ids)
    assert ours.get_vocab() == ref.get_vocab()
