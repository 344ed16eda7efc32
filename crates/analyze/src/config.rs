//! The experiment's settings the analyzer reads, with their defaults resolved.

use faultline_spec::profile::Profile;
use faultline_spec::{AlertRule, Expect, Experiment};

use crate::steady::SteadyLimits;

/// Default baseline period: 60 s.
pub const BASELINE_US_DEFAULT: u64 = 60_000_000;
/// Default recovery window: 10 s.
pub const RECOVERY_WINDOW_US_DEFAULT: u64 = 10_000_000;
/// Highest default least success rate of a healthy second (`min(0.99, S_b)`).
pub const RECOVERY_SUCCESS_CAP: f64 = 0.99;
/// Default least ok ÷ offered of a healthy second.
pub const RECOVERY_THROUGHPUT_DEFAULT: f64 = 0.9;

/// What the analyzer needs from an experiment.
#[derive(Debug, Clone)]
pub struct AnalysisConfig {
    /// Length of the baseline before `t_f`.
    pub baseline_us: u64,
    /// Length of the recovery window.
    pub recovery_window_us: u64,
    /// `recovery.success` if given; `None`: `min(0.99, S_b)`.
    pub recovery_success: Option<f64>,
    /// `recovery.throughput`.
    pub recovery_throughput: f64,
    /// Detect marker sources that count; empty: any.
    pub detect_sources: Vec<String>,
    /// Activate marker sources that count; empty: any.
    pub activate_sources: Vec<String>,
    /// The thresholds.
    pub expect: Expect,
    /// The alert rules (those with `must_fire_within` become verdict lines).
    pub alerts: Vec<AlertRule>,
    /// The steady-state check of the baseline.
    pub steady: SteadyLimits,
    /// The experiment declares faults: only then does an unsteady baseline fail the
    /// run (it is the baseline *before a fault* that must be steady).
    pub faults_declared: bool,
    /// The workload's level over time, to judge throughput per unit of load; `None`:
    /// every second counts as the same load.
    pub profile: Option<Profile>,
}

impl AnalysisConfig {
    /// Reads the settings of a validated experiment.
    pub fn from_experiment(experiment: &Experiment) -> Self {
        let raw = experiment.raw();
        Self {
            baseline_us: raw
                .phases
                .baseline
                .map_or(BASELINE_US_DEFAULT, |d| d.micros),
            recovery_window_us: raw
                .recovery
                .window
                .map_or(RECOVERY_WINDOW_US_DEFAULT, |d| d.micros),
            recovery_success: raw.recovery.success.map(|f| f.value),
            recovery_throughput: raw
                .recovery
                .throughput
                .map_or(RECOVERY_THROUGHPUT_DEFAULT, |f| f.value),
            detect_sources: raw.signals.detect.clone(),
            activate_sources: raw.signals.activate.clone(),
            expect: raw.expect.clone(),
            alerts: raw.alerts.clone(),
            steady: SteadyLimits::of(raw.phases.steady_state.as_ref(), raw.workload.model),
            faults_declared: !raw.faults.is_empty(),
            profile: Some(Profile::new(&raw.workload.stages)),
        }
    }
}
