//! `faultline schema`.

use crate::exit::{Failure, Outcome};

/// Prints the experiment file's JSON Schema.
pub fn schema() -> Result<Outcome, Failure> {
    print!("{}", faultline_spec::json_schema());
    Ok(Outcome::Passed)
}
