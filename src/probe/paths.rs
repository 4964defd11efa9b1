//! Mapping target paths under `--root`, opening files there without leaving it, and expanding
//! globs the way `sh` does.
//!
//! Under a root, a path resolves as it would inside that tree (absolute symlinks and `..` stay
//! in it). A path that needs more than [`MAX_LINK_HOPS`] symlinks (a loop, or a chain built to
//! end outside the root) is an error, never a host path. Reads go through [`open_regular`],
//! which re-walks the resolved path one component at a time with `O_NOFOLLOW`, so a symlink
//! swapped in after resolution fails the open instead of leading out of the root. Metadata
//! (`stat`, listings) uses the resolved path directly: a tree changed during the scan could
//! make those follow a new link, which reveals at most a name or a mode, never content.

use globset::{GlobBuilder, GlobMatcher};
use std::ffi::{CString, OsStr, OsString};
use std::fs::{self, File, Metadata};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::defaults::MAX_LINK_HOPS;

/// A target path under `--root` that needs more than [`MAX_LINK_HOPS`] symlinks to resolve.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", super::facts::TOO_MANY_LINKS)]
pub struct TooManyLinks;

/// The host path for a target path, following symlinks in the last component: `/etc/x` under
/// root `/srv/img` is `/srv/img/etc/x`. Under a root, symlinks (absolute ones included) resolve
/// inside the root, as they would for the scanned system itself.
pub fn host_path(root: &Path, target: &str) -> Result<PathBuf, TooManyLinks> {
    resolve(root, target, true).map(|resolved| resolved.path(root))
}

/// Like [`host_path`], but a symlink in the last component is not followed (for `lstat`).
pub fn host_path_nofollow(root: &Path, target: &str) -> Result<PathBuf, TooManyLinks> {
    resolve(root, target, false).map(|resolved| resolved.path(root))
}

/// A resolved target path.
enum Resolved {
    /// The live system (root `/`): the kernel resolves the path as given.
    Live(PathBuf),
    /// Components below the root; none was a symlink when resolved (the last one excepted when
    /// it was not to be followed).
    UnderRoot(Vec<OsString>),
}

impl Resolved {
    fn path(self, root: &Path) -> PathBuf {
        match self {
            Self::Live(path) => path,
            Self::UnderRoot(parts) => {
                let mut path = root.to_path_buf();
                path.extend(parts);
                path
            }
        }
    }
}

fn resolve(root: &Path, target: &str, follow_last: bool) -> Result<Resolved, TooManyLinks> {
    if root == Path::new("/") {
        return Ok(Resolved::Live(PathBuf::from(target)));
    }
    let mut pending: Vec<OsString> = components(OsStr::new(target)).rev().collect();
    let mut resolved: Vec<OsString> = Vec::new();
    let mut hops = 0;
    while let Some(component) = pending.pop() {
        match component.as_bytes() {
            b"." => continue,
            b".." => {
                resolved.pop();
                continue;
            }
            _ => {}
        }
        let is_last = pending.is_empty();
        let mut candidate = root.to_path_buf();
        candidate.extend(&resolved);
        candidate.push(&component);
        let link = (follow_last || !is_last)
            .then(|| fs::read_link(&candidate).ok())
            .flatten();
        let Some(link) = link else {
            resolved.push(component);
            continue;
        };
        // Past the limit the kernel would follow whatever is left from the host's `/`.
        if hops == MAX_LINK_HOPS {
            return Err(TooManyLinks);
        }
        hops += 1;
        if link.as_os_str().as_bytes().starts_with(b"/") {
            resolved.clear();
        }
        pending.extend(components(link.as_os_str()).rev().collect::<Vec<_>>());
    }
    Ok(Resolved::UnderRoot(resolved))
}

fn components(path: &OsStr) -> impl DoubleEndedIterator<Item = OsString> + '_ {
    path.as_bytes()
        .split(|b| *b == b'/')
        .filter(|c| !c.is_empty())
        .map(|c| OsString::from_vec(c.to_vec()))
}

/// Why [`open_regular`] gave no file.
#[derive(Debug)]
pub enum OpenError {
    /// Nothing there (as `sh`'s `[ -e ]` says: no entry, or a parent that is not a directory).
    Missing,
    TooManyLinks,
    /// There, but not a regular file (directory, FIFO, device, socket).
    NotRegular,
    Io(io::Error),
}

impl From<TooManyLinks> for OpenError {
    fn from(_: TooManyLinks) -> Self {
        Self::TooManyLinks
    }
}

/// Opens a target path's regular file for reading. The type is checked before the open and
/// again on the opened descriptor, so a FIFO never blocks the scan and a device node is never
/// opened. Under a root, every component is opened with `O_NOFOLLOW` from the root down.
pub fn open_regular(root: &Path, target: &str) -> Result<(File, Metadata), OpenError> {
    let (file, before) = match resolve(root, target, true)? {
        Resolved::Live(path) => {
            let before = fs::metadata(&path).map_err(|err| live_error(err, true))?;
            if !before.is_file() {
                return Err(OpenError::NotRegular);
            }
            let file = open_at(libc::AT_FDCWD, path.as_os_str(), READ_FLAGS)
                .map_err(|err| live_error(err, false))?;
            (file, (before.dev(), before.ino()))
        }
        Resolved::UnderRoot(parts) => {
            let Some((last, parents)) = parts.split_last() else {
                return Err(OpenError::NotRegular); // the root itself: a directory
            };
            let mut dir =
                open_at(libc::AT_FDCWD, root.as_os_str(), DIR_FLAGS).map_err(OpenError::Io)?;
            for part in parents {
                dir = open_at(dir.as_raw_fd(), part, DIR_FLAGS | libc::O_NOFOLLOW)
                    .map_err(|err| vetted_error(err, true))?;
            }
            let before = lstat_at(&dir, last).map_err(|err| vetted_error(err, true))?;
            if !before.is_file {
                return Err(OpenError::NotRegular);
            }
            let file = open_at(dir.as_raw_fd(), last, READ_FLAGS | libc::O_NOFOLLOW)
                .map_err(|err| vetted_error(err, false))?;
            (file, (before.dev, before.ino))
        }
    };
    let file = File::from(file);
    let meta = file.metadata().map_err(OpenError::Io)?;
    // Something else was put there between the check and the open.
    if !meta.is_file() || (meta.dev(), meta.ino()) != before {
        return Err(OpenError::NotRegular);
    }
    clear_nonblocking(&file).map_err(OpenError::Io)?;
    Ok((file, meta))
}

const READ_FLAGS: libc::c_int =
    libc::O_RDONLY | libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC;
const DIR_FLAGS: libc::c_int = libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC;

/// On the live system: a name that does not resolve is missing, as `[ -e ]` says.
fn live_error(err: io::Error, before_open: bool) -> OpenError {
    match err.raw_os_error() {
        Some(libc::ENOENT | libc::ENOTDIR | libc::ELOOP) if before_open => OpenError::Missing,
        _ => OpenError::Io(err),
    }
}

/// Under a root, on a path the resolver vetted: a symlink met here (`ELOOP` under
/// `O_NOFOLLOW`) was swapped in after resolution, so it is an error, not an absence.
fn vetted_error(err: io::Error, before_open: bool) -> OpenError {
    match err.raw_os_error() {
        Some(libc::ENOENT | libc::ENOTDIR) if before_open => OpenError::Missing,
        _ => OpenError::Io(err),
    }
}

fn c_name(name: &OsStr) -> io::Result<CString> {
    CString::new(name.as_bytes()).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))
}

fn open_at(dir: libc::c_int, name: &OsStr, flags: libc::c_int) -> io::Result<OwnedFd> {
    let name = c_name(name)?;
    // SAFETY: `name` is a valid C string; the returned descriptor is owned by nobody else.
    let fd = unsafe { libc::openat(dir, name.as_ptr(), flags) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` was just opened and is not shared.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// The file type and identity of `name` in `dir` (`fstatat` without following a symlink): a
/// look that opens nothing, so no FIFO blocks and no device or watch sees an open.
struct Entry {
    is_file: bool,
    dev: u64,
    ino: u64,
}

fn lstat_at(dir: &OwnedFd, name: &OsStr) -> io::Result<Entry> {
    let name = c_name(name)?;
    // SAFETY: an all-zero `stat` is a valid value to be overwritten.
    let mut stat: libc::stat = unsafe { std::mem::zeroed() };
    let flags = libc::AT_SYMLINK_NOFOLLOW;
    // SAFETY: valid descriptor, C string and out pointer.
    if unsafe { libc::fstatat(dir.as_raw_fd(), name.as_ptr(), &mut stat, flags) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(Entry {
        is_file: stat.st_mode & libc::S_IFMT == libc::S_IFREG,
        dev: stat.st_dev,
        ino: stat.st_ino,
    })
}

fn clear_nonblocking(file: &File) -> io::Result<()> {
    let fd = file.as_raw_fd();
    // SAFETY: fcntl on a descriptor `file` owns.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags < 0 || unsafe { libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

pub fn has_glob_chars(text: &str) -> bool {
    text.contains(['*', '?', '['])
}

/// A matcher for one path component with shell semantics: `*` never matches a leading dot
/// unless the pattern starts with one.
pub struct NameMatcher {
    glob: GlobMatcher,
    dot_ok: bool,
}

impl NameMatcher {
    pub fn new(pattern: &str) -> Option<Self> {
        let glob = GlobBuilder::new(pattern)
            .literal_separator(true)
            .backslash_escape(true)
            .build()
            .ok()?
            .compile_matcher();
        Some(Self {
            glob,
            dot_ok: pattern.starts_with('.'),
        })
    }

    pub fn is_match(&self, name: &str) -> bool {
        (self.dot_ok || !name.starts_with('.')) && self.glob.is_match(name)
    }
}

/// Expands an absolute target-path glob under `root`, returning target paths sorted bytewise.
/// A pattern without glob characters comes back as itself when it exists (even as a dangling
/// symlink), like `sh` leaves an unmatched literal.
pub fn expand(root: &Path, pattern: &str) -> Vec<String> {
    if !has_glob_chars(pattern) {
        let exists =
            host_path_nofollow(root, pattern).is_ok_and(|path| fs::symlink_metadata(path).is_ok());
        return if exists {
            vec![pattern.to_owned()]
        } else {
            Vec::new()
        };
    }
    let mut current = vec![String::new()];
    for component in pattern.split('/').filter(|c| !c.is_empty()) {
        let mut next = Vec::new();
        for prefix in &current {
            if has_glob_chars(component) {
                let Some(matcher) = NameMatcher::new(component) else {
                    return Vec::new();
                };
                let Ok(dir) = host_path(root, prefix_or_root(prefix)) else {
                    continue;
                };
                let Ok(entries) = fs::read_dir(dir) else {
                    continue;
                };
                let mut names: Vec<String> = entries
                    .filter_map(Result::ok)
                    .filter_map(|entry| entry.file_name().into_string().ok())
                    .filter(|name| matcher.is_match(name))
                    .collect();
                names.sort();
                next.extend(names.into_iter().map(|name| format!("{prefix}/{name}")));
            } else {
                let candidate = format!("{prefix}/{component}");
                let exists = host_path_nofollow(root, &candidate)
                    .is_ok_and(|path| fs::symlink_metadata(path).is_ok());
                if exists {
                    next.push(candidate);
                }
            }
        }
        current = next;
    }
    current.sort();
    current
}

/// The first directory a glob (or a plain path) goes through that this process may not search,
/// or list when the next component is a glob: there, the expansion cannot tell what exists.
/// Directories are taken level by level, each level's in sorted order; a level that is missing
/// ends the walk. The shell probe's `_sdeny` walks the same way.
pub fn denied_on_the_way(root: &Path, pattern: &str) -> Option<String> {
    let components: Vec<&str> = pattern.split('/').filter(|c| !c.is_empty()).collect();
    let mut prefix = String::new();
    for component in components {
        let dirs = if prefix.is_empty() {
            vec!["/".to_owned()]
        } else {
            expand(root, &prefix)
        };
        let need = if has_glob_chars(component) {
            libc::R_OK | libc::X_OK
        } else {
            libc::X_OK
        };
        for dir in dirs {
            let Ok(path) = host_path(root, &dir) else {
                continue;
            };
            if fs::metadata(&path).is_ok_and(|meta| meta.is_dir()) && !may_access(&path, need) {
                return Some(dir);
            }
        }
        prefix = format!("{prefix}/{component}");
    }
    None
}

/// Whether this process may access `path` for `mode`, by its effective ids (as `sh`'s `test`).
pub fn may_access(path: &Path, mode: libc::c_int) -> bool {
    let Ok(name) = CString::new(path.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: a valid C string; faccessat only reads it.
    unsafe { libc::faccessat(libc::AT_FDCWD, name.as_ptr(), mode, libc::AT_EACCESS) == 0 }
}

fn prefix_or_root(prefix: &str) -> &str {
    if prefix.is_empty() { "/" } else { prefix }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_like_sh_and_skips_dotfiles() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("etc/a.d")).unwrap();
        fs::create_dir_all(root.join("etc/b.d")).unwrap();
        fs::write(root.join("etc/a.d/x.conf"), "").unwrap();
        fs::write(root.join("etc/b.d/x.conf"), "").unwrap();
        fs::write(root.join("etc/b.d/.hidden.conf"), "").unwrap();
        assert_eq!(
            expand(root, "/etc/*.d/*.conf"),
            vec!["/etc/a.d/x.conf", "/etc/b.d/x.conf"]
        );
        assert_eq!(expand(root, "/etc/a.d"), vec!["/etc/a.d"]);
        assert!(expand(root, "/etc/none/*").is_empty());
        assert!(expand(root, "/etc/none").is_empty());
    }

    #[test]
    fn absolute_symlinks_resolve_inside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("etc/authselect")).unwrap();
        fs::create_dir_all(root.join("usr/lib")).unwrap();
        fs::write(root.join("etc/authselect/system-auth"), "auth").unwrap();
        std::os::unix::fs::symlink("/etc/authselect/system-auth", root.join("etc/system-auth"))
            .unwrap();
        std::os::unix::fs::symlink("usr/lib", root.join("lib")).unwrap();
        assert_eq!(
            host_path(root, "/etc/system-auth").unwrap(),
            root.join("etc/authselect/system-auth")
        );
        assert_eq!(
            host_path_nofollow(root, "/etc/system-auth").unwrap(),
            root.join("etc/system-auth")
        );
        assert_eq!(host_path(root, "/lib/x").unwrap(), root.join("usr/lib/x"));
        assert_eq!(
            host_path(root, "/../../etc/./authselect").unwrap(),
            root.join("etc/authselect")
        );
        assert_eq!(
            host_path(Path::new("/"), "/etc/x").unwrap(),
            PathBuf::from("/etc/x")
        );
    }

    /// Exactly the hop limit resolves; one more, or a loop, is an error and never a host path.
    #[test]
    fn past_the_hop_limit_a_path_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::write(root.join("end"), "in the root").unwrap();
        let chain = |name: &str, links: usize| {
            for hop in 0..links {
                let next = if hop + 1 == links {
                    "/end".to_owned()
                } else {
                    format!("/{name}{}", hop + 1)
                };
                std::os::unix::fs::symlink(next, root.join(format!("{name}{hop}"))).unwrap();
            }
        };
        chain("ok", MAX_LINK_HOPS);
        chain("long", MAX_LINK_HOPS + 1);
        assert_eq!(host_path(root, "/ok0").unwrap(), root.join("end"));
        assert_eq!(host_path(root, "/long0"), Err(TooManyLinks));
        // Through an intermediate component too, and with the last one not followed.
        assert_eq!(host_path_nofollow(root, "/long0/x"), Err(TooManyLinks));
        assert_eq!(
            host_path_nofollow(root, "/long0").unwrap(),
            root.join("long0")
        );
        std::os::unix::fs::symlink("/loop", root.join("loop")).unwrap();
        assert_eq!(host_path(root, "/loop"), Err(TooManyLinks));
        assert!(matches!(
            open_regular(root, "/loop"),
            Err(OpenError::TooManyLinks)
        ));
        assert!(open_regular(root, "/ok0").is_ok());
    }

    #[test]
    fn open_regular_refuses_what_is_not_a_regular_file_without_opening_it() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let fifo = CString::new(root.join("fifo").into_os_string().into_vec()).unwrap();
        // SAFETY: a valid C string.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        fs::create_dir(root.join("dir")).unwrap();
        // An open of the FIFO would block here: no writer ever comes.
        assert!(matches!(
            open_regular(root, "/fifo"),
            Err(OpenError::NotRegular)
        ));
        assert!(matches!(
            open_regular(root, "/dir"),
            Err(OpenError::NotRegular)
        ));
        assert!(matches!(
            open_regular(root, "/none"),
            Err(OpenError::Missing)
        ));
        assert!(matches!(
            open_regular(root, "/dir/none/x"),
            Err(OpenError::Missing)
        ));
    }
}
