//! Schedule state (DESIGN §5): which enrolled host is due, claims as leases in `jobs`, the
//! per-host backoff, maintenance, and the tier and interval each scan leaves behind.
//!
//! Every time is unix milliseconds and `now` is always the caller's, never read here, so a
//! run uses one instant throughout and tests can move time. A clock that went backwards
//! between runs only makes hosts not due yet; no interval or overdue time is ever negative.
//!
//! Every change to a host's schedule writes an `audit_events` row whose detail has `reason`,
//! `old` and `new` ({tier, interval_secs, next_scan_at}, null when there was no row):
//! kind `schedule_changed` (reasons `enrolled`, `enrolled_from_history`, `re_enrolled`,
//! `left_inventory`, `interval_changed`, `scanned`, `scan_failed`, `backoff_suppressed`,
//! `backoff_reset`, `maintenance_set`, `maintenance_cleared`, `maintenance_skip`),
//! `job_rejected` (`bad_signature`, `missing`) and `job_lease_expired` (`lease_expired`).
//!
//! The same statements run on SQLite and PostgreSQL. On SQLite every write is one IMMEDIATE
//! transaction, so runs take turns. On PostgreSQL runs overlap (READ COMMITTED): a host's
//! `host_schedule` row is its lock. A claim takes it with `FOR UPDATE SKIP LOCKED`, so
//! concurrent runs claim disjoint hosts without waiting, and re-reads the host after taking
//! it, as another run may have claimed or rescheduled it meanwhile. Everything else that
//! rewrites a host's schedule locks its row first (`FOR UPDATE`), rows of several hosts in
//! name order, so runs never deadlock; enrolments take turns under an advisory lock.

use super::Store;
use super::db::{DbResult, Dialect, Row, Tx, TxMode, args, parse};
use super::error::StoreError;
use super::model::text_enum;
use crate::canonical::to_canonical_string;
use crate::policy::{Backoff, Policy, Schedule, TierIntervals};
use crate::schedule_key::JobKey;
use crate::tier::Tier;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// `last_error` (and its audit copy) is cut to this many bytes.
const MAX_ERROR_BYTES: usize = 4096;

/// The schedule's knobs: the policy's (clamped) intervals and backoff, or DESIGN's defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ScheduleSettings {
    /// Already clamped to [`crate::policy::model::INTERVAL_FLOOR`, `INTERVAL_CAP`] by the
    /// policy parser.
    pub intervals: TierIntervals,
    pub backoff: Backoff,
    /// Cap on hosts claimed by one pass; `None` = no cap.
    pub max_hosts: Option<u32>,
}

impl ScheduleSettings {
    pub fn new(schedule: &Schedule, backoff: &Backoff) -> Self {
        Self {
            intervals: schedule.intervals.clone(),
            backoff: backoff.clone(),
            max_hosts: schedule.max_hosts_per_run,
        }
    }

    pub fn from_policy(policy: &Policy) -> Self {
        Self::new(&policy.schedule, &policy.backoff)
    }

    fn interval_secs(&self, tier: Tier) -> i64 {
        i64::try_from(self.intervals.get(tier).as_secs()).unwrap_or(i64::MAX)
    }

    /// Suppression after `failures` consecutive failures: none below the threshold, then
    /// base × 2^(failures − threshold), at most `max`.
    pub fn suppression(&self, failures: u32) -> Option<Duration> {
        let backoff = &self.backoff;
        let threshold = backoff.threshold.max(1);
        if failures < threshold {
            return None;
        }
        let factor = 1u64.checked_shl(failures - threshold).unwrap_or(u64::MAX);
        let secs = backoff.base.as_secs().saturating_mul(factor);
        Some(Duration::from_secs(secs.min(backoff.max.as_secs())))
    }
}

/// The policy's maintenance windows in the form [`ClaimRequest::maintenance`] takes: given a
/// host and an instant (ms), the end (ms) of the window it is in.
pub fn policy_maintenance(schedule: &Schedule) -> impl Fn(&str, i64) -> Option<i64> + '_ {
    move |host, at_ms| {
        schedule
            .maintenance_end(host, at_ms.div_euclid(1000))
            .map(|end_secs| end_secs.saturating_mul(1000))
    }
}

/// For runs without maintenance windows.
pub fn no_maintenance(_host: &str, _at_ms: i64) -> Option<i64> {
    None
}

fn ms(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

fn secs_to_ms(secs: i64) -> i64 {
    secs.saturating_mul(1000)
}

text_enum!(
    /// Where a job stands. Only `claimed` is live.
    JobStatus {
        Claimed => "claimed",
        Done => "done",
        Failed => "failed",
        Rejected => "rejected",
        Expired => "expired",
        Released => "released",
    }
);

/// One claimed scan of one host (a `jobs` row).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Job {
    pub job_id: String,
    pub host: String,
    pub owner: String,
    pub claimed_at: i64,
    pub lease_expires_at: i64,
    /// Snapshotted when the job was claimed.
    pub policy_version: Option<i64>,
    pub ruleset_hash: String,
    pub enqueued_at: i64,
    /// Hex HMAC-SHA256 of host, ruleset_hash, policy_version and enqueued_at.
    pub hmac: String,
    pub status: JobStatus,
}

/// The `jobs` columns [`job`] reads, as a literal for `concat!`.
macro_rules! job_columns {
    () => {
        "job_id, host, owner, claimed_at, lease_expires_at, policy_version, ruleset_hash,
         enqueued_at, hmac, status"
    };
}

fn job(row: &Row) -> DbResult<Job> {
    Ok(Job {
        job_id: row.get(0)?,
        host: row.get(1)?,
        owner: row.get(2)?,
        claimed_at: row.get(3)?,
        lease_expires_at: row.get(4)?,
        policy_version: row.get(5)?,
        ruleset_hash: row.get(6)?,
        enqueued_at: row.get(7)?,
        hmac: row.get(8)?,
        status: parse(row.get(9)?)?,
    })
}

/// What one `schedule run-once` pass asks for.
pub struct ClaimRequest<'a> {
    /// This run's id; its leases are its own.
    pub owner: String,
    pub now: i64,
    /// How long a claim lasts before another run may take the host over.
    pub lease: Duration,
    pub max_hosts: Option<u32>,
    pub policy_version: Option<i64>,
    pub ruleset_hash: String,
    /// End (ms) of the maintenance window `host` is in at the given instant (ms), if any:
    /// [`policy_maintenance`] or [`no_maintenance`].
    pub maintenance: &'a dyn Fn(&str, i64) -> Option<i64>,
    /// Intervals for a host found already scanned by a run whose lease lapsed.
    pub settings: &'a ScheduleSettings,
}

/// What a claim pass did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ClaimReport {
    /// Claimed by this pass, in claim order (never scanned first, then most overdue).
    pub jobs: Vec<Job>,
    /// Due but in maintenance: their next scan moved to the window's end.
    pub skipped_maintenance: Vec<String>,
    /// Due but suppressed after repeated failures.
    pub skipped_backoff: Vec<String>,
    /// Due but held by another run's live lease.
    pub already_claimed: Vec<String>,
    /// Due and claimable, left for a later pass by `max_hosts`.
    pub over_cap: usize,
    /// Enrolled hosts not due yet.
    pub not_yet_due: usize,
    /// Earliest instant (ms) an unclaimed host becomes due or leaves its suppression.
    pub next_due: Option<i64>,
    /// Leases that had lapsed, marked `expired` by this pass.
    pub expired: Vec<Job>,
}

/// Why [`Store::verify_job`] refused a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    /// No such job row.
    Missing,
    /// The row's HMAC does not match its fields: it was edited outside plumb.
    BadSignature,
    /// The job is no longer claimed (done, expired, ...).
    NotClaimed(JobStatus),
    /// The lease lapsed before the job was started; it is now `expired`.
    LeaseExpired,
}

/// A job the executor must not run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobRejected {
    pub job_id: String,
    pub host: Option<String>,
    pub reason: RejectReason,
}

impl fmt::Display for JobRejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let host = self.host.as_deref().unwrap_or("?");
        match self.reason {
            RejectReason::Missing => write!(f, "job {} does not exist", self.job_id),
            RejectReason::BadSignature => write!(
                f,
                "job {} for host {host:?} was modified outside plumb (its HMAC does not match); rejected",
                self.job_id
            ),
            RejectReason::NotClaimed(status) => {
                write!(
                    f,
                    "job {} for host {host:?} is {status}, not claimed",
                    self.job_id
                )
            }
            RejectReason::LeaseExpired => write!(
                f,
                "the lease of job {} for host {host:?} expired before it started",
                self.job_id
            ),
        }
    }
}

impl std::error::Error for JobRejected {}

/// How a claimed job ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobResult {
    /// The scan ran and was recorded (with `apply_scan`) before this is reported.
    Scanned { finished_at: i64 },
    /// The host could not be scanned.
    Failed { error: String },
}

/// A host's tier, interval and next scan: what audit rows record as `old` and `new`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ScheduleSnapshot {
    pub tier: Tier,
    pub interval_secs: i64,
    pub next_scan_at: i64,
}

/// What [`Store::finish_job`] did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rescheduled {
    pub job_id: String,
    pub host: String,
    /// The job row was no longer this run's live claim (its lease lapsed and it was expired
    /// or re-claimed): neither the job nor the schedule was changed.
    pub lease_lost: bool,
    /// The job's status after the call; `None` if the row is gone.
    pub job_status: Option<JobStatus>,
    pub old: Option<ScheduleSnapshot>,
    pub new: Option<ScheduleSnapshot>,
    pub consecutive_failures: u32,
    pub suppress_until: Option<i64>,
}

/// What [`Store::enrol`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EnrolReport {
    /// New to the schedule.
    pub enrolled: Vec<String>,
    /// Back in the inventory after leaving it.
    pub re_enrolled: Vec<String>,
    /// Left the inventory: kept, never claimed.
    pub unenrolled: Vec<String>,
    /// Enrolled already, given a new interval by the settings.
    pub rescheduled: Vec<String>,
    pub unchanged: usize,
}

/// One host's schedule (`plumb schedule status`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HostScheduleStatus {
    pub host: String,
    pub enrolled: bool,
    pub tier: Tier,
    pub score: Option<f64>,
    pub has_critical: bool,
    pub interval_secs: i64,
    pub next_scan_at: i64,
    /// How long past due (ms), 0 when not due.
    pub overdue_by: i64,
    pub last_scan_finished_at: Option<i64>,
    pub policy_version_at_last_scan: Option<i64>,
    pub maintenance_until: Option<i64>,
    pub consecutive_failures: u32,
    pub suppress_until: Option<i64>,
    pub last_error: Option<String>,
    /// Owner of the live lease on the host, if any.
    pub claimed_by: Option<String>,
}

/// A `host_schedule` row.
#[derive(Debug, Clone)]
struct ScheduleRow {
    tier: Tier,
    score: Option<f64>,
    has_critical: bool,
    interval_secs: i64,
    next_scan_at: i64,
    last_scan_finished_at: Option<i64>,
    maintenance_until: Option<i64>,
    enrolled: bool,
}

impl ScheduleRow {
    fn snapshot(&self) -> ScheduleSnapshot {
        ScheduleSnapshot {
            tier: self.tier,
            interval_secs: self.interval_secs,
            next_scan_at: self.next_scan_at,
        }
    }
}

/// The `host_schedule` columns [`schedule_row`] reads, as a literal for `concat!`.
macro_rules! row_columns {
    () => {
        "compliance_state, score, has_critical, interval_secs, next_scan_at,
         last_scan_finished_at, maintenance_until, enrolled"
    };
}

/// Reads [`row_columns`] starting at column `at`.
fn schedule_row(row: &Row, at: usize) -> DbResult<ScheduleRow> {
    Ok(ScheduleRow {
        tier: parse(row.get(at)?)?,
        score: row.get(at + 1)?,
        has_critical: row.get(at + 2)?,
        interval_secs: row.get(at + 3)?,
        next_scan_at: row.get(at + 4)?,
        last_scan_finished_at: row.get(at + 5)?,
        maintenance_until: row.get(at + 6)?,
        enrolled: row.get(at + 7)?,
    })
}

fn load_row(tx: &mut Tx, host: &str) -> DbResult<Option<ScheduleRow>> {
    tx.query_opt(
        concat!(
            "SELECT ",
            row_columns!(),
            " FROM host_schedule WHERE host = ?1"
        ),
        &args![host],
        |row| schedule_row(row, 0),
    )
}

/// [`load_row`] for a change to the row: on PostgreSQL the row stays locked to commit, and
/// is read as the last run that held it left it.
fn load_row_for_update(tx: &mut Tx, host: &str) -> DbResult<Option<ScheduleRow>> {
    match tx.dialect() {
        Dialect::Sqlite => load_row(tx, host),
        Dialect::Postgres => tx.query_opt(
            concat!(
                "SELECT ",
                row_columns!(),
                " FROM host_schedule WHERE host = ?1 FOR UPDATE"
            ),
            &args![host],
            |row| schedule_row(row, 0),
        ),
    }
}

/// A host's standing from the store: score of its latest full-scope `ok` scan, and the
/// critical rules failing now (any scope: a selection that found one counts too).
struct Assessment {
    score: Option<f64>,
    failed_critical: u32,
    /// When that full scan finished.
    finished_at: Option<i64>,
    policy_version: Option<i64>,
}

impl Assessment {
    fn tier(&self) -> Tier {
        Tier::of(self.score, self.failed_critical)
    }
}

fn assess(tx: &mut Tx, host: &str) -> DbResult<Assessment> {
    let failed_critical: u32 = tx
        .query_opt(
            "SELECT fail_critical FROM hosts WHERE name = ?1",
            &args![host],
            |row| row.get(0),
        )?
        .unwrap_or(0);
    let full: Option<(u32, u32, i64, Option<i64>)> = tx.query_opt(
        "SELECT pass_count, fail_count, finished_at, policy_version FROM scans
         WHERE host = ?1 AND scope = 'full' AND status = 'ok'
         ORDER BY finished_at DESC, rowid DESC LIMIT 1",
        &args![host],
        |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
    )?;
    Ok(match full {
        Some((pass, fail, finished_at, policy_version)) => Assessment {
            score: crate::score::compliance_score(pass.into(), fail.into()),
            failed_critical,
            finished_at: Some(finished_at),
            policy_version,
        },
        None => Assessment {
            score: None,
            failed_critical,
            finished_at: None,
            policy_version: None,
        },
    })
}

fn snapshot_json(snapshot: Option<ScheduleSnapshot>) -> Value {
    snapshot.map_or(Value::Null, |s| {
        json!({"tier": s.tier.as_str(), "interval_secs": s.interval_secs, "next_scan_at": s.next_scan_at})
    })
}

/// One audit row about a host's schedule; `extra` (an object) adds fields to the detail.
#[allow(clippy::too_many_arguments)]
fn audit(
    tx: &mut Tx,
    now: i64,
    kind: &str,
    host: Option<&str>,
    reason: &str,
    old: Option<ScheduleSnapshot>,
    new: Option<ScheduleSnapshot>,
    extra: Value,
) -> DbResult<()> {
    let mut detail =
        json!({"reason": reason, "old": snapshot_json(old), "new": snapshot_json(new)});
    if let (Some(detail), Value::Object(extra)) = (detail.as_object_mut(), extra) {
        detail.extend(extra);
    }
    tx.execute(
        "INSERT INTO audit_events (occurred_at, kind, host, detail) VALUES (?1, ?2, ?3, ?4)",
        &args![now, kind, host, to_canonical_string(&detail)],
    )?;
    Ok(())
}

fn changed(
    tx: &mut Tx,
    now: i64,
    host: &str,
    reason: &str,
    old: Option<ScheduleSnapshot>,
    new: Option<ScheduleSnapshot>,
    extra: Value,
) -> DbResult<()> {
    audit(
        tx,
        now,
        "schedule_changed",
        Some(host),
        reason,
        old,
        new,
        extra,
    )
}

fn truncate(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Runs `work` in one write transaction (SQLite: IMMEDIATE) and commits it.
fn write<T>(
    store: &mut Store,
    context: &str,
    work: impl FnOnce(&mut Tx) -> DbResult<T>,
) -> Result<T, StoreError> {
    let (mut tx, at) = store.begin(TxMode::Write, context)?;
    let value = work(&mut tx).map_err(at.fail(context))?;
    tx.commit().map_err(at.fail(context))?;
    Ok(value)
}

/// The key of the transaction-scoped advisory lock under which enrolments take turns on
/// PostgreSQL ("enrol" in ASCII).
const ENROL_LOCK_KEY: i64 = 0x65_6e_72_6f_6c;

/// A due host as a claim sees it: its row, its backoff, and whether a run holds it.
struct Due {
    host: String,
    row: ScheduleRow,
    suppress_until: Option<i64>,
    claimed: bool,
}

/// The due hosts, in claim order, or (`?2` set) the one host if it is due.
macro_rules! due_select {
    () => {
        concat!(
            "SELECT s.host, b.suppress_until,
                    EXISTS (SELECT 1 FROM jobs j WHERE j.host = s.host AND j.status = 'claimed'),
                    ",
            row_columns!(),
            "
             FROM host_schedule s LEFT JOIN host_backoff b ON b.host = s.host
             WHERE s.enrolled = 1 AND s.next_scan_at <= ?1"
        )
    };
}

fn due(row: &Row) -> DbResult<Due> {
    Ok(Due {
        host: row.get(0)?,
        suppress_until: row.get(1)?,
        claimed: row.get(2)?,
        row: schedule_row(row, 3)?,
    })
}

/// What [`take_due`] found.
enum Taken {
    /// Locked for this claim, and still due and unclaimed.
    Due(Due),
    /// Another run holds it, has claimed it, or has already rescheduled it.
    Elsewhere,
}

/// Takes `host` for this claim. On PostgreSQL the row is locked unless another transaction
/// holds it (then it is that run's), and re-read by a later statement, so a claim another
/// run committed after this claim's first read is seen. On SQLite the claim's IMMEDIATE
/// transaction already excludes every other writer.
fn take_due(tx: &mut Tx, host: &str, now: i64) -> DbResult<Taken> {
    if tx.dialect() == Dialect::Postgres {
        let locked = tx.query_opt(
            "SELECT host FROM host_schedule WHERE host = ?1 FOR UPDATE SKIP LOCKED",
            &args![host],
            |_| Ok(()),
        )?;
        if locked.is_none() {
            return Ok(Taken::Elsewhere);
        }
    }
    let fresh = tx.query_opt(
        concat!(due_select!(), " AND s.host = ?2"),
        &args![now, host],
        due,
    )?;
    Ok(match fresh {
        Some(fresh) if !fresh.claimed => Taken::Due(fresh),
        _ => Taken::Elsewhere,
    })
}

/// A row's schedule before and after `settings`: a new interval for its tier moves its next
/// scan to one interval after its last scan.
fn resettled(
    row: &ScheduleRow,
    settings: &ScheduleSettings,
) -> (ScheduleSnapshot, ScheduleSnapshot) {
    let old = row.snapshot();
    let interval_secs = settings.interval_secs(row.tier);
    let mut new = old;
    if interval_secs != row.interval_secs {
        new.interval_secs = interval_secs;
        if let Some(last) = row.last_scan_finished_at {
            new.next_scan_at = last.saturating_add(secs_to_ms(interval_secs));
        }
    }
    (old, new)
}

impl Store {
    /// Makes `hosts` the enrolled set. A new host takes its tier and next scan from a full
    /// scan already in the store, else is `unknown` and due at `now`; an enrolled host not
    /// in `hosts` is unenrolled (kept, never claimed); one coming back is enrolled again. An
    /// enrolled host whose tier has another interval under `settings` is rescheduled from its
    /// last scan.
    pub fn enrol(
        &mut self,
        hosts: &[String],
        settings: &ScheduleSettings,
        now: i64,
    ) -> Result<EnrolReport, StoreError> {
        write(self, "enrolling hosts", |tx| {
            if tx.dialect() == Dialect::Postgres {
                tx.execute("SELECT pg_advisory_xact_lock(?1)", &args![ENROL_LOCK_KEY])?;
            }
            let wanted: BTreeSet<&str> = hosts.iter().map(String::as_str).collect();
            let mut existing: BTreeMap<String, ScheduleRow> = tx
                .query_map(
                    concat!("SELECT host, ", row_columns!(), " FROM host_schedule"),
                    &args![],
                    |row| Ok((row.get(0)?, schedule_row(row, 1)?)),
                )?
                .into_iter()
                .collect();
            // The rows this rewrites, locked in name order and read again: a run may have
            // rescheduled one since the read above.
            let rewritten: Vec<String> = existing
                .iter()
                .filter(|(host, row)| {
                    if wanted.contains(host.as_str()) {
                        let (old, new) = resettled(row, settings);
                        !(row.enrolled && new == old)
                    } else {
                        row.enrolled
                    }
                })
                .map(|(host, _)| host.clone())
                .collect();
            for host in rewritten {
                match load_row_for_update(tx, &host)? {
                    Some(row) => existing.insert(host, row),
                    None => existing.remove(&host),
                };
            }
            let mut report = EnrolReport::default();
            for host in &wanted {
                let Some(row) = existing.get(*host) else {
                    enrol_new(tx, host, settings, now)?;
                    report.enrolled.push(host.to_string());
                    continue;
                };
                let (old, new) = resettled(row, settings);
                if row.enrolled && new == old {
                    report.unchanged += 1;
                    continue;
                }
                tx.execute(
                    "UPDATE host_schedule SET enrolled = 1, interval_secs = ?2, next_scan_at = ?3
                     WHERE host = ?1",
                    &args![host, new.interval_secs, new.next_scan_at],
                )?;
                let reason = if row.enrolled {
                    report.rescheduled.push(host.to_string());
                    "interval_changed"
                } else {
                    tx.execute(
                        "UPDATE hosts SET removed_at = NULL WHERE name = ?1",
                        &args![host],
                    )?;
                    report.re_enrolled.push(host.to_string());
                    "re_enrolled"
                };
                changed(tx, now, host, reason, Some(old), Some(new), json!({}))?;
            }
            for (host, row) in &existing {
                if row.enrolled && !wanted.contains(host.as_str()) {
                    tx.execute(
                        "UPDATE host_schedule SET enrolled = 0 WHERE host = ?1",
                        &args![host],
                    )?;
                    // Its history stays; `state hosts` and the delta export see it removed.
                    tx.execute(
                        "UPDATE hosts SET removed_at = ?2 WHERE name = ?1 AND removed_at IS NULL",
                        &args![host, now],
                    )?;
                    let snapshot = Some(row.snapshot());
                    changed(
                        tx,
                        now,
                        host,
                        "left_inventory",
                        snapshot,
                        snapshot,
                        json!({}),
                    )?;
                    report.unenrolled.push(host.clone());
                }
            }
            Ok(report)
        })
    }

    /// Claims the due hosts for `request.owner`, so two overlapping runs never claim one
    /// host: lapsed leases are expired first; a due host in maintenance has its next scan
    /// moved to the window's end, one under backoff waits. Order: never scanned, then most
    /// overdue, then name; at most `max_hosts`. On SQLite this is one IMMEDIATE transaction;
    /// on PostgreSQL each host is taken with `FOR UPDATE SKIP LOCKED` (see [`take_due`]), so
    /// runs claiming at once take disjoint hosts without waiting for each other.
    pub fn claim_due(
        &mut self,
        request: &ClaimRequest,
        key: &JobKey,
    ) -> Result<ClaimReport, StoreError> {
        let now = request.now;
        write(self, "claiming due hosts", |tx| {
            let mut report = ClaimReport {
                expired: expire_leases(tx, now, request.settings)?,
                ..ClaimReport::default()
            };
            let not_yet_due: i64 = tx.query_row(
                "SELECT count(*) FROM host_schedule WHERE enrolled = 1 AND next_scan_at > ?1",
                &args![now],
                |row| row.get(0),
            )?;
            report.not_yet_due = usize::try_from(not_yet_due).unwrap_or(0);
            let due_hosts: Vec<Due> = tx.query_map(
                concat!(
                    due_select!(),
                    " ORDER BY s.last_scan_finished_at IS NOT NULL, s.next_scan_at, s.host"
                ),
                &args![now],
                due,
            )?;
            let cap = request
                .max_hosts
                .map_or(usize::MAX, |n| usize::try_from(n).unwrap_or(usize::MAX));
            let lease_expires_at = now.saturating_add(ms(request.lease));
            let window_end = |due: &Due| {
                [
                    due.row.maintenance_until,
                    (request.maintenance)(&due.host, now),
                ]
                .into_iter()
                .flatten()
                .filter(|end| *end > now)
                .max()
            };
            let suppressed = |due: &Due| due.suppress_until.filter(|until| *until > now);
            let mut next_due: Option<i64> = None;
            for seen in due_hosts {
                if seen.claimed {
                    report.already_claimed.push(seen.host);
                    continue;
                }
                // Only a host this claim changes is taken; one it merely counts is not.
                let changes = window_end(&seen).is_some()
                    || (suppressed(&seen).is_none() && report.jobs.len() < cap);
                let due = if changes {
                    match take_due(tx, &seen.host, now)? {
                        Taken::Due(due) => due,
                        Taken::Elsewhere => {
                            report.already_claimed.push(seen.host);
                            continue;
                        }
                    }
                } else {
                    seen
                };
                if let Some(end) = window_end(&due) {
                    tx.execute(
                        "UPDATE host_schedule SET next_scan_at = ?2 WHERE host = ?1",
                        &args![due.host, end],
                    )?;
                    let old = due.row.snapshot();
                    let new = ScheduleSnapshot {
                        next_scan_at: end,
                        ..old
                    };
                    changed(
                        tx,
                        now,
                        &due.host,
                        "maintenance_skip",
                        Some(old),
                        Some(new),
                        json!({"maintenance_until": end}),
                    )?;
                    report.skipped_maintenance.push(due.host);
                    continue;
                }
                if let Some(until) = suppressed(&due) {
                    next_due = Some(next_due.map_or(until, |next| next.min(until)));
                    report.skipped_backoff.push(due.host);
                    continue;
                }
                if report.jobs.len() >= cap {
                    report.over_cap += 1;
                    continue;
                }
                let host = due.host;
                let job = Job {
                    job_id: uuid::Uuid::new_v4().to_string(),
                    hmac: key.sign(&host, &request.ruleset_hash, request.policy_version, now),
                    host,
                    owner: request.owner.clone(),
                    claimed_at: now,
                    lease_expires_at,
                    policy_version: request.policy_version,
                    ruleset_hash: request.ruleset_hash.clone(),
                    enqueued_at: now,
                    status: JobStatus::Claimed,
                };
                insert_job(tx, &job)?;
                report.jobs.push(job);
            }
            let upcoming: Option<i64> = tx.query_row(
                "SELECT min(next_scan_at) FROM host_schedule WHERE enrolled = 1 AND next_scan_at > ?1",
                &args![now],
                |row| row.get(0),
            )?;
            report.next_due = [next_due, upcoming].into_iter().flatten().min();
            Ok(report)
        })
    }

    /// Re-reads job `job_id` and checks its HMAC over the row's own host, ruleset hash,
    /// policy version and enqueued_at, so a row edited outside plumb is caught: it becomes
    /// `rejected`, with a `job_rejected` audit row. A job no longer claimed, or whose lease
    /// lapsed (it is then expired), is refused too. The outer error is the store's.
    pub fn verify_job(
        &mut self,
        job_id: &str,
        key: &JobKey,
        now: i64,
    ) -> Result<Result<Job, JobRejected>, StoreError> {
        write(self, "verifying a job", |tx| {
            let found = tx.query_opt(
                concat!("SELECT ", job_columns!(), " FROM jobs WHERE job_id = ?1"),
                &args![job_id],
                job,
            )?;
            let Some(found) = found else {
                audit(
                    tx,
                    now,
                    "job_rejected",
                    None,
                    "missing",
                    None,
                    None,
                    json!({"job_id": job_id}),
                )?;
                return Ok(Err(JobRejected {
                    job_id: job_id.to_string(),
                    host: None,
                    reason: RejectReason::Missing,
                }));
            };
            let rejected = |reason| JobRejected {
                job_id: job_id.to_string(),
                host: Some(found.host.clone()),
                reason,
            };
            let genuine = key.verify(
                &found.host,
                &found.ruleset_hash,
                found.policy_version,
                found.enqueued_at,
                &found.hmac,
            );
            if !genuine {
                tx.execute(
                    "UPDATE jobs SET status = 'rejected' WHERE job_id = ?1",
                    &args![job_id],
                )?;
                let snapshot = load_row(tx, &found.host)?.map(|row| row.snapshot());
                audit(
                    tx,
                    now,
                    "job_rejected",
                    Some(&found.host),
                    "bad_signature",
                    snapshot,
                    snapshot,
                    json!({
                        "job_id": job_id, "host": found.host, "owner": found.owner,
                        "status_before": found.status.as_str(),
                        "policy_version": found.policy_version,
                        "ruleset_hash": found.ruleset_hash, "enqueued_at": found.enqueued_at,
                    }),
                )?;
                return Ok(Err(rejected(RejectReason::BadSignature)));
            }
            if found.status != JobStatus::Claimed {
                return Ok(Err(rejected(RejectReason::NotClaimed(found.status))));
            }
            if found.lease_expires_at <= now {
                expire_job(tx, now, &found)?;
                return Ok(Err(rejected(RejectReason::LeaseExpired)));
            }
            Ok(Ok(found))
        })
    }

    /// Records how `job` ended and reschedules its host, if the job is still this owner's
    /// live claim (else nothing changes and `lease_lost` is set). A scan sets the tier from
    /// the store's latest full-scope results, the interval for it, the next scan at
    /// `finished_at` + interval, and clears any backoff. A failure counts towards backoff:
    /// from the threshold on the host is suppressed until `now` + base × 2^(failures −
    /// threshold) (at most max); its next scan stays, so it is retried after that.
    pub fn finish_job(
        &mut self,
        job: &Job,
        result: &JobResult,
        settings: &ScheduleSettings,
        now: i64,
    ) -> Result<Rescheduled, StoreError> {
        write(self, "finishing a job", |tx| {
            let status = match result {
                JobResult::Scanned { .. } => JobStatus::Done,
                JobResult::Failed { .. } => JobStatus::Failed,
            };
            let updated = tx.execute(
                "UPDATE jobs SET status = ?2
                 WHERE job_id = ?1 AND owner = ?3 AND host = ?4 AND status = 'claimed'",
                &args![job.job_id, status.as_str(), job.owner, job.host],
            )?;
            let host = job.host.as_str();
            let row = if updated == 1 {
                load_row_for_update(tx, host)?
            } else {
                load_row(tx, host)?
            };
            let (failures, suppress) = backoff_of(tx, host)?;
            let mut outcome = Rescheduled {
                job_id: job.job_id.clone(),
                host: host.to_string(),
                lease_lost: true,
                job_status: None,
                old: row.as_ref().map(ScheduleRow::snapshot),
                new: row.as_ref().map(ScheduleRow::snapshot),
                consecutive_failures: failures,
                suppress_until: suppress,
            };
            let Some(row) = row.filter(|_| updated == 1) else {
                outcome.job_status = tx.query_opt(
                    "SELECT status FROM jobs WHERE job_id = ?1",
                    &args![job.job_id],
                    |r| parse(r.get(0)?),
                )?;
                return Ok(outcome);
            };
            outcome.lease_lost = false;
            outcome.job_status = Some(status);
            let old = row.snapshot();
            match result {
                JobResult::Scanned { finished_at } => {
                    let scan = ScanFinished {
                        finished_at: *finished_at,
                        policy_version: job.policy_version,
                        job_id: &job.job_id,
                    };
                    let new = reschedule_scanned(tx, host, old, &scan, settings, now)?;
                    if failures > 0 || suppress.is_some() {
                        reset_backoff(tx, host, new, failures, suppress, now)?;
                    }
                    outcome.new = Some(new);
                    outcome.consecutive_failures = 0;
                    outcome.suppress_until = None;
                }
                JobResult::Failed { error } => {
                    let failures = failures.saturating_add(1);
                    let suppress_until = settings
                        .suppression(failures)
                        .map(|delay| now.saturating_add(ms(delay)));
                    let error = truncate(error, MAX_ERROR_BYTES);
                    tx.execute(
                        "INSERT INTO host_backoff (host, consecutive_failures, suppress_until, last_error)
                         VALUES (?1, ?2, ?3, ?4)
                         ON CONFLICT(host) DO UPDATE SET consecutive_failures = excluded.consecutive_failures,
                             suppress_until = excluded.suppress_until, last_error = excluded.last_error",
                        &args![host, failures, suppress_until, error],
                    )?;
                    let reason = if suppress_until.is_some() {
                        "backoff_suppressed"
                    } else {
                        "scan_failed"
                    };
                    changed(
                        tx,
                        now,
                        host,
                        reason,
                        Some(old),
                        Some(old),
                        json!({"job_id": job.job_id, "consecutive_failures": failures,
                               "suppress_until": suppress_until, "error": error}),
                    )?;
                    outcome.consecutive_failures = failures;
                    outcome.suppress_until = suppress_until;
                }
            }
            Ok(outcome)
        })
    }

    /// Gives back `owner`'s remaining live claims (a run that stops early); the count.
    pub fn release_jobs(&mut self, owner: &str, now: i64) -> Result<usize, StoreError> {
        write(self, "releasing jobs", |tx| {
            let released = tx.execute(
                "UPDATE jobs SET status = 'released',
                     lease_expires_at = CASE WHEN lease_expires_at < ?2 THEN lease_expires_at
                                             ELSE ?2 END
                 WHERE owner = ?1 AND status = 'claimed'",
                &args![owner, now],
            )?;
            Ok(usize::try_from(released).unwrap_or(usize::MAX))
        })
    }

    /// The schedule of every host ever enrolled (by name), or of one; an unknown host is
    /// [`StoreError::UnknownHost`].
    pub fn schedule_status(
        &mut self,
        host: Option<&str>,
        now: i64,
    ) -> Result<Vec<HostScheduleStatus>, StoreError> {
        let (mut tx, at) = self.begin(TxMode::Read, "reading the schedule")?;
        let statuses: Vec<HostScheduleStatus> = tx
            .query_map(
                concat!(
                    "SELECT s.host, b.consecutive_failures, b.suppress_until, b.last_error,
                        (SELECT owner FROM jobs j WHERE j.host = s.host AND j.status = 'claimed'),
                        s.policy_version_at_last_scan, ",
                    row_columns!(),
                    " FROM host_schedule s LEFT JOIN host_backoff b ON b.host = s.host
                     WHERE CAST(?1 AS TEXT) IS NULL OR s.host = ?1 ORDER BY s.host"
                ),
                &args![host],
                |r| {
                    let row = schedule_row(r, 6)?;
                    Ok(HostScheduleStatus {
                        host: r.get(0)?,
                        enrolled: row.enrolled,
                        tier: row.tier,
                        score: row.score,
                        has_critical: row.has_critical,
                        interval_secs: row.interval_secs,
                        next_scan_at: row.next_scan_at,
                        overdue_by: now.saturating_sub(row.next_scan_at).max(0),
                        last_scan_finished_at: row.last_scan_finished_at,
                        policy_version_at_last_scan: r.get(5)?,
                        maintenance_until: row.maintenance_until,
                        consecutive_failures: r.get::<Option<u32>>(1)?.unwrap_or(0),
                        suppress_until: r.get(2)?,
                        last_error: r.get(3)?,
                        claimed_by: r.get(4)?,
                    })
                },
            )
            .map_err(at.fail("reading the schedule"))?;
        drop(tx);
        match host {
            Some(host) if statuses.is_empty() => Err(StoreError::UnknownHost {
                path: self.path.clone(),
                host: host.to_string(),
            }),
            _ => Ok(statuses),
        }
    }

    /// Puts an enrolled host in maintenance until `until` (ms), or ends it (`None`): while
    /// in maintenance it is not claimed, and a due scan moves to the end of it.
    pub fn set_maintenance(
        &mut self,
        host: &str,
        until: Option<i64>,
        now: i64,
    ) -> Result<(), StoreError> {
        let path = self.path.clone();
        let found = write(self, "setting maintenance", |tx| {
            let Some(row) = load_row_for_update(tx, host)?.filter(|row| row.enrolled) else {
                return Ok(false);
            };
            // Clearing a window that pushed the host's next scan to its end makes it due now.
            let pushed = until.is_none()
                && row.maintenance_until == Some(row.next_scan_at)
                && row.next_scan_at > now;
            let next_scan_at = if pushed { now } else { row.next_scan_at };
            tx.execute(
                "UPDATE host_schedule SET maintenance_until = ?2, next_scan_at = ?3 WHERE host = ?1",
                &args![host, until, next_scan_at],
            )?;
            let snapshot = Some(row.snapshot());
            let after = Some(ScheduleSnapshot {
                next_scan_at,
                ..row.snapshot()
            });
            let reason = if until.is_some() {
                "maintenance_set"
            } else {
                "maintenance_cleared"
            };
            changed(
                tx,
                now,
                host,
                reason,
                snapshot,
                after,
                json!({"maintenance_until_before": row.maintenance_until, "maintenance_until": until}),
            )?;
            Ok(true)
        })?;
        if found {
            Ok(())
        } else {
            Err(StoreError::UnknownHost {
                path,
                host: host.to_string(),
            })
        }
    }
}

fn enrol_new(tx: &mut Tx, host: &str, settings: &ScheduleSettings, now: i64) -> DbResult<()> {
    let assessment = assess(tx, host)?;
    let (tier, next_scan_at, reason) = match assessment.finished_at {
        Some(finished_at) => {
            let tier = assessment.tier();
            let next = finished_at.saturating_add(secs_to_ms(settings.interval_secs(tier)));
            (tier, next, "enrolled_from_history")
        }
        None => (Tier::Unknown, now, "enrolled"),
    };
    let interval_secs = settings.interval_secs(tier);
    tx.execute(
        "INSERT INTO host_schedule (host, compliance_state, score, has_critical, interval_secs,
             next_scan_at, last_scan_finished_at, policy_version_at_last_scan, enrolled)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1)",
        &args![
            host,
            tier.as_str(),
            assessment.score,
            assessment.failed_critical > 0,
            interval_secs,
            next_scan_at,
            assessment.finished_at,
            assessment.policy_version,
        ],
    )?;
    let new = ScheduleSnapshot {
        tier,
        interval_secs,
        next_scan_at,
    };
    changed(tx, now, host, reason, None, Some(new), json!({}))
}

fn insert_job(tx: &mut Tx, job: &Job) -> DbResult<()> {
    tx.execute(
        concat!(
            "INSERT INTO jobs (",
            job_columns!(),
            ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
        ),
        &args![
            job.job_id,
            job.host,
            job.owner,
            job.claimed_at,
            job.lease_expires_at,
            job.policy_version,
            job.ruleset_hash,
            job.enqueued_at,
            job.hmac,
            job.status.as_str(),
        ],
    )?;
    Ok(())
}

/// A scan that ends a job: when it finished and under which policy version it ran.
struct ScanFinished<'a> {
    finished_at: i64,
    policy_version: Option<i64>,
    job_id: &'a str,
}

/// Sets a host's tier from its latest full scan and its next scan one interval after `scan`.
fn reschedule_scanned(
    tx: &mut Tx,
    host: &str,
    old: ScheduleSnapshot,
    scan: &ScanFinished,
    settings: &ScheduleSettings,
    now: i64,
) -> DbResult<ScheduleSnapshot> {
    let assessment = assess(tx, host)?;
    let tier = assessment.tier();
    let interval_secs = settings.interval_secs(tier);
    let new = ScheduleSnapshot {
        tier,
        interval_secs,
        next_scan_at: scan.finished_at.saturating_add(secs_to_ms(interval_secs)),
    };
    tx.execute(
        "UPDATE host_schedule SET compliance_state = ?2, score = ?3,
             has_critical = ?4, interval_secs = ?5, next_scan_at = ?6,
             last_scan_finished_at = ?7, policy_version_at_last_scan = ?8
         WHERE host = ?1",
        &args![
            host,
            tier.as_str(),
            assessment.score,
            assessment.failed_critical > 0,
            interval_secs,
            new.next_scan_at,
            scan.finished_at,
            scan.policy_version,
        ],
    )?;
    changed(
        tx,
        now,
        host,
        "scanned",
        Some(old),
        Some(new),
        json!({"job_id": scan.job_id, "score": assessment.score,
               "finished_at": scan.finished_at}),
    )?;
    Ok(new)
}

fn reset_backoff(
    tx: &mut Tx,
    host: &str,
    snapshot: ScheduleSnapshot,
    failures: u32,
    suppress: Option<i64>,
    now: i64,
) -> DbResult<()> {
    tx.execute("DELETE FROM host_backoff WHERE host = ?1", &args![host])?;
    changed(
        tx,
        now,
        host,
        "backoff_reset",
        Some(snapshot),
        Some(snapshot),
        json!({"previous_failures": failures, "previous_suppress_until": suppress}),
    )
}

/// Ends the jobs whose lease has lapsed. A run killed after it recorded a host's scan but
/// before it rescheduled the host has still scanned it: that job is done and the host is
/// rescheduled from the recorded scan, so the next pass does not scan it again. On
/// PostgreSQL a lapsed job another run is ending already is left to that run.
fn expire_leases(tx: &mut Tx, now: i64, settings: &ScheduleSettings) -> DbResult<Vec<Job>> {
    let stale: Vec<Job> = match tx.dialect() {
        Dialect::Sqlite => tx.query_map(
            concat!(
                "SELECT ",
                job_columns!(),
                " FROM jobs WHERE status = 'claimed' AND lease_expires_at <= ?1 ORDER BY host"
            ),
            &args![now],
            job,
        )?,
        Dialect::Postgres => tx.query_map(
            concat!(
                "SELECT ",
                job_columns!(),
                " FROM jobs WHERE status = 'claimed' AND lease_expires_at <= ?1 ORDER BY host
                 FOR UPDATE SKIP LOCKED"
            ),
            &args![now],
            job,
        )?,
    };
    for job in &stale {
        match recorded_scan(tx, job)? {
            Some(scan) => {
                tx.execute(
                    "UPDATE jobs SET status = 'done' WHERE job_id = ?1",
                    &args![job.job_id],
                )?;
                if let Some(row) = load_row_for_update(tx, &job.host)? {
                    reschedule_scanned(tx, &job.host, row.snapshot(), &scan, settings, now)?;
                    let (failures, suppress) = backoff_of(tx, &job.host)?;
                    if failures > 0 || suppress.is_some() {
                        let new = load_row(tx, &job.host)?.map_or(row.snapshot(), |r| r.snapshot());
                        reset_backoff(tx, &job.host, new, failures, suppress, now)?;
                    }
                }
            }
            None => expire_job(tx, now, job)?,
        }
    }
    Ok(stale)
}

/// The full, successful scheduled scan of the job's host recorded since the job was claimed.
fn recorded_scan<'a>(tx: &mut Tx, job: &'a Job) -> DbResult<Option<ScanFinished<'a>>> {
    let finished_at: Option<i64> = tx.query_row(
        "SELECT max(finished_at) FROM scans WHERE host = ?1 AND trigger = 'scheduled'
           AND status = 'ok' AND scope = 'full' AND finished_at >= ?2",
        &args![job.host, job.claimed_at],
        |row| row.get(0),
    )?;
    Ok(finished_at.map(|finished_at| ScanFinished {
        finished_at,
        policy_version: job.policy_version,
        job_id: &job.job_id,
    }))
}

/// Marks a claimed job `expired`, with an audit row; a job another run ended meanwhile is
/// left as it is.
fn expire_job(tx: &mut Tx, now: i64, job: &Job) -> DbResult<()> {
    let expired = tx.execute(
        "UPDATE jobs SET status = 'expired' WHERE job_id = ?1 AND status = 'claimed'",
        &args![job.job_id],
    )?;
    if expired == 0 {
        return Ok(());
    }
    let snapshot = load_row(tx, &job.host)?.map(|row| row.snapshot());
    audit(
        tx,
        now,
        "job_lease_expired",
        Some(&job.host),
        "lease_expired",
        snapshot,
        snapshot,
        json!({"job_id": job.job_id, "owner": job.owner, "lease_expires_at": job.lease_expires_at}),
    )
}

/// A host's (consecutive failures, suppress_until); (0, None) without a row.
fn backoff_of(tx: &mut Tx, host: &str) -> DbResult<(u32, Option<i64>)> {
    Ok(tx
        .query_opt(
            "SELECT consecutive_failures, suppress_until FROM host_backoff WHERE host = ?1",
            &args![host],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?
        .unwrap_or((0, None)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::PolicyDuration;

    #[test]
    fn suppression_doubles_from_the_threshold_and_never_overflows_past_the_cap() {
        let settings = ScheduleSettings {
            backoff: Backoff {
                threshold: 2,
                base: PolicyDuration::from_secs(60),
                max: PolicyDuration::from_secs(3600),
            },
            ..ScheduleSettings::default()
        };
        let secs = |failures| settings.suppression(failures).map(|d| d.as_secs());
        assert_eq!(secs(1), None);
        assert_eq!(secs(2), Some(60));
        assert_eq!(secs(3), Some(120));
        assert_eq!(secs(7), Some(1920));
        assert_eq!(secs(8), Some(3600));
        assert_eq!(secs(u32::MAX), Some(3600));
    }
}
