//! What the user typed, checked by clap.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Fill cloud architecture designs with realistic load and injected failures, and
/// measure how they break and recover.
#[derive(Debug, Parser)]
#[command(name = "faultline", version, about, long_about = None)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Output options shared by commands that print results.
#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Print nothing but errors.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// Print the summary as JSON (the same fields as summary.json) instead of text.
    #[arg(long, global = true, conflicts_with = "quiet")]
    pub json: bool,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run an experiment with the engine it names (the simulator by default).
    Run {
        /// The experiment file (YAML or JSON).
        file: PathBuf,
        /// Output folder for the run record and reports. Default: runs/<name>-<seed>.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Override the experiment's seed.
        #[arg(long)]
        seed: Option<u64>,
        /// Output options.
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Check an experiment file and report every problem with file, line and column.
    Validate {
        /// The experiment file (YAML or JSON).
        file: PathBuf,
    },
    /// Recompute every figure from a saved run record, without re-running.
    Analyze {
        /// The run's output folder.
        run_dir: PathBuf,
        /// Output options.
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Re-render a run's report.html, junit.xml and summary.md; with several run
    /// folders, one report of every metric's distribution across the runs.
    Report {
        /// One or more run output folders.
        #[arg(required = true)]
        run_dirs: Vec<PathBuf>,
        /// Where the multi-run report goes (several folders only). Default: runs.html.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Output options.
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Put a simulated prediction and a live measurement of the same experiment side
    /// by side: each metric predicted vs measured and the parts that explain the gap.
    Gap {
        /// The simulated run's output folder.
        sim_dir: PathBuf,
        /// The live run's output folder.
        live_dir: PathBuf,
        /// Where the HTML page goes. Default: gap.html in the live run's folder.
        #[arg(long)]
        html: Option<PathBuf>,
        /// Output options.
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Search the ranges of the experiment's `hunt` section for the worst scenario
    /// (fault timing, traffic shape...), write it as worst.yaml and replay it.
    Hunt {
        /// The experiment file with a `hunt` section.
        file: PathBuf,
        /// Output folder. Default: runs/<name>-hunt.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Output options.
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Print the JSON Schema of the experiment file.
    Schema,
}
