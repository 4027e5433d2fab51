//! The general `Split` pre-tokenizer: a literal or an Oniguruma regex.

use crate::error::Result;
use crate::normalized::{PreTokenizedString, SplitDelimiterBehavior};
use crate::normalizers::StringOrRegex;
use crate::pattern::{Invert, Literal, Regex};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "SplitSpec", into = "SplitSpec")]
pub struct Split {
    pub pattern: StringOrRegex,
    pub behavior: SplitDelimiterBehavior,
    pub invert: bool,
    regex: Option<Regex>,
}

#[derive(Serialize, Deserialize)]
struct SplitSpec {
    pattern: StringOrRegex,
    behavior: SplitDelimiterBehavior,
    #[serde(default)]
    invert: bool,
}

impl TryFrom<SplitSpec> for Split {
    type Error = crate::error::Error;
    fn try_from(s: SplitSpec) -> Result<Self> {
        Split::new(s.pattern, s.behavior, s.invert)
    }
}

impl From<Split> for SplitSpec {
    fn from(s: Split) -> Self {
        SplitSpec {
            pattern: s.pattern,
            behavior: s.behavior,
            invert: s.invert,
        }
    }
}

impl Split {
    pub fn new(
        pattern: StringOrRegex,
        behavior: SplitDelimiterBehavior,
        invert: bool,
    ) -> Result<Self> {
        let regex = match &pattern {
            StringOrRegex::Regex(r) => Some(Regex::new(r)?),
            StringOrRegex::String(_) => None,
        };
        Ok(Split {
            pattern,
            behavior,
            invert,
            regex,
        })
    }

    /// The compiled regex, when the pattern is one.
    pub fn regex(&self) -> Option<&Regex> {
        self.regex.as_ref()
    }

    pub fn pre_tokenize(&self, pt: &mut PreTokenizedString) -> Result<()> {
        match (&self.regex, &self.pattern, self.invert) {
            (Some(re), _, false) => pt.split_plain(|_, n| n.split(re, self.behavior)),
            (Some(re), _, true) => pt.split_plain(|_, n| n.split(&Invert(re), self.behavior)),
            (None, StringOrRegex::String(s), false) => {
                pt.split_plain(|_, n| n.split(&Literal(s), self.behavior))
            }
            (None, StringOrRegex::String(s), true) => {
                pt.split_plain(|_, n| n.split(&Invert(&Literal(s)), self.behavior))
            }
            (None, StringOrRegex::Regex(_), _) => Ok(()),
        }
    }
}
