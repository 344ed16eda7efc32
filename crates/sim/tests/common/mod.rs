//! Shared helpers: run an experiment text in the simulator into a temporary record,
//! analyze it, and hand back the figures.

#![allow(dead_code)] // each test file uses a subset

use std::collections::BTreeMap;
use std::path::Path;

use faultline_analyze::{analyze, SecondPoint, Summary};
use faultline_record::{Engine, Recorder, RunMeta, RunRecord};
use faultline_sim::Simulation;

/// What a simulated run gave.
pub struct Outcome {
    /// The analyzer's summary (the figures of summary.json).
    pub summary: Summary,
    /// Per-series, per-second figures.
    pub seconds: BTreeMap<String, Vec<SecondPoint>>,
    /// The record as read back.
    pub record: RunRecord,
    /// The simulation after the run (exact counters).
    pub sim: Simulation,
}

/// The text of `examples/<name>.yaml`.
pub fn example(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../examples/{name}.yaml"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `text` with each `from` replaced by `to`; every `from` must be present.
pub fn variant(text: &str, edits: &[(&str, &str)]) -> String {
    let mut out = text.to_string();
    for (from, to) in edits {
        assert!(out.contains(from), "`{from}` is not in the experiment text");
        out = out.replace(from, to);
    }
    out
}

/// Runs `text` with its own seed and analyzes the record.
pub fn run(text: &str) -> Outcome {
    let experiment = faultline_spec::parse(text, Path::new("test.yaml"))
        .unwrap_or_else(|e| panic!("invalid test experiment:\n{e}"));
    let dir = tempfile::tempdir().expect("temp dir");
    let sim = Simulation::new(&experiment, experiment.seed()).expect("the model builds");
    let meta = RunMeta::new(&experiment.raw().name, Engine::Sim, experiment.seed());
    let rec = Recorder::create(dir.path(), meta, text).expect("record");
    let (_, sim) = sim.run_to_end(rec, &mut |_| {}).expect("the run completes");
    let record = RunRecord::load(dir.path()).expect("the record reads back");
    let analysis = analyze(&record, &experiment);
    Outcome {
        summary: analysis.summary,
        seconds: analysis.series_seconds,
        record,
        sim,
    }
}

/// [`run`], failing the test when the run has not ended after `limit` of wall time: for
/// regressions whose symptom is a run that never ends (a clock that stopped), so that
/// they fail instead of hanging the suite. The stuck run's thread is left behind; the
/// test binary ends it when it exits.
pub fn run_within(text: &str, limit: std::time::Duration) -> Outcome {
    let (done, outcome) = std::sync::mpsc::channel();
    let text_owned = text.to_string();
    std::thread::spawn(move || {
        // The receiver is gone only once the test has failed already.
        let _ = done.send(run(&text_owned));
    });
    outcome.recv_timeout(limit).unwrap_or_else(|e| {
        panic!("the run did not end within {limit:?} of wall time ({e}): did the clock stop?")
    })
}

/// Sum of `offered` of a series over `[from_s, to_s)`.
pub fn offered(o: &Outcome, series: &str, from_s: u64, to_s: u64) -> u64 {
    o.seconds[series]
        .iter()
        .filter(|p| p.t_s >= from_s && p.t_s < to_s)
        .map(|p| p.offered)
        .sum()
}

/// Sums of `ok` and `failed` of a series over `[from_s, to_s)`.
pub fn ok_failed(o: &Outcome, series: &str, from_s: u64, to_s: u64) -> (u64, u64) {
    o.seconds[series]
        .iter()
        .filter(|p| (from_s..to_s).contains(&p.t_s))
        .fold((0, 0), |(ok, failed), p| (ok + p.ok, failed + p.failed))
}

/// The 99th percentile latency of `series`'s operations that ended in second `t_s`, in
/// milliseconds (the test fails when none ended then).
pub fn p99_ms_in(o: &Outcome, series: &str, t_s: u64) -> f64 {
    o.seconds[series]
        .iter()
        .find(|p| p.t_s == t_s)
        .and_then(|p| p.p99_ms)
        .unwrap_or_else(|| panic!("no {series} operation ended in second {t_s}"))
}

/// The first marker of `kind` (as written in the record) from `source`, in seconds.
pub fn marker_s(o: &Outcome, kind: faultline_record::MarkerKind, source: &str) -> Option<f64> {
    o.record
        .markers
        .iter()
        .find(|m| m.kind == kind && m.source == source)
        .map(|m| m.t_us as f64 / 1e6)
}

/// How many markers `source` wrote.
pub fn markers_from(o: &Outcome, source: &str) -> usize {
    o.record
        .markers
        .iter()
        .filter(|m| m.source == source)
        .count()
}
