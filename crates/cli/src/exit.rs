//! The one place where outcomes become exit codes (and where the codes of an
//! interrupted command are defined; `interrupt.rs` exits with them).

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
/// Exit code 130 (128 + 2): stopped by Ctrl-C (SIGINT), as a shell reports it.
pub const EXIT_SIGINT: u8 = 130;
/// Exit code 143 (128 + 15): stopped by SIGTERM.
pub const EXIT_SIGTERM: u8 = 143;

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
