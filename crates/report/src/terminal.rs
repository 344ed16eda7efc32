//! The terminal summary: verdict table, key metrics, components and the fault timeline.

use std::fmt::Write as _;

use faultline_analyze::{Baseline, Percentiles, RtoParts, Summary, ThresholdLine};

use crate::findings::{rto_split, RtoPart, BUCKET_S};

/// Whether to colour PASS/FAIL with ANSI escapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TerminalStyle {
    /// Plain text (pipes, files, `NO_COLOR`).
    Plain,
    /// ANSI colours for a terminal.
    Color,
}

impl TerminalStyle {
    fn verdict(self, passed: bool) -> String {
        let (word, code) = if passed {
            ("PASS", "32")
        } else {
            ("FAIL", "31")
        };
        match self {
            TerminalStyle::Plain => word.to_string(),
            TerminalStyle::Color => format!("\x1b[1;{code}m{word}\x1b[0m"),
        }
    }
}

/// Renders a summary for the terminal. Pure: the same summary gives the same text.
pub fn render_terminal(summary: &Summary, style: TerminalStyle) -> String {
    let mut out = String::new();
    let overall = if summary.passed { "PASSED" } else { "FAILED" };
    let overall = match style {
        TerminalStyle::Plain => overall.to_string(),
        TerminalStyle::Color if summary.passed => format!("\x1b[1;32m{overall}\x1b[0m"),
        TerminalStyle::Color => format!("\x1b[1;31m{overall}\x1b[0m"),
    };
    let _ = writeln!(
        out,
        "faultline: {} ({} engine, seed {}) {}",
        summary.experiment, summary.engine, summary.seed, overall
    );
    let _ = writeln!(
        out,
        "run {} after {}",
        summary.run.status,
        seconds(summary.run.end_s)
    );
    if let Some(reason) = &summary.run.abort_reason {
        let _ = writeln!(out, "aborted: {reason}");
    }
    verdict_table(&mut out, summary, style);
    key_metrics(&mut out, summary);
    components(&mut out, summary);
    timeline(&mut out, summary);
    if !summary.notes.is_empty() {
        let _ = writeln!(out, "\nNotes");
        for note in &summary.notes {
            let _ = writeln!(out, "  - {note}");
        }
    }
    out
}

fn verdict_table(out: &mut String, summary: &Summary, style: TerminalStyle) {
    let _ = writeln!(out, "\nVerdict");
    if summary.thresholds.is_empty() {
        let _ = writeln!(out, "  no thresholds declared (`expect:` is empty)");
        return;
    }
    let rows: Vec<[String; 3]> = summary
        .thresholds
        .iter()
        .map(|l| [l.name.clone(), l.expected.clone(), actual(l)])
        .collect();
    let widths = column_widths(&rows, ["threshold", "expected", "actual"]);
    let _ = writeln!(
        out,
        "  {:w0$}  {:w1$}  {:w2$}  result",
        "threshold",
        "expected",
        "actual",
        w0 = widths[0],
        w1 = widths[1],
        w2 = widths[2]
    );
    for (row, line) in rows.iter().zip(&summary.thresholds) {
        let _ = write!(
            out,
            "  {:w0$}  {:w1$}  {:w2$}  {}",
            row[0],
            row[1],
            row[2],
            style.verdict(line.passed),
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2]
        );
        match &line.reason {
            Some(reason) => {
                let _ = writeln!(out, "  ({reason})");
            }
            None => out.push('\n'),
        }
    }
}

fn column_widths(rows: &[[String; 3]], headers: [&str; 3]) -> [usize; 3] {
    let mut widths = headers.map(str::len);
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    widths
}

fn actual(line: &ThresholdLine) -> String {
    match line.actual {
        None => "-".to_string(),
        Some(v) => match line.unit.as_str() {
            "s" => seconds(v),
            "ms" => format!("{}ms", number(v, 3)),
            "fraction" => percent(v),
            "writes" => number(v, 0),
            unit => format!("{} {unit}", number(v, 6)),
        },
    }
}

fn key_metrics(out: &mut String, summary: &Summary) {
    let m = &summary.metrics;
    let _ = writeln!(out, "\nKey metrics");
    let mut row = |label: &str, value: String| {
        let _ = writeln!(out, "  {label:<24}{value}");
    };
    let Some(t_f) = m.t_fault_s else {
        row("fault", "none injected".to_string());
        integrity_rows(&mut row, summary);
        row("baseline load", baseline_load(&m.baseline));
        row("baseline latency", percentiles(&m.latency_ms.baseline));
        return;
    };
    row("fault injected", format!("at {}", seconds(t_f)));
    row(
        "detection (TTD)",
        match (&m.ttd_s, &m.ttd_source) {
            (Some(t), Some(src)) => format!("{} by {src}", seconds(*t)),
            _ => "not detected".to_string(),
        },
    );
    row(
        "activation (TTA)",
        match (&m.tta_s, &m.tta_source) {
            (Some(t), Some(src)) => format!("{} by {src}", seconds(*t)),
            _ => "no activate signal".to_string(),
        },
    );
    let rto = match (m.rto_s, m.not_recovered_within_s) {
        (Some(rto), _) => rto_equation(rto, &m.rto_parts),
        (None, Some(d)) => format!("not recovered within {}", seconds(d)),
        (None, None) => "-".to_string(),
    };
    row("recovery (RTO)", rto);
    row(
        "transition",
        match (m.transition.start_s, m.transition.end_s) {
            (Some(a), Some(b)) => format!("{} to {}", seconds(a), seconds(b)),
            _ => "-".to_string(),
        },
    );
    row(
        "error rate",
        match m.error_rate {
            Some(e) => {
                let c = &m.failure_classes;
                let classes: Vec<String> = [
                    ("refused", c.refused),
                    ("reset", c.reset),
                    ("timeout", c.timeout),
                    ("server_error", c.server_error),
                    ("pool_exhausted", c.pool_exhausted),
                    ("other", c.other),
                ]
                .iter()
                .filter(|(_, n)| *n > 0)
                .map(|(name, n)| format!("{name} {n}"))
                .collect();
                let mut text = format!("{} of {} operations", percent(e), m.transition_operations);
                if !classes.is_empty() {
                    let _ = write!(text, " ({})", classes.join(", "));
                }
                text
            }
            None => "-".to_string(),
        },
    );
    row(
        "throughput degradation",
        format!(
            "mean {}, worst second {}",
            m.throughput_degradation_mean
                .map_or("-".to_string(), percent),
            m.throughput_degradation_worst
                .map_or("-".to_string(), percent)
        ),
    );
    row("baseline load", baseline_load(&m.baseline));
    row("latency baseline", percentiles(&m.latency_ms.baseline));
    row("latency transition", percentiles(&m.latency_ms.transition));
    row(
        "RPO",
        m.rpo_s
            .map_or("unknown (not verified)".to_string(), seconds),
    );
    row(
        "lost writes",
        match (m.lost_writes, m.split_brain_writes) {
            (Some(lost), Some(split)) => format!("{lost} (split brain: {split})"),
            (Some(lost), None) => lost.to_string(),
            _ => "unknown (not verified)".to_string(),
        },
    );
    integrity_rows(&mut row, summary);
}

/// The baseline's client operations, ok throughput and error rate (what the transition
/// is measured against), with its length.
fn baseline_load(b: &Baseline) -> String {
    format!(
        "{} operations in {}, {} ok/s, error rate {}",
        b.operations,
        seconds(b.end_s - b.start_s),
        b.ok_throughput_per_s
            .map_or("-".to_string(), |x| number(x, 1)),
        b.success_rate.map_or("-".to_string(), |s| percent(1.0 - s))
    )
}

fn integrity_rows(row: &mut impl FnMut(&str, String), summary: &Summary) {
    let i = &summary.integrity;
    if !i.verified {
        row("integrity", "not verified".to_string());
        return;
    }
    row(
        "integrity",
        format!(
            "{} writes: ok {}, lost {}, stale {}, corrupt {}, indeterminate {}, \
             unacknowledged and absent {}, unverified {}",
            i.writes,
            i.ok,
            i.lost,
            i.stale,
            i.corrupt,
            i.indeterminate,
            i.unacknowledged_absent,
            i.unverified
        ),
    );
    row(
        "dataset checksum",
        if i.dataset_matches {
            format!("{} matches", i.dataset_checksum_expected)
        } else {
            format!(
                "expected {}, found {}",
                i.dataset_checksum_expected, i.dataset_checksum_found
            )
        },
    );
}

fn components(out: &mut String, summary: &Summary) {
    if summary.components.is_empty() || summary.metrics.t_fault_s.is_none() {
        return;
    }
    let _ = writeln!(out, "\nComponents (baseline -> transition)");
    let rows: Vec<[String; 3]> = summary
        .components
        .iter()
        .map(|c| {
            [
                c.series.clone(),
                format!(
                    "{} -> {}",
                    c.baseline.error_rate.map_or("-".to_string(), percent),
                    c.transition.error_rate.map_or("-".to_string(), percent)
                ),
                format!(
                    "{} -> {}",
                    c.baseline.latency_ms.p99.map_or("-".to_string(), ms),
                    c.transition.latency_ms.p99.map_or("-".to_string(), ms)
                ),
            ]
        })
        .collect();
    let widths = column_widths(&rows, ["series", "errors", "p99"]);
    let _ = writeln!(
        out,
        "  {:w0$}  {:w1$}  p99",
        "series",
        "errors",
        w0 = widths[0],
        w1 = widths[1]
    );
    for row in rows {
        let _ = writeln!(
            out,
            "  {:w0$}  {:w1$}  {}",
            row[0],
            row[1],
            row[2],
            w0 = widths[0],
            w1 = widths[1]
        );
    }
}

fn timeline(out: &mut String, summary: &Summary) {
    if summary.timeline.is_empty() {
        return;
    }
    let _ = writeln!(out, "\nTimeline");
    let t_f = summary.metrics.t_fault_s;
    for e in &summary.timeline {
        let relative = match t_f {
            Some(t_f) => format!("{:>10}", signed_seconds(e.t_s - t_f)),
            None => String::new(),
        };
        let mut line = format!(
            "  {:>9} {relative}  {:<15} {}",
            format!("{:.3}s", e.t_s),
            e.kind,
            e.source
        );
        if let Some(c) = &e.component {
            let _ = write!(line, " [{c}]");
        }
        if let Some(d) = &e.detail {
            let _ = write!(line, " {d}");
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
    if summary.timeline_omitted > 0 {
        let _ = writeln!(
            out,
            "  ... {} more events in the record",
            summary.timeline_omitted
        );
    }
}

fn percentiles(p: &Percentiles) -> String {
    match (p.p50, p.p99, p.max) {
        (Some(p50), Some(p99), Some(max)) => {
            format!("p50 {}, p99 {}, max {}", ms(p50), ms(p99), ms(max))
        }
        _ => "-".to_string(),
    }
}

/// `v` with at most `decimals` decimals, trailing zeros dropped.
fn number(v: f64, decimals: usize) -> String {
    let text = format!("{v:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

fn seconds(v: f64) -> String {
    format!("{}s", number(v, 3))
}

fn signed_seconds(v: f64) -> String {
    if v >= 0.0 {
        format!("+{}", seconds(v))
    } else {
        format!("-{}", seconds(-v))
    }
}

/// The RTO as the sum of its parts, e.g. `12.1s = detection 2s + activation 4s + rest 6.1s`
/// ([`rto_split`]). The remainder is negative when service came back before activation
/// (a pause that ended first): it is subtracted and said so, unless by less than the
/// RTO's 100 ms resolution ([`BUCKET_S`]): then the recovery and the activation fell
/// in the same bucket, and which came first is not known.
fn rto_equation(rto: f64, p: &RtoParts) -> String {
    let mut early = String::new();
    let parts: Vec<String> = rto_split(rto, p)
        .into_iter()
        .filter_map(|(part, secs)| {
            let name = match part {
                RtoPart::UntilActivation => "until activation (no detection seen)",
                RtoPart::Detection => "detection",
                RtoPart::Activation => "activation",
                RtoPart::Rest if secs <= -BUCKET_S => {
                    early = format!(" - {} (recovered before activation)", seconds(-secs));
                    return None;
                }
                RtoPart::Rest if secs < 0.0 => {
                    early = format!(
                        " - {} (recovered in the 100 ms of the activation)",
                        seconds(-secs)
                    );
                    return None;
                }
                RtoPart::Rest => "rest",
            };
            Some(format!("{name} {}", seconds(secs)))
        })
        .collect();
    if parts.is_empty() {
        seconds(rto)
    } else {
        format!("{} = {}{early}", seconds(rto), parts.join(" + "))
    }
}

/// Milliseconds with about three significant digits.
fn ms(v: f64) -> String {
    let decimals = match v {
        v if v < 10.0 => 2,
        v if v < 100.0 => 1,
        _ => 0,
    };
    format!("{}ms", number(v, decimals))
}

fn percent(v: f64) -> String {
    format!("{}%", number(v * 100.0, 3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_drop_trailing_zeros_but_keep_integers() {
        assert_eq!(number(7.3, 3), "7.3");
        assert_eq!(number(10.0, 3), "10");
        assert_eq!(number(120.0, 0), "120");
        assert_eq!(percent(0.083), "8.3%");
        assert_eq!(percent(0.857143), "85.714%");
        assert_eq!(signed_seconds(-1.5), "-1.5s");
        assert_eq!(ms(5.023), "5.02ms");
        assert_eq!(ms(20.095), "20.1ms");
        assert_eq!(ms(481.279), "481ms");
    }

    #[test]
    fn the_rto_equation_subtracts_a_recovery_before_activation() {
        let parts = |rest_s| RtoParts {
            detection_s: Some(2.0),
            activation_s: Some(4.0),
            rest_s,
        };
        assert_eq!(
            rto_equation(12.5, &parts(Some(6.5))),
            "12.5s = detection 2s + activation 4s + rest 6.5s"
        );
        assert_eq!(
            rto_equation(3.25, &parts(Some(-2.75))),
            "3.25s = detection 2s + activation 4s - 2.75s (recovered before activation)"
        );
        // Less than a bucket below zero: the recovery's bucket held the activation.
        assert_eq!(
            rto_equation(5.96, &parts(Some(-0.04))),
            "5.96s = detection 2s + activation 4s - 0.04s (recovered in the 100 ms of the activation)"
        );
        assert_eq!(rto_equation(1.5, &RtoParts::default()), "1.5s");
        // No detection: the parts still add up to the RTO.
        let undetected = RtoParts {
            rest_s: Some(0.039),
            ..RtoParts::default()
        };
        assert_eq!(
            rto_equation(7.4, &undetected),
            "7.4s = until activation (no detection seen) 7.361s + rest 0.039s"
        );
    }
}
