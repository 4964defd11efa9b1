//! Policy verification against real `ssh-keygen -Y sign` signatures made in temp dirs.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

mod support;

use plumb::error::Chain;
use plumb::policy::{
    PolicyInputError, PolicyReport, SignatureStatus, SignersError, TrustSource, VerifyRequest,
    render_table, ruleset_hash, verify_policy,
};
use support::tools::{fingerprint, keygen, sig_path, sign};
use tempfile::TempDir;

const RULE: &str =
    "id: t-rule\ntitle: T\nseverity: low\ncheck: { method: file_exists, path: /etc/hostname }\n";

fn public_key(key: &Path) -> String {
    fs::read_to_string(key.with_extension("pub")).expect("read .pub")
}

fn allowed_line(principal: &str, options: &str, key: &Path) -> String {
    let pubkey = public_key(key);
    let mut fields = pubkey.split_whitespace();
    let (kt, b64) = (fields.next().unwrap(), fields.next().unwrap());
    if options.is_empty() {
        format!("{principal} {kt} {b64}\n")
    } else {
        format!("{principal} {options} {kt} {b64}\n")
    }
}

/// A temp dir with a rule directory `rules/`, a rule file `extra.yml`, a signing key
/// (`alice`) trusted through `allowed_signers`, and helpers to write and sign a policy.
struct Fixture {
    dir: TempDir,
    key: PathBuf,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::create_dir_all(dir.path().join("rules/sub")).unwrap();
        fs::write(dir.path().join("rules/a.yml"), RULE).unwrap();
        fs::write(
            dir.path().join("rules/sub/b.yaml"),
            RULE.replace("t-rule", "t-rule-b"),
        )
        .unwrap();
        fs::write(
            dir.path().join("extra.yml"),
            RULE.replace("t-rule", "t-extra"),
        )
        .unwrap();
        let key = keygen(dir.path(), "alice", "ed25519");
        fs::write(
            dir.path().join("allowed_signers"),
            format!(
                "# trusted policy signers\n\n{}",
                allowed_line("alice@example.com", "", &key)
            ),
        )
        .unwrap();
        Self { dir, key }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// A policy pinning `rules/` and `extra.yml` at their current content, plus `extra` YAML.
    fn policy_text(&self, extra: &str) -> String {
        format!(
            "version: 3\ndescription: test policy\nrulesets:\n  - path: rules\n    sha256: {}\n  - path: extra.yml\n    sha256: {}\n{extra}",
            ruleset_hash(&self.path("rules")).unwrap(),
            ruleset_hash(&self.path("extra.yml")).unwrap(),
        )
    }

    fn write_signed(&self, text: &str) -> PathBuf {
        let policy = self.path("policy.yaml");
        fs::write(&policy, text).unwrap();
        sign(&self.key, &policy, "plumb-policy");
        policy
    }

    fn request(&self, policy: &Path) -> VerifyRequest {
        VerifyRequest::new(
            policy,
            TrustSource::AllowedSigners(self.path("allowed_signers")),
        )
    }

    fn verify(&self, policy: &Path) -> PolicyReport {
        verify_policy(&self.request(policy)).expect("inputs readable")
    }
}

fn invalid_code(report: &PolicyReport) -> &str {
    match &report.signature {
        SignatureStatus::Invalid { code, .. } => code,
        other => panic!("expected an invalid signature, got {other:?}"),
    }
}

fn invalid_reason(report: &PolicyReport) -> &str {
    match &report.signature {
        SignatureStatus::Invalid { reason, .. } => reason,
        other => panic!("expected an invalid signature, got {other:?}"),
    }
}

#[test]
fn valid_policy_verifies_and_agrees_with_ssh_keygen() {
    let fx = Fixture::new();
    let policy = fx.write_signed(&fx.policy_text(""));
    let report = fx.verify(&policy);
    assert!(report.is_valid(), "{:?}", report.problems());
    assert!(report.problems().is_empty());
    assert_eq!(report.signature, SignatureStatus::Valid);
    let signer = report.signer.as_ref().unwrap();
    assert_eq!(signer.principal.as_deref(), Some("alice@example.com"));
    assert_eq!(signer.fingerprint, fingerprint(&fx.key));
    assert_eq!(signer.key_type, "ssh-ed25519");
    assert!(
        signer
            .trusted_by
            .as_deref()
            .unwrap()
            .ends_with("allowed_signers:3")
    );
    assert_eq!(report.version, Some(3));
    assert_eq!(report.pins.len(), 2);
    assert!(report.pins.iter().all(|p| p.matched));
    assert!(report.verified_policy().is_some());
    assert_eq!(report.exit_code(), 0);

    // OpenSSH itself accepts the same signature with the same trust file.
    let status = Command::new("ssh-keygen")
        .args([
            "-Y",
            "verify",
            "-n",
            "plumb-policy",
            "-I",
            "alice@example.com",
            "-f",
        ])
        .arg(fx.path("allowed_signers"))
        .arg("-s")
        .arg(sig_path(&policy))
        .stdin(fs::File::open(&policy).unwrap())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());

    // The JSON form carries the stable fields.
    let json: serde_json::Value = serde_json::to_value(&report).unwrap();
    assert_eq!(json["valid"], true);
    assert_eq!(json["signature"]["status"], "valid");
    assert_eq!(json["signer"]["principal"], "alice@example.com");
    assert_eq!(json["revoked"], false);
    assert_eq!(json["pins"][0]["matched"], true);
}

#[test]
fn one_changed_byte_invalidates_the_signature() {
    let fx = Fixture::new();
    let policy = fx.write_signed(&fx.policy_text(""));
    let mut bytes = fs::read(&policy).unwrap();
    let at = bytes.iter().position(|b| *b == b'3').unwrap();
    bytes[at] = b'4'; // version: 3 -> 4, still a valid policy
    fs::write(&policy, bytes).unwrap();
    let report = fx.verify(&policy);
    assert!(!report.is_valid());
    assert_eq!(invalid_code(&report), "bad_signature");
    // Verify, then read: a policy whose signature does not verify is not parsed.
    assert!(!report.contents_checked);
    assert!(report.schema_errors.is_empty());
    assert_eq!(report.version, None);
    assert!(report.policy().is_none());
    assert!(report.pins.is_empty());
}

#[test]
fn signature_by_an_untrusted_key_is_refused() {
    let fx = Fixture::new();
    let mallory = keygen(fx.dir.path(), "mallory", "ed25519");
    let policy = fx.path("policy.yaml");
    fs::write(&policy, fx.policy_text("")).unwrap();
    sign(&mallory, &policy, "plumb-policy");
    let report = fx.verify(&policy);
    assert!(!report.is_valid());
    assert_eq!(invalid_code(&report), "untrusted_key");
    assert!(invalid_reason(&report).contains(&fingerprint(&mallory)));
    assert_eq!(report.signer.as_ref().unwrap().principal, None);
}

#[test]
fn wrong_namespace_is_refused() {
    let fx = Fixture::new();
    let policy = fx.path("policy.yaml");
    fs::write(&policy, fx.policy_text("")).unwrap();
    sign(&fx.key, &policy, "file");
    let report = fx.verify(&policy);
    assert_eq!(invalid_code(&report), "wrong_namespace");
    assert!(invalid_reason(&report).contains("\"file\""));
    assert!(invalid_reason(&report).contains("plumb-policy"));
}

#[test]
fn expired_and_not_yet_valid_keys_are_refused() {
    let fx = Fixture::new();
    let policy = fx.write_signed(&fx.policy_text(""));
    fs::write(
        fx.path("allowed_signers"),
        allowed_line("alice@example.com", "valid-before=\"20200101Z\"", &fx.key),
    )
    .unwrap();
    let report = fx.verify(&policy);
    assert_eq!(invalid_code(&report), "key_expired");
    assert!(invalid_reason(&report).contains("2020-01-01 00:00:00 UTC"));

    // The same file, checked as of 2019, accepts the key.
    let mut req = fx.request(&policy);
    req.now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_546_300_800);
    assert!(verify_policy(&req).unwrap().is_valid());

    fs::write(
        fx.path("allowed_signers"),
        allowed_line("alice@example.com", "valid-after=\"20991231\"", &fx.key),
    )
    .unwrap();
    assert_eq!(invalid_code(&fx.verify(&policy)), "key_not_yet_valid");
}

#[test]
fn namespaces_option_restricts_the_key() {
    let fx = Fixture::new();
    let policy = fx.write_signed(&fx.policy_text(""));
    fs::write(
        fx.path("allowed_signers"),
        allowed_line("alice@example.com", "namespaces=\"git,file\"", &fx.key),
    )
    .unwrap();
    assert_eq!(invalid_code(&fx.verify(&policy)), "namespace_not_allowed");
    fs::write(
        fx.path("allowed_signers"),
        allowed_line("alice@example.com", "namespaces=\"git,plumb-*\"", &fx.key),
    )
    .unwrap();
    assert!(fx.verify(&policy).is_valid());
}

#[test]
fn revoked_key_fails_although_the_signature_is_valid() {
    let fx = Fixture::new();
    let fingerprint = fingerprint(&fx.key);
    fs::write(
        fx.path("revoked.txt"),
        format!("# stolen laptop\n{fingerprint}  # alice, 2026\n"),
    )
    .unwrap();
    // Through the policy's own revocation_list (relative to the policy file) ...
    let policy = fx.write_signed(&fx.policy_text("revocation_list: revoked.txt\n"));
    let report = fx.verify(&policy);
    assert_eq!(report.signature, SignatureStatus::Valid);
    assert!(report.revoked);
    assert!(!report.is_valid());
    assert!(report.problems().iter().any(|p| p.contains("revoked")));
    assert!(report.verified_policy().is_none());

    // ... and through an override, for a policy that names no list.
    let policy = fx.write_signed(&fx.policy_text(""));
    assert!(fx.verify(&policy).is_valid());
    let mut req = fx.request(&policy);
    req.revocation_list = Some(fx.path("revoked.txt"));
    let report = verify_policy(&req).unwrap();
    assert!(report.revoked && !report.is_valid());
}

#[test]
fn missing_revocation_list_is_an_input_error() {
    let fx = Fixture::new();
    let policy = fx.write_signed(&fx.policy_text("revocation_list: nowhere.txt\n"));
    let err = verify_policy(&fx.request(&policy)).unwrap_err();
    assert!(matches!(err, PolicyInputError::Revocation(_)), "{err}");
    assert!(Chain(&err).to_string().contains("nowhere.txt"));
}

#[test]
fn rsa_signature_is_refused_with_its_own_message() {
    let fx = Fixture::new();
    let rsa = keygen(fx.dir.path(), "bob", "rsa");
    let mut signers = fs::read_to_string(fx.path("allowed_signers")).unwrap();
    signers.push_str(&allowed_line("bob@example.com", "", &rsa));
    fs::write(fx.path("allowed_signers"), signers).unwrap();
    let policy = fx.path("policy.yaml");
    fs::write(&policy, fx.policy_text("")).unwrap();
    sign(&rsa, &policy, "plumb-policy");
    let report = fx.verify(&policy);
    assert_eq!(invalid_code(&report), "unsupported_key_type");
    assert!(invalid_reason(&report).contains("ssh-rsa"));
    assert!(invalid_reason(&report).contains("Ed25519"));
    assert_eq!(
        report.signer.as_ref().unwrap().fingerprint,
        fingerprint(&rsa)
    );
}

#[test]
fn garbage_and_truncated_armour_are_refused() {
    let fx = Fixture::new();
    let policy = fx.write_signed(&fx.policy_text(""));
    let sig = sig_path(&policy);
    let good = fs::read_to_string(&sig).unwrap();

    fs::write(&sig, "this is not a signature\n").unwrap();
    let report = fx.verify(&policy);
    assert_eq!(invalid_code(&report), "malformed_armour");
    assert!(invalid_reason(&report).contains("BEGIN SSH SIGNATURE"));

    // Footer cut off.
    let lines: Vec<&str> = good.lines().collect();
    fs::write(&sig, lines[..lines.len() - 1].join("\n")).unwrap();
    assert_eq!(invalid_code(&fx.verify(&policy)), "malformed_armour");

    // Body cut short but still well-formed base64 and armour: the blob is truncated.
    let body: String = lines[1..lines.len() - 1].concat();
    let keep = (body.len() / 2) / 4 * 4;
    fs::write(
        &sig,
        format!(
            "{}\n{}\n{}\n",
            lines[0],
            &body[..keep],
            lines[lines.len() - 1]
        ),
    )
    .unwrap();
    let report = fx.verify(&policy);
    assert_eq!(invalid_code(&report), "malformed_signature");
    assert!(
        invalid_reason(&report).contains("truncated"),
        "{}",
        invalid_reason(&report)
    );

    // Binary junk.
    fs::write(&sig, [0u8, 159, 146, 150, 255]).unwrap();
    assert_eq!(invalid_code(&fx.verify(&policy)), "malformed_armour");
}

#[test]
fn missing_signature_is_reported_not_an_error() {
    let fx = Fixture::new();
    let policy = fx.path("policy.yaml");
    fs::write(&policy, fx.policy_text("")).unwrap();
    let report = fx.verify(&policy);
    assert!(matches!(report.signature, SignatureStatus::Missing { .. }));
    assert!(!report.is_valid());
    assert!(report.problems()[0].contains("ssh-keygen -Y sign"));
}

#[test]
fn empty_allowed_signers_is_its_own_error() {
    let fx = Fixture::new();
    let policy = fx.write_signed(&fx.policy_text(""));
    fs::write(fx.path("allowed_signers"), "# nobody yet\n\n").unwrap();
    let err = verify_policy(&fx.request(&policy)).unwrap_err();
    assert!(
        matches!(err, PolicyInputError::Trust(SignersError::Empty(_))),
        "{err}"
    );
    assert!(Chain(&err).to_string().contains("no keys"));
}

#[test]
fn malformed_allowed_signers_names_file_and_line() {
    let fx = Fixture::new();
    let policy = fx.write_signed(&fx.policy_text(""));
    let good = allowed_line("alice@example.com", "", &fx.key);
    fs::write(
        fx.path("allowed_signers"),
        format!("{good}# next is broken\nbob@example.com ssh-ed25519\n"),
    )
    .unwrap();
    let err = verify_policy(&fx.request(&policy)).unwrap_err();
    assert!(
        Chain(&err)
            .to_string()
            .contains("allowed_signers:3: missing base64 key"),
        "{err}"
    );
}

#[test]
fn missing_policy_file_is_an_input_error() {
    let fx = Fixture::new();
    let err = verify_policy(&fx.request(&fx.path("nope.yaml"))).unwrap_err();
    assert!(matches!(err, PolicyInputError::Policy { .. }), "{err}");
}

#[test]
fn rotation_with_two_keys_and_a_pub_trust_file() {
    let fx = Fixture::new();
    let next = keygen(fx.dir.path(), "alice2026", "ed25519");
    let signers = format!(
        "{}{}",
        allowed_line("alice@example.com", "valid-before=\"20991231Z\"", &fx.key),
        allowed_line("alice@example.com", "valid-after=\"20250101Z\"", &next)
    );
    fs::write(fx.path("allowed_signers"), signers).unwrap();
    let policy = fx.write_signed(&fx.policy_text(""));
    assert!(fx.verify(&policy).is_valid());
    sign(&next, &policy, "plumb-policy");
    let report = fx.verify(&policy);
    assert!(report.is_valid(), "{:?}", report.problems());
    assert_eq!(report.signer.unwrap().fingerprint, fingerprint(&next));

    // A single .pub file as the trust source: the principal is the key comment.
    let req = VerifyRequest::new(&policy, TrustSource::PublicKey(next.with_extension("pub")));
    let report = verify_policy(&req).unwrap();
    assert!(report.is_valid());
    assert_eq!(
        report.signer.unwrap().principal.as_deref(),
        Some("alice2026@example.com")
    );
    let req = VerifyRequest::new(
        &policy,
        TrustSource::PublicKey(fx.key.with_extension("pub")),
    );
    assert_eq!(invalid_code(&verify_policy(&req).unwrap()), "untrusted_key");
}

#[test]
fn out_of_range_intervals_are_clamped_and_reported() {
    let fx = Fixture::new();
    let policy = fx.write_signed(
        &fx.policy_text("schedule:\n  intervals:\n    critical: 1m\n    compliant: 30d\n"),
    );
    let report = fx.verify(&policy);
    assert!(
        report.is_valid(),
        "clamps alone do not invalidate: {:?}",
        report.problems()
    );
    let clamps: Vec<(String, String, String)> = report
        .clamps
        .iter()
        .map(|c| (c.field.clone(), c.given.to_string(), c.applied.to_string()))
        .collect();
    assert_eq!(
        clamps,
        vec![
            (
                "schedule.intervals.critical".into(),
                "1m".into(),
                "5m".into()
            ),
            (
                "schedule.intervals.compliant".into(),
                "30d".into(),
                "2d".into()
            ),
        ]
    );
    let intervals = &report.verified_policy().unwrap().schedule.intervals;
    assert_eq!(intervals.critical.as_secs(), 300);
    assert_eq!(intervals.compliant.as_secs(), 48 * 3600);
    let table = render_table(&report, false);
    assert!(table.contains("schedule.intervals.critical: 1m is below the floor, using 5m"));
}

#[test]
fn edited_rule_sets_break_their_pins() {
    let fx = Fixture::new();
    let policy = fx.write_signed(&fx.policy_text(""));
    let expected_dir = ruleset_hash(&fx.path("rules")).unwrap();
    let expected_file = ruleset_hash(&fx.path("extra.yml")).unwrap();

    // A rule file inside the pinned directory is edited.
    fs::write(fx.path("rules/sub/b.yaml"), RULE.replace("low", "high")).unwrap();
    let report = fx.verify(&policy);
    assert_eq!(report.signature, SignatureStatus::Valid);
    assert!(!report.is_valid());
    let dir_pin = &report.pins[0];
    assert!(!dir_pin.matched);
    assert_eq!(dir_pin.expected, expected_dir);
    assert_eq!(
        dir_pin.actual.as_deref(),
        Some(ruleset_hash(&fx.path("rules")).unwrap().as_str())
    );
    assert!(report.pins[1].matched);

    // A rule file added to the directory also moves the pin; the pinned single file, edited.
    fs::write(fx.path("rules/new.yml"), RULE).unwrap();
    fs::write(fx.path("extra.yml"), format!("{RULE}# edited\n")).unwrap();
    let report = fx.verify(&policy);
    let file_pin = &report.pins[1];
    assert!(!file_pin.matched);
    assert_eq!(file_pin.expected, expected_file);
    let problems = report.problems().join("\n");
    assert!(
        problems.contains(&format!("expected {expected_file}")),
        "{problems}"
    );

    // A pinned rule set that disappeared.
    fs::remove_file(fx.path("extra.yml")).unwrap();
    let report = fx.verify(&policy);
    assert!(report.pins[1].error.is_some());
    assert!(!report.is_valid());
}

#[test]
fn schema_errors_carry_line_and_column() {
    let fx = Fixture::new();
    // policy_text writes 7 lines, so the extra YAML starts at line 8.
    let policy = fx.write_signed(&fx.policy_text("ssh:\n  sudo: true\n  sudo_user: root\n"));
    let report = fx.verify(&policy);
    assert_eq!(report.signature, SignatureStatus::Valid);
    assert!(!report.is_valid());
    let err = &report.schema_errors[0];
    assert_eq!((err.line, err.column), (Some(10), Some(3)), "{err}");
    assert!(err.message.contains("unknown field `sudo_user`"), "{err}");
    assert!(err.to_string().contains("policy.yaml:10:3:"), "{err}");

    // Wrong type.
    let policy = fx.write_signed(&fx.policy_text("ssh:\n  concurrency: many\n"));
    let err = fx.verify(&policy).schema_errors[0].clone();
    assert_eq!((err.line, err.column), (Some(9), Some(16)), "{err}");
    assert!(err.message.contains("invalid type"), "{err}");

    // Semantic error: evidence above the hard ceiling.
    let policy = fx.write_signed(&fx.policy_text("evidence:\n  max_bytes: 1000000\n"));
    let err = fx.verify(&policy).schema_errors[0].clone();
    assert_eq!(err.line, Some(9), "{err}");
    assert!(err.message.contains("262144"), "{err}");
}

#[test]
fn table_rendering_honours_colour() {
    let fx = Fixture::new();
    let policy = fx.write_signed(&fx.policy_text(""));
    let report = fx.verify(&policy);
    let plain = render_table(&report, false);
    assert!(plain.contains("VALID"));
    assert!(plain.contains("alice@example.com"));
    assert!(!plain.contains('\u{1b}'));
    assert!(render_table(&report, true).contains('\u{1b}'));
}

#[test]
fn example_policy_pins_are_current() {
    let example = support::fixtures::repo().join("scan-policy.example.yaml");
    let policy = plumb::policy::read_policy(&example).expect("example parses");
    for pin in &policy.rulesets {
        let actual = ruleset_hash(&support::fixtures::repo().join(&pin.path)).unwrap();
        assert_eq!(
            actual,
            pin.sha256,
            "scan-policy.example.yaml: the pin for {} is stale. Recompute it with `{}` \
             (from the repository root, DIR = {}) and update its sha256",
            pin.path,
            plumb::policy::PIN_ONE_LINER,
            pin.path
        );
    }
}

#[test]
fn example_policy_verifies_once_signed() {
    let tmp = tempfile::tempdir().unwrap();
    let key = keygen(tmp.path(), "ops", "ed25519");
    let example = support::fixtures::repo().join("scan-policy.example.yaml");
    // Sign from stdin so nothing is written next to the example in the repository.
    let sig = tmp.path().join("example.sig");
    let out = Command::new("ssh-keygen")
        .args(["-q", "-Y", "sign", "-n", "plumb-policy", "-f"])
        .arg(&key)
        .stdin(fs::File::open(&example).unwrap())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    fs::write(&sig, out.stdout).unwrap();
    fs::write(
        tmp.path().join("allowed_signers"),
        allowed_line("ops@example.com", "namespaces=\"plumb-policy\"", &key),
    )
    .unwrap();
    let mut req = VerifyRequest::new(
        &example,
        TrustSource::AllowedSigners(tmp.path().join("allowed_signers")),
    );
    req.signature = Some(sig);
    let report = verify_policy(&req).unwrap();
    assert!(report.is_valid(), "{:?}", report.problems());
    assert!(report.clamps.is_empty());
    assert!(
        report
            .revocation_list
            .as_deref()
            .unwrap()
            .ends_with("revoked-keys.txt")
    );
    let policy = report.verified_policy().unwrap();
    assert_eq!(policy.schedule.maintenance_windows.len(), 2);
    assert_eq!(policy.vars["permit_root"], "no");
    assert_eq!(policy.ssh.probe_timeout.as_secs(), 120);
}
