//! Mapping target paths under `--root`, and expanding globs the way `sh` does.

use globset::{GlobBuilder, GlobMatcher};
use std::fs;
use std::path::{Path, PathBuf};

use crate::defaults::MAX_LINK_HOPS;

/// The host path for a target path, following symlinks in the last component: `/etc/x` under
/// root `/srv/img` is `/srv/img/etc/x`. Under a root, symlinks (absolute ones included) resolve
/// inside the root, as they would for the scanned system itself.
pub fn host_path(root: &Path, target: &str) -> PathBuf {
    resolve(root, target, true)
}

/// Like [`host_path`], but a symlink in the last component is not followed (for `lstat`).
pub fn host_path_nofollow(root: &Path, target: &str) -> PathBuf {
    resolve(root, target, false)
}

fn resolve(root: &Path, target: &str, follow_last: bool) -> PathBuf {
    if root == Path::new("/") {
        return PathBuf::from(target);
    }
    let mut pending: Vec<String> = components(target).into_iter().rev().collect();
    let mut resolved: Vec<String> = Vec::new();
    let mut hops = 0;
    while let Some(component) = pending.pop() {
        match component.as_str() {
            "." => continue,
            ".." => {
                resolved.pop();
                continue;
            }
            _ => {}
        }
        let is_last = pending.is_empty();
        let candidate = join(root, &resolved, &component);
        let link = (follow_last || !is_last)
            .then(|| std::fs::read_link(&candidate).ok())
            .flatten();
        match link {
            Some(link) if hops < MAX_LINK_HOPS => {
                hops += 1;
                let link = link.to_string_lossy().into_owned();
                if link.starts_with('/') {
                    resolved.clear();
                }
                pending.extend(components(&link).into_iter().rev());
            }
            _ => resolved.push(component),
        }
    }
    join_all(root, &resolved)
}

fn components(path: &str) -> Vec<String> {
    path.split('/')
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect()
}

fn join(root: &Path, parents: &[String], last: &str) -> PathBuf {
    let mut path = join_all(root, parents);
    path.push(last);
    path
}

fn join_all(root: &Path, parts: &[String]) -> PathBuf {
    let mut path = root.to_path_buf();
    path.extend(parts);
    path
}

pub fn has_glob_chars(text: &str) -> bool {
    text.contains(['*', '?', '['])
}

/// A matcher for one path component with shell semantics: `*` never matches a leading dot
/// unless the pattern starts with one.
pub struct NameMatcher {
    glob: GlobMatcher,
    dot_ok: bool,
}

impl NameMatcher {
    pub fn new(pattern: &str) -> Option<Self> {
        let glob = GlobBuilder::new(pattern)
            .literal_separator(true)
            .backslash_escape(true)
            .build()
            .ok()?
            .compile_matcher();
        Some(Self {
            glob,
            dot_ok: pattern.starts_with('.'),
        })
    }

    pub fn is_match(&self, name: &str) -> bool {
        (self.dot_ok || !name.starts_with('.')) && self.glob.is_match(name)
    }
}

/// Expands an absolute target-path glob under `root`, returning target paths sorted bytewise.
/// A pattern without glob characters comes back as itself when it exists (even as a dangling
/// symlink), like `sh` leaves an unmatched literal.
pub fn expand(root: &Path, pattern: &str) -> Vec<String> {
    if !has_glob_chars(pattern) {
        let exists = fs::symlink_metadata(host_path_nofollow(root, pattern)).is_ok();
        return if exists {
            vec![pattern.to_owned()]
        } else {
            Vec::new()
        };
    }
    let mut current = vec![String::new()];
    for component in pattern.split('/').filter(|c| !c.is_empty()) {
        let mut next = Vec::new();
        for prefix in &current {
            if has_glob_chars(component) {
                let Some(matcher) = NameMatcher::new(component) else {
                    return Vec::new();
                };
                let Ok(entries) = fs::read_dir(host_path(root, prefix_or_root(prefix))) else {
                    continue;
                };
                let mut names: Vec<String> = entries
                    .filter_map(Result::ok)
                    .filter_map(|entry| entry.file_name().into_string().ok())
                    .filter(|name| matcher.is_match(name))
                    .collect();
                names.sort();
                next.extend(names.into_iter().map(|name| format!("{prefix}/{name}")));
            } else {
                let candidate = format!("{prefix}/{component}");
                if fs::symlink_metadata(host_path_nofollow(root, &candidate)).is_ok() {
                    next.push(candidate);
                }
            }
        }
        current = next;
    }
    current.sort();
    current
}

fn prefix_or_root(prefix: &str) -> &str {
    if prefix.is_empty() { "/" } else { prefix }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_like_sh_and_skips_dotfiles() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("etc/a.d")).unwrap();
        fs::create_dir_all(root.join("etc/b.d")).unwrap();
        fs::write(root.join("etc/a.d/x.conf"), "").unwrap();
        fs::write(root.join("etc/b.d/x.conf"), "").unwrap();
        fs::write(root.join("etc/b.d/.hidden.conf"), "").unwrap();
        assert_eq!(
            expand(root, "/etc/*.d/*.conf"),
            vec!["/etc/a.d/x.conf", "/etc/b.d/x.conf"]
        );
        assert_eq!(expand(root, "/etc/a.d"), vec!["/etc/a.d"]);
        assert!(expand(root, "/etc/none/*").is_empty());
        assert!(expand(root, "/etc/none").is_empty());
    }

    #[test]
    fn absolute_symlinks_resolve_inside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("etc/authselect")).unwrap();
        fs::create_dir_all(root.join("usr/lib")).unwrap();
        fs::write(root.join("etc/authselect/system-auth"), "auth").unwrap();
        std::os::unix::fs::symlink("/etc/authselect/system-auth", root.join("etc/system-auth"))
            .unwrap();
        std::os::unix::fs::symlink("usr/lib", root.join("lib")).unwrap();
        std::os::unix::fs::symlink("/etc/loop", root.join("etc/loop")).unwrap();
        assert_eq!(
            host_path(root, "/etc/system-auth"),
            root.join("etc/authselect/system-auth")
        );
        assert_eq!(
            host_path_nofollow(root, "/etc/system-auth"),
            root.join("etc/system-auth")
        );
        assert_eq!(host_path(root, "/lib/x"), root.join("usr/lib/x"));
        assert_eq!(
            host_path(root, "/../../etc/./authselect"),
            root.join("etc/authselect")
        );
        // A loop stops after the hop limit instead of spinning.
        let _ = host_path(root, "/etc/loop");
        assert_eq!(host_path(Path::new("/"), "/etc/x"), PathBuf::from("/etc/x"));
    }
}
