//! The three architectures of PRODUCT.md: their RTO lands in the typical range for
//! the examples' default settings, is explained by its parts, and each hidden risk
//! emerges from the model.

mod common;

use common::{example, marker_s, run, variant};
use faultline_record::MarkerKind;

#[test]
fn active_passive_rto_is_detection_plus_promotion_plus_re_resolution() {
    // check_every 1s, fail_after 3, promote_in 10s, DNS TTL 30s.
    let o = run(&example("active-passive"));
    let m = &o.summary.metrics;
    let ttd = m.ttd_s.expect("detected");
    let tta = m.tta_s.expect("activated");
    let rto = m.rto_s.expect("recovered");
    assert!(
        (2.0..=3.0).contains(&ttd),
        "TTD {ttd}: 3 missed checks 1 s apart"
    );
    assert!(
        (tta - ttd - 10.0).abs() < 0.01,
        "TTA {tta} = TTD + promote_in"
    );
    assert!(
        rto >= tta && rto <= tta + 30.0 + 2.0,
        "RTO {rto}: after TTA {tta}, within the TTL"
    );
    assert!(
        (15.0..=120.0).contains(&rto),
        "RTO {rto} outside PRODUCT.md's 15-120 s"
    );
    let parts = &m.rto_parts;
    let sum = parts.detection_s.unwrap() + parts.activation_s.unwrap() + parts.rest_s.unwrap();
    assert!((sum - rto).abs() < 0.01, "the parts add up to the RTO");
    assert_eq!(
        marker_s(&o, MarkerKind::DnsChange, "dns"),
        Some(m.t_fault_s.unwrap() + tta)
    );
}

/// A killed or paused failover controller checks nothing until it runs again: the
/// primary dies at 630 s, the controller stops at 632 s (after two failed checks, at
/// 630 s + φ and 631 s + φ) for 30 s. Paused, it keeps its two failures and detects
/// at its first check after 662 s; killed, it restarts counting from zero and detects
/// two checks later. Regression: both faults were accepted and changed nothing.
#[test]
fn a_stopped_failover_controller_detects_nothing_until_it_runs_again() {
    let detect_s = |action: &str| {
        let faults = format!(
            "  - {{ at: 10m30s, kill: db.primary }}\n  \
             - {{ at: 10m32s, {action}: db.controller, duration: 30s }}\n"
        );
        let text = variant(
            &example("active-passive"),
            &[("  - { at: 10m30s, kill: db.primary }\n", &faults)],
        );
        marker_s(&run(&text), MarkerKind::Detect, "db.failover.detect").expect("detected")
    };
    let (paused, killed) = (detect_s("pause"), detect_s("kill"));
    assert!(
        (662.0..663.0).contains(&paused),
        "paused: detected at {paused} s, not at its third failed check after 662 s"
    );
    assert!(
        (killed - paused - 2.0).abs() < 1e-6,
        "killed: detected at {killed} s, paused at {paused} s: 2 checks apart"
    );
}

/// With `check_timeout`, the failover controller learns of a primary that says
/// nothing (paused, or cut off from it) only when each check's timeout expires, while
/// a dead one refuses at once: the same third failed check is counted 2 s later.
/// Without it, every failure counts when the check is sent and the three faults are
/// detected at the same instant.
#[test]
fn a_failover_check_times_out_on_a_hung_primary_and_not_on_a_dead_one() {
    let detect_s = |fault: &str, timeout: &str| {
        let text = variant(
            &example("active-passive"),
            &[
                (
                    "  - { at: 10m30s, kill: db.primary }\n",
                    &format!("  - {{ at: 10m30s, {fault} }}\n"),
                ),
                (
                    "      fail_after: 3\n",
                    &format!("      fail_after: 3\n{timeout}"),
                ),
            ],
        );
        marker_s(&run(&text), MarkerKind::Detect, "db.failover.detect").expect("detected")
    };
    let hung = [
        "pause: db.primary",
        "partition: { between: [db.controller, db.primary] }",
    ];
    let timeout = "      check_timeout: 2s\n";
    let killed = detect_s("kill: db.primary", timeout);
    assert!(
        (632.0..633.0).contains(&killed),
        "killed: detected at {killed} s"
    );
    for fault in hung {
        let detected = detect_s(fault, timeout);
        assert!(
            (detected - killed - 2.0).abs() < 1e-6,
            "{fault}: detected at {detected} s, killed at {killed} s"
        );
        let untimed = detect_s(fault, "");
        assert!(
            (untimed - killed).abs() < 1e-6,
            "{fault} without a check timeout: detected at {untimed} s, killed at {killed} s"
        );
    }
}

#[test]
fn ttl_inflation_grows_the_rto_by_the_inflation() {
    let inflated = run(&example("active-passive-ttl-inflation"));
    let plain = run(&variant(
        &example("active-passive-ttl-inflation"),
        &[("clients_ignoring_ttl: 20%", "clients_ignoring_ttl: 0%")],
    ));
    let (ri, rp) = (
        inflated.summary.metrics.rto_s.unwrap(),
        plain.summary.metrics.rto_s.unwrap(),
    );
    // ignore_for 2m - ttl 30s = 90 s longer.
    assert!(rp <= 13.0 + 30.0 + 2.0, "plain RTO {rp}");
    assert!(
        (70.0..=100.0).contains(&(ri - rp)),
        "inflated RTO {ri} vs plain {rp}: +90 s expected"
    );
}

#[test]
fn a_partition_without_fencing_gives_split_brain_and_fencing_prevents_it() {
    let open = run(&example("active-passive-split-brain"));
    let fenced = run(&variant(
        &example("active-passive-split-brain"),
        &[("fencing: false", "fencing: true")],
    ));
    let sb_open = open.summary.metrics.split_brain_writes.unwrap();
    let sb_fenced = fenced.summary.metrics.split_brain_writes.unwrap();
    eprintln!("split brain writes: unfenced {sb_open}, fenced {sb_fenced}");
    // Writes to the old primary until the connections' DNS answers expire (<= 30 s).
    assert!(sb_open > 500, "unfenced: {sb_open} split-brain writes");
    assert_eq!(
        open.summary.metrics.lost_writes,
        Some(sb_open),
        "every lost write was acknowledged after the fault"
    );
    assert!(
        sb_fenced * 20 < sb_open,
        "fenced: {sb_fenced} (only replication in flight at the promotion)"
    );
}

#[test]
fn async_replication_loses_about_the_lag_and_sync_loses_nothing() {
    let a = run(&example("replication-rpo"));
    let rpo = a.summary.metrics.rpo_s.unwrap();
    assert!((0.9..=1.05).contains(&rpo), "async RPO {rpo}, lag 1 s");
    assert!(a.summary.metrics.lost_writes.unwrap() > 50);
    // Synchronous: the acknowledgement waits for the standby's round trip (5 ms, not
    // the 1 s shipping delay of the async variant, which would time every write out).
    let s = run(&variant(
        &example("replication-rpo"),
        &[(
            "mode: async, lag: { fixed: 1s }",
            "mode: sync, lag: { fixed: 5ms }",
        )],
    ));
    assert_eq!(s.summary.metrics.baseline.steady, Some(true));
    assert!(
        s.summary.integrity.ok > 20_000,
        "writes are acknowledged: {}",
        s.summary.integrity.ok
    );
    assert_eq!(s.summary.metrics.rpo_s, Some(0.0));
    assert_eq!(s.summary.metrics.lost_writes, Some(0));
}

#[test]
fn active_active_survivor_absorbs_at_40_percent_and_counts_conflicts() {
    let o = run(&example("active-active"));
    let rto = o.summary.metrics.rto_s.expect("recovered");
    assert!(rto < 5.0, "RTO {rto}: PRODUCT.md says < 5 s");
    assert!(
        o.sim.conflicts() > 0,
        "concurrent writes to the hot keys conflict"
    );
    let note = o
        .record
        .markers
        .iter()
        .find(|m| m.source == "db.conflicts")
        .expect("conflicts note");
    assert!(note
        .detail
        .as_deref()
        .unwrap()
        .starts_with(&o.sim.conflicts().to_string()));
}

#[test]
fn active_active_at_75_percent_pushes_the_survivor_past_saturation() {
    let o = run(&example("active-active-saturated"));
    let m = &o.summary.metrics;
    assert_eq!(
        m.recovered,
        Some(false),
        "the survivor cannot carry both sites"
    );
    let base = m.latency_ms.baseline.p99.unwrap();
    let during = m.latency_ms.transition.p99.unwrap();
    assert!(
        during > 5.0 * base,
        "queueing: p99 {base} ms -> {during} ms"
    );
    assert!(
        m.failure_classes.server_error > 0,
        "the queue limit rejects"
    );
}

#[test]
fn n_plus_one_absorbs_one_loss_and_shows_the_spare_warming_up() {
    let o = run(&example("n-plus-one"));
    let m = &o.summary.metrics;
    let rto = m.rto_s.expect("recovered");
    assert!(
        (10.0..=60.0).contains(&rto),
        "RTO {rto} outside PRODUCT.md's 10-60 s"
    );
    assert!(
        marker_s(&o, MarkerKind::Alert, "alert:redundancy-breached").is_none(),
        "one loss is within N+1"
    );
    // The spare starts at 20% capacity: its shard queues until it warms up.
    let t_act = marker_s(&o, MarkerKind::Activate, "db.failover.activate").unwrap() as u64;
    let db = &o.seconds["db"];
    let p99 = |from: u64, to: u64| {
        db.iter()
            .filter(|p| p.t_s >= from && p.t_s < to)
            .filter_map(|p| p.p99_ms)
            .fold(0.0, f64::max)
    };
    let (before, warming, warm) = (
        p99(60, 119),
        p99(t_act + 1, t_act + 10),
        p99(t_act + 40, t_act + 60),
    );
    assert!(
        warming > 3.0 * before && warm < 2.0 * before,
        "db p99: {before} ms, warming {warming} ms, warm {warm} ms"
    );
}

#[test]
fn n_plus_one_double_failure_fires_the_redundancy_alert() {
    let o = run(&example("n-plus-one-double-failure"));
    let t_f = o.summary.metrics.t_fault_s.unwrap();
    let fired = marker_s(&o, MarkerKind::Alert, "alert:redundancy-breached").expect("alert fired");
    assert!(
        fired - t_f <= 60.0,
        "fired {:.1} s after the faults",
        fired - t_f
    );
    assert!(
        o.summary.passed,
        "the example's expectations hold: {:?}",
        o.summary.thresholds
    );
}
