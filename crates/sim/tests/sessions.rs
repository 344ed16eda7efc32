//! Workload sessions in the simulator: a user keeps its DNS answer and its keys for a
//! session's operations, checked through the record and the analyzer's figures.

mod common;

use common::{example, marker_s, run, variant};
use faultline_record::MarkerKind;

/// `examples/active-passive-sessions.yaml`: clients reach an active-passive database
/// through its DNS name (TTL 5 s); 200 users, 500 ms think time, arriving over 50 s so
/// that their sessions (about 50 s long) are spread out rather than all starting
/// together; a partition at 120 s between the controller and the primary.
fn failover() -> String {
    example("active-passive-sessions")
}

const SESSIONS: (&str, &str) = ("  sessions: { operations: 100 }\n", "");

/// The partition makes the controller promote the standby and fence the old primary,
/// which then answers every operation with an error but keeps its connections. Without
/// sessions a user follows the new DNS answer when its cache expires (≤ TTL after the
/// promotion); with sessions it keeps the old address until its session ends. Recovery
/// needs 99% of operations to succeed, so the RTO is the promotion plus the 99th
/// percentile of the time to the users' next session start. A session is 100
/// operations × (500 ms think + 2 ms): mean 50.2 s, sd 5.0 s (a sum of 100 exponential
/// think times). For spread-out sessions that wait has P(wait > x) = E[(D − x)+] / E[D];
/// with D about normal, E[(D − x)+] = 0.01 × 50.2 s at x ≈ mean + 0.9 sd ≈ 54.7 s.
#[test]
fn sessions_keep_a_stale_dns_answer_so_the_rto_grows_with_the_session_length() {
    let with = run(&failover());
    let without = run(&variant(&failover(), &[SESSIONS]));
    for o in [&without, &with] {
        assert!(
            o.record
                .markers
                .iter()
                .any(|m| m.kind == MarkerKind::RoleChange),
            "the standby was promoted"
        );
    }
    let rto = |o: &common::Outcome| o.summary.metrics.rto_s.expect("recovered");
    let promoted = |o: &common::Outcome| {
        marker_s(o, MarkerKind::Activate, "db.failover.activate").expect("activated") - 120.0
    };
    let predicted_without = promoted(&without) + 0.99 * 5.0;
    let (session_mean_s, session_sd_s) = (100.0 * 0.502, 100f64.sqrt() * 0.5);
    let predicted_with = promoted(&with) + session_mean_s + 0.9 * session_sd_s;
    let (rto_without, rto_with) = (rto(&without), rto(&with));
    assert!(
        (rto_without - predicted_without).abs() <= 2.0,
        "without sessions: RTO {rto_without} s, predicted {predicted_without:.1} s"
    );
    assert!(
        (rto_with - predicted_with).abs() <= 0.1 * predicted_with,
        "with sessions: RTO {rto_with} s, predicted {predicted_with:.1} s"
    );
}

/// A killed primary refuses connections: a session reconnects (through its resolver
/// cache) instead of keeping a dead address, so sessions do not lengthen this RTO.
#[test]
fn sessions_reconnect_after_a_refusal_so_a_dead_address_is_not_kept() {
    let kill = (
        "  - { at: 2m, partition: { between: [db.controller, db.primary] } }\n",
        "  - { at: 2m, kill: db.primary }\n",
    );
    let with = run(&variant(&failover(), &[kill]));
    let without = run(&variant(&failover(), &[kill, SESSIONS]));
    let rto_without = without.summary.metrics.rto_s.expect("recovered");
    let rto_with = with.summary.metrics.rto_s.expect("recovered");
    assert!(
        (rto_with - rto_without).abs() <= 2.0,
        "RTO {rto_with} s with sessions, {rto_without} s without"
    );
    assert!(rto_with < 20.0, "detection + promotion + TTL: {rto_with} s");
}

const KEYS: &str = r#"
name: sessions-keys
seed: 9
architecture:
  db: { kind: database, topology: single, concurrency: 8, read_time: { fixed: 1ms }, write_time: { fixed: 1ms } }
workload:
  model: closed
  target: db
  stages: [ { hold: 60s, users: 1 } ]
  think_time: 10ms
  mix: { read: 0%, write: 100% }
  keys: { count: 1000000, hotspot: { share: 50%, keys: 1 } }
  sessions: { operations: 20, keys: 4 }
"#;

/// One user writing: its write ids follow its operations, so each run of 20 ids is one
/// session. Each works on exactly 4 distinct keys; the one hot key (drawn by half of
/// all key draws) is one of them in almost every session, but then takes only about a
/// quarter of the session's operations — locality dilutes the hotspot from 50% to ~25%.
#[test]
fn a_session_works_on_its_own_keys_which_dilutes_a_hotspot() {
    let o = run(KEYS);
    let mut ledger = o.record.ledger.clone();
    ledger.sort_by_key(|e| e.id);
    assert!(ledger.len() > 2000, "{} writes", ledger.len());
    assert_eq!(ledger[0].id, 1);
    let sessions = ledger.len() / 20;
    for s in ledger.chunks_exact(20) {
        let mut keys: Vec<&str> = s.iter().map(|e| e.key.as_str()).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), 4, "{keys:?}");
    }
    let hot = ledger[..sessions * 20]
        .iter()
        .filter(|e| e.key == "k0")
        .count() as f64
        / (sessions * 20) as f64;
    // The hot key is in a session with probability 1 - 0.5^4 ≈ 0.94 (draws repeat until
    // 4 distinct keys), then gets 1/4 of the 16 operations after the first 4 and 1 of
    // those 4: (1 + 16/4) / 20 = 0.25 per session that holds it.
    let predicted = 0.94 * 0.25;
    assert!(
        (hot - predicted).abs() < 0.03,
        "hot key share {hot:.3}, predicted {predicted:.3}"
    );
    let without = run(&KEYS.replace("  sessions: { operations: 20, keys: 4 }\n", ""));
    let hot_without = without
        .record
        .ledger
        .iter()
        .filter(|e| e.key == "k0")
        .count() as f64
        / without.record.ledger.len() as f64;
    assert!((hot_without - 0.5).abs() < 0.03, "{hot_without}");
}

/// In the open model the 1024 client slots take arrivals in turn and each keeps its
/// own session: with every operation a write, write id `i` is the slot `(i - 1) % 1024`'s
/// operation number `(i - 1) / 1024`, and each slot's runs of 5 operations share one key.
#[test]
fn open_model_client_slots_keep_their_own_sessions() {
    let text = variant(
        KEYS,
        &[
            ("  model: closed\n", "  model: open\n"),
            (
                "  stages: [ { hold: 60s, users: 1 } ]\n  think_time: 10ms\n",
                "  stages: [ { hold: 30s, rate: 1000/s } ]\n",
            ),
            (
                "keys: { count: 1000000, hotspot: { share: 50%, keys: 1 } }",
                "keys: { count: 1000000 }",
            ),
            (
                "sessions: { operations: 20, keys: 4 }",
                "sessions: { operations: 5, keys: 1 }",
            ),
        ],
    );
    let o = run(&text);
    let mut groups = std::collections::BTreeMap::<(u64, u64), Vec<&str>>::new();
    for e in &o.record.ledger {
        let (slot, op) = ((e.id - 1) % 1024, (e.id - 1) / 1024);
        groups
            .entry((slot, op / 5))
            .or_default()
            .push(e.key.as_str());
    }
    assert!(groups.len() > 5000, "{} sessions", groups.len());
    for ((slot, session), mut keys) in groups {
        keys.dedup();
        assert_eq!(keys.len(), 1, "slot {slot} session {session}: {keys:?}");
    }
}
