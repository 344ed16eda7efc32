//! `faultline analyze RUN_DIR`.

use std::path::Path;

use crate::args::OutputArgs;
use crate::cmd::finish::finish_run;
use crate::exit::{Failure, Outcome};

/// Recomputes every figure of a saved record, rewrites its `summary.json` and prints it.
pub fn analyze(run_dir: &Path, output: &OutputArgs) -> Result<Outcome, Failure> {
    finish_run(run_dir, output)
}
