//! The local secret that signs schedule jobs (DESIGN §5): each claimed job carries an
//! HMAC-SHA256 over (host, ruleset hash, policy version, enqueued_at), so a `jobs` row edited
//! behind plumb's back is rejected before it is run.
//!
//! The key is 32 random bytes in a file only its owner may read. The default file sits next
//! to the default state file and is created on first use; a file named explicitly
//! ([`KEY_FILE_ENV`]) must already exist. The key is never printed.

use crate::error::{Error, Result};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use std::fs::{DirBuilder, File};
use std::io::{self, ErrorKind, Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// Environment variable naming the key file instead of the default one.
pub const KEY_FILE_ENV: &str = "PLUMB_SCHEDULE_KEY_FILE";
/// File name of the default key, in the default state directory.
pub const KEY_FILE_NAME: &str = "schedule.key";
/// Length of the key in bytes; the file holds exactly these bytes.
pub const KEY_LEN: usize = 32;

/// Domain tag of the signed encoding, so a signature made here means nothing elsewhere.
const DOMAIN: &[u8] = b"plumb schedule job v1\0";

/// The schedule's signing key.
pub struct JobKey {
    bytes: [u8; KEY_LEN],
}

impl std::fmt::Debug for JobKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JobKey(<redacted>)")
    }
}

/// The key file to use: the override (from [`KEY_FILE_ENV`]) if given, else the default one;
/// `None` when there is no default location (no home or state directory).
pub fn key_path(override_path: Option<&Path>) -> Option<PathBuf> {
    override_path
        .map(Path::to_path_buf)
        .or_else(JobKey::default_path)
}

fn refused(path: &Path, problem: impl Into<String>, source: Option<io::Error>) -> Error {
    Error::ScheduleKey {
        path: path.to_path_buf(),
        problem: problem.into(),
        source,
    }
}

impl JobKey {
    /// `schedule.key` in the default state directory, next to the default state file.
    pub fn default_path() -> Option<PathBuf> {
        crate::store::default_state_dir().map(|dir| dir.join(KEY_FILE_NAME))
    }

    /// The key for a run: an override must name an existing key file; without one the default
    /// file is used and created on first use.
    pub fn resolve(override_path: Option<&Path>) -> Result<JobKey> {
        match override_path {
            Some(path) => JobKey::load(path),
            None => {
                let path = JobKey::default_path().ok_or_else(|| {
                    refused(
                        Path::new(KEY_FILE_NAME),
                        format!("there is no default state directory for it; set {KEY_FILE_ENV}"),
                        None,
                    )
                })?;
                JobKey::load_or_create(&path)
            }
        }
    }

    /// Reads an existing key file. It must be a regular file (not a symbolic link) of exactly
    /// [`KEY_LEN`] bytes that neither group nor others may access.
    pub fn load(path: &Path) -> Result<JobKey> {
        let file = File::options()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY)
            .open(path)
            .map_err(|err| match err.kind() {
                ErrorKind::NotFound => refused(path, "does not exist", None),
                // O_NOFOLLOW reports a symbolic link as ELOOP.
                _ if err.raw_os_error() == Some(libc::ELOOP) => {
                    refused(path, "is a symbolic link; name the key file itself", None)
                }
                _ => refused(path, "cannot be opened", Some(err)),
            })?;
        let meta = file
            .metadata()
            .map_err(|err| refused(path, "cannot be inspected", Some(err)))?;
        if !meta.file_type().is_file() {
            return Err(refused(path, "is not a regular file", None));
        }
        let mode = meta.mode() & 0o7777;
        if mode & 0o077 != 0 {
            return Err(refused(
                path,
                format!(
                    "has mode {mode:04o}, open to group or others; it must be 0600 (chmod 600)"
                ),
                None,
            ));
        }
        let mut bytes = Vec::with_capacity(KEY_LEN);
        file.take(KEY_LEN as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(|err| refused(path, "cannot be read", Some(err)))?;
        let bytes: [u8; KEY_LEN] = bytes.as_slice().try_into().map_err(|_| {
            let size = meta.len();
            refused(
                path,
                format!("is {size} bytes long; a schedule key is exactly {KEY_LEN} bytes"),
                None,
            )
        })?;
        Ok(JobKey { bytes })
    }

    /// Reads the key file, creating it first (0600, its directory 0700) with fresh random
    /// bytes if it does not exist. Concurrent first uses agree on one key: the new file is
    /// written aside and linked into place only if nothing is there yet.
    pub fn load_or_create(path: &Path) -> Result<JobKey> {
        match std::fs::symlink_metadata(path) {
            Ok(_) => return JobKey::load(path),
            Err(err) if err.kind() == ErrorKind::NotFound => {}
            Err(err) => return Err(refused(path, "cannot be inspected", Some(err))),
        }
        let dir = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        DirBuilder::new()
            .recursive(true)
            .mode(crate::store::DIR_MODE)
            .create(dir)
            .map_err(|err| refused(path, "cannot create its directory", Some(err)))?;
        let mut bytes = [0u8; KEY_LEN];
        File::open("/dev/urandom")
            .and_then(|mut random| random.read_exact(&mut bytes))
            .map_err(|err| refused(path, "cannot read random bytes for a new key", Some(err)))?;
        // tempfile creates the file 0600 with O_EXCL; persist_noclobber links it into place
        // without following or replacing anything already at `path`.
        let mut staged = tempfile::Builder::new()
            .prefix(".schedule.key.")
            .tempfile_in(dir)
            .map_err(|err| refused(path, "cannot create a new key file", Some(err)))?;
        staged
            .write_all(&bytes)
            .and_then(|()| staged.as_file().sync_all())
            .map_err(|err| refused(path, "cannot write a new key file", Some(err)))?;
        match staged.persist_noclobber(path) {
            Ok(_) => {}
            // Another plumb created it meanwhile: use theirs.
            Err(err) if err.error.kind() == ErrorKind::AlreadyExists => {}
            Err(err) => {
                return Err(refused(
                    path,
                    "cannot create a new key file",
                    Some(err.error),
                ));
            }
        }
        // Read back through the same checks, so what is used is what is on disk.
        JobKey::load(path)
    }

    fn mac(
        &self,
        host: &str,
        ruleset_hash: &str,
        policy_version: Option<i64>,
        enqueued_at: i64,
    ) -> Hmac<Sha256> {
        // HMAC accepts a key of any length.
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.bytes)
            .expect("HMAC takes keys of any length");
        mac.update(&job_message(
            host,
            ruleset_hash,
            policy_version,
            enqueued_at,
        ));
        mac
    }

    /// Lowercase hex HMAC-SHA256 of a job's signed fields.
    pub fn sign(
        &self,
        host: &str,
        ruleset_hash: &str,
        policy_version: Option<i64>,
        enqueued_at: i64,
    ) -> String {
        let tag = self
            .mac(host, ruleset_hash, policy_version, enqueued_at)
            .finalize()
            .into_bytes();
        crate::policy::pins::hex(&tag)
    }

    /// Whether `hmac_hex` is the signature of these fields (compared in constant time).
    pub fn verify(
        &self,
        host: &str,
        ruleset_hash: &str,
        policy_version: Option<i64>,
        enqueued_at: i64,
        hmac_hex: &str,
    ) -> bool {
        let Some(tag) = unhex(hmac_hex) else {
            return false;
        };
        self.mac(host, ruleset_hash, policy_version, enqueued_at)
            .verify_slice(&tag)
            .is_ok()
    }
}

/// The signed encoding: a domain tag, then each text field length-prefixed (u64 big-endian),
/// the policy version as a presence byte and i64, and enqueued_at as i64, so no two distinct
/// jobs encode alike.
fn job_message(
    host: &str,
    ruleset_hash: &str,
    policy_version: Option<i64>,
    enqueued_at: i64,
) -> Vec<u8> {
    let mut message = DOMAIN.to_vec();
    for field in [host, ruleset_hash] {
        message.extend_from_slice(&(field.len() as u64).to_be_bytes());
        message.extend_from_slice(field.as_bytes());
    }
    match policy_version {
        None => message.push(0),
        Some(version) => {
            message.push(1);
            message.extend_from_slice(&version.to_be_bytes());
        }
    }
    message.extend_from_slice(&enqueued_at.to_be_bytes());
    message
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    text.as_bytes()
        .chunks(2)
        .map(|pair| {
            let digits = std::str::from_utf8(pair).ok()?;
            u8::from_str_radix(digits, 16).ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
    }

    fn problem(err: Error) -> String {
        match &err {
            Error::ScheduleKey { problem, .. } => {
                assert_eq!(err.code(), crate::exit::OPERATIONAL);
                problem.clone()
            }
            other => panic!("not a key error: {other:?}"),
        }
    }

    #[test]
    fn created_0600_in_a_0700_directory_and_read_back_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new").join(KEY_FILE_NAME);
        let key = JobKey::load_or_create(&path).unwrap();
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
        assert_eq!(std::fs::read(&path).unwrap(), key.bytes);
        let again = JobKey::load_or_create(&path).unwrap();
        assert_eq!(again.bytes, key.bytes);
        let other = JobKey::load_or_create(&dir.path().join("other.key")).unwrap();
        assert_ne!(other.bytes, key.bytes, "two keys drawn alike");
        assert_eq!(format!("{key:?}"), "JobKey(<redacted>)");
    }

    #[test]
    fn loose_short_missing_linked_and_odd_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        std::fs::write(&path, [7u8; KEY_LEN]).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        let text = problem(JobKey::load(&path).unwrap_err());
        assert!(text.contains("mode 0640"), "{text}");
        // load_or_create never "repairs" an existing file either.
        assert!(problem(JobKey::load_or_create(&path).unwrap_err()).contains("mode 0640"));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o604)).unwrap();
        assert!(problem(JobKey::load(&path).unwrap_err()).contains("mode 0604"));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(JobKey::load(&path).unwrap().bytes, [7u8; KEY_LEN]);

        std::fs::write(&path, [7u8; KEY_LEN - 1]).unwrap();
        assert!(problem(JobKey::load(&path).unwrap_err()).contains("is 31 bytes"));
        std::fs::write(&path, [7u8; KEY_LEN + 1]).unwrap();
        assert!(problem(JobKey::load(&path).unwrap_err()).contains("is 33 bytes"));

        let missing = dir.path().join("missing.key");
        assert_eq!(
            problem(JobKey::resolve(Some(&missing)).unwrap_err()),
            "does not exist"
        );
        assert!(!missing.exists(), "an override is never created");

        let link = dir.path().join("link.key");
        std::os::unix::fs::symlink(&path, &link).unwrap();
        assert!(problem(JobKey::load(&link).unwrap_err()).contains("symbolic link"));

        let subdir = dir.path().join("d");
        std::fs::create_dir(&subdir).unwrap();
        std::fs::set_permissions(&subdir, std::fs::Permissions::from_mode(0o700)).unwrap();
        assert_eq!(
            problem(JobKey::load(&subdir).unwrap_err()),
            "is not a regular file"
        );
        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert_eq!(
            problem(JobKey::load(&fifo).unwrap_err()),
            "is not a regular file"
        );
    }

    #[test]
    fn the_message_names_the_path_and_never_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        std::fs::write(&path, [0x41u8; KEY_LEN]).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let text = crate::error::Chain(&JobKey::load(&path).unwrap_err()).to_string();
        assert!(
            text.starts_with(&format!("schedule key {}: ", path.display())),
            "{text}"
        );
        assert!(!text.contains("AAAA"), "{text}");
    }

    #[test]
    fn every_signed_field_matters_and_the_encoding_is_unambiguous() {
        let key = JobKey {
            bytes: [9u8; KEY_LEN],
        };
        let tag = key.sign("web1", "sha256:abc", Some(4), 1_000);
        assert_eq!(tag.len(), 64);
        assert!(key.verify("web1", "sha256:abc", Some(4), 1_000, &tag));
        assert!(!key.verify("web2", "sha256:abc", Some(4), 1_000, &tag));
        assert!(!key.verify("web1", "sha256:abd", Some(4), 1_000, &tag));
        assert!(!key.verify("web1", "sha256:abc", Some(5), 1_000, &tag));
        assert!(!key.verify("web1", "sha256:abc", None, 1_000, &tag));
        assert!(!key.verify("web1", "sha256:abc", Some(4), 1_001, &tag));
        assert!(!key.verify("web1", "sha256:abc", Some(4), 1_000, "zz"));
        assert!(!key.verify("web1", "sha256:abc", Some(4), 1_000, &tag[..62]));
        let other = JobKey {
            bytes: [8u8; KEY_LEN],
        };
        assert!(!other.verify("web1", "sha256:abc", Some(4), 1_000, &tag));
        // Moving a boundary between host and ruleset changes the message.
        assert_ne!(
            job_message("ab", "c", None, 0),
            job_message("a", "bc", None, 0)
        );
    }
}
