//! The signals the simulator records under a component's name (`db.failover.detect`),
//! so that validation can tell a signal that may fire from one that never will.
//!
//! The simulator writes its markers' sources with these names; validation checks the
//! `<component>.<event>` signals of an experiment file against [`COMPONENT_SIGNALS`].

use crate::model::Component;

/// A database's failover controller (or monitor) found a node down (a `detect` marker).
pub const FAILOVER_DETECT: &str = "failover.detect";
/// A database's failover controller promoted a node or moved a site's traffic (an
/// `activate` marker).
pub const FAILOVER_ACTIVATE: &str = "failover.activate";
/// A database's failover controller changed a node's role or saw it come back.
pub const FAILOVER: &str = "failover";
/// A load balancer's health checks marked an instance down (a `detect` marker) or up.
pub const HEALTH: &str = "health";

/// Which markers a field that names signals counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignalUse {
    /// `signals.detect`: detect markers.
    Detect,
    /// `signals.activate`: activate markers.
    Activate,
    /// A fault's `when.signal`: any marker.
    Any,
}

impl SignalUse {
    /// `detect ` or `activate ` (with the space), to put before "signal" in a message;
    /// empty for any.
    pub fn adjective(self) -> &'static str {
        match self {
            SignalUse::Detect => "detect ",
            SignalUse::Activate => "activate ",
            SignalUse::Any => "",
        }
    }
}

/// What part of a component records a signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorder {
    /// A database's failover controller (`failover`) or monitor (`monitor`).
    FailoverController,
    /// A load balancer's health checks (`health_check`).
    HealthChecks,
}

impl Recorder {
    /// Whether `component` has this recorder.
    pub fn present_in(self, component: &Component) -> bool {
        match (self, component) {
            // A monitor is a failover controller that routes around a node.
            (Recorder::FailoverController, Component::Database(db)) => {
                db.failover.is_some() || db.monitor.is_some()
            }
            (Recorder::HealthChecks, Component::LoadBalancer(lb)) => lb.health_check.is_some(),
            _ => false,
        }
    }

    /// The components that have it, as a message says it.
    pub fn holders(self) -> &'static str {
        match self {
            Recorder::FailoverController => "a database with `failover` or `monitor`",
            Recorder::HealthChecks => "a load balancer with `health_check`",
        }
    }
}

/// A signal a component records as `<component>.<event>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ComponentSignal {
    /// The part after the component's name.
    pub event: &'static str,
    /// What records it.
    pub recorder: Recorder,
    /// The field that counts it besides a fault's `when.signal` (`None`: only that).
    pub counts_as: Option<SignalUse>,
}

/// Every signal the simulator records under a component's name.
pub const COMPONENT_SIGNALS: &[ComponentSignal] = &[
    ComponentSignal {
        event: FAILOVER_DETECT,
        recorder: Recorder::FailoverController,
        counts_as: Some(SignalUse::Detect),
    },
    ComponentSignal {
        event: FAILOVER_ACTIVATE,
        recorder: Recorder::FailoverController,
        counts_as: Some(SignalUse::Activate),
    },
    ComponentSignal {
        event: FAILOVER,
        recorder: Recorder::FailoverController,
        counts_as: None,
    },
    ComponentSignal {
        event: HEALTH,
        recorder: Recorder::HealthChecks,
        counts_as: Some(SignalUse::Detect),
    },
];

/// The events `component` records as `<component>.<event>` signals that `usage`
/// counts (empty when it records none).
pub fn component_events(component: &Component, usage: SignalUse) -> Vec<&'static str> {
    COMPONENT_SIGNALS
        .iter()
        .filter(|s| usage == SignalUse::Any || s.counts_as == Some(usage))
        .filter(|s| s.recorder.present_in(component))
        .map(|s| s.event)
        .collect()
}
