//! The memory sink: a record kept as the [`RunRecord`] the reader would build from
//! the files, for searches that analyze thousands of runs and keep none.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use crate::reader::{sort_markers, RunRecord};
use crate::types::*;
use crate::writer::Accumulator;

/// A record growing in memory, and where it goes when the run ends.
pub(crate) struct MemorySink {
    record: RunRecord,
    handed_to: Arc<OnceLock<RunRecord>>,
}

/// The receiving end of a recorder made by
/// [`Recorder::in_memory`](crate::Recorder::in_memory): the finished record.
#[derive(Debug)]
pub struct MemoryRecord(Arc<OnceLock<RunRecord>>);

impl MemoryRecord {
    /// The record, equal to what [`RunRecord::load`] reads from the folder a
    /// file-backed recorder fed the same calls writes (its `dir` is empty). `None`
    /// while the recorder lives or when it was dropped without
    /// [`Recorder::finish`](crate::Recorder::finish) (a run that failed before its end).
    pub fn take(self) -> Option<RunRecord> {
        Arc::into_inner(self.0).and_then(OnceLock::into_inner)
    }
}

impl MemorySink {
    /// An empty record of a running run, and the handle that receives it finished.
    pub(crate) fn new(meta: &RunMeta, experiment_text: &str) -> (Self, MemoryRecord) {
        let handed_to = Arc::new(OnceLock::new());
        let sink = Self {
            record: RunRecord {
                dir: PathBuf::new(),
                meta: meta.clone(),
                experiment_text: experiment_text.to_string(),
                buckets: Vec::new(),
                markers: Vec::new(),
                ledger: Vec::new(),
                final_state: Vec::new(),
            },
            handed_to: Arc::clone(&handed_to),
        };
        (sink, MemoryRecord(handed_to))
    }

    /// Keeps a closed bucket of series `name`, emptying the accumulator's latencies.
    pub(crate) fn bucket(&mut self, index: u64, name: &str, op: OpKind, acc: &mut Accumulator) {
        self.record.buckets.push(Bucket {
            index,
            series: name.to_string(),
            op,
            started: acc.started,
            ok: acc.ok,
            failed: acc.failed,
            latency_us: acc.latencies.take_sparse(),
        });
    }

    /// Keeps a marker.
    pub(crate) fn marker(&mut self, marker: &Marker) {
        self.record.markers.push(marker.clone());
    }

    /// Keeps a ledger entry.
    pub(crate) fn ledger(&mut self, entry: &LedgerEntry) {
        self.record.ledger.push(entry.clone());
    }

    /// Keeps a final read.
    pub(crate) fn final_read(&mut self, read: &FinalRead) {
        self.record.final_state.push(read.clone());
    }

    /// Hands the record over with the ended run's `meta`, its markers in the
    /// reader's order.
    pub(crate) fn finish(mut self, meta: &RunMeta) {
        self.record.meta = meta.clone();
        sort_markers(&mut self.record.markers);
        // `finish` consumes the recorder, so the cell is set once.
        let first = self.handed_to.set(self.record).is_ok();
        debug_assert!(first, "a memory record is handed over once");
    }
}
