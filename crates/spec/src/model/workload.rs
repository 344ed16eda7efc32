//! The load profile: stages, model, operation mix, keys and sessions.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::model::architecture::Distribution;
use crate::units::{Duration, Fraction, Rate};

/// Closed (virtual users) or open (arrival rate) load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LoadModel {
    /// Virtual users, each waiting for its answer and a think time before the next one.
    #[default]
    Closed,
    /// Operations arrive at a rate whatever the answers (Poisson arrivals).
    Open,
}

/// The load the workload drives.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Workload {
    /// `closed` (virtual users, default) or `open` (arrival rate).
    #[serde(default)]
    pub model: LoadModel,
    /// The component clients send their operations to. Default: the only component
    /// nothing else calls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The load over time, stage after stage; the run lasts as long as the stages.
    pub stages: Vec<Stage>,
    /// Pause of a virtual user between an answer and its next operation (closed model):
    /// a duration is the mean of exponential pauses; a distribution gives another shape.
    /// Without it a user starts its next operation as soon as it has its answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub think_time: Option<ThinkTime>,
    /// Client-side timeout of one operation. Default: 10s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Duration>,
    /// Shares of reads and writes; they must add up to 100%.
    pub mix: Mix,
    /// Which keys operations touch.
    #[serde(default)]
    pub keys: Keys,
    /// Stateful sessions: a user keeps its connection (and so its DNS answer) and its
    /// key set for a number of operations, in both engines (`docs/sim.md`,
    /// `docs/live.md`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sessions: Option<Sessions>,
}

/// A virtual user's pause between an answer and its next operation.
///
/// A bare duration is the mean of exponential pauses: users then fall out of step
/// as real ones do, where equal pauses would keep a step of users arriving together.
/// Both engines draw pauses from the same distribution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum ThinkTime {
    /// `think_time: 1s`: exponential pauses with this mean (`0s`: none).
    Mean(Duration),
    /// `think_time: { uniform: { min: 1s, max: 3s } }`: pauses drawn from this
    /// distribution (`{ fixed: 1s }` for equal ones).
    Distribution(Distribution),
}

impl ThinkTime {
    /// The distribution pauses are drawn from.
    pub fn distribution(&self) -> Distribution {
        match self {
            ThinkTime::Mean(mean) => Distribution::Exponential { mean: *mean },
            ThinkTime::Distribution(d) => d.clone(),
        }
    }
}

/// One stage of the load profile. Exactly one of `hold`, `ramp` or `spike` is given.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    /// Keep the load level for this long (set it first with `users` or `rate`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold: Option<Duration>,
    /// Change the load linearly to `to` over this long.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ramp: Option<Duration>,
    /// Jump to `to` for this long, then back to the previous level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spike: Option<Duration>,
    /// Virtual users during a `hold` (closed model).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub users: Option<u32>,
    /// Arrival rate during a `hold` (open model).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<Rate>,
    /// Target level of a `ramp` or `spike`: virtual users (closed) or a rate (open).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<LoadLevel>,
}

/// A load level: a number of virtual users, or an arrival rate such as `2000/s`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum LoadLevel {
    /// Virtual users.
    Users(u32),
    /// Arrivals per second.
    Rate(Rate),
}

/// Shares of reads and writes.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Mix {
    /// Share of reads.
    pub read: Fraction,
    /// Share of writes.
    pub write: Fraction,
}

/// The key space and how keys are drawn.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Keys {
    /// Number of distinct keys. Default: 100000.
    #[serde(default = "default_key_count")]
    pub count: u64,
    /// Zipf exponent; absent means uniform (unless `hotspot` is given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zipf: Option<f64>,
    /// A few hot keys take a share of all operations ("90% of users on one promo
    /// code"); the rest are uniform over the other keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hotspot: Option<Hotspot>,
}

fn default_key_count() -> u64 {
    100_000
}

impl Default for Keys {
    fn default() -> Self {
        Self {
            count: default_key_count(),
            zipf: None,
            hotspot: None,
        }
    }
}

/// Hot keys.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Hotspot {
    /// Share of operations that go to the hot keys.
    pub share: Fraction,
    /// Number of hot keys.
    pub keys: u64,
}

/// Stateful sessions.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Sessions {
    /// Operations per session; then the user starts a new session (new connection,
    /// DNS re-resolution).
    pub operations: u32,
    /// Distinct keys one session works on.
    #[serde(default = "default_session_keys")]
    pub keys: u32,
}

fn default_session_keys() -> u32 {
    1
}
