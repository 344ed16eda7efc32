//! Building a simulation from a validated experiment: components, nodes, connections.

use std::collections::VecDeque;

use faultline_spec::floors;
use faultline_spec::profile::Profile;
use faultline_spec::{Component, DatabaseTopology, Experiment, PrimaryDiscovery};

use crate::queue::EventQueue;
use crate::rng::{Sampler, SimRng};
use crate::sim::Simulation;
use crate::stats::Window;
use crate::world::*;
use crate::SimError;

fn dur_us(d: faultline_spec::Duration) -> u64 {
    d.micros
}

impl Simulation {
    /// Builds the simulation of `experiment` with `seed`. Nothing runs until
    /// [`Simulation::run_to_end`].
    pub fn new(experiment: &Experiment, seed: u64) -> Result<Self, SimError> {
        let exp = experiment.clone().with_seed(seed);
        let raw = exp.raw();
        let profile = Profile::new(&raw.workload.stages);
        let end_us = profile.total_us();
        if end_us == 0 {
            return Err(SimError::Model(
                "workload.stages: the stages last 0 s; give at least one `hold`, `ramp` or `spike`"
                    .into(),
            ));
        }
        let guard = crate::guardrail::Guard::new(&raw.guardrails, end_us);
        let end_us = guard.load_end_us();
        let guard = (raw.guardrails.max_error_rate.is_some()
            || raw.guardrails.max_p99_latency.is_some()
            || raw.guardrails.max_duration.is_some())
        .then_some(guard);
        let sessions = raw
            .workload
            .sessions
            .as_ref()
            .map(|s| crate::session::Sessions::new(s, raw.workload.keys.count.max(1)));
        let mut zones = Zones::default();
        let mut comps = Vec::new();
        let mut nodes: Vec<Node> = Vec::new();
        let names: Vec<&String> = raw.architecture.keys().collect();
        for (ci, (name, component)) in raw.architecture.iter().enumerate() {
            let ci = ci as u16;
            let mut comp_nodes = Vec::new();
            let mut deps = Vec::new();
            let mk_node = |nodes: &mut Vec<Node>,
                           ordinal: u32,
                           zone: u16,
                           conc: u32,
                           ql: Option<u32>,
                           alive: bool,
                           role: Role| {
                nodes.push(Node {
                    comp: ci,
                    ordinal,
                    zone,
                    alive,
                    incarnation: 0,
                    paused: false,
                    retired: false,
                    registered: true,
                    serving_from_us: 0,
                    warm_from_us: None,
                    concurrency: conc.max(1),
                    queue_limit: ql,
                    busy: 0,
                    queue: VecDeque::new(),
                    frozen: Vec::new(),
                    role,
                    store: None,
                    deps: Vec::new(),
                });
                (nodes.len() - 1) as u32
            };
            let kind = match component {
                Component::Dns(d) => {
                    let target = comp_index(&exp, &d.resolves_to)?;
                    Kind::Dns(DnsCfg {
                        record: Addr {
                            comp: target,
                            node: NONE,
                        },
                        ttl_us: dur_us(d.ttl),
                        ignoring_share: d.clients_ignoring_ttl.map_or(0.0, |f| f.value),
                        ignore_for_us: d.ignore_for.map_or(dur_us(d.ttl), dur_us),
                        down: false,
                        lookup_timeout_us: d.lookup_timeout.map_or(0, dur_us),
                    })
                }
                Component::LoadBalancer(l) => Kind::Lb(LbCfg {
                    target: comp_index(&exp, &l.targets)?,
                    algorithm: l.algorithm,
                    health: l.health_check.as_ref().map(|h| HealthCfg {
                        interval_us: dur_us(h.interval).max(floors::HEALTH_CHECK_INTERVAL.micros),
                        timeout_us: dur_us(h.timeout),
                        unhealthy_after: h.unhealthy_after.max(1),
                        healthy_after: h.healthy_after.max(1),
                    }),
                    zones: l.zones.iter().map(|z| zones.id(z)).collect(),
                    state: ProcessState::Running,
                    rr: 0,
                    // Filled when the run starts, once every component has its nodes.
                    instances: Vec::new(),
                    frozen: Vec::new(),
                    held: Vec::new(),
                }),
                Component::Service(s) => {
                    let zone_ids: Vec<u16> = s.zones.iter().map(|z| zones.id(z)).collect();
                    let spares = s.spares.as_ref().map_or(0, |sp| sp.count);
                    for i in 0..s.instances.max(1) {
                        let zone = if zone_ids.is_empty() {
                            NO_ZONE
                        } else {
                            zone_ids[i as usize % zone_ids.len()]
                        };
                        comp_nodes.push(mk_node(
                            &mut nodes,
                            i,
                            zone,
                            s.concurrency,
                            s.queue_limit,
                            true,
                            Role::Shard,
                        ));
                    }
                    for call in &s.calls {
                        let target = comp_index(&exp, &call.to)?;
                        let target_timeout = match &raw.architecture[target as usize] {
                            Component::Service(t) => t.timeout,
                            _ => None,
                        };
                        let pool = s.pools.get(&call.to).map(|p| PoolCfg {
                            size: p.size.max(1),
                            acquire_timeout_us: dur_us(p.acquire_timeout),
                            connect_us: p.connect_time.map_or(0, dur_us),
                        });
                        deps.push(Dep {
                            target,
                            on: call.on,
                            probability: call.probability.map_or(1.0, |p| p.value),
                            timeout_us: call
                                .timeout
                                .or(target_timeout)
                                .or(s.timeout)
                                .map_or(10_000_000, dur_us),
                            pool,
                        });
                    }
                    Kind::Service(SvcCfg {
                        service_time: Sampler::new(&s.service_time),
                        retries: s.retries.as_ref().map(|r| RetryCfg {
                            max: r.max,
                            backoff_us: dur_us(r.backoff),
                            jitter: r.jitter,
                            budget: r.budget.map(|b| b.value),
                        }),
                        breaker: s.circuit_breaker.as_ref().map(|b| BreakerCfg {
                            failure_ratio: b.failure_ratio.value,
                            window_us: dur_us(b.window).max(floors::BREAKER_WINDOW.micros),
                            min_calls: b.min_calls,
                            open_for_us: dur_us(b.open_for),
                        }),
                        cold_start_us: s.cold_start.map_or(0, dur_us),
                        warm: s.warm_up.as_ref().map(|w| WarmCfg {
                            duration_us: dur_us(w.duration).max(1),
                            initial: w
                                .initial_capacity
                                .map_or(0.2, |f| f.value)
                                .max(floors::SHARE.value),
                        }),
                        scale: s.autoscaling.as_ref().map(|a| ScaleCfg {
                            target: a.target_utilization.value.max(floors::SHARE.value),
                            min: a.min,
                            max: a.max.max(a.min),
                            every_us: dur_us(a.evaluate_every)
                                .max(floors::AUTOSCALING_EVALUATION.micros),
                            cooldown_us: dur_us(a.cooldown),
                            provisioning_us: dur_us(a.provisioning_delay),
                        }),
                        spares,
                        spare_start_us: s.spares.as_ref().map_or(0, |sp| dur_us(sp.start_in)),
                        zones: zone_ids,
                        concurrency: s.concurrency,
                        queue_limit: s.queue_limit,
                        last_scale_us: 0,
                        pending_starts: 0,
                        scale_area_us: 0,
                        scale_t_us: 0,
                        budget: WindowCounts::default(),
                    })
                }
                Component::Database(d) => {
                    let zone_ids: Vec<u16> = d.zones.iter().map(|z| zones.id(z)).collect();
                    let zone_of = |i: u32| {
                        if zone_ids.is_empty() {
                            NO_ZONE
                        } else {
                            zone_ids[i as usize % zone_ids.len()]
                        }
                    };
                    let (serving, spares) = match d.topology {
                        DatabaseTopology::Single => (1, 0),
                        DatabaseTopology::ActivePassive => (2, 0),
                        DatabaseTopology::ActiveActive => (2, 0),
                        DatabaseTopology::NPlusOne => (
                            d.nodes.unwrap_or(2).max(1),
                            d.spares.as_ref().map_or(0, |s| s.count),
                        ),
                    };
                    let mut slots = Vec::new();
                    for i in 0..serving + spares {
                        let role = match d.topology {
                            DatabaseTopology::Single => Role::Primary,
                            DatabaseTopology::ActivePassive => {
                                if i == 0 {
                                    Role::Primary
                                } else {
                                    Role::Standby
                                }
                            }
                            DatabaseTopology::ActiveActive => Role::Primary,
                            DatabaseTopology::NPlusOne => {
                                if i < serving {
                                    Role::Shard
                                } else {
                                    Role::Spare
                                }
                            }
                        };
                        let alive = role != Role::Spare;
                        let n = mk_node(
                            &mut nodes,
                            i,
                            zone_of(i),
                            d.concurrency,
                            d.queue_limit,
                            alive,
                            role,
                        );
                        nodes[n as usize].store = Some(crate::db::Store::default());
                        comp_nodes.push(n);
                        if matches!(role, Role::Shard)
                            || (d.topology == DatabaseTopology::ActiveActive)
                        {
                            slots.push(n);
                        }
                    }
                    if d.topology == DatabaseTopology::ActivePassive
                        || d.topology == DatabaseTopology::Single
                    {
                        slots.push(comp_nodes[0]);
                    }
                    let failover = match &d.failover {
                        Some(f) => Some(FailoverCfg {
                            check_us: dur_us(f.check_every).max(floors::DATABASE_CHECK.micros),
                            check_timeout_us: f.check_timeout.map_or(0, dur_us),
                            fail_after: f.fail_after.max(1),
                            promote_us: dur_us(f.promote_in),
                            fencing: f.fencing,
                            discovery: f.clients_find_primary_by,
                            dns: match (&f.dns, f.clients_find_primary_by) {
                                (Some(name), PrimaryDiscovery::Dns) => Some(comp_index(&exp, name)?),
                                (None, PrimaryDiscovery::Dns) => {
                                    return Err(SimError::Model(format!(
                                        "architecture.{name}.failover.dns: clients find the primary by DNS, so name the DNS component here (components: {})",
                                        names.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                                    )))
                                }
                                _ => None,
                            },
                        }),
                        None => d.monitor.as_ref().map(|m| FailoverCfg {
                            check_us: dur_us(m.check_every).max(floors::DATABASE_CHECK.micros),
                            check_timeout_us: m.check_timeout.map_or(0, dur_us),
                            fail_after: m.fail_after.max(1),
                            promote_us: 0,
                            fencing: false,
                            discovery: PrimaryDiscovery::Proxy,
                            dns: None,
                        }),
                    };
                    let n_slots = slots.len();
                    Kind::Db(DbCfg {
                        topology: d.topology,
                        read: Sampler::new(&d.read_time),
                        write: Sampler::new(&d.write_time),
                        replication: d
                            .replication
                            .as_ref()
                            .map(|r| (r.mode, Sampler::new(&r.lag))),
                        failover,
                        warm: d.warm_up.as_ref().map(|w| WarmCfg {
                            duration_us: dur_us(w.duration).max(1),
                            initial: w
                                .initial_capacity
                                .map_or(0.2, |f| f.value)
                                .max(floors::SHARE.value),
                        }),
                        primary: comp_nodes[0],
                        slots,
                        checks: vec![SlotChecks::default(); n_slots],
                        down: vec![false; n_slots],
                        promoting: false,
                        spare_start_us: d.spares.as_ref().map_or(0, |s| dur_us(s.start_in)),
                        conflicts: 0,
                        controller: ProcessState::Running,
                    })
                }
                Component::Cache(c) => {
                    let zone = c.zones.first().map_or(NO_ZONE, |z| zones.id(z));
                    comp_nodes.push(mk_node(
                        &mut nodes,
                        0,
                        zone,
                        c.concurrency,
                        None,
                        true,
                        Role::Shard,
                    ));
                    deps.push(Dep {
                        target: comp_index(&exp, &c.backend)?,
                        on: faultline_spec::CallOn::All,
                        probability: 1.0,
                        timeout_us: 1_000_000,
                        pool: None,
                    });
                    Kind::Cache(CacheCfg {
                        hit_ratio: c.hit_ratio.value,
                        capacity_keys: c.capacity_keys.max(1),
                        filled_keys: c.capacity_keys.max(1),
                        hit_time: Sampler::new(&c.hit_time),
                    })
                }
            };
            comps.push(Comp {
                name: name.clone(),
                kind,
                nodes: comp_nodes,
                deps,
                series: None,
                window: Window::default(),
                watched: false,
                little: Little::default(),
                rr: 0,
            });
        }
        // DNS records that point at an active-passive database resolve to its primary.
        for i in 0..comps.len() {
            if let Kind::Dns(d) = &comps[i].kind {
                let target = d.record.comp as usize;
                if let Kind::Db(db) = &comps[target].kind {
                    let primary = db.primary;
                    if let Kind::Dns(d) = &mut comps[i].kind {
                        d.record.node = primary;
                    }
                }
            }
        }
        let target = match &raw.workload.target {
            Some(t) => comp_index(&exp, t)?,
            None => default_target(&exp, &comps)?,
        };
        let mut sim = Self {
            now: 0,
            end_us,
            stop_us: end_us,
            draining: false,
            // The tick sweeps the queue's timeouts.
            q: EventQueue::with_sweep_us(faultline_record::BUCKET_US),
            rng: SimRng::new(seed, 0),
            comps,
            nodes,
            zones,
            jobs: Vec::new(),
            free_jobs: Vec::new(),
            calls: Vec::new(),
            free_calls: Vec::new(),
            users: Vec::new(),
            idle_users: Vec::new(),
            active_users: 0,
            in_flight_ops: 0,
            model: raw.workload.model,
            target,
            think: raw
                .workload
                .think_time
                .as_ref()
                .map(|t| Sampler::new(&t.distribution())),
            client_timeout_us: raw.workload.timeout.map_or(10_000_000, dur_us),
            write_share: raw.workload.mix.write.value,
            keys: crate::client::KeyDist::new(&raw.workload.keys),
            next_write_id: 1,
            open_rr: 0,
            segment_cache: (1, 0, 0.0, 0.0),
            gap_cache: (f64::NAN, 0.0),
            arrival_exact_us: 0.0,
            rec: None,
            client_series: None,
            client_window: Window::default(),
            repl: Vec::new(),
            free_repl: Vec::new(),
            faults: Vec::new(),
            edges: Vec::new(),
            alerts: Vec::new(),
            fired_signals: Vec::new(),
            first_fault_us: None,
            phase: "baseline",
            ticks: 0,
            ledger_db: None,
            written_keys: Vec::new(),
            trace: None,
            requests: 0,
            client_ops: 0,
            write_error: None,
            cands: Vec::new(),
            guard,
            steady: crate::steady::SteadyWatch::new(&exp),
            sessions,
            profile,
            exp,
        };
        sim.ledger_db = sim
            .comps
            .iter()
            .position(|c| matches!(c.kind, Kind::Db(_)))
            .map(|i| i as u16);
        sim.init_deps();
        sim.init_faults_and_alerts()?;
        Ok(sim)
    }
}

fn default_target(exp: &Experiment, comps: &[Comp]) -> Result<u16, SimError> {
    let mut called = vec![false; comps.len()];
    for c in comps {
        for d in &c.deps {
            called[d.target as usize] = true;
        }
        match &c.kind {
            Kind::Lb(l) => called[l.target as usize] = true,
            Kind::Dns(d) => called[d.record.comp as usize] = true,
            Kind::Db(d) => {
                if let Some(dns) = d.failover.as_ref().and_then(|f| f.dns) {
                    called[dns as usize] = true;
                }
            }
            _ => {}
        }
    }
    let roots: Vec<usize> = (0..comps.len()).filter(|&i| !called[i]).collect();
    match roots.as_slice() {
        [one] => Ok(*one as u16),
        _ => Err(SimError::Model(format!(
            "workload.target: give the component clients call; it cannot be guessed (components nothing calls: {})",
            roots.iter().map(|&i| exp.raw().architecture.get_index(i).map_or("?", |(k, _)| k.as_str())).collect::<Vec<_>>().join(", ")
        ))),
    }
}
