//! Snapshot tests of the terminal summary, one per fixture record of the analyzer.
//! `UPDATE_SNAPSHOTS=1 cargo test -p faultline-report --test terminal` rewrites them.

use std::fs;
use std::path::{Path, PathBuf};

use faultline_analyze::{analyze, Summary};
use faultline_record::RunRecord;
use faultline_report::{render_terminal, TerminalStyle};

fn fixtures() -> Vec<(String, PathBuf)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../analyze/tests/fixtures");
    let mut out: Vec<(String, PathBuf)> = fs::read_dir(&dir)
        .expect("the analyzer's fixtures exist")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.join("run.json").is_file())
        .map(|p| {
            let name = p.file_name().expect("named").to_string_lossy().to_string();
            (name, p)
        })
        .collect();
    out.sort();
    assert!(
        out.len() >= 4,
        "expected the analyzer's fixtures in {}",
        dir.display()
    );
    out
}

fn summary_of(dir: &Path) -> Summary {
    let record = RunRecord::load(dir).expect("fixture loads");
    let experiment = faultline_spec::parse(&record.experiment_text, &dir.join("experiment.yaml"))
        .expect("fixture experiment parses");
    analyze(&record, &experiment).summary
}

fn strip_ansi(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn terminal_summaries_match_their_snapshots() {
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some_and(|v| v == "1");
    let snapshots = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let mut problems = Vec::new();
    for (name, dir) in fixtures() {
        let text = render_terminal(&summary_of(&dir), TerminalStyle::Plain);
        let path = snapshots.join(format!("{name}.txt"));
        if update {
            fs::create_dir_all(&snapshots).expect("mkdir");
            fs::write(&path, &text).expect("write snapshot");
            continue;
        }
        match fs::read_to_string(&path) {
            Ok(saved) if saved == text => {}
            Ok(saved) => problems.push(format!(
                "{} differs:\n--- saved\n{saved}\n--- now\n{text}",
                path.display()
            )),
            Err(e) => problems.push(format!("{}: {e}", path.display())),
        }
    }
    assert!(
        problems.is_empty(),
        "{}\nIf intended: UPDATE_SNAPSHOTS=1 cargo test -p faultline-report --test terminal",
        problems.join("\n")
    );
}

#[test]
fn colour_only_adds_escapes_around_the_same_text() {
    for (name, dir) in fixtures() {
        let summary = summary_of(&dir);
        let plain = render_terminal(&summary, TerminalStyle::Plain);
        let color = render_terminal(&summary, TerminalStyle::Color);
        assert!(color.contains('\x1b'), "{name}: no colour");
        assert_eq!(strip_ansi(&color), plain, "{name}");
    }
}
