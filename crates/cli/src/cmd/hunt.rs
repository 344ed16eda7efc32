//! `faultline hunt FILE`: the scenario hunt over an experiment's `hunt` section.

use std::path::{Path, PathBuf};

use faultline_hunt::scenario::{
    objective_name, write_outputs, ScenarioHunt, PROGRESS_FILE, PROGRESS_SVG,
};

use crate::args::OutputArgs;
use crate::exit::{Failure, Outcome};

/// Searches the `hunt` ranges for the worst scenario, writes `worst.yaml`,
/// `progress.json` and `progress.svg` into the output folder, then runs `worst.yaml`
/// like `faultline run` into `<out>/run` (record, summary, reports). The outcome is
/// that run's verdict.
pub fn hunt(file: &Path, out: Option<&Path>, output: &OutputArgs) -> Result<Outcome, Failure> {
    let experiment = faultline_spec::load(file).map_err(|e| Failure::new(e.to_string()))?;
    let hunt = ScenarioHunt::prepare(&experiment)
        .map_err(|e| Failure::new(format!("{}: {e}", file.display())))?;
    let out_dir = out
        .map(Path::to_path_buf)
        .unwrap_or_else(|| default_out_dir(hunt.name()));
    let talk = !output.quiet && !output.json;
    let objective = objective_name(&hunt.objective);
    if talk {
        eprintln!(
            "hunting the worst `{objective}` of `{}`: {} field(s) varied, {} evaluations, method {}, seed {}",
            hunt.name(),
            hunt.variables.len(),
            hunt.evaluations_max,
            hunt.method.name(),
            hunt.seed
        );
    }
    let max = hunt.evaluations_max;
    let outcome = hunt
        .run(&mut |p| {
            if talk {
                eprintln!(
                    "  {:>6}/{max} evaluations  best {objective} = {}  ({:.1} s)",
                    p.evaluations,
                    p.best_value,
                    p.elapsed_ms / 1e3
                );
            }
        })
        .map_err(|e| Failure::new(format!("{}: {e}", file.display())))?;
    let worst =
        write_outputs(&hunt, &outcome, &out_dir).map_err(|e| Failure::new(e.to_string()))?;
    if talk {
        println!(
            "worst {objective} found: {} (the file as written: {}) after {} evaluations ({} failed, {} decision paths)",
            outcome.best_value,
            outcome.start_value,
            outcome.search.evaluations,
            outcome.search.evaluations_failed,
            outcome.search.paths_seen
        );
        for (path, value) in &outcome.values {
            println!("  {path} = {value}");
        }
        println!(
            "worst scenario written to {} (replay: faultline run {})",
            worst.display(),
            worst.display()
        );
        println!(
            "progress written to {} and {}",
            out_dir.join(PROGRESS_FILE).display(),
            out_dir.join(PROGRESS_SVG).display()
        );
        println!("\nreplaying the worst scenario:");
    }
    super::run::run(&worst, Some(&out_dir.join("run")), None, output)
}

/// `runs/<name>-hunt`, with characters unsafe in file names replaced.
fn default_out_dir(name: &str) -> PathBuf {
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
    PathBuf::from("runs").join(format!("{safe}-hunt"))
}
