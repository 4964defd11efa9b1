//! The store's backend, chosen in one place from a [`StateLocation`]: the SQLite file or a
//! PostgreSQL database. Both are one [`Store`]: its operations run the same statements on
//! either engine (see [`super::db`]).

use super::db::Dialect;
use super::error::StoreError;
use super::location::StateLocation;
use super::pg::Credentials;
use super::queries::ShowReport;
use super::{MigrateReport, Store};

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

impl Store {
    /// Opens the state at `location`: a path is the SQLite file, a URL the PostgreSQL
    /// database (credentials from the URL, `PGPASSWORD` or `~/.pgpass`).
    pub fn open_at(location: &StateLocation, access: Access) -> Result<Store, StoreError> {
        match location {
            StateLocation::Path(path) => match access {
                Access::Create => Store::open(path),
                Access::Existing => Store::open_existing(path),
                Access::Unmigrated => Store::open_unmigrated(path),
            },
            StateLocation::Postgres(url) => {
                Store::open_postgres(url, &Credentials::from_env(), access)
            }
        }
    }

    /// Applies every pending migration, safe or not (`plumb state migrate`).
    pub fn migrate(&mut self) -> Result<MigrateReport, StoreError> {
        match self.db.dialect() {
            Dialect::Sqlite => self.apply_migrations(true),
            Dialect::Postgres => self.pg_migrate(),
        }
    }

    /// Schema version, size, row counts and each host's last scan (`plumb state show`).
    pub fn show(&mut self) -> Result<ShowReport, StoreError> {
        match self.db.dialect() {
            Dialect::Sqlite => self.sqlite_show(),
            Dialect::Postgres => self.pg_show(),
        }
    }

    /// Where this store lives, as printed (a URL's password as `***`).
    pub fn location(&self) -> String {
        self.path.display().to_string()
    }

    /// Which engine holds this store.
    pub fn dialect(&self) -> Dialect {
        self.db.dialect()
    }
}
