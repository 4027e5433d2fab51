//! Pre-tokenizers: cut the normalized text into words. One enum; the variant
//! names and fields are those of tokenizer.json.

pub mod byte_level;
pub mod gpt2;
mod metaspace;
pub mod plain;
mod split;
mod unicode_scripts;

pub use byte_level::ByteLevel;
pub use metaspace::{Metaspace, PrependScheme};
pub use split::Split;

use crate::error::Result;
use crate::normalized::{PreTokenizedString, SplitDelimiterBehavior};
use crate::pattern::CharPredicate;
use serde::{Deserialize, Serialize};

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
    UnicodeScripts,
    FixedLength(FixedLength),
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

/// Cuts every word into pieces of `length` chars.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FixedLength {
    #[serde(default = "five")]
    pub length: usize,
}

fn five() -> usize {
    5
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CharDelimiterSplit {
    pub delimiter: char,
}

/// BERT's notion of punctuation: ASCII punctuation plus Unicode P* classes.
pub fn is_bert_punc(c: char) -> bool {
    // Every ASCII char of a P* category is ASCII punctuation: the Unicode
    // tables are only needed beyond ASCII.
    if c.is_ascii() {
        c.is_ascii_punctuation()
    } else {
        crate::normalizers::bert::is_unicode_punctuation(c)
    }
}

/// `\w` exactly as the `regex` crate (which `tokenizers`' `Whitespace` uses)
/// defines it, from the same Unicode tables: Alphabetic, marks, decimal
/// digits, connector punctuation and the join controls (so a ZWJ inside an
/// emoji sequence is a word char).
pub fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric() || c == '_';
    }
    regex_syntax::is_word_character(c)
}

/// `\w+|[^\w\s]+`: runs of word chars and runs of other non-space chars.
pub(crate) struct WordRuns;

impl crate::pattern::Pattern for WordRuns {
    fn find_matches(&self, inside: &str) -> Result<Vec<((usize, usize), bool)>> {
        #[derive(PartialEq, Clone, Copy)]
        enum K {
            Word,
            Space,
            Other,
        }
        let kind = |c: char| {
            if c.is_whitespace() {
                K::Space
            } else if is_word_char(c) {
                K::Word
            } else {
                K::Other
            }
        };
        let mut out = Vec::new();
        let mut run: Option<(usize, K)> = None;
        for (i, c) in inside.char_indices() {
            let k = kind(c);
            match run {
                Some((_, rk)) if rk == k => {}
                Some((s, rk)) => {
                    out.push(((s, i), rk == K::Space));
                    run = Some((i, k));
                }
                None => run = Some((i, k)),
            }
        }
        match run {
            Some((s, rk)) => out.push(((s, inside.len()), rk == K::Space)),
            None => out.push(((0, 0), false)),
        }
        Ok(out)
    }
}

impl PreTokenizer {
    pub fn pre_tokenize(&self, pt: &mut PreTokenizedString) -> Result<()> {
        use SplitDelimiterBehavior::*;
        match self {
            PreTokenizer::ByteLevel(b) => b.pre_tokenize(pt),
            PreTokenizer::Whitespace => pt.split_plain(|_, n| n.split(&WordRuns, Removed)),
            PreTokenizer::WhitespaceSplit => {
                pt.split_plain(|_, n| n.split(&CharPredicate(char::is_whitespace), Removed))
            }
            PreTokenizer::BertPreTokenizer => {
                pt.split_plain(|_, n| {
                    n.split(&CharPredicate(crate::normalizers::bert_whitespace), Removed)
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
            PreTokenizer::UnicodeScripts => unicode_scripts::pre_tokenize(pt),
            PreTokenizer::FixedLength(f) => pt.split_plain(|_, n| {
                let len = f.length.max(1);
                let mut cuts: Vec<usize> = n
                    .get()
                    .char_indices()
                    .map(|(i, _)| i)
                    .step_by(len)
                    .collect();
                cuts.push(n.len());
                Ok(cuts
                    .windows(2)
                    .filter_map(|w| n.slice(w[0], w[1]))
                    .collect())
            }),
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
        crate::normalized::check_len(s)?;
        let mut pt = PreTokenizedString::from(s);
        self.pre_tokenize(&mut pt)?;
        Ok(pt.get_splits(true))
    }
}
