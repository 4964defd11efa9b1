//! Reading a local input file (policy, signature, trust file, revocation list, rules,
//! inventory, config) without trusting what the path names: only a regular file is read, never
//! more than a cap, and opening never blocks (a FIFO without a writer, a tty).

use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

/// Cap on the small text files of the trust chain: a signature, an allowed_signers or `.pub`
/// file, a revocation list. An OpenSSH signature is under 1 KiB; a MiB holds thousands of keys.
pub const MAX_TRUST_FILE_BYTES: u64 = 1024 * 1024;

/// The bytes of `path` if it is a regular file (a symlink to one is followed) of at most `cap`
/// bytes. Refusals are `io::Error`s that say why without quoting the file.
pub fn read_regular(path: &Path, cap: u64) -> io::Result<Vec<u8>> {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer. fstat on the
    // opened descriptor then decides, so the file checked is the file read.
    let file = File::options()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)?;
    let meta = file.metadata()?;
    let kind = meta.file_type();
    if !kind.is_file() {
        let (error_kind, what) = if kind.is_dir() {
            (io::ErrorKind::IsADirectory, "a directory")
        } else if kind.is_fifo() {
            (io::ErrorKind::InvalidInput, "a FIFO")
        } else if kind.is_char_device() || kind.is_block_device() {
            (io::ErrorKind::InvalidInput, "a device")
        } else if kind.is_socket() {
            (io::ErrorKind::InvalidInput, "a socket")
        } else {
            (io::ErrorKind::InvalidInput, "not a regular file")
        };
        return Err(io::Error::new(
            error_kind,
            format!("not a regular file ({what}); refusing to read it"),
        ));
    }
    if meta.len() > cap {
        return Err(too_large(cap));
    }
    // The length can change after fstat (a growing file): read one byte past the cap to tell.
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(cap + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        return Err(too_large(cap));
    }
    Ok(bytes)
}

/// [`read_regular`] as UTF-8 text.
pub fn read_regular_text(path: &Path, cap: u64) -> io::Result<String> {
    String::from_utf8(read_regular(path, cap)?)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "not UTF-8 text"))
}

/// The effective user id, which owns what this process creates.
pub fn effective_uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

fn too_large(cap: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::FileTooLarge,
        format!("larger than the {cap}-byte limit for this file"),
    )
}

/// A refusal by [`read_regular`] (not a regular file, or over its cap): the input is wrong, as
/// opposed to a file the machine failed to read.
pub fn is_refusal(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::InvalidInput | io::ErrorKind::IsADirectory | io::ErrorKind::FileTooLarge
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_regular_file_within_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"12345").unwrap();
        assert_eq!(read_regular(&path, 5).unwrap(), b"12345");
        let err = read_regular(&path, 4).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::FileTooLarge);
        assert!(is_refusal(&err));
    }

    #[test]
    fn refuses_devices_fifos_and_directories_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let name = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid C string.
        assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
        for path in [fifo.as_path(), Path::new("/dev/zero"), dir.path()] {
            let err = read_regular(path, 1024).unwrap_err();
            assert!(err.to_string().contains("not a regular file"), "{err}");
            assert!(is_refusal(&err), "{err}");
        }
    }
}
