//! Benchmark of the scenario hunt: every method on one experiment's `hunt`
//! section at the same evaluation budget, search seeds 1–5 (the simulation
//! seed stays the experiment's own), median of the best objective.
//!
//! ```text
//! cargo run --release -p faultline-hunt --example scenario_bench -- examples/hunt-replication-lag.yaml 48
//! ```

use faultline_hunt::scenario::ScenarioHunt;
use faultline_hunt::Method;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(file), Some(budget)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: scenario_bench FILE EVALUATIONS");
        std::process::exit(2);
    };
    let budget: u64 = budget
        .parse()
        .unwrap_or_else(|_| panic!("EVALUATIONS must be a whole number, got {budget}"));
    let exp =
        faultline_spec::load(std::path::Path::new(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    println!("{file}: {budget} evaluations per hunt, search seeds 1-5");
    for m in Method::ALL {
        let mut values = Vec::new();
        for seed in 1..=5u64 {
            let mut hunt = ScenarioHunt::prepare(&exp).unwrap_or_else(|e| panic!("{file}: {e}"));
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
