//! `faultline run FILE --runs N`: one folder per seed, each run the same as a single
//! run with that seed, and one report of the distributions.

mod common;

use std::fs;
use std::path::Path;

/// Two instances, one killed at 5 s: a short run whose figures vary with the seed.
const EXPERIMENT: &str = "name: tiny runs\nseed: 5\narchitecture:\n  api: { kind: service, \
    instances: 2, concurrency: 8, service_time: { exponential: { mean: 5ms } } }\nworkload: \
    { stages: [ { hold: 20s, users: 10 } ], think_time: 50ms, mix: { read: 100%, write: 0% } \
    }\nfaults:\n  - { at: 5s, kill: api.1 }\nexpect: { error_rate: \"<= 60%\" }\n";

#[test]
fn each_seed_gets_the_run_a_single_run_with_that_seed_makes() {
    let dir = tempfile::tempdir().expect("tempdir");
    fs::write(dir.path().join("tiny.yaml"), EXPERIMENT).expect("write the experiment");
    let many = common::faultline_in(dir.path(), &["run", "tiny.yaml", "--runs", "3", "--json"]);
    let stderr = String::from_utf8_lossy(&many.stderr);
    assert_eq!(many.status.code(), Some(0), "stderr: {stderr}");
    let out_dir = dir.path().join("runs/tiny-runs-seeds-5-7");
    let distributions: serde_json::Value =
        serde_json::from_slice(&many.stdout).expect("--json prints the distributions");
    let error_rate = distributions
        .as_array()
        .and_then(|metrics| metrics.iter().find(|m| m["metric"] == "error_rate"))
        .expect("an error_rate distribution");
    assert_eq!(error_rate["n"], 3);
    assert!(out_dir.join("runs.html").is_file());

    let single = common::faultline_in(
        dir.path(),
        &["run", "tiny.yaml", "--seed", "6", "--out", "six", "-q"],
    );
    assert_eq!(single.status.code(), Some(0));
    let summary_of = |p: &Path| fs::read_to_string(p.join("summary.json")).expect("summary.json");
    let six = summary_of(&dir.path().join("six"));
    assert_eq!(summary_of(&out_dir.join("seed-6")), six);
    assert_ne!(
        summary_of(&out_dir.join("seed-5")),
        six,
        "another seed, another run"
    );
    // Only the summary is kept: the run is made again, byte for byte, with --seed.
    let kept: Vec<_> = fs::read_dir(out_dir.join("seed-7"))
        .expect("seed-7")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(kept, ["summary.json"]);

    // `faultline report` on the folder re-renders the page from the runs' summaries.
    fs::remove_file(out_dir.join("runs.html")).expect("remove the page");
    let again = common::faultline_in(dir.path(), &["report", "runs/tiny-runs-seeds-5-7", "-q"]);
    assert_eq!(again.status.code(), Some(0));
    assert!(out_dir.join("runs.html").is_file());
    // One of those runs alone has no record to re-render: it says how to make it again.
    let one = common::faultline_in(dir.path(), &["report", "runs/tiny-runs-seeds-5-7/seed-6"]);
    assert_eq!(one.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&one.stderr);
    assert!(
        stderr.contains("faultline run FILE --seed 6 --out DIR"),
        "{stderr}"
    );

    // --keep-records keeps every run's whole folder, with the same summary; running
    // again into the same folder replaces the simulated runs.
    let whole = common::faultline_in(
        dir.path(),
        &["run", "tiny.yaml", "--runs", "3", "--keep-records", "-q"],
    );
    assert_eq!(whole.status.code(), Some(0));
    assert!(out_dir.join("seed-7/report.html").is_file());
    assert!(out_dir.join("seed-7/buckets.jsonl").is_file());
    assert_eq!(summary_of(&out_dir.join("seed-6")), six);
}

#[test]
fn runs_of_a_live_experiment_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let example =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/live-redis-sentinel.yaml");
    let out = common::faultline_in(
        dir.path(),
        &["run", example.to_str().expect("utf-8"), "--runs", "2"],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--runs repeats a simulated run"),
        "{stderr}"
    );
    assert!(!dir.path().join("runs").exists(), "nothing was written");
}

#[test]
fn engine_sim_simulates_a_live_experiment_into_its_own_folder() {
    let dir = tempfile::tempdir().expect("tempdir");
    let example =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/live-redis-sentinel.yaml");
    let example = example.to_str().expect("utf-8");
    let out = common::faultline_in(dir.path(), &["run", example, "--engine", "sim", "--json"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stderr: {stderr}");
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(summary["engine"], "sim");
    // The file lists the model's failover markers beside the live probes.
    assert_eq!(summary["metrics"]["ttd_source"], "cache.failover.detect");
    assert!(dir
        .path()
        .join("runs/redis-sentinel-failover-7-sim/summary.json")
        .is_file());

    let told = common::faultline_in(
        dir.path(),
        &["run", example, "--engine", "sim", "--out", "again"],
    );
    let stderr = String::from_utf8_lossy(&told.stderr);
    assert!(
        stderr.contains("--seed 7 --engine sim)"),
        "the replay names the engine: {stderr}"
    );

    // The other way round, a file without a `live` section cannot run live.
    fs::write(dir.path().join("tiny.yaml"), EXPERIMENT).expect("write the experiment");
    let live = common::faultline_in(dir.path(), &["run", "tiny.yaml", "--engine", "live"]);
    assert_eq!(live.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&live.stderr);
    assert!(stderr.contains("needs a `live` section"), "{stderr}");
}
