//! The load generator's targets: HTTP, PostgreSQL and Redis behind one interface.

mod classify;
pub mod h1;
pub mod http;
mod pool;
pub mod postgres;
pub mod redis;

use std::time::Duration;

use faultline_record::FailureClass;
use faultline_spec::LiveTarget;

pub use classify::{chain_class, io_class};
pub use pool::SessionId;

use crate::error::LiveError;

/// A target the load generator drives.
pub enum Target {
    /// An HTTP service.
    Http(http::HttpClient),
    /// A Redis server or Sentinel-managed master.
    Redis(redis::RedisClient),
    /// A PostgreSQL database.
    Postgres(postgres::PgClient),
}

impl Target {
    /// A target for a `live.targets` entry (no connection is opened yet).
    pub fn new(name: &str, config: &LiveTarget) -> Result<Self, LiveError> {
        let context = |e: LiveError| LiveError::config(format!("live.targets.{name}.{e}"));
        Ok(match config {
            LiveTarget::Http(t) => Target::Http(http::HttpClient::new(t).map_err(context)?),
            LiveTarget::Redis(t) => Target::Redis(redis::RedisClient::new(t).map_err(context)?),
            LiveTarget::Postgres(t) => {
                Target::Postgres(postgres::PgClient::new(t).map_err(context)?)
            }
        })
    }

    /// Prepares the target before the run (creates the PostgreSQL table).
    pub async fn prepare(&self) -> Result<(), LiveError> {
        match self {
            Target::Postgres(pg) => pg.prepare_table().await,
            _ => Ok(()),
        }
    }

    /// The prefix given to every key.
    pub fn key_prefix(&self) -> &str {
        match self {
            Target::Redis(r) => r.key_prefix(),
            _ => "",
        }
    }

    /// Where operations go now (the current primary where known), for the record.
    pub fn describe(&self) -> String {
        match self {
            Target::Http(h) => h.describe(),
            Target::Redis(r) => r.describe(),
            Target::Postgres(p) => p.describe(),
        }
    }

    /// Writes `value` (which carries write `id`) under `key`, over the session's own
    /// connection when `session` names one.
    pub async fn write(
        &self,
        key: &str,
        id: u64,
        value: &str,
        timeout: Duration,
        session: Option<SessionId>,
    ) -> Result<(), FailureClass> {
        match self {
            Target::Http(h) => h.write(key, id, value, timeout, session).await,
            Target::Redis(r) => r.write(key, value, timeout, session).await,
            Target::Postgres(p) => p.write(key, value, timeout, session).await,
        }
    }

    /// Reads `key` as the load does: only whether the read succeeded.
    pub async fn read_check(
        &self,
        key: &str,
        timeout: Duration,
        session: Option<SessionId>,
    ) -> Result<(), FailureClass> {
        match self {
            Target::Http(h) => h.read_check(key, timeout, session).await,
            Target::Redis(r) => r.read(key, timeout, session).await.map(|_| ()),
            Target::Postgres(p) => p.read(key, timeout, session).await.map(|_| ()),
        }
    }

    /// Reads `key` over a pooled connection: its value, or `None` when absent.
    pub async fn read(&self, key: &str, timeout: Duration) -> Result<Option<String>, FailureClass> {
        match self {
            Target::Http(h) => h.read(key, timeout).await,
            Target::Redis(r) => r.read(key, timeout, None).await,
            Target::Postgres(p) => p.read(key, timeout, None).await,
        }
    }
}
