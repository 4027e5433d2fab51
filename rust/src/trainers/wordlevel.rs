//! WordLevel training: the special tokens, then the words seen at least
//! `min_frequency` times, most frequent first (equal counts in byte order of
//! the word), until `vocab_size`. Same rule as `tokenizers`, so same ids.

use super::{Progress, WordCounts};
use crate::added_vocabulary::AddedToken;
use crate::error::Result;
use crate::models::{Vocab, WordLevel};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct WordLevelTrainer {
    pub vocab_size: usize,
    pub min_frequency: u64,
    pub show_progress: bool,
    pub special_tokens: Vec<AddedToken>,
}

impl Default for WordLevelTrainer {
    fn default() -> Self {
        WordLevelTrainer {
            vocab_size: 30000,
            min_frequency: 0,
            show_progress: true,
            special_tokens: vec![],
        }
    }
}

impl WordLevelTrainer {
    pub fn train(&self, counts: &WordCounts, progress: &Progress) -> Result<Vocab> {
        progress.stage("Sort words", counts.len() as u64);
        let mut ordered: Vec<(&str, u64)> = counts
            .iter()
            .filter(|(_, &n)| n >= self.min_frequency)
            .map(|(w, &n)| (w.as_str(), n))
            .collect();
        ordered.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        let mut vocab = Vocab::default();
        let tokens = self
            .special_tokens
            .iter()
            .map(|t| t.content.as_str())
            .chain(ordered.into_iter().map(|(w, _)| w))
            .take(self.vocab_size);
        // A word equal to a special token takes its later id, as in `tokenizers`.
        for (id, t) in tokens.enumerate() {
            vocab.insert(t.to_owned(), id as u32);
        }
        progress.inc(counts.len() as u64);
        Ok(vocab)
    }

    pub fn train_model(
        &self,
        counts: &WordCounts,
        model: &WordLevel,
        progress: &Progress,
    ) -> Result<WordLevel> {
        Ok(WordLevel::new(
            self.train(counts, progress)?,
            model.unk_token.clone(),
        ))
    }
}
