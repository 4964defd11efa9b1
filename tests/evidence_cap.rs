//! The evaluator and the store measure evidence the same way: a result the evaluator keeps is
//! never one the store rejects, right at the ceiling.

mod support;

use plumb::eval::MAX_EVIDENCE_BYTES;
use std::fs;
use support::tools::sqlite3;
use support::{json, plumb, run, stderr};

#[test]
fn evidence_just_under_the_ceiling_is_kept_or_withheld_never_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.db");
    // A command whose stdout (kept in the evidence) is `n` bytes; around the ceiling, the
    // stored wrapper's few dozen bytes decide.
    for n in (MAX_EVIDENCE_BYTES - 400..MAX_EVIDENCE_BYTES - 150).step_by(25) {
        let rules = dir.path().join("rules.yml");
        fs::write(
            &rules,
            format!(
                "- id: big-output\n  title: Big output\n  severity: low\n  check: {{ method: command, run: \"head -c {n} /dev/zero | tr '\\\\0' x\", expected_stdout: 'x' }}\n"
            ),
        )
        .unwrap();
        let out = run(plumb()
            .args(["scan", "--format", "json", "--allow-errors", "--rules"])
            .arg(&rules)
            .args(["--evidence-max-bytes", &MAX_EVIDENCE_BYTES.to_string()])
            .args(["--host-name", "cap", "--state"])
            .arg(&state));
        assert_eq!(out.status.code(), Some(0), "n={n}: {}", stderr(&out));
        let result = &json(&out)["hosts"][0]["results"][0];
        let status = result["status"].as_str().unwrap();
        assert!(
            status == "pass" || result["reason"] == "evidence_oversize",
            "n={n}: {result}"
        );
        // What the store holds fits the ceiling.
        let stored = sqlite3(
            &state,
            "SELECT length(CAST(evidence AS BLOB)) FROM host_rule_state WHERE rule_id = 'big-output';",
        );
        let stored: usize = stored.trim().parse().unwrap();
        assert!(stored <= MAX_EVIDENCE_BYTES, "n={n}: {stored} bytes stored");
    }
    let scans = sqlite3(&state, "SELECT count(*) FROM scans WHERE status = 'ok';");
    assert_eq!(scans.trim(), "10");
}
