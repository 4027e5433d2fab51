//! `Encoding`: the output of the pipeline for one input (or pair), with the
//! per-token fields `tokenizers` exposes, plus overflowing parts from
//! truncation.

use crate::error::{Error, Result};
use crate::normalized::Offsets;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::ops::Range;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Encoding {
    pub ids: Vec<u32>,
    pub type_ids: Vec<u32>,
    /// The token string of each id. An empty string stands for the model's
    /// token of that id, not built yet: the fast path leaves them so (a
    /// string per token costs more than the rest of its encoding), and
    /// [`Encoding::fill_tokens`] builds them where they are read.
    pub tokens: Vec<String>,
    pub words: Vec<Option<u32>>,
    pub offsets: Vec<Offsets>,
    pub special_tokens_mask: Vec<u32>,
    pub attention_mask: Vec<u32>,
    pub overflowing: Vec<Encoding>,
    /// sequence index -> token range
    pub sequence_ranges: BTreeMap<usize, Range<usize>>,
}

/// Which end of an encoding truncation cuts or padding fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Direction {
    Left,
    Right,
}

impl Direction {
    /// `"left"` or `"right"`, as the Python API spells it.
    pub fn parse(s: &str) -> Option<Direction> {
        match s {
            "left" => Some(Direction::Left),
            "right" => Some(Direction::Right),
            _ => None,
        }
    }
}

pub type TruncationDirection = Direction;
pub type PaddingDirection = Direction;

impl Encoding {
    pub fn len(&self) -> usize {
        self.ids.len()
    }
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    pub fn push(
        &mut self,
        id: u32,
        token: String,
        offsets: Offsets,
        word: Option<u32>,
        type_id: u32,
    ) {
        self.ids.push(id);
        self.tokens.push(token);
        self.offsets.push(offsets);
        self.words.push(word);
        self.type_ids.push(type_id);
        self.special_tokens_mask.push(0);
        self.attention_mask.push(1);
    }

    /// Builds the token strings left empty (see [`Encoding::tokens`]) from
    /// their ids, with `name` (the model's id-to-token), in overflowing
    /// parts too.
    pub fn fill_tokens<'a>(&mut self, name: &impl Fn(u32) -> Option<&'a str>) {
        for (tok, &id) in self.tokens.iter_mut().zip(&self.ids) {
            if tok.is_empty() {
                if let Some(t) = name(id) {
                    t.clone_into(tok);
                }
            }
        }
        for o in &mut self.overflowing {
            o.fill_tokens(name);
        }
    }

    pub fn n_sequences(&self) -> usize {
        if self.sequence_ranges.is_empty() {
            1
        } else {
            self.sequence_ranges.len()
        }
    }

    /// Marks every token as belonging to sequence `id` (overflowing parts
    /// keep theirs, as in `tokenizers`).
    pub fn set_sequence_id(&mut self, id: usize) {
        self.sequence_ranges.insert(id, 0..self.len());
    }

    /// The sequence of each token; without recorded ranges, every token
    /// (padding included) belongs to sequence 0, as in `tokenizers`.
    pub fn sequence_ids(&self) -> Vec<Option<usize>> {
        let mut out = vec![None; self.len()];
        for seq in 0..self.n_sequences() {
            for slot in out.get_mut(self.sequence_range(seq)).into_iter().flatten() {
                *slot = Some(seq);
            }
        }
        out
    }

    fn slice(&self, start: usize, stop: usize) -> Encoding {
        Encoding {
            ids: self.ids[start..stop].to_vec(),
            type_ids: self.type_ids[start..stop].to_vec(),
            tokens: self.tokens[start..stop].to_vec(),
            words: self.words[start..stop].to_vec(),
            offsets: self.offsets[start..stop].to_vec(),
            special_tokens_mask: self.special_tokens_mask[start..stop].to_vec(),
            attention_mask: self.attention_mask[start..stop].to_vec(),
            overflowing: Vec::new(),
            sequence_ranges: BTreeMap::new(),
        }
    }

    /// Keeps `max_len` tokens; the rest goes to `overflowing` in windows that
    /// overlap by `stride` tokens.
    pub fn truncate(
        &mut self,
        max_len: usize,
        stride: usize,
        direction: TruncationDirection,
    ) -> Result<()> {
        let n = self.len();
        if max_len >= n {
            return Ok(());
        }
        if max_len == 0 {
            let whole = std::mem::take(self);
            self.overflowing.push(whole);
            return Ok(());
        }
        if stride >= max_len {
            return Err(Error::input(format!(
                "truncation: stride ({stride}) must be less than the length kept ({max_len}, after room for special tokens)"
            )));
        }
        self.sequence_ranges.clear();
        let step = max_len - stride;
        let mut parts = Vec::new();
        match direction {
            TruncationDirection::Right => {
                let mut start = 0;
                loop {
                    let stop = (start + max_len).min(n);
                    parts.push((start, stop));
                    if stop == n {
                        break;
                    }
                    start += step;
                }
            }
            TruncationDirection::Left => {
                let mut stop = n;
                loop {
                    let start = stop.saturating_sub(max_len);
                    parts.push((start, stop));
                    if start == 0 || stop <= step {
                        break;
                    }
                    stop -= step;
                }
            }
        }
        let mut first = self.slice(parts[0].0, parts[0].1);
        first.overflowing = parts[1..].iter().map(|&(a, b)| self.slice(a, b)).collect();
        *self = first;
        Ok(())
    }

    /// Appends `other`; overflowing parts are combined as `tokenizers` does.
    pub fn merge_with(&mut self, other: Encoding, growing_offsets: bool) {
        let mut overflowings = Vec::new();
        for o in &self.overflowing {
            let mut e = o.clone();
            e.merge_with(other.clone(), growing_offsets);
            overflowings.push(e);
            for oo in &other.overflowing {
                let mut e = o.clone();
                e.merge_with(oo.clone(), growing_offsets);
                overflowings.push(e);
            }
        }
        for oo in &other.overflowing {
            let mut e = self.clone();
            e.merge_with(oo.clone(), growing_offsets);
            overflowings.push(e);
        }
        let base = self.len();
        for (k, r) in other.sequence_ranges {
            self.sequence_ranges.insert(k, base + r.start..base + r.end);
        }
        let shift = if growing_offsets {
            self.offsets.last().map_or(0, |o| o.1)
        } else {
            0
        };
        self.ids.extend(other.ids);
        self.type_ids.extend(other.type_ids);
        self.tokens.extend(other.tokens);
        self.words.extend(other.words);
        self.offsets.extend(
            other
                .offsets
                .into_iter()
                .map(|(a, b)| (a + shift, b + shift)),
        );
        self.special_tokens_mask.extend(other.special_tokens_mask);
        self.attention_mask.extend(other.attention_mask);
        self.overflowing = overflowings;
    }

    pub fn merge(encodings: impl IntoIterator<Item = Encoding>, growing_offsets: bool) -> Encoding {
        let mut out = Encoding::default();
        for e in encodings {
            out.merge_with(e, growing_offsets);
        }
        out
    }

    pub fn pad(
        &mut self,
        target: usize,
        pad_id: u32,
        pad_type_id: u32,
        pad_token: &str,
        direction: PaddingDirection,
    ) {
        for o in &mut self.overflowing {
            o.pad(target, pad_id, pad_type_id, pad_token, direction);
        }
        let n = self.len();
        if n >= target {
            return;
        }
        let k = target - n;
        match direction {
            PaddingDirection::Right => {
                self.ids.extend(std::iter::repeat_n(pad_id, k));
                self.type_ids.extend(std::iter::repeat_n(pad_type_id, k));
                self.tokens
                    .extend(std::iter::repeat_n(pad_token.to_owned(), k));
                self.words.extend(std::iter::repeat_n(None, k));
                self.offsets.extend(std::iter::repeat_n((0, 0), k));
                self.special_tokens_mask.extend(std::iter::repeat_n(1, k));
                self.attention_mask.extend(std::iter::repeat_n(0, k));
            }
            PaddingDirection::Left => {
                fn front<T: Clone>(v: &mut Vec<T>, x: T, k: usize) {
                    v.splice(0..0, std::iter::repeat_n(x, k));
                }
                front(&mut self.ids, pad_id, k);
                front(&mut self.type_ids, pad_type_id, k);
                front(&mut self.tokens, pad_token.to_owned(), k);
                front(&mut self.words, None, k);
                front(&mut self.offsets, (0, 0), k);
                front(&mut self.special_tokens_mask, 1, k);
                front(&mut self.attention_mask, 0, k);
                for r in self.sequence_ranges.values_mut() {
                    *r = r.start + k..r.end + k;
                }
            }
        }
    }

    /// The token span of word `word` in sequence `seq`.
    pub fn word_to_tokens(&self, word: u32, seq: usize) -> Option<(usize, usize)> {
        let range = self.sequence_range(seq);
        let mut start = None;
        let mut end = None;
        for (i, w) in self
            .words
            .iter()
            .enumerate()
            .take(range.end)
            .skip(range.start)
        {
            if *w == Some(word) {
                if start.is_none() {
                    start = Some(i);
                }
                end = Some(i + 1);
            } else if start.is_some() && w.is_some_and(|w| w > word) {
                break;
            }
        }
        Some((start?, end?))
    }

    pub fn sequence_range(&self, seq: usize) -> Range<usize> {
        self.sequence_ranges
            .get(&seq)
            .cloned()
            .unwrap_or(0..self.len())
    }

    pub fn token_to_sequence(&self, token: usize) -> Option<usize> {
        if token >= self.len() {
            return None;
        }
        if self.sequence_ranges.is_empty() {
            return Some(0);
        }
        self.sequence_ranges
            .iter()
            .find(|(_, r)| r.contains(&token))
            .map(|(&s, _)| s)
    }

    pub fn char_to_token(&self, pos: usize, seq: usize) -> Option<usize> {
        let r = self.sequence_range(seq);
        self.offsets
            .iter()
            .enumerate()
            .take(r.end)
            .skip(r.start)
            .find(|(_, o)| o.0 <= pos && pos < o.1)
            .map(|(i, _)| i)
    }
}
