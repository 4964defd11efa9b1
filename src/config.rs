//! The optional config file: defaults that sit below flags and `PLUMB_*` variables.
//!
//! Looked up at `--config FILE`, else `$PLUMB_CONFIG`, else `<config dir>/plumb/config.yaml`
//! (`~/.config/plumb/config.yaml` on Linux). Relative paths in it are relative to the file.
//! Each key is named after its flag; a flag (or its variable) wins over the key, and the key
//! wins over a policy's value and the built-in default, as the flag would.

use crate::cli::{FailOn, ScanArgs, SeverityArg};
use crate::error::{Error, Result};
use crate::probe::ssh::HostKeyPolicy;
use crate::report::Format;
use crate::store::StateLocation;
use crate::yaml_bounds::{self, Aliases, MAX_YAML_BYTES};
use serde::{Deserialize, Deserializer};
use std::path::{Path, PathBuf};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// State file path or PostgreSQL URL (a relative path is relative to the config file).
    #[serde(default, deserialize_with = "state_location")]
    pub state: Option<StateLocation>,
    /// Scan policy applied by `scan` and checked by `verify-policy`.
    pub policy: Option<PathBuf>,
    /// OpenSSH allowed_signers file trusted for policy signatures.
    pub allowed_signers: Option<PathBuf>,
    /// A single trusted public key (`.pub`), instead of allowed_signers.
    pub trusted_key: Option<PathBuf>,
    /// Revocation list of key fingerprints, checked for every policy.
    pub revocation_list: Option<PathBuf>,
    /// Inventory that `scan` reads when no host, `--local`, `--root` or `-i` is given, and that
    /// `schedule run-once` enrols when `-i` is not given.
    pub inventory: Option<PathBuf>,
    /// `--limit` patterns for that inventory (each one must match, as repeated flags).
    #[serde(default)]
    pub limit: Vec<String>,
    /// `--format`.
    #[serde(default, deserialize_with = "value_enum")]
    pub format: Option<Format>,
    /// `scan --fail-on`.
    #[serde(default, deserialize_with = "value_enum")]
    pub fail_on: Option<FailOn>,
    /// `scan --rules`: rule files or directories.
    #[serde(default)]
    pub rules: Vec<PathBuf>,
    /// `scan --profile`.
    #[serde(default)]
    pub profiles: Vec<String>,
    /// `scan --min-severity`.
    #[serde(default, deserialize_with = "value_enum")]
    pub min_severity: Option<SeverityArg>,
    /// `scan --evidence-max-bytes`.
    pub evidence_max_bytes: Option<usize>,
    /// `scan --concurrency`.
    pub concurrency: Option<u32>,
    /// SSH defaults for `scan`.
    #[serde(default)]
    pub ssh: SshConfig,
}

/// The `ssh:` section: `scan`'s SSH flags.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SshConfig {
    pub user: Option<String>,
    pub port: Option<u16>,
    pub identity: Option<PathBuf>,
    /// `-o KEY=VALUE` options; flags given on the command line replace them.
    #[serde(default)]
    pub options: Vec<String>,
    /// An ssh_config file.
    pub config: Option<PathBuf>,
    pub known_hosts: Option<PathBuf>,
    #[serde(default, deserialize_with = "value_enum")]
    pub host_key_policy: Option<HostKeyPolicy>,
    /// Seconds.
    pub connect_timeout: Option<u64>,
    /// Seconds.
    pub probe_timeout: Option<u64>,
    pub sudo: Option<bool>,
}

/// A value named as on the command line (`--fail-on high` is `fail_on: high`).
/// `state:` read by the one parser `--state` uses, so a URL never becomes a file here either.
fn state_location<'de, D>(deserializer: D) -> std::result::Result<Option<StateLocation>, D::Error>
where
    D: Deserializer<'de>,
{
    let Some(text) = Option::<String>::deserialize(deserializer)? else {
        return Ok(None);
    };
    // The error never repeats a password (LocationError's Display redacts it).
    StateLocation::parse(text.as_ref())
        .map(Some)
        .map_err(serde::de::Error::custom)
}

fn value_enum<'de, D, T>(deserializer: D) -> std::result::Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: clap::ValueEnum,
{
    let Some(text) = Option::<String>::deserialize(deserializer)? else {
        return Ok(None);
    };
    T::from_str(&text, false).map(Some).map_err(|_| {
        let names: Vec<String> = T::value_variants()
            .iter()
            .filter_map(|v| v.to_possible_value().map(|p| p.get_name().to_owned()))
            .collect();
        serde::de::Error::custom(format!(
            "unknown value `{text}`, expected one of: {}",
            names.join(", ")
        ))
    })
}

impl Config {
    /// `args` with every setting the command line left unset taken from this file.
    pub fn scan_args(&self, args: &ScanArgs) -> ScanArgs {
        let mut args = args.clone();
        let targets_given = !args.hosts.is_empty()
            || args.local
            || args.root.is_some()
            || args.inventory.inventory.is_some();
        if !targets_given {
            args.inventory.inventory = self.inventory.clone();
        }
        let config_inventory =
            args.inventory.inventory.is_some() && args.inventory.inventory == self.inventory;
        if args.inventory.limit.is_empty() && config_inventory {
            args.inventory.limit = self.limit.clone();
        }
        args.fail_on = args.fail_on.or(self.fail_on);
        if args.rules.rules.is_empty() {
            args.rules.rules = self.rules.clone();
        }
        if args.profile.profiles.is_empty() {
            args.profile.profiles = self.profiles.clone();
        }
        args.min_severity = args.min_severity.or(self.min_severity);
        args.evidence_max_bytes = args.evidence_max_bytes.or(self.evidence_max_bytes);
        let ssh = &mut args.ssh;
        ssh.concurrency = ssh.concurrency.or(self.concurrency);
        ssh.user = ssh.user.take().or_else(|| self.ssh.user.clone());
        ssh.port = ssh.port.or(self.ssh.port);
        ssh.identity = ssh.identity.take().or_else(|| self.ssh.identity.clone());
        if ssh.ssh_options.is_empty() {
            ssh.ssh_options = self.ssh.options.clone();
        }
        ssh.ssh_config = ssh.ssh_config.take().or_else(|| self.ssh.config.clone());
        ssh.known_hosts = ssh
            .known_hosts
            .take()
            .or_else(|| self.ssh.known_hosts.clone());
        ssh.host_key_policy = ssh.host_key_policy.or(self.ssh.host_key_policy);
        ssh.connect_timeout = ssh.connect_timeout.or(self.ssh.connect_timeout);
        ssh.probe_timeout = ssh.probe_timeout.or(self.ssh.probe_timeout);
        ssh.sudo = ssh.sudo || self.ssh.sudo == Some(true);
        args
    }
}

pub fn default_path() -> Option<PathBuf> {
    dirs::config_dir().map(|dir| dir.join("plumb/config.yaml"))
}

/// Reads the config file. An explicit path must exist; the default one may be absent.
pub fn load(explicit: Option<&Path>) -> Result<Config> {
    let (path, required) = match explicit {
        Some(path) => (path.to_owned(), true),
        None => match default_path() {
            Some(path) => (path, false),
            None => return Ok(Config::default()),
        },
    };
    let text = match crate::bounded_read::read_regular_text(&path, MAX_YAML_BYTES) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound && !required => {
            return Ok(Config::default());
        }
        Err(source) => return Err(Error::ConfigRead { path, source }),
    };
    // A config file never needs aliases.
    yaml_bounds::check(&text, Aliases::Refused).map_err(|refusal| Error::Config {
        path: path.clone(),
        location: refusal.location_suffix(),
        message: refusal.message,
    })?;
    let mut config: Config = if text.trim().is_empty() {
        Config::default()
    } else {
        serde_yaml::from_str(&text).map_err(|err| {
            let location = err
                .location()
                .map(|l| format!(":{}:{}", l.line(), l.column()))
                .unwrap_or_default();
            Error::Config {
                path: path.clone(),
                location,
                message: err.to_string(),
            }
        })?
    };
    let base = path.parent().unwrap_or(Path::new("."));
    if let Some(StateLocation::Path(path)) = &mut config.state {
        if path.is_relative() {
            *path = base.join(&*path);
        }
    }
    for slot in [
        &mut config.policy,
        &mut config.allowed_signers,
        &mut config.trusted_key,
        &mut config.revocation_list,
        &mut config.inventory,
        &mut config.ssh.identity,
        &mut config.ssh.config,
        &mut config.ssh.known_hosts,
    ]
    .into_iter()
    .flatten()
    .chain(config.rules.iter_mut())
    {
        if slot.is_relative() {
            *slot = base.join(&*slot);
        }
    }
    Ok(config)
}
