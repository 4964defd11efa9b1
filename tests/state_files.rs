//! The state file on disk (issue 9): its modes, what `--state` accepts, and honest reports
//! when the file cannot be reached (read-only file system, full disk, permissions).
//!
//! The read-only and full-disk cases mount a tmpfs in a private mount namespace
//! (`unshare --mount`), which goes away with the process; the permission case runs plumb as
//! `nobody` through `setpriv`. Those need root, as CI runs the tests.

mod support;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use support::{fixtures, json, plumb, run, stderr};

fn mode(path: &Path) -> u32 {
    fs::metadata(path)
        .unwrap_or_else(|err| panic!("stat {}: {err}", path.display()))
        .permissions()
        .mode()
        & 0o7777
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn scan_cmd(root: &Path, state: &Path) -> Command {
    let mut cmd = plumb();
    cmd.args(["scan", "--format", "json", "--rules"])
        .arg(fixtures::repo().join("fixtures/rules"))
        .arg("--root")
        .arg(root)
        .args(["--host-name", "web", "--state"])
        .arg(state);
    cmd
}

/// Scans a fixture host into `state`, which must succeed (exit 0 or 1: findings).
fn scan_into(state: &Path) {
    let tree = fixtures::materialise("debian12-default");
    let out = run(&mut scan_cmd(tree.path(), state));
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "scan failed ({:?}): {}",
        out.status.code(),
        stderr(&out)
    );
}

fn state_cmd(args: &[&str], state: &Path) -> Command {
    let mut cmd = plumb();
    cmd.arg("state").args(args).arg("--state").arg(state);
    cmd
}

/// Names in `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn assert_exit(out: &Output, code: i32, what: &str) -> String {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(code), "{what}: {err}");
    assert!(!err.contains("panicked"), "{what}: {err}");
    err
}

#[test]
fn new_files_are_0600_and_an_existing_files_mode_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    // Held open, so SQLite's -wal and -shm are there to be looked at. The test process has
    // the usual umask (022), under which SQLite alone would create them 0644.
    let store = plumb::store::Store::open(&path).unwrap();
    for file in [path.clone(), sibling(&path, "-wal"), sibling(&path, "-shm")] {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
    drop(store);

    // Through the binary too; an operator's 0644 survives a scan that writes to the file.
    let existing = dir.path().join("shared.db");
    scan_into(&existing);
    assert_eq!(mode(&existing), 0o600);
    fs::set_permissions(&existing, fs::Permissions::from_mode(0o644)).unwrap();
    let tree = fixtures::materialise("debian12-hardened");
    let out = run(&mut scan_cmd(tree.path(), &existing));
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    assert_eq!(mode(&existing), 0o644);
}

#[test]
fn only_the_default_location_gets_a_directory_and_it_is_0700() {
    let home = tempfile::tempdir().unwrap();
    let xdg = home.path().join("state-home");
    let out = run(plumb()
        .env("XDG_STATE_HOME", &xdg)
        .args(["state", "migrate"]));
    assert_exit(&out, 0, "migrate at the default location");
    assert_eq!(mode(&xdg.join("plumb")), 0o700);
    assert_eq!(mode(&xdg.join("plumb/state.db")), 0o600);

    // An explicit path whose directory is missing: exit 2, the directory named, nothing made.
    let missing = home.path().join("typo");
    let state = missing.join("sub/state.db");
    let tree = fixtures::materialise("debian12-default");
    let before = listing(home.path());
    for (what, mut cmd) in [
        ("scan", scan_cmd(tree.path(), &state)),
        ("state migrate", state_cmd(&["migrate"], &state)),
        ("state show", state_cmd(&["show"], &state)),
        ("state check", state_cmd(&["check"], &state)),
    ] {
        let err = assert_exit(&run(&mut cmd), 2, what);
        assert!(
            err.contains(&format!(
                "{} is not an existing directory",
                missing.join("sub").display()
            )),
            "{what}: {err}"
        );
        assert_eq!(listing(home.path()), before, "{what} created something");
    }

    // `plumb state path` only prints the path.
    let out = run(&mut state_cmd(&["path", "--format", "json"], &state));
    assert_exit(&out, 0, "state path");
    assert_eq!(json(&out)["path"], state.display().to_string());
    assert!(!missing.exists());
}

#[test]
fn a_postgres_url_never_becomes_a_file() {
    let cwd = tempfile::tempdir().unwrap();
    let tree = fixtures::materialise("debian12-default");
    for (url, shown) in [
        (
            "postgres://plumb@localhost/plumb",
            "postgres://plumb@localhost/plumb",
        ),
        (
            "postgresql://plumb:s3cret@db.example.com:5432/plumb",
            "postgresql://plumb:***@db.example.com:5432/plumb",
        ),
    ] {
        let url = Path::new(url);
        // These commands run on PostgreSQL now: an unreachable server is an operational
        // error naming the redacted URL, and never a file named `postgres:`.
        let mut from_env = plumb();
        from_env.env("PLUMB_STATE", url).args(["state", "hosts"]);
        for (command, mut cmd) in [
            ("plumb scan", scan_cmd(tree.path(), url)),
            ("plumb state check", state_cmd(&["check"], url)),
            ("plumb state hosts", from_env),
        ] {
            let out = run(cmd.current_dir(cwd.path()));
            let err = assert_exit(&out, 3, command);
            assert!(
                err.contains(&format!("PostgreSQL state at {shown}")),
                "{command}: {err}"
            );
            assert!(
                !err.contains("s3cret"),
                "{command} echoed the password: {err}"
            );
            assert!(listing(cwd.path()).is_empty(), "{command} created a file");
        }
        // `state path` names the location, redacted, and connects to nothing.
        let out = run(state_cmd(&["path", "--format", "table"], url).current_dir(cwd.path()));
        assert_exit(&out, 0, "state path");
        assert_eq!(String::from_utf8_lossy(&out.stdout), format!("{shown}\n"));
        assert!(listing(cwd.path()).is_empty(), "state path created a file");
    }
}

/// Whether this test can use root-only means (mounts, setpriv). In CI it must: a skipped
/// test there would pass without proving anything.
fn have_root(test: &str) -> bool {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        return true;
    }
    assert_ne!(
        std::env::var("CI").as_deref(),
        Ok("true"),
        "{test} needs root (a private mount namespace, setpriv) and CI=true is set"
    );
    eprintln!("{test}: not root, so nothing was tested (it needs mounts and setpriv)");
    false
}

/// Single-quoted for sh.
fn quoted(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', r"'\''"))
}

/// `wrapper` running `cmd` (a `plumb()` command) with `cmd`'s environment.
fn wrap(mut wrapper: Command, cmd: &Command) -> Command {
    wrapper.arg(cmd.get_program()).args(cmd.get_args());
    for (key, value) in cmd.get_envs() {
        match value {
            Some(value) => wrapper.env(key, value),
            None => wrapper.env_remove(key),
        };
    }
    wrapper
}

/// `cmd` run after `setup`, in a private mount namespace: whatever `setup` mounts is gone
/// when plumb exits, even if the test fails.
fn in_namespace(setup: &str, cmd: &Command) -> Command {
    let mut unshare = Command::new("unshare");
    unshare
        .args(["--mount", "--propagation", "private", "sh", "-euc"])
        .arg(format!("{setup}\nexec \"$@\""))
        .arg("sh");
    wrap(unshare, cmd)
}

/// `cmd` run as `nobody`, with no supplementary groups.
fn as_nobody(cmd: &Command) -> Command {
    let mut setpriv = Command::new("setpriv");
    setpriv.args(["--reuid=65534", "--regid=65534", "--clear-groups"]);
    wrap(setpriv, cmd)
}

/// The message for an unusable file must not call it damaged or send the operator to
/// `plumb state check` as if it were.
fn assert_not_called_damaged(err: &str, what: &str) {
    assert!(!err.contains("damaged"), "{what}: {err}");
    assert!(!err.contains("not a plumb state file"), "{what}: {err}");
    assert!(!err.contains("corrupt"), "{what}: {err}");
}

#[test]
fn a_read_only_file_system_is_reported_as_read_only() {
    if !have_root("a_read_only_file_system_is_reported_as_read_only") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("source.db");
    scan_into(&source);
    let mnt = dir.path().join("mnt");
    fs::create_dir(&mnt).unwrap();
    let state = mnt.join("state.db");
    let setup = format!(
        "mount -t tmpfs -o size=4m tmpfs {mnt}\ncp {source} {state}\nmount -o remount,ro {mnt}",
        mnt = quoted(&mnt),
        source = quoted(&source),
        state = quoted(&state),
    );
    let tree = fixtures::materialise("debian12-default");
    let new_file = mnt.join("new.db");
    for (what, cmd, file) in [
        ("scan", scan_cmd(tree.path(), &state), &state),
        (
            "scan into a new file",
            scan_cmd(tree.path(), &new_file),
            &new_file,
        ),
        ("state show", state_cmd(&["show"], &state), &state),
        // A clean WAL file can only be read by creating its -shm beside it.
        ("state check", state_cmd(&["check"], &state), &state),
    ] {
        let err = assert_exit(&run(&mut in_namespace(&setup, &cmd)), 3, what);
        let expected = format!("state file {} cannot be written", file.display());
        assert!(err.contains(&expected), "{what}: {err}");
        assert!(err.contains("Read-only file system"), "{what}: {err}");
        assert!(err.contains("remount"), "{what}: {err}");
        assert_not_called_damaged(&err, what);
    }
}

#[test]
fn a_full_disk_is_reported_as_full() {
    if !have_root("a_full_disk_is_reported_as_full") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("source.db");
    scan_into(&source);
    let mnt = dir.path().join("mnt");
    fs::create_dir(&mnt).unwrap();
    let state = mnt.join("state.db");
    // Room for the copy plus a little, then filled to the last block: a real ENOSPC.
    let size_kib = fs::metadata(&source).unwrap().len() / 1024 + 64;
    let setup = format!(
        "mount -t tmpfs -o size={size_kib}k tmpfs {mnt}\ncp {source} {state}\n\
         dd if=/dev/zero of={mnt}/fill bs=4096 2>/dev/null || true",
        mnt = quoted(&mnt),
        source = quoted(&source),
        state = quoted(&state),
    );
    let tree = fixtures::materialise("debian12-default");
    let new_file = mnt.join("new.db");
    for (what, cmd, file) in [
        ("scan", scan_cmd(tree.path(), &state), &state),
        (
            "scan into a new file",
            scan_cmd(tree.path(), &new_file),
            &new_file,
        ),
        // Reading a clean WAL file needs room for its -shm.
        ("state check", state_cmd(&["check"], &state), &state),
    ] {
        let err = assert_exit(&run(&mut in_namespace(&setup, &cmd)), 3, what);
        assert!(
            err.contains(&format!(
                "the file system holding state file {} is full",
                file.display()
            )),
            "{what}: {err}"
        );
        assert_not_called_damaged(&err, what);
    }
}

#[test]
fn a_file_this_user_may_not_use_is_reported_as_permission_denied() {
    if !have_root("a_file_this_user_may_not_use_is_reported_as_permission_denied") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let state = dir.path().join("state.db");
    scan_into(&state);
    // Only root may read or write it.
    fs::set_permissions(&state, fs::Permissions::from_mode(0o600)).unwrap();
    let tree = fixtures::materialise("debian12-default");
    fs::set_permissions(tree.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let before = fs::read(&state).unwrap();
    for (what, cmd) in [
        ("scan", scan_cmd(tree.path(), &state)),
        ("state show", state_cmd(&["show"], &state)),
        ("state check", state_cmd(&["check"], &state)),
    ] {
        let err = assert_exit(&run(&mut as_nobody(&cmd)), 3, what);
        assert!(
            err.contains(&format!(
                "state file {} is not usable by this user",
                state.display()
            )),
            "{what}: {err}"
        );
        assert!(err.contains("Permission denied"), "{what}: {err}");
        assert_not_called_damaged(&err, what);
    }
    assert_eq!(fs::read(&state).unwrap(), before);
}
