//! Faults, written against the architecture's component names.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::units::{Duration, Fraction, Rate};

/// One fault: when it starts, how long it lasts, and exactly one action
/// (`kill`, `kill_zone`, `pause`, `latency`, `loss`, `partition`, `flush_cache`,
/// `dns_change` or `action`).
///
/// Targets name a component (`api`), one node numbered from 0 (`api.2`) or a database
/// role (`db.primary`, `db.standby` or `db.replica`); `db.controller` is a database's
/// failover controller. The ends of an edge (`between`) may also be `client`, the load
/// generator.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    /// A name for reports; default: the action and its target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Inject at this time from the start of the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<Duration>,
    /// Inject when this condition first holds (instead of `at`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<Condition>,
    /// Heal after this long; absent: the fault lasts until the end of the run (and is
    /// still rolled back then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<Duration>,
    /// Kill a node or a whole component (it stops answering; in-flight work fails).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kill: Option<String>,
    /// Kill every node in a zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kill_zone: Option<String>,
    /// Pause a node: it keeps connections but answers nothing until healed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pause: Option<String>,
    /// Add latency on the edge between two components.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency: Option<LatencyFault>,
    /// Lose a share of messages on the edge between two components.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loss: Option<LossFault>,
    /// Cut the edge between two components (both directions unless `one_way`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<PartitionFault>,
    /// Empty a cache: it restarts cold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flush_cache: Option<String>,
    /// Point a DNS name at another component.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_change: Option<DnsChange>,
    /// Run a named action of the `live` section (live engine only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
}

/// A condition that triggers a fault.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// The workload reaches this many virtual users.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub users: Option<u32>,
    /// The workload reaches this arrival rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<Rate>,
    /// A recorded signal fires (a marker's source, e.g. `db.failover.activate`,
    /// `alert:redundancy-breached`, `fault:0.injected`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal: Option<String>,
    /// Delay after the condition holds. Default: 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay: Option<Duration>,
}

/// Added latency between two components.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LatencyFault {
    /// The two ends of the edge.
    pub between: [String; 2],
    /// Latency added to each message.
    pub add: Duration,
    /// Uniform jitter around `add`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jitter: Option<Duration>,
}

/// Message loss between two components.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LossFault {
    /// The two ends of the edge.
    pub between: [String; 2],
    /// Share of messages lost.
    pub rate: Fraction,
}

/// A network partition between two components.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PartitionFault {
    /// The two sides.
    pub between: [String; 2],
    /// Cut only the direction from the first to the second. Default: both directions.
    #[serde(default)]
    pub one_way: bool,
}

/// A change of a DNS record.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DnsChange {
    /// The DNS component.
    pub name: String,
    /// The component it resolves to afterwards.
    pub to: String,
}
