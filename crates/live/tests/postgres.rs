//! PostgreSQL primary + streaming standby, started by the test (as the dedicated
//! non-root user `faultline-pg` when the test runs as root): stop the primary
//! immediately under write load, promote the standby by an action; the clients follow
//! (several hosts, `target_session_attrs=read-write`). With synchronous replication
//! nothing is lost; with the replication link cut 0.5 s before the stop, the lost
//! writes are found exactly and the RPO reflects the cut.

mod common;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use faultline_live::testkit::{free_port, wait_for_port, ChildGuard};
use faultline_record::{MarkerKind, RunRecord, RunStatus, WriteOutcome};

const PG_USER: &str = "faultline-pg";

/// The PostgreSQL server programs' folder (Debian keeps them out of PATH).
fn pg_bindir() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|p| p.join("postgres").exists())
        .collect();
    dirs.sort();
    dirs.pop().or_else(|| {
        faultline_live::testkit::which("pg_ctl").and_then(|p| p.parent().map(Path::to_path_buf))
    })
}

fn require_pg() -> Option<PathBuf> {
    let found = pg_bindir();
    let is_root = unsafe { libc::geteuid() } == 0;
    let user_ok = !is_root
        || Command::new("id")
            .arg(PG_USER)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
    match (found, user_ok) {
        (Some(dir), true) => Some(dir),
        (dir, _) => {
            let message = if dir.is_none() {
                "postgres: needs PostgreSQL's server programs (Debian: postgresql; run .ci/setup/live.sh)".to_string()
            } else {
                format!("postgres: running as root needs the user `{PG_USER}` (created by .ci/setup/live.sh)")
            };
            if std::env::var_os("CI").is_some() {
                panic!("{message}; CI is set, so this is a failure");
            }
            eprintln!("SKIPPED {message}");
            None
        }
    }
}

/// argv that runs `program` as the PostgreSQL user (directly when not root).
fn as_pg(bindir: &Path, program: &str, args: &[&str]) -> Vec<String> {
    let mut argv = Vec::new();
    if unsafe { libc::geteuid() } == 0 {
        argv.extend(["runuser", "-u", PG_USER, "--"].map(String::from));
    }
    argv.push(bindir.join(program).display().to_string());
    argv.extend(args.iter().map(|s| s.to_string()));
    argv
}

fn run_ok(argv: &[String]) {
    let out = Command::new(&argv[0])
        .args(&argv[1..])
        .output()
        .expect("command runs");
    assert!(
        out.status.success(),
        "{argv:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The uid and gid to run PostgreSQL as: `faultline-pg` when root, else ourselves.
fn pg_ids() -> Option<(u32, u32)> {
    if unsafe { libc::geteuid() } != 0 {
        return None;
    }
    let id = |flag: &str| -> u32 {
        let out = Command::new("id")
            .args([flag, PG_USER])
            .output()
            .expect("id runs");
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .expect("a numeric id")
    };
    Some((id("-u"), id("-g")))
}

/// Starts the postmaster itself (not through runuser), so that the guard's kill
/// reaches it; its backends exit when they see it gone.
fn start_postgres(bindir: &Path, data: &Path, port: u16) -> ChildGuard {
    use std::os::unix::process::CommandExt;
    let mut cmd = Command::new(bindir.join("postgres"));
    cmd.args([
        "-D",
        &data.display().to_string(),
        "-p",
        &port.to_string(),
        "-k",
        &data.display().to_string(),
    ])
    .args(["-c", "listen_addresses=127.0.0.1"])
    .stdout(Stdio::null())
    .stderr(Stdio::null());
    if let Some((uid, gid)) = pg_ids() {
        cmd.uid(uid).gid(gid);
    }
    let child = ChildGuard::spawn("postgres", &mut cmd).expect("postgres starts");
    assert!(
        wait_for_port(&format!("127.0.0.1:{port}"), Duration::from_secs(20)),
        "postgres on {port}"
    );
    // The port opens before the server accepts sessions ("starting up").
    let deadline = Instant::now() + Duration::from_secs(20);
    while query_one(port, "select 1").is_err() {
        assert!(
            Instant::now() < deadline,
            "postgres on {port} never accepted a session"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

fn query_one(port: u16, sql: &str) -> Result<Option<String>, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let config = faultline_live::target::postgres::parse_config(&format!(
            "host=127.0.0.1 port={port} user=postgres dbname=postgres"
        ))
        .map_err(|e| e.to_string())?;
        let client = faultline_live::target::postgres::connect(&config)
            .await
            .map_err(|e| e.to_string())?;
        let rows = client.simple_query(sql).await.map_err(|e| e.to_string())?;
        Ok(rows.into_iter().find_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_string),
            _ => None,
        }))
    })
}

struct Cluster {
    _primary: ChildGuard,
    _standby: ChildGuard,
    _dir: tempfile::TempDir,
    primary_data: String,
    standby_data: String,
    p_primary: u16,
    p_standby: u16,
}

/// A primary and a streaming standby; the standby reaches the primary at `link_port`
/// (the primary's own port, or a proxy's).
fn cluster(
    bindir: &Path,
    sync: bool,
    link: Option<u16>,
) -> (
    Cluster,
    Option<(tokio::runtime::Runtime, faultline_proxy::ProxyRegistry)>,
) {
    let dir = tempfile::Builder::new()
        .prefix("faultline-pg")
        .tempdir()
        .unwrap();
    if unsafe { libc::geteuid() } == 0 {
        run_ok(&[
            "chown".into(),
            "-R".into(),
            PG_USER.into(),
            dir.path().display().to_string(),
        ]);
    }
    let (p_primary, p_standby) = (free_port(), free_port());
    let primary_data = dir.path().join("primary").display().to_string();
    let standby_data = dir.path().join("standby").display().to_string();
    run_ok(&as_pg(
        bindir,
        "initdb",
        &[
            "-D",
            &primary_data,
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
        ],
    ));
    let mut conf = String::from(
        "wal_level = replica\nmax_wal_senders = 5\nfsync = off\nwal_sender_timeout = 2s\n",
    );
    if sync {
        conf.push_str("synchronous_standby_names = '*'\nsynchronous_commit = on\n");
    }
    std::fs::write(Path::new(&primary_data).join("conf.d.conf"), &conf).unwrap();
    let auto = Path::new(&primary_data).join("postgresql.conf");
    let mut text = std::fs::read_to_string(&auto).unwrap();
    text.push_str("include 'conf.d.conf'\n");
    std::fs::write(&auto, text).unwrap();
    let primary = start_postgres(bindir, Path::new(&primary_data), p_primary);
    run_ok(&as_pg(
        bindir,
        "pg_basebackup",
        &[
            "-h",
            "127.0.0.1",
            "-p",
            &p_primary.to_string(),
            "-U",
            "postgres",
            "-D",
            &standby_data,
            "-R",
            "--no-sync",
        ],
    ));
    // The standby streams through `link` when given (the experiment's fault proxy).
    let link_port = link.unwrap_or(p_primary);
    let standby_auto = Path::new(&standby_data).join("postgresql.auto.conf");
    let mut text = std::fs::read_to_string(&standby_auto).unwrap();
    text.push_str(&format!(
        "primary_conninfo = 'host=127.0.0.1 port={link_port} user=postgres application_name=standby'\nsynchronous_standby_names = ''\nwal_retrieve_retry_interval = 100ms\n"
    ));
    std::fs::write(&standby_auto, text).unwrap();
    let bootstrap = link.map(|port| {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let registry = faultline_proxy::ProxyRegistry::with_runtime(rt.handle().clone());
        registry
            .add_proxy(faultline_proxy::ProxyConfig::new(
                "bootstrap",
                format!("127.0.0.1:{port}"),
                format!("127.0.0.1:{p_primary}"),
            ))
            .unwrap();
        (rt, registry)
    });
    let standby = start_postgres(bindir, Path::new(&standby_data), p_standby);
    let deadline = Instant::now() + Duration::from_secs(20);
    while query_one(
        p_primary,
        "select count(*) from pg_stat_replication where state = 'streaming'",
    )
    .ok()
    .flatten()
    .as_deref()
        != Some("1")
    {
        assert!(Instant::now() < deadline, "the standby never streamed");
        std::thread::sleep(Duration::from_millis(100));
    }
    (
        Cluster {
            _primary: primary,
            _standby: standby,
            _dir: dir,
            primary_data,
            standby_data,
            p_primary,
            p_standby,
        },
        bootstrap,
    )
}

fn experiment(bindir: &Path, c: &Cluster, edge: Option<u16>, faults_extra: &str) -> String {
    let stop = as_pg(
        bindir,
        "pg_ctl",
        &["stop", "-m", "immediate", "-D", &c.primary_data],
    );
    let promote = as_pg(bindir, "pg_ctl", &["promote", "-D", &c.standby_data]);
    let list = |v: &[String]| {
        v.iter()
            .map(|s| format!("\"{s}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let edges = edge.map_or(String::new(), |port| {
        format!(
            "  edges:\n    - {{ between: [db.standby, db.primary], proxy: {{ listen: \"127.0.0.1:{port}\", upstream: \"127.0.0.1:{}\" }} }}\n",
            c.p_primary
        )
    });
    format!(
        r#"
name: postgres-failover
engine: live
architecture:
  db:
    kind: database
    topology: active_passive
    concurrency: 100
    read_time: {{ fixed: 1ms }}
    write_time: {{ fixed: 2ms }}
    replication: {{ mode: async, lag: {{ fixed: 1ms }} }}
    failover: {{ check_every: 1s, fail_after: 1, promote_in: 1s }}
live:
  targets:
    db: {{ postgres: {{ url: "host=127.0.0.1,127.0.0.1 port={p1},{p2} user=postgres dbname=postgres target_session_attrs=read-write connect_timeout=1", table: ledger_test, connections: 8 }} }}
  actions:
    "kill db.primary": {{ command: [{stop}], timeout: 20s }}
    promote-standby: {{ command: [{promote}], timeout: 20s }}
{edges}  probes:
    primary-port: {{ tcp: "127.0.0.1:{p1}", detect: fails, component: db }}
    standby-writable: {{ sql: {{ url: "host=127.0.0.1 port={p2} user=postgres dbname=postgres", query: "select not pg_is_in_recovery()" }}, every: 100ms, timeout: 1s, activate: passes, component: db }}
workload:
  model: open
  stages: [ {{ hold: 10s, rate: 200/s }} ]
  timeout: 1s
  mix: {{ read: 30%, write: 70% }}
  # Many keys: two writes of one key in flight at once could land out of order
  # (a stale value, which the definition counts as lost) and blur the replication loss.
  keys: {{ count: 100000 }}
faults:
  - {{ at: 3s, kill: db.primary }}
  - {{ at: 4s, action: promote-standby }}
{faults_extra}
recovery: {{ window: 2s }}
"#,
        p1 = c.p_primary,
        p2 = c.p_standby,
        stop = list(&stop),
        promote = list(&promote),
    )
}

/// Lost writes by the record, and by reading the promoted standby directly.
fn lost_writes(
    record: &RunRecord,
    standby_port: u16,
) -> (BTreeSet<String>, BTreeSet<String>, Option<u64>) {
    let mut newest: HashMap<&str, (u64, Option<u64>)> = HashMap::new();
    for e in record
        .ledger
        .iter()
        .filter(|e| e.outcome == WriteOutcome::Acked)
    {
        let slot = newest.entry(e.key.as_str()).or_insert((0, None));
        if e.id > slot.0 {
            *slot = (e.id, e.t_ack_us);
        }
    }
    assert!(newest.len() > 200, "{} keys acknowledged", newest.len());
    let finals: HashMap<&str, Option<u64>> = record
        .final_state
        .iter()
        .map(|f| (f.key.as_str(), f.write_id))
        .collect();
    let by_record: BTreeSet<String> = newest
        .iter()
        .filter(|(k, (id, _))| finals.get(*k).copied().flatten().is_none_or(|f| f < *id))
        .map(|(k, _)| k.to_string())
        .collect();
    let mut by_standby = BTreeSet::new();
    for (k, (id, _)) in &newest {
        let value = query_one(
            standby_port,
            &format!("select value from ledger_test where key = '{k}'"),
        )
        .expect("the standby answers");
        if value
            .as_deref()
            .and_then(faultline_live::keys::write_id_in)
            .is_none_or(|f| f < *id)
        {
            by_standby.insert(k.to_string());
        }
    }
    let earliest_ack = record
        .ledger
        .iter()
        .filter(|e| e.outcome == WriteOutcome::Acked && by_record.contains(&e.key))
        .filter(|e| {
            finals
                .get(e.key.as_str())
                .copied()
                .flatten()
                .is_none_or(|f| f < e.id)
        })
        .filter_map(|e| e.t_ack_us)
        .min();
    (by_record, by_standby, earliest_ack)
}

fn check_failover(record: &RunRecord) -> u64 {
    if std::env::var_os("FAULTLINE_DEBUG").is_some() {
        for m in &record.markers {
            eprintln!("{:>9} {:?} {} {:?}", m.t_us, m.kind, m.source, m.detail);
        }
        let mut per_s = std::collections::BTreeMap::new();
        for b in record.buckets.iter().filter(|b| b.series == "client") {
            let e = per_s.entry(b.index / 10).or_insert((
                0,
                0,
                faultline_record::FailureCounts::default(),
            ));
            e.0 += b.started;
            e.1 += b.ok;
            e.2.merge(&b.failed);
        }
        for (s, (started, ok, failed)) in per_s {
            eprintln!("second {s}: started {started} ok {ok} failed {failed:?}");
        }
    }
    assert_eq!(
        record.meta.status,
        RunStatus::Completed,
        "{:?}",
        record.meta.abort_reason
    );
    let t_f = common::marker_t(record, MarkerKind::FaultInjected, "fault:0").expect("stopped");
    let t_promote =
        common::marker_t(record, MarkerKind::FaultInjected, "fault:1").expect("promoted");
    let t_a = common::marker_t(record, MarkerKind::Activate, "probe:standby-writable")
        .expect("standby writable");
    assert!(t_a >= t_promote, "activation after the promote action");
    let rto = common::rto_us(record).expect("the clients followed the promotion");
    assert!(
        (900_000..6_000_000).contains(&rto),
        "RTO {rto} us with the promotion 1 s after the stop"
    );
    assert!(record
        .final_state
        .iter()
        .all(|f| !f.source.contains("unreadable")));
    t_f
}

#[test]
fn stopping_the_primary_and_promoting_the_standby_loses_nothing_with_sync_replication() {
    let Some(bindir) = require_pg() else {
        return;
    };
    let (c, _) = cluster(&bindir, true, None);
    let (record, _out) = common::run(&experiment(&bindir, &c, None, ""));
    check_failover(&record);
    let (by_record, by_standby, _) = lost_writes(&record, c.p_standby);
    assert_eq!(by_record, by_standby);
    assert!(
        by_record.is_empty(),
        "synchronous replication lost {} writes",
        by_record.len()
    );
}

#[test]
fn a_cut_replication_link_before_the_stop_loses_the_writes_after_the_cut() {
    let Some(bindir) = require_pg() else {
        return;
    };
    let link = free_port();
    let (c, bootstrap) = cluster(&bindir, false, Some(link));
    drop(bootstrap);
    let yaml = experiment(
        &bindir,
        &c,
        Some(link),
        "  - { at: 2500ms, partition: { between: [db.standby, db.primary] } }",
    );
    let (record, _out) = common::run(&yaml);
    let t_f = check_failover(&record);
    let (by_record, by_standby, earliest_ack) = lost_writes(&record, c.p_standby);
    assert_eq!(
        by_record, by_standby,
        "the record's lost writes are exactly the standby's"
    );
    assert!(!by_record.is_empty(), "the cut link lost the last writes");
    let rpo = t_f - earliest_ack.unwrap();
    assert!(
        (300_000..900_000).contains(&rpo),
        "RPO {rpo} us for a link cut 0.5 s before the stop"
    );
    eprintln!(
        "postgres: lost {} keys, RPO {} ms",
        by_record.len(),
        rpo / 1000
    );
}
