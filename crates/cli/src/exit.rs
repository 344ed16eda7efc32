//! The one place where outcomes become exit codes.

use crate::out::errln;
use std::process::ExitCode;

/// What a command ended in.
#[derive(Debug)]
pub enum Outcome {
    /// Done; every threshold (if any) met.
    Passed,
    /// Done, but a threshold was missed.
    ThresholdMissed,
}

/// Why a command could not do its job: bad input or environment (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Failure(pub String);

impl Failure {
    /// A failure with a message for the user.
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

/// Exit code 0: all thresholds met.
pub const EXIT_PASSED: u8 = 0;
/// Exit code 1: a threshold was missed.
pub const EXIT_THRESHOLD_MISSED: u8 = 1;
/// Exit code 2: invalid input or environment.
pub const EXIT_INVALID: u8 = 2;

/// Prints a failure to stderr and maps the outcome to its exit code.
pub fn report(outcome: Result<Outcome, Failure>) -> ExitCode {
    match outcome {
        Ok(Outcome::Passed) => ExitCode::from(EXIT_PASSED),
        Ok(Outcome::ThresholdMissed) => ExitCode::from(EXIT_THRESHOLD_MISSED),
        Err(failure) => {
            errln!("error: {failure}");
            ExitCode::from(EXIT_INVALID)
        }
    }
}
