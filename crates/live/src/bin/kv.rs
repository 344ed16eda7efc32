//! `faultline-live-kv [ADDR]`: a small HTTP key-value service for trying the live
//! engine, its tests and its benchmark. Prints the address it listens on.

fn main() {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    let threads = std::env::var("KV_THREADS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(1);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("faultline-live-kv: cannot start a runtime: {e}");
            std::process::exit(2);
        }
    };
    runtime.block_on(async {
        let listener = match tokio::net::TcpListener::bind(&addr).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("faultline-live-kv: cannot listen on {addr}: {e}");
                std::process::exit(2);
            }
        };
        if let Ok(local) = listener.local_addr() {
            println!("listening on {local}");
        }
        faultline_live::testkit::serve_kv(listener).await;
    });
}
