//! The optional failback phase: once replication is back in sync (a probe passes),
//! run the failback actions, recorded like faults so that the analyzer measures them
//! like a failover.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use faultline_record::MarkerKind;

use crate::faults::{self, PlannedFault, Rollback};
use crate::sink::Sink;
use crate::stop::{StopCause, Stopper};

/// The failback, resolved.
#[derive(Debug, Clone)]
pub struct FailbackPlan {
    /// Earliest time after the first fault's healing (or injection, for faults that
    /// are never healed) to start.
    pub after: Duration,
    /// The probe that says replication is in sync.
    pub in_sync: String,
    /// How long to wait for it.
    pub wait: Duration,
    /// The actions, resolved as faults with indexes after the experiment's faults.
    pub actions: Vec<PlannedFault>,
    /// Per fault of the experiment: whether it is healed during the run (has a
    /// `duration`).
    pub heals: Vec<bool>,
}

/// Runs the failback during the run's load.
pub async fn failback(
    plan: FailbackPlan,
    sink: Arc<Sink>,
    rollback: Arc<Rollback>,
    stopper: Arc<Stopper>,
    first_fault_us: Arc<AtomicU64>,
    first_fault_index: Arc<AtomicU64>,
) {
    // Wait for the first fault, then for its healing (if it gets one) plus `after`.
    let mut rx = sink.subscribe();
    let t_fault = loop {
        let t = first_fault_us.load(Ordering::Acquire);
        if t != u64::MAX {
            break t;
        }
        let _ = tokio::time::timeout(Duration::from_millis(50), rx.changed()).await;
    };
    // A fault with a duration: wait for its healing; otherwise count from injection.
    let index = first_fault_index.load(Ordering::Acquire) as usize;
    let healed = if plan.heals.get(index).copied().unwrap_or(false) {
        let name = format!("fault:{index}.healed");
        loop {
            if let Some(t) = sink.fired_at(&name) {
                break t;
            }
            let _ = tokio::time::timeout(Duration::from_millis(50), rx.changed()).await;
        }
    } else {
        t_fault
    };
    let start = sink.start() + Duration::from_micros(healed) + plan.after;
    tokio::time::sleep_until(tokio::time::Instant::from_std(start)).await;
    let deadline = tokio::time::Instant::now() + plan.wait;
    while sink.probe_state(&plan.in_sync) != Some(true) {
        if tokio::time::Instant::now() >= deadline {
            sink.mark(
                MarkerKind::Note,
                "failback",
                None,
                Some(format!(
                    "probe `{}` did not pass within {:?}: no failback",
                    plan.in_sync, plan.wait
                )),
            );
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    sink.mark(MarkerKind::PhaseStart, "failback", None, None);
    for action in plan.actions {
        let source = format!("failback:{}", action.index);
        let t = sink.now_us();
        let a = action.clone();
        let result = tokio::task::spawn_blocking(move || faults::inject(&a))
            .await
            .unwrap_or_else(|e| Err(e.to_string()));
        match result {
            Ok(heal) => {
                sink.marker(faultline_record::Marker {
                    t_us: t,
                    kind: MarkerKind::FaultInjected,
                    source,
                    component: action.component.clone(),
                    detail: Some(format!("failback: {}", action.name)),
                });
                if let Some(step) = heal {
                    rollback.push(action.index, &action.name, step);
                }
            }
            Err(e) => {
                sink.mark(
                    MarkerKind::Note,
                    &source,
                    None,
                    Some(format!("failback action failed: {e}")),
                );
                stopper.stop(StopCause::StepFailed(format!(
                    "failback action {}: {e}",
                    action.name
                )));
                return;
            }
        }
    }
    sink.mark(MarkerKind::PhaseEnd, "failback", None, None);
}
