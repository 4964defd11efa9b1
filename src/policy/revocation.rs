//! Revoked signing keys: a text file of `SHA256:...` fingerprints, one a line, `#` comments.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::bounded_read::{MAX_TRUST_FILE_BYTES, read_regular_text};

#[derive(Debug, thiserror::Error)]
pub enum RevocationError {
    #[error("cannot read {}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The line itself is not quoted: the path may name any file, and its content is not ours
    /// to print.
    #[error(
        "{}:{line}: line {line} is not a valid fingerprint (SHA256:<43 base64 characters>, as `ssh-keygen -lf KEY` prints)",
        .file.display()
    )]
    BadFingerprint { file: PathBuf, line: usize },
}

#[derive(Debug, Clone, Default)]
pub struct RevocationList {
    pub path: PathBuf,
    pub fingerprints: BTreeSet<String>,
}

impl RevocationList {
    pub fn load(path: &Path) -> Result<Self, RevocationError> {
        let text = read_regular_text(path, MAX_TRUST_FILE_BYTES).map_err(|source| {
            RevocationError::Io {
                path: path.to_path_buf(),
                source,
            }
        })?;
        Self::parse(&text, path)
    }

    pub fn parse(text: &str, path: &Path) -> Result<Self, RevocationError> {
        let mut fingerprints = BTreeSet::new();
        for (index, raw) in text.lines().enumerate() {
            let entry = raw.split('#').next().unwrap_or("").trim();
            if entry.is_empty() {
                continue;
            }
            if !is_fingerprint(entry) {
                return Err(RevocationError::BadFingerprint {
                    file: path.to_path_buf(),
                    line: index + 1,
                });
            }
            fingerprints.insert(entry.to_string());
        }
        Ok(Self {
            path: path.to_path_buf(),
            fingerprints,
        })
    }

    pub fn is_revoked(&self, fingerprint: &str) -> bool {
        self.fingerprints.contains(fingerprint)
    }
}

/// `SHA256:` then the 43 unpadded base64 characters of a 32-byte digest.
fn is_fingerprint(text: &str) -> bool {
    text.strip_prefix("SHA256:").is_some_and(|b64| {
        b64.len() == 43
            && b64
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FP: &str = "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s";

    #[test]
    fn parses_comments_and_entries() {
        let text = format!("# revoked 2026-01\n\n{FP}   # laptop stolen\n");
        let list = RevocationList::parse(&text, Path::new("revoked")).unwrap();
        assert!(list.is_revoked(FP));
        assert!(!list.is_revoked("SHA256:other"));
    }

    #[test]
    fn malformed_line_names_file_and_line() {
        let err = RevocationList::parse("# x\nMD5:aa:bb\n", Path::new("revoked")).unwrap_err();
        let message = err.to_string();
        assert!(
            message.starts_with("revoked:2: line 2 is not a valid fingerprint"),
            "{message}"
        );
        assert!(
            !message.contains("MD5"),
            "the line is not quoted: {message}"
        );
    }
}
