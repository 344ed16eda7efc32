//! Redis primary + replica + three Sentinels, started by the test on free loopback
//! ports: kill -9 the primary under load; the run reports detection and activation
//! consistent with the Sentinel settings, an RTO, and the exact set of lost
//! acknowledged writes, confirmed by reading the promoted replica independently.

mod common;

use std::collections::{BTreeSet, HashMap};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use faultline_live::testkit::{free_port, require_programs, wait_for_port, ChildGuard};
use faultline_record::{MarkerKind, RunStatus, WriteOutcome};

const DOWN_AFTER_MS: u64 = 1000;

fn query(port: u16, args: &[&str]) -> Option<redis::Value> {
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}")).ok()?;
    let mut con = client
        .get_connection_with_timeout(Duration::from_secs(1))
        .ok()?;
    let mut cmd = redis::cmd(args[0]);
    for a in &args[1..] {
        cmd.arg(*a);
    }
    cmd.query(&mut con).ok()
}

fn text(v: Option<redis::Value>) -> String {
    v.map(|v| faultline_live::target::redis::value_text(&v))
        .unwrap_or_default()
}

fn wait_until(what: &str, wait: Duration, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + wait;
    while Instant::now() < deadline {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("timed out waiting for {what}");
}

#[test]
fn kill_9_of_the_redis_primary_is_detected_failed_over_and_its_lost_writes_are_exact() {
    let Some(bins) = require_programs("redis_sentinel", &["redis-server", "redis-sentinel"]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (p_primary, p_replica, p_link) = (free_port(), free_port(), free_port());
    let primary = common::start_redis(&bins[0], p_primary, &[]);
    let _replica = common::start_redis(
        &bins[0],
        p_replica,
        &["--replicaof", "127.0.0.1", &p_link.to_string()],
    );
    // The replica reaches the primary through the engine's fault proxy on p_link,
    // which the experiment starts; until then it retries.
    let mut sentinels = Vec::new();
    let mut sentinel_ports = Vec::new();
    let link_proxy = {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let registry = faultline_proxy::ProxyRegistry::with_runtime(rt.handle().clone());
        registry
            .add_proxy(faultline_proxy::ProxyConfig::new(
                "bootstrap",
                format!("127.0.0.1:{p_link}"),
                format!("127.0.0.1:{p_primary}"),
            ))
            .unwrap();
        (rt, registry)
    };
    wait_until("the replica to sync", Duration::from_secs(15), || {
        text(query(p_replica, &["INFO", "replication"])).contains("master_link_status:up")
    });
    for i in 0..3 {
        let port = free_port();
        let conf = dir.path().join(format!("sentinel-{i}.conf"));
        std::fs::write(
            &conf,
            format!(
                "port {port}\nbind 127.0.0.1\ndir {}\nsentinel monitor mymaster 127.0.0.1 {p_primary} 2\n\
                 sentinel down-after-milliseconds mymaster {DOWN_AFTER_MS}\nsentinel failover-timeout mymaster 10000\n\
                 sentinel parallel-syncs mymaster 1\n",
                dir.path().display()
            ),
        )
        .unwrap();
        let mut cmd = Command::new(&bins[1]);
        cmd.arg(&conf).stdout(Stdio::null()).stderr(Stdio::null());
        sentinels.push(ChildGuard::spawn("redis-sentinel", &mut cmd).expect("sentinel starts"));
        assert!(wait_for_port(
            &format!("127.0.0.1:{port}"),
            Duration::from_secs(10)
        ));
        sentinel_ports.push(port);
    }
    wait_until(
        "the Sentinels to find each other and the replica",
        Duration::from_secs(20),
        || {
            sentinel_ports.iter().all(|p| {
                let master = text(query(*p, &["SENTINEL", "master", "mymaster"]));
                master.contains("num-other-sentinels 2") && master.contains("num-slaves 1")
            })
        },
    );

    let sentinel_list = sentinel_ports
        .iter()
        .map(|p| format!("\"127.0.0.1:{p}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let yaml = format!(
        r#"
name: redis-sentinel-kill
engine: live
architecture:
  cache:
    kind: database
    topology: active_passive
    concurrency: 100
    read_time: {{ fixed: 1ms }}
    write_time: {{ fixed: 1ms }}
    replication: {{ mode: async, lag: {{ fixed: 1ms }} }}
    failover: {{ check_every: 1s, fail_after: 1, promote_in: 1s }}
live:
  targets:
    cache: {{ redis: {{ sentinels: [{sentinel_list}], master: mymaster, connections: 32 }} }}
  processes:
    cache.primary: {{ pid: {pid} }}
  edges:
    # The replication link runs through the fault proxy.
    - {{ between: [cache.replica, cache.primary], proxy: {{ listen: "127.0.0.1:{p_link}", upstream: "127.0.0.1:{p_primary}" }} }}
  probes:
    sdown: {{ sentinel_event: {{ sentinel: "127.0.0.1:{s0}", event: "+sdown" }}, detect: passes, component: cache }}
    replica-is-master: {{ redis: {{ url: "redis://127.0.0.1:{p_replica}", command: [ROLE], expect: master }}, activate: passes, component: cache }}
workload:
  model: open
  stages: [ {{ hold: 16s, rate: 300/s }} ]
  timeout: 1s
  mix: {{ read: 40%, write: 60% }}
  keys: {{ count: 2000 }}
faults:
  - {{ at: 4s, kill: cache.primary }}
  # The replication link is cut 0.5 s before the kill: the writes acknowledged in
  # that half second never reach the replica.
  - {{ at: 3500ms, partition: {{ between: [cache.replica, cache.primary] }} }}
signals: {{ detect: ["probe:sdown"], activate: ["probe:replica-is-master"] }}
recovery: {{ window: 3s }}
"#,
        pid = primary.pid(),
        s0 = sentinel_ports[0],
    );
    // Hand the link over to the experiment's own proxy on the same port.
    drop(link_proxy);
    let (record, _out) = common::run(&yaml);
    assert_eq!(
        record.meta.status,
        RunStatus::Completed,
        "{:?}",
        record.meta.abort_reason
    );

    let t_f =
        common::marker_t(&record, MarkerKind::FaultInjected, "fault:0").expect("fault injected");
    assert!(
        common::marker_t(&record, MarkerKind::FaultInjected, "fault:1").is_some_and(|t| t < t_f)
    );
    let t_d = common::marker_t(&record, MarkerKind::Detect, "probe:sdown").expect("+sdown seen");
    let t_a = common::marker_t(&record, MarkerKind::Activate, "probe:replica-is-master")
        .expect("promoted");
    let (ttd, tta) = (t_d - t_f, t_a - t_f);
    // Sentinel declares +sdown after down-after-milliseconds without a valid reply.
    assert!(
        (DOWN_AFTER_MS * 1000..DOWN_AFTER_MS * 1000 + 1_500_000).contains(&ttd),
        "TTD {ttd} us for down-after-milliseconds {DOWN_AFTER_MS}"
    );
    // Promotion follows: +odown (quorum), election, then the replica becomes master.
    assert!(tta > ttd && tta < 12_000_000, "TTA {tta} us, TTD {ttd} us");
    let rto = common::rto_us(&record).expect("the clients recovered on the new master");
    assert!(rto + 200_000 >= ttd && rto < 12_000_000, "RTO {rto} us");

    // The record's lost writes: acknowledged, but the key's final value is older.
    let mut newest_acked: HashMap<&str, u64> = HashMap::new();
    for e in record
        .ledger
        .iter()
        .filter(|e| e.outcome == WriteOutcome::Acked)
    {
        let slot = newest_acked.entry(e.key.as_str()).or_insert(0);
        *slot = (*slot).max(e.id);
    }
    assert!(
        newest_acked.len() > 500,
        "{} keys acknowledged",
        newest_acked.len()
    );
    let finals: HashMap<&str, Option<u64>> = record
        .final_state
        .iter()
        .map(|f| (f.key.as_str(), f.write_id))
        .collect();
    let lost_by_record: BTreeSet<&str> = newest_acked
        .iter()
        .filter(|(k, id)| {
            finals
                .get(*k)
                .copied()
                .flatten()
                .is_none_or(|found| found < **id)
        })
        .map(|(k, _)| *k)
        .collect();
    assert!(
        record
            .final_state
            .iter()
            .all(|f| f.source.contains(&p_replica.to_string())),
        "verification read from the promoted replica"
    );

    // Independent check: read the promoted replica directly.
    let mut lost_by_replica = BTreeSet::new();
    for (key, id) in &newest_acked {
        let value = text(query(p_replica, &["GET", key]));
        let found = faultline_live::keys::write_id_in(&value);
        if found.is_none_or(|f| f < *id) {
            lost_by_replica.insert(*key);
        }
    }
    assert_eq!(
        lost_by_record, lost_by_replica,
        "the record's lost writes are exactly the replica's"
    );
    assert!(
        !lost_by_record.is_empty(),
        "the stalled replica lost the last writes"
    );
    // RPO: from the earliest acknowledgement among lost writes to the fault.
    let earliest_lost_ack = record
        .ledger
        .iter()
        .filter(|e| e.outcome == WriteOutcome::Acked && lost_by_record.contains(e.key.as_str()))
        .filter(|e| {
            finals
                .get(e.key.as_str())
                .copied()
                .flatten()
                .is_none_or(|f| f < e.id)
        })
        .filter_map(|e| e.t_ack_us)
        .min()
        .unwrap();
    let rpo = t_f.saturating_sub(earliest_lost_ack);
    assert!(
        (300_000..800_000).contains(&rpo),
        "RPO {rpo} us for a replica stalled 0.5 s before the kill"
    );
    eprintln!(
        "redis sentinel: TTD {} ms, TTA {} ms, RTO {} ms, RPO {} ms, lost writes {} of {} keys",
        ttd / 1000,
        tta / 1000,
        rto / 1000,
        rpo / 1000,
        lost_by_record.len(),
        newest_acked.len()
    );
    drop(sentinels);
}
