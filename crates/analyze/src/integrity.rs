//! Data integrity: every write of the ledger against the final state.
//!
//! Write ids grow with the intended start, so on one key a higher id is a newer write.
//! Two writes to one key that overlap in time (the other one was not acknowledged
//! before this one started) are concurrent: either may legitimately end up last, as
//! in a linearizable store, so only a value *known* to be older counts against a write.
//! Per write:
//! - acknowledged and the key holds it (same id, same checksum), a newer write, or a
//!   write concurrent with it: `ok`;
//! - acknowledged and the key was read but not found: `lost`;
//! - acknowledged and the key holds a write acknowledged before this one started (or
//!   a write id the ledger does not know): `stale`;
//! - the key holds this write's id with another checksum: `corrupt`;
//! - unacknowledged (failed or unanswered) and the key holds it: `indeterminate`;
//! - unacknowledged and not found: `unacknowledged_absent` (allowed);
//! - the key was not read by verification at all: `unverified`.
//!
//! Lost writes (`lost` + `stale`) are the PRODUCT.md "acknowledged writes absent or
//! overwritten by an older value".

use std::collections::{HashMap, HashSet};

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

/// The ledger and the final state indexed for classifying writes.
pub struct Verifier<'a> {
    found: HashMap<&'a str, &'a FinalRead>,
    writes_by_id: HashMap<u64, &'a LedgerEntry>,
}

impl<'a> Verifier<'a> {
    /// Indexes a record's ledger and final state (the first read of a key counts when a
    /// key was read more than once).
    pub fn new(ledger: &'a [LedgerEntry], final_state: &'a [FinalRead]) -> Self {
        let mut found: HashMap<&str, &FinalRead> = HashMap::with_capacity(final_state.len());
        for read in final_state {
            found.entry(read.key.as_str()).or_insert(read);
        }
        // Only the writes the final state holds are looked up by id: indexing those,
        // not the whole ledger, keeps the index to the keys read (a map of every write
        // was a quarter of the memory of analysing a few million writes).
        let held: HashSet<u64> = found.values().filter_map(|read| read.write_id).collect();
        let mut writes_by_id = HashMap::with_capacity(held.len());
        for write in ledger.iter().filter(|w| held.contains(&w.id)) {
            // The last entry of an id wins, as when every write was indexed.
            writes_by_id.insert(write.id, write);
        }
        Self {
            found,
            writes_by_id,
        }
    }

    /// What verification read for `key`, if it read it.
    pub fn found(&self, key: &str) -> Option<&'a FinalRead> {
        self.found.get(key).copied()
    }

    /// The integrity class of one write of the ledger.
    pub fn classify(&self, write: &LedgerEntry) -> WriteClass {
        let found = self.found(&write.key);
        let found_write = found
            .and_then(|f| f.write_id)
            .and_then(|id| self.writes_by_id.get(&id).copied());
        classify(write, found, found_write)
    }
}

/// Classifies one write given what verification read for its key (`None`: not read)
/// and the ledger entry of the write found there, if the ledger has it.
pub fn classify(
    write: &LedgerEntry,
    found: Option<&FinalRead>,
    found_write: Option<&LedgerEntry>,
) -> WriteClass {
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
        Some(_) if acked => {
            let known_older = found_write.is_none_or(|older| {
                older
                    .t_ack_us
                    .is_some_and(|t_ack_us| t_ack_us < write.t_intended_us)
            });
            if known_older {
                WriteClass::Stale
            } else {
                WriteClass::Ok
            }
        }
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
    let verifier = Verifier::new(ledger, final_state);
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
        let class = verifier.classify(write);
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
    // A key may end on a write concurrent with its newest acknowledged one: that value
    // is as expected as the newest.
    let expected_sum = dataset_checksum(expected.iter().map(|(k, newest)| {
        let found = verifier.found(k);
        let concurrent_found = found.filter(|f| {
            f.write_id != Some(newest.id) && verifier.classify(newest) == WriteClass::Ok
        });
        (
            *k,
            concurrent_found.map_or(Some(newest.checksum), |f| f.checksum),
        )
    }));
    let found_sum = dataset_checksum(
        expected
            .iter()
            .map(|(k, _)| (*k, verifier.found(k).and_then(|r| r.checksum))),
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
        // Write 1 (acked at 1.5 ms) is known to be older than writes 2 and 3.
        let older = write(1, "k", "a", Acked);
        for (i, (w, r, expected)) in cases.iter().enumerate() {
            assert_eq!(classify(w, r.as_ref(), Some(&older)), *expected, "case {i}");
        }
    }

    #[test]
    fn a_concurrent_older_write_ending_last_is_not_a_lost_write() {
        use WriteOutcome::*;
        // Write 1 starts at 1 ms and is acknowledged at 9 ms; write 2 starts at 2 ms and
        // is acknowledged at 2.5 ms: they overlap, so either may end up last.
        let mut slow = write(1, "k", "a", Acked);
        slow.t_ack_us = Some(9_000);
        let fast = write(2, "k", "b", Acked);
        let ledger = vec![slow.clone(), fast.clone()];
        let final_state = [read("k", Some((1, "a")))];
        let verifier = Verifier::new(&ledger, &final_state);
        assert_eq!(verifier.classify(&fast), WriteClass::Ok);
        let result = check(&ledger, &final_state).integrity;
        assert_eq!((result.ok, result.stale, result.lost), (2, 0, 0));
        assert!(result.dataset_matches);
        // Had write 1 been acknowledged before write 2 started, 2 would be stale.
        slow.t_ack_us = Some(1_500);
        let ledger = vec![slow, fast.clone()];
        let result = check(&ledger, &final_state).integrity;
        assert_eq!((result.ok, result.stale), (1, 1));
        assert!(!result.dataset_matches);
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
