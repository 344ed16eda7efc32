//! Every broken fixture in `tests/fixtures/invalid/` and the exact problems it must
//! produce: file:line:col, field path and message. One `check` helper drives them all.
//!
//! When a message changes on purpose, run with `PRINT_ACTUAL=1` to print the actual
//! problems of every failing fixture in the form used below.

use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Parses `invalid/<file>` and asserts it fails with exactly `expected`, in order.
fn check(file: &str, expected: &[&str]) {
    let path = fixtures().join("invalid").join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let errors = match faultline_spec::parse(&text, Path::new(file)) {
        Ok(_) => panic!("{file} is valid, but it is kept as an invalid fixture"),
        Err(errors) => errors,
    };
    if errors.problems != expected && std::env::var_os("PRINT_ACTUAL").is_some() {
        println!("(\"{file}\", &[");
        for problem in &errors.problems {
            println!("    {problem:?},");
        }
        println!("]),");
    }
    assert_eq!(errors.problems, expected, "problems of {file}");
    assert_eq!(errors.diagnostics.len(), expected.len());
}

const CASES: &[(&str, &[&str])] = &[
    // Shape: the schema generated from the model.
    ("unknown-field.yaml", &[
        "unknown-field.yaml:11:5: architecture.api.instancess: unknown field `instancess` (did you mean `instances`?); allowed here: `autoscaling`, `calls`, `circuit_breaker`, `cold_start`, `concurrency`, `instances`, `kind`, `pools`, `queue_limit`, `retries`, `service_time`, `spares`, `timeout`, `warm_up`, `zones`",
    ]),
    ("missing-field.yaml", &[
        "missing-field.yaml:26:5: architecture.db.failover.promote_in: required field is missing: give a duration such as `500ms`, `90s`, `2m30s`, `1h` or `250us`",
    ]),
    ("wrong-type.yaml", &[
        "wrong-type.yaml:13:18: architecture.api.concurrency: expected a whole number, found the text `lots`",
    ]),
    ("steady-state-share-above-100.yaml", &[
        "steady-state-share-above-100.yaml:34:40: phases.steady_state.max_backlog: `150%` is not a share such as `10%`, `0.1%` or a fraction between 0 and 1",
    ]),
    ("duration-without-unit.yaml", &[
        "duration-without-unit.yaml:4:45: architecture.front.ttl: `30` has no unit: write a duration such as `500ms`, `90s`, `2m30s`, `1h` or `250us`",
        "duration-without-unit.yaml:8:31: architecture.lb.health_check.interval: `5` has no unit: write a duration such as `500ms`, `90s`, `2m30s`, `1h` or `250us`",
    ]),
    ("bad-enum-value.yaml", &[
        "bad-enum-value.yaml:7:16: architecture.lb.algorithm: `least_outstandin` is not allowed here (did you mean `least_outstanding`?); expected one of `round_robin`, `least_outstanding`, `power_of_two_choices`, `random`",
    ]),
    ("unknown-kind.yaml", &[
        "unknown-kind.yaml:19:11: architecture.db.kind: `databse` is not a kind (did you mean `database`?); expected one of `dns`, `load_balancer`, `service`, `database`, `cache`",
    ]),
    ("bad-distribution.yaml", &[
        "bad-distribution.yaml:14:21: architecture.api.service_time.log_normal: unknown field `log_normal` (did you mean `lognormal`?); expected one of `fixed`, `exponential`, `lognormal`, `uniform`",
    ]),
    ("duplicate-key.yaml", &[
        "duplicate-key.yaml:23:5: duplicate key `concurrency` (first given at line 22); give each key once",
    ]),
    ("yaml-syntax.yaml", &[
        "yaml-syntax.yaml:34:7: workload.mix: YAML syntax error: while parsing a flow mapping, did not find expected ',' or '}'",
    ]),
    ("many-shape-problems.yaml", &[
        "many-shape-problems.yaml:4:45: architecture.front.ttl: `30` has no unit: write a duration such as `500ms`, `90s`, `2m30s`, `1h` or `250us`",
        "many-shape-problems.yaml:11:5: architecture.api.instancess: unknown field `instancess` (did you mean `instances`?); allowed here: `autoscaling`, `calls`, `circuit_breaker`, `cold_start`, `concurrency`, `instances`, `kind`, `pools`, `queue_limit`, `retries`, `service_time`, `spares`, `timeout`, `warm_up`, `zones`",
        "many-shape-problems.yaml:19:11: architecture.db.kind: `databse` is not a kind (did you mean `database`?); expected one of `dns`, `load_balancer`, `service`, `database`, `cache`",
        "many-shape-problems.yaml:33:33: workload.mix.wirte: unknown field `wirte` (did you mean `write`?); allowed here: `read`, `write`",
        "many-shape-problems.yaml:39:16: expect.lost_writes: `about none` is not a threshold such as `<= 30s`, `< 0.1%` or `== 0` (operators: <, <=, ==, >=, >)",
    ]),
    // Meaning: references between names.
    ("unknown-fault-target.yaml", &[
        "unknown-fault-target.yaml:35:24: faults[0].kill: no component named `dbb` (did you mean `db`?); the components are `front`, `lb`, `api`, `cache`, `db`",
    ]),
    ("bad-role.yaml", &[
        "bad-role.yaml:35:24: faults[0].kill: `leader` is not a role of `db`; valid targets are `db`, `db.primary`, `db.standby`, `db.replica`, `db.controller`",
    ]),
    ("role-on-a-service.yaml", &[
        "role-on-a-service.yaml:35:24: faults[0].kill: `primary` is a database role, but `api` is a service: name it whole (`api`) or one instance (`api.0`)",
    ]),
    ("instance-out-of-range.yaml", &[
        "instance-out-of-range.yaml:35:24: faults[0].kill: `api` has 3 instances, numbered from 0: `api.0` to `api.2`",
    ]),
    ("unknown-zone.yaml", &[
        "unknown-zone.yaml:35:29: faults[0].kill_zone: no component is placed in zone `c`; the zones in use are `a`, `b`",
    ]),
    ("unknown-edge-end.yaml", &[
        "unknown-edge-end.yaml:35:44: faults[0].latency.between[1]: no component named `cach` (did you mean `cache`?); the components are `front`, `lb`, `api`, `cache`, `db`",
    ]),
    ("dns-change-not-dns.yaml", &[
        "dns-change-not-dns.yaml:35:38: faults[0].dns_change.name: `lb` is a load_balancer, but this must name a dns; the dns components are `front`",
    ]),
    ("lb-targets-not-a-service.yaml", &[
        "lb-targets-not-a-service.yaml:7:14: architecture.lb.targets: `db` is a database, but this must name a service; the service components are `api`",
    ]),
    ("unknown-call.yaml", &[
        "unknown-call.yaml:16:20: architecture.api.calls[0].to: no component named `cahce` (did you mean `cache`?); the components are `front`, `lb`, `api`, `cache`, `db`",
    ]),
    ("pool-without-call.yaml", &[
        "pool-without-call.yaml:15:14: architecture.api.pools.dbs: no call goes to `dbs`: pools are keyed by the service's call targets, here `cache`, `db`",
    ]),
    ("failover-dns-missing.yaml", &[
        "failover-dns-missing.yaml:26:5: architecture.db.failover.dns: required with `clients_find_primary_by: dns`: the DNS component the controller repoints; the dns components are `front`",
    ]),
    ("unknown-cache-backend.yaml", &[
        "unknown-cache-backend.yaml:17:34: architecture.cache.backend: no component named `store`; the components are `front`, `lb`, `api`, `cache`, `db`",
    ]),
    ("unknown-workload-target.yaml", &[
        "unknown-workload-target.yaml:28:11: workload.target: no component named `frnt` (did you mean `front`?); the components are `front`, `lb`, `api`, `cache`, `db`",
    ]),
    ("unknown-alert-component.yaml", &[
        "unknown-alert-component.yaml:35:52: alerts[0].of: no component named `apii` (did you mean `api`?); the components are `front`, `lb`, `api`, `cache`, `db`",
    ]),
    ("unknown-signal.yaml", &[
        "unknown-signal.yaml:36:21: signals.detect[0]: `dbb.failover.detect` names no component, alert or probe (did you mean `db`?); signals are written `<component>.<event>` (e.g. `db.failover.activate`), `alert:<name>`, `probe:<name>` or `fault:<index>.injected`",
    ]),
    ("signal-never-recorded.yaml", &[
        "signal-never-recorded.yaml:33:23: faults[1].when.signal: `lb.health` never fires: `lb` (a load_balancer) records no signal of its own; a database with `failover` or `monitor` records `<name>.failover.detect` (detect), `<name>.failover.activate` (activate), `<name>.failover`; a load balancer with `health_check` records `<name>.health` (detect)",
        "signal-never-recorded.yaml:34:23: faults[2].when.signal: `api.failover` never fires: `api` (a service) records no signal of its own; a database with `failover` or `monitor` records `<name>.failover.detect` (detect), `<name>.failover.activate` (activate), `<name>.failover`; a load balancer with `health_check` records `<name>.health` (detect)",
        "signal-never-recorded.yaml:36:21: signals.detect[0]: `db.failover.detetc` never fires: `db` records no such detect signal (did you mean `db.failover.detect`?); its detect signals are `db.failover.detect`",
        "signal-never-recorded.yaml:36:41: signals.detect[1]: `sessions.failover.detect` never fires: `sessions` (a database) records no detect signal of its own; a database with `failover` or `monitor` records `<name>.failover.detect` (detect), `<name>.failover.activate` (activate), `<name>.failover`; a load balancer with `health_check` records `<name>.health` (detect)",
        "signal-never-recorded.yaml:36:79: signals.activate[0]: `db.failover.detect` never fires: `db` records no such activate signal (did you mean `db.failover.activate`?); its activate signals are `db.failover.activate`",
    ]),
    ("bad-fault-signal.yaml", &[
        "bad-fault-signal.yaml:36:23: faults[1].when.signal: `fault:5.injected`: fault signals are `fault:<index>.injected` or `fault:<index>.healed`, with an index from 0 to 2 (there are 3 faults)",
        "bad-fault-signal.yaml:37:23: faults[2].when.signal: `fault:0.started`: fault signals are `fault:<index>.injected` or `fault:<index>.healed`, with an index from 0 to 2 (there are 3 faults)",
    ]),
    ("unknown-action.yaml", &[
        "unknown-action.yaml:35:26: faults[0].action: no action named `stop-db`: actions are declared in `live.actions` (e.g. `live: { actions: { stop-db: { command: [...] } } }`)",
    ]),
    ("dependency-cycle.yaml", &[
        "dependency-cycle.yaml:17:10: architecture.cache: requests go round in a cycle: lb -> api -> cache -> lb; a request would never finish",
    ]),
    // Meaning: faults and their schedule.
    ("fault-with-two-actions.yaml", &[
        "fault-with-two-actions.yaml:35:5: faults[0]: a fault has exactly one action; this one has `kill`, `pause`: write one fault each (they may share the same `at`)",
    ]),
    ("fault-without-time.yaml", &[
        "fault-without-time.yaml:35:5: faults[0]: a fault needs `at:` (a time from the start, e.g. `90s`) or `when:` (a condition, e.g. `{ users: 300 }`)",
    ]),
    ("fault-with-at-and-when.yaml", &[
        "fault-with-at-and-when.yaml:35:24: faults[0].when: give either `at` or `when`, not both: a fault starts once",
    ]),
    ("fault-after-the-stages.yaml", &[
        "fault-after-the-stages.yaml:35:11: faults[0].at: `5m` is at or after the end of the stages (4m30s): the load is over by then; schedule the fault before 4m30s or lengthen the stages",
    ]),
    ("condition-never-reached.yaml", &[
        "condition-never-reached.yaml:35:22: faults[0].when.users: the workload never reaches 500 users (its stages peak at 100): the fault would never start",
    ]),
    ("condition-met-only-at-the-end.yaml", &[
        "condition-met-only-at-the-end.yaml:34:22: faults[0].when.users: the workload reaches 100 users only as its last ramp ends, which ends the run: the fault would never start (give a lower level, or hold the load after the ramp)",
    ]),
    ("faults-waiting-for-themselves.yaml", &[
        "faults-waiting-for-themselves.yaml:35:23: faults[0].when.signal: the fault waits for its own signal: it would never start",
        "faults-waiting-for-themselves.yaml:36:23: faults[1].when.signal: the faults wait for each other (faults[1] waits for faults[2] waits for faults[1]): none of them would ever start",
        "faults-waiting-for-themselves.yaml:37:23: faults[2].when.signal: the faults wait for each other (faults[2] waits for faults[1] waits for faults[2]): none of them would ever start",
        "faults-waiting-for-themselves.yaml:38:23: faults[3].when.signal: the fault waits for faults[1], which never starts: it would never start either",
    ]),
    ("counts-beyond-the-limits.yaml", &[
        "counts-beyond-the-limits.yaml:11:16: architecture.api.instances: 4294967295 is more instances than faultline models: at most 10000 (each is held in memory, one by one)",
        "counts-beyond-the-limits.yaml:15:26: architecture.api.pools.db.size: 100000 is more connections than faultline models: at most 10000 (each is held in memory, one by one)",
        "counts-beyond-the-limits.yaml:30:5: workload.stages: the stages last 100000000h2m30s in all, more than faultline runs: at most 720h (30 days)",
        "counts-beyond-the-limits.yaml:31:24: workload.stages[1].to: 2000000 is more virtual users than faultline models: at most 1000000 (each is held in memory, one by one)",
    ]),
    ("retries-beyond-the-limit.yaml", &[
        "retries-beyond-the-limit.yaml:10:21: architecture.api.retries.max: 4000000000 is more retries than faultline models: at most 100 (each is one more attempt of every failed call, all in one instant with a zero backoff)",
    ]),
    ("health-check-interval-too-short.yaml", &[
        "health-check-interval-too-short.yaml:8:31: architecture.lb.health_check.interval: must be at least 10ms (every instance is checked at each interval); 1us is too short",
    ]),
    ("periods-below-the-simulator-floor.yaml", &[
        "periods-below-the-simulator-floor.yaml:9:16: architecture.api.instances: must be at least 1: a service starts with at least one instance (with `autoscaling.min: 0` it may scale in to none later)",
        "periods-below-the-simulator-floor.yaml:12:40: architecture.api.autoscaling.target_utilization: must be at least 1% (the simulator's autoscaler aims at 1% at the least: it divides by its target); 0% is too low",
        "periods-below-the-simulator-floor.yaml:12:76: architecture.api.autoscaling.evaluate_every: must be at least 100ms (the simulator's autoscaler evaluates at most every 100ms); 10ms is too short",
        "periods-below-the-simulator-floor.yaml:13:49: architecture.api.warm_up.initial_capacity: must be at least 1% (the simulator starts a warming instance at 1% of its capacity at the least); 0% is too low",
        "periods-below-the-simulator-floor.yaml:14:52: architecture.api.circuit_breaker.window: must be at least 10us (the simulator counts calls in ten sub-windows of at least 1us each); 5us is too short",
        "periods-below-the-simulator-floor.yaml:23:30: architecture.db.failover.check_every: must be at least 1ms (the simulator checks a database at most once a millisecond); 500us is too short",
        "periods-below-the-simulator-floor.yaml:24:26: architecture.db.warm_up.duration: must be more than 0 (e.g. `30s`)",
        "periods-below-the-simulator-floor.yaml:32:29: architecture.shards.monitor.check_every: must be at least 1ms (the simulator checks a database at most once a millisecond); 999us is too short",
        "periods-below-the-simulator-floor.yaml:40:29: architecture.others.monitor.check_every: must be more than 0 (e.g. `1s`)",
        "periods-below-the-simulator-floor.yaml:40:48: architecture.others.monitor.check_timeout: must be more than 0 (e.g. `500ms`)",
    ]),
    ("alert-bound-as-percentage.yaml", &[
        "alert-bound-as-percentage.yaml:35:57: alerts[0].above: expected a number, found the text `5%`; a share is written as a number here: `0.05`",
    ]),
    ("hunt-objective-misspelt.yaml", &[
        "hunt-objective-misspelt.yaml:38:14: hunt.objective: `lost_write` is not allowed here (did you mean `lost_writes`?); expected one of `lost_writes`, `rto`, `error_rate`, `p99`, `threshold_margin`",
    ]),
    ("component-named-client.yaml", &[
        "component-named-client.yaml:17:3: architecture.client: `client` is reserved: it names the load generator's side (an edge's `between` end, the record's `client` series); name the component otherwise, e.g. `client-app`",
    ]),
    ("edge-inside-one-component.yaml", &[
        "edge-inside-one-component.yaml:35:45: faults[0].partition.between[1]: `api.0` is part of `api`: an edge joins two sides, e.g. `[api.0, <a component it calls>]`",
    ]),
    // Meaning: the workload.
    ("stage-with-two-kinds.yaml", &[
        "stage-with-two-kinds.yaml:31:7: workload.stages[1]: a stage has exactly one of `hold`, `ramp` or `spike`; this one has `hold`, `ramp`: split it into one stage each",
    ]),
    ("stage-wrong-level-for-model.yaml", &[
        "stage-wrong-level-for-model.yaml:31:24: workload.stages[1].to: `model: closed` counts virtual users: `to` is a whole number (e.g. `500`)",
    ]),
    ("first-stage-without-level.yaml", &[
        "first-stage-without-level.yaml:30:7: workload.stages[0].users: the first stage must set a level: give `users` (a number of virtual users), or start with a `ramp`",
    ]),
    ("mix-not-100.yaml", &[
        "mix-not-100.yaml:33:8: workload.mix: read (80%) and write (30%) add up to 110%; they must add up to 100%",
    ]),
    // Meaning: values that contradict each other.
    ("lognormal-p99-below-median.yaml", &[
        "lognormal-p99-below-median.yaml:14:53: architecture.api.service_time.lognormal.p99: p99 (8ms) must be at least the median (10ms): a 99th percentile is never below the 50th",
    ]),
    ("uniform-max-below-min.yaml", &[
        "uniform-max-below-min.yaml:23:44: architecture.db.read_time.uniform.max: max (500us) must be at least min (1ms)",
    ]),
    ("threshold-wrong-unit.yaml", &[
        "threshold-wrong-unit.yaml:37:8: expect.rto: `rto` is a duration: write e.g. `<= 30s` (found `30%`)",
    ]),
    ("autoscaling-min-above-max.yaml", &[
        "autoscaling-min-above-max.yaml:14:50: architecture.api.autoscaling.min: min (5) must not be more than max (2)",
    ]),
    ("active-passive-without-failover.yaml", &[
        "active-passive-without-failover.yaml:18:3: architecture.db.failover: required with `topology: active_passive`: the failover controller that promotes the standby (`failover: { check_every: 1s, fail_after: 3, promote_in: 30s }`)",
    ]),
    ("n-plus-one-without-nodes.yaml", &[
        "n-plus-one-without-nodes.yaml:18:3: architecture.db.nodes: required with `topology: n_plus_one`: the number of serving nodes (e.g. `nodes: 3`)",
    ]),
    ("live-unknown-names.yaml", &[
        "live-unknown-names.yaml:22:5: live.targets.apii: no component named `apii` (did you mean `api`?); the components are `api`, `cache`, `db` (live targets are keyed by component)",
        "live-unknown-names.yaml:25:5: live.processes[\"api.7\"]: `api` has 2 instances, numbered from 0: `api.0` to `api.1`",
        "live-unknown-names.yaml:27:40: live.actions.stop-primary.signal.process: no process named `db.primry` (did you mean `db.primary`?) in `live.processes`; the processes are `db.primary`, `api.7`",
        "live-unknown-names.yaml:30:27: live.edges[0].between[1]: no component named `ap` (did you mean `api`?); the components are `api`, `cache`, `db`",
        "live-unknown-names.yaml:32:36: live.probes.standby-promoted.component: no component named `dbs` (did you mean `db`?); the components are `api`, `cache`, `db`",
        "live-unknown-names.yaml:38:24: faults[0].action: no action named `stop-primery` (did you mean `stop-primary`?) in `live.actions`; the actions are `stop-primary`, `kill db.primary`",
        "live-unknown-names.yaml:40:23: signals.activate[0]: no probe named `standby-promote` (did you mean `standby-promoted`?); probes are declared in `live.probes`: `standby-promoted`",
    ]),
    ("dns-lookup-timeout-zero.yaml", &[
        "dns-lookup-timeout-zero.yaml:4:67: architecture.front.lookup_timeout: must be more than 0 (e.g. `5s`)",
    ]),
    ("dns-ttl-inflation-half-given.yaml", &[
        "dns-ttl-inflation-half-given.yaml:4:3: architecture.front.ignore_for: required with `clients_ignoring_ttl`: how long those clients keep the stale answer (e.g. `5m`)",
    ]),
    ("failover-dns-points-elsewhere.yaml", &[
        "failover-dns-points-elsewhere.yaml:26:101: architecture.db.failover.dns: `front` resolves to `lb`, not to this database `db`; the controller repoints the record of this database",
    ]),
    ("single-database-with-replication.yaml", &[
        "single-database-with-replication.yaml:25:18: architecture.db.replication: a single database has nothing to replicate to: remove `replication`, or use `topology: active_passive` or `active_active`",
    ]),
    ("workload-target-ambiguous.yaml", &[
        "workload-target-ambiguous.yaml:28:1: workload.target: required here: clients send their operations to the only component nothing calls, but nothing calls `front`, `admin`; name the entry point with `target:`",
    ]),
    ("think-time-on-open-model.yaml", &[
        "think-time-on-open-model.yaml:30:15: workload.think_time: applies only to `model: closed` (virtual users pause between operations); an open workload's pace is its rate",
    ]),
    ("one-value-in-brackets.yaml", &[
        "one-value-in-brackets.yaml:4:45: architecture.front.ttl: expected a duration such as `500ms`, `90s`, `2m30s`, `1h` or `250us`, found a list; one value is written without brackets: `30s`",
        "one-value-in-brackets.yaml:7:14: architecture.lb.targets: expected a string, found a list; one value is written without brackets: `api`",
    ]),
    ("think-time-field-misspelt.yaml", &[
        "think-time-field-misspelt.yaml:30:37: workload.think_time.uniform.mx: unknown field `mx` (did you mean `max`?); allowed here: `max`, `min`",
    ]),
    ("think-time-max-below-min.yaml", &[
        "think-time-max-below-min.yaml:30:42: workload.think_time.uniform.max: max (500ms) must be at least min (1s)",
    ]),
    ("first-stage-is-a-spike.yaml", &[
        "first-stage-is-a-spike.yaml:30:16: workload.stages[0].spike: the first stage must set a level (a spike returns to the level before it): start with a `hold` with `users` or a `ramp`",
    ]),
    ("edge-to-itself.yaml", &[
        "edge-to-itself.yaml:35:46: faults[0].partition.between[1]: the two ends of an edge must differ: name the caller and the callee",
    ]),
    ("latency-jitter-above-add.yaml", &[
        "latency-jitter-above-add.yaml:35:68: faults[0].latency.jitter: jitter (50ms) must not exceed `add` (10ms): latency cannot go below zero",
    ]),
    ("baseline-longer-than-lead-time.yaml", &[
        "baseline-longer-than-lead-time.yaml:36:21: phases.baseline: the baseline (5m) is longer than the time before the first fault (2m40s); shorten it or inject later",
    ]),
    ("recovery-thresholds-without-faults.yaml", &[
        "recovery-thresholds-without-faults.yaml:37:93: alerts[0].must_fire_within: is measured from the first fault, and `faults` is empty, so it could only fail: add a fault or remove `must_fire_within`",
        "recovery-thresholds-without-faults.yaml:39:8: expect.rto: `rto` is measured from the first fault, and `faults` is empty, so it could only fail: add a fault or remove this threshold",
        "recovery-thresholds-without-faults.yaml:40:8: expect.rpo: `rpo` is measured from the first fault, and `faults` is empty, so it could only fail: add a fault or remove this threshold",
        "recovery-thresholds-without-faults.yaml:41:8: expect.ttd: `ttd` is measured from the first fault, and `faults` is empty, so it could only fail: add a fault or remove this threshold",
        "recovery-thresholds-without-faults.yaml:42:8: expect.tta: `tta` is measured from the first fault, and `faults` is empty, so it could only fail: add a fault or remove this threshold",
        "recovery-thresholds-without-faults.yaml:43:16: expect.p99_latency: `p99_latency` is measured over the transition after the first fault, and `faults` is empty, so it could only fail: add a fault or remove this threshold",
        "recovery-thresholds-without-faults.yaml:44:15: expect.error_rate: `error_rate` is measured over the transition after the first fault, and `faults` is empty, so it could only fail: add a fault or remove this threshold",
        "recovery-thresholds-without-faults.yaml:45:27: expect.throughput_degradation: `throughput_degradation` is measured over the transition after the first fault, and `faults` is empty, so it could only fail: add a fault or remove this threshold",
        "recovery-thresholds-without-faults.yaml:47:23: expect.split_brain_writes: `split_brain_writes` is measured over the transition after the first fault, and `faults` is empty, so it could only fail: add a fault or remove this threshold",
    ]),
    ("alert-without-bound.yaml", &[
        "alert-without-bound.yaml:35:5: alerts[0]: an alert needs `below` or `above`: the bound past which it fires",
    ]),
    ("alert-metric-not-of-its-component.yaml", &[
        "alert-metric-not-of-its-component.yaml:35:47: alerts[0].of: `lb` is a load_balancer, which has no `utilization`: a load balancer has no capacity of its own (its target has); it can be measured on `api`, `cache`, `db`",
        "alert-metric-not-of-its-component.yaml:36:49: alerts[1].of: `front` is a dns, which has no `error_rate`: a DNS record has no nodes and serves no requests; it can be measured on `lb`, `api`, `cache`, `db`",
    ]),
    ("live-engine-without-live-section.yaml", &[
        "live-engine-without-live-section.yaml:3:9: live: required with `engine: live`: how to reach and hurt the real deployment (`targets`, `actions`, `probes`)",
    ]),
    ("hotspot-and-zipf.yaml", &[
        "hotspot-and-zipf.yaml:34:43: workload.keys.hotspot: give either `zipf` or `hotspot`, not both: each is a way of drawing keys",
        "hotspot-and-zipf.yaml:34:63: workload.keys.hotspot.keys: the hot keys must be at least 1 and fewer than all 100 keys",
    ]),
    ("local-shape-problems-and-meaning.yaml", &[
        "local-shape-problems-and-meaning.yaml:9:5: architecture.lb.algorithmm: unknown field `algorithmm` (did you mean `algorithm`?); allowed here: `algorithm`, `health_check`, `kind`, `targets`, `zones`",
        "local-shape-problems-and-meaning.yaml:16:14: architecture.api.timeout: `soon` is not a duration such as `500ms`, `90s`, `2m30s`, `1h` or `250us`",
        "local-shape-problems-and-meaning.yaml:19:5: architecture.api.cals: unknown field `cals` (did you mean `calls`?); allowed here: `autoscaling`, `calls`, `circuit_breaker`, `cold_start`, `concurrency`, `instances`, `kind`, `pools`, `queue_limit`, `retries`, `service_time`, `spares`, `timeout`, `warm_up`, `zones`",
        // Not reported: `architecture.api.pools.db` (no call goes to `db`), a consequence of `cals`.
        "local-shape-problems-and-meaning.yaml:38:24: faults[0].kill: no component named `dbb` (did you mean `db`?); the components are `front`, `lb`, `api`, `cache`, `db`",
    ]),
    ("many-meaning-problems.yaml", &[
        "many-meaning-problems.yaml:7:14: architecture.lb.targets: `db` is a database, but this must name a service; the service components are `api`",
        "many-meaning-problems.yaml:14:53: architecture.api.service_time.lognormal.p99: p99 (8ms) must be at least the median (10ms): a 99th percentile is never below the 50th",
        "many-meaning-problems.yaml:16:20: architecture.api.calls[0].to: no component named `cahce` (did you mean `cache`?); the components are `front`, `lb`, `api`, `cache`, `db`",
        "many-meaning-problems.yaml:33:8: workload.mix: read (80%) and write (30%) add up to 110%; they must add up to 100%",
        "many-meaning-problems.yaml:35:11: faults[0].at: `9m` is at or after the end of the stages (4m30s): the load is over by then; schedule the fault before 4m30s or lengthen the stages",
        "many-meaning-problems.yaml:35:21: faults[0].kill: no component named `dbb` (did you mean `db`?); the components are `front`, `lb`, `api`, `cache`, `db`",
        "many-meaning-problems.yaml:37:8: expect.rto: `rto` is a duration: write e.g. `<= 30s` (found `30%`)",
    ]),
];

#[test]
fn every_invalid_fixture_reports_exactly_its_problems() {
    let mut failures = Vec::new();
    for (file, expected) in CASES {
        if let Err(panic) = std::panic::catch_unwind(|| check(file, expected)) {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .unwrap_or_else(|| format!("{file}: failed"));
            failures.push(message);
        }
    }
    assert!(
        failures.is_empty(),
        "{} fixtures failed:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// A fixture nobody asserts is a fixture that can silently stop failing.
#[test]
fn every_invalid_fixture_has_expected_problems() {
    let dir = fixtures().join("invalid");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .expect("fixtures/invalid exists")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".yaml"))
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = CASES.iter().map(|(file, _)| file.to_string()).collect();
    listed.sort();
    assert_eq!(on_disk, listed, "fixtures on disk vs cases in this file");
}

/// The base the invalid fixtures are copied from must itself be valid, or every fixture
/// would test two problems at once.
#[test]
fn the_valid_fixtures_load() {
    for entry in std::fs::read_dir(fixtures().join("valid")).expect("fixtures/valid exists") {
        let path = entry.expect("entry").path();
        if let Err(errors) = faultline_spec::load(&path) {
            panic!("{}:\n{errors}", path.display());
        }
    }
}
