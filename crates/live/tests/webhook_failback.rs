//! An Alertmanager webhook becomes the detect signal; the failback phase waits for its
//! in-sync probe and then runs its actions, recorded like a failover.

mod common;

use std::io::Write;
use std::time::Duration;

use faultline_live::testkit::free_port;
use faultline_record::{MarkerKind, RunStatus};

#[test]
fn an_alertmanager_webhook_is_recorded_as_the_detect_signal() {
    let (_kv, addr) = common::start_kv();
    let hook = format!("127.0.0.1:{}", free_port());
    let yaml = format!(
        r#"
name: webhook
engine: live
architecture:
  api: {{ kind: service, instances: 1, concurrency: 64, service_time: {{ fixed: 1ms }} }}
live:
  targets: {{ api: {{ http: {{ base: "http://{addr}" }} }} }}
  alert_webhook: {{ listen: "{hook}", alerts: [ApiDown] }}
workload:
  model: open
  stages: [ {{ hold: 3s, rate: 50/s }} ]
  mix: {{ read: 50%, write: 50% }}
"#
    );
    let sender = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(1500));
        let body = r#"{"version":"4","status":"firing","receiver":"faultline","alerts":[
            {"status":"firing","labels":{"alertname":"ApiDown"}},
            {"status":"firing","labels":{"alertname":"Unrelated"}},
            {"status":"resolved","labels":{"alertname":"Old"}}]}"#;
        let mut s = std::net::TcpStream::connect(&hook).expect("the receiver listens");
        write!(
            s,
            "POST /alerts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut answer = String::new();
        std::io::Read::read_to_string(&mut s, &mut answer).unwrap();
        answer
    });
    let (record, _dir) = common::run(&yaml);
    assert!(sender.join().unwrap().starts_with("HTTP/1.1 200"));
    assert_eq!(record.meta.status, RunStatus::Completed);
    let t = common::marker_t(&record, MarkerKind::Detect, "alert:ApiDown")
        .expect("detect from the webhook");
    assert!((1_300_000..2_500_000).contains(&t), "at {t} us");
    assert!(common::marker_t(&record, MarkerKind::Alert, "alert:ApiDown").is_some());
    assert!(
        common::marker_t(&record, MarkerKind::Alert, "alert:Unrelated").is_none(),
        "filtered"
    );
    assert!(
        common::marker_t(&record, MarkerKind::Alert, "alert:Old").is_none(),
        "resolved"
    );
}

#[test]
fn failback_waits_for_the_in_sync_probe_then_runs_its_actions() {
    let (kv, addr) = common::start_kv();
    let dir = tempfile::tempdir().unwrap();
    let flag = dir.path().join("failed-back");
    let yaml = format!(
        r#"
name: failback
engine: live
architecture:
  api: {{ kind: service, instances: 1, concurrency: 64, service_time: {{ fixed: 1ms }} }}
live:
  targets: {{ api: {{ http: {{ base: "http://{addr}" }} }} }}
  processes: {{ api: {{ pid: {pid} }} }}
  actions: {{ fail-back: {{ command: [touch, "{flag}"] }} }}
  probes: {{ in-sync: {{ tcp: "{addr}" }} }}
  failback: {{ in_sync: in-sync, actions: [fail-back] }}
workload:
  model: open
  stages: [ {{ hold: 4s, rate: 50/s }} ]
  timeout: 300ms
  mix: {{ read: 50%, write: 50% }}
faults:
  - {{ at: 1s, pause: api, duration: 1s }}
phases: {{ failback: {{ after: 500ms }} }}
"#,
        pid = kv.pid(),
        flag = flag.display()
    );
    let (record, _out) = common::run(&yaml);
    assert_eq!(
        record.meta.status,
        RunStatus::Completed,
        "{:?}",
        record.meta.abort_reason
    );
    let healed = common::marker_t(&record, MarkerKind::FaultHealed, "fault:0").unwrap();
    let started =
        common::marker_t(&record, MarkerKind::PhaseStart, "failback").expect("failback phase");
    let action = common::marker_t(&record, MarkerKind::FaultInjected, "failback:1")
        .expect("failback action recorded");
    assert!(
        started >= healed + 500_000,
        "failback at {started} us, healed at {healed} us"
    );
    assert!(action >= started);
    assert!(flag.exists(), "the failback action ran");
}
