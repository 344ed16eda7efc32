//! The live engine's error type.

use std::fmt;

/// What kind of problem stopped a live run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LiveErrorKind {
    /// The experiment's `live` section is missing, incomplete or contradictory.
    Config,
    /// A target, probe or process did not answer before the run (preflight).
    Preflight,
    /// The run record could not be written.
    Record,
    /// The host cannot do what the experiment asks (no firewall tool, not root, ...).
    Environment,
    /// A fault, heal or failback step failed during the run.
    Step,
}

/// An error of the live engine, with context for the user.
#[derive(Debug, Clone)]
pub struct LiveError {
    kind: LiveErrorKind,
    message: String,
}

impl LiveError {
    /// An error of `kind` with a message that says what is wrong and what is valid.
    pub fn new(kind: LiveErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }
    /// A configuration error.
    pub fn config(message: impl Into<String>) -> Self {
        Self::new(LiveErrorKind::Config, message)
    }
    /// A failed step (fault, heal, failback).
    pub fn step(message: impl Into<String>) -> Self {
        Self::new(LiveErrorKind::Step, message)
    }
    /// The error's kind.
    pub fn kind(&self) -> LiveErrorKind {
        self.kind
    }
    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for LiveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for LiveError {}

impl From<faultline_record::WriteError> for LiveError {
    fn from(e: faultline_record::WriteError) -> Self {
        Self::new(LiveErrorKind::Record, e.to_string())
    }
}
