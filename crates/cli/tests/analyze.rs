//! `faultline analyze` on the saved fixture records: known answers and exit codes.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../analyze/tests/fixtures")
        .join(name)
}

/// A copy of a fixture record, so `summary.json` is written outside the source tree.
fn copy_of(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for entry in fs::read_dir(fixture(name)).expect("fixture exists") {
        let entry = entry.expect("entry");
        fs::copy(entry.path(), dir.path().join(entry.file_name())).expect("copy");
    }
    dir
}

fn faultline(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("the binary runs")
}

fn analyze_json(name: &str) -> (i32, serde_json::Value, tempfile::TempDir) {
    let dir = copy_of(name);
    let out = faultline(&[
        "analyze",
        dir.path().to_str().expect("utf-8 path"),
        "--json",
    ]);
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    let json: serde_json::Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{name}: stdout is not JSON ({e}): {stdout}"));
    let written = fs::read_to_string(dir.path().join("summary.json")).expect("summary.json");
    assert_eq!(
        written, stdout,
        "{name}: --json prints summary.json exactly"
    );
    (out.status.code().expect("exit code"), json, dir)
}

#[test]
fn an_outage_of_7_3_s_meets_its_thresholds_and_exits_0() {
    let (code, s, _dir) = analyze_json("outage-7.3s");
    assert_eq!(code, 0);
    assert_eq!(s["passed"], true);
    assert_eq!(s["metrics"]["rto_s"], 7.3);
    assert_eq!(s["metrics"]["ttd_s"], 1.0);
    assert_eq!(s["metrics"]["ttd_source"], "db.failover.detect");
    assert_eq!(s["metrics"]["tta_s"], 5.5);
    assert_eq!(s["metrics"]["error_rate"], 1.0);
    assert_eq!(s["metrics"]["lost_writes"], 0);
    assert_eq!(s["thresholds"][0]["name"], "rto");
    assert_eq!(s["thresholds"][0]["actual"], 7.3);
}

#[test]
fn never_recovered_misses_its_rto_and_exits_1() {
    let (code, s, _dir) = analyze_json("never-recovered");
    assert_eq!(code, 1);
    assert_eq!(s["metrics"]["recovered"], false);
    assert_eq!(s["metrics"]["rto_s"], serde_json::Value::Null);
    assert_eq!(s["metrics"]["not_recovered_within_s"], 10.0);
    assert_eq!(s["metrics"]["ttd_source"], "probe:api-health");
    assert_eq!(s["thresholds"][0]["reason"], "not recovered within 10s");
}

#[test]
fn lost_and_split_brain_writes_are_counted_and_exit_1() {
    let (code, s, _dir) = analyze_json("lost-writes");
    assert_eq!(code, 1);
    assert_eq!(s["metrics"]["lost_writes"], 2);
    assert_eq!(s["metrics"]["split_brain_writes"], 1);
    assert_eq!(s["metrics"]["rpo_s"], 2.1);
    assert_eq!(s["integrity"]["corrupt"], 1);
    assert_eq!(s["integrity"]["indeterminate"], 1);
}

#[test]
fn a_run_without_a_fault_and_thresholds_passes_with_null_fault_metrics() {
    let (code, s, _dir) = analyze_json("no-fault");
    assert_eq!(code, 0);
    assert_eq!(s["metrics"]["t_fault_s"], serde_json::Value::Null);
    assert_eq!(s["metrics"]["recovered"], serde_json::Value::Null);
}

#[test]
fn the_terminal_summary_shows_the_verdict_and_quiet_prints_nothing() {
    let dir = copy_of("never-recovered");
    let path = dir.path().to_str().expect("utf-8 path");
    let out = faultline(&["analyze", path]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(text.contains("Verdict"), "{text}");
    assert!(text.contains("not recovered within 10s"), "{text}");
    assert!(!text.contains('\x1b'), "NO_COLOR: no escapes\n{text}");
    let out = faultline(&["analyze", path, "--quiet"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
}

#[test]
fn bad_input_exits_2_and_says_what_is_wrong() {
    let missing = faultline(&["analyze", "/nonexistent/faultline-run"]);
    assert_eq!(missing.status.code(), Some(2));
    let err = String::from_utf8_lossy(&missing.stderr);
    assert!(err.contains("not a folder"), "{err}");

    let empty = tempfile::tempdir().expect("tempdir");
    let out = faultline(&["analyze", empty.path().to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("run.json"), "{err}");

    let broken = copy_of("outage-7.3s");
    fs::write(broken.path().join("experiment.yaml"), "name: [unclosed\n").expect("write");
    let out = faultline(&["analyze", broken.path().to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("experiment.yaml"), "{err}");

    let garbled = copy_of("outage-7.3s");
    let buckets = garbled.path().join("buckets.jsonl");
    let text = fs::read_to_string(&buckets).expect("read");
    fs::write(&buckets, format!("not json\n{text}")).expect("write");
    let out = faultline(&["analyze", garbled.path().to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("buckets.jsonl:1:"), "{err}");
}

#[test]
fn analyzing_twice_rewrites_a_byte_identical_summary() {
    let dir = copy_of("lost-writes");
    let path = dir.path().to_str().expect("utf-8 path");
    assert_eq!(
        faultline(&["analyze", path, "--quiet"]).status.code(),
        Some(1)
    );
    let first = fs::read(dir.path().join("summary.json")).expect("written");
    assert_eq!(
        faultline(&["analyze", path, "--quiet"]).status.code(),
        Some(1)
    );
    let second = fs::read(dir.path().join("summary.json")).expect("written");
    assert_eq!(first, second);
}
