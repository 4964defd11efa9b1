//! `--root` scans a tree a stranger may have built, as root: nothing in it may make plumb read
//! the scanning machine's files, open a device, hang on a FIFO, or swallow a huge database.
//! Each case runs through both executors (native and `--via-shell`).

mod support;

use plumb::probe::{self, ProbePlan};
use plumb::rules::{self, RuleSet};
use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;
use support::plumb;

const TOO_MANY_LINKS: &str = "too many levels of symbolic links under --root";
/// Long enough for a slow CI machine; a regression that hangs fails here instead of hanging CI.
const SCAN_DEADLINE: Duration = Duration::from_secs(120);
const EXECUTORS: [&[&str]; 2] = [&[], &["--via-shell"]];

/// `plumb scan` of `root` with the rules in `rules`, recording into `state`; rules that could
/// not be assessed are what these tests expect, so they do not fail the run.
fn scan(rules: &Path, root: &Path, state: &Path, extra: &[&str]) -> Output {
    let out = support::run_bounded(
        plumb()
            .args(["scan", "--format", "json", "--rules"])
            .arg(rules)
            .arg("--root")
            .arg(root)
            .arg("--state")
            .arg(state)
            .arg("--allow-errors")
            .args(extra),
        SCAN_DEADLINE,
    );
    assert!(
        matches!(out.status.code(), Some(0..=1)),
        "scan {extra:?}: {:?}\n{}",
        out.status,
        support::stderr(&out)
    );
    out
}

/// Each rule's result as (status, reason, detail).
fn results(out: &Output) -> BTreeMap<String, (String, String, String)> {
    let report = support::json(out);
    let text = |value: &serde_json::Value| value.as_str().unwrap_or_default().to_owned();
    report["hosts"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let fields = (text(&r["status"]), text(&r["reason"]), text(&r["detail"]));
            (text(&r["rule_id"]), fields)
        })
        .collect()
}

fn load(text: &str) -> RuleSet {
    let source = rules::RuleSource {
        name: "confinement.yml".into(),
        text: text.into(),
    };
    rules::load(&[source], &BTreeMap::new()).unwrap()
}

/// The native executor and the shell probe gather the same facts from `root`.
fn assert_parity(rules: &RuleSet, root: &Path) -> probe::Facts {
    let plan = ProbePlan::for_rules(rules, true);
    let (native, _) = probe::native::gather(&plan, root);
    let shell = probe::shell::gather_local(&plan, root).unwrap();
    assert_eq!(native, shell, "the executors disagree");
    native
}

fn write(root: &Path, path: &str, text: &str) {
    let path = root.join(path);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

/// `links` absolute symlinks under `root`, `from` → /NAME/1 → … → /NAME/<links-1> → `to`.
/// With 41, resolvers that stopped after 40 hops left the last link, to `to` on the scanning
/// machine, for the kernel to follow.
fn chain(root: &Path, from: &str, name: &str, links: usize, to: &Path) {
    fs::create_dir_all(root.join(name)).unwrap();
    let hop = |n: usize| format!("/{name}/{n}");
    for n in 0..links {
        let link = if n == 0 {
            root.join(from)
        } else {
            root.join(&hop(n)[1..])
        };
        fs::create_dir_all(link.parent().unwrap()).unwrap();
        if n + 1 == links {
            symlink(to, link).unwrap();
        } else {
            symlink(hop(n + 1), link).unwrap();
        }
    }
}

const SECRET_RULES: &str = r#"
- id: shadow-value
  title: a chained file, by config_value
  severity: high
  check: { method: config_value, path: /etc/shadow, key: SecretKey, expected: nothing }
- id: shadow-content
  title: a chained file, by file_content
  severity: high
  check: { method: file_content, path: /etc/shadow, contains: nothing }
- id: through-a-directory
  title: a chain in an intermediate component
  severity: high
  check: { method: config_value, path: /etc/ssh/sshd_config, key: SecretKey, expected: nothing }
- id: listed
  title: a chained file in a listed directory
  severity: high
  check: { method: config_value, path: [/etc/conf.d], scan_pattern: "*.conf", key: SecretKey, expected: nothing }
- id: loop
  title: a symlink loop
  severity: high
  check: { method: file_content, path: /etc/loop, contains: nothing }
"#;

/// A chain of more symlinks than the hop limit, ending at a file outside the tree, must not
/// read that file: not into the report, not into the state file. The result is an error.
#[test]
fn a_symlink_chain_past_the_hop_limit_never_reads_outside_the_root() {
    let dir = tempfile::tempdir().unwrap();
    let marker = format!("host-secret-{}", uuid::Uuid::new_v4().simple());
    let secret = dir.path().join("host-secret");
    fs::write(&secret, format!("SecretKey {marker}\n")).unwrap();
    let host_dir = dir.path().join("host-etc-ssh");
    write(&host_dir, "sshd_config", &format!("SecretKey {marker}\n"));

    let root = dir.path().join("root");
    write(&root, "etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n");
    chain(&root, "etc/shadow", "a", 41, &secret);
    chain(&root, "etc/ssh", "b", 41, &host_dir);
    chain(&root, "etc/conf.d/evil.conf", "c", 41, &secret);
    write(&root, "etc/conf.d/fine.conf", "Other 1\n");
    symlink("/etc/loop2", root.join("etc/loop")).unwrap();
    symlink("loop", root.join("etc/loop2")).unwrap();
    // The limit itself still resolves, inside the root.
    chain(&root, "etc/at-limit", "d", 40, Path::new("/etc/os-release"));
    let rules = dir.path().join("rules.yml");
    fs::write(&rules, SECRET_RULES).unwrap();

    let facts = assert_parity(&load(SECRET_RULES), &root);
    assert_eq!(
        facts.files["/etc/shadow"],
        probe::facts::FileFact::TooManyLinks
    );
    assert_eq!(
        probe::native::read_file(&root, "/etc/at-limit").text(),
        Some("ID=debian\nVERSION_ID=\"12\"\n")
    );

    for (index, extra) in EXECUTORS.iter().enumerate() {
        let state = dir.path().join(format!("state-{index}.db"));
        let out = scan(&rules, &root, &state, extra);
        for (stream, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
            let text = String::from_utf8_lossy(bytes);
            assert!(!text.contains(&marker), "{extra:?}: {stream} leaks: {text}");
        }
        let stored = fs::read(&state).unwrap();
        let leaked = stored.windows(marker.len()).any(|w| w == marker.as_bytes());
        assert!(!leaked, "{extra:?}: the state file holds the secret");
        let dump = support::tools::sqlite3(&state, ".dump");
        assert!(dump.contains("shadow-value"), "{extra:?}: nothing stored");
        assert!(
            !dump.contains(&marker),
            "{extra:?}: the dump holds the secret"
        );

        let results = results(&out);
        assert_eq!(results.len(), 5, "{extra:?}: {results:?}");
        for (rule, (status, reason, detail)) in &results {
            assert_eq!(status, "error", "{extra:?} {rule}: {detail}");
            assert_eq!(reason, "probe_failed", "{extra:?} {rule}: {detail}");
            assert!(
                detail.contains(TOO_MANY_LINKS),
                "{extra:?} {rule}: {detail}"
            );
        }
    }
}

const SSHD_RULE: &str = "
- id: sshd-root-login
  title: sshd_config is read
  severity: high
  check: { method: config_value, path: /etc/ssh/sshd_config, key: PermitRootLogin, expected: 'no' }
";

/// A FIFO where a config file belongs: the scan finishes, and the rule is an error.
#[test]
fn a_fifo_in_the_tree_neither_hangs_the_scan_nor_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    fs::create_dir_all(root.join("etc/ssh")).unwrap();
    let fifo = root.join("etc/ssh/sshd_config");
    let status = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(status.success(), "mkfifo failed");
    let rules = dir.path().join("rules.yml");
    fs::write(&rules, SSHD_RULE).unwrap();

    assert_parity(&load(SSHD_RULE), &root);
    for (index, extra) in EXECUTORS.iter().enumerate() {
        let state = dir.path().join(format!("state-{index}.db"));
        let out = scan(&rules, &root, &state, extra);
        let (status, reason, detail) = &results(&out)["sshd-root-login"];
        assert_eq!(
            (status.as_str(), reason.as_str()),
            ("error", "probe_failed")
        );
        assert!(detail.contains("is not readable"), "{extra:?}: {detail}");
    }
}

/// A device node (the null device's numbers) at /etc/shadow: it is never opened (an inotify
/// watch on the node sees no open), and the rule is an error.
#[test]
fn a_device_node_in_the_tree_is_never_opened() {
    // SAFETY: no arguments.
    if unsafe { libc::geteuid() } != 0 {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI runs the tests as root: mknod needs it"
        );
        eprintln!("not root: cannot mknod, skipping");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    fs::create_dir_all(root.join("etc")).unwrap();
    let node = std::ffi::CString::new(
        root.join("etc/shadow")
            .into_os_string()
            .into_encoded_bytes(),
    )
    .unwrap();
    // SAFETY: a valid C string; 1:3 is the null device, harmless even if opened.
    let made = unsafe { libc::mknod(node.as_ptr(), libc::S_IFCHR | 0o600, libc::makedev(1, 3)) };
    assert_eq!(made, 0, "mknod: {}", std::io::Error::last_os_error());
    // SAFETY: plain inotify calls on a descriptor this test owns.
    let watch = unsafe { libc::inotify_init1(libc::IN_NONBLOCK | libc::IN_CLOEXEC) };
    assert!(watch >= 0);
    let mask = libc::IN_OPEN | libc::IN_ACCESS;
    assert!(unsafe { libc::inotify_add_watch(watch, node.as_ptr(), mask) } >= 0);
    let rules_text = "
- id: shadow
  title: shadow is read
  severity: high
  check: { method: file_content, path: /etc/shadow, not_contains: 'x' }
";
    let rules = dir.path().join("rules.yml");
    fs::write(&rules, rules_text).unwrap();

    assert_parity(&load(rules_text), &root);
    for (index, extra) in EXECUTORS.iter().enumerate() {
        let state = dir.path().join(format!("state-{index}.db"));
        let out = scan(&rules, &root, &state, extra);
        let (status, reason, detail) = &results(&out)["shadow"];
        assert_eq!(
            (status.as_str(), reason.as_str()),
            ("error", "probe_failed")
        );
        assert!(
            detail.contains("is not a readable file"),
            "{extra:?}: {detail}"
        );
    }
    let mut events = [0u8; 4096];
    // SAFETY: reading into a buffer of the given length.
    let read = unsafe { libc::read(watch, events.as_mut_ptr().cast(), events.len()) };
    let error = std::io::Error::last_os_error();
    unsafe { libc::close(watch) };
    assert!(
        read < 0 && error.raw_os_error() == Some(libc::EAGAIN),
        "the device node was opened ({read} bytes of inotify events)"
    );
}

/// Sparse package databases over the cap (4 GiB dpkg status, just over the cap for apk) take
/// no memory and no disk: the package rule is an error naming the cap, and the scan stays small.
#[test]
fn oversize_package_databases_are_errors_and_never_read_whole() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    write(&root, "etc/os-release", "ID=debian\n");
    write(&root, "var/lib/dpkg/status", "");
    write(&root, "lib/apk/db/installed", "");
    let dpkg = fs::OpenOptions::new()
        .write(true)
        .open(root.join("var/lib/dpkg/status"))
        .unwrap();
    dpkg.set_len(4 << 30).unwrap();
    let apk = fs::OpenOptions::new()
        .write(true)
        .open(root.join("lib/apk/db/installed"))
        .unwrap();
    apk.set_len(probe::facts::MAX_PACKAGE_DB_BYTES + 1).unwrap();
    let rules_text = "
- id: openssh
  title: openssh is installed
  severity: high
  check: { method: package_state, name: openssh-server, state: present }
";
    let rules = dir.path().join("rules.yml");
    fs::write(&rules, rules_text).unwrap();

    let facts = assert_parity(&load(rules_text), &root);
    let packages = facts.packages.unwrap();
    assert!(packages.sources.is_empty(), "{packages:?}");
    assert_eq!(packages.errors.len(), 2, "{packages:?}");
    let cap = format!("{}-byte cap", probe::facts::MAX_PACKAGE_DB_BYTES);
    for (index, extra) in EXECUTORS.iter().enumerate() {
        let state = dir.path().join(format!("state-{index}.db"));
        let out = scan(&rules, &root, &state, extra);
        let (status, reason, detail) = &results(&out)["openssh"];
        assert_eq!(
            (status.as_str(), reason.as_str()),
            ("error", "probe_failed")
        );
        assert!(
            detail.contains("/var/lib/dpkg/status"),
            "{extra:?}: {detail}"
        );
        assert!(detail.contains(&cap), "{extra:?}: {detail}");
    }
    // The largest child this test process has waited for: every scan above (and any other
    // test's, all small). Reading the database whole took gigabytes.
    // SAFETY: getrusage fills the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    assert_eq!(
        unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) },
        0
    );
    let peak_mib = usage.ru_maxrss / 1024;
    assert!(peak_mib < 256, "a scan peaked at {peak_mib} MiB");
}
