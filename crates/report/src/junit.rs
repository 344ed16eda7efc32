//! `junit.xml`: one test case per threshold, so any CI shows which objective failed.
//!
//! The layout is the one Jenkins, GitLab, GitHub Actions reporters, Azure DevOps and
//! `junitparser` read: `<testsuites>` holding one `<testsuite>` named
//! `faultline.<experiment>`, a `<testcase>` per verdict line (`name` is the objective
//! and its threshold, `classname` the suite), a `<failure>` with expected vs actual
//! for each missed objective, the run's facts as `<properties>` and the terminal
//! summary as `<system-out>`. No timestamp: the same summary gives the same bytes.

use std::fmt::Write as _;

use faultline_analyze::Summary;

use crate::text::{actual, escape, number};

/// Renders the JUnit XML of a run.
pub fn render_junit(summary: &Summary) -> String {
    let suite = format!("faultline.{}", summary.experiment);
    // A failed run whose objectives all held (an unsteady baseline) gets one more, failed,
    // test case: otherwise the CI's test view would show every test green.
    let unexplained = crate::findings::failed_without_objective(summary);
    let extra = usize::from(unexplained.is_some());
    let tests = summary.thresholds.len() + extra;
    let failures = summary.thresholds.iter().filter(|t| !t.passed).count() + extra;
    let time = number(summary.run.end_s, 3);
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        r#"<testsuites name="faultline" tests="{tests}" failures="{failures}" errors="0" time="{time}">"#
    );
    let _ = writeln!(
        out,
        r#"  <testsuite name="{}" tests="{tests}" failures="{failures}" errors="0" skipped="0" time="{time}">"#,
        escape(&suite)
    );
    out.push_str("    <properties>\n");
    let m = &summary.metrics;
    let opt = |v: Option<f64>| v.map_or("null".to_string(), |v| number(v, 6));
    let properties = [
        ("experiment", summary.experiment.clone()),
        ("engine", summary.engine.clone()),
        ("seed", summary.seed.to_string()),
        ("passed", summary.passed.to_string()),
        ("run_status", summary.run.status.clone()),
        ("t_fault_s", opt(m.t_fault_s)),
        ("ttd_s", opt(m.ttd_s)),
        ("tta_s", opt(m.tta_s)),
        ("rto_s", opt(m.rto_s)),
        ("rpo_s", opt(m.rpo_s)),
        ("error_rate", opt(m.error_rate)),
        ("lost_writes", opt(m.lost_writes.map(|n| n as f64))),
    ];
    for (name, value) in properties {
        let _ = writeln!(
            out,
            r#"      <property name="{name}" value="{}"/>"#,
            escape(&value)
        );
    }
    out.push_str("    </properties>\n");
    for t in &summary.thresholds {
        let name = format!("{} {}", t.name, t.expected);
        let measured = actual(t.actual, &t.unit);
        let _ = write!(
            out,
            r#"    <testcase name="{}" classname="{}" time="0""#,
            escape(&name),
            escape(&suite)
        );
        if t.passed {
            out.push_str("/>\n");
            continue;
        }
        let message = match &t.reason {
            Some(reason) => format!("{}: expected {}, {reason}", t.name, t.expected),
            None => format!("{}: expected {}, measured {measured}", t.name, t.expected),
        };
        let _ = writeln!(
            out,
            ">\n      <failure message=\"{}\" type=\"threshold\">{}</failure>\n    </testcase>",
            escape(&message),
            escape(&format!(
                "objective: {}\nexpected: {}\nactual: {} ({})\n",
                t.name,
                t.expected,
                measured,
                t.actual.map_or("null".to_string(), |v| format!(
                    "{} {}",
                    number(v, 6),
                    t.unit
                ))
            ))
        );
    }
    if let Some(why) = unexplained {
        let name = "steady_state";
        let _ = writeln!(
            out,
            "    <testcase name=\"{name}\" classname=\"{}\" time=\"0\">\n      <failure message=\"{}\" type=\"verdict\">{}</failure>\n    </testcase>",
            escape(&suite),
            escape(&format!("{name}: {why}")),
            escape(&format!("the run failed with every objective met: {why}\n"))
        );
    }
    let _ = writeln!(
        out,
        "    <system-out>{}</system-out>",
        escape(&crate::terminal::render_terminal(
            summary,
            crate::terminal::TerminalStyle::Plain
        ))
    );
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}
