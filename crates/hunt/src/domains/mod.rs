//! Built-in problem domains, each a heuristic family with an exact benchmark.

pub mod binpack;
pub mod lb;
pub mod te;
