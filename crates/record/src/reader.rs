//! Reading a record back, with errors that name the file and line.

use std::fs;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use crate::layout;
use crate::types::*;

/// A whole run record, as read from its folder (or kept in memory by
/// [`Recorder::in_memory`](crate::Recorder::in_memory)).
#[derive(Debug, Clone, PartialEq)]
pub struct RunRecord {
    /// The folder it was read from; empty for a record kept in memory.
    pub dir: PathBuf,
    /// `run.json`.
    pub meta: RunMeta,
    /// The experiment file's text.
    pub experiment_text: String,
    /// Every bucket line.
    pub buckets: Vec<Bucket>,
    /// Every marker, sorted by time (stable for equal times).
    pub markers: Vec<Marker>,
    /// Every write.
    pub ledger: Vec<LedgerEntry>,
    /// What verification read back.
    pub final_state: Vec<FinalRead>,
}

/// Why a record could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// A file is missing or unreadable.
    #[error("{path}: cannot read: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A line does not hold what the format says.
    #[error("{path}:{line}: not a valid record line: {message}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The record was written by a newer, unknown format.
    #[error("{path}: record format {found} is newer than this faultline reads ({FORMAT_VERSION})")]
    Version {
        /// `run.json`.
        path: PathBuf,
        /// The version found.
        found: u32,
    },
}

impl RunRecord {
    /// Reads the record in `dir`. A record whose run crashed is readable too: its last
    /// line may be cut short, and that line alone is skipped.
    pub fn load(dir: &Path) -> Result<Self, ReadError> {
        let run_path = dir.join(layout::RUN);
        let meta: RunMeta =
            serde_json::from_str(&read(&run_path)?).map_err(|e| ReadError::Malformed {
                path: run_path.clone(),
                line: e.line(),
                message: e.to_string(),
            })?;
        if meta.format_version > FORMAT_VERSION {
            return Err(ReadError::Version {
                path: run_path,
                found: meta.format_version,
            });
        }
        let experiment_text = read(&dir.join(layout::EXPERIMENT))?;
        let mut markers: Vec<Marker> = read_lines(&dir.join(layout::MARKERS))?;
        sort_markers(&mut markers);
        Ok(Self {
            dir: dir.to_path_buf(),
            meta,
            experiment_text,
            buckets: read_lines(&dir.join(layout::BUCKETS))?,
            markers,
            ledger: read_lines(&dir.join(layout::LEDGER))?,
            final_state: read_lines(&dir.join(layout::FINAL_STATE))?,
        })
    }
}

/// Puts markers in time order, those of equal times in the order they were recorded.
pub(crate) fn sort_markers(markers: &mut [Marker]) {
    markers.sort_by_key(|m| m.t_us);
}

fn read(path: &Path) -> Result<String, ReadError> {
    fs::read_to_string(path).map_err(|source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn read_lines<T: DeserializeOwned>(path: &Path) -> Result<Vec<T>, ReadError> {
    let text = read(path)?;
    let ends_cleanly = text.is_empty() || text.ends_with('\n');
    let lines: Vec<&str> = text.lines().collect();
    let mut values = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str(line) {
            Ok(value) => values.push(value),
            // The last line of a crashed run may be half written.
            Err(_) if i + 1 == lines.len() && !ends_cleanly => break,
            Err(e) => {
                return Err(ReadError::Malformed {
                    path: path.to_path_buf(),
                    line: i + 1,
                    message: e.to_string(),
                })
            }
        }
    }
    Ok(values)
}
