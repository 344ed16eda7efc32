//! Verification: after recovery, read back every key written through the target (its
//! current primary), record a `FinalRead` per key, and compare a whole-dataset
//! checksum of what the ledger expects with what was found.

use std::sync::Arc;
use std::time::{Duration, Instant};

use faultline_record::{Checksum, FinalRead, MarkerKind};
use serde::Serialize;

use crate::keys::{value_in, write_id_in};
use crate::sink::Sink;
use crate::target::Target;

/// Keys read at once.
const READ_CONCURRENCY: usize = 16;
/// Tries per key before it is recorded as unreadable.
const READ_TRIES: u32 = 5;

/// What verification found, written as `verify.json` beside the record.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct VerifySummary {
    /// Where the final state was read from.
    pub source: String,
    /// Keys read.
    pub keys: u64,
    /// Keys whose value is the newest acknowledged write.
    pub keys_matching: u64,
    /// Keys that could not be read at all (after retries).
    pub keys_unreadable: u64,
    /// Checksum over (key, checksum of the newest acknowledged write), keys in order.
    pub dataset_checksum_expected: String,
    /// The same over what was found.
    pub dataset_checksum_found: String,
}

fn fold(acc: u64, key: &str, value: Option<Checksum>) -> u64 {
    let mut bytes = key.as_bytes().to_vec();
    bytes.extend_from_slice(&value.map_or(0, |c| c.0).to_le_bytes());
    Checksum::of(&bytes).0.wrapping_add(acc.rotate_left(5))
}

/// Waits until the target answers a read (at most `wait`).
pub async fn wait_ready(target: &Target, wait: Duration) -> bool {
    let deadline = Instant::now() + wait;
    loop {
        if target
            .read("fl:verify-ready", Duration::from_secs(1))
            .await
            .is_ok()
        {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Reads every written key and records what was found. Failed reads are retried
/// (up to 5 tries per key) until `retry_for` has passed since the start; after that
/// each key gets one try, so an unreachable target cannot stretch verification.
pub async fn verify(
    sink: Arc<Sink>,
    target: Arc<Target>,
    timeout: Duration,
    retry_for: Duration,
) -> VerifySummary {
    let retry_until = Instant::now() + retry_for;
    let keys = sink.keys();
    let source = target.describe();
    let mut expected = 0u64;
    let mut found_sum = 0u64;
    let mut summary = VerifySummary {
        keys: keys.len() as u64,
        ..VerifySummary::default()
    };
    for chunk in keys.chunks(READ_CONCURRENCY) {
        let mut reads = Vec::new();
        for (key, _) in chunk {
            let target = target.clone();
            let key = key.clone();
            reads.push(tokio::spawn(async move {
                for attempt in 0..READ_TRIES {
                    match target.read(&key, timeout).await {
                        Ok(v) => return Some(v),
                        Err(_) if attempt + 1 < READ_TRIES && Instant::now() < retry_until => {
                            tokio::time::sleep(Duration::from_millis(200)).await
                        }
                        Err(_) => {}
                    }
                }
                None
            }));
        }
        for ((key, state), read) in chunk.iter().zip(reads) {
            let result = read.await.ok().flatten();
            let value = result.as_ref().and_then(|v| v.as_deref());
            let exact = value.and_then(value_in);
            let checksum = exact.map(|v| Checksum::of(v.as_bytes()));
            let write_id = value.and_then(write_id_in);
            expected = fold(expected, key, state.newest_acked.map(|(_, c)| c));
            found_sum = fold(found_sum, key, checksum);
            if result.is_none() {
                summary.keys_unreadable += 1;
            }
            if checksum.is_some() && checksum == state.newest_acked.map(|(_, c)| c) {
                summary.keys_matching += 1;
            }
            sink.final_read(&FinalRead {
                key: key.clone(),
                write_id,
                checksum,
                source: if result.is_some() {
                    target.describe()
                } else {
                    format!("{} (unreadable)", target.describe())
                },
            });
        }
    }
    summary.source = source;
    summary.dataset_checksum_expected = format!("{expected:016x}");
    summary.dataset_checksum_found = format!("{found_sum:016x}");
    sink.mark(
        MarkerKind::Note,
        "verify",
        None,
        Some(format!(
            "read {} keys from {}: {} match the newest acknowledged write, {} unreadable; dataset checksum expected {} found {}",
            summary.keys,
            summary.source,
            summary.keys_matching,
            summary.keys_unreadable,
            summary.dataset_checksum_expected,
            summary.dataset_checksum_found
        )),
    );
    summary
}
