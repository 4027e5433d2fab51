//! Unigram language model: the segmentation with the highest total piece
//! score, found by Viterbi over all vocabulary pieces that start at each
//! position. Chars no piece covers become `unk` (scored `min_score - 10`), and
//! runs of them are fused, as SentencePiece and `tokenizers` do.

use crate::error::{Error, Result};
use crate::normalized::Token;
use crate::util::FxHashMap;
use serde_json::{json, Value};
use std::collections::HashMap;

pub(crate) const UNK_PENALTY: f64 = 10.0;

/// A byte trie over the pieces: `common_prefixes` walks it once per start
/// position and stops at the first byte no piece continues with, instead of
/// hashing every substring up to the longest piece.
#[derive(Debug, Clone, Default)]
pub(crate) struct Trie {
    /// Per node: its children as (byte, node) sorted by byte, and the id of
    /// the piece ending there (`u32::MAX` if none).
    nodes: Vec<(Vec<(u8, u32)>, u32)>,
}

impl Trie {
    fn new(pieces: &[(String, f64)]) -> Self {
        Trie::build(
            pieces
                .iter()
                .enumerate()
                .map(|(id, (p, _))| (id as u32, p.as_str())),
        )
    }

    /// A trie of the given (id, piece) pairs.
    pub(crate) fn build<'a>(pieces: impl Iterator<Item = (u32, &'a str)>) -> Self {
        let mut t = Trie {
            nodes: vec![(Vec::new(), u32::MAX)],
        };
        for (id, piece) in pieces {
            let mut node = 0usize;
            for &b in piece.as_bytes() {
                node = match t.nodes[node].0.binary_search_by_key(&b, |e| e.0) {
                    Ok(i) => t.nodes[node].0[i].1 as usize,
                    Err(i) => {
                        let child = t.nodes.len();
                        t.nodes.push((Vec::new(), u32::MAX));
                        t.nodes[node].0.insert(i, (b, child as u32));
                        child
                    }
                };
            }
            // A duplicated piece keeps its last id, as the id lookup does.
            t.nodes[node].1 = id;
        }
        t
    }

    /// Calls `f(end, id)` for every piece that is a prefix of `bytes[start..]`,
    /// shortest first.
    #[inline]
    pub(crate) fn common_prefixes(
        &self,
        bytes: &[u8],
        start: usize,
        mut f: impl FnMut(usize, u32),
    ) {
        let mut node = 0usize;
        for (i, &b) in bytes[start..].iter().enumerate() {
            let children = &self.nodes[node].0;
            match children.binary_search_by_key(&b, |e| e.0) {
                Ok(k) => node = children[k].1 as usize,
                Err(_) => return,
            }
            let id = self.nodes[node].1;
            if id != u32::MAX {
                f(start + i + 1, id);
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct Unigram {
    pub vocab: Vec<(String, f64)>,
    pub unk_id: Option<usize>,
    pub byte_fallback: bool,
    token_to_ids: FxHashMap<String, u32>,
    min_score: f64,
    trie: Trie,
    /// Names this vocabulary in the bulk path's per-thread id cache (the
    /// derived tables are built once, in `new`).
    uid: u64,
}

impl Unigram {
    pub fn new(
        vocab: Vec<(String, f64)>,
        unk_id: Option<usize>,
        byte_fallback: bool,
    ) -> Result<Self> {
        if let Some(u) = unk_id {
            if u >= vocab.len() {
                return Err(Error::config(format!(
                    "model.unk_id: {u} is outside the vocabulary of {} pieces",
                    vocab.len()
                )));
            }
        }
        let mut token_to_ids = FxHashMap::with_capacity_and_hasher(vocab.len(), Default::default());
        for (i, (t, _)) in vocab.iter().enumerate() {
            token_to_ids.insert(t.clone(), i as u32);
        }
        let min_score = vocab.iter().map(|v| v.1).fold(f64::INFINITY, f64::min);
        let trie = Trie::new(&vocab);
        Ok(Unigram {
            vocab,
            unk_id,
            byte_fallback,
            token_to_ids,
            min_score,
            trie,
            uid: crate::util::next_model_uid(),
        })
    }

    /// See [`super::Model::cache_uid`].
    pub fn cache_uid(&self) -> u64 {
        self.uid
    }

    pub fn from_value(obj: &serde_json::Map<String, Value>) -> Result<Self> {
        let arr = obj.get("vocab").and_then(Value::as_array).ok_or_else(|| {
            Error::config("model.vocab (Unigram): expected a list of [piece, score]")
        })?;
        let mut vocab = Vec::with_capacity(arr.len());
        for (i, e) in arr.iter().enumerate() {
            let pair = e.as_array().filter(|p| p.len() == 2);
            let item = pair.and_then(|p| Some((p[0].as_str()?.to_owned(), p[1].as_f64()?)));
            vocab.push(item.ok_or_else(|| {
                Error::config(format!(
                    "model.vocab[{i}] (Unigram): expected [piece, score], got {e}"
                ))
            })?);
        }
        let unk_id = match obj.get("unk_id") {
            None | Some(Value::Null) => None,
            Some(v) => Some(v.as_u64().ok_or_else(|| {
                Error::config(format!("model.unk_id: expected an integer, got {v}"))
            })? as usize),
        };
        let byte_fallback = obj
            .get("byte_fallback")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        Unigram::new(vocab, unk_id, byte_fallback)
    }

    pub fn to_value(&self) -> Value {
        let vocab: Vec<Value> = self.vocab.iter().map(|(t, s)| json!([t, s])).collect();
        json!({
            "type": "Unigram",
            "unk_id": self.unk_id,
            "vocab": vocab,
            "byte_fallback": self.byte_fallback,
        })
    }

    pub fn len(&self) -> usize {
        self.vocab.len()
    }
    pub fn is_empty(&self) -> bool {
        self.vocab.is_empty()
    }
    pub fn token_to_id(&self, t: &str) -> Option<u32> {
        self.token_to_ids.get(t).copied()
    }
    pub fn id_to_token(&self, id: u32) -> Option<&str> {
        self.vocab.get(id as usize).map(|v| v.0.as_str())
    }
    pub fn get_vocab(&self) -> HashMap<String, u32> {
        self.token_to_ids
            .iter()
            .map(|(k, &v)| (k.clone(), v))
            .collect()
    }

    /// The best segmentation of `s` as byte ranges, unk runs fused.
    fn segment(&self, s: &str) -> Result<Vec<(usize, usize, u32)>> {
        #[derive(Clone, Copy)]
        struct Node {
            id: u32,
            score: f64,
            start: Option<usize>,
        }
        let n = s.len();
        let mut best = vec![
            Node {
                id: 0,
                score: 0.0,
                start: None
            };
            n + 1
        ];
        let unk_score = self.min_score - UNK_PENALTY;
        let mut pos = 0;
        while pos < n {
            let here = best[pos].score;
            let ch_len = s[pos..].chars().next().map_or(1, char::len_utf8);
            let mut has_single = false;
            let bytes = s.as_bytes();
            let vocab = &self.vocab;
            self.trie.common_prefixes(bytes, pos, |end, id| {
                let cand = here + vocab[id as usize].1;
                let t = &mut best[end];
                if t.start.is_none() || cand > t.score {
                    *t = Node {
                        id,
                        score: cand,
                        start: Some(pos),
                    };
                }
                if end - pos == ch_len {
                    has_single = true;
                }
            });
            if !has_single {
                let unk = self.unk_id.ok_or_else(|| {
                    Error::config(
                        "Unigram: the text has a char no piece covers and the model has no unk_id",
                    )
                })?;
                let cand = here + unk_score;
                let t = &mut best[pos + ch_len];
                if t.start.is_none() || cand > t.score {
                    *t = Node {
                        id: unk as u32,
                        score: cand,
                        start: Some(pos),
                    };
                }
            }
            pos += ch_len;
        }
        let mut out: Vec<(usize, usize, u32)> = Vec::new();
        let mut end = n;
        let unk = self.unk_id.map(|u| u as u32);
        while end > 0 {
            let node = best[end];
            let start = node.start.unwrap_or(0);
            let fuse = Some(node.id) == unk;
            match out.last_mut() {
                Some(last) if fuse && Some(last.2) == unk => last.0 = start,
                _ => out.push((start, end, node.id)),
            }
            end = start;
        }
        out.reverse();
        Ok(out)
    }

    pub fn tokenize(&self, s: &str) -> Result<Vec<Token>> {
        if s.is_empty() {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        let unk = self.unk_id.map(|u| u as u32);
        for (a, b, id) in self.segment(s)? {
            let piece = &s[a..b];
            // A piece found in the vocabulary already has its id; only unk
            // runs (fused) need a lookup, as they may spell a real piece.
            let known = if Some(id) == unk {
                self.token_to_ids.get(piece).copied()
            } else {
                Some(id)
            };
            let id = match known {
                Some(id) => id,
                None => {
                    if self.byte_fallback {
                        let bytes: Option<Vec<(u32, String)>> = piece
                            .bytes()
                            .map(|x| {
                                let t = format!("<0x{x:02X}>");
                                self.token_to_ids.get(&t).map(|&i| (i, t))
                            })
                            .collect();
                        if let Some(bytes) = bytes {
                            out.extend(bytes.into_iter().map(|(i, t)| Token::new(i, t, (a, b))));
                            continue;
                        }
                    }
                    id
                }
            };
            out.push(Token::new(id, piece.to_owned(), (a, b)));
        }
        Ok(out)
    }
}
