//! The steady-state gate: a design that already fails in its baseline gets no fault;
//! the run says why and ends aborted, and the analyzer agrees.

mod common;

use common::{example, marker_s, run, variant};
use faultline_record::{MarkerKind, RunStatus};

/// Synchronous replication whose acknowledgement waits the 1 s shipping delay, behind
/// a 1 s call timeout: every write times out from the start.
fn saturated(steady_state: &str) -> String {
    let text = variant(
        &example("replication-rpo"),
        &[(
            "mode: async, lag: { fixed: 1s }",
            "mode: sync, lag: { fixed: 1s }",
        )],
    );
    format!("{text}phases: {{ steady_state: {{ {steady_state} }} }}\n")
}

#[test]
fn a_failing_baseline_gets_no_fault_and_the_run_says_why() {
    let o = run(&saturated(""));
    assert_eq!(o.record.meta.status, RunStatus::Aborted);
    let reason = o.record.meta.abort_reason.clone().unwrap_or_default();
    assert!(
        reason.starts_with(
            "the baseline was not steady, so no fault was injected: the baseline's error rate"
        ),
        "{reason}"
    );
    assert_eq!(marker_s(&o, MarkerKind::FaultInjected, "fault:0"), None);
    assert_eq!(marker_s(&o, MarkerKind::Note, "steady_state"), Some(90.0));
    assert_eq!(o.sim.abort_reason(), Some(reason.as_str()));
    // The load stopped at the fault's time; in-flight operations had the client
    // timeout (10 s by default) to drain, instead of the 3 minutes of the stages.
    assert_eq!(o.summary.run.end_s, 100.0);
    // The analyzer judges the same 60 s before the refusal.
    let baseline = &o.summary.metrics.baseline;
    assert_eq!((baseline.start_s, baseline.end_s), (30.0, 90.0));
    assert_eq!(baseline.steady, Some(false));
    assert!(!o.summary.passed);
}

#[test]
fn with_the_check_off_the_fault_is_injected_anyway() {
    let o = run(&saturated("check: false"));
    assert_eq!(o.record.meta.status, RunStatus::Completed);
    assert_eq!(
        marker_s(&o, MarkerKind::FaultInjected, "fault:0"),
        Some(90.0)
    );
    assert_eq!(o.summary.metrics.baseline.steady, Some(false));
}

#[test]
fn a_steady_baseline_lets_the_fault_in() {
    let o = run(&example("replication-rpo"));
    assert_eq!(o.summary.metrics.baseline.steady, Some(true));
    assert_eq!(
        marker_s(&o, MarkerKind::FaultInjected, "fault:0"),
        Some(90.0)
    );
}
