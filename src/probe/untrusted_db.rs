//! Opening SQLite files that come from scanned hosts or images (the rpm database).
//!
//! Such a file is hostile input: its schema is SQL that SQLite runs (a view can recurse
//! forever or build gigabyte strings), and its rows can be any size. So it is opened read-only
//! and immutable, in defensive mode with an untrusted schema, and every read is bounded in time
//! (a progress handler) and in memory (per-connection limits).
//!
//! Memory is bounded per connection, not per process: `sqlite3_hard_heap_limit64` and
//! `sqlite3_soft_heap_limit64` are process-wide, so a hard limit could fail the state file's
//! own allocations (it is SQLite in the same process), and a soft one only trims caches. The
//! per-connection bounds are: a small page cache, a cap on any one string or blob
//! (`SQLITE_LIMIT_LENGTH`), on each schema statement (`SQLITE_LIMIT_SQL_LENGTH`) and on the
//! number of schema objects (`SQLITE_LIMIT_SCHEMA`), so the parsed schema and each value stay
//! small; callers bound how many rows they keep.

use rusqlite::config::DbConfig;
use rusqlite::limits::Limit;
use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Bounds on reading one untrusted database.
#[derive(Clone, Copy, Debug)]
pub struct Bounds {
    /// Wall time for everything done on the connection.
    pub deadline: Duration,
    /// Largest string or blob SQLite will produce (a value, or a schema statement's text).
    pub max_value_bytes: i32,
    /// Most objects (tables, indexes, views, triggers) the schema may define.
    pub max_schema_objects: i32,
    /// Page cache, in KiB.
    pub cache_kib: i64,
}

impl Bounds {
    /// Real rpm databases have ~40 schema objects of a few hundred bytes each, and package names
    /// well under a KiB; a read of one takes milliseconds.
    pub const DEFAULT: Bounds = Bounds {
        deadline: Duration::from_secs(2),
        max_value_bytes: 64 * 1024,
        max_schema_objects: 256,
        cache_kib: 4 * 1024,
    };
}

/// VM steps between deadline checks: often enough to stop within milliseconds, rarely enough
/// to cost nothing.
const PROGRESS_STEPS: i32 = 1000;

/// An untrusted database opened under [`Bounds`].
pub struct UntrustedDb {
    pub conn: Connection,
    bounds: Bounds,
    timed_out: Arc<AtomicBool>,
}

impl UntrustedDb {
    /// Opens `path` read-only and immutable, defensively. No SQL runs before the bounds are set.
    /// An error is in words (see [`UntrustedDb::describe`]).
    pub fn open(path: &Path, bounds: Bounds) -> Result<UntrustedDb, String> {
        let timed_out = Arc::new(AtomicBool::new(false));
        Self::open_flagged(path, bounds, timed_out.clone())
            .map_err(|err| describe(&err, bounds, timed_out.load(Ordering::Relaxed)))
    }

    fn open_flagged(
        path: &Path,
        bounds: Bounds,
        timed_out: Arc<AtomicBool>,
    ) -> rusqlite::Result<UntrustedDb> {
        // immutable=1: no locks, no -wal/-shm files created in the image, no journal replay.
        let uri = format!("{}?mode=ro&immutable=1", file_uri(path));
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = Connection::open_with_flags(uri, flags)?;
        let value = bounds.max_value_bytes;
        for (limit, cap) in [
            (Limit::SQLITE_LIMIT_LENGTH, value),
            (Limit::SQLITE_LIMIT_SQL_LENGTH, value),
            (Limit::SQLITE_LIMIT_SCHEMA, bounds.max_schema_objects),
            (Limit::SQLITE_LIMIT_ATTACHED, 0),
        ] {
            conn.set_limit(limit, cap)?;
        }
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)?;
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA, false)?;
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_TRIGGER, false)?;
        let deadline = Instant::now() + bounds.deadline;
        let flag = timed_out.clone();
        conn.progress_handler(
            PROGRESS_STEPS,
            Some(move || {
                let late = Instant::now() >= deadline;
                if late {
                    flag.store(true, Ordering::Relaxed);
                }
                late
            }),
        )?;
        // These read the schema, so they come after the bounds.
        conn.execute_batch(&format!(
            "PRAGMA trusted_schema = OFF; PRAGMA mmap_size = 0; PRAGMA cache_size = -{};",
            bounds.cache_kib
        ))?;
        Ok(UntrustedDb {
            conn,
            bounds,
            timed_out,
        })
    }

    /// Whether `name` is an ordinary table stored in the file (not a view, not a virtual
    /// table), and `column` a stored column of it (not computed on read).
    pub fn is_plain_table(&self, name: &str, column: &str) -> rusqlite::Result<bool> {
        let stored: bool = self.conn.query_row(
            "SELECT count(*) = 1 FROM sqlite_schema \
             WHERE type = 'table' AND name = ?1 COLLATE NOCASE AND rootpage > 0",
            [name],
            |row| row.get(0),
        )?;
        if !stored {
            return Ok(false);
        }
        // hidden: 0 ordinary, 2/3 generated (computed from an expression in the schema).
        self.conn.query_row(
            "SELECT count(*) = 1 FROM pragma_table_xinfo(?1) \
             WHERE name = ?2 COLLATE NOCASE AND hidden = 0",
            [name, column],
            |row| row.get(0),
        )
    }

    /// A reader's error in words, naming the bound that stopped it.
    pub fn describe(&self, err: &rusqlite::Error) -> String {
        describe(err, self.bounds, self.timed_out.load(Ordering::Relaxed))
    }
}

fn describe(err: &rusqlite::Error, bounds: Bounds, timed_out: bool) -> String {
    use rusqlite::ffi::ErrorCode;
    match err.sqlite_error_code() {
        Some(ErrorCode::OperationInterrupted) if timed_out => format!(
            "reading the database took longer than {:?}, so it was stopped",
            bounds.deadline
        ),
        Some(ErrorCode::TooBig) => format!(
            "the database holds a value or statement larger than {} bytes",
            bounds.max_value_bytes
        ),
        _ => err.to_string(),
    }
}

/// The `file:` URI for `path`: every byte outside RFC 3986's unreserved set and `/` is
/// percent-encoded, so `#`, `?` and `%` in a path stay part of it.
pub fn file_uri(path: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    // Relative paths become absolute, so the URI never starts with an authority (`//host`).
    let path = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
    let mut uri = String::from("file://");
    for &byte in path.as_os_str().as_bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            uri.push(char::from(byte));
        } else {
            uri.push_str(&format!("%{byte:02X}"));
        }
    }
    uri
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_escape_everything_but_unreserved_bytes() {
        assert_eq!(
            file_uri(Path::new("/img#1?x%y/a b/ü")),
            "file:///img%231%3Fx%25y/a%20b/%C3%BC"
        );
    }
}
