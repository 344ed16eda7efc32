//! Checks of the names that signals, actions, phases and the live section use.

use crate::diag::FieldPath;
use crate::signals::{component_events, Recorder, SignalUse, COMPONENT_SIGNALS};
use crate::suggest::{did_you_mean, list};

use super::faults::{check_edge, check_target};
use super::{unknown_component, Checker};

pub(super) fn check(c: &mut Checker<'_>) {
    check_phases(c);
    check_signals(c);
    check_live(c);
}

fn action_names<'a>(c: &Checker<'a>) -> Vec<&'a str> {
    c.raw
        .live
        .as_ref()
        .map(|live| live.actions.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

pub(super) fn check_action(c: &mut Checker<'_>, path: FieldPath, action: &str) {
    let names = action_names(c);
    if names.contains(&action) {
        return;
    }
    let message = if names.is_empty() {
        format!(
            "no action named `{action}`: actions are declared in `live.actions` (e.g. \
             `live: {{ actions: {{ {action}: {{ command: [...] }} }} }}`)"
        )
    } else {
        format!(
            "no action named `{action}`{} in `live.actions`; the actions are {}",
            did_you_mean(action, names.iter().copied()),
            list(names.iter().copied())
        )
    };
    c.report(path, message);
}

fn check_phases(c: &mut Checker<'_>) {
    let phases = &c.raw.phases;
    let base = FieldPath::root().key("phases");
    if let (Some(baseline), Some(first)) = (
        phases.baseline,
        c.raw.faults.iter().filter_map(|f| f.at).min(),
    ) {
        if baseline > first {
            let message = format!(
                "the baseline ({baseline}) is longer than the time before the first fault \
                 ({first}); shorten it or inject later"
            );
            c.report(base.key("baseline"), message);
        }
    }
    if let Some(observe) = phases.observe {
        c.positive(base.key("observe"), observe, "5m");
    }
    if let Some(action) = phases.failback.as_ref().and_then(|f| f.action.as_deref()) {
        check_action(c, base.key("failback").key("action"), action);
    }
    if let Some(window) = c.raw.recovery.window {
        c.positive(
            FieldPath::root().key("recovery").key("window"),
            window,
            "10s",
        );
    }
    if let Some(window) = c.raw.guardrails.window {
        c.positive(
            FieldPath::root().key("guardrails").key("window"),
            window,
            "30s",
        );
    }
}

/// The fault index and event of a `fault:<index>.<event>` signal, whatever they are.
pub(super) fn fault_signal(signal: &str) -> Option<(usize, &str)> {
    let (index, event) = signal.strip_prefix("fault:")?.split_once('.')?;
    Some((index.parse().ok()?, event))
}

/// A recorded signal's source: `<component>[.<event>]` (an event the component records
/// as `usage` counts), `alert:<name>`, `probe:<name>` or `fault:<index>.injected|healed`.
pub(super) fn check_signal_name(
    c: &mut Checker<'_>,
    path: FieldPath,
    signal: &str,
    usage: SignalUse,
) {
    const FORMS: &str = "signals are written `<component>.<event>` (e.g. \
                         `db.failover.activate`), `alert:<name>`, `probe:<name>` or \
                         `fault:<index>.injected`";
    if let Some(alert) = signal.strip_prefix("alert:") {
        let names: Vec<&str> = c.raw.alerts.iter().map(|a| a.name.as_str()).collect();
        if !names.contains(&alert) {
            let message = format!(
                "no alert named `{alert}`{}; the alerts are {}",
                did_you_mean(alert, names.iter().copied()),
                if names.is_empty() {
                    "none (declare them in `alerts`)".into()
                } else {
                    list(names.iter().copied())
                }
            );
            c.report(path, message);
        }
        return;
    }
    if let Some(probe) = signal.strip_prefix("probe:") {
        let names: Vec<&str> = c
            .raw
            .live
            .as_ref()
            .map(|l| l.probes.keys().map(String::as_str).collect())
            .unwrap_or_default();
        if !names.contains(&probe) {
            let message = format!(
                "no probe named `{probe}`{}; probes are declared in `live.probes`{}",
                did_you_mean(probe, names.iter().copied()),
                if names.is_empty() {
                    String::new()
                } else {
                    format!(": {}", list(names.iter().copied()))
                }
            );
            c.report(path, message);
        }
        return;
    }
    if signal.starts_with("fault:") {
        let count = c.raw.faults.len();
        let valid = fault_signal(signal)
            .is_some_and(|(index, event)| index < count && matches!(event, "injected" | "healed"));
        if !valid {
            let message = format!(
                "`{signal}`: fault signals are `fault:<index>.injected` or \
                 `fault:<index>.healed`, with an index from 0 to {} (there are {count} faults)",
                count.saturating_sub(1)
            );
            c.report(path, message);
        }
        return;
    }
    let (name, event) = match signal.split_once('.') {
        Some((name, event)) => (name, Some(event)),
        None => (signal, None),
    };
    let Some(component) = c.components().get(name) else {
        let message = format!(
            "`{signal}` names no component, alert or probe{}; {FORMS}",
            did_you_mean(name, c.components().keys().map(String::as_str))
        );
        c.report(path, message);
        return;
    };
    // A bare component name can only match a marker source of the same text.
    let Some(event) = event else { return };
    let events = component_events(component, usage);
    if events.contains(&event) {
        return;
    }
    let which = usage.adjective();
    let message = if events.is_empty() {
        let mut recorders: Vec<Recorder> = COMPONENT_SIGNALS.iter().map(|s| s.recorder).collect();
        recorders.dedup();
        let recorded: Vec<String> = recorders
            .into_iter()
            .map(|recorder| {
                let signals: Vec<String> = COMPONENT_SIGNALS
                    .iter()
                    .filter(|s| s.recorder == recorder)
                    .map(|s| match s.counts_as {
                        Some(usage) => {
                            format!("`<name>.{}` ({})", s.event, usage.adjective().trim_end())
                        }
                        None => format!("`<name>.{}`", s.event),
                    })
                    .collect();
                format!("{} records {}", recorder.holders(), signals.join(", "))
            })
            .collect();
        format!(
            "`{signal}` never fires: `{name}` (a {}) records no {which}signal of its own; {}",
            component.kind_name(),
            recorded.join("; ")
        )
    } else {
        let signals: Vec<String> = events.iter().map(|e| format!("{name}.{e}")).collect();
        format!(
            "`{signal}` never fires: `{name}` records no such {which}signal{}; its {which}signals are {}",
            did_you_mean(signal, signals.iter().map(String::as_str)),
            list(signals.iter().map(String::as_str))
        )
    };
    c.report(path, message);
}

fn check_signals(c: &mut Checker<'_>) {
    let base = FieldPath::root().key("signals");
    for (field, names, usage) in [
        ("detect", &c.raw.signals.detect, SignalUse::Detect),
        ("activate", &c.raw.signals.activate, SignalUse::Activate),
    ] {
        for (i, name) in names.iter().enumerate() {
            check_signal_name(c, base.key(field).index(i), name, usage);
        }
    }
    let alerts_path = FieldPath::root().key("alerts");
    for (i, alert) in c.raw.alerts.iter().enumerate() {
        let path = alerts_path.index(i);
        if c.raw.alerts[..i].iter().any(|a| a.name == alert.name) {
            let message = format!(
                "another alert is already named `{}`; names must differ",
                alert.name
            );
            c.report(path.key("name"), message);
        }
        if let Some(component) = c.component_ref(path.key("of"), &alert.of, &[]) {
            super::expect::check_alert_component(c, &path, alert, component);
        }
        super::expect::check_alert_bound(c, &path, alert);
        super::expect::check_alert_deadline(c, &path, alert);
    }
}

fn check_live(c: &mut Checker<'_>) {
    use crate::model::EngineKind;
    let Some(live) = &c.raw.live else {
        if c.raw.engine == Some(EngineKind::Live) {
            c.report_at(
                FieldPath::root().key("live"),
                &FieldPath::root().key("engine"),
                "required with `engine: live`: how to reach and hurt the real deployment \
                 (`targets`, `actions`, `probes`)"
                    .into(),
            );
        }
        return;
    };
    let live_path = FieldPath::root().key("live");
    for name in live.targets.keys() {
        if !c.components().contains_key(name) {
            let message = unknown_component(name, c.components());
            c.report_key(
                live_path.key("targets").key(name),
                format!("{message} (live targets are keyed by component)"),
            );
        }
    }
    for name in live.processes.keys() {
        let path = live_path.key("processes").key(name);
        let before = c.problems.len();
        check_target(c, path.clone(), name);
        // The problem is the key (the node's name), not the process settings.
        let key_span = c.root.locate(&path).owner_span();
        for problem in &mut c.problems[before..] {
            problem.span = key_span;
        }
    }
    for (i, edge) in live.edges.iter().enumerate() {
        check_edge(c, &live_path.key("edges").index(i), &edge.between);
    }
    for (name, probe) in &live.probes {
        if let Some(component) = &probe.component {
            let path = live_path.key("probes").key(name).key("component");
            c.component_ref(path, component, &[]);
        }
    }
    let processes: Vec<&str> = live.processes.keys().map(String::as_str).collect();
    for (name, action) in &live.actions {
        let Some(signal) = &action.signal else {
            continue;
        };
        if !processes.contains(&signal.process.as_str()) {
            let path = live_path
                .key("actions")
                .key(name)
                .key("signal")
                .key("process");
            let message = format!(
                "no process named `{}`{} in `live.processes`{}",
                signal.process,
                did_you_mean(&signal.process, processes.iter().copied()),
                if processes.is_empty() {
                    String::new()
                } else {
                    format!("; the processes are {}", list(processes.iter().copied()))
                }
            );
            c.report(path, message);
        }
    }
}
