//! Normalizers: rewrite the text before it is split, keeping alignments.
//! One enum; the variant names and fields are those of tokenizer.json.

mod bert;
mod precompiled;
pub mod unicode;

pub use bert::is_bert_whitespace as bert_whitespace;
pub use bert::BertNormalizer;
pub use precompiled::Precompiled;

use crate::error::Result;
use crate::normalized::NormalizedString;
use crate::pattern::{Literal, Regex};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Normalizer {
    BertNormalizer(BertNormalizer),
    NFC,
    NFD,
    NFKC,
    NFKD,
    Lowercase,
    StripAccents,
    Nmt,
    Strip(Strip),
    Replace(Replace),
    Prepend(Prepend),
    Precompiled(Precompiled),
    ByteLevel,
    Sequence(NormalizerSequence),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NormalizerSequence {
    pub normalizers: Vec<Normalizer>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Strip {
    #[serde(default = "yes")]
    pub strip_left: bool,
    #[serde(default = "yes")]
    pub strip_right: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Prepend {
    pub prepend: String,
}

/// `{"String": "..."}` or `{"Regex": "..."}` in tokenizer.json.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum StringOrRegex {
    String(String),
    Regex(String),
}

/// A compiled `StringOrRegex`.
#[derive(Debug, Clone)]
pub enum CompiledPattern {
    String(String),
    Regex(Regex),
}

impl CompiledPattern {
    pub fn new(p: &StringOrRegex) -> Result<Self> {
        Ok(match p {
            StringOrRegex::String(s) => CompiledPattern::String(s.clone()),
            StringOrRegex::Regex(r) => CompiledPattern::Regex(Regex::new(r)?),
        })
    }

    pub fn replace_in(&self, n: &mut NormalizedString, content: &str) -> Result<()> {
        match self {
            CompiledPattern::String(s) => n.replace(&Literal(s), content),
            CompiledPattern::Regex(r) => n.replace(r, content),
        }
    }

    pub fn replace_str(&self, s: &str, content: &str) -> String {
        match self {
            CompiledPattern::String(p) if p.is_empty() => s.to_owned(),
            CompiledPattern::String(p) => s.replace(p.as_str(), content),
            CompiledPattern::Regex(r) => {
                let mut out = String::with_capacity(s.len());
                let mut last = 0;
                for (a, b) in r.find_iter(s) {
                    out.push_str(&s[last..a]);
                    out.push_str(content);
                    last = b;
                }
                out.push_str(&s[last..]);
                out
            }
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "ReplaceSpec", into = "ReplaceSpec")]
pub struct Replace {
    pub pattern: StringOrRegex,
    pub content: String,
    compiled: CompiledPattern,
}

#[derive(Serialize, Deserialize)]
struct ReplaceSpec {
    pattern: StringOrRegex,
    content: String,
}

impl TryFrom<ReplaceSpec> for Replace {
    type Error = crate::error::Error;
    fn try_from(s: ReplaceSpec) -> Result<Self> {
        Replace::new(s.pattern, s.content)
    }
}

impl From<Replace> for ReplaceSpec {
    fn from(r: Replace) -> Self {
        ReplaceSpec {
            pattern: r.pattern,
            content: r.content,
        }
    }
}

impl Replace {
    pub fn new(pattern: StringOrRegex, content: String) -> Result<Self> {
        let compiled = CompiledPattern::new(&pattern)?;
        Ok(Replace {
            pattern,
            content,
            compiled,
        })
    }
    pub fn apply(&self, n: &mut NormalizedString) -> Result<()> {
        self.compiled.replace_in(n, &self.content)
    }
    pub fn apply_str(&self, s: &str) -> String {
        self.compiled.replace_str(s, &self.content)
    }
}

impl Normalizer {
    pub fn normalize(&self, n: &mut NormalizedString) -> Result<()> {
        match self {
            Normalizer::BertNormalizer(b) => b.normalize(n),
            Normalizer::NFC => unicode::nfc(n),
            Normalizer::NFD => unicode::nfd(n),
            Normalizer::NFKC => unicode::nfkc(n),
            Normalizer::NFKD => unicode::nfkd(n),
            Normalizer::Lowercase => n.lowercase(),
            Normalizer::StripAccents => unicode::strip_accents(n),
            Normalizer::Nmt => unicode::nmt(n),
            Normalizer::Strip(s) => n.strip(s.strip_left, s.strip_right),
            Normalizer::Replace(r) => r.apply(n)?,
            Normalizer::Prepend(p) => {
                if !n.is_empty() {
                    n.prepend(&p.prepend)
                }
            }
            Normalizer::Precompiled(p) => p.normalize(n),
            Normalizer::ByteLevel => {
                if !n.is_empty() {
                    crate::pre_tokenizers::byte_level::to_byte_chars(n)
                }
            }
            Normalizer::Sequence(s) => {
                for x in &s.normalizers {
                    x.normalize(n)?;
                }
            }
        }
        Ok(())
    }

    /// Normalizes a plain string, as `normalize_str` does in Python.
    pub fn normalize_str(&self, s: &str) -> Result<String> {
        crate::normalized::check_len(s)?;
        if let Normalizer::BertNormalizer(b) = self {
            return Ok(b.normalize_str(s));
        }
        let mut n = NormalizedString::from(s);
        self.normalize(&mut n)?;
        Ok(n.get().to_owned())
    }
}
