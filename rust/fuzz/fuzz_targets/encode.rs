//! Random pipelines (normalizer x pre-tokenizer x model x post-processor,
//! added tokens, truncation, padding) over arbitrary text: never a panic;
//! offsets inside the text; `encode_ids` (the fast path where it applies)
//! gives exactly `encode(..).ids`; decoding never panics.
#![no_main]

use fasttok::models::Model;
use fasttok::tokenizer::{PaddingParams, TruncationParams};
use fasttok::{AddedToken, OffsetType, Tokenizer};
use libfuzzer_sys::fuzz_target;
use std::sync::{Arc, OnceLock};

const NORMALIZERS: &[&str] = &[
    "null",
    r#"{"type":"NFC"}"#,
    r#"{"type":"NFKC"}"#,
    r#"{"type":"NFD"}"#,
    r#"{"type":"Lowercase"}"#,
    r#"{"type":"BertNormalizer","clean_text":true,"handle_chinese_chars":true,"strip_accents":null,"lowercase":true}"#,
    r#"{"type":"Sequence","normalizers":[{"type":"NFD"},{"type":"StripAccents"},{"type":"Lowercase"}]}"#,
    r#"{"type":"Strip","strip_left":true,"strip_right":true}"#,
    r#"{"type":"Replace","pattern":{"String":" "},"content":"▁"}"#,
    r#"{"type":"Sequence","normalizers":[{"type":"Prepend","prepend":"▁"},{"type":"Replace","pattern":{"String":" "},"content":"▁"}]}"#,
    r#"{"type":"Replace","pattern":{"Regex":"\\s+"},"content":" "}"#,
    r#"{"type":"Nmt"}"#,
    r#"{"type":"ByteLevel"}"#,
];

const PRE_TOKENIZERS: &[&str] = &[
    "null",
    r#"{"type":"ByteLevel","add_prefix_space":false,"trim_offsets":true,"use_regex":true}"#,
    r#"{"type":"ByteLevel","add_prefix_space":true,"trim_offsets":true,"use_regex":true}"#,
    r#"{"type":"Whitespace"}"#,
    r#"{"type":"WhitespaceSplit"}"#,
    r#"{"type":"BertPreTokenizer"}"#,
    r#"{"type":"Metaspace","replacement":"▁","prepend_scheme":"always","split":true}"#,
    r#"{"type":"Metaspace","replacement":"▁","prepend_scheme":"first","split":false}"#,
    r#"{"type":"Sequence","pretokenizers":[{"type":"Split","pattern":{"Regex":"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"},"behavior":"Isolated","invert":false},{"type":"ByteLevel","add_prefix_space":false,"trim_offsets":true,"use_regex":false}]}"#,
    r#"{"type":"Split","pattern":{"String":"a"},"behavior":"MergedWithNext","invert":false}"#,
    r#"{"type":"Split","pattern":{"Regex":"\\d"},"behavior":"Contiguous","invert":true}"#,
    r#"{"type":"Punctuation","behavior":"Isolated"}"#,
    r#"{"type":"Digits","individual_digits":true}"#,
    r#"{"type":"UnicodeScripts"}"#,
    r#"{"type":"CharDelimiterSplit","delimiter":"e"}"#,
    r#"{"type":"FixedLength","length":3}"#,
];

const POST_PROCESSORS: &[&str] = &[
    "null",
    r#"{"type":"BertProcessing","sep":["[SEP]",3],"cls":["[CLS]",2]}"#,
    r#"{"type":"RobertaProcessing","sep":["</s>",3],"cls":["<s>",2],"trim_offsets":true,"add_prefix_space":true}"#,
    r#"{"type":"ByteLevel","add_prefix_space":true,"trim_offsets":true,"use_regex":true}"#,
    r#"{"type":"TemplateProcessing","single":[{"SpecialToken":{"id":"[CLS]","type_id":0}},{"Sequence":{"id":"A","type_id":0}}],"pair":[{"Sequence":{"id":"A","type_id":0}},{"Sequence":{"id":"B","type_id":1}},{"SpecialToken":{"id":"[SEP]","type_id":1}}],"special_tokens":{"[CLS]":{"id":"[CLS]","ids":[2],"tokens":["[CLS]"]},"[SEP]":{"id":"[SEP]","ids":[3],"tokens":["[SEP]"]}}}"#,
];

const DECODERS: &[&str] = &[
    "null",
    r#"{"type":"ByteLevel"}"#,
    r###"{"type":"WordPiece","prefix":"##","cleanup":true}"###,
    r#"{"type":"Metaspace","replacement":"▁","prepend_scheme":"always","split":true}"#,
    r#"{"type":"Sequence","decoders":[{"type":"ByteFallback"},{"type":"Fuse"},{"type":"Strip","content":" ","start":1,"stop":0}]}"#,
];

/// Small models of every kind: a byte-level BPE with a few merges (plain and
/// tiktoken-style), BPE with byte fallback and unk, WordPiece, WordLevel,
/// Unigram with and without byte fallback.
fn models() -> &'static Vec<Arc<Model>> {
    static MODELS: OnceLock<Vec<Arc<Model>>> = OnceLock::new();
    MODELS.get_or_init(|| {
        let table = fasttok::pre_tokenizers::byte_level::byte_to_char();
        let mut vocab: Vec<String> = table.iter().map(|c| c.to_string()).collect();
        let pairs = [
            ("Ġ", "t"), ("h", "e"), ("Ġt", "he"), ("i", "n"), ("e", "r"), ("a", "n"),
            ("Ġ", "a"), ("o", "n"), ("Ġ", "Ġ"), ("ĠĠ", "ĠĠ"), ("in", "g"), ("Ċ", "Ċ"),
        ];
        let mut merges = Vec::new();
        for (a, b) in pairs {
            vocab.push(format!("{a}{b}"));
            merges.push(format!("{a} {b}"));
        }
        let bl_vocab: serde_json::Map<String, serde_json::Value> =
            vocab.iter().enumerate().map(|(i, t)| (t.clone(), (i as u64).into())).collect();
        let letters: Vec<String> = "abcdefghijklmnopqrstuvwxyz▁".chars().map(String::from).collect();
        let mut small: Vec<String> = vec!["<unk>".into(), "<pad>".into(), "[CLS]".into(), "[SEP]".into()];
        small.extend(letters.iter().cloned());
        small.extend(["th", "the", "▁the", "in", "ing", "er"].map(String::from));
        let bytes: Vec<String> = (0..=255u8).map(|b| format!("<0x{b:02X}>")).collect();
        let obj = |v: &[String]| -> serde_json::Value {
            v.iter().enumerate().map(|(i, t)| (t.clone(), serde_json::Value::from(i as u64))).collect::<serde_json::Map<_, _>>().into()
        };
        let mut fallback = small.clone();
        fallback.extend(bytes.iter().cloned());
        let wp: Vec<String> = small
            .iter()
            .cloned()
            .chain(letters.iter().map(|l| format!("##{l}")))
            .chain(["##ing", "##er", "##s"].map(String::from))
            .collect();
        let uni = |with_bytes: bool| -> serde_json::Value {
            let mut v: Vec<serde_json::Value> = small
                .iter()
                .enumerate()
                .map(|(i, t)| serde_json::json!([t, -1.0 - (i % 7) as f64 - t.len() as f64 * 0.1]))
                .collect();
            if with_bytes {
                v.extend(bytes.iter().map(|t| serde_json::json!([t, -20.0])));
            }
            v.into()
        };
        let specs = [
            serde_json::json!({"type": "BPE", "vocab": bl_vocab, "merges": merges}),
            serde_json::json!({"type": "BPE", "vocab": bl_vocab, "merges": merges, "ignore_merges": true}),
            serde_json::json!({"type": "BPE", "vocab": obj(&fallback), "merges": ["t h", "th e", "▁ the", "i n", "in g"], "unk_token": "<unk>", "fuse_unk": true, "byte_fallback": true}),
            serde_json::json!({"type": "BPE", "vocab": obj(&wp), "merges": ["t ##h", "e ##r"], "continuing_subword_prefix": "##", "end_of_word_suffix": "</w>"}),
            serde_json::json!({"type": "WordPiece", "vocab": obj(&wp), "unk_token": "<unk>", "continuing_subword_prefix": "##", "max_input_chars_per_word": 12}),
            serde_json::json!({"type": "WordLevel", "vocab": obj(&small), "unk_token": "<unk>"}),
            serde_json::json!({"type": "Unigram", "vocab": uni(false), "unk_id": 0}),
            serde_json::json!({"type": "Unigram", "vocab": uni(true), "unk_id": 0, "byte_fallback": true}),
            serde_json::json!({"type": "Unigram", "vocab": uni(false), "unk_id": null}),
        ];
        specs
            .into_iter()
            .map(|v| Arc::new(Model::from_value(v).expect("fuzz model builds")))
            .collect()
    })
}

fn pick<'a>(list: &'a [&'a str], b: u8) -> &'a str {
    list[b as usize % list.len()]
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 5 {
        return;
    }
    let (head, rest) = data.split_at(5);
    let models = models();
    let mut tok = Tokenizer::with_shared_model(models[head[2] as usize % models.len()].clone());
    tok.normalizer = serde_json::from_str(pick(NORMALIZERS, head[0])).expect("normalizer");
    tok.pre_tokenizer = serde_json::from_str(pick(PRE_TOKENIZERS, head[1])).expect("pre-tokenizer");
    tok.post_processor =
        serde_json::from_str(pick(POST_PROCESSORS, head[3])).expect("post-processor");
    tok.decoder = serde_json::from_str(pick(DECODERS, head[3] >> 4)).expect("decoder");
    let flags = head[4];
    if flags & 1 != 0 {
        let added: Vec<AddedToken> = serde_json::from_str(
            r#"[{"content":"<mask>","lstrip":true,"special":true},
                {"content":"[SEP]","special":true,"normalized":false},
                {"content":"the","single_word":true},
                {"content":" ","rstrip":true}]"#,
        )
        .expect("added tokens");
        let _ = tok.add_tokens(&added);
    }
    if flags & 2 != 0 {
        tok.truncation = Some(TruncationParams {
            max_length: (flags >> 4) as usize,
            stride: (flags >> 6) as usize,
            ..serde_json::from_str(r#"{"max_length":0}"#).expect("truncation")
        });
    }
    if flags & 4 != 0 {
        tok.padding = Some(
            serde_json::from_str::<PaddingParams>(
                r#"{"strategy":{"Fixed":8},"pad_to_multiple_of":3}"#,
            )
            .expect("padding"),
        );
    }
    let text = String::from_utf8_lossy(rest);
    let (first, second) = match text.split_once('\u{1}') {
        Some((a, b)) if flags & 8 != 0 => (a.to_owned(), Some(b.to_owned())),
        _ => (text.clone().into_owned(), None),
    };
    let specials = flags & 16 != 0;
    let input = fasttok::EncodeInput {
        first: first.as_str().into(),
        second: second.as_deref().map(Into::into),
    };
    for kind in [OffsetType::Byte, OffsetType::Char] {
        let Ok(e) = tok.encode(&input, specials, kind) else {
            continue;
        };
        let limit = |seq: Option<u32>| -> usize {
            let s = if seq == Some(1) {
                second.as_deref().unwrap_or("")
            } else {
                first.as_str()
            };
            match kind {
                OffsetType::Byte => s.len(),
                OffsetType::Char => s.chars().count(),
            }
        };
        for (i, &(a, b)) in e.offsets.iter().enumerate() {
            let seq = e
                .sequence_ranges
                .iter()
                .find(|(_, r)| r.contains(&i))
                .map(|(&k, _)| k as u32);
            assert!(
                a <= b && b <= limit(seq),
                "offset {:?} of token {i} outside the text",
                (a, b)
            );
        }
        assert_eq!(e.ids.len(), e.tokens.len());
        assert_eq!(e.ids.len(), e.offsets.len());
        let _ = tok.decode(&e.ids, true);
        let _ = tok.decode(&e.ids, false);
    }
    if second.is_none() {
        let full = tok.encode(&first.as_str().into(), specials, OffsetType::Byte);
        let ids = tok.encode_ids(&first, specials);
        match (full, ids) {
            (Ok(e), Ok(ids)) => assert_eq!(e.ids, ids, "encode_ids differs from encode"),
            (Err(_), Err(_)) => {}
            (a, b) => panic!(
                "encode and encode_ids disagree: {:?} vs {:?}",
                a.map(|e| e.ids),
                b
            ),
        }
    }
    let raw: Vec<u32> = rest
        .chunks(2)
        .map(|c| u32::from(c[0]) * 3 + c.len() as u32)
        .collect();
    let _ = tok.decode(&raw, false);
});
