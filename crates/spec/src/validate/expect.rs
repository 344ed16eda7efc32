//! Checks of thresholds and alert bounds: each has the unit of its metric.

use crate::diag::FieldPath;
use crate::model::{AlertMetric, AlertRule, Quantity, Threshold};

use super::Checker;

/// The unit a metric's threshold is written in.
#[derive(Clone, Copy)]
enum Unit {
    Duration,
    Share,
    Count,
}

pub(super) fn check(c: &mut Checker<'_>) {
    let expect = &c.raw.expect;
    let base = FieldPath::root().key("expect");
    let thresholds: [(&str, &Option<Threshold>, Unit); 9] = [
        ("rto", &expect.rto, Unit::Duration),
        ("rpo", &expect.rpo, Unit::Duration),
        ("ttd", &expect.ttd, Unit::Duration),
        ("tta", &expect.tta, Unit::Duration),
        ("p99_latency", &expect.p99_latency, Unit::Duration),
        ("error_rate", &expect.error_rate, Unit::Share),
        (
            "throughput_degradation",
            &expect.throughput_degradation,
            Unit::Share,
        ),
        ("lost_writes", &expect.lost_writes, Unit::Count),
        (
            "split_brain_writes",
            &expect.split_brain_writes,
            Unit::Count,
        ),
    ];
    for (name, threshold, unit) in thresholds {
        if let Some(threshold) = threshold {
            if let Some(message) = unit_problem(name, threshold, unit) {
                c.report(base.key(name), message);
            }
        }
    }
    if !c.raw.faults.is_empty() {
        return;
    }
    for name in ["rto", "rpo", "ttd", "tta"] {
        let given = match name {
            "rto" => expect.rto.is_some(),
            "rpo" => expect.rpo.is_some(),
            "ttd" => expect.ttd.is_some(),
            _ => expect.tta.is_some(),
        };
        if given {
            let message = format!(
                "`{name}` is measured from the first fault, and `faults` is empty: add a fault \
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
    if let Some(within) = alert.must_fire_within {
        c.positive(path.key("must_fire_within"), within, "30s");
    }
}
