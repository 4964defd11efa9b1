//! `plumb state export / ack / consumers` (DESIGN §6 delta export) on state written by the
//! real `plumb scan`, read back through the real binary and straight from the store. Each
//! contract test runs on a SQLite file and on a PostgreSQL database (`contract_tests!`).

mod support;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;
use support::backends::Backend;
use support::{fixtures, json, plumb, run, state_json, stderr};

contract_tests!(
    first_export_is_full_then_an_unchanged_rescan_exports_only_references,
    one_changed_rule_on_one_host_is_the_only_row_in_full,
    a_retired_rule_is_a_removal_until_acknowledged,
    a_rule_that_comes_back_before_the_ack_is_a_change_not_a_removal,
    a_host_removed_from_the_inventory_is_a_removal_until_acknowledged,
    an_upload_that_fails_is_repeated_with_anything_newer,
    ack_is_idempotent_and_refuses_unknown_or_older_batches_without_changing_anything,
    a_failed_scan_never_replaces_the_last_good_result_hash,
    the_full_sync_horizon_forces_a_full_batch,
    two_consumers_keep_independent_cursors,
    the_policy_sets_the_full_sync_horizon_unless_the_flag_does,
    a_prune_past_the_cursor_forces_a_full_batch,
);

const OS_RELEASE: &str = "ID=debian\nVERSION_ID=\"12\"\n";

const RULES: &str = "
- id: root-login-off
  title: Root login is off
  severity: high
  check: { method: config_value, path: /etc/ssh/sshd_config, key: PermitRootLogin, expected: 'no' }
- id: x11-off
  title: X11 forwarding is off
  severity: low
  check: { method: config_value, path: /etc/ssh/sshd_config, key: X11Forwarding, expected: 'no' }
- id: max-auth-tries
  title: MaxAuthTries is 3
  severity: medium
  check: { method: config_value, path: /etc/ssh/sshd_config, key: MaxAuthTries, expected: '3' }
";

/// A backend's state, and in its scratch directory a rules file and one small root per host.
struct Site<'b> {
    backend: &'b Backend,
    dir: &'b tempfile::TempDir,
}

impl<'b> Site<'b> {
    fn new(backend: &'b Backend, hosts: &[&str]) -> Site<'b> {
        let site = Site {
            backend,
            dir: &backend.dir,
        };
        site.write_rules(RULES);
        for host in hosts {
            let root = site.root(host);
            fs::create_dir_all(root.join("etc/ssh")).unwrap();
            fs::write(root.join("etc/os-release"), OS_RELEASE).unwrap();
            site.sshd_config(
                host,
                "PermitRootLogin no\nX11Forwarding yes\nMaxAuthTries 3\n",
            );
        }
        site
    }

    /// What `--state` takes: the file, or the database's URL.
    fn state(&self) -> PathBuf {
        PathBuf::from(&self.backend.state)
    }

    fn root(&self, host: &str) -> PathBuf {
        self.dir.path().join("roots").join(host)
    }

    fn rules(&self) -> PathBuf {
        self.dir.path().join("rules.yml")
    }

    fn write_rules(&self, text: &str) {
        fs::write(self.rules(), text).unwrap();
    }

    fn sshd_config(&self, host: &str, text: &str) {
        fs::write(self.root(host).join("etc/ssh/sshd_config"), text).unwrap();
    }

    /// A full scan of `host`'s root with the site's rules; it must record the scan.
    fn scan(&self, host: &str) {
        let out = run(plumb()
            .args([
                "scan",
                "--format",
                "json",
                "--allow-errors",
                "--host-name",
                host,
            ])
            .arg("--rules")
            .arg(self.rules())
            .arg("--root")
            .arg(self.root(host))
            .arg("--state")
            .arg(self.state()));
        assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    }

    fn export(&self, consumer: &str, extra: &[&str]) -> Batch {
        export(&self.state(), consumer, extra)
    }

    fn ack(&self, consumer: &str, batch: &Batch) {
        let out = ack(&self.state(), consumer, batch.id());
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }

    /// A query's rows straight from the store, as sqlite3 prints them (`|` between columns).
    fn sql(&self, query: &str) -> String {
        rows_text(self.backend, query)
    }

    /// Statements straight on the store, outside plumb.
    fn exec(&self, sql: &str) {
        self.backend.execute(sql);
    }
}

/// `query`'s rows as sqlite3 prints them: a line a row, `|` between values, NULL empty.
fn rows_text(backend: &Backend, query: &str) -> String {
    backend
        .rows(query)
        .iter()
        .map(|row| {
            row.iter()
                .map(|v| v.clone().unwrap_or_default())
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// An NDJSON batch: header, records, end line.
struct Batch {
    header: Value,
    records: Vec<Value>,
    end: Value,
}

impl Batch {
    fn parse(text: &str) -> Batch {
        let mut lines: Vec<Value> = text
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        let end = lines.pop().expect("an end line");
        assert_eq!(end["t"], "end", "{text}");
        let header = lines.remove(0);
        assert_eq!(header["t"], "batch", "{text}");
        assert_eq!(end["batch_id"], header["batch_id"]);
        Batch {
            header,
            records: lines,
            end,
        }
    }

    fn id(&self) -> &str {
        self.header["batch_id"].as_str().unwrap()
    }

    fn of(&self, kind: &str) -> Vec<&Value> {
        self.records.iter().filter(|r| r["t"] == kind).collect()
    }

    /// (host, rule) of each full result.
    fn results(&self) -> Vec<(String, String)> {
        self.of("result")
            .iter()
            .map(|r| (text(&r["host"]), text(&r["rule_id"])))
            .collect()
    }

    fn refs(&self) -> Vec<String> {
        self.of("ref").iter().map(|r| text(&r["h"])).collect()
    }

    /// (host, rule or "") of each removal.
    fn removed(&self) -> Vec<(String, String)> {
        self.of("removed")
            .iter()
            .map(|r| (text(&r["host"]), r["rule_id"].as_str().unwrap_or("").into()))
            .collect()
    }
}

fn text(value: &Value) -> String {
    value
        .as_str()
        .unwrap_or_else(|| panic!("{value}"))
        .to_owned()
}

/// A hash as the state file stores it (hex) in the export's encoding (unpadded base64url).
fn hex_id(hex: &str) -> String {
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A scan id as the state file stores it (a UUID) in the export's encoding.
fn scan_id(uuid: &str) -> String {
    hex_id(&uuid.replace('-', ""))
}

fn pair(host: &str, rule: &str) -> (String, String) {
    (host.to_owned(), rule.to_owned())
}

fn export(state: &Path, consumer: &str, extra: &[&str]) -> Batch {
    let out = run(plumb()
        .args([
            "state",
            "export",
            "--consumer",
            consumer,
            "--format",
            "ndjson",
        ])
        .arg("--state")
        .arg(state)
        .args(extra));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    Batch::parse(&String::from_utf8(out.stdout).unwrap())
}

fn ack(state: &Path, consumer: &str, batch_id: &str) -> Output {
    run(plumb()
        .args(["state", "ack", "--consumer", consumer, batch_id])
        .arg("--state")
        .arg(state)
        .args(["--format", "json"]))
}

fn first_export_is_full_then_an_unchanged_rescan_exports_only_references(backend: &Backend) {
    let dir = &backend.dir;
    let state = PathBuf::from(&backend.state);
    let root = fixtures::materialise("debian12-default");
    let scan = || {
        let out = run(plumb()
            .args(["scan", "--format", "json", "--allow-errors"])
            .args(["--host-name", "vm", "--state"])
            .arg(&state)
            .arg("--root")
            .arg(root.path()));
        assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    };
    scan();

    // The JSON envelope, written atomically to --output.
    let file = dir.path().join("b.json");
    let out = run(plumb()
        .args(["state", "export", "--consumer", "siem", "--format", "json"])
        .arg("--output")
        .arg(&file)
        .arg("--state")
        .arg(&state));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(out.stdout.is_empty(), "the batch goes to the file only");
    let batch: Value = serde_json::from_slice(&fs::read(&file).unwrap()).unwrap();
    assert_eq!(batch["consumer"], "siem");
    assert_eq!(batch["schema_version"], 2);
    assert_eq!(batch["full"], true);
    assert_eq!(batch["full_reason"], "new_consumer");
    let live = rows_text(
        backend,
        "SELECT count(*) FROM host_rule_state WHERE removed_at IS NULL;",
    );
    let records = batch["records"].as_array().unwrap();
    let results = records.iter().filter(|r| r["t"] == "result").count();
    assert!(results > 100, "{results}");
    assert_eq!(results.to_string(), live.trim());
    assert_eq!(batch["counts"]["results"], results);
    let host = &records[0];
    assert_eq!(host["t"], "host");
    assert_eq!(
        text(&host["r"]),
        hex_id(&rows_text(
            backend,
            "SELECT current_result_hash FROM hosts;"
        ))
    );
    // A result: hash, scan and evidence exactly as stored, ids in the export's encoding.
    let one = records.iter().find(|r| r["t"] == "result").unwrap();
    let stored = rows_text(
        backend,
        &format!(
            "SELECT evidence_hash || ' ' || last_scan_id || ' ' || evidence FROM host_rule_state
             WHERE rule_id = '{}';",
            text(&one["rule_id"])
        ),
    );
    let mut stored = stored.trim().splitn(3, ' ');
    assert_eq!(text(&one["result_hash"]), hex_id(stored.next().unwrap()));
    assert_eq!(text(&one["result_hash"]).len(), 43);
    assert_eq!(text(&one["scan"]), scan_id(stored.next().unwrap()));
    let evidence: Value = serde_json::from_str(stored.next().unwrap()).unwrap();
    assert!(evidence.is_object());
    assert_eq!(one["evidence"], evidence);
    assert!(one["last_checked_at"].is_string());
    assert!(batch["created_at"].as_str().unwrap().ends_with('Z'));
    let id = batch["batch_id"].as_str().unwrap();
    assert_eq!(ack(&state, "siem", id).status.code(), Some(0));

    // Unchanged re-scan: one reference naming the new scan, no rows.
    scan();
    let next = export(&state, "siem", &[]);
    assert_eq!(next.header["full"], false);
    assert_eq!(next.header["since_batch"], id);
    assert!(next.results().is_empty() && next.removed().is_empty());
    assert_eq!(next.refs(), ["vm"]);
    let reference = next.of("ref")[0];
    // Only what identifies the host's results, under short names.
    let mut fields: Vec<_> = reference.as_object().unwrap().keys().collect();
    fields.sort();
    assert_eq!(fields, ["h", "r", "s", "t"]);
    assert_eq!(reference["r"], host["r"]);
    let last_scan = rows_text(
        backend,
        "SELECT scan_id FROM scans ORDER BY finished_at DESC, rowid DESC LIMIT 1",
    );
    assert_eq!(text(&reference["s"]), scan_id(&last_scan));
    assert_ne!(reference["s"], host["s"]);
    assert_eq!(next.end["counts"]["refs"], 1);

    // A new consumer's full batch: the unchanged re-scan checked every live row, though it
    // wrote none of them, so each result names it as its last scan.
    let full = export(&state, "audit", &[]);
    assert_eq!(full.header["full"], true);
    let checked_by: std::collections::BTreeSet<String> =
        full.of("result").iter().map(|r| text(&r["scan"])).collect();
    assert_eq!(checked_by, [scan_id(&last_scan)].into());
    assert_ne!(
        full.of("result")[0]["last_checked_at"],
        one["last_checked_at"]
    );
}

fn one_changed_rule_on_one_host_is_the_only_row_in_full(backend: &Backend) {
    let site = Site::new(backend, &["web1", "web2"]);
    site.scan("web1");
    site.scan("web2");
    let first = site.export("siem", &[]);
    assert_eq!(first.results().len(), 6);
    site.ack("siem", &first);

    site.sshd_config(
        "web2",
        "PermitRootLogin no\nX11Forwarding no\nMaxAuthTries 3\n",
    );
    site.scan("web1");
    site.scan("web2");
    let batch = site.export("siem", &[]);
    assert_eq!(batch.header["full"], false);
    assert_eq!(batch.results(), [pair("web2", "x11-off")]);
    assert_eq!(batch.of("result")[0]["status"], "pass");
    assert_eq!(batch.refs(), ["web1"]);
    let host = batch.of("host");
    assert_eq!(host.len(), 1);
    assert_eq!(
        text(&host[0]["r"]),
        hex_id(&site.sql("SELECT current_result_hash FROM hosts WHERE name = 'web2';"))
    );
}

fn a_retired_rule_is_a_removal_until_acknowledged(backend: &Backend) {
    let site = Site::new(backend, &["web1"]);
    site.scan("web1");
    site.ack("siem", &site.export("siem", &[]));

    // A full scan with a rules file lacking max-auth-tries retires it.
    let (kept, _) = RULES.split_once("- id: max-auth-tries").unwrap();
    site.write_rules(kept);
    site.scan("web1");
    let batch = site.export("siem", &[]);
    assert_eq!(batch.removed(), [pair("web1", "max-auth-tries")]);
    assert!(batch.of("removed")[0]["removed_at"].is_string());
    assert!(batch.results().is_empty());

    // Not acknowledged: the next export still has it.
    site.scan("web1");
    let again = site.export("siem", &[]);
    assert_eq!(again.removed(), [pair("web1", "max-auth-tries")]);
    site.ack("siem", &again);
    let after = site.export("siem", &[]);
    assert!(after.removed().is_empty(), "{:?}", after.records);
    assert_eq!(after.refs(), ["web1"]);
}

fn a_rule_that_comes_back_before_the_ack_is_a_change_not_a_removal(backend: &Backend) {
    let site = Site::new(backend, &["web1"]);
    site.scan("web1");
    site.ack("siem", &site.export("siem", &[]));
    let (kept, _) = RULES.split_once("- id: max-auth-tries").unwrap();
    site.write_rules(kept);
    site.scan("web1");
    assert_eq!(site.export("siem", &[]).removed().len(), 1);

    site.write_rules(RULES);
    site.scan("web1");
    let batch = site.export("siem", &[]);
    assert!(batch.removed().is_empty(), "{:?}", batch.records);
    assert_eq!(batch.results(), [pair("web1", "max-auth-tries")]);
}

fn a_host_removed_from_the_inventory_is_a_removal_until_acknowledged(backend: &Backend) {
    // Nothing in plumb sets hosts.removed_at yet; once something does, the export reports it.
    let site = Site::new(backend, &["web1", "web2"]);
    site.scan("web1");
    site.scan("web2");
    site.ack("siem", &site.export("siem", &[]));
    site.exec(&format!(
        "UPDATE hosts SET removed_at = {} WHERE name = 'web2';",
        now_ms()
    ));
    let batch = site.export("siem", &[]);
    assert_eq!(batch.removed(), [pair("web2", "")]);
    assert_eq!(batch.refs(), ["web1"]);
    assert!(batch.results().is_empty() && batch.of("host").is_empty());
    // Not acknowledged: still there.
    let again = site.export("siem", &[]);
    assert_eq!(again.removed(), [pair("web2", "")]);
    site.ack("siem", &again);
    let after = site.export("siem", &[]);
    assert!(after.removed().is_empty(), "{:?}", after.records);
    assert_eq!(after.refs(), ["web1"]);
    // A scan brings the host back.
    site.scan("web2");
    assert_eq!(
        site.sql(
            "SELECT CASE WHEN removed_at IS NULL THEN 1 ELSE 0 END FROM hosts WHERE name = 'web2';"
        ),
        "1"
    );
    assert_eq!(site.export("siem", &[]).refs(), ["web1", "web2"]);
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn an_upload_that_fails_is_repeated_with_anything_newer(backend: &Backend) {
    let site = Site::new(backend, &["web1", "web2"]);
    site.scan("web1");
    site.scan("web2");
    site.ack("siem", &site.export("siem", &[]));

    site.sshd_config(
        "web1",
        "PermitRootLogin yes\nX11Forwarding yes\nMaxAuthTries 3\n",
    );
    site.scan("web1");
    let lost = site.export("siem", &[]);
    assert_eq!(lost.results(), [pair("web1", "root-login-off")]);

    // The upload failed: no ack. Another change arrives meanwhile.
    site.sshd_config(
        "web2",
        "PermitRootLogin no\nX11Forwarding yes\nMaxAuthTries 6\n",
    );
    site.scan("web2");
    let next = site.export("siem", &[]);
    assert_eq!(
        next.results(),
        [
            pair("web1", "root-login-off"),
            pair("web2", "max-auth-tries")
        ]
    );
    assert_eq!(next.header["since_batch"], lost.header["since_batch"]);

    // Acknowledging the newer batch covers the lost one; the lost one can no longer be acked.
    site.ack("siem", &next);
    let out = ack(&site.state(), "siem", lost.id());
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("older"), "{}", stderr(&out));
    assert!(site.export("siem", &[]).results().is_empty());
}

fn ack_is_idempotent_and_refuses_unknown_or_older_batches_without_changing_anything(
    backend: &Backend,
) {
    let site = Site::new(backend, &["web1"]);
    site.scan("web1");
    let first = site.export("siem", &[]);
    let second = site.export("siem", &[]);
    site.ack("siem", &second);
    let cursor = || {
        site.sql("SELECT acked_batch_id, acked_through_txn, acked_at FROM export_consumers WHERE name = 'siem';")
    };
    let before = cursor();

    // Again: success, nothing moves.
    let out = ack(&site.state(), "siem", second.id());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json(&out)["moved"], false);
    assert_eq!(cursor(), before);

    for (consumer, id, says) in [
        ("siem", "no-such-batch", "no batch"),
        ("siem", first.id(), "older"),
        ("other", second.id(), "no such consumer"),
    ] {
        let out = ack(&site.state(), consumer, id);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(stderr(&out).contains(says), "{}", stderr(&out));
        assert!(out.stdout.is_empty());
        assert_eq!(cursor(), before);
    }
    // Another consumer's batch is unknown to this one.
    let theirs = site.export("other", &[]);
    let out = ack(&site.state(), "siem", theirs.id());
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(cursor(), before);
}

fn a_failed_scan_never_replaces_the_last_good_result_hash(backend: &Backend) {
    let site = Site::new(backend, &["web1"]);
    site.scan("web1");
    site.ack("siem", &site.export("siem", &[]));
    let good_hash = site.sql("SELECT current_result_hash FROM hosts;");
    let good_scan = site.sql("SELECT last_scan_id FROM hosts;");

    // The same host from an inventory, at an address where nothing listens.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let inventory = site.dir.path().join("inventory.yml");
    fs::write(
        &inventory,
        format!("hosts:\n  web1: {{ address: 127.0.0.1, port: {port} }}\n"),
    )
    .unwrap();
    let known = site.dir.path().join("known_hosts");
    fs::write(&known, "").unwrap();
    let out = run(plumb()
        .args(["scan", "--format", "json", "--connect-timeout", "2"])
        .arg("--rules")
        .arg(site.rules())
        .arg("--known-hosts")
        .arg(&known)
        .arg("-i")
        .arg(&inventory)
        .arg("--state")
        .arg(site.state()));
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert_eq!(site.sql("SELECT last_scan_status FROM hosts;"), "error");
    assert_ne!(site.sql("SELECT last_scan_id FROM hosts;"), good_scan);

    assert_eq!(
        site.sql("SELECT current_result_hash FROM hosts;"),
        good_hash
    );
    let batch = site.export("siem", &[]);
    assert_eq!(batch.refs(), ["web1"]);
    let reference = batch.of("ref")[0];
    assert_eq!(text(&reference["r"]), hex_id(&good_hash));
    assert_eq!(text(&reference["s"]), scan_id(&good_scan));
}

fn the_full_sync_horizon_forces_a_full_batch(backend: &Backend) {
    let site = Site::new(backend, &["web1"]);
    site.scan("web1");
    site.ack("siem", &site.export("siem", &[]));
    site.scan("web1");
    assert_eq!(site.export("siem", &[]).header["full"], false);

    // The last full batch was eight days ago: past the default horizon of 7 days.
    let eight_days = 8 * 86_400_000_i64;
    site.exec(&format!(
        "UPDATE export_consumers SET last_full_at = last_full_at - {eight_days};"
    ));
    let consumers = state_json(&site.state(), &["consumers"]);
    assert_eq!(consumers[0]["full_sync_due"], true);
    let batch = site.export("siem", &[]);
    assert_eq!(batch.header["full"], true);
    assert_eq!(batch.header["full_reason"], "horizon");
    assert_eq!(batch.results().len(), 3);
    // A longer horizon given on the command line does not force it.
    let batch = site.export("siem", &["--full-sync-horizon", "30d"]);
    assert_eq!(batch.header["full"], false);
    // Nor is it forced again once the full batch is acknowledged.
    let full = site.export("siem", &[]);
    site.ack("siem", &full);
    assert_eq!(site.export("siem", &[]).header["full"], false);
    let consumers = state_json(&site.state(), &["consumers"]);
    assert_eq!(consumers[0]["full_sync_due"], false);
    // --full asks for one at any time.
    let batch = site.export("siem", &["--full"]);
    assert_eq!(batch.header["full_reason"], "requested");
    assert_eq!(batch.results().len(), 3);
}

fn two_consumers_keep_independent_cursors(backend: &Backend) {
    let site = Site::new(backend, &["web1"]);
    site.scan("web1");
    let siem = site.export("siem", &[]);
    let lake = site.export("lake", &[]);
    site.ack("siem", &siem);

    site.sshd_config(
        "web1",
        "PermitRootLogin yes\nX11Forwarding yes\nMaxAuthTries 3\n",
    );
    site.scan("web1");
    // siem gets only the change; lake never acknowledged, so it still gets everything.
    assert_eq!(
        site.export("siem", &[]).results(),
        [pair("web1", "root-login-off")]
    );
    let lake_again = site.export("lake", &[]);
    assert_eq!(lake_again.header["full_reason"], "new_consumer");
    assert_eq!(lake_again.results().len(), 3);
    site.ack("lake", &lake);

    let consumers = state_json(&site.state(), &["consumers"]);
    let names: Vec<_> = consumers
        .as_array()
        .unwrap()
        .iter()
        .map(|c| text(&c["name"]))
        .collect();
    assert_eq!(names, ["lake", "siem"]);
    assert_eq!(consumers[0]["acked_batch_id"], lake.id());
    assert_eq!(consumers[1]["acked_batch_id"], siem.id());
    assert_eq!(consumers[0]["unacked_batches"], 1);
    assert!(consumers[1]["acked_at"].as_str().unwrap().ends_with('Z'));
    // The table names both.
    let out = run(plumb()
        .args(["state", "consumers", "--format", "table", "--state"])
        .arg(site.state()));
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.contains("lake") && table.contains("siem"), "{table}");
}

/// SQLite only until `plumb state prune` runs on PostgreSQL.
fn a_prune_past_the_cursor_forces_a_full_batch(backend: &Backend) {
    let site = Site::new(backend, &["web1"]);
    site.scan("web1");
    site.ack("siem", &site.export("siem", &[]));
    site.sshd_config(
        "web1",
        "PermitRootLogin yes\nX11Forwarding yes\nMaxAuthTries 3\n",
    );
    site.scan("web1");
    // The change log, including the change the consumer has not acknowledged, ages out.
    site.exec("UPDATE change_log SET occurred_at = 0;");
    let out = run(plumb()
        .args(["state", "prune", "--older-than", "1d", "--state"])
        .arg(site.state()));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(site.sql("SELECT count(*) FROM transactions;"), "0");
    let batch = site.export("siem", &[]);
    assert_eq!(batch.header["full_reason"], "pruned");
    assert_eq!(batch.results().len(), 3);
}

/// sha256 of a file, as a policy pins it.
fn sha256(path: &Path) -> String {
    let out = std::process::Command::new("sha256sum")
        .arg(path)
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap()[..64].to_owned()
}

fn the_policy_sets_the_full_sync_horizon_unless_the_flag_does(backend: &Backend) {
    let site = Site::new(backend, &["web1"]);
    site.scan("web1");
    site.ack("siem", &site.export("siem", &[]));
    // The last full batch was two days ago: inside the default 7 days, past the policy's 1d.
    let two_days = 2 * 86_400_000_i64;
    site.exec(&format!(
        "UPDATE export_consumers SET last_full_at = last_full_at - {two_days};"
    ));
    assert_eq!(site.export("siem", &[]).header["full"], false);

    let dir = site.dir.path();
    let key = support::tools::keygen(dir, "signer", "ed25519");
    let policy = dir.join("policy.yml");
    fs::write(
        &policy,
        format!(
            "version: 1\nrulesets:\n  - path: {rules}\n    sha256: {hash}\n\
             export: {{ full_sync_horizon: 1d }}\n",
            rules = site.rules().display(),
            hash = sha256(&site.rules())
        ),
    )
    .unwrap();
    support::tools::sign(&key, &policy, "plumb-policy");
    let policy_args = |extra: &[&str]| -> Vec<String> {
        let mut args = vec![
            "--policy".to_string(),
            policy.display().to_string(),
            "--key".to_string(),
            key.with_extension("pub").display().to_string(),
        ];
        args.extend(extra.iter().map(|a| a.to_string()));
        args
    };
    let with = |extra: &[&str]| {
        let args = policy_args(extra);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        site.export("siem", &args)
    };
    let batch = with(&[]);
    assert_eq!(batch.header["full"], true);
    assert_eq!(batch.header["full_reason"], "horizon");
    assert_eq!(batch.results().len(), 3);
    // The flag wins over the policy.
    assert_eq!(with(&["--full-sync-horizon", "7d"]).header["full"], false);

    // The config file's policy: applies the same way.
    let config = dir.join("config.yml");
    fs::write(&config, format!("policy: {}\n", policy.display())).unwrap();
    let out = run(plumb()
        .arg("--config")
        .arg(&config)
        .args([
            "state",
            "export",
            "--consumer",
            "siem",
            "--format",
            "ndjson",
        ])
        .arg("--key")
        .arg(key.with_extension("pub"))
        .arg("--state")
        .arg(site.state()));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let batch = Batch::parse(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(batch.header["full_reason"], "horizon");

    // A policy that does not verify is refused, as by plumb scan (exit 2), and nothing is
    // exported.
    let mut text = fs::read_to_string(&policy).unwrap();
    text.push_str("# edited after signing\n");
    fs::write(&policy, text).unwrap();
    let batches = site.sql("SELECT count(*) FROM export_batches;");
    let args = policy_args(&[]);
    let out = run(plumb()
        .args(["state", "export", "--consumer", "siem", "--state"])
        .arg(site.state())
        .args(&args));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    assert_eq!(site.sql("SELECT count(*) FROM export_batches;"), batches);
}

/// What differs between two runs of the same scans: ids and times. Replaced by placeholders,
/// so the rest must be equal byte for byte.
fn normalized(value: &mut Value) {
    const IDS: [&str; 6] = [
        "batch_id",
        "since_batch",
        "acked_batch_id",
        "scan_id",
        "scan",
        "s",
    ];
    match value {
        Value::Object(map) => {
            for (key, field) in map.iter_mut() {
                match field {
                    Value::String(text) if IDS.contains(&key.as_str()) => *text = "<id>".into(),
                    Value::String(text) if plumb::time::parse_time(text, 0).is_ok() => {
                        *text = "<time>".into()
                    }
                    _ => normalized(field),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(normalized),
        _ => {}
    }
}

/// The same scans into a file and into a PostgreSQL database: `state export` (JSON and
/// NDJSON), `state ack`, `state consumers` and `plumb drift` print the same, ids and times
/// aside.
#[test]
fn export_ack_and_drift_print_the_same_on_a_database_as_on_a_file() {
    let run_all = |backend: &Backend| -> Vec<Value> {
        let site = Site::new(backend, &["web1", "web2"]);
        let mut printed = Vec::new();
        let mut command = |args: &[&str]| {
            let out = run(plumb().args(args).arg("--state").arg(site.state()));
            assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
            let text = String::from_utf8(out.stdout).unwrap();
            // One JSON document, else NDJSON (a document a line).
            let mut value = serde_json::from_str(&text).unwrap_or_else(|_| {
                Value::Array(
                    text.lines()
                        .map(|line| serde_json::from_str(line).unwrap())
                        .collect(),
                )
            });
            let batch_id = value["batch_id"]
                .as_str()
                .or_else(|| value[0]["batch_id"].as_str())
                .map(str::to_owned);
            normalized(&mut value);
            printed.push(value);
            batch_id
        };
        site.scan("web1");
        site.scan("web2");
        let first = command(&["state", "export", "--consumer", "siem", "--format", "json"]);
        command(&[
            "state",
            "ack",
            "--consumer",
            "siem",
            &first.unwrap(),
            "--format",
            "json",
        ]);
        site.sshd_config(
            "web1",
            "PermitRootLogin yes\nX11Forwarding no\nMaxAuthTries 3\n",
        );
        site.scan("web1");
        site.scan("web2");
        let next = command(&[
            "state",
            "export",
            "--consumer",
            "siem",
            "--format",
            "ndjson",
        ]);
        command(&["state", "consumers", "--format", "json"]);
        command(&[
            "state",
            "ack",
            "--consumer",
            "siem",
            &next.unwrap(),
            "--format",
            "json",
        ]);
        command(&["drift", "web1", "--format", "json"]);
        command(&["drift", "--all", "--format", "json"]);
        printed
    };
    let file = run_all(&Backend::sqlite("same_output_file"));
    let database = run_all(&Backend::postgres("same_output_database"));
    assert_eq!(file.len(), 7);
    // Not trivially equal: the second batch holds the changed rules, drift a regression.
    assert_eq!(file[2][1]["t"], "host", "{}", file[2]);
    assert!(
        file[5].to_string().contains("root-login-off"),
        "{}",
        file[5]
    );
    for (step, (file, database)) in file.iter().zip(&database).enumerate() {
        assert_eq!(file, database, "step {step}");
    }
}
