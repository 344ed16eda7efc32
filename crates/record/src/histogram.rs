//! Latency histograms: HDR histograms with 2 significant digits, stored sparse.

use hdrhistogram::Histogram;

/// Latencies in microseconds, mergeable exactly across buckets, runs and machines.
#[derive(Debug, Clone)]
pub struct LatencyHistogram {
    inner: Histogram<u64>,
}

const SIGNIFICANT_DIGITS: u8 = 2;

impl Default for LatencyHistogram {
    fn default() -> Self {
        Self::new()
    }
}

impl LatencyHistogram {
    /// An empty histogram that grows to any latency.
    pub fn new() -> Self {
        let mut inner =
            Histogram::new(SIGNIFICANT_DIGITS).expect("2 significant digits is a valid setting");
        inner.auto(true);
        Self { inner }
    }

    /// Records one latency.
    pub fn record(&mut self, latency_us: u64) {
        // `record` grows the auto-resizing histogram; `saturating_record` would clamp.
        if self.inner.record(latency_us).is_err() {
            self.inner.saturating_record(latency_us);
        }
    }

    /// Adds the `[value_us, count]` pairs of a record's bucket.
    pub fn add_sparse(&mut self, pairs: &[(u64, u64)]) {
        for &(value_us, count) in pairs {
            // Auto-resizing histograms only fail on absurd values; count them at the top.
            if self.inner.record_n(value_us, count).is_err() {
                self.inner.saturating_record_n(self.inner.max(), count);
            }
        }
    }

    /// Adds another histogram.
    pub fn add(&mut self, other: &LatencyHistogram) {
        // Both auto-resize, so adding cannot run out of range.
        let _ = self.inner.add(&other.inner);
    }

    /// The `[value_us, count]` pairs of the non-empty cells, ascending.
    pub fn to_sparse(&self) -> Vec<(u64, u64)> {
        self.inner
            .iter_recorded()
            .map(|v| {
                (
                    self.inner.highest_equivalent(v.value_iterated_to()),
                    v.count_at_value(),
                )
            })
            .collect()
    }

    /// Number of latencies recorded.
    pub fn len(&self) -> u64 {
        self.inner.len()
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    /// The latency at quantile `q` in `[0, 1]`, or `None` when empty.
    pub fn quantile_us(&self, q: f64) -> Option<u64> {
        (!self.is_empty()).then(|| self.inner.value_at_quantile(q))
    }

    /// The largest latency (to 2 significant digits), or `None` when empty.
    pub fn max_us(&self) -> Option<u64> {
        (!self.is_empty()).then(|| self.inner.max())
    }

    /// The mean latency, or `None` when empty.
    pub fn mean_us(&self) -> Option<f64> {
        (!self.is_empty()).then(|| self.inner.mean())
    }

    /// Empties the histogram, keeping its allocation.
    pub fn clear(&mut self) {
        self.inner.reset();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparse_form_round_trips_every_count_and_quantile() {
        let mut h = LatencyHistogram::new();
        for us in [1_000, 2_000, 20_000, 20_100, 5_000_000] {
            h.record(us);
        }
        let mut back = LatencyHistogram::new();
        back.add_sparse(&h.to_sparse());
        assert_eq!(back.len(), 5);
        for q in [0.0, 0.5, 0.99, 1.0] {
            assert_eq!(back.quantile_us(q), h.quantile_us(q), "q={q}");
        }
        // Two significant digits: values within 1% of what was recorded.
        let p50 = back.quantile_us(0.5).unwrap() as f64;
        assert!((p50 - 20_000.0).abs() / 20_000.0 < 0.01, "{p50}");
    }
}
