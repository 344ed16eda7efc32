//! The architecture gap (prediction vs measurement) and multi-run distributions.

mod common;

use faultline_analyze::Summary;
use faultline_report::{
    compare, render_gap_html, render_gap_terminal, render_multi, render_multi_terminal,
};

/// The demo as a simulated prediction, and a "live" measurement in which detection
/// took 9 s longer and activation 2 s longer.
fn pair() -> (Summary, Summary) {
    let (_, _, analysis) = common::demo_with(common::Shape {
        end_s: 700,
        ..Default::default()
    });
    let sim = analysis.summary;
    let mut live = sim.clone();
    live.engine = "live".into();
    let m = &mut live.metrics;
    m.ttd_s = Some(12.0);
    m.tta_s = Some(24.0);
    m.rto_s = Some(59.1);
    m.rto_parts.detection_s = Some(12.0);
    m.rto_parts.activation_s = Some(12.0);
    m.rto_parts.rest_s = Some(35.1);
    m.lost_writes = Some(120);
    for t in &mut live.thresholds {
        if t.name == "ttd" {
            t.actual = Some(12.0);
            t.passed = false;
        }
    }
    live.passed = false;
    (sim, live)
}

#[test]
fn the_gap_names_the_part_that_explains_it() {
    let (sim, live) = pair();
    let gap = compare(&sim, &live);
    let rto = gap.metrics.iter().find(|g| g.name == "rto_s").unwrap();
    assert_eq!(
        (rto.predicted, rto.measured, rto.difference),
        (Some(47.1), Some(59.1), Some(12.0))
    );
    let detection = gap
        .rto_parts
        .iter()
        .find(|g| g.name == "detection_s")
        .unwrap();
    assert_eq!(detection.difference, Some(9.0));
    let first = &gap.explanation[0];
    assert!(
        first.contains("12s longer than the design predicts (47.1s)"),
        "{first}"
    );
    assert!(
        first.contains("Detection explains 75% of the gap"),
        "{first}"
    );
    assert!(gap
        .explanation
        .iter()
        .any(|e| e.contains("Objective `ttd` (<= 5s) holds in the design but failed live")));
    common::check_snapshot("gap.txt", &render_gap_terminal(&gap));
    let json: serde_json::Value = serde_json::from_str(&gap.to_json()).unwrap();
    assert_eq!(json["gap_version"], 1);
    assert_eq!(json["metrics"][2]["name"], "rto_s");
    assert_eq!(json["metrics"][2]["difference"], 12.0);
    let html = render_gap_html(&gap);
    assert!(html.contains("id=\"gap-table\"") && html.contains("id=\"chart-gap\""));
    assert!(!html.contains("<script"));
}

#[test]
fn identical_runs_have_no_gap() {
    let (sim, _) = pair();
    let mut live = sim.clone();
    live.engine = "live".into();
    let gap = compare(&sim, &live);
    assert!(gap
        .metrics
        .iter()
        .all(|g| g.difference.is_none_or(|d| d == 0.0)));
    assert_eq!(
        gap.explanation,
        ["The live measurement matches the prediction on every metric compared."]
    );
}

#[test]
fn runs_of_other_engines_than_a_prediction_and_a_measurement_are_named() {
    let (sim, live) = pair();
    let swapped = compare(&live, &sim);
    assert_eq!(
        swapped.explanation[0],
        "The first run is live and the second simulated: the gap reads the first as the \
         prediction (a simulated run) and the second as the measurement (a live run): swap \
         the two folders."
    );
    let two_predictions = compare(&sim, &sim);
    assert_eq!(
        two_predictions.explanation,
        [
            "The first run is simulated and the second simulated: the gap reads the first as \
             the prediction (a simulated run) and the second as the measurement (a live run).",
            "The live measurement matches the prediction on every metric compared."
        ]
    );
}

#[test]
fn several_runs_show_each_metric_as_a_distribution() {
    let (sim, _) = pair();
    let runs: Vec<Summary> = [40.0, 47.0, 45.0, 90.0, 44.0]
        .iter()
        .enumerate()
        .map(|(i, rto)| {
            let mut s = sim.clone();
            s.seed = i as u64 + 1;
            s.metrics.rto_s = Some(*rto);
            s
        })
        .collect();
    let d = faultline_report::multi::distributions(&runs);
    let rto = d.iter().find(|d| d.metric == "rto_s").unwrap();
    assert_eq!(
        (rto.min, rto.median, rto.p90, rto.max),
        (Some(40.0), Some(45.0), Some(90.0), Some(90.0))
    );
    assert_eq!(rto.n, 5);
    assert_eq!(rto.seeds, [1, 2, 3, 4, 5]);
    let text = render_multi_terminal(&runs);
    assert!(
        text.contains("5 runs of orders-active-passive — 0 passed, 5 failed"),
        "{text}"
    );
    assert!(
        text.contains("error_rate           <= 5%        0/5"),
        "{text}"
    );
    assert!(
        text.ends_with("\nMissed an objective: seeds 1, 2, 3, 4 and 5\n"),
        "the runs to replay: {text}"
    );
    // A name longer than the column's least width widens it: the counts stay aligned.
    let mut long_name = runs.clone();
    for s in &mut long_name {
        s.thresholds[0].name = "alert:redundancy-breached-in-the-west".into();
    }
    let text = render_multi_terminal(&long_name);
    let rows: Vec<&str> = text
        .lines()
        .skip_while(|l| *l != "Objectives held")
        .skip(1)
        .take_while(|l| !l.is_empty())
        .collect();
    let count_at: Vec<Option<usize>> = rows.iter().map(|r| r.rfind(' ')).collect();
    assert!(rows.len() > 1, "{text}");
    assert!(count_at.windows(2).all(|w| w[0] == w[1]), "{text}");
    let mut one_missed = runs.clone();
    for (i, s) in one_missed.iter_mut().enumerate() {
        s.passed = i != 3;
    }
    assert!(render_multi_terminal(&one_missed).ends_with("\nMissed an objective: seed 4\n"));
    let mut two_experiments = runs.clone();
    two_experiments.truncate(2);
    two_experiments[1].experiment = "other".into();
    assert!(render_multi_terminal(&two_experiments)
        .ends_with("\nMissed an objective: orders-active-passive seed 1 and other seed 2\n"));
    let html = render_multi(&runs);
    assert_eq!(
        html.matches("<svg class=\"strip\"").count(),
        d.iter().filter(|d| d.n > 0).count()
    );
    assert_eq!(
        html.matches("<circle").count(),
        d.iter().map(|d| d.n).sum::<usize>()
    );
}
