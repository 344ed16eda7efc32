//! Shared helpers of the command line's integration tests.

#![allow(dead_code)] // each test file uses part of it

use std::path::Path;
use std::process::{Command, Output};

/// A small simulated experiment (5 s, 2 users) for the tests about files and folders.
pub const TINY_EXPERIMENT: &str = "name: tiny\nseed: 5\narchitecture:\n  api: { kind: service, \
    instances: 1, concurrency: 8, service_time: { fixed: 5ms } }\nworkload: { stages: [ { \
    hold: 5s, users: 2 } ], mix: { read: 100%, write: 0% } }\n";

/// A temporary folder holding [`TINY_EXPERIMENT`] as `tiny.yaml`.
pub fn tiny_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("tiny.yaml"), TINY_EXPERIMENT).expect("write the experiment");
    dir
}

/// Runs the `faultline` binary with `args` in the folder `dir`, without colours.
pub fn faultline_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("the binary runs")
}
