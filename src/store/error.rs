//! Typed store errors. Every message names the state file it is about.

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

    #[error("rejected scan batch {scan_id} for host {host:?} (nothing was written): {}", .problems.join("; "))]
    InvalidBatch {
        scan_id: uuid::Uuid,
        host: String,
        problems: Vec<String>,
    },

    #[error("state file {}: {context}", .path.display())]
    Sqlite {
        path: PathBuf,
        context: String,
        #[source]
        source: rusqlite::Error,
    },
}

/// How long a connection waits for another writer before reporting the file as locked.
pub const BUSY_TIMEOUT_SECS: u64 = 30;

/// Classifies a SQLite error: busy → `Locked`, corruption → `Corrupt`, else `Sqlite`.
pub fn classify(path: &Path, context: &str, source: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode;
    let code = source.sqlite_error_code();
    match code {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::Locked {
            path: path.to_path_buf(),
            waited_secs: BUSY_TIMEOUT_SECS,
        },
        Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => StoreError::Corrupt {
            path: path.to_path_buf(),
            detail: source.to_string(),
        },
        _ => StoreError::Sqlite {
            path: path.to_path_buf(),
            context: context.to_string(),
            source,
        },
    }
}

/// `map_err` adapter: `.map_err(sql(&self.path, "reading hosts"))`.
pub fn sql<'a>(
    path: &'a Path,
    context: &'a str,
) -> impl FnOnce(rusqlite::Error) -> StoreError + 'a {
    move |source| classify(path, context, source)
}
