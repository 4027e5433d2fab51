//! Added tokens: special and ordinary tokens matched in the raw (or
//! normalized) text before the model sees it, all in one Aho-Corasick pass
//! (leftmost-longest), with the `single_word`, `lstrip`, `rstrip` and
//! `normalized` options of `tokenizers`.

use crate::error::{Error, Result};
use crate::models::Model;
use crate::normalized::{NormalizedString, Offsets, PreTokenizedString, Token};
use crate::normalizers::Normalizer;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AddedToken {
    pub content: String,
    #[serde(default)]
    pub single_word: bool,
    #[serde(default)]
    pub lstrip: bool,
    #[serde(default)]
    pub rstrip: bool,
    #[serde(default = "yes")]
    pub normalized: bool,
    #[serde(default)]
    pub special: bool,
}

fn yes() -> bool {
    true
}

impl AddedToken {
    pub fn new(content: impl Into<String>, special: bool) -> Self {
        AddedToken {
            content: content.into(),
            single_word: false,
            lstrip: false,
            rstrip: false,
            normalized: !special,
            special,
        }
    }
}

/// A matcher over a set of token contents.
#[derive(Debug, Clone, Default)]
struct Matcher {
    ac: Option<AhoCorasick>,
    ids: Vec<u32>,
    /// Some pattern holds a space or a line break.
    spaced: bool,
}

impl Matcher {
    fn new(patterns: Vec<(String, u32)>) -> Result<Self> {
        if patterns.is_empty() {
            return Ok(Matcher::default());
        }
        let ac = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            .build(patterns.iter().map(|p| p.0.as_str()))
            .map_err(|e| Error::config(format!("added_tokens: {e}")))?;
        Ok(Matcher {
            ac: Some(ac),
            spaced: patterns.iter().any(|p| p.0.contains([' ', '\n', '\r'])),
            ids: patterns.into_iter().map(|p| p.1).collect(),
        })
    }
}

#[derive(Debug, Clone, Default)]
pub struct AddedVocabulary {
    /// content -> id
    map: HashMap<String, u32>,
    /// id -> token
    map_r: HashMap<u32, AddedToken>,
    /// Non-special added tokens, in insertion order.
    added: Vec<AddedToken>,
    /// Special tokens, in insertion order.
    special: Vec<AddedToken>,
    special_set: HashSet<String>,
    raw_matcher: Matcher,
    normalized_matcher: Matcher,
    /// id -> the normalized content, for `normalized` tokens the normalizer
    /// changes: `tokenizers` maps such ids back to that form.
    normalized_forms: HashMap<u32, String>,
    /// When set, special tokens in the text are tokenized as text.
    pub encode_special_tokens: bool,
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

impl AddedVocabulary {
    pub fn len(&self) -> usize {
        self.map.len()
    }
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub fn token_to_id(&self, token: &str, model: &Model) -> Option<u32> {
        self.map
            .get(token)
            .copied()
            .or_else(|| model.token_to_id(token))
    }

    pub fn id_to_token<'a>(&'a self, id: u32, model: &'a Model) -> Option<&'a str> {
        self.simple_id_to_token(id)
            .or_else(|| model.id_to_token(id))
    }

    pub fn simple_id_to_token(&self, id: u32) -> Option<&str> {
        if let Some(n) = self.normalized_forms.get(&id) {
            return Some(n);
        }
        self.map_r.get(&id).map(|t| t.content.as_str())
    }

    pub fn is_special_token(&self, token: &str) -> bool {
        self.special_set.contains(token)
    }

    pub fn get_vocab(&self) -> &HashMap<String, u32> {
        &self.map
    }

    /// All added tokens by id.
    pub fn decoder(&self) -> &HashMap<u32, AddedToken> {
        &self.map_r
    }

    /// Adds tokens the way `tokenizers` does: a token already in the model's
    /// vocabulary keeps its id; a new one gets the next free id.
    pub fn add_tokens(
        &mut self,
        tokens: &[AddedToken],
        model: &Model,
        normalizer: Option<&Normalizer>,
    ) -> Result<usize> {
        for t in tokens {
            if t.special && !t.content.is_empty() && !self.special_set.contains(&t.content) {
                self.special.push(t.clone());
                self.special_set.insert(t.content.clone());
            }
        }
        let mut ignored = 0;
        for t in tokens {
            if t.content.is_empty() || self.map_r.values().any(|v| v == t) {
                ignored += 1;
                continue;
            }
            let id = match self.token_to_id(&t.content, model) {
                Some(id) => id,
                None => {
                    let vs = model.get_vocab_size() as u32;
                    match self.map.values().copied().max() {
                        Some(m) if m >= vs || vs == 0 => m + 1,
                        Some(_) => vs,
                        None => vs,
                    }
                }
            };
            if let Some(old) = self.map.insert(t.content.clone(), id) {
                if old != id {
                    self.map_r.remove(&old);
                }
            }
            self.map_r.insert(id, t.clone());
            if !self.special_set.contains(&t.content) {
                self.added.push(t.clone());
            }
        }
        self.refresh(model, normalizer)?;
        Ok(tokens.len() - ignored)
    }

    /// Rebuilds the matchers (after tokens or the normalizer change).
    pub fn refresh(&mut self, model: &Model, normalizer: Option<&Normalizer>) -> Result<()> {
        let mut raw = Vec::new();
        let mut norm = Vec::new();
        self.normalized_forms.clear();
        for t in self.special.iter().chain(self.added.iter()) {
            let Some(id) = self.token_to_id(&t.content, model) else {
                continue;
            };
            if t.normalized {
                let content = match normalizer {
                    Some(n) => n.normalize_str(&t.content)?,
                    None => t.content.clone(),
                };
                if content != t.content && self.map_r.get(&id).is_some_and(|x| x == t) {
                    self.normalized_forms.insert(id, content.clone());
                }
                norm.push((content, id));
            } else {
                raw.push((t.content.clone(), id));
            }
        }
        self.raw_matcher = Matcher::new(raw)?;
        self.normalized_matcher = Matcher::new(norm)?;
        Ok(())
    }

    /// No added token holds a line break or takes the whitespace on its
    /// left (`lstrip`): a text cut at a line start finds the same tokens in
    /// its parts as in the whole.
    pub fn line_safe(&self) -> bool {
        self.special
            .iter()
            .chain(self.added.iter())
            .all(|t| !t.lstrip && !t.content.contains(['\n', '\r']))
    }

    /// No added token holds a space or a line break (as written, or as
    /// normalized for the ones matched on the normalized text) or takes
    /// the whitespace on its left: a text cut between whitespace and a
    /// letter (see `keeps_space_cuts` in the tokenizer) finds the same
    /// tokens in its parts as in the whole.
    pub fn space_safe(&self) -> bool {
        !self.raw_matcher.spaced
            && !self.normalized_matcher.spaced
            && self
                .special
                .iter()
                .chain(self.added.iter())
                .all(|t| !t.lstrip)
    }

    /// Whether some added token matched on the raw text occurs in `raw`.
    pub fn occurs_in_raw(&self, raw: &str) -> bool {
        self.raw_matcher
            .ac
            .as_ref()
            .is_some_and(|ac| ac.is_match(raw))
    }

    /// Whether some added token matched on the normalized text occurs in
    /// `normalized`.
    pub fn occurs_in_normalized(&self, normalized: &str) -> bool {
        self.normalized_matcher
            .ac
            .as_ref()
            .is_some_and(|ac| ac.is_match(normalized))
    }

    /// Added tokens in id order, for tokenizer.json.
    pub fn ordered(&self) -> Vec<(u32, &AddedToken)> {
        let mut v: Vec<(u32, &AddedToken)> = self.map_r.iter().map(|(&i, t)| (i, t)).collect();
        v.sort_by_key(|x| x.0);
        v
    }

    fn find_matches(&self, s: &str, m: &Matcher) -> Vec<(Option<u32>, Offsets)> {
        let Some(ac) = &m.ac else {
            return vec![(None, (0, s.len()))];
        };
        if s.is_empty() {
            return vec![(None, (0, 0))];
        }
        let mut out = Vec::new();
        let mut start_offset = 0;
        for mat in ac.find_iter(s) {
            let mut start = mat.start();
            let mut stop = mat.end();
            let id = m.ids[mat.pattern().as_usize()];
            // A token whose normalized form is empty matches everywhere,
            // inside chars too (`tokenizers` panics there); only char
            // boundaries count.
            if !s.is_char_boundary(start) || !s.is_char_boundary(stop) {
                continue;
            }
            let Some(tok) = self.map_r.get(&id) else {
                continue;
            };
            if self.encode_special_tokens && self.special_set.contains(&tok.content) {
                continue;
            }
            if tok.single_word {
                let start_space =
                    start == 0 || !s[..start].chars().next_back().is_some_and(is_word_char);
                let stop_space =
                    stop == s.len() || !s[stop..].chars().next().is_some_and(is_word_char);
                if !start_space || !stop_space {
                    continue;
                }
            }
            if tok.lstrip {
                let left = &s[..start];
                let new_start = left
                    .char_indices()
                    .rev()
                    .find(|(_, c)| !c.is_whitespace())
                    .map_or(0, |(i, c)| i + c.len_utf8());
                start = new_start.max(start_offset);
            }
            if tok.rstrip {
                let right = &s[stop..];
                stop += right
                    .char_indices()
                    .find(|(_, c)| !c.is_whitespace())
                    .map_or(right.len(), |(i, _)| i);
            }
            if start < start_offset {
                // An earlier rstrip already took this span.
                continue;
            }
            if start_offset < start {
                out.push((None, (start_offset, start)));
            }
            out.push((Some(id), (start, stop)));
            start_offset = stop;
        }
        if start_offset != s.len() {
            out.push((None, (start_offset, s.len())));
        }
        out
    }

    fn split_with(
        &self,
        n: NormalizedString,
        m: &Matcher,
    ) -> Vec<(NormalizedString, Option<Vec<Token>>)> {
        if m.ac.is_none() {
            return vec![(n, None)];
        }
        self.find_matches(n.get(), m)
            .into_iter()
            .filter_map(|(id, (a, b))| {
                let slice = n.slice(a, b)?;
                Some(match id {
                    Some(id) => {
                        let value = slice.get().to_owned();
                        let len = value.len();
                        (slice, Some(vec![Token::new(id, value, (0, len))]))
                    }
                    None => (slice, None),
                })
            })
            .collect()
    }

    /// Splits out the added tokens and normalizes the rest.
    /// True when some added token would be found: a raw one in `raw`, or a
    /// `normalized` one in `normalized` (the same text when there is no
    /// normalizer).
    pub fn occurs_in(&self, raw: &str, normalized: &str) -> bool {
        self.occurs_in_raw(raw) || self.occurs_in_normalized(normalized)
    }

    /// True when some added token is matched on the normalized text.
    pub fn matches_normalized(&self) -> bool {
        self.normalized_matcher.ac.is_some()
    }

    pub fn extract_and_normalize(
        &self,
        normalizer: Option<&Normalizer>,
        s: &str,
    ) -> Result<PreTokenizedString> {
        let mut pt = PreTokenizedString::from(s);
        pt.split(|_, n| Ok(self.split_with(n, &self.raw_matcher)))?;
        pt.split(|_, mut n| {
            if let Some(norm) = normalizer {
                norm.normalize(&mut n)?;
            }
            Ok(self.split_with(n, &self.normalized_matcher))
        })?;
        Ok(pt)
    }
}
