//! The store contract (issue 16): each behaviour of the state store, one test body run on a
//! SQLite file and on a PostgreSQL database of a throwaway cluster.

mod common;
mod support;

use common::*;
use plumb::eval::MAX_EVIDENCE_BYTES;
use plumb::store::{self, ChangeKind, ManualClock, ScanStatus, Severity, Status, StoreError, Tier};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use support::backends::Backend;
use support::backends::Kind;
use support::{plumb, run, stderr};

fn kinds(outcome: &store::ApplyOutcome) -> Vec<(String, ChangeKind)> {
    outcome
        .changes
        .iter()
        .map(|c| (c.rule_id.clone(), c.kind))
        .collect()
}

contract_tests!(
    a_second_owner_is_refused_until_release_or_expiry,
    extending_never_recreates_a_released_lock,
    a_lock_lapses_when_the_clock_passes_its_ttl,
    evidence_just_under_the_ceiling_is_kept_or_withheld_never_rejected,
    first_scan_records_first_seen_and_score,
    replayed_scan_id_is_a_no_op,
    unchanged_rescan_takes_the_fast_path,
    every_check_counts_though_an_unchanged_rescan_writes_no_rule_state,
    each_kind_of_change_is_logged_once,
    removed_rule_is_logged_once_and_no_longer_counted,
    error_scan_records_the_scan_and_keeps_state,
    rejected_batches_write_nothing,
    hosts_reports_tiers_and_failing_severities,
);

fn first_scan_records_first_seen_and_score(backend: &Backend) {
    let mut store = backend.open();
    let batch = synthetic("web1", 1_000_000, 9, 0);
    let outcome = store.apply_scan(&batch).unwrap();
    assert!(!outcome.replayed && !outcome.fast_path);
    assert_eq!(outcome.changes.len(), 9);
    assert!(
        outcome
            .changes
            .iter()
            .all(|c| c.kind == ChangeKind::FirstSeen)
    );
    assert_eq!((outcome.counts.pass, outcome.counts.fail), (6, 3));
    // Rounded to 0.1 as the scan report rounds it.
    assert_eq!(outcome.score, Some(66.7));
    assert_eq!(backend.count("SELECT count(*) FROM transactions"), 9);
    assert!(store.check().unwrap().sound);
}

fn replayed_scan_id_is_a_no_op(backend: &Backend) {
    let mut store = backend.open();
    let batch = synthetic("web1", 1_000_000, 20, 0);
    let first = store.apply_scan(&batch).unwrap();
    let before = backend.digest();
    let again = store.apply_scan(&batch).unwrap();
    assert!(again.replayed);
    assert_eq!(again.changes, first.changes);
    assert_eq!(again.counts, first.counts);
    assert_eq!(backend.digest(), before);
}

fn unchanged_rescan_takes_the_fast_path(backend: &Backend) {
    let mut store = backend.open();
    store
        .apply_scan(&synthetic("web1", 1_000_000, 50, 0))
        .unwrap();
    let second = synthetic("web1", 2_000_000, 50, 0);
    let outcome = store.apply_scan(&second).unwrap();
    assert!(outcome.fast_path);
    assert!(outcome.changes.is_empty());
    assert_eq!(backend.count("SELECT count(*) FROM transactions"), 50);
    assert_eq!(backend.count("SELECT count(*) FROM scans"), 2);
    assert_eq!(
        backend.count("SELECT min(check_count) FROM host_rule_state"),
        2
    );
    assert_eq!(
        backend.count("SELECT min(last_checked_at) FROM host_rule_state"),
        2_000_000
    );
    assert_eq!(
        backend.count("SELECT max(last_changed_at) FROM host_rule_state"),
        1_000_000
    );
    // Evidence key order does not matter to the hash.
    let mut reordered = synthetic("web1", 3_000_000, 50, 0);
    for r in &mut reordered.results {
        let actual = r.evidence["actual"].clone();
        r.evidence = json!({"actual": actual, "expected": "yes",
            "target": r.evidence["target"].clone(), "method": "file_content"});
    }
    assert!(store.apply_scan(&reordered).unwrap().fast_path);
}

/// (rule, check_count, last_checked_at, last_scan_id) of each stored row, by rule.
fn checks(backend: &Backend) -> Vec<(String, i64, i64, String)> {
    backend
        .rows(
            "SELECT rule_id, check_count, last_checked_at, last_scan_id FROM host_rule_state
             ORDER BY rule_id",
        )
        .into_iter()
        .map(|row| {
            let text = |i: usize| row[i].clone().unwrap();
            (
                text(0),
                text(1).parse().unwrap(),
                text(2).parse().unwrap(),
                text(3),
            )
        })
        .collect()
}

fn every_check_counts_though_an_unchanged_rescan_writes_no_rule_state(backend: &Backend) {
    let mut store = backend.open();
    let rules = vec![
        result("a", Status::Pass, Severity::Low),
        result("b", Status::Pass, Severity::Low),
        result("gone", Status::Fail, Severity::High),
    ];
    let scan = |store: &mut store::Store, at: i64, results: Vec<store::ResultRecord>| {
        let batch = batch("h", at, results);
        let outcome = store.apply_scan(&batch).unwrap();
        (batch.scan_id.to_string(), outcome.fast_path)
    };
    let (first, _) = scan(&mut store, 1000, rules.clone());
    let (_, fast) = scan(&mut store, 2000, rules.clone());
    let (third, fast_again) = scan(&mut store, 3000, rules.clone());
    assert!(fast && fast_again);
    // The base table was not written; readers see the checks.
    assert_eq!(
        backend.count("SELECT max(check_count) + max(last_checked_at) FROM rule_state"),
        1001
    );
    let row = |rule: &str, count, at, scan: &str| (rule.to_string(), count, at, scan.to_string());
    assert_eq!(
        checks(backend),
        [
            row("a", 3, 3000, &third),
            row("b", 3, 3000, &third),
            row("gone", 3, 3000, &third),
        ]
    );
    assert_ne!(first, third);

    // A changed scan catches the rows it checks up; a removed row keeps the checks it had.
    let mut changed = rules[..2].to_vec();
    changed[1].status = Status::Fail;
    let (fourth, fast) = scan(&mut store, 4000, changed.clone());
    assert!(!fast);
    assert_eq!(
        checks(backend),
        [
            row("a", 4, 4000, &fourth),
            row("b", 4, 4000, &fourth),
            row("gone", 3, 3000, &third),
        ]
    );
    // Unchanged again: the removed row is not checked.
    let (fifth, fast) = scan(&mut store, 5000, changed.clone());
    assert!(fast);
    assert_eq!(
        checks(backend),
        [
            row("a", 5, 5000, &fifth),
            row("b", 5, 5000, &fifth),
            row("gone", 3, 3000, &third),
        ]
    );
    // A scan of some rules only (another source) leaves the others' counts to the host.
    let mut other = batch("h", 6000, vec![result("c", Status::Pass, Severity::Low)]);
    other.rule_source = "extra".into();
    let sixth = other.scan_id.to_string();
    assert!(!store.apply_scan(&other).unwrap().fast_path);
    let mut back = rules.clone();
    back[1].status = Status::Fail;
    let (seventh, fast) = scan(&mut store, 7000, back);
    assert!(!fast, "gone comes back");
    assert_eq!(
        checks(backend),
        [
            row("a", 6, 7000, &seventh),
            row("b", 6, 7000, &seventh),
            row("c", 1, 6000, &sixth),
            row("gone", 4, 7000, &seventh),
        ]
    );
    assert!(store.check().unwrap().sound);
}

fn each_kind_of_change_is_logged_once(backend: &Backend) {
    let mut store = backend.open();
    let base = vec![
        result("a", Status::Pass, Severity::Low),
        result("b", Status::Pass, Severity::Low),
        result("c", Status::Pass, Severity::Low),
        result("d", Status::Pass, Severity::Low),
    ];
    store.apply_scan(&batch("h", 1000, base.clone())).unwrap();
    let mut next = base.clone();
    next[0].status = Status::Fail; // a: state_changed
    next[1].severity = Severity::High; // b: severity_changed
    next[2].evidence = json!({"method": "x", "actual": "other"}); // c: evidence_changed
    let outcome = store.apply_scan(&batch("h", 2000, next)).unwrap();
    assert_eq!(
        kinds(&outcome),
        vec![
            ("a".into(), ChangeKind::StateChanged),
            ("b".into(), ChangeKind::SeverityChanged),
            ("c".into(), ChangeKind::EvidenceChanged),
        ]
    );
    let a = &outcome.changes[0];
    assert_eq!(
        (a.previous_status, a.new_status),
        (Some(Status::Pass), Some(Status::Fail))
    );
    let changes = store.last_changes("h").unwrap().unwrap();
    assert_eq!(changes.changes, outcome.changes);
    let history = store.history("h", Some("a"), 10).unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].change_kind, "state_changed");
    assert_eq!(history[1].change_kind, "first_seen");
}

fn removed_rule_is_logged_once_and_no_longer_counted(backend: &Backend) {
    let mut store = backend.open();
    let rules = vec![
        result("keep", Status::Pass, Severity::Low),
        result("gone", Status::Fail, Severity::Critical),
    ];
    store.apply_scan(&batch("h", 1000, rules.clone())).unwrap();
    let hosts = store.hosts().unwrap();
    assert_eq!(hosts[0].compliance, Tier::Critical);

    let only_keep = vec![rules[0].clone()];
    let outcome = store
        .apply_scan(&batch("h", 2000, only_keep.clone()))
        .unwrap();
    assert_eq!(kinds(&outcome), vec![("gone".into(), ChangeKind::Removed)]);
    assert_eq!(outcome.changes[0].new_status, None);
    assert_eq!(outcome.score, Some(100.0));
    let hosts = store.hosts().unwrap();
    assert_eq!(hosts[0].score, Some(100.0));
    assert_eq!(hosts[0].failing.critical, 0);
    assert_eq!(hosts[0].compliance, Tier::Compliant);

    let third = store.apply_scan(&batch("h", 3000, only_keep)).unwrap();
    assert!(third.fast_path, "nothing changed since the removal");
    assert_eq!(
        backend.count("SELECT count(*) FROM transactions WHERE change_kind = 'removed'"),
        1
    );
    // Coming back counts as first seen again.
    let back = store.apply_scan(&batch("h", 4000, rules)).unwrap();
    assert_eq!(kinds(&back), vec![("gone".into(), ChangeKind::FirstSeen)]);
    assert!(store.check().unwrap().sound);
}

fn error_scan_records_the_scan_and_keeps_state(backend: &Backend) {
    let mut store = backend.open();
    store.apply_scan(&synthetic("h", 1000, 10, 0)).unwrap();
    let state_before = backend.rows("SELECT * FROM host_rule_state ORDER BY rule_id");
    let mut failed = synthetic("h", 2000, 0, 0);
    failed.status = ScanStatus::Error;
    failed.error = Some("ssh: connection refused".into());
    let outcome = store.apply_scan(&failed).unwrap();
    assert!(outcome.changes.is_empty() && outcome.score.is_none());
    assert_eq!(
        backend.rows("SELECT * FROM host_rule_state ORDER BY rule_id"),
        state_before
    );
    assert_eq!(backend.count("SELECT count(*) FROM transactions"), 10);
    let scans = store.scans(Some("h"), 10).unwrap();
    assert_eq!(scans[0].status, "error");
    assert_eq!(scans[0].error.as_deref(), Some("ssh: connection refused"));
    // The host keeps its last known compliance.
    let hosts = store.hosts().unwrap();
    assert_eq!(hosts[0].last_scan_status.as_deref(), Some("error"));
    assert!(hosts[0].score.is_some());
}

fn rejected_batches_write_nothing(backend: &Backend) {
    let mut store = backend.open();
    store.apply_scan(&synthetic("h", 1000, 10, 0)).unwrap();
    let before = backend.digest();

    let mut duplicate = synthetic("h", 2000, 10, 1);
    duplicate.results.push(duplicate.results[0].clone());
    let mut oversize = synthetic("h", 2000, 10, 1);
    oversize.results[3].evidence = json!({"actual": "x".repeat(plumb::eval::MAX_EVIDENCE_BYTES)});
    let mut no_host = synthetic("", 2000, 10, 1);
    no_host.host.name = "  ".into();
    let mut not_object = synthetic("h", 2000, 10, 1);
    not_object.results[0].evidence = json!([1, 2]);

    for (bad, needle) in [
        (duplicate, "more than once"),
        (oversize, "byte ceiling"),
        (no_host, "host name is empty"),
        (not_object, "not a JSON object"),
    ] {
        let err = store.apply_scan(&bad).unwrap_err();
        assert!(matches!(err, StoreError::InvalidBatch { .. }), "{err}");
        assert!(err.to_string().contains(needle), "{err}");
        assert_eq!(backend.digest(), before);
    }
}

fn hosts_reports_tiers_and_failing_severities(backend: &Backend) {
    let mut store = backend.open();
    // 10 rules, rules 0,3,6,9 fail → 60 %, one of them (3) critical.
    store.apply_scan(&synthetic("crit", 1000, 10, 0)).unwrap();
    let mostly: Vec<_> = (0..10)
        .map(|i| {
            let status = if i < 2 { Status::Fail } else { Status::Pass };
            result(&format!("m{i}"), status, Severity::High)
        })
        .collect();
    store.apply_scan(&batch("mostly", 1000, mostly)).unwrap();
    let mut never = synthetic("never", 1000, 0, 0);
    never.status = ScanStatus::Error;
    store.apply_scan(&never).unwrap();
    let hosts = store.hosts().unwrap();
    let by_name = |n: &str| hosts.iter().find(|h| h.name == n).unwrap();
    assert_eq!(by_name("crit").compliance, Tier::Critical);
    assert_eq!(by_name("crit").failing.critical, 1);
    assert_eq!(
        by_name("crit").failing.low + by_name("crit").failing.medium + by_name("crit").failing.high,
        3
    );
    assert_eq!(by_name("mostly").compliance, Tier::MostlyCompliant);
    assert_eq!(by_name("mostly").failing.high, 2);
    assert_eq!(by_name("never").compliance, Tier::Unknown);
    let show = store.show().unwrap();
    assert_eq!(
        (show.hosts, show.rules, show.scans, show.transactions),
        (3, 20, 3, 20)
    );
}

/// (host, owner, expires_at) of every host lock, read outside plumb.
fn lock_rows(backend: &Backend) -> Vec<(String, String, i64)> {
    backend
        .rows("SELECT host, owner, expires_at FROM host_locks ORDER BY host")
        .into_iter()
        .map(|row| {
            let text = |i: usize| row[i].clone().unwrap();
            (text(0), text(1), text(2).parse().unwrap())
        })
        .collect()
}

fn a_second_owner_is_refused_until_release_or_expiry(backend: &Backend) {
    let clock = ManualClock::new(1_700_000_000_000);
    let mut a = backend.open_with_clock(Arc::new(clock.clone()));
    let mut b = backend.open_with_clock(Arc::new(clock.clone()));
    let minute = Duration::from_secs(60);
    assert!(a.try_lock_host("web1", "run-a", minute).unwrap());
    assert!(!b.try_lock_host("web1", "run-b", minute).unwrap());
    assert!(b.try_lock_host("web2", "run-b", minute).unwrap());
    assert!(a.try_lock_host("web1", "run-a", minute).unwrap());
    assert!(!b.unlock_host("web1", "run-b").unwrap());
    assert!(a.unlock_host("web1", "run-a").unwrap());
    assert!(b.try_lock_host("web1", "run-b", Duration::ZERO).unwrap());
    // A zero ttl lapses as soon as time moves, so another owner may take it.
    clock.advance(Duration::from_millis(1));
    assert!(a.try_lock_host("web1", "run-a", minute).unwrap());
}

fn extending_never_recreates_a_released_lock(backend: &Backend) {
    let mut store = backend.open();
    let ttl = Duration::from_secs(60);
    assert!(store.try_lock_host("web1", "run-a", ttl).unwrap());
    assert!(store.try_lock_host("web2", "run-b", ttl).unwrap());
    assert_eq!(store.extend_host_locks("run-a", ttl).unwrap(), 1);
    assert!(store.unlock_host("web1", "run-a").unwrap());
    assert_eq!(store.extend_host_locks("run-a", ttl).unwrap(), 0);
    let rows = lock_rows(backend);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].0, "web2");
}

/// A crashed run's lock lapses after its ttl by the store's clock, not before, and the
/// heartbeat's own connection stamps expiry by the same clock.
fn a_lock_lapses_when_the_clock_passes_its_ttl(backend: &Backend) {
    let clock = ManualClock::new(1_700_000_000_000);
    let ttl = Duration::from_secs(60);
    let crashed = backend.open_with_clock(Arc::new(clock.clone()));
    let mut other = backend.open_with_clock(Arc::new(clock.clone()));
    let mut heartbeat = crashed.reconnect().unwrap();
    assert!(heartbeat.try_lock_host("web1", "crashed", ttl).unwrap());
    assert_eq!(lock_rows(backend)[0].2, 1_700_000_060_000);
    clock.advance(Duration::from_secs(59));
    assert!(!other.try_lock_host("web1", "next", ttl).unwrap());
    assert_eq!(heartbeat.extend_host_locks("crashed", ttl).unwrap(), 1);
    assert_eq!(lock_rows(backend)[0].2, 1_700_000_119_000);
    clock.advance(Duration::from_secs(60));
    assert!(other.try_lock_host("web1", "next", ttl).unwrap());
    assert_eq!(lock_rows(backend)[0].1, "next");
}

/// The evaluator and the store measure evidence the same way: a result the evaluator keeps
/// is never one the store rejects, right at the ceiling.
fn evidence_just_under_the_ceiling_is_kept_or_withheld_never_rejected(backend: &Backend) {
    let stored_bytes = match backend.kind {
        Kind::Sqlite => {
            "SELECT length(CAST(evidence AS BLOB)) FROM host_rule_state WHERE rule_id = 'big-output'"
        }
        Kind::Postgres => {
            "SELECT octet_length(evidence) FROM host_rule_state WHERE rule_id = 'big-output'"
        }
    };
    // A command whose stdout (kept in the evidence) is `n` bytes; around the ceiling, the
    // stored wrapper's few dozen bytes decide.
    for n in (MAX_EVIDENCE_BYTES - 400..MAX_EVIDENCE_BYTES - 150).step_by(25) {
        let rules = backend.dir.path().join("rules.yml");
        std::fs::write(
            &rules,
            format!(
                "- id: big-output\n  title: Big output\n  severity: low\n  check: {{ method: command, run: \"head -c {n} /dev/zero | tr '\\\\0' x\", expected_stdout: 'x' }}\n"
            ),
        )
        .unwrap();
        let out = run(plumb()
            .args(["scan", "--format", "json", "--allow-errors", "--rules"])
            .arg(&rules)
            .args(["--evidence-max-bytes", &MAX_EVIDENCE_BYTES.to_string()])
            .args(["--host-name", "cap", "--state", &backend.state]));
        assert_eq!(out.status.code(), Some(0), "n={n}: {}", stderr(&out));
        let result = &support::json(&out)["hosts"][0]["results"][0];
        let status = result["status"].as_str().unwrap();
        assert!(
            status == "pass" || result["reason"] == "evidence_oversize",
            "n={n}: {result}"
        );
        // What the store holds fits the ceiling.
        let stored = usize::try_from(backend.count(stored_bytes)).unwrap();
        assert!(stored <= MAX_EVIDENCE_BYTES, "n={n}: {stored} bytes stored");
    }
    assert_eq!(
        backend.count("SELECT count(*) FROM scans WHERE status = 'ok'"),
        10
    );
}
