//! The state file as the record of a fleet scan: host locks taken as each probe starts and
//! released once the host is recorded, short-lived locks after a crash, and a store failure
//! on one host that stays that host's error.
//!
//! Every host here is the same loopback sshd under several inventory names; a `command` rule
//! holds a host's probe until the test creates its `go-<host>` file, so the test decides when
//! each probe ends instead of sleeping.

mod support;

use std::fs;
use std::path::PathBuf;
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};
use support::sshd::{SshdOptions, TestSshd, processes_matching, write_client_config};
use support::tools::sqlite3;
use support::{json, plumb, report_host as host, run, stderr};

/// How long the test waits for something a run is about to do.
const PATIENCE: Duration = Duration::from_secs(60);

struct Fleet {
    _server: TestSshd,
    hosts: Vec<String>,
    dir: tempfile::TempDir,
    config: PathBuf,
    inventory: PathBuf,
    state: PathBuf,
}

impl Fleet {
    /// `hosts` as inventory names of one sshd, each with its own gate file names.
    fn new(hosts: &[&str]) -> Fleet {
        let server = TestSshd::start(SshdOptions::default()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("ssh_config");
        write_client_config(std::slice::from_ref(&server), &config).unwrap();
        let gates = dir.path().join("gates");
        fs::create_dir(&gates).unwrap();
        let mut inventory = String::from("hosts:\n");
        for host in hosts {
            inventory.push_str(&format!(
                "  {host}: {{ address: {}, vars: {{ gates: '{}', gate_name: {host} }} }}\n",
                server.alias,
                gates.display()
            ));
        }
        let inventory_path = dir.path().join("inventory.yml");
        fs::write(&inventory_path, inventory).unwrap();
        fs::write(
            dir.path().join("gated.yml"),
            "- id: gated\n  title: waits for the test\n  severity: low\n  vars: { gates: /nonexistent, gate_name: none }\n  check:\n    method: command\n    timeout: 5m\n    run: \"touch {{ gates }}/started-{{ gate_name }}; while [ ! -e {{ gates }}/go-{{ gate_name }} ]; do sleep 0.1; done\"\n",
        )
        .unwrap();
        fs::write(
            dir.path().join("quick.yml"),
            "- id: root-exists\n  title: / exists\n  severity: low\n  check: { method: file_exists, path: / }\n",
        )
        .unwrap();
        Fleet {
            _server: server,
            hosts: hosts.iter().map(|h| (*h).to_owned()).collect(),
            state: dir.path().join("state.db"),
            dir,
            config,
            inventory: inventory_path,
        }
    }

    fn scan(&self, rules: &str, args: &[&str]) -> std::process::Command {
        let mut cmd = plumb();
        cmd.args(["scan", "--format", "json", "--ssh-config"])
            .arg(&self.config)
            .arg("--state")
            .arg(&self.state)
            .arg("-i")
            .arg(&self.inventory)
            .arg("--rules")
            .arg(self.dir.path().join(rules))
            .args(args);
        cmd
    }

    fn spawn(&self, rules: &str, args: &[&str]) -> Child {
        self.scan(rules, args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    fn gate(&self, name: &str) -> PathBuf {
        self.dir.path().join("gates").join(name)
    }

    fn release(&self, host: &str) {
        fs::write(self.gate(&format!("go-{host}")), "").unwrap();
    }

    fn started(&self, host: &str) -> bool {
        self.gate(&format!("started-{host}")).exists()
    }

    /// The hosts locked in the state file now, sorted.
    fn locked_hosts(&self) -> Vec<String> {
        sqlite3(&self.state, "SELECT host FROM host_locks ORDER BY host")
            .lines()
            .map(str::to_owned)
            .collect()
    }

    fn scans_of(&self, host: &str) -> u64 {
        sqlite3(
            &self.state,
            &format!("SELECT count(*) FROM scans WHERE host = '{host}'"),
        )
        .trim()
        .parse()
        .unwrap()
    }
}

impl Drop for Fleet {
    /// Probes still held (by a failed test or a killed run) end, so nothing outlives the test.
    fn drop(&mut self) {
        for host in &self.hosts {
            let _ = fs::write(self.gate(&format!("go-{host}")), "");
        }
        let gates = self.dir.path().join("gates").display().to_string();
        let deadline = Instant::now() + PATIENCE;
        while !processes_matching(&gates).is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Stops the processes whose command line names a directory: the ssh connections a killed
/// run left in its runtime directory.
struct StopOnDrop(PathBuf);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        for pid in processes_matching(&self.0.display().to_string()) {
            // SAFETY: signalling a process our own child started.
            unsafe {
                libc::kill(pid as i32, libc::SIGTERM);
            }
        }
    }
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !done() {
        assert!(Instant::now() < deadline, "gave up waiting: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn finish(child: Child) -> Output {
    child.wait_with_output().unwrap()
}

/// One host's results cannot be stored (a trigger makes SQLite refuse its scan): it is that
/// host's error, the others are recorded, the report is complete and no lock is left behind.
#[test]
fn a_store_failure_on_one_host_is_that_hosts_error() {
    let fleet = Fleet::new(&["h1", "h2", "h3"]);
    let out = run(&mut fleet.scan("quick.yml", &[]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    sqlite3(
        &fleet.state,
        "CREATE TRIGGER refuse_h2 BEFORE INSERT ON scans WHEN NEW.host = 'h2' \
         BEGIN SELECT RAISE(ABORT, 'simulated write failure'); END;",
    );

    for attempt in ["first", "second"] {
        let out = run(&mut fleet.scan("quick.yml", &[]));
        assert_eq!(out.status.code(), Some(3), "{attempt}: {}", stderr(&out));
        let report = json(&out);
        let names: Vec<&str> = report["hosts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["host"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["h1", "h2", "h3"], "input order");
        for ok in ["h1", "h3"] {
            assert_eq!(host(&report, ok)["outcome"], "ok", "{attempt}: {report}");
            assert!(host(&report, ok)["scan_id"].is_string());
        }
        let failed = host(&report, "h2");
        assert_eq!(failed["outcome"], "error", "{attempt}: {report}");
        let error = failed["error"].as_str().unwrap();
        assert!(
            error.contains("scanned, but the results could not be recorded in the state file")
                && error.contains("simulated write failure"),
            "{attempt}: {error}"
        );
        assert_eq!(
            failed["results"][0]["rule_id"], "root-exists",
            "results kept"
        );
        assert_eq!(failed["results"][0]["status"], "pass");
        assert!(failed["scan_id"].is_null());
        assert!(
            !stderr(&out).contains("busy"),
            "{attempt}: nothing is left locked: {}",
            stderr(&out)
        );
        assert!(fleet.locked_hosts().is_empty(), "{attempt}: locks left");
    }
    assert_eq!(fleet.scans_of("h1"), 3);
    assert_eq!(fleet.scans_of("h2"), 1, "only the scan before the trigger");
    assert_eq!(fleet.scans_of("h3"), 3);
}

/// With one probe at a time, only the host being probed is locked: another run cannot scan
/// it, but can scan a host still queued; once a host is recorded its lock is gone.
#[test]
fn hosts_are_locked_while_probed_and_released_once_recorded() {
    let fleet = Fleet::new(&["h1", "h2"]);
    let first = fleet.spawn("gated.yml", &["--concurrency", "1"]);
    wait_for("a probe to start", || {
        fleet.started("h1") || fleet.started("h2")
    });
    let (now, queued) = if fleet.started("h1") {
        ("h1", "h2")
    } else {
        ("h2", "h1")
    };
    assert_eq!(
        fleet.locked_hosts(),
        [now],
        "only the host being probed is locked"
    );

    let out = run(&mut fleet.scan("quick.yml", &["--limit", now]));
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let report = json(&out);
    let error = host(&report, now)["error"].as_str().unwrap();
    assert!(error.contains("another plumb run"), "{error}");
    assert!(stderr(&out).contains("busy"), "{}", stderr(&out));

    let out = run(&mut fleet.scan("quick.yml", &["--limit", queued]));
    assert_eq!(
        out.status.code(),
        Some(0),
        "a queued host is free: {}",
        stderr(&out)
    );
    assert_eq!(host(&json(&out), queued)["outcome"], "ok");
    assert_eq!(fleet.scans_of(queued), 1);
    assert_eq!(fleet.locked_hosts(), [now]);

    fleet.release(now);
    wait_for("the next probe to start", || fleet.started(queued));
    wait_for("the first host's lock to go once it is recorded", || {
        fleet.locked_hosts() == [queued]
    });
    assert_eq!(fleet.scans_of(now), 1, "recorded before its lock went");

    fleet.release(queued);
    let out = finish(first);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(host(&report, "h1")["outcome"], "ok", "{report}");
    assert_eq!(host(&report, "h2")["outcome"], "ok", "{report}");
    assert_eq!(fleet.scans_of(queued), 2);
    assert!(fleet.locked_hosts().is_empty());
}

/// A run killed mid-probe leaves its locks, each expiring at most the lock TTL after it was
/// last written, so the hosts are free again within that time.
#[test]
fn a_crashed_runs_locks_expire_within_the_short_ttl() {
    let fleet = Fleet::new(&["h1", "h2"]);
    let runtime = fleet.dir.path().join("runtime");
    fs::create_dir(&runtime).unwrap();
    let _ssh_left_behind = StopOnDrop(runtime.clone());
    let mut child = fleet
        .scan("gated.yml", &["--concurrency", "2"])
        .env("XDG_RUNTIME_DIR", &runtime)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for("both probes to start", || {
        fleet.started("h1") && fleet.started("h2")
    });
    child.kill().unwrap();
    child.wait().unwrap();
    let killed_at = plumb::store::now_ms();
    let ttl = i64::try_from(plumb::store::HOST_LOCK_TTL.as_millis()).unwrap();

    let rows = sqlite3(
        &fleet.state,
        "SELECT host, expires_at FROM host_locks ORDER BY host",
    );
    let rows: Vec<(&str, i64)> = rows
        .lines()
        .map(|line| {
            let (host, expires_at) = line.split_once('|').unwrap();
            (host, expires_at.parse().unwrap())
        })
        .collect();
    assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), ["h1", "h2"]);
    for (host, expires_at) in rows {
        assert!(expires_at > killed_at, "{host}: held when the run died");
        assert!(
            expires_at <= killed_at + ttl,
            "{host}: expires {} ms after the crash, over the {ttl} ms TTL",
            expires_at - killed_at
        );
    }
}
