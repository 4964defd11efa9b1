//! A narrower scan never erases what it did not look at: scan scope and rule sources, on real
//! state files, through the store and through the binary.

mod common;
mod support;

use common::*;
use plumb::store::{ChangeKind, Scope, Severity, Status, Store};
use std::fs;
use std::path::Path;
use support::tools::sqlite3;
use support::{fixtures, json, plumb, run, state_json, stderr};

fn store_in(dir: &tempfile::TempDir) -> Store {
    Store::open(&dir.path().join("state.db")).unwrap()
}

fn removed(outcome: &plumb::store::ApplyOutcome) -> Vec<String> {
    outcome
        .changes
        .iter()
        .filter(|c| c.kind == ChangeKind::Removed)
        .map(|c| c.rule_id.clone())
        .collect()
}

fn batch_of(source: &str, scope: Scope, at: i64, rules: &[&str]) -> plumb::store::ScanBatch {
    let results = rules
        .iter()
        .map(|id| result(id, Status::Pass, Severity::Medium))
        .collect();
    let mut batch = batch("web1", at, results);
    batch.rule_source = source.to_owned();
    batch.scope = scope;
    batch
}

#[test]
fn a_partial_scan_updates_what_it_evaluated_and_removes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = store_in(&dir);
    let mut full = synthetic("web1", 1_000, 30, 0);
    full.rule_source = "embedded".into();
    store.apply_scan(&full).unwrap();
    let before = store.hosts().unwrap()[0].clone();

    // Three of the thirty rules, one of which now passes instead of failing.
    let mut picked: Vec<_> = full.results[..3].to_vec();
    picked[0].status = Status::Pass;
    picked[0].evidence["actual"] = "yes".into();
    let mut partial = batch("web1", 2_000, picked);
    partial.scope = Scope::Partial;
    let outcome = store.apply_scan(&partial).unwrap();
    assert!(removed(&outcome).is_empty(), "{:?}", outcome.changes);
    assert_eq!(outcome.changes.len(), 1, "{:?}", outcome.changes);
    assert_eq!(outcome.changes[0].kind, ChangeKind::StateChanged);

    // The host's counts still cover all thirty live rules.
    let after = store.hosts().unwrap()[0].clone();
    let total = |h: &plumb::store::HostSummary| {
        h.counts.pass + h.counts.fail + h.counts.skipped + h.counts.error
    };
    assert_eq!(total(&after), 30);
    assert_eq!(after.counts.fail, before.counts.fail - 1);

    // The next full scan with the same results as the first finds one change, not 27.
    let mut again = synthetic("web1", 3_000, 30, 0);
    again.rule_source = "embedded".into();
    let outcome = store.apply_scan(&again).unwrap();
    assert_eq!(outcome.changes.len(), 1, "{:?}", outcome.changes);
    assert!(removed(&outcome).is_empty());
    // And a repeat of it takes the fast path.
    let mut repeat = synthetic("web1", 4_000, 30, 0);
    repeat.rule_source = "embedded".into();
    assert!(store.apply_scan(&repeat).unwrap().fast_path);
}

#[test]
fn rules_are_removed_only_when_they_leave_every_source_that_holds_them() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = store_in(&dir);
    let a = "policy:/etc/plumb/scan-policy.yaml";
    let b = "embedded";
    // Alternating full scans of two sources never remove each other's rules.
    for round in 0..3 {
        let at = 1_000 + round * 100;
        let one = store
            .apply_scan(&batch_of(a, Scope::Full, at, &["r1", "r2", "r3"]))
            .unwrap();
        let two = store
            .apply_scan(&batch_of(b, Scope::Full, at + 50, &["r2", "r4"]))
            .unwrap();
        assert!(removed(&one).is_empty() && removed(&two).is_empty());
    }
    assert_eq!(store.hosts().unwrap()[0].counts.pass, 4);
    // Repeating a source changes nothing.
    let again = store
        .apply_scan(&batch_of(b, Scope::Full, 2_000, &["r2", "r4"]))
        .unwrap();
    assert!(again.changes.is_empty(), "{:?}", again.changes);

    // r3 leaves source A, the only one that held it: removed, once.
    let out = store
        .apply_scan(&batch_of(a, Scope::Full, 3_000, &["r1", "r2"]))
        .unwrap();
    assert_eq!(removed(&out), ["r3"]);
    // r2 leaves A but B still holds it: kept.
    let out = store
        .apply_scan(&batch_of(a, Scope::Full, 3_100, &["r1"]))
        .unwrap();
    assert!(removed(&out).is_empty(), "{:?}", out.changes);
    // A partial scan of B without r2 proves nothing.
    let out = store
        .apply_scan(&batch_of(b, Scope::Partial, 3_200, &["r4"]))
        .unwrap();
    assert!(removed(&out).is_empty());
    // r2 leaves B too: now it is gone.
    let out = store
        .apply_scan(&batch_of(b, Scope::Full, 3_300, &["r4"]))
        .unwrap();
    assert_eq!(removed(&out), ["r2"]);
    let host = &store.hosts().unwrap()[0];
    assert_eq!(host.counts.pass, 2, "r1 and r4 stay live");
    assert!(store.check().unwrap().sound);
}

#[test]
fn rows_from_before_rule_sources_are_adopted_by_the_next_full_scan() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let mut store = Store::open(&path).unwrap();
    store
        .apply_scan(&batch_of("embedded", Scope::Full, 1_000, &["r1", "r2"]))
        .unwrap();
    drop(store);
    // What an older plumb left: live rows that no source holds.
    // (`host_rule_sources` is a view over `rule_state_sources` since schema 5.)
    sqlite3(&path, "DELETE FROM rule_state_sources;");
    let mut store = Store::open(&path).unwrap();
    let out = store
        .apply_scan(&batch_of("rules:/srv/rules", Scope::Full, 2_000, &["r1"]))
        .unwrap();
    assert_eq!(removed(&out), ["r2"]);
}

// Through the binary.

fn scan(state: &Path, args: &[&str]) -> std::process::Output {
    run(plumb()
        .args(["scan", "--format", "json", "--host-name", "vm", "--state"])
        .arg(state)
        .args(args))
}

fn removed_rows(state: &Path) -> String {
    sqlite3(
        state,
        "SELECT count(*) FROM transactions WHERE change_kind = 'removed';",
    )
    .trim()
    .to_owned()
}

#[test]
fn a_tag_filtered_scan_keeps_the_hosts_score_and_every_other_rule() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.db");
    let root = fixtures::materialise("debian12-default");
    let root_arg = root.path().to_str().unwrap();
    let full = scan(&state, &["--root", root_arg, "--allow-errors"]);
    assert!(
        matches!(full.status.code(), Some(0 | 1)),
        "{}",
        stderr(&full)
    );
    let before = state_json(&state, &["hosts"])[0].clone();

    let ssh = scan(
        &state,
        &["--root", root_arg, "--tag", "ssh", "--allow-errors"],
    );
    assert!(matches!(ssh.status.code(), Some(0 | 1)), "{}", stderr(&ssh));
    let report = json(&ssh);
    let selected = report["hosts"][0]["results"].as_array().unwrap().len();
    assert!(selected > 0 && selected < 100, "{selected} ssh rules");
    assert_eq!(
        report["hosts"][0]["changes"]["removed"],
        serde_json::json!([])
    );

    let after = state_json(&state, &["hosts"])[0].clone();
    assert_eq!(after["counts"], before["counts"]);
    assert_eq!(after["score"], before["score"]);
    assert_eq!(removed_rows(&state), "0");
    let history = state_json(&state, &["history", "vm", "--rule", "auditd-installed"]);
    assert_eq!(history.as_array().unwrap().len(), 1, "{history}");
    assert_eq!(history[0]["change_kind"], "first_seen");

    let scans = state_json(&state, &["scans"]);
    assert_eq!(scans[0]["scope"], "partial");
    assert_eq!(scans[1]["scope"], "full");
    assert_eq!(scans[0]["rule_source"], "embedded");

    // The next full scan finds nothing changed.
    let again = scan(&state, &["--root", root_arg, "--allow-errors"]);
    assert_eq!(json(&again)["hosts"][0]["changes"]["changed"], 0);
}

#[test]
fn each_selection_flag_is_a_partial_scope_scan() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.db");
    let root = fixtures::materialise("debian12-default");
    let root_arg = root.path().to_str().unwrap();
    scan(&state, &["--root", root_arg, "--allow-errors"]);
    for selection in [
        &["--rule", "auditd-installed"][..],
        &["--min-severity", "high"],
        &["--exclude", "auditd-installed"],
    ] {
        let mut args = vec!["--root", root_arg, "--allow-errors"];
        args.extend_from_slice(selection);
        let out = scan(&state, &args);
        assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
        assert_eq!(state_json(&state, &["scans"])[0]["scope"], "partial");
    }
    assert_eq!(removed_rows(&state), "0");
}

#[test]
fn two_rules_paths_are_separate_baselines() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.db");
    let root = fixtures::materialise("debian12-default");
    let root_arg = root.path().to_str().unwrap();
    let rules = fixtures::repo().join("fixtures/rules");
    let ssh = dir.path().join("ssh.yml");
    fs::copy(rules.join("ssh.yml"), &ssh).unwrap();
    let kernel = rules.join("sysctl.yml");
    let scan_rules = |file: &Path| {
        let out = scan(
            &state,
            &[
                "--root",
                root_arg,
                "--allow-errors",
                "--rules",
                file.to_str().unwrap(),
            ],
        );
        assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
        json(&out)
    };
    for _ in 0..2 {
        scan_rules(&ssh);
        scan_rules(&kernel);
    }
    assert_eq!(removed_rows(&state), "0");

    // The last rule leaves ssh.yml: the next scan of ssh.yml removes it, and only it.
    let text = fs::read_to_string(&ssh).unwrap();
    let (kept, last) = text.rsplit_once("\n- id: ").unwrap();
    let last_id = last.lines().next().unwrap().trim().to_owned();
    fs::write(&ssh, format!("{kept}\n")).unwrap();
    let report = scan_rules(&ssh);
    assert_eq!(
        report["hosts"][0]["changes"]["removed"],
        serde_json::json!([last_id])
    );
    // The other source removes nothing.
    let report = scan_rules(&kernel);
    assert_eq!(
        report["hosts"][0]["changes"]["removed"],
        serde_json::json!([])
    );
    assert_eq!(removed_rows(&state), "1");
}

#[test]
fn a_profile_scan_is_a_full_scan_of_its_own_baseline() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.db");
    let root = fixtures::materialise("debian12-default");
    let root_arg = root.path().to_str().unwrap();
    let rules = dir.path().join("rules.yml");
    fs::write(
        &rules,
        "- { id: a, title: a, severity: low, profiles: [p1], check: { method: file_exists, path: /etc/os-release } }\n\
         - { id: b, title: b, severity: low, check: { method: file_exists, path: /etc/os-release } }\n",
    )
    .unwrap();
    let rules_arg = rules.to_str().unwrap();
    let out = scan(&state, &["--root", root_arg, "--rules", rules_arg]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = scan(
        &state,
        &["--root", root_arg, "--rules", rules_arg, "--profile", "p1"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // Rule `b` is outside the profile, not gone.
    assert_eq!(
        json(&out)["hosts"][0]["changes"]["removed"],
        serde_json::json!([])
    );
    assert_eq!(removed_rows(&state), "0");
    let scans = state_json(&state, &["scans"]);
    assert_eq!(scans[0]["scope"], "full");
    let source = scans[0]["rule_source"].as_str().unwrap();
    assert!(source.ends_with("\nprofiles:p1"), "{source}");
    assert_ne!(scans[1]["rule_source"], scans[0]["rule_source"]);
}
