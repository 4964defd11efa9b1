//! One machine reached under two names: its /etc/machine-id (read by both executors) is kept
//! per host in the state file, and plumb warns when two host names share one.

mod support;

use std::fs;
use std::path::Path;
use support::fixtures::materialise;
use support::tools::sqlite3;
use support::{plumb, run, stderr};

const MACHINE_ID: &str = "0123456789abcdef0123456789ABCDEF";
const RULES: &str = "- id: passwd-mode\n  title: passwd mode\n  severity: low\n  check:\n    method: file_permission\n    path: /etc/passwd\n    mode: \"0644\"\n";

fn tree_with_id(id: Option<&str>) -> tempfile::TempDir {
    let tree = materialise("debian12-default");
    if let Some(id) = id {
        fs::write(tree.path().join("etc/machine-id"), format!("{id}\n")).unwrap();
    }
    tree
}

/// `plumb scan` of `tree` under `name`, native or through the shell probe.
fn scan(state: &Path, rules: &Path, tree: &Path, name: &str, via_shell: bool) -> String {
    let mut cmd = plumb();
    cmd.arg("--state")
        .arg(state)
        .args([
            "scan",
            "--format",
            "json",
            "--fail-on",
            "never",
            "--host-name",
            name,
        ])
        .arg("--rules")
        .arg(rules)
        .arg("--root")
        .arg(tree);
    if via_shell {
        cmd.arg("--via-shell");
    }
    let out = run(&mut cmd);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    stderr(&out)
}

#[test]
fn two_names_of_one_machine_in_the_state_file_are_noticed_by_either_executor() {
    let dir = tempfile::tempdir().unwrap();
    let (state, rules) = (dir.path().join("state.db"), dir.path().join("rules.yml"));
    fs::write(&rules, RULES).unwrap();
    let tree = tree_with_id(Some(MACHINE_ID));

    let first = scan(&state, &rules, tree.path(), "web-1", false);
    assert!(!first.contains("machine-id"), "{first}");
    let stored = sqlite3(&state, "SELECT name, machine_id FROM hosts ORDER BY name");
    let lowered = MACHINE_ID.to_ascii_lowercase();
    assert_eq!(stored.trim(), format!("web-1|{lowered}"));

    // The same tree under an address-like name, read by the shell probe this time.
    let second = scan(&state, &rules, tree.path(), "10.0.0.5", true);
    assert!(
        second.contains(&format!(
            "host `10.0.0.5` reports the machine-id {lowered} of `web-1` in the state file"
        )),
        "{second}"
    );
    let count = sqlite3(
        &state,
        &format!("SELECT count(*) FROM hosts WHERE machine_id = '{lowered}'"),
    );
    assert_eq!(count.trim(), "2");

    // Scanning the same name again is no warning.
    let again = scan(&state, &rules, tree.path(), "web-1", false);
    assert!(again.contains("of `10.0.0.5`"), "{again}");
    assert!(!again.contains("of `web-1`"), "{again}");
}

#[test]
fn two_inventory_names_of_one_machine_in_one_run_are_noticed() {
    let dir = tempfile::tempdir().unwrap();
    let same = tree_with_id(Some(MACHINE_ID));
    let other = tree_with_id(Some("fedcba9876543210fedcba9876543210"));
    let unset = tree_with_id(Some("uninitialized"));
    let host = |name: &str, tree: &tempfile::TempDir| {
        format!(
            "  {name}: {{ connection: local, root: {:?} }}\n",
            tree.path().display().to_string()
        )
    };
    let inventory = [
        "hosts:\n".to_owned(),
        host("a-name", &same),
        host("b-alias", &same),
        host("c-other", &other),
        host("d-image", &unset),
        host("e-image", &unset),
    ]
    .concat();
    fs::write(dir.path().join("inventory.yml"), inventory).unwrap();
    fs::write(dir.path().join("rules.yml"), RULES).unwrap();
    let out = run(plumb()
        .args([
            "scan",
            "--no-store",
            "--format",
            "json",
            "--fail-on",
            "never",
        ])
        .arg("--inventory")
        .arg(dir.path().join("inventory.yml"))
        .arg("--rules")
        .arg(dir.path().join("rules.yml"))
        .args(["--concurrency", "1"]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stderr(&out);
    let warnings: Vec<&str> = text.lines().filter(|l| l.contains("machine-id")).collect();
    assert_eq!(
        warnings.len(),
        1,
        "only a-name and b-alias share an id: {text}"
    );
    assert!(
        warnings[0].contains("hosts `a-name` and `b-alias` report the same machine-id"),
        "{text}"
    );
}
