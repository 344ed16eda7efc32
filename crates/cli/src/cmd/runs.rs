//! `faultline run FILE --runs N`: the simulated run once per seed, in parallel, each
//! in its own folder, then one report of every metric's distribution across the runs.
//!
//! A single run answers "what happens with this seed"; replications answer "how
//! likely": an RTO's spread, how often a split brain loses writes. Each run is the
//! same deterministic run that `faultline run FILE --seed S` makes, byte for byte.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use faultline_report::ProgressLines;
use faultline_spec::Experiment;
use rayon::prelude::*;

use super::finish::{write_results, Results};
use super::run::file_name_safe;
use crate::args::OutputArgs;
use crate::exit::{Failure, Outcome};
use crate::out::errln;

/// The multi-run report's name in the runs' folder.
const RUNS_HTML: &str = super::report::RUNS_HTML;

/// Simulates `experiment` with `runs` seeds from its own, writes each run into
/// `out/seed-<seed>/` (default `out`: `runs/<name>-seeds-<first>-<last>`) and the
/// multi-run report into `out/runs.html`; prints the distributions.
pub fn run_seeds(
    file: &Path,
    experiment: &Experiment,
    runs: u64,
    out: Option<&Path>,
    output: &OutputArgs,
) -> Result<Outcome, Failure> {
    let first = experiment.seed();
    let last = first.checked_add(runs - 1).ok_or_else(|| {
        Failure::new(format!(
            "--runs {runs} from seed {first} goes past the largest seed ({}); give a smaller \
             --seed",
            u64::MAX
        ))
    })?;
    let name = &experiment.raw().name;
    let out_dir = out.map(Path::to_path_buf).unwrap_or_else(|| {
        PathBuf::from("runs").join(format!("{}-seeds-{first}-{last}", file_name_safe(name)))
    });
    // Every folder is checked before the first run starts.
    let seeds = first..=last;
    for seed in seeds.clone() {
        super::out_dir::check_given(&seed_dir(&out_dir, seed))?;
    }
    let quiet = output.quiet || output.json;
    if !quiet {
        errln!(
            "simulating `{name}` with seeds {first} to {last}: {runs} runs, {} at a time, \
             into {} (replay one: faultline run {} --seed S)",
            rayon::current_num_threads(),
            out_dir.display(),
            file.display()
        );
    }
    let done = Mutex::new((0u64, ProgressLines::new(quiet)));
    let results: Result<Vec<Results>, Failure> = seeds
        .into_par_iter()
        .map(|seed| {
            let run_dir = seed_dir(&out_dir, seed);
            faultline_sim::run(&experiment.clone().with_seed(seed), &run_dir, &mut |_| {})
                .map_err(|e| Failure::new(format!("{} with seed {seed}: {e}", file.display())))?;
            let results = write_results(&run_dir)?;
            let mut done = done.lock().unwrap_or_else(|p| p.into_inner());
            done.0 += 1;
            let count = done.0;
            done.1
                .update_stderr(|| format!("{count} of {runs} runs done (last: seed {seed})"));
            Ok(results)
        })
        .collect();
    done.into_inner()
        .unwrap_or_else(|p| p.into_inner())
        .1
        .finish_stderr();
    let summaries: Vec<_> = results?.into_iter().map(|r| r.summary).collect();
    super::report::report_runs(&summaries, &out_dir.join(RUNS_HTML), output)
}

/// The folder of the run with `seed` among the runs in `out_dir`.
fn seed_dir(out_dir: &Path, seed: u64) -> PathBuf {
    out_dir.join(format!("seed-{seed}"))
}
