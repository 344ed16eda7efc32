//! The architecture gap: a simulated prediction and a live measurement of the same
//! experiment side by side — each metric predicted vs measured, the difference, and the
//! parts of the RTO (detection, activation, recovery after activation) that explain it.
//!
//! [`compare`] is pure over two summaries; [`Gap`] renders to the terminal
//! ([`render_gap_terminal`]), JSON ([`Gap::to_json`]) and HTML ([`render_gap_html`]).

use std::fmt::Write as _;

use faultline_analyze::Summary;
use serde::Serialize;

use crate::text::{actual, escape, number};

/// Version of the gap JSON layout.
pub const GAP_VERSION: u32 = 1;

/// One run's identity in a comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Side {
    /// `sim` or `live`.
    pub engine: String,
    /// The seed.
    pub seed: u64,
    /// Whether every threshold held.
    pub passed: bool,
}

/// One metric predicted vs measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GapMetric {
    /// Metric name as in summary.json (`rto_s`, `error_rate`, ...).
    pub name: String,
    /// Unit: `s`, `ms`, `fraction` or `writes`.
    pub unit: String,
    /// The simulated prediction; `null` when it does not apply.
    pub predicted: Option<f64>,
    /// The live measurement; `null` when it does not apply.
    pub measured: Option<f64>,
    /// `measured - predicted`, when both exist.
    pub difference: Option<f64>,
    /// `measured / predicted`, when both exist and the prediction is not 0.
    pub ratio: Option<f64>,
}

/// One threshold judged on both sides.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GapThreshold {
    /// The objective.
    pub name: String,
    /// As written.
    pub expected: String,
    /// Held in the simulation.
    pub predicted_passed: Option<bool>,
    /// Held live.
    pub measured_passed: Option<bool>,
}

/// The whole comparison (the `gap.json` layout).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Gap {
    /// Layout version ([`GAP_VERSION`]).
    pub gap_version: u32,
    /// The experiment's name (the prediction's, when the two differ).
    pub experiment: String,
    /// The prediction's run.
    pub predicted: Side,
    /// The measurement's run.
    pub measured: Side,
    /// Headline metrics.
    pub metrics: Vec<GapMetric>,
    /// The RTO's parts: `detection_s`, `activation_s`, `rest_s`.
    pub rto_parts: Vec<GapMetric>,
    /// Thresholds on both sides.
    pub thresholds: Vec<GapThreshold>,
    /// Plain sentences explaining the gap.
    pub explanation: Vec<String>,
}

impl Gap {
    /// The comparison as pretty JSON ending in a newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self)
            .expect("a gap holds only strings, numbers, booleans and arrays");
        text.push('\n');
        text
    }
}

fn metric(name: &str, unit: &str, predicted: Option<f64>, measured: Option<f64>) -> GapMetric {
    let round = |v: f64| (v * 1e6).round() / 1e6;
    GapMetric {
        name: name.to_string(),
        unit: unit.to_string(),
        predicted,
        measured,
        difference: predicted.zip(measured).map(|(p, m)| round(m - p)),
        ratio: predicted
            .zip(measured)
            .filter(|(p, _)| *p != 0.0)
            .map(|(p, m)| round(m / p)),
    }
}

/// Compares a simulated prediction with a live measurement of the same experiment.
pub fn compare(sim: &Summary, live: &Summary) -> Gap {
    let (p, m) = (&sim.metrics, &live.metrics);
    let writes = |n: Option<u64>| n.map(|n| n as f64);
    let metrics = vec![
        metric("ttd_s", "s", p.ttd_s, m.ttd_s),
        metric("tta_s", "s", p.tta_s, m.tta_s),
        metric("rto_s", "s", p.rto_s, m.rto_s),
        metric("rpo_s", "s", p.rpo_s, m.rpo_s),
        metric("error_rate", "fraction", p.error_rate, m.error_rate),
        metric(
            "throughput_degradation_mean",
            "fraction",
            p.throughput_degradation_mean,
            m.throughput_degradation_mean,
        ),
        metric(
            "throughput_degradation_worst",
            "fraction",
            p.throughput_degradation_worst,
            m.throughput_degradation_worst,
        ),
        metric(
            "lost_writes",
            "writes",
            writes(p.lost_writes),
            writes(m.lost_writes),
        ),
        metric(
            "split_brain_writes",
            "writes",
            writes(p.split_brain_writes),
            writes(m.split_brain_writes),
        ),
        metric(
            "p99_baseline_ms",
            "ms",
            p.latency_ms.baseline.p99,
            m.latency_ms.baseline.p99,
        ),
        metric(
            "p99_transition_ms",
            "ms",
            p.latency_ms.transition.p99,
            m.latency_ms.transition.p99,
        ),
    ];
    let rto_parts = vec![
        metric(
            "detection_s",
            "s",
            p.rto_parts.detection_s,
            m.rto_parts.detection_s,
        ),
        metric(
            "activation_s",
            "s",
            p.rto_parts.activation_s,
            m.rto_parts.activation_s,
        ),
        metric("rest_s", "s", p.rto_parts.rest_s, m.rto_parts.rest_s),
    ];
    let mut names: Vec<&str> = sim.thresholds.iter().map(|t| t.name.as_str()).collect();
    for t in &live.thresholds {
        if !names.contains(&t.name.as_str()) {
            names.push(&t.name);
        }
    }
    let thresholds = names
        .iter()
        .map(|name| {
            let ps = sim.thresholds.iter().find(|t| t.name == *name);
            let ms = live.thresholds.iter().find(|t| t.name == *name);
            GapThreshold {
                name: name.to_string(),
                expected: ps.or(ms).map(|t| t.expected.clone()).unwrap_or_default(),
                predicted_passed: ps.map(|t| t.passed),
                measured_passed: ms.map(|t| t.passed),
            }
        })
        .collect();
    let mut gap = Gap {
        gap_version: GAP_VERSION,
        experiment: sim.experiment.clone(),
        predicted: side(sim),
        measured: side(live),
        metrics,
        rto_parts,
        thresholds,
        explanation: Vec::new(),
    };
    gap.explanation = explain(sim, live, &gap);
    gap
}

/// How a run's engine reads in a sentence.
fn engine_name(engine: &str) -> String {
    match engine {
        "sim" => "simulated".into(),
        "live" => "live".into(),
        other => format!("of the `{other}` engine"),
    }
}

fn side(s: &Summary) -> Side {
    Side {
        engine: s.engine.clone(),
        seed: s.seed,
        passed: s.passed,
    }
}

fn explain(sim: &Summary, live: &Summary, gap: &Gap) -> Vec<String> {
    let mut out = Vec::new();
    let secs = |v: f64| crate::text::duration(v);
    if sim.experiment != live.experiment {
        out.push(format!(
            "The two runs are of different experiments (`{}` predicted, `{}` measured): compare with care.",
            sim.experiment, live.experiment
        ));
    }
    if (sim.engine.as_str(), live.engine.as_str()) != ("sim", "live") {
        let swap = if (sim.engine.as_str(), live.engine.as_str()) == ("live", "sim") {
            ": swap the two folders"
        } else {
            ""
        };
        out.push(format!(
            "The first run is {} and the second {}: the gap reads the first as the prediction \
             (a simulated run) and the second as the measurement (a live run){swap}.",
            engine_name(&sim.engine),
            engine_name(&live.engine)
        ));
    }
    // What the runs are comes first; whether they differ is said after it either way.
    let notes = out.len();
    let (p, m) = (&sim.metrics, &live.metrics);
    match (p.rto_s, m.rto_s) {
        (Some(pr), Some(mr)) if (mr - pr).abs() >= 0.05 => {
            let diff = mr - pr;
            let verb = if diff >= 0.0 { "longer" } else { "shorter" };
            let mut text = format!(
                "The live RTO ({}) is {} {verb} than the design predicts ({}).",
                secs(mr),
                secs(diff.abs()),
                secs(pr)
            );
            let parts: Vec<(&str, f64)> = gap
                .rto_parts
                .iter()
                .filter_map(|g| {
                    let label = match g.name.as_str() {
                        "detection_s" => "detection",
                        "activation_s" => "activation",
                        _ => "recovery after activation",
                    };
                    g.difference.map(|d| (label, d))
                })
                .collect();
            if !parts.is_empty() {
                let listed: Vec<String> = parts
                    .iter()
                    .map(|(label, d)| format!("{label} {}{}", if *d >= 0.0 { "+" } else { "−" }, secs(d.abs())))
                    .collect();
                let _ = write!(text, " By part: {}.", listed.join(", "));
                if let Some((label, d)) = parts
                    .iter()
                    .filter(|(_, d)| d.signum() == diff.signum() && d.abs() > 0.0)
                    .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
                {
                    let share = d / diff;
                    if share <= 1.0 {
                        let _ = write!(
                            text,
                            " {} explains {} of the gap.",
                            capitalise(label),
                            crate::text::percent(share)
                        );
                    } else {
                        let _ = write!(
                            text,
                            " {} alone accounts for more than the whole gap; the other parts offset it.",
                            capitalise(label)
                        );
                    }
                }
            }
            out.push(text);
        }
        (Some(pr), None) if m.recovered == Some(false) => out.push(format!(
            "The design recovers in {} but the live system did not recover at all (within {}).",
            secs(pr),
            m.not_recovered_within_s.map_or("the run".to_string(), secs)
        )),
        (None, Some(mr)) if p.recovered == Some(false) => out.push(format!(
            "The live system recovered in {} although the design predicts no recovery: the model is more pessimistic than the deployment.",
            secs(mr)
        )),
        _ => {}
    }
    if let (Some(pl), Some(ml)) = (p.lost_writes, m.lost_writes) {
        if pl != ml {
            out.push(format!(
                "Lost writes: {ml} live vs {pl} predicted{}.",
                match (p.rpo_s, m.rpo_s) {
                    (Some(pr), Some(mr)) => format!(" (RPO {} vs {})", secs(mr), secs(pr)),
                    _ => String::new(),
                }
            ));
        }
    }
    if let (Some(pe), Some(me)) = (p.error_rate, m.error_rate) {
        if (me - pe).abs() >= 0.01 {
            out.push(format!(
                "Error rate in the transition: {} live vs {} predicted.",
                crate::text::percent(me),
                crate::text::percent(pe)
            ));
        }
    }
    for t in &gap.thresholds {
        if let (Some(a), Some(b)) = (t.predicted_passed, t.measured_passed) {
            if a != b {
                out.push(format!(
                    "Objective `{}` ({}) {} in the design but {} live.",
                    t.name,
                    t.expected,
                    if a { "holds" } else { "fails" },
                    if b { "held" } else { "failed" }
                ));
            }
        }
    }
    if out.len() == notes {
        out.push(
            "The live measurement matches the prediction on every metric compared.".to_string(),
        );
    }
    out
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn signed(v: Option<f64>, unit: &str) -> String {
    match v {
        None => "-".to_string(),
        Some(d) => format!(
            "{}{}",
            if d > 0.0 {
                "+"
            } else if d < 0.0 {
                "−"
            } else {
                ""
            },
            // Shares differ by percentage points, not by a share of a share.
            if unit == "fraction" {
                crate::text::points(d.abs())
            } else {
                actual(Some(d.abs()), unit)
            }
        ),
    }
}

/// The comparison as terminal text.
pub fn render_gap_terminal(gap: &Gap) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "faultline gap: {} — predicted ({} engine, seed {}) vs measured ({} engine, seed {})\n",
        gap.experiment,
        gap.predicted.engine,
        gap.predicted.seed,
        gap.measured.engine,
        gap.measured.seed
    );
    let rows: Vec<[String; 5]> = gap
        .metrics
        .iter()
        .chain(&gap.rto_parts)
        .map(|g| {
            [
                label(&g.name).to_string(),
                actual(g.predicted, &g.unit),
                actual(g.measured, &g.unit),
                signed(g.difference, &g.unit),
                g.ratio
                    .map_or("-".to_string(), |r| format!("×{}", number(r, 2))),
            ]
        })
        .collect();
    let headers = ["metric", "predicted", "measured", "difference", "ratio"];
    let mut widths = headers.map(str::len);
    for row in &rows {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: [&str; 5]| {
        let mut l = String::from(" ");
        for (c, w) in cells.iter().zip(widths) {
            let _ = write!(l, " {c:<w$}");
        }
        l.trim_end().to_string()
    };
    let _ = writeln!(out, "{}", line(headers));
    for (i, row) in rows.iter().enumerate() {
        if i == gap.metrics.len() {
            let _ = writeln!(out, "  RTO by part:");
        }
        let _ = writeln!(
            out,
            "{}",
            line([&row[0], &row[1], &row[2], &row[3], &row[4]])
        );
    }
    if !gap.thresholds.is_empty() {
        let _ = writeln!(out, "\nObjectives (predicted / measured)");
        let word = |p: Option<bool>| match p {
            Some(true) => "PASS",
            Some(false) => "FAIL",
            None => "-",
        };
        for t in &gap.thresholds {
            let _ = writeln!(
                out,
                "  {:<20} {:<12} {} / {}",
                t.name,
                t.expected,
                word(t.predicted_passed),
                word(t.measured_passed)
            );
        }
    }
    let _ = writeln!(out, "\nWhy");
    for e in &gap.explanation {
        let _ = writeln!(out, "  - {e}");
    }
    out
}

fn label(name: &str) -> &str {
    match name {
        "ttd_s" => "TTD",
        "tta_s" => "TTA",
        "rto_s" => "RTO",
        "rpo_s" => "RPO",
        "error_rate" => "error rate",
        "throughput_degradation_mean" => "throughput loss (mean)",
        "throughput_degradation_worst" => "throughput loss (worst s)",
        "lost_writes" => "lost writes",
        "split_brain_writes" => "split-brain writes",
        "p99_baseline_ms" => "p99 baseline",
        "p99_transition_ms" => "p99 transition",
        "detection_s" => "  detection",
        "activation_s" => "  activation",
        "rest_s" => "  after activation",
        other => other,
    }
}

/// The comparison as a section of HTML (a table and bars of the RTO's parts).
pub fn gap_section(gap: &Gap) -> String {
    let mut out = String::new();
    out.push_str(r#"<section id="gap"><h2>The architecture gap: design vs reality</h2>"#);
    let _ = write!(
        out,
        r#"<p class="hint">Predicted: {} engine, seed {} ({}). Measured: {} engine, seed {} ({}).</p><ul class="findings">"#,
        escape(&gap.predicted.engine),
        gap.predicted.seed,
        if gap.predicted.passed {
            "passed"
        } else {
            "failed"
        },
        escape(&gap.measured.engine),
        gap.measured.seed,
        if gap.measured.passed {
            "passed"
        } else {
            "failed"
        },
    );
    for e in &gap.explanation {
        let _ = write!(out, r#"<li class="warn">{}</li>"#, escape(e));
    }
    let _ = write!(
        out,
        r#"</ul><table class="gap" id="gap-table"><thead><tr><th>metric</th><th>predicted ({})</th><th>measured ({})</th><th>difference</th><th>ratio</th></tr></thead><tbody>"#,
        escape(&gap.predicted.engine),
        escape(&gap.measured.engine)
    );
    for g in gap.metrics.iter().chain(&gap.rto_parts) {
        // Every metric here is "lower is better": a positive difference is worse live.
        let class = match g.difference {
            Some(d) if d > 0.0 => "worse",
            Some(d) if d < 0.0 => "better",
            _ => "",
        };
        let _ = write!(
            out,
            r#"<tr><td>{}</td><td>{}</td><td>{}</td><td class="{class}">{}</td><td>{}</td></tr>"#,
            escape(label(&g.name).trim()),
            escape(&actual(g.predicted, &g.unit)),
            escape(&actual(g.measured, &g.unit)),
            escape(&signed(g.difference, &g.unit)),
            g.ratio
                .map_or("-".to_string(), |r| format!("×{}", number(r, 2)))
        );
    }
    out.push_str("</tbody></table>");
    out.push_str(&parts_chart(gap));
    out.push_str("</section>");
    out
}

/// Stacked bars of the RTO's parts, predicted above measured.
fn parts_chart(gap: &Gap) -> String {
    let value = |g: &GapMetric, measured: bool| if measured { g.measured } else { g.predicted };
    let total = |measured: bool| -> f64 {
        gap.rto_parts
            .iter()
            .filter_map(|g| value(g, measured))
            .map(|v| v.max(0.0))
            .sum()
    };
    let max = total(false).max(total(true));
    if max <= 0.0 {
        return String::new();
    }
    let (w, left) = (960.0, 130.0);
    let scale = (w - left - 20.0) / max;
    let mut svg = format!(
        r#"<figure class="chart-block"><figcaption>RTO by part<span class="keys"><span class="key"><span class="sw" style="background:#ef6c00"></span>detection</span><span class="key"><span class="sw" style="background:#6a1b9a"></span>activation</span><span class="key"><span class="sw" style="background:#1565c0"></span>after activation</span></span></figcaption><svg class="chart" id="chart-gap" viewBox="0 0 {w} 110" xmlns="http://www.w3.org/2000/svg"><title>RTO by part, predicted vs measured</title>"#
    );
    let colours = ["#ef6c00", "#6a1b9a", "#1565c0"];
    for (row, measured) in [(0, false), (1, true)] {
        let y = 14.0 + row as f64 * 44.0;
        let _ = write!(
            svg,
            r#"<text class="tick" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            left - 8.0,
            y + 20.0,
            if measured {
                "measured (live)"
            } else {
                "predicted (sim)"
            }
        );
        let mut x = left;
        for (g, colour) in gap.rto_parts.iter().zip(colours) {
            let Some(v) = value(g, measured).filter(|v| *v > 0.0) else {
                continue;
            };
            let bw = v * scale;
            let _ = write!(
                svg,
                r#"<rect x="{x:.1}" y="{y:.1}" width="{bw:.1}" height="30" fill="{colour}"><title>{} {}</title></rect>"#,
                escape(label(&g.name).trim()),
                escape(&actual(Some(v), "s"))
            );
            if bw > 50.0 {
                let _ = write!(
                    svg,
                    r##"<text x="{:.1}" y="{:.1}" fill="#fff" font-size="12">{}</text>"##,
                    x + 5.0,
                    y + 20.0,
                    escape(&actual(Some(v), "s"))
                );
            }
            x += bw;
        }
    }
    svg.push_str("</svg></figure>");
    svg
}

/// The comparison as a self-contained HTML page (`gap.html`).
pub fn render_gap_html(gap: &Gap) -> String {
    let body = format!(
        r#"<header class="top"><div class="badge {}">GAP</div><div><h1>{}</h1><p class="meta">simulated prediction vs live measurement</p></div></header>{}"#,
        if gap.measured.passed { "pass" } else { "fail" },
        escape(&gap.experiment),
        gap_section(gap)
    );
    crate::html::page(&format!("faultline gap — {}", gap.experiment), &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_and_ratios_only_when_both_sides_exist() {
        let g = metric("rto_s", "s", Some(20.0), Some(47.0));
        assert_eq!((g.difference, g.ratio), (Some(27.0), Some(2.35)));
        let g = metric("rto_s", "s", None, Some(47.0));
        assert_eq!((g.difference, g.ratio), (None, None));
        let g = metric("lost_writes", "writes", Some(0.0), Some(3.0));
        assert_eq!((g.difference, g.ratio), (Some(3.0), None));
    }

    #[test]
    fn shares_differ_by_percentage_points() {
        assert_eq!(signed(Some(-0.0404), "fraction"), "−4.04 pp");
        assert_eq!(signed(Some(0.25), "fraction"), "+25 pp");
        assert_eq!(signed(Some(1.5), "s"), "+1.5s");
    }
}
