//! A gate never passes on nothing: an empty selection is a usage error, rules that could not
//! be assessed fail the run unless allowed, and `--fail-on never` softens findings only.

mod support;

use std::fs;
use std::path::Path;
use support::tools::sqlite3;
use support::{json, plumb, run, stderr};

const OS_RELEASE: &str = "ID=debian\nVERSION_ID=\"12\"\n";

/// A small tree: sshd_config with root login off and X11 forwarding on.
fn tree(dir: &Path) {
    let root = dir.join("root");
    fs::create_dir_all(root.join("etc/ssh")).unwrap();
    fs::write(root.join("etc/os-release"), OS_RELEASE).unwrap();
    fs::write(
        root.join("etc/ssh/sshd_config"),
        "PermitRootLogin no\nX11Forwarding yes\n",
    )
    .unwrap();
    fs::write(
        dir.join("rules.yml"),
        "
- id: root-login-off
  title: Root login is off
  severity: high
  tags: [ssh]
  check: { method: config_value, path: /etc/ssh/sshd_config, key: PermitRootLogin, expected: 'no' }
- id: x11-off
  title: X11 forwarding is off
  severity: low
  tags: [ssh, x11]
  check: { method: config_value, path: /etc/ssh/sshd_config, key: X11Forwarding, expected: 'no' }
",
    )
    .unwrap();
}

fn scan(dir: &Path, extra: &[&str]) -> std::process::Output {
    run(plumb()
        .args(["scan", "--format", "json", "--rules"])
        .arg(dir.join("rules.yml"))
        .arg("--root")
        .arg(dir.join("root"))
        .arg("--state")
        .arg(dir.join("state.db"))
        .args(extra))
}

#[test]
fn a_selection_that_matches_no_rule_is_exit_2_and_names_the_tags() {
    let dir = tempfile::tempdir().unwrap();
    tree(dir.path());
    assert_eq!(scan(dir.path(), &[]).status.code(), Some(1));
    let state = dir.path().join("state.db");
    let before = sqlite3(&state, "SELECT count(*) FROM scans;");

    // Tags are case-sensitive.
    let out = scan(dir.path(), &["--tag", "SSH"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("`SSH`") && err.contains("ssh, x11"), "{err}");
    assert!(out.stdout.is_empty());

    let out = scan(dir.path(), &["--min-severity", "critical"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("matches no rule"), "{}", stderr(&out));

    let out = scan(dir.path(), &["--tag", "x11", "--exclude", "x11-off"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));

    // Nothing was recorded or wiped.
    assert_eq!(sqlite3(&state, "SELECT count(*) FROM scans;"), before);
    assert_eq!(
        sqlite3(
            &state,
            "SELECT count(*) FROM host_rule_state WHERE removed_at IS NULL;"
        )
        .trim(),
        "2"
    );
}

#[test]
fn a_rules_file_without_rules_is_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    tree(dir.path());
    let empty = dir.path().join("empty.yml");
    fs::write(&empty, "[]\n").unwrap();
    let out = run(plumb()
        .args(["scan", "--no-store", "--format", "json", "--rules"])
        .arg(&empty)
        .arg("--root")
        .arg(dir.path().join("root")));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no rule is loaded"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn rules_that_could_not_be_assessed_fail_closed() {
    let dir = tempfile::tempdir().unwrap();
    tree(dir.path());
    // With no room for evidence, every rule is `error: evidence_oversize`.
    let out = scan(dir.path(), &["--evidence-max-bytes", "0"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["summary"]["error"], 2);
    let err = stderr(&out);
    assert!(
        err.contains("2 rules could not be assessed") && err.contains("evidence_oversize"),
        "{err}"
    );

    // --allow-errors keeps the soft behaviour, and says so.
    let out = scan(dir.path(), &["--evidence-max-bytes", "0", "--allow-errors"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("allowed by --allow-errors"));

    // Errors below the --fail-on severity do not fail the gate: x11-off is low.
    let root_only = dir.path().join("one.yml");
    fs::write(
        &root_only,
        "- id: x11-off\n  title: X11\n  severity: low\n  check: { method: config_value, path: /etc/ssh/sshd_config, key: X11Forwarding, expected: 'no' }\n",
    )
    .unwrap();
    let out = run(plumb()
        .args(["scan", "--no-store", "--format", "json", "--rules"])
        .arg(&root_only)
        .arg("--root")
        .arg(dir.path().join("root"))
        .args(["--evidence-max-bytes", "0", "--fail-on", "high"]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn fail_on_never_softens_findings_but_not_errors_or_unreachable_hosts() {
    let dir = tempfile::tempdir().unwrap();
    tree(dir.path());
    // Findings: soft.
    let out = scan(dir.path(), &["--fail-on", "never"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json(&out)["summary"]["fail"], 1);
    // Rules in error, at any severity: still exit 3, unless --allow-errors.
    let out = scan(
        dir.path(),
        &["--fail-on", "never", "--evidence-max-bytes", "0"],
    );
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let out = scan(
        dir.path(),
        &[
            "--fail-on",
            "never",
            "--evidence-max-bytes",
            "0",
            "--allow-errors",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    // A host that cannot be reached: exit 3 whatever --fail-on says, report still printed.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let known = dir.path().join("known_hosts");
    fs::write(&known, "").unwrap();
    let out = run(plumb()
        .args([
            "scan",
            "--no-store",
            "--format",
            "json",
            "--fail-on",
            "never",
        ])
        .args(["--connect-timeout", "2", "--known-hosts"])
        .arg(&known)
        .arg(format!("127.0.0.1:{port}")));
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert_eq!(json(&out)["hosts"][0]["outcome"], "error");
}
