//! `faultline validate` and `faultline schema`, run as the built binary.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo_file(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(relative)
}

fn faultline(args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(args)
        .current_dir(repo_file(""))
        .output()
        .expect("the faultline binary runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_valid_file_is_ok_with_exit_code_0() {
    let (code, stdout, stderr) = faultline(&["validate", "examples/active-passive.yaml"]);
    assert_eq!(code, 0, "stdout: {stdout}\nstderr: {stderr}");
    assert_eq!(
        stdout,
        "examples/active-passive.yaml: ok — experiment `orders-active-passive`: \
         5 components, 3 stages, 1 fault\n"
    );
    assert!(stderr.is_empty(), "{stderr}");
}

#[test]
fn an_invalid_file_lists_every_problem_with_exit_code_2() {
    let file = "crates/spec/tests/fixtures/invalid/many-meaning-problems.yaml";
    let (code, stdout, stderr) = faultline(&["validate", file]);
    assert_eq!(code, 2, "stdout: {stdout}\nstderr: {stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 8, "seven problems and a summary:\n{stderr}");
    assert_eq!(
        lines[0],
        format!("{file}:7:14: architecture.lb.targets: `db` is a database, but this must name a service; the service components are `api`")
    );
    assert_eq!(
        lines[5],
        format!("{file}:35:21: faults[0].kill: no component named `dbb` (did you mean `db`?); the components are `front`, `lb`, `api`, `cache`, `db`")
    );
    assert_eq!(lines[7], format!("error: {file}: 7 problems found"));
}

#[test]
fn a_live_experiment_is_checked_as_the_live_engine_reads_it() {
    let (code, stdout, stderr) = faultline(&["validate", "examples/live-redis-sentinel.yaml"]);
    assert_eq!(code, 0, "stdout: {stdout}\nstderr: {stderr}");
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("live.yaml");
    let text = std::fs::read_to_string(repo_file("examples/live-redis-sentinel.yaml"))
        .expect("the example")
        .replace("kill: cache.primary", "kill: cache.standby");
    std::fs::write(&file, text).expect("write");
    let file = file.to_str().expect("utf-8 path");
    for command in ["validate", "run"] {
        let (code, _, stderr) = faultline(&[command, file]);
        assert_eq!(code, 2, "{command}: {stderr}");
        assert!(
            stderr.contains(&format!(
                "{file}:44:5: faults[0]: `kill: cache.standby`: the live section has no process \
                 `cache.standby`"
            )),
            "{command}: {stderr}"
        );
        assert!(
            stderr.contains("1 problem found for the live engine"),
            "{stderr}"
        );
    }
}

#[test]
fn a_missing_file_is_an_error_with_exit_code_2() {
    let (code, _, stderr) = faultline(&["validate", "no/such/file.yaml"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("no/such/file.yaml: cannot read the file"),
        "{stderr}"
    );
}

#[test]
fn the_schema_command_prints_the_committed_schema() {
    let (code, stdout, _) = faultline(&["schema"]);
    assert_eq!(code, 0);
    let committed = std::fs::read_to_string(repo_file("schema/experiment.schema.json"))
        .expect("schema/experiment.schema.json is committed");
    assert_eq!(
        stdout, committed,
        "run `UPDATE_SCHEMA=1 cargo test -p faultline-spec`"
    );
}

#[test]
fn a_hunt_section_varying_a_field_the_experiment_lacks_is_invalid_for_validate_and_run() {
    let text = std::fs::read_to_string(repo_file("examples/hunt-replication-lag.yaml"))
        .expect("the example reads");
    let (code, stdout, _) = faultline(&["validate", "examples/hunt-replication-lag.yaml"]);
    assert_eq!(code, 0, "the example is valid: {stdout}");
    let broken = text.replace(
        "architecture.db.replication.lag.fixed",
        "architecture.db.replication.lag.median",
    );
    assert_ne!(broken, text, "the example varies the lag");
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("broken-hunt.yaml");
    std::fs::write(&file, broken).expect("written");
    let path = file.to_string_lossy().into_owned();
    // The line and column of the entry, found in the file as written.
    let entry = text
        .lines()
        .position(|l| l.contains("architecture.db.replication.lag.fixed"))
        .expect("the example has the entry");
    let column = text
        .lines()
        .nth(entry)
        .unwrap_or_default()
        .find('{')
        .unwrap_or(0)
        + 1;
    // `run` makes the same check before it starts, and writes nothing.
    let out = dir.path().join("run");
    let out = out.to_string_lossy().into_owned();
    for args in [vec!["validate", &path], vec!["run", &path, "--out", &out]] {
        let (code, stdout, stderr) = faultline(&args);
        assert_eq!(code, 2, "{args:?}: stdout: {stdout}\nstderr: {stderr}");
        let first = stderr.lines().next().unwrap_or_default();
        assert!(
            first.starts_with(&format!("{path}:{}:{column}: hunt.vary[", entry + 1)),
            "{args:?}: {stderr}"
        );
        assert!(
            first.contains("architecture.db.replication.lag.median"),
            "{args:?}: {stderr}"
        );
    }
    assert!(!Path::new(&out).exists(), "run wrote {out}");
}
