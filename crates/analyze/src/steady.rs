//! The steady-state check of the baseline (PRODUCT.md's lifecycle, step 2): a system
//! that already fails, swings or falls behind its load before the fault gives no
//! meaningful recovery figures.
//!
//! Falling behind is the one an open-model load hides: offered more than it can finish,
//! with a long client timeout, a system completes its capacity every second without an
//! error or a swing while the operations waiting for it pile up. The check compares the
//! operations started in the later half of the baseline's seconds (by intended start)
//! with those that finished in them: their difference is how much the operations in
//! flight grew, which is about nothing for a system that keeps up once the first
//! operations of the run have had their latency's time to finish (the earlier half).
//! In the closed model users wait for their answers, so the load cannot outrun the
//! system, and the check does not apply.
//!
//! Both engines call [`judge_steady`] before the first fault and stop the run when the
//! baseline is not steady; the analyzer calls it again on the record, so the verdict
//! says the same thing for a run that was not stopped (a record from an older run, or
//! a check turned off).
//!
//! ```
//! use faultline_analyze::steady::{judge_steady, SteadyLimits, SteadySecond};
//! let limits = SteadyLimits::open_model();
//! let calm: Vec<_> = (0..30)
//!     .map(|_| SteadySecond { started: 100, ok: 100, failed: 0, level: 10.0 })
//!     .collect();
//! assert_eq!(judge_steady(&calm, &limits).steady, Some(true));
//! let mut swinging = calm.clone();
//! for s in swinging.iter_mut().step_by(3) {
//!     s.ok = 20;
//! }
//! assert_eq!(judge_steady(&swinging, &limits).steady, Some(false));
//! let mut behind = calm.clone();
//! for s in behind.iter_mut() {
//!     s.started = 1_000;
//! }
//! assert_eq!(judge_steady(&behind, &limits).steady, Some(false));
//! ```

use faultline_spec::{LoadModel, SteadyState};

use crate::summary::round6;

/// Default highest error rate of the baseline.
pub const MAX_ERROR_RATE_DEFAULT: f64 = 0.01;
/// Default largest deviation of one second from the baseline's median.
pub const MAX_THROUGHPUT_SWING_DEFAULT: f64 = 0.5;
/// Default largest growth of the backlog over the later half of the baseline, as a
/// share of the operations started in it.
pub const MAX_BACKLOG_DEFAULT: f64 = 0.1;
/// Fewest whole seconds of baseline that are judged at all: fewer say little, and the
/// first second of a live run also holds its connection set-up.
pub const SECONDS_MIN: usize = 5;
/// How many standard deviations of counting noise a deviation must also pass: a
/// second with `n` expected operations varies by about `√n` by chance alone.
const NOISE_SIGMAS: f64 = 4.0;

/// The steady-state settings with their defaults resolved.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SteadyLimits {
    /// Whether the engines stop on an unsteady baseline and the verdict counts it.
    pub check: bool,
    /// Highest error rate over the baseline.
    pub max_error_rate: f64,
    /// Largest deviation of one second's ok-throughput per unit of load from the
    /// baseline's median, as a share of the median.
    pub max_throughput_swing: f64,
    /// Largest growth of the backlog over the later half of the baseline: operations
    /// started in its seconds minus those finished in them, as a share of those
    /// started. `None` in the closed model, whose load waits for the system.
    pub max_backlog: Option<f64>,
}

impl Default for SteadyLimits {
    fn default() -> Self {
        Self {
            check: true,
            max_error_rate: MAX_ERROR_RATE_DEFAULT,
            max_throughput_swing: MAX_THROUGHPUT_SWING_DEFAULT,
            max_backlog: None,
        }
    }
}

impl SteadyLimits {
    /// The default limits of an open-model load: the backlog judged too.
    pub fn open_model() -> Self {
        Self {
            max_backlog: Some(MAX_BACKLOG_DEFAULT),
            ..Self::default()
        }
    }

    /// The limits of an experiment's `phases.steady_state` (defaults when absent) for
    /// a load of `model`.
    pub fn of(settings: Option<&SteadyState>, model: LoadModel) -> Self {
        let defaults = match model {
            LoadModel::Open => Self::open_model(),
            LoadModel::Closed => Self::default(),
        };
        let Some(s) = settings else {
            return defaults;
        };
        Self {
            check: s.check.unwrap_or(defaults.check),
            max_error_rate: s
                .max_error_rate
                .map_or(defaults.max_error_rate, |f| f.value),
            max_throughput_swing: s
                .max_throughput_swing
                .map_or(defaults.max_throughput_swing, |f| f.value),
            max_backlog: defaults
                .max_backlog
                .map(|default| s.max_backlog.map_or(default, |f| f.value)),
        }
    }
}

/// Client operations counted in one second: those whose intended start falls in it,
/// and those that ended in it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OpCounts {
    /// Operations whose intended start falls in the second.
    pub started: u64,
    /// Operations that completed successfully in the second.
    pub ok: u64,
    /// Operations that failed in the second.
    pub failed: u64,
}

/// One whole second of the baseline, client operations only.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SteadySecond {
    /// Operations whose intended start falls in the second (the offered load).
    pub started: u64,
    /// Operations that completed successfully in the second.
    pub ok: u64,
    /// Operations that failed in the second.
    pub failed: u64,
    /// The workload's level in the second: virtual users or arrivals per second.
    pub level: f64,
}

/// What the check found.
#[derive(Debug, Clone, PartialEq)]
pub struct SteadyJudgement {
    /// `Some(true)` steady, `Some(false)` not, `None` too short to judge.
    pub steady: Option<bool>,
    /// Failed ÷ completed over the judged seconds.
    pub error_rate: Option<f64>,
    /// The largest deviation of one second from the median, as a share of the median.
    pub throughput_swing: Option<f64>,
    /// Operations started in the later half of the judged seconds minus those finished
    /// in them, as a share of those started (0 when at least as many finished); `None`
    /// when not judged (too short, or a closed-model load) or nothing started.
    pub backlog_share: Option<f64>,
    /// Seconds whose deviation passed both the limit and counting noise.
    pub seconds_off: usize,
    /// Seconds judged (those with load).
    pub seconds: usize,
    /// Why the baseline is not steady, or why it was not judged.
    pub reason: Option<String>,
}

/// Judges the seconds of a baseline against `limits`.
pub fn judge_steady(seconds: &[SteadySecond], limits: &SteadyLimits) -> SteadyJudgement {
    let loaded: Vec<&SteadySecond> = seconds.iter().filter(|s| s.level > 0.0).collect();
    let mut judgement = SteadyJudgement {
        steady: None,
        error_rate: None,
        throughput_swing: None,
        backlog_share: None,
        seconds_off: 0,
        seconds: loaded.len(),
        reason: None,
    };
    if loaded.len() < SECONDS_MIN {
        judgement.reason = Some(format!(
            "the baseline has {} whole seconds with load; at least {SECONDS_MIN} are needed to judge it",
            loaded.len()
        ));
        return judgement;
    }
    let ok: u64 = loaded.iter().map(|s| s.ok).sum();
    let failed: u64 = loaded.iter().map(|s| s.failed).sum();
    if ok + failed == 0 {
        judgement.steady = Some(false);
        judgement.reason = Some("no operation completed in the baseline".to_string());
        return judgement;
    }
    let error_rate = failed as f64 / (ok + failed) as f64;
    judgement.error_rate = Some(round6(error_rate));

    // The later half: the operations in flight at its start are those of a system
    // that has run for a while, so a difference is growth, not the run's first latency.
    let later = &loaded[loaded.len() / 2..];
    let started: u64 = later.iter().map(|s| s.started).sum();
    let finished: u64 = later.iter().map(|s| s.ok + s.failed).sum();
    let backlog = started.saturating_sub(finished);
    let backlog_share = limits
        .max_backlog
        .filter(|_| started > 0)
        .map(|_| backlog as f64 / started as f64);
    judgement.backlog_share = backlog_share.map(round6);
    let behind = backlog_share
        .zip(limits.max_backlog)
        .is_some_and(|(share, max_backlog)| {
            share > max_backlog && backlog as f64 > NOISE_SIGMAS * (started as f64).sqrt()
        });

    let mut per_unit: Vec<f64> = loaded.iter().map(|s| s.ok as f64 / s.level).collect();
    per_unit.sort_by(f64::total_cmp);
    let median = per_unit[per_unit.len() / 2];
    let mut swing_max = 0.0_f64;
    let mut worst: Option<(usize, f64)> = None;
    for (i, s) in loaded.iter().enumerate() {
        let expected = median * s.level;
        if expected <= 0.0 {
            continue;
        }
        let deviation = (s.ok as f64 - expected).abs();
        let swing = deviation / expected;
        swing_max = swing_max.max(swing);
        let off = swing > limits.max_throughput_swing && deviation > NOISE_SIGMAS * expected.sqrt();
        if off {
            judgement.seconds_off += 1;
            if worst.is_none_or(|(_, w)| swing > w) {
                worst = Some((i, swing));
            }
        }
    }
    judgement.throughput_swing = Some(round6(swing_max));

    let too_many_off = judgement.seconds_off >= 2 && judgement.seconds_off * 10 > judgement.seconds;
    if error_rate > limits.max_error_rate {
        judgement.steady = Some(false);
        judgement.reason = Some(format!(
            "the baseline's error rate {:.1}% passed max_error_rate {}%",
            error_rate * 100.0,
            round6(limits.max_error_rate * 100.0)
        ));
    } else if behind {
        judgement.steady = Some(false);
        judgement.reason = Some(format!(
            "the system fell behind its load: {started} operations started in the last {} \
             seconds of the baseline and {finished} finished ({}% still waiting, max_backlog {}%)",
            later.len(),
            percent_1dp(backlog_share.unwrap_or(0.0)),
            round6(limits.max_backlog.unwrap_or(0.0) * 100.0)
        ));
    } else if too_many_off {
        let (i, swing) = worst.unwrap_or((0, swing_max));
        judgement.steady = Some(false);
        judgement.reason = Some(format!(
            "{} of {} baseline seconds swung more than {}% from the median ok-throughput \
             (worst: {} ok where about {} were expected, {}% off)",
            judgement.seconds_off,
            judgement.seconds,
            round6(limits.max_throughput_swing * 100.0),
            loaded[i].ok,
            (median * loaded[i].level).round(),
            (swing * 100.0).round()
        ));
    } else {
        judgement.steady = Some(true);
    }
    judgement
}

/// A share as a percentage with at most one decimal (`96`, `10.4`).
fn percent_1dp(share: f64) -> f64 {
    (share * 1000.0).round() / 10.0
}

/// The engines' gate: judges the whole seconds of the baseline that ends at `end_us`
/// (the last `baseline_us`; the second still filling is left out), given each second's
/// client operations and the load level at an instant. `Some(reason)` when the check
/// is on and the baseline is not steady.
pub fn refusal(
    limits: &SteadyLimits,
    baseline_us: u64,
    end_us: u64,
    counts: impl Fn(u64) -> OpCounts,
    level_at_us: impl Fn(u64) -> f64,
) -> Option<String> {
    if !limits.check {
        return None;
    }
    let first_s = end_us.saturating_sub(baseline_us).div_ceil(1_000_000);
    let end_s = end_us / 1_000_000;
    let seconds: Vec<SteadySecond> = (first_s..end_s)
        .map(|second| {
            let OpCounts {
                started,
                ok,
                failed,
            } = counts(second);
            SteadySecond {
                started,
                ok,
                failed,
                level: level_at_us(second * 1_000_000 + 500_000),
            }
        })
        .collect();
    let judgement = judge_steady(&seconds, limits);
    (judgement.steady == Some(false)).then(|| {
        judgement
            .reason
            .unwrap_or_else(|| "the baseline is not steady".to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Seconds that keep up: as many operations start as end.
    fn seconds(ok: &[u64], level: f64) -> Vec<SteadySecond> {
        ok.iter()
            .map(|&ok| SteadySecond {
                started: ok,
                ok,
                failed: 0,
                level,
            })
            .collect()
    }

    #[test]
    fn a_ramp_is_steady_when_throughput_follows_the_load() {
        let ramp: Vec<_> = (1..=40)
            .map(|i| SteadySecond {
                started: 30 * i,
                ok: 30 * i,
                failed: 0,
                level: i as f64,
            })
            .collect();
        let j = judge_steady(&ramp, &SteadyLimits::default());
        assert_eq!(j.steady, Some(true), "{j:?}");
        assert_eq!(j.throughput_swing, Some(0.0));
    }

    #[test]
    fn a_collapse_in_throughput_is_not_steady_and_says_where() {
        let mut ok = vec![500; 40];
        for o in ok.iter_mut().skip(30) {
            *o = 100;
        }
        let j = judge_steady(&seconds(&ok, 50.0), &SteadyLimits::default());
        assert_eq!(j.steady, Some(false));
        assert_eq!(j.seconds_off, 10);
        let reason = j.reason.unwrap_or_default();
        assert!(reason.contains("10 of 40"), "{reason}");
        assert!(reason.contains("100 ok where about 500"), "{reason}");
    }

    #[test]
    fn one_blip_is_tolerated() {
        let mut ok = vec![500; 40];
        ok[7] = 50;
        let j = judge_steady(&seconds(&ok, 50.0), &SteadyLimits::default());
        assert_eq!(j.steady, Some(true));
        assert_eq!(j.seconds_off, 1);
        assert_eq!(j.throughput_swing, Some(0.9));
    }

    #[test]
    fn counting_noise_at_low_rates_is_not_a_swing() {
        // 4 expected operations a second: 0 or 10 are within 4 sigma (√4 = 2 → ±8).
        let ok = [4, 0, 10, 4, 3, 5, 0, 9, 4, 4, 1, 8];
        let j = judge_steady(&seconds(&ok, 1.0), &SteadyLimits::default());
        assert_eq!(j.steady, Some(true), "{j:?}");
        assert_eq!(j.seconds_off, 0);
    }

    #[test]
    fn errors_past_the_limit_are_not_steady() {
        let mut s = seconds(&[100; 10], 10.0);
        s[3].failed = 20;
        let j = judge_steady(&s, &SteadyLimits::default());
        assert_eq!(j.steady, Some(false));
        assert!(j.reason.unwrap_or_default().contains("max_error_rate 1%"));
        let lenient = SteadyLimits {
            max_error_rate: 0.05,
            ..SteadyLimits::default()
        };
        assert_eq!(judge_steady(&s, &lenient).steady, Some(true));
    }

    #[test]
    fn too_short_or_idle_baselines_are_not_judged() {
        let j = judge_steady(&seconds(&[100; 4], 10.0), &SteadyLimits::default());
        assert_eq!(j.steady, None);
        assert!(j.reason.unwrap_or_default().contains("at least 5"));
        let idle = judge_steady(&seconds(&[100; 10], 0.0), &SteadyLimits::default());
        assert_eq!(idle.steady, None);
        assert_eq!(idle.seconds, 0);
    }

    #[test]
    fn nothing_completed_is_not_steady() {
        let j = judge_steady(&seconds(&[0; 10], 10.0), &SteadyLimits::default());
        assert_eq!(j.steady, Some(false));
    }

    /// 100 000 arrivals a second against a service that finishes 4 000 of them, with a
    /// timeout long enough that none fails: no error, no swing, yet the backlog grows
    /// by 96 000 a second.
    #[test]
    fn an_open_load_the_system_cannot_keep_up_with_is_not_steady() {
        let mut s = seconds(&[4_000; 30], 100_000.0);
        for second in &mut s {
            second.started = 100_000;
        }
        let j = judge_steady(&s, &SteadyLimits::open_model());
        assert_eq!(j.steady, Some(false), "{j:?}");
        assert_eq!((j.error_rate, j.throughput_swing), (Some(0.0), Some(0.0)));
        assert_eq!(j.backlog_share, Some(0.96));
        assert_eq!(
            j.reason.as_deref(),
            Some(
                "the system fell behind its load: 1500000 operations started in the last 15 \
                 seconds of the baseline and 60000 finished (96% still waiting, max_backlog 10%)"
            )
        );
        let lenient = SteadyLimits {
            max_backlog: Some(1.0),
            ..SteadyLimits::open_model()
        };
        assert_eq!(judge_steady(&s, &lenient).steady, Some(true));
        // A closed-model load waits for the system: the backlog is not judged.
        let closed = judge_steady(&s, &SteadyLimits::default());
        assert_eq!((closed.steady, closed.backlog_share), (Some(true), None));
    }

    /// The run's first operations take their latency to finish: a baseline from the
    /// start of the run with a 1 s latency has 20% of its 5 seconds' operations still
    /// in flight at its end, but none more than it had halfway.
    #[test]
    fn the_first_latency_of_a_run_is_not_falling_behind() {
        let mut s = seconds(&[1_000; 5], 1_000.0);
        s[0].ok = 0;
        let j = judge_steady(&s, &SteadyLimits::open_model());
        assert_eq!(
            (j.steady, j.backlog_share),
            (Some(true), Some(0.0)),
            "{j:?}"
        );
    }

    /// Operations still in flight at the end of the baseline (latency times rate) are
    /// a small backlog, not falling behind.
    #[test]
    fn a_small_backlog_of_a_system_that_keeps_up_is_steady() {
        // 1 000 a second started; the 200 of the last 200 ms have not finished yet.
        let mut s = seconds(&[1_000; 30], 1_000.0);
        s[29].ok = 800;
        let j = judge_steady(&s, &SteadyLimits::open_model());
        assert_eq!(j.steady, Some(true), "{j:?}");
        assert_eq!(j.backlog_share, Some(round6(200.0 / 15_000.0)));
        // More finished than started (operations from before the baseline): no backlog.
        let mut draining = seconds(&[1_000; 30], 1_000.0);
        draining[15].ok = 1_500;
        assert_eq!(
            judge_steady(&draining, &SteadyLimits::open_model()).backlog_share,
            Some(0.0)
        );
    }

    /// A backlog past the share but within counting noise is not judged behind: in the
    /// later 3 seconds, 3 of 6 operations unfinished is 50%, but 4·√6 ≈ 9.8.
    #[test]
    fn a_backlog_within_counting_noise_is_not_falling_behind() {
        let s: Vec<_> = [(2, 1), (2, 0), (2, 1), (2, 1), (2, 1)]
            .iter()
            .map(|&(started, ok)| SteadySecond {
                started,
                ok,
                failed: 0,
                level: 2.0,
            })
            .collect();
        let j = judge_steady(&s, &SteadyLimits::open_model());
        assert_eq!(j.backlog_share, Some(0.5));
        assert_eq!(j.steady, Some(true), "{j:?}");
    }
}
