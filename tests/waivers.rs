//! Waivers through the binary: real rule files, real fixture trees scanned with `--root`, a real
//! state file, and real `ssh-keygen -Y sign` signatures for the policy and waivers files.

mod support;

use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use support::tools::{keygen, sign, sqlite3};
use support::{fixtures, json, plumb, run, stderr};

/// alpha and beta fail on the default tree, gamma passes.
const RULES: &str = r#"
- id: w-alpha
  title: alpha on
  severity: high
  check: { method: config_value, path: /etc/app.conf, key: alpha, expected: "yes" }
- id: w-beta
  title: beta on
  severity: medium
  check: { method: config_value, path: /etc/app.conf, key: beta, expected: "yes" }
- id: w-gamma
  title: gamma at least 3
  severity: low
  check: { method: config_value, path: /etc/app.conf, key: gamma, expected: "3", comparator: ">=" }
"#;

const FUTURE: &str = "2999-12-31";

fn waiver(id: &str, rules: &str, hosts: &str, expires: &str) -> String {
    format!(
        "  - id: {id}\n    rules: {rules}\n    {hosts}\n    reason: vendor appliance, fixed in Q3\n    approved_by: alice@example.com\n    expires: {expires}\n    ticket: SEC-42\n"
    )
}

struct Setup {
    dir: tempfile::TempDir,
    tree: tempfile::TempDir,
    state: PathBuf,
    rules: PathBuf,
}

impl Setup {
    fn new() -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let tree = fixtures::materialise("debian12-default");
        fs::write(
            tree.path().join("etc/app.conf"),
            "alpha no\nbeta no\ngamma 5\n",
        )
        .unwrap();
        let rules = dir.path().join("rules.yml");
        fs::write(&rules, RULES).unwrap();
        Setup {
            state: dir.path().join("state.db"),
            rules,
            tree,
            dir,
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes a waivers file with these entries; its path.
    fn waivers(&self, name: &str, entries: &[String]) -> PathBuf {
        let path = self.path(name);
        fs::write(&path, format!("waivers:\n{}", entries.concat())).unwrap();
        path
    }

    /// `plumb scan` of the tree as host `web-1` with the rules, into the state file.
    fn scan(&self, extra: &[&str]) -> Command {
        let mut cmd = plumb();
        cmd.args(["scan", "--host-name", "web-1", "--root"])
            .arg(self.tree.path())
            .arg("--rules")
            .arg(&self.rules)
            .arg("--state")
            .arg(&self.state)
            .args(extra);
        cmd
    }

    fn scan_json(&self, extra: &[&str], code: i32) -> (Value, String) {
        let out = run(&mut self.scan(&[&["--format", "json"], extra].concat()));
        assert_eq!(out.status.code(), Some(code), "{}", stderr(&out));
        (json(&out), stderr(&out))
    }
}

fn result<'a>(host: &'a Value, rule: &str) -> &'a Value {
    host["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule_id"] == rule)
        .unwrap_or_else(|| panic!("{rule} not in {host}"))
}

fn status<'a>(report: &'a Value, rule: &str) -> &'a str {
    result(&report["hosts"][0], rule)["status"]
        .as_str()
        .unwrap()
}

fn path_arg(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn a_waived_failure_keeps_its_evidence_is_counted_apart_and_passes_the_gate() {
    let s = Setup::new();
    // Without the waiver the high failure fails the gate.
    let (_, _) = s.scan_json(&["--fail-on", "high"], 1);
    let file = s.waivers(
        "w.yml",
        &[waiver("W-1", "[w-alpha]", "hosts: [web-1]", FUTURE)],
    );
    let (report, err) = s.scan_json(&["--fail-on", "high", "--waivers", path_arg(&file)], 0);
    let host = &report["hosts"][0];
    let alpha = result(host, "w-alpha");
    assert_eq!(alpha["status"], "waived");
    assert_eq!(alpha["waiver"]["id"], "W-1");
    assert_eq!(alpha["waiver"]["approved_by"], "alice@example.com");
    assert_eq!(alpha["waiver"]["ticket"], "SEC-42");
    assert_eq!(alpha["waiver"]["expires"], "2999-12-31T00:00:00Z");
    assert_eq!(alpha["evidence"][0]["actual"], "no", "{alpha}");
    assert_eq!(alpha["evidence"][0]["expected"], "== yes", "{alpha}");
    // Waived counts neither as pass nor as fail: beta fails, gamma passes, score 50%.
    let summary = &host["summary"];
    assert_eq!(
        (&summary["pass"], &summary["fail"], &summary["waived"]),
        (&Value::from(1), &Value::from(1), &Value::from(1)),
        "{summary}"
    );
    assert_eq!(summary["score"], 50.0);
    assert_eq!(report["summary"]["waived"], 1);
    assert_eq!(report["waivers"][0]["status"], "applied");
    assert_eq!(report["waivers"][0]["waived"], 1);
    assert!(!err.contains("warning"), "{err}");
    // A medium failure still fails a gate that low includes.
    let out = run(&mut s.scan(&["--fail-on", "low", "--waivers", path_arg(&file)]));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));

    // The state file keeps `waived` and the waiver's id.
    let stored = sqlite3(
        &s.state,
        "SELECT status FROM host_rule_state WHERE rule_id = 'w-alpha';
         SELECT s.waiver FROM rule_state AS s JOIN rule_keys AS r ON r.key = s.rule_key
             WHERE r.id = 'w-alpha';
         SELECT waived_count, fail_count FROM hosts WHERE name = 'web-1';",
    );
    assert_eq!(stored, "waived\nW-1\n1|1\n");
    let check = run(plumb().args(["state", "check", "--state"]).arg(&s.state));
    assert_eq!(check.status.code(), Some(0), "{}", stderr(&check));
}

#[test]
fn an_expired_waiver_counts_again_with_a_warning() {
    let s = Setup::new();
    let file = s.waivers(
        "w.yml",
        &[waiver(
            "W-old",
            "[w-alpha]",
            "hosts: [web-1]",
            "2020-01-01T12:00:00Z",
        )],
    );
    let (report, err) = s.scan_json(&["--fail-on", "high", "--waivers", path_arg(&file)], 1);
    assert_eq!(status(&report, "w-alpha"), "fail");
    assert!(
        result(&report["hosts"][0], "w-alpha")
            .get("waiver")
            .is_none()
    );
    assert!(
        err.contains(
            "waiver W-old expired at 2020-01-01T12:00:00Z: 1 failure it matches count again"
        ),
        "{err}"
    );
    assert_eq!(report["waivers"][0]["status"], "expired");
    assert_eq!(report["waivers"][0]["expired_matches"], 1);
}

#[test]
fn a_waiver_that_waives_nothing_is_stale_and_a_waived_pass_stays_a_pass() {
    let s = Setup::new();
    let file = s.waivers(
        "w.yml",
        &[
            waiver("W-pass", "[w-gamma]", "hosts: [web-1]", FUTURE),
            waiver("W-other", "[w-alpha]", "hosts: [db-*]", FUTURE),
        ],
    );
    let (report, err) = s.scan_json(&["--fail-on", "never", "--waivers", path_arg(&file)], 0);
    assert_eq!(status(&report, "w-gamma"), "pass");
    assert_eq!(status(&report, "w-alpha"), "fail");
    for id in ["W-pass", "W-other"] {
        assert!(
            err.contains(&format!("waiver {id} is stale: it waived no failure")),
            "{err}"
        );
    }
    let uses: Vec<(&str, &str)> = report["waivers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["id"].as_str().unwrap(), u["status"].as_str().unwrap()))
        .collect();
    assert_eq!(uses, [("W-pass", "stale"), ("W-other", "stale")]);
}

#[test]
fn globs_match_rule_ids_and_hosts_by_name_group_or_label() {
    let s = Setup::new();
    let inventory = s.path("inventory.yml");
    let root = s.tree.path().display().to_string();
    let mut text = String::from("groups: { web: {}, legacy: {} }\nhosts:\n");
    for (name, extra) in [
        ("web-1", "groups: [web]"),
        ("db-1", "groups: [legacy]"),
        ("db-2", "labels: { env: staging }"),
        ("db-3", "labels: { env: prod }"),
    ] {
        text.push_str(&format!(
            "  {name}: {{ connection: local, root: '{root}', {extra} }}\n"
        ));
    }
    fs::write(&inventory, text).unwrap();
    let file = s.waivers(
        "w.yml",
        &[
            waiver("W-name", "[w-al*]", "hosts: [web-*]", FUTURE),
            waiver("W-group", "['w-[ab]*']", "groups: [leg*]", FUTURE),
            waiver("W-label", "[w-beta]", "labels: { env: stag* }", FUTURE),
        ],
    );
    let out = run(plumb()
        .args(["scan", "--format", "json", "--fail-on", "never", "-i"])
        .arg(&inventory)
        .arg("--rules")
        .arg(&s.rules)
        .arg("--state")
        .arg(&s.state)
        .arg("--waivers")
        .arg(&file));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = json(&out);
    let verdict = |host: &str, rule: &str| {
        let host = support::report_host(&report, host);
        let result = result(host, rule);
        format!(
            "{} {}",
            result["status"].as_str().unwrap(),
            result["waiver"]["id"].as_str().unwrap_or("-")
        )
    };
    let got: Vec<String> = ["web-1", "db-1", "db-2", "db-3"]
        .iter()
        .flat_map(|host| {
            ["w-alpha", "w-beta"].map(|rule| format!("{host} {rule}: {}", verdict(host, rule)))
        })
        .collect();
    assert_eq!(
        got,
        [
            "web-1 w-alpha: waived W-name",
            "web-1 w-beta: fail -",
            "db-1 w-alpha: waived W-group",
            "db-1 w-beta: waived W-group",
            "db-2 w-alpha: fail -",
            "db-2 w-beta: waived W-label",
            "db-3 w-alpha: fail -",
            "db-3 w-beta: fail -",
        ]
    );
}

#[test]
fn every_format_shows_the_waived_failure_apart() {
    let s = Setup::new();
    let file = s.waivers(
        "w.yml",
        &[waiver("W-1", "[w-alpha]", "hosts: [web-1]", FUTURE)],
    );
    let render = |format: &str| -> String {
        let out = run(&mut s.scan(&[
            "--no-store",
            "--fail-on",
            "high",
            "--color",
            "never",
            "--format",
            format,
            "--waivers",
            path_arg(&file),
        ]));
        assert_eq!(out.status.code(), Some(0), "{format}: {}", stderr(&out));
        String::from_utf8(out.stdout).unwrap()
    };
    let note = "waived by W-1 until 2999-12-31T00:00:00Z, approved by alice@example.com, ticket SEC-42: vendor appliance, fixed in Q3";

    let ndjson = render("ndjson");
    let lines: Vec<Value> = ndjson
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let alpha = lines.iter().find(|l| l["rule_id"] == "w-alpha").unwrap();
    assert_eq!(alpha["status"], "waived");
    assert_eq!(alpha["waiver"]["id"], "W-1");
    assert_eq!(alpha["evidence"][0]["actual"], "no");
    let summary = lines.iter().find(|l| l["type"] == "summary").unwrap();
    assert_eq!(summary["summary"]["waived"], 1);

    let junit = render("junit");
    let case = junit
        .split("<testcase")
        .find(|case| case.contains("w-alpha"))
        .unwrap();
    assert!(
        case.contains(&format!("<skipped message=\"{note}\">")),
        "{case}"
    );
    assert!(
        case.contains("actual: no") && !case.contains("<failure"),
        "{case}"
    );
    assert!(
        junit.contains("failures=\"1\"") && junit.contains("skipped=\"1\""),
        "{junit}"
    );

    let sarif: Value = serde_json::from_str(&render("sarif")).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let waived = results.iter().find(|r| r["ruleId"] == "w-alpha").unwrap();
    let suppression = &waived["suppressions"][0];
    assert_eq!(suppression["kind"], "external");
    assert_eq!(suppression["status"], "accepted");
    assert_eq!(suppression["justification"], note);
    let beta = results.iter().find(|r| r["ruleId"] == "w-beta").unwrap();
    assert!(beta.get("suppressions").is_none(), "{beta}");

    let markdown = render("markdown");
    let section = markdown.split("### Waived (1)").nth(1).expect(&markdown);
    let row = section.lines().find(|l| l.contains("w-alpha")).unwrap();
    assert!(row.contains("W-1") && row.contains("| no |"), "{row}");
    assert!(
        !markdown
            .split("### Waived")
            .next()
            .unwrap()
            .contains("w-alpha"),
        "{markdown}"
    );

    let table = render("table");
    let line = table.lines().find(|l| l.contains("w-alpha")).unwrap();
    assert!(
        line.trim_start()
            .starts_with("waived high w-alpha: waived by W-1"),
        "{table}"
    );
    assert!(table.contains("1 waived (not in the score)"), "{table}");
}

#[test]
fn unknown_keys_in_a_waivers_file_are_errors_with_a_position() {
    let s = Setup::new();
    let file = s.path("w.yml");
    let entry = waiver("W-1", "[w-alpha]", "hosts: [web-1]", FUTURE);
    fs::write(
        &file,
        format!("waivers:\n{}", entry.replace("    ticket:", "    tikcet:")),
    )
    .unwrap();
    let out = run(&mut s.scan(&["--waivers", path_arg(&file)]));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("{}:8:", file.display())) && err.contains("unknown field `tikcet`"),
        "{err}"
    );
    // Nothing was scanned or recorded.
    assert_eq!(sqlite3(&s.state, "SELECT count(*) FROM scans"), "0\n");
}

/// A policy pinning the rules with a `waivers:` section, signed by a trusted key.
struct Signed {
    key: PathBuf,
    signers: PathBuf,
    policy: PathBuf,
}

fn signed_policy(s: &Setup, waivers: &str) -> Signed {
    let key = keygen(s.dir.path(), "ops", "ed25519");
    let public = fs::read_to_string(key.with_extension("pub")).unwrap();
    let fields: Vec<&str> = public.split_whitespace().take(2).collect();
    let signers = s.path("allowed_signers");
    fs::write(
        &signers,
        format!("ops namespaces=\"plumb-policy\" {}\n", fields.join(" ")),
    )
    .unwrap();
    let policy = s.path("policy.yaml");
    let hash = plumb::policy::bytes_hash(RULES.as_bytes());
    fs::write(
        &policy,
        format!("version: 1\nrulesets:\n  - path: rules.yml\n    sha256: {hash}\n{waivers}"),
    )
    .unwrap();
    sign(&key, &policy, "plumb-policy");
    Signed {
        key,
        signers,
        policy,
    }
}

fn policy_scan(s: &Setup, p: &Signed, extra: &[&str]) -> Output {
    run(plumb()
        .args([
            "scan",
            "--format",
            "json",
            "--fail-on",
            "high",
            "--host-name",
            "web-1",
            "--root",
        ])
        .arg(s.tree.path())
        .arg("--policy")
        .arg(&p.policy)
        .arg("--allowed-signers")
        .arg(&p.signers)
        .arg("--state")
        .arg(&s.state)
        .args(extra))
}

#[test]
fn a_signed_policy_carries_waivers_and_refuses_an_unsigned_waivers_file() {
    let s = Setup::new();
    let p = signed_policy(
        &s,
        &format!(
            "waivers:\n{}",
            waiver("P-1", "[w-alpha]", "hosts: ['*']", FUTURE)
        ),
    );
    let out = policy_scan(&s, &p, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(status(&report, "w-alpha"), "waived");
    assert_eq!(
        result(&report["hosts"][0], "w-alpha")["waiver"]["id"],
        "P-1"
    );

    // Editing the policy's waivers after signing breaks the signature: refused.
    let text = fs::read_to_string(&p.policy).unwrap();
    fs::write(&p.policy, text.replace("w-alpha", "w-beta")).unwrap();
    let out = policy_scan(&s, &p, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    fs::write(&p.policy, text).unwrap();

    // An unsigned waivers file under the signed policy: refused, unless the operator allows it.
    let file = s.waivers(
        "extra.yml",
        &[waiver("F-1", "[w-beta]", "hosts: [web-1]", FUTURE)],
    );
    let out = policy_scan(&s, &p, &["--waivers", path_arg(&file)]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("refusing the waivers file") && err.contains("it has no signature"),
        "{err}"
    );
    let out = policy_scan(
        &s,
        &p,
        &["--waivers", path_arg(&file), "--allow-unsigned-policy"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(status(&json(&out), "w-beta"), "waived");

    // Signed by an untrusted key: refused; by the policy's key: used.
    let stranger = keygen(s.dir.path(), "stranger", "ed25519");
    sign(&stranger, &file, "plumb-policy");
    let out = policy_scan(&s, &p, &["--waivers", path_arg(&file)]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    sign(&p.key, &file, "plumb-policy");
    let out = policy_scan(&s, &p, &["--waivers", path_arg(&file)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(status(&report, "w-alpha"), "waived");
    assert_eq!(status(&report, "w-beta"), "waived");
    // Changed after signing: refused.
    let text = fs::read_to_string(&file).unwrap();
    fs::write(&file, text.replace("web-1", "web-*")).unwrap();
    let out = policy_scan(&s, &p, &["--waivers", path_arg(&file)]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn drift_shows_an_expired_waiver_as_a_regression() {
    let s = Setup::new();
    let active = s.waivers(
        "w.yml",
        &[waiver("W-1", "[w-alpha]", "hosts: [web-1]", FUTURE)],
    );
    let (first, _) = s.scan_json(&["--fail-on", "never", "--waivers", path_arg(&active)], 0);
    assert_eq!(status(&first, "w-alpha"), "waived");
    std::thread::sleep(std::time::Duration::from_millis(5));
    // The same waiver, now past its date.
    let expired = s.waivers(
        "w.yml",
        &[waiver("W-1", "[w-alpha]", "hosts: [web-1]", "2021-06-30")],
    );
    let (second, err) = s.scan_json(&["--fail-on", "never", "--waivers", path_arg(&expired)], 0);
    assert_eq!(status(&second, "w-alpha"), "fail");
    assert!(
        err.contains("waiver W-1 expired at 2021-06-30T00:00:00Z"),
        "{err}"
    );
    assert_eq!(second["hosts"][0]["changes"]["new_failures"][0], "w-alpha");

    // The change log has one row for the status change, waived -> fail.
    let rows = sqlite3(
        &s.state,
        "SELECT change_kind, previous_status, new_status FROM transactions
         WHERE rule_id = 'w-alpha' ORDER BY id",
    );
    assert_eq!(rows, "first_seen||waived\nstate_changed|waived|fail\n");

    let out = run(plumb()
        .args(["drift", "web-1", "--format", "json", "--state"])
        .arg(&s.state));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let drift = json(&out);
    let entries = drift["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{drift}");
    assert_eq!(entries[0]["rule_id"], "w-alpha");
    assert_eq!(entries[0]["class"], "waiver_expired");
    assert_eq!(entries[0]["before"]["status"], "waived");
    assert_eq!(entries[0]["before"]["evidence"]["waiver"]["id"], "W-1");
    assert_eq!(entries[0]["after"]["status"], "fail");
    // It is a regression for the CI gate, and the table names it.
    let out = run(plumb()
        .args(["drift", "web-1", "--fail-on-regression", "high", "--state"])
        .arg(&s.state));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(
        table.contains("waiver_expired") || table.contains("waiver expired"),
        "{table}"
    );
    let check = run(plumb().args(["state", "check", "--state"]).arg(&s.state));
    assert_eq!(check.status.code(), Some(0), "{}", stderr(&check));
}

#[test]
fn schedule_run_once_applies_waivers_and_warns_about_expired_ones() {
    let s = Setup::new();
    let inventory = s.path("inventory.yml");
    fs::write(
        &inventory,
        format!(
            "hosts:\n  web-1: {{ connection: local, root: '{}' }}\n",
            s.tree.path().display()
        ),
    )
    .unwrap();
    let file = s.waivers(
        "w.yml",
        &[
            waiver("W-1", "[w-alpha]", "hosts: [web-1]", FUTURE),
            waiver("W-old", "[w-beta]", "hosts: [web-1]", "2020-01-01"),
        ],
    );
    let out = run(plumb()
        .env("XDG_STATE_HOME", s.path("state-home"))
        .arg("--state")
        .arg(&s.state)
        .args([
            "schedule",
            "run-once",
            "--allow-unsigned-policy",
            "--fail-on",
            "high",
            "-i",
        ])
        .arg(&inventory)
        .arg("--rules")
        .arg(&s.rules)
        .arg("--waivers")
        .arg(&file));
    // Only the high failure could fail the pass, and it is waived.
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("waiver W-old expired at 2020-01-01T00:00:00Z"),
        "{err}"
    );
    assert!(!err.contains("stale"), "{err}");
    let stored = sqlite3(
        &s.state,
        "SELECT rule_id, status FROM host_rule_state WHERE host = 'web-1' ORDER BY rule_id",
    );
    assert_eq!(stored, "w-alpha|waived\nw-beta|fail\nw-gamma|pass\n");
}
