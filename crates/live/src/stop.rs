//! Why and when a run must stop early: a guardrail, Ctrl-C, SIGTERM, a failing step or
//! an unsteady baseline.

use std::sync::Mutex;

use tokio::sync::watch;

/// Why a run stopped early.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopCause {
    /// A guardrail tripped.
    Guardrail(String),
    /// The user or the system asked to stop (SIGINT, SIGTERM).
    Interrupted(String),
    /// A fault, heal or failback step failed.
    StepFailed(String),
    /// The baseline was not steady when the first fault was due; nothing was injected.
    UnsteadyBaseline(String),
}

impl StopCause {
    /// The reason as written in `run.json`.
    pub fn reason(&self) -> String {
        match self {
            StopCause::Guardrail(r) => format!("guardrail: {r}"),
            StopCause::Interrupted(r) => format!("interrupted: {r}"),
            StopCause::StepFailed(r) => format!("step failed: {r}"),
            StopCause::UnsteadyBaseline(r) => {
                format!("the baseline was not steady, so no fault was injected: {r}")
            }
        }
    }
}

/// Shared stop flag; the first cause wins.
#[derive(Debug)]
pub struct Stopper {
    cause: Mutex<Option<StopCause>>,
    tx: watch::Sender<bool>,
}

impl Default for Stopper {
    fn default() -> Self {
        Self {
            cause: Mutex::new(None),
            tx: watch::channel(false).0,
        }
    }
}

impl Stopper {
    /// Asks the run to stop (the first cause is kept).
    pub fn stop(&self, cause: StopCause) {
        let mut c = self.cause.lock().unwrap_or_else(|p| p.into_inner());
        if c.is_none() {
            *c = Some(cause);
        }
        drop(c);
        self.tx.send_replace(true);
    }

    /// The cause, once stopped.
    pub fn cause(&self) -> Option<StopCause> {
        self.cause.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Resolves once the run is asked to stop.
    pub async fn stopped(&self) {
        let mut rx = self.tx.subscribe();
        let _ = rx.wait_for(|s| *s).await;
    }
}
