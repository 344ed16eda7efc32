//! The guided scenario search: it reads each simulated run's decision trace with
//! the margins *tied to the varied fields*.
//!
//! A simulated run's decisions do not name an input coordinate (a DNS cache goes
//! stale because of when the promotion landed, which depends on the fault's time
//! and the detector's phase), so the search measures the tie itself:
//!
//! - **paths**: runs are grouped by which decision sites fired and roughly how
//!   often (doublings); the best run of each path is its elite;
//! - **finite differences**: around an elite, one extra run per varied field
//!   (a small step inward) gives how each site's margins move with each field;
//! - **boundaries**: each margin is extrapolated linearly to zero along its
//!   gradient, and candidates go just on each side of that boundary (the place
//!   where a decision flips is where an objective jumps);
//! - **within a path**: two steps up the objective's own finite-difference
//!   slope, Gaussian steps around the elites that shrink as the search goes on,
//!   one field of an elite moved to an end of its range (monotone effects), plus
//!   a share of uniform draws so a flat landscape never leaves it worse off than
//!   random sampling.
//!
//! Batches run in parallel; candidates are drawn from the seeded generator
//! before a batch and folded back in order, so the result does not depend on
//! the thread count.

use std::collections::BTreeMap;
use std::time::Instant;

use rayon::prelude::*;

use super::explain::{site_figures, RunEvidence};
use super::ScenarioHunt;
use crate::search::{perturb, Bound, Method, ProgressPoint, SearchOutcome};
use crate::{HuntError, Rng, Trace};

/// Candidates per parallel batch (part of the algorithm, not of the machine).
const BATCH: usize = 16;
/// Finite-difference step, as a share of a field's range.
const FD_STEP_SHARE: f64 = 0.02;
/// How far past a boundary a candidate goes, as a share of a field's range.
const ACROSS_SHARE: f64 = 0.004;
/// Most boundary candidates per elite and batch.
const BOUNDARY_PER_ELITE_MAX: usize = 6;

/// A run's margins by (site, which margin): the features whose zero is a boundary.
type Margins = BTreeMap<(&'static str, u8), f64>;
/// Which sites fired, with how often in doublings.
type PathKey = Vec<(&'static str, u32)>;

struct Run {
    x: Vec<f64>,
    value: f64,
    margins: Margins,
}

/// Which sites fired and how often (in doublings): the path of a run.
fn path_of(run: &RunEvidence) -> (PathKey, Margins) {
    let mut path = Vec::new();
    let mut margins = Margins::new();
    for (site, f) in site_figures(&run.decisions, 0) {
        path.push((site, u64::BITS - f.taken.leading_zeros()));
        if let Some(m) = f.margin_taken_max {
            margins.insert((site, 0), m);
        }
        if let Some(m) = f.margin_not_taken_nearest {
            margins.insert((site, 1), m);
        }
    }
    path.sort();
    (path, margins)
}

/// Runs that share a path, best first: an elite and the finite differences
/// measured around it.
struct Elite {
    best: usize,
    /// Index of the run at `x + h e_i` per field, once measured.
    probes: Option<Vec<Option<usize>>>,
}

/// Candidates just on each side of each margin's linearised boundary.
fn boundary_candidates(
    runs: &[Run],
    elite: usize,
    probes: &[Option<usize>],
    bounds: &[Bound],
) -> Vec<Vec<f64>> {
    let e = &runs[elite];
    let d = bounds.len();
    let mut found: Vec<(f64, Vec<f64>)> = Vec::new();
    for (key, &m) in &e.margins {
        // Gradient of this margin in field units, from the probes that kept it.
        let mut g = vec![0.0; d];
        for (i, p) in probes.iter().enumerate() {
            let Some(p) = p else { continue };
            let p = &runs[*p];
            let dx = p.x[i] - e.x[i];
            if let (Some(mp), true) = (p.margins.get(key), dx != 0.0) {
                g[i] = (mp - m) / dx;
            }
        }
        let g2: f64 = g.iter().map(|v| v * v).sum();
        if g2 <= 0.0 || !g2.is_finite() {
            continue;
        }
        // Newton step of the margin to zero along its gradient.
        let step: Vec<f64> = g.iter().map(|gi| -m * gi / g2).collect();
        let dist: f64 = step
            .iter()
            .zip(bounds)
            .map(|(s, b)| (s / b.width().max(f64::MIN_POSITIVE)).powi(2))
            .sum::<f64>()
            .sqrt();
        if !dist.is_finite() || dist > 1.5 {
            continue;
        }
        let unit: Vec<f64> = {
            let n = dist.max(f64::MIN_POSITIVE);
            step.iter()
                .zip(bounds)
                .map(|(s, b)| s / b.width().max(f64::MIN_POSITIVE) / n)
                .collect()
        };
        for side in [-1.0, 1.0] {
            let x: Vec<f64> = (0..d)
                .map(|i| {
                    let b = &bounds[i];
                    b.project(e.x[i] + step[i] + side * ACROSS_SHARE * b.width() * unit[i])
                })
                .collect();
            found.push((dist, x));
        }
    }
    // Nearest boundaries first: the linear extrapolation is most trustworthy there.
    found.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut out: Vec<Vec<f64>> = found
        .into_iter()
        .map(|f| f.1)
        .take(BOUNDARY_PER_ELITE_MAX)
        .collect();
    // Within the path, the same probes give the objective's own slope: two steps up it.
    let slope: Vec<f64> = (0..d)
        .map(|i| match probes[i] {
            Some(p) if runs[p].x[i] != e.x[i] => {
                (runs[p].value - e.value) / ((runs[p].x[i] - e.x[i]) / bounds[i].width())
            }
            _ => 0.0,
        })
        .collect();
    let norm = slope.iter().map(|v| v * v).sum::<f64>().sqrt();
    if norm > 0.0 && norm.is_finite() {
        for share in [0.05, 0.2] {
            out.push(
                (0..d)
                    .map(|i| {
                        let b = &bounds[i];
                        b.project(e.x[i] + share * b.width() * slope[i] / norm)
                    })
                    .collect(),
            );
        }
    }
    out
}

/// The guided scenario search within `hunt`'s budget, starting from `initial`.
pub fn run(
    hunt: &ScenarioHunt,
    initial: Vec<f64>,
    on_progress: &mut dyn FnMut(&ProgressPoint),
) -> Result<SearchOutcome, HuntError> {
    let started = Instant::now();
    let bounds: Vec<Bound> = hunt.variables.iter().map(|v| v.bound).collect();
    let d = bounds.len();
    let budget = hunt.evaluations_max as usize;
    let mut rng = Rng::new(hunt.seed);
    let mut runs: Vec<Run> = Vec::new();
    let mut failed = 0u64;
    let mut first_error: Option<HuntError> = None;
    let mut elites: BTreeMap<PathKey, Elite> = BTreeMap::new();
    let mut progress = Vec::new();
    let mut best: Option<usize> = None;
    let mut evaluations = 0usize;
    // The first batch: the file as written and uniform draws.
    let mut batch: Vec<Vec<f64>> = vec![initial];
    while batch.len() < BATCH {
        batch.push(bounds.iter().map(|b| b.sample(&mut rng)).collect());
    }
    // The probes each candidate answers: (elite path, field).
    let mut probe_of: Vec<Option<(PathKey, usize)>> = vec![None; BATCH];
    let out_of_time = |started: &Instant| {
        hunt.time_ms_max
            .is_some_and(|t| started.elapsed().as_secs_f64() * 1e3 >= t as f64)
    };
    while evaluations < budget && !out_of_time(&started) {
        batch.truncate(budget - evaluations);
        probe_of.resize(batch.len(), None);
        let results: Vec<Result<(f64, RunEvidence), HuntError>> = batch
            .par_iter()
            .map(|x| hunt.evidence_at(x, &mut Trace::new()))
            .collect();
        evaluations += batch.len();
        for ((x, r), probe) in batch.drain(..).zip(results).zip(probe_of.drain(..)) {
            let (value, evidence) = match r {
                Ok(v) => v,
                Err(e) => {
                    failed += 1;
                    first_error.get_or_insert(e);
                    continue;
                }
            };
            let (path, margins) = path_of(&evidence);
            let i = runs.len();
            runs.push(Run { x, value, margins });
            if best.is_none_or(|b| value > runs[b].value) {
                best = Some(i);
            }
            if let Some((p, field)) = probe {
                if let Some(e) = elites.get_mut(&p) {
                    if let Some(pr) = e.probes.as_mut() {
                        pr[field] = Some(i);
                    }
                }
            }
            let e = elites.entry(path).or_insert(Elite {
                best: i,
                probes: None,
            });
            if value > runs[e.best].value {
                // A new elite: its finite differences are measured afresh.
                e.best = i;
                e.probes = None;
            }
        }
        if let Some(b) = best {
            let p = ProgressPoint {
                evaluations: evaluations as u64,
                best_value: runs[b].value,
                elapsed_ms: started.elapsed().as_secs_f64() * 1e3,
            };
            on_progress(&p);
            progress.push(p);
        }
        if runs.is_empty() {
            // Every candidate failed: keep drawing, the error is reported at the end.
            batch = (0..BATCH)
                .map(|_| bounds.iter().map(|b| b.sample(&mut rng)).collect())
                .collect();
            continue;
        }
        // Elites by value, best first.
        let mut order: Vec<(PathKey, usize)> =
            elites.iter().map(|(k, e)| (k.clone(), e.best)).collect();
        order.sort_by(|a, b| runs[b.1].value.total_cmp(&runs[a.1].value));
        let progress_share = evaluations as f64 / budget as f64;
        for (path, elite) in order.iter().take(3) {
            if batch.len() >= BATCH - 2 {
                break;
            }
            let e = elites
                .get_mut(path)
                .expect("the elite was listed from the map");
            match &e.probes {
                None => {
                    // Measure how the margins move: one step inward per field.
                    e.probes = Some(vec![None; d]);
                    for (i, b) in bounds.iter().enumerate() {
                        let mut x = runs[*elite].x.clone();
                        let h = (FD_STEP_SHARE * b.width()).max(b.step_min());
                        let up = x[i] + h <= b.hi;
                        x[i] = b.project(if up { x[i] + h } else { x[i] - h });
                        batch.push(x);
                        probe_of.push(Some((path.clone(), i)));
                    }
                }
                Some(probes) => {
                    let probes = probes.clone();
                    for x in boundary_candidates(&runs, *elite, &probes, &bounds) {
                        if batch.len() >= BATCH - 2 {
                            break;
                        }
                        batch.push(x);
                        probe_of.push(None);
                    }
                }
            }
        }
        // Climb within the best paths, then a few uniform draws.
        let scale = 0.15 * (1.0 - progress_share) + 0.01;
        while batch.len() < BATCH {
            let x = if rng.chance(0.2) {
                bounds.iter().map(|b| b.sample(&mut rng)).collect()
            } else if rng.chance(0.15) {
                // One field of an elite to an end of its range: monotone effects.
                let k = rng.below(order.len().min(3));
                let mut x = runs[order[k].1].x.clone();
                let i = rng.below(d);
                x[i] = if rng.chance(0.5) {
                    bounds[i].lo
                } else {
                    bounds[i].hi
                };
                x
            } else {
                let k = rng.below(order.len().min(3));
                perturb(&runs[order[k].1].x, &bounds, scale, &mut rng)
            };
            batch.push(x);
            probe_of.push(None);
        }
    }
    let Some(b) = best else {
        return Err(first_error
            .unwrap_or_else(|| HuntError::config("hunt.budget", "no evaluation was made")));
    };
    Ok(SearchOutcome {
        method: Method::Guided,
        best_x: runs[b].x.clone(),
        best_value: runs[b].value,
        evaluations: evaluations as u64,
        evaluations_failed: failed,
        paths_seen: elites.len() as u64,
        elapsed_ms: started.elapsed().as_secs_f64() * 1e3,
        progress,
    })
}
