//! Reading sudoers the way sudo does: the main file, then every file it includes, in order.

use super::host::{ConfigFile, HostView};
use crate::probe::facts::{DirFact, FileFact};
use crate::probe::sources::{SUDO_DIR_PATTERN, sudo_include_dir};

/// sudo's own limit on nested includes.
const MAX_DEPTH: usize = 128;

/// The sudoers file at `path` and what it includes (`@include`/`#include` files,
/// `@includedir`/`#includedir` directories), each where its directive stands. `None` when the
/// main file is missing. An include that is there but unreadable, or that plumb did not gather
/// (only `PATH.d` is), is an error: it could hold the deciding line.
pub fn sudoers_files<'a>(
    host: &HostView<'a>,
    path: &str,
) -> Result<Option<Vec<ConfigFile<'a>>>, String> {
    let Some(text) = host.file_if_readable(path)? else {
        return Ok(None);
    };
    let mut files = Vec::new();
    read(host, path, text, 0, &mut files)?;
    Ok(Some(files))
}

fn read<'a>(
    host: &HostView<'a>,
    path: &str,
    text: &'a str,
    depth: usize,
    out: &mut Vec<ConfigFile<'a>>,
) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err(format!("{path}: includes nest deeper than {MAX_DEPTH}"));
    }
    out.push(ConfigFile {
        path: path.to_owned(),
        text,
    });
    for line in text.lines() {
        let Some((directive, target)) = include_directive(line) else {
            continue;
        };
        let target = resolve(path, target);
        if directive == Directive::Dir {
            for (file, text) in include_dir(host, path, &target)? {
                read(host, &file, text, depth + 1, out)?;
            }
        } else {
            match host.facts.file(&target) {
                None => return Err(not_gathered(path, &target)),
                Some(FileFact::Missing) => {}
                Some(_) => {
                    let text = host.file_if_readable(&target)?.unwrap_or_default();
                    read(host, &target, text, depth + 1, out)?;
                }
            }
        }
    }
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Directive {
    File,
    Dir,
}

/// `@includedir DIR`, `#includedir DIR` (the `#` is part of the word, not a comment),
/// `@include FILE`, `#include FILE`; the target may be double-quoted.
fn include_directive(line: &str) -> Option<(Directive, &str)> {
    let line = line.trim();
    let (word, rest) = line.split_once([' ', '\t'])?;
    let directive = match word {
        "@includedir" | "#includedir" => Directive::Dir,
        "@include" | "#include" => Directive::File,
        _ => return None,
    };
    let target = rest.trim();
    let target = target
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(target);
    (!target.is_empty()).then_some((directive, target))
}

/// A relative include is relative to the including file's directory (sudo 1.9).
fn resolve(including: &str, target: &str) -> String {
    if target.starts_with('/') {
        return target.to_owned();
    }
    let dir = including.rsplit_once('/').map_or("", |(dir, _)| dir);
    format!("{dir}/{target}")
}

fn not_gathered(including: &str, target: &str) -> String {
    format!(
        "{including} includes {target}, which plumb does not read (it reads {})",
        sudo_include_dir(including)
    )
}

/// The files sudo reads from an include directory: names without a `.` that do not end in
/// `~`, in name order.
fn include_dir<'a>(
    host: &HostView<'a>,
    including: &str,
    dir: &str,
) -> Result<Vec<(String, &'a str)>, String> {
    let dir = dir.trim_end_matches('/');
    match host.facts.dir(dir, SUDO_DIR_PATTERN) {
        None => Err(not_gathered(including, dir)),
        Some(DirFact::Missing) => Ok(Vec::new()),
        Some(DirFact::Unreadable) => Err(format!("{dir} could not be listed (permission denied)")),
        Some(DirFact::Entries { entries }) => entries
            .iter()
            .filter(|entry| !entry.name.contains('.') && !entry.name.ends_with('~'))
            .map(|entry| {
                let file = format!("{dir}/{}", entry.name);
                match &entry.content {
                    FileFact::Text { content } => Ok((file, content.as_str())),
                    _ => Err(format!("{file} is not readable")),
                }
            })
            .collect(),
    }
}
