//! A partition by firewall rule between the load generator and a server that the test
//! runs inside a network namespace it creates (`ip netns`, a veth pair): injected and
//! rolled back by the experiment (iptables, then nftables), and the rules are gone
//! afterwards, on the healed path and on the rolled-back path.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use faultline_live::testkit::{require_programs, wait_for_port, ChildGuard};
use faultline_record::{MarkerKind, RunStatus};

/// A network namespace with a veth pair to the host; deleted on drop.
struct Netns {
    name: String,
    host_ip: String,
    ns_ip: String,
}

fn sh(argv: &[&str]) -> Result<String, String> {
    let out = Command::new(argv[0])
        .args(&argv[1..])
        .output()
        .map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "{argv:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

impl Netns {
    fn create(tag: u32) -> Result<Self, String> {
        let id = std::process::id() % 200 + tag;
        let name = format!("flt{}-{tag}", std::process::id());
        let (host_if, ns_if) = (format!("flh{id}x{tag}"), format!("fln{id}x{tag}"));
        let (host_ip, ns_ip) = (format!("10.251.{id}.1"), format!("10.251.{id}.2"));
        let ns = Self {
            name: name.clone(),
            host_ip: host_ip.clone(),
            ns_ip: ns_ip.clone(),
        };
        sh(&["ip", "netns", "add", &name])?;
        sh(&[
            "ip", "link", "add", &host_if, "type", "veth", "peer", "name", &ns_if,
        ])?;
        sh(&["ip", "link", "set", &ns_if, "netns", &name])?;
        sh(&[
            "ip",
            "addr",
            "add",
            &format!("{host_ip}/30"),
            "dev",
            &host_if,
        ])?;
        sh(&["ip", "link", "set", &host_if, "up"])?;
        sh(&[
            "ip",
            "netns",
            "exec",
            &name,
            "ip",
            "addr",
            "add",
            &format!("{ns_ip}/30"),
            "dev",
            &ns_if,
        ])?;
        sh(&[
            "ip", "netns", "exec", &name, "ip", "link", "set", &ns_if, "up",
        ])?;
        sh(&[
            "ip", "netns", "exec", &name, "ip", "link", "set", "lo", "up",
        ])?;
        Ok(ns)
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        // Deleting the namespace deletes its end of the veth pair, and with it ours.
        let _ = sh(&["ip", "netns", "del", &self.name]);
    }
}

fn rules_left() -> String {
    let mut left = String::new();
    if let Ok(out) = sh(&["iptables", "-w", "-S"]) {
        left.extend(
            out.lines()
                .filter(|l| l.contains("faultline"))
                .map(|l| format!("{l}\n")),
        );
    }
    if let Ok(out) = sh(&["nft", "list", "tables"]) {
        left.extend(
            out.lines()
                .filter(|l| l.contains("faultline"))
                .map(|l| format!("{l}\n")),
        );
    }
    left
}

fn can_run() -> bool {
    let Some(_) = require_programs("partition", &["ip", "iptables", "nft"]) else {
        return false;
    };
    if unsafe { libc::geteuid() } != 0 {
        let message = "partition: needs root to create network namespaces and firewall rules";
        if std::env::var_os("CI").is_some() {
            panic!("{message}; CI is set, so this is a failure");
        }
        eprintln!("SKIPPED {message}");
        return false;
    }
    true
}

fn partition_run(backend: &str, tag: u32) {
    let ns = Netns::create(tag).expect("the test can create a network namespace");
    let addr = format!("{}:8080", ns.ns_ip);
    let mut cmd = Command::new("ip");
    cmd.args([
        "netns",
        "exec",
        &ns.name,
        env!("CARGO_BIN_EXE_faultline-live-kv"),
        &addr,
    ])
    .stdout(Stdio::null());
    let _server =
        ChildGuard::spawn("kv in netns", &mut cmd).expect("the server starts in the namespace");
    assert!(
        wait_for_port(&addr, Duration::from_secs(10)),
        "server at {addr} reachable over the veth"
    );
    assert!(
        rules_left().is_empty(),
        "no faultline rules before the run: {}",
        rules_left()
    );

    let yaml = format!(
        r#"
name: partition-{backend}
engine: live
architecture:
  api: {{ kind: service, instances: 1, concurrency: 64, service_time: {{ fixed: 1ms }} }}
live:
  targets: {{ api: {{ http: {{ base: "http://{addr}" }} }} }}
  edges:
    - {{ between: [client, api], firewall: {{ peer: "{peer}", port: 8080, backend: {backend} }} }}
workload:
  model: open
  stages: [ {{ hold: 6s, rate: 200/s }} ]
  timeout: 300ms
  mix: {{ read: 50%, write: 50% }}
  keys: {{ count: 500 }}
faults:
  - {{ at: 1500ms, partition: {{ between: [client, api] }}, duration: 1500ms }}
  - {{ at: 4500ms, partition: {{ between: [client, api] }} }}
recovery: {{ window: 1s }}
"#,
        peer = ns.ns_ip
    );
    let exp = common::experiment(&yaml);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_path_buf();
    let runner = std::thread::spawn(move || faultline_live::run(&exp, &out, &mut |_| {}));
    std::thread::sleep(Duration::from_millis(2300));
    let during = rules_left();
    let meta = runner.join().unwrap().expect("the run works");
    assert_eq!(meta.status, RunStatus::Completed);
    assert!(
        !during.is_empty(),
        "{backend}: the partition's rules were in place during the fault"
    );
    assert!(
        rules_left().is_empty(),
        "{backend}: rules left after the run: {}",
        rules_left()
    );

    let record = faultline_record::RunRecord::load(dir.path()).unwrap();
    let t_f = common::marker_t(&record, MarkerKind::FaultInjected, "fault:0").unwrap();
    let t_h = common::marker_t(&record, MarkerKind::FaultHealed, "fault:0").unwrap();
    assert!(
        (t_h - t_f).abs_diff(1_500_000) < 150_000,
        "{backend}: partition lasted {} us",
        t_h - t_f
    );
    let healed_at_end = record.markers.iter().any(|m| {
        m.kind == MarkerKind::FaultHealed
            && m.source == "fault:1"
            && m.detail
                .as_deref()
                .is_some_and(|d| d.contains("rolled back"))
    });
    assert!(
        healed_at_end,
        "{backend}: the second partition was rolled back at the end"
    );
    // Operations during the partition timed out (packets dropped, not refused).
    let timeouts: u64 = record
        .buckets
        .iter()
        .filter(|b| {
            b.series == "client" && b.index * 100_000 > t_f && b.index * 100_000 < t_h + 400_000
        })
        .map(|b| b.failed.timeout)
        .sum();
    assert!(
        timeouts > 100,
        "{backend}: {timeouts} timeouts during the partition"
    );
    let rto = common::rto_us(&record).expect("recovered after the partition");
    assert!(
        (1_400_000..=2_300_000).contains(&rto),
        "{backend}: RTO {rto} us for a 1.5 s partition and a 300 ms timeout"
    );
    let _ = ns.host_ip;
}

#[test]
fn a_firewall_partition_into_a_network_namespace_is_injected_and_always_removed() {
    if !can_run() {
        return;
    }
    partition_run("iptables", 1);
    partition_run("nftables", 2);
}
