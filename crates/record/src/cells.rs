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

/// The first block of 64 cells that [`CellCounts`] keeps out of its fast path: the
/// cells of latencies from 2^63 µs, among them the top cell (`MAX_INDEX - 1`, shared
/// by `u64::MAX - 1` and `u64::MAX` in the plain arithmetic), so that recording
/// needs no `u64::MAX` test; and a time difference that wrapped below zero (2^63 or
/// more) never reaches a plain cell, so that the recorder need not saturate it on
/// the fast path.
const TOP_BLOCK: usize = 114;
/// Words of 64 cells from the top block's first, enough for `MAX_INDEX`: what
/// `CellCounts::top` counts.
const TOP_WORDS: usize = 3;
const _: () = assert!(
    plain_cell_index(1 << 63) == TOP_BLOCK * 64
        && plain_cell_index((1 << 63) - 1) < TOP_BLOCK * 64
        && (TOP_BLOCK + TOP_WORDS) * 64 > MAX_INDEX
);
/// The most cells [`CellCounts::cells_len`] may be.
pub(crate) const MAX_CELLS: usize = (TOP_BLOCK + TOP_WORDS) * 64;

/// The dense index of a value's cell, except that `u64::MAX` shares the top cell
/// with `u64::MAX - 1` (see [`TOP_BLOCK`]).
#[inline(always)]
const fn plain_cell_index(value_us: u64) -> usize {
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

/// Words of [`CellCounts::touched`]: a power of two above the words of all cells, so
/// that masking a word's index is its bounds check.
const TOUCHED_WORDS: usize = 128;
const _: () = assert!(
    TOUCHED_WORDS.is_power_of_two() && (MAX_CELLS / 64).next_multiple_of(8) <= TOUCHED_WORDS
);

/// Latency counts per histogram cell, with a bitmap of the cells in use so that
/// reading and clearing cost the distinct cells (and one word per 64 cells), not the
/// histogram's range.
///
/// The bitmap replaced a list of touched cells: setting a bit needs no branch and no
/// push per latency, and reading the bits word by word gives the cells in ascending
/// order without a sort.
#[derive(Debug, Clone)]
pub(crate) struct CellCounts {
    /// Counts of the cells below its length: grown in whole words to the largest
    /// latency seen (not to the full u64 range) and never into [`TOP_BLOCK`], so that
    /// one comparison tells a plain latency from one to grow for or one near
    /// `u64::MAX`.
    counts: Vec<u64>,
    /// Bit `i % 64` of word `i / 64` is set when `counts[i]` is not zero.
    touched: [u64; TOUCHED_WORDS],
    /// Counts of the [`TOP_WORDS`] words of cells from `64 * TOP_BLOCK` (up to
    /// [`MAX_INDEX`]; empty until one is recorded, their bits in `touched` as the
    /// others'): latencies of centuries, kept apart to keep them off the fast path.
    top: Vec<u64>,
}

impl Default for CellCounts {
    fn default() -> Self {
        Self {
            counts: Vec::new(),
            touched: [0; TOUCHED_WORDS],
            top: Vec::new(),
        }
    }
}

impl CellCounts {
    /// Counts one latency.
    #[inline(always)]
    pub(crate) fn record(&mut self, latency_us: u64) {
        if !self.record_plain(latency_us) {
            self.record_rare(plain_cell_index(latency_us), latency_us);
        }
    }

    /// Counts one latency if its cell is among the counts grown so far (below
    /// 2^63 µs, see [`TOP_BLOCK`]); false, with nothing counted, for the others.
    #[inline(always)]
    pub(crate) fn record_plain(&mut self, latency_us: u64) -> bool {
        let i = plain_cell_index(latency_us);
        if i >= self.counts.len() {
            return false;
        }
        self.counts[i] += 1;
        self.touched[(i >> 6) & (TOUCHED_WORDS - 1)] |= 1 << (i & 63);
        true
    }

    /// Counts a latency `n` times (`n` > 0): counts no run could reach, for tests.
    #[cfg(test)]
    pub(crate) fn record_times(&mut self, latency_us: u64, n: u64) {
        self.record(latency_us);
        let i = plain_cell_index(latency_us);
        if i < TOP_BLOCK * 64 {
            self.counts[i] += n - 1;
        } else {
            let cell = if latency_us == u64::MAX { MAX_INDEX } else { i };
            self.top[cell - TOP_BLOCK * 64] += n - 1;
        }
    }

    /// Counts a latency beyond `counts`: grows it up to the latency's word, or
    /// counts it in [`Self::top`] (where `u64::MAX` gets its own cell).
    #[cold]
    #[inline(never)]
    fn record_rare(&mut self, i: usize, latency_us: u64) {
        let word = i >> 6;
        if word < TOP_BLOCK {
            self.counts.resize((word + 1) * 64, 0);
            self.record(latency_us);
            return;
        }
        let cell = if latency_us == u64::MAX { MAX_INDEX } else { i };
        self.top.resize(TOP_WORDS * 64, 0);
        self.top[cell - TOP_BLOCK * 64] += 1;
        self.touched[cell >> 6] |= 1 << (cell & 63);
    }

    /// The words of `touched` that may have bits set.
    fn words(&self) -> usize {
        if self.top.is_empty() {
            self.counts.len() / 64
        } else {
            MAX_CELLS / 64
        }
    }

    /// One more than the largest cell [`Self::drain`] may give, rounded up to whole
    /// words of 64 cells (as [`Self::drain_words`] gives them).
    pub(crate) fn cells_len(&self) -> usize {
        self.words() * 64
    }

    /// How many cells are not empty.
    pub(crate) fn distinct(&self) -> usize {
        let words = &self.touched[..self.words()];
        words.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Calls `each(word, cells)` for each word of 64 cells that has non-empty cells,
    /// ascending, `cells` giving them (see [`Word`]), and empties the counts for reuse.
    /// By word so that a caller can do once per word what it would otherwise do per
    /// cell (a bounds check, room for the cells' text).
    #[inline]
    pub(crate) fn drain_words(&mut self, mut each: impl FnMut(usize, Word<'_>)) {
        let words = self.words();
        let plain = self.counts.as_chunks_mut::<64>().0;
        let top = self.top.as_chunks_mut::<64>().0;
        // The words of bits eight at a time, OR-ed together to skip eight empty ones
        // at once: a bucket's cells are often few next to the range its counts have
        // grown to (one slow operation in a run is enough to grow it).
        let groups = self.touched[..words.next_multiple_of(8)].as_chunks_mut::<8>();
        for (g, group) in groups.0.iter_mut().enumerate() {
            if group.iter().fold(0, |any, bits| any | bits) == 0 {
                continue;
            }
            for (j, bits) in group.iter_mut().enumerate() {
                let bits = std::mem::take(bits);
                if bits == 0 {
                    continue;
                }
                let w = g * 8 + j;
                // A bit is set only for a cell counted, so its word has counts.
                let counts = match w.checked_sub(TOP_BLOCK) {
                    None => &mut plain[w],
                    Some(k) => &mut top[k],
                };
                each(w, Word { bits, counts });
            }
        }
    }

    /// Calls `each(cell, count)` for the non-empty cells, ascending (with
    /// [`cell_highest`] of the cell, the pairs `LatencyHistogram::to_sparse` gives),
    /// and empties the counts for reuse.
    #[inline]
    pub(crate) fn drain(&mut self, mut each: impl FnMut(usize, u64)) {
        self.drain_words(|w, cells| {
            for (k, count) in cells {
                each(w * 64 + k, count);
            }
        });
    }

    /// [`Self::drain`] into `[value_us, count]` pairs, as a [`Bucket`](crate::Bucket)
    /// holds them.
    pub(crate) fn take_sparse(&mut self) -> Vec<(u64, u64)> {
        let mut pairs = Vec::with_capacity(self.distinct());
        self.drain(|i, c| pairs.push((cell_highest(i), c)));
        pairs
    }
}

/// The non-empty cells of one word of 64 (see [`CellCounts::drain_words`]): an
/// iterator of `(k, count)`, cell `64 * word + k`, ascending, each count emptied as
/// it is given; dropped early, it empties the rest.
pub(crate) struct Word<'a> {
    /// Bit `k` set for each cell still to give.
    bits: u64,
    counts: &'a mut [u64; 64],
}

impl Iterator for Word<'_> {
    type Item = (usize, u64);

    #[inline(always)]
    fn next(&mut self) -> Option<(usize, u64)> {
        if self.bits == 0 {
            return None;
        }
        // `& 63` only tells the compiler what `bits != 0` guarantees.
        let k = self.bits.trailing_zeros() as usize & 63;
        self.bits &= self.bits - 1;
        Some((k, std::mem::take(&mut self.counts[k])))
    }
}

impl Drop for Word<'_> {
    fn drop(&mut self) {
        for _ in self.by_ref() {}
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

    /// The top block lives off the fast path; this guards that `u64::MAX` still gets
    /// its own cell there, after the one it shares in the plain arithmetic, and that
    /// the top counts are emptied like the others.
    #[test]
    fn latencies_near_u64_max_keep_their_cells_and_are_emptied() {
        let mut counts = CellCounts::default();
        for v in [u64::MAX, 7, u64::MAX - 1, 3 << 62, u64::MAX, (3 << 62) - 1] {
            counts.record(v);
        }
        assert_eq!(counts.distinct(), 5);
        assert!(counts.cells_len() > MAX_INDEX && counts.cells_len().is_multiple_of(64));
        assert_eq!(
            counts.take_sparse(),
            vec![
                (7, 1),
                ((3 << 62) - 1, 1),
                ((3 << 62) + (1 << 56) - 1, 1),
                (u64::MAX - 1, 1),
                (u64::MAX, 2),
            ]
        );
        assert_eq!(counts.distinct(), 0);
        assert!(counts.take_sparse().is_empty());
        // The plain counts never reach the top block, however high the latencies.
        assert!(counts.counts.len() <= TOP_BLOCK * 64);
    }

    /// Lines are written word by word: this guards that each word comes once, in
    /// order, with its own cells, and that a word left half read is still emptied
    /// (its counts would otherwise leak into the next bucket).
    #[test]
    fn words_come_in_order_and_one_left_half_read_is_emptied() {
        let mut counts = CellCounts::default();
        // Cells 0, 1, 63 (word 0), 64 (word 1), 300, 301 (word 4), and the top words.
        for v in [0, 1, 1, 63, 64, 300, 300, 302, u64::MAX] {
            counts.record(v);
        }
        let mut got = Vec::new();
        counts.drain_words(|w, cells| {
            let cells: Vec<_> = cells.collect();
            got.push((w, cells));
        });
        assert_eq!(
            got,
            [
                (0, vec![(0, 1), (1, 2), (63, 1)]),
                (1, vec![(0, 1)]),
                (4, vec![(22, 2), (23, 1)]),
                (MAX_INDEX / 64, vec![(MAX_INDEX % 64, 1)]),
            ]
        );
        assert_eq!(counts.distinct(), 0);
        // Only the first cell of each word read: the next bucket starts empty all
        // the same.
        for v in [5, 6, 7, 200, 201] {
            counts.record(v);
        }
        counts.drain_words(|_, mut cells| {
            cells.next();
        });
        counts.record(6);
        assert_eq!(counts.take_sparse(), vec![(6, 1)]);
    }
}
