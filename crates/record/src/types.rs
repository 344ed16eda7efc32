//! The record's entries: buckets, markers, ledger entries and final reads.

use serde::{Deserialize, Serialize};

/// Width of one bucket in microseconds (100 ms).
pub const BUCKET_US: u64 = 100_000;

/// Version of the on-disk format written in `run.json`.
pub const FORMAT_VERSION: u32 = 1;

/// The series name of operations as the clients see them (end to end).
pub const CLIENT_SERIES: &str = "client";

/// The kind of a workload operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpKind {
    /// A read.
    Read,
    /// A write (also entered in the ledger).
    Write,
}

impl OpKind {
    /// Both kinds, in index order.
    pub const ALL: [OpKind; 2] = [OpKind::Read, OpKind::Write];

    /// 0 for reads, 1 for writes.
    pub fn index(self) -> usize {
        match self {
            OpKind::Read => 0,
            OpKind::Write => 1,
        }
    }
}

/// Why an operation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureClass {
    /// The connection was refused (nothing listening, node down).
    Refused,
    /// The connection was reset mid-operation.
    Reset,
    /// No answer within the timeout.
    Timeout,
    /// The server answered with an error (HTTP 5xx, a database error, a rejection).
    ServerError,
    /// No connection could be taken from a pool in time.
    PoolExhausted,
    /// Anything else.
    Other,
}

impl FailureClass {
    /// Every class, in the order reports list them.
    pub const ALL: [FailureClass; 6] = [
        FailureClass::Refused,
        FailureClass::Reset,
        FailureClass::Timeout,
        FailureClass::ServerError,
        FailureClass::PoolExhausted,
        FailureClass::Other,
    ];

    /// The name as written in the record and in reports.
    pub fn name(self) -> &'static str {
        match self {
            FailureClass::Refused => "refused",
            FailureClass::Reset => "reset",
            FailureClass::Timeout => "timeout",
            FailureClass::ServerError => "server_error",
            FailureClass::PoolExhausted => "pool_exhausted",
            FailureClass::Other => "other",
        }
    }
}

/// Failed operations by class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailureCounts {
    /// Refused connections.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub refused: u64,
    /// Reset connections.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub reset: u64,
    /// Timeouts.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub timeout: u64,
    /// Server errors.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub server_error: u64,
    /// Pool exhaustion.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub pool_exhausted: u64,
    /// Anything else.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub other: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl FailureCounts {
    /// The count of one class.
    pub fn get(&self, class: FailureClass) -> u64 {
        match class {
            FailureClass::Refused => self.refused,
            FailureClass::Reset => self.reset,
            FailureClass::Timeout => self.timeout,
            FailureClass::ServerError => self.server_error,
            FailureClass::PoolExhausted => self.pool_exhausted,
            FailureClass::Other => self.other,
        }
    }

    /// Adds `n` failures of one class.
    pub fn add(&mut self, class: FailureClass, n: u64) {
        let slot = match class {
            FailureClass::Refused => &mut self.refused,
            FailureClass::Reset => &mut self.reset,
            FailureClass::Timeout => &mut self.timeout,
            FailureClass::ServerError => &mut self.server_error,
            FailureClass::PoolExhausted => &mut self.pool_exhausted,
            FailureClass::Other => &mut self.other,
        };
        *slot += n;
    }

    /// Adds every class of `other`.
    pub fn merge(&mut self, other: &FailureCounts) {
        for class in FailureClass::ALL {
            self.add(class, other.get(class));
        }
    }

    /// All failures.
    pub fn total(&self) -> u64 {
        FailureClass::ALL.iter().map(|c| self.get(*c)).sum()
    }
}

/// Operations of one kind on one series, in one 100 ms bucket: a line of `buckets.jsonl`.
///
/// `started` counts operations whose *intended* start falls in the bucket (the offered
/// load); `ok` and `failed` count operations that *completed* in the bucket, and
/// `latency_us` holds their latencies measured from the intended start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    /// Bucket number: the bucket covers `[index * 100 ms, (index + 1) * 100 ms)`.
    #[serde(rename = "b")]
    pub index: u64,
    /// `client` for operations as users see them, or a component name.
    pub series: String,
    /// The operation kind.
    pub op: OpKind,
    /// Operations whose intended start is in the bucket.
    #[serde(default)]
    pub started: u64,
    /// Operations that completed successfully in the bucket.
    #[serde(default)]
    pub ok: u64,
    /// Operations that failed in the bucket, by class.
    #[serde(default)]
    pub failed: FailureCounts,
    /// Latencies of the completed operations: `[value_us, count]` pairs of an HDR
    /// histogram with 2 significant digits, ascending.
    #[serde(default)]
    pub latency_us: Vec<(u64, u64)>,
}

impl Bucket {
    /// Operations that completed in the bucket, successfully or not.
    pub fn completed(&self) -> u64 {
        self.ok + self.failed.total()
    }
}

/// What a marker records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MarkerKind {
    /// A lifecycle phase began (`source` is the phase: baseline, inject, observe,
    /// verify, failback, report).
    PhaseStart,
    /// A lifecycle phase ended.
    PhaseEnd,
    /// A fault was injected (`source` is `fault:<index>`).
    FaultInjected,
    /// A fault was healed or rolled back.
    FaultHealed,
    /// A detect signal fired (`source` names it, e.g. `db.failover.detect`).
    Detect,
    /// An activate signal holds (`source` names it).
    Activate,
    /// A node changed role (`detail`: e.g. `standby -> primary`).
    RoleChange,
    /// A probe passed.
    ProbeOk,
    /// A probe failed.
    ProbeFailed,
    /// A guardrail stopped the run.
    Guardrail,
    /// An alert rule fired (`source` is `alert:<name>`).
    Alert,
    /// A DNS record changed.
    DnsChange,
    /// A node went down or came back (health state seen by a load balancer or monitor).
    Health,
    /// Anything worth showing on the timeline.
    Note,
}

/// A timestamped event: a line of `markers.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Marker {
    /// Microseconds from the start of the run.
    pub t_us: u64,
    /// What happened.
    pub kind: MarkerKind,
    /// Who reported it: a signal name, `fault:<i>`, `probe:<name>`, `alert:<name>`, a phase.
    pub source: String,
    /// The component concerned, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component: Option<String>,
    /// Free text for reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// A 64-bit checksum of a written value, written as 16 hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Checksum(pub u64);

impl Checksum {
    /// FNV-1a of `bytes`: stable forever, so records from any version compare.
    pub fn of(bytes: &[u8]) -> Self {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in bytes {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
        Self(hash)
    }
}

impl Serialize for Checksum {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&format_args!("{:016x}", self.0))
    }
}

impl<'de> Deserialize<'de> for Checksum {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        u64::from_str_radix(&text, 16)
            .map(Checksum)
            .map_err(|_| serde::de::Error::custom(format!("`{text}` is not 16 hex digits")))
    }
}

/// What the client learnt of a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WriteOutcome {
    /// The write was acknowledged: it must be in the final state.
    Acked,
    /// The write was rejected: it must not count if absent.
    Failed,
    /// No answer (timeout, reset): it may or may not have landed.
    Indeterminate,
}

/// One write: a line of `ledger.jsonl`. Write ids grow with the intended start, so a
/// higher id on the same key is a newer write.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LedgerEntry {
    /// Unique id of the write, carried inside the written value.
    pub id: u64,
    /// The key written.
    pub key: String,
    /// Checksum of the written value.
    pub checksum: Checksum,
    /// Intended start, microseconds from the start of the run.
    pub t_intended_us: u64,
    /// Acknowledgement time, if acknowledged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub t_ack_us: Option<u64>,
    /// What the client learnt.
    pub outcome: WriteOutcome,
}

/// What verification read back for one key: a line of `final_state.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FinalRead {
    /// The key read.
    pub key: String,
    /// The id of the write whose value was found (parsed from the value); absent when
    /// the key was not found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_id: Option<u64>,
    /// Checksum of the value found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checksum: Option<Checksum>,
    /// Where it was read from (e.g. `db.primary`, `redis://127.0.0.1:6390`).
    pub source: String,
}

/// Which engine wrote a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Engine {
    /// The simulator.
    Sim,
    /// The live engine.
    Live,
}

/// How the run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Still running, or crashed before it could say otherwise.
    Running,
    /// Ran to the end.
    Completed,
    /// Stopped early by a guardrail, Ctrl-C or a failing step.
    Aborted,
}

/// Facts about the run: `run.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunMeta {
    /// Version of this format.
    pub format_version: u32,
    /// The experiment's name.
    pub experiment: String,
    /// The engine that ran it.
    pub engine: Engine,
    /// The seed used.
    pub seed: u64,
    /// Bucket width in microseconds.
    pub bucket_us: u64,
    /// How the run ended.
    pub status: RunStatus,
    /// Length of the run in microseconds, once it ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_us: Option<u64>,
    /// Why the run was aborted, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abort_reason: Option<String>,
    /// Wall-clock start (RFC 3339), for live runs; absent for simulated runs so that
    /// their records are reproducible byte for byte.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
}

impl RunMeta {
    /// A fresh `running` meta for a run.
    pub fn new(experiment: &str, engine: Engine, seed: u64) -> Self {
        Self {
            format_version: FORMAT_VERSION,
            experiment: experiment.to_string(),
            engine,
            seed,
            bucket_us: BUCKET_US,
            status: RunStatus::Running,
            end_us: None,
            abort_reason: None,
            started_at: None,
        }
    }
}
