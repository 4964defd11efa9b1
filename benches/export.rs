//! `cargo bench --bench export`: `plumb state export` (release binary) on a state file with
//! 10,000 hosts × 200 rules where 1% of the rows changed since the consumer's cursor.
//!
//! The file is built with bulk SQL on the compact base tables (`Store::open` creates the
//! schema), not through `apply_scan`, so it takes seconds instead of many minutes. It holds
//! what plumb writes: host, rule and scan keys, status/severity codes, evidence stored once
//! per distinct result (hashed with `plumb::store::result_hash`), host result hashes from
//! `scan_result_hash`, rule-source membership, a `first_seen` log row per result and a
//! `state_changed` row per change. Only the change log's `row_hash` is random (the chain
//! hash is not public and the export never reads it), so `state check` would object.
//! The changed rows are 20 rules on each of 1,000 hosts, so 9,000 hosts are unchanged and
//! exported as references.
//! Prints median, min and max over PLUMB_BENCH_RUNS (default 15) runs, and the batch sizes.

mod common;

use plumb::eval::Status;
use plumb::rules::Severity;
use plumb::store::{Store, result_hash, scan_result_hash};
use std::path::Path;
use std::process::Command;
use std::time::Instant;

const HOSTS: i64 = 10_000;
const RULES: i64 = 200;
const CHANGED_HOSTS: i64 = 1_000;
const CHANGED_RULES_PER_HOST: i64 = 20;
/// The changed rules are every tenth: 0, 10, ..., 190.
const CHANGED_RULE_STEP: i64 = 10;
const CONSUMER: &str = "bench";

fn severity(rule: i64) -> Severity {
    Severity::ALL[(rule % 4) as usize]
}

/// The status of `rule` before the change, and after it on a changed host.
fn status(rule: i64, changed: bool) -> Status {
    let fails = (rule % 3 == 0) != changed;
    if fails { Status::Fail } else { Status::Pass }
}

/// One result's evidence (canonical text) and hash, as apply_scan stores them.
fn evidence(rule: i64, changed: bool) -> (String, String) {
    let status = status(rule, changed);
    let actual = if status == Status::Fail { "no" } else { "yes" };
    let value = serde_json::json!({
        "actual": actual, "expected": "yes", "method": "file_content",
        "source": {"line": format!("Setting{rule} {actual}"), "path": format!("/etc/conf.d/{rule}.conf")},
        "target": format!("/etc/conf.d/{rule}.conf"),
    });
    let hash = result_hash(&rule_id(rule), status, None, severity(rule), &value);
    (plumb::canonical::to_canonical_string(&value), hash)
}

fn rule_id(rule: i64) -> String {
    format!("rule-{rule:05}")
}

fn is_changed_rule(rule: i64) -> bool {
    rule % CHANGED_RULE_STEP == 0 && rule / CHANGED_RULE_STEP < CHANGED_RULES_PER_HOST
}

/// A host's result hash when every rule is as before (`changed` false) or the changed rules
/// flipped.
fn host_hash(changed: bool) -> String {
    let entries: Vec<(String, Status, String)> = (0..RULES)
        .map(|rule| {
            let flipped = changed && is_changed_rule(rule);
            (
                rule_id(rule),
                status(rule, flipped),
                evidence(rule, flipped).1,
            )
        })
        .collect();
    scan_result_hash(
        entries
            .iter()
            .map(|(id, status, hash)| (id.as_str(), *status, hash.as_str())),
    )
}

fn build(path: &Path) {
    drop(Store::open(path).expect("creating the state file"));
    let mut conn = rusqlite::Connection::open(path).expect("opening the state file");
    conn.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;")
        .expect("pragmas");
    let tx = conn.transaction().expect("a transaction");
    // Evidence once per distinct result: (rule, variant) -> evidence id.
    tx.execute_batch(
        "CREATE TEMP TABLE ev (rule INTEGER, changed INTEGER, id INTEGER, PRIMARY KEY (rule, changed));",
    )
    .expect("temp table");
    for rule in 0..RULES {
        for changed in [false, true] {
            let (body, hash) = evidence(rule, changed);
            tx.execute(
                "INSERT INTO evidence (hash, body) VALUES (unhex(?1), ?2)",
                rusqlite::params![hash, body],
            )
            .expect("evidence");
            tx.execute(
                "INSERT INTO ev (rule, changed, id) VALUES (?1, ?2, last_insert_rowid())",
                rusqlite::params![rule, changed],
            )
            .expect("evidence key");
        }
    }
    let (before, after) = (host_hash(false), host_hash(true));
    let rows = HOSTS * RULES;
    let changed_rows = CHANGED_HOSTS * CHANGED_RULES_PER_HOST;
    let sql = format!(
        "
CREATE TEMP TABLE n AS WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {HOSTS} - 1) SELECT i FROM n;
CREATE TEMP TABLE r AS SELECT i FROM n WHERE i < {RULES};
-- Scan ids: the first scan of host i, and (changed hosts) the second.
CREATE TEMP TABLE first_scan AS SELECT i, printf('%08x-0000-4000-8000-%012x', i, i) AS id FROM n;
CREATE TEMP TABLE second_scan AS
  SELECT i, printf('%08x-0000-4000-9000-%012x', i, i) AS id FROM n WHERE i < {CHANGED_HOSTS};
INSERT INTO rules (id, title, severity, content_hash, first_seen)
  SELECT printf('rule-%05d', i), printf('Synthetic rule %d', i),
         CASE i % 4 WHEN 0 THEN 'low' WHEN 1 THEN 'medium' WHEN 2 THEN 'high' ELSE 'critical' END,
         lower(hex(randomblob(32))), 1000 FROM r;
INSERT INTO rule_keys (key, id) SELECT i + 1, printf('rule-%05d', i) FROM r;
INSERT INTO host_keys (key, name) SELECT i + 1, printf('host-%05d', i) FROM n;
INSERT INTO rule_sources (id, name) VALUES (1, 'embedded');
INSERT INTO hosts (name, first_seen, last_scan_id, last_scan_at, last_scan_status,
                   current_result_hash, pass_count, fail_count)
  SELECT printf('host-%05d', n.i), 1000, f.id, 2000, 'ok', '{before}', 133, 67
  FROM n JOIN first_scan AS f ON f.i = n.i;
INSERT INTO scans (scan_id, host, trigger, started_at, finished_at, status, ruleset_hash,
                   result_hash, pass_count, fail_count, scope, rule_source, change_count)
  SELECT f.id, printf('host-%05d', f.i), 'scheduled', 1000, 2000, 'ok', 'bench', '{before}',
         133, 67, 'full', 'embedded', {RULES}
  FROM first_scan AS f;
INSERT INTO scan_keys (key, scan_id) SELECT i + 1, unhex(replace(id, '-', '')) FROM first_scan;
INSERT INTO rule_state (host_key, rule_key, status, severity, reason, evidence_id,
    first_seen_at, last_changed_at, last_checked_at, check_count, last_scan_id, removed_at)
  SELECT n.i + 1, r.i + 1, CASE WHEN r.i % 3 = 0 THEN 1 ELSE 0 END, 4 + r.i % 4, NULL, ev.id,
         2000, 2000, 2000, 1, unhex(replace(f.id, '-', '')), NULL
  FROM n JOIN first_scan AS f ON f.i = n.i, r JOIN ev ON ev.rule = r.i AND ev.changed = 0
  ORDER BY 1, 2;
INSERT INTO rule_state_sources (host_key, source_id, rule_key)
  SELECT n.i + 1, 1, r.i + 1 FROM n, r ORDER BY 1, 3;
INSERT INTO change_log (id, scan_key, host_key, rule_key, change_kind, previous_status,
    new_status, previous_severity, severity, reason, evidence_id, occurred_at, row_hash)
  SELECT n.i * {RULES} + r.i + 1, n.i + 1, n.i + 1, r.i + 1, 8, NULL,
         CASE WHEN r.i % 3 = 0 THEN 1 ELSE 0 END, NULL, 4 + r.i % 4, NULL, ev.id, 2000,
         randomblob(32)
  FROM n, r JOIN ev ON ev.rule = r.i AND ev.changed = 0
  ORDER BY 1;
-- The consumer acknowledged everything so far, a day ago.
INSERT INTO export_consumers (name, created_at, acked_batch_id, acked_through_txn,
    acked_through_at, acked_at, last_full_at)
  VALUES ('{CONSUMER}', 0, 'seed', {rows}, 2500, strftime('%s','now') * 1000 - 86400000,
          strftime('%s','now') * 1000 - 86400000);
INSERT INTO export_batches (batch_id, consumer, from_txn, through_txn, full, created_at)
  VALUES ('seed', '{CONSUMER}', NULL, {rows}, 1, 2500);
-- Then the first 1,000 hosts are scanned again and 20 rules each changed: every row of the
-- host is checked by the new scan, the changed ones take their other evidence and a log row.
CREATE TEMP TABLE changed AS
  SELECT n.i AS h, r.i * {CHANGED_RULE_STEP} AS k, row_number() OVER (ORDER BY n.i, r.i) AS seq
  FROM n, r WHERE n.i < {CHANGED_HOSTS} AND r.i < {CHANGED_RULES_PER_HOST};
INSERT INTO scans (scan_id, host, trigger, started_at, finished_at, status, ruleset_hash,
                   result_hash, pass_count, fail_count, scope, rule_source, change_count)
  SELECT s.id, printf('host-%05d', s.i), 'scheduled', 2500, 3000, 'ok', 'bench', '{after}',
         133, 67, 'full', 'embedded', {CHANGED_RULES_PER_HOST}
  FROM second_scan AS s;
INSERT INTO scan_keys (key, scan_id)
  SELECT {HOSTS} + i + 1, unhex(replace(id, '-', '')) FROM second_scan;
UPDATE rule_state SET last_checked_at = 3000, check_count = 2,
    last_scan_id = (SELECT unhex(replace(id, '-', '')) FROM second_scan WHERE i = host_key - 1)
  WHERE host_key <= {CHANGED_HOSTS};
UPDATE rule_state SET status = 1 - status, last_changed_at = 3000,
    evidence_id = (SELECT id FROM ev WHERE ev.rule = rule_key - 1 AND ev.changed = 1)
  WHERE (host_key - 1, rule_key - 1) IN (SELECT h, k FROM changed);
UPDATE hosts SET current_result_hash = '{after}', last_scan_at = 3000,
    last_scan_id = (SELECT id FROM second_scan WHERE i = substr(name, 6) + 0)
  WHERE substr(name, 6) + 0 < {CHANGED_HOSTS};
INSERT INTO change_log (id, scan_key, host_key, rule_key, change_kind, previous_status,
    new_status, previous_severity, severity, reason, evidence_id, occurred_at, row_hash)
  SELECT {rows} + c.seq, {HOSTS} + c.h + 1, c.h + 1, c.k + 1, 9,
         CASE WHEN c.k % 3 = 0 THEN 1 ELSE 0 END, CASE WHEN c.k % 3 = 0 THEN 0 ELSE 1 END,
         4 + c.k % 4, 4 + c.k % 4, NULL, ev.id, 3000, randomblob(32)
  FROM changed AS c JOIN ev ON ev.rule = c.k AND ev.changed = 1
  ORDER BY c.seq;
"
    );
    tx.execute_batch(&sql).expect("building the state file");
    let logged: i64 = tx
        .query_row(
            "SELECT seq FROM sqlite_sequence WHERE name = 'change_log'",
            [],
            |row| row.get(0),
        )
        .expect("the change log's sequence");
    assert_eq!(logged, rows + changed_rows, "change-log ids");
    tx.commit().expect("commit");
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
        .expect("checkpoint");
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    // PLUMB_BENCH_STATE=FILE builds the file there and keeps it, for profiling.
    let state = std::env::var_os("PLUMB_BENCH_STATE")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| dir.path().join("state.db"));
    let started = Instant::now();
    build(&state);
    println!(
        "plumb state export benchmark: {HOSTS} hosts x {RULES} rules, {} rows changed \
         ({CHANGED_RULES_PER_HOST} on each of {CHANGED_HOSTS} hosts); file built in {:.1} s",
        CHANGED_HOSTS * CHANGED_RULES_PER_HOST,
        started.elapsed().as_secs_f64()
    );
    let binary = env!("CARGO_BIN_EXE_plumb");
    let runs = common::runs();
    for format in ["ndjson", "json"] {
        let out = dir.path().join(format!("batch.{format}"));
        let export = || {
            let mut cmd = Command::new(binary);
            cmd.args([
                "state",
                "export",
                "--consumer",
                CONSUMER,
                "--format",
                format,
            ])
            .arg("--state")
            .arg(&state)
            .arg("--output")
            .arg(&out)
            .env("XDG_CONFIG_HOME", "/nonexistent/plumb-bench-config");
            cmd
        };
        // Warm the page cache once, and check the run works.
        assert_eq!(
            common::run_timed(&mut export()).code,
            0,
            "plumb state export failed"
        );
        let (mut wall, mut cpu, mut rss) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..runs {
            let run = common::run_timed(&mut export());
            assert_eq!(run.code, 0);
            wall.push(run.wall_secs * 1000.0);
            cpu.push(run.cpu_secs * 1000.0);
            rss.push(run.peak_rss_kib as f64 / 1024.0);
        }
        common::show(&format!("export, --format {format}: wall"), &wall, "ms");
        common::show(
            &format!("export, --format {format}: CPU (user+sys)"),
            &cpu,
            "ms",
        );
        common::show(&format!("export, --format {format}: peak RSS"), &rss, "MiB");
        sizes(&out, format);
    }
}

/// Batch size, and the bytes of the unchanged hosts' reference records.
fn sizes(path: &Path, format: &str) {
    let text = std::fs::read_to_string(path).expect("reading the batch");
    let refs: Vec<serde_json::Value> = if format == "ndjson" {
        text.lines()
            .map(|line| serde_json::from_str::<serde_json::Value>(line).expect("a JSON line"))
            .filter(|r| r["t"] == "ref")
            .collect()
    } else {
        let batch: serde_json::Value = serde_json::from_str(&text).expect("a JSON batch");
        batch["records"]
            .as_array()
            .expect("records")
            .iter()
            .filter(|r| r["t"] == "ref")
            .cloned()
            .collect()
    };
    // As written: one line (NDJSON) or one array element and its comma (JSON).
    let ref_bytes: usize = refs
        .iter()
        .map(|r| serde_json::to_string(r).expect("JSON").len() + 1)
        .sum();
    let results = if format == "ndjson" {
        text.lines()
            .filter(|l| l.starts_with("{\"t\":\"result\""))
            .count()
    } else {
        text.matches("{\"t\":\"result\"").count()
    };
    assert_eq!(refs.len() as i64, HOSTS - CHANGED_HOSTS, "unchanged hosts");
    assert_eq!(
        results as i64,
        CHANGED_HOSTS * CHANGED_RULES_PER_HOST,
        "changed rows"
    );
    println!(
        "export, --format {format}: {} bytes in all; {} references, {:.1} bytes per unchanged host",
        text.len(),
        refs.len(),
        ref_bytes as f64 / refs.len() as f64
    );
}
