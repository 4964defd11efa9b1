//! config_value across a main file and its drop-in directories, in the order the owning tool
//! reads them (see `DropInOrder`). The value search itself is `config::find_config_values`.

use super::config::{ConfigLine, find_config_values};
use super::host::{ConfigFile, HostView};
use crate::probe::facts::{DirFact, FileFact, TOO_MANY_LINKS};
use crate::probe::paths::NameMatcher;
use crate::rules::{ConfigValueCheck, DropInOrder, DropIns};
use std::collections::BTreeMap;

/// Where sshd resolves a relative `Include`.
const SSHD_DIR: &str = "/etc/ssh";

/// The files read (in order) and every assignment of the key, in reading order.
pub fn values(
    c: &ConfigValueCheck,
    dropins: &DropIns,
    host: &HostView,
) -> Result<(Vec<String>, Vec<ConfigLine>), String> {
    let main_path = c.paths.first().map(String::as_str).unwrap_or_default();
    let main = main_file(host, main_path)?;
    let mut read = Vec::new();
    let mut hits = Vec::new();
    let mut take = |files: Vec<ConfigFile>, read: &mut Vec<String>| {
        hits.extend(find_config_values(&files, c));
        read.extend(files.into_iter().map(|f| f.path));
    };
    match dropins.order {
        DropInOrder::Plain => {
            let mut files: Vec<ConfigFile> = main.into_iter().collect();
            for dir in &dropins.dirs {
                files.extend(listing(host, dir, &c.scan_pattern)?.into_values());
            }
            take(files, &mut read);
        }
        DropInOrder::Systemd => {
            let mut merged: BTreeMap<String, ConfigFile> = BTreeMap::new();
            for dir in &dropins.dirs {
                for (name, file) in listing(host, dir, &c.scan_pattern)? {
                    merged.entry(name).or_insert(file);
                }
            }
            let files = main.into_iter().chain(merged.into_values()).collect();
            take(files, &mut read);
        }
        DropInOrder::Sshd => {
            let Some(main) = main else {
                return Ok((read, hits));
            };
            return sshd(c, dropins, host, main);
        }
    }
    Ok((read, hits))
}

fn main_file<'a>(host: &HostView<'a>, path: &str) -> Result<Option<ConfigFile<'a>>, String> {
    match host.facts.file(path) {
        Some(FileFact::Text { content }) => Ok(Some(ConfigFile {
            path: path.to_owned(),
            text: content,
        })),
        Some(FileFact::Missing) => Ok(None),
        Some(FileFact::TooLarge { size }) => Err(format!("{path} is too large ({size} bytes)")),
        Some(FileFact::Unreadable) => Err(format!("{path} is not readable")),
        Some(FileFact::TooManyLinks) => Err(format!("{path}: {TOO_MANY_LINKS}")),
        None => Err(format!("{path} was not gathered")),
    }
}

/// One drop-in directory's files by name; a file that could not be read is an error, since
/// it may hold the deciding line.
fn listing<'a>(
    host: &HostView<'a>,
    dir: &str,
    pattern: &str,
) -> Result<BTreeMap<String, ConfigFile<'a>>, String> {
    let mut files = BTreeMap::new();
    match host.facts.dir(dir, pattern) {
        None => return Err(format!("{dir} was not gathered")),
        Some(DirFact::Missing) => {}
        Some(DirFact::Unreadable) => return Err(super::host::unlistable(dir)),
        Some(DirFact::Entries { entries }) => {
            for entry in entries {
                let path = format!("{}/{}", dir.trim_end_matches('/'), entry.name);
                match &entry.content {
                    FileFact::Text { content } => {
                        files.insert(
                            entry.name.clone(),
                            ConfigFile {
                                path,
                                text: content,
                            },
                        );
                    }
                    FileFact::TooManyLinks => return Err(format!("{path}: {TOO_MANY_LINKS}")),
                    _ => return Err(format!("{path} is not readable")),
                }
            }
        }
    }
    Ok(files)
}

/// sshd's reading: the main file line by line, each `Include` replaced by the files it names
/// (sorted), which must lie in a gathered drop-in directory. A `stop_at` line (a `Match`
/// block) in the main file ends the reading there, includes after it too.
fn sshd(
    c: &ConfigValueCheck,
    dropins: &DropIns,
    host: &HostView,
    main: ConfigFile,
) -> Result<(Vec<String>, Vec<ConfigLine>), String> {
    let mut read = vec![main.path.clone()];
    let mut hits = Vec::new();
    let mut segment_start = 0usize; // byte offset of the current main-file segment
    let mut segment_line = 0usize; // its first line's index
    let mut offset = 0usize;
    let flush = |start: usize, end: usize, first_line: usize, hits: &mut Vec<ConfigLine>| {
        let segment = ConfigFile {
            path: main.path.clone(),
            text: &main.text[start..end],
        };
        hits.extend(
            find_config_values(&[segment], c)
                .into_iter()
                .map(|mut hit| {
                    hit.line_no += first_line;
                    hit
                }),
        );
    };
    for (index, line) in main.text.split_inclusive('\n').enumerate() {
        let line_start = offset;
        offset += line.len();
        if c.stop_at.as_ref().is_some_and(|stop| stop.is_match(line)) {
            flush(segment_start, line_start, segment_line, &mut hits);
            return Ok((read, hits));
        }
        let Some(targets) = include_targets(line) else {
            continue;
        };
        flush(segment_start, line_start, segment_line, &mut hits);
        for target in targets {
            let files = included(host, dropins, &c.scan_pattern, &target)?;
            hits.extend(find_config_values(&files, c));
            read.extend(files.into_iter().map(|f| f.path));
        }
        segment_start = offset;
        segment_line = index + 1;
    }
    flush(segment_start, main.text.len(), segment_line, &mut hits);
    Ok((read, hits))
}

/// The paths of an `Include` line (`Include a b`, `Include=a`), or `None` for other lines.
fn include_targets(line: &str) -> Option<Vec<String>> {
    let trimmed = line.trim();
    let (keyword, rest) = match trimmed.split_once(|c: char| c.is_whitespace() || c == '=') {
        Some(split) => split,
        None => (trimmed, ""),
    };
    if !keyword.eq_ignore_ascii_case("include") {
        return None;
    }
    let rest = rest.trim_start().trim_start_matches('=');
    Some(
        rest.split_whitespace()
            .take_while(|word| !word.starts_with('#'))
            .map(|word| {
                let word = word.trim_matches('"');
                if word.starts_with('/') {
                    word.to_owned()
                } else {
                    format!("{SSHD_DIR}/{word}")
                }
            })
            .collect(),
    )
}

/// The files one Include target names, from a gathered drop-in directory.
fn included<'a>(
    host: &HostView<'a>,
    dropins: &DropIns,
    scan_pattern: &str,
    target: &str,
) -> Result<Vec<ConfigFile<'a>>, String> {
    let (dir, pattern) = target.rsplit_once('/').unwrap_or(("", target));
    let dir = if dir.is_empty() { "/" } else { dir };
    if !dropins.dirs.iter().any(|d| d.trim_end_matches('/') == dir) {
        return Err(format!(
            "`Include {target}` names a directory the rule does not read (dropin_dirs)"
        ));
    }
    let matcher = NameMatcher::new(pattern)
        .ok_or_else(|| format!("`Include {target}` is not a valid glob"))?;
    Ok(listing(host, dir, scan_pattern)?
        .into_iter()
        .filter(|(name, _)| matcher.is_match(name))
        .map(|(_, file)| file)
        .collect())
}
