//! Parsing package databases into package names. Both executors feed these the same text.

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

/// Reads package names from an rpm sqlite database (the `Name` index table). `origin` names the
/// database in errors (its path on the target).
pub fn read_rpmdb_sqlite(path: &std::path::Path, origin: &str) -> Result<BTreeSet<String>, String> {
    use rusqlite::{Connection, OpenFlags};
    // immutable=1: a read-only look that never creates -wal/-shm files in the image.
    let uri = format!("file:{}?immutable=1", path.display());
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI;
    let read = || -> rusqlite::Result<BTreeSet<String>> {
        let conn = Connection::open_with_flags(&uri, flags)?;
        let mut stmt = conn.prepare("SELECT DISTINCT key FROM Name")?;
        let names = stmt.query_map([], |row| row.get::<_, String>(0))?;
        let mut text = String::new();
        for name in names {
            text.push_str(&name?);
            text.push('\n');
        }
        Ok(parse_name_lines(&text))
    };
    read().map_err(|err| format!("{origin}: {err}"))
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
}
