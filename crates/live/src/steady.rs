//! The steady-state gate: before the first fault, the baseline must be steady (PRODUCT.md's
//! lifecycle, step 2), or the run stops there and says why.

use faultline_analyze::steady::{refusal, SteadyLimits};
use faultline_analyze::AnalysisConfig;
use faultline_record::MarkerKind;
use tokio::sync::OnceCell;

use crate::load::LoadContext;
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
                let refusal = self.judge(ctx);
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

    fn judge(&self, ctx: &LoadContext) -> Option<String> {
        refusal(
            &self.limits,
            self.baseline_us,
            ctx.sink.now_us(),
            |second| {
                let (ok, failed, _) = ctx.sink.window(second, second + 1);
                (ok, failed)
            },
            |t_us| ctx.profile.level_at(t_us),
        )
    }
}
