//! The PostgreSQL backend of the store (issue 16): connecting, the schema and its
//! migrations, and `state show`. The other operations are not here yet; their commands
//! refuse a URL (see [`super::backend::file_only`]).

use super::MigrateReport;
use super::backend::Access;
use super::clock::{self, Clock};
use super::error::StoreError;
use super::location::PostgresUrl;
use super::pg::{self, Credentials};
use super::pg_schema::{self, MIGRATION_LOCK_KEY, VERSION_TABLE_SQL};
use super::queries::{HostLastScan, ShowReport};
use std::sync::Arc;

/// An open PostgreSQL state.
pub struct PgStore {
    client: postgres::Client,
    url: PostgresUrl,
    /// Where every time the store stamps by itself comes from.
    clock: Arc<dyn Clock>,
}

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

impl PgStore {
    /// Connects, refuses a newer schema, and (for [`Access::Create`]) brings an older one up
    /// to date; [`Access::Existing`] needs the schema to be there.
    pub fn open(
        url: &PostgresUrl,
        creds: &Credentials,
        access: Access,
    ) -> Result<PgStore, StoreError> {
        let client = pg::connect(url, creds)?;
        let mut store = PgStore {
            client,
            url: url.clone(),
            clock: clock::system(),
        };
        let version = store.schema_version()?;
        let latest = pg_schema::latest_version();
        if version > latest {
            return Err(store.newer(version));
        }
        match access {
            Access::Existing if version == 0 => Err(StoreError::PostgresNoSchema {
                url: Box::new(url.clone()),
            }),
            Access::Create if version < latest => {
                store.migrate()?;
                Ok(store)
            }
            _ => Ok(store),
        }
    }

    /// The database's URL (printed with its password as `***`).
    pub fn url(&self) -> &PostgresUrl {
        &self.url
    }

    /// The connection, for this backend's operations.
    pub fn client(&mut self) -> &mut postgres::Client {
        &mut self.client
    }

    fn newer(&self, found: i64) -> StoreError {
        newer_schema(&self.url, found)
    }

    /// The version in `plumb_schema`; 0 when the database has no plumb schema.
    pub fn schema_version(&mut self) -> Result<i64, StoreError> {
        let url = &self.url;
        let context = "reading the schema version";
        let exists: bool = self
            .client
            .query_one("SELECT to_regclass('plumb_schema') IS NOT NULL", &[])
            .map_err(failed(url, context))?
            .get(0);
        if !exists {
            return Ok(0);
        }
        let row = self
            .client
            .query_opt("SELECT version FROM plumb_schema", &[])
            .map_err(failed(url, context))?;
        Ok(row.map_or(0, |row| row.get(0)))
    }

    /// Applies every pending migration in one transaction, under an advisory lock so that
    /// processes starting at once migrate one after the other (`plumb state migrate`).
    pub fn migrate(&mut self) -> Result<MigrateReport, StoreError> {
        let url = &self.url;
        let now = self.clock.now_ms();
        let mut tx = self
            .client
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
            path: self.url.to_string(),
            from_version: from,
            to_version: if applied.is_empty() { from } else { latest },
            applied,
        })
    }

    /// Schema version, size, row counts and each host's last scan (`plumb state show`).
    pub fn show(&mut self) -> Result<ShowReport, StoreError> {
        let schema_version = self.schema_version()?;
        let url = &self.url;
        let context = "reading hosts";
        let last_scans = self
            .client
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
        let counts = self
            .client
            .query_one(
                "SELECT pg_database_size(current_database()),
                        (SELECT count(*) FROM hosts), (SELECT count(*) FROM rules),
                        (SELECT count(*) FROM scans), (SELECT count(*) FROM change_log)",
                &[],
            )
            .map_err(failed(url, "counting rows"))?;
        let count = |i: usize| u64::try_from(counts.get::<_, i64>(i)).unwrap_or(0);
        Ok(ShowReport {
            path: self.url.to_string(),
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
