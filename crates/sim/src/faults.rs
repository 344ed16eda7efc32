//! Faults: targets, injection, healing, edge effects, conditions; and alert rules.

use faultline_record::MarkerKind;
use faultline_spec::{AlertMetric, LoadModel};

use crate::event::Ev;
use crate::sim::{AlertRt, Ep, FaultRt, Simulation, CLIENTS, CONTROLLER};
use crate::world::{Addr, Kind, ProcessState, Role, SlotChecks, NONE};
use crate::SimError;

/// Most endpoints an unused edge fault's note names per end (the first ones seen).
pub const EDGE_PEERS_MAX: usize = 4;

/// One end of an edge fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EpSpec {
    /// Component (or the clients).
    pub comp: u16,
    /// One node, or `NONE` for any node of the component.
    pub node: u32,
}

impl EpSpec {
    #[inline]
    fn matches(&self, ep: Ep) -> bool {
        if self.comp != ep.comp {
            return false;
        }
        if self.node == CONTROLLER || ep.node == CONTROLLER {
            return self.node == ep.node;
        }
        self.node == NONE || self.node == ep.node
    }
}

/// What an edge fault does.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum EdgeKind {
    /// Added latency with uniform jitter.
    Latency { add_us: u64, jitter_us: u64 },
    /// A share of messages is lost.
    Loss(f64),
    /// Nothing passes (one way: only from `a` to `b`).
    Partition { one_way: bool },
}

/// A fault on the edge between two endpoints.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EdgeFault {
    pub a: EpSpec,
    pub b: EpSpec,
    pub kind: EdgeKind,
}

/// What a fault's target names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A whole component.
    Comp(u16),
    /// One node.
    Node(u16, u32),
}

impl Simulation {
    /// The delay a message from `from` to `to` suffers, or `None` when it is lost.
    #[inline(always)]
    pub(crate) fn edge_effect(&mut self, from: Ep, to: Ep) -> Option<u64> {
        // Most of a run has no edge fault active: keep that check at the call site.
        if self.edges.is_empty() {
            return Some(0);
        }
        self.edge_effect_of_faults(from, to)
    }

    #[inline(never)]
    fn edge_effect_of_faults(&mut self, from: Ep, to: Ep) -> Option<u64> {
        let mut delay = 0u64;
        for i in 0..self.edges.len() {
            let Some(forward) = self.count_on_edge(i, from, to) else {
                continue;
            };
            let lost = match self.edges[i].1.kind {
                EdgeKind::Partition { one_way } => forward || !one_way,
                EdgeKind::Loss(p) => self.rng.chance(p),
                EdgeKind::Latency { add_us, jitter_us } => {
                    let j = if jitter_us > 0 {
                        self.rng.below(2 * jitter_us + 1) as i64 - jitter_us as i64
                    } else {
                        0
                    };
                    delay += (add_us as i64 + j).max(0) as u64;
                    false
                }
            };
            if lost {
                // The later edge faults saw the message too (a second fault on the
                // same edge is not one that never applied), but draw nothing for it:
                // the random draws stay those of a run without the counting.
                for rest in i + 1..self.edges.len() {
                    self.count_on_edge(rest, from, to);
                }
                return None;
            }
        }
        Some(delay)
    }

    /// Counts a message from `from` to `to` against the edge fault `self.edges[i]`:
    /// `Some(forward)` when it goes between the fault's ends (`forward`: from `a` to
    /// `b`), else `None`, and while the fault has seen no message, whom its ends talk
    /// to instead.
    #[inline(always)]
    fn count_on_edge(&mut self, i: usize, from: Ep, to: Ep) -> Option<bool> {
        let (fault, e) = self.edges[i];
        let forward = e.a.matches(from) && e.b.matches(to);
        let backward = e.a.matches(to) && e.b.matches(from);
        let f = &mut self.faults[fault as usize];
        if forward || backward {
            f.edge_messages += 1;
            return Some(forward);
        }
        if f.edge_messages == 0 {
            self.note_edge_peers(fault as usize, e, from, to);
        }
        None
    }

    /// Remembers whom the ends of an edge fault that has seen no message exchange
    /// messages with: what its note names as the edges that do carry traffic.
    #[cold]
    #[inline(never)]
    fn note_edge_peers(&mut self, fault: usize, e: EdgeFault, from: Ep, to: Ep) {
        for (end, spec) in [e.a, e.b].into_iter().enumerate() {
            for (me, peer) in [(from, to), (to, from)] {
                // Messages inside one end (a database's nodes replicating) are no edge.
                if !spec.matches(me) || spec.matches(peer) {
                    continue;
                }
                // Another node of the end's own component, or a controller, is named
                // as a node; anything else as its component, as `between` names it.
                let peer = if peer.comp == spec.comp || peer.node == CONTROLLER {
                    peer
                } else {
                    Ep {
                        comp: peer.comp,
                        node: NONE,
                    }
                };
                let peers = &mut self.faults[fault].edge_peers[end];
                if peers.len() < EDGE_PEERS_MAX && !peers.contains(&peer) {
                    peers.push(peer);
                }
            }
        }
    }

    /// An endpoint as a fault's `between` would name it.
    fn ep_name(&self, ep: Ep) -> String {
        if ep.comp == CLIENTS {
            return "client".to_string();
        }
        let comp = &self.comps[ep.comp as usize].name;
        match ep.node {
            NONE => comp.clone(),
            CONTROLLER => format!("{comp}.controller"),
            n => self.node_name(n),
        }
    }

    /// The note of an edge fault that ends having applied to no message, `None` when
    /// it applied to some (or is no edge fault): such a fault changed nothing, and a
    /// run that passes would otherwise read as a design that survived it.
    fn unused_edge_note(&self, fi: usize) -> Option<String> {
        let f = &self.faults[fi];
        if f.edge.is_none() || f.edge_messages > 0 {
            return None;
        }
        let (_, between) = fault_target(&f.spec);
        let [a, b] = [&between[0], &between[1]];
        let peers: Vec<Vec<String>> = f
            .edge_peers
            .iter()
            .map(|p| p.iter().map(|&ep| self.ep_name(ep)).collect())
            .collect();
        let [pa, pb] = [&peers[0], &peers[1]];
        let why = if pa.is_empty() || pb.is_empty() {
            let silent = if pa.is_empty() { a } else { b };
            format!(
                "{silent} sent and received no message at all while it was active, so the fault may need to be at another time or between other components"
            )
        } else {
            format!(
                "in this design {a} and {b} do not exchange messages directly ({a} talks to {}; {b} to {}), so the fault may need to be between components that do, such as {a} and {}",
                pa.join(", "),
                pb.join(", "),
                pa[0]
            )
        };
        Some(format!(
            "no message went between {a} and {b} while the fault was active, so it changed nothing: {why}"
        ))
    }

    /// Resolves a target name (`api`, `api.2`, `db.primary`, `db.standby`,
    /// `db.controller`, `clients`) now.
    pub(crate) fn resolve_target(&self, text: &str) -> Result<(Target, bool), SimError> {
        if text == "clients" || text == "client" {
            return Ok((Target::Comp(CLIENTS), false));
        }
        if let Some(i) = self.comps.iter().position(|c| c.name == text) {
            return Ok((Target::Comp(i as u16), false));
        }
        let bad = || {
            SimError::Model(format!(
                "fault target `{text}`: not a component, `<component>.<instance number>`, `<db>.primary`, `<db>.standby` (or `<db>.replica`) or `<db>.controller` (components: {})",
                self.comps.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")
            ))
        };
        let (name, suffix) = text.rsplit_once('.').ok_or_else(bad)?;
        let c = self
            .comps
            .iter()
            .position(|c| c.name == name)
            .ok_or_else(bad)? as u16;
        let comp = &self.comps[c as usize];
        let node = match (suffix, &comp.kind) {
            ("controller", Kind::Db(_)) => return Ok((Target::Node(c, CONTROLLER), true)),
            ("primary", Kind::Db(d)) => d.primary,
            // `replica` is the live engine's word for the standby; validation accepts both.
            ("standby" | "replica", Kind::Db(_)) => comp
                .nodes
                .iter()
                .copied()
                .find(|&n| self.nodes[n as usize].role == Role::Standby)
                .ok_or_else(bad)?,
            (number, _) => {
                let i: usize = number.parse().map_err(|_| bad())?;
                *comp.nodes.get(i).ok_or_else(bad)?
            }
        };
        Ok((Target::Node(c, node), false))
    }

    fn ep_spec(&self, text: &str) -> Result<EpSpec, SimError> {
        Ok(match self.resolve_target(text)?.0 {
            Target::Comp(c) => EpSpec {
                comp: c,
                node: NONE,
            },
            Target::Node(c, n) => EpSpec { comp: c, node: n },
        })
    }

    pub(crate) fn init_faults_and_alerts(&mut self) -> Result<(), SimError> {
        let raw = self.exp.raw().clone();
        for (i, f) in raw.faults.iter().enumerate() {
            let target = fault_target(f);
            // Check names now so that a typo fails before the run, not at the fault.
            for t in target.1.iter().filter(|t| !t.starts_with("zone:")) {
                self.resolve_target(t)
                    .map_err(|e| SimError::Model(format!("faults[{i}]: {e}")))?;
            }
            let name = f
                .name
                .clone()
                .unwrap_or_else(|| format!("{} {}", target.0, target.1.join(" <-> ")));
            self.faults.push(FaultRt {
                spec: f.clone(),
                name,
                active: false,
                injected: false,
                scheduled: false,
                nodes: Vec::new(),
                lbs: Vec::new(),
                controllers: Vec::new(),
                silenced_dns: Vec::new(),
                edge: None,
                edge_messages: 0,
                edge_peers: [Vec::new(), Vec::new()],
                dns_before: None,
            });
        }
        for (i, rule) in raw.alerts.iter().enumerate() {
            let comp = self
                .comps
                .iter()
                .position(|c| c.name == rule.of)
                .ok_or_else(|| {
                    SimError::Model(format!("alerts[{i}].of: `{}` is not a component", rule.of))
                })?;
            // Only alert rules read a component's latency and error window: the others
            // need not count into one per request.
            self.comps[comp].watched |= matches!(
                rule.metric,
                AlertMetric::ErrorRate | AlertMetric::P99LatencyMs
            );
            self.alerts.push(AlertRt {
                rule: rule.clone(),
                comp: comp as u16,
                since_us: None,
                fired: false,
            });
        }
        Ok(())
    }

    pub(crate) fn schedule_faults(&mut self) {
        for i in 0..self.faults.len() {
            if let Some(at) = self.faults[i].spec.at {
                self.faults[i].scheduled = true;
                self.q.push(at.micros, Ev::Inject { fault: i as u32 });
            }
        }
    }

    /// Conditional faults on the load level.
    pub(crate) fn check_conditions(&mut self) {
        let level = self.profile.level_at(self.now);
        for i in 0..self.faults.len() {
            let f = &self.faults[i];
            if f.scheduled {
                continue;
            }
            let Some(when) = &f.spec.when else { continue };
            let holds = match self.model {
                LoadModel::Closed => when.users.is_some_and(|u| level >= f64::from(u)),
                LoadModel::Open => when.rate.is_some_and(|r| level >= r.per_s),
            };
            if holds {
                let delay = when.delay.map_or(0, |d| d.micros);
                self.faults[i].scheduled = true;
                self.q
                    .push(self.now + delay, Ev::Inject { fault: i as u32 });
            }
        }
    }

    /// Conditional faults on a signal.
    pub(crate) fn on_signal(&mut self, signal: &str) {
        for i in 0..self.faults.len() {
            let f = &self.faults[i];
            if f.scheduled {
                continue;
            }
            if let Some(when) = &f.spec.when {
                if when.signal.as_deref() == Some(signal) {
                    let delay = when.delay.map_or(0, |d| d.micros);
                    self.faults[i].scheduled = true;
                    self.q
                        .push(self.now + delay, Ev::Inject { fault: i as u32 });
                }
            }
        }
    }

    fn nodes_of(&self, target: Target) -> Vec<u32> {
        match target {
            Target::Comp(c) if c == CLIENTS => Vec::new(),
            Target::Comp(c) => self.comps[c as usize]
                .nodes
                .iter()
                .copied()
                .filter(|&n| self.nodes[n as usize].role != Role::Spare)
                .collect(),
            Target::Node(_, n) if n == CONTROLLER => Vec::new(),
            Target::Node(_, n) => vec![n],
        }
    }

    /// Injects a fault.
    pub(crate) fn inject(&mut self, i: u32) {
        let fi = i as usize;
        if self.faults[fi].injected || self.draining {
            return;
        }
        if self.first_fault_us.is_none() {
            if !self.admits_first_fault() {
                return;
            }
            self.first_fault_us = Some(self.now);
            self.mark(MarkerKind::PhaseEnd, "baseline", None, None);
            self.mark(MarkerKind::PhaseStart, "inject", None, None);
            if let Some(observe) = self.exp.raw().phases.observe {
                let end = self.now + observe.micros;
                if end < self.end_us {
                    self.end_us = end;
                    self.stop_us = end;
                    self.q.push(end, Ev::End);
                }
            }
        }
        self.faults[fi].injected = true;
        self.faults[fi].active = true;
        let spec = self.faults[fi].spec.clone();
        let (_, targets) = fault_target(&spec);
        let component = targets.join(" <-> ");
        let name = self.faults[fi].name.clone();
        self.mark(
            MarkerKind::FaultInjected,
            &format!("fault:{i}"),
            Some(&component),
            Some(name),
        );
        let resolved: Vec<Target> = targets
            .iter()
            .filter_map(|t| self.resolve_target(t).ok().map(|r| r.0))
            .collect();
        if spec.kill.is_some() {
            if let Some(&t) = resolved.first() {
                if let Target::Comp(c) = t {
                    self.stop_lb(fi, c, ProcessState::Dead);
                    self.silence_dns(fi, c);
                }
                if let Target::Node(db, CONTROLLER) = t {
                    self.stop_controller(fi, db, ProcessState::Dead);
                }
                for n in self.nodes_of(t) {
                    self.kill_with_spare(fi, n);
                }
            }
        } else if let Some(zone) = &spec.kill_zone {
            let z = self
                .zones
                .names
                .iter()
                .position(|name| name == zone)
                .map(|z| z as u16);
            if let Some(z) = z {
                for n in 0..self.nodes.len() as u32 {
                    if self.nodes[n as usize].zone == z && self.nodes[n as usize].alive {
                        self.kill_with_spare(fi, n);
                    }
                }
                for c in 0..self.comps.len() as u16 {
                    if let Kind::Lb(l) = &self.comps[c as usize].kind {
                        if !l.zones.is_empty() && l.zones.iter().all(|&lz| lz == z) {
                            self.stop_lb(fi, c, ProcessState::Dead);
                        }
                    }
                }
            }
        } else if spec.pause.is_some() {
            if let Some(&t) = resolved.first() {
                if let Target::Node(db, CONTROLLER) = t {
                    self.stop_controller(fi, db, ProcessState::Paused);
                }
                if let Target::Comp(c) = t {
                    self.stop_lb(fi, c, ProcessState::Paused);
                    self.silence_dns(fi, c);
                }
                for n in self.nodes_of(t) {
                    if self.nodes[n as usize].alive && !self.nodes[n as usize].paused {
                        self.nodes[n as usize].paused = true;
                        self.faults[fi].nodes.push(n);
                    }
                }
            }
        } else if let Some(l) = &spec.latency {
            self.add_edge(
                i,
                &l.between,
                EdgeKind::Latency {
                    add_us: l.add.micros,
                    jitter_us: l.jitter.map_or(0, |j| j.micros),
                },
            );
        } else if let Some(l) = &spec.loss {
            self.add_edge(i, &l.between, EdgeKind::Loss(l.rate.value));
        } else if let Some(p) = &spec.partition {
            self.add_edge(i, &p.between, EdgeKind::Partition { one_way: p.one_way });
        } else if let Some(cache) = &spec.flush_cache {
            if let Some(c) = self.comps.iter().position(|c| &c.name == cache) {
                if let Kind::Cache(cfg) = &mut self.comps[c].kind {
                    cfg.filled_keys = 0;
                }
            }
        } else if let Some(change) = &spec.dns_change {
            if let (Some(d), Ok((t, _))) = (
                self.comps.iter().position(|c| c.name == change.name),
                self.resolve_target(&change.to),
            ) {
                let addr = match t {
                    Target::Comp(c) => Addr {
                        comp: c,
                        node: NONE,
                    },
                    Target::Node(c, n) => Addr { comp: c, node: n },
                };
                if let Kind::Dns(cfg) = &mut self.comps[d].kind {
                    self.faults[fi].dns_before = Some((d as u16, cfg.record));
                    cfg.record = addr;
                }
                self.mark(
                    MarkerKind::DnsChange,
                    "dns",
                    Some(&change.name),
                    Some(format!("{} -> {}", change.name, change.to)),
                );
            }
        } else if spec.action.is_some() {
            self.mark(
                MarkerKind::Note,
                &format!("fault:{i}"),
                None,
                Some("`action` faults run only in the live engine; the simulator skips it".into()),
            );
        }
        if self.phase == "baseline" {
            self.mark(MarkerKind::PhaseEnd, "inject", None, None);
            self.mark(MarkerKind::PhaseStart, "observe", None, None);
            self.phase = "observe";
        }
        if let Some(d) = spec.duration {
            self.q.push(self.now + d.micros, Ev::Heal { fault: i });
        }
    }

    fn kill_with_spare(&mut self, fi: usize, n: u32) {
        if !self.nodes[n as usize].alive {
            return;
        }
        self.kill_node(n);
        self.faults[fi].nodes.push(n);
        let comp = self.nodes[n as usize].comp;
        if matches!(self.comps[comp as usize].kind, Kind::Service(_)) {
            self.start_spare(comp);
        }
    }

    /// Kills or pauses the failover controller of `db` for fault `fi`.
    fn stop_controller(&mut self, fi: usize, db: u16, state: ProcessState) {
        if let Kind::Db(d) = &mut self.comps[db as usize].kind {
            if d.controller.is_stopped_by(state) {
                d.controller = state;
                self.faults[fi].controllers.push(db);
            }
        }
    }

    /// Kills or pauses balancer `lb` (if it is one) for fault `fi`. A killed one
    /// resets the connections of every attempt it was carrying, held or passed on.
    fn stop_lb(&mut self, fi: usize, lb: u16, state: ProcessState) {
        let Kind::Lb(l) = &mut self.comps[lb as usize].kind else {
            return;
        };
        if !l.state.is_stopped_by(state) {
            return;
        }
        l.state = state;
        self.faults[fi].lbs.push(lb);
        if state == ProcessState::Dead {
            self.reset_lb_connections(lb);
        }
    }

    /// Takes down DNS component `c` (if it is one) for fault `fi`: a killed or paused
    /// DNS server alike answers no lookup.
    fn silence_dns(&mut self, fi: usize, c: u16) {
        if let Kind::Dns(d) = &mut self.comps[c as usize].kind {
            if !d.down {
                d.down = true;
                self.faults[fi].silenced_dns.push(c);
            }
        }
    }

    fn add_edge(&mut self, i: u32, between: &[String; 2], kind: EdgeKind) {
        if let (Ok(a), Ok(b)) = (self.ep_spec(&between[0]), self.ep_spec(&between[1])) {
            let e = EdgeFault { a, b, kind };
            self.faults[i as usize].edge = Some(e);
            self.edges.push((i, e));
        }
    }

    /// Heals a fault (at the end of its duration, or as the run's rollback).
    pub(crate) fn heal(&mut self, i: u32, rollback: bool) {
        let fi = i as usize;
        if !self.faults[fi].active {
            return;
        }
        self.faults[fi].active = false;
        let spec = self.faults[fi].spec.clone();
        if spec.pause.is_some() {
            for n in std::mem::take(&mut self.faults[fi].nodes) {
                self.resume_node(n);
            }
        } else {
            for n in std::mem::take(&mut self.faults[fi].nodes) {
                self.restart_node(n);
            }
        }
        // A pause healed under a kill leaves the balancer or the controller dead.
        let heals = if spec.pause.is_some() {
            ProcessState::Paused
        } else {
            ProcessState::Dead
        };
        for c in std::mem::take(&mut self.faults[fi].lbs) {
            if matches!(&self.comps[c as usize].kind, Kind::Lb(l) if l.state == heals) {
                if heals == ProcessState::Paused {
                    self.resume_lb(c);
                } else {
                    self.restart_lb(c);
                }
            }
        }
        for c in std::mem::take(&mut self.faults[fi].silenced_dns) {
            if let Kind::Dns(d) = &mut self.comps[c as usize].kind {
                d.down = false;
            }
        }
        // A restart forgets the counts of failed checks.
        for db in std::mem::take(&mut self.faults[fi].controllers) {
            if let Kind::Db(d) = &mut self.comps[db as usize].kind {
                if d.controller == heals {
                    if heals == ProcessState::Dead {
                        d.checks.iter_mut().for_each(SlotChecks::restart);
                    }
                    d.controller = ProcessState::Running;
                }
            }
        }
        self.edges.retain(|(f, _)| *f != i);
        if let Some((d, record)) = self.faults[fi].dns_before.take() {
            if let Kind::Dns(cfg) = &mut self.comps[d as usize].kind {
                cfg.record = record;
            }
        }
        let (_, targets) = fault_target(&spec);
        let detail = if rollback {
            "rolled back at the end of the run"
        } else {
            "healed"
        };
        let component = targets.join(" <-> ");
        self.mark(
            MarkerKind::FaultHealed,
            &format!("fault:{i}"),
            Some(&component),
            Some(detail.into()),
        );
        // A note's source is its signal as is (`mark`): `fault:<i>`, which no fault can
        // wait for (validation allows only `fault:<i>.injected` and `.healed`).
        if let Some(note) = self.unused_edge_note(fi) {
            self.mark(
                MarkerKind::Note,
                &format!("fault:{i}"),
                Some(&component),
                Some(note),
            );
        }
    }

    /// Evaluates every alert rule (each tick).
    pub(crate) fn evaluate_alerts(&mut self) {
        for a in 0..self.alerts.len() {
            let rule = &self.alerts[a].rule;
            let comp = self.alerts[a].comp as usize;
            let value = self.metric(comp, rule.metric);
            let holds =
                rule.below.is_some_and(|b| value < b) || rule.above.is_some_and(|b| value > b);
            let for_us = rule.for_duration.map_or(0, |d| d.micros);
            let alert = &mut self.alerts[a];
            if !holds {
                alert.since_us = None;
                alert.fired = false;
                continue;
            }
            let since = *alert.since_us.get_or_insert(self.now);
            if !alert.fired && self.now - since >= for_us {
                alert.fired = true;
                let name = alert.rule.name.clone();
                let detail = format!(
                    "{} of {} = {value:.3} for {}",
                    alert.rule.metric.name(),
                    self.comps[comp].name,
                    faultline_spec::Duration::from_micros(self.now - since)
                );
                let comp_name = self.comps[comp].name.clone();
                self.mark(
                    MarkerKind::Alert,
                    &format!("alert:{name}"),
                    Some(&comp_name),
                    Some(detail),
                );
            }
        }
    }

    /// The value of a metric of a component now.
    pub(crate) fn metric(&self, comp: usize, metric: AlertMetric) -> f64 {
        let c = &self.comps[comp];
        let serving = |n: u32| {
            let node = &self.nodes[n as usize];
            node.alive
                && !node.paused
                && !node.retired
                && self.now >= node.serving_from_us
                && !matches!(node.role, Role::Spare | Role::Fenced)
        };
        match metric {
            AlertMetric::HealthyNodes => match &c.kind {
                // What the balancer routes to, as a cloud balancer's healthy host count.
                Kind::Lb(l) if l.state != ProcessState::Running => 0.0,
                Kind::Lb(l) => self.lb_routable(l).count() as f64,
                _ => c.nodes.iter().filter(|&&n| serving(n)).count() as f64,
            },
            AlertMetric::ErrorRate => c.window.error_rate(),
            AlertMetric::P99LatencyMs => c.window.p99_ms(),
            AlertMetric::Utilization => {
                let (busy, cap) =
                    c.nodes
                        .iter()
                        .filter(|&&n| serving(n))
                        .fold((0u64, 0u64), |(b, k), &n| {
                            (
                                b + u64::from(self.nodes[n as usize].busy),
                                k + u64::from(self.nodes[n as usize].concurrency),
                            )
                        });
                if cap == 0 {
                    1.0
                } else {
                    busy as f64 / cap as f64
                }
            }
        }
    }
}

/// The action of a fault and the names it targets.
pub fn fault_target(f: &faultline_spec::Fault) -> (&'static str, Vec<String>) {
    if let Some(t) = &f.kill {
        ("kill", vec![t.clone()])
    } else if let Some(z) = &f.kill_zone {
        ("kill_zone", vec![format!("zone:{z}")])
    } else if let Some(t) = &f.pause {
        ("pause", vec![t.clone()])
    } else if let Some(l) = &f.latency {
        ("latency", l.between.to_vec())
    } else if let Some(l) = &f.loss {
        ("loss", l.between.to_vec())
    } else if let Some(p) = &f.partition {
        ("partition", p.between.to_vec())
    } else if let Some(c) = &f.flush_cache {
        ("flush_cache", vec![c.clone()])
    } else if let Some(d) = &f.dns_change {
        ("dns_change", vec![d.name.clone()])
    } else {
        ("action", Vec::new())
    }
}
