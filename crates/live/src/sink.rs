//! The run's shared state: the recorder behind a lock, the run clock, what each key
//! should hold, recent statistics for progress and guardrails, and the signals fired.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Instant;

use faultline_analyze::steady::OpCounts;
use faultline_record::{
    Checksum, FailureClass, LatencyHistogram, LedgerEntry, Marker, MarkerKind, OpKind, Recorder,
    SeriesId, WriteOutcome, BUCKET_US,
};
use tokio::sync::watch;

/// Buckets stay open this long behind the clock, so that late `started` counts of a
/// lagging generator still land in their own bucket.
const OPEN_LAG_US: u64 = 2_000_000;

/// Seconds of statistics kept for progress and guardrails (bounded memory).
const SECONDS_KEPT: usize = 600;

/// What the engine knows about one key's writes: enough to verify it, in O(keys).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyState {
    /// The newest acknowledged write: id and checksum.
    pub newest_acked: Option<(u64, Checksum)>,
    /// Writes to the key, any outcome.
    pub writes: u64,
}

/// Statistics of one second of the run.
#[derive(Debug, Clone, Default)]
pub struct SecondStats {
    /// Second number from the start of the run.
    pub second: u64,
    /// Operations whose intended start falls in the second (as the record counts them).
    pub started: u64,
    /// Operations completed successfully.
    pub ok: u64,
    /// Operations failed.
    pub failed: u64,
    /// Latencies of the completed operations.
    pub latency: LatencyHistogram,
}

struct Inner {
    recorder: Option<Recorder>,
    series: [SeriesId; 2],
    flushed_us: u64,
    keys: HashMap<String, KeyState>,
    seconds: VecDeque<SecondStats>,
    fired: BTreeMap<String, u64>,
    active_faults: Vec<String>,
    probe_states: HashMap<String, bool>,
    error: Option<String>,
}

/// The run's shared state. Every method takes the lock briefly.
pub struct Sink {
    start: Instant,
    inner: Mutex<Inner>,
    signals: watch::Sender<u64>,
}

impl Sink {
    /// A sink writing into `recorder`; operations count in `client` and each of
    /// `series` (the target component).
    pub fn new(mut recorder: Recorder, target_component: &str, start: Instant) -> Self {
        let series = [
            recorder.series(faultline_record::CLIENT_SERIES),
            recorder.series(target_component),
        ];
        Self {
            start,
            inner: Mutex::new(Inner {
                recorder: Some(recorder),
                series,
                flushed_us: 0,
                keys: HashMap::new(),
                seconds: VecDeque::new(),
                fired: BTreeMap::new(),
                active_faults: Vec::new(),
                probe_states: HashMap::new(),
                error: None,
            }),
            signals: watch::channel(0).0,
        }
    }

    /// Microseconds since the start of the run.
    pub fn now_us(&self) -> u64 {
        self.start.elapsed().as_micros() as u64
    }

    /// The run's start instant.
    pub fn start(&self) -> Instant {
        self.start
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves counters that are still consistent
        // enough to finish the record; never lose the record to poisoning.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts an operation whose intended start is `t_intended_us`.
    pub fn op_started(&self, op: OpKind, t_intended_us: u64) {
        let mut inner = self.lock();
        let t = t_intended_us.max(inner.flushed_us);
        let series = inner.series;
        if let Some(rec) = inner.recorder.as_mut() {
            for s in series {
                rec.op_started(s, op, t);
            }
        }
        // In the second the record counts it in, so that the gate and the analyzer
        // see the same starts.
        if let Some(stats) = second_mut(&mut inner.seconds, t / 1_000_000) {
            stats.started += 1;
        }
    }

    /// Counts a completed operation; latency runs from its intended start.
    pub fn op_finished(
        &self,
        op: OpKind,
        t_intended_us: u64,
        t_end_us: u64,
        outcome: Result<(), FailureClass>,
    ) {
        let mut inner = self.lock();
        let t_end = t_end_us.max(inner.flushed_us);
        let series = inner.series;
        if let Some(rec) = inner.recorder.as_mut() {
            for s in series {
                rec.op_finished(s, op, t_intended_us.min(t_end), t_end, outcome);
            }
        }
        if let Some(stats) = second_mut(&mut inner.seconds, t_end_us / 1_000_000) {
            match outcome {
                Ok(()) => stats.ok += 1,
                Err(_) => stats.failed += 1,
            }
            stats.latency.record(t_end_us.saturating_sub(t_intended_us));
        }
    }

    /// Enters a write in the ledger and in the key's state.
    pub fn write_done(&self, entry: LedgerEntry) {
        let mut inner = self.lock();
        let state = inner.keys.entry(entry.key.clone()).or_default();
        state.writes += 1;
        if entry.outcome == WriteOutcome::Acked
            && state.newest_acked.is_none_or(|(id, _)| id < entry.id)
        {
            state.newest_acked = Some((entry.id, entry.checksum));
        }
        let result = match inner.recorder.as_mut() {
            Some(rec) => rec.ledger(&entry).map_err(|e| e.to_string()),
            None => Ok(()),
        };
        if let Err(e) = result {
            inner.error.get_or_insert(e);
        }
    }

    /// Writes a marker, and publishes its names as fired signals (see
    /// [`Sink::fired_at`]).
    pub fn marker(&self, marker: Marker) {
        let mut inner = self.lock();
        let names = signal_names(&marker);
        for name in names {
            inner.fired.entry(name).or_insert(marker.t_us);
        }
        let result = match inner.recorder.as_mut() {
            Some(rec) => rec.marker(&marker).map_err(|e| e.to_string()),
            None => Ok(()),
        };
        if let Err(e) = result {
            inner.error.get_or_insert(e);
        }
        drop(inner);
        self.signals.send_modify(|n| *n += 1);
    }

    /// A marker now.
    pub fn mark(
        &self,
        kind: MarkerKind,
        source: &str,
        component: Option<&str>,
        detail: Option<String>,
    ) {
        self.marker(Marker {
            t_us: self.now_us(),
            kind,
            source: source.to_string(),
            component: component.map(str::to_string),
            detail,
        });
    }

    /// When a signal name first fired: a marker source (`probe:sentinel`,
    /// `alert:HighErrors`), or a source with its kind (`fault:0.injected`,
    /// `probe:x.detect`, `probe:x.failed`).
    pub fn fired_at(&self, name: &str) -> Option<u64> {
        self.lock().fired.get(name).copied()
    }

    /// A receiver that changes whenever a marker is written.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.signals.subscribe()
    }

    /// Closes buckets that no operation can still land in.
    pub fn flush(&self) {
        let now = self.now_us();
        let mut inner = self.lock();
        let horizon = now.saturating_sub(OPEN_LAG_US) / BUCKET_US * BUCKET_US;
        if horizon <= inner.flushed_us {
            return;
        }
        inner.flushed_us = horizon;
        let result = match inner.recorder.as_mut() {
            Some(rec) => rec.flush_before(horizon).map_err(|e| e.to_string()),
            None => Ok(()),
        };
        if let Err(e) = result {
            inner.error.get_or_insert(e);
        }
    }

    /// Success and latency over the seconds `[from_s, to_s)`: (ok, failed, p99 µs).
    pub fn window(&self, from_s: u64, to_s: u64) -> (u64, u64, Option<u64>) {
        let inner = self.lock();
        let mut ok = 0;
        let mut failed = 0;
        let mut latency = LatencyHistogram::new();
        for s in inner
            .seconds
            .iter()
            .filter(|s| s.second >= from_s && s.second < to_s)
        {
            ok += s.ok;
            failed += s.failed;
            latency.add(&s.latency);
        }
        (ok, failed, latency.quantile_us(0.99))
    }

    /// Client operations of one second: started (by intended start) and finished.
    pub fn second_counts(&self, second: u64) -> OpCounts {
        let inner = self.lock();
        inner
            .seconds
            .iter()
            .rev()
            .find(|s| s.second == second)
            .map_or(OpCounts::default(), |s| OpCounts {
                started: s.started,
                ok: s.ok,
                failed: s.failed,
            })
    }

    /// Sets a probe's current state.
    pub fn set_probe_state(&self, probe: &str, ok: bool) {
        self.lock().probe_states.insert(probe.to_string(), ok);
    }

    /// A probe's current state (`None` before its first sample).
    pub fn probe_state(&self, probe: &str) -> Option<bool> {
        self.lock().probe_states.get(probe).copied()
    }

    /// Names of the faults active now.
    pub fn active_faults(&self) -> Vec<String> {
        self.lock().active_faults.clone()
    }

    /// Adds or removes a fault from the active list.
    pub fn set_fault_active(&self, name: &str, active: bool) {
        let mut inner = self.lock();
        inner.active_faults.retain(|n| n != name);
        if active {
            inner.active_faults.push(name.to_string());
        }
    }

    /// Every key written, with its state, sorted by key.
    pub fn keys(&self) -> Vec<(String, KeyState)> {
        let inner = self.lock();
        let mut keys: Vec<_> = inner
            .keys
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        keys.sort_by(|a, b| a.0.cmp(&b.0));
        keys
    }

    /// Writes what verification read for a key.
    pub fn final_read(&self, read: &faultline_record::FinalRead) {
        let mut inner = self.lock();
        let result = match inner.recorder.as_mut() {
            Some(rec) => rec.final_read(read).map_err(|e| e.to_string()),
            None => Ok(()),
        };
        if let Err(e) = result {
            inner.error.get_or_insert(e);
        }
    }

    /// The recorder, for `finish`, with the first write error seen (if any).
    pub fn take_recorder(&self) -> (Option<Recorder>, Option<String>) {
        let mut inner = self.lock();
        (inner.recorder.take(), inner.error.take())
    }
}

/// The statistics of `second`, added in order when missing; `None` for a second older
/// than every one kept once [`SECONDS_KEPT`] are.
fn second_mut(seconds: &mut VecDeque<SecondStats>, second: u64) -> Option<&mut SecondStats> {
    // Kept in order; the second wanted is almost always the newest.
    let mut at = seconds
        .iter()
        .rposition(|s| s.second <= second)
        .map_or(0, |i| i + 1);
    if at > 0 && seconds[at - 1].second == second {
        return seconds.get_mut(at - 1);
    }
    if at == 0 && seconds.len() >= SECONDS_KEPT {
        return None;
    }
    seconds.insert(
        at,
        SecondStats {
            second,
            ..SecondStats::default()
        },
    );
    if seconds.len() > SECONDS_KEPT {
        // `at` is past the front here: a second older than all was refused above.
        seconds.pop_front();
        at -= 1;
    }
    seconds.get_mut(at)
}

/// The signal names a marker publishes.
fn signal_names(marker: &Marker) -> Vec<String> {
    let suffix = match marker.kind {
        MarkerKind::FaultInjected => "injected",
        MarkerKind::FaultHealed => "healed",
        MarkerKind::Detect => "detect",
        MarkerKind::Activate => "activate",
        MarkerKind::ProbeOk => "ok",
        MarkerKind::ProbeFailed => "failed",
        MarkerKind::Alert => "alert",
        MarkerKind::PhaseStart => "start",
        MarkerKind::PhaseEnd => "end",
        MarkerKind::Guardrail => "guardrail",
        _ => "note",
    };
    let mut names = vec![format!("{}.{suffix}", marker.source)];
    if matches!(
        marker.kind,
        MarkerKind::Detect | MarkerKind::Activate | MarkerKind::Alert
    ) {
        names.push(marker.source.clone());
    }
    names
}

#[cfg(test)]
mod tests {
    use faultline_record::{Engine, RunMeta};

    use super::*;

    fn sink() -> Sink {
        let (recorder, _memory) = Recorder::in_memory(RunMeta::new("t", Engine::Live, 0), "");
        Sink::new(recorder, "api", Instant::now())
    }

    /// The steady-state gate reads starts by intended start, as the record counts
    /// them: a lagging generator's late start still counts in its own second.
    #[test]
    fn starts_count_in_the_second_of_their_intended_start() {
        let sink = sink();
        sink.op_started(OpKind::Read, 1_200_000);
        sink.op_finished(OpKind::Read, 1_200_000, 3_100_000, Ok(()));
        sink.op_finished(
            OpKind::Write,
            1_300_000,
            3_200_000,
            Err(FailureClass::Timeout),
        );
        // Started in second 2, counted after second 3 opened.
        sink.op_started(OpKind::Write, 2_900_000);
        let counts = |second| sink.second_counts(second);
        assert_eq!(
            counts(1),
            OpCounts {
                started: 1,
                ok: 0,
                failed: 0
            }
        );
        assert_eq!(counts(2).started, 1);
        assert_eq!(
            counts(3),
            OpCounts {
                started: 0,
                ok: 1,
                failed: 1
            }
        );
        assert_eq!(counts(4), OpCounts::default());
    }

    #[test]
    fn seconds_kept_are_bounded_and_in_order() {
        let mut seconds = VecDeque::new();
        for second in (0..SECONDS_KEPT as u64 + 10).rev().step_by(2) {
            if let Some(stats) = second_mut(&mut seconds, second) {
                stats.ok += 1;
            }
        }
        for second in 0..SECONDS_KEPT as u64 + 10 {
            if let Some(stats) = second_mut(&mut seconds, second) {
                stats.ok += 1;
            }
        }
        assert_eq!(seconds.len(), SECONDS_KEPT);
        assert!(seconds
            .iter()
            .zip(seconds.iter().skip(1))
            .all(|(a, b)| a.second < b.second));
        assert_eq!(
            seconds.back().map(|s| s.second),
            Some(SECONDS_KEPT as u64 + 9)
        );
        // A second older than all kept is refused once full.
        assert!(second_mut(&mut seconds, 0).is_none());
    }
}
