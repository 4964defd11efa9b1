//! Evaluation of every check method from hand-built facts, with rules written as users write
//! them (YAML through `rules::load`).

use super::*;
use crate::probe::facts::{
    CommandFact, DirEntryFact, DirFact, FileFact, FileKind, PackageManager, PackageSource,
    PackagesFact, StatEntry, UnitsFact,
};
use crate::rules::{RuleSource, load};
use serde_json::json;
use std::collections::BTreeMap;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

struct FactsBuilder(Facts);

/// Facts of an online host with nothing gathered yet.
fn facts() -> FactsBuilder {
    FactsBuilder(Facts::default())
}

impl FactsBuilder {
    fn offline(mut self) -> Self {
        self.0.offline = true;
        self
    }

    fn file(self, path: &str, text: &str) -> Self {
        self.file_fact(path, FileFact::from_bytes(text.as_bytes()))
    }

    fn bytes(self, path: &str, bytes: &[u8]) -> Self {
        self.file_fact(path, FileFact::from_bytes(bytes))
    }

    fn file_fact(mut self, path: &str, fact: FileFact) -> Self {
        self.0.files.insert(path.to_owned(), fact);
        self
    }

    fn stat(mut self, pattern: &str, entries: Vec<StatEntry>) -> Self {
        self.0.stats.insert(pattern.to_owned(), entries);
        self
    }

    /// A directory listing of regular files with text content.
    fn dir(self, dir: &str, pattern: &str, files: &[(&str, &str)]) -> Self {
        let entries = files
            .iter()
            .map(|(name, text)| DirEntryFact {
                name: (*name).to_owned(),
                content: FileFact::from_bytes(text.as_bytes()),
            })
            .collect();
        self.dir_fact(dir, pattern, DirFact::Entries { entries })
    }

    fn dir_fact(mut self, dir: &str, pattern: &str, fact: DirFact) -> Self {
        self.0
            .dirs
            .entry(dir.to_owned())
            .or_default()
            .insert(pattern.to_owned(), fact);
        self
    }

    fn command(self, run: &str, exit_code: i32, stdout: &str) -> Self {
        self.command_fact(
            run,
            CommandFact::Ran {
                exit_code,
                stdout: stdout.to_owned(),
                stderr: String::new(),
                stdout_truncated: false,
            },
        )
    }

    fn command_fact(mut self, run: &str, fact: CommandFact) -> Self {
        self.0.commands.insert(run.to_owned(), fact);
        self
    }

    fn packages(mut self, fact: PackagesFact) -> Self {
        self.0.packages = Some(fact);
        self
    }

    fn units(mut self, fact: UnitsFact) -> Self {
        self.0.units = Some(fact);
        self
    }

    fn os(self, id: &str, version: &str, like: &str) -> Self {
        let text = format!("ID={id}\nVERSION_ID=\"{version}\"\nID_LIKE=\"{like}\"\n");
        self.file("/etc/os-release", &text)
    }

    fn build(self) -> Facts {
        self.0
    }
}

fn entry(path: &str, mode: u32, uid: u32, gid: u32) -> StatEntry {
    StatEntry {
        path: path.to_owned(),
        kind: FileKind::File,
        link_target: None,
        mode: Some(mode),
        uid: Some(uid),
        gid: Some(gid),
    }
}

fn link(path: &str, target: &str) -> StatEntry {
    StatEntry {
        path: path.to_owned(),
        kind: FileKind::Symlink,
        link_target: Some(target.to_owned()),
        mode: None,
        uid: None,
        gid: None,
    }
}

fn ran(stdout: &str) -> CommandFact {
    CommandFact::Ran {
        exit_code: 0,
        stdout: stdout.to_owned(),
        stderr: String::new(),
        stdout_truncated: false,
    }
}

fn load_one(yaml: &str) -> Rule {
    let sources = [RuleSource {
        name: "test.yml".into(),
        text: yaml.to_owned(),
    }];
    let mut set = match load(&sources, &BTreeMap::new()) {
        Ok(set) => set,
        Err(err) => panic!("rule does not load: {err}\n{yaml}"),
    };
    assert_eq!(set.rules.len(), 1);
    set.rules.remove(0)
}

/// A rule around one check written as a YAML flow mapping.
fn rule(check: &str) -> Rule {
    load_one(&format!(
        "id: t\ntitle: test\nseverity: low\ncheck: {check}\n"
    ))
}

fn eval_rule(rule: &Rule, facts: &Facts) -> RuleResult {
    evaluate(rule, &HostView::new(facts), &EvalOptions::default())
}

fn eval(check: &str, facts: &Facts) -> RuleResult {
    eval_rule(&rule(check), facts)
}

/// Asserts status and reason, and returns the single evidence entry.
#[track_caller]
fn only(result: &RuleResult, status: Status, reason: Option<Reason>) -> Evidence {
    assert_eq!(result.status, status, "{result:#?}");
    assert_eq!(result.reason, reason, "{result:#?}");
    assert_eq!(result.evidence.len(), 1, "{result:#?}");
    result.evidence[0].clone()
}

// ---------------------------------------------------------------------------------------------
// command
// ---------------------------------------------------------------------------------------------

const ID_CHECK: &str = r#"{ method: command, run: "id -u", expected_stdout: "0" }"#;

#[test]
fn command_passes_on_exit_and_stdout() {
    let r = eval(ID_CHECK, &facts().command("id -u", 0, "0\n").build());
    let e = only(&r, Status::Pass, None);
    assert_eq!(e.method, "command");
    assert_eq!(e.target, "id -u");
    assert_eq!(e.expected, "exit 0, stdout contains `0`");
    assert_eq!(e.actual, "exit 0");
    assert_eq!(e.source["command"], "id -u");
    assert_eq!(e.source["exit_code"], 0);
    assert_eq!(e.source["stdout"], "0\n");
}

#[test]
fn command_fails_on_exit_code_or_stdout() {
    let r = eval(ID_CHECK, &facts().command("id -u", 1, "0\n").build());
    assert_eq!(only(&r, Status::Fail, None).actual, "exit 1");
    let r = eval(ID_CHECK, &facts().command("id -u", 0, "1000\n").build());
    // "1000" contains "0": a substring match passes...
    assert_eq!(r.status, Status::Pass);
    let r = eval(ID_CHECK, &facts().command("id -u", 0, "1111\n").build());
    assert_eq!(only(&r, Status::Fail, None).actual, "exit 0");
    let check = r#"{ method: command, run: "id -u", stdout_regex: "^0$", expected_exit: 3 }"#;
    let r = eval(check, &facts().command("id -u", 3, "1000\n0\n").build());
    assert_eq!(
        r.status,
        Status::Pass,
        "multi-line regex sees the second line"
    );
    let r = eval(check, &facts().command("id -u", 3, "1000\n").build());
    let e = only(&r, Status::Fail, None);
    assert_eq!(e.expected, "exit 3, stdout matches /^0$/");
}

#[test]
fn command_missing_is_a_probe_error_and_not_assessable_exit_skips() {
    let r = eval(ID_CHECK, &facts().build());
    let e = only(&r, Status::Error, Some(Reason::ProbeFailed));
    assert_eq!(e.actual, "the command was not run");
    assert_eq!(r.detail.as_deref(), Some("the command was not run"));

    let check = r#"{ method: command, run: "x", not_assessable_exit: 4 }"#;
    let r = eval(check, &facts().command("x", 4, "").build());
    let e = only(&r, Status::Skipped, Some(Reason::NotAssessable));
    assert_eq!(e.actual, "exit 4");
    assert_eq!(e.source["exit_code"], 4);
}

#[test]
fn command_malformed_output_timeouts_and_start_failures() {
    let check = r#"{ method: command, run: "x", stdout_regex: "^ok$" }"#;
    let junk = facts().command_fact(
        "x",
        CommandFact::Ran {
            exit_code: 0,
            stdout: String::from_utf8_lossy(b"\xff\xfe\x00ok\x01").into_owned(),
            stderr: String::new(),
            stdout_truncated: true,
        },
    );
    let r = eval(check, &junk.build());
    let e = only(&r, Status::Fail, None);
    assert_eq!(e.source["stdout_truncated"], true);

    let r = eval(
        check,
        &facts()
            .command_fact("x", CommandFact::TimedOut { timeout_ms: 5000 })
            .build(),
    );
    let e = only(&r, Status::Error, Some(Reason::Timeout));
    assert_eq!(e.actual, "the command did not finish within 5000 ms");

    let failed = CommandFact::Failed {
        reason: "killed by signal 9".into(),
    };
    let r = eval(check, &facts().command_fact("x", failed).build());
    let e = only(&r, Status::Error, Some(Reason::ProbeFailed));
    assert_eq!(e.actual, "killed by signal 9");
}

#[test]
fn command_offline_is_not_assessable() {
    let r = eval(
        ID_CHECK,
        &facts().offline().command("id -u", 0, "0").build(),
    );
    let e = only(&r, Status::Skipped, Some(Reason::NotAssessableOffline));
    assert_eq!(e.actual, "a command needs a running system");
}

// ---------------------------------------------------------------------------------------------
// file_exists / file_absent
// ---------------------------------------------------------------------------------------------

#[test]
fn file_exists_pass_fail_missing_and_glob() {
    let check = "{ method: file_exists, path: /etc/issue }";
    let present = facts().stat("/etc/issue", vec![entry("/etc/issue", 0o644, 0, 0)]);
    let e = only(&eval(check, &present.build()), Status::Pass, None);
    assert_eq!(
        (e.method.as_str(), e.target.as_str(), e.expected.as_str()),
        ("file_exists", "/etc/issue", "exists")
    );
    assert_eq!(e.actual, "exists");
    assert_eq!(e.source, json!({ "paths": ["/etc/issue"] }));

    let absent = facts().stat("/etc/issue", vec![]);
    let e = only(&eval(check, &absent.build()), Status::Fail, None);
    assert_eq!(e.actual, "absent");

    // Not gathered at all reads as absent.
    let e = only(&eval(check, &facts().build()), Status::Fail, None);
    assert_eq!(e.source, json!({ "paths": [] }));

    let glob = "{ method: file_exists, path: /etc/cron.d/* }";
    let two = facts().stat(
        "/etc/cron.d/*",
        vec![
            entry("/etc/cron.d/a", 0o644, 0, 0),
            entry("/etc/cron.d/b", 0o644, 0, 0),
        ],
    );
    let e = only(&eval(glob, &two.build()), Status::Pass, None);
    assert_eq!(e.actual, "2 paths exist");
}

#[test]
fn file_exists_counts_a_dangling_symlink_and_works_offline() {
    let check = "{ method: file_exists, path: /etc/localtime }";
    let dangling = facts()
        .offline()
        .stat("/etc/localtime", vec![link("/etc/localtime", "/nowhere")]);
    let e = only(&eval(check, &dangling.build()), Status::Pass, None);
    assert_eq!(e.actual, "exists");
}

#[test]
fn file_absent_pass_fail_missing_and_glob() {
    let check = "{ method: file_absent, path: /etc/hosts.equiv }";
    let e = only(
        &eval(check, &facts().stat("/etc/hosts.equiv", vec![]).build()),
        Status::Pass,
        None,
    );
    assert_eq!(
        (e.expected.as_str(), e.actual.as_str()),
        ("absent", "absent")
    );
    // Not gathered: nothing found there.
    assert_eq!(eval(check, &facts().build()).status, Status::Pass);

    let there = facts().stat(
        "/etc/hosts.equiv",
        vec![entry("/etc/hosts.equiv", 0o600, 0, 0)],
    );
    let e = only(&eval(check, &there.build()), Status::Fail, None);
    assert_eq!(e.actual, "exists");
    assert_eq!(e.source, json!({ "paths": ["/etc/hosts.equiv"] }));

    let glob = "{ method: file_absent, path: /root/.rhosts* }";
    let two = facts().stat(
        "/root/.rhosts*",
        vec![
            entry("/root/.rhosts", 0o600, 0, 0),
            link("/root/.rhosts.bak", "/x"),
        ],
    );
    let e = only(&eval(glob, &two.build()), Status::Fail, None);
    assert_eq!(e.actual, "2 paths exist");
}

// ---------------------------------------------------------------------------------------------
// file_permission
// ---------------------------------------------------------------------------------------------

const PASSWD: &str =
    "root:x:0:0:root:/root:/bin/bash\nsshd:x:105:65534::/run/sshd:/usr/sbin/nologin\n";
const GROUP: &str = "root:x:0:\nshadow:x:42:\n";
const SHADOW_CHECK: &str =
    r#"{ method: file_permission, path: /etc/shadow, mode: "0640", owner: root, group: shadow }"#;

fn with_ids() -> FactsBuilder {
    facts()
        .file("/etc/passwd", PASSWD)
        .file("/etc/group", GROUP)
}

#[test]
fn file_permission_pass_within_maximum() {
    let f = with_ids().stat("/etc/shadow", vec![entry("/etc/shadow", 0o600, 0, 42)]);
    let e = only(&eval(SHADOW_CHECK, &f.build()), Status::Pass, None);
    assert_eq!(e.expected, "mode <= 0640, owner root, group shadow");
    assert_eq!(e.actual, "/etc/shadow 0600 root:shadow");
    assert_eq!(e.source["paths"], json!(["/etc/shadow 0600 root:shadow"]));
}

#[test]
fn file_permission_fail_names_every_problem() {
    let f = with_ids().stat("/etc/shadow", vec![entry("/etc/shadow", 0o644, 105, 0)]);
    let e = only(&eval(SHADOW_CHECK, &f.build()), Status::Fail, None);
    assert_eq!(
        e.actual,
        "/etc/shadow: mode 0644 exceeds 0640; /etc/shadow: owner sshd, not root; \
         /etc/shadow: group root, not shadow"
    );
    // A setuid bit is beyond a plain 0755 maximum.
    let check = r#"{ method: file_permission, path: "/usr/bin/*", mode: "0755" }"#;
    let f = facts().stat(
        "/usr/bin/*",
        vec![
            entry("/usr/bin/a", 0o755, 0, 0),
            entry("/usr/bin/su", 0o4755, 0, 0),
        ],
    );
    let e = only(&eval(check, &f.build()), Status::Fail, None);
    assert_eq!(e.actual, "/usr/bin/su: mode 4755 exceeds 0755");
}

#[test]
fn file_permission_missing_modes() {
    let f = facts().stat("/etc/shadow", vec![]).build();
    let e = only(&eval(SHADOW_CHECK, &f), Status::Fail, None);
    assert_eq!(e.actual, "missing");
    let pass = r#"{ method: file_permission, path: /etc/shadow, mode: 640, missing: pass }"#;
    let e = only(&eval(pass, &f), Status::Pass, None);
    assert_eq!(e.expected, "mode <= 0640");
    let skip = r#"{ method: file_permission, path: /etc/shadow, mode: 640, missing: skip }"#;
    let r = eval(skip, &f);
    only(&r, Status::Skipped, Some(Reason::NotAssessable));
    assert_eq!(r.detail.as_deref(), Some("/etc/shadow does not exist"));
}

#[test]
fn file_permission_malformed_ids_and_dangling_links() {
    // Garbage /etc/passwd: names are unknown, numbers still compare.
    let f = facts()
        .bytes("/etc/passwd", b"\xff\xfegarbage\nroot:x:zero:0\n")
        .file("/etc/group", "")
        .stat("/etc/shadow", vec![entry("/etc/shadow", 0o600, 0, 42)])
        .build();
    let e = only(&eval(SHADOW_CHECK, &f), Status::Fail, None);
    assert_eq!(
        e.actual,
        "/etc/shadow: owner 0, not root; /etc/shadow: group 42, not shadow"
    );
    let numeric = r#"{ method: file_permission, path: /etc/shadow, owner: "0", group: 42 }"#;
    assert_eq!(eval(numeric, &f).status, Status::Pass);

    let dangling = facts().stat("/etc/shadow", vec![link("/etc/shadow", "/gone")]);
    let e = only(&eval(SHADOW_CHECK, &dangling.build()), Status::Fail, None);
    assert_eq!(e.actual, "/etc/shadow: dangling symlink");
    assert_eq!(e.source["symlinks"], json!(["/etc/shadow"]));
}

// ---------------------------------------------------------------------------------------------
// file_content / file_content_match
// ---------------------------------------------------------------------------------------------

const ISSUE: &str = "Authorized uses only.\nAll activity may be monitored.\n";

#[test]
fn file_content_pass_and_fail_with_line() {
    let check = "{ method: file_content, path: /etc/issue, contains: monitored }";
    let f = facts().file("/etc/issue", ISSUE).build();
    let e = only(&eval(check, &f), Status::Pass, None);
    assert_eq!(e.expected, "contains `monitored`");
    assert_eq!(e.actual, "contains it");
    assert_eq!(e.source, json!({ "file": "/etc/issue", "line": 2 }));

    let check = "{ method: file_content, path: /etc/issue, not_contains: Authorized }";
    let e = only(&eval(check, &f), Status::Fail, None);
    assert_eq!(e.expected, "does not contain `Authorized`");
    assert_eq!(e.source["line"], 1);

    let check = "{ method: file_content, path: /etc/issue, contains: Debian }";
    let e = only(&eval(check, &f), Status::Fail, None);
    assert_eq!(e.actual, "does not contain it");
    assert_eq!(e.source["line"], serde_json::Value::Null);
}

#[test]
fn file_content_missing_file() {
    let f = facts().file_fact("/etc/issue", FileFact::Missing).build();
    let check = "{ method: file_content, path: /etc/issue, contains: monitored }";
    let e = only(&eval(check, &f), Status::Fail, None);
    assert_eq!(e.actual, "file is missing");
    assert_eq!(e.source, json!({ "file": "/etc/issue" }));
    // An absence check passes on a missing file.
    let check = "{ method: file_content, path: /etc/issue, not_contains: monitored }";
    assert_eq!(eval(check, &f).status, Status::Pass);
    // Not gathered is a probe error, not a verdict.
    let r = eval(check, &facts().build());
    only(&r, Status::Error, Some(Reason::ProbeFailed));
    assert_eq!(r.detail.as_deref(), Some("/etc/issue was not gathered"));
}

#[test]
fn file_content_malformed_facts() {
    let check = "{ method: file_content, path: /etc/issue, not_contains: secret }";
    let big = facts().file_fact("/etc/issue", FileFact::TooLarge { size: 9_000_000 });
    let r = eval(check, &big.build());
    only(&r, Status::Error, Some(Reason::ProbeFailed));
    assert_eq!(
        r.detail.as_deref(),
        Some("/etc/issue is too large to read (9000000 bytes)")
    );
    let unreadable = facts().file_fact("/etc/issue", FileFact::Unreadable);
    let r = eval(check, &unreadable.build());
    only(&r, Status::Error, Some(Reason::ProbeFailed));
    assert_eq!(
        r.detail.as_deref(),
        Some("/etc/issue is not a readable file")
    );
    // Binary junk is text with replacement characters; the search still works on it.
    let junk = facts().bytes("/etc/issue", b"\x00\xff\xfe\x80secret\x01");
    let e = only(&eval(check, &junk.build()), Status::Fail, None);
    assert_eq!(e.source["line"], 1);
}

#[test]
fn file_content_match_pass_fail_and_line() {
    let check =
        r#"{ method: file_content_match, path: /etc/issue, pattern: '^All .*monitored\.$' }"#;
    let f = facts().file("/etc/issue", ISSUE).build();
    let e = only(&eval(check, &f), Status::Pass, None);
    assert_eq!(e.expected, r"matches /^All .*monitored\.$/");
    assert_eq!(e.actual, "matched: All activity may be monitored.");
    assert_eq!(e.source, json!({ "file": "/etc/issue", "line": 2 }));

    let check =
        "{ method: file_content_match, path: /etc/issue, pattern: '^Debian', expect: match }";
    let e = only(&eval(check, &f), Status::Fail, None);
    assert_eq!(e.actual, "no match");
    let check = r#"{ method: file_content_match, path: /etc/issue, pattern: '\\[rmsv]', expect: no_match }"#;
    let e = only(&eval(check, &f), Status::Pass, None);
    assert_eq!(e.expected, r"does not match /\\[rmsv]/");
    let f = facts().file("/etc/issue", "Debian \\r \\m\n").build();
    let e = only(&eval(check, &f), Status::Fail, None);
    assert_eq!(e.actual, "matched: \\r \\m");
}

#[test]
fn file_content_match_missing_and_malformed() {
    let matching = "{ method: file_content_match, path: /etc/motd, pattern: x }";
    let no_match = "{ method: file_content_match, path: /etc/motd, pattern: x, expect: no_match }";
    let missing = facts().file_fact("/etc/motd", FileFact::Missing).build();
    assert_eq!(
        only(&eval(matching, &missing), Status::Fail, None).actual,
        "file is missing"
    );
    assert_eq!(eval(no_match, &missing).status, Status::Pass);
    let big = facts()
        .file_fact("/etc/motd", FileFact::TooLarge { size: 1 << 30 })
        .build();
    only(
        &eval(no_match, &big),
        Status::Error,
        Some(Reason::ProbeFailed),
    );
    let junk = facts().bytes("/etc/motd", b"\xc3\x28\n\x00\x00").build();
    assert_eq!(eval(no_match, &junk).status, Status::Pass);
}

// ---------------------------------------------------------------------------------------------
// config_value
// ---------------------------------------------------------------------------------------------

const SSHD: &str = "/etc/ssh/sshd_config";

#[test]
fn config_value_pass_and_fail_with_source_line() {
    let check = "{ method: config_value, path: /etc/ssh/sshd_config, key: PermitRootLogin, expected: 'no' }";
    let text = "# PermitRootLogin yes\nPort 22\nPermitRootLogin no\n";
    let e = only(
        &eval(check, &facts().file(SSHD, text).build()),
        Status::Pass,
        None,
    );
    assert_eq!(
        (e.target.as_str(), e.expected.as_str()),
        ("PermitRootLogin", "== no")
    );
    assert_eq!(e.actual, "no");
    assert_eq!(
        e.source,
        json!({ "file": SSHD, "line": 3, "text": "PermitRootLogin no" })
    );
    let text = "PermitRootLogin no\n  PermitRootLogin   prohibit-password\n";
    let e = only(
        &eval(check, &facts().file(SSHD, text).build()),
        Status::Fail,
        None,
    );
    assert_eq!(e.actual, "prohibit-password");
    assert_eq!(e.source["line"], 2, "the last occurrence is the default");
}

#[test]
fn config_value_missing_key_file_and_missing_pass() {
    let check = "{ method: config_value, path: /etc/ssh/sshd_config, key: PermitRootLogin, expected: 'no' }";
    let f = facts()
        .file(SSHD, "# PermitRootLogin no\nPort 22\n")
        .build();
    let e = only(&eval(check, &f), Status::Fail, None);
    assert_eq!(e.actual, "not set");
    assert_eq!(e.source, json!({ "files_read": [SSHD] }));
    let f = facts().file_fact(SSHD, FileFact::Missing).build();
    let e = only(&eval(check, &f), Status::Fail, None);
    assert_eq!(e.source, json!({ "files_read": [] }));
    let pass = "{ method: config_value, path: /etc/ssh/sshd_config, key: PermitRootLogin, expected: 'no', missing: pass }";
    assert_eq!(only(&eval(pass, &f), Status::Pass, None).actual, "not set");
    // Without `expected` the key only has to be set.
    let set = "{ method: config_value, path: /etc/ssh/sshd_config, key: Port }";
    let e = only(
        &eval(set, &facts().file(SSHD, "Port 2222\n").build()),
        Status::Pass,
        None,
    );
    assert_eq!((e.expected.as_str(), e.actual.as_str()), ("set", "2222"));
}

#[test]
fn config_value_malformed_content() {
    let check = "{ method: config_value, path: /etc/security/limits.conf, key: maxlogins, expected: 4, comparator: '<=' }";
    let path = "/etc/security/limits.conf";
    let e = only(
        &eval(check, &facts().file(path, "maxlogins unlimited\n").build()),
        Status::Fail,
        None,
    );
    assert_eq!(e.expected, "<= 4");
    assert_eq!(
        e.actual,
        "unlimited (actual value `unlimited` is not a number)"
    );
    assert_eq!(e.source["line"], 1);
    // Binary junk holds no key.
    let junk = facts()
        .bytes(path, b"\x00\x01\xff maxlogins\xfe\n\x7f")
        .build();
    assert_eq!(
        only(&eval(check, &junk), Status::Fail, None).actual,
        "not set"
    );
    // A file that could not be read is never "not set".
    let big = facts()
        .file_fact(path, FileFact::TooLarge { size: 10 << 20 })
        .build();
    let r = eval(check, &big);
    only(&r, Status::Error, Some(Reason::ProbeFailed));
    assert_eq!(
        r.detail.as_deref(),
        Some("/etc/security/limits.conf is too large (10485760 bytes)")
    );
    let unreadable = facts().file_fact(path, FileFact::Unreadable).build();
    only(
        &eval(check, &unreadable),
        Status::Error,
        Some(Reason::ProbeFailed),
    );
}

#[test]
fn config_value_unreadable_later_file_is_not_ignored() {
    // With last-wins, an unreadable file read after the hit could override it.
    let check = "{ method: config_value, path: [/etc/a.conf, /etc/b.conf], key: x, expected: '1' }";
    let f = facts()
        .file("/etc/a.conf", "x 1\n")
        .file_fact("/etc/b.conf", FileFact::Unreadable)
        .build();
    let r = eval(check, &f);
    only(&r, Status::Error, Some(Reason::ProbeFailed));
    assert_eq!(r.detail.as_deref(), Some("/etc/b.conf is not readable"));
}

#[test]
fn config_value_first_occurrence_and_stop_at_match() {
    let check = r#"{ method: config_value, path: /etc/ssh/sshd_config, key: PasswordAuthentication,
        expected: "no", occurrence: first, stop_at: '^\s*Match\s' }"#;
    let text = "PasswordAuthentication no\nPasswordAuthentication yes\n";
    let e = only(
        &eval(check, &facts().file(SSHD, text).build()),
        Status::Pass,
        None,
    );
    assert_eq!(e.source["line"], 1);
    let text = "Port 22\nMatch User backup\n  PasswordAuthentication no\n";
    let e = only(
        &eval(check, &facts().file(SSHD, text).build()),
        Status::Fail,
        None,
    );
    assert_eq!(e.actual, "not set", "a Match block is not a global setting");
    let text = "Port 22\nPasswordAuthentication yes\nMatch all\nPasswordAuthentication no\n";
    let e = only(
        &eval(check, &facts().file(SSHD, text).build()),
        Status::Fail,
        None,
    );
    assert_eq!(e.actual, "yes");
}

#[test]
fn config_value_dirs_scan_pattern_and_path_lists() {
    let check = r#"{ method: config_value, path: [/etc/ssh/sshd_config.d, /etc/ssh/sshd_config],
        scan_pattern: "*.conf", key: permitrootlogin, case_insensitive_key: true,
        occurrence: first, expected: "no" }"#;
    let f = facts()
        .dir(
            "/etc/ssh/sshd_config.d",
            "*.conf",
            &[
                ("10-a.conf", "PERMITROOTLOGIN \"no\"\n"),
                ("20-b.conf", "PermitRootLogin yes\n"),
            ],
        )
        .dir_fact(SSHD, "*.conf", DirFact::Missing)
        .file(SSHD, "PermitRootLogin yes\n")
        .build();
    let e = only(&eval(check, &f), Status::Pass, None);
    assert_eq!(e.actual, "no", "quotes are stripped");
    assert_eq!(
        e.source,
        json!({ "file": "/etc/ssh/sshd_config.d/10-a.conf", "line": 1,
                "text": "PERMITROOTLOGIN \"no\"" })
    );
    // Last-wins reads the paths in the order given: the main file comes last.
    let last = check.replace("occurrence: first,", "");
    let e = only(&eval(&last, &f), Status::Fail, None);
    assert_eq!(e.source["file"], SSHD);
    // Case-sensitive by default.
    let strict = check.replace("case_insensitive_key: true,", "");
    let e = only(&eval(&strict, &f), Status::Fail, None);
    assert_eq!(
        e.source,
        json!({ "files_read": ["/etc/ssh/sshd_config.d/10-a.conf",
                               "/etc/ssh/sshd_config.d/20-b.conf", SSHD] })
    );
}

#[test]
fn config_value_equals_delimiter_and_quotes() {
    let check = r#"{ method: config_value, path: /etc/login.defs.d/x, key: UMASK, delimiter: "=", expected: "027" }"#;
    let path = "/etc/login.defs.d/x";
    let f = facts().file(path, "  UMASK = '027'  \nOTHER=1\n").build();
    let e = only(&eval(check, &f), Status::Pass, None);
    assert_eq!(e.actual, "027");
    assert_eq!(e.source["text"], "UMASK = '027'");
    let f = facts().file(path, "UMASK 027\n").build();
    assert_eq!(only(&eval(check, &f), Status::Fail, None).actual, "not set");
}

// ---------------------------------------------------------------------------------------------
// sshd_effective_config
// ---------------------------------------------------------------------------------------------

const SSHD_T_OUT: &str =
    "port 22\npermitrootlogin no\nmaxauthtries 4\nciphers aes256-gcm@openssh.com,aes128-ctr\n";

#[test]
fn sshd_effective_config_pass_and_fail() {
    let f = facts().command("sshd -T", 0, SSHD_T_OUT).build();
    let check = "{ method: sshd_effective_config, key: PermitRootLogin, expected: 'no' }";
    let e = only(&eval(check, &f), Status::Pass, None);
    assert_eq!(
        (e.target.as_str(), e.actual.as_str()),
        ("permitrootlogin", "no")
    );
    assert_eq!(e.source, json!({ "command": "sshd -T" }));
    let check =
        "{ method: sshd_effective_config, key: MaxAuthTries, expected: 3, comparator: '<=' }";
    let e = only(&eval(check, &f), Status::Fail, None);
    assert_eq!((e.expected.as_str(), e.actual.as_str()), ("<= 3", "4"));
    let check =
        "{ method: sshd_effective_config, key: ciphers, expected: 'cbc', comparator: '!=' }";
    assert_eq!(eval(check, &f).status, Status::Pass);
}

#[test]
fn sshd_effective_config_missing_key() {
    let f = facts().command("sshd -T", 0, SSHD_T_OUT).build();
    let check = "{ method: sshd_effective_config, key: banner, expected: /etc/issue.net }";
    let e = only(&eval(check, &f), Status::Fail, None);
    assert_eq!(e.actual, "not set");
    let r = eval(check, &facts().build());
    only(&r, Status::Error, Some(Reason::ProbeFailed));
    assert_eq!(r.detail.as_deref(), Some("`sshd -T` was not gathered"));
}

#[test]
fn sshd_effective_config_malformed_output() {
    let check =
        "{ method: sshd_effective_config, key: maxauthtries, expected: 4, comparator: '<=' }";
    let f = facts().command("sshd -T", 0, "maxauthtries lots\n").build();
    let e = only(&eval(check, &f), Status::Fail, None);
    assert_eq!(e.actual, "lots (actual value `lots` is not a number)");
    let f = facts()
        .command("sshd -T", 0, "\u{fffd}\u{0}garbage\n\n   \nmaxauthtries\n")
        .build();
    assert_eq!(only(&eval(check, &f), Status::Fail, None).actual, "not set");
    let failed = CommandFact::Ran {
        exit_code: 255,
        stdout: String::new(),
        stderr: "/etc/ssh/sshd_config line 3: Bad configuration option: Foo\nmore\n".into(),
        stdout_truncated: false,
    };
    let r = eval(check, &facts().command_fact("sshd -T", failed).build());
    only(&r, Status::Error, Some(Reason::ProbeFailed));
    assert_eq!(
        r.detail.as_deref(),
        Some("`sshd -T` exited 255: /etc/ssh/sshd_config line 3: Bad configuration option: Foo")
    );
    let r = eval(
        check,
        &facts()
            .command_fact("sshd -T", CommandFact::TimedOut { timeout_ms: 30000 })
            .build(),
    );
    only(&r, Status::Error, Some(Reason::ProbeFailed));
}

#[test]
fn sshd_effective_config_offline() {
    let check = "{ method: sshd_effective_config, key: permitrootlogin, expected: 'no' }";
    let r = eval(check, &facts().offline().build());
    only(&r, Status::Skipped, Some(Reason::NotAssessableOffline));
}

// ---------------------------------------------------------------------------------------------
// sysctl_value
// ---------------------------------------------------------------------------------------------

const FORWARD: &str = "/proc/sys/net/ipv4/ip_forward";
const FORWARD_CHECK: &str = "{ method: sysctl_value, key: net.ipv4.ip_forward, expected: 0 }";
const FORWARD_PERSISTED: &str =
    "{ method: sysctl_value, key: net.ipv4.ip_forward, expected: 0, persisted: true }";

#[test]
fn sysctl_runtime_pass_fail_and_whitespace() {
    let e = only(
        &eval(FORWARD_CHECK, &facts().file(FORWARD, "0\n").build()),
        Status::Pass,
        None,
    );
    assert_eq!(
        (e.expected.as_str(), e.actual.as_str()),
        ("== 0", "running: 0")
    );
    assert_eq!(e.source, json!({ "running": FORWARD }));
    let e = only(
        &eval(FORWARD_CHECK, &facts().file(FORWARD, "1\n").build()),
        Status::Fail,
        None,
    );
    assert_eq!(e.actual, "running: 1");
    let check =
        r#"{ method: sysctl_value, key: net.ipv4.tcp_rmem, expected: "4096  131072 6291456" }"#;
    let f = facts()
        .file("/proc/sys/net/ipv4/tcp_rmem", "4096\t131072\t6291456\n")
        .build();
    assert_eq!(eval(check, &f).status, Status::Pass);
}

#[test]
fn sysctl_missing_key_fails_and_unreadable_is_an_error() {
    let f = facts().file_fact(FORWARD, FileFact::Missing).build();
    let e = only(&eval(FORWARD_CHECK, &f), Status::Fail, None);
    assert_eq!(e.actual, "the kernel has no such key");
    assert_eq!(e.source, json!({ "file": FORWARD }));
    let f = facts().file_fact(FORWARD, FileFact::Unreadable).build();
    let r = eval(FORWARD_CHECK, &f);
    only(&r, Status::Error, Some(Reason::ProbeFailed));
    assert_eq!(
        r.detail.as_deref(),
        Some("/proc/sys/net/ipv4/ip_forward could not be read")
    );
}

#[test]
fn sysctl_malformed_values() {
    let check = "{ method: sysctl_value, key: kernel.pid_max, expected: 32768, comparator: '>=' }";
    let f = facts()
        .bytes("/proc/sys/kernel/pid_max", b"\xffjunk\n")
        .build();
    let e = only(&eval(check, &f), Status::Fail, None);
    assert_eq!(
        e.actual,
        "actual value `\u{fffd}junk` is not a number, running: \u{fffd}junk"
    );
    // The persisted value gets the same explanation.
    let check = "{ method: sysctl_value, key: kernel.pid_max, expected: 32768, comparator: '>=', persisted: true }";
    let f = facts()
        .offline()
        .dir(
            "/etc/sysctl.d",
            "*.conf",
            &[("10-pid.conf", "kernel.pid_max = many\n")],
        )
        .build();
    let e = only(&eval(check, &f), Status::Fail, None);
    assert_eq!(
        e.actual,
        "persisted: many (actual value `many` is not a number)"
    );
    assert_eq!(
        e.source,
        json!({ "persisted": { "file": "/etc/sysctl.d/10-pid.conf", "line": 1 } })
    );
}

#[test]
fn sysctl_persisted_precedence() {
    let f = facts()
        .file(FORWARD, "0\n")
        .dir(
            "/usr/lib/sysctl.d",
            "*.conf",
            &[
                ("50-default.conf", "net.ipv4.ip_forward = 1\n"),
                ("99-z.conf", "; net.ipv4.ip_forward = 1\n"),
            ],
        )
        .dir(
            "/etc/sysctl.d",
            "*.conf",
            &[("50-default.conf", "# hidden\n")],
        )
        .build();
    // The /etc file of the same name hides /usr/lib's, and nothing else sets the key.
    let e = only(&eval(FORWARD_PERSISTED, &f), Status::Fail, None);
    assert_eq!(e.actual, "running: 0, persisted: not set");

    let f = facts()
        .file(FORWARD, "0\n")
        .dir(
            "/usr/lib/sysctl.d",
            "*.conf",
            &[("90-late.conf", "net/ipv4/ip_forward=0\n")],
        )
        .dir(
            "/etc/sysctl.d",
            "*.conf",
            &[("10-early.conf", "net.ipv4.ip_forward = 1\n")],
        )
        .build();
    // Later file names override earlier ones, whatever directory they sit in.
    let e = only(&eval(FORWARD_PERSISTED, &f), Status::Pass, None);
    assert_eq!(e.actual, "running: 0, persisted: 0");
    assert_eq!(
        e.source,
        json!({ "running": FORWARD,
                "persisted": { "file": "/usr/lib/sysctl.d/90-late.conf", "line": 1 } })
    );

    // /etc/sysctl.conf is applied last of all.
    let f = facts()
        .file(FORWARD, "0\n")
        .dir(
            "/etc/sysctl.d",
            "*.conf",
            &[("99-z.conf", "net.ipv4.ip_forward = 0\n")],
        )
        .file("/etc/sysctl.conf", "-net.ipv4.ip_forward = 1\n")
        .build();
    let e = only(&eval(FORWARD_PERSISTED, &f), Status::Fail, None);
    assert_eq!(e.actual, "running: 0, persisted: 1");
    assert_eq!(e.source["persisted"]["file"], "/etc/sysctl.conf");

    // Glob keys apply too.
    let f = facts()
        .file(FORWARD, "0\n")
        .dir(
            "/etc/sysctl.d",
            "*.conf",
            &[("10.conf", "net.ipv4.ip_* = 0\n")],
        )
        .build();
    assert_eq!(eval(FORWARD_PERSISTED, &f).status, Status::Pass);
}

#[test]
fn sysctl_offline_uses_only_the_persisted_part() {
    let f = facts()
        .offline()
        .dir(
            "/etc/sysctl.d",
            "*.conf",
            &[("10.conf", "net.ipv4.ip_forward=0\n")],
        )
        .build();
    let e = only(&eval(FORWARD_PERSISTED, &f), Status::Pass, None);
    assert_eq!(e.actual, "persisted: 0");
    let r = eval(FORWARD_CHECK, &f);
    let e = only(&r, Status::Skipped, Some(Reason::NotAssessableOffline));
    assert_eq!(
        e.actual,
        "the running kernel's value needs a running system"
    );
}

// ---------------------------------------------------------------------------------------------
// package_state
// ---------------------------------------------------------------------------------------------

fn dpkg(names: &[&str]) -> PackagesFact {
    PackagesFact {
        sources: vec![PackageSource {
            manager: PackageManager::Dpkg,
            origin: "/var/lib/dpkg/status".into(),
            installed: names.iter().map(|n| (*n).to_owned()).collect(),
        }],
        errors: vec![],
    }
}

#[test]
fn package_state_pass_and_fail() {
    let f = facts().packages(dpkg(&["openssh-server", "aide"])).build();
    let check = "{ method: package_state, name: aide }";
    let e = only(&eval(check, &f), Status::Pass, None);
    assert_eq!(
        (e.expected.as_str(), e.actual.as_str()),
        ("present", "installed")
    );
    assert_eq!(e.source, json!({ "databases": ["/var/lib/dpkg/status"] }));
    let check = "{ method: package_state, name: aide, state: absent }";
    let e = only(&eval(check, &f), Status::Fail, None);
    assert_eq!(e.expected, "absent");
}

#[test]
fn package_state_wildcards_match_installed_names() {
    let f = facts()
        .packages(dpkg(&["xserver-xorg-core", "aide"]))
        .build();
    only(
        &eval(
            "{ method: package_state, name: 'xserver-xorg*', state: absent }",
            &f,
        ),
        Status::Fail,
        None,
    );
    only(
        &eval(
            "{ method: package_state, name: 'xorg-x11-server*', state: absent }",
            &f,
        ),
        Status::Pass,
        None,
    );
    only(
        &eval("{ method: package_state, name: 'aid?' }", &f),
        Status::Pass,
        None,
    );
    // Without a wildcard the name is exact.
    only(
        &eval(
            "{ method: package_state, name: xserver-xorg, state: absent }",
            &f,
        ),
        Status::Pass,
        None,
    );
}

#[test]
fn package_state_missing_package() {
    let f = facts().packages(dpkg(&["openssh-server"])).build();
    let e = only(
        &eval("{ method: package_state, name: aide }", &f),
        Status::Fail,
        None,
    );
    assert_eq!(e.actual, "not installed");
    let check = "{ method: package_state, name: telnetd, state: absent }";
    assert_eq!(eval(check, &f).status, Status::Pass);
}

#[test]
fn package_state_unreadable_databases() {
    let check = "{ method: package_state, name: aide, state: absent }";
    let broken = PackagesFact {
        sources: vec![],
        errors: vec!["/var/lib/dpkg/status: line 3: junk".into()],
    };
    let r = eval(check, &facts().packages(broken).build());
    only(&r, Status::Error, Some(Reason::ProbeFailed));
    assert_eq!(
        r.detail.as_deref(),
        Some("no package database could be read: /var/lib/dpkg/status: line 3: junk")
    );
    let r = eval(check, &facts().packages(PackagesFact::default()).build());
    only(&r, Status::Error, Some(Reason::ProbeFailed));
    assert_eq!(
        r.detail.as_deref(),
        Some("no package database (dpkg, rpm, apk) found")
    );
    let r = eval(check, &facts().build());
    only(&r, Status::Error, Some(Reason::ProbeFailed));
}

// ---------------------------------------------------------------------------------------------
// service_state
// ---------------------------------------------------------------------------------------------

fn show(blocks: &[(&str, &str, &str, &str)]) -> UnitsFact {
    let text = blocks
        .iter()
        .map(|(id, load, active, file)| {
            format!("Id={id}\nLoadState={load}\nActiveState={active}\nUnitFileState={file}\n")
        })
        .collect::<Vec<_>>()
        .join("\n");
    UnitsFact::Ran { output: ran(&text) }
}

#[test]
fn service_state_from_systemctl_show() {
    let check = "{ method: service_state, name: auditd, enabled: true, active: true }";
    let f = facts()
        .units(show(&[
            ("auditd.service", "loaded", "active", "enabled"),
            ("rsync.service", "masked", "inactive", "masked"),
        ]))
        .build();
    let e = only(&eval(check, &f), Status::Pass, None);
    assert_eq!(e.target, "auditd.service");
    assert_eq!(e.expected, "enabled=true, active=true");
    assert_eq!(e.actual, "enabled=true, masked=false, active=true");
    assert_eq!(
        e.source,
        json!({ "command": "systemctl show", "unit": "auditd.service" })
    );
    let masked = "{ method: service_state, name: rsync.service, masked: true, active: false }";
    assert_eq!(eval(masked, &f).status, Status::Pass);

    let f = facts()
        .units(show(&[("auditd.service", "loaded", "failed", "enabled")]))
        .build();
    let e = only(&eval(check, &f), Status::Fail, None);
    assert_eq!(e.actual, "enabled=true, masked=false, active=false");
}

#[test]
fn service_state_unknown_unit() {
    let check = "{ method: service_state, name: auditd, enabled: true, active: true }";
    let f = facts()
        .units(show(&[("auditd.service", "not-found", "inactive", "")]))
        .build();
    let e = only(&eval(check, &f), Status::Fail, None);
    assert_eq!(e.actual, "enabled=false, masked=false, active=false");
    let absent = "{ method: service_state, name: telnet.socket, enabled: false, active: false }";
    let f = facts()
        .units(show(&[("telnet.socket", "not-found", "inactive", "")]))
        .build();
    assert_eq!(
        only(&eval(absent, &f), Status::Pass, None).target,
        "telnet.socket"
    );
}

#[test]
fn service_state_malformed_systemctl_output_is_a_probe_error() {
    let check = "{ method: service_state, name: auditd, enabled: true, active: true }";
    let links = |b: FactsBuilder| {
        b.stat(
            "/etc/systemd/system/*.wants/auditd.service",
            vec![link(
                "/etc/systemd/system/multi-user.target.wants/auditd.service",
                "/lib/systemd/system/auditd.service",
            )],
        )
    };
    let garbage = UnitsFact::Ran {
        output: ran("\u{fffd}\u{0}not properties at all\n"),
    };
    let r = eval(check, &links(facts().units(garbage)).build());
    only(&r, Status::Error, Some(Reason::ProbeFailed));
    assert_eq!(
        r.detail.as_deref(),
        Some("`systemctl show` did not describe auditd.service (got 26 bytes)")
    );
    let failed = UnitsFact::Ran {
        output: CommandFact::Ran {
            exit_code: 1,
            stdout: String::new(),
            stderr: "Failed to connect to bus".into(),
            stdout_truncated: false,
        },
    };
    let r = eval(check, &links(facts().units(failed)).build());
    only(&r, Status::Error, Some(Reason::ProbeFailed));
    assert_eq!(
        r.detail.as_deref(),
        Some("`systemctl show` exited 1: Failed to connect to bus")
    );
    let timed_out = UnitsFact::Ran {
        output: CommandFact::TimedOut { timeout_ms: 30000 },
    };
    let r = eval(check, &links(facts().units(timed_out)).build());
    only(&r, Status::Error, Some(Reason::ProbeFailed));
}

#[test]
fn service_state_from_unit_links_offline_and_without_systemd() {
    let enabled = "{ method: service_state, name: auditd, enabled: true }";
    let wants = "/etc/systemd/system/*.wants/auditd.service";
    let f = facts()
        .offline()
        .stat(
            wants,
            vec![link(
                "/etc/systemd/system/multi-user.target.wants/auditd.service",
                "/lib/systemd/system/auditd.service",
            )],
        )
        .build();
    let e = only(&eval(enabled, &f), Status::Pass, None);
    assert_eq!(e.actual, "enabled=true, masked=false");
    assert_eq!(e.source, json!({ "unit_links": "/etc/systemd/system" }));
    let e = only(
        &eval(enabled, &facts().offline().build()),
        Status::Fail,
        None,
    );
    assert_eq!(e.actual, "enabled=false, masked=false");

    let masked = "{ method: service_state, name: rsync, masked: true }";
    let f = facts()
        .units(UnitsFact::NotRunning)
        .stat(
            "/etc/systemd/system/rsync.service",
            vec![link("/etc/systemd/system/rsync.service", "/dev/null")],
        )
        .build();
    assert_eq!(
        only(&eval(masked, &f), Status::Pass, None).actual,
        "enabled=false, masked=true"
    );

    let active = "{ method: service_state, name: auditd, enabled: true, active: true }";
    let offline = facts()
        .offline()
        .stat(
            wants,
            vec![link(
                "/etc/systemd/system/multi-user.target.wants/auditd.service",
                "/x",
            )],
        )
        .build();
    only(
        &eval(active, &offline),
        Status::Skipped,
        Some(Reason::NotAssessableOffline),
    );
    let not_running = facts()
        .units(UnitsFact::NotRunning)
        .stat(
            wants,
            vec![link(
                "/etc/systemd/system/multi-user.target.wants/auditd.service",
                "/x",
            )],
        )
        .build();
    only(
        &eval(active, &not_running),
        Status::Skipped,
        Some(Reason::NotAssessable),
    );
    // Failing on what can be assessed decides, even if `active` cannot be known.
    let e = only(
        &eval(active, &facts().offline().build()),
        Status::Fail,
        None,
    );
    assert_eq!(e.actual, "enabled=false, masked=false");
}

// ---------------------------------------------------------------------------------------------
// kernel_module_state
// ---------------------------------------------------------------------------------------------

const MODULES: &str = "ext4 1003520 1 - Live 0x0\nusb_storage 81920 0 - Live 0x0\n";

#[test]
fn kernel_module_disabled_pass_and_fail() {
    let check = "{ method: kernel_module_state, name: cramfs, state: disabled }";
    let f = facts()
        .file("/proc/modules", MODULES)
        .dir(
            "/etc/modprobe.d",
            "*.conf",
            &[("cis.conf", "# cramfs\ninstall cramfs /bin/false\n")],
        )
        .build();
    let e = only(&eval(check, &f), Status::Pass, None);
    assert_eq!(e.expected, "disabled (install /bin/false) and not loaded");
    assert_eq!(e.actual, "configured, not loaded");
    assert_eq!(
        e.source,
        json!({ "config": { "file": "/etc/modprobe.d/cis.conf", "line": 2 },
                "loaded_from": "/proc/modules" })
    );
    // Blacklisting does not disable: `modprobe cramfs` would still load it.
    let f = facts()
        .file("/proc/modules", MODULES)
        .dir(
            "/etc/modprobe.d",
            "*.conf",
            &[("cis.conf", "blacklist cramfs\n")],
        )
        .build();
    let e = only(&eval(check, &f), Status::Fail, None);
    assert_eq!(e.actual, "not configured, not loaded");
    let blacklisted = "{ method: kernel_module_state, name: cramfs, state: blacklisted }";
    assert_eq!(eval(blacklisted, &f).status, Status::Pass);
    let f = facts()
        .file("/proc/modules", MODULES)
        .dir(
            "/etc/modprobe.d",
            "*.conf",
            &[("cis.conf", "install cramfs /bin/true\n")],
        )
        .build();
    assert_eq!(eval(blacklisted, &f).status, Status::Fail);
}

#[test]
fn kernel_module_loaded_and_hyphen_names() {
    let check = "{ method: kernel_module_state, name: usb-storage, state: disabled }";
    let f = facts()
        .file("/proc/modules", MODULES)
        .dir(
            "/usr/lib/modprobe.d",
            "*.conf",
            &[("x.conf", "install usb-storage /bin/true\n")],
        )
        .build();
    let e = only(&eval(check, &f), Status::Fail, None);
    assert_eq!(e.target, "usb_storage");
    assert_eq!(e.actual, "configured, loaded");
    let not_loaded = "{ method: kernel_module_state, name: ext4, state: not_loaded }";
    assert_eq!(
        only(&eval(not_loaded, &f), Status::Fail, None).actual,
        "loaded"
    );
}

#[test]
fn kernel_module_missing_config_and_hidden_files() {
    let check = "{ method: kernel_module_state, name: cramfs, state: blacklisted }";
    let e = only(
        &eval(check, &facts().file("/proc/modules", MODULES).build()),
        Status::Fail,
        None,
    );
    assert_eq!(e.actual, "not configured, not loaded");
    assert_eq!(e.source["config"], serde_json::Value::Null);
    // A file in /etc/modprobe.d hides the same name in /usr/lib/modprobe.d.
    let f = facts()
        .file("/proc/modules", MODULES)
        .dir(
            "/usr/lib/modprobe.d",
            "*.conf",
            &[("cramfs.conf", "blacklist cramfs\n")],
        )
        .dir(
            "/etc/modprobe.d",
            "*.conf",
            &[("cramfs.conf", "# removed\n")],
        )
        .build();
    assert_eq!(eval(check, &f).status, Status::Fail);
}

#[test]
fn kernel_module_malformed_and_unreadable_facts() {
    let check = "{ method: kernel_module_state, name: cramfs, state: disabled }";
    let config = facts().dir(
        "/etc/modprobe.d",
        "*.conf",
        &[(
            "junk.conf",
            "\u{0}\u{fffd}install\ninstall cramfs\ninstallcramfs /bin/false\n",
        )],
    );
    let e = only(
        &eval(
            check,
            &config.file("/proc/modules", "\u{fffd}\u{fffd}\n").build(),
        ),
        Status::Fail,
        None,
    );
    assert_eq!(e.actual, "not configured, not loaded");
    let good = facts().dir(
        "/etc/modprobe.d",
        "*.conf",
        &[("c.conf", "install cramfs /bin/false\n")],
    );
    let r = eval(
        check,
        &good
            .file_fact("/proc/modules", FileFact::Unreadable)
            .build(),
    );
    only(&r, Status::Error, Some(Reason::ProbeFailed));
    assert_eq!(r.detail.as_deref(), Some("/proc/modules could not be read"));
}

#[test]
fn kernel_module_offline_assesses_configuration_only() {
    let check = "{ method: kernel_module_state, name: cramfs, state: disabled }";
    let f = facts()
        .offline()
        .dir(
            "/etc/modprobe.d",
            "*.conf",
            &[("c.conf", "install cramfs /bin/false\n")],
        )
        .build();
    let e = only(&eval(check, &f), Status::Pass, None);
    assert_eq!(e.actual, "configured");
    let e = only(&eval(check, &facts().offline().build()), Status::Fail, None);
    assert_eq!(e.actual, "not configured");
    let not_loaded = "{ method: kernel_module_state, name: cramfs, state: not_loaded }";
    only(
        &eval(not_loaded, &f),
        Status::Skipped,
        Some(Reason::NotAssessableOffline),
    );
}

// ---------------------------------------------------------------------------------------------
// mount_option
// ---------------------------------------------------------------------------------------------

const TMP_CHECK: &str =
    "{ method: mount_option, mount_point: /tmp, options: [nodev, nosuid, noexec] }";
const TMP_FSTAB: &str =
    "{ method: mount_option, mount_point: /tmp, options: [nodev, nosuid, noexec], in_fstab: true }";
const MOUNTS: &str = "proc /proc proc rw,nosuid,nodev,noexec 0 0\n\
                      tmpfs /tmp tmpfs rw,nosuid,nodev,noexec,relatime 0 0\n";

#[test]
fn mount_option_pass_and_fail() {
    let e = only(
        &eval(TMP_CHECK, &facts().file("/proc/mounts", MOUNTS).build()),
        Status::Pass,
        None,
    );
    assert_eq!(
        (e.target.as_str(), e.expected.as_str()),
        ("/tmp", "nodev,nosuid,noexec")
    );
    assert_eq!(e.actual, "mounted with rw,nosuid,nodev,noexec,relatime");
    assert_eq!(e.source, json!({ "files": ["/proc/mounts", "/etc/fstab"] }));
    // The last entry for a mount point is the one on top.
    let over = format!("{MOUNTS}/dev/sda2 /tmp ext4 rw,nodev 0 0\n");
    let e = only(
        &eval(TMP_CHECK, &facts().file("/proc/mounts", &over).build()),
        Status::Fail,
        None,
    );
    assert_eq!(e.actual, "mounted with rw,nodev");
}

#[test]
fn mount_option_fstab_too() {
    let fstab = "# /tmp\nUUID=1 / ext4 defaults 0 1\ntmpfs /tmp tmpfs defaults,nodev 0 0\n";
    let f = facts()
        .file("/proc/mounts", MOUNTS)
        .file("/etc/fstab", fstab)
        .build();
    let e = only(&eval(TMP_FSTAB, &f), Status::Fail, None);
    assert_eq!(
        e.actual,
        "mounted with rw,nosuid,nodev,noexec,relatime; fstab: defaults,nodev"
    );
    let f = facts()
        .file("/proc/mounts", MOUNTS)
        .file("/etc/fstab", "UUID=1 / ext4 defaults 0 1\n")
        .build();
    let e = only(&eval(TMP_FSTAB, &f), Status::Fail, None);
    assert_eq!(
        e.actual,
        "mounted with rw,nosuid,nodev,noexec,relatime; fstab: no entry"
    );
    let good = "tmpfs /tmp tmpfs nodev,nosuid,noexec 0 0\n";
    let f = facts()
        .file("/proc/mounts", MOUNTS)
        .file("/etc/fstab", good)
        .build();
    assert_eq!(eval(TMP_FSTAB, &f).status, Status::Pass);
}

#[test]
fn mount_option_missing_mount_point() {
    let f = facts()
        .file("/proc/mounts", "proc /proc proc rw 0 0\n")
        .build();
    let e = only(&eval(TMP_CHECK, &f), Status::Fail, None);
    assert_eq!(e.actual, "not mounted");
    let skip = "{ method: mount_option, mount_point: /tmp, options: [nodev], missing: skip }";
    let r = eval(skip, &f);
    only(&r, Status::Skipped, Some(Reason::NotAssessable));
    assert_eq!(r.detail.as_deref(), Some("/tmp is not mounted"));
}

#[test]
fn mount_option_malformed_and_unreadable() {
    let junk = "\u{fffd}\u{0}\ngarbage\n/tmp\nnone /tmp\n";
    let e = only(
        &eval(TMP_CHECK, &facts().file("/proc/mounts", junk).build()),
        Status::Fail,
        None,
    );
    assert_eq!(e.actual, "mounted with ");
    let r = eval(
        TMP_CHECK,
        &facts()
            .file_fact("/proc/mounts", FileFact::Unreadable)
            .build(),
    );
    only(&r, Status::Error, Some(Reason::ProbeFailed));
    assert_eq!(r.detail.as_deref(), Some("/proc/mounts could not be read"));
}

#[test]
fn mount_option_offline() {
    let r = eval(TMP_CHECK, &facts().offline().build());
    only(&r, Status::Skipped, Some(Reason::NotAssessableOffline));
    let f = facts()
        .offline()
        .file("/etc/fstab", "tmpfs /tmp tmpfs nodev,nosuid,noexec 0 0\n")
        .build();
    let e = only(&eval(TMP_FSTAB, &f), Status::Pass, None);
    assert_eq!(e.actual, "fstab: nodev,nosuid,noexec");
    let f = facts().offline().file("/etc/fstab", "").build();
    let e = only(&eval(TMP_FSTAB, &f), Status::Fail, None);
    assert_eq!(e.actual, "not in /etc/fstab");
}

// ---------------------------------------------------------------------------------------------
// grub_parameter
// ---------------------------------------------------------------------------------------------

const GRUB_CFG: &str = "menuentry 'Debian' {\n\tlinux /vmlinuz-6.1 root=UUID=1 ro quiet audit=1\n}\n\
                        menuentry 'Recovery' {\n\tlinux /vmlinuz-6.1 root=UUID=1 ro single audit=1\n}\n";
const AUDIT_ON: &str = "{ method: grub_parameter, name: audit, value: 1 }";

#[test]
fn grub_parameter_present_everywhere() {
    let f = facts()
        .file("/boot/grub/grub.cfg", GRUB_CFG)
        .file(
            "/proc/cmdline",
            "BOOT_IMAGE=/vmlinuz-6.1 root=UUID=1 ro audit=1\n",
        )
        .build();
    let e = only(&eval(AUDIT_ON, &f), Status::Pass, None);
    assert_eq!(e.expected, "audit=1 on every kernel command line");
    assert_eq!(
        e.actual,
        "as expected in /boot/grub/grub.cfg, /boot/grub/grub.cfg, /proc/cmdline"
    );
    // Without a value, any `audit=...` or a bare `audit` counts.
    let any = "{ method: grub_parameter, name: audit }";
    assert_eq!(eval(any, &f).status, Status::Pass);
}

#[test]
fn grub_parameter_fails_when_one_line_lacks_it() {
    let cfg = GRUB_CFG.replace("single audit=1", "single audit=0");
    let f = facts()
        .file("/boot/grub/grub.cfg", &cfg)
        .file("/proc/cmdline", "ro audit=1\n")
        .build();
    let e = only(&eval(AUDIT_ON, &f), Status::Fail, None);
    assert_eq!(e.actual, "missing in /boot/grub/grub.cfg");
    let absent = "{ method: grub_parameter, name: audit, value: 0, state: absent }";
    let e = only(&eval(absent, &f), Status::Fail, None);
    assert_eq!(
        (e.expected.as_str(), e.actual.as_str()),
        ("audit=0 absent", "present in /boot/grub/grub.cfg")
    );
    // BLS entries and /etc/kernel/cmdline are kernel command lines too.
    let f = facts()
        .offline()
        .dir(
            "/boot/loader/entries",
            "*.conf",
            &[
                ("a.conf", "title x\noptions root=/dev/sda1 audit=1\n"),
                ("b.conf", "options root=/dev/sda1\n"),
            ],
        )
        .build();
    let e = only(&eval(AUDIT_ON, &f), Status::Fail, None);
    assert_eq!(e.actual, "missing in /boot/loader/entries/b.conf");
    assert_eq!(
        e.source,
        json!({ "cmdlines": ["/boot/loader/entries/a.conf", "/boot/loader/entries/b.conf"] })
    );
}

#[test]
fn grub_parameter_missing_boot_config() {
    let r = eval(AUDIT_ON, &facts().offline().build());
    assert_eq!(
        only(&r, Status::Fail, None).actual,
        "no kernel command line found"
    );
    let r = eval(AUDIT_ON, &facts().build());
    only(&r, Status::Error, Some(Reason::ProbeFailed));
    assert_eq!(r.detail.as_deref(), Some("/proc/cmdline could not be read"));
    // /etc/default/grub is the fallback only when nothing else holds a command line.
    let f = facts()
        .offline()
        .file(
            "/etc/default/grub",
            "GRUB_CMDLINE_LINUX=\"audit=1\"\nGRUB_CMDLINE_LINUX_DEFAULT='quiet'\n",
        )
        .build();
    let e = only(&eval(AUDIT_ON, &f), Status::Pass, None);
    assert_eq!(e.actual, "as expected in /etc/default/grub");
    let f = facts()
        .offline()
        .file("/etc/default/grub", "GRUB_CMDLINE_LINUX=\"audit=1\"\n")
        .file("/etc/kernel/cmdline", "root=/dev/sda1 ro\n")
        .build();
    assert_eq!(
        only(&eval(AUDIT_ON, &f), Status::Fail, None).actual,
        "missing in /etc/kernel/cmdline"
    );
}

#[test]
fn grub_parameter_malformed_boot_config() {
    // Junk holds no kernel line, so only the running command line is judged.
    let f = facts()
        .bytes("/boot/grub/grub.cfg", b"\x00\xff linux\nlinuxfoo audit=0\n")
        .file("/proc/cmdline", "\u{fffd} audit=1 \u{0}")
        .build();
    let e = only(&eval(AUDIT_ON, &f), Status::Pass, None);
    assert_eq!(e.actual, "as expected in /proc/cmdline");
    let f = facts()
        .file_fact("/boot/grub/grub.cfg", FileFact::TooLarge { size: 99 << 20 })
        .file("/proc/cmdline", "audit=10\n")
        .build();
    assert_eq!(
        only(&eval(AUDIT_ON, &f), Status::Fail, None).actual,
        "missing in /proc/cmdline"
    );
}

// ---------------------------------------------------------------------------------------------
// audit_rule_exists
// ---------------------------------------------------------------------------------------------

const AUDITCTL: &str = "-a always,exit -F arch=b64 -S adjtimex,settimeofday -F key=time-change\n\
                        -w /etc/passwd -p wa -k identity\n";

#[test]
fn audit_rule_key_from_loaded_rules() {
    let f = facts().command("auditctl -l", 0, AUDITCTL).build();
    for key in ["time-change", "identity"] {
        let check = format!("{{ method: audit_rule_exists, key: {key} }}");
        let e = only(&eval(&check, &f), Status::Pass, None);
        assert_eq!(e.target, key);
        assert_eq!(e.expected, format!("a rule with key {key}"));
        assert_eq!(e.actual, "loaded");
        assert_eq!(e.source, json!({ "command": "auditctl -l" }));
    }
    let e = only(
        &eval("{ method: audit_rule_exists, key: time }", &f),
        Status::Fail,
        None,
    );
    assert_eq!(e.actual, "no such rule");
    assert_eq!(
        e.source,
        json!({ "searched": ["/etc/audit/rules.d", "auditctl -l"] })
    );
}

#[test]
fn audit_rule_from_rules_files_normalised() {
    let check = r#"{ method: audit_rule_exists, rule: "-w  /etc/sudoers   -p wa -k scope" }"#;
    let f = facts()
        .offline()
        .dir(
            "/etc/audit/rules.d",
            "*.rules",
            &[
                ("10-base.rules", "-D\n"),
                (
                    "50-scope.rules",
                    "# -w /etc/sudoers -p wa -k scope\n\t-w /etc/sudoers  -p wa   -k scope \n",
                ),
            ],
        )
        .build();
    let e = only(&eval(check, &f), Status::Pass, None);
    assert_eq!(e.target, "-w /etc/sudoers -p wa -k scope");
    assert_eq!(e.actual, "configured");
    assert_eq!(
        e.source,
        json!({ "file": "/etc/audit/rules.d/50-scope.rules", "line": 2 })
    );
    // Offline, loaded rules are not consulted even if present.
    let f = facts()
        .offline()
        .command("auditctl -l", 0, "-w /etc/sudoers -p wa -k scope\n")
        .build();
    assert_eq!(eval(check, &f).status, Status::Fail);
}

#[test]
fn audit_rule_missing_everything() {
    let check = "{ method: audit_rule_exists, key: identity }";
    let e = only(&eval(check, &facts().build()), Status::Fail, None);
    assert_eq!(e.actual, "no such rule");
    let f = facts()
        .dir_fact("/etc/audit/rules.d", "*.rules", DirFact::Missing)
        .command("auditctl -l", 0, "No rules\n")
        .build();
    assert_eq!(eval(check, &f).status, Status::Fail);
}

#[test]
fn audit_rule_malformed_sources() {
    let check = "{ method: audit_rule_exists, key: identity }";
    // A failing auditctl falls back to the rules files.
    let failed = CommandFact::Ran {
        exit_code: 1,
        stdout: "-w /etc/passwd -p wa -k identity\n".into(),
        stderr: "You must be root".into(),
        stdout_truncated: false,
    };
    let f = facts()
        .command_fact("auditctl -l", failed)
        .dir(
            "/etc/audit/rules.d",
            "*.rules",
            &[("x.rules", "\u{fffd}\u{0}-k\nidentity -k\n-kidentity\n")],
        )
        .build();
    assert_eq!(
        only(&eval(check, &f), Status::Fail, None).actual,
        "no such rule"
    );
}

// ---------------------------------------------------------------------------------------------
// set_compare
// ---------------------------------------------------------------------------------------------

const UID0: &str = "awk -F: '$3 == 0 {print $1}' /etc/passwd";

fn set_check(mode: &str) -> String {
    format!(
        "{{ method: set_compare, observed_command: \"{UID0}\", authorized: [root, toor], mode: {mode} }}"
    )
}

#[test]
fn set_compare_subset_and_equal() {
    let f = facts().command(UID0, 0, "root\n\n").build();
    let e = only(&eval(&set_check("subset"), &f), Status::Pass, None);
    assert_eq!(e.expected, "within [\"root\", \"toor\"]");
    assert_eq!(e.actual, "unexpected [], absent [\"toor\"]");
    assert_eq!(e.source, json!({ "command": UID0, "observed": ["root"] }));
    let e = only(&eval(&set_check("equal"), &f), Status::Fail, None);
    assert_eq!(e.expected, "equal to [\"root\", \"toor\"]");
    let f = facts().command(UID0, 0, " toor \nroot\n").build();
    assert_eq!(eval(&set_check("equal"), &f).status, Status::Pass);
}

#[test]
fn set_compare_unexpected_entries_fail() {
    let f = facts().command(UID0, 0, "root\nbackdoor\n").build();
    let e = only(&eval(&set_check("subset"), &f), Status::Fail, None);
    assert_eq!(e.actual, "unexpected [\"backdoor\"], absent [\"toor\"]");
}

#[test]
fn set_compare_missing_and_failed_command() {
    let r = eval(&set_check("subset"), &facts().build());
    only(&r, Status::Error, Some(Reason::ProbeFailed));
    let failed = CommandFact::Ran {
        exit_code: 2,
        stdout: String::new(),
        stderr: "awk: cannot open /etc/passwd\n".into(),
        stdout_truncated: false,
    };
    let r = eval(
        &set_check("subset"),
        &facts().command_fact(UID0, failed).build(),
    );
    only(&r, Status::Error, Some(Reason::ProbeFailed));
    assert_eq!(
        r.detail,
        Some(format!("`{UID0}` exited 2: awk: cannot open /etc/passwd"))
    );
    let r = eval(
        &set_check("subset"),
        &facts()
            .command_fact(UID0, CommandFact::TimedOut { timeout_ms: 10 })
            .build(),
    );
    only(&r, Status::Error, Some(Reason::Timeout));
    let r = eval(&set_check("subset"), &facts().offline().build());
    only(&r, Status::Skipped, Some(Reason::NotAssessableOffline));
}

#[test]
fn set_compare_binary_junk_is_unexpected() {
    let f = facts().command(UID0, 0, "root\n\u{fffd}\u{0}\n").build();
    let e = only(&eval(&set_check("subset"), &f), Status::Fail, None);
    assert_eq!(e.actual, "unexpected [\"\u{fffd}\\0\"], absent [\"toor\"]");
}

// ---------------------------------------------------------------------------------------------
// systemd_target
// ---------------------------------------------------------------------------------------------

const TARGET: &str = "{ method: systemd_target, expected: multi-user.target }";

#[test]
fn systemd_target_from_systemctl() {
    let f = facts()
        .command("systemctl get-default", 0, "multi-user.target\n")
        .build();
    let e = only(&eval(TARGET, &f), Status::Pass, None);
    assert_eq!(
        (e.target.as_str(), e.actual.as_str()),
        ("default.target", "multi-user.target")
    );
    assert_eq!(e.source, json!({ "command": "systemctl get-default" }));
    let f = facts()
        .command("systemctl get-default", 0, "graphical.target\n")
        .build();
    assert_eq!(
        only(&eval(TARGET, &f), Status::Fail, None).actual,
        "graphical.target"
    );
}

#[test]
fn systemd_target_from_links_offline() {
    let at = "/etc/systemd/system/default.target";
    let f = facts()
        .offline()
        .stat(at, vec![link(at, "/lib/systemd/system/graphical.target")])
        .stat(
            "/lib/systemd/system/default.target",
            vec![link(
                "/lib/systemd/system/default.target",
                "multi-user.target",
            )],
        )
        .build();
    let e = only(&eval(TARGET, &f), Status::Fail, None);
    assert_eq!(e.actual, "graphical.target");
    assert_eq!(
        e.source,
        json!({ "link": at, "target": "/lib/systemd/system/graphical.target" })
    );
    let f = facts()
        .offline()
        .stat(
            "/lib/systemd/system/default.target",
            vec![link(
                "/lib/systemd/system/default.target",
                "multi-user.target",
            )],
        )
        .build();
    assert_eq!(eval(TARGET, &f).status, Status::Pass);
}

#[test]
fn systemd_target_missing_and_malformed() {
    let e = only(&eval(TARGET, &facts().build()), Status::Fail, None);
    assert_eq!(e.actual, "no default target set");
    let f = facts()
        .command("systemctl get-default", 0, "\u{fffd}\u{0}junk\n")
        .build();
    assert_eq!(
        only(&eval(TARGET, &f), Status::Fail, None).actual,
        "\u{fffd}\u{0}junk"
    );
    // A failing systemctl falls back to the links.
    let f = facts()
        .command("systemctl get-default", 1, "")
        .stat(
            "/etc/systemd/system/default.target",
            vec![link(
                "/etc/systemd/system/default.target",
                "/usr/lib/systemd/system/multi-user.target",
            )],
        )
        .build();
    assert_eq!(eval(TARGET, &f).status, Status::Pass);
}

// ---------------------------------------------------------------------------------------------
// selinux_state / apparmor_state
// ---------------------------------------------------------------------------------------------

const ENFORCING: &str = "{ method: selinux_state, expected: enforcing }";
const SELINUX_CFG: &str = "# comment\nSELINUX=enforcing\nSELINUXTYPE=targeted\n";

#[test]
fn selinux_pass_and_fail() {
    let f = facts()
        .file("/etc/selinux/config", SELINUX_CFG)
        .file("/sys/fs/selinux/enforce", "1")
        .build();
    let e = only(&eval(ENFORCING, &f), Status::Pass, None);
    assert_eq!(
        (e.target.as_str(), e.expected.as_str()),
        ("selinux", "enforcing")
    );
    assert_eq!(e.actual, "config: enforcing, running: enforcing");
    assert_eq!(
        e.source,
        json!({ "files": ["/etc/selinux/config", "/sys/fs/selinux/enforce"] })
    );
    let f = facts()
        .file("/etc/selinux/config", SELINUX_CFG)
        .file("/sys/fs/selinux/enforce", "0\n")
        .build();
    let e = only(&eval(ENFORCING, &f), Status::Fail, None);
    assert_eq!(e.actual, "config: enforcing, running: permissive");
}

#[test]
fn selinux_missing() {
    let f = facts()
        .file_fact("/etc/selinux/config", FileFact::Missing)
        .file_fact("/sys/fs/selinux/enforce", FileFact::Missing)
        .build();
    let e = only(&eval(ENFORCING, &f), Status::Fail, None);
    assert_eq!(e.actual, "config: not configured, running: disabled");
}

#[test]
fn selinux_malformed_enforce_file_is_a_probe_error() {
    let f = facts()
        .file("/etc/selinux/config", SELINUX_CFG)
        .bytes("/sys/fs/selinux/enforce", b"\xff\x00")
        .build();
    let r = eval(ENFORCING, &f);
    only(&r, Status::Error, Some(Reason::ProbeFailed));
    assert_eq!(
        r.detail.as_deref(),
        Some("/sys/fs/selinux/enforce is unreadable or does not hold 0 or 1")
    );
    let f = facts()
        .file("/etc/selinux/config", SELINUX_CFG)
        .file_fact("/sys/fs/selinux/enforce", FileFact::Unreadable)
        .build();
    only(
        &eval(ENFORCING, &f),
        Status::Error,
        Some(Reason::ProbeFailed),
    );
    // Junk in the config file is simply not a setting.
    let f = facts()
        .bytes("/etc/selinux/config", b"\xffSELINUX\n")
        .file("/sys/fs/selinux/enforce", "1")
        .build();
    let e = only(&eval(ENFORCING, &f), Status::Fail, None);
    assert_eq!(e.actual, "config: not configured, running: enforcing");
}

#[test]
fn selinux_offline_reads_the_config() {
    let f = facts()
        .offline()
        .file("/etc/selinux/config", SELINUX_CFG)
        .build();
    let e = only(&eval(ENFORCING, &f), Status::Pass, None);
    assert_eq!(e.actual, "config: enforcing");
    let permissive = "{ method: selinux_state, expected: permissive }";
    assert_eq!(eval(permissive, &f).status, Status::Fail);
}

const APPARMOR: &str = "/sys/module/apparmor/parameters/enabled";

#[test]
fn apparmor_pass_fail_missing() {
    let enabled = "{ method: apparmor_state, expected: enabled }";
    let e = only(
        &eval(enabled, &facts().file(APPARMOR, "Y\n").build()),
        Status::Pass,
        None,
    );
    assert_eq!(
        (e.target.as_str(), e.actual.as_str()),
        ("apparmor", "enabled")
    );
    assert_eq!(e.source, json!({ "file": APPARMOR }));
    let e = only(
        &eval(enabled, &facts().file(APPARMOR, "N\n").build()),
        Status::Fail,
        None,
    );
    assert_eq!(e.actual, "disabled");
    // No module parameter: AppArmor is not in the kernel.
    let missing = facts().file_fact(APPARMOR, FileFact::Missing).build();
    assert_eq!(
        only(&eval(enabled, &missing), Status::Fail, None).actual,
        "disabled"
    );
    let disabled = "{ method: apparmor_state, expected: disabled }";
    assert_eq!(eval(disabled, &missing).status, Status::Pass);
}

#[test]
fn apparmor_malformed_and_offline() {
    let disabled = "{ method: apparmor_state, expected: disabled }";
    let r = eval(disabled, &facts().bytes(APPARMOR, b"\xffmaybe").build());
    only(&r, Status::Error, Some(Reason::ProbeFailed));
    assert_eq!(
        r.detail.as_deref(),
        Some("/sys/module/apparmor/parameters/enabled is unreadable or does not hold Y or N")
    );
    let r = eval(
        disabled,
        &facts().file_fact(APPARMOR, FileFact::Unreadable).build(),
    );
    only(&r, Status::Error, Some(Reason::ProbeFailed));
    let r = eval(disabled, &facts().offline().build());
    only(&r, Status::Skipped, Some(Reason::NotAssessableOffline));
}

// ---------------------------------------------------------------------------------------------
// Comparators
// ---------------------------------------------------------------------------------------------

#[test]
fn comparators_through_config_value() {
    let path = "/etc/x.conf";
    let cases: &[(&str, &str, &str, Status)] = &[
        ("==", "no", "no", Status::Pass),
        ("==", "no", "No", Status::Fail),
        ("!=", "yes", "no", Status::Pass),
        ("<", "5", "4", Status::Pass),
        ("<", "4", "4", Status::Fail),
        ("<=", "4", "4.0", Status::Pass),
        (">", "0", "-1", Status::Fail),
        (">=", "600", "900", Status::Pass),
        (">=", "600", "0x400", Status::Fail),
        ("regex", "(?i)no|without-password", "NO", Status::Pass),
        ("regex", "no", "nope", Status::Fail),
        ("contains", "sha2", "hmac-sha2-512,umac-128", Status::Pass),
        ("contains", "md5", "hmac-sha2-512", Status::Fail),
    ];
    for (comparator, expected, actual, status) in cases {
        let check = format!(
            "{{ method: config_value, path: {path}, key: k, expected: '{expected}', comparator: '{comparator}' }}"
        );
        let r = eval(
            &check,
            &facts().file(path, &format!("k {actual}\n")).build(),
        );
        let e = only(&r, *status, None);
        assert_eq!(e.expected, format!("{comparator} {expected}"), "{check}");
    }
}

// ---------------------------------------------------------------------------------------------
// Combinators
// ---------------------------------------------------------------------------------------------

const PASS: &str = "{ method: file_exists, path: /p }";
const FAIL: &str = "{ method: file_exists, path: /f }";
const ERROR: &str = "{ method: command, run: never-ran }";
const SKIP: &str = "{ method: command, run: skipper, not_assessable_exit: 4 }";

fn combo_facts() -> Facts {
    facts()
        .stat("/p", vec![entry("/p", 0o644, 0, 0)])
        .command("skipper", 4, "")
        .build()
}

fn combo(kind: &str, items: &[&str]) -> RuleResult {
    let yaml = format!(
        "id: t\ntitle: t\nseverity: low\n{kind}: [{}]\n",
        items.join(", ")
    );
    eval_rule(&load_one(&yaml), &combo_facts())
}

#[test]
fn all_of_precedence_fail_error_skip_pass() {
    let r = combo("checks", &[PASS, PASS]);
    assert_eq!(
        (r.status, r.reason, r.evidence.len()),
        (Status::Pass, None, 2)
    );
    let r = combo("checks", &[PASS, SKIP, ERROR, FAIL]);
    assert_eq!((r.status, r.reason), (Status::Fail, None));
    assert_eq!(r.evidence.len(), 4);
    assert_eq!(r.evidence[3].target, "/f");
    let r = combo("checks", &[SKIP, PASS, ERROR]);
    assert_eq!(
        (r.status, r.reason),
        (Status::Error, Some(Reason::ProbeFailed))
    );
    assert_eq!(r.detail.as_deref(), Some("the command was not run"));
    let r = combo("checks", &[PASS, SKIP]);
    assert_eq!(
        (r.status, r.reason),
        (Status::Skipped, Some(Reason::NotAssessable))
    );
}

#[test]
fn any_of_precedence_pass_error_fail_skip() {
    let r = combo("any", &[FAIL, ERROR, PASS]);
    assert_eq!(
        (r.status, r.reason, r.evidence.len()),
        (Status::Pass, None, 3)
    );
    let r = combo("any", &[FAIL, SKIP, ERROR]);
    assert_eq!(
        (r.status, r.reason),
        (Status::Error, Some(Reason::ProbeFailed))
    );
    let r = combo("any", &[SKIP, FAIL]);
    assert_eq!((r.status, r.reason), (Status::Fail, None));
    let r = combo("any", &[SKIP, SKIP]);
    assert_eq!(
        (r.status, r.reason),
        (Status::Skipped, Some(Reason::NotAssessable))
    );
}

#[test]
fn nested_combinators() {
    // all(pass, any(fail, pass)) passes; all(pass, any(fail, skip)) fails.
    let nested = format!("{{ any: [{FAIL}, {PASS}] }}");
    let r = combo("checks", &[PASS, &nested]);
    assert_eq!((r.status, r.evidence.len()), (Status::Pass, 3));
    let nested = format!("{{ any: [{FAIL}, {SKIP}] }}");
    assert_eq!(combo("checks", &[PASS, &nested]).status, Status::Fail);
    // A combinator under `check:` works the same.
    let inner = format!("{{ checks: [{PASS}, {{ any: [{ERROR}, {PASS}] }}] }}");
    let r = eval(&inner, &combo_facts());
    assert_eq!((r.status, r.evidence.len()), (Status::Pass, 3));
}

// ---------------------------------------------------------------------------------------------
// Implementations, platforms, offline, evidence cap
// ---------------------------------------------------------------------------------------------

const SSH_RULE: &str = r#"
id: ssh-permit-root-login-disabled
title: SSH root login is disabled
severity: high
platforms:
  - { family: debian, min_version: 11 }
  - { family: ubuntu, min_version: "22.04" }
  - { family: rhel, min_version: 8, max_version: 9 }
vars: { permit_root: "no" }
implementations:
  - when: sshd_config_d
    check: { method: config_value, path: /etc/ssh/sshd_config.d, scan_pattern: "*.conf",
             key: PermitRootLogin, expected: "{{ permit_root }}", case_insensitive_key: true }
  - default: true
    check: { method: config_value, path: /etc/ssh/sshd_config, key: PermitRootLogin,
             expected: "{{ permit_root }}" }
"#;

#[test]
fn implementation_picked_by_capability() {
    let rule = load_one(SSH_RULE);
    let with_dropins = facts()
        .os("debian", "12", "")
        .file(
            SSHD,
            "Include /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin yes\n",
        )
        .dir(
            "/etc/ssh/sshd_config.d",
            "*.conf",
            &[("50-cis.conf", "permitrootlogin no\n")],
        )
        .build();
    let r = eval_rule(&rule, &with_dropins);
    assert_eq!(r.implementation.as_deref(), Some("sshd_config_d"));
    let e = only(&r, Status::Pass, None);
    assert_eq!(e.source["file"], "/etc/ssh/sshd_config.d/50-cis.conf");

    let plain = facts()
        .os("debian", "12", "")
        .file(
            SSHD,
            "#Include /etc/ssh/other/*.conf\nPermitRootLogin yes\n",
        )
        .build();
    let r = eval_rule(&rule, &plain);
    assert_eq!(r.implementation, None);
    let e = only(&r, Status::Fail, None);
    assert_eq!((e.actual.as_str(), e.expected.as_str()), ("yes", "== no"));
}

#[test]
fn platform_gating() {
    let rule = load_one(SSH_RULE);
    let body = |b: FactsBuilder| b.file(SSHD, "PermitRootLogin no\n").build();
    let status = |f: Facts| {
        let r = eval_rule(&rule, &f);
        (r.status, r.reason)
    };
    let ran = (Status::Pass, None);
    let skipped = (Status::Skipped, Some(Reason::Platform));
    assert_eq!(status(body(facts().os("debian", "12", ""))), ran);
    assert_eq!(status(body(facts().os("debian", "10", ""))), skipped);
    assert_eq!(status(body(facts().os("ubuntu", "22.04", "debian"))), ran);
    assert_eq!(
        status(body(facts().os("ubuntu", "20.04", "debian"))),
        skipped
    );
    assert_eq!(
        status(body(facts().os("rocky", "9.4", "rhel centos fedora"))),
        ran
    );
    assert_eq!(status(body(facts().os("almalinux", "8.10", "rhel"))), ran);
    assert_eq!(status(body(facts().os("ol", "7.9", ""))), skipped);
    assert_eq!(status(body(facts().os("rhel", "10.0", "fedora"))), skipped);
    assert_eq!(status(body(facts().os("fedora", "40", ""))), skipped);

    // Debian derivatives do not inherit Debian rules.
    let r = eval_rule(&rule, &body(facts().os("linuxmint", "21", "ubuntu debian")));
    assert_eq!(
        r.detail.as_deref(),
        Some("linuxmint 21 is not among the rule's platforms")
    );
    assert!(r.evidence.is_empty());
    // /usr/lib/os-release is the fallback.
    let f = facts()
        .file("/usr/lib/os-release", "ID=debian\nVERSION_ID=\"12\"\n")
        .file(SSHD, "PermitRootLogin no\n")
        .build();
    assert_eq!(eval_rule(&rule, &f).status, Status::Pass);
    let r = eval_rule(&rule, &body(facts()));
    assert_eq!((r.status, r.reason), skipped);
    assert_eq!(
        r.detail.as_deref(),
        Some("os-release not found or has no ID")
    );
}

#[test]
fn offline_skips_runtime_checks_but_evaluates_files() {
    let yaml = r#"
- id: a-runtime
  title: runtime only
  severity: low
  checks:
    - { method: sysctl_value, key: kernel.randomize_va_space, expected: 2 }
    - { method: sshd_effective_config, key: x11forwarding, expected: "no" }
- id: b-mixed
  title: file part still counts
  severity: low
  checks:
    - { method: file_exists, path: /etc/issue }
    - { method: command, run: "true" }
- id: c-persisted
  title: persisted
  severity: low
  check: { method: sysctl_value, key: kernel.randomize_va_space, expected: 2, persisted: true }
"#;
    let sources = [RuleSource {
        name: "offline.yml".into(),
        text: yaml.into(),
    }];
    let set = load(&sources, &BTreeMap::new()).unwrap();
    let f = facts()
        .offline()
        .stat("/etc/issue", vec![])
        .file("/etc/sysctl.conf", "kernel.randomize_va_space = 2\n")
        .build();
    let (results, _) = evaluate_all(&set, &f, &EvalOptions::default());
    let got: Vec<_> = results
        .iter()
        .map(|r| (r.rule_id.as_str(), r.status, r.reason))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "a-runtime",
                Status::Skipped,
                Some(Reason::NotAssessableOffline)
            ),
            ("b-mixed", Status::Fail, None),
            ("c-persisted", Status::Pass, None),
        ]
    );
    assert_eq!(results[2].evidence[0].actual, "persisted: 2");
    assert_eq!(
        results[2].evidence[0].source,
        json!({ "persisted": { "file": "/etc/sysctl.conf", "line": 1 } })
    );
}

#[test]
fn evidence_cap_turns_the_verdict_into_an_error() {
    let big = "x".repeat(4000);
    let f = facts().command("cat /etc/big", 0, &big).build();
    let check = "{ method: command, run: cat /etc/big }";
    let r = eval(check, &f);
    assert_eq!(r.status, Status::Pass);
    let small = EvalOptions {
        evidence_max_bytes: 1000,
    };
    let r = evaluate(&rule(check), &HostView::new(&f), &small);
    let e = only(&r, Status::Error, Some(Reason::EvidenceOversize));
    assert!(
        r.detail
            .as_deref()
            .is_some_and(|d| d.ends_with("over the cap of 1000 bytes"))
    );
    assert!(
        e.actual.starts_with("evidence of ") && e.actual.ends_with(" bytes withheld (cap 1000)")
    );
    assert_eq!(e.source, serde_json::Value::Null);
    assert_eq!(
        (e.method.as_str(), e.target.as_str()),
        ("command", "cat /etc/big")
    );

    // No option raises the cap beyond MAX_EVIDENCE_BYTES. Command output is clipped in
    // evidence, so a config value carries the bulk here.
    let huge = format!("Banner {}\n", "y".repeat(MAX_EVIDENCE_BYTES + 1));
    let f = facts().file("/etc/big.conf", &huge).build();
    let unlimited = EvalOptions {
        evidence_max_bytes: usize::MAX,
    };
    let check = "{ method: config_value, path: /etc/big.conf, key: Banner }";
    let r = evaluate(&rule(check), &HostView::new(&f), &unlimited);
    only(&r, Status::Error, Some(Reason::EvidenceOversize));
    assert!(
        r.detail
            .as_deref()
            .is_some_and(|d| d.ends_with(&format!("cap of {MAX_EVIDENCE_BYTES} bytes")))
    );
}

#[test]
fn config_value_unreadable_dir_entry_is_not_ignored() {
    let check = r#"{ method: config_value, path: /etc/ssh/sshd_config.d, scan_pattern: "*.conf", key: PermitRootLogin, expected: "no" }"#;
    let entries = vec![
        DirEntryFact {
            name: "10-a.conf".into(),
            content: FileFact::from_bytes(b"PermitRootLogin no\n"),
        },
        DirEntryFact {
            name: "99-z.conf".into(),
            content: FileFact::TooLarge { size: 9 << 20 },
        },
    ];
    let f = facts()
        .dir_fact(
            "/etc/ssh/sshd_config.d",
            "*.conf",
            DirFact::Entries { entries },
        )
        .build();
    let r = eval(check, &f);
    only(&r, Status::Error, Some(Reason::ProbeFailed));
    assert_eq!(
        r.detail.as_deref(),
        Some("/etc/ssh/sshd_config.d/99-z.conf is not readable")
    );
}

// ---------------------------------------------------------------------------------------------
// fidelity (issue 13 §1): files read the way their owners read them
// ---------------------------------------------------------------------------------------------

mod fidelity {
    use super::*;

    const SSHD: &str = "/etc/ssh/sshd_config";

    fn sshd_check(key: &str, expected: &str, comparator: &str) -> String {
        format!(
            r#"{{ method: config_value, path: [/etc/ssh/sshd_config.d, {SSHD}], scan_pattern: "*.conf", key: {key}, expected: "{expected}", comparator: "{comparator}", case_insensitive_key: true, occurrence: first }}"#
        )
    }

    #[test]
    fn sshd_config_reads_keyword_equals_value_as_sshd_does() {
        let check = sshd_check("PermitRootLogin", "no", "==");
        for line in [
            "PermitRootLogin=no",
            "PermitRootLogin = no",
            "PermitRootLogin =no",
            "  permitrootlogin=\tno  ",
        ] {
            let f = facts().file(SSHD, &format!("{line}\n")).build();
            let e = only(&eval(&check, &f), Status::Pass, None);
            assert_eq!(e.actual, "no", "{line}");
        }
        // sshd skips one `=` only: `==no` is the value `=no`.
        let f = facts().file(SSHD, "PermitRootLogin==no\n").build();
        assert_eq!(only(&eval(&check, &f), Status::Fail, None).actual, "=no");
        // In a drop-in directory too, and the first occurrence still wins.
        let f = facts()
            .dir(
                "/etc/ssh/sshd_config.d",
                "*.conf",
                &[("10-a.conf", "PermitRootLogin=yes\n")],
            )
            .file(SSHD, "PermitRootLogin no\n")
            .build();
        let e = only(&eval(&check, &f), Status::Fail, None);
        assert_eq!(e.actual, "yes");
        assert_eq!(e.source["file"], "/etc/ssh/sshd_config.d/10-a.conf");
    }

    #[test]
    fn sshd_config_drops_trailing_comments_as_sshd_does() {
        let check = sshd_check("MaxAuthTries", "4", "<=");
        let f = facts()
            .file(SSHD, "MaxAuthTries 3 # site baseline\n")
            .build();
        let e = only(&eval(&check, &f), Status::Pass, None);
        assert_eq!(e.actual, "3");
        // `#` starts a comment only at the start of a word, and not inside quotes.
        let f = facts().file(SSHD, "MaxAuthTries=3# no space\n").build();
        let e = only(&eval(&check, &f), Status::Fail, None);
        assert!(e.actual.starts_with("3# no space ("), "{}", e.actual);
        let banner = sshd_check("Banner", "/etc/issue #1", "==");
        let f = facts()
            .file(SSHD, "Banner \"/etc/issue #1\" # legal text\n")
            .build();
        assert_eq!(
            only(&eval(&banner, &f), Status::Pass, None).actual,
            "/etc/issue #1"
        );
    }

    /// Other files keep their semantics: the rest of the line is the value, `#` included,
    /// because tools disagree on comments mid-line (systemd and login.defs keep them).
    #[test]
    fn other_config_files_keep_the_whole_value() {
        let check = r#"{ method: config_value, path: /etc/login.defs, key: PASS_MAX_DAYS, expected: "90" }"#;
        let f = facts()
            .file("/etc/login.defs", "PASS_MAX_DAYS 90 # c\nPASS_MIN_DAYS=1\n")
            .build();
        assert_eq!(only(&eval(check, &f), Status::Fail, None).actual, "90 # c");
        let check =
            r#"{ method: config_value, path: /etc/login.defs, key: PASS_MIN_DAYS, expected: "1" }"#;
        assert_eq!(only(&eval(check, &f), Status::Fail, None).actual, "not set");
    }

    const SUDO_AUTH: &str = r#"{ method: file_content_match, path: /etc/sudoers, includes: sudo, pattern: '^\s*[^#\s].*(NOPASSWD|!authenticate)', expect: no_match }"#;
    const SUDOERS: &str =
        "Defaults env_reset\nroot ALL=(ALL:ALL) ALL\n# %wheel ALL=(ALL) NOPASSWD: ALL\n";

    #[test]
    fn sudoers_includedir_drop_ins_are_read_as_sudo_reads_them() {
        for directive in ["@includedir /etc/sudoers.d", "#includedir /etc/sudoers.d"] {
            let f = facts()
                .file("/etc/sudoers", &format!("{SUDOERS}{directive}\n"))
                .dir(
                    "/etc/sudoers.d",
                    "*",
                    &[
                        ("README", "# @includedir /etc/sudoers.d\n"),
                        (
                            "90-cloud-init-users",
                            "# User rules\nubuntu ALL=(ALL) NOPASSWD:ALL\n",
                        ),
                    ],
                )
                .build();
            let e = only(&eval(SUDO_AUTH, &f), Status::Fail, None);
            assert_eq!(
                e.source["file"], "/etc/sudoers.d/90-cloud-init-users",
                "{directive}"
            );
            assert_eq!(e.source["line"], 2);
            assert_eq!(e.actual, "matched: ubuntu ALL=(ALL) NOPASSWD:ALL");
        }
        // Without the directive, sudo does not read the directory, and neither does plumb.
        let f = facts()
            .file("/etc/sudoers", SUDOERS)
            .dir(
                "/etc/sudoers.d",
                "*",
                &[("ops", "ops ALL=(ALL) NOPASSWD: ALL\n")],
            )
            .build();
        let e = only(&eval(SUDO_AUTH, &f), Status::Pass, None);
        assert_eq!(e.source["files_read"], json!(["/etc/sudoers"]));
    }

    #[test]
    fn sudoers_skips_the_names_sudo_skips_and_follows_include_files() {
        // sudo ignores names with a `.` or ending in `~` (package backups, editor copies).
        let f = facts()
            .file(
                "/etc/sudoers",
                &format!("{SUDOERS}@includedir /etc/sudoers.d\n"),
            )
            .dir(
                "/etc/sudoers.d",
                "*",
                &[
                    ("ops", "%sudo ALL=(ALL:ALL) ALL\n"),
                    ("ops~", "%sudo ALL=(ALL:ALL) NOPASSWD: ALL\n"),
                    ("ops.dpkg-old", "%sudo ALL=(ALL:ALL) NOPASSWD: ALL\n"),
                ],
            )
            .build();
        let e = only(&eval(SUDO_AUTH, &f), Status::Pass, None);
        assert_eq!(
            e.source["files_read"],
            json!(["/etc/sudoers", "/etc/sudoers.d/ops"])
        );
        // `@include` of a file, relative to the including file, nested in a drop-in.
        let f = facts()
            .file("/etc/sudoers", &format!("{SUDOERS}@includedir sudoers.d\n"))
            .dir("/etc/sudoers.d", "*", &[("site", "@include site.local\n")])
            .file("/etc/sudoers.d/site.local", "Defaults !authenticate\n")
            .build();
        let e = only(&eval(SUDO_AUTH, &f), Status::Fail, None);
        assert_eq!(e.source["file"], "/etc/sudoers.d/site.local");
        // An include plumb did not gather could hold the grant: no verdict without it.
        let f = facts()
            .file(
                "/etc/sudoers",
                &format!("{SUDOERS}@include /etc/sudoers.local\n"),
            )
            .build();
        let r = eval(SUDO_AUTH, &f);
        only(&r, Status::Error, Some(Reason::ProbeFailed));
        assert!(
            r.detail
                .as_deref()
                .unwrap()
                .contains("includes /etc/sudoers.local"),
            "{r:?}"
        );
    }

    #[test]
    fn sudoers_unreadable_or_missing() {
        let main = format!("{SUDOERS}@includedir /etc/sudoers.d\n");
        let f = facts()
            .file("/etc/sudoers", &main)
            .dir_fact("/etc/sudoers.d", "*", DirFact::Unreadable)
            .build();
        let r = eval(SUDO_AUTH, &f);
        only(&r, Status::Error, Some(Reason::ProbeFailed));
        assert_eq!(
            r.detail.as_deref(),
            Some("/etc/sudoers.d could not be listed (permission denied)")
        );
        let f = facts()
            .file("/etc/sudoers", &main)
            .dir_fact("/etc/sudoers.d", "*", DirFact::Missing)
            .build();
        only(&eval(SUDO_AUTH, &f), Status::Pass, None);
        let f = facts()
            .file_fact("/etc/sudoers", FileFact::Unreadable)
            .build();
        only(
            &eval(SUDO_AUTH, &f),
            Status::Error,
            Some(Reason::ProbeFailed),
        );
        let f = facts().file_fact("/etc/sudoers", FileFact::Missing).build();
        assert_eq!(
            only(&eval(SUDO_AUTH, &f), Status::Pass, None).actual,
            "file is missing"
        );
    }

    #[test]
    fn unreadable_directories_are_probe_errors_for_every_reader() {
        let denied = |dir: &str, pattern: &str| {
            facts()
                .offline()
                .dir_fact(dir, pattern, DirFact::Unreadable)
                .build()
        };
        let cases = [
            (
                "{ method: audit_rule_exists, key: identity }",
                denied("/etc/audit/rules.d", "*.rules"),
                "/etc/audit/rules.d",
            ),
            (
                r#"{ method: config_value, path: /etc/ssh/sshd_config.d, scan_pattern: "*.conf", key: PermitEmptyPasswords, expected: "no", missing: pass }"#,
                denied("/etc/ssh/sshd_config.d", "*.conf"),
                "/etc/ssh/sshd_config.d",
            ),
            (
                "{ method: kernel_module_state, name: cramfs, state: blacklisted }",
                denied("/etc/modprobe.d", "*.conf"),
                "/etc/modprobe.d",
            ),
            (
                "{ method: sysctl_value, key: kernel.randomize_va_space, expected: 2, persisted: true }",
                denied("/etc/sysctl.d", "*.conf"),
                "/etc/sysctl.d",
            ),
            (
                "{ method: grub_parameter, name: audit, value: 1 }",
                denied("/boot/loader/entries", "*.conf"),
                "/boot/loader/entries",
            ),
        ];
        for (check, f, dir) in cases {
            let r = eval(check, &f);
            only(&r, Status::Error, Some(Reason::ProbeFailed));
            assert_eq!(
                r.detail,
                Some(format!("{dir} could not be listed (permission denied)")),
                "{check}"
            );
        }
        // An unreadable boot file leaves the verdict open unless a readable line decides it.
        let check = "{ method: grub_parameter, name: audit, value: 1 }";
        let f = facts()
            .offline()
            .file_fact("/boot/grub2/grub.cfg", FileFact::Unreadable)
            .file(
                "/boot/grub/grub.cfg",
                "linux /vmlinuz root=/dev/sda1 audit=1\n",
            )
            .build();
        only(&eval(check, &f), Status::Error, Some(Reason::ProbeFailed));
        let f = facts()
            .offline()
            .file_fact("/boot/grub2/grub.cfg", FileFact::Unreadable)
            .file("/boot/grub/grub.cfg", "linux /vmlinuz root=/dev/sda1\n")
            .build();
        only(&eval(check, &f), Status::Fail, None);
    }

    #[test]
    fn a_glob_through_a_directory_that_may_not_be_listed_is_a_probe_error() {
        let pattern = "/etc/ssh/sshd_config.d/*.conf";
        let mut f = facts().stat(pattern, Vec::new()).build();
        f.stat_denied
            .insert(pattern.into(), "/etc/ssh/sshd_config.d".into());
        for check in [
            format!(
                "{{ method: file_permission, path: \"{pattern}\", mode: '0600', missing: pass }}"
            ),
            format!("{{ method: file_exists, path: \"{pattern}\" }}"),
            format!("{{ method: file_absent, path: \"{pattern}\" }}"),
        ] {
            let r = eval(&check, &f);
            only(&r, Status::Error, Some(Reason::ProbeFailed));
            assert!(
                r.detail
                    .as_deref()
                    .unwrap()
                    .starts_with("/etc/ssh/sshd_config.d could not be searched or listed"),
                "{check}: {r:?}"
            );
        }
    }

    #[test]
    fn unreadable_single_config_files_are_probe_errors() {
        let cases = [
            (
                "{ method: mount_option, mount_point: /tmp, options: [nodev], in_fstab: true }",
                "/etc/fstab",
            ),
            (
                "{ method: selinux_state, expected: enforcing }",
                "/etc/selinux/config",
            ),
            (
                "{ method: sysctl_value, key: kernel.randomize_va_space, expected: 2, persisted: true }",
                "/etc/sysctl.conf",
            ),
        ];
        for (check, path) in cases {
            let f = facts()
                .offline()
                .file_fact(path, FileFact::Unreadable)
                .build();
            let r = eval(check, &f);
            only(&r, Status::Error, Some(Reason::ProbeFailed));
            assert_eq!(r.detail, Some(format!("{path} is not readable")), "{check}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// methods helper: accounts, drop-ins, config_line, not_loadable, mounts, services, stdout_empty
// ---------------------------------------------------------------------------------------------

mod methods {
    use super::*;

    /// The message of loading one rule file `t.yml` that must fail.
    fn load_error(yaml: &str) -> String {
        load(
            &[RuleSource {
                name: "t.yml".into(),
                text: yaml.into(),
            }],
            &BTreeMap::new(),
        )
        .unwrap_err()
        .to_string()
    }

    const PASSWD: &str = "root:x:0:0:root:/root:/bin/bash\n\
        daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n\
        sync:x:4:65534:sync:/bin:/bin/sync\n\
        nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n\
        alice:x:1000:1000:Alice:/home/alice:/bin/bash\n";
    const SHADOW: &str = "root:*:19800:0:99999:7:::\n\
        daemon:*:19800:0:99999:7:::\n\
        sync:*:19800:0:99999:7:::\n\
        nobody:*:19800:0:99999:7:::\n\
        alice:$6$CanarySalt$CanaryHashValue0123456789:19800:1:365:7:30::\n";
    const GROUP: &str =
        "root:x:0:\ndaemon:x:1:\nshadow:x:42:\nnogroup:x:65534:\nalice:x:1000:\nsugroup:x:1001:\n";
    const SHELLS: &str = "# /etc/shells\n/bin/sh\n/bin/bash\n/usr/bin/bash\n";

    fn accounts_host() -> FactsBuilder {
        facts()
            .file("/etc/passwd", PASSWD)
            .file("/etc/shadow", SHADOW)
            .file("/etc/group", GROUP)
            .file("/etc/gshadow", "root:*::\nshadow:*::\nsugroup:!::\n")
            .file("/etc/login.defs", "UID_MIN 1000\n")
            .file("/etc/shells", SHELLS)
            .stat("/root", vec![dir_entry("/root", 0o700, 0, 0)])
            .stat("/root/.*", vec![entry("/root/.bashrc", 0o644, 0, 0)])
            .stat(
                "/home/alice",
                vec![dir_entry("/home/alice", 0o750, 1000, 1000)],
            )
            .stat(
                "/home/alice/.*",
                vec![entry("/home/alice/.profile", 0o644, 1000, 1000)],
            )
    }

    fn dir_entry(path: &str, mode: u32, uid: u32, gid: u32) -> StatEntry {
        StatEntry {
            kind: FileKind::Dir,
            ..entry(path, mode, uid, gid)
        }
    }

    fn predicate(name: &str) -> String {
        format!("{{ method: accounts, predicate: {name} }}")
    }

    #[track_caller]
    fn assert_no_hash(result: &RuleResult) {
        let text = serde_json::to_string(&result.evidence).unwrap();
        assert!(!text.contains("Canary"), "{text}");
        assert!(!text.contains("$6$"), "{text}");
    }

    #[test]
    fn accounts_every_predicate_passes_on_a_clean_host() {
        let f = accounts_host().build();
        for check in [
            predicate("unique_uids"),
            predicate("unique_gids"),
            predicate("unique_user_names"),
            predicate("unique_group_names"),
            predicate("passwd_gids_exist"),
            predicate("only_root_uid0"),
            predicate("only_root_gid0"),
            predicate("system_accounts_nologin"),
            predicate("system_accounts_locked"),
            predicate("shadow_hashed_or_locked"),
            "{ method: accounts, predicate: shadow_max_days, expected: 365, comparator: '<=' }"
                .into(),
            "{ method: accounts, predicate: shadow_min_days, expected: 1, comparator: '>=' }"
                .into(),
            "{ method: accounts, predicate: shadow_warn_days, expected: 7, comparator: '>=' }"
                .into(),
            "{ method: accounts, predicate: shadow_inactive_days, expected: 45, comparator: '<=' }"
                .into(),
            predicate("home_dirs_exist"),
            predicate("home_dirs_owned"),
            predicate("home_dirs_mode"),
            predicate("dot_files_not_group_or_world_writable"),
            predicate("no_forbidden_dot_files"),
            "{ method: accounts, predicate: group_empty, group: sugroup }".into(),
        ] {
            let r = eval(&check, &f);
            let e = only(&r, Status::Pass, None);
            assert_eq!(e.method, "accounts");
            assert_no_hash(&r);
        }
    }

    #[test]
    fn accounts_duplicates_and_zero_ids_fail_naming_the_accounts() {
        let passwd = format!(
            "{PASSWD}toor:x:0:0::/root:/bin/bash\nalice:x:1001:4242::/home/a2:/usr/sbin/nologin\n"
        );
        let group = format!("{GROUP}wheel:x:0:\nalice:x:1002:\ndup:x:1000:\n");
        let f = accounts_host()
            .file("/etc/passwd", &passwd)
            .file("/etc/group", &group)
            .build();
        let actual = |name: &str| {
            let r = eval(&predicate(name), &f);
            only(&r, Status::Fail, None).actual
        };
        assert_eq!(actual("unique_uids"), "uid 0: root, toor");
        assert_eq!(actual("unique_user_names"), "name alice: alice, alice");
        assert_eq!(
            actual("unique_gids"),
            "gid 0: root, wheel; gid 1000: alice, dup"
        );
        assert_eq!(actual("unique_group_names"), "name alice: alice, alice");
        assert_eq!(
            actual("passwd_gids_exist"),
            "alice: group 4242 does not exist"
        );
        assert_eq!(actual("only_root_uid0"), "toor has UID 0");
        assert_eq!(
            actual("only_root_gid0"),
            "group wheel has GID 0; toor has primary GID 0"
        );
    }

    #[test]
    fn accounts_system_accounts_need_nologin_and_a_lock() {
        let passwd = PASSWD.replace(
            "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin",
            "daemon:x:1:1:daemon:/usr/sbin:/bin/sh",
        ) + "svc:x:999:999::/var/lib/svc:/usr/sbin/nologin\n";
        let shadow = format!("{SHADOW}svc:$y$j9T$CanaryYes$CanaryHash:19800:0:99999:7:::\n");
        let f = accounts_host()
            .file("/etc/passwd", &passwd)
            .file("/etc/shadow", &shadow)
            .build();
        let r = eval(&predicate("system_accounts_nologin"), &f);
        assert_eq!(
            only(&r, Status::Fail, None).actual,
            "daemon (UID 1) has login shell /bin/sh"
        );
        let r = eval(&predicate("system_accounts_locked"), &f);
        assert_eq!(only(&r, Status::Fail, None).actual, "svc: hashed");
        assert_no_hash(&r);
        // UID_MIN from login.defs decides what a system account is.
        let f = accounts_host()
            .file("/etc/passwd", &passwd)
            .file("/etc/shadow", &shadow)
            .file("/etc/login.defs", "UID_MIN 500\n")
            .build();
        let r = eval(&predicate("system_accounts_nologin"), &f);
        assert_eq!(
            only(&r, Status::Fail, None).actual,
            "daemon (UID 1) has login shell /bin/sh"
        );
    }

    #[test]
    fn accounts_shadow_fields_are_judged_without_showing_them() {
        let shadow =
            format!("{SHADOW}bob::19800:0:99999:7:::\ncarol:plaintextpw:99999:0:99999:7:::\n");
        let f = accounts_host()
            .file("/etc/shadow", &shadow)
            .file(
                "/etc/passwd",
                &format!("{PASSWD}dave:$1$CanaryInPasswd$x:1003:1003::/home/dave:/bin/bash\n"),
            )
            .build();
        let r = eval(&predicate("shadow_hashed_or_locked"), &f);
        let e = only(&r, Status::Fail, None);
        assert_eq!(
            e.actual,
            "dave: password field in /etc/passwd is not `x`; bob: empty; carol: not a hash"
        );
        assert!(!serde_json::to_string(&r).unwrap().contains("plaintextpw"));
        assert_no_hash(&r);
        // Ages apply to accounts with a hash only; the comparison names the account.
        let f = accounts_host()
            .file(
                "/etc/shadow",
                &SHADOW.replace(":19800:1:365:7:30::", ":19800:0:99999:7:::"),
            )
            .build();
        let check =
            "{ method: accounts, predicate: shadow_max_days, expected: 365, comparator: '<=' }";
        let r = eval(check, &f);
        assert_eq!(only(&r, Status::Fail, None).actual, "alice: 99999");
        assert_no_hash(&r);
        let check =
            "{ method: accounts, predicate: shadow_inactive_days, expected: 45, comparator: '<=' }";
        assert_eq!(
            only(&eval(check, &f), Status::Fail, None).actual,
            "alice: not set"
        );
    }

    #[test]
    fn accounts_last_change_uses_the_gathered_date() {
        let check = predicate("shadow_last_change_past");
        let mut f = accounts_host().build();
        f.epoch_day = Some(20000);
        only(&eval(&check, &f), Status::Pass, None);
        f.epoch_day = Some(19799);
        let r = eval(&check, &f);
        assert_eq!(
            only(&r, Status::Fail, None).actual,
            "root: last change is 1 days in the future; daemon: last change is 1 days in the future; sync: last change is 1 days in the future; nobody: last change is 1 days in the future; alice: last change is 1 days in the future"
        );
        f.epoch_day = None;
        only(&eval(&check, &f), Status::Error, Some(Reason::ProbeFailed));
    }

    #[test]
    fn accounts_home_directories_and_dot_files() {
        let f = accounts_host()
            .stat("/home/alice", vec![dir_entry("/home/alice", 0o755, 0, 0)])
            .stat(
                "/home/alice/.*",
                vec![
                    entry("/home/alice/.netrc", 0o600, 1000, 1000),
                    entry("/home/alice/.profile", 0o664, 1000, 1000),
                    StatEntry {
                        kind: FileKind::Dir,
                        ..entry("/home/alice/.cache", 0o777, 1000, 1000)
                    },
                ],
            )
            .build();
        let actual = |name: &str| only(&eval(&predicate(name), &f), Status::Fail, None).actual;
        assert_eq!(
            actual("home_dirs_owned"),
            "alice: /home/alice is owned by root"
        );
        assert_eq!(actual("home_dirs_mode"), "alice: /home/alice has mode 0755");
        assert_eq!(
            actual("dot_files_not_group_or_world_writable"),
            "alice: /home/alice/.profile has mode 0664"
        );
        assert_eq!(
            actual("no_forbidden_dot_files"),
            "alice: /home/alice/.netrc exists"
        );
        let check = "{ method: accounts, predicate: no_forbidden_dot_files, files: [.rhosts] }";
        only(&eval(check, &f), Status::Pass, None);
        let check = "{ method: accounts, predicate: home_dirs_mode, mode: '0755' }";
        only(&eval(check, &f), Status::Pass, None);
        // A home that is not there fails `exist` and is not judged by the others.
        let f = accounts_host().stat("/home/alice", vec![]).build();
        assert_eq!(
            only(&eval(&predicate("home_dirs_exist"), &f), Status::Fail, None).actual,
            "alice: /home/alice does not exist"
        );
        only(&eval(&predicate("home_dirs_owned"), &f), Status::Pass, None);
    }

    #[test]
    fn accounts_group_empty_reads_group_gshadow_and_primary_groups() {
        let check = "{ method: accounts, predicate: group_empty, group: sugroup }";
        let f = accounts_host()
            .file(
                "/etc/group",
                &GROUP.replace("sugroup:x:1001:", "sugroup:x:1001:alice"),
            )
            .file("/etc/gshadow", "sugroup:!:bob:carol\n")
            .build();
        assert_eq!(
            only(&eval(check, &f), Status::Fail, None).actual,
            "alice is a member (/etc/group); bob is an administrator (/etc/gshadow); carol is a member (/etc/gshadow)"
        );
        let f = accounts_host()
            .file(
                "/etc/passwd",
                &format!("{PASSWD}su:x:1002:1001::/home/su:/bin/bash\n"),
            )
            .build();
        let r = eval(check, &f);
        assert_eq!(
            only(&r, Status::Fail, None).actual,
            "su has it as primary group"
        );
        let check = "{ method: accounts, predicate: group_empty, group: wheel }";
        assert_eq!(
            only(&eval(check, &accounts_host().build()), Status::Fail, None).actual,
            "group wheel does not exist"
        );
    }

    #[test]
    fn accounts_missing_unreadable_and_malformed_files() {
        let f = accounts_host()
            .file_fact("/etc/passwd", FileFact::Missing)
            .build();
        let r = eval(&predicate("unique_uids"), &f);
        assert_eq!(
            only(&r, Status::Fail, None).actual,
            "/etc/passwd is missing"
        );
        let f = accounts_host()
            .file_fact("/etc/shadow", FileFact::Unreadable)
            .build();
        let r = eval(&predicate("shadow_hashed_or_locked"), &f);
        only(&r, Status::Error, Some(Reason::ProbeFailed));
        assert_eq!(r.detail.as_deref(), Some("/etc/shadow is not readable"));
        // A predicate that does not need shadow still needs it readable (it may not lie).
        let f = accounts_host()
            .file_fact("/etc/shadow", FileFact::Missing)
            .build();
        only(&eval(&predicate("unique_uids"), &f), Status::Pass, None);
        let r = eval(&predicate("shadow_hashed_or_locked"), &f);
        assert_eq!(
            only(&r, Status::Fail, None).actual,
            "/etc/shadow is missing"
        );
        let f = accounts_host()
            .file(
                "/etc/passwd",
                &format!("{PASSWD}broken:x:notanumber:1::/:/bin/sh\n+::::::\n"),
            )
            .build();
        let r = eval(&predicate("unique_uids"), &f);
        assert_eq!(
            only(&r, Status::Fail, None).actual,
            "/etc/passwd line 6 is not a valid entry; /etc/passwd line 7 is not a valid entry"
        );
        let f = accounts_host()
            .file("/etc/shadow", &format!("{SHADOW}short:$6$CanaryTooShort\n"))
            .build();
        let r = eval(&predicate("shadow_hashed_or_locked"), &f);
        assert_eq!(
            only(&r, Status::Fail, None).actual,
            "/etc/shadow line 6 is not a valid entry"
        );
        assert_no_hash(&r);
        // Homes are judged only where the probe stat'ed them.
        let f = facts()
            .file("/etc/passwd", PASSWD)
            .file_fact("/etc/shadow", FileFact::Missing)
            .file("/etc/group", GROUP)
            .file_fact("/etc/gshadow", FileFact::Missing)
            .file_fact("/etc/login.defs", FileFact::Missing)
            .file("/etc/shells", SHELLS)
            .build();
        let r = eval(&predicate("home_dirs_exist"), &f);
        assert_eq!(
            only(&r, Status::Fail, None).actual,
            "root: home /root was not gathered; alice: home /home/alice was not gathered"
        );
    }

    #[test]
    fn accounts_parameters_are_validated_at_load() {
        let cases = [
            (
                "{ method: accounts, predicate: unique_ids }",
                "`predicate` must be one of",
            ),
            (
                "{ method: accounts, predicate: shadow_max_days }",
                "needs `expected`",
            ),
            (
                "{ method: accounts, predicate: unique_uids, group: x }",
                "`group` is not a parameter of accounts predicate `unique_uids`",
            ),
            (
                "{ method: accounts, predicate: group_empty }",
                "needs `group`",
            ),
            (
                "{ method: accounts, predicate: home_dirs_mode, mode: 'rwx' }",
                "`mode` `rwx` is not a permission mode",
            ),
        ];
        for (check, message) in cases {
            let yaml = format!("id: t\ntitle: t\nseverity: low\ncheck: {check}\n");
            let err = load_error(&yaml);
            assert!(err.contains(message), "{check}: {err}");
        }
    }

    // -----------------------------------------------------------------------------------------
    // config_value with drop-ins
    // -----------------------------------------------------------------------------------------

    const JOURNALD: &str = "{ method: config_value, path: /etc/systemd/journald.conf, dropins: systemd, key: Storage, delimiter: '=', expected: persistent }";

    fn journald_dirs(f: FactsBuilder, etc: &[(&str, &str)], usr: &[(&str, &str)]) -> FactsBuilder {
        f.dir("/etc/systemd/journald.conf.d", "*.conf", etc)
            .dir_fact("/run/systemd/journald.conf.d", "*.conf", DirFact::Missing)
            .dir_fact(
                "/usr/local/lib/systemd/journald.conf.d",
                "*.conf",
                DirFact::Missing,
            )
            .dir("/usr/lib/systemd/journald.conf.d", "*.conf", usr)
    }

    #[test]
    fn dropins_systemd_order_merges_by_name_and_later_names_win() {
        let main = facts().file(
            "/etc/systemd/journald.conf",
            "[Journal]\nStorage=volatile\n",
        );
        // A drop-in beats the main file.
        let f = journald_dirs(main, &[("60-storage.conf", "Storage=persistent\n")], &[]).build();
        let e = only(&eval(JOURNALD, &f), Status::Pass, None);
        assert_eq!(
            e.source["file"],
            "/etc/systemd/journald.conf.d/60-storage.conf"
        );
        // A vendor file sorting later wins over /etc, whatever the directory.
        let main = facts().file("/etc/systemd/journald.conf", "[Journal]\n");
        let f = journald_dirs(
            main,
            &[("60-storage.conf", "Storage=persistent\n")],
            &[("90-vendor.conf", "Storage=auto\n")],
        )
        .build();
        let e = only(&eval(JOURNALD, &f), Status::Fail, None);
        assert_eq!(e.actual, "auto");
        // The same name in /etc hides the vendor file entirely.
        let main = facts().file("/etc/systemd/journald.conf", "[Journal]\n");
        let f = journald_dirs(
            main,
            &[("90-vendor.conf", "Storage=persistent\n")],
            &[("90-vendor.conf", "Storage=auto\n")],
        )
        .build();
        only(&eval(JOURNALD, &f), Status::Pass, None);
        // Missing everywhere fails; an unreadable drop-in is an error, not a skip.
        let main = facts().file_fact("/etc/systemd/journald.conf", FileFact::Missing);
        let f = journald_dirs(main, &[], &[]).build();
        assert_eq!(
            only(&eval(JOURNALD, &f), Status::Fail, None).actual,
            "not set"
        );
        let entries = vec![DirEntryFact {
            name: "10-x.conf".into(),
            content: FileFact::Unreadable,
        }];
        let main = facts().file("/etc/systemd/journald.conf", "Storage=persistent\n");
        let f = journald_dirs(main, &[], &[])
            .dir_fact(
                "/etc/systemd/journald.conf.d",
                "*.conf",
                DirFact::Entries { entries },
            )
            .build();
        let r = eval(JOURNALD, &f);
        only(&r, Status::Error, Some(Reason::ProbeFailed));
        assert_eq!(
            r.detail.as_deref(),
            Some("/etc/systemd/journald.conf.d/10-x.conf is not readable")
        );
    }

    #[test]
    fn dropins_plain_order_reads_main_then_each_dir_and_the_last_wins() {
        let check = "{ method: config_value, path: /etc/security/pwquality.conf, dropins: plain, key: minlen, delimiter: '=', expected: 14, comparator: '>=' }";
        let f = facts()
            .file("/etc/security/pwquality.conf", "minlen = 15\n")
            .dir(
                "/etc/security/pwquality.conf.d",
                "*.conf",
                &[("50-site.conf", "minlen = 8\n")],
            )
            .build();
        let e = only(&eval(check, &f), Status::Fail, None);
        assert_eq!(e.actual, "8");
        assert_eq!(
            e.source["file"],
            "/etc/security/pwquality.conf.d/50-site.conf"
        );
        // Explicit directories, read in the order given.
        let check = "{ method: config_value, path: /etc/security/limits.conf, dropin_dirs: [/etc/security/limits.d, /etc/extra.d], key: x, expected: '2' }";
        let f = facts()
            .file("/etc/security/limits.conf", "x 1\n")
            .dir("/etc/security/limits.d", "*.conf", &[("a.conf", "x 3\n")])
            .dir("/etc/extra.d", "*.conf", &[("a.conf", "x 2\n")])
            .build();
        only(&eval(check, &f), Status::Pass, None);
    }

    #[test]
    fn dropins_sshd_order_follows_include_where_it_appears() {
        let check = "{ method: config_value, path: /etc/ssh/sshd_config, dropins: sshd, key: PermitRootLogin, expected: 'no', case_insensitive_key: true, stop_at: '^\\s*Match\\s' }";
        let dir = |files: &[(&str, &str)]| facts().dir("/etc/ssh/sshd_config.d", "*.conf", files);
        // Include at the top: the drop-in is read first and wins (first value counts).
        let f = dir(&[("10-a.conf", "PermitRootLogin no\n")])
            .file(
                "/etc/ssh/sshd_config",
                "Include /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin yes\n",
            )
            .build();
        let e = only(&eval(check, &f), Status::Pass, None);
        assert_eq!(e.source["file"], "/etc/ssh/sshd_config.d/10-a.conf");
        // Include at the bottom: the main file's value comes first; line numbers stay true.
        let f = dir(&[("10-a.conf", "PermitRootLogin no\n")])
            .file(
                "/etc/ssh/sshd_config",
                "# c\nPermitRootLogin yes\nInclude sshd_config.d/*.conf\n",
            )
            .build();
        let e = only(&eval(check, &f), Status::Fail, None);
        assert_eq!(
            (e.source["file"].clone(), e.source["line"].clone()),
            (json!("/etc/ssh/sshd_config"), json!(2))
        );
        // No Include: drop-ins are not read at all.
        let f = dir(&[("10-a.conf", "PermitRootLogin no\n")])
            .file("/etc/ssh/sshd_config", "PermitRootLogin yes\n")
            .build();
        only(&eval(check, &f), Status::Fail, None);
        // A Match block ends the global part, includes after it too.
        let f = dir(&[("10-a.conf", "PermitRootLogin yes\n")])
            .file(
                "/etc/ssh/sshd_config",
                "PermitRootLogin no\nMatch User x\nInclude /etc/ssh/sshd_config.d/*.conf\n",
            )
            .build();
        only(&eval(check, &f), Status::Pass, None);
        // An Include the rule did not gather is an error, never a silent skip.
        let f = dir(&[])
            .file("/etc/ssh/sshd_config", "Include /etc/ssh/other/*.conf\n")
            .build();
        only(&eval(check, &f), Status::Error, Some(Reason::ProbeFailed));
    }

    #[test]
    fn dropins_parameters_are_validated_at_load() {
        for (check, message) in [
            (
                "{ method: config_value, path: [/a, /b], dropins: plain, key: k }",
                "the one main file",
            ),
            (
                "{ method: config_value, path: /a, dropins: nginx, key: k }",
                "`dropins` must be one of",
            ),
            (
                "{ method: config_value, path: /a, dropin_dirs: [rel.d], key: k }",
                "not an absolute path",
            ),
        ] {
            let yaml = format!("id: t\ntitle: t\nseverity: low\ncheck: {check}\n");
            let err = load_error(&yaml);
            assert!(err.contains(message), "{check}: {err}");
        }
        // The systemd preset derives /etc, /run, /usr/local/lib and /usr/lib directories.
        let rule = rule(JOURNALD);
        let plan =
            crate::probe::ProbePlan::for_rules(&crate::rules::RuleSet { rules: vec![rule] }, true);
        for dir in [
            "/etc/systemd/journald.conf.d",
            "/run/systemd/journald.conf.d",
            "/usr/local/lib/systemd/journald.conf.d",
            "/usr/lib/systemd/journald.conf.d",
        ] {
            assert!(
                plan.dirs.contains(&(dir.to_owned(), "*.conf".to_owned())),
                "{dir}"
            );
        }
    }

    // -----------------------------------------------------------------------------------------
    // config_line
    // -----------------------------------------------------------------------------------------

    const SUDO_NOPASSWD: &str = "{ method: config_line, paths: [/etc/sudoers, /etc/sudoers.d], scan_pattern: '*', pattern: 'NOPASSWD', expect: no_match }";

    #[test]
    fn config_line_searches_files_and_directories_ignoring_comments() {
        let f = facts()
            .file("/etc/sudoers", "# NOPASSWD is bad\nroot ALL=(ALL) ALL\n")
            .dir_fact("/etc/sudoers", "*", DirFact::Missing)
            .dir(
                "/etc/sudoers.d",
                "*",
                &[("90-cloud", "ubuntu ALL=(ALL) NOPASSWD:ALL\n")],
            )
            .build();
        let e = only(&eval(SUDO_NOPASSWD, &f), Status::Fail, None);
        assert_eq!(e.actual, "matched at /etc/sudoers.d/90-cloud:1");
        assert_eq!(
            e.source["matches"][0]["text"],
            "ubuntu ALL=(ALL) NOPASSWD:ALL"
        );
        let f = facts()
            .file("/etc/sudoers", "# NOPASSWD is bad\n")
            .dir("/etc/sudoers.d", "*", &[])
            .build();
        only(&eval(SUDO_NOPASSWD, &f), Status::Pass, None);
        // Many matches: all counted, the first ones shown.
        let many = "u ALL=(ALL) NOPASSWD:ALL\n".repeat(25);
        let f = facts()
            .file_fact("/etc/sudoers", FileFact::Missing)
            .dir("/etc/sudoers.d", "*", &[("many", &many)])
            .build();
        let e = only(&eval(SUDO_NOPASSWD, &f), Status::Fail, None);
        assert_eq!(e.actual, "25 lines match");
        assert_eq!(e.source["matches"].as_array().unwrap().len(), 20);
        let check = "{ method: config_line, paths: [/etc/modprobe.conf, /etc/modprobe.d], pattern: '^install\\s+cramfs\\s+/bin/(false|true)' }";
        let f = facts()
            .file_fact("/etc/modprobe.conf", FileFact::Missing)
            .dir(
                "/etc/modprobe.d",
                "*.conf",
                &[("cis.conf", "install cramfs /bin/false\n")],
            )
            .build();
        only(&eval(check, &f), Status::Pass, None);
        // Nothing there at all: no line matches.
        let f = facts()
            .file_fact("/etc/modprobe.conf", FileFact::Missing)
            .dir_fact("/etc/modprobe.d", "*.conf", DirFact::Missing)
            .build();
        assert_eq!(
            only(&eval(check, &f), Status::Fail, None).actual,
            "no line matches"
        );
        // An unreadable file may hold the line.
        let f = facts()
            .file_fact("/etc/modprobe.conf", FileFact::Unreadable)
            .dir("/etc/modprobe.d", "*.conf", &[])
            .build();
        only(&eval(check, &f), Status::Error, Some(Reason::ProbeFailed));
        // A bad regex is a load error.
        let yaml = "id: t\ntitle: t\nseverity: low\ncheck: { method: config_line, paths: [/x], pattern: '(' }\n";
        let err = load_error(yaml);
        assert!(err.contains("`pattern` is not a valid regex"), "{err}");
    }

    #[test]
    fn config_line_never_shows_a_shadow_hash() {
        let check = "{ method: config_line, paths: [/etc/shadow], pattern: '^alice:' }";
        let f = facts()
            .file("/etc/shadow", SHADOW)
            .dir_fact("/etc/shadow", "*.conf", DirFact::Missing)
            .build();
        let r = eval(check, &f);
        let e = only(&r, Status::Pass, None);
        assert_eq!(
            e.source["matches"][0]["text"],
            "alice: password set, SHA-512"
        );
        assert_no_hash(&r);
    }

    // -----------------------------------------------------------------------------------------
    // kernel_module_state: not_loadable
    // -----------------------------------------------------------------------------------------

    const NOT_LOADABLE: &str =
        "{ method: kernel_module_state, name: usb-storage, state: not_loadable }";

    fn modprobe(conf: &str, etc: &[(&str, &str)]) -> FactsBuilder {
        let f = facts().offline();
        let f = if conf.is_empty() {
            f.file_fact("/etc/modprobe.conf", FileFact::Missing)
        } else {
            f.file("/etc/modprobe.conf", conf)
        };
        f.dir("/etc/modprobe.d", "*.conf", etc)
    }

    #[test]
    fn not_loadable_needs_install_false_and_blacklist_or_no_module_file() {
        let both = [(
            "usb.conf",
            "install usb_storage /bin/true\nblacklist usb-storage\n",
        )];
        let e = only(
            &eval(NOT_LOADABLE, &modprobe("", &both).build()),
            Status::Pass,
            None,
        );
        assert_eq!(
            e.actual,
            "install disabled, blacklisted, no kernel module tree"
        );
        let only_install = [("usb.conf", "install usb-storage /bin/true\n")];
        let e = only(
            &eval(NOT_LOADABLE, &modprobe("", &only_install).build()),
            Status::Fail,
            None,
        );
        assert_eq!(
            e.actual,
            "install disabled, not blacklisted, no kernel module tree"
        );
        // /etc/modprobe.conf counts too.
        let f = modprobe("blacklist usb_storage\n", &only_install).build();
        only(&eval(NOT_LOADABLE, &f), Status::Pass, None);
        // No kernel ships it: not loadable whatever the configuration.
        let mut f = modprobe("", &[]).build();
        f.kernel_modules = Some(["ext4".to_owned(), "vfat".to_owned()].into());
        let e = only(&eval(NOT_LOADABLE, &f), Status::Pass, None);
        assert_eq!(e.actual, "not configured, not shipped by any kernel");
        f.kernel_modules = Some(["usb_storage".to_owned()].into());
        only(&eval(NOT_LOADABLE, &f), Status::Fail, None);
        // An empty module tree says nothing.
        f.kernel_modules = Some(Default::default());
        only(&eval(NOT_LOADABLE, &f), Status::Fail, None);
        // Online, a loaded module fails even when configured.
        let mut f = modprobe("", &both).build();
        f.offline = false;
        f.files.insert(
            "/proc/modules".into(),
            FileFact::from_bytes(b"usb_storage 1 0 - Live\n"),
        );
        let e = only(&eval(NOT_LOADABLE, &f), Status::Fail, None);
        assert!(e.actual.ends_with("loaded"), "{}", e.actual);
    }

    #[test]
    fn module_file_names_read_the_same_everywhere() {
        use crate::probe::sources::module_name_of_file;
        assert_eq!(
            module_name_of_file("usb-storage.ko.xz").as_deref(),
            Some("usb_storage")
        );
        assert_eq!(module_name_of_file("cramfs.ko").as_deref(), Some("cramfs"));
        assert_eq!(module_name_of_file("modules.dep"), None);
        assert_eq!(module_name_of_file("x.kobj"), None);
        assert_eq!(module_name_of_file(".ko"), None);
    }

    // -----------------------------------------------------------------------------------------
    // mount_option: missing: pass, if_mounted
    // -----------------------------------------------------------------------------------------

    #[test]
    fn mount_option_missing_pass_and_if_mounted() {
        let mounts = "/dev/sda1 / ext4 rw 0 0\n/dev/sda2 /home ext4 rw,nodev 0 0\n";
        let fstab = "/dev/sda1 / ext4 defaults 0 1\n/dev/sda2 /home ext4 defaults,nodev 0 2\n";
        let host = || {
            facts()
                .file("/proc/mounts", mounts)
                .file("/etc/fstab", fstab)
        };
        let check =
            "{ method: mount_option, mount_point: /var/tmp, options: [nodev], missing: pass }";
        let e = only(&eval(check, &host().build()), Status::Pass, None);
        assert_eq!(e.actual, "not mounted (acceptable)");
        let check =
            "{ method: mount_option, mount_point: /home, options: [nodev], if_mounted: true }";
        let e = only(&eval(check, &host().build()), Status::Pass, None);
        assert_eq!(e.actual, "mounted with rw,nodev; fstab: defaults,nodev");
        let check =
            "{ method: mount_option, mount_point: /srv, options: [nodev], if_mounted: true }";
        only(&eval(check, &host().build()), Status::Pass, None);
        // Mounted but not listed in fstab: the option will not survive a reboot.
        let f = host()
            .file("/etc/fstab", "/dev/sda1 / ext4 defaults 0 1\n")
            .build();
        let check =
            "{ method: mount_option, mount_point: /home, options: [nodev], if_mounted: true }";
        let e = only(&eval(check, &f), Status::Fail, None);
        assert_eq!(e.actual, "mounted with rw,nodev; fstab: no entry");
        // Listed in fstab without the option (offline: fstab alone answers).
        let f = facts()
            .offline()
            .file("/etc/fstab", "/dev/sda2 /home ext4 defaults 0 2\n")
            .build();
        only(&eval(check, &f), Status::Fail, None);
        let f = facts()
            .offline()
            .file_fact("/etc/fstab", FileFact::Missing)
            .build();
        only(&eval(check, &f), Status::Pass, None);
        let f = facts()
            .offline()
            .file_fact("/etc/fstab", FileFact::Unreadable)
            .build();
        only(&eval(check, &f), Status::Error, Some(Reason::ProbeFailed));
    }

    // -----------------------------------------------------------------------------------------
    // service_state: installed, wanted_by
    // -----------------------------------------------------------------------------------------

    #[test]
    fn service_state_installed_and_wanted_by() {
        let show = "Id=telnet.socket\nNames=telnet.socket\nLoadState=not-found\nActiveState=inactive\nUnitFileState=\nWantedBy=\n\n\
                    Id=rsyslog.service\nNames=rsyslog.service\nLoadState=loaded\nActiveState=active\nUnitFileState=enabled\nWantedBy=multi-user.target\n";
        let live = facts().units(UnitsFact::Ran { output: ran(show) }).build();
        let check = "{ method: service_state, name: telnet.socket, installed: false }";
        let e = only(&eval(check, &live), Status::Pass, None);
        assert!(e.actual.starts_with("installed=false"), "{}", e.actual);
        let check = "{ method: service_state, name: rsyslog.service, installed: false }";
        only(&eval(check, &live), Status::Fail, None);
        let check =
            "{ method: service_state, name: rsyslog.service, wanted_by: multi-user.target }";
        only(&eval(check, &live), Status::Pass, None);
        let check = "{ method: service_state, name: rsyslog.service, wanted_by: graphical.target }";
        only(&eval(check, &live), Status::Fail, None);
        // Offline: unit files and links answer; a mask link is not an installed unit.
        let offline = facts()
            .offline()
            .stat(
                "/etc/systemd/system/telnet.socket",
                vec![link("/etc/systemd/system/telnet.socket", "/dev/null")],
            )
            .stat(
                "/usr/lib/systemd/system/rsyslog.service",
                vec![entry(
                    "/usr/lib/systemd/system/rsyslog.service",
                    0o644,
                    0,
                    0,
                )],
            )
            .stat(
                "/etc/systemd/system/multi-user.target.wants/rsyslog.service",
                vec![link(
                    "/etc/systemd/system/multi-user.target.wants/rsyslog.service",
                    "/lib/systemd/system/rsyslog.service",
                )],
            )
            .build();
        let check = "{ method: service_state, name: telnet.socket, installed: false }";
        only(&eval(check, &offline), Status::Pass, None);
        let check = "{ method: service_state, name: rsyslog.service, installed: true, wanted_by: multi-user.target }";
        only(&eval(check, &offline), Status::Pass, None);
        let check = "{ method: service_state, name: rsyslog.service, wanted_by: 'bad name' }";
        let yaml = format!("id: t\ntitle: t\nseverity: low\ncheck: {check}\n");
        assert!(
            load(
                &[RuleSource {
                    name: "t.yml".into(),
                    text: yaml
                }],
                &BTreeMap::new()
            )
            .is_err()
        );
    }

    // -----------------------------------------------------------------------------------------
    // command: stdout_empty
    // -----------------------------------------------------------------------------------------

    #[test]
    fn command_stdout_empty() {
        let check = "{ method: command, run: 'find / -nouser', stdout_empty: true }";
        let f = facts().command("find / -nouser", 0, " \n").build();
        only(&eval(check, &f), Status::Pass, None);
        let f = facts()
            .command("find / -nouser", 0, "/srv/orphan\n")
            .build();
        let e = only(&eval(check, &f), Status::Fail, None);
        assert_eq!(e.actual, "exit 0, stdout not empty");
        assert_eq!(e.expected, "exit 0, stdout empty");
        let f = facts()
            .command_fact(
                "find / -nouser",
                CommandFact::Ran {
                    exit_code: 0,
                    stdout: String::new(),
                    stderr: String::new(),
                    stdout_truncated: true,
                },
            )
            .build();
        only(&eval(check, &f), Status::Fail, None);
        let f = facts().build();
        only(&eval(check, &f), Status::Error, Some(Reason::ProbeFailed));
        let yaml = "id: t\ntitle: t\nseverity: low\ncheck: { method: command, run: x, stdout_empty: true, expected_stdout: y }\n";
        let err = load_error(yaml);
        assert!(err.contains("contradicts"), "{err}");
    }
}

/// Kensa's semantics, flag by flag.
mod kensa;
