//! Per-host scan guard: a row in `host_locks` with an owner and an expiry, so two plumb runs
//! never scan one host at once and a crashed run's lock lapses by itself.

use super::error::{StoreError, sql};
use super::{Store, now_ms};
use rusqlite::{TransactionBehavior, params};
use std::time::Duration;

impl Store {
    /// Takes the lock on `host` for `owner` for `ttl`. Returns false if another owner holds an
    /// unexpired lock. Re-locking by the same owner extends the expiry.
    pub fn try_lock_host(
        &mut self,
        host: &str,
        owner: &str,
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        let path = self.path.clone();
        let now = now_ms();
        let expires_at = now.saturating_add(i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX));
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql(&path, "locking a host"))?;
        tx.execute(
            "DELETE FROM host_locks WHERE host = ?1 AND expires_at <= ?2",
            params![host, now],
        )
        .map_err(sql(&path, "expiring host locks"))?;
        let taken = tx
            .execute(
                "INSERT INTO host_locks (host, owner, expires_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT(host) DO UPDATE SET expires_at = excluded.expires_at
                 WHERE owner = excluded.owner",
                params![host, owner, expires_at],
            )
            .map_err(sql(&path, "locking a host"))?;
        tx.commit().map_err(sql(&path, "locking a host"))?;
        Ok(taken == 1)
    }

    /// Releases `owner`'s lock on `host`. Returns false if `owner` did not hold it.
    pub fn unlock_host(&mut self, host: &str, owner: &str) -> Result<bool, StoreError> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql(&path, "unlocking a host"))?;
        let removed = tx
            .execute(
                "DELETE FROM host_locks WHERE host = ?1 AND owner = ?2",
                params![host, owner],
            )
            .map_err(sql(&path, "unlocking a host"))?;
        tx.commit().map_err(sql(&path, "unlocking a host"))?;
        Ok(removed == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_owner_is_refused_until_release_or_expiry() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let mut a = Store::open(&path).unwrap();
        let mut b = Store::open(&path).unwrap();
        assert!(
            a.try_lock_host("web1", "run-a", Duration::from_secs(60))
                .unwrap()
        );
        assert!(
            !b.try_lock_host("web1", "run-b", Duration::from_secs(60))
                .unwrap()
        );
        assert!(
            b.try_lock_host("web2", "run-b", Duration::from_secs(60))
                .unwrap()
        );
        assert!(
            a.try_lock_host("web1", "run-a", Duration::from_secs(60))
                .unwrap()
        );
        assert!(!b.unlock_host("web1", "run-b").unwrap());
        assert!(a.unlock_host("web1", "run-a").unwrap());
        assert!(b.try_lock_host("web1", "run-b", Duration::ZERO).unwrap());
        // A zero ttl lapses at once, so another owner may take it.
        std::thread::sleep(Duration::from_millis(5));
        assert!(
            a.try_lock_host("web1", "run-a", Duration::from_secs(60))
                .unwrap()
        );
    }
}
