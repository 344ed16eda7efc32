//! `faultline hunt FILE`: the scenario hunt over an experiment's `hunt` section.

use std::path::{Path, PathBuf};

use faultline_hunt::scenario::{
    objective_name, write_outputs, ScenarioHunt, PROGRESS_FILE, PROGRESS_SVG, WORST_FILE,
};

use crate::args::OutputArgs;
use crate::exit::{Failure, Outcome};
use faultline_report::ProgressLines;

use crate::out::{errln, outln};

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
    // Refused or made before the search, which may take minutes: a hunt writes into a
    // folder of its own (or over its earlier output), and replays into `run/` of it.
    super::out_dir::prepare_own(&out_dir, &HUNT_OUTPUT)?;
    super::out_dir::check_given(&out_dir.join("run"))?;
    crate::interrupt::on_interrupt(format!(
        "the hunt stopped before its end; nothing of it was written into {}",
        out_dir.display()
    ));
    let talk = !output.quiet && !output.json;
    let objective = objective_name(&hunt.objective);
    if talk {
        errln!(
            "hunting the worst `{objective}` of `{}`: {} field(s) varied, {} evaluations, method {}, seed {}",
            hunt.name(),
            hunt.variables.len(),
            hunt.evaluations_max,
            hunt.method.name(),
            hunt.seed
        );
    }
    let max = hunt.evaluations_max;
    let mut lines = ProgressLines::new(!talk);
    let outcome = hunt.run(&mut |p| {
        lines.update_stderr(|| {
            format!(
                "  {:>6}/{max} evaluations  best {objective} = {}  ({:.1} s)",
                p.evaluations,
                p.best_value,
                p.elapsed_ms / 1e3
            )
        });
    });
    lines.finish_stderr();
    let outcome = outcome.map_err(|e| Failure::new(format!("{}: {e}", file.display())))?;
    let worst =
        write_outputs(&hunt, &outcome, &out_dir).map_err(|e| Failure::new(e.to_string()))?;
    if talk {
        outln!(
            "worst {objective} found: {} (the file as written: {}) after {} evaluations ({} failed, {} decision paths)",
            outcome.best_value,
            outcome.start_value,
            outcome.search.evaluations,
            outcome.search.evaluations_failed,
            outcome.search.paths_seen
        );
        for (path, value) in &outcome.values {
            outln!("  {path} = {value}");
        }
        outln!("why, against the file as written:");
        for line in &outcome.explanation.lines {
            outln!("  - {line}");
        }
        outln!(
            "worst scenario written to {} (replay: faultline run {})",
            worst.display(),
            worst.display()
        );
        outln!(
            "progress written to {} and {}",
            out_dir.join(PROGRESS_FILE).display(),
            out_dir.join(PROGRESS_SVG).display()
        );
        outln!("\nreplaying the worst scenario:");
    }
    let choices = crate::args::RunChoices {
        out: Some(out_dir.join("run")),
        ..Default::default()
    };
    super::run::run(&worst, &choices, output)
}

/// What `faultline hunt` writes into its folder; its `progress.json` names the
/// objective and the best value found.
const HUNT_OUTPUT: super::out_dir::OwnOutput = super::out_dir::OwnOutput {
    command: "faultline hunt",
    names: &[WORST_FILE, PROGRESS_FILE, PROGRESS_SVG, "run"],
    is_its_output: |dir| {
        std::fs::read(dir.join(PROGRESS_FILE))
            .ok()
            .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
            .is_some_and(|p| p.get("objective").is_some() && p.get("best_value").is_some())
    },
};

/// `runs/<name>-hunt`, with characters unsafe in file names replaced.
fn default_out_dir(name: &str) -> PathBuf {
    PathBuf::from("runs").join(format!("{}-hunt", super::run::file_name_safe(name)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TINY: &str = r#"
name: tiny cli hunt
seed: 4
architecture:
  api: { kind: service, instances: 1, concurrency: 16, service_time: { fixed: 2ms },
         calls: [ { to: db, timeout: 1s } ] }
  db:
    kind: database
    topology: active_passive
    concurrency: 16
    read_time: { fixed: 1ms }
    write_time: { fixed: 2ms }
    replication: { mode: async, lag: { fixed: 50ms } }
    failover: { check_every: 1s, fail_after: 2, promote_in: 2s, fencing: true, clients_find_primary_by: proxy }
workload:
  model: open
  target: api
  stages: [ { hold: 10s, rate: 40/s } ]
  mix: { read: 50%, write: 50% }
  keys: { count: 10000 }
faults:
  - { at: 2s, kill: db.primary }
expect:
  lost_writes: "== 0"
hunt:
  vary:
    - { path: "architecture.db.replication.lag.fixed", min: 10ms, max: 3s }
  objective: lost_writes
  budget: { evaluations: 8 }
"#;

    #[test]
    fn replayed_worst_run_has_the_reported_objective() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("tiny.yaml");
        std::fs::write(&file, TINY).unwrap();
        let out = dir.path().join("out");
        let quiet = OutputArgs {
            quiet: true,
            json: false,
        };
        let outcome = hunt(&file, Some(&out), &quiet).unwrap();
        let read = |p: PathBuf| -> serde_json::Value {
            serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
        };
        let progress = read(out.join(PROGRESS_FILE));
        let summary = read(out.join("run").join("summary.json"));
        let best = progress["best_value"].as_f64().unwrap();
        assert!(best > 0.0, "a 3 s lag loses writes: {progress}");
        assert_eq!(summary["metrics"]["lost_writes"].as_f64(), Some(best));
        assert!(matches!(outcome, Outcome::ThresholdMissed));
        assert!(out.join(PROGRESS_SVG).is_file());
        assert!(out.join("run").join("report.html").is_file());
    }

    #[test]
    fn a_bad_hunt_section_names_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bad.yaml");
        std::fs::write(
            &file,
            TINY.replace("replication.lag.fixed", "replication.delay"),
        )
        .unwrap();
        let quiet = OutputArgs {
            quiet: true,
            json: false,
        };
        let err = hunt(&file, Some(&dir.path().join("out")), &quiet).unwrap_err();
        assert!(
            err.0.contains("architecture.db.replication.delay"),
            "{}",
            err.0
        );
        assert!(
            err.0.contains("lag"),
            "lists the fields that are set: {}",
            err.0
        );
    }
}
