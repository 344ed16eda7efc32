//! Exhaustive check of the largest FFD gap in one dimension, integer sizes
//! 1–9 in bins of 10, for a given item count (default 30, the benchmark's
//! setting).
//!
//! ```text
//! cargo run --release -p faultline-hunt --example ffd_enumerate -- 30
//! ```
//!
//! FFD only sees the multiset of sizes (it sorts them), so every multiset of
//! `n` sizes is enumerated (C(n + 8, 8) of them: 48,903,492 for 30 items),
//! FFD packed incrementally (sizes in decreasing order, so multisets that
//! share their large items share the packing of them) and compared with the
//! Martello–Toth lower bound L2 on the optimum. Only multisets where FFD is
//! at least two bins above L2 can have a gap of two or more; each of those
//! is solved exactly with [`optimal_bins`].

use faultline_hunt::domains::binpack::optimal_bins;

const CAPACITY: i64 = 10;

/// Martello–Toth L2: the best of the volume bound and, for each threshold
/// `k`, the large items that need a bin each plus the small items' excess.
fn lower_bound(counts: &[i64; 10]) -> i64 {
    let volume: i64 = (1..10).map(|s| s as i64 * counts[s]).sum();
    let mut best = (volume + CAPACITY - 1) / CAPACITY;
    for k in 0..=CAPACITY / 2 {
        let (mut big, mut mid, mut mid_volume, mut small_volume) = (0, 0, 0, 0);
        for s in 1..10i64 {
            let c = counts[s as usize];
            if s > CAPACITY - k {
                big += c;
            } else if s > CAPACITY / 2 {
                mid += c;
                mid_volume += s * c;
            } else if s >= k {
                small_volume += s * c;
            }
        }
        let excess = small_volume - (mid * CAPACITY - mid_volume);
        let extra = if excess > 0 {
            (excess + CAPACITY - 1) / CAPACITY
        } else {
            0
        };
        best = best.max(big + mid + extra);
    }
    best
}

struct Walk {
    multisets: u64,
    candidates: Vec<[i64; 10]>,
}

/// Chooses how many items of `size` (then smaller sizes) the multiset has,
/// packing them first fit onto `loads` as it goes.
fn walk(size: i64, left: i64, loads: &mut Vec<i64>, counts: &mut [i64; 10], out: &mut Walk) {
    if size == 0 {
        out.multisets += 1;
        if loads.len() as i64 - lower_bound(counts) >= 2 {
            out.candidates.push(*counts);
        }
        return;
    }
    let saved = loads.clone();
    for c in 0..=left {
        if c > 0 {
            match loads.iter_mut().find(|l| **l + size <= CAPACITY) {
                Some(l) => *l += size,
                None => loads.push(size),
            }
        }
        // Size 1 takes every item left.
        if size > 1 || c == left {
            counts[size as usize] = c;
            walk(size - 1, left - c, loads, counts, out);
        }
    }
    counts[size as usize] = 0;
    *loads = saved;
}

fn ffd_bins(counts: &[i64; 10]) -> usize {
    let mut loads: Vec<i64> = Vec::new();
    for s in (1..10i64).rev() {
        for _ in 0..counts[s as usize] {
            match loads.iter_mut().find(|l| **l + s <= CAPACITY) {
                Some(l) => *l += s,
                None => loads.push(s),
            }
        }
    }
    loads.len()
}

fn main() {
    let n: i64 = std::env::args()
        .nth(1)
        .map(|v| v.parse().unwrap_or_else(|_| panic!("item count, got {v}")))
        .unwrap_or(30);
    let mut out = Walk {
        multisets: 0,
        candidates: Vec::new(),
    };
    walk(9, n, &mut Vec::new(), &mut [0; 10], &mut out);
    let mut gap_max = 0;
    let mut example = None;
    let mut at_max = 0;
    for counts in &out.candidates {
        let items: Vec<Vec<f64>> = (1..10)
            .flat_map(|s| std::iter::repeat_n(vec![s as f64], counts[s] as usize))
            .collect();
        let opt = optimal_bins(&items, CAPACITY as f64).expect("exact optimum");
        let gap = ffd_bins(counts) as i64 - opt as i64;
        if gap > gap_max {
            gap_max = gap;
            at_max = 0;
            example = Some((*counts, ffd_bins(counts), opt));
        }
        at_max += usize::from(gap == gap_max);
    }
    println!(
        "{n} items: {} multisets, {} with FFD >= L2 + 2 solved exactly",
        out.multisets,
        out.candidates.len()
    );
    match example {
        Some((c, h, o)) => println!(
            "largest FFD gap: {gap_max} bins ({at_max} of the candidates), e.g. counts of sizes 1..9 {:?}: FFD {h}, optimum {o}",
            &c[1..]
        ),
        None => println!("largest FFD gap: at most 1 bin (no multiset has FFD >= L2 + 2)"),
    }
}
