//! Signals to processes: `kill` (SIGKILL or SIGTERM) and `pause` (SIGSTOP, healed by
//! SIGCONT), with the process found by PID or pidfile when the fault is injected.

use faultline_spec::{Process, SignalName};

/// The signal number of a name.
pub fn signal_number(name: SignalName) -> i32 {
    match name {
        SignalName::Kill => libc::SIGKILL,
        SignalName::Term => libc::SIGTERM,
        SignalName::Stop => libc::SIGSTOP,
        SignalName::Cont => libc::SIGCONT,
        SignalName::Int => libc::SIGINT,
        SignalName::Hup => libc::SIGHUP,
    }
}

/// The PID of a process entry, read now (a pidfile is read at each use).
pub fn resolve_pid(name: &str, process: &Process) -> Result<u32, String> {
    if let Some(pid) = process.pid {
        return Ok(pid);
    }
    let Some(path) = &process.pidfile else {
        return Err(format!("live.processes.{name}: give `pid` or `pidfile`"));
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("live.processes.{name}: cannot read pidfile {path}: {e}"))?;
    text.trim().parse().map_err(|_| {
        format!(
            "live.processes.{name}: pidfile {path} holds `{}`, not a process id",
            text.trim()
        )
    })
}

/// Sends `signal` to `pid`.
pub fn send_signal(pid: u32, signal: i32) -> Result<(), String> {
    let pid_t = libc::pid_t::try_from(pid).map_err(|_| format!("pid {pid} is out of range"))?;
    if pid_t <= 1 {
        return Err(format!("refusing to signal pid {pid}"));
    }
    // SAFETY: kill(2) has no memory effects; the pid was checked to be a single
    // process (> 1), never a group or every process.
    let rc = unsafe { libc::kill(pid_t, signal) };
    if rc == 0 {
        Ok(())
    } else {
        let err = std::io::Error::last_os_error();
        Err(format!("cannot send signal {signal} to pid {pid}: {err}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pidfiles_are_read_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.pid");
        std::fs::write(&path, "1234\n").unwrap();
        let p = Process {
            pid: None,
            pidfile: Some(path.display().to_string()),
            kill_signal: None,
        };
        assert_eq!(resolve_pid("db", &p), Ok(1234));
        std::fs::write(&path, "nope").unwrap();
        assert!(resolve_pid("db", &p)
            .unwrap_err()
            .contains("not a process id"));
    }

    #[test]
    fn signalling_init_or_groups_is_refused() {
        assert!(send_signal(1, libc::SIGCONT).is_err());
        assert!(send_signal(0, libc::SIGCONT).is_err());
    }
}
