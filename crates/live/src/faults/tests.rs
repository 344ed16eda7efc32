//! Every fault kind is undone by the rollback registry: when healed one by one, when
//! healed all at once, and when the registry is dropped (as on a panic).

use super::*;

fn process_state(pid: u32) -> char {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // The state follows the parenthesised command name.
    stat.rsplit(')')
        .next()
        .unwrap()
        .trim()
        .chars()
        .next()
        .unwrap()
}

struct Child(std::process::Child);
impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn sleeper() -> Child {
    Child(
        std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap(),
    )
}

fn pause_of(pid: u32) -> PlannedFault {
    PlannedFault {
        index: 0,
        name: "pause x".into(),
        component: Some("x".into()),
        fault: Fault::default(),
        injection: Injection::Signal {
            name: "x".into(),
            process: Process {
                pid: Some(pid),
                pidfile: None,
                kill_signal: None,
            },
            signal: libc::SIGSTOP,
        },
    }
}

fn wait_state(pid: u32, want: char) -> char {
    for _ in 0..200 {
        let s = process_state(pid);
        if s == want {
            return s;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    process_state(pid)
}

#[test]
fn a_paused_process_is_resumed_when_the_registry_is_dropped() {
    let child = sleeper();
    let pid = child.0.id();
    let rollback = Rollback::default();
    let heal = inject(&pause_of(pid))
        .unwrap()
        .expect("a pause has a heal step");
    rollback.push(0, "pause x", heal);
    assert_eq!(wait_state(pid, 'T'), 'T');
    drop(rollback);
    assert_eq!(wait_state(pid, 'S'), 'S');
}

#[test]
fn a_paused_process_is_resumed_after_a_panic() {
    let child = sleeper();
    let pid = child.0.id();
    let result = std::panic::catch_unwind(|| {
        let rollback = Rollback::default();
        rollback.push(0, "pause x", inject(&pause_of(pid)).unwrap().unwrap());
        panic!("a step failed");
    });
    assert!(result.is_err());
    assert_eq!(wait_state(pid, 'S'), 'S');
}

#[test]
fn a_command_fault_runs_its_undo_on_heal() {
    let dir = tempfile::tempdir().unwrap();
    let flag = dir.path().join("down");
    let planned = PlannedFault {
        index: 3,
        name: "stop svc".into(),
        component: None,
        fault: Fault::default(),
        injection: Injection::Command {
            run: CommandSpec {
                argv: vec!["touch".into(), flag.display().to_string()],
                shell: false,
                timeout: Duration::from_secs(5),
            },
            undo: Some(CommandSpec {
                argv: vec!["rm".into(), flag.display().to_string()],
                shell: false,
                timeout: Duration::from_secs(5),
            }),
        },
    };
    let rollback = Rollback::default();
    rollback.push(3, "stop svc", inject(&planned).unwrap().unwrap());
    assert!(flag.exists());
    let healed = rollback.heal_all();
    assert_eq!(healed.len(), 1);
    assert!(healed[0].2.is_ok());
    assert!(!flag.exists());
    assert!(rollback.heal(3).is_none(), "a fault is healed once");
}

#[test]
fn a_proxy_fault_is_healed_by_the_registry() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let _guard = rt.enter();
    let proxies = ProxyRegistry::new();
    let edge: [String; 2] = ["client".into(), "cache".into()];
    let handle = proxies
        .add_proxy(faultline_proxy::ProxyConfig::new(
            edge_proxy_name(&edge),
            "127.0.0.1:0",
            "127.0.0.1:9",
        ))
        .unwrap();
    let planned = PlannedFault {
        index: 1,
        name: "partition".into(),
        component: None,
        fault: Fault::default(),
        injection: Injection::Proxy {
            proxy: handle.clone(),
            toxics: vec![ToxicConfig::new(ToxicKind::Blackhole, Stream::Upstream)],
        },
    };
    let rollback = Rollback::default();
    rollback.push(1, "partition", inject(&planned).unwrap().unwrap());
    assert_eq!(handle.toxics().len(), 1);
    drop(rollback);
    assert!(handle.toxics().is_empty());
}

#[test]
fn unbound_faults_are_reported_all_at_once_with_what_to_add() {
    let faults: Vec<Fault> = serde_json::from_str(
        r#"[{"at": "1s", "kill": "db.primary"}, {"at": "2s", "flush_cache": "cache"},
            {"at": "3s", "partition": {"between": ["client", "db"]}}]"#,
    )
    .unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let _guard = rt.enter();
    let problems = plan(&faults, &LiveSection::default(), &ProxyRegistry::new(), "t").unwrap_err();
    assert_eq!(problems.len(), 3, "{problems:?}");
    assert!(problems[0].contains("live.processes"), "{}", problems[0]);
    assert!(
        problems[1].contains("`flush_cache cache`"),
        "{}",
        problems[1]
    );
    assert!(problems[2].contains("live.edges"), "{}", problems[2]);
}
