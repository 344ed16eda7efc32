//! The Toxiproxy-compatible HTTP API: endpoints, JSON shapes, status codes and errors,
//! driven over a real socket.

mod common;

use std::net::SocketAddr;

use common::*;
use faultline_proxy::{serve_api_on, ProxyRegistry};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{timeout, Duration};

/// Starts the API on a free port; it stops with the test's runtime.
async fn start_api() -> (SocketAddr, ProxyRegistry) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind api");
    let addr = listener.local_addr().expect("addr");
    let registry = ProxyRegistry::new();
    let reg = registry.clone();
    tokio::spawn(async move {
        let _ = serve_api_on(listener, reg, std::future::pending()).await;
    });
    (addr, registry)
}

/// One HTTP/1.1 request with `Connection: close`; returns status and body.
async fn http(api: SocketAddr, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
    let mut sock = TcpStream::connect(api).await.expect("connect api");
    let body = body.unwrap_or("");
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    sock.write_all(req.as_bytes()).await.expect("send");
    let mut resp = Vec::new();
    timeout(IO_TIMEOUT, sock.read_to_end(&mut resp))
        .await
        .expect("answer in time")
        .expect("read");
    let text = String::from_utf8_lossy(&resp).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_string()
    };
    (status, body)
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        body = rest[n..].trim_start_matches("\r\n");
    }
    out
}

fn parse(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_lifecycle_matches_toxiproxy() {
    let echo = echo_server().await;
    let (api, _registry) = start_api().await;
    let create =
        json!({"name": "redis", "listen": "127.0.0.1:0", "upstream": echo.to_string()}).to_string();
    let (status, body) = http(api, "POST", "/proxies", Some(&create)).await;
    assert_eq!(status, 201, "{body}");
    let proxy = parse(&body);
    assert_eq!(proxy["name"], "redis");
    assert_eq!(proxy["enabled"], true);
    assert_eq!(proxy["toxics"], json!([]));
    let listen: SocketAddr = proxy["listen"]
        .as_str()
        .expect("listen")
        .parse()
        .expect("resolved address");
    assert_ne!(listen.port(), 0);

    let (status, body) = http(api, "POST", "/proxies", Some(&create)).await;
    assert_eq!(status, 409);
    assert_eq!(parse(&body)["status"], 409);

    let (status, body) = http(api, "GET", "/proxies", None).await;
    assert_eq!(status, 200);
    assert_eq!(parse(&body)["redis"]["upstream"], echo.to_string());

    // Traffic flows through the proxy the API created.
    let mut sock = connect(listen).await.expect("connect");
    round_trip(&mut sock, b"hi", IO_TIMEOUT)
        .await
        .expect("echo");

    // A new upstream applies to new connections.
    let echo2 = echo_server().await;
    let update = json!({"upstream": echo2.to_string()}).to_string();
    let (status, body) = http(api, "POST", "/proxies/redis", Some(&update)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(parse(&body)["upstream"], echo2.to_string());
    assert_eq!(
        parse(&body)["listen"],
        listen.to_string(),
        "listen address kept"
    );
    let mut sock = connect(listen).await.expect("connect");
    round_trip(&mut sock, b"again", IO_TIMEOUT)
        .await
        .expect("echo");

    let (status, body) = http(api, "POST", "/proxies/redis", Some(r#"{"enabled": false}"#)).await;
    assert_eq!(status, 200);
    assert_eq!(parse(&body)["enabled"], false);
    assert!(
        TcpStream::connect(listen).await.is_err(),
        "disabled proxy refuses"
    );

    let (status, _) = http(api, "POST", "/reset", None).await;
    assert_eq!(status, 204);
    let (_, body) = http(api, "GET", "/proxies/redis", None).await;
    assert_eq!(parse(&body)["enabled"], true);

    let (status, body) = http(api, "DELETE", "/proxies/redis", None).await;
    assert_eq!(status, 204, "{body}");
    let (status, body) = http(api, "GET", "/proxies/redis", None).await;
    assert_eq!(status, 404);
    assert_eq!(parse(&body)["status"], 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn toxic_lifecycle_matches_toxiproxy() {
    let echo = echo_server().await;
    let (api, _registry) = start_api().await;
    let create =
        json!({"name": "db", "listen": "127.0.0.1:0", "upstream": echo.to_string()}).to_string();
    assert_eq!(http(api, "POST", "/proxies", Some(&create)).await.0, 201);

    let toxic = r#"{"type": "latency", "attributes": {"latency": 50, "jitter": 5}}"#;
    let (status, body) = http(api, "POST", "/proxies/db/toxics", Some(toxic)).await;
    assert_eq!(
        status, 200,
        "Toxiproxy answers 200 to a toxic create: {body}"
    );
    let created = parse(&body);
    assert_eq!(
        created,
        json!({"name": "latency_downstream", "type": "latency", "stream": "downstream",
               "toxicity": 1.0, "attributes": {"latency": 50, "jitter": 5}})
    );
    let (status, _) = http(api, "POST", "/proxies/db/toxics", Some(toxic)).await;
    assert_eq!(status, 409);

    let (status, body) = http(api, "GET", "/proxies/db/toxics", None).await;
    assert_eq!(status, 200);
    assert_eq!(parse(&body).as_array().map(Vec::len), Some(1));

    let update = r#"{"attributes": {"latency": 75}, "toxicity": 0.5}"#;
    let (status, body) = http(
        api,
        "POST",
        "/proxies/db/toxics/latency_downstream",
        Some(update),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let updated = parse(&body);
    assert_eq!(updated["attributes"], json!({"latency": 75, "jitter": 5}));
    assert_eq!(updated["toxicity"], 0.5);

    let (status, body) = http(api, "GET", "/proxies/db/toxics/latency_downstream", None).await;
    assert_eq!(status, 200);
    assert_eq!(parse(&body)["attributes"]["latency"], 75);

    let (_, body) = http(api, "GET", "/proxies/db", None).await;
    assert_eq!(parse(&body)["toxics"][0]["name"], "latency_downstream");

    let (status, _) = http(api, "DELETE", "/proxies/db/toxics/latency_downstream", None).await;
    assert_eq!(status, 204);
    let (status, _) = http(api, "DELETE", "/proxies/db/toxics/latency_downstream", None).await;
    assert_eq!(status, 404);

    // The extra toxics are created the same way.
    for extra in [
        r#"{"type": "blackhole", "stream": "upstream"}"#,
        r#"{"type": "loss", "attributes": {"probability": 0.1}}"#,
        r#"{"type": "flap", "attributes": {"down": 1000, "up": 2000}}"#,
        r#"{"type": "http_status", "attributes": {"status": 503, "first_n": 3}}"#,
    ] {
        let (status, body) = http(api, "POST", "/proxies/db/toxics", Some(extra)).await;
        assert_eq!(status, 200, "{extra}: {body}");
    }
    let (_, body) = http(api, "GET", "/proxies/db/toxics", None).await;
    let names: Vec<String> = parse(&body)
        .as_array()
        .expect("array")
        .iter()
        .map(|t| t["name"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(
        names,
        [
            "blackhole_upstream",
            "loss_downstream",
            "flap_downstream",
            "http_status_upstream"
        ]
    );
    assert_eq!(http(api, "POST", "/reset", None).await.0, 204);
    let (_, body) = http(api, "GET", "/proxies/db/toxics", None).await;
    assert_eq!(parse(&body), json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_toxiproxy_errors_never_a_crash() {
    let (api, _registry) = start_api().await;
    let cases: &[(&str, &str, Option<&str>, u16)] = &[
        ("POST", "/proxies", Some("{not json"), 400),
        (
            "POST",
            "/proxies",
            Some(r#"{"upstream": "127.0.0.1:1"}"#),
            400,
        ),
        ("POST", "/proxies", Some(r#"{"name": "x"}"#), 400),
        (
            "POST",
            "/proxies",
            Some(r#"{"name": 5, "upstream": "a:1"}"#),
            400,
        ),
        ("POST", "/proxies", Some("[1,2]"), 400),
        (
            "POST",
            "/proxies",
            Some(r#"{"name": "x", "upstream": "a:1", "listen": "127.0.0.1:99999"}"#),
            400,
        ),
        ("GET", "/proxies/nope", None, 404),
        ("DELETE", "/proxies/nope", None, 404),
        (
            "POST",
            "/proxies/nope/toxics",
            Some(r#"{"type": "latency"}"#),
            404,
        ),
        ("GET", "/proxies/nope/toxics/latency_downstream", None, 404),
        ("POST", "/populate", Some(r#"{"a": 1}"#), 400),
        ("POST", "/populate", Some(r#"[{"name": "p"}]"#), 400),
        ("GET", "/no/such/endpoint", None, 404),
        ("PUT", "/proxies", Some("{}"), 405),
        ("GET", "/proxies/%FF%FE", None, 400),
    ];
    for (method, path, body, want) in cases {
        let (status, text) = http(api, method, path, *body).await;
        assert_eq!(status, *want, "{method} {path} {body:?}: {text}");
        let value = parse(&text);
        assert_eq!(value["status"], *want, "{text}");
        assert!(
            value["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{text}"
        );
    }
    // Toxic errors on an existing proxy.
    let create = r#"{"name": "p", "listen": "127.0.0.1:0", "upstream": "127.0.0.1:1"}"#;
    assert_eq!(http(api, "POST", "/proxies", Some(create)).await.0, 201);
    for (body, want) in [
        (r#"{"type": "nope"}"#, 400),
        (r#"{"type": "latency", "stream": "sideways"}"#, 400),
        (
            r#"{"type": "latency", "attributes": {"latency": "slow"}}"#,
            400,
        ),
        (r#"{"type": "latency", "toxicity": 3}"#, 400),
        (r#"{"stream": "upstream"}"#, 400),
    ] {
        let (status, text) = http(api, "POST", "/proxies/p/toxics", Some(body)).await;
        assert_eq!(status, want, "{body}: {text}");
        assert_eq!(parse(&text)["status"], want);
    }
    let (status, _) = http(api, "POST", "/proxies/p/toxics/none", Some("{}")).await;
    assert_eq!(status, 404);
    // Still serving after all that.
    assert_eq!(http(api, "GET", "/version", None).await.0, 200);
}

/// Guards the status of address errors: a malformed `listen` or `upstream` is the client's
/// mistake (400; it was answered 500 "invalid socket address"), only a failed bind is 500.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_addresses_are_400_and_bind_failures_500() {
    let (api, _registry) = start_api().await;
    let malformed = [
        r#"{"name": "m", "listen": "nonsense", "upstream": "127.0.0.1:1"}"#,
        r#"{"name": "m", "listen": "127.0.0.1:99999", "upstream": "127.0.0.1:1"}"#,
        r#"{"name": "m", "listen": "127.0.0.1:0", "upstream": "nonsense"}"#,
        r#"{"name": "m", "listen": "127.0.0.1:0", "upstream": "127.0.0.1:"}"#,
    ];
    for body in malformed {
        let (status, text) = http(api, "POST", "/proxies", Some(body)).await;
        assert_eq!(status, 400, "{body}: {text}");
        assert_eq!(parse(&text)["status"], 400, "{text}");
        let populate = format!("[{body}]");
        let (status, text) = http(api, "POST", "/populate", Some(&populate)).await;
        assert_eq!(status, 400, "{populate}: {text}");
        assert!(text.contains("proxies[0]"), "{text}");
    }
    assert_eq!(http(api, "GET", "/proxies/m", None).await.0, 404);

    // Update: refused before the proxy stops, so it keeps running as it was.
    let create = r#"{"name": "p", "listen": "127.0.0.1:0", "upstream": "127.0.0.1:1"}"#;
    let (status, text) = http(api, "POST", "/proxies", Some(create)).await;
    assert_eq!(status, 201, "{text}");
    let before = parse(&text);
    for body in [r#"{"listen": "nonsense"}"#, r#"{"upstream": "nonsense"}"#] {
        let (status, text) = http(api, "POST", "/proxies/p", Some(body)).await;
        assert_eq!(status, 400, "{body}: {text}");
    }
    let (_, text) = http(api, "GET", "/proxies/p", None).await;
    let after = parse(&text);
    for field in ["listen", "upstream", "enabled"] {
        assert_eq!(after[field], before[field], "{field}: {text}");
    }

    // A well-formed address that cannot be bound is the server's failure: 500.
    let taken = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let taken_addr = taken.local_addr().expect("addr");
    let body = json!({"name": "q", "listen": taken_addr.to_string(), "upstream": "127.0.0.1:1"})
        .to_string();
    let (status, text) = http(api, "POST", "/proxies", Some(&body)).await;
    assert_eq!(status, 500, "{text}");
    assert_eq!(parse(&text)["status"], 500, "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn populate_creates_keeps_and_replaces() {
    let echo = echo_server().await;
    let (api, registry) = start_api().await;
    let body = json!([
        {"name": "a", "listen": "127.0.0.1:0", "upstream": echo.to_string()},
        {"name": "b", "listen": "127.0.0.1:0", "upstream": echo.to_string(), "enabled": false},
    ])
    .to_string();
    let (status, text) = http(api, "POST", "/populate", Some(&body)).await;
    assert_eq!(status, 201, "{text}");
    let value = parse(&text);
    assert_eq!(value["proxies"].as_array().map(Vec::len), Some(2));
    assert_eq!(value["proxies"][1]["enabled"], false);

    // Same config again: kept, with its toxics.
    let toxic = r#"{"type": "blackhole", "stream": "upstream"}"#;
    assert_eq!(
        http(api, "POST", "/proxies/a/toxics", Some(toxic)).await.0,
        200
    );
    let (status, _) = http(api, "POST", "/populate", Some(&body)).await;
    assert_eq!(status, 201);
    assert_eq!(registry.get("a").expect("a").toxics().len(), 1);

    // Changed upstream: replaced.
    let changed =
        json!([{"name": "a", "listen": "127.0.0.1:0", "upstream": "127.0.0.1:9"}]).to_string();
    let (status, text) = http(api, "POST", "/populate", Some(&changed)).await;
    assert_eq!(status, 201);
    assert_eq!(parse(&text)["proxies"][0]["upstream"], "127.0.0.1:9");
    assert!(registry.get("a").expect("a").toxics().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn version_and_metrics() {
    let echo = echo_server().await;
    let (api, _registry) = start_api().await;
    let (status, body) = http(api, "GET", "/version", None).await;
    assert_eq!(status, 200);
    assert!(parse(&body)["version"]
        .as_str()
        .is_some_and(|v| v.contains("faultline-proxy")));

    let create =
        json!({"name": "m", "listen": "127.0.0.1:0", "upstream": echo.to_string()}).to_string();
    let (_, text) = http(api, "POST", "/proxies", Some(&create)).await;
    let listen: SocketAddr = parse(&text)["listen"]
        .as_str()
        .expect("listen")
        .parse()
        .expect("addr");
    let mut sock = connect(listen).await.expect("connect");
    round_trip(&mut sock, b"12345", IO_TIMEOUT)
        .await
        .expect("echo");

    // A direction's byte counter is bumped just after its write, on that direction's
    // task: the peer can have read the bytes (the echo can even come back) before
    // the write is counted. So the scrape is repeated until both counted, briefly.
    let upstream_counted = "faultline_proxy_bytes_total{proxy=\"m\",direction=\"upstream\"} 5";
    let downstream_counted = "faultline_proxy_bytes_total{proxy=\"m\",direction=\"downstream\"} 5";
    let mut scrape = http(api, "GET", "/metrics", None).await;
    for _ in 0..100 {
        if scrape.1.contains(upstream_counted) && scrape.1.contains(downstream_counted) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        scrape = http(api, "GET", "/metrics", None).await;
    }
    let (status, body) = scrape;
    assert_eq!(status, 200);
    assert!(
        body.contains("faultline_proxy_connections_total{proxy=\"m\"} 1"),
        "{body}"
    );
    assert!(
        body.contains("faultline_proxy_connections_active{proxy=\"m\"} 1"),
        "{body}"
    );
    assert!(body.contains(upstream_counted), "{body}");
    assert!(body.contains(downstream_counted), "{body}");
}
