//! Reads behind `plumb drift` (DESIGN §6): change-log windows, live rule states, scans by id
//! prefix and the prune horizon.
//!
//! These read the compact base tables (schema migration 5), not the `transactions` and
//! `host_rule_state` views: rows carry integer host and rule keys, value codes and an
//! evidence id, so a window over the fleet reads `change_log_by_time`, one host or one
//! (host, rule) pair seeks `change_log_by_host` on integers, and each distinct evidence text
//! is read once by id ([`Store::evidence_texts`]) instead of once per row.

use super::Store;
use super::chain::latest_checkpoint;
use super::error::{StoreError, sql};
use super::model::{ChangeKind, Severity, Status};
use super::schema::waived_status;
use rusqlite::{OptionalExtension, Row, params};
use std::collections::HashMap;

/// One `change_log` row as drift reads it.
#[derive(Debug, Clone)]
pub struct LogRow {
    pub id: i64,
    pub host_key: i64,
    pub rule_key: i64,
    pub change_kind: ChangeKind,
    pub previous_status: Option<Status>,
    /// `None` for `removed`.
    pub new_status: Option<Status>,
    pub previous_severity: Option<Severity>,
    pub severity: Severity,
    pub reason: Option<String>,
    /// The `evidence` row (one per result hash, so equal ids mean equal results); `None` for
    /// `removed`.
    pub evidence_id: Option<i64>,
    /// Unix milliseconds.
    pub occurred_at: i64,
    /// The evidence and reason of the state this row changed from (schema 6). `None` on a
    /// first sighting, and on rows written before schema 6: those need the row before them.
    pub previous_evidence_id: Option<i64>,
    pub previous_reason: Option<String>,
}

/// A live (not removed) `rule_state` row.
#[derive(Debug, Clone)]
pub struct LiveRule {
    pub rule_key: i64,
    pub status: Status,
    pub severity: Severity,
    pub reason: Option<String>,
    pub evidence_id: i64,
}

/// A scan as drift names it.
#[derive(Debug, Clone)]
pub struct ScanRef {
    pub scan_id: String,
    pub host: String,
    /// Unix milliseconds.
    pub finished_at: i64,
}

/// The words behind `value_codes`, read from the file (the schema defines them once).
#[derive(Debug, Clone)]
pub struct ValueCodes {
    /// Indexed by code: codes are small (0..=13), and a window decodes five per row.
    by_code: Vec<Option<String>>,
}

impl ValueCodes {
    fn word(&self, code: i64) -> rusqlite::Result<&str> {
        let word = usize::try_from(code)
            .ok()
            .and_then(|index| self.by_code.get(index)?.as_deref());
        word.ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(
                0,
                rusqlite::types::Type::Integer,
                format!("unknown value code {code}").into(),
            )
        })
    }

    fn decode<T: std::str::FromStr<Err = String>>(&self, code: i64) -> rusqlite::Result<T> {
        parse(self.word(code)?)
    }

    fn decode_opt<T: std::str::FromStr<Err = String>>(
        &self,
        code: Option<i64>,
    ) -> rusqlite::Result<Option<T>> {
        code.map(|code| self.decode(code)).transpose()
    }

    /// The code of a word (`None` when the file has no such word).
    fn code(&self, word: &str) -> Option<i64> {
        let index = self
            .by_code
            .iter()
            .position(|text| text.as_deref() == Some(word))?;
        i64::try_from(index).ok()
    }
}

fn parse<T: std::str::FromStr<Err = String>>(text: &str) -> rusqlite::Result<T> {
    text.parse().map_err(|err: String| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, err.into())
    })
}

/// The change-log columns [`log_row`] reads; statuses as [`waived_status`] shows them.
fn log_columns() -> String {
    format!(
        "id, host_key, rule_key, change_kind, {}, {}, previous_severity, severity, reason,
         evidence_id, occurred_at, previous_evidence_id, previous_reason",
        waived_status("previous_status", "previous_waiver"),
        waived_status("new_status", "waiver"),
    )
}
fn log_row(codes: &ValueCodes, row: &Row) -> rusqlite::Result<LogRow> {
    Ok(LogRow {
        id: row.get(0)?,
        host_key: row.get(1)?,
        rule_key: row.get(2)?,
        change_kind: codes.decode(row.get(3)?)?,
        previous_status: codes.decode_opt(row.get(4)?)?,
        new_status: codes.decode_opt(row.get(5)?)?,
        previous_severity: codes.decode_opt(row.get(6)?)?,
        severity: codes.decode(row.get(7)?)?,
        reason: row.get(8)?,
        evidence_id: row.get(9)?,
        occurred_at: row.get(10)?,
        previous_evidence_id: row.get(11)?,
        previous_reason: row.get(12)?,
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
    /// The file's `value_codes`.
    pub fn value_codes(&self) -> Result<ValueCodes, StoreError> {
        let mut stmt = self
            .sqlite()?
            .prepare_cached("SELECT code, text FROM value_codes")
            .map_err(sql(&self.path, "reading value codes"))?;
        let pairs: Vec<(i64, String)> = stmt
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .and_then(|rows| rows.collect())
            .map_err(sql(&self.path, "reading value codes"))?;
        let mut by_code = Vec::new();
        for (code, text) in pairs {
            // The schema's codes are 0..=12; a code outside a small range cannot be decoded.
            let Some(index) = usize::try_from(code).ok().filter(|&i| i < 256) else {
                continue;
            };
            if by_code.len() <= index {
                by_code.resize(index + 1, None);
            }
            by_code[index] = Some(text);
        }
        Ok(ValueCodes { by_code })
    }

    /// The integer key of a host in the compact tables; `None` when it has no rows there.
    pub fn host_key(&self, host: &str) -> Result<Option<i64>, StoreError> {
        self.sqlite()?
            .prepare_cached("SELECT key FROM host_keys WHERE name = ?1")
            .and_then(|mut stmt| stmt.query_row([host], |row| row.get(0)).optional())
            .map_err(sql(&self.path, "reading host keys"))
    }

    /// Host names by key.
    pub fn host_names(&self) -> Result<HashMap<i64, String>, StoreError> {
        self.names("SELECT key, name FROM host_keys", "reading host keys")
    }

    /// Rule ids by key.
    pub fn rule_ids(&self) -> Result<HashMap<i64, String>, StoreError> {
        self.names("SELECT key, id FROM rule_keys", "reading rule keys")
    }

    fn names(&self, query: &str, what: &str) -> Result<HashMap<i64, String>, StoreError> {
        let mut stmt = self
            .sqlite()?
            .prepare_cached(query)
            .map_err(sql(&self.path, what))?;
        stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .and_then(|rows| rows.collect())
            .map_err(sql(&self.path, what))
    }

    /// Change-log rows with `after < occurred_at <= until`, of one host (by key) or of all,
    /// in log order.
    pub fn log_between(
        &self,
        codes: &ValueCodes,
        host_key: Option<i64>,
        after: i64,
        until: i64,
    ) -> Result<Vec<LogRow>, StoreError> {
        let query = match host_key {
            Some(_) => format!(
                "SELECT {} FROM change_log
                 WHERE host_key = ?3 AND occurred_at > ?1 AND occurred_at <= ?2",
                log_columns()
            ),
            None => format!(
                "SELECT {} FROM change_log
                 WHERE occurred_at > ?1 AND occurred_at <= ?2",
                log_columns()
            ),
        };
        let mut stmt = self
            .sqlite()?
            .prepare_cached(&query)
            .map_err(sql(&self.path, "reading the change log"))?;
        let read = |row: &Row| log_row(codes, row);
        let rows = match host_key {
            Some(key) => stmt.query_map(params![after, until, key], read),
            None => stmt.query_map(params![after, until], read),
        };
        let mut rows: Vec<LogRow> = rows
            .and_then(|rows| rows.collect())
            .map_err(sql(&self.path, "reading the change log"))?;
        // In log order; sorting here is cheaper than SQLite's temporary b-tree.
        rows.sort_unstable_by_key(|row| row.id);
        Ok(rows)
    }

    /// For each (host key, rule key, row id), the newest row of that pair before the row: the
    /// state the row changed from, for rows that do not carry it (written before schema 6).
    /// One seek on `change_log_by_host` each.
    pub fn rows_before(
        &self,
        codes: &ValueCodes,
        rows: impl IntoIterator<Item = (i64, i64, i64)>,
    ) -> Result<HashMap<(i64, i64), LogRow>, StoreError> {
        let read = |err| sql(&self.path, "reading the change log")(err);
        let mut stmt = self
            .sqlite()?
            .prepare_cached(&format!(
                "SELECT {} FROM change_log
                 WHERE host_key = ?1 AND rule_key = ?2 AND id < ?3
                 ORDER BY id DESC LIMIT 1",
                log_columns()
            ))
            .map_err(read)?;
        let mut priors = HashMap::new();
        for (host_key, rule_key, id) in rows {
            let prior = stmt
                .query_row(params![host_key, rule_key, id], |row| log_row(codes, row))
                .optional()
                .map_err(read)?;
            if let Some(prior) = prior {
                priors.insert((host_key, rule_key), prior);
            }
        }
        Ok(priors)
    }

    /// For each rule (by key) of the host failing at `at` (unix ms), when it last started
    /// failing: the newest row at or before `at` that turned it to `fail`. Rules whose such
    /// row was pruned are missing.
    pub fn failing_since(
        &self,
        codes: &ValueCodes,
        host_key: i64,
        at: i64,
    ) -> Result<HashMap<i64, i64>, StoreError> {
        let (Some(fail), Some(first_seen)) = (
            codes.code(Status::Fail.as_str()),
            codes.code(ChangeKind::FirstSeen.as_str()),
        ) else {
            return Ok(HashMap::new());
        };
        // SQLite takes the bare `occurred_at` from the row that has max(id). A waived row's
        // status column holds `fail` too: `waived` is not failing (see waived_status).
        let mut stmt = self
            .sqlite()?
            .prepare_cached(
                "SELECT rule_key, max(id), occurred_at FROM change_log
                 WHERE host_key = ?1 AND occurred_at <= ?2 AND new_status = ?3
                   AND waiver IS NULL
                   AND (change_kind = ?4 OR previous_status IS NOT ?3
                        OR previous_waiver IS NOT NULL)
                 GROUP BY rule_key",
            )
            .map_err(sql(&self.path, "reading the change log"))?;
        stmt.query_map(params![host_key, at, fail, first_seen], |row| {
            Ok((row.get(0)?, row.get(2)?))
        })
        .and_then(|rows| rows.collect())
        .map_err(sql(&self.path, "reading the change log"))
    }

    /// The host's live rules from `rule_state`.
    pub fn live_rules(
        &self,
        codes: &ValueCodes,
        host_key: i64,
    ) -> Result<Vec<LiveRule>, StoreError> {
        let mut stmt = self
            .sqlite()?
            .prepare_cached(&format!(
                "SELECT rule_key, {}, severity, reason, evidence_id
                 FROM rule_state WHERE host_key = ?1 AND removed_at IS NULL",
                waived_status("status", "waiver")
            ))
            .map_err(sql(&self.path, "reading rule states"))?;
        stmt.query_map([host_key], |row| {
            Ok(LiveRule {
                rule_key: row.get(0)?,
                status: codes.decode(row.get(1)?)?,
                severity: codes.decode(row.get(2)?)?,
                reason: row.get(3)?,
                evidence_id: row.get(4)?,
            })
        })
        .and_then(|rows| rows.collect())
        .map_err(sql(&self.path, "reading rule states"))
    }

    /// The evidence texts of these ids, each read once; an id without a row is missing.
    pub fn evidence_texts(
        &self,
        ids: impl IntoIterator<Item = i64>,
    ) -> Result<HashMap<i64, String>, StoreError> {
        let read = |err| sql(&self.path, "reading evidence")(err);
        let mut stmt = self
            .sqlite()?
            .prepare_cached("SELECT body FROM evidence WHERE id = ?1")
            .map_err(read)?;
        let mut texts = HashMap::new();
        for id in ids {
            if texts.contains_key(&id) {
                continue;
            }
            let body: Option<String> = stmt
                .query_row([id], |row| row.get(0))
                .optional()
                .map_err(read)?;
            if let Some(body) = body {
                texts.insert(id, body);
            }
        }
        Ok(texts)
    }

    /// The earliest time (unix ms) from which the change log is complete, or `None` when
    /// nothing was ever pruned. Pruning cuts a prefix of rows that all occurred before the
    /// first row it kept, so from that row's time on nothing is missing; when it kept no row,
    /// from the checkpoint's time.
    pub fn prune_horizon(&self) -> Result<Option<i64>, StoreError> {
        let read = |err| sql(&self.path, "reading the prune horizon")(err);
        if latest_checkpoint(self.sqlite()?).map_err(read)?.is_none() {
            return Ok(None);
        }
        let first_kept: Option<i64> = self
            .sqlite()?
            .query_row(
                "SELECT occurred_at FROM change_log ORDER BY id LIMIT 1",
                [],
                |row| row.get(0),
            )
            .optional()
            .map_err(read)?;
        match first_kept {
            Some(at) => Ok(Some(at)),
            None => self
                .sqlite()?
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
        self.sqlite()?
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
            .sqlite()?
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
            .sqlite()?
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
