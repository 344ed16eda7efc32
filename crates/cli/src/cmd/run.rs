//! `faultline run FILE`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use faultline_record::Progress;
use faultline_spec::EngineKind;

use crate::args::OutputArgs;
use crate::exit::{Failure, Outcome};

/// Runs an experiment with its engine, then analyzes the record.
pub fn run(
    file: &Path,
    out: Option<&Path>,
    seed: Option<u64>,
    output: &OutputArgs,
) -> Result<Outcome, Failure> {
    let mut experiment = faultline_spec::load(file).map_err(|e| Failure::new(e.to_string()))?;
    if let Some(seed) = seed {
        experiment = experiment.with_seed(seed);
    }
    if experiment.raw().engine.unwrap_or_default() == EngineKind::Live {
        return Err(Failure::new(format!(
            "{}: `engine: live` is not built into this faultline yet; remove it (or set \
             `engine: sim`) to run the simulator",
            file.display()
        )));
    }
    let out_dir = out
        .map(Path::to_path_buf)
        .unwrap_or_else(|| default_out_dir(&experiment.raw().name, experiment.seed()));
    let show = !output.quiet && !output.json && std::io::stderr().is_terminal();
    if !output.quiet && !output.json {
        eprintln!(
            "simulating `{}` with seed {} (replay: faultline run {} --seed {})",
            experiment.raw().name,
            experiment.seed(),
            file.display(),
            experiment.seed()
        );
    }
    let mut progress = |p: &Progress| {
        if show {
            eprint!("\r{}", progress_line(p));
        }
    };
    faultline_sim::run(&experiment, &out_dir, &mut progress)
        .map_err(|e| Failure::new(format!("{}: {e}", file.display())))?;
    if show {
        eprintln!();
    }
    super::finish::finish_run(&out_dir, output)
}

/// `runs/<name>-<seed>`, with characters unsafe in file names replaced.
fn default_out_dir(name: &str, seed: u64) -> PathBuf {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    PathBuf::from("runs").join(format!("{safe}-{seed}"))
}

/// One line of live progress: phase, simulated time, rate, errors, active faults.
fn progress_line(p: &Progress) -> String {
    let faults = if p.active_faults.is_empty() {
        String::new()
    } else {
        format!("  faults: {}", p.active_faults.join(", "))
    };
    format!(
        "{:<8} {:>6.0}/{:.0} s  {:>8.0} ops/s  errors {:>6.2}%{faults}\x1b[K",
        p.phase,
        p.elapsed_us as f64 / 1e6,
        p.total_us as f64 / 1e6,
        p.rate_per_s,
        p.error_rate * 100.0
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_folder_is_name_and_seed() {
        assert_eq!(
            default_out_dir("orders a/p", 42),
            PathBuf::from("runs/orders-a-p-42")
        );
    }
}
