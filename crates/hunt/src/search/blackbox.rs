//! Black-box baselines: random sampling, hill climbing, simulated annealing.
//! They see only the objective value, never the trace.

use super::{perturb, Evaluator};
use crate::Rng;

/// Hill climbers restart from a random point after this many steps without
/// improvement.
const HILL_RESTART_AFTER_STEPS: u32 = 40;
/// Step size of the baselines' moves, as a fraction of each range's width.
const STEP_SCALE: f64 = 0.1;

/// Evaluates the initial inputs, then one batch of random points at a time.
pub(super) fn random(ev: &mut Evaluator<'_>, rng: &mut Rng) {
    let initial = ev.initial().to_vec();
    ev.eval_batch(initial);
    while !ev.done() {
        let batch = (0..ev.batch_size()).map(|_| ev.random_point(rng)).collect();
        if ev.eval_batch(batch).is_empty() {
            break;
        }
    }
}

/// One current point per batch slot: `batch_size` independent chains that
/// each take one step per batch.
struct Chain {
    x: Vec<f64>,
    value: f64,
    stale_steps: u32,
}

/// Starts one chain per batch slot (initial inputs first, then random).
fn start_chains(ev: &mut Evaluator<'_>, rng: &mut Rng) -> Vec<Chain> {
    let mut starts: Vec<Vec<f64>> = ev.initial().to_vec();
    while starts.len() < ev.batch_size() {
        starts.push(ev.random_point(rng));
    }
    ev.eval_batch(starts)
        .into_iter()
        .map(|e| Chain {
            x: e.x,
            value: e.value,
            stale_steps: 0,
        })
        .collect()
}

/// Parallel stochastic hill climbing: each chain proposes a perturbation and
/// keeps it when it is not worse; restarts after a long stall.
pub(super) fn hill_climb(ev: &mut Evaluator<'_>, rng: &mut Rng) {
    let mut chains = start_chains(ev, rng);
    let bounds = ev.bounds();
    while !ev.done() && !chains.is_empty() {
        let proposals: Vec<Vec<f64>> = chains
            .iter()
            .map(|c| {
                if c.stale_steps >= HILL_RESTART_AFTER_STEPS {
                    ev.random_point(rng)
                } else {
                    perturb(&c.x, bounds, STEP_SCALE, rng)
                }
            })
            .collect();
        let results = ev.eval_batch(proposals);
        if results.is_empty() {
            break;
        }
        for (c, r) in chains.iter_mut().zip(results) {
            if c.stale_steps >= HILL_RESTART_AFTER_STEPS {
                *c = Chain {
                    x: r.x,
                    value: r.value,
                    stale_steps: 0,
                };
            } else if r.value > c.value {
                c.x = r.x;
                c.value = r.value;
                c.stale_steps = 0;
            } else {
                if r.value == c.value {
                    c.x = r.x; // sideways moves cross plateaus
                }
                c.stale_steps += 1;
            }
        }
    }
}

/// Parallel simulated annealing: Metropolis acceptance with a geometric
/// temperature schedule from the spread of the starting values down to a
/// thousandth of it, over the evaluation budget.
pub(super) fn anneal(ev: &mut Evaluator<'_>, rng: &mut Rng) {
    let mut chains = start_chains(ev, rng);
    let bounds = ev.bounds();
    let finite: Vec<f64> = chains
        .iter()
        .map(|c| c.value)
        .filter(|v| v.is_finite())
        .collect();
    let mean = finite.iter().sum::<f64>() / finite.len().max(1) as f64;
    let spread = (finite.iter().map(|v| (v - mean).powi(2)).sum::<f64>()
        / finite.len().max(1) as f64)
        .sqrt();
    let t_start = if spread > 0.0 {
        spread
    } else {
        1e-3 * mean.abs().max(1.0)
    };
    let t_end = t_start * 1e-3;
    let budget = ev.budget().max(1) as f64;
    while !ev.done() && !chains.is_empty() {
        let progress = ev.evaluations() as f64 / budget;
        let temperature = t_start * (t_end / t_start).powf(progress.min(1.0));
        let proposals: Vec<Vec<f64>> = chains
            .iter()
            .map(|c| perturb(&c.x, bounds, STEP_SCALE, rng))
            .collect();
        let results = ev.eval_batch(proposals);
        if results.is_empty() {
            break;
        }
        for (c, r) in chains.iter_mut().zip(results) {
            let accept = r.value >= c.value
                || (r.value.is_finite() && rng.chance(((r.value - c.value) / temperature).exp()));
            if accept {
                c.x = r.x;
                c.value = r.value;
            }
        }
    }
}
