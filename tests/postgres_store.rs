//! The store on PostgreSQL (issue 16), against a real throwaway cluster: the backend is
//! chosen from the state location in one place, and the schema is migrated under an
//! advisory lock to the equivalent of the SQLite schema.

mod support;

use plumb::store::{Access, Dialect, StateLocation, Store, StoreError};
use std::process::{Output, Stdio};
use support::postgres::{PASSWORD, PgServer};
use support::{json, plumb, run, stderr};

fn location(text: &str) -> StateLocation {
    StateLocation::parse(text.as_ref()).unwrap()
}

/// A path opens the SQLite file and a URL connects to PostgreSQL; each says where it is,
/// the URL without its password.
#[test]
fn the_location_chooses_the_backend() {
    let server = PgServer::start("the_location_chooses_the_backend");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("state.db");
    let sqlite = Store::open_at(&StateLocation::Path(file.clone()), Access::Create).unwrap();
    assert_eq!(sqlite.dialect(), Dialect::Sqlite);
    assert_eq!(sqlite.location(), file.display().to_string());
    assert!(file.exists());

    let url = server.url(Some(PASSWORD), "sslmode=disable");
    let postgres = Store::open_at(&location(&url), Access::Create).unwrap();
    assert_eq!(postgres.dialect(), Dialect::Postgres);
    let shown = url.replace(PASSWORD, "***");
    assert_eq!(postgres.location(), shown);
    let user: String = pg_client(&server.url(Some(PASSWORD), "application_name=check"))
        .query_one("SELECT current_user::text", &[])
        .unwrap()
        .get(0);
    assert_eq!(user, support::postgres::USER);
}

/// `plumb -vvv --state URL ARGS`.
fn plumb_at(url: &str, args: &[&str]) -> Output {
    run(plumb().arg("-vvv").arg("--state").arg(url).args(args))
}

/// Exit code `code`, and the password in neither stdout nor stderr.
fn expect(out: &Output, code: i32, what: &str) -> String {
    let (stdout, err) = (String::from_utf8_lossy(&out.stdout), stderr(out));
    assert_eq!(out.status.code(), Some(code), "{what}: {err}");
    for secret in [PASSWORD, CANARY] {
        assert!(
            !stdout.contains(secret),
            "{what}: stdout has a password: {stdout}"
        );
        assert!(
            !err.contains(secret),
            "{what}: stderr has a password: {err}"
        );
    }
    err
}

const CANARY: &str = "CANARY-pw-9";

fn pg_client(url: &str) -> postgres::Client {
    postgres::Client::connect(&format!("{url}&sslmode=disable"), postgres::NoTls).unwrap()
}

/// SQLite's declared column types and the PostgreSQL types that stand for them.
fn pg_types_for(sqlite_type: &str) -> &'static [&'static str] {
    match sqlite_type {
        "INTEGER" => &["bigint", "smallint"],
        "TEXT" => &["text"],
        "BLOB" => &["bytea"],
        "REAL" => &["double precision"],
        other => panic!("unexpected SQLite type {other}"),
    }
}

/// `state migrate` builds, in PostgreSQL, every table, view, column and index a state file
/// migrated by the same build has, and is idempotent; `state show` and `state path` name
/// the database only by its redacted URL; a read before migrating finds no schema (exit 3).
#[test]
fn migrate_builds_the_sqlite_schema_in_postgresql_and_is_idempotent() {
    let server =
        PgServer::start("migrate_builds_the_sqlite_schema_in_postgresql_and_is_idempotent");
    let url = server.url(Some(PASSWORD), "sslmode=disable");
    let shown = url.replace(PASSWORD, "***");

    let err = expect(
        &plumb_at(&url, &["state", "show"]),
        3,
        "show before migrate",
    );
    assert!(
        err.contains(&format!("PostgreSQL state at {shown} has no plumb schema")),
        "{err}"
    );

    let first = plumb_at(&url, &["state", "migrate", "--format", "json"]);
    expect(&first, 0, "first migrate");
    let first = json(&first);
    assert_eq!(first["path"], shown.as_str());
    assert_eq!(first["from_version"], 0);
    assert_eq!(first["to_version"], 9);
    assert_eq!(first["applied"].as_array().unwrap().len(), 2);
    // Again, with the password from PGPASSWORD: nothing left to do.
    let bare = server.url(None, "sslmode=disable");
    let again = run(plumb().env("PGPASSWORD", PASSWORD).args([
        "-vvv", "state", "migrate", "--format", "json", "--state", &bare,
    ]));
    expect(&again, 0, "second migrate");
    let again = json(&again);
    assert_eq!(again["from_version"], 9);
    assert_eq!(again["to_version"], 9);
    assert_eq!(again["applied"], serde_json::json!([]));

    let show = plumb_at(&url, &["state", "show", "--format", "json"]);
    expect(&show, 0, "show");
    let show = json(&show);
    assert_eq!(show["path"], shown.as_str());
    assert_eq!(show["schema_version"], 9);
    assert_eq!(show["hosts"], 0);
    assert_eq!(show["transactions"], 0);
    let table = plumb_at(&url, &["state", "show", "--format", "table"]);
    expect(&table, 0, "show table");
    assert!(String::from_utf8_lossy(&table.stdout).contains(&format!("path:           {shown}\n")));
    let path = plumb_at(&url, &["state", "path", "--format", "table"]);
    expect(&path, 0, "path");
    assert_eq!(String::from_utf8_lossy(&path.stdout), format!("{shown}\n"));

    // The reference: a state file migrated by this build.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("state.db");
    expect(
        &run(plumb().args(["state", "migrate", "--state"]).arg(&file)),
        0,
        "sqlite migrate",
    );
    let sqlite = rusqlite::Connection::open(&file).unwrap();
    let mut pg = pg_client(&url);
    let names = |kind: &str| -> Vec<String> {
        let mut stmt = sqlite
            .prepare(
                "SELECT name FROM sqlite_master WHERE type = ?1 AND name NOT LIKE 'sqlite_%' \
                 AND sql IS NOT NULL ORDER BY name",
            )
            .unwrap();
        stmt.query_map([kind], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    let (tables, views, indexes) = (names("table"), names("view"), names("index"));
    assert!(tables.contains(&"change_log".to_string()) && views.len() == 3);

    let pg_names = |pg: &mut postgres::Client, sql: &str| -> Vec<String> {
        let mut names: Vec<String> = pg
            .query(sql, &[])
            .unwrap()
            .iter()
            .map(|row| row.get(0))
            .collect();
        names.sort();
        names
    };
    let pg_tables = pg_names(
        &mut pg,
        "SELECT table_name::text FROM information_schema.tables
         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
    );
    let mut expected = tables.clone();
    expected.push("plumb_schema".into());
    expected.sort();
    assert_eq!(pg_tables, expected);
    let pg_views = pg_names(
        &mut pg,
        "SELECT table_name::text FROM information_schema.tables
         WHERE table_schema = current_schema() AND table_type = 'VIEW'",
    );
    assert_eq!(pg_views, views);
    let pg_indexes = pg_names(
        &mut pg,
        "SELECT indexname::text FROM pg_indexes WHERE schemaname = current_schema()",
    );
    for index in &indexes {
        assert!(
            pg_indexes.contains(index),
            "index {index} missing: {pg_indexes:?}"
        );
    }

    for name in tables.iter().chain(&views) {
        let is_view = views.contains(name);
        let mut stmt = sqlite
            .prepare("SELECT name, upper(type), \"notnull\" OR pk > 0 FROM pragma_table_info(?1)")
            .unwrap();
        let columns: Vec<(String, String, bool)> = stmt
            .query_map([name], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let pg_columns: Vec<(String, String, bool)> = pg
            .query(
                "SELECT column_name::text, data_type::text, is_nullable = 'NO'
                 FROM information_schema.columns
                 WHERE table_schema = current_schema() AND table_name = $1
                 ORDER BY ordinal_position",
                &[name],
            )
            .unwrap()
            .iter()
            .map(|row| (row.get(0), row.get(1), row.get(2)))
            // SQLite's implicit rowid, which PostgreSQL's scans spell out.
            .filter(|(column, _, _): &(String, String, bool)| {
                !(name == "scans" && column == "rowid")
            })
            .collect();
        let column_names =
            |cols: &[(String, String, bool)]| cols.iter().map(|c| c.0.clone()).collect::<Vec<_>>();
        assert_eq!(column_names(&pg_columns), column_names(&columns), "{name}");
        if is_view {
            continue;
        }
        for ((column, sqlite_type, not_null), (_, pg_type, pg_not_null)) in
            columns.iter().zip(&pg_columns)
        {
            assert!(
                pg_types_for(sqlite_type).contains(&pg_type.as_str()),
                "{name}.{column}: {sqlite_type} became {pg_type}"
            );
            assert_eq!(not_null, pg_not_null, "{name}.{column}: NOT NULL differs");
        }
    }

    let codes: Vec<(i64, String)> = sqlite
        .prepare("SELECT code, text FROM value_codes ORDER BY code")
        .unwrap()
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let pg_codes: Vec<(i64, String)> = pg
        .query(
            "SELECT code::bigint, text FROM value_codes ORDER BY code",
            &[],
        )
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    assert_eq!(pg_codes, codes);
}

/// Four `plumb state migrate` processes started at once on a new database all succeed: the
/// advisory lock makes them migrate one after another, so exactly one applies the schema
/// and no one sees a half-built one or a duplicate table.
#[test]
fn concurrent_migrations_in_separate_processes_all_succeed() {
    let server = PgServer::start("concurrent_migrations_in_separate_processes_all_succeed");
    let url = server.url(Some(PASSWORD), "sslmode=disable");
    let children: Vec<_> = (0..4)
        .map(|_| {
            plumb()
                .args(["state", "migrate", "--format", "json", "--state", &url])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outputs: Vec<Output> = children
        .into_iter()
        .map(|child| child.wait_with_output().unwrap())
        .collect();
    let mut applied = 0;
    for (i, out) in outputs.iter().enumerate() {
        expect(out, 0, &format!("migrate {i}"));
        let report = json(out);
        assert_eq!(report["to_version"], 9, "{report}");
        if !report["applied"].as_array().unwrap().is_empty() {
            applied += 1;
        }
    }
    assert_eq!(applied, 1, "exactly one process applies the schema");
    let mut pg = pg_client(&url);
    let version: i64 = pg
        .query_one("SELECT version FROM plumb_schema", &[])
        .unwrap()
        .get(0);
    assert_eq!(version, 9);
    let events: i64 = pg
        .query_one(
            "SELECT count(*) FROM audit_events WHERE kind = 'schema_migrated'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(events, 1);
}

/// A database whose schema is newer than this build is refused with exit 3, by `state
/// migrate` and `state show` alike, and left as it is.
#[test]
fn a_newer_schema_is_refused_with_exit_3() {
    let server = PgServer::start("a_newer_schema_is_refused_with_exit_3");
    let url = server.url(Some(PASSWORD), "sslmode=disable");
    let shown = url.replace(PASSWORD, "***");
    expect(&plumb_at(&url, &["state", "migrate"]), 0, "migrate");
    let mut pg = pg_client(&url);
    pg.execute("UPDATE plumb_schema SET version = 99", &[])
        .unwrap();
    for args in [&["state", "migrate"][..], &["state", "show"]] {
        let err = expect(&plumb_at(&url, args), 3, &args.join(" "));
        assert!(
            err.contains(&format!(
                "PostgreSQL state at {shown} has schema version 99, newer than this plumb \
                 understands (up to 9)"
            )),
            "{err}"
        );
    }
    assert!(matches!(
        Store::open_at(&location(&url), Access::Create),
        Err(StoreError::PostgresNewerSchema {
            found: 99,
            known: 9,
            ..
        })
    ));
    let version: i64 = pg
        .query_one("SELECT version FROM plumb_schema", &[])
        .unwrap()
        .get(0);
    assert_eq!(version, 99);
}

/// A wrong password, by every PostgreSQL-capable command at -vvv: exit 3, and the password
/// given appears nowhere.
#[test]
fn a_refused_login_never_shows_the_password() {
    let server = PgServer::start("a_refused_login_never_shows_the_password");
    let url = server.url(Some(CANARY), "sslmode=disable");
    for args in [&["state", "migrate"][..], &["state", "show"]] {
        let err = expect(&plumb_at(&url, args), 3, &args.join(" "));
        assert!(err.contains("refused the login"), "{err}");
        assert!(err.contains(&url.replace(CANARY, "***")), "{err}");
    }
}
