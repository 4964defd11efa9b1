//! `cargo bench --bench export`: `plumb state export` (release binary) on a state file with
//! 10,000 hosts × 200 rules where 1% of the rows changed since the consumer's cursor.
//!
//! The file is built with bulk SQL on the real schema (Store::open creates it), not through
//! `apply_scan`, so it takes seconds instead of minutes: its hash chain is not valid (`state
//! check` would say so), which the export never reads. The changed rows are 20 rules on each
//! of 1,000 hosts, so 9,000 hosts are unchanged and exported as references.
//! Prints median, min and max over PLUMB_BENCH_RUNS (default 15) runs, and the batch sizes.

mod common;

use plumb::store::Store;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

const HOSTS: i64 = 10_000;
const RULES: i64 = 200;
const CHANGED_HOSTS: i64 = 1_000;
const CHANGED_RULES_PER_HOST: i64 = 20;
const CONSUMER: &str = "bench";

fn build(path: &Path) {
    drop(Store::open(path).expect("creating the state file"));
    let conn = rusqlite::Connection::open(path).expect("opening the state file");
    let rows = HOSTS * RULES;
    let sql = format!(
        "
PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;
BEGIN;
CREATE TEMP TABLE n AS WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {HOSTS} - 1) SELECT i FROM n;
CREATE TEMP TABLE r AS SELECT i FROM n WHERE i < {RULES};
INSERT INTO rules (id, title, severity, content_hash, first_seen)
  SELECT printf('rule-%05d', i), printf('Synthetic rule %d', i),
         CASE i % 4 WHEN 0 THEN 'low' WHEN 1 THEN 'medium' WHEN 2 THEN 'high' ELSE 'critical' END,
         lower(hex(randomblob(32))), 1000 FROM r;
INSERT INTO hosts (name, first_seen, last_scan_id, last_scan_at, last_scan_status,
                   current_result_hash, pass_count, fail_count)
  SELECT printf('host-%05d', i), 1000, printf('%08x-0000-4000-8000-%012x', i, i),
         2000, 'ok', lower(hex(randomblob(32))), 133, 67 FROM n;
INSERT INTO scans (scan_id, host, trigger, started_at, finished_at, status, ruleset_hash,
                   result_hash, pass_count, fail_count, scope, rule_source)
  SELECT printf('%08x-0000-4000-8000-%012x', i, i), printf('host-%05d', i),
         'scheduled', 1000, 2000, 'ok', 'bench', lower(hex(randomblob(32))), 133, 67, 'full', 'embedded'
  FROM n;
INSERT INTO host_rule_state (host, rule_id, status, severity, reason, evidence, evidence_hash,
    first_seen_at, last_changed_at, last_checked_at, check_count, last_scan_id)
  SELECT printf('host-%05d', n.i), printf('rule-%05d', r.i),
         CASE WHEN r.i % 3 = 0 THEN 'fail' ELSE 'pass' END,
         CASE r.i % 4 WHEN 0 THEN 'low' WHEN 1 THEN 'medium' WHEN 2 THEN 'high' ELSE 'critical' END,
         NULL,
         printf('{{\"actual\":\"%s\",\"expected\":\"yes\",\"method\":\"file_content\",\"source\":{{\"line\":\"Setting%d yes\",\"path\":\"/etc/conf.d/%d.conf\"}},\"target\":\"/etc/conf.d/%d.conf\"}}',
                CASE WHEN r.i % 3 = 0 THEN 'no' ELSE 'yes' END, r.i, r.i, r.i),
         lower(hex(randomblob(32))), 1000, 1000, 2000, 1,
         printf('%08x-0000-4000-8000-%012x', n.i, n.i)
  FROM n, r ORDER BY 1, 2;
INSERT INTO transactions (id, scan_id, host, rule_id, change_kind, new_status, severity,
    evidence_hash, occurred_at, prev_hash, row_hash)
  SELECT n.i * {RULES} + r.i + 1, printf('%08x-0000-4000-8000-%012x', n.i, n.i),
         printf('host-%05d', n.i), printf('rule-%05d', r.i), 'first_seen', 'pass',
         'low', '', 1000, '', ''
  FROM n, r;
-- The consumer acknowledged everything so far, a day ago.
INSERT INTO export_consumers (name, created_at, acked_batch_id, acked_through_txn,
    acked_through_at, acked_at, last_full_at)
  VALUES ('{CONSUMER}', 0, 'seed', {rows}, 2500, strftime('%s','now') * 1000 - 86400000,
          strftime('%s','now') * 1000 - 86400000);
INSERT INTO export_batches (batch_id, consumer, from_txn, through_txn, full, created_at)
  VALUES ('seed', '{CONSUMER}', NULL, {rows}, 1, 2500);
-- Then 1% of the rows change: 20 rules on each of the first 1,000 hosts.
CREATE TEMP TABLE changed AS
  SELECT printf('host-%05d', n.i) AS host, printf('rule-%05d', r.i * 10) AS rule_id,
         n.i AS h, r.i AS k
  FROM n, r WHERE n.i < {CHANGED_HOSTS} AND r.i < {CHANGED_RULES_PER_HOST};
UPDATE host_rule_state SET status = CASE status WHEN 'pass' THEN 'fail' ELSE 'pass' END,
    evidence_hash = lower(hex(randomblob(32))), last_changed_at = 3000, last_checked_at = 3000
  WHERE (host, rule_id) IN (SELECT host, rule_id FROM changed);
INSERT INTO scans (scan_id, host, trigger, started_at, finished_at, status, ruleset_hash,
                   result_hash, pass_count, fail_count, scope, rule_source)
  SELECT DISTINCT printf('%08x-0000-4000-9000-%012x', h, h), host, 'scheduled', 2500, 3000,
         'ok', 'bench', '', 133, 67, 'full', 'embedded'
  FROM changed;
UPDATE hosts SET current_result_hash = lower(hex(randomblob(32))), last_scan_at = 3000,
    last_scan_id = printf('%08x-0000-4000-9000-%012x', substr(name, 6) + 0, substr(name, 6) + 0)
  WHERE name IN (SELECT host FROM changed);
INSERT INTO transactions (id, scan_id, host, rule_id, change_kind, new_status, severity,
    evidence_hash, occurred_at, prev_hash, row_hash)
  SELECT {rows} + h * {CHANGED_RULES_PER_HOST} + k + 1, printf('%08x-0000-4000-9000-%012x', h, h),
         host, rule_id, 'state_changed', 'pass', 'low', '', 3000, '', ''
  FROM changed;
COMMIT;
PRAGMA wal_checkpoint(TRUNCATE);
"
    );
    conn.execute_batch(&sql).expect("building the state file");
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let state = dir.path().join("state.db");
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
