//! Guardrails: stop the run early when its impact passes a declared limit.

use std::sync::Arc;
use std::time::Duration;

use faultline_analyze::guardrail::{judge_guardrails, window_s};
use faultline_record::MarkerKind;
use faultline_spec::Guardrails;

use crate::sink::Sink;
use crate::stop::{StopCause, Stopper};

/// Watches the guardrails every 100 ms until the task is dropped.
pub async fn guardrails(config: Guardrails, sink: Arc<Sink>, stopper: Arc<Stopper>) {
    if config.max_error_rate.is_none() && config.max_p99_latency.is_none() {
        return;
    }
    let window_s = window_s(&config);
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    loop {
        tick.tick().await;
        let now_s = sink.now_us() / 1_000_000;
        let (ok, failed, p99_us) = sink.window(now_s.saturating_sub(window_s - 1), now_s + 1);
        if let Some(trip) = judge_guardrails(&config, window_s, ok, failed, || p99_us) {
            sink.mark(
                MarkerKind::Guardrail,
                trip.source,
                None,
                Some(trip.detail.clone()),
            );
            stopper.stop(StopCause::Guardrail(trip.detail));
            return;
        }
    }
}
