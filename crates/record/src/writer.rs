//! Writing a record incrementally while a run goes on.

use std::collections::VecDeque;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::cells::{cell_highest, CellCounts};
use crate::layout;
use crate::types::*;

/// A series registered with a [`Recorder`]: `client` or a component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SeriesId(usize);

#[derive(Debug, Default, Clone)]
struct Accumulator {
    started: u64,
    ok: u64,
    failed: FailureCounts,
    /// Latencies of the bucket, counted per histogram cell as they come: closing the
    /// bucket then costs its distinct cells, not a sort of every latency.
    latencies: CellCounts,
}

impl Accumulator {
    fn is_empty(&self) -> bool {
        self.started == 0 && self.ok == 0 && self.failed.total() == 0
    }

    /// Empties the counters, keeping the allocations.
    fn reset(&mut self) {
        self.started = 0;
        self.ok = 0;
        self.failed = FailureCounts::default();
    }
}

/// Writes a run record into a folder as the run goes on.
///
/// Buckets stay open until [`Recorder::flush_before`] closes them (the engine promises
/// nothing more will be recorded before that time); markers and ledger entries are
/// written at once. Everything is flushed to the OS on every bucket close, so a run
/// that crashes leaves a readable record whose `run.json` still says `running`.
pub struct Recorder {
    dir: PathBuf,
    meta: RunMeta,
    series_names: Vec<String>,
    /// Open buckets, oldest first; `open[0]` is bucket number `first_open`.
    open: VecDeque<Vec<Accumulator>>,
    first_open: u64,
    buckets: BufWriter<File>,
    markers: BufWriter<File>,
    ledger: BufWriter<File>,
    final_state: BufWriter<File>,
    line: Vec<u8>,
    /// Each series' name as a JSON string (quoted and escaped), written per bucket.
    series_json: Vec<Vec<u8>>,
    /// Closed buckets' accumulators, emptied, to reuse for the next bucket opened.
    spare: Vec<Vec<Accumulator>>,
    /// Each histogram cell's `[value_us,` as bucket lines write it, filled as cells
    /// are first written: a cell's value is the same in every bucket, so it is
    /// formatted once per run instead of once per bucket.
    pair_heads: Vec<PairHead>,
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
        let fail = |source| WriteError {
            dir: dir.to_path_buf(),
            source,
        };
        fs::create_dir_all(dir).map_err(fail)?;
        fs::write(dir.join(layout::EXPERIMENT), experiment_text).map_err(fail)?;
        write_json_atomically(&dir.join(layout::RUN), &meta).map_err(fail)?;
        let open = |name: &str| File::create(dir.join(name)).map(BufWriter::new);
        Ok(Self {
            dir: dir.to_path_buf(),
            meta,
            series_names: Vec::new(),
            open: VecDeque::new(),
            first_open: 0,
            buckets: open(layout::BUCKETS).map_err(fail)?,
            markers: open(layout::MARKERS).map_err(fail)?,
            ledger: open(layout::LEDGER).map_err(fail)?,
            final_state: open(layout::FINAL_STATE).map_err(fail)?,
            line: Vec::with_capacity(256),
            series_json: Vec::new(),
            spare: Vec::new(),
            pair_heads: Vec::new(),
        })
    }

    /// The record's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Registers a series (idempotent) and returns its id.
    pub fn series(&mut self, name: &str) -> SeriesId {
        if let Some(i) = self.series_names.iter().position(|n| n == name) {
            return SeriesId(i);
        }
        self.series_names.push(name.to_string());
        self.series_json
            .push(serde_json::to_vec(name).expect("a string always serializes"));
        let slots = self.series_names.len() * 2;
        for bucket in &mut self.open {
            bucket.resize(slots, Accumulator::default());
        }
        self.spare.clear();
        SeriesId(self.series_names.len() - 1)
    }

    #[inline(always)]
    fn slot(&mut self, t_us: u64, series: SeriesId, op: OpKind) -> &mut Accumulator {
        let bucket = t_us / BUCKET_US;
        // A time before the flushed horizon is an engine bug; count it in the oldest
        // open bucket rather than lose it.
        debug_assert!(bucket >= self.first_open, "recorded into a closed bucket");
        let offset = bucket.saturating_sub(self.first_open) as usize;
        if offset >= self.open.len() {
            self.open_until(offset);
        }
        &mut self.open[offset][series.0 * 2 + op.index()]
    }

    /// Opens buckets up to `offset` past the oldest open one (once per bucket, so
    /// out of the per-operation path).
    #[cold]
    #[inline(never)]
    fn open_until(&mut self, offset: usize) {
        let slots = self.series_names.len() * 2;
        while self.open.len() <= offset {
            let fresh = match self.spare.pop() {
                Some(accumulators) => accumulators,
                None => vec![Accumulator::default(); slots],
            };
            self.open.push_back(fresh);
        }
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
        let latency_us = t_end_us.saturating_sub(t_intended_us);
        let acc = self.slot(t_end_us, series, op);
        match outcome {
            Ok(()) => acc.ok += 1,
            Err(class) => acc.failed.add(class, 1),
        }
        acc.latencies.record(latency_us);
    }

    /// Writes a marker.
    pub fn marker(&mut self, marker: &Marker) -> Result<(), WriteError> {
        write_line(&mut self.markers, &mut self.line, marker).map_err(|e| self.error(e))
    }

    /// Writes a ledger entry (once the write's outcome is known).
    pub fn ledger(&mut self, entry: &LedgerEntry) -> Result<(), WriteError> {
        self.line.clear();
        ledger_json(&mut self.line, entry);
        self.ledger.write_all(&self.line).map_err(|e| self.error(e))
    }

    /// Writes what verification read back for a key.
    pub fn final_read(&mut self, read: &FinalRead) -> Result<(), WriteError> {
        write_line(&mut self.final_state, &mut self.line, read).map_err(|e| self.error(e))
    }

    /// Closes every bucket that ends at or before `t_us` and writes it out.
    pub fn flush_before(&mut self, t_us: u64) -> Result<(), WriteError> {
        let horizon = t_us / BUCKET_US;
        let mut wrote = false;
        while self.first_open < horizon {
            let accumulators = self.open.pop_front();
            if let Some(accumulators) = accumulators {
                self.write_bucket(self.first_open, accumulators)?;
                wrote = true;
            }
            self.first_open += 1;
            if self.open.is_empty() {
                self.first_open = self.first_open.max(horizon);
            }
        }
        if wrote {
            self.flush_files()?;
        }
        Ok(())
    }

    fn write_bucket(
        &mut self,
        index: u64,
        mut accumulators: Vec<Accumulator>,
    ) -> Result<(), WriteError> {
        for (slot, acc) in accumulators.iter_mut().enumerate() {
            if acc.is_empty() {
                continue;
            }
            self.line.clear();
            bucket_head(
                &mut self.line,
                index,
                &self.series_json[slot / 2],
                OpKind::ALL[slot % 2],
                acc,
            );
            let (line, heads) = (&mut self.line, &mut self.pair_heads);
            let mut first = true;
            acc.latencies.drain(|cell, count| {
                if cell >= heads.len() {
                    heads.resize(cell + 1, PairHead::default());
                }
                if heads[cell].len == 0 {
                    heads[cell] = PairHead::of(cell_highest(cell));
                }
                push_pair(line, first, &heads[cell], count);
                first = false;
            });
            self.line.extend_from_slice(b"]}\n");
            acc.reset();
            self.buckets.write_all(&self.line).map_err(|e| WriteError {
                dir: self.dir.clone(),
                source: e,
            })?;
        }
        if accumulators.len() == self.series_names.len() * 2 {
            self.spare.push(accumulators);
        }
        Ok(())
    }

    fn flush_files(&mut self) -> Result<(), WriteError> {
        for file in [
            &mut self.buckets,
            &mut self.markers,
            &mut self.ledger,
            &mut self.final_state,
        ] {
            file.flush().map_err(|e| WriteError {
                dir: self.dir.clone(),
                source: e,
            })?;
        }
        Ok(())
    }

    /// Closes every bucket, flushes every file and rewrites `run.json` with the end.
    pub fn finish(
        mut self,
        status: RunStatus,
        end_us: u64,
        abort_reason: Option<String>,
    ) -> Result<RunMeta, WriteError> {
        let horizon_us = (self.first_open + self.open.len() as u64) * BUCKET_US;
        self.flush_before(horizon_us.max(end_us))?;
        self.flush_files()?;
        self.meta.status = status;
        self.meta.end_us = Some(end_us);
        self.meta.abort_reason = abort_reason;
        write_json_atomically(&self.dir.join(layout::RUN), &self.meta)
            .map_err(|e| self.error(e))?;
        Ok(self.meta)
    }

    fn error(&self, source: io::Error) -> WriteError {
        WriteError {
            dir: self.dir.clone(),
            source,
        }
    }
}

/// The start of a bucket's JSON line, up to the opening bracket of its latency
/// pairs: with [`push_pair`] and a closing `]}`, byte for byte what serializing a
/// [`Bucket`] with `serde_json` gives (a test holds the two together), without
/// serde's per-field machinery: buckets are most of what a run writes.
fn bucket_head(line: &mut Vec<u8>, index: u64, series_json: &[u8], op: OpKind, acc: &Accumulator) {
    line.extend_from_slice(b"{\"b\":");
    push_u64(line, index);
    line.extend_from_slice(b",\"series\":");
    line.extend_from_slice(series_json);
    line.extend_from_slice(match op {
        OpKind::Read => b",\"op\":\"read\",\"started\":",
        OpKind::Write => b",\"op\":\"write\",\"started\":",
    });
    push_u64(line, acc.started);
    line.extend_from_slice(b",\"ok\":");
    push_u64(line, acc.ok);
    line.extend_from_slice(b",\"failed\":{");
    let f = &acc.failed;
    let mut first = true;
    for (name, n) in [
        (&b"\"refused\":"[..], f.refused),
        (b"\"reset\":", f.reset),
        (b"\"timeout\":", f.timeout),
        (b"\"server_error\":", f.server_error),
        (b"\"pool_exhausted\":", f.pool_exhausted),
        (b"\"other\":", f.other),
    ] {
        if n != 0 {
            if !first {
                line.push(b',');
            }
            first = false;
            line.extend_from_slice(name);
            push_u64(line, n);
        }
    }
    line.extend_from_slice(b"},\"latency_us\":[");
}

/// The `[value_us,` that starts a latency pair, formatted (0 bytes: not yet).
#[derive(Debug, Clone, Copy, Default)]
struct PairHead {
    bytes: [u8; 24],
    len: u8,
}

impl PairHead {
    fn of(value_us: u64) -> Self {
        let mut bytes = [0u8; 24];
        bytes[0] = b'[';
        let end = 1 + decimal_digits(value_us);
        write_u64_before(&mut bytes, end, value_us);
        bytes[end] = b',';
        Self {
            bytes,
            len: (end + 1) as u8,
        }
    }
}

/// One `[value_us, count]` pair of a bucket line, composed on the stack front to back
/// and appended as one fixed-size block cut to its length (fixed-size copies are a
/// few moves; pairs are most of a run's output).
#[inline]
fn push_pair(line: &mut Vec<u8>, first: bool, head: &PairHead, count: u64) {
    // A comma, a head of at most 22 bytes, 20 digits and a bracket.
    let mut buf = [0u8; 48];
    buf[0] = b',';
    let mut at = usize::from(!first);
    buf[at..at + 24].copy_from_slice(&head.bytes);
    at += usize::from(head.len);
    at += decimal_digits(count);
    write_u64_before(&mut buf, at, count);
    buf[at] = b']';
    let len = line.len();
    line.extend_from_slice(&buf);
    line.truncate(len + at + 1);
}

/// Powers of ten that fit a `u64`.
const POW10: [u64; 20] = {
    let mut p = [1u64; 20];
    let mut i = 1;
    while i < 20 {
        p[i] = p[i - 1] * 10;
        i += 1;
    }
    p
};

/// How many decimal digits `n` has (1 for 0): the bit length times log10(2)
/// (1233/4096) is the digit count or one less, which one comparison settles.
#[inline]
fn decimal_digits(n: u64) -> usize {
    let n = n.max(1);
    let bits = 64 - n.leading_zeros() as usize;
    let guess = (bits * 1233) >> 12;
    guess + usize::from(n >= POW10[guess])
}

/// Writes `n` in decimal so that it ends just before `buf[end]`; returns where it
/// starts.
#[inline]
fn write_u64_before(buf: &mut [u8], mut end: usize, mut n: u64) -> usize {
    while n >= 100 {
        let pair = (n % 100) as usize * 2;
        n /= 100;
        end -= 2;
        buf[end..end + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
    }
    if n >= 10 {
        let pair = n as usize * 2;
        end -= 2;
        buf[end..end + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
    } else {
        end -= 1;
        buf[end] = b'0' + n as u8;
    }
    end
}

/// A ledger entry as a JSON line, byte for byte what `serde_json` gives (tested):
/// simulated runs write one per client write.
fn ledger_json(line: &mut Vec<u8>, entry: &LedgerEntry) {
    line.extend_from_slice(b"{\"id\":");
    push_u64(line, entry.id);
    line.extend_from_slice(b",\"key\":");
    let plain = entry
        .key
        .bytes()
        .all(|b| b >= 0x20 && b != b'"' && b != b'\\' && b < 0x7f);
    if plain {
        line.push(b'"');
        line.extend_from_slice(entry.key.as_bytes());
        line.push(b'"');
    } else {
        // Escaping is serde_json's business; keys needing it are rare.
        serde_json::to_writer(&mut *line, &entry.key).expect("a string always serializes");
    }
    line.extend_from_slice(b",\"checksum\":\"");
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for shift in (0..16).rev() {
        line.push(HEX[((entry.checksum.0 >> (shift * 4)) & 0xf) as usize]);
    }
    line.extend_from_slice(b"\",\"t_intended_us\":");
    push_u64(line, entry.t_intended_us);
    if let Some(t_ack_us) = entry.t_ack_us {
        line.extend_from_slice(b",\"t_ack_us\":");
        push_u64(line, t_ack_us);
    }
    line.extend_from_slice(match entry.outcome {
        WriteOutcome::Acked => b",\"outcome\":\"acked\"}\n",
        WriteOutcome::Failed => b",\"outcome\":\"failed\"}\n",
        WriteOutcome::Indeterminate => b",\"outcome\":\"indeterminate\"}\n",
    });
}

/// Two-digit decimal pairs "00".."99", to write numbers two digits at a time.
const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// Appends `n` in decimal.
#[inline]
fn push_u64(line: &mut Vec<u8>, n: u64) {
    let mut digits = [0u8; 20];
    let at = write_u64_before(&mut digits, 20, n);
    line.extend_from_slice(&digits[at..]);
}

fn write_line<T: Serialize>(
    file: &mut BufWriter<File>,
    line: &mut Vec<u8>,
    value: &T,
) -> io::Result<()> {
    line.clear();
    serde_json::to_writer(&mut *line, value)?;
    line.push(b'\n');
    file.write_all(line)
}

/// Writes JSON to a temporary file and renames it over `path`, so readers never see
/// half a file.
pub fn write_json_atomically<T: Serialize>(path: &Path, value: &T) -> io::Result<()> {
    let tmp = path.with_extension("json.tmp");
    let mut text = serde_json::to_vec_pretty(value)?;
    text.push(b'\n');
    fs::write(&tmp, text)?;
    fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::histogram::LatencyHistogram;
    use crate::reader::RunRecord;

    #[test]
    fn ledger_lines_are_what_serde_writes() {
        let entries = [
            ("k0", 0, Some(34_395), WriteOutcome::Acked),
            ("k99999", u64::MAX, None, WriteOutcome::Indeterminate),
            (
                "we\"ird\\\u{1}é\u{7f}",
                0x0123_4567_89ab_cdef,
                Some(0),
                WriteOutcome::Failed,
            ),
        ];
        for (i, (key, checksum, t_ack_us, outcome)) in entries.into_iter().enumerate() {
            let entry = LedgerEntry {
                id: i as u64 * 1_000_003,
                key: key.to_string(),
                checksum: Checksum(checksum),
                t_intended_us: 23_409 + i as u64,
                t_ack_us,
                outcome,
            };
            let mut line = Vec::new();
            ledger_json(&mut line, &entry);
            let mut want = serde_json::to_vec(&entry).unwrap();
            want.push(b'\n');
            assert_eq!(
                String::from_utf8(line).unwrap(),
                String::from_utf8(want).unwrap()
            );
        }
    }

    #[test]
    fn numbers_are_written_in_decimal() {
        for n in [
            0,
            1,
            9,
            10,
            99,
            100,
            101,
            999,
            1_000,
            12_345,
            u64::MAX - 1,
            u64::MAX,
        ]
        .into_iter()
        .chain(POW10.iter().flat_map(|&p| [p - 1, p, p + 1]))
        {
            let mut line = Vec::new();
            push_u64(&mut line, n);
            assert_eq!(line, n.to_string().into_bytes());
            line.clear();
            push_pair(&mut line, false, &PairHead::of(n), u64::MAX - n);
            push_pair(&mut line, true, &PairHead::of(n), n);
            assert_eq!(decimal_digits(n), n.to_string().len());
            assert_eq!(
                line,
                format!(",[{n},{}][{n},{n}]", u64::MAX - n).into_bytes()
            );
        }
    }

    #[test]
    fn bucket_lines_are_what_serde_writes() {
        let mut failed = FailureCounts::default();
        let cases = [
            (
                "client",
                OpKind::Read,
                0,
                0,
                FailureCounts::default(),
                vec![],
            ),
            (
                "db",
                OpKind::Write,
                17,
                3,
                failed,
                vec![(1_003, 2), (u64::MAX, 1)],
            ),
            (
                "we\"ird\\name\u{1}é",
                OpKind::Read,
                1,
                0,
                failed,
                vec![(0, 1)],
            ),
        ];
        for (k, class) in FailureClass::ALL.iter().enumerate() {
            failed.add(*class, k as u64 * 7);
        }
        let mut all = cases.to_vec();
        all.push((
            "api",
            OpKind::Write,
            9,
            12_345_678_901,
            failed,
            vec![(5, 6), (7, 8)],
        ));
        let mut one = FailureCounts::default();
        one.add(FailureClass::Other, 1);
        all.push(("api", OpKind::Read, 0, 1, one, vec![(10, 1)]));
        for (i, (series, op, started, ok, failed, latency_us)) in all.into_iter().enumerate() {
            let acc = Accumulator {
                started,
                ok,
                failed,
                latencies: CellCounts::default(),
            };
            let mut line = Vec::new();
            let name = serde_json::to_vec(series).unwrap();
            bucket_head(&mut line, i as u64 * 1_000, &name, op, &acc);
            for (k, &(v, c)) in latency_us.iter().enumerate() {
                push_pair(&mut line, k == 0, &PairHead::of(v), c);
            }
            line.extend_from_slice(b"]}\n");
            let mut want = serde_json::to_vec(&Bucket {
                index: i as u64 * 1_000,
                series: series.to_string(),
                op,
                started,
                ok,
                failed,
                latency_us,
            })
            .unwrap();
            want.push(b'\n');
            assert_eq!(
                String::from_utf8(line).unwrap(),
                String::from_utf8(want).unwrap()
            );
        }
    }

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
        // The process dies here: the recorder is never finished.
        std::mem::forget(rec);
        let record = RunRecord::load(dir.path()).unwrap();
        assert_eq!(record.meta.status, RunStatus::Running);
        assert_eq!(record.buckets.iter().map(|b| b.ok).sum::<u64>(), 25);
        assert_eq!(record.markers.len(), 1);
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
}
