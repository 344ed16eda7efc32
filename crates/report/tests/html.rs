//! report.html from hand-built records: what a reader must find on the page.

mod common;

use common::{demo, demo_with, Shape};
use faultline_report::render_html;

#[test]
fn the_report_shows_verdict_figures_charts_diagram_and_the_experiment() {
    let (record, experiment, analysis) = demo();
    let m = &analysis.summary.metrics;
    // The fixture's known figures, so the assertions below check the real thing.
    assert_eq!(m.t_fault_s, Some(630.0));
    assert_eq!(m.ttd_s, Some(3.0));
    assert_eq!(m.tta_s, Some(13.0));
    assert_eq!(m.rto_s, Some(47.1));
    assert_eq!(m.rpo_s, Some(0.78));
    let html = render_html(&analysis, &record, &experiment);
    std::fs::create_dir_all(common::target_dir().join("artifacts")).unwrap();
    std::fs::write(common::target_dir().join("artifacts/report.html"), &html).unwrap();

    for id in [
        "verdict-badge",
        "story",
        "verdict",
        "figures",
        "findings",
        "chart-overview",
        "chart-ribbon",
        "chart-throughput",
        "chart-errors",
        "chart-latency",
        "chart-writes",
        "diagram",
        "blast",
        "integrity",
        "events",
        "experiment",
    ] {
        assert!(html.contains(&format!("id=\"{id}\"")), "no element #{id}");
    }
    assert!(
        html.contains(">FAILED<"),
        "the example misses its RTO objective"
    );
    assert!(html.contains("RTO 47.1s"), "RTO annotated");
    assert!(html.contains("TTD 3s"), "TTD annotated");
    assert!(html.contains("TTA 13s"), "TTA annotated");
    assert!(html.contains("RPO 780ms"), "RPO annotated");
    assert!(
        html.contains("class=\"lost-tick\""),
        "lost writes drawn on the timeline"
    );
    assert!(html.contains("b-lost"), "lost writes charted");
    // The failover controller's settings explain detection.
    assert!(
        html.contains("3 failed checks at a 1s interval"),
        "detection finding"
    );
    // The faulted database is marked, and the service that calls it is in the blast radius.
    assert!(
        html.contains(r#"faulted" data-name="db""#),
        "db marked as faulted"
    );
    assert!(
        html.contains("<code>db</code> ← <code>api</code>") || html.contains("path from the fault")
    );
    // The experiment file is at the end, escaped.
    assert!(html.contains("name: orders-active-passive"));
    assert!(html.contains("rto: &quot;&lt;= 60s&quot;"));
    // Self-contained: nothing is loaded from anywhere, and no script.
    assert!(!html.contains("<script"), "no script needed");
    assert!(!html.contains("src=\"http"), "no external resources");
    assert!(!html.contains("href=\"http"), "no external links");
    assert!(!html.contains("@import"), "no external CSS");
}

#[test]
fn a_run_without_a_fault_renders_without_fault_annotations() {
    let (record, experiment, analysis) = demo_with(Shape {
        fault: false,
        end_s: 120,
        ..Shape::default()
    });
    let html = render_html(&analysis, &record, &experiment);
    assert!(html.contains("No fault was injected"));
    assert!(!html.contains("chart-ribbon"), "nothing to annotate");
    assert!(html.contains("id=\"chart-throughput\""));
}

#[test]
fn a_run_that_never_recovers_says_so_on_the_timeline() {
    let (record, experiment, analysis) = demo_with(Shape {
        recovers: false,
        ..Shape::default()
    });
    assert_eq!(analysis.summary.metrics.recovered, Some(false));
    let html = render_html(&analysis, &record, &experiment);
    assert!(
        html.contains("not recovered within 6m00s"),
        "ribbon and findings say it"
    );
    assert!(html.contains("Not recovered: no 10-second window"));
}

#[test]
fn the_same_inputs_give_the_same_bytes() {
    let (record, experiment, analysis) = demo_with(Shape {
        end_s: 700,
        ..Shape::default()
    });
    assert_eq!(
        render_html(&analysis, &record, &experiment),
        render_html(&analysis, &record, &experiment)
    );
}

#[test]
fn an_empty_crashed_record_still_renders_every_section() {
    let mut record = common::record(Shape {
        fault: false,
        end_s: 1,
        ..Shape::default()
    });
    record.buckets.clear();
    record.ledger.clear();
    record.final_state.clear();
    record.meta.status = faultline_record::RunStatus::Running;
    record.meta.end_us = None;
    let experiment = common::experiment();
    let analysis = faultline_analyze::analyze(&record, &experiment);
    let html = render_html(&analysis, &record, &experiment);
    for id in [
        "verdict",
        "findings",
        "chart-throughput",
        "diagram",
        "experiment",
    ] {
        assert!(html.contains(&format!("id=\"{id}\"")), "no element #{id}");
    }
    assert!(
        html.contains("crashed or is still going"),
        "the analyzer's note is shown"
    );
    let md = faultline_report::render_markdown(&analysis.summary, &experiment);
    assert!(md.contains("FAILED"));
}

#[test]
fn the_story_agrees_with_the_number_of_objectives() {
    use faultline_report::findings::headline;
    let (_, experiment, analysis) = demo();
    let all = analysis.summary.thresholds.clone();
    let missed: Vec<_> = all.iter().filter(|t| !t.passed).cloned().collect();
    let held: Vec<_> = all.iter().filter(|t| t.passed).cloned().collect();
    assert!(
        !missed.is_empty() && held.len() >= 2,
        "the demo holds some and misses some"
    );
    let mut summary = analysis.summary.clone();
    let story = headline(&summary, &experiment);
    assert!(
        story.starts_with(&format!(
            "{} of {} objectives missed",
            missed.len(),
            all.len()
        )),
        "{story}"
    );
    summary.thresholds = vec![missed[0].clone()];
    let story = headline(&summary, &experiment);
    assert!(
        story.starts_with(&format!("The objective was missed ({}).", missed[0].name)),
        "{story}"
    );
    summary.thresholds = vec![held[0].clone()];
    let story = headline(&summary, &experiment);
    assert!(story.starts_with("The objective held."), "{story}");
    summary.thresholds = held[..2].to_vec();
    let story = headline(&summary, &experiment);
    assert!(story.starts_with("All 2 objectives held."), "{story}");
}

/// Regression: the `errors` card stayed white when `error_rate` failed (cards matched
/// objectives by their title), and `lost writes` when `split_brain_writes` failed.
#[test]
fn the_card_of_a_missed_objective_is_red() {
    let (record, experiment, analysis) = demo();
    assert!(
        analysis
            .summary
            .thresholds
            .iter()
            .any(|t| t.name == "error_rate" && !t.passed),
        "the demo misses error_rate"
    );
    let html = faultline_report::render_html(&analysis, &record, &experiment);
    assert!(
        html.contains(r#"<div class="card bad"><div class="c-name">errors</div>"#),
        "errors card not red"
    );
    let mut analysis = analysis;
    let line = &mut analysis.summary.thresholds[0];
    line.name = "split_brain_writes".to_string();
    line.passed = false;
    let html = faultline_report::render_html(&analysis, &record, &experiment);
    assert!(html.contains(r#"<div class="card bad"><div class="c-name">lost writes</div>"#));
}
