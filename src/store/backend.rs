//! The store's backend, chosen in one place from a [`StateLocation`]: the SQLite file
//! ([`Store`]) or a PostgreSQL database ([`PgStore`]).
//!
//! An enum rather than a trait: PostgreSQL runs only a few operations yet, and every other
//! command keeps its concrete [`Store`] through [`file_only`], which refuses a URL by the
//! command's name. A trait would need every store operation (and rusqlite's types in their
//! signatures) before the first command could use it; the enum grows an arm per operation
//! as PostgreSQL gains it, and `match` makes each one handle both backends.

use super::error::StoreError;
use super::location::StateLocation;
use super::pg::Credentials;
use super::pg_store::PgStore;
use super::queries::ShowReport;
use super::{MigrateReport, Store};
use std::path::PathBuf;

/// An open store of either backend.
pub enum Backend {
    Sqlite(Store),
    /// Boxed: a client is several times the size of a SQLite connection.
    Postgres(Box<PgStore>),
}

/// How a command opens its state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Create it if absent and apply the migrations that are safe automatically (commands
    /// that write).
    Create,
    /// It must exist already; nothing is created (commands that only read).
    Existing,
    /// Open without migrating (`plumb state migrate`); a newer schema is still refused.
    Unmigrated,
}

impl Backend {
    /// Opens the state at `location`: a path is the SQLite file, a URL the PostgreSQL
    /// database (credentials from the URL, `PGPASSWORD` or `~/.pgpass`).
    pub fn open(location: &StateLocation, access: Access) -> Result<Backend, StoreError> {
        match location {
            StateLocation::Path(path) => Ok(Backend::Sqlite(match access {
                Access::Create => Store::open(path)?,
                Access::Existing => Store::open_existing(path)?,
                Access::Unmigrated => Store::open_unmigrated(path)?,
            })),
            StateLocation::Postgres(url) => Ok(Backend::Postgres(Box::new(PgStore::open(
                url,
                &Credentials::from_env(),
                access,
            )?))),
        }
    }

    /// Applies every pending migration, safe or not (`plumb state migrate`).
    pub fn migrate(&mut self) -> Result<MigrateReport, StoreError> {
        match self {
            Backend::Sqlite(store) => store.migrate(),
            Backend::Postgres(store) => store.migrate(),
        }
    }

    /// Schema version, size, row counts and each host's last scan (`plumb state show`).
    pub fn show(&mut self) -> Result<ShowReport, StoreError> {
        match self {
            Backend::Sqlite(store) => store.show(),
            Backend::Postgres(store) => store.show(),
        }
    }

    /// Where this store lives, as printed (a URL's password as `***`).
    pub fn location(&self) -> String {
        match self {
            Backend::Sqlite(store) => store.path().display().to_string(),
            Backend::Postgres(store) => store.url().to_string(),
        }
    }
}

/// The state file of a command that has no PostgreSQL backend yet. A URL is refused here,
/// naming the command (exit 2), before anything connects or is created.
pub fn file_only(location: StateLocation, command: &'static str) -> Result<PathBuf, StoreError> {
    match location {
        StateLocation::Path(path) => Ok(path),
        StateLocation::Postgres(url) => Err(StoreError::PostgresUnsupported {
            command,
            url: Box::new(url),
        }),
    }
}
