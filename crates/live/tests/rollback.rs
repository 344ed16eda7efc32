//! Every injected fault is rolled back on every path: at the end of a successful run,
//! when a guardrail trips, and when a step fails. (Ctrl-C and SIGTERM: `signals.rs`;
//! a panic: the unit tests of `faults`.)

mod common;

use faultline_record::{MarkerKind, RunRecord, RunStatus};

fn is_paused(pid: u32) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    stat.rsplit(')').next().unwrap().trim().starts_with('T')
}

fn experiment(addr: &str, pid: u32, faults: &str, guardrails: &str) -> String {
    format!(
        r#"
name: rollback
engine: live
architecture:
  api: {{ kind: service, instances: 1, concurrency: 64, service_time: {{ fixed: 1ms }} }}
live:
  targets: {{ api: {{ http: {{ base: "http://{addr}" }} }} }}
  processes: {{ api: {{ pid: {pid} }} }}
  actions: {{ broken: {{ command: ["false"] }} }}
  verify: {{ wait: 5s }}
workload:
  model: open
  stages: [ {{ hold: 4s, rate: 200/s }} ]
  timeout: 200ms
  mix: {{ read: 50%, write: 50% }}
  keys: {{ count: 100 }}
faults:
{faults}
{guardrails}
"#
    )
}

fn healed_by_rollback(record: &RunRecord) -> bool {
    record.markers.iter().any(|m| {
        m.kind == MarkerKind::FaultHealed
            && m.source == "fault:0"
            && m.detail
                .as_deref()
                .is_some_and(|d| d.contains("rolled back"))
    })
}

/// A pause without a duration lasts until the end of the run, and is rolled back then.
#[test]
fn a_fault_without_duration_is_rolled_back_at_the_end_of_a_successful_run() {
    let (kv, addr) = common::start_kv();
    let yaml = experiment(&addr, kv.pid(), "  - { at: 3s, pause: api }", "");
    let (record, _dir) = common::run(&yaml);
    assert_eq!(record.meta.status, RunStatus::Completed);
    assert!(healed_by_rollback(&record));
    assert!(!is_paused(kv.pid()));
}

/// A guardrail stops the run early; the paused process is resumed.
#[test]
fn a_guardrail_trip_stops_the_run_and_rolls_back() {
    let (kv, addr) = common::start_kv();
    let yaml = experiment(
        &addr,
        kv.pid(),
        "  - { at: 1s, pause: api }",
        "guardrails: { max_error_rate: 20%, window: 1s }",
    );
    let (record, _dir) = common::run(&yaml);
    assert_eq!(record.meta.status, RunStatus::Aborted);
    let reason = record.meta.abort_reason.clone().unwrap_or_default();
    assert!(reason.contains("guardrail"), "{reason}");
    let t_guard = common::marker_t(&record, MarkerKind::Guardrail, "guardrail:max_error_rate")
        .expect("guardrail marker");
    assert!(t_guard < 3_500_000, "stopped early, at {t_guard} us");
    assert!(healed_by_rollback(&record));
    assert!(!is_paused(kv.pid()));
}

/// A failing step (an action whose command fails) aborts the run; the fault injected
/// before it is rolled back.
#[test]
fn a_failing_step_aborts_the_run_and_rolls_back_earlier_faults() {
    let (kv, addr) = common::start_kv();
    let yaml = experiment(
        &addr,
        kv.pid(),
        "  - { at: 1s, pause: api }\n  - { at: 2s, action: broken }",
        "",
    );
    let (record, _dir) = common::run(&yaml);
    assert_eq!(record.meta.status, RunStatus::Aborted);
    let reason = record.meta.abort_reason.clone().unwrap_or_default();
    assert!(
        reason.contains("step failed") && reason.contains("broken"),
        "{reason}"
    );
    assert!(healed_by_rollback(&record));
    assert!(!is_paused(kv.pid()));
}
