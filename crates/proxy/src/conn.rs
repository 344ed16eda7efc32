//! One proxied connection: two direction loops (client→upstream and upstream→client).
//!
//! Each direction is one loop that reads from its source, runs the items through the
//! chain of toxic stages of its stream, and writes them to its destination in order, each
//! no earlier than its release time. With no toxic the chain is empty and bytes skip it
//! (no allocation, no queue), which is the fast path: messages go from the read buffer
//! straight to the destination (one read, one write), streams through a splice pipe
//! (no copy). The two directions run as separate tasks. The loop watches the proxy's toxic list, so toxics added or removed apply to
//! live connections at once; stages of toxics that stay keep their state.

use std::collections::VecDeque;
use std::io;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::{Buf, Bytes};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::proxy::{ProxyCounters, ToxicList};
use crate::splice::{Fill, Pipe};
use crate::stage::{self, ActiveToxic, Ctx, Item, Stage, Timed};
use crate::toxic::Stream;

/// Read buffer of a direction.
const READ_BUFFER_BYTES: usize = 64 * 1024;
/// Bytes a direction holds in its queue and stages before it stops reading its source
/// (so a slow toxic pushes back on the sender as a slow network would).
const IN_FLIGHT_BYTES_MAX: usize = 1024 * 1024;
/// With no toxic, the source is read into the splice pipe while it holds less than this,
/// so reading and writing overlap.
const PIPE_FILL_BELOW_BYTES: usize = 512 * 1024;
/// With no toxic, a read or splice of at least this many bytes means a stream: it goes
/// through the splice pipe (no copy, less CPU per byte); below it, messages are copied
/// with one read and one write, two syscalls where splice takes three.
const BULK_BYTES_MIN: usize = 16 * 1024;

/// Serves one accepted client connection until it ends or `kill` is cancelled.
pub(crate) async fn serve(
    client: TcpStream,
    upstream: String,
    toxics: watch::Receiver<ToxicList>,
    kill: CancellationToken,
    counters: Arc<ProxyCounters>,
) {
    let server = tokio::select! {
        _ = kill.cancelled() => return,
        server = TcpStream::connect(&upstream) => match server {
            Ok(server) => server,
            Err(_) => {
                // Like Toxiproxy: the client's connection is closed.
                counters.upstream_connect_errors.fetch_add(1, Ordering::Relaxed);
                return;
            }
        },
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let client = Arc::new(client);
    let server = Arc::new(server);
    let (reverse_tx, reverse_rx) = mpsc::unbounded_channel();
    let up = Direction::new(
        Arc::clone(&client),
        Arc::clone(&server),
        Stream::Upstream,
        toxics.clone(),
        kill.clone(),
        Arc::clone(&counters),
    )
    .with_reverse_out(reverse_tx);
    let down = Direction::new(server, client, Stream::Downstream, toxics, kill, counters)
        .with_reverse_in(reverse_rx);
    // Each direction is its own task, so a wake-up for one (a message arriving) polls only
    // that direction's loop, not both.
    let up = tokio::spawn(up.run());
    down.run().await;
    let _ = up.await;
}

/// A toxic of the direction's stream and, if this connection rolled it (toxicity), its stage.
struct Entry {
    toxic: Arc<ActiveToxic>,
    stage: Option<Box<dyn Stage>>,
}

/// The stages of one direction, in the order the toxics were added.
#[derive(Default)]
struct Chain {
    entries: Vec<Entry>,
    active: usize,
}

impl Chain {
    /// Makes the chain follow `toxics`; stages of toxics that stay are kept. Returns what
    /// removed stages were holding, and whether any stage was removed.
    fn rebuild(
        &mut self,
        toxics: &[Arc<ActiveToxic>],
        stream: Stream,
        now: Instant,
        rng: &mut SmallRng,
    ) -> (Vec<Timed>, bool) {
        let mut old: Vec<Entry> = std::mem::take(&mut self.entries);
        let mut released = Vec::new();
        for toxic in toxics.iter().filter(|t| t.config.stream == stream) {
            if let Some(pos) = old.iter().position(|e| e.toxic.id == toxic.id) {
                self.entries.push(old.swap_remove(pos));
                continue;
            }
            let affected =
                toxic.config.toxicity >= 1.0 || rng.random_bool(toxic.config.toxicity.max(0.0));
            self.entries.push(Entry {
                toxic: Arc::clone(toxic),
                stage: affected.then(|| stage::build(toxic, now)),
            });
        }
        let removed = old.iter().any(|e| e.stage.is_some());
        for mut entry in old {
            if let Some(stage) = entry.stage.as_mut() {
                released.extend(stage.detach());
            }
        }
        self.active = self.entries.iter().filter(|e| e.stage.is_some()).count();
        (released, removed)
    }

    fn is_passthrough(&self) -> bool {
        self.active == 0
    }

    /// Runs `items` through the stages from index `start` on.
    fn push_from(&mut self, start: usize, mut items: Vec<Timed>, ctx: &mut Ctx<'_>) -> Vec<Timed> {
        for entry in self.entries.iter_mut().skip(start) {
            let Some(stage) = entry.stage.as_mut() else {
                continue;
            };
            let mut next = Vec::with_capacity(items.len());
            for item in items {
                stage.on_item(item, &mut next, ctx);
            }
            items = next;
            if items.is_empty() {
                break;
            }
        }
        items
    }

    fn deadline(&self) -> Option<Instant> {
        self.entries
            .iter()
            .filter_map(|e| e.stage.as_ref().and_then(|s| s.deadline()))
            .min()
    }

    /// Runs every due deadline; what stages emit goes through the stages after them.
    fn fire_due(&mut self, now: Instant, ctx: &mut Ctx<'_>) -> Vec<Timed> {
        let mut out = Vec::new();
        for i in 0..self.entries.len() {
            let Some(stage) = self.entries[i].stage.as_mut() else {
                continue;
            };
            if stage.deadline().is_some_and(|d| d <= now) {
                let mut emitted = Vec::new();
                stage.on_deadline(now, &mut emitted, ctx);
                out.extend(self.push_from(i + 1, emitted, ctx));
            }
        }
        out
    }

    fn held_bytes(&self) -> usize {
        self.entries
            .iter()
            .filter_map(|e| e.stage.as_ref().map(|s| s.held_bytes()))
            .sum()
    }
}

/// How a direction loop step ended.
enum Flow {
    /// Keep going.
    Continue,
    /// This direction is finished (its FIN was passed on).
    Done,
    /// A toxic closes the connection.
    Close,
    /// Reset both peers.
    Reset,
}

struct Direction {
    src: Arc<TcpStream>,
    dst: Arc<TcpStream>,
    stream: Stream,
    toxics: watch::Receiver<ToxicList>,
    kill: CancellationToken,
    counters: Arc<ProxyCounters>,
    reverse_out: Option<mpsc::UnboundedSender<Bytes>>,
    reverse_in: Option<mpsc::UnboundedReceiver<Bytes>>,
    chain: Chain,
    queue: VecDeque<Timed>,
    queued_bytes: usize,
    src_open: bool,
    /// Zero-copy path of the no-toxic case; `None` until first used or if unsupported.
    pipe: Option<Pipe>,
    /// The pipe had no room while the source had data: wait for a drain before reading.
    pipe_full: bool,
    splice_unsupported: bool,
    /// The source streams: forward through the splice pipe rather than the read buffer.
    bulk: bool,
    rng: SmallRng,
}

impl Direction {
    fn new(
        src: Arc<TcpStream>,
        dst: Arc<TcpStream>,
        stream: Stream,
        toxics: watch::Receiver<ToxicList>,
        kill: CancellationToken,
        counters: Arc<ProxyCounters>,
    ) -> Self {
        Self {
            src,
            dst,
            stream,
            toxics,
            kill,
            counters,
            reverse_out: None,
            reverse_in: None,
            chain: Chain::default(),
            queue: VecDeque::new(),
            queued_bytes: 0,
            src_open: true,
            pipe: None,
            pipe_full: false,
            splice_unsupported: false,
            bulk: false,
            rng: SmallRng::from_rng(&mut rand::rng()),
        }
    }

    fn with_reverse_out(mut self, tx: mpsc::UnboundedSender<Bytes>) -> Self {
        self.reverse_out = Some(tx);
        self
    }

    fn with_reverse_in(mut self, rx: mpsc::UnboundedReceiver<Bytes>) -> Self {
        self.reverse_in = Some(rx);
        self
    }

    async fn run(mut self) {
        let flow = self.run_loop().await;
        match flow {
            Flow::Continue | Flow::Done => {}
            Flow::Close => self.kill.cancel(),
            Flow::Reset => {
                reset(&self.src);
                reset(&self.dst);
                self.kill.cancel();
            }
        }
    }

    async fn run_loop(&mut self) -> Flow {
        let mut buf = vec![0u8; READ_BUFFER_BYTES];
        self.rebuild();
        loop {
            // Toxics that act at once (a reset_peer with timeout 0, a flap that is down).
            if self.chain.deadline().is_some_and(|d| d <= Instant::now()) {
                match self.fire_deadlines() {
                    Flow::Continue => {}
                    other => return other,
                }
            }
            let blocked = match self.write_due() {
                Ok(WriteState::Blocked) => true,
                Ok(WriteState::Idle) => false,
                Ok(WriteState::Flow(flow)) => return flow,
                Err(_) => return Flow::Reset,
            };
            // The front item's release time, unfiltered: one that fell due since
            // `write_due` read the clock wakes the loop at once. Filtering it against a
            // second clock read lost it (nothing else would wake the loop, and the bytes
            // sat until the client timed out: seen on a loaded machine). While the
            // destination is blocked its writability wakes the loop instead.
            let next_release = if blocked {
                None
            } else {
                self.queue.front().map(|t| t.at)
            };
            let wake_at = match (next_release, self.chain.deadline()) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let piped = self.pipe_pending();
            let can_read = self.src_open
                && if self.chain.is_passthrough() {
                    self.queue.is_empty() && !self.pipe_full && piped < PIPE_FILL_BELOW_BYTES
                } else {
                    piped + self.queued_bytes + self.chain.held_bytes() < IN_FLIGHT_BYTES_MAX
                };
            tokio::select! {
                biased;
                _ = self.kill.cancelled() => return Flow::Continue,
                changed = self.toxics.changed() => {
                    if changed.is_err() {
                        // The proxy is gone.
                        return Flow::Close;
                    }
                    self.rebuild();
                }
                Some(bytes) = recv_opt(&mut self.reverse_in) => {
                    // An injected answer (http_status) is bytes the client would have got
                    // from the upstream, so it goes through this direction's toxics: a
                    // latency delays it, a blackhole swallows it. Queueing it directly
                    // skipped them all.
                    let answer = Timed { at: Instant::now(), item: Item::Data(bytes) };
                    if let Err(flow) = self.feed(answer) {
                        return flow;
                    }
                }
                ready = self.dst.writable(), if blocked => {
                    if ready.is_err() {
                        return Flow::Reset;
                    }
                }
                ready = self.src.readable(), if can_read => {
                    if ready.is_err() {
                        return Flow::Reset;
                    }
                    match self.read_once(&mut buf) {
                        Ok(()) => {}
                        Err(flow) => return flow,
                    }
                }
                _ = sleep_opt(wake_at) => {
                    match self.fire_deadlines() {
                        Flow::Continue => {}
                        other => return other,
                    }
                }
            }
        }
    }

    fn rebuild(&mut self) {
        let toxics = self.toxics.borrow_and_update().clone();
        let (released, removed) =
            self.chain
                .rebuild(&toxics, self.stream, Instant::now(), &mut self.rng);
        let now = Instant::now();
        if removed {
            // Like Toxiproxy interrupting its stages: what removed toxics scheduled (a
            // bandwidth queue, a latency) goes out now rather than on the old schedule,
            // so healing takes effect at once.
            for item in self.queue.iter_mut() {
                item.at = item.at.min(now);
            }
        }
        for mut item in released {
            item.at = now;
            self.enqueue(item);
        }
    }

    fn enqueue(&mut self, item: Timed) {
        self.queued_bytes += item.data_len();
        self.queue.push_back(item);
    }

    fn pipe_pending(&self) -> usize {
        self.pipe.as_ref().map_or(0, |p| p.pending)
    }

    /// Reads once from the source and passes what was read on. `Err` ends the loop.
    fn read_once(&mut self, buf: &mut [u8]) -> Result<(), Flow> {
        let passthrough = self.chain.is_passthrough() && self.queue.is_empty();
        if passthrough && self.bulk && !self.splice_unsupported {
            if let Some(done) = self.splice_once() {
                return done;
            }
        }
        let n = match self.read_source(buf) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
            Err(_) => return Err(Flow::Reset),
        };
        if n == 0 {
            self.src_open = false;
            return self.feed(Timed {
                at: Instant::now(),
                item: Item::Eof,
            });
        }
        if passthrough && self.pipe_pending() == 0 {
            // A read this large means a stream, not messages: splice from now on.
            self.bulk = n >= BULK_BYTES_MIN;
            // Straight from the read buffer to the destination.
            let written = match self.dst.try_write(&buf[..n]) {
                Ok(w) => w,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => 0,
                Err(_) => return Err(Flow::Reset),
            };
            self.count_written(written);
            if written < n {
                self.enqueue(Timed {
                    at: Instant::now(),
                    item: Item::Data(Bytes::copy_from_slice(&buf[written..n])),
                });
            }
            return Ok(());
        }
        self.feed(Timed {
            at: Instant::now(),
            item: Item::Data(Bytes::copy_from_slice(&buf[..n])),
        })
    }

    /// Reads from the source into `buf`. A short read also clears the source's readiness:
    /// TCP returns everything queued up to `buf.len()`, so a short read means the queue
    /// was empty, and the edge-triggered poller reports any data that arrives later. This
    /// saves the read that would only have said `WouldBlock` (one syscall per message).
    fn read_source(&self, buf: &mut [u8]) -> io::Result<usize> {
        use std::io::Read;
        let capacity = buf.len();
        let mut short = 0;
        let read = self.src.try_io(tokio::io::Interest::READABLE, || {
            let n = (&*socket2::SockRef::from(self.src.as_ref())).read(buf)?;
            if n > 0 && n < capacity {
                short = n;
                return Err(io::ErrorKind::WouldBlock.into());
            }
            Ok(n)
        });
        match read {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock && short > 0 => Ok(short),
            other => other,
        }
    }

    /// Fast path on Linux: source → pipe → destination without copying through user
    /// space. `None` when splice cannot be used (the caller copies instead).
    fn splice_once(&mut self) -> Option<Result<(), Flow>> {
        use std::os::fd::AsRawFd;
        if self.pipe.is_none() {
            match Pipe::new() {
                Ok(pipe) => self.pipe = Some(pipe),
                Err(_) => {
                    self.splice_unsupported = true;
                    return None;
                }
            }
        }
        let pipe = self.pipe.as_mut()?;
        let src_fd = self.src.as_raw_fd();
        let n = match self
            .src
            .try_io(tokio::io::Interest::READABLE, || pipe.fill_from(src_fd))
        {
            Ok(Fill::Moved(n)) => n,
            Ok(Fill::Full) => {
                self.pipe_full = true;
                return Some(Ok(()));
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Some(Ok(())),
            Err(e)
                if e.raw_os_error() == Some(EINVAL) || e.kind() == io::ErrorKind::Unsupported =>
            {
                self.splice_unsupported = true;
                return None;
            }
            Err(_) => return Some(Err(Flow::Reset)),
        };
        if n == 0 {
            self.src_open = false;
            return Some(self.feed(Timed {
                at: Instant::now(),
                item: Item::Eof,
            }));
        }
        self.bulk = n >= BULK_BYTES_MIN;
        Some(match self.drain_pipe() {
            Ok(_) => Ok(()),
            Err(_) => Err(Flow::Reset),
        })
    }

    /// Writes pending pipe bytes to the destination; `Ok(true)` when the pipe is empty.
    fn drain_pipe(&mut self) -> io::Result<bool> {
        use std::os::fd::AsRawFd;
        let Some(pipe) = self.pipe.as_mut() else {
            return Ok(true);
        };
        if pipe.pending == 0 {
            return Ok(true);
        }
        let dst_fd = self.dst.as_raw_fd();
        let moved = match self
            .dst
            .try_io(tokio::io::Interest::WRITABLE, || pipe.drain_to(dst_fd))
        {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => 0,
            Err(e) => return Err(e),
        };
        let empty = pipe.pending == 0;
        if moved > 0 {
            self.pipe_full = false;
        }
        self.count_written(moved);
        Ok(empty)
    }

    /// Runs an item through the chain and queues what comes out.
    fn feed(&mut self, item: Timed) -> Result<(), Flow> {
        let mut ctx = Ctx {
            reset: false,
            reverse: Vec::new(),
            rng: &mut self.rng,
        };
        let out = self.chain.push_from(0, vec![item], &mut ctx);
        let reset = ctx.reset;
        let reverse = std::mem::take(&mut ctx.reverse);
        self.apply(out, reset, reverse)
    }

    fn fire_deadlines(&mut self) -> Flow {
        let mut ctx = Ctx {
            reset: false,
            reverse: Vec::new(),
            rng: &mut self.rng,
        };
        let out = self.chain.fire_due(Instant::now(), &mut ctx);
        let reset = ctx.reset;
        let reverse = std::mem::take(&mut ctx.reverse);
        match self.apply(out, reset, reverse) {
            Ok(()) => Flow::Continue,
            Err(flow) => flow,
        }
    }

    fn apply(&mut self, out: Vec<Timed>, reset: bool, reverse: Vec<Bytes>) -> Result<(), Flow> {
        if reset {
            return Err(Flow::Reset);
        }
        if let Some(tx) = &self.reverse_out {
            for bytes in reverse {
                let _ = tx.send(bytes);
            }
        }
        for item in out {
            self.enqueue(item);
        }
        Ok(())
    }

    /// Writes every due item the destination accepts without blocking.
    fn write_due(&mut self) -> io::Result<WriteState> {
        // Bytes in the splice pipe came before anything queued.
        if !self.drain_pipe()? {
            return Ok(WriteState::Blocked);
        }
        if self.queue.is_empty() {
            return Ok(WriteState::Idle);
        }
        let now = Instant::now();
        loop {
            let Some(front) = self.queue.front_mut() else {
                return Ok(WriteState::Idle);
            };
            if front.at > now {
                return Ok(WriteState::Idle);
            }
            match &mut front.item {
                Item::Data(bytes) => match self.dst.try_write(bytes) {
                    Ok(n) => {
                        bytes.advance(n);
                        let empty = bytes.is_empty();
                        self.queued_bytes -= n;
                        self.count_written(n);
                        if empty {
                            self.queue.pop_front();
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        return Ok(WriteState::Blocked)
                    }
                    Err(e) => return Err(e),
                },
                Item::Eof => {
                    self.queue.pop_front();
                    let _ = socket2::SockRef::from(self.dst.as_ref())
                        .shutdown(std::net::Shutdown::Write);
                    return Ok(WriteState::Flow(Flow::Done));
                }
                Item::Close => return Ok(WriteState::Flow(Flow::Close)),
            }
        }
    }

    fn count_written(&self, n: usize) {
        let counter = match self.stream {
            Stream::Upstream => &self.counters.bytes_upstream,
            Stream::Downstream => &self.counters.bytes_downstream,
        };
        counter.fetch_add(n as u64, Ordering::Relaxed);
    }
}

enum WriteState {
    /// Nothing due (or nothing queued).
    Idle,
    /// A due item waits for the destination to accept more.
    Blocked,
    /// The loop must end.
    Flow(Flow),
}

/// `EINVAL` from splice: the descriptors do not support it.
#[cfg(target_os = "linux")]
const EINVAL: i32 = libc::EINVAL;
#[cfg(not(target_os = "linux"))]
const EINVAL: i32 = 22;

/// Makes the socket send RST instead of FIN when it is closed.
fn reset(stream: &TcpStream) {
    let _ = socket2::SockRef::from(stream).set_linger(Some(std::time::Duration::ZERO));
}

async fn recv_opt(rx: &mut Option<mpsc::UnboundedReceiver<Bytes>>) -> Option<Bytes> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

async fn sleep_opt(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
