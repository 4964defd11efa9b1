//! What `--state`, `PLUMB_STATE` and the config file's `state:` accept (issue 16): a file
//! path or a PostgreSQL URL, read by one parser. A URL never becomes a file, a malformed one
//! is exit 2, and the URL's password reaches no output at any -v level.

mod support;

use std::fs;
use std::path::Path;
use std::process::{Command, Output};
use support::{fixtures, plumb, run, stderr};

const CANARY: &str = "CANARY-p4ss";
const URL: &str = "postgres://u:CANARY-p4ss@127.0.0.1:1/db";
const SHOWN: &str = "postgres://u:***@127.0.0.1:1/db";

fn words(list: &[&str]) -> Vec<String> {
    list.iter().map(|w| w.to_string()).collect()
}

/// Every command that reads or writes the state runs on PostgreSQL: given an unreachable
/// server it fails operationally (exit 3). `state path` only prints the location, and
/// `state vacuum` is SQLite's own.
fn connecting(tree: &Path) -> Vec<(&'static str, Vec<String>)> {
    let rules = fixtures::repo().join("fixtures/rules");
    let scan = vec![
        "scan".to_string(),
        "--rules".into(),
        rules.display().to_string(),
        "--root".into(),
        tree.display().to_string(),
        "--host-name".into(),
        "web".into(),
    ];
    vec![
        ("plumb scan", scan),
        ("plumb state hosts", words(&["state", "hosts"])),
        ("plumb state scans", words(&["state", "scans"])),
        ("plumb state history", words(&["state", "history", "web"])),
        ("plumb state check", words(&["state", "check"])),
        (
            "plumb state prune",
            words(&["state", "prune", "--older-than", "1d"]),
        ),
        ("plumb drift", words(&["drift", "web"])),
        (
            "plumb state export",
            words(&["state", "export", "--consumer", "siem"]),
        ),
        (
            "plumb state ack",
            words(&["state", "ack", "--consumer", "siem", "batch"]),
        ),
        ("plumb state consumers", words(&["state", "consumers"])),
        ("plumb state report", words(&["state", "report"])),
        ("plumb schedule status", words(&["schedule", "status"])),
    ]
}

fn assert_no_canary(what: &str, out: &Output) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let err = stderr(out);
    assert!(
        !stdout.contains(CANARY),
        "{what}: stdout has the password: {stdout}"
    );
    assert!(
        !err.contains(CANARY),
        "{what}: stderr has the password: {err}"
    );
}

/// How a location reaches plumb.
enum Via<'a> {
    Flag(&'a str),
    Env(&'a str),
    Config(&'a Path),
}

fn command(via: &Via, args: &[String], cwd: &Path) -> Command {
    let mut cmd = plumb();
    cmd.current_dir(cwd).arg("-vvv").args(args);
    match via {
        Via::Flag(url) => cmd.arg("--state").arg(url),
        Via::Env(url) => cmd.env("PLUMB_STATE", url),
        Via::Config(file) => cmd.arg("--config").arg(file),
    };
    cmd
}

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A well-formed URL is never a file: every command connects to it and reports an
/// unreachable server (exit 3) naming the URL only in its redacted form, whichever way the
/// URL is given; nothing is created. `state path` prints the redacted URL, and `state
/// vacuum` refuses a URL before connecting.
#[test]
fn a_postgres_url_is_never_a_file_and_never_shows_its_password() {
    let tree = fixtures::materialise("debian12-default");
    let cwd = tempfile::tempdir().unwrap();
    let config_dir = tempfile::tempdir().unwrap();
    let config = config_dir.path().join("config.yaml");
    fs::write(&config, format!("state: {URL}\n")).unwrap();
    for via in [Via::Flag(URL), Via::Env(URL), Via::Config(&config)] {
        for (what, args) in connecting(tree.path()) {
            let out = run(&mut command(&via, &args, cwd.path()));
            assert_no_canary(what, &out);
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(3), "{what}: {err}");
            assert!(err.contains(SHOWN), "{what}: {err}");
            assert!(listing(cwd.path()).is_empty(), "{what} created a file");
        }
        // vacuum is the state file's own: refused before connecting.
        let vacuum = ["state".to_string(), "vacuum".into()];
        let out = run(&mut command(&via, &vacuum, cwd.path()));
        assert_no_canary("state vacuum", &out);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.contains(&format!(
                "`plumb state vacuum` applies to a state file only, not to PostgreSQL state {SHOWN}"
            )),
            "{err}"
        );
        let path = [
            "state".to_string(),
            "path".into(),
            "--format".into(),
            "table".into(),
        ];
        let out = run(&mut command(&via, &path, cwd.path()));
        assert_no_canary("state path", &out);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert_eq!(String::from_utf8_lossy(&out.stdout), format!("{SHOWN}\n"));
        let path_json = [
            "state".to_string(),
            "path".into(),
            "--format".into(),
            "json".into(),
        ];
        let out = run(&mut command(&via, &path_json, cwd.path()));
        assert_no_canary("state path --format json", &out);
        assert!(String::from_utf8_lossy(&out.stdout).contains(SHOWN));
        assert!(listing(cwd.path()).is_empty(), "state path created a file");
    }
    // clap would print an environment variable's value in the help.
    let out = run(plumb().env("PLUMB_STATE", URL).arg("--help"));
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("--state <PATH|URL>"));
    assert_no_canary("--help", &out);
}

/// Malformed URLs and unknown schemes are usage errors (exit 2) from the flag, the variable
/// and the config file alike, without the password and without creating anything.
#[test]
fn a_malformed_or_foreign_url_is_a_usage_error() {
    let cwd = tempfile::tempdir().unwrap();
    let config_dir = tempfile::tempdir().unwrap();
    let config = config_dir.path().join("config.yaml");
    let cases = [
        (
            "postgres://u:CANARY-p4ss@db:99999/plumb",
            "the port is not a number",
        ),
        ("postgres://u:CANARY-p4ss@/plumb", "the host is missing"),
        (
            "postgresql://u:CANARY-p4ss@db/plumb?sslmode=allow",
            "sslmode \"allow\"",
        ),
        ("postgres:u:CANARY-p4ss@db/plumb", "starts with postgres://"),
        (
            "postgress://u:CANARY-p4ss@db/plumb",
            "not a postgress:// URL",
        ),
        ("mysql://u:CANARY-p4ss@db/plumb", "not a mysql:// URL"),
    ];
    for (url, expected) in cases {
        fs::write(&config, format!("state: '{url}'\n")).unwrap();
        let args = ["state".to_string(), "show".to_string()];
        for via in [Via::Flag(url), Via::Env(url), Via::Config(&config)] {
            let out = run(&mut command(&via, &args, cwd.path()));
            assert_no_canary(url, &out);
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(2), "{url}: {err}");
            assert!(err.contains(expected), "{url}: {err}");
            if let Via::Config(file) = via {
                assert!(err.contains(&file.display().to_string()), "{url}: {err}");
            }
            assert!(listing(cwd.path()).is_empty(), "{url} created a file");
        }
    }
}

/// A relative path in the config file is still relative to the file, and a path with a
/// colon is still a path.
#[test]
fn paths_keep_working_from_every_source() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.yaml");
    fs::write(&config, "state: sub/state.db\n").unwrap();
    let out = run(plumb()
        .args(["state", "path", "--format", "json", "--config"])
        .arg(&config));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        printed["path"],
        dir.path().join("sub/state.db").display().to_string()
    );
    let out = run(plumb()
        .current_dir(dir.path())
        .env("PLUMB_STATE", "a:b.db")
        .args(["state", "path", "--format", "json"]));
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(printed["path"], "a:b.db");
}
