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
        "### {icon} faultline: {} {word}\n",
        code(&summary.experiment)
    );
    // The story is plain text (the HTML report shows it so): no code spans in it.
    let _ = writeln!(out, "{}\n", text(&headline(summary, experiment)));
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
                "| {} | {} | {} | {result} |",
                cell(&code(&t.name)),
                cell(&text(&t.expected)),
                cell(&text(&measured))
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
            text(&rto),
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
            let _ = writeln!(out, "- {}", inline(&f.text));
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
                format!("{} ({}{path})", code(&b.name), b.severity.word())
            })
            .collect();
        let _ = writeln!(out, "**Blast radius:** {}\n", parts.join(", "));
    }
    let _ = writeln!(
        out,
        "<sub>{} engine · seed {} · run {} after {} · charts, diagram and every figure in report.html</sub>",
        text(&summary.engine),
        summary.seed,
        text(&summary.run.status),
        duration(summary.run.end_s)
    );
    out
}

/// Markdown (already escaped) made safe inside a table cell: pipes escaped, which GFM
/// also honours inside code spans. Only table cells need it: elsewhere `\|` inside a
/// code span shows the backslash.
fn cell(markdown: &str) -> String {
    markdown.replace('|', "\\|")
}

fn one_line(text: &str) -> String {
    text.replace(['\n', '\r'], " ")
}

/// Plain text as Markdown that shows it verbatim, on one line: what would start markup,
/// raw HTML or an entity (`*`, `[`, `<b`, `&amp;`, a word-edge `_`) is backslash-escaped,
/// and nothing else, so the file still reads as plain text (`<= 5s`, `error_rate`).
/// Names come from the experiment file and may hold any of them.
fn text(plain: &str) -> String {
    let chars: Vec<char> = one_line(plain).chars().collect();
    let mut out = String::with_capacity(plain.len());
    for (i, &c) in chars.iter().enumerate() {
        let before = i.checked_sub(1).and_then(|j| chars.get(j)).copied();
        let after = chars.get(i + 1).copied();
        let word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
        let escape = match c {
            '\\' | '`' | '*' | '[' | ']' | '~' | '&' => true,
            // Raw HTML starts with `<` and a tag name, `/`, `!` or `?`; `<= 5s` is text.
            '<' => after.is_some_and(|a| a.is_ascii_alphabetic() || "/!?".contains(a)),
            // Emphasis with `_` never opens or closes inside a word (`error_rate`).
            '_' => !(word(before) && word(after)),
            // A heading or quote only at the start of a line.
            '#' | '>' => i == 0,
            _ => false,
        };
        if escape {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `plain` as an inline code span that shows it verbatim whatever it holds: the fence
/// is one backtick longer than the longest run of backticks inside, and a space pads
/// content that starts or ends with a backtick (CommonMark strips one such space).
fn code(plain: &str) -> String {
    let plain = one_line(plain);
    let mut longest = 0;
    let mut run = 0;
    for c in plain.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let pad = if plain.starts_with('`') || plain.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{plain}{pad}{fence}")
}

/// A report sentence whose code is marked with backticks (the findings, the story) as
/// Markdown: code parts become code spans, the rest is escaped [`text`].
fn inline(sentence: &str) -> String {
    sentence
        .split('`')
        .enumerate()
        .map(|(i, part)| if i % 2 == 1 { code(part) } else { text(part) })
        .collect()
}
