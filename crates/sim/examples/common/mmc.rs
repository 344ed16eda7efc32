//! The M/M/c model the simulator's benchmarks run (`bench.rs`, `memory.rs`): one
//! service of `servers` slots with exponential service, Poisson arrivals, reads only.

/// The experiment file of the model: `rate_per_s` arrivals for `seconds`, each served
/// in `service_ms` on average by one of `servers` slots.
pub fn mmc_yaml(
    name: &str,
    servers: u64,
    service_ms: f64,
    rate_per_s: f64,
    seconds: u64,
) -> String {
    format!(
        "name: {name}\nseed: 7\narchitecture:\n  svc: {{ kind: service, instances: 1, concurrency: {servers}, \
         service_time: {{ exponential: {{ mean: {service_ms}ms }} }} }}\n\
         workload:\n  model: open\n  timeout: 1h\n  stages: [ {{ hold: {seconds}s, rate: {rate_per_s}/s }} ]\n  \
         mix: {{ read: 100%, write: 0% }}\n"
    )
}
