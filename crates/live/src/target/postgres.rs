//! PostgreSQL targets: statement templates, writes into a table the experiment names,
//! reconnection after the server goes away, and several hosts with the current
//! primary found by `target_session_attrs=read-write`.

use std::time::Duration;

use faultline_record::FailureClass;
use faultline_spec::PostgresTarget;
use tokio_postgres::{Client, Config, NoTls, Statement};

use super::classify::chain_class;
use super::pool::{Pool, SessionId};
use crate::error::LiveError;

struct Conn {
    client: Client,
    write: Statement,
    read: Statement,
}

/// A PostgreSQL target.
pub struct PgClient {
    config: Config,
    url: String,
    table: String,
    write_sql: String,
    read_sql: String,
    pool: Pool<Conn>,
}

fn pg_class(e: &tokio_postgres::Error) -> (FailureClass, bool) {
    if let Some(db) = e.as_db_error() {
        // 25006 read_only_sql_transaction: we reached a standby; reconnect.
        let code = db.code().code();
        let drop = code == "25006" || code.starts_with("57P") || code.starts_with("08");
        return (FailureClass::ServerError, drop);
    }
    if e.is_closed() {
        return (FailureClass::Reset, true);
    }
    // target_session_attrs found no writable host: the service refuses writes.
    let no_writable_host = std::error::Error::source(e)
        .and_then(|s| s.downcast_ref::<std::io::Error>())
        .is_some_and(|io| io.kind() == std::io::ErrorKind::PermissionDenied);
    if no_writable_host {
        return (FailureClass::Refused, true);
    }
    (chain_class(e, FailureClass::Other), true)
}

/// Opens a connection to `config`; the connection's driver runs on its own task.
pub async fn connect(config: &Config) -> Result<Client, tokio_postgres::Error> {
    let (client, connection) = config.connect(NoTls).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(client)
}

/// Parses a libpq-style connection string, with a 2 s connect timeout unless given.
pub fn parse_config(url: &str) -> Result<Config, LiveError> {
    let mut config: Config = url.parse().map_err(|e| {
        LiveError::config(format!(
            "postgres url `{url}`: {e} (expected key=value pairs such as `host=127.0.0.1 port=5432 user=app dbname=app`, or a postgresql:// URL)"
        ))
    })?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(Duration::from_secs(2));
    }
    Ok(config)
}

impl PgClient {
    /// A client for `target` (no connection is opened yet).
    pub fn new(target: &PostgresTarget) -> Result<Self, LiveError> {
        let table = target
            .table
            .clone()
            .unwrap_or_else(|| "faultline_ledger".into());
        if table.is_empty()
            || !table
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        {
            return Err(LiveError::config(format!(
                "postgres table `{table}`: use letters, digits, `_` and `.` only"
            )));
        }
        let write_sql = target
            .write
            .clone()
            .unwrap_or_else(|| {
                "INSERT INTO {table} (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value".into()
            })
            .replace("{table}", &table);
        let read_sql = target
            .read
            .clone()
            .unwrap_or_else(|| "SELECT value FROM {table} WHERE key = $1".into())
            .replace("{table}", &table);
        Ok(Self {
            config: parse_config(&target.url)?,
            url: target.url.clone(),
            table,
            write_sql,
            read_sql,
            pool: Pool::new(target.connections.unwrap_or(16)),
        })
    }

    /// Where operations go, for the record.
    pub fn describe(&self) -> String {
        format!("postgres `{}` table {}", self.url, self.table)
    }

    /// Creates the table if it is missing.
    pub async fn prepare_table(&self) -> Result<(), LiveError> {
        let client = connect(&self.config).await.map_err(|e| {
            LiveError::new(
                crate::error::LiveErrorKind::Preflight,
                format!("postgres `{}`: cannot connect: {e}", self.url),
            )
        })?;
        client
            .batch_execute(&format!(
                "CREATE TABLE IF NOT EXISTS {} (key text PRIMARY KEY, value text NOT NULL)",
                self.table
            ))
            .await
            .map_err(|e| {
                LiveError::new(
                    crate::error::LiveErrorKind::Preflight,
                    format!(
                        "postgres `{}`: cannot create table {}: {e}",
                        self.url, self.table
                    ),
                )
            })
    }

    async fn open(&self) -> Result<Conn, FailureClass> {
        let client = connect(&self.config).await.map_err(|e| pg_class(&e).0)?;
        let write = client
            .prepare(&self.write_sql)
            .await
            .map_err(|e| pg_class(&e).0)?;
        let read = client
            .prepare(&self.read_sql)
            .await
            .map_err(|e| pg_class(&e).0)?;
        Ok(Conn {
            client,
            write,
            read,
        })
    }

    async fn with_conn<T>(
        &self,
        timeout: Duration,
        session: Option<SessionId>,
        op: impl AsyncFnOnce(&Conn) -> Result<T, tokio_postgres::Error>,
    ) -> Result<T, FailureClass> {
        self.pool
            .run(session, timeout, async |reused: Option<Conn>| {
                let conn = match reused.filter(|c| !c.client.is_closed()) {
                    Some(c) => c,
                    None => self.open().await?,
                };
                match op(&conn).await {
                    Ok(v) => Ok((Some(conn), Ok(v))),
                    Err(e) => {
                        let (class, drop) = pg_class(&e);
                        Ok((if drop { None } else { Some(conn) }, Err(class)))
                    }
                }
            })
            .await
    }

    /// Runs the write statement.
    pub async fn write(
        &self,
        key: &str,
        value: &str,
        timeout: Duration,
        session: Option<SessionId>,
    ) -> Result<(), FailureClass> {
        self.with_conn(timeout, session, async |c: &Conn| {
            c.client
                .execute(&c.write, &[&key, &value])
                .await
                .map(|_| ())
        })
        .await
    }

    /// Runs the read statement; `None` when it returns no row.
    pub async fn read(
        &self,
        key: &str,
        timeout: Duration,
        session: Option<SessionId>,
    ) -> Result<Option<String>, FailureClass> {
        self.with_conn(timeout, session, async |c: &Conn| {
            let rows = c.client.query(&c.read, &[&key]).await?;
            Ok(rows.first().and_then(|r| r.try_get::<_, String>(0).ok()))
        })
        .await
    }
}
