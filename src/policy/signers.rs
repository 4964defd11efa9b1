//! Trusted signing keys: an OpenSSH `allowed_signers` file or a single `.pub` key, and
//! OpenSSH-style `SHA256:` fingerprints.

use std::fmt;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::sshsig::{WireReader, ed25519_key};
use crate::time::{format_utc, parse_ssh_timestamp};

/// `SHA256:<base64, no padding>` of a public key blob, as `ssh-keygen -lf` prints it.
pub fn fingerprint(key_blob: &[u8]) -> String {
    format!(
        "SHA256:{}",
        STANDARD_NO_PAD.encode(Sha256::digest(key_blob))
    )
}

/// A public key in SSH wire form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    pub key_type: String,
    pub blob: Vec<u8>,
}

impl PublicKey {
    pub fn fingerprint(&self) -> String {
        fingerprint(&self.blob)
    }
}

/// Where trusted keys come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrustSource {
    /// An OpenSSH allowed_signers file.
    AllowedSigners(PathBuf),
    /// A single OpenSSH public key file (`id_ed25519.pub`).
    PublicKey(PathBuf),
}

impl TrustSource {
    pub fn path(&self) -> &Path {
        match self {
            TrustSource::AllowedSigners(p) | TrustSource::PublicKey(p) => p,
        }
    }
}

/// One trusted key and its restrictions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedSigner {
    /// The principals field as written (a pattern list), or a .pub key's comment.
    pub principals: String,
    /// The `namespaces="..."` pattern list, if restricted.
    pub namespaces: Option<String>,
    /// Unix seconds; the key is trusted at or after this instant.
    pub valid_after: Option<i64>,
    /// Unix seconds; the key is trusted at or before this instant.
    pub valid_before: Option<i64>,
    pub cert_authority: bool,
    pub key: PublicKey,
    /// 1-based line in the trust file.
    pub line: usize,
}

/// The parsed trust file.
#[derive(Debug, Clone)]
pub struct TrustedSigners {
    pub source: PathBuf,
    pub entries: Vec<AllowedSigner>,
}

/// Problems with the trust file itself (configuration errors).
#[derive(Debug, thiserror::Error)]
pub enum SignersError {
    #[error("cannot read {}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}:{line}: {message}")]
    Parse {
        file: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{0}: no keys in this file, so no signature can be trusted")]
    Empty(PathBuf),
}

/// Why a signature's key is not accepted by the trust file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrustError {
    #[error("key {fingerprint} is not in {source_file}")]
    UnknownKey {
        fingerprint: String,
        source_file: String,
    },
    #[error(
        "key {fingerprint} ({source_file}:{line}) is not allowed for namespace {namespace:?} (namespaces=\"{allowed}\")"
    )]
    NamespaceNotAllowed {
        fingerprint: String,
        source_file: String,
        line: usize,
        namespace: String,
        allowed: String,
    },
    #[error(
        "key {fingerprint} ({source_file}:{line}) is not valid before {valid_after} (valid-after)"
    )]
    NotYetValid {
        fingerprint: String,
        source_file: String,
        line: usize,
        valid_after: String,
    },
    #[error("key {fingerprint} ({source_file}:{line}) expired at {valid_before} (valid-before)")]
    Expired {
        fingerprint: String,
        source_file: String,
        line: usize,
        valid_before: String,
    },
    #[error(
        "key {fingerprint} is trusted only as a cert-authority ({source_file}:{line}); certificate-based policy signatures are not supported yet"
    )]
    CertAuthorityUnsupported {
        fingerprint: String,
        source_file: String,
        line: usize,
    },
}

impl TrustError {
    pub fn code(&self) -> &'static str {
        match self {
            TrustError::UnknownKey { .. } => "untrusted_key",
            TrustError::NamespaceNotAllowed { .. } => "namespace_not_allowed",
            TrustError::NotYetValid { .. } => "key_not_yet_valid",
            TrustError::Expired { .. } => "key_expired",
            TrustError::CertAuthorityUnsupported { .. } => "cert_authority_unsupported",
        }
    }
}

impl TrustedSigners {
    /// Loads keys from either kind of trust source.
    pub fn load(source: &TrustSource) -> Result<Self, SignersError> {
        let path = source.path();
        let text =
            crate::bounded_read::read_regular_text(path, crate::bounded_read::MAX_TRUST_FILE_BYTES)
                .map_err(|source| SignersError::Io {
                    path: path.to_path_buf(),
                    source,
                })?;
        match source {
            TrustSource::AllowedSigners(_) => parse_allowed_signers(&text, path),
            TrustSource::PublicKey(_) => parse_public_key_file(&text, path),
        }
    }

    /// The entry that trusts `key_blob` for `namespace` at `now` (unix seconds). With several
    /// entries for the same key (rotation, re-issued validity), the first acceptable wins.
    pub fn authorize(
        &self,
        key_blob: &[u8],
        namespace: &str,
        now: i64,
    ) -> Result<&AllowedSigner, TrustError> {
        let source_file = self.source.display().to_string();
        let fingerprint = fingerprint(key_blob);
        let mut first_refusal = None;
        for entry in self.entries.iter().filter(|e| e.key.blob == key_blob) {
            let refusal = if entry.cert_authority {
                TrustError::CertAuthorityUnsupported {
                    fingerprint: fingerprint.clone(),
                    source_file: source_file.clone(),
                    line: entry.line,
                }
            } else if let Some(allowed) = entry
                .namespaces
                .as_ref()
                .filter(|list| !match_pattern_list(namespace, list))
            {
                TrustError::NamespaceNotAllowed {
                    fingerprint: fingerprint.clone(),
                    source_file: source_file.clone(),
                    line: entry.line,
                    namespace: namespace.to_string(),
                    allowed: allowed.clone(),
                }
            } else if let Some(after) = entry.valid_after.filter(|after| now < *after) {
                TrustError::NotYetValid {
                    fingerprint: fingerprint.clone(),
                    source_file: source_file.clone(),
                    line: entry.line,
                    valid_after: format_utc(after),
                }
            } else if let Some(before) = entry.valid_before.filter(|before| now > *before) {
                TrustError::Expired {
                    fingerprint: fingerprint.clone(),
                    source_file: source_file.clone(),
                    line: entry.line,
                    valid_before: format_utc(before),
                }
            } else {
                return Ok(entry);
            };
            first_refusal.get_or_insert(refusal);
        }
        Err(first_refusal.unwrap_or(TrustError::UnknownKey {
            fingerprint,
            source_file,
        }))
    }
}

/// Parses an OpenSSH allowed_signers file: `principals [options] keytype base64 [comment]`.
pub fn parse_allowed_signers(text: &str, file: &Path) -> Result<TrustedSigners, SignersError> {
    let mut entries = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let entry = parse_signer_line(trimmed, line).map_err(|message| SignersError::Parse {
            file: file.to_path_buf(),
            line,
            message,
        })?;
        entries.push(entry);
    }
    if entries.is_empty() {
        return Err(SignersError::Empty(file.to_path_buf()));
    }
    Ok(TrustedSigners {
        source: file.to_path_buf(),
        entries,
    })
}

/// Parses a single `.pub` key file; its principal is the key comment, or `-`.
pub fn parse_public_key_file(text: &str, file: &Path) -> Result<TrustedSigners, SignersError> {
    let mut keys = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim().starts_with('#'));
    let Some((index, raw)) = keys.next() else {
        return Err(SignersError::Empty(file.to_path_buf()));
    };
    let line = index + 1;
    let parse_err = |message: String| SignersError::Parse {
        file: file.to_path_buf(),
        line,
        message,
    };
    if keys.next().is_some() {
        return Err(parse_err(
            "a .pub trust file must hold exactly one key; use an allowed_signers file for several"
                .into(),
        ));
    }
    let mut fields = raw.split_whitespace();
    let (key, comment) = parse_key_fields(&mut fields).map_err(parse_err)?;
    Ok(TrustedSigners {
        source: file.to_path_buf(),
        entries: vec![AllowedSigner {
            principals: comment.unwrap_or_else(|| "-".to_string()),
            namespaces: None,
            valid_after: None,
            valid_before: None,
            cert_authority: false,
            key,
            line,
        }],
    })
}

fn is_key_type(token: &str) -> bool {
    token.starts_with("ssh-") || token.starts_with("ecdsa-sha2-") || token.starts_with("sk-")
}

fn parse_signer_line(line_text: &str, line: usize) -> Result<AllowedSigner, String> {
    let (principals, rest) = split_field(line_text)?;
    if principals.is_empty() {
        return Err("missing principals".into());
    }
    let rest = rest.trim_start();
    let first = rest.split_whitespace().next().unwrap_or("");
    let (options, rest) = if is_key_type(first) {
        ("", rest)
    } else {
        split_field(rest)?
    };
    let mut entry = AllowedSigner {
        principals: principals.trim_matches('"').to_string(),
        namespaces: None,
        valid_after: None,
        valid_before: None,
        cert_authority: false,
        key: PublicKey {
            key_type: String::new(),
            blob: Vec::new(),
        },
        line,
    };
    for (index, option) in split_options(options).into_iter().enumerate() {
        let (name, value) = match option.split_once('=') {
            Some((n, v)) => (n, Some(v.trim_matches('"'))),
            None => (option, None),
        };
        match (name.to_ascii_lowercase().as_str(), value) {
            ("cert-authority", None) => entry.cert_authority = true,
            ("namespaces", Some(v)) => entry.namespaces = Some(v.to_string()),
            ("valid-after", Some(v)) => {
                entry.valid_after =
                    Some(parse_ssh_timestamp(v).map_err(|_| bad_timestamp("valid-after"))?)
            }
            ("valid-before", Some(v)) => {
                entry.valid_before =
                    Some(parse_ssh_timestamp(v).map_err(|_| bad_timestamp("valid-before"))?)
            }
            _ => {
                return Err(format!(
                    "option {} is unknown or malformed (known: cert-authority, namespaces=\"...\", valid-after=\"...\", valid-before=\"...\")",
                    index + 1
                ));
            }
        }
    }
    let mut fields = rest.split_whitespace();
    let (key, _comment) = parse_key_fields(&mut fields)?;
    entry.key = key;
    Ok(entry)
}

/// Errors here never quote the file: a trust path may name any file (issue 10).
fn bad_timestamp(option: &str) -> String {
    format!("{option} is not a timestamp YYYYMMDD[HHMM[SS]][Z]")
}

/// Reads `keytype base64 [comment...]`.
fn parse_key_fields<'a>(
    fields: &mut impl Iterator<Item = &'a str>,
) -> Result<(PublicKey, Option<String>), String> {
    let key_type = fields.next().ok_or("missing key type")?;
    if !is_key_type(key_type) {
        return Err(
            "the key type field is not an SSH key type (ssh-ed25519, ecdsa-sha2-..., sk-...)"
                .into(),
        );
    }
    let encoded = fields
        .next()
        .ok_or("missing base64 key after the key type")?;
    let blob = STANDARD
        .decode(encoded)
        .map_err(|_| "key is not valid base64".to_string())?;
    let inner_type = WireReader::new(&blob)
        .string("key type")
        .map_err(|e| format!("malformed key: {e}"))?;
    if inner_type != key_type.as_bytes() {
        return Err("the key type field does not match the key data".into());
    }
    if key_type == "ssh-ed25519" {
        ed25519_key(&blob).map_err(|e| format!("malformed Ed25519 key: {e}"))?;
    }
    let comment: Vec<&str> = fields.collect();
    let comment = (!comment.is_empty()).then(|| comment.join(" "));
    Ok((
        PublicKey {
            key_type: key_type.to_string(),
            blob,
        },
        comment,
    ))
}

/// Splits off the first whitespace-delimited field, keeping double-quoted spaces inside it.
fn split_field(text: &str) -> Result<(&str, &str), String> {
    let mut quoted = false;
    for (i, c) in text.char_indices() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => return Ok((&text[..i], &text[i..])),
            _ => {}
        }
    }
    if quoted {
        Err("unterminated quote".into())
    } else {
        Ok((text, ""))
    }
}

/// Splits an options field on commas outside double quotes.
fn split_options(options: &str) -> Vec<&str> {
    if options.is_empty() {
        return Vec::new();
    }
    let mut parts = Vec::new();
    let mut quoted = false;
    let mut start = 0;
    for (i, c) in options.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                parts.push(&options[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&options[start..]);
    parts
}

/// OpenSSH pattern-list: comma-separated `*`/`?` globs; a `!pattern` match rejects outright.
pub fn match_pattern_list(text: &str, list: &str) -> bool {
    let mut matched = false;
    for pattern in list.split(',').map(str::trim) {
        if let Some(negated) = pattern.strip_prefix('!') {
            if wildcard_match(text.as_bytes(), negated.as_bytes()) {
                return false;
            }
        } else if wildcard_match(text.as_bytes(), pattern.as_bytes()) {
            matched = true;
        }
    }
    matched
}

/// `*` and `?` glob match, iterative with single backtracking point (linear-ish, no recursion).
fn wildcard_match(text: &[u8], pattern: &[u8]) -> bool {
    let (mut t, mut p) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(c) if *c == b'?' || Some(c) == text.get(t) => {
                t += 1;
                p += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern
        .get(p..)
        .is_some_and(|rest| rest.iter().all(|c| *c == b'*'))
}

impl fmt::Display for AllowedSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.principals, self.key.fingerprint())
    }
}

/// Signer details as reports show them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignerInfo {
    pub principal: Option<String>,
    pub fingerprint: String,
    pub key_type: String,
    /// `file:line` of the trust entry that accepted the key, when one did.
    pub trusted_by: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIOuhIC+GLcJz+1k+vfzLAVR8hlnXMB5z3/Y4LIDMPVQo";

    fn parse(text: &str) -> Result<TrustedSigners, SignersError> {
        parse_allowed_signers(text, Path::new("signers"))
    }

    #[test]
    fn parses_options_comments_and_several_keys() {
        let text = format!(
            "# ops keys\n\nalice@example.com,bob@* namespaces=\"plumb-policy,file\",valid-after=\"20250101\",valid-before=\"20301231235959Z\" ssh-ed25519 {KEY} alice laptop\n\"carol@example.com\" ssh-ed25519 {KEY}\n"
        );
        let signers = parse(&text).unwrap();
        assert_eq!(signers.entries.len(), 2);
        let first = &signers.entries[0];
        assert_eq!(first.line, 3);
        assert_eq!(first.principals, "alice@example.com,bob@*");
        assert_eq!(first.namespaces.as_deref(), Some("plumb-policy,file"));
        assert_eq!(first.valid_after, Some(1_735_689_600));
        assert_eq!(first.valid_before, Some(1_924_991_999));
        assert_eq!(signers.entries[1].principals, "carol@example.com");
    }

    #[test]
    fn parse_errors_name_file_and_line() {
        let err = parse(&format!("# c\nalice bogus=1 ssh-ed25519 {KEY}\n")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "signers:2: option 1 is unknown or malformed (known: cert-authority, namespaces=\"...\", valid-after=\"...\", valid-before=\"...\")"
        );
        let err = parse("alice ssh-ed25519 ???\n").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("signers:1: key is not valid base64"),
            "{err}"
        );
        let err = parse(&format!("alice valid-after=\"2025\" ssh-ed25519 {KEY}\n")).unwrap_err();
        assert!(err.to_string().contains("valid-after"), "{err}");
        let err = parse(&format!("alice ssh-rsa {KEY}\n")).unwrap_err();
        assert!(
            err.to_string().contains("does not match the key data"),
            "{err}"
        );
    }

    #[test]
    fn empty_file_is_its_own_error() {
        assert!(matches!(
            parse("# nothing\n\n"),
            Err(SignersError::Empty(_))
        ));
    }

    #[test]
    fn authorize_checks_namespace_and_validity() {
        let text = format!(
            "a namespaces=\"file\" ssh-ed25519 {KEY}\nb valid-before=\"20200101Z\" ssh-ed25519 {KEY}\n"
        );
        let signers = parse(&text).unwrap();
        let blob = signers.entries[0].key.blob.clone();
        let err = signers
            .authorize(&blob, "plumb-policy", 1_800_000_000)
            .unwrap_err();
        assert_eq!(err.code(), "namespace_not_allowed");
        // Before 2020 the second entry accepts the key.
        let ok = signers
            .authorize(&blob, "plumb-policy", 1_500_000_000)
            .unwrap();
        assert_eq!(ok.principals, "b");
        let err = signers.authorize(b"other", "plumb-policy", 0).unwrap_err();
        assert_eq!(err.code(), "untrusted_key");
    }

    proptest::proptest! {
        #[test]
        fn parser_never_panics(text in "(.{0,80}\n){0,4}") {
            let _ = parse(&text);
            let _ = parse_public_key_file(&text, Path::new("k.pub"));
            let _ = parse(&format!("p {text} ssh-ed25519 {KEY}"));
        }

        #[test]
        fn wildcard_never_panics(text in ".{0,20}", pattern in "[a-c*?!,]{0,12}") {
            let _ = match_pattern_list(&text, &pattern);
        }
    }

    #[test]
    fn pattern_lists_follow_openssh() {
        assert!(match_pattern_list("plumb-policy", "plumb-*"));
        assert!(match_pattern_list("plumb-policy", "file,plumb-polic?"));
        assert!(!match_pattern_list("plumb-policy", "*,!plumb-policy"));
        assert!(!match_pattern_list("plumb-policy", "file"));
        assert!(match_pattern_list("a", "*"));
        assert!(!match_pattern_list("", "?"));
    }
}
