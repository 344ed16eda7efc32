//! The architecture diagram: components in columns by call depth (clients on the left),
//! call edges as arrows, each component coloured by what it went through, faulted
//! components and edges marked.

use std::fmt::Write as _;

use crate::text::{escape, millis, percent};
use crate::topology::{Severity, Topology, COMPONENTS_MAX};

const BOX_W: f64 = 200.0;
const BOX_H: f64 = 84.0;
const COL_W: f64 = 250.0;
const ROW_H: f64 = 104.0;
const PAD: f64 = 24.0;

/// The CSS class of a severity's fill.
pub fn severity_class(s: Severity) -> &'static str {
    match s {
        Severity::NoData => "sev-none",
        Severity::Unaffected => "sev-ok",
        Severity::Slower => "sev-slow",
        Severity::Failing => "sev-fail",
        Severity::Severe => "sev-down",
    }
}

/// Column of every node: the longest call path from a node nothing calls.
fn layers(topology: &Topology) -> Vec<usize> {
    let n = topology.nodes.len();
    let index = |name: &str| topology.nodes.iter().position(|node| node.name == name);
    let mut layer = vec![0usize; n];
    // Bellman-Ford style relaxation, bounded by the node count (cycles stop growing there).
    for _ in 0..n.min(COMPONENTS_MAX) {
        let mut changed = false;
        for e in &topology.edges {
            if let (Some(a), Some(b)) = (index(&e.from), index(&e.to)) {
                if layer[b] < layer[a] + 1 && layer[a] + 1 < n {
                    layer[b] = layer[a] + 1;
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    layer
}

/// The diagram as an inline SVG.
pub fn render(topology: &Topology) -> String {
    let layer = layers(topology);
    let columns = layer.iter().max().map_or(1, |m| m + 1);
    let mut rows_in = vec![0usize; columns];
    let mut pos = Vec::with_capacity(topology.nodes.len());
    for l in &layer {
        pos.push((PAD + *l as f64 * COL_W, PAD + rows_in[*l] as f64 * ROW_H));
        rows_in[*l] += 1;
    }
    // Centre each column vertically.
    let rows = rows_in.iter().max().copied().unwrap_or(1).max(1);
    for (i, l) in layer.iter().enumerate() {
        let offset = (rows - rows_in[*l]) as f64 * ROW_H / 2.0;
        pos[i].1 += offset;
    }
    let width = PAD * 2.0 + (columns - 1) as f64 * COL_W + BOX_W;
    let height = PAD * 2.0 + (rows - 1) as f64 * ROW_H + BOX_H + 14.0;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="diagram" id="diagram" viewBox="0 0 {width:.0} {height:.0}" role="img" aria-label="architecture diagram" xmlns="http://www.w3.org/2000/svg"><title>Architecture: components coloured by what they went through</title><defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" class="arrowhead"/></marker><marker id="arrow-fault" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" class="arrowhead-fault"/></marker></defs>"#
    );
    let index = |name: &str| topology.nodes.iter().position(|node| node.name == name);
    let mut drawn_fault_edges = Vec::new();
    for e in &topology.edges {
        let (Some(a), Some(b)) = (index(&e.from), index(&e.to)) else {
            continue;
        };
        let fault = topology
            .faulted_edges
            .iter()
            .find(|(x, y, _)| (x == &e.from && y == &e.to) || (x == &e.to && y == &e.from));
        if let Some(f) = fault {
            drawn_fault_edges.push(f.clone());
        }
        edge(
            &mut svg,
            pos[a],
            pos[b],
            e.label,
            fault.map(|f| f.2.as_str()),
        );
    }
    // Faulted edges the call graph does not have (e.g. between two services that never
    // call each other) are drawn too, so the fault is visible.
    for f in &topology.faulted_edges {
        if drawn_fault_edges.contains(f) {
            continue;
        }
        if let (Some(a), Some(b)) = (index(&f.0), index(&f.1)) {
            edge(&mut svg, pos[a], pos[b], "", Some(&f.2));
        }
    }
    for (i, node) in topology.nodes.iter().enumerate() {
        let (x, y) = pos[i];
        let faulted = topology.is_faulted(&node.name) && !node.faults.is_empty();
        let figures = node
            .impact
            .as_ref()
            .map(|c| {
                let err = |e: Option<f64>| e.map_or("-".to_string(), percent);
                let p99 = |p: Option<f64>| p.map_or("-".to_string(), millis);
                (
                    format!(
                        "errors {} → {}",
                        err(c.baseline.error_rate),
                        err(c.transition.error_rate)
                    ),
                    format!(
                        "p99 {} → {}",
                        p99(c.baseline.latency_ms.p99),
                        p99(c.transition.latency_ms.p99)
                    ),
                )
            })
            .unwrap_or_else(|| ("no series recorded".to_string(), String::new()));
        let _ = write!(
            svg,
            r#"<g class="node {sev}{f}" data-name="{name}"><title>{name} ({kind}, {detail_t}): {word}. {figures_t}{faults_t}</title><rect x="{x:.1}" y="{y:.1}" width="{BOX_W}" height="{BOX_H}" rx="8"/><text class="n-name" x="{tx:.1}" y="{:.1}">{name}</text><text class="n-kind" x="{tx:.1}" y="{:.1}">{kind} · {detail}</text><text class="n-fig" x="{tx:.1}" y="{:.1}">{fig1}</text><text class="n-fig" x="{tx:.1}" y="{:.1}">{fig2}</text>"#,
            y + 20.0,
            y + 37.0,
            y + 55.0,
            y + 71.0,
            sev = severity_class(node.severity),
            f = if faulted { " faulted" } else { "" },
            name = escape(&node.name),
            kind = escape(&node.kind),
            detail = escape(&clip(
                &node.detail,
                30usize.saturating_sub(node.kind.len()).max(8)
            )),
            word = node.severity.word(),
            fig1 = escape(&figures.0),
            fig2 = escape(&figures.1),
            figures_t = escape(&format!("{} {}", figures.0, figures.1)),
            detail_t = escape(&node.detail),
            faults_t = if node.faults.is_empty() {
                String::new()
            } else {
                escape(&format!(" Faults: {}.", node.faults.join(", ")))
            },
            tx = x + 10.0,
        );
        if faulted {
            let _ = write!(
                svg,
                r#"<text class="n-fault" x="{:.1}" y="{:.1}">⚡ {}</text>"#,
                x + 10.0,
                y + BOX_H + 13.0,
                escape(&node.faults.join(", "))
            );
        }
        svg.push_str("</g>");
    }
    svg.push_str("</svg>");
    svg
}

fn edge(svg: &mut String, a: (f64, f64), b: (f64, f64), label: &str, fault: Option<&str>) {
    let (x1, y1) = (a.0 + BOX_W, a.1 + BOX_H / 2.0);
    let (x2, y2) = (b.0, b.1 + BOX_H / 2.0);
    let d = if x2 > x1 {
        let mid = (x1 + x2) / 2.0;
        format!("M{x1:.1} {y1:.1} C{mid:.1} {y1:.1} {mid:.1} {y2:.1} {x2:.1} {y2:.1}")
    } else {
        // A back or same-column edge: loop below the boxes.
        let (sx, sy) = (a.0 + BOX_W / 2.0, a.1 + BOX_H);
        let (ex, ey) = (b.0 + BOX_W / 2.0, b.1 + BOX_H);
        let low = sy.max(ey) + 40.0;
        format!("M{sx:.1} {sy:.1} C{sx:.1} {low:.1} {ex:.1} {low:.1} {ex:.1} {ey:.1}")
    };
    let (class, marker) = if fault.is_some() {
        ("edge faulted", "arrow-fault")
    } else {
        ("edge", "arrow")
    };
    let title = match fault {
        Some(f) => format!("{label} — fault: {f}"),
        None => label.to_string(),
    };
    let _ = write!(
        svg,
        r#"<path class="{class}" d="{d}" marker-end="url(#{marker})"><title>{}</title></path>"#,
        escape(&title)
    );
    if let Some(f) = fault {
        let _ = write!(
            svg,
            r#"<text class="e-fault" x="{:.1}" y="{:.1}" text-anchor="middle">⚡ {}</text>"#,
            (x1 + x2) / 2.0,
            // Below the boxes: between two columns there is no room for the text.
            a.1.max(b.1) + BOX_H + 13.0,
            escape(f)
        );
    }
}

/// `text` cut to `max` characters with an ellipsis (the full text is in the hover title).
fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let cut: String = text.chars().take(max.saturating_sub(1)).collect();
        format!("{}…", cut.trim_end())
    }
}
