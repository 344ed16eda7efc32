//! CI outputs: the Markdown summary and JUnit XML (snapshots — the terminal summary has
//! its own in tests/terminal.rs — and JUnit read by a real consumer, `junitparser`,
//! after validation against tests/junit/junit.xsd).

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use faultline_report::{render_junit, render_markdown};

#[test]
fn markdown_summary_snapshot() {
    let (_, experiment, analysis) = common::demo();
    common::check_snapshot("demo.md", &render_markdown(&analysis.summary, &experiment));
}

#[test]
fn markdown_summary_of_a_run_without_fault_snapshot() {
    let (_, experiment, analysis) = common::demo_with(common::Shape {
        fault: false,
        end_s: 120,
        ..Default::default()
    });
    common::check_snapshot(
        "no-fault.md",
        &render_markdown(&analysis.summary, &experiment),
    );
}

#[test]
fn junit_snapshot_has_one_case_per_threshold() {
    let (_, _, analysis) = common::demo();
    let xml = render_junit(&analysis.summary);
    assert_eq!(
        xml.matches("<testcase ").count(),
        analysis.summary.thresholds.len()
    );
    assert_eq!(
        xml.matches("<failure ").count(),
        1,
        "only error_rate is missed"
    );
    // The terminal summary inside <system-out> has its own snapshots (tests/terminal.rs).
    let start = xml.find("<system-out>").unwrap() + "<system-out>".len();
    let end = xml.find("</system-out>").unwrap();
    assert!(xml[start..end].starts_with("faultline: orders-active-passive"));
    let stable = format!("{}…{}", &xml[..start], &xml[end..]);
    common::check_snapshot("demo-junit.xml", &stable);
}

#[test]
fn junit_is_valid_and_read_by_junitparser() {
    let python = common::on_path("python3");
    if !common::external_available(python.is_some(), "`python3`") {
        return;
    }
    let has_modules = Command::new(python.as_ref().unwrap())
        .args(["-c", "import junitparser, lxml"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !common::external_available(has_modules, "PyPI's `junitparser` and `lxml`") {
        return;
    }
    let (_, _, analysis) = common::demo();
    let artifacts = common::target_dir().join("artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let path = artifacts.join("junit.xml");
    std::fs::write(&path, render_junit(&analysis.summary)).unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/junit");
    let (ok, stdout, stderr) = common::run_bounded(
        Command::new(python.unwrap())
            .arg(dir.join("check_junit.py"))
            .arg(&path)
            .arg(dir.join("junit.xsd")),
        Duration::from_secs(30),
    );
    assert!(ok, "check_junit.py failed:\n{stdout}\n{stderr}");
    let seen: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(
        seen["valid"], true,
        "schema errors: {}",
        seen["schema_errors"]
    );
    let suite = &seen["suites"][0];
    assert_eq!(suite["name"], "faultline.orders-active-passive");
    assert_eq!(suite["tests"], analysis.summary.thresholds.len());
    assert_eq!(suite["failures"], 1);
    let cases = suite["cases"].as_array().unwrap();
    for (case, line) in cases.iter().zip(&analysis.summary.thresholds) {
        assert_eq!(case["name"], format!("{} {}", line.name, line.expected));
        assert_eq!(case["passed"], line.passed, "{}", line.name);
    }
    let failed = cases.iter().find(|c| c["passed"] == false).unwrap();
    assert_eq!(
        failed["failure_message"],
        "error_rate: expected <= 5%, measured 53.2%"
    );
}

#[test]
fn junit_escapes_what_it_quotes() {
    let (_, _, mut analysis) = common::demo_with(common::Shape {
        end_s: 700,
        ..Default::default()
    });
    analysis.summary.experiment = "a<b>&\"c\"".to_string();
    let xml = render_junit(&analysis.summary);
    assert!(xml.contains("name=\"faultline.a&lt;b&gt;&amp;&quot;c&quot;\""));
}

/// Regression: a run failed by an unsteady baseline, with every objective met, wrote a
/// JUnit file with no failed test, so the CI showed it green.
#[test]
fn junit_fails_a_run_whose_baseline_was_not_steady() {
    let (_, experiment, mut analysis) = common::demo();
    let s = &mut analysis.summary;
    s.thresholds.retain(|t| t.passed);
    assert!(!s.thresholds.is_empty(), "the demo meets some objectives");
    s.passed = false;
    s.metrics.baseline.steady = Some(false);
    s.metrics.baseline.steady_reason = Some("12 of 60 seconds swung".to_string());
    let xml = render_junit(s);
    let tests = s.thresholds.len() + 1;
    assert!(
        xml.contains(&format!(r#"tests="{tests}" failures="1""#)),
        "{xml}"
    );
    assert!(xml.contains(r#"<testcase name="steady_state""#), "{xml}");
    assert!(xml.contains("the baseline was not steady: 12 of 60 seconds swung"));
    // The Markdown says why a run whose objectives held failed.
    let md = render_markdown(s, &experiment);
    assert!(
        md.contains("but the run failed: the baseline was not steady: 12 of 60 seconds swung"),
        "{md}"
    );
    // A passed run gets no such test case.
    s.passed = true;
    s.metrics.baseline.steady = Some(true);
    assert!(!render_junit(s).contains("steady_state"));
}

/// Regression: names from the experiment file broke the Markdown: `\|` showed its
/// backslash in the heading, a backtick ended a code span early, and `<i>` in an
/// objective's name became markup in the story.
#[test]
fn markdown_shows_odd_names_verbatim() {
    let (_, experiment, mut analysis) = common::demo();
    let s = &mut analysis.summary;
    s.experiment = "a|b `c` <b>x</b>".to_string();
    let failed = s
        .thresholds
        .iter_mut()
        .find(|t| !t.passed)
        .expect("the demo misses an objective");
    failed.name = "alert:<i>`x`|y".to_string();
    let md = render_markdown(s, &experiment);
    let heading = md.lines().next().unwrap();
    assert_eq!(heading, "### ❌ faultline: ``a|b `c` <b>x</b>`` FAILED");
    assert!(
        md.contains("| ``alert:<i>`x`\\|y`` |"),
        "the table cell is one code span with its pipe escaped:\n{md}"
    );
    let story = md.lines().nth(2).unwrap();
    assert!(story.contains("alert:\\<i>\\`x\\`|y"), "{story}");
    let finding = md
        .lines()
        .find(|l| l.starts_with("- Objective"))
        .expect("a finding for the missed objective");
    assert!(
        finding.starts_with("- Objective `alert:<i>ˋxˋ|y` missed"),
        "{finding}"
    );
}
