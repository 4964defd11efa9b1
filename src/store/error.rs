//! Typed store errors. Every message names the state file it is about.

use super::location::{LocationError, PostgresUrl};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "state file {} is damaged or is not a plumb state file ({detail}); it was left untouched. \
         Run `plumb state check --state {}` to see what is wrong",
        .path.display(), .path.display()
    )]
    Corrupt { path: PathBuf, detail: String },

    #[error(
        "state file {} has schema version {found}, newer than this plumb understands (up to {known}); \
         use a newer plumb",
        .path.display()
    )]
    NewerSchema {
        path: PathBuf,
        found: i64,
        known: i64,
    },

    #[error(
        "state file {} has schema version {found}; the migration to {target} is not applied \
         automatically. Back the file up, then run `plumb state migrate --state {}`",
        .path.display(), .path.display()
    )]
    NeedsMigration {
        path: PathBuf,
        found: i64,
        target: i64,
    },

    #[error(
        "state file {} is locked by another plumb process (gave up after {waited_secs} s)",
        .path.display()
    )]
    Locked { path: PathBuf, waited_secs: u64 },

    #[error("no state file at {} (it is created by the first scan)", .path.display())]
    Missing { path: PathBuf },

    #[error("cannot create directory {} for the state file", .path.display())]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("state file {}: cannot read its size", .path.display())]
    Stat {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// Exit 3. The file system is read-only (or SQLite found the file unwritable).
    #[error(
        "state file {} cannot be written; plumb needs the file and its directory writable: \
         remount the file system read-write or point --state at a writable location",
        .path.display()
    )]
    ReadOnly {
        path: PathBuf,
        #[source]
        source: Cause,
    },

    /// Exit 3. This user may not read or write the file, or create files in its directory
    /// (mode, owner, or an immutable attribute).
    #[error(
        "state file {} is not usable by this user; plumb must read and write the file and \
         create files (-wal, -shm) in its directory: fix their owner, mode or attributes, or \
         run plumb as their owner",
        .path.display()
    )]
    PermissionDenied {
        path: PathBuf,
        #[source]
        source: Cause,
    },

    /// Exit 3. Nothing could be written because the file system is full.
    #[error(
        "the file system holding state file {} is full; free space on it (or move the state \
         file) and run again",
        .path.display()
    )]
    DiskFull {
        path: PathBuf,
        #[source]
        source: Cause,
    },

    /// Exit 3. Any other I/O failure on the file or next to it.
    #[error(
        "state file {}: {context} failed with an I/O error; check the device and the kernel log",
        .path.display()
    )]
    Io {
        path: PathBuf,
        context: String,
        #[source]
        source: Cause,
    },

    /// Exit 2. `--state` (or `PLUMB_STATE`, or `state:` in the config) is a URL plumb cannot
    /// use: not PostgreSQL, or malformed.
    #[error(transparent)]
    Location(#[from] LocationError),

    /// Exit 2. A command that exists only for a state file was given a PostgreSQL URL.
    #[error("`{command}` applies to a state file only, not to PostgreSQL state {url}: {instead}")]
    SqliteOnly {
        command: &'static str,
        url: Box<PostgresUrl>,
        instead: &'static str,
    },

    /// Exit 2. `plumb state copy` refused before writing anything: the target is not empty,
    /// or a side's schema is not this plumb's.
    #[error("plumb state copy from {source_location} to {target}: {problem}; nothing was written")]
    CopyRefused {
        source_location: String,
        target: String,
        problem: String,
    },

    /// Exit 2. One of SQLite's own operations (its PRAGMAs, its file) was asked of a
    /// PostgreSQL store; nothing was read or written. Commands check before they get here
    /// (see [`StoreError::SqliteOnly`]); this is the store's own guard.
    #[error("PostgreSQL state at {url}: this is an operation on a SQLite state file only")]
    SqliteInternals { url: Box<PostgresUrl> },

    /// Exit 2. A PostgreSQL URL reached the file store's open: a URL is never used as a path.
    #[error("state location {url} is a PostgreSQL URL, not a file path")]
    UrlAsPath { url: Box<PostgresUrl> },

    /// Exit 3. The PostgreSQL server could not be reached or refused the connection. The
    /// problem text never holds the password.
    #[error("PostgreSQL state at {url}: {problem}")]
    Postgres {
        url: Box<PostgresUrl>,
        problem: String,
    },

    /// Exit 3, as for a state file: the database's schema is newer than this plumb knows.
    #[error(
        "PostgreSQL state at {url} has schema version {found}, newer than this plumb \
         understands (up to {known}); use a newer plumb"
    )]
    PostgresNewerSchema {
        url: Box<PostgresUrl>,
        found: i64,
        known: i64,
    },

    /// Exit 3, as a missing state file: a command that only reads found no plumb schema.
    #[error(
        "PostgreSQL state at {url} has no plumb schema yet (the first scan or `plumb state \
         migrate` creates it)"
    )]
    PostgresNoSchema { url: Box<PostgresUrl> },

    /// Exit 2. An explicitly chosen state file's directory does not exist; plumb creates a
    /// directory only for the default location.
    #[error(
        "{} is not an existing directory, so state file {} cannot be created there; create the \
         directory or correct --state (PLUMB_STATE, or state: in the config)",
        .dir.display(), .path.display()
    )]
    MissingDirectory { path: PathBuf, dir: PathBuf },

    /// Exit 2. A schedule command named a host that is not enrolled in the schedule.
    #[error("host {host:?} is not enrolled in the schedule of state file {}", .path.display())]
    UnknownHost { path: PathBuf, host: String },

    #[error("rejected scan batch {scan_id} for host {host:?} (nothing was written): {}", .problems.join("; "))]
    InvalidBatch {
        scan_id: uuid::Uuid,
        host: String,
        problems: Vec<String>,
    },

    /// Exit 2. `state ack` of a batch that cannot move the consumer's cursor; nothing changed.
    #[error("state file {}: cannot acknowledge batch {batch_id} for consumer {consumer:?}: {reason}; nothing was changed", .path.display())]
    AckRefused {
        path: PathBuf,
        consumer: String,
        batch_id: String,
        reason: String,
    },

    #[error("state file {}: {context}", .path.display())]
    Sqlite {
        path: PathBuf,
        context: String,
        #[source]
        source: rusqlite::Error,
    },
}

/// The underlying error of an I/O-class [`StoreError`]: the OS error when one is known,
/// else SQLite's own.
pub type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

/// SQLite's error as a [`Cause`]: its code and description, once (rusqlite's error would
/// print the description again as its own source).
fn sqlite_cause(err: rusqlite::Error) -> Cause {
    match err {
        rusqlite::Error::SqliteFailure(inner, _) => inner.into(),
        other => other.into(),
    }
}

/// How long a connection waits for another writer before reporting the file as locked.
pub const BUSY_TIMEOUT_SECS: u64 = 30;

/// Names an OS error on the state file (or its directory) for what it is.
pub fn io_error(path: &Path, context: &str, source: std::io::Error) -> StoreError {
    use std::io::ErrorKind;
    let path = path.to_path_buf();
    match source.kind() {
        ErrorKind::PermissionDenied => StoreError::PermissionDenied {
            path,
            source: source.into(),
        },
        ErrorKind::ReadOnlyFilesystem => StoreError::ReadOnly {
            path,
            source: source.into(),
        },
        ErrorKind::StorageFull | ErrorKind::QuotaExceeded => StoreError::DiskFull {
            path,
            source: source.into(),
        },
        _ => StoreError::Io {
            path,
            context: context.to_string(),
            source: source.into(),
        },
    }
}

/// Whether an OS error says something about access or space (an errno SQLite kept from an
/// unrelated earlier call, such as a probe for a missing journal, says nothing).
fn is_telling(err: &std::io::Error) -> bool {
    use std::io::ErrorKind;
    matches!(
        err.kind(),
        ErrorKind::PermissionDenied
            | ErrorKind::ReadOnlyFilesystem
            | ErrorKind::StorageFull
            | ErrorKind::QuotaExceeded
    )
}

/// Classifies a SQLite error: busy → `Locked`, corruption → `Corrupt`, else `Sqlite`.
pub fn classify(path: &Path, context: &str, source: rusqlite::Error) -> StoreError {
    classify_with_os_error(path, context, source, None)
}

/// [`classify`], also told the OS error behind the failure when SQLite kept one. Access and
/// I/O failures become `ReadOnly`, `PermissionDenied`, `DiskFull` or `Io`; only SQLite's own
/// corruption codes are `Corrupt`.
pub fn classify_with_os_error(
    path: &Path,
    context: &str,
    source: rusqlite::Error,
    os_error: Option<std::io::Error>,
) -> StoreError {
    use rusqlite::ErrorCode;
    let os_error = os_error.filter(is_telling);
    match source.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::Locked {
            path: path.to_path_buf(),
            waited_secs: BUSY_TIMEOUT_SECS,
        },
        Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => StoreError::Corrupt {
            path: path.to_path_buf(),
            detail: source.to_string(),
        },
        Some(ErrorCode::DiskFull) => StoreError::DiskFull {
            path: path.to_path_buf(),
            source: os_error.map_or_else(|| sqlite_cause(source), Into::into),
        },
        Some(
            code @ (ErrorCode::ReadOnly
            | ErrorCode::CannotOpen
            | ErrorCode::SystemIoFailure
            | ErrorCode::PermissionDenied),
        ) => {
            // SQLite creates -wal and -shm next to the file even to read it; an unwritable
            // directory is the usual cause, and the OS says why.
            if let Err(err) = directory_writable(path) {
                return io_error(path, context, err);
            }
            if let Some(err) = os_error {
                return io_error(path, context, err);
            }
            let path = path.to_path_buf();
            match code {
                ErrorCode::ReadOnly => StoreError::ReadOnly {
                    path,
                    source: sqlite_cause(source),
                },
                ErrorCode::PermissionDenied => StoreError::PermissionDenied {
                    path,
                    source: sqlite_cause(source),
                },
                _ => StoreError::Io {
                    path,
                    context: context.to_string(),
                    source: sqlite_cause(source),
                },
            }
        }
        _ => StoreError::Sqlite {
            path: path.to_path_buf(),
            context: context.to_string(),
            source,
        },
    }
}

/// The directory a state file lives in (`.` for a bare file name).
pub fn directory_of(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// Whether this process may create files in the state file's directory: `EROFS` on a
/// read-only mount, `EACCES`/`EPERM` for mode, owner or an immutable attribute (root too).
pub fn directory_writable(path: &Path) -> std::io::Result<()> {
    accessible(directory_of(path), libc::W_OK)
}

/// `faccessat(2)` with the effective ids: what opening would say (EACCES, EROFS, ...) without
/// opening. plumb never opens a state file itself once it exists: closing any descriptor of a
/// file drops every POSIX lock this process holds on it, including SQLite's.
pub fn accessible(path: &Path, mode: libc::c_int) -> std::io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let Ok(path) = std::ffi::CString::new(path.as_os_str().as_bytes()) else {
        // A NUL byte: no such file can exist, and opening reports that on its own.
        return Ok(());
    };
    // SAFETY: `path` is a valid NUL-terminated string that outlives the call.
    let rc = unsafe { libc::faccessat(libc::AT_FDCWD, path.as_ptr(), mode, libc::AT_EACCESS) };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// The OS error behind the connection's last failed file operation, if SQLite kept one.
pub fn last_os_error(conn: &rusqlite::Connection) -> Option<std::io::Error> {
    // SAFETY: the handle is valid while `conn` is borrowed; sqlite3_system_errno only reads it.
    let errno = unsafe { rusqlite::ffi::sqlite3_system_errno(conn.handle()) };
    (errno != 0).then(|| std::io::Error::from_raw_os_error(errno))
}

/// `map_err` adapter: `.map_err(sql(&self.path, "reading hosts"))`.
pub fn sql<'a>(
    path: &'a Path,
    context: &'a str,
) -> impl FnOnce(rusqlite::Error) -> StoreError + 'a {
    move |source| classify(path, context, source)
}

/// [`sql`] for a connection at hand, so the OS error behind a failure is named.
pub fn sql_on<'a>(
    conn: &'a rusqlite::Connection,
    path: &'a Path,
    context: &'a str,
) -> impl FnOnce(rusqlite::Error) -> StoreError + 'a {
    move |source| classify_with_os_error(path, context, source, last_os_error(conn))
}
