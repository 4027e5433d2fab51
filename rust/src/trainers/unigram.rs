//! Unigram training, step for step as SentencePiece's and `tokenizers`'
//! `UnigramTrainer`:
//!
//! 1. Seeds: every char, scored by how often it occurs, then the substrings
//!    of the distinct words that the suffix tree of all of them (joined by
//!    NUL) has as internal nodes (those repeated with different right
//!    contexts; [`super::suffix`]), 2 to `max_piece_length` chars, scored
//!    occurrences x length, best first, up to `seed_size` pieces; scores
//!    become log probabilities.
//! 2. EM: each sub-iteration computes every piece's expected count over all
//!    words (forward-backward on each word's lattice, weighted by the word's
//!    count), drops pieces expected fewer than 0.5 times, and re-scores the
//!    rest as `digamma(count) - digamma(total)`.
//! 3. Pruning, until at most 1.1 x `vocab_size` pieces are left: each piece
//!    whose own best segmentation is itself gets its second-best segmentation
//!    as the alternative it would be replaced by; the pieces whose removal
//!    costs the corpus likelihood least (as `tokenizers` estimates it) go, so
//!    that `shrinking_factor` of them stay.
//! 4. The result: special tokens (and `unk_token` in front, if not among
//!    them), then every char of the corpus and `initial_alphabet`, then the
//!    best-scored pieces until `vocab_size` entries in all, sorted by score.
//!
//! Where this differs from `tokenizers`: it orders the words by count (then
//! by bytes) where `tokenizers` takes them in its hash map's order, which
//! changes from run to run; the E-step sums floats in that order, so its
//! expected counts differ in the last bits between runs of `tokenizers`,
//! and fasttok's are fixed: the same whatever the thread count (words are
//! summed in chunks of a fixed size, chunks added in order). Chars that the
//! model lost and that are put back at the end get increasing penalties in
//! code point order (hash order in `tokenizers`). A word that spells the
//! training-time `<UNK>` cannot match it (its NaN score makes `tokenizers`
//! panic there).

use super::{Progress, WordCounts};
use crate::added_vocabulary::AddedToken;
use crate::error::{Error, Result};
use crate::models::unigram::{Trie, UNK_PENALTY};
use crate::models::Unigram;
use crate::util::FxHashMap;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct UnigramTrainer {
    pub vocab_size: usize,
    pub n_sub_iterations: usize,
    pub shrinking_factor: f64,
    pub special_tokens: Vec<AddedToken>,
    pub initial_alphabet: BTreeSet<char>,
    pub unk_token: Option<String>,
    pub max_piece_length: usize,
    pub seed_size: usize,
    pub show_progress: bool,
}

impl Default for UnigramTrainer {
    fn default() -> Self {
        UnigramTrainer {
            vocab_size: 8000,
            n_sub_iterations: 2,
            shrinking_factor: 0.75,
            special_tokens: vec![],
            initial_alphabet: BTreeSet::new(),
            unk_token: None,
            max_piece_length: 16,
            seed_size: 1_000_000,
            show_progress: true,
        }
    }
}

/// A piece and its score (a log probability).
type Piece = (String, f64);

/// Words are given to the E-step in chunks of this many, each summed on its
/// own and the chunks added in order, so that the sums do not depend on the
/// number of threads.
const CHUNK: usize = 2048;

/// `tokenizers`' (and SentencePiece's) approximation of the digamma function.
fn digamma(mut x: f64) -> f64 {
    let mut result = 0.0;
    while x < 7.0 {
        result -= 1.0 / x;
        x += 1.0;
    }
    x -= 0.5;
    let xx = 1.0 / x;
    let xx2 = xx * xx;
    let xx4 = xx2 * xx2;
    result + x.ln() + xx2 / 24.0 - 7.0 / 960.0 * xx4 + 31.0 / 8064.0 * xx4 * xx2
        - 127.0 / 30720.0 * xx4 * xx4
}

/// log(exp(x) + exp(y)), with SentencePiece's cut-off.
#[inline]
fn log_sum_exp(x: f64, y: f64) -> f64 {
    let (lo, hi) = if x > y { (y, x) } else { (x, y) };
    if hi > lo + 50.0 {
        hi
    } else {
        hi + ((lo - hi).exp() + 1.0).ln()
    }
}

fn to_log_prob(pieces: &mut [Piece]) {
    let sum: f64 = pieces.iter().map(|p| p.1).sum();
    let log_sum = sum.ln();
    for p in pieces {
        p.1 = p.1.ln() - log_sum;
    }
}

/// The pieces as the lattices need them. Id 0 is the training-time unk: it
/// scores chars no piece covers and never matches text.
struct Scorer {
    trie: Trie,
    scores: Vec<f64>,
    unk_score: f64,
}

impl Scorer {
    fn new(pieces: &[Piece]) -> Self {
        let trie = Trie::build(
            pieces
                .iter()
                .enumerate()
                .skip(1)
                .map(|(i, p)| (i as u32, p.0.as_str())),
        );
        let min = pieces.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
        Scorer {
            trie,
            scores: pieces.iter().map(|p| p.1).collect(),
            unk_score: min - UNK_PENALTY,
        }
    }
}

#[derive(Clone, Copy)]
struct Node {
    id: u32,
    start: u32,
    end: u32,
    score: f64,
}

/// Node ids of the lattice's two ends (never vocabulary ids).
const BOS: u32 = u32::MAX - 1;
const EOS: u32 = u32::MAX;

/// All the ways to cut one word into pieces: node 0 is the start, then the
/// pieces by start position (shorter first, as the trie finds them; an unk
/// node after them where no single-char piece starts), the end node last.
/// For each position, the nodes starting and ending there keep that order,
/// which decides ties as `tokenizers`' lattice does.
#[derive(Default)]
struct Lattice {
    nodes: Vec<Node>,
    len: usize,
    /// Nodes starting at `pos`: `begin[pos]..begin[pos + 1]`.
    begin: Vec<u32>,
    /// Nodes ending at `pos`: `ends[end_at[pos]..end_at[pos + 1]]`.
    end_at: Vec<u32>,
    ends: Vec<u32>,
    a: Vec<f64>,
    b: Vec<f64>,
    prev: Vec<u32>,
}

impl Lattice {
    /// Fills the lattice of `s`; with `skip_whole`, a piece spanning all of
    /// `s` is left out (it still counts as the char piece of a 1-char `s`).
    fn fill(&mut self, s: &str, m: &Scorer, skip_whole: bool) {
        let n = s.len();
        self.len = n;
        self.nodes.clear();
        self.nodes.push(Node {
            id: BOS,
            start: 0,
            end: 0,
            score: 0.0,
        });
        let bytes = s.as_bytes();
        for (pos, c) in s.char_indices() {
            let ch = c.len_utf8();
            let mut has_single = false;
            let nodes = &mut self.nodes;
            m.trie.common_prefixes(bytes, pos, |end, id| {
                if end - pos == ch {
                    has_single = true;
                }
                if !(skip_whole && pos == 0 && end == n) {
                    nodes.push(Node {
                        id,
                        start: pos as u32,
                        end: end as u32,
                        score: m.scores[id as usize],
                    });
                }
            });
            if !has_single {
                self.nodes.push(Node {
                    id: 0,
                    start: pos as u32,
                    end: (pos + ch) as u32,
                    score: m.unk_score,
                });
            }
        }
        self.nodes.push(Node {
            id: EOS,
            start: n as u32,
            end: n as u32,
            score: 0.0,
        });
        // Counting sorts by start (nodes 1..) and by end (nodes ..last).
        let last = self.nodes.len() - 1;
        self.begin.clear();
        self.begin.resize(n + 2, 0);
        for node in &self.nodes[1..] {
            self.begin[node.start as usize + 1] += 1;
        }
        self.begin[0] = 1;
        for i in 1..n + 2 {
            self.begin[i] += self.begin[i - 1];
        }
        self.end_at.clear();
        self.end_at.resize(n + 2, 0);
        for node in &self.nodes[..last] {
            self.end_at[node.end as usize + 1] += 1;
        }
        for i in 1..n + 2 {
            self.end_at[i] += self.end_at[i - 1];
        }
        self.ends.clear();
        self.ends.resize(last, 0);
        let mut fill = self.end_at.clone();
        for (i, node) in self.nodes[..last].iter().enumerate() {
            let slot = &mut fill[node.end as usize];
            self.ends[*slot as usize] = i as u32;
            *slot += 1;
        }
    }

    fn begins(&self, pos: usize) -> std::ops::Range<usize> {
        self.begin[pos] as usize..self.begin[pos + 1] as usize
    }

    fn ending(&self, pos: usize) -> &[u32] {
        &self.ends[self.end_at[pos] as usize..self.end_at[pos + 1] as usize]
    }

    /// Adds `freq` x each piece's marginal probability to `expected` (by
    /// forward-backward, in `tokenizers`' order of operations).
    fn marginals(&mut self, freq: f64, mut add: impl FnMut(u32, f64)) {
        let n = self.len;
        let count = self.nodes.len();
        self.a.clear();
        self.a.resize(count, 0.0);
        self.b.clear();
        self.b.resize(count, 0.0);
        for pos in 0..=n {
            let ending = &self.ends[self.end_at[pos] as usize..self.end_at[pos + 1] as usize];
            for r in self.begin[pos] as usize..self.begin[pos + 1] as usize {
                for (k, &l) in ending.iter().enumerate() {
                    let l = l as usize;
                    let v = self.nodes[l].score + self.a[l];
                    self.a[r] = if k == 0 { v } else { log_sum_exp(self.a[r], v) };
                }
            }
        }
        for pos in (0..=n).rev() {
            let ending = &self.ends[self.end_at[pos] as usize..self.end_at[pos + 1] as usize];
            let (b0, b1) = (self.begin[pos] as usize, self.begin[pos + 1] as usize);
            for &l in ending {
                let l = l as usize;
                for r in b0..b1 {
                    let v = self.nodes[r].score + self.b[r];
                    self.b[l] = if r == b0 {
                        v
                    } else {
                        log_sum_exp(self.b[l], v)
                    };
                }
            }
        }
        let z = self.a[count - 1];
        for (i, node) in self.nodes.iter().enumerate().take(count - 1).skip(1) {
            let total = self.a[i] + node.score + self.b[i] - z;
            add(node.id, freq * total.exp());
        }
    }

    /// The ids of the best path (ties to the node ending at a position that
    /// starts first), or None if there is no path.
    fn viterbi(&mut self) -> Option<Vec<u32>> {
        let n = self.len;
        let count = self.nodes.len();
        self.a.clear();
        self.a.resize(count, 0.0);
        self.prev.clear();
        self.prev.resize(count, u32::MAX);
        for pos in 0..=n {
            for r in self.begins(pos) {
                let mut best: Option<(u32, f64)> = None;
                for &l in self.ending(pos) {
                    let v = self.a[l as usize] + self.nodes[r].score;
                    if best.is_none_or(|(_, s)| v > s) {
                        best = Some((l, v));
                    }
                }
                let (l, v) = best?;
                self.prev[r] = l;
                self.a[r] = v;
            }
        }
        let mut out = Vec::new();
        let mut at = self.prev[count - 1];
        while at != 0 {
            out.push(self.nodes[at as usize].id);
            at = *self.prev.get(at as usize)?;
            if at == u32::MAX {
                return None;
            }
        }
        out.reverse();
        Some(out)
    }
}

impl UnigramTrainer {
    /// Pruning stops once at most this many pieces are left (1.1 x vocab_size).
    fn desired(&self) -> usize {
        self.vocab_size.saturating_mul(11) / 10
    }

    fn check(&self) -> Result<()> {
        if !(self.shrinking_factor > 0.0 && self.shrinking_factor < 1.0) {
            return Err(Error::config(format!(
                "UnigramTrainer.shrinking_factor: expected a number between 0 and 1 (exclusive), got {}",
                self.shrinking_factor
            )));
        }
        if self.vocab_size == 0 {
            return Err(Error::config(
                "UnigramTrainer.vocab_size: expected at least 1",
            ));
        }
        Ok(())
    }

    /// Chars and frequent substrings, as log probabilities (step 1).
    fn seeds(&self, words: &[(&str, u64)]) -> Result<Vec<Piece>> {
        // The words as code points, each followed by NUL.
        let mut t: Vec<u32> = Vec::with_capacity(words.iter().map(|w| w.0.len() + 1).sum());
        let mut chars: FxHashMap<char, u64> = FxHashMap::default();
        for (w, n) in words.iter().filter(|w| !w.0.is_empty()) {
            for c in w.chars() {
                t.push(u32::from(c));
                if c != '\0' {
                    *chars.entry(c).or_insert(0) += n;
                }
            }
            t.push(0);
        }
        if t.len() >= u32::MAX as usize {
            return Err(Error::input(
                "UnigramTrainer: the distinct words hold more than 4G chars",
            ));
        }
        // (score, start, length) of the repeats that can be pieces.
        let mut subs: Vec<(u64, u32, u32)> = Vec::new();
        super::suffix::repeats(&t, |start, len, occurrences| {
            if len > 1 && len <= self.max_piece_length && !t[start..start + len].contains(&0) {
                subs.push(((occurrences * len) as u64, start as u32, len as u32));
            }
        });
        let text = |s: u32, l: u32| &t[s as usize..(s + l) as usize];
        subs.sort_unstable_by(|a, b| {
            b.0.cmp(&a.0)
                .then_with(|| text(b.1, b.2).cmp(text(a.1, a.2)))
        });
        let mut chars: Vec<(u64, char)> = chars.into_iter().map(|(c, n)| (n, c)).collect();
        chars.sort_unstable_by(|a, b| b.cmp(a));
        let mut seeds: Vec<Piece> = chars
            .into_iter()
            .map(|(n, c)| (c.to_string(), n as f64))
            .collect();
        for (score, start, len) in subs {
            let piece = text(start, len)
                .iter()
                .filter_map(|&c| char::from_u32(c))
                .collect();
            seeds.push((piece, score as f64));
            if seeds.len() >= self.seed_size {
                break;
            }
        }
        to_log_prob(&mut seeds);
        Ok(seeds)
    }

    /// Expected count of every piece over all words.
    fn e_step(&self, pieces: &[Piece], words: &[(&str, u64)]) -> Vec<f64> {
        let scorer = Scorer::new(pieces);
        let m = pieces.len();
        let mut expected = vec![0.0f64; m];
        let pool = crate::util::pool();
        // Waves of chunks: bounded memory for the partial sums.
        let wave = CHUNK * (pool.current_num_threads() * 4).max(1);
        for group in words.chunks(wave) {
            let parts: Vec<Vec<(u32, f64)>> = pool.install(|| {
                group
                    .par_chunks(CHUNK)
                    .map_init(
                        || (Lattice::default(), FxHashMap::<u32, f64>::default()),
                        |(lat, acc), chunk| {
                            acc.clear();
                            for &(w, n) in chunk {
                                lat.fill(w, &scorer, false);
                                lat.marginals(n as f64, |id, v| {
                                    *acc.entry(id).or_insert(0.0) += v;
                                });
                            }
                            acc.iter().map(|(&k, &v)| (k, v)).collect()
                        },
                    )
                    .collect()
            });
            for part in parts {
                for (id, v) in part {
                    expected[id as usize] += v;
                }
            }
        }
        expected
    }

    fn m_step(pieces: &[Piece], expected: &[f64]) -> Vec<Piece> {
        let mut kept: Vec<Piece> = Vec::with_capacity(pieces.len());
        let mut sum = 0.0;
        for (i, (p, &freq)) in pieces.iter().zip(expected).enumerate() {
            if i == 0 {
                kept.push((p.0.clone(), f64::NAN));
                continue;
            }
            if freq < 0.5 {
                continue;
            }
            kept.push((p.0.clone(), freq));
            sum += freq;
        }
        let log_sum = digamma(sum);
        for p in &mut kept {
            p.1 = digamma(p.1) - log_sum;
        }
        kept
    }

    /// Drops the pieces whose loss hurts the likelihood least (step 3).
    fn prune(&self, pieces: &[Piece], words: &[(&str, u64)]) -> Vec<Piece> {
        let scorer = Scorer::new(pieces);
        let m = pieces.len();
        let pool = crate::util::pool();
        // For each piece: kept always, and what replaces it.
        let alt: Vec<(bool, Vec<u32>)> = pool.install(|| {
            pieces
                .par_iter()
                .enumerate()
                .map_init(Lattice::default, |lat, (id, (p, _))| {
                    if id == 0 {
                        return (false, Vec::new());
                    }
                    lat.fill(p, &scorer, false);
                    let best = lat.viterbi().unwrap_or_default();
                    if best.len() >= 2 {
                        return (false, Vec::new());
                    }
                    lat.fill(p, &scorer, true);
                    match lat.viterbi() {
                        Some(second) if !second.is_empty() => (true, second),
                        _ => (true, Vec::new()),
                    }
                })
                .collect()
        });
        // Viterbi counts over the corpus (integers: any order gives the same sums).
        let counts: Vec<u64> = pool.install(|| {
            words
                .par_chunks(CHUNK)
                .fold(
                    || (Lattice::default(), vec![0u64; m]),
                    |(mut lat, mut c), chunk| {
                        for &(w, n) in chunk {
                            lat.fill(w, &scorer, false);
                            for id in lat.viterbi().unwrap_or_default() {
                                c[id as usize] += n;
                            }
                        }
                        (lat, c)
                    },
                )
                .map(|(_, c)| c)
                .reduce(
                    || vec![0u64; m],
                    |mut a, b| {
                        a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
                        a
                    },
                )
        });
        let freq: Vec<f64> = counts.iter().map(|&c| c as f64).collect();
        let vsum: f64 = words.iter().map(|w| w.1 as f64).sum();
        let sum: f64 = freq.iter().sum();
        let log_sum = sum.ln();
        let mut kept: Vec<Piece> = vec![pieces[0].clone()];
        let mut candidates: Vec<(usize, f64)> = Vec::new();
        for (id, p) in pieces.iter().enumerate().skip(1) {
            let (always, alternatives) = &alt[id];
            if freq[id] == 0.0 && !always {
                continue;
            }
            if alternatives.is_empty() {
                kept.push(p.clone());
                continue;
            }
            // The piece's own share of the corpus (`tokenizers` sums the
            // counts of the words it occurs in, once per occurrence: the same
            // number).
            let f = freq[id];
            if f == 0.0 {
                continue;
            }
            let f = f / vsum;
            let logprob = freq[id].ln() - log_sum;
            // `tokenizers` scales by the number of pieces here, where
            // SentencePiece uses the number of alternatives; kept for parity.
            let log_sum_alt = (sum + freq[id] * (m - 1) as f64).ln();
            let mut logprob_alt = 0.0;
            for &a in alternatives {
                logprob_alt += (freq[a as usize] + freq[id]).ln() - log_sum_alt;
            }
            let loss = f * (logprob - logprob_alt);
            candidates.push((id, if loss.is_nan() { f64::INFINITY } else { loss }));
        }
        let target = self
            .desired()
            .max((m as f64 * self.shrinking_factor) as usize);
        candidates.sort_by(|a, b| b.1.total_cmp(&a.1));
        for (id, _) in candidates {
            // `==`, as in `tokenizers`: once the kept pieces alone pass the
            // target, every candidate stays too.
            if kept.len() == target {
                break;
            }
            kept.push(pieces[id].clone());
        }
        kept
    }

    /// The pieces that come first (special tokens, with `unk_token` in front
    /// unless it is one of them) and the unk id.
    fn leading(&self) -> (Vec<Piece>, Option<usize>) {
        let mut specials: Vec<Piece> = self
            .special_tokens
            .iter()
            .map(|t| (t.content.clone(), 0.0))
            .collect();
        let unk_id = match &self.unk_token {
            None => None,
            Some(unk) => match specials.iter().position(|s| &s.0 == unk) {
                Some(i) => Some(i),
                None => {
                    specials.insert(0, (unk.clone(), 0.0));
                    Some(0)
                }
            },
        };
        (specials, unk_id)
    }

    /// The final vocabulary (step 4): `vocab_size` entries in all.
    fn finish(&self, pieces: &[Piece], required: &BTreeSet<char>) -> Result<Unigram> {
        let (mut leading, unk_id) = self.leading();
        let room = self.vocab_size.saturating_sub(leading.len());
        // With no scored piece left (a corpus of NULs only), `tokenizers`
        // scores the put-back chars +inf, which JSON cannot hold; 0 here.
        let min = pieces.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
        let min = if min.is_finite() { min } else { 0.0 };
        let known: FxHashMap<&str, f64> = pieces.iter().map(|p| (p.0.as_str(), p.1)).collect();
        let mut out: Vec<Piece> = Vec::with_capacity(room.min(required.len() + pieces.len()));
        let mut taken: std::collections::HashSet<String> = std::collections::HashSet::new();
        taken.insert("<UNK>".into());
        let mut penalty = 0.0;
        for c in required {
            let s = c.to_string();
            let score = match known.get(s.as_str()) {
                Some(&v) => v,
                None => {
                    let v = min + penalty;
                    penalty += 0.0001;
                    v
                }
            };
            taken.insert(s.clone());
            out.push((s, score));
        }
        for (p, score) in pieces {
            if out.len() >= room {
                break;
            }
            if taken.insert(p.clone()) {
                out.push((p.clone(), if score.is_nan() { 0.0 } else { *score }));
            }
        }
        out.sort_by(|a, b| b.1.total_cmp(&a.1));
        leading.extend(out);
        Unigram::new(leading, unk_id, false)
    }

    pub fn train(&self, counts: &WordCounts, progress: &Progress) -> Result<Unigram> {
        self.check()?;
        let mut words: Vec<(&str, u64)> = counts.iter().map(|(w, &n)| (w.as_str(), n)).collect();
        words.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        let mut required: BTreeSet<char> = self.initial_alphabet.clone();
        for (w, _) in &words {
            required.extend(w.chars());
        }
        let leading = self.leading().0.len();
        if self.vocab_size < required.len() + leading {
            return Err(Error::config(format!(
                "UnigramTrainer.vocab_size: {} is below the {} distinct chars of the corpus and \
                 initial_alphabet plus the {leading} special tokens, which the vocabulary must hold",
                self.vocab_size,
                required.len()
            )));
        }

        progress.stage("Suffix array seeds", words.len() as u64);
        let mut pieces: Vec<Piece> = vec![("<UNK>".into(), f64::NAN)];
        pieces.extend(self.seeds(&words)?);
        progress.inc(words.len() as u64);

        let desired = self.desired();
        let loops =
            ((desired as f64).ln() - (pieces.len() as f64).ln()) / self.shrinking_factor.ln();
        let expected_updates = (loops.max(0.0) as u64 + 1) * self.n_sub_iterations as u64;
        progress.stage("EM training", expected_updates);
        loop {
            let before = pieces.len();
            for _ in 0..self.n_sub_iterations {
                let expected = self.e_step(&pieces, &words);
                pieces = Self::m_step(&pieces, &expected);
                progress.inc(1);
            }
            if pieces.len() <= desired {
                break;
            }
            pieces = self.prune(&pieces, &words);
            if pieces.len() >= before {
                // A whole round removed nothing: the next would not either
                // (`tokenizers` loops on forever here).
                break;
            }
        }
        self.finish(&pieces, &required)
    }
}
