//! Guardrails: stop the run early when its impact passes a declared limit.

use std::sync::Arc;
use std::time::Duration;

use faultline_record::MarkerKind;
use faultline_spec::Guardrails;

use crate::sink::Sink;
use crate::stop::{StopCause, Stopper};

/// Fewest operations in the window before the error-rate guardrail may trip.
const MIN_OPS: u64 = 20;

/// Watches the guardrails every 100 ms until the task is dropped.
pub async fn guardrails(config: Guardrails, sink: Arc<Sink>, stopper: Arc<Stopper>) {
    if config.max_error_rate.is_none() && config.max_p99_latency.is_none() {
        return;
    }
    let window_s = config.window.map_or(30, |w| (w.micros / 1_000_000).max(1));
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    loop {
        tick.tick().await;
        let now_s = sink.now_us() / 1_000_000;
        let (ok, failed, p99_us) = sink.window(now_s.saturating_sub(window_s - 1), now_s + 1);
        let total = ok + failed;
        let trip = if let Some(max) = config.max_error_rate.filter(|_| total >= MIN_OPS) {
            let rate = failed as f64 / total as f64;
            (rate > max.value).then(|| {
                (
                    "guardrail:max_error_rate",
                    format!(
                        "error rate {:.1}% over the last {window_s} s passed max_error_rate {}",
                        rate * 100.0,
                        max
                    ),
                )
            })
        } else {
            None
        };
        let trip = trip.or_else(|| {
            let max = config.max_p99_latency?;
            let p99 = p99_us?;
            (p99 > max.micros).then(|| {
                (
                    "guardrail:max_p99_latency",
                    format!(
                        "p99 latency {} ms over the last {window_s} s passed max_p99_latency {}",
                        p99 / 1000,
                        max
                    ),
                )
            })
        });
        if let Some((source, detail)) = trip {
            sink.mark(MarkerKind::Guardrail, source, None, Some(detail.clone()));
            stopper.stop(StopCause::Guardrail(detail));
            return;
        }
    }
}
