//! report.html opened in headless Chromium (Debian's `chromium`, driven by npm's
//! `playwright-core`): the charts and the diagram are rendered with a real size, no
//! script error occurs, nothing is fetched from the network, and a screenshot is saved
//! to `target/artifacts/report.png` for CI to keep.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use faultline_report::render_html;

#[test]
fn the_report_renders_in_headless_chromium() {
    let chromium = std::env::var_os("FAULTLINE_CHROMIUM")
        .map(std::path::PathBuf::from)
        .or_else(|| common::on_path("chromium"));
    let node = common::on_path("node");
    let node_modules = common::target_dir().join("report-node/node_modules");
    let playwright = node_modules.join("playwright-core/package.json").is_file();
    if !common::external_available(chromium.is_some(), "Debian's `chromium`")
        || !common::external_available(node.is_some(), "`node`")
        || !common::external_available(playwright, "npm's `playwright-core` in target/report-node")
    {
        return;
    }
    let (record, experiment, analysis) = common::demo();
    let artifacts = common::target_dir().join("artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let html_path = artifacts.join("report-browser.html");
    std::fs::write(&html_path, render_html(&analysis, &record, &experiment)).unwrap();
    let png = artifacts.join("report.png");
    let _ = std::fs::remove_file(&png);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/check_report.js");
    let (ok, stdout, stderr) = common::run_bounded(
        Command::new(node.unwrap())
            .arg(&script)
            .arg(&html_path)
            .arg(&png)
            .arg(chromium.unwrap())
            .env("NODE_PATH", &node_modules),
        Duration::from_secs(60),
    );
    assert!(ok, "the browser check failed:\n{stdout}\n{stderr}");
    let result: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one JSON line");
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
    let size = std::fs::metadata(&png)
        .expect("a screenshot was saved")
        .len();
    assert!(
        size > 50_000,
        "the screenshot is suspiciously small ({size} bytes)"
    );
}
