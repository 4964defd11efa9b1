//! Running one shell command with a timeout and capped output.

use super::facts::{COMMAND_PATH, CommandFact, MAX_STDERR_BYTES, MAX_STDOUT_BYTES};
use std::io::Read;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

/// Runs `sh -c run` with a clean locale and PATH, no stdin, in its own process group so a
/// timeout can end everything it started.
pub fn run_shell(run: &str, timeout_ms: u64) -> CommandFact {
    let spawned = Command::new("/bin/sh")
        .arg("-c")
        .arg(run)
        .env("PATH", COMMAND_PATH)
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(err) => {
            return CommandFact::Failed {
                reason: format!("cannot start /bin/sh: {err}"),
            };
        }
    };
    let stdout = child
        .stdout
        .take()
        .map(|pipe| read_capped(pipe, MAX_STDOUT_BYTES));
    let stderr = child
        .stderr
        .take()
        .map(|pipe| read_capped(pipe, MAX_STDERR_BYTES));
    let pid = child.id();
    let (done_tx, done_rx) = mpsc::channel();
    let waiter = thread::spawn(move || {
        let status = child.wait();
        let _ = done_tx.send(());
        status
    });
    let timed_out = done_rx
        .recv_timeout(Duration::from_millis(timeout_ms))
        .is_err();
    // End whatever the command left behind too (a timeout, or a stray background child that
    // would otherwise hold the pipes open). A negative pid names the process group we created.
    let group = -(pid as i32);
    if timed_out {
        kill_group(group);
    }
    let status = waiter.join();
    kill_group(group);
    let (out, out_truncated) = stdout.map(join_reader).unwrap_or_default();
    let (err, _) = stderr.map(join_reader).unwrap_or_default();
    if timed_out {
        return CommandFact::TimedOut { timeout_ms };
    }
    let exit_code = match status {
        Ok(Ok(status)) => status
            .code()
            // A shell reports death by signal N as 128+N; say the same so executors agree.
            .or_else(|| status.signal().map(|signal| 128 + signal)),
        _ => None,
    };
    match exit_code {
        Some(exit_code) => CommandFact::Ran {
            exit_code,
            stdout: String::from_utf8_lossy(&out).into_owned(),
            stderr: String::from_utf8_lossy(&err).into_owned(),
            stdout_truncated: out_truncated,
        },
        None => CommandFact::Failed {
            reason: "the command's exit status could not be read".into(),
        },
    }
}

fn kill_group(group: i32) {
    // SAFETY: kill(2) has no memory-safety preconditions; an empty group is ESRCH, ignored.
    unsafe {
        libc::kill(group, libc::SIGKILL);
    }
}

type Reader = thread::JoinHandle<(Vec<u8>, bool)>;

/// Keeps the first `cap` bytes and drains the rest, so a flood never blocks the child or grows
/// memory.
fn read_capped(mut pipe: impl Read + Send + 'static, cap: usize) -> Reader {
    thread::spawn(move || {
        let mut kept = Vec::new();
        let mut truncated = false;
        let mut buf = [0u8; 16 * 1024];
        loop {
            match pipe.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let room = cap.saturating_sub(kept.len());
                    if n > room {
                        truncated = true;
                    }
                    kept.extend_from_slice(&buf[..n.min(room)]);
                }
            }
        }
        (kept, truncated)
    })
}

fn join_reader(reader: Reader) -> (Vec<u8>, bool) {
    reader.join().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captures_exit_code_and_output() {
        match run_shell("echo hi; echo oops >&2; exit 3", 5_000) {
            CommandFact::Ran {
                exit_code,
                stdout,
                stderr,
                stdout_truncated,
            } => {
                assert_eq!(
                    (exit_code, stdout.as_str(), stderr.as_str()),
                    (3, "hi\n", "oops\n")
                );
                assert!(!stdout_truncated);
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn a_hanging_command_times_out_with_its_children() {
        assert_eq!(
            run_shell("sleep 30 & sleep 30", 200),
            CommandFact::TimedOut { timeout_ms: 200 }
        );
    }

    #[test]
    fn a_flood_is_capped() {
        match run_shell("head -c 3000000 /dev/zero", 10_000) {
            CommandFact::Ran {
                stdout,
                stdout_truncated,
                ..
            } => {
                assert_eq!(stdout.len(), MAX_STDOUT_BYTES);
                assert!(stdout_truncated);
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
