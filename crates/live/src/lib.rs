//! The faultline live engine: the same experiment as the simulator, run against a real
//! deployment, written to the same run record.
//!
//! [`run`] reads an experiment's `live` section (targets, processes, actions, edges,
//! probes), checks it ([`check`]), and then:
//!
//! - drives load with a tokio load generator ([`load`]): open model (Poisson arrivals at
//!   the stages' rate) or closed model (virtual users with think time), latency
//!   measured from each operation's intended start (no coordinated omission), against
//!   HTTP/1.1 or HTTP/2, PostgreSQL (several hosts, the current primary found) or Redis
//!   (Sentinel-aware) ([`target`]);
//! - injects the experiment's `faults` through the bindings of the `live` section
//!   ([`faults`]: signals, pauses, commands, the fault proxy, firewall rules), and rolls
//!   every one back on every path: success, guardrail, Ctrl-C, SIGTERM, a failing step
//!   and a panic ([`faults::Rollback`]);
//! - samples probes every 100 ms ([`probes`]) and receives Alertmanager webhooks
//!   ([`webhook`]) as detect and activate signals;
//! - verifies the final state ([`verify`]): every written key read back through the
//!   target's current primary, with a whole-dataset checksum.
//!
//! Everything goes into a [`faultline_record`] run record (series `client` and the
//! target's component; markers; the write ledger; final reads), which
//! `faultline_analyze` turns into metrics.
//!
//! ```no_run
//! let experiment = faultline_spec::load(std::path::Path::new("examples/live-redis-sentinel.yaml")).unwrap();
//! faultline_live::check(&experiment).unwrap();
//! let meta = faultline_live::run(&experiment, std::path::Path::new("out/run"), &mut |p| {
//!     eprintln!("{} {:.0} ops/s", p.phase, p.rate_per_s);
//! })
//! .unwrap();
//! println!("{:?}", meta.status);
//! ```

mod engine;
pub mod error;
pub mod failback;
pub mod faults;
mod guard;
pub mod keys;
pub mod load;
pub mod plan;
pub mod probes;
pub mod sink;
mod steady;
pub mod stop;
pub mod target;
pub mod testkit;
mod time;
pub mod verify;
pub mod webhook;

use std::path::Path;
use std::sync::Arc;

pub use error::{LiveError, LiveErrorKind};
pub use plan::check;
pub use stop::{StopCause, Stopper};

use faultline_record::{Progress, RunMeta};
use faultline_spec::Experiment;

/// Runs an experiment against the real deployment its `live` section describes and
/// writes the run record into `out_dir`. Ctrl-C and SIGTERM stop the run early (every
/// fault rolled back, the record marked aborted). Returns the record's final
/// `run.json`; a guardrail or a failing step gives an `aborted` record, not an error.
pub fn run(
    experiment: &Experiment,
    out_dir: &Path,
    progress: &mut dyn FnMut(&Progress),
) -> Result<RunMeta, LiveError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            LiveError::new(
                LiveErrorKind::Environment,
                format!("cannot start the tokio runtime: {e}"),
            )
        })?;
    let stopper = Arc::new(Stopper::default());
    runtime.block_on(async {
        let signals = tokio::spawn(watch_os_signals(stopper.clone()));
        let result = engine::run(experiment, out_dir, progress, stopper.clone()).await;
        signals.abort();
        result
    })
}

/// Like [`run`], inside a running tokio runtime, stopped early through `stopper`
/// (no OS signal handling: the caller owns it).
pub async fn run_async(
    experiment: &Experiment,
    out_dir: &Path,
    progress: &mut dyn FnMut(&Progress),
    stopper: Arc<Stopper>,
) -> Result<RunMeta, LiveError> {
    engine::run(experiment, out_dir, progress, stopper).await
}

async fn watch_os_signals(stopper: Arc<Stopper>) {
    use tokio::signal::unix::{signal, SignalKind};
    let Ok(mut term) = signal(SignalKind::terminate()) else {
        return;
    };
    let Ok(mut int) = signal(SignalKind::interrupt()) else {
        return;
    };
    tokio::select! {
        _ = term.recv() => stopper.stop(StopCause::Interrupted("SIGTERM".into())),
        _ = int.recv() => stopper.stop(StopCause::Interrupted("SIGINT (Ctrl-C)".into())),
    }
}
