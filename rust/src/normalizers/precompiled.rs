//! SentencePiece's precompiled normalization map (`precompiled_charsmap`).
//!
//! The blob is `[u32 trie size in bytes][double-array trie as u32 units]
//! [replacement strings, each NUL-terminated]`. The trie maps UTF-8 byte
//! strings to the offset of their replacement. The per-grapheme lookup below
//! reproduces what `tokenizers` does (graphemes shorter than 6 bytes are looked
//! up whole, others char by char, and the shortest trie match is taken), since
//! ids must match theirs on every input.

use crate::error::{Error, Result};
use crate::normalized::NormalizedString;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU8, Ordering};
use unicode_segmentation::UnicodeSegmentation;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "PrecompiledSpec", into = "PrecompiledSpec")]
pub struct Precompiled {
    /// The charsmap as tokenizer.json carries it (base64).
    encoded: String,
    /// Double-array units.
    trie: Vec<u32>,
    /// The NUL-separated replacement strings.
    normalized: Vec<u8>,
    /// The replacement of each ASCII char, for the plain-string path.
    ascii: Vec<Option<Box<str>>>,
    /// Per BMP char, learnt on first use: 1 when the map leaves it as it
    /// is (alone), 2 when it replaces it, 0 not known yet.
    kept: std::sync::Arc<[AtomicU8]>,
}

/// A fresh [`Precompiled::kept`].
fn no_kept() -> std::sync::Arc<[AtomicU8]> {
    (0..0x10000).map(|_| AtomicU8::new(0)).collect()
}

#[derive(Serialize, Deserialize)]
struct PrecompiledSpec {
    precompiled_charsmap: String,
}

impl TryFrom<PrecompiledSpec> for Precompiled {
    type Error = Error;
    fn try_from(s: PrecompiledSpec) -> Result<Self> {
        Precompiled::from_base64(&s.precompiled_charsmap)
    }
}

impl From<Precompiled> for PrecompiledSpec {
    fn from(p: Precompiled) -> Self {
        PrecompiledSpec {
            precompiled_charsmap: p.encoded,
        }
    }
}

fn bad(what: &str) -> Error {
    Error::config(format!("precompiled_charsmap: {what}"))
}

pub fn base64_decode(s: &str) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for b in s.bytes() {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' | b'\n' | b'\r' | b' ' => continue,
            _ => return Err(bad("not valid base64")),
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Ok(out)
}

/// [`grapheme_props`]: the property bits have been computed.
const KNOWN: u8 = 1;
/// A grapheme cluster that starts with this char ends after it unless the
/// next char [`EXTENDS`] it, and then takes it (not a control, CR or LF; no
/// CR LF, Hangul, Prepend or regional indicator rule joins it to what
/// follows).
const SIMPLE: u8 = 2;
/// The char joins the grapheme of an ordinary char before it (Extend, ZWJ,
/// SpacingMark).
const EXTENDS: u8 = 4;
/// An [`EXTENDS`] char after which a grapheme still ends before any char
/// that does not extend (not ZWJ, not an Indic conjunct linker).
const PLAIN_EXTEND: u8 = 8;

/// [`SIMPLE`] and [`EXTENDS`] of a BMP char (none for others), found once per
/// char by asking the grapheme segmenter about pairs of chars (so the two
/// always agree) and kept in a table shared by all threads.
#[inline]
fn grapheme_props(c: char) -> u8 {
    static PROPS: [AtomicU8; 0x10000] = [const { AtomicU8::new(0) }; 0x10000];
    let Some(slot) = PROPS.get(c as usize) else {
        return 0;
    };
    let known = slot.load(Ordering::Relaxed);
    if known & KNOWN != 0 {
        return known;
    }
    learn_grapheme_props(c, slot)
}

/// [`grapheme_props`] of a char not asked about before, stored in `slot`.
#[cold]
#[inline(never)]
fn learn_grapheme_props(c: char, slot: &AtomicU8) -> u8 {
    let one = |a: char, b: char| {
        let mut pair = String::with_capacity(8);
        pair.push(a);
        pair.push(b);
        pair.graphemes(true).nth(1).is_none()
    };
    let one3 = |a: char, b: char, d: char| {
        let mut s = String::with_capacity(12);
        s.push(a);
        s.push(b);
        s.push(d);
        s.graphemes(true).nth(1).is_none()
    };
    let mut props = KNOWN;
    if one('a', c) {
        props |= EXTENDS;
        if !one3('\u{0915}', c, '\u{0915}') && !one3('\u{00A9}', c, '\u{1F600}') {
            props |= PLAIN_EXTEND;
        }
    } else if one(c, '\u{0301}')
        && ![
            'a',
            '\n',
            '\u{1100}',
            '\u{1161}',
            '\u{11A8}',
            '\u{AC00}',
            '\u{0915}',
            '\u{1F1E6}',
            '\u{1F600}',
        ]
        .iter()
        .any(|&n| one(c, n))
    {
        props |= SIMPLE;
    }
    slot.store(props, Ordering::Relaxed);
    props
}

impl Precompiled {
    pub fn from_base64(encoded: &str) -> Result<Self> {
        let blob = base64_decode(encoded)?;
        if blob.is_empty() {
            // An empty charsmap normalizes nothing (some converted files carry one).
            return Ok(Precompiled {
                encoded: encoded.to_owned(),
                trie: Vec::new(),
                normalized: Vec::new(),
                ascii: Vec::new(),
                kept: no_kept(),
            });
        }
        let head: [u8; 4] = blob
            .get(..4)
            .and_then(|h| h.try_into().ok())
            .ok_or_else(|| bad("too short"))?;
        let size = u32::from_le_bytes(head) as usize;
        let body = blob
            .get(4..4 + size)
            .ok_or_else(|| bad("trie size larger than the data"))?;
        let trie: Vec<u32> = body
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        let normalized = blob[4 + size..].to_vec();
        if std::str::from_utf8(&normalized).is_err() {
            return Err(bad("replacement strings are not UTF-8"));
        }
        let mut p = Precompiled {
            encoded: encoded.to_owned(),
            trie,
            normalized,
            ascii: Vec::new(),
            kept: no_kept(),
        };
        p.ascii = (0..128u8)
            .map(|b| p.transform(&char::from(b).to_string()).map(Box::from))
            .collect();
        Ok(p)
    }

    /// The replacement of the shortest key that is a prefix of `key`.
    fn first_prefix_value(&self, key: &[u8]) -> Option<usize> {
        let unit = |pos: usize| self.trie.get(pos).copied();
        let offset = |u: u32| ((u >> 10) << ((u & (1 << 9)) >> 6)) as usize;
        let label = |u: u32| u & ((1 << 31) | 0xFF);
        let has_leaf = |u: u32| (u >> 8) & 1 == 1;
        let mut pos = 0usize;
        let mut u = unit(pos)?;
        pos ^= offset(u);
        for &c in key {
            if c == 0 {
                break;
            }
            pos ^= c as usize;
            u = unit(pos)?;
            if label(u) != c as u32 {
                return None;
            }
            pos ^= offset(u);
            if has_leaf(u) {
                return unit(pos).map(|v| (v & ((1 << 31) - 1)) as usize);
            }
        }
        None
    }

    fn transform(&self, chunk: &str) -> Option<&str> {
        let start = self.first_prefix_value(chunk.as_bytes())?;
        let rest = self.normalized.get(start..)?;
        let end = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
        std::str::from_utf8(&rest[..end]).ok()
    }

    /// Appends `new` in place of `old`: chars replace one for one, extra new
    /// chars are insertions, and a shorter `new` folds the removed chars into
    /// its last char.
    fn push_replacement(t: &mut Vec<(char, isize)>, old: &str, new: &str) {
        let old_count = old.chars().count() as isize;
        let new_count = new.chars().count() as isize;
        let first = t.len();
        t.extend(new.chars().map(|c| (c, 0)));
        let diff = new_count - old_count;
        if diff > 0 {
            let n = t.len();
            for x in t[(n - diff as usize).max(first)..].iter_mut() {
                x.1 = 1;
            }
        } else if diff < 0 {
            if let Some(last) = t.last_mut() {
                last.1 += diff;
            }
        }
    }

    /// Whether the map leaves a space and a `\n` as a space or a `\n`, and
    /// each ASCII letter and digit as one (alone: a grapheme each), so that
    /// a text cut between a space and a letter normalizes part by part as
    /// a whole (see `keeps_space_cuts` in the tokenizer).
    pub fn keeps_space_cuts(&self) -> bool {
        let one = |s: &str, ok: &dyn Fn(u8) -> bool| {
            let n = self.normalize_str(s);
            n.len() == 1 && ok(n.as_bytes()[0])
        };
        let space = |b: u8| b == b' ' || b == b'\n';
        one(" ", &space)
            && one("\n", &space)
            && (b'0'..=b'z').filter(u8::is_ascii_alphanumeric).all(|c| {
                one(char::from(c).encode_utf8(&mut [0; 4]), &|b| {
                    b.is_ascii_alphanumeric()
                })
            })
    }

    /// [`Precompiled::normalize`] on a plain string. An ASCII char that an
    /// ASCII char other than a `\r`/`\n` pair follows is a grapheme of its
    /// own (UAX #29), looked up in a table; the rest goes by graphemes.
    pub fn normalize_str(&self, s: &str) -> String {
        if self.trie.is_empty() {
            return s.to_owned();
        }
        // A grapheme boundary sits between bytes `a` and `b`.
        let apart = |a: u8, b: u8| a < 0x80 && b < 0x80 && !(a == b'\r' && b == b'\n');
        let b = s.as_bytes();
        let mut out = String::with_capacity(s.len() + s.len() / 8);
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            if b.get(i + 1).map_or(c < 0x80, |&d| apart(c, d)) {
                match self.ascii.get(usize::from(c)) {
                    Some(Some(rep)) => out.push_str(rep),
                    _ => out.push(char::from(c)),
                }
                i += 1;
                continue;
            }
            // Up to the next boundary between two ASCII chars.
            let mut j = i + 1;
            while j < b.len() && !apart(b[j - 1], b[j]) {
                j += 1;
            }
            // Chars that are a grapheme of their own go one by one; the
            // others by the grapheme iterator, one grapheme at a time (`k`
            // is always at a grapheme start).
            let mut k = i;
            // Chars from here to `k` are copied as they are, in one go.
            let mut copy_from = k;
            while k < j {
                let Some(c) = s[k..].chars().next() else {
                    break;
                };
                // `c` and the plain extending chars after it, when that is
                // a whole grapheme.
                let mut end = k + c.len_utf8();
                let simple = grapheme_props(c) & SIMPLE != 0;
                // The common case: a char the map keeps, a grapheme alone.
                if simple
                    && self.keeps(c)
                    && s[end..j]
                        .chars()
                        .next()
                        .is_none_or(|n| grapheme_props(n) & EXTENDS == 0)
                {
                    k = end;
                    continue;
                }
                out.push_str(&s[copy_from..k]);
                let mut alone = end == j;
                if !alone && simple {
                    loop {
                        let Some(n) = s[end..j].chars().next() else {
                            alone = true;
                            break;
                        };
                        let p = grapheme_props(n);
                        if p & EXTENDS == 0 {
                            alone = true;
                            break;
                        }
                        if p & PLAIN_EXTEND == 0 {
                            break;
                        }
                        end += n.len_utf8();
                    }
                }
                let g = if alone {
                    &s[k..end]
                } else {
                    s[k..j].graphemes(true).next().unwrap_or(&s[k..j])
                };
                self.push_grapheme(g, &mut out);
                k += g.len();
                copy_from = k;
            }
            out.push_str(&s[copy_from..k]);
            i = j;
        }
        out
    }

    /// Whether the map leaves the char `c` (as a grapheme alone) as it is;
    /// false for chars past the BMP (not remembered).
    fn keeps(&self, c: char) -> bool {
        let Some(slot) = self.kept.get(c as usize) else {
            return false;
        };
        match slot.load(Ordering::Relaxed) {
            1 => true,
            2 => false,
            _ => {
                let kept = self.transform(c.encode_utf8(&mut [0; 4])).is_none();
                slot.store(if kept { 1 } else { 2 }, Ordering::Relaxed);
                kept
            }
        }
    }

    fn push_grapheme(&self, g: &str, out: &mut String) {
        if g.len() <= 4 && g.chars().nth(1).is_none() {
            // One char: its replacement, if any (what `grapheme_parts`
            // gives for it, with one lookup).
            match self.transform(g) {
                Some(rep) => out.push_str(rep),
                None => out.push_str(g),
            }
            return;
        }
        self.grapheme_parts(g, |old, rep| match rep {
            Some(rep) => out.push_str(rep),
            None => out.push_str(old),
        });
    }

    /// Calls `f(part, replacement)` for the parts of grapheme `g`, in order,
    /// as `tokenizers` looks them up: a grapheme shorter than 6 bytes whole
    /// if the map has it, else char by char.
    fn grapheme_parts<'g>(&self, g: &'g str, mut f: impl FnMut(&'g str, Option<&str>)) {
        if g.len() < 6 {
            if let Some(rep) = self.transform(g) {
                return f(g, Some(rep));
            }
        }
        for (i, c) in g.char_indices() {
            let part = &g[i..i + c.len_utf8()];
            f(part, self.transform(part));
        }
    }

    pub fn normalize(&self, n: &mut NormalizedString) {
        if self.trie.is_empty() {
            return;
        }
        let mut t = Vec::with_capacity(n.len());
        let mut modified = false;
        for g in n.get().graphemes(true) {
            self.grapheme_parts(g, |part, rep| match rep {
                Some(rep) => {
                    modified = true;
                    Self::push_replacement(&mut t, part, rep);
                }
                None => t.extend(part.chars().map(|c| (c, 0))),
            });
        }
        if modified {
            n.transform(t, 0);
        }
    }
}
