//! `cargo bench --bench backends`: the store's operations on SQLite and on PostgreSQL, side
//! by side in one run (issue 16). PostgreSQL is a throwaway cluster on 127.0.0.1 (started
//! as `nobody` like the tests' one, so the bench runs as root), reached over loopback TCP.
//!
//! - apply of a 1,000-rule scan: first seen, unchanged (fast path), 1% changed;
//! - claim of 100 due hosts out of 10,000 by 4 concurrent workers (each its own connection);
//! - `state hosts` over 10,000 hosts.
//!
//! Prints median, min and max of `PLUMB_BENCH_RUNS` (default 15) runs.

mod common;
#[path = "../tests/support/postgres.rs"]
#[allow(dead_code)]
mod postgres;

use common::{runs, show};
use plumb::store::{
    Access, ClaimRequest, ResultRecord, ScanBatch, ScheduleSettings, Severity, StateLocation,
    Status, Store,
};
use serde_json::json;
use std::time::{Duration, Instant};

const RULES: usize = 1000;
const ENROLLED: usize = 10_000;
const WORKERS: usize = 4;

fn batch(host: &str, at: i64, changed: &dyn Fn(usize) -> bool) -> ScanBatch {
    let severities = [
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];
    let results = (0..RULES)
        .map(|i| {
            let fail = (i % 3 == 0) != changed(i);
            ResultRecord {
                rule_id: format!("rule-{i:05}"),
                title: format!("Synthetic rule {i}"),
                severity: severities[i % 4],
                status: if fail { Status::Fail } else { Status::Pass },
                reason: None,
                evidence: json!({
                    "method": "file_content", "target": format!("/etc/conf.d/{i}.conf"),
                    "expected": "yes", "actual": if fail { "no" } else { "yes" },
                }),
                waiver: None,
            }
        })
        .collect();
    common::scan_batch(host, uuid::Uuid::new_v4(), at, results)
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    // PLUMB_BENCH_PG_URL points the bench at an existing empty database instead.
    let external = std::env::var("PLUMB_BENCH_PG_URL").ok();
    let server = external
        .is_none()
        .then(|| postgres::PgServer::start("bench backends"));
    let file = dir.path().join("bench.db").display().to_string();
    let url = match (&external, &server) {
        (Some(url), _) => url.clone(),
        (None, Some(server)) => server.url(Some(postgres::PASSWORD), "sslmode=disable"),
        (None, None) => unreachable!("a server is started when no URL is given"),
    };
    let backends = [("sqlite", file), ("postgres", url)];
    let locations: Vec<StateLocation> = backends
        .iter()
        .map(|(_, state)| StateLocation::parse(state.as_ref()).expect("state location"))
        .collect();
    for ((name, _), location) in backends.iter().zip(&locations) {
        apply(name, location);
    }
    for ((name, state), location) in backends.iter().zip(&locations) {
        claim(name, location, state);
    }
    for ((name, _), location) in backends.iter().zip(&locations) {
        hosts(name, location);
    }
}

fn open(location: &StateLocation) -> Store {
    Store::open_at(location, Access::Create).expect("open the store")
}

fn ms_since(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1000.0
}

fn apply(name: &str, location: &StateLocation) {
    let mut store = open(location);
    let no_change = |_: usize| false;
    let first: Vec<f64> = (0..runs())
        .map(|run| {
            let scan = batch(&format!("first-{run}"), 1_000, &no_change);
            let start = Instant::now();
            store.apply_scan(&scan).expect("apply");
            ms_since(start)
        })
        .collect();
    show(
        &format!("{name}: apply 1000 rules, first seen"),
        &first,
        "ms",
    );

    store
        .apply_scan(&batch("web", 1_000, &no_change))
        .expect("apply");
    let unchanged: Vec<f64> = (0..runs())
        .map(|run| {
            let scan = batch("web", 2_000 + run as i64, &no_change);
            let start = Instant::now();
            let outcome = store.apply_scan(&scan).expect("apply");
            let took = ms_since(start);
            assert!(outcome.fast_path);
            took
        })
        .collect();
    show(
        &format!("{name}: apply 1000 rules, unchanged (target <= 5 ms)"),
        &unchanged,
        "ms",
    );

    let changed: Vec<f64> = (0..runs())
        .map(|run| {
            // A different 1% of the rules each run.
            let changed = move |i: usize| i % 100 == run % 100;
            let scan = batch("web", 100_000 + run as i64, &changed);
            let start = Instant::now();
            let outcome = store.apply_scan(&scan).expect("apply");
            let took = ms_since(start);
            assert!(!outcome.changes.is_empty());
            took
        })
        .collect();
    show(
        &format!("{name}: apply 1000 rules, 1% changed (target <= 30 ms)"),
        &changed,
        "ms",
    );
}

/// 10,000 enrolled hosts, 100 of them due; 4 workers claim at once, each on its own
/// connection, until the 100 are claimed. One sample per worker per run.
fn claim(name: &str, location: &StateLocation, state: &str) {
    let mut store = open(location);
    let hosts: Vec<String> = (0..ENROLLED).map(|i| format!("host-{i:05}")).collect();
    let settings = ScheduleSettings::default();
    let t0 = 1_800_000_000_000_i64;
    store.enrol(&hosts, &settings, t0).expect("enrol");
    // 99% of the hosts are scheduled in the future; every 100th stays due.
    raw_execute(
        location,
        state,
        &format!(
            "UPDATE host_schedule SET next_scan_at = {}, last_scan_finished_at = {}
             WHERE host NOT LIKE '%00'",
            t0 + 3_600_000,
            t0 - 1000
        ),
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let key = plumb::schedule_key::JobKey::load_or_create(&dir.path().join("bench.key"))
        .expect("job key");
    let now = t0 + 1000;
    let mut workers: Vec<Store> = (0..WORKERS).map(|_| open(location)).collect();
    let mut samples = Vec::new();
    for run in 0..runs() {
        let barrier = std::sync::Barrier::new(WORKERS);
        let results: Vec<(f64, usize, String)> = std::thread::scope(|scope| {
            let handles: Vec<_> = workers
                .iter_mut()
                .enumerate()
                .map(|(worker, store)| {
                    let (barrier, settings, key) = (&barrier, &settings, &key);
                    scope.spawn(move || {
                        let owner = format!("bench-{run}-{worker}");
                        barrier.wait();
                        let start = Instant::now();
                        let report = store
                            .claim_due(
                                &ClaimRequest {
                                    owner: owner.clone(),
                                    now,
                                    lease: Duration::from_secs(600),
                                    max_hosts: Some(100 / WORKERS as u32),
                                    policy_version: Some(1),
                                    ruleset_hash: "0".repeat(64),
                                    maintenance: &plumb::store::no_maintenance,
                                    settings,
                                },
                                key,
                            )
                            .expect("claim");
                        (ms_since(start), report.jobs.len(), owner)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("worker"))
                .collect()
        });
        let claimed: usize = results.iter().map(|(_, jobs, _)| jobs).sum();
        assert_eq!(claimed, 100, "the workers claimed every due host once");
        for (took, _, owner) in results {
            samples.push(took);
            store.release_jobs(&owner, now).expect("release");
        }
    }
    show(
        &format!("{name}: claim 100 due of 10,000, 4 workers, each (target <= 50 ms)"),
        &samples,
        "ms",
    );
}

/// Runs `sql` on the store outside plumb.
fn raw_execute(location: &StateLocation, state: &str, sql: &str) {
    match location {
        StateLocation::Path(path) => {
            rusqlite::Connection::open(path)
                .expect("second connection")
                .execute_batch(sql)
                .expect("raw statement");
        }
        StateLocation::Postgres(_) => {
            ::postgres::Client::connect(state, ::postgres::NoTls)
                .expect("second connection")
                .batch_execute(sql)
                .expect("raw statement");
        }
    }
}

/// `state hosts` over 10,000 hosts that each have a recorded scan.
fn hosts(name: &str, location: &StateLocation) {
    let mut store = open(location);
    let small = |host: &str| {
        let mut scan = batch(host, 5_000, &|_| false);
        scan.results.truncate(5);
        scan
    };
    for i in 0..ENROLLED {
        store
            .apply_scan(&small(&format!("host-{i:05}")))
            .expect("apply");
    }
    let samples: Vec<f64> = (0..runs())
        .map(|_| {
            let start = Instant::now();
            let hosts = store.hosts().expect("hosts");
            let took = ms_since(start);
            assert!(hosts.len() >= ENROLLED);
            took
        })
        .collect();
    show(
        &format!("{name}: state hosts, 10,000 hosts (target <= 200 ms)"),
        &samples,
        "ms",
    );
}
