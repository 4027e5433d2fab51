//! `NormalizedString` and `PreTokenizedString`: text being rewritten while every
//! byte keeps track of the span of the original input it came from.
//!
//! The alignment rules follow those of Hugging Face `tokenizers` exactly,
//! because token offsets must be identical to theirs: each byte of the
//! normalized string carries the `(start, end)` byte range of the original it
//! stands for; inserted characters share the alignment of the character before
//! them; a removed run folds into the character that precedes it.

use crate::error::Result;
use crate::pattern::Pattern;

pub type Offsets = (usize, usize);

/// An alignment: the original byte range of one normalized byte. Stored as
/// u32 pairs (8 bytes per byte of text instead of 16): inputs are limited to
/// 4 GiB, which `check_len` enforces at the entry points.
type Align = (u32, u32);

/// Inputs longer than the alignments can address are refused.
pub fn check_len(s: &str) -> crate::error::Result<()> {
    if s.len() > u32::MAX as usize {
        return Err(crate::error::Error::input(format!(
            "input of {} bytes: fasttok handles at most 4 GiB in one text",
            s.len()
        )));
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SplitDelimiterBehavior {
    Removed,
    Isolated,
    MergedWithPrevious,
    MergedWithNext,
    Contiguous,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct NormalizedString {
    /// Length in bytes of the original text this stands for (the text itself
    /// is not kept: offsets into the whole input are all we need).
    original_len: usize,
    normalized: String,
    /// For each byte of `normalized`, the original byte range it comes from.
    alignments: Vec<Align>,
    /// Where `original` starts inside the whole input, when this is a slice.
    original_shift: usize,
}

impl NormalizedString {
    /// `s` rewritten char by char by `f` (each char's output aligned to that
    /// char, as `tokenizers` aligns a char-local transform), or `None` when
    /// `f` gives `None` or drops a char (a dropped char's alignment folds
    /// into its neighbour: that is left to the full normalizer).
    /// `prefix` goes first, aligned to the first char (as `Prepend` is).
    pub fn char_local(
        s: &str,
        prefix: &str,
        mut f: impl FnMut(char) -> Option<String>,
    ) -> Option<Self> {
        let mut normalized = String::with_capacity(prefix.len() + s.len() + s.len() / 8);
        let mut alignments = Vec::with_capacity(prefix.len() + s.len() + s.len() / 8);
        let first = s.chars().next().map_or(0, char::len_utf8) as u32;
        normalized.push_str(prefix);
        alignments.extend(std::iter::repeat_n((0, first), prefix.len()));
        let mut ascii: Vec<Option<String>> = vec![None; 128];
        let mut other: std::collections::HashMap<char, String> = Default::default();
        for (i, c) in s.char_indices() {
            let out: &str = match ascii.get_mut(c as usize) {
                Some(slot) => {
                    if slot.is_none() {
                        *slot = Some(f(c)?);
                    }
                    slot.as_deref()?
                }
                None => match other.entry(c) {
                    std::collections::hash_map::Entry::Occupied(o) => o.into_mut().as_str(),
                    std::collections::hash_map::Entry::Vacant(v) => v.insert(f(c)?).as_str(),
                },
            };
            if out.is_empty() {
                return None;
            }
            normalized.push_str(out);
            let a = (i as u32, (i + c.len_utf8()) as u32);
            alignments.extend(std::iter::repeat_n(a, out.len()));
        }
        Some(NormalizedString {
            original_len: s.len(),
            normalized,
            alignments,
            original_shift: 0,
        })
    }
}

impl From<&str> for NormalizedString {
    fn from(s: &str) -> Self {
        let mut alignments = Vec::with_capacity(s.len());
        for (i, c) in s.char_indices() {
            let n = c.len_utf8();
            alignments.extend(std::iter::repeat_n((i as u32, (i + n) as u32), n));
        }
        NormalizedString {
            original_len: s.len(),
            normalized: s.to_owned(),
            alignments,
            original_shift: 0,
        }
    }
}

impl NormalizedString {
    pub fn get(&self) -> &str {
        &self.normalized
    }
    pub fn len(&self) -> usize {
        self.normalized.len()
    }
    pub fn is_empty(&self) -> bool {
        self.normalized.is_empty()
    }
    pub fn len_original(&self) -> usize {
        self.original_len
    }
    pub fn offsets_original(&self) -> Offsets {
        (self.original_shift, self.original_shift + self.original_len)
    }

    /// Normalized byte range -> original byte range (relative to this slice).
    pub fn normalized_to_original(&self, start: usize, end: usize) -> Option<Offsets> {
        if start == end {
            return Some((start, end));
        }
        if start > end {
            return None;
        }
        if self.normalized.is_empty() && (start, end) == (0, 0) {
            return Some((0, self.original_len));
        }
        let a = self.alignments.get(start..end)?;
        Some((a.first()?.0 as usize, a.last()?.1 as usize))
    }

    /// Original byte range -> normalized byte range.
    pub fn original_to_normalized(&self, start: usize, end: usize) -> Option<Offsets> {
        if start == end {
            return Some((start, end));
        }
        if start > end {
            return None;
        }
        if self.original_len == 0 && (start, end) == (0, 0) {
            return Some((0, self.normalized.len()));
        }
        let (mut s, mut e) = (None, None);
        for (i, al) in self.alignments.iter().enumerate() {
            if end < al.1 as usize {
                break;
            }
            if s.is_none() && start <= al.0 as usize && al.0 != al.1 {
                s = Some(i);
            }
            e = Some(i + 1);
        }
        match (s, e) {
            (Some(s), None) => Some((s, s)),
            (None, Some(e)) => Some((e, e)),
            (Some(s), Some(e)) => Some((s, e)),
            _ => None,
        }
    }

    /// A sub-string, by normalized byte range. `None` unless on char boundaries.
    pub fn slice(&self, start: usize, end: usize) -> Option<NormalizedString> {
        if !(self.normalized.is_char_boundary(start) && self.normalized.is_char_boundary(end)) {
            return None;
        }
        let (os, oe) = self.normalized_to_original(start, end)?;
        let shift = os as u32;
        Some(NormalizedString {
            original_len: oe.saturating_sub(os),
            normalized: self
                .normalized
                .get(start..end)
                .unwrap_or_default()
                .to_owned(),
            alignments: self
                .alignments
                .get(start..end)?
                .iter()
                .map(|&(a, b)| (a - shift, b - shift))
                .collect(),
            original_shift: self.original_shift + os,
        })
    }

    /// Rewrites the normalized bytes `start..end`. `dest` yields each new char
    /// with a change: `0` replaces one old char, `1` inserts a new one, `-n`
    /// replaces one old char and removes the `n` after it. `initial_offset`
    /// old chars are removed before the first new one.
    pub fn transform_range<I>(&mut self, start: usize, end: usize, dest: I, initial_offset: usize)
    where
        I: IntoIterator<Item = (char, isize)>,
    {
        let old = &self.normalized[start..end];
        let mut old_chars = old.chars();
        let mut offset = start;
        for _ in 0..initial_offset {
            match old_chars.next() {
                Some(c) => offset += c.len_utf8(),
                None => break,
            }
        }
        let mut new_text = String::with_capacity(end - start);
        let mut new_align = Vec::with_capacity(end - start);
        for (c, change) in dest {
            let align = if change > 0 {
                if offset == 0 {
                    (0, 0)
                } else {
                    self.alignments[offset - 1]
                }
            } else {
                self.alignments.get(offset).copied().unwrap_or_else(|| {
                    // Past the end can only happen on a malformed transformation;
                    // align to the end rather than panic.
                    self.alignments.last().map_or((0, 0), |a| (a.1, a.1))
                })
            };
            if change <= 0 {
                if let Some(r) = old_chars.next() {
                    offset += r.len_utf8();
                }
            }
            if change < 0 {
                for _ in 0..(-change) {
                    match old_chars.next() {
                        Some(r) => offset += r.len_utf8(),
                        None => break,
                    }
                }
            }
            new_align.extend(std::iter::repeat_n(align, c.len_utf8()));
            new_text.push(c);
        }
        if start == 0 && end == self.normalized.len() {
            self.alignments = new_align;
            self.normalized = new_text;
        } else {
            self.alignments.splice(start..end, new_align);
            self.normalized.replace_range(start..end, &new_text);
        }
    }

    pub fn transform<I>(&mut self, dest: I, initial_offset: usize)
    where
        I: IntoIterator<Item = (char, isize)>,
    {
        let len = self.normalized.len();
        self.transform_range(0, len, dest, initial_offset);
    }

    /// Keeps the chars for which `keep` is true.
    pub fn filter(&mut self, keep: impl Fn(char) -> bool) {
        if self.normalized.chars().all(&keep) {
            return;
        }
        let mut removed: isize = 0;
        let mut out: Vec<(char, isize)> = Vec::with_capacity(self.normalized.len());
        for c in self.normalized.chars().rev() {
            if keep(c) {
                out.push((c, -removed));
                removed = 0;
            } else {
                removed += 1;
            }
        }
        out.reverse();
        self.transform(out, removed as usize);
    }

    /// Rewrites every byte as `table[byte]`; each new char keeps the
    /// alignment of the char its byte came from (all bytes of a char share
    /// one alignment, so this equals the general transformation).
    pub fn bytes_to_chars(&mut self, table: &[char; 256]) {
        let mut text = String::with_capacity(self.normalized.len() * 2);
        let mut align = Vec::with_capacity(self.normalized.len() * 2);
        for (i, &b) in self.normalized.as_bytes().iter().enumerate() {
            let c = table[b as usize];
            text.push(c);
            align.extend(std::iter::repeat_n(self.alignments[i], c.len_utf8()));
        }
        self.normalized = text;
        self.alignments = align;
    }

    pub fn map(&mut self, f: impl Fn(char) -> char) {
        let t: Vec<(char, isize)> = self.normalized.chars().map(|c| (f(c), 0)).collect();
        self.transform(t, 0);
    }

    pub fn lowercase(&mut self) {
        if self.normalized.is_ascii() {
            if self.normalized.bytes().any(|b| b.is_ascii_uppercase()) {
                self.normalized.make_ascii_lowercase();
            }
            return;
        }
        let mut t = Vec::with_capacity(self.normalized.len());
        for c in self.normalized.chars() {
            for (i, l) in c.to_lowercase().enumerate() {
                t.push((l, isize::from(i > 0)));
            }
        }
        self.transform(t, 0);
    }

    pub fn prepend(&mut self, s: &str) {
        if let Some(next) = self.normalized.chars().next() {
            let t: Vec<(char, isize)> = s
                .chars()
                .enumerate()
                .map(|(i, c)| (c, isize::from(i != 0)))
                .chain(std::iter::once((next, 1)))
                .collect();
            self.transform_range(0, next.len_utf8(), t, 0);
        }
    }

    pub fn append(&mut self, s: &str) {
        if let Some((b, prev)) = self.normalized.char_indices().last() {
            let t: Vec<(char, isize)> = std::iter::once((prev, 0))
                .chain(s.chars().map(|c| (c, 1)))
                .collect();
            let len = self.normalized.len();
            self.transform_range(b, len, t, 0);
        }
    }

    /// Replaces every match of `pattern` by `content`, in one pass. Each
    /// replacement char takes the alignment of the last byte of the text it
    /// replaces (what one `transform_range` per match would give, without
    /// re-splicing the whole alignment table for every match).
    pub fn replace<P: Pattern + ?Sized>(&mut self, pattern: &P, content: &str) -> Result<()> {
        let matches = pattern.find_matches(&self.normalized)?;
        if !matches.iter().any(|m| m.1) {
            return Ok(());
        }
        let mut text = String::with_capacity(self.normalized.len());
        let mut align = Vec::with_capacity(self.alignments.len());
        for ((start, end), is_match) in matches {
            if is_match {
                let a = if end == 0 {
                    (0, 0)
                } else {
                    self.alignments[end - 1]
                };
                text.push_str(content);
                align.extend(std::iter::repeat_n(a, content.len()));
            } else {
                text.push_str(&self.normalized[start..end]);
                align.extend_from_slice(&self.alignments[start..end]);
            }
        }
        self.normalized = text;
        self.alignments = align;
        Ok(())
    }

    pub fn strip(&mut self, left: bool, right: bool) {
        let leading = if left {
            self.normalized
                .chars()
                .take_while(|c| c.is_whitespace())
                .count()
        } else {
            0
        };
        let trailing = if right {
            self.normalized
                .chars()
                .rev()
                .take_while(|c| c.is_whitespace())
                .count()
        } else {
            0
        };
        if leading == 0 && trailing == 0 {
            return;
        }
        let n = self.normalized.chars().count();
        let t: Vec<(char, isize)> = self
            .normalized
            .chars()
            .enumerate()
            .filter_map(|(i, c)| {
                if i < leading || i + trailing >= n {
                    None
                } else if i + trailing + 1 == n {
                    Some((c, -(trailing as isize)))
                } else {
                    Some((c, 0))
                }
            })
            .collect();
        self.transform(t, leading);
    }

    /// Splits on `pattern`, handling the delimiters as `behavior` says.
    pub fn split<P: Pattern + ?Sized>(
        &self,
        pattern: &P,
        behavior: SplitDelimiterBehavior,
    ) -> Result<Vec<NormalizedString>> {
        let matches = pattern.find_matches(&self.normalized)?;
        let spans = apply_behavior(matches, behavior);
        Ok(spans
            .into_iter()
            .filter_map(|(s, e)| self.slice(s, e))
            .collect())
    }
}

/// Turns `(span, is_match)` runs into the spans to keep.
pub fn apply_behavior(
    matches: Vec<(Offsets, bool)>,
    behavior: SplitDelimiterBehavior,
) -> Vec<Offsets> {
    use SplitDelimiterBehavior::*;
    match behavior {
        Isolated => matches.into_iter().map(|(o, _)| o).collect(),
        Removed => matches
            .into_iter()
            .filter(|(_, m)| !m)
            .map(|(o, _)| o)
            .collect(),
        Contiguous => {
            let mut out: Vec<Offsets> = Vec::with_capacity(matches.len());
            let mut prev = false;
            for (o, m) in matches {
                match out.last_mut() {
                    Some(last) if m == prev => last.1 = o.1,
                    _ => out.push(o),
                }
                prev = m;
            }
            out
        }
        MergedWithPrevious => {
            let mut out: Vec<Offsets> = Vec::with_capacity(matches.len());
            let mut prev = false;
            for (o, m) in matches {
                match out.last_mut() {
                    Some(last) if m && !prev => last.1 = o.1,
                    _ => out.push(o),
                }
                prev = m;
            }
            out
        }
        MergedWithNext => {
            let mut out: Vec<Offsets> = Vec::with_capacity(matches.len());
            let mut prev = false;
            for (o, m) in matches.into_iter().rev() {
                match out.last_mut() {
                    Some(last) if m && !prev => last.0 = o.0,
                    _ => out.push(o),
                }
                prev = m;
            }
            out.reverse();
            out
        }
    }
}

/// A token produced by a model, with offsets into its split's normalized text.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub id: u32,
    pub value: String,
    pub offsets: Offsets,
}

impl Token {
    pub fn new(id: u32, value: String, offsets: Offsets) -> Self {
        Token { id, value, offsets }
    }
}

#[derive(Debug, Clone)]
pub struct Split {
    pub normalized: NormalizedString,
    pub tokens: Option<Vec<Token>>,
}

/// The input cut into splits (words), each normalized on its own and later
/// tokenized by the model.
#[derive(Debug, Clone)]
pub struct PreTokenizedString {
    pub original: String,
    pub splits: Vec<Split>,
}

impl From<&str> for PreTokenizedString {
    fn from(s: &str) -> Self {
        PreTokenizedString {
            original: s.to_owned(),
            splits: vec![Split {
                normalized: NormalizedString::from(s),
                tokens: None,
            }],
        }
    }
}

impl PreTokenizedString {
    /// Replaces every split not yet tokenized by the pieces `f` returns.
    /// Empty pieces are dropped.
    pub fn split<F>(&mut self, mut f: F) -> Result<()>
    where
        F: FnMut(usize, NormalizedString) -> Result<Vec<(NormalizedString, Option<Vec<Token>>)>>,
    {
        let mut out = Vec::with_capacity(self.splits.len());
        for (i, sp) in std::mem::take(&mut self.splits).into_iter().enumerate() {
            if sp.tokens.is_some() {
                out.push(sp);
                continue;
            }
            for (normalized, tokens) in f(i, sp.normalized)? {
                if !normalized.is_empty() {
                    out.push(Split { normalized, tokens });
                }
            }
        }
        self.splits = out;
        Ok(())
    }

    /// Splits every untokenized split into plain pieces.
    pub fn split_plain<F>(&mut self, mut f: F) -> Result<()>
    where
        F: FnMut(usize, NormalizedString) -> Result<Vec<NormalizedString>>,
    {
        self.split(|i, n| Ok(f(i, n)?.into_iter().map(|n| (n, None)).collect()))
    }

    pub fn normalize<F>(&mut self, mut f: F) -> Result<()>
    where
        F: FnMut(&mut NormalizedString) -> Result<()>,
    {
        for sp in self.splits.iter_mut().filter(|s| s.tokens.is_none()) {
            f(&mut sp.normalized)?;
        }
        Ok(())
    }

    pub fn tokenize<F>(&mut self, mut f: F) -> Result<()>
    where
        F: FnMut(&NormalizedString) -> Result<Vec<Token>>,
    {
        for sp in self.splits.iter_mut().filter(|s| s.tokens.is_none()) {
            sp.tokens = Some(f(&sp.normalized)?);
        }
        Ok(())
    }

    /// The splits as `(text, original offsets)`, as `pre_tokenize_str` shows them.
    pub fn get_splits(&self, char_offsets: bool) -> Vec<(String, Offsets)> {
        let conv = char_offsets.then(|| CharOffsets::new(&self.original));
        self.splits
            .iter()
            .map(|sp| {
                let mut o = sp.normalized.offsets_original();
                if let Some(c) = &conv {
                    o = c.convert(o).unwrap_or(o);
                }
                (sp.normalized.get().to_owned(), o)
            })
            .collect()
    }
}

/// Byte offsets -> char offsets over one string, by a lookup table built once.
pub struct CharOffsets {
    /// For each byte position, the index of the char it belongs to; ASCII-only
    /// strings need no table.
    map: Option<Vec<u32>>,
    len: usize,
}

impl CharOffsets {
    pub fn new(s: &str) -> Self {
        if s.is_ascii() {
            return CharOffsets {
                map: None,
                len: s.len(),
            };
        }
        let mut map = Vec::with_capacity(s.len());
        for (i, c) in s.chars().enumerate() {
            map.extend(std::iter::repeat_n(i as u32, c.len_utf8()));
        }
        CharOffsets {
            map: Some(map),
            len: s.len(),
        }
    }

    pub fn convert(&self, (s, e): Offsets) -> Option<Offsets> {
        match &self.map {
            None => {
                if s < self.len {
                    Some((s, e))
                } else {
                    None
                }
            }
            Some(map) => {
                let start = *map.get(s)? as usize;
                match map.get(e) {
                    Some(&end) => Some((start, end as usize)),
                    None => {
                        let last = e
                            .checked_sub(1)
                            .and_then(|p| map.get(p))
                            .map_or(start + 1, |&l| l as usize + 1);
                        Some((start, last.max(start)))
                    }
                }
            }
        }
    }
}
