//! Helpers shared by the integration tests: loopback servers and bounded socket I/O.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;

/// Upper bound for any single socket wait in the tests.
pub const IO_TIMEOUT: Duration = Duration::from_secs(5);

/// An echo server on 127.0.0.1:0; runs until the test's runtime ends.
pub async fn echo_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind echo");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let _ = sock.set_nodelay(true);
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                loop {
                    match sock.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => {
                            if sock.write_all(&buf[..n]).await.is_err() {
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

/// A server that reads everything and reports each connection's byte count and the time
/// its last byte arrived, through the returned channel.
pub async fn sink_server() -> (
    SocketAddr,
    tokio::sync::mpsc::UnboundedReceiver<(u64, tokio::time::Instant)>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind sink");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                let mut total = 0u64;
                let mut last = tokio::time::Instant::now();
                loop {
                    match sock.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            total += n as u64;
                            last = tokio::time::Instant::now();
                        }
                    }
                }
                let _ = tx.send((total, last));
            });
        }
    });
    (addr, rx)
}

/// A minimal HTTP/1.1 server answering every request `200 ok` on keep-alive connections.
/// Returns its address and a counter of requests it received.
pub async fn http_server() -> (SocketAddr, std::sync::Arc<std::sync::atomic::AtomicU64>) {
    use std::sync::atomic::Ordering;
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind http");
    let addr = listener.local_addr().expect("addr");
    let seen = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let seen2 = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let seen = seen2.clone();
            tokio::spawn(async move {
                let mut pending = Vec::new();
                let mut buf = vec![0u8; 16 * 1024];
                loop {
                    // Requests in these tests have no body: a request ends at the blank line.
                    while let Some(pos) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
                        pending.drain(..pos + 4);
                        seen.fetch_add(1, Ordering::Relaxed);
                        let resp = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
                        if sock.write_all(resp).await.is_err() {
                            return;
                        }
                    }
                    match sock.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => pending.extend_from_slice(&buf[..n]),
                    }
                }
            });
        }
    });
    (addr, seen)
}

/// Connects with a bounded wait.
pub async fn connect(addr: SocketAddr) -> std::io::Result<TcpStream> {
    let sock = timeout(IO_TIMEOUT, TcpStream::connect(addr))
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "connect timed out"))??;
    sock.set_nodelay(true)?;
    Ok(sock)
}

/// Writes `msg` and reads exactly as many bytes back, bounded by `wait`.
pub async fn round_trip(
    sock: &mut TcpStream,
    msg: &[u8],
    wait: Duration,
) -> std::io::Result<Vec<u8>> {
    sock.write_all(msg).await?;
    let mut back = vec![0u8; msg.len()];
    timeout(wait, sock.read_exact(&mut back))
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "read timed out"))??;
    Ok(back)
}

/// Median of durations.
pub fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}
