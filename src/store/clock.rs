//! The store's notion of "now", injected so tests can move time instead of sleeping. Every
//! time the store stamps by itself (audit events, prune cutoffs and checkpoints, host lock
//! expiry, migrations) comes from its clock; times a caller passes in stay the caller's.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

/// A source of wall-clock time in unix milliseconds.
pub trait Clock: Send + Sync + fmt::Debug {
    fn now_ms(&self) -> i64;
}

/// The system's clock, the default.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| {
                i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX)
            })
    }
}

/// A clock that stands still until moved; clones share one time, so two stores (or a store
/// and its host-lock connection) see the same moves.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    pub fn new(at_ms: i64) -> Self {
        ManualClock(Arc::new(AtomicI64::new(at_ms)))
    }

    pub fn set(&self, at_ms: i64) {
        self.0.store(at_ms, Ordering::SeqCst);
    }

    pub fn advance(&self, by: Duration) {
        let by = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.0
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |at| {
                Some(at.saturating_add(by))
            })
            .ok();
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// The clock a store gets unless one is injected.
pub fn system() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{ResultRecord, ScanBatch, Severity, Status, Store};

    const DAY: Duration = Duration::from_secs(86_400);
    const SCANNED: i64 = 1_700_000_000_000;

    fn scan(store: &mut Store, at: i64, status: Status) {
        let result = ResultRecord {
            rule_id: "r1".into(),
            title: "r1".into(),
            severity: Severity::High,
            status,
            reason: None,
            evidence: serde_json::json!({}),
            waiver: None,
        };
        store
            .apply_scan(&ScanBatch::for_test("web1", at, vec![result]))
            .unwrap();
    }

    fn stamped(store: &Store, sql: &str) -> i64 {
        store
            .sqlite()
            .unwrap()
            .query_row(sql, [], |row| row.get(0))
            .unwrap()
    }

    /// `prune --older-than` measures age by the store's clock, and the checkpoint and audit
    /// event it writes carry that clock's time: moving the clock ages the log, no sleeping.
    #[test]
    fn prune_ages_the_log_by_the_injected_clock() {
        let dir = tempfile::tempdir().unwrap();
        let clock = ManualClock::new(SCANNED + 86_400_000);
        let mut store =
            Store::open_with_clock(&dir.path().join("state.db"), Arc::new(clock.clone())).unwrap();
        let opened = stamped(
            &store,
            "SELECT occurred_at FROM audit_events WHERE kind = 'schema_migrated'",
        );
        assert_eq!(
            opened,
            SCANNED + 86_400_000,
            "the migration is stamped by the clock"
        );
        scan(&mut store, SCANNED, Status::Pass);
        scan(&mut store, SCANNED + 3_600_000, Status::Fail);

        // A day after the scans nothing is a week old.
        let report = store.prune(7 * 86_400_000).unwrap();
        assert_eq!((report.scans_deleted, report.transactions_deleted), (0, 0));

        clock.advance(7 * DAY);
        let now = clock.now_ms();
        let report = store.prune(7 * 86_400_000).unwrap();
        assert_eq!(report.cutoff, now - 7 * 86_400_000);
        // The first scan goes; the host's latest stays. Both change-log rows are older.
        assert_eq!((report.scans_deleted, report.transactions_deleted), (1, 2));
        let checkpoint = stamped(&store, "SELECT max(created_at) FROM chain_checkpoints");
        assert_eq!(checkpoint, now);
        let audited = stamped(
            &store,
            "SELECT max(occurred_at) FROM audit_events WHERE kind = 'state_pruned'",
        );
        assert_eq!(audited, now);
        assert!(
            store.check().unwrap().sound,
            "the chain verifies from the checkpoint"
        );
    }

    #[test]
    fn clones_of_a_manual_clock_move_together() {
        let clock = ManualClock::new(5);
        let shared: Arc<dyn Clock> = Arc::new(clock.clone());
        clock.advance(Duration::from_millis(10));
        assert_eq!(shared.now_ms(), 15);
        clock.set(-3);
        assert_eq!(shared.now_ms(), -3);
        assert!(SystemClock.now_ms() > SCANNED);
    }
}
