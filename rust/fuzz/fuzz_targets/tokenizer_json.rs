//! Any bytes as a tokenizer.json: an error or a tokenizer, never a panic;
//! a tokenizer that loads encodes, decodes, saves, and once saved survives
//! a load/save round trip to the same JSON.
#![no_main]

use fasttok::{OffsetType, Tokenizer};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(tok) = Tokenizer::from_json_str(text, "<fuzz>") else {
        return;
    };
    for s in [
        "",
        "Hello, world! ¿Qué tal? 你好 🤗",
        "a  b\n\nc\td",
        "[CLS] x [SEP]",
    ] {
        if let Ok(e) = tok.encode(&s.into(), true, OffsetType::Char) {
            let _ = tok.decode(&e.ids, false);
            let _ = tok.decode(&e.ids, true);
        }
        let _ = tok.encode_ids(s, false);
    }
    let _ = tok.decode(&[0, 1, 2, u32::MAX], false);
    // Saving normalizes (ids of added tokens missing from a damaged
    // vocabulary, duplicated ids): after one save, a load/save round trip
    // must give the same JSON again.
    if let Ok(saved) = tok.to_json_string(false) {
        let again = Tokenizer::from_json_str(&saved, "<saved>");
        let again = again.unwrap_or_else(|e| panic!("saved tokenizer does not load: {e}\n{saved}"));
        let second = again
            .to_json_string(false)
            .expect("a loaded tokenizer saves");
        let third = Tokenizer::from_json_str(&second, "<saved twice>")
            .unwrap_or_else(|e| panic!("tokenizer saved twice does not load: {e}"))
            .to_json_string(false)
            .expect("saves");
        assert_eq!(second, third, "save/load is not stable");
    }
});
