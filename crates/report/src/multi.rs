//! Several runs in one report (repetitions with other seeds, or a sweep): each metric's
//! distribution across the runs — min, median, p90, max and every run as a dot — and
//! how often each objective held.

use std::fmt::Write as _;

use faultline_analyze::Summary;
use serde::Serialize;

use crate::text::{actual, escape};

/// Most runs one multi-run report takes (bounds the page).
pub const RUNS_MAX: usize = 10_000;

/// One metric across runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Distribution {
    /// Metric name as in summary.json.
    pub metric: String,
    /// Unit: `s`, `ms`, `fraction` or `writes`.
    pub unit: String,
    /// Runs in which the metric applies.
    pub n: usize,
    /// Runs in which it does not (`null`), e.g. RTO of runs that never recovered.
    pub missing: usize,
    /// Smallest value.
    pub min: Option<f64>,
    /// Median (nearest rank).
    pub median: Option<f64>,
    /// 90th percentile (nearest rank).
    pub p90: Option<f64>,
    /// Largest value.
    pub max: Option<f64>,
    /// Every value, in run order (`null` where the metric does not apply).
    pub values: Vec<Option<f64>>,
    /// The seed of each run, in the order of `values` (to replay one with `--seed`).
    pub seeds: Vec<u64>,
}

/// The value at quantile `q` of sorted `values` (nearest rank), `None` when empty.
pub fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (q * sorted.len() as f64).ceil().max(1.0) as usize;
    Some(sorted[rank.min(sorted.len()) - 1])
}

type Getter = fn(&Summary) -> Option<f64>;

const METRICS: [(&str, &str, Getter); 10] = [
    ("ttd_s", "s", |s| s.metrics.ttd_s),
    ("tta_s", "s", |s| s.metrics.tta_s),
    ("rto_s", "s", |s| s.metrics.rto_s),
    ("rpo_s", "s", |s| s.metrics.rpo_s),
    ("error_rate", "fraction", |s| s.metrics.error_rate),
    ("throughput_degradation_mean", "fraction", |s| {
        s.metrics.throughput_degradation_mean
    }),
    ("lost_writes", "writes", |s| {
        s.metrics.lost_writes.map(|n| n as f64)
    }),
    ("split_brain_writes", "writes", |s| {
        s.metrics.split_brain_writes.map(|n| n as f64)
    }),
    ("p99_transition_ms", "ms", |s| {
        s.metrics.latency_ms.transition.p99
    }),
    ("p99_baseline_ms", "ms", |s| {
        s.metrics.latency_ms.baseline.p99
    }),
];

/// Every metric's distribution over `runs` (at most [`RUNS_MAX`] are read).
pub fn distributions(runs: &[Summary]) -> Vec<Distribution> {
    let runs = &runs[..runs.len().min(RUNS_MAX)];
    METRICS
        .iter()
        .map(|(metric, unit, get)| {
            let values: Vec<Option<f64>> = runs.iter().map(get).collect();
            let mut sorted: Vec<f64> = values.iter().flatten().copied().collect();
            sorted.sort_by(f64::total_cmp);
            Distribution {
                metric: metric.to_string(),
                unit: unit.to_string(),
                n: sorted.len(),
                missing: values.len() - sorted.len(),
                min: sorted.first().copied(),
                median: quantile(&sorted, 0.5),
                p90: quantile(&sorted, 0.9),
                max: sorted.last().copied(),
                values,
                seeds: runs.iter().map(|s| s.seed).collect(),
            }
        })
        .collect()
}

/// Per objective: how many runs it held in, of how many judged it.
fn objective_counts(runs: &[Summary]) -> Vec<(String, String, usize, usize)> {
    let mut out: Vec<(String, String, usize, usize)> = Vec::new();
    for s in runs {
        for t in &s.thresholds {
            match out.iter_mut().find(|o| o.0 == t.name) {
                Some(o) => {
                    o.2 += usize::from(t.passed);
                    o.3 += 1;
                }
                None => out.push((t.name.clone(), t.expected.clone(), usize::from(t.passed), 1)),
            }
        }
    }
    out
}

/// The distributions as terminal text.
pub fn render_multi_terminal(runs: &[Summary]) -> String {
    let runs = &runs[..runs.len().min(RUNS_MAX)];
    let mut out = String::new();
    let passed = runs.iter().filter(|s| s.passed).count();
    let _ = writeln!(
        out,
        "faultline: {} runs of {} — {passed} passed, {} failed\n",
        runs.len(),
        experiments(runs),
        runs.len() - passed
    );
    let _ = writeln!(
        out,
        "  {:<30} {:>10} {:>10} {:>10} {:>10}  runs",
        "metric", "min", "median", "p90", "max"
    );
    for d in distributions(runs).iter().filter(|d| d.n > 0) {
        let _ = writeln!(
            out,
            "  {:<30} {:>10} {:>10} {:>10} {:>10}  {}{}",
            d.metric,
            actual(d.min, &d.unit),
            actual(d.median, &d.unit),
            actual(d.p90, &d.unit),
            actual(d.max, &d.unit),
            d.n,
            missing_note(d)
        );
    }
    let objectives = objective_counts(runs);
    if !objectives.is_empty() {
        let _ = writeln!(out, "\nObjectives held");
        // Columns as wide as their longest entry (alert names are the user's).
        let name_w = objectives
            .iter()
            .map(|o| o.0.chars().count())
            .fold(20, usize::max);
        let expected_w = objectives
            .iter()
            .map(|o| o.1.chars().count())
            .fold(12, usize::max);
        for (name, expected, held, of) in &objectives {
            let _ = writeln!(out, "  {name:<name_w$} {expected:<expected_w$} {held}/{of}");
        }
    }
    if let Some(line) = missed_line(runs) {
        let _ = writeln!(out, "\n{line}");
    }
    out
}

/// Most runs named in [`missed_line`].
const MISSED_NAMED_MAX: usize = 12;

/// `Missed an objective: seeds 3, 7 and 12`: the runs to replay (`--seed`), named by
/// seed (and experiment, when the runs are of several); `None` when every run passed.
fn missed_line(runs: &[Summary]) -> Option<String> {
    let missed: Vec<&Summary> = runs.iter().filter(|s| !s.passed).collect();
    if missed.is_empty() {
        return None;
    }
    let one_experiment = runs.windows(2).all(|w| w[0].experiment == w[1].experiment);
    let mut names: Vec<String> = missed
        .iter()
        .take(MISSED_NAMED_MAX)
        .map(|s| match one_experiment {
            true => s.seed.to_string(),
            false => format!("{} seed {}", s.experiment, s.seed),
        })
        .collect();
    if missed.len() > MISSED_NAMED_MAX {
        names.push(format!("{} more", missed.len() - MISSED_NAMED_MAX));
    }
    let label = match (one_experiment, missed.len()) {
        (true, 1) => "seed ",
        (true, _) => "seeds ",
        (false, _) => "",
    };
    let list = match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => names.join(""),
    };
    Some(format!("Missed an objective: {label}{list}"))
}

/// ` (N n/a)` when N runs lack the metric, else nothing.
fn missing_note(d: &Distribution) -> String {
    if d.missing > 0 {
        format!(" ({} n/a)", d.missing)
    } else {
        String::new()
    }
}

fn experiments(runs: &[Summary]) -> String {
    let mut names: Vec<&str> = runs.iter().map(|s| s.experiment.as_str()).collect();
    names.dedup();
    if names.len() > 3 {
        format!("{} experiments", names.len())
    } else {
        names.join(", ")
    }
}

/// The multi-run report: a self-contained HTML page.
pub fn render_multi(runs: &[Summary]) -> String {
    let runs = &runs[..runs.len().min(RUNS_MAX)];
    let passed = runs.iter().filter(|s| s.passed).count();
    let mut body = String::new();
    let all = passed == runs.len() && !runs.is_empty();
    let _ = write!(
        body,
        r#"<header class="top"><div class="badge {}" id="verdict-badge">{passed}/{} PASSED</div><div><h1>{}</h1><p class="meta">{} runs: each metric's distribution across runs</p></div></header>"#,
        if all { "pass" } else { "fail" },
        runs.len(),
        escape(&experiments(runs)),
        runs.len()
    );
    body.push_str(r#"<section id="distributions"><h2>Metrics across runs</h2><p class="hint">Each dot is one run (red: a run that missed an objective). Box: median to p90; whiskers: min to max. Hover a dot for its run.</p><table class="dist"><thead><tr><th>metric</th><th>min</th><th>median</th><th>p90</th><th>max</th><th>runs</th><th style="width:45%">distribution</th></tr></thead><tbody>"#);
    for d in distributions(runs).iter().filter(|d| d.n > 0) {
        let _ = write!(
            body,
            r#"<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}{}</td><td>{}</td></tr>"#,
            escape(&d.metric),
            actual(d.min, &d.unit),
            actual(d.median, &d.unit),
            actual(d.p90, &d.unit),
            actual(d.max, &d.unit),
            d.n,
            missing_note(d),
            strip(d, runs)
        );
    }
    body.push_str("</tbody></table></section>");
    let objectives = objective_counts(runs);
    if !objectives.is_empty() {
        body.push_str(r#"<section id="objectives"><h2>Objectives</h2><table><thead><tr><th>objective</th><th>expected</th><th>held in</th></tr></thead><tbody>"#);
        for (name, expected, held, of) in objectives {
            let _ = write!(
                body,
                r#"<tr class="{}"><td><code>{}</code></td><td>{}</td><td>{held} of {of} runs</td></tr>"#,
                if held == of { "pass" } else { "fail" },
                escape(&name),
                escape(&expected)
            );
        }
        body.push_str("</tbody></table></section>");
    }
    body.push_str(r#"<section id="runs"><h2>Runs</h2><table><thead><tr><th>#</th><th>experiment</th><th>engine</th><th>seed</th><th>verdict</th><th>RTO</th><th>lost writes</th></tr></thead><tbody>"#);
    for (i, s) in runs.iter().enumerate() {
        let _ = write!(
            body,
            r#"<tr class="{}"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>"#,
            if s.passed { "pass" } else { "fail" },
            i + 1,
            escape(&s.experiment),
            escape(&s.engine),
            s.seed,
            if s.passed { "passed" } else { "failed" },
            match (s.metrics.rto_s, s.metrics.not_recovered_within_s) {
                (Some(r), _) => actual(Some(r), "s"),
                (None, Some(d)) => format!("not recovered in {}", actual(Some(d), "s")),
                _ => "-".to_string(),
            },
            s.metrics
                .lost_writes
                .map_or("-".to_string(), |n| n.to_string())
        );
    }
    body.push_str("</tbody></table></section>");
    crate::html::page(&format!("faultline — {} runs", runs.len()), &body)
}

/// A strip plot of one distribution: a dot per run over a min–max whisker and a
/// median–p90 box.
fn strip(d: &Distribution, runs: &[Summary]) -> String {
    let (Some(min), Some(max)) = (d.min, d.max) else {
        return String::new();
    };
    let (w, h, pad) = (320.0, 26.0, 8.0);
    let span = if max > min { max - min } else { 1.0 };
    let x = |v: f64| pad + (v - min) / span * (w - 2.0 * pad);
    let mut svg = format!(
        r#"<svg class="strip" viewBox="0 0 {w} {h}" width="100%" role="img" aria-label="{} across runs" xmlns="http://www.w3.org/2000/svg"><line class="rng" x1="{:.1}" x2="{:.1}" y1="13" y2="13"/>"#,
        escape(&d.metric),
        x(min),
        x(max)
    );
    if let (Some(m), Some(p)) = (d.median, d.p90) {
        let _ = write!(
            svg,
            r#"<rect class="box" x="{:.1}" y="6" width="{:.1}" height="14"/><line class="med" x1="{:.1}" x2="{:.1}" y1="4" y2="22"><title>median {}</title></line><line class="p90" x1="{:.1}" x2="{:.1}" y1="4" y2="22"><title>p90 {}</title></line>"#,
            x(m),
            (x(p) - x(m)).max(0.0),
            x(m),
            x(m),
            actual(Some(m), &d.unit),
            x(p),
            x(p),
            actual(Some(p), &d.unit)
        );
    }
    for (i, (v, s)) in d.values.iter().zip(runs).enumerate() {
        let Some(v) = v else { continue };
        // A small deterministic vertical jitter keeps equal values apart.
        let jitter = ((i * 7) % 5) as f64 * 2.0 - 4.0;
        let _ = write!(
            svg,
            r#"<circle{} cx="{:.1}" cy="{:.1}" r="3"><title>run {} (seed {}): {}</title></circle>"#,
            if s.passed { "" } else { r#" class="failrun""# },
            x(*v),
            13.0 + jitter,
            i + 1,
            s.seed,
            actual(Some(*v), &d.unit)
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_quantiles() {
        let v = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0];
        assert_eq!(quantile(&v, 0.5), Some(5.0));
        assert_eq!(quantile(&v, 0.9), Some(9.0));
        assert_eq!(quantile(&v, 1.0), Some(10.0));
        assert_eq!(quantile(&v, 0.0), Some(1.0));
        assert_eq!(quantile(&[], 0.5), None);
        assert_eq!(quantile(&[3.0], 0.9), Some(3.0));
    }
}
