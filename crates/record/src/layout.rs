//! File names inside a run's folder.

/// Facts about the run (`RunMeta`), rewritten when the run ends.
pub const RUN: &str = "run.json";
/// The experiment file's text, verbatim.
pub const EXPERIMENT: &str = "experiment.yaml";
/// One `Bucket` per line.
pub const BUCKETS: &str = "buckets.jsonl";
/// One `Marker` per line, in time order.
pub const MARKERS: &str = "markers.jsonl";
/// One `LedgerEntry` per line.
pub const LEDGER: &str = "ledger.jsonl";
/// One `FinalRead` per line.
pub const FINAL_STATE: &str = "final_state.jsonl";
