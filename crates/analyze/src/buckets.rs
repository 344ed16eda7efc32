//! The record's buckets regrouped by series, reads and writes together.

use std::collections::BTreeMap;
use std::ops::Range;

use faultline_record::{Bucket, FailureCounts, LatencyHistogram};
use serde::{Deserialize, Serialize};

use crate::summary::{millis, Percentiles, WindowFigures};

/// Buckets in one second.
pub const BUCKETS_PER_SECOND: u64 = 10;

/// One 100 ms bucket of one series, reads and writes added together.
#[derive(Debug, Clone, Default)]
pub(crate) struct Cell<'a> {
    pub started: u64,
    pub ok: u64,
    pub failed: FailureCounts,
    /// The latency pairs of the cell's buckets, borrowed from the record: a copy of
    /// every pair was as large as the record's buckets and doubled the analysis's
    /// peak memory. Adding pairs to a histogram does not depend on their order.
    pub latency_us: Vec<&'a [(u64, u64)]>,
}

/// Sums over a range of buckets.
#[derive(Debug, Clone, Default)]
pub(crate) struct Totals {
    pub started: u64,
    pub ok: u64,
    pub failed: FailureCounts,
    pub latency: LatencyHistogram,
}

impl Totals {
    pub fn completed(&self) -> u64 {
        self.ok + self.failed.total()
    }

    /// Failed ÷ completed, `None` when nothing completed.
    pub fn error_rate(&self) -> Option<f64> {
        let completed = self.completed();
        (completed > 0).then(|| self.failed.total() as f64 / completed as f64)
    }

    pub fn percentiles(&self) -> Percentiles {
        Percentiles {
            p50: self.latency.quantile_us(0.5).map(millis),
            p99: self.latency.quantile_us(0.99).map(millis),
            max: self.latency.max_us().map(millis),
        }
    }

    pub fn figures(&self) -> WindowFigures {
        WindowFigures {
            operations: self.completed(),
            error_rate: self.error_rate().map(crate::summary::round6),
            latency_ms: self.percentiles(),
        }
    }
}

/// The buckets of one series, by bucket number.
#[derive(Debug, Clone, Default)]
pub(crate) struct SeriesCells<'a> {
    cells: BTreeMap<u64, Cell<'a>>,
}

impl SeriesCells<'_> {
    /// Sums over the buckets in `range` (bucket numbers).
    pub fn totals(&self, range: Range<u64>) -> Totals {
        let mut totals = Totals::default();
        if range.start >= range.end {
            return totals;
        }
        for cell in self.cells.range(range).map(|(_, c)| c) {
            totals.started += cell.started;
            totals.ok += cell.ok;
            totals.failed.merge(&cell.failed);
            for pairs in &cell.latency_us {
                totals.latency.add_sparse(pairs);
            }
        }
        totals
    }

    /// `(started, ok, completed)` of every bucket in `range`, empty buckets included.
    pub fn dense(&self, range: Range<u64>) -> Vec<(u64, u64, u64)> {
        let mut out = vec![(0, 0, 0); range.end.saturating_sub(range.start) as usize];
        if range.start >= range.end {
            return out;
        }
        for (index, cell) in self.cells.range(range.clone()) {
            out[(index - range.start) as usize] =
                (cell.started, cell.ok, cell.ok + cell.failed.total());
        }
        out
    }

    /// The last bucket number plus one (0 when empty).
    pub fn end_bucket(&self) -> u64 {
        self.cells.keys().next_back().map_or(0, |b| b + 1)
    }

    /// Whole seconds from the start of the run up to `end_bucket`, for charts.
    pub fn seconds(&self, end_bucket: u64) -> Vec<SecondPoint> {
        let seconds = end_bucket.div_ceil(BUCKETS_PER_SECOND);
        (0..seconds)
            .map(|s| {
                let start = s * BUCKETS_PER_SECOND;
                let totals = self.totals(start..(start + BUCKETS_PER_SECOND).min(end_bucket));
                let p = totals.percentiles();
                SecondPoint {
                    t_s: s,
                    offered: totals.started,
                    ok: totals.ok,
                    failed: totals.failed.total(),
                    p50_ms: p.p50,
                    p99_ms: p.p99,
                }
            })
            .collect()
    }
}

/// One second of one series, for timeline charts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SecondPoint {
    /// Start of the second, whole seconds from the start of the run.
    pub t_s: u64,
    /// Operations whose intended start is in the second.
    pub offered: u64,
    /// Operations that completed successfully in the second.
    pub ok: u64,
    /// Operations that failed in the second.
    pub failed: u64,
    /// Median latency of the operations completed in the second.
    pub p50_ms: Option<f64>,
    /// 99th percentile latency of the operations completed in the second.
    pub p99_ms: Option<f64>,
}

/// Regroups the record's buckets by series.
pub(crate) fn by_series(buckets: &[Bucket]) -> BTreeMap<String, SeriesCells<'_>> {
    let mut out: BTreeMap<String, SeriesCells> = BTreeMap::new();
    for bucket in buckets {
        let cell = out
            .entry(bucket.series.clone())
            .or_default()
            .cells
            .entry(bucket.index)
            .or_default();
        cell.started += bucket.started;
        cell.ok += bucket.ok;
        cell.failed.merge(&bucket.failed);
        if !bucket.latency_us.is_empty() {
            cell.latency_us.push(&bucket.latency_us);
        }
    }
    out
}
