//! Which key an operation touches, and the values written: each value carries its
//! write id so that verification can say which write it found.

use faultline_spec::Keys;
use rand::rngs::SmallRng;
use rand::Rng;

/// Draws key indexes as the workload's `keys` section says.
#[derive(Debug, Clone)]
pub struct KeyChooser {
    count: u64,
    hot_keys: u64,
    hot_share: f64,
    zipf: Option<f64>,
}

impl KeyChooser {
    /// A chooser for a workload's key space (at least one key).
    pub fn new(keys: &Keys) -> Self {
        let count = keys.count.max(1);
        let (hot_keys, hot_share) = keys
            .hotspot
            .as_ref()
            .map_or((0, 0.0), |h| (h.keys.min(count), h.share.value));
        Self {
            count,
            hot_keys,
            hot_share,
            zipf: keys.zipf,
        }
    }

    /// A key index in `[0, count)`.
    pub fn pick(&self, rng: &mut SmallRng) -> u64 {
        if self.hot_keys > 0 && rng.random::<f64>() < self.hot_share {
            return rng.random_range(0..self.hot_keys);
        }
        let rest = self.count - self.hot_keys;
        if rest == 0 {
            return rng.random_range(0..self.count);
        }
        let offset = match self.zipf {
            Some(s) if s > 0.0 => zipf_index(rest, s, rng.random::<f64>()),
            _ => rng.random_range(0..rest),
        };
        self.hot_keys + offset
    }
}

/// An approximately Zipf-distributed index in `[0, n)` by inverting the continuous
/// CDF: exact enough for load shapes, and O(1).
fn zipf_index(n: u64, s: f64, u: f64) -> u64 {
    let n_f = n as f64;
    let x = if (s - 1.0).abs() < 1e-9 {
        n_f.powf(u)
    } else {
        let a = 1.0 - s;
        ((n_f.powf(a) - 1.0) * u + 1.0).powf(1.0 / a)
    };
    (x.floor() as u64).saturating_sub(1).min(n - 1)
}

/// The key name of an index.
pub fn key_name(prefix: &str, index: u64) -> String {
    format!("{prefix}k{index}")
}

/// The value a write stores: `fl:<id>:<key>`.
pub fn value_for(id: u64, key: &str) -> String {
    format!("fl:{id}:{key}")
}

/// The write id inside a value read back (anywhere in it, so bodies that wrap the
/// value still parse), or `None` if it carries none.
pub fn write_id_in(value: &str) -> Option<u64> {
    let start = value.find("fl:")? + 3;
    let digits: &str = &value[start..];
    let end = digits
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    digits[..end].parse().ok()
}

/// The exact value inside a body that wraps it (`fl:<id>:<key>` up to the first
/// character that cannot be part of a key), for the checksum.
pub fn value_in(body: &str) -> Option<&str> {
    let start = body.find("fl:")?;
    let rest = &body[start..];
    let end = rest
        .find(|c: char| c.is_whitespace() || c == '"' || c == '<' || c == ',' || c == '}')
        .unwrap_or(rest.len());
    Some(&rest[..end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn values_carry_their_write_id() {
        let v = value_for(42, "fl:k7");
        assert_eq!(write_id_in(&v), Some(42));
        assert_eq!(write_id_in(&format!("{{\"value\":\"{v}\"}}")), Some(42));
        assert_eq!(
            value_in(&format!("{{\"value\":\"{v}\"}}")),
            Some(v.as_str())
        );
        assert_eq!(write_id_in("nothing here"), None);
    }

    #[test]
    fn hot_keys_take_their_share() {
        let keys: Keys =
            serde_json::from_str(r#"{"count": 1000, "hotspot": {"share": "90%", "keys": 1}}"#)
                .unwrap();
        let chooser = KeyChooser::new(&keys);
        let mut rng = SmallRng::seed_from_u64(1);
        let hot = (0..10_000).filter(|_| chooser.pick(&mut rng) == 0).count();
        assert!((8_800..9_200).contains(&hot), "{hot}");
    }

    #[test]
    fn zipf_indexes_stay_in_range_and_favour_low_keys() {
        let mut low = 0;
        for i in 0..1000 {
            let k = zipf_index(100, 1.1, f64::from(i) / 1000.0);
            assert!(k < 100);
            if k < 10 {
                low += 1;
            }
        }
        assert!(low > 500, "{low}");
    }
}
