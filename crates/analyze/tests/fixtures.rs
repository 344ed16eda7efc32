//! The saved fixture records stay what their builders write (which also pins the
//! record's on-disk format), and their summaries stay what the analyzer said.
//! `UPDATE_SNAPSHOTS=1 cargo test -p faultline-analyze --test fixtures` rewrites both.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use faultline_record::{layout, RunRecord};

const FILES: [&str; 6] = [
    layout::RUN,
    layout::EXPERIMENT,
    layout::BUCKETS,
    layout::MARKERS,
    layout::LEDGER,
    layout::FINAL_STATE,
];

fn here() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests")
}

fn updating() -> bool {
    std::env::var_os("UPDATE_SNAPSHOTS").is_some_and(|v| v == "1")
}

/// Compares `actual` with the file at `path` (or rewrites it when updating).
fn expect_file(path: &Path, actual: &[u8], problems: &mut Vec<String>) {
    if updating() {
        fs::create_dir_all(path.parent().expect("has a parent")).expect("mkdir");
        fs::write(path, actual).expect("write snapshot");
        return;
    }
    match fs::read(path) {
        Ok(saved) if saved == actual => {}
        Ok(_) => problems.push(format!("{} differs", path.display())),
        Err(e) => problems.push(format!("{}: {e}", path.display())),
    }
}

#[test]
fn fixture_records_match_their_builders_and_summaries_their_snapshots() {
    let mut problems = Vec::new();
    for (name, builder) in common::fixtures() {
        let tmp = tempfile::tempdir().expect("tempdir");
        builder.write_to(tmp.path());
        let saved_dir = here().join("fixtures").join(name);
        for file in FILES {
            let written = fs::read(tmp.path().join(file)).expect("the recorder wrote it");
            expect_file(&saved_dir.join(file), &written, &mut problems);
        }
        let record = RunRecord::load(&saved_dir).expect("fixture loads");
        let experiment = faultline_spec::parse(&record.experiment_text, "experiment.yaml".as_ref())
            .expect("fixture experiment parses");
        let summary = faultline_analyze::analyze(&record, &experiment).summary;
        expect_file(
            &here()
                .join("snapshots")
                .join(format!("{name}.summary.json")),
            summary.to_json().as_bytes(),
            &mut problems,
        );
    }
    assert!(
        problems.is_empty(),
        "{}\nIf the change is intended: UPDATE_SNAPSHOTS=1 cargo test -p faultline-analyze --test fixtures",
        problems.join("\n")
    );
}

#[test]
fn the_same_record_gives_a_byte_identical_summary() {
    for (name, builder) in common::fixtures() {
        let first = builder.analyze().summary.to_json();
        let second = builder.analyze().summary.to_json();
        assert_eq!(first, second, "{name}");
    }
}
