//! The PostgreSQL backend of the store (issue 16). So far it connects; the schema and the
//! store's operations come next.

use super::backend::Access;
use super::error::StoreError;
use super::location::PostgresUrl;
use super::pg::{self, Credentials};

/// An open PostgreSQL state.
pub struct PgStore {
    client: postgres::Client,
    url: PostgresUrl,
}

impl PgStore {
    /// Connects to the database at `url`.
    pub fn open(
        url: &PostgresUrl,
        creds: &Credentials,
        _access: Access,
    ) -> Result<PgStore, StoreError> {
        let client = pg::connect(url, creds)?;
        Ok(PgStore {
            client,
            url: url.clone(),
        })
    }

    /// The database's URL (printed with its password as `***`).
    pub fn url(&self) -> &PostgresUrl {
        &self.url
    }

    /// The connection, for this backend's operations.
    pub fn client(&mut self) -> &mut postgres::Client {
        &mut self.client
    }
}
