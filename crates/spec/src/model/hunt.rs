//! The `hunt` section: what `faultline hunt FILE` may vary, what it maximises and how
//! long it searches. Only `faultline hunt` reads it; `faultline run` ignores it.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A scenario hunt: search the listed ranges for the scenario that does the most harm.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HuntSection {
    /// The numeric fields that may vary, each by path with its range.
    pub vary: Vec<HuntVariable>,
    /// What the hunt maximises.
    pub objective: HuntObjective,
    /// How long the hunt searches. Default: 200 evaluations.
    #[serde(default)]
    pub budget: HuntBudget,
    /// The search method: `guided` (default, uses the simulator's decision trace),
    /// `random`, `hill_climb` or `annealing`.
    #[serde(default)]
    pub method: HuntMethod,
}

/// One field that may vary.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HuntVariable {
    /// Path of a numeric field of this experiment, written like `faults[0].at`,
    /// `workload.stages[1].to` or `workload.keys.hotspot.share`. The field must be
    /// set in the file (the hunt varies it; it does not invent it).
    pub path: String,
    /// Smallest value, in the field's own form: `20s` for a duration, `10%` for a
    /// share, `100/s` for a rate, a number for a number.
    pub min: HuntValue,
    /// Largest value, in the same form as `min`.
    pub max: HuntValue,
}

/// A range end: a number, or text with a unit (`30s`, `5%`, `200/s`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum HuntValue {
    /// A plain number (for numeric fields without a unit).
    Number(f64),
    /// A value with its unit, parsed like the field it bounds.
    Text(String),
}

/// What the hunt maximises.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum HuntObjective {
    /// Acknowledged writes lost (from the integrity check).
    LostWrites,
    /// RTO in seconds; a run that never recovers counts as the time from the fault to
    /// the end of the record.
    Rto,
    /// Failed share of the client operations in the transition.
    ErrorRate,
    /// Client p99 latency in the transition, in milliseconds.
    P99,
    /// Minimise the margin of the named `expect` threshold (such as `rto`): maximise
    /// how far the measured value goes past its limit, relative to the limit.
    ThresholdMargin(String),
}

/// The hunt's budget: a number of evaluations, a wall-clock time, or both (the first
/// reached stops it). A time limit makes the result depend on the machine.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HuntBudget {
    /// Simulated runs to evaluate. Default: 200.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evaluations: Option<u64>,
    /// Wall-clock limit, such as `5m`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<crate::units::Duration>,
}

/// The search method of a hunt.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum HuntMethod {
    /// Guided by the simulator's decision trace (default).
    #[default]
    Guided,
    /// Uniform random sampling.
    Random,
    /// Stochastic hill climbing with restarts.
    HillClimb,
    /// Simulated annealing.
    Annealing,
    /// CMA-ES (covariance matrix adaptation), a black-box baseline.
    Cmaes,
}
