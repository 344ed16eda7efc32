//! An Alertmanager webhook receiver: each firing alert is recorded as an `alert`
//! marker (`alert:<alertname>`) and as the declared signal, so that a real alerting
//! pipeline can be the detect signal.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use faultline_record::MarkerKind;
use faultline_spec::{AlertWebhook, SignalKind};
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::error::{LiveError, LiveErrorKind};
use crate::sink::Sink;

/// The names of the firing alerts in an Alertmanager notification
/// (`{"alerts": [{"status": "firing", "labels": {"alertname": ...}}]}`).
pub fn firing_alerts(body: &[u8]) -> Vec<String> {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
        return Vec::new();
    };
    let Some(alerts) = value.get("alerts").and_then(|a| a.as_array()) else {
        return Vec::new();
    };
    alerts
        .iter()
        .filter(|a| a.get("status").and_then(|s| s.as_str()).unwrap_or("firing") == "firing")
        .filter_map(|a| {
            a.get("labels")
                .and_then(|l| l.get("alertname"))
                .and_then(|n| n.as_str())
                .map(str::to_string)
        })
        .collect()
}

/// Binds the receiver (before the run, so a taken port fails the preflight).
pub async fn bind(config: &AlertWebhook) -> Result<TcpListener, LiveError> {
    TcpListener::bind(&config.listen).await.map_err(|e| {
        LiveError::new(
            LiveErrorKind::Preflight,
            format!(
                "live.alert_webhook.listen: cannot listen on {}: {e}",
                config.listen
            ),
        )
    })
}

/// Serves notifications until the task is dropped.
pub async fn serve(listener: TcpListener, config: AlertWebhook, sink: Arc<Sink>) {
    let config = Arc::new(config);
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let sink = sink.clone();
        let config = config.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                let sink = sink.clone();
                let config = config.clone();
                async move {
                    let body = req
                        .into_body()
                        .collect()
                        .await
                        .map(|b| b.to_bytes())
                        .unwrap_or_default();
                    for name in firing_alerts(&body) {
                        if !config.alerts.is_empty() && !config.alerts.contains(&name) {
                            continue;
                        }
                        let source = format!("alert:{name}");
                        sink.mark(MarkerKind::Alert, &source, None, Some("webhook".into()));
                        let kind = match config.signal {
                            SignalKind::Detect => MarkerKind::Detect,
                            SignalKind::Activate => MarkerKind::Activate,
                        };
                        sink.mark(kind, &source, None, None);
                    }
                    Ok::<_, Infallible>(
                        Response::builder()
                            .status(StatusCode::OK)
                            .body(Full::new(Bytes::from_static(b"ok\n")))
                            .unwrap_or_default(),
                    )
                }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_firing_alerts_of_alertmanagers_shape_count() {
        let body = br#"{"version":"4","status":"firing","alerts":[
            {"status":"firing","labels":{"alertname":"RedisDown","severity":"page"}},
            {"status":"resolved","labels":{"alertname":"Old"}}]}"#;
        assert_eq!(firing_alerts(body), vec!["RedisDown".to_string()]);
        assert!(firing_alerts(b"not json").is_empty());
    }
}
