//! Shared helpers of the live engine's integration tests.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use faultline_live::testkit::{spawn_listening, wait_for_port, ChildGuard};
use faultline_record::{MarkerKind, RunRecord};

/// Starts the `faultline-live-kv` service on a loopback port it picks itself.
pub fn start_kv() -> (ChildGuard, String) {
    let (child, addr) = spawn_listening(
        "kv",
        Command::new(env!("CARGO_BIN_EXE_faultline-live-kv")).arg("127.0.0.1:0"),
    )
    .expect("the kv binary starts");
    assert!(
        wait_for_port(&addr, Duration::from_secs(10)),
        "kv did not listen on {addr}"
    );
    (child, addr)
}

/// Starts `redis-server` (binary `bin`) on `127.0.0.1:port` with no persistence, plus
/// `extra` arguments, and waits until it accepts connections.
pub fn start_redis(bin: &Path, port: u16, extra: &[&str]) -> ChildGuard {
    let mut cmd = Command::new(bin);
    cmd.args([
        "--port",
        &port.to_string(),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
    ])
    .args(extra)
    .stdout(Stdio::null())
    .stderr(Stdio::null());
    let child = ChildGuard::spawn("redis-server", &mut cmd).expect("redis-server starts");
    assert!(
        wait_for_port(&format!("127.0.0.1:{port}"), Duration::from_secs(10)),
        "redis on {port}"
    );
    child
}

/// Parses and checks an experiment.
pub fn experiment(yaml: &str) -> faultline_spec::Experiment {
    let exp =
        faultline_spec::parse(yaml, Path::new("test.yaml")).expect("the test experiment parses");
    if let Err(problems) = faultline_live::check(&exp) {
        panic!("{}", problems.join("\n"));
    }
    exp
}

/// Runs an experiment and loads its record.
pub fn run(yaml: &str) -> (RunRecord, tempfile::TempDir) {
    let exp = experiment(yaml);
    let dir = tempfile::tempdir().unwrap();
    faultline_live::run(&exp, dir.path(), &mut |_| {}).expect("the live run works");
    (RunRecord::load(dir.path()).expect("the record loads"), dir)
}

/// The first marker of a kind and source (prefix).
pub fn marker_t(record: &RunRecord, kind: MarkerKind, source_prefix: &str) -> Option<u64> {
    record
        .markers
        .iter()
        .filter(|m| m.kind == kind && m.source.starts_with(source_prefix))
        .map(|m| m.t_us)
        .min()
}

/// The analyzer's summary of the run, from the record and the experiment's own settings.
pub fn summary(record: &RunRecord) -> faultline_analyze::Summary {
    let experiment = faultline_spec::parse(&record.experiment_text, Path::new("experiment.yaml"))
        .expect("the record's experiment parses");
    faultline_analyze::analyze(record, &experiment).summary
}

/// The run's RTO in microseconds, as the analyzer computes it from the record and the
/// experiment's own `recovery` settings (`None`: not recovered).
pub fn rto_us(record: &RunRecord) -> Option<u64> {
    summary(record)
        .metrics
        .rto_s
        .map(|rto_s| (rto_s * 1e6).round() as u64)
}

/// `total_connections_received` from `INFO stats`.
pub async fn connections_received(addr: &str) -> u64 {
    let mut con = faultline_live::target::redis::connect(addr, Duration::from_secs(2))
        .await
        .expect("info connection");
    let info: String = redis::cmd("INFO")
        .arg("stats")
        .query_async(&mut con)
        .await
        .expect("INFO stats");
    info.lines()
        .find_map(|l| l.strip_prefix("total_connections_received:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("total_connections_received in INFO stats")
}
