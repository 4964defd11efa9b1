//! Audit events: who refused or changed what, outside the result change log.

use super::db::{TxMode, args};
use super::{Store, StoreError};
use crate::canonical::to_canonical_string;

impl Store {
    /// Appends one audit event (`kind` like `policy_refused`), in its own transaction.
    pub fn record_audit_event(
        &mut self,
        kind: &str,
        host: Option<&str>,
        detail: &serde_json::Value,
    ) -> Result<(), StoreError> {
        let now = self.now_ms();
        let (mut tx, at) = self.begin(TxMode::Write, "starting a transaction")?;
        tx.execute(
            "INSERT INTO audit_events (occurred_at, kind, host, detail) VALUES (?1, ?2, ?3, ?4)",
            &args![now, kind, host, to_canonical_string(detail)],
        )
        .map_err(at.fail("recording an audit event"))?;
        tx.commit().map_err(at.fail("committing an audit event"))
    }

    /// Audit events of one kind, oldest first, as (host, detail JSON text).
    pub fn audit_events(
        &mut self,
        kind: &str,
    ) -> Result<Vec<(Option<String>, String)>, StoreError> {
        let (mut tx, at) = self.begin(TxMode::Read, "starting a read")?;
        tx.query_map(
            "SELECT host, detail FROM audit_events WHERE kind = ?1 ORDER BY id",
            &args![kind],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .map_err(at.fail("reading audit events"))
    }

    /// The highest policy version any recorded scan ran under (policy versions only go up).
    pub fn max_policy_version(&mut self) -> Result<Option<i64>, StoreError> {
        let (mut tx, at) = self.begin(TxMode::Read, "starting a read")?;
        tx.query_row("SELECT MAX(policy_version) FROM scans", &args![], |row| {
            row.get(0)
        })
        .map_err(at.fail("reading policy versions"))
    }
}
