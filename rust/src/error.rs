//! The one error type of the core. The Python bindings map each variant to an
//! exception class (see `python.rs`), so keep the variants few and meaningful.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be opened or read.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A tokenizer.json (or component JSON) that is not valid JSON or does not
    /// match the schema. `location` names the file (or "<string>") and the
    /// JSON path of the field at fault.
    #[error("{location}: {message}")]
    Parse { location: String, message: String },
    /// A component was built with settings that cannot work (an unknown token
    /// in merges, an invalid regex, ...).
    #[error("{0}")]
    Config(String),
    /// An input or argument that cannot be processed (an unknown id, a
    /// truncation that cannot be satisfied, ...).
    #[error("{0}")]
    Input(String),
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn config(msg: impl Into<String>) -> Self {
        Error::Config(msg.into())
    }
    pub fn input(msg: impl Into<String>) -> Self {
        Error::Input(msg.into())
    }
}
