//! `faultline run FILE` and `faultline analyze RUN_DIR`.

use std::path::Path;

use crate::args::OutputArgs;
use crate::exit::{Failure, Outcome};

/// Runs an experiment with its engine, then analyzes the record.
pub fn run(
    file: &Path,
    _out: Option<&Path>,
    _seed: Option<u64>,
    _output: &OutputArgs,
) -> Result<Outcome, Failure> {
    let experiment = faultline_spec::load(file).map_err(|e| Failure::new(e.to_string()))?;
    Err(Failure::new(format!(
        "{}: valid, but no engine is built into this faultline yet to run `{}`",
        file.display(),
        experiment.raw().name
    )))
}

/// Recomputes the analysis of a saved record.
pub fn analyze(run_dir: &Path, _output: &OutputArgs) -> Result<Outcome, Failure> {
    Err(Failure::new(format!(
        "{}: the analyzer is not built into this faultline yet",
        run_dir.display()
    )))
}
