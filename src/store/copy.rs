//! `plumb state copy SRC DST`: a whole store from a state file into PostgreSQL, or back
//! (either side a path or a URL), so a team can move one laptop's history to a shared
//! database.
//!
//! Every table is copied row for row with its ids, so the change log's hash chain, the
//! checkpoints it resumes from and the export cursors (change-log ids) stay valid. Rows are
//! streamed in batches from one read snapshot of the source into ONE write transaction on
//! the target: a failure leaves the target as empty as it was. The target's chain is walked
//! before that commit, so a copy that would not verify is never committed.
//!
//! Not copied: `host_locks` (leases of processes running against the source: on the target
//! they would only block scans until they expire) and `value_codes` (the schema writes the
//! same fixed codes on both). Audit events are appended after the target's own (its schema
//! creation) with new ids, and the copy records one of its own: they are a log, not keyed data.

use super::chain::{lock_chain, walk_chain};
use super::db::{DbError, DbResult, Dialect, FromValue, Tx, TxMode, Value, args};
use super::error::StoreError;
use super::location::StateLocation;
use super::{Access, ChainReport, Origin, Store, pg_schema, schema, stream};
use crate::canonical::to_canonical_string;
use serde::Serialize;
use std::borrow::Cow;

/// One copied table: its columns (the same names on both engines) and the order rows are
/// read in, which is also the order ids were handed out.
struct Table {
    name: &'static str,
    columns: &'static [&'static str],
    order_by: &'static str,
    /// The identity column: PostgreSQL's sequence (SQLite's, for AUTOINCREMENT tables) is set
    /// past the copied ids so later inserts never collide or reuse a pruned id.
    identity: Option<Identity>,
}

struct Identity {
    column: &'static str,
    /// SQLite AUTOINCREMENT: its high-water mark lives in `sqlite_sequence`.
    autoincrement: bool,
}

const fn identity(column: &'static str, autoincrement: bool) -> Option<Identity> {
    Some(Identity {
        column,
        autoincrement,
    })
}

/// Every table copied, parents before children (foreign keys are checked as rows arrive).
/// A unit test holds this list to the SQLite schema's tables and columns.
const TABLES: &[Table] = &[
    Table {
        name: "hosts",
        columns: &[
            "name",
            "address",
            "port",
            "\"user\"",
            "labels",
            "first_seen",
            "removed_at",
            "last_scan_id",
            "last_scan_at",
            "last_scan_status",
            "current_result_hash",
            "pass_count",
            "fail_count",
            "skipped_count",
            "error_count",
            "fail_critical",
            "fail_high",
            "fail_medium",
            "fail_low",
            "waived_count",
            "machine_id",
            "fast_scans",
            "fast_scan_at",
            "fast_scan_id",
        ],
        order_by: "name",
        identity: None,
    },
    Table {
        name: "rules",
        columns: &["id", "title", "severity", "content_hash", "first_seen"],
        order_by: "id",
        identity: None,
    },
    Table {
        name: "rule_sources",
        columns: &["id", "name"],
        order_by: "id",
        identity: identity("id", false),
    },
    Table {
        name: "host_keys",
        columns: &["key", "name"],
        order_by: "key",
        identity: identity("key", false),
    },
    Table {
        name: "rule_keys",
        columns: &["key", "id"],
        order_by: "key",
        identity: identity("key", false),
    },
    Table {
        name: "scan_keys",
        columns: &["key", "scan_id"],
        order_by: "key",
        identity: identity("key", false),
    },
    Table {
        name: "evidence",
        columns: &["id", "hash", "body"],
        order_by: "id",
        identity: identity("id", false),
    },
    Table {
        name: "scans",
        // rowid: insertion order, which ties of finished_at are broken by.
        columns: &[
            "rowid",
            "scan_id",
            "host",
            "trigger",
            "started_at",
            "finished_at",
            "status",
            "error",
            "policy_version",
            "ruleset_hash",
            "result_hash",
            "pass_count",
            "fail_count",
            "skipped_count",
            "error_count",
            "score",
            "fast_path",
            "change_count",
            "scope",
            "rule_source",
            "waived_count",
        ],
        order_by: "rowid",
        identity: identity("rowid", false),
    },
    Table {
        name: "change_log",
        columns: &[
            "id",
            "scan_key",
            "host_key",
            "rule_key",
            "change_kind",
            "previous_status",
            "new_status",
            "previous_severity",
            "severity",
            "reason",
            "evidence_id",
            "occurred_at",
            "row_hash",
            "previous_evidence_id",
            "previous_reason",
            "waiver",
            "previous_waiver",
        ],
        order_by: "id",
        identity: identity("id", true),
    },
    Table {
        name: "rule_state",
        columns: &[
            "host_key",
            "rule_key",
            "status",
            "severity",
            "reason",
            "evidence_id",
            "first_seen_at",
            "last_changed_at",
            "last_checked_at",
            "check_count",
            "last_scan_id",
            "removed_at",
            "waiver",
            "fast_base",
        ],
        order_by: "host_key, rule_key",
        identity: None,
    },
    Table {
        name: "rule_state_sources",
        columns: &["host_key", "source_id", "rule_key"],
        order_by: "host_key, source_id, rule_key",
        identity: None,
    },
    Table {
        name: "chain_checkpoints",
        columns: &["id", "last_pruned_id", "row_hash", "created_at"],
        order_by: "id",
        identity: identity("id", true),
    },
    Table {
        name: "host_schedule",
        columns: &[
            "host",
            "compliance_state",
            "score",
            "has_critical",
            "interval_secs",
            "next_scan_at",
            "last_scan_finished_at",
            "policy_version_at_last_scan",
            "maintenance_until",
            "enrolled",
        ],
        order_by: "host",
        identity: None,
    },
    Table {
        name: "host_backoff",
        columns: &[
            "host",
            "consecutive_failures",
            "suppress_until",
            "last_error",
        ],
        order_by: "host",
        identity: None,
    },
    Table {
        name: "jobs",
        columns: &[
            "job_id",
            "host",
            "owner",
            "claimed_at",
            "lease_expires_at",
            "policy_version",
            "ruleset_hash",
            "enqueued_at",
            "hmac",
            "status",
        ],
        order_by: "job_id",
        identity: None,
    },
    Table {
        name: "export_consumers",
        columns: &[
            "name",
            "created_at",
            "acked_batch_id",
            "acked_through_txn",
            "acked_through_at",
            "acked_at",
            "last_full_at",
        ],
        order_by: "name",
        identity: None,
    },
    Table {
        name: "export_batches",
        columns: &[
            "seq",
            "batch_id",
            "consumer",
            "from_txn",
            "through_txn",
            "\"full\"",
            "created_at",
        ],
        order_by: "seq",
        identity: identity("seq", true),
    },
    Table {
        name: "audit_events",
        // Without id: appended after the target's own events (see the module comment).
        columns: &["occurred_at", "kind", "host", "detail"],
        order_by: "id",
        identity: None,
    },
];

/// Tables the target must have no rows in besides the copied ones: a live lock means
/// something already runs against it.
const ALSO_EMPTY: &[&str] = &["host_locks"];

/// Statement parameters per insert (well under SQLite's 32766 and PostgreSQL's 65535).
const PARAMS_PER_INSERT: usize = 8000;

/// What `plumb state copy` did.
#[derive(Debug, Clone, Serialize)]
pub struct CopyReport {
    /// Both sides as printed (a URL's password as `***`).
    pub source: String,
    pub target: String,
    pub schema_version: i64,
    /// Rows copied per table, in copy order.
    pub tables: Vec<TableCopied>,
    /// The target's hash chain, walked before the copy was committed.
    pub chain: ChainReport,
}

#[derive(Debug, Clone, Serialize)]
pub struct TableCopied {
    pub table: &'static str,
    pub rows: u64,
}

/// A column value owned, to outlive the source's row.
struct Cell(Value<'static>);

impl FromValue for Cell {
    fn from_value(value: Value<'_>) -> Result<Self, &'static str> {
        Ok(Cell(match value {
            Value::Null => Value::Null,
            Value::Int(i) => Value::Int(i),
            Value::Real(r) => Value::Real(r),
            Value::Text(text) => Value::Text(Cow::Owned(text.into_owned())),
            Value::Blob(bytes) => Value::Blob(Cow::Owned(bytes.into_owned())),
        }))
    }
}

/// The schema version of an open store, on either engine.
fn version(store: &mut Store) -> Result<i64, StoreError> {
    match store.dialect() {
        Dialect::Sqlite => store.schema_version(),
        Dialect::Postgres => store.pg_schema_version(),
    }
}

/// This plumb's schema version (the same number on both engines).
fn latest() -> i64 {
    debug_assert_eq!(schema::latest_version(), pg_schema::latest_version());
    schema::latest_version()
}

/// `plumb state copy`: see the module comment. Refusals (exit 2) happen before the target is
/// written.
pub fn copy(source: &StateLocation, target: &StateLocation) -> Result<CopyReport, StoreError> {
    let refused = |problem: String| StoreError::CopyRefused {
        source_location: source.to_string(),
        target: target.to_string(),
        problem,
    };
    if source == target {
        return Err(refused(
            "the source and the target are the same state".into(),
        ));
    }
    // The source is only read: a file must exist, and nothing is migrated.
    if let StateLocation::Path(path) = source {
        super::require_existing(path)?;
    }
    let mut from = Store::open_at(source, Access::Unmigrated)?;
    let from_version = version(&mut from)?;
    if from_version != latest() {
        return Err(refused(format!(
            "the source has schema version {from_version}, this plumb writes {}; run `plumb \
             state migrate --state {source}` first (with the plumb that made it, if newer)",
            latest()
        )));
    }
    let mut to = Store::open_at(target, Access::Unmigrated)?;
    match version(&mut to)? {
        // A new file or an empty database: it gets this plumb's schema first.
        0 => {
            to.migrate()?;
        }
        v if v == latest() => {}
        v => {
            return Err(refused(format!(
                "the target has schema version {v}, this plumb writes {}; copy into a new file \
                 or an empty database",
                latest()
            )));
        }
    }
    let now = to.now_ms();
    let (mut read, from_at) = from.begin(TxMode::Read, "starting to read the source")?;
    let (mut write, to_at) = to.begin(TxMode::Write, "starting the copy")?;
    let source_chain = walk_chain(&mut read).map_err(from_at.fail("walking the hash chain"))?;
    if let Some(bad) = &source_chain.first_bad {
        return Err(refused(format!(
            "the source's hash chain is broken at change-log row {} ({}); `plumb state check \
             --state {source}` names it",
            bad.id, bad.problem
        )));
    }
    if let Some(table) = first_non_empty(&mut write).map_err(to_at.fail("locking the target"))? {
        return Err(refused(format!(
            "the target is not empty (table {table} has rows); copy into a new file or an \
             empty database"
        )));
    }
    let mut tables = Vec::with_capacity(TABLES.len());
    for table in TABLES {
        let rows = copy_table(&mut read, &mut write, table, &from_at, &to_at)?;
        tables.push(TableCopied {
            table: table.name,
            rows,
        });
        if let Some(identity) = &table.identity {
            let mark = high_water(&mut read, table.name, identity)
                .map_err(from_at.fail(&format!("reading the ids of {}", table.name)))?;
            advance(&mut write, table.name, identity, mark)
                .map_err(to_at.fail(&format!("advancing the ids of {}", table.name)))?;
        }
    }
    let detail = serde_json::json!({
        "from": source.to_string(),
        "schema_version": from_version,
        "rows": tables.iter().map(|t| (t.table.to_string(), serde_json::json!(t.rows))).collect::<serde_json::Map<_, _>>(),
    });
    write
        .execute(
            "INSERT INTO audit_events (occurred_at, kind, host, detail) VALUES (?1, 'state_copied', NULL, ?2)",
            &args![now, to_canonical_string(&detail)],
        )
        .map_err(to_at.fail("recording the copy"))?;
    let chain = walk_chain(&mut write).map_err(to_at.fail("walking the copied hash chain"))?;
    if chain.first_bad.is_some() || chain.rows_checked != source_chain.rows_checked {
        return Err(refused(format!(
            "the copied hash chain does not verify as the source's does (source: {} rows, \
             copy: {} rows, first bad row {:?}), so the copy was rolled back",
            source_chain.rows_checked,
            chain.rows_checked,
            chain.first_bad.as_ref().map(|bad| bad.id)
        )));
    }
    write.commit().map_err(to_at.fail("committing the copy"))?;
    Ok(CopyReport {
        source: source.to_string(),
        target: target.to_string(),
        schema_version: from_version,
        tables,
        chain,
    })
}

/// Locks the target's tables against concurrent writers (PostgreSQL; SQLite's write
/// transaction holds the file) and names the first one that has rows.
fn first_non_empty(tx: &mut Tx) -> DbResult<Option<&'static str>> {
    let names = TABLES
        .iter()
        .map(|t| t.name)
        .chain(ALSO_EMPTY.iter().copied());
    if tx.dialect() == Dialect::Postgres {
        let list: Vec<&str> = names.clone().collect();
        tx.execute_batch(&format!("LOCK TABLE {} IN EXCLUSIVE MODE", list.join(", ")))?;
        lock_chain(tx)?;
    }
    for name in names {
        // The target's own audit events (its schema's creation) are kept; see the module.
        if name == "audit_events" {
            continue;
        }
        let rows = tx.query_dynamic(&format!("SELECT 1 FROM {name} LIMIT 1"), &args![], |_| {
            Ok(())
        })?;
        if !rows.is_empty() {
            return Ok(Some(name));
        }
    }
    Ok(None)
}

/// Streams one table's rows into the target in multi-row inserts; returns how many.
fn copy_table(
    read: &mut Tx,
    write: &mut Tx,
    table: &Table,
    from_at: &Origin,
    to_at: &Origin,
) -> Result<u64, StoreError> {
    let columns = table.columns.join(", ");
    let width = table.columns.len();
    let per_insert = (PARAMS_PER_INSERT / width).max(1);
    let select = format!(
        "SELECT {columns} FROM {} ORDER BY {}",
        table.name, table.order_by
    );
    let full_insert = insert_sql(table.name, &columns, width, per_insert);
    let mut batch: Vec<Value<'static>> = Vec::with_capacity(per_insert * width);
    let mut copied = 0u64;
    // A target failure stops the read and is reported as the target's.
    let mut write_error = None;
    let mut flush = |batch: &mut Vec<Value<'static>>, write: &mut Tx| -> Result<(), DbError> {
        let rows = batch.len() / width;
        if rows == 0 {
            return Ok(());
        }
        let sql = if rows == per_insert {
            Cow::Borrowed(full_insert.as_str())
        } else {
            Cow::Owned(insert_sql(table.name, &columns, width, rows))
        };
        write.execute_dynamic(&sql, batch)?;
        copied += rows as u64;
        batch.clear();
        Ok(())
    };
    let reading = stream::for_each_row(read, &select, |row| {
        for i in 0..width {
            batch.push(row.get::<Cell>(i)?.0);
        }
        if batch.len() == per_insert * width {
            if let Err(err) = flush(&mut batch, write) {
                write_error = Some(err);
                return Ok(false);
            }
        }
        Ok(true)
    });
    let writing = |err| to_at.fail(&format!("writing {}", table.name))(err);
    if let Some(err) = write_error {
        return Err(writing(err));
    }
    reading.map_err(from_at.fail(&format!("reading {}", table.name)))?;
    flush(&mut batch, write).map_err(writing)?;
    Ok(copied)
}

/// `INSERT INTO table (columns) VALUES (?1, ...), ...` for `rows` rows.
fn insert_sql(table: &str, columns: &str, width: usize, rows: usize) -> String {
    let mut sql = format!("INSERT INTO {table} ({columns}) VALUES ");
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for column in 0..width {
            if column > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("?{}", row * width + column + 1));
        }
        sql.push(')');
    }
    sql
}

/// The highest id the source has handed out for a table: its largest id, or its sequence's
/// mark when rows were pruned after it.
fn high_water(tx: &mut Tx, table: &str, identity: &Identity) -> DbResult<i64> {
    let max: Option<i64> = tx
        .query_dynamic(
            &format!("SELECT max({}) FROM {table}", identity.column),
            &args![],
            |row| row.get(0),
        )?
        .pop()
        .flatten();
    let sequence: Option<i64> = match tx.dialect() {
        Dialect::Sqlite if identity.autoincrement => tx.query_opt(
            "SELECT seq FROM sqlite_sequence WHERE name = ?1",
            &args![table],
            |row| row.get(0),
        )?,
        Dialect::Sqlite => None,
        Dialect::Postgres => tx.query_row(
            "SELECT pg_sequence_last_value(CAST(pg_get_serial_sequence(?1, ?2) AS regclass))",
            &args![table, identity.column],
            |row| row.get(0),
        )?,
    };
    Ok(max.unwrap_or(0).max(sequence.unwrap_or(0)))
}

/// Sets the target's sequence so the next id is after `mark`.
fn advance(tx: &mut Tx, table: &str, identity: &Identity, mark: i64) -> DbResult<()> {
    if mark <= 0 {
        return Ok(());
    }
    match tx.dialect() {
        Dialect::Postgres => {
            tx.query_row(
                "SELECT setval(pg_get_serial_sequence(?1, ?2), ?3)",
                &args![table, identity.column, mark],
                |_| Ok(()),
            )?;
        }
        // Inserting explicit ids already moved the mark to the largest; a pruned source's
        // mark may be higher. Plain INTEGER PRIMARY KEYs have no mark (SQLite takes max + 1).
        Dialect::Sqlite if identity.autoincrement => {
            tx.execute(
                "UPDATE sqlite_sequence SET seq = ?2 WHERE name = ?1 AND seq < ?2",
                &args![table, mark],
            )?;
            tx.execute(
                "INSERT INTO sqlite_sequence (name, seq) SELECT ?1, ?2
                 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = ?1)",
                &args![table, mark],
            )?;
        }
        Dialect::Sqlite => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The copy names every column of every table the SQLite schema has, so a migration
    /// that adds one cannot be forgotten here.
    #[test]
    fn tables_cover_the_schema() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        for (version, migration) in schema::pending(0) {
            conn.execute_batch(migration.sql).unwrap();
            conn.pragma_update(None, "user_version", version).unwrap();
        }
        let mut stmt = conn
            .prepare(
                "SELECT name FROM sqlite_master WHERE type = 'table'
                 AND name NOT LIKE 'sqlite_%' ORDER BY name",
            )
            .unwrap();
        let tables: Vec<String> = stmt
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let mut covered: Vec<&str> = TABLES.iter().map(|t| t.name).collect();
        covered.extend(ALSO_EMPTY);
        covered.push("value_codes");
        covered.sort_unstable();
        assert_eq!(tables, covered);
        for table in TABLES {
            let mut stmt = conn
                .prepare(&format!(
                    "SELECT name FROM pragma_table_info('{}')",
                    table.name
                ))
                .unwrap();
            let mut columns: Vec<String> = stmt
                .query_map([], |row| row.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            let mut named: Vec<String> = table
                .columns
                .iter()
                .filter(|c| **c != "rowid")
                .map(|c| c.trim_matches('"').to_string())
                .collect();
            if table.name == "audit_events" {
                named.push("id".into());
            }
            columns.sort();
            named.sort();
            assert_eq!(columns, named, "{}", table.name);
        }
    }

    #[test]
    fn inserts_number_their_parameters_row_by_row() {
        assert_eq!(
            insert_sql("t", "a, b", 2, 2),
            "INSERT INTO t (a, b) VALUES (?1, ?2), (?3, ?4)"
        );
    }
}
