//! Rule set pins: the sha256 a policy expects for a rule file or directory.
//!
//! A file hashes as its bytes. A directory hashes as a canonical manifest so the value can be
//! recomputed with coreutils: one `<sha256 hex>  <path relative to the dir>\n` line per
//! regular `*.yml`/`*.yaml` file found recursively (symlinks are not followed, like `find`
//! without `-L`), the lines sorted bytewise, and the sha256 of the concatenation. Same value:
//!
//! ```sh
//! cd DIR && find . -type f \( -name '*.yml' -o -name '*.yaml' \) -printf '%P\0' \
//!   | xargs -0 -r sha256sum | LC_ALL=C sort | sha256sum
//! ```

use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::model::RulesetPin;

/// The shell command that recomputes a pin, shown to operators in messages and docs.
pub const PIN_ONE_LINER: &str = "cd DIR && find . -type f \\( -name '*.yml' -o -name '*.yaml' \\) -printf '%P\\0' | xargs -0 -r sha256sum | LC_ALL=C sort | sha256sum   (a single file: sha256sum FILE)";

#[derive(Debug, thiserror::Error)]
pub enum PinError {
    #[error("cannot read {}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}: no *.yml or *.yaml files in this directory")]
    EmptyDirectory(PathBuf),
    #[error(
        "{0}: file name contains a newline or backslash, which the pin manifest cannot represent"
    )]
    UnsupportedName(PathBuf),
    #[error("{0}: not a regular file or directory")]
    NotFileOrDir(PathBuf),
}

/// The result of checking one pin, as the report shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PinCheck {
    /// As written in the policy.
    pub path: String,
    /// Resolved against the policy file's directory.
    pub resolved: String,
    pub expected: String,
    /// `None` when the rule set could not be hashed (see `error`).
    pub actual: Option<String>,
    pub matched: bool,
    pub error: Option<String>,
}

/// sha256 of a rule file, or of a rule directory's canonical manifest (see module docs).
pub fn ruleset_hash(path: &Path) -> Result<String, PinError> {
    let meta = fs::metadata(path).map_err(|source| PinError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    if meta.is_file() {
        return Ok(hex(&Sha256::digest(read(path)?)));
    }
    if !meta.is_dir() {
        return Err(PinError::NotFileOrDir(path.to_path_buf()));
    }
    let mut lines: Vec<Vec<u8>> = Vec::new();
    collect_manifest(path, Path::new(""), &mut lines)?;
    if lines.is_empty() {
        return Err(PinError::EmptyDirectory(path.to_path_buf()));
    }
    lines.sort();
    Ok(hex(&Sha256::digest(lines.concat())))
}

/// The directory pin of files already read: `(path relative to the pinned directory, bytes)`.
/// Same definition as [`ruleset_hash`], so a caller can check the very bytes it is about to use.
pub fn manifest_hash<'a>(files: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> String {
    let mut lines: Vec<Vec<u8>> = files
        .into_iter()
        .map(|(rel, bytes)| format!("{}  {rel}\n", hex(&Sha256::digest(bytes))).into_bytes())
        .collect();
    lines.sort();
    hex(&Sha256::digest(lines.concat()))
}

/// The file pin of bytes already read.
pub fn bytes_hash(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn collect_manifest(root: &Path, rel: &Path, lines: &mut Vec<Vec<u8>>) -> Result<(), PinError> {
    let dir = root.join(rel);
    let io_err = |source| PinError::Io {
        path: dir.clone(),
        source,
    };
    for entry in fs::read_dir(&dir).map_err(io_err)? {
        let entry = entry.map_err(io_err)?;
        // DirEntry::file_type does not follow symlinks, matching `find -type f`.
        let file_type = entry.file_type().map_err(io_err)?;
        let rel_path = rel.join(entry.file_name());
        if file_type.is_dir() {
            collect_manifest(root, &rel_path, lines)?;
        } else if file_type.is_file() {
            let name = entry.file_name();
            let name = name.as_bytes();
            if !(name.ends_with(b".yml") || name.ends_with(b".yaml")) {
                continue;
            }
            let rel_bytes = rel_path.as_os_str().as_bytes();
            if rel_bytes.iter().any(|b| *b == b'\n' || *b == b'\\') {
                return Err(PinError::UnsupportedName(root.join(&rel_path)));
            }
            let digest = hex(&Sha256::digest(read(&root.join(&rel_path))?));
            let mut line = Vec::with_capacity(digest.len() + 3 + rel_bytes.len());
            line.extend_from_slice(digest.as_bytes());
            line.extend_from_slice(b"  ");
            line.extend_from_slice(rel_bytes);
            line.push(b'\n');
            lines.push(line);
        }
    }
    Ok(())
}

/// A pinned rule file: read like every rule file, regular and within the YAML size cap.
fn read(path: &Path) -> Result<Vec<u8>, PinError> {
    crate::bounded_read::read_regular(path, crate::yaml_bounds::MAX_YAML_BYTES).map_err(|source| {
        PinError::Io {
            path: path.to_path_buf(),
            source,
        }
    })
}

/// Checks every pin of a policy; paths are relative to `policy_dir`.
pub fn check_pins(pins: &[RulesetPin], policy_dir: &Path) -> Vec<PinCheck> {
    pins.iter()
        .map(|pin| {
            let resolved = policy_dir.join(&pin.path);
            let (actual, error) = match ruleset_hash(&resolved) {
                Ok(hash) => (Some(hash), None),
                Err(err) => (None, Some(crate::error::Chain(&err).to_string())),
            };
            PinCheck {
                path: pin.path.clone(),
                resolved: resolved.display().to_string(),
                expected: pin.sha256.clone(),
                matched: actual.as_deref() == Some(pin.sha256.as_str()),
                actual,
                error,
            }
        })
        .collect()
}

/// Lowercase hex of bytes.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    fn shell_hash(dir: &Path) -> String {
        let script = "find . -type f \\( -name '*.yml' -o -name '*.yaml' \\) -printf '%P\\0' | xargs -0 -r sha256sum | LC_ALL=C sort | sha256sum";
        let out = Command::new("sh")
            .arg("-c")
            .arg(script)
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()[..64].to_string()
    }

    #[test]
    fn directory_hash_matches_the_shell_one_liner() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("sub/deeper")).unwrap();
        fs::create_dir_all(root.join(".hidden")).unwrap();
        fs::write(root.join("a.yml"), "id: a\n").unwrap();
        fs::write(root.join("B.yaml"), "id: b\n").unwrap();
        fs::write(root.join("sub/c.yml"), "id: c\n").unwrap();
        fs::write(root.join("sub/deeper/d d.yaml"), "id: d\n").unwrap();
        fs::write(root.join(".hidden/e.yml"), "id: e\n").unwrap();
        fs::write(root.join("notes.txt"), "ignored").unwrap();
        fs::write(root.join("sub/x.yml.bak"), "ignored").unwrap();
        std::os::unix::fs::symlink(root.join("a.yml"), root.join("link.yml")).unwrap();
        let ours = ruleset_hash(root).unwrap();
        assert_eq!(ours, shell_hash(root));

        // Ignored files do not move the hash; rule files do.
        fs::write(root.join("notes.txt"), "changed").unwrap();
        assert_eq!(ruleset_hash(root).unwrap(), ours);
        fs::write(root.join("sub/c.yml"), "id: c2\n").unwrap();
        let changed = ruleset_hash(root).unwrap();
        assert_ne!(changed, ours);
        assert_eq!(changed, shell_hash(root));

        // The same value from bytes already in memory (what `scan --policy` checks).
        let files = [
            ("a.yml", "id: a\n"),
            ("B.yaml", "id: b\n"),
            ("sub/c.yml", "id: c2\n"),
            ("sub/deeper/d d.yaml", "id: d\n"),
            (".hidden/e.yml", "id: e\n"),
        ];
        let in_memory = manifest_hash(files.iter().map(|(rel, text)| (*rel, text.as_bytes())));
        assert_eq!(in_memory, changed);
    }

    #[test]
    fn file_hash_is_sha256_of_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("r.yml");
        fs::write(&file, "abc").unwrap();
        assert_eq!(
            ruleset_hash(&file).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn empty_and_missing_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            ruleset_hash(dir.path()),
            Err(PinError::EmptyDirectory(_))
        ));
        assert!(matches!(
            ruleset_hash(&dir.path().join("nope")),
            Err(PinError::Io { .. })
        ));
    }

    #[test]
    fn check_pins_reports_expected_and_actual() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("r.yml"), "abc").unwrap();
        let good = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        let pins = vec![
            RulesetPin {
                path: "r.yml".into(),
                sha256: good.into(),
            },
            RulesetPin {
                path: "r.yml".into(),
                sha256: "0".repeat(64),
            },
            RulesetPin {
                path: "gone".into(),
                sha256: good.into(),
            },
        ];
        let checks = check_pins(&pins, dir.path());
        assert!(checks[0].matched);
        assert!(!checks[1].matched);
        assert_eq!(checks[1].actual.as_deref(), Some(good));
        assert!(!checks[2].matched);
        assert!(checks[2].error.as_deref().unwrap().contains("gone"));
    }
}
