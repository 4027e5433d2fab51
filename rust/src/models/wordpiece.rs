//! WordPiece: greedy longest-match-first over the vocabulary, continuation
//! pieces carrying the `##` prefix; a word that cannot be covered, or that is
//! longer than `max_input_chars_per_word` chars, becomes one `unk` token.

use super::{opt_str, read_vocab, vocab_value, Vocab, VocabR};
use crate::error::{Error, Result};
use crate::normalized::Token;
use serde_json::{json, Value};

#[derive(Debug, Clone)]
pub struct WordPiece {
    pub vocab: Vocab,
    pub vocab_r: VocabR,
    pub unk_token: String,
    pub continuing_subword_prefix: String,
    pub max_input_chars_per_word: usize,
    /// The longest vocabulary entry, in bytes: no match can be longer.
    max_token_len: usize,
    /// Identifies this model in the bulk path's id cache (the fields are
    /// never changed after `new`).
    uid: u64,
}

impl WordPiece {
    pub fn new(
        vocab: Vocab,
        unk_token: String,
        continuing_subword_prefix: String,
        max_input_chars_per_word: usize,
    ) -> Self {
        let vocab_r = VocabR::new(&vocab);
        let max_token_len = vocab.keys().map(|k| k.len()).max().unwrap_or(0);
        WordPiece {
            vocab,
            vocab_r,
            unk_token,
            continuing_subword_prefix,
            max_input_chars_per_word,
            max_token_len,
            uid: crate::util::next_model_uid(),
        }
    }

    /// See [`super::Model::cache_uid`].
    pub fn cache_uid(&self) -> u64 {
        self.uid
    }

    pub fn from_value(obj: &serde_json::Map<String, Value>) -> Result<Self> {
        const M: &str = "WordPiece";
        let vocab = read_vocab(obj, M)?;
        let max = match obj.get("max_input_chars_per_word") {
            None | Some(Value::Null) => 100,
            Some(v) => v.as_u64().ok_or_else(|| {
                Error::config(format!(
                    "model.max_input_chars_per_word: expected an integer, got {v}"
                ))
            })? as usize,
        };
        Ok(WordPiece::new(
            vocab,
            opt_str(obj, "unk_token", M)?.unwrap_or_else(|| "[UNK]".into()),
            opt_str(obj, "continuing_subword_prefix", M)?.unwrap_or_else(|| "##".into()),
            max,
        ))
    }

    pub fn to_value(&self) -> Value {
        json!({
            "type": "WordPiece",
            "unk_token": self.unk_token,
            "continuing_subword_prefix": self.continuing_subword_prefix,
            "max_input_chars_per_word": self.max_input_chars_per_word,
            "vocab": vocab_value(&self.vocab_r),
        })
    }

    fn unk(&self, len: usize) -> Result<Vec<Token>> {
        let id = self.vocab.get(&self.unk_token).copied().ok_or_else(|| {
            Error::config(format!(
                "WordPiece: unk_token {:?} is not in the vocabulary",
                self.unk_token
            ))
        })?;
        Ok(vec![Token::new(id, self.unk_token.clone(), (0, len))])
    }

    /// Greedy longest match first: calls `f(id, start, end)` for each piece
    /// of `word`; false when some position has no match (the word is unk).
    fn walk(&self, word: &str, mut f: impl FnMut(u32, usize, usize)) -> bool {
        let mut buf = String::with_capacity(self.continuing_subword_prefix.len() + word.len());
        let mut start = 0;
        while start < word.len() {
            let plen = if start > 0 {
                self.continuing_subword_prefix.len()
            } else {
                0
            };
            let mut end = word
                .len()
                .min(start + self.max_token_len.saturating_sub(plen));
            while end > start && !word.is_char_boundary(end) {
                end -= 1;
            }
            let mut found = None;
            while end > start {
                let piece = &word[start..end];
                let key: &str = if start > 0 {
                    buf.clear();
                    buf.push_str(&self.continuing_subword_prefix);
                    buf.push_str(piece);
                    &buf
                } else {
                    piece
                };
                if let Some(&id) = self.vocab.get(key) {
                    found = Some(id);
                    break;
                }
                end -= piece.chars().next_back().map_or(1, char::len_utf8);
            }
            match found {
                Some(id) => {
                    f(id, start, end);
                    start = end;
                }
                None => return false,
            }
        }
        true
    }

    fn too_long(&self, word: &str) -> bool {
        word.len() > self.max_input_chars_per_word
            && word.chars().count() > self.max_input_chars_per_word
    }

    pub fn tokenize(&self, word: &str) -> Result<Vec<Token>> {
        if self.too_long(word) {
            return self.unk(word.len());
        }
        let mut out = Vec::new();
        let covered = self.walk(word, |id, start, end| {
            // The matched key itself (as tokenizers reports it).
            let mut value = String::new();
            if start > 0 {
                value.push_str(&self.continuing_subword_prefix);
            }
            value.push_str(&word[start..end]);
            out.push(Token::new(id, value, (start, end)));
        });
        if covered {
            Ok(out)
        } else {
            self.unk(word.len())
        }
    }

    /// Appends the ids of `word` to `out`, without token strings (the bulk
    /// path caches ids itself).
    pub fn extend_ids(&self, word: &str, out: &mut Vec<u32>) -> Result<()> {
        let mark = out.len();
        if self.too_long(word) || !self.walk(word, |id, _, _| out.push(id)) {
            out.truncate(mark);
            out.extend(self.unk(word.len())?.into_iter().map(|t| t.id));
        }
        Ok(())
    }
}
