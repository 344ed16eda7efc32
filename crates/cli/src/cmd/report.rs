//! `faultline report RUN_DIR...`: re-render a run's reports (one folder), or summarise
//! several runs in one report (several folders). Also the report writing that `run` and
//! `analyze` share: `report.html`, `junit.xml` and `summary.md` next to `summary.json`.

use std::path::{Path, PathBuf};

use faultline_analyze::{analyze, Analysis, Summary, SUMMARY_FILE};
use faultline_record::{layout, RunRecord};
use faultline_report::{
    render_html, render_junit, render_markdown, render_multi, render_multi_terminal,
};
use faultline_spec::Experiment;

use crate::args::OutputArgs;
use crate::exit::{Failure, Outcome};
use crate::out::{out, outln};

/// `report.html` in a run's folder.
pub const REPORT_HTML: &str = "report.html";
/// `junit.xml` in a run's folder.
pub const JUNIT_XML: &str = "junit.xml";
/// `summary.md` in a run's folder.
pub const SUMMARY_MD: &str = "summary.md";
/// The multi-run report's default name.
pub const RUNS_HTML: &str = "runs.html";

/// A run folder read back and analyzed.
pub struct LoadedRun {
    /// The record.
    pub record: RunRecord,
    /// Its experiment (the record's copy of the file).
    pub experiment: Experiment,
    /// The analysis.
    pub analysis: Analysis,
}

/// Reads the record in `run_dir` and analyzes it with its own `experiment.yaml`.
pub fn load_run(run_dir: &Path) -> Result<LoadedRun, Failure> {
    if !run_dir.is_dir() {
        let what = if run_dir.exists() {
            "not a folder (a file)"
        } else {
            "not a folder (nothing is there)"
        };
        return Err(Failure::new(format!(
            "{}: {what}; give the output folder of a run (it holds run.json)",
            run_dir.display()
        )));
    }
    // A summary.json of another tool is no run of `--runs`: that case falls through to
    // the missing run.json.
    let only_summary = match run_dir.join(layout::RUN).exists() {
        true => None,
        false => summary_file(run_dir).ok(),
    };
    if let Some(summary) = only_summary {
        let seed = summary.seed;
        return Err(Failure::new(format!(
            "{}: holds only the summary of a run of `faultline run --runs N`, not its record; \
             make that run again with `faultline run FILE --seed {seed} --out DIR` (or the \
             runs with --keep-records)",
            run_dir.display()
        )));
    }
    let record = RunRecord::load(run_dir).map_err(|e| {
        Failure::new(format!(
            "{e}\n(a run folder holds run.json, experiment.yaml, buckets.jsonl, markers.jsonl, \
             ledger.jsonl and final_state.jsonl; see docs/record.md)"
        ))
    })?;
    let experiment_path = run_dir.join(layout::EXPERIMENT);
    let experiment = faultline_spec::parse(&record.experiment_text, &experiment_path)
        .map_err(|e| Failure::new(e.to_string()))?;
    let analysis = analyze(&record, &experiment);
    Ok(LoadedRun {
        record,
        experiment,
        analysis,
    })
}

/// Writes `report.html`, `junit.xml` and `summary.md` into `run_dir`; returns their paths.
pub fn write_reports(
    run_dir: &Path,
    record: &RunRecord,
    experiment: &Experiment,
    analysis: &Analysis,
) -> Result<Vec<PathBuf>, Failure> {
    let files = [
        (REPORT_HTML, render_html(analysis, record, experiment)),
        (JUNIT_XML, render_junit(&analysis.summary)),
        (SUMMARY_MD, render_markdown(&analysis.summary, experiment)),
    ];
    let mut written = Vec::new();
    for (name, text) in files {
        let path = run_dir.join(name);
        write_file(&path, &text)?;
        written.push(path);
    }
    Ok(written)
}

/// Writes through a temporary file and a rename, so a reader never sees half a report
/// ([`faultline_record::write_atomically`]).
pub(super) fn write_file(path: &Path, text: &str) -> Result<(), Failure> {
    if path.is_dir() {
        return Err(Failure::new(format!(
            "{}: is a folder; give the path of a file (new, or one to replace)",
            path.display()
        )));
    }
    if path.file_name().is_none() {
        return Err(Failure::new(format!(
            "{}: names no file; give the path of a file (such as {RUNS_HTML})",
            path.display()
        )));
    }
    faultline_record::write_atomically(path, text.as_bytes())
        .map_err(|e| Failure::new(format!("{}: cannot write: {e}", path.display())))
}

/// `faultline report RUN_DIR...`.
pub fn report(
    run_dirs: &[PathBuf],
    out: Option<&Path>,
    output: &OutputArgs,
) -> Result<Outcome, Failure> {
    // The folder of `faultline run --runs N`, alone: its runs, its page.
    if let [set] = run_dirs {
        let runs = match set.join(layout::RUN).exists() {
            true => Vec::new(),
            false => runs_in(set),
        };
        if !runs.is_empty() {
            let summaries = runs
                .iter()
                .map(|dir| read_summary(dir))
                .collect::<Result<Vec<_>, _>>()?;
            let path = out.map_or_else(|| set.join(RUNS_HTML), Path::to_path_buf);
            return report_runs(&summaries, &path, output);
        }
    }
    match run_dirs {
        [] => Err(Failure::new(
            "give at least one run folder (the output folder of `faultline run`)",
        )),
        [one] => {
            let run = load_run(one)?;
            let written = write_reports(one, &run.record, &run.experiment, &run.analysis)?;
            let summary = &run.analysis.summary;
            if output.json {
                out!("{}", summary.to_json());
            } else if !output.quiet {
                for path in &written {
                    outln!("wrote {}", path.display());
                }
            }
            Ok(outcome(summary.passed))
        }
        many => {
            let mut summaries: Vec<Summary> = Vec::with_capacity(many.len());
            for dir in many {
                summaries.push(read_summary(dir)?);
            }
            let path = out
                .map(Path::to_path_buf)
                .unwrap_or_else(|| PathBuf::from(RUNS_HTML));
            report_runs(&summaries, &path, output)
        }
    }
}

/// A run's summary: its record analyzed again, or for a run of `run --runs N` that
/// kept only its summary.json, that file.
pub(super) fn read_summary(dir: &Path) -> Result<Summary, Failure> {
    if dir.join(layout::RUN).exists() {
        return Ok(load_run(dir)?.analysis.summary);
    }
    summary_file(dir)
}

/// The summary.json in `dir`, as written, without analyzing anything.
pub(super) fn summary_file(dir: &Path) -> Result<Summary, Failure> {
    let path = dir.join(SUMMARY_FILE);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| Failure::new(format!("{}: cannot read: {e}", path.display())))?;
    serde_json::from_str(&text)
        .map_err(|e| Failure::new(format!("{}: not a run's summary: {e}", path.display())))
}

/// The run folders directly inside `dir` (those holding a run.json or, from `run
/// --runs N`, a summary.json): `seed-<n>` folders in the order of their seeds, the
/// others after them by name; none when `dir` cannot be read.
fn runs_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut runs: Vec<(Option<u64>, PathBuf)> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join(layout::RUN).is_file() || p.join(SUMMARY_FILE).is_file())
        .map(|p| {
            let seed = p
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_prefix("seed-"))
                .and_then(|n| n.parse().ok());
            (seed, p)
        })
        .collect();
    // Seeds first, in order; then the others by name.
    runs.sort_by(|a, b| (a.0.is_none(), a.0, &a.1).cmp(&(b.0.is_none(), b.0, &b.1)));
    runs.into_iter().map(|(_, p)| p).collect()
}

/// Writes the multi-run report of `summaries` to `path` and prints the distributions
/// (as JSON with `--json`, nothing with `--quiet`); `Passed` if every run passed.
pub fn report_runs(
    summaries: &[Summary],
    path: &Path,
    output: &OutputArgs,
) -> Result<Outcome, Failure> {
    write_file(path, &render_multi(summaries))?;
    if output.json {
        let distributions = faultline_report::multi::distributions(summaries);
        let json = serde_json::to_string_pretty(&distributions)
            .map_err(|e| Failure::new(format!("cannot encode the distributions: {e}")))?;
        outln!("{json}");
    } else if !output.quiet {
        out!("{}", render_multi_terminal(summaries));
        outln!("\nwrote {}", path.display());
    }
    Ok(outcome(summaries.iter().all(|s| s.passed)))
}

fn outcome(passed: bool) -> Outcome {
    if passed {
        Outcome::Passed
    } else {
        Outcome::ThresholdMissed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultline_record::*;

    const YAML: &str = "name: tiny\narchitecture:\n  api: { kind: service, instances: 2, concurrency: 8, service_time: { fixed: 5ms } }\nworkload: { stages: [ { hold: 30s, users: 10 } ], mix: { read: 100%, write: 0% } }\nfaults:\n  - { at: 5s, kill: api.1 }\nexpect: { rto: \"<= 5s\" }\n";

    /// A 30 s run in which every operation from 5 s to `5 + outage_s` fails.
    fn record(dir: &Path, outage_s: u64, seed: u64) {
        let mut rec = Recorder::create(dir, RunMeta::new("tiny", Engine::Sim, seed), YAML).unwrap();
        let client = rec.series(CLIENT_SERIES);
        for i in 0..300u64 {
            let t_us = i * 100_000;
            rec.op_started(client, OpKind::Read, t_us);
            let failing = (50..50 + outage_s * 10).contains(&i);
            let outcome = if failing {
                Err(FailureClass::Refused)
            } else {
                Ok(())
            };
            rec.op_finished(client, OpKind::Read, t_us, t_us + 2_000, outcome);
        }
        rec.marker(&Marker {
            t_us: 5_000_000,
            kind: MarkerKind::FaultInjected,
            source: "fault:0".into(),
            component: Some("api".into()),
            detail: None,
        })
        .unwrap();
        rec.finish(RunStatus::Completed, 30_000_000, None).unwrap();
    }

    fn quiet() -> OutputArgs {
        OutputArgs {
            quiet: true,
            json: false,
        }
    }

    #[test]
    fn one_folder_gets_its_three_reports() {
        let dir = tempfile::tempdir().unwrap();
        record(dir.path(), 1, 1);
        let outcome = report(&[dir.path().to_path_buf()], None, &quiet()).unwrap();
        assert!(matches!(outcome, Outcome::Passed));
        let html = std::fs::read_to_string(dir.path().join(REPORT_HTML)).unwrap();
        assert!(html.contains("id=\"chart-throughput\""));
        let junit = std::fs::read_to_string(dir.path().join(JUNIT_XML)).unwrap();
        assert!(junit.contains("<testcase name=\"rto &lt;= 5s\""));
        let md = std::fs::read_to_string(dir.path().join(SUMMARY_MD)).unwrap();
        assert!(md.starts_with("### ✅ faultline: `tiny` PASSED"));
    }

    #[test]
    fn several_folders_make_one_multi_run_report() {
        let dirs: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
        for (i, d) in dirs.iter().enumerate() {
            record(d.path(), 1 + 3 * i as u64, i as u64 + 1);
        }
        let out = dirs[0].path().join("runs.html");
        let paths: Vec<PathBuf> = dirs.iter().map(|d| d.path().to_path_buf()).collect();
        let outcome = report(&paths, Some(&out), &quiet()).unwrap();
        assert!(
            matches!(outcome, Outcome::ThresholdMissed),
            "run 3 misses the RTO"
        );
        let html = std::fs::read_to_string(out).unwrap();
        assert!(html.contains("2/3 PASSED"));
    }

    #[test]
    fn a_folder_of_runs_is_reported_as_its_runs_in_seed_order() {
        let set = tempfile::tempdir().unwrap();
        for seed in [10u64, 9, 2] {
            record(&set.path().join(format!("seed-{seed}")), 1, seed);
        }
        assert_eq!(
            runs_in(set.path())
                .iter()
                .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
                .collect::<Vec<_>>(),
            ["seed-2", "seed-9", "seed-10"]
        );
        let outcome = report(&[set.path().to_path_buf()], None, &quiet()).unwrap();
        assert!(matches!(outcome, Outcome::Passed));
        let html = std::fs::read_to_string(set.path().join(RUNS_HTML)).unwrap();
        assert!(html.contains("3/3 PASSED"), "the page of the three runs");
    }

    #[test]
    fn a_folder_that_is_not_a_run_is_an_input_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = report(&[dir.path().to_path_buf()], None, &quiet())
            .err()
            .unwrap();
        assert!(err.0.contains("run.json"), "{}", err.0);
    }

    #[test]
    fn gap_compares_two_folders() {
        let (sim, live) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        record(sim.path(), 1, 1);
        record(live.path(), 7, 1);
        let outcome = super::super::gap::gap(sim.path(), live.path(), None, &quiet()).unwrap();
        assert!(matches!(outcome, Outcome::ThresholdMissed));
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(live.path().join("gap.json")).unwrap())
                .unwrap();
        let rto = &json["metrics"][2];
        assert_eq!(rto["name"], "rto_s");
        assert_eq!(
            (rto["predicted"].as_f64(), rto["measured"].as_f64()),
            (Some(1.0), Some(7.0))
        );
        assert!(live.path().join("gap.html").is_file());
    }
}
