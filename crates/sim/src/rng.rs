//! The simulator's only source of randomness: a seeded PCG generator and samplers.

use faultline_spec::Distribution;
use rand_core::{Rng as _, SeedableRng};
use rand_pcg::Pcg64Mcg;

/// A seeded, named generator (PCG-64 MCG). Never `StdRng`: its algorithm may change
/// between releases, and records must replay forever.
#[derive(Debug, Clone)]
pub struct SimRng {
    inner: Pcg64Mcg,
}

impl SimRng {
    /// A generator for `seed`, with a `stream` number so that separate uses of one
    /// seed draw independent sequences.
    pub fn new(seed: u64, stream: u64) -> Self {
        let mixed = splitmix(seed ^ splitmix(stream.wrapping_add(0x9e37_79b9_7f4a_7c15)));
        Self {
            inner: Pcg64Mcg::seed_from_u64(mixed),
        }
    }

    /// A uniform draw in `[0, 1)`.
    #[inline]
    pub fn unit(&mut self) -> f64 {
        (self.inner.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A uniform draw in `(0, 1]` (safe for `ln`).
    #[inline]
    pub fn unit_open(&mut self) -> f64 {
        1.0 - self.unit()
    }

    /// A uniform integer in `[0, n)`; `n` must be positive.
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        debug_assert!(n > 0);
        ((u128::from(self.inner.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// True with probability `p`.
    #[inline]
    pub fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && (p >= 1.0 || self.unit() < p)
    }

    /// An exponential draw with mean `mean`.
    #[inline]
    pub fn exponential(&mut self, mean: f64) -> f64 {
        -mean * self.unit_open().ln()
    }

    /// A standard normal draw (Box-Muller; one of the pair is dropped for simplicity).
    pub fn normal(&mut self) -> f64 {
        let r = (-2.0 * self.unit_open().ln()).sqrt();
        r * (std::f64::consts::TAU * self.unit()).cos()
    }
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// z-score of the 99th percentile of the standard normal distribution.
const Z_99: f64 = 2.326_347_874_040_841;

/// A duration distribution prepared for fast sampling, in microseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sampler {
    /// Always this many microseconds.
    Fixed(f64),
    /// Exponential with this mean.
    Exponential(f64),
    /// `exp(mu + sigma * z)`.
    Lognormal {
        /// Log of the median.
        mu: f64,
        /// Log-scale spread.
        sigma: f64,
    },
    /// Uniform in `[min, max]`.
    Uniform(f64, f64),
}

impl Sampler {
    /// Prepares a distribution from the experiment file.
    pub fn new(d: &Distribution) -> Self {
        match d {
            Distribution::Fixed(v) => Sampler::Fixed(v.micros as f64),
            Distribution::Exponential { mean } => Sampler::Exponential(mean.micros as f64),
            Distribution::Lognormal { median, p99 } => {
                let m = (median.micros.max(1)) as f64;
                let p = (p99.micros.max(median.micros).max(1)) as f64;
                Sampler::Lognormal {
                    mu: m.ln(),
                    sigma: (p / m).ln() / Z_99,
                }
            }
            Distribution::Uniform { min, max } => {
                Sampler::Uniform(min.micros as f64, max.micros.max(min.micros) as f64)
            }
        }
    }

    /// The mean in microseconds.
    pub fn mean_us(&self) -> f64 {
        match *self {
            Sampler::Fixed(v) | Sampler::Exponential(v) => v,
            Sampler::Lognormal { mu, sigma } => (mu + sigma * sigma / 2.0).exp(),
            Sampler::Uniform(a, b) => (a + b) / 2.0,
        }
    }

    /// One draw, in whole microseconds.
    #[inline]
    pub fn sample_us(&self, rng: &mut SimRng) -> u64 {
        let v = match *self {
            Sampler::Fixed(v) => v,
            Sampler::Exponential(mean) => rng.exponential(mean),
            Sampler::Lognormal { mu, sigma } => (mu + sigma * rng.normal()).exp(),
            Sampler::Uniform(a, b) => a + (b - a) * rng.unit(),
        };
        v.round().max(0.0) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultline_spec::Duration;

    #[test]
    fn lognormal_hits_its_median_and_p99() {
        let s = Sampler::new(&Distribution::Lognormal {
            median: Duration::from_millis(20),
            p99: Duration::from_millis(120),
        });
        let mut rng = SimRng::new(7, 0);
        let mut v: Vec<u64> = (0..200_000).map(|_| s.sample_us(&mut rng)).collect();
        v.sort_unstable();
        let median = v[v.len() / 2] as f64;
        let p99 = v[v.len() * 99 / 100] as f64;
        assert!((median / 20_000.0 - 1.0).abs() < 0.02, "median {median}");
        assert!((p99 / 120_000.0 - 1.0).abs() < 0.04, "p99 {p99}");
    }

    #[test]
    fn same_seed_same_stream_same_draws() {
        let mut a = SimRng::new(42, 3);
        let mut b = SimRng::new(42, 3);
        let mut c = SimRng::new(42, 4);
        let xa: Vec<u64> = (0..5).map(|_| a.below(1000)).collect();
        let xb: Vec<u64> = (0..5).map(|_| b.below(1000)).collect();
        let xc: Vec<u64> = (0..5).map(|_| c.below(1000)).collect();
        assert_eq!(xa, xb);
        assert_ne!(xa, xc);
    }
}
