//! The schedule's state layer (DESIGN §5): enrolment, claims as leases, maintenance, backoff,
//! tiers and intervals, the job HMAC against rows edited outside plumb, and concurrent
//! claimers. Each contract test runs on a SQLite file and on a PostgreSQL database
//! (`contract_tests!`); the schema migration of a state file is SQLite's alone.

mod common;
mod support;

use common::*;
use plumb::policy::{Policy, parse_policy};
use plumb::schedule_key::JobKey;
use plumb::store::{
    ClaimReport, ClaimRequest, HostScheduleStatus, Job, JobResult, JobStatus, RejectReason,
    ScheduleSettings, Severity, Status, Store, StoreError, no_maintenance, policy_maintenance,
};
use plumb::tier::Tier;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;
use support::backends::Backend;
use support::tools::sqlite3;

/// 2023-11-14T22:13:20Z.
const T0: i64 = 1_700_000_000_000;
const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const LEASE: Duration = Duration::from_secs(600);
const RULESET: &str = "sha256:ruleset";

crate::contract_tests!(
    enrolment_makes_new_hosts_due_now_and_takes_known_hosts_from_their_history,
    a_host_that_leaves_the_inventory_is_kept_but_never_claimed_until_it_returns,
    never_scanned_hosts_come_first_then_the_most_overdue_then_by_name_up_to_max_hosts,
    a_host_due_exactly_now_is_claimed_and_one_due_a_millisecond_later_is_not,
    a_live_lease_is_not_taken_over_and_a_lapsed_one_is_expired_and_reclaimable,
    maintenance_set_by_hand_skips_the_host_and_moves_its_scan_to_the_window_end,
    a_policy_maintenance_window_holds_a_due_host_until_it_closes,
    repeated_failures_suppress_a_host_with_capped_exponential_backoff_until_one_success,
    tiers_and_clamped_policy_intervals_set_the_next_scan,
    a_clock_that_went_backwards_never_makes_a_negative_interval_or_overdue_time,
    a_job_row_edited_outside_plumb_is_rejected_with_an_audit_event,
    concurrent_claimers_take_every_host_exactly_once,
    a_lapsed_claim_whose_scan_was_recorded_is_done_and_not_scanned_again,
);

struct Fixture<'b> {
    backend: &'b Backend,
    store: Store,
    key: JobKey,
}

fn fixture(backend: &Backend) -> Fixture<'_> {
    let store = backend.open();
    let key = JobKey::load_or_create(&backend.dir.path().join("schedule.key")).unwrap();
    Fixture {
        backend,
        store,
        key,
    }
}

/// A query's rows as the sqlite3 CLI prints them: columns joined by `|`, one row a line.
fn table(f: &Fixture, sql: &str) -> String {
    f.backend
        .rows(sql)
        .into_iter()
        .map(|row| {
            row.into_iter()
                .map(Option::unwrap_or_default)
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn names(hosts: &[&str]) -> Vec<String> {
    hosts.iter().map(|h| h.to_string()).collect()
}

fn request<'a>(
    owner: &str,
    now: i64,
    max_hosts: Option<u32>,
    maintenance: &'a dyn Fn(&str, i64) -> Option<i64>,
) -> ClaimRequest<'a> {
    ClaimRequest {
        owner: owner.to_string(),
        now,
        lease: LEASE,
        max_hosts,
        policy_version: Some(7),
        ruleset_hash: RULESET.to_string(),
        maintenance,
        settings: &DEFAULT_SETTINGS,
    }
}

static DEFAULT_SETTINGS: std::sync::LazyLock<ScheduleSettings> =
    std::sync::LazyLock::new(ScheduleSettings::default);

fn claim(f: &mut Fixture, owner: &str, now: i64, max_hosts: Option<u32>) -> ClaimReport {
    f.store
        .claim_due(&request(owner, now, max_hosts, &no_maintenance), &f.key)
        .unwrap()
}

fn claimed(report: &ClaimReport) -> Vec<&str> {
    report.jobs.iter().map(|j| j.host.as_str()).collect()
}

fn status(f: &mut Fixture, host: &str, now: i64) -> HostScheduleStatus {
    let mut rows = f.store.schedule_status(Some(host), now).unwrap();
    assert_eq!(rows.len(), 1);
    rows.remove(0)
}

/// Audit rows of `kind` as (host, detail).
fn audits(f: &mut Fixture, kind: &str) -> Vec<(Option<String>, Value)> {
    f.store
        .audit_events(kind)
        .unwrap()
        .into_iter()
        .map(|(host, detail)| (host, serde_json::from_str(&detail).unwrap()))
        .collect()
}

fn reasons(f: &mut Fixture, host: &str) -> Vec<String> {
    audits(f, "schedule_changed")
        .into_iter()
        .filter(|(h, _)| h.as_deref() == Some(host))
        .map(|(_, d)| d["reason"].as_str().unwrap().to_string())
        .collect()
}

fn finish_scanned(f: &mut Fixture, job: &Job, finished_at: i64, settings: &ScheduleSettings) {
    let done = f
        .store
        .finish_job(
            job,
            &JobResult::Scanned { finished_at },
            settings,
            finished_at,
        )
        .unwrap();
    assert!(!done.lease_lost);
}

/// Records a full-scope scan of `host` with `pass` passing low rules, `fail` failing low
/// rules and `critical` failing critical rules.
fn record_scan(f: &mut Fixture, host: &str, at: i64, pass: usize, fail: usize, critical: usize) {
    let mut results = Vec::new();
    for i in 0..pass {
        results.push(result(&format!("p{i}"), Status::Pass, Severity::Low));
    }
    for i in 0..fail {
        results.push(result(&format!("f{i}"), Status::Fail, Severity::Low));
    }
    for i in 0..critical {
        results.push(result(&format!("c{i}"), Status::Fail, Severity::Critical));
    }
    f.store.apply_scan(&batch(host, at, results)).unwrap();
}

const PIN: &str = "0000000000000000000000000000000000000000000000000000000000000000";

fn policy(extra: &str) -> Policy {
    let text = format!("version: 3\nrulesets:\n  - path: rules\n    sha256: \"{PIN}\"\n{extra}");
    parse_policy(&text, Path::new("policy.yaml")).unwrap()
}

fn enrolment_makes_new_hosts_due_now_and_takes_known_hosts_from_their_history(backend: &Backend) {
    let mut f = fixture(backend);
    // `old` was scanned (full scope, 9 of 10 pass) an hour before it was enrolled.
    record_scan(&mut f, "old", T0 - HOUR, 9, 1, 0);
    let settings = ScheduleSettings::default();
    let report = f
        .store
        .enrol(&names(&["new", "old", "new"]), &settings, T0)
        .unwrap();
    assert_eq!(report.enrolled, ["new", "old"]);

    let new = status(&mut f, "new", T0);
    assert_eq!(
        (new.tier, new.interval_secs, new.next_scan_at, new.enrolled),
        (Tier::Unknown, 6 * 3600, T0, true)
    );
    assert_eq!(new.last_scan_finished_at, None);
    let old = status(&mut f, "old", T0);
    assert_eq!(old.tier, Tier::Compliant);
    assert_eq!(old.score, Some(90.0));
    assert_eq!(old.interval_secs, 48 * 3600);
    assert_eq!(old.next_scan_at, T0 - HOUR + 48 * HOUR);
    assert_eq!(old.last_scan_finished_at, Some(T0 - HOUR));
    assert_eq!(old.policy_version_at_last_scan, Some(1));

    let rows = audits(&mut f, "schedule_changed");
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].0.as_deref(), Some("new"));
    assert_eq!(
        rows[0].1,
        json!({"reason": "enrolled", "old": null,
               "new": {"tier": "unknown", "interval_secs": 21600, "next_scan_at": T0}})
    );
    assert_eq!(rows[1].1["reason"], "enrolled_from_history");
    assert_eq!(rows[1].1["new"]["tier"], "compliant");

    // Only the new host is due.
    let report = claim(&mut f, "run-1", T0, None);
    assert_eq!(claimed(&report), ["new"]);
    assert_eq!(report.not_yet_due, 1);
    assert_eq!(report.next_due, Some(T0 + 47 * HOUR));
}

fn a_host_that_leaves_the_inventory_is_kept_but_never_claimed_until_it_returns(backend: &Backend) {
    let mut f = fixture(backend);
    let settings = ScheduleSettings::default();
    f.store.enrol(&names(&["a", "b"]), &settings, T0).unwrap();
    record_scan(&mut f, "b", T0 - 1, 1, 0, 0);
    let scans_before = f.backend.count("SELECT count(*) FROM scans");

    let report = f.store.enrol(&names(&["a"]), &settings, T0 + 1).unwrap();
    assert_eq!(report.unenrolled, ["b"]);
    assert_eq!(report.unchanged, 1);
    assert_eq!(reasons(&mut f, "b"), ["enrolled", "left_inventory"]);
    let b = status(&mut f, "b", T0 + 1);
    assert!(!b.enrolled);
    assert_eq!(b.next_scan_at, T0, "its schedule is kept");
    assert_eq!(f.backend.count("SELECT count(*) FROM scans"), scans_before);

    let report = claim(&mut f, "run-1", T0 + 10 * HOUR, None);
    assert_eq!(claimed(&report), ["a"]);

    // Back while run-1 still holds a's lease.
    let back = T0 + 10 * HOUR + MINUTE;
    let report = f.store.enrol(&names(&["a", "b"]), &settings, back).unwrap();
    assert_eq!(report.re_enrolled, ["b"]);
    assert_eq!(
        reasons(&mut f, "b"),
        ["enrolled", "left_inventory", "re_enrolled"]
    );
    assert!(status(&mut f, "b", T0).enrolled);
    let report = claim(&mut f, "run-2", back, None);
    assert_eq!(claimed(&report), ["b"]);
    assert_eq!(report.already_claimed, ["a"]);

    // Enrolling the same set again changes nothing and writes no audit row.
    let rows = audits(&mut f, "schedule_changed").len();
    let report = f
        .store
        .enrol(&names(&["b", "a"]), &settings, T0 + 12 * HOUR)
        .unwrap();
    assert_eq!(report.unchanged, 2);
    assert!(report.enrolled.is_empty() && report.re_enrolled.is_empty());
    assert_eq!(audits(&mut f, "schedule_changed").len(), rows);
}

fn never_scanned_hosts_come_first_then_the_most_overdue_then_by_name_up_to_max_hosts(
    backend: &Backend,
) {
    let mut f = fixture(backend);
    let settings = ScheduleSettings::default();
    f.store
        .enrol(&names(&["h1", "h2", "h3"]), &settings, T0)
        .unwrap();
    let report = claim(&mut f, "run-1", T0, None);
    for job in &report.jobs {
        let finished = match job.host.as_str() {
            "h1" => T0 + 3000,
            "h2" => T0 + 1000,
            _ => T0 + 2000,
        };
        finish_scanned(&mut f, job, finished, &settings);
    }
    // Enrolled later, so their next_scan_at is the latest of all; never scanned wins anyway.
    f.store
        .enrol(
            &names(&["h1", "h2", "h3", "n-b", "n-a"]),
            &settings,
            T0 + 6 * HOUR + 10_000,
        )
        .unwrap();
    assert!(status(&mut f, "n-a", T0).next_scan_at > status(&mut f, "h1", T0).next_scan_at);
    let report = claim(&mut f, "run-2", T0 + 7 * HOUR, Some(4));
    assert_eq!(claimed(&report), ["n-a", "n-b", "h2", "h3"]);
    assert_eq!(report.over_cap, 1);
    let report = claim(&mut f, "run-3", T0 + 7 * HOUR, None);
    assert_eq!(claimed(&report), ["h1"]);
    assert_eq!(report.already_claimed.len(), 4);
}

fn a_host_due_exactly_now_is_claimed_and_one_due_a_millisecond_later_is_not(backend: &Backend) {
    let mut f = fixture(backend);
    f.store
        .enrol(&names(&["a"]), &ScheduleSettings::default(), T0)
        .unwrap();
    let report = claim(&mut f, "run-1", T0 - 1, None);
    assert!(report.jobs.is_empty());
    assert_eq!(report.not_yet_due, 1);
    assert_eq!(report.next_due, Some(T0));
    let report = claim(&mut f, "run-1", T0, None);
    assert_eq!(claimed(&report), ["a"]);
    let job = &report.jobs[0];
    assert_eq!(job.owner, "run-1");
    assert_eq!(job.status, JobStatus::Claimed);
    assert_eq!((job.claimed_at, job.enqueued_at), (T0, T0));
    assert_eq!(job.lease_expires_at, T0 + 600_000);
    assert_eq!(job.policy_version, Some(7));
    assert_eq!(job.hmac, f.key.sign("a", RULESET, Some(7), T0));
    assert_eq!(
        table(&f, "SELECT host, owner, status, policy_version FROM jobs;").trim(),
        "a|run-1|claimed|7"
    );
}

fn a_live_lease_is_not_taken_over_and_a_lapsed_one_is_expired_and_reclaimable(backend: &Backend) {
    let mut f = fixture(backend);
    let settings = ScheduleSettings::default();
    f.store.enrol(&names(&["a", "b"]), &settings, T0).unwrap();
    let first = claim(&mut f, "run-1", T0, None);
    assert_eq!(claimed(&first), ["a", "b"]);

    let lease_end = T0 + 600_000;
    let second = claim(&mut f, "run-2", lease_end - 1, None);
    assert!(second.jobs.is_empty());
    assert_eq!(second.already_claimed, ["a", "b"]);
    assert!(second.expired.is_empty());

    let third = claim(&mut f, "run-2", lease_end, None);
    assert_eq!(claimed(&third), ["a", "b"]);
    assert_eq!(third.expired.len(), 2);
    let expired = audits(&mut f, "job_lease_expired");
    assert_eq!(expired.len(), 2);
    assert_eq!(expired[0].0.as_deref(), Some("a"));
    assert_eq!(expired[0].1["job_id"], json!(first.jobs[0].job_id));
    assert_eq!(expired[0].1["owner"], "run-1");
    assert_eq!(expired[0].1["reason"], "lease_expired");
    assert_eq!(
        table(
            &f,
            "SELECT owner, status, count(*) FROM jobs GROUP BY owner, status ORDER BY owner;"
        )
        .trim(),
        "run-1|expired|2\nrun-2|claimed|2"
    );

    // The first run comes back late: its result changes neither job nor schedule.
    let late = f
        .store
        .finish_job(
            &first.jobs[0],
            &JobResult::Scanned {
                finished_at: lease_end + 5,
            },
            &settings,
            lease_end + 5,
        )
        .unwrap();
    assert!(late.lease_lost);
    assert_eq!(late.job_status, Some(JobStatus::Expired));
    assert_eq!(status(&mut f, "a", lease_end).last_scan_finished_at, None);
    let verdict = f
        .store
        .verify_job(&first.jobs[0].job_id, &f.key, lease_end + 6)
        .unwrap();
    assert_eq!(
        verdict.unwrap_err().reason,
        RejectReason::NotClaimed(JobStatus::Expired)
    );

    // The second run finishes a and gives b back; b is claimable at once by another run.
    finish_scanned(&mut f, &third.jobs[0], lease_end + 10, &settings);
    assert_eq!(f.store.release_jobs("run-2", lease_end + 11).unwrap(), 1);
    assert_eq!(f.store.release_jobs("run-2", lease_end + 11).unwrap(), 0);
    let fourth = claim(&mut f, "run-3", lease_end + 12, None);
    assert_eq!(claimed(&fourth), ["b"]);
    assert!(fourth.expired.is_empty());
}

fn maintenance_set_by_hand_skips_the_host_and_moves_its_scan_to_the_window_end(backend: &Backend) {
    let mut f = fixture(backend);
    f.store
        .enrol(&names(&["a", "b"]), &ScheduleSettings::default(), T0)
        .unwrap();
    let end = T0 + HOUR;
    f.store.set_maintenance("a", Some(end), T0).unwrap();
    assert_eq!(status(&mut f, "a", T0).maintenance_until, Some(end));

    let report = claim(&mut f, "run-1", T0, None);
    assert_eq!(claimed(&report), ["b"]);
    assert_eq!(report.skipped_maintenance, ["a"]);
    finish_scanned(&mut f, &report.jobs[0], T0, &ScheduleSettings::default());
    assert_eq!(status(&mut f, "a", T0).next_scan_at, end);
    assert_eq!(report.next_due, Some(end));
    let skip = audits(&mut f, "schedule_changed")
        .into_iter()
        .find(|(_, d)| d["reason"] == "maintenance_skip")
        .unwrap();
    assert_eq!(skip.0.as_deref(), Some("a"));
    assert_eq!(skip.1["old"]["next_scan_at"], json!(T0));
    assert_eq!(skip.1["new"]["next_scan_at"], json!(end));

    assert!(claim(&mut f, "run-2", end - 1, None).jobs.is_empty());
    assert_eq!(claimed(&claim(&mut f, "run-2", end, None)), ["a"]);

    f.store.set_maintenance("b", Some(end), T0 + 1).unwrap();
    f.store.set_maintenance("b", None, T0 + 2).unwrap();
    assert_eq!(status(&mut f, "b", T0).maintenance_until, None);
    assert_eq!(
        reasons(&mut f, "b"),
        [
            "enrolled",
            "scanned",
            "maintenance_set",
            "maintenance_cleared"
        ]
    );

    let err = f.store.set_maintenance("ghost", Some(end), T0).unwrap_err();
    assert!(
        matches!(&err, StoreError::UnknownHost { host, .. } if host == "ghost"),
        "{err}"
    );
    assert_eq!(plumb::Error::from(err).code(), 2);
    let err = f.store.schedule_status(Some("ghost"), T0).unwrap_err();
    assert!(matches!(err, StoreError::UnknownHost { .. }), "{err}");
}

fn a_policy_maintenance_window_holds_a_due_host_until_it_closes(backend: &Backend) {
    let mut f = fixture(backend);
    let policy = policy(
        "schedule:\n  maintenance_windows:\n    - name: patch\n      hosts: [\"db-*\"]\n      days: [sun]\n      start: \"23:00\"\n      duration: 4h\n",
    );
    // 2026-11-22 is a Sunday: the window is 23:00 to Monday 03:00 UTC.
    let sunday_ms = 20_779 * 86_400_000;
    let now = sunday_ms + 23 * HOUR + 30 * MINUTE;
    let end = sunday_ms + 27 * HOUR;
    let settings = ScheduleSettings::from_policy(&policy);
    f.store
        .enrol(&names(&["db-1", "web-1"]), &settings, now)
        .unwrap();
    let windows = policy_maintenance(&policy.schedule);
    let pass = |f: &mut Fixture, at: i64| {
        f.store
            .claim_due(&request("cron", at, None, &windows), &f.key)
            .unwrap()
    };
    let report = pass(&mut f, now);
    assert_eq!(claimed(&report), ["web-1"]);
    assert_eq!(report.skipped_maintenance, ["db-1"]);
    finish_scanned(&mut f, &report.jobs[0], now, &settings);
    assert_eq!(status(&mut f, "db-1", now).next_scan_at, end);
    assert!(pass(&mut f, end - 1).jobs.is_empty());
    assert_eq!(claimed(&pass(&mut f, end)), ["db-1"]);
}

fn repeated_failures_suppress_a_host_with_capped_exponential_backoff_until_one_success(
    backend: &Backend,
) {
    let mut f = fixture(backend);
    let policy = policy("backoff: {threshold: 3, base: 10m, max: 1h}\n");
    let settings = ScheduleSettings::from_policy(&policy);
    f.store.enrol(&names(&["a"]), &settings, T0).unwrap();
    let mut now = T0;
    // Suppression after each failure: none twice, then 10m, 20m, 40m, capped at 60m.
    let expected = [None, None, Some(10), Some(20), Some(40), Some(60), Some(60)];
    for (i, minutes) in expected.into_iter().enumerate() {
        let report = claim(&mut f, "cron", now, None);
        assert_eq!(claimed(&report), ["a"], "failure {}", i + 1);
        let outcome = f
            .store
            .finish_job(
                &report.jobs[0],
                &JobResult::Failed {
                    error: format!("connection refused #{}", i + 1),
                },
                &settings,
                now + 5,
            )
            .unwrap();
        assert_eq!(outcome.consecutive_failures, i as u32 + 1);
        assert_eq!(outcome.job_status, Some(JobStatus::Failed));
        let until = minutes.map(|m| now + 5 + m * MINUTE);
        assert_eq!(outcome.suppress_until, until, "failure {}", i + 1);
        let row = status(&mut f, "a", now + 5);
        assert_eq!(row.consecutive_failures, i as u32 + 1);
        assert_eq!(row.suppress_until, until);
        assert_eq!(
            row.last_error.as_deref(),
            Some(format!("connection refused #{}", i + 1).as_str())
        );
        assert_eq!(row.next_scan_at, T0, "the scan stays due");
        now = match until {
            None => now + 10,
            Some(until) => {
                let held = claim(&mut f, "cron", until - 1, None);
                assert!(held.jobs.is_empty());
                assert_eq!(held.skipped_backoff, ["a"]);
                assert_eq!(held.next_due, Some(until));
                until
            }
        };
    }
    let reasons = reasons(&mut f, "a");
    assert_eq!(reasons.iter().filter(|r| *r == "scan_failed").count(), 2);
    assert_eq!(
        reasons
            .iter()
            .filter(|r| *r == "backoff_suppressed")
            .count(),
        5
    );

    let report = claim(&mut f, "cron", now, None);
    assert_eq!(claimed(&report), ["a"]);
    finish_scanned(&mut f, &report.jobs[0], now + 1, &settings);
    let row = status(&mut f, "a", now + 1);
    assert_eq!(
        (row.consecutive_failures, row.suppress_until, row.last_error),
        (0, None, None)
    );
    assert_eq!(
        f.backend.count("SELECT count(*) FROM host_backoff"),
        0,
        "the backoff row is gone"
    );
    let reset = audits(&mut f, "schedule_changed")
        .into_iter()
        .find(|(_, d)| d["reason"] == "backoff_reset")
        .unwrap();
    assert_eq!(reset.1["previous_failures"], 7);
}

fn tiers_and_clamped_policy_intervals_set_the_next_scan(backend: &Backend) {
    let mut f = fixture(backend);
    let defaults = ScheduleSettings::default();
    f.store
        .enrol(&names(&["crit", "good", "mid"]), &defaults, T0)
        .unwrap();
    let report = claim(&mut f, "run-1", T0, None);
    record_scan(&mut f, "crit", T0 + 10, 99, 0, 1);
    record_scan(&mut f, "good", T0 + 10, 10, 0, 0);
    record_scan(&mut f, "mid", T0 + 10, 6, 4, 0);
    for job in &report.jobs {
        finish_scanned(&mut f, job, T0 + 10, &defaults);
    }
    let crit = status(&mut f, "crit", T0 + 10);
    assert_eq!((crit.tier, crit.interval_secs), (Tier::Critical, 4 * 3600));
    assert!(crit.has_critical);
    assert_eq!(crit.score, Some(99.0));
    assert_eq!(crit.next_scan_at, T0 + 10 + 4 * HOUR);
    assert_eq!(crit.policy_version_at_last_scan, Some(7));
    let mid = status(&mut f, "mid", T0 + 10);
    assert_eq!((mid.tier, mid.score), (Tier::Partial, Some(60.0)));
    assert_eq!(mid.interval_secs, 12 * 3600);
    let scanned = audits(&mut f, "schedule_changed")
        .into_iter()
        .find(|(h, d)| h.as_deref() == Some("crit") && d["reason"] == "scanned")
        .unwrap();
    assert_eq!(
        (&scanned.1["old"], &scanned.1["new"]),
        (
            &json!({"tier": "unknown", "interval_secs": 21600, "next_scan_at": T0}),
            &json!({"tier": "critical", "interval_secs": 14400, "next_scan_at": T0 + 10 + 4 * HOUR})
        )
    );

    // A policy asking for 1m and 30d gets the floor and the cap, and says so.
    let policy = policy("schedule:\n  intervals:\n    critical: 1m\n    compliant: 30d\n");
    let clamped: Vec<(String, u64, u64)> = policy
        .clamps
        .iter()
        .map(|c| (c.field.clone(), c.given.as_secs(), c.applied.as_secs()))
        .collect();
    assert_eq!(
        clamped,
        [
            ("schedule.intervals.critical".to_string(), 60, 300),
            (
                "schedule.intervals.compliant".to_string(),
                2_592_000,
                172_800
            ),
        ]
    );
    let settings = ScheduleSettings::from_policy(&policy);
    assert_eq!(settings.intervals.critical.as_secs(), 300);
    // Enrolling under the new settings reschedules from the last scan.
    let report = f
        .store
        .enrol(&names(&["crit", "good", "mid"]), &settings, T0 + 20)
        .unwrap();
    assert_eq!(report.rescheduled, ["crit"]);
    let crit = status(&mut f, "crit", T0 + 20);
    assert_eq!(
        (crit.interval_secs, crit.next_scan_at),
        (300, T0 + 10 + 300_000)
    );

    let report = claim(&mut f, "run-2", T0 + 10 + 300_000, None);
    assert_eq!(claimed(&report), ["crit"]);
    finish_scanned(&mut f, &report.jobs[0], T0 + HOUR, &settings);
    assert_eq!(
        status(&mut f, "crit", T0 + HOUR).next_scan_at,
        T0 + HOUR + 300_000
    );
    let good = status(&mut f, "good", T0 + HOUR);
    assert_eq!(good.tier, Tier::Compliant);
    // Most overdue first: crit (5m interval), mid (12h), good (48h).
    let report = claim(&mut f, "run-3", T0 + 50 * HOUR, None);
    assert_eq!(claimed(&report), ["crit", "mid", "good"]);
    for job in &report.jobs {
        finish_scanned(&mut f, job, T0 + 50 * HOUR, &settings);
    }
    let good = status(&mut f, "good", T0 + 50 * HOUR);
    assert_eq!(good.interval_secs, 172_800);
    assert_eq!(good.next_scan_at, T0 + 50 * HOUR + 48 * HOUR);
}

fn a_clock_that_went_backwards_never_makes_a_negative_interval_or_overdue_time(backend: &Backend) {
    let mut f = fixture(backend);
    let settings = ScheduleSettings::default();
    f.store.enrol(&names(&["a"]), &settings, T0).unwrap();
    let report = claim(&mut f, "run-1", T0, None);
    finish_scanned(&mut f, &report.jobs[0], T0, &settings);
    let next = T0 + 6 * HOUR;

    // A day earlier: not due, nothing overdue.
    let back = T0 - 24 * HOUR;
    let report = claim(&mut f, "run-2", back, None);
    assert!(report.jobs.is_empty());
    assert_eq!(report.next_due, Some(next));
    let row = status(&mut f, "a", back);
    assert_eq!((row.overdue_by, row.next_scan_at), (0, next));
    assert_eq!(status(&mut f, "a", next + 5).overdue_by, 5);

    // A scan that "finished" before the previous one still gets a full positive interval.
    let report = claim(&mut f, "run-3", next, None);
    finish_scanned(&mut f, &report.jobs[0], T0 - HOUR, &settings);
    let row = status(&mut f, "a", back);
    assert_eq!(row.interval_secs, 6 * 3600);
    assert_eq!(row.last_scan_finished_at, Some(T0 - HOUR));
    assert_eq!(row.next_scan_at, T0 + 5 * HOUR);
    assert_eq!(row.overdue_by, 0);
}

fn a_job_row_edited_outside_plumb_is_rejected_with_an_audit_event(backend: &Backend) {
    let mut f = fixture(backend);
    f.store
        .enrol(&names(&["a", "b", "c"]), &ScheduleSettings::default(), T0)
        .unwrap();
    let report = claim(&mut f, "run-1", T0, Some(2));
    assert_eq!(claimed(&report), ["a", "b"]);
    let (ja, jb) = (&report.jobs[0], &report.jobs[1]);
    assert_eq!(
        f.store.verify_job(&ja.job_id, &f.key, T0 + 1).unwrap(),
        Ok(ja.clone())
    );

    f.backend.execute(&format!(
        "UPDATE jobs SET host = 'c' WHERE job_id = '{}';",
        ja.job_id
    ));
    f.backend.execute(&format!(
        "UPDATE jobs SET policy_version = 6 WHERE job_id = '{}';",
        jb.job_id
    ));
    let swapped = f
        .store
        .verify_job(&ja.job_id, &f.key, T0 + 2)
        .unwrap()
        .unwrap_err();
    assert_eq!(swapped.reason, RejectReason::BadSignature);
    assert_eq!(swapped.host.as_deref(), Some("c"));
    let downgraded = f
        .store
        .verify_job(&jb.job_id, &f.key, T0 + 2)
        .unwrap()
        .unwrap_err();
    assert_eq!(downgraded.reason, RejectReason::BadSignature);
    assert!(downgraded.to_string().contains("modified outside plumb"));

    assert_eq!(
        table(&f, "SELECT host, status FROM jobs ORDER BY host;").trim(),
        "b|rejected\nc|rejected"
    );
    let rejected = audits(&mut f, "job_rejected");
    assert_eq!(rejected.len(), 2);
    assert_eq!(rejected[0].0.as_deref(), Some("c"));
    assert_eq!(rejected[0].1["job_id"], json!(ja.job_id));
    assert_eq!(rejected[0].1["host"], "c");
    assert_eq!(rejected[0].1["reason"], "bad_signature");
    assert_eq!(rejected[1].1["job_id"], json!(jb.job_id));
    assert_eq!(rejected[1].1["policy_version"], 6);

    // A forged signature from another key fails the same way; an unknown id is refused.
    let report = claim(&mut f, "run-2", T0 + 3, None);
    assert_eq!(claimed(&report), ["a", "b", "c"]);
    let other = JobKey::load_or_create(&f.backend.dir.path().join("other.key")).unwrap();
    let forged = other.sign("a", "sha256:evil", Some(99), T0 + 3);
    f.backend.execute(
        &format!(
            "UPDATE jobs SET ruleset_hash = 'sha256:evil', policy_version = 99, hmac = '{forged}' WHERE job_id = '{}';",
            report.jobs[0].job_id
        ),
    );
    let verdict = f
        .store
        .verify_job(&report.jobs[0].job_id, &f.key, T0 + 4)
        .unwrap();
    assert_eq!(verdict.unwrap_err().reason, RejectReason::BadSignature);
    assert!(
        f.store
            .verify_job(&report.jobs[1].job_id, &f.key, T0 + 4)
            .unwrap()
            .is_ok()
    );
    let missing = f.store.verify_job("no-such-job", &f.key, T0 + 4).unwrap();
    assert_eq!(missing.unwrap_err().reason, RejectReason::Missing);
    assert_eq!(audits(&mut f, "job_rejected").len(), 4);

    // A lease that lapsed before the job started is refused and expired.
    let late = f
        .store
        .verify_job(&report.jobs[2].job_id, &f.key, T0 + 3 + 600_000)
        .unwrap();
    assert_eq!(late.unwrap_err().reason, RejectReason::LeaseExpired);
    assert_eq!(audits(&mut f, "job_lease_expired").len(), 1);
}

fn concurrent_claimers_take_every_host_exactly_once(backend: &Backend) {
    let mut f = fixture(backend);
    let hosts: Vec<String> = (0..200).map(|i| format!("host-{i:03}")).collect();
    f.store
        .enrol(&hosts, &ScheduleSettings::default(), T0)
        .unwrap();
    let key_path = f.backend.dir.path().join("schedule.key");
    let barrier = std::sync::Barrier::new(8);
    let claims: Vec<Vec<String>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..8)
            .map(|i| {
                let (backend, key_path, barrier) = (f.backend, &key_path, &barrier);
                scope.spawn(move || {
                    let mut store = backend.open();
                    let key = JobKey::load(key_path).unwrap();
                    let owner = format!("run-{i}");
                    barrier.wait();
                    let mut mine = Vec::new();
                    loop {
                        let request = request(&owner, T0 + i, Some(7), &no_maintenance);
                        let report = store.claim_due(&request, &key).unwrap();
                        if report.jobs.is_empty() {
                            return mine;
                        }
                        mine.extend(report.jobs.into_iter().map(|job| job.host));
                    }
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let all: Vec<&String> = claims.iter().flatten().collect();
    let unique: BTreeSet<&String> = all.iter().copied().collect();
    assert_eq!(all.len(), 200, "a host was claimed twice");
    assert_eq!(unique, hosts.iter().collect::<BTreeSet<_>>());
    assert_eq!(
        f.backend
            .count("SELECT count(DISTINCT host) FROM jobs WHERE status = 'claimed'"),
        200
    );
    assert_eq!(f.backend.count("SELECT count(*) FROM jobs"), 200);
}

#[test]
fn a_schema_2_state_file_gains_the_schedule_tables_when_migrated() {
    use plumb::store::schema::{MIGRATIONS, latest_version};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let conn = rusqlite::Connection::open(&path).unwrap();
    for migration in &MIGRATIONS[..2] {
        conn.execute_batch(migration.sql).unwrap();
    }
    conn.pragma_update(None, "user_version", 2).unwrap();
    drop(conn);

    // A later migration rewrites rows, so a normal open asks for `plumb state migrate`.
    assert!(matches!(
        Store::open(&path),
        Err(StoreError::NeedsMigration { .. })
    ));
    let mut store = Store::open_unmigrated(&path).unwrap();
    store.migrate().unwrap();
    assert_eq!(store.schema_version().unwrap(), latest_version());
    let (_, detail) = &store.audit_events("schema_migrated").unwrap()[0];
    let detail: Value = serde_json::from_str(detail).unwrap();
    assert!(
        detail["applied"][0]
            .as_str()
            .unwrap()
            .starts_with("3: schedule"),
        "{detail}"
    );
    assert_eq!(
        sqlite3(
            &path,
            "SELECT name FROM sqlite_master WHERE name IN ('host_schedule','host_backoff','jobs') ORDER BY name;"
        )
        .trim(),
        "host_backoff\nhost_schedule\njobs"
    );
}

fn a_lapsed_claim_whose_scan_was_recorded_is_done_and_not_scanned_again(backend: &Backend) {
    let mut f = fixture(backend);
    f.store
        .enrol(&names(&["a", "b"]), &DEFAULT_SETTINGS, T0)
        .unwrap();
    let claimed = claim(&mut f, "killed-run", T0, None);
    assert_eq!(claimed.jobs.len(), 2);
    // The killed run recorded a's scheduled scan, then died before rescheduling it.
    let mut scan = batch(
        "a",
        T0 + MINUTE,
        vec![result("r", Status::Pass, Severity::Low)],
    );
    scan.trigger = plumb::store::Trigger::Scheduled;
    f.store.apply_scan(&scan).unwrap();

    let after_lease = T0 + i64::try_from(LEASE.as_millis()).unwrap() + 1;
    let next = claim(&mut f, "next-run", after_lease, None);
    let hosts: Vec<&str> = next.jobs.iter().map(|j| j.host.as_str()).collect();
    assert_eq!(hosts, ["b"], "a was scanned by the killed run");
    let status: Vec<HostScheduleStatus> = f.store.schedule_status(Some("a"), after_lease).unwrap();
    assert_eq!(status[0].tier, Tier::Compliant);
    assert_eq!(status[0].last_scan_finished_at, Some(T0 + MINUTE));
    assert_eq!(status[0].next_scan_at, T0 + MINUTE + 48 * HOUR);
    let job_statuses = table(
        &f,
        "SELECT host, status FROM jobs WHERE owner = 'killed-run' ORDER BY host",
    );
    assert_eq!(job_statuses.trim(), "a|done\nb|expired");
}
