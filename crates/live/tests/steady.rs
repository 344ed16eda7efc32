//! The steady-state gate: a baseline that is already failing stops the run before the
//! first fault, and nothing is injected.

mod common;

use std::time::Duration;

use faultline_record::{MarkerKind, RunStatus};

fn experiment_yaml(addr: &str, pid: u32, steady_state: &str) -> String {
    format!(
        r#"
name: unsteady-baseline
engine: live
architecture:
  api: {{ kind: service, instances: 1, concurrency: 64, service_time: {{ fixed: 1ms }} }}
live:
  targets: {{ api: {{ http: {{ base: "http://{addr}" }} }} }}
  processes: {{ api: {{ pid: {pid} }} }}
workload:
  model: open
  stages: [ {{ hold: 10s, rate: 200/s }} ]
  timeout: 200ms
  mix: {{ read: 50%, write: 50% }}
phases: {{ baseline: 6s{steady_state} }}
faults:
  - {{ at: 6500ms, kill: api }}
"#
    )
}

/// Stops the kv process from 1.2 s to 3.2 s of the run (a stall nobody injected), from
/// another thread, then runs the experiment.
fn run_with_a_stall_in_the_baseline(steady_state: &str) -> (faultline_record::RunRecord, bool) {
    let (kv, addr) = common::start_kv();
    let pid = kv.pid();
    let staller = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(1_200));
        // SAFETY: stops and resumes the child this test started.
        unsafe { libc::kill(pid as i32, libc::SIGSTOP) };
        std::thread::sleep(Duration::from_millis(2_000));
        unsafe { libc::kill(pid as i32, libc::SIGCONT) };
    });
    let (record, _dir) = common::run(&experiment_yaml(&addr, pid, steady_state));
    staller.join().expect("the staller thread ends");
    (record, is_alive(pid))
}

/// Whether the process runs (a killed child stays a zombie until it is reaped).
fn is_alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        let state = stat.rsplit(')').next().unwrap_or("").trim_start();
        !(state.starts_with('Z') || state.starts_with('X'))
    })
}

#[test]
fn a_stall_in_the_baseline_stops_the_run_before_the_fault_and_injects_nothing() {
    let (record, alive) = run_with_a_stall_in_the_baseline("");
    assert_eq!(record.meta.status, RunStatus::Aborted);
    let reason = record.meta.abort_reason.clone().unwrap_or_default();
    assert!(reason.contains("baseline was not steady"), "{reason}");
    assert!(
        common::marker_t(&record, MarkerKind::FaultInjected, "fault:").is_none(),
        "no fault was injected"
    );
    assert!(alive, "the kill was never run");
    let note = common::marker_t(&record, MarkerKind::Note, "steady_state").expect("marked");
    assert!(
        note.abs_diff(6_500_000) < 300_000,
        "judged when the fault was due, at {note} us"
    );
    assert!(
        record.meta.end_us.unwrap_or(u64::MAX) < 9_000_000,
        "the load stopped early"
    );
    let experiment =
        faultline_spec::parse(&record.experiment_text, "experiment.yaml".as_ref()).unwrap();
    let summary = faultline_analyze::analyze(&record, &experiment).summary;
    assert_eq!(summary.metrics.baseline.steady, Some(false));
    assert!(!summary.passed);
}

#[test]
fn with_the_check_off_the_same_stall_does_not_stop_the_fault() {
    let (record, alive) = run_with_a_stall_in_the_baseline(", steady_state: { check: false }");
    assert_eq!(record.meta.status, RunStatus::Completed);
    assert!(common::marker_t(&record, MarkerKind::FaultInjected, "fault:0").is_some());
    assert!(!alive, "the kill ran");
}
