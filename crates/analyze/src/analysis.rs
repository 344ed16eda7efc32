//! The analysis itself: from a record and the experiment's settings to a [`Summary`].

use std::collections::BTreeMap;

use faultline_record::{Engine, MarkerKind, RunRecord, RunStatus, BUCKET_US, CLIENT_SERIES};
use faultline_spec::Experiment;

use crate::buckets::{by_series, SecondPoint, SeriesCells, Totals, BUCKETS_PER_SECOND};
use crate::config::{AnalysisConfig, RECOVERY_SUCCESS_CAP};
use crate::integrity;
use crate::recovery::{first_healthy_window, Criteria};
use crate::signals::{self, Signal};
use crate::steady::{judge_steady, SteadySecond};
use crate::summary::*;
use crate::verdict::{judge, judge_alert, Measured, Unit};

/// Longest stretch after `t_f` searched for recovery: 24 h of buckets (bounds memory).
pub const RECOVERY_SEARCH_BUCKETS_MAX: u64 = 24 * 3_600 * BUCKETS_PER_SECOND;

/// Everything the analyzer computed: the summary and the per-second series for charts.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    /// The `summary.json` contents.
    pub summary: Summary,
    /// Per series (`client` and every component), whole seconds from the start of the
    /// run to its end: offered, ok, failed, p50 and p99.
    pub series_seconds: BTreeMap<String, Vec<SecondPoint>>,
    /// Acknowledgement times of the writes found lost or stale, in ledger order (what
    /// the RPO and the split-brain count are computed from).
    pub lost_ack_times_us: Vec<u64>,
}

/// Analyzes a record with the settings of its experiment.
pub fn analyze(record: &RunRecord, experiment: &Experiment) -> Analysis {
    analyze_with(record, &AnalysisConfig::from_experiment(experiment))
}

/// Analyzes a record with explicit settings.
pub fn analyze_with(record: &RunRecord, config: &AnalysisConfig) -> Analysis {
    let series = by_series(&record.buckets);
    let empty = SeriesCells::default();
    let client = series.get(CLIENT_SERIES).unwrap_or(&empty);
    let mut notes = run_notes(record);
    if !series.contains_key(CLIENT_SERIES) {
        notes.push(format!(
            "the record has no `{CLIENT_SERIES}` series: client metrics are empty"
        ));
    }

    let end_us = record_end_us(record, &series);
    let end_bucket = end_us.div_ceil(BUCKET_US);
    let t_f = signals::fault_instant_us(&record.markers);
    if t_f.is_none() {
        notes.push(
            "no fault_injected marker: TTD, TTA, RTO, RPO and the transition do not apply"
                .to_string(),
        );
    }

    // Baseline: whole buckets in the last `baseline` before t_f (or before the
    // steady-state gate refused the first fault, or the end).
    let baseline_end_us = t_f
        .or_else(|| signals::steady_refusal_us(&record.markers))
        .unwrap_or(end_us);
    let baseline_start_us = baseline_end_us.saturating_sub(config.baseline_us);
    let baseline_range = baseline_start_us.div_ceil(BUCKET_US)..baseline_end_us / BUCKET_US;
    let baseline_buckets = baseline_range.end.saturating_sub(baseline_range.start);
    if baseline_end_us < config.baseline_us {
        notes.push(format!(
            "the baseline covers only {}s before {} (the baseline phase asks {}s)",
            round6(secs(baseline_end_us)),
            if t_f.is_some() {
                "the fault"
            } else {
                "the end"
            },
            round6(secs(config.baseline_us))
        ));
    }
    let base = client.totals(baseline_range.clone());
    let success_b = base.error_rate().map(|e| 1.0 - e);
    let steady = judge_steady(
        &baseline_seconds(client, &baseline_range, config),
        &config.steady,
    );
    let judged = config.steady.check && config.faults_declared;
    let unsteady = judged && steady.steady == Some(false);
    match (&steady.steady, &steady.reason) {
        (Some(false), Some(reason)) => notes.push(format!(
            "the baseline was not steady: {reason}{}",
            match (config.steady.check, config.faults_declared) {
                (true, true) => "",
                (false, _) => " (phases.steady_state.check is off: the verdict ignores it)",
                (true, false) => " (no fault is declared: the verdict ignores it)",
            }
        )),
        (None, Some(reason)) if judged => notes.push(format!(
            "the baseline was not checked for steadiness: {reason}"
        )),
        _ => {}
    }
    let baseline = Baseline {
        start_s: secs(baseline_range.start * BUCKET_US),
        end_s: secs(baseline_range.end.max(baseline_range.start) * BUCKET_US),
        success_rate: success_b.map(round6),
        ok_throughput_per_s: (baseline_buckets > 0)
            .then(|| round6(base.ok as f64 / secs(baseline_buckets * BUCKET_US))),
        operations: base.completed(),
        steady: steady.steady,
        throughput_swing: steady.throughput_swing,
        backlog_share: steady.backlog_share,
        steady_reason: steady.reason,
    };

    let window_seconds = config.recovery_window_us.div_ceil(1_000_000).max(1);
    let criteria = Criteria {
        window_seconds,
        success: config
            .recovery_success
            .unwrap_or_else(|| RECOVERY_SUCCESS_CAP.min(success_b.unwrap_or(RECOVERY_SUCCESS_CAP))),
        throughput: config.recovery_throughput,
    };

    let fault = t_f.map(|t_f| {
        analyze_fault(
            record, config, client, &criteria, t_f, end_us, end_bucket, &mut notes,
        )
    });

    let integrity::IntegrityResult {
        integrity,
        lost_ack_times_us,
    } = integrity::check(&record.ledger, &record.final_state);
    if !integrity.verified && !record.ledger.is_empty() {
        notes.push("no final state was read back: lost writes and RPO are unknown".to_string());
    }
    if integrity.unverified > 0 && integrity.verified {
        notes.push(match integrity.unverified {
            1 => "1 write is on a key the verification did not read".to_string(),
            n => format!("{n} writes are on keys the verification did not read"),
        });
    }
    let lost_writes = integrity
        .verified
        .then_some(integrity.lost + integrity.stale);
    let split_brain_writes = t_f
        .filter(|_| integrity.verified)
        .map(|t_f| lost_ack_times_us.iter().filter(|t| **t > t_f).count() as u64);
    let rpo_us = t_f.filter(|_| integrity.verified).map(|t_f| {
        lost_ack_times_us
            .iter()
            .min()
            .map_or(0, |earliest| t_f.saturating_sub(*earliest))
    });

    let f = fault.as_ref();
    let transition_range = f.map(|f| f.transition_range.clone());
    let metrics = Metrics {
        t_fault_s: t_f.map(secs),
        ttd_s: f.and_then(|f| f.ttd.as_ref()).map(|s| secs(s.t_us)),
        ttd_source: f.and_then(|f| f.ttd.as_ref()).map(|s| s.source.clone()),
        tta_s: f.and_then(|f| f.tta.as_ref()).map(|s| secs(s.t_us)),
        tta_source: f.and_then(|f| f.tta.as_ref()).map(|s| s.source.clone()),
        recovered: f.map(|f| f.t_r_us.is_some()),
        rto_s: f.and_then(|f| f.rto_us).map(secs),
        t_recovered_s: f.and_then(|f| f.t_r_us).map(secs),
        not_recovered_within_s: f
            .filter(|f| f.t_r_us.is_none())
            .map(|f| secs(end_us.saturating_sub(f.t_f_us))),
        rto_parts: f.map(rto_parts).unwrap_or_default(),
        rpo_s: rpo_us.map(secs),
        lost_writes,
        split_brain_writes,
        error_rate: f.and_then(|f| f.transition.error_rate()).map(round6),
        failure_classes: f.map(|f| classes(&f.transition)).unwrap_or_default(),
        transition_operations: f.map_or(0, |f| f.transition.completed()),
        throughput_degradation_mean: f.and_then(|f| f.degradation_mean).map(round6),
        throughput_degradation_worst: f.and_then(|f| f.degradation_worst).map(round6),
        latency_ms: LatencyComparison {
            baseline: base.percentiles(),
            transition: f.map(|f| f.transition.percentiles()).unwrap_or_default(),
        },
        baseline,
        transition: f.map_or(Interval::default(), |f| Interval {
            start_s: Some(secs(f.t_f_us)),
            end_s: Some(secs(f.transition_end_us)),
            duration_s: Some(secs(f.transition_end_us - f.t_f_us)),
        }),
        recovery_criteria: RecoveryCriteria {
            window_s: window_seconds as f64,
            success: round6(criteria.success),
            throughput: round6(criteria.throughput),
        },
    };

    let components = series
        .iter()
        .map(|(name, cells)| ComponentImpact {
            series: name.clone(),
            baseline: cells.totals(baseline_range.clone()).figures(),
            transition: transition_range
                .clone()
                .map(|r| cells.totals(r).figures())
                .unwrap_or_default(),
        })
        .collect();

    let probe_detection = f.and_then(|f| f.ttd_from_probe.then_some(f.ttd_abs.as_ref()).flatten());
    let (timeline, timeline_omitted) =
        signals::timeline(&record.markers, probe_detection, f.and_then(|f| f.t_r_us));

    let mut thresholds = threshold_lines(config, &metrics, f, &integrity);
    thresholds.extend(alert_lines(config, record, t_f, end_us));
    let passed = !unsteady && thresholds.iter().all(|l| l.passed);

    let summary = Summary {
        summary_version: SUMMARY_VERSION,
        experiment: record.meta.experiment.clone(),
        engine: match record.meta.engine {
            Engine::Sim => "sim",
            Engine::Live => "live",
        }
        .to_string(),
        seed: record.meta.seed,
        passed,
        thresholds,
        metrics,
        integrity,
        components,
        timeline,
        timeline_omitted,
        run: RunFacts {
            status: match record.meta.status {
                RunStatus::Running => "running",
                RunStatus::Completed => "completed",
                RunStatus::Aborted => "aborted",
            }
            .to_string(),
            end_s: secs(end_us),
            abort_reason: record.meta.abort_reason.clone(),
        },
        notes,
    };
    // Charts end with the record, but at most a day after the last bucket with data.
    let data_end_bucket = series
        .values()
        .map(SeriesCells::end_bucket)
        .max()
        .unwrap_or(0);
    let chart_end_bucket = end_bucket.min(data_end_bucket + RECOVERY_SEARCH_BUCKETS_MAX);
    let series_seconds = series
        .iter()
        .map(|(name, cells)| (name.clone(), cells.seconds(chart_end_bucket)))
        .collect();
    Analysis {
        summary,
        series_seconds,
        lost_ack_times_us,
    }
}

/// What happened from the fault on.
struct FaultFigures {
    t_f_us: u64,
    /// TTD and TTA as durations after `t_f`.
    ttd: Option<Signal>,
    tta: Option<Signal>,
    /// Detection as an absolute marker time (for the timeline).
    ttd_abs: Option<Signal>,
    ttd_from_probe: bool,
    t_r_us: Option<u64>,
    rto_us: Option<u64>,
    /// End of the transition: `t_r`, or the end of the record.
    transition_end_us: u64,
    /// Buckets of the transition (at least `t_f`'s own bucket).
    transition_range: std::ops::Range<u64>,
    transition: Totals,
    degradation_mean: Option<f64>,
    degradation_worst: Option<f64>,
}

#[allow(clippy::too_many_arguments)] // one call site; the pieces are all distinct
fn analyze_fault(
    record: &RunRecord,
    config: &AnalysisConfig,
    client: &SeriesCells<'_>,
    criteria: &Criteria,
    t_f: u64,
    end_us: u64,
    end_bucket: u64,
    notes: &mut Vec<String>,
) -> FaultFigures {
    let relative = |s: Signal| Signal {
        t_us: s.t_us - t_f,
        source: s.source,
    };
    let (ttd_abs, ttd_from_probe) =
        match signals::detection(&record.markers, &config.detect_sources, t_f) {
            Some((signal, from_probe)) => (Some(signal), from_probe),
            None => (None, false),
        };
    if let (true, Some(probe)) = (ttd_from_probe, &ttd_abs) {
        notes.push(format!(
            "no detect signal fired after the fault; detection falls back to the first failing probe ({})",
            probe.source
        ));
    }
    let tta = signals::first_signal(
        &record.markers,
        MarkerKind::Activate,
        &config.activate_sources,
        t_f,
    );

    let b_f = t_f / BUCKET_US;
    let search_end = end_bucket.min(b_f + RECOVERY_SEARCH_BUCKETS_MAX);
    if search_end < end_bucket {
        notes.push("recovery was searched only in the first 24h after the fault".to_string());
    }
    let offset = first_healthy_window(&client.dense(b_f..search_end), criteria);
    let t_r_us = offset.map(|o| ((b_f + o) * BUCKET_US).max(t_f));
    // Not recovered: the transition runs to the end (of the searched stretch, so that a
    // corrupt far-future marker cannot make the loops below unbounded).
    let b_r = offset.map_or(search_end, |o| b_f + o);
    let transition_range = b_f..b_r.max(b_f + 1);
    let transition = client.totals(transition_range.clone());
    let degradation_mean = degradation(transition.started, transition.ok);
    let degradation_worst = (transition_range.start..transition_range.end)
        .step_by(BUCKETS_PER_SECOND as usize)
        .filter_map(|s| {
            let second = client.totals(s..(s + BUCKETS_PER_SECOND).min(transition_range.end));
            degradation(second.started, second.ok)
        })
        .reduce(f64::max);
    FaultFigures {
        t_f_us: t_f,
        ttd: ttd_abs.clone().map(relative),
        tta: tta.map(relative),
        ttd_abs,
        ttd_from_probe,
        t_r_us,
        rto_us: t_r_us.map(|t_r| t_r - t_f),
        transition_end_us: t_r_us.unwrap_or(end_us.max(t_f)),
        transition_range,
        transition,
        degradation_mean,
        degradation_worst,
    }
}

/// `1 - ok / offered`, clamped to `[0, 1]`; `None` when nothing was offered.
fn degradation(started: u64, ok: u64) -> Option<f64> {
    (started > 0).then(|| (1.0 - ok as f64 / started as f64).clamp(0.0, 1.0))
}

fn rto_parts(f: &FaultFigures) -> RtoParts {
    let signed = |a: u64, b: u64| (a as f64 - b as f64) / 1e6;
    let ttd = f.ttd.as_ref().map(|s| s.t_us);
    let tta = f.tta.as_ref().map(|s| s.t_us);
    RtoParts {
        detection_s: ttd.map(secs),
        activation_s: ttd.zip(tta).map(|(d, a)| round6(signed(a, d))),
        rest_s: f
            .rto_us
            .zip(tta.or(ttd))
            .map(|(rto, before)| round6(signed(rto, before))),
    }
}

fn classes(t: &Totals) -> FailureClasses {
    FailureClasses {
        refused: t.failed.refused,
        reset: t.failed.reset,
        timeout: t.failed.timeout,
        server_error: t.failed.server_error,
        pool_exhausted: t.failed.pool_exhausted,
        other: t.failed.other,
    }
}

fn record_end_us(record: &RunRecord, series: &BTreeMap<String, SeriesCells<'_>>) -> u64 {
    let buckets_end = series
        .values()
        .map(|s| s.end_bucket() * BUCKET_US)
        .max()
        .unwrap_or(0);
    let markers_end = record.markers.last().map_or(0, |m| m.t_us);
    record
        .meta
        .end_us
        .unwrap_or(0)
        .max(buckets_end)
        .max(markers_end)
}

/// The whole seconds inside the baseline's buckets, with the load of each.
fn baseline_seconds(
    client: &SeriesCells<'_>,
    baseline_range: &std::ops::Range<u64>,
    config: &AnalysisConfig,
) -> Vec<SteadySecond> {
    let first = baseline_range.start.div_ceil(BUCKETS_PER_SECOND);
    let end = baseline_range.end / BUCKETS_PER_SECOND;
    (first..end)
        .map(|second| {
            let start = second * BUCKETS_PER_SECOND;
            let totals = client.totals(start..start + BUCKETS_PER_SECOND);
            let mid_us = second * 1_000_000 + 500_000;
            SteadySecond {
                started: totals.started,
                ok: totals.ok,
                failed: totals.failed.total(),
                level: config.profile.as_ref().map_or(1.0, |p| p.level_at(mid_us)),
            }
        })
        .collect()
}

fn run_notes(record: &RunRecord) -> Vec<String> {
    match record.meta.status {
        RunStatus::Running => vec![
            "run.json says `running`: the run crashed or is still going; figures cover what was recorded"
                .to_string(),
        ],
        RunStatus::Aborted => vec![format!(
            "the run was aborted: {}",
            record.meta.abort_reason.as_deref().unwrap_or("no reason recorded")
        )],
        RunStatus::Completed => Vec::new(),
    }
}

const NO_FAULT: &str = "no fault was injected, so there is no transition to measure";

fn threshold_lines(
    config: &AnalysisConfig,
    m: &Metrics,
    f: Option<&FaultFigures>,
    integrity: &Integrity,
) -> Vec<ThresholdLine> {
    let need_fault = |value: Option<f64>, why: &str| match (f, value) {
        (None, _) => Err(NO_FAULT.to_string()),
        (Some(_), Some(v)) => Ok(v),
        (Some(_), None) => Err(why.to_string()),
    };
    let not_verified = "no final state was read back, so lost writes are unknown";
    let rto_why = match m.not_recovered_within_s {
        Some(d) => format!("not recovered within {}s", round6(d)),
        None => "not recovered".to_string(),
    };
    let e = &config.expect;
    let checks = [
        (&e.rto, "rto", Unit::Seconds, need_fault(m.rto_s, &rto_why)),
        (
            &e.rpo,
            "rpo",
            Unit::Seconds,
            match (f, m.rpo_s) {
                (None, _) => Err(NO_FAULT.to_string()),
                (_, Some(v)) => Ok(v),
                (_, None) => Err(not_verified.to_string()),
            },
        ),
        (
            &e.ttd,
            "ttd",
            Unit::Seconds,
            need_fault(
                m.ttd_s,
                "no detect signal and no failing probe after the fault",
            ),
        ),
        (
            &e.tta,
            "tta",
            Unit::Seconds,
            need_fault(m.tta_s, "no activate signal after the fault"),
        ),
        (
            &e.error_rate,
            "error_rate",
            Unit::Fraction,
            need_fault(
                m.error_rate,
                "no client operation completed in the transition",
            ),
        ),
        (
            &e.p99_latency,
            "p99_latency",
            Unit::Millis,
            need_fault(
                m.latency_ms.transition.p99,
                "no client operation completed in the transition",
            ),
        ),
        (
            &e.throughput_degradation,
            "throughput_degradation",
            Unit::Fraction,
            need_fault(
                m.throughput_degradation_mean,
                "no client operation was offered in the transition",
            ),
        ),
        (
            &e.lost_writes,
            "lost_writes",
            Unit::Writes,
            m.lost_writes
                .filter(|_| integrity.verified)
                .map(|n| n as f64)
                .ok_or_else(|| not_verified.to_string()),
        ),
        (
            &e.split_brain_writes,
            "split_brain_writes",
            Unit::Writes,
            match (f, m.split_brain_writes) {
                (None, _) => Err(NO_FAULT.to_string()),
                (_, Some(n)) => Ok(n as f64),
                (_, None) => Err(not_verified.to_string()),
            },
        ),
    ];
    checks
        .into_iter()
        .filter_map(|(threshold, name, unit, actual)| {
            threshold
                .as_ref()
                .map(|t| judge(t, &Measured { name, unit, actual }))
        })
        .collect()
}

fn alert_lines(
    config: &AnalysisConfig,
    record: &RunRecord,
    t_f: Option<u64>,
    end_us: u64,
) -> Vec<ThresholdLine> {
    config
        .alerts
        .iter()
        .filter_map(|rule| {
            let within = rule.must_fire_within?;
            let fired = match t_f {
                None => Err(NO_FAULT.to_string()),
                Some(t_f) => signals::alert_fired_us(&record.markers, &rule.name, t_f)
                    .map(|t| secs(t - t_f))
                    .ok_or_else(|| {
                        format!(
                            "did not fire in the {}s between the fault and the end of the record",
                            round6(secs(end_us.saturating_sub(t_f)))
                        )
                    }),
            };
            Some(judge_alert(&rule.name, within, fired))
        })
        .collect()
}
