//! `faultline run FILE`.

use std::path::{Path, PathBuf};

use faultline_record::Progress;
use faultline_report::progress::render_line;
use faultline_report::ProgressLines;
use faultline_spec::EngineKind;

use crate::args::{EngineChoice, OutputArgs, RunChoices};
use crate::exit::{Failure, Outcome};
use crate::out::errln;

/// Runs an experiment with its engine (or the one `choices` names), then analyzes the
/// record; with `choices.runs`, the simulated run once per seed ([`super::runs`]).
pub fn run(file: &Path, choices: &RunChoices, output: &OutputArgs) -> Result<Outcome, Failure> {
    let mut experiment = faultline_spec::load(file).map_err(|e| Failure::new(e.to_string()))?;
    if let Some(seed) = choices.seed {
        experiment = experiment.with_seed(seed);
    }
    if let Some(engine) = choices.engine {
        experiment = experiment.with_engine(engine.kind());
    }
    let live = experiment.raw().engine.unwrap_or_default() == EngineKind::Live;
    let out = choices.out.as_deref();
    if choices.runs.is_some() && live {
        return Err(Failure::new(format!(
            "{}: --runs repeats a simulated run with other seeds; this experiment runs \
             live, one run against real systems (leave out --runs, or add --engine sim)",
            file.display()
        )));
    }
    super::validate::check_sections(file, &experiment)?;
    if let Some(runs) = choices.runs {
        return super::runs::run_seeds(file, &experiment, runs, choices, output);
    }
    let (out_dir, moved) = match out {
        Some(dir) => (super::out_dir::check_given(dir)?, None),
        None => super::out_dir::choose_default(&default_out_dir(
            &experiment.raw().name,
            experiment.seed(),
            choices.engine,
        ))?,
    };
    // One updating line on a terminal; silent otherwise (docs/reports.md), but for a
    // live run, which lasts minutes of wall time: in a log it gets a line every 5 s.
    let quiet = output.quiet || output.json;
    let mut view = faultline_report::ProgressView::new(quiet);
    let mut log = ProgressLines::new(quiet || !live || view.enabled());
    if let Some(note) = moved.filter(|_| !quiet) {
        errln!("{note}");
    }
    if live && !quiet {
        errln!(
            "running `{}` live against the deployment in its `live` section (Ctrl-C stops it and rolls back every fault)",
            experiment.raw().name
        );
    } else if !quiet {
        errln!(
            "simulating `{}` with seed {} (replay: faultline run {}{})",
            experiment.raw().name,
            experiment.seed(),
            file.display(),
            replay_args(experiment.seed(), choices.engine)
        );
    }
    if live {
        crate::interrupt::leave_to_live_engine();
    } else {
        crate::interrupt::on_interrupt(format!(
            "the simulation stopped before its end; the record in {dir} is incomplete (its \
             run.json says `running`): `faultline analyze {dir}` reads what it holds, and \
             `faultline run {file}{replay} --out {dir}` makes the whole run again",
            dir = out_dir.display(),
            file = file.display(),
            replay = replay_args(experiment.seed(), choices.engine),
        ));
    }
    let mut progress = |p: &Progress| {
        view.update_stderr(p);
        log.update_stderr(|| render_line(p, usize::MAX));
    };
    let result = if live {
        faultline_live::run(&experiment, &out_dir, &mut progress)
            .map(|_| ())
            .map_err(|e| e.to_string())
    } else {
        faultline_sim::run(&experiment, &out_dir, &mut progress)
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    view.finish_stderr();
    log.finish_stderr();
    result.map_err(|e| Failure::new(format!("{}: {e}", file.display())))?;
    if !live {
        crate::interrupt::on_interrupt(format!(
            "the run is complete, but its summary.json and reports in {dir} may be missing \
             or stale: `faultline analyze {dir}` writes them again",
            dir = out_dir.display()
        ));
    }
    super::finish::finish_run(&out_dir, output)
}

/// ` --seed S` and ` --engine E` when the command line chose it: what replays the run.
fn replay_args(seed: u64, engine: Option<EngineChoice>) -> String {
    let engine = engine.map_or(String::new(), |e| format!(" --engine {}", e.name()));
    format!(" --seed {seed}{engine}")
}

/// `runs/<name>-<seed>`, with characters unsafe in file names replaced, and
/// `-<engine>` after it when the command line chose the engine (so that a live
/// experiment's simulated prediction and its live measurement keep their own folders).
fn default_out_dir(name: &str, seed: u64, engine: Option<EngineChoice>) -> PathBuf {
    let suffix = engine.map_or(String::new(), |e| format!("-{}", e.name()));
    PathBuf::from("runs").join(format!("{}-{seed}{suffix}", file_name_safe(name)))
}

/// `name` with every character unsafe in a file name replaced by `-`.
pub(super) fn file_name_safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_folder_is_name_and_seed() {
        assert_eq!(
            default_out_dir("orders a/p", 42, None),
            PathBuf::from("runs/orders-a-p-42")
        );
        assert_eq!(
            default_out_dir("orders", 42, Some(EngineChoice::Sim)),
            PathBuf::from("runs/orders-42-sim")
        );
    }
}
