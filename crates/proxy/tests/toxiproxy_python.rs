//! The API driven by a real Toxiproxy client from outside the project: the
//! `toxiproxy-python` package from PyPI (installed by `.ci/setup/proxy.sh`).
//!
//! Fails when the client is missing and `CI` is set; skips with a message otherwise.

mod common;

use std::time::Duration;

use faultline_proxy::{serve_api_on, ProxyRegistry};
use tokio::net::TcpListener;
use tokio::process::Command;

/// Whether `python3` can import the client.
async fn client_available() -> bool {
    Command::new("python3")
        .args(["-c", "import toxiproxy"])
        .output()
        .await
        .map(|o| o.status.success())
        .unwrap_or(false)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn toxiproxy_python_client_drives_the_api_unchanged() {
    if !client_available().await {
        let msg = "python3 with the toxiproxy-python package is needed; run .ci/setup/proxy.sh";
        if std::env::var_os("CI").is_some() {
            panic!("{msg}");
        }
        eprintln!("SKIPPED toxiproxy_python_client_drives_the_api_unchanged: {msg}");
        return;
    }
    let echo = common::echo_server().await;
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind api");
    let api = listener.local_addr().expect("addr");
    let registry = ProxyRegistry::new();
    tokio::spawn(serve_api_on(listener, registry, std::future::pending()));

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/toxiproxy_client.py");
    let run = Command::new("python3")
        .arg(script)
        .arg(api.ip().to_string())
        .arg(api.port().to_string())
        .arg(echo.to_string())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("client script finishes within 60 s")
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "toxiproxy-python checks failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(stdout.contains("ok: "), "{stdout}");
    println!("{stdout}");
}
