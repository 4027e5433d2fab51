//! Pre-tokenizers: cut the normalized text into words. One enum; the variant
//! names and fields are those of tokenizer.json.

pub mod byte_level;
mod metaspace;
mod split;

pub use byte_level::ByteLevel;
pub use metaspace::{Metaspace, PrependScheme};
pub use split::Split;

use crate::error::Result;
use crate::normalized::{PreTokenizedString, SplitDelimiterBehavior};
use crate::pattern::{CharPredicate, Invert, Regex};
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;
use unicode_categories::UnicodeCategories;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum PreTokenizer {
    ByteLevel(ByteLevel),
    Whitespace,
    WhitespaceSplit,
    BertPreTokenizer,
    Metaspace(Metaspace),
    Split(Split),
    Punctuation(Punctuation),
    Digits(Digits),
    CharDelimiterSplit(CharDelimiterSplit),
    Sequence(PreTokenizerSequence),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PreTokenizerSequence {
    pub pretokenizers: Vec<PreTokenizer>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Punctuation {
    #[serde(default = "isolated")]
    pub behavior: SplitDelimiterBehavior,
}

fn isolated() -> SplitDelimiterBehavior {
    SplitDelimiterBehavior::Isolated
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Digits {
    #[serde(default)]
    pub individual_digits: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CharDelimiterSplit {
    pub delimiter: char,
}

/// BERT's notion of punctuation: ASCII punctuation plus Unicode P* classes.
pub fn is_bert_punc(c: char) -> bool {
    c.is_ascii_punctuation() || c.is_punctuation()
}

fn whitespace_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| match Regex::new(r"\w+|[^\w\s]+") {
        Ok(r) => r,
        Err(e) => unreachable!("fixed pattern: {e}"),
    })
}

impl PreTokenizer {
    pub fn pre_tokenize(&self, pt: &mut PreTokenizedString) -> Result<()> {
        use SplitDelimiterBehavior::*;
        match self {
            PreTokenizer::ByteLevel(b) => b.pre_tokenize(pt),
            PreTokenizer::Whitespace => pt.split_plain(|_, n| {
                n.split(&Invert(whitespace_regex()), Removed)
            }),
            PreTokenizer::WhitespaceSplit => {
                pt.split_plain(|_, n| n.split(&CharPredicate(char::is_whitespace), Removed))
            }
            PreTokenizer::BertPreTokenizer => {
                pt.split_plain(|_, n| {
                    n.split(
                        &CharPredicate(crate::normalizers::bert_whitespace),
                        Removed,
                    )
                })?;
                pt.split_plain(|_, n| n.split(&CharPredicate(is_bert_punc), Isolated))
            }
            PreTokenizer::Metaspace(m) => m.pre_tokenize(pt),
            PreTokenizer::Split(s) => s.pre_tokenize(pt),
            PreTokenizer::Punctuation(p) => {
                pt.split_plain(|_, n| n.split(&CharPredicate(is_bert_punc), p.behavior))
            }
            PreTokenizer::Digits(d) => {
                let b = if d.individual_digits {
                    Isolated
                } else {
                    Contiguous
                };
                pt.split_plain(|_, n| n.split(&CharPredicate(char::is_numeric), b))
            }
            PreTokenizer::CharDelimiterSplit(c) => {
                pt.split_plain(|_, n| n.split(&c.delimiter, Removed))
            }
            PreTokenizer::Sequence(s) => {
                for p in &s.pretokenizers {
                    p.pre_tokenize(pt)?;
                }
                Ok(())
            }
        }
    }

    /// Splits a plain string, as `pre_tokenize_str` does in Python (char offsets).
    pub fn pre_tokenize_str(&self, s: &str) -> Result<Vec<(String, (usize, usize))>> {
        let mut pt = PreTokenizedString::from(s);
        self.pre_tokenize(&mut pt)?;
        Ok(pt.get_splits(true))
    }
}
