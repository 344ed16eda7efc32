//! The `hunt-heuristic` and `proxy` subcommands, through the real binary.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use faultline_live::testkit::free_port;

fn faultline() -> Command {
    Command::new(env!("CARGO_BIN_EXE_faultline"))
}

#[test]
fn a_heuristic_hunt_writes_a_case_that_reruns_to_the_same_gap() {
    let dir = tempfile::tempdir().unwrap();
    let out = faultline()
        .args([
            "hunt-heuristic",
            "--domain",
            "binpack1d",
            "--heuristic",
            "ffd",
        ])
        .args(["--budget", "300", "--seed", "3", "--quiet", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let case = dir.path().join("case.json");
    let text = std::fs::read_to_string(&case).unwrap();
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    // FFD with sizes 1-9 in bins of 10 is at most one bin worse than the optimum.
    let gap = value["gap"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&gap), "{gap}");
    let rerun = faultline()
        .args(["hunt-heuristic", "--rerun"])
        .arg(&case)
        .output()
        .unwrap();
    assert_eq!(rerun.status.code(), Some(0), "{rerun:?}");
    assert!(String::from_utf8_lossy(&rerun.stdout).contains("reproduced"));
    // With `--json`, the re-run as JSON; a case whose recorded gap was edited does
    // not reproduce (exit code 1).
    let mut edited = value.clone();
    edited["gap"] = serde_json::json!(gap + 5.0);
    let edited_case = dir.path().join("edited.json");
    std::fs::write(&edited_case, edited.to_string()).unwrap();
    for (file, recorded, reproduced, code) in
        [(&case, gap, true, 0), (&edited_case, gap + 5.0, false, 1)]
    {
        let rerun = faultline()
            .args(["hunt-heuristic", "--json", "--rerun"])
            .arg(file)
            .output()
            .unwrap();
        assert_eq!(rerun.status.code(), Some(code), "{rerun:?}");
        let json: serde_json::Value = serde_json::from_slice(&rerun.stdout).unwrap();
        assert_eq!(json["reproduced"], reproduced, "{json}");
        assert_eq!(json["gap"].as_f64(), Some(gap), "{json}");
        assert_eq!(json["gap_recorded"].as_f64(), Some(recorded), "{json}");
    }
}

#[test]
fn an_unknown_domain_is_invalid_input_naming_the_valid_ones() {
    let out = faultline()
        .args(["hunt-heuristic", "--domain", "chess"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("te, binpack1d, binpack2d, lb"), "{stderr}");
}

/// `--topology`, `--partitions` and `--benchmark` used to be ignored silently by the
/// domains that do not read them.
#[test]
fn a_flag_the_domain_does_not_use_is_invalid_input_naming_the_domains_that_do() {
    for (flags, takes) in [
        (
            &["--domain", "binpack1d", "--topology", "swan.json"][..],
            "only the te domain takes --topology",
        ),
        (
            &[
                "--domain",
                "lb",
                "--heuristic",
                "p2c",
                "--partitions",
                "p.json",
            ][..],
            "only the te domain with --heuristic pop takes --partitions",
        ),
        (
            &["--domain", "binpack2d", "--benchmark", "jsq"][..],
            "only the lb domain takes --benchmark",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let out = faultline()
            .arg("hunt-heuristic")
            .args(flags)
            .args(["--budget", "10", "--out"])
            .arg(dir.path())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{flags:?}: {out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(takes), "{flags:?}: {stderr}");
        assert!(
            !dir.path().join("case.json").exists(),
            "{flags:?}: nothing searched"
        );
    }
}

fn http(port: u16, request: &str) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    stream.write_all(request.as_bytes()).ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    Some(answer)
}

#[test]
fn the_proxy_command_serves_the_toxiproxy_api() {
    let port = free_port();
    let mut child = faultline()
        .args(["proxy", "--listen", &format!("127.0.0.1:{port}")])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let request = "GET /version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    let mut answer = None;
    while Instant::now() < deadline && answer.is_none() {
        answer = http(port, request);
        if answer.is_none() {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let answer = answer.expect("the proxy API answered within 20 s");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("toxiproxy api v2"), "{answer}");
}

#[test]
fn the_proxy_command_rejects_a_bad_listen_address() {
    let out = faultline()
        .args(["proxy", "--listen", "not-an-address"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
