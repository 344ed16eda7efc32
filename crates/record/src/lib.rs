//! The faultline run record: what every engine writes while it runs.
//!
//! A record is a folder (see [`layout`] and `docs/record.md`):
//! `run.json` (the [`RunMeta`]), `experiment.yaml` (the experiment's text),
//! `buckets.jsonl` (100 ms [`Bucket`]s per series and operation kind),
//! `markers.jsonl` ([`Marker`]s: faults, signals, phases, probes),
//! `ledger.jsonl` (every write, [`LedgerEntry`]) and `final_state.jsonl`
//! (what verification read back, [`FinalRead`]). Engines write it through a
//! [`Recorder`]; the analyzer reads it back as a [`RunRecord`]. A search that
//! analyzes many runs and keeps none records into memory instead
//! ([`Recorder::in_memory`]) and gets the same [`RunRecord`] without the files.
//!
//! ```
//! use faultline_record::*;
//! let dir = tempfile::tempdir().unwrap();
//! let mut rec = Recorder::create(dir.path(), RunMeta::new("demo", Engine::Sim, 1), "name: demo").unwrap();
//! let client = rec.series(CLIENT_SERIES);
//! rec.op_started(client, OpKind::Read, 0);
//! rec.op_finished(client, OpKind::Read, 0, 20_000, Ok(()));
//! rec.finish(RunStatus::Completed, 1_000_000, None).unwrap();
//! let record = RunRecord::load(dir.path()).unwrap();
//! assert_eq!(record.buckets[0].ok, 1);
//!
//! // The same calls recorded in memory: the same record, no folder.
//! let (mut rec, kept) = Recorder::in_memory(RunMeta::new("demo", Engine::Sim, 1), "name: demo");
//! let client = rec.series(CLIENT_SERIES);
//! rec.op_started(client, OpKind::Read, 0);
//! rec.op_finished(client, OpKind::Read, 0, 20_000, Ok(()));
//! rec.finish(RunStatus::Completed, 1_000_000, None).unwrap();
//! let kept = kept.take().unwrap();
//! assert_eq!((kept.meta, kept.buckets), (record.meta, record.buckets));
//! ```

mod cells;
mod files;
mod histogram;
pub mod layout;
mod memory;
mod progress;
mod reader;
mod types;
mod writer;

pub use histogram::LatencyHistogram;
pub use memory::MemoryRecord;
pub use progress::Progress;
pub use reader::{ReadError, RunRecord};
pub use types::*;
pub use writer::{write_atomically, write_json_atomically, Recorder, SeriesId, WriteError};
