//! `plumb rules list|show|check` through the binary: the pack as data, without scanning.

mod support;

use std::fs;
use std::path::Path;
use support::{json, plumb, run, stderr};

const PACK: &str = "
- id: root-login-off
  title: Root login is off
  description: sshd refuses root.
  rationale: Attribution.
  severity: high
  tags: [ssh]
  profiles: [cis_l1_server, cis_l2_server]
  references: { cis: { debian12: '5.1.20' }, nist_800_53: [AC-6(2)] }
  notes: An absent keyword counts as sshd's default.
  platforms: [{ family: debian, min_version: 12 }]
  vars: { permit: 'no' }
  remediation: Set PermitRootLogin no.
  implementations:
    - when: sshd_config_d
      check: { method: config_value, path: /etc/ssh/sshd_config.d, key: PermitRootLogin, expected: '{{ permit }}' }
    - default: true
      check: { method: config_value, path: /etc/ssh/sshd_config, key: PermitRootLogin, expected: '{{ permit }}' }
- id: x11-off
  title: X11 forwarding is off
  severity: low
  tags: [ssh, x11]
  profiles: [cis_l2_server]
  references: { cis: { debian12: '5.1.22' } }
  remediation: Set X11Forwarding no.
  checks:
    - { method: file_exists, path: /etc/ssh/sshd_config }
    - { method: config_value, path: /etc/ssh/sshd_config, key: X11Forwarding, expected: 'no' }
";

fn rules(dir: &Path, args: &[&str]) -> std::process::Output {
    run(plumb()
        .args(["--format", "json", "rules"])
        .args(args)
        .arg("--rules")
        .arg(dir.join("pack.yml")))
}

fn pack() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("pack.yml"), PACK).unwrap();
    dir
}

fn ids(out: &std::process::Output) -> Vec<String> {
    assert_eq!(out.status.code(), Some(0), "{}", stderr(out));
    json(out)
        .as_array()
        .unwrap()
        .iter()
        .map(|rule| rule["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn list_filters_by_profile_and_tag_and_carries_references() {
    let dir = pack();
    let all = rules(dir.path(), &["list"]);
    assert_eq!(ids(&all), ["root-login-off", "x11-off"]);
    let listed = json(&all);
    assert_eq!(listed[0]["references"]["cis"]["debian12"], "5.1.20");
    assert_eq!(listed[0]["profiles"][0], "cis_l1_server");
    assert_eq!(
        listed[1]["methods"],
        serde_json::json!(["file_exists", "config_value"])
    );
    assert!(
        listed[0]["source"]
            .as_str()
            .unwrap()
            .ends_with("pack.yml:2:3"),
        "{}",
        listed[0]["source"]
    );

    assert_eq!(
        ids(&rules(dir.path(), &["list", "--profile", "cis_l1_server"])),
        ["root-login-off"]
    );
    assert_eq!(
        ids(&rules(
            dir.path(),
            &["list", "--profile", "cis_l2_server", "--tag", "x11"]
        )),
        ["x11-off"]
    );
    let unknown = rules(dir.path(), &["list", "--profile", "cis_l9"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        stderr(&unknown).contains("known profiles: cis_l1_server, cis_l2_server"),
        "{}",
        stderr(&unknown)
    );
    assert!(unknown.stdout.is_empty());

    // The table names the same rules.
    let table = run(plumb()
        .args(["--format", "table", "rules", "list", "--rules"])
        .arg(dir.path().join("pack.yml")));
    let text = String::from_utf8(table.stdout).unwrap();
    assert!(
        text.contains("root-login-off") && text.contains("cis_l1_server, cis_l2_server"),
        "{text}"
    );
}

#[test]
fn show_gives_all_of_a_rule_with_its_checks_as_written() {
    let dir = pack();
    let out = rules(
        dir.path(),
        &["show", "root-login-off", "--var", "permit=yes"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rule = json(&out);
    assert_eq!(rule["title"], "Root login is off");
    assert_eq!(rule["description"], "sshd refuses root.");
    assert_eq!(rule["rationale"], "Attribution.");
    assert_eq!(rule["severity"], "high");
    assert_eq!(rule["notes"], "An absent keyword counts as sshd's default.");
    assert_eq!(rule["remediation"], "Set PermitRootLogin no.");
    assert_eq!(rule["references"]["nist_800_53"][0], "AC-6(2)");
    assert_eq!(rule["platforms"][0]["family"], "debian");
    // The effective value, the check as written.
    assert_eq!(rule["vars"]["permit"], "yes");
    let implementations = rule["implementations"].as_array().unwrap();
    assert_eq!(implementations.len(), 2);
    assert_eq!(implementations[0]["when"], "sshd_config_d");
    assert_eq!(
        implementations[0]["check"],
        serde_json::json!({
            "method": "config_value",
            "path": "/etc/ssh/sshd_config.d",
            "key": "PermitRootLogin",
            "expected": "{{ permit }}",
        })
    );
    assert_eq!(implementations[1]["default"], true);

    let all_of = json(&rules(dir.path(), &["show", "x11-off"]));
    let checks = &all_of["implementations"][0]["check"]["checks"];
    assert_eq!(checks[0]["method"], "file_exists");
    assert_eq!(checks[1]["expected"], "no");

    let missing = rules(dir.path(), &["show", "nope"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("no rule with id `nope`"));
}

#[test]
fn show_of_the_embedded_pack_in_table_form_is_yaml() {
    let out = run(plumb().args([
        "--format",
        "table",
        "rules",
        "show",
        "ssh-permit-root-login-disabled",
    ]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    let value: serde_json::Value = serde_yaml::from_str(&text).unwrap();
    assert_eq!(value["id"], "ssh-permit-root-login-disabled");
    assert!(value["source"].as_str().unwrap().starts_with("<embedded>/"));
    assert_eq!(
        value["implementations"][0]["check"]["key"],
        "PermitRootLogin"
    );
}

#[test]
fn check_names_every_broken_file_and_lints_without_failing_unless_strict() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.yml");
    let bare = dir.path().join("bare.yml");
    let broken = dir.path().join("broken.yml");
    let typo = dir.path().join("typo.yml");
    fs::write(&good, PACK).unwrap();
    fs::write(
        &bare,
        "id: bare\ntitle: b\nseverity: low\ncheck: { method: file_exists, path: /x }\n",
    )
    .unwrap();
    fs::write(
        &broken,
        "id: broken\ntitle: b\nseverity: low\ncheck:\n  method: file_exists\n  pth: /x\n",
    )
    .unwrap();
    fs::write(
        &typo,
        "id: typo\ntitle: t\nseverity: low\nprofiles: [CIS-L1]\ncheck: { method: file_exists, path: /x }\n",
    )
    .unwrap();
    let check = |paths: &[&Path], extra: &[&str]| {
        run(plumb()
            .args(["--format", "json", "rules", "check"])
            .args(paths)
            .args(extra))
    };

    let clean = check(&[&good], &["--strict"]);
    assert_eq!(clean.status.code(), Some(0), "{}", stderr(&clean));
    assert_eq!(json(&clean)["rules"], 2);
    assert_eq!(json(&clean)["diagnostics"], serde_json::json!([]));

    // Lint warnings are printed; they fail the check only with --strict.
    let lint = check(&[&good, &bare], &[]);
    assert_eq!(lint.status.code(), Some(0), "{}", stderr(&lint));
    let report = json(&lint);
    assert_eq!(report["warnings"], 2);
    let bare_at = format!("{}:1:1", bare.display());
    for (diagnostic, lacks) in report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .zip(["remediation", "references"])
    {
        assert_eq!(diagnostic["level"], "warning");
        assert_eq!(diagnostic["location"], bare_at.as_str());
        assert!(diagnostic["message"].as_str().unwrap().contains(lacks));
    }
    assert_eq!(check(&[&good, &bare], &["--strict"]).status.code(), Some(1));

    // Each broken file is named with line and column, not only the first.
    let bad = check(&[&broken, &good, &typo], &[]);
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
    let report = json(&bad);
    assert_eq!(report["errors"], 2);
    let locations: Vec<&str> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["level"] == "error")
        .map(|d| d["location"].as_str().unwrap())
        .collect();
    assert_eq!(
        locations,
        [
            format!("{}:6:3", broken.display()),
            format!("{}:1:1", typo.display())
        ]
    );

    // Duplicate ids across files are found when the files are checked together.
    let dup = check(&[&good, &good], &[]);
    assert_eq!(dup.status.code(), Some(2));
    assert!(
        json(&dup)["diagnostics"][0]["message"]
            .as_str()
            .unwrap()
            .contains("duplicate rule id")
    );
}

#[test]
fn the_embedded_pack_checks_clean_and_other_formats_are_refused() {
    let out = run(plumb().args(["--format", "json", "rules", "check"]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json(&out)["errors"], 0);
    assert!(json(&out)["rules"].as_u64().unwrap() > 100);

    let sarif = run(plumb().args(["--format", "sarif", "rules", "list"]));
    assert_eq!(sarif.status.code(), Some(2));
    assert!(sarif.stdout.is_empty());
}
