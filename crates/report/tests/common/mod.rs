//! Hand-built run records for the report tests: the shipped active-passive example with
//! a failover whose figures are known (fault at 630 s, detection +3 s, activation
//! +13 s, recovery at 677.1 s, writes acknowledged in the last 0.8 s before the fault
//! lost).
#![allow(dead_code)] // each test binary uses part of it

use std::path::{Path, PathBuf};

use faultline_analyze::{analyze, Analysis};
use faultline_record::*;
use faultline_spec::Experiment;

/// The example's text (a copy of the shipped example, see the fixture's header).
pub fn example_text() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/active-passive.yaml");
    std::fs::read_to_string(&path).expect("tests/fixtures/active-passive.yaml is in the repository")
}

/// What to vary in the synthetic run.
#[derive(Clone, Copy)]
pub struct Shape {
    /// Whether a fault is injected at 630 s.
    pub fault: bool,
    /// Whether the service comes back (at 677.2 s).
    pub recovers: bool,
    /// Length of the run in seconds.
    pub end_s: u64,
}

impl Default for Shape {
    fn default() -> Self {
        Self {
            fault: true,
            recovers: true,
            end_s: 990,
        }
    }
}

const T_F_B: u64 = 6_300; // bucket of the fault
const DETECT_B: u64 = 6_330;
const ACTIVATE_B: u64 = 6_430;
const RECOVER_B: u64 = 6_772;

fn offered_per_bucket(b: u64) -> u64 {
    // 50 users with a 1 s think time, ramping to 500 from 600 s to 660 s.
    let t = b as f64 / 10.0;
    let users = if t < 600.0 {
        50.0
    } else if t < 660.0 {
        50.0 + (t - 600.0) / 60.0 * 450.0
    } else {
        500.0
    };
    (users / 10.0 * 0.97).round() as u64
}

fn bucket(
    index: u64,
    series: &str,
    op: OpKind,
    started: u64,
    ok: u64,
    failed: FailureCounts,
    latency_ms: &[(f64, u64)],
) -> Bucket {
    let mut h = LatencyHistogram::new();
    for (ms, n) in latency_ms {
        for _ in 0..*n {
            h.record((*ms * 1_000.0) as u64);
        }
    }
    Bucket {
        index,
        series: series.to_string(),
        op,
        started,
        ok,
        failed,
        latency_us: h.to_sparse(),
    }
}

/// A record of the example run in memory, with the given shape.
pub fn record(shape: Shape) -> RunRecord {
    let end_b = shape.end_s * 10;
    let mut buckets = Vec::new();
    let mut ledger = Vec::new();
    let mut final_state = Vec::new();
    let mut id = 0u64;
    for b in 0..end_b {
        let offered = offered_per_bucket(b);
        let in_outage = shape.fault && b >= T_F_B && (!shape.recovers || b < RECOVER_B);
        // Share of operations failing: all until activation, then fading as clients
        // re-resolve the DNS name.
        let fail_share = if !in_outage {
            0.0
        } else if b < ACTIVATE_B {
            1.0
        } else {
            let left = if shape.recovers {
                (RECOVER_B - b) as f64 / (RECOVER_B - ACTIVATE_B) as f64
            } else {
                0.35
            };
            0.05 + left.clamp(0.0, 1.0) * 0.75
        };
        let failed_n = (offered as f64 * fail_share).round() as u64;
        let ok_n = offered - failed_n;
        let mut failed = FailureCounts::default();
        if failed_n > 0 {
            if b < DETECT_B + 5 {
                failed.add(FailureClass::Timeout, failed_n);
            } else if b < ACTIVATE_B {
                failed.add(FailureClass::Refused, failed_n * 2 / 3);
                failed.add(FailureClass::Timeout, failed_n - failed_n * 2 / 3);
            } else {
                failed.add(FailureClass::Refused, failed_n / 2);
                failed.add(FailureClass::PoolExhausted, failed_n - failed_n / 2);
            }
        }
        let slow = if in_outage {
            3.0 + 20.0 * fail_share
        } else {
            1.0
        };
        let ok_lat = [
            (19.0 * slow, ok_n / 2),
            (24.0 * slow, ok_n - ok_n / 2 - ok_n.min(1)),
            (80.0 * slow, ok_n.min(1)),
        ];
        let fail_lat = [
            (1_000.0, failed.timeout),
            (3.0, failed.refused),
            (500.0, failed.pool_exhausted),
        ];
        let lat: Vec<(f64, u64)> = ok_lat.iter().chain(fail_lat.iter()).copied().collect();
        let reads = offered * 7 / 10;
        let writes = offered - reads;
        buckets.push(bucket(
            b,
            CLIENT_SERIES,
            OpKind::Read,
            reads,
            ok_n,
            failed,
            &lat,
        ));
        buckets.push(bucket(
            b,
            CLIENT_SERIES,
            OpKind::Write,
            writes,
            0,
            FailureCounts::default(),
            &[],
        ));
        buckets.push(bucket(b, "api", OpKind::Read, offered, ok_n, failed, &lat));
        buckets.push(bucket(b, "lb", OpKind::Read, offered, ok_n, failed, &lat));
        let db_down = shape.fault && (T_F_B..ACTIVATE_B).contains(&b);
        let mut db_failed = FailureCounts::default();
        if db_down {
            db_failed.add(FailureClass::Refused, offered);
        }
        buckets.push(bucket(
            b,
            "db",
            OpKind::Read,
            offered,
            if db_down { 0 } else { offered },
            db_failed,
            &[(2.0, offered)],
        ));

        // Writes: acknowledged unless failing; the ones acknowledged in the last 0.8 s
        // before the fault never reached the standby.
        let acked = writes.saturating_sub((writes as f64 * fail_share).round() as u64);
        for i in 0..writes {
            id += 1;
            let key = format!("k{id}");
            let t = b * BUCKET_US + i * 1_000;
            let is_acked = i < acked;
            let lost = shape.fault && is_acked && (T_F_B - 8..T_F_B).contains(&b);
            ledger.push(LedgerEntry {
                id,
                key: key.clone(),
                checksum: Checksum::of(key.as_bytes()),
                t_intended_us: t,
                t_ack_us: is_acked.then_some(t + 20_000),
                outcome: if is_acked {
                    WriteOutcome::Acked
                } else {
                    WriteOutcome::Failed
                },
            });
            final_state.push(FinalRead {
                key: key.clone(),
                write_id: (is_acked && !lost).then_some(id),
                checksum: (is_acked && !lost).then(|| Checksum::of(key.as_bytes())),
                source: "db.primary".to_string(),
            });
        }
    }
    let marker = |t_us: u64,
                  kind: MarkerKind,
                  source: &str,
                  component: Option<&str>,
                  detail: Option<&str>| Marker {
        t_us,
        kind,
        source: source.to_string(),
        component: component.map(str::to_string),
        detail: detail.map(str::to_string),
    };
    let mut markers = vec![marker(0, MarkerKind::PhaseStart, "baseline", None, None)];
    if shape.fault {
        markers.extend([
            marker(
                630_000_000,
                MarkerKind::FaultInjected,
                "fault:0",
                Some("db"),
                Some("kill db.primary"),
            ),
            marker(
                633_000_000,
                MarkerKind::Detect,
                "db.failover.detect",
                Some("db"),
                Some("3 failed checks"),
            ),
            marker(
                643_000_000,
                MarkerKind::RoleChange,
                "db.failover",
                Some("db"),
                Some("standby -> primary"),
            ),
            marker(
                643_000_000,
                MarkerKind::Activate,
                "db.failover.activate",
                Some("db"),
                None,
            ),
            marker(
                643_100_000,
                MarkerKind::DnsChange,
                "db-dns",
                Some("db-dns"),
                Some("db-dns -> db.standby"),
            ),
            marker(
                shape.end_s * 1_000_000,
                MarkerKind::FaultHealed,
                "fault:0",
                Some("db"),
                Some("rolled back at the end"),
            ),
        ]);
    }
    RunRecord {
        dir: PathBuf::from("runs/orders-active-passive-42"),
        meta: RunMeta {
            end_us: Some(shape.end_s * 1_000_000),
            status: RunStatus::Completed,
            ..RunMeta::new("orders-active-passive", Engine::Sim, 42)
        },
        experiment_text: example_text(),
        buckets,
        markers,
        ledger,
        final_state,
    }
}

/// The example experiment, validated.
pub fn experiment() -> Experiment {
    faultline_spec::parse(&example_text(), Path::new("active-passive.yaml"))
        .expect("the example is valid")
}

/// Record, experiment and analysis of the default shape.
pub fn demo() -> (RunRecord, Experiment, Analysis) {
    demo_with(Shape::default())
}

/// Record, experiment and analysis of a shape.
pub fn demo_with(shape: Shape) -> (RunRecord, Experiment, Analysis) {
    let record = record(shape);
    let experiment = experiment();
    let analysis = analyze(&record, &experiment);
    (record, experiment, analysis)
}

/// Compares `actual` with the snapshot file `tests/snapshots/<name>`; with
/// `UPDATE_SNAPSHOTS=1` rewrites it instead.
pub fn check_snapshot(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "no snapshot {}; run with UPDATE_SNAPSHOTS=1 to create it",
            path.display()
        )
    });
    if expected != actual {
        panic!(
            "snapshot {} differs (run with UPDATE_SNAPSHOTS=1 to accept):\n--- expected\n{expected}\n--- actual\n{actual}",
            path.display()
        );
    }
}

/// The workspace's target folder (for artifacts).
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"))
}

/// Whether a test that needs an external program may run: `true` when `present`;
/// otherwise fails the test under CI (the `CI` variable set) and prints why it skips
/// elsewhere.
pub fn external_available(present: bool, what: &str) -> bool {
    if present {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!("{what} is missing, and CI is set: run .ci/setup/report.sh");
    }
    eprintln!("SKIPPED: {what} is missing (run .ci/setup/report.sh to install it)");
    false
}

/// The first `name` found on `PATH`.
pub fn on_path(name: &str) -> Option<PathBuf> {
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// Runs a command to its end, killing it after `limit`; returns its stdout.
pub fn run_bounded(
    command: &mut std::process::Command,
    limit: std::time::Duration,
) -> (bool, String, String) {
    use std::io::Read;
    let mut child = command
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the command starts");
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting works") {
            break Some(status);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let mut stdout = String::new();
    let mut stderr = String::new();
    if let Some(mut out) = child.stdout.take() {
        let _ = out.read_to_string(&mut stdout);
    }
    if let Some(mut err) = child.stderr.take() {
        let _ = err.read_to_string(&mut stderr);
    }
    (status.is_some_and(|s| s.success()), stdout, stderr)
}
