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

/// The most runs one `faultline run --runs N` makes.
pub const MAX_RUNS: u64 = 10_000;

/// Output options shared by commands that print results.
#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Print nothing but errors.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// Print the result as JSON instead of text (for a run: the fields of summary.json).
    #[arg(long, global = true, conflicts_with = "quiet")]
    pub json: bool,
}

/// How `faultline run` runs an experiment, beyond what its file says.
#[derive(Debug, Clone, Default, Args)]
pub struct RunChoices {
    /// Output folder for the run record and reports. Default: runs/<name>-<seed>
    /// (runs/<name>-<seed>-<engine> with --engine).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Override the experiment's seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Run it with this engine instead of the file's `engine`: `sim` gives the design's
    /// prediction of a live experiment, to put beside its measurement (`faultline gap`).
    #[arg(long, value_enum)]
    pub engine: Option<EngineChoice>,
    /// Simulate N runs, with seeds S, S+1, ..., S+N-1 (S: --seed or the file's),
    /// in parallel, each with its summary.json in its own folder, plus one report of
    /// every metric's distribution across them. Default folder:
    /// runs/<name>-seeds-<first>-<last>.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=MAX_RUNS))]
    pub runs: Option<u64>,
    /// With --runs: keep every run's whole folder (its record and reports), not only
    /// its summary.json. Any run can be made again with --seed instead.
    #[arg(long, requires = "runs")]
    pub keep_records: bool,
}

/// An engine named on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EngineChoice {
    /// The simulator of the designed architecture.
    Sim,
    /// The deployment of the file's `live` section.
    Live,
}

impl EngineChoice {
    /// The engine as the experiment file names it.
    pub fn kind(self) -> faultline_spec::EngineKind {
        match self {
            EngineChoice::Sim => faultline_spec::EngineKind::Sim,
            EngineChoice::Live => faultline_spec::EngineKind::Live,
        }
    }

    /// Its name on the command line and in folder names.
    pub fn name(self) -> &'static str {
        match self {
            EngineChoice::Sim => "sim",
            EngineChoice::Live => "live",
        }
    }
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run an experiment with the engine it names (the simulator by default).
    Run {
        /// The experiment file (YAML or JSON).
        file: PathBuf,
        /// How to run it.
        #[command(flatten)]
        choices: RunChoices,
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
    /// Find the inputs on which a heuristic falls furthest behind its benchmark
    /// (traffic engineering, bin packing, load balancing), or re-run a saved case.
    HuntHeuristic {
        /// What to search.
        #[command(flatten)]
        search: HeuristicHuntArgs,
        /// Re-run this case file instead of searching (exit 1 if it does not reproduce).
        #[arg(long, value_name = "CASE_JSON")]
        rerun: Option<PathBuf>,
        /// Output options.
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Run the fault proxy with a Toxiproxy-compatible HTTP API.
    Proxy {
        /// Address of the HTTP API (Toxiproxy's default, so its clients work unchanged).
        #[arg(long, default_value = faultline_proxy::DEFAULT_API_ADDR)]
        listen: std::net::SocketAddr,
    },
    /// Print the JSON Schema of the experiment file.
    Schema,
}

/// What `hunt-heuristic` searches.
#[derive(Debug, Clone, Args)]
pub struct HeuristicHuntArgs {
    /// The problem domain: te, binpack1d, binpack2d or lb.
    #[arg(long, default_value = "binpack1d")]
    pub domain: String,
    /// The heuristic: te: dp, pop; binpack: ff, bf, ffd; lb: rr, random, p2c, lo.
    #[arg(long, default_value = "ffd")]
    pub heuristic: String,
    /// Load balancing only: the benchmark policy (default jsq).
    #[arg(long)]
    pub benchmark: Option<String>,
    /// Traffic engineering only: the topology (node-link JSON).
    #[arg(long)]
    pub topology: Option<PathBuf>,
    /// Traffic engineering with POP only: the partition file (default
    /// pop_partitions/<topology name>.json beside the topology).
    #[arg(long)]
    pub partitions: Option<PathBuf>,
    /// Search method: guided, random, hill_climb, anneal (also spelled annealing, as in
    /// a `hunt` section) or cmaes.
    #[arg(long, default_value = "guided")]
    pub method: String,
    /// Evaluations the search may spend.
    #[arg(long, default_value_t = 2000)]
    pub budget: u64,
    /// Optional wall-clock limit in seconds (the result then depends on machine speed).
    #[arg(long)]
    pub time_limit_s: Option<u64>,
    /// Seed of the search.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output folder for case.json and progress.json. Default:
    /// runs/hunt-<domain>-<heuristic>.
    #[arg(long)]
    pub out: Option<PathBuf>,
}
