//! What every command owes its caller (DESIGN §8): a closed stdout pipe is a clean exit, an
//! error states each cause once, `-v`/`-q` beat `PLUMB_LOG`, and the scan report and
//! `plumb state` agree on a host's score.

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use support::tools::keygen;
use support::{fixtures, json, plumb, run, stderr};

/// A host tree with just an os-release and an sshd_config.
fn host_tree(dir: &Path) -> PathBuf {
    let root = dir.join("root");
    fs::create_dir_all(root.join("etc/ssh")).unwrap();
    fs::write(
        root.join("etc/os-release"),
        "ID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n",
    )
    .unwrap();
    fs::write(
        root.join("etc/ssh/sshd_config"),
        "PermitRootLogin no\nX11Forwarding yes\nMaxAuthTries 6\n",
    )
    .unwrap();
    root
}

/// Runs `cmd` with stdout a pipe whose read end is closed before anything is read; returns
/// the exit code and stderr. Output larger than a pipe buffer cannot be written before the
/// close, so the command meets the closed pipe.
fn with_closed_stdout(cmd: &mut Command) -> (Option<i32>, String) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    (out.status.code(), stderr(&out))
}

fn scan_full_pack(root: &Path, state: &Path) -> Command {
    let mut cmd = plumb();
    // The bare tree has no package database; those rules are errors, allowed here.
    cmd.args([
        "scan",
        "--format",
        "json",
        "--allow-errors",
        "--host-name",
        "web1",
        "--rules",
    ])
    .arg(fixtures::repo().join("fixtures/rules"))
    .arg("--root")
    .arg(root)
    .arg("--state")
    .arg(state);
    cmd
}

#[test]
fn a_closed_stdout_is_a_clean_exit() {
    let dir = tempfile::tempdir().unwrap();
    let root = host_tree(dir.path());
    let state = dir.path().join("state.db");
    let out = run(&mut scan_full_pack(&root, &state));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));

    // Every rule of the pack is a first-seen change: far more than a pipe buffer of history.
    for format in ["json", "table"] {
        let (code, err) = with_closed_stdout(
            plumb()
                .args(["state", "history", "web1", "--limit", "10000", "--state"])
                .arg(&state)
                .args(["--format", format]),
        );
        assert_eq!(code, Some(0), "state history --format {format}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    for args in [&["hosts"][..], &["scans"], &["path"]] {
        let (code, err) = with_closed_stdout(
            plumb()
                .arg("state")
                .args(args)
                .arg("--state")
                .arg(&state)
                .args(["--format", "table"]),
        );
        assert_eq!(code, Some(0), "state {args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }

    // The scan report keeps the scan's own exit code (1: findings).
    let (code, err) = with_closed_stdout(&mut scan_full_pack(&root, &state));
    assert_eq!(code, Some(1), "{err}");
    assert!(!err.contains("panicked"), "{err}");

    // An unsigned policy is a report (exit 1), not an I/O failure (exit 3).
    let policy = dir.path().join("scan-policy.yaml");
    fs::copy(fixtures::repo().join("scan-policy.example.yaml"), &policy).unwrap();
    let revocations = "fixtures/policy/revoked-keys.txt";
    fs::create_dir_all(dir.path().join("fixtures/policy")).unwrap();
    fs::copy(
        fixtures::repo().join(revocations),
        dir.path().join(revocations),
    )
    .unwrap();
    let key = keygen(dir.path(), "ops", "ed25519");
    let public = fs::read_to_string(key.with_extension("pub")).unwrap();
    let signers = dir.path().join("allowed_signers");
    fs::write(&signers, format!("ops@example.com {public}")).unwrap();
    let (code, err) = with_closed_stdout(
        plumb()
            .args(["verify-policy", "--format", "json", "--allowed-signers"])
            .arg(&signers)
            .arg(&policy),
    );
    assert_eq!(code, Some(1), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn an_error_states_each_cause_once() {
    let dir = tempfile::tempdir().unwrap();
    let root = host_tree(dir.path());
    let missing = dir.path().join("missing");
    let corrupt = dir.path().join("corrupt.db");
    fs::write(
        &corrupt,
        "not a database, just text long enough to have a header",
    )
    .unwrap();
    let policy = dir.path().join("policy.yaml");
    fs::write(&policy, "version: 1\n").unwrap();
    let no_such_file = "No such file or directory";
    let cases: Vec<(&str, Vec<std::ffi::OsString>, i32, &str)> = vec![
        (
            "missing --rules",
            vec![
                "scan".into(),
                "--no-store".into(),
                "--rules".into(),
                missing.clone().into(),
            ],
            3,
            no_such_file,
        ),
        (
            "missing --config",
            vec![
                "--config".into(),
                missing.clone().into(),
                "state".into(),
                "path".into(),
            ],
            2,
            no_such_file,
        ),
        (
            "missing policy",
            vec![
                "verify-policy".into(),
                missing.clone().into(),
                "--allowed-signers".into(),
                missing.clone().into(),
            ],
            2,
            no_such_file,
        ),
        (
            "missing trusted keys",
            vec![
                "verify-policy".into(),
                policy.clone().into(),
                "--allowed-signers".into(),
                missing.clone().into(),
            ],
            2,
            no_such_file,
        ),
        (
            "missing --inventory",
            vec![
                "scan".into(),
                "--no-store".into(),
                "-i".into(),
                missing.clone().into(),
            ],
            3,
            no_such_file,
        ),
        (
            "missing --root",
            vec![
                "scan".into(),
                "--no-store".into(),
                "--root".into(),
                missing.clone().into(),
            ],
            3,
            no_such_file,
        ),
        (
            "unreadable state file",
            vec![
                "state".into(),
                "show".into(),
                "--state".into(),
                corrupt.clone().into(),
            ],
            3,
            "not a database",
        ),
        (
            "unreadable state file for a scan",
            vec![
                "scan".into(),
                "--root".into(),
                root.clone().into(),
                "--state".into(),
                corrupt.clone().into(),
            ],
            3,
            "not a database",
        ),
    ];
    for (name, args, code, cause) in cases {
        let out = run(plumb().args(&args));
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(code), "{name}: {err}");
        assert_eq!(err.matches(cause).count(), 1, "{name}: {err}");
        assert_eq!(err.lines().count(), 1, "{name}: {err}");
    }
}

fn scan_logging(log: &str, flags: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let root = host_tree(dir.path());
    let out = run(plumb()
        .args([
            "scan",
            "--no-store",
            "--format",
            "json",
            "--allow-errors",
            "--root",
        ])
        .arg(&root)
        .env("PLUMB_LOG", log)
        .args(flags));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    stderr(&out)
}

#[test]
fn verbosity_flags_beat_plumb_log() {
    let quiet = scan_logging("trace", &["-q"]);
    assert!(
        !quiet.contains("DEBUG") && !quiet.contains("TRACE"),
        "{quiet}"
    );
    let verbose = scan_logging("off", &["-vv"]);
    assert!(verbose.contains("DEBUG"), "{verbose}");
    // Without a flag the environment applies.
    let from_env = scan_logging("plumb=debug", &[]);
    assert!(from_env.contains("DEBUG"), "{from_env}");
    assert!(!scan_logging("off", &[]).contains("DEBUG"));
}

#[test]
fn the_report_and_state_hosts_agree_on_the_score() {
    let dir = tempfile::tempdir().unwrap();
    let root = host_tree(dir.path());
    let rules = dir.path().join("rules");
    fs::create_dir(&rules).unwrap();
    for (id, key, expected) in [
        ("root-login-off", "PermitRootLogin", "no"),
        ("x11-off", "X11Forwarding", "no"),
        ("auth-tries", "MaxAuthTries", "4"),
    ] {
        fs::write(
            rules.join(format!("{id}.yml")),
            format!(
                "id: {id}\ntitle: {id}\nseverity: low\ncheck: {{ method: config_value, path: /etc/ssh/sshd_config, key: {key}, expected: '{expected}' }}\n"
            ),
        )
        .unwrap();
    }
    let state = dir.path().join("state.db");
    let out = run(plumb()
        .args(["scan", "--format", "json", "--host-name", "web1", "--rules"])
        .arg(&rules)
        .arg("--root")
        .arg(&root)
        .arg("--state")
        .arg(&state));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report = json(&out);
    let summary = &report["hosts"][0]["summary"];
    assert_eq!(
        (summary["pass"].as_u64(), summary["fail"].as_u64()),
        (Some(1), Some(2))
    );
    assert_eq!(summary["score"].as_f64(), Some(33.3), "{summary}");

    let out = run(plumb()
        .args(["state", "hosts", "--format", "json", "--state"])
        .arg(&state));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let hosts = json(&out);
    assert_eq!(hosts[0]["score"], summary["score"], "{hosts}");

    let out = run(plumb()
        .args(["state", "scans", "--format", "json", "--state"])
        .arg(&state));
    assert_eq!(json(&out)[0]["score"], summary["score"]);
}
