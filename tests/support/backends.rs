//! The store contract's two backends: each contract test body runs once on a SQLite state
//! file and once on a PostgreSQL database of a throwaway cluster (see [`super::postgres`]).
//!
//! `contract_tests!(a, b)` in a test file defines `sqlite::a`, `postgres::a`, ... calling the
//! file's `fn a(backend: &Backend)`, so one body is the behaviour on both.

use super::postgres::{PASSWORD, PgServer};
use plumb::store::{Access, Clock, StateLocation, Store};
use std::sync::Arc;

/// Which engine a [`Backend`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
}

/// One test's state location, and what keeps it alive.
pub struct Backend {
    pub kind: Kind,
    /// What `--state` takes: the file's path or the database's URL (with its password).
    pub state: String,
    pub location: StateLocation,
    /// A scratch directory for the test's other files (and the SQLite file).
    pub dir: tempfile::TempDir,
    server: Option<PgServer>,
}

impl Backend {
    pub fn sqlite(_test: &str) -> Backend {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        Backend {
            kind: Kind::Sqlite,
            state: path.display().to_string(),
            location: StateLocation::Path(path),
            dir,
            server: None,
        }
    }

    /// A fresh cluster for `test`; a cluster that cannot start fails the test.
    pub fn postgres(test: &str) -> Backend {
        let server = PgServer::start(test);
        let state = server.url(Some(PASSWORD), "sslmode=disable");
        Backend {
            kind: Kind::Postgres,
            location: StateLocation::parse(state.as_ref()).unwrap(),
            state,
            dir: tempfile::tempdir().unwrap(),
            server: Some(server),
        }
    }

    /// The cluster behind a PostgreSQL backend.
    pub fn server(&self) -> Option<&PgServer> {
        self.server.as_ref()
    }

    /// Opens (creating) the store, as a writing command does.
    pub fn open(&self) -> Store {
        Store::open_at(&self.location, Access::Create)
            .unwrap_or_else(|err| panic!("opening {}: {err}", self.state))
    }

    /// [`Backend::open`] with an injected clock.
    pub fn open_with_clock(&self, clock: Arc<dyn Clock>) -> Store {
        self.open().with_clock(clock)
    }

    /// Runs SQL statements straight on the backend, outside plumb (to tamper or inspect).
    pub fn execute(&self, sql: &str) {
        match self.kind {
            Kind::Sqlite => rusqlite::Connection::open(&self.state)
                .unwrap()
                .execute_batch(sql)
                .unwrap_or_else(|err| panic!("{sql}: {err}")),
            Kind::Postgres => self
                .pg_client()
                .batch_execute(sql)
                .unwrap_or_else(|err| panic!("{sql}: {err}")),
        }
    }

    /// A query's rows outside plumb, each value as text (`None` for NULL).
    pub fn rows(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        match self.kind {
            Kind::Sqlite => {
                let conn = rusqlite::Connection::open(&self.state).unwrap();
                let mut stmt = conn.prepare(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
                let columns = stmt.column_count();
                stmt.query_map([], |row| {
                    (0..columns)
                        .map(|i| {
                            use rusqlite::types::ValueRef;
                            Ok(match row.get_ref(i)? {
                                ValueRef::Null => None,
                                ValueRef::Integer(v) => Some(v.to_string()),
                                ValueRef::Real(v) => Some(v.to_string()),
                                ValueRef::Text(v) => Some(String::from_utf8_lossy(v).into_owned()),
                                ValueRef::Blob(v) => Some(hex(v)),
                            })
                        })
                        .collect()
                })
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap()
            }
            Kind::Postgres => self
                .pg_client()
                .simple_query(sql)
                .unwrap_or_else(|err| panic!("{sql}: {err}"))
                .into_iter()
                .filter_map(|message| match message {
                    postgres::SimpleQueryMessage::Row(row) => Some(
                        (0..row.len())
                            .map(|i| row.get(i).map(str::to_string))
                            .collect(),
                    ),
                    _ => None,
                })
                .collect(),
        }
    }

    /// The first column of the first row, as an integer.
    pub fn count(&self, sql: &str) -> i64 {
        self.rows(sql)[0][0]
            .as_deref()
            .unwrap_or("0")
            .parse()
            .unwrap()
    }

    /// Every logical row of the state, in a stable order: equal digests mean nothing was
    /// written between them.
    pub fn digest(&self) -> String {
        let mut text = String::new();
        for (table, order) in [
            ("hosts", "name"),
            ("rules", "id"),
            ("scans", "scan_id"),
            ("host_rule_state", "host, rule_id"),
            ("transactions", "id"),
            ("rule_sources", "id"),
            ("host_rule_sources", "host, source_id, rule_id"),
        ] {
            let rows = self.rows(&format!("SELECT * FROM {table} ORDER BY {order}"));
            text.push_str(&format!("{table}: {rows:?}\n"));
        }
        text
    }

    fn pg_client(&self) -> postgres::Client {
        postgres::Client::connect(&self.state, postgres::NoTls)
            .unwrap_or_else(|err| panic!("connecting to {}: {err}", self.state))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `contract_tests!(name, ...)`: `sqlite::name` and `postgres::name`, each calling the test
/// file's `fn name(backend: &support::backends::Backend)`.
#[macro_export]
macro_rules! contract_tests {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $name() {
                    super::$name(&$crate::support::backends::Backend::sqlite(stringify!($name)));
                }
            )+
        }
        mod postgres {
            $(
                #[test]
                fn $name() {
                    super::$name(&$crate::support::backends::Backend::postgres(stringify!($name)));
                }
            )+
        }
    };
}
