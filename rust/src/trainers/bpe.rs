//! BPE training, merge by merge, with the same choices as `tokenizers`'
//! `BpeTrainer`, so that the same corpus and settings give the same
//! vocabulary and merges.
//!
//! 1. Special tokens take the first ids, then the alphabet (every char seen,
//!    plus `initial_alphabet`, cut to the `limit_alphabet` most frequent),
//!    in code point order.
//! 2. Each distinct word becomes a list of symbol ids, one per char of the
//!    alphabet (chars outside it are dropped), with `continuing_subword_prefix`
//!    on non-initial chars and `end_of_word_suffix` on the last one; such
//!    prefixed/suffixed chars get ids by the number of distinct words holding
//!    them, most first (`tokenizers` numbers them as it first meets them in
//!    its word map's hash order, different on every run, and so breaks ties
//!    between equal pair counts differently from run to run; most widespread
//!    first is the order that walk most likely gives).
//! 3. Pair counts and the words holding each pair are kept in maps; a
//!    max-heap orders pairs by count, then by the smaller (left id, right id).
//!    A popped entry whose count went stale is pushed back with the live
//!    count. Each merge is applied only to the words listed with its entry
//!    (in parallel when they are many), and the count changes it causes are
//!    folded back into the maps and the heap.
//!
//! The result does not depend on the number of threads: the parallel step
//! only rewrites disjoint words and its changes are gathered in word order.

use super::{Progress, WordCounts};
use crate::added_vocabulary::AddedToken;
use crate::error::{Error, Result};
use crate::models::bpe::Bpe;
use crate::models::Vocab;
use crate::util::FxHashMap;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::{BTreeSet, BinaryHeap};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BpeTrainer {
    pub vocab_size: usize,
    pub min_frequency: u64,
    pub show_progress: bool,
    pub special_tokens: Vec<AddedToken>,
    pub limit_alphabet: Option<usize>,
    pub initial_alphabet: BTreeSet<char>,
    pub continuing_subword_prefix: Option<String>,
    pub end_of_word_suffix: Option<String>,
    pub max_token_length: Option<usize>,
    /// Test hook: the tokens that follow the special tokens, in this order,
    /// instead of the computed alphabet (and with the prefixed/suffixed chars
    /// already there). Given the order another run of `tokenizers` chose
    /// (read back from its vocabulary), training must reproduce that run.
    #[serde(rename = "_initial_tokens", skip_serializing_if = "Option::is_none")]
    pub initial_tokens: Option<Vec<String>>,
}

impl Default for BpeTrainer {
    fn default() -> Self {
        BpeTrainer {
            vocab_size: 30000,
            min_frequency: 0,
            show_progress: true,
            special_tokens: vec![],
            limit_alphabet: None,
            initial_alphabet: BTreeSet::new(),
            continuing_subword_prefix: None,
            end_of_word_suffix: None,
            max_token_length: None,
            initial_tokens: None,
        }
    }
}

type Pair = u64;

fn pair(a: u32, b: u32) -> Pair {
    (u64::from(a) << 32) | u64::from(b)
}

fn split_pair(p: Pair) -> (u32, u32) {
    ((p >> 32) as u32, p as u32)
}

/// A heap entry: a pair, its count when pushed, and the words to merge it in.
struct Merge {
    pair: Pair,
    count: u64,
    words: Vec<u32>,
}

impl PartialEq for Merge {
    fn eq(&self, other: &Self) -> bool {
        self.count == other.count && self.pair == other.pair
    }
}
impl Eq for Merge {}
impl PartialOrd for Merge {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Merge {
    /// Highest count first; among equal counts, the smallest pair.
    fn cmp(&self, other: &Self) -> Ordering {
        self.count
            .cmp(&other.count)
            .then_with(|| other.pair.cmp(&self.pair))
    }
}

/// A symbol of a word: its id and its length in chars (for `max_token_length`).
#[derive(Clone, Copy)]
struct Sym {
    id: u32,
    len: u32,
}

/// One count change caused by a merge: (pair, +/- the word's count, word index).
type Change = (Pair, i64, u32);

/// Merges every `(a, b)` in `word` into `new`, left to right, and records how
/// the pairs around each merge change. A new pair is not counted when the
/// merged token would reach `max_len` chars.
fn merge_word(word: &mut Vec<Sym>, op: &MergeOp, w: u32, count: u64, out: &mut Vec<Change>) {
    let MergeOp { a, b, new, max_len } = *op;
    let mut i = 0;
    while i < word.len() {
        if word[i].id == a && i + 1 < word.len() && word[i + 1].id == b {
            let first = word[i];
            let second = word[i + 1];
            let merged = Sym {
                id: new,
                len: first.len + second.len,
            };
            if i > 0 {
                let prev = word[i - 1];
                out.push((pair(prev.id, first.id), -(count as i64), w));
                if u64::from(prev.len) + u64::from(merged.len) < max_len {
                    out.push((pair(prev.id, new), count as i64, w));
                }
            }
            word[i] = merged;
            word.remove(i + 1);
            if i + 1 < word.len() {
                let next = word[i + 1];
                out.push((pair(second.id, next.id), -(count as i64), w));
                if u64::from(next.len) + u64::from(merged.len) < max_len {
                    out.push((pair(new, next.id), count as i64, w));
                }
            }
        }
        i += 1;
    }
}

/// A merge to apply: `(a, b)` becomes `new`; no new pair is counted whose
/// token would reach `max_len` chars.
#[derive(Clone, Copy)]
struct MergeOp {
    a: u32,
    b: u32,
    new: u32,
    max_len: u64,
}

/// Below this many words a merge is applied on the calling thread.
const PARALLEL_MIN_WORDS: usize = 512;

/// What training produced, ready to go into a `Bpe` model.
pub struct BpeResult {
    pub vocab: Vocab,
    pub merges: Vec<(String, String)>,
}

impl BpeTrainer {
    fn add(token: &str, w2id: &mut FxHashMap<String, u32>, id2w: &mut Vec<String>) -> u32 {
        if let Some(&id) = w2id.get(token) {
            return id;
        }
        let id = id2w.len() as u32;
        id2w.push(token.to_owned());
        w2id.insert(token.to_owned(), id);
        id
    }

    /// The alphabet: every char of the corpus plus `initial_alphabet`, cut to
    /// the `limit_alphabet` most frequent (initial chars count as infinitely
    /// frequent; equal counts keep the larger code point), in code point order.
    fn alphabet(&self, words: &[(&str, u64)]) -> Vec<char> {
        let mut counts: FxHashMap<char, u64> = FxHashMap::default();
        for (w, n) in words {
            for c in w.chars() {
                let e = counts.entry(c).or_insert(0);
                *e = e.saturating_add(*n);
            }
        }
        for &c in &self.initial_alphabet {
            counts.insert(c, u64::MAX);
        }
        let mut kept: Vec<(char, u64)> = counts.into_iter().collect();
        if let Some(limit) = self.limit_alphabet {
            if kept.len() > limit {
                let remove = kept.len() - limit;
                kept.sort_unstable_by_key(|&(c, n)| (n, c));
                kept.drain(..remove);
            }
        }
        let mut chars: Vec<char> = kept.into_iter().map(|(c, _)| c).collect();
        chars.sort_unstable();
        chars
    }

    pub fn train(&self, counts: &WordCounts, progress: &Progress) -> Result<BpeResult> {
        let max_len = self.max_token_length.map_or(u64::MAX, |n| n as u64);
        let mut w2id: FxHashMap<String, u32> = FxHashMap::default();
        let mut id2w: Vec<String> = Vec::new();
        for t in &self.special_tokens {
            Self::add(&t.content, &mut w2id, &mut id2w);
        }
        // Words in byte order: word indexes, and so everything after, do not
        // depend on hashing.
        let mut sorted: Vec<(&str, u64)> = counts.iter().map(|(w, &n)| (w.as_str(), n)).collect();
        sorted.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let mut words: Vec<Vec<Sym>> = Vec::with_capacity(sorted.len());
        if let Some(tokens) = &self.initial_tokens {
            for t in tokens {
                Self::add(t, &mut w2id, &mut id2w);
            }
        } else {
            for c in self.alphabet(&sorted) {
                let mut buf = [0u8; 4];
                Self::add(c.encode_utf8(&mut buf), &mut w2id, &mut id2w);
            }
            check_vocab_size(self.vocab_size, id2w.len(), self.special_tokens.len())?;
        }

        // Words as symbol lists. Symbols not yet in the vocabulary (chars
        // with the prefix and/or suffix) are first gathered with the number
        // of distinct words holding them, and get ids most widespread first:
        // the order in which a walk through the words in random order most
        // likely meets them, which is how `tokenizers` numbers them.
        progress.stage("Tokenize words", sorted.len() as u64);
        // Symbols by (char, variant): bit 0 = with the prefix, bit 1 = with the suffix.
        #[derive(Clone, Copy)]
        enum Slot {
            Outside,
            Id(u32),
            Fresh,
        }
        let symbol = |c: char, v: u8| {
            let mut s = String::new();
            if v & 1 != 0 {
                s.push_str(self.continuing_subword_prefix.as_deref().unwrap_or(""));
            }
            s.push(c);
            if v & 2 != 0 {
                s.push_str(self.end_of_word_suffix.as_deref().unwrap_or(""));
            }
            s
        };
        let mut slots: FxHashMap<(char, u8), Slot> = FxHashMap::default();
        // Fresh symbols: (distinct words holding it, last word seen in).
        let mut fresh: FxHashMap<(char, u8), (u64, u32)> = FxHashMap::default();
        let decorated =
            self.continuing_subword_prefix.is_some() || self.end_of_word_suffix.is_some();
        let passes = if decorated { 0..2 } else { 1..2 };
        for pass in passes {
            if pass == 1 && decorated {
                let mut order: Vec<(String, (char, u8), u64)> = fresh
                    .drain()
                    .map(|(k, (n, _))| (symbol(k.0, k.1), k, n))
                    .collect();
                order.sort_unstable_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
                for (t, k, _) in order {
                    let id = Self::add(&t, &mut w2id, &mut id2w);
                    slots.insert(k, Slot::Id(id));
                }
            }
            for (wi, (w, _)) in sorted.iter().enumerate() {
                let mut syms = Vec::with_capacity(w.len());
                let last = w.chars().count().saturating_sub(1);
                for (i, c) in w.chars().enumerate() {
                    let v = u8::from(i > 0 && self.continuing_subword_prefix.is_some())
                        | (u8::from(i == last && self.end_of_word_suffix.is_some()) << 1);
                    let slot = *slots.entry((c, v)).or_insert_with(|| {
                        let mut buf = [0u8; 4];
                        if !w2id.contains_key(&*c.encode_utf8(&mut buf)) {
                            Slot::Outside
                        } else {
                            match w2id.get(&symbol(c, v)) {
                                Some(&id) => Slot::Id(id),
                                None => Slot::Fresh,
                            }
                        }
                    });
                    match slot {
                        Slot::Outside => {}
                        Slot::Id(id) => syms.push(Sym { id, len: 1 }),
                        Slot::Fresh => {
                            let e = fresh.entry((c, v)).or_insert((0, u32::MAX));
                            if e.1 != wi as u32 {
                                *e = (e.0 + 1, wi as u32);
                            }
                        }
                    }
                }
                if pass == 1 {
                    words.push(syms);
                }
            }
        }
        let word_counts: Vec<u64> = sorted.iter().map(|&(_, n)| n).collect();
        progress.inc(sorted.len() as u64);
        drop(sorted);

        // Initial pair counts and where each pair occurs.
        progress.stage("Count pairs", words.len() as u64);
        let mut pair_counts: FxHashMap<Pair, i64> = FxHashMap::default();
        let mut where_to: FxHashMap<Pair, Vec<u32>> = FxHashMap::default();
        for (i, w) in words.iter().enumerate() {
            let n = word_counts[i] as i64;
            for win in w.windows(2) {
                let p = pair(win[0].id, win[1].id);
                *pair_counts.entry(p).or_insert(0) += n;
                let list = where_to.entry(p).or_default();
                if list.last() != Some(&(i as u32)) {
                    list.push(i as u32);
                }
            }
        }
        progress.inc(words.len() as u64);
        let mut queue: BinaryHeap<Merge> = BinaryHeap::with_capacity(pair_counts.len());
        push_all(&mut queue, &mut where_to, &pair_counts);

        // The merge loop.
        progress.stage("Compute merges", self.vocab_size as u64);
        let mut merges: Vec<(Pair, u32)> = Vec::new();
        let mut changes: Vec<Change> = Vec::new();
        let mut deltas: FxHashMap<Pair, i64> = FxHashMap::default();
        while w2id.len() < self.vocab_size {
            let Some(mut top) = queue.pop() else { break };
            let live = pair_counts.get(&top.pair).copied().unwrap_or(0) as u64;
            if top.count != live {
                top.count = live;
                queue.push(top);
                continue;
            }
            if top.count < 1 || self.min_frequency > top.count {
                break;
            }
            let (a, b) = split_pair(top.pair);
            let left = &id2w[a as usize];
            let mut right = id2w[b as usize].as_str();
            if let Some(p) = &self.continuing_subword_prefix {
                right = right.strip_prefix(p.as_str()).unwrap_or(right);
            }
            let token = format!("{left}{right}");
            let new = Self::add(&token, &mut w2id, &mut id2w);
            merges.push((top.pair, new));

            let op = MergeOp { a, b, new, max_len };
            changes.clear();
            if top.words.len() < PARALLEL_MIN_WORDS {
                for &w in &top.words {
                    let n = word_counts[w as usize];
                    merge_word(&mut words[w as usize], &op, w, n, &mut changes);
                }
            } else {
                let mut taken: Vec<(u32, u64, Vec<Sym>)> = top
                    .words
                    .iter()
                    .map(|&w| {
                        (
                            w,
                            word_counts[w as usize],
                            std::mem::take(&mut words[w as usize]),
                        )
                    })
                    .collect();
                let parts: Vec<Vec<Change>> = crate::util::pool().install(|| {
                    taken
                        .par_chunks_mut(64)
                        .map(|chunk| {
                            let mut out = Vec::new();
                            for (w, n, word) in chunk.iter_mut() {
                                merge_word(word, &op, *w, *n, &mut out);
                            }
                            out
                        })
                        .collect()
                });
                for (w, _, word) in taken {
                    words[w as usize] = word;
                }
                changes.extend(parts.into_iter().flatten());
            }
            // Summed per pair first (the same few pairs around the merge
            // repeat), then added to `pair_counts` once per pair.
            deltas.clear();
            for &(p, delta, w) in &changes {
                *deltas.entry(p).or_insert(0) += delta;
                if delta > 0 {
                    let list = where_to.entry(p).or_default();
                    if list.last() != Some(&w) {
                        list.push(w);
                    }
                }
            }
            for (&p, &d) in &deltas {
                *pair_counts.entry(p).or_insert(0) += d;
            }
            push_all(&mut queue, &mut where_to, &pair_counts);
            progress.inc(1);
        }

        // A pair merged twice (its queue entries held different words) keeps
        // its last rank, as in `tokenizers`.
        let mut last_rank: FxHashMap<Pair, usize> = FxHashMap::default();
        for (rank, (p, _)) in merges.iter().enumerate() {
            last_rank.insert(*p, rank);
        }
        let merges = merges
            .iter()
            .enumerate()
            .filter(|(rank, (p, _))| last_rank.get(p) == Some(rank))
            .map(|(_, (p, _))| {
                let (a, b) = split_pair(*p);
                (id2w[a as usize].clone(), id2w[b as usize].clone())
            })
            .collect();
        let vocab: Vocab = w2id.into_iter().collect();
        Ok(BpeResult { vocab, merges })
    }

    /// Trains and returns `model` with the new vocabulary and merges; its other
    /// settings (unk token, dropout, byte fallback, ...) are kept.
    pub fn train_model(
        &self,
        counts: &WordCounts,
        model: &Bpe,
        progress: &Progress,
    ) -> Result<Bpe> {
        let r = self.train(counts, progress)?;
        let mut m = model.clone();
        m.vocab = r.vocab;
        m.merge_list = r.merges;
        m.continuing_subword_prefix = self.continuing_subword_prefix.clone();
        m.end_of_word_suffix = self.end_of_word_suffix.clone();
        m.rebuild()?;
        Ok(m)
    }
}

/// Moves every pair with new occurrences into the heap (if its count is positive).
fn push_all(
    queue: &mut BinaryHeap<Merge>,
    where_to: &mut FxHashMap<Pair, Vec<u32>>,
    counts: &FxHashMap<Pair, i64>,
) {
    for (pair, words) in where_to.drain() {
        let count = counts.get(&pair).copied().unwrap_or(0);
        if count > 0 {
            queue.push(Merge {
                pair,
                count: count as u64,
                words,
            });
        }
    }
}

/// `tokenizers` silently returns a vocabulary larger than asked when the
/// alphabet and special tokens alone exceed it; fasttok says so.
pub(crate) fn check_vocab_size(vocab_size: usize, initial: usize, special: usize) -> Result<()> {
    if vocab_size < initial {
        return Err(Error::config(format!(
            "vocab_size {vocab_size} is smaller than the {initial} tokens every vocabulary of this corpus \
             starts with ({special} special tokens and {} alphabet characters); raise vocab_size or set \
             limit_alphabet",
            initial - special
        )));
    }
    Ok(())
}
