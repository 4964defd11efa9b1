//! `cargo bench --bench store`: apply_scan and `hosts` timings on real state files, the
//! footprint of the embedded pack's scans (release binary on a fixture tree), and the time to
//! open a ~30 MiB and a fleet-sized file. Prints median, min and max of >= 10 runs.

mod common;

use plumb::store::{ResultRecord, ScanBatch, Severity, Status, Store};
use serde_json::json;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const RUNS: usize = 15;

fn batch(host: &str, at: i64, rules: usize, changed: &dyn Fn(usize) -> bool) -> ScanBatch {
    let severities = [
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];
    let results = (0..rules)
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
                    "source": {"path": format!("/etc/conf.d/{i}.conf"), "line": format!("Setting{i} yes")},
                }),
                waiver: None,
            }
        })
        .collect();
    common::scan_batch(host, uuid::Uuid::new_v4(), at, results)
}

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{name:<48} median {:>9.3} ms   min {:>9.3} ms   max {:>9.3} ms   (n={})",
        ms(samples[samples.len() / 2]),
        ms(samples[0]),
        ms(samples[samples.len() - 1]),
        samples.len()
    );
}

fn file_bytes(path: &Path) -> u64 {
    let wal = format!("{}-wal", path.display());
    [path.to_path_buf(), wal.into()]
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum()
}

/// A scan of `tree` with the embedded pack as `host`, by the release binary.
fn scan_embedded(tree: &Path, host: &str, state: &Path) {
    let status = Command::new(env!("CARGO_BIN_EXE_plumb"))
        .args(["scan", "--format", "json", "--fail-on", "never", "--root"])
        .arg(tree)
        .args(["--host-name", host, "--state"])
        .arg(state)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("running plumb");
    assert!(status.success(), "plumb scan failed: {status}");
}

/// Bytes the state file grows by per host's first scan and per unchanged re-scan.
fn footprint(dir: &Path) {
    const HOSTS: u64 = 10;
    const RESCANS: u64 = 100;
    let tree = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/hosts/debian12-default");
    let state = dir.join("footprint.db");
    scan_embedded(&tree, "seed", &state);
    let seeded = file_bytes(&state);
    for n in 0..HOSTS {
        scan_embedded(&tree, &format!("web-{n}"), &state);
    }
    let hosts = file_bytes(&state);
    for _ in 0..RESCANS {
        scan_embedded(&tree, "web-0", &state);
    }
    let rescans = file_bytes(&state);
    println!(
        "footprint, embedded pack on debian12-default: new file {seeded} bytes; \
         +{} bytes per further host (first scan, {HOSTS} hosts); \
         +{} bytes per unchanged re-scan ({RESCANS} re-scans); \
         {} bytes per host over all {} hosts",
        (hosts - seeded) / HOSTS,
        (rescans - hosts) / RESCANS,
        hosts / (HOSTS + 1),
        HOSTS + 1
    );
}

/// Median time to open (probe, configure) and close an existing state file.
fn open_time(name: &str, path: &Path) {
    let samples = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            let store = Store::open(path).expect("open");
            drop(store);
            start.elapsed()
        })
        .collect();
    report(&format!("{name} ({} MiB)", file_bytes(path) >> 20), samples);
}

/// Builds a state file whose main file (the WAL folded in) is at least `bytes`, from
/// 200-rule hosts.
fn file_of_size(path: &Path, bytes: u64) {
    let mut store = Store::open(path).expect("open");
    let mut host = 0;
    let main_file = || std::fs::metadata(path).map_or(0, |meta| meta.len());
    while main_file() < bytes {
        for _ in 0..50 {
            let fails_more = move |i: usize| (i + host) % 7 == 0;
            store
                .apply_scan(&batch(&format!("host-{host:05}"), 1_000, 200, &fails_more))
                .expect("apply");
            host += 1;
        }
    }
    drop(store);
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    footprint(dir.path());

    let no_change = |_: usize| false;

    // First sight of a 1000-rule host, each run on a fresh file.
    let samples = (0..RUNS)
        .map(|run| {
            let mut store = Store::open(&dir.path().join(format!("first-{run}.db"))).expect("open");
            let scan = batch("web", 1_000, 1000, &no_change);
            let start = Instant::now();
            store.apply_scan(&scan).expect("apply");
            start.elapsed()
        })
        .collect();
    report("apply 1000 rules, first seen", samples);

    let path = dir.path().join("steady.db");
    let mut store = Store::open(&path).expect("open");
    store
        .apply_scan(&batch("web", 1_000, 1000, &no_change))
        .expect("apply");
    let samples = (0..RUNS)
        .map(|run| {
            let scan = batch("web", 2_000 + run as i64, 1000, &no_change);
            let start = Instant::now();
            let outcome = store.apply_scan(&scan).expect("apply");
            let took = start.elapsed();
            assert!(outcome.fast_path);
            took
        })
        .collect();
    report("apply 1000 rules, unchanged (fast path)", samples);

    let samples = (0..RUNS)
        .map(|run| {
            // Toggle a different 1% of rules each run.
            let changed = move |i: usize| {
                i % 100 == run % 100 || (run % 2 == 1 && i % 100 == (run - 1) % 100)
            };
            let scan = batch("web", 100_000 + run as i64, 1000, &changed);
            let start = Instant::now();
            let outcome = store.apply_scan(&scan).expect("apply");
            let took = start.elapsed();
            assert!(!outcome.changes.is_empty());
            took
        })
        .collect();
    report("apply 1000 rules, 1% changed", samples);
    drop(store);

    // Growth over 1000 unchanged re-scans.
    let path = dir.path().join("growth.db");
    let mut store = Store::open(&path).expect("open");
    store
        .apply_scan(&batch("web", 1_000, 1000, &no_change))
        .expect("apply");
    drop(store);
    let before = file_bytes(&path);
    let mut store = Store::open(&path).expect("open");
    let start = Instant::now();
    for run in 0..1000 {
        store
            .apply_scan(&batch("web", 10_000 + run, 1000, &no_change))
            .expect("apply");
    }
    let elapsed = start.elapsed();
    drop(store); // closing checkpoints the WAL into the main file
    let after = file_bytes(&path);
    println!(
        "growth after 1000 unchanged re-scans of 1000 rules: {} -> {} bytes (+{} bytes, {:.0} bytes/scan; {:.2} s total)",
        before,
        after,
        after.saturating_sub(before),
        after.saturating_sub(before) as f64 / 1000.0,
        elapsed.as_secs_f64()
    );

    // `hosts` on 10,000 hosts x 200 rules.
    let path = dir.path().join("fleet.db");
    let mut store = Store::open(&path).expect("open");
    let build = Instant::now();
    for host in 0..10_000 {
        let fails_more = move |i: usize| (i + host) % 7 == 0;
        store
            .apply_scan(&batch(&format!("host-{host:05}"), 1_000, 200, &fails_more))
            .expect("apply");
    }
    println!(
        "built 10,000 hosts x 200 rules in {:.1} s ({} bytes)",
        build.elapsed().as_secs_f64(),
        file_bytes(&path)
    );
    let samples = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            let hosts = store.hosts().expect("hosts");
            let took = start.elapsed();
            assert_eq!(hosts.len(), 10_000);
            took
        })
        .collect();
    report("hosts query, 10,000 hosts x 200 rules", samples);
    drop(store);

    // Opening reads the header and schema only, whatever the size; `state check` reads it all.
    let medium = dir.path().join("medium.db");
    file_of_size(&medium, 30 << 20);
    open_time("open + close, ~30 MiB file", &medium);
    open_time("open + close, 10,000 hosts x 200 rules", &path);
    let conn = rusqlite::Connection::open(&medium).expect("open");
    let samples = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            let ok: String = conn
                .query_row("PRAGMA quick_check", [], |row| row.get(0))
                .expect("quick_check");
            assert_eq!(ok, "ok");
            start.elapsed()
        })
        .collect();
    report(
        "quick_check of the ~30 MiB file (no longer on open)",
        samples,
    );
}
