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
            for g in s[i..j].graphemes(true) {
                self.push_grapheme(g, &mut out);
            }
            i = j;
        }
        out
    }

    fn push_grapheme(&self, g: &str, out: &mut String) {
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
