//! Reads behind `plumb drift` (DESIGN §6): change-log windows, live rule states, scans by id
//! prefix and the prune horizon. Every query reads through an existing index:
//! `transactions_by_time` for windows over the fleet, `transactions_by_host` for one host or
//! one (host, rule) pair, the scans primary key for id prefixes.

use super::Store;
use super::chain::latest_checkpoint;
use super::error::{StoreError, sql};
use super::model::{ChangeKind, Severity, Status};
use rusqlite::{OptionalExtension, Row, params};
use std::collections::HashMap;

/// One `transactions` row as drift reads it.
#[derive(Debug, Clone)]
pub struct LogRow {
    pub id: i64,
    pub host: String,
    pub rule_id: String,
    pub change_kind: ChangeKind,
    pub previous_status: Option<Status>,
    /// `None` for `removed`.
    pub new_status: Option<Status>,
    pub previous_severity: Option<Severity>,
    pub severity: Severity,
    pub reason: Option<String>,
    /// Canonical JSON text; `None` for `removed`.
    pub evidence: Option<String>,
    /// The result hash (status, reason, severity and evidence); `None` for `removed`.
    pub evidence_hash: Option<String>,
    /// Unix milliseconds.
    pub occurred_at: i64,
}

/// A live (not removed) `host_rule_state` row.
#[derive(Debug, Clone)]
pub struct LiveRule {
    pub rule_id: String,
    pub status: Status,
    pub severity: Severity,
    pub reason: Option<String>,
    pub evidence: String,
    pub evidence_hash: String,
}

/// A scan as drift names it.
#[derive(Debug, Clone)]
pub struct ScanRef {
    pub scan_id: String,
    pub host: String,
    /// Unix milliseconds.
    pub finished_at: i64,
}

fn parse<T: std::str::FromStr<Err = String>>(text: String) -> rusqlite::Result<T> {
    text.parse().map_err(|err: String| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, err.into())
    })
}

const LOG_COLUMNS: &str = "id, host, rule_id, change_kind, previous_status, new_status,
    previous_severity, severity, reason, evidence, evidence_hash, occurred_at";
const PRIOR_COLUMNS: &str = "p.id, p.host, p.rule_id, p.change_kind, p.previous_status,
    p.new_status, p.previous_severity, p.severity, p.reason, p.evidence, p.evidence_hash,
    p.occurred_at";

fn log_row(row: &Row) -> rusqlite::Result<LogRow> {
    Ok(LogRow {
        id: row.get(0)?,
        host: row.get(1)?,
        rule_id: row.get(2)?,
        change_kind: parse(row.get(3)?)?,
        previous_status: row.get::<_, Option<String>>(4)?.map(parse).transpose()?,
        new_status: row.get::<_, Option<String>>(5)?.map(parse).transpose()?,
        previous_severity: row.get::<_, Option<String>>(6)?.map(parse).transpose()?,
        severity: parse(row.get(7)?)?,
        reason: row.get(8)?,
        evidence: row.get(9)?,
        evidence_hash: row.get(10)?,
        occurred_at: row.get(11)?,
    })
}

fn scan_ref(row: &Row) -> rusqlite::Result<ScanRef> {
    Ok(ScanRef {
        scan_id: row.get(0)?,
        host: row.get(1)?,
        finished_at: row.get(2)?,
    })
}

impl Store {
    /// Change-log rows with `after < occurred_at <= until`, of one host or of all, in log
    /// order.
    pub fn log_between(
        &self,
        host: Option<&str>,
        after: i64,
        until: i64,
    ) -> Result<Vec<LogRow>, StoreError> {
        let query = match host {
            Some(_) => format!(
                "SELECT {LOG_COLUMNS} FROM transactions
                 WHERE host = ?3 AND occurred_at > ?1 AND occurred_at <= ?2 ORDER BY id"
            ),
            None => format!(
                "SELECT {LOG_COLUMNS} FROM transactions
                 WHERE occurred_at > ?1 AND occurred_at <= ?2 ORDER BY id"
            ),
        };
        let mut stmt = self
            .conn
            .prepare_cached(&query)
            .map_err(sql(&self.path, "reading the change log"))?;
        let rows = match host {
            Some(host) => stmt.query_map(params![after, until, host], log_row),
            None => stmt.query_map(params![after, until], log_row),
        };
        rows.and_then(|rows| rows.collect())
            .map_err(sql(&self.path, "reading the change log"))
    }

    /// For each (host, rule) with rows in the window `after < occurred_at <= until` (of one
    /// host or of all), the newest row before its first row in the window: the state that
    /// window started from. One statement, each lookup a seek on `transactions_by_host`.
    pub fn rows_before_window(
        &self,
        host: Option<&str>,
        after: i64,
        until: i64,
    ) -> Result<HashMap<(String, String), LogRow>, StoreError> {
        let host_filter = if host.is_some() { "AND host = ?3" } else { "" };
        let query = format!(
            "SELECT {PRIOR_COLUMNS}
             FROM (SELECT host AS h, rule_id AS r, min(id) AS first_id FROM transactions
                   WHERE occurred_at > ?1 AND occurred_at <= ?2 {host_filter}
                   GROUP BY host, rule_id) AS w
             JOIN transactions AS p ON p.id =
                 (SELECT max(q.id) FROM transactions AS q
                  WHERE q.host = w.h AND q.rule_id = w.r AND q.id < w.first_id)"
        );
        let mut stmt = self
            .conn
            .prepare(&query)
            .map_err(sql(&self.path, "reading the change log"))?;
        let rows = match host {
            Some(host) => stmt.query_map(params![after, until, host], log_row),
            None => stmt.query_map(params![after, until], log_row),
        };
        rows.and_then(|rows| {
            rows.map(|row| row.map(|row| ((row.host.clone(), row.rule_id.clone()), row)))
                .collect()
        })
        .map_err(sql(&self.path, "reading the change log"))
    }

    /// For each rule of `host` failing at `at` (unix ms), when it last started failing: the
    /// newest row at or before `at` that turned it to `fail`. Rules whose such row was pruned
    /// are missing.
    pub fn failing_since(&self, host: &str, at: i64) -> Result<HashMap<String, i64>, StoreError> {
        // SQLite takes the bare `occurred_at` from the row that has max(id).
        let mut stmt = self
            .conn
            .prepare(
                "SELECT rule_id, max(id), occurred_at FROM transactions
                 WHERE host = ?1 AND occurred_at <= ?2 AND new_status = 'fail'
                   AND (change_kind = 'first_seen' OR previous_status IS NOT 'fail')
                 GROUP BY rule_id",
            )
            .map_err(sql(&self.path, "reading the change log"))?;
        stmt.query_map(params![host, at], |row| Ok((row.get(0)?, row.get(2)?)))
            .and_then(|rows| rows.collect())
            .map_err(sql(&self.path, "reading the change log"))
    }

    /// The host's live rules from `host_rule_state`, by rule id.
    pub fn live_rules(&self, host: &str) -> Result<Vec<LiveRule>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT rule_id, status, severity, reason, evidence, evidence_hash
                 FROM host_rule_state WHERE host = ?1 AND removed_at IS NULL ORDER BY rule_id",
            )
            .map_err(sql(&self.path, "reading rule states"))?;
        stmt.query_map([host], |row| {
            Ok(LiveRule {
                rule_id: row.get(0)?,
                status: parse(row.get(1)?)?,
                severity: parse(row.get(2)?)?,
                reason: row.get(3)?,
                evidence: row.get(4)?,
                evidence_hash: row.get(5)?,
            })
        })
        .and_then(|rows| rows.collect())
        .map_err(sql(&self.path, "reading rule states"))
    }

    /// The earliest time (unix ms) from which the change log is complete, or `None` when
    /// nothing was ever pruned. Pruning cuts a prefix of rows that all occurred before the
    /// first row it kept, so from that row's time on nothing is missing; when it kept no row,
    /// from the checkpoint's time.
    pub fn prune_horizon(&self) -> Result<Option<i64>, StoreError> {
        let read = |err| sql(&self.path, "reading the prune horizon")(err);
        if latest_checkpoint(&self.conn).map_err(read)?.is_none() {
            return Ok(None);
        }
        let first_kept: Option<i64> = self
            .conn
            .query_row(
                "SELECT occurred_at FROM transactions ORDER BY id LIMIT 1",
                [],
                |row| row.get(0),
            )
            .optional()
            .map_err(read)?;
        match first_kept {
            Some(at) => Ok(Some(at)),
            None => self
                .conn
                .query_row(
                    "SELECT created_at FROM chain_checkpoints ORDER BY id DESC LIMIT 1",
                    [],
                    |row| row.get(0),
                )
                .map(Some)
                .map_err(read),
        }
    }

    /// Whether the state file knows this host.
    pub fn host_known(&self, host: &str) -> Result<bool, StoreError> {
        self.conn
            .query_row(
                "SELECT count(*) FROM hosts WHERE name = ?1",
                [host],
                |row| row.get::<_, i64>(0),
            )
            .map(|n| n > 0)
            .map_err(sql(&self.path, "reading hosts"))
    }

    /// The host's newest full-scope scans that produced results, newest first.
    pub fn last_full_scans(&self, host: &str, limit: u32) -> Result<Vec<ScanRef>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT scan_id, host, finished_at FROM scans
                 WHERE host = ?1 AND scope = 'full' AND status <> 'error'
                 ORDER BY finished_at DESC, rowid DESC LIMIT ?2",
            )
            .map_err(sql(&self.path, "reading scans"))?;
        stmt.query_map(params![host, limit], scan_ref)
            .and_then(|rows| rows.collect())
            .map_err(sql(&self.path, "reading scans"))
    }

    /// Scans whose id starts with `prefix` (lowercase hex and dashes), at most `limit`.
    pub fn scans_with_prefix(&self, prefix: &str, limit: u32) -> Result<Vec<ScanRef>, StoreError> {
        // GLOB is case-sensitive, so SQLite turns the prefix into a range on the primary key;
        // the caller has checked that the prefix holds no GLOB metacharacter.
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT scan_id, host, finished_at FROM scans
                 WHERE scan_id GLOB ?1 || '*' ORDER BY scan_id LIMIT ?2",
            )
            .map_err(sql(&self.path, "reading scans"))?;
        stmt.query_map(params![prefix, limit], scan_ref)
            .and_then(|rows| rows.collect())
            .map_err(sql(&self.path, "reading scans"))
    }
}
