//! `faultline-live-bench`: the load generator against the same local HTTP server as
//! `wrk`, side by side, with full recording on; then the open model's achieved
//! arrival rate at 20,000/s. Prints medians of `--runs` runs (default 3) and ratios.
//!
//! Both clients run pinned to CPU 0 and the server (`faultline-live-kv`, one thread)
//! to CPU 1, so requests per second are per client core. Needs `wrk` and `taskset`.
//! Run: `cargo run --release -p faultline-live --bin faultline-live-bench`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use faultline_live::testkit::{spawn_listening, wait_for_port, which};
use faultline_record::RunRecord;

const CONNECTIONS: u32 = 64;
const SECONDS: u64 = 5;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn pin_to_cpu0() {
    // SAFETY: a zeroed cpu_set_t is valid; CPU_SET writes inside it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(0, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}

fn cpu_seconds(who: libc::c_int) -> f64 {
    // SAFETY: getrusage fills the struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(who, &mut usage) };
    let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    t(usage.ru_utime) + t(usage.ru_stime)
}

/// wrk's requests per second, and the CPU share it used (from its rusage).
fn wrk_rate(wrk: &Path, url: &str) -> (f64, f64) {
    let cpu0 = cpu_seconds(libc::RUSAGE_CHILDREN);
    let t0 = Instant::now();
    let out = Command::new("taskset")
        .args(["-c", "0"])
        .arg(wrk)
        .args([
            "-t1",
            &format!("-c{CONNECTIONS}"),
            &format!("-d{SECONDS}s"),
            url,
        ])
        .output()
        .expect("wrk runs");
    let cpu = (cpu_seconds(libc::RUSAGE_CHILDREN) - cpu0) / t0.elapsed().as_secs_f64();
    let text = String::from_utf8_lossy(&out.stdout);
    let rate = text
        .lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no Requests/sec in wrk's output:\n{text}"));
    (rate, cpu)
}

fn experiment(addr: &str, workload: &str) -> faultline_spec::Experiment {
    let yaml = format!(
        r#"
name: bench
engine: live
architecture:
  api: {{ kind: service, instances: 1, concurrency: 64, service_time: {{ fixed: 1ms }} }}
live:
  targets:
    api:
      http:
        base: "http://{addr}"
        connections: {CONNECTIONS}
        read: {{ method: GET, path: /health }}
phases: {{ verify: false }}
{workload}
"#
    );
    faultline_spec::parse(&yaml, Path::new("bench.yaml")).expect("bench experiment parses")
}

/// Our generator, closed model with no think time (like wrk): completed ok per second
/// and the CPU share it used.
fn ours_rate(addr: &str) -> (f64, f64) {
    let exp = experiment(
        addr,
        &format!(
            "workload: {{ model: closed, stages: [ {{ hold: {SECONDS}s, users: {CONNECTIONS} }} ], mix: {{ read: 100%, write: 0% }}, keys: {{ count: 1 }} }}"
        ),
    );
    let dir = tempfile_dir();
    let cpu0 = cpu_seconds(libc::RUSAGE_SELF);
    let t0 = Instant::now();
    faultline_live::run(&exp, &dir, &mut |_| {}).expect("the run works");
    let wall = t0.elapsed().as_secs_f64();
    let cpu = cpu_seconds(libc::RUSAGE_SELF) - cpu0;
    let record = RunRecord::load(&dir).expect("record");
    let ok: u64 = record
        .buckets
        .iter()
        .filter(|b| b.series == "client")
        .map(|b| b.ok)
        .sum();
    let _ = std::fs::remove_dir_all(&dir);
    (ok as f64 / SECONDS as f64, cpu / wall)
}

/// The open model at `rate_per_s`: the offered (started) rate, the completed rate, and
/// p50/p99 latency from the intended starts in ms (a lagging generator shows here).
fn open_rate(addr: &str, rate_per_s: u64) -> (f64, f64, f64, f64) {
    let secs = 10;
    let exp = experiment(
        addr,
        &format!(
            "workload: {{ model: open, stages: [ {{ hold: {secs}s, rate: {rate_per_s}/s }} ], mix: {{ read: 100%, write: 0% }}, keys: {{ count: 1 }}, timeout: 2s }}"
        ),
    );
    let dir = tempfile_dir();
    faultline_live::run(&exp, &dir, &mut |_| {}).expect("the run works");
    let record = RunRecord::load(&dir).expect("record");
    let client = record.buckets.iter().filter(|b| b.series == "client");
    let mut latency = faultline_record::LatencyHistogram::new();
    let (started, done) = client.fold((0u64, 0u64), |(s, d), b| {
        latency.add_sparse(&b.latency_us);
        (s + b.started, d + b.completed())
    });
    let _ = std::fs::remove_dir_all(&dir);
    let ms = |q: f64| latency.quantile_us(q).unwrap_or(0) as f64 / 1000.0;
    (
        started as f64 / secs as f64,
        done as f64 / secs as f64,
        ms(0.5),
        ms(0.99),
    )
}

fn tempfile_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "faultline-bench-{}-{}",
        std::process::id(),
        Instant::now().elapsed().as_nanos()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn main() {
    let runs: usize = std::env::args()
        .skip_while(|a| a != "--runs")
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let (Some(wrk), Some(_)) = (which("wrk"), which("taskset")) else {
        eprintln!("faultline-live-bench needs `wrk` and `taskset` (Debian: wrk, util-linux)");
        std::process::exit(2);
    };
    let kv_bin = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|d| d.join("faultline-live-kv")))
        .filter(|p| p.exists())
        .unwrap_or_else(|| {
            eprintln!("build faultline-live-kv first (cargo build --release -p faultline-live)");
            std::process::exit(2);
        });
    let mut cmd = Command::new("taskset");
    cmd.args(["-c", "1"])
        .arg(&kv_bin)
        .arg("127.0.0.1:0")
        .env("KV_THREADS", "1");
    let (_server, addr) = spawn_listening("kv", &mut cmd).expect("server starts");
    assert!(wait_for_port(&addr, Duration::from_secs(10)));
    pin_to_cpu0();
    println!("server: faultline-live-kv, 1 thread on CPU 1; clients on CPU 0; {CONNECTIONS} connections, {SECONDS} s per run, {runs} runs, GET /health");
    let url = format!("http://{addr}/health");
    let (mut ours, mut theirs, mut ours_core, mut theirs_core) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for i in 0..runs {
        let (w, w_cpu) = wrk_rate(&wrk, &url);
        let (o, o_cpu) = ours_rate(&addr);
        println!(
            "run {}: wrk {:>7.0} req/s on {:.2} cores = {:>7.0} per core | faultline {:>7.0} req/s on {:.2} cores = {:>7.0} per core (recording on)",
            i + 1, w, w_cpu, w / w_cpu, o, o_cpu, o / o_cpu
        );
        theirs.push(w);
        ours.push(o);
        theirs_core.push(w / w_cpu);
        ours_core.push(o / o_cpu);
    }
    let (w, o) = (median(theirs), median(ours));
    let (wc, oc) = (median(theirs_core), median(ours_core));
    println!(
        "median req/s: wrk {w:.0}, faultline {o:.0} (ratio {:.2})",
        o / w
    );
    println!(
        "median req/s per CPU core used: wrk {wc:.0}, faultline {oc:.0} (ratio {:.2}; goal >= 1)",
        oc / wc
    );
    let asked = 20_000;
    let mut offered = Vec::new();
    for i in 0..runs {
        let (started, done, p50, p99) = open_rate(&addr, asked);
        println!(
            "open model run {}: asked {asked}/s, achieved {started:.0}/s arrivals, {done:.0}/s completed, latency from intended start p50 {p50:.2} ms p99 {p99:.2} ms",
            i + 1
        );
        offered.push(started);
    }
    let m = median(offered);
    println!(
        "median achieved arrival rate {m:.0}/s = {:.2}% off the asked {asked}/s (goal: within 1%)",
        (m - asked as f64).abs() / asked as f64 * 100.0
    );
}
