//! `faultline run FILE`.

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
