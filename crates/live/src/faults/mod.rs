//! Faults of the live engine: each `faults[i]` of the experiment resolved against the
//! `live` section into an [`Injection`], and the [`Rollback`] registry that undoes
//! every injected fault on every path (success, guardrail, Ctrl-C, SIGTERM, a failing
//! step, a panic).
//!
//! Each kind is a small module: [`process`] (kill and pause by signal), [`command`]
//! (argv commands with a timeout and an optional undo), [`firewall`] (DROP rules with
//! iptables or nft), and the built-in fault proxy (`faultline-proxy`) for network
//! faults on an edge.

pub mod command;
pub mod firewall;
pub mod process;

use std::sync::Mutex;
use std::time::Duration;

use faultline_proxy::{ProxyHandle, ProxyRegistry, Stream, ToxicConfig, ToxicKind};
use faultline_spec::{Action, Fault, LiveSection, Process, ProxyPartition, SignalName};

use command::CommandSpec;
use firewall::FirewallRules;

/// Default timeout of an action's command.
const DEFAULT_COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

/// How one fault is injected.
#[derive(Debug, Clone)]
pub enum Injection {
    /// Send a signal to a process (SIGKILL, SIGTERM, ...). SIGSTOP is healed by SIGCONT.
    Signal {
        /// Name in `live.processes`.
        name: String,
        /// The process entry.
        process: Process,
        /// The signal number.
        signal: i32,
    },
    /// Run a command; heal with `undo`, if given.
    Command {
        /// The command.
        run: CommandSpec,
        /// The command that undoes it.
        undo: Option<CommandSpec>,
    },
    /// Add a toxic to a proxy on an edge (partition = blackhole both ways).
    Proxy {
        /// The proxy.
        proxy: ProxyHandle,
        /// The toxics to add.
        toxics: Vec<ToxicConfig>,
    },
    /// Firewall rules.
    Firewall(FirewallRules),
    /// Stop a proxy (new connections refused, open ones closed); heal re-enables it.
    ProxyDisable(ProxyHandle),
}

/// A fault of the experiment, resolved.
#[derive(Debug, Clone)]
pub struct PlannedFault {
    /// Index in `faults`.
    pub index: usize,
    /// Name for reports.
    pub name: String,
    /// The component or node it hits.
    pub component: Option<String>,
    /// The fault as written.
    pub fault: Fault,
    /// How it is injected.
    pub injection: Injection,
}

/// How to undo one injected fault.
#[derive(Debug)]
pub enum HealStep {
    /// Send SIGCONT to a paused process.
    Resume(u32),
    /// Run an undo command.
    Command(CommandSpec),
    /// Remove a proxy's toxics.
    Proxy(ProxyHandle),
    /// Remove firewall rules.
    Firewall(FirewallRules),
}

impl HealStep {
    /// Undoes the fault (blocking, short: safe in `Drop`).
    pub fn heal(&self) -> Result<(), String> {
        match self {
            HealStep::Resume(pid) => process::send_signal(*pid, libc::SIGCONT),
            HealStep::Command(c) => c.run_blocking(),
            HealStep::Proxy(p) => p.heal().map_err(|e| e.to_string()),
            HealStep::Firewall(rules) => rules.remove(),
        }
    }
}

/// What injecting a fault did, and how to undo it.
pub fn inject(planned: &PlannedFault) -> Result<Option<HealStep>, String> {
    match &planned.injection {
        Injection::Signal {
            name,
            process,
            signal,
        } => {
            let pid = process::resolve_pid(name, process)?;
            process::send_signal(pid, *signal)?;
            Ok((*signal == libc::SIGSTOP).then_some(HealStep::Resume(pid)))
        }
        Injection::Command { run, undo } => {
            run.run_blocking()?;
            Ok(undo.clone().map(HealStep::Command))
        }
        Injection::Proxy { proxy, toxics } => {
            for toxic in toxics {
                if let Err(e) = proxy.add_toxic(toxic.clone()) {
                    let _ = proxy.heal();
                    return Err(format!("proxy `{}`: {e}", proxy.name()));
                }
            }
            Ok(Some(HealStep::Proxy(proxy.clone())))
        }
        Injection::Firewall(rules) => {
            rules.add()?;
            Ok(Some(HealStep::Firewall(rules.clone())))
        }
        Injection::ProxyDisable(proxy) => {
            proxy
                .set_enabled(false)
                .map_err(|e| format!("proxy `{}`: {e}", proxy.name()))?;
            Ok(Some(HealStep::Proxy(proxy.clone())))
        }
    }
}

/// The registry of injected faults not yet healed. Dropping it heals them all, so a
/// panic or an early return cannot leave a fault behind.
#[derive(Debug, Default)]
pub struct Rollback {
    steps: Mutex<Vec<(usize, String, HealStep)>>,
}

impl Rollback {
    /// Registers the undo of fault `index`.
    pub fn push(&self, index: usize, name: &str, step: HealStep) {
        self.lock().push((index, name.to_string(), step));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(usize, String, HealStep)>> {
        self.steps.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Heals fault `index` if it is still injected; `None` if it was not.
    pub fn heal(&self, index: usize) -> Option<Result<(), String>> {
        let step = {
            let mut steps = self.lock();
            let pos = steps.iter().position(|(i, _, _)| *i == index)?;
            steps.remove(pos)
        };
        Some(step.2.heal())
    }

    /// Heals every fault still injected, newest first; returns (index, name, result).
    pub fn heal_all(&self) -> Vec<(usize, String, Result<(), String>)> {
        let steps: Vec<_> = std::mem::take(&mut *self.lock());
        steps
            .into_iter()
            .rev()
            .map(|(i, name, step)| (i, name, step.heal()))
            .collect()
    }

    /// Faults still injected.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no fault is injected.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Drop for Rollback {
    fn drop(&mut self) {
        for (i, name, result) in self.heal_all() {
            if let Err(e) = result {
                eprintln!("faultline: could not roll back fault {i} ({name}): {e}");
            }
        }
    }
}

fn command_of(action: &Action, what: &str) -> Result<Injection, String> {
    let timeout = action
        .timeout
        .map_or(DEFAULT_COMMAND_TIMEOUT, |d| d.to_std());
    let run = CommandSpec {
        argv: action.command.clone(),
        shell: action.shell,
        timeout,
    };
    let undo = (!action.undo.is_empty()).then(|| CommandSpec {
        argv: action.undo.clone(),
        shell: action.shell,
        timeout,
    });
    if action.shell && action.command.len() != 1 {
        return Err(format!(
            "{what}: with `shell: true`, `command` is one string"
        ));
    }
    Ok(Injection::Command { run, undo })
}

fn action_injection(live: &LiveSection, name: &str, action: &Action) -> Result<Injection, String> {
    let what = format!("live.actions.{name}");
    match (&action.signal, action.command.is_empty()) {
        (Some(sig), true) => {
            let process = live.processes.get(&sig.process).ok_or_else(|| {
                format!(
                    "{what}.signal.process: `{}` is not in live.processes (known: {})",
                    sig.process,
                    known(live.processes.keys())
                )
            })?;
            Ok(Injection::Signal {
                name: sig.process.clone(),
                process: process.clone(),
                signal: process::signal_number(sig.signal),
            })
        }
        (None, false) => command_of(action, &what),
        _ => Err(format!("{what}: give exactly one of `command` or `signal`")),
    }
}

fn known<'a>(names: impl Iterator<Item = &'a String>) -> String {
    let v: Vec<_> = names.map(|s| format!("`{s}`")).collect();
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}

/// The verb and target of a fault (`kill`, `db.primary`), and its edge if any.
fn verb_of(fault: &Fault) -> Option<(&'static str, String)> {
    if let Some(t) = &fault.kill {
        Some(("kill", t.clone()))
    } else if let Some(t) = &fault.pause {
        Some(("pause", t.clone()))
    } else if let Some(t) = &fault.kill_zone {
        Some(("kill_zone", t.clone()))
    } else if let Some(t) = &fault.flush_cache {
        Some(("flush_cache", t.clone()))
    } else if let Some(d) = &fault.dns_change {
        Some(("dns_change", d.name.clone()))
    } else if let Some(p) = &fault.partition {
        Some(("partition", p.between.join(" ")))
    } else if let Some(l) = &fault.latency {
        Some(("latency", l.between.join(" ")))
    } else if let Some(l) = &fault.loss {
        Some(("loss", l.between.join(" ")))
    } else {
        fault.action.as_ref().map(|a| ("action", a.clone()))
    }
}

fn same_edge(a: &[String; 2], b: &[String; 2]) -> bool {
    (a[0] == b[0] && a[1] == b[1]) || (a[0] == b[1] && a[1] == b[0])
}

/// Resolves every fault of the experiment; all problems are reported at once.
pub fn plan(
    faults: &[Fault],
    live: &LiveSection,
    proxies: &ProxyRegistry,
    run_tag: &str,
) -> Result<Vec<PlannedFault>, Vec<String>> {
    let mut planned = Vec::new();
    let mut problems = Vec::new();
    for (index, fault) in faults.iter().enumerate() {
        let Some((verb, target)) = verb_of(fault) else {
            problems.push(format!("faults[{index}]: no action given"));
            continue;
        };
        let name = fault
            .name
            .clone()
            .unwrap_or_else(|| format!("{verb} {target}"));
        let here = format!("faults[{index}] `{verb}: {target}`");
        let by_name = live.actions.get(&format!("{verb} {target}"));
        let injection = if verb == "action" {
            match live.actions.get(&target) {
                Some(a) => action_injection(live, &target, a),
                None => Err(format!(
                    "{here}: no action `{target}` in live.actions (known: {})",
                    known(live.actions.keys())
                )),
            }
        } else if let Some(action) = by_name {
            action_injection(live, &format!("{verb} {target}"), action)
        } else {
            match verb {
                "kill" | "pause" => match live.processes.get(&target) {
                    Some(process) => Ok(Injection::Signal {
                        name: target.clone(),
                        process: process.clone(),
                        signal: if verb == "pause" {
                            libc::SIGSTOP
                        } else {
                            process::signal_number(process.kill_signal.unwrap_or(SignalName::Kill))
                        },
                    }),
                    None => Err(format!(
                        "{here}: the live section has no process `{target}` (live.processes) and no action `{verb} {target}` (live.actions); add one of them"
                    )),
                },
                "partition" | "latency" | "loss" => {
                    edge_injection(fault, live, proxies, run_tag, index).map_err(|e| format!("{here}: {e}"))
                }
                _ => Err(format!(
                    "{here}: the live engine does this fault through an action named `{verb} {target}` in live.actions; add one"
                )),
            }
        };
        match injection {
            Ok(injection) => planned.push(PlannedFault {
                index,
                name,
                component: Some(target),
                fault: fault.clone(),
                injection,
            }),
            Err(e) => problems.push(e),
        }
    }
    if problems.is_empty() {
        Ok(planned)
    } else {
        Err(problems)
    }
}

fn edge_injection(
    fault: &Fault,
    live: &LiveSection,
    proxies: &ProxyRegistry,
    run_tag: &str,
    index: usize,
) -> Result<Injection, String> {
    let between = fault
        .partition
        .as_ref()
        .map(|p| p.between.clone())
        .or(fault.latency.as_ref().map(|l| l.between.clone()))
        .or(fault.loss.as_ref().map(|l| l.between.clone()))
        .unwrap_or_default();
    let edge = live
        .edges
        .iter()
        .find(|e| same_edge(&e.between, &between))
        .ok_or_else(|| {
            format!(
                "no entry in live.edges between `{}` and `{}`; add one with a `proxy` or a `firewall`",
                between[0], between[1]
            )
        })?;
    if let Some(fw) = &edge.firewall {
        if fault.partition.is_none() {
            return Err(
                "a firewall edge can only be partitioned; use a `proxy` edge for latency or loss"
                    .into(),
            );
        }
        return FirewallRules::new(fw, &format!("{run_tag}_{index}")).map(Injection::Firewall);
    }
    if let Some(edge_proxy) = &edge.proxy {
        let proxy = proxies
            .get(&edge_proxy_name(&edge.between))
            .ok_or_else(|| "the edge's proxy is not running".to_string())?;
        let both = |kind: ToxicKind, tag: &str| {
            [Stream::Upstream, Stream::Downstream]
                .into_iter()
                .map(|s| {
                    ToxicConfig::new(kind.clone(), s)
                        .with_name(format!("faultline_{tag}_{index}_{}", s.as_str()))
                })
                .collect::<Vec<_>>()
        };
        if fault.partition.is_some() && edge_proxy.partition == ProxyPartition::Refuse {
            return Ok(Injection::ProxyDisable(proxy));
        }
        let toxics = if fault.partition.is_some() {
            both(ToxicKind::Blackhole, "partition")
        } else if let Some(l) = &fault.latency {
            vec![ToxicConfig::new(
                ToxicKind::Latency {
                    latency_ms: (l.add.micros / 1000),
                    jitter_ms: l.jitter.map_or(0, |j| j.micros / 1000),
                },
                Stream::Downstream,
            )
            .with_name(format!("faultline_latency_{index}"))]
        } else if let Some(l) = &fault.loss {
            both(
                ToxicKind::Loss {
                    probability: l.rate.value,
                    retransmit_ms: 200,
                    max_retries: 0,
                    segment_size_bytes: 1460,
                },
                "loss",
            )
        } else {
            Vec::new()
        };
        return Ok(Injection::Proxy { proxy, toxics });
    }
    Err("the edge has neither `proxy` nor `firewall`".into())
}

/// A named action of `live.actions` as a fault with `index` (for failback steps).
pub fn action_fault(live: &LiveSection, name: &str, index: usize) -> Result<PlannedFault, String> {
    let action = live.actions.get(name).ok_or_else(|| {
        format!(
            "no action `{name}` in live.actions (known: {})",
            known(live.actions.keys())
        )
    })?;
    Ok(PlannedFault {
        index,
        name: name.to_string(),
        component: None,
        fault: Fault {
            action: Some(name.to_string()),
            ..Fault::default()
        },
        injection: action_injection(live, name, action)?,
    })
}

/// The proxy name of an edge.
pub fn edge_proxy_name(between: &[String; 2]) -> String {
    format!("{}--{}", between[0], between[1])
}

#[cfg(test)]
mod tests;
