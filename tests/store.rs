//! Behaviour of the state store on real SQLite files.

mod common;
mod support;

use common::*;
use plumb::commands::state::{StateCommand, StateContext, run};
use plumb::store::{self, Severity, StateLocation, Status, Store, StoreError};
use serde_json::json;
use std::path::{Path, PathBuf};
use support::tools::sqlite3;

fn temp_state() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    (dir, path)
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

fn state_with_log(path: &Path) {
    let mut store = Store::open(path).unwrap();
    store.apply_scan(&synthetic("web1", 1000, 10, 0)).unwrap();
    store.apply_scan(&synthetic("web1", 2000, 10, 1)).unwrap();
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
    let mut store = Store::open(&path).unwrap();
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
