//! Rolling one-second statistics per component, for alert rules and progress.

/// Latency cells: four per octave of microseconds, up to about 70 minutes.
const CELLS: usize = 128;
/// Slots of 100 ms kept: the ten of the last second, and the one filling. A tick
/// opens a new slot and then reads the window, so the slot being filled is empty at
/// every read: with only ten, a read would see the last 900 ms.
const SLOTS: usize = 11;

/// Operations finished over the last second, in 100 ms slots. Read at a tick (once
/// [`Window::advance`] opened the next slot), it covers exactly the second before it.
#[derive(Debug, Clone)]
pub struct Window {
    ok: [u64; SLOTS],
    failed: [u64; SLOTS],
    cells: Box<[[u32; CELLS]; SLOTS]>,
    slot: usize,
}

impl Default for Window {
    fn default() -> Self {
        Self {
            ok: [0; SLOTS],
            failed: [0; SLOTS],
            cells: Box::new([[0; CELLS]; SLOTS]),
            slot: 0,
        }
    }
}

#[inline]
fn cell_of(latency_us: u64) -> usize {
    if latency_us < 2 {
        return 0;
    }
    // floor(4 * log2(x)) from the exponent and the next two mantissa bits.
    let exp = 63 - latency_us.leading_zeros() as usize;
    let quarter = if exp >= 2 {
        (latency_us >> (exp - 2)) & 3
    } else {
        (latency_us << (2 - exp)) & 3
    } as usize;
    (exp * 4 + quarter).min(CELLS - 1)
}

fn cell_upper_us(cell: usize) -> f64 {
    let (exp, quarter) = (cell / 4, cell % 4);
    2f64.powi(exp as i32) * (1.0 + (quarter + 1) as f64 / 4.0)
}

impl Window {
    /// Counts a finished operation.
    #[inline(always)]
    pub fn record(&mut self, ok: bool, latency_us: u64) {
        self.count(ok);
        self.cells[self.slot][cell_of(latency_us)] += 1;
    }

    /// Counts a finished operation's outcome only, for a window whose latency
    /// percentile nobody reads ([`Self::p99_ms`] then sees no latencies).
    #[inline(always)]
    pub fn count(&mut self, ok: bool) {
        if ok {
            self.ok[self.slot] += 1;
        } else {
            self.failed[self.slot] += 1;
        }
    }

    /// Moves to the next 100 ms slot, forgetting the oldest.
    pub fn advance(&mut self) {
        self.slot = (self.slot + 1) % SLOTS;
        self.ok[self.slot] = 0;
        self.failed[self.slot] = 0;
        self.cells[self.slot] = [0; CELLS];
    }

    /// Operations finished over the last second.
    pub fn completed(&self) -> u64 {
        self.ok.iter().sum::<u64>() + self.failed.iter().sum::<u64>()
    }

    /// Failed share over the last second (0 without operations).
    pub fn error_rate(&self) -> f64 {
        let failed: u64 = self.failed.iter().sum();
        let total = self.completed();
        if total == 0 {
            0.0
        } else {
            failed as f64 / total as f64
        }
    }

    /// 99th percentile latency over the last second, in milliseconds (upper cell bound).
    pub fn p99_ms(&self) -> f64 {
        let total = self.completed();
        if total == 0 {
            return 0.0;
        }
        let rank = (total as f64 * 0.99).ceil() as u64;
        let mut seen = 0u64;
        for cell in 0..CELLS {
            seen += self.cells.iter().map(|s| u64::from(s[cell])).sum::<u64>();
            if seen >= rank {
                return cell_upper_us(cell) / 1000.0;
            }
        }
        cell_upper_us(CELLS - 1) / 1000.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_read_at_a_tick_covers_exactly_the_last_second() {
        let mut w = Window::default();
        // Finished in the first 100 ms.
        w.record(true, 1000);
        w.record(false, 200_000);
        assert_eq!(w.completed(), 2);
        assert_eq!(w.error_rate(), 0.5);
        assert!(w.p99_ms() >= 200.0 && w.p99_ms() < 240.0, "{}", w.p99_ms());
        // The ticks at 100 ms to 900 ms, each with one more 1 ms success.
        for _ in 0..9 {
            w.advance();
            w.record(true, 1000);
        }
        // The tick at 1 s: the second [0, 1 s) is the whole window.
        w.advance();
        assert_eq!(w.completed(), 11);
        assert!((w.error_rate() - 1.0 / 11.0).abs() < 1e-12);
        assert!(w.p99_ms() >= 200.0, "the 200 ms one is the p99 of 11");
        // The tick at 1.1 s: the first 100 ms have left it.
        w.advance();
        assert_eq!(w.completed(), 9);
        assert_eq!(w.error_rate(), 0.0);
        assert!(w.p99_ms() < 1.3, "{}", w.p99_ms());
    }
}
