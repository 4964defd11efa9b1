//! Helpers shared by the store integration tests: synthetic batches and state digests.
#![allow(dead_code)]

use plumb::canonical::sha256_hex;
use plumb::store::{
    HostRecord, ResultRecord, ScanBatch, ScanStatus, Scope, Severity, Status, Trigger,
};
use rusqlite::Connection;
use serde_json::json;
use std::collections::BTreeMap;
use std::path::Path;

pub fn host(name: &str) -> HostRecord {
    HostRecord {
        name: name.to_string(),
        address: Some(format!("{name}.example.net")),
        port: Some(22),
        user: Some("audit".to_string()),
        labels: BTreeMap::from([("env".to_string(), "test".to_string())]),
    }
}

pub fn result(rule_id: &str, status: Status, severity: Severity) -> ResultRecord {
    ResultRecord {
        rule_id: rule_id.to_string(),
        title: format!("Rule {rule_id}"),
        severity,
        status,
        reason: match status {
            Status::Skipped => Some("platform".to_string()),
            Status::Error => Some("probe_failed".to_string()),
            _ => None,
        },
        evidence: json!({
            "method": "file_content",
            "target": format!("/etc/{rule_id}.conf"),
            "expected": "yes",
            "actual": if status == Status::Pass { "yes" } else { "no" },
        }),
        waiver: (status == Status::Waived).then(|| format!("W-{rule_id}")),
    }
}

pub fn batch(host_name: &str, at: i64, results: Vec<ResultRecord>) -> ScanBatch {
    ScanBatch {
        scan_id: uuid::Uuid::new_v4(),
        host: host(host_name),
        trigger: Trigger::Manual,
        started_at: at - 500,
        finished_at: at,
        status: ScanStatus::Ok,
        error: None,
        policy_version: Some(1),
        ruleset_hash: "sha256:ruleset".to_string(),
        scope: Scope::Full,
        rule_source: "embedded".to_string(),
        results,
    }
}

/// `n` rules `r0000..`; rule i fails when (i + flip) is divisible by 3.
pub fn synthetic(host_name: &str, at: i64, n: usize, flip: usize) -> ScanBatch {
    let severities = [
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];
    let results = (0..n)
        .map(|i| {
            let status = if (i + flip) % 3 == 0 {
                Status::Fail
            } else {
                Status::Pass
            };
            result(&format!("r{i:05}"), status, severities[i % 4])
        })
        .collect();
    batch(host_name, at, results)
}

/// A hash of every row of the data tables (not audit events or checkpoints, which carry
/// wall-clock times), so two files with the same recorded state compare equal.
pub fn digest(path: &Path) -> String {
    let conn = Connection::open(path).unwrap();
    let mut text = String::new();
    for (table, order) in [
        ("hosts", "name"),
        ("rules", "id"),
        ("scans", "scan_id"),
        ("host_rule_state", "host, rule_id"),
        ("transactions", "id"),
        ("rule_sources", "id"),
        ("host_rule_sources", "host, source_id, rule_id"),
    ] {
        let mut stmt = conn
            .prepare(&format!("SELECT * FROM {table} ORDER BY {order}"))
            .unwrap();
        let columns = stmt.column_count();
        let mut rows = stmt.query([]).unwrap();
        text.push_str(table);
        while let Some(row) = rows.next().unwrap() {
            for i in 0..columns {
                let value: rusqlite::types::Value = row.get(i).unwrap();
                text.push_str(&format!("{value:?}|"));
            }
            text.push('\n');
        }
    }
    sha256_hex(text)
}

pub fn count(path: &Path, query: &str) -> i64 {
    let conn = Connection::open(path).unwrap();
    conn.query_row(query, [], |row| row.get(0)).unwrap()
}
