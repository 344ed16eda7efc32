//! Benchmark: throughput and added latency through faultline-proxy with no toxics, side by
//! side with a direct connection and with HAProxy in TCP mode on the same path.
//!
//! ```text
//! cargo run --release -p faultline-proxy --example proxy_bench -- [--rounds 5] [--seconds 2] [--rtts 10000]
//! ```
//!
//! Everything runs on 127.0.0.1: a blocking echo server and a blocking sink server (one
//! thread per connection), faultline-proxy in its own Tokio runtime, HAProxy (if
//! installed) as a child process with a config in a temp dir. Each round measures every
//! path in turn (direct, faultline, haproxy), so they share the machine's state; the
//! table shows the median over rounds.
//!
//! - throughput: one connection writes 256 KiB chunks to the sink for `--seconds`, then
//!   half-closes; the sink answers with the byte count; bytes ÷ time to that answer.
//! - latency: one connection does `--rtts` 64-byte request/response round trips with the
//!   echo server (after 1000 warm-up ones); p50 and p99 of the round-trip time.
//!
//! `--pin` (Linux) puts the client and the servers on CPU 0 and the proxy under test
//! (faultline's runtime with one worker, HAProxy with one thread) on CPU 1, as on a real
//! path where the proxy does not take CPU from the endpoints. Without it every process
//! shares both CPUs.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use faultline_proxy::{ProxyConfig, ProxyRegistry};

const CHUNK_BYTES: usize = 256 * 1024;
const MESSAGE_BYTES: usize = 64;
const WARMUP_RTTS: usize = 1000;

struct Options {
    rounds: usize,
    seconds: f64,
    rtts: usize,
    pin: bool,
}

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        rounds: 5,
        seconds: 2.0,
        rtts: 10_000,
        pin: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--pin" {
            options.pin = true;
            continue;
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let bad = |e: &dyn std::fmt::Display| format!("{flag} {value}: {e}");
        match flag.as_str() {
            "--rounds" => options.rounds = value.parse().map_err(|e| bad(&e))?,
            "--seconds" => options.seconds = value.parse().map_err(|e| bad(&e))?,
            "--rtts" => options.rtts = value.parse().map_err(|e| bad(&e))?,
            _ => {
                return Err(format!(
                    "unknown flag {flag}; valid: --rounds N, --seconds S, --rtts N"
                ))
            }
        }
    }
    if options.rounds == 0
        || options.rtts == 0
        || !(options.seconds > 0.0 && options.seconds <= 60.0)
    {
        return Err("--rounds and --rtts must be at least 1, --seconds in (0, 60]".into());
    }
    Ok(options)
}

/// CPU the endpoints run on with `--pin`; the proxy under test gets [`PROXY_CPU`].
const ENDPOINT_CPU: usize = 0;
/// CPU of the proxy under test with `--pin`.
const PROXY_CPU: usize = 1;

/// Pins the calling thread to one CPU (Linux; a no-op elsewhere).
fn pin_current_thread(cpu: usize) {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: cpu_set_t is plain data; sched_setaffinity(0, ..) affects this thread only.
        unsafe {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            libc::CPU_SET(cpu, &mut set);
            libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = cpu;
}

/// Whether endpoint threads pin themselves (set once from `--pin`).
static PIN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn pin_endpoint() {
    if PIN.load(std::sync::atomic::Ordering::Relaxed) {
        pin_current_thread(ENDPOINT_CPU);
    }
}

/// Echo server: one thread per connection.
fn echo_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind echo");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for sock in listener.incoming().flatten() {
            std::thread::spawn(move || {
                pin_endpoint();
                let mut sock = sock;
                let _ = sock.set_nodelay(true);
                let mut buf = vec![0u8; 64 * 1024];
                loop {
                    match sock.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => {
                            if sock.write_all(&buf[..n]).is_err() {
                                return;
                            }
                        }
                    }
                }
            });
        }
    });
    addr
}

/// Sink server: reads to EOF, then answers the byte count (8 bytes, little endian).
fn sink_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind sink");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for sock in listener.incoming().flatten() {
            std::thread::spawn(move || {
                pin_endpoint();
                let mut sock = sock;
                let mut buf = vec![0u8; CHUNK_BYTES];
                let mut total = 0u64;
                loop {
                    match sock.read(&mut buf) {
                        Ok(0) => break,
                        Ok(n) => total += n as u64,
                        Err(_) => return,
                    }
                }
                let _ = sock.write_all(&total.to_le_bytes());
            });
        }
    });
    addr
}

/// Bytes per second through `addr` to the sink.
fn throughput(addr: SocketAddr, seconds: f64) -> Result<(f64, u64), String> {
    let mut sock = TcpStream::connect(addr).map_err(|e| format!("connect {addr}: {e}"))?;
    let chunk = vec![0x5au8; CHUNK_BYTES];
    let start = Instant::now();
    let until = Duration::from_secs_f64(seconds);
    let mut sent = 0u64;
    while start.elapsed() < until {
        sock.write_all(&chunk).map_err(|e| format!("write: {e}"))?;
        sent += CHUNK_BYTES as u64;
    }
    sock.shutdown(Shutdown::Write)
        .map_err(|e| format!("shutdown: {e}"))?;
    let mut ack = [0u8; 8];
    sock.set_read_timeout(Some(Duration::from_secs(30)))
        .map_err(|e| e.to_string())?;
    sock.read_exact(&mut ack)
        .map_err(|e| format!("sink answer: {e}"))?;
    let elapsed = start.elapsed().as_secs_f64();
    let received = u64::from_le_bytes(ack);
    if received != sent {
        return Err(format!("sink received {received} bytes of {sent}"));
    }
    Ok((received as f64 / elapsed, received))
}

/// Round-trip times (µs) through `addr` to the echo server: (p50, p99).
fn latency(addr: SocketAddr, rtts: usize) -> Result<(f64, f64), String> {
    let mut sock = TcpStream::connect(addr).map_err(|e| format!("connect {addr}: {e}"))?;
    sock.set_nodelay(true).map_err(|e| e.to_string())?;
    sock.set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(|e| e.to_string())?;
    let msg = [0x42u8; MESSAGE_BYTES];
    let mut back = [0u8; MESSAGE_BYTES];
    let mut times = Vec::with_capacity(rtts);
    for i in 0..WARMUP_RTTS + rtts {
        let start = Instant::now();
        sock.write_all(&msg).map_err(|e| format!("write: {e}"))?;
        sock.read_exact(&mut back)
            .map_err(|e| format!("read: {e}"))?;
        if i >= WARMUP_RTTS {
            times.push(start.elapsed().as_secs_f64() * 1e6);
        }
    }
    times.sort_by(f64::total_cmp);
    let pct = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)];
    Ok((pct(0.50), pct(0.99)))
}

/// The 1-minute load average (Linux), to tell a quiet machine from a busy one.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "unknown".into())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

struct Haproxy {
    child: Child,
    echo: SocketAddr,
    sink: SocketAddr,
    _dir: TempDir,
}

impl Drop for Haproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Starts HAProxy in TCP mode in front of the echo and sink servers; `Err` says why not.
fn start_haproxy(echo: SocketAddr, sink: SocketAddr, pin: bool) -> Result<Haproxy, String> {
    let version = Command::new("haproxy")
        .arg("-v")
        .output()
        .map_err(|e| format!("haproxy not runnable ({e}); install it with .ci/setup/proxy.sh"))?;
    let version = String::from_utf8_lossy(&version.stdout);
    println!("peer: {}", version.lines().next().unwrap_or("haproxy"));
    let dir = TempDir(
        std::env::temp_dir().join(format!("faultline-bench-haproxy-{}", std::process::id())),
    );
    std::fs::create_dir_all(&dir.0).map_err(|e| e.to_string())?;
    let (echo_port, sink_port) = (free_port(), free_port());
    let threads = if pin { "    nbthread 1\n" } else { "" };
    let config = format!(
        "global\n    maxconn 1000\n{threads}\ndefaults\n    mode tcp\n    timeout connect 5s\n    timeout client 60s\n    timeout server 60s\n\n\
         listen echo\n    bind 127.0.0.1:{echo_port}\n    server echo {echo}\n\n\
         listen sink\n    bind 127.0.0.1:{sink_port}\n    server sink {sink}\n"
    );
    let path = dir.0.join("haproxy.cfg");
    std::fs::write(&path, config).map_err(|e| e.to_string())?;
    let mut command = if pin {
        let mut c = Command::new("taskset");
        c.arg("-c").arg(PROXY_CPU.to_string()).arg("haproxy");
        c
    } else {
        Command::new("haproxy")
    };
    let child = command
        .arg("-db")
        .arg("-f")
        .arg(&path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("starting haproxy: {e}"))?;
    let haproxy = Haproxy {
        child,
        echo: SocketAddr::from(([127, 0, 0, 1], echo_port)),
        sink: SocketAddr::from(([127, 0, 0, 1], sink_port)),
        _dir: dir,
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    while TcpStream::connect(haproxy.echo).is_err() || TcpStream::connect(haproxy.sink).is_err() {
        if Instant::now() > deadline {
            return Err("haproxy did not listen within 5 s".into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(haproxy)
}

/// Where the CPU time of a proxy under test is read.
#[derive(Clone, Copy)]
enum CpuSource {
    /// No proxy (direct path).
    None,
    /// The faultline runtime's threads in this process (named [`WORKER_NAME`]).
    Workers,
    /// Every thread of a child process.
    Process(u32),
}

/// Thread name of faultline's runtime workers in the benchmark.
const WORKER_NAME: &str = "fl-proxy";

/// utime + stime (clock ticks) from a `/proc/.../stat` file.
fn stat_ticks(path: &std::path::Path) -> u64 {
    let Ok(text) = std::fs::read_to_string(path) else {
        return 0;
    };
    // Fields after the command name, which ends with the last ')': state is the first;
    // utime and stime are the 12th and 13th.
    let Some(rest) = text.rsplit_once(')').map(|(_, r)| r) else {
        return 0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    field(11) + field(12)
}

/// CPU seconds used so far by the proxy under test.
fn cpu_seconds(source: CpuSource) -> f64 {
    let (dir, only_workers) = match source {
        CpuSource::None => return 0.0,
        CpuSource::Workers => (std::path::PathBuf::from("/proc/self/task"), true),
        CpuSource::Process(pid) => (std::path::PathBuf::from(format!("/proc/{pid}/task")), false),
    };
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return 0.0;
    };
    let mut ticks = 0;
    for entry in entries.flatten() {
        if only_workers {
            let comm = std::fs::read_to_string(entry.path().join("comm")).unwrap_or_default();
            if comm.trim() != WORKER_NAME {
                continue;
            }
        }
        ticks += stat_ticks(&entry.path().join("stat"));
    }
    // SAFETY: sysconf has no preconditions.
    #[cfg(target_os = "linux")]
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    #[cfg(not(target_os = "linux"))]
    let hz = 100.0;
    ticks as f64 / hz
}

struct Path {
    name: &'static str,
    echo: SocketAddr,
    sink: SocketAddr,
    cpu: CpuSource,
    throughput: Vec<f64>,
    /// Proxy CPU seconds per GB moved in the throughput phase.
    cpu_s_per_gb: Vec<f64>,
    p50: Vec<f64>,
    p99: Vec<f64>,
}

impl Path {
    fn new(name: &'static str, echo: SocketAddr, sink: SocketAddr, cpu: CpuSource) -> Self {
        Self {
            name,
            echo,
            sink,
            cpu,
            throughput: vec![],
            cpu_s_per_gb: vec![],
            p50: vec![],
            p99: vec![],
        }
    }
}

fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let options = match parse_options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("bench: {e}");
            std::process::exit(2);
        }
    };
    PIN.store(options.pin, std::sync::atomic::Ordering::Relaxed);
    pin_endpoint();
    let echo = echo_server();
    let sink = sink_server();

    // faultline-proxy in its own runtime, as `faultline proxy` runs it.
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.thread_name(WORKER_NAME);
    if options.pin {
        builder
            .worker_threads(1)
            .on_thread_start(|| pin_current_thread(PROXY_CPU));
    }
    let runtime = builder.enable_all().build().expect("tokio runtime");
    let registry = ProxyRegistry::with_runtime(runtime.handle().clone());
    let fl_echo = registry
        .add_proxy(ProxyConfig::new("echo", "127.0.0.1:0", echo.to_string()))
        .expect("proxy echo");
    let fl_sink = registry
        .add_proxy(ProxyConfig::new("sink", "127.0.0.1:0", sink.to_string()))
        .expect("proxy sink");

    let mut paths = vec![
        Path::new("direct", echo, sink, CpuSource::None),
        Path::new(
            "faultline",
            fl_echo.listen_addr().expect("bound"),
            fl_sink.listen_addr().expect("bound"),
            CpuSource::Workers,
        ),
    ];
    let haproxy = match start_haproxy(echo, sink, options.pin) {
        Ok(h) => {
            paths.push(Path::new(
                "haproxy",
                h.echo,
                h.sink,
                CpuSource::Process(h.child.id()),
            ));
            Some(h)
        }
        Err(e) => {
            println!("haproxy: skipped: {e}");
            None
        }
    };
    println!(
        "settings: rounds={} seconds={} rtts={} chunk={} KiB message={} B cores={} load={} pin={}",
        options.rounds,
        options.seconds,
        options.rtts,
        CHUNK_BYTES / 1024,
        MESSAGE_BYTES,
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0),
        load_average(),
        options.pin
    );
    for round in 1..=options.rounds {
        for path in paths.iter_mut() {
            let cpu_before = cpu_seconds(path.cpu);
            let result = throughput(path.sink, options.seconds).and_then(|(t, bytes)| {
                let cpu = (cpu_seconds(path.cpu) - cpu_before) / (bytes as f64 / 1e9);
                latency(path.echo, options.rtts).map(|l| (t, cpu, l))
            });
            match result {
                Ok((t, cpu, (p50, p99))) => {
                    println!(
                        "round {round} {:<9} {:>9.1} MB/s  proxy cpu {:>5.2} s/GB  p50 {:>6.1} µs  p99 {:>6.1} µs",
                        path.name,
                        t / 1e6,
                        cpu,
                        p50,
                        p99
                    );
                    path.throughput.push(t);
                    path.cpu_s_per_gb.push(cpu);
                    path.p50.push(p50);
                    path.p99.push(p99);
                }
                Err(e) => {
                    eprintln!("bench: {} failed: {e}", path.name);
                    std::process::exit(1);
                }
            }
        }
    }
    drop(haproxy);
    println!("load average at the end: {}", load_average());

    let direct_t = median(&paths[0].throughput);
    let direct_p50 = median(&paths[0].p50);
    let direct_p99 = median(&paths[0].p99);
    println!();
    println!(
        "{:<10} {:>12} {:>10} {:>14} {:>9} {:>9} {:>13} {:>13}",
        "path",
        "MB/s",
        "vs direct",
        "proxy cpu s/GB",
        "p50 µs",
        "p99 µs",
        "added p50 µs",
        "added p99 µs"
    );
    for path in &paths {
        let t = median(&path.throughput);
        let p50 = median(&path.p50);
        let p99 = median(&path.p99);
        println!(
            "{:<10} {:>12.1} {:>10.3} {:>14.2} {:>9.1} {:>9.1} {:>13.1} {:>13.1}",
            path.name,
            t / 1e6,
            t / direct_t,
            median(&path.cpu_s_per_gb),
            p50,
            p99,
            p50 - direct_p50,
            p99 - direct_p99
        );
    }
    println!();
    let fl = &paths[1];
    let fl_ratio = median(&fl.throughput) / direct_t;
    let fl_added = median(&fl.p50) - direct_p50;
    let verdict = |ok: bool| if ok { "met" } else { "NOT met" };
    println!(
        "goal: faultline throughput >= 0.90 x direct: {fl_ratio:.3} -> {}",
        verdict(fl_ratio >= 0.90)
    );
    println!(
        "goal: faultline added p50 <= 50 µs: {fl_added:.1} µs -> {}",
        verdict(fl_added <= 50.0)
    );
    if let Some(hp) = paths.get(2) {
        let hp_t = median(&hp.throughput);
        let hp_p50 = median(&hp.p50);
        let hp_p99 = median(&hp.p99);
        println!(
            "goal: throughput no worse than haproxy: faultline/haproxy = {:.3} -> {}",
            median(&fl.throughput) / hp_t,
            verdict(median(&fl.throughput) >= hp_t)
        );
        println!(
            "goal: added latency no worse than haproxy: p50 {:.1} vs {:.1} µs, p99 {:.1} vs {:.1} µs -> {}",
            median(&fl.p50),
            hp_p50,
            median(&fl.p99),
            hp_p99,
            verdict(median(&fl.p50) <= hp_p50)
        );
        println!(
            "proxy CPU per GB moved: faultline {:.2} s vs haproxy {:.2} s (lower is better)",
            median(&fl.cpu_s_per_gb),
            median(&hp.cpu_s_per_gb)
        );
    }
    drop(registry);
    runtime.shutdown_timeout(Duration::from_secs(1));
}
