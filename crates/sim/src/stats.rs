//! Rolling one-second statistics per component, for alert rules and progress.

/// Latency cells: four per octave of microseconds, up to about 70 minutes.
const CELLS: usize = 128;
/// Slots of 100 ms kept: one second.
const SLOTS: usize = 10;

/// Operations finished over the last second, in ten 100 ms slots.
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
    fn window_forgets_after_a_second() {
        let mut w = Window::default();
        w.record(true, 1000);
        w.record(false, 200_000);
        assert_eq!(w.completed(), 2);
        assert_eq!(w.error_rate(), 0.5);
        assert!(w.p99_ms() >= 200.0 && w.p99_ms() < 240.0, "{}", w.p99_ms());
        for _ in 0..10 {
            w.advance();
        }
        assert_eq!(w.completed(), 0);
    }
}
