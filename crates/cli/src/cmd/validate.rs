//! `faultline validate FILE`.

use std::path::Path;

use crate::exit::{Failure, Outcome};

/// Loads and validates the file; every problem is reported, then exit code 2.
pub fn validate(file: &Path) -> Result<Outcome, Failure> {
    let experiment = faultline_spec::load(file).map_err(|e| Failure::new(e.to_string()))?;
    println!(
        "{}: ok — experiment `{}`, {} components, {} faults",
        file.display(),
        experiment.raw().name,
        experiment.raw().architecture.len(),
        experiment.raw().faults.len()
    );
    Ok(Outcome::Passed)
}
