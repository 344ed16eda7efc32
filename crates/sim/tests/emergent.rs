//! Behaviours that must come out of the model, not be scripted into it: retry storms,
//! connection storms, cascading timeouts, hot keys and cache miss storms.

mod common;

use common::{example, offered, run, variant};

#[test]
fn retries_multiply_the_offered_load_during_an_outage() {
    let o = run(&example("retry-storm"));
    // The database is paused from 60 s to 90 s; the API retries 3 times.
    let before = offered(&o, "db", 20, 55) as f64 / offered(&o, "client", 20, 55) as f64;
    let during = offered(&o, "db", 62, 88) as f64 / offered(&o, "client", 62, 88) as f64;
    eprintln!("db/client: {before} before, {during} during the outage");
    assert!(
        (0.95..=1.05).contains(&before),
        "db/client before the outage: {before}"
    );
    assert!(
        during > 3.0,
        "db/client during the outage: {during} (1 + 3 retries)"
    );
    let budget = run(&variant(
        &example("retry-storm"),
        &[("jitter: full }", "jitter: full, budget: 10% }")],
    ));
    let capped = offered(&budget, "db", 62, 88) as f64 / offered(&budget, "client", 62, 88) as f64;
    assert!(capped < 1.3, "a 10% retry budget caps the storm: {capped}");
}

#[test]
fn reconnecting_pools_storm_the_new_primary() {
    let o = run(&example("connection-storm"));
    let storm = o.summary.metrics.failure_classes.pool_exhausted;
    let calm = run(&variant(
        &example("connection-storm"),
        &[("connect_time: 40ms", "connect_time: 0ms")],
    ));
    let none = calm.summary.metrics.failure_classes.pool_exhausted;
    eprintln!("pool_exhausted in the transition: {storm} with 40 ms connects, {none} without");
    assert!(storm > 10 && none == 0);
}

#[test]
fn timeouts_cascade_up_a_chain() {
    let o = run(&example("cascading-timeouts"));
    let rate = |s: &str| {
        o.summary
            .components
            .iter()
            .find(|c| c.series == s)
            .unwrap()
            .transition
            .error_rate
            .unwrap_or(0.0)
    };
    let (web, orders, inventory) = (rate("web"), rate("orders"), rate("inventory"));
    eprintln!("transition error rates: web {web}, orders {orders}, inventory {inventory}");
    assert!(inventory < 0.01, "the slow edge's far end does not fail");
    assert!(orders > 0.5 && web > 0.5, "the failure climbs the chain");
}

#[test]
fn a_hot_key_saturates_one_shard() {
    let hot = run(&example("hot-key"));
    let even = run(&variant(
        &example("hot-key"),
        &[("share: 90%", "share: 0%")],
    ));
    let (h, e) = (
        &hot.summary.metrics.baseline,
        &even.summary.metrics.baseline,
    );
    let ph = hot.summary.metrics.latency_ms.baseline.p99.unwrap();
    let pe = even.summary.metrics.latency_ms.baseline.p99.unwrap();
    eprintln!(
        "p99 hot {ph} ms, even {pe} ms; success {:?} vs {:?}",
        h.success_rate, e.success_rate
    );
    assert!(ph > 5.0 * pe);
    assert!(h.success_rate.unwrap() < 0.95 && e.success_rate.unwrap() > 0.999);
}

#[test]
fn a_cold_cache_storms_its_backend() {
    let o = run(&example("cache-miss-storm"));
    let base = offered(&o, "db", 30, 60) as f64 / 30.0;
    let storm = offered(&o, "db", 60, 63) as f64 / 3.0;
    eprintln!("db offered per second: {base} before, {storm} after the flush");
    assert!(storm > 5.0 * base);
    assert!(
        o.summary.metrics.latency_ms.transition.p99.unwrap()
            > 10.0 * o.summary.metrics.latency_ms.baseline.p99.unwrap()
    );
}
