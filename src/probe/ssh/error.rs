//! The transport's typed errors, and the reading of ssh's and sudo's messages into them.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

use super::ProbeOutput;

/// Longest ssh diagnostic kept in an error message.
const MAX_DETAIL: usize = 2048;

#[derive(Debug, thiserror::Error)]
pub enum SshError {
    /// The destination or an option is malformed; nothing was attempted.
    #[error("invalid ssh target {target:?}: {reason}")]
    InvalidTarget { target: String, reason: String },

    /// ssh rejected its configuration (a bad `-o`, an unreadable `--ssh-config`).
    #[error("{host}: ssh configuration error: {detail}")]
    Config { host: String, detail: String },

    /// Name resolution failed, or the connection was refused or could not be routed.
    #[error("{host}: unreachable: {detail}")]
    Unreachable { host: String, detail: String },

    #[error(
        "{host}: authentication failed: {detail} (check the login user, the key or ssh-agent, \
         and the server's authorized_keys)"
    )]
    AuthFailed { host: String, detail: String },

    /// Strict policy and the host key is in no known_hosts file.
    #[error(
        "{host}: host key is not known: {detail}. Verify the host's key fingerprint and add it \
         to known_hosts (e.g. `ssh-keyscan -p PORT HOST >> ~/.ssh/known_hosts`, or the file \
         given with --known-hosts), or scan with --host-key-policy accept-new to trust it on \
         first use"
    )]
    HostKeyUnknown { host: String, detail: String },

    /// The host presented a key different from the recorded one. Refused under every policy.
    #[error(
        "{host}: HOST KEY CHANGED: the host's key differs from the one recorded{location}. \
         This can mean a man-in-the-middle attack, or a reinstalled host. Refused. If the \
         change is expected, remove the stale entry ({remedy}) and scan again"
    )]
    HostKeyChanged {
        host: String,
        /// The known_hosts file and line holding the stale key, when ssh named them.
        known_hosts: Option<PathBuf>,
        line: Option<u32>,
        location: String,
        remedy: String,
    },

    #[error("{host}: connecting timed out after {}s", timeout.as_secs_f64())]
    ConnectTimeout { host: String, timeout: Duration },

    /// The connection failed for a reason not classified above (the server closed it, …).
    #[error("{host}: ssh connection failed: {detail}")]
    ConnectFailed { host: String, detail: String },

    #[error(
        "{host}: probe timed out after {}s and was ended", timeout.as_secs_f64()
    )]
    ProbeTimeout { host: String, timeout: Duration },

    #[error("{host}: sudo failed: {reason}")]
    SudoFailed { host: String, reason: String },

    #[error("{host}: probe output exceeded {limit} bytes; reading stopped and the probe was ended")]
    OutputTooLarge { host: String, limit: usize },

    /// The probe ran and exited non-zero or was killed. What it printed is kept.
    #[error("{host}: probe {}{}", exit_description(output.exit_code), stderr_suffix(&output.stderr_tail))]
    RemoteExit {
        host: String,
        output: Box<ProbeOutput>,
    },

    /// The established session broke (master died, connection dropped mid-probe).
    #[error("{host}: ssh session failed: {detail}")]
    Session { host: String, detail: String },

    /// The transport was shut down (Ctrl-C) while this host was in progress.
    #[error("{host}: interrupted")]
    Interrupted { host: String },

    /// A local operation failed (spawning ssh, the control directory). The cause is part of
    /// the message, not a source: host reports carry this error as one line of text.
    #[error("{context}: {cause}")]
    Local { context: String, cause: io::Error },
}

impl SshError {
    /// True for errors in what the operator asked for (bad target, ssh config): exit code 2
    /// territory rather than an operational failure.
    pub fn is_usage_error(&self) -> bool {
        matches!(
            self,
            SshError::InvalidTarget { .. } | SshError::Config { .. }
        )
    }
}

fn exit_description(code: Option<i32>) -> String {
    match code {
        Some(code) => format!("exited with status {code}"),
        None => "was killed by a signal or lost its connection".to_owned(),
    }
}

fn stderr_suffix(stderr: &str) -> String {
    let last = stderr.trim().lines().rev().find(|l| !l.trim().is_empty());
    match last {
        Some(line) => format!(": {}", truncate(line.trim(), 512)),
        None => String::new(),
    }
}

fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// The meaningful lines of an ssh log: no blank lines, no banner art, no TOFU notices.
fn ssh_detail(log: &str) -> String {
    let lines: Vec<&str> = log
        .lines()
        .map(|l| l.trim_end_matches('\r').trim().trim_end_matches('.'))
        .filter(|l| {
            !l.is_empty() && !l.starts_with("@@@") && !l.starts_with("Warning: Permanently added")
        })
        .collect();
    if lines.is_empty() {
        return "ssh exited without a message".to_owned();
    }
    truncate(&lines.join("; "), MAX_DETAIL)
}

/// Reads why `ssh` could not set up the master connection from its log.
pub(crate) fn classify_connect_failure(host: &str, log: &str, timeout: Duration) -> SshError {
    let host = host.to_owned();
    let detail = ssh_detail(log);
    let has = |needle: &str| log.contains(needle);

    if has("REMOTE HOST IDENTIFICATION HAS CHANGED") || (has("Host key for") && has("has changed"))
    {
        return host_key_changed(host, log);
    }
    if has("Bad configuration option")
        || has("bad configuration options")
        || has("Can't open user config file")
        || has("no argument after keyword")
        || has("Unsupported option")
        || has("keyword") && has("extra arguments")
    {
        return SshError::Config { host, detail };
    }
    if has("host key is known for") && has("requested strict checking")
        || has("Host key verification failed")
    {
        return SshError::HostKeyUnknown { host, detail };
    }
    if has("Permission denied (") || has("Too many authentication failures") {
        return SshError::AuthFailed { host, detail };
    }
    if has("Connection timed out") || has("Operation timed out") || has("timed out during banner") {
        return SshError::ConnectTimeout { host, timeout };
    }
    if has("Connection refused")
        || has("Could not resolve hostname")
        || has("No route to host")
        || has("Network is unreachable")
        || has("Name or service not known")
        || has("Temporary failure in name resolution")
    {
        return SshError::Unreachable { host, detail };
    }
    SshError::ConnectFailed { host, detail }
}

fn host_key_changed(host: String, log: &str) -> SshError {
    // "Offending ED25519 key in /root/.ssh/known_hosts:3"
    let offending = log.lines().find_map(|line| {
        let rest = line.trim().strip_prefix("Offending ")?;
        let (_, location) = rest.split_once(" key in ")?;
        let location = location.trim_end_matches('\r').trim();
        let (file, line_no) = location.rsplit_once(':')?;
        Some((PathBuf::from(file), line_no.parse::<u32>().ok()))
    });
    // ssh also prints the exact removal command: ssh-keygen -f "FILE" -R "HOST"
    let remedy = log
        .lines()
        .map(|l| l.trim_end_matches('\r').trim())
        .find(|l| l.starts_with("ssh-keygen -f ") && l.contains(" -R "))
        .map(str::to_owned)
        .unwrap_or_else(|| match &offending {
            Some((file, _)) => format!("ssh-keygen -f \"{}\" -R HOST", file.display()),
            None => "ssh-keygen -R HOST".to_owned(),
        });
    let (known_hosts, line) = match offending {
        Some((file, line)) => (Some(file), line),
        None => (None, None),
    };
    let location = match (&known_hosts, line) {
        (Some(file), Some(line)) => format!(" in {}:{line}", file.display()),
        (Some(file), None) => format!(" in {}", file.display()),
        _ => String::new(),
    };
    SshError::HostKeyChanged {
        host,
        known_hosts,
        line,
        location,
        remedy,
    }
}

/// Why `sudo -n` refused, when stderr says so. Only asked when the probe printed nothing, so a
/// script's own output mentioning sudo is not mistaken for a failure to elevate.
pub(crate) fn classify_sudo_failure(stderr: &str, exit_code: Option<i32>) -> Option<String> {
    let reason = if stderr.contains("a password is required") {
        "sudo -n needs a password for this user; allow the probe without one (NOPASSWD in \
         sudoers) or scan without --sudo"
    } else if stderr.contains("a terminal is required") {
        "sudo wants a terminal (a password prompt or requiretty); allow the probe with \
         NOPASSWD and without requiretty, or scan without --sudo"
    } else if stderr.contains("is not in the sudoers file")
        || stderr.contains("is not allowed to execute")
        || stderr.contains("may not run sudo")
        || stderr.contains("not allowed to run sudo")
    {
        "the login user may not run the probe through sudo; grant it in sudoers or scan without \
         --sudo"
    } else if exit_code == Some(127) && stderr.contains("sudo") && stderr.contains("not found") {
        "sudo is not installed on the host (`sudo: not found`); install it or scan without --sudo"
    } else {
        return None;
    };
    let said = stderr
        .lines()
        .map(str::trim)
        .find(|l| l.contains("sudo"))
        .map(|l| format!(" [{}]", truncate(l, 256)))
        .unwrap_or_default();
    Some(format!("{reason}{said}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_host_key_names_file_line_and_remedy() {
        let log = "@@@@@@@@@@@\r\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\r\n\
                   Offending ED25519 key in /tmp/kh:3\r\n  remove with:\r\n\
                   ssh-keygen -f \"/tmp/kh\" -R \"[127.0.0.1]:2222\"\r\n\
                   Host key for [127.0.0.1]:2222 has changed and you have requested strict checking.\r\n\
                   Host key verification failed.\r\n";
        match classify_connect_failure("web1", log, Duration::from_secs(1)) {
            SshError::HostKeyChanged {
                known_hosts,
                line,
                remedy,
                ..
            } => {
                assert_eq!(known_hosts, Some(PathBuf::from("/tmp/kh")));
                assert_eq!(line, Some(3));
                assert_eq!(remedy, "ssh-keygen -f \"/tmp/kh\" -R \"[127.0.0.1]:2222\"");
            }
            other => panic!("{other}"),
        }
    }

    #[test]
    fn ssh_messages_map_to_kinds() {
        let kind = |log: &str| match classify_connect_failure("h", log, Duration::from_secs(1)) {
            SshError::Unreachable { .. } => "unreachable",
            SshError::AuthFailed { .. } => "auth",
            SshError::HostKeyUnknown { .. } => "unknown-key",
            SshError::ConnectTimeout { .. } => "timeout",
            SshError::Config { .. } => "config",
            SshError::ConnectFailed { .. } => "other",
            _ => "unexpected",
        };
        assert_eq!(
            kind("ssh: connect to host h port 22: Connection refused"),
            "unreachable"
        );
        assert_eq!(
            kind("ssh: Could not resolve hostname h: Name or service not known"),
            "unreachable"
        );
        assert_eq!(kind("root@h: Permission denied (publickey)."), "auth");
        assert_eq!(
            kind(
                "No ED25519 host key is known for h and you have requested strict checking.\nHost key verification failed."
            ),
            "unknown-key"
        );
        assert_eq!(
            kind("ssh: connect to host h port 22: Connection timed out"),
            "timeout"
        );
        assert_eq!(
            kind("command-line line 0: Bad configuration option: bogus"),
            "config"
        );
        assert_eq!(kind("Connection closed by 10.0.0.1 port 22"), "other");
    }

    #[test]
    fn sudo_failures_are_recognised() {
        assert!(classify_sudo_failure("sudo: a password is required\n", Some(1)).is_some());
        assert!(classify_sudo_failure("sh: 1: exec: sudo: not found\n", Some(127)).is_some());
        assert!(classify_sudo_failure("cat: x: No such file\n", Some(1)).is_none());
    }
}
