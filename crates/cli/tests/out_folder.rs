//! What `faultline run` does with the folder it is to write into: it never writes
//! among files that are not a run's, nor over a live run's record.

mod common;

use std::fs;

use faultline_record::{Engine, RunMeta};

#[test]
fn a_folder_of_other_files_is_refused_and_left_alone() {
    let dir = common::tiny_dir();
    let mine = dir.path().join("mine");
    fs::create_dir(&mine).expect("mkdir");
    fs::write(mine.join("notes.txt"), "keep me").expect("write");
    let out = common::faultline_in(dir.path(), &["run", "tiny.yaml", "--out", "mine"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("holds no run record"), "{stderr}");
    let left: Vec<_> = fs::read_dir(&mine).expect("read").collect();
    assert_eq!(left.len(), 1, "nothing was written beside notes.txt");

    // A simulated run's own folder is replaced: the same file and seed make it again.
    for _ in 0..2 {
        let again = common::faultline_in(dir.path(), &["run", "tiny.yaml", "--out", "sim", "-q"]);
        assert_eq!(again.status.code(), Some(0));
    }
}

#[test]
fn a_live_run_in_the_default_folder_is_kept_and_the_new_run_goes_beside_it() {
    let dir = common::tiny_dir();
    let live = dir.path().join("runs/tiny-5");
    fs::create_dir_all(&live).expect("mkdir");
    let mut meta = RunMeta::new("tiny", Engine::Live, 5);
    meta.started_at = Some("2026-12-01T03:00:00Z".into());
    let live_meta = serde_json::to_vec(&meta).expect("json");
    fs::write(live.join("run.json"), &live_meta).expect("write");

    let out = common::faultline_in(dir.path(), &["run", "tiny.yaml"]);
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("runs/tiny-5 holds an earlier live run: this run goes to runs/tiny-5-2"),
        "{stderr}"
    );
    assert_eq!(fs::read(live.join("run.json")).expect("kept"), live_meta);
    assert!(dir.path().join("runs/tiny-5-2/summary.json").is_file());

    let given = common::faultline_in(dir.path(), &["run", "tiny.yaml", "--out", "runs/tiny-5"]);
    assert_eq!(given.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&given.stderr);
    assert!(
        stderr.contains("holds the record of a live run started at 2026-12-01T03:00:00Z"),
        "{stderr}"
    );
}
