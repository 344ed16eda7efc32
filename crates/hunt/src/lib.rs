//! Worst-case search for heuristics (`faultline hunt-heuristic`).
//!
//! Given a heuristic and a benchmark (the exact optimum, or another policy),
//! find the inputs on which the heuristic falls furthest behind. The search
//! is *code-aware*: heuristics mark their decision points with
//! [`decision!`], every evaluation yields a [`Trace`] of those comparisons
//! and their margins, and the guided search uses it to group inputs by path
//! and move inputs onto and across decision boundaries. Black-box baselines
//! (random sampling, hill climbing, simulated annealing) run through the
//! same core for comparison.
//!
//! Main types:
//! - [`Objective`], [`Bound`]: the generic problem (a box of ranges ->
//!   value + trace); [`search()`] runs a [`Method`] on it.
//! - [`domains`]: built-in domains with their heuristics and exact
//!   benchmarks: traffic engineering ([`domains::te`]), bin packing
//!   ([`domains::binpack`]), load balancing ([`domains::lb`]).
//! - [`scenario`]: the scenario hunt (`faultline hunt FILE`) over an
//!   experiment's fault timing and traffic shape, on the simulator.
//! - [`hunt_heuristic`] with [`HeuristicHuntConfig`]: the entry point of
//!   `faultline hunt-heuristic`, writing a re-runnable case file
//!   ([`rerun`]) and the progress series.
//!
//! What a hunt can promise: the gap it reports is real (the case file
//! reproduces it exactly). What it cannot: that no worse input exists.
//!
//! # Example
//!
//! ```
//! use faultline_hunt::{search, Bound, HuntError, Method, Objective, SearchConfig, Trace};
//!
//! /// A toy heuristic: serve `x` in full only while it is at most 10.
//! struct Toy(Vec<Bound>);
//! impl Objective for Toy {
//!     fn bounds(&self) -> &[Bound] { &self.0 }
//!     fn evaluate(&self, x: &[f64], t: &mut Trace) -> Result<f64, HuntError> {
//!         let served = if faultline_hunt::decision!(t, "small", input = 0, x[0] <= 10.0) { x[0] } else { 0.0 };
//!         Ok(x[0] - served) // gap against serving everything
//!     }
//! }
//! let toy = Toy(vec![Bound::real(0.0, 400.0)]);
//! let out = search(&toy, &SearchConfig::new(Method::Guided, 200, 7), &mut |_| {}).unwrap();
//! assert!(out.best_value > 390.0);
//! ```

pub mod domains;
mod error;
pub mod hunt;
mod rng;
pub mod scenario;
pub mod search;
pub mod trace;

pub use error::HuntError;
pub use hunt::{
    hunt_heuristic, rerun, BuiltProblem, Case, Domain, HeuristicHuntConfig, HuntResult,
    ProblemSpec, Progress, Rerun,
};
pub use rng::{mix64, Rng};
pub use search::{search, Bound, Method, Objective, ProgressPoint, SearchConfig, SearchOutcome};
pub use trace::{CmpOp, Decision, Trace};
