//! Database data: what each node holds per key, and last-writer-wins merging.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A small, deterministic hasher for integer keys (no random state).
#[derive(Debug, Default, Clone, Copy)]
pub struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    fn write_u64(&mut self, n: u64) {
        let x = n.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        self.0 = x ^ (x >> 29);
    }
}

/// One stored value: the write that produced it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Val {
    /// Write id (carried in the value).
    pub id: u64,
    /// Checksum of the value.
    pub checksum: u64,
    /// When the origin node applied it (last-writer-wins timestamp).
    pub t_us: u64,
    /// The node that first applied it.
    pub origin: u32,
}

impl Val {
    /// Whether `self` wins over `other` under last-writer-wins (time, then origin).
    pub fn newer_than(&self, other: &Val) -> bool {
        (self.t_us, self.origin, self.id) > (other.t_us, other.origin, other.id)
    }
}

/// The keys a node holds. Memory is bounded by the key space, not by the writes.
#[derive(Debug, Clone, Default)]
pub struct Store {
    /// Key number to its value.
    pub map: HashMap<u64, Val, BuildHasherDefault<KeyHasher>>,
}

/// A replicated write on its way to another node.
#[derive(Debug, Clone, Copy)]
pub struct InFlight {
    /// The node that sent it and its incarnation when it did.
    pub from: u32,
    pub from_incarnation: u32,
    /// The receiving node.
    pub to: u32,
    /// The key and value.
    pub key: u64,
    pub val: Val,
}

/// Shard of a key over `n` slots (stable, independent of the hasher).
pub fn shard_of(key: u64, n: usize) -> usize {
    let x = key.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    ((u128::from(x ^ (x >> 31)) * n as u128) >> 64) as usize
}

/// The checksum of the value written by write `id` on key number `key`: the value is
/// `fl:<id>:k<key>`, exactly what the live engine writes (`faultline_live` `value_for`
/// with the key name `k<key>`).
pub fn value_checksum(id: u64, key: u64) -> u64 {
    // Composed on the stack: one per simulated write, no allocation.
    let mut value = [0u8; 45];
    value[..3].copy_from_slice(b"fl:");
    let mut len = 3 + put_decimal(&mut value[3..], id);
    value[len..len + 2].copy_from_slice(b":k");
    len += 2;
    len += put_decimal(&mut value[len..], key);
    faultline_record::Checksum::of(&value[..len]).0
}

/// The record's name of key number `key`: `k<key>` (without `format!`'s machinery:
/// one per simulated write).
pub fn key_name(key: u64) -> String {
    let mut digits = [0u8; 21];
    digits[0] = b'k';
    let len = 1 + put_decimal(&mut digits[1..], key);
    digits[..len].iter().map(|&b| char::from(b)).collect()
}

/// Writes `n` in decimal at the start of `out` (room for 20 digits); returns the
/// number of digits.
fn put_decimal(out: &mut [u8], mut n: u64) -> usize {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let len = digits.len() - at;
    out[..len].copy_from_slice(&digits[at..]);
    len
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_checksum_is_the_checksum_of_the_written_value() {
        for (id, key) in [(0, 0), (1, 7), (123_456, 99_999), (u64::MAX, u64::MAX)] {
            assert_eq!(key_name(key), format!("k{key}"));
            let text = format!("fl:{id}:k{key}");
            assert_eq!(
                value_checksum(id, key),
                faultline_record::Checksum::of(text.as_bytes()).0
            );
        }
    }

    #[test]
    fn later_write_wins_and_shards_spread() {
        let a = Val {
            id: 1,
            checksum: 0,
            t_us: 10,
            origin: 0,
        };
        let b = Val {
            id: 2,
            checksum: 0,
            t_us: 5,
            origin: 1,
        };
        assert!(a.newer_than(&b));
        let mut counts = [0; 4];
        for k in 0..4000 {
            counts[shard_of(k, 4)] += 1;
        }
        assert!(counts.iter().all(|&c| c > 800), "{counts:?}");
    }
}
