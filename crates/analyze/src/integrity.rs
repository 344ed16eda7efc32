//! Data integrity: every write of the ledger against the final state.
//!
//! Write ids grow with the intended start, so on one key a higher id is a newer write.
//! Per write:
//! - acknowledged and the key holds it (same id, same checksum) or a newer write: `ok`;
//! - acknowledged and the key was read but not found: `lost`;
//! - acknowledged and the key holds an older write: `stale`;
//! - the key holds this write's id with another checksum: `corrupt`;
//! - unacknowledged (failed or unanswered) and the key holds it: `indeterminate`;
//! - unacknowledged and not found: `unacknowledged_absent` (allowed);
//! - the key was not read by verification at all: `unverified`.
//!
//! Lost writes (`lost` + `stale`) are the PRODUCT.md "acknowledged writes absent or
//! overwritten by an older value".

use std::collections::HashMap;

use faultline_record::{Checksum, FinalRead, LedgerEntry, WriteOutcome};

use crate::summary::Integrity;

/// The integrity class of one write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteClass {
    /// Found, or superseded by a newer write that was found.
    Ok,
    /// Acknowledged, key not found.
    Lost,
    /// Acknowledged, key holds an older write.
    Stale,
    /// Found under its id with another checksum.
    Corrupt,
    /// Unacknowledged but landed.
    Indeterminate,
    /// Unacknowledged and not found.
    UnacknowledgedAbsent,
    /// Key not read by verification.
    Unverified,
}

/// Classifies one write given what verification read for its key (`None`: not read).
pub fn classify(write: &LedgerEntry, found: Option<&FinalRead>) -> WriteClass {
    let Some(found) = found else {
        return WriteClass::Unverified;
    };
    let acked = write.outcome == WriteOutcome::Acked;
    match found.write_id {
        Some(id) if id == write.id => {
            if found.checksum.is_some_and(|c| c != write.checksum) {
                WriteClass::Corrupt
            } else if acked {
                WriteClass::Ok
            } else {
                WriteClass::Indeterminate
            }
        }
        Some(id) if id > write.id => {
            if acked {
                WriteClass::Ok
            } else {
                // Superseded: whether it landed first cannot be known, and does not matter.
                WriteClass::UnacknowledgedAbsent
            }
        }
        Some(_) if acked => WriteClass::Stale,
        None if acked => WriteClass::Lost,
        _ => WriteClass::UnacknowledgedAbsent,
    }
}

/// The integrity counts, and the acknowledgement times of the lost writes.
pub(crate) struct IntegrityResult {
    pub integrity: Integrity,
    pub lost_ack_times_us: Vec<u64>,
}

/// Classifies every write of `ledger` against `final_state` (the first read of a key
/// counts when a key was read more than once).
pub(crate) fn check(ledger: &[LedgerEntry], final_state: &[FinalRead]) -> IntegrityResult {
    // Hash maps for the per-write lookups; anything that reaches the output is sorted.
    let mut found: HashMap<&str, &FinalRead> = HashMap::with_capacity(final_state.len());
    for read in final_state {
        found.entry(read.key.as_str()).or_insert(read);
    }
    let mut integrity = Integrity {
        // Nothing written, nothing to verify; otherwise verification must have read keys.
        verified: !final_state.is_empty() || ledger.is_empty(),
        writes: ledger.len() as u64,
        ..Integrity::default()
    };
    let mut lost_ack_times_us = Vec::new();
    // Newest acknowledged write per key: the expected final value.
    let mut expected: HashMap<&str, &LedgerEntry> = HashMap::new();
    for write in ledger {
        let class = classify(write, found.get(write.key.as_str()).copied());
        match class {
            WriteClass::Ok => integrity.ok += 1,
            WriteClass::Lost => integrity.lost += 1,
            WriteClass::Stale => integrity.stale += 1,
            WriteClass::Corrupt => integrity.corrupt += 1,
            WriteClass::Indeterminate => integrity.indeterminate += 1,
            WriteClass::UnacknowledgedAbsent => integrity.unacknowledged_absent += 1,
            WriteClass::Unverified => integrity.unverified += 1,
        }
        if matches!(class, WriteClass::Lost | WriteClass::Stale) {
            // An acknowledged write always has an ack time; an engine that forgot it is
            // treated as acknowledged at its intended start.
            lost_ack_times_us.push(write.t_ack_us.unwrap_or(write.t_intended_us));
        }
        if write.outcome == WriteOutcome::Acked {
            let slot = expected.entry(write.key.as_str()).or_insert(write);
            if write.id > slot.id {
                *slot = write;
            }
        }
    }
    let mut expected: Vec<(&str, &LedgerEntry)> = expected.into_iter().collect();
    expected.sort_unstable_by_key(|(key, _)| *key);
    let expected_sum = dataset_checksum(expected.iter().map(|(k, w)| (*k, Some(w.checksum))));
    let found_sum = dataset_checksum(
        expected
            .iter()
            .map(|(k, _)| (*k, found.get(k).and_then(|r| r.checksum))),
    );
    integrity.dataset_checksum_expected = format!("{:016x}", expected_sum.0);
    integrity.dataset_checksum_found = format!("{:016x}", found_sum.0);
    integrity.dataset_matches = expected_sum == found_sum;
    IntegrityResult {
        integrity,
        lost_ack_times_us,
    }
}

/// FNV-1a over `key \0 checksum-or-"absent" \n` lines in key order.
fn dataset_checksum<'a>(entries: impl Iterator<Item = (&'a str, Option<Checksum>)>) -> Checksum {
    let mut text = Vec::new();
    for (key, checksum) in entries {
        text.extend_from_slice(key.as_bytes());
        text.push(0);
        match checksum {
            Some(c) => text.extend_from_slice(format!("{:016x}", c.0).as_bytes()),
            None => text.extend_from_slice(b"absent"),
        }
        text.push(b'\n');
    }
    Checksum::of(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(id: u64, key: &str, value: &str, outcome: WriteOutcome) -> LedgerEntry {
        LedgerEntry {
            id,
            key: key.to_string(),
            checksum: Checksum::of(value.as_bytes()),
            t_intended_us: id * 1_000,
            t_ack_us: (outcome == WriteOutcome::Acked).then_some(id * 1_000 + 500),
            outcome,
        }
    }

    fn read(key: &str, found: Option<(u64, &str)>) -> FinalRead {
        FinalRead {
            key: key.to_string(),
            write_id: found.map(|(id, _)| id),
            checksum: found.map(|(_, v)| Checksum::of(v.as_bytes())),
            source: "db.primary".to_string(),
        }
    }

    #[test]
    fn every_class_is_told_apart() {
        use WriteOutcome::*;
        let cases = [
            (
                write(1, "k", "a", Acked),
                Some(read("k", Some((1, "a")))),
                WriteClass::Ok,
            ),
            (
                write(1, "k", "a", Acked),
                Some(read("k", Some((2, "b")))),
                WriteClass::Ok,
            ),
            (
                write(2, "k", "b", Acked),
                Some(read("k", None)),
                WriteClass::Lost,
            ),
            (
                write(2, "k", "b", Acked),
                Some(read("k", Some((1, "a")))),
                WriteClass::Stale,
            ),
            (
                write(2, "k", "b", Acked),
                Some(read("k", Some((2, "x")))),
                WriteClass::Corrupt,
            ),
            (
                write(3, "k", "c", Indeterminate),
                Some(read("k", Some((3, "c")))),
                WriteClass::Indeterminate,
            ),
            (
                write(3, "k", "c", Failed),
                Some(read("k", Some((1, "a")))),
                WriteClass::UnacknowledgedAbsent,
            ),
            (write(3, "k", "c", Acked), None, WriteClass::Unverified),
        ];
        for (i, (w, r, expected)) in cases.iter().enumerate() {
            assert_eq!(classify(w, r.as_ref()), *expected, "case {i}");
        }
    }

    #[test]
    fn the_dataset_checksum_matches_only_when_every_key_holds_its_newest_ack() {
        use WriteOutcome::*;
        let ledger = vec![write(1, "a", "1", Acked), write(2, "a", "2", Acked)];
        let good = check(&ledger, &[read("a", Some((2, "2")))]).integrity;
        assert!(good.dataset_matches);
        assert_eq!((good.ok, good.stale), (2, 0));
        let bad = check(&ledger, &[read("a", Some((1, "1")))]).integrity;
        assert!(!bad.dataset_matches);
        assert_eq!((bad.ok, bad.stale), (1, 1));
        assert_ne!(bad.dataset_checksum_found, good.dataset_checksum_found);
        assert_eq!(
            bad.dataset_checksum_expected,
            good.dataset_checksum_expected
        );
    }
}
