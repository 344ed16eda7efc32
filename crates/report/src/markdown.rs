//! `summary.md`: a Markdown summary fit for a pull-request comment or a CI step summary
//! (`$GITHUB_STEP_SUMMARY`): the verdict, the key figures, the findings and the blast
//! radius, in GitHub-flavoured Markdown that also reads as plain text.

use std::fmt::Write as _;

use faultline_analyze::Summary;
use faultline_spec::Experiment;

use crate::findings::{findings, headline, Level};
use crate::text::{actual, duration, millis, percent};
use crate::topology::Topology;

/// Most findings listed (the HTML report has them all).
pub const FINDINGS_MAX: usize = 8;

/// Renders the Markdown summary of a run.
pub fn render_markdown(summary: &Summary, experiment: &Experiment) -> String {
    let mut out = String::new();
    let (icon, word) = if summary.passed {
        ("✅", "PASSED")
    } else {
        ("❌", "FAILED")
    };
    let _ = writeln!(
        out,
        "### {icon} faultline: `{}` {word}\n",
        cell(&summary.experiment)
    );
    let _ = writeln!(out, "{}\n", headline(summary, experiment));
    if summary.thresholds.is_empty() {
        out.push_str("No thresholds declared (`expect:` is empty).\n\n");
    } else {
        out.push_str("| objective | expected | actual | result |\n|---|---|---|---|\n");
        for t in &summary.thresholds {
            let result = if t.passed { "✅ pass" } else { "❌ **fail**" };
            let mut measured = actual(t.actual, &t.unit);
            if let Some(reason) = &t.reason {
                let _ = write!(measured, " ({reason})");
            }
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {result} |",
                cell(&t.name),
                cell(&t.expected),
                cell(&measured)
            );
        }
        out.push('\n');
    }
    let m = &summary.metrics;
    if m.t_fault_s.is_some() {
        let na = "—".to_string();
        let rto = match (m.rto_s, m.not_recovered_within_s) {
            (Some(r), _) => duration(r),
            (None, Some(d)) => format!("not recovered in {}", duration(d)),
            _ => na.clone(),
        };
        out.push_str("| TTD | TTA | RTO | RPO | errors | lost writes | p99 baseline → transition |\n|---|---|---|---|---|---|---|\n");
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} → {} |\n",
            m.ttd_s.map_or(na.clone(), duration),
            m.tta_s.map_or(na.clone(), duration),
            cell(&rto),
            m.rpo_s.map_or("unknown".to_string(), duration),
            m.error_rate.map_or(na.clone(), percent),
            m.lost_writes
                .map_or("unknown".to_string(), |n| n.to_string()),
            m.latency_ms.baseline.p99.map_or(na.clone(), millis),
            m.latency_ms.transition.p99.map_or(na.clone(), millis),
        );
    }
    let topology = Topology::new(experiment, summary);
    let list: Vec<_> = findings(summary, experiment)
        .into_iter()
        .filter(|f| f.level > Level::Info)
        .collect();
    if !list.is_empty() {
        out.push_str("**Findings**\n\n");
        for f in list.iter().take(FINDINGS_MAX) {
            let _ = writeln!(out, "- {}", one_line(&f.text));
        }
        if list.len() > FINDINGS_MAX {
            let _ = writeln!(out, "- … {} more in report.html", list.len() - FINDINGS_MAX);
        }
        out.push('\n');
    }
    let blast = topology.blast_radius();
    if !blast.is_empty() {
        let parts: Vec<String> = blast
            .iter()
            .map(|b| {
                let path = match b.path.len() {
                    0 => String::new(),
                    1 => ", faulted".to_string(),
                    _ => format!(" via {}", topology.path_text(&b.path, &|p| p.to_string())),
                };
                format!("`{}` ({}{path})", b.name, b.severity.word())
            })
            .collect();
        let _ = writeln!(out, "**Blast radius:** {}\n", parts.join(", "));
    }
    let _ = writeln!(
        out,
        "<sub>{} engine · seed {} · run {} after {} · charts, diagram and every figure in report.html</sub>",
        cell(&summary.engine),
        summary.seed,
        cell(&summary.run.status),
        duration(summary.run.end_s)
    );
    out
}

/// Text safe inside a table cell: pipes escaped, newlines removed.
fn cell(text: &str) -> String {
    one_line(text).replace('|', "\\|")
}

fn one_line(text: &str) -> String {
    text.replace(['\n', '\r'], " ")
}
