//! Write-on-change `apply_scan`: validate the whole batch, then one IMMEDIATE transaction.

use super::Store;
use super::chain::{TxRow, chain_head};
use super::error::{StoreError, sql};
use super::model::{
    ChangeKind, Counts, FailingCounts, ScanBatch, ScanStatus, Scope, Severity, Status,
};
use super::schema::{stored_status, waived_status};
use crate::canonical::{canonical_hash, to_canonical_string};
use crate::eval::{MAX_EVIDENCE_BYTES, evidence_size};
use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};
use serde::Serialize;
use serde_json::json;
use std::collections::{BTreeMap, HashSet};

/// One row of the change log as reported back to the scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub rule_id: String,
    pub kind: ChangeKind,
    pub previous_status: Option<Status>,
    /// `None` for `removed`.
    pub new_status: Option<Status>,
    pub severity: Severity,
}

/// What `apply_scan` did.
#[derive(Debug, Clone, Serialize)]
pub struct ApplyOutcome {
    pub scan_id: uuid::Uuid,
    /// The scan_id was already recorded; nothing was written.
    pub replayed: bool,
    /// The results equalled the host's current state; only counters advanced.
    pub fast_path: bool,
    pub changes: Vec<Change>,
    /// This scan's results per status (zero for an `error` scan).
    pub counts: Counts,
    /// pass / (pass + fail) × 100 over this scan's rules; `None` if none was assessable.
    pub score: Option<f64>,
}

/// Hash of one result: canonical JSON of {rule_id, status, reason, severity, evidence}.
pub fn result_hash(
    rule_id: &str,
    status: Status,
    reason: Option<&str>,
    severity: Severity,
    evidence: &serde_json::Value,
) -> String {
    canonical_hash(&json!({
        "rule_id": rule_id,
        "status": status.as_str(),
        "reason": reason,
        "severity": severity.as_str(),
        "evidence": evidence,
    }))
}

/// Hash of a whole scan over its (rule_id, status, result hash) entries sorted by rule_id.
/// The per-result hash (which also covers severity, reason and evidence) stands in for the
/// "evidence hash", so a severity-only change cannot slip through the fast path.
pub fn scan_result_hash<'a>(
    entries: impl IntoIterator<Item = (&'a str, Status, &'a str)>,
) -> String {
    let mut sorted: Vec<_> = entries.into_iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    let list: Vec<_> = sorted
        .into_iter()
        .map(|(rule, status, hash)| json!([rule, status.as_str(), hash]))
        .collect();
    canonical_hash(&serde_json::Value::Array(list))
}

/// A validated result, with the canonical forms computed once.
struct Prepared<'a> {
    record: &'a super::model::ResultRecord,
    evidence_text: String,
    hash: String,
}

/// The host's current row for one rule.
#[derive(Clone)]
struct Current {
    rule_key: i64,
    status: Status,
    severity: Severity,
    hash: String,
    evidence_id: Option<i64>,
    reason: Option<String>,
    /// The waiver id of a `waived` state.
    waiver: Option<String>,
    removed: bool,
}

fn validate(batch: &ScanBatch) -> Result<Vec<Prepared<'_>>, StoreError> {
    let mut problems = Vec::new();
    let host = &batch.host.name;
    if host.trim().is_empty() {
        problems.push("host name is empty".to_string());
    } else if host.chars().any(char::is_control) {
        problems.push("host name contains control characters".to_string());
    }
    if batch.finished_at < batch.started_at {
        problems.push("finished_at is before started_at".to_string());
    }
    if batch.ruleset_hash.is_empty() {
        problems.push("ruleset_hash is empty".to_string());
    }
    if batch.rule_source.is_empty() {
        problems.push("rule_source is empty".to_string());
    }
    let mut seen = HashSet::new();
    let mut prepared = Vec::with_capacity(batch.results.len());
    for record in &batch.results {
        let id = &record.rule_id;
        if id.trim().is_empty() || id.chars().any(char::is_control) {
            problems.push(format!("rule id {id:?} is empty or has control characters"));
        }
        if !seen.insert(id.as_str()) {
            problems.push(format!("rule {id} appears more than once"));
        }
        if !record.evidence.is_object() {
            problems.push(format!("rule {id}: evidence is not a JSON object"));
        }
        if (record.status == Status::Waived) != record.waiver.is_some() {
            problems.push(format!(
                "rule {id}: a waiver id goes with status waived, and only with it (status {})",
                record.status
            ));
        }
        if matches!(record.status, Status::Skipped | Status::Error) && record.reason.is_none() {
            problems.push(format!(
                "rule {id}: status {} needs a reason",
                record.status
            ));
        }
        let evidence_text = to_canonical_string(&record.evidence);
        // The text is needed anyway; its length is `evidence_size`, the evaluator's measure.
        let size = evidence_text.len();
        debug_assert_eq!(size, evidence_size(&record.evidence));
        if size > MAX_EVIDENCE_BYTES {
            problems.push(format!(
                "rule {id}: evidence is {size} bytes, over the {MAX_EVIDENCE_BYTES} byte ceiling"
            ));
        }
        let hash = result_hash(
            id,
            record.status,
            record.reason.as_deref(),
            record.severity,
            &record.evidence,
        );
        prepared.push(Prepared {
            record,
            evidence_text,
            hash,
        });
    }
    if problems.is_empty() {
        Ok(prepared)
    } else {
        problems.truncate(20);
        Err(StoreError::InvalidBatch {
            scan_id: batch.scan_id,
            host: host.clone(),
            problems,
        })
    }
}

pub(super) fn parse<T: std::str::FromStr<Err = String>>(text: String) -> rusqlite::Result<T> {
    text.parse().map_err(|err: String| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, err.into())
    })
}

fn counts_of<'a>(statuses: impl IntoIterator<Item = Status> + 'a) -> Counts {
    let mut counts = Counts::default();
    statuses.into_iter().for_each(|s| counts.add(s));
    counts
}

impl Store {
    /// Records one host scan (DESIGN §4 write-on-change). Validates first, so a rejected
    /// batch writes nothing; a replayed scan_id is a no-op.
    pub fn apply_scan(&mut self, batch: &ScanBatch) -> Result<ApplyOutcome, StoreError> {
        let prepared = validate(batch)?;
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql(&path, "starting the scan transaction"))?;
        if let Some(outcome) =
            replayed_outcome(&tx, batch).map_err(sql(&path, "checking for a replay"))?
        {
            return Ok(outcome);
        }
        let outcome =
            write_scan(&tx, batch, &prepared).map_err(sql(&path, "recording the scan"))?;
        tx.commit().map_err(sql(&path, "committing the scan"))?;
        Ok(outcome)
    }
}

fn replayed_outcome(tx: &Transaction, batch: &ScanBatch) -> rusqlite::Result<Option<ApplyOutcome>> {
    let scan_id = batch.scan_id.to_string();
    let row = tx
        .query_row(
            "SELECT pass_count, fail_count, skipped_count, error_count, score, fast_path,
                    waived_count
             FROM scans WHERE scan_id = ?1",
            [&scan_id],
            |row| {
                Ok((
                    Counts {
                        pass: row.get(0)?,
                        fail: row.get(1)?,
                        skipped: row.get(2)?,
                        error: row.get(3)?,
                        waived: row.get(6)?,
                    },
                    row.get::<_, Option<f64>>(4)?,
                    row.get::<_, bool>(5)?,
                ))
            },
        )
        .optional()?;
    let Some((counts, score, fast_path)) = row else {
        return Ok(None);
    };
    Ok(Some(ApplyOutcome {
        scan_id: batch.scan_id,
        replayed: true,
        fast_path,
        changes: changes_of_scan(tx, &scan_id)?,
        counts,
        score,
    }))
}

/// The change-log rows a scan wrote, in order.
pub(crate) fn changes_of_scan(
    conn: &rusqlite::Connection,
    scan_id: &str,
) -> rusqlite::Result<Vec<Change>> {
    // The base table, so the (scan_id, rule_key) index is used.
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT r.id, (SELECT text FROM value_codes WHERE code = t.change_kind),
                (SELECT text FROM value_codes WHERE code = {}),
                (SELECT text FROM value_codes WHERE code = {}),
                (SELECT text FROM value_codes WHERE code = t.severity)
         FROM scan_keys AS k JOIN change_log AS t ON t.scan_key = k.key
         JOIN rule_keys AS r ON r.key = t.rule_key
         WHERE k.scan_id = unhex(replace(?1, '-', '')) ORDER BY t.id",
        waived_status("t.previous_status", "t.previous_waiver"),
        waived_status("t.new_status", "t.waiver"),
    ))?;
    stmt.query_map([scan_id], |row| {
        Ok(Change {
            rule_id: row.get(0)?,
            kind: parse(row.get(1)?)?,
            previous_status: row.get::<_, Option<String>>(2)?.map(parse).transpose()?,
            new_status: row.get::<_, Option<String>>(3)?.map(parse).transpose()?,
            severity: parse(row.get(4)?)?,
        })
    })?
    .collect()
}

fn upsert_host(tx: &Transaction, batch: &ScanBatch) -> rusqlite::Result<()> {
    let host = &batch.host;
    let labels = serde_json::to_value(&host.labels).unwrap_or_default();
    tx.prepare_cached(
        "INSERT INTO hosts (name, address, port, user, labels, first_seen)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT(name) DO UPDATE SET address = excluded.address, port = excluded.port,
             user = excluded.user, labels = excluded.labels, removed_at = NULL",
    )?
    .execute(params![
        host.name,
        host.address,
        host.port,
        host.user,
        to_canonical_string(&labels),
        batch.started_at
    ])?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn insert_scan(
    tx: &Transaction,
    batch: &ScanBatch,
    result_hash: Option<&str>,
    counts: Counts,
    score: Option<f64>,
    fast_path: bool,
    change_count: usize,
) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO scans (scan_id, host, trigger, started_at, finished_at, status, error,
             policy_version, ruleset_hash, result_hash, pass_count, fail_count, skipped_count,
             error_count, score, fast_path, change_count, scope, rule_source, waived_count)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
             ?18, ?19, ?20)",
    )?
    .execute(params![
        batch.scan_id.to_string(),
        batch.host.name,
        batch.trigger.as_str(),
        batch.started_at,
        batch.finished_at,
        batch.status.as_str(),
        batch.error,
        batch.policy_version,
        batch.ruleset_hash,
        result_hash,
        counts.pass,
        counts.fail,
        counts.skipped,
        counts.error,
        score,
        fast_path,
        i64::try_from(change_count).unwrap_or(i64::MAX),
        batch.scope.as_str(),
        batch.rule_source,
        counts.waived,
    ])?;
    tx.prepare_cached(
        "UPDATE hosts SET last_scan_id = ?2, last_scan_at = ?3, last_scan_status = ?4 WHERE name = ?1",
    )?
    .execute(params![
        batch.host.name,
        batch.scan_id.to_string(),
        batch.finished_at,
        batch.status.as_str()
    ])?;
    Ok(())
}

fn load_current(tx: &Transaction, host_key: i64) -> rusqlite::Result<BTreeMap<String, Current>> {
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT r.id, s.rule_key, (SELECT text FROM value_codes WHERE code = {}),
                (SELECT text FROM value_codes WHERE code = s.severity), lower(hex(e.hash)),
                s.removed_at IS NOT NULL, s.evidence_id, s.reason, s.waiver
         FROM rule_state AS s JOIN rule_keys AS r ON r.key = s.rule_key
         LEFT JOIN evidence AS e ON e.id = s.evidence_id
         WHERE s.host_key = ?1",
        waived_status("s.status", "s.waiver"),
    ))?;
    stmt.query_map([host_key], |row| {
        Ok((
            row.get::<_, String>(0)?,
            Current {
                rule_key: row.get(1)?,
                status: parse(row.get(2)?)?,
                severity: parse(row.get(3)?)?,
                hash: row.get(4)?,
                removed: row.get(5)?,
                evidence_id: row.get(6)?,
                reason: row.get(7)?,
                waiver: row.get(8)?,
            },
        ))
    })?
    .collect()
}

/// The integer key that stands for a host name in the compact tables, created on first use.
fn host_key(tx: &Transaction, name: &str) -> rusqlite::Result<i64> {
    tx.prepare_cached("INSERT INTO host_keys (name) VALUES (?1) ON CONFLICT(name) DO NOTHING")?
        .execute([name])?;
    tx.prepare_cached("SELECT key FROM host_keys WHERE name = ?1")?
        .query_row([name], |row| row.get(0))
}

/// The integer key that stands for a rule id in the compact tables, created on first use.
fn rule_key(tx: &Transaction, id: &str) -> rusqlite::Result<i64> {
    tx.prepare_cached("INSERT INTO rule_keys (id) VALUES (?1) ON CONFLICT(id) DO NOTHING")?
        .execute([id])?;
    tx.prepare_cached("SELECT key FROM rule_keys WHERE id = ?1")?
        .query_row([id], |row| row.get(0))
}

/// The id of a rule source's name, created on first use.
fn source_id(tx: &Transaction, name: &str) -> rusqlite::Result<i64> {
    tx.prepare_cached("INSERT INTO rule_sources (name) VALUES (?1) ON CONFLICT(name) DO NOTHING")?
        .execute([name])?;
    tx.prepare_cached("SELECT id FROM rule_sources WHERE name = ?1")?
        .query_row([name], |row| row.get(0))
}

/// Whether the source already holds exactly the host's live rules, so a scan whose results
/// equal the live state changes no membership either (the fast path's second condition).
fn source_holds_all_live(
    tx: &Transaction,
    host: &str,
    host_key: i64,
    source: i64,
) -> rusqlite::Result<bool> {
    tx.prepare_cached(
        "SELECT (SELECT count(*) FROM rule_state_sources WHERE host_key = ?2 AND source_id = ?3)
              = (SELECT pass_count + fail_count + skipped_count + error_count + waived_count
                 FROM hosts WHERE name = ?1)",
    )?
    .query_row(params![host, host_key, source], |row| row.get(0))
}

/// Rule sources per rule: this source's rules, and how many sources hold each rule.
struct Memberships {
    own: HashSet<String>,
    holders: BTreeMap<String, usize>,
}

fn load_memberships(tx: &Transaction, host_key: i64, source: i64) -> rusqlite::Result<Memberships> {
    let mut own = HashSet::new();
    let mut holders = BTreeMap::new();
    let mut stmt = tx.prepare_cached(
        "SELECT r.id, m.source_id = ?2
         FROM rule_state_sources AS m JOIN rule_keys AS r ON r.key = m.rule_key
         WHERE m.host_key = ?1",
    )?;
    let mut rows = stmt.query(params![host_key, source])?;
    while let Some(row) = rows.next()? {
        let rule: String = row.get(0)?;
        if row.get::<_, bool>(1)? {
            own.insert(rule.clone());
        }
        *holders.entry(rule).or_insert(0) += 1;
    }
    Ok(Memberships { own, holders })
}

fn write_scan(
    tx: &Transaction,
    batch: &ScanBatch,
    prepared: &[Prepared],
) -> rusqlite::Result<ApplyOutcome> {
    upsert_host(tx, batch)?;
    let host = batch.host.name.as_str();
    let scan_id = batch.scan_id.to_string();
    // The compact tables store the id's 16 bytes.
    let scan_bytes = batch.scan_id.as_bytes().as_slice();
    if batch.status == ScanStatus::Error {
        // The host could not be scanned: record that, keep its last known state.
        insert_scan(tx, batch, None, Counts::default(), None, false, 0)?;
        return Ok(ApplyOutcome {
            scan_id: batch.scan_id,
            replayed: false,
            fast_path: false,
            changes: Vec::new(),
            counts: Counts::default(),
            score: None,
        });
    }
    let counts = counts_of(prepared.iter().map(|p| p.record.status));
    let score = counts.score();
    let batch_hash = scan_result_hash(
        prepared
            .iter()
            .map(|p| (p.record.rule_id.as_str(), p.record.status, p.hash.as_str())),
    );
    let current_hash: Option<String> = tx
        .prepare_cached("SELECT current_result_hash FROM hosts WHERE name = ?1")?
        .query_row([host], |row| row.get(0))?;
    let source = source_id(tx, &batch.rule_source)?;
    let host_key = host_key(tx, host)?;
    if current_hash.as_deref() == Some(batch_hash.as_str())
        && source_holds_all_live(tx, host, host_key, source)?
    {
        tx.prepare_cached(
            "UPDATE rule_state SET last_checked_at = ?2, check_count = check_count + 1,
                 last_scan_id = ?3
             WHERE host_key = ?1 AND removed_at IS NULL",
        )?
        .execute(params![host_key, batch.finished_at, scan_bytes])?;
        insert_scan(tx, batch, Some(&batch_hash), counts, score, true, 0)?;
        return Ok(ApplyOutcome {
            scan_id: batch.scan_id,
            replayed: false,
            fast_path: true,
            changes: Vec::new(),
            counts,
            score,
        });
    }

    let mut current = load_current(tx, host_key)?;
    let members = load_memberships(tx, host_key, source)?;
    let mut log = ChangeLog::new(tx)?;
    let at = batch.finished_at;
    for item in prepared {
        let record = item.record;
        upsert_rule(tx, record, at)?;
        let previous = current.get(&record.rule_id);
        let rule_key = match previous {
            Some(prev) => prev.rule_key,
            None => rule_key(tx, &record.rule_id)?,
        };
        let kind = match previous {
            None => Some(ChangeKind::FirstSeen),
            Some(prev) if prev.removed => Some(ChangeKind::FirstSeen),
            Some(prev) if prev.status != record.status => Some(ChangeKind::StateChanged),
            Some(prev) if prev.severity != record.severity => Some(ChangeKind::SeverityChanged),
            Some(prev) if prev.hash != item.hash => Some(ChangeKind::EvidenceChanged),
            Some(_) => None,
        };
        if kind.is_none() {
            // Unchanged: only the counters move (write-on-change).
            tx.prepare_cached(
                "UPDATE rule_state SET last_checked_at = ?3, check_count = check_count + 1,
                     last_scan_id = ?4
                 WHERE host_key = ?1 AND rule_key = ?2",
            )?
            .execute(params![host_key, rule_key, at, scan_bytes])?;
        }
        let evidence_id = match kind {
            Some(_) => Some(store_evidence(tx, &item.hash, &item.evidence_text)?),
            None => None,
        };
        if let Some(evidence_id) = evidence_id {
            tx.prepare_cached(
                "INSERT INTO rule_state (host_key, rule_key, status, severity, reason, evidence_id,
                     first_seen_at, last_changed_at, last_checked_at, check_count, last_scan_id,
                     removed_at, waiver)
                 VALUES (?1, ?2, (SELECT code FROM value_codes WHERE text = ?3),
                     (SELECT code FROM value_codes WHERE text = ?4), ?5, ?6, ?7, ?7, ?7, 1, ?8,
                     NULL, ?9)
                 ON CONFLICT(host_key, rule_key) DO UPDATE SET
                     status = excluded.status, severity = excluded.severity,
                     reason = excluded.reason, evidence_id = excluded.evidence_id,
                     waiver = excluded.waiver,
                     last_changed_at = excluded.last_changed_at,
                     last_checked_at = excluded.last_checked_at, check_count = check_count + 1,
                     last_scan_id = excluded.last_scan_id, removed_at = NULL",
            )?
            .execute(params![
                host_key,
                rule_key,
                stored_status(record.status).as_str(),
                record.severity.as_str(),
                record.reason,
                evidence_id,
                at,
                scan_bytes,
                record.waiver,
            ])?;
        }
        if !members.own.contains(&record.rule_id) {
            tx.prepare_cached(
                "INSERT INTO rule_state_sources (host_key, source_id, rule_key)
                 VALUES (?1, ?2, ?3)",
            )?
            .execute(params![host_key, source, rule_key])?;
        }
        if let Some(kind) = kind {
            // A rule that comes back changed from nothing.
            let from = previous.filter(|prev| !prev.removed);
            let keys = RowKeys {
                host_key,
                rule_key,
                evidence_id,
                previous_evidence_id: from.and_then(|prev| prev.evidence_id),
                previous_reason: from.and_then(|prev| prev.reason.clone()),
                waiver: record.waiver.clone(),
                previous_waiver: previous.and_then(|prev| prev.waiver.clone()),
            };
            log.push(
                keys,
                TxRow {
                    id: 0,
                    scan_id: scan_id.clone(),
                    host: host.to_string(),
                    rule_id: record.rule_id.clone(),
                    change_kind: kind.as_str().to_string(),
                    previous_status: previous.map(|p| p.status.as_str().to_string()),
                    new_status: Some(record.status.as_str().to_string()),
                    previous_severity: previous.map(|p| p.severity.as_str().to_string()),
                    severity: record.severity.as_str().to_string(),
                    reason: record.reason.clone(),
                    evidence: Some(item.evidence_text.clone()),
                    evidence_hash: Some(item.hash.clone()),
                    occurred_at: at,
                },
            )?;
        }
        // An unchanged rule keeps its stored evidence.
        let evidence_id = evidence_id.or(previous.and_then(|prev| prev.evidence_id));
        current.insert(
            record.rule_id.clone(),
            Current {
                rule_key,
                status: record.status,
                severity: record.severity,
                hash: item.hash.clone(),
                evidence_id,
                reason: record.reason.clone(),
                waiver: record.waiver.clone(),
                removed: false,
            },
        );
    }

    // Only a complete scan of the whole rule source proves a rule is gone: a partial run may
    // not have got there, a selection did not look, and another source never had the rule.
    if batch.status == ScanStatus::Ok && batch.scope == Scope::Full {
        let present: HashSet<&str> = prepared.iter().map(|p| p.record.rule_id.as_str()).collect();
        for (rule_id, state) in current.iter_mut() {
            if state.removed || present.contains(rule_id.as_str()) {
                continue;
            }
            // The rule left this source; it is gone only if no other source holds it (a row
            // that no source holds predates sources and is adopted, as before them).
            let holders = members.holders.get(rule_id).copied().unwrap_or(0);
            if members.own.contains(rule_id) {
                tx.prepare_cached(
                    "DELETE FROM rule_state_sources
                     WHERE host_key = ?1 AND source_id = ?2 AND rule_key = ?3",
                )?
                .execute(params![host_key, source, state.rule_key])?;
                if holders > 1 {
                    continue;
                }
            } else if holders > 0 {
                continue;
            }
            tx.prepare_cached(
                "UPDATE rule_state SET removed_at = ?3, last_changed_at = ?3
                 WHERE host_key = ?1 AND rule_key = ?2",
            )?
            .execute(params![host_key, state.rule_key, at])?;
            let keys = RowKeys {
                host_key,
                rule_key: state.rule_key,
                evidence_id: None,
                previous_evidence_id: state.evidence_id,
                previous_reason: state.reason.clone(),
                waiver: None,
                previous_waiver: state.waiver.clone(),
            };
            log.push(
                keys,
                TxRow {
                    id: 0,
                    scan_id: scan_id.clone(),
                    host: host.to_string(),
                    rule_id: rule_id.clone(),
                    change_kind: ChangeKind::Removed.as_str().to_string(),
                    previous_status: Some(state.status.as_str().to_string()),
                    new_status: None,
                    previous_severity: Some(state.severity.as_str().to_string()),
                    severity: state.severity.as_str().to_string(),
                    reason: None,
                    evidence: None,
                    evidence_hash: None,
                    occurred_at: at,
                },
            )?;
            state.removed = true;
        }
    }

    update_host_summary(tx, host, &current)?;
    let changes = log.into_changes();
    insert_scan(
        tx,
        batch,
        Some(&batch_hash),
        counts,
        score,
        false,
        changes.len(),
    )?;
    Ok(ApplyOutcome {
        scan_id: batch.scan_id,
        replayed: false,
        fast_path: false,
        changes,
        counts,
        score,
    })
}

/// Stores an evidence text once, under the result hash of the rows that hold it (the hash
/// covers the evidence, so one hash has one text), and returns its id. The `transactions`
/// and `host_rule_state` views join it back.
fn store_evidence(tx: &Transaction, hash: &str, body: &str) -> rusqlite::Result<i64> {
    tx.prepare_cached(
        "INSERT INTO evidence (hash, body) VALUES (unhex(?1), ?2) ON CONFLICT(hash) DO NOTHING",
    )?
    .execute(params![hash, body])?;
    tx.prepare_cached("SELECT id FROM evidence WHERE hash = unhex(?1)")?
        .query_row([hash], |row| row.get(0))
}

fn upsert_rule(
    tx: &Transaction,
    record: &super::model::ResultRecord,
    at: i64,
) -> rusqlite::Result<()> {
    let content_hash = canonical_hash(&json!({
        "id": record.rule_id, "title": record.title, "severity": record.severity.as_str()
    }));
    tx.prepare_cached(
        "INSERT INTO rules (id, title, severity, content_hash, first_seen) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(id) DO UPDATE SET title = excluded.title, severity = excluded.severity,
             content_hash = excluded.content_hash
         WHERE content_hash <> excluded.content_hash",
    )?
    .execute(params![
        record.rule_id,
        record.title,
        record.severity.as_str(),
        content_hash,
        at
    ])?;
    Ok(())
}

/// Keeps the per-host summary columns equal to the host's live (non-removed) rows.
fn update_host_summary(
    tx: &Transaction,
    host: &str,
    current: &BTreeMap<String, Current>,
) -> rusqlite::Result<()> {
    let live: Vec<(&String, &Current)> = current.iter().filter(|(_, c)| !c.removed).collect();
    let counts = counts_of(live.iter().map(|(_, c)| c.status));
    let mut failing = FailingCounts::default();
    live.iter()
        .filter(|(_, c)| c.status == Status::Fail)
        .for_each(|(_, c)| failing.add(c.severity));
    let hash = scan_result_hash(
        live.iter()
            .map(|(id, c)| (id.as_str(), c.status, c.hash.as_str())),
    );
    tx.prepare_cached(
        "UPDATE hosts SET current_result_hash = ?2, pass_count = ?3, fail_count = ?4,
             skipped_count = ?5, error_count = ?6, fail_critical = ?7, fail_high = ?8,
             fail_medium = ?9, fail_low = ?10, waived_count = ?11
         WHERE name = ?1",
    )?
    .execute(params![
        host,
        hash,
        counts.pass,
        counts.fail,
        counts.skipped,
        counts.error,
        failing.critical,
        failing.high,
        failing.medium,
        failing.low,
        counts.waived
    ])?;
    Ok(())
}

/// A status word as the base tables' status columns hold it (the row hash covers `waived`).
fn stored_status_text(status: Option<&str>) -> Option<&str> {
    status.map(|text| match text.parse::<Status>() {
        Ok(status) => stored_status(status).as_str(),
        Err(_) => text,
    })
}

/// What a change-log row refers to in the compact tables (the logical row is a [`TxRow`]).
struct RowKeys {
    host_key: i64,
    rule_key: i64,
    evidence_id: Option<i64>,
    /// The state changed from; `None` for a first sighting.
    previous_evidence_id: Option<i64>,
    previous_reason: Option<String>,
    /// Waiver ids of a `waived` new / previous state (their status columns hold `fail`).
    waiver: Option<String>,
    previous_waiver: Option<String>,
}

/// Appends chained rows to `change_log` (read as `transactions`) within the scan's
/// transaction.
struct ChangeLog<'t, 'c> {
    tx: &'t Transaction<'c>,
    prev_hash: String,
    next_id: i64,
    scan_key: Option<i64>,
    changes: Vec<Change>,
}

impl<'t, 'c> ChangeLog<'t, 'c> {
    fn new(tx: &'t Transaction<'c>) -> rusqlite::Result<Self> {
        // Ids are assigned here (not by SQLite) because the id is part of the hashed row;
        // the IMMEDIATE lock makes this race-free. sqlite_sequence keeps ids unique after prune.
        let last: Option<i64> = tx
            .query_row(
                "SELECT seq FROM sqlite_sequence WHERE name = 'change_log'",
                [],
                |row| row.get(0),
            )
            .optional()?;
        Ok(ChangeLog {
            tx,
            prev_hash: chain_head(tx)?,
            next_id: last.unwrap_or(0) + 1,
            scan_key: None,
            changes: Vec::new(),
        })
    }

    /// `prev_hash` is not stored: the `transactions` view derives it from the previous row.
    fn push(&mut self, keys: RowKeys, mut row: TxRow) -> rusqlite::Result<()> {
        row.id = self.next_id;
        let row_hash = row.row_hash(&self.prev_hash);
        self.tx
            .prepare_cached(
                "INSERT INTO change_log (id, scan_key, host_key, rule_key, change_kind,
                     previous_status, new_status, previous_severity, severity, reason,
                     evidence_id, occurred_at, row_hash, previous_evidence_id, previous_reason,
                     waiver, previous_waiver)
                 VALUES (?1, ?2, ?3, ?4,
                     (SELECT code FROM value_codes WHERE text = ?5),
                     (SELECT code FROM value_codes WHERE text = ?6),
                     (SELECT code FROM value_codes WHERE text = ?7),
                     (SELECT code FROM value_codes WHERE text = ?8),
                     (SELECT code FROM value_codes WHERE text = ?9),
                     ?10, ?11, ?12, unhex(?13), ?14, ?15, ?16, ?17)",
            )?
            .execute(params![
                row.id,
                self.scan_key(&row.scan_id)?,
                keys.host_key,
                keys.rule_key,
                row.change_kind,
                stored_status_text(row.previous_status.as_deref()),
                stored_status_text(row.new_status.as_deref()),
                row.previous_severity,
                row.severity,
                row.reason,
                keys.evidence_id,
                row.occurred_at,
                row_hash,
                keys.previous_evidence_id,
                keys.previous_reason,
                keys.waiver,
                keys.previous_waiver,
            ])?;
        self.changes.push(Change {
            rule_id: row.rule_id,
            kind: parse(row.change_kind)?,
            previous_status: row.previous_status.map(parse).transpose()?,
            new_status: row.new_status.map(parse).transpose()?,
            severity: parse(row.severity)?,
        });
        self.prev_hash = row_hash;
        self.next_id += 1;
        Ok(())
    }

    /// The scan's key in `scan_keys`, created with its first change-log row.
    fn scan_key(&mut self, scan_id: &str) -> rusqlite::Result<i64> {
        if let Some(key) = self.scan_key {
            return Ok(key);
        }
        self.tx
            .prepare_cached(
                "INSERT INTO scan_keys (scan_id) VALUES (unhex(replace(?1, '-', '')))
                 ON CONFLICT(scan_id) DO NOTHING",
            )?
            .execute([scan_id])?;
        let key = self
            .tx
            .prepare_cached(
                "SELECT key FROM scan_keys WHERE scan_id = unhex(replace(?1, '-', ''))",
            )?
            .query_row([scan_id], |row| row.get(0))?;
        self.scan_key = Some(key);
        Ok(key)
    }

    fn into_changes(self) -> Vec<Change> {
        self.changes
    }
}
