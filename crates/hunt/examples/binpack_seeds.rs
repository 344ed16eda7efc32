//! Seed spread of one bin-packing setting: the best gap each of seeds
//! 1..=N finds, and how many beat a given gap (say, the strongest
//! baseline's median in the bench table), since medians over three seeds
//! swing.
//!
//! ```text
//! cargo run --release -p faultline-hunt --example binpack_seeds -- DIMS ITEMS HEURISTIC BUDGET SEEDS BEAT [METHOD [CAPACITY [ratio]]]
//! cargo run --release -p faultline-hunt --example binpack_seeds -- 1 30 ff 1500 20 5
//! cargo run --release -p faultline-hunt --example binpack_seeds -- 2 9 ffd 20000 4 1.5 guided 1000 ratio
//! ```
//!
//! Integer sizes 1–9 in bins of 10, gap in bins (the bench's settings);
//! with CAPACITY, sizes 1 to CAPACITY − 1 in bins of CAPACITY; `ratio`
//! measures heuristic bins over optimal bins.

use faultline_hunt::domains::binpack::{BinPackConfig, BinPackProblem, GapKind, Greedy};
use faultline_hunt::{search, Method, SearchConfig};

fn arg<T: std::str::FromStr>(args: &[String], i: usize, name: &str) -> T {
    let v = args
        .get(i)
        .unwrap_or_else(|| panic!("missing argument {i} ({name}); see the file's doc comment"));
    v.parse()
        .unwrap_or_else(|_| panic!("argument {i} ({name}) is {v:?}, not a number"))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dims: usize = arg(&args, 1, "DIMS");
    let items_n: usize = arg(&args, 2, "ITEMS");
    let heuristic = args.get(3).map_or("ff", String::as_str);
    let h = Greedy::parse(heuristic).unwrap_or_else(|e| panic!("HEURISTIC: {e}"));
    let budget: u64 = arg(&args, 4, "BUDGET");
    let seeds: u64 = arg(&args, 5, "SEEDS");
    let beat: f64 = arg(&args, 6, "BEAT");
    let method = args
        .get(7)
        .map_or(Ok(Method::Guided), |m| Method::parse(m))
        .unwrap_or_else(|e| panic!("METHOD: {e}"));
    let mut cfg = BinPackConfig::integer_1_9(dims, items_n);
    if args.len() > 8 {
        cfg.capacity = arg(&args, 8, "CAPACITY");
        cfg.size_max = cfg.capacity - 1.0;
    }
    if args.get(9).is_some_and(|a| a == "ratio") {
        cfg.gap = GapKind::Ratio;
    }
    let p = BinPackProblem::new(cfg, Box::new(h)).unwrap_or_else(|e| panic!("setting: {e}"));
    let mut gaps = Vec::new();
    for seed in 1..=seeds {
        let o = search(&p, &SearchConfig::new(method, budget, seed), &mut |_| {})
            .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        gaps.push(o.best_value);
    }
    let above = gaps.iter().filter(|g| **g > beat + 1e-9).count();
    let mean = gaps.iter().sum::<f64>() / gaps.len().max(1) as f64;
    println!(
        "{}d {heuristic} n={items_n} {} budget {budget}: gaps {gaps:?}; above {beat} on {above}/{seeds} seeds, mean {mean:.2}",
        dims,
        method.name()
    );
}
