//! Progress reports that engines send while they run, for the live progress view.

/// A snapshot of a running experiment, sent by an engine about once per simulated or
/// real second.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Progress {
    /// The lifecycle phase now (`baseline`, `inject`, `observe`, `verify`, ...).
    pub phase: String,
    /// Run time so far, in microseconds of the run's clock.
    pub elapsed_us: u64,
    /// Planned length of the run, in microseconds.
    pub total_us: u64,
    /// Operations completed per second over the last second.
    pub rate_per_s: f64,
    /// Failed share of the operations completed over the last second.
    pub error_rate: f64,
    /// Names of the faults active now.
    pub active_faults: Vec<String>,
}
