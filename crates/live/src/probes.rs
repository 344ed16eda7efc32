//! Probes sampled during the run (TCP, HTTP, SQL, Redis, Sentinel events, commands).
//! A state change is recorded as `probe_ok` / `probe_failed`; a probe declared as a
//! detect or activate signal also records `detect` / `activate` on its transition.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use faultline_record::MarkerKind;
use faultline_spec::{Probe, ProbeEdge};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::error::LiveError;
use crate::faults::command::CommandSpec;
use crate::sink::Sink;
use crate::target::{http::authority_of, postgres, redis as redis_target};

/// Default time between two samples.
pub const DEFAULT_EVERY: Duration = Duration::from_millis(100);

enum Check {
    Tcp(String),
    Http {
        authority: String,
        path: String,
    },
    Sql {
        config: Box<tokio_postgres::Config>,
        query: String,
    },
    Redis {
        url: String,
        argv: Vec<String>,
        expect: Option<String>,
    },
    SentinelEvent(Arc<AtomicBool>),
    Command(CommandSpec),
}

/// A probe ready to run.
pub struct ProbeRunner {
    name: String,
    component: Option<String>,
    every: Duration,
    timeout: Duration,
    check: Check,
    detect: Option<ProbeEdge>,
    activate: Option<ProbeEdge>,
    sentinel: Option<(String, String)>,
}

impl ProbeRunner {
    /// A runner for `live.probes.<name>`.
    pub fn new(name: &str, probe: &Probe) -> Result<Self, LiveError> {
        let what = format!("live.probes.{name}");
        let every = probe.every.map_or(DEFAULT_EVERY, |d| d.to_std());
        if every.is_zero() {
            return Err(LiveError::config(format!(
                "{what}.every: must be more than 0"
            )));
        }
        let timeout = probe.timeout.map_or(every, |d| d.to_std());
        let mut checks = Vec::new();
        let mut sentinel = None;
        if let Some(addr) = &probe.tcp {
            checks.push(Check::Tcp(addr.clone()));
        }
        if let Some(url) = &probe.http {
            let authority =
                authority_of(url).map_err(|e| LiveError::config(format!("{what}.http: {e}")))?;
            let path = url
                .trim_start_matches("http://")
                .find('/')
                .map_or("/".to_string(), |i| {
                    url.trim_start_matches("http://")[i..].to_string()
                });
            checks.push(Check::Http { authority, path });
        }
        if let Some(sql) = &probe.sql {
            let config = postgres::parse_config(&sql.url)
                .map_err(|e| LiveError::config(format!("{what}.sql.{e}")))?;
            checks.push(Check::Sql {
                config: Box::new(config),
                query: sql.query.clone(),
            });
        }
        if let Some(r) = &probe.redis {
            let argv = if r.command.is_empty() {
                vec!["PING".to_string()]
            } else {
                r.command.clone()
            };
            checks.push(Check::Redis {
                url: r.url.clone(),
                argv,
                expect: r.expect.clone(),
            });
        }
        if let Some(ev) = &probe.sentinel_event {
            sentinel = Some((ev.sentinel.clone(), ev.event.clone()));
            checks.push(Check::SentinelEvent(Arc::new(AtomicBool::new(false))));
        }
        if !probe.command.is_empty() {
            checks.push(Check::Command(CommandSpec {
                argv: probe.command.clone(),
                shell: false,
                timeout,
            }));
        }
        if checks.len() != 1 {
            return Err(LiveError::config(format!(
                "{what}: give exactly one of `tcp`, `http`, `sql`, `redis`, `sentinel_event` or `command` (found {})",
                checks.len()
            )));
        }
        Ok(Self {
            name: name.to_string(),
            component: probe.component.clone(),
            every,
            timeout,
            check: checks.remove(0),
            detect: probe.detect,
            activate: probe.activate,
            sentinel,
        })
    }

    /// Samples once: does the probe pass now?
    pub async fn sample(&self) -> bool {
        let check = async {
            match &self.check {
                Check::Tcp(addr) => TcpStream::connect(addr).await.is_ok(),
                Check::Http { authority, path } => http_get_ok(authority, path).await,
                Check::Sql { config, query } => sql_ok(config, query).await,
                Check::Redis { url, argv, expect } => {
                    redis_ok(url, argv, expect.as_deref(), self.timeout).await
                }
                Check::SentinelEvent(seen) => seen.load(Ordering::Acquire),
                Check::Command(c) => c.run().await.is_ok(),
            }
        };
        tokio::time::timeout(self.timeout, check)
            .await
            .unwrap_or(false)
    }

    /// Samples until the task is dropped, recording state changes and signals.
    pub async fn run(self, sink: Arc<Sink>) {
        if let (Check::SentinelEvent(seen), Some((addr, event))) = (&self.check, &self.sentinel) {
            tokio::spawn(watch_sentinel(addr.clone(), event.clone(), seen.clone()));
        }
        let source = format!("probe:{}", self.name);
        let mut state: Option<bool> = None;
        let mut ticker = tokio::time::interval(self.every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let ok = self.sample().await;
            sink.set_probe_state(&self.name, ok);
            if state == Some(ok) {
                continue;
            }
            let kind = if ok {
                MarkerKind::ProbeOk
            } else {
                MarkerKind::ProbeFailed
            };
            sink.mark(kind, &source, self.component.as_deref(), None);
            if state.is_some() {
                let edge = if ok {
                    ProbeEdge::Passes
                } else {
                    ProbeEdge::Fails
                };
                if self.detect == Some(edge) {
                    sink.mark(MarkerKind::Detect, &source, self.component.as_deref(), None);
                }
                if self.activate == Some(edge) {
                    sink.mark(
                        MarkerKind::Activate,
                        &source,
                        self.component.as_deref(),
                        None,
                    );
                }
            }
            state = Some(ok);
        }
    }
}

async fn http_get_ok(authority: &str, path: &str) -> bool {
    let Ok(mut stream) = TcpStream::connect(authority).await else {
        return false;
    };
    let request = format!("GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).await.is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    if stream.read_exact(&mut head).await.is_err() {
        return false;
    }
    // "HTTP/1.1 200"
    head.starts_with(b"HTTP/1.") && head[9] == b'2'
}

async fn sql_ok(config: &tokio_postgres::Config, query: &str) -> bool {
    let Ok(client) = postgres::connect(config).await else {
        return false;
    };
    match client.simple_query(query).await {
        Ok(messages) => {
            for m in messages {
                if let tokio_postgres::SimpleQueryMessage::Row(row) = m {
                    return !matches!(row.get(0), Some("f" | "false"));
                }
            }
            true
        }
        Err(_) => false,
    }
}

async fn redis_ok(url: &str, argv: &[String], expect: Option<&str>, timeout: Duration) -> bool {
    let Ok(mut con) = redis_target::connect(url, timeout).await else {
        return false;
    };
    let mut cmd = redis::Cmd::new();
    for a in argv {
        cmd.arg(a);
    }
    match cmd.query_async::<redis::Value>(&mut con).await {
        Ok(redis::Value::ServerError(_)) | Err(_) => false,
        Ok(v) => expect.is_none_or(|e| redis_target::value_text(&v).contains(e)),
    }
}

/// Subscribes to a Sentinel's `event` channel (reconnecting as needed) and sets `seen`
/// once an event arrives.
async fn watch_sentinel(addr: String, event: String, seen: Arc<AtomicBool>) {
    let needle = b"message";
    loop {
        if let Ok(mut stream) = TcpStream::connect(&addr).await {
            let cmd = format!("*2\r\n$9\r\nSUBSCRIBE\r\n${}\r\n{}\r\n", event.len(), event);
            if stream.write_all(cmd.as_bytes()).await.is_ok() {
                let mut buf = vec![0u8; 4096];
                let mut text = Vec::new();
                loop {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            text.extend_from_slice(&buf[..n]);
                            // The subscription confirmation says "subscribe"; an event
                            // is a "message" push.
                            if text
                                .windows(needle.len() + 4)
                                .any(|w| w == b"$7\r\nmessage")
                            {
                                seen.store(true, Ordering::Release);
                                return;
                            }
                            if text.len() > 1 << 16 {
                                text.drain(..text.len() - 64);
                            }
                        }
                    }
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
