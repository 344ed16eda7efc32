//! Partitions by firewall rule: DROP rules to and from a peer, with iptables or nft,
//! tagged so that healing removes exactly what was added.

use std::time::Duration;

use faultline_spec::{Firewall, FirewallBackend};

use super::command::CommandSpec;

/// Firewall rules ready to add and remove.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirewallRules {
    add: Vec<CommandSpec>,
    remove: Vec<CommandSpec>,
}

fn spec(argv: Vec<String>) -> CommandSpec {
    CommandSpec {
        argv,
        shell: false,
        timeout: Duration::from_secs(10),
    }
}

fn have(program: &str) -> bool {
    std::process::Command::new(program)
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Which backend `auto` means on this host, or why there is none.
pub fn pick_backend(wanted: FirewallBackend) -> Result<FirewallBackend, String> {
    match wanted {
        FirewallBackend::Iptables if have("iptables") => Ok(FirewallBackend::Iptables),
        FirewallBackend::Nftables if have("nft") => Ok(FirewallBackend::Nftables),
        FirewallBackend::Auto if have("iptables") => Ok(FirewallBackend::Iptables),
        FirewallBackend::Auto if have("nft") => Ok(FirewallBackend::Nftables),
        _ => Err(
            "firewall faults need `iptables` or `nft` on this host (Debian: apt-get install iptables nftables)"
                .into(),
        ),
    }
}

impl FirewallRules {
    /// The rules that cut traffic to and from `fw.peer`; `tag` makes them unique
    /// (letters, digits and `_`).
    pub fn new(fw: &Firewall, tag: &str) -> Result<Self, String> {
        let peer: std::net::IpAddr = fw
            .peer
            .parse()
            .map_err(|_| format!("firewall.peer: `{}` is not an IP address", fw.peer))?;
        let backend = pick_backend(fw.backend)?;
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        Ok(match backend {
            FirewallBackend::Nftables => {
                let family = if peer.is_ipv4() { "ip" } else { "ip6" };
                let table = format!("faultline_{tag}");
                let port_out = fw
                    .port
                    .map(|p| format!("tcp dport {p} "))
                    .unwrap_or_default();
                let port_in = fw
                    .port
                    .map(|p| format!("tcp sport {p} "))
                    .unwrap_or_default();
                Self {
                    add: vec![
                        spec(s(&["nft", "add", "table", "inet", &table])),
                        spec(s(&[
                            "nft",
                            "add",
                            "chain",
                            "inet",
                            &table,
                            "out",
                            "{ type filter hook output priority -10 ; }",
                        ])),
                        spec(s(&[
                            "nft",
                            "add",
                            "chain",
                            "inet",
                            &table,
                            "in",
                            "{ type filter hook input priority -10 ; }",
                        ])),
                        spec(vec![
                            "nft".into(),
                            "add".into(),
                            "rule".into(),
                            "inet".into(),
                            table.clone(),
                            "out".into(),
                            format!("{family} daddr {peer} {port_out}drop"),
                        ]),
                        spec(vec![
                            "nft".into(),
                            "add".into(),
                            "rule".into(),
                            "inet".into(),
                            table.clone(),
                            "in".into(),
                            format!("{family} saddr {peer} {port_in}drop"),
                        ]),
                    ],
                    remove: vec![spec(s(&["nft", "delete", "table", "inet", &table]))],
                }
            }
            _ => {
                let program = if peer.is_ipv4() {
                    "iptables"
                } else {
                    "ip6tables"
                };
                let comment = format!("faultline-{tag}");
                let rule = |op: &str, chain: &str, dir: &str, port_dir: &str| {
                    let mut v = s(&[program, "-w", op, chain, dir, &peer.to_string()]);
                    if let Some(port) = fw.port {
                        v.extend(s(&["-p", "tcp", port_dir, &port.to_string()]));
                    }
                    v.extend(s(&["-m", "comment", "--comment", &comment, "-j", "DROP"]));
                    spec(v)
                };
                Self {
                    add: vec![
                        rule("-I", "OUTPUT", "-d", "--dport"),
                        rule("-I", "INPUT", "-s", "--sport"),
                    ],
                    remove: vec![
                        rule("-D", "OUTPUT", "-d", "--dport"),
                        rule("-D", "INPUT", "-s", "--sport"),
                    ],
                }
            }
        })
    }

    /// Adds the rules; on a failure, removes what was added and says why.
    pub fn add(&self) -> Result<(), String> {
        for (i, c) in self.add.iter().enumerate() {
            if let Err(e) = c.run_blocking() {
                let _ = self.remove();
                return Err(format!(
                    "cannot add firewall rule {} of {} ({e}); firewall faults need root (CAP_NET_ADMIN)",
                    i + 1,
                    self.add.len()
                ));
            }
        }
        Ok(())
    }

    /// Removes the rules (every one is tried; the first failure is reported).
    pub fn remove(&self) -> Result<(), String> {
        let mut first = Ok(());
        for c in &self.remove {
            if let Err(e) = c.run_blocking() {
                if first.is_ok() {
                    first = Err(e);
                }
            }
        }
        first
    }

    /// The commands that add the rules, as text (for messages and tests).
    pub fn describe(&self) -> Vec<String> {
        self.add.iter().map(CommandSpec::display).collect()
    }
}
