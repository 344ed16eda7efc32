//! Known-answer tests of the transition timing: an outage of exactly N seconds.

mod common;

use faultline_live::testkit::free_port;
use faultline_record::{MarkerKind, RunRecord, RunStatus};

fn dump(record: &RunRecord, t_f: u64) {
    if std::env::var_os("FAULTLINE_DEBUG").is_some() {
        for b in record.buckets.iter().filter(|b| {
            b.series == "client"
                && b.index * 100_000 + 500_000 >= t_f
                && b.index * 100_000 <= t_f + 4_000_000
        }) {
            eprintln!(
                "{} {:?} started={} ok={} failed={:?}",
                b.index, b.op, b.started, b.ok, b.failed
            );
        }
    }
}

fn outage(record: &RunRecord) -> (u64, u64) {
    let t_f = common::marker_t(record, MarkerKind::FaultInjected, "fault:0").expect("injected");
    let t_h = common::marker_t(record, MarkerKind::FaultHealed, "fault:0").expect("healed");
    (t_f, t_h)
}

/// The target refuses connections for exactly 2 s (the fault proxy stops listening):
/// every operation fails at once, so the RTO is the outage, within 200 ms.
#[test]
fn unreachable_for_exactly_two_seconds_gives_an_rto_of_two_seconds() {
    let (_kv, addr) = common::start_kv();
    let listen = format!("127.0.0.1:{}", free_port());
    let yaml = format!(
        r#"
name: known-answer-refuse
engine: live
architecture:
  api: {{ kind: service, instances: 1, concurrency: 64, service_time: {{ fixed: 1ms }} }}
live:
  targets: {{ api: {{ http: {{ base: "http://{listen}", connections: 128 }} }} }}
  edges:
    - {{ between: [client, api], proxy: {{ listen: "{listen}", upstream: "{addr}", partition: refuse }} }}
workload:
  model: open
  stages: [ {{ hold: 8s, rate: 400/s }} ]
  timeout: 1s
  mix: {{ read: 50%, write: 50% }}
  keys: {{ count: 1000 }}
faults:
  - {{ at: 3s, partition: {{ between: [client, api] }}, duration: 2s }}
recovery: {{ window: 2s }}
"#
    );
    let (record, _dir) = common::run(&yaml);
    assert_eq!(record.meta.status, RunStatus::Completed);
    let (t_f, t_h) = outage(&record);
    dump(&record, t_f);
    assert!(
        (t_h - t_f).abs_diff(2_000_000) < 100_000,
        "outage lasted {} us",
        t_h - t_f
    );
    let rto = common::rto_us(&record).expect("recovered");
    assert!(
        rto.abs_diff(2_000_000) <= 200_000,
        "RTO {rto} us, expected 2 s within 200 ms"
    );
    let refused: u64 = record.buckets.iter().map(|b| b.failed.refused).sum();
    assert!(
        refused > 100,
        "operations during the outage are refused ({refused})"
    );
}

/// The process is paused (SIGSTOP) for exactly 2 s with a 500 ms client timeout: the
/// requests sent during the pause keep timing out after the resume, so the RTO is the
/// pause plus the timeout, within 200 ms. The process is resumed afterwards.
#[test]
fn a_two_second_pause_gives_an_rto_of_the_pause_plus_the_client_timeout() {
    let (kv, addr) = common::start_kv();
    let yaml = format!(
        r#"
name: known-answer-pause
engine: live
architecture:
  api: {{ kind: service, instances: 1, concurrency: 64, service_time: {{ fixed: 1ms }} }}
live:
  targets: {{ api: {{ http: {{ base: "http://{addr}", connections: 256 }} }} }}
  processes: {{ api: {{ pid: {pid} }} }}
workload:
  model: open
  stages: [ {{ hold: 8s, rate: 400/s }} ]
  timeout: 500ms
  mix: {{ read: 50%, write: 50% }}
  keys: {{ count: 1000 }}
faults:
  - {{ at: 3s, pause: api, duration: 2s }}
recovery: {{ window: 2s }}
"#,
        pid = kv.pid()
    );
    let (record, _dir) = common::run(&yaml);
    assert_eq!(record.meta.status, RunStatus::Completed);
    let (t_f, t_h) = outage(&record);
    dump(&record, t_f);
    assert!(
        (t_h - t_f).abs_diff(2_000_000) < 100_000,
        "pause lasted {} us",
        t_h - t_f
    );
    let rto = common::rto_us(&record).expect("recovered");
    assert!(
        rto.abs_diff(2_500_000) <= 200_000,
        "RTO {rto} us, expected 2.5 s within 200 ms"
    );
    let state = std::fs::read_to_string(format!("/proc/{}/stat", kv.pid())).unwrap();
    assert!(
        !state.rsplit(')').next().unwrap().trim().starts_with('T'),
        "resumed: {state}"
    );
    assert!(
        record.final_state.len() > 100,
        "verification read {} keys",
        record.final_state.len()
    );
}
