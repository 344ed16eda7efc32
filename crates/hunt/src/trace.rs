//! Decision traces: the comparisons a heuristic made, with their margins.
//!
//! A heuristic marks each decision point with [`decision!`](crate::decision). The
//! macro evaluates the comparison, records a [`Decision`] (site, branch taken,
//! margin) into a [`Trace`] and returns the `bool`, so it drops into an `if`:
//!
//! ```
//! use faultline_hunt::{decision, Trace};
//! let mut trace = Trace::new();
//! let (demand, threshold) = (7.0, 10.0);
//! if decision!(&mut trace, "pin", input = 3, demand <= threshold) {
//!     // pinned
//! }
//! assert_eq!(trace.decisions()[0].margin, 3.0);
//! assert!(trace.decisions()[0].taken);
//! ```
//!
//! The margin is always `rhs - lhs`: how far the left side can grow before a
//! `<=`/`<` comparison flips (negative once it has flipped). For `>=`/`>` the
//! margin is `lhs - rhs`, so in every case a positive margin means "the
//! comparison holds with room to spare" and the boundary is at margin zero.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

/// Upper bound on recorded decisions per evaluation; later ones are counted
/// but not stored, so a runaway loop cannot exhaust memory.
pub const TRACE_DECISIONS_MAX: usize = 1 << 16;

/// One comparison made by a heuristic or model.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// Name of the decision point (a string literal at the call site).
    pub site: &'static str,
    /// Which branch was taken: the value of the comparison.
    pub taken: bool,
    /// Distance to the boundary, positive while the comparison holds
    /// (`rhs - lhs` for `<`/`<=`, `lhs - rhs` for `>`/`>=`).
    pub margin: f64,
    /// The input coordinate this comparison directly depends on, when the
    /// call site says so (`input = i`, meaning the left side grows with input
    /// `i`, typically *is* input `i`); lets the guided search move exactly
    /// that coordinate onto or across the boundary.
    pub input: Option<usize>,
    /// When the left side is a sum of several inputs (plus a constant), the
    /// input coordinates it sums (at slope one each); `input` is then the
    /// first of them. Empty for a one-input or unnamed decision. Lets the
    /// search move several coordinates together onto or across the
    /// boundary, or trade between them while the sum stays put.
    pub lhs_inputs: Vec<usize>,
    /// Likewise for the right side: the input coordinates it sums, so a
    /// comparison between two computed quantities (two items' sizes in a
    /// sort) can be brought to a tie.
    pub rhs_inputs: Vec<usize>,
    /// The comparison operator.
    pub op: CmpOp,
}

impl Decision {
    /// Whether the decision names more than one input coordinate (its sides
    /// are sums of inputs).
    pub fn is_linear(&self) -> bool {
        self.lhs_inputs.len() + self.rhs_inputs.len() > 1
    }
}

/// Comparison operator of a [`Decision`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `lhs < rhs`
    Lt,
    /// `lhs <= rhs`
    Le,
    /// `lhs > rhs`
    Gt,
    /// `lhs >= rhs`
    Ge,
}

impl CmpOp {
    /// Whether the comparison holds while the left side is *below* the right.
    pub fn is_upper_bound(self) -> bool {
        matches!(self, CmpOp::Lt | CmpOp::Le)
    }

    /// Whether the comparison holds at equality.
    pub fn holds_at_equality(self) -> bool {
        matches!(self, CmpOp::Le | CmpOp::Ge)
    }
}

/// The sequence of decisions taken during one evaluation.
#[derive(Debug, Clone, Default)]
pub struct Trace {
    decisions: Vec<Decision>,
    dropped: u64,
}

impl Trace {
    /// An empty trace.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records one decision and returns its branch, for use in conditions.
    ///
    /// `lhs` and `rhs` are the two sides of `lhs op rhs`; the branch and the
    /// margin are derived from them.
    pub fn record(
        &mut self,
        site: &'static str,
        op: CmpOp,
        lhs: f64,
        rhs: f64,
        input: Option<usize>,
    ) -> bool {
        self.record_sums(site, op, lhs, rhs, input, Vec::new(), Vec::new())
    }

    /// Records a decision whose sides are sums of input coordinates (plus
    /// constants): `lhs_inputs` and `rhs_inputs` name them (see
    /// [`Decision::lhs_inputs`]). `input` defaults to the first of
    /// `lhs_inputs`. Used by the `sums = (..)` form of
    /// [`decision!`](crate::decision).
    #[allow(clippy::too_many_arguments)]
    pub fn record_sums(
        &mut self,
        site: &'static str,
        op: CmpOp,
        lhs: f64,
        rhs: f64,
        input: Option<usize>,
        lhs_inputs: Vec<usize>,
        rhs_inputs: Vec<usize>,
    ) -> bool {
        let input = input.or_else(|| lhs_inputs.first().copied());
        let (taken, margin) = match op {
            CmpOp::Lt => (lhs < rhs, rhs - lhs),
            CmpOp::Le => (lhs <= rhs, rhs - lhs),
            CmpOp::Gt => (lhs > rhs, lhs - rhs),
            CmpOp::Ge => (lhs >= rhs, lhs - rhs),
        };
        if self.decisions.len() < TRACE_DECISIONS_MAX {
            self.decisions.push(Decision {
                site,
                taken,
                margin,
                input,
                lhs_inputs,
                rhs_inputs,
                op,
            });
        } else {
            self.dropped += 1;
        }
        taken
    }

    /// The decisions recorded so far, in order.
    pub fn decisions(&self) -> &[Decision] {
        &self.decisions
    }

    /// Decisions that were not stored because [`TRACE_DECISIONS_MAX`] was reached.
    pub fn dropped_count(&self) -> u64 {
        self.dropped
    }

    /// Removes every decision (keeps the allocation).
    pub fn clear(&mut self) {
        self.decisions.clear();
        self.dropped = 0;
    }

    /// A hash of the path: the sequence of (site, branch) pairs. Inputs with
    /// the same signature took the same branches in the same order.
    pub fn path_signature(&self) -> u64 {
        let mut hasher = DefaultHasher::new();
        for d in &self.decisions {
            d.site.hash(&mut hasher);
            d.taken.hash(&mut hasher);
        }
        self.decisions.len().hash(&mut hasher);
        hasher.finish()
    }
}

/// Records a decision point into a [`Trace`] and returns the comparison's value.
///
/// Forms (the comparison is `lhs OP rhs` with `OP` one of `<=`, `<`, `>=`, `>`;
/// both sides are cast to `f64` for the margin):
///
/// - `decision!(trace, "site", lhs <= rhs)`
/// - `decision!(trace, "site", input = i, lhs <= rhs)` — also names the input
///   coordinate `i` the comparison depends on.
/// - `decision!(trace, "site", sums = (l, r), lhs <= rhs)` — the left side is
///   the sum of the input coordinates `l` (a `Vec<usize>`) plus a constant,
///   the right side that of `r` (possibly empty): e.g. a bin's load plus an
///   item against the capacity, or two items' sizes in a sort.
///
/// Wrap a side in parentheses if it itself contains `<` or `>` (generics).
#[macro_export]
macro_rules! decision {
    ($trace:expr, $site:expr, sums = ($l:expr, $r:expr), $($cond:tt)+) => {
        $crate::__decision_split!(@lhs [$trace, $site, ::core::option::Option::None, $l, $r] [] $($cond)+)
    };
    ($trace:expr, $site:expr, input = $input:expr, $($cond:tt)+) => {
        $crate::__decision_split!(@lhs [$trace, $site, ::core::option::Option::Some($input), ::std::vec::Vec::new(), ::std::vec::Vec::new()] [] $($cond)+)
    };
    ($trace:expr, $site:expr, $($cond:tt)+) => {
        $crate::__decision_split!(@lhs [$trace, $site, ::core::option::Option::None, ::std::vec::Vec::new(), ::std::vec::Vec::new()] [] $($cond)+)
    };
}

/// Implementation detail of [`decision!`]: splits the comparison at its operator.
#[doc(hidden)]
#[macro_export]
macro_rules! __decision_split {
    (@lhs [$trace:expr, $site:expr, $input:expr, $li:expr, $ri:expr] [$($l:tt)+] <= $($r:tt)+) => {
        $crate::Trace::record_sums($trace, $site, $crate::CmpOp::Le, ($($l)+) as f64, ($($r)+) as f64, $input, $li, $ri)
    };
    (@lhs [$trace:expr, $site:expr, $input:expr, $li:expr, $ri:expr] [$($l:tt)+] >= $($r:tt)+) => {
        $crate::Trace::record_sums($trace, $site, $crate::CmpOp::Ge, ($($l)+) as f64, ($($r)+) as f64, $input, $li, $ri)
    };
    (@lhs [$trace:expr, $site:expr, $input:expr, $li:expr, $ri:expr] [$($l:tt)+] < $($r:tt)+) => {
        $crate::Trace::record_sums($trace, $site, $crate::CmpOp::Lt, ($($l)+) as f64, ($($r)+) as f64, $input, $li, $ri)
    };
    (@lhs [$trace:expr, $site:expr, $input:expr, $li:expr, $ri:expr] [$($l:tt)+] > $($r:tt)+) => {
        $crate::Trace::record_sums($trace, $site, $crate::CmpOp::Gt, ($($l)+) as f64, ($($r)+) as f64, $input, $li, $ri)
    };
    (@lhs $ctx:tt [$($l:tt)*] $next:tt $($rest:tt)*) => {
        $crate::__decision_split!(@lhs $ctx [$($l)* $next] $($rest)*)
    };
}

#[cfg(test)]
mod tests {
    use crate::{CmpOp, Trace};

    #[test]
    fn macro_records_margin_and_branch_for_every_operator() {
        let mut t = Trace::new();
        let x = 4.0_f64;
        let n = 3_usize;
        assert!(crate::decision!(&mut t, "le", x <= 5.0));
        assert!(!crate::decision!(&mut t, "lt", x + 1.0 < 5.0));
        assert!(crate::decision!(&mut t, "ge", input = 2, n >= 2));
        assert!(!crate::decision!(&mut t, "gt", x * 2.0 > (n * 3)));
        let d = t.decisions();
        assert_eq!(d.len(), 4);
        assert_eq!((d[0].site, d[0].taken, d[0].margin), ("le", true, 1.0));
        assert_eq!((d[1].taken, d[1].margin), (false, 0.0));
        assert_eq!((d[2].margin, d[2].input), (1.0, Some(2)));
        assert_eq!((d[3].taken, d[3].margin), (false, -1.0));
        assert!(d.iter().all(|d| !d.is_linear()));
        let (a, b) = (3.0_f64, 5.0_f64);
        assert!(crate::decision!(
            &mut t,
            "sum",
            sums = (vec![4, 7], vec![1]),
            a + b >= 6.0
        ));
        let s = &t.decisions()[4];
        assert_eq!((s.input, s.margin, s.is_linear()), (Some(4), 2.0, true));
        assert_eq!(
            (s.lhs_inputs.as_slice(), s.rhs_inputs.as_slice()),
            (&[4, 7][..], &[1][..])
        );
    }

    #[test]
    fn signature_depends_on_branches_not_margins() {
        let mut a = Trace::new();
        let mut b = Trace::new();
        a.record("s", CmpOp::Le, 1.0, 2.0, None);
        b.record("s", CmpOp::Le, 1.0, 9.0, None);
        assert_eq!(a.path_signature(), b.path_signature());
        b.record("s", CmpOp::Le, 1.0, 0.0, None);
        assert_ne!(a.path_signature(), b.path_signature());
    }
}
