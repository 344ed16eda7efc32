//! The steady-state gate: a design that already fails in its baseline, or falls behind
//! its load, gets no fault; the run says why and ends aborted, and the analyzer agrees.

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

/// 2 000 arrivals a second against one instance that finishes 400 (4 at a time, 10 ms
/// each), with a 10-minute client timeout: no operation fails and every second
/// completes the same 400, but the queue grows by 1 600 a second.
fn overloaded(steady_state: &str) -> String {
    format!(
        "name: overloaded
seed: 1
architecture:
  api: {{ kind: service, instances: 1, concurrency: 4, service_time: {{ fixed: 10ms }} }}
workload:
  target: api
  model: open
  stages: [ {{ hold: 20s, rate: 2000/s }} ]
  timeout: 10m
  mix: {{ read: 100%, write: 0% }}
phases: {{ baseline: 10s, steady_state: {{ {steady_state} }} }}
faults:
  - {{ at: 12s, kill: api, duration: 2s }}
"
    )
}

#[test]
fn an_open_load_beyond_capacity_gets_no_fault_though_nothing_fails() {
    let o = run(&overloaded(""));
    assert_eq!(o.record.meta.status, RunStatus::Aborted);
    assert_eq!(marker_s(&o, MarkerKind::FaultInjected, "fault:0"), None);
    assert_eq!(marker_s(&o, MarkerKind::Note, "steady_state"), Some(12.0));
    let note = o
        .record
        .markers
        .iter()
        .find(|m| m.kind == MarkerKind::Note && m.source == "steady_state")
        .and_then(|m| m.detail.clone())
        .unwrap_or_default();
    assert!(
        note.starts_with(
            "baseline not steady, no fault injected: the system fell behind its load:"
        ) && note.contains("started in the last 5 seconds of the baseline and 2000 finished")
            && note.ends_with("still waiting, max_backlog 10%)"),
        "{note}"
    );
    // The analyzer judges the same 10 s: nothing failed, nothing swung, 80% waiting.
    let baseline = &o.summary.metrics.baseline;
    assert_eq!((baseline.start_s, baseline.end_s), (2.0, 12.0));
    assert_eq!(baseline.success_rate, Some(1.0));
    assert_eq!(baseline.steady, Some(false));
    let backlog = baseline.backlog_share.unwrap_or_default();
    assert!((0.78..0.82).contains(&backlog), "{backlog}");
    assert_eq!(
        baseline.steady_reason.as_deref(),
        note.strip_prefix("baseline not steady, no fault injected: ")
    );
    assert!(!o.summary.passed);
}

#[test]
fn with_max_backlog_at_100_percent_the_overloaded_baseline_gets_its_fault() {
    let o = run(&overloaded("max_backlog: 100%"));
    assert_eq!(o.record.meta.status, RunStatus::Completed);
    assert_eq!(
        marker_s(&o, MarkerKind::FaultInjected, "fault:0"),
        Some(12.0)
    );
    assert_eq!(o.summary.metrics.baseline.steady, Some(true));
}
