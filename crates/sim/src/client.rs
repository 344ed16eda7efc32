//! Clients: virtual users (closed model) and Poisson arrivals (open model), keys, and
//! the write ledger.

use faultline_record::{FailureClass, LedgerEntry, OpKind, WriteOutcome};
use faultline_spec::Keys;

use crate::rng::SimRng;
use crate::sim::{Caller, Parent, Simulation, User};
use crate::world::{Conn, NONE};

/// How keys are drawn.
#[derive(Debug, Clone, Copy)]
pub struct KeyDist {
    count: u64,
    hot_share: f64,
    hot_keys: u64,
    zipf: Option<f64>,
}

impl KeyDist {
    /// From the workload's `keys`.
    pub fn new(keys: &Keys) -> Self {
        Self {
            count: keys.count.max(1),
            hot_share: keys.hotspot.as_ref().map_or(0.0, |h| h.share.value),
            hot_keys: keys.hotspot.as_ref().map_or(0, |h| h.keys.max(1)),
            zipf: keys.zipf.filter(|s| *s > 0.0),
        }
    }

    /// One key number in `[0, count)`; hot keys are the first `hot_keys`.
    #[inline]
    pub fn draw(&self, rng: &mut SimRng) -> u64 {
        if self.hot_keys > 0 && rng.chance(self.hot_share) {
            return rng.below(self.hot_keys.min(self.count));
        }
        let rest = self.count.saturating_sub(self.hot_keys).max(1);
        let base = if self.hot_keys < self.count {
            self.hot_keys
        } else {
            0
        };
        match self.zipf {
            None => base + rng.below(rest),
            Some(s) => {
                // Continuous inverse-CDF approximation of a Zipf law over `rest` ranks.
                let n = rest as f64;
                let u = rng.unit();
                let rank = if (s - 1.0).abs() < 1e-9 {
                    n.powf(u)
                } else {
                    ((n.powf(1.0 - s) - 1.0) * u + 1.0).powf(1.0 / (1.0 - s))
                };
                base + ((rank as u64).saturating_sub(1)).min(rest - 1)
            }
        }
    }
}

impl Simulation {
    /// A new virtual user or open-model client slot, idle, with its own DNS cache:
    /// it keeps answers past their TTL with the chance its DNS record's
    /// `clients_ignoring_ttl` gives.
    pub(crate) fn add_client_slot(&mut self) -> u32 {
        let share = self.ignoring_share_for(self.target);
        let ignores = self.rng.chance(share);
        self.users.push(User {
            active: false,
            retiring: false,
            busy: false,
            conn: Conn::new(ignores),
        });
        (self.users.len() - 1) as u32
    }

    /// Brings the number of active virtual users to the profile's level.
    pub(crate) fn adjust_users(&mut self) {
        let target = self.profile.level_at(self.now).floor() as u32;
        while self.active_users < target {
            let u = match self.idle_users.pop() {
                Some(u) => {
                    if let Some(sessions) = &mut self.sessions {
                        sessions.restart(u);
                    }
                    u
                }
                None => self.add_client_slot(),
            };
            let user = &mut self.users[u as usize];
            let was_retiring = user.active && user.retiring;
            user.active = true;
            user.retiring = false;
            self.active_users += 1;
            if !was_retiring && !user.busy {
                // Spread new users over the next 100 ms.
                let offset = self.rng.below(faultline_record::BUCKET_US);
                self.q
                    .push(self.now + offset, crate::event::Ev::UserWake(u));
            }
        }
        if self.active_users > target {
            let mut surplus = self.active_users - target;
            for u in (0..self.users.len()).rev() {
                if surplus == 0 {
                    break;
                }
                let user = &mut self.users[u];
                if user.active && !user.retiring {
                    user.retiring = true;
                    surplus -= 1;
                    self.active_users -= 1;
                }
            }
        }
    }

    /// The profile's level now ([`Profile::level_at`]), remembering the segment it
    /// falls in: arrivals ask for it at every operation.
    ///
    /// [`Profile::level_at`]: faultline_spec::profile::Profile::level_at
    #[inline]
    pub(crate) fn level_now(&mut self) -> f64 {
        let now = self.now;
        let (start_us, end_us, from, to) = self.segment_cache;
        if now >= start_us && now < end_us {
            if from == to {
                return from;
            }
            let progress = (now - start_us) as f64 / (end_us - start_us) as f64;
            return from + (to - from) * progress;
        }
        let segments = self.profile.segments();
        let index = segments.partition_point(|s| s.end_us <= now);
        if let Some(s) = segments.get(index) {
            if s.start_us <= now && s.end_us > s.start_us {
                self.segment_cache = (s.start_us, s.end_us, s.from, s.to);
            }
        }
        self.profile.level_at(now)
    }

    /// A virtual user's next operation is due.
    pub(crate) fn user_wake(&mut self, u: u32) {
        let user = &mut self.users[u as usize];
        if user.busy || !user.active {
            return;
        }
        if user.retiring {
            user.active = false;
            user.retiring = false;
            if !self.draining {
                self.idle_users.push(u);
            }
            return;
        }
        user.busy = true;
        self.start_client_op(u, Parent::Client(u));
    }

    /// The next open-model arrival.
    #[inline]
    pub(crate) fn arrival(&mut self) {
        if self.draining {
            return;
        }
        let rate_per_s = self.level_now();
        let slot = crate::world::rem(
            u64::from(self.open_rr),
            u64::from(self.users.len().max(1) as u32),
        ) as u32;
        self.open_rr = self.open_rr.wrapping_add(1);
        if rate_per_s > 0.0 {
            self.start_client_op(slot, Parent::Client(NONE));
            // The same division as `1e6 / rate`, done again only when the rate changes.
            if rate_per_s != self.gap_cache.0 {
                self.gap_cache = (rate_per_s, 1e6 / rate_per_s);
            }
            // The gaps add up to the fraction of a microsecond, and arrivals may share
            // one: cutting each gap to whole microseconds (at least 1) shortened the
            // mean gap by about half a microsecond (too many arrivals: see docs/sim.md)
            // and capped the rate at 1 000 000/s.
            self.arrival_exact_us += self.rng.exponential(self.gap_cache.1);
            let at_us = crate::world::whole_us(self.arrival_exact_us).max(self.now);
            self.q.push_chain(at_us, crate::event::Ev::Arrival);
        } else {
            let at_us = self.now + faultline_record::BUCKET_US;
            self.arrival_exact_us = at_us as f64;
            self.q.push_chain(at_us, crate::event::Ev::Arrival);
        }
    }

    #[inline]
    fn start_client_op(&mut self, slot: u32, parent: Parent) {
        let op = if self.rng.chance(self.write_share) {
            OpKind::Write
        } else {
            OpKind::Read
        };
        let key = match &mut self.sessions {
            Some(sessions) => sessions.next_key(slot, &self.keys, &mut self.rng),
            None => self.keys.draw(&mut self.rng),
        };
        let write_id = if op == OpKind::Write {
            let id = self.next_write_id;
            self.next_write_id += 1;
            if self.ledger_db.is_some() {
                self.written_keys.push(key);
                if self.written_keys.len() > 1 << 20 {
                    self.written_keys.sort_unstable();
                    self.written_keys.dedup();
                }
            }
            id
        } else {
            0
        };
        self.requests += 1;
        self.client_ops += 1;
        self.in_flight_ops += 1;
        if let (Some(rec), Some(s)) = (&mut self.rec, self.client_series) {
            rec.op_started(s, op, self.now);
        }
        self.steady.started(self.now);
        let timeout_us = self.client_timeout_us;
        let call = self.new_call(
            parent,
            Caller::User(slot),
            self.target,
            op,
            key,
            write_id,
            self.now,
            timeout_us,
        );
        self.start_attempt(call);
    }

    /// A client operation ended. `user` is the virtual user waiting for it (`NONE` in
    /// the open model), `slot` the user or client slot that made it.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub(crate) fn finish_client(
        &mut self,
        user: u32,
        slot: u32,
        op: OpKind,
        key: u64,
        write_id: u64,
        t_start: u64,
        outcome: Result<(), FailureClass>,
    ) {
        self.in_flight_ops -= 1;
        if let (Some(rec), Some(s)) = (&mut self.rec, self.client_series) {
            rec.op_finished(s, op, t_start, self.now, outcome);
        }
        // Progress reads the clients' rate and errors, no alert their latency.
        self.client_window.count(outcome.is_ok());
        if let Some(guard) = &mut self.guard {
            guard.record(self.now, outcome.is_ok(), self.now - t_start);
        }
        if self.first_fault_us.is_none() {
            self.steady.record(self.now, outcome.is_ok());
        }
        if let Some(sessions) = &mut self.sessions {
            if matches!(
                outcome,
                Err(FailureClass::Refused | FailureClass::Reset | FailureClass::Timeout)
            ) {
                sessions.broken(slot);
            }
        }
        if op == OpKind::Write && self.ledger_db.is_some() {
            let entry = LedgerEntry {
                id: write_id,
                key: crate::db::key_name(key),
                checksum: faultline_record::Checksum(crate::db::value_checksum(write_id, key)),
                t_intended_us: t_start,
                t_ack_us: outcome.is_ok().then_some(self.now),
                outcome: match outcome {
                    Ok(()) => WriteOutcome::Acked,
                    Err(FailureClass::Timeout | FailureClass::Reset | FailureClass::Other) => {
                        WriteOutcome::Indeterminate
                    }
                    Err(_) => WriteOutcome::Failed,
                },
            };
            if let Some(rec) = &mut self.rec {
                if let Err(e) = rec.ledger(&entry) {
                    self.write_error = Some(e);
                }
            }
        }
        if user != NONE {
            let u = &mut self.users[user as usize];
            u.busy = false;
            // A user starts at most one operation per microsecond, the clock's
            // resolution. Network time is zero, so an operation refused at once (a dead
            // node, a full queue, a balancer with no healthy instance) answers in the
            // instant it started; with no think time the user would start the next in
            // that same instant, for ever, and the clock would never move again. An
            // operation that took any time is not affected.
            let think_us_least = (t_start + 1).saturating_sub(self.now);
            match self.think {
                // A fixed think time is a timer of one length: no heap.
                Some(crate::rng::Sampler::Fixed(_)) | None => {
                    let think_us = self.think.map_or(0, |t| t.sample_us(&mut self.rng));
                    self.q.push_timer(
                        self.now,
                        think_us.max(think_us_least),
                        crate::event::Ev::UserWake(user),
                    );
                }
                Some(t) => {
                    let think_us = t.sample_us(&mut self.rng).max(think_us_least);
                    self.q
                        .push(self.now + think_us, crate::event::Ev::UserWake(user));
                }
            }
        }
    }
}
