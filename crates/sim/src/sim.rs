//! The simulation: its state, its construction from an experiment, and the event loop.

use faultline_record::{
    FinalRead, Marker, MarkerKind, OpKind, Progress, Recorder, RunMeta, CLIENT_SERIES,
};
use faultline_spec::profile::Profile;
use faultline_spec::{DatabaseTopology, Experiment, LoadModel, PrimaryDiscovery};

use crate::event::Ev;
use crate::queue::EventQueue;
use crate::rng::{Sampler, SimRng};
use crate::stats::Window;
use crate::world::*;
use crate::{DecisionPoint, SimError};

/// Kind of work a job does at a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    /// A workload read.
    Read,
    /// A workload write.
    Write,
    /// Opening a pooled connection.
    Connect,
}

/// Who sent a message: a component's node, the clients, or a controller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ep {
    pub comp: u16,
    pub node: u32,
}

/// The clients' pseudo-component.
pub const CLIENTS: u16 = u16::MAX - 1;
/// The pseudo-node of a database's failover controller.
pub const CONTROLLER: u32 = u32::MAX - 1;

/// A request being served at a node.
#[derive(Debug, Clone, Copy)]
pub struct Job {
    /// Odd while the slot is in use: an event's generation (taken from a live slot)
    /// matches only the use it was scheduled for, with no separate liveness test.
    pub gen: u32,
    pub node: u32,
    pub call: u32,
    pub call_gen: u32,
    pub attempt: u32,
    pub from: Ep,
    pub kind: JobKind,
    pub key: u64,
    pub write_id: u64,
    pub t_arrive: u64,
    pub step: u16,
    pub hit: bool,
    pub service_us: u64,
    pub lb: u16,
    pub arrived: bool,
}

/// Who waits for a call's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parent {
    /// A client operation (the user's index, or `NONE` in the open model).
    Client(u32),
    /// A job at a node.
    Job(u32, u32),
}

/// Who makes a call (whose DNS cache and pool it uses).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// A client resolver slot.
    User(u32),
    /// A node, for its dependency `dep`.
    Node(u32, u16),
}

/// A call with its retries.
#[derive(Debug, Clone, Copy)]
pub struct Call {
    /// Odd while the slot is in use (as [`Job::gen`]).
    pub gen: u32,
    pub parent: Parent,
    pub caller: Caller,
    pub target: u16,
    pub op: OpKind,
    pub key: u64,
    pub write_id: u64,
    pub t_start: u64,
    pub attempt: u32,
    pub conn: u32,
    pub lb: u16,
    pub dest: u32,
    pub waiting: bool,
    pub connecting: bool,
    /// Whether the current attempt is still waiting for its outcome: false from the
    /// moment it ended (answer, timeout, pool timeout) until the next attempt starts.
    /// A timed-out attempt's answer can still arrive, and its timeout can still fire
    /// after an early failure, during the retry's backoff: neither may end it again.
    pub attempt_open: bool,
    pub timeout_us: u64,
    pub t_attempt: u64,
}

/// Whether a call or job slot of generation `gen` is in use: odd while it is, even
/// once freed (allocating and freeing each add one).
#[inline]
pub(crate) fn slot_in_use(gen: u32) -> bool {
    gen & 1 == 1
}

impl Job {
    /// Whether the slot holds a request.
    #[inline]
    pub fn live(&self) -> bool {
        slot_in_use(self.gen)
    }
}

impl Call {
    /// Whether the slot holds a call.
    #[inline]
    pub fn live(&self) -> bool {
        slot_in_use(self.gen)
    }

    /// Whether attempt `attempt` of this call (generation `gen`) is on the wire and
    /// waits for its answer or its timeout, whichever comes first.
    #[inline(always)]
    pub fn awaits(&self, gen: u32, attempt: u32) -> bool {
        self.gen == gen && self.attempt == attempt && !self.waiting && self.attempt_open
    }
}

/// A virtual user (closed model) or a client resolver slot (open model).
#[derive(Debug, Clone, Copy)]
pub struct User {
    pub active: bool,
    pub retiring: bool,
    pub busy: bool,
    pub conn: Conn,
}

/// A fault as prepared for the simulation.
#[derive(Debug, Clone)]
pub struct FaultRt {
    pub spec: faultline_spec::Fault,
    pub name: String,
    pub active: bool,
    pub injected: bool,
    pub scheduled: bool,
    /// Nodes the fault killed or paused (to heal).
    pub nodes: Vec<u32>,
    /// Balancers the fault killed or paused (to heal).
    pub lbs: Vec<u16>,
    /// Databases whose failover controller the fault killed or paused (to heal).
    pub controllers: Vec<u16>,
    /// DNS components the fault killed or paused (to heal).
    pub silenced_dns: Vec<u16>,
    pub edge: Option<crate::faults::EdgeFault>,
    /// Messages that went between the edge fault's two ends while it was active,
    /// whether it dropped, delayed or let them through: zero when it ends means the
    /// fault changed nothing (the two ends never talk), which the run then says in a
    /// note instead of passing silently. Counted only while an edge fault is active.
    pub edge_messages: u64,
    /// While `edge_messages` is zero: the endpoints each end of the edge fault (`a`
    /// then `b`) was seen exchanging messages with instead, at most
    /// [`crate::faults::EDGE_PEERS_MAX`] each, for the note to say which edge does
    /// carry traffic.
    pub edge_peers: [Vec<Ep>; 2],
    pub dns_before: Option<(u16, Addr)>,
}

/// An alert rule's state.
#[derive(Debug, Clone)]
pub struct AlertRt {
    pub rule: faultline_spec::AlertRule,
    pub comp: u16,
    pub since_us: Option<u64>,
    pub fired: bool,
}

/// Little's law and utilisation figures of one component, from the simulation's exact
/// counters (not from the record's histograms).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ComponentStats {
    /// Requests that arrived.
    pub arrivals: u64,
    /// Requests answered (ok or failed).
    pub completions: u64,
    /// Mean time in the component (queue + service + calls), microseconds.
    pub mean_sojourn_us: f64,
    /// Mean wait in the queue before service, microseconds.
    pub mean_wait_us: f64,
    /// Time-average number of requests in the component.
    pub mean_in_system: f64,
    /// Arrival rate per second over the run.
    pub arrival_rate_per_s: f64,
    /// Time-average busy servers.
    pub mean_busy: f64,
}

/// A simulation of one experiment with one seed.
pub struct Simulation {
    pub(crate) exp: Experiment,
    pub(crate) now: u64,
    pub(crate) end_us: u64,
    pub(crate) stop_us: u64,
    pub(crate) draining: bool,
    pub(crate) q: EventQueue,
    pub(crate) rng: SimRng,
    pub(crate) comps: Vec<Comp>,
    pub(crate) nodes: Vec<Node>,
    pub(crate) zones: Zones,
    pub(crate) jobs: Vec<Job>,
    pub(crate) free_jobs: Vec<u32>,
    pub(crate) calls: Vec<Call>,
    pub(crate) free_calls: Vec<u32>,
    pub(crate) users: Vec<User>,
    pub(crate) idle_users: Vec<u32>,
    pub(crate) active_users: u32,
    pub(crate) in_flight_ops: u64,
    pub(crate) profile: Profile,
    pub(crate) model: LoadModel,
    pub(crate) target: u16,
    pub(crate) think: Option<Sampler>,
    pub(crate) client_timeout_us: u64,
    pub(crate) write_share: f64,
    pub(crate) keys: crate::client::KeyDist,
    pub(crate) next_write_id: u64,
    pub(crate) open_rr: u32,
    /// The profile segment `level_now` last used: start, end, from, to.
    pub(crate) segment_cache: (u64, u64, f64, f64),
    /// The last open-model rate and its mean gap in microseconds.
    pub(crate) gap_cache: (f64, f64),
    /// The open model's pending arrival to the fraction of a microsecond: its event
    /// fires at the whole microsecond, but the next gap is added to this exact time.
    pub(crate) arrival_exact_us: f64,
    pub(crate) rec: Option<Recorder>,
    pub(crate) client_series: Option<faultline_record::SeriesId>,
    pub(crate) client_window: Window,
    pub(crate) repl: Vec<crate::db::InFlight>,
    pub(crate) free_repl: Vec<u32>,
    pub(crate) faults: Vec<FaultRt>,
    pub(crate) edges: Vec<(u32, crate::faults::EdgeFault)>,
    pub(crate) alerts: Vec<AlertRt>,
    pub(crate) fired_signals: Vec<String>,
    pub(crate) first_fault_us: Option<u64>,
    pub(crate) phase: &'static str,
    pub(crate) ticks: u64,
    pub(crate) ledger_db: Option<u16>,
    pub(crate) written_keys: Vec<u64>,
    pub(crate) trace: Option<Vec<DecisionPoint>>,
    pub(crate) requests: u64,
    pub(crate) client_ops: u64,
    pub(crate) write_error: Option<faultline_record::WriteError>,
    pub(crate) cands: Vec<u32>,
    pub(crate) guard: Option<crate::guardrail::Guard>,
    pub(crate) steady: crate::steady::SteadyWatch,
    pub(crate) sessions: Option<crate::session::Sessions>,
}

impl std::fmt::Debug for Simulation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulation")
            .field("experiment", &self.exp.raw().name)
            .field("now_us", &self.now)
            .field("end_us", &self.end_us)
            .finish_non_exhaustive()
    }
}

impl Simulation {
    pub(crate) fn init_deps(&mut self) {
        for n in 0..self.nodes.len() {
            self.init_node_deps(n as u32);
        }
    }

    /// Fresh connection state of a node toward its dependencies.
    pub(crate) fn init_node_deps(&mut self, n: u32) {
        let comp = self.nodes[n as usize].comp as usize;
        let mut states = Vec::with_capacity(self.comps[comp].deps.len());
        for dep in self.comps[comp].deps.clone() {
            let size = dep.pool.map_or(DEFAULT_SLOTS, |p| p.size);
            let share = self.ignoring_share_for(dep.target);
            let mut conns = Vec::with_capacity(size as usize);
            for _ in 0..size {
                let ignores = self.rng.chance(share);
                conns.push(Conn::new(ignores));
            }
            states.push(DepState {
                free: (0..size).collect(),
                conns,
                ..DepState::default()
            });
        }
        self.nodes[n as usize].deps = states;
    }

    /// The TTL-ignoring share of the DNS name a caller uses to reach `target`.
    pub(crate) fn ignoring_share_for(&self, target: u16) -> f64 {
        match self.dns_of(target) {
            Some(d) => match &self.comps[d as usize].kind {
                Kind::Dns(cfg) => cfg.ignoring_share,
                _ => 0.0,
            },
            None => 0.0,
        }
    }

    /// The DNS component through which callers reach `target`, if any.
    pub(crate) fn dns_of(&self, target: u16) -> Option<u16> {
        match &self.comps[target as usize].kind {
            Kind::Dns(_) => Some(target),
            Kind::Db(db) => db
                .failover
                .as_ref()
                .filter(|f| f.discovery == PrimaryDiscovery::Dns)
                .and_then(|f| f.dns),
            _ => None,
        }
    }

    /// Asks for decision points to be recorded (for the scenario hunt).
    pub fn enable_trace(&mut self) {
        self.trace = Some(Vec::new());
    }

    /// The decision points recorded so far (empty unless [`Self::enable_trace`]).
    pub fn trace(&self) -> &[DecisionPoint] {
        self.trace.as_deref().unwrap_or(&[])
    }

    /// Records a decision point when tracing.
    #[inline]
    pub(crate) fn decide(&mut self, site: &'static str, taken: bool, margin: f64) {
        if let Some(t) = &mut self.trace {
            if t.len() < 1_000_000 {
                t.push(DecisionPoint {
                    site,
                    taken,
                    margin,
                    t_us: self.now,
                });
            }
        }
    }

    /// Client operations started so far.
    pub fn client_operations(&self) -> u64 {
        self.client_ops
    }

    /// Simulated requests so far (every request any node received, plus client ops).
    pub fn simulated_requests(&self) -> u64 {
        self.requests
    }

    /// Exact Little's law counters of a component, by name.
    pub fn component_stats(&self, name: &str) -> Option<ComponentStats> {
        let c = self.comps.iter().find(|c| c.name == name)?;
        let l = c.little;
        let t = l.last_us.max(1) as f64;
        Some(ComponentStats {
            arrivals: l.arrivals,
            completions: l.completions,
            mean_sojourn_us: l.sojourn_us_sum as f64 / l.completions.max(1) as f64,
            mean_wait_us: l.wait_us_sum as f64 / l.started_service.max(1) as f64,
            mean_in_system: l.area_us() as f64 / t,
            arrival_rate_per_s: l.arrivals as f64 / t * 1e6,
            mean_busy: l.busy_area_us() as f64 / t,
        })
    }

    /// Conflicting writes resolved by last-writer-wins in active-active databases.
    pub fn conflicts(&self) -> u64 {
        self.comps
            .iter()
            .map(|c| match &c.kind {
                Kind::Db(d) => d.conflicts,
                _ => 0,
            })
            .sum()
    }

    /// Runs the whole experiment, writing the record into `rec`.
    pub fn run_to_end(
        mut self,
        mut rec: Recorder,
        progress: &mut dyn FnMut(&Progress),
    ) -> Result<(RunMeta, Simulation), SimError> {
        self.client_series = Some(rec.series(CLIENT_SERIES));
        for c in &mut self.comps {
            c.series = Some(rec.series(&c.name));
        }
        self.rec = Some(rec);
        self.run_loop(progress);
        if let Some(e) = self.write_error.take() {
            return Err(SimError::Record(e));
        }
        self.finish_run();
        let end = self.now.max(self.end_us);
        let rec = self
            .rec
            .take()
            .ok_or_else(|| SimError::Model("recorder missing".into()))?;
        let (status, reason) = self.run_status();
        let meta = rec.finish(status, end, reason)?;
        let mut p = self.progress();
        p.phase = "verify".into();
        p.elapsed_us = end;
        progress(&p);
        Ok((meta, self))
    }

    /// Runs the whole experiment without writing any record: the fast path for
    /// searches that evaluate thousands of runs and read only the exact counters
    /// ([`Self::component_stats`], [`Self::conflicts`]) and the decision trace.
    pub fn run_unrecorded(mut self) -> Simulation {
        self.run_loop(&mut |_| {});
        self.finish_run();
        self
    }

    fn run_loop(&mut self, progress: &mut dyn FnMut(&Progress)) {
        self.start();
        self.mark(MarkerKind::PhaseStart, "baseline", None, None);
        while let Some((t, ev)) = self.q.pop() {
            if t > self.stop_us {
                break;
            }
            self.now = t;
            self.handle(ev);
            // Both are rare: one test on the way of every event, the detail after it.
            if (self.draining | self.write_error.is_some())
                && (self.in_flight_ops == 0 || self.write_error.is_some())
            {
                break;
            }
            if matches!(ev, Ev::Tick) {
                self.report_progress(progress);
            }
        }
    }

    /// Reports progress at a whole simulated second (called after each tick, out of
    /// line: the division stays off the other events' way).
    #[inline(never)]
    fn report_progress(&self, progress: &mut dyn FnMut(&Progress)) {
        if self.now.is_multiple_of(1_000_000) {
            progress(&self.progress());
        }
    }

    fn progress(&self) -> Progress {
        Progress {
            phase: self.phase.to_string(),
            elapsed_us: self.now,
            total_us: self.end_us,
            rate_per_s: self.client_window.completed() as f64,
            error_rate: self.client_window.error_rate(),
            active_faults: self
                .faults
                .iter()
                .filter(|f| f.active)
                .map(|f| f.name.clone())
                .collect(),
        }
    }

    fn start(&mut self) {
        self.q.push(0, Ev::Tick);
        self.q.push(self.end_us, Ev::End);
        match self.model {
            LoadModel::Closed => self.adjust_users(),
            LoadModel::Open => {
                for _ in 0..faultline_spec::session::OPEN_MODEL_CLIENT_SLOTS {
                    self.add_client_slot();
                }
                // One arrival is pending at a time: it needs no heap.
                self.q.push_chain(0, Ev::Arrival);
            }
        }
        self.start_health_checks();
        self.start_controllers();
        self.start_autoscalers();
        self.schedule_faults();
    }

    #[inline(always)]
    fn handle(&mut self, ev: Ev) {
        match ev {
            Ev::Tick => self.tick(),
            Ev::End => self.end(),
            Ev::UserWake(u) => self.user_wake(u),
            Ev::Arrival => self.arrival(),
            Ev::Deliver { job, gen } => self.deliver(job, gen),
            Ev::ServiceDone { job, gen } => self.service_done(job, gen),
            Ev::Reply {
                call,
                gen,
                attempt,
                fail,
            } => self.reply(call, gen, attempt, fail),
            Ev::AttemptTimeout { call, gen, attempt } => self.attempt_timeout(call, gen, attempt),
            Ev::AcquireTimeout { call, gen, attempt } => self.acquire_timeout(call, gen, attempt),
            Ev::Retry { call, gen } => self.retry(call, gen),
            Ev::HealthCheck { lb, node } => self.health_check(lb, node),
            Ev::HealthVerdict {
                lb,
                node,
                check,
                ok,
            } => self.health_verdict(lb, node, check, ok),
            Ev::ControllerCheck { db } => self.controller_check(db),
            Ev::ControllerVerdict {
                db,
                slot,
                check,
                ok,
            } => self.controller_verdict(db, slot, check, ok),
            Ev::Promote { db, slot, node } => self.promote(db, slot, node),
            Ev::Replicate { idx } => self.replicate(idx),
            Ev::Inject { fault } => self.inject(fault),
            Ev::Heal { fault } => self.heal(fault, false),
            Ev::InstanceStart { comp, node } => self.instance_start(comp, node),
            Ev::Autoscale { comp } => self.autoscale(comp),
        }
    }

    fn tick(&mut self) {
        self.ticks += 1;
        if let Some(rec) = &mut self.rec {
            if let Err(e) = rec.flush_before(self.now) {
                self.write_error = Some(e);
            }
        }
        self.client_window.advance();
        for c in &mut self.comps {
            if c.watched {
                c.window.advance();
            }
            c.little.advance(self.now);
        }
        if !self.draining {
            if self.model == LoadModel::Closed {
                self.adjust_users();
            }
            self.check_conditions();
            self.check_guardrails();
        }
        self.evaluate_alerts();
        // Whether a timeout may still fire: its call's attempt is still on.
        let calls = &self.calls;
        let live = |ev: &Ev| match *ev {
            Ev::AttemptTimeout { call, gen, attempt }
            | Ev::AcquireTimeout { call, gen, attempt } => {
                let c = &calls[call as usize];
                c.gen == gen && c.attempt == attempt
            }
            _ => true,
        };
        // Ticks are whole multiples of the sweep period the queue was made with.
        self.q.sweep(live);
        if self.q.timers() > 4 * calls.len() + 4096 {
            self.q.compact(live);
        }
        // A fixed length: the tick needs no heap.
        self.q
            .push_timer(self.now, faultline_record::BUCKET_US, Ev::Tick);
    }

    pub(crate) fn end(&mut self) {
        if self.draining {
            return;
        }
        self.guardrail_at_load_end();
        self.draining = true;
        self.stop_us = self.now + self.client_timeout_us + 1;
        for u in 0..self.users.len() {
            self.users[u].retiring = true;
        }
    }

    fn finish_run(&mut self) {
        let end = self.now.max(self.end_us);
        self.now = end;
        // Roll back every fault still active.
        for f in 0..self.faults.len() {
            if self.faults[f].active {
                self.heal(f as u32, true);
            }
        }
        let phase = if self.first_fault_us.is_some() {
            "observe"
        } else {
            "baseline"
        };
        self.mark(MarkerKind::PhaseEnd, phase, None, None);
        self.phase = "verify";
        self.mark(MarkerKind::PhaseStart, "verify", None, None);
        for c in 0..self.comps.len() {
            if let Kind::Db(d) = &self.comps[c].kind {
                if d.topology == DatabaseTopology::ActiveActive {
                    let (n, name) = (d.conflicts, self.comps[c].name.clone());
                    self.mark(
                        MarkerKind::Note,
                        &format!("{name}.conflicts"),
                        Some(&name),
                        Some(format!(
                            "{n} conflicting writes resolved by last-writer-wins"
                        )),
                    );
                }
            }
        }
        self.verify();
        self.mark(MarkerKind::PhaseEnd, "verify", None, None);
        for c in &mut self.comps {
            c.little.advance(end);
        }
    }

    /// Reads every written key back from the database's final primary (what the live
    /// engine's verify phase does).
    fn verify(&mut self) {
        let Some(db) = self.ledger_db else { return };
        if self.exp.raw().phases.verify == Some(false) {
            return;
        }
        let mut keys = std::mem::take(&mut self.written_keys);
        keys.sort_unstable();
        keys.dedup();
        let name = self.comps[db as usize].name.clone();
        for key in keys {
            let node = self.final_node_for(db, key);
            let (val, source) = match node {
                Some(n) => (
                    self.nodes[n as usize]
                        .store
                        .as_ref()
                        .and_then(|s| s.map.get(&key).copied()),
                    format!("{name}.{}", self.nodes[n as usize].ordinal),
                ),
                None => (None, format!("{name} (no node alive)")),
            };
            let read = FinalRead {
                key: format!("k{key}"),
                write_id: val.map(|v| v.id),
                checksum: val.map(|v| faultline_record::Checksum(v.checksum)),
                source,
            };
            if let Some(rec) = &mut self.rec {
                if let Err(e) = rec.final_read(&read) {
                    self.write_error = Some(e);
                    return;
                }
            }
        }
    }

    /// Emits a marker (and remembers its source as a fired signal).
    pub(crate) fn mark(
        &mut self,
        kind: MarkerKind,
        source: &str,
        component: Option<&str>,
        detail: Option<String>,
    ) {
        let marker = Marker {
            t_us: self.now,
            kind,
            source: source.to_string(),
            component: component.map(str::to_string),
            detail,
        };
        if let Some(rec) = &mut self.rec {
            if let Err(e) = rec.marker(&marker) {
                self.write_error = Some(e);
            }
        }
        let signal = match kind {
            MarkerKind::FaultInjected => format!("{source}.injected"),
            MarkerKind::FaultHealed => format!("{source}.healed"),
            _ => source.to_string(),
        };
        if !self.fired_signals.contains(&signal) {
            self.fired_signals.push(signal.clone());
            self.on_signal(&signal);
        }
    }

    /// A node's display name: `api.2`.
    pub(crate) fn node_name(&self, n: u32) -> String {
        let node = &self.nodes[n as usize];
        format!("{}.{}", self.comps[node.comp as usize].name, node.ordinal)
    }
}
