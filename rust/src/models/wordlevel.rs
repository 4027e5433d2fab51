//! WordLevel: each word is one token, or `unk`.

use super::{opt_str, read_vocab, vocab_value, Vocab, VocabR};
use crate::error::{Error, Result};
use crate::normalized::Token;
use serde_json::{json, Value};

#[derive(Debug, Clone)]
pub struct WordLevel {
    pub vocab: Vocab,
    pub vocab_r: VocabR,
    pub unk_token: String,
}

impl WordLevel {
    pub fn new(vocab: Vocab, unk_token: String) -> Self {
        let vocab_r = VocabR::new(&vocab);
        WordLevel {
            vocab,
            vocab_r,
            unk_token,
        }
    }

    pub fn from_value(obj: &serde_json::Map<String, Value>) -> Result<Self> {
        const M: &str = "WordLevel";
        Ok(WordLevel::new(
            read_vocab(obj, M)?,
            opt_str(obj, "unk_token", M)?.unwrap_or_else(|| "<unk>".into()),
        ))
    }

    pub fn to_value(&self) -> Value {
        json!({
            "type": "WordLevel",
            "vocab": vocab_value(&self.vocab_r),
            "unk_token": self.unk_token,
        })
    }

    pub fn tokenize(&self, word: &str) -> Result<Vec<Token>> {
        if let Some(&id) = self.vocab.get(word) {
            return Ok(vec![Token::new(id, word.to_owned(), (0, word.len()))]);
        }
        match self.vocab.get(&self.unk_token) {
            Some(&id) => Ok(vec![Token::new(id, self.unk_token.clone(), (0, word.len()))]),
            None => Err(Error::input(format!(
                "WordLevel: {word:?} is not in the vocabulary and the unk_token {:?} is missing from it",
                self.unk_token
            ))),
        }
    }
}
