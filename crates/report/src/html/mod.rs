//! `report.html`: one self-contained page (inline CSS and SVG, no script, no network)
//! that tells what failed, when, for how long, why, and what data was lost.
//!
//! Sections, top to bottom: the verdict and a one-paragraph story; the key figures;
//! findings in plain words; the timeline (whole-run overview, then the fault window at
//! the record's granularity with TTD, TTA, RTO and RPO drawn where they happen:
//! throughput vs offered load, error rate by failure class, latency p50/p99/max, writes
//! lost); the architecture diagram coloured by impact with the blast radius; data
//! integrity; the event log; and the experiment file itself.

pub mod charts;
pub mod diagram;
pub mod series;
mod timeline;

use std::fmt::Write as _;

use faultline_analyze::{Analysis, Summary};
use faultline_record::RunRecord;
use faultline_spec::Experiment;

use crate::findings::{findings, headline, Level};
use crate::text::{actual, clock, duration, escape, millis, number, percent};
use crate::topology::Topology;

/// The page's stylesheet, inlined in every report.
pub(crate) const CSS: &str = include_str!("style.css");

/// Renders `report.html` for one run. Pure: the same inputs give the same bytes.
pub fn render_html(analysis: &Analysis, record: &RunRecord, experiment: &Experiment) -> String {
    let summary = &analysis.summary;
    let topology = Topology::new(experiment, summary);
    let mut body = String::new();
    header(&mut body, summary, experiment);
    verdict(&mut body, summary);
    figures(&mut body, summary);
    findings_section(&mut body, summary, experiment);
    timeline::section(&mut body, analysis, record, experiment);
    architecture(&mut body, &topology);
    integrity(&mut body, summary);
    events(&mut body, summary);
    experiment_file(&mut body, experiment);
    page(&format!("faultline — {}", summary.experiment), &body)
}

/// Wraps a body in the page's head and stylesheet.
pub(crate) fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"generator\" content=\"faultline\">\n<title>{}</title>\n<style>\n{CSS}</style>\n</head>\n<body>\n<main>\n{body}</main>\n</body>\n</html>\n",
        escape(title)
    )
}

fn header(out: &mut String, s: &Summary, experiment: &Experiment) {
    let (class, word) = if s.passed {
        ("pass", "PASSED")
    } else {
        ("fail", "FAILED")
    };
    let _ = write!(
        out,
        r#"<header class="top"><div class="badge {class}" id="verdict-badge">{word}</div><div><h1>{}</h1><p class="meta">{} engine · seed {} · run {} after {}</p></div></header>"#,
        escape(&s.experiment),
        escape(&s.engine),
        s.seed,
        escape(&s.run.status),
        duration(s.run.end_s)
    );
    if let Some(d) = &experiment.raw().description {
        let _ = write!(out, r#"<p class="description">{}</p>"#, escape(d));
    }
    let _ = write!(
        out,
        r#"<p class="story" id="story">{}</p>"#,
        escape(&headline(s, experiment))
    );
    if let Some(reason) = &s.run.abort_reason {
        let _ = write!(out, r#"<p class="abort">Aborted: {}</p>"#, escape(reason));
    }
}

fn verdict(out: &mut String, s: &Summary) {
    out.push_str(r#"<section id="verdict"><h2>Verdict: expected vs actual</h2>"#);
    if s.thresholds.is_empty() {
        out.push_str("<p>No thresholds were declared (<code>expect:</code> is empty), so nothing could fail.</p></section>");
        return;
    }
    out.push_str(r#"<table class="verdict"><thead><tr><th>objective</th><th>expected</th><th>actual</th><th>result</th></tr></thead><tbody>"#);
    for t in &s.thresholds {
        let (class, word) = if t.passed {
            ("pass", "PASS")
        } else {
            ("fail", "FAIL")
        };
        let reason = t
            .reason
            .as_deref()
            .map(|r| format!(r#"<div class="reason">{}</div>"#, escape(r)))
            .unwrap_or_default();
        let _ = write!(
            out,
            r#"<tr class="{class}"><td><code>{}</code></td><td>{}</td><td>{}{reason}</td><td><span class="pill {class}">{word}</span></td></tr>"#,
            escape(&t.name),
            escape(&t.expected),
            escape(&actual(t.actual, &t.unit))
        );
    }
    out.push_str("</tbody></table></section>");
}

fn figures(out: &mut String, s: &Summary) {
    let m = &s.metrics;
    let na = "—".to_string();
    let rto = match (m.rto_s, m.not_recovered_within_s) {
        (Some(r), _) => duration(r),
        (None, Some(d)) => format!("> {}", duration(d)),
        _ => na.clone(),
    };
    let cards = [
        (
            "TTD",
            &["ttd"][..],
            "time to detect",
            m.ttd_s.map_or(na.clone(), duration),
            m.ttd_source.clone(),
        ),
        (
            "TTA",
            &["tta"][..],
            "time to activate",
            m.tta_s.map_or(na.clone(), duration),
            m.tta_source.clone(),
        ),
        (
            "RTO",
            &["rto"][..],
            "until service was back",
            rto,
            m.t_recovered_s
                .map(|t| format!("recovered at {}", clock(t))),
        ),
        (
            "RPO",
            &["rpo"][..],
            "data-loss window",
            m.rpo_s.map_or("unknown".to_string(), duration),
            None,
        ),
        (
            "errors",
            &["error_rate"][..],
            "in the transition",
            m.error_rate.map_or(na.clone(), percent),
            Some(format!("{} operations", m.transition_operations)),
        ),
        (
            "lost writes",
            &["lost_writes", "split_brain_writes"][..],
            "acknowledged, then gone",
            m.lost_writes
                .map_or("unknown".to_string(), |n| n.to_string()),
            m.split_brain_writes
                .filter(|n| *n > 0)
                .map(|n| format!("{n} after the fault (split brain)")),
        ),
        (
            "p99 latency",
            &["p99_latency"][..],
            "baseline → transition",
            format!(
                "{} → {}",
                m.latency_ms.baseline.p99.map_or(na.clone(), millis),
                m.latency_ms.transition.p99.map_or(na.clone(), millis)
            ),
            None,
        ),
    ];
    out.push_str(r#"<section id="figures" class="cards">"#);
    for (name, objectives, what, value, sub) in cards {
        // Each card names the objectives it shows: the card's title is not the metric's
        // name (`errors` shows `error_rate`; split-brain writes are lost writes).
        let failed = s
            .thresholds
            .iter()
            .any(|t| !t.passed && objectives.contains(&t.name.as_str()));
        let _ = write!(
            out,
            r#"<div class="card{}"><div class="c-name">{}</div><div class="c-value">{}</div><div class="c-what">{}</div>{}</div>"#,
            if failed { " bad" } else { "" },
            escape(name),
            escape(&value),
            escape(what),
            sub.map(|t| format!(r#"<div class="c-sub">{}</div>"#, escape(&t)))
                .unwrap_or_default()
        );
    }
    out.push_str("</section>");
}

fn findings_section(out: &mut String, s: &Summary, experiment: &Experiment) {
    let list = findings(s, experiment);
    out.push_str(r#"<section id="findings"><h2>Findings</h2><ul class="findings">"#);
    for f in &list {
        let class = match f.level {
            Level::Bad => "bad",
            Level::Warn => "warn",
            Level::Info => "info",
        };
        let _ = write!(
            out,
            r#"<li class="{class}">{}</li>"#,
            code_spans(&escape(&f.text))
        );
    }
    if list.is_empty() {
        out.push_str("<li class=\"info\">Nothing to report: no fault, no failure, no loss.</li>");
    }
    out.push_str("</ul></section>");
}

/// Turns `name` (already escaped) into `<code>name</code>`.
fn code_spans(text: &str) -> String {
    let mut out = String::new();
    for (i, part) in text.split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "<code>{part}</code>");
        } else {
            out.push_str(part);
        }
    }
    out
}

fn architecture(out: &mut String, topology: &Topology) {
    out.push_str(r#"<section id="architecture"><h2>Architecture and blast radius</h2><p class="hint">Each component is coloured by what it went through during the transition, against its own baseline. ⚡ marks what the faults hit. Hover for figures.</p>"#);
    let _ = write!(
        out,
        r#"<div class="diagram-wrap">{}</div>"#,
        diagram::render(topology)
    );
    out.push_str(r#"<div class="legend"><span class="sw sev-ok"></span>unaffected <span class="sw sev-slow"></span>slower (p99 ≥ 2× baseline) <span class="sw sev-fail"></span>failing (errors +1 pt or more) <span class="sw sev-down"></span>down / ≥ 50% errors <span class="sw sev-none"></span>no data <span class="sw faulted"></span>faulted</div>"#);
    let blast = topology.blast_radius();
    out.push_str(r#"<h3>Blast radius</h3>"#);
    if blast.is_empty() {
        out.push_str("<p id=\"blast\">No component degraded beyond its baseline.</p>");
    } else {
        out.push_str(r#"<ul id="blast" class="blast">"#);
        for b in &blast {
            let path = if b.path.len() > 1 {
                format!(
                    " — path from the fault: {}",
                    topology.path_text(&b.path, &|p| format!("<code>{}</code>", escape(p)))
                )
            } else if b.path.len() == 1 {
                " — hit by the fault directly".to_string()
            } else {
                " — no call path links it to a fault".to_string()
            };
            let _ = write!(
                out,
                r#"<li><span class="sw {}"></span><code>{}</code> {}{path}</li>"#,
                diagram::severity_class(b.severity),
                escape(&b.name),
                b.severity.word()
            );
        }
        out.push_str("</ul>");
    }
    out.push_str(r#"<table class="components"><thead><tr><th>component</th><th>kind</th><th>operations (base → trans.)</th><th>error rate</th><th>p50</th><th>p99</th><th>max</th><th>status</th></tr></thead><tbody>"#);
    for n in &topology.nodes {
        let Some(c) = &n.impact else { continue };
        let ms = |v: Option<f64>| v.map_or("-".to_string(), millis);
        let err = |v: Option<f64>| v.map_or("-".to_string(), percent);
        let _ = write!(
            out,
            r#"<tr><td><code>{}</code></td><td>{}</td><td>{} → {}</td><td>{} → {}</td><td>{} → {}</td><td>{} → {}</td><td>{} → {}</td><td><span class="sw {}"></span>{}</td></tr>"#,
            escape(&n.name),
            escape(&n.kind),
            c.baseline.operations,
            c.transition.operations,
            err(c.baseline.error_rate),
            err(c.transition.error_rate),
            ms(c.baseline.latency_ms.p50),
            ms(c.transition.latency_ms.p50),
            ms(c.baseline.latency_ms.p99),
            ms(c.transition.latency_ms.p99),
            ms(c.baseline.latency_ms.max),
            ms(c.transition.latency_ms.max),
            diagram::severity_class(n.severity),
            n.severity.word()
        );
    }
    out.push_str("</tbody></table></section>");
}

fn integrity(out: &mut String, s: &Summary) {
    let i = &s.integrity;
    out.push_str(r#"<section id="integrity"><h2>Data integrity</h2>"#);
    if !i.verified {
        out.push_str("<p>The final state was not read back: lost writes and the RPO are unknown.</p></section>");
        return;
    }
    if i.writes == 0 {
        out.push_str("<p>The workload wrote nothing, so there was no data to lose.</p></section>");
        return;
    }
    let rows = [
        ("written", i.writes, "every write in the ledger"),
        (
            "ok",
            i.ok,
            "acknowledged and found (or superseded by a newer write that was found)",
        ),
        ("lost", i.lost, "acknowledged, key not found"),
        ("stale", i.stale, "acknowledged, key holds an older value"),
        (
            "corrupt",
            i.corrupt,
            "found with another value than written",
        ),
        (
            "indeterminate",
            i.indeterminate,
            "not acknowledged, but landed (not an error)",
        ),
        (
            "unacknowledged, absent",
            i.unacknowledged_absent,
            "not acknowledged and not found (allowed)",
        ),
        ("unverified", i.unverified, "keys verification did not read"),
    ];
    out.push_str(r#"<table class="integrity"><tbody>"#);
    for (name, n, what) in rows {
        let bad = matches!(name, "lost" | "stale" | "corrupt") && n > 0;
        let _ = write!(
            out,
            r#"<tr{}><td>{name}</td><td class="num">{n}</td><td>{what}</td></tr>"#,
            if bad { r#" class="fail""# } else { "" }
        );
    }
    let _ = write!(
        out,
        r#"</tbody></table><p>Dataset checksum: expected <code>{}</code>, found <code>{}</code> — {}.</p></section>"#,
        escape(&i.dataset_checksum_expected),
        escape(&i.dataset_checksum_found),
        if i.dataset_matches {
            "they match"
        } else {
            "<strong>they differ</strong>"
        }
    );
}

fn events(out: &mut String, s: &Summary) {
    if s.timeline.is_empty() {
        return;
    }
    out.push_str(r#"<section id="events"><h2>Event log</h2><table class="events"><thead><tr><th>time</th><th>after fault</th><th>event</th><th>source</th><th>component</th><th>detail</th></tr></thead><tbody>"#);
    for e in &s.timeline {
        let rel = s
            .metrics
            .t_fault_s
            .map(|t| {
                let d = e.t_s - t;
                format!("{}{}", if d >= 0.0 { "+" } else { "" }, duration(d))
            })
            .unwrap_or_default();
        let _ = write!(
            out,
            r#"<tr class="ev-{}"><td>{}</td><td>{rel}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>"#,
            escape(&e.kind),
            clock(e.t_s),
            escape(&e.kind.replace('_', " ")),
            escape(&e.source),
            escape(e.component.as_deref().unwrap_or("")),
            escape(e.detail.as_deref().unwrap_or(""))
        );
    }
    out.push_str("</tbody></table>");
    if s.timeline_omitted > 0 {
        let _ = write!(
            out,
            "<p>… {} more events are in the record.</p>",
            s.timeline_omitted
        );
    }
    out.push_str("</section>");
}

fn experiment_file(out: &mut String, experiment: &Experiment) {
    let _ = write!(
        out,
        r#"<section id="experiment"><h2>The experiment file</h2><p class="hint">{} — {} lines, exactly as run.</p><pre class="source">{}</pre></section>"#,
        escape(&experiment.source_path().display().to_string()),
        number(experiment.source_text().lines().count() as f64, 0),
        escape(experiment.source_text())
    );
}
