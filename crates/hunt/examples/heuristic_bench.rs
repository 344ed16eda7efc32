//! Benchmark of the hunt: guided search against the black-box baselines.
//!
//! ```text
//! cargo run --release -p faultline-hunt --example heuristic_bench              # equal-budget table
//! cargo run --release -p faultline-hunt --example heuristic_bench -- --te-time-s 60   # + time-matched TE table
//! cargo run --release -p faultline-hunt --example heuristic_bench -- --te-time-s 60 --only-te-time
//! cargo run --release -p faultline-hunt --example heuristic_bench -- --only binpack,pop  # settings whose label contains a word
//! ```
//!
//! Table 1: for every setting (domain, heuristic, topology), the gap found by
//! each method at the same evaluation budget, median over the seeds, and the
//! time taken. Table 2 (with `--te-time-s S`): TE only, guided search with a
//! wall-clock limit of S seconds against simulated annealing given the same
//! time; gaps also as a share of the total link capacity.

use std::path::PathBuf;
use std::time::Instant;

use faultline_hunt::domains::binpack::BinPackConfig;
use faultline_hunt::{
    search, BuiltProblem, Domain, HeuristicHuntConfig, Method, ProblemSpec, SearchConfig,
};

struct Setting {
    label: String,
    cfg: HeuristicHuntConfig,
    budget: u64,
}

fn topo(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("data/topologies/{name}.json"))
}

fn settings(te_budget: u64, other_budget: u64) -> Vec<Setting> {
    let mut out = Vec::new();
    for h in ["dp", "pop"] {
        for t in ["swan", "abilene", "b4-teavar"] {
            let mut cfg = HeuristicHuntConfig::new(Domain::Te, h);
            cfg.topology = Some(topo(t));
            out.push(Setting {
                label: format!("te {h} {t}"),
                cfg,
                budget: te_budget,
            });
        }
    }
    for (domain, dims, n) in [(Domain::Binpack1d, 1, 30), (Domain::Binpack2d, 2, 20)] {
        for h in ["ff", "bf", "ffd"] {
            let mut cfg = HeuristicHuntConfig::new(domain, h);
            cfg.binpack = Some(BinPackConfig::integer_1_9(dims, n));
            out.push(Setting {
                label: format!("{} {h} n={n}", domain.name()),
                cfg,
                budget: other_budget,
            });
        }
    }
    for h in ["rr", "random", "p2c", "lo"] {
        out.push(Setting {
            label: format!("lb {h} vs jsq"),
            cfg: HeuristicHuntConfig::new(Domain::Lb, h),
            budget: other_budget,
        });
    }
    out
}

fn build(cfg: &HeuristicHuntConfig) -> BuiltProblem {
    let spec = ProblemSpec::from_config(cfg).unwrap_or_else(|e| panic!("setting: {e}"));
    spec.build().unwrap_or_else(|e| panic!("setting: {e}"))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Whether `label` is selected by `--only` (comma-separated substrings; none: all).
fn selected(label: &str, only: &[String]) -> bool {
    only.is_empty() || only.iter().any(|w| label.contains(w.as_str()))
}

fn budget_table(seeds: &[u64], te_budget: u64, other_budget: u64, only: &[String]) {
    println!();
    println!("| setting | guided | random | hill_climb | anneal | cmaes | guided > all | guided >= all | time guided / anneal (s) |");
    println!("|---|---|---|---|---|---|---|---|---|");
    let (mut strictly, mut at_least, mut total) = (0, 0, 0);
    for s in settings(te_budget, other_budget)
        .into_iter()
        .filter(|s| selected(&s.label, only))
    {
        let problem = build(&s.cfg);
        let mut med = Vec::new();
        let mut secs = Vec::new();
        for m in Method::ALL {
            let mut gaps = Vec::new();
            let t = Instant::now();
            for &seed in seeds {
                let cfg = SearchConfig::new(m, s.budget, seed);
                let o = search(&problem, &cfg, &mut |_| {})
                    .unwrap_or_else(|e| panic!("{}: {e}", s.label));
                gaps.push(o.best_value);
            }
            med.push(median(gaps));
            secs.push(t.elapsed().as_secs_f64() / seeds.len() as f64);
        }
        let others = med[1..].iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let strict = med[0] > others + 1e-9;
        let geq = med[0] >= others - 1e-9;
        total += 1;
        strictly += usize::from(strict);
        at_least += usize::from(geq);
        println!(
            "| {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {} | {} | {:.2} / {:.2} |",
            s.label,
            med[0],
            med[1],
            med[2],
            med[3],
            med[4],
            if strict { "yes" } else { "no" },
            if geq { "yes" } else { "no" },
            secs[0],
            secs[3]
        );
    }
    println!();
    println!(
        "guided larger than every baseline in {strictly}/{total} settings ({:.0}%), at least as large in {at_least}/{total} ({:.0}%)",
        100.0 * strictly as f64 / total as f64,
        100.0 * at_least as f64 / total as f64
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let te_time_s: Option<u64> = args
        .iter()
        .position(|a| a == "--te-time-s")
        .and_then(|i| args.get(i + 1))
        .map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("--te-time-s needs seconds, got {v}"))
        });
    let only_te_time = args.iter().any(|a| a == "--only-te-time");
    let only: Vec<String> = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1))
        .map(|v| v.split(',').map(str::to_string).collect())
        .unwrap_or_default();
    let seeds: Vec<u64> = vec![1, 2, 3];
    let (te_budget, other_budget) = (1500, 1500);
    println!(
        "threads: {}  seeds: {seeds:?}  budget: {te_budget} evaluations (te), {other_budget} (others)",
        rayon::current_num_threads()
    );
    if !only_te_time {
        budget_table(&seeds, te_budget, other_budget, &only);
    }
    let Some(limit_s) = te_time_s else { return };
    println!();
    println!("time-matched TE (guided limited to {limit_s} s and 1,000,000 evaluations; anneal gets the same wall time), seed 1");
    println!();
    println!("| setting | guided gap | % of capacity | evaluations | time (s) | anneal gap (same time) | % of capacity |");
    println!("|---|---|---|---|---|---|---|");
    for s in settings(0, 0)
        .into_iter()
        .filter(|s| s.cfg.domain == Domain::Te && selected(&s.label, &only))
    {
        let problem = build(&s.cfg);
        let capacity = match &problem {
            BuiltProblem::Te(p) => p.total_capacity(),
            _ => 1.0,
        };
        let mut g = SearchConfig::new(Method::Guided, 1_000_000, 1);
        g.time_ms_max = Some(limit_s * 1000);
        let og = search(&problem, &g, &mut |_| {}).unwrap_or_else(|e| panic!("{}: {e}", s.label));
        let mut a = SearchConfig::new(Method::Anneal, og.evaluations + og.evaluations / 5, 1);
        a.time_ms_max = Some(og.elapsed_ms.ceil() as u64);
        let oa = search(&problem, &a, &mut |_| {}).unwrap_or_else(|e| panic!("{}: {e}", s.label));
        println!(
            "| {} | {:.1} | {:.2}% | {} | {:.1} | {:.1} | {:.2}% |",
            s.label,
            og.best_value,
            100.0 * og.best_value / capacity,
            og.evaluations,
            og.elapsed_ms / 1e3,
            oa.best_value,
            100.0 * oa.best_value / capacity
        );
    }
}
