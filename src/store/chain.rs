//! The `transactions` hash chain and `plumb state check`.
//!
//! row_hash = sha256_hex(prev_hash ‖ canonical JSON of the row's other columns). The chain
//! starts at [`GENESIS_HASH`], or after a prune at the newest `chain_checkpoints.row_hash`.
//! There is no secret key: this detects edits, inserts and deletions inside the log, not an
//! attacker who recomputes every later hash.

use super::StoreError;
use super::db::{Db, DbError, DbResult, Dialect, Tx, TxMode, args};
use super::error::{classify_with_os_error, io_error, last_os_error, sql};
use super::stream;
use crate::canonical::{sha256_hex, to_canonical_string};
use rusqlite::{Connection, OpenFlags};
use serde::Serialize;
use serde_json::json;
use std::path::{Path, PathBuf};

/// prev_hash of the first row ever written.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// A `transactions` row without its hashes, as it is hashed.
#[derive(Debug, Clone)]
pub(crate) struct TxRow {
    pub id: i64,
    pub scan_id: String,
    pub host: String,
    pub rule_id: String,
    pub change_kind: String,
    pub previous_status: Option<String>,
    pub new_status: Option<String>,
    pub previous_severity: Option<String>,
    pub severity: String,
    pub reason: Option<String>,
    pub evidence: Option<String>,
    pub evidence_hash: Option<String>,
    pub occurred_at: i64,
}

impl TxRow {
    fn canonical(&self) -> String {
        to_canonical_string(&json!({
            "id": self.id,
            "scan_id": self.scan_id,
            "host": self.host,
            "rule_id": self.rule_id,
            "change_kind": self.change_kind,
            "previous_status": self.previous_status,
            "new_status": self.new_status,
            "previous_severity": self.previous_severity,
            "severity": self.severity,
            "reason": self.reason,
            "evidence": self.evidence,
            "evidence_hash": self.evidence_hash,
            "occurred_at": self.occurred_at,
        }))
    }

    pub fn row_hash(&self, prev_hash: &str) -> String {
        let mut text = String::with_capacity(prev_hash.len() + 256);
        text.push_str(prev_hash);
        text.push_str(&self.canonical());
        sha256_hex(text)
    }
}

/// The id and row_hash the next appended row chains from: the last row's, else the newest
/// checkpoint's, else (0, genesis). Ids are never reused after a prune.
///
/// Appends are serialised: SQLite's IMMEDIATE transaction holds the file's write lock, and
/// on PostgreSQL a transaction-scoped advisory lock on the chain is taken here and held to
/// commit, so concurrent workers append one after the other and the chain stays linear.
pub(crate) fn lock_chain_head(tx: &mut Tx) -> DbResult<(i64, String)> {
    lock_chain(tx)?;
    if let Some(head) = tx.query_opt(
        "SELECT id, lower(hex(row_hash)) FROM change_log ORDER BY id DESC LIMIT 1",
        &args![],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )? {
        return Ok(head);
    }
    Ok(newest_checkpoint(tx)?.unwrap_or_else(|| (0, GENESIS_HASH.to_string())))
}

/// Serialises writers of the chain (appends and prunes) to commit: on PostgreSQL a
/// transaction-scoped advisory lock; on SQLite the IMMEDIATE transaction already holds the
/// file's write lock.
pub(crate) fn lock_chain(tx: &mut Tx) -> DbResult<()> {
    if tx.dialect() == Dialect::Postgres {
        tx.execute("SELECT pg_advisory_xact_lock(?1)", &args![CHAIN_LOCK_KEY])?;
    }
    Ok(())
}

/// (last_pruned_id, row_hash) of the newest checkpoint.
pub(crate) fn newest_checkpoint(tx: &mut Tx) -> DbResult<Option<(i64, String)>> {
    tx.query_opt(
        "SELECT last_pruned_id, row_hash FROM chain_checkpoints ORDER BY id DESC LIMIT 1",
        &args![],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )
}

/// The key of the advisory lock that serialises appends to the chain on PostgreSQL
/// ("chain" in ASCII).
const CHAIN_LOCK_KEY: i64 = 0x63_68_61_69_6e;

/// The first row that does not verify.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct BadRow {
    pub id: i64,
    pub scan_id: String,
    pub host: String,
    pub rule_id: String,
    pub problem: String,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct ChainReport {
    pub rows_checked: u64,
    /// `genesis`, or `checkpoint after row N` when a prune cut the log.
    pub starts_at: String,
    pub first_bad: Option<BadRow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FkViolation {
    pub table: String,
    pub rowid: Option<i64>,
    pub parent: String,
}

/// Result of `plumb state check`; `sound` is the verdict.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    pub path: PathBuf,
    pub sound: bool,
    /// Output of `PRAGMA integrity_check` (`["ok"]` when fine).
    pub integrity: Vec<String>,
    pub foreign_key_violations: Vec<FkViolation>,
    pub chain: Option<ChainReport>,
    /// Set when the file could not be examined at all (not a database, unreadable).
    pub error: Option<String>,
    /// Checks the backend has no counterpart of (on PostgreSQL: SQLite's `integrity_check`
    /// and `foreign_key_check`; the server keeps its own pages and enforces its keys).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_applicable: Vec<String>,
    #[serde(skip)]
    pub dialect: Dialect,
}

impl super::Store {
    /// `plumb state check`: on a state file SQLite's integrity and foreign-key checks and the
    /// hash-chain walk; on PostgreSQL the walk (the others are reported as not applicable).
    pub fn check(&mut self) -> Result<CheckReport, StoreError> {
        let path = self.path.clone();
        let (mut tx, at) = self.begin(TxMode::Read, "starting the check")?;
        match tx.dialect() {
            Dialect::Sqlite => check_sqlite(&mut tx, &path),
            Dialect::Postgres => check_postgres(&mut tx, &path, at.fail("walking the hash chain")),
        }
    }
}

/// Checks a state file without going through [`crate::store::Store::open`]: opened read-only
/// and never modified, so it also works on files `open` refuses as damaged.
///
/// Damage is a report that is not sound. A file that cannot be examined at all (missing,
/// unreadable, read-only directory for a WAL file, full disk) is an error, named as `open`
/// names it.
pub fn check_file(path: &Path) -> Result<CheckReport, StoreError> {
    super::require_existing(path)?;
    // The OS says plainly why a file cannot be read; SQLite would only say "unable to open".
    std::fs::File::open(path).map_err(|source| io_error(path, "opening", source))?;
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    );
    match conn {
        Ok(conn) => {
            let _ = conn.busy_timeout(std::time::Duration::from_secs(
                super::error::BUSY_TIMEOUT_SECS,
            ));
            let mut db = Db::Sqlite(conn);
            match db.begin(TxMode::Read) {
                Ok(mut tx) => check_sqlite(&mut tx, path),
                Err(err) => unexaminable(path, "cannot read", sqlite_error(path, "reading", err)),
            }
        }
        Err(err) => unexaminable(path, "cannot open", sql(path, "opening")(err)),
    }
}

/// A driver error of a state file as the store names it.
fn sqlite_error(path: &Path, step: &str, err: DbError) -> StoreError {
    super::Origin::File(path.to_path_buf()).fail(step)(err)
}

/// A damaged or unreadable-as-SQLite file is a report that is not sound; a file out of reach
/// (access, space, I/O, a lock) is the error itself.
fn unexaminable(path: &Path, step: &str, err: StoreError) -> Result<CheckReport, StoreError> {
    match err {
        StoreError::Corrupt { detail, .. } => Ok(failed_report(path, format!("{step}: {detail}"))),
        StoreError::Sqlite { source, .. } => Ok(failed_report(path, format!("{step}: {source}"))),
        other => Err(other),
    }
}

fn failed_report(path: &Path, error: String) -> CheckReport {
    CheckReport {
        path: path.to_path_buf(),
        sound: false,
        integrity: Vec::new(),
        foreign_key_violations: Vec::new(),
        chain: None,
        error: Some(error),
        not_applicable: Vec::new(),
        dialect: Dialect::Sqlite,
    }
}

/// `plumb state check` of a state file: SQLite's integrity and foreign-key checks, then the
/// chain walk every backend has.
pub(crate) fn check_sqlite(tx: &mut Tx, path: &Path) -> Result<CheckReport, StoreError> {
    // SQLite's own checks run on the connection, before the walk borrows the transaction.
    let (integrity, foreign_key_violations, has_log) = {
        let Some(conn) = tx.sqlite() else {
            // Unreachable: only a state file's transaction is checked here.
            return Err(StoreError::Sqlite {
                path: path.to_path_buf(),
                context: "checking a PostgreSQL transaction as a state file".into(),
                source: rusqlite::Error::InvalidQuery,
            });
        };
        let classify =
            |step: &str, err| classify_with_os_error(path, step, err, last_os_error(conn));
        let integrity = match string_rows(conn, "PRAGMA integrity_check") {
            Ok(lines) => lines,
            Err(err) => {
                let err = classify("running integrity_check", err);
                return unexaminable(path, "integrity_check could not run", err);
            }
        };
        let foreign_key_violations = match foreign_key_violations(conn) {
            Ok(found) => found,
            Err(err) => {
                let err = classify("running foreign_key_check", err);
                return unexaminable(path, "foreign_key_check could not run", err);
            }
        };
        let has_log: bool = conn
            .query_row(
                // A table up to schema 4, a view over `change_log` since.
                "SELECT count(*) FROM sqlite_master WHERE type IN ('table','view') AND name='transactions'",
                [],
                |row| row.get::<_, i64>(0),
            )
            .map(|n| n > 0)
            .unwrap_or(false);
        (integrity, foreign_key_violations, has_log)
    };
    let (chain, chain_error) = if has_log {
        match walk_chain(tx) {
            Ok(report) => (Some(report), None),
            Err(DbError::Sqlite(err)) => {
                let os_error = tx.sqlite().and_then(last_os_error);
                match classify_with_os_error(path, "walking the hash chain", err, os_error) {
                    StoreError::Corrupt { detail, .. } => {
                        (None, Some(format!("chain walk failed: {detail}")))
                    }
                    // Rows that do not decode (a tampered column type) are a finding too.
                    StoreError::Sqlite { source, .. } => {
                        (None, Some(format!("chain walk failed: {source}")))
                    }
                    other => return Err(other),
                }
            }
            Err(other) => (None, Some(format!("chain walk failed: {other}"))),
        }
    } else {
        (None, None)
    };
    let sound = integrity == ["ok"]
        && foreign_key_violations.is_empty()
        && chain_error.is_none()
        && chain.as_ref().is_none_or(|c| c.first_bad.is_none());
    Ok(CheckReport {
        path: path.to_path_buf(),
        sound,
        integrity,
        foreign_key_violations,
        chain,
        error: chain_error,
        not_applicable: Vec::new(),
        dialect: Dialect::Sqlite,
    })
}

/// `plumb state check` of a PostgreSQL database: the chain walk. SQLite's page and key checks
/// have no counterpart there and are reported as not applicable, never as passed.
pub(crate) fn check_postgres(
    tx: &mut Tx,
    location: &Path,
    fail: impl FnOnce(DbError) -> StoreError,
) -> Result<CheckReport, StoreError> {
    let (chain, chain_error) = match walk_chain(tx) {
        Ok(report) => (Some(report), None),
        // A stored value of the wrong type (a tampered column) is a finding, as on SQLite.
        Err(err @ DbError::Decode { .. }) => (None, Some(format!("chain walk failed: {err}"))),
        Err(err) => return Err(fail(err)),
    };
    let sound = chain_error.is_none() && chain.as_ref().is_none_or(|c| c.first_bad.is_none());
    Ok(CheckReport {
        path: location.to_path_buf(),
        sound,
        integrity: Vec::new(),
        foreign_key_violations: Vec::new(),
        chain,
        error: chain_error,
        not_applicable: vec!["integrity_check".into(), "foreign_key_check".into()],
        dialect: Dialect::Postgres,
    })
}

fn string_rows(conn: &Connection, query: &str) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare(query)?;
    stmt.query_map([], |row| row.get::<_, String>(0))?.collect()
}

fn foreign_key_violations(conn: &Connection) -> rusqlite::Result<Vec<FkViolation>> {
    let mut stmt = conn.prepare("PRAGMA foreign_key_check")?;
    stmt.query_map([], |row| {
        Ok(FkViolation {
            table: row.get(0)?,
            rowid: row.get(1)?,
            parent: row.get(2)?,
        })
    })?
    .collect()
}

/// Walks the log in id order and reports the first row whose prev_hash or row_hash is wrong.
/// Rows are read in batches, so a long log is never held in memory at once.
pub(crate) fn walk_chain(tx: &mut Tx) -> DbResult<ChainReport> {
    let checkpoint = newest_checkpoint(tx)?;
    let (mut expected_prev, min_id, starts_at) = match &checkpoint {
        Some((last_id, hash)) => (
            hash.clone(),
            *last_id,
            format!("checkpoint after row {last_id}"),
        ),
        None => (GENESIS_HASH.to_string(), 0, "genesis".to_string()),
    };
    let mut report = ChainReport {
        rows_checked: 0,
        starts_at,
        first_bad: None,
    };
    stream::for_each_row(
        tx,
        "SELECT id, scan_id, host, rule_id, change_kind, previous_status, new_status,
                previous_severity, severity, reason, evidence, evidence_hash, occurred_at,
                prev_hash, row_hash
         FROM transactions ORDER BY id",
        |row| {
            let tx = TxRow {
                id: row.get(0)?,
                scan_id: row.get(1)?,
                host: row.get(2)?,
                rule_id: row.get(3)?,
                change_kind: row.get(4)?,
                previous_status: row.get(5)?,
                new_status: row.get(6)?,
                previous_severity: row.get(7)?,
                severity: row.get(8)?,
                reason: row.get(9)?,
                evidence: row.get(10)?,
                evidence_hash: row.get(11)?,
                occurred_at: row.get(12)?,
            };
            let prev_hash: String = row.get(13)?;
            let row_hash: String = row.get(14)?;
            report.rows_checked += 1;
            let problem = if tx.id <= min_id {
                Some(format!(
                    "row id is not after the prune checkpoint (row {min_id})"
                ))
            } else if prev_hash != expected_prev {
                Some("prev_hash does not match the previous row's row_hash (a row was removed, inserted or edited)".to_string())
            } else if tx.row_hash(&prev_hash) != row_hash {
                // Since schema 5 prev_hash is the previous row's row_hash, so a removed or
                // inserted row shows here too.
                Some("row_hash does not match the row's contents and the previous row's hash (the row was edited, or the one before it was removed or inserted)".to_string())
            } else {
                None
            };
            if let Some(problem) = problem {
                report.first_bad = Some(BadRow {
                    id: tx.id,
                    scan_id: tx.scan_id,
                    host: tx.host,
                    rule_id: tx.rule_id,
                    problem,
                });
                return Ok(false);
            }
            expected_prev = row_hash;
            Ok(true)
        },
    )?;
    if report.first_bad.is_none() {
        report.first_bad = first_wrong_previous(tx)?;
    }
    Ok(report)
}

/// The first row whose `previous_evidence_id` / `previous_reason` (outside the row hash)
/// disagree with the row before it of the same host and rule. A row whose predecessor was
/// pruned cannot be checked.
fn first_wrong_previous(tx: &mut Tx) -> DbResult<Option<BadRow>> {
    // `state check` also reads files not yet migrated to schema 6 (a PostgreSQL schema
    // starts at 8).
    if tx.dialect() == Dialect::Sqlite {
        let has_columns: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM pragma_table_info('change_log')
                            WHERE name = 'previous_evidence_id')",
            &args![],
            |row| row.get(0),
        )?;
        if !has_columns {
            return Ok(None);
        }
    }
    tx.query_opt(
        "SELECT t.id, t.scan_id, t.host, t.rule_id
         FROM change_log AS c
         JOIN change_log AS p ON p.id =
             (SELECT max(q.id) FROM change_log AS q
              WHERE q.host_key = c.host_key AND q.rule_key = c.rule_key AND q.id < c.id)
         JOIN transactions AS t ON t.id = c.id
         WHERE c.previous_evidence_id IS NOT NULL
           AND (c.previous_evidence_id IS DISTINCT FROM p.evidence_id
                OR c.previous_reason IS DISTINCT FROM p.reason)
         ORDER BY c.id LIMIT 1",
        &args![],
        |row| {
            Ok(BadRow {
                id: row.get(0)?,
                scan_id: row.get(1)?,
                host: row.get(2)?,
                rule_id: row.get(3)?,
                problem: "previous_evidence_id or previous_reason does not match the row before \
                          it for this host and rule (the row was edited)"
                    .to_string(),
            })
        },
    )
}
