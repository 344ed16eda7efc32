//! Findings drawn from the notes engines record about a fault.

mod common;

use std::path::Path;

use faultline_analyze::analyze;
use faultline_record::{Marker, MarkerKind};
use faultline_report::findings::{findings, Finding, Level};

/// The note the simulator records for a partition between the clients and `db` when
/// the clients only call `api` (see `faultline-sim`'s `features` test).
const UNUSED_EDGE: &str = "no message went between client and db while the fault was \
    active, so it changed nothing: in this design client and db do not exchange messages \
    directly (client talks to api; db to api), so the fault may need to be between \
    components that do, such as client and api";

/// The demo run with its fault made a partition between the clients and `db`, and
/// with `note` (if any) recorded when it was rolled back at the end.
fn partition_findings(note: Option<&str>) -> Vec<Finding> {
    let text = common::example_text().replace(
        "{ at: 10m30s, kill: db.primary }",
        "{ at: 10m30s, partition: { between: [client, db] } }",
    );
    let experiment = faultline_spec::parse(&text, Path::new("partition.yaml")).expect("valid");
    let mut record = common::record(common::Shape::default());
    record.experiment_text = text;
    if let Some(note) = note {
        record.markers.push(Marker {
            t_us: 990_000_000,
            kind: MarkerKind::Note,
            source: "fault:0".to_string(),
            component: Some("client <-> db".to_string()),
            detail: Some(note.to_string()),
        });
    }
    let analysis = analyze(&record, &experiment);
    findings(&analysis.summary, &experiment)
}

/// An edge fault that applied to no message changed nothing: a run that passes would
/// read as a design that survived it, so the reports must say so.
#[test]
fn an_edge_fault_that_changed_nothing_is_a_finding() {
    let expected = format!("Fault `fault:0` (partition client | db): {UNUSED_EDGE}.");
    let with_note = partition_findings(Some(UNUSED_EDGE));
    let found: Vec<&Finding> = with_note.iter().filter(|f| f.text == expected).collect();
    assert_eq!(found.len(), 1, "{with_note:#?}");
    assert_eq!(found[0].level, Level::Warn);

    let without = partition_findings(None);
    assert!(
        without
            .iter()
            .all(|f| !f.text.starts_with("Fault `fault:0`")),
        "{without:#?}"
    );
}

/// A note's free text (a live error message) with a lone backtick must not open a code
/// span that swallows the rest of the finding.
#[test]
fn a_fault_note_with_a_lone_backtick_keeps_code_spans_balanced() {
    let found = partition_findings(Some("heal failed: bad `name"));
    let text = &found
        .iter()
        .find(|f| f.text.starts_with("Fault `fault:0`"))
        .expect("the note is a finding")
        .text;
    assert_eq!(text.matches('`').count() % 2, 0, "{text}");
}

/// The findings of the demo run with its activation marker moved to `activate_s`
/// (its recovery window starts at 677.1 s, a bucket's start: an RTO of 47.1 s).
fn findings_with_activation_at(activate_s: f64) -> Vec<Finding> {
    let experiment = common::experiment();
    let mut record = common::record(common::Shape::default());
    let activation = record
        .markers
        .iter_mut()
        .find(|m| m.kind == MarkerKind::Activate)
        .expect("the demo run has an activation");
    activation.t_us = (activate_s * 1e6).round() as u64;
    findings(&analyze(&record, &experiment).summary, &experiment)
}

/// The RTO ends at the start of a 100 ms bucket while the activation is exact: an
/// activation inside the recovery's first bucket is not a recovery before the failover.
#[test]
fn a_recovery_before_activation_is_told_only_beyond_the_rto_resolution() {
    let told = |found: &[Finding]| found.iter().any(|f| f.text.contains("critical path"));
    let same_bucket = findings_with_activation_at(677.14);
    assert!(!told(&same_bucket), "{same_bucket:#?}");
    let seconds_later = findings_with_activation_at(679.1);
    assert!(told(&seconds_later), "{seconds_later:#?}");
}

/// The detection part of the RTO names the design that detects: a failover controller,
/// a monitor or a balancer's health check, its checks and their interval. With a check timeout, a hung node's
/// last failed check counts that much later, so the design's upper bound grows by it.
#[test]
fn the_detection_cause_counts_the_failover_check_timeout() {
    // The findings of the demo run with `text` as its experiment, its detection
    // marked by `detected_by`.
    let cause_by = |text: &str, detected_by: &str| {
        let experiment = faultline_spec::parse(text, Path::new("timeout.yaml")).expect("valid");
        let mut record = common::record(common::Shape::default());
        for marker in &mut record.markers {
            if marker.kind == MarkerKind::Detect {
                marker.source = detected_by.to_string();
            }
        }
        let found = findings(&analyze(&record, &experiment).summary, &experiment);
        found
            .iter()
            .find(|f| f.text.contains("by design"))
            .map(|f| f.text.clone())
            .unwrap_or_else(|| panic!("the detection is explained: {found:#?}"))
    };
    let cause = |text: &str| cause_by(text, "db.failover.detect");
    let plain = cause(&common::example_text());
    assert!(plain.contains("(2s to 3s by design)"), "{plain}");
    let timed = cause(&common::example_text().replace(
        "      fail_after: 3\n",
        "      fail_after: 3\n      check_timeout: 2s\n",
    ));
    assert!(
        timed.contains("(2s to 5s by design, each check waiting up to 2s)"),
        "{timed}"
    );
    // The same database as two active sites watched by the routing layer's monitor.
    let failover = "    failover:\n      check_every: 1s\n      fail_after: 3\n      promote_in: 10s\n      clients_find_primary_by: dns\n      dns: db-dns\n";
    let monitored = common::example_text()
        .replace("topology: active_passive", "topology: active_active")
        .replace(
            failover,
            "    monitor: { check_every: 1s, fail_after: 3, check_timeout: 2s }\n",
        )
        .replace("kill: db.primary", "kill: db.0");
    let monitor = cause(&monitored);
    assert!(
        monitor.contains("the monitor of `db` takes a node out of service after 3 failed checks at a 1s interval (2s to 5s by design, each check waiting up to 2s)"),
        "{monitor}"
    );
    // Detected by the balancer's health check (every 5s, 3 failures, 2s timeout).
    let balanced = cause_by(
        &common::example_text().replace("detect: [db.failover.detect]", "detect: [lb.health]"),
        "lb.health",
    );
    assert!(
        balanced.contains("the health check of `lb` needs 3 failures at a 5s interval (10s to 17s by design, each check waiting up to 2s)"),
        "{balanced}"
    );
}
