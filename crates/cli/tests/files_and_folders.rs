//! Paths the user gives that are not what a command expects (a file for a folder, a
//! folder for a file, a folder of other files, a path under a file, a pipe), and
//! Ctrl-C: each is refused with a message naming the path and exit code 2 before any
//! work, nothing of the user's is overwritten, and an interrupted run says so.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread::sleep;
use std::time::Duration;

fn example(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name);
    path.to_str().expect("utf-8 path").to_string()
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts that the command was refused as invalid (exit 2) with `why` in its message.
fn assert_refused(out: &std::process::Output, why: &str) {
    let stderr = stderr_of(out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(why), "expected {why:?} in: {stderr}");
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("read the folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_hunt_never_overwrites_files_it_did_not_write() {
    // Before: `hunt --out DIR` searched, then wrote worst.yaml and progress.json over
    // the user's files of those names.
    let dir = common::tiny_dir();
    let hunt = example("hunt-replication-lag.yaml");
    let mine = dir.path().join("mine");
    fs::create_dir(&mine).expect("mkdir");
    fs::write(mine.join("worst.yaml"), "my own worst case").expect("write");
    let out = common::faultline_in(dir.path(), &["hunt", &hunt, "-q", "--out", "mine"]);
    assert_refused(&out, "mine: holds files named like its own");
    assert_eq!(
        fs::read_to_string(mine.join("worst.yaml")).expect("kept"),
        "my own worst case"
    );
    assert_eq!(names_in(&mine), ["worst.yaml"], "nothing written beside it");

    // Its own earlier output is replaced: the same file and seed make it again.
    for _ in 0..2 {
        let again = common::faultline_in(dir.path(), &["hunt", &hunt, "-q", "--out", "h"]);
        assert!(
            matches!(again.status.code(), Some(0 | 1)),
            "{}",
            stderr_of(&again)
        );
    }
    assert!(dir.path().join("h/run/summary.json").is_file());
}

#[test]
fn a_heuristic_hunt_never_overwrites_a_case_it_did_not_write() {
    // Before: case.json and progress.json of the user's were overwritten silently.
    let dir = common::tiny_dir();
    let mine = dir.path().join("mine");
    fs::create_dir(&mine).expect("mkdir");
    fs::write(mine.join("case.json"), "my case").expect("write");
    fs::write(mine.join("notes.txt"), "my notes").expect("write");
    let args = ["hunt-heuristic", "--budget", "20", "-q", "--out"];
    let out = common::faultline_in(dir.path(), &[&args[..], &["mine"]].concat());
    assert_refused(&out, "holds `notes.txt`");
    assert_eq!(
        fs::read_to_string(mine.join("case.json")).expect("kept"),
        "my case"
    );

    // Under a file: refused before the search, naming the file.
    fs::write(dir.path().join("plain"), "x").expect("write");
    let out = common::faultline_in(dir.path(), &[&args[..], &["plain/sub"]].concat());
    assert_refused(&out, "plain is a file, not a folder");

    for _ in 0..2 {
        let own = common::faultline_in(dir.path(), &[&args[..], &["hh"]].concat());
        assert_eq!(own.status.code(), Some(0), "{}", stderr_of(&own));
    }
}

#[test]
fn runs_never_write_among_other_files_nor_into_a_single_runs_record() {
    // Before: only DIR/seed-<seed>/ was checked; runs.html replaced the user's page,
    // and the seed folders went into a live run's record.
    let dir = common::tiny_dir();
    let mine = dir.path().join("mine");
    fs::create_dir(&mine).expect("mkdir");
    fs::write(mine.join("runs.html"), "my page").expect("write");
    fs::write(mine.join("notes.txt"), "my notes").expect("write");
    let args = ["run", "tiny.yaml", "--runs", "2", "-q", "--out"];
    let out = common::faultline_in(dir.path(), &[&args[..], &["mine"]].concat());
    assert_refused(&out, "holds `notes.txt`");
    assert_eq!(names_in(&mine), ["notes.txt", "runs.html"]);
    assert_eq!(
        fs::read_to_string(mine.join("runs.html")).expect("kept"),
        "my page"
    );

    let single = common::faultline_in(dir.path(), &["run", "tiny.yaml", "-q", "--out", "one"]);
    assert_eq!(single.status.code(), Some(0));
    let out = common::faultline_in(dir.path(), &[&args[..], &["one"]].concat());
    assert_eq!(out.status.code(), Some(2));
    assert!(!dir.path().join("one/seed-5").exists());

    // Under a file: refused before the first run, naming the file.
    fs::write(dir.path().join("plain"), "x").expect("write");
    let out = common::faultline_in(dir.path(), &[&args[..], &["plain/set"]].concat());
    assert_refused(&out, "plain is a file, not a folder");

    // An earlier set of runs is replaced.
    for _ in 0..2 {
        let again = common::faultline_in(dir.path(), &[&args[..], &["set"]].concat());
        assert_eq!(again.status.code(), Some(0), "{}", stderr_of(&again));
    }
}

#[test]
fn an_out_that_cannot_be_a_folder_is_named_as_such() {
    let dir = common::tiny_dir();
    fs::write(dir.path().join("plain"), "x").expect("write");
    let out = common::faultline_in(dir.path(), &["run", "tiny.yaml", "--out", "plain/a/b"]);
    assert_refused(&out, "plain/a/b: plain is a file, not a folder");
    // Before: a pipe was "not empty and holds no run record".
    let made = Command::new("mkfifo").arg(dir.path().join("pipe")).status();
    if made.is_ok_and(|s| s.success()) {
        let out = common::faultline_in(dir.path(), &["run", "tiny.yaml", "--out", "pipe"]);
        assert_refused(&out, "pipe: is not a folder");
    }
}

#[test]
fn a_report_keeps_the_users_files_and_leaves_no_temporary_file() {
    // Before: the page was written to `<stem>.tmp` first (a file of the user's of that
    // name was lost), and a failed write left it behind.
    let dir = common::tiny_dir();
    for name in ["a", "b"] {
        let out = common::faultline_in(dir.path(), &["run", "tiny.yaml", "-q", "--out", name]);
        assert_eq!(out.status.code(), Some(0));
    }
    fs::write(dir.path().join("runs.tmp"), "mine").expect("write");
    let out = common::faultline_in(dir.path(), &["report", "a", "b", "-q"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(
        fs::read_to_string(dir.path().join("runs.tmp")).expect("kept"),
        "mine"
    );

    fs::create_dir(dir.path().join("pages")).expect("mkdir");
    let out = common::faultline_in(dir.path(), &["report", "a", "b", "--out", "pages"]);
    assert_refused(&out, "pages: is a folder; give the path of a file");
    let out = common::faultline_in(dir.path(), &["gap", "a", "b", "--html", "pages"]);
    assert_eq!(out.status.code(), Some(2));
    let left: Vec<String> = names_in(dir.path())
        .into_iter()
        .filter(|n| n.contains("tmp") && n != "runs.tmp")
        .collect();
    assert!(left.is_empty(), "temporary files left: {left:?}");
}

#[test]
fn analyze_says_what_is_wrong_with_a_folder_that_is_no_run() {
    let dir = common::tiny_dir();
    let out = common::faultline_in(dir.path(), &["analyze", "absent"]);
    assert_refused(&out, "absent: not a folder (nothing is there)");
    // Another tool's summary.json is not the summary of a run of `--runs`.
    fs::create_dir(dir.path().join("other")).expect("mkdir");
    fs::write(dir.path().join("other/summary.json"), "{}").expect("write");
    let out = common::faultline_in(dir.path(), &["analyze", "other"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = stderr_of(&out);
    assert!(!stderr.contains("--runs"), "{stderr}");
    assert!(stderr.contains("run.json"), "{stderr}");
}

/// Hours of simulated time: far longer than the test waits.
fn long_experiment() -> String {
    common::TINY_EXPERIMENT.replace("hold: 5s, users: 2", "hold: 600m, users: 200")
}

#[test]
fn ctrl_c_stops_a_simulated_run_says_so_and_exits_130() {
    // Before: the default action ended the process without a word.
    let dir = tempfile::tempdir().expect("tempdir");
    fs::write(dir.path().join("long.yaml"), long_experiment()).expect("write");
    let mut child = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(["run", "long.yaml", "--out", "run"])
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let run_json: PathBuf = dir.path().join("run/run.json");
    // Bounded waits: the record appears within seconds, the process ends within 10 s.
    for _ in 0..200 {
        if run_json.is_file() {
            break;
        }
        sleep(Duration::from_millis(50));
    }
    assert!(run_json.is_file(), "the run started");
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    let mut status = None;
    for _ in 0..200 {
        status = child.try_wait().expect("wait");
        if status.is_some() {
            break;
        }
        sleep(Duration::from_millis(50));
    }
    let Some(status) = status else {
        let _ = child.kill();
        panic!("still running 10 s after Ctrl-C");
    };
    let out = child.wait_with_output().expect("output");
    let stderr = stderr_of(&out);
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted (SIGINT)"), "{stderr}");
    assert!(stderr.contains("faultline analyze run"), "{stderr}");
    let meta: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&run_json).expect("run.json")).expect("JSON");
    assert_eq!(meta["status"], "running", "an interrupted record says so");
}
