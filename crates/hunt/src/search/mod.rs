//! The search core: maximise an objective over a box of ranges.
//!
//! Generic over [`Objective`]: an input vector inside a box of [`Bound`]s
//! maps to a value to maximise (a gap) plus a decision [`Trace`]. The
//! heuristic domains of this crate and the scenario hunt both plug in here.
//!
//! Evaluations run in batches on rayon's pool; the candidates of a batch are
//! drawn sequentially from the seeded [`Rng`](crate::Rng) and results are
//! folded back in batch order, so a seed gives the same result whatever the
//! thread count (as long as the budget is counted in evaluations, not time).

mod blackbox;
mod cmaes;
mod guided;

use std::time::Instant;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{HuntError, Rng, Trace};

/// One coordinate's range.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Bound {
    /// Smallest value.
    pub lo: f64,
    /// Largest value.
    pub hi: f64,
    /// Whether the coordinate takes integer values only.
    pub integer: bool,
}

impl Bound {
    /// A real range `[lo, hi]`.
    pub fn real(lo: f64, hi: f64) -> Self {
        Self {
            lo,
            hi,
            integer: false,
        }
    }

    /// An integer range `lo..=hi`.
    pub fn int(lo: i64, hi: i64) -> Self {
        Self {
            lo: lo as f64,
            hi: hi as f64,
            integer: true,
        }
    }

    /// `hi - lo`.
    pub fn width(&self) -> f64 {
        self.hi - self.lo
    }

    /// The smallest meaningful step: 1 for integers, a millionth of the
    /// width for reals.
    pub fn step_min(&self) -> f64 {
        if self.integer {
            1.0
        } else {
            (self.width() * 1e-6).max(1e-12)
        }
    }

    /// `v` clamped into the range (and rounded for integers).
    pub fn project(&self, v: f64) -> f64 {
        let v = if v.is_finite() { v } else { self.lo };
        let v = v.clamp(self.lo, self.hi);
        if self.integer {
            v.round().clamp(self.lo, self.hi)
        } else {
            v
        }
    }

    /// A uniform draw from the range.
    pub fn sample(&self, rng: &mut Rng) -> f64 {
        if self.integer {
            let n = (self.hi - self.lo).round() as u64 + 1;
            self.lo + (rng.next_u64() % n) as f64
        } else {
            rng.uniform(self.lo, self.hi)
        }
    }
}

/// What the search maximises: the gap of a heuristic on an input, or any
/// other score of a model run.
pub trait Objective: Sync {
    /// The box the inputs live in, one [`Bound`] per coordinate.
    fn bounds(&self) -> &[Bound];

    /// Evaluates one input (already inside the box), recording the decisions
    /// taken into `trace`. Returns the value to maximise.
    fn evaluate(&self, x: &[f64], trace: &mut Trace) -> Result<f64, HuntError>;
}

/// The search strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Code-aware guided search over decision traces (the default).
    Guided,
    /// Uniform random sampling (baseline).
    Random,
    /// Parallel stochastic hill climbing with restarts (baseline).
    HillClimb,
    /// Parallel simulated annealing chains (baseline).
    Anneal,
    /// Separable CMA-ES with restarts (baseline for continuous boxes).
    Cmaes,
}

impl Method {
    /// Every method, guided first.
    pub const ALL: [Method; 5] = [
        Method::Guided,
        Method::Random,
        Method::HillClimb,
        Method::Anneal,
        Method::Cmaes,
    ];

    /// The name used on the command line and in files.
    pub fn name(self) -> &'static str {
        match self {
            Method::Guided => "guided",
            Method::Random => "random",
            Method::HillClimb => "hill_climb",
            Method::Anneal => "anneal",
            Method::Cmaes => "cmaes",
        }
    }

    /// Parses [`Method::name`], or `annealing`: the name a scenario's `hunt` section
    /// gives [`Method::Anneal`], taken here too so one spelling works in both places.
    pub fn parse(s: &str) -> Result<Method, HuntError> {
        if s == "annealing" {
            return Ok(Method::Anneal);
        }
        Method::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| {
                HuntError::config(
                    "method",
                    format!(
                        "unknown method {s:?}; valid: guided, random, hill_climb, anneal (or annealing), cmaes"
                    ),
                )
            })
    }
}

/// Limits and knobs of one search.
#[derive(Debug, Clone)]
pub struct SearchConfig {
    /// The strategy.
    pub method: Method,
    /// Evaluation budget (the search stops after this many evaluations).
    pub evaluations_max: u64,
    /// Optional wall-clock limit; a search stopped by time is no longer
    /// reproducible from its seed alone.
    pub time_ms_max: Option<u64>,
    /// Seed of every random choice.
    pub seed: u64,
    /// Evaluations per parallel batch; part of the algorithm (changing it
    /// changes the result), independent of the thread count.
    pub batch_size: usize,
    /// Inputs to evaluate first (projected into the box).
    pub initial: Vec<Vec<f64>>,
}

impl SearchConfig {
    /// A config with the given method, budget and seed, batches of 16.
    pub fn new(method: Method, evaluations_max: u64, seed: u64) -> Self {
        Self {
            method,
            evaluations_max,
            time_ms_max: None,
            seed,
            batch_size: 16,
            initial: Vec::new(),
        }
    }
}

/// One point of the progress series: the best value after some evaluations.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ProgressPoint {
    /// Evaluations done so far.
    pub evaluations: u64,
    /// Best objective value found so far.
    pub best_value: f64,
    /// Wall-clock time since the search started.
    pub elapsed_ms: f64,
}

/// What a search found.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SearchOutcome {
    /// The method that ran.
    pub method: Method,
    /// The best input found.
    pub best_x: Vec<f64>,
    /// Its objective value.
    pub best_value: f64,
    /// Evaluations done.
    pub evaluations: u64,
    /// Evaluations whose objective returned an error (counted, skipped).
    pub evaluations_failed: u64,
    /// Distinct decision paths seen.
    pub paths_seen: u64,
    /// Wall-clock duration.
    pub elapsed_ms: f64,
    /// Best value after each batch (only points where it improved, plus the
    /// last one).
    pub progress: Vec<ProgressPoint>,
}

/// Runs one search over `objective`, calling `on_progress` after every batch
/// (for live views; the outcome's `progress` series keeps only the batches
/// that improved the best value).
pub fn search(
    objective: &dyn Objective,
    cfg: &SearchConfig,
    on_progress: &mut dyn FnMut(&ProgressPoint),
) -> Result<SearchOutcome, HuntError> {
    if cfg.evaluations_max == 0 {
        return Err(HuntError::config("budget", "must be at least 1 evaluation"));
    }
    if cfg.batch_size == 0 {
        return Err(HuntError::config("batch_size", "must be at least 1"));
    }
    let bounds = objective.bounds();
    if bounds.is_empty() {
        return Err(HuntError::config(
            "bounds",
            "the input box has no coordinate",
        ));
    }
    for (i, b) in bounds.iter().enumerate() {
        if !(b.lo.is_finite() && b.hi.is_finite() && b.lo <= b.hi) {
            return Err(HuntError::config(
                format!("bounds[{i}]"),
                format!("needs finite lo <= hi, got [{}, {}]", b.lo, b.hi),
            ));
        }
    }
    let mut ev = Evaluator::new(objective, cfg, on_progress);
    let mut rng = Rng::new(cfg.seed);
    match cfg.method {
        Method::Guided => guided::run(&mut ev, &mut rng),
        Method::Random => blackbox::random(&mut ev, &mut rng),
        Method::HillClimb => blackbox::hill_climb(&mut ev, &mut rng),
        Method::Anneal => blackbox::anneal(&mut ev, &mut rng),
        Method::Cmaes => cmaes::run(&mut ev, &mut rng),
    }
    ev.finish()
}

/// The result of evaluating one candidate.
#[derive(Debug, Clone)]
pub(crate) struct Evaluated {
    pub x: Vec<f64>,
    /// Objective value; `-inf` when the evaluation failed.
    pub value: f64,
    pub trace: Trace,
    pub signature: u64,
}

/// Budget keeping, parallel batch evaluation and best-so-far bookkeeping,
/// shared by every method.
pub(crate) struct Evaluator<'a> {
    objective: &'a dyn Objective,
    cfg: &'a SearchConfig,
    on_progress: &'a mut dyn FnMut(&ProgressPoint),
    start: Instant,
    evaluations: u64,
    failed: u64,
    first_error: Option<String>,
    best_x: Vec<f64>,
    best_value: f64,
    paths: std::collections::HashSet<u64>,
    progress: Vec<ProgressPoint>,
}

impl<'a> Evaluator<'a> {
    fn new(
        objective: &'a dyn Objective,
        cfg: &'a SearchConfig,
        on_progress: &'a mut dyn FnMut(&ProgressPoint),
    ) -> Self {
        Self {
            objective,
            cfg,
            on_progress,
            start: Instant::now(),
            evaluations: 0,
            failed: 0,
            first_error: None,
            best_x: Vec::new(),
            best_value: f64::NEG_INFINITY,
            paths: Default::default(),
            progress: Vec::new(),
        }
    }

    pub fn bounds(&self) -> &'a [Bound] {
        self.objective.bounds()
    }

    pub fn batch_size(&self) -> usize {
        self.cfg.batch_size
    }

    pub fn initial(&self) -> &'a [Vec<f64>] {
        &self.cfg.initial
    }

    pub fn budget(&self) -> u64 {
        self.cfg.evaluations_max
    }

    pub fn evaluations(&self) -> u64 {
        self.evaluations
    }

    /// Whether the budget (evaluations or time) is spent.
    pub fn done(&self) -> bool {
        self.evaluations >= self.cfg.evaluations_max
            || self
                .cfg
                .time_ms_max
                .is_some_and(|t| self.start.elapsed().as_secs_f64() * 1e3 >= t as f64)
    }

    /// A uniform random point of the box.
    pub fn random_point(&self, rng: &mut Rng) -> Vec<f64> {
        self.bounds().iter().map(|b| b.sample(rng)).collect()
    }

    /// Projects every coordinate into its bound.
    pub fn project(&self, x: &mut [f64]) {
        for (v, b) in x.iter_mut().zip(self.bounds()) {
            *v = b.project(*v);
        }
    }

    /// Evaluates `xs` (truncated to the remaining budget) in parallel and
    /// returns the results in input order.
    pub fn eval_batch(&mut self, mut xs: Vec<Vec<f64>>) -> Vec<Evaluated> {
        if self.done() {
            return Vec::new();
        }
        let remaining = (self.cfg.evaluations_max - self.evaluations) as usize;
        xs.truncate(remaining);
        for x in &mut xs {
            self.project(x);
        }
        let objective = self.objective;
        let results: Vec<(Vec<f64>, Result<f64, HuntError>, Trace)> = xs
            .into_par_iter()
            .map(|x| {
                let mut trace = Trace::new();
                let r = objective.evaluate(&x, &mut trace);
                (x, r, trace)
            })
            .collect();
        let mut out = Vec::with_capacity(results.len());
        let mut improved = false;
        for (x, r, trace) in results {
            self.evaluations += 1;
            let value = match r {
                Ok(v) if v.is_finite() => v,
                Ok(v) => {
                    self.note_failure(format!("objective returned {v}"));
                    f64::NEG_INFINITY
                }
                Err(e) => {
                    self.note_failure(e.to_string());
                    f64::NEG_INFINITY
                }
            };
            let signature = trace.path_signature();
            self.paths.insert(signature);
            if value > self.best_value {
                self.best_value = value;
                self.best_x = x.clone();
                improved = true;
            }
            out.push(Evaluated {
                x,
                value,
                trace,
                signature,
            });
        }
        let p = self.point();
        if improved {
            self.progress.push(p);
        }
        (self.on_progress)(&p);
        out
    }

    fn point(&self) -> ProgressPoint {
        ProgressPoint {
            evaluations: self.evaluations,
            best_value: self.best_value,
            elapsed_ms: self.start.elapsed().as_secs_f64() * 1e3,
        }
    }

    fn note_failure(&mut self, message: String) {
        self.failed += 1;
        if self.first_error.is_none() {
            self.first_error = Some(message);
        }
    }

    fn finish(mut self) -> Result<SearchOutcome, HuntError> {
        if !self.best_value.is_finite() {
            return Err(HuntError::NoEvaluation(
                self.first_error
                    .unwrap_or_else(|| "the budget allowed no evaluation".into()),
            ));
        }
        let last = self.point();
        if self.progress.last().map(|p| p.evaluations) != Some(last.evaluations) {
            self.progress.push(last);
        }
        Ok(SearchOutcome {
            method: self.cfg.method,
            best_x: self.best_x,
            best_value: self.best_value,
            evaluations: self.evaluations,
            evaluations_failed: self.failed,
            paths_seen: self.paths.len() as u64,
            elapsed_ms: last.elapsed_ms,
            progress: self.progress,
        })
    }
}

/// A random perturbation of 1–3 coordinates of `x`: Gaussian steps of
/// `scale` × width, or (rarely) a fresh uniform value.
pub(crate) fn perturb(x: &[f64], bounds: &[Bound], scale: f64, rng: &mut Rng) -> Vec<f64> {
    let mut y = x.to_vec();
    let k = 1 + rng.below(3.min(x.len()));
    for _ in 0..k {
        let i = rng.below(x.len());
        let b = &bounds[i];
        if rng.chance(0.1) {
            y[i] = b.sample(rng);
        } else {
            let mut step = rng.normal() * scale * b.width();
            if b.integer && step.abs() < 1.0 {
                step = if step < 0.0 { -1.0 } else { 1.0 };
            }
            y[i] = b.project(y[i] + step);
        }
    }
    y
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A needle objective with a decision point: value is high only when
    /// x0 sits exactly at its threshold of 7.25 (on the `<=` side) and x1 is
    /// at its top.
    struct Needle {
        bounds: Vec<Bound>,
    }

    impl Objective for Needle {
        fn bounds(&self) -> &[Bound] {
            &self.bounds
        }
        fn evaluate(&self, x: &[f64], trace: &mut Trace) -> Result<f64, HuntError> {
            let pinned = crate::decision!(trace, "pin", input = 0, x[0] <= 7.25);
            Ok(if pinned { x[0] * x[1] } else { x[1] - x[0] })
        }
    }

    fn needle() -> Needle {
        Needle {
            bounds: vec![Bound::real(0.0, 100.0), Bound::int(0, 10)],
        }
    }

    /// A scenario's `hunt` section spells it `annealing`; `--method annealing` used
    /// to be rejected.
    #[test]
    fn method_names_parse_and_annealing_is_anneal() {
        for m in Method::ALL {
            assert_eq!(Method::parse(m.name()).unwrap(), m);
        }
        assert_eq!(Method::parse("annealing").unwrap(), Method::Anneal);
        let err = Method::parse("sa").unwrap_err().to_string();
        assert!(err.contains("anneal (or annealing)"), "{err}");
    }

    #[test]
    fn same_seed_gives_same_outcome_whatever_the_thread_count() {
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("pool");
            pool.install(|| {
                Method::ALL
                    .iter()
                    .map(|&m| {
                        let cfg = SearchConfig::new(m, 300, 9);
                        let o = search(&needle(), &cfg, &mut |_| {}).expect("search");
                        (o.best_x, o.best_value)
                    })
                    .collect::<Vec<_>>()
            })
        };
        assert_eq!(run(1), run(2));
    }

    #[test]
    fn guided_search_lands_on_the_decision_boundary() {
        let cfg = SearchConfig::new(Method::Guided, 400, 1);
        let o = search(&needle(), &cfg, &mut |_| {}).expect("search");
        // The optimum is 7.25 * 10 = 72.5 at the threshold; x1 - x0 <= 10.
        assert!(
            (o.best_value - 72.5).abs() < 1e-6,
            "guided found {} at {:?}",
            o.best_value,
            o.best_x
        );
        assert!(o.paths_seen >= 2);
    }

    #[test]
    fn budget_is_respected_and_progress_is_monotone() {
        for m in Method::ALL {
            let mut calls = 0;
            let cfg = SearchConfig::new(m, 37, 3);
            let o = search(&needle(), &cfg, &mut |_| calls += 1).expect("search");
            assert_eq!(o.evaluations, 37, "{m:?}");
            assert!(calls >= 1);
            assert!(o
                .progress
                .windows(2)
                .all(|w| w[0].best_value <= w[1].best_value));
            assert_eq!(o.progress.last().map(|p| p.best_value), Some(o.best_value));
        }
    }

    struct Bowl(Vec<Bound>);

    impl Objective for Bowl {
        fn bounds(&self) -> &[Bound] {
            &self.0
        }
        fn evaluate(&self, x: &[f64], _: &mut Trace) -> Result<f64, HuntError> {
            Ok(-x
                .iter()
                .enumerate()
                .map(|(i, v)| (v - 0.1 * i as f64).powi(2))
                .sum::<f64>())
        }
    }

    #[test]
    fn cmaes_converges_on_a_smooth_bowl() {
        let bowl = Bowl(vec![Bound::real(-1.0, 1.0); 6]);
        let o = search(
            &bowl,
            &SearchConfig::new(Method::Cmaes, 3000, 5),
            &mut |_| {},
        )
        .expect("search");
        assert!(o.best_value > -1e-6, "{} at {:?}", o.best_value, o.best_x);
        let r = search(
            &bowl,
            &SearchConfig::new(Method::Random, 3000, 5),
            &mut |_| {},
        )
        .expect("search");
        assert!(o.best_value > r.best_value);
    }

    #[test]
    fn bad_bounds_are_rejected_with_the_coordinate() {
        let bad = Needle {
            bounds: vec![Bound::real(5.0, 1.0)],
        };
        let err = search(&bad, &SearchConfig::new(Method::Random, 5, 0), &mut |_| {})
            .expect_err("must fail");
        assert!(err.to_string().contains("bounds[0]"), "{err}");
    }
}
