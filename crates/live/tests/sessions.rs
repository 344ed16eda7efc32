//! `workload.sessions` in the live engine, against a real Redis: each virtual user
//! keeps its own connection and its keys for a session's operations, then starts a
//! new session on a new connection with new keys.

mod common;

use std::collections::BTreeSet;

use common::connections_received;
use faultline_live::testkit::{free_port, require_programs};
use faultline_record::{OpKind, RunStatus};

#[test]
fn sessions_keep_a_connection_and_their_keys_then_start_afresh() {
    let Some(bins) = require_programs("sessions", &["redis-server"]) else {
        return;
    };
    let port = free_port();
    let _redis = common::start_redis(&bins[0], port, &[]);
    let addr = format!("redis://127.0.0.1:{port}");
    let (users, operations, keys) = (4u64, 25u64, 2u64);
    let yaml = format!(
        r#"
name: live-sessions
engine: live
architecture:
  cache: {{ kind: database, topology: single, concurrency: 1000, read_time: {{ fixed: 100us }}, write_time: {{ fixed: 100us }} }}
live:
  targets: {{ cache: {{ redis: {{ url: "{addr}", connections: 16 }} }} }}
workload:
  model: closed
  stages: [ {{ hold: 2s, users: {users} }} ]
  think_time: 5ms
  mix: {{ read: 50%, write: 50% }}
  keys: {{ count: 100000 }}
  sessions: {{ operations: {operations}, keys: {keys} }}
"#
    );
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let before = rt.block_on(connections_received(&addr));
    let (record, _dir) = common::run(&yaml);
    let opened = rt.block_on(connections_received(&addr)) - before - 1;
    assert_eq!(
        record.meta.status,
        RunStatus::Completed,
        "{:?}",
        record.meta.abort_reason
    );
    let started: u64 = record
        .buckets
        .iter()
        .filter(|b| b.series == "client")
        .map(|b| b.started)
        .sum();
    let writes = record
        .ledger
        .iter()
        .filter(|w| w.t_ack_us.is_some())
        .count() as u64;
    assert!(started > 10 * operations, "too few operations: {started}");
    // Every user runs ⌈its operations / 25⌉ sessions: at least started / 25 in all,
    // at most that plus one partial session per user.
    let (sessions_min, sessions_max) = (started / operations, started / operations + users);
    // Each session connects once; verification reads over at most the pool's 16;
    // a little room for a reconnect per user. Without sessions: 16 at most.
    assert!(
        (sessions_min..=sessions_max + 16 + users).contains(&opened),
        "{opened} connections for {started} operations in sessions of {operations}"
    );
    // Each session writes to at most 2 keys of 100,000: without sessions nearly every
    // write would find a key of its own.
    let written: BTreeSet<&str> = record
        .ledger
        .iter()
        .filter(|w| w.t_ack_us.is_some())
        .map(|w| w.key.as_str())
        .collect();
    assert!(
        (written.len() as u64) <= keys * sessions_max,
        "{} keys written by {writes} writes in at most {sessions_max} sessions",
        written.len()
    );
    assert!(record.buckets.iter().any(|b| b.op == OpKind::Write));
}
