//! The guardrail rule, one for both engines: every 100 ms each engine counts the client
//! operations finished in the last `guardrails.window` and asks [`judge_guardrails`]
//! whether a limit was passed. Same figures in, same marker source and detail out.
//!
//! ```
//! use faultline_analyze::guardrail::judge_guardrails;
//! let config: faultline_spec::Guardrails =
//!     serde_json::from_str(r#"{"max_error_rate": "5%"}"#).unwrap();
//! let trip = judge_guardrails(&config, 30, 90, 10, || None).unwrap();
//! assert_eq!(trip.source, "guardrail:max_error_rate");
//! assert_eq!(judge_guardrails(&config, 30, 9, 1, || None), None, "too few operations");
//! ```

use faultline_spec::Guardrails;

/// Fewest operations in the window before the error-rate guardrail may trip: a handful
/// of early failures is not a rate.
pub const MIN_OPS: u64 = 20;
/// Default window of the guardrails, in seconds.
pub const WINDOW_S_DEFAULT: u64 = 30;

/// A guardrail that tripped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardrailTrip {
    /// The marker source: `guardrail:max_error_rate` or `guardrail:max_p99_latency`.
    pub source: &'static str,
    /// What was measured against which limit, for the marker and the abort reason.
    pub detail: String,
}

/// The guardrails' window in whole seconds (at least 1).
pub fn window_s(config: &Guardrails) -> u64 {
    config
        .window
        .map_or(WINDOW_S_DEFAULT, |w| (w.micros / 1_000_000).max(1))
}

/// Whether the operations of the last `window_s` seconds (`ok`, `failed`, and their
/// p99 latency from the intended start, computed only if needed) pass a limit. The
/// error rate is judged first, once at least [`MIN_OPS`] finished.
pub fn judge_guardrails(
    config: &Guardrails,
    window_s: u64,
    ok: u64,
    failed: u64,
    p99_us: impl FnOnce() -> Option<u64>,
) -> Option<GuardrailTrip> {
    let total = ok + failed;
    if let Some(max) = config.max_error_rate.filter(|_| total >= MIN_OPS) {
        let rate = failed as f64 / total as f64;
        if rate > max.value {
            return Some(GuardrailTrip {
                source: "guardrail:max_error_rate",
                detail: format!(
                    "error rate {:.1}% over the last {window_s} s passed max_error_rate {}",
                    rate * 100.0,
                    max
                ),
            });
        }
    }
    let max = config.max_p99_latency?;
    let p99 = p99_us()?;
    (p99 > max.micros).then(|| GuardrailTrip {
        source: "guardrail:max_p99_latency",
        detail: format!(
            "p99 latency {} ms over the last {window_s} s passed max_p99_latency {}",
            p99 / 1000,
            max
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(json: &str) -> Guardrails {
        serde_json::from_str(json).expect("guardrails parse")
    }

    #[test]
    fn the_error_rate_is_judged_first_and_strictly() {
        let both = config(r#"{"max_error_rate": "10%", "max_p99_latency": "100ms"}"#);
        let trip = judge_guardrails(&both, 30, 80, 21, || Some(500_000)).expect("trips");
        assert_eq!(trip.source, "guardrail:max_error_rate");
        assert_eq!(
            trip.detail,
            "error rate 20.8% over the last 30 s passed max_error_rate 10%"
        );
        // Exactly at the limit is not past it; then the p99 decides.
        let trip = judge_guardrails(&both, 30, 90, 10, || Some(500_000)).expect("trips");
        assert_eq!(trip.source, "guardrail:max_p99_latency");
        assert_eq!(
            trip.detail,
            "p99 latency 500 ms over the last 30 s passed max_p99_latency 100ms"
        );
        assert_eq!(judge_guardrails(&both, 30, 90, 10, || Some(100_000)), None);
    }

    #[test]
    fn no_limit_no_trip_and_the_p99_is_not_computed() {
        let none = config("{}");
        let trip = judge_guardrails(&none, 30, 0, 1_000, || panic!("not needed"));
        assert_eq!(trip, None);
        assert_eq!(window_s(&none), 30);
        assert_eq!(window_s(&config(r#"{"window": "500ms"}"#)), 1);
    }
}
