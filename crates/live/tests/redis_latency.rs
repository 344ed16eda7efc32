//! A single Redis server (`url` target) reached through the built-in fault proxy: a
//! `latency` fault on the edge adds its delay to every operation while it lasts, and
//! is healed after its duration. A command probe records its state.

mod common;

use faultline_live::testkit::{free_port, require_programs};
use faultline_record::{LatencyHistogram, MarkerKind, RunStatus};

#[test]
fn a_latency_fault_on_the_proxy_edge_slows_every_operation_while_it_lasts() {
    let Some(bins) = require_programs("redis_latency", &["redis-server"]) else {
        return;
    };
    let port = free_port();
    let _redis = common::start_redis(&bins[0], port, &[]);
    let listen = format!("127.0.0.1:{}", free_port());
    let yaml = format!(
        r#"
name: redis-latency
engine: live
architecture:
  cache: {{ kind: database, topology: single, concurrency: 1000, read_time: {{ fixed: 100us }}, write_time: {{ fixed: 100us }} }}
live:
  targets: {{ cache: {{ redis: {{ url: "redis://{listen}", connections: 16 }} }} }}
  edges:
    - {{ between: [client, cache], proxy: {{ listen: "{listen}", upstream: "127.0.0.1:{port}" }} }}
  probes:
    always: {{ command: ["true"], every: 200ms }}
workload:
  model: open
  stages: [ {{ hold: 4s, rate: 100/s }} ]
  mix: {{ read: 50%, write: 50% }}
  keys: {{ count: 10000 }}
faults:
  - {{ at: 1500ms, latency: {{ between: [client, cache], add: 150ms }}, duration: 1s }}
"#
    );
    let (record, _dir) = common::run(&yaml);
    assert_eq!(
        record.meta.status,
        RunStatus::Completed,
        "{:?}",
        record.meta.abort_reason
    );
    let t_f = common::marker_t(&record, MarkerKind::FaultInjected, "fault:0").unwrap();
    let t_h = common::marker_t(&record, MarkerKind::FaultHealed, "fault:0").unwrap();
    let quantile_ms = |from: u64, to: u64| {
        let mut h = LatencyHistogram::new();
        for b in record.buckets.iter().filter(|b| b.series == "client") {
            let t = b.index * 100_000;
            if t >= from && t < to {
                h.add_sparse(&b.latency_us);
            }
        }
        h.quantile_us(0.5).unwrap_or(0) / 1000
    };
    let before = quantile_ms(0, t_f);
    // Operations completing well inside the fault (connections opened before it get
    // the delay on their next answer).
    let during = quantile_ms(t_f + 300_000, t_h);
    let after = quantile_ms(t_h + 500_000, 4_000_000);
    assert!(before < 50, "p50 before {before} ms");
    assert!(
        (140..400).contains(&during),
        "p50 during {during} ms for 150 ms added"
    );
    assert!(after < 50, "p50 after {after} ms");
    assert!(common::marker_t(&record, MarkerKind::ProbeOk, "probe:always").is_some());
    let failed: u64 = record.buckets.iter().map(|b| b.failed.total()).sum();
    assert_eq!(failed, 0, "latency alone fails nothing");
    assert!(record
        .final_state
        .iter()
        .all(|f| f.source.contains(&listen)));
}
