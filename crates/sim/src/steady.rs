//! The steady-state gate before the first fault (PRODUCT.md's lifecycle, step 2), as in
//! the live engine: when the first fault is due, the baseline's whole seconds are
//! judged by `faultline_analyze::steady`; if they are not steady, the fault is not
//! injected, a `note` marker from `steady_state` says why, the load stops and the run
//! ends `aborted`.

use std::collections::VecDeque;

use faultline_analyze::steady::{refusal, OpCounts, SteadyLimits};
use faultline_analyze::AnalysisConfig;
use faultline_record::MarkerKind;
use faultline_spec::Experiment;

use crate::sim::Simulation;

/// Client operations that started and finished in one second of the baseline.
#[derive(Debug, Clone, Copy)]
struct Count {
    second: u64,
    ops: OpCounts,
}

/// What the gate watches until the first fault.
#[derive(Debug, Clone)]
pub struct SteadyWatch {
    limits: SteadyLimits,
    /// Whether operations are still counted: the check is on, a fault is declared and
    /// the gate has not judged yet.
    counting: bool,
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
            // Without a fault the gate never judges: nothing to count.
            counting: config.steady.check && config.faults_declared,
            baseline_us: config.baseline_us,
            seconds: VecDeque::new(),
            back_end_us: 0,
            refusal: None,
        }
    }

    /// Counts a client operation that started at `now_us` (its intended start: the
    /// simulator starts an operation when it is due).
    #[inline(always)]
    pub fn started(&mut self, now_us: u64) {
        if let Some(ops) = self.ops_at(now_us) {
            ops.started += 1;
        }
    }

    /// Counts a client operation that finished at `now_us` (before the first fault).
    #[inline(always)]
    pub fn record(&mut self, now_us: u64, ok: bool) {
        if let Some(ops) = self.ops_at(now_us) {
            if ok {
                ops.ok += 1;
            } else {
                ops.failed += 1;
            }
        }
    }

    /// The counts of the second `now_us` falls in, while counting.
    #[inline(always)]
    fn ops_at(&mut self, now_us: u64) -> Option<&mut OpCounts> {
        if !self.counting {
            return None;
        }
        // Times only go forward: a time past the back second's end is a later second.
        if now_us >= self.back_end_us {
            self.open_second(now_us);
        }
        self.seconds.back_mut().map(|count| &mut count.ops)
    }

    /// Starts counting the second `now_us` falls in (once a second, out of line).
    #[cold]
    #[inline(never)]
    fn open_second(&mut self, now_us: u64) {
        let second = now_us / 1_000_000;
        self.back_end_us = (second + 1) * 1_000_000;
        self.seconds.push_back(Count {
            second,
            ops: OpCounts::default(),
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
                .map_or(OpCounts::default(), |c| c.ops)
        };
        refusal(&self.limits, self.baseline_us, now_us, counts, level_at_us)
    }
}

impl Simulation {
    /// Called when the first fault is due: whether it may be injected. When the
    /// baseline is not steady, marks why and stops the load; the run ends aborted.
    pub(crate) fn admits_first_fault(&mut self) -> bool {
        let profile = &self.profile;
        let judged = self.steady.judge(self.now, |t_us| profile.level_at(t_us));
        // The gate judges once: nothing after the first fault is counted.
        self.steady.counting = false;
        let Some(reason) = judged else {
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
