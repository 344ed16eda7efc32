//! What must hold: thresholds, recovery criteria, phases, signals, alerts, guardrails.

use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::units::{Duration, Fraction, UnitError};

/// Lengths of the experiment's lifecycle phases.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Phases {
    /// The period before the first fault used as the baseline. Default: 60s (or all the
    /// time before the fault, if shorter).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<Duration>,
    /// Longest observation after the first fault; the run ends then (or when the
    /// stages end, if sooner). Default: until the stages end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observe: Option<Duration>,
    /// Read back every acknowledged write after the run. Default: true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify: Option<bool>,
    /// Fail back to the original primary once replication is in sync.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failback: Option<Failback>,
    /// What a steady baseline is. Before the first fault both engines check the
    /// baseline; if it is not steady, the run stops there and says why (nothing is
    /// injected into a system that was already failing, swinging or falling behind its
    /// load).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steady_state: Option<SteadyState>,
}

/// The steady-state check of the baseline, run before the first fault.
///
/// A second of the baseline is *off* when its ok-throughput per unit of load (users or
/// arrivals per second at that moment, so ramps are allowed) differs from the
/// baseline's median by more than `max_throughput_swing` and by more than counting
/// noise (four standard deviations, `4·√n`). An open-model load has *outrun the
/// system* when the client operations started in the later half of the baseline's
/// seconds (by intended start) outnumber those that finished in them (ok or failed) by
/// more than `max_backlog` of those started and by more than counting noise
/// (`4·√started`): its backlog grows without errors while a long client timeout holds.
/// (A closed-model load waits for the system, so it is not judged on this; the earlier
/// half gives the run's first operations their latency's time.) The baseline is not
/// steady when its error rate passes
/// `max_error_rate`, when its load outran the system, or when more than a tenth of
/// its seconds (and at least two) are off. A baseline shorter than 5 whole seconds is
/// not judged, nor one without faults to follow it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SteadyState {
    /// Check the baseline before the first fault. Default: true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<bool>,
    /// Highest error rate of the client operations over the baseline. Default: 1%.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_error_rate: Option<Fraction>,
    /// Largest deviation of one second's ok-throughput per unit of load from the
    /// baseline's median, as a share of that median. Default: 50%.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_throughput_swing: Option<Fraction>,
    /// Largest growth of the backlog of an open-model load over the later half of the
    /// baseline: client operations started in its seconds minus those finished in them
    /// (ok or failed), as a share of those started. Default: 10%. Not used with a
    /// closed-model load.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_backlog: Option<Fraction>,
}

/// The optional failback phase.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Failback {
    /// Earliest time after the first fault's healing to start the failback.
    pub after: Duration,
    /// Live engine: the action that fails back; the simulator fails back by itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
}

/// What "recovered" means (see the RTO definition).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Recovery {
    /// Length of the window in which every second must be healthy. Default: 10s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<Duration>,
    /// Least success rate of each second. Default: the smaller of 99% and the baseline's
    /// success rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success: Option<Fraction>,
    /// Least ok-throughput of each second, as a share of the offered load. Default: 90%.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throughput: Option<Fraction>,
}

/// Which recorded signals count as detection and activation.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Signals {
    /// Sources of detect markers that count (e.g. `db.failover.detect`, `lb.health`,
    /// `probe:sentinel`). Empty: any detect marker; with none recorded, the first
    /// failing probe of faultline's own monitor.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub detect: Vec<String>,
    /// Sources of activate markers that count. Empty: any activate marker.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub activate: Vec<String>,
}

/// A metric an alert rule watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertMetric {
    /// Healthy (alive and serving) nodes of the component; of a load balancer, the
    /// instances of its target it sends requests to (those its health checks pass).
    HealthyNodes,
    /// Failed share of the component's operations over the last second.
    ErrorRate,
    /// 99th percentile latency of the component over the last second, in milliseconds.
    P99LatencyMs,
    /// Busy share of the component's capacity.
    Utilization,
}

impl AlertMetric {
    /// The metric's name as the experiment file spells it (`healthy_nodes`).
    pub fn name(self) -> &'static str {
        match self {
            AlertMetric::HealthyNodes => "healthy_nodes",
            AlertMetric::ErrorRate => "error_rate",
            AlertMetric::P99LatencyMs => "p99_latency_ms",
            AlertMetric::Utilization => "utilization",
        }
    }
}

/// An alert rule: fires when the metric is past the bound for `for`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertRule {
    /// Name; the firing is recorded as signal `alert:<name>`.
    pub name: String,
    /// The metric watched.
    pub metric: AlertMetric,
    /// The component watched.
    pub of: String,
    /// Fires when the metric is below this value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub below: Option<f64>,
    /// Fires when the metric is above this value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub above: Option<f64>,
    /// How long the condition must hold. Default: 0.
    #[serde(default, rename = "for", skip_serializing_if = "Option::is_none")]
    pub for_duration: Option<Duration>,
    /// Expectation on this alert: it must fire within this time of the first fault.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub must_fire_within: Option<Duration>,
}

/// Pass/fail thresholds, e.g. `rto: "<= 30s"`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// Actual recovery time objective, e.g. `"<= 30s"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rto: Option<Threshold>,
    /// Actual recovery point objective, e.g. `"<= 5s"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rpo: Option<Threshold>,
    /// Time to detect, e.g. `"<= 10s"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttd: Option<Threshold>,
    /// Time to activate the standby, e.g. `"<= 30s"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tta: Option<Threshold>,
    /// Error rate during the transition, e.g. `"<= 0.1%"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_rate: Option<Threshold>,
    /// 99th percentile latency during the transition, e.g. `"<= 500ms"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p99_latency: Option<Threshold>,
    /// Mean throughput degradation during the transition, e.g. `"<= 50%"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throughput_degradation: Option<Threshold>,
    /// Acknowledged writes lost, e.g. `"== 0"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lost_writes: Option<Threshold>,
    /// Lost writes acknowledged after the fault (split brain), e.g. `"== 0"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub split_brain_writes: Option<Threshold>,
}

/// A comparison operator of a threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Comparison {
    /// `<`
    #[serde(rename = "<")]
    Lt,
    /// `<=`
    #[serde(rename = "<=")]
    Le,
    /// `==`
    #[serde(rename = "==")]
    Eq,
    /// `>=`
    #[serde(rename = ">=")]
    Ge,
    /// `>`
    #[serde(rename = ">")]
    Gt,
}

impl Comparison {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            Comparison::Lt => "<",
            Comparison::Le => "<=",
            Comparison::Eq => "==",
            Comparison::Ge => ">=",
            Comparison::Gt => ">",
        }
    }

    /// Whether `actual <op> bound` holds.
    pub fn holds(self, actual: f64, bound: f64) -> bool {
        match self {
            Comparison::Lt => actual < bound,
            Comparison::Le => actual <= bound,
            Comparison::Eq => actual == bound,
            Comparison::Ge => actual >= bound,
            Comparison::Gt => actual > bound,
        }
    }
}

/// The bound of a threshold with its unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Quantity {
    /// A duration such as `30s`.
    Duration(Duration),
    /// A share such as `0.1%`.
    Fraction(Fraction),
    /// A plain number such as `0`.
    Count(f64),
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Quantity::Duration(d) => d.fmt(f),
            Quantity::Fraction(p) => p.fmt(f),
            Quantity::Count(n) => n.fmt(f),
        }
    }
}

/// A threshold such as `"<= 30s"`, `"< 0.1%"` or `"== 0"`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Threshold {
    /// The operator.
    pub comparison: Comparison,
    /// The bound.
    pub bound: Quantity,
}

const THRESHOLD_FORMS: &str =
    "a threshold such as `<= 30s`, `< 0.1%` or `== 0` (operators: <, <=, ==, >=, >)";

impl FromStr for Threshold {
    type Err = UnitError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let trimmed = text.trim();
        let (comparison, rest) = [
            ("<=", Comparison::Le),
            (">=", Comparison::Ge),
            ("==", Comparison::Eq),
            ("<", Comparison::Lt),
            (">", Comparison::Gt),
        ]
        .into_iter()
        .find_map(|(symbol, op)| trimmed.strip_prefix(symbol).map(|rest| (op, rest.trim())))
        .ok_or_else(|| UnitError {
            message: format!("`{text}` is not {THRESHOLD_FORMS}"),
        })?;
        let bound = if rest.ends_with('%') {
            Quantity::Fraction(rest.parse()?)
        } else if let Ok(count) = rest.parse::<f64>() {
            Quantity::Count(count)
        } else {
            Quantity::Duration(rest.parse().map_err(|_| UnitError {
                message: format!("`{text}` is not {THRESHOLD_FORMS}"),
            })?)
        };
        Ok(Self { comparison, bound })
    }
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.comparison.symbol(), self.bound)
    }
}

impl Serialize for Threshold {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Threshold {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse()
            .map_err(|e: UnitError| serde::de::Error::custom(e.message))
    }
}

impl JsonSchema for Threshold {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Threshold".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": THRESHOLD_FORMS,
            "type": "string",
            "pattern": "^\\s*(<=|>=|==|<|>)\\s*\\S+\\s*$"
        })
    }
}

/// Limits that stop a run early, in both engines: when one is passed the load stops,
/// every fault is rolled back, a `guardrail` marker says which limit, and the run ends
/// `aborted`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Guardrails {
    /// Stop when the error rate over `window` passes this share.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_error_rate: Option<Fraction>,
    /// Stop when the p99 latency over `window` passes this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_p99_latency: Option<Duration>,
    /// The window the guardrails are evaluated over. Default: 30s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<Duration>,
    /// Longest total run time; the run stops then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_duration: Option<Duration>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_parse_with_their_units() {
        let t: Threshold = "<= 30s".parse().unwrap();
        assert_eq!(t.comparison, Comparison::Le);
        assert_eq!(t.bound, Quantity::Duration(Duration::from_secs(30)));
        let t: Threshold = "< 0.1%".parse().unwrap();
        assert_eq!(t.bound, Quantity::Fraction(Fraction::new(0.001)));
        let t: Threshold = "== 0".parse().unwrap();
        assert_eq!(t.bound, Quantity::Count(0.0));
        assert!("about 30s".parse::<Threshold>().is_err());
        assert!("<= soon".parse::<Threshold>().is_err());
    }

    #[test]
    fn alert_metric_names_are_the_files_spelling() {
        for metric in [
            AlertMetric::HealthyNodes,
            AlertMetric::ErrorRate,
            AlertMetric::P99LatencyMs,
            AlertMetric::Utilization,
        ] {
            let spelled = serde_json::to_string(&metric).expect("serializes");
            assert_eq!(spelled, format!("\"{}\"", metric.name()));
        }
    }
}
