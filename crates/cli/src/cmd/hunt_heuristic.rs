//! `faultline hunt-heuristic`: the worst inputs of a heuristic against its benchmark.

use std::path::{Path, PathBuf};

use faultline_hunt::hunt::{CASE_FILE, PROGRESS_FILE};
use faultline_hunt::{hunt_heuristic, rerun, Domain, HeuristicHuntConfig, Method, Progress};

use crate::args::{HeuristicHuntArgs, OutputArgs};
use crate::exit::{Failure, Outcome};
use faultline_report::ProgressLines;

use crate::out::outln;

/// Searches for the input with the largest gap and writes it as a case file.
pub fn hunt(args: &HeuristicHuntArgs, output: &OutputArgs) -> Result<Outcome, Failure> {
    let config = config_from(args)?;
    if let Some(dir) = &config.out_dir {
        // Refused or made before the search: a case found is not overwritten by
        // accident, nor is a search spent on a folder that cannot be written.
        super::out_dir::prepare_own(dir, &HEURISTIC_HUNT_OUTPUT)?;
        crate::interrupt::on_interrupt(format!(
            "the search stopped before its end; nothing of it was written into {}",
            dir.display()
        ));
    }
    let quiet = output.quiet || output.json;
    let mut lines = ProgressLines::new(quiet);
    let result = hunt_heuristic(&config, &mut |p: Progress| {
        lines.update_stderr(|| {
            format!(
                "{:>7} / {} evaluations  best gap {:.3}  {:.1}s",
                p.evaluations,
                p.evaluations_max,
                p.best_gap,
                p.elapsed_ms / 1e3
            )
        });
    });
    lines.finish_stderr();
    let result = result.map_err(|e| Failure::new(e.to_string()))?;
    let case = &result.case;
    if output.json {
        let text = serde_json::to_string_pretty(case)
            .map_err(|e| Failure::new(format!("cannot print the case as JSON: {e}")))?;
        outln!("{text}");
    } else if !output.quiet {
        outln!(
            "{} / {}: gap {} (heuristic {}, benchmark {}) after {} evaluations with {}",
            args.domain,
            args.heuristic,
            case.gap,
            case.heuristic_value,
            case.benchmark_value,
            case.evaluations,
            case.method.name()
        );
        if let Some(path) = &result.case_path {
            outln!(
                "worst input written to {}; re-run it with: faultline hunt-heuristic --rerun {}",
                path.display(),
                path.display()
            );
        }
    }
    Ok(Outcome::Passed)
}

/// Re-runs a case file and says whether it reproduces its recorded gap.
pub fn rerun_case(case_path: &Path, output: &OutputArgs) -> Result<Outcome, Failure> {
    let rerun = rerun(case_path).map_err(|e| Failure::new(e.to_string()))?;
    if output.json {
        let text = serde_json::to_string_pretty(&rerun)
            .map_err(|e| Failure::new(format!("cannot print the re-run as JSON: {e}")))?;
        outln!("{text}");
    } else if !output.quiet {
        outln!(
            "{}: recorded gap {}, gap now {} — {}",
            case_path.display(),
            rerun.gap_recorded,
            rerun.gap,
            if rerun.reproduced {
                "reproduced"
            } else {
                "NOT reproduced"
            }
        );
    }
    if rerun.reproduced {
        Ok(Outcome::Passed)
    } else {
        Ok(Outcome::ThresholdMissed)
    }
}

/// What `faultline hunt-heuristic` writes into its folder; its `case.json` reads back
/// as a case.
const HEURISTIC_HUNT_OUTPUT: super::out_dir::OwnOutput = super::out_dir::OwnOutput {
    command: "faultline hunt-heuristic",
    names: &[CASE_FILE, PROGRESS_FILE],
    is_its_output: |dir| faultline_hunt::hunt::read_case(&dir.join(CASE_FILE)).is_ok(),
};

fn config_from(args: &HeuristicHuntArgs) -> Result<HeuristicHuntConfig, Failure> {
    let domain = Domain::parse(&args.domain).map_err(|e| Failure::new(e.to_string()))?;
    let mut config = HeuristicHuntConfig::new(domain, &args.heuristic);
    config.benchmark = args.benchmark.clone();
    config.topology = args.topology.clone();
    config.partitions = args.partitions.clone();
    config.method = Method::parse(&args.method).map_err(|e| Failure::new(e.to_string()))?;
    config.budget = args.budget;
    config.time_ms_max = args.time_limit_s.map(|s| s.saturating_mul(1_000));
    config.seed = args.seed;
    config.out_dir = Some(args.out.clone().unwrap_or_else(|| {
        PathBuf::from("runs").join(format!("hunt-{}-{}", args.domain, args.heuristic))
    }));
    Ok(config)
}
