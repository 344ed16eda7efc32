//! The crate's error type.

use std::path::PathBuf;

/// What went wrong in a hunt, with enough context to act on it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HuntError {
    /// A configuration value is invalid; `field` names it, `message` says
    /// what is allowed.
    #[error("invalid {field}: {message}")]
    Config {
        /// The offending field, e.g. `budget` or `heuristic`.
        field: String,
        /// What is wrong and what is valid.
        message: String,
    },
    /// An input file (topology, partitions, case) could not be read or parsed.
    #[error("{path}: {message}")]
    Input {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// Writing an output file failed.
    #[error("cannot write {path}: {source}")]
    Output {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The exact benchmark could not be computed (LP solver failure, search
    /// limit of the exact bin-packing solver).
    #[error("benchmark failed: {0}")]
    Benchmark(String),
    /// Every evaluation of the search failed; carries the first failure.
    #[error("no evaluation succeeded; first failure: {0}")]
    NoEvaluation(String),
}

impl HuntError {
    /// Shorthand for a [`HuntError::Config`].
    pub fn config(field: impl Into<String>, message: impl Into<String>) -> Self {
        HuntError::Config {
            field: field.into(),
            message: message.into(),
        }
    }

    /// Shorthand for a [`HuntError::Input`].
    pub fn input(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        HuntError::Input {
            path: path.into(),
            message: message.into(),
        }
    }
}
