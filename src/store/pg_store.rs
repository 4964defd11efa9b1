//! What only the PostgreSQL store does itself: connecting, the schema and its migrations,
//! and `state show`'s sizes. The operations both backends share run through [`super::db`].

use super::backend::Access;
use super::clock;
use super::db::{Db, PgConn};
use super::error::StoreError;
use super::location::PostgresUrl;
use super::pg::{self, Credentials};
use super::pg_schema::{self, MIGRATION_LOCK_KEY, VERSION_TABLE_SQL};
use super::queries::{HostLastScan, ShowReport};
use super::{MigrateReport, Origin, Store};
use std::path::PathBuf;

/// `map_err` adapter naming what failed; the server's message never holds the password
/// (no statement carries it).
fn failed<'a>(
    url: &'a PostgresUrl,
    context: &'a str,
) -> impl FnOnce(postgres::Error) -> StoreError + 'a {
    move |err| {
        let cause = match err.as_db_error() {
            Some(db) => db.message().to_string(),
            None => err.to_string(),
        };
        StoreError::Postgres {
            url: Box::new(url.clone()),
            problem: format!("{context}: {cause}"),
        }
    }
}

fn newer_schema(url: &PostgresUrl, found: i64) -> StoreError {
    StoreError::PostgresNewerSchema {
        url: Box::new(url.clone()),
        found,
        known: pg_schema::latest_version(),
    }
}

impl Store {
    /// Connects, refuses a newer schema, and (for [`Access::Create`]) brings an older one up
    /// to date; [`Access::Existing`] needs the schema to be there.
    pub fn open_postgres(
        url: &PostgresUrl,
        creds: &Credentials,
        access: Access,
    ) -> Result<Store, StoreError> {
        let client = pg::connect(url, creds)?;
        let mut store = Store {
            db: Db::Postgres(Box::new(PgConn::new(client))),
            path: PathBuf::from(url.to_string()),
            origin: Origin::Postgres(Box::new(url.clone())),
            clock: clock::system(),
        };
        let version = store.pg_schema_version()?;
        let latest = pg_schema::latest_version();
        if version > latest {
            return Err(newer_schema(url, version));
        }
        match access {
            Access::Existing if version == 0 => Err(StoreError::PostgresNoSchema {
                url: Box::new(url.clone()),
            }),
            Access::Create if version < latest => {
                store.pg_migrate()?;
                Ok(store)
            }
            _ => Ok(store),
        }
    }

    /// The client and URL of a PostgreSQL store; the callers below run only on one.
    fn postgres(&mut self) -> Result<(&mut postgres::Client, &PostgresUrl), StoreError> {
        match (&mut self.db, &self.origin) {
            (Db::Postgres(pg), Origin::Postgres(url)) => Ok((&mut pg.client, url)),
            _ => Err(StoreError::Sqlite {
                path: self.path.clone(),
                context: "a PostgreSQL operation on a state file".into(),
                source: rusqlite::Error::InvalidQuery,
            }),
        }
    }

    /// The version in `plumb_schema`; 0 when the database has no plumb schema.
    pub(crate) fn pg_schema_version(&mut self) -> Result<i64, StoreError> {
        let (client, url) = self.postgres()?;
        let context = "reading the schema version";
        let exists: bool = client
            .query_one("SELECT to_regclass('plumb_schema') IS NOT NULL", &[])
            .map_err(failed(url, context))?
            .get(0);
        if !exists {
            return Ok(0);
        }
        let row = client
            .query_opt("SELECT version FROM plumb_schema", &[])
            .map_err(failed(url, context))?;
        Ok(row.map_or(0, |row| row.get(0)))
    }

    /// Applies every pending migration in one transaction, under an advisory lock so that
    /// processes starting at once migrate one after the other (`plumb state migrate`).
    pub(crate) fn pg_migrate(&mut self) -> Result<MigrateReport, StoreError> {
        let now = self.clock.now_ms();
        let (client, url) = self.postgres()?;
        let mut tx = client
            .transaction()
            .map_err(failed(url, "starting the migration"))?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK_KEY])
            .map_err(failed(url, "waiting for the migration lock"))?;
        tx.batch_execute(VERSION_TABLE_SQL)
            .map_err(failed(url, "creating the schema version table"))?;
        // Read under the lock: a concurrent plumb may have migrated already.
        let from: i64 = tx
            .query_opt("SELECT version FROM plumb_schema", &[])
            .map_err(failed(url, "reading the schema version"))?
            .map_or(0, |row| row.get(0));
        let latest = pg_schema::latest_version();
        if from > latest {
            return Err(newer_schema(url, from));
        }
        let mut applied = Vec::new();
        for migration in pg_schema::pending(from) {
            let context = format!("applying migration {}", migration.version);
            tx.batch_execute(migration.sql)
                .map_err(failed(url, &context))?;
            applied.push(format!("{}: {}", migration.version, migration.name));
        }
        if !applied.is_empty() {
            tx.execute(
                "INSERT INTO plumb_schema (only_row, version) VALUES (TRUE, $1)
                 ON CONFLICT (only_row) DO UPDATE SET version = EXCLUDED.version",
                &[&latest],
            )
            .map_err(failed(url, "recording the schema version"))?;
            let detail = serde_json::json!({"from": from, "to": latest, "applied": applied});
            tx.execute(
                "INSERT INTO audit_events (occurred_at, kind, host, detail)
                 VALUES ($1, 'schema_migrated', NULL, $2)",
                &[&now, &crate::canonical::to_canonical_string(&detail)],
            )
            .map_err(failed(url, "recording the migration"))?;
        }
        tx.commit()
            .map_err(failed(url, "committing the migration"))?;
        Ok(MigrateReport {
            path: url.to_string(),
            from_version: from,
            to_version: if applied.is_empty() { from } else { latest },
            applied,
        })
    }

    /// Schema version, size, row counts and each host's last scan (`plumb state show`).
    pub(crate) fn pg_show(&mut self) -> Result<ShowReport, StoreError> {
        let schema_version = self.pg_schema_version()?;
        let (client, url) = self.postgres()?;
        let context = "reading hosts";
        let last_scans = client
            .query(
                "SELECT name, last_scan_id, last_scan_at, last_scan_status FROM hosts
                 WHERE last_scan_id IS NOT NULL ORDER BY name",
                &[],
            )
            .map_err(failed(url, context))?
            .iter()
            .map(|row| HostLastScan {
                host: row.get(0),
                scan_id: row.get(1),
                finished_at: row.get(2),
                status: row.get(3),
            })
            .collect();
        // The base table for the change log, as on SQLite; the size is the database's.
        let counts = client
            .query_one(
                "SELECT pg_database_size(current_database()),
                        (SELECT count(*) FROM hosts), (SELECT count(*) FROM rules),
                        (SELECT count(*) FROM scans), (SELECT count(*) FROM change_log)",
                &[],
            )
            .map_err(failed(url, "counting rows"))?;
        let count = |i: usize| u64::try_from(counts.get::<_, i64>(i)).unwrap_or(0);
        Ok(ShowReport {
            path: url.to_string(),
            schema_version,
            file_size_bytes: count(0),
            hosts: count(1),
            rules: count(2),
            scans: count(3),
            transactions: count(4),
            last_scans,
        })
    }
}
