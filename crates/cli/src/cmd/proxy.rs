//! `faultline proxy`: the fault proxy with its Toxiproxy-compatible HTTP API.

use std::net::SocketAddr;

use faultline_proxy::{serve_api, ProxyRegistry};

use crate::exit::{Failure, Outcome};
use crate::out::errln;

/// Serves the API until interrupted (Ctrl-C heals every proxy: dropping the registry
/// stops them).
pub fn proxy(listen: SocketAddr) -> Result<Outcome, Failure> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::new(format!("cannot start the proxy's runtime: {e}")))?;
    runtime.block_on(async {
        let registry = ProxyRegistry::new();
        errln!("faultline proxy: Toxiproxy-compatible API on http://{listen} (Ctrl-C stops)");
        tokio::select! {
            served = serve_api(listen, registry.clone()) => served.map_err(|e| {
                Failure::new(format!(
                    "cannot serve the proxy API on {listen}: {e} (is another proxy or Toxiproxy using the port? pick one with --listen)"
                ))
            }),
            _ = tokio::signal::ctrl_c() => {
                registry.remove_all();
                Ok(())
            }
        }
    })?;
    Ok(Outcome::Passed)
}
