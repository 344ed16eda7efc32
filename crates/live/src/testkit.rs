//! Helpers for tests, examples and benchmarks: a small HTTP key-value service (also
//! shipped as the `faultline-live-kv` binary), child processes killed on drop, and the
//! rule for tests that need a server binary (fail in CI, skip elsewhere).

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::process::{Child, Command};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;

type Store = Arc<Mutex<HashMap<String, Bytes>>>;

async fn handle(
    store: Store,
    req: Request<hyper::body::Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = req.uri().path().to_string();
    let method = req.method().clone();
    let reply = |status: StatusCode, body: Bytes| {
        Ok(Response::builder()
            .status(status)
            .body(Full::new(body))
            .unwrap_or_default())
    };
    if path == "/health" {
        return reply(StatusCode::OK, Bytes::from_static(b"ok\n"));
    }
    let Some(key) = path.strip_prefix("/kv/") else {
        return reply(StatusCode::NOT_FOUND, Bytes::new());
    };
    let key = key.to_string();
    match method {
        Method::PUT | Method::POST => {
            let body = req
                .into_body()
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            store
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(key, body);
            reply(StatusCode::NO_CONTENT, Bytes::new())
        }
        Method::GET => match store.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
            Some(v) => reply(StatusCode::OK, v.clone()),
            None => reply(StatusCode::NOT_FOUND, Bytes::new()),
        },
        _ => reply(StatusCode::METHOD_NOT_ALLOWED, Bytes::new()),
    }
}

/// Serves the key-value API on `listener` until the task is dropped: `PUT /kv/<key>`
/// stores the body (204), `GET /kv/<key>` returns it (200) or 404, `GET /health` is 200.
/// HTTP/1.1 and HTTP/2 (prior knowledge) are both accepted.
pub async fn serve_kv(listener: TcpListener) {
    let store: Store = Arc::default();
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let store = store.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| handle(store.clone(), req));
            let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// Binds `addr` and serves the key-value API on a task of the current runtime.
pub async fn spawn_kv(addr: &str) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    tokio::spawn(serve_kv(listener));
    Ok(local)
}

/// A child process killed (SIGKILL, after SIGCONT in case it was paused) on drop, so
/// a failing test never leaves a server behind.
pub struct ChildGuard {
    /// The child.
    pub child: Child,
    /// What it is, for messages.
    pub name: String,
}

impl ChildGuard {
    /// Starts `command`.
    pub fn spawn(name: &str, command: &mut Command) -> std::io::Result<Self> {
        Ok(Self {
            child: command.spawn()?,
            name: name.to_string(),
        })
    }

    /// The child's PID.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the child has exited.
    pub fn exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if let Ok(pid) = libc::pid_t::try_from(self.child.id()) {
            // SAFETY: signals our own child; no memory effects.
            unsafe {
                libc::kill(pid, libc::SIGCONT);
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A free loopback port: bound and released, and never the same twice in one process.
/// The kernel may hand a just-released port to the next bind, so two tests running in
/// parallel could otherwise both get the port of a server neither has started yet.
pub fn free_port() -> u16 {
    static HANDED_OUT: Mutex<Vec<u16>> = Mutex::new(Vec::new());
    let mut handed_out = HANDED_OUT.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or(0);
        if port == 0 || !handed_out.contains(&port) {
            handed_out.push(port);
            return port;
        }
    }
}

/// Spawns a server that binds a port of its own choosing and prints
/// `listening on ADDR` as its first line (as `faultline-live-kv 127.0.0.1:0` does), and
/// returns it with that address: no other process can take the port in between.
pub fn spawn_listening(name: &str, command: &mut Command) -> std::io::Result<(ChildGuard, String)> {
    use std::io::BufRead;
    let mut guard = ChildGuard::spawn(name, command.stdout(std::process::Stdio::piped()))?;
    let stdout = guard.child.stdout.take().ok_or_else(|| {
        std::io::Error::other(format!(
            "{name}: no standard output to read its address from"
        ))
    })?;
    let mut first_line = String::new();
    std::io::BufReader::new(stdout).read_line(&mut first_line)?;
    match first_line.trim().strip_prefix("listening on ") {
        Some(addr) => Ok((guard, addr.to_string())),
        None => Err(std::io::Error::other(format!(
            "{name}: expected `listening on ADDR` as its first line, got {first_line:?}"
        ))),
    }
}

/// Waits until `addr` accepts TCP connections, at most `wait`.
pub fn wait_for_port(addr: &str, wait: Duration) -> bool {
    let deadline = Instant::now() + wait;
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(addr).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// Finds a program on `PATH` (or an absolute path).
pub fn which(program: &str) -> Option<std::path::PathBuf> {
    if program.contains('/') {
        let p = std::path::PathBuf::from(program);
        return p.exists().then_some(p);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(program))
            .find(|p| p.is_file())
    })
}

/// The rule for tests that need external programs: `Some(paths)` when all are there;
/// when one is missing, panics if `CI` is set and otherwise prints why the test is
/// skipped and returns `None`.
pub fn require_programs(test: &str, programs: &[&str]) -> Option<Vec<std::path::PathBuf>> {
    let mut found = Vec::new();
    for p in programs {
        match which(p) {
            Some(path) => found.push(path),
            None => {
                let message =
                    format!("{test}: needs `{p}` (Debian packages: run .ci/setup/live.sh)");
                if std::env::var_os("CI").is_some() {
                    panic!("{message}; CI is set, so a missing program is a failure");
                }
                eprintln!("SKIPPED {message}");
                return None;
            }
        }
    }
    Some(found)
}
