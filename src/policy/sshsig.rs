//! OpenSSH `SSHSIG` detached signatures (what `ssh-keygen -Y sign` writes), Ed25519 only.
//!
//! Layout (OpenSSH PROTOCOL.sshsig), all integers big-endian, a "string" being a u32 length
//! followed by that many bytes:
//! - armour: a `-----BEGIN SSH SIGNATURE-----` line, base64 lines, an
//!   `-----END SSH SIGNATURE-----` line;
//! - blob: the 6 bytes `SSHSIG`, u32 version (1), then strings: public key (SSH wire form),
//!   namespace, reserved, hash algorithm (`sha256`/`sha512`), signature (itself the strings
//!   algorithm name and raw signature bytes);
//! - what the key actually signed: `SSHSIG`, then strings: namespace, reserved, hash
//!   algorithm, and the hash of the message.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, VerifyingKey};
use sha2::{Digest, Sha256, Sha512};

use super::signers::fingerprint;

/// The namespace a plumb policy signature must carry (`ssh-keygen -Y sign -n plumb-policy`).
pub const POLICY_NAMESPACE: &str = "plumb-policy";

const ARMOUR_BEGIN: &str = "-----BEGIN SSH SIGNATURE-----";
const ARMOUR_END: &str = "-----END SSH SIGNATURE-----";
const MAGIC: &[u8] = b"SSHSIG";
const VERSION: u32 = 1;
const ED25519: &str = "ssh-ed25519";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SshSigError {
    #[error("signature file is not text")]
    NotText,
    #[error("not an SSH signature: the file must start with {ARMOUR_BEGIN}")]
    MissingHeader,
    #[error("SSH signature armour is not closed by {ARMOUR_END}")]
    MissingFooter,
    #[error("SSH signature body is not valid base64: {0}")]
    Base64(String),
    #[error("SSH signature blob does not start with the SSHSIG magic")]
    BadMagic,
    #[error("SSH signature is truncated: {0} is missing or cut short")]
    Truncated(&'static str),
    #[error("SSH signature version {0} is not supported (only version 1)")]
    UnsupportedVersion(u32),
    #[error("SSH signature has {0} unexpected trailing bytes")]
    TrailingData(usize),
    #[error("malformed SSH signature: {0}")]
    Malformed(String),
    #[error(
        "signature namespace is {found:?}, expected {expected:?} (sign with: ssh-keygen -Y sign -n {expected} ...)"
    )]
    WrongNamespace { expected: String, found: String },
    #[error("signature hash algorithm {0:?} is not supported (sha256 or sha512)")]
    UnsupportedHash(String),
    #[error(
        "signed with a {0} key; plumb policies must be signed with an Ed25519 (ssh-ed25519) key"
    )]
    UnsupportedKeyType(String),
    #[error("signature algorithm {found:?} does not match the {key_type} key")]
    AlgorithmMismatch { key_type: String, found: String },
    #[error(
        "signature does not match the policy content (the file changed after signing, or the signature belongs to another file)"
    )]
    BadSignature,
}

impl SshSigError {
    /// A stable machine-readable code for reports.
    pub fn code(&self) -> &'static str {
        match self {
            SshSigError::NotText
            | SshSigError::MissingHeader
            | SshSigError::MissingFooter
            | SshSigError::Base64(_) => "malformed_armour",
            SshSigError::BadMagic
            | SshSigError::Truncated(_)
            | SshSigError::UnsupportedVersion(_)
            | SshSigError::TrailingData(_)
            | SshSigError::Malformed(_) => "malformed_signature",
            SshSigError::WrongNamespace { .. } => "wrong_namespace",
            SshSigError::UnsupportedHash(_) => "unsupported_hash",
            SshSigError::UnsupportedKeyType(_) | SshSigError::AlgorithmMismatch { .. } => {
                "unsupported_key_type"
            }
            SshSigError::BadSignature => "bad_signature",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashAlg {
    Sha256,
    Sha512,
}

impl HashAlg {
    pub fn as_str(self) -> &'static str {
        match self {
            HashAlg::Sha256 => "sha256",
            HashAlg::Sha512 => "sha512",
        }
    }

    fn digest(self, message: &[u8]) -> Vec<u8> {
        match self {
            HashAlg::Sha256 => Sha256::digest(message).to_vec(),
            HashAlg::Sha512 => Sha512::digest(message).to_vec(),
        }
    }
}

/// A decoded SSHSIG blob. Parsing accepts any key type so a report can name the signer's
/// key; [`SshSignature::verify`] accepts Ed25519 only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshSignature {
    /// The signer's public key in SSH wire form (what fingerprints hash).
    pub public_key: Vec<u8>,
    /// Key type named inside the public key, e.g. `ssh-ed25519`, `ssh-rsa`.
    pub key_type: String,
    pub namespace: String,
    pub reserved: Vec<u8>,
    pub hash_algorithm: String,
    /// Algorithm named inside the signature, e.g. `ssh-ed25519`, `rsa-sha2-512`.
    pub signature_algorithm: String,
    pub signature: Vec<u8>,
}

impl SshSignature {
    /// `SHA256:...` fingerprint of the signing key, as `ssh-keygen -lf` prints it.
    pub fn fingerprint(&self) -> String {
        fingerprint(&self.public_key)
    }

    /// Checks namespace, algorithms and the Ed25519 signature over `message`.
    pub fn verify(&self, message: &[u8], namespace: &str) -> Result<(), SshSigError> {
        if self.namespace != namespace {
            return Err(SshSigError::WrongNamespace {
                expected: namespace.to_string(),
                found: self.namespace.clone(),
            });
        }
        if self.key_type != ED25519 {
            return Err(SshSigError::UnsupportedKeyType(self.key_type.clone()));
        }
        if self.signature_algorithm != ED25519 {
            return Err(SshSigError::AlgorithmMismatch {
                key_type: self.key_type.clone(),
                found: self.signature_algorithm.clone(),
            });
        }
        let hash_alg = match self.hash_algorithm.as_str() {
            "sha256" => HashAlg::Sha256,
            "sha512" => HashAlg::Sha512,
            other => return Err(SshSigError::UnsupportedHash(other.to_string())),
        };
        let key = ed25519_key(&self.public_key)?;
        let key = VerifyingKey::from_bytes(&key).map_err(|_| {
            SshSigError::Malformed("Ed25519 public key is not a valid point".into())
        })?;
        let sig: [u8; 64] = self.signature.as_slice().try_into().map_err(|_| {
            SshSigError::Malformed(format!(
                "Ed25519 signature is {} bytes, expected 64",
                self.signature.len()
            ))
        })?;
        let signed = signed_data(
            &self.namespace,
            &self.reserved,
            hash_alg,
            &hash_alg.digest(message),
        );
        key.verify_strict(&signed, &Signature::from_bytes(&sig))
            .map_err(|_| SshSigError::BadSignature)
    }
}

/// The bytes the signer's key signs (PROTOCOL.sshsig §3).
fn signed_data(namespace: &str, reserved: &[u8], hash_alg: HashAlg, hash: &[u8]) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    for field in [
        namespace.as_bytes(),
        reserved,
        hash_alg.as_str().as_bytes(),
        hash,
    ] {
        put_string(&mut out, field);
    }
    out
}

fn put_string(out: &mut Vec<u8>, bytes: &[u8]) {
    // Lengths here are tiny (names and hashes), far below u32::MAX.
    let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
}

/// Parses an armoured signature file's content.
pub fn parse_armored(data: &[u8]) -> Result<SshSignature, SshSigError> {
    let text = std::str::from_utf8(data).map_err(|_| SshSigError::NotText)?;
    let mut lines = text.trim().lines().map(str::trim);
    if lines.next() != Some(ARMOUR_BEGIN) {
        return Err(SshSigError::MissingHeader);
    }
    let mut body = String::new();
    let mut closed = false;
    for line in lines.by_ref() {
        if line == ARMOUR_END {
            closed = true;
            break;
        }
        body.push_str(line);
    }
    if !closed {
        return Err(SshSigError::MissingFooter);
    }
    if lines.any(|l| !l.is_empty()) {
        return Err(SshSigError::Malformed(
            "text after the END SSH SIGNATURE line".into(),
        ));
    }
    let blob = STANDARD
        .decode(body.as_bytes())
        .map_err(|e| SshSigError::Base64(e.to_string()))?;
    parse_blob(&blob)
}

/// Parses a raw (base64-decoded) SSHSIG blob.
pub fn parse_blob(blob: &[u8]) -> Result<SshSignature, SshSigError> {
    let mut reader = WireReader::new(blob);
    if reader.bytes(MAGIC.len(), "magic")? != MAGIC {
        return Err(SshSigError::BadMagic);
    }
    let version = reader.u32("version")?;
    if version != VERSION {
        return Err(SshSigError::UnsupportedVersion(version));
    }
    let public_key = reader.string("public key")?.to_vec();
    let namespace = utf8(reader.string("namespace")?, "namespace")?;
    if namespace.is_empty() {
        return Err(SshSigError::Malformed("namespace is empty".into()));
    }
    let reserved = reader.string("reserved")?.to_vec();
    let hash_algorithm = utf8(reader.string("hash algorithm")?, "hash algorithm")?;
    let signature_field = reader.string("signature")?;
    reader.finish()?;

    let key_type = utf8(
        WireReader::new(&public_key).string("public key type")?,
        "public key type",
    )?;
    let mut sig_reader = WireReader::new(signature_field);
    let signature_algorithm = utf8(
        sig_reader.string("signature algorithm")?,
        "signature algorithm",
    )?;
    let signature = sig_reader.string("signature bytes")?.to_vec();
    sig_reader.finish()?;

    Ok(SshSignature {
        public_key,
        key_type,
        namespace,
        reserved,
        hash_algorithm,
        signature_algorithm,
        signature,
    })
}

/// The 32 raw bytes of an `ssh-ed25519` public key blob.
pub(crate) fn ed25519_key(blob: &[u8]) -> Result<[u8; 32], SshSigError> {
    let mut reader = WireReader::new(blob);
    let key_type = reader.string("public key type")?;
    if key_type != ED25519.as_bytes() {
        return Err(SshSigError::UnsupportedKeyType(
            String::from_utf8_lossy(key_type).into_owned(),
        ));
    }
    let key = reader.string("Ed25519 public key")?;
    reader.finish()?;
    key.try_into().map_err(|_| {
        SshSigError::Malformed(format!(
            "Ed25519 public key is {} bytes, expected 32",
            key.len()
        ))
    })
}

fn utf8(bytes: &[u8], field: &'static str) -> Result<String, SshSigError> {
    String::from_utf8(bytes.to_vec())
        .map_err(|_| SshSigError::Malformed(format!("{field} is not UTF-8")))
}

/// Bounds-checked reader for the SSH wire encoding.
pub(crate) struct WireReader<'a> {
    rest: &'a [u8],
}

impl<'a> WireReader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Self { rest: buf }
    }

    pub(crate) fn bytes(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], SshSigError> {
        let (head, tail) = self
            .rest
            .split_at_checked(n)
            .ok_or(SshSigError::Truncated(field))?;
        self.rest = tail;
        Ok(head)
    }

    pub(crate) fn u32(&mut self, field: &'static str) -> Result<u32, SshSigError> {
        let head = self.bytes(4, field)?;
        let arr: [u8; 4] = head.try_into().map_err(|_| SshSigError::Truncated(field))?;
        Ok(u32::from_be_bytes(arr))
    }

    pub(crate) fn string(&mut self, field: &'static str) -> Result<&'a [u8], SshSigError> {
        let len = usize::try_from(self.u32(field)?).map_err(|_| SshSigError::Truncated(field))?;
        self.bytes(len, field)
    }

    pub(crate) fn finish(self) -> Result<(), SshSigError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(SshSigError::TrailingData(self.rest.len()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};
    use proptest::prelude::*;

    fn key_blob(key: &[u8; 32]) -> Vec<u8> {
        let mut blob = Vec::new();
        put_string(&mut blob, ED25519.as_bytes());
        put_string(&mut blob, key);
        blob
    }

    /// Builds an SSHSIG blob the way the protocol describes, signed in-process.
    fn make_blob(signing: &SigningKey, namespace: &str, message: &[u8]) -> Vec<u8> {
        let signed = signed_data(namespace, b"", HashAlg::Sha512, &Sha512::digest(message));
        let sig = signing.sign(&signed).to_bytes();
        let mut sig_field = Vec::new();
        put_string(&mut sig_field, ED25519.as_bytes());
        put_string(&mut sig_field, &sig);
        let mut blob = MAGIC.to_vec();
        blob.extend_from_slice(&VERSION.to_be_bytes());
        put_string(&mut blob, &key_blob(&signing.verifying_key().to_bytes()));
        put_string(&mut blob, namespace.as_bytes());
        put_string(&mut blob, b"");
        put_string(&mut blob, b"sha512");
        put_string(&mut blob, &sig_field);
        blob
    }

    fn armour(blob: &[u8]) -> String {
        format!("{ARMOUR_BEGIN}\n{}\n{ARMOUR_END}\n", STANDARD.encode(blob))
    }

    #[test]
    fn round_trip_verifies_and_detects_tampering() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let sig = parse_armored(armour(&make_blob(&key, POLICY_NAMESPACE, b"policy")).as_bytes())
            .unwrap();
        assert_eq!(sig.key_type, "ssh-ed25519");
        sig.verify(b"policy", POLICY_NAMESPACE).unwrap();
        assert_eq!(
            sig.verify(b"policz", POLICY_NAMESPACE),
            Err(SshSigError::BadSignature)
        );
        assert!(matches!(
            sig.verify(b"policy", "file"),
            Err(SshSigError::WrongNamespace { .. })
        ));
    }

    #[test]
    fn armour_errors_are_distinct() {
        assert_eq!(parse_armored(b"hello"), Err(SshSigError::MissingHeader));
        assert_eq!(
            parse_armored(format!("{ARMOUR_BEGIN}\nU1NIU0lH\n").as_bytes()),
            Err(SshSigError::MissingFooter)
        );
        assert!(matches!(
            parse_armored(format!("{ARMOUR_BEGIN}\n!!!!\n{ARMOUR_END}\n").as_bytes()),
            Err(SshSigError::Base64(_))
        ));
        assert_eq!(
            parse_armored(format!("{ARMOUR_BEGIN}\nU1NIU0lH\n{ARMOUR_END}\n").as_bytes()),
            Err(SshSigError::Truncated("version"))
        );
        assert_eq!(parse_armored(&[0xff, 0xfe]), Err(SshSigError::NotText));
    }

    #[test]
    fn every_truncation_is_an_error() {
        let key = SigningKey::from_bytes(&[9; 32]);
        let blob = make_blob(&key, POLICY_NAMESPACE, b"x");
        for len in 0..blob.len() {
            assert!(
                parse_blob(&blob[..len]).is_err(),
                "prefix of {len} bytes parsed"
            );
        }
        let mut longer = blob.clone();
        longer.push(0);
        assert_eq!(parse_blob(&longer), Err(SshSigError::TrailingData(1)));
    }

    proptest! {
        #[test]
        fn blob_parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = parse_blob(&bytes);
            let mut with_magic = MAGIC.to_vec();
            with_magic.extend_from_slice(&bytes);
            let _ = parse_blob(&with_magic);
        }

        #[test]
        fn armour_parser_never_panics(text in ".{0,400}") {
            let _ = parse_armored(text.as_bytes());
            let wrapped = format!("{ARMOUR_BEGIN}\n{text}\n{ARMOUR_END}\n");
            let _ = parse_armored(wrapped.as_bytes());
        }

        #[test]
        fn mutated_valid_signatures_never_panic(index in 0usize..200, value in any::<u8>()) {
            let key = SigningKey::from_bytes(&[3; 32]);
            let mut blob = make_blob(&key, POLICY_NAMESPACE, b"m");
            let i = index % blob.len();
            blob[i] = value;
            if let Ok(sig) = parse_blob(&blob) {
                let _ = sig.verify(b"m", POLICY_NAMESPACE);
            }
        }
    }
}
