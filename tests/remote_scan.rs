//! `plumb scan` against real sshd processes on 127.0.0.1: one exec per host, fleets from
//! inventories, and hosts that misbehave.

mod support;

use std::fs;
use std::path::Path;
use support::sshd::{SshdOptions, TestSshd, write_client_config};
use support::{fixtures, json, plumb, run, stderr};

fn scan_hosts(config: &Path, state: &Path, args: &[&str]) -> std::process::Output {
    run(plumb()
        .args(["scan", "--format", "json", "--ssh-config"])
        .arg(config)
        .arg("--state")
        .arg(state)
        .args(args))
}

fn ten_rules(dir: &Path) -> std::path::PathBuf {
    let mut text = String::new();
    for n in 0..10 {
        text.push_str(&format!(
            "- id: r{n}\n  title: rule {n}\n  severity: low\n  check: {{ method: file_exists, path: /etc/hostname{n} }}\n"
        ));
    }
    let path = dir.join("ten.yml");
    fs::write(&path, text).unwrap();
    path
}

#[test]
fn one_exec_per_host_for_ten_rules_and_for_the_full_pack() {
    let server = TestSshd::start(SshdOptions {
        count_execs: true,
        ..SshdOptions::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("ssh_config");
    write_client_config(std::slice::from_ref(&server), &config).unwrap();
    let state = dir.path().join("state.db");

    let rules = ten_rules(dir.path());
    let out = scan_hosts(
        &config,
        &state,
        &[
            &server.alias,
            "--fail-on",
            "never",
            "--rules",
            rules.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["hosts"][0]["outcome"], "ok");
    assert_eq!(report["hosts"][0]["summary"]["total"], 10);
    assert_eq!(server.exec_count(), 1, "ten rules, one exec");

    let out = scan_hosts(&config, &state, &[&server.alias, "--fail-on", "never"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["hosts"][0]["outcome"], "ok", "{report}");
    assert!(report["hosts"][0]["summary"]["total"].as_u64().unwrap() >= 150);
    assert_eq!(server.exec_count(), 2, "the full pack, one more exec");
}

/// The same machine scanned natively and over ssh gives the same verdicts.
#[test]
fn a_remote_scan_agrees_with_a_local_one() {
    let server = TestSshd::start(SshdOptions::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("ssh_config");
    write_client_config(std::slice::from_ref(&server), &config).unwrap();
    let tree = fixtures::materialise("rhel9");
    let inventory = dir.path().join("inventory.yml");
    fs::write(
        &inventory,
        format!(
            "hosts:\n  rhel9: {{ address: {}, root: '{}' }}\n",
            server.alias,
            tree.path().display()
        ),
    )
    .unwrap();
    let remote = json(&scan_hosts(
        &config,
        &dir.path().join("a.db"),
        &["-i", inventory.to_str().unwrap(), "--fail-on", "never"],
    ));
    let local = json(&run(plumb()
        .args([
            "scan",
            "--format",
            "json",
            "--no-store",
            "--fail-on",
            "never",
            "--root",
        ])
        .arg(tree.path())));
    let verdicts = |report: &serde_json::Value| -> Vec<(String, String)> {
        report["hosts"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["rule_id"].as_str().unwrap().to_owned(),
                    r["status"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    assert_eq!(remote["hosts"][0]["outcome"], "ok", "{remote}");
    assert_eq!(verdicts(&remote), verdicts(&local));
}

/// 20 sshd hosts, each scanning a different fixture tree through the inventory's `root`; each
/// host's verdicts are that tree's recorded expected results.
#[test]
fn a_fleet_of_twenty_hosts_from_an_inventory() {
    let servers = TestSshd::start_many(20, SshdOptions::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("ssh_config");
    write_client_config(&servers, &config).unwrap();
    let names = fixtures::host_names();
    let trees: Vec<_> = names.iter().map(|n| fixtures::materialise(n)).collect();
    let mut inventory = String::from("groups: { fleet: {} }\nhosts:\n");
    for (index, server) in servers.iter().enumerate() {
        let tree = &trees[index % trees.len()];
        inventory.push_str(&format!(
            "  {name}-{index}: {{ address: {alias}, groups: [fleet], labels: {{ tree: {name} }}, root: '{root}' }}\n",
            name = names[index % names.len()],
            alias = server.alias,
            root = tree.path().display()
        ));
    }
    let inventory_path = dir.path().join("inventory.yml");
    fs::write(&inventory_path, inventory).unwrap();
    let out = scan_hosts(
        &config,
        &dir.path().join("state.db"),
        &[
            "-i",
            inventory_path.to_str().unwrap(),
            "--rules",
            fixtures::repo().join("fixtures/rules").to_str().unwrap(),
            "--concurrency",
            "8",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "findings exist: {}",
        stderr(&out)
    );
    let report = json(&out);
    let hosts = report["hosts"].as_array().unwrap();
    assert_eq!(hosts.len(), 20);
    for host in hosts {
        let name = host["host"].as_str().unwrap();
        assert_eq!(host["outcome"], "ok", "{name}: {host}");
        let tree = name.rsplit_once('-').unwrap().0;
        let expected =
            fs::read_to_string(fixtures::repo().join(format!("fixtures/hosts/{tree}.expected")))
                .unwrap();
        let actual: String = host["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| match r["reason"].as_str() {
                Some(reason) => format!(
                    "{} {} {reason}\n",
                    r["rule_id"].as_str().unwrap(),
                    r["status"].as_str().unwrap()
                ),
                None => format!(
                    "{} {}\n",
                    r["rule_id"].as_str().unwrap(),
                    r["status"].as_str().unwrap()
                ),
            })
            .collect();
        assert_eq!(actual, expected, "{name}");
    }
    // --limit by label picks the matching hosts only.
    let out = scan_hosts(
        &config,
        &dir.path().join("state.db"),
        &[
            "-i",
            inventory_path.to_str().unwrap(),
            "--limit",
            "tree=rhel9",
            "--fail-on",
            "never",
        ],
    );
    let report = json(&out);
    let hosts = report["hosts"].as_array().unwrap();
    assert_eq!(hosts.len(), 5);
    assert!(
        hosts
            .iter()
            .all(|h| h["host"].as_str().unwrap().starts_with("rhel9-"))
    );
}

#[test]
fn an_ansible_inventory_and_its_vars_feed_rules() {
    let server = TestSshd::start(SshdOptions::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("ssh_config");
    write_client_config(std::slice::from_ref(&server), &config).unwrap();
    let marker = dir.path().join("marker");
    fs::write(&marker, "").unwrap();
    let rules = dir.path().join("rules.yml");
    fs::write(
        &rules,
        "- id: marker\n  title: marker\n  severity: low\n  vars: { where: /nonexistent }\n  check: { method: file_exists, path: '{{ where }}' }\n",
    )
    .unwrap();
    let inventory = dir.path().join("hosts.yml");
    fs::write(
        &inventory,
        format!(
            "all:\n  children:\n    web:\n      vars: {{ where: '{}' }}\n      hosts:\n        web1: {{ ansible_host: {}, ansible_user: {} }}\n",
            marker.display(),
            server.alias,
            server.user
        ),
    )
    .unwrap();
    let out = scan_hosts(
        &config,
        &dir.path().join("s.db"),
        &[
            "-i",
            inventory.to_str().unwrap(),
            "--rules",
            rules.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["hosts"][0]["host"], "web1");
    assert_eq!(report["hosts"][0]["results"][0]["status"], "pass");
}

/// Each kind of broken or hostile host is a clear per-host error; the good host beside it is
/// scanned normally, and the run exits 3.
#[test]
fn hostile_hosts_fail_alone_with_a_clear_reason() {
    let cases: [(&str, &str, &str); 6] = [
        ("junk", "head -c 100000 /dev/urandom", "malformed"),
        ("flood", "yes", "exceeded"),
        (
            "forged",
            "printf 'deadbeefdeadbeefdeadbeefdeadbeef F 3 2\\n/x\\nT\\n'",
            "nonce",
        ),
        ("truncated", "sh -s | head -c 3000", "ended early"),
        ("early-exit", "exit 3", "exited 3"),
        ("silent", "cat > /dev/null", "no output"),
    ];
    let good = TestSshd::start(SshdOptions::default()).unwrap();
    let mut servers = vec![];
    for (_, command, _) in &cases {
        servers.push(
            TestSshd::start(SshdOptions {
                force_command: Some((*command).to_owned()),
                ..SshdOptions::default()
            })
            .unwrap(),
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("ssh_config");
    let mut all: Vec<&TestSshd> = servers.iter().collect();
    all.push(&good);
    let text: String = all.iter().map(|s| s.config_block()).collect();
    fs::write(&config, text).unwrap();
    let mut args: Vec<String> = servers.iter().map(|s| s.alias.clone()).collect();
    args.push(good.alias.clone());
    args.extend(["--max-output".into(), "1048576".into(), "--rules".into()]);
    args.push(ten_rules(dir.path()).display().to_string());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = scan_hosts(&config, &dir.path().join("state.db"), &args);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let report = json(&out);
    let hosts = report["hosts"].as_array().unwrap();
    for ((name, _, needle), server) in cases.iter().zip(&servers) {
        let host = hosts
            .iter()
            .find(|h| h["host"] == server.alias.as_str())
            .unwrap();
        assert_eq!(host["outcome"], "error", "{name}: {host}");
        let error = host["error"].as_str().unwrap();
        assert!(error.contains(needle), "{name}: {error}");
    }
    let good_host = hosts
        .iter()
        .find(|h| h["host"] == good.alias.as_str())
        .unwrap();
    assert_eq!(good_host["outcome"], "ok");
    assert!(
        stderr(&out).contains("hosts: 7"),
        "the summary names every host: {}",
        stderr(&out)
    );
    // `--fail-on never` softens findings only: hosts that could not be scanned still exit 3.
    let mut soft = args.clone();
    soft.extend(["--fail-on", "never"]);
    assert_eq!(
        scan_hosts(&config, &dir.path().join("state.db"), &soft)
            .status
            .code(),
        Some(3)
    );
}

#[test]
fn unknown_host_keys_are_refused_under_strict_and_the_host_is_recorded_as_an_error_scan() {
    let server = TestSshd::start(SshdOptions::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("ssh_config");
    // No known_hosts entry for this server.
    fs::write(
        &config,
        format!(
            "Host {}\n  HostName 127.0.0.1\n  Port {}\n  User {}\n  IdentityFile {}\n  UserKnownHostsFile {}\n",
            server.alias,
            server.port,
            server.user,
            server.client_key().display(),
            dir.path().join("empty_known_hosts").display()
        ),
    )
    .unwrap();
    let state = dir.path().join("state.db");
    let out = scan_hosts(&config, &state, &[&server.alias]);
    assert_eq!(out.status.code(), Some(3));
    let report = json(&out);
    assert!(
        report["hosts"][0]["error"]
            .as_str()
            .unwrap()
            .contains("accept-new"),
        "{report}"
    );
    assert!(stderr(&out).contains("host key refused"));
    let scans = run(plumb()
        .args(["state", "scans", "--format", "json", "--state"])
        .arg(&state));
    let scans = json(&scans);
    assert_eq!(scans[0]["status"], "error", "{scans}");
    // accept-new trusts the first-seen key.
    let out = scan_hosts(
        &config,
        &state,
        &[
            &server.alias,
            "--host-key-policy",
            "accept-new",
            "--fail-on",
            "never",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn a_host_locked_by_another_run_is_not_scanned_twice() {
    let server = TestSshd::start(SshdOptions {
        count_execs: true,
        ..SshdOptions::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("ssh_config");
    write_client_config(std::slice::from_ref(&server), &config).unwrap();
    let state = dir.path().join("state.db");
    let mut store = plumb::store::Store::open(&state).unwrap();
    assert!(
        store
            .try_lock_host(
                &server.alias,
                "another-run",
                std::time::Duration::from_secs(600)
            )
            .unwrap()
    );
    drop(store);
    let out = scan_hosts(&config, &state, &[&server.alias]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        json(&out)["hosts"][0]["error"]
            .as_str()
            .unwrap()
            .contains("another plumb run")
    );
    assert_eq!(server.exec_count(), 0);
}

/// Ctrl-C during a probe ends the run cleanly: the host is reported as an error, the master
/// connection and its control directory are gone.
#[test]
fn ctrl_c_cleans_up_master_connections() {
    let server = TestSshd::start(SshdOptions {
        force_command: Some("sleep 30".into()),
        ..SshdOptions::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("ssh_config");
    write_client_config(std::slice::from_ref(&server), &config).unwrap();
    let runtime = dir.path().join("runtime");
    fs::create_dir(&runtime).unwrap();
    let child = plumb()
        .args(["scan", "--format", "json", "--no-store", "--ssh-config"])
        .arg(&config)
        .arg(&server.alias)
        .env("XDG_RUNTIME_DIR", &runtime)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the master's control directory exists, i.e. the probe is under way.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while fs::read_dir(&runtime).unwrap().next().is_none() {
        assert!(
            std::time::Instant::now() < deadline,
            "no control directory appeared"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    // SAFETY: signalling our own child.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["hosts"][0]["outcome"], "error");
    let left: Vec<_> = fs::read_dir(&runtime)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert!(left.is_empty(), "control directories left behind: {left:?}");
    let masters = support::sshd::processes_matching(&runtime.display().to_string());
    assert!(
        masters.is_empty(),
        "master connections left running: {masters:?}"
    );
}
