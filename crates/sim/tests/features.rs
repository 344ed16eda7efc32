//! Smaller mechanisms, each in a small experiment: health checks, autoscaling,
//! circuit breakers, zone loss, message loss, conditional faults, decision traces,
//! progress.

mod common;

use common::{marker_s, markers_from, offered, ok_failed, p99_ms_in, run, run_within};
use faultline_record::MarkerKind;

const BASE: &str = r#"
name: features
seed: 1
architecture:
  lb:
    kind: load_balancer
    targets: api
    health_check: { interval: 2s, timeout: 1s, unhealthy_after: 3, healthy_after: 2 }
  api:
    kind: service
    instances: 4
    zones: [a, b]
    concurrency: 32
    service_time: { exponential: { mean: 10ms } }
    timeout: 500ms
workload:
  model: open
  target: lb
  stages: [ { hold: 2m, rate: 400/s } ]
  mix: { read: 100%, write: 0% }
"#;

fn with_faults(faults: &str) -> String {
    format!("{BASE}faults:\n{faults}")
}

/// [`BASE`] with the clients behind the DNS name `front` (TTL 5 s, then `dns_extra`
/// fields) and a 1 s timeout, and `faults`.
fn behind_dns(dns_extra: &str, faults: &str) -> String {
    let text = BASE
        .replace(
            "  lb:\n",
            &format!("  front: {{ kind: dns, resolves_to: lb, ttl: 5s{dns_extra} }}\n  lb:\n"),
        )
        .replace("  target: lb\n", "  target: front\n  timeout: 1s\n");
    format!("{text}faults:\n{faults}")
}

#[test]
fn lb_health_checks_mark_a_dead_instance_down_after_the_threshold() {
    let o = run(&with_faults("  - { at: 60s, kill: api.1 }\n"));
    let detect = marker_s(&o, MarkerKind::Detect, "lb.health").expect("marked down") - 60.0;
    // 3 failed checks 2 s apart: between 4 and 6 s.
    assert!((4.0..=6.0).contains(&detect), "TTD {detect}");
    assert_eq!(
        o.summary.metrics.ttd_s.map(|t| (t * 1e3).round()),
        Some((detect * 1e3).round())
    );
    assert!(o.summary.metrics.recovered == Some(true));
}

/// A dead instance refuses a check at once; a paused one, or one a partition cuts
/// off, says nothing, and the balancer counts the failure when the check's timeout
/// (1 s here) expires. Regression: every failure was counted when the check was sent,
/// so a hung instance was marked down one timeout too early.
#[test]
fn lb_health_checks_learn_of_a_hung_instance_when_the_timeout_expires() {
    let detect_s = |fault: &str| {
        let o = run(&with_faults(&format!("  - {{ at: 60s, {fault} }}\n")));
        marker_s(&o, MarkerKind::Detect, "lb.health").expect("marked down") - 60.0
    };
    let killed = detect_s("kill: api.1");
    for hung in ["pause: api.1", "partition: { between: [lb, api.1] }"] {
        let late = detect_s(hung) - killed;
        assert!((late - 1.0).abs() < 1e-6, "{hung}: {late} s after a kill's");
    }
}

/// Two balancers in front of one service each keep their own view of its instances:
/// a partition between one of them and an instance is that balancer's business only.
/// Regression: they shared one set of counters, so the other balancer's passing checks
/// reset the failures and neither marked the instance down.
#[test]
fn each_balancer_judges_the_instances_by_its_own_health_checks() {
    let yaml = with_faults("  - { at: 60s, partition: { between: [lb_b, api.1] } }\n").replace(
        "  api:\n",
        "  lb_b:\n    kind: load_balancer\n    targets: api\n    \
         health_check: { interval: 2s, timeout: 1s, unhealthy_after: 3, healthy_after: 2 }\n  api:\n",
    );
    let o = run(&yaml);
    let down_by = |lb: &str| {
        o.record
            .markers
            .iter()
            .filter(|m| m.kind == MarkerKind::Health && m.source == format!("{lb}.health"))
            .filter(|m| m.detail.as_deref() == Some("down"))
            .count()
    };
    assert_eq!(down_by("lb_b"), 1, "the cut-off balancer marks api.1 down");
    assert_eq!(down_by("lb"), 0, "the other still reaches it");
}

/// `healthy_nodes` of a balancer counts the instances it routes to, as a cloud
/// balancer's healthy host count: an alert on it fires when the health checks mark a
/// killed instance down, not before. Regression: it was 1 while the balancer itself
/// was alive, so `below: 4` fired at the start of every run.
#[test]
fn healthy_nodes_of_a_balancer_counts_the_instances_it_routes_to() {
    let yaml = format!(
        "{}alerts:\n  - {{ name: lb-degraded, metric: healthy_nodes, of: lb, below: 4 }}\n",
        with_faults("  - { at: 60s, kill: api.1 }\n")
    );
    let o = run(&yaml);
    let fired = marker_s(&o, MarkerKind::Alert, "alert:lb-degraded").expect("fired");
    let detected = marker_s(&o, MarkerKind::Detect, "lb.health").expect("marked down");
    assert!(fired > 60.0, "fired at {fired} s, before the kill");
    assert!(
        fired >= detected && fired - detected <= 0.1,
        "fired at {fired} s, marked down at {detected} s (alerts are evaluated every 100 ms)"
    );
}

/// A dead balancer checks nothing, and comes back knowing nothing: it routes to its
/// instances at once, as at the start of the run. Regression: its checks went on
/// while it was dead, each failing, so it came back with every instance marked down
/// and answered 503 until `healthy_after` checks had passed again.
#[test]
fn a_balancer_back_from_the_dead_routes_at_once() {
    let o = run(&format!(
        "{}alerts:\n  - {{ name: lb-gone, metric: healthy_nodes, of: lb, below: 1 }}\n",
        with_faults("  - { at: 60s, kill: lb, duration: 30s }\n")
    ));
    // A dead balancer routes to nothing: its healthy_nodes is 0 from the kill.
    let fired = marker_s(&o, MarkerKind::Alert, "alert:lb-gone").expect("fired");
    assert!((60.0..=60.1).contains(&fired), "fired at {fired} s");
    let (ok, failed) = ok_failed(&o, "client", 90, 95);
    assert!(
        ok > 1500 && failed == 0,
        "{ok} ok, {failed} failed in the 5 s after it is back"
    );
    assert_eq!(
        markers_from(&o, "lb.health"),
        0,
        "it marked no instance down"
    );
}

/// A balancer that dies takes its connections with it: the requests it had passed on
/// fail at once (reset), and their answers, when they come, have nowhere to go.
/// Regression: a dead balancer refused new requests but still carried the answers of
/// those in flight back to their callers as successes.
#[test]
fn a_killed_balancer_resets_the_requests_it_had_passed_on() {
    let text = BASE
        .replace(
            "service_time: { exponential: { mean: 10ms } }",
            "service_time: { fixed: 300ms }",
        )
        .replace("    concurrency: 32\n", "    concurrency: 64\n");
    let o = run(&format!(
        "{text}faults:\n  - {{ at: 60s, kill: lb, duration: 10s }}\n"
    ));
    let (ok, failed) = ok_failed(&o, "client", 60, 70);
    assert!(
        ok == 0 && failed > 3000,
        "{ok} ok, {failed} failed while the balancer is dead"
    );
    // About 120 requests are in flight at any time (400/s for 300 ms each).
    let reset = o.summary.metrics.failure_classes.reset;
    assert!((100..=140).contains(&reset), "{reset} reset");
    let (ok, failed) = ok_failed(&o, "client", 71, 80);
    assert!(
        ok > 3000 && failed == 0,
        "{ok} ok, {failed} failed after it is back"
    );
}

/// A kill over a pause wins: the balancer drops the requests it was holding (their
/// callers see the connection reset), and when the kill heals it starts afresh and
/// routes, even though the pause has not ended yet. Regression: the held requests
/// stayed held, and the balancer took none until the pause ended, 10 s after the kill.
#[test]
fn a_balancer_killed_while_paused_drops_what_it_held_and_restarts_fresh() {
    let text = BASE.replace("  target: lb\n", "  target: lb\n  timeout: 30s\n");
    let o = run(&format!(
        "{text}faults:\n  - {{ at: 60s, pause: lb, duration: 20s }}\n  - {{ at: 65s, kill: lb, duration: 5s }}\n"
    ));
    let client = |from_s, to_s| ok_failed(&o, "client", from_s, to_s);
    let (ok, failed) = client(60, 65);
    assert!(
        ok == 0 && failed == 0,
        "{ok} ok, {failed} failed while paused"
    );
    // The 5 s held (400/s) are reset at the kill; those of the kill are refused.
    let reset = o.summary.metrics.failure_classes.reset;
    assert!((1800..=2200).contains(&reset), "{reset} reset");
    let (ok, failed) = client(71, 80);
    assert!(
        ok > 3000 && failed == 0,
        "{ok} ok, {failed} failed once the kill healed, inside the pause"
    );
}

/// A DNS server that is down (killed or paused alike) answers no lookup: clients keep
/// the answers they cached until these expire (TTL 5 s), then every lookup goes
/// unanswered and the operation times out (1 s); once the server is back, lookups are
/// answered again. Regression: both faults were accepted and changed nothing.
#[test]
fn a_dns_outage_serves_cached_answers_until_they_expire() {
    for action in ["kill", "pause"] {
        let o = run(&behind_dns(
            "",
            &format!("  - {{ at: 60s, {action}: front, duration: 20s }}\n"),
        ));
        let client = |from_s, to_s| ok_failed(&o, "client", from_s, to_s);
        let (cached_ok, _) = client(60, 62);
        assert!(
            cached_ok > 100,
            "{action}: {cached_ok} ok on cached answers"
        );
        let (ok, failed) = client(67, 80);
        assert!(
            ok == 0 && failed > 4000,
            "{action}: {ok} ok, {failed} failed once every answer expired"
        );
        let (ok, failed) = client(82, 90);
        assert!(
            ok > 3000 && failed == 0,
            "{action}: {ok} ok, {failed} failed after it is back"
        );
    }
}

/// With `lookup_timeout`, a client's resolver gives up on an unanswered lookup (200 ms
/// here) before the operation's own timeout (1 s): once the cached answers expired,
/// each operation fails with `other` after the lookup timeout instead of with `timeout`
/// after the call's.
#[test]
fn a_resolver_gives_up_on_an_unanswered_lookup_after_its_lookup_timeout() {
    let outage = |lookup_timeout: &str| {
        run(&behind_dns(
            lookup_timeout,
            "  - { at: 60s, kill: front, duration: 20s }\n",
        ))
    };
    let p99_ms_at_70 = |o: &common::Outcome| p99_ms_in(o, "client", 70);
    let resolver = outage(", lookup_timeout: 200ms");
    let classes = &resolver.summary.metrics.failure_classes;
    assert!(classes.other > 4000 && classes.timeout == 0, "{classes:?}");
    let p99 = p99_ms_at_70(&resolver);
    assert!((200.0..=210.0).contains(&p99), "p99 {p99} ms in second 70");
    let (ok, failed) = ok_failed(&resolver, "client", 82, 90);
    assert!(
        ok > 3000 && failed == 0,
        "{ok} ok, {failed} failed after it is back"
    );

    let call = outage("");
    let classes = &call.summary.metrics.failure_classes;
    assert!(classes.timeout > 4000 && classes.other == 0, "{classes:?}");
    let p99 = p99_ms_at_70(&call);
    assert!(
        (1000.0..=1010.0).contains(&p99),
        "p99 {p99} ms in second 70"
    );
}

/// A paused balancer takes requests and answers nothing: over a long pause every
/// attempt through it times out (2 s here), it checks nothing, and once it resumes it
/// routes again. The requests it takes while paused, and the answers of those it had
/// passed on, go on when it resumes: under a pause shorter than the timeout nothing
/// fails, it only waits. Regression: the fault was accepted and changed nothing.
#[test]
fn a_paused_balancer_answers_nothing_until_it_resumes() {
    let text = BASE.replace("  target: lb\n", "  target: lb\n  timeout: 2s\n");
    let o = run(&format!(
        "{text}faults:\n  - {{ at: 60s, pause: lb, duration: 10s }}\n"
    ));
    let client = |from_s, to_s| ok_failed(&o, "client", from_s, to_s);
    let (ok, failed) = client(61, 70);
    assert!(
        ok == 0 && failed > 3000,
        "{ok} ok, {failed} failed while paused"
    );
    let (ok, failed) = client(73, 80);
    assert!(
        ok > 2500 && failed == 0,
        "{ok} ok, {failed} failed after it resumed"
    );
    assert_eq!(
        markers_from(&o, "lb.health"),
        0,
        "it marked no instance down"
    );

    let brief = run(&format!(
        "{text}faults:\n  - {{ at: 60s, pause: lb, duration: 500ms }}\n"
    ));
    let waited = p99_ms_in(&brief, "client", 60);
    let failed: u64 = brief.seconds["client"].iter().map(|p| p.failed).sum();
    assert_eq!(
        failed, 0,
        "a 500 ms pause under a 2 s timeout fails nothing"
    );
    assert!(
        waited >= 400.0,
        "p99 {waited} ms in second 60: answers held by the pause"
    );
}

#[test]
fn losing_a_zone_kills_its_instances_and_the_rest_serve() {
    let o = run(&with_faults("  - { at: 60s, kill_zone: a }\n"));
    let downs = o
        .record
        .markers
        .iter()
        .filter(|m| m.kind == MarkerKind::Health && m.detail.as_deref() == Some("down"))
        .count();
    assert_eq!(downs, 2, "api.0 and api.2 are in zone a");
    assert_eq!(o.summary.metrics.recovered, Some(true));
}

#[test]
fn message_loss_turns_into_timeouts() {
    let o = run(&with_faults(
        "  - { at: 60s, duration: 20s, loss: { between: [lb, api], rate: 20% } }\n",
    ));
    let timeouts = o.summary.metrics.failure_classes.timeout;
    assert!(timeouts > 500, "{timeouts} timeouts");
}

#[test]
fn a_fault_can_wait_for_the_load_level_or_a_signal() {
    let text = BASE.replace("stages: [ { hold: 2m, rate: 400/s } ]", "stages: [ { hold: 30s, rate: 100/s }, { ramp: 60s, to: 700/s } ]")
        + "faults:\n  - { when: { rate: 400/s }, kill: api.0 }\n  - { when: { signal: lb.health, delay: 5s }, kill: api.1 }\n";
    let o = run(&text);
    let first = marker_s(&o, MarkerKind::FaultInjected, "fault:0").expect("injected");
    assert!(
        (59.0..=61.0).contains(&first),
        "rate reaches 400/s at 60 s, injected at {first}"
    );
    let detect = marker_s(&o, MarkerKind::Detect, "lb.health").unwrap();
    let second = marker_s(&o, MarkerKind::FaultInjected, "fault:1").expect("injected");
    assert!((second - detect - 5.0).abs() < 1e-6);
}

#[test]
fn autoscaling_adds_instances_that_cold_start_and_warm_up() {
    let text = BASE
        .replace("stages: [ { hold: 2m, rate: 400/s } ]", "stages: [ { hold: 30s, rate: 400/s }, { ramp: 30s, to: 4000/s }, { hold: 2m } ]")
        .replace("    concurrency: 32\n", "    concurrency: 8\n")
        .replace("    timeout: 500ms\n", "    timeout: 500ms\n    cold_start: 5s\n    warm_up: { duration: 20s }\n    autoscaling: { target_utilization: 50%, min: 4, max: 16, evaluate_every: 5s, cooldown: 20s, provisioning_delay: 10s }\n");
    let o = run(&text);
    let outs = markers_from(&o, "autoscaler");
    let starts = markers_from(&o, "instance.start");
    assert!(
        outs >= 1 && starts >= 1,
        "scale-outs {outs}, starts {starts}"
    );
    let last = o.seconds["client"]
        .iter()
        .filter(|p| p.t_s >= 170 && p.t_s < 180);
    let (ok, offered_load): (u64, u64) = last.fold((0, 0), |(a, b), p| (a + p.ok, b + p.offered));
    assert!(
        ok as f64 > 0.95 * offered_load as f64,
        "after scaling out the service keeps up: {ok} of {offered_load}"
    );
}

/// Regression: clients calling a service directly (no balancer) spread their calls
/// over its instances, the ones an autoscaler was still provisioning included: those
/// refused, so a fifth to a third of all operations failed during every scale-out.
/// An instance is routed to from its start (here with no cold start: from then on it
/// serves), not from the decision to provision it.
#[test]
fn clients_of_a_service_call_no_instance_before_it_starts() {
    let text = BASE
        .replace("  target: lb\n", "  target: api\n")
        .replace("stages: [ { hold: 2m, rate: 400/s } ]", "stages: [ { hold: 30s, rate: 400/s }, { ramp: 30s, to: 4000/s }, { hold: 1m } ]")
        .replace("    concurrency: 32\n", "    concurrency: 8\n")
        .replace("    timeout: 500ms\n", "    timeout: 500ms\n    autoscaling: { target_utilization: 50%, min: 4, max: 16, evaluate_every: 5s, cooldown: 20s, provisioning_delay: 10s }\n");
    let o = run(&text);
    let starts = markers_from(&o, "instance.start");
    assert!(starts >= 4, "{starts} instances started");
    let failed: u64 = o.seconds["client"].iter().map(|p| p.failed).sum();
    assert_eq!(failed, 0, "operations failed while the service scaled out");
}

#[test]
fn a_circuit_breaker_stops_calls_to_a_failing_dependency() {
    let (arch, workload) = BASE.split_once("workload:").expect("BASE has a workload");
    let arch = arch.replace(
        "    timeout: 500ms\n",
        "    timeout: 2s\n    circuit_breaker: { failure_ratio: 50%, window: 5s, min_calls: 20, open_for: 10s }\n    calls: [ { to: db, timeout: 200ms } ]\n",
    );
    let db = "  db: { kind: database, topology: single, concurrency: 64, read_time: { fixed: 2ms }, write_time: { fixed: 2ms } }\n";
    let text = format!(
        "{arch}{db}workload:{workload}faults:\n  - {{ at: 60s, duration: 30s, pause: db }}\n"
    );
    let o = run(&text);
    let calls = offered(&o, "db", 70, 88) as f64 / 18.0;
    let clients = offered(&o, "client", 70, 88) as f64 / 18.0;
    assert!(
        calls < 0.2 * clients,
        "breaker open: {calls} db calls/s for {clients} client ops/s"
    );
}

/// Half-open: after `open_for` one trial call goes through; while the dependency stays
/// down each caller instance sends one trial per `open_for` + the trial's timeout,
/// not a burst of `min_calls`; once it is back a trial succeeds and closes the breaker.
#[test]
fn a_half_open_breaker_sends_one_trial_per_open_period_and_closes_on_success() {
    let (arch, workload) = BASE.split_once("workload:").expect("BASE has a workload");
    let arch = arch.replace(
        "    timeout: 500ms\n",
        "    timeout: 2s\n    circuit_breaker: { failure_ratio: 50%, window: 5s, min_calls: 20, open_for: 2s }\n    calls: [ { to: db, timeout: 200ms } ]\n",
    );
    let db = "  db: { kind: database, topology: single, concurrency: 64, read_time: { fixed: 2ms }, write_time: { fixed: 2ms } }\n";
    let text = format!(
        "{arch}{db}workload:{workload}faults:\n  - {{ at: 60s, duration: 30s, pause: db }}\n"
    );
    let o = run(&text);
    // The 5 s window still holds the baseline's successes, so the breakers open about
    // 2.5 s into the pause. From 64 s each of the 4 instances sends a trial every
    // open_for (2 s) + timeout (0.2 s) until the pause ends at 90 s; without the
    // half-open state each period let through a burst of at least min_calls (20).
    let trials = offered(&o, "db", 64, 90) as f64;
    let predicted = 4.0 * 26.0 / 2.2;
    assert!(
        (0.7 * predicted..=1.3 * predicted).contains(&trials),
        "{trials} calls reached the paused db, the model predicts {predicted:.0}"
    );
    // Back at 90 s: the next trials succeed (within one open period) and close the
    // breakers, so every client operation calls the db again.
    let calls = offered(&o, "db", 93, 110) as f64;
    let clients = offered(&o, "client", 93, 110) as f64;
    assert!(
        calls > 0.98 * clients,
        "breakers closed: {calls} db calls for {clients} client ops"
    );
}

#[test]
fn decision_points_are_traced_on_request() {
    let text = with_faults("  - { at: 60s, kill: api.1 }\n");
    let experiment = faultline_spec::parse(&text, "t.yaml".as_ref()).unwrap();
    let mut sim = faultline_sim::Simulation::new(&experiment, 1).unwrap();
    sim.enable_trace();
    let dir = tempfile::tempdir().unwrap();
    let rec = faultline_record::Recorder::create(
        dir.path(),
        faultline_record::RunMeta::new("t", faultline_record::Engine::Sim, 1),
        &text,
    )
    .unwrap();
    let (_, sim) = sim.run_to_end(rec, &mut |_| {}).unwrap();
    let down: Vec<_> = sim
        .trace()
        .iter()
        .filter(|d| d.site == "lb.health.down")
        .collect();
    assert!(down.iter().any(|d| d.taken && d.margin == 0.0));
    assert!(down.iter().any(|d| !d.taken && d.margin < 0.0));
}

#[test]
fn the_unrecorded_fast_path_gives_the_same_run() {
    let text = with_faults("  - { at: 60s, kill: api.1 }\n");
    let experiment = faultline_spec::parse(&text, "t.yaml".as_ref()).unwrap();
    let fast = faultline_sim::Simulation::new(&experiment, 1)
        .unwrap()
        .run_unrecorded();
    let recorded = run(&text);
    assert_eq!(fast.client_operations(), recorded.sim.client_operations());
    assert_eq!(
        fast.component_stats("api"),
        recorded.sim.component_stats("api")
    );
}

/// Progress reports the operations of the second before each whole second: at 400/s,
/// about 400 (a window one slot short would show 360).
#[test]
fn progress_reports_the_rate_of_the_last_whole_second() {
    let experiment = faultline_spec::parse(BASE, "t.yaml".as_ref()).unwrap();
    let sim = faultline_sim::Simulation::new(&experiment, 1).unwrap();
    let (rec, _memory) = faultline_record::Recorder::in_memory(
        faultline_record::RunMeta::new("features", faultline_record::Engine::Sim, 1),
        BASE,
    );
    let mut rates = Vec::new();
    sim.run_to_end(rec, &mut |p| {
        // Whole seconds past the first, within the load (2 minutes).
        if (1_000_000..120_000_000).contains(&p.elapsed_us) && p.phase == "baseline" {
            rates.push(p.rate_per_s);
        }
    })
    .expect("the run completes");
    assert_eq!(rates.len(), 119, "one report per whole second");
    rates.sort_by(f64::total_cmp);
    let median = rates[rates.len() / 2];
    // Poisson counts of mean 400 have a spread of 20; their median over 119 seconds is
    // within a few of 400.
    assert!((388.0..=412.0).contains(&median), "median {median} ops/s");
}

/// Validation accepts `db.replica` (the live engine's word) for the standby, so the
/// simulator must resolve it too rather than fail at run time.
#[test]
fn replica_names_the_standby_like_standby_does() {
    let experiment = |target: &str| {
        format!(
            r#"
name: replica-alias
seed: 1
architecture:
  db:
    kind: database
    topology: active_passive
    concurrency: 16
    read_time: {{ fixed: 2ms }}
    write_time: {{ fixed: 2ms }}
    replication: {{ mode: sync, lag: {{ fixed: 1ms }} }}
    failover: {{ check_every: 1s, fail_after: 3, promote_in: 5s }}
workload:
  model: open
  target: db
  stages: [ {{ hold: 40s, rate: 100/s }} ]
  mix: {{ read: 50%, write: 50% }}
faults:
  - {{ at: 20s, kill: {target} }}
"#
        )
    };
    let standby = run(&experiment("db.standby"));
    let replica = run(&experiment("db.replica"));
    // The same node dies: the same run, but for the target's name in the markers.
    assert_eq!(standby.record.buckets, replica.record.buckets);
    assert_eq!(
        standby.summary.metrics.error_rate,
        replica.summary.metrics.error_rate
    );
}

/// The gaps between the intended starts of one virtual user's operations (all
/// writes to a database, so the ledger holds them all), in milliseconds: its answer
/// time (a fixed 10 ms) plus the think time written as `think`.
fn one_user_gaps_ms(think: &str) -> Vec<f64> {
    let o = run(&format!(
        "name: think\nseed: 4\narchitecture:\n  db: {{ kind: database, topology: single, \
         concurrency: 1, read_time: {{ fixed: 10ms }}, write_time: {{ fixed: 10ms }} }}\n\
         workload:\n  think_time: {think}\n  stages: [ {{ hold: 60s, users: 1 }} ]\n  \
         mix: {{ read: 0%, write: 100% }}\n"
    ));
    let mut starts: Vec<u64> = o.record.ledger.iter().map(|e| e.t_intended_us).collect();
    starts.sort_unstable();
    starts
        .windows(2)
        .map(|w| (w[1] - w[0]) as f64 / 1000.0)
        .collect()
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

#[test]
fn think_time_is_drawn_from_its_distribution() {
    let fixed = one_user_gaps_ms("{ fixed: 90ms }");
    assert!(fixed.len() > 500, "{} operations", fixed.len());
    assert!(fixed.iter().all(|g| *g == 100.0), "{fixed:?}");

    // A bare duration is the mean of exponential pauses: the same mean, and some
    // pauses far shorter (an exponential is below a third of its mean 28% of the time).
    let exponential = one_user_gaps_ms("90ms");
    assert!(
        (mean(&exponential) / 100.0 - 1.0).abs() < 0.1,
        "mean gap {} ms",
        mean(&exponential)
    );
    assert!(exponential.iter().filter(|g| **g < 40.0).count() > exponential.len() / 5);

    let uniform = one_user_gaps_ms("{ uniform: { min: 40ms, max: 140ms } }");
    assert!(
        uniform.iter().all(|g| (50.0..=150.0).contains(g)),
        "{uniform:?}"
    );
    assert!(uniform.iter().any(|g| *g < 60.0) && uniform.iter().any(|g| *g > 140.0));
    assert!(
        (mean(&uniform) / 100.0 - 1.0).abs() < 0.05,
        "mean gap {} ms",
        mean(&uniform)
    );
}

/// Wall time after which a run of a few simulated seconds has surely stopped its clock
/// (it takes well under a second; generous for a loaded machine and a debug build).
const STUCK_CLOCK_LIMIT: std::time::Duration = std::time::Duration::from_secs(120);

/// Regression: a user without think time whose operation was refused at once (network
/// time is zero) started its next one in the same microsecond, for ever: the clock
/// stopped, `faultline run` never returned and its memory grew until it was killed.
/// A user now starts at most one operation per microsecond.
#[test]
fn a_user_without_think_time_refused_at_once_lets_the_clock_move() {
    let o = run_within(
        "name: spin\n\
         architecture:\n  api: { kind: service, instances: 1, concurrency: 1, \
         service_time: { fixed: 10ms } }\n\
         workload:\n  stages: [ { hold: 2s, users: 1 } ]\n  mix: { read: 100%, write: 0% }\n\
         faults:\n  - { at: 1900ms, kill: api }\n",
        STUCK_CLOCK_LIMIT,
    );
    let refused = o.summary.metrics.failure_classes.refused;
    // 100 ms of refusals, one per microsecond at most.
    assert!(
        (1_000..=100_001).contains(&refused),
        "{refused} refused operations"
    );
}

/// Regression: the same instant loop without any fault: with `queue_limit: 0`, a
/// second user finds the only slot busy, is refused with a 503 in the instant it asked
/// and, thinking for no time, asked again in that instant for ever.
#[test]
fn a_user_without_think_time_turned_away_by_a_full_queue_lets_the_clock_move() {
    let o = run_within(
        "name: full\n\
         architecture:\n  api: { kind: service, instances: 1, concurrency: 1, queue_limit: 0, \
         service_time: { fixed: 10ms } }\n\
         workload:\n  stages: [ { hold: 1s, users: 2 } ]\n  mix: { read: 100%, write: 0% }\n",
        STUCK_CLOCK_LIMIT,
    );
    let ok = o.summary.metrics.baseline.operations;
    assert!(ok > 100, "{ok} operations");
}

/// Regression: an attempt that timed out stayed open through its retry's backoff, so
/// its late answer ended the call as a success (and a timeout firing after an early
/// failure ended it a second time). Here every `db` answer (150 ms) comes after the
/// call's 100 ms timeout: each operation must fail after both attempts timed out, at
/// about 1 + 100 + 500 + 100 ms, and `db` must see both attempts.
#[test]
fn a_late_answer_during_the_retry_backoff_does_not_end_the_call() {
    let o = run("name: late-answer\n\
         architecture:\n  api: { kind: service, instances: 1, concurrency: 100, \
         service_time: { fixed: 1ms }, calls: [ { to: db, timeout: 100ms } ], \
         retries: { max: 1, backoff: 500ms, jitter: none } }\n  \
         db: { kind: database, topology: single, concurrency: 100, \
         read_time: { fixed: 150ms }, write_time: { fixed: 150ms } }\n\
         workload:\n  think_time: { fixed: 100ms }\n  stages: [ { hold: 20s, users: 10 } ]\n  \
         mix: { read: 100%, write: 0% }\n");
    let baseline = &o.summary.metrics.baseline;
    assert_eq!(baseline.success_rate, Some(0.0), "{baseline:?}");
    let p50_ms = o.summary.metrics.latency_ms.baseline.p50;
    assert!(
        p50_ms.is_some_and(|p| (690.0..720.0).contains(&p)),
        "baseline p50 {p50_ms:?} ms"
    );
    let ops = o.sim.client_operations();
    let db = o.sim.component_stats("db").expect("db").arrivals;
    assert!(db >= 2 * ops - 20, "{db} db requests for {ops} operations");
}

/// A retry budget counts the first attempts of the last 10 s before the retry. Here
/// 100 first attempts in the first second all time out 15 s later, when the last
/// 10 s held none: no retry is allowed. Regression: the window was read as of the
/// last attempt counted, 15 s stale, and let one retry through.
#[test]
fn a_retry_budget_counts_the_first_attempts_of_the_last_ten_seconds() {
    let o = run("name: budget-window\n\
         architecture:\n  api: { kind: service, instances: 1, concurrency: 1000, \
         service_time: { fixed: 1ms }, calls: [ { to: db, timeout: 15s } ], \
         retries: { max: 1, backoff: 10ms, jitter: none, budget: 50% } }\n  \
         db: { kind: database, topology: single, concurrency: 1000, \
         read_time: { fixed: 1ms }, write_time: { fixed: 1ms } }\n\
         workload:\n  model: open\n  timeout: 1m\n  \
         stages: [ { hold: 1s, rate: 100/s }, { hold: 30s, rate: 0/s } ]\n  \
         mix: { read: 100%, write: 0% }\n\
         faults:\n  - { at: 0s, pause: db, duration: 25s }\n");
    let ops = o.sim.client_operations();
    let db = o.sim.component_stats("db").expect("db").arrivals;
    assert!(ops > 50, "{ops} operations");
    assert_eq!(db, ops, "{db} db requests for {ops} operations: no retry");
}

/// Regression: a paused node went on with its requests' calls: the answers `db` sent
/// to a paused `api` were read, and `api` answered its clients, during the pause.
/// A paused process reads nothing and runs no timer: the 20 or so requests waiting on
/// `db` when `api` stops (100/s × 200 ms) complete when it resumes, not before.
#[test]
fn a_paused_caller_answers_nothing_until_it_resumes() {
    let o = run("name: paused-caller\n\
         architecture:\n  api: { kind: service, instances: 1, concurrency: 100, \
         service_time: { fixed: 1ms }, calls: [ { to: db, timeout: 10s } ] }\n  \
         db: { kind: database, topology: single, concurrency: 100, \
         read_time: { fixed: 200ms }, write_time: { fixed: 200ms } }\n\
         workload:\n  model: open\n  stages: [ { hold: 30s, rate: 100/s } ]\n  timeout: 20s\n  \
         mix: { read: 100%, write: 0% }\n\
         phases: { baseline: 10s }\n\
         faults:\n  - { at: 15s, duration: 5s, pause: api }\n");
    let ok_in = |from_s, to_s| ok_failed(&o, "client", from_s, to_s).0;
    assert_eq!(ok_in(15, 20), 0, "operations answered while api was paused");
    // Those waiting on db at the pause complete at the resume, with the others.
    assert!(
        ok_in(20, 21) > 20,
        "{} ok in the second of the resume",
        ok_in(20, 21)
    );
    assert_eq!(o.summary.metrics.failure_classes, Default::default());
}

/// An edge fault between two components that never exchange a message changes
/// nothing: without a note, the run passes and reads as a design that survived a
/// partition it never saw. Here the clients call `api` only, and `api` calls `db`.
#[test]
fn an_edge_fault_between_components_that_never_talk_is_noted_as_changing_nothing() {
    let o = run("name: unused-edge\n\
         seed: 3\n\
         architecture:\n  api: { kind: service, instances: 2, concurrency: 32, \
         service_time: { fixed: 2ms }, calls: [ { to: db, timeout: 1s } ] }\n  \
         db: { kind: database, topology: single, concurrency: 32, \
         read_time: { fixed: 1ms }, write_time: { fixed: 2ms } }\n\
         workload:\n  model: open\n  target: api\n  stages: [ { hold: 2m, rate: 200/s } ]\n  \
         mix: { read: 50%, write: 50% }\n\
         faults:\n  \
         - { at: 60s, duration: 10s, partition: { between: [client, db] } }\n  \
         - { at: 80s, duration: 10s, partition: { between: [api, db] } }\n  \
         - { at: 100s, latency: { between: [db, client], add: 50ms } }\n");
    let notes: Vec<_> = o
        .record
        .markers
        .iter()
        .filter(|m| m.kind == MarkerKind::Note && m.source.starts_with("fault:"))
        .collect();
    let sources: Vec<&str> = notes.iter().map(|m| m.source.as_str()).collect();
    // The partition that cut api from db applied: no note. The latency fault still
    // active at the end is noted when it is rolled back.
    assert_eq!(sources, ["fault:0", "fault:2"], "{notes:#?}");
    assert_eq!(marker_s(&o, MarkerKind::Note, "fault:0"), Some(70.0));
    assert_eq!(
        notes[0].detail.as_deref(),
        Some(
            "no message went between client and db while the fault was active, so it \
             changed nothing: in this design client and db do not exchange messages \
             directly (client talks to api; db to api), so the fault may need to be \
             between components that do, such as client and api"
        )
    );
    assert_eq!(notes[0].component.as_deref(), Some("client <-> db"));
    assert!(
        notes[1]
            .detail
            .as_deref()
            .is_some_and(|d| d.starts_with("no message went between db and client")),
        "{:?}",
        notes[1].detail
    );
    // The partition between api and db did cut traffic: clients failed meanwhile,
    // while the one between client and db failed none of them.
    let failed = |from_s, to_s| ok_failed(&o, "client", from_s, to_s).1;
    assert_eq!(failed(60, 70), 0);
    assert!(failed(81, 90) > 100, "{} failed", failed(81, 90));
    // The summary's timeline carries the notes, for the reports' findings.
    let on_timeline: Vec<&str> = o
        .summary
        .timeline
        .iter()
        .filter(|e| e.kind == "note")
        .map(|e| e.source.as_str())
        .collect();
    assert_eq!(on_timeline, ["fault:0", "fault:2"]);
}
