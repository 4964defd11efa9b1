//! Reads behind `plumb drift` (DESIGN §6): change-log windows, live rule states, scans by id
//! prefix and the prune horizon.
//!
//! These read the compact base tables (schema migration 5), not the `transactions` and
//! `host_rule_state` views: rows carry integer host and rule keys, value codes and an
//! evidence id, so a window over the fleet reads `change_log_by_time`, one host or one
//! (host, rule) pair seeks `change_log_by_host` on integers, and each distinct evidence text
//! is read once by id ([`Store::evidence_texts`]) instead of once per row.

use super::Store;
use super::db::{DbError, DbResult, Dialect, Row, Tx, TxMode, args};
use super::error::StoreError;
use super::model::{ChangeKind, Severity, Status};
use super::schema::waived_status;
use std::collections::HashMap;
use std::sync::LazyLock;

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
    fn word(&self, code: i64) -> DbResult<&str> {
        let word = usize::try_from(code)
            .ok()
            .and_then(|index| self.by_code.get(index)?.as_deref());
        word.ok_or_else(|| DbError::Decode {
            column: 0,
            problem: format!("unknown value code {code}"),
        })
    }

    fn decode<T: std::str::FromStr<Err = String>>(&self, code: i64) -> DbResult<T> {
        super::db::parse(self.word(code)?.to_owned())
    }

    fn decode_opt<T: std::str::FromStr<Err = String>>(
        &self,
        code: Option<i64>,
    ) -> DbResult<Option<T>> {
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

/// The change-log columns [`log_row`] reads; statuses as [`waived_status`] shows them.
fn log_columns() -> String {
    format!(
        "id, host_key, rule_key, change_kind, {}, {}, previous_severity, severity, reason,
         evidence_id, occurred_at, previous_evidence_id, previous_reason",
        waived_status("previous_status", "previous_waiver"),
        waived_status("new_status", "waiver"),
    )
}
fn log_row(codes: &ValueCodes, row: &Row<'_>) -> DbResult<LogRow> {
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

fn scan_ref(row: &Row<'_>) -> DbResult<ScanRef> {
    Ok(ScanRef {
        scan_id: row.get(0)?,
        host: row.get(1)?,
        finished_at: row.get(2)?,
    })
}

/// Runs `read` in one read transaction of `store` (one snapshot on PostgreSQL); `what`
/// names the read in errors.
fn read<T>(
    store: &mut Store,
    what: &str,
    read: impl FnOnce(&mut Tx) -> DbResult<T>,
) -> Result<T, StoreError> {
    let (mut tx, at) = store.begin(TxMode::Read, what)?;
    let value = read(&mut tx).map_err(at.fail(what))?;
    tx.commit().map_err(at.fail(what))?;
    Ok(value)
}

/// [`Store::prune_horizon`] within a transaction.
pub(super) fn prune_horizon(tx: &mut Tx) -> DbResult<Option<i64>> {
    let checkpoint: Option<i64> = tx.query_opt(
        "SELECT created_at FROM chain_checkpoints ORDER BY id DESC LIMIT 1",
        &args![],
        |row| row.get(0),
    )?;
    let Some(checkpoint_at) = checkpoint else {
        return Ok(None);
    };
    let first_kept: Option<i64> = tx.query_opt(
        "SELECT occurred_at FROM change_log ORDER BY id LIMIT 1",
        &args![],
        |row| row.get(0),
    )?;
    Ok(Some(first_kept.unwrap_or(checkpoint_at)))
}

impl Store {
    /// The file's `value_codes`.
    pub fn value_codes(&mut self) -> Result<ValueCodes, StoreError> {
        let pairs: Vec<(i64, String)> = read(self, "reading value codes", |tx| {
            tx.query_map("SELECT code, text FROM value_codes", &args![], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
        })?;
        let mut by_code = Vec::new();
        for (code, text) in pairs {
            // The schema's codes are 0..=13; a code outside a small range cannot be decoded.
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
    pub fn host_key(&mut self, host: &str) -> Result<Option<i64>, StoreError> {
        read(self, "reading host keys", |tx| {
            tx.query_opt(
                "SELECT key FROM host_keys WHERE name = ?1",
                &args![host],
                |row| row.get(0),
            )
        })
    }

    /// Host names by key.
    pub fn host_names(&mut self) -> Result<HashMap<i64, String>, StoreError> {
        self.names("SELECT key, name FROM host_keys", "reading host keys")
    }

    /// Rule ids by key.
    pub fn rule_ids(&mut self) -> Result<HashMap<i64, String>, StoreError> {
        self.names("SELECT key, id FROM rule_keys", "reading rule keys")
    }

    fn names(
        &mut self,
        query: &'static str,
        what: &str,
    ) -> Result<HashMap<i64, String>, StoreError> {
        let pairs = read(self, what, |tx| {
            tx.query_map(query, &args![], |row| Ok((row.get(0)?, row.get(1)?)))
        })?;
        Ok(pairs.into_iter().collect())
    }

    /// Change-log rows with `after < occurred_at <= until`, of one host (by key) or of all,
    /// in log order.
    pub fn log_between(
        &mut self,
        codes: &ValueCodes,
        host_key: Option<i64>,
        after: i64,
        until: i64,
    ) -> Result<Vec<LogRow>, StoreError> {
        static ONE_HOST: LazyLock<String> = LazyLock::new(|| {
            format!(
                "SELECT {} FROM change_log
                 WHERE host_key = ?3 AND occurred_at > ?1 AND occurred_at <= ?2",
                log_columns()
            )
        });
        static ALL_HOSTS: LazyLock<String> = LazyLock::new(|| {
            format!(
                "SELECT {} FROM change_log
                 WHERE occurred_at > ?1 AND occurred_at <= ?2",
                log_columns()
            )
        });
        let mut rows = read(self, "reading the change log", |tx| {
            let read = |row: &Row<'_>| log_row(codes, row);
            match host_key {
                Some(key) => tx.query_map(ONE_HOST.as_str(), &args![after, until, key], read),
                None => tx.query_map(ALL_HOSTS.as_str(), &args![after, until], read),
            }
        })?;
        // In log order; sorting here is cheaper than SQLite's temporary b-tree.
        rows.sort_unstable_by_key(|row| row.id);
        Ok(rows)
    }

    /// For each (host key, rule key, row id), the newest row of that pair before the row: the
    /// state the row changed from, for rows that do not carry it (written before schema 6).
    /// One seek on `change_log_by_host` each.
    pub fn rows_before(
        &mut self,
        codes: &ValueCodes,
        rows: impl IntoIterator<Item = (i64, i64, i64)>,
    ) -> Result<HashMap<(i64, i64), LogRow>, StoreError> {
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!(
                "SELECT {} FROM change_log
                 WHERE host_key = ?1 AND rule_key = ?2 AND id < ?3
                 ORDER BY id DESC LIMIT 1",
                log_columns()
            )
        });
        read(self, "reading the change log", |tx| {
            let mut priors = HashMap::new();
            for (host_key, rule_key, id) in rows {
                let prior = tx.query_opt(SQL.as_str(), &args![host_key, rule_key, id], |row| {
                    log_row(codes, row)
                })?;
                if let Some(prior) = prior {
                    priors.insert((host_key, rule_key), prior);
                }
            }
            Ok(priors)
        })
    }

    /// For each rule (by key) of the host failing at `at` (unix ms), when it last started
    /// failing: the newest row at or before `at` that turned it to `fail`. Rules whose such
    /// row was pruned are missing.
    pub fn failing_since(
        &mut self,
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
        // The time of each rule's newest such row. A waived row's status column holds `fail`
        // too: `waived` is not failing (see waived_status).
        let pairs = read(self, "reading the change log", |tx| {
            tx.query_map(
                "SELECT c.rule_key, c.occurred_at FROM change_log AS c
                 WHERE c.id IN (
                   SELECT max(id) FROM change_log
                   WHERE host_key = ?1 AND occurred_at <= ?2 AND new_status = ?3
                     AND waiver IS NULL
                     AND (change_kind = ?4 OR previous_status IS DISTINCT FROM ?3
                          OR previous_waiver IS NOT NULL)
                   GROUP BY rule_key)",
                &args![host_key, at, fail, first_seen],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
        })?;
        Ok(pairs.into_iter().collect())
    }

    /// The host's live rules from `rule_state`.
    pub fn live_rules(
        &mut self,
        codes: &ValueCodes,
        host_key: i64,
    ) -> Result<Vec<LiveRule>, StoreError> {
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!(
                "SELECT rule_key, {}, severity, reason, evidence_id
                 FROM rule_state WHERE host_key = ?1 AND removed_at IS NULL",
                waived_status("status", "waiver")
            )
        });
        read(self, "reading rule states", |tx| {
            tx.query_map(SQL.as_str(), &args![host_key], |row| {
                Ok(LiveRule {
                    rule_key: row.get(0)?,
                    status: codes.decode(row.get(1)?)?,
                    severity: codes.decode(row.get(2)?)?,
                    reason: row.get(3)?,
                    evidence_id: row.get(4)?,
                })
            })
        })
    }

    /// The evidence texts of these ids, each read once; an id without a row is missing.
    pub fn evidence_texts(
        &mut self,
        ids: impl IntoIterator<Item = i64>,
    ) -> Result<HashMap<i64, String>, StoreError> {
        read(self, "reading evidence", |tx| {
            let mut texts = HashMap::new();
            for id in ids {
                if texts.contains_key(&id) {
                    continue;
                }
                let body: Option<String> = tx.query_opt(
                    "SELECT body FROM evidence WHERE id = ?1",
                    &args![id],
                    |row| row.get(0),
                )?;
                if let Some(body) = body {
                    texts.insert(id, body);
                }
            }
            Ok(texts)
        })
    }

    /// The earliest time (unix ms) from which the change log is complete, or `None` when
    /// nothing was ever pruned. Pruning cuts a prefix of rows that all occurred before the
    /// first row it kept, so from that row's time on nothing is missing; when it kept no row,
    /// from the checkpoint's time.
    pub fn prune_horizon(&mut self) -> Result<Option<i64>, StoreError> {
        read(self, "reading the prune horizon", prune_horizon)
    }

    /// Whether the state file knows this host.
    pub fn host_known(&mut self, host: &str) -> Result<bool, StoreError> {
        let count: i64 = read(self, "reading hosts", |tx| {
            tx.query_row(
                "SELECT count(*) FROM hosts WHERE name = ?1",
                &args![host],
                |row| row.get(0),
            )
        })?;
        Ok(count > 0)
    }

    /// The host's newest full-scope scans that produced results, newest first.
    pub fn last_full_scans(&mut self, host: &str, limit: u32) -> Result<Vec<ScanRef>, StoreError> {
        read(self, "reading scans", |tx| {
            tx.query_map(
                "SELECT scan_id, host, finished_at FROM scans
                 WHERE host = ?1 AND scope = 'full' AND status <> 'error'
                 ORDER BY finished_at DESC, rowid DESC LIMIT ?2",
                &args![host, limit],
                scan_ref,
            )
        })
    }

    /// Scans whose id starts with `prefix` (lowercase hex and dashes), at most `limit`.
    pub fn scans_with_prefix(
        &mut self,
        prefix: &str,
        limit: u32,
    ) -> Result<Vec<ScanRef>, StoreError> {
        read(self, "reading scans", |tx| match tx.dialect() {
            // GLOB is case-sensitive, so SQLite turns the prefix into a range on the primary
            // key; the caller has checked that the prefix holds no GLOB metacharacter.
            Dialect::Sqlite => tx.query_map(
                "SELECT scan_id, host, finished_at FROM scans
                 WHERE scan_id GLOB ?1 || '*' ORDER BY scan_id LIMIT ?2",
                &args![prefix, limit],
                scan_ref,
            ),
            // The same range, spelled out: ids are hex digits and dashes, all below '~' in
            // the C collation of the column, so this is exactly the ids with the prefix.
            Dialect::Postgres => tx.query_map(
                "SELECT scan_id, host, finished_at FROM scans
                 WHERE scan_id >= ?1 AND scan_id < ?1 || '~' ORDER BY scan_id LIMIT ?2",
                &args![prefix, limit],
                scan_ref,
            ),
        })
    }
}
