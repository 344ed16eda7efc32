//! Separable CMA-ES (diagonal covariance) with restarts: a black-box
//! baseline for continuous boxes.
//!
//! Works in the unit cube (every coordinate scaled by its range); samples
//! are clipped into the box before evaluation and the clipped points drive
//! the update, so the mean never leaves the box. Integer coordinates are
//! rounded by the evaluator. One generation is one batch (lambda = batch
//! size), so generations are evaluated in parallel.

use super::Evaluator;
use crate::Rng;

/// Initial step size in the unit cube.
const SIGMA_START: f64 = 0.3;
/// Restart when the largest step falls below this.
const SIGMA_MIN: f64 = 1e-7;
/// Restart after this many generations without improving the run's best.
const STALE_GENERATIONS_MAX: u32 = 60;

pub(super) fn run(ev: &mut Evaluator<'_>, rng: &mut Rng) {
    let bounds = ev.bounds();
    let n = bounds.len();
    let lambda = ev.batch_size().max(4);
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

    let to_x = |y: &[f64]| -> Vec<f64> {
        y.iter()
            .zip(bounds)
            .map(|(v, b)| b.lo + v.clamp(0.0, 1.0) * b.width())
            .collect()
    };
    let mut initial: Vec<Vec<f64>> = ev.initial().to_vec();
    while !ev.done() {
        // A (re)start.
        let mut mean: Vec<f64> = match initial.pop() {
            Some(x) => x
                .iter()
                .zip(bounds)
                .map(|(v, b)| {
                    if b.width() > 0.0 {
                        (v - b.lo) / b.width()
                    } else {
                        0.0
                    }
                })
                .map(|v| v.clamp(0.0, 1.0))
                .collect(),
            None => (0..n).map(|_| rng.unit()).collect(),
        };
        let mut sigma = SIGMA_START;
        let mut diag: Vec<f64> = vec![1.0; n];
        let mut p_sigma: Vec<f64> = vec![0.0; n];
        let mut p_c: Vec<f64> = vec![0.0; n];
        let mut run_best = f64::NEG_INFINITY;
        let mut stale = 0;
        while !ev.done() {
            let ys: Vec<Vec<f64>> = (0..lambda)
                .map(|_| {
                    (0..n)
                        .map(|i| (mean[i] + sigma * diag[i].sqrt() * rng.normal()).clamp(0.0, 1.0))
                        .collect()
                })
                .collect();
            let results = ev.eval_batch(ys.iter().map(|y| to_x(y)).collect());
            if results.is_empty() {
                return;
            }
            let mut order: Vec<usize> = (0..results.len()).collect();
            // Best first; ties keep sample order.
            order.sort_by(|&a, &b| results[b].value.total_cmp(&results[a].value));
            let gen_best = results[order[0]].value;
            if gen_best > run_best {
                run_best = gen_best;
                stale = 0;
            } else {
                stale += 1;
            }
            let selected: Vec<&Vec<f64>> = order.iter().take(mu).map(|&k| &ys[k]).collect();
            let weights = &w[..selected.len()];
            let wsum: f64 = weights.iter().sum();
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
            let step: Vec<f64> = (0..n).map(|i| (new_mean[i] - mean[i]) / sigma).collect();
            let ps_coef = (c_sigma * (2.0 - c_sigma) * mu_eff).sqrt();
            for i in 0..n {
                p_sigma[i] = (1.0 - c_sigma) * p_sigma[i] + ps_coef * step[i] / diag[i].sqrt();
            }
            let ps_norm = p_sigma.iter().map(|v| v * v).sum::<f64>().sqrt();
            let pc_coef = (c_c * (2.0 - c_c) * mu_eff).sqrt();
            for i in 0..n {
                p_c[i] = (1.0 - c_c) * p_c[i] + pc_coef * step[i];
                let rank_mu: f64 = selected
                    .iter()
                    .zip(weights)
                    .map(|(y, wk)| wk / wsum * ((y[i] - mean[i]) / sigma).powi(2))
                    .sum();
                diag[i] = ((1.0 - c_1 - c_mu) * diag[i] + c_1 * p_c[i] * p_c[i] + c_mu * rank_mu)
                    .clamp(1e-12, 1e6);
            }
            sigma *= ((c_sigma / d_sigma) * (ps_norm / chi_n - 1.0)).exp();
            sigma = sigma.min(1.0);
            mean = new_mean;
            let spread = sigma * diag.iter().copied().fold(0.0, f64::max).sqrt();
            if spread < SIGMA_MIN || stale >= STALE_GENERATIONS_MAX {
                break;
            }
        }
    }
}
