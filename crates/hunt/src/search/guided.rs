//! The code-aware guided search.
//!
//! It reads every evaluation's decision [`Trace`](crate::Trace):
//!
//! - **paths**: inputs are grouped by path signature (the sequence of
//!   branches taken); an archive keeps the best input of up to
//!   [`ARCHIVE_PATHS_MAX`] paths, and parents are drawn from it, so the
//!   search climbs within several paths at once instead of one basin;
//! - **boundaries**: a decision that names its input coordinate
//!   (`decision!(t, "site", input = i, lhs <= rhs)`) gives the boundary
//!   value of that coordinate (`x_i + margin`). *Snap* moves put inputs
//!   exactly on the boundary on the side they are on (the most extreme
//!   input that still takes the same branch); *flip* moves put them just
//!   across it, preferring the decisions closest to their threshold;
//! - **across paths**: crossover mixes the elites of two different paths;
//! - **within a path**: a separable CMA-ES climber, started (and
//!   restarted) on an elite of the archive, adds a generation to a share of
//!   the batches that follows how often it set a new best compared with the
//!   trace moves (between 20% and 80%); Gaussian steps and moves to the
//!   ends of ranges;
//! - **runs**: worst cases of greedy heuristics are often runs of equal
//!   inputs, so *block* sets a run of coordinates (contiguous or strided) to
//!   one value (the parent's, a decision boundary's, a range end) or shifts
//!   it as a unit, *sweep* tries several common values of one run in one
//!   batch, and *pattern* (also a quarter of the seeds) draws step or
//!   periodic inputs;
//! - **classes and order**, once some trace has a decision over a sum of
//!   inputs (inputs that add up, as items into bins): *class* moves every
//!   input equal to a random one (or a random part of them) to a new
//!   common value, *order* sorts a run of inputs up or down (a
//!   heuristic that takes inputs in order sees another sequence of the
//!   same values; with units of several inputs, each kind sorts on its
//!   own, so 2D items trend from heavy in one dimension to heavy in the
//!   other), *coarsen* snaps every input to the nearest of two or
//!   three values the parent holds (greedy packers' worst cases are built
//!   from a few sizes: FFD's worst 30-item case in sizes 1–9 is 22 items
//!   of 3 and 8 of 4), and among elites of equal value the archive keeps
//!   the ones with fewer distinct values, so a plateau drifts towards such
//!   inputs. Without such decisions these moves are never drawn and ties
//!   are kept as before, so other problems search exactly as before;
//! - **units**: inputs summed together against a constant are one kind
//!   (one dimension of the items loaded into a bin), so the stride between
//!   them says how many consecutive coordinates make one item (2 in 2D bin
//!   packing, 1 in 1D). Class, coarsen, crossover and the tie preference
//!   act on whole items: in 2D, a few distinct coordinate values are not a
//!   few item types;
//! - **fresh points**: a share of uniform samples, so that on a flat
//!   landscape the search is never worse off than random sampling.
//!
//! Move kinds are chosen with probabilities that adapt to how often each
//! kind improved on its parent.

use super::cmaes::{from_unit, to_unit, Cma};
use super::{perturb, Evaluated, Evaluator};
use crate::{trace::Decision, Rng};

/// Most paths kept in the elite archive.
pub const ARCHIVE_PATHS_MAX: usize = 64;
/// Step size (unit cube) of the climber when it restarts on an elite.
const CMA_SIGMA_RESTART: f64 = 0.3;
/// Most initial seeds, so that a huge budget (a search bounded by time)
/// does not spend its time seeding.
const SEEDS_MAX: usize = 256;
/// Share of the budget spent on the initial (random and corner) seeds.
const SEED_SHARE: f64 = 0.05;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Move {
    Flip,
    Snap,
    Local,
    Extreme,
    Cross,
    Fresh,
    Block,
    Pattern,
    Sweep,
    Class,
    Order,
    Coarsen,
}

/// Number of move kinds.
const MOVE_KINDS: usize = 12;

const MOVES: [Move; MOVE_KINDS] = [
    Move::Flip,
    Move::Snap,
    Move::Local,
    Move::Extreme,
    Move::Cross,
    Move::Fresh,
    Move::Block,
    Move::Pattern,
    Move::Sweep,
    Move::Class,
    Move::Order,
    Move::Coarsen,
];
/// Base weights; the last three (class, order, coarsen) count only once some trace
/// has had a decision over a sum of inputs (see [`Decision::is_linear`]):
/// inputs that add up (items into bins) are where classes of equal inputs
/// and their order matter, and the moves of other problems stay unchanged.
const MOVE_WEIGHTS_BASE: [f64; MOVE_KINDS] = [
    0.25, 0.25, 0.20, 0.10, 0.10, 0.10, 0.20, 0.10, 0.10, 0.30, 0.20, 0.20,
];
/// Index of the first move that needs decisions over sums of inputs.
const LINEAR_MOVES_FROM: usize = 9;

struct Elite {
    x: Vec<f64>,
    /// Distinct units (blocks of [`State::unit`] coordinates) in `x`.
    distinct: usize,
    value: f64,
    signature: u64,
    /// The decisions of its trace that name an input coordinate.
    tagged: Vec<Decision>,
}

struct State {
    archive: Vec<Elite>,
    wins: [f64; MOVE_KINDS],
    trials: [f64; MOVE_KINDS],
    /// Whether some elite's trace had a decision over a sum of inputs.
    linear_seen: bool,
    /// Greatest common divisor of the distances between inputs summed
    /// against a constant (0 until such a sum is seen). Inputs summed
    /// together are one kind (one dimension of items loaded into a bin), so
    /// a stride of `k` says inputs interleave `k` kinds and a unit (one
    /// item) is `k` consecutive coordinates; 1 in every 1D problem.
    stride: usize,
    step_scale: f64,
}

pub(super) fn run(ev: &mut Evaluator<'_>, rng: &mut Rng) {
    let bounds = ev.bounds();
    let mut state = State::new();
    // Seeds: the given inputs, the corners and the middle of the box, random points.
    let mut seeds: Vec<Vec<f64>> = ev.initial().to_vec();
    seeds.push(bounds.iter().map(|b| b.lo).collect());
    seeds.push(bounds.iter().map(|b| b.hi).collect());
    seeds.push(bounds.iter().map(|b| b.lo + b.width() / 2.0).collect());
    let seeds_n = ((ev.budget() as f64 * SEED_SHARE) as usize).clamp(ev.batch_size(), SEEDS_MAX);
    while seeds.len() < seeds_n {
        // A quarter structured (runs and periods of equal values), the rest uniform.
        let x = if rng.chance(0.25) {
            pattern(bounds, rng)
        } else {
            ev.random_point(rng)
        };
        seeds.push(x);
    }
    for chunk in seeds.chunks(ev.batch_size().max(1)) {
        for e in ev.eval_batch(chunk.to_vec()) {
            state.insert(e);
        }
    }
    let cma_lambda = ev.batch_size().max(4);
    let mut cma: Option<Cma> = None;
    // Decayed (batches that set a new best, batches) per source.
    let mut cma_credit = [0.0_f64; 2];
    let mut trace_credit = [0.0_f64; 2];
    while !ev.done() {
        if state.archive.is_empty() {
            // Nothing evaluated successfully yet: keep sampling.
            let batch = (0..ev.batch_size()).map(|_| ev.random_point(rng)).collect();
            let results = ev.eval_batch(batch);
            if results.is_empty() {
                break;
            }
            results.into_iter().for_each(|e| state.insert(e));
            continue;
        }
        // The CMA-ES climber starts (and restarts) from an elite.
        let cma = cma.get_or_insert_with(|| {
            let start = state.pick_parent(rng);
            Cma::new(
                bounds.len(),
                cma_lambda,
                to_unit(&state.archive[start].x, bounds),
            )
        });
        // Whether this batch carries a CMA-ES generation: decided by how
        // often each source set a new best lately.
        let rate = |c: [f64; 2]| (c[0] + 1.0) / (c[1] + 2.0);
        let p_cma = (rate(cma_credit) / (rate(cma_credit) + rate(trace_credit))).clamp(0.2, 0.8);
        let use_cma = rng.chance(p_cma);
        let cma_ys = if use_cma { cma.ask(rng) } else { Vec::new() };
        let trace_n = if use_cma {
            (ev.batch_size() / 2).max(1)
        } else {
            ev.batch_size()
        };
        let best_before = state
            .archive
            .iter()
            .map(|el| el.value)
            .fold(f64::NEG_INFINITY, f64::max);
        let mut proposals: Vec<Vec<f64>> = cma_ys.iter().map(|y| from_unit(y, bounds)).collect();
        let mut origins = Vec::with_capacity(ev.batch_size());
        while proposals.len() < cma_ys.len() + trace_n {
            let parent = state.pick_parent(rng);
            // A flat archive (every elite has the same value) means the
            // trace has nothing to climb yet: sample widely until it has.
            let mv = if state.is_flat() && rng.chance(0.5) {
                Move::Fresh
            } else {
                state.pick_move(rng)
            };
            if mv == Move::Sweep {
                // A line search over one run's common value, several points at once.
                let room = cma_ys.len() + trace_n - proposals.len();
                for child in sweep(&state.archive[parent].x, bounds, room, rng) {
                    origins.push((mv, state.archive[parent].value));
                    proposals.push(child);
                }
                continue;
            }
            let child = state.propose(parent, mv, bounds, rng);
            origins.push((mv, state.archive[parent].value));
            proposals.push(child);
        }
        let mut results = ev.eval_batch(proposals);
        if results.is_empty() {
            break;
        }
        let trace_results = results.split_off(cma_ys.len().min(results.len()));
        let cma_values: Vec<f64> = results.iter().map(|r| r.value).collect();
        let set_best = |vals: &[f64]| vals.iter().any(|&v| v > best_before);
        if use_cma {
            cma_credit[1] += 1.0;
            cma_credit[0] += f64::from(u8::from(set_best(&cma_values)));
        }
        trace_credit[1] += 1.0;
        let trace_values: Vec<f64> = trace_results.iter().map(|r| r.value).collect();
        trace_credit[0] += f64::from(u8::from(set_best(&trace_values)));
        for c in [&mut cma_credit, &mut trace_credit] {
            c[0] *= 0.95;
            c[1] *= 0.95;
        }
        if use_cma && cma.tell(&cma_ys[..cma_values.len()], &cma_values) {
            // Restart on an elite: half the time a best one, else another path's.
            let start = state.pick_parent(rng);
            cma.restart(to_unit(&state.archive[start].x, bounds), CMA_SIGMA_RESTART);
        }
        for e in results {
            state.insert(e);
        }
        for (e, (mv, parent_value)) in trace_results.into_iter().zip(origins) {
            let k = MOVES.iter().position(|m| *m == mv).unwrap_or(0);
            state.trials[k] += 1.0;
            // Coarsening is for walking a plateau towards fewer sizes (the
            // archive keeps those on ties), so keeping the parent's value
            // counts as a success; where coarse inputs lose the gap (2D
            // packing, whose worst cases are not made of a few sizes) its
            // weight shrinks.
            let won = e.value > parent_value || (mv == Move::Coarsen && e.value >= parent_value);
            if won {
                state.wins[k] += 1.0;
            }
            if mv == Move::Local {
                state.step_scale = if won {
                    (state.step_scale * 1.5).min(0.5)
                } else {
                    (state.step_scale * 0.95).max(0.002)
                };
            }
            state.insert(e);
        }
        // Forget slowly, so the move mix follows the phase of the search.
        for k in 0..MOVES.len() {
            state.wins[k] *= 0.98;
            state.trials[k] *= 0.98;
        }
    }
}

impl State {
    /// An empty archive, no move tried yet, no decision over sums seen.
    fn new() -> Self {
        Self {
            archive: Vec::new(),
            wins: [0.0; MOVE_KINDS],
            trials: [0.0; MOVE_KINDS],
            linear_seen: false,
            stride: 0,
            step_scale: 0.1,
        }
    }

    fn insert(&mut self, e: Evaluated) {
        if !e.value.is_finite() {
            return;
        }
        if !self.linear_seen && e.trace.decisions().iter().any(Decision::is_linear) {
            self.linear_seen = true;
        }
        let stride = self.stride;
        if self.linear_seen && stride != 1 {
            for d in e.trace.decisions() {
                if d.rhs_inputs.is_empty() {
                    if let Some((&first, rest)) = d.lhs_inputs.split_first() {
                        for &c in rest {
                            self.stride = gcd(self.stride, c.abs_diff(first));
                        }
                    }
                }
            }
            if self.stride != stride {
                let unit = self.unit();
                for el in &mut self.archive {
                    el.distinct = distinct_units(&el.x, unit);
                }
            }
        }
        let new = elite(e, self.unit());
        let key = |el: &Elite| self.rank(el);
        if let Some(k) = self
            .archive
            .iter()
            .position(|el| el.signature == new.signature)
        {
            // Ties replace too: on a plateau the path's elite drifts.
            if key(&new) >= key(&self.archive[k]) {
                self.archive[k] = new;
            }
            return;
        }
        if self.archive.len() < ARCHIVE_PATHS_MAX {
            self.archive.push(new);
            return;
        }
        let (worst, worst_key) =
            self.archive
                .iter()
                .enumerate()
                .fold((0, (f64::INFINITY, 0)), |acc, (i, el)| {
                    if key(el) <= acc.1 {
                        (i, key(el))
                    } else {
                        acc
                    }
                });
        // On ties the last of the worst goes, so a plateau keeps churning
        // instead of freezing the archive on the first paths seen.
        if key(&new) >= worst_key {
            self.archive[worst] = new;
        }
    }

    /// Coordinates per unit (item): the stride of summed inputs, or 1.
    fn unit(&self) -> usize {
        self.stride.max(1)
    }

    /// How an elite ranks against another: by value, then (once decisions
    /// over sums were seen) by fewer distinct units, so that among equal
    /// gaps the archive keeps inputs made of fewer item types. Without such
    /// decisions the second key is always 0 and ties rank equal, as before.
    fn rank(&self, el: &Elite) -> (f64, i64) {
        let fewer = if self.linear_seen {
            -(el.distinct as i64)
        } else {
            0
        };
        (el.value, fewer)
    }

    fn is_flat(&self) -> bool {
        self.archive.windows(2).all(|w| w[0].value == w[1].value)
    }

    /// Half the time one of the best elites (uniformly among ties), else a
    /// 3-way tournament.
    fn pick_parent(&self, rng: &mut Rng) -> usize {
        if rng.chance(0.5) {
            let best = self
                .archive
                .iter()
                .map(|el| el.value)
                .fold(f64::NEG_INFINITY, f64::max);
            let tied: Vec<usize> = (0..self.archive.len())
                .filter(|&i| self.archive[i].value == best)
                .collect();
            return tied[rng.below(tied.len())];
        }
        let mut pick = rng.below(self.archive.len());
        for _ in 0..2 {
            let other = rng.below(self.archive.len());
            if self.archive[other].value > self.archive[pick].value {
                pick = other;
            }
        }
        pick
    }

    fn pick_move(&self, rng: &mut Rng) -> Move {
        let moves_n = if self.linear_seen {
            MOVES.len()
        } else {
            LINEAR_MOVES_FROM
        };
        let weights: Vec<f64> = (0..moves_n)
            .map(|k| MOVE_WEIGHTS_BASE[k] * (0.2 + (self.wins[k] + 1.0) / (self.trials[k] + 2.0)))
            .collect();
        let total: f64 = weights.iter().sum();
        let mut r = rng.unit() * total;
        for (k, w) in weights.iter().enumerate() {
            if r < *w {
                return MOVES[k];
            }
            r -= w;
        }
        Move::Local
    }

    fn propose(&self, parent: usize, mv: Move, bounds: &[crate::Bound], rng: &mut Rng) -> Vec<f64> {
        let el = &self.archive[parent];
        let mut x = el.x.clone();
        let tagged: Vec<&Decision> = el
            .tagged
            .iter()
            .filter(|d| d.input.is_some_and(|i| i < bounds.len()))
            .collect();
        match mv {
            Move::Flip | Move::Snap if !tagged.is_empty() => {
                let snap = mv == Move::Snap;
                if snap && rng.chance(0.15) {
                    // Every decision of one site onto its boundary, same side.
                    let site = tagged[rng.below(tagged.len())].site;
                    for d in tagged.iter().filter(|d| d.site == site) {
                        move_to_boundary(&mut x, d, bounds, false);
                    }
                    return x;
                }
                let mut count = 1;
                while count < tagged.len() && rng.chance(0.5) {
                    count += 1;
                }
                for _ in 0..count {
                    // Prefer the decision nearest its threshold among a few.
                    let mut pick = tagged[rng.below(tagged.len())];
                    if !snap {
                        for _ in 0..3 {
                            let other = tagged[rng.below(tagged.len())];
                            if normalized_margin(other, bounds) < normalized_margin(pick, bounds) {
                                pick = other;
                            }
                        }
                    }
                    move_to_boundary(&mut x, pick, bounds, !snap);
                }
                x
            }
            Move::Flip | Move::Snap | Move::Local => perturb(&x, bounds, self.step_scale, rng),
            Move::Extreme => {
                let k = 1 + rng.below(3.min(x.len()));
                for _ in 0..k {
                    let i = rng.below(x.len());
                    x[i] = if rng.chance(0.5) {
                        bounds[i].lo
                    } else {
                        bounds[i].hi
                    };
                }
                x
            }
            Move::Fresh => bounds.iter().map(|b| b.sample(rng)).collect(),
            Move::Block => {
                block(&mut x, &tagged, bounds, rng);
                x
            }
            Move::Pattern => pattern(bounds, rng),
            Move::Class => {
                class(&mut x, bounds, self.unit(), rng);
                x
            }
            Move::Order => {
                order(&mut x, bounds, self.unit(), rng);
                x
            }
            Move::Coarsen => {
                coarsen(&mut x, bounds, self.unit(), rng);
                x
            }
            Move::Sweep => perturb(&x, bounds, self.step_scale, rng),
            Move::Cross => {
                if self.archive.len() < 2 {
                    return perturb(&x, bounds, self.step_scale, rng);
                }
                let mut other = rng.below(self.archive.len());
                if other == parent {
                    other = (other + 1) % self.archive.len();
                }
                // Whole units (items) cross, so no item is split between parents.
                let y = &self.archive[other].x;
                let k = self.unit();
                for (xu, yu) in x.chunks_mut(k).zip(y.chunks(k)) {
                    if rng.chance(0.5) {
                        xu.copy_from_slice(yu);
                    }
                }
                x
            }
        }
    }
}

/// Sets a run of coordinates (contiguous, or every `stride`-th one) to one
/// value: a value the parent already has in that run, a decision boundary
/// of the run, or an end of the range. Worst cases of greedy heuristics are
/// often such runs of equal inputs (identical items, demands all on the
/// pinning threshold, long jobs in every k-th slot).
fn block(x: &mut [f64], tagged: &[&Decision], bounds: &[crate::Bound], rng: &mut Rng) {
    let run = pick_run(x.len(), rng);
    if run.is_empty() {
        return;
    }
    let pick = run[rng.below(run.len())];
    let b = &bounds[pick];
    let r = rng.unit();
    let boundary = tagged
        .iter()
        .filter(|d| d.input.is_some_and(|i| run.contains(&i)))
        .collect::<Vec<_>>();
    if r < 0.3 {
        // Shift the whole run by one common step: climbs a pattern as a unit.
        let mut step = rng.normal() * 0.1 * b.width();
        if b.integer && step.abs() < 1.0 {
            step = if step < 0.0 { -1.0 } else { 1.0 };
        }
        for &i in &run {
            x[i] = bounds[i].project(x[i] + step);
        }
        return;
    }
    let v = if r < 0.6 {
        x[pick]
    } else if r < 0.75 && !boundary.is_empty() {
        let d = boundary[rng.below(boundary.len())];
        let mut y = x.to_vec();
        move_to_boundary(&mut y, d, bounds, rng.chance(0.5));
        y[d.input.unwrap_or(pick)]
    } else if r < 0.88 {
        if rng.chance(0.5) {
            b.lo
        } else {
            b.hi
        }
    } else {
        b.sample(rng)
    };
    for &i in &run {
        x[i] = bounds[i].project(v);
    }
}

/// Moves a class of equal inputs together: every coordinate (or a random
/// part of those) holding the value of a random coordinate takes a new
/// common value: one already present elsewhere in the input, a step away,
/// or a uniform draw.
fn class(x: &mut [f64], bounds: &[crate::Bound], unit: usize, rng: &mut Rng) {
    let k = unit.max(1);
    let at = |i: usize| i * k..(i + 1) * k;
    let n = x.len() / k;
    let i = rng.below(n);
    let v = x[at(i)].to_vec();
    let members: Vec<usize> = (0..n)
        .filter(|&j| x[at(j)] == v[..] && bounds[at(j)] == bounds[at(i)])
        .collect();
    let r = rng.unit();
    let w: Vec<f64> = if r < 0.4 {
        x[at(rng.below(n))].to_vec()
    } else if r < 0.75 {
        // One coordinate of the unit steps.
        let d = if k > 1 { rng.below(k) } else { 0 };
        let b = bounds[i * k + d];
        let step = if b.integer {
            1.0
        } else {
            0.05 * b.width() * rng.unit()
        };
        let mut w = v.clone();
        w[d] += if rng.chance(0.5) { step } else { -step };
        w
    } else {
        bounds[at(i)].iter().map(|b| b.sample(rng)).collect()
    };
    let all = rng.chance(0.5);
    for &j in &members {
        if all || j == i || rng.chance(0.5) {
            for ((xi, wv), b) in x[at(j)].iter_mut().zip(&w).zip(&bounds[at(j)]) {
                *xi = b.project(*wv);
            }
        }
    }
}

/// Snaps every unit (`unit` consecutive inputs: one item's sizes) to the
/// nearest of two (60%) or three units taken from random places of the
/// parent: the parent's shape with fewer item types. In 2D packing a few
/// distinct coordinate values are not a few items, so whole units move.
/// Only units in the same ranges as the first one drawn move.
fn coarsen(x: &mut [f64], bounds: &[crate::Bound], unit: usize, rng: &mut Rng) {
    let k = unit.max(1);
    let n = x.len() / k;
    if n == 0 {
        return;
    }
    let at = |i: usize| i * k..(i + 1) * k;
    let first = rng.below(n);
    let b = &bounds[at(first)];
    let m = if rng.chance(0.6) { 2 } else { 3 };
    let mut units = vec![x[at(first)].to_vec()];
    units.extend((1..m).map(|_| x[at(rng.below(n))].to_vec()));
    for j in 0..n {
        if &bounds[at(j)] != b {
            continue;
        }
        let dist = |u: &[f64]| -> f64 { u.iter().zip(&x[at(j)]).map(|(p, q)| (p - q).abs()).sum() };
        let Some(u) = units.iter().min_by(|p, q| dist(p).total_cmp(&dist(q))) else {
            continue;
        };
        let u = u.clone();
        for ((xi, v), bi) in x[at(j)].iter_mut().zip(u).zip(b) {
            *xi = bi.project(v);
        }
    }
}

/// How many distinct units (`unit` consecutive coordinates) `x` holds.
fn distinct_units(x: &[f64], unit: usize) -> usize {
    let mut v: Vec<&[f64]> = x.chunks(unit.max(1)).collect();
    v.sort_by(|p, q| {
        p.iter()
            .zip(q.iter())
            .map(|(a, b)| a.total_cmp(b))
            .find(|o| o.is_ne())
            .unwrap_or(p.len().cmp(&q.len()))
    });
    v.dedup();
    v.len()
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// Chance that [`order`] leaves one kind of input (one dimension of the
/// items) as it is. Chosen among values from 0 to 0.5 on seeds 1–40 of 2D
/// first fit and best fit, and checked on seeds 41–80 (`docs/bench/hunt.md`).
const ORDER_KIND_SKIP: f64 = 0.15;

/// Sorts the inputs of a run of units (`unit` consecutive inputs: one
/// item's sizes) up or down, each kind of input (each dimension of the
/// items) on its own: a heuristic that takes inputs in order sees the same
/// values in another sequence. In 1D the run is a random one; with several
/// kinds it is every item, and each kind sorts (up or down on its own)
/// unless skipped with chance [`ORDER_KIND_SKIP`]; the items then grow
/// along the sequence in one dimension while they shrink in another. The
/// gap-5 inputs CMA-ES found for 2D first fit (n = 20) have that trend:
/// early items like (7, 2), late ones like (3, 8). Sorting a run of
/// coordinates across kinds, as this move once did, mixed the dimensions of
/// different items.
fn order(x: &mut [f64], bounds: &[crate::Bound], unit: usize, rng: &mut Rng) {
    let k = unit.max(1);
    let n = x.len() / k;
    let run: Vec<usize> = if k > 1 {
        (0..n).collect()
    } else {
        pick_run(n, rng)
    };
    for d in 0..k {
        if k > 1 && rng.chance(ORDER_KIND_SKIP) {
            continue;
        }
        let mut vals: Vec<f64> = run.iter().map(|&i| x[i * k + d]).collect();
        vals.sort_by(f64::total_cmp);
        if rng.chance(0.5) {
            vals.reverse();
        }
        for (&i, v) in run.iter().zip(vals) {
            x[i * k + d] = bounds[i * k + d].project(v);
        }
    }
}

/// A run of coordinates: contiguous (half the time) or every `stride`-th
/// one (stride up to 6), from a random start, of random length.
fn pick_run(n: usize, rng: &mut Rng) -> Vec<usize> {
    if n == 0 {
        return Vec::new();
    }
    let stride = if rng.chance(0.5) {
        1
    } else {
        1 + rng.below(6.min(n))
    };
    let offset = rng.below(stride);
    let members: Vec<usize> = (offset..n).step_by(stride).collect();
    if members.is_empty() {
        return Vec::new();
    }
    let a = rng.below(members.len());
    let len = 1 + rng.below(members.len());
    members[a..(a + len).min(members.len())].to_vec()
}

/// Up to `room` copies of `x`, each with one run of coordinates set to a
/// different common value: every value of a small integer range, else
/// evenly spaced values with both ends.
fn sweep(x: &[f64], bounds: &[crate::Bound], room: usize, rng: &mut Rng) -> Vec<Vec<f64>> {
    let run = pick_run(x.len(), rng);
    let Some(&first) = run.first() else {
        return Vec::new();
    };
    let b = bounds[first];
    let values: Vec<f64> = if b.integer && b.width() < room as f64 {
        (0..=b.width() as usize).map(|k| b.lo + k as f64).collect()
    } else {
        let k = room.clamp(2, 8);
        (0..k)
            .map(|j| b.lo + b.width() * j as f64 / (k - 1) as f64)
            .collect()
    };
    values
        .into_iter()
        .filter(|v| run.iter().any(|&i| x[i] != *v))
        .take(room)
        .map(|v| {
            let mut y = x.to_vec();
            for &i in &run {
                y[i] = bounds[i].project(v);
            }
            y
        })
        .collect()
}

/// A structured point: a few runs of equal values (a step pattern), or a
/// period of 2–6 coordinates repeated over the whole input. Each value is
/// an end of its range or a uniform draw.
fn pattern(bounds: &[crate::Bound], rng: &mut Rng) -> Vec<f64> {
    let n = bounds.len();
    let draw = |i: usize, rng: &mut Rng| {
        let b = &bounds[i];
        let r = rng.unit();
        if r < 0.2 {
            b.lo
        } else if r < 0.4 {
            b.hi
        } else {
            b.sample(rng)
        }
    };
    let mut x = vec![0.0; n];
    if rng.chance(0.5) {
        let period = (2 + rng.below(5)).min(n.max(1));
        let phase: Vec<f64> = (0..period).map(|i| draw(i, rng)).collect();
        for (i, v) in x.iter_mut().enumerate() {
            *v = bounds[i].project(phase[i % period]);
        }
    } else {
        let pieces = 2 + rng.below(2);
        let mut cuts: Vec<usize> = (0..pieces - 1).map(|_| rng.below(n + 1)).collect();
        cuts.push(n);
        cuts.sort_unstable();
        let mut start = 0;
        for end in cuts {
            let v = draw(start.min(n - 1), rng);
            for (i, xi) in x.iter_mut().enumerate().take(end).skip(start) {
                *xi = bounds[i].project(v);
            }
            start = end;
        }
    }
    x
}

fn elite(e: Evaluated, unit: usize) -> Elite {
    Elite {
        distinct: distinct_units(&e.x, unit),
        tagged: e
            .trace
            .decisions()
            .iter()
            .filter(|d| d.input.is_some())
            .cloned()
            .collect(),
        x: e.x,
        value: e.value,
        signature: e.signature,
    }
}

/// `|margin|` relative to the width of the decision's input range.
fn normalized_margin(d: &Decision, bounds: &[crate::Bound]) -> f64 {
    let w = d
        .input
        .and_then(|i| bounds.get(i))
        .map_or(1.0, |b| b.width().max(1e-12));
    d.margin.abs() / w
}

/// Moves the decision's input onto its boundary: on the side it is on
/// (`cross == false`: the most extreme input still taking the same branch)
/// or just across (`cross == true`: the nearest input taking the other).
///
/// Assumes the left side grows with the input at slope one (exact when the
/// left side *is* the input); the boundary is `x_i + margin` for `<`/`<=`
/// and `x_i - margin` for `>`/`>=`.
fn move_to_boundary(x: &mut [f64], d: &Decision, bounds: &[crate::Bound], cross: bool) {
    let Some(i) = d.input else { return };
    let b = &bounds[i];
    let upper = d.op.is_upper_bound();
    let boundary = if upper {
        x[i] + d.margin
    } else {
        x[i] - d.margin
    };
    // The comparison holds below the boundary for `<`/`<=`, above it for `>`/`>=`.
    let want_holds = d.taken != cross;
    let want_below = want_holds == upper;
    // Whether the point *at* the boundary satisfies the wanted side.
    let equality_ok = if want_holds {
        d.op.holds_at_equality()
    } else {
        !d.op.holds_at_equality()
    };
    let delta = b.step_min();
    let target = if b.integer {
        match (want_below, equality_ok) {
            (true, true) => boundary.floor(),
            (true, false) => boundary.ceil() - 1.0,
            (false, true) => boundary.ceil(),
            (false, false) => boundary.floor() + 1.0,
        }
    } else {
        match (want_below, equality_ok) {
            (true, true) | (false, true) => boundary,
            (true, false) => boundary - delta,
            (false, false) => boundary + delta,
        }
    };
    x[i] = b.project(target);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Bound, CmpOp};

    fn dec(op: CmpOp, lhs: f64, rhs: f64) -> Decision {
        let mut t = crate::Trace::new();
        t.record("s", op, lhs, rhs, Some(0));
        t.decisions()[0].clone()
    }

    #[test]
    fn snap_and_flip_land_on_each_side_of_the_boundary() {
        let bounds = [Bound::real(0.0, 100.0)];
        let ints = [Bound::int(0, 100)];
        for (op, lhs, rhs) in [
            (CmpOp::Le, 3.0, 10.0),
            (CmpOp::Lt, 30.0, 10.0),
            (CmpOp::Ge, 3.0, 10.5),
            (CmpOp::Gt, 30.0, 10.5),
        ] {
            for bs in [&bounds[..], &ints[..]] {
                let d = dec(op, lhs, rhs);
                for cross in [false, true] {
                    let mut x = [lhs];
                    move_to_boundary(&mut x, &d, bs, cross);
                    let again = dec(op, x[0], rhs);
                    assert_eq!(again.taken, d.taken != cross, "{op:?} {cross} -> {}", x[0]);
                    assert!(
                        (x[0] - rhs).abs() <= 1.0,
                        "{op:?} {cross} -> {} far from {rhs}",
                        x[0]
                    );
                }
            }
        }
    }
    #[test]
    fn coarsen_leaves_at_most_three_of_the_parents_values() {
        let bounds = vec![Bound::int(1, 9); 30];
        let mut rng = Rng::new(4);
        for _ in 0..200 {
            let parent: Vec<f64> = bounds.iter().map(|b| b.sample(&mut rng)).collect();
            let mut x = parent.clone();
            coarsen(&mut x, &bounds, 1, &mut rng);
            assert!(distinct_units(&x, 1) <= 3, "{x:?}");
            assert!(
                x.iter().all(|v| parent.contains(v)),
                "{x:?} from {parent:?}"
            );
            // Each input went to the nearest of the values kept.
            let kept: Vec<f64> = x.clone();
            for (p, v) in parent.iter().zip(&x) {
                assert!(kept.iter().all(|k| (p - v).abs() <= (p - k).abs()));
            }
        }
    }

    #[test]
    fn coarsen_moves_whole_units() {
        // Two coordinates per item: each item of the child is one of the
        // parent's items, at most three kinds of them.
        let bounds = vec![Bound::int(1, 9); 20];
        let mut rng = Rng::new(5);
        for _ in 0..200 {
            let parent: Vec<f64> = bounds.iter().map(|b| b.sample(&mut rng)).collect();
            let mut x = parent.clone();
            coarsen(&mut x, &bounds, 2, &mut rng);
            assert!(distinct_units(&x, 2) <= 3, "{x:?}");
            for u in x.chunks(2) {
                assert!(
                    parent.chunks(2).any(|p| p == u),
                    "{u:?} not an item of {parent:?}"
                );
            }
        }
    }

    #[test]
    fn stride_is_read_from_sums_against_a_constant() {
        let mut state = State::new();
        let mut trace = crate::Trace::new();
        // Loads of dimension 1 of items 0, 1 and 3 (coordinates 1, 3, 7)
        // and an order between two items (ignored: its right side is a sum).
        trace.record_sums("fits", CmpOp::Le, 1.0, 2.0, None, vec![1, 3, 7], Vec::new());
        trace.record_sums("order", CmpOp::Ge, 1.0, 2.0, None, vec![0, 1], vec![2, 3]);
        let x = vec![1.0; 8];
        state.insert(Evaluated {
            x,
            value: 1.0,
            trace,
            signature: 1,
        });
        assert_eq!(state.unit(), 2);
    }

    fn evaluated(x: Vec<f64>, value: f64, signature: u64, linear: bool) -> Evaluated {
        let mut trace = crate::Trace::new();
        let sums = if linear { vec![0, 1] } else { vec![0] };
        trace.record_sums("s", CmpOp::Le, 1.0, 2.0, None, sums, Vec::new());
        Evaluated {
            x,
            value,
            trace,
            signature,
        }
    }

    #[test]
    fn ties_prefer_fewer_distinct_values_only_after_decisions_over_sums() {
        for linear in [false, true] {
            let mut state = State::new();
            state.insert(evaluated(vec![3.0, 3.0, 4.0], 1.0, 7, linear));
            // Same path, same value, one more distinct value.
            state.insert(evaluated(vec![3.0, 5.0, 4.0], 1.0, 7, linear));
            let kept = &state.archive[0].x;
            if linear {
                assert_eq!(kept, &vec![3.0, 3.0, 4.0], "fewer sizes kept");
            } else {
                assert_eq!(kept, &vec![3.0, 5.0, 4.0], "ties replace, as before");
            }
            // A larger value always replaces, whatever its sizes.
            state.insert(evaluated(vec![1.0, 2.0, 9.0], 2.0, 7, linear));
            assert_eq!(state.archive[0].value, 2.0);
        }
    }

    #[test]
    fn order_sorts_each_kind_on_its_own_and_never_mixes_kinds() {
        let bounds = vec![Bound::int(1, 9); 12];
        let x0: Vec<f64> = [9, 1, 2, 8, 5, 5, 7, 3, 1, 9, 4, 6]
            .iter()
            .map(|&v| f64::from(v))
            .collect();
        let kind = |x: &[f64], d: usize| {
            let mut v: Vec<f64> = x.iter().skip(d).step_by(2).copied().collect();
            v.sort_by(f64::total_cmp);
            v
        };
        let mut rng = Rng::new(3);
        let mut sorted_all = 0;
        for _ in 0..200 {
            let mut x = x0.clone();
            order(&mut x, &bounds, 2, &mut rng);
            // Each dimension keeps its own values: a size never moves to the other one.
            assert_eq!(kind(&x, 0), kind(&x0, 0), "{x:?}");
            assert_eq!(kind(&x, 1), kind(&x0, 1), "{x:?}");
            let monotone = |d: usize| {
                let v: Vec<f64> = x.iter().skip(d).step_by(2).copied().collect();
                v.windows(2).all(|w| w[0] <= w[1]) || v.windows(2).all(|w| w[0] >= w[1])
            };
            sorted_all += usize::from(monotone(0) && monotone(1));
        }
        // Every run takes every item and each kind sorts with a chance of 0.85:
        // both sorted about 0.72 of the time.
        assert!(
            sorted_all > 100,
            "both kinds sorted over all items {sorted_all}/200 times"
        );
    }
}
