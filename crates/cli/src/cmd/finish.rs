//! The shared end of `run` and `analyze`: analyze a record, write `summary.json`, print
//! the summary and turn the verdict into an outcome.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use faultline_analyze::{Summary, SUMMARY_FILE};
use faultline_record::write_json_atomically;
use faultline_report::{render_terminal, TerminalStyle};

use crate::args::OutputArgs;
use crate::exit::{Failure, Outcome};
use crate::out::{out, outln};

/// What [`write_results`] wrote.
pub struct Results {
    /// The run's summary.
    pub summary: Summary,
    /// Where `summary.json` went.
    pub summary_path: PathBuf,
    /// Where the reports went.
    pub reports: Vec<PathBuf>,
}

/// Analyzes the record in `run_dir` with its own `experiment.yaml` and writes
/// `run_dir/summary.json` and the reports. A missing or malformed record or
/// experiment is a `Failure` (exit code 2).
pub fn write_results(run_dir: &Path) -> Result<Results, Failure> {
    let super::report::LoadedRun {
        record,
        experiment,
        analysis,
    } = super::report::load_run(run_dir)?;
    let summary_path = run_dir.join(SUMMARY_FILE);
    write_json_atomically(&summary_path, &analysis.summary).map_err(|e| {
        Failure::new(format!(
            "{}: cannot write the summary: {e}",
            summary_path.display()
        ))
    })?;
    let reports = super::report::write_reports(run_dir, &record, &experiment, &analysis)?;
    Ok(Results {
        summary: analysis.summary,
        summary_path,
        reports,
    })
}

/// [`write_results`], then prints the terminal summary (the JSON with `--json`,
/// nothing with `--quiet`) and returns `Passed` or `ThresholdMissed`.
pub fn finish_run(run_dir: &Path, output: &OutputArgs) -> Result<Outcome, Failure> {
    let Results {
        summary,
        summary_path,
        reports,
    } = write_results(run_dir)?;
    let summary = &summary;
    if output.json {
        out!("{}", summary.to_json());
    } else if !output.quiet {
        out!("{}", render_terminal(summary, terminal_style()));
        outln!("\nsummary written to {}", summary_path.display());
        for path in &reports {
            outln!("report written to {}", path.display());
        }
    }
    Ok(if summary.passed {
        Outcome::Passed
    } else {
        Outcome::ThresholdMissed
    })
}

/// Colours only for a terminal, and never when `NO_COLOR` is set.
fn terminal_style() -> TerminalStyle {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    if std::io::stdout().is_terminal() && !no_color {
        TerminalStyle::Color
    } else {
        TerminalStyle::Plain
    }
}
