//! The faultline simulator: a deterministic discrete-event simulation of the designed
//! architecture, writing the same run record as the live engine.
//!
//! Clients (virtual users or open arrivals) send reads and writes through DNS names
//! with TTLs, load balancers with health checks, services with queues, timeouts,
//! retries, pools and breakers, caches, and databases with replication and failover
//! controllers; faults kill, pause, slow or cut parts of it. Nothing is scripted: RTO,
//! lost writes, retry storms and saturation come out of these mechanisms. Time is a
//! simulated clock in microseconds and randomness a seeded PCG generator, so the same
//! experiment and seed give the same record byte for byte.
//!
//! Main types: [`run`] (the engine entry point), [`Simulation`] (the lower-level API
//! for tests, benchmarks and the scenario hunt), [`DecisionPoint`] (the optional trace
//! of decisions with their margins), [`SimError`].
//!
//! ```
//! let text = r#"
//! name: demo
//! architecture:
//!   api: { kind: service, instances: 1, concurrency: 4,
//!          service_time: { exponential: { mean: 10ms } } }
//! workload:
//!   model: open
//!   stages: [ { hold: 5s, rate: 200/s } ]
//!   mix: { read: 100%, write: 0% }
//! "#;
//! let experiment = faultline_spec::parse(text, "demo.yaml".as_ref()).unwrap();
//! let dir = tempfile::tempdir().unwrap();
//! let meta = faultline_sim::run(&experiment, dir.path(), &mut |_| {}).unwrap();
//! assert_eq!(meta.seed, 1);
//! assert!(meta.started_at.is_none()); // simulated runs carry no wall-clock time
//! ```

mod breaker;
mod build;
mod call;
mod client;
mod control;
mod db;
mod event;
mod faults;
mod guardrail;
mod node;
mod queue;
pub mod rng;
mod session;
mod sim;
mod stats;
mod steady;
mod world;

use std::path::Path;

use faultline_record::{Engine, Progress, Recorder, RunMeta, RunRecord};
use faultline_spec::Experiment;

pub use sim::{ComponentStats, Simulation};

/// A decision the simulated system took, with how close it was to going the other
/// way: the guide of the scenario hunt.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DecisionPoint {
    /// Where: `lb.health.down`, `failover.detect`, `call.timeout`, `pool.acquire`,
    /// `pool.exhausted`, `breaker.open`, `breaker.reject`, `breaker.trial`, `retry.budget`,
    /// `queue.full`, `autoscale.out`, `dns.stale` (a resolver cache answered with an
    /// address the record no longer holds; margin: seconds before that cache expires).
    pub site: &'static str,
    /// Whether the branch was taken.
    pub taken: bool,
    /// Distance to the threshold in the site's own unit (negative: short of it).
    pub margin: f64,
    /// When, in microseconds of simulated time.
    pub t_us: u64,
}

/// Why a simulation could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// The experiment cannot be simulated as written; the message names the field.
    #[error("{0}")]
    Model(String),
    /// The run record could not be written.
    #[error(transparent)]
    Record(#[from] faultline_record::WriteError),
}

/// Runs `experiment` (with its own seed) in the simulator and writes the run record
/// into `out_dir`. `progress` is called about once per simulated second.
pub fn run(
    experiment: &Experiment,
    out_dir: &Path,
    progress: &mut dyn FnMut(&Progress),
) -> Result<RunMeta, SimError> {
    let seed = experiment.seed();
    let sim = Simulation::new(experiment, seed)?;
    let meta = RunMeta::new(&experiment.raw().name, Engine::Sim, seed);
    let rec = Recorder::create(out_dir, meta, experiment.source_text())?;
    let (meta, _) = sim.run_to_end(rec, progress)?;
    Ok(meta)
}

/// Runs `sim`, made from `experiment` with the experiment's own seed, to its end with
/// the record kept in memory, and returns that record (the one [`run`] writes and
/// `RunRecord::load` reads back) with the finished simulation (its decision trace).
/// For many runs analyzed and not kept: replications and searches.
pub fn run_in_memory(
    experiment: &Experiment,
    sim: Simulation,
) -> Result<(RunRecord, Simulation), SimError> {
    let meta = RunMeta::new(&experiment.raw().name, Engine::Sim, experiment.seed());
    let (rec, kept) = Recorder::in_memory(meta, experiment.source_text());
    let (_, sim) = sim.run_to_end(rec, &mut |_| {})?;
    let record = kept.take().ok_or_else(|| {
        SimError::Model("the simulation ended without finishing its record".into())
    })?;
    Ok((record, sim))
}
