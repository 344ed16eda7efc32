//! The workload's load level over time, computed from its stages.
//!
//! Both engines drive the same profile: [`Profile::level_at`] gives the number of
//! virtual users (closed model) or the arrival rate per second (open model) at any
//! instant, and [`Profile::total_us`] the length of the run the stages describe.
//!
//! ```
//! use faultline_spec::{profile::Profile, Stage, LoadLevel, Duration};
//! let stages = vec![
//!     Stage { hold: Some(Duration::from_secs(10)), users: Some(50), ..Stage::default() },
//!     Stage { ramp: Some(Duration::from_secs(60)), to: Some(LoadLevel::Users(500)), ..Stage::default() },
//! ];
//! let profile = Profile::new(&stages);
//! assert_eq!(profile.total_us(), 70_000_000);
//! assert_eq!(profile.level_at(5_000_000), 50.0);
//! assert_eq!(profile.level_at(40_000_000), 275.0);
//! ```

use crate::model::{LoadLevel, Stage};

/// One straight piece of the profile: the level goes linearly from `from` to `to`
/// over `[start_us, end_us)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Segment {
    /// Start, microseconds from the start of the run.
    pub start_us: u64,
    /// End (exclusive).
    pub end_us: u64,
    /// Level at the start.
    pub from: f64,
    /// Level at the end.
    pub to: f64,
}

/// The load level over time: piecewise linear segments, one or two per stage.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    segments: Vec<Segment>,
}

fn level_value(level: LoadLevel) -> f64 {
    match level {
        LoadLevel::Users(users) => f64::from(users),
        LoadLevel::Rate(rate) => rate.per_s,
    }
}

impl Profile {
    /// Builds the profile of `stages`. A stage with neither `hold`, `ramp` nor `spike`
    /// only sets the level (validation reports such stages; here they last 0 s).
    pub fn new(stages: &[Stage]) -> Self {
        let mut segments = Vec::with_capacity(stages.len() + 1);
        let mut level = 0.0;
        let mut t_us = 0u64;
        for stage in stages {
            if let Some(users) = stage.users {
                level = f64::from(users);
            }
            if let Some(rate) = stage.rate {
                level = rate.per_s;
            }
            if let Some(hold) = stage.hold {
                let end_us = t_us + hold.micros;
                segments.push(Segment {
                    start_us: t_us,
                    end_us,
                    from: level,
                    to: level,
                });
                t_us = end_us;
            } else if let Some(ramp) = stage.ramp {
                let to = stage.to.map(level_value).unwrap_or(level);
                let end_us = t_us + ramp.micros;
                segments.push(Segment {
                    start_us: t_us,
                    end_us,
                    from: level,
                    to,
                });
                t_us = end_us;
                level = to;
            } else if let Some(spike) = stage.spike {
                let to = stage.to.map(level_value).unwrap_or(level);
                let end_us = t_us + spike.micros;
                segments.push(Segment {
                    start_us: t_us,
                    end_us,
                    from: to,
                    to,
                });
                t_us = end_us;
            }
        }
        Self { segments }
    }

    /// The segments, in time order.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// Length of the run the stages describe, in microseconds.
    pub fn total_us(&self) -> u64 {
        self.segments.last().map_or(0, |s| s.end_us)
    }

    /// The level (virtual users or arrivals per second) at `t_us`; 0 after the end.
    pub fn level_at(&self, t_us: u64) -> f64 {
        let index = self.segments.partition_point(|s| s.end_us <= t_us);
        match self.segments.get(index) {
            Some(s) if s.start_us <= t_us => {
                let span = (s.end_us - s.start_us) as f64;
                if span <= 0.0 {
                    return s.to;
                }
                let progress = (t_us - s.start_us) as f64 / span;
                s.from + (s.to - s.from) * progress
            }
            _ => 0.0,
        }
    }

    /// The highest level over `[from_us, to_us]` (the profile is piecewise linear, so
    /// the ends and the segment boundaries inside are enough).
    pub fn max_level_between(&self, from_us: u64, to_us: u64) -> f64 {
        let mut max = self.level_at(from_us).max(self.level_at(to_us));
        for s in &self.segments {
            if s.start_us >= from_us && s.start_us <= to_us {
                max = max.max(s.from);
            }
            if s.end_us > from_us && s.end_us <= to_us {
                max = max.max(s.to);
            }
        }
        max
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::{Duration, Rate};

    fn secs(s: u64) -> Option<Duration> {
        Some(Duration::from_secs(s))
    }

    #[test]
    fn spike_returns_to_the_previous_level() {
        let stages = vec![
            Stage {
                hold: secs(10),
                rate: Some(Rate { per_s: 100.0 }),
                ..Stage::default()
            },
            Stage {
                spike: secs(5),
                to: Some(LoadLevel::Rate(Rate { per_s: 1000.0 })),
                ..Stage::default()
            },
            Stage {
                hold: secs(10),
                ..Stage::default()
            },
        ];
        let p = Profile::new(&stages);
        assert_eq!(p.total_us(), 25_000_000);
        assert_eq!(p.level_at(12_000_000), 1000.0);
        assert_eq!(p.level_at(20_000_000), 100.0);
        assert_eq!(p.level_at(30_000_000), 0.0);
        assert_eq!(p.max_level_between(0, 25_000_000), 1000.0);
    }

    #[test]
    fn ramp_is_linear_and_hold_keeps_the_ramp_target() {
        let stages = vec![
            Stage {
                hold: secs(10),
                users: Some(50),
                ..Stage::default()
            },
            Stage {
                ramp: secs(60),
                to: Some(LoadLevel::Users(500)),
                ..Stage::default()
            },
            Stage {
                hold: secs(30),
                ..Stage::default()
            },
        ];
        let p = Profile::new(&stages);
        assert_eq!(p.level_at(10_000_000), 50.0);
        assert_eq!(p.level_at(70_000_000), 500.0);
        assert_eq!(p.level_at(99_999_999), 500.0);
    }
}
