//! Reading key/value configuration files the way their owners do.

use super::host::{ConfigFile, unquote};
use crate::rules::{ConfigValueCheck, Delimiter};

/// One assignment of the key, where it was found.
#[derive(Clone, Debug, PartialEq)]
pub struct ConfigLine {
    pub file: String,
    pub line_no: usize,
    pub text: String,
    pub value: String,
}

/// Every assignment of the check's key across `files`, in reading order. Comment lines (first
/// non-blank character `#`) are ignored; with `stop_at`, the rest of a file after the first
/// matching line is ignored (sshd `Match` blocks are not global settings). OpenSSH files are
/// read with OpenSSH's own syntax (see [`split_openssh`]); other files keep the rest of the
/// line, `#` included, as the value, since whether `#` starts a comment mid-line differs from
/// tool to tool.
pub fn find_config_values(files: &[ConfigFile], check: &ConfigValueCheck) -> Vec<ConfigLine> {
    if asks_bare_key(check) {
        return find_bare_keys(files, check);
    }
    let mut hits = Vec::new();
    for file in files {
        let openssh = is_openssh_config(&file.path);
        for (index, line) in file.text.lines().enumerate() {
            if check
                .stop_at
                .as_ref()
                .is_some_and(|stop| stop.is_match(line))
            {
                break;
            }
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let split = if openssh {
                split_openssh(trimmed)
            } else {
                split_key_value(trimmed, check.delimiter)
            };
            let Some((key, value)) = split else {
                continue;
            };
            let same_key = if check.case_insensitive_key {
                key.eq_ignore_ascii_case(&check.key)
            } else {
                key == check.key
            };
            if same_key {
                let value = value.trim();
                hits.push(ConfigLine {
                    file: file.path.clone(),
                    line_no: index + 1,
                    text: trimmed.to_owned(),
                    value: if check.keep_quotes {
                        value
                    } else {
                        unquote(value)
                    }
                    .to_owned(),
                });
            }
        }
    }
    hits
}

/// `bare_key_is_empty` with `expected: ""`: the key must stand alone on a line, and lines that
/// give it a value do not count (Kensa's reading).
fn asks_bare_key(check: &ConfigValueCheck) -> bool {
    check.bare_key_is_empty
        && check
            .expectation
            .as_ref()
            .is_some_and(|e| e.expected.is_empty())
}

/// Lines that hold the check's key and nothing else (`audit` in faillock.conf), in reading
/// order, each with the value "". Comment lines and `stop_at` are honoured as above.
fn find_bare_keys(files: &[ConfigFile], check: &ConfigValueCheck) -> Vec<ConfigLine> {
    let mut hits = Vec::new();
    for file in files {
        for (index, line) in file.text.lines().enumerate() {
            if check
                .stop_at
                .as_ref()
                .is_some_and(|stop| stop.is_match(line))
            {
                break;
            }
            let trimmed = line.trim();
            let same_key = if check.case_insensitive_key {
                trimmed.eq_ignore_ascii_case(&check.key)
            } else {
                trimmed == check.key
            };
            if same_key && !trimmed.starts_with('#') {
                hits.push(ConfigLine {
                    file: file.path.clone(),
                    line_no: index + 1,
                    text: trimmed.to_owned(),
                    value: String::new(),
                });
            }
        }
    }
    hits
}

/// sshd_config / ssh_config and their drop-in directories, whatever the rule's delimiter says.
fn is_openssh_config(path: &str) -> bool {
    let mut parts = path.trim_end_matches('/').rsplit('/');
    let name = parts.next().unwrap_or_default();
    let parent = parts.next().unwrap_or_default();
    matches!(name, "sshd_config" | "ssh_config")
        || matches!(parent, "sshd_config.d" | "ssh_config.d")
}

/// A line as OpenSSH splits it: the keyword ends at whitespace or at one `=` (spaces allowed
/// around it), and the arguments end where a word starts with `#` outside quotes
/// (`MaxAuthTries 3 # note` is 3), as `sshd -T` reads them.
fn split_openssh(line: &str) -> Option<(&str, &str)> {
    let end = line.find([' ', '\t', '='])?;
    let key = &line[..end];
    let mut rest = line[end..].trim_start_matches([' ', '\t']);
    if line[end..].starts_with('=') {
        rest = line[end + 1..].trim_start_matches([' ', '\t']);
    } else if let Some(after) = rest.strip_prefix('=') {
        rest = after.trim_start_matches([' ', '\t']);
    }
    let mut quote = None;
    let mut word_start = true;
    for (at, c) in rest.char_indices() {
        match (quote, c) {
            (Some(open), _) if c == open => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '#') if word_start => {
                rest = rest[..at].trim_end();
                break;
            }
            _ => {}
        }
        word_start = quote.is_none() && (c == ' ' || c == '\t');
    }
    Some((key, rest))
}

fn split_key_value(line: &str, delimiter: Delimiter) -> Option<(&str, &str)> {
    match delimiter {
        Delimiter::Whitespace => {
            let at = line.find(char::is_whitespace)?;
            Some((&line[..at], line[at..].trim_start()))
        }
        Delimiter::Char(c) => line.split_once(c).map(|(k, v)| (k.trim(), v.trim())),
    }
}

/// Assignments of a sysctl key in application order (the last one wins). Handles `a/b` key
/// spelling, `-` prefixes (ignore-failure marks), `;` comments and glob keys.
pub fn sysctl_assignments(files: &[ConfigFile], key: &str) -> Vec<ConfigLine> {
    let mut hits = Vec::new();
    for file in files {
        for (index, line) in file.text.lines().enumerate() {
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with(['#', ';']) {
                continue;
            }
            let Some((name, value)) = trimmed.split_once('=') else {
                continue;
            };
            let name = name.trim().trim_start_matches('-').replace('/', ".");
            let matches = if name.contains(['*', '?']) {
                crate::probe::paths::NameMatcher::new(&name).is_some_and(|m| m.is_match(key))
            } else {
                name == key
            };
            if matches {
                hits.push(ConfigLine {
                    file: file.path.clone(),
                    line_no: index + 1,
                    text: trimmed.to_owned(),
                    value: value.trim().to_owned(),
                });
            }
        }
    }
    hits
}
