//! Traffic engineering on a network topology.
//!
//! Input: one demand per ordered node pair that has a path, in
//! `[0, demand_max]` (400 in the published settings). Candidate paths: the
//! `paths_k` shortest simple paths of each pair (fewest links; k = 4 by
//! default). Benchmark: the maximum total flow over the candidate paths
//! ([`lp::max_flow`]). Heuristics ([`TeHeuristic`]):
//!
//! - **demand pinning** ([`DemandPinning`]): every demand at or below the
//!   threshold (5% of the mean link capacity, 10 for links of 200) is sent
//!   whole on its shortest path first; the others are routed optimally on
//!   the capacity left. Where the pinned demands overload a link, a pinned
//!   demand gets what is left on its path (demands in pair order), so the
//!   heuristic's routing stays feasible.
//! - **POP** ([`Pop`]): demands are split into partitions (the fixed random
//!   partitions of `pop_partitions/NAME.json`), every link's capacity is
//!   divided equally among the partitions, each partition is solved
//!   optimally, and the flows are summed; the value is the mean over the
//!   partition samples.
//!
//! The gap is benchmark total flow minus heuristic total flow.

pub mod lp;
mod topology;

use serde::{Deserialize, Serialize};

pub use topology::{Link, Partitions, Topology};

use crate::{decision, Bound, HuntError, Objective, Trace};

/// Settings of the TE domain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TeConfig {
    /// Candidate paths per demand pair (k shortest by hop count).
    pub paths_k: usize,
    /// Largest demand per pair.
    pub demand_max: f64,
    /// Demand pinning threshold as a fraction of the mean link capacity.
    pub pin_threshold_fraction: f64,
}

impl Default for TeConfig {
    fn default() -> Self {
        Self {
            paths_k: 4,
            demand_max: 400.0,
            pin_threshold_fraction: 0.05,
        }
    }
}

/// A topology with its demand pairs and candidate paths, ready to evaluate.
#[derive(Debug, Clone)]
pub struct TeInstance {
    /// The graph.
    pub topology: Topology,
    /// Demand pairs `(src, dst)` (node indices) that have at least one path.
    pub pairs: Vec<(usize, usize)>,
    /// Links of every candidate path (global path index).
    pub path_links: Vec<Vec<usize>>,
    /// `path_offsets[d]..path_offsets[d + 1]`: the paths of pair `d`; the
    /// first is the shortest.
    pub path_offsets: Vec<usize>,
    /// POP partition samples, when given.
    pub partitions: Option<Partitions>,
    /// Link capacities.
    pub capacities: Vec<f64>,
    /// The settings.
    pub config: TeConfig,
}

impl TeInstance {
    /// Builds pairs and paths for `topology`.
    pub fn new(
        topology: Topology,
        partitions: Option<Partitions>,
        config: &TeConfig,
    ) -> Result<TeInstance, HuntError> {
        if !(1..=16).contains(&config.paths_k) {
            return Err(HuntError::config(
                "paths_k",
                format!("is {}, valid: 1..=16", config.paths_k),
            ));
        }
        if !(config.demand_max.is_finite() && config.demand_max > 0.0) {
            return Err(HuntError::config("demand_max", "must be a positive number"));
        }
        let n = topology.node_ids.len();
        let mut pairs = Vec::new();
        let mut path_links = Vec::new();
        let mut path_offsets = vec![0];
        for s in 0..n {
            for t in 0..n {
                if s == t {
                    continue;
                }
                let paths = topology.k_shortest_paths(s, t, config.paths_k);
                if paths.is_empty() {
                    continue;
                }
                pairs.push((s, t));
                path_links.extend(paths);
                path_offsets.push(path_links.len());
            }
        }
        if pairs.is_empty() {
            return Err(HuntError::config("topology", "no node pair is connected"));
        }
        let capacities = topology.links.iter().map(|l| l.capacity).collect();
        Ok(TeInstance {
            topology,
            pairs,
            path_links,
            path_offsets,
            partitions,
            capacities,
            config: config.clone(),
        })
    }

    /// Number of candidate paths over all pairs.
    pub fn paths_n(&self) -> usize {
        self.path_links.len()
    }

    /// Global indices of pair `d`'s paths.
    pub fn paths_of(&self, d: usize) -> std::ops::Range<usize> {
        self.path_offsets[d]..self.path_offsets[d + 1]
    }

    /// The demand pinning threshold (fraction × mean link capacity).
    pub fn pin_threshold(&self) -> f64 {
        let mean = self.capacities.iter().sum::<f64>() / self.capacities.len() as f64;
        self.config.pin_threshold_fraction * mean
    }

    /// Checks that `flows` (per path) respects every link capacity and every
    /// demand, within a small tolerance; returns the total flow.
    pub fn check_flows(&self, demands: &[f64], flows: &[f64]) -> Result<f64, HuntError> {
        if flows.len() != self.paths_n() {
            return Err(HuntError::Benchmark(format!(
                "heuristic returned {} path flows, expected {}",
                flows.len(),
                self.paths_n()
            )));
        }
        let tol = 1e-6 * self.config.demand_max.max(1.0);
        let mut load = vec![0.0; self.capacities.len()];
        for (d, &demand) in demands.iter().enumerate() {
            let mut served = 0.0;
            for p in self.paths_of(d) {
                if flows[p] < -tol || !flows[p].is_finite() {
                    return Err(HuntError::Benchmark(format!(
                        "path {p} has flow {}",
                        flows[p]
                    )));
                }
                served += flows[p];
                for &e in &self.path_links[p] {
                    load[e] += flows[p];
                }
            }
            if served > demand + tol {
                return Err(HuntError::Benchmark(format!(
                    "pair {d} served {served} above its demand {demand}"
                )));
            }
        }
        if let Some(e) = (0..load.len()).find(|&e| load[e] > self.capacities[e] + tol) {
            return Err(HuntError::Benchmark(format!(
                "link {e} carries {} above capacity {}",
                load[e], self.capacities[e]
            )));
        }
        Ok(flows.iter().sum())
    }
}

/// A traffic-engineering heuristic: returns the flow of every candidate
/// path (indexed like [`TeInstance::path_links`]); it is checked for
/// feasibility before it counts. Demand `d` is input coordinate `d`.
pub trait TeHeuristic: Sync {
    /// Name used in reports and case files.
    fn name(&self) -> &str;
    /// Routes `demands` (one per pair of `inst.pairs`). `optimal_flows` is
    /// the benchmark's flow on every path for the same demands (solved once
    /// per evaluation), for decisions that compare against the optimum.
    fn route(
        &self,
        inst: &TeInstance,
        demands: &[f64],
        optimal_flows: &[f64],
        trace: &mut Trace,
    ) -> Result<Vec<f64>, HuntError>;
}

/// Demand pinning (see the module doc).
#[derive(Debug, Clone, Copy, Default)]
pub struct DemandPinning;

impl TeHeuristic for DemandPinning {
    fn name(&self) -> &str {
        "dp"
    }

    fn route(
        &self,
        inst: &TeInstance,
        demands: &[f64],
        _optimal_flows: &[f64],
        trace: &mut Trace,
    ) -> Result<Vec<f64>, HuntError> {
        let threshold = inst.pin_threshold();
        let mut residual = inst.capacities.clone();
        let mut pinned = vec![false; demands.len()];
        let mut pinned_flow = vec![0.0; inst.paths_n()];
        for (d, &demand) in demands.iter().enumerate() {
            if decision!(trace, "dp.pin", input = d, demand <= threshold) {
                pinned[d] = true;
                let shortest = inst.path_offsets[d];
                let room = inst.path_links[shortest]
                    .iter()
                    .map(|&e| residual[e])
                    .fold(f64::INFINITY, f64::min)
                    .max(0.0);
                let amount = if decision!(trace, "dp.pin_fits", input = d, demand <= room) {
                    demand
                } else {
                    room
                };
                pinned_flow[shortest] = amount;
                for &e in &inst.path_links[shortest] {
                    residual[e] -= amount;
                }
            }
        }
        let (_, mut flows) = lp::max_flow(inst, demands, &residual, &|d| !pinned[d])?;
        for (f, p) in flows.iter_mut().zip(&pinned_flow) {
            *f += p;
        }
        Ok(flows)
    }
}

/// POP, partitioned optimisation (see the module doc).
#[derive(Debug, Clone, Copy, Default)]
pub struct Pop;

impl TeHeuristic for Pop {
    fn name(&self) -> &str {
        "pop"
    }

    fn route(
        &self,
        inst: &TeInstance,
        demands: &[f64],
        optimal_flows: &[f64],
        trace: &mut Trace,
    ) -> Result<Vec<f64>, HuntError> {
        let parts = inst.partitions.as_ref().ok_or_else(|| {
            HuntError::config(
                "partitions",
                "POP needs a partition file (pop_partitions/NAME.json)",
            )
        })?;
        let k = parts.partitions_n as f64;
        let share: Vec<f64> = inst.capacities.iter().map(|c| c / k).collect();
        let share_min = share.iter().copied().fold(f64::INFINITY, f64::min);
        // A demand above one partition's share of a link cannot cross it whole.
        for (d, &demand) in demands.iter().enumerate() {
            decision!(trace, "pop.within_share", input = d, demand <= share_min);
        }
        mark_fit_to_optimum(inst, demands, optimal_flows, trace);
        let mut mean = vec![0.0; inst.paths_n()];
        for sample in &parts.samples {
            for p in 0..parts.partitions_n {
                let member = |d: usize| sample.get(&inst.pairs[d]).copied().unwrap_or(0) == p;
                let (_, flows) = lp::max_flow(inst, demands, &share, &member)?;
                let mut load = vec![0.0; share.len()];
                for (path, f) in flows.iter().enumerate() {
                    mean[path] += f / parts.samples.len() as f64;
                    for &e in &inst.path_links[path] {
                        load[e] += f;
                    }
                }
                for (e, l) in load.iter().enumerate() {
                    decision!(trace, "pop.link_slack", *l < share[e] - 1e-6);
                }
            }
        }
        Ok(mean)
    }
}

/// Records, per demand, whether it fits in what the optimum can carry for
/// it (`pop.fits_optimum`, input `d`): the flow the optimum gives it plus
/// the spare capacity of its freest path, that spare handed out to the
/// demands in pair order so the spares of all demands fit together.
///
/// Snapping every such decision onto its boundary (raising each carried
/// demand by its spare, lowering each uncarried one to the flow the optimum
/// gives it) never shrinks a gap against a heuristic whose value rises by at
/// most `δ` when demands rise by `δ` in total and never rises when demands
/// fall, as any max-flow solved on less capacity (POP): the old optimal flow plus the spares stays
/// feasible, so the optimum rises by exactly the spares added and loses
/// nothing from the lowering. It grows the gap where the heuristic cannot
/// carry what the optimum can.
fn mark_fit_to_optimum(inst: &TeInstance, demands: &[f64], flows: &[f64], trace: &mut Trace) {
    let mut residual = inst.capacities.clone();
    for (p, f) in flows.iter().enumerate() {
        for &e in &inst.path_links[p] {
            residual[e] -= f;
        }
    }
    let tol = 1e-9 * inst.config.demand_max.max(1.0);
    for (d, &demand) in demands.iter().enumerate() {
        let served: f64 = inst.paths_of(d).map(|p| flows[p]).sum();
        let carried = if served < demand - tol {
            served
        } else {
            // The freest path's spare, taken from the residual so the next
            // demands' spares stay jointly feasible with this one.
            let (path, spare) = inst
                .paths_of(d)
                .map(|p| {
                    let spare = inst.path_links[p]
                        .iter()
                        .map(|&e| residual[e])
                        .fold(f64::INFINITY, f64::min)
                        .max(0.0);
                    (p, spare)
                })
                .fold((usize::MAX, 0.0), |a, b| if b.1 > a.1 { b } else { a });
            if path != usize::MAX {
                for &e in &inst.path_links[path] {
                    residual[e] -= spare;
                }
            }
            demand + spare
        };
        decision!(trace, "pop.fits_optimum", input = d, demand <= carried);
    }
}

/// Parses `dp` / `demand_pinning` or `pop`.
pub fn heuristic_by_name(name: &str) -> Result<Box<dyn TeHeuristic>, HuntError> {
    match name {
        "dp" | "demand_pinning" => Ok(Box::new(DemandPinning)),
        "pop" => Ok(Box::new(Pop)),
        _ => Err(HuntError::config(
            "heuristic",
            format!("unknown TE heuristic {name:?}; valid: dp, pop"),
        )),
    }
}

/// The TE objective: benchmark flow minus heuristic flow.
pub struct TeProblem {
    inst: TeInstance,
    heuristic: Box<dyn TeHeuristic>,
    bounds: Vec<Bound>,
}

/// Both totals for one demand vector.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TeOutcome {
    /// Maximum total flow.
    pub optimal_flow: f64,
    /// The heuristic's total flow.
    pub heuristic_flow: f64,
}

impl TeProblem {
    /// The objective for `heuristic` on `inst`.
    pub fn new(inst: TeInstance, heuristic: Box<dyn TeHeuristic>) -> Self {
        let bounds = vec![Bound::real(0.0, inst.config.demand_max); inst.pairs.len()];
        Self {
            inst,
            heuristic,
            bounds,
        }
    }

    /// The instance.
    pub fn instance(&self) -> &TeInstance {
        &self.inst
    }

    /// The heuristic's name.
    pub fn heuristic_name(&self) -> &str {
        self.heuristic.name()
    }

    /// Benchmark and heuristic flow of one demand vector.
    pub fn outcome(&self, demands: &[f64], trace: &mut Trace) -> Result<TeOutcome, HuntError> {
        let (optimal_flow, optimal_flows) =
            lp::max_flow(&self.inst, demands, &self.inst.capacities, &|_| true)?;
        let flows = self
            .heuristic
            .route(&self.inst, demands, &optimal_flows, trace)?;
        let heuristic_flow = self.inst.check_flows(demands, &flows)?;
        Ok(TeOutcome {
            optimal_flow,
            heuristic_flow,
        })
    }

    /// The sum of all link capacities (to express gaps as a share).
    pub fn total_capacity(&self) -> f64 {
        self.inst.capacities.iter().sum()
    }
}

impl Objective for TeProblem {
    fn bounds(&self) -> &[Bound] {
        &self.bounds
    }

    fn evaluate(&self, x: &[f64], trace: &mut Trace) -> Result<f64, HuntError> {
        let o = self.outcome(x, trace)?;
        Ok(o.optimal_flow - o.heuristic_flow)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIAMOND: &str = r#"{"nodes":[{"id":0},{"id":1},{"id":2},{"id":3}],
      "links":[{"source":0,"target":1,"capacity":200},{"source":0,"target":2,"capacity":200},
               {"source":1,"target":3,"capacity":200},{"source":2,"target":3,"capacity":200}]}"#;

    fn diamond(parts: Option<&str>) -> TeInstance {
        let t = Topology::parse("diamond", DIAMOND).expect("topology");
        let p = parts.map(|s| Partitions::parse(s, &t).expect("partitions"));
        TeInstance::new(t, p, &TeConfig::default()).expect("instance")
    }

    fn set(inst: &TeInstance, pairs: &[((usize, usize), f64)]) -> Vec<f64> {
        let mut d = vec![0.0; inst.pairs.len()];
        for &((s, t), v) in pairs {
            d[inst.pairs.iter().position(|p| *p == (s, t)).expect("pair")] = v;
        }
        d
    }

    /// Hand-solved: pinning 0->3 (10) on 0-1-3 leaves 190 there; 0->1 and
    /// 1->3 at 200 each then lose 10 each, where the optimum moves 0->3 to
    /// the lower path: gap 20.
    #[test]
    fn demand_pinning_gap_matches_hand_solution() {
        let inst = diamond(None);
        let p = TeProblem::new(inst, Box::new(DemandPinning));
        let d = set(
            p.instance(),
            &[((0, 3), 10.0), ((0, 1), 200.0), ((1, 3), 200.0)],
        );
        let mut t = Trace::new();
        let o = p.outcome(&d, &mut t).expect("outcome");
        assert!((o.optimal_flow - 410.0).abs() < 1e-6, "{o:?}");
        assert!((o.heuristic_flow - 390.0).abs() < 1e-6, "{o:?}");
        let pins: Vec<_> = t
            .decisions()
            .iter()
            .filter(|d| d.site == "dp.pin")
            .collect();
        assert_eq!(pins.len(), p.instance().pairs.len());
        // 0->3 is pinned right at... 10 <= 10: margin 0.
        assert!(pins.iter().any(|d| d.taken && d.margin == 0.0));
    }

    /// Hand-solved: two partitions; 0->1 (300) alone in partition 0 gets
    /// only half of link 0-1 (100) where the optimum gives it 200.
    #[test]
    fn pop_gap_matches_hand_solution() {
        let parts = r#"{"num_partitions":2,"partitions":[{"0_1":0,"0_3":1,"1_3":1}]}"#;
        let inst = diamond(Some(parts));
        let p = TeProblem::new(inst, Box::new(Pop));
        let d = set(p.instance(), &[((0, 1), 300.0)]);
        let o = p.outcome(&d, &mut Trace::new()).expect("outcome");
        assert!((o.optimal_flow - 200.0).abs() < 1e-6, "{o:?}");
        assert!((o.heuristic_flow - 100.0).abs() < 1e-6, "{o:?}");
        assert!((p.evaluate(&d, &mut Trace::new()).expect("eval") - 100.0).abs() < 1e-6);
    }

    /// `x` with every `pop.fits_optimum` decision snapped onto its boundary.
    fn snapped_to_optimum(x: &[f64], trace: &Trace) -> Vec<f64> {
        let mut y = x.to_vec();
        for d in trace.decisions() {
            if let (Some(i), "pop.fits_optimum") = (d.input, d.site) {
                y[i] = x[i] + d.margin;
            }
        }
        y
    }

    /// Hand-solved: 0->1 at 50 leaves 150 spare on link 0-1, then 0->2,
    /// 1->3 and 2->3 have 200 each and 0->3 nothing (both its paths are
    /// taken). Snapped, the optimum carries 800 and POP only 400 (half of
    /// each link to each partition; 0->3 and 1->3 are alone in theirs).
    #[test]
    fn pop_fit_to_optimum_hands_out_the_spare_capacity_once() {
        let parts = r#"{"num_partitions":2,"partitions":[{"0_1":0,"0_3":1,"1_3":1}]}"#;
        let p = TeProblem::new(diamond(Some(parts)), Box::new(Pop));
        let x = set(p.instance(), &[((0, 1), 50.0)]);
        let mut t = Trace::new();
        assert!(p.evaluate(&x, &mut t).expect("eval").abs() < 1e-6);
        let y = snapped_to_optimum(&x, &t);
        let want = set(
            p.instance(),
            &[
                ((0, 1), 200.0),
                ((0, 2), 200.0),
                ((1, 3), 200.0),
                ((2, 3), 200.0),
            ],
        );
        for (a, b) in y.iter().zip(&want) {
            assert!((a - b).abs() < 1e-6, "{y:?} against {want:?}");
        }
        let o = p.outcome(&y, &mut Trace::new()).expect("outcome");
        assert!((o.optimal_flow - 800.0).abs() < 1e-6, "{o:?}");
        assert!((o.heuristic_flow - 400.0).abs() < 1e-6, "{o:?}");
    }

    /// The snap never shrinks the gap (the argument in
    /// `mark_fit_to_optimum`'s doc), checked on random demands on SWAN with
    /// its published partitions, and it grows the gap on some of them.
    #[test]
    fn pop_fit_to_optimum_snap_never_shrinks_the_gap() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/topologies");
        let t = Topology::load(&dir.join("swan.json")).expect("topology");
        let parts =
            Partitions::load(&dir.join("pop_partitions/swan.json"), &t).expect("partitions");
        let inst = TeInstance::new(t, Some(parts), &TeConfig::default()).expect("instance");
        let p = TeProblem::new(inst, Box::new(Pop));
        let mut rng = crate::Rng::new(3);
        let mut grew = 0;
        for k in 0..8 {
            // Sparse and dense demand vectors: many zeros leave spare capacity.
            let x: Vec<f64> = p
                .bounds()
                .iter()
                .map(|b| {
                    if rng.chance(0.2 + 0.1 * k as f64) {
                        b.sample(&mut rng)
                    } else {
                        0.0
                    }
                })
                .collect();
            let mut tr = Trace::new();
            let before = p.evaluate(&x, &mut tr).expect("eval");
            let y = snapped_to_optimum(&x, &tr);
            let after = p.evaluate(&y, &mut Trace::new()).expect("eval");
            assert!(after >= before - 1e-6, "vector {k}: {before} -> {after}");
            grew += usize::from(after > before + 1.0);
        }
        assert!(
            grew >= 4,
            "the snap grew the gap on only {grew} of 8 vectors"
        );
    }

    #[test]
    fn pop_without_partitions_is_a_clear_error() {
        let p = TeProblem::new(diamond(None), Box::new(Pop));
        let err = p
            .evaluate(&vec![1.0; p.bounds().len()], &mut Trace::new())
            .expect_err("no parts");
        assert!(err.to_string().contains("partition"), "{err}");
    }

    #[test]
    fn infeasible_heuristic_flows_are_refused() {
        let inst = diamond(None);
        let d = set(&inst, &[((0, 1), 50.0)]);
        let mut flows = vec![0.0; inst.paths_n()];
        let p01 = inst
            .paths_of(inst.pairs.iter().position(|p| *p == (0, 1)).expect("pair"))
            .start;
        flows[p01] = 60.0;
        assert!(inst.check_flows(&d, &flows).is_err());
        flows[p01] = 50.0;
        assert_eq!(inst.check_flows(&d, &flows).expect("ok"), 50.0);
    }
}
