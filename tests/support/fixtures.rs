//! Fixture host trees, materialised with their modes and owners.
//!
//! Git keeps neither file modes (beyond +x) nor owners, so each tree has a manifest,
//! `fixtures/hosts/<name>.perms`, with lines `MODE OWNER GROUP PATH`; owners and groups are
//! names from that tree's etc/passwd and etc/group, applied to a temp copy.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn host_names() -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(repo().join("fixtures/hosts"))
        .expect("fixtures/hosts exists")
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A temp copy of fixture host `name` with its permissions manifest applied.
pub fn materialise(name: &str) -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix(&format!("plumb-{name}-"))
        .tempdir()
        .expect("temp dir");
    let source = repo().join("fixtures/hosts").join(name);
    copy_tree(&source, dir.path());
    apply_perms(name, dir.path());
    dir
}

/// Copies the tree `from` to `to`: directories (0755), files and symlinks as links.
/// The JSON report of the fixture tree `name` (its manifest applied to a temp copy), scanned
/// through the binary with `--root` and the pack in fixtures/rules, storing nothing.
pub fn scan_report(name: &str) -> serde_json::Value {
    let tree = materialise(name);
    let out = super::run(
        super::plumb()
            .args([
                "scan",
                "--format",
                "json",
                "--no-store",
                "--fail-on",
                "never",
                "--rules",
            ])
            .arg(repo().join("fixtures/rules"))
            .arg("--root")
            .arg(tree.path())
            .args(["--host-name", name]),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{name}: {}",
        super::stderr(&out)
    );
    let report = super::json(&out);
    assert_eq!(report["hosts"][0]["host"], name);
    report
}

pub fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    fs::set_permissions(to, fs::Permissions::from_mode(0o755)).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        let kind = entry.file_type().unwrap();
        if kind.is_symlink() {
            symlink(fs::read_link(entry.path()).unwrap(), &target).unwrap();
        } else if kind.is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn ids(root: &Path, file: &str) -> BTreeMap<String, u32> {
    fs::read_to_string(root.join(file))
        .unwrap_or_default()
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            Some((fields.first()?.to_string(), fields.get(2)?.parse().ok()?))
        })
        .collect()
}

fn apply_perms(name: &str, root: &Path) {
    let manifest = repo().join("fixtures/hosts").join(format!("{name}.perms"));
    let Ok(text) = fs::read_to_string(&manifest) else {
        return;
    };
    let users = ids(root, "etc/passwd");
    let groups = ids(root, "etc/group");
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [mode, owner, group, path] = fields[..] else {
            panic!(
                "{}:{}: expected MODE OWNER GROUP PATH",
                manifest.display(),
                number + 1
            );
        };
        let path = root.join(path.trim_start_matches('/'));
        let mode = u32::from_str_radix(mode, 8).unwrap_or_else(|_| panic!("bad mode in {line}"));
        let uid = *users
            .get(owner)
            .unwrap_or_else(|| panic!("{owner} not in {name}/etc/passwd"));
        let gid = *groups
            .get(group)
            .unwrap_or_else(|| panic!("{group} not in {name}/etc/group"));
        std::os::unix::fs::chown(&path, Some(uid), Some(gid)).unwrap_or_else(|err| {
            panic!(
                "chown {}: {err} (the fixture tests run as root)",
                path.display()
            )
        });
        fs::set_permissions(&path, fs::Permissions::from_mode(mode))
            .unwrap_or_else(|err| panic!("chmod {}: {err}", path.display()));
    }
}

/// Three rules that pass on the debian12-default fixture tree.
pub const PASSING_RULES: &str = "\
- id: os-release-present
  title: os-release exists
  severity: low
  check: { method: file_exists, path: /etc/os-release }
- id: passwd-present
  title: passwd exists
  severity: medium
  check: { method: file_exists, path: /etc/passwd }
- id: group-present
  title: group exists
  severity: low
  check: { method: file_exists, path: /etc/group }
";
