//! Shared helpers of the command line's integration tests.

use std::path::Path;
use std::process::{Command, Output};

/// Runs the `faultline` binary with `args` in the folder `dir`, without colours.
pub fn faultline_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("the binary runs")
}
