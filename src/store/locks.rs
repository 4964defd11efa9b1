//! Per-host scan guard: a row in `host_locks` with an owner and an expiry, so two plumb runs
//! never scan one host at once and a crashed run's lock lapses by itself.
//!
//! A run takes a host's lock when that host's probe starts and keeps it alive with a
//! heartbeat until the host's results are recorded, so the expiry can be short.

use super::Store;
use super::db::{TxMode, args};
use super::error::{BUSY_TIMEOUT_SECS, StoreError};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

/// How long a host lock lives without a heartbeat: a crashed run frees its hosts this soon.
pub const HOST_LOCK_TTL: Duration = Duration::from_secs(60);

/// How often a run extends the locks it holds.
pub const HOST_LOCK_HEARTBEAT: Duration = Duration::from_secs(15);

// An extension may wait the whole busy timeout for the state file; the next one must still
// come before the lock lapses.
const _: () = assert!(HOST_LOCK_HEARTBEAT.as_secs() + BUSY_TIMEOUT_SECS < HOST_LOCK_TTL.as_secs());

impl Store {
    /// Takes the lock on `host` for `owner` for `ttl`. Returns false if another owner holds an
    /// unexpired lock. Re-locking by the same owner extends the expiry.
    pub fn try_lock_host(
        &mut self,
        host: &str,
        owner: &str,
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        let now = self.now_ms();
        let expires_at = expiry(now, ttl);
        let (mut tx, at) = self.begin(TxMode::Write, "locking a host")?;
        tx.execute(
            "DELETE FROM host_locks WHERE host = ?1 AND expires_at <= ?2",
            &args![host, now],
        )
        .map_err(at.fail("expiring host locks"))?;
        let taken = tx
            .execute(
                "INSERT INTO host_locks (host, owner, expires_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT(host) DO UPDATE SET expires_at = excluded.expires_at
                 WHERE host_locks.owner = excluded.owner",
                &args![host, owner, expires_at],
            )
            .map_err(at.fail("locking a host"))?;
        tx.commit().map_err(at.fail("locking a host"))?;
        Ok(taken == 1)
    }

    /// Releases `owner`'s lock on `host`. Returns false if `owner` did not hold it.
    pub fn unlock_host(&mut self, host: &str, owner: &str) -> Result<bool, StoreError> {
        let (mut tx, at) = self.begin(TxMode::Write, "unlocking a host")?;
        let removed = tx
            .execute(
                "DELETE FROM host_locks WHERE host = ?1 AND owner = ?2",
                &args![host, owner],
            )
            .map_err(at.fail("unlocking a host"))?;
        tx.commit().map_err(at.fail("unlocking a host"))?;
        Ok(removed == 1)
    }

    /// Moves the expiry of every lock `owner` holds to `ttl` from now; the number extended.
    /// It never creates a lock, so a lock released meanwhile stays released.
    pub fn extend_host_locks(&mut self, owner: &str, ttl: Duration) -> Result<usize, StoreError> {
        let expires_at = expiry(self.now_ms(), ttl);
        let (mut tx, at) = self.begin(TxMode::Write, "extending host locks")?;
        let extended = tx
            .execute(
                "UPDATE host_locks SET expires_at = ?1 WHERE owner = ?2",
                &args![expires_at, owner],
            )
            .map_err(at.fail("extending host locks"))?;
        tx.commit().map_err(at.fail("extending host locks"))?;
        Ok(usize::try_from(extended).unwrap_or(usize::MAX))
    }
}

fn expiry(now: i64, ttl: Duration) -> i64 {
    now.saturating_add(i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX))
}

/// One run's host locks. They use their own connection to the state file, so probe tasks can
/// lock hosts while the calling thread records results (SQLite serialises the two writers),
/// and a background thread extends every lock the run holds each heartbeat.
pub struct HostLocks {
    shared: Arc<Shared>,
    /// Dropping it stops the heartbeat.
    stop: Option<mpsc::Sender<()>>,
    heartbeat: Option<JoinHandle<()>>,
}

struct Shared {
    store: Mutex<Store>,
    owner: String,
    ttl: Duration,
}

impl Shared {
    fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        // A panic elsewhere while holding the connection leaves it usable.
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// This run's lock on one host; dropping it releases the lock.
pub struct HostLock {
    shared: Arc<Shared>,
    host: String,
}

impl std::fmt::Debug for HostLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostLock")
            .field("host", &self.host)
            .finish()
    }
}

impl HostLocks {
    /// Opens a second connection to `store`'s file and starts the heartbeat.
    pub fn open(store: &Store, owner: String) -> Result<HostLocks, StoreError> {
        HostLocks::with_timing(store, owner, HOST_LOCK_TTL, HOST_LOCK_HEARTBEAT)
    }

    fn with_timing(
        store: &Store,
        owner: String,
        ttl: Duration,
        heartbeat: Duration,
    ) -> Result<HostLocks, StoreError> {
        let shared = Arc::new(Shared {
            store: Mutex::new(store.reconnect()?),
            owner,
            ttl,
        });
        let (stop, stopped) = mpsc::channel::<()>();
        let beat = shared.clone();
        let heartbeat = std::thread::spawn(move || {
            while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(heartbeat) {
                if let Err(err) = beat.store().extend_host_locks(&beat.owner, beat.ttl) {
                    tracing::warn!("could not extend this run's host locks: {err}");
                }
            }
        });
        Ok(HostLocks {
            shared,
            stop: Some(stop),
            heartbeat: Some(heartbeat),
        })
    }

    /// Locks `host` for this run; `None` when another run holds it. Blocking.
    pub fn try_lock(&self, host: &str) -> Result<Option<HostLock>, StoreError> {
        let shared = &self.shared;
        if !shared
            .store()
            .try_lock_host(host, &shared.owner, shared.ttl)?
        {
            return Ok(None);
        }
        Ok(Some(HostLock {
            shared: shared.clone(),
            host: host.to_owned(),
        }))
    }
}

impl Drop for HostLocks {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.heartbeat.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for HostLock {
    fn drop(&mut self) {
        let shared = &self.shared;
        if let Err(err) = shared.store().unlock_host(&self.host, &shared.owner) {
            tracing::warn!(
                "could not release the lock on {} (it lapses within {} s): {err}",
                self.host,
                shared.ttl.as_secs()
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lock_rows(store: &Store) -> Vec<(String, String, i64)> {
        let mut stmt = store
            .sqlite()
            .unwrap()
            .prepare("SELECT host, owner, expires_at FROM host_locks ORDER BY host")
            .unwrap();
        stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    /// The heartbeat pushes the expiry forward while the guard lives; dropping the guard
    /// deletes the row.
    #[test]
    fn a_held_lock_is_extended_until_its_guard_drops() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let locks = HostLocks::with_timing(
            &Store::open(&path).unwrap(),
            "run-a".into(),
            Duration::from_secs(60),
            Duration::from_millis(20),
        )
        .unwrap();
        let mut other = Store::open(&path).unwrap();
        let lock = locks.try_lock("web1").unwrap().expect("web1 is free");
        let first = lock_rows(&other)[0].2;
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while lock_rows(&other)[0].2 <= first {
            assert!(std::time::Instant::now() < deadline, "never extended");
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(
            !other
                .try_lock_host("web1", "run-b", Duration::from_secs(60))
                .unwrap()
        );
        drop(lock);
        assert!(lock_rows(&other).is_empty());
        drop(locks);
        assert!(
            other
                .try_lock_host("web1", "run-b", Duration::from_secs(60))
                .unwrap()
        );
    }
}
