//! Markers: the fault instant, detection, activation, alerts and the timeline.

use faultline_record::{Marker, MarkerKind};

use crate::summary::{secs, TimelineEvent};

/// Most timeline events kept in a summary.
pub const TIMELINE_EVENTS_MAX: usize = 200;

/// `t_f`: the first `fault_injected` marker.
pub(crate) fn fault_instant_us(markers: &[Marker]) -> Option<u64> {
    markers
        .iter()
        .filter(|m| m.kind == MarkerKind::FaultInjected)
        .map(|m| m.t_us)
        .min()
}

/// The marker source the engines use when the steady-state gate refused the first fault.
pub const STEADY_STATE_SOURCE: &str = "steady_state";

/// When the steady-state gate refused the first fault, if it did: the baseline it
/// judged ended then.
pub(crate) fn steady_refusal_us(markers: &[Marker]) -> Option<u64> {
    markers
        .iter()
        .find(|m| m.kind == MarkerKind::Note && m.source == STEADY_STATE_SOURCE)
        .map(|m| m.t_us)
}

/// A signal found after `t_f`: when, and who reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Signal {
    pub t_us: u64,
    pub source: String,
}

/// The first marker of `kind` at or after `t_f_us` whose source is in `sources`
/// (any source when `sources` is empty).
pub(crate) fn first_signal(
    markers: &[Marker],
    kind: MarkerKind,
    sources: &[String],
    t_f_us: u64,
) -> Option<Signal> {
    markers
        .iter()
        .filter(|m| m.kind == kind && m.t_us >= t_f_us)
        .filter(|m| sources.is_empty() || sources.contains(&m.source))
        .min_by_key(|m| m.t_us)
        .map(|m| Signal {
            t_us: m.t_us,
            source: m.source.clone(),
        })
}

/// Detection: the first matching detect marker after `t_f`, else the first failing
/// probe (its source written `probe:<name>`); `true` when the probe fallback was used.
pub(crate) fn detection(
    markers: &[Marker],
    sources: &[String],
    t_f_us: u64,
) -> Option<(Signal, bool)> {
    if let Some(signal) = first_signal(markers, MarkerKind::Detect, sources, t_f_us) {
        return Some((signal, false));
    }
    first_signal(markers, MarkerKind::ProbeFailed, &[], t_f_us).map(|s| {
        let signal = Signal {
            source: probe_source(&s.source),
            t_us: s.t_us,
        };
        (signal, true)
    })
}

fn probe_source(source: &str) -> String {
    if source.starts_with("probe:") {
        source.to_string()
    } else {
        format!("probe:{source}")
    }
}

/// The first firing of alert `name` (marker source `alert:<name>`) at or after `t_f`.
pub(crate) fn alert_fired_us(markers: &[Marker], name: &str, t_f_us: u64) -> Option<u64> {
    let source = format!("alert:{name}");
    markers
        .iter()
        .filter(|m| m.kind == MarkerKind::Alert && m.t_us >= t_f_us && m.source == source)
        .map(|m| m.t_us)
        .min()
}

/// Whether a marker belongs on the fault timeline: its kind, or a note about a fault
/// (source `fault:<index>`: a simulated edge fault that applied to no message, a
/// fault the simulator skips, a live heal or rollback that failed), which reports
/// must be able to show next to the fault's own markers.
fn on_timeline(marker: &Marker) -> bool {
    match marker.kind {
        MarkerKind::FaultInjected
        | MarkerKind::FaultHealed
        | MarkerKind::Detect
        | MarkerKind::Activate
        | MarkerKind::RoleChange
        | MarkerKind::Alert
        | MarkerKind::DnsChange
        | MarkerKind::Guardrail
        | MarkerKind::Health => true,
        MarkerKind::Note => marker.source.starts_with(FAULT_SOURCE_PREFIX),
        _ => false,
    }
}

/// How the sources of a fault's markers begin: `fault:<index>`.
pub const FAULT_SOURCE_PREFIX: &str = "fault:";

/// The fault timeline: timeline markers, the failing probe used for detection and the
/// recovery, in time order (recovery after markers of the same instant); at most
/// [`TIMELINE_EVENTS_MAX`] events, and how many were left out.
pub(crate) fn timeline(
    markers: &[Marker],
    probe_detection: Option<&Signal>,
    t_recovered_us: Option<u64>,
) -> (Vec<TimelineEvent>, u64) {
    let mut events: Vec<(u64, TimelineEvent)> = Vec::new();
    for m in markers {
        let is_probe_used = m.kind == MarkerKind::ProbeFailed
            && probe_detection
                .is_some_and(|p| p.t_us == m.t_us && p.source == probe_source(&m.source));
        if on_timeline(m) || is_probe_used {
            events.push((
                m.t_us,
                TimelineEvent {
                    t_s: secs(m.t_us),
                    kind: kind_name(m.kind).to_string(),
                    source: m.source.clone(),
                    component: m.component.clone(),
                    detail: m.detail.clone(),
                },
            ));
        }
    }
    if let Some(t_r) = t_recovered_us {
        events.push((
            t_r,
            TimelineEvent {
                t_s: secs(t_r),
                kind: "recovered".to_string(),
                source: "analysis".to_string(),
                component: None,
                detail: Some("first window meeting the recovery criteria starts".to_string()),
            },
        ));
    }
    // Over the cap, the events that tell the fault's story go first: a long run's
    // health flaps must not push its later faults, their notes or the recovery off.
    let omitted = events.len().saturating_sub(TIMELINE_EVENTS_MAX) as u64;
    if omitted > 0 {
        events.sort_by_key(|(t, e)| (!tells_the_story(&e.kind), *t));
        events.truncate(TIMELINE_EVENTS_MAX);
    }
    // Stable: markers keep their record order within an instant; recovery comes last.
    events.sort_by_key(|(t, _)| *t);
    (events.into_iter().map(|(_, e)| e).collect(), omitted)
}

/// Whether a timeline event of `kind` is kept before the others when the timeline is
/// over [`TIMELINE_EVENTS_MAX`]: the faults, their notes, detection, activation and
/// recovery (a few per fault), not health changes, alerts, DNS changes and the like,
/// which a flapping system repeats.
fn tells_the_story(kind: &str) -> bool {
    matches!(
        kind,
        "fault_injected" | "fault_healed" | "note" | "detect" | "activate" | "recovered"
    )
}

/// A marker kind as written in the record.
pub fn kind_name(kind: MarkerKind) -> &'static str {
    match kind {
        MarkerKind::PhaseStart => "phase_start",
        MarkerKind::PhaseEnd => "phase_end",
        MarkerKind::FaultInjected => "fault_injected",
        MarkerKind::FaultHealed => "fault_healed",
        MarkerKind::Detect => "detect",
        MarkerKind::Activate => "activate",
        MarkerKind::RoleChange => "role_change",
        MarkerKind::ProbeOk => "probe_ok",
        MarkerKind::ProbeFailed => "probe_failed",
        MarkerKind::Guardrail => "guardrail",
        MarkerKind::Alert => "alert",
        MarkerKind::DnsChange => "dns_change",
        MarkerKind::Health => "health",
        MarkerKind::Note => "note",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marker(t_us: u64, kind: MarkerKind, source: &str) -> Marker {
        Marker {
            t_us,
            kind,
            source: source.to_string(),
            component: None,
            detail: None,
        }
    }

    #[test]
    fn kind_names_match_the_record_serialization() {
        for kind in [
            MarkerKind::PhaseStart,
            MarkerKind::FaultInjected,
            MarkerKind::ProbeFailed,
            MarkerKind::DnsChange,
            MarkerKind::Note,
        ] {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind_name(kind)));
        }
    }

    #[test]
    fn detection_ignores_undeclared_sources_and_signals_before_the_fault() {
        let markers = vec![
            marker(1_000, MarkerKind::Detect, "lb.health"),
            marker(5_000, MarkerKind::FaultInjected, "fault:0"),
            marker(6_000, MarkerKind::Detect, "other"),
            marker(7_000, MarkerKind::Detect, "lb.health"),
        ];
        let declared = vec!["lb.health".to_string()];
        let (s, from_probe) = detection(&markers, &declared, 5_000).unwrap();
        assert_eq!(
            (s.t_us, s.source.as_str(), from_probe),
            (7_000, "lb.health", false)
        );
        let (s, _) = detection(&markers, &[], 5_000).unwrap();
        assert_eq!((s.t_us, s.source.as_str()), (6_000, "other"));
    }

    #[test]
    fn the_timeline_carries_notes_about_a_fault_and_no_other_note() {
        let markers = vec![
            marker(1_000, MarkerKind::FaultInjected, "fault:0"),
            marker(2_000, MarkerKind::Note, "db.conflicts"),
            marker(3_000, MarkerKind::FaultHealed, "fault:0"),
            marker(3_000, MarkerKind::Note, "fault:0"),
        ];
        let (events, _) = timeline(&markers, None, None);
        let kinds: Vec<(&str, &str)> = events
            .iter()
            .map(|e| (e.kind.as_str(), e.source.as_str()))
            .collect();
        assert_eq!(
            kinds,
            [
                ("fault_injected", "fault:0"),
                ("fault_healed", "fault:0"),
                ("note", "fault:0")
            ]
        );
    }

    #[test]
    fn the_timeline_is_bounded() {
        let markers: Vec<Marker> = (0..(TIMELINE_EVENTS_MAX as u64 + 5))
            .map(|i| marker(i, MarkerKind::Health, "lb"))
            .collect();
        let (events, omitted) = timeline(&markers, None, None);
        assert_eq!(events.len(), TIMELINE_EVENTS_MAX);
        assert_eq!(omitted, 5);
    }

    /// A flapping health check fills the cap long before the run ends: the fault's
    /// note, its heal and the recovery after them are kept all the same, in time order.
    #[test]
    fn a_full_timeline_keeps_the_faults_their_notes_and_the_recovery() {
        let mut markers = vec![marker(0, MarkerKind::FaultInjected, "fault:0")];
        markers.extend(
            (1..=(TIMELINE_EVENTS_MAX as u64 * 2)).map(|i| marker(i, MarkerKind::Health, "lb")),
        );
        let end = TIMELINE_EVENTS_MAX as u64 * 2 + 1;
        markers.push(marker(end, MarkerKind::FaultHealed, "fault:0"));
        markers.push(marker(end, MarkerKind::Note, "fault:0"));
        let (events, omitted) = timeline(&markers, None, Some(end + 1));
        assert_eq!(events.len(), TIMELINE_EVENTS_MAX);
        assert_eq!(omitted, TIMELINE_EVENTS_MAX as u64 + 4);
        let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds[0], "fault_injected");
        assert_eq!(
            kinds[kinds.len() - 3..],
            ["fault_healed", "note", "recovered"]
        );
        assert!(events.windows(2).all(|w| w[0].t_s <= w[1].t_s));
    }
}
