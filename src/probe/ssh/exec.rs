//! The one exec per scan: `sh -s` with the script on stdin, stdout read under a cap, a tail of
//! stderr kept, all under the probe timeout.

use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

use super::error::{SshError, classify_sudo_failure};
use super::target::SshTarget;

/// How much of the remote stderr is kept for error messages.
pub const STDERR_TAIL: usize = 64 * 1024;
/// Grace after the remote `timeout -k` would have fired before plumb stops waiting.
const LOCAL_GRACE: Duration = Duration::from_secs(2);
const READ_CHUNK: usize = 64 * 1024;
/// `timeout` exits 124 when it stopped the command, 137 when it had to SIGKILL it.
const TIMEOUT_EXITS: [i32; 2] = [124, 137];

/// What one probe run returned.
pub struct ProbeOutput {
    /// The script's stdout, byte-exact.
    pub stdout: Vec<u8>,
    /// The exit status; `None` when the remote process was killed by a signal.
    pub exit_code: Option<i32>,
    /// The last [`STDERR_TAIL`] bytes of stderr (lossy UTF-8).
    pub stderr_tail: String,
    pub timings: ProbeTimings,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct ProbeTimings {
    /// Starting the master connection: TCP, key exchange, authentication.
    pub connect: Duration,
    /// From opening the exec channel to the process's exit.
    pub exec: Duration,
}

// Printing megabytes of probe output in a Debug dump helps nobody.
impl std::fmt::Debug for ProbeOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProbeOutput")
            .field("stdout_len", &self.stdout.len())
            .field("exit_code", &self.exit_code)
            .field("stderr_tail", &self.stderr_tail)
            .field("timings", &self.timings)
            .finish()
    }
}

/// The command line handed to the remote login shell. Written for any shell that understands
/// `sh -c '…'`. The probe runs under `timeout` when the host has it, so a probe that outlives
/// its limit is ended on the host, not only abandoned by plumb; `-k` follows up with SIGKILL.
pub(crate) fn remote_command(sudo: bool, probe_timeout: Duration) -> String {
    let secs = probe_timeout.as_secs() + u64::from(probe_timeout.subsec_nanos() > 0);
    let sudo = if sudo { "sudo -n " } else { "" };
    format!(
        "sh -c 'if command -v timeout >/dev/null 2>&1; then exec {sudo}timeout -k 5 {secs} sh -s; \
         else exec {sudo}sh -s; fi'"
    )
}

enum ReadFailure {
    TooLarge,
    Io(std::io::Error),
}

pub(crate) async fn run(
    session: &openssh::Session,
    target: &SshTarget,
    script: &[u8],
) -> Result<(Vec<u8>, Option<i32>, String, Duration), SshError> {
    let host = &target.name;
    let options = &target.options;
    let started = Instant::now();
    let session_error = |detail: String| SshError::Session {
        host: host.clone(),
        detail,
    };
    let mut child = session
        .raw_command(remote_command(options.sudo, options.probe_timeout))
        .stdin(openssh::Stdio::piped())
        .stdout(openssh::Stdio::piped())
        .stderr(openssh::Stdio::piped())
        .spawn()
        .await
        .map_err(|err| session_error(format!("opening the exec channel: {}", error_chain(&err))))?;
    let (Some(mut stdin), Some(stdout), Some(stderr)) = (
        child.stdin().take(),
        child.stdout().take(),
        child.stderr().take(),
    ) else {
        return Err(session_error("the exec channel has no stdio".to_owned()));
    };

    let feed = async move {
        // A script that exits before reading all of stdin closes the pipe; its exit status
        // tells what happened, so a broken pipe here is not an error of its own.
        let _ = stdin.write_all(script).await;
        let _ = stdin.shutdown().await;
    };
    // try_join: an overflowing stdout abandons the other two at once.
    let io = async {
        tokio::try_join!(
            async {
                feed.await;
                Ok(())
            },
            read_capped(stdout, options.max_output),
            async { Ok(read_tail(stderr, STDERR_TAIL).await) }
        )
    };
    let limit = options.probe_timeout + LOCAL_GRACE;
    let timed_out = || SshError::ProbeTimeout {
        host: host.clone(),
        timeout: options.probe_timeout,
    };
    // Returning early drops `child`, which closes the channel: the remote side sees EOF and
    // a broken pipe, and `timeout` ends whatever is left.
    let (stdout, stderr_tail) = match tokio::time::timeout(limit, io).await {
        Err(_) => return Err(timed_out()),
        Ok(Err(ReadFailure::TooLarge)) => {
            return Err(SshError::OutputTooLarge {
                host: host.clone(),
                limit: options.max_output,
            });
        }
        Ok(Err(ReadFailure::Io(err))) => {
            return Err(session_error(format!("reading the probe's output: {err}")));
        }
        Ok(Ok(((), stdout, stderr_tail))) => (stdout, stderr_tail),
    };
    let remaining = limit.saturating_sub(started.elapsed());
    let exit_code = match tokio::time::timeout(remaining, child.wait()).await {
        Err(_) => return Err(timed_out()),
        Ok(Ok(status)) => status.code(),
        // openssh reports exit 127 as an error of its own.
        Ok(Err(openssh::Error::Remote(err))) if err.kind() == std::io::ErrorKind::NotFound => {
            Some(127)
        }
        Ok(Err(openssh::Error::RemoteProcessTerminated)) => None,
        Ok(Err(err)) => return Err(session_error(error_chain(&err))),
    };
    let elapsed = started.elapsed();
    if let Some(code) = exit_code
        && TIMEOUT_EXITS.contains(&code)
        && elapsed >= options.probe_timeout
    {
        return Err(timed_out());
    }
    if options.sudo
        && exit_code != Some(0)
        && stdout.is_empty()
        && let Some(reason) = classify_sudo_failure(&stderr_tail, exit_code)
    {
        return Err(SshError::SudoFailed {
            host: host.clone(),
            reason,
        });
    }
    Ok((stdout, exit_code, stderr_tail, elapsed))
}

/// Reads to EOF, failing as soon as more than `cap` bytes arrive. Memory stays within
/// `cap` + one chunk.
async fn read_capped(
    mut reader: impl AsyncRead + Unpin,
    cap: usize,
) -> Result<Vec<u8>, ReadFailure> {
    let mut out = Vec::new();
    let mut chunk = vec![0u8; READ_CHUNK];
    loop {
        let n = reader.read(&mut chunk).await.map_err(ReadFailure::Io)?;
        if n == 0 {
            return Ok(out);
        }
        if out.len() + n > cap {
            return Err(ReadFailure::TooLarge);
        }
        out.extend_from_slice(chunk.get(..n).unwrap_or_default());
    }
}

/// Reads to EOF keeping only the last `keep` bytes. A read error ends the tail early; stderr
/// is only for messages.
async fn read_tail(mut reader: impl AsyncRead + Unpin, keep: usize) -> String {
    let mut tail: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; READ_CHUNK];
    while let Ok(n) = reader.read(&mut chunk).await {
        if n == 0 {
            break;
        }
        tail.extend_from_slice(chunk.get(..n).unwrap_or_default());
        if tail.len() > keep.saturating_mul(2) {
            let cut = tail.len() - keep;
            tail.drain(..cut);
        }
    }
    if tail.len() > keep {
        let cut = tail.len() - keep;
        tail.drain(..cut);
    }
    String::from_utf8_lossy(&tail).into_owned()
}

fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn capped_read_stops_over_the_cap() {
        let data = vec![7u8; 1000];
        assert!(matches!(
            read_capped(&data[..], 999).await,
            Err(ReadFailure::TooLarge)
        ));
        assert!(matches!(read_capped(&data[..], 1000).await, Ok(v) if v == data));
    }

    #[tokio::test]
    async fn tail_keeps_the_end() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let tail = read_tail(&data[..], 10).await;
        let expected = String::from_utf8_lossy(&data[data.len() - 10..]).into_owned();
        assert_eq!(tail, expected);
    }

    #[test]
    fn remote_command_uses_timeout_and_sudo() {
        let plain = remote_command(false, Duration::from_millis(1500));
        assert!(plain.contains("exec timeout -k 5 2 sh -s"), "{plain}");
        let sudo = remote_command(true, Duration::from_secs(30));
        assert!(
            sudo.contains("exec sudo -n timeout -k 5 30 sh -s"),
            "{sudo}"
        );
        assert!(sudo.contains("else exec sudo -n sh -s"), "{sudo}");
    }
}
