//! `plumb schedule run-once` against real state files: overlapping passes, a pass killed with
//! SIGKILL, tampered job rows, maintenance, backoff, the job key, policy refusal, and the cron
//! and systemd lines.
//!
//! Hosts are inventory entries with `connection: local` and a `root:` fixture tree, so no sshd
//! is needed; a host whose root is missing cannot be scanned.

mod support;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use support::fixtures::{PASSING_RULES, materialise};
use support::tools::sqlite3;
use support::{code, json, plumb, run, stderr, wait_for};

struct Fleet {
    dir: tempfile::TempDir,
    _tree: tempfile::TempDir,
    tree: PathBuf,
    rules: PathBuf,
    inventory: PathBuf,
    state: PathBuf,
}

impl Fleet {
    /// `hosts` local inventory hosts on one fixture tree; names `h000`, `h001`, ...
    fn new(hosts: usize) -> Fleet {
        let dir = tempfile::tempdir().unwrap();
        let tree = materialise("debian12-default");
        let rules = dir.path().join("rules.yml");
        fs::write(&rules, PASSING_RULES).unwrap();
        let fleet = Fleet {
            tree: tree.path().to_owned(),
            _tree: tree,
            rules,
            inventory: dir.path().join("inventory.yml"),
            state: dir.path().join("state.db"),
            dir,
        };
        fleet.write_inventory(&Self::names(hosts), &[]);
        fleet
    }

    fn names(hosts: usize) -> Vec<String> {
        (0..hosts).map(|i| format!("h{i:03}")).collect()
    }

    /// The inventory: `hosts` on the fixture tree, `broken` on a root that does not exist.
    fn write_inventory(&self, hosts: &[String], broken: &[&str]) {
        let mut text = String::from("hosts:\n");
        for host in hosts {
            text.push_str(&format!(
                "  {host}: {{ connection: local, root: '{}' }}\n",
                self.tree.display()
            ));
        }
        for host in broken {
            text.push_str(&format!(
                "  {host}: {{ connection: local, root: '{}' }}\n",
                self.dir.path().join("no-such-tree").display()
            ));
        }
        fs::write(&self.inventory, text).unwrap();
    }

    fn plumb(&self) -> Command {
        let mut cmd = plumb();
        cmd.env("XDG_STATE_HOME", self.dir.path().join("state-home"));
        cmd.arg("--state").arg(&self.state);
        cmd
    }

    fn run_once(&self, extra: &[&str]) -> Command {
        let mut cmd = self.plumb();
        cmd.args(["--format", "json", "schedule", "run-once", "-i"])
            .arg(&self.inventory)
            .arg("--rules")
            .arg(&self.rules)
            .arg("--allow-unsigned-policy")
            .args(extra);
        cmd
    }

    fn key_file(&self) -> PathBuf {
        self.dir.path().join("state-home/plumb/schedule.key")
    }

    /// `count` while the first pass may still be creating the file and its tables.
    fn try_count(&self, sql: &str) -> Option<u64> {
        let out = Command::new("sqlite3")
            .args(["-cmd", ".timeout 10000"])
            .arg(&self.state)
            .arg(sql)
            .output()
            .ok()?;
        String::from_utf8(out.stdout).ok()?.trim().parse().ok()
    }

    fn count(&self, sql: &str) -> u64 {
        sqlite3(&self.state, sql).trim().parse().unwrap()
    }

    fn status(&self) -> serde_json::Value {
        let out = run(self
            .plumb()
            .args(["--format", "json", "schedule", "status"]));
        assert!(out.status.success(), "{}", stderr(&out));
        json(&out)
    }

    fn host_status(&self, host: &str) -> serde_json::Value {
        let status = self.status();
        status["hosts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["host"] == host)
            .cloned()
            .unwrap_or_else(|| panic!("{host} not in {status}"))
    }
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn overlapping_passes_scan_each_due_host_exactly_once() {
    let fleet = Fleet::new(200);
    let children: Vec<Child> = (0..8)
        .map(|_| {
            fleet
                .run_once(&["--concurrency", "4"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut scanned = 0;
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        let summary = json(&out);
        assert_eq!(summary["failed"], 0, "{summary}");
        scanned += summary["scanned"].as_u64().unwrap();
    }
    assert_eq!(scanned, 200);
    assert_eq!(fleet.count("SELECT count(*) FROM scans"), 200);
    assert_eq!(fleet.count("SELECT count(DISTINCT host) FROM scans"), 200);
    assert_eq!(
        fleet.count("SELECT count(*) FROM scans WHERE trigger = 'scheduled'"),
        200
    );
    // Three rules, each seen once per host.
    assert_eq!(fleet.count("SELECT count(*) FROM transactions"), 600);
    assert_eq!(
        fleet.count("SELECT count(*) FROM jobs WHERE status = 'claimed'"),
        0
    );
    // Everything is scanned and compliant: nothing is due for 48 hours.
    let out = run(&mut fleet.run_once(&[]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let summary = json(&out);
    assert_eq!(summary["claimed"], 0, "{summary}");
    assert_eq!(summary["not_yet_due"], 200, "{summary}");
    let status = fleet.host_status("h123");
    assert_eq!(status["tier"], "compliant", "{status}");
    assert_eq!(status["interval"], "2d", "{status}");
}

#[test]
fn a_killed_pass_leaves_its_hosts_to_the_next_pass_after_the_lease() {
    let fleet = Fleet::new(60);
    let mut child = fleet
        .run_once(&["--concurrency", "1", "--lease", "2s"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for("a few scans", || {
        fleet.try_count("SELECT count(*) FROM scans").unwrap_or(0) >= 5
    });
    signal(&child, "KILL");
    child.wait().unwrap();
    let done = fleet.count("SELECT count(*) FROM scans");
    assert!(done < 60, "the pass finished before it was killed");

    // Its claims hold until the lease ends, and its host lock until that expires.
    let out = run(&mut fleet.run_once(&[]));
    assert_eq!(json(&out)["claimed"], 0, "{}", stderr(&out));
    std::thread::sleep(plumb::store::HOST_LOCK_TTL + Duration::from_secs(1));
    let out = run(&mut fleet.run_once(&[]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let summary = json(&out);
    assert_eq!(summary["scanned"].as_u64().unwrap(), 60 - done, "{summary}");
    assert_eq!(fleet.count("SELECT count(*) FROM scans"), 60);
    assert_eq!(fleet.count("SELECT count(DISTINCT host) FROM scans"), 60);
    assert_eq!(fleet.count("SELECT count(*) FROM transactions"), 180);
}

#[test]
fn a_job_row_edited_after_its_claim_is_rejected_and_not_scanned() {
    let fleet = Fleet::new(0);
    // Three names for this machine, scanned one at a time; the first one's probe waits for the
    // test, so the other two jobs sit claimed and unchecked while their rows are edited.
    let gates = fleet.dir.path().join("gates");
    fs::create_dir(&gates).unwrap();
    let rules = fleet.dir.path().join("gated.yml");
    fs::write(
        &rules,
        "- id: gated\n  title: waits for the test\n  severity: low\n  vars: { gate: /nonexistent }\n  check:\n    method: command\n    timeout: 5m\n    run: \"touch {{ gate }}.started; while [ ! -e {{ gate }} ]; do sleep 0.05; done\"\n",
    )
    .unwrap();
    let mut inventory = String::from("hosts:\n");
    for (host, gate) in [("a", "go"), ("b", "open"), ("c", "open")] {
        inventory.push_str(&format!(
            "  {host}: {{ connection: local, vars: {{ gate: '{}' }} }}\n",
            gates.join(gate).display()
        ));
    }
    fs::write(&fleet.inventory, inventory).unwrap();
    fs::write(gates.join("open"), "").unwrap();
    let child = fleet
        .plumb()
        .args([
            "--format",
            "json",
            "schedule",
            "run-once",
            "--concurrency",
            "1",
        ])
        .args(["--allow-unsigned-policy", "--fail-on", "never", "-i"])
        .arg(&fleet.inventory)
        .arg("--rules")
        .arg(&rules)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for("the first probe", || gates.join("go.started").exists());
    sqlite3(
        &fleet.state,
        "UPDATE jobs SET host = 'x' WHERE host = 'b' AND status = 'claimed';
         UPDATE jobs SET policy_version = 99 WHERE host = 'c' AND status = 'claimed';",
    );
    fs::write(gates.join("go"), "").unwrap();
    let out = child.wait_with_output().unwrap();
    let summary = json(&out);
    assert_eq!(summary["claimed"], 3, "{summary}\n{}", stderr(&out));
    assert_eq!(summary["rejected"], 2, "{summary}\n{}", stderr(&out));
    assert_eq!(summary["scanned"], 1, "{summary}");
    // A rejected job is a host that was not assessed.
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    assert_eq!(
        sqlite3(&fleet.state, "SELECT host FROM scans").trim(),
        "a",
        "only the untouched job ran"
    );
    assert_eq!(
        fleet.count("SELECT count(*) FROM jobs WHERE status = 'rejected'"),
        2
    );
    let audit = sqlite3(
        &fleet.state,
        "SELECT detail FROM audit_events WHERE kind = 'job_rejected' ORDER BY id",
    );
    assert_eq!(audit.lines().count(), 2, "{audit}");
}

#[test]
fn maintenance_keeps_a_host_out_until_it_ends_or_is_cleared() {
    let fleet = Fleet::new(3);
    // Enrol all three, scan one.
    let out = run(&mut fleet.run_once(&["--max-hosts", "1"]));
    let summary = json(&out);
    assert_eq!(summary["scanned"], 1, "{}", stderr(&out));
    assert_eq!(summary["over_cap"], 2, "{summary}");
    let out = run(fleet
        .plumb()
        .args(["schedule", "maintenance", "h001", "--for", "1h"]));
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run(&mut fleet.run_once(&[]));
    let summary = json(&out);
    assert_eq!(summary["scanned"], 1, "{summary}");
    assert_eq!(summary["skipped_maintenance"], serde_json::json!(["h001"]));
    assert_eq!(
        fleet.count("SELECT count(*) FROM scans WHERE host = 'h001'"),
        0
    );
    let status = fleet.host_status("h001");
    assert!(status["maintenance_until"].is_string(), "{status}");
    assert_eq!(status["next_scan"], status["maintenance_until"], "{status}");

    let out = run(fleet
        .plumb()
        .args(["schedule", "maintenance", "h001", "--clear"]));
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run(&mut fleet.run_once(&[]));
    assert_eq!(json(&out)["scanned"], 1, "{}", stderr(&out));
    assert_eq!(
        fleet.count("SELECT count(*) FROM scans WHERE host = 'h001'"),
        1
    );
    let maintenance_changes = fleet.count(
        "SELECT count(*) FROM audit_events WHERE kind = 'schedule_changed' AND detail LIKE '%maintenance%'",
    );
    assert!(maintenance_changes >= 2, "{maintenance_changes}");

    let out = run(fleet
        .plumb()
        .args(["schedule", "maintenance", "h002", "--until", "2999-01-01"]));
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        fleet.host_status("h002")["maintenance_until"],
        "2999-01-01T00:00:00Z"
    );
    // An age is a time in the past: not an end for a window.
    let out = run(fleet
        .plumb()
        .args(["schedule", "maintenance", "h002", "--until", "2h"]));
    assert_eq!(code(&out), 2, "{}", stderr(&out));

    let out = run(fleet
        .plumb()
        .args(["schedule", "maintenance", "nosuch", "--for", "1h"]));
    assert_eq!(code(&out), 2, "{}", stderr(&out));
}

#[test]
fn a_failing_host_backs_off_after_three_failures_and_others_still_land() {
    let fleet = Fleet::new(2);
    fleet.write_inventory(&Fleet::names(2), &["gone"]);
    for pass in 1..=3 {
        let out = run(&mut fleet.run_once(&[]));
        assert_eq!(code(&out), 3, "pass {pass}: {}", stderr(&out));
        let summary = json(&out);
        assert_eq!(summary["failed"], 1, "pass {pass}: {summary}");
    }
    let status = fleet.host_status("gone");
    assert_eq!(status["consecutive_failures"], 3, "{status}");
    assert!(status["suppress_until"].is_string(), "{status}");
    assert!(
        status["last_error"]
            .as_str()
            .unwrap()
            .contains("not a directory"),
        "{status}"
    );
    let out = run(&mut fleet.run_once(&[]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let summary = json(&out);
    assert_eq!(summary["claimed"], 0, "{summary}");
    assert_eq!(summary["skipped_backoff"], serde_json::json!(["gone"]));
    // The good hosts were scanned once, in the first pass.
    assert_eq!(
        fleet.count("SELECT count(*) FROM scans WHERE host LIKE 'h%'"),
        2
    );
}

#[test]
fn a_host_that_leaves_the_inventory_is_no_longer_scheduled_but_keeps_its_history() {
    let fleet = Fleet::new(3);
    let out = run(&mut fleet.run_once(&[]));
    assert_eq!(json(&out)["scanned"], 3, "{}", stderr(&out));
    fleet.write_inventory(&Fleet::names(2), &[]);
    let out = run(&mut fleet.run_once(&[]));
    let summary = json(&out);
    assert_eq!(
        summary["unenrolled"],
        serde_json::json!(["h002"]),
        "{summary}"
    );
    let status = fleet.status();
    let hosts: Vec<&str> = status["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["enrolled"] == true)
        .map(|h| h["host"].as_str().unwrap())
        .collect();
    assert_eq!(hosts, ["h000", "h001"]);
    assert_eq!(
        fleet.count("SELECT count(*) FROM scans WHERE host = 'h002'"),
        1
    );
    // Gone from `state hosts` (and a removal in the delta export) until it comes back.
    let removed = "SELECT count(*) FROM hosts WHERE name = 'h002' AND removed_at IS NOT NULL";
    assert_eq!(fleet.count(removed), 1);
    let listed = run(fleet.plumb().args(["--format", "json", "state", "hosts"]));
    assert!(!String::from_utf8_lossy(&listed.stdout).contains("h002"));
    fleet.write_inventory(&Fleet::names(3), &[]);
    let out = run(&mut fleet.run_once(&[]));
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(fleet.count(removed), 0);
}

#[test]
fn the_job_key_is_created_private_and_a_bad_one_stops_the_pass() {
    let fleet = Fleet::new(1);
    let out = run(&mut fleet.run_once(&[]));
    assert!(out.status.success(), "{}", stderr(&out));
    let key = fleet.key_file();
    let mode = fs::metadata(&key).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let status = fleet.status();
    assert_eq!(status["key_file"], key.display().to_string());

    fs::set_permissions(&key, fs::Permissions::from_mode(0o644)).unwrap();
    let out = run(&mut fleet.run_once(&[]));
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&key.display().to_string()),
        "{}",
        stderr(&out)
    );

    let missing = fleet.dir.path().join("missing.key");
    let out = run(fleet.run_once(&[]).env("PLUMB_SCHEDULE_KEY_FILE", &missing));
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    assert!(stderr(&out).contains("missing.key"), "{}", stderr(&out));
    assert!(!missing.exists());
}

#[test]
fn scheduled_passes_refuse_a_missing_or_invalid_policy_with_an_audit_event() {
    let fleet = Fleet::new(1);
    let mut cmd = fleet.plumb();
    cmd.args(["schedule", "run-once", "-i"])
        .arg(&fleet.inventory);
    let out = run(&mut cmd);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("signed policy"), "{}", stderr(&out));
    assert_eq!(
        fleet.count("SELECT count(*) FROM audit_events WHERE kind = 'policy_refused'"),
        1
    );
    assert_eq!(fleet.count("SELECT count(*) FROM scans"), 0);

    // A policy whose pin does not match is refused even with --allow-unsigned-policy.
    let policy = fleet.dir.path().join("policy.yml");
    fs::write(
        &policy,
        format!(
            "version: 1\nrulesets:\n  - path: {}\n    sha256: {}\n",
            fleet.rules.display(),
            "0".repeat(64)
        ),
    )
    .unwrap();
    let mut cmd = fleet.plumb();
    cmd.args(["schedule", "run-once", "--allow-unsigned-policy", "-i"])
        .arg(&fleet.inventory)
        .arg("--policy")
        .arg(&policy)
        .arg("--key")
        .arg(trusted_key(&fleet));
    let out = run(&mut cmd);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert_eq!(
        fleet.count("SELECT count(*) FROM audit_events WHERE kind = 'policy_refused'"),
        2
    );
    assert_eq!(fleet.count("SELECT count(*) FROM scans"), 0);
}

/// A public key the policy is checked against (it is not signed: --allow-unsigned-policy).
fn trusted_key(fleet: &Fleet) -> PathBuf {
    let key = support::tools::keygen(fleet.dir.path(), "signer", "ed25519");
    key.with_extension("pub")
}

/// sha256 of a file, as the policy pins it.
fn sha256(path: &Path) -> String {
    let out = Command::new("sha256sum").arg(path).output().unwrap();
    String::from_utf8(out.stdout).unwrap()[..64].to_owned()
}

#[test]
fn policy_intervals_are_clamped_and_its_maintenance_windows_apply() {
    let fleet = Fleet::new(2);
    let policy = fleet.dir.path().join("policy.yml");
    fs::write(
        &policy,
        format!(
            "version: 1\n\
             inventory: inventory.yml\n\
             rulesets:\n  - path: {rules}\n    sha256: {hash}\n\
             schedule:\n  intervals: {{ unknown: 1m, compliant: 30d }}\n\
             \x20 maintenance_windows:\n\
             \x20   - {{ name: always, hosts: ['h001'], days: [mon, tue, wed, thu, fri, sat, sun], start: '00:00', duration: 1d }}\n",
            rules = fleet.rules.display(),
            hash = sha256(&fleet.rules)
        ),
    )
    .unwrap();
    let mut cmd = fleet.plumb();
    cmd.args([
        "--format",
        "json",
        "schedule",
        "run-once",
        "--allow-unsigned-policy",
    ])
    // No -i: the policy names its inventory, relative to itself.
    .arg("--policy")
    .arg(&policy)
    .arg("--key")
    .arg(trusted_key(&fleet));
    let out = run(&mut cmd);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let summary = json(&out);
    let clamps = summary["clamps"].as_array().unwrap();
    assert_eq!(clamps.len(), 2, "{summary}");
    assert_eq!(summary["scanned"], 1, "{summary}");
    assert_eq!(summary["skipped_maintenance"], serde_json::json!(["h001"]));
    // 30d is clamped to 48h.
    assert_eq!(fleet.host_status("h000")["interval"], "2d");
    // The window ends at the next midnight UTC; the host's next scan is then.
    let h001 = fleet.host_status("h001");
    let next = h001["next_scan"].as_str().unwrap();
    assert!(next.ends_with("T00:00:00Z"), "{h001}");
}

#[test]
fn cron_prints_a_crontab_line_and_a_persistent_systemd_timer() {
    let fleet = Fleet::new(1);
    let mut cmd = fleet.plumb();
    cmd.args([
        "schedule",
        "cron",
        "--allow-unsigned-policy",
        "--max-hosts",
        "50",
        "-i",
    ])
    .arg(&fleet.inventory)
    .args(["--var", "banner=it's 100% \"ok\" $HOME"]);
    let out = run(&mut cmd);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    let cron = text
        .lines()
        .find(|l| l.starts_with("*/5 "))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(cron.contains(" schedule run-once "), "{cron}");
    assert!(cron.contains("--max-hosts 50"), "{cron}");
    assert!(
        cron.contains(&fleet.inventory.display().to_string()),
        "{cron}"
    );
    // The crontab line is one shell command: run it through sh -n for syntax.
    let check = Command::new("sh")
        .args(["-n", "-c", &cron[10..].replace("\\%", "%")])
        .status()
        .unwrap();
    assert!(check.success(), "{cron}");
    assert!(text.contains("Persistent=true"), "{text}");
    assert!(text.contains("OnCalendar=*:0/5"), "{text}");
    assert!(text.contains("100%%"), "{text}");
    assert!(text.contains("$$HOME"), "{text}");

    // Write the units out and let systemd check them where it is installed.
    let units = fleet.dir.path().join("units");
    fs::create_dir(&units).unwrap();
    let service_start = text.find("[Unit]").unwrap();
    let timer_start = text
        .find("# /etc/systemd/system/plumb-schedule.timer")
        .unwrap();
    fs::write(
        units.join("plumb-schedule.service"),
        &text[service_start..timer_start],
    )
    .unwrap();
    fs::write(units.join("plumb-schedule.timer"), &text[timer_start..]).unwrap();
    match Command::new("systemd-analyze")
        .arg("verify")
        .arg(units.join("plumb-schedule.timer"))
        .arg(units.join("plumb-schedule.service"))
        .output()
    {
        Ok(verify) => assert!(
            verify.status.success(),
            "systemd-analyze verify: {}",
            String::from_utf8_lossy(&verify.stderr)
        ),
        // CI installs systemd (.ci/run): there a missing systemd-analyze is a failure.
        Err(err) if std::env::var_os("CI").is_some() => {
            panic!("systemd-analyze is needed in CI to check the units: {err}")
        }
        Err(err) => eprintln!(
            "systemd-analyze is not installed ({err}); the units were checked by text only"
        ),
    }
}
