//! The live progress view: one terminal line, rewritten in place, with the phase, elapsed
//! and remaining time, the current rate, the error rate and the active faults.
//!
//! Quiet when the output is not a terminal or with `--quiet`: then [`ProgressView`]
//! writes nothing at all, so logs and pipes stay clean. For what lasts minutes of wall
//! time (a live run, a hunt), [`ProgressLines`] writes a line at most every
//! [`LOG_EVERY`] in a log instead.
//!
//! ```
//! use faultline_record::Progress;
//! use faultline_report::progress::{render_line, ProgressView};
//!
//! let p = Progress { phase: "observe".into(), elapsed_us: 642_000_000, total_us: 990_000_000,
//!     rate_per_s: 412.0, error_rate: 0.532, active_faults: vec!["kill db.primary".into()] };
//! assert_eq!(render_line(&p, 200),
//!     "observe  [##########......] 10:42/16:30 (5:48 left) 412 ops/s, errors 53.2%, fault: kill db.primary");
//!
//! let mut view = ProgressView::new(true); // --quiet
//! let mut out = Vec::new();
//! view.update(&p, &mut out).unwrap();
//! assert!(out.is_empty());
//! ```

use std::io::{self, IsTerminal, Write};
use std::time::{Duration, Instant};

use faultline_record::Progress;

/// Width of the bar in characters.
const BAR_WIDTH: usize = 16;

/// Renders a snapshot as one line of at most `width` characters (no newline).
pub fn render_line(p: &Progress, width: usize) -> String {
    let fraction = if p.total_us == 0 {
        0.0
    } else {
        (p.elapsed_us as f64 / p.total_us as f64).clamp(0.0, 1.0)
    };
    let filled = (fraction * BAR_WIDTH as f64).round() as usize;
    let bar: String = "#".repeat(filled) + &".".repeat(BAR_WIDTH - filled);
    let left_us = p.total_us.saturating_sub(p.elapsed_us);
    let mut line = format!(
        "{:<8} [{bar}] {}/{} ({} left) {} ops/s, errors {}",
        p.phase,
        clock(p.elapsed_us),
        clock(p.total_us),
        clock(left_us),
        crate::text::number(p.rate_per_s, 0),
        crate::text::percent(p.error_rate.clamp(0.0, 1.0)),
    );
    if !p.active_faults.is_empty() {
        line.push_str(&format!(", fault: {}", p.active_faults.join(", ")));
    }
    if line.chars().count() > width {
        let cut: String = line.chars().take(width.saturating_sub(1)).collect();
        line = format!("{cut}…");
    }
    line
}

/// `m:ss` (or `h:mm:ss`) of microseconds.
fn clock(us: u64) -> String {
    let s = us / 1_000_000;
    if s >= 3_600 {
        format!("{}:{:02}:{:02}", s / 3_600, (s / 60) % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// One updating terminal line; silent when disabled.
#[derive(Debug)]
pub struct ProgressView {
    enabled: bool,
    width: usize,
    drawn: bool,
}

impl ProgressView {
    /// A view on standard error: enabled only when standard error is a terminal and not
    /// `quiet`. The width comes from `COLUMNS` (default 80).
    pub fn new(quiet: bool) -> Self {
        let width = std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.parse::<usize>().ok())
            .filter(|w| *w >= 20)
            .unwrap_or(80);
        Self::with(!quiet && io::stderr().is_terminal(), width)
    }

    /// A view with an explicit setting (tests, or a caller that decided already).
    pub fn with(enabled: bool, width: usize) -> Self {
        Self {
            enabled,
            width: width.max(20),
            drawn: false,
        }
    }

    /// Whether the view draws anything.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Redraws the line with a new snapshot.
    pub fn update(&mut self, p: &Progress, out: &mut impl Write) -> io::Result<()> {
        if !self.enabled {
            return Ok(());
        }
        redraw(out, &render_line(p, self.width - 1))?;
        self.drawn = true;
        out.flush()
    }

    /// Clears the line (call before printing the summary).
    pub fn finish(&mut self, out: &mut impl Write) -> io::Result<()> {
        if self.enabled && self.drawn {
            write!(out, "\r\x1b[K")?;
            self.drawn = false;
            out.flush()?;
        }
        Ok(())
    }

    /// Updates the view on standard error, ignoring write errors (a progress line is
    /// never worth failing a run for).
    pub fn update_stderr(&mut self, p: &Progress) {
        let _ = self.update(p, &mut io::stderr().lock());
    }

    /// Clears the line on standard error.
    pub fn finish_stderr(&mut self) {
        let _ = self.finish(&mut io::stderr().lock());
    }
}

/// Replaces the terminal's current line with `line`.
fn redraw(out: &mut impl Write, line: &str) -> io::Result<()> {
    // `\r` back to the line's start, `ESC[K` clears what a longer line left behind.
    write!(out, "\r{line}\x1b[K")
}

/// How often a long task's progress is logged when standard error is not a terminal.
pub const LOG_EVERY: Duration = Duration::from_secs(5);

/// The progress lines of what lasts minutes of wall time (a hunt, a live run). At
/// a terminal, one line rewritten in place and left on screen at the end. Elsewhere (a
/// log, a pipe, CI), at most one line per [`LOG_EVERY`], so that the log shows the task
/// advancing without a line per update (a hunt updates per batch of evaluations, a
/// live run every second); [`Self::finish_stderr`]
/// writes the last state if it was held back. Nothing at all when quiet.
#[derive(Debug)]
pub struct ProgressLines {
    quiet: bool,
    terminal: bool,
    every: Duration,
    last_written: Option<Instant>,
    held_back: Option<String>,
    drawn: bool,
}

impl ProgressLines {
    /// Lines on standard error, rewritten in place if it is a terminal; none if `quiet`.
    pub fn new(quiet: bool) -> Self {
        Self::with(quiet, io::stderr().is_terminal(), LOG_EVERY)
    }

    /// Lines with explicit settings (tests, or a caller that decided already).
    pub fn with(quiet: bool, terminal: bool, every: Duration) -> Self {
        Self {
            quiet,
            terminal,
            every,
            last_written: None,
            held_back: None,
            drawn: false,
        }
    }

    /// Shows the line `line` makes as the current state on standard error, ignoring
    /// write errors (a progress line is never worth failing a task for). The line is
    /// made only when it may be shown: a quiet one (a simulated run's, `--quiet`) costs
    /// nothing per update.
    pub fn update_stderr(&mut self, line: impl FnOnce() -> String) {
        if self.quiet {
            return;
        }
        let _ = self.update(line(), Instant::now(), &mut io::stderr().lock());
    }

    /// Ends the progress on standard error: the last state stays on its own line.
    pub fn finish_stderr(&mut self) {
        let _ = self.finish(&mut io::stderr().lock());
    }

    /// Shows `line` as the state at `now`.
    pub fn update(&mut self, line: String, now: Instant, out: &mut impl Write) -> io::Result<()> {
        if self.quiet {
            return Ok(());
        }
        if self.terminal {
            redraw(out, &line)?;
            self.drawn = true;
            return out.flush();
        }
        let due = self
            .last_written
            .is_none_or(|at| now.duration_since(at) >= self.every);
        if due {
            writeln!(out, "{line}")?;
            self.last_written = Some(now);
            self.held_back = None;
        } else {
            self.held_back = Some(line);
        }
        Ok(())
    }

    /// Ends the progress: the last state is on its own line.
    pub fn finish(&mut self, out: &mut impl Write) -> io::Result<()> {
        if self.drawn {
            writeln!(out)?;
            self.drawn = false;
        }
        if let Some(line) = self.held_back.take() {
            writeln!(out, "{line}")?;
        }
        out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot() -> Progress {
        Progress {
            phase: "baseline".into(),
            elapsed_us: 30_000_000,
            total_us: 120_000_000,
            rate_per_s: 48.4,
            error_rate: 0.0,
            active_faults: Vec::new(),
        }
    }

    #[test]
    fn the_line_shows_phase_time_rate_errors_and_faults() {
        assert_eq!(
            render_line(&snapshot(), 200),
            "baseline [####............] 0:30/2:00 (1:30 left) 48 ops/s, errors 0%"
        );
        let p = Progress {
            active_faults: vec!["kill db.primary".into(), "pause api.1".into()],
            ..snapshot()
        };
        assert!(render_line(&p, 200).ends_with(", fault: kill db.primary, pause api.1"));
    }

    #[test]
    fn long_lines_are_cut_to_the_width() {
        let p = Progress {
            active_faults: vec!["x".repeat(300)],
            ..snapshot()
        };
        let line = render_line(&p, 80);
        assert_eq!(line.chars().count(), 80);
        assert!(line.ends_with('…'));
    }

    #[test]
    fn an_enabled_view_rewrites_one_line_and_clears_it() {
        let mut view = ProgressView::with(true, 100);
        let mut out = Vec::new();
        view.update(&snapshot(), &mut out).unwrap();
        view.update(&snapshot(), &mut out).unwrap();
        view.finish(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.matches('\r').count(), 3);
        assert!(!text.contains('\n'), "never scrolls");
        assert!(text.ends_with("\r\x1b[K"));
    }

    #[test]
    fn a_search_in_a_log_gets_a_line_per_period_and_the_last_state_at_the_end() {
        let mut lines = ProgressLines::with(false, false, Duration::from_secs(5));
        let mut log = Vec::new();
        let start = Instant::now();
        for (i, at_s) in [0, 1, 2, 6, 7].into_iter().enumerate() {
            let now = start + Duration::from_secs(at_s);
            lines.update(format!("state {i}"), now, &mut log).unwrap();
        }
        lines.finish(&mut log).unwrap();
        // 0 s is written, 1 s and 2 s are held back, 6 s is written, 7 s only at the end.
        assert_eq!(
            String::from_utf8(log).unwrap(),
            "state 0\nstate 3\nstate 4\n"
        );
    }

    #[test]
    fn a_search_at_a_terminal_rewrites_one_line_and_keeps_it() {
        let mut lines = ProgressLines::with(false, true, Duration::from_secs(5));
        let mut screen = Vec::new();
        let now = Instant::now();
        lines.update("state 0".into(), now, &mut screen).unwrap();
        lines.update("state 1".into(), now, &mut screen).unwrap();
        lines.finish(&mut screen).unwrap();
        assert_eq!(
            String::from_utf8(screen).unwrap(),
            "\rstate 0\x1b[K\rstate 1\x1b[K\n"
        );
    }

    #[test]
    fn a_quiet_search_writes_nothing() {
        let mut lines = ProgressLines::with(true, false, Duration::from_secs(5));
        let mut out = Vec::new();
        lines
            .update("state 0".into(), Instant::now(), &mut out)
            .unwrap();
        lines.finish(&mut out).unwrap();
        assert!(out.is_empty());
        // Nor does it make the line.
        lines.update_stderr(|| unreachable!("a quiet progress made its line"));
    }

    #[test]
    fn a_disabled_view_writes_nothing() {
        let mut view = ProgressView::with(false, 100);
        let mut out = Vec::new();
        view.update(&snapshot(), &mut out).unwrap();
        view.finish(&mut out).unwrap();
        assert!(out.is_empty());
    }
}
