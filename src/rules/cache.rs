//! A private cache of parsed rule files, so a large pack is parsed once, not on every run.
//!
//! Parsing YAML is nearly all of loading (two libyaml passes: the bounds check, then the parse).
//! An entry holds one file's rules as parsed (before variables are
//! substituted and checks are built), as JSON, under the SHA-256 of plumb's version, the file's
//! name and its text. A changed file, a renamed one or another plumb version misses, and is
//! parsed and bounded as if there were no cache.
//!
//! The cache is trusted only as far as the user's own files: its directory and each entry
//! must be owned by the effective user and writable by no one else, and an entry is a regular
//! file of bounded size whose key matches its name. Anything else is not used. Reading it again
//! runs the same shape checks as the YAML path (unknown keys, methods, parameters, modes).

use super::raw::RawRule;
use super::shape::Checked;
use crate::yaml_bounds::MAX_YAML_BYTES;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fs;
use std::io::{self, Read};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// Names the directory under the user's cache dir; bump when an entry's shape changes.
const CACHE_DIR_NAME: &str = "rules-v1";
/// Overrides where the cache lives; `off` turns it off.
pub const CACHE_DIR_ENV: &str = "PLUMB_RULE_CACHE";
/// An entry is JSON of a file that was at most [`MAX_YAML_BYTES`] of YAML; JSON of the same
/// rules is no more than a few times larger.
const MAX_ENTRY_BYTES: u64 = 4 * MAX_YAML_BYTES;

/// Where parsed rule files are kept between runs.
#[derive(Clone, Debug)]
pub struct RuleCache {
    dir: PathBuf,
}

/// One parsed rule: the line and column of its `id:` (0 when not found), and what was read.
pub struct Parsed {
    pub line: u32,
    pub column: u32,
    pub rule: RawRule,
}

#[derive(Serialize)]
struct EntryOut<'a> {
    key: &'a str,
    rules: Vec<RuleOut<'a>>,
}

#[derive(Serialize)]
struct RuleOut<'a> {
    line: u32,
    column: u32,
    rule: &'a RawRule,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryIn {
    key: String,
    rules: Vec<RuleIn>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleIn {
    line: u32,
    column: u32,
    rule: Checked<RawRule>,
}

impl RuleCache {
    /// The cache named by `PLUMB_RULE_CACHE` (a directory, or `off`), else `rules-v1` under
    /// the user's cache directory. `None` when it is off, cannot be made, or is not private.
    pub fn from_env() -> Option<Self> {
        let dir = match std::env::var_os(CACHE_DIR_ENV) {
            Some(value) if value == "off" => return None,
            Some(value) if !value.is_empty() => PathBuf::from(value),
            _ => dirs::cache_dir()?.join("plumb").join(CACHE_DIR_NAME),
        };
        Self::at(dir)
    }

    /// The cache in `dir`, made (0700) if it does not exist; `None` if it is not private.
    pub fn at(dir: PathBuf) -> Option<Self> {
        if let Err(err) = fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
        {
            tracing::debug!("rule cache {} not used: {err}", dir.display());
            return None;
        }
        // symlink_metadata: a link planted in place of the directory is not followed.
        match fs::symlink_metadata(&dir) {
            Ok(meta) if meta.is_dir() && private_to_me(&meta) => Some(Self { dir }),
            Ok(_) => {
                tracing::warn!(
                    "rule cache {} not used: it must be a directory owned by you and writable by no one else",
                    dir.display()
                );
                None
            }
            Err(err) => {
                tracing::debug!("rule cache {} not used: {err}", dir.display());
                None
            }
        }
    }

    /// The key of a rule file: what it parses to depends on nothing else.
    pub fn key(name: &str, text: &str) -> String {
        let mut hash = Sha256::new();
        hash.update(concat!("plumb ", env!("CARGO_PKG_VERSION"), " rules\0"));
        hash.update((name.len() as u64).to_le_bytes());
        hash.update(name);
        hash.update(text);
        crate::policy::pins::hex(&hash.finalize())
    }

    fn entry_path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}.json"))
    }

    /// The parsed rules stored under `key`, or `None` (not there, not private, damaged).
    pub fn get(&self, key: &str) -> Option<Vec<Parsed>> {
        let path = self.entry_path(key);
        let bytes = match read_private(&path) {
            Ok(bytes) => bytes,
            Err(err) => {
                if err.kind() != io::ErrorKind::NotFound {
                    tracing::debug!("rule cache entry {} not used: {err}", path.display());
                }
                return None;
            }
        };
        // Checked as UTF-8 once here, so the parser does not check each string again.
        let parsed = std::str::from_utf8(&bytes)
            .map_err(|err| err.to_string())
            .and_then(|text| serde_json::from_str::<EntryIn>(text).map_err(|err| err.to_string()));
        match parsed {
            Ok(entry) if entry.key == key => Some(
                entry
                    .rules
                    .into_iter()
                    .map(|RuleIn { line, column, rule }| Parsed {
                        line,
                        column,
                        rule: rule.0,
                    })
                    .collect(),
            ),
            Ok(_) => {
                tracing::debug!("rule cache entry {} has another key", path.display());
                None
            }
            Err(err) => {
                tracing::debug!("rule cache entry {} not used: {err}", path.display());
                None
            }
        }
    }

    /// Stores `rules` under `key`: written to a temporary file and renamed, so a reader sees
    /// a whole entry or none. A failure only costs the next run a parse.
    pub fn put(&self, key: &str, rules: &[Parsed]) {
        let entry = EntryOut {
            key,
            rules: rules
                .iter()
                .map(|parsed| RuleOut {
                    line: parsed.line,
                    column: parsed.column,
                    rule: &parsed.rule,
                })
                .collect(),
        };
        let written = serde_json::to_vec(&entry)
            .map_err(io::Error::other)
            .and_then(|bytes| {
                use std::io::Write;
                // tempfile creates the file 0600.
                let mut file = tempfile::NamedTempFile::new_in(&self.dir)?;
                file.write_all(&bytes)?;
                file.persist(self.entry_path(key))
                    .map_err(|err| err.error)?;
                Ok(())
            });
        if let Err(err) = written {
            tracing::debug!(
                "rule cache {}: entry not written: {err}",
                self.dir.display()
            );
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// Owned by the effective user and not writable by group or others.
fn private_to_me(meta: &fs::Metadata) -> bool {
    meta.uid() == crate::bounded_read::effective_uid() && meta.mode() & 0o022 == 0
}

/// An entry's bytes: a regular file (never through a symlink) that is private and bounded.
fn read_private(path: &Path) -> io::Result<Vec<u8>> {
    let file = fs::File::options()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() || !private_to_me(&meta) {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            "not a regular file owned by you and writable by no one else",
        ));
    }
    if meta.len() > MAX_ENTRY_BYTES {
        return Err(io::Error::new(io::ErrorKind::FileTooLarge, "too large"));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_ENTRY_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_ENTRY_BYTES {
        return Err(io::Error::new(io::ErrorKind::FileTooLarge, "too large"));
    }
    Ok(bytes)
}
