//! Counting latencies straight into the cells of the record's HDR histograms.
//!
//! A bucket's latencies used to be kept raw and sorted when the bucket closed; with
//! thousands of operations per bucket the sort dominated the cost of recording. Here
//! each latency increments the count of its cell (a few bit operations), and closing
//! the bucket sorts only the distinct cells touched.
//!
//! The cell arithmetic is the one of `hdrhistogram` with 2 significant digits and a
//! lowest discernible value of 1 (`LatencyHistogram`): 256 sub-buckets, the upper
//! half of each further bucket doubling in width. The tests check it against the
//! crate itself.

/// log2 of the half sub-bucket count (128) for 2 significant digits.
const HALF_MAGNITUDE: u32 = 7;
/// `64 - unit magnitude (0) - HALF_MAGNITUDE - 1`.
const LEADING_ZERO_BASE: u32 = 64 - HALF_MAGNITUDE - 1;
/// Mask of the first bucket's sub-bucket bits (256 sub-buckets).
const SUB_BUCKET_MASK: u64 = 255;

/// A pseudo-cell for `u64::MAX`, to which `highest_equivalent` gives its own value
/// (every other value of the top cell gets `u64::MAX - 1`).
const MAX_INDEX: usize = (56 << HALF_MAGNITUDE) + 256;

/// The dense index of a value's cell.
#[inline]
fn cell_index(value_us: u64) -> usize {
    if value_us == u64::MAX {
        return MAX_INDEX;
    }
    let bucket = LEADING_ZERO_BASE - (value_us | SUB_BUCKET_MASK).leading_zeros();
    let sub_bucket = value_us >> bucket;
    ((bucket as usize) << HALF_MAGNITUDE) + sub_bucket as usize
}

/// The largest value of the cell at a dense index (the histogram's
/// `highest_equivalent`, the value a record's sparse pairs carry).
#[inline]
pub(crate) fn cell_highest(index: usize) -> u64 {
    if index == MAX_INDEX {
        return u64::MAX;
    }
    let bucket = if index < 256 {
        0
    } else {
        (index >> HALF_MAGNITUDE) as u32 - 1
    };
    let sub_bucket = (index - ((bucket as usize) << HALF_MAGNITUDE)) as u64;
    let lowest = sub_bucket << bucket;
    lowest.saturating_add(1u64 << bucket) - 1
}

/// Latency counts per histogram cell, with the list of cells in use so that reading
/// and clearing cost the distinct cells, not the histogram's range.
#[derive(Debug, Default, Clone)]
pub(crate) struct CellCounts {
    counts: Vec<u64>,
    touched: Vec<u32>,
}

impl CellCounts {
    /// Counts one latency.
    #[inline(always)]
    pub(crate) fn record(&mut self, latency_us: u64) {
        let i = cell_index(latency_us);
        if i >= self.counts.len() {
            // Grows to the largest latency seen, not to the full u64 range.
            self.counts.resize(i + 1, 0);
        }
        let c = &mut self.counts[i];
        if *c == 0 {
            self.touched.push(i as u32);
        }
        *c += 1;
    }

    /// Calls `each(cell, count)` for the non-empty cells, ascending (with
    /// [`cell_highest`] of the cell, the pairs `LatencyHistogram::to_sparse` gives),
    /// and empties the counts for reuse.
    pub(crate) fn drain(&mut self, mut each: impl FnMut(usize, u64)) {
        let (lo, hi) = self
            .touched
            .iter()
            .fold((u32::MAX, 0), |(lo, hi), &i| (lo.min(i), hi.max(i)));
        if !self.touched.is_empty() && (hi - lo) as usize <= 8 * self.touched.len() {
            // Dense enough: one pass over the range beats sorting the cells.
            for i in lo as usize..=hi as usize {
                let c = std::mem::take(&mut self.counts[i]);
                if c != 0 {
                    each(i, c);
                }
            }
        } else {
            self.touched.sort_unstable();
            for &i in &self.touched {
                let c = std::mem::take(&mut self.counts[i as usize]);
                each(i as usize, c);
            }
        }
        self.touched.clear();
    }

    /// [`Self::drain`] into `[value_us, count]` pairs, as a [`Bucket`](crate::Bucket)
    /// holds them.
    pub(crate) fn take_sparse(&mut self) -> Vec<(u64, u64)> {
        let mut pairs = Vec::new();
        self.drain(|i, c| pairs.push((cell_highest(i), c)));
        pairs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_match_the_hdr_histogram_everywhere() {
        let mut values: Vec<u64> = (0..5_000u64).collect();
        for shift in 0..64 {
            let base = 1u64 << shift;
            for d in [0u64, 1, 2, 3, 127, 128, 255, 256] {
                values.push(base.saturating_add(d));
                values.push(base.saturating_sub(d));
                values.push(base.saturating_mul(3).saturating_sub(d));
            }
        }
        values.push(u64::MAX);
        values.extend((0..20_000u64).map(|i| (i * 7_919 % 10_007) * (1 + i % 977) * (1 + i % 13)));
        let mut counts = CellCounts::default();
        for &v in &values {
            counts.record(v);
        }
        let fast = counts.take_sparse();
        // The reference: `hdrhistogram`'s own cell of each value, grouped in order.
        let reference = hdrhistogram::Histogram::<u64>::new(2).expect("2 digits is valid");
        let mut sorted = values.clone();
        sorted.sort_unstable();
        let mut slow: Vec<(u64, u64)> = Vec::new();
        for v in sorted {
            let cell = reference.highest_equivalent(v);
            match slow.last_mut() {
                Some((last, count)) if *last == cell => *count += 1,
                _ => slow.push((cell, 1)),
            }
        }
        assert_eq!(fast, slow);
        // Emptied for reuse.
        assert!(counts.take_sparse().is_empty());
        counts.record(1_000);
        counts.record(1_001);
        assert_eq!(counts.take_sparse(), vec![(1_003, 2)]);
        // Sparse cells far apart (the sorting path) and dense ones (the scanning path).
        for v in [5_000_000, 3, 70_000, 3] {
            counts.record(v);
        }
        assert_eq!(
            counts.take_sparse(),
            vec![(3, 2), (70_143, 1), (5_013_503, 1)]
        );
        for v in (0..300).rev() {
            counts.record(v);
        }
        assert_eq!(
            counts.take_sparse(),
            (0..256)
                .map(|v| (v, 1))
                .chain((256..300).step_by(2).map(|v| (v + 1, 2)))
                .collect::<Vec<_>>()
        );
    }
}
