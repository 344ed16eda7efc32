//! Benchmark: simulated requests per wall-clock second on one core.
//!
//! Two models: the M/M/c queue also written for SimPy in `bench/simpy_mmc.py` (the
//! same arrival rate, service time, servers and simulated time), and the shipped
//! `examples/active-passive.yaml`. Prints the median of several repetitions.
//!
//! `cargo run --release -p faultline-sim --example bench -- [repetitions]`
//! (`crates/sim/bench/run.sh` runs it side by side with SimPy.)

use std::path::Path;
use std::time::Instant;

use faultline_record::{Engine, Recorder, RunMeta};
use faultline_sim::Simulation;

/// The M/M/c model shared with the SimPy script: keep both in step.
pub const MMC_SERVERS: u32 = 8;
/// Mean service time, milliseconds.
pub const MMC_SERVICE_MS: f64 = 1.0;
/// Arrivals per second (utilisation 0.8).
pub const MMC_RATE_PER_S: f64 = 6400.0;
/// Simulated seconds.
pub const MMC_SECONDS: u64 = 300;

#[path = "common/mmc.rs"]
mod mmc;

fn mmc_yaml() -> String {
    mmc::mmc_yaml(
        "bench-mmc",
        u64::from(MMC_SERVERS),
        MMC_SERVICE_MS,
        MMC_RATE_PER_S,
        MMC_SECONDS,
    )
}

fn run_once(experiment: &faultline_spec::Experiment, dir: &Path) -> (u64, u64, f64) {
    let sim = Simulation::new(experiment, experiment.seed()).expect("the model builds");
    let rec = Recorder::create(dir, RunMeta::new("bench", Engine::Sim, 1), "").expect("temp dir");
    let start = Instant::now();
    let (_, sim) = sim.run_to_end(rec, &mut |_| {}).expect("the run completes");
    let secs = start.elapsed().as_secs_f64();
    let client_ops = sim.client_operations();
    (client_ops, sim.simulated_requests(), secs)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let reps: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(5);
    let dir = std::env::temp_dir().join(format!("faultline-bench-{}", std::process::id()));
    let mmc = faultline_spec::parse(&mmc_yaml(), Path::new("bench-mmc.yaml")).expect("valid");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/active-passive.yaml");
    let ap = faultline_spec::load(&root).expect("examples/active-passive.yaml is valid");
    let only = std::env::args().nth(2);
    for (name, exp) in [("mmc", &mmc), ("active-passive", &ap)] {
        if only.as_deref().is_some_and(|o| o != name) {
            continue;
        }
        let mut ops_rates = Vec::new();
        let mut req_rates = Vec::new();
        let mut ops = 0;
        for _ in 0..reps {
            let (o, r, secs) = run_once(exp, &dir);
            ops = o;
            ops_rates.push(o as f64 / secs);
            req_rates.push(r as f64 / secs);
        }
        let (ops_rate, req_rate) = (median(ops_rates), median(req_rates));
        println!(
            "faultline {name}: {ops} client operations; median {ops_rate:.0} client ops/s, \
             {req_rate:.0} requests/s (all hops) over {reps} runs"
        );
        println!("RESULT {name} {ops_rate:.0} {req_rate:.0}");
    }
    if only.as_deref().is_none_or(|o| o == "mmc-unrecorded") {
        // The same M/M/c run without writing a record (the hunt's fast path): the
        // engine alone, as SimPy's model only counts customers.
        let mut rates = Vec::new();
        let mut ops = 0;
        for _ in 0..reps {
            let sim = Simulation::new(&mmc, mmc.seed()).expect("the model builds");
            let start = Instant::now();
            let sim = sim.run_unrecorded();
            ops = sim.client_operations();
            rates.push(ops as f64 / start.elapsed().as_secs_f64());
        }
        let rate = median(rates);
        println!("faultline mmc without a record: {ops} client operations; median {rate:.0} client ops/s over {reps} runs");
        println!("RESULT mmc-unrecorded {rate:.0}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
