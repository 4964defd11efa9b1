//! The config file carries scan settings as flags do; flags win; unknown keys are refused with
//! their position.

mod support;

use std::fs;
use support::fixtures::materialise;
use support::{plumb, run, stderr};

/// One low-severity rule that fails on every fixture tree.
const RULES: &str = "- id: passwd-unreadable\n  title: Nobody reads passwd\n  severity: low\n  check:\n    method: file_permission\n    path: /etc/passwd\n    mode: \"0000\"\n";

struct Site {
    dir: tempfile::TempDir,
    _tree: tempfile::TempDir,
}

impl Site {
    fn new(config: &str) -> Self {
        let tree = materialise("debian12-default");
        let dir = tempfile::tempdir().unwrap();
        let root = tree.path().display().to_string();
        fs::write(
            dir.path().join("inventory.yml"),
            format!(
                "hosts:\n  img-a: {{ connection: local, root: {root:?} }}\n  img-b: {{ connection: local, root: {root:?} }}\n"
            ),
        )
        .unwrap();
        fs::write(dir.path().join("rules.yml"), RULES).unwrap();
        fs::write(dir.path().join("config.yaml"), config).unwrap();
        Self { dir, _tree: tree }
    }

    fn scan(&self, flags: &[&str]) -> std::process::Output {
        // Run elsewhere: the file's relative paths are relative to the file.
        run(plumb()
            .current_dir("/")
            .arg("--config")
            .arg(self.dir.path().join("config.yaml"))
            .args(["scan", "--no-store"])
            .args(flags))
    }
}

const CONFIG: &str = "format: markdown
fail_on: high
rules: [rules.yml]
inventory: inventory.yml
limit: [img-b]
concurrency: 2
evidence_max_bytes: 4096
ssh: { user: audit, connect_timeout: 5, host_key_policy: accept-new }
";

#[test]
fn the_config_file_sets_format_gate_rules_inventory_and_limit() {
    let site = Site::new(CONFIG);
    let out = site.scan(&[]);
    // fail_on: high lets the low failure pass.
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("# plumb scan report"), "{text}");
    assert!(
        text.contains("## img-b") && !text.contains("## img-a"),
        "{text}"
    );
    assert!(text.contains("passwd-unreadable"), "{text}");
}

#[test]
fn flags_override_the_config_file() {
    let site = Site::new(CONFIG);
    let out = site.scan(&["--format", "json", "--fail-on", "low", "--limit", "img-a"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report = support::json(&out);
    let hosts: Vec<&str> = report["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["host"].as_str().unwrap())
        .collect();
    assert_eq!(hosts, ["img-a"]);
    // A target on the command line replaces the config file's inventory.
    let tree = materialise("rhel9");
    let out = site.scan(&["--format", "json", "--root", tree.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(support::json(&out)["hosts"].as_array().unwrap().len(), 1);
}

#[test]
fn unknown_keys_and_values_are_refused_with_their_position() {
    for (config, position, words) in [
        (
            "format: json\nfail_onn: high\n",
            ":2:1",
            "unknown field `fail_onn`",
        ),
        (
            "ssh:\n  user: a\n  prot: 22\n",
            ":3:3",
            "unknown field `prot`",
        ),
        ("fail_on: severe\n", ":1:", "unknown value `severe`"),
    ] {
        let site = Site::new(config);
        let out = site.scan(&[]);
        let text = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{config}: {text}");
        assert!(
            text.contains(&format!("config.yaml{position}")),
            "{config}: {text}"
        );
        assert!(text.contains(words), "{config}: {text}");
    }
}
