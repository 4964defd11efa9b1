//! Issue 13 §1, through the real binary and both executors (native and `--via-shell`): what a
//! scan that may not read something reports, and the names evidence shows.
//!
//! "May not read" needs a user that is not root. CI runs the tests as root, so there the scan
//! runs as `nobody` through `setpriv` (util-linux); as any other user the tree is made
//! unreadable with chmod. Neither case is skipped.

mod support;

use serde_json::Value;
use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{PermissionsExt, chown};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const EXECUTORS: [&[&str]; 2] = [&[], &["--via-shell"]];
const SCAN_DEADLINE: Duration = Duration::from_secs(120);
/// Who the scan runs as when the tests run as root.
const UNPRIVILEGED: &str = "nobody";

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

fn write(root: &Path, path: &str, text: &str, mode: u32) {
    let file = root.join(path);
    fs::create_dir_all(file.parent().unwrap()).unwrap();
    fs::write(&file, text).unwrap();
    fs::set_permissions(&file, fs::Permissions::from_mode(mode)).unwrap();
}

fn chmod(root: &Path, path: &str, mode: u32) {
    fs::set_permissions(root.join(path), fs::Permissions::from_mode(mode)).unwrap();
}

/// A world-readable scratch directory (tempdir makes it 0700, which `nobody` cannot enter).
fn scratch() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

/// `plumb scan --root` of `tree`, as an unprivileged user when `unprivileged`; rule id →
/// (status, reason, detail, first evidence's actual).
fn scan(
    rules: &Path,
    tree: &Path,
    unprivileged: bool,
    extra: &[&str],
) -> BTreeMap<String, [String; 4]> {
    let mut cmd = if unprivileged && is_root() {
        let mut cmd = Command::new("setpriv");
        cmd.args([
            &format!("--reuid={UNPRIVILEGED}"),
            "--regid=nogroup",
            "--clear-groups",
            "--",
        ]);
        cmd.arg(env!("CARGO_BIN_EXE_plumb"));
        // The same clean environment as support::plumb().
        for (key, value) in support::plumb().get_envs() {
            match value {
                Some(value) => cmd.env(key, value),
                None => cmd.env_remove(key),
            };
        }
        cmd
    } else {
        support::plumb()
    };
    cmd.args(["scan", "--no-store", "--allow-errors", "--format", "json"])
        .arg("--rules")
        .arg(rules)
        .arg("--root")
        .arg(tree)
        .args(extra);
    let out = support::run_bounded(&mut cmd, SCAN_DEADLINE);
    assert!(
        matches!(out.status.code(), Some(0..=1)),
        "scan {extra:?}: {:?}\n{}",
        out.status,
        support::stderr(&out)
    );
    let report = support::json(&out);
    let text = |value: &Value| value.as_str().unwrap_or_default().to_owned();
    report["hosts"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let fields = [
                text(&r["status"]),
                text(&r["reason"]),
                text(&r["detail"]),
                text(&r["evidence"][0]["actual"]),
            ];
            (text(&r["rule_id"]), fields)
        })
        .collect()
}

const DENIED_RULES: &str = r#"
- id: audit-key-in-rules-d
  title: an audit rule in a directory the scan may not list
  severity: low
  check: { method: audit_rule_exists, key: identity }
- id: sshd-dropin-unlisted
  title: a drop-in directory the scan may not list, where a missing key passes
  severity: low
  check: { method: config_value, path: [/etc/ssh/sshd_config.d, /etc/ssh/sshd_config], scan_pattern: "*.conf", key: PermitEmptyPasswords, expected: "no", case_insensitive_key: true, occurrence: first, missing: pass }
- id: file-behind-unsearchable-dir
  title: a file whose directory the scan may not search
  severity: low
  check: { method: file_content, path: /etc/locked/site.conf, not_contains: "insecure" }
- id: file-unreadable
  title: a file the scan may not read
  severity: low
  check: { method: file_content_match, path: /etc/secret.conf, pattern: "^token", expect: no_match }
- id: glob-in-unlisted-dir
  title: a glob in a directory the scan may not list, where nothing matching passes
  severity: low
  check: { method: file_permission, path: "/etc/ssh/sshd_config.d/*.conf", mode: '0600', missing: pass }
- id: absent-behind-unsearchable-dir
  title: a file that must be absent, in a directory the scan may not search
  severity: low
  check: { method: file_absent, path: /etc/locked/site.conf }
- id: glob-below-a-glob
  title: a glob level below another glob, one of whose directories the scan may not list
  severity: low
  check: { method: file_exists, path: "/etc/audit/*/50-identity.rules" }
- id: readable-control
  title: a file anyone may read
  severity: low
  check: { method: file_content, path: /etc/open.conf, contains: "ok" }
"#;

/// A tree whose audit rules, sshd drop-ins, one directory and one file only root may read.
fn denied_tree() -> tempfile::TempDir {
    let dir = scratch();
    let root = dir.path();
    write(
        root,
        "etc/os-release",
        "ID=debian\nVERSION_ID=\"12\"\n",
        0o644,
    );
    write(root, "etc/open.conf", "ok\n", 0o644);
    write(
        root,
        "etc/audit/rules.d/50-identity.rules",
        "-w /etc/passwd -p wa -k identity\n",
        0o640,
    );
    write(
        root,
        "etc/ssh/sshd_config",
        "Include /etc/ssh/sshd_config.d/*.conf\n",
        0o644,
    );
    write(
        root,
        "etc/ssh/sshd_config.d/10-cloud.conf",
        "PermitEmptyPasswords yes\n",
        0o600,
    );
    write(root, "etc/locked/site.conf", "insecure = true\n", 0o644);
    write(root, "etc/secret.conf", "token 1234\n", 0o600);
    for dir in ["etc", "etc/ssh", "etc/audit"] {
        chmod(root, dir, 0o755);
    }
    // Root reads all of these anyway; another user owns the files, so a mode without
    // any bit for the owner is what locks them out.
    let closed = if is_root() { 0o750 } else { 0o000 };
    chmod(root, "etc/audit/rules.d", closed);
    chmod(
        root,
        "etc/ssh/sshd_config.d",
        if is_root() { 0o700 } else { 0o000 },
    );
    chmod(root, "etc/locked", if is_root() { 0o700 } else { 0o000 });
    if !is_root() {
        chmod(root, "etc/secret.conf", 0o000);
    }
    dir
}

/// Puts the tree back so the temporary directory can be removed as a non-root user.
fn reopen(root: &Path) {
    for dir in ["etc/audit/rules.d", "etc/ssh/sshd_config.d", "etc/locked"] {
        chmod(root, dir, 0o755);
    }
}

#[test]
fn what_a_scan_may_not_read_is_an_error_in_both_executors() {
    if is_root() {
        let found = Command::new("setpriv").arg("--version").output();
        assert!(
            found.is_ok_and(|out| out.status.success()),
            "setpriv (util-linux) is needed to scan as {UNPRIVILEGED}; install util-linux"
        );
    }
    let rules_dir = scratch();
    let rules = rules_dir.path().join("denied.yml");
    fs::write(&rules, DENIED_RULES).unwrap();
    chmod(rules_dir.path(), "denied.yml", 0o644);
    let tree = denied_tree();

    let mut answers = Vec::new();
    for executor in EXECUTORS {
        let results = scan(&rules, tree.path(), true, executor);
        let error = |id: &str, detail: &str| {
            let [status, reason, got, _] = &results[id];
            assert_eq!(
                (status.as_str(), reason.as_str()),
                ("error", "probe_failed"),
                "{id} {executor:?}: {:?}",
                results[id]
            );
            assert!(got.contains(detail), "{id} {executor:?}: {got}");
        };
        error(
            "audit-key-in-rules-d",
            "/etc/audit/rules.d could not be listed (permission denied)",
        );
        error(
            "sshd-dropin-unlisted",
            "/etc/ssh/sshd_config.d could not be listed (permission denied)",
        );
        error("file-behind-unsearchable-dir", "/etc/locked/site.conf");
        error("file-unreadable", "/etc/secret.conf");
        error(
            "glob-in-unlisted-dir",
            "/etc/ssh/sshd_config.d could not be searched or listed (permission denied)",
        );
        error(
            "absent-behind-unsearchable-dir",
            "/etc/locked could not be searched or listed (permission denied)",
        );
        error(
            "glob-below-a-glob",
            "/etc/audit/rules.d could not be searched or listed (permission denied)",
        );
        assert_eq!(results["readable-control"][0], "pass", "{executor:?}");
        answers.push(results);
    }
    assert_eq!(
        answers[0], answers[1],
        "native and shell executors disagree"
    );

    // The same tree read by a user that may read it: real verdicts, so the errors above come
    // from permissions and nothing else.
    reopen(tree.path());
    if !is_root() {
        chmod(tree.path(), "etc/secret.conf", 0o600);
    }
    for executor in EXECUTORS {
        let results = scan(&rules, tree.path(), false, executor);
        let status = |id: &str| results[id][0].clone();
        assert_eq!(status("audit-key-in-rules-d"), "pass", "{executor:?}");
        assert_eq!(status("sshd-dropin-unlisted"), "fail", "{executor:?}");
        assert_eq!(
            status("file-behind-unsearchable-dir"),
            "fail",
            "{executor:?}"
        );
        assert_eq!(status("file-unreadable"), "fail", "{executor:?}");
        assert_eq!(status("glob-in-unlisted-dir"), "pass", "{executor:?}");
        assert_eq!(
            status("absent-behind-unsearchable-dir"),
            "fail",
            "{executor:?}"
        );
    }
}

#[test]
fn evidence_names_the_owner_and_group_it_was_not_asked_about() {
    let dir = scratch();
    let root = dir.path();
    let (uid, gid) = if is_root() {
        (0, 42)
    } else {
        // SAFETY: getuid/getgid have no preconditions.
        unsafe { (libc::getuid(), libc::getgid()) }
    };
    write(
        root,
        "etc/os-release",
        "ID=debian\nVERSION_ID=\"12\"\n",
        0o644,
    );
    write(
        root,
        "etc/passwd",
        &format!("admin:x:{uid}:{uid}:admin:/root:/bin/sh\n"),
        0o644,
    );
    write(root, "etc/group", &format!("wheelers:x:{gid}:\n"), 0o644);
    write(root, "etc/app.conf", "x\n", 0o640);
    if is_root() {
        chown(root.join("etc/app.conf"), Some(uid), Some(gid)).unwrap();
    }
    // One rule per scan: facts are shared by a scan's rules, and no other rule may bring in
    // the name list this one did not ask for.
    let checks = [
        ("owner-only", "owner: admin"),
        ("group-only", "group: wheelers"),
        ("mode-only", "mode: '0644'"),
    ];
    for executor in EXECUTORS {
        for (id, field) in checks {
            let rules = root.join(format!("{id}.yml"));
            let rule = format!(
                "id: {id}\ntitle: asks about one field\nseverity: low\n\
                 check: {{ method: file_permission, path: /etc/app.conf, {field} }}\n"
            );
            fs::write(&rules, rule).unwrap();
            let results = scan(&rules, root, false, executor);
            let [status, _, _, actual] = &results[id];
            assert_eq!(status, "pass", "{id} {executor:?}: {actual}");
            assert_eq!(
                actual, "/etc/app.conf 0640 admin:wheelers",
                "{id} {executor:?}"
            );
        }
    }
}
