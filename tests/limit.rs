//! `--limit` with Ansible's host patterns, on a real inventory file of local trees.

mod support;

use std::fs;
use std::path::Path;
use support::fixtures::materialise;
use support::{json, plumb, run, stderr};

/// One cheap rule, so each scan is quick.
const RULES: &str = "- id: passwd-mode\n  title: passwd is not world-writable\n  severity: low\n  check:\n    method: file_permission\n    path: /etc/passwd\n    mode: \"0644\"\n";

struct Site {
    dir: tempfile::TempDir,
    _tree: tempfile::TempDir,
}

impl Site {
    /// Written out of name order, so the inventory's order (by name) is visible.
    fn new() -> Self {
        let tree = materialise("debian12-default");
        let root = tree.path().display().to_string();
        let dir = tempfile::tempdir().unwrap();
        let host = |name: &str, groups: &str, env: &str| {
            format!(
                "  {name}: {{ connection: local, root: {root:?}, groups: [{groups}], labels: {{ env: {env} }} }}\n"
            )
        };
        let inventory = [
            "groups: { web: {}, db: {}, edge: {} }\nhosts:\n".to_owned(),
            host("web-2", "web", "staging"),
            host("lb-1", "web, edge", "prod"),
            host("db-1", "db", "prod"),
            host("web-1", "web", "prod"),
        ]
        .concat();
        fs::write(dir.path().join("inventory.yml"), inventory).unwrap();
        fs::write(dir.path().join("rules.yml"), RULES).unwrap();
        Self { dir, _tree: tree }
    }

    fn path(&self, name: &str) -> std::path::PathBuf {
        self.dir.path().join(name)
    }

    fn scan(&self, limits: &[&str]) -> std::process::Output {
        let mut cmd = plumb();
        cmd.args([
            "scan",
            "--format",
            "json",
            "--no-store",
            "--fail-on",
            "never",
        ])
        .arg("--inventory")
        .arg(self.path("inventory.yml"))
        .arg("--rules")
        .arg(self.path("rules.yml"));
        for limit in limits {
            cmd.args(["--limit", limit]);
        }
        run(&mut cmd)
    }

    /// The hosts scanned, in report order.
    fn hosts(&self, limits: &[&str]) -> Vec<String> {
        let out = self.scan(limits);
        assert_eq!(out.status.code(), Some(0), "{limits:?}: {}", stderr(&out));
        json(&out)["hosts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["host"].as_str().unwrap().to_owned())
            .collect()
    }
}

#[test]
fn several_limits_intersect() {
    let site = Site::new();
    // The staging web-2 and the prod hosts outside web-* are not scanned.
    assert_eq!(site.hosts(&["web-*", "env=prod"]), ["web-1"]);
}

#[test]
fn unions_intersections_and_exclusions_keep_the_inventory_order() {
    let site = Site::new();
    assert_eq!(
        site.hosts(&["web-2:db-1:web:!edge"]),
        ["db-1", "web-1", "web-2"]
    );
    assert_eq!(site.hosts(&["web:&prod"]), ["lb-1", "web-1"]);
    assert_eq!(site.hosts(&["!web"]), ["db-1"]);
    assert_eq!(site.hosts(&["~(db|lb)-"]), ["db-1", "lb-1"]);
    assert_eq!(site.hosts(&["all:!env=prod"]), ["web-2"]);
    assert_eq!(site.hosts(&["web-?,db-*"]), ["db-1", "web-1", "web-2"]);
}

#[test]
fn a_bad_pattern_or_no_match_is_a_usage_error() {
    let site = Site::new();
    let out = site.scan(&["~web-("]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("`~web-(` is not a valid pattern"),
        "{}",
        stderr(&out)
    );

    let out = site.scan(&["web", "db"]);
    assert_eq!(out.status.code(), Some(2));
    let text = stderr(&out);
    assert!(
        text.contains("matches --limit `web` and --limit `db`"),
        "{text}"
    );
    assert!(Path::new(&site.path("inventory.yml")).is_file());
}
