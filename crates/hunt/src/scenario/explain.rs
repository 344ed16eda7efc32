//! Why the worst scenario is bad: the worst run set against the file as written,
//! from data only — the metric breakdown, the timeline around the fault, the
//! decision sites that fired differently (with their margins), and when the lost
//! writes were acknowledged.

use faultline_analyze::{RtoParts, Summary};
use faultline_sim::DecisionPoint;
use serde::Serialize;

/// What one simulated run leaves for the explanation.
#[derive(Debug, Clone)]
pub struct RunEvidence {
    /// The analyzer's summary of the run.
    pub summary: Summary,
    /// The simulator's decision trace.
    pub decisions: Vec<DecisionPoint>,
    /// Acknowledgement times (µs of simulated time) of the writes counted lost.
    pub lost_ack_us: Vec<u64>,
}

/// How often one decision site fired in one run, and how close it came.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SiteFigures {
    /// Times the site was evaluated.
    pub checked: u64,
    /// Times its branch was taken.
    pub taken: u64,
    /// First time it was taken, seconds after the fault (or after the start of the run).
    pub first_taken_s: Option<f64>,
    /// Last time it was taken, seconds after the fault.
    pub last_taken_s: Option<f64>,
    /// The largest margin among the taken decisions (how far past the threshold).
    pub margin_taken_max: Option<f64>,
    /// The margin closest to zero among the decisions not taken (how near it came).
    pub margin_not_taken_nearest: Option<f64>,
}

/// One site in both runs.
#[derive(Debug, Clone, Serialize)]
pub struct SiteContrast {
    /// The decision site (`failover.detect`, `dns.stale`, ...).
    pub site: &'static str,
    /// In the file as written.
    pub start: SiteFigures,
    /// In the worst scenario.
    pub worst: SiteFigures,
}

/// The explanation written to `progress.json` and printed by `faultline hunt`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Explanation {
    /// Sentences, most telling first.
    pub lines: Vec<String>,
    /// Every decision site of either run, the ones that differ most first.
    pub sites: Vec<SiteContrast>,
}

/// A site's margin in words, in the unit the sentence reads best in (the
/// simulator records `call.timeout` in µs of simulated time; a reader wants
/// seconds).
fn margin_text(site: &str, margin: f64) -> String {
    let (value, unit) = match site {
        "dns.stale" => (margin, " s left before the cache re-resolved"),
        "failover.detect" | "lb.health.down" => (margin, " failed checks past the threshold"),
        "call.timeout" => (margin / 1e6, " s waited"),
        "breaker.open" => (margin, " failure ratio past the threshold"),
        "autoscale.out" => (margin, " utilisation past the target"),
        "pool.acquire" => (margin, " connections"),
        "retry.budget" => (margin, " retries allowed"),
        _ => (margin, ""),
    };
    format!("{value:.3}{unit}")
}

/// The figures of every site in `points`, times relative to `t0_us`.
pub(crate) fn site_figures(
    points: &[DecisionPoint],
    t0_us: u64,
) -> Vec<(&'static str, SiteFigures)> {
    let mut sites: Vec<(&'static str, SiteFigures)> = Vec::new();
    let rel = |t: u64| (t as f64 - t0_us as f64) / 1e6;
    for p in points {
        let i = match sites.iter().position(|s| s.0 == p.site) {
            Some(i) => i,
            None => {
                sites.push((p.site, SiteFigures::default()));
                sites.len() - 1
            }
        };
        let f = &mut sites[i].1;
        f.checked += 1;
        if p.taken {
            f.taken += 1;
            f.first_taken_s.get_or_insert(rel(p.t_us));
            f.last_taken_s = Some(rel(p.t_us));
            f.margin_taken_max = Some(f.margin_taken_max.map_or(p.margin, |m| m.max(p.margin)));
        } else {
            let nearer = f
                .margin_not_taken_nearest
                .is_none_or(|m| p.margin.abs() < m.abs());
            if nearer {
                f.margin_not_taken_nearest = Some(p.margin);
            }
        }
    }
    sites
}

fn t_fault_us(s: &Summary) -> u64 {
    s.metrics.t_fault_s.map_or(0, |t| (t * 1e6).round() as u64)
}

fn show(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{v:.2} s"))
}

/// The RTO's parts in words. The analyzer's remainder after activation is signed:
/// negative when service came back before the standby was activated (a pause that
/// ended first), which reads better as "recovered ... before activation".
fn rto_parts(parts: &RtoParts) -> String {
    let rest = match parts.rest_s {
        Some(r) if r < 0.0 => format!("recovered {} before activation", show(Some(-r))),
        r => format!("rest {}", show(r)),
    };
    format!(
        "detection {}, activation {}, {rest}",
        show(parts.detection_s),
        show(parts.activation_s)
    )
}

/// The timeline of a run around its fault: faults, detection, activation, role and
/// DNS changes, health, with times relative to the fault.
fn timeline(s: &Summary) -> String {
    let t_f = s.metrics.t_fault_s.unwrap_or(0.0);
    let wanted = [
        "fault_injected",
        "fault_healed",
        "detect",
        "activate",
        "role_change",
        "dns_change",
        "health",
    ];
    let events: Vec<String> = s
        .timeline
        .iter()
        .filter(|e| wanted.contains(&e.kind.as_str()))
        .take(10)
        .map(|e| {
            let what = e
                .detail
                .clone()
                .or_else(|| e.component.clone())
                .unwrap_or_default();
            format!("{:+.2} s {} {} ({what})", e.t_s - t_f, e.kind, e.source)
        })
        .collect();
    events.join("; ")
}

/// The kinds of the timeline's events around the fault, in order, repeats merged.
fn event_order(s: &Summary) -> Vec<String> {
    let mut order: Vec<String> = Vec::new();
    for e in &s.timeline {
        let kind = match e.kind.as_str() {
            "fault_injected" => "fault",
            "fault_healed" => "fault healed",
            "detect" => "detection",
            "activate" => "activation",
            "dns_change" => "DNS change",
            _ => continue,
        };
        if order.last().is_none_or(|k| k != kind) {
            order.push(kind.to_string());
        }
    }
    order
}

/// A sentence when the worst run's events happen in another order than the file's.
fn order_line(start: &Summary, worst: &Summary) -> Option<String> {
    let (a, b) = (event_order(start), event_order(worst));
    (a != b).then(|| {
        format!(
            "the events happen in another order: worst run {}; as written {}",
            b.join(" → "),
            a.join(" → ")
        )
    })
}

/// When the lost writes were acknowledged, against activation.
fn lost_writes_line(run: &RunEvidence, label: &str) -> Option<String> {
    let (first, last) = (run.lost_ack_us.iter().min()?, run.lost_ack_us.iter().max()?);
    let t_f = t_fault_us(&run.summary);
    let rel = |t: u64| (t as f64 - t_f as f64) / 1e6;
    let mut line = format!(
        "{label}: {} lost writes acknowledged from {:+.2} s to {:+.2} s after the fault",
        run.lost_ack_us.len(),
        rel(*first),
        rel(*last)
    );
    if let Some(tta) = run.summary.metrics.tta_s {
        let t_a = t_f + (tta * 1e6).round() as u64;
        let after = run.lost_ack_us.iter().filter(|&&t| t > t_a).count();
        line.push_str(&format!(
            "; {after} of them after activation ({tta:+.2} s): acknowledged by the old primary once the standby had taken over, so never part of the new primary's data"
        ));
        let before = run.lost_ack_us.len() - after;
        if before > 0 {
            line.push_str(&format!(
                "; {before} before it: acknowledged by the old primary but not replicated to the standby before it took over"
            ));
        }
    }
    Some(line)
}

fn site_sentence(c: &SiteContrast) -> String {
    let margin = |m: f64| margin_text(c.site, m);
    let (s, w) = (&c.start, &c.worst);
    let mut line = format!(
        "decision `{}`: taken {}× of {} in the worst run, {}× of {} as written",
        c.site, w.taken, w.checked, s.taken, s.checked
    );
    if let (Some(a), Some(b)) = (w.first_taken_s, w.last_taken_s) {
        line.push_str(&format!(
            " (worst: from {a:+.2} s to {b:+.2} s after the fault"
        ));
        if let Some(m) = w.margin_taken_max {
            line.push_str(&format!(", largest margin {}", margin(m)));
        }
        line.push(')');
    } else if let Some(m) = w.margin_not_taken_nearest {
        line.push_str(&format!(
            " (worst: never taken, nearest margin {})",
            margin(m)
        ));
    }
    if let Some(m) = s.margin_taken_max {
        line.push_str(&format!(
            "; as written its largest margin was {}",
            margin(m)
        ));
        if let Some(a) = s.first_taken_s {
            line.push_str(&format!(", first taken {a:+.2} s after the fault"));
        }
    } else if let Some(m) = s.margin_not_taken_nearest {
        line.push_str(&format!(
            "; as written it was never taken (nearest margin {})",
            margin(m)
        ));
    }
    line
}

/// How much a site's behaviour differs between the two runs (for the ordering).
fn difference(c: &SiteContrast) -> f64 {
    let (a, b) = (c.start.taken as f64, c.worst.taken as f64);
    let presence = if (a == 0.0) != (b == 0.0) { 1e9 } else { 0.0 };
    presence + (b + 1.0).ln_1p() * ((b + 1.0) / (a + 1.0)).ln().abs()
}

/// Explains the worst run against the run of the file as written.
pub fn explain(start: &RunEvidence, worst: &RunEvidence) -> Explanation {
    let mut lines = Vec::new();
    let (ms, mw) = (&start.summary.metrics, &worst.summary.metrics);
    lines.push(format!(
        "RTO {} ({}) against {} as written ({})",
        show(mw.rto_s.or(mw.not_recovered_within_s)),
        rto_parts(&mw.rto_parts),
        show(ms.rto_s.or(ms.not_recovered_within_s)),
        rto_parts(&ms.rto_parts),
    ));
    lines.push(format!(
        "lost writes {} (split brain {}), error rate {} against {} (split brain {}), {} as written",
        mw.lost_writes.map_or("-".into(), |v| v.to_string()),
        mw.split_brain_writes.map_or("-".into(), |v| v.to_string()),
        mw.error_rate
            .map_or("-".into(), |v| format!("{:.2}%", v * 100.0)),
        ms.lost_writes.map_or("-".into(), |v| v.to_string()),
        ms.split_brain_writes.map_or("-".into(), |v| v.to_string()),
        ms.error_rate
            .map_or("-".into(), |v| format!("{:.2}%", v * 100.0)),
    ));
    lines.extend(order_line(&start.summary, &worst.summary));
    lines.push(format!("worst run: {}", timeline(&worst.summary)));
    lines.push(format!("as written: {}", timeline(&start.summary)));
    let (sf, wf) = (
        site_figures(&start.decisions, t_fault_us(&start.summary)),
        site_figures(&worst.decisions, t_fault_us(&worst.summary)),
    );
    let mut sites: Vec<SiteContrast> = Vec::new();
    for (site, _) in wf.iter().chain(sf.iter()) {
        if sites.iter().any(|c| c.site == *site) {
            continue;
        }
        let find = |v: &[(&'static str, SiteFigures)]| {
            v.iter()
                .find(|s| s.0 == *site)
                .map(|s| s.1.clone())
                .unwrap_or_default()
        };
        sites.push(SiteContrast {
            site,
            start: find(&sf),
            worst: find(&wf),
        });
    }
    sites.sort_by(|a, b| {
        difference(b)
            .total_cmp(&difference(a))
            .then(a.site.cmp(b.site))
    });
    for c in sites.iter().take(4) {
        lines.push(site_sentence(c));
    }
    lines.extend(lost_writes_line(worst, "worst run"));
    lines.extend(lost_writes_line(start, "as written"));
    Explanation { lines, sites }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(site: &'static str, taken: bool, margin: f64, t_us: u64) -> DecisionPoint {
        DecisionPoint {
            site,
            taken,
            margin,
            t_us,
        }
    }

    #[test]
    fn site_figures_keep_times_relative_to_the_fault_and_the_extreme_margins() {
        let pts = [
            point("dns.stale", false, 0.0, 1_000_000),
            point("dns.stale", true, 3.0, 12_000_000),
            point("dns.stale", true, 9.5, 13_000_000),
            point("failover.detect", false, -2.0, 11_000_000),
            point("failover.detect", false, -1.0, 12_000_000),
        ];
        let f = site_figures(&pts, 10_000_000);
        assert_eq!(f[0].0, "dns.stale");
        assert_eq!(f[0].1.taken, 2);
        assert_eq!(f[0].1.checked, 3);
        assert_eq!(f[0].1.first_taken_s, Some(2.0));
        assert_eq!(f[0].1.last_taken_s, Some(3.0));
        assert_eq!(f[0].1.margin_taken_max, Some(9.5));
        assert_eq!(f[1].1.taken, 0);
        assert_eq!(f[1].1.margin_not_taken_nearest, Some(-1.0));
    }

    #[test]
    fn a_timeout_margin_reads_in_seconds_not_microseconds() {
        assert_eq!(margin_text("call.timeout", 500_000.0), "0.500 s waited");
        assert_eq!(
            margin_text("failover.detect", 2.0),
            "2.000 failed checks past the threshold"
        );
    }

    #[test]
    fn a_site_that_fires_in_one_run_only_sorts_first() {
        let fired = SiteFigures {
            checked: 5,
            taken: 5,
            ..SiteFigures::default()
        };
        let quiet = SiteFigures {
            checked: 5,
            taken: 0,
            ..SiteFigures::default()
        };
        let many = SiteFigures {
            checked: 900,
            taken: 800,
            ..SiteFigures::default()
        };
        let only_worst = SiteContrast {
            site: "breaker.open",
            start: quiet.clone(),
            worst: fired.clone(),
        };
        let more = SiteContrast {
            site: "dns.stale",
            start: fired,
            worst: many,
        };
        assert!(difference(&only_worst) > difference(&more));
        assert!(difference(&more) > 0.0);
    }
}
