//! The architecture as a graph (components and who reaches whom), what each component
//! went through, and the blast radius of the faults.
//!
//! Edges come from the experiment: `lb.targets`, a service's `calls`, a DNS name's
//! `resolves_to`, a cache's `backend`, and the clients' workload target. Faults name
//! components (`kill: db.primary`), zones or edges (`latency: { between: [api, db] }`).

use std::collections::{BTreeSet, VecDeque};

use faultline_analyze::{ComponentImpact, Summary};
use faultline_spec::{Component, Experiment, Fault};

/// The name of the node that stands for the users driving the workload.
pub const CLIENTS: &str = "clients";

/// Most components drawn and searched (bounds the layout's loops).
pub const COMPONENTS_MAX: usize = 200;

/// A directed edge: `from` sends requests to `to`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Edge {
    /// The caller.
    pub from: String,
    /// The callee.
    pub to: String,
    /// How the experiment names the relation (`calls`, `targets`, `resolves to`, ...).
    pub label: &'static str,
}

/// How badly a component was hit in the transition, against its baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// No data for the component (the engine recorded no series for it).
    NoData,
    /// Within its baseline.
    Unaffected,
    /// Slower: p99 at least twice its baseline.
    Slower,
    /// Failing: error rate at least 1 point above its baseline.
    Failing,
    /// Down or nearly: error rate of 50% or more.
    Severe,
}

impl Severity {
    /// A word for the legend and tables.
    pub fn word(self) -> &'static str {
        match self {
            Severity::NoData => "no data",
            Severity::Unaffected => "unaffected",
            Severity::Slower => "slower",
            Severity::Failing => "failing",
            Severity::Severe => "down / severe",
        }
    }

    /// Whether the component degraded (part of the blast radius).
    pub fn degraded(self) -> bool {
        self >= Severity::Slower
    }
}

/// One component as the reports show it.
#[derive(Debug, Clone)]
pub struct Node {
    /// The component name (or [`CLIENTS`]).
    pub name: String,
    /// The kind as written (`service`, `database`, ...; `clients` for the users).
    pub kind: String,
    /// A short description (`4 instances, zones a b`).
    pub detail: String,
    /// What it went through.
    pub severity: Severity,
    /// Its figures, when the record has a series for it.
    pub impact: Option<ComponentImpact>,
    /// Faults that target it directly (their names).
    pub faults: Vec<String>,
}

/// A degraded component and the path that links it to a faulted one.
#[derive(Debug, Clone)]
pub struct Blast {
    /// The degraded component.
    pub name: String,
    /// How badly.
    pub severity: Severity,
    /// Components from it to the nearest faulted component along the call edges
    /// (itself first); empty when no path links it to a fault.
    pub path: Vec<String>,
}

/// The architecture with its impacts.
#[derive(Debug, Clone)]
pub struct Topology {
    /// Clients first, then components in file order.
    pub nodes: Vec<Node>,
    /// Call edges, deduplicated.
    pub edges: Vec<Edge>,
    /// Edges a fault acted on (latency, loss, partition), as `(a, b, fault name)`.
    pub faulted_edges: Vec<(String, String, String)>,
}

impl Topology {
    /// Builds the graph of an experiment and colours it with a summary.
    pub fn new(experiment: &Experiment, summary: &Summary) -> Self {
        let raw = experiment.raw();
        let mut nodes = vec![Node {
            name: CLIENTS.to_string(),
            kind: "clients".to_string(),
            detail: workload_detail(experiment),
            severity: Severity::NoData,
            impact: None,
            faults: Vec::new(),
        }];
        let mut edges = BTreeSet::new();
        for (name, component) in raw.architecture.iter().take(COMPONENTS_MAX) {
            for (to, label) in outgoing(component) {
                edges.insert(Edge {
                    from: name.clone(),
                    to,
                    label,
                });
            }
            nodes.push(Node {
                name: name.clone(),
                kind: component.kind_name().to_string(),
                detail: component_detail(component),
                severity: Severity::NoData,
                impact: None,
                faults: Vec::new(),
            });
        }
        if let Some(target) = entry_point(experiment, &edges) {
            edges.insert(Edge {
                from: CLIENTS.to_string(),
                to: target,
                label: "sends load to",
            });
        }
        // Drop edges to components that do not exist (validation should prevent it).
        let names: BTreeSet<String> = nodes.iter().map(|n| n.name.clone()).collect();
        let edges: Vec<Edge> = edges
            .into_iter()
            .filter(|e| names.contains(&e.from) && names.contains(&e.to))
            .collect();

        let mut faulted_edges = Vec::new();
        for (i, fault) in raw.faults.iter().enumerate() {
            let name = fault_name(fault, i);
            for target in fault_components(fault, experiment) {
                if let Some(node) = nodes.iter_mut().find(|n| n.name == target) {
                    node.faults.push(name.clone());
                }
            }
            if let Some([a, b]) = fault_edge(fault) {
                faulted_edges.push((a, b, name.clone()));
            }
        }
        for node in &mut nodes {
            let series = if node.name == CLIENTS {
                faultline_record::CLIENT_SERIES
            } else {
                node.name.as_str()
            };
            if let Some(impact) = summary.components.iter().find(|c| c.series == series) {
                // Without a fault there is no transition to compare with the baseline.
                node.severity = match summary.metrics.t_fault_s {
                    Some(_) => severity(impact),
                    None if impact.baseline.operations > 0 => Severity::Unaffected,
                    None => Severity::NoData,
                };
                node.impact = Some(impact.clone());
            }
        }
        Self {
            nodes,
            edges,
            faulted_edges,
        }
    }

    /// Whether any fault targets the component or one of its edges.
    pub fn is_faulted(&self, name: &str) -> bool {
        self.nodes
            .iter()
            .any(|n| n.name == name && !n.faults.is_empty())
            || self
                .faulted_edges
                .iter()
                .any(|(a, b, _)| a == name || b == name)
    }

    /// The degraded components (clients excluded), worst first, each with the path that
    /// links it to a fault.
    pub fn blast_radius(&self) -> Vec<Blast> {
        let faulted: Vec<&str> = self
            .nodes
            .iter()
            .filter(|n| self.is_faulted(&n.name))
            .map(|n| n.name.as_str())
            .collect();
        let mut out: Vec<Blast> = self
            .nodes
            .iter()
            .filter(|n| n.name != CLIENTS && n.severity.degraded())
            .map(|n| Blast {
                name: n.name.clone(),
                severity: n.severity,
                path: self.path_to_fault(&n.name, &faulted),
            })
            .collect();
        // The faulted components first, then the worst, then the nearest.
        out.sort_by_key(|b| {
            (
                b.path.len() != 1,
                std::cmp::Reverse(b.severity),
                b.path.len(),
            )
        });
        out
    }

    /// A blast path written from the fault outwards, each hop with the direction of its
    /// call edge: `db ← api ← lb` (api calls db, lb calls api), `cache → db` (cache
    /// misses go to db). `name` formats each component (e.g. wraps it in `<code>`).
    pub fn path_text(&self, path: &[String], name: &dyn Fn(&str) -> String) -> String {
        let from_fault: Vec<&String> = path.iter().rev().collect();
        let mut out = String::new();
        for (i, node) in from_fault.iter().enumerate() {
            if i > 0 {
                let previous = from_fault[i - 1];
                let calls_previous = self
                    .edges
                    .iter()
                    .any(|e| &&e.from == node && &e.to == previous);
                out.push_str(if calls_previous { " ← " } else { " → " });
            }
            out.push_str(&name(node));
        }
        out
    }

    /// Shortest path from `start` along call edges to any of `targets` (breadth first,
    /// bounded by the number of nodes); falls back to ignoring edge direction.
    fn path_to_fault(&self, start: &str, targets: &[&str]) -> Vec<String> {
        if targets.is_empty() {
            return Vec::new();
        }
        self.bfs(start, targets, true)
            .or_else(|| self.bfs(start, targets, false))
            .unwrap_or_default()
    }

    fn bfs(&self, start: &str, targets: &[&str], directed: bool) -> Option<Vec<String>> {
        let mut previous: Vec<(String, Option<String>)> = vec![(start.to_string(), None)];
        let mut queue = VecDeque::from([start.to_string()]);
        while let Some(current) = queue.pop_front() {
            if targets.contains(&current.as_str()) {
                let mut path = vec![current.clone()];
                let mut at = current;
                while let Some((_, Some(p))) = previous.iter().find(|(n, _)| *n == at) {
                    path.push(p.clone());
                    at = p.clone();
                }
                path.reverse();
                return Some(path);
            }
            if previous.len() > COMPONENTS_MAX + 1 {
                break;
            }
            let next = self.edges.iter().filter_map(|e| {
                if e.from == current {
                    Some(e.to.clone())
                } else if !directed && e.to == current {
                    Some(e.from.clone())
                } else {
                    None
                }
            });
            for n in next.collect::<Vec<_>>() {
                if !previous.iter().any(|(seen, _)| *seen == n) {
                    previous.push((n.clone(), Some(current.clone())));
                    queue.push_back(n);
                }
            }
        }
        None
    }
}

/// Classifies a component's transition against its baseline.
pub fn severity(c: &ComponentImpact) -> Severity {
    if c.transition.operations == 0 && c.baseline.operations == 0 {
        return Severity::NoData;
    }
    if c.transition.operations == 0 && c.baseline.operations > 0 {
        // It served in the baseline and completed nothing since: down.
        return Severity::Severe;
    }
    let base_err = c.baseline.error_rate.unwrap_or(0.0);
    let err = c.transition.error_rate.unwrap_or(0.0);
    if err >= 0.5 {
        return Severity::Severe;
    }
    if err - base_err >= 0.01 {
        return Severity::Failing;
    }
    match (c.baseline.latency_ms.p99, c.transition.latency_ms.p99) {
        (Some(b), Some(t)) if t >= 2.0 * b && t - b >= 1.0 => Severity::Slower,
        _ => Severity::Unaffected,
    }
}

/// The name a fault has in reports: its `name`, or its action and target.
pub fn fault_name(fault: &Fault, index: usize) -> String {
    if let Some(name) = &fault.name {
        return name.clone();
    }
    let action = if let Some(t) = &fault.kill {
        format!("kill {t}")
    } else if let Some(z) = &fault.kill_zone {
        format!("kill zone {z}")
    } else if let Some(t) = &fault.pause {
        format!("pause {t}")
    } else if let Some(l) = &fault.latency {
        format!(
            "+{}ms latency {} ↔ {}",
            l.add.micros / 1_000,
            l.between[0],
            l.between[1]
        )
    } else if let Some(l) = &fault.loss {
        format!(
            "{}% loss {} ↔ {}",
            crate::text::number(l.rate.value * 100.0, 1),
            l.between[0],
            l.between[1]
        )
    } else if let Some(p) = &fault.partition {
        format!("partition {} | {}", p.between[0], p.between[1])
    } else if let Some(c) = &fault.flush_cache {
        format!("flush cache {c}")
    } else if let Some(d) = &fault.dns_change {
        format!("dns {} → {}", d.name, d.to)
    } else if let Some(a) = &fault.action {
        format!("action {a}")
    } else {
        format!("fault {index}")
    };
    action
}

/// The components a fault acts on directly (a role such as `db.primary` is its component).
pub fn fault_components(fault: &Fault, experiment: &Experiment) -> Vec<String> {
    let base = |t: &str| t.split('.').next().unwrap_or(t).to_string();
    let mut out = Vec::new();
    for t in [&fault.kill, &fault.pause, &fault.flush_cache]
        .into_iter()
        .flatten()
    {
        out.push(base(t));
    }
    if let Some(d) = &fault.dns_change {
        out.push(base(&d.name));
    }
    if let Some(zone) = &fault.kill_zone {
        for (name, c) in &experiment.raw().architecture {
            if zones(c).iter().any(|z| z == zone) {
                out.push(name.clone());
            }
        }
    }
    out
}

/// The edge a network fault acts on.
pub fn fault_edge(fault: &Fault) -> Option<[String; 2]> {
    let base = |t: &str| t.split('.').next().unwrap_or(t).to_string();
    let between = fault
        .latency
        .as_ref()
        .map(|l| &l.between)
        .or(fault.loss.as_ref().map(|l| &l.between))
        .or(fault.partition.as_ref().map(|p| &p.between))?;
    Some([base(&between[0]), base(&between[1])])
}

fn zones(c: &Component) -> &[String] {
    match c {
        Component::Dns(_) => &[],
        Component::LoadBalancer(lb) => &lb.zones,
        Component::Service(s) => &s.zones,
        Component::Database(d) => &d.zones,
        Component::Cache(c) => &c.zones,
    }
}

fn outgoing(c: &Component) -> Vec<(String, &'static str)> {
    match c {
        Component::Dns(d) => vec![(d.resolves_to.clone(), "resolves to")],
        Component::LoadBalancer(lb) => vec![(lb.targets.clone(), "targets")],
        Component::Service(s) => s.calls.iter().map(|c| (c.to.clone(), "calls")).collect(),
        Component::Database(_) => Vec::new(),
        Component::Cache(c) => vec![(c.backend.clone(), "misses go to")],
    }
}

/// The workload's target, or the first component nothing else reaches.
fn entry_point(experiment: &Experiment, edges: &BTreeSet<Edge>) -> Option<String> {
    let raw = experiment.raw();
    if let Some(t) = &raw.workload.target {
        return Some(t.split('.').next().unwrap_or(t).to_string());
    }
    raw.architecture
        .keys()
        .find(|name| !edges.iter().any(|e| &e.to == *name))
        .cloned()
}

fn workload_detail(experiment: &Experiment) -> String {
    let w = &experiment.raw().workload;
    let model = match w.model {
        faultline_spec::LoadModel::Closed => "virtual users",
        faultline_spec::LoadModel::Open => "open arrivals",
    };
    format!(
        "{model}, {} read / {} write",
        crate::text::percent(w.mix.read.value),
        crate::text::percent(w.mix.write.value)
    )
}

fn component_detail(c: &Component) -> String {
    let z = |zones: &[String]| {
        if zones.is_empty() {
            String::new()
        } else {
            format!(", zones {}", zones.join(" "))
        }
    };
    match c {
        Component::Dns(d) => format!("TTL {}", crate::text::duration(d.ttl.as_secs_f64())),
        Component::LoadBalancer(lb) => match &lb.health_check {
            Some(h) => format!(
                "check every {} ×{}",
                crate::text::duration(h.interval.as_secs_f64()),
                h.unhealthy_after
            ),
            None => "no health check".to_string(),
        },
        Component::Service(s) => format!("{} instances{}", s.instances, z(&s.zones)),
        Component::Database(d) => {
            let topology = match d.topology {
                faultline_spec::DatabaseTopology::Single => "single",
                faultline_spec::DatabaseTopology::ActivePassive => "active-passive",
                faultline_spec::DatabaseTopology::ActiveActive => "active-active",
                faultline_spec::DatabaseTopology::NPlusOne => "N+1",
            };
            format!("{topology}{}", z(&d.zones))
        }
        Component::Cache(c) => format!("hit ratio {}", crate::text::percent(c.hit_ratio.value)),
    }
}
