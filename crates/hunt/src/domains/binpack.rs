//! VM placement as bin packing, in one or two dimensions.
//!
//! Items (VMs) have a size per dimension (CPU, memory); bins (hosts) have a
//! capacity per dimension. Heuristics: first fit, best fit, first fit
//! decreasing (in two dimensions, decreasing by the *sum* of the sizes, as
//! in MetaOpt). Benchmark: the exact optimum by branch and bound
//! ([`optimal_bins`]). The gap is heuristic bins minus optimal bins, or
//! their ratio ([`GapKind`]).
//!
//! A user heuristic implements [`BinPacker`]; its assignment is checked
//! (every item placed, no bin over capacity) before it is counted.

use serde::{Deserialize, Serialize};

use crate::{decision, Bound, HuntError, Objective, Trace};

/// Slack for floating-point capacity checks.
const FIT_EPS: f64 = 1e-9;
/// Node limit of the exact solver; past it the benchmark is reported as
/// failed rather than guessed.
pub const EXACT_NODES_MAX: u64 = 20_000_000;

/// How the gap is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GapKind {
    /// Heuristic bins minus optimal bins.
    Bins,
    /// Heuristic bins divided by optimal bins.
    Ratio,
}

/// The instance space searched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BinPackConfig {
    /// Dimensions per item: 1 or 2.
    pub dims: usize,
    /// Items per instance.
    pub items_n: usize,
    /// Capacity of a bin in every dimension.
    pub capacity: f64,
    /// Smallest item size (per dimension).
    pub size_min: f64,
    /// Largest item size (per dimension), at most `capacity`.
    pub size_max: f64,
    /// Whether sizes are integers.
    pub integer: bool,
    /// Gap measure.
    pub gap: GapKind,
}

impl BinPackConfig {
    /// Integer sizes 1–9 in bins of 10 (the FFD ground-truth setting).
    pub fn integer_1_9(dims: usize, items_n: usize) -> Self {
        Self {
            dims,
            items_n,
            capacity: 10.0,
            size_min: 1.0,
            size_max: 9.0,
            integer: true,
            gap: GapKind::Bins,
        }
    }

    /// Checks the ranges; lists every problem.
    pub fn validate(&self) -> Result<(), HuntError> {
        let mut problems = Vec::new();
        if !(1..=2).contains(&self.dims) {
            problems.push(format!("dims is {}, valid: 1 or 2", self.dims));
        }
        if !(1..=40).contains(&self.items_n) {
            problems.push(format!("items_n is {}, valid: 1..=40", self.items_n));
        }
        if !(self.capacity.is_finite() && self.capacity > 0.0) {
            problems.push(format!("capacity is {}, must be > 0", self.capacity));
        }
        if !(self.size_min >= 0.0
            && self.size_min <= self.size_max
            && self.size_max <= self.capacity)
        {
            problems.push(format!(
                "sizes [{}, {}] must satisfy 0 <= size_min <= size_max <= capacity ({})",
                self.size_min, self.size_max, self.capacity
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(HuntError::config("binpack", problems.join("; ")))
        }
    }
}

/// A bin-packing heuristic: returns the bin index of every item.
///
/// Mark decision points with [`decision!`](crate::decision) on `trace`;
/// item `i`'s size in dimension `d` is input coordinate `i * dims + d`.
pub trait BinPacker: Sync {
    /// Name used in reports and case files.
    fn name(&self) -> &str;
    /// Packs `items` (each a slice of `dims` sizes) into bins of
    /// `capacity` per dimension; returns one bin index per item.
    fn pack(&self, items: &[Vec<f64>], capacity: f64, trace: &mut Trace) -> Vec<usize>;
}

/// The built-in heuristics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Greedy {
    /// Each item into the first open bin where it fits.
    FirstFit,
    /// Each item into the fitting bin left with the least free space
    /// (summed over dimensions).
    BestFit,
    /// First fit after sorting items by decreasing size (sum of sizes in 2D).
    FirstFitDecreasing,
}

impl Greedy {
    /// Parses `ff`, `bf`, `ffd` (or the long snake-case names).
    pub fn parse(s: &str) -> Result<Greedy, HuntError> {
        match s {
            "ff" | "first_fit" => Ok(Greedy::FirstFit),
            "bf" | "best_fit" => Ok(Greedy::BestFit),
            "ffd" | "first_fit_decreasing" => Ok(Greedy::FirstFitDecreasing),
            _ => Err(HuntError::config(
                "heuristic",
                format!("unknown bin-packing heuristic {s:?}; valid: ff, bf, ffd"),
            )),
        }
    }
}

impl BinPacker for Greedy {
    fn name(&self) -> &str {
        match self {
            Greedy::FirstFit => "ff",
            Greedy::BestFit => "bf",
            Greedy::FirstFitDecreasing => "ffd",
        }
    }

    fn pack(&self, items: &[Vec<f64>], capacity: f64, trace: &mut Trace) -> Vec<usize> {
        let dims = items.first().map_or(1, Vec::len);
        let mut order: Vec<usize> = (0..items.len()).collect();
        if *self == Greedy::FirstFitDecreasing {
            // Stable sort: ties keep input order.
            order.sort_by(|&a, &b| {
                let (sa, sb) = (items[a].iter().sum::<f64>(), items[b].iter().sum::<f64>());
                sb.total_cmp(&sa)
            });
            // The sorted order as decisions between neighbours, each side the
            // sum of one item's coordinates: equal sums (ties, decided by
            // input order) are their boundaries.
            for w in order.windows(2) {
                let coords = |i: usize| (i * dims..(i + 1) * dims).collect::<Vec<_>>();
                let (sa, sb) = (
                    items[w[0]].iter().sum::<f64>(),
                    items[w[1]].iter().sum::<f64>(),
                );
                decision!(
                    trace,
                    "ffd.order",
                    sums = (coords(w[0]), coords(w[1])),
                    sa >= sb
                );
            }
        }
        let mut loads: Vec<Vec<f64>> = Vec::new();
        // Items in each bin, so a fit test names every coordinate it sums.
        let mut members: Vec<Vec<usize>> = Vec::new();
        let mut assign = vec![0; items.len()];
        for &i in &order {
            let mut chosen: Option<(usize, f64)> = None;
            for (b, load) in loads.iter().enumerate() {
                let mut fits = true;
                for d in 0..dims {
                    let sum: Vec<usize> = std::iter::once(i)
                        .chain(members[b].iter().copied())
                        .map(|j| j * dims + d)
                        .collect();
                    if !decision!(
                        trace,
                        "fits",
                        sums = (sum, Vec::new()),
                        load[d] + items[i][d] <= capacity + FIT_EPS
                    ) {
                        fits = false;
                        break;
                    }
                }
                if !fits {
                    continue;
                }
                match self {
                    Greedy::BestFit => {
                        let free: f64 = (0..dims).map(|d| capacity - load[d] - items[i][d]).sum();
                        let better = match chosen {
                            None => true,
                            Some((_, best_free)) => {
                                decision!(trace, "bf.tighter", free < best_free)
                            }
                        };
                        if better {
                            chosen = Some((b, free));
                        }
                    }
                    _ => {
                        chosen = Some((b, 0.0));
                        break;
                    }
                }
            }
            let b = match chosen {
                Some((b, _)) => b,
                None => {
                    loads.push(vec![0.0; dims]);
                    members.push(Vec::new());
                    loads.len() - 1
                }
            };
            members[b].push(i);
            for d in 0..dims {
                loads[b][d] += items[i][d];
            }
            assign[i] = b;
        }
        assign
    }
}

/// Bins used by `assign`, after checking it is a valid packing.
pub fn bins_used(items: &[Vec<f64>], capacity: f64, assign: &[usize]) -> Result<usize, HuntError> {
    if assign.len() != items.len() {
        return Err(HuntError::Benchmark(format!(
            "heuristic placed {} items, expected {}",
            assign.len(),
            items.len()
        )));
    }
    let mut loads: Vec<Vec<f64>> = Vec::new();
    for (item, &b) in items.iter().zip(assign) {
        if b >= loads.len() {
            loads.resize(b + 1, vec![0.0; item.len()]);
        }
        for (l, s) in loads[b].iter_mut().zip(item) {
            *l += s;
        }
    }
    if let Some((b, _)) = loads
        .iter()
        .enumerate()
        .find(|(_, l)| l.iter().any(|v| *v > capacity + 1e-6))
    {
        return Err(HuntError::Benchmark(format!(
            "heuristic overfilled bin {b}"
        )));
    }
    let mut used: Vec<usize> = assign.to_vec();
    used.sort_unstable();
    used.dedup();
    Ok(used.len())
}

/// The exact minimum number of bins, by depth-first branch and bound
/// (items by decreasing size; identical bins tried once; pruned by the
/// volume lower bound). Fails past [`EXACT_NODES_MAX`] nodes.
pub fn optimal_bins(items: &[Vec<f64>], capacity: f64) -> Result<usize, HuntError> {
    if items.is_empty() {
        return Ok(0);
    }
    let dims = items[0].len();
    let mut sorted: Vec<&Vec<f64>> = items.iter().collect();
    sorted.sort_by(|a, b| b.iter().sum::<f64>().total_cmp(&a.iter().sum::<f64>()));
    let volume_lb = (0..dims)
        .map(|d| {
            let total: f64 = items.iter().map(|it| it[d]).sum();
            ((total / capacity) - 1e-9).ceil().max(1.0) as usize
        })
        .max()
        .unwrap_or(1);
    let mut trace = Trace::new();
    let upper = {
        let assign = Greedy::FirstFitDecreasing.pack(items, capacity, &mut trace);
        bins_used(items, capacity, &assign)?
    };
    if upper == volume_lb {
        return Ok(upper);
    }
    let mut solver = Exact {
        items: sorted,
        capacity,
        best: upper,
        lower: volume_lb,
        nodes: 0,
        loads: Vec::new(),
        placed: Vec::new(),
    };
    solver.branch(0)?;
    Ok(solver.best)
}

struct Exact<'a> {
    items: Vec<&'a Vec<f64>>,
    capacity: f64,
    best: usize,
    lower: usize,
    nodes: u64,
    loads: Vec<Vec<f64>>,
    /// Bin of each item placed so far (in `items` order).
    placed: Vec<usize>,
}

impl Exact<'_> {
    fn branch(&mut self, k: usize) -> Result<(), HuntError> {
        self.nodes += 1;
        if self.nodes > EXACT_NODES_MAX {
            return Err(HuntError::Benchmark(format!(
                "exact bin packing passed {EXACT_NODES_MAX} nodes on {} items",
                self.items.len()
            )));
        }
        if self.best == self.lower {
            return Ok(());
        }
        if k == self.items.len() {
            self.best = self.best.min(self.loads.len());
            return Ok(());
        }
        let item = self.items[k];
        // Symmetry: an item equal to the previous one goes into the same bin
        // or a later one (swapping two equal items changes nothing).
        let first_bin = if k > 0 && self.items[k - 1] == item {
            self.placed[k - 1]
        } else {
            0
        };
        for b in first_bin..self.loads.len() {
            // Symmetry: a bin with the same load as an earlier one gives the same subtree.
            if self.loads[first_bin..b].contains(&self.loads[b]) {
                continue;
            }
            let fits = self.loads[b]
                .iter()
                .zip(item.iter())
                .all(|(l, s)| l + s <= self.capacity + FIT_EPS);
            if fits {
                for (l, s) in self.loads[b].iter_mut().zip(item.iter()) {
                    *l += s;
                }
                self.placed.push(b);
                self.branch(k + 1)?;
                self.placed.pop();
                for (l, s) in self.loads[b].iter_mut().zip(item.iter()) {
                    *l -= s;
                }
                if self.best == self.lower {
                    return Ok(());
                }
            }
        }
        if self.loads.len() + 1 < self.best {
            self.placed.push(self.loads.len());
            self.loads.push(item.clone());
            self.branch(k + 1)?;
            self.loads.pop();
            self.placed.pop();
        }
        Ok(())
    }
}

/// The bin-packing objective: one heuristic against the exact optimum.
pub struct BinPackProblem {
    cfg: BinPackConfig,
    packer: Box<dyn BinPacker>,
    bounds: Vec<Bound>,
}

/// What one instance gave.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BinPackOutcome {
    /// Bins the heuristic used.
    pub heuristic_bins: usize,
    /// The optimum.
    pub optimal_bins: usize,
}

impl BinPackProblem {
    /// A problem over `cfg`'s instance space for `packer`.
    pub fn new(cfg: BinPackConfig, packer: Box<dyn BinPacker>) -> Result<Self, HuntError> {
        cfg.validate()?;
        let b = if cfg.integer {
            Bound::int(cfg.size_min.ceil() as i64, cfg.size_max.floor() as i64)
        } else {
            Bound::real(cfg.size_min, cfg.size_max)
        };
        let bounds = vec![b; cfg.items_n * cfg.dims];
        Ok(Self {
            cfg,
            packer,
            bounds,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &BinPackConfig {
        &self.cfg
    }

    /// The heuristic's name.
    pub fn heuristic_name(&self) -> &str {
        self.packer.name()
    }

    /// Splits a flat input vector into items.
    pub fn items(&self, x: &[f64]) -> Vec<Vec<f64>> {
        x.chunks(self.cfg.dims).map(<[f64]>::to_vec).collect()
    }

    /// Heuristic and optimal bins of one input.
    pub fn outcome(&self, x: &[f64], trace: &mut Trace) -> Result<BinPackOutcome, HuntError> {
        let items = self.items(x);
        let assign = self.packer.pack(&items, self.cfg.capacity, trace);
        Ok(BinPackOutcome {
            heuristic_bins: bins_used(&items, self.cfg.capacity, &assign)?,
            optimal_bins: optimal_bins(&items, self.cfg.capacity)?,
        })
    }
}

impl Objective for BinPackProblem {
    fn bounds(&self) -> &[Bound] {
        &self.bounds
    }

    fn evaluate(&self, x: &[f64], trace: &mut Trace) -> Result<f64, HuntError> {
        let o = self.outcome(x, trace)?;
        Ok(match self.cfg.gap {
            GapKind::Bins => o.heuristic_bins as f64 - o.optimal_bins as f64,
            GapKind::Ratio => o.heuristic_bins as f64 / (o.optimal_bins.max(1)) as f64,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Rng;

    fn one_d(sizes: &[f64]) -> Vec<Vec<f64>> {
        sizes.iter().map(|s| vec![*s]).collect()
    }

    /// Minimum bins over every assignment of items to bins (restricted
    /// growth strings, i.e. all set partitions), for small n.
    fn exhaustive(items: &[Vec<f64>], cap: f64) -> usize {
        fn rec(
            items: &[Vec<f64>],
            cap: f64,
            k: usize,
            loads: &mut Vec<Vec<f64>>,
            best: &mut usize,
        ) {
            if k == items.len() {
                *best = (*best).min(loads.len());
                return;
            }
            for b in 0..loads.len() {
                if loads[b]
                    .iter()
                    .zip(&items[k])
                    .all(|(l, s)| l + s <= cap + 1e-9)
                {
                    for (l, s) in loads[b].iter_mut().zip(&items[k]) {
                        *l += s;
                    }
                    rec(items, cap, k + 1, loads, best);
                    for (l, s) in loads[b].iter_mut().zip(&items[k]) {
                        *l -= s;
                    }
                }
            }
            loads.push(items[k].clone());
            rec(items, cap, k + 1, loads, best);
            loads.pop();
        }
        let mut best = usize::MAX;
        rec(items, cap, 0, &mut Vec::new(), &mut best);
        best
    }

    #[test]
    fn exact_optimum_matches_exhaustive_enumeration() {
        let mut rng = Rng::new(5);
        for case in 0..400 {
            let dims = 1 + case % 2;
            let n = 1 + rng.below(8);
            let integer = case % 3 == 0;
            // Many equal items exercise the solver's equal-item symmetry rule.
            let few_sizes = case % 4 == 1;
            let items: Vec<Vec<f64>> = (0..n)
                .map(|_| {
                    (0..dims)
                        .map(|_| {
                            if few_sizes {
                                [3.0, 4.0, 6.0][rng.below(3)]
                            } else if integer {
                                1.0 + rng.below(9) as f64
                            } else {
                                rng.uniform(0.5, 9.5)
                            }
                        })
                        .collect()
                })
                .collect();
            let exact = optimal_bins(&items, 10.0).expect("exact");
            assert_eq!(exact, exhaustive(&items, 10.0), "case {case}: {items:?}");
        }
    }

    #[test]
    fn greedy_heuristics_on_hand_checked_instances() {
        let mut t = Trace::new();
        // FF: 3+6 | 4 | 7 -> 3 bins; optimum 3+7 | 6+4 = 2.
        let items = one_d(&[3.0, 6.0, 4.0, 7.0]);
        let ff = Greedy::FirstFit.pack(&items, 10.0, &mut t);
        assert_eq!(bins_used(&items, 10.0, &ff).expect("valid"), 3);
        assert_eq!(optimal_bins(&items, 10.0).expect("exact"), 2);
        // FFD: 4+4 | 3+3+3 | 3 -> 3 bins; optimum 4+3+3 twice = 2.
        let items = one_d(&[3.0, 4.0, 3.0, 3.0, 4.0, 3.0]);
        let ffd = Greedy::FirstFitDecreasing.pack(&items, 10.0, &mut t);
        assert_eq!(bins_used(&items, 10.0, &ffd).expect("valid"), 3);
        assert_eq!(optimal_bins(&items, 10.0).expect("exact"), 2);
        // BF: 5 | 5... best fit puts 4 on the fuller bin (6), FF on the first (5).
        let items = one_d(&[5.0, 6.0, 4.0]);
        let bf = Greedy::BestFit.pack(&items, 10.0, &mut t);
        let ff = Greedy::FirstFit.pack(&items, 10.0, &mut t);
        assert_eq!(bf[2], bf[1]);
        assert_eq!(ff[2], ff[0]);
        assert!(t
            .decisions()
            .iter()
            .any(|d| d.site == "fits" && d.input.is_some()));
    }

    #[test]
    fn decisions_name_the_bin_and_the_sort_order_they_compare() {
        let mut t = Trace::new();
        // 2D FFD: sums 7, 7, 5; items 0 and 1 tie (input order decides).
        let items = vec![vec![6.0, 1.0], vec![1.0, 6.0], vec![4.0, 1.0]];
        let assign = Greedy::FirstFitDecreasing.pack(&items, 10.0, &mut t);
        assert_eq!(assign, vec![0, 0, 1]);
        let order: Vec<_> = t
            .decisions()
            .iter()
            .filter(|d| d.site == "ffd.order")
            .collect();
        assert_eq!(order.len(), 2);
        assert_eq!((order[0].margin, order[1].margin), (0.0, 2.0));
        assert_eq!(
            (order[0].lhs_inputs.clone(), order[0].rhs_inputs.clone()),
            (vec![0, 1], vec![2, 3])
        );
        // Item 2 tested against bin 0 (items 0 and 1): dimension 0 sums 4 + 6 + 1 = 11.
        let last = t
            .decisions()
            .iter()
            .rfind(|d| d.site == "fits")
            .expect("fits");
        assert_eq!(last.lhs_inputs, vec![4, 0, 2]);
        assert_eq!((last.taken, last.input), (false, Some(4)));
        assert!((last.margin + 1.0).abs() < 1e-6);
    }

    #[test]
    fn invalid_packings_are_refused() {
        let items = one_d(&[6.0, 6.0]);
        let err = bins_used(&items, 10.0, &[0, 0]).expect_err("overfull");
        assert!(err.to_string().contains("overfilled"), "{err}");
        assert!(bins_used(&items, 10.0, &[0]).is_err());
    }
}
