//! Audit events: who refused or changed what, outside the result change log.

use super::error::sql;
use super::{Store, StoreError};
use crate::canonical::to_canonical_string;
use rusqlite::{OptionalExtension, TransactionBehavior, params};

impl Store {
    /// Appends one audit event (`kind` like `policy_refused`), in its own IMMEDIATE transaction.
    pub fn record_audit_event(
        &mut self,
        kind: &str,
        host: Option<&str>,
        detail: &serde_json::Value,
    ) -> Result<(), StoreError> {
        let path = self.path().to_owned();
        let now = self.now_ms();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql(&path, "starting a transaction"))?;
        tx.execute(
            "INSERT INTO audit_events (occurred_at, kind, host, detail) VALUES (?1, ?2, ?3, ?4)",
            params![now, kind, host, to_canonical_string(detail)],
        )
        .map_err(sql(&path, "recording an audit event"))?;
        tx.commit().map_err(sql(&path, "committing an audit event"))
    }

    /// Audit events of one kind, oldest first, as (host, detail JSON text).
    pub fn audit_events(&self, kind: &str) -> Result<Vec<(Option<String>, String)>, StoreError> {
        let path = self.path().to_owned();
        let mut stmt = self
            .conn
            .prepare("SELECT host, detail FROM audit_events WHERE kind = ?1 ORDER BY id")
            .map_err(sql(&path, "reading audit events"))?;
        let rows = stmt
            .query_map([kind], |row| Ok((row.get(0)?, row.get(1)?)))
            .map_err(sql(&path, "reading audit events"))?;
        rows.collect::<Result<_, _>>()
            .map_err(sql(&path, "reading audit events"))
    }

    /// The highest policy version any recorded scan ran under (policy versions only go up).
    pub fn max_policy_version(&self) -> Result<Option<i64>, StoreError> {
        let path = self.path().to_owned();
        self.conn
            .query_row("SELECT MAX(policy_version) FROM scans", [], |row| {
                row.get(0)
            })
            .optional()
            .map(Option::flatten)
            .map_err(sql(&path, "reading policy versions"))
    }
}
