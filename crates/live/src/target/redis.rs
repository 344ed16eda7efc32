//! Redis targets: one server, or the master of a Sentinel group, followed across a
//! failover by asking the Sentinels again whenever a connection breaks.

use std::sync::Mutex;
use std::time::Duration;

use faultline_record::FailureClass;
use faultline_spec::RedisTarget;
use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, RedisError, Value};

use super::pool::{Pool, SessionId};
use crate::error::LiveError;

enum Locate {
    Direct(String),
    Sentinel {
        sentinels: Vec<String>,
        master: String,
    },
}

/// A Redis target.
pub struct RedisClient {
    locate: Locate,
    master: Mutex<Option<String>>,
    write: Vec<String>,
    read: Vec<String>,
    prefix: String,
    pool: Pool<MultiplexedConnection>,
}

/// The class of a Redis error, and whether the connection must be dropped.
fn redis_class(e: &RedisError) -> (FailureClass, bool) {
    if e.is_timeout() {
        (FailureClass::Timeout, true)
    } else if e.is_connection_refusal() {
        (FailureClass::Refused, true)
    } else if e.is_connection_dropped() || e.is_io_error() {
        (FailureClass::Reset, true)
    } else if e.code().is_some() {
        // READONLY after a demotion, LOADING, MASTERDOWN: find the master again.
        let drop = matches!(e.code(), Some("READONLY" | "LOADING" | "MASTERDOWN"));
        (FailureClass::ServerError, drop)
    } else {
        (FailureClass::Other, true)
    }
}

/// A reply as text (nested replies joined with spaces), for checks and probes.
pub fn value_text(v: &Value) -> String {
    match v {
        Value::Nil => String::new(),
        Value::Int(i) => i.to_string(),
        Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
        Value::SimpleString(s) => s.clone(),
        Value::Okay => "OK".into(),
        Value::Array(items) | Value::Set(items) => {
            items.iter().map(value_text).collect::<Vec<_>>().join(" ")
        }
        Value::VerbatimString { text, .. } => text.clone(),
        Value::Double(d) => d.to_string(),
        Value::Boolean(b) => b.to_string(),
        other => format!("{other:?}"),
    }
}

/// Opens a connection to `addr` (`host:port` or `redis://...`).
pub async fn connect(addr: &str, timeout: Duration) -> Result<MultiplexedConnection, RedisError> {
    let url = if addr.starts_with("redis://") {
        addr.to_string()
    } else {
        format!("redis://{addr}")
    };
    let client = redis::Client::open(url)?;
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(timeout)
        .set_response_timeout(timeout);
    client
        .get_multiplexed_async_connection_with_config(&config)
        .await
}

/// Asks the Sentinels, in turn, for the address of `master`.
pub async fn ask_sentinels(
    sentinels: &[String],
    master: &str,
    timeout: Duration,
) -> Result<String, FailureClass> {
    let mut last = FailureClass::Refused;
    for sentinel in sentinels {
        let answer = async {
            let mut con = connect(sentinel, timeout).await?;
            redis::cmd("SENTINEL")
                .arg("get-master-addr-by-name")
                .arg(master)
                .query_async::<Option<(String, String)>>(&mut con)
                .await
        };
        match tokio::time::timeout(timeout, answer).await {
            Ok(Ok(Some((host, port)))) => return Ok(format!("{host}:{port}")),
            Ok(Ok(None)) => last = FailureClass::ServerError,
            Ok(Err(e)) => last = redis_class(&e).0,
            Err(_) => last = FailureClass::Timeout,
        }
    }
    Err(last)
}

impl RedisClient {
    /// A client for `target` (no connection is opened yet).
    pub fn new(target: &RedisTarget) -> Result<Self, LiveError> {
        let locate = match (&target.url, target.sentinels.is_empty()) {
            (Some(url), true) => Locate::Direct(url.clone()),
            (None, false) => Locate::Sentinel {
                sentinels: target.sentinels.clone(),
                master: target.master.clone().unwrap_or_else(|| "mymaster".into()),
            },
            _ => {
                return Err(LiveError::config(
                    "redis: give exactly one of `url` (one server) or `sentinels` (a Sentinel-managed master)",
                ))
            }
        };
        let or = |v: &Vec<String>, d: &[&str]| {
            if v.is_empty() {
                d.iter().map(|s| s.to_string()).collect()
            } else {
                v.clone()
            }
        };
        Ok(Self {
            locate,
            master: Mutex::new(None),
            write: or(&target.write, &["SET", "{key}", "{value}"]),
            read: or(&target.read, &["GET", "{key}"]),
            prefix: target.key_prefix.clone().unwrap_or_else(|| "fl:".into()),
            pool: Pool::new(target.connections.unwrap_or(32)),
        })
    }

    /// The prefix of every key.
    pub fn key_prefix(&self) -> &str {
        &self.prefix
    }

    /// Where operations go now, for the record.
    pub fn describe(&self) -> String {
        let master = self
            .master
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        match &self.locate {
            Locate::Direct(url) => url.clone(),
            Locate::Sentinel { master: name, .. } => format!(
                "redis://{} (master `{name}` by Sentinel)",
                master.unwrap_or_else(|| "?".into())
            ),
        }
    }

    async fn master_addr(&self, timeout: Duration) -> Result<String, FailureClass> {
        match &self.locate {
            Locate::Direct(url) => Ok(url.clone()),
            Locate::Sentinel { sentinels, master } => {
                if let Some(addr) = self
                    .master
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .clone()
                {
                    return Ok(addr);
                }
                let addr = ask_sentinels(sentinels, master, timeout).await?;
                *self.master.lock().unwrap_or_else(|p| p.into_inner()) = Some(addr.clone());
                Ok(addr)
            }
        }
    }

    fn forget_master(&self) {
        if matches!(self.locate, Locate::Sentinel { .. }) {
            *self.master.lock().unwrap_or_else(|p| p.into_inner()) = None;
            self.pool.clear();
        }
    }

    async fn command(
        &self,
        argv: &[String],
        key: &str,
        value: &str,
        timeout: Duration,
        session: Option<SessionId>,
    ) -> Result<Value, FailureClass> {
        let result = self
            .pool
            .run(
                session,
                timeout,
                async |conn: Option<MultiplexedConnection>| {
                    let mut con = match conn {
                        Some(c) => c,
                        None => {
                            let addr = self.master_addr(timeout).await?;
                            connect(&addr, timeout).await.map_err(|e| {
                                self.forget_master();
                                redis_class(&e).0
                            })?
                        }
                    };
                    let mut cmd = redis::Cmd::new();
                    for arg in argv {
                        if arg == "{key}" {
                            cmd.arg(key);
                        } else if arg == "{value}" {
                            cmd.arg(value);
                        } else {
                            cmd.arg(arg.replace("{key}", key).replace("{value}", value));
                        }
                    }
                    match cmd.query_async::<Value>(&mut con).await {
                        Ok(v) => Ok((Some(con), Ok(v))),
                        Err(e) => {
                            let (class, drop) = redis_class(&e);
                            if drop {
                                self.forget_master();
                                Ok((None, Err(class)))
                            } else {
                                // An error reply on a good connection: keep the connection.
                                Ok((Some(con), Err(class)))
                            }
                        }
                    }
                },
            )
            .await;
        if result == Err(FailureClass::Timeout) {
            // A master that does not answer in time may be gone: ask the Sentinels again.
            self.forget_master();
        }
        result
    }

    /// Runs the write command.
    pub async fn write(
        &self,
        key: &str,
        value: &str,
        timeout: Duration,
        session: Option<SessionId>,
    ) -> Result<(), FailureClass> {
        match self
            .command(&self.write, key, value, timeout, session)
            .await?
        {
            Value::ServerError(_) => Err(FailureClass::ServerError),
            _ => Ok(()),
        }
    }

    /// Runs the read command; `None` for a nil reply.
    pub async fn read(
        &self,
        key: &str,
        timeout: Duration,
        session: Option<SessionId>,
    ) -> Result<Option<String>, FailureClass> {
        match self.command(&self.read, key, "", timeout, session).await? {
            Value::Nil => Ok(None),
            Value::ServerError(_) => Err(FailureClass::ServerError),
            v => Ok(Some(value_text(&v))),
        }
    }
}
