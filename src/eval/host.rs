//! A host's facts with the parsed views evaluation needs, each parsed once per host.

use crate::probe::facts::{
    CommandFact, DirFact, Facts, FileFact, StatEntry, TOO_MANY_LINKS, UnitsFact,
};
use crate::probe::native::parse_systemctl_show;
use crate::probe::sources::*;
use crate::rules::Capability;
use std::cell::OnceCell;
use std::collections::{BTreeMap, BTreeSet};

pub struct HostView<'a> {
    pub facts: &'a Facts,
    os_release: OnceCell<BTreeMap<String, String>>,
    capabilities: OnceCell<BTreeSet<Capability>>,
    users: OnceCell<BTreeMap<u32, String>>,
    groups: OnceCell<BTreeMap<u32, String>>,
    units: OnceCell<Option<BTreeMap<String, BTreeMap<String, String>>>>,
    sshd_t: OnceCell<Result<BTreeMap<String, Vec<String>>, String>>,
}

/// One file's text with the path it came from, in the order a tool reads them.
pub struct ConfigFile<'a> {
    pub path: String,
    pub text: &'a str,
}

impl<'a> HostView<'a> {
    pub fn new(facts: &'a Facts) -> Self {
        Self {
            facts,
            os_release: OnceCell::new(),
            capabilities: OnceCell::new(),
            users: OnceCell::new(),
            groups: OnceCell::new(),
            units: OnceCell::new(),
            sshd_t: OnceCell::new(),
        }
    }

    pub fn offline(&self) -> bool {
        self.facts.offline
    }

    pub fn file_text(&self, path: &str) -> Option<&'a str> {
        self.facts.file(path).and_then(FileFact::text)
    }

    /// A file's text; `None` when it is missing (or was not gathered); an error when it is there
    /// but could not be read, since what it holds might decide the verdict.
    pub fn file_if_readable(&self, path: &str) -> Result<Option<&'a str>, String> {
        match self.facts.file(path) {
            None | Some(FileFact::Missing) => Ok(None),
            Some(FileFact::Text { content }) => Ok(Some(content)),
            Some(FileFact::TooManyLinks) => Err(format!("{path}: {TOO_MANY_LINKS}")),
            Some(FileFact::TooLarge { size }) => {
                Err(format!("{path} is too large to read ({size} bytes)"))
            }
            Some(FileFact::Unreadable) => Err(format!("{path} is not readable")),
        }
    }

    pub fn exists(&self, path: &str) -> bool {
        self.facts
            .stat(path)
            .is_some_and(|entries| !entries.is_empty())
    }

    /// Why what `pattern` matches is unknown: a directory on the way this user may not search
    /// or list.
    pub fn stat_denied(&self, pattern: &str) -> Option<String> {
        self.facts.stat_denied.get(pattern).map(|dir| {
            format!("{dir} could not be searched or listed (permission denied), so what {pattern} matches is unknown")
        })
    }

    pub fn stat(&self, pattern: &str) -> &'a [StatEntry] {
        self.facts.stat(pattern).unwrap_or_default()
    }

    /// `os-release` key/values (`/etc/os-release`, else `/usr/lib/os-release`).
    pub fn os_release(&self) -> &BTreeMap<String, String> {
        self.os_release.get_or_init(|| {
            OS_RELEASE
                .iter()
                .find_map(|path| self.file_text(path))
                .map(parse_env_file)
                .unwrap_or_default()
        })
    }

    pub fn capabilities(&self) -> &BTreeSet<Capability> {
        self.capabilities
            .get_or_init(|| super::capabilities::of(self))
    }

    pub fn user_name(&self, uid: u32) -> Option<&str> {
        self.users
            .get_or_init(|| id_names(self.file_text(PASSWD)))
            .get(&uid)
            .map(String::as_str)
    }

    pub fn group_name(&self, gid: u32) -> Option<&str> {
        self.groups
            .get_or_init(|| id_names(self.file_text(GROUP)))
            .get(&gid)
            .map(String::as_str)
    }

    /// `systemctl show` properties by unit, when systemd is running and answered.
    pub fn unit_properties(&self) -> Option<&BTreeMap<String, BTreeMap<String, String>>> {
        self.units
            .get_or_init(|| match &self.facts.units {
                Some(UnitsFact::Ran {
                    output:
                        CommandFact::Ran {
                            exit_code: 0,
                            stdout,
                            ..
                        },
                }) => Some(parse_systemctl_show(stdout)),
                _ => None,
            })
            .as_ref()
    }

    /// `sshd -T` as key → values (keys lowercase, as sshd prints them).
    pub fn sshd_effective(&self) -> &Result<BTreeMap<String, Vec<String>>, String> {
        self.sshd_t
            .get_or_init(|| match self.facts.command(SSHD_T) {
                Some(CommandFact::Ran {
                    exit_code: 0,
                    stdout,
                    ..
                }) => {
                    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
                    for line in stdout.lines() {
                        let mut parts = line.trim().splitn(2, char::is_whitespace);
                        if let (Some(key), Some(value)) = (parts.next(), parts.next()) {
                            map.entry(key.to_ascii_lowercase())
                                .or_default()
                                .push(value.trim().to_owned());
                        }
                    }
                    Ok(map)
                }
                Some(CommandFact::Ran {
                    exit_code, stderr, ..
                }) => Err(format!(
                    "`{SSHD_T}` exited {exit_code}: {}",
                    stderr.lines().next().unwrap_or_default()
                )),
                Some(CommandFact::TimedOut { timeout_ms }) => {
                    Err(format!("`{SSHD_T}` timed out after {timeout_ms} ms"))
                }
                Some(CommandFact::Failed { reason }) => Err(format!("`{SSHD_T}`: {reason}")),
                None => Err(format!("`{SSHD_T}` was not gathered")),
            })
    }

    /// Config files from directories in priority order, systemd style: a file name in an
    /// earlier directory hides the same name in later ones (so symlinked duplicates of a
    /// directory count once), then everything is read in file-name order. A directory or file
    /// that could not be read is an error: what it holds might decide the verdict.
    pub fn layered_dir_files(
        &self,
        dirs: &[&str],
        pattern: &str,
    ) -> Result<Vec<ConfigFile<'a>>, String> {
        let mut by_name: BTreeMap<&'a str, ConfigFile<'a>> = BTreeMap::new();
        for dir in dirs {
            match self.facts.dir(dir, pattern) {
                None | Some(DirFact::Missing) => {}
                Some(DirFact::Unreadable) => return Err(unlistable(dir)),
                Some(DirFact::Entries { entries }) => {
                    for entry in entries {
                        if by_name.contains_key(entry.name.as_str()) {
                            continue;
                        }
                        let path = format!("{}/{}", dir.trim_end_matches('/'), entry.name);
                        let text = entry_text(&path, &entry.content)?;
                        by_name.insert(entry.name.as_str(), ConfigFile { path, text });
                    }
                }
            }
        }
        Ok(by_name.into_values().collect())
    }

    /// Files of one directory listing in name order; `None` when the directory is missing. A
    /// directory or file that could not be read is an error, never left out.
    pub fn dir_files(
        &self,
        dir: &str,
        pattern: &str,
    ) -> Result<Option<Vec<ConfigFile<'a>>>, String> {
        match self.facts.dir(dir, pattern) {
            None | Some(DirFact::Missing) => Ok(None),
            Some(DirFact::Unreadable) => Err(unlistable(dir)),
            Some(DirFact::Entries { entries }) => entries
                .iter()
                .map(|entry| {
                    let path = format!("{}/{}", dir.trim_end_matches('/'), entry.name);
                    let text = entry_text(&path, &entry.content)?;
                    Ok(ConfigFile { path, text })
                })
                .collect::<Result<_, _>>()
                .map(Some),
        }
    }
}

pub(super) fn unlistable(dir: &str) -> String {
    format!("{dir} could not be listed (permission denied)")
}

/// A listed file's text, or why it has none.
fn entry_text<'a>(path: &str, content: &'a FileFact) -> Result<&'a str, String> {
    match content {
        FileFact::Text { content } => Ok(content),
        FileFact::TooManyLinks => Err(format!("{path}: {TOO_MANY_LINKS}")),
        _ => Err(format!("{path} is not readable")),
    }
}

/// `KEY=value` lines with optional quotes (os-release, /etc/default/grub, selinux/config).
pub fn parse_env_file(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| line.split_once('='))
        .map(|(key, value)| (key.trim().to_owned(), unquote(value.trim()).to_owned()))
        .collect()
}

pub fn unquote(value: &str) -> &str {
    for quote in ['"', '\''] {
        if value.len() >= 2 && value.starts_with(quote) && value.ends_with(quote) {
            return &value[1..value.len() - 1];
        }
    }
    value
}

fn id_names(text: Option<&str>) -> BTreeMap<u32, String> {
    text.unwrap_or_default()
        .lines()
        .filter_map(|line| {
            let mut fields = line.split(':');
            let name = fields.next()?;
            let id = fields.nth(1)?.parse().ok()?;
            Some((id, name.to_owned()))
        })
        .collect()
}
