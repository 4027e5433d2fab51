//! fasttok: a fast subword tokenizer that reads and writes Hugging Face
//! `tokenizer.json` files and gives the same ids, tokens and offsets as
//! `tokenizers`.
//!
//! The pipeline, each stage in its own module:
//! added tokens ([`added_vocabulary`]) -> [`normalizers`] -> [`pre_tokenizers`]
//! -> [`models`] -> [`processors`] -> [`Encoding`]; and [`decoders`] back.

pub mod added_vocabulary;
pub mod decoders;
pub mod encoding;
pub mod error;
pub mod id_cache;
pub mod models;
pub mod normalized;
pub mod normalizers;
pub mod pattern;
pub mod pre_tokenizers;
pub mod processors;
pub mod tiktoken;
pub mod tokenizer;
pub mod trainers;
pub mod transcode;
pub mod util;

#[cfg(feature = "python")]
mod python;

pub use added_vocabulary::AddedToken;
pub use encoding::Encoding;
pub use error::{Error, Result};
pub use tokenizer::{EncodeInput, InputSequence, OffsetType, Tokenizer};

/// Without a post-processor, a pair is simply concatenated.
pub(crate) fn post_processors_default(e: Encoding, p: Option<Encoding>) -> Encoding {
    match p {
        None => e,
        Some(mut p) => {
            let mut e = e;
            e.set_sequence_id(0);
            p.set_sequence_id(1);
            e.merge_with(p, false);
            e
        }
    }
}
