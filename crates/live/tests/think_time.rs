//! Think time in the live engine: a virtual user pauses for a draw of its
//! distribution after every answer, as in the simulator.

mod common;

/// The gaps between the intended starts of one virtual user's operations (all
/// writes, so the ledger holds them all) against the test service, in milliseconds:
/// its answer time (about a millisecond on loopback) plus the think time `think`.
fn one_user_gaps_ms(think: &str) -> Vec<f64> {
    let (_kv, addr) = common::start_kv();
    let yaml = format!(
        r#"
name: live-think-time
engine: live
architecture:
  api: {{ kind: service, instances: 1, concurrency: 4, service_time: {{ fixed: 1ms }} }}
live:
  targets: {{ api: {{ http: {{ base: "http://{addr}" }} }} }}
workload:
  model: closed
  think_time: {think}
  stages: [ {{ hold: 2s, users: 1 }} ]
  mix: {{ read: 0%, write: 100% }}
  keys: {{ count: 100000 }}
"#
    );
    let (record, _dir) = common::run(&yaml);
    let mut starts: Vec<u64> = record.ledger.iter().map(|e| e.t_intended_us).collect();
    starts.sort_unstable();
    starts
        .windows(2)
        .map(|w| (w[1] - w[0]) as f64 / 1000.0)
        .collect()
}

#[test]
fn a_fixed_think_time_spaces_every_operation_by_at_least_the_pause() {
    let gaps = one_user_gaps_ms("{ fixed: 50ms }");
    assert!(gaps.len() >= 20, "{} gaps", gaps.len());
    assert!(gaps.iter().all(|g| *g >= 50.0), "{gaps:?}");
}

#[test]
fn a_bare_think_time_is_the_mean_of_exponential_pauses() {
    let gaps = one_user_gaps_ms("50ms");
    assert!(gaps.len() >= 20, "{} gaps", gaps.len());
    // An exponential pause of mean 50 ms is under 20 ms with chance 1 - e^-0.4 = 33%:
    // among 20 or more gaps, none would be with chance below 0.67^20 = 3e-4.
    assert!(gaps.iter().any(|g| *g < 20.0), "{gaps:?}");
}
