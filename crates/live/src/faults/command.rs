//! Running commands: an argv list without a shell (or one string through `sh -c` when
//! the file says `shell: true`), with a timeout that kills the command.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A command to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandSpec {
    /// argv (with `shell`, a single string).
    pub argv: Vec<String>,
    /// Run through `sh -c`.
    pub shell: bool,
    /// Kill it after this long.
    pub timeout: Duration,
}

impl CommandSpec {
    fn command(&self) -> Result<Command, String> {
        if self.shell {
            let [script] = self.argv.as_slice() else {
                return Err("with `shell: true`, `command` must be one string".into());
            };
            let mut c = Command::new("sh");
            c.arg("-c").arg(script);
            Ok(c)
        } else {
            let (program, args) = self.argv.split_first().ok_or_else(|| {
                "`command` is empty: give the program and its arguments".to_string()
            })?;
            let mut c = Command::new(program);
            c.args(args);
            Ok(c)
        }
    }

    /// The command as text, for messages.
    pub fn display(&self) -> String {
        self.argv.join(" ")
    }

    /// Runs the command to its end (blocking; usable in `Drop`). Fails on a spawn
    /// error, a non-zero exit or the timeout.
    pub fn run_blocking(&self) -> Result<(), String> {
        let mut command = self.command()?;
        command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = command
            .spawn()
            .map_err(|e| format!("cannot run `{}`: {e}", self.display()))?;
        let deadline = Instant::now() + self.timeout;
        loop {
            match child.try_wait() {
                Ok(Some(status)) if status.success() => return Ok(()),
                Ok(Some(status)) => {
                    let mut stderr = String::new();
                    if let Some(mut e) = child.stderr.take() {
                        use std::io::Read;
                        let _ = e.read_to_string(&mut stderr);
                    }
                    return Err(format!(
                        "`{}` failed ({status}): {}",
                        self.display(),
                        stderr.trim()
                    ));
                }
                Ok(None) if Instant::now() >= deadline => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(format!(
                        "`{}` did not finish within {:?} and was killed",
                        self.display(),
                        self.timeout
                    ));
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(5)),
                Err(e) => return Err(format!("waiting for `{}`: {e}", self.display())),
            }
        }
    }

    /// Runs the command on a blocking thread.
    pub async fn run(&self) -> Result<(), String> {
        let spec = self.clone();
        tokio::task::spawn_blocking(move || spec.run_blocking())
            .await
            .map_err(|e| format!("command task failed: {e}"))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(argv: &[&str], shell: bool, timeout_ms: u64) -> CommandSpec {
        CommandSpec {
            argv: argv.iter().map(|s| s.to_string()).collect(),
            shell,
            timeout: Duration::from_millis(timeout_ms),
        }
    }

    #[test]
    fn argv_commands_run_without_a_shell() {
        assert!(spec(&["true"], false, 5_000).run_blocking().is_ok());
        // Without a shell, `;` is just an argument of echo.
        assert!(spec(&["echo", "a;", "false"], false, 5_000)
            .run_blocking()
            .is_ok());
        let err = spec(&["false"], false, 5_000).run_blocking().unwrap_err();
        assert!(err.contains("failed"), "{err}");
    }

    #[test]
    fn shell_strings_need_shell_true_and_one_string() {
        assert!(spec(&["exit 3"], true, 5_000).run_blocking().is_err());
        assert!(spec(&["true && true"], true, 5_000).run_blocking().is_ok());
        assert!(spec(&["a", "b"], true, 5_000).run_blocking().is_err());
    }

    #[test]
    fn a_command_past_its_timeout_is_killed() {
        let t = Instant::now();
        let err = spec(&["sleep", "10"], false, 200)
            .run_blocking()
            .unwrap_err();
        assert!(err.contains("killed"), "{err}");
        assert!(t.elapsed() < Duration::from_secs(5));
    }
}
