//! Post-processors: add special tokens around one sequence or a pair, set
//! type ids, and (byte-level) trim whitespace out of offsets.

mod template;

pub use template::{Piece, SpecialToken, Template, TemplateProcessing};

use crate::encoding::Encoding;
use crate::error::Result;
use crate::pre_tokenizers::byte_level::byte_to_char;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum PostProcessor {
    BertProcessing(BertProcessing),
    RobertaProcessing(RobertaProcessing),
    ByteLevel(crate::pre_tokenizers::ByteLevel),
    TemplateProcessing(TemplateProcessing),
    Sequence(ProcessorSequence),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BertProcessing {
    pub sep: (String, u32),
    pub cls: (String, u32),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RobertaProcessing {
    pub sep: (String, u32),
    pub cls: (String, u32),
    #[serde(default = "yes")]
    pub trim_offsets: bool,
    #[serde(default = "yes")]
    pub add_prefix_space: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProcessorSequence {
    pub processors: Vec<PostProcessor>,
}

fn yes() -> bool {
    true
}

fn special(tok: &(String, u32), type_id: u32) -> Encoding {
    Encoding {
        ids: vec![tok.1],
        type_ids: vec![type_id],
        tokens: vec![tok.0.clone()],
        words: vec![None],
        offsets: vec![(0, 0)],
        special_tokens_mask: vec![1],
        attention_mask: vec![1],
        ..Default::default()
    }
}

/// Moves offsets off the leading/trailing spaces of byte-level tokens.
pub fn trim_byte_level_offsets(e: &mut Encoding, add_prefix_space: bool) {
    let space = byte_to_char()[b' ' as usize];
    let is_space = |c: char| c == space || c.is_whitespace();
    for (i, (tok, off)) in e.tokens.iter().zip(e.offsets.iter_mut()).enumerate() {
        let mut lead = tok.chars().take_while(|&c| is_space(c)).count();
        let trail = tok.chars().rev().take_while(|&c| is_space(c)).count();
        if lead > 0 {
            let is_first = i == 0 || off.0 == 0;
            if is_first && add_prefix_space && lead == 1 {
                lead = 0;
            }
            off.0 = (off.0 + lead).min(off.1);
        }
        if trail > 0 && off.1 >= trail {
            off.1 = (off.1 - trail).max(off.0);
        }
    }
    for o in &mut e.overflowing {
        trim_byte_level_offsets(o, add_prefix_space);
    }
}

impl PostProcessor {
    /// True when processing reads the token strings (byte-level offset
    /// trimming), so that deferred ones must be filled first.
    pub fn reads_tokens(&self) -> bool {
        match self {
            PostProcessor::ByteLevel(b) => b.trim_offsets,
            PostProcessor::RobertaProcessing(r) => r.trim_offsets,
            PostProcessor::Sequence(s) => s.processors.iter().any(PostProcessor::reads_tokens),
            PostProcessor::BertProcessing(_) | PostProcessor::TemplateProcessing(_) => false,
        }
    }

    /// How many special tokens this adds to a single sequence or a pair.
    pub fn added_tokens(&self, is_pair: bool) -> usize {
        match self {
            PostProcessor::BertProcessing(_) => {
                if is_pair {
                    3
                } else {
                    2
                }
            }
            PostProcessor::RobertaProcessing(_) => {
                if is_pair {
                    4
                } else {
                    2
                }
            }
            PostProcessor::ByteLevel(_) => 0,
            PostProcessor::TemplateProcessing(t) => t.added_tokens(is_pair),
            PostProcessor::Sequence(s) => {
                s.processors.iter().map(|p| p.added_tokens(is_pair)).sum()
            }
        }
    }

    /// Works on the list of encodings (one per sequence), before merging.
    pub fn process_encodings(
        &self,
        mut encs: Vec<Encoding>,
        add_special_tokens: bool,
    ) -> Result<Vec<Encoding>> {
        match self {
            PostProcessor::ByteLevel(b) => {
                if b.trim_offsets {
                    for e in encs.iter_mut() {
                        trim_byte_level_offsets(e, b.add_prefix_space);
                    }
                }
                for (i, e) in encs.iter_mut().enumerate() {
                    e.set_sequence_id(i);
                    for o in &mut e.overflowing {
                        o.set_sequence_id(i);
                    }
                }
                Ok(encs)
            }
            PostProcessor::BertProcessing(b) => {
                if !add_special_tokens {
                    return Ok(encs);
                }
                Ok(bert_like(encs, &b.cls, &b.sep, false))
            }
            PostProcessor::RobertaProcessing(r) => {
                if r.trim_offsets {
                    for e in encs.iter_mut() {
                        trim_byte_level_offsets(e, r.add_prefix_space);
                    }
                }
                // RoBERTa has no segment embeddings: every type id is 0.
                for e in encs.iter_mut() {
                    e.type_ids.iter_mut().for_each(|t| *t = 0);
                    for o in &mut e.overflowing {
                        o.type_ids.iter_mut().for_each(|t| *t = 0);
                    }
                }
                if !add_special_tokens {
                    return Ok(encs);
                }
                Ok(bert_like(encs, &r.cls, &r.sep, true))
            }
            PostProcessor::TemplateProcessing(t) => t.apply(encs, add_special_tokens),
            PostProcessor::Sequence(s) => {
                for p in &s.processors {
                    encs = p.process_encodings(encs, add_special_tokens)?;
                }
                Ok(encs)
            }
        }
    }

    pub fn process(
        &self,
        enc: Encoding,
        pair: Option<Encoding>,
        add_special_tokens: bool,
    ) -> Result<Encoding> {
        let mut encs = vec![enc];
        encs.extend(pair);
        for (i, e) in encs.iter_mut().enumerate() {
            e.set_sequence_id(i);
        }
        let encs = self.process_encodings(encs, add_special_tokens)?;
        Ok(Encoding::merge(encs, false))
    }
}

/// `[CLS] A [SEP]` / `[CLS] A [SEP] B [SEP]` (Roberta: `<s> A </s></s> B </s>`,
/// all type 0), applied to overflowing parts too.
fn bert_like(
    encs: Vec<Encoding>,
    cls: &(String, u32),
    sep: &(String, u32),
    roberta: bool,
) -> Vec<Encoding> {
    fn wrap_one(
        e: &Encoding,
        cls: &(String, u32),
        sep: &(String, u32),
        first: bool,
        roberta: bool,
        type_id: u32,
    ) -> Encoding {
        let mut out = Encoding::default();
        if first {
            out.merge_with(special(cls, 0), false);
        } else if roberta {
            out.merge_with(special(sep, 0), false);
        }
        let mut body = e.clone();
        body.overflowing.clear();
        body.sequence_ranges.clear();
        out.merge_with(body, false);
        out.merge_with(special(sep, type_id), false);
        out
    }
    let mut out = Vec::with_capacity(encs.len());
    for (i, e) in encs.iter().enumerate() {
        let type_id = if roberta { 0 } else { i as u32 };
        let mut w = wrap_one(e, cls, sep, i == 0, roberta, type_id);
        w.sequence_ranges.clear();
        let range_start = if i == 0 || roberta { 1 } else { 0 };
        w.sequence_ranges
            .insert(i, range_start..range_start + e.len());
        w.overflowing = e
            .overflowing
            .iter()
            .map(|o| {
                let mut x = wrap_one(o, cls, sep, i == 0, roberta, type_id);
                x.sequence_ranges.clear();
                x.sequence_ranges
                    .insert(i, range_start..range_start + o.len());
                x
            })
            .collect();
        out.push(w);
    }
    out
}
