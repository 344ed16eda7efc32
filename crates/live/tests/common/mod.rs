//! Shared helpers of the live engine's integration tests.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use faultline_live::testkit::{free_port, wait_for_port, ChildGuard};
use faultline_record::{MarkerKind, RunRecord, BUCKET_US};

/// Starts the `faultline-live-kv` service on a free loopback port.
pub fn start_kv() -> (ChildGuard, String) {
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let child = ChildGuard::spawn(
        "kv",
        Command::new(env!("CARGO_BIN_EXE_faultline-live-kv"))
            .arg(&addr)
            .stdout(Stdio::null()),
    )
    .expect("the kv binary starts");
    assert!(
        wait_for_port(&addr, Duration::from_secs(10)),
        "kv did not listen on {addr}"
    );
    (child, addr)
}

/// Parses and checks an experiment.
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

#[derive(Default, Clone, Copy, Debug)]
struct Counts {
    started: u64,
    ok: u64,
    failed: u64,
}

/// RTO exactly as PRODUCT.md defines it, from the `client` series: the start of the
/// first window of `window_s` seconds after `t_f` in which every second has success
/// rate ≥ min(0.99, baseline) and ok-throughput ≥ 0.9 × offered, minus `t_f`.
pub fn rto_us(record: &RunRecord, t_f_us: u64, window_s: u64) -> Option<u64> {
    let last = record.buckets.iter().map(|b| b.index).max()? as usize;
    let mut by_bucket = vec![Counts::default(); last + 1];
    for b in record.buckets.iter().filter(|b| b.series == "client") {
        let c = &mut by_bucket[b.index as usize];
        c.started += b.started;
        c.ok += b.ok;
        c.failed += b.failed.total();
    }
    let f = (t_f_us / BUCKET_US) as usize;
    let (ok_b, all_b) = by_bucket[..f]
        .iter()
        .fold((0, 0), |(o, a), c| (o + c.ok, a + c.ok + c.failed));
    let s_b = if all_b > 0 {
        ok_b as f64 / all_b as f64
    } else {
        1.0
    };
    let success_min = s_b.min(0.99);
    let second = |start: usize| -> Option<bool> {
        if start + 10 > by_bucket.len() {
            return None;
        }
        let s = by_bucket[start..start + 10]
            .iter()
            .fold(Counts::default(), |a, c| Counts {
                started: a.started + c.started,
                ok: a.ok + c.ok,
                failed: a.failed + c.failed,
            });
        let done = s.ok + s.failed;
        if std::env::var_os("FAULTLINE_DEBUG").is_some() {
            eprintln!("window at {start}: {s:?} min {success_min}");
        }
        let success = if done > 0 {
            s.ok as f64 / done as f64
        } else {
            0.0
        };
        Some(success >= success_min && s.ok as f64 >= 0.9 * s.started as f64)
    };
    'candidate: for b in f..by_bucket.len() {
        for k in 0..window_s as usize {
            match second(b + 10 * k) {
                Some(true) => {}
                Some(false) => continue 'candidate,
                None => return None,
            }
        }
        return Some((b as u64 * BUCKET_US).saturating_sub(t_f_us));
    }
    None
}
