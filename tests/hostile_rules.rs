//! Hostile values reaching rules: variables from `--var` or an inventory that try to run shell
//! code, unit names that try the same, an inventory that tries to change what a signed policy
//! sets, and a host whose error text carries terminal escapes. Through the real binary, with
//! real sshd hosts on 127.0.0.1 where an inventory is involved.

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use support::sshd::{SshdOptions, TestSshd, write_client_config};
use support::tools::{keygen, sign};
use support::{fixtures, json, plumb, run, stderr};

/// A value that runs `touch MARKER` if it is ever pasted unquoted into sh.
fn payload(marker: &Path) -> String {
    format!("nobody; touch {} #'\"", marker.display())
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, text).unwrap();
    path
}

const PRINTF_RULE: &str = "- id: show-user\n  title: prints the user\n  severity: low\n  \
    vars: { audit_user: root }\n  check: { method: command, run: \"printf %s {{ audit_user }}\" }\n";

const RAW_RULE: &str = "- id: raw-user\n  title: raw user\n  severity: low\n  \
    vars: { audit_user: root }\n  check: { method: command, run: \"echo {{ audit_user | raw }}\" }\n";

fn stdout_of_first_check(report: &serde_json::Value) -> String {
    report["hosts"][0]["results"][0]["evidence"][0]["source"]["stdout"]
        .as_str()
        .unwrap_or_else(|| panic!("no command evidence: {report}"))
        .to_owned()
}

#[test]
fn a_var_from_the_command_line_is_one_shell_word() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("pwned");
    let rules = write(dir.path(), "rules.yml", PRINTF_RULE);
    let value = payload(&marker);
    let out = run(plumb()
        .args(["scan", "--format", "json", "--no-store", "--rules"])
        .arg(&rules)
        .arg("--var")
        .arg(format!("audit_user={value}")));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!marker.exists(), "the value ran as shell code");
    assert_eq!(stdout_of_first_check(&json(&out)), value);
}

#[test]
fn raw_substitution_of_a_command_line_var_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("pwned");
    let rules = write(dir.path(), "rules.yml", RAW_RULE);
    let out = run(plumb()
        .args(["scan", "--format", "json", "--no-store", "--rules"])
        .arg(&rules)
        .arg("--var")
        .arg(format!("audit_user={}", payload(&marker))));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let message = stderr(&out);
    assert!(
        message.contains("rules.yml:1:")
            && message.contains("`audit_user`")
            && message.contains("--var on the command line"),
        "{message}"
    );
    assert!(!marker.exists());
    // The rule's own default may be raw.
    let out = run(plumb()
        .args(["scan", "--format", "json", "--no-store", "--rules"])
        .arg(&rules));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout_of_first_check(&json(&out)), "root\n");
}

#[test]
fn a_hostile_unit_name_is_a_rule_error_naming_where_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("pwned");
    let rules = write(
        dir.path(),
        "units.yml",
        &format!(
            "- id: evil-unit\n  title: evil\n  severity: low\n  check:\n    method: service_state\n    \
             name: \"x.service;touch {};echo\"\n    enabled: false\n",
            marker.display()
        ),
    );
    let out = run(plumb()
        .args(["scan", "--format", "json", "--no-store", "--rules"])
        .arg(&rules));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let message = stderr(&out);
    assert!(
        regex::Regex::new(r"units\.yml:\d+:\d+: .*not a systemd unit name")
            .unwrap()
            .is_match(&message),
        "{message}"
    );
    assert!(!marker.exists());
    // Through a variable the name is checked after substitution, naming the rule.
    let rules = write(
        dir.path(),
        "units-var.yml",
        "- id: var-unit\n  title: evil\n  severity: low\n  vars: { unit: sshd }\n  \
         check: { method: service_state, name: '{{ unit }}', enabled: false }\n",
    );
    let out = run(plumb()
        .args(["scan", "--format", "json", "--no-store", "--rules"])
        .arg(&rules)
        .arg("--var")
        .arg(format!("unit=x;touch {}", marker.display())));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("units-var.yml:1:3: `name` is not a systemd unit name"),
        "{}",
        stderr(&out)
    );
    assert!(!marker.exists());
}

/// One sshd host and an inventory naming it with `vars`.
struct InventoryHost {
    _server: TestSshd,
    config: PathBuf,
    inventory: PathBuf,
}

impl InventoryHost {
    fn new(dir: &Path, vars: &str, root: Option<&Path>) -> Self {
        let server = TestSshd::start(SshdOptions::default()).unwrap();
        let config = dir.join("ssh_config");
        write_client_config(std::slice::from_ref(&server), &config).unwrap();
        let root = root.map_or(String::new(), |r| format!(", root: '{}'", r.display()));
        let inventory = write(
            dir,
            "hosts.yml",
            &format!(
                "hosts:\n  web1: {{ address: {}, user: {}, vars: {vars}{root} }}\n",
                server.alias, server.user
            ),
        );
        Self {
            _server: server,
            config,
            inventory,
        }
    }

    fn scan(&self, dir: &Path, args: &[&str]) -> std::process::Output {
        run(plumb()
            .args(["scan", "--format", "json", "--ssh-config"])
            .arg(&self.config)
            .arg("--state")
            .arg(dir.join("state.db"))
            .arg("-i")
            .arg(&self.inventory)
            .args(args))
    }
}

fn yaml_single_quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

#[test]
fn an_inventory_var_is_one_shell_word_on_the_host_and_never_raw() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("pwned");
    let value = payload(&marker);
    let host = InventoryHost::new(
        dir.path(),
        &format!("{{ audit_user: {} }}", yaml_single_quoted(&value)),
        None,
    );
    let rules = write(dir.path(), "rules.yml", PRINTF_RULE);
    let out = host.scan(dir.path(), &["--rules", rules.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!marker.exists(), "the inventory value ran as shell code");
    let report = json(&out);
    assert_eq!(report["hosts"][0]["host"], "web1");
    assert_eq!(stdout_of_first_check(&report), value);

    let raw = write(dir.path(), "raw.yml", RAW_RULE);
    let out = host.scan(dir.path(), &["--rules", raw.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let message = stderr(&out);
    assert!(
        message.contains("`audit_user`")
            && message.contains(&format!("inventory {}", host.inventory.display()))
            && message.contains("host `web1`"),
        "{message}"
    );
    assert!(!marker.exists());
}

/// The example policy (fixtures/policy, `permit_root: "no"`), signed by a trusted key.
fn signed_example_policy(dir: &Path) -> (PathBuf, PathBuf) {
    let repo = fixtures::repo();
    let policy = dir.join("scan-policy.yaml");
    fs::copy(repo.join("scan-policy.example.yaml"), &policy).unwrap();
    fixtures::copy_tree(&repo.join("fixtures/policy"), &dir.join("fixtures/policy"));
    let key = keygen(dir, "ops", "ed25519");
    let public = fs::read_to_string(key.with_extension("pub")).unwrap();
    let fields: Vec<&str> = public.split_whitespace().take(2).collect();
    let signers = write(
        dir,
        "allowed_signers",
        &format!(
            "ops@example.com namespaces=\"plumb-policy\" {}\n",
            fields.join(" ")
        ),
    );
    sign(&key, &policy, "plumb-policy");
    (policy, signers)
}

fn permit_root_expected(report: &serde_json::Value) -> String {
    let results = report["hosts"][0]["results"].as_array().unwrap();
    let rule = results
        .iter()
        .find(|r| r["rule_id"] == "ssh-permit-root-login-disabled")
        .unwrap_or_else(|| panic!("no permit-root rule: {report}"));
    rule["evidence"][0]["expected"].as_str().unwrap().to_owned()
}

#[test]
fn an_inventory_cannot_override_what_a_signed_policy_sets_but_the_operator_can() {
    let dir = tempfile::tempdir().unwrap();
    let (policy, signers) = signed_example_policy(dir.path());
    let tree = fixtures::materialise("debian12-default");
    let host = InventoryHost::new(dir.path(), "{ permit_root: 'yes' }", Some(tree.path()));
    let scan = |extra: &[&str]| {
        let mut args = vec![
            "--policy",
            policy.to_str().unwrap(),
            "--allowed-signers",
            signers.to_str().unwrap(),
            "--fail-on",
            "never",
        ];
        args.extend_from_slice(extra);
        host.scan(dir.path(), &args)
    };
    let out = scan(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(permit_root_expected(&json(&out)), "== no");
    assert!(
        stderr(&out).contains("sets `permit_root`, which the policy sets"),
        "{}",
        stderr(&out)
    );
    let out = scan(&["--var", "permit_root=without-password"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(permit_root_expected(&json(&out)), "== without-password");
}

#[test]
fn terminal_escapes_in_a_host_error_never_reach_stderr_raw() {
    let server = TestSshd::start(SshdOptions {
        force_command: Some(r"printf '\033]0;owned\007\033[2Jwiped\n' >&2; exit 1".to_owned()),
        ..SshdOptions::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("ssh_config");
    write_client_config(std::slice::from_ref(&server), &config).unwrap();
    let rules = write(dir.path(), "rules.yml", PRINTF_RULE);
    let out = run(plumb()
        .args(["scan", "--format", "json", "--ssh-config"])
        .arg(&config)
        .arg("--state")
        .arg(dir.path().join("state.db"))
        .arg("--rules")
        .arg(&rules)
        .arg(&server.alias));
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let message = stderr(&out);
    assert!(message.contains("wiped"), "the error is shown: {message}");
    assert!(
        !out.stderr.contains(&0x1b) && !out.stderr.contains(&0x07),
        "{message:?}"
    );
}
