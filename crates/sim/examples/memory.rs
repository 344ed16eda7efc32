//! Memory benchmark: the simulator's peak resident memory for the M/M/c model of
//! `bench.rs` at a given arrival rate and length, with its record written to files.
//! The servers grow with the rate (utilisation stays 0.8), so ten times the rate is
//! ten times the requests over the same buckets.
//!
//! `cargo run --release -p faultline-sim --example memory -- RATE_PER_S SECONDS`
//! prints the client operations and the process's peak resident set (`VmHWM`);
//! with `--print-model` after them it prints the model's experiment file instead (to
//! measure `faultline run` on it).

use std::path::Path;
use std::process::ExitCode;

use faultline_record::{Engine, Recorder, RunMeta};
use faultline_sim::Simulation;

/// Mean service time, milliseconds (as `bench.rs`).
const SERVICE_MS: f64 = 1.0;
/// Arrivals per second one server takes at utilisation 0.8.
const RATE_PER_SERVER: u64 = 800;

#[path = "common/mmc.rs"]
mod mmc;

fn model_yaml(rate_per_s: u64, seconds: u64) -> String {
    let servers = (rate_per_s / RATE_PER_SERVER).max(1);
    mmc::mmc_yaml(
        "memory-mmc",
        servers,
        SERVICE_MS,
        rate_per_s as f64,
        seconds,
    )
}

/// The peak resident set of this process, in KiB, from `/proc/self/status`.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (numbers, print_model) = match args.as_slice() {
        [rest @ .., last] if last == "--print-model" => (rest, true),
        all => (all, false),
    };
    let parsed: Option<(u64, u64)> = match numbers {
        [rate, seconds] => rate.parse().ok().zip(seconds.parse().ok()),
        _ => None,
    };
    let Some((rate_per_s, seconds)) = parsed.filter(|&(r, s)| r > 0 && s > 0) else {
        eprintln!("usage: memory RATE_PER_S SECONDS [--print-model] (two positive whole numbers)");
        return ExitCode::from(2);
    };
    let yaml = model_yaml(rate_per_s, seconds);
    if print_model {
        print!("{yaml}");
        return ExitCode::SUCCESS;
    }
    let experiment = match faultline_spec::parse(&yaml, Path::new("memory-mmc.yaml")) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("the model does not parse: {e}");
            return ExitCode::from(2);
        }
    };
    let dir = std::env::temp_dir().join(format!("faultline-memory-{}", std::process::id()));
    let sim = Simulation::new(&experiment, experiment.seed()).expect("the model builds");
    let rec = Recorder::create(&dir, RunMeta::new("memory", Engine::Sim, 1), "")
        .expect("a temporary folder can be written");
    let (_, sim) = sim.run_to_end(rec, &mut |_| {}).expect("the run completes");
    let _ = std::fs::remove_dir_all(&dir);
    let peak = peak_rss_kib().map_or("unknown".to_string(), |k| format!("{k} KiB"));
    println!(
        "rate {rate_per_s}/s for {seconds} s: {} client operations, peak resident set {peak}",
        sim.client_operations()
    );
    ExitCode::SUCCESS
}
