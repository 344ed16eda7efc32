//! Ctrl-C (SIGINT) and SIGTERM during simulated work (`run` with the simulator, `run
//! --runs`, `hunt`, `hunt-heuristic`): the command stops at once, says on standard
//! error what it leaves behind, and exits with 130 (SIGINT) or 143 (SIGTERM), the
//! codes a shell gives a command that a signal ended (`docs/cli.md`).
//!
//! A live run is different: `crates/live` handles both signals itself, to roll back
//! every fault before it stops, so while it runs ([`leave_to_live_engine`]) the watcher
//! here ignores them and the process must not end under the engine.

use std::sync::{Mutex, Once, PoisonError};

use crate::exit::{EXIT_SIGINT, EXIT_SIGTERM};
use crate::out::errln;

/// What to say when a signal comes; `None` while a live run handles signals itself.
static NOTE: Mutex<Option<String>> = Mutex::new(None);

/// From now on, SIGINT or SIGTERM prints `note` (what the interrupted command leaves
/// behind and how to go on) and ends the process; a later call replaces the note.
pub fn on_interrupt(note: impl Into<String>) {
    *NOTE.lock().unwrap_or_else(PoisonError::into_inner) = Some(note.into());
    static WATCH: Once = Once::new();
    WATCH.call_once(start_watching);
}

/// Signals are the live engine's from now on: the watcher (if started) ignores them.
pub fn leave_to_live_engine() {
    *NOTE.lock().unwrap_or_else(PoisonError::into_inner) = None;
}

/// Registers for both signals here, before the work starts (so that a signal that
/// comes at once is not lost), and waits for them on a thread of its own.
fn start_watching() {
    use tokio::signal::unix::{signal, SignalKind};
    // Without a runtime or a registration the signals keep their default action: the
    // process ends as it always did, only without the note. Nothing to report then.
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return;
    };
    let registered = {
        let _context = runtime.enter();
        signal(SignalKind::interrupt()).and_then(|i| Ok((i, signal(SignalKind::terminate())?)))
    };
    let Ok((mut int, mut term)) = registered else {
        return;
    };
    let watch = move || loop {
        let (name, code) = runtime.block_on(async {
            tokio::select! {
                _ = int.recv() => ("SIGINT", i32::from(EXIT_SIGINT)),
                _ = term.recv() => ("SIGTERM", i32::from(EXIT_SIGTERM)),
            }
        });
        let note = NOTE.lock().unwrap_or_else(PoisonError::into_inner).clone();
        // `None`: a live run is going, and its engine stops it and rolls back.
        if let Some(note) = note {
            errln!("interrupted ({name}): {note}");
            std::process::exit(code);
        }
    };
    // If no thread can be started the signals are registered but unwatched; the
    // default action is gone then, so say so rather than ignore Ctrl-C silently.
    if std::thread::Builder::new()
        .name("signals".into())
        .spawn(watch)
        .is_err()
    {
        errln!("warning: cannot watch for Ctrl-C; it will not stop this command");
    }
}
