//! Each host's machine-id, so one machine recorded under two names is noticed.

use super::Store;
use super::error::{StoreError, sql};
use rusqlite::params;

impl Store {
    /// Records `machine_id` for `host` (already in the state file) and returns the other
    /// current hosts that last reported the same id, by name.
    pub fn record_machine_id(
        &self,
        host: &str,
        machine_id: &str,
    ) -> Result<Vec<String>, StoreError> {
        self.conn
            .prepare_cached("UPDATE hosts SET machine_id = ?2 WHERE name = ?1")
            .and_then(|mut update| update.execute(params![host, machine_id]))
            .map_err(sql(&self.path, "recording the machine-id"))?;
        let mut others = self
            .conn
            .prepare_cached(
                "SELECT name FROM hosts WHERE machine_id = ?2 AND name <> ?1
                 AND removed_at IS NULL ORDER BY name",
            )
            .map_err(sql(&self.path, "reading machine-ids"))?;
        others
            .query_map(params![host, machine_id], |row| row.get(0))
            .and_then(Iterator::collect)
            .map_err(sql(&self.path, "reading machine-ids"))
    }
}
