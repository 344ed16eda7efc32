//! The one error type of the proxy: every failure carries the HTTP status code the
//! Toxiproxy-compatible API answers with, and a message that says what was wrong.

use std::fmt;

/// What kind of failure a [`ProxyError`] is; decides the HTTP status code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The request body or a field in it is invalid (HTTP 400).
    BadRequest,
    /// No proxy or toxic with that name exists (HTTP 404).
    NotFound,
    /// A proxy or toxic with that name already exists (HTTP 409).
    Conflict,
    /// The operating system refused something, e.g. binding the listen address (HTTP 500).
    Io,
}

/// An error of the proxy library and its HTTP API: a kind (status code) and a message.
///
/// The API serialises it exactly like Toxiproxy: `{"error": "<message>", "status": <code>}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxyError {
    kind: ErrorKind,
    message: String,
}

impl ProxyError {
    /// An error of the given kind with a message saying what was wrong and what is valid.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// HTTP 400 with the given message.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::BadRequest, message)
    }

    /// Toxiproxy's "missing required field: <field>" (HTTP 400).
    pub fn missing_field(field: &str) -> Self {
        Self::bad_request(format!("missing required field: {field}"))
    }

    /// Toxiproxy's "proxy not found" (HTTP 404).
    pub fn proxy_not_found(name: &str) -> Self {
        Self::new(ErrorKind::NotFound, format!("proxy not found: {name}"))
    }

    /// Toxiproxy's "toxic not found" (HTTP 404).
    pub fn toxic_not_found(name: &str) -> Self {
        Self::new(ErrorKind::NotFound, format!("toxic not found: {name}"))
    }

    /// Toxiproxy's "proxy already exists" (HTTP 409).
    pub fn proxy_exists(name: &str) -> Self {
        Self::new(ErrorKind::Conflict, format!("proxy already exists: {name}"))
    }

    /// Toxiproxy's "toxic already exists" (HTTP 409).
    pub fn toxic_exists(name: &str) -> Self {
        Self::new(ErrorKind::Conflict, format!("toxic already exists: {name}"))
    }

    /// An operating-system error with what was being done (HTTP 500).
    pub fn io(context: &str, err: &std::io::Error) -> Self {
        Self::new(ErrorKind::Io, format!("{context}: {err}"))
    }

    /// The kind of this error.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message, without the status code.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The HTTP status code Toxiproxy answers this error with.
    pub fn status_code(&self) -> u16 {
        match self.kind {
            ErrorKind::BadRequest => 400,
            ErrorKind::NotFound => 404,
            ErrorKind::Conflict => 409,
            ErrorKind::Io => 500,
        }
    }

    /// The Toxiproxy JSON error body: `{"error": ..., "status": ...}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({ "error": self.message, "status": self.status_code() })
    }
}

impl fmt::Display for ProxyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ProxyError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes_match_toxiproxy() {
        assert_eq!(ProxyError::missing_field("name").status_code(), 400);
        assert_eq!(ProxyError::proxy_not_found("x").status_code(), 404);
        assert_eq!(ProxyError::toxic_exists("x").status_code(), 409);
        let json = ProxyError::missing_field("upstream").to_json();
        assert_eq!(json["error"], "missing required field: upstream");
        assert_eq!(json["status"], 400);
    }
}
