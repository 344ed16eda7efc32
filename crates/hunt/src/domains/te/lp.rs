//! The benchmark: maximum total flow over candidate paths, as a linear
//! program solved by `microlp` (pure Rust simplex).
//!
//! ```text
//! maximise   sum_p x_p
//! subject to sum_{p uses e} x_p <= c_e          for every link e
//!            sum_{p serves d} x_p <= D_d        for every demand d
//!            x_p >= 0
//! ```

use microlp::{ComparisonOp, OptimizationDirection, Problem};

use super::TeInstance;
use crate::HuntError;

/// Demands below this are treated as zero by the LP (they cannot change
/// the optimum by more than this much each).
const DEMAND_EPS: f64 = 1e-9;

/// Maximum total flow of the demands selected by `include(pair_index)`,
/// on link capacities `capacities`. Returns the total and the flow of every
/// candidate path (zero for paths of excluded demands).
pub fn max_flow(
    inst: &TeInstance,
    demands: &[f64],
    capacities: &[f64],
    include: &dyn Fn(usize) -> bool,
) -> Result<(f64, Vec<f64>), HuntError> {
    let mut flows = vec![0.0; inst.paths_n()];
    let mut problem = Problem::new(OptimizationDirection::Maximize);
    // (global path index, LP variable)
    let mut vars = Vec::new();
    let mut per_link: Vec<Vec<microlp::Variable>> = vec![Vec::new(); inst.topology.links.len()];
    for (d, &demand) in demands.iter().enumerate() {
        if !include(d) || demand <= DEMAND_EPS {
            continue;
        }
        let paths = inst.paths_of(d);
        let mut demand_vars = Vec::with_capacity(paths.len());
        for p in paths {
            let bottleneck = inst.path_links[p]
                .iter()
                .map(|&e| capacities[e].max(0.0))
                .fold(demand, f64::min);
            if bottleneck <= 0.0 {
                continue;
            }
            let v = problem.add_var(1.0, (0.0, bottleneck));
            for &e in &inst.path_links[p] {
                per_link[e].push(v);
            }
            vars.push((p, v));
            demand_vars.push(v);
        }
        if demand_vars.len() > 1 {
            let terms: Vec<(microlp::Variable, f64)> =
                demand_vars.iter().map(|&v| (v, 1.0)).collect();
            problem.add_constraint(terms.as_slice(), ComparisonOp::Le, demand);
        }
    }
    if vars.is_empty() {
        return Ok((0.0, flows));
    }
    for (e, vs) in per_link.iter().enumerate() {
        if vs.len() > 1 {
            let terms: Vec<(microlp::Variable, f64)> = vs.iter().map(|&v| (v, 1.0)).collect();
            problem.add_constraint(terms.as_slice(), ComparisonOp::Le, capacities[e].max(0.0));
        }
    }
    let solution = problem
        .solve()
        .map_err(|e| HuntError::Benchmark(format!("max-flow LP: {e}")))?
        .into_solution()
        .map_err(|_| HuntError::Benchmark("max-flow LP: solve interrupted".into()))?;
    let mut total = 0.0;
    for (p, v) in vars {
        let x = solution.var_value(v).max(0.0);
        flows[p] = x;
        total += x;
    }
    Ok((total, flows))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domains::te::{TeConfig, Topology};

    fn inst(json: &str, k: usize) -> TeInstance {
        let t = Topology::parse("t", json).expect("topology");
        TeInstance::new(
            t,
            None,
            &TeConfig {
                paths_k: k,
                ..TeConfig::default()
            },
        )
        .expect("instance")
    }

    const DIAMOND: &str = r#"{"nodes":[{"id":0},{"id":1},{"id":2},{"id":3}],
      "links":[{"source":0,"target":1,"capacity":200},{"source":0,"target":2,"capacity":200},
               {"source":1,"target":3,"capacity":200},{"source":2,"target":3,"capacity":200}]}"#;

    fn demand(inst: &TeInstance, pairs: &[((usize, usize), f64)]) -> Vec<f64> {
        let mut d = vec![0.0; inst.pairs.len()];
        for &((s, t), v) in pairs {
            let i = inst.pairs.iter().position(|p| *p == (s, t)).expect("pair");
            d[i] = v;
        }
        d
    }

    /// Hand-solved: on the diamond, 0->3 can use both 2-hop paths (400 in
    /// total), but 0->1 and 1->3 compete for links 0-1 and 1-3.
    #[test]
    fn diamond_optima_match_hand_solutions() {
        let i = inst(DIAMOND, 4);
        let caps: Vec<f64> = i.topology.links.iter().map(|l| l.capacity).collect();
        let all = |_: usize| true;
        // 0->3 alone: 400 over both paths, capped by demand 300 -> 300.
        let (f, _) = max_flow(&i, &demand(&i, &[((0, 3), 300.0)]), &caps, &all).expect("lp");
        assert!((f - 300.0).abs() < 1e-6, "{f}");
        let (f, _) = max_flow(&i, &demand(&i, &[((0, 3), 500.0)]), &caps, &all).expect("lp");
        assert!((f - 400.0).abs() < 1e-6, "{f}");
        // 0->3: 400, 0->1: 150, 1->3: 100. Link 0-1 carries 0->1 plus the
        // upper 0->3 path, link 1-3 carries 1->3 plus the same path. Best:
        // 0->1 150, 1->3 100, upper path min(200-150, 200-100)=50, lower 200:
        // total 150 + 100 + 250 = 500.
        let d = demand(&i, &[((0, 3), 400.0), ((0, 1), 150.0), ((1, 3), 100.0)]);
        let (f, flows) = max_flow(&i, &d, &caps, &all).expect("lp");
        assert!((f - 500.0).abs() < 1e-6, "{f}");
        assert!((flows.iter().sum::<f64>() - 500.0).abs() < 1e-6);
        // With k = 1 the 0->3 demand only has its first path: 150 + 100 + 50.
        let i1 = inst(DIAMOND, 1);
        let d = demand(&i1, &[((0, 3), 400.0), ((0, 1), 150.0), ((1, 3), 100.0)]);
        let (f, _) = max_flow(&i1, &d, &caps, &all).expect("lp");
        assert!((f - 300.0).abs() < 1e-6, "{f}");
    }

    /// Hand-solved: a triangle where the long way round competes with two
    /// direct demands.
    #[test]
    fn triangle_optimum_matches_hand_solution() {
        let tri = r#"{"nodes":[{"id":"a"},{"id":"b"},{"id":"c"}],
          "links":[{"source":"a","target":"b","capacity":10},{"source":"b","target":"c","capacity":10},
                   {"source":"a","target":"c","capacity":5}]}"#;
        let i = inst(tri, 4);
        let caps: Vec<f64> = i.topology.links.iter().map(|l| l.capacity).collect();
        // a->c 20 (direct 5 + via b), a->b 6, b->c 6: via-b path gets
        // min(10-6, 10-6) = 4; total 5 + 4 + 6 + 6 = 21.
        let d = demand(&i, &[((0, 2), 20.0), ((0, 1), 6.0), ((1, 2), 6.0)]);
        let (f, _) = max_flow(&i, &d, &caps, &|_| true).expect("lp");
        assert!((f - 21.0).abs() < 1e-6, "{f}");
        // Excluding the a->b demand frees link a-b: 5 + 10... capped by b-c: 6 + 4 = 10 + 5.
        let (f, _) = max_flow(&i, &d, &caps, &|p| i.pairs[p] != (0, 1)).expect("lp");
        assert!((f - 15.0).abs() < 1e-6, "{f}");
    }
}
