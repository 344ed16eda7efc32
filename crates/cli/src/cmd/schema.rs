//! `faultline schema`.

use crate::exit::{Failure, Outcome};
use crate::out::out;

/// Prints the experiment file's JSON Schema.
pub fn schema() -> Result<Outcome, Failure> {
    out!("{}", faultline_spec::json_schema());
    Ok(Outcome::Passed)
}
