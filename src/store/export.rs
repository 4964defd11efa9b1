//! Delta export (DESIGN §6): what a consumer has not yet acknowledged, as one batch.
//!
//! Read from the compact base tables (`change_log`, `rule_state`, `evidence`, the key tables),
//! not through the compatibility views: the changes are a primary-key range of `change_log`,
//! and hashes and scan ids come out as the bytes the export encodes (unpadded base64url).
//!
//! The cursor is a `change_log.id` (AUTOINCREMENT, never reused). An export records its
//! batch but never moves the cursor; only [`Store::ack_export`] does, so an upload that fails
//! loses nothing: the next export holds the same changes again, with anything newer.

use super::Store;
use super::db::{DbError, DbResult, Dialect, Row, Tx, TxMode, args};
use super::error::StoreError;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::LazyLock;

/// Version of the export envelope and its records. 2: hashes and scan ids in unpadded
/// base64url, `host` and `ref` records as `h`, `r`, `s`.
pub const EXPORT_SCHEMA_VERSION: u32 = 2;

/// How the export writes every hash and scan id: their bytes in unpadded base64url (a result
/// hash is 43 characters, a scan id 22), so a reference stays small and compares like with like.
pub fn export_id(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What one export is asked for.
#[derive(Debug, Clone, Copy)]
pub struct ExportRequest<'a> {
    pub consumer: &'a str,
    /// Send everything whatever the cursor says (`--full`).
    pub full: bool,
    /// A consumer whose last acknowledged full batch is this old (ms) gets a full one.
    pub full_sync_horizon_ms: i64,
    /// The batch's time (unix ms); injected so the horizon can be tested.
    pub now_ms: i64,
}

/// Why a batch holds everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FullReason {
    /// `--full` was given.
    Requested,
    /// The consumer has acknowledged nothing yet.
    NewConsumer,
    /// Its last acknowledged full batch is older than the full-sync horizon.
    Horizon,
    /// `state prune` dropped change-log rows the consumer has not acknowledged.
    Pruned,
}

/// The envelope of a batch (the NDJSON header line, the JSON object's fields).
#[derive(Debug, Clone, Serialize)]
pub struct BatchHeader {
    pub batch_id: String,
    pub schema_version: u32,
    pub consumer: String,
    #[serde(serialize_with = "crate::time::serialize_rfc3339")]
    pub created_at: i64,
    pub full: bool,
    pub full_reason: Option<FullReason>,
    /// The acknowledged batch this one follows (`None` for a new consumer).
    pub since_batch: Option<String>,
    /// Change-log ids after `from_txn` up to `through_txn` are covered.
    pub from_txn: Option<i64>,
    pub through_txn: i64,
}

/// Number of records per kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct BatchCounts {
    /// Hosts whose results follow in full (`host` records).
    pub hosts: u64,
    /// Unchanged hosts (`ref` records).
    pub refs: u64,
    pub results: u64,
    pub removed: u64,
}

/// Text shared by many records (a status word, a time), formatted once per batch.
pub type SharedText = Rc<str>;

fn shared<S: Serializer>(text: &SharedText, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(text)
}

/// One host's current result, in full.
#[derive(Debug, Clone, Serialize)]
pub struct ResultRecord {
    pub host: String,
    pub rule_id: String,
    #[serde(serialize_with = "shared")]
    pub status: SharedText,
    #[serde(serialize_with = "shared")]
    pub severity: SharedText,
    pub reason: Option<String>,
    /// The stored evidence JSON, written as it is (checked, not re-parsed into a value).
    pub evidence: Box<RawValue>,
    /// Unpadded base64url, as every hash in the export.
    pub result_hash: String,
    /// RFC 3339 UTC, as every time in the export.
    #[serde(serialize_with = "shared")]
    pub first_seen_at: SharedText,
    #[serde(serialize_with = "shared")]
    pub last_changed_at: SharedText,
    #[serde(serialize_with = "shared")]
    pub last_checked_at: SharedText,
    /// The last scan that checked it (its 16 bytes in unpadded base64url).
    pub scan: String,
}

/// A host and what identifies its current results: a `host` or `ref` record. Short field
/// names because a batch holds one per unchanged host.
#[derive(Debug, Clone, Serialize)]
pub struct HostRef {
    #[serde(rename = "h")]
    pub host: String,
    /// Its result hash; absent while the host has no good scan.
    #[serde(rename = "r", skip_serializing_if = "Option::is_none")]
    pub result_hash: Option<String>,
    /// The last scan that was not an error: the one the result hash reflects.
    #[serde(rename = "s", skip_serializing_if = "Option::is_none")]
    pub scan: Option<String>,
}

/// One record of a batch; serialised with its kind in `t`.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum Record {
    /// A host whose `result` records follow (every host in a full batch).
    Host(HostRef),
    /// An unchanged host: its results are those already sent.
    Ref(HostRef),
    Result(ResultRecord),
    /// A rule gone from a host (`rule_id` set) or a host gone from the inventory.
    Removed {
        host: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        rule_id: Option<String>,
        #[serde(serialize_with = "crate::time::serialize_rfc3339")]
        removed_at: i64,
    },
}

/// One export batch.
#[derive(Debug, Clone, Serialize)]
pub struct ExportBatch {
    #[serde(flatten)]
    pub header: BatchHeader,
    pub counts: BatchCounts,
    /// Per host in name order: its `host` or `ref` record, then its results and removals;
    /// host removals last.
    pub records: Vec<Record>,
}

/// What `state ack` did.
#[derive(Debug, Clone, Serialize)]
pub struct AckOutcome {
    pub consumer: String,
    pub batch_id: String,
    /// False when the batch was already the acknowledged one (nothing changed).
    pub moved: bool,
    pub acked_through_txn: i64,
    #[serde(serialize_with = "crate::time::serialize_rfc3339")]
    pub acked_at: i64,
}

/// One line of `state consumers`.
#[derive(Debug, Clone, Serialize)]
pub struct ConsumerStatus {
    pub name: String,
    #[serde(serialize_with = "crate::time::serialize_rfc3339")]
    pub created_at: i64,
    pub acked_batch_id: Option<String>,
    /// The cursor: change-log ids up to this one are acknowledged.
    pub acked_through_txn: Option<i64>,
    #[serde(serialize_with = "crate::time::serialize_opt_rfc3339")]
    pub acked_at: Option<i64>,
    #[serde(serialize_with = "crate::time::serialize_opt_rfc3339")]
    pub last_full_at: Option<i64>,
    /// The next export is a full one (new consumer, or the horizon has passed).
    pub full_sync_due: bool,
    #[serde(serialize_with = "crate::time::serialize_opt_rfc3339")]
    pub next_full_sync_at: Option<i64>,
    /// Batches exported after the acknowledged one (not yet acknowledged).
    pub unacked_batches: u64,
}

/// A consumer's row.
struct Cursor {
    acked_batch_id: Option<String>,
    acked_through_txn: Option<i64>,
    acked_through_at: Option<i64>,
    acked_at: Option<i64>,
    last_full_at: Option<i64>,
}

fn full_sync_due(last_full_at: Option<i64>, horizon_ms: i64, now: i64) -> bool {
    last_full_at.is_none_or(|at| now.saturating_sub(at) >= horizon_ms)
}

/// A host row as the export needs it, ids already encoded.
struct HostRow {
    name: String,
    /// Its `host_keys` key (none for a host that never had a rule row).
    key: Option<i64>,
    result_hash: Option<String>,
    /// The last scan that was not an error: the one the result hash reflects.
    good_scan: Option<String>,
    removed_at: Option<i64>,
}

/// Results and rule removals of one host in this batch.
#[derive(Default)]
struct HostRecords {
    results: Vec<ResultRecord>,
    /// (rule id, removed at).
    removed: Vec<(String, i64)>,
}

impl Store {
    /// Writes down and returns one batch for `request.consumer` (created on first use). The
    /// consumer's cursor does not move.
    pub fn export_batch(&mut self, request: &ExportRequest) -> Result<ExportBatch, StoreError> {
        // It writes (the consumer, the batch), so not TxMode::Read; on PostgreSQL every read
        // of the batch must still come from one snapshot, or a scan committed between two of
        // them would be half in it.
        let (mut tx, at) = self.begin(TxMode::Write, "starting the export")?;
        if tx.dialect() == Dialect::Postgres {
            tx.execute_batch("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                .map_err(at.fail("starting the export"))?;
        }
        let batch = build_batch(&mut tx, request).map_err(at.fail("exporting"))?;
        tx.commit().map_err(at.fail("committing the export"))?;
        Ok(batch)
    }

    /// Moves the consumer's cursor to `batch_id`. Acknowledging the current batch again
    /// changes nothing; an unknown batch, or one older than the acknowledged one, is refused.
    pub fn ack_export(
        &mut self,
        consumer: &str,
        batch_id: &str,
        now: i64,
    ) -> Result<AckOutcome, StoreError> {
        let path = self.path.clone();
        let refuse = |reason: String| StoreError::AckRefused {
            path: path.clone(),
            consumer: consumer.to_owned(),
            batch_id: batch_id.to_owned(),
            reason,
        };
        let (mut tx, at) = self.begin(TxMode::Write, "starting the ack")?;
        let Some(cursor) =
            load_cursor(&mut tx, consumer, true).map_err(at.fail("reading consumers"))?
        else {
            return Err(refuse(
                "no such consumer (a consumer appears with its first export)".into(),
            ));
        };
        let batch: Option<(i64, i64, bool, i64)> = tx
            .query_opt(
                "SELECT seq, through_txn, \"full\", created_at FROM export_batches
                 WHERE batch_id = ?1 AND consumer = ?2",
                &args![batch_id, consumer],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
            )
            .map_err(at.fail("reading export batches"))?;
        let Some((seq, through_txn, full, created_at)) = batch else {
            return Err(refuse("no batch with this id was exported to it".into()));
        };
        if let Some(acked) = &cursor.acked_batch_id {
            if acked == batch_id {
                return Ok(AckOutcome {
                    consumer: consumer.to_owned(),
                    batch_id: batch_id.to_owned(),
                    moved: false,
                    acked_through_txn: cursor.acked_through_txn.unwrap_or(through_txn),
                    acked_at: cursor.acked_at.unwrap_or(now),
                });
            }
            let acked_seq: Option<i64> = tx
                .query_opt(
                    "SELECT seq FROM export_batches WHERE batch_id = ?1",
                    &args![acked],
                    |row| row.get(0),
                )
                .map_err(at.fail("reading export batches"))?;
            if acked_seq.is_some_and(|acked_seq| seq < acked_seq) {
                return Err(refuse(format!(
                    "it is older than the acknowledged batch {acked}"
                )));
            }
        }
        tx.execute(
            "UPDATE export_consumers SET acked_batch_id = ?2, acked_through_txn = ?3,
                 acked_through_at = ?4, acked_at = ?5,
                 last_full_at = CASE WHEN ?6 = 1 THEN ?4 ELSE last_full_at END
             WHERE name = ?1",
            &args![consumer, batch_id, through_txn, created_at, now, full],
        )
        .map_err(at.fail("moving the cursor"))?;
        tx.commit().map_err(at.fail("committing the ack"))?;
        Ok(AckOutcome {
            consumer: consumer.to_owned(),
            batch_id: batch_id.to_owned(),
            moved: true,
            acked_through_txn: through_txn,
            acked_at: now,
        })
    }

    /// Every consumer's cursor, in name order.
    pub fn export_consumers(
        &mut self,
        full_sync_horizon_ms: i64,
        now: i64,
    ) -> Result<Vec<ConsumerStatus>, StoreError> {
        let (mut tx, at) = self.begin(TxMode::Read, "starting to read consumers")?;
        let list = tx
            .query_map(
                "SELECT c.name, c.created_at, c.acked_batch_id, c.acked_through_txn, c.acked_at,
                        c.last_full_at,
                        (SELECT count(*) FROM export_batches b WHERE b.consumer = c.name
                           AND b.seq > COALESCE((SELECT seq FROM export_batches a
                                                 WHERE a.batch_id = c.acked_batch_id), 0))
                 FROM export_consumers c ORDER BY c.name",
                &args![],
                |row| {
                    let last_full_at: Option<i64> = row.get(5)?;
                    Ok(ConsumerStatus {
                        name: row.get(0)?,
                        created_at: row.get(1)?,
                        acked_batch_id: row.get(2)?,
                        acked_through_txn: row.get(3)?,
                        acked_at: row.get(4)?,
                        last_full_at,
                        full_sync_due: full_sync_due(last_full_at, full_sync_horizon_ms, now),
                        next_full_sync_at: last_full_at
                            .map(|at| at.saturating_add(full_sync_horizon_ms)),
                        unacked_batches: row.get::<i64>(6)?.unsigned_abs(),
                    })
                },
            )
            .map_err(at.fail("reading consumers"))?;
        tx.commit().map_err(at.fail("finishing the read"))?;
        Ok(list)
    }
}

/// The consumer's cursor. `for_update` locks its row on PostgreSQL until commit, so two
/// acks of one consumer run one after the other (SQLite's IMMEDIATE transaction already
/// serialises them).
fn load_cursor(tx: &mut Tx, consumer: &str, for_update: bool) -> DbResult<Option<Cursor>> {
    let read = |row: &Row<'_>| {
        Ok(Cursor {
            acked_batch_id: row.get(0)?,
            acked_through_txn: row.get(1)?,
            acked_through_at: row.get(2)?,
            acked_at: row.get(3)?,
            last_full_at: row.get(4)?,
        })
    };
    if for_update && tx.dialect() == Dialect::Postgres {
        return tx.query_opt(
            "SELECT acked_batch_id, acked_through_txn, acked_through_at, acked_at, last_full_at
             FROM export_consumers WHERE name = ?1 FOR UPDATE",
            &args![consumer],
            read,
        );
    }
    tx.query_opt(
        "SELECT acked_batch_id, acked_through_txn, acked_through_at, acked_at, last_full_at
         FROM export_consumers WHERE name = ?1",
        &args![consumer],
        read,
    )
}

fn build_batch(tx: &mut Tx, request: &ExportRequest) -> DbResult<ExportBatch> {
    let now = request.now_ms;
    let cursor = match load_cursor(tx, request.consumer, false)? {
        Some(cursor) => cursor,
        None => {
            tx.execute(
                "INSERT INTO export_consumers (name, created_at) VALUES (?1, ?2)",
                &args![request.consumer, now],
            )?;
            Cursor {
                acked_batch_id: None,
                acked_through_txn: None,
                acked_through_at: None,
                acked_at: None,
                last_full_at: None,
            }
        }
    };
    let through_txn = through_txn(tx)?;
    let pruned_through: i64 = tx.query_row(
        "SELECT COALESCE(MAX(last_pruned_id), 0) FROM chain_checkpoints",
        &args![],
        |row| row.get(0),
    )?;
    let full_reason = match cursor.acked_through_txn {
        _ if request.full => Some(FullReason::Requested),
        None => Some(FullReason::NewConsumer),
        Some(_) if full_sync_due(cursor.last_full_at, request.full_sync_horizon_ms, now) => {
            Some(FullReason::Horizon)
        }
        Some(acked) if acked < pruned_through => Some(FullReason::Pruned),
        Some(_) => None,
    };
    let full = full_reason.is_some();

    let hosts = load_hosts(tx)?;
    let mut codes = ValueCodes::load(tx)?;
    let mut per_host: HashMap<i64, HostRecords> = HashMap::new();
    // Rows touched by the log after the cursor: live ones changed, removed ones are removals
    // (a rule that came back is live again, so it is a change, not a removal). A full batch
    // takes its results from every live row instead, and its removals from here.
    if let Some(acked) = cursor.acked_through_txn {
        let wanted = if full { Keep::Removals } else { Keep::Both };
        // Driven from the log: a range of its primary key (NOT INDEXED, or SQLite walks the
        // whole change_log_by_host index for the DISTINCT), then one lookup per row.
        // PostgreSQL has no NOT INDEXED, nor CROSS JOIN ... ON, and plans the range itself.
        static SQLITE: LazyLock<String> = LazyLock::new(|| {
            rows_query(
                "FROM (SELECT DISTINCT host_key, rule_key FROM change_log NOT INDEXED
                       WHERE id > ?1) AS t
                 CROSS JOIN rule_state AS s
                   ON s.host_key = t.host_key AND s.rule_key = t.rule_key",
                "",
            )
        });
        static POSTGRES: LazyLock<String> = LazyLock::new(|| {
            rows_query(
                "FROM (SELECT DISTINCT host_key, rule_key FROM change_log
                       WHERE id > ?1) AS t
                 JOIN rule_state AS s
                   ON s.host_key = t.host_key AND s.rule_key = t.rule_key",
                "",
            )
        });
        let query = match tx.dialect() {
            Dialect::Sqlite => SQLITE.as_str(),
            Dialect::Postgres => POSTGRES.as_str(),
        };
        collect_rows(tx, query, &args![acked], wanted, &mut codes, &mut per_host)?;
    }
    if full {
        static LIVE: LazyLock<String> =
            LazyLock::new(|| rows_query("FROM rule_state AS s", "WHERE s.removed_at IS NULL"));
        collect_rows(
            tx,
            LIVE.as_str(),
            &args![],
            Keep::Results,
            &mut codes,
            &mut per_host,
        )?;
    }

    let mut counts = BatchCounts::default();
    let mut records = Vec::new();
    let mut host_removals = Vec::new();
    for host in hosts {
        if let Some(removed_at) = host.removed_at {
            // Reported until acknowledged; a consumer that never saw the host needs nothing.
            if cursor
                .acked_through_at
                .is_some_and(|acked_at| removed_at > acked_at)
            {
                host_removals.push(Record::Removed {
                    host: host.name,
                    rule_id: None,
                    removed_at,
                });
            }
            continue;
        }
        let mut rows = host
            .key
            .and_then(|key| per_host.remove(&key))
            .unwrap_or_default();
        let reference = HostRef {
            host: host.name,
            result_hash: host.result_hash,
            scan: host.good_scan,
        };
        if full || !rows.results.is_empty() || !rows.removed.is_empty() {
            counts.hosts += 1;
            records.push(Record::Host(reference.clone()));
        } else {
            counts.refs += 1;
            records.push(Record::Ref(reference));
            continue;
        }
        rows.results
            .sort_unstable_by(|a, b| a.rule_id.cmp(&b.rule_id));
        rows.removed.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        counts.results += rows.results.len() as u64;
        counts.removed += rows.removed.len() as u64;
        records.extend(rows.results.into_iter().map(|mut result| {
            result.host.clone_from(&reference.host);
            Record::Result(result)
        }));
        records.extend(
            rows.removed
                .into_iter()
                .map(|(rule_id, removed_at)| Record::Removed {
                    host: reference.host.clone(),
                    rule_id: Some(rule_id),
                    removed_at,
                }),
        );
    }
    counts.removed += host_removals.len() as u64;
    records.extend(host_removals);

    let batch_id = uuid::Uuid::new_v4().to_string();
    tx.execute(
        "INSERT INTO export_batches (batch_id, consumer, from_txn, through_txn, \"full\", created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        &args![
            batch_id,
            request.consumer,
            cursor.acked_through_txn,
            through_txn,
            full,
            now
        ],
    )?;
    Ok(ExportBatch {
        header: BatchHeader {
            batch_id,
            schema_version: EXPORT_SCHEMA_VERSION,
            consumer: request.consumer.to_owned(),
            created_at: now,
            full,
            full_reason,
            since_batch: cursor.acked_batch_id,
            from_txn: cursor.acked_through_txn,
            through_txn,
        },
        counts,
        records,
    })
}

/// The change-log id the batch covers through: the head of the chain as this snapshot sees
/// it. On SQLite, the AUTOINCREMENT counter. PostgreSQL has none (ids come from the chain
/// head, under the append lock): the last row, else the last pruned id. Appends hold that
/// lock to commit, so a row committed after this snapshot always has a higher id.
fn through_txn(tx: &mut Tx) -> DbResult<i64> {
    let through = match tx.dialect() {
        Dialect::Sqlite => tx.query_opt(
            "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'change_log'), 0)",
            &args![],
            |row| row.get(0),
        )?,
        Dialect::Postgres => tx.query_opt(
            "SELECT COALESCE((SELECT max(id) FROM change_log),
                             (SELECT max(last_pruned_id) FROM chain_checkpoints), 0)",
            &args![],
            |row| row.get(0),
        )?,
    };
    Ok(through.unwrap_or(0))
}

fn load_hosts(tx: &mut Tx) -> DbResult<Vec<HostRow>> {
    // An `error` scan keeps the host's last good result hash, so the reference names the
    // last scan that was not an error.
    tx.query_map(
        "SELECT h.name, k.key, h.current_result_hash,
                CASE WHEN h.last_scan_status IS DISTINCT FROM 'error' THEN h.last_scan_id ELSE
                    (SELECT scan_id FROM scans s WHERE s.host = h.name AND s.status <> 'error'
                     ORDER BY finished_at DESC, rowid DESC LIMIT 1) END,
                h.removed_at
         FROM hosts AS h LEFT JOIN host_keys AS k ON k.name = h.name
         ORDER BY h.name",
        &args![],
        |row| {
            let result_hash: Option<String> = row.get(2)?;
            let good_scan: Option<String> = row.get(3)?;
            Ok(HostRow {
                name: row.get(0)?,
                key: row.get(1)?,
                result_hash: result_hash
                    .map(|hex| hex_to_export_id(&hex).ok_or_else(|| bad_text(2, "a hex hash")))
                    .transpose()?,
                good_scan: good_scan
                    .map(|id| {
                        uuid::Uuid::parse_str(&id)
                            .map(|uuid| export_id(uuid.as_bytes()))
                            .map_err(|_| bad_text(3, "a scan id"))
                    })
                    .transpose()?,
                removed_at: row.get(4)?,
            })
        },
    )
}

/// A column whose stored text is not what it should be (the file was edited).
fn bad_text(column: usize, expected: &str) -> DbError {
    DbError::Decode {
        column,
        problem: format!("not {expected}"),
    }
}

/// Lowercase or uppercase hex to [`export_id`]; `None` if it is not hex.
fn hex_to_export_id(hex: &str) -> Option<String> {
    let digit = |c: u8| (c as char).to_digit(16);
    let bytes = hex.as_bytes();
    if bytes.len() % 2 != 0 {
        return None;
    }
    let decoded = bytes
        .chunks_exact(2)
        .map(|pair| Some((digit(pair[0])? * 16 + digit(pair[1])?) as u8))
        .collect::<Option<Vec<u8>>>()?;
    Some(export_id(&decoded))
}

/// The words behind the status and severity codes, from `value_codes` (where they are
/// defined), loaded once per batch; and each time formatted once (a scan's rows share them).
struct ValueCodes {
    words: HashMap<i64, SharedText>,
    times: HashMap<i64, SharedText>,
}

impl ValueCodes {
    fn load(tx: &mut Tx) -> DbResult<Self> {
        let words = tx
            .query_map("SELECT code, text FROM value_codes", &args![], |row| {
                Ok((row.get(0)?, SharedText::from(row.get::<String>(1)?)))
            })?
            .into_iter()
            .collect();
        Ok(ValueCodes {
            words,
            times: HashMap::new(),
        })
    }

    fn time(&mut self, row: &Row<'_>, column: usize) -> DbResult<SharedText> {
        let at: i64 = row.get(column)?;
        Ok(self
            .times
            .entry(at)
            .or_insert_with(|| crate::time::rfc3339_millis(at).into())
            .clone())
    }

    fn text(&self, row: &Row<'_>, column: usize) -> DbResult<SharedText> {
        let code: i64 = row.get(column)?;
        self.words
            .get(&code)
            .cloned()
            .ok_or_else(|| DbError::Decode {
                column,
                problem: format!("unknown value code {code}"),
            })
    }
}

/// Which rows [`collect_rows`] keeps.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Keep {
    Results,
    Removals,
    Both,
}

/// The statement of [`collect_rows`]: the `rule_state` rows (`s`) that `from` and `filter`
/// select, with their rule ids and evidence.
fn rows_query(from: &str, filter: &str) -> String {
    let status = super::schema::waived_status("s.status", "s.waiver");
    let checks = super::schema::unwritten_checks("s", "f");
    let (checked_at, checked_by) = (checks.last_checked_at, checks.last_scan_id);
    format!(
        "SELECT s.host_key, r.id, {status}, s.severity, s.reason, e.body, e.hash,
                s.first_seen_at, s.last_changed_at, {checked_at}, {checked_by},
                s.removed_at
         {from}
         JOIN host_keys AS k ON k.key = s.host_key
         JOIN hosts AS f ON f.name = k.name
         JOIN rule_keys AS r ON r.key = s.rule_key
         LEFT JOIN evidence AS e ON e.id = s.evidence_id
         {filter}"
    )
}

/// Adds the rows `query` (a [`rows_query`]) selects to `per_host` (by host key): live rows
/// as results, removed rows as removals, as `keep` says. The caller sets each result's host.
fn collect_rows(
    tx: &mut Tx,
    query: &'static str,
    params: &[super::db::Value<'_>],
    keep: Keep,
    codes: &mut ValueCodes,
    per_host: &mut HashMap<i64, HostRecords>,
) -> DbResult<()> {
    tx.query_map(query, params, |row| {
        let removed_at: Option<i64> = row.get(11)?;
        let wanted = match removed_at {
            Some(_) => keep != Keep::Results,
            None => keep != Keep::Removals,
        };
        if !wanted {
            return Ok(());
        }
        let entry = per_host.entry(row.get(0)?).or_default();
        let rule_id: String = row.get(1)?;
        if let Some(removed_at) = removed_at {
            entry.removed.push((rule_id, removed_at));
            return Ok(());
        }
        // A live row always has its evidence; a dangling id is a damaged file.
        let evidence_text: String = row.get(5)?;
        let evidence = RawValue::from_string(evidence_text).map_err(|err| DbError::Decode {
            column: 5,
            problem: err.to_string(),
        })?;
        let hash: Vec<u8> = row.get(6)?;
        let scan: Vec<u8> = row.get(10)?;
        entry.results.push(ResultRecord {
            host: String::new(),
            rule_id,
            status: codes.text(row, 2)?,
            severity: codes.text(row, 3)?,
            reason: row.get(4)?,
            evidence,
            result_hash: export_id(&hash),
            first_seen_at: codes.time(row, 7)?,
            last_changed_at: codes.time(row, 8)?,
            last_checked_at: codes.time(row, 9)?,
            scan: export_id(&scan),
        });
        Ok(())
    })?;
    Ok(())
}
