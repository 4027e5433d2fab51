//! Models: turn one word into tokens. One enum over the four model kinds of
//! tokenizer.json; each lives in its own file.

pub mod bpe;
pub mod unigram;
pub mod wordlevel;
pub mod wordpiece;

pub use bpe::Bpe;
pub use unigram::Unigram;
pub use wordlevel::WordLevel;
pub use wordpiece::WordPiece;

use crate::error::{Error, Result};
use crate::normalized::Token;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;

/// token -> id, with a fast hash (lookups are on the hot path).
pub type Vocab = crate::util::FxHashMap<String, u32>;

#[derive(Debug, Clone)]
pub enum Model {
    BPE(Bpe),
    WordPiece(WordPiece),
    WordLevel(WordLevel),
    Unigram(Unigram),
}

impl Model {
    /// An id naming this model's current vocabulary and settings, when its
    /// output for a word is always the same (so it may be cached by word).
    pub fn cache_uid(&self) -> Option<u64> {
        match self {
            Model::BPE(m) => m.cache_uid(),
            Model::WordPiece(m) => Some(m.cache_uid()),
            Model::Unigram(m) => Some(m.cache_uid()),
            Model::WordLevel(_) => None,
        }
    }

    pub fn tokenize(&self, word: &str) -> Result<Vec<Token>> {
        match self {
            Model::BPE(m) => m.tokenize(word),
            Model::WordPiece(m) => m.tokenize(word),
            Model::WordLevel(m) => m.tokenize(word),
            Model::Unigram(m) => m.tokenize(word),
        }
    }

    /// The bytes of a word (as the model sees it) that token `id` stands
    /// for, told by the id alone; `first` and `last`: the token starts or
    /// ends its word (a subword prefix or suffix is not in the word). `None`
    /// for the unknown token, whose reach depends on the word, and for ids
    /// not in the vocabulary.
    pub fn token_len(&self, id: u32, first: bool, last: bool) -> Option<usize> {
        let tok = self.id_to_token(id)?;
        // `<0xNN>`: one byte, with byte fallback.
        let byte = |on: bool| on && tok.len() == 6 && tok.starts_with("<0x") && tok.ends_with('>');
        match self {
            Model::BPE(m) => {
                if m.unk_token.as_deref() == Some(tok) {
                    return None;
                }
                if byte(m.byte_fallback) {
                    return Some(1);
                }
                let mut t = tok;
                if let (false, Some(p)) = (first, m.prefix()) {
                    t = t.strip_prefix(p)?;
                }
                if let (true, Some(x)) = (last, m.suffix()) {
                    t = t.strip_suffix(x)?;
                }
                Some(t.len())
            }
            Model::WordPiece(m) if tok == m.unk_token => None,
            Model::WordPiece(_) if first => Some(tok.len()),
            Model::WordPiece(m) => tok.strip_prefix(&m.continuing_subword_prefix).map(str::len),
            Model::Unigram(m) if m.unk_id == Some(id as usize) => None,
            Model::Unigram(m) if byte(m.byte_fallback) => Some(1),
            Model::WordLevel(m) if tok == m.unk_token => None,
            Model::Unigram(_) | Model::WordLevel(_) => Some(tok.len()),
        }
    }

    pub fn token_to_id(&self, token: &str) -> Option<u32> {
        match self {
            Model::BPE(m) => m.vocab.get(token).copied(),
            Model::WordPiece(m) => m.vocab.get(token).copied(),
            Model::WordLevel(m) => m.vocab.get(token).copied(),
            Model::Unigram(m) => m.token_to_id(token),
        }
    }

    pub fn id_to_token(&self, id: u32) -> Option<&str> {
        match self {
            Model::BPE(m) => m.vocab_r.get(id),
            Model::WordPiece(m) => m.vocab_r.get(id),
            Model::WordLevel(m) => m.vocab_r.get(id),
            Model::Unigram(m) => m.id_to_token(id),
        }
    }

    pub fn get_vocab(&self) -> HashMap<String, u32> {
        match self {
            Model::BPE(m) => m.vocab.iter().map(|(k, &v)| (k.clone(), v)).collect(),
            Model::WordPiece(m) => m.vocab.iter().map(|(k, &v)| (k.clone(), v)).collect(),
            Model::WordLevel(m) => m.vocab.iter().map(|(k, &v)| (k.clone(), v)).collect(),
            Model::Unigram(m) => m.get_vocab(),
        }
    }

    pub fn get_vocab_size(&self) -> usize {
        match self {
            Model::BPE(m) => m.vocab.len(),
            Model::WordPiece(m) => m.vocab.len(),
            Model::WordLevel(m) => m.vocab.len(),
            Model::Unigram(m) => m.len(),
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Model::BPE(_) => "BPE",
            Model::WordPiece(_) => "WordPiece",
            Model::WordLevel(_) => "WordLevel",
            Model::Unigram(_) => "Unigram",
        }
    }

    /// Reads a model from its tokenizer.json object. Files written before the
    /// `type` field existed are recognised by their fields, as `tokenizers` does.
    pub fn from_value(v: Value) -> Result<Model> {
        let obj = v
            .as_object()
            .ok_or_else(|| Error::config("model: expected an object"))?;
        let kind = match obj.get("type").and_then(Value::as_str) {
            Some(t) => t.to_owned(),
            None if obj.contains_key("merges") => "BPE".into(),
            None if obj.get("vocab").is_some_and(Value::is_array) => "Unigram".into(),
            None if obj.contains_key("continuing_subword_prefix")
                || obj.contains_key("max_input_chars_per_word") =>
            {
                "WordPiece".into()
            }
            None => "WordLevel".into(),
        };
        match kind.as_str() {
            "BPE" => Ok(Model::BPE(Bpe::from_value(obj)?)),
            "WordPiece" => Ok(Model::WordPiece(WordPiece::from_value(obj)?)),
            "WordLevel" => Ok(Model::WordLevel(WordLevel::from_value(obj)?)),
            "Unigram" => Ok(Model::Unigram(Unigram::from_value(obj)?)),
            other => Err(Error::config(format!(
                "model.type: unknown model type {other:?} (expected one of BPE, WordPiece, WordLevel, Unigram)"
            ))),
        }
    }

    pub fn to_value(&self) -> Value {
        match self {
            Model::BPE(m) => m.to_value(),
            Model::WordPiece(m) => m.to_value(),
            Model::WordLevel(m) => m.to_value(),
            Model::Unigram(m) => m.to_value(),
        }
    }
}

impl Serialize for Model {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.to_value().serialize(s)
    }
}

impl<'de> Deserialize<'de> for Model {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        Model::from_value(v).map_err(serde::de::Error::custom)
    }
}

/// id -> token: a dense table, or a sorted map when the ids are spread far
/// beyond the number of tokens (a file with id 4,000,000,000 must not make a
/// table of that size).
#[derive(Debug, Clone)]
pub enum VocabR {
    Dense(Vec<Option<Box<str>>>),
    Sparse(std::collections::BTreeMap<u32, Box<str>>),
}

impl Default for VocabR {
    fn default() -> Self {
        VocabR::Dense(Vec::new())
    }
}

impl VocabR {
    pub fn new(vocab: &Vocab) -> Self {
        let n = vocab.values().map(|&i| i as usize + 1).max().unwrap_or(0);
        if n > 2 * vocab.len() + 65_536 {
            return VocabR::Sparse(vocab.iter().map(|(t, &i)| (i, t.as_str().into())).collect());
        }
        let mut v = vec![None; n];
        for (t, &i) in vocab {
            v[i as usize] = Some(t.as_str().into());
        }
        VocabR::Dense(v)
    }
    pub fn get(&self, id: u32) -> Option<&str> {
        match self {
            VocabR::Dense(v) => v.get(id as usize).and_then(|o| o.as_deref()),
            VocabR::Sparse(m) => m.get(&id).map(|t| &**t),
        }
    }
    /// Tokens in id order, for writing tokenizer.json.
    pub fn ordered(&self) -> Box<dyn Iterator<Item = (u32, &str)> + '_> {
        match self {
            VocabR::Dense(v) => Box::new(
                v.iter()
                    .enumerate()
                    .filter_map(|(i, t)| t.as_deref().map(|t| (i as u32, t))),
            ),
            VocabR::Sparse(m) => Box::new(m.iter().map(|(&i, t)| (i, &**t))),
        }
    }
}

/// Reads `{"token": id, ...}`.
pub(crate) fn read_vocab(obj: &serde_json::Map<String, Value>, model: &str) -> Result<Vocab> {
    let v = obj
        .get("vocab")
        .ok_or_else(|| Error::config(format!("model ({model}): missing field `vocab`")))?;
    let map = v.as_object().ok_or_else(|| {
        Error::config(format!(
            "model.vocab ({model}): expected an object of token: id"
        ))
    })?;
    let mut out = Vocab::with_capacity_and_hasher(map.len(), Default::default());
    for (k, v) in map {
        let id = v
            .as_u64()
            .filter(|&i| i <= u32::MAX as u64)
            .ok_or_else(|| {
                Error::config(format!(
                    "model.vocab[{k:?}]: expected a non-negative integer id, got {v}"
                ))
            })?;
        out.insert(k.clone(), id as u32);
    }
    Ok(out)
}

pub(crate) fn vocab_value(vocab_r: &VocabR) -> Value {
    let mut m = serde_json::Map::new();
    for (i, t) in vocab_r.ordered() {
        m.insert(t.to_owned(), Value::from(i));
    }
    Value::Object(m)
}

pub(crate) fn opt_str(
    obj: &serde_json::Map<String, Value>,
    key: &str,
    model: &str,
) -> Result<Option<String>> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(v) => Err(Error::config(format!(
            "model.{key} ({model}): expected a string, got {v}"
        ))),
    }
}

pub(crate) fn opt_bool(
    obj: &serde_json::Map<String, Value>,
    key: &str,
    model: &str,
) -> Result<Option<bool>> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(v) => Err(Error::config(format!(
            "model.{key} ({model}): expected true or false, got {v}"
        ))),
    }
}
