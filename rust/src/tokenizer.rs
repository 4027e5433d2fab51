//! The pipeline: added tokens -> normalizer -> pre-tokenizer -> model ->
//! post-processor (with truncation and padding), and the decoder back.
//!
//! A `Tokenizer` is an immutable value once built: batches share it across
//! rayon workers and Python threads by reference; changing a component means
//! building a new one (cheap clones of the parts that did not change).

use crate::added_vocabulary::{AddedToken, AddedVocabulary};
use crate::decoders::Decoder;
use crate::encoding::{Encoding, PaddingDirection, TruncationDirection};
use crate::error::{Error, Result};
use crate::id_cache::IdCache;
use crate::models::Model;
use crate::normalized::{CharOffsets, PreTokenizedString};
use crate::normalizers::Normalizer;
use crate::post_processors_default as default_process;
use crate::pre_tokenizers::PreTokenizer;
use crate::processors::PostProcessor;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::path::Path;
use std::sync::Arc;

/// From this many bytes on, one text is cut into parts encoded in parallel
/// (where the pipeline allows it), unless it is one of a batch that already
/// keeps every thread busy, in about 16 parts per thread (16 KiB or more:
/// a thread that wakes late still finds work). One 1 MB text of code, 2
/// threads against 1 (harness, 2026-12-02): BERT 1.9x, Llama-2 1.8x,
/// byte-level 1.6-1.9x (1.3-1.6x in 4 parts per thread on a separate pool).
const HUGE_TEXT: usize = 1 << 18;

/// The parts (`(start, end)` byte ranges, in order) one long text is
/// encoded in, on all threads (the caller and the helpers, as a batch runs:
/// the caller starts at once, the helpers join as they wake); `None` when
/// it stays whole (under `HUGE_TEXT` bytes, one thread, a busy batch, or
/// no safe cut). `cuts` finds the safe cuts for a part size.
fn part_ranges(text: &str, cuts: impl FnOnce(usize) -> Vec<usize>) -> Option<Vec<(usize, usize)>> {
    if text.len() < HUGE_TEXT || crate::util::in_busy_batch() {
        return None;
    }
    let threads = crate::util::num_threads();
    if threads < 2 {
        return None;
    }
    let cuts = cuts((text.len() / (threads * 16)).max(HUGE_TEXT / 16));
    if cuts.is_empty() {
        return None;
    }
    let mut ranges = Vec::with_capacity(cuts.len() + 1);
    let mut from = 0;
    for c in cuts {
        ranges.push((from, c));
        from = c;
    }
    ranges.push((from, text.len()));
    Some(ranges)
}

/// The ids of one text's parts (`ranges`, from [`part_ranges`]), each by
/// `part(start, end)` on all threads, appended to `out` in order. `None`
/// when a part gives `None` (the text must go the general way), else the
/// first part's error by position.
fn ids_of_parts(
    ranges: &[(usize, usize)],
    out: &mut Vec<u32>,
    part: impl Fn(usize, usize) -> Result<Option<Vec<u32>>> + Sync,
) -> Option<Result<()>> {
    let all: Vec<Vec<u32>> = match crate::util::par_map(ranges, |&(a, z)| part(a, z)) {
        Ok(parts) => parts.into_iter().collect::<Option<_>>()?,
        Err(e) => return Some(Err(e)),
    };
    out.reserve(all.iter().map(Vec::len).sum());
    for ids in all {
        out.extend_from_slice(&ids);
    }
    Some(Ok(()))
}

/// Whether `n` normalizes a text cut at a line start of a pattern splitter
/// (a visible ASCII char, `\n`, an ASCII letter) part by part as it does
/// the whole: it works char by char and keeps those three chars of their
/// kind.
fn keeps_line_cuts(n: &Normalizer) -> bool {
    match n {
        Normalizer::NFC
        | Normalizer::NFD
        | Normalizer::NFKC
        | Normalizer::NFKD
        | Normalizer::Lowercase
        | Normalizer::StripAccents => true,
        Normalizer::Sequence(seq) => seq.normalizers.iter().all(keeps_line_cuts),
        _ => false,
    }
}

/// Whether `n` normalizes a raw text cut after any whitespace char that
/// ends a whitespace run (the `wide` cuts of a whitespace splitter, see
/// [`crate::pre_tokenizers::plain::PlainSplitter::line_starts`]) part by
/// part as it does the whole text, as far as a whitespace splitter can
/// tell: char-local normalizers do (a whitespace char is a starter that
/// composes with nothing, so canonical reordering and composition stop
/// there); SentencePiece's charsmap (by graphemes, with rules for char
/// sequences) and `Replace` may not.
fn keeps_wide_space_cuts(n: &Normalizer) -> bool {
    match n {
        Normalizer::Nmt | Normalizer::BertNormalizer(_) => true,
        Normalizer::Sequence(seq) => seq.normalizers.iter().all(keeps_wide_space_cuts),
        n => keeps_line_cuts(n),
    }
}

/// Whether `n` normalizes a text cut where a whitespace splitter may cut it
/// (an ASCII char other than `\r`, a space or `\n`, an ASCII letter or
/// digit: see [`crate::pre_tokenizers::plain::PlainSplitter::line_starts`])
/// part by part as it does the whole, leaving a space or `\n` before the
/// cut and an ASCII letter or digit after it, so that the next normalizer
/// and the splitter see the same. Char-local normalizers do (BERT's turns
/// the `\n` into a space); SentencePiece's charsmap does when it maps those
/// chars so (the cut is a grapheme boundary and it works by graphemes); a
/// `Replace` does when its matches never hold the chars on both sides (only
/// spaces, put back as spaces, or neither whitespace nor ASCII letters and
/// digits).
fn keeps_space_cuts(n: &Normalizer) -> bool {
    use crate::normalizers::StringOrRegex;
    match n {
        Normalizer::Nmt | Normalizer::BertNormalizer(_) => true,
        Normalizer::Precompiled(p) => p.keeps_space_cuts(),
        Normalizer::Replace(r) => {
            let spaces = |t: &str| !t.is_empty() && t.bytes().all(|b| b == b' ');
            match &r.pattern {
                StringOrRegex::String(lit) if spaces(lit) => spaces(&r.content),
                StringOrRegex::String(lit) => {
                    !lit.is_empty()
                        && !lit
                            .chars()
                            .any(|c| c.is_whitespace() || c.is_ascii_alphanumeric())
                }
                StringOrRegex::Regex(re) => {
                    matches!(re.as_str(), " {2,}" | " +" | "  +") && spaces(&r.content)
                }
            }
        }
        Normalizer::Sequence(seq) => seq.normalizers.iter().all(keeps_space_cuts),
        // The char-local ones.
        _ => keeps_line_cuts(n),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TruncationStrategy {
    LongestFirst,
    OnlyFirst,
    OnlySecond,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TruncationParams {
    #[serde(default = "right_t")]
    pub direction: TruncationDirection,
    pub max_length: usize,
    #[serde(default = "longest_first")]
    pub strategy: TruncationStrategy,
    #[serde(default)]
    pub stride: usize,
}

fn right_t() -> TruncationDirection {
    TruncationDirection::Right
}
fn longest_first() -> TruncationStrategy {
    TruncationStrategy::LongestFirst
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum PaddingStrategy {
    BatchLongest,
    Fixed(usize),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaddingParams {
    #[serde(default = "batch_longest")]
    pub strategy: PaddingStrategy,
    #[serde(default = "right_p")]
    pub direction: PaddingDirection,
    #[serde(default)]
    pub pad_to_multiple_of: Option<usize>,
    #[serde(default)]
    pub pad_id: u32,
    #[serde(default)]
    pub pad_type_id: u32,
    #[serde(default = "pad_token")]
    pub pad_token: String,
}

fn batch_longest() -> PaddingStrategy {
    PaddingStrategy::BatchLongest
}
fn right_p() -> PaddingDirection {
    PaddingDirection::Right
}
fn pad_token() -> String {
    "[PAD]".into()
}

impl Default for PaddingParams {
    fn default() -> Self {
        PaddingParams {
            strategy: PaddingStrategy::BatchLongest,
            direction: PaddingDirection::Right,
            pad_to_multiple_of: None,
            pad_id: 0,
            pad_type_id: 0,
            pad_token: "[PAD]".into(),
        }
    }
}

/// One input sequence: raw text, or text already split into words.
#[derive(Debug, Clone)]
pub enum InputSequence<'a> {
    Raw(std::borrow::Cow<'a, str>),
    PreTokenized(Vec<std::borrow::Cow<'a, str>>),
}

impl<'a> From<&'a str> for InputSequence<'a> {
    fn from(s: &'a str) -> Self {
        InputSequence::Raw(s.into())
    }
}

/// One encode input: a sequence or a pair.
#[derive(Debug, Clone)]
pub struct EncodeInput<'a> {
    pub first: InputSequence<'a>,
    pub second: Option<InputSequence<'a>>,
}

impl<'a> From<&'a str> for EncodeInput<'a> {
    fn from(s: &'a str) -> Self {
        EncodeInput {
            first: s.into(),
            second: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetType {
    Byte,
    Char,
}

#[derive(Debug, Clone)]
pub struct Tokenizer {
    pub normalizer: Option<Normalizer>,
    pub pre_tokenizer: Option<PreTokenizer>,
    /// Shared: a tokenizer copied to change one setting keeps the same model.
    pub model: Arc<Model>,
    pub post_processor: Option<PostProcessor>,
    pub decoder: Option<Decoder>,
    pub added_vocabulary: AddedVocabulary,
    pub truncation: Option<TruncationParams>,
    pub padding: Option<PaddingParams>,
}

/// tokenizer.json, as read.
#[derive(Deserialize)]
struct TokenizerSpec {
    #[serde(default)]
    #[allow(dead_code)]
    version: Option<String>,
    #[serde(default)]
    truncation: Option<TruncationParams>,
    #[serde(default)]
    padding: Option<PaddingParams>,
    #[serde(default)]
    added_tokens: Vec<AddedTokenWithId>,
    #[serde(default)]
    normalizer: Option<Normalizer>,
    #[serde(default)]
    pre_tokenizer: Option<PreTokenizer>,
    model: Model,
    #[serde(default)]
    post_processor: Option<PostProcessor>,
    #[serde(default)]
    decoder: Option<Decoder>,
}

#[derive(Serialize, Deserialize)]
struct AddedTokenWithId {
    id: u32,
    #[serde(flatten)]
    token: AddedToken,
}

impl Tokenizer {
    pub fn new(model: Model) -> Self {
        Self::with_shared_model(Arc::new(model))
    }

    pub fn with_shared_model(model: Arc<Model>) -> Self {
        Tokenizer {
            normalizer: None,
            pre_tokenizer: None,
            model,
            post_processor: None,
            decoder: None,
            added_vocabulary: AddedVocabulary::default(),
            truncation: None,
            padding: None,
        }
    }

    /// Parses a tokenizer.json document; `origin` names it in errors.
    pub fn from_json_str(s: &str, origin: &str) -> Result<Self> {
        let de = &mut serde_json::Deserializer::from_str(s);
        let spec: TokenizerSpec = serde_path_to_error::deserialize(&mut *de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            if let Some((path, message)) = locate_in_sequence(s, &path) {
                return Error::Parse {
                    location: format!("{origin}: field `{path}`"),
                    message,
                };
            }
            let location = if path.is_empty() || path == "." || path == "?" {
                origin.to_owned()
            } else {
                format!("{origin}: field `{path}`")
            };
            Error::Parse {
                location,
                message: inner.to_string(),
            }
        })?;
        // Nothing but whitespace may follow the document (as `tokenizers`).
        de.end().map_err(|e| Error::Parse {
            location: origin.to_owned(),
            message: e.to_string(),
        })?;
        let mut t = Tokenizer {
            normalizer: spec.normalizer,
            pre_tokenizer: spec.pre_tokenizer,
            model: Arc::new(spec.model),
            post_processor: spec.post_processor,
            decoder: spec.decoder,
            added_vocabulary: AddedVocabulary::default(),
            truncation: spec.truncation,
            padding: spec.padding,
        };
        let tokens: Vec<AddedToken> = spec.added_tokens.into_iter().map(|t| t.token).collect();
        t.added_vocabulary
            .add_tokens(&tokens, &t.model, t.normalizer.as_ref())
            .map_err(|e| Error::Parse {
                location: format!("{origin}: field `added_tokens`"),
                message: e.to_string(),
            })?;
        Ok(t)
    }

    pub fn from_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })?;
        Self::from_json_str(&text, &path.display().to_string())
    }

    pub fn to_value(&self) -> Result<Value> {
        let added: Vec<Value> = self
            .added_vocabulary
            .ordered()
            .into_iter()
            .map(|(id, t)| {
                json!({
                    "id": id,
                    "content": t.content,
                    "single_word": t.single_word,
                    "lstrip": t.lstrip,
                    "rstrip": t.rstrip,
                    "normalized": t.normalized,
                    "special": t.special,
                })
            })
            .collect();
        let ser = |e: serde_json::Error| Error::config(format!("cannot serialize: {e}"));
        Ok(json!({
            "version": "1.0",
            "truncation": serde_json::to_value(&self.truncation).map_err(ser)?,
            "padding": serde_json::to_value(&self.padding).map_err(ser)?,
            "added_tokens": added,
            "normalizer": serde_json::to_value(&self.normalizer).map_err(ser)?,
            "pre_tokenizer": serde_json::to_value(&self.pre_tokenizer).map_err(ser)?,
            "post_processor": serde_json::to_value(&self.post_processor).map_err(ser)?,
            "decoder": serde_json::to_value(&self.decoder).map_err(ser)?,
            "model": self.model.to_value(),
        }))
    }

    pub fn to_json_string(&self, pretty: bool) -> Result<String> {
        let v = self.to_value()?;
        let r = if pretty {
            serde_json::to_string_pretty(&v)
        } else {
            serde_json::to_string(&v)
        };
        r.map_err(|e| Error::config(format!("cannot serialize: {e}")))
    }

    pub fn save(&self, path: impl AsRef<Path>, pretty: bool) -> Result<()> {
        let path = path.as_ref();
        std::fs::write(path, self.to_json_string(pretty)?).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })
    }

    // ---- vocabulary -------------------------------------------------------

    pub fn token_to_id(&self, token: &str) -> Option<u32> {
        self.added_vocabulary.token_to_id(token, &self.model)
    }

    pub fn id_to_token(&self, id: u32) -> Option<&str> {
        self.added_vocabulary.id_to_token(id, &self.model)
    }

    pub fn get_vocab(&self, with_added_tokens: bool) -> std::collections::HashMap<String, u32> {
        let mut v = self.model.get_vocab();
        if with_added_tokens {
            for (k, &i) in self.added_vocabulary.get_vocab() {
                v.insert(k.clone(), i);
            }
        }
        v
    }

    pub fn get_vocab_size(&self, with_added_tokens: bool) -> usize {
        if with_added_tokens {
            self.get_vocab(true).len()
        } else {
            self.model.get_vocab_size()
        }
    }

    pub fn add_tokens(&mut self, tokens: &[AddedToken]) -> Result<usize> {
        self.added_vocabulary
            .add_tokens(tokens, &self.model, self.normalizer.as_ref())
    }

    /// Call after replacing the normalizer or the model.
    pub fn refresh_added_tokens(&mut self) -> Result<()> {
        self.added_vocabulary
            .refresh(&self.model, self.normalizer.as_ref())
    }

    // ---- encoding ---------------------------------------------------------

    fn pretokenize(&self, s: &str) -> Result<PreTokenizedString> {
        crate::normalized::check_len(s)?;
        let mut pt = self
            .added_vocabulary
            .extract_and_normalize(self.normalizer.as_ref(), s)?;
        if let Some(p) = &self.pre_tokenizer {
            p.pre_tokenize(&mut pt)?;
        }
        Ok(pt)
    }

    /// The words training counts in `s`: normalized and pre-tokenized, with no
    /// added-token extraction (as `tokenizers` trains). Without a
    /// pre-tokenizer the whole normalized text is one word, even when empty.
    pub fn training_words(&self, s: &str, mut f: impl FnMut(&str)) -> Result<()> {
        crate::normalized::check_len(s)?;
        let mut n = crate::normalized::NormalizedString::from(s);
        if let Some(norm) = &self.normalizer {
            norm.normalize(&mut n)?;
        }
        let Some(p) = &self.pre_tokenizer else {
            f(n.get());
            return Ok(());
        };
        let mut pt = PreTokenizedString {
            original: String::new(),
            splits: vec![crate::normalized::Split {
                normalized: n,
                tokens: None,
            }],
        };
        p.pre_tokenize(&mut pt)?;
        for sp in &pt.splits {
            f(sp.normalized.get());
        }
        Ok(())
    }

    /// Normalizes and pre-tokenizes, without the model (for inspection).
    pub fn pre_tokenized(&self, s: &str) -> Result<PreTokenizedString> {
        self.pretokenize(s)
    }

    fn encode_str(
        &self,
        s: &str,
        type_id: u32,
        word_idx: Option<u32>,
        offsets: OffsetType,
    ) -> Result<Encoding> {
        self.encode_str_counted(s, type_id, word_idx, offsets)
            .map(|(e, _)| e)
    }

    /// [`Tokenizer::encode_str`], with the number of words (pre-tokenized
    /// splits, token-less ones included) it numbered.
    fn encode_str_counted(
        &self,
        s: &str,
        type_id: u32,
        word_idx: Option<u32>,
        offsets: OffsetType,
    ) -> Result<(Encoding, usize)> {
        if let Some(r) = self.byte_level_encoding(s, type_id, word_idx, offsets) {
            return r;
        }
        if let Some(r) = self.aligned_encoding(s, type_id, word_idx, offsets) {
            return r;
        }
        let mut pt = self.pretokenize(s)?;
        pt.tokenize(|n| self.model.tokenize(n.get()))?;
        let conv = match offsets {
            OffsetType::Char => Some(CharOffsets::new(s)),
            OffsetType::Byte => None,
        };
        let n_tokens: usize = pt
            .splits
            .iter()
            .map(|sp| sp.tokens.as_ref().map_or(0, Vec::len))
            .sum();
        let mut e = Encoding::default();
        e.ids.reserve(n_tokens);
        let n_words = pt.splits.len();
        for (i, sp) in pt.splits.into_iter().enumerate() {
            let shift = sp.normalized.offsets_original().0;
            let word = word_idx.or(Some(i as u32));
            for tok in sp.tokens.unwrap_or_default() {
                let mut o = sp
                    .normalized
                    .normalized_to_original(tok.offsets.0, tok.offsets.1)
                    .map_or(tok.offsets, |(a, b)| (shift + a, shift + b));
                if let Some(c) = &conv {
                    o = c.convert(o).unwrap_or(o);
                }
                e.push(tok.id, tok.value, o, word, type_id);
            }
        }
        Ok((e, n_words))
    }

    /// One long raw text encoded in parts cut at safe line starts, on all
    /// cores, when the pipeline allows it (see [`Tokenizer::line_safe`]):
    /// offsets and word numbers are shifted to the whole text, so the result
    /// is `encode_str(s)`'s. `None` when the text stays whole.
    fn encode_str_in_parts(
        &self,
        s: &str,
        type_id: u32,
        offsets: OffsetType,
    ) -> Option<Result<Encoding>> {
        if s.len() < HUGE_TEXT {
            return None;
        }
        let sp = self.line_safe()?;
        let wide = self.wide_raw_cuts(&sp);
        let ranges = part_ranges(s, |size| sp.line_starts(s, size, wide))?;
        let parts = crate::util::par_map(&ranges, |&(a, z)| {
            let part = &s[a..z];
            let (e, words) = self.encode_str_counted(part, type_id, None, offsets)?;
            let len = match offsets {
                OffsetType::Byte => part.len(),
                OffsetType::Char => part.chars().count(),
            };
            Ok((e, words, len))
        });
        let parts = match parts {
            Ok(p) => p,
            Err(e) => return Some(Err(e)),
        };
        let mut out = Encoding::default();
        let (mut shift, mut word_shift) = (0usize, 0u32);
        for (mut e, words, len) in parts {
            for o in &mut e.offsets {
                o.0 += shift;
                o.1 += shift;
            }
            for w in e.words.iter_mut().flatten() {
                *w += word_shift;
            }
            out.merge_with(e, false);
            shift += len;
            word_shift += words as u32;
        }
        Some(Ok(out))
    }

    /// The pre-tokenizer's splitter when a text may be cut at its line starts
    /// for the full pipeline: the pre-tokenizer cuts there (see
    /// [`crate::pre_tokenizers::plain::LineCut`]) and nothing else looks
    /// across: the normalizer works char by char and keeps the chars around
    /// the cut what they are (or whitespace, for whitespace splitters), no
    /// ByteLevel prefix space on the whole text, no added token holding a
    /// line break or taking the whitespace on its left.
    fn line_safe(&self) -> Option<crate::pre_tokenizers::plain::PlainSplitter<'_>> {
        use crate::pre_tokenizers::plain::{LineCut, PlainSplitter};
        let sp = PlainSplitter::new(self.pre_tokenizer.as_ref()?)?;
        let at_spaces = match sp.line_cut() {
            LineCut::No | LineCut::Pattern { prefix_space: true } => return None,
            LineCut::Whitespace => true,
            LineCut::Pattern {
                prefix_space: false,
            } => false,
        };
        if let Some(n) = &self.normalizer {
            let ok = if at_spaces {
                keeps_space_cuts(n)
            } else {
                keeps_line_cuts(n)
            };
            if !ok {
                return None;
            }
        }
        let tokens_ok = if at_spaces {
            self.added_vocabulary.space_safe()
        } else {
            self.added_vocabulary.line_safe()
        };
        tokens_ok.then_some(sp)
    }

    /// Whether one text of `HUGE_TEXT` bytes or more is cut into parts
    /// for all threads (unless no safe cut or an added token turns up in
    /// it): on the flat-ids path (`flat_ids`, see [`Tokenizer::fast_ids`])
    /// when the pre-tokenizer has line starts to cut at (or for Llama-2's
    /// raw metaspace), else (an `Encoding`) when [`Tokenizer::line_safe`].
    /// A batch mostly of such texts then shares their parts among all
    /// threads (see [`crate::util::par_map_nested`]).
    pub fn cuts_long_texts(&self, flat_ids: bool, add_special_tokens: bool) -> bool {
        use crate::pre_tokenizers::plain::{LineCut, PlainSplitter};
        if crate::util::num_threads() < 2 {
            return false;
        }
        let flat = flat_ids
            && self.truncation.is_none()
            && self.padding.is_none()
            && !(add_special_tokens && self.num_special_tokens_to_add(false) > 0);
        if flat {
            match &self.pre_tokenizer {
                None => return self.raw_metaspace(),
                Some(p) => {
                    if let Some(sp) = PlainSplitter::new(p) {
                        return sp.line_cut() != LineCut::No;
                    }
                }
            }
        }
        self.line_safe().is_some()
    }

    /// Whether a batch of texts of these lengths (`lens`: bytes, or chars,
    /// a lower bound) runs by [`crate::util::par_map_nested`], each long
    /// text cut and its parts shared by all threads, rather than one text
    /// per thread: when it has more than one text, its long ones (from
    /// `HUGE_TEXT`) hold half its text or more and this pipeline cuts them
    /// ([`Tokenizer::cuts_long_texts`]).
    pub fn shares_long_parts(
        &self,
        lens: impl IntoIterator<Item = usize>,
        flat_ids: bool,
        add_special_tokens: bool,
    ) -> bool {
        let (mut long, mut all, mut n) = (0usize, 0usize, 0usize);
        for len in lens {
            (all, n) = (all + len, n + 1);
            if len >= HUGE_TEXT {
                long += len;
            }
        }
        n > 1 && long > 0 && long >= all / 2 && self.cuts_long_texts(flat_ids, add_special_tokens)
    }

    /// Whether the raw text may be cut at `sp`'s `wide` line starts (see
    /// [`crate::pre_tokenizers::plain::PlainSplitter::line_starts`]) when
    /// [`Tokenizer::line_safe`] allows its narrow ones: with no normalizer,
    /// or, for a whitespace splitter, one that keeps such cuts.
    fn wide_raw_cuts(&self, sp: &crate::pre_tokenizers::plain::PlainSplitter<'_>) -> bool {
        use crate::pre_tokenizers::plain::LineCut;
        match &self.normalizer {
            None => true,
            Some(n) => sp.line_cut() == LineCut::Whitespace && keeps_wide_space_cuts(n),
        }
    }

    fn encode_sequence(
        &self,
        seq: &InputSequence,
        type_id: u32,
        offsets: OffsetType,
    ) -> Result<Encoding> {
        match seq {
            InputSequence::Raw(s) => match self.encode_str_in_parts(s, type_id, offsets) {
                Some(e) => e,
                None => self.encode_str(s, type_id, None, offsets),
            },
            InputSequence::PreTokenized(words) => {
                let mut parts = Vec::with_capacity(words.len());
                for (i, w) in words.iter().enumerate() {
                    parts.push(self.encode_str(w, type_id, Some(i as u32), offsets)?);
                }
                Ok(Encoding::merge(parts, false))
            }
        }
    }

    /// Encodes one input (sequence or pair), with truncation, post-processing
    /// and padding as configured.
    pub fn encode(
        &self,
        input: &EncodeInput,
        add_special_tokens: bool,
        offsets: OffsetType,
    ) -> Result<Encoding> {
        let mut e = self.encode_deferred(input, add_special_tokens, offsets)?;
        self.fill_tokens(&mut e);
        Ok(e)
    }

    /// Builds the token strings an encoding of this tokenizer's left empty
    /// (see [`Encoding::tokens`]).
    pub fn fill_tokens(&self, e: &mut Encoding) {
        e.fill_tokens(&|id| self.model.id_to_token(id));
    }

    /// [`Tokenizer::encode`], with the model's token strings maybe left
    /// empty (see [`Encoding::tokens`]) for the caller to build when read.
    pub fn encode_deferred(
        &self,
        input: &EncodeInput,
        add_special_tokens: bool,
        offsets: OffsetType,
    ) -> Result<Encoding> {
        let e = self.encode_sequence(&input.first, 0, offsets)?;
        let p = match &input.second {
            Some(s) => Some(self.encode_sequence(s, 1, offsets)?),
            None => None,
        };
        self.post_process(e, p, add_special_tokens)
    }

    /// The ids only, with the same pipeline.
    pub fn encode_ids(&self, s: &str, add_special_tokens: bool) -> Result<Vec<u32>> {
        let mut ids = Vec::new();
        self.encode_ids_into(s, add_special_tokens, &mut ids)?;
        Ok(ids)
    }

    /// [`Tokenizer::encode_ids`], the ids appended to `out` (a batch's
    /// texts one after another into one buffer: no allocation per text).
    /// On an error, what `out` holds past its old length is unspecified.
    pub fn encode_ids_into(
        &self,
        s: &str,
        add_special_tokens: bool,
        out: &mut Vec<u32>,
    ) -> Result<()> {
        if let Some(done) = self.fast_ids(s, add_special_tokens, out) {
            return done;
        }
        let e = self.encode(&s.into(), add_special_tokens, OffsetType::Byte)?;
        out.extend_from_slice(&e.ids);
        Ok(())
    }

    /// Ids without an `Encoding` or a `NormalizedString` per word, when the
    /// pipeline allows: a pre-tokenizer that only cuts the text (and maybe
    /// rewrites bytes as ByteLevel does), no added token found in the text,
    /// no truncation or padding, and no special tokens to add. The normalizer
    /// (if any) runs once on the whole text. `None` otherwise. Gives exactly
    /// `encode(s).ids` (tested against `tokenizers`).
    fn fast_ids(
        &self,
        s: &str,
        add_special_tokens: bool,
        out: &mut Vec<u32>,
    ) -> Option<Result<()>> {
        if self.truncation.is_some()
            || self.padding.is_some()
            || (add_special_tokens && self.num_special_tokens_to_add(false) > 0)
        {
            return None;
        }
        let splitter = match &self.pre_tokenizer {
            Some(p) => Some(crate::pre_tokenizers::plain::PlainSplitter::new(p)?),
            None if s.is_empty() => return None, // one empty word: the model decides
            None => None,
        };
        if let Err(e) = crate::normalized::check_len(s) {
            return Some(Err(e));
        }
        if splitter.is_none() && self.raw_metaspace() {
            if self.added_vocabulary.occurs_in_raw(s) {
                return None;
            }
            // One long text: cut before spaces where pieces start anyway.
            let cut = part_ranges(s, |size| crate::models::bpe::raw_metaspace_starts(s, size));
            let Some(ranges) = cut else {
                return Some(self.plain_ids(Words::RawMetaspace, s, true, out));
            };
            return ids_of_parts(&ranges, out, |a, z| {
                let mut ids = Vec::new();
                self.plain_ids(Words::RawMetaspace, &s[a..z], a == 0, &mut ids)?;
                Ok(Some(ids))
            });
        }
        // One long text for a whitespace splitter after a normalizer: cut
        // the raw text where the whole pipeline allows it (see
        // `line_safe`), each part normalized and encoded on its own thread.
        // (The length is checked first: `line_safe` builds a splitter.)
        let safe = match (&splitter, &self.normalizer) {
            (Some(_), Some(n)) if s.len() >= HUGE_TEXT => self
                .line_safe()
                .filter(|sp| sp.line_cut() == crate::pre_tokenizers::plain::LineCut::Whitespace)
                .map(|sp| (sp, n)),
            _ => None,
        };
        if let Some((sp, n)) = &safe {
            let wide = self.wide_raw_cuts(sp);
            if let Some(ranges) = part_ranges(s, |size| sp.line_starts(s, size, wide)) {
                if self.added_vocabulary.occurs_in_raw(s) {
                    return None;
                }
                return ids_of_parts(&ranges, out, |a, z| {
                    let text = n.normalize_str(&s[a..z])?;
                    if self.added_vocabulary.occurs_in_normalized(&text) {
                        return Ok(None);
                    }
                    let mut ids = Vec::new();
                    self.plain_ids(Words::Split(sp), &text, a == 0, &mut ids)?;
                    Ok(Some(ids))
                });
            }
        }
        let normalized;
        let text = match &self.normalizer {
            Some(n) => match n.normalize_str(s) {
                Ok(t) => {
                    normalized = t;
                    normalized.as_str()
                }
                Err(e) => return Some(Err(e)),
            },
            None => s,
        };
        if splitter.is_none() && text.is_empty() {
            return None;
        }
        if !self.added_vocabulary.is_empty() && self.added_vocabulary.occurs_in(s, text) {
            return None;
        }
        let Some(sp) = splitter else {
            return Some(self.plain_ids(Words::Whole, text, true, out));
        };
        // One long text: cut at line starts where the pre-tokenizer allows,
        // the parts encoded on all cores (same ids as in one piece).
        let Some(ranges) = part_ranges(text, |size| sp.line_starts(text, size, true)) else {
            return Some(self.plain_ids(Words::Split(&sp), text, true, out));
        };
        ids_of_parts(&ranges, out, |a, z| {
            let mut ids = Vec::new();
            self.plain_ids(Words::Split(&sp), &text[a..z], a == 0, &mut ids)?;
            Ok(Some(ids))
        })
    }

    /// [`Tokenizer::encode_str_counted`] for byte-level BPE with no
    /// normalizer, when no added token occurs in `s` and ByteLevel adds no
    /// prefix space: every word is then a slice of `s` and every token of a
    /// word stands for as many of its bytes as the token has chars, so the
    /// words, ids (from the id cache) and offsets come from the bulk-ids
    /// path, with no `NormalizedString`. A token that cuts a multi-byte char
    /// gets the whole char's offsets, as ByteLevel's alignments give it.
    /// The token strings are left empty (see [`Encoding::tokens`]).
    /// `None` when the pipeline is another or the vocabulary lacks one of
    /// ByteLevel's chars (a word could then have an unknown token, or lose
    /// a char): the general path decides then.
    fn byte_level_encoding(
        &self,
        s: &str,
        type_id: u32,
        word_idx: Option<u32>,
        offsets: OffsetType,
    ) -> Option<Result<(Encoding, usize)>> {
        let Model::BPE(bpe) = &*self.model else {
            return None;
        };
        if !bpe.spells_bytes() || self.normalizer.is_some() || s.is_empty() {
            return None;
        }
        let sp = crate::pre_tokenizers::plain::PlainSplitter::new(self.pre_tokenizer.as_ref()?)?;
        if !sp.byte_level() || sp.adds_prefix_space() {
            return None;
        }
        if let Err(e) = crate::normalized::check_len(s) {
            return Some(Err(e));
        }
        if !self.added_vocabulary.is_empty() && self.added_vocabulary.occurs_in(s, s) {
            return None;
        }
        let in_chars = offsets == OffsetType::Char;
        let mut e = Encoding::default();
        e.tokens.reserve(s.len() / 3 + 1);
        e.offsets.reserve(s.len() / 3 + 1);
        e.words.reserve(s.len() / 3 + 1);
        let mut n_words = 0u32;
        let mut fits = true;
        let base = s.as_ptr() as usize;
        // A cursor (byte, char index) that only moves forward, so that char
        // offsets cost a count over each byte once (plus a char per token).
        let (mut cur_b, mut cur_c) = (0usize, 0usize);
        let mut ids = Vec::with_capacity(s.len() / 3 + 1);
        let done = self.plain_ids_then(Words::Split(&sp), s, true, &mut ids, |w, ids| {
            let at = (w.as_ptr() as usize).wrapping_sub(base);
            if !fits || at < cur_b || at > s.len() || w.len() > s.len() - at {
                fits = false;
                return;
            }
            let word = word_idx.or(Some(n_words));
            n_words += 1;
            let end = at + w.len();
            let ascii = w.is_ascii();
            let mut pos = at;
            let last = ids.len().wrapping_sub(1);
            for (k, &id) in ids.iter().enumerate() {
                // The last token takes the rest of the word (most words are
                // one token): no length lookup for it.
                let n = match bpe.token_chars(id) {
                    _ if k == last => end - pos,
                    Some(n) => n,
                    None => {
                        fits = false;
                        return;
                    }
                };
                let (mut a, mut b) = (pos, pos + n);
                if n == 0 || b > end {
                    fits = false;
                    return;
                }
                pos = b;
                if !ascii {
                    while !s.is_char_boundary(a) {
                        a -= 1;
                    }
                    while !s.is_char_boundary(b) {
                        b += 1;
                    }
                }
                let o = if !in_chars {
                    (a, b)
                } else if a < cur_b {
                    fits = false;
                    return;
                } else {
                    cur_c += char_count(&s.as_bytes()[cur_b..a]);
                    cur_b = a;
                    let len = if ascii {
                        b - a
                    } else {
                        char_count(&s.as_bytes()[a..b])
                    };
                    (cur_c, cur_c + len)
                };
                e.tokens.push(String::new());
                e.offsets.push(o);
                e.words.push(word);
            }
            fits &= pos == end;
        });
        finish_plain(e, done.map(|()| ids), fits, type_id, n_words as usize)
    }

    /// [`Tokenizer::encode_str_counted`] for pipelines whose pre-tokenizer
    /// only cuts the normalized text (no ByteLevel, no Metaspace; or none),
    /// when no added token occurs in it: the normalizer runs once on the
    /// whole text with alignments, the words and ids come from the
    /// bulk-ids path (id cache) on its result, and each token's normalized
    /// bytes follow from its id ([`Model::token_len`]); a word whose tokens
    /// do not tell (an unknown token) is run through the model for its
    /// offsets. Offsets go back to the original text through the
    /// normalizer's alignments, as in the general path. The token strings
    /// are left empty (see [`Encoding::tokens`]).
    fn aligned_encoding(
        &self,
        s: &str,
        type_id: u32,
        word_idx: Option<u32>,
        offsets: OffsetType,
    ) -> Option<Result<(Encoding, usize)>> {
        let sp = match &self.pre_tokenizer {
            Some(p) => Some(crate::pre_tokenizers::plain::PlainSplitter::new(p)?),
            None => None,
        };
        if s.is_empty() || sp.as_ref().is_some_and(|sp| sp.rewrites()) {
            return None;
        }
        if let Err(e) = crate::normalized::check_len(s) {
            return Some(Err(e));
        }
        // The normalized text, and its alignments unless they are the
        // identity: no normalizer, or an ASCII text that one which maps each
        // ASCII char to at most one ASCII char leaves as long as it was.
        // Other texts, with a normalizer that works char by char: each char
        // normalized alone, kept when their concatenation is the whole
        // text's normalization (else, and for any other normalizer, the
        // full normalizer with alignments).
        let steps = self.normalizer.as_ref().and_then(char_local_steps);
        let (plain, mut aligned) = match (&self.normalizer, steps) {
            (None, _) => (None, None),
            (Some(norm), Some((prefix, steps))) => match norm.normalize_str(s) {
                Ok(t)
                    if prefix.is_none()
                        && steps.iter().all(|n| ascii_one_to_one(n))
                        && s.is_ascii()
                        && t.len() == s.len() =>
                {
                    (Some(t), None)
                }
                Ok(t) => {
                    let n = crate::normalized::NormalizedString::char_local(
                        s,
                        prefix.unwrap_or(""),
                        |c| {
                            let mut out = c.to_string();
                            for step in &steps {
                                out = step.normalize_str(&out).ok()?;
                            }
                            Some(out)
                        },
                    );
                    match n {
                        Some(n) if n.get() == t => (None, Some(n)),
                        _ => (None, None),
                    }
                }
                Err(e) => return Some(Err(e)),
            },
            (Some(_), None) => (None, None),
        };
        if let (None, None, Some(norm)) = (&plain, &aligned, &self.normalizer) {
            let mut n = crate::normalized::NormalizedString::from(s);
            if let Err(e) = norm.normalize(&mut n) {
                return Some(Err(e));
            }
            aligned = Some(n);
        }
        let text = match (&plain, &aligned) {
            (Some(t), _) => t.as_str(),
            (None, Some(n)) => n.get(),
            (None, None) => s,
        };
        if text.is_empty()
            || (!self.added_vocabulary.is_empty() && self.added_vocabulary.occurs_in(s, text))
        {
            return None;
        }
        let chars = match offsets {
            OffsetType::Char if !s.is_ascii() => Some(CharOffsets::new(s)),
            _ => None,
        };
        let mut e = Encoding::default();
        let mut n_words = 0u32;
        let mut fits = true;
        let base = text.as_ptr() as usize;
        let push = |e: &mut Encoding, (a, b): (usize, usize), word, name: String| {
            let o = match &aligned {
                Some(n) => n.normalized_to_original(a, b).unwrap_or((a, b)),
                // The text as it came (or ASCII): a byte-fallback token
                // gets its whole char, as alignments would give it.
                None => {
                    let (mut a, mut b) = (a.min(text.len()), b.min(text.len()));
                    while !text.is_char_boundary(a) {
                        a -= 1;
                    }
                    while !text.is_char_boundary(b) {
                        b += 1;
                    }
                    (a, b)
                }
            };
            let o = match &chars {
                Some(c) => c.convert(o).unwrap_or(o),
                None => o,
            };
            e.tokens.push(name);
            e.offsets.push(o);
            e.words.push(word);
        };
        let words = sp.as_ref().map_or(Words::Whole, Words::Split);
        let mut ids = Vec::with_capacity(text.len() / 3 + 1);
        let done = self.plain_ids_then(words, text, true, &mut ids, |w, ids| {
            let at = (w.as_ptr() as usize).wrapping_sub(base);
            if !fits || at > text.len() || w.len() > text.len() - at {
                fits = false;
                return;
            }
            // Without a pre-tokenizer the text is one word (the model may
            // still have been fed it in pieces).
            let word = match &sp {
                Some(_) => {
                    n_words += 1;
                    word_idx.or(Some(n_words - 1))
                }
                None => word_idx.or(Some(0)),
            };
            let end = at + w.len();
            let (mut pos, last) = (at, ids.len().wrapping_sub(1));
            let from_ids = ids.iter().enumerate().all(|(k, &id)| {
                match self.model.token_len(id, k == 0, k == last) {
                    Some(len) if len > 0 && len <= end - pos => {
                        pos += len;
                        true
                    }
                    _ => false,
                }
            });
            if from_ids && pos == end {
                let mut pos = at;
                for (k, &id) in ids.iter().enumerate() {
                    let len = self.model.token_len(id, k == 0, k == last).unwrap_or(0);
                    push(&mut e, (pos, pos + len), word, String::new());
                    pos += len;
                }
                return;
            }
            // An unknown token: the model says what each token covers (and
            // its string, which is not always the vocabulary's: WordLevel
            // and Unigram name it by the text it stands for).
            match self.model.tokenize(w) {
                Ok(toks) if toks.iter().map(|t| t.id).eq(ids.iter().copied()) => {
                    for t in toks {
                        push(&mut e, (at + t.offsets.0, at + t.offsets.1), word, t.value);
                    }
                }
                _ => fits = false,
            }
        });
        let words = if sp.is_some() { n_words } else { 1 };
        finish_plain(e, done.map(|()| ids), fits, type_id, words as usize)
    }

    /// The ids of `text` (already normalized, but for
    /// [`Words::RawMetaspace`]) cut into words as `words` says, through the
    /// model, appended to `ids`.
    fn plain_ids(
        &self,
        words: Words,
        text: &str,
        at_start: bool,
        ids: &mut Vec<u32>,
    ) -> Result<()> {
        self.plain_ids_then(words, text, at_start, ids, |_, _| {})
    }

    /// [`Tokenizer::plain_ids`], calling `then` with each word and its ids.
    fn plain_ids_then(
        &self,
        words: Words,
        text: &str,
        at_start: bool,
        ids: &mut Vec<u32>,
        mut then: impl FnMut(&str, &[u32]),
    ) -> Result<()> {
        let splitter = match words {
            Words::Split(sp) => Some(sp),
            _ => None,
        };
        let raw_meta = matches!(words, Words::RawMetaspace);
        let byte_level = splitter.is_some_and(|sp| sp.byte_level());
        let mut mapped = String::new();
        let mut err = None;
        // What a word goes through before the model.
        let rewrite = |first: bool| {
            if byte_level {
                Rewrite::ByteLevel
            } else if raw_meta {
                Rewrite::Metaspace { first }
            } else {
                Rewrite::None
            }
        };
        let mut model_ids = |w: &str, first: bool, ids: &mut Vec<u32>| -> Result<()> {
            self.model_ids(w, rewrite(first), &mut mapped, ids)
        };
        // Raw words (before ByteLevel's rewrite; Llama-2's before its
        // normalizer, which a plain-text word would have gone through) are
        // keys of their own.
        let owner = self
            .model
            .cache_uid()
            .map(|u| u << 2 | u64::from(byte_level) | u64::from(raw_meta) << 1);
        // The first word of a raw Llama-2 text has the `▁` put before the
        // text: it is keyed by its normalized form (which has no space, so
        // no raw word of another meaning has the same bytes).
        let mut first_key = String::new();
        crate::id_cache::with_cache(owner, |mut cache| {
            if let (Words::Split(sp), Some(c)) = (words, cache.as_deref_mut()) {
                if let Some(h) = sp.hand_only() {
                    return self.hand_split_ids(h, text, rewrite(false), c, ids, then);
                }
            }
            ids.reserve(text.len() / 3 + 1);
            let mut word = |w: &str, first: bool| {
                if err.is_some() {
                    return;
                }
                let start = ids.len();
                let key = match cache.as_deref() {
                    Some(c) => match if first {
                        first_key.clear();
                        meta_normalized(w, true, &mut first_key);
                        crate::id_cache::key(first_key.as_bytes())
                    } else {
                        crate::id_cache::key_in(text, w)
                    } {
                        Some(k) if c.extend(k, ids) => {
                            then(w, &ids[start..]);
                            return;
                        }
                        k => k,
                    },
                    None => None,
                };
                if let Err(e) = model_ids(w, first, ids) {
                    err = Some(e);
                    return;
                }
                if let (Some(c), Some(k)) = (cache.as_deref_mut(), key) {
                    c.insert(k, &ids[start..]);
                }
                then(w, &ids[start..]);
            };
            let split = match (words, &*self.model) {
                (Words::Split(sp), _) => sp.split_part(text, at_start, &mut |w| word(w, false)),
                // SentencePiece-style BPE without a pre-tokenizer (Llama-2):
                // the text is one word, cut where no merge can cross.
                (Words::Whole, Model::BPE(b)) if b.cuts_before_metaspace() => {
                    crate::models::bpe::metaspace_pieces(text, b.isolated_chars(), |w| {
                        word(w, false)
                    });
                    Ok(())
                }
                (Words::RawMetaspace, Model::BPE(b)) => {
                    crate::models::bpe::raw_metaspace_pieces(
                        text,
                        b.isolated_chars(),
                        at_start,
                        &mut word,
                    );
                    Ok(())
                }
                (_, _) => {
                    word(text, false);
                    Ok(())
                }
            };
            match (split, err) {
                (Err(e), _) | (Ok(()), Some(e)) => Err(e),
                (Ok(()), None) => Ok(()),
            }
        })
    }

    /// The ids of one word through the model, after `how`'s rewrite (into
    /// `mapped`).
    fn model_ids(
        &self,
        w: &str,
        how: Rewrite,
        mapped: &mut String,
        ids: &mut Vec<u32>,
    ) -> Result<()> {
        let w = match how {
            Rewrite::ByteLevel => {
                let table = crate::pre_tokenizers::byte_level::byte_to_char();
                mapped.clear();
                mapped.extend(w.bytes().map(|b| table[b as usize]));
                mapped.as_str()
            }
            Rewrite::Metaspace { first } => {
                mapped.clear();
                meta_normalized(w, first, mapped);
                mapped.as_str()
            }
            Rewrite::None => w,
        };
        match &*self.model {
            Model::BPE(b) => b.extend_ids(w, ids),
            Model::WordPiece(wp) => wp.extend_ids(w, ids),
            m => m
                .tokenize(w)
                .map(|t| ids.extend(t.into_iter().map(|t| t.id))),
        }
    }

    /// [`Tokenizer::plain_ids_then`] for a text cut by a hand-written
    /// matcher alone (cl100k, o200k, Llama-3, GPT-2), with the id cache:
    /// the matcher's loop only records where each word is, and the words
    /// are looked up SPANS at a time in a loop of their own, where a short
    /// word that hits (nearly all of them) costs a masked load, a hash, one
    /// probe and one 16-byte store of its value's four lanes. A word of
    /// 16-31 bytes is read in place for the long table; everything else
    /// goes through [`Tokenizer::cached_word_ids`].
    fn hand_split_ids(
        &self,
        h: crate::pattern::Splitter,
        text: &str,
        how: Rewrite,
        cache: &mut IdCache,
        ids: &mut Vec<u32>,
        mut then: impl FnMut(&str, &[u32]),
    ) -> Result<()> {
        const SPANS: usize = 64;
        ids.reserve(text.len() / 3 + 4 * SPANS);
        let mut mapped = String::new();
        let bytes = text.as_bytes();
        // `look_up` appends the ids of the words at `spans` to `ids`. A hit
        // stores its value's four lanes whatever its count (room for them
        // is made once per batch of words) and keeps the count: the lanes
        // past it are cut off again. (Zeroing room ahead, as this loop once
        // did, took 2% of code through Python; writing into the spare
        // capacity with the length kept in a register, set once per batch,
        // took 5% more instructions and was no faster, measured.)
        let mut look_up = |spans: &[(usize, usize)], ids: &mut Vec<u32>, cache: &mut IdCache| {
            ids.reserve(4 * SPANS);
            let mut view = cache.view();
            for &(a, b) in spans {
                let at = ids.len();
                let val = crate::id_cache::value_at(&view, bytes, a, b - a);
                if let Some((n, lanes)) = val.and_then(crate::id_cache::inline_ids) {
                    ids.extend_from_slice(lanes);
                    ids.truncate(at + n);
                    if let (Some(word), Some(got)) = (text.get(a..b), ids.get(at..)) {
                        then(word, got);
                    }
                    continue;
                }
                let Some(word) = text.get(a..b) else {
                    return Err(Error::config(
                        "internal: a split pattern matcher cut inside a char",
                    ));
                };
                // A short word with more than three ids, a long word found
                // in place, or (a miss, or a word the tables do not take)
                // the general lookup, then the model.
                let found = match val {
                    Some(&v) => {
                        cache.push_value(v, ids);
                        true
                    }
                    None => cache.extend_long_at(bytes, a, b - a, ids),
                };
                if !found {
                    self.cached_word_ids(text, word, how, cache, &mut mapped, ids)?;
                    view = cache.view();
                }
                if let Some(got) = ids.get(at..) {
                    then(word, got);
                }
            }
            Ok(())
        };
        let mut spans = [(0usize, 0usize); SPANS];
        let mut n = 0;
        let mut err = None;
        h.split(text, |a, b| {
            if let Some(s) = spans.get_mut(n) {
                *s = (a, b);
            }
            n += 1;
            if n == SPANS {
                if err.is_none() {
                    err = look_up(&spans, ids, cache).err();
                }
                n = 0;
            }
        });
        if let Some(e) = err {
            return Err(e);
        }
        look_up(&spans[..n.min(SPANS)], ids, cache)
    }

    /// The ids of `word` (a slice of `text`) from the cache's other tables,
    /// or through the model (then recorded in the cache): what
    /// [`Tokenizer::hand_split_ids`]' loop does not answer itself. (The
    /// per-word closure of [`Tokenizer::plain_ids_then`] does the same with
    /// its own keys; calling a shared function from it cost BERT 4.5% more
    /// instructions per word, measured, so it keeps its own copy.)
    #[inline(never)]
    fn cached_word_ids(
        &self,
        text: &str,
        word: &str,
        how: Rewrite,
        cache: &mut IdCache,
        mapped: &mut String,
        ids: &mut Vec<u32>,
    ) -> Result<()> {
        let start = ids.len();
        let key = crate::id_cache::key_in(text, word);
        if let Some(k) = key {
            if cache.extend(k, ids) {
                return Ok(());
            }
        }
        self.model_ids(word, how, mapped, ids)?;
        if let Some(k) = key {
            cache.insert(k, &ids[start..]);
        }
        Ok(())
    }

    /// True for Llama-2's pipeline (and Mistral's): no pre-tokenizer, a BPE
    /// cut before each `▁` (see [`crate::models::bpe::Bpe::cuts_before_metaspace`])
    /// and a normalizer that only puts `▁` before the text and in place of
    /// each space, with no added token matched on the normalized text. Its
    /// words can then be cut and looked up in the raw text.
    fn raw_metaspace(&self) -> bool {
        use crate::normalizers::StringOrRegex;
        let meta = |t: &str| t.chars().eq([crate::models::bpe::METASPACE]);
        let (Some(Normalizer::Sequence(seq)), Model::BPE(b)) = (&self.normalizer, &*self.model)
        else {
            return false;
        };
        let steps = match seq.normalizers.as_slice() {
            [Normalizer::Prepend(p), Normalizer::Replace(r)] => (p, r),
            _ => return false,
        };
        self.pre_tokenizer.is_none()
            && b.cuts_before_metaspace()
            && meta(&steps.0.prepend)
            && matches!(&steps.1.pattern, StringOrRegex::String(sp) if sp == " ")
            && meta(&steps.1.content)
            && !self.added_vocabulary.matches_normalized()
    }

    pub fn num_special_tokens_to_add(&self, is_pair: bool) -> usize {
        self.post_processor
            .as_ref()
            .map_or(0, |p| p.added_tokens(is_pair))
    }

    pub fn post_process(
        &self,
        mut e: Encoding,
        mut p: Option<Encoding>,
        add_special_tokens: bool,
    ) -> Result<Encoding> {
        if self
            .post_processor
            .as_ref()
            .is_some_and(|pp| pp.reads_tokens())
        {
            self.fill_tokens(&mut e);
            if let Some(p) = &mut p {
                self.fill_tokens(p);
            }
        }
        let (e, p) = match &self.truncation {
            Some(t) => {
                let n = if add_special_tokens {
                    self.num_special_tokens_to_add(p.is_some())
                } else {
                    0
                };
                let mut params = t.clone();
                params.max_length = t.max_length.checked_sub(n).ok_or_else(|| {
                    Error::input(format!(
                        "truncation: max_length {} leaves no room for the {n} special tokens",
                        t.max_length
                    ))
                })?;
                truncate_encodings(e, p, &params)?
            }
            None => (e, p),
        };
        let mut out = match &self.post_processor {
            Some(pp) => pp.process(e, p, add_special_tokens)?,
            None => default_process(e, p),
        };
        if let Some(params) = &self.padding {
            pad_encodings(std::slice::from_mut(&mut out), params);
        }
        Ok(out)
    }

    pub fn encode_batch(
        &self,
        inputs: &[EncodeInput],
        add_special_tokens: bool,
        offsets: OffsetType,
    ) -> Result<Vec<Encoding>> {
        let mut out = self.encode_batch_deferred(inputs, add_special_tokens, offsets)?;
        for e in &mut out {
            self.fill_tokens(e);
        }
        Ok(out)
    }

    /// [`Tokenizer::encode_batch`], with the token strings maybe left empty
    /// as by [`Tokenizer::encode_deferred`].
    pub fn encode_batch_deferred(
        &self,
        inputs: &[EncodeInput],
        add_special_tokens: bool,
        offsets: OffsetType,
    ) -> Result<Vec<Encoding>> {
        let len = |s: &InputSequence| match s {
            InputSequence::Raw(s) => s.len(),
            InputSequence::PreTokenized(_) => 0,
        };
        let lens = inputs
            .iter()
            .flat_map(|e| [len(&e.first), e.second.as_ref().map_or(0, len)]);
        let encode =
            |_: usize, i: &EncodeInput| self.encode_deferred(i, add_special_tokens, offsets);
        let mut out = if self.shares_long_parts(lens, false, add_special_tokens) {
            crate::util::par_map_nested(inputs, encode)?
        } else {
            crate::util::par_map_indexed(inputs, encode)?
        };
        if let Some(params) = &self.padding {
            pad_encodings(&mut out, params);
        }
        Ok(out)
    }

    // ---- decoding ---------------------------------------------------------

    pub fn decode(&self, ids: &[u32], skip_special_tokens: bool) -> Result<String> {
        let mut tokens = Vec::with_capacity(ids.len());
        for &id in ids {
            let t = self
                .added_vocabulary
                .simple_id_to_token(id)
                .or_else(|| self.model.id_to_token(id))
                .ok_or_else(|| {
                    Error::input(format!(
                        "decode: id {id} is not in the vocabulary (size {})",
                        self.get_vocab_size(true)
                    ))
                })?;
            if skip_special_tokens && self.added_vocabulary.is_special_token(t) {
                continue;
            }
            tokens.push(t.to_owned());
        }
        match &self.decoder {
            Some(d) => d.decode(tokens),
            None => Ok(tokens.join(" ")),
        }
    }

    pub fn decode_batch(
        &self,
        seqs: &[Vec<u32>],
        skip_special_tokens: bool,
    ) -> Result<Vec<String>> {
        crate::util::par_map(seqs, |ids| self.decode(ids, skip_special_tokens))
    }
}

/// serde stops at the top of an internally tagged component, so an error
/// inside a `Sequence` is reported at the component's key; this walks down the
/// sequences to the element at fault and returns its path and error.
/// The end of the plain `Encoding` paths: `e`'s tokens, offsets and words
/// with `ids` (when every word `fits`: else `None`, for the general path),
/// every token of sequence `type_id`, none special.
fn finish_plain(
    mut e: Encoding,
    ids: Result<Vec<u32>>,
    fits: bool,
    type_id: u32,
    n_words: usize,
) -> Option<Result<(Encoding, usize)>> {
    let ids = match ids {
        Ok(ids) if fits => ids,
        Ok(_) => return None,
        Err(err) => return Some(Err(err)),
    };
    let n = ids.len();
    e.ids = ids;
    e.type_ids = vec![type_id; n];
    e.special_tokens_mask = vec![0; n];
    e.attention_mask = vec![1; n];
    Some(Ok((e, n_words)))
}

/// What a word goes through before the model (see [`Tokenizer::model_ids`]).
#[derive(Clone, Copy)]
enum Rewrite {
    None,
    /// ByteLevel's byte-to-char rewrite.
    ByteLevel,
    /// Llama-2's normalizer (see [`meta_normalized`]).
    Metaspace {
        first: bool,
    },
}

/// How [`Tokenizer::plain_ids_then`] cuts its text into the model's words.
#[derive(Clone, Copy)]
enum Words<'a> {
    /// By the pre-tokenizer's plain splitter.
    Split(&'a crate::pre_tokenizers::plain::PlainSplitter<'a>),
    /// No pre-tokenizer: one word (for SentencePiece-style BPE, cut where no
    /// merge can cross).
    Whole,
    /// The raw text of [`Tokenizer::raw_metaspace`]'s pipeline, cut where
    /// its normalized text would be and each word normalized only when the
    /// model has to encode it.
    RawMetaspace,
}

/// Appends Llama-2's normalization of a raw word: `▁` in place of each
/// space, and `▁` first for the text's first word.
fn meta_normalized(w: &str, first: bool, out: &mut String) {
    use crate::models::bpe::METASPACE;
    if first {
        out.push(METASPACE);
    }
    let mut rest = w;
    while let Some(i) = rest.find(' ') {
        out.push_str(&rest[..i]);
        out.push(METASPACE);
        rest = &rest[i + 1..];
    }
    out.push_str(rest);
}

/// `n` as a `Prepend` (if any, first) and steps that rewrite a text char by
/// char, at least where their output shows it (checked on each text): then
/// each char's output is aligned to it, and the prepended text to the first
/// char. `None` for other normalizers.
fn char_local_steps(n: &Normalizer) -> Option<(Option<&str>, Vec<&Normalizer>)> {
    use crate::normalizers::StringOrRegex;
    match n {
        Normalizer::Prepend(p) => Some((Some(p.prepend.as_str()), Vec::new())),
        Normalizer::Replace(r) => match &r.pattern {
            StringOrRegex::String(lit) if lit.chars().count() == 1 => Some((None, vec![n])),
            _ => None,
        },
        Normalizer::Sequence(seq) => {
            let (mut prefix, mut steps) = (None, Vec::new());
            for (i, m) in seq.normalizers.iter().enumerate() {
                let (p, s) = char_local_steps(m)?;
                if p.is_some() && i > 0 {
                    return None;
                }
                prefix = prefix.or(p);
                steps.extend(s);
            }
            Some((prefix, steps))
        }
        _ if ascii_one_to_one(n) => Some((None, vec![n])),
        _ => None,
    }
}

/// True when `n` maps each ASCII char to at most one ASCII char, on its
/// own, so that an ASCII text it leaves as long as it was is aligned byte
/// for byte (BERT's normalizer drops control chars, turns whitespace into
/// spaces and lowercases; the Unicode forms and accent stripping leave
/// ASCII alone).
fn ascii_one_to_one(n: &Normalizer) -> bool {
    matches!(
        n,
        Normalizer::NFC
            | Normalizer::NFD
            | Normalizer::NFKC
            | Normalizer::NFKD
            | Normalizer::Lowercase
            | Normalizer::StripAccents
            | Normalizer::BertNormalizer(_)
    )
}

/// The chars of UTF-8 bytes (cut at char boundaries): their lead bytes.
fn char_count(b: &[u8]) -> usize {
    b.iter().filter(|&&c| c & 0xC0 != 0x80).count()
}

fn locate_in_sequence(doc: &str, path: &str) -> Option<(String, String)> {
    fn check(kind: &str, v: &Value) -> Option<String> {
        let r = match kind {
            "normalizer" => serde_json::from_value::<Normalizer>(v.clone()).err(),
            "pre_tokenizer" => serde_json::from_value::<PreTokenizer>(v.clone()).err(),
            "post_processor" => serde_json::from_value::<PostProcessor>(v.clone()).err(),
            "decoder" => serde_json::from_value::<Decoder>(v.clone()).err(),
            _ => None,
        };
        r.map(|e| e.to_string())
    }
    let kind = path.split('.').next()?;
    let key = match kind {
        "normalizer" => "normalizers",
        "pre_tokenizer" => "pretokenizers",
        "post_processor" => "processors",
        "decoder" => "decoders",
        _ => return None,
    };
    let root: Value = serde_json::from_str(doc).ok()?;
    let mut v = root.get(kind)?;
    let mut here = kind.to_owned();
    let mut message = check(kind, v)?;
    // Bounded by the depth serde_json accepts.
    for _ in 0..128 {
        let Some(items) = v.get(key).and_then(Value::as_array) else {
            break;
        };
        let Some((i, item, m)) = items
            .iter()
            .enumerate()
            .find_map(|(i, item)| check(kind, item).map(|m| (i, item, m)))
        else {
            break;
        };
        here = format!("{here}.{key}[{i}]");
        message = m;
        v = item;
    }
    Some((here, message))
}

pub fn truncate_encodings(
    mut e: Encoding,
    mut p: Option<Encoding>,
    params: &TruncationParams,
) -> Result<(Encoding, Option<Encoding>)> {
    if params.max_length == 0 {
        e.truncate(0, params.stride, params.direction)?;
        if let Some(p) = p.as_mut() {
            p.truncate(0, params.stride, params.direction)?;
        }
        return Ok((e, p));
    }
    let total = e.len() + p.as_ref().map_or(0, Encoding::len);
    if total <= params.max_length {
        return Ok((e, p));
    }
    let to_remove = total - params.max_length;
    match params.strategy {
        TruncationStrategy::LongestFirst => match p.as_mut() {
            Some(pe) => {
                let (mut n1, mut n2) = (e.len(), pe.len());
                let swap = n1 > n2;
                if swap {
                    std::mem::swap(&mut n1, &mut n2);
                }
                if n1 > params.max_length {
                    n2 = n1;
                } else {
                    n2 = n1.max(params.max_length - n1);
                }
                if n1 + n2 > params.max_length {
                    n1 = params.max_length / 2;
                    n2 = n1 + params.max_length % 2;
                }
                if swap {
                    std::mem::swap(&mut n1, &mut n2);
                }
                e.truncate(n1, params.stride, params.direction)?;
                pe.truncate(n2, params.stride, params.direction)?;
            }
            None => e.truncate(total - to_remove, params.stride, params.direction)?,
        },
        TruncationStrategy::OnlyFirst | TruncationStrategy::OnlySecond => {
            let target = if params.strategy == TruncationStrategy::OnlyFirst {
                &mut e
            } else {
                p.as_mut().ok_or_else(|| {
                    Error::input("truncation: strategy only_second needs a pair of sequences")
                })?
            };
            let n = target.len();
            if n > to_remove {
                target.truncate(n - to_remove, params.stride, params.direction)?;
            } else {
                return Err(Error::input(
                    "truncation: the sequence to truncate is too short to respect max_length",
                ));
            }
        }
    }
    Ok((e, p))
}

pub fn pad_encodings(encs: &mut [Encoding], params: &PaddingParams) {
    if encs.is_empty() {
        return;
    }
    let mut len = match params.strategy {
        PaddingStrategy::Fixed(n) => n,
        PaddingStrategy::BatchLongest => encs.iter().map(Encoding::len).max().unwrap_or(0),
    };
    if let Some(m) = params.pad_to_multiple_of {
        if m > 0 && len % m > 0 {
            len += m - len % m;
        }
    }
    for e in encs {
        e.pad(
            len,
            params.pad_id,
            params.pad_type_id,
            &params.pad_token,
            params.direction,
        );
    }
}
