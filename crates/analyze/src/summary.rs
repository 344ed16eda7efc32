//! `summary.json`: the stable contract other tools read (documented in `docs/summary.md`).
//!
//! Field names and units follow PRODUCT.md: `t_*` are seconds from the start of the
//! run, `*_s` durations in seconds, `*_ms` milliseconds, rates are fractions. A metric
//! that does not apply is `null`. Every float is rounded (seconds and fractions to
//! 1e-6, milliseconds to 1e-3) so the same record always gives the same bytes.

use serde::{Deserialize, Serialize};

/// The summary's file name inside a run's folder.
pub const SUMMARY_FILE: &str = "summary.json";

/// Version of the summary's layout; bumped only when a field changes meaning.
pub const SUMMARY_VERSION: u32 = 1;

/// The whole summary: what was run, the verdict and the metrics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Layout version of this file ([`SUMMARY_VERSION`]).
    pub summary_version: u32,
    /// The experiment's name.
    pub experiment: String,
    /// `sim` or `live`.
    pub engine: String,
    /// The seed of the run.
    pub seed: u64,
    /// Whether every verdict line passed.
    pub passed: bool,
    /// One line per threshold of `expect` and per alert expectation, in a fixed order.
    pub thresholds: Vec<ThresholdLine>,
    /// The measured figures.
    pub metrics: Metrics,
    /// Per-write data integrity.
    pub integrity: Integrity,
    /// Per-series impact (client and every component), sorted by series name.
    pub components: Vec<ComponentImpact>,
    /// Faults, signals, alerts and recovery in time order.
    pub timeline: Vec<TimelineEvent>,
    /// Timeline events left out to keep the summary small.
    pub timeline_omitted: u64,
    /// How the run ended and how long it lasted.
    pub run: RunFacts,
    /// Caveats about this analysis (missing fault, unverified data, crashed run...).
    pub notes: Vec<String>,
}

impl Summary {
    /// The summary as pretty JSON ending in a newline: byte-identical for equal summaries.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self)
            .expect("a summary holds only strings, numbers, booleans and arrays");
        text.push('\n');
        text
    }
}

/// One verdict line: a threshold of `expect` or an alert expectation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThresholdLine {
    /// The metric (`rto`, `error_rate`, ...) or `alert:<name>`.
    pub name: String,
    /// The threshold: `<= 30s`, `<= 7.3s`, `<= 500ms` (durations from 1 s up in seconds),
    /// `<= 0.1%`, `== 0`; or `fires within 30s` for an alert.
    pub expected: String,
    /// The measured value in `unit`; `null` when the metric does not apply.
    pub actual: Option<f64>,
    /// Unit of `actual`: `s`, `ms`, `fraction` or `writes`.
    pub unit: String,
    /// Whether the threshold holds.
    pub passed: bool,
    /// Why a line failed without a comparison (a `null` metric, a unit mismatch).
    pub reason: Option<String>,
}

/// The measured figures (the PRODUCT.md fields first, then more).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// `t_f`: when the first fault was injected, seconds from the start; `null`: no fault.
    pub t_fault_s: Option<f64>,
    /// Time to detect, seconds after `t_f`.
    pub ttd_s: Option<f64>,
    /// What detected: a detect signal's name, or `probe:<name>` for the fallback.
    pub ttd_source: Option<String>,
    /// Time to activate, seconds after `t_f`.
    pub tta_s: Option<f64>,
    /// The activate signal's name.
    pub tta_source: Option<String>,
    /// Whether the recovery criteria held for a whole window after `t_f`; `null`: no fault.
    pub recovered: Option<bool>,
    /// RTO, `t_r - t_f` in seconds; `null` when not recovered or no fault.
    pub rto_s: Option<f64>,
    /// `t_r`: start of the first healthy window, seconds from the start.
    pub t_recovered_s: Option<f64>,
    /// When not recovered: D, the time from `t_f` to the end of the record, in seconds.
    pub not_recovered_within_s: Option<f64>,
    /// The RTO split into detection, activation and the rest.
    pub rto_parts: RtoParts,
    /// RPO in seconds: 0 if no write was lost, else `t_f` minus the earliest
    /// acknowledgement among lost writes, floored at 0.
    pub rpo_s: Option<f64>,
    /// Acknowledged writes absent or overwritten by an older value (includes split brain).
    pub lost_writes: Option<u64>,
    /// Lost writes acknowledged after `t_f` (a subset of `lost_writes`).
    pub split_brain_writes: Option<u64>,
    /// Failed share of the client operations completed in the transition.
    pub error_rate: Option<f64>,
    /// Failed client operations in the transition, by class.
    pub failure_classes: FailureClasses,
    /// Client operations completed in the transition (ok + failed).
    pub transition_operations: u64,
    /// `1 - ok / offered` over the whole transition (client series).
    pub throughput_degradation_mean: Option<f64>,
    /// The largest `1 - ok / offered` of any second of the transition.
    pub throughput_degradation_worst: Option<f64>,
    /// Client latency percentiles, baseline and transition.
    pub latency_ms: LatencyComparison,
    /// The baseline period and its figures.
    pub baseline: Baseline,
    /// The transition interval `[t_f, t_r]` (to the end of the record if not recovered).
    pub transition: Interval,
    /// The recovery criteria that were applied.
    pub recovery_criteria: RecoveryCriteria,
}

/// The RTO explained by its parts (each `null` when a bound is missing).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RtoParts {
    /// `t_f` to detection: the TTD.
    pub detection_s: Option<f64>,
    /// Detection to activation: TTA - TTD.
    pub activation_s: Option<f64>,
    /// Activation (or detection, with no activation) to recovery.
    pub rest_s: Option<f64>,
}

/// Failure counts by class, every class always present.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailureClasses {
    /// Connection refused.
    pub refused: u64,
    /// Connection reset.
    pub reset: u64,
    /// No answer within the timeout.
    pub timeout: u64,
    /// HTTP 5xx, database error, rejection.
    pub server_error: u64,
    /// No pooled connection in time.
    pub pool_exhausted: u64,
    /// Anything else.
    pub other: u64,
}

/// Latency percentiles of one period, in milliseconds (`null` when nothing completed).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Percentiles {
    /// Median.
    pub p50: Option<f64>,
    /// 99th percentile.
    pub p99: Option<f64>,
    /// Largest.
    pub max: Option<f64>,
}

/// Baseline vs transition latency.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct LatencyComparison {
    /// The baseline period.
    pub baseline: Percentiles,
    /// The transition.
    pub transition: Percentiles,
}

/// The baseline period's figures.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    /// Start, seconds from the start of the run.
    pub start_s: f64,
    /// End (`t_f`, or the end of the record with no fault), seconds from the start.
    pub end_s: f64,
    /// `S_b`: ok ÷ completed client operations; `null` when none completed.
    pub success_rate: Option<f64>,
    /// `X_b`: ok client operations per second.
    pub ok_throughput_per_s: Option<f64>,
    /// Client operations completed in the baseline.
    pub operations: u64,
    /// The steady-state check: `true` steady, `false` not (the run is not passed), `null`
    /// when the baseline was too short to judge.
    pub steady: Option<bool>,
    /// The largest deviation of one second's ok-throughput per unit of load from the
    /// baseline's median, as a share of the median; `null` when not judged.
    pub throughput_swing: Option<f64>,
    /// Client operations started in the later half of the judged seconds (by intended
    /// start) minus those finished in them, as a share of those started: how far an
    /// open-model load outran the system; `null` when not judged (too short, or a
    /// closed-model load) or nothing started.
    pub backlog_share: Option<f64>,
    /// Why the baseline is not steady, or why it was not judged; `null` when steady.
    pub steady_reason: Option<String>,
}

/// A time interval in seconds from the start of the run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// Start; `null` when there is no such interval (no fault).
    pub start_s: Option<f64>,
    /// End.
    pub end_s: Option<f64>,
    /// `end_s - start_s`.
    pub duration_s: Option<f64>,
}

/// The recovery criteria the RTO was computed with (defaults resolved).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct RecoveryCriteria {
    /// Length of the window of healthy seconds.
    pub window_s: f64,
    /// Least success rate of each second.
    pub success: f64,
    /// Least ok ÷ offered of each second.
    pub throughput: f64,
}

/// Integrity of every write in the ledger against the final state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Integrity {
    /// Whether a final state was read (or nothing was written); `false` makes the
    /// write counts meaningless.
    pub verified: bool,
    /// Writes in the ledger.
    pub writes: u64,
    /// Acknowledged writes found, or superseded by a newer write that was found.
    pub ok: u64,
    /// Acknowledged writes whose key was not found.
    pub lost: u64,
    /// Acknowledged writes whose key holds an older write.
    pub stale: u64,
    /// Writes found under their id but with another checksum.
    pub corrupt: u64,
    /// Unacknowledged (failed or unanswered) writes that did land.
    pub indeterminate: u64,
    /// Unacknowledged writes that did not land (as they may).
    pub unacknowledged_absent: u64,
    /// Writes whose key the verification did not read.
    pub unverified: u64,
    /// Checksum over every key's newest acknowledged value, 16 hex digits.
    pub dataset_checksum_expected: String,
    /// The same checksum over what was found for those keys.
    pub dataset_checksum_found: String,
    /// Whether the two checksums are equal.
    pub dataset_matches: bool,
}

/// One series' figures in the baseline and in the transition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComponentImpact {
    /// `client` or a component name.
    pub series: String,
    /// Baseline figures.
    pub baseline: WindowFigures,
    /// Transition figures.
    pub transition: WindowFigures,
}

/// Figures of one series over one period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct WindowFigures {
    /// Operations completed (ok + failed).
    pub operations: u64,
    /// Failed ÷ completed; `null` when nothing completed.
    pub error_rate: Option<f64>,
    /// Latency percentiles in milliseconds.
    pub latency_ms: Percentiles,
}

/// One event of the fault timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineEvent {
    /// Seconds from the start of the run.
    pub t_s: f64,
    /// A marker kind (`fault_injected`, `detect`, ...) or `recovered`.
    pub kind: String,
    /// Who reported it.
    pub source: String,
    /// The component concerned.
    pub component: Option<String>,
    /// Free text.
    pub detail: Option<String>,
}

/// How the run ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunFacts {
    /// `completed`, `aborted` or `running` (the run crashed).
    pub status: String,
    /// End of the record, seconds from the start.
    pub end_s: f64,
    /// Why the run was aborted.
    pub abort_reason: Option<String>,
}

/// Rounds seconds or a fraction to 1e-6.
pub(crate) fn round6(value: f64) -> f64 {
    (value * 1e6).round() / 1e6
}

/// Microseconds as seconds (exact to the microsecond).
pub(crate) fn secs(us: u64) -> f64 {
    us as f64 / 1e6
}

/// Microseconds as milliseconds (exact to the microsecond).
pub(crate) fn millis(us: u64) -> f64 {
    us as f64 / 1e3
}
