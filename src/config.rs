//! The optional config file: defaults that sit below flags and `PLUMB_*` variables.
//!
//! Looked up at `--config FILE`, else `$PLUMB_CONFIG`, else `<config dir>/plumb/config.yaml`
//! (`~/.config/plumb/config.yaml` on Linux). Relative paths in it are relative to the file.

use crate::error::{Error, Result};
use crate::yaml_bounds::{self, Aliases, MAX_YAML_BYTES};
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// State file path.
    pub state: Option<PathBuf>,
    /// Scan policy applied by `scan` and checked by `verify-policy`.
    pub policy: Option<PathBuf>,
    /// OpenSSH allowed_signers file trusted for policy signatures.
    pub allowed_signers: Option<PathBuf>,
    /// A single trusted public key (`.pub`), instead of allowed_signers.
    pub trusted_key: Option<PathBuf>,
    /// Revocation list of key fingerprints, checked for every policy.
    pub revocation_list: Option<PathBuf>,
    /// Inventory that `schedule run-once` enrols when `-i` is not given.
    pub inventory: Option<PathBuf>,
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
    for slot in [
        &mut config.state,
        &mut config.policy,
        &mut config.allowed_signers,
        &mut config.trusted_key,
        &mut config.revocation_list,
        &mut config.inventory,
    ]
    .into_iter()
    .flatten()
    {
        if slot.is_relative() {
            *slot = base.join(&*slot);
        }
    }
    Ok(config)
}
