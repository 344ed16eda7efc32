//! The command line finishes its work when its output is a pipe nobody reads
//! (`faultline run … | head`): no panic, every file written, the usual exit code.

use std::io::pipe;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// Runs the binary with stdout (and stderr if `close_stderr`) connected to a pipe
/// whose reading end is already closed, so every write to it fails.
fn with_closed_output(args: &[&str], close_stderr: bool) -> Output {
    let (reader, stdout_writer) = pipe().expect("a pipe");
    drop(reader);
    let stderr = if close_stderr {
        Stdio::from(stdout_writer.try_clone().expect("a second writer"))
    } else {
        Stdio::piped()
    };
    Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(args)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
        .env("NO_COLOR", "1")
        .stdout(stdout_writer)
        .stderr(stderr)
        .output()
        .expect("the binary runs")
}

#[test]
fn schema_into_a_closed_pipe_exits_0_without_a_panic() {
    let out = with_closed_output(&["schema"], false);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "stderr: {stderr}");
    assert_eq!(out.status.code(), Some(0), "stderr: {stderr}");
}

#[test]
fn a_run_with_both_streams_closed_still_writes_its_summary() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out_dir = dir.path().join("run");
    let out = with_closed_output(
        &[
            "run",
            "examples/retry-storm.yaml",
            "--out",
            out_dir.to_str().expect("utf-8 path"),
        ],
        true,
    );
    // 101 is Rust's exit code for a panic; 0 and 1 are the verdict's.
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "exit status {:?}",
        out.status
    );
    let summary = std::fs::read_to_string(out_dir.join("summary.json")).expect("summary.json");
    let summary: serde_json::Value = serde_json::from_str(&summary).expect("summary is JSON");
    assert_eq!(
        summary["passed"]
            .as_bool()
            .map(|passed| if passed { 0 } else { 1 }),
        out.status.code(),
        "the exit code is the verdict's"
    );
}
