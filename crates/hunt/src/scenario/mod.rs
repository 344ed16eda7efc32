//! The scenario hunt (`faultline hunt FILE`): search the ranges of an experiment's
//! `hunt` section for the scenario (fault timing, traffic shape, replication lag...)
//! that does the most harm, measured by the analyzer on simulated runs.
//!
//! Each candidate is the experiment serialized to JSON with the varied paths set,
//! deserialized and validated again by `faultline_spec`, written as YAML text and
//! simulated with the experiment's own seed. The text is exactly what
//! [`ScenarioOutcome::worst_text`] holds, so `faultline run worst.yaml` replays the
//! reported objective. The search itself is [`search()`](crate::search): batches in
//! parallel on rayon, deterministic whatever the thread count; the guided method reads
//! the simulator's decision trace (which decision sites fired, and how close the
//! others came).
//!
//! Main items: [`ScenarioHunt::prepare`] (checks the `hunt` section: paths exist, are
//! numeric and listed once, ranges ordered, the objective measurable),
//! [`ScenarioHunt::run`], [`write_outputs`].

mod chart;
pub mod explain;
mod guide;
pub mod objective;
pub mod path;
pub mod value;

use std::path::{Path, PathBuf};

use explain::{Explanation, RunEvidence};
use faultline_analyze::analyze;
use faultline_sim::{DecisionPoint, Simulation};
use faultline_spec::{Experiment, HuntMethod, HuntObjective, RawExperiment};
use serde::Serialize;
use serde_json::Value;

use crate::search::{search, Bound, Method, Objective, ProgressPoint, SearchConfig, SearchOutcome};
use crate::{CmpOp, HuntError, Trace};

pub use chart::progress_svg;
use path::Step;
use value::FieldKind;

/// Evaluations when the `hunt` section sets no budget.
pub const EVALUATIONS_DEFAULT: u64 = 200;
/// The standalone worst scenario's file name in the output folder.
pub const WORST_FILE: &str = "worst.yaml";
/// The progress series' file name in the output folder.
pub const PROGRESS_FILE: &str = "progress.json";
/// The progress chart's file name in the output folder.
pub const PROGRESS_SVG: &str = "progress.svg";

/// One varied field, checked.
#[derive(Debug, Clone)]
pub struct Variable {
    /// The path as written.
    pub path: String,
    steps: Vec<Step>,
    /// How the field is written.
    pub kind: FieldKind,
    /// The search range in the coordinate's unit.
    pub bound: Bound,
    /// The value set in the file, in the coordinate's unit (projected into the range).
    pub start: f64,
}

/// A prepared scenario hunt: the base experiment and its checked `hunt` section.
#[derive(Debug, Clone)]
pub struct ScenarioHunt {
    base: Value,
    /// The varied fields, in the order of the `hunt` section.
    pub variables: Vec<Variable>,
    bounds: Vec<Bound>,
    /// What is maximised.
    pub objective: HuntObjective,
    /// The search method.
    pub method: Method,
    /// Evaluation budget.
    pub evaluations_max: u64,
    /// Wall-clock budget, if any.
    pub time_ms_max: Option<u64>,
    /// The experiment's seed: the simulation seed of every candidate and the search's seed.
    pub seed: u64,
    name: String,
    source: PathBuf,
}

/// What a hunt found.
#[derive(Debug, Clone)]
pub struct ScenarioOutcome {
    /// The objective of the experiment as written (the starting point).
    pub start_value: f64,
    /// The worst (largest) objective found.
    pub best_value: f64,
    /// Each varied path with the value it has in the worst scenario.
    pub values: Vec<(String, Value)>,
    /// The worst scenario as a standalone experiment file (no `hunt`, seed fixed).
    pub worst_text: String,
    /// The search's own outcome (progress series, evaluations, paths seen).
    pub search: SearchOutcome,
    /// Why the worst scenario is bad, against the file as written.
    pub explanation: Explanation,
}

/// `progress.json`.
#[derive(Debug, Serialize)]
struct ProgressFile<'a> {
    experiment: &'a str,
    objective: String,
    method: &'a str,
    seed: u64,
    start_value: f64,
    best_value: f64,
    evaluations: u64,
    evaluations_failed: u64,
    paths_seen: u64,
    elapsed_ms: f64,
    values: serde_json::Map<String, Value>,
    explanation: &'a Explanation,
    progress: &'a [ProgressPoint],
}

impl ScenarioHunt {
    /// Checks the experiment's `hunt` section: it exists, every path is set in the
    /// experiment, numeric and listed once, every range is well formed, ordered and
    /// (for a field that takes whole numbers) holds one, and a `threshold_margin`
    /// objective names a threshold of `expect`. Each error names the field at fault
    /// (`hunt.vary[1] (faults[0].at)`, `hunt.objective`) and what would be valid.
    pub fn prepare(experiment: &Experiment) -> Result<ScenarioHunt, HuntError> {
        let raw = experiment.raw();
        let hunt = raw.hunt.clone().ok_or_else(|| {
            HuntError::config(
                "hunt",
                "the experiment has no `hunt` section; add one with `vary`, `objective`, `budget` (see docs/hunt.md)",
            )
        })?;
        if hunt.vary.is_empty() {
            return Err(HuntError::config(
                "hunt.vary",
                "lists no field; name at least one path with its `min` and `max`",
            ));
        }
        let mut base_raw = raw.clone();
        base_raw.hunt = None;
        base_raw.seed = Some(experiment.seed());
        let base = serde_json::to_value(&base_raw).map_err(|e| {
            HuntError::config("hunt", format!("cannot serialize the experiment: {e}"))
        })?;
        let mut variables: Vec<Variable> = Vec::with_capacity(hunt.vary.len());
        for (i, v) in hunt.vary.iter().enumerate() {
            let field = format!("hunt.vary[{i}] ({})", v.path);
            let err = |m: String| HuntError::config(field.clone(), m);
            let steps = path::parse_path(&v.path).map_err(err)?;
            if matches!(steps.first(), Some(Step::Key(k)) if k == "seed" || k == "hunt") {
                return Err(err(
                    "the seed and the hunt section itself cannot vary".into()
                ));
            }
            if let Some(j) = variables.iter().position(|seen| seen.steps == steps) {
                return Err(err(format!(
                    "`{}` is already varied by hunt.vary[{j}]; list each path once",
                    v.path
                )));
            }
            let current = path::get(&base, &steps).map_err(err)?;
            let kind = FieldKind::of(current).map_err(|m| err(format!("`{}` {m}", v.path)))?;
            let lo = kind
                .coordinate(&v.min)
                .map_err(|m| err(format!("min: {m}")))?;
            let hi = kind
                .coordinate(&v.max)
                .map_err(|m| err(format!("max: {m}")))?;
            if !(lo.is_finite() && hi.is_finite() && lo <= hi) {
                return Err(err(format!(
                    "the range is not ordered: min `{}` must not exceed max `{}`",
                    value::show_value(&v.min),
                    value::show_value(&v.max)
                )));
            }
            if lo < 0.0 && kind != FieldKind::Integer && kind != FieldKind::Real {
                return Err(err("min must not be negative".into()));
            }
            if kind == FieldKind::Fraction && hi > 1.0 {
                return Err(err("a share's max must be at most 100%".into()));
            }
            // A field written as a whole number varies as a real when a range end is not
            // whole, unless the field takes whole numbers only (`instances`): that one
            // varies over the whole numbers in the range, as every integer field does.
            let whole_ends = lo.fract() == 0.0 && hi.fract() == 0.0;
            let kind =
                if kind == FieldKind::Integer && !whole_ends && takes_fractions(&base, &steps) {
                    FieldKind::Real
                } else {
                    kind
                };
            if kind == FieldKind::Integer && lo.ceil() > hi.floor() {
                return Err(err(format!(
                    "`{}` takes whole numbers, and the range from {lo} to {hi} holds none",
                    v.path
                )));
            }
            let bound = if kind == FieldKind::Integer {
                Bound::int(lo.ceil() as i64, hi.floor() as i64)
            } else {
                Bound::real(lo, hi)
            };
            let start_raw = match (kind, current) {
                (FieldKind::Integer | FieldKind::Real, Value::Number(n)) => {
                    n.as_f64().unwrap_or(lo)
                }
                (_, Value::String(s)) => kind
                    .coordinate(&faultline_spec::HuntValue::Text(s.clone()))
                    .unwrap_or(lo),
                _ => lo,
            };
            variables.push(Variable {
                path: v.path.clone(),
                steps,
                kind,
                bound,
                start: bound.project(start_raw),
            });
        }
        objective::check(&hunt.objective, &raw.expect)
            .map_err(|m| HuntError::config("hunt.objective", m))?;
        let method = match hunt.method {
            HuntMethod::Guided => Method::Guided,
            HuntMethod::Random => Method::Random,
            HuntMethod::HillClimb => Method::HillClimb,
            HuntMethod::Annealing => Method::Anneal,
            HuntMethod::Cmaes => Method::Cmaes,
        };
        let evaluations_max = hunt.budget.evaluations.unwrap_or(EVALUATIONS_DEFAULT);
        if evaluations_max == 0 {
            return Err(HuntError::config(
                "hunt.budget.evaluations",
                "must be at least 1",
            ));
        }
        let hunt_prepared = ScenarioHunt {
            bounds: variables.iter().map(|v| v.bound).collect(),
            base,
            variables,
            objective: hunt.objective.clone(),
            method,
            evaluations_max,
            time_ms_max: hunt.budget.time.map(|d| d.micros / 1_000),
            seed: experiment.seed(),
            name: raw.name.clone(),
            source: experiment.source_path().to_path_buf(),
        };
        // The starting point must itself be a valid experiment once re-serialized.
        let start = hunt_prepared.start();
        hunt_prepared.candidate(&start)?;
        Ok(hunt_prepared)
    }

    /// The coordinates of the experiment as written.
    pub fn start(&self) -> Vec<f64> {
        self.variables.iter().map(|v| v.start).collect()
    }

    /// The candidate experiment for coordinates `x`: its YAML text, validated.
    pub fn candidate(&self, x: &[f64]) -> Result<(String, Experiment), HuntError> {
        let text = self.candidate_text(x)?;
        let exp = faultline_spec::parse(&text, Path::new(WORST_FILE)).map_err(|e| {
            HuntError::input(
                &self.source,
                format!(
                    "the combination {} is not a valid experiment:\n{e}",
                    self.describe(x)
                ),
            )
        })?;
        Ok((text, exp))
    }

    /// The YAML text of the candidate for `x` (not yet validated).
    pub fn candidate_text(&self, x: &[f64]) -> Result<String, HuntError> {
        let mut v = self.base.clone();
        for (var, xi) in self.variables.iter().zip(x) {
            path::set(
                &mut v,
                &var.steps,
                var.kind.to_value(var.bound.project(*xi)),
            )
            .map_err(|m| HuntError::config(var.path.clone(), m))?;
        }
        let raw: RawExperiment = serde_json::from_value(v).map_err(|e| {
            HuntError::input(
                &self.source,
                format!(
                    "the combination {} does not fit the experiment model: {e}",
                    self.describe(x)
                ),
            )
        })?;
        serde_saphyr::to_string(&raw).map_err(|e| {
            HuntError::input(
                &self.source,
                format!("cannot write the candidate as YAML: {e}"),
            )
        })
    }

    /// `path = value` for each variable at `x`.
    pub fn values_at(&self, x: &[f64]) -> Vec<(String, Value)> {
        self.variables
            .iter()
            .zip(x)
            .map(|(v, xi)| (v.path.clone(), v.kind.to_value(v.bound.project(*xi))))
            .collect()
    }

    fn describe(&self, x: &[f64]) -> String {
        self.values_at(x)
            .iter()
            .map(|(p, v)| format!("{p} = {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Simulates a validated candidate and returns its summary, decision trace and the
    /// acknowledgement times of its lost writes. The run is recorded in memory: the
    /// analyzer reads a record, and that record equals the one `faultline run` writes
    /// and reads back, without the files.
    pub fn simulate(experiment: &Experiment) -> Result<RunEvidence, HuntError> {
        let seed = experiment.seed();
        let fail = |e: String| HuntError::input(experiment.source_path(), e);
        let mut sim = Simulation::new(experiment, seed).map_err(|e| fail(e.to_string()))?;
        sim.enable_trace();
        let (record, sim) =
            faultline_sim::run_in_memory(experiment, sim).map_err(|e| fail(e.to_string()))?;
        let analysis = analyze(&record, experiment);
        Ok(RunEvidence {
            summary: analysis.summary,
            decisions: sim.trace().to_vec(),
            lost_ack_us: analysis.lost_ack_times_us,
        })
    }

    /// The objective of coordinates `x`, with the decision trace folded into `trace`.
    pub fn value_at(&self, x: &[f64], trace: &mut Trace) -> Result<f64, HuntError> {
        Ok(self.evidence_at(x, trace)?.0)
    }

    /// The objective of coordinates `x` and what its run leaves for the explanation.
    pub fn evidence_at(
        &self,
        x: &[f64],
        trace: &mut Trace,
    ) -> Result<(f64, RunEvidence), HuntError> {
        let (_, exp) = self.candidate(x)?;
        let run = Self::simulate(&exp)?;
        fold_trace(&run.decisions, trace);
        let value = objective::metric(&self.objective, &run.summary)
            .map_err(|m| HuntError::config("hunt.objective", m))?;
        Ok((value, run))
    }

    /// Runs the hunt: evaluates the starting point, then searches. `on_progress` is
    /// called after every batch of evaluations.
    pub fn run(
        &self,
        on_progress: &mut dyn FnMut(&ProgressPoint),
    ) -> Result<ScenarioOutcome, HuntError> {
        let start_x = self.start();
        let (start_value, start_run) = self.evidence_at(&start_x, &mut Trace::new())?;
        let mut cfg = SearchConfig::new(self.method, self.evaluations_max, self.seed);
        cfg.time_ms_max = self.time_ms_max;
        cfg.initial = vec![start_x.clone()];
        // The guided method reads whole runs (margins tied to the fields), so it is
        // the scenario's own; the black-box baselines are the search core's.
        let out = if self.method == Method::Guided {
            guide::run(self, start_x.clone(), on_progress)?
        } else {
            search(self, &cfg, on_progress)?
        };
        // A search that never beats the start still reports a replayable worst case.
        let best_x = if out.best_value >= start_value {
            out.best_x.clone()
        } else {
            start_x
        };
        let best_value = out.best_value.max(start_value);
        let worst_text = self.candidate_text(&best_x)?;
        // The worst run again, for its trace (evaluations keep only the folded one).
        let (_, worst_run) = self.evidence_at(&best_x, &mut Trace::new())?;
        let explanation = explain::explain(&start_run, &worst_run);
        Ok(ScenarioOutcome {
            start_value,
            best_value,
            values: self.values_at(&best_x),
            worst_text: format!(
                "# The worst scenario `faultline hunt {}` found ({} = {best_value}).\n# Replay: faultline run {WORST_FILE}\n{worst_text}",
                self.source.display(),
                objective_name(&self.objective),
            ),
            search: out,
            explanation,
        })
    }

    /// The experiment's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Objective for ScenarioHunt {
    fn bounds(&self) -> &[Bound] {
        &self.bounds
    }
    fn evaluate(&self, x: &[f64], trace: &mut Trace) -> Result<f64, HuntError> {
        self.value_at(x, trace)
    }
}

/// Whether the field at `steps` (set to a whole number in `base`) also takes a
/// fraction: the experiment model is asked, as a candidate would be.
fn takes_fractions(base: &Value, steps: &[Step]) -> bool {
    let mut probe = base.clone();
    path::set(&mut probe, steps, Value::from(0.5)).is_ok()
        && serde_json::from_value::<RawExperiment>(probe).is_ok()
}

/// Folds the simulator's decisions into a short trace per site: taken if it was ever
/// taken, with the smallest distance to its threshold, repeated once per doubling of
/// how often it was taken. The path signature then says which mechanisms (failover,
/// breaker, pool exhaustion...) fired and roughly how much.
fn fold_trace(points: &[DecisionPoint], trace: &mut Trace) {
    // (site, times taken, smallest |margin|)
    let mut sites: Vec<(&'static str, u64, f64)> = Vec::new();
    for p in points {
        let taken = u64::from(p.taken);
        match sites.iter_mut().find(|s| s.0 == p.site) {
            Some(s) => {
                s.1 += taken;
                s.2 = s.2.min(p.margin.abs());
            }
            None => sites.push((p.site, taken, p.margin.abs())),
        }
    }
    sites.sort_by(|a, b| a.0.cmp(b.0));
    for (site, taken_count, margin) in sites {
        let repeats = 1 + (u64::BITS - taken_count.leading_zeros()).min(12);
        for _ in 0..repeats {
            let lhs = if taken_count > 0 {
                margin
            } else {
                -margin.max(f64::MIN_POSITIVE)
            };
            trace.record(site, CmpOp::Ge, lhs, 0.0, None);
        }
    }
}

/// The objective's name as written in the `hunt` section.
pub fn objective_name(o: &HuntObjective) -> String {
    match o {
        HuntObjective::LostWrites => "lost_writes".into(),
        HuntObjective::Rto => "rto".into(),
        HuntObjective::ErrorRate => "error_rate".into(),
        HuntObjective::P99 => "p99".into(),
        HuntObjective::ThresholdMargin(n) => format!("threshold_margin({n})"),
    }
}

/// Writes `worst.yaml`, `progress.json` and `progress.svg` into `out_dir` and
/// returns the path of `worst.yaml`.
pub fn write_outputs(
    hunt: &ScenarioHunt,
    outcome: &ScenarioOutcome,
    out_dir: &Path,
) -> Result<PathBuf, HuntError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| HuntError::Output { path, source }
    };
    std::fs::create_dir_all(out_dir).map_err(io(out_dir))?;
    let worst = out_dir.join(WORST_FILE);
    // Each file whole or not at all: a full disk leaves an earlier hunt's file whole.
    faultline_record::write_atomically(&worst, outcome.worst_text.as_bytes())
        .map_err(io(&worst))?;
    let s = &outcome.search;
    let file = ProgressFile {
        experiment: &hunt.name,
        objective: objective_name(&hunt.objective),
        method: s.method.name(),
        seed: hunt.seed,
        start_value: outcome.start_value,
        best_value: outcome.best_value,
        evaluations: s.evaluations,
        evaluations_failed: s.evaluations_failed,
        paths_seen: s.paths_seen,
        elapsed_ms: s.elapsed_ms,
        values: outcome.values.iter().cloned().collect(),
        explanation: &outcome.explanation,
        progress: &s.progress,
    };
    let progress = out_dir.join(PROGRESS_FILE);
    let mut text = serde_json::to_string_pretty(&file).map_err(|e| HuntError::Output {
        path: progress.clone(),
        source: std::io::Error::other(e),
    })?;
    text.push('\n');
    faultline_record::write_atomically(&progress, text.as_bytes()).map_err(io(&progress))?;
    let svg = out_dir.join(PROGRESS_SVG);
    let title = format!(
        "{}: best {} vs evaluations",
        hunt.name,
        objective_name(&hunt.objective)
    );
    // The chart starts from the file as written (evaluation 0).
    let mut series = vec![ProgressPoint {
        evaluations: 0,
        best_value: outcome.start_value,
        elapsed_ms: 0.0,
    }];
    series.extend(s.progress.iter().copied());
    faultline_record::write_atomically(&svg, progress_svg(&series, &title).as_bytes())
        .map_err(io(&svg))?;
    Ok(worst)
}

#[cfg(test)]
mod tests {
    use std::fmt::Debug;

    use faultline_record::RunRecord;

    use super::*;

    fn example(name: &str) -> Experiment {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../examples")
            .join(name);
        faultline_spec::load(&path).expect("the shipped example is valid")
    }

    /// Asserts equal lists, naming the first entry that differs.
    fn same<T: PartialEq + Debug>(what: &str, a: &[T], b: &[T]) {
        if let Some(i) = (0..a.len().min(b.len())).find(|&i| a[i] != b[i]) {
            assert_eq!(a[i], b[i], "{what}[{i}] differs");
        }
        assert_eq!(a.len(), b.len(), "{what}: not as many");
    }

    /// The hunt records its runs in memory where `faultline run` writes files and
    /// reads them back: the record, and `summary.json` byte for byte, must not depend
    /// on which.
    #[test]
    fn runs_recorded_in_memory_analyze_like_runs_read_from_files() {
        for name in ["active-passive.yaml", "replication-rpo.yaml"] {
            let exp = example(name);
            let dir = tempfile::tempdir().unwrap();
            faultline_sim::run(&exp, dir.path(), &mut |_| {}).unwrap();
            let loaded = RunRecord::load(dir.path()).unwrap();
            let sim = Simulation::new(&exp, exp.seed()).unwrap();
            let (kept, _) = faultline_sim::run_in_memory(&exp, sim).unwrap();
            assert!(
                !loaded.markers.is_empty()
                    && !loaded.ledger.is_empty()
                    && !loaded.final_state.is_empty(),
                "{name} has markers, writes and a verification"
            );
            assert_eq!(loaded.meta, kept.meta, "{name}");
            assert_eq!(loaded.experiment_text, kept.experiment_text, "{name}");
            same(&format!("{name} buckets"), &loaded.buckets, &kept.buckets);
            same(&format!("{name} markers"), &loaded.markers, &kept.markers);
            same(&format!("{name} ledger"), &loaded.ledger, &kept.ledger);
            same(
                &format!("{name} final_state"),
                &loaded.final_state,
                &kept.final_state,
            );
            // What `summary.json` holds (`write_json_atomically` adds a newline).
            let json = |s: &faultline_analyze::Summary| serde_json::to_vec_pretty(s).unwrap();
            let from_files = json(&analyze(&loaded, &exp).summary);
            assert_eq!(from_files, json(&analyze(&kept, &exp).summary), "{name}");
            // And what a hunt evaluation reads, with the decision trace on.
            let evaluated = ScenarioHunt::simulate(&exp).unwrap();
            assert_eq!(from_files, json(&evaluated.summary), "{name}");
        }
    }
}
