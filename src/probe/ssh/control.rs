//! The directory holding this process's ssh control sockets and logs, and its cleanup: on
//! normal exit, on Ctrl-C (`shutdown`), and after a crash (`cleanup_stale_control_dirs`).

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use tempfile::TempDir;

use super::error::SshError;
use super::target::ssh_path;

const PREFIX: &str = "plumb-ssh-";

/// Where control directories go: `$XDG_RUNTIME_DIR` (private, per-user, tmpfs) when set, else
/// `/tmp`. Unix socket paths are limited to ~108 bytes, so no long per-user temp dirs.
pub fn default_control_base() -> PathBuf {
    match std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from) {
        Some(dir) if dir.is_absolute() && dir.is_dir() => dir,
        _ => PathBuf::from("/tmp"),
    }
}

/// `plumb-ssh-<pid>-<random>`, private to this process. Dropping it (or `shutdown`) stops
/// every master still registered and removes the directory.
#[derive(Debug)]
pub struct ControlDir {
    path: PathBuf,
    dir: Mutex<Option<TempDir>>,
    next_id: AtomicU64,
    /// Control sockets of masters that may be running, by slot id.
    live: Mutex<BTreeMap<u64, PathBuf>>,
    closed: AtomicBool,
}

/// The file names one master uses inside the control directory.
#[derive(Debug)]
pub(crate) struct Slot {
    pub id: u64,
    pub socket: PathBuf,
    pub log: PathBuf,
    pub stderr: PathBuf,
}

impl ControlDir {
    pub fn create_in(base: &Path) -> Result<ControlDir, SshError> {
        let dir = tempfile::Builder::new()
            .prefix(&format!("{PREFIX}{}-", std::process::id()))
            .tempdir_in(base)
            .map_err(|cause| SshError::Local {
                context: format!("creating an ssh control directory in {}", base.display()),
                cause,
            })?;
        Ok(ControlDir {
            path: dir.path().to_path_buf(),
            dir: Mutex::new(Some(dir)),
            next_id: AtomicU64::new(1),
            live: Mutex::new(BTreeMap::new()),
            closed: AtomicBool::new(false),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn is_shut_down(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// Reserves names for one master and registers its socket so `shutdown` will stop it.
    pub(crate) fn slot(&self) -> Slot {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        // Short names: the socket path must stay under the unix socket limit.
        let slot = Slot {
            id,
            socket: self.path.join(format!("{id}.sock")),
            log: self.path.join(format!("{id}.log")),
            stderr: self.path.join(format!("{id}.err")),
        };
        self.live_sockets().insert(id, slot.socket.clone());
        slot
    }

    /// Forgets a slot whose master has been stopped, and its files.
    pub(crate) fn release(&self, slot: &Slot) {
        self.live_sockets().remove(&slot.id);
        for file in [&slot.log, &slot.stderr, &slot.socket] {
            let _ = fs::remove_file(file);
        }
    }

    fn live_sockets(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, PathBuf>> {
        // A panic while holding the lock leaves a plain map behind; still usable.
        self.live.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Stops every master still running and removes the directory. Blocking (a few ms per
    /// live master); safe to call from a Ctrl-C handler and more than once.
    pub fn shutdown(&self) {
        self.closed.store(true, Ordering::SeqCst);
        let sockets: Vec<PathBuf> = std::mem::take(&mut *self.live_sockets())
            .into_values()
            .collect();
        for socket in &sockets {
            stop_master_blocking(socket);
        }
        let dir = self
            .dir
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(dir) = dir {
            if let Err(err) = dir.close() {
                tracing::warn!(
                    "removing ssh control directory {}: {err}",
                    self.path.display()
                );
            }
        }
    }
}

impl Drop for ControlDir {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Asks the master behind `socket` to exit (`ssh -O exit`). Best effort: a master that is
/// already gone answers "connection refused" at once.
pub(crate) fn stop_master_blocking(socket: &Path) {
    if !socket.exists() {
        return;
    }
    let status = Command::new("ssh")
        .args(["-F", "/dev/null", "-S"])
        .arg(ssh_path(socket))
        .args(["-O", "exit", "plumb-master"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if let Err(err) = status {
        tracing::warn!("stopping ssh master {}: {err}", socket.display());
    }
}

/// [`cleanup_stale_control_dirs_in`] the default base.
pub fn cleanup_stale_control_dirs() -> io::Result<Vec<PathBuf>> {
    cleanup_stale_control_dirs_in(&default_control_base())
}

/// Removes control directories left by plumb processes that no longer run (a crash, a
/// SIGKILL), stopping any master still listening in them. Only directories owned by the
/// current user are touched. Returns the directories removed.
pub fn cleanup_stale_control_dirs_in(base: &Path) -> io::Result<Vec<PathBuf>> {
    let mut removed = Vec::new();
    let me = crate::bounded_read::effective_uid();
    for entry in fs::read_dir(base)? {
        let Ok(entry) = entry else { continue };
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(owner_pid) else {
            continue;
        };
        let path = entry.path();
        // symlink_metadata: never follow a link planted in a shared /tmp.
        let Ok(meta) = fs::symlink_metadata(&path) else {
            continue;
        };
        if !meta.is_dir() || meta.uid() != me || process_alive(pid) {
            continue;
        }
        if let Ok(files) = fs::read_dir(&path) {
            for file in files.flatten() {
                let file = file.path();
                if file.extension().is_some_and(|ext| ext == "sock") {
                    stop_master_blocking(&file);
                }
            }
        }
        match fs::remove_dir_all(&path) {
            Ok(()) => removed.push(path),
            // Another plumb cleaned it first.
            Err(err) if err.kind() == io::ErrorKind::NotFound => {}
            Err(err) => tracing::warn!("removing stale {}: {err}", path.display()),
        }
    }
    Ok(removed)
}

/// The pid in `plumb-ssh-<pid>-<random>`.
fn owner_pid(name: &str) -> Option<i32> {
    let rest = name.strip_prefix(PREFIX)?;
    let (pid, _) = rest.split_once('-')?;
    pid.parse().ok().filter(|pid| *pid > 0)
}

fn process_alive(pid: i32) -> bool {
    // SAFETY: kill with signal 0 only checks for existence and permission.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_pid_reads_only_plumb_names() {
        assert_eq!(owner_pid("plumb-ssh-123-abc"), Some(123));
        assert_eq!(owner_pid("plumb-ssh-x-abc"), None);
        assert_eq!(owner_pid("plumb-ssh-0-abc"), None);
        assert_eq!(owner_pid("other-123-abc"), None);
    }

    #[test]
    fn stale_dirs_of_dead_pids_are_removed_live_ones_kept() -> io::Result<()> {
        let base = tempfile::tempdir()?;
        // A pid that cannot be running: above the kernel's pid_max ceiling (2^22).
        let stale = base.path().join("plumb-ssh-4194999-dead");
        fs::create_dir(&stale)?;
        fs::write(stale.join("1.log"), "x")?;
        let mine = ControlDir::create_in(base.path()).map_err(io::Error::other)?;
        let unrelated = base.path().join("plumb-other");
        fs::create_dir(&unrelated)?;

        let removed = cleanup_stale_control_dirs_in(base.path())?;
        assert_eq!(removed, vec![stale.clone()]);
        assert!(!stale.exists());
        assert!(mine.path().exists());
        assert!(unrelated.exists());

        let path = mine.path().to_path_buf();
        drop(mine);
        assert!(!path.exists(), "dropping the control dir removes it");
        Ok(())
    }
}
