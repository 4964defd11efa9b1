//! `plumb schedule` figures (issue: schedule):
//! - the claim pass over 10,000 enrolled hosts with 1% due (library, one BEGIN IMMEDIATE);
//! - `schedule run-once` over 20 due fixture hosts against `plumb scan` of the same hosts;
//! - peak RSS of a run-once over 100 and over 1,000 due fixture hosts.
//!
//! Run with `cargo bench --bench schedule`; `PLUMB_BENCH_RUNS` sets the sample count.

mod common;

use common::{run_measured, runs, show};
use plumb::store::{ClaimRequest, ScheduleSettings, Store};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const ENROLLED: usize = 10_000;

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    claim_pass(dir.path());
    let tree = fixture_tree(dir.path());
    run_once_against_scan(dir.path(), &tree);
    run_once_memory(dir.path(), &tree);
}

fn claim_pass(dir: &Path) {
    let path = dir.join("claim.db");
    let mut store = Store::open(&path).expect("state file");
    let hosts: Vec<String> = (0..ENROLLED).map(|i| format!("host-{i:05}")).collect();
    let settings = ScheduleSettings::default();
    let t0 = 1_800_000_000_000_i64;
    store.enrol(&hosts, &settings, t0).expect("enrol");
    // 99% of the hosts are scheduled in the future; every 100th stays due.
    let conn = rusqlite::Connection::open(&path).expect("second connection");
    conn.execute(
        "UPDATE host_schedule SET next_scan_at = ?1, last_scan_finished_at = ?2 \
         WHERE substr(host, -2) != '00'",
        (t0 + 3_600_000, t0 - 1000),
    )
    .expect("schedule the fleet");
    drop(conn);
    let key_path = dir.join("bench.key");
    let key = plumb::schedule_key::JobKey::load_or_create(&key_path).expect("job key");
    let mut samples = Vec::new();
    let now = t0 + 1000;
    for run in 0..runs() {
        let owner = format!("bench-{run}");
        let started = Instant::now();
        let report = store
            .claim_due(
                &ClaimRequest {
                    owner: owner.clone(),
                    now,
                    lease: Duration::from_secs(600),
                    max_hosts: None,
                    policy_version: Some(1),
                    ruleset_hash: "0".repeat(64),
                    maintenance: &plumb::store::no_maintenance,
                    settings: &settings,
                },
                &key,
            )
            .expect("claim");
        samples.push(started.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(report.jobs.len(), ENROLLED / 100, "1% is due");
        store.release_jobs(&owner, now).expect("release");
    }
    show(
        "claim pass, 10,000 enrolled hosts, 1% due (target <= 50 ms)",
        &samples,
        "ms",
    );
}

/// The debian12-default fixture tree, copied (modes do not matter for timing).
fn fixture_tree(dir: &Path) -> PathBuf {
    let tree = dir.join("tree");
    let status = Command::new("cp")
        .arg("-a")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/hosts/debian12-default"))
        .arg(&tree)
        .status()
        .expect("cp");
    assert!(status.success());
    tree
}

fn inventory(dir: &Path, tree: &Path, hosts: usize) -> PathBuf {
    let path = dir.join(format!("inventory-{hosts}.yml"));
    let mut text = String::from("hosts:\n");
    for i in 0..hosts {
        text.push_str(&format!(
            "  host-{i:04}: {{ connection: local, root: '{}' }}\n",
            tree.display()
        ));
    }
    std::fs::write(&path, text).expect("inventory");
    path
}

fn plumb(dir: &Path, state: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_plumb"));
    cmd.env("XDG_STATE_HOME", dir.join("state-home"))
        .env("XDG_CONFIG_HOME", "/nonexistent")
        .env_remove("CI")
        .arg("--state")
        .arg(state);
    cmd
}

/// One pass over every host of `inventory`, recorded in a new state file.
fn run_once(dir: &Path, state: &Path, inventory: &Path) -> Command {
    let mut cmd = plumb(dir, state);
    cmd.args([
        "schedule",
        "run-once",
        "--allow-unsigned-policy",
        "--allow-errors",
        "-i",
    ])
    .arg(inventory);
    cmd
}

fn run_once_against_scan(dir: &Path, tree: &Path) {
    let inventory = inventory(dir, tree, 20);
    let (mut scan, mut scheduled) = (Vec::new(), Vec::new());
    for run in 0..runs() {
        let state = dir.join(format!("scan-{run}.db"));
        let (wall, _, code) = run_measured(
            plumb(dir, &state)
                .args(["scan", "--allow-errors", "-i"])
                .arg(&inventory),
        );
        assert!(code <= 1, "plumb scan exited {code}");
        scan.push(wall * 1000.0);
        let state = dir.join(format!("run-once-{run}.db"));
        let (wall, _, code) = run_measured(&mut run_once(dir, &state, &inventory));
        assert!(code <= 1, "run-once exited {code}");
        scheduled.push(wall * 1000.0);
    }
    let scan = show("plumb scan, 20 fixture hosts, new state file", &scan, "ms");
    let scheduled = show(
        "schedule run-once, the same 20 hosts, new state file",
        &scheduled,
        "ms",
    );
    println!(
        "run-once overhead over scan (target <= 5%): {:+.1}%",
        (scheduled.median / scan.median - 1.0) * 100.0
    );
}

fn run_once_memory(dir: &Path, tree: &Path) {
    for hosts in [100, 1000] {
        let inventory = inventory(dir, tree, hosts);
        let mut rss = Vec::new();
        for run in 0..3 {
            let state = dir.join(format!("memory-{hosts}-{run}.db"));
            let (_, kib, code) = run_measured(&mut run_once(dir, &state, &inventory));
            assert!(code <= 1, "run-once exited {code}");
            rss.push(kib as f64 / 1024.0);
        }
        show(
            &format!("run-once peak RSS, {hosts} due fixture hosts"),
            &rss,
            "MiB",
        );
    }
}
