//! `cargo bench --bench drift`: the release `plumb drift` binary on generated state files.
//!
//! - fleet: 10,000 hosts x 200 rules, 1% of the (host, rule) rows changed an hour ago, read
//!   with `drift --all --since 1d` (target <= 200 ms);
//! - history: one host of 200 rules with 1,000 scans, each changing 1% of its rules, read
//!   with `drift HOST --at TIME` in the middle of its history (target <= 20 ms).
//!
//! The files are written with SQL (INSERT ... SELECT over generated series) in the schema
//! `Store::open` creates, with the rows apply_scan would write (a first_seen row per rule, a
//! state_changed row per change, `host_rule_state` as current). The hash-chain columns hold
//! placeholders of the real length: drift never reads them, and computing two million
//! chained hashes would make building take minutes. Sizes: PLUMB_BENCH_HOSTS,
//! PLUMB_BENCH_RUNS; PLUMB_BENCH_DIR keeps the files.

#[path = "common.rs"]
mod common;

use plumb::store::Store;
use rusqlite::{Connection, params};
use std::path::Path;
use std::process::Command;
use std::time::Instant;

const RULES: i64 = 200;
const HISTORY_SCANS: i64 = 1000;
const HOUR_MS: i64 = 3_600_000;

fn hosts() -> i64 {
    std::env::var("PLUMB_BENCH_HOSTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000)
}

/// SQL helpers shared by both files: rule `r`'s severity, and the evidence of a status.
const FUNCTIONS: &str = "
    CREATE TEMP TABLE sev (i INTEGER PRIMARY KEY, name TEXT);
    INSERT INTO temp.sev VALUES (0, 'low'), (1, 'medium'), (2, 'high'), (3, 'critical');
";

fn evidence_sql(rule: &str, status: &str) -> String {
    format!(
        "'{{\"checks\":[{{\"actual\":\"' || (CASE WHEN {status} = 'fail' THEN 'no' ELSE 'yes' END)
          || '\",\"expected\":\"== yes\",\"method\":\"config_value\",\"source\":{{\"file\":\"/etc/conf.d/'
          || {rule} || '.conf\",\"line\":' || {rule} || '}},\"target\":\"Setting' || {rule} || '\"}}],\"detail\":null,\"implementation\":null}}'"
    )
}

/// A 64-hex-digit stand-in for a hash.
fn hash_sql(a: &str, b: &str) -> String {
    format!("printf('%032x%032x', {a}, {b})")
}

fn scan_id_sql(host: &str, n: &str) -> String {
    format!("printf('%08x-0000-4000-8000-%012x', {host}, {n})")
}

/// Creates the schema and the rules table.
fn new_file(path: &Path) -> Connection {
    drop(Store::open(path).expect("creating the state file"));
    let conn = Connection::open(path).expect("opening the state file");
    conn.execute_batch(FUNCTIONS).expect("helpers");
    conn.execute_batch(&format!(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;
         WITH RECURSIVE r(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM r WHERE i < {last})
         INSERT INTO rules SELECT printf('rule-%03d', i), 'Synthetic rule ' || i,
             (SELECT name FROM temp.sev WHERE sev.i = r.i % 4), printf('%064x', i), 0 FROM r;",
        last = RULES - 1
    ))
    .expect("rules");
    conn
}

/// 10,000 hosts x 200 rules first seen three days ago; an hour ago two rules of every host
/// (1% of the rows) flipped between pass and fail.
fn build_fleet(path: &Path, now: i64) {
    let conn = new_file(path);
    let (t0, t1) = (now - 72 * HOUR_MS, now - HOUR_MS);
    let hosts = hosts();
    // Host h, rule r: fails at first when (h + r) % 7 == 0; rules h % 200 and (h + 100) % 200
    // flip in the second scan.
    let first_status = "(CASE WHEN (h + r) % 7 = 0 THEN 'fail' ELSE 'pass' END)";
    let flipped = "(CASE WHEN (h + r) % 7 = 0 THEN 'pass' ELSE 'fail' END)";
    let changed = "(r = h % 200 OR r = (h + 100) % 200)";
    let sql = format!(
        "BEGIN;
         CREATE TEMP TABLE hr AS
           WITH RECURSIVE hs(h) AS (SELECT 0 UNION ALL SELECT h + 1 FROM hs WHERE h < {last_host}),
                rs(r) AS (SELECT 0 UNION ALL SELECT r + 1 FROM rs WHERE r < {last_rule})
           SELECT h, r, printf('host-%05d', h) AS host, printf('rule-%03d', r) AS rule,
                  (SELECT name FROM temp.sev WHERE sev.i = r % 4) AS severity,
                  {first_status} AS s0, CASE WHEN {changed} THEN {flipped} ELSE {first_status} END AS s1,
                  {changed} AS moved
           FROM hs, rs;
         INSERT INTO hosts (name, labels, first_seen, last_scan_id, last_scan_at, last_scan_status)
           SELECT host, '{{}}', {t0}, {scan1}, {t1}, 'ok' FROM temp.hr WHERE r = 0;
         INSERT INTO scans (scan_id, host, trigger, started_at, finished_at, status, ruleset_hash,
                            result_hash, scope, rule_source, change_count)
           SELECT {scan0}, host, 'scheduled', {t0} - 1000, {t0}, 'ok', 'bench', {hash0}, 'full', 'embedded', 200
           FROM temp.hr WHERE r = 0
           UNION ALL
           SELECT {scan1}, host, 'scheduled', {t1} - 1000, {t1}, 'ok', 'bench', {hash1}, 'full', 'embedded', 2
           FROM temp.hr WHERE r = 0;
         INSERT INTO host_rule_state
           SELECT host, rule, s1, severity, NULL, {evidence1}, {rhash1}, {t0},
                  CASE WHEN moved THEN {t1} ELSE {t0} END, {t1}, 2, {scan1}, NULL
           FROM temp.hr;
         INSERT INTO transactions (id, scan_id, host, rule_id, change_kind, previous_status,
                 new_status, previous_severity, severity, reason, evidence, evidence_hash,
                 occurred_at, prev_hash, row_hash)
           SELECT h * {rules} + r + 1, {scan0}, host, rule, 'first_seen', NULL, s0, NULL, severity,
                  NULL, {evidence0}, {rhash0}, {t0}, {chain}, {chain}
           FROM temp.hr ORDER BY h, r;
         INSERT INTO transactions (id, scan_id, host, rule_id, change_kind, previous_status,
                 new_status, previous_severity, severity, reason, evidence, evidence_hash,
                 occurred_at, prev_hash, row_hash)
           SELECT {total} + row_number() OVER (ORDER BY h, r), {scan1}, host, rule, 'state_changed',
                  s0, s1, severity, severity, NULL, {evidence1}, {rhash1}, {t1}, {chain}, {chain}
           FROM temp.hr WHERE moved;
         COMMIT;
         DROP TABLE temp.hr;",
        last_host = hosts - 1,
        last_rule = RULES - 1,
        rules = RULES,
        total = hosts * RULES,
        scan0 = scan_id_sql("h", "0"),
        scan1 = scan_id_sql("h", "1"),
        hash0 = hash_sql("h", "0"),
        hash1 = hash_sql("h", "1"),
        evidence0 = evidence_sql("r", "s0"),
        evidence1 = evidence_sql("r", "s1"),
        rhash0 = "printf('%032x%016x%016x', h, r, s0 = 'fail')",
        rhash1 = "printf('%032x%016x%016x', h, r, s1 = 'fail')",
        chain = hash_sql("h", "r"),
    );
    conn.execute_batch(&sql).expect("building the fleet file");
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
        .expect("checkpoint");
}

/// One host, 200 rules, 1,000 full scans a minute apart; scan n flips rules n % 200 and
/// (n + 100) % 200 (1% of its rules).
fn build_history(path: &Path, now: i64) -> i64 {
    let conn = new_file(path);
    let minute = 60_000;
    let start = now - (HISTORY_SCANS + 1) * minute;
    let at = |n: i64| start + n * minute;
    let tx = conn.unchecked_transaction().expect("transaction");
    tx.execute(
        "INSERT INTO hosts (name, labels, first_seen) VALUES ('history', '{}', ?1)",
        [at(0)],
    )
    .expect("host");
    let mut status: Vec<bool> = (0..RULES).map(|r| r % 7 == 0).collect(); // true = fail
    let evidence = |r: i64, fail: bool| {
        format!(
            "{{\"checks\":[{{\"actual\":\"{}\",\"expected\":\"== yes\",\"method\":\"config_value\",\"source\":{{\"file\":\"/etc/conf.d/{r}.conf\",\"line\":{r}}},\"target\":\"Setting{r}\"}}],\"detail\":null,\"implementation\":null}}",
            if fail { "no" } else { "yes" }
        )
    };
    let severity = |r: i64| ["low", "medium", "high", "critical"][(r % 4) as usize];
    let placeholder = format!("{:064x}", 7);
    let mut id = 0;
    let mut insert_tx = tx
        .prepare(
            "INSERT INTO transactions (id, scan_id, host, rule_id, change_kind, previous_status,
                 new_status, previous_severity, severity, reason, evidence, evidence_hash,
                 occurred_at, prev_hash, row_hash)
             VALUES (?1, ?2, 'history', ?3, ?4, ?5, ?6, ?7, ?7, NULL, ?8, ?9, ?10, ?11, ?11)",
        )
        .expect("prepare");
    let mut insert_scan = tx
        .prepare(
            "INSERT INTO scans (scan_id, host, trigger, started_at, finished_at, status,
                 ruleset_hash, result_hash, scope, rule_source, change_count)
             VALUES (?1, 'history', 'scheduled', ?2 - 1000, ?2, 'ok', 'bench', ?3, 'full',
                 'embedded', ?4)",
        )
        .expect("prepare");
    for n in 0..HISTORY_SCANS {
        let scan_id = format!("{n:08x}-0000-4000-8000-{:012x}", 42);
        let rules: Vec<i64> = if n == 0 {
            (0..RULES).collect()
        } else {
            vec![n % RULES, (n + 100) % RULES]
        };
        for &r in &rules {
            let previous = (n > 0).then(|| if status[r as usize] { "fail" } else { "pass" });
            if n > 0 {
                status[r as usize] = !status[r as usize];
            }
            let fail = status[r as usize];
            id += 1;
            insert_tx
                .execute(params![
                    id,
                    scan_id,
                    format!("rule-{r:03}"),
                    if n == 0 {
                        "first_seen"
                    } else {
                        "state_changed"
                    },
                    previous,
                    if fail { "fail" } else { "pass" },
                    severity(r),
                    evidence(r, fail),
                    format!("{:048x}{:016x}", r, u8::from(fail)),
                    at(n),
                    placeholder,
                ])
                .expect("transaction row");
        }
        insert_scan
            .execute(params![scan_id, at(n), placeholder, rules.len() as i64])
            .expect("scan row");
    }
    drop((insert_tx, insert_scan));
    let last = at(HISTORY_SCANS - 1);
    for r in 0..RULES {
        let fail = status[r as usize];
        tx.execute(
            "INSERT INTO host_rule_state VALUES ('history', ?1, ?2, ?3, NULL, ?4, ?5, ?6, ?7, ?7, ?8, ?9, NULL)",
            params![
                format!("rule-{r:03}"),
                if fail { "fail" } else { "pass" },
                severity(r),
                evidence(r, fail),
                format!("{:048x}{:016x}", r, u8::from(fail)),
                at(0),
                last,
                HISTORY_SCANS,
                format!("{:08x}-0000-4000-8000-{:012x}", HISTORY_SCANS - 1, 42),
            ],
        )
        .expect("state row");
    }
    tx.commit().expect("commit");
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
        .expect("checkpoint");
    // The middle of the history.
    at(HISTORY_SCANS / 2) + 30_000
}

fn measure(label: &str, args: &[&str], state: &Path) -> Vec<u8> {
    let binary = env!("CARGO_BIN_EXE_plumb");
    let output = Command::new(binary)
        .args(args)
        .arg("--state")
        .arg(state)
        .args(["--format", "json"])
        .output()
        .expect("running plumb drift");
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let samples: Vec<f64> = (0..common::runs())
        .map(|_| {
            let mut cmd = Command::new(binary);
            cmd.args(args)
                .arg("--state")
                .arg(state)
                .args(["--format", "json"]);
            let (wall, _rss, code) = common::run_measured(&mut cmd);
            assert_eq!(code, 0);
            wall * 1000.0
        })
        .collect();
    common::show(label, &samples, "ms");
    output.stdout
}

fn main() {
    let temp = tempfile::tempdir().expect("temp dir");
    // PLUMB_BENCH_DIR keeps the generated files for a closer look.
    let dir_path =
        std::env::var_os("PLUMB_BENCH_DIR").map_or_else(|| temp.path().to_path_buf(), Into::into);
    let dir = dir_path.as_path();
    let now = plumb::store::now_ms();
    println!(
        "plumb drift benchmark, {} runs (release binary)",
        common::runs()
    );

    let fleet = dir.join("fleet.db");
    let _ = std::fs::remove_file(&fleet);
    let started = Instant::now();
    build_fleet(&fleet, now);
    println!(
        "built {} hosts x {RULES} rules, 1% changed, in {:.1} s ({} MB)",
        hosts(),
        started.elapsed().as_secs_f64(),
        std::fs::metadata(&fleet).map_or(0, |m| m.len()) / 1_000_000
    );
    let report = measure(
        "drift --all --since 1d (target <= 200 ms)",
        &["drift", "--all", "--since", "1d"],
        &fleet,
    );
    let report: serde_json::Value = serde_json::from_slice(&report).expect("JSON");
    println!(
        "  {} regressions on {} hosts in {} rule groups",
        report["summary"]["by_class"]["regression"],
        report["summary"]["hosts_affected"],
        report["groups"].as_array().map_or(0, Vec::len)
    );

    let history = dir.join("history.db");
    let _ = std::fs::remove_file(&history);
    let started = Instant::now();
    let at = build_history(&history, now);
    println!(
        "built one host with {HISTORY_SCANS} scans in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let at = plumb::time::rfc3339_millis(at);
    let report = measure(
        "drift HOST --at TIME, 1,000 scans of history (target <= 20 ms)",
        &["drift", "history", "--at", &at],
        &history,
    );
    let report: serde_json::Value = serde_json::from_slice(&report).expect("JSON");
    assert_eq!(
        report["state"].as_array().map_or(0, Vec::len),
        RULES as usize
    );
}
