//! The SQLite state file (DESIGN §4): schema, migrations, write-on-change `apply_scan`, the
//! tamper-evident change log, and the queries behind `plumb state`.
//!
//! Opening never replaces, resets or rewrites a damaged file: it is probed read-only first
//! and reported as [`StoreError::Corrupt`]. A file that cannot be reached (read-only file
//! system, permissions, full disk) is reported as that, never as damaged.
//!
//! The file holds evidence, so a new one (and SQLite's -wal and -shm, which take its mode) is
//! 0600, and the default location's directory is created 0700. An explicit path's directory
//! must exist: a typo is reported instead of silently creating a tree.

mod apply;
mod audit;
mod backend;
mod chain;
pub mod clock;
mod copy;
pub(crate) mod db;
pub mod drift;
mod error;
mod export;
mod location;
mod locks;
mod machine_ids;
mod model;
pub mod pg;
mod pg_schema;
mod pg_store;
mod plan;
mod queries;
mod schedule;
pub mod schema;
mod stream;
pub mod trends;

pub use crate::tier::Tier;
pub use apply::{ApplyOutcome, Change};
pub use backend::Access;
pub use chain::{BadRow, ChainReport, CheckReport, FkViolation, GENESIS_HASH, check_file};
pub use copy::{CopyReport, TableCopied, copy as copy_state};
pub use db::Dialect;
pub use error::{BUSY_TIMEOUT_SECS, StoreError};
pub use export::{
    AckOutcome, BatchCounts, BatchHeader, ConsumerStatus, EXPORT_SCHEMA_VERSION, ExportBatch,
    ExportRequest, FullReason, HostRef as ExportHostRef, Record as ExportRecord,
    ResultRecord as ExportResult, export_id,
};
pub use location::{DEFAULT_PORT, LocationError, Password, PostgresUrl, SslMode, StateLocation};
pub use locks::{HOST_LOCK_HEARTBEAT, HOST_LOCK_TTL, HostLock, HostLocks};
pub use model::{
    ChangeKind, Counts, FailingCounts, HostRecord, ResultRecord, ScanBatch, ScanStatus, Scope,
    Severity, Status, Trigger,
};
pub use plan::{result_hash, scan_result_hash};
pub use queries::{
    HistoryEntry, HostLastScan, HostSummary, LastChanges, PruneReport, ScanSummary, ShowReport,
    VacuumReport,
};
pub use schedule::{
    ClaimReport, ClaimRequest, EnrolReport, HostScheduleStatus, Job, JobRejected, JobResult,
    JobStatus, RejectReason, Rescheduled, ScheduleSettings, ScheduleSnapshot, no_maintenance,
    policy_maintenance,
};

pub use clock::{Clock, ManualClock, SystemClock};
use db::{Db, DbError, TxMode};
use error::{accessible, directory_of, directory_writable, io_error, sql, sql_on};
use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use serde::Serialize;
use std::fs::{DirBuilder, OpenOptions};
use std::io::ErrorKind;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// `dirs::state_dir()` (else `dirs::data_local_dir()`) + `plumb`: where the default state
/// file and the schedule key live.
pub fn default_state_dir() -> Option<PathBuf> {
    dirs::state_dir()
        .or_else(dirs::data_local_dir)
        .map(|dir| dir.join("plumb"))
}

/// [`default_state_dir`] + `state.db`.
pub fn default_state_path() -> Option<PathBuf> {
    default_state_dir().map(|dir| dir.join("state.db"))
}

/// Mode of a state file plumb creates (SQLite gives its -wal and -shm files the same).
const FILE_MODE: u32 = 0o600;
/// Mode of the default location's directories when plumb creates them.
pub(crate) const DIR_MODE: u32 = 0o700;

/// Refuses a path that reads as a URL (a `postgres://` URL would otherwise become a relative
/// directory named `postgres:`), with the same parser as `--state`.
pub fn check_state_path(path: &Path) -> Result<(), StoreError> {
    match StateLocation::parse(path.as_os_str())? {
        StateLocation::Path(_) => Ok(()),
        StateLocation::Postgres(url) => Err(StoreError::UrlAsPath { url: Box::new(url) }),
    }
}

fn is_default_path(path: &Path) -> bool {
    default_state_path().is_some_and(|default| default == path)
}

/// Checks that the state file's directory exists (an explicit path's directory is never
/// created).
fn require_directory(path: &Path) -> Result<(), StoreError> {
    let dir = directory_of(path);
    let missing = || StoreError::MissingDirectory {
        path: path.to_path_buf(),
        dir: dir.to_path_buf(),
    };
    match std::fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => Err(missing()),
        Err(err) if matches!(err.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => {
            Err(missing())
        }
        Err(source) => Err(io_error(path, "reading its directory", source)),
    }
}

/// Creates the default location's directory (0700), or checks that an explicit one exists.
fn prepare_directory(path: &Path) -> Result<(), StoreError> {
    check_state_path(path)?;
    if is_default_path(path) {
        let dir = directory_of(path);
        DirBuilder::new()
            .recursive(true)
            .mode(DIR_MODE)
            .create(dir)
            .map_err(|source| StoreError::CreateDir {
                path: dir.to_path_buf(),
                source,
            })?;
    }
    require_directory(path)
}

/// For commands that only read: the file must already exist, and nothing is created.
pub(crate) fn require_existing(path: &Path) -> Result<(), StoreError> {
    check_state_path(path)?;
    let missing = || StoreError::Missing {
        path: path.to_path_buf(),
    };
    // The default location's directory appears with the first scan, like the file.
    if !is_default_path(path) {
        require_directory(path)?;
    }
    match std::fs::metadata(path) {
        Ok(_) => Ok(()),
        Err(err) if matches!(err.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => {
            Err(missing())
        }
        Err(source) => Err(io_error(path, "reading its metadata", source)),
    }
}

/// Creates the file 0600 before SQLite sees it (SQLite would create it with the umask's mode),
/// or checks that an existing one can be read and written, so a read-only file system or a
/// permission problem is reported by the OS as what it is. Returns the size of an existing
/// file, 0 for a new one.
fn create_or_open(path: &Path) -> Result<u64, StoreError> {
    // A new file has no SQLite connection yet, so closing this descriptor drops no lock.
    let created = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .mode(FILE_MODE)
        .open(path);
    match created {
        Ok(_) => return Ok(0),
        // Existing, or created a moment ago by a concurrent plumb: leave its mode alone.
        Err(err) if err.kind() == ErrorKind::AlreadyExists => {}
        Err(source) => return Err(io_error(path, "creating", source)),
    }
    // Never open an existing file here: another connection of this process may hold locks
    // on it that closing our descriptor would drop (see `error::accessible`).
    accessible(path, libc::R_OK | libc::W_OK)
        .map_err(|source| io_error(path, "opening", source))?;
    // SQLite creates -wal and -shm next to the file, even to read it.
    directory_writable(path)
        .map_err(|source| io_error(path, "creating files in its directory", source))?;
    std::fs::metadata(path)
        .map(|meta| meta.len())
        .map_err(|source| StoreError::Stat {
            path: path.to_path_buf(),
            source,
        })
}

/// Milliseconds since the Unix epoch by the system clock, for callers without a store.
pub fn now_ms() -> i64 {
    clock::SystemClock.now_ms()
}

/// What `migrate` did.
#[derive(Debug, Clone, Serialize)]
pub struct MigrateReport {
    /// The file, or the database's URL with its password as `***`.
    pub path: String,
    pub from_version: i64,
    pub to_version: i64,
    pub applied: Vec<String>,
}

/// An open store: the SQLite state file, or a PostgreSQL database. Every operation runs the
/// same statements on both through [`db::Tx`]; SQLite's own (PRAGMAs, `VACUUM`) take
/// [`Store::sqlite`], which refuses a database.
pub struct Store {
    db: Db,
    /// Where the store is, for messages: the file, or the URL with its password as `***`.
    path: PathBuf,
    origin: Origin,
    /// Where every time the store stamps by itself comes from.
    clock: Arc<dyn Clock>,
}

fn not_on_postgres(origin: &Origin) -> StoreError {
    match origin {
        Origin::Postgres(url) => StoreError::SqliteInternals { url: url.clone() },
        // Unreachable by construction: a file store always has its connection.
        Origin::File(path) => StoreError::Sqlite {
            path: path.clone(),
            context: "opening".into(),
            source: rusqlite::Error::InvalidQuery,
        },
    }
}

/// Where a store lives, to name it in errors.
#[derive(Debug, Clone)]
pub(crate) enum Origin {
    File(PathBuf),
    Postgres(Box<PostgresUrl>),
}

impl Origin {
    /// `map_err` adapter: a driver error as the store's, naming what failed and where.
    pub(crate) fn fail<'a>(&'a self, context: &'a str) -> impl FnOnce(DbError) -> StoreError + 'a {
        move |err| match (self, err) {
            (Origin::File(path), DbError::Sqlite(source)) => error::classify(path, context, source),
            (Origin::File(path), DbError::NoRow) => {
                error::classify(path, context, rusqlite::Error::QueryReturnedNoRows)
            }
            (Origin::File(path), other) => StoreError::Sqlite {
                path: path.clone(),
                context: format!("{context}: {other}"),
                source: rusqlite::Error::InvalidQuery,
            },
            // The server's message never holds the password: no statement carries it.
            (Origin::Postgres(url), other) => StoreError::Postgres {
                url: url.clone(),
                problem: format!("{context}: {other}"),
            },
        }
    }
}

impl Store {
    /// Opens (creating if absent) the state file and brings its schema up to date where that
    /// is safe automatically. A newer schema, damage, or an unsafe pending migration is an error.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        Store::open_with_clock(path, clock::system())
    }

    /// [`Store::open`] with an injected clock (tests move time with a [`ManualClock`]).
    pub fn open_with_clock(path: &Path, clock: Arc<dyn Clock>) -> Result<Store, StoreError> {
        let mut store = Store::open_unmigrated(path)?.with_clock(clock);
        let version = store.schema_version()?;
        if version < schema::latest_version() {
            store.apply_migrations(false)?;
        }
        Ok(store)
    }

    /// Opens an existing state file; a missing one is [`StoreError::Missing`] (used by the
    /// read-only `plumb state` commands so they never create files).
    pub fn open_existing(path: &Path) -> Result<Store, StoreError> {
        require_existing(path)?;
        Store::open(path)
    }

    /// Opens and probes the file but leaves the schema as it is (for `plumb state migrate`).
    /// A schema newer than this binary is still refused.
    pub fn open_unmigrated(path: &Path) -> Result<Store, StoreError> {
        prepare_directory(path)?;
        let existing_size = create_or_open(path)?;
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(sql(path, "opening"))?;
        conn.busy_timeout(Duration::from_secs(BUSY_TIMEOUT_SECS))
            .map_err(sql_on(&conn, path, "setting busy_timeout"))?;
        let store = Store {
            db: Db::Sqlite(conn),
            path: path.to_path_buf(),
            origin: Origin::File(path.to_path_buf()),
            clock: clock::system(),
        };
        // Probe before anything that could write (switching to WAL rewrites the header).
        if existing_size > 0 {
            store.probe()?;
        }
        // Refuse a newer schema before configure(), which may rewrite the header. Version and
        // tables are read in one statement (one snapshot): a concurrent first open may be
        // creating the schema between two separate reads.
        let (version, has_tables) = store.version_and_tables()?;
        if version > schema::latest_version() {
            return Err(StoreError::NewerSchema {
                path: store.path.clone(),
                found: version,
                known: schema::latest_version(),
            });
        }
        if version == 0 && has_tables {
            return Err(StoreError::Corrupt {
                path: store.path.clone(),
                detail: "it is an SQLite database with tables but no plumb schema version"
                    .to_string(),
            });
        }
        store.configure()?;
        Ok(store)
    }

    /// Reads the header and schema, so a file that is not SQLite, is cut short (SQLite
    /// compares the header's page count with the file's size) or has a damaged schema is
    /// reported now. This is all opening checks, whatever the file's size: a full
    /// `quick_check` reads every page and belongs to `plumb state check`. Damage elsewhere
    /// surfaces as SQLite's corruption error when a command touches it, and the write that
    /// hit it is rolled back.
    fn probe(&self) -> Result<(), StoreError> {
        // Only SQLite's corruption codes mean damage; a file that cannot be read or written
        // (read-only, permissions, full disk) is reported as that.
        self.sqlite()?
            .query_row("SELECT count(*) FROM sqlite_master", [], |row| {
                row.get::<_, i64>(0)
            })
            .map_err(sql_on(self.sqlite()?, &self.path, "reading the schema"))?;
        Ok(())
    }

    /// Whether the file already holds tables (a version-0 file must be empty to be ours).
    fn version_and_tables(&self) -> Result<(i64, bool), StoreError> {
        self.sqlite()?
            .query_row(
                "SELECT (SELECT user_version FROM pragma_user_version), \
                        (SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%')",
                [],
                |row| Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)? > 0)),
            )
            .map_err(sql_on(self.sqlite()?, &self.path, "reading the schema"))
    }

    /// A second connection to this already opened, checked and migrated file (for a run's
    /// host locks), without repeating the damage probe.
    pub fn reconnect(&self) -> Result<Store, StoreError> {
        if let Origin::Postgres(url) = &self.origin {
            let store =
                Store::open_postgres(url, &pg::Credentials::from_env(), Access::Unmigrated)?;
            return Ok(store.with_clock(Arc::clone(&self.clock)));
        }
        let path = &self.path;
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(sql(path, "opening"))?;
        conn.busy_timeout(Duration::from_secs(BUSY_TIMEOUT_SECS))
            .map_err(sql_on(&conn, path, "setting busy_timeout"))?;
        let store = Store {
            db: Db::Sqlite(conn),
            path: path.clone(),
            origin: self.origin.clone(),
            clock: Arc::clone(&self.clock),
        };
        store.configure()?;
        Ok(store)
    }

    fn configure(&self) -> Result<(), StoreError> {
        // Switching to WAL needs the file to itself and SQLite reports a conflicting opener as
        // busy at once, without the busy handler, so wait out concurrent first opens here.
        let deadline = std::time::Instant::now() + Duration::from_secs(BUSY_TIMEOUT_SECS);
        let mode: String = loop {
            match self
                .sqlite()?
                .query_row("PRAGMA journal_mode=WAL", [], |row| row.get(0))
            {
                Err(rusqlite::Error::SqliteFailure(err, _))
                    if matches!(
                        err.code,
                        rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                    ) && std::time::Instant::now() < deadline =>
                {
                    std::thread::sleep(Duration::from_millis(20));
                }
                other => {
                    break other.map_err(sql_on(
                        self.sqlite()?,
                        &self.path,
                        "switching to WAL mode",
                    ))?;
                }
            }
        };
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Sqlite {
                path: self.path.clone(),
                context: format!("journal_mode is {mode}, expected wal"),
                source: rusqlite::Error::InvalidQuery,
            });
        }
        self.sqlite()?
            .execute_batch("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;")
            .map_err(sql_on(self.sqlite()?, &self.path, "setting pragmas"))
    }

    /// The SQLite connection, for SQLite's own operations (PRAGMAs, `VACUUM`, the file's
    /// size); on a PostgreSQL store they are refused (exit 2) before anything is read or
    /// written.
    pub(crate) fn sqlite(&self) -> Result<&Connection, StoreError> {
        match &self.db {
            Db::Sqlite(conn) => Ok(conn),
            Db::Postgres(_) => Err(not_on_postgres(&self.origin)),
        }
    }

    /// [`Store::sqlite`], mutably (for transactions).
    pub(crate) fn sqlite_mut(&mut self) -> Result<&mut Connection, StoreError> {
        match &mut self.db {
            Db::Sqlite(conn) => Ok(conn),
            Db::Postgres(_) => Err(not_on_postgres(&self.origin)),
        }
    }

    /// Starts a transaction on either backend, with the store's origin to name errors.
    pub(crate) fn begin(
        &mut self,
        mode: TxMode,
        context: &str,
    ) -> Result<(db::Tx<'_>, Origin), StoreError> {
        let origin = self.origin.clone();
        let tx = self.db.begin(mode).map_err(origin.fail(context))?;
        Ok((tx, origin))
    }

    /// Replaces the store's clock.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Store {
        self.clock = clock;
        self
    }

    /// Now, by the store's clock (unix milliseconds).
    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// The file this store is backed by.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `PRAGMA user_version`.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        self.sqlite()?
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .map_err(sql(&self.path, "reading the schema version"))
    }

    fn apply_migrations(&mut self, include_unsafe: bool) -> Result<MigrateReport, StoreError> {
        let path = self.path.clone();
        let now = self.clock.now_ms();
        let tx = self
            .sqlite_mut()?
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql(&path, "starting the migration"))?;
        // Re-read inside the write lock: a concurrent plumb may have migrated already.
        let from: i64 = tx
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .map_err(sql(&path, "reading the schema version"))?;
        let latest = schema::latest_version();
        if from > latest {
            return Err(StoreError::NewerSchema {
                path,
                found: from,
                known: latest,
            });
        }
        let pending: Vec<_> = schema::pending(from).collect();
        // A new file has no rows to rewrite, so every migration is safe on it.
        if from > 0 && !include_unsafe && pending.iter().any(|(_, m)| !m.auto_safe) {
            return Err(StoreError::NeedsMigration {
                path,
                found: from,
                target: latest,
            });
        }
        let mut applied = Vec::new();
        for (version, migration) in &pending {
            tx.execute_batch(migration.sql)
                .map_err(sql(&path, &format!("applying migration {version}")))?;
            tx.pragma_update(None, "user_version", version)
                .map_err(sql(&path, "recording the schema version"))?;
            applied.push(format!("{version}: {}", migration.name));
        }
        if !applied.is_empty() {
            let detail = serde_json::json!({"from": from, "to": latest, "applied": applied});
            tx.execute(
                "INSERT INTO audit_events (occurred_at, kind, host, detail) VALUES (?1, 'schema_migrated', NULL, ?2)",
                rusqlite::params![now, crate::canonical::to_canonical_string(&detail)],
            )
            .map_err(sql(&path, "recording the migration"))?;
        }
        tx.commit()
            .map_err(sql(&path, "committing the migration"))?;
        Ok(MigrateReport {
            path: path.display().to_string(),
            from_version: from,
            to_version: if applied.is_empty() { from } else { latest },
            applied,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_refused_and_paths_that_merely_contain_a_colon_are_not() {
        for url in [
            "postgres://plumb@localhost/plumb",
            "POSTGRESQL://u:p@db/plumb",
        ] {
            assert!(
                matches!(
                    check_state_path(Path::new(url)),
                    Err(StoreError::UrlAsPath { .. })
                ),
                "{url}"
            );
        }
        for url in ["sqlite:///var/lib/plumb.db", "file:///tmp/x.db"] {
            assert!(
                matches!(
                    check_state_path(Path::new(url)),
                    Err(StoreError::Location(LocationError::UnknownScheme { .. }))
                ),
                "{url}"
            );
        }
        let err = check_state_path(Path::new("POSTGRESQL://u:p@db/plumb")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "state location postgresql://u:***@db/plumb is a PostgreSQL URL, not a file path"
        );
        for path in ["state.db", "./postgres://h/db", "/srv/a://b/x.db", "a:b.db"] {
            assert!(check_state_path(Path::new(path)).is_ok(), "{path}");
        }
    }
}
