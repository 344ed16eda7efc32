//! Records whose answers are known, checked metric by metric to the 100 ms bucket.

mod common;

use common::{check, RecordBuilder};
use faultline_record::FailureClass::{Refused, ServerError, Timeout};
use faultline_record::{MarkerKind, WriteOutcome};

/// Short phases so the records stay small: 5 s baseline, 3 s recovery window.
const SHORT: &str = "phases: { baseline: 5s }\nrecovery: { window: 3s }\n";

fn settings(more: &str) -> String {
    format!("{SHORT}{more}")
}

/// Clean 0-10 s, every operation fails from the fault at 10.0 s to 17.3 s, clean after.
fn outage_7_3_s() -> RecordBuilder {
    outage_with("")
}

/// The 7.3 s outage with more experiment settings.
fn outage_with(more: &str) -> RecordBuilder {
    RecordBuilder::new("outage", 30.0, &settings(more))
        .ok(0.0, 10.0)
        .traffic("client", 10.0, 17.3, 7, Err(Refused), 5.0)
        .traffic("client", 10.0, 17.3, 3, Err(Timeout), 5.0)
        .ok(17.3, 30.0)
        .fault(10.0)
        .marker(11.0, MarkerKind::Detect, "db.failover.detect")
        .marker(15.5, MarkerKind::Activate, "db.failover.activate")
}

#[test]
fn an_outage_of_exactly_7_3_s_has_an_rto_of_7_3_s() {
    check(
        &outage_7_3_s(),
        &[
            ("/metrics/t_fault_s", "10.0"),
            ("/metrics/recovered", "true"),
            ("/metrics/rto_s", "7.3"),
            ("/metrics/t_recovered_s", "17.3"),
            ("/metrics/not_recovered_within_s", "null"),
            ("/metrics/ttd_s", "1.0"),
            ("/metrics/ttd_source", "\"db.failover.detect\""),
            ("/metrics/tta_s", "5.5"),
            ("/metrics/tta_source", "\"db.failover.activate\""),
            (
                "/metrics/rto_parts",
                r#"{"detection_s": 1.0, "activation_s": 4.5, "rest_s": 1.8}"#,
            ),
            ("/metrics/error_rate", "1.0"),
            ("/metrics/transition_operations", "730"),
            ("/metrics/failure_classes/refused", "511"),
            ("/metrics/failure_classes/timeout", "219"),
            ("/metrics/throughput_degradation_mean", "1.0"),
            ("/metrics/throughput_degradation_worst", "1.0"),
            ("/metrics/baseline/start_s", "5.0"),
            ("/metrics/baseline/end_s", "10.0"),
            ("/metrics/baseline/success_rate", "1.0"),
            ("/metrics/baseline/ok_throughput_per_s", "100.0"),
            ("/metrics/baseline/operations", "500"),
            (
                "/metrics/recovery_criteria",
                r#"{"window_s": 3.0, "success": 0.99, "throughput": 0.9}"#,
            ),
            (
                "/metrics/transition",
                r#"{"start_s": 10.0, "end_s": 17.3, "duration_s": 7.3}"#,
            ),
            // No ledger: nothing to lose, so the RPO is 0.
            ("/metrics/lost_writes", "0"),
            ("/metrics/rpo_s", "0.0"),
            ("/passed", "true"),
        ],
    );
}

#[test]
fn the_recovery_and_signals_appear_on_the_timeline_in_time_order() {
    let summary = check(&outage_7_3_s(), &[]);
    let kinds: Vec<(f64, &str)> = summary
        .timeline
        .iter()
        .map(|e| (e.t_s, e.kind.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            (10.0, "fault_injected"),
            (11.0, "detect"),
            (15.5, "activate"),
            (17.3, "recovered")
        ]
    );
}

#[test]
fn a_fault_inside_a_bucket_recovers_on_a_bucket_boundary() {
    // Fault at 10.05 s (inside bucket 100); failures end at 12.0 s.
    let b = RecordBuilder::new("mid-bucket", 20.0, &settings(""))
        .ok(0.0, 10.1)
        .fail(10.1, 12.0, Refused)
        .ok(12.0, 20.0)
        .fault(10.05);
    check(
        &b,
        &[
            ("/metrics/rto_s", "1.95"),
            ("/metrics/t_recovered_s", "12.0"),
            // The transition starts with the fault's own bucket (10 ok operations).
            ("/metrics/transition_operations", "200"),
            ("/metrics/error_rate", "0.95"),
            // Baseline buckets end before the fault's bucket.
            ("/metrics/baseline/end_s", "10.0"),
        ],
    );
}

#[test]
fn a_healthy_stretch_shorter_than_the_window_does_not_count_as_recovery() {
    // Healthy 14.0-15.5 s (1.5 s < 3 s window), failing again, recovered for good at 16 s.
    let b = RecordBuilder::new("flapping", 30.0, &settings(""))
        .ok(0.0, 10.0)
        .fail(10.0, 14.0, ServerError)
        .ok(14.0, 15.5)
        .fail(15.5, 16.0, ServerError)
        .ok(16.0, 30.0)
        .fault(10.0);
    check(
        &b,
        &[
            ("/metrics/rto_s", "6.0"),
            ("/metrics/transition_operations", "600"),
            ("/metrics/failure_classes/server_error", "450"),
            ("/metrics/error_rate", "0.75"),
            ("/metrics/throughput_degradation_mean", "0.75"),
            ("/metrics/throughput_degradation_worst", "1.0"),
        ],
    );
}

#[test]
fn never_recovered_reports_d_and_fails_the_rto_threshold() {
    let b = RecordBuilder::new("dead", 20.0, &settings("expect: { rto: \"<= 30s\" }\n"))
        .ok(0.0, 10.0)
        .fail(10.0, 20.0, Timeout)
        .fault(10.0);
    check(
        &b,
        &[
            ("/metrics/recovered", "false"),
            ("/metrics/rto_s", "null"),
            ("/metrics/t_recovered_s", "null"),
            ("/metrics/not_recovered_within_s", "10.0"),
            ("/metrics/transition/end_s", "20.0"),
            ("/metrics/error_rate", "1.0"),
            ("/metrics/rto_parts/rest_s", "null"),
            ("/thresholds/0/name", "\"rto\""),
            ("/thresholds/0/actual", "null"),
            ("/thresholds/0/passed", "false"),
            ("/thresholds/0/reason", "\"not recovered within 10s\""),
            ("/passed", "false"),
        ],
    );
}

#[test]
fn without_a_fault_the_fault_metrics_are_null_and_their_thresholds_fail() {
    let b = RecordBuilder::new(
        "calm",
        10.0,
        &settings("expect: { rto: \"<= 30s\", lost_writes: \"== 0\" }\n"),
    )
    .ok(0.0, 10.0);
    let summary = check(
        &b,
        &[
            ("/metrics/t_fault_s", "null"),
            ("/metrics/recovered", "null"),
            ("/metrics/rto_s", "null"),
            ("/metrics/ttd_s", "null"),
            ("/metrics/rpo_s", "null"),
            ("/metrics/split_brain_writes", "null"),
            ("/metrics/error_rate", "null"),
            ("/metrics/transition/start_s", "null"),
            // The baseline is the last 5 s of the record.
            ("/metrics/baseline/start_s", "5.0"),
            ("/metrics/baseline/operations", "500"),
            ("/thresholds/0/passed", "false"),
            (
                "/thresholds/0/reason",
                "\"no fault was injected, so there is no transition to measure\"",
            ),
            // Nothing was written: nothing lost.
            ("/thresholds/1/name", "\"lost_writes\""),
            ("/thresholds/1/passed", "true"),
            ("/passed", "false"),
        ],
    );
    assert!(summary
        .notes
        .iter()
        .any(|n| n.contains("no fault_injected")));
}

#[test]
fn a_write_lost_2_1_s_before_the_fault_gives_an_rpo_of_2_1_s() {
    use WriteOutcome::Acked;
    let b = RecordBuilder::new("rpo", 20.0, &settings("expect: { rpo: \"<= 2s\" }\n"))
        .ok(0.0, 20.0)
        .fault(10.0)
        // Kept: acknowledged long before and read back.
        .write(1, "a", "a1", 1.0, Some(1.01), Acked)
        // Lost as stale: k holds the older write 2.
        .write(2, "k", "k2", 7.0, Some(7.005), Acked)
        .write(3, "k", "k3", 7.8, Some(7.9), Acked)
        // Lost as absent, acknowledged later (0.5 s before the fault).
        .write(4, "m", "m4", 9.4, Some(9.5), Acked)
        .read("a", Some((1, "a1")))
        .read("k", Some((2, "k2")))
        .read("m", None);
    check(
        &b,
        &[
            ("/metrics/lost_writes", "2"),
            ("/metrics/rpo_s", "2.1"),
            ("/metrics/split_brain_writes", "0"),
            ("/integrity/ok", "2"),
            ("/integrity/stale", "1"),
            ("/integrity/lost", "1"),
            ("/integrity/dataset_matches", "false"),
            ("/thresholds/0/actual", "2.1"),
            ("/thresholds/0/unit", "\"s\""),
            ("/thresholds/0/passed", "false"),
        ],
    );
}

#[test]
fn a_lost_write_acknowledged_after_the_fault_is_split_brain() {
    use WriteOutcome::Acked;
    let b = RecordBuilder::new(
        "split",
        20.0,
        &settings("expect: { split_brain_writes: \"== 0\" }\n"),
    )
    .ok(0.0, 20.0)
    .fault(10.0)
    .write(1, "s", "s1", 5.0, Some(5.01), Acked)
    // Acknowledged by the old primary after the fault, then lost.
    .write(2, "s", "s2", 11.9, Some(12.0), Acked)
    .read("s", Some((1, "s1")));
    check(
        &b,
        &[
            ("/metrics/lost_writes", "1"),
            ("/metrics/split_brain_writes", "1"),
            // t_f - 12.0 is negative: floored at 0.
            ("/metrics/rpo_s", "0.0"),
            ("/thresholds/0/name", "\"split_brain_writes\""),
            ("/thresholds/0/actual", "1.0"),
            ("/thresholds/0/unit", "\"writes\""),
            ("/thresholds/0/passed", "false"),
        ],
    );
}

#[test]
fn stale_corrupt_and_indeterminate_writes_are_classified_apart() {
    use WriteOutcome::*;
    let b = RecordBuilder::new("integrity", 20.0, &settings(""))
        .ok(0.0, 20.0)
        .fault(10.0)
        .write(1, "ok", "v1", 1.0, Some(1.1), Acked)
        .write(2, "stale", "v2", 2.0, Some(2.1), Acked)
        .write(3, "stale", "v3", 3.0, Some(3.1), Acked)
        .write(4, "corrupt", "v4", 4.0, Some(4.1), Acked)
        .write(5, "maybe", "v5", 11.0, None, Indeterminate)
        .write(6, "failed", "v6", 11.5, None, Failed)
        .write(7, "unread", "v7", 12.0, Some(12.1), Acked)
        .read("ok", Some((1, "v1")))
        .read("stale", Some((2, "v2")))
        .read("corrupt", Some((4, "garbled")))
        .read("maybe", Some((5, "v5")))
        .read("failed", None);
    check(
        &b,
        &[
            ("/integrity/verified", "true"),
            ("/integrity/writes", "7"),
            ("/integrity/ok", "2"),
            ("/integrity/stale", "1"),
            ("/integrity/lost", "0"),
            ("/integrity/corrupt", "1"),
            ("/integrity/indeterminate", "1"),
            ("/integrity/unacknowledged_absent", "1"),
            ("/integrity/unverified", "1"),
            ("/metrics/lost_writes", "1"),
            ("/metrics/rpo_s", "6.9"),
        ],
    );
}

#[test]
fn writes_without_any_final_state_leave_lost_writes_unknown() {
    use WriteOutcome::Acked;
    let b = RecordBuilder::new(
        "unverified",
        20.0,
        &settings("expect: { lost_writes: \"== 0\" }\n"),
    )
    .ok(0.0, 20.0)
    .fault(10.0)
    .write(1, "a", "a1", 1.0, Some(1.1), Acked);
    check(
        &b,
        &[
            ("/integrity/verified", "false"),
            ("/metrics/lost_writes", "null"),
            ("/metrics/rpo_s", "null"),
            ("/thresholds/0/passed", "false"),
            (
                "/thresholds/0/reason",
                "\"no final state was read back, so lost writes are unknown\"",
            ),
        ],
    );
}

#[test]
fn detection_falls_back_to_the_first_failing_probe_and_says_so() {
    // The declared detect signal never fires; another source's detect does not count;
    // the probe that failed before the fault does not count either.
    let b = RecordBuilder::new(
        "probe",
        30.0,
        &settings("signals: { detect: [db.failover.detect] }\n"),
    )
    .ok(0.0, 10.0)
    .fail(10.0, 14.0, Refused)
    .ok(14.0, 30.0)
    .marker(5.0, MarkerKind::ProbeFailed, "probe:lb-health")
    .fault(10.0)
    .marker(12.0, MarkerKind::Detect, "someone.else")
    .marker(13.0, MarkerKind::ProbeFailed, "lb-health")
    .marker(13.5, MarkerKind::ProbeFailed, "probe:other");
    let summary = check(
        &b,
        &[
            ("/metrics/ttd_s", "3.0"),
            ("/metrics/ttd_source", "\"probe:lb-health\""),
            ("/metrics/tta_s", "null"),
            (
                "/metrics/rto_parts",
                r#"{"detection_s": 3.0, "activation_s": null, "rest_s": 1.0}"#,
            ),
        ],
    );
    assert!(
        summary.notes.iter().any(|n| n.contains("falls back")),
        "{:?}",
        summary.notes
    );
    assert!(summary
        .timeline
        .iter()
        .any(|e| e.kind == "probe_failed" && e.t_s == 13.0));
}

#[test]
fn recovery_success_defaults_to_the_baseline_when_it_is_lower() {
    // 5% of the baseline fails (S_b = 0.95): a second with 5% errors is healthy.
    let b = RecordBuilder::new("lenient", 30.0, &settings(""))
        .traffic("client", 0.0, 10.0, 19, Ok(()), 5.0)
        .traffic("client", 0.0, 10.0, 1, Err(ServerError), 5.0)
        .fail(10.0, 12.0, Refused)
        .traffic("client", 12.0, 30.0, 19, Ok(()), 5.0)
        .traffic("client", 12.0, 30.0, 1, Err(ServerError), 5.0)
        .fault(10.0);
    check(
        &b,
        &[
            ("/metrics/baseline/success_rate", "0.95"),
            ("/metrics/recovery_criteria/success", "0.95"),
            ("/metrics/rto_s", "2.0"),
        ],
    );
}

#[test]
fn latency_in_the_transition_includes_slow_failures_and_each_component_is_judged_apart() {
    // Timeouts after 480 ms from 10.0 s to 13.0 s: the last one completes at 13.47 s,
    // so the first healthy window starts at 13.5 s.
    let b = RecordBuilder::new("slow", 30.0, &settings(""))
        .traffic("client", 0.0, 10.0, 10, Ok(()), 20.0)
        .traffic("client", 10.0, 13.0, 10, Err(Timeout), 480.0)
        .traffic("client", 13.0, 30.0, 10, Ok(()), 20.0)
        .traffic("db", 0.0, 10.0, 10, Ok(()), 2.0)
        .traffic("db", 10.0, 13.5, 10, Err(Refused), 2.0)
        .traffic("db", 13.5, 30.0, 10, Ok(()), 2.0)
        .fault(10.0);
    check(
        &b,
        &[
            ("/metrics/rto_s", "3.5"),
            // In [10.0, 13.5): 300 timeouts; 2 baseline operations ending at 10.00 and
            // 10.01 s; 48 operations started 13.00-13.47 s ending before 13.5 s.
            ("/metrics/transition_operations", "350"),
            ("/metrics/error_rate", "0.857143"),
            ("/metrics/throughput_degradation_mean", "0.857143"),
            // HDR cells (2 significant digits) report their top value.
            (
                "/metrics/latency_ms/baseline",
                r#"{"p50": 20.095, "p99": 20.095, "max": 20.095}"#,
            ),
            (
                "/metrics/latency_ms/transition",
                r#"{"p50": 481.279, "p99": 481.279, "max": 481.279}"#,
            ),
            ("/components/0/series", "\"client\""),
            ("/components/1/series", "\"db\""),
            ("/components/1/baseline/error_rate", "0.0"),
            ("/components/1/transition/error_rate", "1.0"),
            ("/components/1/transition/operations", "350"),
        ],
    );
}

#[test]
fn every_threshold_unit_passes_and_fails_on_the_right_side() {
    let expect = r#"
expect:
  rto: "<= 7.3s"
  ttd: "< 1s"
  tta: "<= 6s"
  error_rate: "<= 100%"
  p99_latency: "<= 4ms"
  throughput_degradation: "< 50%"
  lost_writes: "== 0"
alerts:
  - { name: redundancy, metric: healthy_nodes, of: db, below: 2, must_fire_within: 2s }
  - { name: late, metric: error_rate, of: api, above: 0.5, must_fire_within: 1s }
  - { name: silent, metric: error_rate, of: api, above: 0.5, must_fire_within: 1s }
  - { name: unwatched, metric: error_rate, of: api, above: 0.5 }
"#;
    let b = outage_with(expect)
        .marker(11.5, MarkerKind::Alert, "alert:redundancy")
        .marker(12.0, MarkerKind::Alert, "alert:late");
    let summary = check(
        &b,
        &[
            (
                "/thresholds/0",
                r#"{"name": "rto", "expected": "<= 7.3s", "actual": 7.3, "unit": "s", "passed": true, "reason": null}"#,
            ),
            ("/thresholds/1/name", "\"ttd\""),
            ("/thresholds/1/passed", "false"),
            ("/thresholds/2/name", "\"tta\""),
            ("/thresholds/2/passed", "true"),
            (
                "/thresholds/3",
                r#"{"name": "error_rate", "expected": "<= 100%", "actual": 1.0, "unit": "fraction", "passed": true, "reason": null}"#,
            ),
            ("/thresholds/4/name", "\"p99_latency\""),
            ("/thresholds/4/unit", "\"ms\""),
            ("/thresholds/4/actual", "5.023"),
            ("/thresholds/4/passed", "false"),
            ("/thresholds/5/name", "\"throughput_degradation\""),
            ("/thresholds/5/passed", "false"),
            (
                "/thresholds/6",
                r#"{"name": "lost_writes", "expected": "== 0", "actual": 0.0, "unit": "writes", "passed": true, "reason": null}"#,
            ),
            (
                "/thresholds/7",
                r#"{"name": "alert:redundancy", "expected": "fires within 2s", "actual": 1.5, "unit": "s", "passed": true, "reason": null}"#,
            ),
            ("/thresholds/8/actual", "2.0"),
            ("/thresholds/8/passed", "false"),
            ("/thresholds/9/actual", "null"),
            (
                "/thresholds/9/reason",
                "\"did not fire in the 20s between the fault and the end of the record\"",
            ),
            ("/passed", "false"),
        ],
    );
    // Only alerts with `must_fire_within` are verdict lines.
    assert_eq!(summary.thresholds.len(), 10);
}

#[test]
fn a_far_future_marker_does_not_blow_up_the_analysis() {
    // Guards the loops over seconds: a corrupt marker 10 years out must stay cheap.
    let b = outage_7_3_s().marker(315_360_000.0, MarkerKind::Note, "corrupt");
    let started = std::time::Instant::now();
    let analysis = b.analyze();
    assert!(
        started.elapsed().as_secs() < 20,
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(analysis.summary.metrics.rto_s, Some(7.3));
    let chart = &analysis.series_seconds["client"];
    assert!(
        chart.len() <= 30 + 24 * 3_600,
        "{} chart points",
        chart.len()
    );
}

#[test]
fn per_second_chart_series_add_up_to_the_buckets() {
    let analysis = outage_7_3_s().analyze();
    let client = &analysis.series_seconds["client"];
    assert_eq!(client.len(), 30);
    assert_eq!(
        (client[9].offered, client[9].ok, client[9].failed),
        (100, 100, 0)
    );
    assert_eq!(
        (client[12].offered, client[12].ok, client[12].failed),
        (100, 0, 100)
    );
    // 17.0-18.0 s: 3 failing buckets, 7 healthy ones.
    assert_eq!((client[17].ok, client[17].failed), (70, 30));
}

#[test]
fn a_crashed_run_and_a_short_baseline_are_noted() {
    // Default baseline (60 s) but the fault comes at 10 s; run.json still says running.
    let b = RecordBuilder::new("crashed", 20.0, "recovery: { window: 3s }\n")
        .ok(0.0, 20.0)
        .fault(10.0)
        .status(faultline_record::RunStatus::Running);
    let summary = check(
        &b,
        &[
            ("/run/status", "\"running\""),
            ("/metrics/baseline/start_s", "0.0"),
            ("/metrics/baseline/operations", "1000"),
            ("/metrics/rto_s", "0.0"),
        ],
    );
    let notes = summary.notes.join("\n");
    assert!(notes.contains("says `running`"), "{notes}");
    assert!(
        notes.contains("covers only 10s before the fault"),
        "{notes}"
    );
}

/// A 2 s outage after a 10 s baseline in which throughput fell to a fifth for 2 s;
/// `steady_state` is the `phases.steady_state` setting.
fn swinging_baseline(steady_state: &str) -> RecordBuilder {
    let settings =
        format!("phases: {{ baseline: 10s{steady_state} }}\nexpect: {{ rto: \"<= 5s\" }}\n");
    RecordBuilder::new("outage", 30.0, &settings)
        .ok(0.0, 3.0)
        .traffic("client", 3.0, 5.0, 2, Ok(()), 5.0)
        .ok(5.0, 10.0)
        .fail(10.0, 12.0, Refused)
        .ok(12.0, 30.0)
        .fault(10.0)
}

#[test]
fn a_baseline_whose_throughput_swings_is_not_steady_and_fails_the_run() {
    let summary = check(
        &swinging_baseline(""),
        &[
            ("/metrics/rto_s", "2.0"),
            ("/thresholds/0/passed", "true"),
            ("/metrics/baseline/steady", "false"),
            ("/metrics/baseline/throughput_swing", "0.8"),
            ("/passed", "false"),
        ],
    );
    let reason = summary.metrics.baseline.steady_reason.unwrap_or_default();
    assert!(
        reason.contains("2 of 10 baseline seconds swung more than 50%"),
        "{reason}"
    );
    assert!(
        summary
            .notes
            .iter()
            .any(|n| n.starts_with("the baseline was not steady: 2 of 10")),
        "{:?}",
        summary.notes
    );
}

#[test]
fn a_wider_swing_limit_accepts_the_same_baseline() {
    check(
        &swinging_baseline(", steady_state: { max_throughput_swing: 85% }"),
        &[
            ("/metrics/baseline/steady", "true"),
            ("/metrics/baseline/throughput_swing", "0.8"),
            ("/passed", "true"),
        ],
    );
}

#[test]
fn with_the_check_off_an_unsteady_baseline_is_reported_but_does_not_fail() {
    let summary = check(
        &swinging_baseline(", steady_state: { check: false }"),
        &[("/metrics/baseline/steady", "false"), ("/passed", "true")],
    );
    assert!(
        summary.notes.iter().any(|n| n.contains("check is off")),
        "{:?}",
        summary.notes
    );
}

/// An open load the system cannot keep up with: in the 5 s baseline 1 000 operations a
/// second start and 100 finish, without an error or a swing (the other 900 a second
/// answer 20 s later); `steady_state` is the `phases.steady_state` setting.
fn fallen_behind(steady_state: &str) -> RecordBuilder {
    let settings = format!(
        "phases: {{ baseline: 5s{steady_state} }}\nrecovery: {{ window: 3s }}\n\
         expect: {{ rto: \"<= 5s\" }}\n"
    );
    RecordBuilder::new("behind", 40.0, &settings)
        .open_load(1_000)
        .ok(0.0, 40.0)
        .traffic("client", 0.0, 10.0, 90, Ok(()), 20_000.0)
        .fault(10.0)
}

#[test]
fn a_baseline_that_fell_behind_its_load_is_not_steady_and_fails_the_run() {
    let summary = check(
        &fallen_behind(""),
        &[
            ("/metrics/baseline/steady", "false"),
            ("/metrics/baseline/backlog_share", "0.9"),
            ("/metrics/baseline/throughput_swing", "0.0"),
            ("/metrics/baseline/success_rate", "1.0"),
            ("/passed", "false"),
        ],
    );
    assert_eq!(
        summary.metrics.baseline.steady_reason.as_deref(),
        Some(
            "the system fell behind its load: 3000 operations started in the last 3 seconds \
             of the baseline and 300 finished (90% still waiting, max_backlog 10%)"
        )
    );
}

#[test]
fn a_wider_backlog_limit_accepts_the_same_baseline() {
    check(
        &fallen_behind(", steady_state: { max_backlog: 95% }"),
        &[
            ("/metrics/baseline/steady", "true"),
            ("/metrics/baseline/backlog_share", "0.9"),
        ],
    );
}

/// Users wait for their answers: a closed-model load cannot outrun the system, and
/// what is in flight is no backlog (the same counts with 10 users are not judged).
#[test]
fn a_closed_model_load_is_not_judged_on_its_backlog() {
    let settings = "phases: { baseline: 5s }\nrecovery: { window: 3s }\n";
    let record = RecordBuilder::new("closed", 40.0, settings)
        .ok(0.0, 40.0)
        .traffic("client", 0.0, 10.0, 90, Ok(()), 20_000.0)
        .fault(10.0);
    check(
        &record,
        &[
            ("/metrics/baseline/steady", "true"),
            ("/metrics/baseline/backlog_share", "null"),
        ],
    );
}

#[test]
fn errors_in_the_baseline_make_it_unsteady() {
    let record = RecordBuilder::new("outage", 30.0, &settings("expect: { rto: \"<= 5s\" }"))
        .ok(0.0, 10.0)
        .traffic("client", 5.0, 10.0, 1, Err(Timeout), 5.0)
        .fail(10.0, 12.0, Refused)
        .ok(12.0, 30.0)
        .fault(10.0);
    let summary = check(
        &record,
        &[("/metrics/baseline/steady", "false"), ("/passed", "false")],
    );
    let reason = summary.metrics.baseline.steady_reason.unwrap_or_default();
    assert!(reason.contains("passed max_error_rate 1%"), "{reason}");
}
