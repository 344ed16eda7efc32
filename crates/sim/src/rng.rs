//! The simulator's only source of randomness: a seeded PCG generator and samplers.

use faultline_spec::Distribution;
use rand_core::{Rng as _, SeedableRng};
use rand_distr::{Distribution as _, Exp1, StandardNormal};
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
        crate::world::f64_of(self.inner.next_u64() >> 11) * (1.0 / (1u64 << 53) as f64)
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
    ///
    /// By rand_distr's ziggurat rather than `-mean * ln(u)`: the C library's `ln` took
    /// about 14% of an M/M/c run's time (a long chain of dependent floating-point
    /// steps), and its last bit differs between machines (glibc picks an FMA or a
    /// non-FMA variant by CPU). The ziggurat's common path is a table look-up and one
    /// multiplication; only its rare edge and tail paths call `exp` and `ln`, through
    /// `num_traits::Float`, which is the C library here (other crates turn on
    /// `num-traits`' `std` feature, which wins over `libm`; see docs/sim.md).
    #[inline]
    pub fn exponential(&mut self, mean: f64) -> f64 {
        let x: f64 = Exp1.sample(&mut self.inner);
        mean * x
    }

    /// A standard normal draw (rand_distr's ziggurat, for the reasons of
    /// [`Self::exponential`]).
    #[inline]
    pub fn normal(&mut self) -> f64 {
        StandardNormal.sample(&mut self.inner)
    }
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

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
                let (mu, sigma) = Distribution::lognormal_log_params(*median, *p99);
                Sampler::Lognormal { mu, sigma }
            }
            Distribution::Uniform { min, max } => {
                Sampler::Uniform(min.micros as f64, max.micros.max(min.micros) as f64)
            }
        }
    }

    /// One draw, in whole microseconds.
    #[inline(always)]
    pub fn sample_us(&self, rng: &mut SimRng) -> u64 {
        let v = match *self {
            Sampler::Fixed(v) => v,
            Sampler::Exponential(mean) => rng.exponential(mean),
            Sampler::Lognormal { mu, sigma } => (mu + sigma * rng.normal()).exp(),
            Sampler::Uniform(a, b) => a + (b - a) * rng.unit(),
        };
        round_us(v)
    }
}

/// `v.round().max(0.0) as u64`, exactly, without a call into libm's `round` (not
/// inlined on baseline x86-64): for `0 <= v < 2^52` the fraction `v - floor(v)` is
/// exact, and rounding half away from zero adds one when it is at least a half.
#[inline]
fn round_us(v: f64) -> u64 {
    const EXACT: f64 = 4_503_599_627_370_496.0; // 2^52: from here on v is an integer
    if v.is_nan() || v <= 0.0 {
        // Negative, zero and NaN all give 0, as `max(0.0)` then `as u64` do.
        return 0;
    }
    if v >= EXACT {
        return v as u64;
    }
    // Below 2^52 the signed conversions are exact and cheaper than the unsigned ones.
    let whole = v as i64;
    (whole + i64::from(v - whole as f64 >= 0.5)) as u64
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
    fn fast_rounding_is_round_max_zero() {
        let mut rng = SimRng::new(3, 1);
        let mut values = vec![
            -1.5,
            -0.5,
            -0.0,
            0.0,
            0.49999999999999994,
            0.5,
            1.5,
            2.5,
            2.4999999999999996,
            4_503_599_627_370_495.5,
            4_503_599_627_370_496.0,
            9_007_199_254_740_993.0,
            1e19,
            1e30,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            f64::MIN_POSITIVE,
        ];
        values.extend((0..100_000).map(|_| rng.exponential(3_000.0)));
        values.extend((0..1_000).map(|i| f64::from(i) / 2.0));
        for v in values {
            assert_eq!(round_us(v), v.round().max(0.0) as u64, "{v}");
        }
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
