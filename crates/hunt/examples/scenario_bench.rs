//! Benchmark of the scenario hunt: every method on one experiment's `hunt`
//! section at the same evaluation budget, search seeds 1–5 (the simulation
//! seed stays the experiment's own), median of the best objective.
//!
//! ```text
//! cargo run --release -p faultline-hunt --example scenario_bench -- examples/hunt-replication-lag.yaml 48
//! ```
//!
//! With `sweep N` instead of a budget it scans the `hunt` box on a grid of N
//! points per varied field (N^d simulations) and prints the worst cells, the
//! corners and the file as written: the ground truth a hunt is measured against.
//!
//! ```text
//! cargo run --release -p faultline-hunt --example scenario_bench -- examples/hunt-pause-split-brain.yaml sweep 41
//! ```

use faultline_hunt::scenario::ScenarioHunt;
use faultline_hunt::{Method, Trace};
use rayon::prelude::*;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(file) = args.get(1) else {
        eprintln!("usage: scenario_bench FILE EVALUATIONS | scenario_bench FILE sweep N");
        std::process::exit(2);
    };
    let exp =
        faultline_spec::load(std::path::Path::new(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    let hunt = ScenarioHunt::prepare(&exp).unwrap_or_else(|e| panic!("{file}: {e}"));
    match (args.get(2).map(String::as_str), args.get(3)) {
        (Some("sweep"), Some(n)) => {
            let n: usize = n
                .parse()
                .unwrap_or_else(|_| panic!("N must be a whole number, got {n}"));
            sweep(file, &hunt, n.max(2));
        }
        (Some(budget), None) => {
            let budget: u64 = budget
                .parse()
                .unwrap_or_else(|_| panic!("EVALUATIONS must be a whole number, got {budget}"));
            bench(file, hunt, budget);
        }
        _ => {
            eprintln!("usage: scenario_bench FILE EVALUATIONS | scenario_bench FILE sweep N");
            std::process::exit(2);
        }
    }
}

fn bench(file: &str, base: ScenarioHunt, budget: u64) {
    println!("{file}: {budget} evaluations per hunt, search seeds 1-5");
    for m in Method::ALL {
        let mut values = Vec::new();
        for seed in 1..=5u64 {
            let mut hunt = base.clone();
            hunt.method = m;
            hunt.seed = seed;
            hunt.evaluations_max = budget;
            let outcome = hunt
                .run(&mut |_| {})
                .unwrap_or_else(|e| panic!("{file}: {e}"));
            values.push(outcome.best_value);
        }
        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        println!(
            "{:10} median {:8.2}  by seed {values:?}",
            m.name(),
            sorted[sorted.len() / 2]
        );
    }
}

/// The grid's point `i` (mixed radix, first field fastest).
fn grid_point(hunt: &ScenarioHunt, n: usize, mut i: usize) -> Vec<f64> {
    hunt.variables
        .iter()
        .map(|v| {
            let k = i % n;
            i /= n;
            v.bound
                .project(v.bound.lo + v.bound.width() * k as f64 / (n - 1) as f64)
        })
        .collect()
}

fn sweep(file: &str, hunt: &ScenarioHunt, n: usize) {
    let d = hunt.variables.len();
    let cells = n.pow(d as u32);
    println!("{file}: sweep of {n}^{d} = {cells} simulations");
    let results: Vec<(Vec<f64>, f64)> = (0..cells)
        .into_par_iter()
        .map(|i| {
            let x = grid_point(hunt, n, i);
            let v = hunt.value_at(&x, &mut Trace::new()).unwrap_or(f64::NAN);
            (x, v)
        })
        .collect();
    let show = |x: &[f64], v: f64| {
        let vals: Vec<String> = hunt
            .values_at(x)
            .into_iter()
            .map(|(p, val)| format!("{p} = {val}"))
            .collect();
        println!("  {v:10.2}  {}", vals.join(", "));
    };
    let mut sorted = results.clone();
    sorted.sort_by(|a, b| b.1.total_cmp(&a.1));
    println!("worst cells:");
    for (x, v) in sorted.iter().take(10) {
        show(x, *v);
    }
    // The grid index of a corner: bit k of `corner` puts field k at its max.
    let corner_index = |corner: usize| -> usize {
        (0..d)
            .map(|k| {
                if corner >> k & 1 == 1 {
                    (n - 1) * n.pow(k as u32)
                } else {
                    0
                }
            })
            .sum()
    };
    println!("corners:");
    for corner in 0..(1usize << d) {
        let i = corner_index(corner);
        show(&results[i].0, results[i].1);
    }
    let start = hunt.start();
    println!("the file as written:");
    show(
        &start,
        hunt.value_at(&start, &mut Trace::new()).unwrap_or(f64::NAN),
    );
    let rank = |v: f64| sorted.iter().filter(|r| r.1 > v).count() + 1;
    let corner_best = (0..(1usize << d))
        .map(|corner| results[corner_index(corner)].1)
        .fold(f64::NEG_INFINITY, f64::max);
    println!(
        "worst cell {:.2}; best corner {corner_best:.2} (rank {} of {cells})",
        sorted[0].1,
        rank(corner_best)
    );
}
