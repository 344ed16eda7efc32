//! The HTTP API, compatible with Toxiproxy v2: same endpoints, JSON shapes and status codes,
//! plus `GET /metrics` in Prometheus text format.
//!
//! | endpoint | answer |
//! |---|---|
//! | `GET /proxies` | 200, object of proxies by name |
//! | `POST /proxies` | 201 proxy; 409 if the name exists; 400 missing name/upstream or a malformed address; 500 if the listen address cannot be bound |
//! | `POST /populate` | 201 `{"proxies": [...]}` |
//! | `GET /proxies/{name}` | 200 proxy; 404 |
//! | `POST /proxies/{name}` | 200 proxy after update (`enabled`, `listen`, `upstream`) |
//! | `DELETE /proxies/{name}` | 204 |
//! | `GET /proxies/{name}/toxics` | 200, array of toxics |
//! | `POST /proxies/{name}/toxics` | 200 toxic (Toxiproxy answers 200 here, not 201); 409 if it exists |
//! | `GET /proxies/{name}/toxics/{toxic}` | 200 toxic |
//! | `POST /proxies/{name}/toxics/{toxic}` | 200 toxic after update (`toxicity`, `attributes`) |
//! | `DELETE /proxies/{name}/toxics/{toxic}` | 204 |
//! | `POST /reset` | 204 |
//! | `GET /version` | 200 `{"version": ...}` |
//! | `GET /metrics` | 200 Prometheus text |
//!
//! Errors are `{"error": "<message>", "status": <code>}` like Toxiproxy's.

use std::future::Future;
use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use tokio::net::TcpListener;

use crate::error::ProxyError;
use crate::proxy::ProxyConfig;
use crate::registry::ProxyRegistry;
use crate::toxic::ToxicConfig;

/// Toxiproxy's default API address; clients connect here unless told otherwise.
pub const DEFAULT_API_ADDR: &str = "127.0.0.1:8474";

/// The version reported by `GET /version`.
pub const VERSION: &str = concat!(
    "faultline-proxy ",
    env!("CARGO_PKG_VERSION"),
    " (toxiproxy api v2)"
);

impl IntoResponse for ProxyError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, axum::Json(self.to_json())).into_response()
    }
}

type ApiResult = Result<Response, ProxyError>;

fn json_response(status: StatusCode, value: Value) -> Response {
    (status, axum::Json(value)).into_response()
}

fn parse_body(body: &Bytes) -> Result<Value, ProxyError> {
    if body.is_empty() {
        return Ok(json!({}));
    }
    serde_json::from_slice(body)
        .map_err(|e| ProxyError::bad_request(format!("bad request body: {e}")))
}

/// The API's routes over a registry, for embedding in another server.
pub fn router(registry: ProxyRegistry) -> Router {
    Router::new()
        .route("/proxies", get(list_proxies).post(create_proxy))
        .route("/populate", axum::routing::post(populate))
        .route(
            "/proxies/{proxy}",
            get(get_proxy)
                .post(update_proxy)
                .patch(update_proxy)
                .delete(delete_proxy),
        )
        .route(
            "/proxies/{proxy}/toxics",
            get(list_toxics).post(create_toxic),
        )
        .route(
            "/proxies/{proxy}/toxics/{toxic}",
            get(get_toxic)
                .post(update_toxic)
                .patch(update_toxic)
                .delete(delete_toxic),
        )
        .route("/reset", axum::routing::post(reset))
        .route("/version", get(version))
        .route("/metrics", get(metrics))
        .fallback(not_found)
        .layer(axum::middleware::map_response(json_errors))
        .with_state(registry)
}

/// Makes every error answer a Toxiproxy JSON error, including the ones axum produces
/// itself (405 method not allowed, a path that does not decode, a body too large).
async fn json_errors(response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if is_json {
        return response;
    }
    let (_, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let message = if text.is_empty() {
        status.canonical_reason().unwrap_or("error").to_lowercase()
    } else {
        text
    };
    json_response(
        status,
        json!({ "error": message, "status": status.as_u16() }),
    )
}

/// Serves the API on `listen` until the process ends or an I/O error stops the server.
/// This is `faultline proxy --listen <addr>` (default [`DEFAULT_API_ADDR`]).
pub async fn serve_api(listen: SocketAddr, registry: ProxyRegistry) -> std::io::Result<()> {
    let listener = TcpListener::bind(listen).await?;
    serve_api_on(listener, registry, std::future::pending()).await
}

/// Serves the API on a bound listener until `shutdown` completes (for tests and embedding:
/// bind `127.0.0.1:0`, read `local_addr()`, then serve).
pub async fn serve_api_on(
    listener: TcpListener,
    registry: ProxyRegistry,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(registry))
        .with_graceful_shutdown(shutdown)
        .await
}

async fn not_found() -> ProxyError {
    ProxyError::new(
        crate::error::ErrorKind::NotFound,
        "not found: no such endpoint",
    )
}

async fn list_proxies(State(registry): State<ProxyRegistry>) -> ApiResult {
    let map: serde_json::Map<String, Value> = registry
        .list()
        .into_iter()
        .map(|p| (p.name().to_string(), p.to_json()))
        .collect();
    Ok(json_response(StatusCode::OK, Value::Object(map)))
}

/// Parses a proxy create request like Toxiproxy (enabled defaults to true).
fn proxy_config_from_json(value: &Value) -> Result<ProxyConfig, ProxyError> {
    let obj = value
        .as_object()
        .ok_or_else(|| ProxyError::bad_request("bad request body: expected a JSON object"))?;
    const FIELDS: &[&str] = &["name", "listen", "upstream", "enabled", "toxics"];
    if let Some(key) = obj.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(ProxyError::bad_request(format!(
            "unknown field {key:?} in proxy; valid fields: name, listen, upstream, enabled"
        )));
    }
    let text = |key: &str| -> Result<String, ProxyError> {
        match obj.get(key) {
            None | Some(Value::Null) => Ok(String::new()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(other) => Err(ProxyError::bad_request(format!(
                "field {key:?} must be a string, got {other}"
            ))),
        }
    };
    let enabled = match obj.get("enabled") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            return Err(ProxyError::bad_request(format!(
                "field \"enabled\" must be true or false, got {other}"
            )))
        }
    };
    let mut listen = text("listen")?;
    if listen.is_empty() {
        listen = "127.0.0.1:0".to_string();
    }
    let config = ProxyConfig {
        name: text("name")?,
        listen,
        upstream: text("upstream")?,
        enabled,
    };
    config.validate()?;
    Ok(config)
}

async fn create_proxy(State(registry): State<ProxyRegistry>, body: Bytes) -> ApiResult {
    let config = proxy_config_from_json(&parse_body(&body)?)?;
    let handle = registry.add_proxy(config)?;
    Ok(json_response(StatusCode::CREATED, handle.to_json()))
}

async fn populate(State(registry): State<ProxyRegistry>, body: Bytes) -> ApiResult {
    let value = parse_body(&body)?;
    // Toxiproxy takes an array; `{"proxies": [...]}` is accepted too.
    let items = match &value {
        Value::Array(items) => items.clone(),
        Value::Object(obj) => match obj.get("proxies") {
            Some(Value::Array(items)) => items.clone(),
            _ => {
                return Err(ProxyError::bad_request(
                    "bad request body: expected an array of proxies",
                ))
            }
        },
        _ => {
            return Err(ProxyError::bad_request(
                "bad request body: expected an array of proxies",
            ))
        }
    };
    let configs = items
        .iter()
        .enumerate()
        .map(|(i, v)| {
            proxy_config_from_json(v)
                .map_err(|e| ProxyError::new(e.kind(), format!("proxies[{i}]: {}", e.message())))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let handles = registry.populate(configs)?;
    let proxies: Vec<Value> = handles.iter().map(|h| h.to_json()).collect();
    Ok(json_response(
        StatusCode::CREATED,
        json!({ "proxies": proxies }),
    ))
}

async fn get_proxy(State(registry): State<ProxyRegistry>, Path(proxy): Path<String>) -> ApiResult {
    Ok(json_response(
        StatusCode::OK,
        registry.require(&proxy)?.to_json(),
    ))
}

async fn update_proxy(
    State(registry): State<ProxyRegistry>,
    Path(proxy): Path<String>,
    body: Bytes,
) -> ApiResult {
    let handle = registry.require(&proxy)?;
    let value = parse_body(&body)?;
    let obj = value
        .as_object()
        .ok_or_else(|| ProxyError::bad_request("bad request body: expected a JSON object"))?;
    let text = |key: &str| -> Result<Option<String>, ProxyError> {
        match obj.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(ProxyError::bad_request(format!(
                "field {key:?} must be a string, got {other}"
            ))),
        }
    };
    let enabled = match obj.get("enabled") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(other) => {
            return Err(ProxyError::bad_request(format!(
                "field \"enabled\" must be true or false, got {other}"
            )))
        }
    };
    handle.update(text("listen")?, text("upstream")?)?;
    if let Some(enabled) = enabled {
        handle.set_enabled(enabled)?;
    }
    Ok(json_response(StatusCode::OK, handle.to_json()))
}

async fn delete_proxy(
    State(registry): State<ProxyRegistry>,
    Path(proxy): Path<String>,
) -> ApiResult {
    registry.remove_proxy(&proxy)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn list_toxics(
    State(registry): State<ProxyRegistry>,
    Path(proxy): Path<String>,
) -> ApiResult {
    let toxics: Vec<Value> = registry
        .require(&proxy)?
        .toxics()
        .iter()
        .map(ToxicConfig::to_json)
        .collect();
    Ok(json_response(StatusCode::OK, Value::Array(toxics)))
}

async fn create_toxic(
    State(registry): State<ProxyRegistry>,
    Path(proxy): Path<String>,
    body: Bytes,
) -> ApiResult {
    let handle = registry.require(&proxy)?;
    let config = ToxicConfig::from_json(&parse_body(&body)?)?;
    let config = handle.add_toxic(config)?;
    Ok(json_response(StatusCode::OK, config.to_json()))
}

async fn get_toxic(
    State(registry): State<ProxyRegistry>,
    Path((proxy, toxic)): Path<(String, String)>,
) -> ApiResult {
    let handle = registry.require(&proxy)?;
    let config = handle
        .toxic(&toxic)
        .ok_or_else(|| ProxyError::toxic_not_found(&toxic))?;
    Ok(json_response(StatusCode::OK, config.to_json()))
}

async fn update_toxic(
    State(registry): State<ProxyRegistry>,
    Path((proxy, toxic)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let handle = registry.require(&proxy)?;
    let current = handle
        .toxic(&toxic)
        .ok_or_else(|| ProxyError::toxic_not_found(&toxic))?;
    let updated = current.updated(&parse_body(&body)?)?;
    let updated = handle.replace_toxic(updated)?;
    Ok(json_response(StatusCode::OK, updated.to_json()))
}

async fn delete_toxic(
    State(registry): State<ProxyRegistry>,
    Path((proxy, toxic)): Path<(String, String)>,
) -> ApiResult {
    registry.require(&proxy)?.remove_toxic(&toxic)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn reset(State(registry): State<ProxyRegistry>) -> ApiResult {
    registry.reset()?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn version() -> ApiResult {
    Ok(json_response(StatusCode::OK, json!({ "version": VERSION })))
}

async fn metrics(State(registry): State<ProxyRegistry>) -> ApiResult {
    let body = crate::metrics::render(&registry);
    Ok((
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response())
}
