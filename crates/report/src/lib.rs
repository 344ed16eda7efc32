//! faultline reports: what a run's [`Summary`](faultline_analyze::Summary) looks like to
//! people and to CI.
//!
//! [`terminal`] renders the terminal summary (verdict table, key metrics, component
//! impact, fault timeline). HTML, JUnit XML and Markdown come in their own modules.
//! Every renderer is a pure function from an analysis to text: no I/O, no clock. The
//! one exception is [`progress`], the live progress lines, which write to standard
//! error and space their log lines by the wall clock.
//!
//! ```
//! use faultline_report::{render_terminal, TerminalStyle};
//! # fn show(summary: &faultline_analyze::Summary) {
//! print!("{}", render_terminal(summary, TerminalStyle::Plain));
//! # }
//! ```

pub mod terminal;

pub mod findings;
pub mod gap;
pub mod html;
pub mod junit;
pub mod markdown;
pub mod multi;
pub mod progress;
mod text;
pub mod topology;

pub use terminal::{render_terminal, TerminalStyle};

pub use gap::{compare, render_gap_html, render_gap_terminal, Gap};
pub use html::render_html;
pub use junit::render_junit;
pub use markdown::render_markdown;
pub use multi::{render_multi, render_multi_terminal};
pub use progress::{ProgressLines, ProgressView};
pub use text::counted;
