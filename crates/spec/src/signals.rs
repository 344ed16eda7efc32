//! The signals the simulator records under a component's name (`db.failover.detect`),
//! so that validation can tell a signal that may fire from one that never will.
//!
//! The simulator writes its markers' sources with these names; validation checks the
//! `<component>.<event>` signals of an experiment file against [`component_events`].

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

/// The events `component` records as `<component>.<event>` signals that `usage`
/// counts (empty when it records none).
pub fn component_events(component: &Component, usage: SignalUse) -> Vec<&'static str> {
    let recorded: &[(&'static str, Option<SignalUse>)] = match component {
        // A monitor is a failover controller that routes around a node (no promotion).
        Component::Database(db) if db.failover.is_some() || db.monitor.is_some() => &[
            (FAILOVER_DETECT, Some(SignalUse::Detect)),
            (FAILOVER_ACTIVATE, Some(SignalUse::Activate)),
            (FAILOVER, None),
        ],
        Component::LoadBalancer(lb) if lb.health_check.is_some() => {
            &[(HEALTH, Some(SignalUse::Detect))]
        }
        _ => &[],
    };
    recorded
        .iter()
        .filter(|(_, kind)| usage == SignalUse::Any || *kind == Some(usage))
        .map(|(event, _)| *event)
        .collect()
}
