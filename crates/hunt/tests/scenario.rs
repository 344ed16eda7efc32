//! The scenario hunt on a tiny simulated experiment: it finds a worse case than the
//! file's own, is deterministic across thread counts, its worst.yaml replays the
//! reported objective, and a bad `hunt` section is a clear error naming the path.

use std::path::Path;

use faultline_hunt::scenario::{objective::metric, write_outputs, ScenarioHunt};
use faultline_spec::Experiment;

/// Async replication with a short lag; the primary dies late, so few writes are lost
/// as written. Longer lag or a busier moment loses more.
fn experiment(hunt: &str) -> Experiment {
    let text = format!(
        r#"
name: tiny-hunt
seed: 11
architecture:
  api:
    kind: service
    instances: 1
    concurrency: 16
    service_time: {{ fixed: 2ms }}
    calls: [ {{ to: db, timeout: 1s }} ]
  db:
    kind: database
    topology: active_passive
    concurrency: 16
    read_time: {{ fixed: 1ms }}
    write_time: {{ fixed: 2ms }}
    replication: {{ mode: async, lag: {{ fixed: 50ms }} }}
    failover: {{ check_every: 1s, fail_after: 2, promote_in: 2s, fencing: true, clients_find_primary_by: proxy }}
workload:
  model: open
  target: api
  stages: [ {{ ramp: 4s, to: 40/s }}, {{ hold: 8s, rate: 40/s }} ]
  mix: {{ read: 50%, write: 50% }}
  keys: {{ count: 10000 }}
faults:
  - {{ at: 2s, kill: db.primary }}
expect:
  lost_writes: "== 0"
hunt:
{hunt}
"#
    );
    faultline_spec::parse(&text, Path::new("tiny.yaml")).expect("the test experiment is valid")
}

const GOOD: &str = r#"  vary:
    - { path: "faults[0].at", min: 1s, max: 9s }
    - { path: "architecture.db.replication.lag.fixed", min: 10ms, max: 3s }
  objective: lost_writes
  budget: { evaluations: 32 }"#;

#[test]
fn finds_a_worse_case_than_the_start() {
    let hunt = ScenarioHunt::prepare(&experiment(GOOD)).unwrap();
    let out = hunt.run(&mut |_| {}).unwrap();
    assert!(
        out.best_value > out.start_value,
        "best {} should beat start {}",
        out.best_value,
        out.start_value
    );
    assert!(out.search.evaluations <= 32);
    assert_eq!(out.values.len(), 2);
}

#[test]
fn same_result_with_one_or_two_threads() {
    let small = GOOD.replace("evaluations: 32", "evaluations: 16");
    let hunt = ScenarioHunt::prepare(&experiment(&small)).unwrap();
    let run_on = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| hunt.run(&mut |_| {}).unwrap())
    };
    let (a, b) = (run_on(1), run_on(2));
    assert_eq!(a.search.best_x, b.search.best_x);
    assert_eq!(a.best_value, b.best_value);
    assert_eq!(a.worst_text, b.worst_text);
    let series = |o: &faultline_hunt::scenario::ScenarioOutcome| {
        o.search
            .progress
            .iter()
            .map(|p| (p.evaluations, p.best_value))
            .collect::<Vec<_>>()
    };
    assert_eq!(series(&a), series(&b));
}

#[test]
fn worst_yaml_replays_the_reported_objective() {
    let small = GOOD.replace("evaluations: 32", "evaluations: 16");
    let hunt = ScenarioHunt::prepare(&experiment(&small)).unwrap();
    let out = hunt.run(&mut |_| {}).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let worst = write_outputs(&hunt, &out, dir.path()).unwrap();
    for f in ["progress.json", "progress.svg"] {
        assert!(dir.path().join(f).is_file(), "{f} written");
    }
    // What `faultline run worst.yaml` does: load, simulate with the file's seed, analyze.
    let exp = faultline_spec::load(&worst).unwrap();
    assert!(exp.raw().hunt.is_none(), "worst.yaml has no hunt section");
    assert_eq!(exp.raw().seed, Some(11));
    let run_dir = dir.path().join("run");
    faultline_sim::run(&exp, &run_dir, &mut |_| {}).unwrap();
    let record = faultline_record::RunRecord::load(&run_dir).unwrap();
    let again = faultline_spec::parse(&record.experiment_text, &worst).unwrap();
    let summary = faultline_analyze::analyze(&record, &again).summary;
    let replayed = metric(&hunt.objective, &summary).unwrap();
    assert_eq!(replayed, out.best_value);
    let progress: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("progress.json")).unwrap())
            .unwrap();
    assert_eq!(progress["best_value"], out.best_value);
}

fn prepare_err(hunt: &str) -> String {
    ScenarioHunt::prepare(&experiment(hunt))
        .unwrap_err()
        .to_string()
}

#[test]
fn bad_hunt_sections_name_the_path() {
    let missing =
        prepare_err("  vary: [ { path: \"faults[3].at\", min: 1s, max: 2s } ]\n  objective: rto");
    assert!(
        missing.contains("faults[3]") && missing.contains("1 item"),
        "{missing}"
    );
    let unordered =
        prepare_err("  vary: [ { path: \"faults[0].at\", min: 5s, max: 2s } ]\n  objective: rto");
    assert!(
        unordered.contains("faults[0].at") && unordered.contains("not ordered"),
        "{unordered}"
    );
    let not_numeric =
        prepare_err("  vary: [ { path: \"faults[0].kill\", min: 1, max: 2 } ]\n  objective: rto");
    assert!(
        not_numeric.contains("faults[0].kill") && not_numeric.contains("not numeric"),
        "{not_numeric}"
    );
    let wrong_unit =
        prepare_err("  vary: [ { path: \"faults[0].at\", min: 1, max: 2 } ]\n  objective: rto");
    assert!(
        wrong_unit.contains("faults[0].at") && wrong_unit.contains("duration"),
        "{wrong_unit}"
    );
}

#[test]
fn threshold_margin_and_invalid_combinations() {
    let lost = ScenarioHunt::prepare(&experiment(GOOD)).unwrap();
    let x = [5.0, 2.0];
    let by_count = lost
        .value_at(&x, &mut faultline_hunt::Trace::new())
        .unwrap();
    assert!(by_count > 0.0, "a 2 s lag loses writes");
    // `lost_writes: == 0` goes past its bound by exactly the count (a 0 bound divides by 1).
    let margin_hunt = GOOD.replace(
        "objective: lost_writes",
        "objective: { threshold_margin: lost_writes }",
    );
    let margin = ScenarioHunt::prepare(&experiment(&margin_hunt)).unwrap();
    let excess = margin
        .value_at(&x, &mut faultline_hunt::Trace::new())
        .unwrap();
    assert_eq!(excess, by_count);
    // A combination the spec rejects is an error naming the values, not a panic.
    let zero =
        "  vary: [ { path: \"architecture.api.concurrency\", min: 0, max: 0 } ]\n  objective: rto";
    let err = prepare_err(zero);
    assert!(err.contains("architecture.api.concurrency = 0"), "{err}");
}

/// The `HuntError::Config` field and message of a section `prepare` rejects.
fn config_err(hunt: &str) -> (String, String) {
    match ScenarioHunt::prepare(&experiment(hunt)) {
        Err(faultline_hunt::HuntError::Config { field, message }) => (field, message),
        other => panic!("expected a config error, got {other:?}"),
    }
}

/// `validate` and `run` check a section with `prepare` alone: a margin of a threshold
/// that is not in `expect` used to pass them and fail only once `faultline hunt` ran.
#[test]
fn a_threshold_margin_not_in_expect_is_rejected_by_prepare() {
    let missing = GOOD.replace(
        "objective: lost_writes",
        "objective: { threshold_margin: rto }",
    );
    let (field, message) = config_err(&missing);
    assert_eq!(field, "hunt.objective");
    assert!(
        message.contains("`rto`") && message.contains("thresholds: lost_writes"),
        "{message}"
    );
}

/// A path listed twice used to be accepted, its two ranges fighting over one field.
#[test]
fn a_path_varied_twice_is_rejected_naming_the_first_entry() {
    let twice = GOOD.replace(
        "  objective:",
        "    - { path: \"faults[0].at\", min: 3s, max: 4s }\n  objective:",
    );
    let (field, message) = config_err(&twice);
    assert!(field.starts_with("hunt.vary[2]"), "{field}");
    assert!(
        message.contains("faults[0].at") && message.contains("hunt.vary[0]"),
        "{message}"
    );
}

/// `instances` takes whole numbers: fractional range ends used to make it vary as a
/// real and every candidate fail in serde (`floating point 2.0, expected u32`).
#[test]
fn a_whole_number_field_with_fractional_ends_varies_over_whole_numbers() {
    let instances = GOOD.replace(
        "  objective:",
        "    - { path: architecture.api.instances, min: 0.5, max: 3.5 }\n  objective:",
    );
    let hunt = ScenarioHunt::prepare(&experiment(&instances)).unwrap();
    let var = &hunt.variables[2];
    assert_eq!(var.bound, faultline_hunt::Bound::int(1, 3));
    let values = hunt.values_at(&[5.0, 2.0, 2.4]);
    assert_eq!(values[2].1, serde_json::json!(2));
    hunt.candidate(&[5.0, 2.0, 2.4])
        .expect("a whole count is a valid experiment");
    // A range with no whole number in it is an error saying why.
    let (field, message) = config_err(&GOOD.replace(
        "  objective:",
        "    - { path: architecture.api.instances, min: 1.2, max: 1.8 }\n  objective:",
    ));
    assert!(field.starts_with("hunt.vary[2]"), "{field}");
    assert!(message.contains("whole numbers"), "{message}");
}

/// Every method a `hunt` section names runs under that method; CMA-ES, once only a
/// library option, is one of them.
#[test]
fn each_section_method_is_the_search_method_it_names() {
    use faultline_hunt::Method;
    for (name, method) in [
        ("guided", Method::Guided),
        ("random", Method::Random),
        ("hill_climb", Method::HillClimb),
        ("annealing", Method::Anneal),
        ("cmaes", Method::Cmaes),
    ] {
        let section = GOOD.replace(
            "  objective: lost_writes",
            &format!("  objective: lost_writes\n  method: {name}"),
        );
        let hunt = ScenarioHunt::prepare(&experiment(&section)).unwrap();
        assert_eq!(hunt.method, method, "{name}");
    }
}
