//! `plumb drift` on real state files written by the real `plumb scan` of fixture trees: each
//! change class with a verdict written by hand, the views, the CI gate's exit codes and the
//! output formats. Also `plumb state` JSON times (RFC 3339) and scores (one decimal).

mod common;
mod support;

use serde_json::Value;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;
use support::backends::{Backend, Kind};
use support::tools::sqlite3;
use support::{fixtures, json, plumb, run, state_json, stderr};

// Each on a SQLite file and on a PostgreSQL database; the others edit or damage the file.
contract_tests!(
    at_rebuilds_the_state_then_and_refuses_times_before_the_prune_horizon,
    each_change_class_between_the_last_two_full_scans,
    since_gives_the_net_change_with_its_flaps,
    scans_by_id_unique_prefix_ambiguous_prefix_and_unknown_id,
    against_lists_exactly_the_rules_that_differ_between_two_hosts,
    the_fleet_view_groups_regressions_by_rule_and_gates_on_severity,
    every_format_parses,
    trends_give_scores_failures_and_flips_per_scan,
);

/// Five rules reading /etc/app.conf and friends, so each test decides every verdict.
const RULES: &str = r#"
- id: t-alpha
  title: alpha on
  severity: high
  check: { method: config_value, path: /etc/app.conf, key: alpha, expected: "yes" }
- id: t-beta
  title: beta on
  severity: medium
  check: { method: config_value, path: /etc/app.conf, key: beta, expected: "yes" }
- id: t-gamma
  title: gamma at least 3
  severity: low
  check: { method: config_value, path: /etc/app.conf, key: gamma, expected: "3", comparator: ">=" }
- id: t-extra
  title: extra.conf is private
  severity: critical
  check: { method: file_permission, path: /etc/extra.conf, mode: '0600', missing: skip }
- id: t-err
  title: marker holds x
  severity: high
  check: { method: file_content, path: /etc/marker, contains: "x" }
"#;

const GONE: &str = r#"
- id: t-gone
  title: goes away
  severity: medium
  check: { method: file_exists, path: /etc/app.conf }
"#;

const ADDED: &str = r#"
- id: t-new
  title: new and passing
  severity: low
  check: { method: file_exists, path: /etc/app.conf }
- id: t-newfail
  title: new and failing
  severity: high
  check: { method: file_exists, path: /etc/not-there.conf }
"#;

/// A copy of the debian12-default fixture tree with the files the rules above read.
struct Host {
    name: String,
    tree: tempfile::TempDir,
}

impl Host {
    fn new(name: &str) -> Host {
        let host = Host {
            name: name.to_string(),
            tree: fixtures::materialise("debian12-default"),
        };
        host.write("etc/app.conf", "alpha yes\nbeta no\ngamma 5\n");
        host.write("etc/marker", "x\n");
        host
    }

    fn write(&self, path: &str, text: &str) {
        fs::write(self.tree.path().join(path), text).unwrap();
    }

    fn set(&self, from: &str, to: &str) {
        let path = self.tree.path().join("etc/app.conf");
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{from} not in {text}");
        fs::write(&path, text.replace(from, to)).unwrap();
    }

    /// Scans the tree into `state` with `rules`; returns the JSON report.
    fn scan(&self, state: &Path, rules: &Path) -> Value {
        let out = run(plumb()
            .args(["scan", "--format", "json", "--allow-errors", "--host-name"])
            .arg(&self.name)
            .arg("--root")
            .arg(self.tree.path())
            .arg("--rules")
            .arg(rules)
            .arg("--state")
            .arg(state));
        assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
        // Distinct change times for every scan.
        std::thread::sleep(std::time::Duration::from_millis(5));
        json(&out)
    }
}

struct Setup<'b> {
    backend: &'b Backend,
    /// Scratch files (the SQLite state file lives here too).
    dir: &'b Path,
    /// What `--state` takes: the file, or the database's URL.
    state: PathBuf,
    rules: PathBuf,
}

impl<'b> Setup<'b> {
    fn new(backend: &'b Backend, rules: &str) -> Setup<'b> {
        let dir = backend.dir.path();
        let rules_path = dir.join("rules.yml");
        fs::write(&rules_path, rules).unwrap();
        Setup {
            backend,
            dir,
            state: PathBuf::from(&backend.state),
            rules: rules_path,
        }
    }

    /// Scan ids, newest first, straight from the store.
    fn scan_ids(&self) -> Vec<String> {
        self.backend
            .rows("SELECT scan_id FROM scans ORDER BY finished_at DESC, rowid DESC")
            .into_iter()
            .map(|row| row[0].clone().unwrap())
            .collect()
    }

    /// Everything stored: equal before and after means nothing was written.
    fn snapshot(&self) -> String {
        match self.backend.kind {
            Kind::Sqlite => format!("{:?}", fs::read(&self.state).unwrap()),
            Kind::Postgres => self.backend.digest(),
        }
    }

    fn set_rules(&self, rules: &str) {
        fs::write(&self.rules, rules).unwrap();
    }

    fn scan(&self, host: &Host) -> Value {
        host.scan(&self.state, &self.rules)
    }

    fn drift(&self, args: &[&str]) -> Output {
        run(plumb()
            .arg("drift")
            .args(args)
            .arg("--state")
            .arg(&self.state))
    }

    /// `drift ARGS --format json`, which must exit `code`.
    fn drift_json(&self, args: &[&str], code: i32) -> Value {
        let mut all = args.to_vec();
        all.extend(["--format", "json"]);
        let out = self.drift(&all);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {}", stderr(&out));
        json(&out)
    }

    /// finished_at of the host's scans, oldest first, as plumb prints times.
    fn scan_times(&self, host: &str) -> Vec<String> {
        self.backend
            .rows(&format!(
                "SELECT finished_at FROM scans WHERE host = '{host}' ORDER BY finished_at, rowid"
            ))
            .into_iter()
            .map(|row| plumb::time::rfc3339_millis(row[0].as_deref().unwrap().parse().unwrap()))
            .collect()
    }
}

/// rule_id → `field` of each object in the array `items`.
fn by_rule(items: &Value, field: &str) -> BTreeMap<String, String> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            (
                item["rule_id"].as_str().unwrap().to_string(),
                item[field].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// rule_id → class of each entry.
fn classes(report: &Value) -> BTreeMap<String, String> {
    by_rule(&report["entries"], "class")
}

fn entry<'a>(report: &'a Value, rule: &str) -> &'a Value {
    report["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["rule_id"] == rule)
        .unwrap_or_else(|| panic!("{rule} not in {report}"))
}

fn actual(state: &Value) -> &str {
    state["evidence"]["checks"][0]["actual"].as_str().unwrap()
}

fn expected(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(rule, class)| (rule.to_string(), class.to_string()))
        .collect()
}

/// Scan 1 with RULES + GONE; then alpha and the extra file regress, beta is fixed, gamma's value
/// moves, the marker becomes unreadable, and the rule set drops t-gone and gains two rules.
fn every_class(setup: &Setup, host: &Host) {
    setup.set_rules(&format!("{RULES}{GONE}"));
    setup.scan(host);
    host.set("alpha yes", "alpha no");
    host.set("beta no", "beta yes");
    host.set("gamma 5", "gamma 6");
    host.write("etc/extra.conf", "secret\n");
    fs::remove_file(host.tree.path().join("etc/marker")).unwrap();
    fs::create_dir(host.tree.path().join("etc/marker")).unwrap();
    setup.set_rules(&format!("{RULES}{ADDED}"));
    setup.scan(host);
}

fn each_change_class_between_the_last_two_full_scans(backend: &Backend) {
    let setup = Setup::new(backend, RULES);
    let host = Host::new("web1");
    every_class(&setup, &host);
    let stored_before = setup.snapshot();

    let report = setup.drift_json(&["web1"], 0);
    assert_eq!(report["view"], "last_scans");
    assert_eq!(
        classes(&report),
        expected(&[
            ("t-extra", "regression"),
            ("t-alpha", "regression"),
            ("t-newfail", "new_failure"),
            ("t-err", "became_error"),
            ("t-beta", "fix"),
            ("t-gamma", "evidence_changed"),
            ("t-new", "added"),
            ("t-gone", "removed"),
        ])
    );
    // Regressions first (critical before high), then the other classes in a fixed order.
    let order: Vec<&str> = report["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["rule_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        order,
        [
            "t-extra",
            "t-alpha",
            "t-newfail",
            "t-err",
            "t-beta",
            "t-gamma",
            "t-new",
            "t-gone"
        ]
    );
    let extra = entry(&report, "t-extra");
    assert_eq!(extra["severity"], "critical");
    assert_eq!(extra["before"]["status"], "skipped");
    assert_eq!(extra["after"]["status"], "fail");
    let alpha = entry(&report, "t-alpha");
    assert_eq!(
        (actual(&alpha["before"]), actual(&alpha["after"])),
        ("yes", "no")
    );
    assert_eq!(alpha["failing_since"], report["after"]["at"]);
    assert_eq!(alpha["changed_at"], report["after"]["at"]);
    let gamma = entry(&report, "t-gamma");
    assert_eq!(
        (actual(&gamma["before"]), actual(&gamma["after"])),
        ("5", "6")
    );
    assert_eq!(gamma["before"]["status"], "pass");
    assert_eq!(gamma["failing_since"], Value::Null);
    assert_eq!(entry(&report, "t-err")["after"]["status"], "error");
    assert_eq!(entry(&report, "t-gone")["after"], Value::Null);
    assert_eq!(entry(&report, "t-new")["before"], Value::Null);
    assert_eq!(report["summary"]["by_class"]["regression"], 2);
    assert_eq!(report["summary"]["regressions_by_severity"]["critical"], 1);
    let scans = setup.scan_ids();
    assert_eq!(report["after"]["scan_id"], scans[0].as_str());
    assert_eq!(report["before"]["scan_id"], scans[1].as_str());

    // The table puts regressions first and the summary last.
    let out = setup.drift(&["web1", "--format", "table"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<&str> = text.lines().filter(|l| l.contains("t-")).collect();
    assert!(
        rows[0].contains("regression") && rows[0].contains("t-extra"),
        "{text}"
    );
    assert!(rows[7].contains("removed"), "{text}");
    assert!(
        text.trim_end()
            .lines()
            .last()
            .unwrap()
            .starts_with("summary: 2 regression"),
        "{text}"
    );

    // Read-only: the file is byte for byte what the scans left.
    for args in [
        &["web1"][..],
        &["web1", "--since", "1h"],
        &["web1", "--at", "1h"],
        &["--all"],
    ] {
        setup.drift(args);
    }
    assert_eq!(setup.snapshot(), stored_before, "drift wrote to the state");
}

/// Rows written before schema 6 do not say what they changed from; drift then reads the row
/// before each, and must give the same answers. An edited "changed from" is found by check.
#[test]
fn rows_without_their_previous_state_read_the_same_and_edits_to_it_are_caught() {
    let backend = Backend::sqlite(
        "rows_without_their_previous_state_read_the_same_and_edits_to_it_are_caught",
    );
    let setup = Setup::new(&backend, RULES);
    let host = Host::new("web1");
    every_class(&setup, &host);
    let first = setup.scan_times("web1")[0].clone();
    let views: [&[&str]; 4] = [
        &["web1"],
        &["web1", "--since", &first],
        &["web1", "--at", &first],
        &["--all", "--since", &first],
    ];
    // What was read, without the reading's own time.
    let read = |setup: &Setup| -> Vec<(Value, Value)> {
        views
            .iter()
            .map(|args| {
                let report = setup.drift_json(args, 0);
                (report["entries"].clone(), report["state"].clone())
            })
            .collect()
    };
    let recorded = read(&setup);
    // The rows carry what they changed from: evidence and the skip reason of t-extra.
    let carried = sqlite3(
        &setup.state,
        "SELECT count(*), count(previous_reason) FROM change_log
         WHERE previous_evidence_id IS NOT NULL",
    );
    assert_eq!(carried.trim(), "6|1", "changed rows with a previous state");
    let last_scans = setup.drift_json(&["web1"], 0);
    assert_eq!(actual(&entry(&last_scans, "t-alpha")["before"]), "yes");
    assert!(entry(&last_scans, "t-extra")["before"]["reason"].is_string());
    assert_eq!(
        recorded[3].0.as_array().map(Vec::len),
        Some(2),
        "two fleet regressions"
    );

    let legacy = tempfile::tempdir().unwrap();
    let legacy_setup = Setup {
        backend: &backend,
        state: legacy.path().join("state.db"),
        rules: setup.rules.clone(),
        dir: legacy.path(),
    };
    fs::copy(&setup.state, &legacy_setup.state).unwrap();
    sqlite3(
        &legacy_setup.state,
        "UPDATE change_log SET previous_evidence_id = NULL, previous_reason = NULL",
    );
    assert_eq!(read(&legacy_setup), recorded);

    // Point alpha's "changed from" at the evidence it changed to.
    sqlite3(
        &setup.state,
        "UPDATE change_log SET previous_evidence_id = evidence_id
         WHERE id = (SELECT id FROM transactions WHERE rule_id = 't-alpha' ORDER BY id DESC LIMIT 1)",
    );
    let out = run(plumb()
        .args(["state", "check", "--format", "json", "--state"])
        .arg(&setup.state));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let bad = &json(&out)["chain"]["first_bad"];
    assert_eq!(bad["rule_id"], "t-alpha", "{bad}");
    assert!(
        bad["problem"]
            .as_str()
            .unwrap()
            .contains("previous_evidence_id")
    );
}

fn since_gives_the_net_change_with_its_flaps(backend: &Backend) {
    let setup = Setup::new(backend, RULES);
    let host = Host::new("web1");
    setup.scan(&host); // alpha pass, beta fail
    host.set("alpha yes", "alpha no");
    host.set("beta no", "beta yes");
    setup.scan(&host);
    host.set("alpha no", "alpha yes");
    host.set("beta yes", "beta no");
    setup.scan(&host);
    host.set("alpha yes", "alpha no");
    setup.scan(&host);
    let times = setup.scan_times("web1");
    assert_eq!(times.len(), 4);

    let report = setup.drift_json(&["web1", "--since", &times[0]], 0);
    assert_eq!(report["view"], "since");
    assert_eq!(report["before"]["at"], times[0].as_str());
    // alpha: pass -> fail -> pass -> fail; beta: fail -> pass -> fail (back where it was).
    assert_eq!(
        classes(&report),
        expected(&[("t-alpha", "regression"), ("t-beta", "flapped")])
    );
    let alpha = entry(&report, "t-alpha");
    assert_eq!(alpha["flaps"], 3);
    assert_eq!(alpha["before"]["status"], "pass");
    assert_eq!(alpha["changed_at"], times[3].as_str());
    assert_eq!(alpha["failing_since"], times[3].as_str());
    let beta = entry(&report, "t-beta");
    assert_eq!(beta["flaps"], 2);
    assert_eq!(beta["changed_at"], times[2].as_str());
    assert_eq!(beta["failing_since"], times[2].as_str());

    // From the third scan on only alpha moved, once.
    let report = setup.drift_json(&["web1", "--since", &times[2]], 0);
    assert_eq!(classes(&report), expected(&[("t-alpha", "regression")]));
    assert_eq!(entry(&report, "t-alpha")["flaps"], 1);
}

/// rule_id → status of a scan report's only host.
fn statuses_of_scan(report: &Value) -> BTreeMap<String, String> {
    by_rule(&report["hosts"][0]["results"], "status")
}

/// rule_id → status of an `--at` report's rebuilt state.
fn statuses_at(report: &Value) -> BTreeMap<String, String> {
    by_rule(&report["state"], "status")
}

fn at_rebuilds_the_state_then_and_refuses_times_before_the_prune_horizon(backend: &Backend) {
    let setup = Setup::new(backend, RULES);
    let host = Host::new("web1");
    let first = setup.scan(&host);
    host.set("alpha yes", "alpha no");
    host.set("gamma 5", "gamma 9");
    let second = setup.scan(&host);
    host.set("beta no", "beta yes");
    let third = setup.scan(&host);
    let times = setup.scan_times("web1");

    for (time, scan) in times.iter().zip([&first, &second, &third]) {
        let report = setup.drift_json(&["web1", "--at", time], 0);
        assert_eq!(statuses_at(&report), statuses_of_scan(scan), "at {time}");
    }
    let at_first = setup.drift_json(&["web1", "--at", &times[0]], 0);
    let gamma = at_first["state"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule_id"] == "t-gamma")
        .unwrap();
    assert_eq!(actual(gamma), "5");
    let beta_then = at_first["state"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule_id"] == "t-beta")
        .unwrap();
    assert_eq!(beta_then["failing_since"], times[0].as_str());

    // Prune the first scan's rows: the log now starts with the second scan.
    let cutoff = plumb::time::parse_time(&times[1], 0).unwrap();
    let report = backend.open().prune_before(cutoff).unwrap();
    assert!(report.transactions_deleted > 0);

    let out = setup.drift(&["web1", "--at", &times[0]]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let message = stderr(&out);
    assert!(
        message.contains(&format!("prune horizon {}", times[1])),
        "{message}"
    );
    let out = setup.drift(&["web1", "--since", &times[0]]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));

    // At and after the horizon the answer is unchanged, including the rules whose only
    // change-log row (first seen) was pruned.
    for (time, scan) in times[1..].iter().zip([&second, &third]) {
        let report = setup.drift_json(&["web1", "--at", time], 0);
        assert_eq!(statuses_at(&report), statuses_of_scan(scan), "at {time}");
    }
}

fn scans_by_id_unique_prefix_ambiguous_prefix_and_unknown_id(backend: &Backend) {
    let setup = Setup::new(backend, RULES);
    let host = Host::new("web1");
    setup.scan(&host);
    host.set("alpha yes", "alpha no");
    setup.scan(&host);
    let scans = setup.scan_ids();
    let (newer, older) = (scans[0].clone(), scans[1].clone());

    // The shortest prefixes (at least 4) that tell the two apart.
    let common = older
        .chars()
        .zip(newer.chars())
        .take_while(|(a, b)| a == b)
        .count();
    let len = (common + 1).max(4);
    let report = setup.drift_json(&["--scan", &older[..len], "--scan", &newer[..len]], 0);
    assert_eq!(report["view"], "scans");
    assert_eq!(report["before"]["scan_id"], older.as_str());
    assert_eq!(report["after"]["scan_id"], newer.as_str());
    assert_eq!(classes(&report), expected(&[("t-alpha", "regression")]));
    // Full ids, upper case, and the other way round.
    let report = setup.drift_json(&["--scan", &newer.to_uppercase(), "--scan", &older], 0);
    assert_eq!(classes(&report), expected(&[("t-alpha", "fix")]));

    let unknown = setup.drift(&["--scan", "ffff0000", "--scan", &newer]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        stderr(&unknown).contains("unknown scan `ffff0000`"),
        "{}",
        stderr(&unknown)
    );
    let one = setup.drift(&["--scan", &newer]);
    assert_eq!(one.status.code(), Some(2));

    // Give both scans one prefix: it is ambiguous, and both are listed.
    backend.execute("UPDATE scans SET scan_id = 'abcd' || substr(scan_id, 5);");
    let ambiguous = setup.drift(&["--scan", "abcd", "--scan", &format!("abcd{}", &newer[4..])]);
    assert_eq!(ambiguous.status.code(), Some(2));
    let message = stderr(&ambiguous);
    assert!(message.contains("ambiguous"), "{message}");
    assert!(
        message.contains(&format!("abcd{}", &older[4..])),
        "{message}"
    );
    assert!(
        message.contains(&format!("abcd{}", &newer[4..])),
        "{message}"
    );
}

fn against_lists_exactly_the_rules_that_differ_between_two_hosts(backend: &Backend) {
    let setup = Setup::new(backend, RULES);
    let (web1, web2) = (Host::new("web1"), Host::new("web2"));
    setup.scan(&web1);
    setup.scan(&web2);
    let report = setup.drift_json(&["web1", "--against", "web2"], 0);
    assert_eq!(report["view"], "against");
    assert_eq!(report["entries"], serde_json::json!([]), "{report}");
    let before_edit = setup.scan_times("web2")[0].clone();

    web2.set("alpha yes", "alpha no");
    web2.set("gamma 5", "gamma 7");
    setup.scan(&web2);
    let report = setup.drift_json(&["web1", "--against", "web2"], 0);
    assert_eq!(
        classes(&report),
        expected(&[("t-alpha", "regression"), ("t-gamma", "evidence_changed")])
    );
    let gamma = entry(&report, "t-gamma");
    assert_eq!(
        (actual(&gamma["before"]), actual(&gamma["after"])),
        ("5", "7")
    );
    assert_eq!(gamma["host"], "web2");
    // Both hosts as they were before the edit.
    let report = setup.drift_json(&["web1", "--against", "web2", "--at", &before_edit], 0);
    assert_eq!(report["entries"], serde_json::json!([]), "{report}");

    let out = setup.drift(&["web1", "--against", "nowhere"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("unknown host `nowhere`"));
}

/// web1 and web2 regress alpha (high), db1 regresses gamma (low); web3 only gets fixed.
fn fleet(backend: &Backend) -> Setup<'_> {
    let setup = Setup::new(backend, RULES);
    let hosts: Vec<Host> = ["web1", "web2", "db1", "web3"]
        .into_iter()
        .map(Host::new)
        .collect();
    for host in &hosts {
        setup.scan(host);
    }
    hosts[0].set("alpha yes", "alpha no");
    hosts[1].set("alpha yes", "alpha no");
    hosts[2].set("gamma 5", "gamma 1");
    hosts[3].set("beta no", "beta yes");
    for host in &hosts {
        setup.scan(host);
    }
    setup
}

fn the_fleet_view_groups_regressions_by_rule_and_gates_on_severity(backend: &Backend) {
    let setup = fleet(backend);
    // After every host's first scan (before it, each rule was absent: a new failure at most).
    let since = setup.scan_times("web3")[0].clone();
    let since = since.as_str();
    for args in [&["--all", "--since", since][..], &["--since", since]] {
        let report = setup.drift_json(args, 0);
        assert_eq!(report["view"], "fleet");
        assert_eq!(
            report["groups"],
            serde_json::json!([
                {"rule_id": "t-alpha", "severity": "high", "hosts": ["web1", "web2"]},
                {"rule_id": "t-gamma", "severity": "low", "hosts": ["db1"]},
            ]),
            "{args:?}"
        );
        assert!(
            report["entries"]
                .as_array()
                .unwrap()
                .iter()
                .all(|e| e["class"] == "regression")
        );
        assert_eq!(report["summary"]["hosts_affected"], 3);
    }
    let table = setup.drift(&["--since", since, "--format", "table"]);
    let text = String::from_utf8(table.stdout).unwrap();
    assert!(text.contains("web1, web2"), "{text}");

    // The gate: 1 with a regression at or above the severity, else 0.
    let code = |args: &[&str]| setup.drift(args).status.code();
    assert_eq!(code(&["--since", since, "--fail-on-regression"]), Some(1));
    assert_eq!(
        code(&["--since", since, "--fail-on-regression", "high"]),
        Some(1)
    );
    assert_eq!(
        code(&["--since", since, "--fail-on-regression", "critical"]),
        Some(0)
    );
    // Without --since the fleet window is the last day, where every rule is new: no regression.
    assert_eq!(code(&["--fail-on-regression"]), Some(0));
    assert_eq!(
        setup.drift_json(&[], 0)["summary"]["by_class"],
        serde_json::json!({})
    );
    // One host, its last two scans.
    assert_eq!(code(&["web3", "--fail-on-regression"]), Some(0));
    assert_eq!(code(&["db1", "--fail-on-regression", "low"]), Some(1));
    assert_eq!(code(&["db1", "--fail-on-regression", "medium"]), Some(0));
    assert_eq!(code(&["web1", "--fail-on-regression=high"]), Some(1));
    // A window before the regressions shows none.
    assert_eq!(
        code(&["--since", "2999-01-01", "--fail-on-regression"]),
        Some(0)
    );
}

#[test]
fn usage_and_state_file_errors_have_their_exit_codes() {
    let backend = Backend::sqlite("usage_and_state_file_errors_have_their_exit_codes");
    let setup = fleet(&backend);
    let code = |args: &[&str]| setup.drift(args).status.code();
    assert_eq!(code(&["web1", "--since", "yesterday"]), Some(2));
    assert_eq!(code(&["web1", "--at", "2026-13-01"]), Some(2));
    assert_eq!(code(&["nowhere", "--fail-on-regression"]), Some(2));
    assert_eq!(code(&["--fail-on-regression", "urgent"]), Some(2));

    let missing = setup.dir.join("missing.db");
    let out = run(plumb()
        .args(["drift", "web1", "--fail-on-regression", "--state"])
        .arg(&missing));
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(!missing.exists(), "drift created the state file");

    let corrupt = setup.dir.join("corrupt.db");
    fs::write(&corrupt, vec![0x42; 8192]).unwrap();
    let out = run(plumb().args(["drift", "web1", "--state"]).arg(&corrupt));
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
}

fn every_format_parses(backend: &Backend) {
    let setup = Setup::new(backend, RULES);
    let host = Host::new("web1");
    every_class(&setup, &host);
    let render = |format: &str| {
        let out = setup.drift(&["web1", "--format", format]);
        assert_eq!(out.status.code(), Some(0), "{format}: {}", stderr(&out));
        String::from_utf8(out.stdout).unwrap()
    };
    let report: Value = serde_json::from_str(&render("json")).unwrap();
    let entries = report["entries"].as_array().unwrap().len();
    assert_eq!(entries, 8);

    let lines: Vec<Value> = render("ndjson")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), entries + 1);
    assert!(lines[..entries].iter().all(|l| l["type"] == "change"));
    assert_eq!(lines[0]["class"], "regression");
    assert_eq!(lines[entries]["type"], "summary");
    assert_eq!(lines[entries]["summary"]["entries"], entries);

    let junit = render("junit");
    let mut reader = quick_xml::Reader::from_str(&junit);
    let (mut testcases, mut failures) = (0, 0);
    loop {
        match reader.read_event().expect("well-formed XML") {
            quick_xml::events::Event::Eof => break,
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                match e.name().as_ref() {
                    b"testcase" => testcases += 1,
                    b"failure" => failures += 1,
                    _ => {}
                }
            }
            _ => {}
        }
    }
    assert_eq!((testcases, failures), (entries, 2));

    let sarif: Value = serde_json::from_str(&render("sarif")).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let rule_ids: Vec<&str> = results
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    assert_eq!(rule_ids, ["t-extra", "t-alpha"]);
    assert_eq!(results[0]["level"], "error");

    let markdown = render("markdown");
    assert!(markdown.starts_with("## plumb drift"), "{markdown}");
    let regression = markdown.find("| regression |").unwrap();
    assert!(regression < markdown.find("| fix |").unwrap(), "{markdown}");
    assert!(
        markdown
            .trim_end()
            .lines()
            .last()
            .unwrap()
            .starts_with("Summary: 2 regression"),
        "{markdown}"
    );

    // `--at` in NDJSON: one state line per rule, then the summary.
    let out = setup.drift(&["web1", "--at", "1h", "--format", "ndjson"]);
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        lines[..lines.len() - 1]
            .iter()
            .all(|l| l["type"] == "state")
    );

    // Commands that print only table or json refuse the other formats as usage errors.
    let out = run(plumb()
        .args(["state", "hosts", "--format", "ndjson", "--state"])
        .arg(&setup.state));
    assert_eq!(out.status.code(), Some(2));
}

fn is_rfc3339_millis(value: &Value) -> bool {
    value.as_str().is_some_and(|text| {
        plumb::time::parse_time(text, 0).is_ok()
            && text.len() == "2026-11-24T02:59:00.123Z".len()
            && text.ends_with('Z')
    })
}

fn one_decimal(value: &Value) -> bool {
    value
        .as_f64()
        .is_some_and(|score| ((score * 10.0).round() - score * 10.0).abs() < 1e-9)
}

#[test]
fn state_json_shows_rfc3339_times_and_one_decimal_scores() {
    let backend = Backend::sqlite("state_json_shows_rfc3339_times_and_one_decimal_scores");
    let setup = Setup::new(&backend, RULES);
    let host = Host::new("web1");
    setup.scan(&host);
    host.set("gamma 5", "gamma 1");
    setup.scan(&host);

    let hosts = state_json(&setup.state, &["hosts"]);
    assert!(is_rfc3339_millis(&hosts[0]["last_scan_at"]), "{hosts}");
    assert!(one_decimal(&hosts[0]["score"]), "{hosts}");
    let scans = state_json(&setup.state, &["scans"]);
    for scan in scans.as_array().unwrap() {
        assert!(is_rfc3339_millis(&scan["started_at"]), "{scan}");
        assert!(is_rfc3339_millis(&scan["finished_at"]), "{scan}");
        assert!(one_decimal(&scan["score"]), "{scan}");
    }
    let history = state_json(&setup.state, &["history", "web1"]);
    assert!(is_rfc3339_millis(&history[0]["occurred_at"]), "{history}");
    let show = state_json(&setup.state, &["show"]);
    assert!(
        is_rfc3339_millis(&show["last_scans"][0]["finished_at"]),
        "{show}"
    );

    // A score stored with more digits (an older plumb) is shown rounded.
    sqlite3(&setup.state, "UPDATE scans SET score = 66.66666;");
    let scans = state_json(&setup.state, &["scans"]);
    assert_eq!(scans[0]["score"], 66.7);
}

/// The fleet report's trends through the store: two scans of one host, a high rule regresses
/// and a low one is fixed; the scores, failures by severity at each scan and the flips.
fn trends_give_scores_failures_and_flips_per_scan(backend: &Backend) {
    use plumb::store::trends::ChangeDirection;
    use plumb::store::{FailingCounts, Severity, Status};
    let mut store = backend.open();
    let now = plumb::store::now_ms();
    for (at, high, low) in [
        (now - 2000, Status::Pass, Status::Fail),
        (now - 1000, Status::Fail, Status::Pass),
    ] {
        let results = vec![
            common::result("high-rule", high, Severity::High),
            common::result("low-rule", low, Severity::Low),
            common::result("pass-rule", Status::Pass, Severity::Medium),
        ];
        store.apply_scan(&common::batch("h", at, results)).unwrap();
    }
    let trends = store.trends(0, now).unwrap();
    let scores: Vec<Option<f64>> = trends.host_scores.iter().map(|p| p.score).collect();
    assert_eq!(scores, [Some(66.7), Some(66.7)]);
    let one = |severity| {
        let mut counts = FailingCounts::default();
        counts.add(severity);
        Some(counts)
    };
    let failing: Vec<Option<FailingCounts>> = trends.fleet.iter().map(|p| p.failing).collect();
    assert_eq!(failing, [one(Severity::Low), one(Severity::High)]);
    let mut flips: Vec<(&str, ChangeDirection)> = trends
        .flips
        .iter()
        .map(|f| (f.rule_id.as_str(), f.direction))
        .collect();
    flips.sort_by_key(|(id, _)| *id);
    assert_eq!(
        flips,
        [
            ("high-rule", ChangeDirection::Regression),
            ("low-rule", ChangeDirection::Fix)
        ]
    );
    assert_eq!(trends.prune_horizon, None);
    let live = store.live_results().unwrap();
    assert_eq!(live.len(), 3);
    assert_eq!(
        store.score_history(0, Some(&["h"])).unwrap().len(),
        2,
        "one host through its index"
    );
    let texts = store
        .evidence_texts(live.iter().map(|r| r.evidence_id))
        .unwrap();
    assert_eq!(texts.len(), 3);
}
