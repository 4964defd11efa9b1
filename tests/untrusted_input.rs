//! Hostile input from scanned hosts and images: rpm databases that would run forever or take all
//! memory, `--root` paths with URI characters, and probe streams that cost far more memory
//! parsed than their size. Each is a clear per-host error (or rule error), never a hang, an
//! abort, or a lost run; good hosts beside them are scanned normally.
//!
//! plumb runs under an address-space limit and a wall-clock guard here, so a regression fails
//! the test (killed, or aborted by a signal) instead of hanging it or swapping the machine.

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use support::sshd::{SshdOptions, TestSshd};
use support::{fixtures, plumb, report_host as host};

/// Far beyond any honest scan here; only a hang reaches it.
const HANG_GUARD: Duration = Duration::from_secs(180);
/// plumb's address space: a runaway allocation fails instead of exhausting the machine.
const ADDRESS_SPACE: u64 = 6 << 30;

const PACKAGE_RULE: &str = "pkg-sudo";
const PACKAGE_YAML: &str = "\
- id: pkg-sudo
  title: sudo is installed
  severity: low
  check: { method: package_state, name: sudo, state: present }
";
const OS_RELEASE_YAML: &str = "\
- id: os-release
  title: os-release exists
  severity: low
  check: { method: file_exists, path: /etc/os-release }
";

struct Finished {
    /// `None` when plumb was ended by a signal.
    code: Option<i32>,
    stdout: Vec<u8>,
    stderr: String,
}

impl Finished {
    fn report(&self) -> serde_json::Value {
        serde_json::from_slice(&self.stdout)
            .unwrap_or_else(|err| panic!("stdout is not JSON ({err}); stderr: {}", self.stderr))
    }
}

/// Runs plumb to completion under [`ADDRESS_SPACE`], killing it after [`HANG_GUARD`].
fn run_guarded(cmd: &mut Command) -> Finished {
    let out = support::run_bounded(support::limit_address_space(cmd, ADDRESS_SPACE), HANG_GUARD);
    Finished {
        code: out.status.code(),
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A rhel-like tree (rhel9's os-release) whose rpm database is built by `sql`.
fn rhel_tree_with_rpmdb(sql: &str) -> tempfile::TempDir {
    let tree = tempfile::Builder::new()
        .prefix("plumb-hostile-rpmdb-")
        .tempdir()
        .unwrap();
    fs::create_dir_all(tree.path().join("etc")).unwrap();
    fs::copy(
        fixtures::repo().join("fixtures/hosts/rhel9/etc/os-release"),
        tree.path().join("etc/os-release"),
    )
    .unwrap();
    let db = tree.path().join("var/lib/rpm/rpmdb.sqlite");
    fs::create_dir_all(db.parent().unwrap()).unwrap();
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch(sql)
        .unwrap();
    tree
}

fn rules_file(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("rules.yml");
    fs::write(&path, text).unwrap();
    path
}

/// A package rule and a file rule.
fn both_rules(dir: &Path) -> PathBuf {
    rules_file(dir, &format!("{PACKAGE_YAML}{OS_RELEASE_YAML}"))
}

/// `plumb scan --root TREE` (natively or through the local sh probe) with `rules`.
fn scan_root(tree: &Path, rules: &Path, via_shell: bool) -> Finished {
    let mut cmd = plumb();
    cmd.args([
        "scan",
        "--format",
        "json",
        "--no-store",
        "--fail-on",
        "never",
    ])
    .arg("--rules")
    .arg(rules)
    .arg("--root")
    .arg(tree);
    if via_shell {
        cmd.arg("--via-shell");
    }
    run_guarded(&mut cmd)
}

fn result<'a>(host: &'a serde_json::Value, rule: &str) -> &'a serde_json::Value {
    host["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule_id"] == rule)
        .unwrap_or_else(|| panic!("no result for {rule}: {host}"))
}

/// A `Name` that recurses forever (spun for 21 minutes before), one that builds a 500 MB string
/// per row (aborted the process before), a row too big to be a name, and a computed column.
const HOSTILE_RPMDBS: [(&str, &str, &str); 4] = [
    (
        "recursive view",
        "CREATE VIEW Name AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) \
         SELECT 'pkg' || i AS key FROM n;",
        "not a plain table",
    ),
    (
        "memory view",
        "CREATE VIEW Name AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) \
         SELECT printf('%.*c', 500000000, 'x') || i AS key FROM n;",
        "not a plain table",
    ),
    (
        "huge row",
        "CREATE TABLE Name (key TEXT NOT NULL, hnum INTEGER NOT NULL); \
         INSERT INTO Name VALUES ('sudo', 1), (printf('%.*c', 4000000, 'x'), 2);",
        "larger than",
    ),
    (
        "generated column",
        "CREATE TABLE Name (hnum INTEGER NOT NULL, \
         key TEXT GENERATED ALWAYS AS (printf('%.*c', 500000000, 'x') || hnum) VIRTUAL); \
         INSERT INTO Name (hnum) VALUES (1), (2), (3);",
        "not a plain table",
    ),
];

#[test]
fn hostile_rpm_databases_are_a_package_error_not_a_hang_or_an_abort() {
    let dir = tempfile::tempdir().unwrap();
    let rules = both_rules(dir.path());
    for (name, sql, needle) in HOSTILE_RPMDBS {
        let tree = rhel_tree_with_rpmdb(sql);
        for via_shell in [false, true] {
            let case = format!("{name} (via shell: {via_shell})");
            let out = scan_root(tree.path(), &rules, via_shell);
            // 3: a rule could not be assessed. Not a signal, not an operational failure.
            assert_eq!(out.code, Some(3), "{case}: {}", out.stderr);
            let report = out.report();
            let host = &report["hosts"][0];
            assert_eq!(host["outcome"], "ok", "{case}: {host}");
            let package = result(host, PACKAGE_RULE);
            assert_eq!(package["status"], "error", "{case}: {package}");
            let detail = package["detail"].as_str().unwrap();
            assert!(
                detail.contains("/var/lib/rpm/rpmdb.sqlite: ") && detail.contains(needle),
                "{case}: {detail}"
            );
            assert_eq!(result(host, "os-release")["status"], "pass", "{case}");
        }
    }
}

/// Package facts are gathered only for rules that need them: without a package rule, even a
/// database that would never finish is not opened.
#[test]
fn an_rpm_database_no_rule_needs_is_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let (_, sql, _) = HOSTILE_RPMDBS[0];
    let tree = rhel_tree_with_rpmdb(sql);
    let rules = rules_file(dir.path(), OS_RELEASE_YAML);
    for via_shell in [false, true] {
        let out = scan_root(tree.path(), &rules, via_shell);
        assert_eq!(out.code, Some(0), "{}", out.stderr);
        let report = out.report();
        assert_eq!(report["summary"]["total"], 1);
        assert_eq!(result(&report["hosts"][0], "os-release")["status"], "pass");
    }
}

/// The rpm database is opened through a `file:` URI, so `#`, `?` and `%` in the `--root` path
/// must be escaped, or the path is cut short and the database is not found.
#[test]
fn a_root_path_with_uri_characters_still_reads_the_rpm_database() {
    let tree = fixtures::materialise("rhel9");
    let odd = tree.path().join("img#1?x%y");
    fs::create_dir(&odd).unwrap();
    for entry in fs::read_dir(tree.path()).unwrap() {
        let entry = entry.unwrap();
        if entry.path() != odd {
            fs::rename(entry.path(), odd.join(entry.file_name())).unwrap();
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let rules = both_rules(dir.path());
    for via_shell in [false, true] {
        let out = scan_root(&odd, &rules, via_shell);
        assert_eq!(out.code, Some(0), "via shell {via_shell}: {}", out.stderr);
        let package = result(&out.report()["hosts"][0], PACKAGE_RULE).clone();
        assert_eq!(
            package["status"], "pass",
            "via shell {via_shell}: {package}"
        );
    }
}

fn client_config(servers: &[&TestSshd], dir: &Path) -> PathBuf {
    let path = dir.join("ssh_config");
    let text: String = servers.iter().map(|s| s.config_block()).collect();
    fs::write(&path, text).unwrap();
    path
}

fn scan_fleet(config: &Path, args: &[&str]) -> Finished {
    run_guarded(
        plumb()
            .args(["scan", "--format", "json", "--no-store", "--ssh-config"])
            .arg(config)
            .args(args),
    )
}

/// Over ssh, a host whose image holds a hostile rpm database costs that host its package
/// verdicts only; a good host in the same run is scanned in full.
#[test]
fn a_hostile_rpm_database_costs_only_its_host_in_a_fleet() {
    let servers = TestSshd::start_many(2, SshdOptions::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = client_config(&servers.iter().collect::<Vec<_>>(), dir.path());
    let good_tree = fixtures::materialise("rhel9");
    let (_, sql, _) = HOSTILE_RPMDBS[0];
    let hostile_tree = rhel_tree_with_rpmdb(sql);
    let inventory = dir.path().join("inventory.yml");
    fs::write(
        &inventory,
        format!(
            "hosts:\n  good: {{ address: {}, root: '{}' }}\n  hostile: {{ address: {}, root: '{}' }}\n",
            servers[0].alias,
            good_tree.path().display(),
            servers[1].alias,
            hostile_tree.path().display()
        ),
    )
    .unwrap();
    let rules = both_rules(dir.path());
    let out = scan_fleet(
        &config,
        &[
            "-i",
            inventory.to_str().unwrap(),
            "--rules",
            rules.to_str().unwrap(),
            "--fail-on",
            "never",
        ],
    );
    assert_eq!(out.code, Some(3), "{}", out.stderr);
    let report = out.report();
    let good = host(&report, "good");
    assert_eq!(good["outcome"], "ok", "{good}");
    assert_eq!(result(good, PACKAGE_RULE)["status"], "pass", "{good}");
    let hostile = host(&report, "hostile");
    assert_eq!(hostile["outcome"], "ok", "{hostile}");
    let package = result(hostile, PACKAGE_RULE);
    assert_eq!(package["status"], "error", "{package}");
    assert!(
        package["detail"]
            .as_str()
            .unwrap()
            .contains("not a plain table"),
        "{package}"
    );
    assert_eq!(result(hostile, "os-release")["status"], "pass");
}

/// One record of a hostile probe stream: type, key, body.
type Rec = (&'static str, String, Vec<u8>);

/// A host (sshd `ForceCommand`) that answers every probe with `records`, framed with the run's
/// nonce (read from the script's first line), and a valid end record.
fn hostile_stream_host(records: &[Rec], dir: &Path) -> TestSshd {
    let mut script = String::from(
        "IFS= read -r first; n=${first#NONCE=}; cat > /dev/null\n\
         emit() { printf '%s %s %s %s\\n%s' \"$n\" \"$1\" \"${#2}\" $(($(wc -c < \"$3\"))) \"$2\"; \
         cat \"$3\"; printf '\\n'; }\n",
    );
    let body_dir = tempfile::Builder::new()
        .prefix("stream-")
        .tempdir_in(dir)
        .unwrap()
        .keep();
    for (index, (kind, key, body)) in records.iter().enumerate() {
        assert!(key.is_ascii() && !key.contains('\''));
        let body_path = body_dir.join(index.to_string());
        fs::write(&body_path, body).unwrap();
        script.push_str(&format!("emit {kind} '{key}' '{}'\n", body_path.display()));
    }
    script.push_str(&format!(
        "printf '%s E 0 %s\\n%s\\n' \"$n\" {} {}\n",
        records.len().to_string().len(),
        records.len()
    ));
    TestSshd::start(SshdOptions {
        force_command: Some(script),
        ..SshdOptions::default()
    })
    .unwrap()
}

/// 60 MB of stat entries of a few bytes each: millions of parsed entries.
const TINY_PAIRS_BYTES: usize = 60_000_000;

fn tiny_stat_pairs() -> Vec<Rec> {
    let entry = b"f - - - 1 0\na";
    vec![(
        "S",
        "/x".into(),
        entry.repeat(TINY_PAIRS_BYTES / entry.len()),
    )]
}

/// Six hosts whose streams are well framed but cost far more memory parsed than their size, or
/// carry bodies no probe sends; and one good host. The hostile ones fail alone, each with a
/// clear reason, and the good one is scanned.
#[test]
fn costly_probe_streams_fail_alone_and_parse_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let file_cap = 8 * 1024 * 1024;
    let mut listing_names = b"E".to_vec();
    for n in 0..2_000_000 {
        listing_names.extend_from_slice(format!("7:{n:07}").as_bytes());
    }
    let apk_lines: Vec<u8> = (0..2_000_000)
        .flat_map(|n| format!("P:{n:07}\n").into_bytes())
        .collect();
    let mut shared_file = b"T".to_vec();
    shared_file.extend(std::iter::repeat_n(b'x', 4_000_000));
    let mut clones: Vec<Rec> = vec![("G", "/d/f".into(), shared_file)];
    for n in 0..40 {
        clones.push(("D", format!("/d\n*{n}"), b"E1:f".to_vec()));
    }
    let mut big_file = b"T".to_vec();
    big_file.extend(std::iter::repeat_n(b'x', file_cap + 1));
    let mut big_command = format!("R 0 {} 0 0\n", 2_000_000).into_bytes();
    big_command.extend(std::iter::repeat_n(b'x', 2_000_000));
    let cases: Vec<(&str, Vec<Rec>, &str)> = vec![
        ("tiny stat pairs", tiny_stat_pairs(), "bytes of memory"),
        (
            "tiny listing names",
            vec![("D", "/d\n*".into(), listing_names)],
            "bytes of memory",
        ),
        (
            "tiny package lines",
            vec![("P", "apk".into(), apk_lines)],
            "bytes of memory",
        ),
        (
            "a file listed under many patterns",
            clones,
            "bytes of memory",
        ),
        (
            "a file over the cap",
            vec![("F", "/etc/motd".into(), big_file)],
            "file cap",
        ),
        (
            "a command over the cap",
            vec![("C", "id".into(), big_command)],
            "larger than its cap",
        ),
    ];
    let hostile: Vec<TestSshd> = cases
        .iter()
        .map(|(_, records, _)| hostile_stream_host(records, dir.path()))
        .collect();
    let good = TestSshd::start(SshdOptions::default()).unwrap();
    let mut all: Vec<&TestSshd> = hostile.iter().collect();
    all.push(&good);
    let config = client_config(&all, dir.path());
    let rules = both_rules(dir.path());
    let mut args: Vec<&str> = all.iter().map(|s| s.alias.as_str()).collect();
    args.extend(["--rules", rules.to_str().unwrap(), "--fail-on", "never"]);
    let out = scan_fleet(&config, &args);
    assert_eq!(out.code, Some(3), "{}", out.stderr);
    let report = out.report();
    for ((name, _, needle), server) in cases.iter().zip(&hostile) {
        let host = host(&report, &server.alias);
        assert_eq!(host["outcome"], "error", "{name}: {host}");
        let error = host["error"].as_str().unwrap();
        assert!(error.contains(needle), "{name}: {error}");
    }
    let good_host = host(&report, &good.alias);
    assert_eq!(good_host["outcome"], "ok", "{good_host}");
    assert_eq!(result(good_host, "os-release")["status"], "pass");

    // Alone, the tiny-pairs host shows plumb's peak memory: the stream plus a bounded parse,
    // not many times its size. Measured by GNU time, which forks plumb from a small process:
    // a child forked from this test binary would count this process's own memory (other tests
    // run in it at the same time) in its peak.
    let peak_file = dir.path().join("peak-kib");
    let scan = plumb();
    let mut timed = Command::new("/usr/bin/time");
    timed
        .args(["-f", "%M", "-o"])
        .arg(&peak_file)
        .arg(scan.get_program())
        .args(["scan", "--format", "json", "--no-store", "--ssh-config"])
        .arg(&config)
        .args([&hostile[0].alias, "--rules", rules.to_str().unwrap()]);
    for (key, value) in scan.get_envs() {
        match value {
            Some(value) => timed.env(key, value),
            None => timed.env_remove(key),
        };
    }
    let out = run_guarded(&mut timed);
    assert_eq!(out.code, Some(3), "{}", out.stderr);
    let peak_kib: u64 = fs::read_to_string(&peak_file)
        .unwrap_or_else(|err| panic!("GNU time wrote no peak ({err}); is /usr/bin/time installed?"))
        // After "Command exited with non-zero status 3", the figure is the last line.
        .lines()
        .last()
        .and_then(|line| line.trim().parse().ok())
        .unwrap();
    let bound = 4 * TINY_PAIRS_BYTES as u64;
    assert!(
        peak_kib * 1024 < bound,
        "plumb peaked at {} bytes for a {TINY_PAIRS_BYTES} byte stream (bound {bound})",
        peak_kib * 1024
    );
}
