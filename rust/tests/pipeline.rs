//! End-to-end checks of the core without Python, on the vocabularies the
//! project ships. Expected ids are the published ones of each vocabulary.

use fasttok::normalized::NormalizedString;
use fasttok::{OffsetType, Tokenizer};
use std::path::PathBuf;

fn data(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../data")
        .join(rel)
}

#[test]
fn bert_uncased_known_ids() {
    let mut t = Tokenizer::from_file(data("vocab/bert-base-uncased/tokenizer.json")).expect("load");
    t.padding = None;
    let e = t
        .encode(&"Hello, world!".into(), true, OffsetType::Char)
        .expect("encode");
    // [CLS] hello , world ! [SEP] in bert-base-uncased's vocab.txt
    assert_eq!(e.ids, vec![101, 7592, 1010, 2088, 999, 102]);
    assert_eq!(
        e.offsets,
        vec![(0, 0), (0, 5), (5, 6), (7, 12), (12, 13), (0, 0)]
    );
    assert_eq!(t.decode(&e.ids, true).expect("decode"), "hello, world!");
}

#[test]
fn file_padding_and_truncation_apply() {
    let t = Tokenizer::from_file(data("vocab/bert-base-uncased/tokenizer.json")).expect("load");
    let long = "word ".repeat(500);
    let e = t
        .encode(&long.as_str().into(), true, OffsetType::Char)
        .expect("encode");
    assert_eq!(e.len(), 128);
    assert!(!e.overflowing.is_empty());
    let short = t
        .encode(&"hi".into(), true, OffsetType::Char)
        .expect("encode");
    assert_eq!(short.len(), 128);
    assert_eq!(short.attention_mask.iter().sum::<u32>(), 3);
}

#[test]
fn save_and_reload_gives_the_same_encodings() {
    let t = Tokenizer::from_file(data("vocab/bert-base-uncased/tokenizer.json")).expect("load");
    let again =
        Tokenizer::from_json_str(&t.to_json_string(false).expect("save"), "saved").expect("reload");
    for s in ["Hello there", "Ünïcödé 中文", ""] {
        let a = t.encode(&s.into(), true, OffsetType::Char).expect("a");
        let b = again.encode(&s.into(), true, OffsetType::Char).expect("b");
        assert_eq!(a, b);
    }
}

#[test]
fn errors_name_the_field() {
    let err = Tokenizer::from_json_str(
        r#"{"model": {"type": "WordLevel", "vocab": {}}, "decoder": {"type": "Nope"}}"#,
        "x.json",
    )
    .expect_err("must fail");
    let msg = err.to_string();
    assert!(
        msg.contains("x.json") && msg.contains("decoder") && msg.contains("Nope"),
        "{msg}"
    );
}

#[test]
fn alignments_follow_insertions_and_removals() {
    let mut n = NormalizedString::from("ab c");
    n.prepend("▁");
    n.filter(|c| c != ' ');
    assert_eq!(n.get(), "▁abc");
    // The prepended char and 'a' both map to 'a'; 'c' still maps to 'c'.
    assert_eq!(n.normalized_to_original(0, "▁".len()), Some((0, 1)));
    let c = n.get().len() - 1;
    assert_eq!(n.normalized_to_original(c, c + 1), Some((3, 4)));
}

#[test]
fn one_long_run_is_not_quadratic() {
    // A megabyte of one char through a BERT-style pipeline finishes promptly
    // (WordPiece gives up after 100 chars; the splitters are linear).
    let mut t = Tokenizer::from_file(data("vocab/bert-base-uncased/tokenizer.json")).expect("load");
    t.padding = None;
    t.truncation = None;
    let s = "a".repeat(1 << 20);
    let e = t
        .encode(&s.as_str().into(), false, OffsetType::Byte)
        .expect("encode");
    assert_eq!(e.ids, vec![100]); // [UNK]
}
