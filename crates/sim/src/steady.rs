//! The steady-state gate before the first fault (PRODUCT.md's lifecycle, step 2), as in
//! the live engine: when the first fault is due, the baseline's whole seconds are
//! judged by `faultline_analyze::steady`; if they are not steady, the fault is not
//! injected, a `note` marker from `steady_state` says why, the load stops and the run
//! ends `aborted`.

use std::collections::VecDeque;

use faultline_analyze::steady::{refusal, SteadyLimits};
use faultline_analyze::AnalysisConfig;
use faultline_record::MarkerKind;
use faultline_spec::Experiment;

use crate::sim::Simulation;

/// Client operations that finished in one second of the baseline.
#[derive(Debug, Clone, Copy)]
struct Count {
    second: u64,
    ok: u64,
    failed: u64,
}

/// What the gate watches until the first fault.
#[derive(Debug, Clone)]
pub struct SteadyWatch {
    limits: SteadyLimits,
    baseline_us: u64,
    seconds: VecDeque<Count>,
    /// Where the second at the back of `seconds` ends: before it, a finished operation
    /// counts into it without dividing the time.
    back_end_us: u64,
    /// Why the first fault was refused, once it was.
    pub refusal: Option<String>,
}

impl SteadyWatch {
    /// The watch of an experiment's `phases.baseline` and `phases.steady_state`.
    pub fn new(experiment: &Experiment) -> Self {
        let config = AnalysisConfig::from_experiment(experiment);
        Self {
            limits: config.steady,
            baseline_us: config.baseline_us,
            seconds: VecDeque::new(),
            back_end_us: 0,
            refusal: None,
        }
    }

    /// Counts a client operation that finished at `now_us` (before the first fault).
    #[inline(always)]
    pub fn record(&mut self, now_us: u64, ok: bool) {
        if !self.limits.check {
            return;
        }
        // Times only go forward: a time past the back second's end is a later second.
        if now_us >= self.back_end_us {
            self.open_second(now_us);
        }
        if let Some(count) = self.seconds.back_mut() {
            if ok {
                count.ok += 1;
            } else {
                count.failed += 1;
            }
        }
    }

    /// Starts counting the second `now_us` falls in (once a second, out of line).
    #[cold]
    #[inline(never)]
    fn open_second(&mut self, now_us: u64) {
        let second = now_us / 1_000_000;
        self.back_end_us = (second + 1) * 1_000_000;
        self.seconds.push_back(Count {
            second,
            ok: 0,
            failed: 0,
        });
        // Keep one second more than the baseline: the current one is still filling.
        let kept = (self.baseline_us / 1_000_000 + 2) as usize;
        while self.seconds.len() > kept {
            self.seconds.pop_front();
        }
    }

    /// Why the baseline ending at `now_us` is not steady, if it is not.
    fn judge(&self, now_us: u64, level_at_us: impl Fn(u64) -> f64) -> Option<String> {
        let counts = |second| {
            self.seconds
                .iter()
                .find(|c| c.second == second)
                .map_or((0, 0), |c| (c.ok, c.failed))
        };
        refusal(&self.limits, self.baseline_us, now_us, counts, level_at_us)
    }
}

impl Simulation {
    /// Called when the first fault is due: whether it may be injected. When the
    /// baseline is not steady, marks why and stops the load; the run ends aborted.
    pub(crate) fn admits_first_fault(&mut self) -> bool {
        let profile = &self.profile;
        let Some(reason) = self.steady.judge(self.now, |t_us| profile.level_at(t_us)) else {
            return true;
        };
        self.mark(
            MarkerKind::Note,
            faultline_analyze::STEADY_STATE_SOURCE,
            None,
            Some(format!("baseline not steady, no fault injected: {reason}")),
        );
        self.steady.refusal = Some(format!(
            "the baseline was not steady, so no fault was injected: {reason}"
        ));
        self.end_us = self.now;
        self.end();
        false
    }
}
