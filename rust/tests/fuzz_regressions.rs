//! Inputs the fuzz targets (rust/fuzz) found crashing or misbehaving, each
//! reduced to the smallest case that showed it. Every one must now give an
//! error or a result, never a panic.

use fasttok::{AddedToken, OffsetType, Tokenizer};

fn tokenizer(json: &str) -> Tokenizer {
    Tokenizer::from_json_str(json, "<test>").unwrap_or_else(|e| panic!("{e}"))
}

fn added(json: &str) -> Vec<AddedToken> {
    serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}"))
}

/// An added token that the normalizer turns into "" (Strip on " ") matched
/// at every byte, inside multi-byte chars too, and slicing there panicked
/// (as it does in `tokenizers`). Fuzz target `encode`.
#[test]
fn added_token_normalized_to_nothing() {
    let mut t = tokenizer(
        r#"{"normalizer":{"type":"Strip","strip_left":true,"strip_right":true},
            "pre_tokenizer":{"type":"Whitespace"},
            "model":{"type":"WordLevel","vocab":{"a":0,"b":1,"<unk>":2," ":3},"unk_token":"<unk>"}}"#,
    );
    t.add_tokens(&added(r#"[{"content":" ","rstrip":true}]"#))
        .unwrap_or_else(|e| panic!("{e}"));
    for s in ["\u{13}\u{0}\u{0}\u{fffd}\u{fffd}", "é a b", "日本"] {
        let e = t
            .encode(&s.into(), true, OffsetType::Char)
            .unwrap_or_else(|e| panic!("{s:?}: {e}"));
        assert!(e
            .offsets
            .iter()
            .all(|&(a, b)| a <= b && b <= s.chars().count()));
    }
    // Where `tokenizers` does not panic, the result is its result.
    let e = t
        .encode(&"a b".into(), true, OffsetType::Char)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(e.tokens, vec!["a", " ", "b"]);
}

/// A damaged vocabulary (two tokens on one id, a hole) with added tokens it
/// does not hold: the first save renumbers, after that a load/save round
/// trip is stable. Fuzz target `tokenizer_json` (from the BERT file).
#[test]
fn save_is_stable_after_one_round() {
    let t = tokenizer(
        r###"{"added_tokens":[{"id":100,"content":"[UNK]","special":true},{"id":101,"content":"[CLS]","special":true}],
            "model":{"type":"WordPiece","unk_token":"[UNK]","vocab":{"a":0,"b":0,"c":2,"##a":3}}}"###,
    );
    let first = t.to_json_string(false).unwrap_or_else(|e| panic!("{e}"));
    let second = tokenizer(&first)
        .to_json_string(false)
        .unwrap_or_else(|e| panic!("{e}"));
    let third = tokenizer(&second)
        .to_json_string(false)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(second, third);
}

/// Text after the JSON document is an error, as in `tokenizers` (it was
/// ignored). Found while reading a fuzz target's output.
#[test]
fn trailing_characters_are_an_error() {
    let doc = r#"{"model":{"type":"WordLevel","vocab":{"a":0},"unk_token":"a"}}"#;
    assert!(Tokenizer::from_json_str(&format!("{doc} \n"), "<test>").is_ok());
    let err = Tokenizer::from_json_str(&format!("{doc} xyz"), "<test>")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("trailing characters"), "{err}");
}

/// The suffix array of the esaxx-rs crate's Rust port read past its text
/// on some inputs (a panic inside the crate); the Unigram trainer now uses
/// its own (trainers::suffix, checked against brute force). Fuzz target
/// `train`.
#[test]
fn unigram_seeds_on_short_byte_level_words() {
    use fasttok::trainers::{Progress, Trainer, WordCounter};
    let mut t = tokenizer(
        r#"{"pre_tokenizer":{"type":"ByteLevel","add_prefix_space":false,"trim_offsets":true,"use_regex":true},
            "model":{"type":"Unigram","vocab":[]}}"#,
    );
    let text = "\u{0}\u{10}\u{0}\u{10}z\u{0}\u{10}z\u{0}\u{1}\u{0}\u{1}\u{fffd}";
    let trainer = Trainer::from_json(
        r#"{"type":"UnigramTrainer","vocab_size":200,"show_progress":false,"unk_token":"<unk>"}"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut counter = WordCounter::default();
    counter
        .add(&t, &[text], &Progress::hidden())
        .unwrap_or_else(|e| panic!("{e}"));
    let counts = counter.finish();
    t.train_from_counts(&trainer, &counts, &Progress::hidden())
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(t.encode_ids(text, false).is_ok());
}

/// A vocabulary id of 891 million made a dense id -> token table of 14 GB
/// (out of memory); far-spread ids now go to a sorted map. Fuzz target
/// `tokenizer_json` (from the BERT file).
#[test]
fn huge_vocabulary_ids() {
    for model in [
        r###"{"type":"WordPiece","unk_token":"[UNK]","vocab":{"[UNK]":0,"a":891000000,"##b":4294967295}}"###,
        r#"{"type":"WordLevel","unk_token":"[UNK]","vocab":{"[UNK]":0,"a":891000000}}"#,
        r#"{"type":"BPE","vocab":{"a":0,"b":3000000000,"ab":7},"merges":["a b"]}"#,
    ] {
        let t = tokenizer(&format!(r#"{{"model":{model}}}"#));
        let e = t
            .encode(&"ab a".into(), false, OffsetType::Byte)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!e.ids.is_empty());
        assert!(t.decode(&e.ids, false).is_ok());
        let saved = t.to_json_string(false).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            tokenizer(&saved).to_json_string(false).ok(),
            Some(saved),
            "{model}"
        );
    }
}

/// A corpus of NUL chars only leaves the Unigram trainer no scored piece;
/// the put-back chars were scored +inf, written as `null`, and the saved
/// tokenizer did not load (also so in `tokenizers`). Fuzz target `train`.
#[test]
fn unigram_on_nul_chars_only() {
    use fasttok::trainers::{Progress, Trainer, WordCounter};
    let mut t = tokenizer(
        r#"{"pre_tokenizer":{"type":"Whitespace"},"model":{"type":"Unigram","vocab":[]}}"#,
    );
    let trainer = Trainer::from_json(
        r#"{"type":"UnigramTrainer","vocab_size":20,"show_progress":false,"unk_token":"<unk>"}"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut counter = WordCounter::default();
    counter
        .add(&t, &["\u{0}\u{0}\u{0} \u{0}\n"], &Progress::hidden())
        .unwrap_or_else(|e| panic!("{e}"));
    let counts = counter.finish();
    t.train_from_counts(&trainer, &counts, &Progress::hidden())
        .unwrap_or_else(|e| panic!("{e}"));
    let saved = t.to_json_string(false).unwrap_or_else(|e| panic!("{e}"));
    let again = tokenizer(&saved);
    assert_eq!(
        again.encode_ids("\u{0}\u{0}", false).ok(),
        t.encode_ids("\u{0}\u{0}", false).ok()
    );
}
