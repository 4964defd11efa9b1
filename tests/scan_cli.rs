//! `plumb scan` through the binary: exit codes and bad input.

mod support;

use std::fs;
use std::path::Path;
use support::{json, plumb, run, stderr};

const OS_RELEASE: &str =
    "ID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n";

/// A tiny host tree and a rules file written next to it.
fn setup(rules: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    fs::create_dir_all(root.join("etc/ssh")).unwrap();
    fs::write(root.join("etc/os-release"), OS_RELEASE).unwrap();
    fs::write(
        root.join("etc/ssh/sshd_config"),
        "PermitRootLogin no\nX11Forwarding yes\n",
    )
    .unwrap();
    fs::write(dir.path().join("rules.yml"), rules).unwrap();
    dir
}

fn scan(dir: &Path, extra: &[&str]) -> std::process::Output {
    let mut cmd = plumb();
    cmd.args(["scan", "--format", "json", "--rules"])
        .arg(dir.join("rules.yml"))
        .arg("--root")
        .arg(dir.join("root"))
        .args(extra);
    run(&mut cmd)
}

const PASSING_AND_FAILING: &str = "
- id: root-login-off
  title: Root login is off
  severity: high
  check: { method: config_value, path: /etc/ssh/sshd_config, key: PermitRootLogin, expected: 'no' }
- id: x11-off
  title: X11 forwarding is off
  severity: low
  check: { method: config_value, path: /etc/ssh/sshd_config, key: X11Forwarding, expected: 'no' }
";

#[test]
fn exit_codes_follow_fail_on() {
    let dir = setup(PASSING_AND_FAILING);
    let out = scan(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["summary"]["pass"], 1);
    assert_eq!(report["summary"]["fail"], 1);

    // The only failure is low: --fail-on medium and --fail-on never are clean.
    assert_eq!(
        scan(dir.path(), &["--fail-on", "medium"]).status.code(),
        Some(0)
    );
    assert_eq!(
        scan(dir.path(), &["--fail-on", "never"]).status.code(),
        Some(0)
    );
    // Selecting only the passing rule is clean too.
    assert_eq!(
        scan(dir.path(), &["--rule", "root-login-off"])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        scan(dir.path(), &["--min-severity", "high"]).status.code(),
        Some(0)
    );
    assert_eq!(
        scan(dir.path(), &["--exclude", "x11-off"]).status.code(),
        Some(0)
    );
}

#[test]
fn usage_errors_exit_2() {
    let dir = setup(PASSING_AND_FAILING);
    let out = scan(dir.path(), &["--no-such-flag"]);
    assert_eq!(out.status.code(), Some(2));
    let out = scan(dir.path(), &["--var", "novalue"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("KEY=VALUE"));
    let out = scan(dir.path(), &["--rule", "no-such-rule"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no-such-rule"));
    let out = scan(dir.path(), &["--evidence-max-bytes", "999999"]);
    assert_eq!(out.status.code(), Some(2));
}

/// Each bad rule file exits 2 with a message naming the file, line and column.
#[test]
fn bad_rules_exit_2_with_positions() {
    let cases = [
        (
            "malformed yaml",
            "- id: a\n  title: [unclosed\n",
            "rules.yml:",
        ),
        (
            "unknown key",
            "- id: a\n  title: t\n  severity: low\n  colour: red\n  check: { method: file_exists, path: /x }\n",
            "unknown field `colour`",
        ),
        (
            "wrong type",
            "- id: a\n  title: t\n  severity: low\n  tags: 5\n  check: { method: file_exists, path: /x }\n",
            "invalid type",
        ),
        (
            "duplicate id",
            "- id: a\n  title: t\n  severity: low\n  check: { method: file_exists, path: /x }\n- id: a\n  title: t\n  severity: low\n  check: { method: file_exists, path: /y }\n",
            "duplicate rule id `a`",
        ),
        (
            "bad regex",
            "- id: a\n  title: t\n  severity: low\n  check: { method: file_content_match, path: /x, pattern: '([' }\n",
            "not a valid regex",
        ),
        (
            "unknown method",
            "- id: a\n  title: t\n  severity: low\n  check: { method: telepathy, path: /x }\n",
            "unknown method `telepathy`",
        ),
        (
            "unknown capability",
            "- id: a\n  title: t\n  severity: low\n  implementations:\n    - when: quantum\n      check: { method: file_exists, path: /x }\n    - default: true\n      check: { method: file_exists, path: /x }\n",
            "unknown capability `quantum`",
        ),
        (
            "undefined variable",
            "- id: a\n  title: t\n  severity: low\n  check: { method: file_exists, path: '{{ where }}' }\n",
            "undefined variable `where`",
        ),
        (
            "bad severity",
            "- id: a\n  title: t\n  severity: apocalyptic\n  check: { method: file_exists, path: /x }\n",
            "unknown variant `apocalyptic`",
        ),
    ];
    let position = regex::Regex::new(r"rules\.yml:\d+:\d+").unwrap();
    for (name, rules, needle) in cases {
        let dir = setup(rules);
        let out = scan(dir.path(), &[]);
        let message = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{name}: {message}");
        assert!(message.contains(needle), "{name}: {message}");
        assert!(
            position.is_match(&message),
            "{name} has no file:line:column: {message}"
        );
        assert!(out.stdout.is_empty(), "{name}: nothing on stdout");
        assert!(!message.contains("panicked"), "{name}: {message}");
    }
}

#[test]
fn io_errors_exit_3() {
    let dir = setup(PASSING_AND_FAILING);
    let out = run(plumb()
        .args(["scan", "--format", "json", "--rules"])
        .arg(dir.path().join("missing.yml")));
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains("missing.yml"));

    let out = run(plumb()
        .args(["scan", "--format", "json", "--root"])
        .arg(dir.path().join("no-such-root")));
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out).contains("no-such-root"));
}

#[test]
fn a_hanging_command_times_out_and_a_flood_is_capped() {
    let rules = "
- id: hangs
  title: hangs
  severity: low
  check: { method: command, run: 'sleep 60', timeout: 1 }
- id: floods
  title: floods
  severity: low
  check: { method: command, run: 'head -c 5000000 /dev/zero | tr \"\\\\0\" a; true' }
";
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("rules.yml"), rules).unwrap();
    let out = run(plumb()
        .args(["scan", "--format", "json", "--no-store", "--rules"])
        .arg(dir.path().join("rules.yml")));
    let report = json(&out);
    let results = report["hosts"][0]["results"].as_array().unwrap();
    let find = |id: &str| results.iter().find(|r| r["rule_id"] == id).unwrap().clone();
    let hangs = find("hangs");
    assert_eq!(hangs["status"], "error");
    assert_eq!(hangs["reason"], "timeout");
    let floods = find("floods");
    assert_eq!(floods["status"], "pass", "{floods}");
    let source = &floods["evidence"][0]["source"];
    assert_eq!(source["stdout_truncated"], true);
    assert!(source["stdout"].as_str().unwrap().len() <= 4096);
}

#[test]
fn output_file_is_written_and_stdout_stays_empty() {
    let dir = setup(PASSING_AND_FAILING);
    let path = dir.path().join("report.json");
    let out = scan(dir.path(), &["--output", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let written: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    assert_eq!(written["summary"]["total"], 2);
}

#[test]
fn the_embedded_pack_loads_and_scans_without_arguments() {
    let out = run(plumb().args([
        "scan",
        "--format",
        "json",
        "--fail-on",
        "never",
        "--no-store",
    ]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = json(&out);
    assert!(report["summary"]["total"].as_u64().unwrap() >= 150);
}

const PROFILED: &str = "
- id: root-login-off
  title: Root login is off
  severity: high
  profiles: [cis_l1_server, cis_l2_server]
  check: { method: config_value, path: /etc/ssh/sshd_config, key: PermitRootLogin, expected: 'no' }
- id: x11-off
  title: X11 forwarding is off
  severity: low
  profiles: [cis_l2_server]
  tags: [ssh]
  check: { method: config_value, path: /etc/ssh/sshd_config, key: X11Forwarding, expected: 'no' }
";

#[test]
fn profile_selects_rules_and_an_unknown_profile_exits_2_naming_the_known() {
    let dir = setup(PROFILED);
    let ids = |out: &std::process::Output| -> Vec<String> {
        json(out)["hosts"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["rule_id"].as_str().unwrap().to_owned())
            .collect()
    };
    let l1 = scan(dir.path(), &["--profile", "cis_l1_server", "--no-store"]);
    assert_eq!(l1.status.code(), Some(0), "{}", stderr(&l1));
    assert_eq!(ids(&l1), ["root-login-off"]);
    let l2 = scan(dir.path(), &["--profile", "cis_l2_server", "--no-store"]);
    assert_eq!(l2.status.code(), Some(1), "{}", stderr(&l2));
    assert_eq!(ids(&l2).len(), 2);
    let both = scan(
        dir.path(),
        &["--profile", "cis_l2_server", "--tag", "ssh", "--no-store"],
    );
    assert_eq!(ids(&both), ["x11-off"]);

    let unknown = scan(
        dir.path(),
        &["--profile", "cis_l1_workstation", "--no-store"],
    );
    assert_eq!(unknown.status.code(), Some(2));
    let message = stderr(&unknown);
    assert!(
        message.contains("unknown profile `cis_l1_workstation`")
            && message.contains("known profiles: cis_l1_server, cis_l2_server"),
        "{message}"
    );
    assert!(unknown.stdout.is_empty());
}
