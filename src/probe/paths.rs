//! Mapping target paths under `--root`, and expanding globs the way `sh` does.

use globset::{GlobBuilder, GlobMatcher};
use std::fs;
use std::path::{Path, PathBuf};

/// The host path for a target path: `/etc/x` under root `/srv/img` is `/srv/img/etc/x`.
pub fn host_path(root: &Path, target: &str) -> PathBuf {
    root.join(target.trim_start_matches('/'))
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
        let exists = fs::symlink_metadata(host_path(root, pattern)).is_ok();
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
                if fs::symlink_metadata(host_path(root, &candidate)).is_ok() {
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
}
