//! The steady-state check of the baseline (PRODUCT.md's lifecycle, step 2): a system
//! that already fails or swings before the fault gives no meaningful recovery figures.
//!
//! Both engines call [`judge_steady`] before the first fault and stop the run when the
//! baseline is not steady; the analyzer calls it again on the record, so the verdict
//! says the same thing for a run that was not stopped (a record from an older run, or
//! a check turned off).
//!
//! ```
//! use faultline_analyze::steady::{judge_steady, SteadyLimits, SteadySecond};
//! let limits = SteadyLimits::default();
//! let calm: Vec<_> = (0..30).map(|_| SteadySecond { ok: 100, failed: 0, level: 10.0 }).collect();
//! assert_eq!(judge_steady(&calm, &limits).steady, Some(true));
//! let mut swinging = calm.clone();
//! for s in swinging.iter_mut().step_by(3) {
//!     s.ok = 20;
//! }
//! assert_eq!(judge_steady(&swinging, &limits).steady, Some(false));
//! ```

use faultline_spec::SteadyState;

use crate::summary::round6;

/// Default highest error rate of the baseline.
pub const MAX_ERROR_RATE_DEFAULT: f64 = 0.01;
/// Default largest deviation of one second from the baseline's median.
pub const MAX_THROUGHPUT_SWING_DEFAULT: f64 = 0.5;
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
}

impl Default for SteadyLimits {
    fn default() -> Self {
        Self {
            check: true,
            max_error_rate: MAX_ERROR_RATE_DEFAULT,
            max_throughput_swing: MAX_THROUGHPUT_SWING_DEFAULT,
        }
    }
}

impl SteadyLimits {
    /// The limits of an experiment's `phases.steady_state` (defaults when absent).
    pub fn of(settings: Option<&SteadyState>) -> Self {
        let defaults = Self::default();
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
        }
    }
}

/// One whole second of the baseline, client operations only.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SteadySecond {
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

/// The engines' gate: judges the whole seconds of the baseline that ends at `end_us`
/// (the last `baseline_us`; the second still filling is left out), given each second's
/// `(ok, failed)` and the load level at an instant. `Some(reason)` when the check is
/// on and the baseline is not steady.
pub fn refusal(
    limits: &SteadyLimits,
    baseline_us: u64,
    end_us: u64,
    counts: impl Fn(u64) -> (u64, u64),
    level_at_us: impl Fn(u64) -> f64,
) -> Option<String> {
    if !limits.check {
        return None;
    }
    let first_s = end_us.saturating_sub(baseline_us).div_ceil(1_000_000);
    let end_s = end_us / 1_000_000;
    let seconds: Vec<SteadySecond> = (first_s..end_s)
        .map(|second| {
            let (ok, failed) = counts(second);
            SteadySecond {
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

    fn seconds(ok: &[u64], level: f64) -> Vec<SteadySecond> {
        ok.iter()
            .map(|&ok| SteadySecond {
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
}
