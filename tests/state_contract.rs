//! The state queries, prune and the hash chain's check as one contract on both backends
//! (issue 16): each body runs on a SQLite file and on a throwaway PostgreSQL cluster, through
//! the store and through the real `plumb state` commands. Also `plumb state copy` between
//! the two.

mod common;
mod support;

use common::*;
use plumb::store::{self, Store};
use std::path::Path;
use std::process::Output;
use support::backends::{Backend, Kind};
use support::postgres::PASSWORD;
use support::{json, plumb, run, stderr};

contract_tests!(
    prune_keeps_the_highest_policy_version,
    prune_keeps_current_state_and_a_verifiable_chain,
    edited_transaction_row_is_named_by_check,
    deleted_transaction_row_breaks_the_chain_at_the_next_row,
    state_commands_read_the_backend,
);

fn state(backend: &Backend, args: &[&str]) -> Output {
    run(plumb().args(args).arg("--state").arg(&backend.state))
}

fn expect(out: &Output, code: i32, what: &str) {
    assert_eq!(out.status.code(), Some(code), "{what}: {}", stderr(out));
    assert!(
        !stderr(out).contains(PASSWORD) && !String::from_utf8_lossy(&out.stdout).contains(PASSWORD),
        "{what} printed the password"
    );
}

/// `plumb state check --format json` on the backend, with its exit code.
fn check_json(backend: &Backend) -> (i32, serde_json::Value) {
    let out = state(backend, &["state", "check", "--format", "json"]);
    let code = out.status.code().unwrap();
    assert!(code == 0 || code == 1, "state check: {}", stderr(&out));
    (code, json(&out))
}

fn prune_keeps_the_highest_policy_version(backend: &Backend) {
    let mut store = backend.open();
    for (i, (at, version)) in [(1000, Some(7)), (2000, Some(3)), (3000, None)]
        .into_iter()
        .enumerate()
    {
        let mut scan = synthetic("h", at, 5, i);
        scan.policy_version = version;
        store.apply_scan(&scan).unwrap();
    }
    assert_eq!(store.max_policy_version().unwrap(), Some(7));
    let report = store.prune_before(i64::MAX).unwrap();
    // The latest scan stays as the host's current one, version 7's as the rollback floor.
    assert_eq!(report.scans_deleted, 1);
    assert_eq!(store.max_policy_version().unwrap(), Some(7));
    assert!(store.check().unwrap().sound);
}

fn prune_keeps_current_state_and_a_verifiable_chain(backend: &Backend) {
    let mut store = backend.open();
    for (i, at) in [1000, 2000, 3000, 4000].into_iter().enumerate() {
        store.apply_scan(&synthetic("h", at, 30, i)).unwrap();
        store.apply_scan(&synthetic("g", at, 5, i)).unwrap();
    }
    let rule_state = "SELECT * FROM host_rule_state ORDER BY host, rule_id";
    let state_before = backend.rows(rule_state);
    let hosts_before = serde_json::to_string(&store.hosts().unwrap()).unwrap();
    let total = backend.count("SELECT count(*) FROM transactions");

    let report = store.prune_before(2500).unwrap();
    assert_eq!(report.scans_deleted, 4);
    let kept = backend.count("SELECT count(*) FROM transactions");
    assert_eq!(total - kept, report.transactions_deleted as i64);
    assert_eq!(
        backend.count("SELECT min(occurred_at) FROM transactions"),
        3000
    );
    let last_pruned = backend.count("SELECT max(last_pruned_id) FROM chain_checkpoints");
    assert_eq!(
        backend.count("SELECT min(id) FROM transactions"),
        last_pruned + 1
    );
    let check = store.check().unwrap();
    assert!(check.sound, "{check:?}");
    let chain = check.chain.unwrap();
    assert_eq!(
        chain.starts_at,
        format!("checkpoint after row {last_pruned}")
    );
    assert_eq!(chain.rows_checked, kept as u64);
    assert_eq!(backend.rows(rule_state), state_before);
    assert_eq!(
        serde_json::to_string(&store.hosts().unwrap()).unwrap(),
        hosts_before
    );

    // Pruning everything keeps each host's latest scan and the chain still extends.
    store.prune_before(i64::MAX).unwrap();
    assert_eq!(backend.count("SELECT count(*) FROM transactions"), 0);
    assert_eq!(backend.count("SELECT count(*) FROM scans"), 2);
    store.apply_scan(&synthetic("h", 5000, 30, 1)).unwrap();
    let check = store.check().unwrap();
    assert!(check.sound, "{check:?}");
    // flip 1 vs flip 3: the failing sets {i%3==2} and {i%3==0} differ in 20 rules.
    assert_eq!(check.chain.unwrap().rows_checked, 20);
    drop(store);
    // The command agrees, and a tampered row after the cut is still caught.
    let (code, report) = check_json(backend);
    assert_eq!(code, 0, "{report}");
    let first = backend.count("SELECT min(id) FROM transactions");
    backend.execute(&format!(
        "UPDATE change_log SET reason = 'x' WHERE id = {first}"
    ));
    let (code, report) = check_json(backend);
    assert_eq!(code, 1);
    assert_eq!(report["chain"]["first_bad"]["id"], first);
}

fn state_with_log(backend: &Backend) -> Store {
    let mut store = backend.open();
    store.apply_scan(&synthetic("web1", 1000, 10, 0)).unwrap();
    store.apply_scan(&synthetic("web1", 2000, 10, 1)).unwrap();
    store
}

fn edited_transaction_row_is_named_by_check(backend: &Backend) {
    let mut store = state_with_log(backend);
    assert!(store.check().unwrap().sound);
    let (code, report) = check_json(backend);
    assert_eq!(code, 0, "{report}");
    let target = &backend.rows("SELECT id, scan_id, rule_id FROM transactions WHERE id = 14")[0];
    backend.execute(
        "UPDATE change_log SET new_status = (SELECT code FROM value_codes WHERE text = 'pass') WHERE id = 14",
    );
    let report = store.check().unwrap();
    assert!(!report.sound);
    let bad = report.chain.unwrap().first_bad.unwrap();
    assert_eq!(
        (
            Some(bad.id.to_string()),
            Some(bad.scan_id),
            Some(bad.rule_id)
        ),
        (target[0].clone(), target[1].clone(), target[2].clone())
    );
    assert_eq!(bad.host, "web1");
    assert!(bad.problem.contains("edited"), "{}", bad.problem);

    // The command names the row and exits 1; the table says which checks ran.
    let (code, report) = check_json(backend);
    assert_eq!(code, 1);
    assert_eq!(report["sound"], false);
    assert_eq!(report["chain"]["first_bad"]["id"], 14);
    assert_eq!(report["chain"]["first_bad"]["host"], "web1");
    let out = state(backend, &["state", "check", "--format", "table"]);
    expect(&out, 1, "state check");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("hash chain: BROKEN at transactions row 14"),
        "{text}"
    );
    match backend.kind {
        Kind::Sqlite => {
            assert_eq!(report["integrity"], serde_json::json!(["ok"]));
            assert!(report.get("not_applicable").is_none(), "{report}");
            assert!(text.contains("integrity_check: ok"), "{text}");
        }
        // SQLite's page and key checks are not claimed to have passed.
        Kind::Postgres => {
            assert_eq!(
                report["not_applicable"],
                serde_json::json!(["integrity_check", "foreign_key_check"])
            );
            assert!(
                text.contains("integrity_check: not applicable on PostgreSQL"),
                "{text}"
            );
            assert!(!text.contains(": ok\n"), "{text}");
        }
    }

    // An edit outside the hashed row (the state a change came from) is named too.
    backend.execute(
        "UPDATE change_log SET new_status = (SELECT code FROM value_codes WHERE text = 'fail') WHERE id = 14",
    );
    let (code, _) = check_json(backend);
    let sound_again = code == 0;
    let row =
        backend.count("SELECT min(id) FROM change_log WHERE previous_evidence_id IS NOT NULL");
    backend.execute(&format!(
        "UPDATE change_log SET previous_reason = 'edited' WHERE id = {row}"
    ));
    let (code, report) = check_json(backend);
    assert_eq!(code, 1, "{report}");
    if sound_again {
        assert_eq!(report["chain"]["first_bad"]["id"], row);
        let problem = report["chain"]["first_bad"]["problem"].as_str().unwrap();
        assert!(problem.contains("previous_reason"), "{problem}");
    }
}

fn deleted_transaction_row_breaks_the_chain_at_the_next_row(backend: &Backend) {
    drop(state_with_log(backend));
    let (code, _) = check_json(backend);
    assert_eq!(code, 0);
    backend.execute("DELETE FROM change_log WHERE id = 5");
    let (code, report) = check_json(backend);
    assert_eq!(code, 1);
    let bad = &report["chain"]["first_bad"];
    assert_eq!(bad["id"], 6);
    // prev_hash is derived from the row before, so the removal shows as row 6's row_hash.
    let problem = bad["problem"].as_str().unwrap();
    assert!(problem.contains("removed"), "{problem}");
}

/// hosts, scans, history and prune read and write the backend the location names, with
/// the same output on both.
fn state_commands_read_the_backend(backend: &Backend) {
    drop(state_with_log(backend));
    let out = state(backend, &["state", "hosts", "--format", "json"]);
    expect(&out, 0, "state hosts");
    let hosts = json(&out);
    assert_eq!(hosts[0]["name"], "web1");
    assert_eq!(hosts[0]["counts"]["fail"], 3);
    let out = state(
        backend,
        &[
            "state", "scans", "--host", "web1", "--limit", "1", "--format", "json",
        ],
    );
    expect(&out, 0, "state scans");
    let scans = json(&out);
    assert_eq!(scans.as_array().unwrap().len(), 1);
    assert_eq!(scans[0]["finished_at"], "1970-01-01T00:00:02.000Z");
    let out = state(
        backend,
        &[
            "state", "history", "web1", "--rule", "r00002", "--format", "json",
        ],
    );
    expect(&out, 0, "state history");
    let history = json(&out);
    let kinds: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["change_kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["state_changed", "first_seen"]);
    for table in [
        &["state", "hosts"][..],
        &["state", "scans"],
        &["state", "history", "web1"],
    ] {
        expect(&state(backend, table), 0, &table.join(" "));
    }
    let out = state(
        backend,
        &["state", "prune", "--older-than", "1d", "--format", "json"],
    );
    expect(&out, 0, "state prune");
    // Both scans are older than a day, but the latest stays as the host's current one.
    assert_eq!(json(&out)["scans_deleted"], 1);
    assert_eq!(backend.count("SELECT count(*) FROM transactions"), 0);
    let (code, report) = check_json(backend);
    assert_eq!(code, 0, "{report}");
    let out = state(backend, &["state", "vacuum"]);
    match backend.kind {
        Kind::Sqlite => expect(&out, 0, "state vacuum"),
        Kind::Postgres => {
            expect(&out, 2, "state vacuum");
            assert!(stderr(&out).contains("applies to a state file only"));
        }
    }
}

// ---- plumb state copy --------------------------------------------------------------------

/// Every table of a state file, each row as text, in a fixed order (audit events apart, and
/// host locks, which a copy leaves behind: they are the source's running processes').
fn tables(path: &Path) -> Vec<(String, String)> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let names: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
             AND name NOT IN ('audit_events', 'host_locks') ORDER BY name",
        )
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut out: Vec<(String, String)> = names
        .into_iter()
        .map(|name| {
            // rowid too: scans' insertion order is data.
            let rowid = if name == "scans" { "rowid, " } else { "" };
            let dump = dump(&conn, &format!("SELECT {rowid}* FROM {name} ORDER BY 1, 2"));
            (name, dump)
        })
        .collect();
    out.push((
        "sqlite_sequence".into(),
        dump(
            &conn,
            "SELECT * FROM sqlite_sequence WHERE name <> 'audit_events' ORDER BY name",
        ),
    ));
    out
}

/// A query's rows with each value and its storage class.
fn dump(conn: &rusqlite::Connection, sql: &str) -> String {
    let mut stmt = conn.prepare(sql).unwrap();
    let columns = stmt.column_count();
    let rows: Vec<String> = stmt
        .query_map([], |row| {
            Ok((0..columns)
                .map(|i| format!("{:?}", row.get_ref(i).unwrap()))
                .collect::<Vec<_>>()
                .join("|"))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    rows.join("\n")
}

/// Equal table by table; a difference names the table and its first differing row.
fn same_tables(got: &[(String, String)], want: &[(String, String)]) {
    let names = |t: &[(String, String)]| t.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(got), names(want));
    for ((table, got), (_, want)) in got.iter().zip(want) {
        let first = got.lines().zip(want.lines()).position(|(g, w)| g != w);
        assert!(
            got == want,
            "table {table} differs ({} rows vs {} rows); first differing row {first:?}: {:?} vs {:?}",
            got.lines().count(),
            want.lines().count(),
            first.and_then(|i| got.lines().nth(i)),
            first.and_then(|i| want.lines().nth(i)),
        );
    }
}

fn audit(path: &Path) -> Vec<String> {
    support::tools::sqlite3(
        path,
        "SELECT occurred_at, kind, host, detail FROM audit_events ORDER BY id;",
    )
    .lines()
    .map(str::to_string)
    .collect()
}

fn copy(from: &str, to: &str) -> Output {
    run(plumb().args(["state", "copy", "--format", "json", from, to]))
}

/// A file with history, a prune checkpoint, the schedule, jobs and an export cursor.
fn rich_file(path: &Path) {
    let mut store = Store::open(path).unwrap();
    for (i, at) in [1000, 2000, 3000, 4000].into_iter().enumerate() {
        store.apply_scan(&synthetic("h", at, 30, i)).unwrap();
        store.apply_scan(&synthetic("g", at, 5, i)).unwrap();
    }
    // The pruned ids stay used: the copy must not hand them out again.
    store.prune_before(2500).unwrap();
    drop(store);
    support::tools::sqlite3(
        path,
        "INSERT INTO host_schedule (host, compliance_state, score, has_critical, interval_secs, next_scan_at)
             VALUES ('h', 'partial', 71.5, 1, 3600, 9000);
         INSERT INTO host_backoff (host, consecutive_failures, suppress_until, last_error)
             VALUES ('g', 2, 8000, 'ssh: refused');
         INSERT INTO jobs (job_id, host, owner, claimed_at, lease_expires_at, policy_version,
                           ruleset_hash, enqueued_at, hmac, status)
             VALUES ('j1', 'h', 'w1', 10, 20, NULL, 'abc', 5, 'mac', 'done');
         INSERT INTO export_consumers (name, created_at, acked_batch_id, acked_through_txn)
             VALUES ('siem', 100, 'b1', 40);
         INSERT INTO export_batches (batch_id, consumer, from_txn, through_txn, full, created_at)
             VALUES ('b1', 'siem', NULL, 40, 1, 100);
         INSERT INTO host_locks (host, owner, expires_at) VALUES ('h', 'someone', 99);",
    );
}

/// file → PostgreSQL → file: every table holds the same rows as the source, ids and hashes
/// included; `state check` passes on each target; new writes after the copy get fresh ids.
#[test]
fn copy_round_trips_a_file_through_postgresql() {
    let postgres = Backend::postgres("copy_round_trips_a_file_through_postgresql");
    let url = postgres.state.clone();
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("source.db");
    let back = dir.path().join("back.db");
    rich_file(&source);
    let before = tables(&source);
    let source_audit = audit(&source);

    let out = copy(&source.display().to_string(), &url);
    expect(&out, 0, "copy into PostgreSQL");
    let report = json(&out);
    assert_eq!(
        report["target"].as_str().unwrap(),
        url.replace(PASSWORD, "***")
    );
    let rows = |table: &str| {
        report["tables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["table"] == table)
            .unwrap()["rows"]
            .as_u64()
            .unwrap()
    };
    let copied: Vec<&str> = report["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["table"].as_str().unwrap())
        .collect();
    assert!(!copied.contains(&"host_locks"), "{copied:?}");
    assert!(rows("change_log") > 0);
    assert_eq!(rows("chain_checkpoints"), 1);
    assert_eq!(
        postgres.count("SELECT count(*) FROM change_log") as u64,
        rows("change_log")
    );
    assert_eq!(postgres.count("SELECT count(*) FROM host_locks"), 0);
    let (code, check) = check_json(&postgres);
    assert_eq!(code, 0, "{check}");
    assert!(
        check["chain"]["starts_at"]
            .as_str()
            .unwrap()
            .starts_with("checkpoint after row"),
        "{check}"
    );

    // Back into a new file: the same rows, table by table.
    let out = copy(&url, &back.display().to_string());
    expect(&out, 0, "copy back into a file");
    same_tables(&tables(&back), &before);
    assert_eq!(count(&back, "SELECT count(*) FROM host_locks"), 0);
    let back_audit = audit(&back);
    assert!(
        back_audit
            .windows(source_audit.len())
            .any(|w| w == source_audit.as_slice()),
        "the source's audit events are not in the copy: {back_audit:?}"
    );
    assert_eq!(
        back_audit
            .iter()
            .filter(|e| e.contains("|state_copied|"))
            .count(),
        2
    );
    let out = run(plumb().args(["state", "check", "--state"]).arg(&back));
    expect(&out, 0, "state check of the copy");

    // New writes on the PostgreSQL copy get ids past the copied ones (the identity
    // sequences were advanced), and the chain still verifies.
    let mut store = Store::open_at(&postgres.location, store::Access::Create).unwrap();
    store.apply_scan(&synthetic("new", 5000, 5, 0)).unwrap();
    store.apply_scan(&synthetic("h", 6000, 30, 0)).unwrap();
    assert!(store.check().unwrap().sound);
    drop(store);
    let max_copied_scan_rowid: i64 =
        support::tools::sqlite3(&source, "SELECT max(rowid) FROM scans;")
            .trim()
            .parse()
            .unwrap();
    assert!(
        postgres.count("SELECT min(rowid) FROM scans WHERE host = 'new'") > max_copied_scan_rowid
    );
}

/// A target with rows is refused (exit 2) and left exactly as it was; so is a source of
/// another schema version, and the copy's own target of a failed copy stays empty.
#[test]
fn copy_refuses_a_non_empty_target_and_a_source_of_another_schema() {
    let postgres = Backend::postgres("copy_refuses_a_non_empty_target");
    let url = postgres.state.clone();
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("source.db");
    rich_file(&source);

    // A database that already has a scan.
    let mut store = postgres.open();
    store.apply_scan(&synthetic("other", 1000, 3, 0)).unwrap();
    drop(store);
    let before = postgres.rows("SELECT * FROM change_log ORDER BY id");
    let out = copy(&source.display().to_string(), &url);
    expect(&out, 2, "copy into a used database");
    assert!(stderr(&out).contains("the target is not empty (table hosts has rows)"));
    assert!(stderr(&out).contains("nothing was written"));
    assert_eq!(
        postgres.rows("SELECT * FROM change_log ORDER BY id"),
        before
    );

    // A used file as the target: the same.
    let used = dir.path().join("used.db");
    let mut store = Store::open(&used).unwrap();
    store.apply_scan(&synthetic("other", 1000, 3, 0)).unwrap();
    drop(store);
    let before = tables(&used);
    expect(
        &copy(&url, &used.display().to_string()),
        2,
        "copy into a used file",
    );
    same_tables(&tables(&used), &before);

    // A copy that fails part-way (the target refuses a value of a late table) leaves the
    // target as it was: the whole copy is one transaction.
    let odd = dir.path().join("odd.db");
    rich_file(&odd);
    support::tools::sqlite3(
        &odd,
        "UPDATE export_consumers SET acked_through_txn = 'not a number';",
    );
    let empty = Backend::postgres("copy_failure_leaves_the_target_empty");
    let out = copy(&odd.display().to_string(), &empty.state);
    expect(&out, 3, "a copy that fails part-way");
    assert!(
        stderr(&out).contains("writing export_consumers"),
        "{}",
        stderr(&out)
    );
    for table in [
        "hosts",
        "change_log",
        "evidence",
        "scans",
        "export_consumers",
    ] {
        assert_eq!(
            empty.count(&format!("SELECT count(*) FROM {table}")),
            0,
            "{table}"
        );
    }
    // And it can be copied once the source is fixed.
    support::tools::sqlite3(&odd, "UPDATE export_consumers SET acked_through_txn = 40;");
    expect(
        &copy(&odd.display().to_string(), &empty.state),
        0,
        "the copy again",
    );

    // A source of an older schema: migrate it first.
    let old = dir.path().join("old.db");
    {
        let conn = rusqlite::Connection::open(&old).unwrap();
        for (version, migration) in store::schema::pending(0).take(7) {
            conn.execute_batch(migration.sql).unwrap();
            conn.pragma_update(None, "user_version", version).unwrap();
        }
    }
    let fresh = dir.path().join("fresh.db");
    let out = copy(&old.display().to_string(), &fresh.display().to_string());
    expect(&out, 2, "copy of an old schema");
    assert!(
        stderr(&out).contains("schema version 7"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("plumb state migrate"),
        "{}",
        stderr(&out)
    );
    assert!(!fresh.exists(), "a refused copy created its target");

    // A missing source is an error and creates nothing.
    let out = copy(
        &dir.path().join("none.db").display().to_string(),
        &fresh.display().to_string(),
    );
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(!fresh.exists());
}

/// On PostgreSQL a prune waits for the chain's advisory lock, which every append holds to
/// commit, so a cut and its checkpoint never interleave with a concurrent append. The
/// prune here is a separate `plumb` process; the "append" holds the lock in its own session.
#[test]
fn prune_on_postgresql_waits_for_the_chain_lock() {
    let backend = Backend::postgres("prune_on_postgresql_waits_for_the_chain_lock");
    drop(state_with_log(&backend));
    let rows = backend.count("SELECT count(*) FROM change_log");
    assert!(rows > 0);
    let mut appender = ::postgres::Client::connect(&backend.state, ::postgres::NoTls).unwrap();
    let mut append = appender.transaction().unwrap();
    // The key chain.rs serialises appends with ("chain" in ASCII).
    append
        .execute("SELECT pg_advisory_xact_lock($1)", &[&0x63_68_61_69_6e_i64])
        .unwrap();
    let mut prune = plumb()
        .args([
            "state",
            "prune",
            "--older-than",
            "1d",
            "--format",
            "json",
            "--state",
        ])
        .arg(&backend.state)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait (bounded) until the prune's session queues for the advisory lock.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let waiting = backend
            .count("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted");
        if waiting == 1 {
            break;
        }
        if let Some(status) = prune.try_wait().unwrap() {
            panic!("the prune did not wait for the chain lock: it exited with {status}");
        }
        if std::time::Instant::now() > deadline {
            prune.kill().unwrap();
            panic!("the prune never queued for the chain lock");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(prune.try_wait().unwrap().is_none());
    assert_eq!(backend.count("SELECT count(*) FROM change_log"), rows);
    append.commit().unwrap();
    let out = prune.wait_with_output().unwrap();
    expect(&out, 0, "state prune");
    assert_eq!(json(&out)["transactions_deleted"], rows);
    assert_eq!(backend.count("SELECT count(*) FROM change_log"), 0);
    let (code, report) = check_json(&backend);
    assert_eq!(code, 0, "{report}");
}
