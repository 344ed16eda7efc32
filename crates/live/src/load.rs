//! The load generator: open model (arrivals at a rate, whatever the answers) and
//! closed model (virtual users with think time), following the workload's stages.
//!
//! Latency always runs from an operation's *intended* start: the arrival time drawn
//! for it (open) or the end of the user's think time (closed). A stalled generator or
//! a full pool therefore shows up as latency instead of hiding (no coordinated
//! omission). Memory stays bounded: operations are counted into 100 ms buckets with
//! histograms; only writes are kept, in the ledger file.
//!
//! With `workload.sessions`, a virtual user (closed model) or one of the open model's
//! client slots keeps its keys ([`faultline_spec::session`], as in the simulator)
//! and its own connection for a session's operations; the next session draws new
//! keys and connects afresh.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use faultline_record::{Checksum, FailureClass, LedgerEntry, OpKind, WriteOutcome};
use faultline_spec::session::{KeySource, SessionKeys, SessionShape, OPEN_MODEL_CLIENT_SLOTS};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use tokio::sync::Notify;

use crate::keys::{key_name, value_for, KeyChooser};
use crate::sink::Sink;
use crate::target::{SessionId, Target};
use faultline_spec::profile::Profile;

/// Bits of a write id left for the user or sequence number under the intended start.
const ID_SEQ_BITS: u32 = 16;

/// Most arrivals the open-model dispatcher starts in one wake-up, so that a long
/// stall cannot make it spawn an unbounded burst before it looks at the clock again.
const MAX_BATCH: usize = 50_000;

/// Everything an operation needs.
pub struct LoadContext {
    /// The run's shared state.
    pub sink: Arc<Sink>,
    /// The target driven.
    pub target: Arc<Target>,
    /// Share of writes in `[0, 1]`.
    pub write_share: f64,
    /// Key choice.
    pub keys: KeyChooser,
    /// `workload.sessions`, if the workload has them.
    pub sessions: Option<SessionShape>,
    /// Client-side timeout of one operation.
    pub timeout: Duration,
    /// Think time of a virtual user (closed model), drawn anew after each answer;
    /// `None`: no pause.
    pub think: Option<faultline_spec::Distribution>,
    /// The load level over time.
    pub profile: Profile,
    /// Seed of key and operation choices.
    pub seed: u64,
    /// Open or closed model.
    pub model: faultline_spec::LoadModel,
    /// The load stops at this run time (lowered when the run must end early).
    pub end_us: AtomicU64,
    /// Set when the load must stop at once.
    pub stopped: AtomicBool,
    /// Operations in flight.
    pub in_flight: AtomicUsize,
    /// Notified when an operation ends.
    pub idle: Notify,
}

impl LoadContext {
    fn running(&self, t_us: u64) -> bool {
        !self.stopped.load(Ordering::Relaxed) && t_us < self.end_us.load(Ordering::Relaxed)
    }

    /// The next operation's kind, key and session (when the workload has sessions,
    /// `slot` is the user's or client slot's).
    fn pick(
        &self,
        rng: &mut SmallRng,
        slot: Option<&mut SessionSlot>,
    ) -> (OpKind, u64, Option<SessionId>) {
        let kind = if rng.random::<f64>() < self.write_share {
            OpKind::Write
        } else {
            OpKind::Read
        };
        match slot {
            Some(slot) => {
                let mut source = LiveKeys {
                    chooser: &self.keys,
                    rng,
                };
                let (key, session) = slot.next(&mut source);
                (kind, key, Some(session))
            }
            None => (kind, self.keys.pick(rng), None),
        }
    }

    /// A session slot per user or client slot, when the workload has sessions.
    fn session_slot(&self, slot: u64) -> Option<SessionSlot> {
        self.sessions.map(|shape| SessionSlot {
            slot,
            shape,
            keys: SessionKeys::ended(&shape),
            started: 0,
        })
    }

    /// Waits until no operation is in flight, or `wait` passed; returns how many are
    /// still in flight.
    pub async fn drain(&self, wait: Duration) -> usize {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let notified = self.idle.notified();
            let n = self.in_flight.load(Ordering::Acquire);
            if n == 0 || tokio::time::Instant::now() >= deadline {
                return n;
            }
            let _ = tokio::time::timeout_at(deadline, notified).await;
        }
    }
}

/// The live key chooser and generator, as a session's key source.
struct LiveKeys<'a> {
    chooser: &'a KeyChooser,
    rng: &'a mut SmallRng,
}

impl KeySource for LiveKeys<'_> {
    fn draw(&mut self) -> u64 {
        self.chooser.pick(self.rng)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.rng.random_range(0..n)
    }
}

/// The sessions of one user or client slot.
struct SessionSlot {
    slot: u64,
    shape: SessionShape,
    keys: SessionKeys,
    /// Sessions started on this slot so far.
    started: u64,
}

impl SessionSlot {
    /// The key of the slot's next operation and the session it belongs to.
    fn next(&mut self, source: &mut LiveKeys) -> (u64, SessionId) {
        let (key, new_session) = self.keys.next_key(&self.shape, source);
        if new_session {
            self.started += 1;
        }
        let session = SessionId {
            slot: self.slot,
            number: self.started,
        };
        (key, session)
    }
}

/// Runs one operation and records it.
async fn operation(
    ctx: Arc<LoadContext>,
    kind: OpKind,
    key_index: u64,
    session: Option<SessionId>,
    t_intended_us: u64,
    id: u64,
) {
    let key = key_name(ctx.target.key_prefix(), key_index);
    match kind {
        OpKind::Write => {
            let value = value_for(id, &key);
            let result = ctx
                .target
                .write(&key, id, &value, ctx.timeout, session)
                .await;
            let t_end = ctx.sink.now_us();
            ctx.sink.op_finished(kind, t_intended_us, t_end, result);
            let outcome = match result {
                Ok(()) => WriteOutcome::Acked,
                Err(
                    FailureClass::Refused | FailureClass::PoolExhausted | FailureClass::ServerError,
                ) => WriteOutcome::Failed,
                Err(_) => WriteOutcome::Indeterminate,
            };
            ctx.sink.write_done(LedgerEntry {
                id,
                key,
                checksum: Checksum::of(value.as_bytes()),
                t_intended_us,
                t_ack_us: result.is_ok().then_some(t_end),
                outcome,
            });
        }
        OpKind::Read => {
            let result = ctx.target.read_check(&key, ctx.timeout, session).await;
            let t_end = ctx.sink.now_us();
            ctx.sink.op_finished(kind, t_intended_us, t_end, result);
        }
    }
    if ctx.in_flight.fetch_sub(1, Ordering::AcqRel) == 1 {
        ctx.idle.notify_waiters();
    }
}

async fn sleep_until_us(ctx: &LoadContext, t_us: u64) {
    let when = ctx.sink.start() + Duration::from_micros(t_us);
    tokio::time::sleep_until(tokio::time::Instant::from_std(when)).await;
}

/// Open model: Poisson arrivals at the profile's rate; each arrival becomes a task.
pub async fn open_model(ctx: Arc<LoadContext>) {
    let mut rng = SmallRng::seed_from_u64(ctx.seed);
    let mut t_next = 0u64;
    let mut last_id = 0u64;
    let mut slots: Vec<SessionSlot> = (0..u64::from(OPEN_MODEL_CLIENT_SLOTS))
        .map_while(|slot| ctx.session_slot(slot))
        .collect();
    let mut arrivals = 0usize;
    loop {
        // Advance over periods without load, then draw the next gap at today's rate.
        let rate = ctx.profile.level_at(t_next);
        if rate <= 0.0 {
            t_next += 10_000;
            if t_next >= ctx.profile.total_us() || !ctx.running(t_next) {
                return;
            }
            continue;
        }
        if !ctx.running(t_next) {
            return;
        }
        let now = ctx.sink.now_us();
        if t_next > now {
            sleep_until_us(&ctx, t_next).await;
            continue;
        }
        let mut batch = 0;
        while t_next <= now && batch < MAX_BATCH && ctx.running(t_next) {
            let slot = (!slots.is_empty()).then(|| arrivals % slots.len());
            arrivals = arrivals.wrapping_add(1);
            let (kind, key, session) = ctx.pick(&mut rng, slot.map(|i| &mut slots[i]));
            let id = (last_id + 1).max(t_next << ID_SEQ_BITS);
            last_id = id;
            ctx.sink.op_started(kind, t_next);
            ctx.in_flight.fetch_add(1, Ordering::AcqRel);
            tokio::spawn(operation(ctx.clone(), kind, key, session, t_next, id));
            let rate = ctx.profile.level_at(t_next).max(1e-3);
            let gap_s = -(1.0 - rng.random::<f64>()).ln() / rate;
            t_next += (gap_s * 1e6).round().max(1.0) as u64;
            batch += 1;
        }
        if batch == MAX_BATCH {
            tokio::task::yield_now().await;
        }
    }
}

/// Closed model: virtual users, each waiting for its answer and its think time; users
/// join and leave as the profile's level changes.
pub async fn closed_model(ctx: Arc<LoadContext>) {
    let peak_users = ctx
        .profile
        .max_level_between(0, ctx.profile.total_us())
        .round() as u64;
    let max_users = peak_users.min(1 << ID_SEQ_BITS);
    let mut users = Vec::new();
    for user in 0..max_users {
        users.push(tokio::spawn(virtual_user(ctx.clone(), user)));
    }
    for u in users {
        let _ = u.await;
    }
}

async fn virtual_user(ctx: Arc<LoadContext>, user: u64) {
    let mut rng = SmallRng::seed_from_u64(ctx.seed ^ (user.wrapping_mul(0x9e37_79b9_7f4a_7c15)));
    let mut intended: Option<u64> = None;
    let mut sessions = ctx.session_slot(user);
    loop {
        let now = ctx.sink.now_us();
        if !ctx.running(now) {
            return;
        }
        let level = ctx.profile.level_at(now).round() as u64;
        if user >= level {
            // A user who leaves ends its session; one who joins later starts anew.
            if let Some(slot) = &mut sessions {
                slot.keys.end(&slot.shape);
            }
            intended = None;
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        }
        let t_intended = match intended {
            Some(t) if t > now => {
                sleep_until_us(&ctx, t).await;
                t
            }
            Some(t) => t,
            // A user that just joined starts within its first (mean) think time, so
            // that a step of many users does not arrive as one burst.
            None => {
                let spread = ctx.think.as_ref().map_or(0.0, |t| t.mean_us()) as u64;
                let t = now
                    + if spread > 0 {
                        rng.random_range(0..spread)
                    } else {
                        0
                    };
                intended = Some(t);
                continue;
            }
        };
        if !ctx.running(t_intended) {
            return;
        }
        let (kind, key, session) = ctx.pick(&mut rng, sessions.as_mut());
        let id = (t_intended << ID_SEQ_BITS) | user;
        ctx.sink.op_started(kind, t_intended);
        ctx.in_flight.fetch_add(1, Ordering::AcqRel);
        operation(ctx.clone(), kind, key, session, t_intended, id).await;
        let think_us = ctx
            .think
            .as_ref()
            .map_or(0.0, |t| t.draw_us(&mut || rng.random::<f64>()));
        intended = Some(ctx.sink.now_us() + think_us.round() as u64);
    }
}
