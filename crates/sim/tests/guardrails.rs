//! Guardrails in the simulator: a limit passed aborts the run the way the live engine
//! does (guardrail marker, load stopped, faults rolled back, record `aborted`), and
//! the analyzer shows it as for a live run.

mod common;

use common::{marker_s, offered, run, variant};
use faultline_record::MarkerKind;

const BASE: &str = r#"
name: guardrails
seed: 3
architecture:
  lb:
    kind: load_balancer
    targets: api
    health_check: { interval: 2s, timeout: 1s, unhealthy_after: 3, healthy_after: 2 }
  api:
    kind: service
    instances: 4
    concurrency: 64
    service_time: { exponential: { mean: 10ms } }
    timeout: 500ms
workload:
  model: open
  target: lb
  stages: [ { hold: 3m, rate: 1000/s } ]
  mix: { read: 100%, write: 0% }
faults:
  - { at: 60s, duration: 60s, kill: api }
"#;

/// The error-rate guardrail counts whole seconds `[now_s - 4, now_s]` every 100 ms. All
/// of `api` dies at 60 s, so at 60.9 s the window holds 4 s of successes and 0.9 s of
/// failures (18% failed) and at 61.0 s 3 s and 1 s (25%): a 22% limit trips at 61.0 s.
#[test]
fn an_error_rate_guardrail_aborts_the_run_and_rolls_the_fault_back() {
    let o = run(&format!(
        "{BASE}guardrails: {{ max_error_rate: 22%, window: 5s }}\n"
    ));
    let trip = marker_s(&o, MarkerKind::Guardrail, "guardrail:max_error_rate")
        .expect("the guardrail tripped");
    assert!((60.95..=61.05).contains(&trip), "tripped at {trip} s");
    let marker = o
        .record
        .markers
        .iter()
        .find(|m| m.kind == MarkerKind::Guardrail)
        .unwrap();
    let detail = marker.detail.as_deref().unwrap();
    assert!(
        detail.starts_with("error rate 2")
            && detail.ends_with("over the last 5 s passed max_error_rate 22%"),
        "{detail}"
    );
    // The fault (planned to last until 120 s) is rolled back when the run stops.
    let healed = o
        .record
        .markers
        .iter()
        .find(|m| m.kind == MarkerKind::FaultHealed && m.source == "fault:0")
        .expect("rolled back");
    assert!(
        healed.t_us as f64 / 1e6 - trip < 0.5,
        "healed at {} s",
        healed.t_us as f64 / 1e6
    );
    assert_eq!(
        healed.detail.as_deref(),
        Some("rolled back at the end of the run")
    );
    // No operation starts after the trip.
    assert_eq!(offered(&o, "client", 62, 180), 0);
    // The analyzer reports it as it does a live run's abort.
    let run_facts = &o.summary.run;
    assert_eq!(run_facts.status, "aborted");
    assert_eq!(
        run_facts.abort_reason.as_deref(),
        Some(format!("guardrail: {detail}").as_str())
    );
    assert!(
        run_facts.end_s < 62.0,
        "the run ended at {} s",
        run_facts.end_s
    );
    assert!(
        o.summary
            .notes
            .iter()
            .any(|n| n == &format!("the run was aborted: guardrail: {detail}")),
        "{:?}",
        o.summary.notes
    );
    assert!(o
        .summary
        .timeline
        .iter()
        .any(|e| e.kind == "guardrail" && e.source == "guardrail:max_error_rate"));
    assert_eq!(
        o.sim.abort_reason(),
        Some(format!("guardrail: {detail}").as_str())
    );
}

/// Without the fault nothing trips: the guardrail is not a timer.
#[test]
fn a_guardrail_that_is_never_passed_lets_the_run_complete() {
    let text = BASE.replace("faults:\n  - { at: 60s, duration: 60s, kill: api }\n", "")
        + "guardrails: { max_error_rate: 1%, max_p99_latency: 200ms, window: 5s }\n";
    let o = run(&text);
    assert_eq!(o.summary.run.status, "completed");
    assert!(o
        .record
        .markers
        .iter()
        .all(|m| m.kind != MarkerKind::Guardrail));
    assert!(offered(&o, "client", 170, 180) > 9000);
}

/// Latency: a paused instance (of 4, round robin) holds a quarter of the requests
/// until the clients' 1 s timeout. From 61 s those timeouts finish, 250 a second
/// against ~1000 operations a second in the 5 s window, so they pass 1% of it (and the
/// p99 passes 300 ms) about 0.2 s later.
#[test]
fn a_p99_guardrail_trips_on_latency() {
    let text = variant(
        BASE,
        &[
            (
                "  - { at: 60s, duration: 60s, kill: api }\n",
                "  - { at: 60s, duration: 60s, pause: api.0 }\n",
            ),
            ("  mix: {", "  timeout: 1s\n  mix: {"),
        ],
    ) + "guardrails: { max_p99_latency: 300ms, window: 5s }\n";
    let o = run(&text);
    let trip = marker_s(&o, MarkerKind::Guardrail, "guardrail:max_p99_latency")
        .expect("the guardrail tripped");
    assert!((61.1..=61.4).contains(&trip), "tripped at {trip} s");
    assert_eq!(o.summary.run.status, "aborted");
    let reason = o.summary.run.abort_reason.clone().unwrap();
    assert!(
        reason.starts_with("guardrail: p99 latency 10")
            && reason.ends_with("ms over the last 5 s passed max_p99_latency 300ms"),
        "{reason}"
    );
}

/// `max_duration` shorter than the stages ends the load there, as a guardrail.
#[test]
fn max_duration_stops_the_run_as_a_guardrail() {
    let text =
        BASE.replace("duration: 60s, ", "duration: 10s, ") + "guardrails: { max_duration: 90s }\n";
    let o = run(&text);
    let at = marker_s(&o, MarkerKind::Guardrail, "guardrail:max_duration").expect("marker");
    assert_eq!(at, 90.0);
    assert_eq!(
        o.summary.run.abort_reason.as_deref(),
        Some("guardrail: max_duration reached")
    );
    assert_eq!(offered(&o, "client", 91, 180), 0);
    // Long enough for the fault and its recovery: the figures are still there.
    assert_eq!(o.summary.metrics.recovered, Some(true));
}
