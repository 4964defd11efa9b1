//! Write-on-change `apply_scan`: validate the whole batch, then one IMMEDIATE transaction.

use super::Store;
use super::chain::{TxRow, lock_chain_head};
use super::db::{DbError, DbResult, ToValue, Tx, TxMode, Value, args, parse};
use super::error::StoreError;
use super::model::{ChangeKind, Counts, ScanBatch, ScanStatus, Severity, Status};
use super::plan::{self, HistoryRow, Memberships, Prepared, PreviousRule, totals, validate};
use super::schema::{stored_status, waived_status};
use crate::canonical::{canonical_hash, to_canonical_string};
use serde::Serialize;
use serde_json::json;
use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

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

impl Store {
    /// Records one host scan (DESIGN §4 write-on-change). Validates first, so a rejected
    /// batch writes nothing; a replayed scan_id is a no-op.
    pub fn apply_scan(&mut self, batch: &ScanBatch) -> Result<ApplyOutcome, StoreError> {
        let prepared = validate(batch)?;
        let (mut tx, at) = self.begin(TxMode::Write, "starting the scan transaction")?;
        let known = Known::read(&mut tx, batch).map_err(at.fail("reading the host's state"))?;
        if known.replayed {
            return replayed_outcome(&mut tx, batch).map_err(at.fail("reading a replayed scan"));
        }
        let outcome =
            write_scan(&mut tx, batch, &prepared, known).map_err(at.fail("recording the scan"))?;
        tx.commit().map_err(at.fail("committing the scan"))?;
        Ok(outcome)
    }
}

/// What the store already knows of a batch's scan and host, read in one statement: on
/// PostgreSQL each statement is a round trip, and an unchanged re-scan needs all of it.
struct Known {
    replayed: bool,
    current_hash: Option<String>,
    host_key: Option<i64>,
    source: Option<i64>,
    /// The source already holds exactly the host's live rules, so a scan whose results equal
    /// the live state changes no membership either (the fast path's second condition).
    source_holds_all_live: bool,
}

impl Known {
    fn read(tx: &mut Tx, batch: &ScanBatch) -> DbResult<Known> {
        let scan_id = batch.scan_id.to_string();
        tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM scans WHERE scan_id = ?1),
                    (SELECT current_result_hash FROM hosts WHERE name = ?2),
                    (SELECT key FROM host_keys WHERE name = ?2),
                    (SELECT id FROM rule_sources WHERE name = ?3),
                    (SELECT count(*) FROM rule_state_sources
                     WHERE host_key = (SELECT key FROM host_keys WHERE name = ?2)
                       AND source_id = (SELECT id FROM rule_sources WHERE name = ?3))
                    = (SELECT pass_count + fail_count + skipped_count + error_count + waived_count
                       FROM hosts WHERE name = ?2)",
            &args![scan_id, batch.host.name, batch.rule_source],
            |row| {
                Ok(Known {
                    replayed: row.get(0)?,
                    current_hash: row.get(1)?,
                    host_key: row.get(2)?,
                    source: row.get(3)?,
                    source_holds_all_live: row.get::<Option<bool>>(4)?.unwrap_or(false),
                })
            },
        )
    }
}

/// The outcome a replayed scan_id had when it was recorded; nothing is written.
fn replayed_outcome(tx: &mut Tx, batch: &ScanBatch) -> DbResult<ApplyOutcome> {
    let scan_id = batch.scan_id.to_string();
    let row = tx.query_row(
        "SELECT pass_count, fail_count, skipped_count, error_count, score, fast_path,
                    waived_count
             FROM scans WHERE scan_id = ?1",
        &args![&scan_id],
        |row| {
            Ok((
                Counts {
                    pass: row.get(0)?,
                    fail: row.get(1)?,
                    skipped: row.get(2)?,
                    error: row.get(3)?,
                    waived: row.get(6)?,
                },
                row.get::<Option<f64>>(4)?,
                row.get::<bool>(5)?,
            ))
        },
    )?;
    let (counts, score, fast_path) = row;
    Ok(ApplyOutcome {
        scan_id: batch.scan_id,
        replayed: true,
        fast_path,
        changes: changes_of_scan(tx, &scan_id)?,
        counts,
        score,
    })
}

/// The change-log rows a scan wrote, in order.
pub(crate) fn changes_of_scan(tx: &mut Tx, scan_id: &str) -> DbResult<Vec<Change>> {
    // The base table, so the (scan_id, rule_key) index is used.
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT r.id, (SELECT text FROM value_codes WHERE code = t.change_kind),
                (SELECT text FROM value_codes WHERE code = {}),
                (SELECT text FROM value_codes WHERE code = {}),
                (SELECT text FROM value_codes WHERE code = t.severity)
         FROM scan_keys AS k JOIN change_log AS t ON t.scan_key = k.key
         JOIN rule_keys AS r ON r.key = t.rule_key
         WHERE k.scan_id = unhex(replace(?1, '-', '')) ORDER BY t.id",
            waived_status("t.previous_status", "t.previous_waiver"),
            waived_status("t.new_status", "t.waiver"),
        )
    });
    tx.query_map(SQL.as_str(), &args![scan_id], |row| {
        Ok(Change {
            rule_id: row.get(0)?,
            kind: parse(row.get(1)?)?,
            previous_status: row.get::<Option<String>>(2)?.map(parse).transpose()?,
            new_status: row.get::<Option<String>>(3)?.map(parse).transpose()?,
            severity: parse(row.get(4)?)?,
        })
    })
}

/// The host's unchanged re-scans, which checked its live rule states without writing them
/// (see [`super::schema::unwritten_checks`]).
struct FastScans {
    count: i64,
    /// The last one's finish time and scan id (16 bytes).
    at: Option<i64>,
    scan_id: Option<Vec<u8>>,
}

/// Inserts or updates the host's row; a `fast_path` scan also counts itself there. Returns
/// the host's fast-path scans, read under the row's lock.
fn upsert_host(tx: &mut Tx, batch: &ScanBatch, fast_path: bool) -> DbResult<FastScans> {
    let host = &batch.host;
    let labels = serde_json::to_value(&host.labels).unwrap_or_default();
    // The host's last scan is this one: set here, in the same statement, as it saves a
    // round trip to PostgreSQL (the scans row follows in this transaction).
    tx.query_row(
        "INSERT INTO hosts (name, address, port, \"user\", labels, first_seen, last_scan_id,
             last_scan_at, last_scan_status)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT(name) DO UPDATE SET address = excluded.address, port = excluded.port,
             \"user\" = excluded.\"user\", labels = excluded.labels, removed_at = NULL,
             last_scan_id = excluded.last_scan_id, last_scan_at = excluded.last_scan_at,
             last_scan_status = excluded.last_scan_status,
             fast_scans = hosts.fast_scans + ?10,
             fast_scan_at = CASE WHEN ?10 = 0 THEN hosts.fast_scan_at ELSE excluded.last_scan_at END,
             fast_scan_id = CASE WHEN ?10 = 0 THEN hosts.fast_scan_id ELSE ?11 END
         RETURNING fast_scans, fast_scan_at, fast_scan_id",
        &args![
            host.name,
            host.address,
            host.port,
            host.user,
            to_canonical_string(&labels),
            batch.started_at,
            batch.scan_id.to_string(),
            batch.finished_at,
            batch.status.as_str(),
            i64::from(fast_path),
            batch.scan_id.as_bytes().as_slice()
        ],
        |row| {
            Ok(FastScans {
                count: row.get(0)?,
                at: row.get(1)?,
                scan_id: row.get(2)?,
            })
        },
    )
}

#[allow(clippy::too_many_arguments)]
fn insert_scan(
    tx: &mut Tx,
    batch: &ScanBatch,
    result_hash: Option<&str>,
    counts: Counts,
    score: Option<f64>,
    fast_path: bool,
    change_count: usize,
) -> DbResult<()> {
    tx.execute(
        "INSERT INTO scans (scan_id, host, trigger, started_at, finished_at, status, error,
             policy_version, ruleset_hash, result_hash, pass_count, fail_count, skipped_count,
             error_count, score, fast_path, change_count, scope, rule_source, waived_count)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
             ?18, ?19, ?20)",
        &args![
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
        ],
    )?;
    Ok(())
}

/// A stored row's keys in the compact tables, beside what change detection reads.
struct StoredKeys {
    rule_key: i64,
    evidence_id: Option<i64>,
}

/// Every stored row of the host, removed ones included.
fn load_current(
    tx: &mut Tx,
    host_key: i64,
) -> DbResult<(BTreeMap<String, PreviousRule>, BTreeMap<String, StoredKeys>)> {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT r.id, s.rule_key, (SELECT text FROM value_codes WHERE code = {}),
                (SELECT text FROM value_codes WHERE code = s.severity), lower(hex(e.hash)),
                s.removed_at IS NOT NULL, s.evidence_id, s.reason, s.waiver
         FROM rule_state AS s JOIN rule_keys AS r ON r.key = s.rule_key
         LEFT JOIN evidence AS e ON e.id = s.evidence_id
         WHERE s.host_key = ?1",
            waived_status("s.status", "s.waiver"),
        )
    });
    let mut previous = BTreeMap::new();
    let mut stored = BTreeMap::new();
    tx.query_map(SQL.as_str(), &args![host_key], |row| {
        let id: String = row.get(0)?;
        let rule = PreviousRule {
            status: parse(row.get(2)?)?,
            severity: parse(row.get(3)?)?,
            hash: row.get(4)?,
            removed: row.get(5)?,
            reason: row.get(7)?,
            waiver: row.get(8)?,
        };
        let keys = StoredKeys {
            rule_key: row.get(1)?,
            evidence_id: row.get(6)?,
        };
        previous.insert(id.clone(), rule);
        stored.insert(id, keys);
        Ok(())
    })?;
    Ok((previous, stored))
}

/// The integer key that stands for a host name in the compact tables, created on first use.
fn host_key(tx: &mut Tx, name: &str) -> DbResult<i64> {
    tx.execute(
        "INSERT INTO host_keys (name) VALUES (?1) ON CONFLICT(name) DO NOTHING",
        &args![name],
    )?;
    tx.query_row(
        "SELECT key FROM host_keys WHERE name = ?1",
        &args![name],
        |row| row.get(0),
    )
}

/// The id of a rule source's name, created on first use.
fn source_id(tx: &mut Tx, name: &str) -> DbResult<i64> {
    tx.execute(
        "INSERT INTO rule_sources (name) VALUES (?1) ON CONFLICT(name) DO NOTHING",
        &args![name],
    )?;
    tx.query_row(
        "SELECT id FROM rule_sources WHERE name = ?1",
        &args![name],
        |row| row.get(0),
    )
}

fn load_memberships(tx: &mut Tx, host_key: i64, source: i64) -> DbResult<Memberships> {
    let mut members = Memberships::default();
    tx.query_map(
        "SELECT r.id, m.source_id = ?2
         FROM rule_state_sources AS m JOIN rule_keys AS r ON r.key = m.rule_key
         WHERE m.host_key = ?1",
        &args![host_key, source],
        |row| {
            let rule: String = row.get(0)?;
            if row.get::<bool>(1)? {
                members.own.insert(rule.clone());
            }
            *members.holders.entry(rule).or_insert(0) += 1;
            Ok(())
        },
    )?;
    Ok(members)
}

fn write_scan(
    tx: &mut Tx,
    batch: &ScanBatch,
    prepared: &[Prepared],
    known: Known,
) -> DbResult<ApplyOutcome> {
    let host = batch.host.name.as_str();
    let totals = totals(prepared);
    // An error scan creates no keys: it records only the scan row.
    let (keys, current_hash, holds_all) = if batch.status == ScanStatus::Error {
        (None, None, false)
    } else {
        let source = match known.source {
            Some(source) => source,
            None => source_id(tx, &batch.rule_source)?,
        };
        let host_key = match known.host_key {
            Some(key) => key,
            None => host_key(tx, host)?,
        };
        let holds_all = known.current_hash.as_deref() == Some(totals.result_hash.as_str())
            && known.source_holds_all_live;
        (Some((host_key, source)), known.current_hash, holds_all)
    };
    let route = plan::route(batch, &totals, current_hash.as_deref(), holds_all);
    let fast_path = route == plan::Route::Unchanged && keys.is_some();
    let fast = upsert_host(tx, batch, fast_path)?;
    let outcome = |fast_path, counts, score| ApplyOutcome {
        scan_id: batch.scan_id,
        replayed: false,
        fast_path,
        changes: Vec::new(),
        counts,
        score,
    };
    match (route, keys) {
        (plan::Route::Changed, Some((host_key, source))) => {
            write_changes(tx, batch, prepared, totals, (host_key, source), &fast)
        }
        (plan::Route::Unchanged, Some(_)) => {
            // Every live rule state was checked and none is written: the host row counted
            // this scan (write-on-change).
            let hash = Some(totals.result_hash.as_str());
            insert_scan(tx, batch, hash, totals.counts, totals.score, true, 0)?;
            Ok(outcome(true, totals.counts, totals.score))
        }
        _ => {
            // The host could not be scanned: record that, keep its last known state.
            insert_scan(tx, batch, None, Counts::default(), None, false, 0)?;
            Ok(outcome(false, Counts::default(), None))
        }
    }
}

/// The full route: loads the host's rows, plans the changes, and writes the plan. Each kind
/// of write is one statement for all its rows ([`Tx::execute_rows`]), so a scan costs a
/// handful of round trips on PostgreSQL whatever its number of rules.
fn write_changes(
    tx: &mut Tx,
    batch: &ScanBatch,
    prepared: &[Prepared],
    totals: plan::Totals,
    (host_key, source): (i64, i64),
    fast: &FastScans,
) -> DbResult<ApplyOutcome> {
    let host = batch.host.name.as_str();
    let scan_id = batch.scan_id.to_string();
    let scan_bytes = batch.scan_id.as_bytes().as_slice();
    let (previous, stored) = load_current(tx, host_key)?;
    let members = load_memberships(tx, host_key, source)?;
    let at = batch.finished_at;
    let plan = plan::plan_changes(batch, prepared, &previous, &members, at);
    // First, before any shared row: on PostgreSQL the chain's lock serialises changed scans,
    // so concurrent workers never wait on each other's rule rows in opposite orders.
    let mut log = ChangeLog::new(tx)?;
    let codes = ValueCodes::load(tx)?;

    upsert_rules(tx, &plan.results, at)?;
    let rule_keys = rule_keys(tx, &plan.results, &stored)?;
    let key_of = |rule_id: &str| rule_keys.get(rule_id).copied().ok_or(DbError::NoRow);
    let changed: Vec<&plan::ResultStep> = plan
        .results
        .iter()
        .filter(|step| step.history.is_some())
        .collect();
    let evidence_ids = store_evidence(tx, &changed)?;
    let evidence_of = |hash: &str| evidence_ids.get(hash).copied().ok_or(DbError::NoRow);

    // Unchanged: only the counters move (write-on-change), catching up with the host's
    // fast-path scans since each row was written.
    let unchanged = plan
        .results
        .iter()
        .filter(|step| step.history.is_none())
        .map(|step| Ok(vec![Value::Int(key_of(&step.item.record.rule_id)?)]))
        .collect::<DbResult<Vec<_>>>()?;
    tx.execute_rows(
        "UPDATE rule_state SET last_checked_at = ?1, last_scan_id = ?2,
             check_count = check_count + 1
                 + CASE WHEN removed_at IS NULL THEN ?4 - fast_base ELSE 0 END,
             fast_base = ?4
         WHERE host_key = ?3 AND rule_key IN (",
        &args![at, scan_bytes, host_key, fast.count],
        "?",
        ")",
        &unchanged,
    )?;
    let states = changed
        .iter()
        .map(|step| {
            let record = step.item.record;
            Ok(vec![
                Value::Int(host_key),
                Value::Int(key_of(&record.rule_id)?),
                Value::Int(codes.of(stored_status(record.status).as_str())?),
                Value::Int(codes.of(record.severity.as_str())?),
                record.reason.to_value(),
                Value::Int(evidence_of(&step.item.hash)?),
                Value::Int(at),
                Value::Int(at),
                Value::Int(at),
                scan_bytes.to_value(),
                record.waiver.to_value(),
            ])
        })
        .collect::<DbResult<Vec<_>>>()?;
    tx.execute_rows(
        "INSERT INTO rule_state (host_key, rule_key, status, severity, reason, evidence_id,
             first_seen_at, last_changed_at, last_checked_at, check_count, last_scan_id,
             removed_at, waiver, fast_base)
         VALUES ",
        &args![fast.count],
        "(?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, NULL, ?, ?1)",
        " ON CONFLICT(host_key, rule_key) DO UPDATE SET
             status = excluded.status, severity = excluded.severity,
             reason = excluded.reason, evidence_id = excluded.evidence_id,
             waiver = excluded.waiver,
             last_changed_at = excluded.last_changed_at,
             last_checked_at = excluded.last_checked_at,
             check_count = rule_state.check_count + 1 + CASE WHEN rule_state.removed_at IS NULL
                 THEN excluded.fast_base - rule_state.fast_base ELSE 0 END,
             fast_base = excluded.fast_base,
             last_scan_id = excluded.last_scan_id, removed_at = NULL",
        &states,
    )?;
    let joins = plan
        .results
        .iter()
        .filter(|step| step.join_source)
        .map(|step| {
            let key = key_of(&step.item.record.rule_id)?;
            Ok(vec![
                Value::Int(host_key),
                Value::Int(source),
                Value::Int(key),
            ])
        })
        .collect::<DbResult<Vec<_>>>()?;
    tx.execute_rows(
        "INSERT INTO rule_state_sources (host_key, source_id, rule_key) VALUES ",
        &[],
        "(?, ?, ?)",
        "",
        &joins,
    )?;

    // Every removal candidate was loaded, so its keys are known.
    let removal_key = |rule_id: &str| stored.get(rule_id).map(|keys| keys.rule_key);
    let leaving: Vec<_> = plan
        .removals
        .iter()
        .filter(|step| step.leave_source)
        .filter_map(|step| removal_key(&step.rule_id))
        .map(|key| vec![Value::Int(key)])
        .collect();
    tx.execute_rows(
        "DELETE FROM rule_state_sources WHERE host_key = ?1 AND source_id = ?2 AND rule_key IN (",
        &args![host_key, source],
        "?",
        ")",
        &leaving,
    )?;
    let removed: Vec<_> = plan
        .removals
        .iter()
        .filter(|step| step.history.is_some())
        .filter_map(|step| removal_key(&step.rule_id))
        .map(|key| vec![Value::Int(key)])
        .collect();
    tx.execute_rows(
        // A row leaving the live state keeps the fast-path checks it had.
        "UPDATE rule_state SET removed_at = ?1, last_changed_at = ?1,
             check_count = check_count
                 + CASE WHEN removed_at IS NULL THEN ?3 - fast_base ELSE 0 END,
             last_checked_at = CASE WHEN removed_at IS NULL AND ?3 > fast_base
                 THEN ?4 ELSE last_checked_at END,
             last_scan_id = CASE WHEN removed_at IS NULL AND ?3 > fast_base
                 THEN ?5 ELSE last_scan_id END,
             fast_base = ?3
         WHERE host_key = ?2 AND rule_key IN (",
        &args![at, host_key, fast.count, fast.at, fast.scan_id],
        "?",
        ")",
        &removed,
    )?;

    // The change log, in plan order: results, then removals.
    let row_keys = |history: &HistoryRow, rule_key: i64, evidence_id: Option<i64>| RowKeys {
        host_key,
        rule_key,
        evidence_id,
        previous_evidence_id: stored
            .get(&history.rule_id)
            .filter(|_| history.from_live)
            .and_then(|keys| keys.evidence_id),
        previous_reason: history.previous_reason.clone(),
        waiver: history.waiver.clone(),
        previous_waiver: history.previous_waiver.clone(),
    };
    for step in &changed {
        if let Some(history) = &step.history {
            let keys = row_keys(
                history,
                key_of(&step.item.record.rule_id)?,
                Some(evidence_of(&step.item.hash)?),
            );
            log.push(&codes, keys, tx_row(history, &scan_id, host))?;
        }
    }
    for step in &plan.removals {
        if let (Some(history), Some(key)) = (&step.history, removal_key(&step.rule_id)) {
            log.push(
                &codes,
                row_keys(history, key, None),
                tx_row(history, &scan_id, host),
            )?;
        }
    }
    let changes = log.write(tx, &scan_id)?;

    update_host_summary(tx, host, &plan.summary)?;
    insert_scan(
        tx,
        batch,
        Some(&totals.result_hash),
        totals.counts,
        totals.score,
        false,
        changes.len(),
    )?;
    Ok(ApplyOutcome {
        scan_id: batch.scan_id,
        replayed: false,
        fast_path: false,
        changes,
        counts: totals.counts,
        score: totals.score,
    })
}

/// The logical change-log row of a planned history row (the id is the log's).
fn tx_row(history: &HistoryRow, scan_id: &str, host: &str) -> TxRow {
    TxRow {
        id: 0,
        scan_id: scan_id.to_string(),
        host: host.to_string(),
        rule_id: history.rule_id.clone(),
        change_kind: history.kind.as_str().to_string(),
        previous_status: history.previous_status.map(|s| s.as_str().to_string()),
        new_status: history.new_status.map(|s| s.as_str().to_string()),
        previous_severity: history.previous_severity.map(|s| s.as_str().to_string()),
        severity: history.severity.as_str().to_string(),
        reason: history.reason.clone(),
        evidence: history.evidence.clone(),
        evidence_hash: history.evidence_hash.clone(),
        occurred_at: history.occurred_at,
    }
}

/// Inserts or updates the `rules` row of every result whose title or severity is new.
/// Rows are written in id order, so workers writing the same new rules at once wait on each
/// other rather than deadlock.
fn upsert_rules(tx: &mut Tx, results: &[plan::ResultStep], at: i64) -> DbResult<()> {
    let ids: Vec<Vec<Value>> = results
        .iter()
        .map(|step| vec![step.item.record.rule_id.to_value()])
        .collect();
    let stored: HashMap<String, String> = tx
        .query_rows(
            "SELECT id, content_hash FROM rules WHERE id IN (",
            "?",
            ")",
            &ids,
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?
        .into_iter()
        .collect();
    let mut rows: Vec<(&str, Vec<Value>)> = results
        .iter()
        .filter_map(|step| {
            let record = step.item.record;
            let content_hash = canonical_hash(&json!({
                "id": record.rule_id, "title": record.title, "severity": record.severity.as_str()
            }));
            (stored.get(&record.rule_id) != Some(&content_hash)).then(|| {
                let row = vec![
                    record.rule_id.to_value(),
                    record.title.to_value(),
                    Value::Text(record.severity.as_str().into()),
                    Value::Text(content_hash.into()),
                    Value::Int(at),
                ];
                (record.rule_id.as_str(), row)
            })
        })
        .collect();
    rows.sort_by(|a, b| a.0.cmp(b.0));
    let rows: Vec<Vec<Value>> = rows.into_iter().map(|(_, row)| row).collect();
    tx.execute_rows(
        "INSERT INTO rules (id, title, severity, content_hash, first_seen) VALUES ",
        &[],
        "(?, ?, ?, ?, ?)",
        " ON CONFLICT(id) DO UPDATE SET title = excluded.title, severity = excluded.severity,
             content_hash = excluded.content_hash
         WHERE rules.content_hash <> excluded.content_hash",
        &rows,
    )?;
    Ok(())
}

/// The integer key of every result's rule id in the compact tables, created on first use.
fn rule_keys(
    tx: &mut Tx,
    results: &[plan::ResultStep],
    stored: &BTreeMap<String, StoredKeys>,
) -> DbResult<HashMap<String, i64>> {
    let mut keys: HashMap<String, i64> = stored
        .iter()
        .map(|(id, keys)| (id.clone(), keys.rule_key))
        .collect();
    let mut new: Vec<&str> = results
        .iter()
        .map(|step| step.item.record.rule_id.as_str())
        .filter(|id| !keys.contains_key(*id))
        .collect();
    new.sort_unstable();
    let rows: Vec<Vec<Value>> = new.iter().map(|id| vec![id.to_value()]).collect();
    tx.execute_rows(
        "INSERT INTO rule_keys (id) VALUES ",
        &[],
        "(?)",
        " ON CONFLICT(id) DO NOTHING",
        &rows,
    )?;
    keys.extend(tx.query_rows(
        "SELECT id, key FROM rule_keys WHERE id IN (",
        "?",
        ")",
        &rows,
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?);
    Ok(keys)
}

/// Stores each evidence text once, under the result hash of the rows that hold it (the hash
/// covers the evidence, so one hash has one text), and returns the ids by hash. The
/// `transactions` and `host_rule_state` views join it back.
fn store_evidence(tx: &mut Tx, changed: &[&plan::ResultStep]) -> DbResult<HashMap<String, i64>> {
    let mut bodies: BTreeMap<&str, &str> = BTreeMap::new();
    for step in changed {
        bodies.insert(&step.item.hash, &step.item.evidence_text);
    }
    let rows: Vec<Vec<Value>> = bodies
        .iter()
        .map(|(hash, body)| vec![hash.to_value(), body.to_value()])
        .collect();
    tx.execute_rows(
        "INSERT INTO evidence (hash, body) VALUES ",
        &[],
        "(unhex(?), ?)",
        " ON CONFLICT(hash) DO NOTHING",
        &rows,
    )?;
    let hashes: Vec<Vec<Value>> = bodies.keys().map(|hash| vec![hash.to_value()]).collect();
    tx.query_rows(
        "SELECT lower(hex(hash)), id FROM evidence WHERE hash IN (",
        "unhex(?)",
        ")",
        &hashes,
        |row| Ok((row.get(0)?, row.get(1)?)),
    )
    .map(|pairs| pairs.into_iter().collect())
}

/// Keeps the per-host summary columns equal to the host's live (non-removed) rows.
fn update_host_summary(tx: &mut Tx, host: &str, summary: &plan::HostSummary) -> DbResult<()> {
    let (counts, failing) = (summary.counts, summary.failing);
    tx.execute(
        "UPDATE hosts SET current_result_hash = ?2, pass_count = ?3, fail_count = ?4,
             skipped_count = ?5, error_count = ?6, fail_critical = ?7, fail_high = ?8,
             fail_medium = ?9, fail_low = ?10, waived_count = ?11
         WHERE name = ?1",
        &args![
            host,
            summary.result_hash,
            counts.pass,
            counts.fail,
            counts.skipped,
            counts.error,
            failing.critical,
            failing.high,
            failing.medium,
            failing.low,
            counts.waived
        ],
    )?;
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

/// The integer codes the compact tables store words as (`value_codes`), read once per
/// changed scan so rows carry their codes instead of a lookup each.
struct ValueCodes(HashMap<String, i64>);

impl ValueCodes {
    fn load(tx: &mut Tx) -> DbResult<ValueCodes> {
        let pairs = tx.query_map("SELECT text, code FROM value_codes", &args![], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })?;
        Ok(ValueCodes(pairs.into_iter().collect()))
    }

    fn of(&self, word: &str) -> DbResult<i64> {
        self.0.get(word).copied().ok_or_else(|| DbError::Decode {
            column: 0,
            problem: format!("{word:?} has no value code"),
        })
    }
}

/// Chains the change log's new rows (read as `transactions`) and writes them in one go
/// within the scan's transaction.
struct ChangeLog {
    prev_hash: String,
    next_id: i64,
    rows: Vec<Vec<Value<'static>>>,
    changes: Vec<Change>,
}

impl ChangeLog {
    /// Takes the chain's head; on PostgreSQL this also takes the chain's lock, held to
    /// commit, which is what makes assigning ids and hashes here race-free.
    fn new(tx: &mut Tx) -> DbResult<Self> {
        // Ids are assigned here (not by the database) because the id is part of the hashed
        // row.
        let (last_id, prev_hash) = lock_chain_head(tx)?;
        Ok(ChangeLog {
            prev_hash,
            next_id: last_id + 1,
            rows: Vec::new(),
            changes: Vec::new(),
        })
    }

    /// `prev_hash` is not stored: the `transactions` view derives it from the previous row.
    fn push(&mut self, codes: &ValueCodes, keys: RowKeys, mut row: TxRow) -> DbResult<()> {
        row.id = self.next_id;
        let row_hash = row.row_hash(&self.prev_hash);
        let text =
            |value: Option<&str>| value.map_or(Value::Null, |v| Value::Text(v.to_string().into()));
        let int = |value: Option<i64>| value.map_or(Value::Null, Value::Int);
        let code = |value: Option<&str>| -> DbResult<Value<'static>> {
            value.map_or(Ok(Value::Null), |v| codes.of(v).map(Value::Int))
        };
        self.rows.push(vec![
            Value::Int(row.id),
            Value::Int(keys.host_key),
            Value::Int(keys.rule_key),
            code(Some(&row.change_kind))?,
            code(stored_status_text(row.previous_status.as_deref()))?,
            code(stored_status_text(row.new_status.as_deref()))?,
            code(row.previous_severity.as_deref())?,
            code(Some(&row.severity))?,
            text(row.reason.as_deref()),
            int(keys.evidence_id),
            Value::Int(row.occurred_at),
            text(Some(&row_hash)),
            int(keys.previous_evidence_id),
            text(keys.previous_reason.as_deref()),
            text(keys.waiver.as_deref()),
            text(keys.previous_waiver.as_deref()),
        ]);
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

    /// Writes the rows under the scan's key (created with the first row) and returns the
    /// changes they record.
    fn write(self, tx: &mut Tx, scan_id: &str) -> DbResult<Vec<Change>> {
        if self.rows.is_empty() {
            return Ok(self.changes);
        }
        tx.execute(
            "INSERT INTO scan_keys (scan_id) VALUES (unhex(replace(?1, '-', '')))
             ON CONFLICT(scan_id) DO NOTHING",
            &args![scan_id],
        )?;
        let scan_key: i64 = tx.query_row(
            "SELECT key FROM scan_keys WHERE scan_id = unhex(replace(?1, '-', ''))",
            &args![scan_id],
            |row| row.get(0),
        )?;
        tx.execute_rows(
            "INSERT INTO change_log (scan_key, id, host_key, rule_key, change_kind,
                 previous_status, new_status, previous_severity, severity, reason,
                 evidence_id, occurred_at, row_hash, previous_evidence_id, previous_reason,
                 waiver, previous_waiver)
             VALUES ",
            &args![scan_key],
            "(?1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, unhex(?), ?, ?, ?, ?)",
            "",
            &self.rows,
        )?;
        Ok(self.changes)
    }
}
