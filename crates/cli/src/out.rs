//! Printing that survives a closed stdout or stderr.
//!
//! `println!` panics when its stream is a pipe whose reader has gone
//! (`faultline hunt … | head`). A panic halfway through a command would skip what
//! comes after the print: writing the rest of the outputs, and for a live run the
//! end of the run. So the command line prints through these macros instead: a line
//! that cannot be written is dropped, the command finishes its work, and its exit
//! code still says how it ended.

use std::fmt;
use std::io::{IsTerminal as _, Write};
use std::time::{Duration, Instant};

/// Writes formatted text to stdout, dropping it if stdout is closed.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::out::write_to(&mut ::std::io::stdout().lock(), format_args!($($arg)*), false)
    };
}

/// Writes a formatted line to stdout, dropping it if stdout is closed.
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::out::write_to(&mut ::std::io::stdout().lock(), format_args!($($arg)*), true)
    };
}

/// Writes formatted text to stderr, dropping it if stderr is closed.
macro_rules! err {
    ($($arg:tt)*) => {
        $crate::out::write_to(&mut ::std::io::stderr().lock(), format_args!($($arg)*), false)
    };
}

/// Writes a formatted line to stderr, dropping it if stderr is closed.
macro_rules! errln {
    ($($arg:tt)*) => {
        $crate::out::write_to(&mut ::std::io::stderr().lock(), format_args!($($arg)*), true)
    };
}

pub(crate) use {err, errln, out, outln};

/// Writes `text` (and a newline if `newline`) to `stream`, ignoring a failed write:
/// there is nowhere left to report it, and the command must go on.
pub fn write_to(stream: &mut impl Write, text: fmt::Arguments<'_>, newline: bool) {
    let written = stream.write_fmt(text).and_then(|()| {
        if newline {
            stream.write_all(b"\n")
        } else {
            Ok(())
        }
    });
    drop(written);
}

/// How often a search's progress is logged when stderr is not a terminal.
pub const LOG_EVERY: Duration = Duration::from_secs(5);

/// The progress lines of a search (the hunts) on stderr. At a terminal, one line
/// rewritten in place. Elsewhere (a log, a pipe, CI) at most one line per
/// [`LOG_EVERY`], so that a long search shows it is advancing without writing a line
/// per batch of evaluations; [`Self::finish`] writes the last state if it was held back.
#[derive(Debug)]
pub struct ProgressLines {
    terminal: bool,
    every: Duration,
    last_written: Option<Instant>,
    held_back: Option<String>,
    drawn: bool,
}

impl ProgressLines {
    /// Lines on stderr, rewritten in place if it is a terminal.
    pub fn on_stderr() -> Self {
        Self::new(std::io::stderr().is_terminal(), LOG_EVERY)
    }

    fn new(terminal: bool, every: Duration) -> Self {
        Self {
            terminal,
            every,
            last_written: None,
            held_back: None,
            drawn: false,
        }
    }

    /// Shows `line` as the current state.
    pub fn update(&mut self, line: String) {
        self.update_at(line, Instant::now(), &mut std::io::stderr().lock());
    }

    /// Ends the progress: the last state is on its own line.
    pub fn finish(&mut self) {
        self.finish_to(&mut std::io::stderr().lock());
    }

    fn update_at(&mut self, line: String, now: Instant, out: &mut impl Write) {
        if self.terminal {
            // Back to the start of the line, then clear what a longer line left.
            write_to(out, format_args!("\r{line}\x1b[K"), false);
            self.drawn = true;
            return;
        }
        let due = self
            .last_written
            .is_none_or(|at| now.duration_since(at) >= self.every);
        if due {
            write_to(out, format_args!("{line}"), true);
            self.last_written = Some(now);
            self.held_back = None;
        } else {
            self.held_back = Some(line);
        }
    }

    fn finish_to(&mut self, out: &mut impl Write) {
        if self.drawn {
            write_to(out, format_args!(""), true);
            self.drawn = false;
        }
        if let Some(line) = self.held_back.take() {
            write_to(out, format_args!("{line}"), true);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;

    /// A stream whose reader has gone.
    struct ClosedPipe;

    impl Write for ClosedPipe {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::from(io::ErrorKind::BrokenPipe))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_closed_stream_drops_the_text_instead_of_panicking() {
        write_to(&mut ClosedPipe, format_args!("lost {}", 1), true);
    }

    #[test]
    fn a_log_gets_a_progress_line_per_period_and_the_last_state_at_the_end() {
        let mut lines = ProgressLines::new(false, Duration::from_secs(5));
        let mut log = Vec::new();
        let start = Instant::now();
        for (i, at_s) in [0, 1, 2, 6, 7].into_iter().enumerate() {
            let now = start + Duration::from_secs(at_s);
            lines.update_at(format!("state {i}"), now, &mut log);
        }
        lines.finish_to(&mut log);
        // 0 s is written, 1 s and 2 s are held back, 6 s is written, 7 s only at the end.
        assert_eq!(
            String::from_utf8(log).unwrap(),
            "state 0\nstate 3\nstate 4\n"
        );
    }

    #[test]
    fn a_terminal_gets_one_line_rewritten_in_place() {
        let mut lines = ProgressLines::new(true, Duration::from_secs(5));
        let mut screen = Vec::new();
        let now = Instant::now();
        lines.update_at("state 0".into(), now, &mut screen);
        lines.update_at("state 1".into(), now, &mut screen);
        lines.finish_to(&mut screen);
        assert_eq!(
            String::from_utf8(screen).unwrap(),
            "\rstate 0\x1b[K\rstate 1\x1b[K\n"
        );
    }

    #[test]
    fn text_and_its_newline_reach_an_open_stream() {
        let mut buffer = Vec::new();
        write_to(&mut buffer, format_args!("a = {}", 1), true);
        write_to(&mut buffer, format_args!("b"), false);
        assert_eq!(buffer, b"a = 1\nb");
    }
}
