//! `faultline run FILE --runs N`: the simulated run once per seed, in parallel, each
//! with its summary in its own folder, then one report of every metric's distribution
//! across the runs.
//!
//! A single run answers "what happens with this seed"; replications answer "how
//! likely": an RTO's spread, how often a split brain loses writes. Each run is the
//! same deterministic run that `faultline run FILE --seed S` makes, byte for byte, so
//! a run's summary is all that is kept by default: its record (tens of megabytes for a
//! run of minutes) is recorded in memory and analyzed there, and `--keep-records`
//! writes every run's whole folder instead.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use faultline_analyze::{analyze, Summary, SUMMARY_FILE};
use faultline_record::write_json_atomically;
use faultline_report::ProgressLines;
use faultline_sim::{SimError, Simulation};
use faultline_spec::Experiment;
use rayon::prelude::*;

use super::finish::write_results;
use super::run::file_name_safe;
use crate::args::{OutputArgs, RunChoices};
use crate::exit::{Failure, Outcome};
use crate::out::errln;

/// The multi-run report's name in the runs' folder.
const RUNS_HTML: &str = super::report::RUNS_HTML;

/// Simulates `experiment` with `runs` seeds from its own, writes each run's summary
/// (or with `keep_records` its whole folder) into `out/seed-<seed>/` (default `out`:
/// `runs/<name>-seeds-<first>-<last>`) and the multi-run report into
/// `out/runs.html`; prints the distributions.
pub fn run_seeds(
    file: &Path,
    experiment: &Experiment,
    runs: u64,
    choices: &RunChoices,
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
    let out_dir = choices.out.clone().unwrap_or_else(|| {
        PathBuf::from("runs").join(format!("{}-seeds-{first}-{last}", file_name_safe(name)))
    });
    // Every folder is checked, and made, before the first run starts.
    let seeds = first..=last;
    let seed_dirs: Vec<PathBuf> = seeds.clone().map(|s| seed_dir(&out_dir, s)).collect();
    super::out_dir::prepare_runs(&out_dir, &seed_dirs)?;
    crate::interrupt::on_interrupt(format!(
        "the runs stopped before their end; {dir}/seed-<seed>/ holds the summary of each \
         run that ended, and {dir}/{RUNS_HTML} was not written: `faultline run {file} \
         --runs {runs}{keep} --out {dir}{seed}{engine}` makes them all again",
        dir = out_dir.display(),
        file = file.display(),
        keep = if choices.keep_records {
            " --keep-records"
        } else {
            ""
        },
        seed = choices
            .seed
            .map_or(String::new(), |s| format!(" --seed {s}")),
        engine = choices
            .engine
            .map_or(String::new(), |e| format!(" --engine {}", e.name())),
    ));
    let quiet = output.quiet || output.json;
    if !quiet {
        let engine = choices
            .engine
            .map_or(String::new(), |e| format!(" --engine {}", e.name()));
        errln!(
            "simulating `{name}` with seeds {first} to {last}: {runs} runs, {} at a time, \
             into {} (replay one: faultline run {} --seed S{engine})",
            rayon::current_num_threads(),
            out_dir.display(),
            file.display()
        );
    }
    let done = Mutex::new((0u64, ProgressLines::new(quiet)));
    let summaries: Result<Vec<Summary>, Failure> = seeds
        .into_par_iter()
        .map(|seed| {
            let run_dir = seed_dir(&out_dir, seed);
            let experiment = experiment.clone().with_seed(seed);
            let failed = |e: &dyn std::fmt::Display| {
                Failure::new(format!("{} with seed {seed}: {e}", file.display()))
            };
            let summary = if choices.keep_records {
                faultline_sim::run(&experiment, &run_dir, &mut |_| {}).map_err(|e| failed(&e))?;
                write_results(&run_dir)?.summary
            } else {
                let summary = simulate_in_memory(&experiment).map_err(|e| failed(&e))?;
                write_summary(&run_dir, &summary)?;
                summary
            };
            let mut done = done.lock().unwrap_or_else(|p| p.into_inner());
            done.0 += 1;
            let count = done.0;
            done.1
                .update_stderr(|| format!("{count} of {runs} runs done (last: seed {seed})"));
            Ok(summary)
        })
        .collect();
    done.into_inner()
        .unwrap_or_else(|p| p.into_inner())
        .1
        .finish_stderr();
    super::report::report_runs(&summaries?, &out_dir.join(RUNS_HTML), output)
}

/// The run's summary, its record kept in memory: the same summary as the one the
/// analysis of its record on disk gives.
fn simulate_in_memory(experiment: &Experiment) -> Result<Summary, SimError> {
    let sim = Simulation::new(experiment, experiment.seed())?;
    let (record, _) = faultline_sim::run_in_memory(experiment, sim)?;
    Ok(analyze(&record, experiment).summary)
}

/// Writes `summary.json` into `run_dir`, as a run's own folder holds it.
fn write_summary(run_dir: &Path, summary: &Summary) -> Result<(), Failure> {
    let path = run_dir.join(SUMMARY_FILE);
    std::fs::create_dir_all(run_dir)
        .and_then(|()| write_json_atomically(&path, summary))
        .map_err(|e| Failure::new(format!("{}: cannot write the summary: {e}", path.display())))
}

/// The folder of the run with `seed` among the runs in `out_dir`.
fn seed_dir(out_dir: &Path, seed: u64) -> PathBuf {
    out_dir.join(format!("seed-{seed}"))
}
