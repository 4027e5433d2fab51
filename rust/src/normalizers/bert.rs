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
    has_class(c, SPACE, char::is_whitespace)
}

pub fn is_bert_control(c: char) -> bool {
    has_class(c, CONTROL, |c| c.is_other())
}

/// BERT's punctuation (Unicode P*) beyond ASCII.
pub fn is_unicode_punctuation(c: char) -> bool {
    has_class(c, PUNCTUATION, |c| c.is_punctuation())
}

/// A nonspacing mark (Mn): what accent stripping removes after NFD.
pub fn is_nonspacing_mark(c: char) -> bool {
    has_class(c, NONSPACING_MARK, |c| c.is_mark_nonspacing())
}

/// Whether `c` has the class `bit`: from the BMP table, else by `beyond`
/// (the same predicate the table was built from).
#[inline]
fn has_class(c: char, bit: u8, beyond: impl Fn(char) -> bool) -> bool {
    match bmp_class(c) {
        Some(k) => k & bit != 0,
        None => beyond(c),
    }
}

const SPACE: u8 = 1;
const CONTROL: u8 = 2;
const PUNCTUATION: u8 = 4;
const NONSPACING_MARK: u8 = 8;
/// A starter (combining class 0) that NFD leaves as it is and that is not
/// a nonspacing mark: a run of these is its own NFD, and stripping accents
/// keeps it whole. (Many Mn chars are starters: Devanagari's vowel signs
/// and virama, Thai's marks; they are stripped all the same.)
const NFD_STABLE: u8 = 16;

/// `c` lowercased when that is one BMP char (a table lookup), else `None`.
fn simple_lower(c: char) -> Option<char> {
    static T: std::sync::OnceLock<Vec<u16>> = std::sync::OnceLock::new();
    let t = T.get_or_init(|| {
        (0..0x1_0000u32)
            .map(|u| {
                let mut low = char::from_u32(u).into_iter().flat_map(char::to_lowercase);
                match (low.next(), low.next()) {
                    (Some(l), None) => u16::try_from(u32::from(l)).unwrap_or(0),
                    _ => 0,
                }
            })
            .collect()
    });
    match t.get(c as usize) {
        Some(&l) if l != 0 => char::from_u32(u32::from(l)),
        _ => None,
    }
}

/// Appends `c` lowercased.
fn push_lower(out: &mut String, c: char) {
    match simple_lower(c) {
        Some(l) => out.push(l),
        None => out.extend(c.to_lowercase()),
    }
}

/// True when NFD leaves `s` as it is because every char is a starter that
/// does not decompose (most letters of most scripts, CJK, Hangul excepted).
fn nfd_stable(s: &str) -> bool {
    s.chars()
        .all(|c| bmp_class(c).is_some_and(|k| k & NFD_STABLE != 0))
}

/// The class bits of every char of the Basic Multilingual Plane, from the
/// Unicode predicates and tables (a table lookup instead of several binary
/// searches per char on non-ASCII text).
fn bmp_class(c: char) -> Option<u8> {
    static T: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    let t = T.get_or_init(|| {
        (0..0x1_0000u32)
            .map(|u| match char::from_u32(u) {
                None => 0,
                Some(c) => {
                    let tab = matches!(c, '\t' | '\n' | '\r');
                    let mut k = 0;
                    if tab || c.is_whitespace() {
                        k |= SPACE;
                    }
                    if !tab && c.is_other() {
                        k |= CONTROL;
                    }
                    if c.is_punctuation() {
                        k |= PUNCTUATION;
                    }
                    if c.is_mark_nonspacing() {
                        k |= NONSPACING_MARK;
                    }
                    let mut parts = 0;
                    let mut itself = true;
                    unicode_normalization_alignments::char::decompose_canonical(c, |d| {
                        parts += 1;
                        itself &= d == c;
                    });
                    if parts == 1
                        && itself
                        && unicode_normalization_alignments::char::canonical_combining_class(c) == 0
                        && !c.is_mark_nonspacing()
                    {
                        k |= NFD_STABLE;
                    }
                    k
                }
            })
            .collect()
    });
    t.get(c as usize).copied()
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
    /// The normalized text alone (no alignments): the same steps on a plain
    /// string. Every step works char by char, and NFD's reordering of marks
    /// never crosses an ASCII char, so ASCII runs take a byte loop and only
    /// the runs between them the Unicode path.
    pub fn normalize_str(&self, s: &str) -> String {
        let mut out = String::with_capacity(s.len() + 16);
        let b = s.as_bytes();
        let mut i = 0;
        while i < b.len() {
            let start = i;
            let ascii = b[i].is_ascii();
            while i < b.len() && b[i].is_ascii() == ascii {
                i += 1;
            }
            if ascii {
                self.ascii_into(&b[start..i], &mut out);
            } else {
                self.unicode_into(&s[start..i], &mut out);
            }
        }
        out
    }

    fn ascii_into(&self, run: &[u8], out: &mut String) {
        for &b in run {
            let b = match b {
                b'\t' | b'\n' | b'\r' if self.clean_text => b' ',
                0..=0x1f | 0x7f if self.clean_text => continue,
                b if self.lowercase => b.to_ascii_lowercase(),
                b => b,
            };
            out.push(char::from(b));
        }
    }

    fn unicode_into(&self, run: &str, out: &mut String) {
        let mut t = String::with_capacity(run.len() + 8);
        for c in run.chars() {
            if self.clean_text && (c == '\0' || c == '\u{fffd}' || is_bert_control(c)) {
                continue;
            }
            let c = if self.clean_text && is_bert_whitespace(c) {
                ' '
            } else {
                c
            };
            if self.handle_chinese_chars && is_chinese_char(c) {
                t.push(' ');
                t.push(c);
                t.push(' ');
            } else {
                t.push(c);
            }
        }
        if self.strip_accents.unwrap_or(self.lowercase) && !nfd_stable(&t) {
            let mark = out.len();
            if self.strip_by_char(&t, out) {
                return;
            }
            // A kept combining char: NFD's reordering may matter.
            out.truncate(mark);
            let stripped = t.nfd().map(|(c, _)| c).filter(|&c| !is_nonspacing_mark(c));
            return self.push_all(stripped, out);
        }
        let strip = self.strip_accents.unwrap_or(self.lowercase);
        self.push_all(t.chars().filter(|&c| !strip || !is_nonspacing_mark(c)), out);
    }

    fn push_all(&self, chars: impl Iterator<Item = char>, out: &mut String) {
        if self.lowercase {
            for c in chars {
                push_lower(out, c);
            }
        } else {
            out.extend(chars);
        }
    }

    /// NFD then removal of nonspacing marks (then lowercase), one char at a
    /// time: each char's canonical decomposition, less its Mn chars. NFD's
    /// canonical reordering only moves combining chars (non-starters) among
    /// themselves, and all of those go when they are Mn; so this is exact
    /// unless a kept char is a non-starter: false then (`out` partly
    /// written), for the caller to redo the run by NFD.
    fn strip_by_char(&self, t: &str, out: &mut String) -> bool {
        use unicode_normalization_alignments::char::{
            canonical_combining_class, decompose_canonical,
        };
        let mut ok = true;
        for c in t.chars() {
            if bmp_class(c).is_some_and(|k| k & NFD_STABLE != 0) {
                self.push_all(std::iter::once(c), out);
                continue;
            }
            decompose_canonical(c, |d| {
                if is_nonspacing_mark(d) {
                    return;
                }
                if canonical_combining_class(d) != 0 {
                    ok = false;
                }
                self.push_all(std::iter::once(d), out);
            });
            if !ok {
                return false;
            }
        }
        true
    }

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
            n.filter(|c| !is_nonspacing_mark(c));
        }
        if self.lowercase {
            n.lowercase();
        }
    }
}

#[cfg(test)]
mod string_path_tests {
    use super::*;

    #[test]
    fn string_path_equals_the_aligned_path() {
        let alphabet: Vec<char> =
            "aZ \t\n\r\u{b}\u{c}\u{0}\u{7f}\u{1}é\u{301}ÅİΣ中日\u{fffd}\u{200b}\u{a0}ﬁ.,"
                .chars()
                .collect();
        let mut x: u64 = 0x51a3_9e2b_77c1_0f0d;
        for flags in 0..16u32 {
            let b = BertNormalizer {
                clean_text: flags & 1 != 0,
                handle_chinese_chars: flags & 2 != 0,
                strip_accents: [None, Some(true), Some(false)][(flags as usize >> 2) % 3],
                lowercase: flags & 8 != 0,
            };
            for _ in 0..800 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let ascii = x.is_multiple_of(3);
                let s: String = (0..(x % 24))
                    .map(|k| alphabet[((x >> (k * 5 % 59)) as usize + k as usize) % alphabet.len()])
                    .filter(|c| !ascii || c.is_ascii())
                    .collect();
                let mut n = NormalizedString::from(s.as_str());
                b.normalize(&mut n);
                assert_eq!(b.normalize_str(&s), n.get(), "{b:?} on {s:?}");
            }
        }
    }
}

#[cfg(test)]
mod class_tests {
    use super::*;

    #[test]
    fn the_table_agrees_with_the_predicates_on_every_code_point() {
        for c in (0..0x11_0000u32).filter_map(char::from_u32) {
            let tab = matches!(c, '\t' | '\n' | '\r');
            assert_eq!(is_bert_whitespace(c), tab || c.is_whitespace(), "{c:?}");
            assert_eq!(is_bert_control(c), !tab && c.is_other(), "{c:?}");
            assert_eq!(is_unicode_punctuation(c), c.is_punctuation(), "{c:?}");
            assert_eq!(is_nonspacing_mark(c), c.is_mark_nonspacing(), "{c:?}");
            let mut lowered = String::new();
            push_lower(&mut lowered, c);
            assert_eq!(lowered, c.to_lowercase().collect::<String>(), "{c:?}");
            if nfd_stable(&c.to_string()) {
                assert!(!c.is_mark_nonspacing(), "{c:?} would not be stripped");
                // Stable before any char, and any char after it.
                for s in [format!("{c}\u{301}"), format!("a{c}"), format!("{c}{c}")] {
                    let nfd: String = s.nfd().map(|(d, _)| d).collect();
                    assert_eq!(nfd, s, "{c:?}");
                }
            }
        }
    }
}
