//! Byte-pair encoding with ranked merges.
//!
//! A word starts as one symbol per char (with `continuing_subword_prefix` and
//! `end_of_word_suffix` applied, unknown chars mapped to byte-fallback tokens
//! or `unk`), then the adjacent pair with the lowest merge rank is merged,
//! leftmost first, until no pair has a merge. Short words (up to 16 symbols)
//! rescan for the best pair. Longer ones keep their symbols in a linked list
//! and the candidate pairs in a queue by (rank, position), with stale entries
//! skipped on pop: a binary heap, O(n log n) in the word length; or, for a
//! word of 256 symbols or more made of few distinct pairs (a run of one char,
//! spaces, one emoji), one list of positions per rank walked left to right,
//! linear in practice (a list is sorted only if pairs reach it out of order,
//! which a trained merge list never causes). Never quadratic, whatever the
//! input.

use super::{opt_bool, opt_str, read_vocab, vocab_value, Vocab, VocabR};
use crate::error::{Error, Result};
use crate::normalized::Token;
use crate::util::{FxHashMap, WordCache};
use serde_json::{json, Value};
use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

#[derive(Debug, Clone, Default)]
pub struct Bpe {
    pub vocab: Vocab,
    pub vocab_r: VocabR,
    /// (left id << 32 | right id) -> (rank, merged id)
    pub merges: FxHashMap<u64, (u32, u32)>,
    /// The merges as written, in rank order, for saving.
    pub merge_list: Vec<(String, String)>,
    pub dropout: Option<f32>,
    pub unk_token: Option<String>,
    pub continuing_subword_prefix: Option<String>,
    pub end_of_word_suffix: Option<String>,
    pub fuse_unk: bool,
    pub byte_fallback: bool,
    pub ignore_merges: bool,
    /// tiktoken's rule: a pair's priority is the id (rank) of the token it
    /// makes, equal priorities leftmost first, instead of the merge's place in
    /// the list. Set for tiktoken encodings; tokenizer.json cannot say it.
    pub rank_by_result: bool,
    /// `<0xNN>` ids, when byte_fallback is on and the vocab has them.
    byte_ids: Option<Box<[u32; 256]>>,
    /// The id of each single-char token below U+0800 (`u32::MAX` if none),
    /// and of the others in a map, when no prefix or suffix is added to
    /// chars: the initial symbols of a word without a string lookup per char.
    char_ids: Option<CharIds>,
    /// The chars of each id's token (0 when it has none or over 255).
    token_chars: Vec<u8>,
    /// True when each of ByteLevel's 256 chars is a token and no prefix or
    /// suffix is added: a byte-level word's tokens then spell it exactly.
    spells_bytes: bool,
    /// Identifies this vocabulary+merges in the per-thread word cache; a new
    /// value whenever `rebuild` runs.
    uid: u64,
    /// True when a word can be cut before every `▁` that follows another char
    /// without changing the result (see `metaspace_cuts_are_exact`).
    metaspace_cuts: bool,
    /// ASCII chars (bit per char) that no merge can join to a neighbour
    /// (see `isolated_ascii`): with `metaspace_cuts`, a word is also cut
    /// before and after each.
    isolated: u128,
}

pub const METASPACE: char = '\u{2581}';

/// SentencePiece-style vocabularies see a whole sentence as one word (spaces
/// are `▁`), which makes the word long and the cache useless. Cutting before
/// a `▁` that follows another char is exact when no merge can ever join the
/// two sides: when no merged token contains a char other than `▁` followed by
/// `▁`, and `▁` itself is a token (so it never fuses into an unknown run).
fn metaspace_cuts_are_exact(b: &Bpe) -> bool {
    if b.prefix().is_some()
        || b.suffix().is_some()
        || b.ignore_merges
        || b.dropout.is_some_and(|d| d > 0.0)
        || !b.vocab.contains_key("\u{2581}")
    {
        return false;
    }
    b.merge_list.iter().all(|(x, y)| {
        let merged = format!("{x}{y}");
        let mut prev: Option<char> = None;
        for c in merged.chars() {
            if c == METASPACE && prev.is_some_and(|p| p != METASPACE) {
                return false;
            }
            prev = Some(c);
        }
        true
    })
}

/// The ASCII chars no merge can join to a neighbour, so that a word may be
/// cut before and after each without changing its ids (on top of the
/// metaspace cuts, whose conditions must hold too): chars in no token of two
/// or more chars, that are a token themselves or, with byte fallback, whose
/// `<0xNN>` token is in no merge. (An unknown char is left out: with
/// `fuse_unk`, runs of them fuse.) Llama-2's `\n` and `\t` are such chars:
/// code split into lines caches well.
fn isolated_ascii(b: &Bpe) -> u128 {
    let mut joined = 0u128;
    for tok in b.vocab.keys() {
        if tok.chars().nth(1).is_some() {
            for c in tok.bytes().filter(u8::is_ascii) {
                joined |= 1 << c;
            }
        }
    }
    let in_merges: std::collections::HashSet<u32> = b
        .merges
        .keys()
        .flat_map(|&k| [(k >> 32) as u32, k as u32])
        .collect();
    let mut isolated = 0u128;
    for c in 0..128u8 {
        if joined >> c & 1 == 1 {
            continue;
        }
        let own_token = b
            .vocab
            .contains_key(char::from(c).encode_utf8(&mut [0; 4]) as &str);
        let byte_token = b
            .byte_ids
            .as_ref()
            .is_some_and(|t| !in_merges.contains(&t[usize::from(c)]));
        if own_token || byte_token {
            isolated |= 1 << c;
        }
    }
    isolated
}

/// Chars below this have a slot in `Bpe::char_ids`.
const CHAR_IDS: usize = 0x800;
/// Words of at most this many symbols merge by a scan for the best pair
/// (quadratic, but on a bounded length that beats the heap's set-up).
const SCAN_MERGE_MAX: usize = 16;
/// Words of at least this many symbols merge by [`Bpe::bucket_merge`] when
/// their first [`PAIR_PROBE`] pairs hold at most [`PAIR_PROBE_DISTINCT`]
/// distinct ones (a run of one char, or of a short unit). A word of many
/// different pairs (base64, random CJK) merges faster by the heap: each
/// rank costs the bucket queue a list of its own.
const BUCKET_MERGE_MIN: usize = 256;
const PAIR_PROBE: usize = 256;
const PAIR_PROBE_DISTINCT: usize = 64;

const WORD_CACHE_CAPACITY: usize = 1 << 16;
/// Longer words are not cached (rare, and they would crowd the cache).
const WORD_CACHE_MAX_LEN: usize = 64;

/// Single-char token ids: a table below [`CHAR_IDS`], a map above.
type CharIds = (Box<[u32]>, FxHashMap<char, u32>);

/// A word's pieces: `(id, byte length)`.
type Pieces = Box<[(u32, u32)]>;

thread_local! {
    /// Words seen recently on this thread, with their pieces.
    static WORD_CACHE: RefCell<WordCache<Pieces>> = RefCell::default();
}

/// Calls `f` with the pieces of `word` cut before each `▁` that follows
/// another char, and before and after each ASCII char of `isolated` (cuts
/// no merge crosses when `Bpe::cuts_before_metaspace`; see
/// [`Bpe::isolated_chars`]).
pub fn metaspace_pieces<'w>(word: &'w str, isolated: u128, mut f: impl FnMut(&'w str)) {
    cut_metaspace(word, isolated, false, false, |w, _| f(w));
}

/// [`metaspace_pieces`] of the text that Llama-2's normalizer makes of
/// `raw` (`▁` put first, each space replaced by `▁`), found in `raw` itself
/// with a space counting as a `▁`: each piece is given as its slice of
/// `raw`, and whether it is the first (whose normalized form starts with
/// the `▁` put first; its slice may then be empty). Same pieces, tested
/// against normalizing first. `at_start` is false for a later part of a
/// text cut by [`raw_metaspace_starts`]: no `▁` is put before it.
pub fn raw_metaspace_pieces<'w>(
    raw: &'w str,
    isolated: u128,
    at_start: bool,
    f: impl FnMut(&'w str, bool),
) {
    cut_metaspace(raw, isolated, true, at_start, f);
}

/// Byte offsets that cut a raw Llama-2 text into parts of about `size`
/// bytes whose [`raw_metaspace_pieces`] (all but the first part's without
/// the `▁` put first) are, in order, the whole text's: each is a space
/// after a char that is neither a space nor a `▁` (in any script), where a
/// piece starts anyway.
pub fn raw_metaspace_starts(raw: &str, size: usize) -> Vec<usize> {
    let (b, size) = (raw.as_bytes(), size.max(1));
    let mut cuts = Vec::new();
    let mut from = size;
    while from < b.len() {
        let Some(i) = b[from..].iter().position(|&c| c == b' ').map(|i| from + i) else {
            break;
        };
        let after_meta = b[i - 1] == b' ' || (i >= 3 && b[i - 3..i] == [0xE2, 0x96, 0x81]);
        if !after_meta {
            cuts.push(i);
            from = i + size;
        } else {
            from = i + 1;
        }
    }
    cuts
}

/// Both cuts: `raw` says whether a space counts as a `▁`, and with it
/// `at_start` whether a `▁` stands before the text (then the first piece
/// is flagged, and may be empty).
#[inline(always)]
fn cut_metaspace<'w>(
    word: &'w str,
    isolated: u128,
    raw: bool,
    at_start: bool,
    mut f: impl FnMut(&'w str, bool),
) {
    let b = word.as_bytes();
    let (mut start, mut first) = (0, raw && at_start);
    let mut piece = |a: usize, z: usize, first: &mut bool| {
        f(&word[a..z], *first);
        *first = false;
    };
    // Whether the previous char is `▁` (a `▁` run is never cut inside).
    let mut after_meta = raw && at_start;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let meta = if raw && c == b' ' {
            1
        } else if c == 0xE2 && b.get(i + 1..i + 3) == Some(&[0x96, 0x81]) {
            // `▁` (U+2581, E2 96 81).
            3
        } else {
            0
        };
        if meta > 0 {
            if !after_meta && (i > start || first) {
                piece(start, i, &mut first);
                start = i;
            }
            after_meta = true;
            i += meta;
            continue;
        }
        after_meta = false;
        if c < 128 && isolated >> c & 1 == 1 {
            if i > start || first {
                piece(start, i, &mut first);
            }
            piece(i, i + 1, &mut first);
            start = i + 1;
        }
        i += 1;
    }
    if start < b.len() || first {
        piece(start, b.len(), &mut first);
    }
}

fn merge_key(a: u32, b: u32) -> u64 {
    (u64::from(a) << 32) | u64::from(b)
}

#[derive(Clone, Copy)]
struct Symbol {
    id: u32,
    prev: i32,
    next: i32,
    /// Byte length in the word; 0 once merged away.
    len: u32,
}

/// Whether the word's first [`PAIR_PROBE`] pairs of symbols are at most
/// [`PAIR_PROBE_DISTINCT`] distinct pairs.
fn few_pairs(init: &[(u32, u32)]) -> bool {
    let mut keys: Vec<u64> = init
        .windows(2)
        .take(PAIR_PROBE)
        .map(|w| merge_key(w[0].0, w[1].0))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    keys.len() <= PAIR_PROBE_DISTINCT
}

/// A word's symbols as a doubly linked list.
fn linked(init: &[(u32, u32)]) -> Vec<Symbol> {
    let n = init.len();
    init.iter()
        .enumerate()
        .map(|(i, &(id, len))| Symbol {
            id,
            prev: i as i32 - 1,
            next: if i + 1 < n { i as i32 + 1 } else { -1 },
            len,
        })
        .collect()
}

/// The symbols left after merging, as `(id, byte length)`.
fn survivors(syms: Vec<Symbol>) -> Vec<(u32, u32)> {
    syms.into_iter()
        .filter(|s| s.len != 0)
        .map(|s| (s.id, s.len))
        .collect()
}

/// Candidate pairs by priority for [`Bpe::bucket_merge`]: per rank, the
/// positions queued and a cursor to the next one to pop; a min-heap holds
/// each rank with positions still pending. `pop` gives the least
/// `(rank, position)` pending, as a heap of all pairs would. A rank's
/// pending positions are sorted (once) only when one was queued out of
/// order; in a left-to-right pass they arrive sorted. Merging rarely makes
/// a pair of lower priority than the one it merged (a trained merge list
/// never does), and then that rank simply comes first off the heap.
struct RankQueue {
    slot: FxHashMap<u32, u32>,
    /// The last bucket pushed per `rank % RECENT`: a word's merges make few
    /// ranks at a time, and this spares most pushes the map lookup.
    recent: [(u32, u32); RECENT],
    buckets: Vec<Bucket>,
    ranks: BinaryHeap<Reverse<u32>>,
    /// The rank on top of `ranks` and its bucket, to skip the map lookup
    /// while popping one rank's positions.
    top: Option<(u32, usize)>,
}

#[derive(Default)]
struct Bucket {
    pos: Vec<u32>,
    /// `pos[next..]` are pending.
    next: usize,
    sorted: bool,
    queued: bool,
}

const RECENT: usize = 8;

/// A small direct-mapped cache in front of the merge map for
/// [`Bpe::bucket_merge`]: a long word tends to ask for few distinct pairs
/// (a run of one char, or of a few), each many times over.
struct MergeMemo<'a> {
    merges: &'a FxHashMap<u64, (u32, u32)>,
    /// `(key, rank, id)`; `rank == u32::MAX` records a pair with no merge.
    /// The key `u64::MAX` (no two ids make it) marks an empty slot.
    slots: Box<[(u64, u32, u32)]>,
}

const MEMO_BITS: u32 = 9;

impl<'a> MergeMemo<'a> {
    fn new(merges: &'a FxHashMap<u64, (u32, u32)>) -> Self {
        let slots = vec![(u64::MAX, 0, 0); 1 << MEMO_BITS].into_boxed_slice();
        MergeMemo { merges, slots }
    }

    #[inline]
    fn get(&mut self, key: u64) -> Option<(u32, u32)> {
        let i = (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - MEMO_BITS)) as usize;
        let slot = &mut self.slots[i];
        if slot.0 != key {
            let (rank, id) = self.merges.get(&key).copied().unwrap_or((u32::MAX, 0));
            *slot = (key, rank, id);
        }
        (slot.1 != u32::MAX).then_some((slot.1, slot.2))
    }
}

impl Default for RankQueue {
    fn default() -> Self {
        RankQueue {
            slot: FxHashMap::default(),
            recent: [(u32::MAX, 0); RECENT],
            buckets: Vec::new(),
            ranks: BinaryHeap::new(),
            top: None,
        }
    }
}

impl RankQueue {
    fn push(&mut self, rank: u32, pos: u32) {
        let r = rank as usize % RECENT;
        let i = match self.recent[r] {
            (k, i) if k == rank => i as usize,
            _ => {
                let n = self.buckets.len();
                let i = *self.slot.entry(rank).or_insert(n as u32) as usize;
                if i == n {
                    self.buckets.push(Bucket::default());
                }
                self.recent[r] = (rank, i as u32);
                i
            }
        };
        let b = &mut self.buckets[i];
        if b.next == b.pos.len() {
            b.pos.clear();
            b.next = 0;
            b.sorted = true;
        } else if b.pos.last().is_some_and(|&l| l > pos) {
            b.sorted = false;
        }
        b.pos.push(pos);
        if !b.queued {
            b.queued = true;
            self.ranks.push(Reverse(rank));
        }
    }

    fn pop(&mut self) -> Option<(u32, u32)> {
        loop {
            let &Reverse(rank) = self.ranks.peek()?;
            let i = match self.top {
                Some((r, i)) if r == rank => i,
                _ => {
                    let i = *self.slot.get(&rank)? as usize;
                    self.top = Some((rank, i));
                    i
                }
            };
            let b = &mut self.buckets[i];
            if b.next == b.pos.len() {
                b.queued = false;
                self.ranks.pop();
                continue;
            }
            if !b.sorted {
                b.pos[b.next..].sort_unstable();
                b.sorted = true;
            }
            let pos = b.pos[b.next];
            b.next += 1;
            return Some((rank, pos));
        }
    }
}

impl Bpe {
    pub fn new(vocab: Vocab, merge_list: Vec<(String, String)>) -> Result<Self> {
        let mut b = Bpe {
            vocab,
            merge_list,
            ..Default::default()
        };
        b.rebuild()?;
        Ok(b)
    }

    /// Recomputes the derived tables after the vocab, merges or options change.
    pub fn rebuild(&mut self) -> Result<()> {
        if let Some(d) = self.dropout {
            if !(0.0..=1.0).contains(&d) {
                return Err(Error::config(format!(
                    "model.dropout: must be between 0 and 1, got {d}"
                )));
            }
        }
        self.vocab_r = VocabR::new(&self.vocab);
        let n_ids = self
            .vocab
            .values()
            .map(|&i| i as usize + 1)
            .max()
            .unwrap_or(0);
        self.token_chars = vec![0; n_ids.min(1 << 24)];
        for (tok, &id) in &self.vocab {
            if let Some(slot) = self.token_chars.get_mut(id as usize) {
                *slot = u8::try_from(tok.chars().count()).unwrap_or(0);
            }
        }
        let prefix_len = self
            .continuing_subword_prefix
            .as_ref()
            .map_or(0, |p| p.len());
        self.uid = crate::util::next_model_uid();
        let mut merges =
            FxHashMap::with_capacity_and_hasher(self.merge_list.len(), Default::default());
        for (rank, (a, b)) in self.merge_list.iter().enumerate() {
            let missing = |t: &str| {
                Error::config(format!(
                    "model.merges[{rank}]: token {t:?} of merge \"{a} {b}\" is not in the vocabulary"
                ))
            };
            let ia = *self.vocab.get(a).ok_or_else(|| missing(a))?;
            let ib = *self.vocab.get(b).ok_or_else(|| missing(b))?;
            let tail = b.get(prefix_len..).ok_or_else(|| missing(b))?;
            let merged = format!("{a}{tail}");
            let im = *self.vocab.get(&merged).ok_or_else(|| missing(&merged))?;
            let priority = if self.rank_by_result { im } else { rank as u32 };
            merges.insert(merge_key(ia, ib), (priority, im));
        }
        self.merges = merges;
        self.metaspace_cuts = metaspace_cuts_are_exact(self);
        self.char_ids = None;
        if self.prefix().is_none() && self.suffix().is_none() {
            let mut t = vec![u32::MAX; CHAR_IDS].into_boxed_slice();
            let mut wide = FxHashMap::default();
            for (tok, &id) in &self.vocab {
                let mut cs = tok.chars();
                if let (Some(c), None) = (cs.next(), cs.next()) {
                    match t.get_mut(c as usize) {
                        Some(slot) => *slot = id,
                        None => {
                            wide.insert(c, id);
                        }
                    }
                }
            }
            self.char_ids = Some((t, wide));
        }
        let table = crate::pre_tokenizers::byte_level::byte_to_char();
        self.spells_bytes = self.prefix().is_none()
            && self.suffix().is_none()
            && table.iter().all(|c| {
                let mut buf = [0u8; 4];
                self.vocab.contains_key(&*c.encode_utf8(&mut buf))
            });
        self.byte_ids = None;
        if self.byte_fallback {
            let mut t = Box::new([0u32; 256]);
            let mut all = true;
            for (b, slot) in t.iter_mut().enumerate() {
                match self.vocab.get(&format!("<0x{b:02X}>")) {
                    Some(&id) => *slot = id,
                    None => all = false,
                }
            }
            if all {
                self.byte_ids = Some(t);
            }
        }
        self.isolated = if self.metaspace_cuts {
            isolated_ascii(self)
        } else {
            0
        };
        Ok(())
    }

    pub fn from_value(obj: &serde_json::Map<String, Value>) -> Result<Self> {
        const M: &str = "BPE";
        let vocab = read_vocab(obj, M)?;
        let mut merge_list = Vec::new();
        if let Some(m) = obj.get("merges") {
            let arr = m
                .as_array()
                .ok_or_else(|| Error::config("model.merges: expected a list"))?;
            merge_list.reserve(arr.len());
            for (i, e) in arr.iter().enumerate() {
                let pair = match e {
                    Value::String(s) => {
                        s.split_once(' ').map(|(a, b)| (a.to_owned(), b.to_owned()))
                    }
                    Value::Array(p) if p.len() == 2 => match (&p[0], &p[1]) {
                        (Value::String(a), Value::String(b)) => Some((a.clone(), b.clone())),
                        _ => None,
                    },
                    _ => None,
                };
                let pair = pair.ok_or_else(|| {
                    Error::config(format!(
                        "model.merges[{i}]: expected \"a b\" or [\"a\", \"b\"], got {e}"
                    ))
                })?;
                merge_list.push(pair);
            }
        }
        let dropout = match obj.get("dropout") {
            None | Some(Value::Null) => None,
            Some(v) => Some(v.as_f64().ok_or_else(|| {
                Error::config(format!("model.dropout: expected a number, got {v}"))
            })? as f32),
        };
        let mut b = Bpe {
            vocab,
            merge_list,
            dropout,
            unk_token: opt_str(obj, "unk_token", M)?,
            continuing_subword_prefix: opt_str(obj, "continuing_subword_prefix", M)?,
            end_of_word_suffix: opt_str(obj, "end_of_word_suffix", M)?,
            fuse_unk: opt_bool(obj, "fuse_unk", M)?.unwrap_or(false),
            byte_fallback: opt_bool(obj, "byte_fallback", M)?.unwrap_or(false),
            ignore_merges: opt_bool(obj, "ignore_merges", M)?.unwrap_or(false),
            ..Default::default()
        };
        b.rebuild()?;
        Ok(b)
    }

    pub fn to_value(&self) -> Value {
        let merges: Vec<Value> = self.merge_list.iter().map(|(a, b)| json!([a, b])).collect();
        json!({
            "type": "BPE",
            "dropout": self.dropout,
            "unk_token": self.unk_token,
            "continuing_subword_prefix": self.continuing_subword_prefix,
            "end_of_word_suffix": self.end_of_word_suffix,
            "fuse_unk": self.fuse_unk,
            "byte_fallback": self.byte_fallback,
            "ignore_merges": self.ignore_merges,
            "vocab": vocab_value(&self.vocab_r),
            "merges": merges,
        })
    }

    fn unk_id(&self) -> Result<Option<u32>> {
        match &self.unk_token {
            None => Ok(None),
            Some(u) => self.vocab.get(u).copied().map(Some).ok_or_else(|| {
                Error::config(format!("model.unk_token: {u:?} is not in the vocabulary"))
            }),
        }
    }

    /// The initial symbols of `word`: `(id, byte length)` per char.
    fn initial_symbols(&self, word: &str) -> Result<Vec<(u32, u32)>> {
        if let Some((t, wide)) = &self.char_ids {
            let mut out: Vec<(u32, u32)> = Vec::with_capacity(word.len());
            let all_known = word.chars().all(|c| {
                let id = match t.get(c as usize) {
                    Some(&id) => id,
                    None => wide.get(&c).copied().unwrap_or(u32::MAX),
                };
                out.push((id, c.len_utf8() as u32));
                id != u32::MAX
            });
            if all_known {
                return Ok(out);
            }
        }
        let mut out: Vec<(u32, u32)> = Vec::with_capacity(word.len());
        let mut unk: Option<(u32, u32)> = None;
        let mut buf = String::new();
        let mut chars = word.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            let end = chars.peek().map_or(word.len(), |&(e, _)| e);
            let is_first = i == 0;
            let is_last = end == word.len();
            let piece = &word[i..end];
            let byte_len = piece.len() as u32;
            let needs_affix =
                (!is_first && self.prefix().is_some()) || (is_last && self.suffix().is_some());
            let s: &str = if needs_affix {
                buf.clear();
                if !is_first {
                    if let Some(p) = self.prefix() {
                        buf.push_str(p);
                    }
                }
                buf.push_str(piece);
                if is_last {
                    if let Some(x) = self.suffix() {
                        buf.push_str(x);
                    }
                }
                &buf
            } else {
                let _ = c;
                piece
            };
            if let Some(&id) = self.vocab.get(s) {
                if let Some(u) = unk.take() {
                    out.push(u);
                }
                out.push((id, byte_len));
                continue;
            }
            if self.byte_fallback {
                let ids: Option<Vec<u32>> = match &self.byte_ids {
                    Some(t) => Some(s.bytes().map(|b| t[b as usize]).collect()),
                    None => s
                        .bytes()
                        .map(|b| self.vocab.get(&format!("<0x{b:02X}>")).copied())
                        .collect(),
                };
                if let Some(ids) = ids {
                    if let Some(u) = unk.take() {
                        out.push(u);
                    }
                    out.extend(ids.into_iter().map(|id| (id, 1)));
                    continue;
                }
            }
            if let Some(unk_id) = self.unk_id()? {
                unk = match unk {
                    Some((uid, ulen)) if self.fuse_unk => Some((uid, ulen + byte_len)),
                    Some(prev) => {
                        out.push(prev);
                        Some((unk_id, byte_len))
                    }
                    None => Some((unk_id, byte_len)),
                };
            }
        }
        if let Some(u) = unk {
            out.push(u);
        }
        Ok(out)
    }

    /// Applies the merges to the symbols; returns the surviving `(id, len)`.
    fn merge(&self, init: Vec<(u32, u32)>) -> Vec<(u32, u32)> {
        if init.len() < 2 || self.merges.is_empty() {
            return init;
        }
        let dropout = self.dropout.filter(|&d| d > 0.0);
        if dropout.is_none() {
            if init.len() <= SCAN_MERGE_MAX {
                return self.scan_merge(init);
            }
            if init.len() >= BUCKET_MERGE_MIN && few_pairs(&init) {
                return self.bucket_merge(init);
            }
        }
        self.heap_merge(init, dropout)
    }

    /// [`Bpe::merge`] by a heap of candidate pairs: O(n log n).
    fn heap_merge(&self, init: Vec<(u32, u32)>, dropout: Option<f32>) -> Vec<(u32, u32)> {
        let n = init.len();
        if n < 2 {
            return init;
        }
        let mut syms = linked(&init);
        // (rank, position): the merged id is looked up again on pop, which
        // also tells a stale entry (see `merge_at`).
        let mut heap: BinaryHeap<Reverse<(u32, u32)>> = BinaryHeap::with_capacity(n);
        for i in 0..n - 1 {
            if let Some(&(rank, _)) = self.merges.get(&merge_key(syms[i].id, syms[i + 1].id)) {
                heap.push(Reverse((rank, i as u32)));
            }
        }
        let mut skipped: Vec<Reverse<(u32, u32)>> = Vec::new();
        while let Some(Reverse((rank, pos))) = heap.pop() {
            if let Some(p) = dropout {
                if crate::util::random_f32() < p {
                    skipped.push(Reverse((rank, pos)));
                    continue;
                }
                heap.extend(skipped.drain(..));
            }
            let lookup = |k| self.merges.get(&k).copied();
            Self::merge_at(&mut syms, rank, pos as usize, lookup, |r, p| {
                heap.push(Reverse((r, p)));
            });
        }
        survivors(syms)
    }

    /// [`Bpe::merge`] for a long word without dropout: the same merges in
    /// the same order as [`Bpe::heap_merge`], with the candidate pairs kept
    /// in one list of positions per rank (see [`RankQueue`]). Each list is
    /// walked left to right, so a long run of one char streams through
    /// memory instead of paying a heap's cache misses on every pop: linear
    /// in practice on the texts that make one huge word.
    fn bucket_merge(&self, init: Vec<(u32, u32)>) -> Vec<(u32, u32)> {
        let n = init.len();
        if n < 2 {
            return init;
        }
        let mut syms = linked(&init);
        let mut queue = RankQueue::default();
        let mut memo = MergeMemo::new(&self.merges);
        for i in 0..n - 1 {
            if let Some((rank, _)) = memo.get(merge_key(syms[i].id, syms[i + 1].id)) {
                queue.push(rank, i as u32);
            }
        }
        while let Some((rank, pos)) = queue.pop() {
            let lookup = |k| memo.get(k);
            Self::merge_at(&mut syms, rank, pos as usize, lookup, |r, p| {
                queue.push(r, p)
            });
        }
        survivors(syms)
    }

    /// Merges the pair at `pos` when it is still the pair of priority
    /// `rank` (a candidate goes stale when either side has merged since it
    /// was queued), and queues the two new pairs around the merged symbol by
    /// `push(rank, position)`. Comparing priorities is enough: the string
    /// of the pair at a position only grows, so no two of its states share
    /// a merge, and a priority names one merge (a list index, or with
    /// `rank_by_result` the one token that all its pairs make).
    #[inline]
    fn merge_at(
        syms: &mut [Symbol],
        rank: u32,
        pos: usize,
        mut lookup: impl FnMut(u64) -> Option<(u32, u32)>,
        mut push: impl FnMut(u32, u32),
    ) {
        let s = syms[pos];
        if s.len == 0 || s.next < 0 {
            return;
        }
        let next = s.next as usize;
        let right = syms[next];
        let new_id = match lookup(merge_key(s.id, right.id)) {
            Some((r, id)) if r == rank => id,
            _ => return,
        };
        syms[pos].id = new_id;
        syms[pos].len += right.len;
        syms[pos].next = right.next;
        syms[next].len = 0;
        if right.next >= 0 {
            syms[right.next as usize].prev = pos as i32;
        }
        let cur = syms[pos];
        if cur.prev >= 0 {
            let p = cur.prev as usize;
            if let Some((r, _)) = lookup(merge_key(syms[p].id, cur.id)) {
                push(r, p as u32);
            }
        }
        if cur.next >= 0 {
            if let Some((r, _)) = lookup(merge_key(cur.id, syms[cur.next as usize].id)) {
                push(r, pos as u32);
            }
        }
    }

    /// True when a word may be cut before every `▁` that follows another
    /// char without changing its ids (see `metaspace_cuts_are_exact`).
    /// `continuing_subword_prefix`, unless absent or empty (many byte-level
    /// files write `""`, which adds nothing).
    pub(crate) fn prefix(&self) -> Option<&str> {
        self.continuing_subword_prefix
            .as_deref()
            .filter(|p| !p.is_empty())
    }

    /// `end_of_word_suffix`, unless absent or empty.
    pub(crate) fn suffix(&self) -> Option<&str> {
        self.end_of_word_suffix.as_deref().filter(|p| !p.is_empty())
    }

    /// True when every ByteLevel char is a token and tokens get no prefix
    /// or suffix: the tokens of a byte-level word spell it, one char per
    /// byte.
    pub fn spells_bytes(&self) -> bool {
        self.spells_bytes
    }

    /// The number of chars of `id`'s token, `None` for an unknown id.
    #[inline]
    pub fn token_chars(&self, id: u32) -> Option<usize> {
        match self.token_chars.get(id as usize) {
            Some(&n) if n > 0 => Some(n as usize),
            _ => Some(self.vocab_r.get(id)?.chars().count()),
        }
    }

    pub fn cuts_before_metaspace(&self) -> bool {
        self.metaspace_cuts
    }

    /// The ASCII chars (bit per char) a word is also cut around when
    /// [`Bpe::cuts_before_metaspace`] (see `isolated_ascii`).
    pub fn isolated_chars(&self) -> u128 {
        self.isolated
    }

    /// See [`super::Model::cache_uid`]: none with dropout.
    pub fn cache_uid(&self) -> Option<u64> {
        self.dropout.is_none_or(|d| d <= 0.0).then_some(self.uid)
    }

    /// [`Bpe::merge`] for a short word without dropout: repeatedly merges
    /// the pair with the lowest priority, leftmost on ties (what the heap
    /// pops first).
    fn scan_merge(&self, mut syms: Vec<(u32, u32)>) -> Vec<(u32, u32)> {
        let rank = |a: (u32, u32), b: (u32, u32)| self.merges.get(&merge_key(a.0, b.0)).copied();
        // ranks[i]: the merge of syms[i] and syms[i + 1], if any.
        let mut ranks: Vec<Option<(u32, u32)>> =
            syms.windows(2).map(|w| rank(w[0], w[1])).collect();
        loop {
            let mut best: Option<(usize, u32, u32)> = None;
            for (i, r) in ranks.iter().enumerate() {
                if let Some((p, id)) = *r {
                    if best.is_none_or(|(_, bp, _)| p < bp) {
                        best = Some((i, p, id));
                    }
                }
            }
            let Some((i, _, id)) = best else {
                return syms;
            };
            syms[i] = (id, syms[i].1 + syms[i + 1].1);
            syms.remove(i + 1);
            ranks.remove(i);
            if i + 1 < syms.len() {
                ranks[i] = rank(syms[i], syms[i + 1]);
            }
            if i > 0 {
                ranks[i - 1] = rank(syms[i - 1], syms[i]);
            }
        }
    }

    /// Appends the ids of `word` to `out`, without token strings and
    /// without this model's word cache (the bulk path caches ids itself).
    pub fn extend_ids(&self, word: &str, out: &mut Vec<u32>) -> Result<()> {
        if let Some(id) = self.whole_word(word) {
            out.push(id);
            return Ok(());
        }
        let pieces = if word.len() > WORD_CACHE_MAX_LEN && self.metaspace_cuts {
            self.encode_cut(word)?
        } else if word.is_empty() {
            Vec::new()
        } else {
            self.merge(self.initial_symbols(word)?)
        };
        out.extend(pieces.into_iter().map(|p| p.0));
        Ok(())
    }

    /// With `ignore_merges`, a word that is a token is that token.
    fn whole_word(&self, word: &str) -> Option<u32> {
        if self.ignore_merges && !word.is_empty() {
            self.vocab.get(word).copied()
        } else {
            None
        }
    }

    /// The ids of `word` with their byte lengths, without building tokens.
    pub fn encode_ids(&self, word: &str) -> Result<Vec<(u32, u32)>> {
        if word.is_empty() {
            return Ok(Vec::new());
        }
        if let Some(id) = self.whole_word(word) {
            return Ok(vec![(id, word.len() as u32)]);
        }
        if word.len() > WORD_CACHE_MAX_LEN && self.metaspace_cuts {
            return self.encode_cut(word);
        }
        let cacheable = word.len() <= WORD_CACHE_MAX_LEN && self.dropout.is_none_or(|d| d <= 0.0);
        if !cacheable {
            return Ok(self.merge(self.initial_symbols(word)?));
        }
        let hit = WORD_CACHE.with(|c| c.borrow().get(self.uid, word).map(|v| v.to_vec()));
        if let Some(v) = hit {
            return Ok(v);
        }
        let pieces = self.merge(self.initial_symbols(word)?);
        WORD_CACHE.with(|c| {
            c.borrow_mut().insert(
                self.uid,
                word,
                pieces.clone().into_boxed_slice(),
                WORD_CACHE_CAPACITY,
            )
        });
        Ok(pieces)
    }

    /// Encodes a long word piece by piece, cut before each `▁` that follows
    /// another char and around isolated chars (exact when `metaspace_cuts`
    /// holds).
    fn encode_cut(&self, word: &str) -> Result<Vec<(u32, u32)>> {
        let mut out = Vec::with_capacity(word.len() / 3);
        let mut err = Ok(());
        metaspace_pieces(word, self.isolated, |piece| {
            if err.is_ok() {
                match self.encode_piece(piece) {
                    Ok(p) => out.extend(p),
                    Err(e) => err = Err(e),
                }
            }
        });
        err.map(|()| out)
    }

    /// One piece of a cut word: through the cache when short enough.
    fn encode_piece(&self, piece: &str) -> Result<Vec<(u32, u32)>> {
        if piece.len() > WORD_CACHE_MAX_LEN {
            return Ok(self.merge(self.initial_symbols(piece)?));
        }
        self.encode_ids(piece)
    }

    pub fn tokenize(&self, word: &str) -> Result<Vec<Token>> {
        let mut offset = 0usize;
        Ok(self
            .encode_ids(word)?
            .into_iter()
            .map(|(id, len)| {
                let start = offset;
                offset += len as usize;
                let value = self.vocab_r.get(id).unwrap_or_default().to_owned();
                Token::new(id, value, (start, offset))
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cutting the raw text gives the pieces of its normalized text, on
    /// random texts of spaces, `▁`, isolated and other chars (a space among
    /// the isolated chars too: in the raw text it still counts as a `▁`).
    #[test]
    fn raw_metaspace_pieces_are_the_normalized_texts_pieces() {
        let alphabet = [" ", "▁", "a", "b", "\n", "\t", "é", "中", "x▁", "  "];
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut cut_somewhere = false;
        for isolated in [
            0u128,
            1 << b'\n' | 1 << b'\t',
            1 << b'\n' | 1 << b' ' | 1 << b'a',
        ] {
            for round in 0..4000 {
                let mut raw = String::new();
                for _ in 0..(round % 13) + 1 {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    raw.push_str(alphabet[(seed % alphabet.len() as u64) as usize]);
                }
                let normalized = format!("▁{}", raw.replace(' ', "▁"));
                let mut want = Vec::new();
                metaspace_pieces(&normalized, isolated, |w| want.push(w.to_owned()));
                let mut got = Vec::new();
                raw_metaspace_pieces(&raw, isolated, true, |w, first| {
                    let w = w.replace(' ', "▁");
                    got.push(if first { format!("▁{w}") } else { w });
                });
                assert_eq!(got, want, "{raw:?} isolated {isolated:#x}");
                // Cut into parts (as small as they come): the same pieces.
                let cuts = raw_metaspace_starts(&raw, 1);
                let mut bounds = vec![0];
                bounds.extend(&cuts);
                bounds.push(raw.len());
                let mut parts = Vec::new();
                for w in bounds.windows(2) {
                    raw_metaspace_pieces(&raw[w[0]..w[1]], isolated, w[0] == 0, |w, first| {
                        let w = w.replace(' ', "▁");
                        parts.push(if first { format!("▁{w}") } else { w });
                    });
                }
                assert_eq!(
                    parts, want,
                    "{raw:?} cut at {cuts:?}, isolated {isolated:#x}"
                );
                cut_somewhere |= !cuts.is_empty();
            }
        }
        assert!(cut_somewhere);
    }

    /// A vocabulary over `abc` with many merges of two tokens of up to 4
    /// chars whose result is at most 5 chars (so many pairs compete), in the
    /// order they were made or, with `shuffle`, in any order.
    fn model(rank_by_result: bool, shuffle: bool) -> Bpe {
        let mut toks: Vec<String> = vec!["a".into(), "b".into(), "c".into()];
        let mut merges = Vec::new();
        let mut x: u64 = 0x9E37_79B9;
        for round in 0..3 {
            let cur = toks.clone();
            for l in &cur {
                for r in &cur {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    let m = format!("{l}{r}");
                    if m.len() <= 5 && x % 3 != round % 3 && !toks.contains(&m) {
                        toks.push(m);
                        merges.push((l.clone(), r.clone()));
                    }
                }
            }
        }
        if shuffle {
            // Any order a tokenizer.json may hold: a merge before the ones
            // that make its parts, ids unrelated to the order of creation.
            for v in [&mut merges] {
                for i in (1..v.len()).rev() {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    v.swap(i, (x % (i as u64 + 1)) as usize);
                }
            }
            for i in (1..toks.len()).rev() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                toks.swap(i, (x % (i as u64 + 1)) as usize);
            }
        }
        let vocab: Vocab = toks
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i as u32))
            .collect();
        let mut b = Bpe {
            vocab,
            merge_list: merges,
            rank_by_result,
            ..Default::default()
        };
        b.rebuild().unwrap_or_else(|e| panic!("{e}"));
        b
    }

    #[test]
    fn scan_merge_equals_heap_merge() {
        for by_result in [false, true] {
            let b = model(by_result, false);
            let mut x: u64 = 0x2545_f491_4f6c_dd1d;
            let mut merged = 0;
            for _ in 0..20_000 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let n = 2 + (x % SCAN_MERGE_MAX as u64) as usize;
                let word: String = (0..n)
                    .map(|k| ['a', 'b', 'c'][((x >> (2 * k)) % 3) as usize])
                    .collect();
                let init = b.initial_symbols(&word).unwrap_or_else(|e| panic!("{e}"));
                let scanned = b.scan_merge(init.clone());
                merged += usize::from(scanned.len() < n);
                assert_eq!(scanned, b.heap_merge(init, None), "{word}");
            }
            assert!(merged > 15_000, "{merged}");
        }
    }

    #[test]
    fn bucket_merge_equals_heap_merge() {
        for (by_result, shuffle) in [(false, false), (true, false), (false, true), (true, true)] {
            let b = model(by_result, shuffle);
            let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
            let mut rng = move || {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x
            };
            let mut words: Vec<String> = Vec::new();
            for _ in 0..3_000 {
                let n = 2 + (rng() % 300) as usize;
                // Mostly one char, with runs of the others: long runs and
                // mixed stretches both.
                let bias = rng() % 4;
                let word: String = (0..n)
                    .map(|_| {
                        let r = rng();
                        if bias > 0 && r % 5 != 0 {
                            'a'
                        } else {
                            ['a', 'b', 'c'][(r % 3) as usize]
                        }
                    })
                    .collect();
                words.push(word);
            }
            for c in ['a', 'b', 'c'] {
                words.push(std::iter::repeat_n(c, 5_000).collect());
            }
            for word in &words {
                let init = b.initial_symbols(word).unwrap_or_else(|e| panic!("{e}"));
                let heaped = b.heap_merge(init.clone(), None);
                assert_eq!(b.bucket_merge(init.clone()), heaped, "{word}");
                assert_eq!(b.merge(init), heaped, "{word}");
            }
        }
    }

    /// `RankQueue` pops what a binary heap of the same pushes pops, on
    /// random interleavings that push positions out of order, ranks below
    /// the one being popped, and into buckets already emptied.
    #[test]
    fn rank_queue_pops_like_a_heap() {
        let mut x: u64 = 0x853c_49e6_748f_ea9b;
        let mut rng = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let (mut out_of_order, mut below_top) = (0, 0);
        for _ in 0..2_000 {
            let mut queue = RankQueue::default();
            let mut heap: BinaryHeap<Reverse<(u32, u32)>> = BinaryHeap::new();
            let mut last: FxHashMap<u32, u32> = FxHashMap::default();
            let mut popped: Option<u32> = None;
            for _ in 0..(rng() % 200) {
                if rng() % 3 == 0 {
                    let got = queue.pop();
                    assert_eq!(got, heap.pop().map(|Reverse(e)| e));
                    popped = got.map(|(r, _)| r);
                } else {
                    let (rank, pos) = ((rng() % 8) as u32, (rng() % 64) as u32);
                    out_of_order += usize::from(last.get(&rank).is_some_and(|&l| l > pos));
                    below_top += usize::from(popped.is_some_and(|r| rank < r));
                    last.insert(rank, pos);
                    queue.push(rank, pos);
                    heap.push(Reverse((rank, pos)));
                }
            }
            while let Some(Reverse(e)) = heap.pop() {
                assert_eq!(queue.pop(), Some(e));
            }
            assert_eq!(queue.pop(), None);
        }
        assert!(
            out_of_order > 1_000 && below_top > 1_000,
            "{out_of_order} {below_top}"
        );
    }
}
