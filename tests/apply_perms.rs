//! scripts/apply-perms makes a plain copy of a fixture tree (modes as git checks them out, owned by
//! whoever copied it) identical in owner, group and mode to the tree the test harness materialises,
//! so `plumb scan --root` on a fresh clone gives the recorded results.

mod support;

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::Command;

use support::{fixtures, stderr};

/// Relative path -> (mode, uid, gid) for every entry under `root`, symlinks not followed (their
/// own mode bits are meaningless and left out).
fn metadata(root: &Path) -> BTreeMap<String, (u32, u32, u32)> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, (u32, u32, u32)>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let meta = fs::symlink_metadata(&path).unwrap();
            let name = path.strip_prefix(root).unwrap().display().to_string();
            let mode = if meta.file_type().is_symlink() {
                0
            } else {
                meta.mode() & 0o7777
            };
            out.insert(name, (mode, meta.uid(), meta.gid()));
            if meta.is_dir() {
                walk(root, &path, out);
            }
        }
    }
    let mut out = BTreeMap::new();
    let meta = fs::symlink_metadata(root).unwrap();
    out.insert(".".into(), (meta.mode() & 0o7777, meta.uid(), meta.gid()));
    walk(root, root, &mut out);
    out
}

/// A copy of the checked-out tree and its manifest as `cp -a` makes it, with a few modes and an
/// owner the script must reset, as a careless checkout or earlier experiment would leave them
/// (the tree root is in no manifest, so only the script's own directory reset fixes it).
fn plain_copy(name: &str, into: &Path) -> std::path::PathBuf {
    let hosts = fixtures::repo().join("fixtures/hosts");
    let tree = into.join(name);
    let status = Command::new("cp")
        .arg("-a")
        .arg(hosts.join(name))
        .arg(&tree)
        .status()
        .unwrap();
    assert!(status.success());
    fs::copy(
        hosts.join(format!("{name}.perms")),
        into.join(format!("{name}.perms")),
    )
    .unwrap();
    std::os::unix::fs::chown(tree.join("etc/passwd"), Some(1234), Some(1234)).unwrap();
    for (dir, mode) in [("etc", 0o777), (".", 0o700)] {
        fs::set_permissions(
            tree.join(dir),
            std::os::unix::fs::PermissionsExt::from_mode(mode),
        )
        .unwrap();
    }
    tree
}

#[test]
fn apply_perms_gives_the_tree_the_harness_scans() {
    let work = tempfile::tempdir().unwrap();
    for name in fixtures::host_names() {
        let tree = plain_copy(&name, work.path());
        let out = Command::new(fixtures::repo().join("scripts/apply-perms"))
            .arg(&tree)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{name}: {}", stderr(&out));
        let harness = fixtures::materialise(&name);
        let want = metadata(harness.path());
        let got = metadata(&tree);
        let differences: Vec<String> = want
            .iter()
            .filter(|(path, meta)| got.get(*path) != Some(meta))
            .map(|(path, meta)| format!("{path}: harness {meta:?}, script {:?}", got.get(path)))
            .collect();
        assert!(
            differences.is_empty() && want.len() == got.len(),
            "{name}:\n{}",
            differences.join("\n")
        );
    }
}

#[test]
fn apply_perms_refuses_a_manifest_owner_the_tree_does_not_know() {
    let work = tempfile::tempdir().unwrap();
    let tree = plain_copy("debian12-hardened", work.path());
    let manifest = work.path().join("bad.perms");
    fs::write(
        &manifest,
        "# one bad line\n0640 nobody-here root etc/shadow\n",
    )
    .unwrap();
    let out = Command::new(fixtures::repo().join("scripts/apply-perms"))
        .arg(&tree)
        .arg(&manifest)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let message = stderr(&out);
    assert!(
        message.contains("bad.perms:2") && message.contains("nobody-here"),
        "{message}"
    );
}
