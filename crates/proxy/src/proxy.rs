//! One proxy: a listen address, an upstream, enabled or not, its toxics and counters.
//!
//! Enabling binds the listener and starts accepting; disabling closes the listener (new
//! connections are refused) and closes every connection. Toxic changes are published on
//! a watch channel that every live connection follows.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::net::TcpListener;
use tokio::runtime::Handle;
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::error::ProxyError;
use crate::stage::ActiveToxic;
use crate::toxic::ToxicConfig;

/// The toxics of a proxy as live connections see them.
pub(crate) type ToxicList = Arc<Vec<Arc<ActiveToxic>>>;

/// What a proxy is: Toxiproxy's `{name, listen, upstream, enabled}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxyConfig {
    /// Unique name of the proxy.
    pub name: String,
    /// Address to listen on, `host:port`; port 0 picks a free port.
    pub listen: String,
    /// Address of the upstream server, `host:port`, resolved at each connection.
    pub upstream: String,
    /// Whether the proxy accepts connections.
    pub enabled: bool,
}

impl ProxyConfig {
    /// An enabled proxy.
    pub fn new(
        name: impl Into<String>,
        listen: impl Into<String>,
        upstream: impl Into<String>,
    ) -> Self {
        Self {
            name: name.into(),
            listen: listen.into(),
            upstream: upstream.into(),
            enabled: true,
        }
    }

    /// Checks the fields, like Toxiproxy: name and upstream are required. Addresses must
    /// be `host:port` (an empty `listen` means `127.0.0.1:0`).
    pub fn validate(&self) -> Result<(), ProxyError> {
        if self.name.is_empty() {
            return Err(ProxyError::missing_field("name"));
        }
        check_endpoints(Some(&self.listen), Some(&self.upstream))?;
        if self.name.contains('/') {
            return Err(ProxyError::bad_request(format!(
                "proxy name {:?} must not contain '/'",
                self.name
            )));
        }
        Ok(())
    }
}

/// Counters of a proxy, shared with its connections.
#[derive(Debug, Default)]
pub(crate) struct ProxyCounters {
    pub(crate) connections_total: AtomicU64,
    pub(crate) connections_active: AtomicU64,
    pub(crate) upstream_connect_errors: AtomicU64,
    pub(crate) bytes_upstream: AtomicU64,
    pub(crate) bytes_downstream: AtomicU64,
}

/// A snapshot of a proxy's counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProxyStats {
    /// Connections accepted since the proxy was created.
    pub connections_total: u64,
    /// Connections open now.
    pub connections_active: u64,
    /// Accepted connections closed because the upstream could not be reached.
    pub upstream_connect_errors: u64,
    /// Bytes written to the upstream server.
    pub bytes_upstream: u64,
    /// Bytes written back to clients.
    pub bytes_downstream: u64,
}

struct ProxyState {
    config: ProxyConfig,
    /// The bound address while enabled (and the last one after, so re-enabling keeps it).
    listen_addr: Option<SocketAddr>,
    /// Cancelled to stop the listener and every connection.
    run: Option<CancellationToken>,
    /// The listener while enabled, shared with the accept loop so disabling can stop it
    /// listening at once (the port is free again before `set_enabled` returns).
    listener: Option<Arc<TcpListener>>,
    toxics: Vec<Arc<ActiveToxic>>,
}

pub(crate) struct ProxyShared {
    name: String,
    state: Mutex<ProxyState>,
    toxics_tx: watch::Sender<ToxicList>,
    counters: Arc<ProxyCounters>,
    /// Cancelled when the registry goes away.
    root: CancellationToken,
    runtime: Handle,
    next_toxic_id: AtomicU64,
}

/// A proxy in a [`crate::ProxyRegistry`]. Cheap to clone; all clones control the same proxy.
#[derive(Clone)]
pub struct ProxyHandle {
    shared: Arc<ProxyShared>,
}

impl std::fmt::Debug for ProxyHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxyHandle")
            .field("name", &self.shared.name)
            .finish()
    }
}

impl ProxyHandle {
    /// Creates the proxy and, if the config says enabled, binds its listener.
    pub(crate) fn start(
        config: ProxyConfig,
        root: CancellationToken,
        runtime: Handle,
    ) -> Result<Self, ProxyError> {
        config.validate()?;
        let (toxics_tx, _) = watch::channel(Arc::new(Vec::new()));
        let enabled = config.enabled;
        let handle = Self {
            shared: Arc::new(ProxyShared {
                name: config.name.clone(),
                state: Mutex::new(ProxyState {
                    config: ProxyConfig {
                        enabled: false,
                        ..config
                    },
                    listen_addr: None,
                    run: None,
                    listener: None,
                    toxics: Vec::new(),
                }),
                toxics_tx,
                counters: Arc::new(ProxyCounters::default()),
                root,
                runtime,
                next_toxic_id: AtomicU64::new(1),
            }),
        };
        handle.set_enabled(enabled)?;
        Ok(handle)
    }

    fn state(&self) -> MutexGuard<'_, ProxyState> {
        // A panic while holding the lock cannot leave the state half-updated in a way
        // that matters more than stopping; keep serving with what is there.
        self.shared.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The proxy's name.
    pub fn name(&self) -> &str {
        &self.shared.name
    }

    /// The proxy's config; `listen` is the bound address once it was enabled.
    pub fn config(&self) -> ProxyConfig {
        self.state().config.clone()
    }

    /// The address the proxy listens on (also kept while disabled), if it was ever bound.
    pub fn listen_addr(&self) -> Option<SocketAddr> {
        self.state().listen_addr
    }

    /// Whether the proxy accepts connections.
    pub fn is_enabled(&self) -> bool {
        self.state().config.enabled
    }

    /// Enables (binds and accepts) or disables (closes the listener and every connection).
    pub fn set_enabled(&self, enabled: bool) -> Result<(), ProxyError> {
        let mut state = self.state();
        if enabled == state.config.enabled {
            return Ok(());
        }
        if !enabled {
            stop(&mut state);
            return Ok(());
        }
        let listener = bind(&state.config.listen)?;
        let addr = listener.local_addr().map_err(|e| {
            ProxyError::io(
                &format!("reading the address of {}", state.config.listen),
                &e,
            )
        })?;
        let run = self.shared.root.child_token();
        let listener = {
            let _guard = self.shared.runtime.enter();
            Arc::new(
                TcpListener::from_std(listener)
                    .map_err(|e| ProxyError::io(&format!("listening on {addr}"), &e))?,
            )
        };
        self.shared.runtime.spawn(accept_loop(
            Arc::clone(&listener),
            Arc::clone(&self.shared),
            run.clone(),
        ));
        state.listen_addr = Some(addr);
        state.config.listen = addr.to_string();
        state.config.enabled = true;
        state.run = Some(run);
        state.listener = Some(listener);
        Ok(())
    }

    /// Changes listen address and upstream; a running proxy restarts (its connections close).
    pub fn update(
        &self,
        listen: Option<String>,
        upstream: Option<String>,
    ) -> Result<(), ProxyError> {
        // Checked before the proxy stops, so a bad request leaves it running as it was.
        check_endpoints(listen.as_deref(), upstream.as_deref())?;
        let enabled = {
            let state = self.state();
            let same_listen = listen.as_ref().is_none_or(|l| *l == state.config.listen);
            let same_upstream = upstream
                .as_ref()
                .is_none_or(|u| *u == state.config.upstream);
            if same_listen && same_upstream {
                return Ok(());
            }
            state.config.enabled
        };
        self.set_enabled(false)?;
        {
            let mut state = self.state();
            if let Some(listen) = listen {
                state.config.listen = listen;
            }
            if let Some(upstream) = upstream {
                state.config.upstream = upstream;
            }
        }
        self.set_enabled(enabled)
    }

    /// Adds a toxic; it applies to live connections at once. 409 if the name is taken.
    pub fn add_toxic(&self, config: ToxicConfig) -> Result<ToxicConfig, ProxyError> {
        config.validate()?;
        let mut state = self.state();
        if state.toxics.iter().any(|t| t.config.name == config.name) {
            return Err(ProxyError::toxic_exists(&config.name));
        }
        state.toxics.push(self.activate(config.clone()));
        self.publish(&state);
        Ok(config)
    }

    /// Replaces a toxic with a new config of the same name (the stages restart).
    pub fn replace_toxic(&self, config: ToxicConfig) -> Result<ToxicConfig, ProxyError> {
        config.validate()?;
        let mut state = self.state();
        let Some(pos) = state
            .toxics
            .iter()
            .position(|t| t.config.name == config.name)
        else {
            return Err(ProxyError::toxic_not_found(&config.name));
        };
        state.toxics[pos] = self.activate(config.clone());
        self.publish(&state);
        Ok(config)
    }

    /// Removes a toxic; data it held is released and its effects stop at once.
    pub fn remove_toxic(&self, name: &str) -> Result<(), ProxyError> {
        let mut state = self.state();
        let before = state.toxics.len();
        state.toxics.retain(|t| t.config.name != name);
        if state.toxics.len() == before {
            return Err(ProxyError::toxic_not_found(name));
        }
        self.publish(&state);
        Ok(())
    }

    /// Removes every toxic.
    pub fn remove_all_toxics(&self) {
        let mut state = self.state();
        state.toxics.clear();
        self.publish(&state);
    }

    /// Heals the proxy: removes every toxic and enables it.
    pub fn heal(&self) -> Result<(), ProxyError> {
        self.remove_all_toxics();
        self.set_enabled(true)
    }

    /// The proxy's toxics, in the order they were added.
    pub fn toxics(&self) -> Vec<ToxicConfig> {
        self.state()
            .toxics
            .iter()
            .map(|t| t.config.clone())
            .collect()
    }

    /// One toxic by name.
    pub fn toxic(&self, name: &str) -> Option<ToxicConfig> {
        self.state()
            .toxics
            .iter()
            .find(|t| t.config.name == name)
            .map(|t| t.config.clone())
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> ProxyStats {
        let c = &self.shared.counters;
        ProxyStats {
            connections_total: c.connections_total.load(Ordering::Relaxed),
            connections_active: c.connections_active.load(Ordering::Relaxed),
            upstream_connect_errors: c.upstream_connect_errors.load(Ordering::Relaxed),
            bytes_upstream: c.bytes_upstream.load(Ordering::Relaxed),
            bytes_downstream: c.bytes_downstream.load(Ordering::Relaxed),
        }
    }

    /// The Toxiproxy JSON form: `{name, listen, upstream, enabled, toxics}`.
    pub fn to_json(&self) -> serde_json::Value {
        let state = self.state();
        serde_json::json!({
            "name": self.shared.name,
            "listen": state.config.listen,
            "upstream": state.config.upstream,
            "enabled": state.config.enabled,
            "toxics": state.toxics.iter().map(|t| t.config.to_json()).collect::<Vec<_>>(),
        })
    }

    /// Stops the proxy for good: listener and connections closed, toxics dropped.
    pub(crate) fn shutdown(&self) {
        let mut state = self.state();
        stop(&mut state);
        state.toxics.clear();
        self.publish(&state);
    }

    fn activate(&self, config: ToxicConfig) -> Arc<ActiveToxic> {
        Arc::new(ActiveToxic {
            id: self.shared.next_toxic_id.fetch_add(1, Ordering::Relaxed),
            config,
            added_at: Instant::now(),
            requests_seen: AtomicU64::new(0),
        })
    }

    fn publish(&self, state: &ProxyState) {
        self.shared
            .toxics_tx
            .send_replace(Arc::new(state.toxics.clone()));
    }
}

/// Stops listening and closes every connection. The listening socket is shut down here
/// rather than when the accept loop drops it, so new connections are refused and the
/// port can be bound again as soon as this returns (std binds with SO_REUSEADDR).
fn stop(state: &mut ProxyState) {
    if let Some(run) = state.run.take() {
        run.cancel();
    }
    if let Some(listener) = state.listener.take() {
        let _ = socket2::SockRef::from(listener.as_ref()).shutdown(std::net::Shutdown::Both);
    }
    state.config.enabled = false;
}

/// Checks the addresses given (`None`: not given, as in an update that keeps it): an
/// upstream is required, an empty listen means `127.0.0.1:0`, both are `host:port`.
fn check_endpoints(listen: Option<&str>, upstream: Option<&str>) -> Result<(), ProxyError> {
    if let Some(upstream) = upstream {
        if upstream.is_empty() {
            return Err(ProxyError::missing_field("upstream"));
        }
        check_address("upstream", upstream)?;
    }
    if let Some(listen) = listen.filter(|l| !l.is_empty()) {
        check_address("listen", listen)?;
    }
    Ok(())
}

/// Checks that `value` has the shape of a `host:port` address, as std resolves it: a
/// malformed address is the client's mistake (400), unlike a bind failure (500). Names
/// are not resolved here: an upstream is resolved at each connection, so a host that
/// does not resolve yet may still come up.
fn check_address(field: &str, value: &str) -> Result<(), ProxyError> {
    if value.parse::<SocketAddr>().is_ok() {
        return Ok(());
    }
    // An IPv6 host is bracketed: `::1:80` does not say where the port starts.
    let host_ok = |host: &str| {
        !host.is_empty() && (!host.contains(':') || host.starts_with('[') && host.ends_with(']'))
    };
    let well_formed = value
        .rsplit_once(':')
        .is_some_and(|(host, port)| host_ok(host) && port.parse::<u16>().is_ok());
    if well_formed {
        return Ok(());
    }
    Err(ProxyError::bad_request(format!(
        "field {field:?}: {value:?} is not an address; expected host:port with a port in \
         0..=65535, e.g. \"127.0.0.1:6379\" or \"[::1]:6379\""
    )))
}

fn bind(listen: &str) -> Result<std::net::TcpListener, ProxyError> {
    let listen = if listen.is_empty() {
        "127.0.0.1:0"
    } else {
        listen
    };
    let listener = std::net::TcpListener::bind(listen)
        .map_err(|e| ProxyError::io(&format!("listen on {listen}"), &e))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| ProxyError::io(&format!("listen on {listen}"), &e))?;
    Ok(listener)
}

async fn accept_loop(listener: Arc<TcpListener>, shared: Arc<ProxyShared>, run: CancellationToken) {
    loop {
        let accepted = tokio::select! {
            biased;
            _ = run.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        let client = match accepted {
            Ok((client, _)) => client,
            Err(_) => {
                // Out of file descriptors or similar: back off briefly instead of spinning.
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
        };
        let counters = Arc::clone(&shared.counters);
        counters.connections_total.fetch_add(1, Ordering::Relaxed);
        counters.connections_active.fetch_add(1, Ordering::Relaxed);
        let upstream = shared
            .state
            .lock()
            .map(|s| s.config.upstream.clone())
            .unwrap_or_else(|e| e.into_inner().config.upstream.clone());
        let toxics = shared.toxics_tx.subscribe();
        let kill = run.child_token();
        tokio::spawn(async move {
            let guard = ActiveGuard(Arc::clone(&counters));
            crate::conn::serve(client, upstream, toxics, kill, counters).await;
            drop(guard);
        });
    }
}

/// Decrements the active-connection count when a connection ends, however it ends.
struct ActiveGuard(Arc<ProxyCounters>);

impl Drop for ActiveGuard {
    fn drop(&mut self) {
        self.0.connections_active.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_host_port_with_a_valid_port() {
        for good in ["127.0.0.1:0", "[::1]:6379", "localhost:8080", "a:1"] {
            assert_eq!(check_address("listen", good), Ok(()), "{good}");
        }
        for bad in [
            "nonsense",
            "127.0.0.1:99999",
            "host:",
            ":8080",
            "[::1]",
            "::1:80",
            "h:-1",
        ] {
            let err = check_address("upstream", bad).expect_err(bad);
            assert_eq!(err.status_code(), 400, "{bad}");
            assert!(err.message().contains("\"upstream\""), "{}", err.message());
        }
    }
}
