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

/// Latency counts per histogram cell, with a bitmap of the cells in use so that
/// reading and clearing cost the distinct cells (and one word per 64 cells), not the
/// histogram's range.
///
/// The bitmap replaced a list of touched cells: setting a bit needs no branch and no
/// push per latency, and reading the bits word by word gives the cells in ascending
/// order without a sort.
#[derive(Debug, Default, Clone)]
pub(crate) struct CellCounts {
    counts: Vec<u64>,
    /// Bit `i % 64` of word `i / 64` is set when `counts[i]` is not zero; as long as
    /// `counts` rounded up to whole words.
    touched: Vec<u64>,
}

impl CellCounts {
    /// Counts one latency.
    #[inline(always)]
    pub(crate) fn record(&mut self, latency_us: u64) {
        let i = cell_index(latency_us);
        if i >= self.counts.len() {
            self.grow(i);
        }
        self.counts[i] += 1;
        if let Some(word) = self.touched.get_mut(i >> 6) {
            *word |= 1 << (i & 63);
        }
    }

    /// Grows to the largest latency seen, not to the full u64 range (whole words, so
    /// that every cell of `counts` has its bit).
    #[cold]
    #[inline(never)]
    fn grow(&mut self, i: usize) {
        let words = i / 64 + 1;
        self.counts.resize(words * 64, 0);
        self.touched.resize(words, 0);
    }

    /// How many cells are not empty.
    pub(crate) fn distinct(&self) -> usize {
        self.touched.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Calls `each(cell, count)` for the non-empty cells, ascending (with
    /// [`cell_highest`] of the cell, the pairs `LatencyHistogram::to_sparse` gives),
    /// and empties the counts for reuse.
    #[inline]
    pub(crate) fn drain(&mut self, mut each: impl FnMut(usize, u64)) {
        for (w, word) in self.touched.iter_mut().enumerate() {
            let mut bits = std::mem::take(word);
            while bits != 0 {
                let i = w * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                each(i, std::mem::take(&mut self.counts[i]));
            }
        }
    }

    /// [`Self::drain`] into `[value_us, count]` pairs, as a [`Bucket`](crate::Bucket)
    /// holds them.
    pub(crate) fn take_sparse(&mut self) -> Vec<(u64, u64)> {
        let mut pairs = Vec::with_capacity(self.distinct());
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
        // Sparse cells far apart and dense ones.
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
