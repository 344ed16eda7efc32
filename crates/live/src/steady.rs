//! The steady-state gate: before the first fault, the baseline must be steady (PRODUCT.md's
//! lifecycle, step 2), or the run stops there and says why.

use faultline_analyze::steady::{refusal, SteadyLimits};
use faultline_analyze::AnalysisConfig;
use faultline_record::MarkerKind;
use tokio::sync::OnceCell;

use crate::load::LoadContext;
use crate::sink::Sink;
use crate::stop::{StopCause, Stopper};

/// Judges the baseline once, when the first fault is due; every fault asks it.
pub struct SteadyGate {
    limits: SteadyLimits,
    baseline_us: u64,
    judged: OnceCell<Option<String>>,
}

impl SteadyGate {
    /// The gate for an experiment's `phases.baseline` and `phases.steady_state`.
    pub fn new(config: &AnalysisConfig) -> Self {
        Self {
            limits: config.steady,
            baseline_us: config.baseline_us,
            judged: OnceCell::new(),
        }
    }

    /// Whether faults may be injected. The first call judges the baseline that ends
    /// now; when it is not steady, it marks the record and stops the run. Later calls
    /// repeat the first answer.
    pub async fn admits(&self, ctx: &LoadContext, stopper: &Stopper) -> bool {
        let refusal = self
            .judged
            .get_or_init(|| async {
                let refusal = self.judge(&ctx.sink, |t_us| ctx.profile.level_at(t_us));
                if let Some(reason) = &refusal {
                    ctx.sink.mark(
                        MarkerKind::Note,
                        faultline_analyze::STEADY_STATE_SOURCE,
                        None,
                        Some(format!("baseline not steady, no fault injected: {reason}")),
                    );
                    stopper.stop(StopCause::UnsteadyBaseline(reason.clone()));
                }
                refusal
            })
            .await;
        refusal.is_none()
    }

    /// Why the baseline that ends now is not steady, if it is not: the sink's
    /// operations of each second (started and finished) against the load level.
    fn judge(&self, sink: &Sink, level_at_us: impl Fn(u64) -> f64) -> Option<String> {
        refusal(
            &self.limits,
            self.baseline_us,
            sink.now_us(),
            |second| sink.second_counts(second),
            level_at_us,
        )
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use faultline_record::{Engine, OpKind, Recorder, RunMeta};

    use super::*;

    /// A sink whose run started 10 s ago, fed `started` and `ok` operations in each of
    /// its first 30 seconds (those past now are never judged).
    fn sink_with(started: u64, ok: u64) -> Sink {
        let (recorder, _memory) = Recorder::in_memory(RunMeta::new("t", Engine::Live, 0), "");
        let start = Instant::now()
            .checked_sub(Duration::from_secs(10))
            .expect("the clock is at least 10 s past its origin");
        let sink = Sink::new(recorder, "api", start);
        for second in 0..30 {
            let t_us = second * 1_000_000;
            for i in 0..started {
                sink.op_started(OpKind::Read, t_us + i);
            }
            for i in 0..ok {
                sink.op_finished(OpKind::Read, t_us + i, t_us + 500_000 + i, Ok(()));
            }
        }
        sink
    }

    /// The gate of an open-model load (the backlog is judged).
    fn gate() -> SteadyGate {
        SteadyGate {
            limits: SteadyLimits::open_model(),
            baseline_us: 6_000_000,
            judged: OnceCell::new(),
        }
    }

    /// The gate counts starts as well as finishes: 1 000 arrivals a second of which
    /// 100 finish, without an error, is a baseline that fell behind its load.
    #[test]
    fn the_gate_refuses_a_baseline_that_fell_behind_its_load() {
        let reason = gate()
            .judge(&sink_with(1_000, 100), |_| 1_000.0)
            .unwrap_or_default();
        assert!(
            reason.starts_with("the system fell behind its load:")
                && reason.ends_with("(90% still waiting, max_backlog 10%)"),
            "{reason}"
        );
    }

    #[test]
    fn the_gate_admits_a_baseline_that_keeps_up() {
        assert_eq!(gate().judge(&sink_with(1_000, 1_000), |_| 1_000.0), None);
    }
}
