//! `cargo bench --bench hostile`: what hostile input costs plumb now (issue figures: a 60 MB
//! stream of tiny pairs, hostile rpm databases, deeply nested YAML, 100k rules).
//! Prints median, min and max over PLUMB_BENCH_RUNS runs (default 15; 5 for the 100k-rule
//! scan) of a release build.

mod common;

use common::{run_measured, runs, show};
use plumb::probe::{ProbePlan, packages, shell};
use std::path::Path;
use std::time::Instant;

fn main() {
    let runs = runs();
    println!("plumb hostile-input benchmark, {runs} runs (release build)");
    tiny_pairs(runs);
    hostile_rpmdbs(runs);
    deep_yaml(runs);
    many_rules(runs.clamp(1, 5));
}

/// Peak resident memory of this process in KiB; `reset` first makes it the current size.
fn peak_rss_kib(reset: bool) -> u64 {
    if reset {
        // Writing 5 to clear_refs resets the peak to the current RSS (Linux 4.0+).
        let _ = std::fs::write("/proc/self/clear_refs", "5");
    }
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// A framed probe stream of one 60 MB stat record of tiny entries (millions of facts), as a
/// hostile host would send it.
fn tiny_pairs(runs: usize) {
    const BYTES: usize = 60_000_000;
    let nonce = "bench0nonce";
    let entry = b"f - - - 1 0\na";
    let body = entry.repeat(BYTES / entry.len());
    let mut stream = format!("{nonce} S 2 {}\n/x", body.len()).into_bytes();
    stream.extend_from_slice(&body);
    stream.extend_from_slice(format!("\n{nonce} E 0 1\n1\n").as_bytes());
    let plan = ProbePlan::default();
    let (mut wall, mut growth) = (Vec::new(), Vec::new());
    let mut outcome = String::new();
    for _ in 0..runs {
        let before = peak_rss_kib(true);
        let started = Instant::now();
        let parsed = shell::parse(&stream, nonce, &plan);
        wall.push(started.elapsed().as_secs_f64() * 1000.0);
        growth.push((peak_rss_kib(false).saturating_sub(before)) as f64 / 1024.0);
        outcome = match parsed {
            Ok(_) => "parsed".into(),
            Err(err) => format!("refused: {err}"),
        };
    }
    println!("60 MB stream of tiny stat pairs: {outcome}");
    show("  parse wall", &wall, "ms");
    show("  peak memory above the stream itself", &growth, "MiB");
}

/// Hostile rpm databases: how long until each is refused.
fn hostile_rpmdbs(runs: usize) {
    let cases = [
        (
            "recursive view (spun 21 min before)",
            "CREATE VIEW Name AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) \
             SELECT 'pkg' || i AS key FROM n;",
        ),
        (
            "view of 500 MB strings (aborted the run before)",
            "CREATE VIEW Name AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) \
             SELECT printf('%.*c', 500000000, 'x') || i AS key FROM n;",
        ),
        (
            "a real table at the 200,000-name cap (the largest read allowed)",
            "CREATE TABLE t (k TEXT); \
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n LIMIT 2000) \
             INSERT INTO t SELECT 'p' || i FROM n; \
             CREATE TABLE Name (key TEXT NOT NULL, hnum INTEGER NOT NULL); \
             INSERT INTO Name SELECT a.k || b.k, 1 FROM t a, t b LIMIT 200000;",
        ),
    ];
    let dir = tempfile::tempdir().expect("a temp dir");
    for (label, sql) in cases {
        let path = dir.path().join("rpmdb.sqlite");
        let _ = std::fs::remove_file(&path);
        build_db(&path, sql);
        let mut wall = Vec::new();
        let mut outcome = String::new();
        for _ in 0..runs {
            let started = Instant::now();
            let read = packages::read_rpmdb_sqlite(&path, "/var/lib/rpm/rpmdb.sqlite");
            wall.push(started.elapsed().as_secs_f64() * 1000.0);
            outcome = match read {
                Ok(names) => format!("read {} names", names.len()),
                Err(err) => format!("refused: {err}"),
            };
        }
        println!("rpmdb.sqlite, {label}: {outcome}");
        show("  time to a verdict", &wall, "ms");
    }
}

fn build_db(path: &Path, sql: &str) {
    let conn = rusqlite::Connection::open(path).expect("creating a bench database");
    conn.execute_batch(sql).expect("building a bench database");
}

/// Deeply nested YAML as a rules file and as an inventory: the time until plumb refuses it
/// (100k nested flow mappings took about a minute to parse before).
fn deep_yaml(runs: usize) {
    const DEPTH: usize = 100_000;
    let dir = tempfile::tempdir().expect("a temp dir");
    let deep = format!("{}1{}\n", "{a: ".repeat(DEPTH), "}".repeat(DEPTH));
    let rules = dir.path().join("deep-rules.yml");
    std::fs::write(&rules, &deep).expect("a rules file");
    let inventory = dir.path().join("deep-inventory.yml");
    std::fs::write(&inventory, format!("vars: {deep}")).expect("an inventory");
    let binary = env!("CARGO_BIN_EXE_plumb");
    let cases: [(&str, Vec<std::ffi::OsString>); 2] = [
        (
            "rules file",
            vec![
                "scan".into(),
                "--no-store".into(),
                "--rules".into(),
                rules.into(),
            ],
        ),
        (
            "inventory",
            vec![
                "scan".into(),
                "--no-store".into(),
                "-i".into(),
                inventory.into(),
            ],
        ),
    ];
    for (label, args) in cases {
        let mut wall = Vec::new();
        let mut code = 0;
        for _ in 0..runs {
            let mut cmd = std::process::Command::new(binary);
            cmd.args(&args);
            let (seconds, _, exit) = run_measured(&mut cmd);
            wall.push(seconds * 1000.0);
            code = exit;
        }
        println!("{{a: ...}} nested {DEPTH} deep as a {label}: exit {code}");
        show("  time to the refusal", &wall, "ms");
    }
}

/// `plumb scan` of a small tree with 100k trivial rules (the rule-set merge was quadratic:
/// 120 s before).
fn many_rules(runs: usize) {
    const RULES: usize = 100_000;
    let dir = tempfile::tempdir().expect("a temp dir");
    let root = dir.path().join("root");
    std::fs::create_dir_all(root.join("etc")).expect("a tree");
    std::fs::write(
        root.join("etc/os-release"),
        "ID=debian\nVERSION_ID=\"12\"\n",
    )
    .expect("a tree");
    // Twenty files of 5,000 rules: each file stays under the per-file YAML bounds.
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).expect("a rules dir");
    for file in 0..20 {
        let mut text = String::with_capacity(RULES / 20 * 120);
        for i in file * RULES / 20..(file + 1) * RULES / 20 {
            text.push_str(&format!(
                "- id: r{i}\n  title: r{i}\n  severity: low\n  check: {{ method: file_exists, path: /etc/os-release }}\n"
            ));
        }
        std::fs::write(rules.join(format!("r{file:02}.yml")), text).expect("a rules file");
    }
    let binary = env!("CARGO_BIN_EXE_plumb");
    let (mut wall, mut rss) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let mut cmd = std::process::Command::new(binary);
        cmd.args(["scan", "--no-store", "--format", "json", "--rules"])
            .arg(&rules)
            .arg("--root")
            .arg(&root);
        let (seconds, peak_kib, code) = run_measured(&mut cmd);
        assert_eq!(code, 0, "the 100k-rule scan failed");
        wall.push(seconds * 1000.0);
        rss.push(peak_kib as f64 / 1024.0);
    }
    println!("plumb scan --root with {RULES} rules (load, evaluate, merge, report):");
    show("  wall", &wall, "ms");
    show("  peak RSS", &rss, "MiB");
}
