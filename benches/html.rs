//! `cargo bench --bench html`: the size (and time) of `plumb state report` for fleets of
//! 1,000 and 5,000 hosts, each host one of the four fixture trees scanned twice a day apart
//! (one rule flipped on every tenth host). Fails when the 1,000-host page reaches 5 MB.

use plumb::eval::RuleResult;
use plumb::store::{HostRecord, ResultRecord, ScanBatch, ScanStatus, Scope, Store, Trigger};
use std::path::Path;
use std::process::Command;
use std::time::Instant;

const TREES: [&str; 4] = [
    "debian12-default",
    "debian12-hardened",
    "rhel9",
    "ubuntu2204",
];
/// The bound the issue sets for a 1,000-host fleet.
const LIMIT_1000: u64 = 5_000_000;

/// Each fixture tree's results as the state file stores them, from the release binary.
fn tree_results() -> Vec<Vec<ResultRecord>> {
    TREES
        .iter()
        .map(|name| {
            let tree = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("fixtures/hosts")
                .join(name);
            let out = Command::new(env!("CARGO_BIN_EXE_plumb"))
                .args([
                    "scan",
                    "--format",
                    "json",
                    "--no-store",
                    "--fail-on",
                    "never",
                    "--root",
                ])
                .arg(&tree)
                .args(["--host-name", name])
                .output()
                .expect("running plumb");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
            report["hosts"][0]["results"]
                .as_array()
                .expect("results")
                .iter()
                .map(|value| {
                    let result: RuleResult =
                        serde_json::from_value(value.clone()).expect("a result");
                    ResultRecord {
                        rule_id: result.rule_id.clone(),
                        title: result.title.clone(),
                        severity: result.severity,
                        status: result.status,
                        reason: result.reason.map(|r| r.as_str().to_string()),
                        evidence: result.stored_evidence(),
                        waiver: None,
                    }
                })
                .collect()
        })
        .collect()
}

fn build_fleet(path: &Path, hosts: usize, trees: &[Vec<ResultRecord>]) {
    let mut store = Store::open(path).expect("open");
    let now = plumb::store::now_ms();
    for round in 0..2i64 {
        for i in 0..hosts {
            let mut results = trees[i % trees.len()].clone();
            if round == 1 && i % 10 == 0 {
                let which = i % results.len();
                let flip = &mut results[which];
                flip.status = match flip.status {
                    plumb::eval::Status::Pass => plumb::eval::Status::Fail,
                    _ => plumb::eval::Status::Pass,
                };
            }
            let at = now - (2 - round) * 86_400_000 + i as i64;
            store
                .apply_scan(&ScanBatch {
                    scan_id: uuid::Uuid::new_v4(),
                    host: HostRecord {
                        name: format!("host-{i:05}.fleet.example"),
                        address: None,
                        port: None,
                        user: None,
                        labels: Default::default(),
                    },
                    trigger: Trigger::Scheduled,
                    started_at: at - 1000,
                    finished_at: at,
                    status: ScanStatus::Ok,
                    error: None,
                    policy_version: None,
                    ruleset_hash: "fixtures".into(),
                    scope: Scope::Full,
                    rule_source: "embedded".into(),
                    results,
                })
                .expect("apply");
        }
    }
}

fn main() {
    let trees = tree_results();
    let dir = tempfile::tempdir().expect("temp dir");
    for hosts in [1000usize, 5000] {
        let state = dir.path().join(format!("fleet-{hosts}.db"));
        let built = Instant::now();
        build_fleet(&state, hosts, &trees);
        let built = built.elapsed();
        let page = dir.path().join(format!("fleet-{hosts}.html"));
        let started = Instant::now();
        let out = Command::new(env!("CARGO_BIN_EXE_plumb"))
            .args(["state", "report", "--state"])
            .arg(&state)
            .arg("--output")
            .arg(&page)
            .output()
            .expect("running plumb");
        let took = started.elapsed();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let bytes = std::fs::metadata(&page).expect("page").len();
        let html = std::fs::read_to_string(&page).expect("page");
        assert_eq!(
            html.matches("<tr data-i=").count(),
            hosts,
            "every host in the table"
        );
        println!(
            "{hosts:>5} hosts x {} rules: page {bytes} bytes ({:.0} bytes/host), state report {:.2} s (state built in {:.1} s)",
            trees[0].len(),
            bytes as f64 / hosts as f64,
            took.as_secs_f64(),
            built.as_secs_f64()
        );
        if hosts == 1000 {
            assert!(bytes < LIMIT_1000, "a 1,000-host page is {bytes} bytes");
        }
    }
}
