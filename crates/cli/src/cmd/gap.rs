//! `faultline gap SIM_DIR LIVE_DIR`: a simulated prediction and a live measurement of
//! the same experiment side by side (the architecture gap), in the terminal, as JSON
//! (`--json`) and as `gap.html`.

use std::path::Path;

use faultline_report::{compare, render_gap_html, render_gap_terminal};

use crate::args::OutputArgs;
use crate::cmd::report::load_run;
use crate::exit::{Failure, Outcome};
use crate::out::{errln, out, outln};

/// The gap report's default name.
pub const GAP_HTML: &str = "gap.html";

/// Compares two saved runs; writes the HTML page to `html` (default `gap.html` in the
/// live run's folder). Exit code 0 when the live run met every threshold, 1 otherwise.
pub fn gap(
    sim_dir: &Path,
    live_dir: &Path,
    html: Option<&Path>,
    output: &OutputArgs,
) -> Result<Outcome, Failure> {
    let sim = load_run(sim_dir)?.analysis.summary;
    let live = load_run(live_dir)?.analysis.summary;
    if sim.experiment != live.experiment && !output.quiet {
        errln!(
            "warning: the runs are of different experiments (`{}` and `{}`)",
            sim.experiment,
            live.experiment
        );
    }
    let gap = compare(&sim, &live);
    let path = html
        .map(Path::to_path_buf)
        .unwrap_or_else(|| live_dir.join(GAP_HTML));
    write(&path, &render_gap_html(&gap))?;
    write(&live_dir.join("gap.json"), &gap.to_json())?;
    if output.json {
        out!("{}", gap.to_json());
    } else if !output.quiet {
        out!("{}", render_gap_terminal(&gap));
        outln!(
            "\nwrote {} and {}",
            path.display(),
            live_dir.join("gap.json").display()
        );
    }
    Ok(if live.passed {
        Outcome::Passed
    } else {
        Outcome::ThresholdMissed
    })
}

/// Through a temporary file and a rename, like the reports: a failed write (a full
/// disk) leaves the earlier page whole, not a truncated one.
fn write(path: &Path, text: &str) -> Result<(), Failure> {
    super::report::write_file(path, text)
}
