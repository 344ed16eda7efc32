//! The `live` section: how the live engine reaches and hurts the real deployment.
//!
//! Targets, actions, probes and proxies are bound to the architecture's component names,
//! so that one `faults` schedule drives both engines.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::units::Duration;

/// How to reach and hurt the real deployment.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LiveSection {
    /// How the load generator reaches each component it drives, by component name.
    #[serde(default)]
    pub targets: IndexMap<String, LiveTarget>,
    /// Named actions; a fault's target (`kill: db.primary`) or `action:` name maps to one.
    #[serde(default)]
    pub actions: IndexMap<String, Action>,
    /// Probes sampled during the run; a probe can be a detect or activate signal.
    #[serde(default)]
    pub probes: IndexMap<String, Probe>,
}

/// How to reach a component.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum LiveTarget {
    /// An HTTP service.
    Http {
        /// Base URL, e.g. `http://127.0.0.1:8080`.
        base: String,
    },
    /// A PostgreSQL database.
    Postgres {
        /// A libpq-style connection string; several hosts are allowed.
        url: String,
    },
    /// A Redis server or a Sentinel-managed master.
    Redis {
        /// `redis://host:port` of a server.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        url: Option<String>,
    },
}

/// Something the live engine can do to the deployment.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Action {
    /// A command as an argv list (never a shell string).
    pub command: Vec<String>,
    /// Kill the command after this long. Default: 30s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Duration>,
}

/// A probe sampled during the run.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Probe {
    /// Time between two samples. Default: 100ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every: Option<Duration>,
    /// A TCP address to connect to, `host:port`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tcp: Option<String>,
    /// A URL to GET; a 2xx answer passes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<String>,
}
