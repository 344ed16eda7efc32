//! The live engine's reading of an experiment: the `live` section checked against the
//! architecture and the workload, with every problem reported at once.

use std::time::Duration;

use faultline_proxy::{ProxyConfig, ProxyRegistry};
use faultline_spec::{Experiment, Guardrails, LiveSection, LiveTarget};

use crate::failback::FailbackPlan;
use crate::faults::{self, edge_proxy_name};
use crate::probes::ProbeRunner;
use crate::target::Target;
use faultline_spec::profile::Profile;

/// Default client-side timeout of one operation.
const DEFAULT_OP_TIMEOUT: Duration = Duration::from_secs(10);

/// What the engine derives from the experiment before it runs.
#[derive(Debug, Clone)]
pub struct LivePlan {
    /// The `live` section.
    pub live: LiveSection,
    /// The component the load goes to.
    pub target_name: String,
    /// How to reach it.
    pub target_config: LiveTarget,
    /// Share of writes.
    pub write_share: f64,
    /// Client-side timeout of one operation.
    pub op_timeout: Duration,
    /// Think time of a virtual user (closed model); `None`: no pause.
    pub think: Option<faultline_spec::Distribution>,
    /// The load level over time.
    pub profile: Profile,
    /// When the stages end.
    pub stages_end_us: u64,
    /// When the load stops (the stages' end, or `guardrails.max_duration`).
    pub end_us: u64,
    /// `guardrails.max_duration`.
    pub max_duration_us: Option<u64>,
    /// `phases.observe`: longest observation after the first fault.
    pub observe_us: Option<u64>,
    /// Guardrails.
    pub guardrails: Guardrails,
    /// Read back every write after the run.
    pub verify: bool,
    /// How long verification waits for the target.
    pub verify_wait: Duration,
    /// How long in-flight operations get once the load stops.
    pub drain: Duration,
    /// The failback phase, if any.
    pub failback: Option<FailbackPlan>,
}

impl LivePlan {
    /// Reads the experiment; all problems at once, each naming its field.
    pub fn new(experiment: &Experiment) -> Result<Self, Vec<String>> {
        let raw = experiment.raw();
        let mut problems = Vec::new();
        let Some(live) = raw.live.clone() else {
            return Err(vec![
                "live: the live engine needs a `live` section (targets, processes, actions, probes); see docs/live.md".into(),
            ]);
        };
        let target_name = match &raw.workload.target {
            Some(t) if live.targets.contains_key(t) => Some(t.clone()),
            Some(t) if live.targets.len() == 1 => {
                live.targets.keys().next().cloned().filter(|_| {
                    // A single live target serves a workload aimed at a DNS name or load
                    // balancer in front of it.
                    !t.is_empty()
                })
            }
            Some(t) => {
                problems.push(format!(
                    "live.targets: no entry for the workload's target `{t}` (have: {})",
                    live.targets.keys().cloned().collect::<Vec<_>>().join(", ")
                ));
                None
            }
            None if live.targets.len() == 1 => live.targets.keys().next().cloned(),
            None => {
                problems.push(format!(
                    "live.targets: give exactly one target, or set workload.target (have {})",
                    live.targets.len()
                ));
                None
            }
        };
        for (name, config) in &live.targets {
            if let Err(e) = Target::new(name, config) {
                problems.push(e.to_string());
            }
        }
        for (name, probe) in &live.probes {
            if let Err(e) = ProbeRunner::new(name, probe) {
                problems.push(e.to_string());
            }
        }
        for (name, p) in &live.processes {
            if p.pid.is_some() == p.pidfile.is_some() {
                problems.push(format!(
                    "live.processes.{name}: give exactly one of `pid` or `pidfile`"
                ));
            }
        }
        for (i, e) in live.edges.iter().enumerate() {
            if e.proxy.is_some() == e.firewall.is_some() {
                problems.push(format!(
                    "live.edges[{i}]: give exactly one of `proxy` or `firewall`"
                ));
            }
        }
        // Fault bindings, checked with throw-away proxies on free ports (the proxy
        // registry needs a runtime: the caller's, or a small one of our own).
        let check_faults = |problems: &mut Vec<String>| {
            let proxies = ProxyRegistry::new();
            for edge in &live.edges {
                if edge.proxy.is_some() {
                    let _ = proxies.add_proxy(ProxyConfig::new(
                        edge_proxy_name(&edge.between),
                        "127.0.0.1:0",
                        "127.0.0.1:9",
                    ));
                }
            }
            if let Err(p) = faults::plan(&raw.faults, &live, &proxies, "check") {
                problems.extend(p);
            }
            proxies.remove_all();
        };
        if tokio::runtime::Handle::try_current().is_ok() {
            check_faults(&mut problems);
        } else if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            let guard = rt.enter();
            check_faults(&mut problems);
            drop(guard);
        }
        if let Some(signal) = raw
            .signals
            .detect
            .iter()
            .chain(&raw.signals.activate)
            .find(|s| {
                s.starts_with("probe:") && !live.probes.contains_key(s.trim_start_matches("probe:"))
            })
        {
            problems.push(format!("signals: `{signal}` names no probe in live.probes"));
        }
        let failback = match (&raw.phases.failback, &live.failback) {
            (Some(fb), Some(lf)) => {
                if !live.probes.contains_key(&lf.in_sync) {
                    problems.push(format!(
                        "live.failback.in_sync: `{}` is not in live.probes",
                        lf.in_sync
                    ));
                }
                let mut actions = Vec::new();
                for (k, name) in lf.actions.iter().enumerate() {
                    match faults::action_fault(&live, name, raw.faults.len() + k) {
                        Ok(a) => actions.push(a),
                        Err(e) => problems.push(format!("live.failback.actions[{k}]: {e}")),
                    }
                }
                Some(FailbackPlan {
                    after: fb.after.to_std(),
                    in_sync: lf.in_sync.clone(),
                    wait: lf.wait.map_or(Duration::from_secs(60), |d| d.to_std()),
                    actions,
                    heals: raw.faults.iter().map(|f| f.duration.is_some()).collect(),
                })
            }
            (Some(_), None) => {
                problems.push("phases.failback: the live engine needs live.failback (in_sync probe and actions)".into());
                None
            }
            (None, Some(_)) => {
                problems.push("live.failback: set phases.failback too (its `after`)".into());
                None
            }
            (None, None) => None,
        };
        let profile = Profile::new(&raw.workload.stages);
        let stages_end_us = profile.total_us();
        let max_duration_us = raw.guardrails.max_duration.map(|d| d.micros);
        let op_timeout = raw
            .workload
            .timeout
            .map_or(DEFAULT_OP_TIMEOUT, |d| d.to_std());
        let (Some(target_name), true) = (target_name, problems.is_empty()) else {
            return Err(problems);
        };
        let target_config = live.targets[&target_name].clone();
        Ok(Self {
            target_name,
            target_config,
            write_share: raw.workload.mix.write.value,
            op_timeout,
            think: raw.workload.think_time.as_ref().map(|t| t.distribution()),
            profile,
            stages_end_us,
            end_us: max_duration_us.map_or(stages_end_us, |m| m.min(stages_end_us)),
            max_duration_us,
            observe_us: raw.phases.observe.map(|d| d.micros),
            guardrails: raw.guardrails.clone(),
            verify: raw.phases.verify.unwrap_or(true),
            verify_wait: live
                .verify
                .as_ref()
                .and_then(|v| v.wait)
                .map_or(Duration::from_secs(30), |d| d.to_std()),
            drain: live
                .drain
                .map_or(op_timeout + Duration::from_secs(1), |d| d.to_std()),
            failback,
            live,
        })
    }
}

/// Checks an experiment's `live` section before a run: every problem, one per line,
/// each naming the field and what is allowed. The CLI calls this for `engine: live`.
pub fn check(experiment: &Experiment) -> Result<(), Vec<String>> {
    LivePlan::new(experiment).map(|_| ())
}
