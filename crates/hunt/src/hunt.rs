//! The `faultline hunt-heuristic` entry point: configuration, the built-in
//! problems, case files that re-run, and the progress series.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::domains::binpack::{BinPackConfig, BinPackProblem, Greedy};
use crate::domains::lb::{LbConfig, LbProblem, Policy};
use crate::domains::te::{self, Partitions, TeConfig, TeInstance, TeProblem, Topology};
use crate::search::{search, Method, ProgressPoint, SearchConfig, SearchOutcome};
use crate::{Bound, HuntError, Objective, Trace};

/// Version tag written into every case file.
pub const CASE_FORMAT: &str = "faultline-hunt-case/1";

/// The built-in problem domains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Domain {
    /// Traffic engineering: `dp` (demand pinning) or `pop` against the max flow.
    Te,
    /// One-dimensional bin packing: `ff`, `bf`, `ffd` against the optimum.
    Binpack1d,
    /// Two-dimensional bin packing (FFD by sum of sizes).
    Binpack2d,
    /// Load balancing: `rr`, `random`, `p2c`, `lo` against `jsq`.
    Lb,
}

impl Domain {
    /// Parses `te`, `binpack1d`, `binpack2d`, `lb`.
    pub fn parse(s: &str) -> Result<Domain, HuntError> {
        match s {
            "te" => Ok(Domain::Te),
            "binpack1d" => Ok(Domain::Binpack1d),
            "binpack2d" => Ok(Domain::Binpack2d),
            "lb" => Ok(Domain::Lb),
            _ => Err(HuntError::config(
                "domain",
                format!("unknown domain {s:?}; valid: te, binpack1d, binpack2d, lb"),
            )),
        }
    }

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Domain::Te => "te",
            Domain::Binpack1d => "binpack1d",
            Domain::Binpack2d => "binpack2d",
            Domain::Lb => "lb",
        }
    }
}

/// Everything `faultline hunt-heuristic` needs (the checked form of its flags).
#[derive(Debug, Clone)]
pub struct HeuristicHuntConfig {
    /// The domain.
    pub domain: Domain,
    /// The heuristic's name within the domain.
    pub heuristic: String,
    /// Load balancing only: the benchmark policy (default `jsq`).
    pub benchmark: Option<String>,
    /// TE only: the topology file (node-link JSON).
    pub topology: Option<PathBuf>,
    /// TE with POP only: the partition file; by default
    /// `pop_partitions/<topology stem>.json` beside the topology.
    pub partitions: Option<PathBuf>,
    /// TE settings.
    pub te: TeConfig,
    /// Bin-packing settings; by default integer sizes 1–9 in bins of 10,
    /// 20 items (1D) or 10 items (2D).
    pub binpack: Option<BinPackConfig>,
    /// Load-balancing settings.
    pub lb: LbConfig,
    /// Search method (default guided).
    pub method: Method,
    /// Evaluation budget.
    pub budget: u64,
    /// Optional wall-clock limit (makes the result depend on machine speed).
    pub time_ms_max: Option<u64>,
    /// Seed.
    pub seed: u64,
    /// Where to write `case.json` and `progress.json` (nothing written when `None`).
    pub out_dir: Option<PathBuf>,
}

impl HeuristicHuntConfig {
    /// A config with defaults for everything but domain and heuristic.
    pub fn new(domain: Domain, heuristic: &str) -> Self {
        Self {
            domain,
            heuristic: heuristic.to_string(),
            benchmark: None,
            topology: None,
            partitions: None,
            te: TeConfig::default(),
            binpack: None,
            lb: LbConfig::default(),
            method: Method::Guided,
            budget: 2000,
            time_ms_max: None,
            seed: 1,
            out_dir: None,
        }
    }
}

/// A progress report, sent after every evaluated batch.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// Evaluations done.
    pub evaluations: u64,
    /// The budget.
    pub evaluations_max: u64,
    /// Best gap so far.
    pub best_gap: f64,
    /// Wall-clock time since the start.
    pub elapsed_ms: f64,
}

/// A fully described problem: enough to rebuild it from a case file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "domain", rename_all = "snake_case", deny_unknown_fields)]
pub enum ProblemSpec {
    /// Traffic engineering.
    Te {
        /// `dp` or `pop`.
        heuristic: String,
        /// Topology name.
        topology_name: String,
        /// The topology file's content.
        topology: Value,
        /// The partition file's content (POP).
        partitions: Option<Value>,
        /// Settings.
        settings: TeConfig,
    },
    /// Bin packing (1D or 2D, by `settings.dims`).
    Binpack {
        /// `ff`, `bf` or `ffd`.
        heuristic: String,
        /// Settings.
        settings: BinPackConfig,
    },
    /// Load balancing.
    Lb {
        /// The policy.
        heuristic: String,
        /// The benchmark policy.
        benchmark: String,
        /// Settings.
        settings: LbConfig,
    },
}

/// A problem built from a [`ProblemSpec`].
pub enum BuiltProblem {
    /// Traffic engineering.
    Te(TeProblem),
    /// Bin packing.
    Binpack(BinPackProblem),
    /// Load balancing.
    Lb(LbProblem),
}

impl Objective for BuiltProblem {
    fn bounds(&self) -> &[Bound] {
        match self {
            BuiltProblem::Te(p) => p.bounds(),
            BuiltProblem::Binpack(p) => p.bounds(),
            BuiltProblem::Lb(p) => p.bounds(),
        }
    }

    fn evaluate(&self, x: &[f64], trace: &mut Trace) -> Result<f64, HuntError> {
        match self {
            BuiltProblem::Te(p) => p.evaluate(x, trace),
            BuiltProblem::Binpack(p) => p.evaluate(x, trace),
            BuiltProblem::Lb(p) => p.evaluate(x, trace),
        }
    }
}

impl BuiltProblem {
    /// (heuristic value, benchmark value) of one input: total flows (TE),
    /// bins (bin packing), mean response seconds (LB).
    pub fn values(&self, x: &[f64]) -> Result<(f64, f64), HuntError> {
        let mut t = Trace::new();
        match self {
            BuiltProblem::Te(p) => {
                let o = p.outcome(x, &mut t)?;
                Ok((o.heuristic_flow, o.optimal_flow))
            }
            BuiltProblem::Binpack(p) => {
                let o = p.outcome(x, &mut t)?;
                Ok((o.heuristic_bins as f64, o.optimal_bins as f64))
            }
            BuiltProblem::Lb(p) => p.outcome(x, &mut t),
        }
    }
}

impl ProblemSpec {
    /// Builds the spec of a hunt config (reads the topology files). An input the
    /// domain does not read (`topology` outside te, `partitions` outside te with
    /// `pop`, `benchmark` outside lb) is an error, not silently ignored.
    pub fn from_config(cfg: &HeuristicHuntConfig) -> Result<ProblemSpec, HuntError> {
        let setting = match cfg.domain {
            Domain::Te => format!("the te domain with --heuristic {}", cfg.heuristic),
            other => format!("the {} domain", other.name()),
        };
        let unused = |field: &str, takes: &str| {
            HuntError::config(
                field,
                format!("only {takes} takes --{field}; {setting} does not use it"),
            )
        };
        if cfg.topology.is_some() && cfg.domain != Domain::Te {
            return Err(unused("topology", "the te domain"));
        }
        if cfg.partitions.is_some() && !(cfg.domain == Domain::Te && cfg.heuristic == "pop") {
            return Err(unused("partitions", "the te domain with --heuristic pop"));
        }
        if cfg.benchmark.is_some() && cfg.domain != Domain::Lb {
            return Err(unused("benchmark", "the lb domain"));
        }
        match cfg.domain {
            Domain::Te => {
                let path = cfg.topology.as_ref().ok_or_else(|| {
                    HuntError::config("topology", "the te domain needs --topology FILE")
                })?;
                let read = |p: &Path| -> Result<Value, HuntError> {
                    let text = std::fs::read_to_string(p)
                        .map_err(|e| HuntError::input(p, format!("cannot read: {e}")))?;
                    serde_json::from_str(&text)
                        .map_err(|e| HuntError::input(p, format!("invalid JSON: {e}")))
                };
                let topology = read(path)?;
                let topology_name = path
                    .file_stem()
                    .map_or_else(|| "topology".into(), |s| s.to_string_lossy().into_owned());
                let partitions = if cfg.heuristic == "pop" {
                    let p = cfg.partitions.clone().unwrap_or_else(|| {
                        path.parent()
                            .unwrap_or(Path::new("."))
                            .join("pop_partitions")
                            .join(format!("{topology_name}.json"))
                    });
                    Some(read(&p)?)
                } else {
                    None
                };
                te::heuristic_by_name(&cfg.heuristic)?;
                Ok(ProblemSpec::Te {
                    heuristic: cfg.heuristic.clone(),
                    topology_name,
                    topology,
                    partitions,
                    settings: cfg.te.clone(),
                })
            }
            Domain::Binpack1d | Domain::Binpack2d => {
                let dims = if cfg.domain == Domain::Binpack1d {
                    1
                } else {
                    2
                };
                let settings = cfg.binpack.clone().unwrap_or_else(|| {
                    BinPackConfig::integer_1_9(dims, if dims == 1 { 20 } else { 10 })
                });
                if settings.dims != dims {
                    return Err(HuntError::config(
                        "binpack.dims",
                        format!(
                            "is {} but the domain is {}",
                            settings.dims,
                            cfg.domain.name()
                        ),
                    ));
                }
                Greedy::parse(&cfg.heuristic)?;
                Ok(ProblemSpec::Binpack {
                    heuristic: cfg.heuristic.clone(),
                    settings,
                })
            }
            Domain::Lb => {
                Policy::parse(&cfg.heuristic)?;
                let benchmark = cfg.benchmark.clone().unwrap_or_else(|| "jsq".into());
                Policy::parse(&benchmark)?;
                Ok(ProblemSpec::Lb {
                    heuristic: cfg.heuristic.clone(),
                    benchmark,
                    settings: cfg.lb.clone(),
                })
            }
        }
    }

    /// Builds the objective.
    pub fn build(&self) -> Result<BuiltProblem, HuntError> {
        match self {
            ProblemSpec::Te {
                heuristic,
                topology_name,
                topology,
                partitions,
                settings,
            } => {
                let topo = Topology::parse(topology_name, &topology.to_string())
                    .map_err(|m| HuntError::input(topology_name, m))?;
                let parts =
                    match partitions {
                        Some(v) => Some(Partitions::parse(&v.to_string(), &topo).map_err(|m| {
                            HuntError::input(format!("{topology_name} partitions"), m)
                        })?),
                        None => None,
                    };
                let inst = TeInstance::new(topo, parts, settings)?;
                Ok(BuiltProblem::Te(TeProblem::new(
                    inst,
                    te::heuristic_by_name(heuristic)?,
                )))
            }
            ProblemSpec::Binpack {
                heuristic,
                settings,
            } => Ok(BuiltProblem::Binpack(BinPackProblem::new(
                settings.clone(),
                Box::new(Greedy::parse(heuristic)?),
            )?)),
            ProblemSpec::Lb {
                heuristic,
                benchmark,
                settings,
            } => Ok(BuiltProblem::Lb(LbProblem::new(
                settings.clone(),
                Box::new(Policy::parse(heuristic)?),
                Box::new(Policy::parse(benchmark)?),
            )?)),
        }
    }
}

/// A found worst case: the input, the gap, and how to rebuild the problem.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// Always [`CASE_FORMAT`].
    pub format: String,
    /// The problem.
    pub problem: ProblemSpec,
    /// The input vector (demands; item sizes; gap/service pairs).
    pub input: Vec<f64>,
    /// Benchmark minus heuristic (TE), heuristic minus benchmark (bins,
    /// seconds), or their ratio (bin packing with `gap: ratio`).
    pub gap: f64,
    /// The heuristic's value on the input.
    pub heuristic_value: f64,
    /// The benchmark's value on the input.
    pub benchmark_value: f64,
    /// The method that found it.
    pub method: Method,
    /// The seed.
    pub seed: u64,
    /// Evaluations spent.
    pub evaluations: u64,
}

/// What [`hunt_heuristic`] returns.
#[derive(Debug, Clone)]
pub struct HuntResult {
    /// The worst case found.
    pub case: Case,
    /// The search's statistics and progress series.
    pub outcome: SearchOutcome,
    /// Where `case.json` was written.
    pub case_path: Option<PathBuf>,
    /// Where `progress.json` was written.
    pub progress_path: Option<PathBuf>,
}

/// Runs a heuristic hunt: builds the problem, searches, writes
/// `OUT/case.json` (re-run it with [`rerun`]) and `OUT/progress.json`
/// (best gap against evaluations).
pub fn hunt_heuristic(
    cfg: &HeuristicHuntConfig,
    progress: &mut dyn FnMut(Progress),
) -> Result<HuntResult, HuntError> {
    let spec = ProblemSpec::from_config(cfg)?;
    let problem = spec.build()?;
    let mut scfg = SearchConfig::new(cfg.method, cfg.budget, cfg.seed);
    scfg.time_ms_max = cfg.time_ms_max;
    let budget = cfg.budget;
    let outcome = search(&problem, &scfg, &mut |p: &ProgressPoint| {
        progress(Progress {
            evaluations: p.evaluations,
            evaluations_max: budget,
            best_gap: p.best_value,
            elapsed_ms: p.elapsed_ms,
        })
    })?;
    let (heuristic_value, benchmark_value) = problem.values(&outcome.best_x)?;
    let case = Case {
        format: CASE_FORMAT.into(),
        problem: spec,
        input: outcome.best_x.clone(),
        gap: outcome.best_value,
        heuristic_value,
        benchmark_value,
        method: outcome.method,
        seed: cfg.seed,
        evaluations: outcome.evaluations,
    };
    let (mut case_path, mut progress_path) = (None, None);
    if let Some(dir) = &cfg.out_dir {
        case_path = Some(write_json(dir, CASE_FILE, &case)?);
        progress_path = Some(write_json(dir, PROGRESS_FILE, &outcome.progress)?);
    }
    Ok(HuntResult {
        case,
        outcome,
        case_path,
        progress_path,
    })
}

/// The case file a heuristic hunt writes into its folder ([`rerun`] reads it back).
pub const CASE_FILE: &str = "case.json";
/// The progress file a heuristic hunt writes beside it.
pub const PROGRESS_FILE: &str = "progress.json";

fn write_json<T: Serialize>(dir: &Path, name: &str, value: &T) -> Result<PathBuf, HuntError> {
    let path = dir.join(name);
    let io = |source| HuntError::Output {
        path: path.clone(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| HuntError::Benchmark(format!("cannot serialise {name}: {e}")))?;
    // Whole or not at all: a full disk leaves an earlier case file whole.
    faultline_record::write_atomically(&path, (text + "\n").as_bytes()).map_err(io)?;
    Ok(path)
}

/// What re-running a case gave.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Rerun {
    /// The gap recorded in the file.
    pub gap_recorded: f64,
    /// The gap computed now.
    pub gap: f64,
    /// Whether they agree (within 1e-9 relative).
    pub reproduced: bool,
}

/// Reads a case file.
pub fn read_case(path: &Path) -> Result<Case, HuntError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| HuntError::input(path, format!("cannot read: {e}")))?;
    let case: Case = serde_json::from_str(&text)
        .map_err(|e| HuntError::input(path, format!("not a hunt case file: {e}")))?;
    if case.format != CASE_FORMAT {
        return Err(HuntError::input(
            path,
            format!("format {:?}, expected {CASE_FORMAT:?}", case.format),
        ));
    }
    Ok(case)
}

/// Re-runs a case file of a built-in heuristic and compares the gap.
pub fn rerun(path: &Path) -> Result<Rerun, HuntError> {
    let case = read_case(path)?;
    let problem = case.problem.build()?;
    rerun_case_on(&case, &problem)
}

/// Re-runs `case` on any objective (for user heuristics built in Rust).
pub fn rerun_case_on(case: &Case, objective: &dyn Objective) -> Result<Rerun, HuntError> {
    if case.input.len() != objective.bounds().len() {
        return Err(HuntError::config(
            "input",
            format!(
                "case has {} coordinates, the problem expects {}",
                case.input.len(),
                objective.bounds().len()
            ),
        ));
    }
    let gap = objective.evaluate(&case.input, &mut Trace::new())?;
    let scale = gap.abs().max(case.gap.abs()).max(1.0);
    Ok(Rerun {
        gap_recorded: case.gap,
        gap,
        reproduced: (gap - case.gap).abs() <= 1e-9 * scale,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp_dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("faultline-hunt-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn case_file_reruns_to_the_same_gap_in_every_domain() {
        let topo = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/topologies/diamond.json");
        let mut cfgs = vec![
            HeuristicHuntConfig::new(Domain::Binpack1d, "ffd"),
            HeuristicHuntConfig::new(Domain::Binpack2d, "ff"),
            HeuristicHuntConfig::new(Domain::Lb, "p2c"),
            HeuristicHuntConfig::new(Domain::Te, "dp"),
            HeuristicHuntConfig::new(Domain::Te, "pop"),
        ];
        for (i, c) in cfgs.iter_mut().enumerate() {
            c.budget = 120;
            if c.domain == Domain::Te {
                c.topology = Some(topo.clone());
            }
            c.out_dir = Some(tmp_dir(&format!("case{i}")));
        }
        for c in &cfgs {
            let mut reports = 0;
            let r = hunt_heuristic(c, &mut |_| reports += 1).expect("hunt");
            assert!(reports >= 1);
            let path = r.case_path.expect("written");
            let again = rerun(&path).expect("rerun");
            assert!(
                again.reproduced,
                "{:?} {}: {again:?}",
                c.domain, c.heuristic
            );
            let progress: Vec<ProgressPoint> = serde_json::from_str(
                &std::fs::read_to_string(r.progress_path.expect("progress")).expect("read"),
            )
            .expect("parse");
            assert_eq!(progress.last().map(|p| p.best_value), Some(r.case.gap));
        }
    }

    #[test]
    fn config_errors_say_what_is_valid() {
        let err = Domain::parse("tsp").expect_err("bad").to_string();
        assert!(err.contains("binpack1d"), "{err}");
        let c = HeuristicHuntConfig::new(Domain::Te, "dp");
        let err = hunt_heuristic(&c, &mut |_| {})
            .expect_err("no topology")
            .to_string();
        assert!(err.contains("--topology"), "{err}");
        let c = HeuristicHuntConfig::new(Domain::Lb, "fastest");
        let err = hunt_heuristic(&c, &mut |_| {})
            .expect_err("bad policy")
            .to_string();
        assert!(err.contains("p2c"), "{err}");
    }
}
