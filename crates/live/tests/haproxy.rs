//! An HTTP service behind HAProxy with health checks and two backends: kill one
//! backend under load; the detection time follows HAProxy's check settings
//! (`inter` × (`fall` − 1) to `inter` × `fall`), seen through HAProxy's own view of its
//! servers (`nbsrv`).

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use faultline_live::testkit::{free_port, require_programs, wait_for_port, ChildGuard};
use faultline_record::RunStatus;

const INTER_MS: u64 = 200;
const FALL: u64 = 3;

fn http_status(addr: &str) -> Option<u16> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(1))).ok()?;
    write!(s, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").ok()?;
    let mut head = [0u8; 12];
    s.read_exact(&mut head).ok()?;
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}

#[test]
fn killing_a_backend_is_detected_as_haproxy_checks_say() {
    let Some(bins) = require_programs("haproxy", &["haproxy"]) else {
        return;
    };
    let (backend_a, addr_a) = common::start_kv();
    let (_backend_b, addr_b) = common::start_kv();
    let (front, monitor) = (free_port(), free_port());
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("haproxy.cfg");
    std::fs::write(
        &conf,
        format!(
            "global\n  maxconn 4096\n\
             defaults\n  mode http\n  timeout connect 1s\n  timeout client 5s\n  timeout server 5s\n  option redispatch\n  retries 2\n\
             frontend fe\n  bind 127.0.0.1:{front}\n  default_backend be\n\
             frontend monitor\n  bind 127.0.0.1:{monitor}\n  http-request return status 200 if {{ nbsrv(be) ge 2 }}\n  http-request return status 503\n\
             backend be\n  balance roundrobin\n  option httpchk GET /health\n  default-server inter {INTER_MS}ms fall {FALL} rise 2\n\
             \x20 server a {addr_a} check\n  server b {addr_b} check\n"
        ),
    )
    .unwrap();
    let mut cmd = Command::new(&bins[0]);
    cmd.arg("-db")
        .arg("-f")
        .arg(&conf)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let _haproxy = ChildGuard::spawn("haproxy", &mut cmd).expect("haproxy starts");
    assert!(
        wait_for_port(&format!("127.0.0.1:{front}"), Duration::from_secs(10)),
        "haproxy listens"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while http_status(&format!("127.0.0.1:{monitor}")) != Some(200) {
        assert!(
            Instant::now() < deadline,
            "HAProxy never saw both backends up"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    let yaml = format!(
        r#"
name: haproxy-backend-kill
engine: live
architecture:
  lb: {{ kind: load_balancer, targets: api, health_check: {{ interval: {INTER_MS}ms, timeout: 1s, unhealthy_after: {FALL}, healthy_after: 2 }} }}
  api: {{ kind: service, instances: 2, concurrency: 64, service_time: {{ fixed: 1ms }} }}
live:
  targets: {{ lb: {{ http: {{ base: "http://127.0.0.1:{front}" }} }} }}
  processes: {{ api.1: {{ pid: {pid} }} }}
  probes:
    lb-health: {{ http: "http://127.0.0.1:{monitor}/", every: 20ms, timeout: 150ms, detect: fails, component: lb }}
workload:
  model: open
  target: lb
  stages: [ {{ hold: 6s, rate: 300/s }} ]
  timeout: 1s
  mix: {{ read: 50%, write: 50% }}
faults:
  - {{ at: 3s, kill: api.1 }}
signals: {{ detect: ["probe:lb-health"] }}
phases: {{ verify: false }}
"#,
        pid = backend_a.pid()
    );
    let (record, _out) = common::run(&yaml);
    assert_eq!(record.meta.status, RunStatus::Completed);
    // The analyzer's TTD: the first detect marker after the fault. A sample that timed out
    // on a loaded machine before the fault is a flap the analyzer ignores, and so does
    // this test; the probe's 150 ms timeout keeps such flaps rare after it.
    let summary = common::summary(&record);
    assert_eq!(
        summary.metrics.ttd_source.as_deref(),
        Some("probe:lb-health")
    );
    let ttd_ms = (summary.metrics.ttd_s.expect("HAProxy marked it down") * 1e3).round() as u64;
    let (low, high) = (INTER_MS * (FALL - 1), INTER_MS * FALL + 100);
    assert!(
        (low..=high).contains(&ttd_ms),
        "TTD {ttd_ms} ms, expected {low}..={high} ms for inter {INTER_MS}ms fall {FALL}"
    );
    eprintln!("haproxy: TTD {ttd_ms} ms (inter {INTER_MS} ms, fall {FALL})");
}
