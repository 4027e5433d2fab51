//! Normalizers: rewrite the text before it is split, keeping alignments.
//! One enum; the variant names and fields are those of tokenizer.json.

pub(crate) mod bert;
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
    /// The regex ` {2,}` (SentencePiece converters' "collapse runs of
    /// spaces"), which plain-string replacement does by hand.
    SpaceRuns(Regex),
}

impl CompiledPattern {
    pub fn new(p: &StringOrRegex) -> Result<Self> {
        Ok(match p {
            StringOrRegex::String(s) => CompiledPattern::String(s.clone()),
            StringOrRegex::Regex(r) if r == " {2,}" => CompiledPattern::SpaceRuns(Regex::new(r)?),
            StringOrRegex::Regex(r) => CompiledPattern::Regex(Regex::new(r)?),
        })
    }

    pub fn replace_in(&self, n: &mut NormalizedString, content: &str) -> Result<()> {
        match self {
            CompiledPattern::String(s) => n.replace(&Literal(s), content),
            CompiledPattern::Regex(r) | CompiledPattern::SpaceRuns(r) => n.replace(r, content),
        }
    }

    pub fn replace_str(&self, s: &str, content: &str) -> String {
        let replaced = match self {
            CompiledPattern::Regex(r) => replace_matches(r, s, content, true),
            _ => self.replace_plain(s, content),
        };
        // (`None` only for an empty literal, which replaces nothing.)
        replaced.unwrap_or_else(|| s.to_owned())
    }

    /// [`CompiledPattern::replace_str`], or `None` where only the aligned
    /// path is known to agree with `tokenizers`: an empty literal, a regex
    /// that matches an empty string in `s`.
    pub fn replace_plain(&self, s: &str, content: &str) -> Option<String> {
        match self {
            CompiledPattern::String(p) => {
                let mut cs = p.chars();
                match (cs.next(), cs.next()) {
                    (None, _) => None,
                    // One ASCII char (Llama's ' ' -> '▁'): one pass over the
                    // bytes (a search per match costs more than the few
                    // bytes between spaces).
                    (Some(c), None) if c.is_ascii() => Some(replace_ascii(s, c as u8, content)),
                    (Some(c), None) => Some(s.replace(c, content)),
                    _ => Some(s.replace(p.as_str(), content)),
                }
            }
            CompiledPattern::Regex(r) => replace_matches(r, s, content, false),
            CompiledPattern::SpaceRuns(_) => Some(collapse_spaces(s, content)),
        }
    }
}

/// `s` with every `b` (an ASCII byte) replaced by `content`. With a content
/// of at most four bytes (Llama's `▁` is three), each byte of `s` writes
/// four bytes (itself, or the content) and the write position moves on by
/// one or by the content's length: no branch per byte. Longer contents go
/// by `str::replace`.
fn replace_ascii(s: &str, b: u8, content: &str) -> String {
    let with = content.as_bytes();
    let count = s.bytes().filter(|&x| x == b).count();
    if count == 0 || with.len() > 4 {
        return s.replace(char::from(b), content);
    }
    let len = s.len() - count + count * with.len();
    let mut out = vec![0u8; len + 4];
    let mut rep = [0u8; 4];
    rep[..with.len()].copy_from_slice(with);
    let rep = u32::from_le_bytes(rep);
    let mut j = 0;
    for &x in s.as_bytes() {
        let hit = x == b;
        let word = if hit { rep } else { u32::from(x) };
        if let Some(dst) = out.get_mut(j..j + 4) {
            dst.copy_from_slice(&word.to_le_bytes());
        }
        j += if hit { with.len() } else { 1 };
    }
    out.truncate(len);
    debug_assert!(std::str::from_utf8(&out).is_ok());
    // SAFETY: `s` is UTF-8 and `b` is an ASCII byte, so every `b` is a
    // whole char; putting the UTF-8 of `content` in its place (and copying
    // every other byte as it is) leaves UTF-8.
    unsafe { String::from_utf8_unchecked(out) }
}

/// `s` with every match of `r` replaced by `content`; `None` on an empty
/// match unless `empty_ok`.
fn replace_matches(r: &Regex, s: &str, content: &str, empty_ok: bool) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    for (a, b) in r.find_iter(s) {
        if a == b && !empty_ok {
            return None;
        }
        out.push_str(&s[last..a]);
        out.push_str(content);
        last = b;
    }
    out.push_str(&s[last..]);
    Some(out)
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

/// `s` with every run of two or more spaces replaced by `content` (the
/// regex ` {2,}`, leftmost-longest, as Oniguruma matches it).
fn collapse_spaces(s: &str, content: &str) -> String {
    if !s.contains("  ") {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(k) = rest.find("  ") {
        let run = rest[k..].bytes().take_while(|&b| b == b' ').count();
        out.push_str(&rest[..k]);
        out.push_str(content);
        rest = &rest[k + run..];
    }
    out.push_str(rest);
    out
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
    /// The normalized text by plain string operations, for the normalizers
    /// that have them (BERT's, Prepend, Replace, SentencePiece's precompiled
    /// map, Lowercase on ASCII, and sequences of these); `None` for the
    /// others.
    fn normalize_plain(&self, s: &str) -> Option<String> {
        match self {
            Normalizer::BertNormalizer(b) => Some(b.normalize_str(s)),
            Normalizer::Prepend(p) if s.is_empty() => Some(String::new()),
            Normalizer::Prepend(p) => Some(format!("{}{s}", p.prepend)),
            Normalizer::Replace(r) => r.compiled.replace_plain(s, &r.content),
            Normalizer::Precompiled(p) => Some(p.normalize_str(s)),
            Normalizer::Lowercase if s.is_ascii() => Some(s.to_ascii_lowercase()),
            Normalizer::Sequence(seq) => {
                let mut cur = s.to_owned();
                for n in &seq.normalizers {
                    cur = n.normalize_plain(&cur)?;
                }
                Some(cur)
            }
            _ => None,
        }
    }

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
        if let Some(out) = self.normalize_plain(s) {
            return Ok(out);
        }
        let mut n = NormalizedString::from(s);
        self.normalize(&mut n)?;
        Ok(n.get().to_owned())
    }
}

#[cfg(test)]
mod plain_tests {
    use super::*;

    #[test]
    fn replacing_an_ascii_char_is_str_replace() {
        let texts = [
            "",
            " ",
            "   ",
            "a b  c ",
            " lead and trail ",
            "no match here",
            "é ü 日本 👍 x",
            "tab\there\t",
        ];
        for s in texts {
            for (b, content) in [
                (b' ', "▁"),
                (b' ', ""),
                (b' ', "-"),
                (b'\t', "\u{10FFFF}"),
                (b' ', "<sp>"),
            ] {
                assert_eq!(
                    replace_ascii(s, b, content),
                    s.replace(b as char, content),
                    "{s:?} {b} {content:?}"
                );
            }
        }
    }

    #[test]
    fn plain_path_equals_the_aligned_path() {
        let specs = [
            r#"{"type":"Sequence","normalizers":[{"type":"Prepend","prepend":"▁"},{"type":"Replace","pattern":{"String":" "},"content":"▁"}]}"#,
            r#"{"type":"Replace","pattern":{"String":"ab"},"content":""}"#,
            r#"{"type":"Replace","pattern":{"String":"a"},"content":"aa"}"#,
            r#"{"type":"Sequence","normalizers":[{"type":"Lowercase"},{"type":"Prepend","prepend":"x"}]}"#,
            r#"{"type":"Sequence","normalizers":[{"type":"BertNormalizer"},{"type":"Replace","pattern":{"String":"  "},"content":" "}]}"#,
            r#"{"type":"Replace","pattern":{"Regex":" {2,}"},"content":" "}"#,
            r#"{"type":"Replace","pattern":{"Regex":" {2,}"},"content":"<>"}"#,
            r#"{"type":"Replace","pattern":{"Regex":"\\s+"},"content":"_"}"#,
            r#"{"type":"Replace","pattern":{"Regex":"a*"},"content":"-"}"#,
            r#"{"type":"Replace","pattern":{"Regex":"(?<=a)b"},"content":""}"#,
        ];
        let alphabet: Vec<char> = "aAb \t\nÉé▁\u{301}中   ".chars().collect();
        let mut x: u64 = 0x7f4a_7c15_9e37_79b9;
        for spec in specs {
            let n: Normalizer =
                serde_json::from_str(spec).unwrap_or_else(|e| panic!("{spec}: {e}"));
            for _ in 0..2000 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let s: String = (0..(x % 16))
                    .map(|k| alphabet[((x >> (k * 3 % 61)) as usize + k as usize) % alphabet.len()])
                    .collect();
                let mut aligned = NormalizedString::from(s.as_str());
                n.normalize(&mut aligned).unwrap_or_else(|e| panic!("{e}"));
                if let Some(plain) = n.normalize_plain(&s) {
                    assert_eq!(plain, aligned.get(), "{spec} on {s:?}");
                }
            }
        }
    }
}
