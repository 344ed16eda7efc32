//! Reading a record back, with errors that name the file and line.

use std::fs;
use std::io::Read;
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
        let mut markers: Vec<Marker> = read_lines(&dir.join(layout::MARKERS), |_| {})?;
        sort_markers(&mut markers);
        // The parser grows a bucket's pairs by doubling: a fifth of their room was
        // empty.
        let settle_bucket = |b: &mut Bucket| b.latency_us.shrink_to_fit();
        Ok(Self {
            dir: dir.to_path_buf(),
            meta,
            experiment_text,
            buckets: read_lines(&dir.join(layout::BUCKETS), settle_bucket)?,
            markers,
            ledger: read_lines(&dir.join(layout::LEDGER), |_| {})?,
            final_state: read_lines(&dir.join(layout::FINAL_STATE), |_| {})?,
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

/// How much of a JSON-lines file is read at a time: a record's bucket lines can be
/// tens of MB, and holding their whole text beside what it parses to added its size
/// to the peak memory of reading a record.
const READ_BLOCK_BYTES: usize = 4 << 20;

/// Reads a JSON-lines file, a block at a time, calling `settle` on each value as it is
/// parsed (to give back room the parser left).
fn read_lines<T: DeserializeOwned>(
    path: &Path,
    settle: impl FnMut(&mut T),
) -> Result<Vec<T>, ReadError> {
    read_lines_by_blocks(path, READ_BLOCK_BYTES, settle)
}

/// [`read_lines`] with blocks of `block_bytes`.
fn read_lines_by_blocks<T: DeserializeOwned>(
    path: &Path,
    block_bytes: usize,
    mut settle: impl FnMut(&mut T),
) -> Result<Vec<T>, ReadError> {
    let io_error = |source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = fs::File::open(path).map_err(io_error)?;
    let mut values = Vec::new();
    // The unread part of the last block (a line cut by the block's end) comes first.
    let mut text: Vec<u8> = Vec::new();
    let mut lines_read = 0;
    loop {
        let read = (&mut file)
            .take(block_bytes as u64)
            .read_to_end(&mut text)
            .map_err(io_error)?;
        let at_end = read == 0;
        // Whole lines only, but the last line of the file whatever it holds: a newline
        // never cuts a character, so they are checked as UTF-8 at once, and each line
        // is parsed from a `str` (from bytes, every string in it is checked again).
        let whole = match text.iter().rposition(|&b| b == b'\n') {
            _ if at_end => text.len(),
            Some(newline) => newline + 1,
            None => continue,
        };
        let lines = match std::str::from_utf8(&text[..whole]) {
            Ok(lines) => lines,
            // A half-written last line may end inside a character: the lines before
            // it are valid, and its start does not parse.
            Err(e) if at_end && !text[e.valid_up_to()..].contains(&b'\n') => {
                std::str::from_utf8(&text[..e.valid_up_to()])
                    .expect("the bytes before `valid_up_to` are UTF-8")
            }
            Err(e) => {
                let line = text[..e.valid_up_to()]
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count();
                return Err(ReadError::Malformed {
                    path: path.to_path_buf(),
                    line: lines_read + line + 1,
                    message: e.to_string(),
                });
            }
        };
        for line in lines.split_inclusive('\n') {
            lines_read += 1;
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str(line) {
                Ok(mut value) => {
                    settle(&mut value);
                    values.push(value);
                }
                // Only the last line can lack its newline: a crashed run's may be half
                // written.
                Err(_) if !line.ends_with('\n') => break,
                Err(e) => {
                    return Err(ReadError::Malformed {
                        path: path.to_path_buf(),
                        line: lines_read,
                        message: e.to_string(),
                    })
                }
            }
        }
        if at_end {
            return Ok(values);
        }
        text.drain(..whole);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_cut_by_any_block_size_read_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lines.jsonl");
        let whole = "[1,2]\n\n  \n[30,40,50]\n[6]\n[700,8]";
        fs::write(&path, whole).unwrap();
        let want: Vec<Vec<u64>> = vec![vec![1, 2], vec![30, 40, 50], vec![6], vec![700, 8]];
        for block in 1..=whole.len() + 1 {
            let mut settled = 0;
            let got: Vec<Vec<u64>> = read_lines_by_blocks(&path, block, |_| settled += 1).unwrap();
            assert_eq!(got, want, "blocks of {block} bytes");
            assert_eq!(settled, want.len());
        }
        // A half-written last line is dropped, a bad line before it is an error that
        // names its line, at every block size.
        fs::write(&path, "[1]\n[2]\n[3,").unwrap();
        fs::write(dir.path().join("bad.jsonl"), "[1]\n\n[2,x]\n[3]\n").unwrap();
        for block in 1..=12 {
            let got: Vec<Vec<u64>> = read_lines_by_blocks(&path, block, |_| {}).unwrap();
            assert_eq!(got, vec![vec![1], vec![2]], "blocks of {block} bytes");
            let err =
                read_lines_by_blocks::<Vec<u64>>(&dir.path().join("bad.jsonl"), block, |_| {})
                    .unwrap_err()
                    .to_string();
            assert!(
                err.contains("bad.jsonl:3:"),
                "blocks of {block} bytes: {err}"
            );
        }
        // Bytes that are not UTF-8: an error naming the line, except in a half-written
        // last line (cut inside a character).
        let bytes = dir.path().join("bytes.jsonl");
        fs::write(&bytes, b"[1]\n[2]\n\"\xff\"\n[4]\n").unwrap();
        fs::write(&path, b"[1]\n[2]\n[\"\xc3").unwrap();
        for block in 1..=12 {
            let err = read_lines_by_blocks::<Vec<u64>>(&bytes, block, |_| {})
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("bytes.jsonl:3:"),
                "blocks of {block} bytes: {err}"
            );
            let got: Vec<Vec<u64>> = read_lines_by_blocks(&path, block, |_| {}).unwrap();
            assert_eq!(got, vec![vec![1], vec![2]], "blocks of {block} bytes");
        }
    }
}
