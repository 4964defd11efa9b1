//! Kensa rule files read unchanged: detection, metadata, variables files, and verdicts by
//! Kensa's semantics on the fixture tree fixtures/kensa/hosts/kx1 (scanned with `--root`).
//! The rules under fixtures/kensa/ are written for these tests, in Kensa's format.

mod support;

use serde_json::{Value, json};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use support::{fixtures, json, plumb, run, stderr};

fn kensa(path: &str) -> PathBuf {
    fixtures::repo().join("fixtures/kensa").join(path)
}

/// A temp copy of the kx1 tree, with the modes the permission rules are about.
fn kx1() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fixtures::copy_tree(&kensa("hosts/kx1"), dir.path());
    let mode = |path: &str, mode: u32| {
        fs::set_permissions(dir.path().join(path), fs::Permissions::from_mode(mode)).unwrap()
    };
    mode("etc/kx/secret.key", 0o600);
    mode("etc/kx/public.conf", 0o644);
    dir
}

/// The results of a `--root` scan of kx1, by rule id: (status, the whole result).
fn scan(rules: &[&str], extra: &[&str]) -> std::collections::BTreeMap<String, Value> {
    let tree = kx1();
    let mut cmd = plumb();
    cmd.args([
        "scan",
        "--format",
        "json",
        "--no-store",
        "--fail-on",
        "never",
    ])
    .arg("--root")
    .arg(tree.path());
    for path in rules {
        cmd.arg("--rules").arg(kensa(path));
    }
    cmd.args(extra);
    let out = run(&mut cmd);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = json(&out);
    report["hosts"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|result| {
            (
                result["rule_id"].as_str().unwrap().to_owned(),
                result.clone(),
            )
        })
        .collect()
}

fn vars_file() -> String {
    kensa("vars.yml").display().to_string()
}

fn status(results: &std::collections::BTreeMap<String, Value>, id: &str) -> String {
    results
        .get(id)
        .unwrap_or_else(|| panic!("{id} is in the results: {results:?}"))["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn verdicts_follow_kensas_semantics_on_a_fixture_tree() {
    let results = scan(&["rules"], &["--vars-file", &vars_file()]);
    // Each (rule, verdict by Kensa's check code, what it pins).
    let expected = [
        ("kx-retries-limited", "pass", "`=` is the default delimiter"),
        ("kx-mode-strict", "pass", "values compare ignoring case"),
        ("kx-level-high", "pass", "the first of a repeated key wins"),
        (
            "kx-audit-flag-set",
            "pass",
            "a bare key matches expected \"\"",
        ),
        ("kx-banner-quoted", "pass", "quotes are part of the value"),
        (
            "kx-min-length-dropin",
            "pass",
            "the drop-in directory is read last",
        ),
        ("kx-secret-mode-exact", "fail", "0600 is not exactly 0640"),
        ("kx-public-mode-exact", "pass", "0644 is exactly 0644"),
        ("kx-link-mode", "fail", "a symlink is judged itself (0777)"),
        ("kx-module-unshipped", "pass", "no kernel ships kxfs"),
        ("kx-module-shipped", "fail", "vfat ships and may load"),
        (
            "kx-auth-file-says-retries",
            "pass",
            "expected_content is a substring",
        ),
    ];
    let wrong: Vec<String> = expected
        .iter()
        .filter(|(id, verdict, _)| status(&results, id) != *verdict)
        .map(|(id, verdict, why)| {
            format!(
                "{id}: {} (Kensa: {verdict}, as {why})",
                status(&results, id)
            )
        })
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn a_rule_without_a_default_implementation_is_skipped_when_no_when_holds() {
    let results = scan(&["rules"], &["--vars-file", &vars_file()]);
    let result = &results["kx-display-manager-only"];
    assert_eq!(result["status"], "skipped");
    assert_eq!(result["reason"], "no_implementation");
}

#[test]
fn a_mixed_directory_gives_each_rule_its_own_dialect() {
    let results = scan(&["mixed"], &["--vars-file", &vars_file()]);
    // The same check text: plumb splits `retries = 3` at whitespace (value `= 3`, not a
    // number), Kensa at `=`.
    assert_eq!(status(&results, "kx-plumb-retries"), "fail");
    assert_eq!(status(&results, "kx-kensa-retries"), "pass");
    assert_eq!(results["kx-plumb-retries"]["dialect"], "plumb");
    assert_eq!(results["kx-plumb-retries"]["metadata"], Value::Null);
    assert_eq!(results["kx-kensa-retries"]["dialect"], "kensa");
    assert_eq!(
        results["kx-kensa-retries"]["metadata"]["category"],
        "kx-tests"
    );
}

#[test]
fn the_dialect_flag_overrides_detection() {
    let auto = scan(&["plain"], &[]);
    let forced = scan(&["plain"], &["--rules-dialect", "kensa"]);
    assert_eq!(
        (
            auto["kx-plain-retries"]["dialect"].clone(),
            status(&auto, "kx-plain-retries")
        ),
        (json!("plumb"), "fail".to_owned())
    );
    assert_eq!(
        (
            forced["kx-plain-retries"]["dialect"].clone(),
            status(&forced, "kx-plain-retries")
        ),
        (json!("kensa"), "pass".to_owned())
    );
    let out = run(plumb()
        .args(["rules", "list", "--rules-dialect", "plumb", "--rules"])
        .arg(kensa("mixed/kensa-side.yml")));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("kensa-side.yml:7:1: unknown field `category`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn rules_show_names_the_dialect_and_shows_the_metadata() {
    let out = run(plumb()
        .args(["--format", "json", "rules", "show", "kx-retries-limited"])
        .arg("--rules")
        .arg(kensa("rules"))
        .args(["--vars-file", &vars_file()]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let shown = json(&out);
    assert_eq!(shown["dialect"], "kensa");
    assert_eq!(shown["metadata"]["depends_on"], json!(["kx-mode-strict"]));
    assert_eq!(shown["metadata"]["transactional"], json!(false));
    assert_eq!(
        shown["metadata"]["implementations"][0]["remediation"]["mechanism"],
        "manual"
    );
    assert_eq!(shown["references"]["stig"]["kx1"]["vuln_id"], "V-900001");
}

/// `vars` of `rules show` for the two retries rules under `args`.
fn retries_vars(args: &[&str]) -> (Value, Value) {
    let show = |id: &str| {
        let out = run(plumb()
            .args(["--format", "json", "rules", "show", id, "--rules"])
            .arg(kensa("mixed"))
            .args(args));
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        json(&out)["vars"]["kx_max_retries"].clone()
    };
    (show("kx-plumb-retries"), show("kx-kensa-retries"))
}

#[test]
fn vars_files_rank_between_rule_defaults_and_var() {
    let base = vars_file();
    let site = kensa("vars-site.yml").display().to_string();
    // A vars file beats the plumb rule's own default (9); the Kensa rule has none.
    assert_eq!(
        retries_vars(&["--vars-file", &base]),
        (json!("5"), json!("5"))
    );
    // Later files win.
    assert_eq!(
        retries_vars(&["--vars-file", &base, "--vars-file", &site]),
        (json!("2"), json!("2"))
    );
    // --var beats every file.
    assert_eq!(
        retries_vars(&[
            "--vars-file",
            &base,
            "--vars-file",
            &site,
            "--var",
            "kx_max_retries=7"
        ]),
        (json!("7"), json!("7"))
    );
}

#[test]
fn inventory_vars_beat_a_vars_file() {
    let tree = kx1();
    let dir = tempfile::tempdir().unwrap();
    let inventory = dir.path().join("inventory.yml");
    fs::write(
        &inventory,
        format!(
            "hosts:\n  kx1:\n    connection: local\n    root: {}\n    vars: {{ kx_max_retries: \"1\" }}\n",
            tree.path().display()
        ),
    )
    .unwrap();
    let out = run(plumb()
        .args([
            "scan",
            "--format",
            "json",
            "--no-store",
            "--fail-on",
            "never",
        ])
        .arg("-i")
        .arg(&inventory)
        .arg("--rules")
        .arg(kensa("mixed/kensa-side.yml"))
        .args(["--vars-file", &vars_file()]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = json(&out);
    let result = &report["hosts"][0]["results"][0];
    // retries = 3 is not <= 1 (the inventory's value), though it is <= 5 (the file's).
    assert_eq!(result["status"], "fail", "{report}");
    assert_eq!(result["evidence"][0]["expected"], "<= 1");
}

#[test]
fn load_errors_name_the_file_and_the_position_or_variable() {
    let out = run(plumb()
        .args(["--format", "table", "rules", "check"])
        .arg(kensa("broken")));
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        text.contains(
            "broken/typo.yml:13:7: error: implementations[0].check: unknown field `expectd`"
        ),
        "{text}"
    );
    assert!(
        text.contains("broken/undefined.yml:1:1: error: undefined variable `kx_defined_nowhere`"),
        "{text}"
    );
    // Without the vars file, a rule using a variable names it.
    let out = run(plumb()
        .args(["rules", "list", "--rules"])
        .arg(kensa("mixed/kensa-side.yml")));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("kensa-side.yml:2:1: undefined variable `kx_max_retries`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_vars_file_is_checked_like_other_outside_input() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yml");
    fs::write(&bad, "kx_max_retries: 3\nkx_nested:\n  deeper: 1\n").unwrap();
    let out = run(plumb()
        .args(["rules", "list", "--rules"])
        .arg(kensa("mixed"))
        .arg("--vars-file")
        .arg(&bad));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(&format!("{}:3:", bad.display())),
        "{}",
        stderr(&out)
    );
    let out = run(plumb()
        .args(["rules", "list", "--rules"])
        .arg(kensa("mixed"))
        .arg("--vars-file")
        .arg(dir.path()));
    assert_eq!(
        out.status.code(),
        Some(2),
        "a directory is refused: {}",
        stderr(&out)
    );
}

#[test]
fn a_superseded_rule_does_not_run_and_conflicts_warn() {
    let tree = kx1();
    let out = run(plumb()
        .args([
            "scan",
            "--format",
            "json",
            "--no-store",
            "--fail-on",
            "never",
        ])
        .arg("--root")
        .arg(tree.path())
        .arg("--rules")
        .arg(kensa("relations")));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = json(&out);
    let ids: Vec<&str> = report["hosts"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["rule_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["kx-new-check", "kx-other-check"]);
    assert!(
        stderr(&out).contains("rule `kx-new-check` conflicts with rule `kx-other-check`"),
        "{}",
        stderr(&out)
    );
}

/// Commands are not assessable offline: this scans the machine running the tests.
#[test]
fn expected_stdout_empty_means_prints_nothing() {
    let out = run(plumb()
        .args([
            "scan",
            "--local",
            "--format",
            "json",
            "--no-store",
            "--fail-on",
            "never",
        ])
        .arg("--rules")
        .arg(kensa("command")));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = json(&out);
    let statuses: Vec<(&str, &str)> = report["hosts"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["rule_id"].as_str().unwrap(),
                r["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [
            ("kx-prints-nothing", "pass"),
            ("kx-prints-something", "fail")
        ]
    );
}
