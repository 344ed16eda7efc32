//! SIGTERM and Ctrl-C (SIGINT) stop a live run: the paused process is resumed, the
//! record says `aborted` and why. One test, because signals go to the whole process.

mod common;

use std::time::Duration;

use faultline_record::{RunRecord, RunStatus};

fn is_paused(pid: u32) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    stat.rsplit(')').next().unwrap().trim().starts_with('T')
}

fn run_and_signal(signal: i32) -> (RunRecord, u32) {
    let (kv, addr) = common::start_kv();
    let yaml = format!(
        r#"
name: signals
engine: live
architecture:
  api: {{ kind: service, instances: 1, concurrency: 64, service_time: {{ fixed: 1ms }} }}
live:
  targets: {{ api: {{ http: {{ base: "http://{addr}" }} }} }}
  processes: {{ api: {{ pid: {pid} }} }}
workload:
  model: open
  stages: [ {{ hold: 30s, rate: 100/s }} ]
  timeout: 200ms
  mix: {{ read: 50%, write: 50% }}
faults:
  - {{ at: 500ms, pause: api }}
"#,
        pid = kv.pid()
    );
    let exp = common::experiment(&yaml);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_path_buf();
    let runner = std::thread::spawn(move || faultline_live::run(&exp, &out, &mut |_| {}));
    // Wait until the pause is in place, then signal our own process.
    for _ in 0..100 {
        if is_paused(kv.pid()) {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(is_paused(kv.pid()), "the fault was injected");
    // SAFETY: signals our own process, whose runtime handles SIGTERM and SIGINT.
    unsafe {
        libc::kill(libc::getpid(), signal);
    }
    let meta = runner.join().unwrap().expect("the run ends with a record");
    assert_eq!(meta.status, RunStatus::Aborted);
    let record = RunRecord::load(dir.path()).unwrap();
    assert!(record.meta.end_us.unwrap() < 20_000_000, "stopped early");
    assert!(!is_paused(kv.pid()), "the paused process was resumed");
    (record, kv.pid())
}

#[test]
fn sigterm_and_ctrl_c_stop_the_run_and_roll_back_every_fault() {
    let (record, _) = run_and_signal(libc::SIGTERM);
    let reason = record.meta.abort_reason.unwrap_or_default();
    assert!(reason.contains("SIGTERM"), "{reason}");
    let (record, _) = run_and_signal(libc::SIGINT);
    let reason = record.meta.abort_reason.unwrap_or_default();
    assert!(reason.contains("SIGINT"), "{reason}");
}
