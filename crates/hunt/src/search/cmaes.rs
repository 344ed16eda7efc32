//! Separable CMA-ES (diagonal covariance) with restarts: a black-box
//! baseline for continuous boxes, and the within-path climber of the guided
//! search.
//!
//! Works in the unit cube (every coordinate scaled by its range); samples
//! are clipped into the box before evaluation and the clipped points drive
//! the update, so the mean never leaves the box. Integer coordinates are
//! rounded by the evaluator. One generation is one batch of `lambda`.

use super::{Bound, Evaluator};
use crate::Rng;

/// Initial step size in the unit cube.
const SIGMA_START: f64 = 0.3;
/// Restart when the largest step falls below this.
const SIGMA_MIN: f64 = 1e-7;
/// Restart after this many generations without improving the run's best.
const STALE_GENERATIONS_MAX: u32 = 60;

/// The state of one CMA-ES run (ask / tell), restarting itself.
pub(super) struct Cma {
    n: usize,
    lambda: usize,
    w: Vec<f64>,
    mu_eff: f64,
    c_sigma: f64,
    d_sigma: f64,
    c_c: f64,
    c_1: f64,
    c_mu: f64,
    chi_n: f64,
    mean: Vec<f64>,
    sigma: f64,
    diag: Vec<f64>,
    p_sigma: Vec<f64>,
    p_c: Vec<f64>,
    run_best: f64,
    stale: u32,
}

impl Cma {
    /// A run over `n` coordinates with `lambda` samples per generation,
    /// starting from the unit-cube point `mean`.
    pub fn new(n: usize, lambda: usize, mean: Vec<f64>) -> Self {
        let lambda = lambda.max(4);
        let mu = lambda / 2;
        let raw: Vec<f64> = (0..mu)
            .map(|i| ((lambda as f64 + 1.0) / 2.0).ln() - ((i + 1) as f64).ln())
            .collect();
        let raw_sum: f64 = raw.iter().sum();
        let w: Vec<f64> = raw.iter().map(|v| v / raw_sum).collect();
        let mu_eff = 1.0 / w.iter().map(|v| v * v).sum::<f64>();
        let nf = n as f64;
        let c_sigma = (mu_eff + 2.0) / (nf + mu_eff + 5.0);
        let d_sigma = 1.0 + 2.0 * (((mu_eff - 1.0) / (nf + 1.0)).sqrt() - 1.0).max(0.0) + c_sigma;
        let c_c = 4.0 / (nf + 4.0);
        let sep = (nf + 2.0) / 3.0;
        let c_1 = (2.0 / ((nf + 1.3).powi(2) + mu_eff) * sep).min(0.9);
        let c_mu = ((2.0 * (mu_eff - 2.0 + 1.0 / mu_eff) / ((nf + 2.0).powi(2) + mu_eff)) * sep)
            .min(1.0 - c_1);
        let chi_n = nf.sqrt() * (1.0 - 1.0 / (4.0 * nf) + 1.0 / (21.0 * nf * nf));
        let mut cma = Cma {
            n,
            lambda,
            w,
            mu_eff,
            c_sigma,
            d_sigma,
            c_c,
            c_1,
            c_mu,
            chi_n,
            mean: Vec::new(),
            sigma: SIGMA_START,
            diag: Vec::new(),
            p_sigma: Vec::new(),
            p_c: Vec::new(),
            run_best: f64::NEG_INFINITY,
            stale: 0,
        };
        cma.restart(mean, SIGMA_START);
        cma
    }

    /// Starts a new run from `mean` (unit cube) with step `sigma`.
    pub fn restart(&mut self, mean: Vec<f64>, sigma: f64) {
        self.mean = mean.into_iter().map(|v| v.clamp(0.0, 1.0)).collect();
        self.sigma = sigma;
        self.diag = vec![1.0; self.n];
        self.p_sigma = vec![0.0; self.n];
        self.p_c = vec![0.0; self.n];
        self.run_best = f64::NEG_INFINITY;
        self.stale = 0;
    }

    /// One generation of samples in the unit cube.
    pub fn ask(&self, rng: &mut Rng) -> Vec<Vec<f64>> {
        (0..self.lambda)
            .map(|_| {
                (0..self.n)
                    .map(|i| {
                        (self.mean[i] + self.sigma * self.diag[i].sqrt() * rng.normal())
                            .clamp(0.0, 1.0)
                    })
                    .collect()
            })
            .collect()
    }

    // Index loops keep the CMA-ES update readable next to its formulas.
    #[allow(clippy::needless_range_loop)]
    /// Updates from the values of `ys` (as asked; may be fewer at the end
    /// of a budget). Returns `true` when the run should restart.
    pub fn tell(&mut self, ys: &[Vec<f64>], values: &[f64]) -> bool {
        let k = ys.len().min(values.len());
        if k == 0 {
            return false;
        }
        let mut order: Vec<usize> = (0..k).collect();
        // Best first; ties keep sample order.
        order.sort_by(|&a, &b| values[b].total_cmp(&values[a]));
        if values[order[0]] > self.run_best {
            self.run_best = values[order[0]];
            self.stale = 0;
        } else {
            self.stale += 1;
        }
        let mu = self.w.len().min(k);
        let selected: Vec<&Vec<f64>> = order.iter().take(mu).map(|&j| &ys[j]).collect();
        let weights = &self.w[..mu];
        let wsum: f64 = weights.iter().sum();
        let n = self.n;
        let new_mean: Vec<f64> = (0..n)
            .map(|i| {
                selected
                    .iter()
                    .zip(weights)
                    .map(|(y, wk)| wk * y[i])
                    .sum::<f64>()
                    / wsum
            })
            .collect();
        let step: Vec<f64> = (0..n)
            .map(|i| (new_mean[i] - self.mean[i]) / self.sigma)
            .collect();
        let ps_coef = (self.c_sigma * (2.0 - self.c_sigma) * self.mu_eff).sqrt();
        for i in 0..n {
            self.p_sigma[i] =
                (1.0 - self.c_sigma) * self.p_sigma[i] + ps_coef * step[i] / self.diag[i].sqrt();
        }
        let ps_norm = self.p_sigma.iter().map(|v| v * v).sum::<f64>().sqrt();
        let pc_coef = (self.c_c * (2.0 - self.c_c) * self.mu_eff).sqrt();
        for i in 0..n {
            self.p_c[i] = (1.0 - self.c_c) * self.p_c[i] + pc_coef * step[i];
            let rank_mu: f64 = selected
                .iter()
                .zip(weights)
                .map(|(y, wk)| wk / wsum * ((y[i] - self.mean[i]) / self.sigma).powi(2))
                .sum();
            self.diag[i] = ((1.0 - self.c_1 - self.c_mu) * self.diag[i]
                + self.c_1 * self.p_c[i] * self.p_c[i]
                + self.c_mu * rank_mu)
                .clamp(1e-12, 1e6);
        }
        self.sigma *= ((self.c_sigma / self.d_sigma) * (ps_norm / self.chi_n - 1.0)).exp();
        self.sigma = self.sigma.min(1.0);
        self.mean = new_mean;
        let spread = self.sigma * self.diag.iter().copied().fold(0.0, f64::max).sqrt();
        spread < SIGMA_MIN || self.stale >= STALE_GENERATIONS_MAX
    }
}

/// A box point mapped into the unit cube.
pub(super) fn to_unit(x: &[f64], bounds: &[Bound]) -> Vec<f64> {
    x.iter()
        .zip(bounds)
        .map(|(v, b)| {
            if b.width() > 0.0 {
                ((v - b.lo) / b.width()).clamp(0.0, 1.0)
            } else {
                0.0
            }
        })
        .collect()
}

/// A unit-cube point mapped into the box.
pub(super) fn from_unit(y: &[f64], bounds: &[Bound]) -> Vec<f64> {
    y.iter()
        .zip(bounds)
        .map(|(v, b)| b.lo + v.clamp(0.0, 1.0) * b.width())
        .collect()
}

/// The standalone baseline: restarts from the initial inputs, then from
/// random points.
pub(super) fn run(ev: &mut Evaluator<'_>, rng: &mut Rng) {
    let bounds = ev.bounds();
    let n = bounds.len();
    let mut initial: Vec<Vec<f64>> = ev.initial().to_vec();
    let start = |initial: &mut Vec<Vec<f64>>, rng: &mut Rng| match initial.pop() {
        Some(x) => to_unit(&x, bounds),
        None => (0..n).map(|_| rng.unit()).collect(),
    };
    let first = start(&mut initial, rng);
    let mut cma = Cma::new(n, ev.batch_size(), first);
    while !ev.done() {
        let ys = cma.ask(rng);
        let results = ev.eval_batch(ys.iter().map(|y| from_unit(y, bounds)).collect());
        if results.is_empty() {
            return;
        }
        let values: Vec<f64> = results.iter().map(|r| r.value).collect();
        if cma.tell(&ys, &values) {
            let m = start(&mut initial, rng);
            cma.restart(m, SIGMA_START);
        }
    }
}
