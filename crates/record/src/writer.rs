//! Recording a run incrementally while it goes on: the buckets' accumulation, shared
//! by both sinks (a folder of files, or memory).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::cells::CellCounts;
use crate::files::FileSink;
use crate::memory::{MemoryRecord, MemorySink};
use crate::types::*;

/// Closed buckets a folder's files hold before they are handed to the OS: one second
/// of the run's clock. Handing them over at every bucket close cost a simulated run
/// about a tenth of its time in the kernel (one small write per 100 ms of simulated
/// time, thousands per wall second; measured in docs/bench/sim.md, "Main at fd04eec").
pub const FLUSH_EVERY_BUCKETS: u64 = 10;

/// A series registered with a [`Recorder`]: `client` or a component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SeriesId(usize);

/// One series' operations of one kind in one open bucket.
#[derive(Debug, Default, Clone)]
pub(crate) struct Accumulator {
    pub(crate) started: u64,
    pub(crate) ok: u64,
    pub(crate) failed: FailureCounts,
    /// Latencies of the bucket, counted per histogram cell as they come: closing the
    /// bucket then costs its distinct cells, not a sort of every latency.
    pub(crate) latencies: CellCounts,
}

impl Accumulator {
    fn is_empty(&self) -> bool {
        self.started == 0 && self.ok == 0 && self.failed.total() == 0
    }

    /// Counts an operation's completion.
    #[inline(always)]
    fn count(&mut self, outcome: Result<(), FailureClass>) {
        match outcome {
            Ok(()) => self.ok += 1,
            Err(class) => self.count_failure(class),
        }
    }

    /// Failures are rare next to successes: kept out of the way of `ok`'s count.
    #[cold]
    fn count_failure(&mut self, class: FailureClass) {
        self.failed.add(class, 1);
    }

    /// Empties the counters, keeping the allocations.
    fn reset(&mut self) {
        self.started = 0;
        self.ok = 0;
        self.failed = FailureCounts::default();
    }
}

/// Records a run as it goes on, into a folder ([`Recorder::create`]) or into memory
/// ([`Recorder::in_memory`]).
///
/// Buckets stay open until [`Recorder::flush_before`] closes them (the engine promises
/// nothing more will be recorded before that time); markers and ledger entries are
/// recorded at once. A folder's files hold whole lines only, and are handed to the OS
/// once a second of the run's clock has closed ([`FLUSH_EVERY_BUCKETS`]) and at the
/// end, so a run that crashes leaves a readable record, short of at most its last
/// second, whose `run.json` still says `running`.
/// Both sinks receive the same closed buckets, markers, ledger entries and final
/// reads, so a record kept in memory equals the one read back from the folder.
pub struct Recorder {
    meta: RunMeta,
    series_names: Vec<String>,
    /// The open buckets' accumulators, one block of [`Self::slots`] per bucket, in a
    /// ring: the `k`-th block from block `oldest` (wrapping) is bucket number
    /// `first_open + k`. Behind the `open` blocks, closed buckets' accumulators,
    /// emptied, to reuse when a bucket opens (their allocations are kept). A ring and
    /// not a queue moved by a rotation at each close: accumulators are big (their
    /// cells' bitmap), and moving all of them per bucket cost more than the close.
    accs: Vec<Accumulator>,
    /// The block of the oldest open bucket in `accs`.
    oldest: usize,
    open: usize,
    first_open: u64,
    /// The buckets before this one have been handed to the OS (see
    /// [`FLUSH_EVERY_BUCKETS`]).
    flushed_before: u64,
    /// The times `[hot_from_us, hot_from_us + hot_width_us)` of the open bucket the
    /// last operation fell in, and where its block starts in `accs`. Engines record in
    /// time order, so most operations fall in it and find their accumulator with one
    /// comparison (no division, no bucket lookup). Empty after the blocks moved.
    hot_from_us: u64,
    /// `BUCKET_US`, or 0 when no bucket is hot: with `hot_from_us`, the range tested
    /// by one subtraction and one comparison.
    hot_width_us: u64,
    hot_base: usize,
    sink: Sink,
}

/// Where a [`Recorder`] puts what it has finished accumulating.
enum Sink {
    Files(FileSink),
    Memory(MemorySink),
}

/// Why a record could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write the run record in {dir}: {source}")]
pub struct WriteError {
    /// The record's folder.
    pub dir: PathBuf,
    /// The I/O error.
    #[source]
    pub source: io::Error,
}

impl Recorder {
    /// Creates the record's folder (and parents) and its files, copying the experiment
    /// file's text into it. Existing record files in the folder are replaced.
    pub fn create(dir: &Path, meta: RunMeta, experiment_text: &str) -> Result<Self, WriteError> {
        let sink = FileSink::create(dir, &meta, experiment_text)?;
        Ok(Self::with_sink(meta, Sink::Files(sink)))
    }

    /// A recorder that writes nothing and keeps the record in memory: once
    /// [`Recorder::finish`] has run, [`MemoryRecord::take`] returns the
    /// [`RunRecord`](crate::RunRecord) that [`RunRecord::load`](crate::RunRecord::load)
    /// would read from the folder of [`Recorder::create`] fed the same calls. Its
    /// methods never fail. For searches that analyze many runs and keep none.
    pub fn in_memory(meta: RunMeta, experiment_text: &str) -> (Self, MemoryRecord) {
        let (sink, record) = MemorySink::new(&meta, experiment_text);
        (Self::with_sink(meta, Sink::Memory(sink)), record)
    }

    fn with_sink(meta: RunMeta, sink: Sink) -> Self {
        Self {
            meta,
            series_names: Vec::new(),
            accs: Vec::new(),
            oldest: 0,
            open: 0,
            first_open: 0,
            flushed_before: 0,
            hot_from_us: 0,
            hot_width_us: 0,
            hot_base: 0,
            sink,
        }
    }

    /// The record's folder; `None` for a record kept in memory.
    pub fn dir(&self) -> Option<&Path> {
        match &self.sink {
            Sink::Files(files) => Some(files.dir()),
            Sink::Memory(_) => None,
        }
    }

    /// Registers a series (idempotent) and returns its id.
    pub fn series(&mut self, name: &str) -> SeriesId {
        if let Some(i) = self.series_names.iter().position(|n| n == name) {
            return SeriesId(i);
        }
        let before = self.slots();
        self.series_names.push(name.to_string());
        if let Sink::Files(files) = &mut self.sink {
            files.series_added(name);
        }
        // Every open block grows by the new series' two accumulators (the spares,
        // of the old size, are dropped).
        let mut accs = Vec::with_capacity(self.open * self.slots());
        let mut old = std::mem::take(&mut self.accs);
        old.rotate_left(self.oldest * before);
        self.oldest = 0;
        let mut old = old.into_iter();
        for _ in 0..self.open {
            accs.extend(old.by_ref().take(before));
            accs.extend([Accumulator::default(), Accumulator::default()]);
        }
        self.accs = accs;
        self.forget_hot();
        SeriesId(self.series_names.len() - 1)
    }

    /// Accumulators per bucket: one per series and operation kind.
    fn slots(&self) -> usize {
        self.series_names.len() * 2
    }

    /// The accumulator of `series` and `op` in the bucket of `t_us`.
    #[inline(always)]
    fn slot(&mut self, t_us: u64, series: SeriesId, op: OpKind) -> &mut Accumulator {
        // Below `hot_from_us` the difference wraps to more than any width.
        if t_us.wrapping_sub(self.hot_from_us) >= self.hot_width_us {
            self.find_hot(t_us);
        }
        &mut self.accs[self.hot_base + series.0 * 2 + op.index()]
    }

    /// Makes the bucket of `t_us` the hot one, opening buckets up to it (once per
    /// bucket or so, so out of the per-operation path).
    #[cold]
    #[inline(never)]
    fn find_hot(&mut self, t_us: u64) {
        let bucket = t_us / BUCKET_US;
        // A time before the flushed horizon is an engine bug; count it in the oldest
        // open bucket rather than lose it.
        debug_assert!(bucket >= self.first_open, "recorded into a closed bucket");
        let offset = bucket.saturating_sub(self.first_open) as usize;
        let slots = self.slots();
        if offset >= self.open {
            if self.accs.len() < (offset + 1) * slots {
                // The ring unrolled from its oldest block, then grown behind.
                self.accs.rotate_left(self.oldest * slots);
                self.oldest = 0;
                self.accs
                    .resize((offset + 1) * slots, Accumulator::default());
            }
            self.open = offset + 1;
        }
        // A time before the oldest open bucket is not in its range: it comes back
        // here each time, as it should.
        self.hot_from_us = (self.first_open + offset as u64) * BUCKET_US;
        self.hot_width_us = BUCKET_US;
        self.hot_base = (self.oldest + offset) % (self.accs.len() / slots) * slots;
    }

    /// No bucket is hot (the blocks moved).
    fn forget_hot(&mut self) {
        self.hot_width_us = 0;
    }

    /// Counts an operation whose intended start is `t_intended_us` (the offered load).
    #[inline(always)]
    pub fn op_started(&mut self, series: SeriesId, op: OpKind, t_intended_us: u64) {
        self.slot(t_intended_us, series, op).started += 1;
    }

    /// Counts an operation that completed at `t_end_us`, with its latency measured from
    /// its intended start.
    #[inline(always)]
    pub fn op_finished(
        &mut self,
        series: SeriesId,
        op: OpKind,
        t_intended_us: u64,
        t_end_us: u64,
        outcome: Result<(), FailureClass>,
    ) {
        // An end before the intended start wraps to 2^63 or more, whose cells are
        // off the fast path: `op_finished_rare` saturates it there.
        let latency_us = t_end_us.wrapping_sub(t_intended_us);
        // One test of the hot bucket and one of the latency's cell, and one call out
        // of line for everything else: each call the compiler must allow for costs
        // spills of the engine's registers around the inlined path.
        if t_end_us.wrapping_sub(self.hot_from_us) < self.hot_width_us {
            let acc = &mut self.accs[self.hot_base + series.0 * 2 + op.index()];
            if acc.latencies.record_plain(latency_us) {
                acc.count(outcome);
                return;
            }
        }
        self.op_finished_rare(series, op, t_intended_us, t_end_us, outcome);
    }

    /// [`Self::op_finished`] outside the hot bucket, or for a latency whose cell is
    /// not grown yet or is off the fast path.
    #[cold]
    #[inline(never)]
    fn op_finished_rare(
        &mut self,
        series: SeriesId,
        op: OpKind,
        t_intended_us: u64,
        t_end_us: u64,
        outcome: Result<(), FailureClass>,
    ) {
        let acc = self.slot(t_end_us, series, op);
        acc.count(outcome);
        acc.latencies.record(t_end_us.saturating_sub(t_intended_us));
    }

    /// Records a marker.
    pub fn marker(&mut self, marker: &Marker) -> Result<(), WriteError> {
        match &mut self.sink {
            Sink::Files(files) => files.marker(marker),
            Sink::Memory(memory) => {
                memory.marker(marker);
                Ok(())
            }
        }
    }

    /// Records a ledger entry (once the write's outcome is known).
    pub fn ledger(&mut self, entry: &LedgerEntry) -> Result<(), WriteError> {
        match &mut self.sink {
            Sink::Files(files) => files.ledger(entry),
            Sink::Memory(memory) => {
                memory.ledger(entry);
                Ok(())
            }
        }
    }

    /// Records what verification read back for a key.
    pub fn final_read(&mut self, read: &FinalRead) -> Result<(), WriteError> {
        match &mut self.sink {
            Sink::Files(files) => files.final_read(read),
            Sink::Memory(memory) => {
                memory.final_read(read);
                Ok(())
            }
        }
    }

    /// Closes every bucket that ends at or before `t_us` and hands it to the sink.
    pub fn flush_before(&mut self, t_us: u64) -> Result<(), WriteError> {
        let horizon = t_us / BUCKET_US;
        while self.first_open < horizon {
            if self.open > 0 {
                self.close_oldest()?;
            }
            self.first_open += 1;
            if self.open == 0 {
                self.first_open = self.first_open.max(horizon);
            }
        }
        match &mut self.sink {
            // Markers and ledger lines too wait for the second's end, with or without
            // a bucket closed meanwhile (an empty buffer's flush writes nothing).
            Sink::Files(files) if self.first_open >= self.flushed_before + FLUSH_EVERY_BUCKETS => {
                self.flushed_before = self.first_open;
                files.flush()
            }
            _ => Ok(()),
        }
    }

    /// Hands the non-empty accumulators of the oldest open bucket to the sink, in
    /// series then kind order, and leaves its emptied block behind the others.
    fn close_oldest(&mut self) -> Result<(), WriteError> {
        let (index, slots) = (self.first_open, self.slots());
        let base = self.oldest * slots;
        for (slot, acc) in self.accs[base..base + slots].iter_mut().enumerate() {
            if acc.is_empty() {
                continue;
            }
            let (series, op) = (slot / 2, OpKind::ALL[slot % 2]);
            match &mut self.sink {
                Sink::Files(files) => files.bucket(index, series, op, acc)?,
                Sink::Memory(memory) => memory.bucket(index, &self.series_names[series], op, acc),
            }
            acc.reset();
        }
        self.oldest = (self.oldest + 1) % (self.accs.len() / slots);
        self.open -= 1;
        self.forget_hot();
        Ok(())
    }

    /// Closes every bucket and ends the record with the run's end: a folder's files
    /// are flushed and `run.json` rewritten; a memory record is handed over.
    pub fn finish(
        mut self,
        status: RunStatus,
        end_us: u64,
        abort_reason: Option<String>,
    ) -> Result<RunMeta, WriteError> {
        let horizon_us = (self.first_open + self.open as u64) * BUCKET_US;
        self.flush_before(horizon_us.max(end_us))?;
        self.meta.status = status;
        self.meta.end_us = Some(end_us);
        self.meta.abort_reason = abort_reason;
        match self.sink {
            Sink::Files(files) => files.finish(&self.meta)?,
            Sink::Memory(memory) => memory.finish(&self.meta),
        }
        Ok(self.meta)
    }
}

/// Writes JSON to a temporary file and renames it over `path`, so readers never see
/// half a file.
pub fn write_json_atomically<T: Serialize>(path: &Path, value: &T) -> io::Result<()> {
    let mut text = serde_json::to_vec_pretty(value)?;
    text.push(b'\n');
    write_atomically(path, &text)
}

/// Writes `bytes` to `path` through a temporary file beside it and a rename, so that a
/// reader finds the old file or the new one, never half of one (a full disk leaves the
/// old one whole). The temporary file, `.<name>.faultline-tmp` (a name no one else
/// uses), is removed when the write fails.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let Some(name) = path.file_name() else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the path names no file",
        ));
    };
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(".faultline-tmp");
    let tmp = path.with_file_name(tmp_name);
    let written = fs::write(&tmp, bytes).and_then(|()| fs::rename(&tmp, path));
    if written.is_err() {
        // Best effort: it may not even exist.
        let _ = fs::remove_file(&tmp);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::histogram::LatencyHistogram;
    use crate::layout;
    use crate::reader::RunRecord;

    fn recorder(dir: &Path) -> Recorder {
        Recorder::create(dir, RunMeta::new("t", Engine::Sim, 7), "name: t\n").unwrap()
    }

    #[test]
    fn offered_load_goes_by_intended_start_and_completions_by_end() {
        let dir = tempfile::tempdir().unwrap();
        let mut rec = recorder(dir.path());
        let client = rec.series(CLIENT_SERIES);
        // Started in bucket 0, finished in bucket 3 after 350 ms.
        rec.op_started(client, OpKind::Write, 50_000);
        rec.op_finished(
            client,
            OpKind::Write,
            50_000,
            350_000,
            Err(FailureClass::Timeout),
        );
        rec.finish(RunStatus::Completed, 400_000, None).unwrap();
        let record = RunRecord::load(dir.path()).unwrap();
        assert_eq!(record.buckets.len(), 2);
        assert_eq!((record.buckets[0].index, record.buckets[0].started), (0, 1));
        assert_eq!(record.buckets[0].completed(), 0);
        assert_eq!(record.buckets[1].index, 3);
        assert_eq!(record.buckets[1].failed.timeout, 1);
        let mut h = LatencyHistogram::new();
        h.add_sparse(&record.buckets[1].latency_us);
        let latency = h.quantile_us(0.5).unwrap();
        // Two significant digits: within 1% of the true 300 ms.
        assert!((297_000..=303_000).contains(&latency), "{latency}");
    }

    /// The fast path takes the time difference without saturating it: this guards
    /// that an end before the intended start still counts a latency of 0, in a
    /// bucket whose cells have grown and next to ordinary latencies.
    #[test]
    fn an_end_before_the_intended_start_is_a_latency_of_zero() {
        let dir = tempfile::tempdir().unwrap();
        let mut rec = recorder(dir.path());
        let client = rec.series(CLIENT_SERIES);
        rec.op_finished(client, OpKind::Read, 200_000, 250_000, Ok(()));
        rec.op_finished(client, OpKind::Read, 260_000, 250_000, Ok(()));
        rec.op_finished(
            client,
            OpKind::Read,
            250_001,
            250_000,
            Err(FailureClass::Reset),
        );
        rec.finish(RunStatus::Completed, 300_000, None).unwrap();
        let record = RunRecord::load(dir.path()).unwrap();
        assert_eq!(record.buckets.len(), 1);
        assert_eq!(
            (record.buckets[0].ok, record.buckets[0].failed.reset),
            (2, 1)
        );
        assert_eq!(record.buckets[0].latency_us, [(0, 2), (50_175, 1)]);
    }

    #[test]
    fn operations_back_and_forth_between_open_buckets_land_in_their_own() {
        // Times that jump between open buckets (the hot bucket changes), a series
        // added while buckets are open (the blocks grow) and flushes between (the
        // blocks move), checked against counts kept by bucket number.
        let dir = tempfile::tempdir().unwrap();
        let mut rec = recorder(dir.path());
        let mut ids = vec![rec.series(CLIENT_SERIES)];
        let mut want = std::collections::BTreeMap::new();
        let mut x = 7u64;
        let (mut flushed_us, mut last_us) = (0, 0);
        for i in 0..3_000u64 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            if i == 700 {
                ids.push(rec.series("db"));
            }
            if i % 500 == 499 {
                flushed_us += 250_000;
                rec.flush_before(flushed_us).unwrap();
            }
            // Half the operations at the time of the one before (the same bucket, also
            // right after a flush when that bucket is still open).
            let t = if x.is_multiple_of(2) && last_us >= flushed_us {
                last_us
            } else {
                flushed_us + (x >> 33) % 400_000
            };
            last_us = t;
            let (s, op) = (
                (x >> 20) as usize % ids.len(),
                OpKind::ALL[(x >> 10) as usize % 2],
            );
            let entry = want.entry((t / BUCKET_US, s, op)).or_insert((0, 0, 0));
            if x.is_multiple_of(3) {
                rec.op_started(ids[s], op, t);
                entry.0 += 1;
            } else {
                let outcome = if x.is_multiple_of(7) {
                    Err(FailureClass::Reset)
                } else {
                    Ok(())
                };
                rec.op_finished(ids[s], op, t.saturating_sub(5_000), t, outcome);
                if outcome.is_ok() {
                    entry.1 += 1;
                } else {
                    entry.2 += 1;
                }
            }
        }
        rec.finish(RunStatus::Completed, flushed_us + 400_000, None)
            .unwrap();
        let record = RunRecord::load(dir.path()).unwrap();
        let names = [CLIENT_SERIES, "db"];
        let got: std::collections::BTreeMap<_, _> = record
            .buckets
            .iter()
            .map(|b| {
                let s = names.iter().position(|n| *n == b.series).unwrap();
                let latencies: u64 = b.latency_us.iter().map(|&(_, c)| c).sum();
                assert_eq!(latencies, b.ok + b.failed.total());
                ((b.index, s, b.op), (b.started, b.ok, b.failed.reset))
            })
            .collect();
        assert_eq!(got, want);
    }

    /// The open buckets are a ring of blocks: this guards growing it when its oldest
    /// block is not the first one, and adding a series then, against bucket order.
    #[test]
    fn the_ring_of_open_buckets_grows_and_gains_series_in_bucket_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut rec = recorder(dir.path());
        let client = rec.series(CLIENT_SERIES);
        // Bucket `b` counts `b + 1` starts, to tell the blocks apart.
        let start = |rec: &mut Recorder, b: u64| {
            for n in 0..=b {
                rec.op_started(client, OpKind::Read, b * BUCKET_US + n);
            }
        };
        // Buckets 0..3 open (three blocks), bucket 0 closed: the oldest block is the
        // second one.
        for b in 0..3u64 {
            start(&mut rec, b);
        }
        rec.flush_before(BUCKET_US).unwrap();
        // Bucket 6 needs more blocks than the ring has; bucket 3 wraps into the
        // closed bucket's block.
        start(&mut rec, 3);
        start(&mut rec, 6);
        rec.flush_before(2 * BUCKET_US).unwrap();
        let db = rec.series("db");
        rec.op_finished(db, OpKind::Write, 0, 7 * BUCKET_US, Ok(()));
        start(&mut rec, 4);
        rec.finish(RunStatus::Completed, 8 * BUCKET_US, None)
            .unwrap();
        let record = RunRecord::load(dir.path()).unwrap();
        let got: Vec<_> = record
            .buckets
            .iter()
            .map(|b| (b.index, b.series.as_str(), b.started, b.ok))
            .collect();
        assert_eq!(
            got,
            [
                (0, CLIENT_SERIES, 1, 0),
                (1, CLIENT_SERIES, 2, 0),
                (2, CLIENT_SERIES, 3, 0),
                (3, CLIENT_SERIES, 4, 0),
                (4, CLIENT_SERIES, 5, 0),
                (6, CLIENT_SERIES, 7, 0),
                (7, "db", 0, 1),
            ]
        );
    }

    #[test]
    fn a_crashed_run_leaves_a_readable_record_that_says_running() {
        let dir = tempfile::tempdir().unwrap();
        let mut rec = recorder(dir.path());
        let client = rec.series(CLIENT_SERIES);
        for i in 0..25u64 {
            rec.op_started(client, OpKind::Read, i * 10_000);
            rec.op_finished(client, OpKind::Read, i * 10_000, i * 10_000 + 5_000, Ok(()));
        }
        rec.flush_before(200_000).unwrap();
        rec.marker(&Marker {
            t_us: 150_000,
            kind: MarkerKind::FaultInjected,
            source: "fault:0".into(),
            component: Some("db.primary".into()),
            detail: None,
        })
        .unwrap();
        rec.flush_before(300_000).unwrap();
        // The files are handed to the OS once a second of the run's clock has closed.
        let on_disk = |name: &str| fs::metadata(dir.path().join(name)).unwrap().len();
        assert_eq!(on_disk(layout::BUCKETS), 0, "not yet handed over");
        rec.flush_before(FLUSH_EVERY_BUCKETS * BUCKET_US).unwrap();
        assert!(on_disk(layout::BUCKETS) > 0 && on_disk(layout::MARKERS) > 0);
        // The process dies here: the recorder is never finished.
        std::mem::forget(rec);
        let record = RunRecord::load(dir.path()).unwrap();
        assert_eq!(record.meta.status, RunStatus::Running);
        assert_eq!(record.buckets.iter().map(|b| b.ok).sum::<u64>(), 25);
        assert_eq!(record.markers.len(), 1);
    }

    #[test]
    fn an_atomic_write_that_fails_leaves_the_old_file_and_no_temporary_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("summary.json");
        write_json_atomically(&path, &1).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "1\n");
        write_json_atomically(&path, &2).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "2\n");
        // A folder in the way: the rename fails after the temporary file was written.
        let blocked = dir.path().join("blocked.json");
        fs::create_dir(&blocked).unwrap();
        fs::write(blocked.join("inside"), "x").unwrap();
        assert!(write_json_atomically(&blocked, &3).is_err());
        let mut names: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["blocked.json", "summary.json"]);
    }

    #[test]
    fn a_half_written_last_line_is_skipped_but_a_bad_middle_line_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let rec = recorder(dir.path());
        rec.finish(RunStatus::Completed, 0, None).unwrap();
        let markers = dir.path().join(crate::layout::MARKERS);
        let good = r#"{"t_us":1,"kind":"note","source":"x"}"#;
        fs::write(&markers, format!("{good}\n{{\"t_us\":2,\"ki")).unwrap();
        assert_eq!(RunRecord::load(dir.path()).unwrap().markers.len(), 1);
        fs::write(&markers, format!("{good}\nnot json\n{good}\n")).unwrap();
        let err = RunRecord::load(dir.path()).unwrap_err().to_string();
        assert!(err.contains("markers.jsonl:2:"), "{err}");
    }

    /// The same calls, fed to a recorder of each sink: what the folder reads back and
    /// what memory holds.
    fn both_ways(
        run: impl Fn(&mut Recorder),
        end: (RunStatus, u64, Option<String>),
    ) -> (RunRecord, RunRecord) {
        let dir = tempfile::tempdir().unwrap();
        let mut files = recorder(dir.path());
        run(&mut files);
        files.finish(end.0, end.1, end.2.clone()).unwrap();
        let (mut memory, record) =
            Recorder::in_memory(RunMeta::new("t", Engine::Sim, 7), "name: t\n");
        assert_eq!(memory.dir(), None);
        run(&mut memory);
        memory.finish(end.0, end.1, end.2).unwrap();
        (RunRecord::load(dir.path()).unwrap(), record.take().unwrap())
    }

    #[test]
    fn a_record_kept_in_memory_equals_the_one_read_from_its_files() {
        let (loaded, kept) = both_ways(
            |rec| {
                let client = rec.series(CLIENT_SERIES);
                for i in 0..40u64 {
                    let t = i * 37_000;
                    rec.op_started(client, OpKind::ALL[(i % 2) as usize], t);
                    let outcome = match i % 5 {
                        0 => Err(FailureClass::ALL[(i / 5 % 6) as usize]),
                        _ => Ok(()),
                    };
                    rec.op_finished(
                        client,
                        OpKind::ALL[(i % 2) as usize],
                        t,
                        t + i * i * 911,
                        outcome,
                    );
                    if i == 10 {
                        rec.flush_before(t).unwrap();
                    }
                }
                // A series registered while buckets are open, with a name JSON escapes.
                let odd = rec.series("we\"ird\\name\u{1}é");
                rec.op_finished(odd, OpKind::Write, 1_200_000, 1_250_000, Ok(()));
                rec.op_finished(odd, OpKind::Read, 0, 1_290_000, Ok(()));
                // Markers out of time order, two at the same time.
                for (t_us, source) in [
                    (900_000, "late"),
                    (100_000, "first"),
                    (900_000, "tie"),
                    (0, "start"),
                ] {
                    rec.marker(&Marker {
                        t_us,
                        kind: MarkerKind::Note,
                        source: source.into(),
                        component: (t_us > 0).then(|| "db".to_string()),
                        detail: Some(String::new()),
                    })
                    .unwrap();
                }
                for (id, key, t_ack_us, outcome) in [
                    (2, "k1", Some(5_000), WriteOutcome::Acked),
                    (1, "k\"2\u{7f}", None, WriteOutcome::Indeterminate),
                    (3, "k1", Some(9_000), WriteOutcome::Failed),
                ] {
                    rec.ledger(&LedgerEntry {
                        id,
                        key: key.into(),
                        checksum: Checksum(u64::MAX / id),
                        t_intended_us: id * 1_000,
                        t_ack_us,
                        outcome,
                    })
                    .unwrap();
                }
                rec.final_read(&FinalRead {
                    key: "k1".into(),
                    write_id: Some(2),
                    checksum: Some(Checksum(7)),
                    source: "db.primary".into(),
                })
                .unwrap();
                rec.final_read(&FinalRead {
                    key: "k9".into(),
                    write_id: None,
                    checksum: None,
                    source: "db.primary".into(),
                })
                .unwrap();
            },
            (
                RunStatus::Aborted,
                1_510_000,
                Some("guardrail: \"x\"".into()),
            ),
        );
        assert!(loaded.buckets.len() > 10 && loaded.markers.len() == 4 && loaded.ledger.len() == 3);
        assert_eq!(kept.dir, PathBuf::new());
        assert_eq!(
            RunRecord {
                dir: PathBuf::new(),
                ..loaded
            },
            kept
        );
        assert_eq!(
            kept.markers
                .iter()
                .map(|m| m.source.as_str())
                .collect::<Vec<_>>(),
            ["start", "first", "late", "tie"]
        );
        // An empty run too: no bucket, no line.
        let (loaded, kept) = both_ways(|_| {}, (RunStatus::Completed, 0, None));
        assert_eq!(
            RunRecord {
                dir: PathBuf::new(),
                ..loaded
            },
            kept
        );
    }

    #[test]
    fn a_memory_record_unfinished_is_none() {
        let (mut rec, record) = Recorder::in_memory(RunMeta::new("t", Engine::Sim, 7), "");
        let client = rec.series(CLIENT_SERIES);
        rec.op_started(client, OpKind::Read, 0);
        // The run fails before its end: the recorder is dropped, never finished.
        drop(rec);
        assert!(record.take().is_none());
    }
}
