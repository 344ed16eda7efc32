//! The run itself: preflight, baseline, faults under load, observation, rollback,
//! verification, and the record.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use faultline_analyze::AnalysisConfig;
use faultline_proxy::{ProxyConfig, ProxyRegistry};
use faultline_record::{Engine, MarkerKind, Progress, Recorder, RunMeta, RunStatus};
use faultline_spec::session::SessionShape;
use faultline_spec::{Experiment, LoadModel};
use tokio::task::JoinHandle;

use crate::error::{LiveError, LiveErrorKind};
use crate::faults::{self, edge_proxy_name, PlannedFault, Rollback};
use crate::keys::KeyChooser;
use crate::load::{closed_model, open_model, LoadContext};
use crate::plan::LivePlan;
use crate::probes::ProbeRunner;
use crate::sink::Sink;
use crate::steady::SteadyGate;
use crate::stop::{StopCause, Stopper};
use crate::target::Target;
use crate::{verify, webhook};

/// How long the preflight waits for the target to answer.
const PREFLIGHT_WAIT: Duration = Duration::from_secs(10);

/// Tasks aborted when the run ends, whatever the path.
struct Tasks(Vec<JoinHandle<()>>);

impl Drop for Tasks {
    fn drop(&mut self) {
        for t in &self.0 {
            t.abort();
        }
    }
}

/// A tag unique to this run in this process (firewall rules and nft tables carry it).
fn run_tag() -> String {
    static RUNS: AtomicU64 = AtomicU64::new(0);
    format!(
        "{}_{}",
        std::process::id(),
        RUNS.fetch_add(1, Ordering::Relaxed)
    )
}

/// Runs the experiment; the record goes to `out_dir`.
pub async fn run(
    experiment: &Experiment,
    out_dir: &Path,
    progress: &mut dyn FnMut(&Progress),
    stopper: Arc<Stopper>,
) -> Result<RunMeta, LiveError> {
    let plan = LivePlan::new(experiment).map_err(|p| LiveError::config(p.join("\n")))?;
    let raw = experiment.raw();
    let live = &plan.live;

    // Targets, proxies, faults, probes: everything that can fail before the run.
    let target = Arc::new(Target::new(&plan.target_name, &plan.target_config)?);
    let proxies = ProxyRegistry::new();
    for edge in &live.edges {
        if let Some(p) = &edge.proxy {
            proxies
                .add_proxy(ProxyConfig::new(
                    edge_proxy_name(&edge.between),
                    &p.listen,
                    &p.upstream,
                ))
                .map_err(|e| {
                    LiveError::new(
                        LiveErrorKind::Preflight,
                        format!(
                            "live.edges [{}, {}]: cannot start the fault proxy on {}: {e}",
                            edge.between[0], edge.between[1], p.listen
                        ),
                    )
                })?;
        }
    }
    let planned = faults::plan(&raw.faults, live, &proxies, &run_tag())
        .map_err(|p| LiveError::config(p.join("\n")))?;
    let probes = live
        .probes
        .iter()
        .map(|(name, p)| ProbeRunner::new(name, p))
        .collect::<Result<Vec<_>, _>>()?;
    let webhook_listener = match &live.alert_webhook {
        Some(w) => Some(webhook::bind(w).await?),
        None => None,
    };
    target.prepare().await?;
    // Ctrl-C while the target does not answer yet stops at once, not after the wait.
    let ready = tokio::select! {
        ready = verify::wait_ready(&target, PREFLIGHT_WAIT) => ready,
        () = stopper.stopped() => {
            let why = stopper.cause().map_or_else(|| "stopped".to_string(), |c| c.reason());
            return Err(LiveError::new(
                LiveErrorKind::Preflight,
                format!(
                    "preflight: {why} while waiting for target `{}` ({}) to answer; the run \
                     had not started: nothing was injected and no record was written",
                    plan.target_name,
                    target.describe()
                ),
            ));
        }
    };
    if !ready {
        return Err(LiveError::new(
            LiveErrorKind::Preflight,
            format!(
                "preflight: target `{}` ({}) did not answer a read within {:?}; is it running?",
                plan.target_name,
                target.describe(),
                PREFLIGHT_WAIT
            ),
        ));
    }

    let mut meta = RunMeta::new(&raw.name, Engine::Live, experiment.seed());
    meta.started_at = Some(crate::time::rfc3339_now());
    let recorder = Recorder::create(out_dir, meta, experiment.source_text())?;
    let sink = Arc::new(Sink::new(recorder, &plan.target_name, Instant::now()));
    let rollback = Arc::new(Rollback::default());
    sink.mark(MarkerKind::PhaseStart, "baseline", None, None);

    let ctx = Arc::new(LoadContext {
        sink: sink.clone(),
        target: target.clone(),
        write_share: plan.write_share,
        keys: KeyChooser::new(&raw.workload.keys),
        sessions: raw
            .workload
            .sessions
            .as_ref()
            .map(|s| SessionShape::new(s, raw.workload.keys.count)),
        timeout: plan.op_timeout,
        think: plan.think,
        profile: plan.profile.clone(),
        seed: experiment.seed(),
        model: raw.workload.model,
        end_us: AtomicU64::new(plan.end_us),
        stopped: AtomicBool::new(false),
        in_flight: AtomicUsize::new(0),
        idle: tokio::sync::Notify::new(),
    });

    let mut tasks = Tasks(Vec::new());
    {
        let sink = sink.clone();
        tasks.0.push(tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(100));
            loop {
                tick.tick().await;
                sink.flush();
            }
        }));
    }
    for probe in probes {
        tasks.0.push(tokio::spawn(probe.run(sink.clone())));
    }
    if let (Some(listener), Some(config)) = (webhook_listener, &live.alert_webhook) {
        tasks.0.push(tokio::spawn(webhook::serve(
            listener,
            config.clone(),
            sink.clone(),
        )));
    }
    let first_fault_us = Arc::new(AtomicU64::new(u64::MAX));
    let first_fault_index = Arc::new(AtomicU64::new(0));
    let steady_gate = Arc::new(SteadyGate::new(&AnalysisConfig::from_experiment(
        experiment,
    )));
    for fault in planned {
        tasks.0.push(tokio::spawn(fault_task(
            fault,
            ctx.clone(),
            FaultShared {
                rollback: rollback.clone(),
                stopper: stopper.clone(),
                steady_gate: steady_gate.clone(),
                first_fault_us: first_fault_us.clone(),
                first_fault_index: first_fault_index.clone(),
            },
            plan.observe_us,
        )));
    }
    tasks.0.push(tokio::spawn(crate::guard::guardrails(
        plan.guardrails.clone(),
        sink.clone(),
        stopper.clone(),
    )));
    if let Some(fb) = plan.failback.clone() {
        tasks.0.push(tokio::spawn(crate::failback::failback(
            fb,
            sink.clone(),
            rollback.clone(),
            stopper.clone(),
            first_fault_us.clone(),
            first_fault_index.clone(),
        )));
    }

    let mut generator = tokio::spawn({
        let ctx = ctx.clone();
        async move {
            match ctx.model {
                LoadModel::Open => open_model(ctx).await,
                LoadModel::Closed => closed_model(ctx).await,
            }
        }
    });
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.tick().await;
    loop {
        tokio::select! {
            _ = &mut generator => break,
            _ = stopper.stopped() => {
                ctx.stopped.store(true, Ordering::Release);
                let _ = tokio::time::timeout(Duration::from_secs(2), &mut generator).await;
                break;
            }
            _ = tick.tick() => {
                let now = sink.now_us();
                let second = now / 1_000_000;
                let (ok, failed, _) = sink.window(second.saturating_sub(1), second);
                let total = ok + failed;
                let phase = if first_fault_us.load(Ordering::Acquire) == u64::MAX { "baseline" } else { "observe" };
                progress(&Progress {
                    phase: phase.into(),
                    elapsed_us: now,
                    total_us: ctx.end_us.load(Ordering::Acquire),
                    rate_per_s: total as f64,
                    error_rate: if total > 0 { failed as f64 / total as f64 } else { 0.0 },
                    active_faults: sink.active_faults(),
                });
            }
        }
    }
    ctx.stopped.store(true, Ordering::Release);
    let load_end_us = sink.now_us();
    if stopper.cause().is_none()
        && plan
            .max_duration_us
            .is_some_and(|m| load_end_us + 50_000 >= m && m < plan.stages_end_us)
    {
        sink.mark(
            MarkerKind::Guardrail,
            "guardrail:max_duration",
            None,
            Some(format!(
                "the run reached guardrails.max_duration ({} s)",
                plan.max_duration_us.unwrap_or(0) / 1_000_000
            )),
        );
        stopper.stop(StopCause::Guardrail("max_duration reached".into()));
    }
    let phase = if first_fault_us.load(Ordering::Acquire) == u64::MAX {
        "baseline"
    } else {
        "observe"
    };
    let still = ctx.drain(plan.drain).await;
    if still > 0 {
        sink.mark(
            MarkerKind::Note,
            "drain",
            None,
            Some(format!(
                "{still} operations still in flight after the drain"
            )),
        );
    }
    sink.mark(MarkerKind::PhaseEnd, phase, None, None);
    // Stop fault timers and probes before rolling back, so nothing injects again.
    drop(tasks);
    roll_back(&sink, &rollback);

    let cause = stopper.cause();
    let interrupted = matches!(cause, Some(StopCause::Interrupted(_)));
    if plan.verify && !interrupted {
        progress(&Progress {
            phase: "verify".into(),
            elapsed_us: sink.now_us(),
            total_us: sink.now_us(),
            ..Progress::default()
        });
        sink.mark(MarkerKind::PhaseStart, "verify", None, None);
        if verify::wait_ready(&target, plan.verify_wait).await {
            let summary = verify::verify(
                sink.clone(),
                target.clone(),
                plan.op_timeout,
                plan.verify_wait,
            )
            .await;
            let _ = faultline_record::write_json_atomically(&out_dir.join("verify.json"), &summary);
        } else {
            // Nothing recorded as read: the analyzer reports the writes as unverified.
            sink.mark(
                MarkerKind::Note,
                "verify",
                None,
                Some(format!(
                    "verification skipped: target `{}` ({}) did not answer within {:?}",
                    plan.target_name,
                    target.describe(),
                    plan.verify_wait
                )),
            );
        }
        sink.mark(MarkerKind::PhaseEnd, "verify", None, None);
    }
    let end_us = sink.now_us();
    drop(proxies);
    let (recorder, error) = sink.take_recorder();
    let recorder = recorder
        .ok_or_else(|| LiveError::new(LiveErrorKind::Record, "the record was already closed"))?;
    if let Some(e) = error {
        return Err(LiveError::new(
            LiveErrorKind::Record,
            format!("writing the record in {}: {e}", out_dir.display()),
        ));
    }
    let (status, reason) = match &cause {
        None => (RunStatus::Completed, None),
        Some(c) => (RunStatus::Aborted, Some(c.reason())),
    };
    Ok(recorder.finish(status, end_us.max(load_end_us), reason)?)
}

/// Heals everything still injected and records it.
fn roll_back(sink: &Sink, rollback: &Rollback) {
    for (index, name, result) in rollback.heal_all() {
        let source = format!("fault:{index}");
        match result {
            Ok(()) => sink.mark(
                MarkerKind::FaultHealed,
                &source,
                None,
                Some(format!("{name}: rolled back at the end of the run")),
            ),
            Err(e) => sink.mark(
                MarkerKind::Note,
                &source,
                None,
                Some(format!("{name}: ROLLBACK FAILED: {e}")),
            ),
        }
        sink.set_fault_active(&name, false);
    }
}

async fn wait_trigger(fault: &PlannedFault, ctx: &LoadContext) -> bool {
    let sink = &ctx.sink;
    if let Some(at) = fault.fault.at {
        let when = sink.start() + at.to_std();
        tokio::time::sleep_until(tokio::time::Instant::from_std(when)).await;
    } else if let Some(cond) = &fault.fault.when {
        let mut rx = sink.subscribe();
        loop {
            let now = sink.now_us();
            let level = ctx.profile.level_at(now);
            let holds = cond.users.is_some_and(|u| level + 1e-9 >= f64::from(u))
                || cond.rate.is_some_and(|r| level + 1e-9 >= r.per_s)
                || cond
                    .signal
                    .as_ref()
                    .is_some_and(|s| sink.fired_at(s).is_some());
            if holds {
                break;
            }
            if now >= ctx.end_us.load(Ordering::Acquire) {
                return false;
            }
            let _ = tokio::time::timeout(Duration::from_millis(10), rx.changed()).await;
        }
        if let Some(delay) = cond.delay {
            tokio::time::sleep(delay.to_std()).await;
        }
    }
    !ctx.stopped.load(Ordering::Acquire) && sink.now_us() < ctx.end_us.load(Ordering::Acquire)
}

/// What every fault task shares.
struct FaultShared {
    rollback: Arc<Rollback>,
    stopper: Arc<Stopper>,
    steady_gate: Arc<SteadyGate>,
    first_fault_us: Arc<AtomicU64>,
    first_fault_index: Arc<AtomicU64>,
}

async fn fault_task(
    fault: PlannedFault,
    ctx: Arc<LoadContext>,
    shared: FaultShared,
    observe_us: Option<u64>,
) {
    let FaultShared {
        rollback,
        stopper,
        steady_gate,
        first_fault_us,
        first_fault_index,
    } = shared;
    if !wait_trigger(&fault, &ctx).await {
        return;
    }
    if !steady_gate.admits(&ctx, &stopper).await {
        return;
    }
    let sink = ctx.sink.clone();
    let source = format!("fault:{}", fault.index);
    let to_inject = fault.clone();
    let t_before = sink.now_us();
    let result = tokio::task::spawn_blocking(move || faults::inject(&to_inject))
        .await
        .unwrap_or_else(|e| Err(format!("the injection task failed: {e}")));
    match result {
        Ok(heal) => {
            // The fault's instant is when the action was taken; a command's own
            // duration is in the detail.
            let t_after = sink.now_us();
            sink.marker(faultline_record::Marker {
                t_us: t_before,
                kind: MarkerKind::FaultInjected,
                source: source.clone(),
                component: fault.component.clone(),
                detail: Some(format!(
                    "{} (took {} ms)",
                    fault.name,
                    (t_after - t_before) / 1000
                )),
            });
            if first_fault_us
                .compare_exchange(u64::MAX, t_before, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                first_fault_index.store(fault.index as u64, Ordering::Release);
                sink.mark(MarkerKind::PhaseEnd, "baseline", None, None);
                sink.mark(MarkerKind::PhaseStart, "observe", None, None);
                if let Some(observe) = observe_us {
                    ctx.end_us.fetch_min(t_before + observe, Ordering::AcqRel);
                }
            }
            sink.set_fault_active(&fault.name, true);
            let has_heal = heal.is_some();
            if let Some(step) = heal {
                rollback.push(fault.index, &fault.name, step);
            }
            if let Some(duration) = fault.fault.duration {
                tokio::time::sleep(duration.to_std()).await;
                let index = fault.index;
                let rb = rollback.clone();
                let healed = tokio::task::spawn_blocking(move || rb.heal(index))
                    .await
                    .ok()
                    .flatten();
                match healed {
                    Some(Err(e)) => {
                        sink.mark(
                            MarkerKind::Note,
                            &source,
                            fault.component.as_deref(),
                            Some(format!("heal failed: {e}")),
                        );
                        stopper.stop(StopCause::StepFailed(format!(
                            "healing fault {} ({}): {e}",
                            fault.index, fault.name
                        )));
                    }
                    Some(Ok(())) | None => {
                        let detail = if has_heal {
                            fault.name.clone()
                        } else {
                            format!("{}: nothing to undo", fault.name)
                        };
                        sink.mark(
                            MarkerKind::FaultHealed,
                            &source,
                            fault.component.as_deref(),
                            Some(detail),
                        );
                    }
                }
                sink.set_fault_active(&fault.name, false);
            }
        }
        Err(e) => {
            sink.mark(
                MarkerKind::Note,
                &source,
                fault.component.as_deref(),
                Some(format!("injection failed: {e}")),
            );
            stopper.stop(StopCause::StepFailed(format!(
                "fault {} ({}): {e}",
                fault.index, fault.name
            )));
        }
    }
}
