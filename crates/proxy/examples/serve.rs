//! Runs the Toxiproxy-compatible API standalone, like `faultline proxy` will:
//!
//! ```text
//! cargo run --release -p faultline-proxy --example serve -- [--listen 127.0.0.1:8474]
//! ```

use std::net::SocketAddr;

use faultline_proxy::{serve_api, ProxyRegistry, DEFAULT_API_ADDR};

fn listen_addr() -> Result<SocketAddr, String> {
    let mut args = std::env::args().skip(1);
    let mut listen = DEFAULT_API_ADDR.to_string();
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--listen" => {
                listen = args
                    .next()
                    .ok_or("--listen needs an address, e.g. 127.0.0.1:8474")?
            }
            other => return Err(format!("unknown flag {other}; valid: --listen ADDR")),
        }
    }
    listen
        .parse()
        .map_err(|e| format!("--listen {listen}: {e} (expected ip:port, e.g. 127.0.0.1:8474)"))
}

#[tokio::main]
async fn main() {
    let listen = match listen_addr() {
        Ok(addr) => addr,
        Err(e) => {
            eprintln!("serve: {e}");
            std::process::exit(2);
        }
    };
    println!("faultline proxy API on http://{listen} (Toxiproxy-compatible)");
    if let Err(e) = serve_api(listen, ProxyRegistry::new()).await {
        eprintln!("serve: API on {listen}: {e}");
        std::process::exit(1);
    }
}
