//! Where and how to connect: the destination, the per-fleet options, and the `ssh` argv they
//! become.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use super::error::SshError;

/// `ssh_config` keywords plumb sets itself; an operator's `-o` may not override them because
/// they carry the host-key policy and the connection lifecycle.
const RESERVED_OPTIONS: &[(&str, &str)] = &[
    (
        "stricthostkeychecking",
        "use --host-key-policy strict|accept-new",
    ),
    ("batchmode", "plumb always runs ssh in batch mode"),
    ("controlmaster", "plumb manages its own master connections"),
    ("controlpath", "plumb manages its own master connections"),
    ("controlpersist", "plumb manages its own master connections"),
];

/// How an unknown host key is treated. A *changed* key is refused under every policy.
/// Spelled `strict` / `accept-new` on the command line and in scan policies.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    serde::Serialize,
    serde::Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum HostKeyPolicy {
    /// The key must already be in a known_hosts file (`StrictHostKeyChecking yes`).
    #[default]
    Strict,
    /// Trust on first use: an unknown key is recorded (`StrictHostKeyChecking accept-new`).
    AcceptNew,
}

impl HostKeyPolicy {
    fn ssh_value(self) -> &'static str {
        match self {
            HostKeyPolicy::Strict => "yes",
            HostKeyPolicy::AcceptNew => "accept-new",
        }
    }
}

impl fmt::Display for HostKeyPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HostKeyPolicy::Strict => "strict",
            HostKeyPolicy::AcceptNew => "accept-new",
        })
    }
}

impl FromStr for HostKeyPolicy {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "strict" => Ok(HostKeyPolicy::Strict),
            "accept-new" => Ok(HostKeyPolicy::AcceptNew),
            other => Err(format!(
                "unknown host key policy {other:?}: expected strict or accept-new"
            )),
        }
    }
}

/// A parsed `[user@]host[:port]` (also `ssh://…`, `[v6addr]:port`, bare IPv6, or an ssh_config
/// alias, which is just a host name that ssh resolves).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    pub user: Option<String>,
    pub host: String,
    pub port: Option<u16>,
}

impl Destination {
    pub fn parse(input: &str) -> Result<Destination, SshError> {
        let invalid = |reason: &str| SshError::InvalidTarget {
            target: input.to_owned(),
            reason: reason.to_owned(),
        };
        let rest = input.strip_prefix("ssh://").unwrap_or(input);
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        // Host names never contain '@', so everything before the last one is the user.
        let (user, host_port) = match rest.rsplit_once('@') {
            Some((user, host_port)) => (Some(user), host_port),
            None => (None, rest),
        };
        let (host, port) = if let Some(bracketed) = host_port.strip_prefix('[') {
            let (host, after) = bracketed
                .split_once(']')
                .ok_or_else(|| invalid("'[' without a closing ']'"))?;
            match after {
                "" => (host, None),
                _ => match after.strip_prefix(':') {
                    Some(port) => (host, Some(port)),
                    None => return Err(invalid("unexpected text after ']'")),
                },
            }
        } else {
            match host_port.matches(':').count() {
                0 => (host_port, None),
                // `host:port`
                1 => match host_port.split_once(':') {
                    Some((host, port)) => (host, Some(port)),
                    None => (host_port, None),
                },
                // More than one colon: a bare IPv6 address, which cannot carry a port.
                _ => (host_port, None),
            }
        };
        let port = match port {
            None => None,
            Some(text) => match text.parse::<u16>() {
                Ok(0) | Err(_) => {
                    return Err(invalid(&format!(
                        "port {text:?} is not a number from 1 to 65535"
                    )));
                }
                Ok(port) => Some(port),
            },
        };
        check_word(host, "host").map_err(|reason| invalid(&reason))?;
        if let Some(user) = user {
            check_word(user, "user").map_err(|reason| invalid(&reason))?;
        }
        Ok(Destination {
            user: user.map(str::to_owned),
            host: host.to_owned(),
            port,
        })
    }
}

/// A host or user name must be one non-empty argv word that ssh cannot mistake for an option.
fn check_word(word: &str, what: &str) -> Result<(), String> {
    if word.is_empty() {
        return Err(format!("empty {what}"));
    }
    if word.starts_with('-') {
        return Err(format!("{what} {word:?} starts with '-'"));
    }
    if word.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "{what} {word:?} contains whitespace or control characters"
        ));
    }
    Ok(())
}

/// Connection settings shared by the hosts of a scan (the CLI flags and policy `ssh:` section).
#[derive(Debug, Clone)]
pub struct SshOptions {
    /// Login user when the destination names none (else ssh_config / the local user).
    pub user: Option<String>,
    /// Port when the destination names none (else ssh_config / 22).
    pub port: Option<u16>,
    /// Private key file (`-i`); with it, only that key is offered (`IdentitiesOnly yes`) unless
    /// an `-o` says otherwise. The key is only ever named to ssh, never read by plumb.
    pub identity: Option<PathBuf>,
    /// Extra `Key=Value` (or `Key Value`) options, as `ssh -o`. They win over ssh_config.
    pub ssh_options: Vec<String>,
    /// An explicit ssh_config (`ssh -F`); `None` reads ~/.ssh/config and /etc/ssh/ssh_config.
    pub config_file: Option<PathBuf>,
    /// A known_hosts file to use instead of the defaults (`UserKnownHostsFile`).
    pub known_hosts: Option<PathBuf>,
    pub host_key_policy: HostKeyPolicy,
    /// Run the probe under `sudo -n`.
    pub sudo: bool,
    /// Limit for connecting and authenticating.
    pub connect_timeout: Duration,
    /// Limit for the probe, from exec to exit.
    pub probe_timeout: Duration,
    /// Cap on the probe's stdout in bytes.
    pub max_output: usize,
}

impl Default for SshOptions {
    fn default() -> Self {
        SshOptions {
            user: None,
            port: None,
            identity: None,
            ssh_options: Vec::new(),
            config_file: None,
            known_hosts: None,
            host_key_policy: HostKeyPolicy::Strict,
            sudo: false,
            connect_timeout: crate::defaults::CONNECT_TIMEOUT,
            probe_timeout: crate::defaults::PROBE_TIMEOUT,
            max_output: crate::defaults::MAX_OUTPUT,
        }
    }
}

/// One host to probe: where, and with which options.
#[derive(Debug, Clone)]
pub struct SshTarget {
    /// The destination as the operator wrote it; used to name the host in errors.
    pub name: String,
    pub destination: Destination,
    pub options: SshOptions,
}

impl SshTarget {
    /// Parses the destination and checks the options, so a bad target fails before any
    /// connection is attempted.
    pub fn new(destination: &str, options: SshOptions) -> Result<SshTarget, SshError> {
        let parsed = Destination::parse(destination)?;
        for option in &options.ssh_options {
            check_ssh_option(option).map_err(|reason| SshError::InvalidTarget {
                target: destination.to_owned(),
                reason,
            })?;
        }
        if let Some(user) = &options.user {
            check_word(user, "user").map_err(|reason| SshError::InvalidTarget {
                target: destination.to_owned(),
                reason,
            })?;
        }
        for path in [
            &options.identity,
            &options.known_hosts,
            &options.config_file,
        ]
        .into_iter()
        .flatten()
        {
            if path.to_string_lossy().contains('"') {
                return Err(SshError::InvalidTarget {
                    target: destination.to_owned(),
                    reason: format!("path {} contains a '\"'", path.display()),
                });
            }
        }
        Ok(SshTarget {
            name: destination.to_owned(),
            destination: parsed,
            options,
        })
    }

    /// The user to log in as: the destination's, else the options'.
    pub fn user(&self) -> Option<&str> {
        self.destination
            .user
            .as_deref()
            .or(self.options.user.as_deref())
    }

    /// The port: the destination's, else the options'.
    pub fn port(&self) -> Option<u16> {
        self.destination.port.or(self.options.port)
    }

    /// The arguments for `ssh` that start this target's master connection, control socket at
    /// `control_path`, log at `log_path`. ssh keeps the first value it sees for an option, and
    /// command-line options come before any ssh_config, so the order here is the precedence:
    /// plumb's fixed options, then the target's, then the operator's `-o`, then plumb's
    /// overridable defaults.
    pub(crate) fn master_args(&self, control_path: &Path, log_path: &Path) -> Vec<String> {
        let options = &self.options;
        let mut args: Vec<String> = vec![
            "-M".into(),
            "-f".into(),
            "-N".into(),
            "-E".into(),
            log_path.to_string_lossy().into_owned(),
            "-S".into(),
            ssh_path(control_path),
            "-o".into(),
            "BatchMode=yes".into(),
            "-o".into(),
            format!(
                "StrictHostKeyChecking={}",
                options.host_key_policy.ssh_value()
            ),
            "-o".into(),
            // Idle masters (a crashed plumb) go away by themselves.
            "ControlPersist=60s".into(),
        ];
        if let Some(config) = &options.config_file {
            args.push("-F".into());
            args.push(config.to_string_lossy().into_owned());
        }
        if let Some(known_hosts) = &options.known_hosts {
            args.push("-o".into());
            args.push(format!("UserKnownHostsFile=\"{}\"", ssh_path(known_hosts)));
        }
        if let Some(user) = self.user() {
            args.push("-l".into());
            args.push(user.to_owned());
        }
        if let Some(port) = self.port() {
            args.push("-p".into());
            args.push(port.to_string());
        }
        let timeout_secs = options.connect_timeout.as_secs().max(1);
        args.push("-o".into());
        args.push(format!("ConnectTimeout={timeout_secs}"));
        for option in &options.ssh_options {
            args.push("-o".into());
            args.push(option.clone());
        }
        if let Some(identity) = &options.identity {
            args.push("-o".into());
            args.push(format!("IdentityFile=\"{}\"", ssh_path(identity)));
            args.push("-o".into());
            args.push("IdentitiesOnly=yes".into());
        }
        // Notice a dead peer during a long probe.
        args.push("-o".into());
        args.push("ServerAliveInterval=15".into());
        args.push("-o".into());
        args.push("ServerAliveCountMax=3".into());
        args.push("--".into());
        args.push(self.destination.host.clone());
        args
    }
}

/// ssh expands `%` tokens in paths; a literal `%` is written `%%`.
pub(crate) fn ssh_path(path: &Path) -> String {
    path.to_string_lossy().replace('%', "%%")
}

/// An `-o` option must look like `Key=Value` or `Key Value` and must not touch what plumb owns.
fn check_ssh_option(option: &str) -> Result<(), String> {
    let trimmed = option.trim();
    let key_end = trimmed
        .find(|c: char| c == '=' || c.is_whitespace())
        .ok_or_else(|| format!("ssh option {option:?} is not Key=Value"))?;
    let (key, value) = trimmed.split_at(key_end);
    let value = value.trim_start_matches(|c: char| c == '=' || c.is_whitespace());
    if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(format!("ssh option {option:?} has no valid keyword"));
    }
    if value.is_empty() {
        return Err(format!("ssh option {option:?} has no value"));
    }
    if option.chars().any(|c| c.is_control()) {
        return Err(format!("ssh option {option:?} contains control characters"));
    }
    let lower = key.to_ascii_lowercase();
    if let Some((_, hint)) = RESERVED_OPTIONS.iter().find(|(name, _)| *name == lower) {
        return Err(format!("ssh option {key} cannot be set with -o: {hint}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(input: &str) -> (Option<String>, String, Option<u16>) {
        match Destination::parse(input) {
            Ok(d) => (d.user, d.host, d.port),
            Err(err) => panic!("{input}: {err}"),
        }
    }

    #[test]
    fn destinations_parse() {
        assert_eq!(parse("web1"), (None, "web1".into(), None));
        assert_eq!(parse("web1:2222"), (None, "web1".into(), Some(2222)));
        assert_eq!(
            parse("ops@web1.example.com:22"),
            (Some("ops".into()), "web1.example.com".into(), Some(22))
        );
        assert_eq!(parse("[::1]:2200"), (None, "::1".into(), Some(2200)));
        assert_eq!(
            parse("root@[fe80::1%eth0]"),
            (Some("root".into()), "fe80::1%eth0".into(), None)
        );
        assert_eq!(parse("::1"), (None, "::1".into(), None));
        assert_eq!(parse("2001:db8::7"), (None, "2001:db8::7".into(), None));
        assert_eq!(
            parse("ssh://a@b:99"),
            (Some("a".into()), "b".into(), Some(99))
        );
        assert_eq!(parse("10.0.0.1"), (None, "10.0.0.1".into(), None));
    }

    #[test]
    fn bad_destinations_are_refused_with_a_reason() {
        for bad in [
            "",
            "host:",
            "host:0",
            "host:99999",
            "host:ssh",
            "-oProxyCommand=x",
            "@host",
            "[::1",
            "[::1]x",
            "a b",
            "-l@host",
        ] {
            let err = Destination::parse(bad).expect_err(bad);
            assert!(
                matches!(err, SshError::InvalidTarget { .. }),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn ssh_options_are_checked() {
        assert!(check_ssh_option("ProxyJump=bastion").is_ok());
        assert!(check_ssh_option("Ciphers aes256-gcm@openssh.com").is_ok());
        assert!(check_ssh_option("StrictHostKeyChecking=no").is_err());
        assert!(check_ssh_option("controlpath=/tmp/x").is_err());
        assert!(check_ssh_option("NoValue").is_err());
        assert!(check_ssh_option("Key=").is_err());
        assert!(check_ssh_option("=value").is_err());
    }

    #[test]
    fn destination_user_and_port_win_over_options() {
        let options = SshOptions {
            user: Some("fallback".into()),
            port: Some(22),
            ssh_options: vec!["Compression=yes".into()],
            ..SshOptions::default()
        };
        let target = match SshTarget::new("ops@db:2222", options) {
            Ok(target) => target,
            Err(err) => panic!("{err}"),
        };
        assert_eq!(target.user(), Some("ops"));
        assert_eq!(target.port(), Some(2222));
        let args = target.master_args(Path::new("/c/1.sock"), Path::new("/c/1.log"));
        let joined = args.join(" ");
        assert!(joined.contains("-l ops -p 2222"), "{joined}");
        // plumb's host-key option precedes the operator's options, the host comes last.
        let strict = joined.find("StrictHostKeyChecking=yes");
        let compression = joined.find("Compression=yes");
        assert!(strict < compression, "{joined}");
        assert_eq!(args.last().map(String::as_str), Some("db"));
        assert_eq!(args.get(args.len() - 2).map(String::as_str), Some("--"));
    }
}
