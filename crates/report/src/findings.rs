//! Findings: what happened and why, in plain words, from the summary and the design.
//!
//! Each finding points at a cause the experiment file shows: the RTO's largest part and
//! the setting behind it (a health check's interval and threshold, a promotion time, a
//! DNS TTL), the dominant failure class, lost writes and the replication that explains
//! them. (The blast radius has its own section in every report.)

use faultline_analyze::{RtoParts, Summary, FAULT_SOURCE_PREFIX};
use faultline_spec::{Component, Experiment, PrimaryDiscovery, ReplicationMode};

use crate::text::{counted, duration, millis, number, percent};

/// One part of the RTO as the reports split it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RtoPart {
    /// From the fault to the activation, when no detection was seen to split it.
    UntilActivation,
    /// TTD.
    Detection,
    /// TTA − TTD.
    Activation,
    /// From the activation (or the detection, without one) to the recovery.
    Rest,
}

/// The RTO's resolution, seconds: its end `t_r` is the start of a 100 ms bucket, while
/// TTD and TTA are exact, so a part after them can come out up to this much below zero
/// without anything having happened before them.
pub(crate) const BUCKET_S: f64 = faultline_record::BUCKET_US as f64 / 1e6;

/// The RTO's parts in order, each with its seconds, so that they add up to `rto_s`:
/// the summary counts the rest from the activation even without a detection, and the
/// time up to the activation is then one undivided part.
pub(crate) fn rto_split(rto_s: f64, p: &RtoParts) -> Vec<(RtoPart, f64)> {
    let until_activation = match (p.detection_s, p.rest_s) {
        (None, Some(rest_s)) => Some(rto_s - rest_s),
        _ => None,
    };
    [
        (RtoPart::UntilActivation, until_activation),
        (RtoPart::Detection, p.detection_s),
        (RtoPart::Activation, p.activation_s),
        (RtoPart::Rest, p.rest_s),
    ]
    .into_iter()
    .filter_map(|(part, secs)| secs.map(|secs| (part, secs)))
    .collect()
}

/// A user-written name (an alert's, a probe's) made fit to sit between the backticks
/// that mark code in a finding: the HTML and Markdown renderers split findings on
/// backticks, so one inside a name would end its code span early and turn the rest of
/// the sentence inside out. It becomes `ˋ` (U+02CB), which looks the same.
pub(crate) fn in_code(name: &str) -> String {
    name.replace('`', "\u{2cb}")
}

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Context.
    Info,
    /// Worth a look.
    Warn,
    /// An objective was missed or data was lost.
    Bad,
}

/// One finding.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// How much it matters.
    pub level: Level,
    /// One plain sentence (or two).
    pub text: String,
}

/// Why a run failed although none of its verdict lines did, or `None` when the verdict
/// lines explain it (or it passed). The analyzer fails a run whose baseline was not steady
/// even when every objective held (the engines then inject no fault), so every report
/// must say so: a FAILED badge over a list of passed objectives reads as a bug, and a
/// JUnit file with no failed test passes the CI.
pub fn failed_without_objective(summary: &Summary) -> Option<String> {
    let b = &summary.metrics.baseline;
    if summary.passed || summary.thresholds.iter().any(|t| !t.passed) || b.steady != Some(false) {
        return None;
    }
    Some(match &b.steady_reason {
        Some(reason) => format!("the baseline was not steady: {reason}"),
        None => "the baseline was not steady".to_string(),
    })
}

/// A one-paragraph story of the run for the top of a report: what was done, whether the
/// objectives held, how long the outage was and what data was lost.
pub fn headline(summary: &Summary, experiment: &Experiment) -> String {
    let m = &summary.metrics;
    let failed = summary.thresholds.iter().filter(|t| !t.passed).count();
    let verdict = if let Some(why) = failed_without_objective(summary) {
        let held = match summary.thresholds.len() {
            0 => "No objectives were declared".to_string(),
            1 => "The objective held".to_string(),
            n => format!("All {n} objectives held"),
        };
        format!("{held}, but the run failed: {why}.")
    } else if summary.thresholds.is_empty() {
        "No objectives were declared.".to_string()
    } else if summary.thresholds.len() == 1 {
        match failed {
            0 => "The objective held.".to_string(),
            _ => format!("The objective was missed ({}).", summary.thresholds[0].name),
        }
    } else if failed == 0 {
        format!("All {} objectives held.", summary.thresholds.len())
    } else {
        let names: Vec<&str> = summary
            .thresholds
            .iter()
            .filter(|t| !t.passed)
            .map(|t| t.name.as_str())
            .collect();
        format!(
            "{failed} of {} objectives missed ({}).",
            summary.thresholds.len(),
            names.join(", ")
        )
    };
    let Some(t_f) = m.t_fault_s else {
        return format!("{verdict} No fault was injected in this run.");
    };
    let faults: Vec<String> = experiment
        .raw()
        .faults
        .iter()
        .enumerate()
        .map(|(i, f)| crate::topology::fault_name(f, i))
        .collect();
    let what = if faults.is_empty() {
        "A fault".to_string()
    } else {
        format!("“{}”", faults.join("”, “"))
    };
    let outage = match (m.rto_s, m.not_recovered_within_s) {
        (Some(rto), _) if rto <= 0.0 => {
            "service met the recovery criteria throughout (RTO 0s)".to_string()
        }
        (Some(rto), _) => format!("service was back to normal {} later", duration(rto)),
        (None, Some(d)) => format!(
            "service had not recovered {} later, when the run ended",
            duration(d)
        ),
        _ => "recovery is unknown".to_string(),
    };
    let errors = m
        .error_rate
        .map(|e| format!(" {} of operations failed meanwhile.", percent(e)))
        .unwrap_or_default();
    let data = match (m.lost_writes, summary.integrity.verified) {
        (Some(0), true) => " No acknowledged write was lost.".to_string(),
        (Some(n), true) => format!(
            " {} lost.",
            counted(n, "acknowledged write was", "acknowledged writes were")
        ),
        _ => " Data loss was not verified.".to_string(),
    };
    format!(
        "{verdict} {what} started at {} into the run; {outage}.{errors}{data}",
        crate::text::clock(t_f)
    )
}

/// Every finding, worst first (stable within a level).
pub fn findings(summary: &Summary, experiment: &Experiment) -> Vec<Finding> {
    let mut out = Vec::new();
    let m = &summary.metrics;
    if let Some(why) = failed_without_objective(summary) {
        out.push(Finding {
            level: Level::Bad,
            text: format!("The run failed with no objective missed: {why}."),
        });
    }
    for t in summary.thresholds.iter().filter(|t| !t.passed) {
        let text = match (t.actual, &t.reason) {
            (None, Some(reason)) => format!(
                "Objective `{}` (expected {}) missed: {reason}.",
                in_code(&t.name),
                t.expected
            ),
            _ => format!(
                "Objective `{}` missed: expected {}, measured {}.",
                in_code(&t.name),
                t.expected,
                crate::text::actual(t.actual, &t.unit)
            ),
        };
        out.push(Finding {
            level: Level::Bad,
            text,
        });
    }
    if m.t_fault_s.is_some() {
        rto_findings(summary, experiment, &mut out);
        error_findings(summary, experiment, &mut out);
        if let (Some(b), Some(t)) = (m.latency_ms.baseline.p99, m.latency_ms.transition.p99) {
            if b > 0.0 && t >= 2.0 * b {
                out.push(Finding {
                    level: Level::Warn,
                    text: format!(
                        "Latency p99 rose from {} to {} (×{}) during the transition; latency counts from each operation's intended start, so stalls are included.",
                        millis(b),
                        millis(t),
                        number(t / b, 1)
                    ),
                });
            }
        }
        if let Some(worst) = m.throughput_degradation_worst {
            if worst >= 1.0 {
                out.push(Finding {
                    level: Level::Warn,
                    text: format!(
                        "For at least one whole second no operation succeeded (mean over the transition: {} of the offered load succeeded).",
                        m.throughput_degradation_mean.map_or("-".to_string(), |d| percent(1.0 - d))
                    ),
                });
            } else if worst >= 0.5 {
                out.push(Finding {
                    level: Level::Warn,
                    text: format!(
                        "In the worst second only {} of the offered load succeeded (mean over the transition: {}).",
                        percent(1.0 - worst),
                        m.throughput_degradation_mean.map_or("-".to_string(), |d| percent(1.0 - d))
                    ),
                });
            }
        }
    }
    data_findings(summary, experiment, &mut out);
    fault_note_findings(summary, experiment, &mut out);
    for note in &summary.notes {
        out.push(Finding {
            level: Level::Info,
            text: format!("Note: {note}."),
        });
    }
    out.sort_by_key(|f| std::cmp::Reverse(f.level));
    out
}

fn rto_findings(summary: &Summary, experiment: &Experiment, out: &mut Vec<Finding>) {
    let m = &summary.metrics;
    let p = &m.rto_parts;
    let total = match (m.rto_s, m.not_recovered_within_s) {
        (Some(rto), _) => rto,
        (None, Some(d)) => {
            out.push(Finding {
                level: Level::Bad,
                text: format!(
                    "Not recovered: no {}-second window after the fault had every second at ≥ {} success and ≥ {} of the offered throughput, up to the end of the run {} after the fault.",
                    number(m.recovery_criteria.window_s, 0),
                    percent(m.recovery_criteria.success),
                    percent(m.recovery_criteria.throughput),
                    duration(d)
                ),
            });
            d
        }
        _ => return,
    };
    if let (Some(rto), Some(tta)) = (m.rto_s, m.tta_s) {
        // Within one bucket the order is not known: the RTO ends at a bucket's start.
        if tta - rto >= BUCKET_S {
            out.push(Finding {
                level: Level::Info,
                text: format!(
                    "RTO {}: the clients met the recovery criteria before the failover finished (TTA {}), so the failover was not on their critical path.",
                    duration(rto),
                    duration(tta)
                ),
            });
            return;
        }
    }
    let mut parts: Vec<(&str, f64, String)> = rto_split(total, p)
        .into_iter()
        .map(|(part, secs)| match part {
            RtoPart::UntilActivation => (
                "the time to activation (no detection seen)",
                secs,
                activation_cause(summary, experiment),
            ),
            RtoPart::Detection => ("detection", secs, detection_cause(summary, experiment)),
            RtoPart::Activation => ("activation", secs, activation_cause(summary, experiment)),
            RtoPart::Rest => ("recovery after activation", secs, rest_cause(experiment)),
        })
        .collect();
    parts.sort_by(|a, b| b.1.total_cmp(&a.1));
    for (i, (name, secs, cause)) in parts.iter().enumerate() {
        if *secs <= 0.0 {
            continue;
        }
        // Without recovery the outage has no end to split: each part stands alone.
        let lead = if i == 0 && m.rto_s.is_some() {
            format!("RTO {}: {name} {} of it", duration(total), duration(*secs))
        } else {
            format!("{} took {}", capitalise(name), duration(*secs))
        };
        let text = if cause.is_empty() {
            format!("{lead}.")
        } else {
            format!("{lead} — {cause}.")
        };
        out.push(Finding {
            level: if i == 0 { Level::Warn } else { Level::Info },
            text,
        });
    }
    if parts.is_empty() && m.rto_s.is_some() {
        out.push(Finding {
            level: Level::Info,
            text: format!(
                "RTO {}; no detect or activate signal was recorded to split it.",
                duration(total)
            ),
        });
    }
}

/// The design setting behind the detection time.
fn detection_cause(summary: &Summary, experiment: &Experiment) -> String {
    let source = in_code(summary.metrics.ttd_source.as_deref().unwrap_or(""));
    let arch = &experiment.raw().architecture;
    let mentioned = |name: &str| source.split(['.', ':', '/']).any(|part| part == name);
    for (name, c) in arch {
        match c {
            Component::Database(db) if mentioned(name) => {
                if let Some(f) = &db.failover {
                    return format!(
                        "the failover controller of `{name}` declares the primary failed after {} failed checks {}, signal `{source}`",
                        f.fail_after,
                        interval_by_design(f.fail_after, f.check_every, f.check_timeout)
                    );
                }
                if let Some(m) = &db.monitor {
                    return format!(
                        "the monitor of `{name}` takes a node out of service after {} failed checks {}, signal `{source}`",
                        m.fail_after,
                        interval_by_design(m.fail_after, m.check_every, m.check_timeout)
                    );
                }
            }
            Component::LoadBalancer(lb) if mentioned(name) => {
                if let Some(h) = &lb.health_check {
                    return format!(
                        "the health check of `{name}` needs {} failures {}",
                        h.unhealthy_after,
                        interval_by_design(h.unhealthy_after, h.interval, Some(h.timeout))
                    );
                }
            }
            _ => {}
        }
    }
    if source.starts_with("probe:") {
        return format!(
            "no detect signal fired; detection is faultline's own probe `{source}` (declare `signals.detect` to measure your monitoring)"
        );
    }
    if source.is_empty() {
        String::new()
    } else {
        format!("first detected by `{source}`")
    }
}

/// "at a `check_every` interval (from to to by design)": the bounds of the detection
/// that `fails` failed checks in a row promise. A hung node's failures count when each
/// check's timeout expires, so the timeout adds to the upper bound.
fn interval_by_design(
    fails: u32,
    check_every: faultline_spec::Duration,
    check_timeout: Option<faultline_spec::Duration>,
) -> String {
    let every_s = check_every.as_secs_f64();
    let timeout_s = check_timeout.map_or(0.0, |t| t.as_secs_f64());
    let waiting = check_timeout.map_or(String::new(), |t| {
        format!(", each check waiting up to {}", duration(t.as_secs_f64()))
    });
    format!(
        "at a {} interval ({} to {} by design{waiting})",
        duration(every_s),
        duration(every_s * f64::from(fails.saturating_sub(1))),
        duration(every_s * f64::from(fails) + timeout_s)
    )
}

fn activation_cause(summary: &Summary, experiment: &Experiment) -> String {
    let source = in_code(summary.metrics.tta_source.as_deref().unwrap_or(""));
    for (name, c) in &experiment.raw().architecture {
        let Component::Database(db) = c else { continue };
        if let Some(f) = &db.failover {
            return format!(
                "promoting the standby of `{name}` is designed to take {} (signal `{source}`)",
                duration(f.promote_in.as_secs_f64())
            );
        }
        if let Some(spares) = &db.spares {
            let warm = db
                .warm_up
                .as_ref()
                .map(|w| {
                    format!(
                        ", then it warms up over {}",
                        duration(w.duration.as_secs_f64())
                    )
                })
                .unwrap_or_default();
            return format!(
                "a spare of `{name}` starts {} after a node is lost{warm} (signal `{source}`)",
                duration(spares.start_in.as_secs_f64())
            );
        }
    }
    if source.is_empty() {
        String::new()
    } else {
        format!("activation signalled by `{source}`")
    }
}

fn rest_cause(experiment: &Experiment) -> String {
    let arch = &experiment.raw().architecture;
    for (name, c) in arch {
        let Component::Database(db) = c else { continue };
        let Some(f) = &db.failover else { continue };
        if f.clients_find_primary_by != PrimaryDiscovery::Dns {
            continue;
        }
        let dns_name = f.dns.clone().unwrap_or_default();
        if let Some(Component::Dns(dns)) = arch.get(&dns_name) {
            let mut text = format!(
                "clients find the new primary of `{name}` through DNS `{dns_name}`, whose answers live {}",
                duration(dns.ttl.as_secs_f64())
            );
            if let (Some(share), Some(for_)) = (&dns.clients_ignoring_ttl, &dns.ignore_for) {
                text.push_str(&format!(
                    ", and {} of clients keep the dead address for {}",
                    percent(share.value),
                    duration(for_.as_secs_f64())
                ));
            }
            return text;
        }
    }
    for (name, c) in arch {
        if let Component::LoadBalancer(lb) = c {
            if let Some(h) = &lb.health_check {
                return format!(
                    "`{name}` sends traffic to a recovered instance only after {} passed checks at a {} interval",
                    h.healthy_after,
                    duration(h.interval.as_secs_f64())
                );
            }
        }
    }
    "connections, pools and caches refilling after the switch".to_string()
}

fn error_findings(summary: &Summary, experiment: &Experiment, out: &mut Vec<Finding>) {
    let m = &summary.metrics;
    let Some(rate) = m.error_rate else { return };
    let c = &m.failure_classes;
    let classes = [
        ("timeout", c.timeout),
        ("refused", c.refused),
        ("reset", c.reset),
        ("server_error", c.server_error),
        ("pool_exhausted", c.pool_exhausted),
        ("other", c.other),
    ];
    let failed: u64 = classes.iter().map(|(_, n)| n).sum();
    if failed == 0 {
        return;
    }
    let Some((name, n)) = classes.iter().max_by_key(|(_, n)| *n) else {
        return;
    };
    let timeout = experiment
        .raw()
        .workload
        .timeout
        .map_or("10s".to_string(), |t| duration(t.as_secs_f64()));
    let meaning = match *name {
        "timeout" => format!("callers waited out their timeout (the clients' is {timeout}): requests went to a node that did not answer"),
        "refused" => "connections were refused: requests still went to a node that was down".to_string(),
        "reset" => "connections were cut mid-request".to_string(),
        "server_error" => "servers answered with errors (rejections at capacity, 5xx)".to_string(),
        "pool_exhausted" => "connection pools ran dry: requests queued for a connection until they gave up".to_string(),
        _ => "failures of another kind".to_string(),
    };
    if rate >= 0.1 {
        for (service, c) in &experiment.raw().architecture {
            let Component::Service(svc) = c else { continue };
            let Some(r) = svc
                .retries
                .as_ref()
                .filter(|r| r.max > 0 && r.budget.is_none())
            else {
                continue;
            };
            let targets: Vec<String> = svc.calls.iter().map(|c| format!("`{}`", c.to)).collect();
            if targets.is_empty() {
                continue;
            }
            out.push(Finding {
                level: Level::Warn,
                text: format!(
                    "`{service}` retries a failed call up to {} with no retry budget: while {} struggles, each failing request becomes up to {} on it (a retry storm).",
                    counted(u64::from(r.max), "time", "times"),
                    targets.join(", "),
                    counted(u64::from(r.max) + 1, "call", "calls")
                ),
            });
        }
    }
    out.push(Finding {
        level: Level::Warn,
        text: format!(
            "{} of the {} operations in the transition failed; {} of the failures were `{name}` — {meaning}.",
            percent(rate),
            m.transition_operations,
            percent(*n as f64 / failed as f64)
        ),
    });
}

fn data_findings(summary: &Summary, experiment: &Experiment, out: &mut Vec<Finding>) {
    let m = &summary.metrics;
    let i = &summary.integrity;
    if !i.verified {
        if i.writes > 0 {
            out.push(Finding {
                level: Level::Warn,
                text: "The final state was not read back, so lost writes and the RPO are unknown."
                    .to_string(),
            });
        }
        return;
    }
    let lost = m.lost_writes.unwrap_or(0);
    if lost == 0 {
        if i.writes > 0 {
            out.push(Finding {
                level: Level::Info,
                text: format!(
                    "Every acknowledged write was read back: {} checked, dataset checksum {}.",
                    counted(i.writes, "write", "writes"),
                    if i.dataset_matches {
                        "matches"
                    } else {
                        "differs"
                    }
                ),
            });
        }
    } else {
        let replication = experiment
            .raw()
            .architecture
            .iter()
            .find_map(|(name, c)| match c {
                Component::Database(db) => db.replication.as_ref().map(|r| (name, r)),
                _ => None,
            });
        let split = m.split_brain_writes.unwrap_or(0);
        // Writes lost before the fault point at replication; those acknowledged after it
        // have their own finding (split brain).
        let cause = match replication {
            _ if split >= lost => String::new(),
            Some((name, r)) if r.mode == ReplicationMode::Async => format!(
                " `{name}` replicates asynchronously: writes the primary acknowledged but had not yet shipped to the standby died with it"
            ),
            Some((name, _)) => format!(" `{name}` replicates synchronously, so the loss points at the failover itself (a promotion that skipped acknowledged writes)"),
            None => String::new(),
        };
        let rpo = match m.rpo_s {
            Some(r) if r > 0.0 => format!(
                " RPO {}: the oldest lost write was acknowledged {} before the fault.",
                duration(r),
                duration(r)
            ),
            Some(_) => {
                " All of them were acknowledged after the fault, so the RPO is 0 by definition."
                    .to_string()
            }
            None => String::new(),
        };
        out.push(Finding {
            level: Level::Bad,
            text: format!(
                "{} lost ({} missing, {} overwritten by an older value).{rpo}{}",
                counted(lost, "acknowledged write was", "acknowledged writes were"),
                i.lost,
                i.stale,
                if cause.is_empty() {
                    String::new()
                } else {
                    format!("{cause}.")
                }
            ),
        });
    }
    if let Some(split) = m.split_brain_writes.filter(|n| *n > 0) {
        let fencing = experiment.raw().architecture.values().any(|c| {
            matches!(c, Component::Database(db) if db.failover.as_ref().is_some_and(|f| !f.fencing))
        });
        out.push(Finding {
            level: Level::Bad,
            text: format!(
                "{} acknowledged after the fault: the signature of split brain, two nodes accepting writes at once.{}",
                counted(split, "lost write was", "lost writes were"),
                if fencing { " Fencing is off, so the old primary kept accepting writes." } else { "" }
            ),
        });
    }
    if i.corrupt > 0 {
        out.push(Finding {
            level: Level::Bad,
            text: format!(
                "{} came back with another value than was written (checksum mismatch).",
                counted(i.corrupt, "write", "writes")
            ),
        });
    }
}

/// One finding per note an engine recorded about a fault (on the timeline with the
/// fault's source): a simulated edge fault that applied to no message and so changed
/// nothing, a fault the simulator skipped, a live heal or rollback that failed. Each
/// means the run did not test what the file asks for, whatever its verdict says.
fn fault_note_findings(summary: &Summary, experiment: &Experiment, out: &mut Vec<Finding>) {
    let faults = &experiment.raw().faults;
    for e in &summary.timeline {
        if e.kind != "note" || !e.source.starts_with(FAULT_SOURCE_PREFIX) {
            continue;
        }
        let Some(detail) = e.detail.as_deref() else {
            continue;
        };
        let name = e.source[FAULT_SOURCE_PREFIX.len()..]
            .parse::<usize>()
            .ok()
            .and_then(|i| faults.get(i).map(|f| crate::topology::fault_name(f, i)));
        let name = name.map_or(String::new(), |n| format!(" ({})", in_code(&n)));
        // The detail is the engine's free text (a live error message among others): a
        // lone backtick in it would open a code span that never closes.
        let detail = detail.trim_end_matches('.');
        let detail = if detail.matches('`').count() % 2 == 1 {
            in_code(detail)
        } else {
            detail.to_string()
        };
        out.push(Finding {
            level: Level::Warn,
            text: format!("Fault `{}`{name}: {detail}.", in_code(&e.source)),
        });
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rto_parts_add_up_with_or_without_a_detection() {
        let both = RtoParts {
            detection_s: Some(2.0),
            activation_s: Some(4.0),
            rest_s: Some(6.5),
        };
        assert_eq!(
            rto_split(12.5, &both),
            [
                (RtoPart::Detection, 2.0),
                (RtoPart::Activation, 4.0),
                (RtoPart::Rest, 6.5)
            ]
        );
        // No detection: the summary's rest counts from the activation, and the time up
        // to it is one part (it once went missing: "7.4s = rest 0.039s").
        let undetected = RtoParts {
            rest_s: Some(0.25),
            ..RtoParts::default()
        };
        assert_eq!(
            rto_split(7.5, &undetected),
            [(RtoPart::UntilActivation, 7.25), (RtoPart::Rest, 0.25)]
        );
        assert_eq!(rto_split(1.5, &RtoParts::default()), []);
    }
}
