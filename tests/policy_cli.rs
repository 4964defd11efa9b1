//! Signed scan policies through the binary: `verify-policy` exit codes and defaults, and
//! `scan --policy` applying, recording and refusing policies. Signatures are real
//! `ssh-keygen -Y sign` ones made in temp dirs.

mod support;

use serde_json::Value;
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use support::tools::{fingerprint, keygen, sign, sqlite3};
use support::{fixtures, json, plumb, run, stderr};
use tempfile::TempDir;

/// The rules of the example policy's rule sets (fixtures/policy).
const POLICY_RULES: [&str; 4] = [
    "kernel-ip-forward-disabled",
    "kernel-source-route-refused",
    "ssh-banner-file-present",
    "ssh-permit-root-login-disabled",
];

/// A temp copy of scan-policy.example.yaml with fixtures/policy beside it (so its relative
/// pins resolve), an Ed25519 signing key `ops` trusted by `allowed_signers`, and a second key
/// `mallory` trusted only by `other_signers`.
struct Fixture {
    dir: TempDir,
    key: PathBuf,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let repo = fixtures::repo();
        fs::copy(
            repo.join("scan-policy.example.yaml"),
            dir.path().join("scan-policy.yaml"),
        )
        .unwrap();
        fixtures::copy_tree(
            &repo.join("fixtures/policy"),
            &dir.path().join("fixtures/policy"),
        );
        let key = keygen(dir.path(), "ops", "ed25519");
        let mallory = keygen(dir.path(), "mallory", "ed25519");
        fs::write(
            dir.path().join("allowed_signers"),
            signers_line("ops@example.com", &key),
        )
        .unwrap();
        fs::write(
            dir.path().join("other_signers"),
            signers_line("mallory@example.com", &mallory),
        )
        .unwrap();
        let fixture = Self { dir, key };
        fixture.sign();
        fixture
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn policy(&self) -> PathBuf {
        self.path("scan-policy.yaml")
    }

    fn sig(&self) -> PathBuf {
        self.path("scan-policy.yaml.sig")
    }

    fn signers(&self) -> PathBuf {
        self.path("allowed_signers")
    }

    /// (Re-)signs the policy as it is now.
    fn sign(&self) {
        sign(&self.key, &self.policy(), "plumb-policy");
        assert!(self.sig().exists());
    }

    /// Rewrites `version:` and signs the result.
    fn sign_version(&self, version: u64) {
        let text = fs::read_to_string(self.policy()).unwrap();
        let line = regex::Regex::new(r"(?m)^version: \d+$").unwrap();
        assert!(line.is_match(&text));
        let text = line.replace(&text, format!("version: {version}").as_str());
        fs::write(self.policy(), text.as_bytes()).unwrap();
        self.sign();
    }

    /// Changes the policy after signing: a still well-formed policy, different bytes.
    fn tamper(&self) {
        let text = fs::read_to_string(self.policy()).unwrap();
        let tampered = text.replace("permit_root: \"no\"", "permit_root: \"yes\"");
        assert_ne!(text, tampered);
        fs::write(self.policy(), tampered).unwrap();
    }

    fn fingerprint(&self) -> String {
        fingerprint(&self.key)
    }
}

fn signers_line(principal: &str, key: &Path) -> String {
    let public = fs::read_to_string(key.with_extension("pub")).unwrap();
    let fields: Vec<&str> = public.split_whitespace().take(2).collect();
    format!(
        "{principal} namespaces=\"plumb-policy\" {}\n",
        fields.join(" ")
    )
}

fn verify_cmd() -> Command {
    let mut cmd = plumb();
    cmd.args(["verify-policy", "--format", "json"]);
    cmd
}

#[test]
fn verify_policy_exit_codes() {
    let fx = Fixture::new();
    let out = run(verify_cmd()
        .arg(fx.policy())
        .arg("--allowed-signers")
        .arg(fx.signers()));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["valid"], true, "{report}");
    assert_eq!(report["signature"]["status"], "valid");
    assert_eq!(report["signer"]["principal"], "ops@example.com");
    let fingerprint = report["signer"]["fingerprint"].as_str().unwrap();
    assert!(fingerprint.starts_with("SHA256:"), "{fingerprint}");
    assert_eq!(fingerprint, fx.fingerprint());
    assert_eq!(report["version"], 1);
    assert_eq!(report["revoked"], false);
    assert_eq!(report["pins"].as_array().unwrap().len(), 2);

    // A key nobody trusts.
    let out = run(verify_cmd()
        .arg(fx.policy())
        .arg("--allowed-signers")
        .arg(fx.path("other_signers")));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(json(&out)["valid"], false);

    // Missing inputs are usage errors naming the file.
    let out = run(verify_cmd()
        .arg(fx.path("absent.yaml"))
        .arg("--allowed-signers")
        .arg(fx.signers()));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("absent.yaml"), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    let out = run(verify_cmd()
        .arg(fx.policy())
        .arg("--allowed-signers")
        .arg(fx.path("no_signers")));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("no_signers"), "{}", stderr(&out));
    let out = run(verify_cmd().arg(fx.policy()));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("--allowed-signers"),
        "{}",
        stderr(&out)
    );
    let out = run(&mut verify_cmd());
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("no policy given"), "{}", stderr(&out));

    // One changed value after signing.
    fx.tamper();
    let out = run(verify_cmd()
        .arg(fx.policy())
        .arg("--allowed-signers")
        .arg(fx.signers()));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["valid"], false);
    assert_eq!(report["signature"]["status"], "invalid", "{report}");
}

#[test]
fn policy_and_trust_come_from_flag_env_or_config_file() {
    let fx = Fixture::new();
    let policy_path = |out: &Output| json(out)["policy_path"].as_str().unwrap().to_owned();

    // Environment defaults alone.
    let out = run(verify_cmd()
        .env("PLUMB_POLICY", fx.policy())
        .env("PLUMB_ALLOWED_SIGNERS", fx.signers()));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        json(&out)["trust_source"],
        fx.signers().display().to_string()
    );

    // The config file alone, with paths relative to it.
    let config = fx.path("config.yaml");
    fs::write(
        &config,
        "policy: scan-policy.yaml\nallowed_signers: allowed_signers\n",
    )
    .unwrap();
    let out = run(verify_cmd().arg("--config").arg(&config));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(policy_path(&out), fx.policy().display().to_string());

    // Env beats the file: the file trusts mallory, the environment trusts ops.
    let config = fx.path("config-other.yaml");
    fs::write(
        &config,
        "policy: absent.yaml\nallowed_signers: other_signers\n",
    )
    .unwrap();
    let out = run(verify_cmd().arg("--config").arg(&config));
    assert_eq!(
        out.status.code(),
        Some(2),
        "the file's missing policy is used: {}",
        stderr(&out)
    );
    let out = run(verify_cmd()
        .arg("--config")
        .arg(&config)
        .env("PLUMB_POLICY", fx.policy()));
    assert_eq!(
        out.status.code(),
        Some(1),
        "the file's signers are used: {}",
        stderr(&out)
    );
    let out = run(verify_cmd()
        .arg("--config")
        .arg(&config)
        .env("PLUMB_POLICY", fx.policy())
        .env("PLUMB_ALLOWED_SIGNERS", fx.signers()));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(policy_path(&out), fx.policy().display().to_string());

    // Flags beat the environment.
    let out = run(verify_cmd()
        .arg(fx.policy())
        .arg("--allowed-signers")
        .arg(fx.path("other_signers"))
        .env("PLUMB_ALLOWED_SIGNERS", fx.signers()));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let out = run(verify_cmd()
        .arg(fx.policy())
        .env("PLUMB_POLICY", fx.path("absent.yaml"))
        .env("PLUMB_ALLOWED_SIGNERS", fx.signers()));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(policy_path(&out), fx.policy().display().to_string());

    // scan reads the same defaults: policy and trust from the config file.
    let tree = fixtures::materialise("debian12-default");
    let state = fx.path("state.db");
    let config = fx.path("config.yaml");
    let out = run(plumb()
        .args(["scan", "--format", "json", "--root"])
        .arg(tree.path())
        .arg("--state")
        .arg(&state)
        .arg("--config")
        .arg(&config));
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    assert_eq!(rule_ids(&json(&out)), policy_rules());
}

fn rule_ids(report: &Value) -> BTreeSet<String> {
    report["hosts"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["rule_id"].as_str().unwrap().to_owned())
        .collect()
}

fn policy_rules() -> BTreeSet<String> {
    POLICY_RULES.iter().map(|r| r.to_string()).collect()
}

fn scan_with_policy(fx: &Fixture, root: &Path, state: &Path, extra: &[&str]) -> Output {
    run(plumb()
        .args(["scan", "--format", "json", "--policy"])
        .arg(fx.policy())
        .arg("--allowed-signers")
        .arg(fx.signers())
        .arg("--root")
        .arg(root)
        .arg("--state")
        .arg(state)
        .args(extra))
}

fn state_scans(state: &Path) -> Vec<Value> {
    let out = run(plumb()
        .args(["state", "scans", "--format", "json", "--state"])
        .arg(state));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    json(&out).as_array().unwrap().clone()
}

/// The `policy_refused` audit events' details, oldest first.
fn refusals(state: &Path) -> Vec<Value> {
    sqlite3(
        state,
        "SELECT detail FROM audit_events WHERE kind = 'policy_refused' ORDER BY id",
    )
    .lines()
    .map(|line| serde_json::from_str(line).unwrap())
    .collect()
}

#[test]
fn scan_runs_the_policy_rules_and_records_its_version() {
    let fx = Fixture::new();
    let tree = fixtures::materialise("debian12-default");
    let state = fx.path("state.db");
    let out = scan_with_policy(&fx, tree.path(), &state, &[]);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(rule_ids(&report), policy_rules());
    // The policy's `permit_root: "no"` reaches the rule; the stock tree does not set it.
    let root_login = report["hosts"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule_id"] == "ssh-permit-root-login-disabled")
        .unwrap()
        .clone();
    assert_eq!(root_login["status"], "fail", "{root_login}");

    let scans = state_scans(&state);
    assert_eq!(scans.len(), 1);
    assert_eq!(scans[0]["policy_version"], 1);
    assert_eq!(scans[0]["scan_id"], report["hosts"][0]["scan_id"]);
    assert!(refusals(&state).is_empty());

    // Without a policy the embedded pack runs and no version is recorded.
    let out = run(plumb()
        .args(["scan", "--format", "json", "--root"])
        .arg(tree.path())
        .arg("--state")
        .arg(&state));
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    assert!(rule_ids(&json(&out)).len() > POLICY_RULES.len());
    assert_eq!(state_scans(&state)[0]["policy_version"], Value::Null);
}

#[test]
fn an_invalid_policy_is_refused_and_audited() {
    let fx = Fixture::new();
    let tree = fixtures::materialise("debian12-default");
    let state = fx.path("state.db");

    fx.tamper();
    let out = scan_with_policy(&fx, tree.path(), &state, &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("refusing policy"), "{err}");
    assert!(err.contains("scan-policy.yaml"), "{err}");
    assert!(out.stdout.is_empty());
    let events = refusals(&state);
    assert_eq!(events.len(), 1, "{events:?}");
    let detail = &events[0];
    assert!(
        detail["reason"].as_str().unwrap().contains("signature"),
        "{detail}"
    );
    assert_eq!(detail["fingerprint"], fx.fingerprint());
    // Verify, then read: a policy whose signature fails is not parsed, so its version is unknown.
    assert_eq!(detail["version"], Value::Null);
    assert_eq!(detail["policy"], fx.policy().display().to_string());
    assert!(state_scans(&state).is_empty(), "nothing was scanned");

    // Unsigned: no .sig at all.
    fx.sign();
    fs::remove_file(fx.sig()).unwrap();
    let out = scan_with_policy(&fx, tree.path(), &state, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let events = refusals(&state);
    assert_eq!(events.len(), 2);
    let detail = &events[1];
    assert!(
        detail["reason"].as_str().unwrap().contains("not found"),
        "{detail}"
    );
    assert_eq!(
        detail["fingerprint"],
        Value::Null,
        "no signature, no signer"
    );
    assert_eq!(detail["version"], Value::Null, "not parsed");
    assert!(state_scans(&state).is_empty());
}

#[test]
fn allow_unsigned_policy_skips_only_the_signature() {
    let fx = Fixture::new();
    let tree = fixtures::materialise("debian12-default");
    let state = fx.path("state.db");
    fs::remove_file(fx.sig()).unwrap();

    let out = scan_with_policy(&fx, tree.path(), &state, &["--allow-unsigned-policy"]);
    let err = stderr(&out);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{err}");
    assert!(err.contains("--allow-unsigned-policy"), "{err}");
    assert!(err.to_lowercase().contains("warn"), "{err}");
    assert_eq!(rule_ids(&json(&out)), policy_rules());
    assert_eq!(state_scans(&state)[0]["policy_version"], 1);

    // An edited pinned rule set is still refused.
    let site_rule = fx.path("fixtures/policy/site-rule.yml");
    let mut text = fs::read_to_string(&site_rule).unwrap();
    text.push_str("# edited after pinning\n");
    fs::write(&site_rule, text).unwrap();
    let out = scan_with_policy(&fx, tree.path(), &state, &["--allow-unsigned-policy"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("refusing policy"), "{err}");
    assert!(err.contains("sha256 mismatch"), "{err}");
    assert!(err.contains("site-rule.yml"), "{err}");
    assert!(out.stdout.is_empty());
    assert_eq!(state_scans(&state).len(), 1, "no second scan");
    let events = refusals(&state);
    assert_eq!(events.len(), 1);
    assert!(
        events[0]["reason"]
            .as_str()
            .unwrap()
            .contains("site-rule.yml")
    );
}

#[test]
fn an_older_policy_version_is_refused() {
    let fx = Fixture::new();
    let tree = fixtures::materialise("debian12-default");
    let state = fx.path("state.db");
    fx.sign_version(2);
    let out = scan_with_policy(&fx, tree.path(), &state, &[]);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    assert_eq!(state_scans(&state)[0]["policy_version"], 2);

    // The same version again is fine.
    let out = scan_with_policy(&fx, tree.path(), &state, &[]);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));

    // A validly signed but older policy (a replay) is not.
    fx.sign_version(1);
    let verified = run(verify_cmd()
        .arg(fx.policy())
        .arg("--allowed-signers")
        .arg(fx.signers()));
    assert_eq!(
        verified.status.code(),
        Some(0),
        "the old policy itself is valid"
    );
    let out = scan_with_policy(&fx, tree.path(), &state, &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("policy version 1 is older than version 2"),
        "{err}"
    );
    let scans = state_scans(&state);
    assert_eq!(scans.len(), 2);
    assert!(scans.iter().all(|s| s["policy_version"] == 2));
    let events = refusals(&state);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["version"], 1);
    assert_eq!(events[0]["fingerprint"], fx.fingerprint());
    assert!(events[0]["reason"].as_str().unwrap().contains("older"));

    // A newer one is accepted again.
    fx.sign_version(3);
    let out = scan_with_policy(&fx, tree.path(), &state, &[]);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    assert_eq!(state_scans(&state)[0]["policy_version"], 3);
}

#[test]
fn a_symlink_in_a_pinned_directory_does_not_smuggle_in_a_rule() {
    let fx = Fixture::new();
    let tree = fixtures::materialise("debian12-default");
    let outside = fx.path("smuggled.yml");
    fs::write(
        &outside,
        "id: smuggled-rule\ntitle: Not pinned\nseverity: critical\n\
         check: { method: file_exists, path: /etc/no-such-file }\n",
    )
    .unwrap();
    std::os::unix::fs::symlink(&outside, fx.path("fixtures/policy/rules/zz.yml")).unwrap();
    std::os::unix::fs::symlink(fx.dir.path(), fx.path("fixtures/policy/rules/loop")).unwrap();

    // Pins hash regular files only, so the signed policy still verifies...
    let out = run(verify_cmd()
        .arg(fx.policy())
        .arg("--allowed-signers")
        .arg(fx.signers()));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // ...and the scan must then run only what the pins cover.
    let out = scan_with_policy(&fx, tree.path(), &fx.path("state.db"), &[]);
    let err = stderr(&out);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{err}");
    assert_eq!(rule_ids(&json(&out)), policy_rules());
    assert!(err.contains("zz.yml"), "the skipped link is named: {err}");
}

/// A policy scan and an ad-hoc scan of one host are two baselines: alternating them never
/// records a rule of the other as removed, and the host keeps the union of their rules.
#[test]
fn policy_and_ad_hoc_scans_of_one_host_never_remove_each_others_rules() {
    let fx = Fixture::new();
    let tree = fixtures::materialise("debian12-default");
    let state = fx.path("state.db");
    let ad_hoc = || {
        run(plumb()
            .args(["scan", "--format", "json", "--allow-errors", "--root"])
            .arg(tree.path())
            .arg("--state")
            .arg(&state))
    };
    let mut embedded = BTreeSet::new();
    for _ in 0..2 {
        let out = scan_with_policy(&fx, tree.path(), &state, &["--allow-errors"]);
        assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
        assert_eq!(
            json(&out)["hosts"][0]["changes"]["removed"],
            serde_json::json!([])
        );
        let out = ad_hoc();
        assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
        let report = json(&out);
        assert_eq!(
            report["hosts"][0]["changes"]["removed"],
            serde_json::json!([])
        );
        embedded = rule_ids(&report);
    }
    let removed = sqlite3(
        &state,
        "SELECT count(*) FROM transactions WHERE change_kind = 'removed';",
    );
    assert_eq!(removed.trim(), "0");
    let live = sqlite3(
        &state,
        "SELECT count(*) FROM host_rule_state WHERE removed_at IS NULL;",
    );
    let union: BTreeSet<String> = embedded.union(&policy_rules()).cloned().collect();
    assert_eq!(live.trim(), union.len().to_string());
    let sources: BTreeSet<String> = state_scans(&state)
        .iter()
        .map(|s| s["rule_source"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(sources.len(), 2, "{sources:?}");
    assert!(sources.contains("embedded"));
    assert!(sources.iter().any(|s| s.starts_with("policy:")));
}
