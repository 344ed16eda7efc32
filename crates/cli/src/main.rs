//! `faultline`: the command line. Only this crate turns results into exit codes and
//! talks to the terminal.
//!
//! Exit codes: 0 every threshold met, 1 a threshold missed, 2 invalid input or
//! environment, 130 and 143 stopped by SIGINT and SIGTERM (see `docs/cli.md`).

mod args;
mod cmd;
mod exit;
mod interrupt;
mod out;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = args::Cli::parse();
    let outcome = cmd::dispatch(cli);
    exit::report(outcome)
}
