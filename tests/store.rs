//! Behaviour of the state store on real SQLite files.

mod common;
mod support;

use common::*;
use plumb::commands::state::{StateCommand, StateContext, run};
use plumb::store::{
    self, ChangeKind, ScanStatus, Severity, StateLocation, Status, Store, StoreError, Tier,
};
use serde_json::json;
use std::path::{Path, PathBuf};
use support::tools::sqlite3;

fn temp_state() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    (dir, path)
}

fn kinds(outcome: &store::ApplyOutcome) -> Vec<(String, ChangeKind)> {
    outcome
        .changes
        .iter()
        .map(|c| (c.rule_id.clone(), c.kind))
        .collect()
}

#[test]
fn open_sets_pragmas() {
    let (_dir, path) = temp_state();
    let store = Store::open(&path).unwrap();
    assert_eq!(
        store.schema_version().unwrap(),
        store::schema::latest_version()
    );
    drop(store);
    assert_eq!(sqlite3(&path, "PRAGMA journal_mode;").trim(), "wal");
}

#[test]
fn first_scan_records_first_seen_and_score() {
    let (_dir, path) = temp_state();
    let mut store = Store::open(&path).unwrap();
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
    assert_eq!(count(&path, "SELECT count(*) FROM transactions"), 9);
    assert!(store.check().unwrap().sound);
}

#[test]
fn replayed_scan_id_is_a_no_op() {
    let (_dir, path) = temp_state();
    let mut store = Store::open(&path).unwrap();
    let batch = synthetic("web1", 1_000_000, 20, 0);
    let first = store.apply_scan(&batch).unwrap();
    let before = digest(&path);
    let again = store.apply_scan(&batch).unwrap();
    assert!(again.replayed);
    assert_eq!(again.changes, first.changes);
    assert_eq!(again.counts, first.counts);
    assert_eq!(digest(&path), before);
}

#[test]
fn unchanged_rescan_takes_the_fast_path() {
    let (_dir, path) = temp_state();
    let mut store = Store::open(&path).unwrap();
    store
        .apply_scan(&synthetic("web1", 1_000_000, 50, 0))
        .unwrap();
    let second = synthetic("web1", 2_000_000, 50, 0);
    let outcome = store.apply_scan(&second).unwrap();
    assert!(outcome.fast_path);
    assert!(outcome.changes.is_empty());
    assert_eq!(count(&path, "SELECT count(*) FROM transactions"), 50);
    assert_eq!(count(&path, "SELECT count(*) FROM scans"), 2);
    assert_eq!(
        count(&path, "SELECT min(check_count) FROM host_rule_state"),
        2
    );
    assert_eq!(
        count(&path, "SELECT min(last_checked_at) FROM host_rule_state"),
        2_000_000
    );
    assert_eq!(
        count(&path, "SELECT max(last_changed_at) FROM host_rule_state"),
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

#[test]
fn each_kind_of_change_is_logged_once() {
    let (_dir, path) = temp_state();
    let mut store = Store::open(&path).unwrap();
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

#[test]
fn removed_rule_is_logged_once_and_no_longer_counted() {
    let (_dir, path) = temp_state();
    let mut store = Store::open(&path).unwrap();
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
        count(
            &path,
            "SELECT count(*) FROM transactions WHERE change_kind = 'removed'"
        ),
        1
    );
    // Coming back counts as first seen again.
    let back = store.apply_scan(&batch("h", 4000, rules)).unwrap();
    assert_eq!(kinds(&back), vec![("gone".into(), ChangeKind::FirstSeen)]);
    assert!(store.check().unwrap().sound);
}

#[test]
fn error_scan_records_the_scan_and_keeps_state() {
    let (_dir, path) = temp_state();
    let mut store = Store::open(&path).unwrap();
    store.apply_scan(&synthetic("h", 1000, 10, 0)).unwrap();
    let state_before = sqlite3(&path, "SELECT * FROM host_rule_state ORDER BY rule_id;");
    let mut failed = synthetic("h", 2000, 0, 0);
    failed.status = ScanStatus::Error;
    failed.error = Some("ssh: connection refused".into());
    let outcome = store.apply_scan(&failed).unwrap();
    assert!(outcome.changes.is_empty() && outcome.score.is_none());
    assert_eq!(
        sqlite3(&path, "SELECT * FROM host_rule_state ORDER BY rule_id;"),
        state_before
    );
    assert_eq!(count(&path, "SELECT count(*) FROM transactions"), 10);
    let scans = store.scans(Some("h"), 10).unwrap();
    assert_eq!(scans[0].status, "error");
    assert_eq!(scans[0].error.as_deref(), Some("ssh: connection refused"));
    // The host keeps its last known compliance.
    let hosts = store.hosts().unwrap();
    assert_eq!(hosts[0].last_scan_status.as_deref(), Some("error"));
    assert!(hosts[0].score.is_some());
}

#[test]
fn rejected_batches_write_nothing() {
    let (_dir, path) = temp_state();
    let mut store = Store::open(&path).unwrap();
    store.apply_scan(&synthetic("h", 1000, 10, 0)).unwrap();
    let before = digest(&path);

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
        assert_eq!(digest(&path), before);
    }
}

#[test]
fn newer_schema_is_refused_and_left_alone() {
    let (_dir, path) = temp_state();
    Store::open(&path).unwrap();
    sqlite3(&path, "PRAGMA user_version = 99;");
    let bytes = std::fs::read(&path).unwrap();
    let err = Store::open(&path).err().unwrap();
    assert!(
        matches!(err, StoreError::NewerSchema { found: 99, .. }),
        "{err}"
    );
    assert!(err.to_string().contains(&path.display().to_string()));
    assert!(err.to_string().contains("newer"));
    assert!(Store::open_unmigrated(&path).is_err());
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    assert_eq!(plumb::Error::from(err).code(), plumb::exit::OPERATIONAL);
}

#[test]
fn foreign_sqlite_database_is_not_adopted() {
    let (_dir, path) = temp_state();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    sqlite3(
        &path,
        "CREATE TABLE inventory (name TEXT); INSERT INTO inventory VALUES ('x');",
    );
    let bytes = std::fs::read(&path).unwrap();
    let err = Store::open(&path).err().unwrap();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("plumb state check"));
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
}

#[test]
fn migrate_reports_versions() {
    let (_dir, path) = temp_state();
    let mut store = Store::open_unmigrated(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), 0);
    let report = store.migrate().unwrap();
    assert_eq!(report.from_version, 0);
    assert_eq!(report.to_version, store::schema::latest_version());
    assert_eq!(report.applied.len(), store::schema::MIGRATIONS.len());
    assert!(store.migrate().unwrap().applied.is_empty());
    assert_eq!(
        count(
            &path,
            "SELECT count(*) FROM audit_events WHERE kind = 'schema_migrated'"
        ),
        1
    );
}

#[test]
fn prune_keeps_the_highest_policy_version() {
    let (_dir, path) = temp_state();
    let mut store = Store::open(&path).unwrap();
    for (i, (at, version)) in [(1000, Some(7)), (2000, Some(3)), (3000, None)]
        .into_iter()
        .enumerate()
    {
        let mut scan = synthetic("h", at, 5, i);
        scan.policy_version = version;
        store.apply_scan(&scan).unwrap();
    }
    assert_eq!(store.max_policy_version().unwrap(), Some(7));
    let report = store.prune_before(i64::MAX).unwrap();
    // The latest scan stays as the host's current one, version 7's as the rollback floor.
    assert_eq!(report.scans_deleted, 1);
    assert_eq!(store.max_policy_version().unwrap(), Some(7));
    assert!(store.check().unwrap().sound);
}

#[test]
fn prune_keeps_current_state_and_a_verifiable_chain() {
    let (_dir, path) = temp_state();
    let mut store = Store::open(&path).unwrap();
    for (i, at) in [1000, 2000, 3000, 4000].into_iter().enumerate() {
        store.apply_scan(&synthetic("h", at, 30, i)).unwrap();
        store.apply_scan(&synthetic("g", at, 5, i)).unwrap();
    }
    let state_before = sqlite3(
        &path,
        "SELECT * FROM host_rule_state ORDER BY host, rule_id;",
    );
    let hosts_before = serde_json::to_string(&store.hosts().unwrap()).unwrap();
    let total = count(&path, "SELECT count(*) FROM transactions");

    let report = store.prune_before(2500).unwrap();
    assert_eq!(report.scans_deleted, 4);
    let kept = count(&path, "SELECT count(*) FROM transactions");
    assert_eq!(total - kept, report.transactions_deleted as i64);
    assert_eq!(
        count(&path, "SELECT min(occurred_at) FROM transactions"),
        3000
    );
    let check = store.check().unwrap();
    assert!(check.sound, "{check:?}");
    assert!(check.chain.unwrap().starts_at.starts_with("checkpoint"));
    assert_eq!(
        sqlite3(
            &path,
            "SELECT * FROM host_rule_state ORDER BY host, rule_id;"
        ),
        state_before
    );
    assert_eq!(
        serde_json::to_string(&store.hosts().unwrap()).unwrap(),
        hosts_before
    );

    // Pruning everything keeps each host's latest scan and the chain still extends.
    store.prune_before(i64::MAX).unwrap();
    assert_eq!(count(&path, "SELECT count(*) FROM transactions"), 0);
    assert_eq!(count(&path, "SELECT count(*) FROM scans"), 2);
    store.apply_scan(&synthetic("h", 5000, 30, 1)).unwrap();
    let check = store.check().unwrap();
    assert!(check.sound, "{check:?}");
    // flip 1 vs flip 3: the failing sets {i%3==2} and {i%3==0} differ in 20 rules.
    assert_eq!(check.chain.unwrap().rows_checked, 20);
    // A tampered row after the cut is still caught.
    drop(store);
    let first = count(&path, "SELECT min(id) FROM transactions");
    sqlite3(
        &path,
        &format!("UPDATE change_log SET reason = 'x' WHERE id = {first};"),
    );
    let report = store::check_file(&path).unwrap();
    assert_eq!(report.chain.unwrap().first_bad.unwrap().id, first);
}

fn state_with_log(path: &Path) {
    let mut store = Store::open(path).unwrap();
    store.apply_scan(&synthetic("web1", 1000, 10, 0)).unwrap();
    store.apply_scan(&synthetic("web1", 2000, 10, 1)).unwrap();
}

#[test]
fn edited_transaction_row_is_named_by_check() {
    let (_dir, path) = temp_state();
    state_with_log(&path);
    assert!(store::check_file(&path).unwrap().sound);
    let target: (i64, String, String) = {
        let line = sqlite3(
            &path,
            "SELECT id, scan_id, rule_id FROM transactions WHERE id = 14;",
        );
        let parts: Vec<&str> = line.trim().split('|').collect();
        (parts[0].parse().unwrap(), parts[1].into(), parts[2].into())
    };
    sqlite3(
        &path,
        "UPDATE change_log SET new_status = (SELECT code FROM value_codes WHERE text = 'pass') WHERE id = 14;",
    );
    let report = store::check_file(&path).unwrap();
    assert!(!report.sound);
    let bad = report.chain.unwrap().first_bad.unwrap();
    assert_eq!((bad.id, bad.scan_id, bad.rule_id), target);
    assert_eq!(bad.host, "web1");

    let ctx = StateContext {
        location: StateLocation::Path(path.clone()),
        json: true,
        ndjson: false,
        color: false,
    };
    assert_eq!(
        run(&StateCommand::Check, &ctx).unwrap(),
        plumb::exit::FINDINGS
    );
}

#[test]
fn deleted_transaction_row_breaks_the_chain_at_the_next_row() {
    let (_dir, path) = temp_state();
    state_with_log(&path);
    let ctx = StateContext {
        location: StateLocation::Path(path.clone()),
        json: false,
        ndjson: false,
        color: false,
    };
    assert_eq!(run(&StateCommand::Check, &ctx).unwrap(), plumb::exit::CLEAN);
    sqlite3(&path, "DELETE FROM change_log WHERE id = 5;");
    let bad = store::check_file(&path)
        .unwrap()
        .chain
        .unwrap()
        .first_bad
        .unwrap();
    assert_eq!(bad.id, 6);
    // prev_hash is derived from the row before, so the removal shows as row 6's row_hash.
    assert!(bad.problem.contains("removed"), "{}", bad.problem);
}

/// Builds a multi-page state file and closes it (WAL folded back into the main file).
fn populated_file(path: &Path) {
    let mut store = Store::open(path).unwrap();
    for host in ["a", "b", "c"] {
        store.apply_scan(&synthetic(host, 1000, 300, 0)).unwrap();
    }
    drop(store);
    assert!(!Path::new(&format!("{}-wal", path.display())).exists());
}

fn assert_reported_as_damaged(path: &Path) {
    let bytes = std::fs::read(path).unwrap();
    let err = Store::open(path)
        .err()
        .expect("a damaged file must not open");
    let message = err.to_string();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{message}");
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains("plumb state check"), "{message}");
    assert_eq!(std::fs::read(path).unwrap(), bytes, "open changed the file");
    let report = store::check_file(path).unwrap();
    assert!(!report.sound);
    assert_eq!(
        std::fs::read(path).unwrap(),
        bytes,
        "check changed the file"
    );
    let ctx = StateContext {
        location: StateLocation::Path(path.to_path_buf()),
        json: true,
        ndjson: false,
        color: false,
    };
    assert!(run(&StateCommand::Hosts, &ctx).is_err());
    assert_eq!(
        std::fs::read(path).unwrap(),
        bytes,
        "a command changed the file"
    );
}

/// Opening reads only the header and schema, so garbage in pages in the middle of the file
/// is not seen there. `state check` finds it, and a command that reads those pages gets
/// SQLite's corruption error; neither changes the file.
#[test]
fn garbage_bytes_are_found_by_check_and_by_reads_that_touch_them() {
    let (_dir, path) = temp_state();
    populated_file(&path);
    let mut bytes = std::fs::read(&path).unwrap();
    let middle = bytes.len() / 2 / 4096 * 4096;
    for (i, byte) in bytes[middle..middle + 3 * 4096].iter_mut().enumerate() {
        *byte = (i * 131 % 251) as u8;
    }
    std::fs::write(&path, &bytes).unwrap();

    let report = store::check_file(&path).unwrap();
    assert!(!report.sound, "{report:?}");
    assert_ne!(report.integrity, ["ok"], "{report:?}");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        bytes,
        "check changed the file"
    );

    // Opening is cheap: it does not read every page, so it does not see the damage.
    let store = Store::open(&path).unwrap();
    assert!(!store.check().unwrap().sound);
    drop(store);
    assert_eq!(
        std::fs::read(&path).unwrap(),
        bytes,
        "open changed the file"
    );
    // Reading every row of every table touches the damaged pages.
    let conn =
        rusqlite::Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let read_all = || -> rusqlite::Result<()> {
        for table in ["hosts", "rules", "scans", "host_rule_state", "transactions"] {
            let mut stmt = conn.prepare(&format!("SELECT * FROM {table}"))?;
            let mut rows = stmt.query([])?;
            while rows.next()?.is_some() {}
        }
        Ok(())
    };
    let err = read_all().expect_err("the damaged pages are read");
    assert_eq!(
        err.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseCorrupt),
        "{err}"
    );
    drop(conn);
    assert_eq!(
        std::fs::read(&path).unwrap(),
        bytes,
        "a read changed the file"
    );
}

#[test]
fn truncated_file_is_reported_and_the_file_untouched() {
    let (_dir, path) = temp_state();
    populated_file(&path);
    let len = std::fs::metadata(&path).unwrap().len();
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.set_len(len / 2 + 100).unwrap();
    drop(file);
    assert_reported_as_damaged(&path);
}

#[test]
fn non_sqlite_file_is_reported_and_the_file_untouched() {
    let (_dir, path) = temp_state();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, "hosts:\n  - web1\n  - web2\n".repeat(200)).unwrap();
    assert_reported_as_damaged(&path);
}

#[test]
fn hosts_reports_tiers_and_failing_severities() {
    let (_dir, path) = temp_state();
    let mut store = Store::open(&path).unwrap();
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

#[test]
fn result_hash_is_pinned() {
    // Guards the hash format: changing it would make every stored state look changed.
    let evidence = json!({"method": "sysctl_value", "target": "net.ipv4.ip_forward", "expected": "0", "actual": "0"});
    let hash = store::result_hash(
        "net-ipv4-ip-forward",
        Status::Pass,
        None,
        Severity::Medium,
        &evidence,
    );
    assert_eq!(
        hash,
        plumb::canonical::sha256_hex(
            r#"{"evidence":{"actual":"0","expected":"0","method":"sysctl_value","target":"net.ipv4.ip_forward"},"reason":null,"rule_id":"net-ipv4-ip-forward","severity":"medium","status":"pass"}"#
        )
    );
    assert_eq!(
        hash,
        "062230e2672c0110a7aebfde8d7e03387c351dd832ad2666c5ee5e8502ab3d02"
    );
}

#[test]
fn state_commands_run_against_a_real_file() {
    let (_dir, path) = temp_state();
    state_with_log(&path);
    for json in [true, false] {
        let ctx = StateContext {
            location: StateLocation::Path(path.clone()),
            json,
            ndjson: false,
            color: false,
        };
        for cmd in [
            StateCommand::Path,
            StateCommand::Show,
            StateCommand::Hosts,
            StateCommand::Scans {
                host: None,
                limit: 5,
            },
            StateCommand::History {
                host: "web1".into(),
                rule: None,
                limit: 5,
            },
            StateCommand::Migrate,
            StateCommand::Vacuum,
        ] {
            assert_eq!(run(&cmd, &ctx).unwrap(), plumb::exit::CLEAN, "{cmd:?}");
        }
    }
    let missing = StateContext {
        location: StateLocation::Path(path.with_file_name("none.db")),
        json: false,
        ndjson: false,
        color: false,
    };
    let err = run(&StateCommand::Show, &missing).unwrap_err();
    assert_eq!(err.code(), plumb::exit::OPERATIONAL);
    assert!(!path.with_file_name("none.db").exists());
}
