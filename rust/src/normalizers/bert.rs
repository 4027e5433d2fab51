//! BERT's normalizer: clean control chars, space out CJK ideographs, strip
//! accents, lowercase.

use crate::normalized::NormalizedString;
use serde::{Deserialize, Serialize};
use unicode_categories::UnicodeCategories;
use unicode_normalization_alignments::UnicodeNormalization;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BertNormalizer {
    #[serde(default = "yes")]
    pub clean_text: bool,
    #[serde(default = "yes")]
    pub handle_chinese_chars: bool,
    #[serde(default)]
    pub strip_accents: Option<bool>,
    #[serde(default = "yes")]
    pub lowercase: bool,
}

fn yes() -> bool {
    true
}

impl Default for BertNormalizer {
    fn default() -> Self {
        BertNormalizer {
            clean_text: true,
            handle_chinese_chars: true,
            strip_accents: None,
            lowercase: true,
        }
    }
}

pub fn is_bert_whitespace(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || c.is_whitespace()
}

pub fn is_bert_control(c: char) -> bool {
    !matches!(c, '\t' | '\n' | '\r') && c.is_other()
}

pub fn is_chinese_char(c: char) -> bool {
    matches!(
        c as u32,
        0x4E00..=0x9FFF
            | 0x3400..=0x4DBF
            | 0x20000..=0x2A6DF
            | 0x2A700..=0x2B73F
            | 0x2B740..=0x2B81F
            | 0x2B920..=0x2CEAF
            | 0xF900..=0xFAFF
            | 0x2F800..=0x2FA1F
    )
}

impl BertNormalizer {
    pub fn normalize(&self, n: &mut NormalizedString) {
        if self.clean_text {
            let dirty = |c: char| c == '\0' || c == '\u{fffd}' || is_bert_control(c);
            let ascii_clean = n.get().bytes().all(|b| (0x20..0x7f).contains(&b));
            if !ascii_clean {
                n.filter(|c| !dirty(c));
                if n.get().chars().any(|c| c != ' ' && is_bert_whitespace(c)) {
                    n.map(|c| if is_bert_whitespace(c) { ' ' } else { c });
                }
            }
        }
        if self.handle_chinese_chars && !n.get().is_ascii() && n.get().chars().any(is_chinese_char)
        {
            let mut t = Vec::with_capacity(n.len() + 8);
            for c in n.get().chars() {
                if is_chinese_char(c) {
                    t.extend([(' ', 0), (c, 1), (' ', 1)]);
                } else {
                    t.push((c, 0));
                }
            }
            n.transform(t, 0);
        }
        if self.strip_accents.unwrap_or(self.lowercase) && !n.get().is_ascii() {
            let t: Vec<(char, isize)> = n.get().nfd().collect();
            n.transform(t, 0);
            n.filter(|c| !c.is_mark_nonspacing());
        }
        if self.lowercase {
            n.lowercase();
        }
    }
}
