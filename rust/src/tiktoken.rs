//! OpenAI's tiktoken encodings as fasttok tokenizers.
//!
//! A rank file lists every token as `<base64 bytes> <rank>`. tiktoken splits
//! text with its pattern, then in each piece merges, again and again, the
//! adjacent pair whose concatenation has the lowest rank (leftmost on ties),
//! unless the whole piece is a token. That is a byte-level BPE whose merges
//! are every split `(x, y)` of every token `x + y` into two tokens, with
//! `ignore_merges` (whole-piece lookup first) and, to be exact, the merged
//! token's rank as the pair's priority ([`Bpe::rank_by_result`]).

use crate::error::{Error, Result};
use crate::models::bpe::Bpe;
use crate::models::Vocab;
use crate::pre_tokenizers::byte_level::byte_to_char;
use crate::util::FxHashMap;

/// The standard base64 alphabet's value of a byte, or `None`.
fn b64_value(c: u8) -> Option<u32> {
    Some(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    } as u32)
}

/// Decodes standard base64 (with or without `=` padding).
pub fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let s = s.trim_end_matches('=').as_bytes();
    if s.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    for chunk in s.chunks(4) {
        let mut v = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            v |= b64_value(c)? << (18 - 6 * i);
        }
        let bytes = v.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    Some(out)
}

/// Parses a `.tiktoken` rank file; `origin` names it in errors.
pub fn parse_ranks(text: &str, origin: &str) -> Result<Vec<(Vec<u8>, u32)>> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let bad = || {
            Error::config(format!(
                "{origin}:{}: expected \"<base64 token> <rank>\", got {line:?}",
                n + 1
            ))
        };
        let (token, rank) = line.split_once(' ').ok_or_else(bad)?;
        let bytes = base64_decode(token).ok_or_else(bad)?;
        let rank: u32 = rank.trim().parse().map_err(|_| bad())?;
        out.push((bytes, rank));
    }
    if out.is_empty() {
        return Err(Error::config(format!("{origin}: no tokens")));
    }
    Ok(out)
}

/// The byte-level BPE model of a tiktoken vocabulary. With
/// `tiktoken_priority`, pairs merge in tiktoken's order exactly; without it,
/// in the order of the merge list (as `tokenizers` reads a tokenizer.json),
/// which differs only where two different splits of one token compete.
pub fn bpe_from_ranks(ranks: &[(Vec<u8>, u32)], tiktoken_priority: bool) -> Result<Bpe> {
    let table = byte_to_char();
    let as_chars = |b: &[u8]| -> String { b.iter().map(|&x| table[x as usize]).collect() };
    let mut by_bytes: FxHashMap<&[u8], u32> = FxHashMap::default();
    let mut vocab = Vocab::default();
    for (bytes, rank) in ranks {
        if by_bytes.insert(bytes.as_slice(), *rank).is_some() {
            return Err(Error::config(format!("token {bytes:?} is listed twice")));
        }
        if vocab.insert(as_chars(bytes), *rank).is_some() {
            return Err(Error::config(format!("token {bytes:?} is listed twice")));
        }
    }
    let mut ids = std::collections::HashSet::new();
    for (bytes, rank) in ranks {
        if !ids.insert(*rank) {
            return Err(Error::config(format!(
                "rank {rank} is given to two tokens (one is {bytes:?})"
            )));
        }
    }
    if let Some(b) = (0u8..=255).find(|b| !by_bytes.contains_key(&[*b][..])) {
        return Err(Error::config(format!(
            "the single byte {b:#04x} is not a token: a byte-level vocabulary needs all 256"
        )));
    }
    // Every split of every token into two tokens, by the token's rank, then
    // by where the split falls.
    let mut merges: Vec<(u32, usize, &[u8])> = Vec::new();
    for (bytes, rank) in ranks {
        for k in 1..bytes.len() {
            if by_bytes.contains_key(&bytes[..k]) && by_bytes.contains_key(&bytes[k..]) {
                merges.push((*rank, k, bytes.as_slice()));
            }
        }
    }
    merges.sort_unstable();
    let merge_list = merges
        .into_iter()
        .map(|(_, k, b)| (as_chars(&b[..k]), as_chars(&b[k..])))
        .collect();
    let mut bpe = Bpe::default();
    bpe.vocab = vocab;
    bpe.merge_list = merge_list;
    bpe.ignore_merges = true;
    bpe.rank_by_result = tiktoken_priority;
    bpe.rebuild()?;
    Ok(bpe)
}

/// tiktoken's patterns are written for the `fancy-regex` engine; this makes
/// one mean the same to Oniguruma: `$` (end of text there, end of line here)
/// becomes `\z`, and a possessive interval `{n,m}+` (a repeated group here)
/// becomes `{n,m}`, which matches the same inside tiktoken's patterns, where
/// nothing after it could backtrack into it.
pub fn pattern_for_oniguruma(pat: &str) -> String {
    let mut out = String::with_capacity(pat.len() + 8);
    let mut chars = pat.chars().peekable();
    let mut in_class = 0usize;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                out.push(c);
                if let Some(n) = chars.next() {
                    out.push(n);
                    // `\p{...}`: a property name, not an interval.
                    if matches!(n, 'p' | 'P') && chars.peek() == Some(&'{') {
                        for x in chars.by_ref() {
                            out.push(x);
                            if x == '}' {
                                break;
                            }
                        }
                    }
                }
            }
            '[' => {
                in_class += 1;
                out.push(c);
            }
            ']' if in_class > 0 => {
                in_class -= 1;
                out.push(c);
            }
            '$' if in_class == 0 => out.push_str("\\z"),
            '}' if in_class == 0 => {
                out.push(c);
                if chars.peek() == Some(&'+') {
                    chars.next();
                }
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips() {
        assert_eq!(base64_decode("IQ==").as_deref(), Some(&b"!"[..]));
        assert_eq!(base64_decode("aGVsbG8=").as_deref(), Some(&b"hello"[..]));
        assert_eq!(base64_decode("IGlu").as_deref(), Some(&b" in"[..]));
        assert_eq!(base64_decode("a"), None);
        assert_eq!(base64_decode("a*b="), None);
    }

    #[test]
    fn patterns_are_translated() {
        assert_eq!(
            pattern_for_oniguruma(r"\s++$|\p{N}{1,3}+|[$}]+| ?\p{L}++"),
            r"\s++\z|\p{N}{1,3}|[$}]+| ?\p{L}++"
        );
    }

    #[test]
    fn rank_files_with_errors_are_named() {
        let e = parse_ranks("IQ== 0\nnot-a-line\n", "x.tiktoken")
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some("x.tiktoken:2: expected \"<base64 token> <rank>\", got \"not-a-line\"")
        );
    }
}
