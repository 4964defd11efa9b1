//! The store on PostgreSQL (issue 16), against a real throwaway cluster: the backend is
//! chosen from the state location in one place.

mod support;

use plumb::store::{Access, Backend, StateLocation};
use support::postgres::{PASSWORD, PgServer};

fn location(text: &str) -> StateLocation {
    StateLocation::parse(text.as_ref()).unwrap()
}

/// A path opens the SQLite file and a URL connects to PostgreSQL; each says where it is,
/// the URL without its password.
#[test]
fn the_location_chooses_the_backend() {
    let Some(server) = PgServer::start("the_location_chooses_the_backend") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("state.db");
    let sqlite = Backend::open(&StateLocation::Path(file.clone()), Access::Create).unwrap();
    assert!(matches!(sqlite, Backend::Sqlite(_)));
    assert_eq!(sqlite.location(), file.display().to_string());
    assert!(file.exists());

    let url = server.url(Some(PASSWORD), "sslmode=disable");
    let postgres = Backend::open(&location(&url), Access::Create).unwrap();
    let Backend::Postgres(mut store) = postgres else {
        panic!("{url} did not open PostgreSQL");
    };
    let shown = url.replace(PASSWORD, "***");
    assert_eq!(store.url().to_string(), shown);
    let user: String = store
        .client()
        .query_one("SELECT current_user::text", &[])
        .unwrap()
        .get(0);
    assert_eq!(user, support::postgres::USER);
}
