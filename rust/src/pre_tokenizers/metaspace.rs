//! SentencePiece-style `Metaspace`: spaces become `▁`, optionally prepended,
//! and words split before each `▁`.

use crate::error::Result;
use crate::normalized::{PreTokenizedString, SplitDelimiterBehavior};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrependScheme {
    First,
    Never,
    Always,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(from = "MetaspaceSpec", into = "MetaspaceSpec")]
pub struct Metaspace {
    pub replacement: char,
    pub prepend_scheme: PrependScheme,
    pub split: bool,
}

/// Accepts both the current fields and the legacy `add_prefix_space`.
#[derive(Serialize, Deserialize)]
struct MetaspaceSpec {
    #[serde(default = "default_replacement")]
    replacement: char,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    prepend_scheme: Option<PrependScheme>,
    #[serde(default, skip_serializing)]
    add_prefix_space: Option<bool>,
    #[serde(default = "yes")]
    split: bool,
}

fn default_replacement() -> char {
    '▁'
}
fn yes() -> bool {
    true
}

impl From<MetaspaceSpec> for Metaspace {
    fn from(s: MetaspaceSpec) -> Self {
        let prepend_scheme = match (s.prepend_scheme, s.add_prefix_space) {
            (Some(p), _) => p,
            (None, Some(false)) => PrependScheme::Never,
            _ => PrependScheme::Always,
        };
        Metaspace {
            replacement: s.replacement,
            prepend_scheme,
            split: s.split,
        }
    }
}

impl From<Metaspace> for MetaspaceSpec {
    fn from(m: Metaspace) -> Self {
        MetaspaceSpec {
            replacement: m.replacement,
            prepend_scheme: Some(m.prepend_scheme),
            add_prefix_space: None,
            split: m.split,
        }
    }
}

impl Default for Metaspace {
    fn default() -> Self {
        Metaspace {
            replacement: '▁',
            prepend_scheme: PrependScheme::Always,
            split: true,
        }
    }
}

impl Metaspace {
    pub fn pre_tokenize(&self, pt: &mut PreTokenizedString) -> Result<()> {
        let rep = self.replacement.to_string();
        pt.split_plain(|_, mut n| {
            n.replace(&' ', &rep)?;
            let starts = n.get().starts_with(self.replacement);
            match self.prepend_scheme {
                PrependScheme::Always if !starts => n.prepend(&rep),
                PrependScheme::First if !starts && n.offsets_original().0 == 0 => n.prepend(&rep),
                _ => {}
            }
            if self.split {
                n.split(&self.replacement, SplitDelimiterBehavior::MergedWithNext)
            } else {
                Ok(vec![n])
            }
        })
    }

    pub fn decode_chain(&self, tokens: Vec<String>) -> Vec<String> {
        tokens
            .into_iter()
            .enumerate()
            .map(|(i, t)| {
                t.chars()
                    .filter_map(|c| {
                        if c == self.replacement {
                            if i == 0 && self.prepend_scheme != PrependScheme::Never {
                                None
                            } else {
                                Some(' ')
                            }
                        } else {
                            Some(c)
                        }
                    })
                    .collect()
            })
            .collect()
    }
}
