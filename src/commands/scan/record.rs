//! Storing a host's scan and reading back what changed.

use super::*;

/// Stores one host's scan (an `error` scan when it could not be scanned) and fills in what
/// changed since its previous scan.
pub(super) fn record_scan(
    store: &mut Store,
    target: &Target,
    host: &mut HostReport,
    plan: &Plan,
) -> Result<()> {
    let previous = store
        .scans(Some(&host.host), 1)?
        .into_iter()
        .next()
        .map(|scan| scan.scan_id);
    let finished_at = report::now_unix_ms();
    let started_at = finished_at - i64::try_from(host.duration_ms).unwrap_or(0);
    let batch = scan_batch(host, target.record.clone(), plan, started_at, finished_at);
    let outcome = store.apply_scan(&batch)?;
    host.scan_id = Some(outcome.scan_id.to_string());
    if host.outcome == HostOutcome::Ok {
        host.changes = Some(Changes {
            previous_scan: previous,
            ..changes_of(&outcome)
        });
    }
    Ok(())
}

pub(super) fn scan_batch(
    host: &HostReport,
    record: HostRecord,
    plan: &Plan,
    started_at: i64,
    finished_at: i64,
) -> ScanBatch {
    let trigger = if std::env::var_os("CI").is_some() {
        Trigger::Ci
    } else {
        Trigger::Manual
    };
    let scanned = host.outcome == HostOutcome::Ok;
    ScanBatch {
        scan_id: uuid::Uuid::new_v4(),
        host: record,
        trigger,
        started_at,
        finished_at: finished_at.max(started_at),
        status: if scanned {
            ScanStatus::Ok
        } else {
            ScanStatus::Error
        },
        error: host.error.clone(),
        policy_version: plan.policy_version,
        ruleset_hash: plan.ruleset_hash.clone(),
        scope: plan.scope,
        rule_source: plan.rule_source.clone(),
        results: host.results.iter().map(result_record).collect(),
    }
}

pub fn result_record(result: &RuleResult) -> ResultRecord {
    ResultRecord {
        rule_id: result.rule_id.clone(),
        title: result.title.clone(),
        severity: result.severity,
        status: result.status,
        reason: result.reason.map(|reason| reason.as_str().to_owned()),
        evidence: result.stored_evidence(),
    }
}

/// New failures, fixes and removals since the host's previous scan.
pub fn changes_of(outcome: &store::ApplyOutcome) -> Changes {
    let mut changes = Changes {
        changed: outcome.changes.len(),
        ..Changes::default()
    };
    for change in &outcome.changes {
        let was_failing = change.previous_status == Some(Status::Fail);
        match (change.kind, change.new_status) {
            (store::ChangeKind::Removed, _) => changes.removed.push(change.rule_id.clone()),
            (_, Some(Status::Fail)) if !was_failing => {
                changes.new_failures.push(change.rule_id.clone())
            }
            (_, Some(Status::Pass)) if was_failing => changes.fixed.push(change.rule_id.clone()),
            _ => {}
        }
    }
    changes
}
