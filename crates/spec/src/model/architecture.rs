//! Component kinds of the designed architecture.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::units::{Duration, Fraction};

/// One component of the designed system, selected by `kind`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Component {
    /// A DNS name with a TTL that clients resolve to reach another component.
    Dns(Dns),
    /// A load balancer spreading requests over a service's instances.
    LoadBalancer(LoadBalancer),
    /// A stateless service with instances, capacity, timeouts, retries and pools.
    Service(Service),
    /// A database: single, active-passive, active-active or an N+1 pool.
    Database(Database),
    /// A cache in front of another component.
    Cache(Cache),
}

impl Component {
    /// The kind as written in the file (`load_balancer`, `service`, ...).
    pub fn kind_name(&self) -> &'static str {
        match self {
            Component::Dns(_) => "dns",
            Component::LoadBalancer(_) => "load_balancer",
            Component::Service(_) => "service",
            Component::Database(_) => "database",
            Component::Cache(_) => "cache",
        }
    }
}

/// A random distribution of durations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Distribution {
    /// Always the same duration.
    Fixed(Duration),
    /// Exponentially distributed with this mean.
    Exponential {
        /// Mean of the distribution.
        mean: Duration,
    },
    /// Lognormal, given by its median and 99th percentile.
    Lognormal {
        /// Median (50th percentile).
        median: Duration,
        /// 99th percentile; must be at least the median.
        p99: Duration,
    },
    /// Uniform between two bounds.
    Uniform {
        /// Lower bound.
        min: Duration,
        /// Upper bound; must be at least `min`.
        max: Duration,
    },
}

/// z-score of the 99th percentile of the standard normal distribution.
const Z_99: f64 = 2.326_347_874_040_841;

impl Distribution {
    /// The log-scale location and spread `(mu, sigma)` of the lognormal with this
    /// median and 99th percentile (each taken as at least 1 µs, the p99 as at least
    /// the median): a draw is `exp(mu + sigma * z)` for a standard normal `z`.
    pub fn lognormal_log_params(median: Duration, p99: Duration) -> (f64, f64) {
        let median_us = median.micros.max(1) as f64;
        let p99_us = p99.micros.max(median.micros).max(1) as f64;
        (median_us.ln(), (p99_us / median_us).ln() / Z_99)
    }

    /// The mean, in microseconds.
    pub fn mean_us(&self) -> f64 {
        match self {
            Distribution::Fixed(d) => d.micros as f64,
            Distribution::Exponential { mean } => mean.micros as f64,
            Distribution::Lognormal { median, p99 } => {
                let (mu, sigma) = Self::lognormal_log_params(*median, *p99);
                (mu + sigma * sigma / 2.0).exp()
            }
            Distribution::Uniform { min, max } => {
                (min.micros + max.micros.max(min.micros)) as f64 / 2.0
            }
        }
    }

    /// One draw, in microseconds, made of uniform draws in `[0, 1)` from `unit`. For
    /// the live engine, which needs neither speed nor a stable stream; the simulator
    /// has its own samplers.
    pub fn draw_us(&self, unit: &mut impl FnMut() -> f64) -> f64 {
        match self {
            Distribution::Fixed(d) => d.micros as f64,
            Distribution::Exponential { mean } => -(1.0 - unit()).ln() * mean.micros as f64,
            Distribution::Lognormal { median, p99 } => {
                let (mu, sigma) = Self::lognormal_log_params(*median, *p99);
                // Box-Muller: 1 - u is in (0, 1], so its logarithm is finite.
                let z =
                    (-2.0 * (1.0 - unit()).ln()).sqrt() * (std::f64::consts::TAU * unit()).cos();
                (mu + sigma * z).exp()
            }
            Distribution::Uniform { min, max } => {
                let (a, b) = (min.micros as f64, max.micros.max(min.micros) as f64);
                a + (b - a) * unit()
            }
        }
    }
}

/// A DNS name that resolves to another component.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Dns {
    /// The component this name resolves to (a load balancer, a database, ...).
    pub resolves_to: String,
    /// Time to live of an answer; clients re-resolve after it expires.
    pub ttl: Duration,
    /// Share of clients that keep a cached answer past its TTL (TTL inflation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clients_ignoring_ttl: Option<Fraction>,
    /// How long those clients keep the stale answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignore_for: Option<Duration>,
    /// How long a client's resolver waits for an answer while the DNS server answers
    /// nothing (killed or paused) before the lookup fails (simulator): the attempt then
    /// fails with `other` and may be retried. Absent: an unanswered lookup leaves the
    /// attempt to its call's timeout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lookup_timeout: Option<Duration>,
}

/// How a load balancer picks an instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BalancingAlgorithm {
    /// Each healthy instance in turn.
    #[default]
    RoundRobin,
    /// The healthy instance with the fewest requests in flight.
    LeastOutstanding,
    /// The less loaded of two instances drawn at random.
    PowerOfTwoChoices,
    /// A healthy instance drawn at random.
    Random,
}

/// Active health checking of a load balancer's targets.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HealthCheck {
    /// Time between two checks of one instance.
    pub interval: Duration,
    /// A check not answered within this time fails.
    pub timeout: Duration,
    /// Consecutive failed checks that mark an instance down.
    pub unhealthy_after: u32,
    /// Consecutive passed checks that mark an instance up again.
    pub healthy_after: u32,
}

/// A load balancer in front of a service.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LoadBalancer {
    /// The service whose instances receive the traffic.
    pub targets: String,
    /// How an instance is picked. Default: `round_robin`.
    #[serde(default)]
    pub algorithm: BalancingAlgorithm,
    /// Health checks; without them a dead instance keeps receiving traffic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check: Option<HealthCheck>,
    /// Zones the load balancer runs in (it survives a zone loss if another remains).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub zones: Vec<String>,
}

/// Jitter applied to a retry's backoff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Jitter {
    /// The backoff as computed.
    #[default]
    None,
    /// A uniform draw between 0 and the backoff.
    Full,
    /// Half the backoff plus a uniform draw over the other half.
    Equal,
}

/// Retries of a failed call, with exponential backoff.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Retries {
    /// Retries after the first attempt (0 = no retry).
    pub max: u32,
    /// Backoff before the first retry; doubles on each further retry.
    pub backoff: Duration,
    /// Jitter on the backoff. Default: `none`.
    #[serde(default)]
    pub jitter: Jitter,
    /// Retries allowed as a share of first attempts over the last 10 s (a retry budget);
    /// absent means unlimited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<Fraction>,
}

/// A circuit breaker on a service's calls to one dependency.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CircuitBreaker {
    /// Share of failed calls over `window` that opens the breaker.
    pub failure_ratio: Fraction,
    /// The sliding window the ratio is computed over.
    pub window: Duration,
    /// Fewest calls in the window before the breaker may open.
    #[serde(default = "default_min_calls")]
    pub min_calls: u32,
    /// How long the breaker stays open before letting a trial call through.
    pub open_for: Duration,
}

fn default_min_calls() -> u32 {
    20
}

/// A connection pool from a service instance to a dependency.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Pool {
    /// Connections per instance.
    pub size: u32,
    /// A call waiting longer than this for a connection fails as `pool_exhausted`.
    pub acquire_timeout: Duration,
    /// Time to open a new connection (paid again by every connection after a failover:
    /// the connection storm). Default: 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connect_time: Option<Duration>,
}

/// Which workload operations make a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CallOn {
    /// Reads and writes.
    #[default]
    All,
    /// Reads only.
    Read,
    /// Writes only.
    Write,
}

/// A call from a service to another component, made while serving a request.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Call {
    /// The component called.
    pub to: String,
    /// Which operations make the call (the operation's kind is passed on). Default: `all`.
    #[serde(default)]
    pub on: CallOn,
    /// Share of requests that make the call. Default: 100%.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<Fraction>,
    /// Timeout of one attempt of the call; default: the service's `timeout`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Duration>,
}

/// Warm-up of a new or restarted instance.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WarmUp {
    /// Time from start until full capacity.
    pub duration: Duration,
    /// Share of full capacity when the instance starts serving. Default: 20%.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_capacity: Option<Fraction>,
}

/// Target-tracking autoscaling of a service.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Autoscaling {
    /// Utilisation (busy share of concurrency) the scaler aims at.
    pub target_utilization: Fraction,
    /// Fewest instances.
    pub min: u32,
    /// Most instances.
    pub max: u32,
    /// Time between two evaluations of the utilisation.
    #[serde(default = "default_evaluate_every")]
    pub evaluate_every: Duration,
    /// Least time between two scaling actions.
    pub cooldown: Duration,
    /// Time from the decision until a new instance starts.
    pub provisioning_delay: Duration,
}

fn default_evaluate_every() -> Duration {
    Duration::from_secs(10)
}

/// Spare instances kept outside the serving set (N+1 redundancy).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Spares {
    /// Number of spares.
    pub count: u32,
    /// Time from the loss of a serving node until a spare starts (0 for a hot spare).
    pub start_in: Duration,
}

/// A service: instances over zones with per-instance capacity.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// Number of instances at the start.
    pub instances: u32,
    /// Zones the instances are spread over, in turn.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub zones: Vec<String>,
    /// Requests one instance serves at once.
    pub concurrency: u32,
    /// Requests one instance queues beyond its concurrency; more are rejected as
    /// `server_error`. Absent: unbounded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_limit: Option<u32>,
    /// Time an instance spends on a request, excluding its calls.
    pub service_time: Distribution,
    /// Timeout a caller applies to one attempt of a call to this service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Duration>,
    /// Retries of failed calls made by this service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<Retries>,
    /// A circuit breaker per dependency, on this service's calls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub circuit_breaker: Option<CircuitBreaker>,
    /// Connection pools to dependencies, by dependency name.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub pools: IndexMap<String, Pool>,
    /// Calls made while serving a request, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub calls: Vec<Call>,
    /// Time from start of a new instance until it serves (cold start).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cold_start: Option<Duration>,
    /// Reduced capacity of a fresh instance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warm_up: Option<WarmUp>,
    /// Target-tracking autoscaling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscaling: Option<Autoscaling>,
    /// Spare instances that replace lost ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spares: Option<Spares>,
}

/// How a database's nodes are arranged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DatabaseTopology {
    /// One node.
    Single,
    /// A primary and a standby that is promoted on failure.
    ActivePassive,
    /// Two writable sites replicating to each other; conflicts resolved last-writer-wins.
    ActiveActive,
    /// N serving nodes plus spares (see `spares`), keys sharded over the serving nodes.
    NPlusOne,
}

/// Synchronous or asynchronous replication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReplicationMode {
    /// A write is acknowledged once the replica has it.
    Sync,
    /// A write is acknowledged at once; the replica gets it after the lag.
    Async,
}

/// Replication between a database's nodes.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Replication {
    /// `sync` or `async`.
    pub mode: ReplicationMode,
    /// Delay until a write reaches the replica.
    pub lag: Distribution,
}

/// How clients find the database's primary after a failover.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PrimaryDiscovery {
    /// A DNS component whose record the controller changes (give it in `dns`).
    Dns,
    /// A proxy or virtual IP that switches at once.
    #[default]
    Proxy,
}

/// The failover controller of an active-passive database.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Failover {
    /// Time between two checks of the primary.
    pub check_every: Duration,
    /// How long a check waits for its answer (simulator): a primary that is down
    /// refuses at once, one that is paused or cut off from the controller fails the
    /// check when this expires. Absent: every failed check counts when it is sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check_timeout: Option<Duration>,
    /// Consecutive failed checks before the primary is declared failed.
    pub fail_after: u32,
    /// Time to promote the standby once the primary is declared failed.
    pub promote_in: Duration,
    /// Whether the old primary is fenced (stops accepting writes) on promotion.
    /// Without fencing, a partitioned primary keeps accepting writes: split brain.
    #[serde(default)]
    pub fencing: bool,
    /// How clients find the new primary. Default: `proxy`.
    #[serde(default)]
    pub clients_find_primary_by: PrimaryDiscovery,
    /// The DNS component to update, when clients find the primary by DNS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns: Option<String>,
}

/// A database.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Database {
    /// How the nodes are arranged.
    pub topology: DatabaseTopology,
    /// Serving nodes for `n_plus_one` (spares come on top); only for `n_plus_one`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nodes: Option<u32>,
    /// Zones of the nodes, in turn (primary first).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub zones: Vec<String>,
    /// Operations one node serves at once.
    pub concurrency: u32,
    /// Operations one node queues beyond its concurrency. Absent: unbounded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_limit: Option<u32>,
    /// Time a node spends on a read.
    pub read_time: Distribution,
    /// Time a node spends on a write (before replication).
    pub write_time: Distribution,
    /// Replication to the standby or the other site.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replication: Option<Replication>,
    /// The failover controller: promotes the standby (`active_passive`), or moves a dead
    /// site's traffic to the other (`active_active`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failover: Option<Failover>,
    /// Spare nodes (`n_plus_one` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spares: Option<Spares>,
    /// Reduced capacity of a freshly started node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warm_up: Option<WarmUp>,
    /// How the routing layer watches the nodes of an `active_active` or `n_plus_one`
    /// database: a node that misses `fail_after` checks in a row is taken out of
    /// service (active-active: its site's traffic goes to the other site; N+1: its
    /// shard goes to a spare, or to a surviving node when no spare is left, after
    /// `spares.start_in`). Absent: the simulator routes around a dead node at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitor: Option<Monitor>,
}

/// Health checking of a database's sites or nodes by the layer that routes to them.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Monitor {
    /// Time between two checks of each node.
    pub check_every: Duration,
    /// How long a check waits for its answer (simulator): a node that is down refuses
    /// at once, one that is paused or cut off fails the check when this expires.
    /// Absent: every failed check counts when it is sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check_timeout: Option<Duration>,
    /// Consecutive failed checks before a node is taken out of service.
    pub fail_after: u32,
}

/// A cache in front of another component.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Cache {
    /// The component read on a miss.
    pub backend: String,
    /// Share of reads served from a warm cache.
    pub hit_ratio: Fraction,
    /// Keys the cache holds; a restarted cache refills one key per miss.
    pub capacity_keys: u64,
    /// Time to answer a hit.
    pub hit_time: Distribution,
    /// Operations the cache serves at once.
    #[serde(default = "default_cache_concurrency")]
    pub concurrency: u32,
    /// Zones of the cache nodes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub zones: Vec<String>,
}

fn default_cache_concurrency() -> u32 {
    1024
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Draws of `d` from a fixed sequence of uniforms (a 64-bit LCG's top bits).
    fn draws(d: &Distribution, n: usize) -> Vec<f64> {
        let mut state = 0x853c_49e6_748f_ea9b_u64;
        let mut unit = move || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut values: Vec<f64> = (0..n).map(|_| d.draw_us(&mut unit)).collect();
        values.sort_by(f64::total_cmp);
        values
    }

    #[test]
    fn draws_follow_the_distribution_and_its_mean() {
        let ms = Duration::from_millis;
        let cases = [
            Distribution::Fixed(ms(7)),
            Distribution::Exponential { mean: ms(50) },
            Distribution::Lognormal {
                median: ms(20),
                p99: ms(120),
            },
            Distribution::Uniform {
                min: ms(10),
                max: ms(30),
            },
        ];
        for d in &cases {
            let values = draws(d, 100_000);
            let mean = values.iter().sum::<f64>() / values.len() as f64;
            assert!(
                (mean / d.mean_us() - 1.0).abs() < 0.02,
                "{d:?}: mean {mean} against {}",
                d.mean_us()
            );
        }
        let lognormal = draws(&cases[2], 100_000);
        let (median, p99) = (lognormal[50_000], lognormal[99_000]);
        assert!((median / 20_000.0 - 1.0).abs() < 0.02, "median {median}");
        assert!((p99 / 120_000.0 - 1.0).abs() < 0.05, "p99 {p99}");
        let uniform = draws(&cases[3], 1_000);
        assert!(uniform[0] >= 10_000.0 && uniform[999] < 30_000.0);
        assert_eq!(draws(&cases[0], 3), vec![7_000.0; 3]);
    }
}
