//! Read queries and maintenance (`show`, `hosts`, `scans`, `history`, `prune`, `vacuum`).

use super::apply::{Change, changes_of_scan};
use super::chain::lock_chain;
use super::db::{DbResult, Row, Tx, TxMode, args};
use super::error::{StoreError, sql};
use super::model::{Counts, FailingCounts};
use super::{Origin, PostgresUrl, Store};
use crate::canonical::to_canonical_string;
use crate::tier::Tier;
use serde::Serialize;
use std::path::PathBuf;

#[derive(Debug, Clone, Serialize)]
pub struct HostLastScan {
    pub host: String,
    pub scan_id: String,
    #[serde(serialize_with = "crate::time::serialize_rfc3339")]
    pub finished_at: i64,
    pub status: String,
}

/// `plumb state show`.
#[derive(Debug, Clone, Serialize)]
pub struct ShowReport {
    /// The file, or the database's URL with its password as `***`.
    pub path: String,
    pub schema_version: i64,
    /// Main file plus its WAL, in bytes (on PostgreSQL, the database's size).
    pub file_size_bytes: u64,
    pub hosts: u64,
    pub rules: u64,
    pub scans: u64,
    pub transactions: u64,
    pub last_scans: Vec<HostLastScan>,
}

/// One line of `plumb state hosts`.
#[derive(Debug, Clone, Serialize)]
pub struct HostSummary {
    pub name: String,
    pub address: Option<String>,
    #[serde(serialize_with = "crate::score::serialize_score")]
    pub score: Option<f64>,
    pub compliance: Tier,
    pub last_scan_id: Option<String>,
    #[serde(serialize_with = "crate::time::serialize_opt_rfc3339")]
    pub last_scan_at: Option<i64>,
    pub last_scan_status: Option<String>,
    /// Current (non-removed) rules per status.
    pub counts: Counts,
    pub failing: FailingCounts,
}

/// One line of `plumb state scans`.
#[derive(Debug, Clone, Serialize)]
pub struct ScanSummary {
    pub scan_id: String,
    pub host: String,
    pub trigger: String,
    #[serde(serialize_with = "crate::time::serialize_rfc3339")]
    pub started_at: i64,
    #[serde(serialize_with = "crate::time::serialize_rfc3339")]
    pub finished_at: i64,
    pub status: String,
    pub error: Option<String>,
    pub policy_version: Option<i64>,
    pub ruleset_hash: String,
    pub result_hash: Option<String>,
    pub counts: Counts,
    #[serde(serialize_with = "crate::score::serialize_score")]
    pub score: Option<f64>,
    pub fast_path: bool,
    pub change_count: u32,
    /// `partial` for a selection: its counts and score cover the selected rules only.
    pub scope: String,
    /// The baseline the scan was recorded under (`embedded`, `rules:…`, `policy:…`).
    pub rule_source: Option<String>,
}

/// One row of the change log (`plumb state history`).
#[derive(Debug, Clone, Serialize)]
pub struct HistoryEntry {
    pub id: i64,
    #[serde(serialize_with = "crate::time::serialize_rfc3339")]
    pub occurred_at: i64,
    pub scan_id: String,
    pub host: String,
    pub rule_id: String,
    pub change_kind: String,
    pub previous_status: Option<String>,
    pub new_status: Option<String>,
    pub severity: String,
    pub reason: Option<String>,
}

/// What a host's latest applied scan changed (new failures, fixes, ...).
#[derive(Debug, Clone, Serialize)]
pub struct LastChanges {
    pub host: String,
    pub scan_id: String,
    pub finished_at: i64,
    pub changes: Vec<Change>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PruneReport {
    /// Rows older than this were eligible.
    #[serde(serialize_with = "crate::time::serialize_rfc3339")]
    pub cutoff: i64,
    pub scans_deleted: u64,
    pub transactions_deleted: u64,
    /// Evidence texts no remaining row refers to any more.
    pub evidence_deleted: u64,
    /// row_hash of the last pruned row, where `state check` now starts the chain.
    pub checkpoint_hash: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct VacuumReport {
    pub bytes_before: u64,
    pub bytes_after: u64,
}

fn scan_summary(row: &Row) -> DbResult<ScanSummary> {
    Ok(ScanSummary {
        scan_id: row.get(0)?,
        host: row.get(1)?,
        trigger: row.get(2)?,
        started_at: row.get(3)?,
        finished_at: row.get(4)?,
        status: row.get(5)?,
        error: row.get(6)?,
        policy_version: row.get(7)?,
        ruleset_hash: row.get(8)?,
        result_hash: row.get(9)?,
        counts: Counts {
            pass: row.get(10)?,
            fail: row.get(11)?,
            skipped: row.get(12)?,
            error: row.get(13)?,
            waived: row.get(19)?,
        },
        score: row.get(14)?,
        fast_path: row.get(15)?,
        change_count: row.get(16)?,
        scope: row.get(17)?,
        rule_source: row.get(18)?,
    })
}

fn history_entry(row: &Row) -> DbResult<HistoryEntry> {
    Ok(HistoryEntry {
        id: row.get(0)?,
        occurred_at: row.get(1)?,
        scan_id: row.get(2)?,
        host: row.get(3)?,
        rule_id: row.get(4)?,
        change_kind: row.get(5)?,
        previous_status: row.get(6)?,
        new_status: row.get(7)?,
        severity: row.get(8)?,
        reason: row.get(9)?,
    })
}

impl Store {
    fn file_size(&self) -> u64 {
        let wal = {
            let mut name = self.path.clone().into_os_string();
            name.push("-wal");
            PathBuf::from(name)
        };
        [&self.path, &wal]
            .iter()
            .filter_map(|p| std::fs::metadata(p).ok())
            .map(|m| m.len())
            .sum()
    }

    fn count(&self, table: &str) -> Result<u64, StoreError> {
        self.sqlite()?
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
                row.get::<_, i64>(0).map(|n| n.unsigned_abs())
            })
            .map_err(sql(&self.path, "counting rows"))
    }

    /// `state show` of a state file (its size and `user_version` are SQLite's own; the
    /// PostgreSQL store has `pg_show`).
    pub(crate) fn sqlite_show(&self) -> Result<ShowReport, StoreError> {
        let mut stmt = self
            .sqlite()?
            .prepare(
                "SELECT name, last_scan_id, last_scan_at, last_scan_status FROM hosts
                 WHERE last_scan_id IS NOT NULL ORDER BY name",
            )
            .map_err(sql(&self.path, "reading hosts"))?;
        let last_scans = stmt
            .query_map([], |row| {
                Ok(HostLastScan {
                    host: row.get(0)?,
                    scan_id: row.get(1)?,
                    finished_at: row.get(2)?,
                    status: row.get(3)?,
                })
            })
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(sql(&self.path, "reading hosts"))?;
        Ok(ShowReport {
            path: self.path.display().to_string(),
            schema_version: self.schema_version()?,
            file_size_bytes: self.file_size(),
            hosts: self.count("hosts")?,
            rules: self.count("rules")?,
            scans: self.count("scans")?,
            // The base table: counting the view would resolve every row's keys.
            transactions: self.count("change_log")?,
            last_scans,
        })
    }

    /// Every host with its score and compliance tier (DESIGN §5), from the summary columns
    /// `apply_scan` maintains, so this is one pass over `hosts`.
    pub fn hosts(&mut self) -> Result<Vec<HostSummary>, StoreError> {
        let (mut tx, at) = self.begin(TxMode::Read, "starting a read")?;
        tx.query_map(
            "SELECT name, address, last_scan_id, last_scan_at, last_scan_status,
                    pass_count, fail_count, skipped_count, error_count,
                    fail_critical, fail_high, fail_medium, fail_low, waived_count
             FROM hosts WHERE removed_at IS NULL ORDER BY name",
            &args![],
            |row| {
                let counts = Counts {
                    pass: row.get(5)?,
                    fail: row.get(6)?,
                    skipped: row.get(7)?,
                    error: row.get(8)?,
                    waived: row.get(13)?,
                };
                let failing = FailingCounts {
                    critical: row.get(9)?,
                    high: row.get(10)?,
                    medium: row.get(11)?,
                    low: row.get(12)?,
                };
                let score = counts.score();
                Ok(HostSummary {
                    name: row.get(0)?,
                    address: row.get(1)?,
                    score,
                    compliance: Tier::of(score, failing.critical),
                    last_scan_id: row.get(2)?,
                    last_scan_at: row.get(3)?,
                    last_scan_status: row.get(4)?,
                    counts,
                    failing,
                })
            },
        )
        .map_err(at.fail("reading hosts"))
    }

    /// Scans newest first, optionally of one host.
    pub fn scans(
        &mut self,
        host: Option<&str>,
        limit: u32,
    ) -> Result<Vec<ScanSummary>, StoreError> {
        let (mut tx, at) = self.begin(TxMode::Read, "starting a read")?;
        tx.query_map(
            "SELECT scan_id, host, trigger, started_at, finished_at, status, error,
                    policy_version, ruleset_hash, result_hash, pass_count, fail_count,
                    skipped_count, error_count, score, fast_path, change_count, scope,
                    rule_source, waived_count
             FROM scans WHERE (CAST(?1 AS TEXT) IS NULL OR host = ?1)
             ORDER BY finished_at DESC, rowid DESC LIMIT ?2",
            &args![host, limit],
            scan_summary,
        )
        .map_err(at.fail("reading scans"))
    }

    /// A host's change log newest first, optionally for one rule.
    pub fn history(
        &mut self,
        host: &str,
        rule_id: Option<&str>,
        limit: u32,
    ) -> Result<Vec<HistoryEntry>, StoreError> {
        let (mut tx, at) = self.begin(TxMode::Read, "starting a read")?;
        tx.query_map(
            "SELECT id, occurred_at, scan_id, host, rule_id, change_kind, previous_status,
                    new_status, severity, reason
             FROM transactions WHERE host = ?1 AND (CAST(?2 AS TEXT) IS NULL OR rule_id = ?2)
             ORDER BY id DESC LIMIT ?3",
            &args![host, rule_id, limit],
            history_entry,
        )
        .map_err(at.fail("reading history"))
    }

    /// Changes written by the host's latest non-error scan (empty for a fast-path scan);
    /// `None` if the host has no such scan.
    pub fn last_changes(&mut self, host: &str) -> Result<Option<LastChanges>, StoreError> {
        let (mut tx, at) = self.begin(TxMode::Read, "starting a read")?;
        let latest: Option<(String, i64)> = tx
            .query_opt(
                "SELECT scan_id, finished_at FROM scans WHERE host = ?1 AND status <> 'error'
                 ORDER BY finished_at DESC, rowid DESC LIMIT 1",
                &args![host],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .map_err(at.fail("reading the last scan"))?;
        let Some((scan_id, finished_at)) = latest else {
            return Ok(None);
        };
        let changes = changes_of_scan(&mut tx, &scan_id).map_err(at.fail("reading changes"))?;
        Ok(Some(LastChanges {
            host: host.to_string(),
            scan_id,
            finished_at,
            changes,
        }))
    }

    /// Drops scans and change-log rows older than `older_than_ms` before now. Never touches
    /// `host_rule_state` or `hosts`, keeps each host's latest scan and the newest scan with the
    /// highest policy version (the policy rollback check reads it), and records a checkpoint so
    /// the remaining chain still verifies. Only a contiguous oldest prefix of the log is cut.
    pub fn prune(&mut self, older_than_ms: i64) -> Result<PruneReport, StoreError> {
        let cutoff = self.now_ms().saturating_sub(older_than_ms);
        self.prune_before(cutoff)
    }

    /// [`Store::prune`] with an absolute cutoff (unix ms).
    pub fn prune_before(&mut self, cutoff: i64) -> Result<PruneReport, StoreError> {
        let now = self.now_ms();
        let (mut tx, at) = self.begin(TxMode::Write, "starting the prune")?;
        let report = prune_in(&mut tx, cutoff, now).map_err(at.fail("pruning"))?;
        tx.commit().map_err(at.fail("committing the prune"))?;
        Ok(report)
    }
    /// Checkpoints the WAL and rebuilds the file to reclaim free pages.
    /// SQLite only: PostgreSQL reclaims space itself, so a database is refused.
    pub fn vacuum(&mut self) -> Result<VacuumReport, StoreError> {
        if let Origin::Postgres(url) = &self.origin {
            return Err(StoreError::vacuum_on_postgres(url));
        }
        let bytes_before = self.file_size();
        let checkpoint = |store: &Store| {
            store
                .sqlite()?
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
                .map_err(sql(&store.path, "checkpointing the WAL"))
        };
        checkpoint(self)?;
        self.sqlite()?
            .execute_batch("VACUUM")
            .map_err(sql(&self.path, "vacuuming"))?;
        checkpoint(self)?;
        Ok(VacuumReport {
            bytes_before,
            bytes_after: self.file_size(),
        })
    }
}

/// The prune's statements, in the caller's write transaction.
fn prune_in(tx: &mut Tx, cutoff: i64, now: i64) -> DbResult<PruneReport> {
    // The cut and its checkpoint must not interleave with an append (PostgreSQL's writers
    // run at once; SQLite's write transaction already excludes them).
    lock_chain(tx)?;
    let scans_deleted = tx.execute(
        "DELETE FROM scans WHERE finished_at < ?1
           AND scan_id NOT IN (SELECT last_scan_id FROM hosts WHERE last_scan_id IS NOT NULL)
           AND scan_id NOT IN (SELECT scan_id FROM scans WHERE policy_version IS NOT NULL
                               ORDER BY policy_version DESC, finished_at DESC LIMIT 1)",
        &args![cutoff],
    )?;
    // Last id of the oldest run of rows that are all before the cutoff.
    let first_kept: Option<i64> = tx.query_row(
        "SELECT min(id) FROM change_log WHERE occurred_at >= ?1",
        &args![cutoff],
        |row| row.get(0),
    )?;
    let cut: Option<(i64, String)> = tx.query_opt(
        "SELECT id, row_hash FROM transactions WHERE id < ?1 ORDER BY id DESC LIMIT 1",
        &args![first_kept.unwrap_or(i64::MAX)],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    let mut transactions_deleted = 0;
    if let Some((last_id, hash)) = &cut {
        transactions_deleted =
            tx.execute("DELETE FROM change_log WHERE id <= ?1", &args![last_id])?;
        tx.execute(
            "INSERT INTO chain_checkpoints (last_pruned_id, row_hash, created_at) VALUES (?1, ?2, ?3)",
            &args![last_id, hash, now],
        )?;
    }
    // Rule state is never pruned, so only the change log's cut frees evidence. The
    // subquery is built once, so this is one pass over each table.
    let evidence_deleted = tx.execute(
        "DELETE FROM evidence WHERE id NOT IN (
             SELECT evidence_id FROM change_log WHERE evidence_id IS NOT NULL
             UNION ALL SELECT evidence_id FROM rule_state)",
        &args![],
    )?;
    tx.execute(
        "DELETE FROM scan_keys WHERE key NOT IN (SELECT scan_key FROM change_log)",
        &args![],
    )?;
    let detail = serde_json::json!({
        "cutoff": cutoff, "scans_deleted": scans_deleted,
        "transactions_deleted": transactions_deleted,
        "evidence_deleted": evidence_deleted,
        "checkpoint_after_id": cut.as_ref().map(|(id, _)| *id),
    });
    tx.execute(
        "INSERT INTO audit_events (occurred_at, kind, host, detail) VALUES (?1, 'state_pruned', NULL, ?2)",
        &args![now, to_canonical_string(&detail)],
    )?;
    Ok(PruneReport {
        cutoff,
        scans_deleted,
        transactions_deleted,
        evidence_deleted,
        checkpoint_hash: cut.map(|(_, hash)| hash),
    })
}

impl StoreError {
    /// `plumb state vacuum` given a PostgreSQL URL (refused before connecting).
    pub fn vacuum_on_postgres(url: &PostgresUrl) -> StoreError {
        StoreError::SqliteOnly {
            command: "plumb state vacuum",
            url: Box::new(url.clone()),
            instead: "PostgreSQL reclaims space itself (autovacuum, or VACUUM on the server)",
        }
    }
}
