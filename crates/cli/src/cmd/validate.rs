//! `faultline validate FILE`.

use std::io::IsTerminal as _;
use std::path::Path;

use faultline_report::counted;
use faultline_spec::{EngineKind, Experiment, SpecErrors};

use crate::exit::{Failure, Outcome};
use crate::out::{err, errln, outln};

/// Loads and validates the file, its `hunt` section included, and for `engine: live`
/// its `live` section as the live engine will read it. On problems, prints
/// every one to stderr and fails
/// (exit code 2): at a terminal with the offending line and a pointer under the value,
/// otherwise one line per problem, `file:line:col: field.path: message`.
pub fn validate(file: &Path) -> Result<Outcome, Failure> {
    match faultline_spec::load(file) {
        Ok(experiment) => {
            check_sections(file, &experiment)?;
            let raw = experiment.raw();
            outln!(
                "{}: ok — experiment `{}`: {}, {}, {}",
                file.display(),
                raw.name,
                counted(raw.architecture.len() as u64, "component", "components"),
                counted(raw.workload.stages.len() as u64, "stage", "stages"),
                counted(raw.faults.len() as u64, "fault", "faults")
            );
            Ok(Outcome::Passed)
        }
        Err(errors) => Err(print_problems(file, &errors, "")),
    }
}

/// The checks of a loaded file's sections that mean something only against the rest
/// of it: the `hunt` section (without running anything) and, when it runs live, the
/// `live` section. `validate` and `run` make the same ones, so that a file `validate`
/// calls ok is one `run` starts.
pub(super) fn check_sections(file: &Path, experiment: &Experiment) -> Result<(), Failure> {
    let raw = experiment.raw();
    if raw.hunt.is_some() {
        if let Err(e) = faultline_hunt::scenario::ScenarioHunt::prepare(experiment) {
            errln!("{}", hunt_diagnostic(experiment, e));
            return Err(Failure::new(format!(
                "{}: 1 problem found in the hunt section",
                file.display()
            )));
        }
    }
    if raw.engine.unwrap_or_default() == EngineKind::Live {
        check_live(file, experiment)?;
    }
    Ok(())
}

/// The `live` section as the live engine reads it (nothing is reached); its problems
/// printed, located in `file`, like the file's own.
fn check_live(file: &Path, experiment: &Experiment) -> Result<(), Failure> {
    faultline_live::check(experiment).map_err(|problems| {
        let errors = experiment.errors_for(&problems);
        print_problems(file, &errors, " for the live engine")
    })
}

/// Prints every problem to stderr (at a terminal with the offending line and a
/// pointer under the value, otherwise `file:line:col: field.path: message` lines) and
/// returns the failure that counts them, `what` saying what they are problems for.
fn print_problems(file: &Path, errors: &SpecErrors, what: &str) -> Failure {
    if std::io::stderr().is_terminal() {
        err!("{}", errors.render_snippets());
    } else {
        for problem in &errors.problems {
            errln!("{problem}");
        }
    }
    Failure::new(format!(
        "{}: {} found{what}",
        file.display(),
        counted(errors.problems.len() as u64, "problem", "problems")
    ))
}

/// A hunt error located in the file: `file:line:col: hunt.vary[1]: message`.
fn hunt_diagnostic(
    experiment: &faultline_spec::Experiment,
    error: faultline_hunt::HuntError,
) -> faultline_spec::Diagnostic {
    use faultline_hunt::scenario::path::{parse_path, Step};
    use faultline_spec::FieldPath;
    match error {
        faultline_hunt::HuntError::Config { field, message } => {
            // `field` is a path such as `hunt.vary[1]`, maybe followed by ` (the varied path)`.
            let (path_text, rest) = field.split_once(' ').unwrap_or((field.as_str(), ""));
            let path = parse_path(path_text).map_or_else(
                |_| FieldPath::root(),
                |steps| {
                    steps.iter().fold(FieldPath::root(), |p, step| match step {
                        Step::Key(k) => p.key(k),
                        Step::Index(i) => p.index(*i),
                    })
                },
            );
            let varied = rest.trim().trim_start_matches('(').trim_end_matches(')');
            let message = match varied {
                "" => message,
                varied => format!("{varied}: {message}"),
            };
            experiment.diagnostic_at(path, message)
        }
        other => experiment.diagnostic_at(FieldPath::root().key("hunt"), other.to_string()),
    }
}
