//! `plumb drift` (DESIGN §6): what changed, read from the change log (the `change_log` base
//! table behind the `transactions` view; see src/store/drift.rs).
//!
//! Two ways to get a rule's state at a time T, both exact as long as T is not before the
//! prune horizon:
//! - a window (T1, T2] of one host (or of the fleet): the first row of each (host, rule)
//!   in the window holds the state before it (`previous_status`, `previous_severity`,
//!   `previous_evidence_id`, `previous_reason`; rows written before schema 6 lack the last
//!   two, and take them from the row before), the last row the state after it;
//! - a snapshot at T: the live `rule_state` rows with every change after T undone the
//!   same way. Without pruning this equals "the newest row at or before T per rule".

mod render;

pub use render::render;

use crate::error::{Error, Result};
use crate::store::drift::{LogRow, ScanRef, ValueCodes};
use crate::store::{ChangeKind, Severity, Status, Store, StoreError};
use crate::time::{rfc3339_millis, serialize_opt_rfc3339};
use serde::Serialize;
use serde_json::value::RawValue;
use std::collections::{BTreeMap, HashMap};

/// Version of the drift JSON/NDJSON schema. Bump on breaking changes.
pub const DRIFT_SCHEMA_VERSION: u32 = 1;

/// Shortest scan id prefix accepted, as git accepts abbreviated hashes.
pub const MIN_SCAN_PREFIX: usize = 4;

/// What to compare.
#[derive(Debug, Clone)]
pub enum DriftQuery {
    /// The host's last two full scans.
    LastScans { host: String },
    /// Net change of each rule of the host from `since` (unix ms) until now.
    Since { host: String, since: i64 },
    /// The host's state at `at`.
    At { host: String, at: i64 },
    /// Scan against scan, by id or unique id prefix.
    Scans { first: String, second: String },
    /// Host against host, now or at `at`.
    Against {
        host: String,
        other: String,
        at: Option<i64>,
    },
    /// Regressions across every host since `since`.
    Fleet { since: i64 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum View {
    LastScans,
    Since,
    At,
    Scans,
    Against,
    Fleet,
}

/// How a rule changed, in the order reports list them (worst first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeClass {
    /// pass, skipped or error → fail.
    Regression,
    /// waived → fail: the waiver expired or was withdrawn, so the failure counts again. A
    /// regression for `--fail-on-regression`.
    WaiverExpired,
    /// First seen, failing.
    NewFailure,
    /// Now `error` (could not be assessed).
    BecameError,
    /// fail → pass.
    Fix,
    /// Same status, the evidence (the actual value) or reason moved.
    EvidenceChanged,
    /// Same status, another severity.
    SeverityChanged,
    /// Now `waived`: a waiver accepts the failure.
    Waived,
    /// Any other status change (for example pass → skipped, error → pass).
    StatusChanged,
    /// First seen, not failing.
    Added,
    /// No longer in the rule set.
    Removed,
    /// Back where it started, after status changes in between (window views).
    Flapped,
}

impl ChangeClass {
    /// Counts for `--fail-on-regression` and the fleet view: a rule that fails (and counts)
    /// now and did not before.
    pub fn is_regression(self) -> bool {
        matches!(self, Self::Regression | Self::WaiverExpired)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Regression => "regression",
            Self::WaiverExpired => "waiver_expired",
            Self::NewFailure => "new_failure",
            Self::BecameError => "became_error",
            Self::Fix => "fix",
            Self::EvidenceChanged => "evidence_changed",
            Self::SeverityChanged => "severity_changed",
            Self::Waived => "waived",
            Self::StatusChanged => "status_changed",
            Self::Added => "added",
            Self::Removed => "removed",
            Self::Flapped => "flapped",
        }
    }
}

/// One side of the comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Side {
    pub host: Option<String>,
    #[serde(serialize_with = "serialize_opt_rfc3339")]
    pub at: Option<i64>,
    pub scan_id: Option<String>,
}

/// A rule's state at one side.
#[derive(Debug, Clone, Serialize)]
pub struct RuleState {
    pub status: Status,
    pub severity: Severity,
    pub reason: Option<String>,
    /// `null` when the change-log row that held it was pruned. Passed through as stored
    /// (canonical JSON), not parsed and re-serialised: fleet reports carry thousands.
    pub evidence: Option<Box<RawValue>>,
    /// The `evidence` row, one per result hash (status, reason, severity, evidence), so
    /// equal ids mean equal results; `None` when pruned.
    #[serde(skip)]
    pub evidence_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DriftEntry {
    pub host: String,
    pub rule_id: String,
    pub class: ChangeClass,
    /// The severity now (before, for a removed rule).
    pub severity: Severity,
    /// `null`: the rule was absent.
    pub before: Option<RuleState>,
    pub after: Option<RuleState>,
    /// When the last change in the window happened (window views).
    #[serde(serialize_with = "serialize_opt_rfc3339")]
    pub changed_at: Option<i64>,
    /// Status changes in the window (window views); a clean regression is 1.
    pub flaps: Option<u32>,
    /// For a rule failing on the after side: since when, without a break.
    #[serde(serialize_with = "serialize_opt_rfc3339")]
    pub failing_since: Option<i64>,
}

/// One rule of `--at`.
#[derive(Debug, Clone, Serialize)]
pub struct StateAt {
    pub rule_id: String,
    #[serde(flatten)]
    pub state: RuleState,
    #[serde(serialize_with = "serialize_opt_rfc3339")]
    pub failing_since: Option<i64>,
}

/// Fleet view: one rule and the hosts where it regressed.
#[derive(Debug, Clone, Serialize)]
pub struct RuleGroup {
    pub rule_id: String,
    pub severity: Severity,
    pub hosts: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct DriftSummary {
    pub entries: usize,
    pub by_class: BTreeMap<ChangeClass, usize>,
    pub regressions_by_severity: BTreeMap<Severity, usize>,
    /// Hosts with at least one entry.
    pub hosts_affected: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct DriftReport {
    pub schema_version: u32,
    pub view: View,
    pub before: Option<Side>,
    pub after: Option<Side>,
    /// `--at`: every live rule of the host at that time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<Vec<StateAt>>,
    /// Regressions first, then by class, severity (highest first), host and rule.
    pub entries: Vec<DriftEntry>,
    /// Fleet view: regressions grouped by rule.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<RuleGroup>,
    pub summary: DriftSummary,
}

impl DriftReport {
    /// Regressions at or above `threshold` (the `--fail-on-regression` gate).
    pub fn regressions_at_or_above(&self, threshold: Severity) -> usize {
        self.entries
            .iter()
            .filter(|e| e.class.is_regression() && e.severity >= threshold)
            .count()
    }
}

/// Computes `query` against the state file. `now` (unix ms) stamps the "now" side.
pub fn compute(store: &mut Store, query: &DriftQuery, now: i64) -> Result<DriftReport> {
    let started = std::time::Instant::now();
    let mut log = Log::new(store)?;
    let horizon = log.store.prune_horizon()?;
    let check_horizon = |what: &str, at: i64| match horizon {
        Some(h) if at < h => Err(Error::args(format!(
            "{what} {} is before the prune horizon {}: the change log before it was pruned, \
             so the state then cannot be rebuilt; use a time at or after {}",
            rfc3339_millis(at),
            rfc3339_millis(h),
            rfc3339_millis(h)
        ))),
        _ => Ok(()),
    };
    let now_side = |host: &str| Side {
        host: Some(host.to_string()),
        at: Some(now),
        scan_id: None,
    };
    let at_side = |host: &str, at: i64, scan_id: Option<&str>| Side {
        host: Some(host.to_string()),
        at: Some(at),
        scan_id: scan_id.map(str::to_string),
    };
    let (view, before, after, entries, state) = match query {
        DriftQuery::LastScans { host } => {
            require_host(log.store, host)?;
            let scans = log.store.last_full_scans(host, 2)?;
            match scans.as_slice() {
                [newer, older] => {
                    check_horizon("the previous full scan at", older.finished_at)?;
                    let entries =
                        window_entries(&mut log, host, older.finished_at, newer.finished_at)?;
                    (
                        View::LastScans,
                        Some(scan_side(older)),
                        Some(scan_side(newer)),
                        entries,
                        None,
                    )
                }
                [only] => {
                    // Nothing to compare with: everything the first scan found is new.
                    let after_rules = snapshot(&mut log, host, only.finished_at)?;
                    let entries = compare(
                        &mut log,
                        host,
                        &BTreeMap::new(),
                        &after_rules,
                        only.finished_at,
                    )?;
                    (View::LastScans, None, Some(scan_side(only)), entries, None)
                }
                _ => (View::LastScans, None, None, Vec::new(), None),
            }
        }
        DriftQuery::Since { host, since } => {
            require_host(log.store, host)?;
            check_horizon("--since", *since)?;
            let entries = window_entries(&mut log, host, *since, i64::MAX)?;
            (
                View::Since,
                Some(at_side(host, *since, None)),
                Some(now_side(host)),
                entries,
                None,
            )
        }
        DriftQuery::At { host, at } => {
            require_host(log.store, host)?;
            check_horizon("--at", *at)?;
            let rules = snapshot(&mut log, host, *at)?;
            let failing = log.failing_since(host, *at)?;
            let state = rules
                .into_iter()
                .map(|(rule_id, rule)| StateAt {
                    failing_since: failing_since(&failing, &rule_id, Some(&rule)),
                    rule_id,
                    state: rule,
                })
                .collect();
            (
                View::At,
                Some(at_side(host, *at, None)),
                None,
                Vec::new(),
                Some(state),
            )
        }
        DriftQuery::Scans { first, second } => {
            let a = resolve_scan(log.store, first)?;
            let b = resolve_scan(log.store, second)?;
            let entries = if a.host == b.host && a.finished_at <= b.finished_at {
                check_horizon("scan", a.finished_at)?;
                window_entries(&mut log, &a.host, a.finished_at, b.finished_at)?
            } else {
                check_horizon("scan", a.finished_at.min(b.finished_at))?;
                let before_rules = snapshot(&mut log, &a.host, a.finished_at)?;
                let after_rules = snapshot(&mut log, &b.host, b.finished_at)?;
                compare(
                    &mut log,
                    &b.host,
                    &before_rules,
                    &after_rules,
                    b.finished_at,
                )?
            };
            (
                View::Scans,
                Some(scan_side(&a)),
                Some(scan_side(&b)),
                entries,
                None,
            )
        }
        DriftQuery::Against { host, other, at } => {
            require_host(log.store, host)?;
            require_host(log.store, other)?;
            let when = at.unwrap_or(i64::MAX);
            if let Some(at) = at {
                check_horizon("--at", *at)?;
            }
            let before_rules = snapshot(&mut log, host, when)?;
            let after_rules = snapshot(&mut log, other, when)?;
            let entries = compare(&mut log, other, &before_rules, &after_rules, when)?;
            let side = |h: &str| match at {
                Some(at) => at_side(h, *at, None),
                None => now_side(h),
            };
            (
                View::Against,
                Some(side(host)),
                Some(side(other)),
                entries,
                None,
            )
        }
        DriftQuery::Fleet { since } => {
            check_horizon("--since", *since)?;
            let entries = fleet_regressions(&mut log, *since)?;
            let side = |at| Side {
                host: None,
                at: Some(at),
                scan_id: None,
            };
            (
                View::Fleet,
                Some(side(*since)),
                Some(side(now)),
                entries,
                None,
            )
        }
    };
    let (mut entries, mut state) = (entries, state);
    let read_at = started.elapsed();
    let states = entries
        .iter_mut()
        .flat_map(|e| e.before.iter_mut().chain(e.after.iter_mut()))
        .chain(
            state
                .iter_mut()
                .flatten()
                .map(|s: &mut StateAt| &mut s.state),
        );
    attach_evidence(log.store, states)?;
    tracing::debug!(
        read = ?read_at,
        evidence = ?started.elapsed() - read_at,
        entries = entries.len(),
        "drift computed"
    );
    Ok(finish(view, before, after, entries, state))
}

/// The store with what every read needs: the value codes and rule ids by key.
struct Log<'s> {
    store: &'s mut Store,
    codes: ValueCodes,
    rule_ids: HashMap<i64, String>,
}

impl<'s> Log<'s> {
    fn new(store: &'s mut Store) -> Result<Self> {
        let codes = store.value_codes()?;
        let rule_ids = store.rule_ids()?;
        Ok(Log {
            store,
            codes,
            rule_ids,
        })
    }

    fn rule_id(&self, key: i64) -> Result<String> {
        match self.rule_ids.get(&key) {
            Some(id) => Ok(id.clone()),
            None => Err(missing_key(self.store, "rule", key)),
        }
    }

    /// [`Store::failing_since`] by rule id; empty for a host without rows.
    fn failing_since(&mut self, host: &str, at: i64) -> Result<HashMap<String, i64>> {
        let Some(host_key) = self.store.host_key(host)? else {
            return Ok(HashMap::new());
        };
        self.store
            .failing_since(&self.codes, host_key, at)?
            .into_iter()
            .map(|(rule_key, since)| Ok((self.rule_id(rule_key)?, since)))
            .collect()
    }
}

fn missing_key(store: &Store, what: &str, key: i64) -> Error {
    StoreError::Corrupt {
        path: store.path().to_path_buf(),
        detail: format!(
            "a change-log or rule-state row refers to {what} key {key}, which is not in \
             {what}_keys (run plumb state check)"
        ),
    }
    .into()
}

/// Fills in the evidence of these states, reading each distinct evidence text once. A state
/// whose evidence row is gone shows none, as one whose row was pruned.
fn attach_evidence<'a>(
    store: &mut Store,
    states: impl Iterator<Item = &'a mut RuleState>,
) -> Result<()> {
    let states: Vec<&mut RuleState> = states.collect();
    let texts = store.evidence_texts(states.iter().filter_map(|s| s.evidence_id))?;
    let values: HashMap<i64, Box<RawValue>> = texts
        .into_iter()
        .filter_map(|(id, text)| Some((id, evidence_value(Some(&text))?)))
        .collect();
    for state in states {
        state.evidence = state.evidence_id.and_then(|id| values.get(&id).cloned());
    }
    Ok(())
}

fn finish(
    view: View,
    before: Option<Side>,
    after: Option<Side>,
    mut entries: Vec<DriftEntry>,
    state: Option<Vec<StateAt>>,
) -> DriftReport {
    entries.sort_by(|a, b| {
        (a.class, std::cmp::Reverse(a.severity), &a.host, &a.rule_id).cmp(&(
            b.class,
            std::cmp::Reverse(b.severity),
            &b.host,
            &b.rule_id,
        ))
    });
    let mut summary = DriftSummary {
        entries: entries.len(),
        ..DriftSummary::default()
    };
    let mut hosts = std::collections::BTreeSet::new();
    let mut groups: BTreeMap<&str, RuleGroup> = BTreeMap::new();
    for entry in &entries {
        *summary.by_class.entry(entry.class).or_default() += 1;
        hosts.insert(entry.host.as_str());
        if entry.class.is_regression() {
            *summary
                .regressions_by_severity
                .entry(entry.severity)
                .or_default() += 1;
            if view == View::Fleet {
                groups
                    .entry(&entry.rule_id)
                    .or_insert_with(|| RuleGroup {
                        rule_id: entry.rule_id.clone(),
                        severity: entry.severity,
                        hosts: Vec::new(),
                    })
                    .hosts
                    .push(entry.host.clone());
            }
        }
    }
    summary.hosts_affected = hosts.len();
    let mut groups: Vec<RuleGroup> = groups.into_values().collect();
    groups.sort_by(|a, b| {
        (
            std::cmp::Reverse(a.severity),
            std::cmp::Reverse(a.hosts.len()),
            &a.rule_id,
        )
            .cmp(&(
                std::cmp::Reverse(b.severity),
                std::cmp::Reverse(b.hosts.len()),
                &b.rule_id,
            ))
    });
    DriftReport {
        schema_version: DRIFT_SCHEMA_VERSION,
        view,
        before,
        after,
        state,
        entries,
        groups,
        summary,
    }
}

fn scan_side(scan: &ScanRef) -> Side {
    Side {
        host: Some(scan.host.clone()),
        at: Some(scan.finished_at),
        scan_id: Some(scan.scan_id.clone()),
    }
}

fn require_host(store: &mut Store, host: &str) -> Result<()> {
    if store.host_known(host)? {
        Ok(())
    } else {
        Err(Error::args(format!(
            "unknown host `{host}`: the state file {} has no scan of it (see `plumb state hosts`)",
            store.path().display()
        )))
    }
}

/// A scan by full id or unique prefix, as git resolves abbreviated hashes.
fn resolve_scan(store: &mut Store, prefix: &str) -> Result<ScanRef> {
    let wanted = prefix.to_ascii_lowercase();
    if wanted.len() < MIN_SCAN_PREFIX || !wanted.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
    {
        return Err(Error::args(format!(
            "--scan {prefix:?} is not a scan id or a prefix of one (at least {MIN_SCAN_PREFIX} hex digits)"
        )));
    }
    let mut found = store.scans_with_prefix(&wanted, 11)?;
    match found.len() {
        0 => Err(Error::args(format!(
            "unknown scan `{prefix}`: no scan id starts with it (see `plumb state scans`)"
        ))),
        1 => Ok(found.remove(0)),
        n => {
            let shown: Vec<String> = found
                .iter()
                .take(10)
                .map(|s| {
                    format!(
                        "  {} {} {}",
                        s.scan_id,
                        s.host,
                        crate::time::rfc3339_seconds(s.finished_at)
                    )
                })
                .collect();
            let more = if n > 10 { "\n  ..." } else { "" };
            Err(Error::args(format!(
                "scan id prefix `{prefix}` is ambiguous; candidates:\n{}{more}",
                shown.join("\n")
            )))
        }
    }
}

/// Stored evidence as JSON; text that is not JSON (never written by plumb) as a string.
fn evidence_value(text: Option<&str>) -> Option<Box<RawValue>> {
    let text = text?;
    match RawValue::from_string(text.to_string()) {
        Ok(raw) => Some(raw),
        Err(_) => serde_json::to_string(text)
            .ok()
            .and_then(|quoted| RawValue::from_string(quoted).ok()),
    }
}

/// The state a row leaves behind (`None` for `removed`); its evidence is attached at the end.
fn state_after(row: &LogRow) -> Option<RuleState> {
    Some(RuleState {
        status: row.new_status?,
        severity: row.severity,
        reason: row.reason.clone(),
        evidence: None,
        evidence_id: row.evidence_id,
    })
}

/// The state a row changed (`None` when the rule was absent); `prior` is the row before it,
/// which holds that state's evidence (`None` when it was pruned).
fn state_before(row: &LogRow, prior: Option<&LogRow>) -> Option<RuleState> {
    if row.change_kind == ChangeKind::FirstSeen {
        return None;
    }
    let status = row.previous_status?;
    let mut state = RuleState {
        status,
        severity: row.previous_severity.unwrap_or(row.severity),
        reason: row.previous_reason.clone(),
        evidence: None,
        evidence_id: row.previous_evidence_id,
    };
    if let Some(prior) = prior.filter(|p| p.new_status == Some(status)) {
        state.reason = prior.reason.clone();
        state.evidence_id = prior.evidence_id;
    }
    Some(state)
}

/// The rows before the windows' first rows that do not say what they changed from (written
/// before schema 6), by (host key, rule key).
fn priors(
    log: &mut Log,
    pairs: &BTreeMap<(i64, i64), PairWindow>,
) -> Result<HashMap<(i64, i64), LogRow>> {
    let legacy = pairs.values().map(|pair| &pair.first).filter(|row| {
        row.change_kind != ChangeKind::FirstSeen
            && row.previous_status.is_some()
            && row.previous_evidence_id.is_none()
    });
    Ok(log.store.rows_before(
        &log.codes,
        legacy.map(|row| (row.host_key, row.rule_key, row.id)),
    )?)
}

/// The rows of one (host, rule) in a window.
struct PairWindow {
    first: LogRow,
    /// The last row, when there is more than one.
    later: Option<LogRow>,
    status_changes: u32,
    /// The last row in the window that turned the rule to `fail`.
    turned_fail_at: Option<i64>,
}

impl PairWindow {
    fn last(&self) -> &LogRow {
        self.later.as_ref().unwrap_or(&self.first)
    }
}

fn turns_fail(row: &LogRow) -> bool {
    row.new_status == Some(Status::Fail)
        && (row.change_kind == ChangeKind::FirstSeen || row.previous_status != Some(Status::Fail))
}

fn changes_status(row: &LogRow) -> bool {
    matches!(
        row.change_kind,
        ChangeKind::FirstSeen | ChangeKind::StateChanged | ChangeKind::Removed
    )
}

/// Groups rows (in log order) by (host key, rule key).
fn by_pair(rows: Vec<LogRow>) -> BTreeMap<(i64, i64), PairWindow> {
    let mut pairs: BTreeMap<(i64, i64), PairWindow> = BTreeMap::new();
    for row in rows {
        let changed = u32::from(changes_status(&row));
        let turned_fail_at = turns_fail(&row).then_some(row.occurred_at);
        match pairs.entry((row.host_key, row.rule_key)) {
            std::collections::btree_map::Entry::Occupied(mut entry) => {
                let pair = entry.get_mut();
                pair.status_changes += changed;
                pair.turned_fail_at = turned_fail_at.or(pair.turned_fail_at);
                pair.later = Some(row);
            }
            std::collections::btree_map::Entry::Vacant(entry) => {
                entry.insert(PairWindow {
                    first: row,
                    later: None,
                    status_changes: changed,
                    turned_fail_at,
                });
            }
        }
    }
    pairs
}

/// The class of a change, or `None` when nothing that can be shown changed.
fn classify(before: Option<&RuleState>, after: Option<&RuleState>) -> Option<ChangeClass> {
    match (before, after) {
        (None, None) => None,
        (None, Some(a)) => Some(match a.status {
            Status::Fail => ChangeClass::NewFailure,
            Status::Error => ChangeClass::BecameError,
            Status::Waived => ChangeClass::Waived,
            _ => ChangeClass::Added,
        }),
        (Some(_), None) => Some(ChangeClass::Removed),
        (Some(b), Some(a)) if b.status != a.status => Some(status_change(b.status, a.status)),
        (Some(b), Some(a)) if b.severity != a.severity => Some(ChangeClass::SeverityChanged),
        (Some(b), Some(a)) => match (b.evidence_id, a.evidence_id) {
            (Some(before), Some(after)) if before != after => Some(ChangeClass::EvidenceChanged),
            _ => None,
        },
    }
}

/// The class of a rule's change from one status to another (they differ). Also what the HTML
/// report's trend of regressions and fixes counts, so both say the same.
pub fn status_change(before: Status, after: Status) -> ChangeClass {
    match (before, after) {
        (Status::Waived, Status::Fail) => ChangeClass::WaiverExpired,
        (_, Status::Fail) => ChangeClass::Regression,
        (_, Status::Waived) => ChangeClass::Waived,
        (Status::Fail | Status::Waived, Status::Pass) => ChangeClass::Fix,
        (_, Status::Error) => ChangeClass::BecameError,
        _ => ChangeClass::StatusChanged,
    }
}

/// `failing_since` of a rule whose state is `after`, from [`Store::failing_since`]'s map.
fn failing_since(
    failing: &HashMap<String, i64>,
    rule_id: &str,
    after: Option<&RuleState>,
) -> Option<i64> {
    match after {
        Some(state) if state.status == Status::Fail => failing.get(rule_id).copied(),
        _ => None,
    }
}

/// Net change per rule of `host` over `(from, until]`, with its status changes.
fn window_entries(log: &mut Log, host: &str, from: i64, until: i64) -> Result<Vec<DriftEntry>> {
    let Some(host_key) = log.store.host_key(host)? else {
        return Ok(Vec::new());
    };
    let rows = log
        .store
        .log_between(&log.codes, Some(host_key), from, until)?;
    let pairs = by_pair(rows);
    let priors = priors(log, &pairs)?;
    let failing = log.failing_since(host, until)?;
    let mut entries = Vec::new();
    for (key, pair) in pairs {
        let before = state_before(&pair.first, priors.get(&key));
        let after = state_after(pair.last());
        let class = classify(before.as_ref(), after.as_ref())
            .or_else(|| (pair.status_changes > 0).then_some(ChangeClass::Flapped));
        let Some(class) = class else { continue };
        let rule_id = log.rule_id(key.1)?;
        entries.push(DriftEntry {
            severity: after
                .as_ref()
                .or(before.as_ref())
                .map_or(pair.last().severity, |s| s.severity),
            failing_since: failing_since(&failing, &rule_id, after.as_ref()),
            host: host.to_string(),
            rule_id,
            class,
            before,
            after,
            changed_at: Some(pair.last().occurred_at),
            flaps: Some(pair.status_changes),
        });
    }
    Ok(entries)
}

/// Regressions over `(since, now]` across the fleet. A regression turned to `fail` inside
/// the window, so the window itself says since when it fails.
fn fleet_regressions(log: &mut Log, since: i64) -> Result<Vec<DriftEntry>> {
    let started = std::time::Instant::now();
    let rows = log.store.log_between(&log.codes, None, since, i64::MAX)?;
    let window = started.elapsed();
    let pairs = by_pair(rows);
    let priors = priors(log, &pairs)?;
    tracing::debug!(?window, priors = ?started.elapsed() - window, "fleet window read");
    let mut entries = Vec::new();
    let mut host_names = None;
    for (key, pair) in pairs {
        let before = state_before(&pair.first, priors.get(&key));
        let after = state_after(pair.last());
        let Some(class) = classify(before.as_ref(), after.as_ref()).filter(|c| c.is_regression())
        else {
            continue;
        };
        // Read once, and only when there is something to name.
        let names = match &mut host_names {
            Some(names) => names,
            None => host_names.insert(log.store.host_names()?),
        };
        let host = match names.get(&key.0) {
            Some(name) => name.clone(),
            None => return Err(missing_key(log.store, "host", key.0)),
        };
        entries.push(DriftEntry {
            severity: pair.last().severity,
            host,
            rule_id: log.rule_id(key.1)?,
            class,
            before,
            after,
            changed_at: Some(pair.last().occurred_at),
            flaps: Some(pair.status_changes),
            failing_since: pair.turned_fail_at,
        });
    }
    Ok(entries)
}

/// The host's live rules at `at` (unix ms; `i64::MAX` for now), by rule id.
fn snapshot(log: &mut Log, host: &str, at: i64) -> Result<BTreeMap<String, RuleState>> {
    let Some(host_key) = log.store.host_key(host)? else {
        return Ok(BTreeMap::new());
    };
    let mut rules = BTreeMap::new();
    for rule in log.store.live_rules(&log.codes, host_key)? {
        let state = RuleState {
            status: rule.status,
            severity: rule.severity,
            reason: rule.reason,
            evidence: None,
            evidence_id: Some(rule.evidence_id),
        };
        rules.insert(log.rule_id(rule.rule_key)?, state);
    }
    if at == i64::MAX {
        return Ok(rules);
    }
    let rows = log
        .store
        .log_between(&log.codes, Some(host_key), at, i64::MAX)?;
    let pairs = by_pair(rows);
    let priors = priors(log, &pairs)?;
    for (key, pair) in pairs {
        let rule_id = log.rule_id(key.1)?;
        match state_before(&pair.first, priors.get(&key)) {
            Some(state) => rules.insert(rule_id, state),
            None => rules.remove(&rule_id),
        };
    }
    Ok(rules)
}

/// Rule by rule, `before` against `after` (the latter of `host` at `at`).
fn compare(
    log: &mut Log,
    host: &str,
    before: &BTreeMap<String, RuleState>,
    after: &BTreeMap<String, RuleState>,
    at: i64,
) -> Result<Vec<DriftEntry>> {
    let mut ids: Vec<&String> = before.keys().chain(after.keys()).collect();
    ids.sort();
    ids.dedup();
    let failing = log.failing_since(host, at)?;
    let mut entries = Vec::new();
    for rule_id in ids {
        let (b, a) = (before.get(rule_id), after.get(rule_id));
        let Some(class) = classify(b, a) else {
            continue;
        };
        entries.push(DriftEntry {
            host: host.to_string(),
            rule_id: rule_id.clone(),
            class,
            severity: a.or(b).map_or(Severity::Low, |s| s.severity),
            before: b.cloned(),
            after: a.cloned(),
            changed_at: None,
            flaps: None,
            failing_since: failing_since(&failing, rule_id, a),
        });
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(status: Status, severity: Severity, evidence_id: i64) -> RuleState {
        RuleState {
            status,
            severity,
            reason: None,
            evidence: None,
            evidence_id: Some(evidence_id),
        }
    }

    #[test]
    fn classes_by_hand() {
        use ChangeClass::*;
        use Status::*;
        let s = |status| state(status, Severity::High, 1);
        let cases = [
            (Some(s(Pass)), Some(s(Fail)), Some(Regression)),
            (Some(s(Skipped)), Some(s(Fail)), Some(Regression)),
            (Some(s(Error)), Some(s(Fail)), Some(Regression)),
            (Some(s(Fail)), Some(s(Pass)), Some(Fix)),
            (None, Some(s(Fail)), Some(NewFailure)),
            (None, Some(s(Pass)), Some(Added)),
            (None, Some(s(Error)), Some(BecameError)),
            (Some(s(Pass)), Some(s(Error)), Some(BecameError)),
            (Some(s(Fail)), Some(s(Skipped)), Some(StatusChanged)),
            (Some(s(Status::Waived)), Some(s(Fail)), Some(WaiverExpired)),
            (
                Some(s(Fail)),
                Some(s(Status::Waived)),
                Some(ChangeClass::Waived),
            ),
            (
                Some(s(Pass)),
                Some(s(Status::Waived)),
                Some(ChangeClass::Waived),
            ),
            (None, Some(s(Status::Waived)), Some(ChangeClass::Waived)),
            (Some(s(Status::Waived)), Some(s(Pass)), Some(Fix)),
            (Some(s(Pass)), None, Some(Removed)),
            (
                Some(s(Pass)),
                Some(state(Pass, Severity::High, 2)),
                Some(EvidenceChanged),
            ),
            (
                Some(s(Fail)),
                Some(state(Fail, Severity::Low, 1)),
                Some(SeverityChanged),
            ),
            (Some(s(Pass)), Some(s(Pass)), None),
            (None, None, None),
        ];
        for (before, after, expected) in cases {
            assert_eq!(
                classify(before.as_ref(), after.as_ref()),
                expected,
                "{before:?} -> {after:?}"
            );
        }
        // Evidence whose row was pruned is not claimed to have changed.
        let mut unknown = s(Pass);
        unknown.evidence_id = None;
        assert_eq!(classify(Some(&unknown), Some(&s(Pass))), None);
    }
}
