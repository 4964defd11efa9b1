//! `cargo bench --bench drift`: the release `plumb drift` binary on generated state files.
//!
//! - fleet: 10,000 hosts x 200 rules, 1% of the (host, rule) rows changed an hour ago, read
//!   with `drift --all --since 1d` (target <= 200 ms);
//! - history: one host of 200 rules with 1,000 scans, each changing 1% of its rules, read
//!   with `drift HOST --at TIME` in the middle of its history (target <= 20 ms).
//!
//! The history file is written by `Store::apply_scan`, exactly as `plumb scan` writes it. The
//! fleet file would take minutes that way, so it is written with SQL (INSERT ... SELECT over
//! generated series) into the compact base tables (`change_log`, `rule_state`,
//! `rule_state_sources`, `evidence`, `host_keys`, `rule_keys`, `scan_keys`) with the
//! encodings apply_scan uses: integer keys, `value_codes` codes, 16-byte scan ids, evidence
//! stored once under its real result hash. Only `row_hash` is a random 32-byte stand-in:
//! drift never reads it, and chaining two million rows would take minutes. Sizes:
//! PLUMB_BENCH_HOSTS, PLUMB_BENCH_RUNS; PLUMB_BENCH_DIR keeps the files.

#[path = "common.rs"]
mod common;

use plumb::canonical::to_canonical_string;
use plumb::store::{ResultRecord, ScanBatch, Severity, Status, Store, result_hash};
use rusqlite::{Connection, params};
use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;
use std::time::Instant;

const RULES: i64 = 200;
const HISTORY_SCANS: i64 = 1000;
const HOUR_MS: i64 = 3_600_000;
const SEVERITIES: [Severity; 4] = [
    Severity::Low,
    Severity::Medium,
    Severity::High,
    Severity::Critical,
];

fn hosts() -> i64 {
    std::env::var("PLUMB_BENCH_HOSTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000)
}

fn rule_id(r: i64) -> String {
    format!("rule-{r:03}")
}

fn severity(r: i64) -> Severity {
    SEVERITIES[(r % 4) as usize]
}

/// Rule `r`'s evidence: the same on every host for one status, as for a setting read from
/// a file, so the file holds one text per (rule, status).
fn evidence(r: i64, fail: bool) -> Value {
    json!({
        "checks": [{
            "actual": if fail { "no" } else { "yes" },
            "expected": "== yes",
            "method": "config_value",
            "source": {"file": format!("/etc/conf.d/{r}.conf"), "line": r},
            "target": format!("Setting{r}"),
        }],
        "detail": null,
        "implementation": null,
    })
}

fn status(fail: bool) -> Status {
    if fail { Status::Fail } else { Status::Pass }
}

/// The `evidence` row id the fleet file gives rule `r`'s evidence with this status.
const EVIDENCE_ID_SQL: &str = "1 + 2 * r";

/// 10,000 hosts x 200 rules first seen three days ago; an hour ago two rules of every host
/// (1% of the rows) flipped between pass and fail.
fn build_fleet(path: &Path, now: i64) {
    drop(Store::open(path).expect("creating the state file"));
    let conn = Connection::open(path).expect("opening the state file");
    conn.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF; BEGIN;")
        .expect("begin");
    let (t0, t1) = (now - 72 * HOUR_MS, now - HOUR_MS);
    // Rules and their evidence (one row per rule and status, under the real result hash).
    for r in 0..RULES {
        let sev = severity(r);
        conn.execute(
            "INSERT INTO rules (id, title, severity, content_hash, first_seen)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                rule_id(r),
                format!("Synthetic rule {r}"),
                sev.as_str(),
                format!("{r:064x}"),
                t0
            ],
        )
        .expect("rule");
        conn.execute(
            "INSERT INTO rule_keys (key, id) VALUES (?1 + 1, ?2)",
            params![r, rule_id(r)],
        )
        .expect("rule key");
        for fail in [false, true] {
            let value = evidence(r, fail);
            let hash = result_hash(&rule_id(r), status(fail), None, sev, &value);
            conn.execute(
                "INSERT INTO evidence (id, hash, body) VALUES (?1, unhex(?2), ?3)",
                params![
                    1 + 2 * r + i64::from(fail),
                    hash,
                    to_canonical_string(&value)
                ],
            )
            .expect("evidence");
        }
    }
    let hosts = hosts();
    // Host h, rule r: fails at first when (h + r) % 7 == 0; rules h % 200 and (h + 100) % 200
    // flip in the second scan. Statuses and severities are value_codes codes (pass 0, fail 1,
    // low 4 ...).
    let first_fail = "((h + r) % 7 = 0)";
    let changed = "(r = h % 200 OR r = (h + 100) % 200)";
    let scan_blob = |n: &str| format!("unhex(printf('%08x000040008000%012x', h, {n}))");
    let scan_text = |n: &str| format!("printf('%08x-0000-4000-8000-%012x', h, {n})");
    let sql = format!(
        "CREATE TEMP TABLE hr AS
           WITH RECURSIVE hs(h) AS (SELECT 0 UNION ALL SELECT h + 1 FROM hs WHERE h < {last_host}),
                rs(r) AS (SELECT 0 UNION ALL SELECT r + 1 FROM rs WHERE r < {last_rule})
           SELECT h, r, {first_fail} AS s0, {first_fail} <> {changed} AS s1, {changed} AS moved,
                  4 + r % 4 AS sev
           FROM hs, rs;
         INSERT INTO host_keys (key, name) SELECT h + 1, printf('host-%05d', h) FROM temp.hr WHERE r = 0;
         INSERT INTO rule_sources (id, name) VALUES (1, 'embedded');
         INSERT INTO scan_keys (key, scan_id)
           SELECT 2 * h + 1, {blob0} FROM temp.hr WHERE r = 0
           UNION ALL SELECT 2 * h + 2, {blob1} FROM temp.hr WHERE r = 0 ORDER BY 1;
         INSERT INTO hosts (name, labels, first_seen, last_scan_id, last_scan_at, last_scan_status,
                            current_result_hash, pass_count, fail_count, fail_critical, fail_high,
                            fail_medium, fail_low)
           SELECT printf('host-%05d', h), '{{}}', {t0} - 1000, {text1}, {t1}, 'ok',
                  printf('%032x%032x', h, 1), sum(NOT s1), sum(s1), sum(s1 AND sev = 7),
                  sum(s1 AND sev = 6), sum(s1 AND sev = 5), sum(s1 AND sev = 4)
           FROM temp.hr GROUP BY h ORDER BY h;
         INSERT INTO scans (scan_id, host, trigger, started_at, finished_at, status, policy_version,
                            ruleset_hash, result_hash, pass_count, fail_count, score, change_count,
                            scope, rule_source)
           SELECT {text0}, printf('host-%05d', h), 'scheduled', {t0} - 1000, {t0}, 'ok', 1, 'bench',
                  printf('%032x%032x', h, 0), sum(NOT s0), sum(s0), 100.0 * sum(NOT s0) / {rules},
                  {rules}, 'full', 'embedded'
           FROM temp.hr GROUP BY h
           UNION ALL
           SELECT {text1}, printf('host-%05d', h), 'scheduled', {t1} - 1000, {t1}, 'ok', 1, 'bench',
                  printf('%032x%032x', h, 1), sum(NOT s1), sum(s1), 100.0 * sum(NOT s1) / {rules},
                  2, 'full', 'embedded'
           FROM temp.hr GROUP BY h ORDER BY 4, 2;
         INSERT INTO rule_state (host_key, rule_key, status, severity, reason, evidence_id,
                 first_seen_at, last_changed_at, last_checked_at, check_count, last_scan_id,
                 removed_at)
           SELECT h + 1, r + 1, s1, sev, NULL, {evidence} + s1, {t0},
                  CASE WHEN moved THEN {t1} ELSE {t0} END, {t1}, 2, {blob1}, NULL
           FROM temp.hr ORDER BY h, r;
         INSERT INTO rule_state_sources (host_key, source_id, rule_key)
           SELECT h + 1, 1, r + 1 FROM temp.hr ORDER BY h, r;
         INSERT INTO change_log (id, scan_key, host_key, rule_key, change_kind, previous_status,
                 new_status, previous_severity, severity, reason, evidence_id, occurred_at, row_hash)
           SELECT h * {rules} + r + 1, 2 * h + 1, h + 1, r + 1, 8, NULL, s0, NULL, sev, NULL,
                  {evidence} + s0, {t0}, randomblob(32)
           FROM temp.hr ORDER BY h, r;
         INSERT INTO change_log (id, scan_key, host_key, rule_key, change_kind, previous_status,
                 new_status, previous_severity, severity, reason, evidence_id, occurred_at, row_hash,
                 previous_evidence_id, previous_reason)
           SELECT {total} + row_number() OVER (ORDER BY h, r), 2 * h + 2, h + 1, r + 1, 9, s0, s1,
                  sev, sev, NULL, {evidence} + s1, {t1}, randomblob(32), {evidence} + s0, NULL
           FROM temp.hr WHERE moved ORDER BY h, r;
         UPDATE sqlite_sequence SET seq = (SELECT max(id) FROM change_log) WHERE name = 'change_log';
         INSERT INTO sqlite_sequence (name, seq)
           SELECT 'change_log', max(id) FROM change_log
           WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'change_log');
         COMMIT;
         DROP TABLE temp.hr;",
        last_host = hosts - 1,
        last_rule = RULES - 1,
        rules = RULES,
        total = hosts * RULES,
        blob0 = scan_blob("0"),
        blob1 = scan_blob("1"),
        text0 = scan_text("0"),
        text1 = scan_text("1"),
        evidence = EVIDENCE_ID_SQL,
    );
    conn.execute_batch(&sql).expect("building the fleet file");
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
        .expect("checkpoint");
}

/// One scan of the history host: every rule, `fails[r]` deciding its status.
fn history_batch(n: i64, at: i64, fails: &[bool]) -> ScanBatch {
    let results = (0..RULES)
        .map(|r| ResultRecord {
            rule_id: rule_id(r),
            title: format!("Synthetic rule {r}"),
            severity: severity(r),
            status: status(fails[r as usize]),
            reason: None,
            evidence: evidence(r, fails[r as usize]),
            waiver: None,
        })
        .collect();
    let scan_id = uuid::Uuid::from_u128(0x4000_8000_0000_0000_0000 | n as u128);
    common::scan_batch("history", scan_id, at, results)
}

/// One host, 200 rules, 1,000 full scans a minute apart; scan n flips rules n % 200 and
/// (n + 100) % 200 (1% of its rules). Returns a time in the middle of the history.
fn build_history(path: &Path, now: i64) -> i64 {
    let mut store = Store::open(path).expect("creating the state file");
    let minute = 60_000;
    let start = now - (HISTORY_SCANS + 1) * minute;
    let at = |n: i64| start + n * minute;
    let mut fails: Vec<bool> = (0..RULES).map(|r| r % 7 == 0).collect();
    for n in 0..HISTORY_SCANS {
        if n > 0 {
            for r in [n % RULES, (n + 100) % RULES] {
                fails[r as usize] = !fails[r as usize];
            }
        }
        let outcome = store
            .apply_scan(&history_batch(n, at(n), &fails))
            .expect("recording a scan");
        assert_eq!(outcome.changes.len(), if n == 0 { 200 } else { 2 });
    }
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
