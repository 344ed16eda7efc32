//! Where a run's record goes, and what may already be there. A run never writes over a
//! live run's record, which cannot be made again, nor among files that are not a
//! run's; it does replace a simulated run, which the same file and seed make again.

use std::path::{Path, PathBuf};

use faultline_record::{layout, Engine, RunMeta};

use crate::exit::Failure;

/// What a folder holds, as far as a new run is concerned.
#[derive(Debug, PartialEq)]
enum Holds {
    /// Nothing: no folder, or an empty one.
    Nothing,
    /// A simulated run's record.
    SimulatedRun,
    /// A live run's record, started at this time (if it says).
    LiveRun(Option<String>),
    /// Files that are not a run's record (or a run.json that is not one).
    OtherFiles,
}

fn holds(dir: &Path) -> Holds {
    let Ok(mut entries) = std::fs::read_dir(dir) else {
        return if dir.exists() {
            Holds::OtherFiles
        } else {
            Holds::Nothing
        };
    };
    if entries.next().is_none() {
        return Holds::Nothing;
    }
    let meta = std::fs::read(dir.join(layout::RUN))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<RunMeta>(&bytes).ok());
    match meta {
        Some(meta) if meta.engine == Engine::Sim => Holds::SimulatedRun,
        Some(meta) => Holds::LiveRun(meta.started_at),
        // A run of `--runs` keeps only its summary.
        None => match super::report::summary_file(dir) {
            Ok(summary) if summary.engine == "sim" => Holds::SimulatedRun,
            Ok(_) => Holds::LiveRun(None),
            Err(_) => Holds::OtherFiles,
        },
    }
}

/// `dir` if a run may write into it (`--out DIR`); otherwise why not.
pub fn check_given(dir: &Path) -> Result<PathBuf, Failure> {
    match holds(dir) {
        Holds::Nothing | Holds::SimulatedRun => Ok(dir.to_path_buf()),
        Holds::LiveRun(started_at) => Err(Failure::new(format!(
            "{}: holds the record of a live run{}, which cannot be made again; give another \
             --out, or move or delete that folder first",
            dir.display(),
            started_at.map_or(String::new(), |t| format!(" started at {t}"))
        ))),
        Holds::OtherFiles if dir.is_file() => Err(Failure::new(format!(
            "{}: is a file; give a folder (new or empty) for the run's files",
            dir.display()
        ))),
        Holds::OtherFiles => Err(Failure::new(format!(
            "{}: is not empty and holds no run record (run.json); a run writes its own files \
             (run.json, buckets.jsonl, summary.json, report.html...) into a folder of its own: \
             give a new or empty folder",
            dir.display()
        ))),
    }
}

/// The default folder `default` if a run may write into it, or else the first of
/// `default-2`, `default-3`, ... that it may; with a note for the user when it moved.
pub fn choose_default(default: &Path) -> Result<(PathBuf, Option<String>), Failure> {
    if check_given(default).is_ok() {
        return Ok((default.to_path_buf(), None));
    }
    for n in 2..=1000 {
        let mut name = default.as_os_str().to_os_string();
        name.push(format!("-{n}"));
        let candidate = PathBuf::from(name);
        if check_given(&candidate).is_ok() {
            let reason = match holds(default) {
                Holds::LiveRun(_) => "an earlier live run",
                _ => "files that are not a run's",
            };
            let note = format!(
                "{} holds {reason}: this run goes to {}",
                default.display(),
                candidate.display()
            );
            return Ok((candidate, Some(note)));
        }
    }
    Err(Failure::new(format!(
        "{0} and {0}-2 to {0}-1000 all hold other runs or files; give --out",
        default.display()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultline_analyze::SUMMARY_FILE;

    fn run_folder(dir: &Path, engine: Engine) {
        std::fs::create_dir_all(dir).unwrap();
        let mut meta = RunMeta::new("x", engine, 1);
        meta.started_at = Some("2026-12-01T03:00:00Z".into());
        std::fs::write(dir.join(layout::RUN), serde_json::to_vec(&meta).unwrap()).unwrap();
    }

    #[test]
    fn a_run_replaces_a_simulated_run_but_never_a_live_one_nor_other_files() {
        let root = tempfile::tempdir().unwrap();
        let (sim, live, other, empty) = (
            root.path().join("sim"),
            root.path().join("live"),
            root.path().join("other"),
            root.path().join("empty"),
        );
        run_folder(&sim, Engine::Sim);
        run_folder(&live, Engine::Live);
        std::fs::create_dir_all(&other).unwrap();
        std::fs::write(other.join("notes.txt"), "mine").unwrap();
        std::fs::create_dir_all(&empty).unwrap();
        assert_eq!(check_given(&sim).unwrap(), sim);
        assert_eq!(check_given(&empty).unwrap(), empty);
        assert_eq!(
            check_given(&root.path().join("new")).unwrap(),
            root.path().join("new")
        );
        let err = check_given(&live).unwrap_err().0;
        assert!(
            err.contains("live run started at 2026-12-01T03:00:00Z"),
            "{err}"
        );
        let err = check_given(&other).unwrap_err().0;
        assert!(err.contains("holds no run record"), "{err}");
        let err = check_given(&other.join("notes.txt")).unwrap_err().0;
        assert!(err.contains("is a file"), "{err}");

        let (dir, note) = choose_default(&live).unwrap();
        assert_eq!(dir, root.path().join("live-2"));
        assert!(note.unwrap().contains("holds an earlier live run"));
        run_folder(&root.path().join("live-2"), Engine::Live);
        assert_eq!(choose_default(&live).unwrap().0, root.path().join("live-3"));
        assert_eq!(choose_default(&sim).unwrap(), (sim.clone(), None));

        // A run of `--runs` keeps only its summary (cli/tests/runs.rs runs into such
        // folders again); a summary.json that is not a whole summary is no run.
        let summary_only = root.path().join("seed-3");
        std::fs::create_dir_all(&summary_only).unwrap();
        std::fs::write(
            summary_only.join(SUMMARY_FILE),
            r#"{"summary_version":1,"experiment":"x","engine":"sim"}"#,
        )
        .unwrap();
        assert_eq!(
            holds(&summary_only),
            Holds::OtherFiles,
            "not a whole summary"
        );
    }
}
