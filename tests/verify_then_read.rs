//! Verify, then read (issue 10 item 6): a policy whose signature does not verify is not parsed
//! and the files it names are not read; every file the policy chain reads is a regular file
//! within a size cap, and no error quotes it. YAML that would take the parser minutes (deep
//! nesting) or all memory (alias expansion) is refused up front, naming the file.
//!
//! plumb runs under an address-space limit and a wall-clock guard here, so a regression fails
//! the test (killed, or aborted by a signal) instead of hanging it or swapping the machine.
//! Signatures are real `ssh-keygen -Y sign` ones.

mod support;

use plumb::policy::ruleset_hash;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use support::plumb;
use support::tools::{keygen, sign};
use tempfile::TempDir;

/// Far beyond any honest run here; only a hang reaches it.
const HANG_GUARD: Duration = Duration::from_secs(60);
/// plumb's address space: reading /dev/zero to the end fails instead of eating the machine.
const ADDRESS_SPACE: u64 = 2 << 30;
/// A string that must never reach plumb's output.
const MARKER: &str = "SECRET-MARKER-7f3a9c-do-not-print";
/// The trust-file cap of src/bounded_read.rs.
const TRUST_FILE_CAP: usize = 1024 * 1024;
/// Far deeper than any policy, rules or inventory needs; enough to take the old parser
/// minutes when written as flow mappings.
const DEEP: usize = 100_000;

const RULE: &str = "- id: t-rule\n  title: T\n  severity: low\n  check: { method: file_exists, path: /etc/hostname }\n";

struct Finished {
    /// `None` when plumb was ended by a signal.
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Finished {
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|err| panic!("stdout is not JSON ({err}); stderr: {}", self.stderr))
    }

    /// Neither stream carries the marker.
    fn assert_quiet_about_secrets(&self) {
        assert!(!self.stdout.contains(MARKER), "stdout: {}", self.stdout);
        assert!(!self.stderr.contains(MARKER), "stderr: {}", self.stderr);
    }
}

/// Runs plumb to completion under [`ADDRESS_SPACE`], killing it after [`HANG_GUARD`].
fn run_guarded(cmd: &mut Command) -> Finished {
    let out = support::run_bounded(support::limit_address_space(cmd, ADDRESS_SPACE), HANG_GUARD);
    let text = |bytes: Vec<u8>| String::from_utf8_lossy(&bytes).into_owned();
    Finished {
        code: out.status.code(),
        stdout: text(out.stdout),
        stderr: text(out.stderr),
    }
}

/// A policy pinning `rules.yml`, an Ed25519 key `ops` trusted by `allowed_signers`, and
/// the hostile things a policy might point at: a secret, a FIFO, a file over the cap.
struct Fixture {
    dir: TempDir,
    key: PathBuf,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("rules.yml"), RULE).unwrap();
        let key = keygen(dir.path(), "ops", "ed25519");
        let public = fs::read_to_string(key.with_extension("pub")).unwrap();
        let fields: Vec<&str> = public.split_whitespace().take(2).collect();
        fs::write(
            dir.path().join("allowed_signers"),
            format!("ops@example.com {}\n", fields.join(" ")),
        )
        .unwrap();
        fs::write(
            dir.path().join("secret"),
            format!("{MARKER} first line of a file no policy may print\nmore\n"),
        )
        .unwrap();
        let fifo = std::ffi::CString::new(
            dir.path()
                .join("fifo")
                .into_os_string()
                .into_encoded_bytes(),
        )
        .unwrap();
        // SAFETY: a valid C string.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        // A well-formed revocation list (comments only) one byte over the cap.
        let mut big = "# padding\n".repeat(TRUST_FILE_CAP / 10 + 1);
        big.truncate(TRUST_FILE_CAP + 1);
        fs::write(dir.path().join("big-revocations"), big).unwrap();
        Self { dir, key }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn policy(&self) -> PathBuf {
        self.path("policy.yaml")
    }

    /// A valid policy pinning rules.yml, plus `extra` YAML.
    fn write_policy(&self, extra: &str) {
        let pin = ruleset_hash(&self.path("rules.yml")).unwrap();
        let text =
            format!("version: 1\nrulesets:\n  - path: rules.yml\n    sha256: \"{pin}\"\n{extra}");
        fs::write(self.policy(), text).unwrap();
        let _ = fs::remove_file(self.path("policy.yaml.sig"));
    }

    fn sign(&self) {
        sign(&self.key, &self.policy(), "plumb-policy");
    }

    /// Signs, then changes one byte: a signature that no longer verifies.
    fn sign_then_tamper(&self) {
        self.sign();
        let text = fs::read_to_string(self.policy()).unwrap();
        fs::write(self.policy(), text.replacen("version: 1", "version: 2", 1)).unwrap();
    }

    fn verify(&self) -> Finished {
        run_guarded(
            plumb()
                .args(["verify-policy", "--format", "json", "--allowed-signers"])
                .arg(self.path("allowed_signers"))
                .arg(self.policy()),
        )
    }

    fn scan(&self, extra: &[&str]) -> Finished {
        run_guarded(
            plumb()
                .args([
                    "scan",
                    "--no-store",
                    "--format",
                    "json",
                    "--allowed-signers",
                ])
                .arg(self.path("allowed_signers"))
                .arg("--policy")
                .arg(self.policy())
                .args(extra),
        )
    }
}

/// The things an attacker's policy points `revocation_list` at.
fn hostile_targets(fx: &Fixture) -> Vec<(&'static str, PathBuf)> {
    vec![
        ("secret", fx.path("secret")),
        ("device", PathBuf::from("/dev/zero")),
        ("fifo", fx.path("fifo")),
    ]
}

fn revocation_line(target: &Path) -> String {
    format!("revocation_list: {}\n", target.display())
}

#[test]
fn a_policy_whose_signature_does_not_verify_is_not_parsed_and_its_files_are_not_read() {
    let fx = Fixture::new();
    for (name, target) in hostile_targets(&fx) {
        for tampered in [false, true] {
            fx.write_policy(&revocation_line(&target));
            if tampered {
                fx.sign_then_tamper();
            }
            let out = fx.verify();
            out.assert_quiet_about_secrets();
            assert_eq!(out.code, Some(1), "{name}: {}", out.stderr);
            let report = out.json();
            assert_eq!(report["valid"], false, "{name}");
            assert_eq!(report["contents_checked"], false, "{name}: {report}");
            assert_eq!(report["revocation_list"], serde_json::Value::Null, "{name}");
            assert_eq!(report["version"], serde_json::Value::Null, "{name}");
            let status = &report["signature"]["status"];
            let expected = if tampered { "invalid" } else { "missing" };
            assert_eq!(status, expected, "{name}: {report}");

            // scan refuses it the same way, before reading anything it names.
            let out = fx.scan(&[]);
            out.assert_quiet_about_secrets();
            assert_eq!(out.code, Some(2), "{name}: {}", out.stderr);
            assert!(
                out.stderr.contains("refusing policy"),
                "{name}: {}",
                out.stderr
            );
        }
    }
}

#[test]
fn the_table_says_an_unverified_policy_was_not_parsed() {
    let fx = Fixture::new();
    fx.write_policy(&revocation_line(&fx.path("secret")));
    let out = run_guarded(
        plumb()
            .args(["verify-policy", "--format", "table", "--allowed-signers"])
            .arg(fx.path("allowed_signers"))
            .arg(fx.policy()),
    );
    out.assert_quiet_about_secrets();
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(out.stdout.contains("not parsed"), "{}", out.stdout);
    assert!(!out.stdout.contains("schema"), "{}", out.stdout);
}

#[test]
fn an_accepted_unsigned_policy_reads_its_files_only_capped_regular_and_unquoted() {
    let fx = Fixture::new();
    for (name, target) in hostile_targets(&fx) {
        fx.write_policy(&revocation_line(&target));
        let out = fx.scan(&["--allow-unsigned-policy"]);
        out.assert_quiet_about_secrets();
        assert_eq!(out.code, Some(2), "{name}: {}", out.stderr);
        let expected = if name == "secret" {
            "line 1 is not a valid fingerprint"
        } else {
            "not a regular file"
        };
        assert!(out.stderr.contains(expected), "{name}: {}", out.stderr);
        assert!(
            out.stderr.contains(&target.display().to_string()),
            "{name}: the file is named: {}",
            out.stderr
        );
    }
    // And the flag still does its job for a harmless unsigned policy.
    fx.write_policy("");
    let out = fx.scan(&["--allow-unsigned-policy", "--fail-on", "never"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stderr.contains("--allow-unsigned-policy"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_signed_policy_may_only_name_a_regular_revocation_list_within_the_cap() {
    let fx = Fixture::new();
    let cases = [
        (fx.path("fifo"), "not a regular file"),
        (PathBuf::from("/dev/zero"), "not a regular file"),
        (
            fx.path("big-revocations"),
            "larger than the 1048576-byte limit",
        ),
        (fx.path("secret"), "line 1 is not a valid fingerprint"),
    ];
    for (target, expected) in cases {
        fx.write_policy(&revocation_line(&target));
        fx.sign();
        let out = fx.verify();
        out.assert_quiet_about_secrets();
        assert_eq!(out.code, Some(2), "{}: {}", target.display(), out.stderr);
        assert!(
            out.stderr.contains(expected),
            "{}: {}",
            target.display(),
            out.stderr
        );
        assert!(
            out.stderr.contains(&target.display().to_string()),
            "{}",
            out.stderr
        );
    }
    // A real list beside it is still honoured.
    fs::write(fx.path("revoked"), "# none yet\n").unwrap();
    fx.write_policy("revocation_list: revoked\n");
    fx.sign();
    let out = fx.verify();
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.json()["contents_checked"], true);
}

#[test]
fn the_trust_files_from_flags_are_read_only_when_regular() {
    let fx = Fixture::new();
    fx.write_policy("");
    fx.sign();
    for flag in [
        "--allowed-signers",
        "--key",
        "--revocation-list",
        "--signature",
    ] {
        for target in [fx.path("fifo"), PathBuf::from("/dev/zero")] {
            let mut cmd = plumb();
            cmd.args(["verify-policy", "--format", "json"]);
            if flag != "--allowed-signers" && flag != "--key" {
                cmd.arg("--allowed-signers").arg(fx.path("allowed_signers"));
            }
            cmd.arg(flag).arg(&target).arg(fx.policy());
            let out = run_guarded(&mut cmd);
            assert_eq!(
                out.code,
                Some(2),
                "{flag} {}: {}",
                target.display(),
                out.stderr
            );
            assert!(
                out.stderr.contains("not a regular file"),
                "{flag}: {}",
                out.stderr
            );
        }
        // A secret given as a trust file is not quoted either.
        let mut cmd = plumb();
        cmd.args(["verify-policy", "--format", "json"]);
        if flag != "--allowed-signers" && flag != "--key" {
            cmd.arg("--allowed-signers").arg(fx.path("allowed_signers"));
        }
        cmd.arg(flag).arg(fx.path("secret")).arg(fx.policy());
        run_guarded(&mut cmd).assert_quiet_about_secrets();
    }
}

/// `{a: {a: ... 1}}` nested `depth` deep: quadratic in the old parser's scanner.
fn deep_flow(depth: usize) -> String {
    format!("{}1{}", "{a: ".repeat(depth), "}".repeat(depth))
}

fn assert_names_the_depth(out: &Finished, file: &Path) {
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    let named = format!("{}:1:", file.display());
    assert!(
        out.stderr.contains(&named),
        "names file:line: {}",
        out.stderr
    );
    assert!(
        out.stderr.contains("nested deeper than 64"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_deeply_nested_policy_is_refused_quickly_naming_the_file() {
    let fx = Fixture::new();
    // Signed: verified, then refused as a schema error at file:line:column.
    fx.write_policy(&format!("vars: {}\n", deep_flow(DEEP)));
    fx.sign();
    let out = fx.verify();
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    let report = out.json();
    let error = &report["schema_errors"][0];
    assert_eq!(error["file"], fx.policy().display().to_string(), "{report}");
    assert_eq!(error["line"], 5, "{report}");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("nested deeper than 64"),
        "{report}"
    );

    // Unsigned and accepted as such: parsed, and refused the same way.
    fx.write_policy(&format!("vars: {}\n", deep_flow(DEEP)));
    let out = fx.scan(&["--allow-unsigned-policy"]);
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(
        out.stderr
            .contains(&format!("{}:5:", fx.policy().display())),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("nested deeper than 64"),
        "{}",
        out.stderr
    );
    // Unsigned and not accepted: never parsed at all.
    let out = fx.verify();
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert_eq!(out.json()["contents_checked"], false);
}

#[test]
fn deeply_nested_rules_inventories_and_config_are_refused_naming_the_file() {
    let fx = Fixture::new();
    let rules = fx.path("deep-rules.yml");
    fs::write(&rules, format!("- {}\n", deep_flow(DEEP))).unwrap();
    let out = run_guarded(
        plumb()
            .args(["scan", "--no-store", "--format", "json", "--rules"])
            .arg(&rules),
    );
    assert_names_the_depth(&out, &rules);

    let inventory = fx.path("deep-inventory.yaml");
    fs::write(&inventory, format!("hosts: {}\n", deep_flow(DEEP))).unwrap();
    let out = run_guarded(
        plumb()
            .args(["scan", "--no-store", "--format", "json", "--rules"])
            .arg(fx.path("rules.yml"))
            .arg("--inventory")
            .arg(&inventory),
    );
    assert_names_the_depth(&out, &inventory);

    let config = fx.path("deep-config.yaml");
    fs::write(&config, format!("state: {}\n", deep_flow(DEEP))).unwrap();
    let out = run_guarded(
        plumb()
            .arg("--config")
            .arg(&config)
            .args(["verify-policy", "--key"])
            .arg(fx.key.with_extension("pub"))
            .arg(fx.policy()),
    );
    assert_names_the_depth(&out, &config);
}

#[test]
fn an_alias_bomb_in_an_inventory_is_refused_naming_the_file() {
    let fx = Fixture::new();
    let inventory = fx.path("bomb.yaml");
    let wide = 100_000;
    fs::write(
        &inventory,
        format!(
            "vars: {{}}\nhosts: {{}}\nx-a: &a [{}]\nx-b: [{}]\n",
            vec!["x"; wide].join(","),
            vec!["*a"; wide].join(",")
        ),
    )
    .unwrap();
    let out = run_guarded(
        plumb()
            .args(["scan", "--no-store", "--format", "json", "--rules"])
            .arg(fx.path("rules.yml"))
            .arg("--inventory")
            .arg(&inventory),
    );
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!("{}:4:", inventory.display())),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("aliases expanded"), "{}", out.stderr);
}

#[test]
fn a_policy_may_not_use_aliases() {
    let fx = Fixture::new();
    fx.write_policy("description: &d text\nvars: {a: *d}\n");
    fx.sign();
    let out = fx.verify();
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    let report = out.json();
    let message = report["schema_errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("aliases"), "{report}");
}
