//! GPT-2's byte-level pre-tokenizer: split with GPT-2's pattern, then write
//! every byte as one printable char (the `bytes_to_unicode` table), so that
//! any text, whatever its bytes, maps onto a 256-symbol base vocabulary.

use crate::error::Result;
use crate::normalized::{NormalizedString, PreTokenizedString, SplitDelimiterBehavior};
use crate::pattern::Regex;
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

pub(crate) const GPT2_PATTERN: &str =
    r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ByteLevel {
    #[serde(default = "yes")]
    pub add_prefix_space: bool,
    #[serde(default = "yes")]
    pub trim_offsets: bool,
    #[serde(default = "yes")]
    pub use_regex: bool,
}

fn yes() -> bool {
    true
}

impl Default for ByteLevel {
    fn default() -> Self {
        ByteLevel {
            add_prefix_space: true,
            trim_offsets: true,
            use_regex: true,
        }
    }
}

/// byte -> char, GPT-2's `bytes_to_unicode`.
pub fn byte_to_char() -> &'static [char; 256] {
    static TABLE: OnceLock<[char; 256]> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = ['\0'; 256];
        let mut n = 0u32;
        for b in 0..256u32 {
            let printable = (0x21..=0x7e).contains(&b)
                || (0xa1..=0xac).contains(&b)
                || (0xae..=0xff).contains(&b);
            let c = if printable {
                b
            } else {
                n += 1;
                255 + n
            };
            t[b as usize] = char::from_u32(c).unwrap_or('\0');
        }
        t
    })
}

/// char -> byte, the inverse table; `None` for chars outside it.
pub fn char_to_byte(c: char) -> Option<u8> {
    static TABLE: OnceLock<[u16; 324]> = OnceLock::new();
    let t = TABLE.get_or_init(|| {
        let mut t = [u16::MAX; 324];
        for (b, &c) in byte_to_char().iter().enumerate() {
            t[c as usize] = b as u16;
        }
        t
    });
    t.get(c as usize)
        .and_then(|&v| if v == u16::MAX { None } else { Some(v as u8) })
}

pub(crate) fn gpt2_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| match Regex::new(GPT2_PATTERN) {
        Ok(r) => r,
        Err(e) => unreachable!("fixed pattern: {e}"),
    })
}

/// Rewrites each byte as its table char.
pub fn to_byte_chars(n: &mut NormalizedString) {
    n.bytes_to_chars(byte_to_char());
}

impl ByteLevel {
    pub fn pre_tokenize(&self, pt: &mut PreTokenizedString) -> Result<()> {
        pt.split_plain(|_, mut n| {
            if self.add_prefix_space && !n.get().starts_with(' ') {
                n.prepend(" ");
            }
            if self.use_regex {
                n.split(gpt2_regex(), SplitDelimiterBehavior::Isolated)
            } else {
                Ok(vec![n])
            }
        })?;
        pt.normalize(|n| {
            to_byte_chars(n);
            Ok(())
        })
    }

    /// Decodes byte-level tokens back to text (lossy on invalid UTF-8).
    pub fn decode(tokens: &[String]) -> String {
        let mut bytes = Vec::new();
        for t in tokens {
            let start = bytes.len();
            let mut ok = true;
            for c in t.chars() {
                match char_to_byte(c) {
                    Some(b) => bytes.push(b),
                    None => {
                        ok = false;
                        break;
                    }
                }
            }
            if !ok {
                bytes.truncate(start);
                bytes.extend_from_slice(t.as_bytes());
            }
        }
        String::from_utf8_lossy(&bytes).into_owned()
    }
}
