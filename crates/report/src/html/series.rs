//! The client series at the record's granularity, regrouped into chart steps.
//!
//! A step is one 100 ms bucket when the charted window has at most
//! [`STEPS_MAX`] buckets, else the fewest whole buckets that fit; rates are per second
//! whatever the step, so charts of different steps read the same.

use faultline_analyze::integrity::{Verifier, WriteClass};
use faultline_record::{
    FailureClass, FailureCounts, LatencyHistogram, RunRecord, WriteOutcome, BUCKET_US,
    CLIENT_SERIES,
};

/// Most steps in one chart (bounds the SVG's size: a few hundred kB at most).
pub const STEPS_MAX: u64 = 1_500;

/// One chart step of the client series.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Step {
    /// Start of the step, seconds from the start of the run.
    pub t_s: f64,
    /// Operations offered per second (intended starts).
    pub offered_per_s: f64,
    /// Successful operations per second.
    pub ok_per_s: f64,
    /// Operations completed in the step.
    pub completed: u64,
    /// Failures by class ([`FailureClass::ALL`] order), as a share of completed.
    pub failed_share: [f64; 6],
    /// Latency percentiles of the operations completed in the step.
    pub p50_ms: Option<f64>,
    /// 99th percentile.
    pub p99_ms: Option<f64>,
    /// Largest.
    pub max_ms: Option<f64>,
    /// Acknowledged writes (by acknowledgement time) in the step.
    pub writes_acked: u64,
    /// Acknowledged writes in the step found missing afterwards.
    pub writes_lost: u64,
    /// Acknowledged writes in the step found overwritten by an older value.
    pub writes_stale: u64,
}

impl Step {
    /// Failed share of completed operations.
    pub fn error_rate(&self) -> f64 {
        self.failed_share.iter().sum()
    }
}

/// The steps covering `[from_s, to_s)`, and the step length in seconds.
pub fn steps(record: &RunRecord, from_s: f64, to_s: f64) -> (Vec<Step>, f64) {
    let first = (from_s.max(0.0) * 1e6) as u64 / BUCKET_US;
    let last = ((to_s.max(from_s) * 1e6) as u64)
        .div_ceil(BUCKET_US)
        .max(first + 1);
    let buckets = last - first;
    let per_step = buckets.div_ceil(STEPS_MAX).max(1);
    let count = buckets.div_ceil(per_step) as usize;
    let step_s = per_step as f64 * BUCKET_US as f64 / 1e6;

    struct Acc {
        started: u64,
        ok: u64,
        failed: FailureCounts,
        latency: LatencyHistogram,
    }
    let mut accs: Vec<Acc> = (0..count)
        .map(|_| Acc {
            started: 0,
            ok: 0,
            failed: FailureCounts::default(),
            latency: LatencyHistogram::new(),
        })
        .collect();
    let slot = |index: u64| -> Option<usize> {
        (first..last)
            .contains(&index)
            .then(|| ((index - first) / per_step) as usize)
    };
    for b in record.buckets.iter().filter(|b| b.series == CLIENT_SERIES) {
        if let Some(i) = slot(b.index) {
            let acc = &mut accs[i];
            acc.started += b.started;
            acc.ok += b.ok;
            acc.failed.merge(&b.failed);
            acc.latency.add_sparse(&b.latency_us);
        }
    }
    let mut out: Vec<Step> = accs
        .iter()
        .enumerate()
        .map(|(i, acc)| {
            let completed = acc.ok + acc.failed.total();
            let mut failed_share = [0.0; 6];
            if completed > 0 {
                for (share, class) in failed_share.iter_mut().zip(FailureClass::ALL) {
                    *share = acc.failed.get(class) as f64 / completed as f64;
                }
            }
            Step {
                t_s: (first + i as u64 * per_step) as f64 * BUCKET_US as f64 / 1e6,
                offered_per_s: acc.started as f64 / step_s,
                ok_per_s: acc.ok as f64 / step_s,
                completed,
                failed_share,
                p50_ms: acc.latency.quantile_us(0.5).map(|us| us as f64 / 1e3),
                p99_ms: acc.latency.quantile_us(0.99).map(|us| us as f64 / 1e3),
                max_ms: acc.latency.max_us().map(|us| us as f64 / 1e3),
                ..Step::default()
            }
        })
        .collect();

    let verifier = Verifier::new(&record.ledger, &record.final_state);
    let verified = !record.final_state.is_empty();
    for write in record
        .ledger
        .iter()
        .filter(|w| w.outcome == WriteOutcome::Acked)
    {
        let Some(i) = write.t_ack_us.and_then(|t| slot(t / BUCKET_US)) else {
            continue;
        };
        out[i].writes_acked += 1;
        if verified {
            match verifier.classify(write) {
                WriteClass::Lost => out[i].writes_lost += 1,
                WriteClass::Stale => out[i].writes_stale += 1,
                _ => {}
            }
        }
    }
    (out, step_s)
}

/// Acknowledgement times (seconds) of every lost or stale write, for the whole run.
pub fn lost_write_times_s(record: &RunRecord) -> Vec<f64> {
    if record.final_state.is_empty() {
        return Vec::new();
    }
    let verifier = Verifier::new(&record.ledger, &record.final_state);
    record
        .ledger
        .iter()
        .filter(|w| matches!(verifier.classify(w), WriteClass::Lost | WriteClass::Stale))
        .filter_map(|w| w.t_ack_us.map(|t| t as f64 / 1e6))
        .collect()
}
