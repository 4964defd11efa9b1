//! Several real `plumb schedule run-once` processes on one PostgreSQL database (issue 16's
//! reliability tests): concurrent workers scan every due host exactly once, a worker killed
//! with SIGKILL mid-apply leaves nothing half-written and its hosts to the next run, and a
//! server stopped mid-run fails the run with an operational error the next run recovers from.
//!
//! Hosts are inventory entries with `connection: local` and a `root:` fixture tree, scanned
//! with three file rules, as in tests/schedule_cli.rs: the cheapest real scan there is.

mod support;

use std::fs;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;
use support::fixtures::{PASSING_RULES, materialise};
use support::postgres::{PASSWORD, PgServer};
use support::{code, json, plumb, stderr, wait_for};

/// Words a run must never fail with: the workers do not wait on each other in a cycle, and
/// READ COMMITTED claims never need a retry.
const CONFLICT_WORDS: [&str; 3] = ["deadlock", "serializ", "could not serialize"];

struct Fleet {
    dir: tempfile::TempDir,
    _tree: tempfile::TempDir,
    rules: PathBuf,
    inventory: PathBuf,
    server: PgServer,
    /// `--state`: the database's URL, with its password.
    state: String,
    hosts: usize,
}

impl Fleet {
    /// A fresh cluster and `hosts` local inventory hosts `h0000`, `h0001`, ... on one tree.
    fn new(test: &str, hosts: usize) -> Fleet {
        let server = PgServer::start(test);
        let state = server.url(Some(PASSWORD), "sslmode=disable");
        let dir = tempfile::tempdir().unwrap();
        let tree = materialise("debian12-default");
        let rules = dir.path().join("rules.yml");
        fs::write(&rules, PASSING_RULES).unwrap();
        let inventory = dir.path().join("inventory.yml");
        let mut text = String::from("hosts:\n");
        for i in 0..hosts {
            text.push_str(&format!(
                "  h{i:04}: {{ connection: local, root: '{}' }}\n",
                tree.path().display()
            ));
        }
        fs::write(&inventory, text).unwrap();
        Fleet {
            dir,
            _tree: tree,
            rules,
            inventory,
            server,
            state,
            hosts,
        }
    }

    fn run_once(&self, extra: &[&str]) -> Command {
        let mut cmd = plumb();
        cmd.env("XDG_STATE_HOME", self.dir.path().join("state-home"))
            .arg("--state")
            .arg(&self.state)
            .args(["--format", "json", "schedule", "run-once", "-i"])
            .arg(&self.inventory)
            .arg("--rules")
            .arg(&self.rules)
            .arg("--allow-unsigned-policy")
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    /// Creates the schema (`plumb state migrate`), for tests that lock a table before a run.
    fn migrate(&self) {
        let out = plumb()
            .arg("--state")
            .arg(&self.state)
            .args(["state", "migrate"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
    }

    fn client(&self) -> postgres::Client {
        postgres::Client::connect(&self.state, postgres::NoTls).unwrap()
    }

    fn count(&self, sql: &str) -> i64 {
        self.client().query_one(sql, &[]).unwrap().get(0)
    }

    /// Hosts scanned other than exactly once (a host never scanned counts too).
    fn not_scanned_once(&self) -> i64 {
        let scanned_once = self.count(
            "SELECT count(*) FROM (SELECT host FROM scans GROUP BY host HAVING count(*) = 1) AS s",
        );
        i64::try_from(self.hosts).unwrap() - scanned_once
    }

    /// Every recorded scan is whole: each scanned host has its three rules' state and the
    /// three change-log rows of its first scan, and nothing exists for a host never scanned.
    fn assert_nothing_half_written(&self) {
        let scans = self.count("SELECT count(*) FROM scans");
        assert_eq!(self.count("SELECT count(*) FROM hosts"), scans);
        assert_eq!(
            self.count("SELECT count(*) FROM host_rule_state"),
            3 * scans
        );
        assert_eq!(self.count("SELECT count(*) FROM transactions"), 3 * scans);
        assert_eq!(
            self.count(
                "SELECT count(*) FROM hosts h WHERE h.last_scan_id IS NULL
                    OR h.pass_count <> 3
                    OR NOT EXISTS (SELECT 1 FROM scans s WHERE s.scan_id = h.last_scan_id)"
            ),
            0,
            "a host row without its scan"
        );
    }

    /// Sleeps until every live lease has lapsed (a few seconds, with `--lease`).
    fn wait_for_leases_to_lapse(&self) {
        let remaining = self.count(
            "SELECT COALESCE(max(lease_expires_at), 0)
                    - CAST(extract(epoch FROM clock_timestamp()) * 1000 AS BIGINT)
             FROM jobs WHERE status = 'claimed'",
        );
        let remaining = u64::try_from(remaining).unwrap_or(0);
        assert!(remaining < 10_000, "a lease of {remaining} ms");
        std::thread::sleep(Duration::from_millis(remaining + 100));
    }

    /// Lets the host locks of a run that died lapse, as their TTL (60 s) would: a lock row
    /// is committed when its host's probe starts, so no rollback removes it.
    fn expire_dead_host_locks(&self) {
        self.client()
            .batch_execute("UPDATE host_locks SET expires_at = 0")
            .unwrap();
    }
}

fn assert_no_conflict_errors(out: &Output) {
    let err = stderr(out).to_lowercase();
    for word in CONFLICT_WORDS {
        assert!(!err.contains(word), "{word}: {err}");
    }
}

#[test]
fn four_workers_scan_each_of_a_thousand_due_hosts_exactly_once() {
    let fleet = Fleet::new("four_workers", 1000);
    // Four workers start at once on an empty database: they migrate, enrol and claim
    // together. Each may claim a quarter, so all four take part.
    let workers: Vec<Child> = (0..4)
        .map(|_| {
            fleet
                .run_once(&["--max-hosts", "250", "--concurrency", "8"])
                .spawn()
                .unwrap()
        })
        .collect();
    let mut claimed = Vec::new();
    let mut scanned = 0;
    for worker in workers {
        let out = worker.wait_with_output().unwrap();
        assert_no_conflict_errors(&out);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        let summary = json(&out);
        assert_eq!(summary["failed"], 0, "{summary}");
        assert_eq!(summary["rejected"], 0, "{summary}");
        claimed.push(summary["claimed"].as_u64().unwrap());
        scanned += summary["scanned"].as_u64().unwrap();
    }
    assert_eq!(claimed, [250, 250, 250, 250], "the workers' claims overlap");
    assert_eq!(scanned, 1000);
    assert_eq!(fleet.not_scanned_once(), 0);
    assert_eq!(fleet.count("SELECT count(*) FROM scans"), 1000);
    fleet.assert_nothing_half_written();
    // Every claim ended as done, and every host was rescheduled from its own scan.
    assert_eq!(
        fleet.count("SELECT count(*) FROM jobs WHERE status = 'done'"),
        1000
    );
    assert_eq!(fleet.count("SELECT count(*) FROM jobs"), 1000);
    assert_eq!(
        fleet.count(
            "SELECT count(*) FROM host_schedule s JOIN hosts h ON h.name = s.host
             WHERE s.compliance_state = 'compliant'
               AND s.last_scan_finished_at = h.last_scan_at
               AND s.next_scan_at = s.last_scan_finished_at + 48 * 3600 * 1000"
        ),
        1000
    );
    assert_eq!(
        fleet.count(
            "SELECT count(*) FROM audit_events WHERE kind = 'schedule_changed'
             AND detail LIKE '%\"reason\":\"scanned\"%'"
        ),
        1000
    );
    assert_eq!(
        fleet.count(
            "SELECT count(*) FROM audit_events WHERE kind = 'schedule_changed'
             AND detail LIKE '%\"reason\":\"enrolled\"%'"
        ),
        1000,
        "each host was enrolled once"
    );
    // Nothing is due now.
    let out = fleet.run_once(&[]).output().unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let summary = json(&out);
    assert_eq!(summary["claimed"], 0, "{summary}");
    assert_eq!(summary["not_yet_due"], 1000, "{summary}");
}

#[test]
fn a_worker_killed_mid_apply_leaves_no_half_scan_and_the_next_run_completes_its_hosts() {
    let fleet = Fleet::new("killed_worker", 20);
    fleet.migrate();
    // Hold the change log so the worker's first apply stops half-way, inside its transaction.
    let mut holder = fleet.client();
    let mut hold = holder.transaction().unwrap();
    hold.batch_execute("LOCK TABLE change_log IN EXCLUSIVE MODE")
        .unwrap();
    let mut worker = fleet
        .run_once(&["--concurrency", "1", "--lease", "3s"])
        .spawn()
        .unwrap();
    wait_for("the worker's apply to wait for the change log", || {
        fleet.count(
            "SELECT count(*) FROM pg_locks WHERE relation = 'change_log'::regclass AND NOT granted",
        ) == 1
    });
    // The apply has written its host's row, uncommitted.
    assert_eq!(
        fleet.count("SELECT count(*) FROM jobs WHERE status = 'claimed'"),
        20
    );
    worker.kill().unwrap();
    worker.wait().unwrap();
    hold.commit().unwrap();
    drop(holder);

    // Its transaction was rolled back: no scan, no host row, no change-log row.
    assert_eq!(fleet.count("SELECT count(*) FROM scans"), 0);
    assert_eq!(fleet.count("SELECT count(*) FROM hosts"), 0);
    assert_eq!(fleet.count("SELECT count(*) FROM change_log"), 0);
    fleet.assert_nothing_half_written();

    // Its claims stay until their leases lapse (3 s); then the next run expires and takes them.
    assert_eq!(
        fleet.count("SELECT count(*) FROM jobs WHERE status = 'claimed'"),
        20
    );
    fleet.wait_for_leases_to_lapse();
    fleet.expire_dead_host_locks();
    let out = fleet.run_once(&[]).output().unwrap();
    assert_no_conflict_errors(&out);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let summary = json(&out);
    assert_eq!(summary["scanned"], 20, "{summary}");
    assert_eq!(fleet.not_scanned_once(), 0);
    fleet.assert_nothing_half_written();
    assert_eq!(
        fleet.count("SELECT count(*) FROM audit_events WHERE kind = 'job_lease_expired'"),
        20
    );
    assert_eq!(
        fleet.count("SELECT count(*) FROM jobs WHERE status = 'expired'"),
        20
    );
    assert_eq!(
        fleet.count("SELECT count(*) FROM jobs WHERE status = 'done'"),
        20
    );
}

#[test]
fn a_server_stopped_mid_run_fails_the_run_with_exit_3_and_the_next_run_recovers() {
    let mut fleet = Fleet::new("server_stopped", 200);
    let mut worker = fleet
        .run_once(&["--concurrency", "1", "--lease", "5s"])
        .spawn()
        .unwrap();
    let mut watcher = None;
    wait_for("a few scans", || {
        if let Ok(Some(status)) = worker.try_wait() {
            panic!("the run ended ({status}) before the server was stopped");
        }
        let client = watcher.get_or_insert_with(|| fleet.client());
        client
            .query_one("SELECT count(*) FROM scans", &[])
            .map_or(0, |row| row.get::<_, i64>(0))
            >= 5
    });
    drop(watcher);
    fleet.server.stop();
    let out = worker.wait_with_output().unwrap();
    let err = stderr(&out);
    assert_eq!(code(&out), 3, "{err}");
    let shown = format!(
        "PostgreSQL state at postgres://plumb:***@127.0.0.1:{}",
        fleet.server.port
    );
    assert!(err.contains(&shown), "{err}");
    assert!(!err.contains(PASSWORD), "{err}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains(PASSWORD));

    fleet.server.restart();
    let landed = fleet.count("SELECT count(*) FROM scans");
    assert!((5..200).contains(&landed), "{landed} scans before the stop");
    fleet.assert_nothing_half_written();
    assert_eq!(
        fleet.count("SELECT count(*) FROM scans GROUP BY host ORDER BY count(*) DESC LIMIT 1"),
        1
    );

    // The stopped run's leases lapse (5 s) and its host lock is let go; the next run scans
    // every host the stopped one did not, and none twice.
    fleet.wait_for_leases_to_lapse();
    fleet.expire_dead_host_locks();
    let out = fleet.run_once(&[]).output().unwrap();
    assert_no_conflict_errors(&out);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let summary = json(&out);
    assert_eq!(
        summary["scanned"].as_i64().unwrap(),
        200 - landed,
        "{summary}"
    );
    assert_eq!(fleet.not_scanned_once(), 0);
    fleet.assert_nothing_half_written();
    assert_eq!(
        fleet.count("SELECT count(*) FROM jobs WHERE status = 'claimed'"),
        0
    );
}

#[test]
fn schedule_status_maintenance_and_cron_take_a_postgres_url() {
    let fleet = Fleet::new("schedule_commands", 3);
    let out = fleet.run_once(&[]).output().unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(json(&out)["scanned"], 3);
    let schedule = |args: &[&str]| {
        plumb()
            .env("XDG_STATE_HOME", fleet.dir.path().join("state-home"))
            .arg("--state")
            .arg(&fleet.state)
            .args(["--format", "json", "schedule"])
            .args(args)
            .output()
            .unwrap()
    };
    let out = schedule(&["maintenance", "h0001", "--for", "1h"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = schedule(&["status"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let status = json(&out);
    let hosts = status["hosts"].as_array().unwrap();
    let names: Vec<&str> = hosts.iter().map(|h| h["host"].as_str().unwrap()).collect();
    assert_eq!(names, ["h0000", "h0001", "h0002"]);
    assert!(hosts.iter().all(|h| h["tier"] == "compliant"), "{status}");
    assert!(hosts[1]["maintenance_until"].is_string(), "{status}");
    assert!(hosts[0]["maintenance_until"].is_null(), "{status}");
    let out = schedule(&["status", "h0002"]);
    assert_eq!(json(&out)["hosts"].as_array().unwrap().len(), 1);

    let out = schedule(&["maintenance", "nosuch", "--for", "1h"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(!stderr(&out).contains(PASSWORD));

    // The crontab line names the database without its password.
    let mut cron = plumb();
    cron.arg("--state")
        .arg(&fleet.state)
        .args(["schedule", "cron", "--allow-unsigned-policy", "-i"])
        .arg(&fleet.inventory);
    let out = cron.output().unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains(PASSWORD), "{text}");
    let url = format!(
        "--state 'postgres://plumb@127.0.0.1:{}/postgres?sslmode=disable' ",
        fleet.server.port
    );
    assert!(text.contains(&url), "{text}");
    assert!(text.contains("PGPASSWORD"), "{text}");

    // A server that cannot be reached is an operational error, named without the password.
    let out = plumb()
        .arg("--state")
        .arg(format!("postgres://plumb:{PASSWORD}@127.0.0.1:1/postgres"))
        .args(["schedule", "status"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("PostgreSQL state at postgres://plumb:***@127.0.0.1:1/postgres"),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains(PASSWORD));
}
