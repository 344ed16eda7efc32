//! The file sink: a record written as the folder of `docs/record.md`, line by line,
//! flushed as buckets close.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::cells::{cell_highest, MAX_CELLS};
use crate::layout;
use crate::types::*;
use crate::writer::{write_json_atomically, Accumulator, WriteError};

/// Room each file's buffer keeps between two hand-overs to the OS: a second of a
/// busy run's bucket lines fits in it, so that each file gets one write per second
/// ([`crate::writer::FLUSH_EVERY_BUCKETS`]) rather than one per 8 KiB.
const FILE_BUFFER_BYTES: usize = 256 * 1024;

/// A record's open files in its folder.
pub(crate) struct FileSink {
    dir: PathBuf,
    buckets: BufWriter<File>,
    markers: BufWriter<File>,
    ledger: BufWriter<File>,
    final_state: BufWriter<File>,
    line: Vec<u8>,
    /// Each series' name as a JSON string (quoted and escaped), written per bucket.
    series_json: Vec<Vec<u8>>,
    pairs: PairText,
}

impl FileSink {
    /// Creates the folder (and parents) and the record's files, copying the
    /// experiment file's text and writing `run.json` as `meta` says (running).
    pub(crate) fn create(
        dir: &Path,
        meta: &RunMeta,
        experiment_text: &str,
    ) -> Result<Self, WriteError> {
        let fail = |source| WriteError {
            dir: dir.to_path_buf(),
            source,
        };
        fs::create_dir_all(dir).map_err(fail)?;
        fs::write(dir.join(layout::EXPERIMENT), experiment_text).map_err(fail)?;
        write_json_atomically(&dir.join(layout::RUN), meta).map_err(fail)?;
        let open = |name: &str| {
            File::create(dir.join(name))
                .map(|file| BufWriter::with_capacity(FILE_BUFFER_BYTES, file))
        };
        Ok(Self {
            dir: dir.to_path_buf(),
            buckets: open(layout::BUCKETS).map_err(fail)?,
            markers: open(layout::MARKERS).map_err(fail)?,
            ledger: open(layout::LEDGER).map_err(fail)?,
            final_state: open(layout::FINAL_STATE).map_err(fail)?,
            line: Vec::with_capacity(256),
            series_json: Vec::new(),
            pairs: PairText::new(),
        })
    }

    /// The record's folder.
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Keeps the new series' name as JSON, to write it per bucket.
    pub(crate) fn series_added(&mut self, name: &str) {
        self.series_json
            .push(serde_json::to_vec(name).expect("a string always serializes"));
    }

    /// Writes a closed bucket's line for series number `series`, emptying the
    /// accumulator's latencies.
    pub(crate) fn bucket(
        &mut self,
        index: u64,
        series: usize,
        op: OpKind,
        acc: &mut Accumulator,
    ) -> Result<(), WriteError> {
        self.line.clear();
        bucket_line(
            &mut self.line,
            &mut self.pairs,
            (index, &self.series_json[series], op),
            acc,
        );
        self.buckets
            .write_all(&self.line)
            .map_err(|e| self.error(e))
    }

    /// Writes a marker's line.
    pub(crate) fn marker(&mut self, marker: &Marker) -> Result<(), WriteError> {
        write_line(&mut self.markers, &mut self.line, marker).map_err(|e| self.error(e))
    }

    /// Writes a ledger entry's line.
    pub(crate) fn ledger(&mut self, entry: &LedgerEntry) -> Result<(), WriteError> {
        self.line.clear();
        ledger_json(&mut self.line, entry);
        self.ledger.write_all(&self.line).map_err(|e| self.error(e))
    }

    /// Writes a final read's line.
    pub(crate) fn final_read(&mut self, read: &FinalRead) -> Result<(), WriteError> {
        write_line(&mut self.final_state, &mut self.line, read).map_err(|e| self.error(e))
    }

    /// Hands every file's buffered lines to the OS.
    pub(crate) fn flush(&mut self) -> Result<(), WriteError> {
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

    /// Flushes every file and rewrites `run.json` with the ended run's `meta`.
    pub(crate) fn finish(mut self, meta: &RunMeta) -> Result<(), WriteError> {
        self.flush()?;
        write_json_atomically(&self.dir.join(layout::RUN), meta).map_err(|e| self.error(e))
    }

    fn error(&self, source: io::Error) -> WriteError {
        WriteError {
            dir: self.dir.clone(),
            source,
        }
    }
}

/// The start of a bucket's JSON line, up to the opening bracket of its latency
/// pairs: with [`put_pair`] and a closing `]}`, byte for byte what serializing a
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
    // Most buckets have no failure: one test for all six classes.
    if acc.failed.total() != 0 {
        push_failures(line, &acc.failed);
    }
    line.extend_from_slice(b"},\"latency_us\":[");
}

/// Appends a bucket's non-zero failure counts as `"class":n`, comma-separated.
fn push_failures(line: &mut Vec<u8>, f: &FailureCounts) {
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
}

/// What bucket lines' latency pairs are made of, kept between lines.
struct PairText {
    /// Each histogram cell's `,[value_us,` as bucket lines write it, by word of 64
    /// cells, filled up to the largest cell a bucket may hold: a cell's value is the
    /// same in every bucket, so it is formatted once per run instead of once per
    /// bucket.
    heads: Vec<[PairHead; 64]>,
    /// Room where a line's pairs are composed, enough for every cell of the
    /// histogram at its longest ([`ROOM_MASK`] + 1) and one more pair: each pair is
    /// then a few fixed-size stores with no bounds check (its offset masked). Pages
    /// the OS zeroes on first use, so only the longest line's bytes are ever touched.
    room: Box<[u8; ROOM]>,
}

/// Offsets in [`PairText::room`] are masked by this: above any line's pairs.
const ROOM_MASK: usize = (1 << 19) - 1;
/// Length of [`PairText::room`].
const ROOM: usize = ROOM_MASK + 1 + PAIR_MAX;
const _: () = assert!((ROOM_MASK + 1).is_power_of_two() && MAX_CELLS * PAIR_MAX <= ROOM_MASK);

impl PairText {
    fn new() -> Self {
        Self {
            heads: Vec::new(),
            room: vec![0; ROOM]
                .into_boxed_slice()
                .try_into()
                .expect("the slice is ROOM long"),
        }
    }
}

/// Appends a closed bucket's JSON line (the accumulator of `series_json` and `op` in
/// bucket `index`), emptying the accumulator's latencies.
fn bucket_line(
    line: &mut Vec<u8>,
    text: &mut PairText,
    (index, series_json, op): (u64, &[u8], OpKind),
    acc: &mut Accumulator,
) {
    bucket_head(line, index, series_json, op, acc);
    // Every cell the bucket may hold has its head (up to a whole word of cells, the
    // ones past `u64::MAX`'s cell never used), so that a pair needs no test of its
    // own for one.
    let words = acc.latencies.cells_len() / 64;
    while text.heads.len() < words {
        let first = text.heads.len() * 64;
        text.heads.push(std::array::from_fn(|k| {
            PairHead::of(cell_highest(first + k))
        }));
    }
    let (room, heads) = (&mut text.room[..], &text.heads[..]);
    let mut end = 0;
    acc.latencies.drain_words(|w, cells| {
        let heads = &heads[w];
        for (k, count) in cells {
            end = put_pair(room, end & ROOM_MASK, &heads[k], count);
        }
    });
    // Every pair starts with a comma; the first one's is not written.
    line.extend_from_slice(&room[usize::from(end > 0)..end]);
    line.extend_from_slice(b"]}\n");
}

/// The `,[value_us,` that starts a latency pair in a bucket line, formatted.
#[derive(Debug, Clone, Copy)]
struct PairHead {
    bytes: [u8; PAIR_HEAD_MAX],
    len: u8,
}

/// The longest [`PairHead`]: `,[`, 20 digits and a comma.
const PAIR_HEAD_MAX: usize = 23;

impl PairHead {
    fn of(value_us: u64) -> Self {
        let mut bytes = [0u8; PAIR_HEAD_MAX];
        bytes[..2].copy_from_slice(b",[");
        let end = 2 + decimal_digits(value_us);
        write_u64_before(&mut bytes, end, value_us);
        bytes[end] = b',';
        Self {
            bytes,
            len: (end + 1) as u8,
        }
    }
}

/// The longest pair [`put_pair`] writes: a head, 20 digits and a bracket.
const PAIR_MAX: usize = PAIR_HEAD_MAX + 21;
/// A mask that changes no [`PairHead`]'s length, so that the compiler knows a
/// one-digit count's two bytes are in bounds without a check of its own.
const PAIR_HEAD_MASK: usize = 31;
const _: () = assert!(
    (PAIR_HEAD_MASK + 1).is_power_of_two()
        && PAIR_HEAD_MAX <= PAIR_HEAD_MASK
        && PAIR_HEAD_MASK + 2 <= PAIR_MAX
);

/// Writes one `,[value_us,count]` pair of a bucket line at `line[at..]` (with room
/// for [`PAIR_MAX`] bytes there) and returns where it ends: composed front to back in
/// fixed-size blocks (a few moves each; pairs are most of a run's output).
#[inline(always)]
fn put_pair(line: &mut [u8], at: usize, head: &PairHead, count: u64) -> usize {
    let buf: &mut [u8; PAIR_MAX] = (&mut line[at..at + PAIR_MAX])
        .try_into()
        .expect("the slice is PAIR_MAX long");
    buf[..PAIR_HEAD_MAX].copy_from_slice(&head.bytes);
    let end = usize::from(head.len) & PAIR_HEAD_MASK;
    if count < 10 {
        // Most cells of a 100 ms bucket hold a few latencies: one two-byte store.
        let digit_bracket = u16::from_le_bytes([b'0', b']']) + count as u16;
        buf[end..end + 2].copy_from_slice(&digit_bracket.to_le_bytes());
        return at + end + 2;
    }
    let end = end + decimal_digits(count);
    write_u64_before(buf, end, count);
    buf[end] = b']';
    at + end + 1
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
    // The digits composed apart and appended at once: pushed one by one, each
    // would cost a capacity check.
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut hex = [0u8; 16];
    for (k, digit) in hex.iter_mut().enumerate() {
        *digit = HEX[((entry.checksum.0 >> ((15 - k) * 4)) & 0xf) as usize];
    }
    line.extend_from_slice(&hex);
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
    // Composed from the left in a block of the longest length, the block appended
    // whole and the line cut back to the digits: a fixed-size append is a few moves,
    // where one of the digits' own length is a call to `memcpy`.
    let len = decimal_digits(n);
    let mut digits = [0u8; 20];
    write_u64_before(&mut digits, len, n);
    let end = line.len() + len;
    line.extend_from_slice(&digits);
    line.truncate(end);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cells::CellCounts;

    /// [`put_pair`] appended to a growing line.
    fn push_pair(line: &mut Vec<u8>, head: &PairHead, count: u64) {
        let at = line.len();
        line.resize(at + PAIR_MAX, 0);
        let end = put_pair(line, at, head, count);
        line.truncate(end);
    }

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
            push_pair(&mut line, &PairHead::of(n), u64::MAX - n);
            push_pair(&mut line, &PairHead::of(n), n);
            assert_eq!(decimal_digits(n), n.to_string().len());
            assert_eq!(
                String::from_utf8(line).unwrap(),
                format!(",[{n},{}],[{n},{n}]", u64::MAX - n)
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
            vec![(5, 6), (7, 8), (1_003, 123), (70_143, 10)],
        ));
        // A long line after short ones (the scratch grows), counts of one and two
        // digits side by side.
        all.push((
            "db",
            OpKind::Read,
            300,
            300,
            FailureCounts::default(),
            (0..256).map(|v| (v, 1 + v % 11)).collect(),
        ));
        let mut one = FailureCounts::default();
        one.add(FailureClass::Other, 1);
        all.push(("api", OpKind::Read, 0, 1, one, vec![(10, 1)]));
        // The longest line there can be: every cell of the histogram, each with a
        // count of 20 digits (the room for a line's pairs must hold it).
        let every_cell: Vec<(u64, u64)> = (0..MAX_CELLS)
            .map(cell_highest)
            .scan(None, |last, v| {
                let next = last.is_none_or(|l| v > l);
                *last = Some(v);
                next.then_some(v)
            })
            .enumerate()
            .map(|(i, v)| (v, u64::MAX - i as u64))
            .collect();
        assert_eq!(every_cell.last(), Some(&(u64::MAX, u64::MAX - 7_424)));
        all.push(("db", OpKind::Write, 1, 1, one, every_cell));
        // One sink's scratch for every line, as a run reuses it.
        let mut text = PairText::new();
        for (i, (series, op, started, ok, failed, latency_us)) in all.into_iter().enumerate() {
            // Each pair's value is the highest of its cell: recorded, it comes back.
            let mut latencies = CellCounts::default();
            for &(v, c) in &latency_us {
                latencies.record_times(v, c);
            }
            let mut acc = Accumulator {
                started,
                ok,
                failed,
                latencies,
            };
            let mut line = Vec::new();
            let name = serde_json::to_vec(series).unwrap();
            let at = (i as u64 * 1_000, &name[..], op);
            bucket_line(&mut line, &mut text, at, &mut acc);
            assert_eq!(acc.latencies.distinct(), 0, "emptied");
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
}
