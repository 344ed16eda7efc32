//! Checks of thresholds and alert bounds: each has the unit of its metric.

use crate::diag::FieldPath;
use crate::model::{AlertMetric, AlertRule, Component, Expect, Quantity, Threshold};
use crate::suggest::list;
use crate::units::{Duration, Fraction};

use super::Checker;

/// The unit a metric's threshold is written in.
#[derive(Clone, Copy)]
enum Unit {
    Duration,
    Share,
    Count,
}

/// What a metric is measured over, which decides whether it can be judged at all
/// without a fault: the analyzer fails every metric of the transition with "no fault
/// was injected" when there is none, so such a threshold could only fail.
#[derive(Clone, Copy)]
enum Measured {
    /// From the first fault (RTO, RPO, TTD, TTA).
    FromFirstFault,
    /// Over the transition, which starts at the first fault.
    OverTransition,
    /// Over the whole run (lost writes: the ledger against the final state).
    OverRun,
}

impl Measured {
    /// Why the metric needs a fault, for the message; `None` if it does not.
    fn needs_fault(self) -> Option<&'static str> {
        match self {
            Measured::FromFirstFault => Some("is measured from the first fault"),
            Measured::OverTransition => {
                Some("is measured over the transition after the first fault")
            }
            Measured::OverRun => None,
        }
    }
}

pub(super) fn check(c: &mut Checker<'_>) {
    let expect = &c.raw.expect;
    let base = FieldPath::root().key("expect");
    let thresholds: [(&str, &Option<Threshold>, Unit, Measured); 9] = [
        ("rto", &expect.rto, Unit::Duration, Measured::FromFirstFault),
        ("rpo", &expect.rpo, Unit::Duration, Measured::FromFirstFault),
        ("ttd", &expect.ttd, Unit::Duration, Measured::FromFirstFault),
        ("tta", &expect.tta, Unit::Duration, Measured::FromFirstFault),
        (
            "p99_latency",
            &expect.p99_latency,
            Unit::Duration,
            Measured::OverTransition,
        ),
        (
            "error_rate",
            &expect.error_rate,
            Unit::Share,
            Measured::OverTransition,
        ),
        (
            "throughput_degradation",
            &expect.throughput_degradation,
            Unit::Share,
            Measured::OverTransition,
        ),
        (
            "lost_writes",
            &expect.lost_writes,
            Unit::Count,
            Measured::OverRun,
        ),
        (
            "split_brain_writes",
            &expect.split_brain_writes,
            Unit::Count,
            Measured::OverTransition,
        ),
    ];
    let no_fault = c.raw.faults.is_empty();
    for (name, threshold, unit, measured) in thresholds {
        let Some(threshold) = threshold else {
            continue;
        };
        if let Some(message) = unit_problem(name, threshold, unit) {
            c.report(base.key(name), message);
        }
        if let Some(why) = measured.needs_fault().filter(|_| no_fault) {
            let message = format!(
                "`{name}` {why}, and `faults` is empty, so it could only fail: add a fault \
                 or remove this threshold"
            );
            c.report(base.key(name), message);
        }
    }
}

fn unit_problem(name: &str, threshold: &Threshold, unit: Unit) -> Option<String> {
    let op = threshold.comparison.symbol();
    match (unit, threshold.bound) {
        (Unit::Duration, Quantity::Duration(_)) | (Unit::Share, Quantity::Fraction(_)) => None,
        // A bare 0 is zero in any unit (`rpo: "== 0"`); see `normalize_thresholds`.
        (Unit::Duration | Unit::Share, Quantity::Count(0.0)) => None,
        (Unit::Count, Quantity::Count(n)) if n >= 0.0 && n.fract() == 0.0 => None,
        (Unit::Duration, bound) => Some(format!(
            "`{name}` is a duration: write e.g. `{op} 30s` (found `{bound}`)"
        )),
        (Unit::Share, bound) => Some(format!(
            "`{name}` is a share: write a percentage, e.g. `{op} 0.1%` (found `{bound}`)"
        )),
        (Unit::Count, bound) => Some(format!(
            "`{name}` counts writes: write a whole number, e.g. `{op} 0` (found `{bound}`)"
        )),
    }
}

/// Gives a bare `0` bound the unit of its metric (`rpo: "== 0"` becomes `== 0s`), so
/// that engines and the analyzer see every duration metric with a duration bound and
/// every share metric with a share. Runs on a validated experiment.
pub(crate) fn normalize_thresholds(expect: &mut Expect) {
    let durations = [
        &mut expect.rto,
        &mut expect.rpo,
        &mut expect.ttd,
        &mut expect.tta,
        &mut expect.p99_latency,
    ];
    for threshold in durations.into_iter().flatten() {
        if threshold.bound == Quantity::Count(0.0) {
            threshold.bound = Quantity::Duration(Duration::from_micros(0));
        }
    }
    let shares = [&mut expect.error_rate, &mut expect.throughput_degradation];
    for threshold in shares.into_iter().flatten() {
        if threshold.bound == Quantity::Count(0.0) {
            threshold.bound = Quantity::Fraction(Fraction { value: 0.0 });
        }
    }
}

/// An alert has exactly one of `below`/`above`, in the unit of its metric.
pub(super) fn check_alert_bound(c: &mut Checker<'_>, path: &FieldPath, alert: &AlertRule) {
    let (field, bound) = match (alert.below, alert.above) {
        (Some(b), None) => ("below", b),
        (None, Some(a)) => ("above", a),
        (None, None) => {
            c.report(
                path.clone(),
                "an alert needs `below` or `above`: the bound past which it fires".into(),
            );
            return;
        }
        (Some(_), Some(_)) => {
            c.report(
                path.key("above"),
                "give either `below` or `above`, not both (write two alerts for a band)".into(),
            );
            return;
        }
    };
    let problem = match alert.metric {
        AlertMetric::ErrorRate | AlertMetric::Utilization if !(0.0..=1.0).contains(&bound) => {
            Some("is a share between 0 and 1 here (e.g. `0.05` for 5%)")
        }
        AlertMetric::HealthyNodes if bound < 0.0 || bound.fract() != 0.0 => {
            Some("counts nodes here: a whole number (e.g. `below: 3`)")
        }
        AlertMetric::P99LatencyMs if bound < 0.0 => Some("is milliseconds here: 0 or more"),
        _ => None,
    };
    if let Some(problem) = problem {
        c.report(path.key(field), format!("`{bound}` {problem}"));
    }
}

/// Whether `component` has `metric`: a DNS record has no nodes and serves no
/// requests, and a load balancer has no capacity of its own.
fn has_metric(component: &Component, metric: AlertMetric) -> bool {
    !matches!(
        (component, metric),
        (Component::Dns(_), _) | (Component::LoadBalancer(_), AlertMetric::Utilization)
    )
}

/// An alert's metric is one its component has.
pub(super) fn check_alert_component(
    c: &mut Checker<'_>,
    path: &FieldPath,
    alert: &AlertRule,
    component: &Component,
) {
    if has_metric(component, alert.metric) {
        return;
    }
    let why = match component {
        Component::Dns(_) => "a DNS record has no nodes and serves no requests",
        _ => "a load balancer has no capacity of its own (its target has)",
    };
    let candidates: Vec<&str> = c
        .components()
        .iter()
        .filter(|(_, other)| has_metric(other, alert.metric))
        .map(|(name, _)| name.as_str())
        .collect();
    let choices = if candidates.is_empty() {
        String::new()
    } else {
        format!("; it can be measured on {}", list(candidates))
    };
    c.report(
        path.key("of"),
        format!(
            "`{}` is a {}, which has no `{}`: {why}{choices}",
            alert.of,
            component.kind_name(),
            alert.metric.name()
        ),
    );
}

/// An alert's `must_fire_within` is a positive time after the first fault, so it needs
/// a fault.
pub(super) fn check_alert_deadline(c: &mut Checker<'_>, path: &FieldPath, alert: &AlertRule) {
    let Some(within) = alert.must_fire_within else {
        return;
    };
    c.positive(path.key("must_fire_within"), within, "30s");
    // The analyzer times the firing from the first fault, as it does `ttd`.
    if c.raw.faults.is_empty() {
        c.report(
            path.key("must_fire_within"),
            "is measured from the first fault, and `faults` is empty, so it could only \
             fail: add a fault or remove `must_fire_within`"
                .into(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_zero_takes_the_unit_of_its_metric() {
        let zero: Threshold = "== 0".parse().expect("a threshold");
        assert_eq!(unit_problem("rpo", &zero, Unit::Duration), None);
        assert_eq!(unit_problem("error_rate", &zero, Unit::Share), None);
        let mut expect = Expect {
            rpo: Some(zero),
            error_rate: Some(zero),
            lost_writes: Some(zero),
            ..Expect::default()
        };
        normalize_thresholds(&mut expect);
        let bound = |t: Option<Threshold>| t.map(|t| t.bound);
        assert_eq!(
            bound(expect.rpo),
            Some(Quantity::Duration(Duration::from_micros(0)))
        );
        assert_eq!(
            bound(expect.error_rate),
            Some(Quantity::Fraction(Fraction { value: 0.0 }))
        );
        assert_eq!(bound(expect.lost_writes), Some(Quantity::Count(0.0)));
        let ten: Threshold = "<= 10".parse().expect("a threshold");
        assert!(unit_problem("rto", &ten, Unit::Duration).is_some());
    }
}
