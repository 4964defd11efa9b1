//! Parsing package databases into package names. Both executors feed these the same text.

use super::untrusted_db::{Bounds, UntrustedDb};
use std::collections::BTreeSet;

/// Installed package names from a dpkg status file (or just its `Package:`/`Status:` lines).
pub fn parse_dpkg_status(text: &str) -> BTreeSet<String> {
    let mut installed = BTreeSet::new();
    let mut package: Option<&str> = None;
    let mut is_installed = false;
    let mut flush = |package: &mut Option<&str>, is_installed: &mut bool| {
        if let (Some(name), true) = (package.take(), *is_installed) {
            installed.insert(name.to_owned());
        }
        *is_installed = false;
    };
    for line in text.lines() {
        if line.trim().is_empty() {
            flush(&mut package, &mut is_installed);
        } else if let Some(name) = line.strip_prefix("Package:") {
            flush(&mut package, &mut is_installed);
            package = Some(name.trim());
        } else if let Some(status) = line.strip_prefix("Status:") {
            // "want flag state": only the state says whether files are on disk.
            is_installed = matches!(status.split_whitespace().nth(2), Some("installed"));
        }
    }
    flush(&mut package, &mut is_installed);
    installed
}

/// Package names from `P:` lines of an apk installed database.
pub fn parse_apk_installed(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter_map(|line| line.strip_prefix("P:"))
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .collect()
}

/// Package names from `rpm -qa --qf '%{NAME}\n'` or the rpmdb `Name` index, one per line.
pub fn parse_name_lines(text: &str) -> BTreeSet<String> {
    text.lines()
        .map(str::trim)
        .filter(|name| !name.is_empty() && *name != "gpg-pubkey")
        .map(str::to_owned)
        .collect()
}

/// Most package names kept from one rpm database: real ones hold a few thousand.
pub const MAX_RPM_NAMES: usize = 200_000;

/// Reads package names from an rpm sqlite database (the `Name` index table). `origin` names the
/// database in errors (its path on the target). The file is untrusted: it is read under
/// [`Bounds::DEFAULT`] and only from a real `Name` table.
pub fn read_rpmdb_sqlite(path: &std::path::Path, origin: &str) -> Result<BTreeSet<String>, String> {
    read_rpmdb_sqlite_within(path, origin, Bounds::DEFAULT)
}

fn read_rpmdb_sqlite_within(
    path: &std::path::Path,
    origin: &str,
    bounds: Bounds,
) -> Result<BTreeSet<String>, String> {
    let db = UntrustedDb::open(path, bounds).map_err(|err| format!("{origin}: {err}"))?;
    let read = || -> rusqlite::Result<Result<BTreeSet<String>, String>> {
        if !db.is_plain_table("Name", "key")? {
            return Ok(Err(
                "`Name` is not a plain table with a stored `key` column".into(),
            ));
        }
        // No DISTINCT: deduplicating here keeps SQLite from building a temporary index.
        let mut stmt = db.conn.prepare("SELECT key FROM Name")?;
        let mut rows = stmt.query([])?;
        let mut names = BTreeSet::new();
        while let Some(row) = rows.next()? {
            let name = match row.get_ref(0)? {
                rusqlite::types::ValueRef::Text(bytes) => String::from_utf8_lossy(bytes),
                _ => return Ok(Err("a `Name` key is not text".into())),
            };
            let name = name.trim();
            if name.is_empty() || name == "gpg-pubkey" || names.contains(name) {
                continue;
            }
            if names.len() == MAX_RPM_NAMES {
                return Ok(Err(format!(
                    "more than {MAX_RPM_NAMES} package names, more than any real system has"
                )));
            }
            names.insert(name.to_owned());
        }
        Ok(Ok(names))
    };
    match read() {
        Ok(Ok(names)) => Ok(names),
        Ok(Err(detail)) => Err(format!("{origin}: {detail}")),
        Err(err) => Err(format!("{origin}: {}", db.describe(&err))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dpkg_counts_only_installed_state() {
        let text = "Package: a\nStatus: install ok installed\nVersion: 1\n\nPackage: b\nStatus: deinstall ok config-files\n\nPackage: c\nStatus: hold ok installed\n";
        let names: Vec<_> = parse_dpkg_status(text).into_iter().collect();
        assert_eq!(names, vec!["a", "c"]);
    }

    #[test]
    fn apk_and_rpm_lines() {
        assert!(parse_apk_installed("P:musl\nV:1\n\nP:busybox\n").contains("busybox"));
        let rpm = parse_name_lines("bash\ngpg-pubkey\n\nopenssh\n");
        assert_eq!(rpm.len(), 2);
    }

    /// A database built by `sql`, in a temp dir kept alive by the returned guard.
    fn database(sql: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rpmdb.sqlite");
        rusqlite::Connection::open(&path)
            .unwrap()
            .execute_batch(sql)
            .unwrap();
        (dir, path)
    }

    const NAME_TABLE: &str = "CREATE TABLE Name (key TEXT NOT NULL, hnum INTEGER NOT NULL);";

    #[test]
    fn a_real_name_table_is_read() {
        let sql = format!(
            "{NAME_TABLE} INSERT INTO Name VALUES ('bash', 1), ('gpg-pubkey', 2), ('bash', 3), ('sudo', 4);"
        );
        let (_dir, path) = database(&sql);
        let names: Vec<_> = read_rpmdb_sqlite(&path, "db")
            .unwrap()
            .into_iter()
            .collect();
        assert_eq!(names, ["bash", "sudo"]);
    }

    #[test]
    fn views_virtual_and_generated_columns_are_refused_unread() {
        // Each would run SQL from the file: forever, or into gigabytes.
        let forever = "CREATE VIEW Name AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT 'p' || i AS key FROM n;";
        let generated = "CREATE TABLE Name (hnum INTEGER, key TEXT GENERATED ALWAYS AS (printf('%.*c', 100000000, 'x')) VIRTUAL); INSERT INTO Name (hnum) VALUES (1);";
        for sql in [forever, generated] {
            let (_dir, path) = database(sql);
            let err = read_rpmdb_sqlite(&path, "/var/lib/rpm/rpmdb.sqlite").unwrap_err();
            assert!(err.starts_with("/var/lib/rpm/rpmdb.sqlite: "), "{err}");
            assert!(err.contains("not a plain table"), "{err}");
        }
    }

    #[test]
    fn a_huge_value_is_refused() {
        let sql =
            format!("{NAME_TABLE} INSERT INTO Name VALUES (printf('%.*c', 1000000, 'x'), 1);");
        let (_dir, path) = database(&sql);
        let err = read_rpmdb_sqlite(&path, "db").unwrap_err();
        assert!(err.contains("larger than 65536 bytes"), "{err}");
    }

    #[test]
    fn a_schema_of_too_many_objects_is_refused() {
        let mut sql = NAME_TABLE.to_owned();
        for n in 0..300 {
            sql.push_str(&format!("CREATE VIEW v{n} AS SELECT 1;"));
        }
        let (_dir, path) = database(&sql);
        let err = read_rpmdb_sqlite(&path, "db").unwrap_err();
        assert!(err.starts_with("db: "), "{err}");
    }

    #[test]
    fn a_read_past_its_deadline_is_stopped() {
        let sql = format!(
            "{NAME_TABLE} WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n LIMIT 50000) INSERT INTO Name SELECT 'p' || (i % 10), i FROM n;"
        );
        let (_dir, path) = database(&sql);
        let bounds = Bounds {
            deadline: std::time::Duration::ZERO,
            ..Bounds::DEFAULT
        };
        let err = read_rpmdb_sqlite_within(&path, "db", bounds).unwrap_err();
        assert!(err.contains("took longer than"), "{err}");
        assert_eq!(read_rpmdb_sqlite(&path, "db").unwrap().len(), 10);
    }

    #[test]
    fn paths_with_uri_characters_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("img#1?x%y");
        std::fs::create_dir(&nested).unwrap();
        let path = nested.join("rpmdb.sqlite");
        rusqlite::Connection::open(&path)
            .unwrap()
            .execute_batch(&format!(
                "{NAME_TABLE} INSERT INTO Name VALUES ('bash', 1);"
            ))
            .unwrap();
        assert_eq!(read_rpmdb_sqlite(&path, "db").unwrap().len(), 1);
    }
}
