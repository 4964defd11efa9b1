//! Facts: the plain data that executors gather and evaluation reads.
//!
//! Both executors (native and shell) must produce byte-identical values for the same host, so
//! everything here is raw material (bytes decoded the same way, exit codes, stat fields) and all
//! interpretation happens in `eval`.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Largest file content kept as a fact; bigger files become [`FileFact::TooLarge`].
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;
/// Command output kept per stream; the rest is dropped and flagged.
pub const MAX_STDOUT_BYTES: usize = 1024 * 1024;
pub const MAX_STDERR_BYTES: usize = 64 * 1024;
/// Largest package database (dpkg status, apk installed) either executor reads; a bigger one is
/// an error for package facts, never a truncated list.
pub const MAX_PACKAGE_DB_BYTES: u64 = 64 * 1024 * 1024;
/// Distinct module names kept from /lib/modules; a tree with more is not a kernel's (the fact is
/// then unknown), and the set stays bounded in both executors.
pub const MAX_MODULE_NAMES: usize = 65_536;
/// Why a path under `--root` has no fact: it needs more symlinks than the hop limit.
pub const TOO_MANY_LINKS: &str = "too many levels of symbolic links under --root";
/// The PATH both executors give commands, so `sshd -T` and friends resolve the same way.
pub const COMMAND_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum FileFact {
    Missing,
    /// Exists but cannot be read as a regular file (a directory, permission denied, ...).
    Unreadable,
    TooLarge {
        size: u64,
    },
    /// The path needs more symlinks than the hop limit under `--root` (a loop, or a chain
    /// built to end outside the root): nothing was read.
    TooManyLinks,
    /// Content decoded as UTF-8, invalid sequences replaced.
    Text {
        content: String,
    },
}

impl FileFact {
    pub fn from_bytes(bytes: &[u8]) -> Self {
        Self::Text {
            content: String::from_utf8_lossy(bytes).into_owned(),
        }
    }

    pub fn text(&self) -> Option<&str> {
        match self {
            Self::Text { content } => Some(content),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    File,
    Dir,
    Symlink,
    Other,
}

/// `lstat` of one path, plus `stat` through a symlink when its target exists.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatEntry {
    /// The path in the target's namespace (without the `--root` prefix).
    pub path: String,
    pub kind: FileKind,
    pub link_target: Option<String>,
    /// Permission bits (including setuid/setgid/sticky) of the file or the symlink's target.
    pub mode: Option<u32>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirEntryFact {
    pub name: String,
    pub content: FileFact,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum DirFact {
    Missing,
    /// There, but this user may not list or search it (permission denied): its files are
    /// unknown, never an empty listing.
    Unreadable,
    /// Regular files (or symlinks to them) whose names match the pattern, sorted bytewise.
    Entries {
        entries: Vec<DirEntryFact>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum CommandFact {
    Ran {
        exit_code: i32,
        stdout: String,
        stderr: String,
        stdout_truncated: bool,
    },
    TimedOut {
        timeout_ms: u64,
    },
    /// Killed by a signal, or could not be started at all.
    Failed {
        reason: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PackageManager {
    Dpkg,
    Rpm,
    Apk,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageSource {
    pub manager: PackageManager,
    /// Where the list came from: a database path or a command.
    pub origin: String,
    pub installed: BTreeSet<String>,
}

/// Every package database found on the host.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackagesFact {
    pub sources: Vec<PackageSource>,
    /// A database that exists but could not be read, with the reason.
    pub errors: Vec<String>,
}

/// Why a package database that is there was not read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DatabaseRefusal {
    TooManyLinks,
    TooLarge { size: u64 },
}

impl DatabaseRefusal {
    /// The [`PackagesFact::errors`] entry for the database at `origin`.
    pub fn message(self, origin: &str) -> String {
        match self {
            Self::TooManyLinks => format!("{origin}: {TOO_MANY_LINKS}"),
            Self::TooLarge { size } => format!(
                "{origin} is larger than the {MAX_PACKAGE_DB_BYTES}-byte cap for package \
                 databases ({size} bytes)"
            ),
        }
    }
}

/// Unit states from a running systemd (`systemctl show`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum UnitsFact {
    /// systemd is not running (container, chroot): only unit symlinks can answer.
    NotRunning,
    Ran {
        output: CommandFact,
    },
}

/// All facts gathered for one host.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts {
    /// Scanning a directory tree (`--root`): facts that need a running system were not gathered.
    pub offline: bool,
    pub files: BTreeMap<String, FileFact>,
    pub stats: BTreeMap<String, Vec<StatEntry>>,
    /// Stat patterns whose expansion met a directory this user may not search or list, with
    /// the first such directory: what the pattern matches there is unknown.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub stat_denied: BTreeMap<String, String>,
    /// directory → file-name pattern → listing.
    pub dirs: BTreeMap<String, BTreeMap<String, DirFact>>,
    pub commands: BTreeMap<String, CommandFact>,
    pub packages: Option<PackagesFact>,
    pub units: Option<UnitsFact>,
    /// Today as days since 1970-01-01 by the clock of whatever ran the probe (the host, or the
    /// scanning machine under `--root`); `None` when not asked for or unreadable.
    pub epoch_day: Option<i64>,
    /// Names of the module files under /lib/modules (every kernel), `-` and `_` alike as `_`;
    /// `None` when not asked for, or the tree is missing or could not be walked whole.
    pub kernel_modules: Option<BTreeSet<String>>,
}

impl Facts {
    pub fn file(&self, path: &str) -> Option<&FileFact> {
        self.files.get(path)
    }

    pub fn stat(&self, pattern: &str) -> Option<&[StatEntry]> {
        self.stats.get(pattern).map(Vec::as_slice)
    }

    pub fn dir(&self, path: &str, pattern: &str) -> Option<&DirFact> {
        self.dirs
            .get(path)
            .and_then(|by_pattern| by_pattern.get(pattern))
    }

    pub fn command(&self, run: &str) -> Option<&CommandFact> {
        self.commands.get(run)
    }

    /// /etc/machine-id when it holds an id (32 hex digits, lowercased); `None` when it is
    /// missing, empty or `uninitialized` (an image before first boot).
    pub fn machine_id(&self) -> Option<String> {
        let text = self.file(super::sources::MACHINE_ID)?.text()?.trim();
        (text.len() == 32 && text.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| text.to_ascii_lowercase())
    }
}
