//! The validated experiment that engines accept.

use std::path::{Path, PathBuf};

use crate::model::RawExperiment;

/// An experiment file that passed validation. Engines accept only this type.
#[derive(Debug, Clone)]
pub struct Experiment {
    raw: RawExperiment,
    source_path: PathBuf,
    source_text: String,
}

impl Experiment {
    /// The experiment as written.
    pub fn raw(&self) -> &RawExperiment {
        &self.raw
    }
    /// The file it was read from.
    pub fn source_path(&self) -> &Path {
        &self.source_path
    }
    /// The file's text, verbatim (copied into the run record and the report).
    pub fn source_text(&self) -> &str {
        &self.source_text
    }
    /// The seed: the file's `seed`, or 1.
    pub fn seed(&self) -> u64 {
        self.raw.seed.unwrap_or(1)
    }
    /// The same experiment with another seed (`--seed` on the command line).
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.raw.seed = Some(seed);
        self
    }
}

/// Problems found in an experiment file.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}", .problems.join("\n"))]
pub struct SpecErrors {
    /// One line per problem: `file:line:col: field: message`.
    pub problems: Vec<String>,
}

/// Reads and validates an experiment file (YAML, or JSON for a `.json` name).
pub fn load(path: &Path) -> Result<Experiment, SpecErrors> {
    let text = std::fs::read_to_string(path).map_err(|e| SpecErrors {
        problems: vec![format!("{}: cannot read the file: {e}", path.display())],
    })?;
    parse(&text, path)
}

/// Parses and validates experiment text; `path` is used in messages only.
pub fn parse(text: &str, path: &Path) -> Result<Experiment, SpecErrors> {
    let raw: RawExperiment = serde_saphyr::from_str(text).map_err(|e| SpecErrors {
        problems: vec![format!("{}: {e}", path.display())],
    })?;
    Ok(Experiment {
        raw,
        source_path: path.to_path_buf(),
        source_text: text.to_string(),
    })
}
