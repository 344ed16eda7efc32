//! The workload level over time: virtual users (closed model) or arrivals per second
//! (open model), following the stages.

use faultline_spec::{LoadLevel, Stage, Workload};

/// One piece of the profile: the level goes linearly from `from` to `to` over
/// `[start_us, end_us)`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Segment {
    start_us: u64,
    end_us: u64,
    from: f64,
    to: f64,
}

/// The load level as a function of run time.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    segments: Vec<Segment>,
}

fn level_value(level: LoadLevel) -> f64 {
    match level {
        LoadLevel::Users(n) => f64::from(n),
        LoadLevel::Rate(r) => r.per_s,
    }
}

fn set_value(stage: &Stage) -> Option<f64> {
    stage
        .users
        .map(f64::from)
        .or(stage.rate.map(|r| r.per_s))
        .or(stage.to.map(level_value))
}

impl Profile {
    /// The profile of a workload's stages.
    pub fn new(workload: &Workload) -> Self {
        let mut segments = Vec::new();
        let mut t_us = 0u64;
        let mut level = 0.0f64;
        for stage in &workload.stages {
            if let Some(hold) = stage.hold {
                level = set_value(stage).unwrap_or(level);
                segments.push(Segment {
                    start_us: t_us,
                    end_us: t_us + hold.micros,
                    from: level,
                    to: level,
                });
                t_us += hold.micros;
            } else if let Some(ramp) = stage.ramp {
                let to = set_value(stage).unwrap_or(level);
                segments.push(Segment {
                    start_us: t_us,
                    end_us: t_us + ramp.micros,
                    from: level,
                    to,
                });
                level = to;
                t_us += ramp.micros;
            } else if let Some(spike) = stage.spike {
                let to = set_value(stage).unwrap_or(level);
                segments.push(Segment {
                    start_us: t_us,
                    end_us: t_us + spike.micros,
                    from: to,
                    to,
                });
                t_us += spike.micros;
            }
        }
        Self { segments }
    }

    /// Length of the profile in microseconds.
    pub fn total_us(&self) -> u64 {
        self.segments.last().map_or(0, |s| s.end_us)
    }

    /// The level at `t_us` (0 after the end).
    pub fn level_at(&self, t_us: u64) -> f64 {
        for s in &self.segments {
            if t_us < s.end_us {
                if s.end_us == s.start_us {
                    return s.to;
                }
                let x = (t_us.saturating_sub(s.start_us)) as f64 / (s.end_us - s.start_us) as f64;
                return s.from + (s.to - s.from) * x;
            }
        }
        0.0
    }

    /// The first time at or after `from_us` at which the level is at least `level`,
    /// searched in 10 ms steps; `None` if it never is.
    pub fn first_reaching(&self, level: f64, from_us: u64) -> Option<u64> {
        let step_us = 10_000;
        let mut t = from_us;
        while t < self.total_us() {
            if self.level_at(t) + 1e-9 >= level {
                return Some(t);
            }
            t += step_us;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workload(yaml: &str) -> Workload {
        serde_saphyr::from_str(yaml).unwrap()
    }

    #[test]
    fn holds_ramps_and_spikes_follow_the_stages() {
        let w = workload(
            "stages: [ {hold: 10s, users: 50}, {ramp: 10s, to: 150}, {spike: 5s, to: 400}, {hold: 5s} ]\nmix: {read: 50%, write: 50%}\n",
        );
        let p = Profile::new(&w);
        assert_eq!(p.total_us(), 30_000_000);
        assert_eq!(p.level_at(0), 50.0);
        assert_eq!(p.level_at(15_000_000), 100.0);
        assert_eq!(p.level_at(22_000_000), 400.0);
        assert_eq!(p.level_at(27_000_000), 150.0);
        assert_eq!(p.level_at(31_000_000), 0.0);
        assert_eq!(p.first_reaching(100.0, 0), Some(15_000_000));
        assert_eq!(p.first_reaching(1000.0, 0), None);
    }

    #[test]
    fn rates_are_levels_of_the_open_model() {
        let w = workload(
            "model: open\nstages: [ {hold: 2s, rate: 200/s} ]\nmix: {read: 0%, write: 100%}\n",
        );
        assert_eq!(Profile::new(&w).level_at(1_000_000), 200.0);
    }
}
