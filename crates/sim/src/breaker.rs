//! Circuit breakers: closed, open, and half-open with one trial call.
//!
//! A breaker sits on one caller instance's calls to one dependency. Closed, it counts
//! ok and failed attempts over a sliding window and opens when the failed share
//! reaches `failure_ratio` over at least `min_calls`. Open, it fails calls at once for
//! `open_for`. Then it is half-open: the next call goes through as the one trial
//! (the spec: "before letting a trial call through") while the others still fail at
//! once; the trial's success closes the breaker with a fresh window, its failure opens
//! it for another `open_for`. A dependency that stays down therefore sees one call per
//! `open_for` (plus the trial's own time to fail) from each caller instance, not a
//! burst of `min_calls`.

use crate::sim::Simulation;
use crate::world::{Kind, WindowCounts};

/// One breaker's state.
#[derive(Debug, Clone, Copy, Default)]
pub struct Breaker {
    /// Ok (first) and failed (second) attempts over the window, while closed.
    pub calls: WindowCounts,
    /// While open: when it turns half-open.
    pub open_until_us: u64,
    /// Open or half-open (not closed).
    tripped: bool,
    /// The half-open trial in flight: (call, generation, attempt).
    trial: Option<(u32, u32, u32)>,
}

impl Simulation {
    /// Whether the breaker of node `n` toward dependency `dep` lets the current
    /// attempt of `call` through; a half-open breaker makes it the trial.
    pub(crate) fn breaker_admits(&mut self, call: u32, n: u32, dep: u16) -> bool {
        let now = self.now;
        let c = &self.calls[call as usize];
        let me = (call, c.gen, c.attempt);
        let b = &self.nodes[n as usize].deps[dep as usize].breaker;
        if !b.tripped {
            return true;
        }
        if now < b.open_until_us {
            let left = (b.open_until_us - now) as f64;
            self.decide("breaker.reject", true, left);
            return false;
        }
        let trial_in_flight = b.trial.is_some_and(|(tc, gen, attempt)| {
            let t = &self.calls[tc as usize];
            t.gen == gen && t.attempt == attempt
        });
        if trial_in_flight {
            self.decide("breaker.reject", true, 0.0);
            return false;
        }
        self.nodes[n as usize].deps[dep as usize].breaker.trial = Some(me);
        true
    }

    /// Counts the outcome of an attempt of `call` by node `n` toward `dep`: may open
    /// the breaker, or close or re-open a half-open one.
    pub(crate) fn breaker_record(&mut self, n: u32, dep: u16, call: u32, ok: bool) {
        let comp = self.nodes[n as usize].comp as usize;
        let Kind::Service(svc) = &self.comps[comp].kind else {
            return;
        };
        let Some(cfg) = svc.breaker else { return };
        let now = self.now;
        let c = &self.calls[call as usize];
        let me = (call, c.gen, c.attempt);
        let b = &mut self.nodes[n as usize].deps[dep as usize].breaker;
        if b.tripped {
            // Attempts let through before the breaker opened end while it is open:
            // only the trial's outcome moves a tripped breaker.
            if b.trial != Some(me) {
                return;
            }
            b.trial = None;
            if ok {
                b.tripped = false;
                b.calls.clear();
            } else {
                b.open_until_us = now + cfg.open_for_us;
            }
            self.decide("breaker.trial", ok, 0.0);
            return;
        }
        let sub = (cfg.window_us / 10).max(1);
        b.calls.add(now / sub, !ok);
        let (succeeded, failed) = b.calls.totals();
        let total = succeeded + failed;
        if !ok && total >= u64::from(cfg.min_calls) {
            let ratio = failed as f64 / total as f64;
            let opens = ratio >= cfg.failure_ratio;
            if opens {
                b.tripped = true;
                b.open_until_us = now + cfg.open_for_us;
                b.calls.clear();
            }
            self.decide("breaker.open", opens, ratio - cfg.failure_ratio);
        }
    }
}
