//! One module per subcommand.

mod analyze;
pub mod finish;
mod run;
mod schema;
mod validate;

use crate::args::{Cli, Command};
use crate::exit::{Failure, Outcome};

/// Runs the command the user asked for.
pub fn dispatch(cli: Cli) -> Result<Outcome, Failure> {
    match cli.command {
        Command::Run {
            file,
            out,
            seed,
            output,
        } => run::run(&file, out.as_deref(), seed, &output),
        Command::Validate { file } => validate::validate(&file),
        Command::Analyze { run_dir, output } => analyze::analyze(&run_dir, &output),
        Command::Schema => schema::schema(),
    }
}
