//! The `live` section: how the live engine reaches and hurts the real deployment.
//!
//! Everything here is bound to the architecture's names, so that one `faults` schedule
//! drives both engines:
//!
//! - `targets` say how the load generator reaches a component (HTTP, PostgreSQL, Redis);
//! - `processes` say which OS process a node is (`db.primary` → a pidfile), so that
//!   `kill: db.primary` sends it a signal and `pause: db.primary` stops and resumes it;
//! - `actions` are named commands or signals; an action named after a fault
//!   (`"kill db.primary"`) replaces the default way to inject that fault, and
//!   `action: <name>` faults run one directly;
//! - `edges` say how to cut or slow the path between two components (the built-in
//!   fault proxy, or a firewall rule), for `partition`, `latency` and `loss` faults;
//! - `probes` are sampled every 100 ms (or as set) and can be the detect or activate
//!   signal; `alert_webhook` receives Alertmanager's notifications as signals.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::units::Duration;

/// How to reach and hurt the real deployment.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LiveSection {
    /// How the load generator reaches each component it drives, by component name.
    /// The workload's `target` must have an entry (or, without `workload.target`, there
    /// must be exactly one).
    #[serde(default)]
    pub targets: IndexMap<String, LiveTarget>,
    /// The OS process behind a node, by node name (`db.primary`, `api.1`, `cache`):
    /// `kill` and `pause` faults on that name signal it.
    #[serde(default)]
    pub processes: IndexMap<String, Process>,
    /// Named actions. An action named `"<fault> <target>"` (e.g. `"kill db.primary"`,
    /// `"kill_zone a"`) replaces the default way to inject that fault; a fault
    /// `action: <name>` runs one directly.
    #[serde(default)]
    pub actions: IndexMap<String, Action>,
    /// How to hurt the path between two components, for `partition`, `latency` and
    /// `loss` faults whose `between` names the same two components (in either order).
    #[serde(default)]
    pub edges: Vec<Edge>,
    /// Probes sampled during the run, by name; a probe can be a detect or activate
    /// signal. Each state change is recorded as a `probe_ok` / `probe_failed` marker
    /// with source `probe:<name>`.
    #[serde(default)]
    pub probes: IndexMap<String, Probe>,
    /// An HTTP receiver of Alertmanager webhook notifications, so that a real alerting
    /// pipeline can be the detect signal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert_webhook: Option<AlertWebhook>,
    /// How verification reads the final state. Default: through the workload's target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify: Option<LiveVerify>,
    /// The live side of the failback phase (`phases.failback`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failback: Option<LiveFailback>,
    /// Length of the final drain: in-flight operations get this long to finish once
    /// the load stops. Default: the workload's timeout plus one second.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drain: Option<Duration>,
}

/// How to reach a component: exactly one of `http`, `postgres` or `redis`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum LiveTarget {
    /// An HTTP/1.1 or HTTP/2 service.
    Http(Box<HttpTarget>),
    /// A PostgreSQL database (one host or several; the current primary is found).
    Postgres(PostgresTarget),
    /// A Redis server, or the master of a Sentinel-managed group.
    Redis(RedisTarget),
}

/// The HTTP protocol version a client speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum HttpVersion {
    /// HTTP/1.1, one request at a time per connection.
    #[default]
    Http1,
    /// HTTP/2 without TLS (prior knowledge), many streams per connection.
    Http2,
}

/// An HTTP service driven with a write request and a read-back request per key.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HttpTarget {
    /// Base URL, `http://host:port` (no TLS); request paths are appended to it.
    pub base: String,
    /// `http1` (default) or `http2`.
    #[serde(default)]
    pub version: HttpVersion,
    /// The write request. Default: `PUT /kv/{key}` with body `{value}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write: Option<HttpRequest>,
    /// The read request; its answer's body must contain the value written, which
    /// verification parses to know which write it found. Default: `GET /kv/{key}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read: Option<HttpRequest>,
    /// Connections the load generator keeps open to the service (HTTP/1.1: also the
    /// most requests in flight). Default: 64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connections: Option<u32>,
}

/// A request template. `{key}`, `{id}` (the write id) and `{value}` are replaced in the
/// path, the headers and the body.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HttpRequest {
    /// HTTP method, e.g. `PUT`, `POST`, `GET`.
    pub method: String,
    /// Path and query, starting with `/`, e.g. `/orders/{key}`.
    pub path: String,
    /// Extra headers.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub headers: IndexMap<String, String>,
    /// Request body. Default: empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// Status codes that count as success. Default: any 2xx (and, for a read, 404
    /// means "not found", not a failure).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expect_status: Vec<u16>,
    /// The body must contain this text for the request to count as success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect_body: Option<String>,
}

/// A PostgreSQL database.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PostgresTarget {
    /// A libpq-style connection string, key=value or URL. Several hosts are allowed
    /// (`host=a,b port=5432,5433`); with `target_session_attrs=read-write` the client
    /// connects to the one that accepts writes, so it follows a promotion.
    pub url: String,
    /// The table the writes go to; created if missing as
    /// `(key text primary key, value text not null)`. Default: `faultline_ledger`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    /// The write statement; `$1` is the key, `$2` the value, `{table}` the table.
    /// Default: an upsert into the table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write: Option<String>,
    /// The read statement; `$1` is the key; the first column of the first row is the
    /// value. Default: `SELECT value FROM {table} WHERE key = $1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read: Option<String>,
    /// Connections in the pool (and most operations in flight). Default: 16.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connections: Option<u32>,
}

/// A Redis server, or a Sentinel-managed master: exactly one of `url` or `sentinels`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RedisTarget {
    /// `redis://host:port` of one server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Sentinel addresses (`host:port`); the client asks them for the current master
    /// of `master` and follows a failover.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sentinels: Vec<String>,
    /// The master's name in Sentinel (`sentinel monitor <name> ...`). Default: `mymaster`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub master: Option<String>,
    /// The write command as an argv list. Default: `[SET, "{key}", "{value}"]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub write: Vec<String>,
    /// The read command; its reply is the value. Default: `[GET, "{key}"]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub read: Vec<String>,
    /// Prefix of every key written. Default: `fl:`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_prefix: Option<String>,
    /// Connections in the pool (each one carries one operation at a time). Default: 32.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connections: Option<u32>,
}

/// Which OS process a node is: exactly one of `pid` or `pidfile`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Process {
    /// The process id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    /// A file holding the process id, read when the fault is injected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pidfile: Option<String>,
    /// Signal a `kill` fault sends: `SIGKILL` (default) or `SIGTERM`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kill_signal: Option<SignalName>,
}

/// A signal the live engine may send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum SignalName {
    /// Kill at once (cannot be caught).
    #[serde(rename = "SIGKILL")]
    Kill,
    /// Ask to terminate.
    #[serde(rename = "SIGTERM")]
    Term,
    /// Stop (pause) the process.
    #[serde(rename = "SIGSTOP")]
    Stop,
    /// Continue a stopped process.
    #[serde(rename = "SIGCONT")]
    Cont,
    /// Interrupt.
    #[serde(rename = "SIGINT")]
    Int,
    /// Hang up (often: reload).
    #[serde(rename = "SIGHUP")]
    Hup,
}

/// A named action: exactly one of `command` or `signal`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Action {
    /// A command as an argv list, run without a shell (e.g. `[systemctl, stop, redis]`,
    /// `[pg_ctl, promote, -D, /var/lib/pg/standby]`). With `shell: true` it is one
    /// string run by `sh -c`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
    /// Run `command` (a single string) through `sh -c`. Default: false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub shell: bool,
    /// Kill the command after this long; a timeout fails the step. Default: 30s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Duration>,
    /// The command that undoes the action (argv list, or one string with `shell`), run
    /// when the fault is healed or the run is rolled back (e.g. `systemctl start`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub undo: Vec<String>,
    /// Send a signal to a process named in `processes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal: Option<SignalAction>,
}

/// Send a signal to a process.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignalAction {
    /// A name from `processes`.
    pub process: String,
    /// The signal.
    pub signal: SignalName,
}

/// How to hurt the path between two components: exactly one of `proxy` or `firewall`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Edge {
    /// The two components (order does not matter), e.g. `[client, cache]`; `client`
    /// is the load generator.
    pub between: [String; 2],
    /// Route the edge through the built-in fault proxy: it listens on `listen` and
    /// forwards to `upstream`; point the first component at `listen`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy: Option<EdgeProxy>,
    /// Cut the edge with firewall rules on this host (needs root and iptables or nft).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firewall: Option<Firewall>,
}

/// The built-in fault proxy on an edge.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EdgeProxy {
    /// Address the proxy listens on, `host:port`.
    pub listen: String,
    /// Address it forwards to, `host:port`.
    pub upstream: String,
    /// What a `partition` fault does on this edge: `drop` (default: bytes vanish, as
    /// with a cut cable; clients wait for their timeouts) or `refuse` (the proxy stops
    /// listening and closes its connections; clients fail at once).
    #[serde(default)]
    pub partition: ProxyPartition,
}

/// How the fault proxy partitions an edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProxyPartition {
    /// Blackhole both directions: connections stay open, nothing passes.
    #[default]
    Drop,
    /// Stop listening and close every connection: new connections are refused.
    Refuse,
}

/// Which firewall tool writes the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FirewallBackend {
    /// `iptables` if present, else `nft`.
    #[default]
    Auto,
    /// `iptables` (DROP rules in OUTPUT and INPUT, tagged with a comment).
    Iptables,
    /// `nft` (a table of its own, deleted on heal).
    Nftables,
}

/// Firewall rules that drop traffic to and from a peer.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Firewall {
    /// The far side's IP address (e.g. the address inside a network namespace).
    pub peer: String,
    /// Only this TCP port of the peer. Default: every port and protocol.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// `auto` (default), `iptables` or `nftables`.
    #[serde(default)]
    pub backend: FirewallBackend,
}

/// Which transition of a probe is a signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProbeEdge {
    /// When the probe turns from passing to failing.
    Fails,
    /// When the probe turns from failing to passing.
    Passes,
}

/// A probe sampled during the run: exactly one of `tcp`, `http`, `sql`, `redis`,
/// `sentinel_event` or `command`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Probe {
    /// Time between two samples. Default: 100ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every: Option<Duration>,
    /// A sample not answered within this time fails. Default: `every`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Duration>,
    /// The component the probe watches (for reports and markers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component: Option<String>,
    /// Connect to this TCP address, `host:port`; a connection passes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tcp: Option<String>,
    /// GET this URL; a 2xx answer passes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<String>,
    /// Run a query; it passes when it succeeds and its first column of the first row
    /// is not `false` (e.g. `select not pg_is_in_recovery()`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sql: Option<SqlProbe>,
    /// Run a Redis command (e.g. `[ROLE]`, `[INFO, replication]`); it passes when the
    /// reply contains `expect` (or, without `expect`, when it is not an error).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redis: Option<RedisProbe>,
    /// Subscribe to a Sentinel's events; the probe passes once an event of this type
    /// (e.g. `+sdown`, `+switch-master`) has been seen, and keeps passing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sentinel_event: Option<SentinelEventProbe>,
    /// Run a command (argv list); exit status 0 passes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
    /// This probe is a detect signal: recorded as `detect` with source `probe:<name>`
    /// when it `fails` or `passes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detect: Option<ProbeEdge>,
    /// This probe is an activate signal: recorded as `activate` with source
    /// `probe:<name>` when it `fails` or `passes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activate: Option<ProbeEdge>,
}

/// A SQL probe.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SqlProbe {
    /// libpq-style connection string of the server to ask.
    pub url: String,
    /// The query.
    pub query: String,
}

/// A Redis probe.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RedisProbe {
    /// `redis://host:port` of the server to ask.
    pub url: String,
    /// The command as an argv list. Default: `[PING]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
    /// Text the reply must contain (e.g. `master`, `master_link_status:up`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect: Option<String>,
}

/// A Sentinel event probe.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SentinelEventProbe {
    /// `host:port` of a Sentinel.
    pub sentinel: String,
    /// The event type, e.g. `+sdown`, `+odown`, `+switch-master`.
    pub event: String,
}

/// The kind of signal a receiver records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SignalKind {
    /// Detection (TTD).
    #[default]
    Detect,
    /// Activation (TTA).
    Activate,
}

/// A receiver of Alertmanager webhook notifications (`POST` of Alertmanager's JSON).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertWebhook {
    /// Address to listen on, `host:port`.
    pub listen: String,
    /// Each firing alert is recorded as an `alert` marker with source
    /// `alert:<alertname>` and as this signal. Default: `detect`.
    #[serde(default)]
    pub signal: SignalKind,
    /// Only these alert names count. Default: every alert.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alerts: Vec<String>,
}

/// How verification reads back the final state.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LiveVerify {
    /// The target (a name from `targets`) to read through. Default: the workload's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Wait at most this long for the target to answer again before reading.
    /// Default: 30s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait: Option<Duration>,
}

/// The live side of the failback phase.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LiveFailback {
    /// A probe (from `probes`) that passes once replication is in sync; the failback
    /// waits for it.
    pub in_sync: String,
    /// Wait at most this long for `in_sync`. Default: 60s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait: Option<Duration>,
    /// Actions (names from `actions`) that fail back, run in order.
    pub actions: Vec<String>,
}
