//! Toxic stages: what each toxic does to the items of one direction of one connection.
//!
//! A stage is a synchronous transformation of timestamped items: an item that arrived at
//! `at` comes out as zero or more items with release times `>= at`. Stages compose as a
//! chain (like Toxiproxy's pipe of chunks) and run inside the direction loop of
//! [`crate::conn`], which releases items to the socket in order, each no earlier than its
//! time. Timed effects without data (a reset after a timeout, a flap going down) are
//! deadlines the loop wakes up for.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use rand::rngs::SmallRng;
use rand::Rng;
use tokio::time::Instant;

use crate::http_frame::{RequestFramer, Segment};
use crate::toxic::{ToxicConfig, ToxicKind};

/// One thing flowing through a direction.
#[derive(Debug)]
pub(crate) enum Item {
    /// Bytes to write.
    Data(Bytes),
    /// The source finished: half-close the destination (FIN).
    Eof,
    /// A toxic ends the connection: close both sides.
    Close,
}

/// An item with the earliest time it may be released.
#[derive(Debug)]
pub(crate) struct Timed {
    pub(crate) at: Instant,
    pub(crate) item: Item,
}

impl Timed {
    pub(crate) fn data_len(&self) -> usize {
        match &self.item {
            Item::Data(b) => b.len(),
            _ => 0,
        }
    }
}

/// Side effects a stage asks of its connection.
pub(crate) struct Ctx<'a> {
    /// Reset the whole connection (TCP RST to both peers) now.
    pub(crate) reset: bool,
    /// Bytes to send back to the peer that sent this direction's data (HTTP answers). They
    /// go through the other direction's toxics, as that peer's replies would.
    pub(crate) reverse: Vec<Bytes>,
    pub(crate) rng: &'a mut SmallRng,
}

/// A toxic as installed on a proxy: its config, a unique id, when it was added, and
/// counters shared by all connections.
#[derive(Debug)]
pub(crate) struct ActiveToxic {
    pub(crate) id: u64,
    pub(crate) config: ToxicConfig,
    pub(crate) added_at: Instant,
    /// Requests seen by an `http_status` toxic over all connections (for `first_n`).
    pub(crate) requests_seen: AtomicU64,
}

/// What one toxic does in one direction of one connection.
pub(crate) trait Stage: Send {
    /// Transforms one item; outputs go to `out` in order.
    fn on_item(&mut self, item: Timed, out: &mut Vec<Timed>, ctx: &mut Ctx<'_>);
    /// The next instant [`Stage::on_deadline`] must run, if any.
    fn deadline(&self) -> Option<Instant> {
        None
    }
    /// Runs a due deadline.
    fn on_deadline(&mut self, _now: Instant, _out: &mut Vec<Timed>, _ctx: &mut Ctx<'_>) {}
    /// Bytes held inside the stage (they count against the direction's in-flight bound).
    fn held_bytes(&self) -> usize {
        0
    }
    /// The toxic was removed: hand back what the stage holds.
    fn detach(&mut self) -> Vec<Timed> {
        Vec::new()
    }
}

/// Builds the stage of `toxic` for a connection direction starting at `now`.
pub(crate) fn build(toxic: &Arc<ActiveToxic>, now: Instant) -> Box<dyn Stage> {
    match &toxic.config.kind {
        ToxicKind::Latency {
            latency_ms,
            jitter_ms,
        } => Box::new(Latency {
            latency_ms: *latency_ms,
            jitter_ms: *jitter_ms,
        }),
        ToxicKind::Bandwidth { rate_kb_per_s } => Box::new(Bandwidth {
            rate_bytes_per_s: rate_kb_per_s.saturating_mul(1000),
            next_free: now,
        }),
        ToxicKind::SlowClose { delay_ms } => Box::new(SlowClose {
            delay: Duration::from_millis(*delay_ms),
        }),
        ToxicKind::Timeout { timeout_ms } => Box::new(Timeout {
            close_at: (*timeout_ms > 0).then(|| now + Duration::from_millis(*timeout_ms)),
            held: VecDeque::new(),
            held_bytes: 0,
        }),
        ToxicKind::ResetPeer { timeout_ms } => Box::new(ResetAt {
            at: Some(now + Duration::from_millis(*timeout_ms)),
        }),
        ToxicKind::Slicer {
            average_size_bytes,
            size_variation_bytes,
            delay_us,
        } => Box::new(Slicer {
            average_size: *average_size_bytes,
            size_variation: *size_variation_bytes,
            delay: Duration::from_micros(*delay_us),
            last: now,
        }),
        ToxicKind::LimitData { bytes } => Box::new(LimitData {
            limit: *bytes,
            sent: 0,
            closed: false,
        }),
        ToxicKind::Blackhole => Box::new(Blackhole),
        ToxicKind::Loss {
            probability,
            retransmit_ms,
            max_retries,
            segment_size_bytes,
        } => Box::new(Loss {
            probability: *probability,
            retransmit: Duration::from_millis(*retransmit_ms),
            max_retries: *max_retries,
            segment_size: usize::try_from(*segment_size_bytes)
                .unwrap_or(usize::MAX)
                .max(1),
            last: now,
            reset_at: None,
        }),
        ToxicKind::Flap { down_ms, up_ms } => Box::new(ResetAt {
            at: flap_next_down(toxic.added_at, now, *down_ms, *up_ms),
        }),
        ToxicKind::HttpStatus { .. } => Box::new(HttpStatus {
            toxic: Arc::clone(toxic),
            framer: RequestFramer::default(),
            dropping: false,
        }),
    }
}

/// When a flap schedule (down first, from `start`) next takes connections down, seen at `now`.
/// `None` if it never goes down.
pub(crate) fn flap_next_down(
    start: Instant,
    now: Instant,
    down_ms: u64,
    up_ms: u64,
) -> Option<Instant> {
    if down_ms == 0 {
        return None;
    }
    let period_ms = down_ms.saturating_add(up_ms);
    let elapsed_ms = now.saturating_duration_since(start).as_millis() as u64;
    let phase_ms = elapsed_ms % period_ms;
    if phase_ms < down_ms {
        Some(now)
    } else {
        Some(now + Duration::from_millis(period_ms - phase_ms))
    }
}

struct Latency {
    latency_ms: u64,
    jitter_ms: u64,
}

impl Stage for Latency {
    fn on_item(&mut self, mut item: Timed, out: &mut Vec<Timed>, ctx: &mut Ctx<'_>) {
        if let Item::Data(_) = item.item {
            // Toxiproxy: delay = latency + rand[-jitter, jitter).
            let mut delay_ms = self.latency_ms as i64;
            if self.jitter_ms > 0 {
                let j = self.jitter_ms as i64;
                delay_ms += ctx.rng.random_range(-j..j);
            }
            item.at += Duration::from_millis(delay_ms.max(0) as u64);
        }
        out.push(item);
    }
}

/// Pieces are released at most every 100 ms worth of bytes, like Toxiproxy.
struct Bandwidth {
    rate_bytes_per_s: u64,
    next_free: Instant,
}

impl Stage for Bandwidth {
    fn on_item(&mut self, item: Timed, out: &mut Vec<Timed>, _ctx: &mut Ctx<'_>) {
        let Item::Data(mut data) = item.item else {
            out.push(item);
            return;
        };
        if self.rate_bytes_per_s == 0 {
            out.push(Timed {
                at: item.at,
                item: Item::Data(data),
            });
            return;
        }
        let piece_max = (self.rate_bytes_per_s / 10).max(1) as usize;
        while !data.is_empty() {
            let piece = data.split_to(piece_max.min(data.len()));
            let start = self.next_free.max(item.at);
            let cost = Duration::from_secs_f64(piece.len() as f64 / self.rate_bytes_per_s as f64);
            self.next_free = start + cost;
            out.push(Timed {
                at: self.next_free,
                item: Item::Data(piece),
            });
        }
    }
}

struct SlowClose {
    delay: Duration,
}

impl Stage for SlowClose {
    fn on_item(&mut self, mut item: Timed, out: &mut Vec<Timed>, _ctx: &mut Ctx<'_>) {
        if matches!(item.item, Item::Eof | Item::Close) {
            item.at += self.delay;
        }
        out.push(item);
    }
}

struct Timeout {
    close_at: Option<Instant>,
    held: VecDeque<Timed>,
    held_bytes: usize,
}

impl Stage for Timeout {
    fn on_item(&mut self, item: Timed, _out: &mut Vec<Timed>, _ctx: &mut Ctx<'_>) {
        self.held_bytes += item.data_len();
        self.held.push_back(item);
    }
    fn deadline(&self) -> Option<Instant> {
        self.close_at
    }
    fn on_deadline(&mut self, now: Instant, out: &mut Vec<Timed>, _ctx: &mut Ctx<'_>) {
        self.close_at = None;
        self.held.clear();
        self.held_bytes = 0;
        out.push(Timed {
            at: now,
            item: Item::Close,
        });
    }
    fn held_bytes(&self) -> usize {
        self.held_bytes
    }
    fn detach(&mut self) -> Vec<Timed> {
        self.held_bytes = 0;
        self.held.drain(..).collect()
    }
}

/// Resets the connection at a time: `reset_peer`, and `flap` going down.
struct ResetAt {
    at: Option<Instant>,
}

impl Stage for ResetAt {
    fn on_item(&mut self, item: Timed, out: &mut Vec<Timed>, _ctx: &mut Ctx<'_>) {
        out.push(item);
    }
    fn deadline(&self) -> Option<Instant> {
        self.at
    }
    fn on_deadline(&mut self, _now: Instant, _out: &mut Vec<Timed>, ctx: &mut Ctx<'_>) {
        self.at = None;
        ctx.reset = true;
    }
}

struct Slicer {
    average_size: u64,
    size_variation: u64,
    delay: Duration,
    last: Instant,
}

impl Stage for Slicer {
    fn on_item(&mut self, item: Timed, out: &mut Vec<Timed>, ctx: &mut Ctx<'_>) {
        let Item::Data(mut data) = item.item else {
            out.push(item);
            return;
        };
        if self.average_size == 0 {
            out.push(Timed {
                at: item.at,
                item: Item::Data(data),
            });
            return;
        }
        let mut at = item.at.max(self.last);
        let low = self.average_size.saturating_sub(self.size_variation).max(1);
        let high = self.average_size.saturating_add(self.size_variation);
        let mut first = true;
        while !data.is_empty() {
            if !first {
                at += self.delay;
            }
            first = false;
            let size = ctx.rng.random_range(low..=high) as usize;
            let piece = data.split_to(size.min(data.len()));
            out.push(Timed {
                at,
                item: Item::Data(piece),
            });
        }
        self.last = at;
    }
}

struct LimitData {
    limit: u64,
    sent: u64,
    closed: bool,
}

impl Stage for LimitData {
    fn on_item(&mut self, item: Timed, out: &mut Vec<Timed>, _ctx: &mut Ctx<'_>) {
        if self.closed {
            return;
        }
        let Item::Data(mut data) = item.item else {
            out.push(item);
            return;
        };
        let remaining = self.limit.saturating_sub(self.sent);
        if (data.len() as u64) > remaining {
            data.truncate(remaining as usize);
        }
        self.sent += data.len() as u64;
        if !data.is_empty() {
            out.push(Timed {
                at: item.at,
                item: Item::Data(data),
            });
        }
        if self.sent >= self.limit {
            self.closed = true;
            out.push(Timed {
                at: item.at,
                item: Item::Close,
            });
        }
    }
}

struct Blackhole;

impl Stage for Blackhole {
    fn on_item(&mut self, item: Timed, out: &mut Vec<Timed>, _ctx: &mut Ctx<'_>) {
        // Data and the peer's FIN vanish; a close decided by an earlier toxic still happens.
        if let Item::Close = item.item {
            out.push(item);
        }
    }
}

/// Longest stall one segment can cause: 16 doublings of the retransmission timeout.
const LOSS_RETRIES_BOUND: u32 = 16;

struct Loss {
    probability: f64,
    retransmit: Duration,
    max_retries: u32,
    segment_size: usize,
    /// Release time of the previous segment: TCP delivers in order, so a stall blocks
    /// everything behind it.
    last: Instant,
    reset_at: Option<Instant>,
}

impl Stage for Loss {
    fn on_item(&mut self, item: Timed, out: &mut Vec<Timed>, ctx: &mut Ctx<'_>) {
        if self.reset_at.is_some() {
            return;
        }
        let Item::Data(mut data) = item.item else {
            let at = item.at.max(self.last);
            out.push(Timed {
                at,
                item: item.item,
            });
            return;
        };
        // Runs of segments released at the same instant go out as one piece.
        let mut run_len = 0usize;
        let mut run_at = item.at.max(self.last);
        let mut offset = 0usize;
        while offset < data.len() {
            let seg_len = self.segment_size.min(data.len() - offset);
            let mut losses = 0u32;
            let bound = if self.max_retries > 0 {
                self.max_retries.min(LOSS_RETRIES_BOUND)
            } else {
                LOSS_RETRIES_BOUND
            };
            while losses < bound && ctx.rng.random_bool(self.probability) {
                losses += 1;
            }
            let stall = (0..losses).fold(Duration::ZERO, |sum, i| {
                sum.saturating_add(self.retransmit.saturating_mul(1u32 << i))
            });
            if self.max_retries > 0 && losses >= self.max_retries {
                // Retries exhausted: the sender's TCP gives up and the connection dies.
                if run_len > 0 {
                    out.push(Timed {
                        at: run_at,
                        item: Item::Data(data.split_to(run_len)),
                    });
                }
                self.reset_at = Some(run_at + stall);
                return;
            }
            if stall > Duration::ZERO {
                if run_len > 0 {
                    out.push(Timed {
                        at: run_at,
                        item: Item::Data(data.split_to(run_len)),
                    });
                    offset -= run_len;
                    run_len = 0;
                }
                run_at += stall;
            }
            run_len += seg_len;
            offset += seg_len;
        }
        if run_len > 0 {
            out.push(Timed {
                at: run_at,
                item: Item::Data(data.split_to(run_len)),
            });
        }
        self.last = run_at;
    }
    fn deadline(&self) -> Option<Instant> {
        self.reset_at
    }
    fn on_deadline(&mut self, _now: Instant, _out: &mut Vec<Timed>, ctx: &mut Ctx<'_>) {
        ctx.reset = true;
    }
}

struct HttpStatus {
    toxic: Arc<ActiveToxic>,
    framer: RequestFramer,
    /// Whether the request being framed is answered by the proxy (and so not forwarded).
    dropping: bool,
}

impl HttpStatus {
    fn decide(&self, rng: &mut SmallRng) -> bool {
        let ToxicKind::HttpStatus {
            probability,
            first_n,
            ..
        } = &self.toxic.config.kind
        else {
            return false;
        };
        if *first_n > 0 {
            self.toxic.requests_seen.fetch_add(1, Ordering::Relaxed) < *first_n
        } else {
            rng.random_bool(*probability)
        }
    }
}

impl Stage for HttpStatus {
    fn on_item(&mut self, item: Timed, out: &mut Vec<Timed>, ctx: &mut Ctx<'_>) {
        let Item::Data(data) = item.item else {
            out.push(item);
            return;
        };
        let at = item.at;
        for segment in self.framer.push(data) {
            match segment {
                Segment::Head(bytes) => {
                    self.dropping = self.decide(ctx.rng);
                    if self.dropping {
                        if let ToxicKind::HttpStatus { status, body, .. } = &self.toxic.config.kind
                        {
                            ctx.reverse.push(http_response(*status, body));
                        }
                    } else {
                        out.push(Timed {
                            at,
                            item: Item::Data(bytes),
                        });
                    }
                }
                Segment::Body(_) if self.dropping => {}
                Segment::Body(bytes) | Segment::Opaque(bytes) => out.push(Timed {
                    at,
                    item: Item::Data(bytes),
                }),
            }
        }
    }
}

/// The answer of an `http_status` toxic.
pub(crate) fn http_response(status: u16, body: &str) -> Bytes {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        408 => "Request Timeout",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Injected",
    };
    Bytes::from(format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nx-faultline-toxic: http_status\r\n\r\n{body}",
        body.len()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn flap_is_down(start: Instant, now: Instant, down_ms: u64, up_ms: u64) -> bool {
        flap_next_down(start, now, down_ms, up_ms) == Some(now)
    }

    fn run(stage: &mut dyn Stage, at: Instant, data: &'static [u8]) -> Vec<Timed> {
        let mut rng = SmallRng::seed_from_u64(7);
        let mut ctx = Ctx {
            reset: false,
            reverse: Vec::new(),
            rng: &mut rng,
        };
        let mut out = Vec::new();
        stage.on_item(
            Timed {
                at,
                item: Item::Data(Bytes::from_static(data)),
            },
            &mut out,
            &mut ctx,
        );
        out
    }

    #[test]
    fn bandwidth_schedules_bytes_at_the_rate() {
        let now = Instant::now();
        let mut stage = Bandwidth {
            rate_bytes_per_s: 1000,
            next_free: now,
        };
        let out = run(&mut stage, now, &[0u8; 250]);
        // 100 bytes per piece at 1000 B/s: pieces at 100, 200, 250 ms.
        let times: Vec<u128> = out.iter().map(|t| (t.at - now).as_millis()).collect();
        assert_eq!(times, vec![100, 200, 250]);
    }

    #[test]
    fn limit_data_truncates_then_closes() {
        let now = Instant::now();
        let mut stage = LimitData {
            limit: 3,
            sent: 0,
            closed: false,
        };
        let out = run(&mut stage, now, b"hello");
        assert!(matches!(&out[0].item, Item::Data(b) if b.as_ref() == b"hel"));
        assert!(matches!(out[1].item, Item::Close));
        assert!(run(&mut stage, now, b"more").is_empty());
    }

    #[test]
    fn loss_with_certain_loss_and_retries_resets() {
        let now = Instant::now();
        let mut stage = Loss {
            probability: 1.0,
            retransmit: Duration::from_millis(200),
            max_retries: 3,
            segment_size: 4,
            last: now,
            reset_at: None,
        };
        let out = run(&mut stage, now, b"abcdefgh");
        assert!(out.is_empty());
        // 200 + 400 + 800 ms of retransmissions, then the reset.
        assert_eq!(stage.deadline(), Some(now + Duration::from_millis(1400)));
    }

    #[test]
    fn loss_without_loss_passes_in_one_piece() {
        let now = Instant::now();
        let mut stage = Loss {
            probability: 0.0,
            retransmit: Duration::from_millis(200),
            max_retries: 0,
            segment_size: 4,
            last: now,
            reset_at: None,
        };
        let out = run(&mut stage, now, b"abcdefghij");
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].data_len(), 10);
        assert_eq!(out[0].at, now);
    }

    #[test]
    fn flap_starts_down_then_cycles() {
        let start = Instant::now();
        let ms = Duration::from_millis;
        assert!(flap_is_down(start, start, 100, 200));
        assert!(flap_is_down(start, start + ms(99), 100, 200));
        assert!(!flap_is_down(start, start + ms(100), 100, 200));
        assert_eq!(
            flap_next_down(start, start + ms(150), 100, 200),
            Some(start + ms(300))
        );
        assert_eq!(flap_next_down(start, start + ms(150), 0, 200), None);
    }

    #[test]
    fn slicer_cuts_into_average_sized_pieces_with_delay() {
        let now = Instant::now();
        let mut stage = Slicer {
            average_size: 2,
            size_variation: 0,
            delay: Duration::from_micros(10),
            last: now,
        };
        let out = run(&mut stage, now, b"abcdef");
        assert_eq!(out.len(), 3);
        assert_eq!(out[2].at - now, Duration::from_micros(20));
    }
}
