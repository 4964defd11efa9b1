//! No password hash or private key leaves a scan: every fixture tree, scanned with every rule
//! pack (and a pack that reads shadow, gshadow and a host key on purpose), in every report
//! format, with a state file (dumped with the real sqlite3) and with -vvv logging.

mod support;

use regex::Regex;
use std::fs;
use std::path::{Path, PathBuf};
use support::tools::sqlite3;
use support::{fixtures, plumb, run, stderr};

const FORMATS: [&str; 6] = ["json", "ndjson", "sarif", "junit", "markdown", "table"];

/// Rules that read secrets: a shadow line by regex and by key, a sensitive gshadow read, and a
/// private key's header.
const READERS: &str = r#"
- id: read-shadow-line
  title: root has a password
  severity: low
  check: { method: file_content_match, path: /etc/shadow, pattern: '^root:' }
- id: read-shadow-value
  title: root's shadow entry
  severity: low
  check: { method: config_value, path: /etc/shadow, key: root, delimiter: ':', expected: x }
- id: read-gshadow-sensitive
  title: gshadow has a root group
  severity: low
  sensitive: true
  check: { method: file_content_match, path: /etc/gshadow, pattern: '^root:.*' }
- id: read-host-key
  title: the host key is a private key
  severity: low
  check: { method: file_content_match, path: /etc/ssh/ssh_host_rsa_key, pattern: 'PRIVATE KEY' }
"#;

fn secret_patterns() -> [Regex; 2] {
    [
        Regex::new(r"\$(1|2[aby]?|5|6|y|gy|7)\$(rounds=[0-9]+\$)?[./A-Za-z0-9$]{8,}").unwrap(),
        Regex::new(r"-----BEGIN [A-Z ]*PRIVATE KEY-----").unwrap(),
    ]
}

#[track_caller]
fn assert_clean(what: &str, text: &str) {
    for pattern in secret_patterns() {
        if let Some(found) = pattern.find(text) {
            panic!("{what} holds a secret: `{}`", found.as_str());
        }
    }
}

/// The packs: the embedded default, and everything else shipped plus the readers.
fn packs(dir: &Path) -> Vec<Vec<PathBuf>> {
    let readers = dir.join("readers.yml");
    fs::write(&readers, READERS).unwrap();
    let repo = fixtures::repo();
    vec![
        Vec::new(),
        vec![
            repo.join("fixtures/rules-extra"),
            repo.join("fixtures/policy/rules"),
            repo.join("fixtures/policy/site-rule.yml"),
            readers,
        ],
    ]
}

fn scan_tree(name: &str, packs: &[Vec<PathBuf>]) {
    let tree = fixtures::materialise(name);
    let state_dir = tempfile::tempdir().unwrap();
    let state = state_dir.path().join("state.db");
    for (index, pack) in packs.iter().enumerate() {
        for format in FORMATS {
            let mut cmd = plumb();
            cmd.args(["-vvv", "scan", "--fail-on", "never", "--format", format])
                .arg("--root")
                .arg(tree.path())
                .args(["--host-name", name])
                .arg("--state")
                .arg(&state);
            for rules in pack {
                cmd.arg("--rules").arg(rules);
            }
            let out = run(&mut cmd);
            assert_eq!(out.status.code(), Some(0), "{name}: {}", stderr(&out));
            let what = format!("{name}, pack {index}, {format}");
            assert_clean(
                &format!("{what} stdout"),
                &String::from_utf8_lossy(&out.stdout),
            );
            assert_clean(&format!("{what} stderr (-vvv)"), &stderr(&out));
        }
    }
    assert_clean(&format!("{name} state file"), &sqlite3(&state, ".dump"));
}

#[test]
fn no_scan_output_state_or_log_holds_a_password_hash_or_private_key() {
    let dir = tempfile::tempdir().unwrap();
    let packs = packs(dir.path());
    let names = fixtures::host_names();
    // The fixtures hold what must not leak, or this test would prove nothing.
    let shadows: String = names
        .iter()
        .map(|n| {
            fs::read_to_string(
                fixtures::repo()
                    .join("fixtures/hosts")
                    .join(n)
                    .join("etc/shadow"),
            )
            .unwrap()
        })
        .collect();
    assert!(secret_patterns()[0].is_match(&shadows));
    std::thread::scope(|scope| {
        for name in &names {
            let packs = &packs;
            scope.spawn(move || scan_tree(name, packs));
        }
    });
}

/// The shadow rule in the default pack still says what it found, without the hash.
#[test]
fn shadow_evidence_names_the_account_and_the_hash_type() {
    let tree = fixtures::materialise("debian12-hardened");
    let out = run(plumb()
        .args([
            "scan",
            "--format",
            "json",
            "--no-store",
            "--fail-on",
            "never",
        ])
        .args(["--rule", "boot-single-user-auth", "--root"])
        .arg(tree.path()));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = support::json(&out);
    let result = &report["hosts"][0]["results"][0];
    assert_eq!(result["status"], "pass");
    assert_eq!(
        result["evidence"][0]["actual"],
        "matched: root: password set, yescrypt"
    );
}

/// A canary: shadow entries whose password fields are unique strings (one a traditional DES
/// hash, which the crypt-hash scrubber would not recognise, one SHA-512) are read by the
/// `accounts` rules, and appear in no report, log line or state file; the evidence says what
/// the fields are instead.
#[test]
fn shadow_password_fields_read_by_accounts_rules_appear_nowhere() {
    const DES_CANARY: &str = "QzCanaryDes12";
    const SHA_CANARY: &str = "$6$CanarySaltZ$CanaryHashSecretValue0123456789abcdefABCDEF";
    let tree = fixtures::materialise("debian12-default");
    let append = |file: &str, line: &str| {
        let path = tree.path().join(file);
        let mut text = fs::read_to_string(&path).unwrap();
        text.push_str(line);
        fs::write(&path, text).unwrap();
    };
    append(
        "etc/passwd",
        "canary:x:990:990::/var/lib/canary:/usr/sbin/nologin\n",
    );
    append("etc/passwd", "carol:x:1005:990::/home/carol:/bin/bash\n");
    append("etc/group", "canary:x:990:\n");
    append(
        "etc/shadow",
        &format!("canary:{DES_CANARY}:19800:0:99999:7:::\n"),
    );
    append(
        "etc/shadow",
        &format!("carol:{SHA_CANARY}:19800:0:99999:7:::\n"),
    );
    let state_dir = tempfile::tempdir().unwrap();
    let state = state_dir.path().join("state.db");
    let mut seen = String::new();
    for format in FORMATS {
        let out = run(plumb()
            .args(["-vvv", "scan", "--fail-on", "never", "--format", format])
            .arg("--root")
            .arg(tree.path())
            .arg("--state")
            .arg(&state));
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        for (what, text) in [
            ("stdout", String::from_utf8_lossy(&out.stdout).into_owned()),
            ("stderr", stderr(&out)),
        ] {
            for canary in [DES_CANARY, SHA_CANARY, "CanaryHashSecret", "CanarySaltZ"] {
                assert!(!text.contains(canary), "{format} {what} holds `{canary}`");
            }
            seen.push_str(&text);
        }
    }
    let dump = sqlite3(&state, ".dump");
    for canary in [DES_CANARY, "CanaryHashSecret", "CanarySaltZ"] {
        assert!(!dump.contains(canary), "the state file holds `{canary}`");
    }
    // The rules did read those fields: the evidence names the accounts and what they hold.
    assert!(
        seen.contains("canary: hashed"),
        "no evidence for the canary account"
    );
    assert!(
        seen.contains("carol: 99999"),
        "no evidence for the canary user"
    );
}
