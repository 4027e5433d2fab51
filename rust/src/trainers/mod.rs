//! Vocabulary training. The corpus is read in batches of lines, each line
//! normalized and pre-tokenized by the tokenizer being trained (as
//! `tokenizers` does: no added-token extraction), and its words counted in
//! parallel; a trainer then builds the model from the counts.

pub mod bpe;
mod progress;
pub mod suffix;
pub mod unigram;
pub mod wordlevel;

pub use bpe::BpeTrainer;
pub use progress::Progress;
pub use unigram::UnigramTrainer;
pub use wordlevel::WordLevelTrainer;

use crate::added_vocabulary::AddedToken;
use crate::error::{Error, Result};
use crate::models::{Model, WordPiece};
use crate::pre_tokenizers::plain::PlainSplitter;
use crate::tokenizer::Tokenizer;
use crate::util::FxHashMap;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Distinct words of the corpus and how often each occurs.
pub type WordCounts = FxHashMap<String, u64>;

/// WordPiece vocabularies are trained as BPE with a `##` continuation prefix;
/// only the vocabulary is kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct WordPieceTrainer {
    #[serde(flatten)]
    pub bpe: BpeTrainer,
}

impl Default for WordPieceTrainer {
    fn default() -> Self {
        WordPieceTrainer {
            bpe: BpeTrainer {
                continuing_subword_prefix: Some("##".into()),
                ..BpeTrainer::default()
            },
        }
    }
}

/// The trainers, tagged by `type` in their JSON form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Trainer {
    BpeTrainer(BpeTrainer),
    WordPieceTrainer(WordPieceTrainer),
    WordLevelTrainer(WordLevelTrainer),
    UnigramTrainer(UnigramTrainer),
}

impl Trainer {
    pub fn from_json(s: &str) -> Result<Trainer> {
        let de = &mut serde_json::Deserializer::from_str(s);
        serde_path_to_error::deserialize(de).map_err(|e| Error::Parse {
            location: format!("trainer.{}", e.path()),
            message: e.inner().to_string(),
        })
    }

    pub fn show_progress(&self) -> bool {
        match self {
            Trainer::BpeTrainer(t) => t.show_progress,
            Trainer::WordPieceTrainer(t) => t.bpe.show_progress,
            Trainer::WordLevelTrainer(t) => t.show_progress,
            Trainer::UnigramTrainer(t) => t.show_progress,
        }
    }

    pub fn special_tokens(&self) -> &[AddedToken] {
        match self {
            Trainer::BpeTrainer(t) => &t.special_tokens,
            Trainer::WordPieceTrainer(t) => &t.bpe.special_tokens,
            Trainer::WordLevelTrainer(t) => &t.special_tokens,
            Trainer::UnigramTrainer(t) => &t.special_tokens,
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Trainer::BpeTrainer(_) => "BpeTrainer",
            Trainer::WordPieceTrainer(_) => "WordPieceTrainer",
            Trainer::WordLevelTrainer(_) => "WordLevelTrainer",
            Trainer::UnigramTrainer(_) => "UnigramTrainer",
        }
    }

    /// The trainer a model trains with by default (`Model.get_trainer`).
    pub fn for_model(model: &Model) -> Result<Trainer> {
        Ok(match model {
            Model::BPE(_) => Trainer::BpeTrainer(BpeTrainer::default()),
            Model::WordPiece(_) => Trainer::WordPieceTrainer(WordPieceTrainer::default()),
            Model::WordLevel(_) => Trainer::WordLevelTrainer(WordLevelTrainer::default()),
            Model::Unigram(_) => Trainer::UnigramTrainer(UnigramTrainer::default()),
        })
    }

    /// Builds a new model of the same kind as `model` from the counts.
    pub fn train(&self, counts: &WordCounts, model: &Model, progress: &Progress) -> Result<Model> {
        if counts.is_empty() {
            return Err(Error::input(
                "the training corpus has no words (it is empty, or the normalizer and \
                 pre-tokenizer leave nothing of it)",
            ));
        }
        let wrong = |kind: &str| {
            Error::config(format!(
                "{} can only train a {kind} model, but the tokenizer's model is {}",
                self.name(),
                model.kind()
            ))
        };
        let out = match (self, model) {
            (Trainer::BpeTrainer(t), Model::BPE(m)) => {
                Model::BPE(t.train_model(counts, m, progress)?)
            }
            (Trainer::BpeTrainer(_), _) => return Err(wrong("BPE")),
            (Trainer::WordPieceTrainer(t), Model::WordPiece(m)) => {
                let r = t.bpe.train(counts, progress)?;
                Model::WordPiece(WordPiece::new(
                    r.vocab,
                    m.unk_token.clone(),
                    t.bpe
                        .continuing_subword_prefix
                        .clone()
                        .unwrap_or_else(|| m.continuing_subword_prefix.clone()),
                    m.max_input_chars_per_word,
                ))
            }
            (Trainer::WordPieceTrainer(_), _) => return Err(wrong("WordPiece")),
            (Trainer::WordLevelTrainer(t), Model::WordLevel(m)) => {
                Model::WordLevel(t.train_model(counts, m, progress)?)
            }
            (Trainer::WordLevelTrainer(_), _) => return Err(wrong("WordLevel")),
            (Trainer::UnigramTrainer(t), Model::Unigram(_)) => {
                Model::Unigram(t.train(counts, progress)?)
            }
            (Trainer::UnigramTrainer(_), _) => return Err(wrong("Unigram")),
        };
        progress.finish();
        Ok(out)
    }
}

/// Counts the words of a corpus, batch by batch.
#[derive(Default)]
pub struct WordCounter {
    counts: WordCounts,
    /// The counted words are ByteLevel pieces not yet rewritten byte to char
    /// (done once per distinct word, in [`WordCounter::finish`]).
    raw_byte_level: bool,
    /// Estimated memory of `counts`, in bytes (see [`entry_bytes`]).
    bytes: usize,
    /// When `bytes` passes it, rare words are dropped (see [`WordCounter::prune`]).
    budget: Option<usize>,
    /// The highest threshold a prune used: words seen fewer times than this
    /// (at that point) were dropped; 0 when none were.
    pub pruned_below: u64,
    /// How many distinct words were dropped in all.
    pub pruned_words: u64,
}

/// Memory of one counted word: its bytes, plus the String, count, hash-table
/// slot and allocator overhead (measured: about 64 bytes a word).
fn entry_bytes(word: &str) -> usize {
    64 + word.len()
}

impl WordCounter {
    /// A counter that keeps its word table under about `budget` bytes by
    /// dropping the rarest words whenever it grows past it.
    pub fn with_budget(budget: Option<usize>) -> Self {
        WordCounter {
            budget,
            ..Default::default()
        }
    }

    /// Drops words seen fewer than 2, then 4, 8, ... times so far, until the
    /// table is at most half the budget (so that pruning does not run on
    /// every batch). Each prune starts again from 2: frequent words have
    /// gathered counts by then and stay.
    /// The counts kept are then lower bounds: a dropped word that comes back
    /// starts again from zero.
    fn prune(&mut self, budget: usize, progress: &Progress) {
        let mut below = 2u64;
        loop {
            let before = self.counts.len();
            self.counts.retain(|_, n| *n >= below);
            self.pruned_words += (before - self.counts.len()) as u64;
            self.bytes = self.counts.keys().map(|w| entry_bytes(w)).sum();
            if self.bytes <= budget / 2 || self.counts.is_empty() || below == u64::MAX {
                break;
            }
            below = below.saturating_mul(2);
        }
        self.counts.shrink_to_fit();
        self.pruned_below = self.pruned_below.max(below);
        progress.println(&format!(
            "memory budget of {budget} bytes reached: dropped the words seen fewer than {below} times so far \
             ({} dropped in all, {} kept)",
            self.pruned_words,
            self.counts.len()
        ));
    }

    /// Counts the words of `seqs` (each one sequence, like a line of a file),
    /// in parallel over the thread pool.
    pub fn add<S: AsRef<str> + Sync>(
        &mut self,
        tok: &Tokenizer,
        seqs: &[S],
        progress: &Progress,
    ) -> Result<()> {
        if seqs.is_empty() {
            return Ok(());
        }
        let splitter = tok.pre_tokenizer.as_ref().and_then(PlainSplitter::new);
        self.raw_byte_level = splitter.as_ref().is_some_and(|sp| sp.byte_level());
        let pool = crate::util::pool();
        let parts = (pool.current_num_threads() * 4).max(1);
        let chunk = seqs.len().div_ceil(parts).max(1);
        let maps: Vec<Result<WordCounts>> = pool.install(|| {
            seqs.par_chunks(chunk)
                .map(|c| {
                    let mut m = WordCounts::default();
                    let mut count = |w: &str| match m.get_mut(w) {
                        Some(n) => *n += 1,
                        None => {
                            m.insert(w.to_owned(), 1);
                        }
                    };
                    for s in c {
                        let s = s.as_ref();
                        match &splitter {
                            Some(sp) => match &tok.normalizer {
                                Some(n) => sp.split(&n.normalize_str(s)?, &mut count)?,
                                None => {
                                    crate::normalized::check_len(s)?;
                                    sp.split(s, &mut count)?
                                }
                            },
                            None => tok.training_words(s, &mut count)?,
                        }
                    }
                    Ok(m)
                })
                .collect()
        });
        for m in maps {
            let m = m?;
            if self.counts.is_empty() {
                self.bytes = m.keys().map(|w| entry_bytes(w)).sum();
                self.counts = m;
                continue;
            }
            for (w, n) in m {
                match self.counts.entry(w) {
                    std::collections::hash_map::Entry::Occupied(mut e) => *e.get_mut() += n,
                    std::collections::hash_map::Entry::Vacant(e) => {
                        self.bytes += entry_bytes(e.key());
                        e.insert(n);
                    }
                }
            }
        }
        if let Some(budget) = self.budget {
            if self.bytes > budget {
                self.prune(budget, progress);
            }
        }
        Ok(())
    }

    /// Distinct words counted so far.
    pub fn len(&self) -> usize {
        self.counts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    /// The counts, as the tokenizer's pre-tokenizer would have given them.
    pub fn finish(&mut self) -> WordCounts {
        let counts = std::mem::take(&mut self.counts);
        if !self.raw_byte_level {
            return counts;
        }
        let table = crate::pre_tokenizers::byte_level::byte_to_char();
        counts
            .into_iter()
            .map(|(w, n)| (w.bytes().map(|b| table[b as usize]).collect(), n))
            .collect()
    }
}

/// Lines are fed to the counter in batches of about this many bytes.
const BATCH_BYTES: usize = 4 << 20;

/// Reads `files` line by line (each line keeps its `\n`) in batches and counts
/// their words. Invalid UTF-8 is an error naming the file and byte offset.
pub fn count_files(
    tok: &Tokenizer,
    files: &[PathBuf],
    budget: Option<usize>,
    progress: &Progress,
) -> Result<WordCounts> {
    let io = |p: &Path, e: std::io::Error| Error::Io {
        path: p.to_owned(),
        source: e,
    };
    let mut total = 0u64;
    for f in files {
        total += std::fs::metadata(f).map_err(|e| io(f, e))?.len();
    }
    progress.bytes_stage("Read files", total);
    let mut counter = WordCounter::with_budget(budget);
    for f in files {
        let file = std::fs::File::open(f).map_err(|e| io(f, e))?;
        counter.add_reader(tok, &f.display().to_string(), file, progress)?;
    }
    Ok(counter.finish())
}

impl WordCounter {
    /// Reads a stream in blocks of whole lines and counts their words; `name`
    /// (a file name, or "<stdin>") is named in errors.
    pub fn add_reader<R: Read>(
        &mut self,
        tok: &Tokenizer,
        name: &str,
        r: R,
        progress: &Progress,
    ) -> Result<()> {
        let mut reader = r;
        let io = |e: std::io::Error| Error::Io {
            path: name.into(),
            source: e,
        };
        // Blocks of about BATCH_BYTES, cut after their last line break; the
        // rest is carried into the next block.
        let mut buf: Vec<u8> = Vec::with_capacity(BATCH_BYTES * 2);
        let mut offset = 0u64; // of `buf` in the stream
        let mut eof = false;
        while !eof || !buf.is_empty() {
            // Read at least BATCH_BYTES, and on until a line break (a line
            // is never cut) or the end. What is carried over has no break.
            let mut has_break = false;
            while !eof && (buf.len() < BATCH_BYTES || !has_break) {
                let start = buf.len();
                buf.resize(start + BATCH_BYTES, 0);
                let n = loop {
                    match reader.read(&mut buf[start..]) {
                        Ok(n) => break n,
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                        Err(e) => return Err(io(e)),
                    }
                };
                buf.truncate(start + n);
                eof = n == 0;
                has_break |= buf[start..].contains(&b'\n');
            }
            let cut = match buf.iter().rposition(|&b| b == b'\n') {
                Some(p) if !eof => p + 1,
                _ => buf.len(),
            };
            let text = std::str::from_utf8(&buf[..cut]).map_err(|e| {
                Error::input(format!(
                    "{name}: invalid UTF-8 at byte {}",
                    offset + e.valid_up_to() as u64
                ))
            })?;
            let lines: Vec<&str> = text.split_inclusive('\n').collect();
            self.add(tok, &lines, progress)?;
            offset += cut as u64;
            progress.inc(cut as u64);
            buf.drain(..cut);
        }
        Ok(())
    }
}

impl Tokenizer {
    /// Trains the model from word counts and adds the trainer's special tokens.
    pub fn train_from_counts(
        &mut self,
        trainer: &Trainer,
        counts: &WordCounts,
        progress: &Progress,
    ) -> Result<()> {
        let model = trainer.train(counts, &self.model, progress)?;
        self.model = Arc::new(model);
        self.refresh_added_tokens()?;
        let special: Vec<AddedToken> = trainer
            .special_tokens()
            .iter()
            .map(|t| AddedToken {
                special: true,
                ..t.clone()
            })
            .collect();
        self.add_tokens(&special)?;
        Ok(())
    }

    /// `Tokenizer.train(files, trainer)`; with `budget`, the word table is
    /// kept under about that many bytes (see [`WordCounter::with_budget`]).
    pub fn train_files(
        &mut self,
        trainer: &Trainer,
        files: &[PathBuf],
        budget: Option<usize>,
    ) -> Result<()> {
        let progress = Progress::new(trainer.show_progress());
        let counts = count_files(self, files, budget, &progress)?;
        self.train_from_counts(trainer, &counts, &progress)
    }
}
