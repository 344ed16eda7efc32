//! Determinism: the same file and seed give the same record and the same
//! summary.json, byte for byte; a golden file pins one example's summary.
//!
//! After an intended change of the model or the analyzer, refresh the golden file
//! with `UPDATE_GOLDEN=1 cargo test -p faultline-sim --test determinism`.

mod common;

use std::path::Path;

fn record_files(text: &str, seed: u64) -> (Vec<(String, Vec<u8>)>, String) {
    let experiment = faultline_spec::parse(text, Path::new("d.yaml"))
        .expect("valid")
        .with_seed(seed);
    let dir = tempfile::tempdir().expect("temp dir");
    faultline_sim::run(&experiment, dir.path(), &mut |_| {}).expect("runs");
    let mut files = Vec::new();
    for name in [
        "run.json",
        "buckets.jsonl",
        "markers.jsonl",
        "ledger.jsonl",
        "final_state.jsonl",
    ] {
        files.push((
            name.to_string(),
            std::fs::read(dir.path().join(name)).expect("file exists"),
        ));
    }
    let record = faultline_record::RunRecord::load(dir.path()).expect("reads back");
    let summary = faultline_analyze::analyze(&record, &experiment)
        .summary
        .to_json();
    (files, summary)
}

#[test]
fn same_file_and_seed_give_byte_identical_records_and_summaries() {
    // The active-active example at a lighter load: load balancing, retries with
    // jitter, replication both ways and a failover, in a few seconds of a debug build.
    let text = common::variant(
        &common::example("active-active"),
        &[("rate: 800/s", "rate: 200/s")],
    );
    let (a, sa) = record_files(&text, 3);
    let (b, sb) = record_files(&text, 3);
    for ((name, x), (_, y)) in a.iter().zip(&b) {
        assert!(x == y, "{name} differs between two runs with the same seed");
    }
    assert_eq!(sa, sb);
    let (c, _) = record_files(&text, 4);
    assert_ne!(a[1].1, c[1].1, "another seed must give other buckets");
}

#[test]
fn golden_summary_of_the_replication_rpo_example() {
    let text = common::example("replication-rpo");
    let (_, summary) = record_files(&text, 5);
    let golden =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/replication-rpo.summary.json");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden, &summary).expect("write golden");
    }
    let expected = std::fs::read_to_string(&golden).unwrap_or_default();
    assert!(
        summary == expected,
        "summary.json of examples/replication-rpo.yaml (seed 5) changed; if intended, run \
         UPDATE_GOLDEN=1 cargo test -p faultline-sim --test determinism\n--- got:\n{summary}"
    );
}
