//! The simulated world: components and nodes built from the experiment's architecture.

use std::collections::VecDeque;

use faultline_record::SeriesId;
use faultline_spec::{
    BalancingAlgorithm, CallOn, DatabaseTopology, Experiment, PrimaryDiscovery, ReplicationMode,
};

use crate::breaker::Breaker;
use crate::rng::Sampler;
use crate::stats::Window;
use crate::SimError;

/// "No index" for `u32` slots.
pub const NONE: u32 = u32::MAX;

/// Where a DNS name points: a component, or one node of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Addr {
    /// The component.
    pub comp: u16,
    /// One node of it, or `NONE` for the component as a whole.
    pub node: u32,
}

/// A DNS name.
#[derive(Debug, Clone)]
pub struct DnsCfg {
    pub record: Addr,
    pub ttl_us: u64,
    pub ignoring_share: f64,
    pub ignore_for_us: u64,
    /// Killed or paused: no lookup is answered (answers already cached still serve).
    pub down: bool,
    /// How long a client's resolver waits for an unanswered lookup before it fails
    /// (0: the attempt's own timeout ends it).
    pub lookup_timeout_us: u64,
}

/// A load balancer.
#[derive(Debug, Clone)]
pub struct LbCfg {
    pub target: u16,
    pub algorithm: BalancingAlgorithm,
    pub health: Option<HealthCfg>,
    pub zones: Vec<u16>,
    /// Running, or stopped by a `kill` (it refuses new requests) or a `pause`.
    pub state: ProcessState,
    pub rr: u32,
    /// What this balancer knows of each instance of its target, by the instance's
    /// ordinal: each balancer judges by its own checks.
    pub instances: Vec<InstanceHealth>,
    /// While paused it takes requests and answers nothing: the answers of requests it
    /// had passed on wait in `frozen` (as `Reply` events) until it resumes.
    pub frozen: Vec<crate::event::Ev>,
    /// Attempts that reached it while paused (call, generation, attempt): sent on
    /// when it resumes, if their callers still wait.
    pub held: Vec<(u32, u32, u32)>,
}

/// One balancer's view of one instance of its target.
#[derive(Debug, Clone, Copy)]
pub struct InstanceHealth {
    /// Whether the balancer sends it requests: from registration without health
    /// checks, or after `healthy_after` passed checks with them.
    pub healthy: bool,
    pub passes_in_a_row: u32,
    pub failures_in_a_row: u32,
    /// Checks of this instance sent so far, and the number of the latest whose outcome
    /// was counted: an outcome older than that is ignored.
    pub checks_sent: u32,
    pub latest_counted: u32,
}

impl InstanceHealth {
    /// A new instance: routed to at once unless it must first pass health checks.
    pub fn new(healthy: bool) -> Self {
        Self {
            healthy,
            passes_in_a_row: 0,
            failures_in_a_row: 0,
            checks_sent: 0,
            latest_counted: 0,
        }
    }
}

/// Health check settings.
#[derive(Debug, Clone, Copy)]
pub struct HealthCfg {
    pub interval_us: u64,
    pub timeout_us: u64,
    pub unhealthy_after: u32,
    pub healthy_after: u32,
}

/// Retry settings.
#[derive(Debug, Clone, Copy)]
pub struct RetryCfg {
    pub max: u32,
    pub backoff_us: u64,
    pub jitter: faultline_spec::Jitter,
    pub budget: Option<f64>,
}

/// Circuit breaker settings.
#[derive(Debug, Clone, Copy)]
pub struct BreakerCfg {
    pub failure_ratio: f64,
    pub window_us: u64,
    pub min_calls: u32,
    pub open_for_us: u64,
}

/// Pool settings.
#[derive(Debug, Clone, Copy)]
pub struct PoolCfg {
    pub size: u32,
    pub acquire_timeout_us: u64,
    pub connect_us: u64,
}

/// One dependency of a caller (a service's call, a cache's backend).
#[derive(Debug, Clone)]
pub struct Dep {
    pub target: u16,
    pub on: CallOn,
    pub probability: f64,
    pub timeout_us: u64,
    pub pool: Option<PoolCfg>,
}

/// Warm-up of fresh nodes.
#[derive(Debug, Clone, Copy)]
pub struct WarmCfg {
    pub duration_us: u64,
    pub initial: f64,
}

/// Autoscaling settings.
#[derive(Debug, Clone, Copy)]
pub struct ScaleCfg {
    pub target: f64,
    pub min: u32,
    pub max: u32,
    pub every_us: u64,
    pub cooldown_us: u64,
    pub provisioning_us: u64,
}

/// A service.
#[derive(Debug, Clone)]
pub struct SvcCfg {
    pub service_time: Sampler,
    pub retries: Option<RetryCfg>,
    pub breaker: Option<BreakerCfg>,
    pub cold_start_us: u64,
    pub warm: Option<WarmCfg>,
    pub scale: Option<ScaleCfg>,
    pub spares: u32,
    pub spare_start_us: u64,
    pub zones: Vec<u16>,
    pub concurrency: u32,
    pub queue_limit: Option<u32>,
    pub last_scale_us: u64,
    pub pending_starts: u32,
    /// Busy-slot integral and time at the last autoscaler evaluation.
    pub scale_area_us: u128,
    pub scale_t_us: u64,
    /// Retry budget: first attempts and retries per second over the last 10 s.
    pub budget: WindowCounts,
}

/// Database node roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Takes writes.
    Primary,
    /// Follows a primary.
    Standby,
    /// A former primary that fencing stopped.
    Fenced,
    /// An N+1 spare not started yet, or a node out of service.
    Spare,
    /// An N+1 serving node.
    Shard,
}

/// A database.
#[derive(Debug, Clone)]
pub struct DbCfg {
    pub topology: DatabaseTopology,
    pub read: Sampler,
    pub write: Sampler,
    pub replication: Option<(ReplicationMode, Sampler)>,
    pub failover: Option<FailoverCfg>,
    pub warm: Option<WarmCfg>,
    /// Active-passive: the node clients are sent to by the proxy (and the controller's
    /// idea of the primary).
    pub primary: u32,
    /// Serving slots (N+1 shards; active-active sites; active-passive: [primary]).
    pub slots: Vec<u32>,
    /// Controller state per slot: its checks of the slot's node, declared down.
    pub checks: Vec<SlotChecks>,
    pub down: Vec<bool>,
    pub promoting: bool,
    pub spare_start_us: u64,
    pub conflicts: u64,
    /// Whether the failover controller runs: a `kill` or `pause` of `<db>.controller`
    /// stops its checks (no detection, no new promotion) until healed.
    pub controller: ProcessState,
}

/// The process of a failover controller or a load balancer. A kill over a pause wins,
/// and a pause of a dead process changes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcessState {
    Running,
    /// Stopped; when it runs again it is where it was (a controller's counts of failed
    /// checks, a balancer's view of its instances and what it held).
    Paused,
    /// Killed; restarted, it starts afresh (a controller counts failed checks from
    /// zero, a balancer routes to every instance until its checks say otherwise).
    Dead,
}

impl ProcessState {
    /// Whether a fault that stops the process as `to` (`Paused` or `Dead`) changes
    /// it: a kill over a pause wins, a pause of a dead process changes nothing.
    pub fn is_stopped_by(self, to: ProcessState) -> bool {
        matches!(
            (self, to),
            (
                ProcessState::Running,
                ProcessState::Paused | ProcessState::Dead
            ) | (ProcessState::Paused, ProcessState::Dead)
        )
    }
}

/// A failover controller's checks of the node in one of its database's slots.
#[derive(Debug, Clone, Copy, Default)]
pub struct SlotChecks {
    /// Failed checks in a row.
    pub fails: u32,
    /// Checks sent so far, and the number of the latest whose outcome was counted: an
    /// outcome older than that is ignored.
    pub sent: u32,
    pub latest_counted: u32,
}

impl SlotChecks {
    /// Starts counting afresh (a restarted controller, a new node in the slot): no
    /// failure counted, and the checks still out are ignored when they come back.
    pub fn restart(&mut self) {
        self.fails = 0;
        self.latest_counted = self.sent;
    }
}

/// A failover controller.
#[derive(Debug, Clone)]
pub struct FailoverCfg {
    pub check_us: u64,
    /// How long a check waits for an answer from a node that is paused or cut off
    /// (0: its failure counts when it is sent).
    pub check_timeout_us: u64,
    pub fail_after: u32,
    pub promote_us: u64,
    pub fencing: bool,
    pub discovery: PrimaryDiscovery,
    pub dns: Option<u16>,
}

/// A cache.
#[derive(Debug, Clone)]
pub struct CacheCfg {
    pub hit_ratio: f64,
    pub capacity_keys: u64,
    pub filled_keys: u64,
    pub hit_time: Sampler,
}

/// The behaviour of a component.
#[derive(Debug, Clone)]
pub enum Kind {
    Dns(DnsCfg),
    Lb(LbCfg),
    Service(SvcCfg),
    Db(DbCfg),
    Cache(CacheCfg),
}

/// Counters for Little's law and utilisation. The sums and integrals are integers
/// (microseconds, request-microseconds): exact, with no conversion per request, and
/// equal to the `f64` sums of the same integers for as long as those were exact
/// (below 2^53); wide enough never to overflow in a run.
#[derive(Debug, Clone, Copy, Default)]
pub struct Little {
    pub arrivals: u64,
    pub completions: u64,
    pub sojourn_us_sum: u128,
    pub wait_us_sum: u128,
    pub started_service: u64,
    /// Requests in the component.
    in_system: CountIntegral,
    /// Its busy servers.
    busy: CountIntegral,
    /// The time the integrals are read at: the last change, tick or read.
    pub last_us: u64,
}

impl Little {
    /// Moves the integrals' reading time to `now` (no count changed since the last
    /// move).
    #[inline]
    pub fn advance(&mut self, now: u64) {
        self.last_us = now;
    }

    /// A request came in at `now`.
    #[inline]
    pub fn enter(&mut self, now: u64) {
        self.last_us = now;
        self.in_system.up(now);
    }

    /// A request left at `now`.
    #[inline]
    pub fn leave(&mut self, now: u64) {
        self.last_us = now;
        self.in_system.down(now);
    }

    /// A server became busy at `now`.
    #[inline]
    pub fn start(&mut self, now: u64) {
        self.last_us = now;
        self.busy.up(now);
    }

    /// A server became free at `now`.
    #[inline]
    pub fn stop(&mut self, now: u64) {
        self.last_us = now;
        self.busy.down(now);
    }

    /// Requests in the component.
    pub fn in_system(&self) -> u64 {
        self.in_system.count
    }

    /// Busy servers.
    pub fn busy(&self) -> u64 {
        self.busy.count
    }

    /// Sets the requests in the component, from `last_us` on.
    pub fn set_in_system(&mut self, n: u64) {
        self.in_system.set(n, self.last_us);
    }

    /// Sets the busy servers, from `last_us` on.
    pub fn set_busy(&mut self, n: u64) {
        self.busy.set(n, self.last_us);
    }

    /// Request-microseconds spent in the component up to `last_us`.
    pub fn area_us(&self) -> u128 {
        self.in_system.at(self.last_us)
    }

    /// Busy-server-microseconds up to `last_us`.
    pub fn busy_area_us(&self) -> u128 {
        self.busy.at(self.last_us)
    }
}

/// A count that changes over time with its integral (count-microseconds since 0),
/// kept as the count times the time plus a base (modulo 2^128, like the sums it
/// replaced): a change of the count by `d` at `t` takes `d * t` off the base, which
/// is a subtraction of `t` for the `±1` of every request, instead of adding
/// `elapsed * count` to the integral at each change.
#[derive(Debug, Clone, Copy, Default)]
struct CountIntegral {
    count: u64,
    /// The integral at `t` minus `count * t`.
    base_us: u128,
}

impl CountIntegral {
    /// The count goes up by one at `t_us`.
    #[inline]
    fn up(&mut self, t_us: u64) {
        self.count += 1;
        self.base_us = self.base_us.wrapping_sub(u128::from(t_us));
    }

    /// The count goes down by one at `t_us`.
    #[inline]
    fn down(&mut self, t_us: u64) {
        self.count -= 1;
        self.base_us = self.base_us.wrapping_add(u128::from(t_us));
    }

    /// The count becomes `n` at `t_us`.
    fn set(&mut self, n: u64, t_us: u64) {
        let down = u128::from(self.count).wrapping_sub(u128::from(n));
        self.base_us = self
            .base_us
            .wrapping_add(down.wrapping_mul(u128::from(t_us)));
        self.count = n;
    }

    /// The integral at `t_us` (no change of the count since then).
    fn at(&self, t_us: u64) -> u128 {
        (u128::from(self.count) * u128::from(t_us)).wrapping_add(self.base_us)
    }
}

/// `x as f64` for the counts and durations of a run (below 2^63), through the signed
/// conversion: one instruction on x86-64, where the unsigned one takes a branch and
/// several; both give the same value for any `x < 2^63`.
#[inline(always)]
pub(crate) fn f64_of(x: u64) -> f64 {
    debug_assert!(x < 1 << 63);
    x as i64 as f64
}

/// `x as u64` for a duration in microseconds (`x >= 0`), through the signed conversion:
/// one instruction on x86-64 where the unsigned one takes about ten, and the same value
/// below 2^63 microseconds (292 000 years); past that it saturates at `i64::MAX`
/// instead of `u64::MAX`, which leaves room to add the current time.
#[inline(always)]
pub(crate) fn whole_us(x: f64) -> u64 {
    x as i64 as u64
}

/// `x % n` for `n > 0`, with a mask instead of the division when `n` is a power of two
/// (the same value): round robins take one per request, and a division costs tens of
/// cycles where the mask costs one.
#[inline(always)]
pub(crate) fn rem(x: u64, n: u64) -> u64 {
    debug_assert!(n > 0);
    if n.is_power_of_two() {
        x & (n - 1)
    } else {
        x % n
    }
}

/// One component.
#[derive(Debug, Clone)]
pub struct Comp {
    pub name: String,
    pub kind: Kind,
    pub nodes: Vec<u32>,
    pub deps: Vec<Dep>,
    pub series: Option<SeriesId>,
    pub window: Window,
    /// Whether an alert rule reads `window` (else it is not kept).
    pub watched: bool,
    pub little: Little,
    /// Client-side round-robin position over the component's instances.
    pub rr: u32,
}

/// A connection (or a resolver slot) of a caller to a dependency.
#[derive(Debug, Clone, Copy)]
pub struct Conn {
    /// The address the cached DNS answer gives (`comp = u16::MAX`: none yet).
    pub cached: Addr,
    pub expires_us: u64,
    pub ignores_ttl: bool,
    /// The node the connection is open to (`NONE`: not connected).
    pub connected: u32,
    pub in_use: bool,
}

impl Conn {
    pub fn new(ignores_ttl: bool) -> Self {
        Self {
            cached: Addr {
                comp: u16::MAX,
                node: NONE,
            },
            expires_us: 0,
            ignores_ttl,
            connected: NONE,
            in_use: false,
        }
    }
}

/// Two counts over a sliding window of 10 slots; a slot is forgotten once it is 10
/// slots old. A circuit breaker counts ok and failed calls in it, a retry budget first
/// attempts and retries.
#[derive(Debug, Clone, Copy, Default)]
pub struct WindowCounts {
    first: [u64; 10],
    second: [u64; 10],
    slot: u64,
}

impl WindowCounts {
    /// Counts one event in slot `slot` (slots never go back): in the second count if
    /// `second`, else in the first.
    pub fn add(&mut self, slot: u64, second: bool) {
        self.advance(slot);
        let i = (slot % 10) as usize;
        if second {
            self.second[i] += 1;
        } else {
            self.first[i] += 1;
        }
    }

    /// Moves the window on to end at slot `slot`, forgetting the slots that left it.
    pub fn advance(&mut self, slot: u64) {
        debug_assert!(slot >= self.slot, "window slots go forward");
        if slot != self.slot {
            let steps = (slot - self.slot).min(10);
            for k in 1..=steps {
                let i = ((self.slot + k) % 10) as usize;
                self.first[i] = 0;
                self.second[i] = 0;
            }
            self.slot = slot;
        }
    }

    /// The two counts over the window (as of the last slot counted or advanced to).
    pub fn totals(&self) -> (u64, u64) {
        (self.first.iter().sum(), self.second.iter().sum())
    }

    /// Forgets every count.
    pub fn clear(&mut self) {
        self.first = [0; 10];
        self.second = [0; 10];
    }
}

/// A caller node's state toward one dependency.
#[derive(Debug, Clone, Default)]
pub struct DepState {
    pub conns: Vec<Conn>,
    pub free: VecDeque<u32>,
    pub waiters: VecDeque<(u32, u32)>,
    pub rr: u32,
    pub breaker: Breaker,
}

/// One node: a service instance, a database node, a cache node.
#[derive(Debug, Clone)]
pub struct Node {
    pub comp: u16,
    pub ordinal: u32,
    pub zone: u16,
    pub alive: bool,
    pub incarnation: u32,
    pub paused: bool,
    /// Deregistered by a scale-in: no longer routed to nor checked, for good.
    pub retired: bool,
    /// Known to its callers: false while an instance an autoscaler asked for is being
    /// provisioned (it is routed to from its start, dead or alive, like the others).
    pub registered: bool,
    pub serving_from_us: u64,
    pub warm_from_us: Option<u64>,
    pub concurrency: u32,
    pub queue_limit: Option<u32>,
    pub busy: u32,
    pub queue: VecDeque<u32>,
    /// What happened to the node while it was paused, in order: services that ended
    /// (`ServiceDone`), and answers, timeouts and retry backoffs of the calls it was
    /// making (`Reply`, `AttemptTimeout`, `AcquireTimeout`, `Retry`). A paused process
    /// reads no answer and runs no timer: they all take effect when it resumes.
    pub frozen: Vec<crate::event::Ev>,
    pub role: Role,
    pub store: Option<crate::db::Store>,
    pub deps: Vec<DepState>,
}

impl Node {
    /// Requests at the node (in service and queued).
    #[inline]
    pub fn outstanding(&self) -> u32 {
        self.busy + self.queue.len() as u32
    }
}

pub const NO_ZONE: u16 = u16::MAX;

/// Zone names to ids.
#[derive(Debug, Clone, Default)]
pub struct Zones {
    pub names: Vec<String>,
}

impl Zones {
    pub fn id(&mut self, name: &str) -> u16 {
        if let Some(i) = self.names.iter().position(|n| n == name) {
            return i as u16;
        }
        self.names.push(name.to_string());
        (self.names.len() - 1) as u16
    }
}

/// Finds a component by name.
pub fn comp_index(exp: &Experiment, name: &str) -> Result<u16, SimError> {
    exp.raw()
        .architecture
        .get_index_of(name)
        .map(|i| i as u16)
        .ok_or_else(|| {
            SimError::Model(format!(
                "`{name}` is not a component of the architecture (components: {})",
                exp.raw()
                    .architecture
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
}

/// The default number of resolver slots of a caller without a pool.
pub const DEFAULT_SLOTS: u32 = 16;

#[cfg(test)]
mod tests {
    use super::{rem, whole_us, Little};

    #[test]
    fn whole_us_is_the_unsigned_conversion_below_2_pow_63() {
        let below = 9_223_372_036_854_774_784.0; // the largest f64 below 2^63
        for x in [
            0.0,
            0.4,
            1.0,
            1.5,
            2.999,
            1e6 + 0.5,
            4_503_599_627_370_497.0,
            below,
        ] {
            assert_eq!(whole_us(x), x as u64, "{x}");
        }
        assert_eq!(whole_us(1e30), i64::MAX as u64, "saturates below u64::MAX");
    }

    #[test]
    fn rem_is_the_remainder_for_every_divisor() {
        for n in 1..=70u64 {
            for x in (0..300u64).chain([u64::from(u32::MAX) - 3, u64::MAX - 1, u64::MAX]) {
                assert_eq!(rem(x, n), x % n, "{x} % {n}");
            }
        }
    }

    #[test]
    fn little_integrals_are_the_step_sums() {
        // A fixed walk of changes (times never go back), against the integrals summed
        // step by step: elapsed time times the count held over it.
        let mut l = Little::default();
        let (mut area, mut busy_area, mut last) = (0u128, 0u128, 0u64);
        let (mut in_system, mut busy) = (0u64, 0u64);
        let walk = [
            (3, 0),
            (3, 1),
            (10, 0),
            (10, 1),
            (11, 0),
            (25, 2),
            (25, 1),
            (40, 4),
            (41, 3),
            (90, 0),
            (1_000_000, 1),
        ];
        for (now, op) in walk {
            if op == 4 {
                // A bulk change without moving the reading time (a node's kill).
                busy = busy.saturating_sub(2);
                in_system /= 2;
                l.set_busy(busy);
                l.set_in_system(in_system);
            } else {
                area += u128::from(now - last) * u128::from(in_system);
                busy_area += u128::from(now - last) * u128::from(busy);
                last = now;
                match op {
                    0 => (l.enter(now), in_system += 1),
                    1 => (l.start(now), busy += 1),
                    2 => (l.stop(now), busy -= 1),
                    _ => (l.leave(now), in_system -= 1),
                };
            }
            assert_eq!(l.last_us, last);
            assert_eq!((l.in_system(), l.busy()), (in_system, busy));
            assert_eq!(l.area_us(), area, "at {now}");
            assert_eq!(l.busy_area_us(), busy_area, "at {now}");
        }
        // Later reads add the counts held still over the time since.
        l.advance(3_000_000);
        assert_eq!(l.area_us(), area + u128::from(in_system) * 2_000_000);
        assert_eq!(l.busy_area_us(), busy_area + u128::from(busy) * 2_000_000);
    }
}
