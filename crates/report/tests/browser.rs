//! report.html opened in headless Chromium (Debian's `chromium`, driven by npm's
//! `playwright-core`): the charts and the diagram are rendered with a real size, no
//! script error occurs, nothing is fetched from the network, and a screenshot is saved
//! to `target/artifacts/report.png` for CI to keep.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use faultline_report::render_html;

/// Chromium, node and the modules folder, or `None` (skip) when one is missing.
fn browser() -> Option<(PathBuf, PathBuf, PathBuf)> {
    let chromium = std::env::var_os("FAULTLINE_CHROMIUM")
        .map(PathBuf::from)
        .or_else(|| common::on_path("chromium"));
    let node = common::on_path("node");
    // Where .ci/setup/report.sh puts playwright-core: the repository's target/ folder
    // (or the cargo target folder, when CARGO_TARGET_DIR moves it).
    let repo_target = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target");
    let node_modules = [repo_target, common::target_dir()]
        .into_iter()
        .map(|t| t.join("report-node/node_modules"))
        .find(|m| m.join("playwright-core/package.json").is_file())
        .unwrap_or_else(|| common::target_dir().join("report-node/node_modules"));
    let playwright = node_modules.join("playwright-core/package.json").is_file();
    if !common::external_available(chromium.is_some(), "Debian's `chromium`")
        || !common::external_available(node.is_some(), "`node`")
        || !common::external_available(playwright, "npm's `playwright-core` in target/report-node")
    {
        return None;
    }
    Some((chromium?, node?, node_modules))
}

/// Writes `html` to target/artifacts/`name`.html, opens it, saves `name`.png and
/// returns what the page reported.
fn open(name: &str, html: &str, ids: &[&str]) -> Option<serde_json::Value> {
    let (chromium, node, node_modules) = browser()?;
    let artifacts = common::target_dir().join("artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let html_path = artifacts.join(format!("{name}.html"));
    std::fs::write(&html_path, html).unwrap();
    let png = artifacts.join(format!("{name}.png"));
    let _ = std::fs::remove_file(&png);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/check_report.js");
    let (ok, stdout, stderr) = common::run_bounded(
        Command::new(node)
            .arg(&script)
            .arg(&html_path)
            .arg(&png)
            .arg(chromium)
            .arg(ids.join(","))
            .env("NODE_PATH", &node_modules),
        Duration::from_secs(60),
    );
    assert!(ok, "the browser check failed:\n{stdout}\n{stderr}");
    let size = std::fs::metadata(&png)
        .expect("a screenshot was saved")
        .len();
    assert!(
        size > 20_000,
        "the screenshot is suspiciously small ({size} bytes)"
    );
    Some(serde_json::from_str(stdout.trim()).expect("one JSON line"))
}

const REPORT_IDS: [&str; 7] = [
    "chart-overview",
    "chart-ribbon",
    "chart-throughput",
    "chart-errors",
    "chart-latency",
    "chart-writes",
    "diagram",
];

#[test]
fn the_report_renders_in_headless_chromium() {
    let (record, experiment, analysis) = common::demo();
    let html = render_html(&analysis, &record, &experiment);
    let Some(result) = open("report", &html, &REPORT_IDS) else {
        return;
    };
    assert_eq!(
        result["errors"],
        serde_json::json!([]),
        "console or page errors"
    );
    assert_eq!(
        result["requests"],
        serde_json::json!([]),
        "the page fetched something"
    );
    let elements = result["elements"].as_array().expect("elements");
    assert_eq!(elements.len(), 7);
    for e in elements {
        let (w, h, n) = (
            e["width"].as_f64().unwrap(),
            e["height"].as_f64().unwrap(),
            e["children"].as_u64().unwrap(),
        );
        assert!(
            w > 600.0 && h > 80.0,
            "{} is not drawn at a readable size: {w}x{h}",
            e["id"]
        );
        assert!(n >= 5, "{} has only {n} shapes", e["id"]);
    }
    assert!(
        result["scrollWidth"].as_f64().unwrap() <= 1366.0,
        "the page is wider than a laptop screen"
    );
}

#[test]
fn the_gap_and_multi_run_pages_render_in_headless_chromium() {
    let (_, _, analysis) = common::demo_with(common::Shape {
        end_s: 700,
        ..Default::default()
    });
    let sim = analysis.summary;
    let mut live = sim.clone();
    live.engine = "live".into();
    live.metrics.rto_s = Some(61.0);
    live.metrics.rto_parts.detection_s = Some(15.0);
    let gap = faultline_report::compare(&sim, &live);
    let pages = [
        (
            "gap",
            faultline_report::render_gap_html(&gap),
            vec!["chart-gap", "gap-table"],
        ),
        (
            "runs",
            faultline_report::render_multi(&[sim.clone(), live]),
            vec!["distributions", "runs"],
        ),
    ];
    for (name, html, ids) in pages {
        let Some(result) = open(name, &html, &ids) else {
            return;
        };
        assert_eq!(
            result["errors"],
            serde_json::json!([]),
            "{name}: page errors"
        );
        assert_eq!(
            result["requests"],
            serde_json::json!([]),
            "{name}: fetched something"
        );
        for e in result["elements"].as_array().unwrap() {
            assert!(
                e["width"].as_f64().unwrap() > 600.0 && e["height"].as_f64().unwrap() > 40.0,
                "{name}: {} not drawn: {e}",
                e["id"]
            );
        }
    }
}
