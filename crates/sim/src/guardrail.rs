//! Guardrails: stop the run early when its impact passes a declared limit, with the
//! live engine's rule (`faultline_analyze::guardrail`, which both engines call) and
//! record markers.
//!
//! Every 100 ms tick the client operations finished in the whole seconds
//! `[now_s - (window_s - 1), now_s]` (the current second included, as the live sink
//! counts them) are checked: the error rate, once at least
//! [`faultline_analyze::guardrail::MIN_OPS`] finished, and
//! the p99 latency from the intended start. The first limit passed writes a
//! `guardrail` marker (`guardrail:max_error_rate` / `guardrail:max_p99_latency`) and
//! stops the load at once: no new operation starts, in-flight ones drain (up to the
//! client timeout), then every active fault is rolled back and the record is finished
//! `aborted` with the reason `guardrail: <detail>`. `max_duration` shorter than the
//! stages ends the load there with the `guardrail:max_duration` marker.

use std::collections::VecDeque;

use faultline_analyze::guardrail::{judge_guardrails, window_s, GuardrailTrip};
use faultline_record::{MarkerKind, RunStatus};
use faultline_spec::Guardrails;

use crate::sim::Simulation;

/// Latency cells: exact below 32 µs, then 32 per octave (at most 3% wide), up to
/// 2^64 µs.
const SUB: usize = 32;
const CELLS: usize = SUB + (64 - 5) * SUB;

fn cell_of(latency_us: u64) -> usize {
    if latency_us < SUB as u64 {
        return latency_us as usize;
    }
    let exp = 63 - latency_us.leading_zeros() as usize;
    let sub = ((latency_us >> (exp - 5)) as usize) & (SUB - 1);
    SUB + (exp - 5) * SUB + sub
}

/// The highest latency a cell holds (what the live histogram reports for a quantile).
fn cell_upper_us(cell: usize) -> u64 {
    if cell < SUB {
        return cell as u64;
    }
    let (exp, sub) = ((cell - SUB) / SUB + 5, (cell - SUB) % SUB);
    let width = 1u64 << (exp - 5);
    ((SUB + sub) as u64 * width).saturating_add(width - 1)
}

/// Client operations that finished in one second.
#[derive(Debug, Clone)]
struct Second {
    second: u64,
    ok: u64,
    failed: u64,
    /// Latency cells (empty when no p99 limit is set).
    cells: Vec<u32>,
}

/// The guardrails of a run and what they watch.
#[derive(Debug, Clone)]
pub struct Guard {
    config: Guardrails,
    window_s: u64,
    stages_end_us: u64,
    seconds: VecDeque<Second>,
    ok: u64,
    failed: u64,
    cells: Vec<u64>,
    spare_cells: Vec<Vec<u32>>,
    /// Why the run was aborted, once it was: `guardrail: <detail>`.
    pub abort_reason: Option<String>,
}

impl Guard {
    /// The guard of `config` for stages lasting `stages_end_us`.
    pub fn new(config: &Guardrails, stages_end_us: u64) -> Self {
        Self {
            config: config.clone(),
            window_s: window_s(config),
            stages_end_us,
            seconds: VecDeque::new(),
            ok: 0,
            failed: 0,
            cells: if config.max_p99_latency.is_some() {
                vec![0; CELLS]
            } else {
                Vec::new()
            },
            spare_cells: Vec::new(),
            abort_reason: None,
        }
    }

    /// When the load stops at the latest: the stages' end or `max_duration`.
    pub fn load_end_us(&self) -> u64 {
        self.config
            .max_duration
            .map_or(self.stages_end_us, |m| m.micros.min(self.stages_end_us))
    }

    fn watches(&self) -> bool {
        self.config.max_error_rate.is_some() || self.config.max_p99_latency.is_some()
    }

    /// Counts a client operation that finished at `now_us`.
    #[inline]
    pub fn record(&mut self, now_us: u64, ok: bool, latency_us: u64) {
        if !self.watches() {
            return;
        }
        let second = now_us / 1_000_000;
        self.forget_before(second);
        if self.seconds.back().is_none_or(|s| s.second < second) {
            let cells = if self.cells.is_empty() {
                Vec::new()
            } else {
                self.spare_cells.pop().unwrap_or_else(|| vec![0; CELLS])
            };
            self.seconds.push_back(Second {
                second,
                ok: 0,
                failed: 0,
                cells,
            });
        }
        let s = self.seconds.back_mut().expect("a second was just pushed");
        if ok {
            s.ok += 1;
            self.ok += 1;
        } else {
            s.failed += 1;
            self.failed += 1;
        }
        if !s.cells.is_empty() {
            let cell = cell_of(latency_us);
            s.cells[cell] += 1;
            self.cells[cell] += 1;
        }
    }

    /// Drops the seconds that left the window ending with second `now_s`.
    fn forget_before(&mut self, now_s: u64) {
        let first = now_s.saturating_sub(self.window_s - 1);
        while self.seconds.front().is_some_and(|s| s.second < first) {
            let mut s = self.seconds.pop_front().expect("front exists");
            self.ok -= s.ok;
            self.failed -= s.failed;
            if !s.cells.is_empty() {
                for (sum, c) in self.cells.iter_mut().zip(s.cells.iter_mut()) {
                    *sum -= u64::from(*c);
                    *c = 0;
                }
                self.spare_cells.push(s.cells);
            }
        }
    }

    /// The p99 latency over the window (the highest value of its cell), if any
    /// operation finished.
    fn p99_us(&self) -> Option<u64> {
        let total: u64 = self.ok + self.failed;
        if total == 0 || self.cells.is_empty() {
            return None;
        }
        let rank = ((total as f64 * 0.99).ceil() as u64).max(1);
        let mut seen = 0;
        for (cell, &n) in self.cells.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return Some(cell_upper_us(cell));
            }
        }
        Some(cell_upper_us(CELLS - 1))
    }

    /// The limit passed at `now_us`, if any.
    pub fn check(&mut self, now_us: u64) -> Option<GuardrailTrip> {
        if !self.watches() || self.abort_reason.is_some() {
            return None;
        }
        self.forget_before(now_us / 1_000_000);
        let (ok, failed) = (self.ok, self.failed);
        judge_guardrails(&self.config, self.window_s, ok, failed, || self.p99_us())
    }
}

impl Simulation {
    /// Checks the guardrails (every tick while the load runs); a limit passed aborts
    /// the run.
    pub(crate) fn check_guardrails(&mut self) {
        let Some(guard) = &mut self.guard else { return };
        if let Some(trip) = guard.check(self.now) {
            guard.abort_reason = Some(format!("guardrail: {}", trip.detail));
            self.mark(MarkerKind::Guardrail, trip.source, None, Some(trip.detail));
            // The load stops now; `end` drains and the end of the run rolls back.
            self.end_us = self.now;
            self.end();
        }
    }

    /// At the end of the load: `max_duration` shorter than the stages ends the run as
    /// a guardrail (the live engine's marker and reason).
    pub(crate) fn guardrail_at_load_end(&mut self) {
        let Some(guard) = &mut self.guard else { return };
        let Some(max) = guard.config.max_duration else {
            return;
        };
        let m = max.micros;
        if guard.abort_reason.is_some() || m >= guard.stages_end_us || self.now + 50_000 < m {
            return;
        }
        guard.abort_reason = Some("guardrail: max_duration reached".into());
        self.mark(
            MarkerKind::Guardrail,
            "guardrail:max_duration",
            None,
            Some(format!(
                "the run reached guardrails.max_duration ({} s)",
                m / 1_000_000
            )),
        );
    }

    /// How the run ended: completed, or aborted with the reason.
    pub(crate) fn run_status(&self) -> (RunStatus, Option<String>) {
        let guard_reason = self.guard.as_ref().and_then(|g| g.abort_reason.clone());
        match guard_reason.or_else(|| self.steady.refusal.clone()) {
            Some(reason) => (RunStatus::Aborted, Some(reason)),
            None => (RunStatus::Completed, None),
        }
    }

    /// Why the run was aborted (a guardrail, or an unsteady baseline), if it was.
    pub fn abort_reason(&self) -> Option<&str> {
        self.guard
            .as_ref()
            .and_then(|g| g.abort_reason.as_deref())
            .or(self.steady.refusal.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_cover_every_latency_within_three_percent() {
        for v in [
            0,
            1,
            31,
            32,
            33,
            63,
            64,
            1000,
            123_456,
            10_000_000,
            u64::MAX / 3,
        ] {
            let cell = cell_of(v);
            assert!(cell < CELLS);
            let upper = cell_upper_us(cell);
            assert!(upper >= v, "{v} in a cell up to {upper}");
            assert!(upper as f64 <= v as f64 * 1.032 + 1.0, "{v}: {upper}");
            if cell > 0 {
                assert!(
                    cell_upper_us(cell - 1) < v,
                    "{v} belongs to an earlier cell"
                );
            }
        }
    }

    fn guard(text: &str) -> Guard {
        let g: Guardrails = serde_json::from_str(text).unwrap();
        Guard::new(&g, 600_000_000)
    }

    #[test]
    fn error_rate_trips_over_the_window_once_enough_operations_finished() {
        let mut g = guard(r#"{ "max_error_rate": "10%", "window": "5s" }"#);
        for i in 0..19 {
            g.record(1_000_000 + i, false, 1000);
        }
        assert!(g.check(1_100_000).is_none(), "19 operations are too few");
        for i in 0..80 {
            g.record(2_000_000 + i, true, 1000);
        }
        let trip = g.check(2_100_000).expect("19 of 99 failed");
        assert_eq!(trip.source, "guardrail:max_error_rate");
        assert_eq!(
            trip.detail,
            "error rate 19.2% over the last 5 s passed max_error_rate 10%"
        );
        // Second 1 leaves the 5 s window at second 6.
        assert!(g.check(6_000_000).is_none());
    }

    #[test]
    fn p99_trips_when_the_slowest_percent_passes_the_limit() {
        let mut g = guard(r#"{ "max_p99_latency": "100ms" }"#);
        for i in 0..99 {
            g.record(i, true, 10_000);
        }
        g.record(99, true, 500_000);
        assert!(g.check(200).is_none(), "the 99th of 100 is fast");
        g.record(100, true, 500_000);
        let trip = g.check(200).expect("the 100th of 101 is slow");
        assert_eq!(trip.source, "guardrail:max_p99_latency");
    }
}
