//! The scan pipeline as a library: targets and rule sets in, one outcome per host out, nothing
//! printed. `plumb scan` and `plumb schedule run-once` are adapters over [`execute`].
//!
//! Each host is evaluated and recorded as its facts arrive, and handed to the caller at once,
//! so a caller that keeps only counts runs in memory flat in the number of hosts.

use crate::error::{Chain, Error, Result};
use crate::eval::{self, EvalOptions, RuleResult};
use crate::fleet::{self, Failure, Probe};
use crate::probe::{Facts, ProbePlan};
use crate::report::{self, Changes, HostOutcome, HostReport, ScanReport, Summary};
use crate::rules::RuleSet;
use crate::store::{self, HostLocks, HostRecord, ResultRecord, ScanBatch, ScanStatus, Store};
use crate::waivers::{HostIdentity, WaiverSet};
use std::collections::BTreeMap;
use std::sync::Arc;

pub use crate::store::Trigger;

/// One host of a run and what it is scanned with.
#[derive(Debug, Clone)]
pub struct ScanTarget {
    pub probe: Probe,
    pub record: HostRecord,
    /// Inventory groups, for waivers that name hosts by group.
    pub groups: std::collections::BTreeSet<String>,
    /// Index into [`ScanRequest::rule_sets`].
    pub rules: usize,
}

impl ScanTarget {
    /// What waivers match this host by: its name, groups and labels.
    pub fn identity(&self) -> HostIdentity {
        HostIdentity {
            name: self.record.name.clone(),
            groups: self.groups.clone(),
            labels: self.record.labels.clone(),
        }
    }
}

/// How a run's scans are recorded in the state file.
#[derive(Debug, Clone)]
pub struct Recording {
    pub ruleset_hash: String,
    /// The baseline the scans belong to (`embedded`, `rules:<paths>`, `policy:<path>`).
    pub rule_source: String,
    pub scope: store::Scope,
    pub policy_version: Option<i64>,
    pub trigger: Trigger,
}

/// Everything one run scans, already resolved from flags, config, policy and inventory.
pub struct ScanRequest {
    pub targets: Vec<ScanTarget>,
    pub rule_sets: Vec<RuleSet>,
    pub recording: Recording,
    pub evaluation: EvalOptions,
    pub concurrency: usize,
    /// Show a progress bar on stderr.
    pub progress: bool,
    /// Checked for each host right before its probe (a schedule pass verifies its job here).
    pub admit: Option<fleet::Admit>,
    /// Applied to each host's results before they are recorded, so the state file keeps
    /// `waived`.
    pub waivers: WaiverSet,
}

/// What became of one host.
#[derive(Debug)]
pub struct ScannedHost {
    pub report: HostReport,
    /// Why the host has no results (or could not be recorded); `None` when it was scanned.
    pub failure: Option<Failure>,
    /// Unix milliseconds.
    pub finished_at: i64,
}

/// Every host of a run, in the request's order, with the run's rules for the report catalog.
#[derive(Debug)]
pub struct ScanOutcome {
    pub hosts: Vec<ScannedHost>,
    pub rules: RuleSet,
}

impl ScanOutcome {
    /// The report of this run (the host reports move into it).
    pub fn into_report(self) -> (ScanReport, Vec<Option<Failure>>, RuleSet) {
        let (hosts, failures): (Vec<HostReport>, Vec<Option<Failure>>) = self
            .hosts
            .into_iter()
            .map(|host| (host.report, host.failure))
            .unzip();
        (scan_report(hosts), failures, self.rules)
    }
}

/// A report over these hosts, with their summaries added up.
pub fn scan_report(hosts: Vec<HostReport>) -> ScanReport {
    let mut summary = Summary::default();
    for host in &hosts {
        summary.add(&host.summary);
    }
    ScanReport {
        schema_version: report::JSON_SCHEMA_VERSION,
        tool: report::TOOL,
        generated_at: report::rfc3339(report::now_unix_ms()),
        summary,
        hosts,
        waivers: Vec::new(),
    }
}

/// Runs the request and keeps every host's outcome, in the request's order.
pub fn execute_collect(request: &ScanRequest, store: Option<&mut Store>) -> Result<ScanOutcome> {
    let mut done: Vec<Option<ScannedHost>> = std::iter::repeat_with(|| None)
        .take(request.targets.len())
        .collect();
    execute(request, store, |index, host| done[index] = Some(host))?;
    let hosts = done
        .into_iter()
        .zip(&request.targets)
        .map(|(host, target)| host.unwrap_or_else(|| never_probed(target, &request.evaluation)))
        .collect();
    Ok(ScanOutcome {
        hosts,
        rules: merge_rule_sets(&request.rule_sets),
    })
}

/// Runs the request: probes each host, evaluates and records it as its facts arrive, and hands
/// it to `each` with its index in `request.targets`. A host whose scan could not be stored
/// becomes that host's error; the others still land. Locks (taken as each probe starts, so a
/// host another run is scanning is skipped) are released by a guard once the host is recorded.
pub fn execute(
    request: &ScanRequest,
    mut store: Option<&mut Store>,
    mut each: impl FnMut(usize, ScannedHost),
) -> Result<()> {
    // A probe plan depends only on the rule set and on scanning a tree or a live system.
    let mut plans = Vec::new();
    let mut plan_index: BTreeMap<(usize, bool), usize> = BTreeMap::new();
    let probes: Vec<Probe> = request
        .targets
        .iter()
        .map(|target| {
            let offline = target.probe.root.is_some();
            let plan = *plan_index
                .entry((target.rules, offline))
                .or_insert_with(|| {
                    plans.push(ProbePlan::for_rules(
                        &request.rule_sets[target.rules],
                        offline,
                    ));
                    plans.len() - 1
                });
            Probe {
                plan,
                ..target.probe.clone()
            }
        })
        .collect();
    tracing::info!(
        hosts = probes.len(),
        plans = plans.len(),
        "probe plans ready"
    );
    let locks = match store.as_deref() {
        Some(store) => {
            let owner = format!("{}:{}", std::process::id(), uuid::Uuid::new_v4());
            Some(Arc::new(HostLocks::open(store, owner)?))
        }
        None => None,
    };
    let mut machines = Machines::default();
    fleet::gather(
        &probes,
        &plans,
        request.concurrency,
        request.progress,
        locks,
        request.admit.clone(),
        |index, mut gathered| {
            let target = &request.targets[index];
            let lock = gathered.lock.take();
            let rules = &request.rule_sets[target.rules];
            let machine_id = gathered.facts.as_ref().ok().and_then(Facts::machine_id);
            let name = &target.record.name;
            if let Some(id) = &machine_id {
                machines.seen(name, id);
            }
            let (mut report, mut failure) = host_report(name, gathered, rules, &request.evaluation);
            if !request.waivers.is_empty() {
                request
                    .waivers
                    .apply(&target.identity(), &mut report.results);
                report.summary = Summary::of(&report.results);
            }
            let mut finished_at = report::now_unix_ms();
            // Only a host this run locked is recorded; a busy one belongs to the other run.
            if let (Some(store), Some(_)) = (store.as_deref_mut(), &lock) {
                match record_scan(store, target, &mut report, &request.recording) {
                    Ok(at) => {
                        finished_at = at;
                        if let Some(id) = &machine_id {
                            machines.stored(store, name, id);
                        }
                    }
                    Err(err) => {
                        not_recorded(&mut report, &err);
                        failure = Some(Failure::Error);
                    }
                }
            }
            drop(lock);
            each(
                index,
                ScannedHost {
                    report,
                    failure,
                    finished_at,
                },
            );
        },
    )?;
    Ok(())
}

/// The machine-ids hosts of this run reported, to warn when two names reach one machine.
#[derive(Default)]
struct Machines {
    /// machine-id → the names that reported it, in the order they did.
    names: BTreeMap<String, Vec<String>>,
}

impl Machines {
    /// Notes `id` for `host`, and warns when another host of this run reported it.
    fn seen(&mut self, host: &str, id: &str) {
        let names = self.names.entry(id.to_owned()).or_default();
        if let Some(first) = names.first() {
            tracing::warn!(
                "hosts `{first}` and `{host}` report the same machine-id {id}: one machine \
                 under two names?"
            );
        }
        names.push(host.to_owned());
    }

    /// Records `host`'s id in the state file, and warns about stored hosts of other names
    /// (not of this run, which [`Machines::seen`] covered) that reported it.
    fn stored(&self, store: &mut Store, host: &str, id: &str) {
        let others = match store.record_machine_id(host, id) {
            Ok(others) => others,
            Err(err) => {
                tracing::warn!(
                    "could not record the machine-id of `{host}`: {}",
                    Chain(&err)
                );
                return;
            }
        };
        let this_run = self.names.get(id);
        for other in others {
            if !this_run.is_some_and(|names| names.contains(&other)) {
                tracing::warn!(
                    "host `{host}` reports the machine-id {id} of `{other}` in the state file: \
                     one machine under two names?"
                );
            }
        }
    }
}

fn never_probed(target: &ScanTarget, options: &EvalOptions) -> ScannedHost {
    let missing = fleet::Gathered {
        facts: Err((Failure::Error, "the host was never probed".into())),
        started_at: report::now_unix_ms(),
        elapsed: std::time::Duration::ZERO,
        lock: None,
    };
    let (report, failure) = host_report(&target.record.name, missing, &RuleSet::default(), options);
    ScannedHost {
        report,
        failure,
        finished_at: report::now_unix_ms(),
    }
}

/// Every rule of the run's rule sets once, for the report's catalog: the first occurrence of
/// an id wins and order is kept. Linear, so a large pack across many variable sets stays cheap.
pub fn merge_rule_sets(rule_sets: &[RuleSet]) -> RuleSet {
    let mut seen = std::collections::HashSet::new();
    let mut all_rules = RuleSet::default();
    for set in rule_sets {
        for rule in &set.rules {
            if seen.insert(rule.id.as_str()) {
                all_rules.rules.push(rule.clone());
            }
        }
    }
    all_rules
}

/// Evaluates a gathered host (or reports why it has no facts).
fn host_report(
    name: &str,
    gathered: fleet::Gathered,
    rules: &RuleSet,
    options: &EvalOptions,
) -> (HostReport, Option<Failure>) {
    let duration_ms = u64::try_from(gathered.elapsed.as_millis()).unwrap_or(u64::MAX);
    let mut report = HostReport {
        host: name.to_owned(),
        outcome: HostOutcome::Ok,
        error: None,
        platform: None,
        scan_id: None,
        started_at: report::rfc3339(gathered.started_at),
        duration_ms,
        summary: Summary::default(),
        changes: None,
        results: Vec::new(),
    };
    match gathered.facts {
        Ok(facts) => {
            let (results, timings) = eval::evaluate_all(rules, &facts, options);
            tracing::debug!(host = name, ?timings, "evaluated");
            report.platform = platform_name(&facts);
            report.summary = Summary::of(&results);
            report.results = results;
            (report, None)
        }
        Err((failure, message)) => {
            report.outcome = HostOutcome::Error;
            report.error = Some(message);
            (report, Some(failure))
        }
    }
}

fn platform_name(facts: &Facts) -> Option<String> {
    let host = eval::HostView::new(facts);
    let os = host.os_release();
    os.get("PRETTY_NAME").cloned().or_else(|| {
        let id = os.get("ID")?;
        Some(match os.get("VERSION_ID") {
            Some(version) => format!("{id} {version}"),
            None => id.clone(),
        })
    })
}

/// A host whose scan could not be stored becomes an error, keeping any results it has.
fn not_recorded(host: &mut HostReport, err: &Error) {
    let err = Chain(err);
    host.error = Some(match (host.outcome, host.error.take()) {
        (HostOutcome::Ok, _) | (_, None) => {
            format!("scanned, but the results could not be recorded in the state file: {err}")
        }
        (_, Some(error)) => {
            format!("{error}; this error could not be recorded in the state file: {err}")
        }
    });
    host.outcome = HostOutcome::Error;
}

/// Stores one host's scan (an `error` scan when it could not be scanned), fills in what
/// changed since its previous scan, and returns when the scan finished (unix ms).
fn record_scan(
    store: &mut Store,
    target: &ScanTarget,
    host: &mut HostReport,
    recording: &Recording,
) -> Result<i64> {
    let previous = store
        .scans(Some(&host.host), 1)?
        .into_iter()
        .next()
        .map(|scan| scan.scan_id);
    let finished_at = report::now_unix_ms();
    let started_at = finished_at - i64::try_from(host.duration_ms).unwrap_or(0);
    let batch = scan_batch(
        host,
        target.record.clone(),
        recording,
        started_at,
        finished_at,
    );
    let outcome = store.apply_scan(&batch)?;
    host.scan_id = Some(outcome.scan_id.to_string());
    if host.outcome == HostOutcome::Ok {
        host.changes = Some(Changes {
            previous_scan: previous,
            ..changes_of(&outcome)
        });
    }
    Ok(batch.finished_at)
}

fn scan_batch(
    host: &HostReport,
    record: HostRecord,
    recording: &Recording,
    started_at: i64,
    finished_at: i64,
) -> ScanBatch {
    let scanned = host.outcome == HostOutcome::Ok;
    ScanBatch {
        scan_id: uuid::Uuid::new_v4(),
        host: record,
        trigger: recording.trigger,
        started_at,
        finished_at: finished_at.max(started_at),
        status: if scanned {
            ScanStatus::Ok
        } else {
            ScanStatus::Error
        },
        error: host.error.clone(),
        policy_version: recording.policy_version,
        ruleset_hash: recording.ruleset_hash.clone(),
        scope: recording.scope,
        rule_source: recording.rule_source.clone(),
        results: host.results.iter().map(result_record).collect(),
    }
}

fn result_record(result: &RuleResult) -> ResultRecord {
    ResultRecord {
        rule_id: result.rule_id.clone(),
        title: result.title.clone(),
        severity: result.severity,
        status: result.status,
        reason: result.reason.map(|reason| reason.as_str().to_owned()),
        evidence: result.stored_evidence(),
        waiver: result.waiver.as_ref().map(|waiver| waiver.id.clone()),
    }
}

/// New failures, fixes and removals since the host's previous scan.
fn changes_of(outcome: &store::ApplyOutcome) -> Changes {
    let mut changes = Changes {
        changed: outcome.changes.len(),
        ..Changes::default()
    };
    for change in &outcome.changes {
        let was_failing = change.previous_status == Some(eval::Status::Fail);
        // A waived rule that passes now is fixed: waivers never hide a fix.
        let was_failing_or_waived =
            was_failing || change.previous_status == Some(eval::Status::Waived);
        match (change.kind, change.new_status) {
            (store::ChangeKind::Removed, _) => changes.removed.push(change.rule_id.clone()),
            (_, Some(eval::Status::Fail)) if !was_failing => {
                changes.new_failures.push(change.rule_id.clone())
            }
            (_, Some(eval::Status::Pass)) if was_failing_or_waived => {
                changes.fixed.push(change.rule_id.clone())
            }
            _ => {}
        }
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{self, RuleSource};

    fn rule(id: &str, title: &str) -> rules::Rule {
        let text = format!(
            "id: {id}\ntitle: {title}\nseverity: low\ncheck: {{ method: file_exists, path: /x }}\n"
        );
        let source = RuleSource {
            name: "x.yml".into(),
            text,
        };
        rules::load(&[source], &rules::Vars::new())
            .unwrap()
            .rules
            .remove(0)
    }

    #[test]
    fn merging_rule_sets_keeps_the_first_of_each_id_in_order() {
        let first = RuleSet {
            rules: vec![rule("b", "first b"), rule("a", "first a")],
        };
        let second = RuleSet {
            rules: vec![rule("a", "second a"), rule("c", "second c"), rule("b", "x")],
        };
        let merged = merge_rule_sets(&[first, second]);
        let got: Vec<(&str, &str)> = merged
            .rules
            .iter()
            .map(|r| (r.id.as_str(), r.title.as_str()))
            .collect();
        assert_eq!(got, [("b", "first b"), ("a", "first a"), ("c", "second c")]);
    }
}
