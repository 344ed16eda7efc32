//! HTTP/1.1 and HTTP/2 targets against the test service: every operation succeeds,
//! the ledger holds every write, and verification finds the newest acknowledged
//! write of every key.

mod common;

use std::collections::HashMap;

use faultline_record::{RunStatus, WriteOutcome};

fn check(version: &str, model: &str) {
    let (_kv, addr) = common::start_kv();
    let stages = if model == "open" {
        "model: open\n  stages: [ { hold: 2s, rate: 300/s } ]"
    } else {
        "model: closed\n  think_time: 10ms\n  stages: [ { hold: 2s, users: 8 } ]"
    };
    let yaml = format!(
        r#"
name: http-{version}-{model}
engine: live
architecture:
  api: {{ kind: service, instances: 1, concurrency: 64, service_time: {{ fixed: 1ms }} }}
live:
  targets: {{ api: {{ http: {{ base: "http://{addr}", version: {version}, connections: 16 }} }} }}
workload:
  {stages}
  mix: {{ read: 50%, write: 50% }}
  # Many keys: two writes of one key in flight at once may land in either order.
  keys: {{ count: 100000 }}
"#
    );
    let (record, _dir) = common::run(&yaml);
    assert_eq!(record.meta.status, RunStatus::Completed);
    let client = record.buckets.iter().filter(|b| b.series == "client");
    let (ok, failed) = client.fold((0, 0), |(o, f), b| (o + b.ok, f + b.failed.total()));
    assert!(ok > 100, "{version}/{model}: {ok} ok");
    assert_eq!(failed, 0, "{version}/{model}: failures");
    assert!(record
        .ledger
        .iter()
        .all(|e| e.outcome == WriteOutcome::Acked));
    let mut newest: HashMap<&str, u64> = HashMap::new();
    for e in &record.ledger {
        let n = newest.entry(e.key.as_str()).or_default();
        *n = (*n).max(e.id);
    }
    assert_eq!(record.final_state.len(), newest.len());
    for f in &record.final_state {
        assert_eq!(
            f.write_id,
            newest.get(f.key.as_str()).copied(),
            "{version}/{model}: key {}",
            f.key
        );
    }
}

#[test]
fn http1_open_and_closed_models_record_and_verify_every_write() {
    check("http1", "open");
    check("http1", "closed");
}

#[test]
fn http2_open_and_closed_models_record_and_verify_every_write() {
    check("http2", "open");
    check("http2", "closed");
}

#[test]
fn a_stop_while_the_target_does_not_answer_ends_the_preflight_at_once() {
    // A loopback port nobody listens on: every read is refused, and the preflight would
    // wait its whole 10 s for an answer.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap();
    let yaml = format!(
        r#"
name: preflight-stop
engine: live
architecture:
  api: {{ kind: service, instances: 1, concurrency: 8, service_time: {{ fixed: 1ms }} }}
live:
  targets: {{ api: {{ http: {{ base: "http://127.0.0.1:{port}" }} }} }}
workload:
  model: open
  stages: [ {{ hold: 2s, rate: 10/s }} ]
  mix: {{ read: 100%, write: 0% }}
"#
    );
    let exp = common::experiment(&yaml);
    let dir = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let stopper = std::sync::Arc::new(faultline_live::Stopper::default());
    let started = std::time::Instant::now();
    let result = runtime.block_on(async {
        let stop = stopper.clone();
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            stop.stop(faultline_live::StopCause::Interrupted(
                "SIGINT (Ctrl-C)".into(),
            ));
        });
        faultline_live::run_async(&exp, dir.path(), &mut |_| {}, stopper.clone()).await
    });
    let error = result.expect_err("no target answered").to_string();
    assert!(error.contains("interrupted: SIGINT"), "{error}");
    assert!(error.contains("nothing was injected"), "{error}");
    // Well before the 10 s the preflight waits for a target that never answers.
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert!(
        !dir.path().join("run.json").exists(),
        "no record was started"
    );
}
