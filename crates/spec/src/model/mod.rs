//! The experiment file's data model, exactly as written by users.
//!
//! Every struct denies unknown fields, and the doc comment on each field is the user
//! reference: it is copied into the JSON Schema that editors use for completion.

pub mod architecture;
pub mod expect;
pub mod faults;
pub mod hunt;
pub mod live;
pub mod workload;

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use architecture::*;
pub use expect::*;
pub use faults::*;
pub use hunt::*;
pub use live::*;
pub use workload::*;

/// One experiment: a designed architecture, how to reach the real one, the load, the
/// faults, and what must hold.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawExperiment {
    /// Name of the experiment; used in reports and as the default output folder name.
    pub name: String,
    /// Free text shown at the top of reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Seed of the simulator's random generator (and of the live engine's key and value
    /// choices). The same file and seed give the same simulated run. Default: 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Which engine `faultline run` uses: `sim` (default) or `live`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<EngineKind>,
    /// The designed system: components by name. Used by the simulator, and by both
    /// engines to name fault targets and draw the architecture diagram.
    pub architecture: IndexMap<String, Component>,
    /// How to reach and hurt the real deployment; only the live engine reads it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live: Option<LiveSection>,
    /// The load: stages, model, operation mix and keys.
    pub workload: Workload,
    /// The faults to inject, by schedule (`at:`) or by condition (`when:`).
    #[serde(default)]
    pub faults: Vec<Fault>,
    /// Alert rules evaluated during the run; a firing is recorded as a marker.
    #[serde(default)]
    pub alerts: Vec<AlertRule>,
    /// Which recorded signals count as detection and activation of the failover.
    #[serde(default)]
    pub signals: Signals,
    /// Lengths of the lifecycle's phases.
    #[serde(default)]
    pub phases: Phases,
    /// What "recovered" means for the RTO.
    #[serde(default)]
    pub recovery: Recovery,
    /// Pass/fail thresholds: each one is a line of the verdict.
    #[serde(default)]
    pub expect: Expect,
    /// Limits that stop a run early when its impact passes them (both engines).
    #[serde(default)]
    pub guardrails: Guardrails,
    /// What `faultline hunt` may vary to find the worst scenario, what it maximises
    /// and its budget; `faultline run` ignores it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hunt: Option<HuntSection>,
}

/// The engine that runs an experiment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EngineKind {
    /// The deterministic simulator of the designed architecture.
    #[default]
    Sim,
    /// The real deployment described in the `live` section.
    Live,
}
