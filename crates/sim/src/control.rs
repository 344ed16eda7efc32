//! Control loops: load balancer health checks, failover controllers, replication,
//! spares and autoscaling.

use faultline_record::{FailureClass, MarkerKind};
use faultline_spec::signals::{FAILOVER, FAILOVER_ACTIVATE, FAILOVER_DETECT, HEALTH};
use faultline_spec::{DatabaseTopology, ReplicationMode};

use crate::db::{value_checksum, InFlight, Val};
use crate::event::Ev;
use crate::sim::{Ep, Simulation, CONTROLLER};
use crate::world::{InstanceHealth, Kind, Node, ProcessState, Role, NONE};

impl Simulation {
    /// Registers the instances of every balancer's target with it, and starts the
    /// health checks (staggered over the first interval).
    pub(crate) fn start_health_checks(&mut self) {
        for lb in 0..self.comps.len() {
            let Kind::Lb(l) = &self.comps[lb].kind else {
                continue;
            };
            let (nodes, health) = (self.comps[l.target as usize].nodes.clone(), l.health);
            if let Kind::Lb(l) = &mut self.comps[lb].kind {
                l.instances = vec![InstanceHealth::new(true); nodes.len()];
            }
            if let Some(h) = health {
                for n in nodes {
                    let offset = self.rng.below(h.interval_us);
                    self.q.push(
                        offset,
                        Ev::HealthCheck {
                            lb: lb as u16,
                            node: n,
                        },
                    );
                }
            }
        }
    }

    /// Registers a node that joined a service later with the service's balancers, and
    /// schedules their health checks of it.
    fn start_health_checks_of(&mut self, comp: u16, n: u32) {
        let ordinal = self.nodes[n as usize].ordinal as usize;
        for lb in 0..self.comps.len() {
            if let Kind::Lb(l) = &mut self.comps[lb].kind {
                if l.target == comp {
                    if l.instances.len() <= ordinal {
                        l.instances.resize(ordinal + 1, InstanceHealth::new(false));
                    }
                    // Without health checks the balancer routes to it at once (and a
                    // cold start refuses); with them, after `healthy_after` passes.
                    l.instances[ordinal] = InstanceHealth::new(l.health.is_none());
                    if let Some(h) = l.health {
                        self.q.push(
                            self.now + h.interval_us,
                            Ev::HealthCheck {
                                lb: lb as u16,
                                node: n,
                            },
                        );
                    }
                }
            }
        }
    }

    /// A load balancer checks one instance.
    pub(crate) fn health_check(&mut self, lb: u16, n: u32) {
        let Kind::Lb(l) = &self.comps[lb as usize].kind else {
            return;
        };
        let Some(h) = l.health else { return };
        let node = &self.nodes[n as usize];
        if node.retired {
            // Deregistered by a scale-in: no longer checked.
            return;
        }
        if l.state != ProcessState::Running {
            // A stopped balancer checks nothing; its schedule goes on for when it is back.
            self.q
                .push(self.now + h.interval_us, Ev::HealthCheck { lb, node: n });
            return;
        }
        // A dead instance (or one in its cold start) refuses at once; a paused one, or
        // one the network cuts off or delays past the timeout, says nothing, and the
        // balancer learns of the failure when the timeout expires.
        let refused = !node.alive || self.now < node.serving_from_us;
        let (ok, after_us) = if refused {
            (false, 0)
        } else if node.paused {
            (false, h.timeout_us)
        } else {
            let lb_ep = Ep {
                comp: lb,
                node: NONE,
            };
            let me = Ep {
                comp: node.comp,
                node: n,
            };
            match self
                .edge_effect(lb_ep, me)
                .and_then(|a| self.edge_effect(me, lb_ep).map(|b| a + b))
            {
                Some(delay) if delay < h.timeout_us => (true, delay),
                _ => (false, h.timeout_us),
            }
        };
        let Some(view) = self.lb_view(lb, n) else {
            return;
        };
        view.checks_sent += 1;
        let check = view.checks_sent;
        if after_us == 0 {
            self.health_verdict(lb, n, check, ok);
        } else {
            let verdict = Ev::HealthVerdict {
                lb,
                node: n,
                check,
                ok,
            };
            self.q.push(self.now + after_us, verdict);
        }
        self.q
            .push(self.now + h.interval_us, Ev::HealthCheck { lb, node: n });
    }

    /// Counts the outcome of health check number `check` of instance `n` by `lb`, and
    /// marks the instance down or up when its threshold is reached.
    pub(crate) fn health_verdict(&mut self, lb: u16, n: u32, check: u32, ok: bool) {
        let Kind::Lb(l) = &self.comps[lb as usize].kind else {
            return;
        };
        let Some(h) = l.health else { return };
        if l.state != ProcessState::Running || self.nodes[n as usize].retired {
            return;
        }
        let Some(view) = self.lb_view(lb, n) else {
            return;
        };
        if check <= view.latest_counted {
            return;
        }
        view.latest_counted = check;
        if ok {
            view.passes_in_a_row += 1;
            view.failures_in_a_row = 0;
        } else {
            view.failures_in_a_row += 1;
            view.passes_in_a_row = 0;
        }
        let (healthy, fails, oks) = (view.healthy, view.failures_in_a_row, view.passes_in_a_row);
        let goes_down = healthy && fails >= h.unhealthy_after;
        let goes_up = !healthy && oks >= h.healthy_after;
        if goes_down || goes_up {
            view.healthy = goes_up;
        }
        let lb_name = self.comps[lb as usize].name.clone();
        if healthy && !ok {
            self.decide(
                "lb.health.down",
                goes_down,
                f64::from(fails) - f64::from(h.unhealthy_after),
            );
        }
        if goes_down {
            let name = self.node_name(n);
            self.mark(
                MarkerKind::Health,
                &format!("{lb_name}.{HEALTH}"),
                Some(&name),
                Some("down".into()),
            );
            self.mark(
                MarkerKind::Detect,
                &format!("{lb_name}.{HEALTH}"),
                Some(&name),
                Some(format!(
                    "{lb_name} marked {name} down after {fails} failed checks"
                )),
            );
        } else if goes_up {
            let name = self.node_name(n);
            self.mark(
                MarkerKind::Health,
                &format!("{lb_name}.{HEALTH}"),
                Some(&name),
                Some("up".into()),
            );
        }
    }

    pub(crate) fn start_controllers(&mut self) {
        for db in 0..self.comps.len() {
            if let Kind::Db(d) = &self.comps[db].kind {
                if let Some(f) = &d.failover {
                    let offset = self.rng.below(f.check_us);
                    self.q.push(offset, Ev::ControllerCheck { db: db as u16 });
                }
            }
        }
    }

    /// How a check by the controller of `db` of node `n` ends: answered or failed, and
    /// after how long (0: at once). A dead node refuses at once; a paused one, or one
    /// the network cuts off or delays past `timeout_us`, says nothing, and the
    /// controller learns of the failure when the timeout expires. Without a timeout
    /// (`timeout_us` 0) every outcome counts when the check is sent.
    fn controller_probe(&mut self, db: u16, n: u32, timeout_us: u64) -> (bool, u64) {
        let node = &self.nodes[n as usize];
        if !node.alive {
            return (false, 0);
        }
        if node.paused {
            return (false, timeout_us);
        }
        let ctl = Ep {
            comp: db,
            node: CONTROLLER,
        };
        let me = Ep { comp: db, node: n };
        let round_trip_us = self
            .edge_effect(ctl, me)
            .and_then(|there| self.edge_effect(me, ctl).map(|back| there + back));
        match round_trip_us {
            Some(_) if timeout_us == 0 => (true, 0),
            Some(delay_us) if delay_us < timeout_us => (true, delay_us),
            _ => (false, timeout_us),
        }
    }

    /// A failover controller checks the nodes it watches.
    pub(crate) fn controller_check(&mut self, db: u16) {
        let Kind::Db(d) = &self.comps[db as usize].kind else {
            return;
        };
        let Some(f) = d.failover.clone() else { return };
        if d.controller != ProcessState::Running {
            // A stopped controller checks nothing; its clock goes on.
            self.q
                .push(self.now + f.check_us, Ev::ControllerCheck { db });
            return;
        }
        let slots = d.slots.clone();
        for (i, &n) in slots.iter().enumerate() {
            let (ok, after_us) = self.controller_probe(db, n, f.check_timeout_us);
            let Kind::Db(d) = &mut self.comps[db as usize].kind else {
                return;
            };
            d.checks[i].sent += 1;
            let check = d.checks[i].sent;
            let slot = i as u32;
            if after_us == 0 {
                self.controller_verdict(db, slot, check, ok);
            } else {
                let verdict = Ev::ControllerVerdict {
                    db,
                    slot,
                    check,
                    ok,
                };
                self.q.push(self.now + after_us, verdict);
            }
        }
        self.q
            .push(self.now + f.check_us, Ev::ControllerCheck { db });
    }

    /// Counts the outcome of check number `check` of the node in `slot` by the failover
    /// controller of `db`, and acts when its threshold is reached: detection, then a
    /// promotion (active-passive), moving a site's traffic (active-active) or a
    /// spare's takeover (N+1).
    pub(crate) fn controller_verdict(&mut self, db: u16, slot: u32, check: u32, ok: bool) {
        let Kind::Db(d) = &mut self.comps[db as usize].kind else {
            return;
        };
        let Some((fail_after, promote_us)) =
            d.failover.as_ref().map(|f| (f.fail_after, f.promote_us))
        else {
            return;
        };
        let i = slot as usize;
        // A stopped controller counts nothing; one restarted since ignores its old checks.
        if d.controller != ProcessState::Running || check <= d.checks[i].latest_counted {
            return;
        }
        d.checks[i].latest_counted = check;
        let topology = d.topology;
        let n = d.slots[i];
        if ok {
            d.checks[i].fails = 0;
            if d.down[i] && topology == DatabaseTopology::ActiveActive {
                d.down[i] = false;
                let name = self.comps[db as usize].name.clone();
                let node = self.node_name(n);
                self.mark(
                    MarkerKind::Health,
                    &format!("{name}.{FAILOVER}"),
                    Some(&node),
                    Some("up".into()),
                );
            }
            return;
        }
        d.checks[i].fails += 1;
        let fails = d.checks[i].fails;
        let busy = d.promoting || d.down[i];
        self.decide(
            "failover.detect",
            fails >= fail_after,
            f64::from(fails) - f64::from(fail_after),
        );
        if fails < fail_after || busy {
            return;
        }
        let name = self.comps[db as usize].name.clone();
        let node = self.node_name(n);
        self.mark(
            MarkerKind::Detect,
            &format!("{name}.{FAILOVER_DETECT}"),
            Some(&node),
            Some(format!("{fails} failed checks of {node}")),
        );
        match topology {
            DatabaseTopology::ActivePassive => {
                let standby = self.comps[db as usize].nodes.iter().copied().find(|&m| {
                    m != n
                        && self.nodes[m as usize].alive
                        && self.nodes[m as usize].role == Role::Standby
                });
                match standby {
                    Some(s) => {
                        if let Kind::Db(d) = &mut self.comps[db as usize].kind {
                            d.promoting = true;
                        }
                        self.q.push(
                            self.now + promote_us,
                            Ev::Promote {
                                db,
                                slot: i as u32,
                                node: s,
                            },
                        );
                    }
                    None => self.mark(
                        MarkerKind::Note,
                        &format!("{name}.{FAILOVER}"),
                        Some(&name),
                        Some("no standby to promote".into()),
                    ),
                }
            }
            DatabaseTopology::ActiveActive => {
                if let Kind::Db(d) = &mut self.comps[db as usize].kind {
                    d.down[i] = true;
                }
                self.mark(
                    MarkerKind::Activate,
                    &format!("{name}.{FAILOVER_ACTIVATE}"),
                    Some(&node),
                    Some(format!("traffic of {node} moved to the other site")),
                );
            }
            DatabaseTopology::NPlusOne => {
                let spare = self.comps[db as usize].nodes.iter().copied().find(|&m| {
                    self.nodes[m as usize].role == Role::Spare && !self.nodes[m as usize].alive
                });
                let Kind::Db(d) = &mut self.comps[db as usize].kind else {
                    return;
                };
                d.down[i] = true;
                let delay = d.spare_start_us;
                let target = match spare {
                    Some(s) => {
                        // Reserve it so that a second failure takes another one.
                        self.nodes[s as usize].role = Role::Standby;
                        s
                    }
                    None => {
                        // Rebalance the shard onto the next surviving serving node.
                        let slots = &d.slots;
                        let k = slots.len();
                        (1..k)
                            .map(|j| slots[(i + j) % k])
                            .find(|&m| self.nodes[m as usize].alive)
                            .unwrap_or(NONE)
                    }
                };
                if target != NONE {
                    self.q.push(
                        self.now + delay,
                        Ev::Promote {
                            db,
                            slot: i as u32,
                            node: target,
                        },
                    );
                }
            }
            DatabaseTopology::Single => {}
        }
    }

    /// A promotion (active-passive) or a takeover of a shard (N+1) completes.
    pub(crate) fn promote(&mut self, db: u16, slot: u32, n: u32) {
        let name = self.comps[db as usize].name.clone();
        let Kind::Db(d) = &mut self.comps[db as usize].kind else {
            return;
        };
        let Some(f) = d.failover.clone() else { return };
        let topology = d.topology;
        let node_name = self.node_name(n);
        match topology {
            DatabaseTopology::ActivePassive => {
                let Kind::Db(d) = &mut self.comps[db as usize].kind else {
                    return;
                };
                d.promoting = false;
                if !self.nodes[n as usize].alive || self.nodes[n as usize].role != Role::Standby {
                    return;
                }
                let old = d.primary;
                d.primary = n;
                d.slots[0] = n;
                d.checks[0].restart();
                self.nodes[n as usize].role = Role::Primary;
                if f.fencing {
                    self.nodes[old as usize].role = Role::Fenced;
                }
                let old_name = self.node_name(old);
                self.mark(
                    MarkerKind::RoleChange,
                    &format!("{name}.{FAILOVER}"),
                    Some(&node_name),
                    Some("standby -> primary".into()),
                );
                if f.fencing {
                    self.mark(
                        MarkerKind::RoleChange,
                        &format!("{name}.{FAILOVER}"),
                        Some(&old_name),
                        Some("primary -> fenced".into()),
                    );
                }
                self.mark(
                    MarkerKind::Activate,
                    &format!("{name}.{FAILOVER_ACTIVATE}"),
                    Some(&node_name),
                    Some(format!("{node_name} promoted")),
                );
                if let Some(dns) = f
                    .dns
                    .filter(|_| f.discovery == faultline_spec::PrimaryDiscovery::Dns)
                {
                    if let Kind::Dns(cfg) = &mut self.comps[dns as usize].kind {
                        cfg.record = crate::world::Addr { comp: db, node: n };
                    }
                    let dns_name = self.comps[dns as usize].name.clone();
                    self.mark(
                        MarkerKind::DnsChange,
                        "dns",
                        Some(&dns_name),
                        Some(format!("{dns_name} -> {node_name}")),
                    );
                    self.mark(
                        MarkerKind::Activate,
                        "dns",
                        Some(&dns_name),
                        Some(format!("{dns_name} -> {node_name}")),
                    );
                }
            }
            DatabaseTopology::NPlusOne => {
                let Kind::Db(d) = &mut self.comps[db as usize].kind else {
                    return;
                };
                let old = d.slots[slot as usize];
                d.slots[slot as usize] = n;
                d.checks[slot as usize].restart();
                d.down[slot as usize] = false;
                let warm = d.warm.is_some();
                let from_spare = !self.nodes[n as usize].alive;
                let moved = self.nodes[old as usize].store.clone().unwrap_or_default();
                let node = &mut self.nodes[n as usize];
                if from_spare {
                    node.alive = true;
                    node.role = Role::Shard;
                    node.incarnation += 1;
                    if warm {
                        node.warm_from_us = Some(self.now);
                    }
                }
                let store = node.store.get_or_insert_with(Default::default);
                for (k, v) in moved.map {
                    store
                        .map
                        .entry(k)
                        .and_modify(|e| {
                            if v.id > e.id {
                                *e = v
                            }
                        })
                        .or_insert(v);
                }
                let how = if from_spare {
                    "spare took over the shard"
                } else {
                    "shard rebalanced onto a surviving node"
                };
                self.mark(
                    MarkerKind::RoleChange,
                    &format!("{name}.{FAILOVER}"),
                    Some(&node_name),
                    Some(format!("{how} of {}", self.node_name(old))),
                );
                self.mark(
                    MarkerKind::Activate,
                    &format!("{name}.{FAILOVER_ACTIVATE}"),
                    Some(&node_name),
                    Some(how.into()),
                );
            }
            _ => {}
        }
    }

    /// Applies a write at node `n` of `db` and ships it to the replicas. Returns the
    /// extra time before the acknowledgement (synchronous replication).
    pub(crate) fn apply_write(&mut self, db: u16, n: u32, key: u64, id: u64) -> u64 {
        let val = Val {
            id,
            checksum: value_checksum(id, key),
            t_us: self.now,
            origin: n,
        };
        if let Some(store) = &mut self.nodes[n as usize].store {
            store.map.insert(key, val);
        }
        let Kind::Db(d) = &self.comps[db as usize].kind else {
            return 0;
        };
        let Some((mode, lag)) = d.replication else {
            return 0;
        };
        let topology = d.topology;
        let mut extra = 0;
        let members = std::mem::take(&mut self.comps[db as usize].nodes);
        for &m in &members {
            if m == n {
                continue;
            }
            let role = self.nodes[m as usize].role;
            let is_replica = match topology {
                DatabaseTopology::ActivePassive => role == Role::Standby,
                DatabaseTopology::ActiveActive => true,
                _ => false,
            };
            if !is_replica {
                continue;
            }
            let lag_us = lag.sample_us(&mut self.rng);
            let flight = InFlight {
                from: n,
                from_incarnation: self.nodes[n as usize].incarnation,
                to: m,
                key,
                val,
            };
            match mode {
                ReplicationMode::Sync => {
                    extra = extra.max(lag_us);
                    self.deliver_replica(flight);
                }
                ReplicationMode::Async => {
                    let idx = match self.free_repl.pop() {
                        Some(i) => {
                            self.repl[i as usize] = flight;
                            i
                        }
                        None => {
                            self.repl.push(flight);
                            (self.repl.len() - 1) as u32
                        }
                    };
                    self.q.push(self.now + lag_us, Ev::Replicate { idx });
                }
            }
        }
        self.comps[db as usize].nodes = members;
        extra
    }

    /// An asynchronously replicated write arrives (if its sender shipped it).
    pub(crate) fn replicate(&mut self, idx: u32) {
        let flight = self.repl[idx as usize];
        self.free_repl.push(idx);
        let from = &self.nodes[flight.from as usize];
        // A sender that died (or restarted) before the lag elapsed never shipped it.
        if !from.alive || from.incarnation != flight.from_incarnation {
            return;
        }
        self.deliver_replica(flight);
    }

    fn deliver_replica(&mut self, flight: InFlight) {
        let to = flight.to as usize;
        if !self.nodes[to].alive {
            return;
        }
        let comp = self.nodes[to].comp;
        let (a, b) = (
            Ep {
                comp,
                node: flight.from,
            },
            Ep {
                comp,
                node: flight.to,
            },
        );
        if self.edge_effect(a, b).is_none() {
            return;
        }
        let topology = match &self.comps[comp as usize].kind {
            Kind::Db(d) => d.topology,
            _ => return,
        };
        let role = self.nodes[to].role;
        let Some(store) = &mut self.nodes[to].store else {
            return;
        };
        match topology {
            DatabaseTopology::ActivePassive => {
                if role != Role::Standby {
                    return;
                }
                let newer = store
                    .map
                    .get(&flight.key)
                    .is_none_or(|e| flight.val.id > e.id);
                if newer {
                    store.map.insert(flight.key, flight.val);
                }
            }
            DatabaseTopology::ActiveActive => {
                let mut conflict = false;
                match store.map.get(&flight.key) {
                    Some(e) if e.newer_than(&flight.val) => {
                        // A local write the sender had not seen: concurrent.
                        conflict = e.origin == flight.to;
                    }
                    _ => {
                        store.map.insert(flight.key, flight.val);
                    }
                }
                if conflict {
                    if let Kind::Db(d) = &mut self.comps[comp as usize].kind {
                        d.conflicts += 1;
                    }
                }
            }
            _ => {}
        }
    }

    /// The node verification reads `key` from at the end.
    pub(crate) fn final_node_for(&self, db: u16, key: u64) -> Option<u32> {
        let Kind::Db(d) = &self.comps[db as usize].kind else {
            return None;
        };
        let alive = |n: u32| self.nodes[n as usize].alive;
        match d.topology {
            DatabaseTopology::Single | DatabaseTopology::ActivePassive => Some(d.primary),
            DatabaseTopology::ActiveActive => d
                .slots
                .iter()
                .copied()
                .find(|&n| alive(n))
                .or(d.slots.first().copied()),
            DatabaseTopology::NPlusOne => Some(d.slots[crate::db::shard_of(key, d.slots.len())]),
        }
    }

    /// Adds a (not yet started) instance to a service.
    pub(crate) fn add_service_node(&mut self, comp: u16) -> u32 {
        let Kind::Service(s) = &self.comps[comp as usize].kind else {
            return NONE;
        };
        let ordinal = self.comps[comp as usize].nodes.len() as u32;
        let zone = if s.zones.is_empty() {
            crate::world::NO_ZONE
        } else {
            s.zones[ordinal as usize % s.zones.len()]
        };
        self.nodes.push(Node {
            comp,
            ordinal,
            zone,
            alive: false,
            incarnation: 0,
            paused: false,
            retired: false,
            // Not routed to until it starts (see `instance_start`).
            registered: false,
            serving_from_us: u64::MAX,
            warm_from_us: None,
            concurrency: s.concurrency.max(1),
            queue_limit: s.queue_limit,
            busy: 0,
            queue: Default::default(),
            frozen: Vec::new(),
            role: Role::Shard,
            store: None,
            deps: Vec::new(),
        });
        let n = (self.nodes.len() - 1) as u32;
        self.comps[comp as usize].nodes.push(n);
        self.init_node_deps(n);
        n
    }

    /// A service instance starts: cold start, then warm-up.
    pub(crate) fn instance_start(&mut self, comp: u16, n: u32) {
        let Kind::Service(s) = &mut self.comps[comp as usize].kind else {
            return;
        };
        s.pending_starts = s.pending_starts.saturating_sub(1);
        let (cold, warm) = (s.cold_start_us, s.warm.is_some());
        let node = &mut self.nodes[n as usize];
        node.alive = true;
        node.registered = true;
        node.serving_from_us = self.now + cold;
        node.warm_from_us = warm.then_some(self.now + cold);
        let name = self.node_name(n);
        self.mark(
            MarkerKind::Note,
            "instance.start",
            Some(&name),
            Some(format!(
                "starting; serves after a cold start of {} ms",
                cold / 1000
            )),
        );
        self.start_health_checks_of(comp, n);
    }

    /// Restarts a node that a fault had killed.
    pub(crate) fn restart_node(&mut self, n: u32) {
        if self.nodes[n as usize].alive {
            return;
        }
        let comp = self.nodes[n as usize].comp;
        match &self.comps[comp as usize].kind {
            Kind::Service(s) => {
                let (cold, warm) = (s.cold_start_us, s.warm.is_some());
                let node = &mut self.nodes[n as usize];
                node.alive = true;
                node.serving_from_us = self.now + cold;
                node.warm_from_us = warm.then_some(self.now + cold);
                self.start_health_checks_of_existing(comp, n);
            }
            Kind::Db(d) => {
                let primary = d.primary;
                let topology = d.topology;
                let in_slot = d.slots.contains(&n);
                let node = &mut self.nodes[n as usize];
                match topology {
                    DatabaseTopology::ActivePassive => {
                        node.alive = true;
                        if primary != n {
                            // Rejoins as a standby after a full resync from the primary.
                            node.role = Role::Standby;
                            let copy = self.nodes[primary as usize].store.clone();
                            self.nodes[n as usize].store = copy;
                        }
                    }
                    DatabaseTopology::NPlusOne if !in_slot => {
                        node.role = Role::Spare;
                    }
                    DatabaseTopology::ActiveActive => {
                        // The returning site catches up from the others (last writer wins).
                        node.alive = true;
                        let others: Vec<u32> = self.comps[comp as usize]
                            .nodes
                            .iter()
                            .copied()
                            .filter(|&m| m != n && self.nodes[m as usize].alive)
                            .collect();
                        for m in others {
                            let theirs = self.nodes[m as usize].store.clone().unwrap_or_default();
                            let mine = self.nodes[n as usize]
                                .store
                                .get_or_insert_with(Default::default);
                            for (k, v) in theirs.map {
                                mine.map
                                    .entry(k)
                                    .and_modify(|e| {
                                        if v.newer_than(e) {
                                            *e = v
                                        }
                                    })
                                    .or_insert(v);
                            }
                        }
                    }
                    _ => node.alive = true,
                }
            }
            Kind::Cache(c) => {
                let _ = c;
                self.nodes[n as usize].alive = true;
                if let Kind::Cache(c) = &mut self.comps[comp as usize].kind {
                    c.filled_keys = 0;
                }
            }
            _ => {}
        }
    }

    /// A restarted instance must pass health checks again (their checks keep running).
    fn start_health_checks_of_existing(&mut self, comp: u16, n: u32) {
        let ordinal = self.nodes[n as usize].ordinal as usize;
        for c in &mut self.comps {
            if let Kind::Lb(l) = &mut c.kind {
                if l.target == comp && l.health.is_some() {
                    if let Some(view) = l.instances.get_mut(ordinal) {
                        view.healthy = false;
                        view.passes_in_a_row = 0;
                    }
                }
            }
        }
    }

    /// A killed balancer starts again knowing nothing of its instances: as at the start
    /// of the run, it routes to every started one until its checks mark one down, and
    /// ignores the outcomes of checks it sent before it died.
    pub(crate) fn restart_lb(&mut self, lb: u16) {
        if let Kind::Lb(l) = &mut self.comps[lb as usize].kind {
            l.state = ProcessState::Running;
            for view in &mut l.instances {
                *view = InstanceHealth {
                    latest_counted: view.checks_sent,
                    checks_sent: view.checks_sent,
                    ..InstanceHealth::new(true)
                };
            }
        }
    }

    /// A paused balancer resumes: the answers it held go on to their callers, then
    /// the requests it held to its instances; its view of them is where it was.
    pub(crate) fn resume_lb(&mut self, lb: u16) {
        let Kind::Lb(l) = &mut self.comps[lb as usize].kind else {
            return;
        };
        l.state = ProcessState::Running;
        let (answers, requests) = (std::mem::take(&mut l.frozen), std::mem::take(&mut l.held));
        for ev in answers {
            self.thaw(ev);
        }
        for (call, gen, attempt) in requests {
            if self.calls[call as usize].awaits(gen, attempt) {
                self.forward(call);
            }
        }
    }

    /// A balancer died: the connections of the attempts it carried are reset, those
    /// it held while paused and those it had passed on; the answers it held are lost.
    /// Each caller learns of it at once, unless the edge between them loses the reset
    /// (a partition): that attempt then times out. An added latency on that edge does
    /// not delay the reset.
    pub(crate) fn reset_lb_connections(&mut self, lb: u16) {
        let Kind::Lb(l) = &mut self.comps[lb as usize].kind else {
            return;
        };
        l.frozen.clear();
        let mut attempts = std::mem::take(&mut l.held);
        attempts.extend(
            self.calls
                .iter()
                .enumerate()
                .filter(|(_, c)| c.lb == lb && c.awaits(c.gen, c.attempt))
                .map(|(call, c)| (call as u32, c.gen, c.attempt)),
        );
        let lb_ep = Ep {
            comp: lb,
            node: NONE,
        };
        for (call, gen, attempt) in attempts {
            let c = &self.calls[call as usize];
            if !c.awaits(gen, attempt) {
                continue;
            }
            let caller = self.caller_ep(c.caller);
            if self.edge_effect(lb_ep, caller).is_some() {
                // Off the balancer, so that the reset is not taken for an answer
                // through it (which a dead balancer drops).
                self.calls[call as usize].lb = u16::MAX;
                self.answered(call, gen, attempt, Err(FailureClass::Reset));
            }
        }
    }

    /// Balancer `lb`'s view of instance `n` of its target.
    fn lb_view(&mut self, lb: u16, n: u32) -> Option<&mut InstanceHealth> {
        let ordinal = self.nodes[n as usize].ordinal as usize;
        match &mut self.comps[lb as usize].kind {
            Kind::Lb(l) => l.instances.get_mut(ordinal),
            _ => None,
        }
    }

    /// Starts a spare for a lost service instance, if any is left.
    pub(crate) fn start_spare(&mut self, comp: u16) {
        let Kind::Service(s) = &mut self.comps[comp as usize].kind else {
            return;
        };
        if s.spares == 0 {
            return;
        }
        s.spares -= 1;
        s.pending_starts += 1;
        let delay = s.spare_start_us;
        let n = self.add_service_node(comp);
        self.q
            .push(self.now + delay, Ev::InstanceStart { comp, node: n });
    }

    pub(crate) fn start_autoscalers(&mut self) {
        for c in 0..self.comps.len() {
            if let Kind::Service(s) = &self.comps[c].kind {
                if let Some(a) = s.scale {
                    self.q.push(a.every_us, Ev::Autoscale { comp: c as u16 });
                }
            }
        }
    }

    /// Target tracking: sizes the service so that utilisation meets the target.
    pub(crate) fn autoscale(&mut self, comp: u16) {
        let now = self.now;
        let nodes = self.comps[comp as usize].nodes.clone();
        let serving: Vec<u32> = nodes
            .iter()
            .copied()
            .filter(|&n| {
                let node = &self.nodes[n as usize];
                node.alive && !node.retired && now >= node.serving_from_us
            })
            .collect();
        self.comps[comp as usize].little.advance(now);
        let busy_area_us = self.comps[comp as usize].little.busy_area_us();
        let Kind::Service(s) = &mut self.comps[comp as usize].kind else {
            return;
        };
        let Some(a) = s.scale else { return };
        // Mean busy slots over the period since the last evaluation.
        let period_us = now.saturating_sub(s.scale_t_us).max(1) as f64;
        let busy = (busy_area_us - s.scale_area_us) as f64 / period_us;
        s.scale_area_us = busy_area_us;
        s.scale_t_us = now;
        let capacity = serving.len() as f64 * f64::from(s.concurrency.max(1));
        let util = if capacity > 0.0 {
            (busy / capacity).min(1.0)
        } else {
            1.0
        };
        let current = serving.len() as u32 + s.pending_starts;
        let desired = ((serving.len() as f64 * util / a.target).ceil() as u32).clamp(a.min, a.max);
        let cooled = s.last_scale_us == 0 || now >= s.last_scale_us + a.cooldown_us;
        let pending = s.pending_starts;
        let name = self.comps[comp as usize].name.clone();
        self.decide(
            "autoscale.out",
            desired > current && cooled,
            util - a.target,
        );
        if desired > current && cooled {
            if let Kind::Service(s) = &mut self.comps[comp as usize].kind {
                s.last_scale_us = now;
                s.pending_starts += desired - current;
            }
            for _ in 0..desired - current {
                let n = self.add_service_node(comp);
                self.q
                    .push(now + a.provisioning_us, Ev::InstanceStart { comp, node: n });
            }
            self.mark(
                MarkerKind::Note,
                "autoscaler",
                Some(&name),
                Some(format!(
                    "scale out {current} -> {desired} (utilisation {:.0}%)",
                    util * 100.0
                )),
            );
        } else if desired < current && cooled && pending == 0 {
            if let Kind::Service(s) = &mut self.comps[comp as usize].kind {
                s.last_scale_us = now;
            }
            for &n in serving.iter().rev().take((current - desired) as usize) {
                self.nodes[n as usize].retired = true;
            }
            self.mark(
                MarkerKind::Note,
                "autoscaler",
                Some(&name),
                Some(format!(
                    "scale in {current} -> {desired} (utilisation {:.0}%)",
                    util * 100.0
                )),
            );
        }
        self.q.push(now + a.every_us, Ev::Autoscale { comp });
    }
}
