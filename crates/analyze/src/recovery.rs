//! The recovery instant `t_r`: the start of the first window of healthy seconds.
//!
//! Alignment: candidate windows start on any bucket boundary from `t_f`'s bucket on
//! (so the RTO is exact to the 100 ms bucket), and the seconds of a window are the ten
//! consecutive buckets counted from the window's start. A second is healthy when
//! something completed in it, `ok ÷ completed >= success` and `ok >= throughput ×
//! started`. A window must lie wholly inside the record.

use crate::buckets::BUCKETS_PER_SECOND;

/// Tolerance of the ratio comparisons, so that 0.9 × 10 counts 9 as enough.
const RATIO_EPSILON: f64 = 1e-9;

/// What a healthy second must reach.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Criteria {
    /// Seconds in the window (at least 1).
    pub window_seconds: u64,
    /// Least `ok ÷ completed`.
    pub success: f64,
    /// Least `ok ÷ started`.
    pub throughput: f64,
}

/// Whether one second's sums meet the criteria.
fn healthy(started: u64, ok: u64, completed: u64, criteria: &Criteria) -> bool {
    completed > 0
        && ok as f64 >= (criteria.success - RATIO_EPSILON) * completed as f64
        && ok as f64 >= (criteria.throughput - RATIO_EPSILON) * started as f64
}

/// The offset (in buckets, from the first of `cells`) of the first healthy window, given
/// the `(started, ok, completed)` of every bucket from `t_f`'s bucket to the end.
pub fn first_healthy_window(cells: &[(u64, u64, u64)], criteria: &Criteria) -> Option<u64> {
    let per_second = BUCKETS_PER_SECOND as usize;
    let window_buckets = criteria.window_seconds.max(1) as usize * per_second;
    if cells.len() < window_buckets {
        return None;
    }
    // Prefix sums make each second an O(1) check.
    let mut prefix = Vec::with_capacity(cells.len() + 1);
    prefix.push((0u64, 0u64, 0u64));
    for &(s, o, c) in cells {
        let (ps, po, pc) = *prefix.last().expect("prefix starts non-empty");
        prefix.push((ps + s, po + o, pc + c));
    }
    let second_ok = |start: usize| {
        let (s0, o0, c0) = prefix[start];
        let (s1, o1, c1) = prefix[start + per_second];
        healthy(s1 - s0, o1 - o0, c1 - c0, criteria)
    };
    let healthy_seconds: Vec<bool> = (0..=cells.len() - per_second).map(second_ok).collect();
    (0..=cells.len() - window_buckets)
        .find(|&start| {
            (0..window_buckets)
                .step_by(per_second)
                .all(|offset| healthy_seconds[start + offset])
        })
        .map(|start| start as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CRITERIA: Criteria = Criteria {
        window_seconds: 2,
        success: 0.99,
        throughput: 0.9,
    };

    fn cells(pattern: &str) -> Vec<(u64, u64, u64)> {
        // One character per bucket: `o` healthy (10 started, 10 ok), `x` all failed,
        // `-` nothing at all, `s` slow (10 started, 8 ok, 8 completed).
        pattern
            .chars()
            .map(|c| match c {
                'o' => (10, 10, 10),
                'x' => (10, 0, 10),
                '-' => (0, 0, 0),
                's' => (10, 8, 8),
                _ => panic!("bad pattern char {c}"),
            })
            .collect()
    }

    #[test]
    fn a_window_starts_on_the_first_healthy_bucket() {
        let c = cells(&format!("xxx{}", "o".repeat(20)));
        assert_eq!(first_healthy_window(&c, &CRITERIA), Some(3));
    }

    #[test]
    fn a_window_must_fit_inside_the_record() {
        let c = cells(&format!("xxx{}", "o".repeat(19)));
        assert_eq!(first_healthy_window(&c, &CRITERIA), None);
    }

    #[test]
    fn throughput_below_the_offered_share_is_not_healthy() {
        // 8 of 10 offered is 80% < 90%, even though every completion was ok.
        let c = cells(&"s".repeat(40));
        assert_eq!(first_healthy_window(&c, &CRITERIA), None);
    }

    #[test]
    fn a_second_without_completions_is_not_healthy() {
        assert_eq!(
            first_healthy_window(&cells(&"-".repeat(40)), &CRITERIA),
            None
        );
        // Success and throughput are shares: one busy bucket makes a second healthy,
        // so the first window is the first one whose seconds each hold a completion.
        let c = cells(&format!("{}{}", "-".repeat(20), "o".repeat(20)));
        assert_eq!(first_healthy_window(&c, &CRITERIA), Some(11));
    }

    #[test]
    fn one_bad_bucket_in_a_second_can_still_pass_a_lenient_criterion() {
        // 90 of 100 ok in the second: passes 0.9/0.9, fails 0.99.
        let c = cells(&format!("x{}", "o".repeat(29)));
        let lenient = Criteria {
            success: 0.9,
            ..CRITERIA
        };
        assert_eq!(first_healthy_window(&c, &lenient), Some(0));
        assert_eq!(first_healthy_window(&c, &CRITERIA), Some(1));
    }
}
