//! Checks of the designed architecture: names, references between components,
//! topology requirements, and dependency cycles.

use crate::diag::FieldPath;
use crate::floors;
use crate::model::{
    Component, Database, DatabaseTopology, PrimaryDiscovery, Service, Spares, WarmUp,
};
use crate::suggest::list;

use super::{Checker, Floor, INSTANCES, POOL_CONNECTIONS, RETRIES};

/// A health check interval below [`floors::HEALTH_CHECK_INTERVAL`].
const HEALTH_CHECK_INTERVAL: Floor = Floor {
    least: floors::HEALTH_CHECK_INTERVAL,
    why: "every instance is checked at each interval",
};

/// A database check period below [`floors::DATABASE_CHECK`].
const DATABASE_CHECK: Floor = Floor {
    least: floors::DATABASE_CHECK,
    why: "the simulator checks a database at most once a millisecond",
};

/// An autoscaler evaluation period below [`floors::AUTOSCALING_EVALUATION`].
const AUTOSCALING_EVALUATION: Floor = Floor {
    least: floors::AUTOSCALING_EVALUATION,
    why: "the simulator's autoscaler evaluates at most every 100ms",
};

/// A circuit breaker window below [`floors::BREAKER_WINDOW`].
const BREAKER_WINDOW: Floor = Floor {
    least: floors::BREAKER_WINDOW,
    why: "the simulator counts calls in ten sub-windows of at least 1us each",
};

pub(super) fn check(c: &mut Checker<'_>) {
    let base = FieldPath::root().key("architecture");
    if c.components().is_empty() {
        c.report(
            base.clone(),
            "the architecture needs at least one component (a `service`, `database`, ...)".into(),
        );
    }
    for (name, component) in c.components() {
        let path = base.key(name);
        if !valid_name(name) {
            let message = format!(
                "`{name}` is not a valid component name: use letters, digits, `-` and `_` \
                 (a dot separates instances and roles, as in `db.primary`)"
            );
            c.report_key(path.clone(), message);
        } else if RESERVED_NAMES.contains(&name.as_str()) {
            let message = format!(
                "`{name}` is reserved: it names the load generator's side (an edge's \
                 `between` end, the record's `client` series); name the component otherwise, \
                 e.g. `{name}-app`"
            );
            c.report_key(path.clone(), message);
        }
        match component {
            Component::Dns(dns) => {
                if dns.resolves_to == *name {
                    c.report(
                        path.key("resolves_to"),
                        "a DNS name cannot resolve to itself".into(),
                    );
                } else {
                    c.component_ref(path.key("resolves_to"), &dns.resolves_to, &[]);
                }
                match (&dns.clients_ignoring_ttl, &dns.ignore_for) {
                    (Some(_), None) => c.report(
                        path.key("ignore_for"),
                        "required with `clients_ignoring_ttl`: how long those clients keep the \
                         stale answer (e.g. `5m`)"
                            .into(),
                    ),
                    (None, Some(_)) => c.report(
                        path.key("clients_ignoring_ttl"),
                        "required with `ignore_for`: the share of clients that keep a stale \
                         answer (e.g. `10%`)"
                            .into(),
                    ),
                    _ => {}
                }
                if let Some(timeout) = dns.lookup_timeout {
                    c.positive(path.key("lookup_timeout"), timeout, "5s");
                }
            }
            Component::LoadBalancer(lb) => {
                c.component_ref(path.key("targets"), &lb.targets, &["service"]);
                if let Some(health) = &lb.health_check {
                    let hc = path.key("health_check");
                    c.period_at_least(
                        hc.key("interval"),
                        health.interval,
                        HEALTH_CHECK_INTERVAL,
                        "5s",
                    );
                    c.positive(hc.key("timeout"), health.timeout, "2s");
                    c.at_least_one(hc.key("unhealthy_after"), health.unhealthy_after.into());
                    c.at_least_one(hc.key("healthy_after"), health.healthy_after.into());
                }
            }
            Component::Service(service) => check_service(c, &path, name, service),
            Component::Database(db) => check_database(c, &path, name, db),
            Component::Cache(cache) => {
                if cache.backend == *name {
                    c.report(
                        path.key("backend"),
                        "a cache cannot be its own backend".into(),
                    );
                } else {
                    c.component_ref(path.key("backend"), &cache.backend, &[]);
                }
                c.at_least_one(path.key("capacity_keys"), cache.capacity_keys);
                c.at_least_one(path.key("concurrency"), cache.concurrency.into());
                c.distribution(path.key("hit_time"), &cache.hit_time);
            }
        }
    }
    check_cycles(c, &base);
}

/// No spares is a count of 0 (the same as none); many is bounded like instances.
fn check_spares(c: &mut Checker<'_>, path: &FieldPath, spares: Option<&Spares>) {
    if let Some(spares) = spares.filter(|s| s.count > 0) {
        c.count_within(
            path.key("spares").key("count"),
            spares.count.into(),
            INSTANCES,
        );
    }
}

/// A warm-up lasts some time and starts from at least the simulator's least share.
fn check_warm_up(c: &mut Checker<'_>, path: &FieldPath, warm_up: Option<&WarmUp>) {
    let Some(warm_up) = warm_up else {
        return;
    };
    let warm_up_path = path.key("warm_up");
    c.positive(warm_up_path.key("duration"), warm_up.duration, "30s");
    if let Some(initial) = warm_up.initial_capacity {
        c.share_at_least(
            warm_up_path.key("initial_capacity"),
            initial,
            floors::SHARE,
            "the simulator starts a warming instance at 1% of its capacity at the least",
        );
    }
}

/// Names that mean the load generator wherever a component name is taken.
const RESERVED_NAMES: [&str; 2] = ["client", "clients"];

/// Component names: letters, digits, `-` and `_`.
pub(super) fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_')
}

fn check_service(c: &mut Checker<'_>, path: &FieldPath, name: &str, service: &Service) {
    c.at_least_one(path.key("concurrency"), service.concurrency.into());
    c.distribution(path.key("service_time"), &service.service_time);
    match &service.autoscaling {
        None => c.count_within(path.key("instances"), service.instances.into(), INSTANCES),
        Some(scaling) => {
            let scaling_path = path.key("autoscaling");
            if scaling.min > scaling.max {
                let message = format!(
                    "min ({}) must not be more than max ({})",
                    scaling.min, scaling.max
                );
                c.report(scaling_path.key("min"), message);
            } else if service.instances < scaling.min || service.instances > scaling.max {
                let message = format!(
                    "{} instances at the start is outside the autoscaling range {}..={}",
                    service.instances, scaling.min, scaling.max
                );
                c.report(path.key("instances"), message);
            } else if service.instances == 0 {
                // `min: 0` lets the autoscaler scale in to none, but the simulator
                // starts every service with at least one instance.
                let message = "must be at least 1: a service starts with at least one \
                               instance (with `autoscaling.min: 0` it may scale in to none later)";
                c.report(path.key("instances"), message.into());
            }
            c.count_within(scaling_path.key("max"), scaling.max.into(), INSTANCES);
            c.period_at_least(
                scaling_path.key("evaluate_every"),
                scaling.evaluate_every,
                AUTOSCALING_EVALUATION,
                "10s",
            );
            c.share_at_least(
                scaling_path.key("target_utilization"),
                scaling.target_utilization,
                floors::SHARE,
                "the simulator's autoscaler aims at 1% at the least: it divides by its target",
            );
        }
    }
    check_spares(c, path, service.spares.as_ref());
    check_warm_up(c, path, service.warm_up.as_ref());
    if let Some(retries) = &service.retries {
        // `max: 0` means no retry, so only the most is bounded.
        c.count_at_most(
            path.key("retries").key("max"),
            u64::from(retries.max),
            RETRIES,
        );
    }
    if let Some(breaker) = &service.circuit_breaker {
        let breaker_path = path.key("circuit_breaker");
        c.period_at_least(
            breaker_path.key("window"),
            breaker.window,
            BREAKER_WINDOW,
            "10s",
        );
        c.at_least_one(breaker_path.key("min_calls"), breaker.min_calls.into());
    }
    for (i, call) in service.calls.iter().enumerate() {
        let call_path = path.key("calls").index(i).key("to");
        if call.to == name {
            c.report(call_path, "a service cannot call itself".into());
        } else {
            c.component_ref(call_path, &call.to, &[]);
        }
    }
    let targets: Vec<&str> = service.calls.iter().map(|call| call.to.as_str()).collect();
    for (dependency, pool) in &service.pools {
        let pool_path = path.key("pools").key(dependency);
        if !targets.contains(&dependency.as_str()) {
            let message = if targets.is_empty() {
                format!(
                    "no call goes to `{dependency}`: this service makes no calls, so it needs \
                     no pools (add `calls: [ {{ to: {dependency} }} ]` or remove the pool)"
                )
            } else {
                format!(
                    "no call goes to `{dependency}`: pools are keyed by the service's call \
                     targets, here {}",
                    list(targets.iter().copied())
                )
            };
            c.report_key(pool_path.clone(), message);
        }
        c.count_within(pool_path.key("size"), pool.size.into(), POOL_CONNECTIONS);
    }
}

fn check_database(c: &mut Checker<'_>, path: &FieldPath, name: &str, db: &Database) {
    c.at_least_one(path.key("concurrency"), db.concurrency.into());
    c.distribution(path.key("read_time"), &db.read_time);
    c.distribution(path.key("write_time"), &db.write_time);
    if let Some(replication) = &db.replication {
        c.distribution(path.key("replication").key("lag"), &replication.lag);
    }
    let topology = match db.topology {
        DatabaseTopology::Single => "single",
        DatabaseTopology::ActivePassive => "active_passive",
        DatabaseTopology::ActiveActive => "active_active",
        DatabaseTopology::NPlusOne => "n_plus_one",
    };
    let needs = |what: &str| format!("required with `topology: {topology}`: {what}");
    let not_for = |field: &str, only: &str| {
        format!("`{field}` applies only to {only}; remove it for `topology: {topology}`")
    };
    match db.topology {
        DatabaseTopology::ActivePassive => {
            if db.failover.is_none() {
                let message = needs(
                    "the failover controller that promotes the standby \
                     (`failover: { check_every: 1s, fail_after: 3, promote_in: 30s }`)",
                );
                c.report(path.key("failover"), message);
            }
            if db.replication.is_none() {
                let message = needs(
                    "how writes reach the standby \
                     (`replication: { mode: async, lag: { exponential: { mean: 200ms } } }`)",
                );
                c.report(path.key("replication"), message);
            }
        }
        DatabaseTopology::ActiveActive => {
            if db.replication.is_none() {
                let message = needs(
                    "how writes reach the other site \
                     (`replication: { mode: async, lag: { exponential: { mean: 50ms } } }`)",
                );
                c.report(path.key("replication"), message);
            }
        }
        DatabaseTopology::NPlusOne => match db.nodes {
            None => {
                let message = needs("the number of serving nodes (e.g. `nodes: 3`)");
                c.report(path.key("nodes"), message);
            }
            Some(nodes) => c.count_within(path.key("nodes"), nodes.into(), INSTANCES),
        },
        DatabaseTopology::Single => {
            if db.replication.is_some() {
                let message =
                    "a single database has nothing to replicate to: remove `replication`, \
                               or use `topology: active_passive` or `active_active`"
                        .to_string();
                c.report(path.key("replication"), message);
            }
        }
    }
    if db.nodes.is_some() && db.topology != DatabaseTopology::NPlusOne {
        c.report(
            path.key("nodes"),
            not_for("nodes", "`topology: n_plus_one`"),
        );
    }
    check_spares(c, path, db.spares.as_ref());
    check_warm_up(c, path, db.warm_up.as_ref());
    if db.spares.is_some() && db.topology != DatabaseTopology::NPlusOne {
        c.report(
            path.key("spares"),
            not_for("spares", "`topology: n_plus_one`"),
        );
    }
    if let Some(monitor) = &db.monitor {
        let monitor_path = path.key("monitor");
        if matches!(
            db.topology,
            DatabaseTopology::Single | DatabaseTopology::ActivePassive
        ) {
            let only = "`topology: active_active` or `n_plus_one` (active-passive uses `failover`)";
            c.report(monitor_path.clone(), not_for("monitor", only));
        }
        c.period_at_least(
            monitor_path.key("check_every"),
            monitor.check_every,
            DATABASE_CHECK,
            "1s",
        );
        c.at_least_one(monitor_path.key("fail_after"), monitor.fail_after.into());
        if let Some(timeout) = monitor.check_timeout {
            c.positive(monitor_path.key("check_timeout"), timeout, "500ms");
        }
    }
    let Some(failover) = &db.failover else {
        return;
    };
    let failover_path = path.key("failover");
    if matches!(
        db.topology,
        DatabaseTopology::Single | DatabaseTopology::NPlusOne
    ) {
        let only = "`topology: active_passive` or `active_active` (it moves traffic to the \
                    other node)";
        c.report(failover_path.clone(), not_for("failover", only));
    }
    c.period_at_least(
        failover_path.key("check_every"),
        failover.check_every,
        DATABASE_CHECK,
        "1s",
    );
    c.at_least_one(failover_path.key("fail_after"), failover.fail_after.into());
    if let Some(timeout) = failover.check_timeout {
        c.positive(failover_path.key("check_timeout"), timeout, "500ms");
    }
    match (failover.clients_find_primary_by, &failover.dns) {
        (PrimaryDiscovery::Dns, None) => {
            let dns_names: Vec<&str> = c
                .components()
                .iter()
                .filter(|(_, comp)| matches!(comp, Component::Dns(_)))
                .map(|(n, _)| n.as_str())
                .collect();
            let hint = if dns_names.is_empty() {
                "add a `kind: dns` component that resolves to this database".to_string()
            } else {
                format!("the dns components are {}", list(dns_names))
            };
            c.report(
                failover_path.key("dns"),
                format!(
                    "required with `clients_find_primary_by: dns`: the DNS component the \
                     controller repoints; {hint}"
                ),
            );
        }
        (PrimaryDiscovery::Dns, Some(dns)) => {
            if let Some(Component::Dns(record)) =
                c.component_ref(failover_path.key("dns"), dns, &["dns"])
            {
                if record.resolves_to != name {
                    let message = format!(
                        "`{dns}` resolves to `{}`, not to this database `{name}`; the \
                         controller repoints the record of this database",
                        record.resolves_to
                    );
                    c.report(failover_path.key("dns"), message);
                }
            }
        }
        (PrimaryDiscovery::Proxy, Some(_)) => c.report(
            failover_path.key("dns"),
            "used only with `clients_find_primary_by: dns`; remove it or set \
             `clients_find_primary_by: dns`"
                .into(),
        ),
        (PrimaryDiscovery::Proxy, None) => {}
    }
}

/// The components a component sends requests to.
fn dependencies(component: &Component) -> Vec<&str> {
    match component {
        Component::Dns(dns) => vec![dns.resolves_to.as_str()],
        Component::LoadBalancer(lb) => vec![lb.targets.as_str()],
        Component::Service(service) => service.calls.iter().map(|call| call.to.as_str()).collect(),
        Component::Database(_) => Vec::new(),
        Component::Cache(cache) => vec![cache.backend.as_str()],
    }
}

/// Reports each cycle of requests (a request would never finish), once.
fn check_cycles(c: &mut Checker<'_>, base: &FieldPath) {
    let components = c.components();
    // 0 = unvisited, 1 = on the current path, 2 = done.
    let mut state = vec![0u8; components.len()];
    for start in 0..components.len() {
        if state[start] != 0 {
            continue;
        }
        // Iterative depth-first search: (component index, next dependency to visit).
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        state[start] = 1;
        while let Some((index, next)) = stack.last().copied() {
            let deps = components
                .get_index(index)
                .map(|(_, comp)| dependencies(comp))
                .unwrap_or_default();
            match deps.get(next) {
                None => {
                    state[index] = 2;
                    stack.pop();
                }
                Some(dep) => {
                    if let Some(top) = stack.last_mut() {
                        top.1 += 1;
                    }
                    let Some(dep_index) = components.get_index_of(*dep) else {
                        continue;
                    };
                    if state[dep_index] == 1 {
                        let from = stack.iter().position(|(i, _)| *i == dep_index).unwrap_or(0);
                        let mut names: Vec<&str> = stack[from..]
                            .iter()
                            .filter_map(|(i, _)| components.get_index(*i).map(|(n, _)| n.as_str()))
                            .collect();
                        names.push(dep);
                        let name = components
                            .get_index(index)
                            .map(|(n, _)| n.clone())
                            .unwrap_or_default();
                        let message = format!(
                            "requests go round in a cycle: {}; a request would never finish",
                            names.join(" -> ")
                        );
                        c.report(base.key(&name), message);
                    } else if state[dep_index] == 0 {
                        state[dep_index] = 1;
                        stack.push((dep_index, 0));
                    }
                }
            }
        }
    }
}
