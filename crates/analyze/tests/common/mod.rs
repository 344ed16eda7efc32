//! Hand-built run records with known answers, written through the real `Recorder`.

#![allow(dead_code)] // each test file uses a different part of the kit

use std::path::Path;

use faultline_analyze::{analyze, Analysis, Summary};
use faultline_record::*;

/// Microseconds from (fractional) seconds, exact to the microsecond.
pub fn us(seconds: f64) -> u64 {
    (seconds * 1e6).round() as u64
}

/// One operation: intended start, end, series, kind, outcome.
type Op = (u64, u64, SeriesId, OpKind, Result<(), FailureClass>);

/// A steady stream of operations over `[from, to)`.
#[derive(Debug, Clone)]
struct Traffic {
    series: String,
    op: OpKind,
    from_us: u64,
    to_us: u64,
    per_bucket: u64,
    outcome: Result<(), FailureClass>,
    latency_us: u64,
}

/// Describes a record: experiment settings, traffic, markers, writes and final reads.
#[derive(Debug, Clone)]
pub struct RecordBuilder {
    name: String,
    settings_yaml: String,
    end_us: u64,
    status: RunStatus,
    traffic: Vec<Traffic>,
    markers: Vec<Marker>,
    ledger: Vec<LedgerEntry>,
    finals: Vec<FinalRead>,
    /// The experiment's `workload.model` and load level: 10 users, or this many
    /// arrivals a second in the open model.
    open_rate_per_s: Option<u64>,
}

impl RecordBuilder {
    /// A record named `name` that ends at `end_s`, with these experiment settings
    /// (YAML lines such as `expect: { rto: "<= 5s" }`).
    pub fn new(name: &str, end_s: f64, settings_yaml: &str) -> Self {
        Self {
            name: name.to_string(),
            settings_yaml: settings_yaml.to_string(),
            end_us: us(end_s),
            status: RunStatus::Completed,
            traffic: Vec::new(),
            markers: Vec::new(),
            ledger: Vec::new(),
            finals: Vec::new(),
            open_rate_per_s: None,
        }
    }

    /// The experiment's load becomes open: `rate_per_s` arrivals a second.
    pub fn open_load(mut self, rate_per_s: u64) -> Self {
        self.open_rate_per_s = Some(rate_per_s);
        self
    }

    /// `per_bucket` reads per 100 ms on `series` over `[from_s, to_s)`, spread evenly
    /// over each bucket, each ending `latency_ms` after its intended start.
    pub fn traffic(
        mut self,
        series: &str,
        from_s: f64,
        to_s: f64,
        per_bucket: u64,
        outcome: Result<(), FailureClass>,
        latency_ms: f64,
    ) -> Self {
        self.traffic.push(Traffic {
            series: series.to_string(),
            op: OpKind::Read,
            from_us: us(from_s),
            to_us: us(to_s),
            per_bucket,
            outcome,
            latency_us: us(latency_ms / 1e3),
        });
        self
    }

    /// Ten successful 5 ms client reads per bucket over `[from_s, to_s)`.
    pub fn ok(self, from_s: f64, to_s: f64) -> Self {
        self.traffic(CLIENT_SERIES, from_s, to_s, 10, Ok(()), 5.0)
    }

    /// Ten failing 5 ms client reads per bucket over `[from_s, to_s)`.
    pub fn fail(self, from_s: f64, to_s: f64, class: FailureClass) -> Self {
        self.traffic(CLIENT_SERIES, from_s, to_s, 10, Err(class), 5.0)
    }

    /// A marker at `t_s`.
    pub fn marker(mut self, t_s: f64, kind: MarkerKind, source: &str) -> Self {
        self.markers.push(Marker {
            t_us: us(t_s),
            kind,
            source: source.to_string(),
            component: None,
            detail: None,
        });
        self
    }

    /// The fault marker at `t_s` (`fault:0`, on `db.primary`).
    pub fn fault(mut self, t_s: f64) -> Self {
        self.markers.push(Marker {
            t_us: us(t_s),
            kind: MarkerKind::FaultInjected,
            source: "fault:0".to_string(),
            component: Some("db.primary".to_string()),
            detail: Some("kill db.primary".to_string()),
        });
        self
    }

    /// A write of `value` to `key`, intended at `t_s`, acknowledged at `ack_s` (for an
    /// `Acked` outcome).
    pub fn write(
        mut self,
        id: u64,
        key: &str,
        value: &str,
        t_s: f64,
        ack_s: Option<f64>,
        outcome: WriteOutcome,
    ) -> Self {
        self.ledger.push(LedgerEntry {
            id,
            key: key.to_string(),
            checksum: Checksum::of(value.as_bytes()),
            t_intended_us: us(t_s),
            t_ack_us: ack_s.map(us),
            outcome,
        });
        self
    }

    /// What verification read for `key`: the write id and value found, or nothing.
    pub fn read(mut self, key: &str, found: Option<(u64, &str)>) -> Self {
        self.finals.push(FinalRead {
            key: key.to_string(),
            write_id: found.map(|(id, _)| id),
            checksum: found.map(|(_, v)| Checksum::of(v.as_bytes())),
            source: "db.primary".to_string(),
        });
        self
    }

    /// How the run ended.
    pub fn status(mut self, status: RunStatus) -> Self {
        self.status = status;
        self
    }

    /// The experiment file of the record: an api over an active-passive db, killed at
    /// the fault marker's time (or at 1h, never reached, when the record has no fault:
    /// a fault that never triggered).
    pub fn experiment_yaml(&self) -> String {
        let fault_at_us = self
            .markers
            .iter()
            .find(|m| m.kind == MarkerKind::FaultInjected)
            .map_or(3_600_000_000, |m| m.t_us);
        format!(
            "name: {name}\nseed: 7\narchitecture:\n\
             \x20 api: {{ kind: service, instances: 2, concurrency: 10, service_time: {{ fixed: 5ms }}, calls: [ {{ to: db }} ] }}\n\
             \x20 db: {{ kind: database, topology: active_passive, concurrency: 10, read_time: {{ fixed: 2ms }}, write_time: {{ fixed: 2ms }}, replication: {{ mode: async, lag: {{ fixed: 100ms }} }}, failover: {{ check_every: 1s, fail_after: 3, promote_in: 5s }} }}\n\
             workload:\n  target: api\n{load}  mix: {{ read: 70%, write: 30% }}\n\
             faults:\n  - {{ at: {fault_at_us}us, kill: db.primary }}\n{settings}",
            name = self.name,
            load = match self.open_rate_per_s {
                None => "  stages: [ { hold: 2h, users: 10 } ]\n".to_string(),
                Some(rate) => format!("  model: open\n  stages: [ {{ hold: 2h, rate: {rate}/s }} ]\n"),
            },
            settings = self.settings_yaml
        )
    }

    /// Writes the record into `dir` through the real `Recorder`.
    pub fn write_to(&self, dir: &Path) {
        let meta = RunMeta::new(&self.name, Engine::Sim, 7);
        let mut rec = Recorder::create(dir, meta, &self.experiment_yaml()).expect("create record");
        // Operations in time order, as an engine would report them.
        let mut ops: Vec<Op> = Vec::new();
        for t in &self.traffic {
            let series = rec.series(&t.series);
            let spacing_us = BUCKET_US / t.per_bucket.max(1);
            for bucket in t.from_us / BUCKET_US..t.to_us / BUCKET_US {
                for i in 0..t.per_bucket {
                    let start = bucket * BUCKET_US + i * spacing_us;
                    ops.push((start, start + t.latency_us, series, t.op, t.outcome));
                }
            }
        }
        ops.sort_by_key(|op| (op.0, op.1));
        for (start, end, series, op, outcome) in ops {
            rec.op_started(series, op, start);
            rec.op_finished(series, op, start, end, outcome);
        }
        let mut markers = self.markers.clone();
        markers.sort_by_key(|m| m.t_us);
        for m in &markers {
            rec.marker(m).expect("marker");
        }
        for w in &self.ledger {
            rec.ledger(w).expect("ledger");
        }
        for r in &self.finals {
            rec.final_read(r).expect("final read");
        }
        rec.finish(self.status, self.end_us, None).expect("finish");
    }

    /// Writes the record into a temporary folder and analyzes it.
    pub fn analyze(&self) -> Analysis {
        let dir = tempfile::tempdir().expect("tempdir");
        self.write_to(dir.path());
        let record = RunRecord::load(dir.path()).expect("load the record just written");
        let experiment = faultline_spec::parse(&record.experiment_text, "experiment.yaml".as_ref())
            .expect("the test experiment parses");
        analyze(&record, &experiment)
    }
}

/// Analyzes `builder`'s record and checks each `(JSON pointer, expected JSON)` pair
/// against its summary, reporting every mismatch at once.
pub fn check(builder: &RecordBuilder, expected: &[(&str, &str)]) -> Summary {
    let summary = builder.analyze().summary;
    let json = serde_json::to_value(&summary).expect("summary serializes");
    let mut problems = Vec::new();
    for (pointer, want) in expected {
        let want: serde_json::Value = serde_json::from_str(want)
            .unwrap_or_else(|e| panic!("expected value for {pointer} is not JSON: {e}"));
        match json.pointer(pointer) {
            Some(got) if *got == want => {}
            Some(got) => problems.push(format!("{pointer}: expected {want}, got {got}")),
            None => problems.push(format!("{pointer}: not in the summary")),
        }
    }
    assert!(
        problems.is_empty(),
        "{}\n\nsummary:\n{}",
        problems.join("\n"),
        summary.to_json()
    );
    summary
}

/// The saved fixture records (`tests/fixtures/<name>/`): name, what it shows, builder.
pub fn fixtures() -> Vec<(&'static str, RecordBuilder)> {
    use FailureClass::*;
    use WriteOutcome::*;
    let short = "phases: { baseline: 5s }\nrecovery: { window: 3s }\n";
    let outage = RecordBuilder::new(
        "outage-7.3s",
        25.0,
        &format!(
            "{short}signals: {{ detect: [db.failover.detect], activate: [db.failover.activate] }}\n\
             expect: {{ rto: \"<= 8s\", ttd: \"<= 2s\", error_rate: \"<= 100%\", lost_writes: \"== 0\" }}\n\
             alerts:\n  - {{ name: db-down, metric: healthy_nodes, of: db, below: 2, must_fire_within: 5s }}\n"
        ),
    )
    .ok(0.0, 10.0)
    .traffic(CLIENT_SERIES, 10.0, 17.3, 7, Err(Refused), 5.0)
    .traffic(CLIENT_SERIES, 10.0, 17.3, 3, Err(Timeout), 5.0)
    .ok(17.3, 25.0)
    .traffic("db", 0.0, 10.0, 5, Ok(()), 2.0)
    .traffic("db", 10.0, 15.5, 5, Err(Refused), 2.0)
    .traffic("db", 15.5, 25.0, 5, Ok(()), 2.0)
    .fault(10.0)
    .marker(11.0, MarkerKind::Detect, "db.failover.detect")
    .marker(12.0, MarkerKind::Alert, "alert:db-down")
    .marker(15.5, MarkerKind::Activate, "db.failover.activate")
    .marker(20.0, MarkerKind::FaultHealed, "fault:0")
    .write(1, "order-1", "v1", 2.0, Some(2.01), Acked)
    .write(2, "order-2", "v2", 9.0, Some(9.01), Acked)
    .write(3, "order-3", "v3", 12.0, None, Failed)
    .write(4, "order-3", "v4", 18.0, Some(18.01), Acked)
    .read("order-1", Some((1, "v1")))
    .read("order-2", Some((2, "v2")))
    .read("order-3", Some((4, "v4")));

    let never = RecordBuilder::new(
        "never-recovered",
        20.0,
        &format!("{short}expect: {{ rto: \"<= 30s\", error_rate: \"<= 5%\" }}\n"),
    )
    .ok(0.0, 10.0)
    .fail(10.0, 20.0, Timeout)
    .fault(10.0)
    .marker(13.0, MarkerKind::ProbeFailed, "probe:api-health");

    let lost = RecordBuilder::new(
        "lost-writes",
        20.0,
        &format!(
            "{short}expect: {{ rpo: \"<= 5s\", lost_writes: \"== 0\", split_brain_writes: \"== 0\" }}\n"
        ),
    )
    .ok(0.0, 10.0)
    .fail(10.0, 12.0, Reset)
    .ok(12.0, 20.0)
    .fault(10.0)
    .write(1, "a", "a1", 1.0, Some(1.01), Acked)
    .write(2, "k", "k2", 7.0, Some(7.005), Acked)
    .write(3, "k", "k3", 7.8, Some(7.9), Acked)
    .write(4, "c", "c4", 8.0, Some(8.1), Acked)
    .write(5, "m", "m5", 10.5, None, Indeterminate)
    .write(6, "s", "s6", 11.9, Some(12.0), Acked)
    .read("a", Some((1, "a1")))
    .read("k", Some((2, "k2")))
    .read("c", Some((4, "garbled")))
    .read("m", Some((5, "m5")))
    .read("s", None);

    let calm = RecordBuilder::new("no-fault", 10.0, short).ok(0.0, 10.0);
    vec![
        ("outage-7.3s", outage),
        ("never-recovered", never),
        ("lost-writes", lost),
        ("no-fault", calm),
    ]
}
