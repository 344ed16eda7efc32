//! Load-balancing policies on arrival and service patterns.
//!
//! A dispatcher sends each arriving job at once to one of `servers_n` FIFO
//! servers. Input: per job, the gap since the previous arrival and its
//! service time. The measure is the mean response time (finish − arrival).
//! Policies ([`LbPolicy`]): round robin, random, power of two choices,
//! least outstanding (fewest jobs in the server). Benchmark:
//! join-shortest-queue measured in *work* ([`Policy::Jsq`]: the server
//! whose queue finishes first, which knows the queued jobs' service times),
//! or any other policy. Randomised policies are evaluated as the mean over
//! `draws_n` fixed random streams, so an input always gives the same value.
//!
//! The gap is the policy's mean response time minus the benchmark's.

use serde::{Deserialize, Serialize};

use crate::{decision, Bound, HuntError, Objective, Rng, Trace};

/// Settings of the load-balancing domain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LbConfig {
    /// Servers behind the balancer.
    pub servers_n: usize,
    /// Jobs per input.
    pub jobs_n: usize,
    /// Largest gap between two arrivals, in seconds (smallest is 0).
    pub gap_s_max: f64,
    /// Smallest service time, in seconds.
    pub service_s_min: f64,
    /// Largest service time, in seconds.
    pub service_s_max: f64,
    /// Random streams averaged over for randomised policies.
    pub draws_n: usize,
    /// Seed of those streams.
    pub draws_seed: u64,
}

impl Default for LbConfig {
    fn default() -> Self {
        Self {
            servers_n: 3,
            jobs_n: 12,
            gap_s_max: 2.0,
            service_s_min: 0.1,
            service_s_max: 10.0,
            draws_n: 8,
            draws_seed: 1,
        }
    }
}

impl LbConfig {
    /// Checks the ranges; lists every problem.
    pub fn validate(&self) -> Result<(), HuntError> {
        let mut problems = Vec::new();
        if !(2..=64).contains(&self.servers_n) {
            problems.push(format!("servers_n is {}, valid: 2..=64", self.servers_n));
        }
        if !(1..=10_000).contains(&self.jobs_n) {
            problems.push(format!("jobs_n is {}, valid: 1..=10000", self.jobs_n));
        }
        if !(self.gap_s_max.is_finite() && self.gap_s_max >= 0.0) {
            problems.push(format!("gap_s_max is {}, must be >= 0", self.gap_s_max));
        }
        if !(self.service_s_min > 0.0
            && self.service_s_min <= self.service_s_max
            && self.service_s_max.is_finite())
        {
            problems.push(format!(
                "service range [{}, {}] must satisfy 0 < min <= max",
                self.service_s_min, self.service_s_max
            ));
        }
        if !(1..=1000).contains(&self.draws_n) {
            problems.push(format!("draws_n is {}, valid: 1..=1000", self.draws_n));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(HuntError::config("lb", problems.join("; ")))
        }
    }
}

/// What a policy sees of one server when a job arrives.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ServerView {
    /// Jobs in the server (queued or in service).
    pub outstanding: usize,
    /// Seconds until the server would be idle.
    pub work_left_s: f64,
}

/// A dispatching policy. Mark decision points on `trace` with
/// [`decision!`](crate::decision); job `j`'s gap is input `2 j`, its service
/// time input `2 j + 1`.
pub trait LbPolicy: Sync {
    /// Name used in reports and case files.
    fn name(&self) -> &str;
    /// Whether [`LbPolicy::pick`] uses `rng` (then the value is averaged over
    /// several random streams).
    fn randomised(&self) -> bool {
        false
    }
    /// The server for job `job` (must be below `servers.len()`). `memory` is
    /// the policy's own state, zero at the start of a run.
    fn pick(
        &self,
        servers: &[ServerView],
        job: usize,
        rng: &mut Rng,
        memory: &mut u64,
        trace: &mut Trace,
    ) -> usize;
}

/// The built-in policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Policy {
    /// Servers in turn.
    RoundRobin,
    /// A uniformly random server.
    Random,
    /// Two random distinct servers, the one with fewer jobs.
    PowerOfTwo,
    /// The server with the fewest jobs (lowest index on ties).
    LeastOutstanding,
    /// The server with the least work left (lowest index on ties): the
    /// benchmark.
    Jsq,
}

impl Policy {
    /// Parses `rr`, `random`, `p2c`, `lo`, `jsq` (or snake-case names).
    pub fn parse(s: &str) -> Result<Policy, HuntError> {
        match s {
            "rr" | "round_robin" => Ok(Policy::RoundRobin),
            "random" => Ok(Policy::Random),
            "p2c" | "power_of_two" => Ok(Policy::PowerOfTwo),
            "lo" | "least_outstanding" => Ok(Policy::LeastOutstanding),
            "jsq" => Ok(Policy::Jsq),
            _ => Err(HuntError::config(
                "heuristic",
                format!("unknown load-balancing policy {s:?}; valid: rr, random, p2c, lo, jsq"),
            )),
        }
    }
}

impl LbPolicy for Policy {
    fn name(&self) -> &str {
        match self {
            Policy::RoundRobin => "rr",
            Policy::Random => "random",
            Policy::PowerOfTwo => "p2c",
            Policy::LeastOutstanding => "lo",
            Policy::Jsq => "jsq",
        }
    }

    fn randomised(&self) -> bool {
        matches!(self, Policy::Random | Policy::PowerOfTwo)
    }

    fn pick(
        &self,
        servers: &[ServerView],
        _job: usize,
        rng: &mut Rng,
        memory: &mut u64,
        trace: &mut Trace,
    ) -> usize {
        let n = servers.len();
        match self {
            Policy::RoundRobin => {
                let k = (*memory as usize) % n;
                *memory += 1;
                k
            }
            Policy::Random => rng.below(n),
            Policy::PowerOfTwo => {
                let a = rng.below(n);
                let b = (a + 1 + rng.below(n - 1)) % n;
                let (oa, ob) = (servers[a].outstanding, servers[b].outstanding);
                if decision!(trace, "p2c.second_fewer", ob < oa) {
                    b
                } else {
                    a
                }
            }
            Policy::LeastOutstanding => {
                let mut best = 0;
                for k in 1..n {
                    let (ok, ob) = (servers[k].outstanding, servers[best].outstanding);
                    if decision!(trace, "lo.fewer", ok < ob) {
                        best = k;
                    }
                }
                best
            }
            Policy::Jsq => {
                let mut best = 0;
                for k in 1..n {
                    if servers[k].work_left_s < servers[best].work_left_s {
                        best = k;
                    }
                }
                best
            }
        }
    }
}

/// Mean response time of `policy` on the jobs in `x` (gap, service pairs).
pub fn mean_response_s(
    cfg: &LbConfig,
    policy: &dyn LbPolicy,
    x: &[f64],
    trace: &mut Trace,
) -> Result<f64, HuntError> {
    let draws = if policy.randomised() { cfg.draws_n } else { 1 };
    let mut total = 0.0;
    for draw in 0..draws {
        let mut rng = Rng::derived(cfg.draws_seed, draw as u64);
        let mut memory = 0u64;
        // Finish times of the jobs in each server, in FIFO order.
        let mut queues: Vec<Vec<f64>> = vec![Vec::new(); cfg.servers_n];
        let mut now = 0.0;
        let mut sum = 0.0;
        for (j, job) in x.chunks(2).enumerate() {
            let (gap, service) = (job[0], job[1]);
            now += gap;
            let views: Vec<ServerView> = queues
                .iter_mut()
                .map(|q| {
                    q.retain(|&f| f > now);
                    ServerView {
                        outstanding: q.len(),
                        work_left_s: q.last().map_or(0.0, |&f| f - now),
                    }
                })
                .collect();
            let k = policy.pick(&views, j, &mut rng, &mut memory, trace);
            if k >= cfg.servers_n {
                return Err(HuntError::Benchmark(format!(
                    "policy {} picked server {k} of {}",
                    policy.name(),
                    cfg.servers_n
                )));
            }
            // The arrival time grows with this job's gap (input 2 j).
            let free_at = now + views[k].work_left_s;
            let idle = decision!(trace, "lb.server_idle", input = 2 * j, now >= free_at);
            let start = if idle {
                now
            } else {
                now + views[k].work_left_s
            };
            let finish = start + service;
            queues[k].push(finish);
            sum += finish - now;
        }
        total += sum / (x.len() / 2).max(1) as f64;
    }
    Ok(total / draws as f64)
}

/// The load-balancing objective: policy minus benchmark mean response time.
pub struct LbProblem {
    cfg: LbConfig,
    policy: Box<dyn LbPolicy>,
    benchmark: Box<dyn LbPolicy>,
    bounds: Vec<Bound>,
}

impl LbProblem {
    /// `policy` against `benchmark` over `cfg`'s input space.
    pub fn new(
        cfg: LbConfig,
        policy: Box<dyn LbPolicy>,
        benchmark: Box<dyn LbPolicy>,
    ) -> Result<Self, HuntError> {
        cfg.validate()?;
        let mut bounds = Vec::with_capacity(2 * cfg.jobs_n);
        for _ in 0..cfg.jobs_n {
            bounds.push(Bound::real(0.0, cfg.gap_s_max));
            bounds.push(Bound::real(cfg.service_s_min, cfg.service_s_max));
        }
        Ok(Self {
            cfg,
            policy,
            benchmark,
            bounds,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &LbConfig {
        &self.cfg
    }

    /// The policy's name.
    pub fn heuristic_name(&self) -> &str {
        self.policy.name()
    }

    /// The benchmark's name.
    pub fn benchmark_name(&self) -> &str {
        self.benchmark.name()
    }

    /// (policy, benchmark) mean response times in seconds.
    pub fn outcome(&self, x: &[f64], trace: &mut Trace) -> Result<(f64, f64), HuntError> {
        let h = mean_response_s(&self.cfg, self.policy.as_ref(), x, trace)?;
        let b = mean_response_s(&self.cfg, self.benchmark.as_ref(), x, &mut Trace::new())?;
        Ok((h, b))
    }
}

impl Objective for LbProblem {
    fn bounds(&self) -> &[Bound] {
        &self.bounds
    }

    fn evaluate(&self, x: &[f64], trace: &mut Trace) -> Result<f64, HuntError> {
        let (h, b) = self.outcome(x, trace)?;
        Ok(h - b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(servers_n: usize, jobs_n: usize) -> LbConfig {
        LbConfig {
            servers_n,
            jobs_n,
            ..LbConfig::default()
        }
    }

    /// Hand-computed: 2 servers, jobs at t=0 (10 s), t=0 (1 s), t=0 (1 s).
    /// RR: server 0 gets jobs 1 and 3: responses 10, 1, 11 -> mean 22/3.
    /// JSQ by work: job 2 to server 1, job 3 behind it: 10, 1, 2 -> 13/3.
    #[test]
    fn round_robin_and_jsq_match_hand_computation() {
        let c = cfg(2, 3);
        let x = [0.0, 10.0, 0.0, 1.0, 0.0, 1.0];
        let rr = mean_response_s(&c, &Policy::RoundRobin, &x, &mut Trace::new()).expect("rr");
        let jsq = mean_response_s(&c, &Policy::Jsq, &x, &mut Trace::new()).expect("jsq");
        assert!((rr - 22.0 / 3.0).abs() < 1e-9, "{rr}");
        assert!((jsq - 13.0 / 3.0).abs() < 1e-9, "{jsq}");
        // Least outstanding counts jobs, not work: job 3 sees 1 and 1, picks
        // server 0 behind the long job: 10, 1, 11.
        let lo = mean_response_s(&c, &Policy::LeastOutstanding, &x, &mut Trace::new()).expect("lo");
        assert!((lo - 22.0 / 3.0).abs() < 1e-9, "{lo}");
    }

    #[test]
    fn randomised_policies_are_deterministic_per_input() {
        let p = LbProblem::new(
            cfg(3, 6),
            Box::new(Policy::PowerOfTwo),
            Box::new(Policy::Jsq),
        )
        .expect("problem");
        let x: Vec<f64> = (0..12)
            .map(|i| if i % 2 == 0 { 0.3 } else { 1.0 + i as f64 })
            .collect();
        let a = p.evaluate(&x, &mut Trace::new()).expect("a");
        let b = p.evaluate(&x, &mut Trace::new()).expect("b");
        assert_eq!(a, b);
    }

    #[test]
    fn bad_config_lists_every_problem() {
        let bad = LbConfig {
            servers_n: 1,
            draws_n: 0,
            ..LbConfig::default()
        };
        let err = bad.validate().expect_err("bad").to_string();
        assert!(
            err.contains("servers_n") && err.contains("draws_n"),
            "{err}"
        );
    }
}
