//! Decoders: turn a list of tokens back into text. Each works on the token
//! list (`decode_chain`), so that they compose in a `Sequence`.

use crate::error::Result;
use crate::pre_tokenizers::{ByteLevel, Metaspace};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Decoder {
    ByteLevel(ByteLevel),
    WordPiece(WordPieceDecoder),
    Metaspace(Metaspace),
    BPEDecoder(BpeDecoder),
    ByteFallback,
    Fuse,
    Strip(StripDecoder),
    Replace(crate::normalizers::Replace),
    CTC(CtcDecoder),
    Sequence(DecoderSequence),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WordPieceDecoder {
    #[serde(default = "wp_prefix")]
    pub prefix: String,
    #[serde(default = "yes")]
    pub cleanup: bool,
}

fn wp_prefix() -> String {
    "##".into()
}
fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BpeDecoder {
    #[serde(default = "bpe_suffix")]
    pub suffix: String,
}

fn bpe_suffix() -> String {
    "</w>".into()
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StripDecoder {
    pub content: char,
    #[serde(default)]
    pub start: usize,
    #[serde(default)]
    pub stop: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CtcDecoder {
    #[serde(default = "ctc_pad")]
    pub pad_token: String,
    #[serde(default = "ctc_delim")]
    pub word_delimiter_token: String,
    #[serde(default = "yes")]
    pub cleanup: bool,
}

fn ctc_pad() -> String {
    "<pad>".into()
}
fn ctc_delim() -> String {
    "|".into()
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DecoderSequence {
    pub decoders: Vec<Decoder>,
}

/// The English detokenization `tokenizers` applies with `cleanup`.
pub fn cleanup(s: &str) -> String {
    s.replace(" .", ".")
        .replace(" ?", "?")
        .replace(" !", "!")
        .replace(" ,", ",")
        .replace(" ' ", "'")
        .replace(" n't", "n't")
        .replace(" 'm", "'m")
        .replace(" do not", " don't")
        .replace(" 's", "'s")
        .replace(" 've", "'ve")
        .replace(" 're", "'re")
}

fn byte_token(t: &str) -> Option<u8> {
    if t.len() == 6 && t.starts_with("<0x") && t.ends_with('>') {
        u8::from_str_radix(&t[3..5], 16).ok()
    } else {
        None
    }
}

impl Decoder {
    pub fn decode_chain(&self, tokens: Vec<String>) -> Result<Vec<String>> {
        Ok(match self {
            Decoder::ByteLevel(_) => vec![ByteLevel::decode(&tokens)],
            Decoder::WordPiece(w) => tokens
                .into_iter()
                .enumerate()
                .map(|(i, t)| {
                    let t = if i == 0 {
                        t
                    } else if let Some(rest) = t.strip_prefix(w.prefix.as_str()) {
                        rest.to_owned()
                    } else {
                        format!(" {t}")
                    };
                    if w.cleanup {
                        cleanup(&t)
                    } else {
                        t
                    }
                })
                .collect(),
            Decoder::Metaspace(m) => m.decode_chain(tokens),
            Decoder::BPEDecoder(b) => {
                let n = tokens.len();
                tokens
                    .into_iter()
                    .enumerate()
                    .map(|(i, t)| t.replace(&b.suffix, if i + 1 == n { "" } else { " " }))
                    .collect()
            }
            Decoder::ByteFallback => {
                let mut out = Vec::with_capacity(tokens.len());
                let mut pending: Vec<u8> = Vec::new();
                let flush = |pending: &mut Vec<u8>, out: &mut Vec<String>| {
                    if pending.is_empty() {
                        return;
                    }
                    match String::from_utf8(std::mem::take(pending)) {
                        Ok(s) => out.push(s),
                        Err(e) => {
                            for _ in 0..e.as_bytes().len() {
                                out.push("\u{fffd}".to_owned());
                            }
                        }
                    }
                };
                for t in tokens {
                    match byte_token(&t) {
                        Some(b) => pending.push(b),
                        None => {
                            flush(&mut pending, &mut out);
                            out.push(t);
                        }
                    }
                }
                flush(&mut pending, &mut out);
                out
            }
            Decoder::Fuse => vec![tokens.concat()],
            Decoder::Strip(s) => tokens
                .into_iter()
                .map(|t| {
                    let chars: Vec<char> = t.chars().collect();
                    let mut a = 0;
                    while a < s.start.min(chars.len()) && chars[a] == s.content {
                        a += 1;
                    }
                    let mut b = chars.len();
                    let mut k = 0;
                    while k < s.stop && b > a && chars[b - 1] == s.content {
                        b -= 1;
                        k += 1;
                    }
                    chars[a..b].iter().collect()
                })
                .collect(),
            Decoder::Replace(r) => tokens.into_iter().map(|t| r.apply_str(&t)).collect(),
            Decoder::CTC(c) => {
                let mut out: Vec<String> = Vec::new();
                let mut prev: Option<String> = None;
                for t in tokens {
                    if prev.as_deref() == Some(t.as_str()) {
                        continue;
                    }
                    prev = Some(t.clone());
                    let mut r = t.replace(&c.pad_token, "");
                    if c.cleanup {
                        r = cleanup(&r).replace(&c.word_delimiter_token, " ");
                    }
                    if !r.is_empty() {
                        out.push(r);
                    }
                }
                out
            }
            Decoder::Sequence(s) => {
                let mut t = tokens;
                for d in &s.decoders {
                    t = d.decode_chain(t)?;
                }
                t
            }
        })
    }

    pub fn decode(&self, tokens: Vec<String>) -> Result<String> {
        Ok(self.decode_chain(tokens)?.concat())
    }
}
