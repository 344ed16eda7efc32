//! `GET /metrics`: the registry's counters in Prometheus text exposition format.

use std::fmt::Write;

use crate::registry::ProxyRegistry;

/// Renders every proxy's counters, one sample per proxy (label `proxy`).
pub fn render(registry: &ProxyRegistry) -> String {
    let proxies = registry.list();
    let mut out = String::new();
    let mut family = |name: &str, kind: &str, help: &str, samples: Vec<(String, u64)>| {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} {kind}");
        for (labels, value) in samples {
            let _ = writeln!(out, "{name}{{{labels}}} {value}");
        }
    };
    let label = |proxy: &str| format!("proxy=\"{}\"", escape(proxy));
    family(
        "faultline_proxy_enabled",
        "gauge",
        "Whether the proxy accepts connections (1) or not (0).",
        proxies
            .iter()
            .map(|p| (label(p.name()), u64::from(p.is_enabled())))
            .collect(),
    );
    family(
        "faultline_proxy_toxics",
        "gauge",
        "Toxics installed on the proxy.",
        proxies
            .iter()
            .map(|p| (label(p.name()), p.toxics().len() as u64))
            .collect(),
    );
    family(
        "faultline_proxy_connections_active",
        "gauge",
        "Connections open through the proxy.",
        proxies
            .iter()
            .map(|p| (label(p.name()), p.stats().connections_active))
            .collect(),
    );
    family(
        "faultline_proxy_connections_total",
        "counter",
        "Connections accepted by the proxy.",
        proxies
            .iter()
            .map(|p| (label(p.name()), p.stats().connections_total))
            .collect(),
    );
    family(
        "faultline_proxy_upstream_connect_errors_total",
        "counter",
        "Accepted connections closed because the upstream could not be reached.",
        proxies
            .iter()
            .map(|p| (label(p.name()), p.stats().upstream_connect_errors))
            .collect(),
    );
    let mut bytes = Vec::new();
    for p in &proxies {
        let stats = p.stats();
        bytes.push((
            format!("{},direction=\"upstream\"", label(p.name())),
            stats.bytes_upstream,
        ));
        bytes.push((
            format!("{},direction=\"downstream\"", label(p.name())),
            stats.bytes_downstream,
        ));
    }
    family(
        "faultline_proxy_bytes_total",
        "counter",
        "Bytes forwarded by the proxy, by direction.",
        bytes,
    );
    out
}

/// Escapes a label value (backslash, quote, newline).
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn renders_one_sample_per_proxy() {
        let registry = ProxyRegistry::new();
        registry
            .add_proxy(crate::ProxyConfig::new(
                "a\"b",
                "127.0.0.1:0",
                "127.0.0.1:1",
            ))
            .expect("created");
        let text = render(&registry);
        assert!(
            text.contains("faultline_proxy_enabled{proxy=\"a\\\"b\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("# TYPE faultline_proxy_bytes_total counter"),
            "{text}"
        );
    }
}
