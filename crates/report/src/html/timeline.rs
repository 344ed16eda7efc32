//! The timeline section: an overview of the whole run, then the fault window charted at
//! the record's granularity with every event and the TTD/TTA/RTO/RPO spans on it.

use std::fmt::Write as _;

use faultline_analyze::{Analysis, Summary};
use faultline_record::{FailureClass, MarkerKind, RunRecord, CLIENT_SERIES};
use faultline_spec::Experiment;

use super::charts::{Chart, Mark, MarkKind, Overlay, LEFT, WIDTH};
use super::series::{lost_write_times_s, steps};
use crate::text::{clock, duration, escape, millis, number, percent};
use crate::topology::fault_name;

/// Most points of the whole-run overview (bounds the page for long runs).
const OVERVIEW_POINTS_MAX: usize = 2_000;

/// A fault's active interval as recorded.
struct FaultSpan {
    source: String,
    name: String,
    from_s: f64,
    to_s: f64,
    healed: bool,
}

fn fault_spans(record: &RunRecord, experiment: &Experiment, end_s: f64) -> Vec<FaultSpan> {
    let mut spans: Vec<FaultSpan> = Vec::new();
    for m in &record.markers {
        let t = m.t_us as f64 / 1e6;
        match m.kind {
            MarkerKind::FaultInjected => {
                let name = m
                    .source
                    .strip_prefix("fault:")
                    .and_then(|i| i.parse::<usize>().ok())
                    .and_then(|i| experiment.raw().faults.get(i).map(|f| fault_name(f, i)))
                    .or_else(|| m.detail.clone())
                    .unwrap_or_else(|| m.source.clone());
                spans.push(FaultSpan {
                    source: m.source.clone(),
                    name,
                    from_s: t,
                    to_s: end_s,
                    healed: false,
                });
            }
            MarkerKind::FaultHealed => {
                if let Some(s) = spans.iter_mut().find(|s| !s.healed && s.source == m.source) {
                    s.to_s = t;
                    s.healed = true;
                }
            }
            _ => {}
        }
    }
    spans
}

/// The window the detail charts show: the baseline's end, the transition, and a tail.
fn window(s: &Summary, rpo_start: Option<f64>) -> (f64, f64) {
    let end = s.run.end_s.max(1.0);
    let m = &s.metrics;
    let Some(t_f) = m.t_fault_s else {
        return (0.0, end);
    };
    let t_end = m.transition.end_s.unwrap_or(end).max(t_f);
    let lead = ((t_end - t_f) * 0.4).clamp(15.0, 60.0);
    let mut from = (t_f - lead).max(0.0);
    if let Some(r) = rpo_start.filter(|r| t_f - r < 600.0) {
        from = from.min((r - 5.0).max(0.0));
    }
    (from, (t_end + lead).min(end))
}

/// Writes the whole timeline section.
pub(super) fn section(
    out: &mut String,
    analysis: &Analysis,
    record: &RunRecord,
    experiment: &Experiment,
) {
    let s = &analysis.summary;
    let m = &s.metrics;
    let end_s = s.run.end_s.max(1.0);
    let faults = fault_spans(record, experiment, end_s);
    let rpo_start = m
        .t_fault_s
        .zip(m.rpo_s.filter(|r| *r > 0.0))
        .map(|(t, r)| t - r);
    let (from, to) = window(s, rpo_start);

    let mut overlay = Overlay {
        transition: m
            .transition
            .start_s
            .zip(m.transition.end_s)
            .filter(|(a, b)| b > a),
        fault_spans: faults.iter().map(|f| (f.from_s, f.to_s)).collect(),
        marks: Vec::new(),
    };
    for f in &faults {
        overlay.marks.push(Mark {
            t_s: f.from_s,
            kind: MarkKind::Fault,
            label: format!("fault injected: {}", f.name),
        });
        if f.healed {
            overlay.marks.push(Mark {
                t_s: f.to_s,
                kind: MarkKind::Heal,
                label: format!("fault healed: {}", f.name),
            });
        }
    }
    if let Some(t_f) = m.t_fault_s {
        if let Some(d) = m.ttd_s {
            overlay.marks.push(Mark {
                t_s: t_f + d,
                kind: MarkKind::Detect,
                label: format!(
                    "detected (TTD {}) by {}",
                    duration(d),
                    m.ttd_source.as_deref().unwrap_or("?")
                ),
            });
        }
        if let Some(a) = m.tta_s {
            overlay.marks.push(Mark {
                t_s: t_f + a,
                kind: MarkKind::Activate,
                label: format!(
                    "activated (TTA {}) by {}",
                    duration(a),
                    m.tta_source.as_deref().unwrap_or("?")
                ),
            });
        }
    }
    if let Some(t_r) = m.t_recovered_s {
        overlay.marks.push(Mark {
            t_s: t_r,
            kind: MarkKind::Recovered,
            label: format!("recovered (RTO {})", m.rto_s.map_or("?".into(), duration)),
        });
    }

    out.push_str(r#"<section id="timeline"><h2>Timeline</h2>"#);
    overview(out, analysis, &overlay, (from, to), end_s);
    let (steps, step_s) = steps(record, from, to);
    let _ = write!(
        out,
        r#"<p class="hint">From {} to {} of the run, one point per {} (the record's buckets{}). Red band: a fault is active. Amber band: the transition, from the fault until the service met the recovery criteria. Hover any line or band for exact values.</p>"#,
        clock(from),
        clock(to),
        if step_s < 1.0 {
            format!("{}ms", number(step_s * 1e3, 0))
        } else {
            duration(step_s)
        },
        if step_s > 0.1 + 1e-9 {
            ", grouped to fit"
        } else {
            ""
        }
    );
    legend(out);
    ribbon(out, s, &faults, &overlay, (from, to), rpo_start, record);
    let times: Vec<f64> = steps.iter().map(|p| p.t_s).collect();

    // Throughput and offered load.
    let y_max = steps
        .iter()
        .map(|p| p.offered_per_s.max(p.ok_per_s))
        .fold(0.0, f64::max)
        * 1.1;
    let mut c = Chart::new(
        "chart-throughput",
        "Throughput and offered load (operations per second)",
        200.0,
        (from, to),
        (0.0, y_max.max(1.0)),
        false,
    );
    c.underlay(&overlay);
    c.axes("ops/s", &|v| number(v, 0));
    c.line(
        "l-offered",
        &steps
            .iter()
            .map(|p| (p.t_s + step_s / 2.0, Some(p.offered_per_s)))
            .collect::<Vec<_>>(),
    );
    c.line(
        "l-ok",
        &steps
            .iter()
            .map(|p| (p.t_s + step_s / 2.0, Some(p.ok_per_s)))
            .collect::<Vec<_>>(),
    );
    c.marks(&overlay);
    chart_block(
        out,
        "Throughput: successful operations vs offered load",
        c.finish(),
        &[("l-offered", "offered"), ("l-ok", "successful")],
    );

    // Error rate by class.
    let mut c = Chart::new(
        "chart-errors",
        "Error rate by failure class",
        170.0,
        (from, to),
        (0.0, 1.0),
        false,
    );
    c.underlay(&overlay);
    c.axes("errors", &|v| percent(v));
    let layers: Vec<Vec<f64>> = (0..6)
        .map(|k| steps.iter().map(|p| p.failed_share[k]).collect())
        .collect();
    let classes: Vec<String> = FailureClass::ALL
        .iter()
        .map(|c| format!("a-{}", c.name()))
        .collect();
    let class_refs: Vec<&str> = classes.iter().map(String::as_str).collect();
    c.stacked(&class_refs, &times, step_s, &layers);
    c.marks(&overlay);
    let keys: Vec<(&str, &str)> = FailureClass::ALL
        .iter()
        .zip(&class_refs)
        .map(|(f, c)| (*c, f.name()))
        .collect();
    chart_block(
        out,
        "Error rate, stacked by failure class",
        c.finish(),
        &keys,
    );

    // Latency.
    let lat_max = steps.iter().filter_map(|p| p.max_ms).fold(1.0, f64::max) * 1.5;
    let lat_min = steps
        .iter()
        .filter_map(|p| p.p50_ms)
        .fold(f64::INFINITY, f64::min)
        .max(0.01)
        / 1.5;
    let mut c = Chart::new(
        "chart-latency",
        "Latency p50, p99 and max (ms, log scale)",
        200.0,
        (from, to),
        (lat_min.min(lat_max / 10.0), lat_max),
        true,
    );
    c.underlay(&overlay);
    c.axes("ms (log)", &|v| millis(v));
    let mid = |p: &super::series::Step| p.t_s + step_s / 2.0;
    c.line(
        "l-max",
        &steps.iter().map(|p| (mid(p), p.max_ms)).collect::<Vec<_>>(),
    );
    c.line(
        "l-p99",
        &steps.iter().map(|p| (mid(p), p.p99_ms)).collect::<Vec<_>>(),
    );
    c.line(
        "l-p50",
        &steps.iter().map(|p| (mid(p), p.p50_ms)).collect::<Vec<_>>(),
    );
    c.marks(&overlay);
    chart_block(
        out,
        "Latency from each operation's intended start",
        c.finish(),
        &[("l-p50", "p50"), ("l-p99", "p99"), ("l-max", "max")],
    );

    // Writes.
    let acked: Vec<f64> = steps.iter().map(|p| p.writes_acked as f64).collect();
    let lost: Vec<f64> = steps.iter().map(|p| p.writes_lost as f64).collect();
    let stale: Vec<f64> = steps.iter().map(|p| p.writes_stale as f64).collect();
    let w_max = acked.iter().copied().fold(1.0, f64::max) * 1.1;
    let mut c = Chart::new(
        "chart-writes",
        "Acknowledged writes, and those lost or stale, by acknowledgement time",
        150.0,
        (from, to),
        (0.0, w_max),
        false,
    );
    c.underlay(&overlay);
    c.axes(
        &format!(
            "writes/{}",
            if step_s < 1.0 {
                format!("{}ms", number(step_s * 1e3, 0))
            } else {
                duration(step_s)
            }
        ),
        &|v| number(v, 0),
    );
    c.stacked(&["a-acked"], &times, step_s, &[acked]);
    let zero = vec![0.0; times.len()];
    c.bars(
        "b-lost",
        &times,
        step_s,
        &lost,
        &zero,
        "lost writes acknowledged",
    );
    c.bars(
        "b-stale",
        &times,
        step_s,
        &stale,
        &lost,
        "stale writes acknowledged",
    );
    c.marks(&overlay);
    let lost_total: u64 = steps.iter().map(|p| p.writes_lost + p.writes_stale).sum();
    let title = if s.integrity.verified {
        format!("Writes: {lost_total} lost or stale in this window (by the time they were acknowledged)")
    } else {
        "Writes (the final state was not read back: losses unknown)".to_string()
    };
    chart_block(
        out,
        &title,
        c.finish(),
        &[
            ("a-acked", "acknowledged"),
            ("b-lost", "lost"),
            ("b-stale", "stale (older value found)"),
        ],
    );
    out.push_str("</section>");
}

fn chart_block(out: &mut String, title: &str, svg: String, keys: &[(&str, &str)]) {
    let _ = write!(
        out,
        r#"<figure class="chart-block"><figcaption>{}<span class="keys">"#,
        escape(title)
    );
    for (class, label) in keys {
        let _ = write!(
            out,
            r#"<span class="key"><span class="sw {class}"></span>{}</span>"#,
            escape(label)
        );
    }
    let _ = write!(out, "</span></figcaption>{svg}</figure>");
}

fn legend(out: &mut String) {
    out.push_str(r#"<div class="legend marks"><span class="key"><span class="ln m-fault"></span>fault injected</span><span class="key"><span class="ln m-heal"></span>fault healed</span><span class="key"><span class="ln m-detect"></span>detected (TTD)</span><span class="key"><span class="ln m-activate"></span>activated (TTA)</span><span class="key"><span class="ln m-recovered"></span>recovered (RTO)</span><span class="key"><span class="sw span-fault"></span>fault active</span><span class="key"><span class="sw span-transition"></span>transition</span></div>"#);
}

/// The whole run at one-second resolution, with the detail window outlined.
fn overview(
    out: &mut String,
    analysis: &Analysis,
    overlay: &Overlay,
    window: (f64, f64),
    end_s: f64,
) {
    let Some(seconds) = analysis.series_seconds.get(CLIENT_SERIES) else {
        return;
    };
    // At most OVERVIEW_POINTS_MAX points: long runs are averaged over groups of seconds.
    let group = seconds.len().div_ceil(OVERVIEW_POINTS_MAX).max(1);
    let points: Vec<(f64, f64, f64)> = seconds
        .chunks(group)
        .map(|chunk| {
            let n = chunk.len() as f64;
            (
                chunk[0].t_s as f64 + n / 2.0,
                chunk.iter().map(|p| p.offered as f64).sum::<f64>() / n,
                chunk.iter().map(|p| p.ok as f64).sum::<f64>() / n,
            )
        })
        .collect();
    let y_max = points.iter().map(|p| p.1.max(p.2)).fold(1.0, f64::max) * 1.1;
    let mut c = Chart::new(
        "chart-overview",
        "The whole run: successful operations per second",
        110.0,
        (0.0, end_s),
        (0.0, y_max),
        false,
    );
    c.underlay(overlay);
    c.axes("ops/s", &|v| number(v, 0));
    c.line(
        "l-offered",
        &points.iter().map(|p| (p.0, Some(p.1))).collect::<Vec<_>>(),
    );
    c.line(
        "l-ok",
        &points.iter().map(|p| (p.0, Some(p.2))).collect::<Vec<_>>(),
    );
    c.marks(overlay);
    let (xa, xb) = (c.x(window.0), c.x(window.1));
    c.raw(&format!(r#"<rect class="window" x="{xa:.1}" y="6" width="{:.1}" height="82"><title>charted below: {} – {}</title></rect>"#, (xb - xa).max(2.0), clock(window.0), clock(window.1)));
    chart_block(
        out,
        "Whole run (the outlined part is charted in detail below)",
        c.finish(),
        &[("l-offered", "offered"), ("l-ok", "successful")],
    );
}

/// Rows of labelled spans: each fault, TTD, TTA, RTO and RPO, where they happen.
fn ribbon(
    out: &mut String,
    s: &Summary,
    faults: &[FaultSpan],
    overlay: &Overlay,
    x: (f64, f64),
    rpo_start: Option<f64>,
    record: &RunRecord,
) {
    let m = &s.metrics;
    let mut rows: Vec<(String, &str, f64, f64)> = Vec::new();
    for f in faults {
        // A fault healed by the end-of-run rollback lasted "until the end".
        let len = if f.healed && f.to_s < s.run.end_s - 0.5 {
            format!(" for {}", duration(f.to_s - f.from_s))
        } else {
            format!(
                " until the end of the run ({})",
                duration(f.to_s - f.from_s)
            )
        };
        rows.push((format!("⚡ {}{len}", f.name), "r-fault", f.from_s, f.to_s));
    }
    if let Some(t_f) = m.t_fault_s {
        if let Some(d) = m.ttd_s {
            rows.push((
                format!(
                    "TTD {} — detected by {}",
                    duration(d),
                    m.ttd_source.as_deref().unwrap_or("?")
                ),
                "r-detect",
                t_f,
                t_f + d,
            ));
        }
        if let Some(a) = m.tta_s {
            rows.push((
                format!(
                    "TTA {} — activated ({})",
                    duration(a),
                    m.tta_source.as_deref().unwrap_or("?")
                ),
                "r-activate",
                t_f,
                t_f + a,
            ));
        }
        match (m.rto_s, m.not_recovered_within_s) {
            (Some(r), _) => rows.push((
                format!("RTO {} — back to normal at {}", duration(r), clock(t_f + r)),
                "r-rto",
                t_f,
                t_f + r,
            )),
            (None, Some(d)) => rows.push((
                format!("not recovered within {}", duration(d)),
                "r-norec",
                t_f,
                t_f + d,
            )),
            _ => {}
        }
        match (m.rpo_s, m.lost_writes) {
            (Some(r), Some(n)) if n > 0 => rows.push((
                format!(
                    "RPO {} — {} lost",
                    duration(r),
                    crate::text::counted(n, "acknowledged write", "acknowledged writes")
                ),
                "r-rpo",
                rpo_start.unwrap_or(t_f),
                t_f,
            )),
            (Some(_), Some(0)) => rows.push((
                "RPO 0 — no acknowledged write lost".to_string(),
                "r-rpo0",
                t_f,
                t_f,
            )),
            _ => {}
        }
    }
    if rows.is_empty() {
        return;
    }
    let row_h = 22.0;
    let height = 12.0 + rows.len() as f64 * row_h + 8.0;
    let mut c = Chart::new(
        "chart-ribbon",
        "When it happened: faults, TTD, TTA, RTO and RPO",
        height,
        x,
        (0.0, 1.0),
        false,
    );
    c.underlay(&Overlay {
        marks: Vec::new(),
        ..overlay.clone()
    });
    for (i, (label, class, a, b)) in rows.iter().enumerate() {
        let y = 10.0 + i as f64 * row_h;
        let (xa, xb) = (c.x(a.max(x.0)), c.x(b.min(x.1)));
        let w = (xb - xa).max(3.0);
        let mut markup = format!(
            r#"<g class="ribbon {class}"><title>{} ({} – {})</title><rect x="{xa:.1}" y="{y:.1}" width="{w:.1}" height="{:.1}" rx="3"/>"#,
            escape(label),
            clock(*a),
            clock(*b),
            row_h - 6.0
        );
        // The label goes inside a wide bar, else right of it (left of it near the edge).
        let text_w = label.chars().count() as f64 * 6.6;
        let (tx, anchor, inside) = if w > text_w + 12.0 {
            (xa + 6.0, "start", true)
        } else if xb + 6.0 + text_w < WIDTH {
            (xb + 6.0, "start", false)
        } else {
            ((xa - 6.0).max(LEFT), "end", false)
        };
        let _ = write!(
            markup,
            r#"<text x="{tx:.1}" y="{:.1}" text-anchor="{anchor}" class="{}">{}</text></g>"#,
            y + row_h - 10.5,
            if inside { "in" } else { "out" },
            escape(label)
        );
        c.raw(&markup);
    }
    // Lost writes as ticks on the RPO row.
    if let Some(i) = rows.iter().position(|r| r.1 == "r-rpo") {
        let y = 10.0 + i as f64 * row_h;
        for t in lost_write_times_s(record)
            .into_iter()
            .filter(|t| *t >= x.0 && *t <= x.1)
            .take(2_000)
        {
            let xt = c.x(t);
            c.raw(&format!(
                r#"<line class="lost-tick" x1="{xt:.1}" x2="{xt:.1}" y1="{:.1}" y2="{:.1}"/>"#,
                y - 2.0,
                y + row_h - 4.0
            ));
        }
    }
    c.marks(overlay);
    let _ = write!(
        out,
        r#"<figure class="chart-block ribbon-block"><figcaption>When it happened</figcaption>{}</figure>"#,
        c.finish()
    );
}
