//! Checks of the faults: one action and one start each, timing against the stages,
//! reachable conditions, and targets (components, nodes, roles, zones, edges).

use crate::diag::FieldPath;
use crate::model::{Component, DatabaseTopology, Fault, LoadLevel, LoadModel, Stage};
use crate::signals::SignalUse;
use crate::suggest::{did_you_mean, list};
use crate::units::Duration;

use super::names::{check_action, check_signal_name, fault_signal};
use super::{stages_total, unknown_component, Checker};

/// The database roles a fault target may name after the dot (`replica` is the standby,
/// as Redis and PostgreSQL call it).
const ROLES: [&str; 4] = ["primary", "standby", "replica", "controller"];

pub(super) fn check(c: &mut Checker<'_>) {
    let base = FieldPath::root().key("faults");
    let end = stages_total(c.raw);
    for (i, fault) in c.raw.faults.iter().enumerate() {
        check_fault(c, &base.index(i), fault, end);
    }
    check_waits(c, &base);
}

/// The fault a fault's `when: { signal: fault:<index>... }` waits for, if any.
fn awaited_fault(fault: &Fault) -> Option<usize> {
    let signal = fault.when.as_ref()?.signal.as_deref()?;
    fault_signal(signal).map(|(index, _event)| index)
}

/// Faults that wait, through their `fault:<index>` signals, for themselves (each of them
/// waits for a fault that can only start after it), and faults that wait for one of
/// those: none of them ever starts.
fn check_waits(c: &mut Checker<'_>, base: &FieldPath) {
    let faults = &c.raw.faults;
    // The chain of waits from a fault, itself first: it ends, leaves the faults (an
    // index `check_signal_name` reports), or loops (then it stops at the first repeat).
    let chain_from = |start: usize| {
        let mut chain = vec![start];
        while let Some(i) = awaited_fault(&faults[*chain.last().unwrap_or(&start)])
            .filter(|&i| i < faults.len() && !chain.contains(&i))
        {
            chain.push(i);
        }
        let repeat = chain
            .last()
            .and_then(|&i| awaited_fault(&faults[i]))
            .filter(|i| chain.contains(i));
        (chain, repeat)
    };
    let mut problems = Vec::new();
    for start in 0..faults.len() {
        let (chain, repeat) = chain_from(start);
        let message = match repeat {
            None => continue,
            Some(_) if chain.len() == 1 => {
                "the fault waits for its own signal: it would never start".to_string()
            }
            Some(first) if first == start => {
                let cycle: Vec<String> = chain
                    .iter()
                    .chain([&start])
                    .map(|i| format!("faults[{i}]"))
                    .collect();
                format!(
                    "the faults wait for each other ({}): none of them would ever start",
                    cycle.join(" waits for ")
                )
            }
            Some(_) => format!(
                "the fault waits for faults[{}], which never starts: it would never start \
                 either",
                chain[1]
            ),
        };
        problems.push((base.index(start).key("when").key("signal"), message));
    }
    for (path, message) in problems {
        c.report(path, message);
    }
}

fn check_fault(c: &mut Checker<'_>, path: &FieldPath, fault: &Fault, end: Duration) {
    let actions: Vec<&str> = [
        ("kill", fault.kill.is_some()),
        ("kill_zone", fault.kill_zone.is_some()),
        ("pause", fault.pause.is_some()),
        ("latency", fault.latency.is_some()),
        ("loss", fault.loss.is_some()),
        ("partition", fault.partition.is_some()),
        ("flush_cache", fault.flush_cache.is_some()),
        ("dns_change", fault.dns_change.is_some()),
        ("action", fault.action.is_some()),
    ]
    .into_iter()
    .filter(|(_, given)| *given)
    .map(|(name, _)| name)
    .collect();
    match actions.len() {
        0 => c.report(
            path.clone(),
            "a fault needs exactly one action: `kill`, `kill_zone`, `pause`, `latency`, \
             `loss`, `partition`, `flush_cache`, `dns_change` or `action`"
                .into(),
        ),
        1 => {}
        _ => c.report(
            path.clone(),
            format!(
                "a fault has exactly one action; this one has {}: write one fault each (they \
                 may share the same `at`)",
                list(actions.iter().copied())
            ),
        ),
    }
    match (&fault.at, &fault.when) {
        (None, None) => c.report(
            path.clone(),
            "a fault needs `at:` (a time from the start, e.g. `90s`) or `when:` (a condition, \
             e.g. `{ users: 300 }`)"
                .into(),
        ),
        (Some(_), Some(_)) => c.report(
            path.key("when"),
            "give either `at` or `when`, not both: a fault starts once".into(),
        ),
        (Some(at), None) => {
            if *at >= end {
                let message = format!(
                    "`{at}` is at or after the end of the stages ({end}): the load is over by \
                     then; schedule the fault before {end} or lengthen the stages"
                );
                c.report(path.key("at"), message);
            }
        }
        (None, Some(_)) => check_condition(c, path, fault),
    }
    if let Some(duration) = fault.duration {
        c.positive(path.key("duration"), duration, "30s");
    }
    if let Some(target) = &fault.kill {
        check_target(c, path.key("kill"), target);
    }
    if let Some(target) = &fault.pause {
        check_target(c, path.key("pause"), target);
    }
    if let Some(zone) = &fault.kill_zone {
        check_zone(c, path.key("kill_zone"), zone);
    }
    if let Some(latency) = &fault.latency {
        check_edge(c, &path.key("latency"), &latency.between);
        if let Some(jitter) = latency.jitter {
            if jitter > latency.add {
                let message = format!(
                    "jitter ({jitter}) must not exceed `add` ({}): latency cannot go below zero",
                    latency.add
                );
                c.report(path.key("latency").key("jitter"), message);
            }
        }
    }
    if let Some(loss) = &fault.loss {
        check_edge(c, &path.key("loss"), &loss.between);
        if loss.rate.value == 0.0 {
            c.report(
                path.key("loss").key("rate"),
                "must be more than 0% (e.g. `5%`)".into(),
            );
        }
    }
    if let Some(partition) = &fault.partition {
        check_edge(c, &path.key("partition"), &partition.between);
    }
    if let Some(cache) = &fault.flush_cache {
        c.component_ref(path.key("flush_cache"), cache, &["cache"]);
    }
    if let Some(change) = &fault.dns_change {
        let change_path = path.key("dns_change");
        c.component_ref(change_path.key("name"), &change.name, &["dns"]);
        if change.to == change.name {
            c.report(
                change_path.key("to"),
                "a DNS name cannot resolve to itself".into(),
            );
        } else {
            c.component_ref(change_path.key("to"), &change.to, &[]);
        }
    }
    if let Some(action) = &fault.action {
        check_action(c, path.key("action"), action);
    }
}

fn check_condition(c: &mut Checker<'_>, path: &FieldPath, fault: &Fault) {
    let Some(condition) = &fault.when else {
        return;
    };
    let when = path.key("when");
    let given: Vec<&str> = [
        ("users", condition.users.is_some()),
        ("rate", condition.rate.is_some()),
        ("signal", condition.signal.is_some()),
    ]
    .into_iter()
    .filter(|(_, g)| *g)
    .map(|(n, _)| n)
    .collect();
    if given.len() != 1 {
        c.report(
            when.clone(),
            format!(
                "a condition has exactly one of `users`, `rate` or `signal`{}",
                if given.is_empty() {
                    String::new()
                } else {
                    format!("; this one has {}", list(given.iter().copied()))
                }
            ),
        );
        return;
    }
    let model = c.raw.workload.model;
    let stages = &c.raw.workload.stages;
    if let Some(users) = condition.users {
        if model == LoadModel::Open {
            c.report(
                when.key("users"),
                "`model: open` has no virtual users: use `rate` (e.g. `{ rate: 1000/s }`)".into(),
            );
        } else {
            let level_of = |s: &Stage| match (s.users, s.to) {
                (Some(u), _) | (_, Some(LoadLevel::Users(u))) => Some(f64::from(u)),
                _ => None,
            };
            if let Some(problem) = unreached(stages, f64::from(users), level_of) {
                let message = problem.message(&format!("{users} users"), |peak| format!("{peak}"));
                c.report(when.key("users"), message);
            }
        }
    }
    if let Some(rate) = condition.rate {
        if model == LoadModel::Closed {
            c.report(
                when.key("rate"),
                "`model: closed` is driven by virtual users: use `users` (e.g. `{ users: 300 }`)"
                    .into(),
            );
        } else {
            let level_of = |s: &Stage| match (s.rate, s.to) {
                (Some(r), _) | (_, Some(LoadLevel::Rate(r))) => Some(r.per_s),
                _ => None,
            };
            if let Some(problem) = unreached(stages, rate.per_s, level_of) {
                let message = problem.message(&rate.to_string(), |peak| {
                    crate::units::Rate { per_s: peak }.to_string()
                });
                c.report(when.key("rate"), message);
            }
        }
    }
    if let Some(signal) = &condition.signal {
        check_signal_name(c, when.key("signal"), signal, SignalUse::Any);
    }
}

/// Why a `when:` load level is never met while the stages run.
enum Unreached {
    /// Above every stage's level.
    Never { peak: f64 },
    /// Met only as the last stage's ramp ends, which is the end of the run.
    OnlyAtTheEnd,
}

impl Unreached {
    fn message(&self, level: &str, show: impl Fn(f64) -> String) -> String {
        match self {
            Self::Never { peak } => format!(
                "the workload never reaches {level} (its stages peak at {}): the fault would \
                 never start",
                show(*peak)
            ),
            Self::OnlyAtTheEnd => format!(
                "the workload reaches {level} only as its last ramp ends, which ends the run: \
                 the fault would never start (give a lower level, or hold the load after the \
                 ramp)"
            ),
        }
    }
}

/// Whether the stages bring the load to `level` (`level_of` reads a stage's level, users
/// or rate) while they run. A hold or a spike is at its level from its start, a ramp
/// only at its end: the last stage's ramp never runs at its `to`, only below it.
fn unreached(
    stages: &[Stage],
    level: f64,
    level_of: impl Fn(&Stage) -> Option<f64>,
) -> Option<Unreached> {
    let last = stages.len().saturating_sub(1);
    let mut peak = 0.0_f64;
    let mut met = false;
    for (i, stage) in stages.iter().enumerate() {
        let Some(stage_level) = level_of(stage) else {
            continue;
        };
        peak = peak.max(stage_level);
        let ends_the_run = i == last && stage.ramp.is_some();
        met |= if ends_the_run {
            level < stage_level
        } else {
            level <= stage_level
        };
    }
    match (met, level > peak) {
        (true, _) => None,
        (false, true) => Some(Unreached::Never { peak }),
        (false, false) => Some(Unreached::OnlyAtTheEnd),
    }
}

/// A fault target: `name`, `name.N` (an instance) or `db.primary|standby|controller`.
pub(super) fn check_target(c: &mut Checker<'_>, path: FieldPath, target: &str) {
    let (name, suffix) = match target.split_once('.') {
        Some((name, suffix)) => (name, Some(suffix)),
        None => (target, None),
    };
    let components = c.components();
    let Some(component) = components.get(name) else {
        let message = unknown_component(name, components);
        c.report(path, message);
        return;
    };
    let Some(suffix) = suffix else {
        return;
    };
    let kind = component.kind_name();
    if let Ok(index) = suffix.parse::<u64>() {
        // Without `nodes` the database is already reported; nothing to count against.
        if matches!(component, Component::Database(db) if db.nodes.is_none() && db.topology == DatabaseTopology::NPlusOne)
        {
            return;
        }
        match node_count(component) {
            Some(count) if index < count => {}
            Some(count) => {
                let noun = match (kind, count) {
                    ("service", 1) => "instance",
                    ("service", _) => "instances",
                    (_, 1) => "node",
                    _ => "nodes",
                };
                let message = format!(
                    "`{name}` has {count} {noun}, numbered from 0: {}",
                    if count == 1 {
                        format!("`{name}.0`")
                    } else {
                        format!("`{name}.0` to `{name}.{}`", count - 1)
                    }
                );
                c.report(path, message);
            }
            None => {
                let message = format!("`{name}` is a {kind}: name it whole (`{name}`)");
                c.report(path, message);
            }
        }
        return;
    }
    let Component::Database(db) = component else {
        let whole = if kind == "service" {
            format!("name it whole (`{name}`) or one instance (`{name}.0`)")
        } else {
            format!("name it whole (`{name}`)")
        };
        let message = if ROLES.contains(&suffix) {
            format!("`{suffix}` is a database role, but `{name}` is a {kind}: {whole}")
        } else {
            format!("`{target}` is not a target: `{name}` is a {kind}; {whole}")
        };
        c.report(path, message);
        return;
    };
    let allowed: Vec<&str> = match db.topology {
        DatabaseTopology::Single => vec!["primary"],
        DatabaseTopology::ActivePassive if db.failover.is_some() => {
            vec!["primary", "standby", "replica", "controller"]
        }
        DatabaseTopology::ActivePassive => vec!["primary", "standby", "replica"],
        _ if db.failover.is_some() => vec!["controller"],
        _ => Vec::new(),
    };
    if !allowed.contains(&suffix) {
        let message = if allowed.is_empty() {
            format!(
                "`{name}` (topology {}) has no `{suffix}` role: name it whole (`{name}`) or a \
                 node by number (`{name}.0`)",
                topology_name(db.topology)
            )
        } else {
            let roles: Vec<String> = allowed.iter().map(|r| format!("{name}.{r}")).collect();
            format!(
                "`{suffix}` is not a role of `{name}`{}; valid targets are `{name}`, {}",
                did_you_mean(suffix, allowed.iter().copied()),
                list(roles.iter().map(String::as_str))
            )
        };
        c.report(path, message);
    }
}

/// How many numbered nodes (`name.0`, `name.1`, ...) a component has: a service's
/// instances (up to its autoscaling maximum) and spares, a database's nodes (primary
/// first, then the standby; N+1: serving nodes, then spares), a cache's one node.
fn node_count(component: &Component) -> Option<u64> {
    match component {
        Component::Service(s) => {
            let most = s
                .autoscaling
                .as_ref()
                .map_or(s.instances, |a| a.max.max(s.instances));
            Some(u64::from(most) + s.spares.as_ref().map_or(0, |sp| u64::from(sp.count)))
        }
        Component::Database(db) => Some(match db.topology {
            DatabaseTopology::Single => 1,
            DatabaseTopology::ActivePassive | DatabaseTopology::ActiveActive => 2,
            DatabaseTopology::NPlusOne => {
                u64::from(db.nodes.unwrap_or(0))
                    + db.spares.as_ref().map_or(0, |sp| u64::from(sp.count))
            }
        }),
        Component::Cache(_) => Some(1),
        Component::Dns(_) | Component::LoadBalancer(_) => None,
    }
}

fn topology_name(topology: DatabaseTopology) -> &'static str {
    match topology {
        DatabaseTopology::Single => "single",
        DatabaseTopology::ActivePassive => "active_passive",
        DatabaseTopology::ActiveActive => "active_active",
        DatabaseTopology::NPlusOne => "n_plus_one",
    }
}

/// One end of an edge: a target, or `client` (the load generator's side).
fn check_edge_end(c: &mut Checker<'_>, path: FieldPath, end: &str) {
    // No component takes these names (`RESERVED_NAMES`).
    let is_client = matches!(end, "client" | "clients");
    if !is_client {
        check_target(c, path, end);
    }
}

pub(super) fn check_edge(c: &mut Checker<'_>, path: &FieldPath, between: &[String; 2]) {
    let between_path = path.key("between");
    for (i, end) in between.iter().enumerate() {
        check_edge_end(c, between_path.index(i), end);
    }
    if between[0] == between[1] {
        c.report(
            between_path.index(1),
            "the two ends of an edge must differ: name the caller and the callee".into(),
        );
        return;
    }
    // A component and one of its own nodes (`api` and `api.0`) are one side, not two:
    // nothing crosses between them. Two nodes of one component (`db.primary` and
    // `db.standby`) are two sides: replication crosses.
    for (whole, part) in [(0, 1), (1, 0)] {
        let owner = between[part].split_once('.').map(|(owner, _)| owner);
        if !between[whole].contains('.') && owner == Some(between[whole].as_str()) {
            let message = format!(
                "`{}` is part of `{}`: an edge joins two sides, e.g. `[{}, <a component it \
                 calls>]`",
                between[part], between[whole], between[part]
            );
            c.report(between_path.index(1), message);
        }
    }
}

fn check_zone(c: &mut Checker<'_>, path: FieldPath, zone: &str) {
    let mut all: Vec<&str> = Vec::new();
    for component in c.components().values() {
        let zones = match component {
            Component::Dns(_) => &[][..],
            Component::LoadBalancer(lb) => &lb.zones[..],
            Component::Service(s) => &s.zones[..],
            Component::Database(db) => &db.zones[..],
            Component::Cache(cache) => &cache.zones[..],
        };
        for z in zones {
            if !all.contains(&z.as_str()) {
                all.push(z);
            }
        }
    }
    if !all.contains(&zone) {
        let message = if all.is_empty() {
            format!("no component is placed in zone `{zone}`: no component lists any `zones`")
        } else {
            format!(
                "no component is placed in zone `{zone}`{}; the zones in use are {}",
                did_you_mean(zone, all.iter().copied()),
                list(all.iter().copied())
            )
        };
        c.report(path, message);
    }
}
