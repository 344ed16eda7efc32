//! A TCP fault proxy with a Toxiproxy-compatible HTTP API.
//!
//! Network faults between real components (latency between an app and its cache, loss
//! between services, a partition) need something on the path. This crate is that
//! something: TCP proxies that forward connections to an upstream and apply *toxics* to
//! live traffic, per direction.
//!
//! It is used two ways:
//! - **in process** — the live engine creates a [`ProxyRegistry`], adds a proxy per edge
//!   of the architecture ([`ProxyRegistry::add_proxy`] returns a [`ProxyHandle`]), and
//!   injects and heals faults with [`ProxyHandle::add_toxic`],
//!   [`ProxyHandle::remove_toxic`], [`ProxyHandle::set_enabled`] and
//!   [`ProxyRegistry::reset`]. Dropping the registry stops every proxy.
//! - **standalone** — [`serve_api`] serves Toxiproxy's HTTP API (default
//!   [`DEFAULT_API_ADDR`], `127.0.0.1:8474`), so existing Toxiproxy clients drive it
//!   unchanged. The `faultline proxy` command runs it.
//!
//! Main types: [`ProxyRegistry`] (all proxies), [`ProxyHandle`] (one proxy),
//! [`ProxyConfig`], [`ToxicConfig`] with [`ToxicKind`] and [`Stream`], and [`ProxyError`]
//! (carries the HTTP status code of the API).
//!
//! Toxics: Toxiproxy's `latency`, `bandwidth`, `slow_close`, `timeout`, `reset_peer`,
//! `slicer`, `limit_data`, with their attributes and semantics, and faultline's
//! `blackhole`, `loss`, `flap` and `http_status`. With no toxic, bytes are copied straight
//! from socket to socket.
//!
//! # Example
//!
//! ```no_run
//! use faultline_proxy::{ProxyConfig, ProxyRegistry, Stream, ToxicConfig, ToxicKind};
//!
//! # async fn demo() -> Result<(), faultline_proxy::ProxyError> {
//! let registry = ProxyRegistry::new();
//! let cache = registry.add_proxy(ProxyConfig::new("cache", "127.0.0.1:0", "127.0.0.1:6379"))?;
//! println!("point the app at {:?}", cache.listen_addr());
//!
//! // 200 ms more between app and cache, on responses.
//! let latency = ToxicKind::Latency { latency_ms: 200, jitter_ms: 0 };
//! cache.add_toxic(ToxicConfig::new(latency, Stream::Downstream))?;
//!
//! // Heal: every toxic removed, every proxy enabled.
//! registry.reset()?;
//! # Ok(()) }
//! ```

mod api;
mod conn;
mod error;
mod http_frame;
mod metrics;
mod proxy;
mod registry;
mod splice;
mod stage;
mod toxic;

pub use api::{router, serve_api, serve_api_on, DEFAULT_API_ADDR, VERSION};
pub use error::{ErrorKind, ProxyError};
pub use metrics::render as render_metrics;
pub use proxy::{ProxyConfig, ProxyHandle, ProxyStats};
pub use registry::ProxyRegistry;
pub use toxic::{Stream, ToxicConfig, ToxicKind, DURATION_MS_MAX, TOXIC_TYPES};
