//! Unigram language model: the segmentation with the highest total piece
//! score, found by Viterbi over all vocabulary pieces that start at each
//! position. Chars no piece covers become `unk` (scored `min_score - 10`), and
//! runs of them are fused, as SentencePiece and `tokenizers` do.

use crate::error::{Error, Result};
use crate::normalized::Token;
use serde_json::{json, Value};
use std::collections::HashMap;

const UNK_PENALTY: f64 = 10.0;

#[derive(Debug, Clone)]
pub struct Unigram {
    pub vocab: Vec<(String, f64)>,
    pub unk_id: Option<usize>,
    pub byte_fallback: bool,
    token_to_ids: HashMap<String, u32>,
    min_score: f64,
    /// The longest piece, in bytes.
    max_piece_len: usize,
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
        let mut token_to_ids = HashMap::with_capacity(vocab.len());
        for (i, (t, _)) in vocab.iter().enumerate() {
            token_to_ids.insert(t.clone(), i as u32);
        }
        let min_score = vocab.iter().map(|v| v.1).fold(f64::INFINITY, f64::min);
        let max_piece_len = vocab.iter().map(|v| v.0.len()).max().unwrap_or(0);
        Ok(Unigram {
            vocab,
            unk_id,
            byte_fallback,
            token_to_ids,
            min_score,
            max_piece_len,
        })
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
        self.token_to_ids.clone()
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
            let limit = n.min(pos + self.max_piece_len);
            let mut end = pos + ch_len;
            while end <= limit {
                if let Some(&id) = self.token_to_ids.get(&s[pos..end]) {
                    let cand = here + self.vocab[id as usize].1;
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
                }
                if end == n {
                    break;
                }
                end += s[end..].chars().next().map_or(1, char::len_utf8);
            }
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
        for (a, b, id) in self.segment(s)? {
            let piece = &s[a..b];
            let id = match self.token_to_ids.get(piece) {
                Some(&id) => id,
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
