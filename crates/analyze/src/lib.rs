//! The faultline analyzer: a run record and its experiment in, metrics and a verdict out.
//!
//! Pure: no clock, no I/O. Both engines write the same [`RunRecord`]; [`analyze`] turns
//! it into an [`Analysis`], whose [`Summary`] is `summary.json` (the stable contract,
//! documented in `docs/summary.md`), and whose per-second series feed the charts.
//!
//! Every metric follows PRODUCT.md: `t_f` (first `fault_injected` marker), the baseline
//! before it, TTD (with its source), TTA, RTO (first window of healthy seconds; see
//! [`recovery`](crate::recovery) for the alignment), the transition `[t_f, t_r]`, its
//! error rate by failure class, throughput degradation, latency against the baseline,
//! lost writes, RPO, split-brain writes and per-write integrity.
//!
//! ```
//! use faultline_record::*;
//! let dir = tempfile::tempdir().unwrap();
//! let yaml = r#"
//! name: demo
//! architecture:
//!   api: { kind: service, instances: 2, concurrency: 10, service_time: { fixed: 5ms } }
//! workload: { stages: [ { hold: 20s, users: 10 } ], mix: { read: 100%, write: 0% } }
//! faults: [ { at: 5s, kill: api } ]
//! expect: { rto: "<= 5s" }
//! "#;
//! let mut rec = Recorder::create(dir.path(), RunMeta::new("demo", Engine::Sim, 1), yaml).unwrap();
//! let client = rec.series(CLIENT_SERIES);
//! for i in 0..200u64 {
//!     let t_us = i * 100_000;
//!     rec.op_started(client, OpKind::Read, t_us);
//!     // Every operation from 5.0 s to 6.0 s fails.
//!     let outcome = if (50..60).contains(&i) { Err(FailureClass::Refused) } else { Ok(()) };
//!     rec.op_finished(client, OpKind::Read, t_us, t_us + 1_000, outcome);
//! }
//! rec.marker(&Marker { t_us: 5_000_000, kind: MarkerKind::FaultInjected,
//!     source: "fault:0".into(), component: None, detail: None }).unwrap();
//! rec.finish(RunStatus::Completed, 20_000_000, None).unwrap();
//!
//! let record = RunRecord::load(dir.path()).unwrap();
//! let experiment = faultline_spec::parse(&record.experiment_text, "experiment.yaml".as_ref()).unwrap();
//! let analysis = faultline_analyze::analyze(&record, &experiment);
//! assert_eq!(analysis.summary.metrics.rto_s, Some(1.0));
//! assert!(analysis.summary.passed);
//! ```

mod analysis;
mod buckets;
pub mod config;
pub mod guardrail;
pub mod integrity;
pub mod recovery;
mod signals;
pub mod steady;
pub mod summary;
mod verdict;

pub use analysis::{analyze, analyze_with, Analysis, RECOVERY_SEARCH_BUCKETS_MAX};
pub use buckets::{SecondPoint, BUCKETS_PER_SECOND};
pub use config::AnalysisConfig;
pub use signals::{kind_name, FAULT_SOURCE_PREFIX, STEADY_STATE_SOURCE, TIMELINE_EVENTS_MAX};
pub use summary::*;
