//! The steady-state gate counts arrivals as well as answers: an open-model load several
//! times what the target can serve, with a timeout nothing reaches, fails no operation
//! and keeps its ok-throughput flat, yet its backlog grows, and that alone stops the run
//! before the first fault. The same target under a load it keeps up with gets its fault.

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use faultline_analyze::STEADY_STATE_SOURCE;
use faultline_record::{MarkerKind, RunRecord, RunStatus};

/// How long the slow server spends on each request, one request at a time.
const SERVICE_TIME_MS: u32 = 20;
/// The most requests a second the slow server can answer.
const CAPACITY_PER_S: u32 = 1_000 / SERVICE_TIME_MS;
/// An offered load that outruns the slow server.
const RATE_ABOVE_CAPACITY_PER_S: u32 = 300;
/// An offered load the slow server keeps up with.
const RATE_BELOW_CAPACITY_PER_S: u32 = 20;
// At least four times the capacity leaves three quarters of the arrivals waiting, well
// past the 50% the first test asserts; at most half of it keeps queueing short.
const _: () = assert!(RATE_ABOVE_CAPACITY_PER_S >= 4 * CAPACITY_PER_S);
const _: () = assert!(2 * RATE_BELOW_CAPACITY_PER_S <= CAPACITY_PER_S);

/// The slow server stops by itself after this long, even if the test never tells it.
const SERVER_LIFETIME_MAX: Duration = Duration::from_secs(30);
/// Most connections the slow server holds (the client's pool opens at most 64).
const SERVER_CONNECTIONS_MAX: usize = 256;
/// Most bytes of one connection's unanswered requests (bounded memory).
const SERVER_BUFFER_BYTES_MAX: usize = 64 * 1024;
/// Its pause when no request is waiting.
const SERVER_IDLE_POLL: Duration = Duration::from_millis(1);
/// Its only answer: the live engine counts any 2xx as a success, and with
/// verification off no read needs a stored value. HTTP/1.1 keeps the connection open.
const ANSWER: &[u8] = b"HTTP/1.1 204 No Content\r\n\r\n";

/// An HTTP/1.1 server on a loopback port that answers one request at a time, each after
/// [`SERVICE_TIME_MS`], on one thread; dropping it stops the thread and joins it.
struct SlowServer {
    addr: String,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl SlowServer {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        listener
            .set_nonblocking(true)
            .expect("a non-blocking listener");
        let addr = listener
            .local_addr()
            .expect("the bound address")
            .to_string();
        let stop = Arc::new(AtomicBool::new(false));
        let thread = std::thread::spawn({
            let stop = stop.clone();
            move || serve_slowly(&listener, &stop)
        });
        Self {
            addr,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for SlowServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Keep-alive connections are served in turn: one request of one connection, then the
/// next connection with a request waiting, so that one busy client cannot starve the
/// rest of the pool.
fn serve_slowly(listener: &TcpListener, stop: &AtomicBool) {
    let deadline = Instant::now() + SERVER_LIFETIME_MAX;
    let mut connections: Vec<Connection> = Vec::new();
    let mut next = 0;
    while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
        // Past the limit, new connections wait in the kernel's backlog.
        while connections.len() < SERVER_CONNECTIONS_MAX {
            let Ok((stream, _)) = listener.accept() else {
                break;
            };
            if stream.set_nonblocking(true).is_ok() {
                let _ = stream.set_nodelay(true);
                connections.push(Connection {
                    stream,
                    buffer: Vec::new(),
                });
            }
        }
        connections.retain_mut(Connection::receive);
        let count = connections.len();
        let ready = (0..count)
            .map(|i| (next + i) % count)
            .find(|&i| connections[i].request_len().is_some());
        match ready {
            Some(i) => {
                std::thread::sleep(Duration::from_millis(u64::from(SERVICE_TIME_MS)));
                if !connections[i].answer() {
                    connections.swap_remove(i);
                }
                next = i + 1;
            }
            None => std::thread::sleep(SERVER_IDLE_POLL),
        }
    }
}

/// A client connection and the bytes it sent that are not answered yet.
struct Connection {
    stream: TcpStream,
    buffer: Vec<u8>,
}

impl Connection {
    /// Reads what has arrived, without waiting; `false` once the client closed the
    /// connection, it broke, or it sent more than the server keeps.
    fn receive(&mut self) -> bool {
        let mut chunk = [0u8; 4096];
        loop {
            match self.stream.read(&mut chunk) {
                Ok(0) => return false,
                Ok(n) => {
                    self.buffer.extend_from_slice(&chunk[..n]);
                    if self.buffer.len() > SERVER_BUFFER_BYTES_MAX {
                        return false;
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return true,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return false,
            }
        }
    }

    /// The length of the first request in the buffer (head and `Content-Length` body),
    /// once all of it has arrived.
    fn request_len(&self) -> Option<usize> {
        let head_end = self.buffer.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
        let head = String::from_utf8_lossy(&self.buffer[..head_end]);
        let body_len = head
            .lines()
            .filter_map(|line| line.split_once(':'))
            .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
            .map_or(Some(0), |(_, value)| value.trim().parse().ok())?;
        let len = head_end + body_len;
        (self.buffer.len() >= len).then_some(len)
    }

    /// Answers the first request and forgets it; `false` if the answer could not be
    /// written.
    fn answer(&mut self) -> bool {
        let Some(len) = self.request_len() else {
            return true;
        };
        self.buffer.drain(..len);
        // A blocking write with a timeout: the answer is small, but a client that
        // stopped reading must not hold the server up for long.
        self.stream.set_nonblocking(false).is_ok()
            && self
                .stream
                .set_write_timeout(Some(Duration::from_secs(1)))
                .is_ok()
            && self.stream.write_all(ANSWER).is_ok()
            && self.stream.set_nonblocking(true).is_ok()
    }
}

/// An open-model load at `rate_per_s` with a timeout no operation reaches, and a
/// harmless fault (a command that does nothing) at 6.5 s, which asks the gate. The
/// baseline is 6 s so that the gate has the 5 whole seconds it needs to judge at all
/// (seconds 1 to 5); the drain is short because the backlog would otherwise hold the
/// run for the whole timeout. `steady_state` adds to `phases`.
fn experiment_yaml(addr: &str, rate_per_s: u32, steady_state: &str) -> String {
    format!(
        r#"
name: backlog-baseline
engine: live
architecture:
  api: {{ kind: service, instances: 1, concurrency: 1, service_time: {{ fixed: {SERVICE_TIME_MS}ms }} }}
live:
  targets: {{ api: {{ http: {{ base: "http://{addr}" }} }} }}
  actions: {{ harmless: {{ command: ["true"] }} }}
  drain: 500ms
workload:
  model: open
  stages: [ {{ hold: 8s, rate: {rate_per_s}/s }} ]
  timeout: 30s
  mix: {{ read: 50%, write: 50% }}
phases: {{ baseline: 6s, observe: 1s, verify: false{steady_state} }}
faults:
  - {{ at: 6500ms, action: harmless }}
"#
    )
}

/// Runs the experiment against a slow server of its own, stopped before returning.
fn run_against_a_slow_server(rate_per_s: u32, steady_state: &str) -> RunRecord {
    let server = SlowServer::start();
    let (record, _dir) = common::run(&experiment_yaml(&server.addr, rate_per_s, steady_state));
    drop(server);
    record
}

/// Six times the capacity: no error and no swing, only a growing backlog, and the gate
/// refuses the fault on that.
#[test]
fn a_load_above_capacity_stops_the_run_before_the_fault_on_its_backlog_alone() {
    let record = run_against_a_slow_server(RATE_ABOVE_CAPACITY_PER_S, "");
    assert_eq!(record.meta.status, RunStatus::Aborted);
    let reason = record.meta.abort_reason.clone().unwrap_or_default();
    assert!(
        reason.contains("baseline was not steady") && reason.contains("fell behind its load"),
        "{reason}"
    );
    let note = record
        .markers
        .iter()
        .find(|m| m.kind == MarkerKind::Note && m.source == STEADY_STATE_SOURCE)
        .and_then(|m| m.detail.clone())
        .expect("the gate marked its refusal");
    assert!(note.contains("fell behind its load"), "{note}");
    assert!(
        common::marker_t(&record, MarkerKind::FaultInjected, "fault:").is_none(),
        "no fault was injected"
    );
    assert!(
        record.meta.end_us.unwrap_or(u64::MAX) < 9_000_000,
        "the load stopped early"
    );
    let baseline = common::summary(&record).metrics.baseline;
    assert_eq!(baseline.steady, Some(false), "{baseline:?}");
    assert!(
        baseline
            .steady_reason
            .as_deref()
            .is_some_and(|r| r.starts_with("the system fell behind its load:")),
        "{baseline:?}"
    );
    assert!(
        baseline.backlog_share.is_some_and(|share| share > 0.5),
        "{baseline:?}"
    );
    // The refusal owes nothing to errors: every operation that ended in the baseline
    // succeeded.
    assert!(baseline.operations > 0, "{baseline:?}");
    assert_eq!(baseline.success_rate, Some(1.0), "{baseline:?}");
}

/// Checks that the gate let the fault in (the run completed, the fault was injected,
/// the baseline judged steady), and returns the baseline's figures.
fn admitted(record: &RunRecord) -> faultline_analyze::Baseline {
    assert_eq!(
        record.meta.status,
        RunStatus::Completed,
        "{:?}",
        record.meta.abort_reason
    );
    assert!(common::marker_t(record, MarkerKind::FaultInjected, "fault:0").is_some());
    let baseline = common::summary(record).metrics.baseline;
    assert_eq!(baseline.steady, Some(true), "{baseline:?}");
    baseline
}

/// The contrast: the same server at under half its capacity keeps up, so the fault goes in.
#[test]
fn a_load_below_capacity_passes_the_gate_and_gets_its_fault() {
    let record = run_against_a_slow_server(RATE_BELOW_CAPACITY_PER_S, "");
    let baseline = admitted(&record);
    assert!(
        common::marker_t(&record, MarkerKind::Note, STEADY_STATE_SOURCE).is_none(),
        "the gate refused nothing"
    );
    assert!(
        baseline.backlog_share.is_some_and(|share| share < 0.1),
        "{baseline:?}"
    );
}

/// The same overload with `max_backlog: 100%` is admitted: the backlog is the only
/// thing the first test's gate held against the baseline.
#[test]
fn a_load_above_capacity_passes_the_gate_when_max_backlog_allows_it() {
    let record = run_against_a_slow_server(
        RATE_ABOVE_CAPACITY_PER_S,
        ", steady_state: { max_backlog: 100% }",
    );
    let baseline = admitted(&record);
    assert!(
        baseline.backlog_share.is_some_and(|share| share > 0.5),
        "the backlog is still measured: {baseline:?}"
    );
}
