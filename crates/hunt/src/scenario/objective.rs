//! The hunt's objective read from an analysis summary.

use faultline_analyze::Summary;
use faultline_spec::{Comparison, Expect, HuntObjective, Quantity, Threshold};

/// Checks that `objective` can be measured on runs of an experiment whose thresholds
/// are `expect` (a `threshold_margin` must name one of them); the message says which
/// it may name.
pub fn check(objective: &HuntObjective, expect: &Expect) -> Result<(), String> {
    let HuntObjective::ThresholdMargin(name) = objective else {
        return Ok(());
    };
    // The thresholds set are the keys `Expect` serializes (unset ones are skipped).
    let names: Vec<String> = match serde_json::to_value(expect) {
        Ok(serde_json::Value::Object(map)) => map.keys().cloned().collect(),
        _ => Vec::new(),
    };
    if names.contains(name) {
        Ok(())
    } else {
        Err(not_in_expect(name, &names))
    }
}

fn not_in_expect(name: &str, names: &[String]) -> String {
    format!(
        "the objective names threshold `{name}`, which is not in `expect` (thresholds: {})",
        if names.is_empty() {
            "none".to_string()
        } else {
            names.join(", ")
        }
    )
}

/// The value to maximise for `objective` in `summary`, or why it has none.
pub fn metric(objective: &HuntObjective, summary: &Summary) -> Result<f64, String> {
    let m = &summary.metrics;
    match objective {
        HuntObjective::LostWrites => Ok(m.lost_writes.unwrap_or(0) as f64),
        HuntObjective::Rto => Ok(rto_or_unrecovered_s(summary)),
        HuntObjective::ErrorRate => Ok(m.error_rate.unwrap_or(0.0)),
        HuntObjective::P99 => Ok(m.latency_ms.transition.p99.unwrap_or(0.0)),
        HuntObjective::ThresholdMargin(name) => threshold_excess(summary, name),
    }
}

/// RTO in seconds; not recovered counts as the time to the end of the record; no
/// fault counts as 0.
fn rto_or_unrecovered_s(summary: &Summary) -> f64 {
    let m = &summary.metrics;
    m.rto_s.or(m.not_recovered_within_s).unwrap_or(0.0)
}

/// How far the threshold `name`'s measured value goes past its bound, relative to
/// the bound (positive: the threshold fails; a bound of 0 divides by 1).
fn threshold_excess(summary: &Summary, name: &str) -> Result<f64, String> {
    // `check` made sure at `prepare` that the threshold is in `expect`, so in the summary.
    let line = summary
        .thresholds
        .iter()
        .find(|l| l.name == name)
        .ok_or_else(|| {
            let names: Vec<String> = summary.thresholds.iter().map(|l| l.name.clone()).collect();
            not_in_expect(name, &names)
        })?;
    let actual = match (line.actual, name) {
        (Some(a), _) => a,
        (None, "rto") => rto_or_unrecovered_s(summary),
        (None, _) => {
            return Err(format!(
                "threshold `{name}` has no value in this run: {}",
                line.reason.as_deref().unwrap_or("not measured")
            ))
        }
    };
    let threshold: Threshold = line
        .expected
        .parse()
        .map_err(|e: faultline_spec::UnitError| e.message)?;
    let bound = match (threshold.bound, line.unit.as_str()) {
        (Quantity::Duration(d), "ms") => d.as_secs_f64() * 1e3,
        (Quantity::Duration(d), _) => d.as_secs_f64(),
        (Quantity::Fraction(f), _) => f.value,
        (Quantity::Count(n), _) => n,
    };
    let excess = match threshold.comparison {
        Comparison::Ge | Comparison::Gt => bound - actual,
        _ => actual - bound,
    };
    let scale = if bound.abs() > 0.0 { bound.abs() } else { 1.0 };
    Ok(excess / scale)
}
