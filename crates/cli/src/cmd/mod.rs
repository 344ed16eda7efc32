//! One module per subcommand.

mod analyze;
pub mod finish;
mod gap;
mod hunt;
mod hunt_heuristic;
mod out_dir;
mod proxy;
pub mod report;
mod run;
mod runs;
mod schema;
mod validate;

use crate::args::{Cli, Command};
use crate::exit::{Failure, Outcome};

/// Runs the command the user asked for.
pub fn dispatch(cli: Cli) -> Result<Outcome, Failure> {
    match cli.command {
        Command::Run {
            file,
            choices,
            output,
        } => run::run(&file, &choices, &output),
        Command::Validate { file } => validate::validate(&file),
        Command::Analyze { run_dir, output } => analyze::analyze(&run_dir, &output),
        Command::Schema => schema::schema(),
        Command::HuntHeuristic {
            search: _,
            rerun: Some(case),
            output,
        } => hunt_heuristic::rerun_case(&case, &output),
        Command::HuntHeuristic {
            search,
            rerun: None,
            output,
        } => hunt_heuristic::hunt(&search, &output),
        Command::Proxy { listen } => proxy::proxy(listen),
        Command::Hunt { file, out, output } => hunt::hunt(&file, out.as_deref(), &output),
        Command::Report {
            run_dirs,
            out,
            output,
        } => report::report(&run_dirs, out.as_deref(), &output),
        Command::Gap {
            sim_dir,
            live_dir,
            html,
            output,
        } => gap::gap(&sim_dir, &live_dir, html.as_deref(), &output),
    }
}
