//! Change detection for `apply_scan` as pure functions: no SQL and no clock. Given the host's
//! previous rows and a validated batch, they decide which route a scan takes and, on the full
//! route, which state rows, source memberships, removals and change-log rows it writes. A
//! backend loads the inputs and writes the plan in one transaction (DESIGN §4).

use super::error::StoreError;
use super::model::{
    ChangeKind, Counts, FailingCounts, ResultRecord, ScanBatch, ScanStatus, Scope, Severity, Status,
};
use crate::canonical::{sha256_hex, to_canonical_string, write_string};
use crate::eval::{MAX_EVIDENCE_BYTES, evidence_size};
use std::collections::{BTreeMap, HashSet};

/// Hash of one result: canonical JSON of {rule_id, status, reason, severity, evidence}.
pub fn result_hash(
    rule_id: &str,
    status: Status,
    reason: Option<&str>,
    severity: Severity,
    evidence: &serde_json::Value,
) -> String {
    let evidence = to_canonical_string(evidence);
    result_hash_of_text(rule_id, status, reason, severity, &evidence)
}

/// [`result_hash`] of evidence already in canonical text (a scan has it for its size check).
/// The object's names are ASCII, so RFC 8785 orders them as written here.
fn result_hash_of_text(
    rule_id: &str,
    status: Status,
    reason: Option<&str>,
    severity: Severity,
    evidence: &str,
) -> String {
    let mut text = String::with_capacity(evidence.len() + rule_id.len() + 128);
    text.push_str("{\"evidence\":");
    text.push_str(evidence);
    text.push_str(",\"reason\":");
    match reason {
        Some(reason) => write_string(&mut text, reason),
        None => text.push_str("null"),
    }
    text.push_str(",\"rule_id\":");
    write_string(&mut text, rule_id);
    text.push_str(",\"severity\":");
    write_string(&mut text, severity.as_str());
    text.push_str(",\"status\":");
    write_string(&mut text, status.as_str());
    text.push('}');
    sha256_hex(text)
}

/// Hash of a whole scan over its (rule_id, status, result hash) entries sorted by rule_id:
/// the canonical JSON of the list of `[rule_id, status, hash]` triples. The per-result hash
/// (which also covers severity, reason and evidence) stands in for the "evidence hash", so a
/// severity-only change cannot slip through the fast path.
pub fn scan_result_hash<'a>(
    entries: impl IntoIterator<Item = (&'a str, Status, &'a str)>,
) -> String {
    let mut sorted: Vec<_> = entries.into_iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    let mut text = String::with_capacity(sorted.len() * 112 + 2);
    text.push('[');
    for (index, (rule, status, hash)) in sorted.into_iter().enumerate() {
        if index > 0 {
            text.push(',');
        }
        text.push('[');
        write_string(&mut text, rule);
        text.push(',');
        write_string(&mut text, status.as_str());
        text.push(',');
        write_string(&mut text, hash);
        text.push(']');
    }
    text.push(']');
    sha256_hex(text)
}

/// A validated result, with the canonical forms computed once.
pub(crate) struct Prepared<'a> {
    pub record: &'a ResultRecord,
    pub evidence_text: String,
    pub hash: String,
}

/// Checks the whole batch, so a rejected one writes nothing; at most 20 problems are named.
pub(crate) fn validate(batch: &ScanBatch) -> Result<Vec<Prepared<'_>>, StoreError> {
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
        let hash = result_hash_of_text(
            id,
            record.status,
            record.reason.as_deref(),
            record.severity,
            &evidence_text,
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

pub(crate) fn counts_of(statuses: impl IntoIterator<Item = Status>) -> Counts {
    let mut counts = Counts::default();
    statuses.into_iter().for_each(|s| counts.add(s));
    counts
}

/// What a scan's own results add up to.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Totals {
    pub counts: Counts,
    pub score: Option<f64>,
    /// [`scan_result_hash`] over the batch.
    pub result_hash: String,
}

pub(crate) fn totals(prepared: &[Prepared]) -> Totals {
    let counts = counts_of(prepared.iter().map(|p| p.record.status));
    Totals {
        counts,
        score: counts.score(),
        result_hash: scan_result_hash(
            prepared
                .iter()
                .map(|p| (p.record.rule_id.as_str(), p.record.status, p.hash.as_str())),
        ),
    }
}

/// Which way a scan is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route {
    /// The host could not be scanned: only the scan row; its last known state stays.
    Failed,
    /// The results equal the host's live state: no change-log rows, only counters move.
    Unchanged,
    /// Compare rule by rule ([`plan_changes`]).
    Changed,
}

/// The fast-path decision. `current_result_hash` is the host's stored hash over its live
/// rows; `source_holds_all_live` says the batch's rule source already holds exactly those
/// rows, so equal results change no membership either.
pub(crate) fn route(
    batch: &ScanBatch,
    totals: &Totals,
    current_result_hash: Option<&str>,
    source_holds_all_live: bool,
) -> Route {
    if batch.status == ScanStatus::Error {
        Route::Failed
    } else if current_result_hash == Some(totals.result_hash.as_str()) && source_holds_all_live {
        Route::Unchanged
    } else {
        Route::Changed
    }
}

/// The host's stored row for one rule, as change detection needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PreviousRule {
    pub status: Status,
    pub severity: Severity,
    /// [`result_hash`] of the stored result.
    pub hash: String,
    pub reason: Option<String>,
    /// The waiver id of a `waived` state.
    pub waiver: Option<String>,
    pub removed: bool,
}

/// Rule sources per rule for the host: the batch source's rules, and how many sources hold
/// each rule.
#[derive(Debug, Clone, Default)]
pub(crate) struct Memberships {
    pub own: HashSet<String>,
    pub holders: BTreeMap<String, usize>,
}

/// One change-log row to append (the chain fields are the writer's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HistoryRow {
    pub rule_id: String,
    pub kind: ChangeKind,
    pub previous_status: Option<Status>,
    /// `None` for `removed`.
    pub new_status: Option<Status>,
    pub previous_severity: Option<Severity>,
    pub severity: Severity,
    pub reason: Option<String>,
    pub evidence: Option<String>,
    pub evidence_hash: Option<String>,
    /// The row changes from the rule's live stored state, so it refers to that state's
    /// evidence; false for a first sighting and for a rule coming back after removal.
    pub from_live: bool,
    pub previous_reason: Option<String>,
    pub waiver: Option<String>,
    pub previous_waiver: Option<String>,
    pub occurred_at: i64,
}

/// What to write for one result of the batch, in batch order.
pub(crate) struct ResultStep<'p> {
    pub item: &'p Prepared<'p>,
    /// `None`: unchanged, only the counters move (write-on-change). `Some`: the state row is
    /// rewritten and this row is appended.
    pub history: Option<HistoryRow>,
    /// The batch's source does not hold this rule yet.
    pub join_source: bool,
}

/// A live rule the batch did not report, in rule id order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RemovalStep {
    pub rule_id: String,
    /// The batch's source held the rule and lets go of it.
    pub leave_source: bool,
    /// `Some` when no source holds the rule any more: it is marked removed with this row.
    pub history: Option<HistoryRow>,
}

/// The host's summary columns after the scan: over its live (non-removed) rows.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct HostSummary {
    pub result_hash: String,
    pub counts: Counts,
    pub failing: FailingCounts,
}

/// Everything a full-route scan writes, in the order the change log gets it.
pub(crate) struct ChangePlan<'p> {
    pub results: Vec<ResultStep<'p>>,
    pub removals: Vec<RemovalStep>,
    pub summary: HostSummary,
}

#[cfg(test)]
impl ChangePlan<'_> {
    /// The change-log rows in append order.
    pub fn history(&self) -> impl Iterator<Item = &HistoryRow> {
        let results = self.results.iter().filter_map(|step| step.history.as_ref());
        results.chain(
            self.removals
                .iter()
                .filter_map(|step| step.history.as_ref()),
        )
    }
}

/// Change detection for the full route. `previous` is every stored row of the host (removed
/// ones included); `at` is the time stamped on every change (the batch's `finished_at`).
pub(crate) fn plan_changes<'p>(
    batch: &ScanBatch,
    prepared: &'p [Prepared<'p>],
    previous: &BTreeMap<String, PreviousRule>,
    members: &Memberships,
    at: i64,
) -> ChangePlan<'p> {
    // The live view after the scan: (status, severity, hash) per non-removed rule.
    let mut after: BTreeMap<&str, (Status, Severity, &str)> = previous
        .iter()
        .filter(|(_, prev)| !prev.removed)
        .map(|(id, prev)| {
            (
                id.as_str(),
                (prev.status, prev.severity, prev.hash.as_str()),
            )
        })
        .collect();
    let mut results = Vec::with_capacity(prepared.len());
    for item in prepared {
        let record = item.record;
        let prev = previous.get(&record.rule_id);
        let kind = match prev {
            None => Some(ChangeKind::FirstSeen),
            Some(prev) if prev.removed => Some(ChangeKind::FirstSeen),
            Some(prev) if prev.status != record.status => Some(ChangeKind::StateChanged),
            Some(prev) if prev.severity != record.severity => Some(ChangeKind::SeverityChanged),
            Some(prev) if prev.hash != item.hash => Some(ChangeKind::EvidenceChanged),
            Some(_) => None,
        };
        let history = kind.map(|kind| {
            // A rule that comes back changes from nothing.
            let live = prev.filter(|prev| !prev.removed);
            HistoryRow {
                rule_id: record.rule_id.clone(),
                kind,
                previous_status: prev.map(|p| p.status),
                new_status: Some(record.status),
                previous_severity: prev.map(|p| p.severity),
                severity: record.severity,
                reason: record.reason.clone(),
                evidence: Some(item.evidence_text.clone()),
                evidence_hash: Some(item.hash.clone()),
                from_live: live.is_some(),
                previous_reason: live.and_then(|p| p.reason.clone()),
                waiver: record.waiver.clone(),
                previous_waiver: prev.and_then(|p| p.waiver.clone()),
                occurred_at: at,
            }
        });
        after.insert(
            record.rule_id.as_str(),
            (record.status, record.severity, item.hash.as_str()),
        );
        results.push(ResultStep {
            item,
            history,
            join_source: !members.own.contains(&record.rule_id),
        });
    }

    // Only a complete scan of the whole rule source proves a rule is gone: a partial run may
    // not have got there, a selection did not look, and another source never had the rule.
    let mut removals = Vec::new();
    if batch.status == ScanStatus::Ok && batch.scope == Scope::Full {
        let present: HashSet<&str> = prepared.iter().map(|p| p.record.rule_id.as_str()).collect();
        for (rule_id, prev) in previous {
            if prev.removed || present.contains(rule_id.as_str()) {
                continue;
            }
            // The rule left this source; it is gone only if no other source holds it (a row
            // that no source holds predates sources and is adopted, as before them).
            let holders = members.holders.get(rule_id).copied().unwrap_or(0);
            let leave_source = members.own.contains(rule_id);
            let gone = if leave_source {
                holders <= 1
            } else {
                holders == 0
            };
            if !leave_source && !gone {
                continue;
            }
            let history = gone.then(|| HistoryRow {
                rule_id: rule_id.clone(),
                kind: ChangeKind::Removed,
                previous_status: Some(prev.status),
                new_status: None,
                previous_severity: Some(prev.severity),
                severity: prev.severity,
                reason: None,
                evidence: None,
                evidence_hash: None,
                from_live: true,
                previous_reason: prev.reason.clone(),
                waiver: None,
                previous_waiver: prev.waiver.clone(),
                occurred_at: at,
            });
            if gone {
                after.remove(rule_id.as_str());
            }
            removals.push(RemovalStep {
                rule_id: rule_id.clone(),
                leave_source,
                history,
            });
        }
    }

    let counts = counts_of(after.values().map(|(status, _, _)| *status));
    let mut failing = FailingCounts::default();
    after
        .values()
        .filter(|(status, _, _)| *status == Status::Fail)
        .for_each(|(_, severity, _)| failing.add(*severity));
    let result_hash = scan_result_hash(
        after
            .iter()
            .map(|(id, (status, _, hash))| (*id, *status, *hash)),
    );
    ChangePlan {
        results,
        removals,
        summary: HostSummary {
            result_hash,
            counts,
            failing,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canonical::canonical_hash;
    use serde_json::json;

    #[test]
    fn hashes_are_the_canonical_json_of_their_documented_objects() {
        let evidence = json!({"z": [1, 2.5, null], "a": "x\"y\\\u{1}", "\u{1f600}": true});
        for (rule, reason) in [("r-1", None), ("règle \"2\"\n", Some("why\t\u{7f}"))] {
            let by_document = canonical_hash(&json!({
                "rule_id": rule, "status": "fail", "reason": reason,
                "severity": "high", "evidence": evidence,
            }));
            let hash = result_hash(rule, Status::Fail, reason, Severity::High, &evidence);
            assert_eq!(hash, by_document);
        }
        let entries = [("b", Status::Pass, "h2"), ("a\u{e000}", Status::Fail, "h1")];
        let by_document =
            canonical_hash(&json!([["a\u{e000}", "fail", "h1"], ["b", "pass", "h2"]]));
        assert_eq!(scan_result_hash(entries), by_document);
        assert_eq!(scan_result_hash([]), canonical_hash(&json!([])));
    }

    const AT: i64 = 1_700_000_000_000;

    fn record(id: &str, status: Status, severity: Severity, detail: &str) -> ResultRecord {
        ResultRecord {
            rule_id: id.into(),
            title: id.into(),
            severity,
            status,
            reason: matches!(status, Status::Skipped | Status::Error).then(|| "why".into()),
            evidence: json!({ "detail": detail }),
            waiver: (status == Status::Waived).then(|| "w-1".into()),
        }
    }

    fn batch(results: Vec<ResultRecord>) -> ScanBatch {
        ScanBatch {
            scan_id: uuid::Uuid::from_u128(7),
            ..ScanBatch::for_test("web1", AT, results)
        }
    }

    /// The stored rows a previous scan of `records` leaves (live, all held by `embedded`).
    fn stored(records: &[ResultRecord]) -> (BTreeMap<String, PreviousRule>, Memberships) {
        let mut members = Memberships::default();
        let rows = records
            .iter()
            .map(|r| {
                members.own.insert(r.rule_id.clone());
                members.holders.insert(r.rule_id.clone(), 1);
                let hash = result_hash(
                    &r.rule_id,
                    r.status,
                    r.reason.as_deref(),
                    r.severity,
                    &r.evidence,
                );
                let row = PreviousRule {
                    status: r.status,
                    severity: r.severity,
                    hash,
                    reason: r.reason.clone(),
                    waiver: r.waiver.clone(),
                    removed: false,
                };
                (r.rule_id.clone(), row)
            })
            .collect();
        (rows, members)
    }

    fn kinds(plan: &ChangePlan) -> Vec<(String, ChangeKind)> {
        plan.history()
            .map(|row| (row.rule_id.clone(), row.kind))
            .collect()
    }

    #[test]
    fn a_first_scan_sees_every_rule_once_and_joins_its_source() {
        let b = batch(vec![
            record("a", Status::Pass, Severity::High, "ok"),
            record("b", Status::Fail, Severity::Critical, "bad"),
        ]);
        let prepared = validate(&b).unwrap();
        let plan = plan_changes(&b, &prepared, &BTreeMap::new(), &Memberships::default(), AT);
        assert_eq!(
            kinds(&plan),
            [
                ("a".to_string(), ChangeKind::FirstSeen),
                ("b".to_string(), ChangeKind::FirstSeen)
            ]
        );
        assert!(plan.results.iter().all(|step| step.join_source));
        let first = plan.history().next().unwrap();
        assert_eq!(first.previous_status, None);
        assert!(!first.from_live);
        assert_eq!(first.occurred_at, AT);
        assert_eq!(first.evidence.as_deref(), Some(r#"{"detail":"ok"}"#));
        assert_eq!(plan.summary.counts.pass, 1);
        assert_eq!(plan.summary.failing.critical, 1);
        // The summary is what the next identical scan is compared with.
        assert_eq!(plan.summary.result_hash, totals(&prepared).result_hash);
    }

    #[test]
    fn only_what_changed_is_written_and_each_change_is_named() {
        let before = [
            record("same", Status::Pass, Severity::Low, "x"),
            record("status", Status::Pass, Severity::Low, "x"),
            record("severity", Status::Fail, Severity::Low, "x"),
            record("evidence", Status::Fail, Severity::Low, "x"),
        ];
        let (previous, members) = stored(&before);
        let b = batch(vec![
            record("same", Status::Pass, Severity::Low, "x"),
            record("status", Status::Fail, Severity::Low, "x"),
            record("severity", Status::Fail, Severity::High, "x"),
            record("evidence", Status::Fail, Severity::Low, "y"),
        ]);
        let prepared = validate(&b).unwrap();
        let plan = plan_changes(&b, &prepared, &previous, &members, AT);
        assert_eq!(
            kinds(&plan),
            [
                ("status".to_string(), ChangeKind::StateChanged),
                ("severity".to_string(), ChangeKind::SeverityChanged),
                ("evidence".to_string(), ChangeKind::EvidenceChanged),
            ]
        );
        assert!(
            plan.results[0].history.is_none(),
            "unchanged: counters only"
        );
        assert!(plan.results.iter().all(|step| !step.join_source));
        assert!(plan.removals.is_empty());
        let status = plan.results[1].history.as_ref().unwrap();
        assert_eq!(
            (status.previous_status, status.new_status),
            (Some(Status::Pass), Some(Status::Fail))
        );
        assert!(status.from_live);
        assert_eq!(plan.summary.failing.high, 1);
        assert_eq!(plan.summary.failing.low, 2);
    }

    #[test]
    fn the_fast_path_is_taken_only_when_results_and_membership_are_unchanged() {
        let records = vec![
            record("a", Status::Pass, Severity::Low, "x"),
            record("b", Status::Fail, Severity::Medium, "y"),
        ];
        let (previous, members) = stored(&records);
        let b = batch(records);
        let prepared = validate(&b).unwrap();
        let sums = totals(&prepared);
        // A re-scan with the same results plans no change at all ...
        let plan = plan_changes(&b, &prepared, &previous, &members, AT);
        assert_eq!(plan.history().count(), 0);
        // ... and its summary hash is the one the fast path compares.
        let current = Some(plan.summary.result_hash.as_str());
        assert_eq!(route(&b, &sums, current, true), Route::Unchanged);
        assert_eq!(route(&b, &sums, current, false), Route::Changed);
        assert_eq!(route(&b, &sums, Some("other"), true), Route::Changed);
        assert_eq!(route(&b, &sums, None, true), Route::Changed);
        let failed = ScanBatch {
            status: ScanStatus::Error,
            ..b.clone()
        };
        assert_eq!(route(&failed, &sums, current, true), Route::Failed);
        // One severity change moves the scan off the fast path.
        let changed = batch(vec![
            record("a", Status::Pass, Severity::High, "x"),
            record("b", Status::Fail, Severity::Medium, "y"),
        ]);
        let other = totals(&validate(&changed).unwrap());
        assert_eq!(route(&changed, &other, current, true), Route::Changed);
    }

    #[test]
    fn a_rule_missing_from_a_complete_full_scan_is_removed_once() {
        let (mut previous, members) = stored(&[
            record("kept", Status::Pass, Severity::Low, "x"),
            record("gone", Status::Fail, Severity::High, "x"),
        ]);
        let b = batch(vec![record("kept", Status::Pass, Severity::Low, "x")]);
        let prepared = validate(&b).unwrap();
        let plan = plan_changes(&b, &prepared, &previous, &members, AT);
        assert_eq!(plan.removals.len(), 1);
        let removal = &plan.removals[0];
        assert!(removal.leave_source);
        let row = removal.history.as_ref().unwrap();
        assert_eq!(row.kind, ChangeKind::Removed);
        assert_eq!(
            (row.previous_status, row.new_status),
            (Some(Status::Fail), None)
        );
        assert_eq!(row.evidence, None);
        assert_eq!(
            plan.summary.counts.fail, 0,
            "a removed rule leaves the summary"
        );
        assert_eq!(plan.summary.counts.pass, 1);

        // Once removed, the next scan does not remove it again ...
        previous.get_mut("gone").unwrap().removed = true;
        let mut after = members.clone();
        after.own.remove("gone");
        after.holders.remove("gone");
        let plan = plan_changes(&b, &prepared, &previous, &after, AT + 1);
        assert!(plan.removals.is_empty());
        // ... and when it comes back it is seen afresh, from nothing live.
        let back = batch(vec![
            record("kept", Status::Pass, Severity::Low, "x"),
            record("gone", Status::Pass, Severity::High, "x"),
        ]);
        let prepared = validate(&back).unwrap();
        let plan = plan_changes(&back, &prepared, &previous, &after, AT + 2);
        assert_eq!(kinds(&plan), [("gone".to_string(), ChangeKind::FirstSeen)]);
        let row = plan.history().next().unwrap();
        assert!(!row.from_live);
        assert_eq!(row.previous_status, Some(Status::Fail));
        assert!(plan.results[1].join_source);
    }

    #[test]
    fn a_rule_another_source_still_holds_only_leaves_this_source() {
        let (previous, mut members) = stored(&[record("shared", Status::Pass, Severity::Low, "x")]);
        members.holders.insert("shared".into(), 2);
        let b = batch(vec![]);
        let plan = plan_changes(&b, &[], &previous, &members, AT);
        assert_eq!(
            plan.removals,
            [RemovalStep {
                rule_id: "shared".into(),
                leave_source: true,
                history: None
            }]
        );
        assert_eq!(plan.summary.counts.pass, 1);
        // A row no source holds (from before sources) is adopted by a full scan's removal;
        // one only another source holds is not this scan's to touch.
        let mut foreign = Memberships::default();
        foreign.holders.insert("shared".into(), 1);
        let plan = plan_changes(&b, &[], &previous, &foreign, AT);
        assert!(plan.removals.is_empty());
        let plan = plan_changes(&b, &[], &previous, &Memberships::default(), AT);
        assert!(!plan.removals[0].leave_source);
        assert!(plan.removals[0].history.is_some());
    }

    #[test]
    fn a_selection_or_an_incomplete_scan_removes_nothing() {
        let (previous, members) = stored(&[
            record("looked-at", Status::Pass, Severity::Low, "x"),
            record("not-looked-at", Status::Fail, Severity::Critical, "x"),
        ]);
        for (scope, status) in [
            (Scope::Partial, ScanStatus::Ok),
            (Scope::Full, ScanStatus::Partial),
        ] {
            let b = ScanBatch {
                scope,
                status,
                ..batch(vec![record("looked-at", Status::Fail, Severity::Low, "x")])
            };
            let prepared = validate(&b).unwrap();
            let plan = plan_changes(&b, &prepared, &previous, &members, AT);
            assert!(plan.removals.is_empty(), "{scope} {status}");
            assert_eq!(
                kinds(&plan),
                [("looked-at".to_string(), ChangeKind::StateChanged)]
            );
            // The summary still counts the rule the selection did not look at.
            assert_eq!(plan.summary.counts.fail, 2);
            assert_eq!(plan.summary.failing.critical, 1);
        }
    }

    #[test]
    fn evidence_over_the_cap_rejects_the_whole_batch() {
        let mut big = record("big", Status::Pass, Severity::Low, "");
        big.evidence = json!({ "detail": "x".repeat(MAX_EVIDENCE_BYTES) });
        let b = batch(vec![record("fine", Status::Pass, Severity::Low, "x"), big]);
        let Err(StoreError::InvalidBatch { problems, .. }) = validate(&b) else {
            panic!("accepted evidence over the cap");
        };
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].starts_with("rule big: evidence is "),
            "{problems:?}"
        );
        // Exactly at the cap is accepted.
        let mut edge = record("edge", Status::Pass, Severity::Low, "");
        let overhead = to_canonical_string(&edge.evidence).len();
        edge.evidence = json!({ "detail": "x".repeat(MAX_EVIDENCE_BYTES - overhead) });
        assert!(validate(&batch(vec![edge])).is_ok());
    }

    #[test]
    fn waivers_are_carried_into_the_change_log() {
        let (previous, members) = stored(&[record("r", Status::Waived, Severity::Low, "x")]);
        let b = batch(vec![record("r", Status::Fail, Severity::Low, "x")]);
        let prepared = validate(&b).unwrap();
        let plan = plan_changes(&b, &prepared, &previous, &members, AT);
        let row = plan.history().next().unwrap();
        assert_eq!(row.previous_waiver.as_deref(), Some("w-1"));
        assert_eq!(row.waiver, None);
        assert_eq!(plan.summary.counts.waived, 0);
    }
}
