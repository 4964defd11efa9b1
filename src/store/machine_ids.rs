//! Each host's machine-id, so one machine recorded under two names is noticed.

use super::db::{TxMode, args};
use super::{Store, StoreError};

impl Store {
    /// Records `machine_id` for `host` (already in the state) and returns the other current
    /// hosts that last reported the same id, by name.
    pub fn record_machine_id(
        &mut self,
        host: &str,
        machine_id: &str,
    ) -> Result<Vec<String>, StoreError> {
        let (mut tx, at) = self.begin(TxMode::Write, "starting a transaction")?;
        tx.execute(
            "UPDATE hosts SET machine_id = ?2 WHERE name = ?1",
            &args![host, machine_id],
        )
        .map_err(at.fail("recording the machine-id"))?;
        let others = tx
            .query_map(
                "SELECT name FROM hosts WHERE machine_id = ?2 AND name <> ?1
                 AND removed_at IS NULL ORDER BY name",
                &args![host, machine_id],
                |row| row.get(0),
            )
            .map_err(at.fail("reading machine-ids"))?;
        tx.commit().map_err(at.fail("recording the machine-id"))?;
        Ok(others)
    }
}
