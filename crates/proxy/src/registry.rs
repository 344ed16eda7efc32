//! The set of proxies of one process, by name: what the HTTP API and the live engine drive.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::runtime::Handle;
use tokio_util::sync::CancellationToken;

use crate::error::ProxyError;
use crate::proxy::{ProxyConfig, ProxyHandle};
use crate::toxic::{Stream, ToxicConfig, ToxicKind};

struct RegistryInner {
    proxies: Mutex<BTreeMap<String, ProxyHandle>>,
    root: CancellationToken,
    runtime: Handle,
}

impl Drop for RegistryInner {
    fn drop(&mut self) {
        // Dropping the registry heals everything: listeners and connections stop, even
        // while handles to its proxies are still around.
        let proxies = std::mem::take(self.proxies.get_mut().unwrap_or_else(|e| e.into_inner()));
        for handle in proxies.into_values() {
            handle.shutdown();
        }
        self.root.cancel();
    }
}

/// The proxies of one process. Cheap to clone; when the last clone is dropped every
/// proxy stops (listeners closed, connections closed), so a dropped registry leaves no
/// fault behind.
#[derive(Clone)]
pub struct ProxyRegistry {
    inner: Arc<RegistryInner>,
}

impl std::fmt::Debug for ProxyRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxyRegistry")
            .field("proxies", &self.names())
            .finish()
    }
}

impl ProxyRegistry {
    /// An empty registry whose proxies run on the current Tokio runtime.
    ///
    /// # Panics
    /// When called outside a Tokio runtime (use [`ProxyRegistry::with_runtime`] there).
    pub fn new() -> Self {
        Self::with_runtime(Handle::current())
    }

    /// An empty registry whose proxies run on the given runtime.
    pub fn with_runtime(runtime: Handle) -> Self {
        Self {
            inner: Arc::new(RegistryInner {
                proxies: Mutex::new(BTreeMap::new()),
                root: CancellationToken::new(),
                runtime,
            }),
        }
    }

    fn proxies(&self) -> MutexGuard<'_, BTreeMap<String, ProxyHandle>> {
        self.inner.proxies.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Creates a proxy (binding its listener if enabled). 409 if the name is taken, 400
    /// for a missing name or upstream, 500 if the listen address cannot be bound.
    pub fn add_proxy(&self, config: ProxyConfig) -> Result<ProxyHandle, ProxyError> {
        config.validate()?;
        let mut proxies = self.proxies();
        if proxies.contains_key(&config.name) {
            return Err(ProxyError::proxy_exists(&config.name));
        }
        let name = config.name.clone();
        let handle =
            ProxyHandle::start(config, self.inner.root.clone(), self.inner.runtime.clone())?;
        proxies.insert(name, handle.clone());
        Ok(handle)
    }

    /// Creates or keeps each proxy, like Toxiproxy's `POST /populate`: a proxy with the same
    /// name, listen address and upstream is kept with its toxics; one that differs is
    /// replaced. All configs are checked before anything changes.
    pub fn populate(&self, configs: Vec<ProxyConfig>) -> Result<Vec<ProxyHandle>, ProxyError> {
        for config in &configs {
            config.validate()?;
        }
        let mut handles = Vec::with_capacity(configs.len());
        for config in configs {
            if let Some(existing) = self.get(&config.name) {
                let current = existing.config();
                if current.upstream == config.upstream
                    && same_listen(&current.listen, &config.listen)
                {
                    existing.set_enabled(config.enabled)?;
                    handles.push(existing);
                    continue;
                }
                self.remove_proxy(&config.name)?;
            }
            handles.push(self.add_proxy(config)?);
        }
        Ok(handles)
    }

    /// The proxy with that name.
    pub fn get(&self, name: &str) -> Option<ProxyHandle> {
        self.proxies().get(name).cloned()
    }

    /// The proxy with that name, or Toxiproxy's 404.
    pub fn require(&self, name: &str) -> Result<ProxyHandle, ProxyError> {
        self.get(name)
            .ok_or_else(|| ProxyError::proxy_not_found(name))
    }

    /// Every proxy, by name.
    pub fn list(&self) -> Vec<ProxyHandle> {
        self.proxies().values().cloned().collect()
    }

    /// The names of all proxies, sorted.
    pub fn names(&self) -> Vec<String> {
        self.proxies().keys().cloned().collect()
    }

    /// Removes a proxy: its listener closes (new connections refused) and its connections
    /// are closed.
    pub fn remove_proxy(&self, name: &str) -> Result<(), ProxyError> {
        let handle = self
            .proxies()
            .remove(name)
            .ok_or_else(|| ProxyError::proxy_not_found(name))?;
        handle.shutdown();
        Ok(())
    }

    /// Removes every proxy.
    pub fn remove_all(&self) {
        let all: Vec<ProxyHandle> = std::mem::take(&mut *self.proxies()).into_values().collect();
        for handle in all {
            handle.shutdown();
        }
    }

    /// Toxiproxy's `POST /reset`: enables every proxy and removes every toxic. Returns the
    /// first error of re-enabling (e.g. its port was taken meanwhile) after trying all.
    pub fn reset(&self) -> Result<(), ProxyError> {
        let mut first_error = None;
        for handle in self.list() {
            if let Err(e) = handle.heal() {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// A partition of a proxy's edge: a `blackhole` toxic on both streams, named
    /// `partition_upstream` and `partition_downstream`. Heal with [`ProxyHandle::heal`] or
    /// by removing both toxics.
    pub fn partition(&self, name: &str) -> Result<(), ProxyError> {
        let handle = self.require(name)?;
        for stream in [Stream::Upstream, Stream::Downstream] {
            let toxic = ToxicConfig::new(ToxicKind::Blackhole, stream)
                .with_name(format!("partition_{}", stream.as_str()));
            handle.add_toxic(toxic)?;
        }
        Ok(())
    }
}

impl Default for ProxyRegistry {
    fn default() -> Self {
        Self::new()
    }
}

/// Whether a requested listen address is satisfied by the bound one (`:0` means any port).
fn same_listen(bound: &str, requested: &str) -> bool {
    if bound == requested {
        return true;
    }
    match (bound.rsplit_once(':'), requested.rsplit_once(':')) {
        (Some((bound_host, _)), Some((req_host, "0"))) => {
            bound_host == req_host || (req_host == "localhost" && bound_host == "127.0.0.1")
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The live engine shares these across tasks and threads.
    #[test]
    fn handles_are_send_and_sync() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<ProxyRegistry>();
        assert_send_sync::<ProxyHandle>();
        assert_send_sync::<ProxyError>();
    }

    #[test]
    fn same_listen_treats_port_zero_as_any() {
        assert!(same_listen("127.0.0.1:4000", "127.0.0.1:0"));
        assert!(same_listen("127.0.0.1:4000", "127.0.0.1:4000"));
        assert!(!same_listen("127.0.0.1:4000", "127.0.0.1:4001"));
    }

    #[tokio::test]
    async fn add_get_remove_and_conflicts() {
        let registry = ProxyRegistry::new();
        let cfg = ProxyConfig::new("db", "127.0.0.1:0", "127.0.0.1:1");
        let handle = registry.add_proxy(cfg.clone()).expect("created");
        assert!(handle.listen_addr().is_some());
        assert_eq!(registry.add_proxy(cfg).expect_err("dup").status_code(), 409);
        assert_eq!(
            registry
                .add_proxy(ProxyConfig::new("", "127.0.0.1:0", "x:1"))
                .expect_err("no name")
                .status_code(),
            400
        );
        registry.remove_proxy("db").expect("removed");
        assert_eq!(
            registry.remove_proxy("db").expect_err("gone").status_code(),
            404
        );
    }
}
