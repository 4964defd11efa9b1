//! Reliability of the state file under concurrent writers and kill -9 mid-transaction.
//!
//! Child processes are this test binary re-executed on the ignored `child_worker` test with
//! `PLUMB_STORE_CHILD` saying what to do.

mod common;

use common::*;
use plumb::store::{ScanStatus, Status, Store};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "PLUMB_STORE_CHILD";
const WRITERS: usize = 8;
const SCANS_PER_WRITER: usize = 10;
const OWN_RULES: usize = 50;
const SHARED_RULES: usize = 20;
const CRASH_RULES: usize = 5000;
const CRASH_SCAN_ID: &str = "4f6c8a52-9d0e-4b61-8f3a-2a7c1e5d9b01";

fn spawn_child(mode: &str, path: &Path, arg: &str) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_worker",
            "--nocapture",
            "--include-ignored",
        ])
        .env(CHILD_ENV, mode)
        .env("PLUMB_STORE_PATH", path)
        .env("PLUMB_STORE_ARG", arg)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn wait_for(path: &Path) {
    while !path.exists() {
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Scan `n` of a writer: all rules pass on even scans, all fail on odd ones, so every scan
/// after the first changes every rule.
fn writer_batches(worker: usize, n: usize) -> [plumb::store::ScanBatch; 2] {
    let status = if n % 2 == 0 {
        Status::Pass
    } else {
        Status::Fail
    };
    let at = 1_000_000 + (n as i64) * 1000 + worker as i64;
    let own = (0..OWN_RULES)
        .map(|i| result(&format!("own-{i}"), status, plumb::store::Severity::Medium))
        .collect();
    // The shared host gets partial scans of disjoint rule sets, so no writer removes another's
    // rules, while all of them contend on the same hosts row.
    let shared = (0..SHARED_RULES)
        .map(|i| {
            result(
                &format!("w{worker}-{i}"),
                status,
                plumb::store::Severity::High,
            )
        })
        .collect();
    let mut shared_batch = batch("shared", at, shared);
    shared_batch.status = ScanStatus::Partial;
    [batch(&format!("host-{worker}"), at, own), shared_batch]
}

#[test]
#[ignore = "child process of the reliability tests"]
fn child_worker() {
    let Ok(mode) = std::env::var(CHILD_ENV) else {
        return;
    };
    let path = PathBuf::from(std::env::var("PLUMB_STORE_PATH").unwrap());
    let arg = std::env::var("PLUMB_STORE_ARG").unwrap();
    match mode.as_str() {
        "concurrent" => {
            let worker: usize = arg.parse().unwrap();
            wait_for(&path.with_file_name("go"));
            let mut store = Store::open(&path).unwrap();
            for n in 0..SCANS_PER_WRITER {
                for batch in writer_batches(worker, n) {
                    store.apply_scan(&batch).unwrap();
                }
            }
        }
        "crash" => {
            let mut store = Store::open(&path).unwrap();
            let batch = crash_batch();
            std::fs::write(&arg, "").unwrap();
            store.apply_scan(&batch).unwrap();
        }
        other => panic!("unknown child mode {other}"),
    }
}

#[test]
fn eight_processes_apply_concurrently_without_losing_anything() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let children: Vec<Child> = (0..WRITERS)
        .map(|worker| spawn_child("concurrent", &path, &worker.to_string()))
        .collect();
    // Start them together, on a file none of them has created yet.
    std::fs::write(dir.path().join("go"), "").unwrap();
    for child in children {
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "writer failed: {stderr}");
        assert!(!stderr.contains("locked"), "{stderr}");
    }
    let mut store = Store::open(&path).unwrap();
    let check = store.check().unwrap();
    assert!(check.sound, "{check:?}");
    let per_writer = SCANS_PER_WRITER * (OWN_RULES + SHARED_RULES);
    assert_eq!(
        count(&path, "SELECT count(*) FROM transactions") as usize,
        WRITERS * per_writer
    );
    assert_eq!(
        count(&path, "SELECT count(*) FROM scans") as usize,
        WRITERS * SCANS_PER_WRITER * 2
    );
    assert_eq!(
        count(
            &path,
            "SELECT count(*) FROM host_rule_state WHERE host = 'shared'"
        ) as usize,
        WRITERS * SHARED_RULES
    );
    assert_eq!(
        count(
            &path,
            "SELECT count(*) FROM transactions WHERE change_kind = 'first_seen'"
        ) as usize,
        WRITERS * (OWN_RULES + SHARED_RULES)
    );
    assert_eq!(
        count(&path, "SELECT min(check_count) FROM host_rule_state") as usize,
        SCANS_PER_WRITER
    );
}

fn crash_batch() -> plumb::store::ScanBatch {
    let mut batch = synthetic("big", 2_000_000, CRASH_RULES, 1);
    batch.scan_id = CRASH_SCAN_ID.parse().unwrap();
    batch
}

fn copy_main_file(from: &Path, to: &Path) {
    assert!(!Path::new(&format!("{}-wal", from.display())).exists());
    std::fs::copy(from, to).unwrap();
}

#[test]
fn kill_9_during_a_large_apply_leaves_before_or_after() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base.db");
    {
        let mut store = Store::open(&base).unwrap();
        store
            .apply_scan(&synthetic("big", 1_000_000, CRASH_RULES, 0))
            .unwrap();
    }
    let before = digest(&base);
    let reference = dir.path().join("after.db");
    copy_main_file(&base, &reference);
    Store::open(&reference)
        .unwrap()
        .apply_scan(&crash_batch())
        .unwrap();
    let after = digest(&reference);
    assert_ne!(before, after);

    // Calibrate: how long the child's apply takes from its ready signal to its exit.
    let calibrate = |run: usize| -> Duration {
        let path = dir.path().join(format!("calibrate-{run}.db"));
        copy_main_file(&base, &path);
        let ready = dir.path().join(format!("calibrate-{run}.ready"));
        let mut child = spawn_child("crash", &path, ready.to_str().unwrap());
        wait_for(&ready);
        let start = Instant::now();
        assert!(child.wait().unwrap().success());
        start.elapsed()
    };
    let full = calibrate(0).max(calibrate(1));

    let (mut saw_before, mut saw_after) = (0, 0);
    for run in 0..20u32 {
        let path = dir.path().join(format!("crash-{run}.db"));
        copy_main_file(&base, &path);
        let ready = dir.path().join(format!("crash-{run}.ready"));
        let mut child = spawn_child("crash", &path, ready.to_str().unwrap());
        wait_for(&ready);
        // Spread the kills over the whole apply, slightly past it.
        std::thread::sleep(full * run / 18);
        let _ = child.kill();
        let _ = child.wait();

        let mut store = Store::open(&path).unwrap();
        let check = store.check().unwrap();
        assert!(check.sound, "run {run}: {check:?}");
        drop(store);
        let state = digest(&path);
        assert!(
            state == before || state == after,
            "run {run}: state is neither before nor after"
        );
        if state == before {
            saw_before += 1;
        } else {
            saw_after += 1;
        }
    }
    eprintln!(
        "kill -9 runs: {saw_before} left the before state, {saw_after} the after state (apply ≈ {full:?})"
    );
    assert_eq!(saw_before + saw_after, 20);
}
