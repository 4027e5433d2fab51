//! GPT-2's split pattern, hand-written:
//!
//! `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
//!
//! The regex engine spends most of its time per match on set-up; this walks
//! the text once, classifying each char by a table. The result is exactly the
//! Oniguruma regex's: the classes come from the same Unicode properties, and a
//! test compares the two on every code point and on random text.

use std::sync::OnceLock;

const L: u8 = 1;
const N: u8 = 2;
const S: u8 = 4;

/// Class bits of every code point (`\p{L}`, `\p{N}`, `\s` as Oniguruma
/// defines them: general categories L* and N*, and White_Space).
fn table() -> &'static [u8] {
    static T: OnceLock<Vec<u8>> = OnceLock::new();
    T.get_or_init(|| {
        let mut t = vec![0u8; 0x11_0000];
        for (pattern, bit) in [(r"\p{L}", L), (r"\p{N}", N), (r"\s", S)] {
            for (a, b) in class_ranges(pattern) {
                for c in a..=b {
                    t[c as usize] |= bit;
                }
            }
        }
        t
    })
}

fn class_ranges(pattern: &str) -> Vec<(u32, u32)> {
    use regex_syntax::hir::{Class, HirKind};
    let hir = match regex_syntax::ParserBuilder::new().build().parse(pattern) {
        Ok(h) => h,
        Err(e) => unreachable!("fixed class {pattern}: {e}"),
    };
    match hir.kind() {
        HirKind::Class(Class::Unicode(c)) => c
            .ranges()
            .iter()
            .map(|r| (r.start() as u32, r.end() as u32))
            .collect(),
        _ => unreachable!("{pattern} is a Unicode class"),
    }
}

#[inline]
fn class(c: char) -> u8 {
    table()[c as usize]
}

#[inline]
fn char_at(s: &str, i: usize) -> char {
    let b = s.as_bytes()[i];
    if b < 0x80 {
        return b as char;
    }
    s[i..].chars().next().unwrap_or('\0')
}

/// The end of the run of chars starting at `i` whose class has `bits`
/// (or, with `bits == 0`, the run of chars with none of L, N, S).
#[inline]
fn run_end(s: &str, mut i: usize, bits: u8) -> usize {
    while i < s.len() {
        let c = char_at(s, i);
        let k = class(c);
        let inside = if bits == 0 { k == 0 } else { k & bits != 0 };
        if !inside {
            break;
        }
        i += c.len_utf8();
    }
    i
}

fn contraction(rest: &[u8]) -> usize {
    for suffix in [&b"s"[..], b"t", b"re", b"ve", b"m", b"ll", b"d"] {
        if rest.starts_with(suffix) {
            return suffix.len();
        }
    }
    0
}

/// Calls `f(start, end)` for every match of the pattern in `s`, in order.
/// The matches cover `s` entirely.
pub fn split(s: &str, mut f: impl FnMut(usize, usize)) {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < s.len() {
        let c = char_at(s, i);
        if c == '\'' {
            let n = contraction(&bytes[i + 1..]);
            if n > 0 {
                f(i, i + 1 + n);
                i += 1 + n;
                continue;
            }
        }
        // ` ?X+` for X in L, N, other: an optional space, then the run.
        let (j, d) = if c == ' ' && i + 1 < s.len() {
            (i + 1, char_at(s, i + 1))
        } else {
            (i, c)
        };
        let k = class(d);
        let end = if k & S != 0 {
            0 // whitespace (a space followed by more, or at the end): below
        } else if k & L != 0 {
            run_end(s, j, L)
        } else if k & N != 0 {
            run_end(s, j, N)
        } else {
            run_end(s, j, 0)
        };
        if end > i {
            f(i, end);
            i = end;
            continue;
        }
        // Whitespace: `\s+(?!\S)` leaves the last space of a run that a
        // non-space follows (it then starts the next match); `\s+` takes a
        // single space.
        let j = run_end(s, i, S);
        let end = if j < s.len() {
            let last = s[i..j].chars().next_back().map_or(0, char::len_utf8);
            if j - last > i {
                j - last
            } else {
                j
            }
        } else {
            j
        };
        f(i, end);
        i = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::{Pattern, Regex};

    use super::super::byte_level::GPT2_PATTERN as GPT2;

    fn ours(s: &str) -> Vec<(usize, usize)> {
        let mut v = Vec::new();
        split(s, |a, b| v.push((a, b)));
        v
    }

    fn onig(s: &str) -> Vec<(usize, usize)> {
        let re = Regex::new(GPT2).unwrap_or_else(|e| panic!("{e}"));
        re.find_matches(s)
            .unwrap_or_default()
            .into_iter()
            .filter(|(o, _)| o.0 < o.1)
            .map(|(o, _)| o)
            .collect()
    }

    #[test]
    fn classes_match_oniguruma_on_every_code_point() {
        for (pattern, bit) in [(r"\p{L}", L), (r"\p{N}", N), (r"\s", S)] {
            let re = onig::Regex::new(&format!("^{pattern}$")).unwrap_or_else(|e| panic!("{e}"));
            for cp in 0..0x11_0000u32 {
                let Some(c) = char::from_u32(cp) else {
                    continue;
                };
                let mut buf = [0u8; 4];
                let theirs = re.is_match(c.encode_utf8(&mut buf));
                assert_eq!(class(c) & bit != 0, theirs, "{pattern} on U+{cp:04X}");
            }
        }
    }

    #[test]
    fn same_as_regex() {
        let cases = [
            "Hello world",
            "  leading and trailing  ",
            "it's we're they've I'm you'll he'd 'S",
            "''s '' x'",
            "a\n\nb\n \tc  \n",
            "numbers 123 4.5 ٣٤ ½",
            "emoji 👍🏽 and ZWJ 👨‍👩‍👧 mixed",
            "tabs\tand\u{a0}nbsp\u{3000}ideographic",
            "!!! ?? ... ' ",
            " ",
            "\n",
            "x  ",
            "日本語のテキスト、句読点。",
            "combining e\u{301} and \u{301} alone",
        ];
        for s in cases {
            assert_eq!(ours(s), onig(s), "{s:?}");
        }
    }

    #[test]
    fn same_as_regex_on_random_text() {
        let alphabet: Vec<char> = " \t\n\r\u{a0}\u{3000}'sStTrevmld1٣½.,!-_aZé日👍\u{301}\u{200d}"
            .chars()
            .collect();
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = (x % 12) as usize;
            let mut s = String::new();
            let mut y = x;
            for _ in 0..len {
                y = y
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                s.push(alphabet[(y >> 33) as usize % alphabet.len()]);
            }
            assert_eq!(ours(&s), onig(&s), "{s:?}");
        }
    }
}
