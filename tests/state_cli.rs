//! The state file through the binary: concurrent scans, write-on-change, damaged and tampered
//! files, path precedence and the `plumb state` output shapes.

mod support;

use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use support::tools::sqlite3;
use support::{fixtures, json, plumb, run, state_json, stderr};

fn rules_dir() -> PathBuf {
    fixtures::repo().join("fixtures/rules")
}

fn scan_cmd(root: &Path, host: &str, state: &Path) -> Command {
    let mut cmd = plumb();
    cmd.args(["scan", "--format", "json", "--rules"])
        .arg(rules_dir())
        .arg("--root")
        .arg(root)
        .args(["--host-name", host, "--state"])
        .arg(state);
    cmd
}

/// Scans `root` as `host` into `state`; the scan must succeed (exit 0 or 1, findings).
fn scan(root: &Path, host: &str, state: &Path) -> Value {
    let out = run(&mut scan_cmd(root, host, state));
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "scan failed ({:?}): {}",
        out.status.code(),
        stderr(&out)
    );
    json(&out)
}

fn total_results(report: &Value) -> u64 {
    report["hosts"][0]["results"]
        .as_array()
        .expect("results array")
        .len() as u64
}

#[test]
fn eight_concurrent_scans_share_one_new_state_file() {
    const PROCESSES: usize = 8;
    let tree = fixtures::materialise("debian12-default");
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.db");
    assert!(!state.exists());
    // Spawn all before waiting on any, so they race for the file's creation and its lock.
    let children: Vec<_> = (0..PROCESSES)
        .map(|n| {
            scan_cmd(tree.path(), &format!("h{n}"), &state)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn plumb")
        })
        .collect();
    let mut per_scan = None;
    for child in children {
        let out = child.wait_with_output().unwrap();
        let err = stderr(&out);
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "exit {:?}: {err}",
            out.status.code()
        );
        assert!(!err.to_lowercase().contains("locked"), "{err}");
        let report = json(&out);
        let host = &report["hosts"][0];
        assert_eq!(host["outcome"], "ok", "{host}");
        assert!(host["scan_id"].is_string(), "every scan was recorded");
        let total = total_results(&report);
        assert_eq!(
            *per_scan.get_or_insert(total),
            total,
            "same tree, same rules"
        );
    }
    let per_scan = per_scan.unwrap();
    assert!(per_scan > 100, "the pack applies to the tree: {per_scan}");

    let show = state_json(&state, &["show"]);
    assert_eq!(show["hosts"], PROCESSES as u64);
    assert_eq!(show["scans"], PROCESSES as u64);
    assert_eq!(show["transactions"], PROCESSES as u64 * per_scan);

    // Every change-log row is a first sighting, and the file is sound.
    for n in 0..PROCESSES {
        let history = state_json(&state, &["history", &format!("h{n}"), "--limit", "100000"]);
        let entries = history.as_array().unwrap();
        assert_eq!(entries.len() as u64, per_scan);
        assert!(entries.iter().all(|e| e["change_kind"] == "first_seen"));
    }
    let check = state_json(&state, &["check"]);
    assert_eq!(check["sound"], true, "{check}");
}

const ROOT_LOGIN_RULE: &str = "ssh-permit-root-login-disabled";

#[test]
fn unchanged_rescans_write_nothing_and_one_edit_records_one_change() {
    let tree = fixtures::materialise("debian12-default");
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.db");

    let first = scan(tree.path(), "web", &state);
    let total = total_results(&first);
    let first_result = |report: &Value| {
        report["hosts"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["rule_id"] == ROOT_LOGIN_RULE)
            .map(|r| r["status"].clone())
    };
    assert_eq!(first_result(&first), Some("fail".into()));
    assert_eq!(first["hosts"][0]["changes"]["changed"], total);

    let second = scan(tree.path(), "web", &state);
    let changes = &second["hosts"][0]["changes"];
    assert_eq!(changes["changed"], 0, "{changes}");
    assert_eq!(changes["previous_scan"], first["hosts"][0]["scan_id"]);

    let scans = state_json(&state, &["scans", "--host", "web"]);
    let scans = scans.as_array().unwrap();
    assert_eq!(scans.len(), 2);
    // Newest first.
    assert_eq!(scans[0]["scan_id"], second["hosts"][0]["scan_id"]);
    assert_eq!(scans[0]["fast_path"], true);
    assert_eq!(scans[0]["change_count"], 0);
    assert_eq!(scans[1]["fast_path"], false);
    assert_eq!(scans[1]["change_count"], total);
    let rows_before = state_json(&state, &["show"])["transactions"].clone();
    assert_eq!(rows_before, total);

    // The stock config leaves PermitRootLogin unset; appending it (below every other line, so
    // no other rule's evidence moves) turns root login off.
    let sshd_config = tree.path().join("etc/ssh/sshd_config");
    let stock = fs::read_to_string(&sshd_config).unwrap();
    fs::write(&sshd_config, format!("{stock}PermitRootLogin no\n")).unwrap();
    let third = scan(tree.path(), "web", &state);
    assert_eq!(first_result(&third), Some("pass".into()));
    let changes = &third["hosts"][0]["changes"];
    assert_eq!(
        changes["fixed"],
        serde_json::json!([ROOT_LOGIN_RULE]),
        "{changes}"
    );
    assert_eq!(changes["new_failures"], serde_json::json!([]), "{changes}");
    assert_eq!(changes["changed"], 1, "{changes}");

    let history = state_json(&state, &["history", "web", "--limit", "1"]);
    let newest = &history[0];
    assert_eq!(newest["rule_id"], ROOT_LOGIN_RULE);
    assert_eq!(newest["change_kind"], "state_changed");
    assert_eq!(newest["previous_status"], "fail");
    assert_eq!(newest["new_status"], "pass");
    assert_eq!(newest["scan_id"], third["hosts"][0]["scan_id"]);
    let scans = state_json(&state, &["scans", "--host", "web"]);
    assert_eq!(scans[0]["fast_path"], false);
    assert_eq!(scans[0]["change_count"], changes["changed"]);
    let rows_after = state_json(&state, &["show"])["transactions"]
        .as_u64()
        .unwrap();
    assert_eq!(
        rows_after,
        total + changes["changed"].as_u64().unwrap(),
        "one row per change, none for unchanged results"
    );

    // Undoing the edit is a new failure of that rule alone.
    fs::write(&sshd_config, stock).unwrap();
    let fourth = scan(tree.path(), "web", &state);
    let changes = &fourth["hosts"][0]["changes"];
    assert_eq!(
        changes["new_failures"],
        serde_json::json!([ROOT_LOGIN_RULE]),
        "{changes}"
    );
    assert_eq!(changes["fixed"], serde_json::json!([]), "{changes}");
    assert_eq!(changes["changed"], 1, "{changes}");
    let history = state_json(&state, &["history", "web", "--rule", ROOT_LOGIN_RULE]);
    let kinds: Vec<_> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["change_kind"].clone(), e["new_status"].clone()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("state_changed".into(), "fail".into()),
            ("state_changed".into(), "pass".into()),
            ("first_seen".into(), "fail".into()),
        ]
    );
}

/// A damaged state file: exit 3, the message names it and points at `plumb state check`,
/// and nothing is recorded. Damage the cheap open-time probe sees is refused before scanning
/// (nothing on stdout, the file byte for byte as it was); damage in pages the scan's write
/// reads is SQLite's corruption error when the results are recorded, reported for the host,
/// and that write is rolled back (only the host lock's row came and went).
fn assert_refused_untouched(state: &Path, what: &str, at_open: bool) {
    let tree = fixtures::materialise("debian12-hardened");
    let before = fs::read(state).unwrap();
    let siblings = || {
        let mut names: Vec<_> = fs::read_dir(state.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        names
    };
    let files_before = siblings();
    let out = run(&mut scan_cmd(tree.path(), "web", state));
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{what}: {err}");
    assert!(!err.contains("panicked"), "{what}: {err}");
    let message = if at_open {
        assert!(out.stdout.is_empty(), "{what}: no report on stdout");
        err
    } else {
        let report = json(&out);
        assert_eq!(report["hosts"][0]["outcome"], "error", "{what}: {report}");
        report["hosts"][0]["error"].as_str().unwrap().to_string()
    };
    assert!(
        message.contains(&state.display().to_string()),
        "{what}: {message}"
    );
    assert!(message.contains("plumb state check"), "{what}: {message}");
    if at_open {
        assert_eq!(fs::read(state).unwrap(), before, "{what}: file changed");
    } else {
        assert_eq!(fs::read(state).unwrap().len(), before.len(), "{what}: grew");
    }
    assert_eq!(
        siblings(),
        files_before,
        "{what}: no -wal/-shm/-journal left"
    );

    // The suggested command examines the file without changing it, and calls it unsound.
    let out = run(plumb()
        .args(["state", "check", "--format", "json", "--state"])
        .arg(state));
    assert_eq!(out.status.code(), Some(1), "{what}: {}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["sound"], false, "{what}: {report}");
    if at_open {
        assert_eq!(fs::read(state).unwrap(), before, "{what}: check changed it");
    }
}

/// A state file holding one real scan, closed cleanly (no -wal file left beside it).
fn recorded_state(dir: &Path) -> PathBuf {
    let tree = fixtures::materialise("debian12-default");
    let state = dir.join("state.db");
    scan(tree.path(), "web", &state);
    assert!(!dir.join("state.db-wal").exists());
    state
}

#[test]
fn damaged_state_files_exit_3_and_stay_untouched() {
    // Garbage over the pages after the header page.
    let dir = tempfile::tempdir().unwrap();
    let state = recorded_state(dir.path());
    let mut bytes = fs::read(&state).unwrap();
    let page = 4096;
    assert!(bytes.len() > 4 * page, "{} bytes", bytes.len());
    for (i, byte) in bytes[page..4 * page].iter_mut().enumerate() {
        *byte = (i as u8).wrapping_mul(37).wrapping_add(11);
    }
    fs::write(&state, &bytes).unwrap();
    assert_refused_untouched(&state, "garbage pages", false);

    // Cut off after the first pages, as a full disk or a bad copy would leave it.
    let dir = tempfile::tempdir().unwrap();
    let state = recorded_state(dir.path());
    let bytes = fs::read(&state).unwrap();
    fs::write(&state, &bytes[..bytes.len() / 3]).unwrap();
    assert_refused_untouched(&state, "truncated", true);

    // Not SQLite at all.
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.db");
    fs::write(&state, "hosts:\n  - web-1\n  - web-2\n".repeat(200)).unwrap();
    assert_refused_untouched(&state, "not sqlite", true);
}

#[test]
fn an_edited_change_log_row_fails_state_check() {
    let dir = tempfile::tempdir().unwrap();
    let state = recorded_state(dir.path());
    let untouched = run(plumb()
        .args(["state", "check", "--format", "json", "--state"])
        .arg(&state));
    assert_eq!(untouched.status.code(), Some(0), "{}", stderr(&untouched));
    let report = json(&untouched);
    assert_eq!(report["sound"], true);
    assert_eq!(report["chain"]["first_bad"], Value::Null);

    // Rewrite history: a failure that "passed" all along.
    let id: i64 = sqlite3(
        &state,
        "SELECT id FROM transactions WHERE new_status = 'fail' ORDER BY id LIMIT 1 OFFSET 3",
    )
    .trim()
    .parse()
    .unwrap();
    sqlite3(
        &state,
        &format!(
            "UPDATE change_log SET new_status = (SELECT code FROM value_codes WHERE text = 'pass') WHERE id = {id}"
        ),
    );
    let rule = sqlite3(
        &state,
        &format!("SELECT rule_id FROM transactions WHERE id = {id}"),
    );
    let out = run(plumb()
        .args(["state", "check", "--format", "json", "--state"])
        .arg(&state));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["sound"], false);
    let bad = &report["chain"]["first_bad"];
    assert_eq!(bad["id"], id, "{report}");
    assert_eq!(bad["rule_id"], rule.trim());
    assert_eq!(bad["host"], "web");
}

#[test]
fn state_path_precedence_is_flag_then_env_then_config() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("conf/config.yaml");
    fs::create_dir_all(config.parent().unwrap()).unwrap();
    // Relative to the config file.
    fs::write(&config, "state: from-config.db\n").unwrap();
    let from_config = dir.path().join("conf/from-config.db");
    let from_env = dir.path().join("from-env.db");
    let from_flag = dir.path().join("from-flag.db");

    let path = |cmd: &mut Command| {
        let out = run(cmd.args(["state", "path", "--format", "table"]));
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        PathBuf::from(String::from_utf8(out.stdout).unwrap().trim_end())
    };
    assert_eq!(path(plumb().arg("--config").arg(&config)), from_config);
    assert_eq!(
        path(
            plumb()
                .arg("--config")
                .arg(&config)
                .env("PLUMB_STATE", &from_env)
        ),
        from_env
    );
    assert_eq!(
        path(
            plumb()
                .arg("--config")
                .arg(&config)
                .env("PLUMB_STATE", &from_env)
                .arg("--state")
                .arg(&from_flag)
        ),
        from_flag
    );
    // PLUMB_CONFIG names the config file too.
    assert_eq!(path(plumb().env("PLUMB_CONFIG", &config)), from_config);
    let out = run(plumb()
        .args(["state", "path", "--format", "json", "--config"])
        .arg(&config));
    assert_eq!(json(&out)["path"], from_config.display().to_string());

    // A scan writes where `state path` says, and nowhere else.
    let tree = fixtures::materialise("debian12-hardened");
    let out = run(plumb()
        .args(["scan", "--format", "json", "--rules"])
        .arg(rules_dir())
        .arg("--root")
        .arg(tree.path())
        .arg("--config")
        .arg(&config)
        .env("PLUMB_STATE", &from_env));
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    assert!(from_env.exists());
    assert!(!from_config.exists());
    assert!(!from_flag.exists());
    let out = run(plumb()
        .args(["scan", "--format", "json", "--rules"])
        .arg(rules_dir())
        .arg("--root")
        .arg(tree.path())
        .arg("--config")
        .arg(&config));
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    assert!(from_config.exists());
    assert!(!from_flag.exists());
}

#[test]
fn state_commands_print_their_json_shapes() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.db");
    let default_tree = fixtures::materialise("debian12-default");
    let hardened_tree = fixtures::materialise("debian12-hardened");
    let weak = scan(default_tree.path(), "weak", &state);
    let strong = scan(hardened_tree.path(), "strong", &state);

    let hosts = state_json(&state, &["hosts"]);
    let hosts = hosts.as_array().unwrap();
    assert_eq!(hosts.len(), 2);
    let host = |name: &str| hosts.iter().find(|h| h["name"] == name).unwrap().clone();
    let (weak_row, strong_row) = (host("weak"), host("strong"));
    assert_eq!(weak_row["last_scan_id"], weak["hosts"][0]["scan_id"]);
    assert_eq!(weak_row["last_scan_status"], "ok");
    assert_eq!(weak_row["counts"]["fail"], weak["summary"]["fail"]);
    assert_eq!(strong_row["counts"]["pass"], strong["summary"]["pass"]);
    assert!(weak_row["compliance"].is_string());
    assert!(weak_row["failing"]["high"].as_u64().unwrap() > 0);
    assert!(
        weak_row["score"].as_f64().unwrap() < strong_row["score"].as_f64().unwrap(),
        "{weak_row} vs {strong_row}"
    );

    let scans = state_json(&state, &["scans"]);
    let scans = scans.as_array().unwrap();
    assert_eq!(scans.len(), 2);
    assert_eq!(scans[0]["host"], "strong", "newest first");
    assert_eq!(scans[1]["host"], "weak");
    for scan in scans {
        assert_eq!(scan["trigger"], "manual");
        assert_eq!(scan["status"], "ok");
        assert_eq!(scan["policy_version"], Value::Null);
        assert_eq!(scan["ruleset_hash"].as_str().unwrap().len(), 64);
        // RFC 3339 UTC with milliseconds, which also sorts as text.
        let (started, finished) = (
            scan["started_at"].as_str().unwrap(),
            scan["finished_at"].as_str().unwrap(),
        );
        for time in [started, finished] {
            assert_eq!(time.len(), "2026-11-24T02:59:00.123Z".len(), "{time}");
            assert!(time.ends_with('Z') && time.as_bytes()[10] == b'T', "{time}");
        }
        assert!(started <= finished);
    }
    assert_eq!(scans[1]["counts"]["fail"], weak["summary"]["fail"]);
    let only_weak = state_json(&state, &["scans", "--host", "weak"]);
    assert_eq!(only_weak.as_array().unwrap().len(), 1);

    let history = state_json(&state, &["history", "weak", "--rule", ROOT_LOGIN_RULE]);
    let history = history.as_array().unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0]["host"], "weak");
    assert_eq!(history[0]["rule_id"], ROOT_LOGIN_RULE);
    assert_eq!(history[0]["change_kind"], "first_seen");
    assert_eq!(history[0]["previous_status"], Value::Null);
    assert_eq!(history[0]["new_status"], "fail");
    assert_eq!(history[0]["severity"], "high");
    assert_eq!(history[0]["scan_id"], weak["hosts"][0]["scan_id"]);
    let limited = state_json(&state, &["history", "weak", "--limit", "5"]);
    assert_eq!(limited.as_array().unwrap().len(), 5);

    // state prints table or json only: anything else is a usage error.
    for sub in ["show", "hosts", "scans", "check"] {
        for format in ["sarif", "junit", "ndjson"] {
            let out = run(plumb()
                .args(["state", sub, "--format", format, "--state"])
                .arg(&state));
            assert_eq!(out.status.code(), Some(2), "state {sub} --format {format}");
            assert!(out.stdout.is_empty());
            assert!(stderr(&out).contains("table or json"), "{}", stderr(&out));
        }
    }
}

#[test]
fn no_store_leaves_no_state_file() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("sub/state.db");
    let tree = fixtures::materialise("debian12-hardened");
    let out: Output = run(scan_cmd(tree.path(), "web", &state).arg("--no-store"));
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["hosts"][0]["outcome"], "ok");
    assert_eq!(report["hosts"][0]["scan_id"], Value::Null);
    assert_eq!(report["hosts"][0]["changes"], Value::Null);
    let left: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
    // Through PLUMB_STATE as well.
    let out = run(plumb()
        .args(["scan", "--format", "json", "--no-store", "--rules"])
        .arg(rules_dir())
        .arg("--root")
        .arg(tree.path())
        .env("PLUMB_STATE", &state));
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    assert!(fs::read_dir(dir.path()).unwrap().next().is_none());
}
