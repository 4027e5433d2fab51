//! `TemplateProcessing`: special tokens placed by a template such as
//! `[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1`.

use crate::encoding::Encoding;
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Sequence {
    A,
    B,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Piece {
    Sequence { id: Sequence, type_id: u32 },
    SpecialToken { id: String, type_id: u32 },
}

impl Piece {
    /// Parses `$A`, `$B:1`, `$0`, `[CLS]`, `[SEP]:1`.
    pub fn parse(s: &str) -> Result<Piece> {
        let (name, type_id) = match s.rsplit_once(':') {
            Some((n, t)) if !n.is_empty() => (
                n,
                t.parse::<u32>().map_err(|_| {
                    Error::config(format!("template piece {s:?}: type id must be an integer"))
                })?,
            ),
            _ => (s, 0),
        };
        if let Some(rest) = name.strip_prefix('$') {
            return match rest {
                "" | "A" | "a" => Ok(Piece::Sequence {
                    id: Sequence::A,
                    type_id,
                }),
                "B" | "b" => Ok(Piece::Sequence {
                    id: Sequence::B,
                    type_id,
                }),
                n => match n.parse::<u32>() {
                    Ok(t) if type_id == 0 && !s.contains(':') => Ok(Piece::Sequence {
                        id: Sequence::A,
                        type_id: t,
                    }),
                    _ => Err(Error::config(format!(
                        "template piece {s:?}: expected $A, $B or $<type id>"
                    ))),
                },
            };
        }
        Ok(Piece::SpecialToken {
            id: name.to_owned(),
            type_id,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Template(pub Vec<Piece>);

impl Template {
    /// From a template string (`"[CLS] $A [SEP]"`).
    pub fn parse(s: &str) -> Result<Template> {
        s.split_whitespace()
            .map(Piece::parse)
            .collect::<Result<Vec<_>>>()
            .map(Template)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpecialToken {
    pub id: String,
    pub ids: Vec<u32>,
    pub tokens: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "TemplateSpec", into = "TemplateSpec")]
pub struct TemplateProcessing {
    pub single: Template,
    pub pair: Template,
    pub special_tokens: BTreeMap<String, SpecialToken>,
}

#[derive(Serialize, Deserialize)]
struct TemplateSpec {
    single: Template,
    pair: Template,
    #[serde(default)]
    special_tokens: BTreeMap<String, SpecialToken>,
}

impl TryFrom<TemplateSpec> for TemplateProcessing {
    type Error = Error;
    fn try_from(s: TemplateSpec) -> Result<Self> {
        TemplateProcessing::new(s.single, s.pair, s.special_tokens)
    }
}

impl From<TemplateProcessing> for TemplateSpec {
    fn from(t: TemplateProcessing) -> Self {
        TemplateSpec {
            single: t.single,
            pair: t.pair,
            special_tokens: t.special_tokens,
        }
    }
}

impl TemplateProcessing {
    pub fn new(
        single: Template,
        pair: Template,
        special_tokens: BTreeMap<String, SpecialToken>,
    ) -> Result<Self> {
        for t in special_tokens.values() {
            if t.ids.len() != t.tokens.len() {
                return Err(Error::config(format!(
                    "post_processor.special_tokens[{:?}]: ids and tokens differ in length",
                    t.id
                )));
            }
        }
        let mut missing: Vec<&str> = Vec::new();
        for p in single.0.iter().chain(pair.0.iter()) {
            if let Piece::SpecialToken { id, .. } = p {
                if !special_tokens.contains_key(id) && !missing.contains(&id.as_str()) {
                    missing.push(id);
                }
            }
        }
        if !missing.is_empty() {
            return Err(Error::config(format!(
                "post_processor: the template uses special token(s) {} missing from special_tokens",
                missing.join(", ")
            )));
        }
        let has = |s: Sequence| {
            pair.0
                .iter()
                .any(|p| matches!(p, Piece::Sequence { id, .. } if *id == s))
        };
        if !(has(Sequence::A) && has(Sequence::B)) {
            return Err(Error::config(
                "post_processor.pair: the pair template must use both $A and $B",
            ));
        }
        Ok(TemplateProcessing {
            single,
            pair,
            special_tokens,
        })
    }

    pub fn added_tokens(&self, is_pair: bool) -> usize {
        let t = if is_pair { &self.pair } else { &self.single };
        t.0.iter()
            .map(|p| match p {
                Piece::Sequence { .. } => 0,
                Piece::SpecialToken { id, .. } => {
                    self.special_tokens.get(id).map_or(0, |s| s.ids.len())
                }
            })
            .sum()
    }

    pub fn apply(
        &self,
        mut encs: Vec<Encoding>,
        add_special_tokens: bool,
    ) -> Result<Vec<Encoding>> {
        let template = match encs.len() {
            1 => &self.single,
            2 => &self.pair,
            n => {
                return Err(Error::input(format!(
                    "TemplateProcessing: expected 1 or 2 sequences, got {n}"
                )))
            }
        };
        // Each sequence is moved into its last place in the template (and
        // copied into any earlier one).
        let last_use = |seq: usize| {
            template.0.iter().rposition(
                |p| matches!(p, Piece::Sequence { id, .. } if usize::from(*id == Sequence::B) == seq),
            )
        };
        let last = [last_use(0), last_use(1)];
        let mut out = Vec::with_capacity(template.0.len());
        for (k, p) in template.0.iter().enumerate() {
            match p {
                Piece::Sequence { id, type_id } => {
                    let i = usize::from(*id == Sequence::B);
                    let e = encs.get_mut(i).ok_or_else(|| {
                        Error::input("TemplateProcessing: the single template uses $B")
                    })?;
                    // The overflowing parts get the sequence id but keep their
                    // type ids; merging the pieces then combines them as
                    // `tokenizers` does.
                    e.type_ids = vec![*type_id; e.len()];
                    e.set_sequence_id(i);
                    for o in &mut e.overflowing {
                        o.set_sequence_id(i);
                    }
                    out.push(if last[i] == Some(k) {
                        std::mem::take(e)
                    } else {
                        e.clone()
                    });
                }
                Piece::SpecialToken { id, type_id } => {
                    if add_special_tokens {
                        if let Some(t) = self.special_tokens.get(id) {
                            let n = t.ids.len();
                            out.push(Encoding {
                                ids: t.ids.clone(),
                                type_ids: vec![*type_id; n],
                                tokens: t.tokens.clone(),
                                words: vec![None; n],
                                offsets: vec![(0, 0); n],
                                special_tokens_mask: vec![1; n],
                                attention_mask: vec![1; n],
                                ..Default::default()
                            });
                        }
                    }
                }
            }
        }
        Ok(out)
    }
}
