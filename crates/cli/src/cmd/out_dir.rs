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

/// Why `dir` cannot be (or become) a folder for `files` ("the run's files"): it is
/// a file or something else that is not a folder, or a part of its path is a file.
fn not_a_folder(dir: &Path, files: &str) -> Option<Failure> {
    match std::fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => None,
        Ok(meta) => Some(Failure::new(format!(
            "{}: is {}; give a folder (new or empty) for {files}",
            dir.display(),
            if meta.is_file() {
                "a file"
            } else {
                "not a folder (a pipe, socket or device)"
            }
        ))),
        // Absent: fine if it can be made, which it cannot under a file.
        Err(_) => {
            let blocker = dir
                .ancestors()
                .skip(1)
                .filter(|a| !a.as_os_str().is_empty())
                .find(|a| a.symlink_metadata().is_ok())?;
            (!blocker.is_dir()).then(|| {
                Failure::new(format!(
                    "{}: {} is a file, not a folder, so no folder can be made under it; give \
                     a folder (new or empty) for {files}",
                    dir.display(),
                    blocker.display()
                ))
            })
        }
    }
}

/// `dir` if a run may write into it (`--out DIR`); otherwise why not.
pub fn check_given(dir: &Path) -> Result<PathBuf, Failure> {
    if let Some(failure) = not_a_folder(dir, "the run's files") {
        return Err(failure);
    }
    match holds(dir) {
        Holds::Nothing | Holds::SimulatedRun => Ok(dir.to_path_buf()),
        Holds::LiveRun(started_at) => Err(Failure::new(format!(
            "{}: holds the record of a live run{}, which cannot be made again; give another \
             --out, or move or delete that folder first",
            dir.display(),
            started_at.map_or(String::new(), |t| format!(" started at {t}"))
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
    // `runs` is a file: no `runs/<name>-<seed>-<n>` can be made either.
    if let Some(parent) = default.parent().filter(|p| !p.as_os_str().is_empty()) {
        if let Some(failure) = not_a_folder(parent, "the runs (or give --out)") {
            return Err(failure);
        }
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

/// `dir` if `run --runs N` may put its `seed-<seed>/` folders and `runs.html` there:
/// it is new, empty, or holds nothing else (an earlier `--runs` set, whose runs with
/// the same seeds are replaced and the others kept). Then makes `dir` and the seeds'
/// folders, so that a place that cannot be written is refused before the first run.
pub fn prepare_runs(dir: &Path, seed_dirs: &[PathBuf]) -> Result<(), Failure> {
    let files = "the runs (seed-<seed>/ folders and runs.html)";
    if let Some(failure) = not_a_folder(dir, files) {
        return Err(failure);
    }
    let foreign = foreign_entries(dir, |name, path| {
        (name == super::report::RUNS_HTML && path.is_file())
            || (name
                .strip_prefix("seed-")
                .is_some_and(|n| n.parse::<u64>().is_ok())
                && path.is_dir())
    });
    if !foreign.is_empty() {
        return Err(Failure::new(format!(
            "{}: holds {}, which `faultline run --runs` does not write; its runs go into \
             seed-<seed>/ folders and runs.html in a folder of their own: give a new or \
             empty folder",
            dir.display(),
            foreign.join(", ")
        )));
    }
    for seed_dir in seed_dirs {
        check_given(seed_dir)?;
    }
    for seed_dir in seed_dirs {
        std::fs::create_dir_all(seed_dir).map_err(|e| {
            Failure::new(format!(
                "{}: cannot make the folder: {e}",
                seed_dir.display()
            ))
        })?;
    }
    Ok(())
}

/// What a command other than `run` writes into its output folder (`hunt`,
/// `hunt-heuristic`), to tell its earlier output, which it replaces, from other files.
pub struct OwnOutput {
    /// The command, for messages: `faultline hunt`.
    pub command: &'static str,
    /// The names it writes directly in its folder.
    pub names: &'static [&'static str],
    /// Whether the folder's files are that command's: its main file reads as one.
    pub is_its_output: fn(&Path) -> bool,
}

/// Makes `dir` for `own`'s files if it is new, empty or holds `own`'s earlier output
/// (the same command and seed make it again); refuses it otherwise, before the command
/// spends any time, so that no file of the user's is overwritten.
pub fn prepare_own(dir: &Path, own: &OwnOutput) -> Result<(), Failure> {
    let names = own.names.join(", ");
    let files = format!("the files of `{}` ({names})", own.command);
    if let Some(failure) = not_a_folder(dir, &files) {
        return Err(failure);
    }
    let foreign = foreign_entries(dir, |name, _| own.names.contains(&name));
    let empty = std::fs::read_dir(dir).map_or(true, |mut e| e.next().is_none());
    if !foreign.is_empty() || !(empty || (own.is_its_output)(dir)) {
        let held = if foreign.is_empty() {
            format!(
                "files named like its own that `{}` did not write",
                own.command
            )
        } else {
            foreign.join(", ")
        };
        return Err(Failure::new(format!(
            "{}: holds {held}; `{}` writes its files ({names}) into a folder of its own: \
             give another --out (new, empty, or holding its earlier output)",
            dir.display(),
            own.command
        )));
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| Failure::new(format!("{}: cannot make the folder: {e}", dir.display())))
}

/// The names of the entries of `dir` that `ours` does not accept (at most five, then
/// how many more), quoted; none when `dir` cannot be read (it is absent).
fn foreign_entries(dir: &Path, ours: impl Fn(&str, &Path) -> bool) -> Vec<String> {
    const SHOWN_MAX: usize = 5;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut foreign: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| !e.file_name().to_str().is_some_and(|n| ours(n, &e.path())))
        .map(|e| format!("`{}`", e.file_name().to_string_lossy()))
        .collect();
    foreign.sort();
    if foreign.len() > SHOWN_MAX {
        let more = foreign.len() - SHOWN_MAX;
        foreign.truncate(SHOWN_MAX);
        foreign.push(format!("{more} more"));
    }
    foreign
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
