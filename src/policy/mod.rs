//! The signed scan policy (DESIGN §7): typed model, SSHSIG Ed25519 verification against
//! allowed_signers, key revocation, rule set pins, and the `verify-policy` report.

pub mod duration;
pub mod model;
pub mod pins;
pub mod report;
pub mod revocation;
pub mod signers;
pub mod sshsig;

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::bounded_read::{MAX_TRUST_FILE_BYTES, read_regular};
use crate::yaml_bounds::{self, Aliases, MAX_YAML_BYTES};

pub use duration::PolicyDuration;
pub use model::{
    Backoff, Clamp, EvidenceSettings, ExportSettings, HostKeyPolicy, INTERVAL_CAP, INTERVAL_FLOOR,
    MaintenanceWindow, Policy, RulesetPin, Schedule, SchemaError, SshSettings, Tier, TierIntervals,
    Weekday, parse_policy,
};
pub use pins::{PIN_ONE_LINER, PinCheck, PinError, bytes_hash, manifest_hash, ruleset_hash};
pub use report::{PolicyReport, SignatureStatus, render_table};
pub use revocation::{RevocationError, RevocationList};
pub use signers::{SignerInfo, SignersError, TrustSource, TrustedSigners, fingerprint};
pub use sshsig::{POLICY_NAMESPACE, SshSigError, SshSignature};

/// What `verify-policy` (and `scan --policy`) checks.
#[derive(Debug, Clone)]
pub struct VerifyRequest {
    pub policy: PathBuf,
    /// Defaults to `<policy>.sig`, where `ssh-keygen -Y sign` writes it.
    pub signature: Option<PathBuf>,
    pub trust: TrustSource,
    /// Overrides the policy's own `revocation_list`.
    pub revocation_list: Option<PathBuf>,
    /// The instant `valid-after`/`valid-before` are checked against.
    pub now: SystemTime,
    /// Parse the policy and read the files it names even when its signature does not verify
    /// (`scan --allow-unsigned-policy`: the operator accepted it unsigned). Otherwise such a
    /// policy is reported invalid without being parsed.
    pub accept_unsigned: bool,
}

impl VerifyRequest {
    pub fn new(policy: impl Into<PathBuf>, trust: TrustSource) -> Self {
        Self {
            policy: policy.into(),
            signature: None,
            trust,
            revocation_list: None,
            now: SystemTime::now(),
            accept_unsigned: false,
        }
    }

    pub fn signature_path(&self) -> PathBuf {
        self.signature.clone().unwrap_or_else(|| {
            let mut name = self.policy.as_os_str().to_owned();
            name.push(".sig");
            PathBuf::from(name)
        })
    }
}

/// Inputs that cannot be read or make no sense: a usage/configuration error (exit 2), as
/// opposed to a policy that was checked and found invalid (a report, exit 1).
#[derive(Debug, thiserror::Error)]
pub enum PolicyInputError {
    #[error("cannot read policy {}", .path.display())]
    Policy {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read signature {}", .path.display())]
    Signature {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("trusted signers")]
    Trust(#[from] SignersError),
    #[error("revocation list")]
    Revocation(#[from] RevocationError),
}

/// Reading and parsing a policy without checking its signature.
#[derive(Debug, thiserror::Error)]
pub enum PolicyLoadError {
    #[error("cannot read policy {}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Schema(#[from] SchemaError),
}

/// Parses a policy file (no signature, pin or revocation checks: use [`verify_policy`] for
/// anything that acts on it).
pub fn read_policy(path: &Path) -> Result<Policy, PolicyLoadError> {
    let bytes = read_regular(path, MAX_YAML_BYTES).map_err(|source| PolicyLoadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(parse_policy_bytes(&bytes, path)?)
}

fn parse_policy_bytes(bytes: &[u8], path: &Path) -> Result<Policy, SchemaError> {
    parse_yaml_bytes(bytes, path, "policy")
}

/// Parses a YAML file that never needs aliases (a policy, a waivers file): UTF-8, bounded
/// ([`yaml_bounds`]) before the parser sees it, then strictly typed. `what` names it in errors.
pub fn parse_yaml_bytes<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    path: &Path,
    what: &str,
) -> Result<T, SchemaError> {
    let schema_error = |line, column, message| SchemaError {
        file: path.display().to_string(),
        line,
        column,
        message,
    };
    let text = std::str::from_utf8(bytes)
        .map_err(|e| schema_error(None, None, format!("{what} is not UTF-8 text: {e}")))?;
    yaml_bounds::check(text, Aliases::Refused)
        .map_err(|refusal| schema_error(refusal.line, refusal.column, refusal.message))?;
    model::parse_yaml(text, path)
}

/// The directory policy-relative paths resolve against (empty: the current directory).
fn policy_dir(policy: &Path) -> &Path {
    policy.parent().unwrap_or(Path::new(""))
}

/// Checks signature, signer trust, revocation, schema, clamps and pins of a policy.
///
/// Verify, then read: the signature is checked over the policy's raw bytes first. Only a
/// policy whose signature verifies (or that the operator accepted unsigned, see
/// [`VerifyRequest::accept_unsigned`]) is parsed, and only then are the files it names (its
/// revocation list, its pinned rule sets) read. Every file is read only if it is a regular
/// file within a size cap, and no error quotes a file's content.
pub fn verify_policy(req: &VerifyRequest) -> Result<PolicyReport, PolicyInputError> {
    let policy_bytes =
        read_regular(&req.policy, MAX_YAML_BYTES).map_err(|source| PolicyInputError::Policy {
            path: req.policy.clone(),
            source,
        })?;
    let trusted = TrustedSigners::load(&req.trust)?;
    let signature_path = req.signature_path();
    let now = crate::time::unix_seconds(req.now);
    let (signature, signer) = check_signature(&signature_path, &policy_bytes, &trusted, now)?;

    // The operator's own revocation list (flag, environment, config) is read either way.
    let operator_revocations = req
        .revocation_list
        .as_deref()
        .map(RevocationList::load)
        .transpose()?;

    let contents_checked = signature == SignatureStatus::Valid || req.accept_unsigned;
    let (policy, schema_errors) = if contents_checked {
        match parse_policy_bytes(&policy_bytes, &req.policy) {
            Ok(policy) => (Some(policy), Vec::new()),
            Err(err) => (None, vec![err]),
        }
    } else {
        (None, Vec::new())
    };

    let revocations = match operator_revocations {
        Some(list) => Some(list),
        None => policy
            .as_ref()
            .and_then(|p| p.revocation_list.as_ref())
            .map(|rel| RevocationList::load(&policy_dir(&req.policy).join(rel)))
            .transpose()?,
    };
    let revoked = match (&signer, &revocations) {
        (Some(s), Some(list)) => list.is_revoked(&s.fingerprint),
        _ => false,
    };

    // A revoked key's policy is not trusted, so its rule sets are not read either.
    let pins = match &policy {
        Some(p) if !revoked => pins::check_pins(&p.rulesets, policy_dir(&req.policy)),
        _ => Vec::new(),
    };

    let mut report = PolicyReport {
        policy_path: req.policy.display().to_string(),
        signature_path: signature_path.display().to_string(),
        trust_source: req.trust.path().display().to_string(),
        signature,
        signer,
        revoked,
        revocation_list: revocations.map(|list| list.path.display().to_string()),
        contents_checked,
        version: policy.as_ref().map(|p| p.version),
        description: policy.as_ref().map(|p| p.description.clone()),
        schema_errors,
        clamps: policy
            .as_ref()
            .map(|p| p.clamps.clone())
            .unwrap_or_default(),
        pins,
        valid: false,
        policy,
    };
    report.valid = report.is_valid();
    Ok(report)
}

/// Checks a file that travels with a signed policy (a `--waivers` file): its `FILE.sig` must
/// be a valid signature of its bytes, in the policy's namespace, by a key `trust` allows and
/// that `revocations` does not list. `Ok(Err(why))` when it is not.
pub fn verify_companion(
    path: &Path,
    bytes: &[u8],
    trust: &TrustSource,
    revocations: Option<&RevocationList>,
    now: SystemTime,
) -> Result<Result<SignerInfo, String>, PolicyInputError> {
    let trusted = TrustedSigners::load(trust)?;
    let mut signature_path = path.as_os_str().to_owned();
    signature_path.push(".sig");
    let now = crate::time::unix_seconds(now);
    let (status, signer) = check_signature(Path::new(&signature_path), bytes, &trusted, now)?;
    Ok(match (status, signer) {
        (SignatureStatus::Valid, Some(signer)) => match revocations {
            Some(list) if list.is_revoked(&signer.fingerprint) => Err(format!(
                "it is signed by {}, which {} revokes",
                signer.fingerprint,
                list.path.display()
            )),
            _ => Ok(signer),
        },
        (SignatureStatus::Missing { path }, _) => Err(format!("it has no signature ({path})")),
        (SignatureStatus::Invalid { reason, .. }, _) => Err(format!("its signature: {reason}")),
        (SignatureStatus::Valid, None) => Err("its signature names no key".into()),
    })
}

/// Signature status and, when the signature names a key, who signed.
fn check_signature(
    path: &Path,
    message: &[u8],
    trusted: &TrustedSigners,
    now: i64,
) -> Result<(SignatureStatus, Option<SignerInfo>), PolicyInputError> {
    let armoured = match read_regular(path, MAX_TRUST_FILE_BYTES) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let status = SignatureStatus::Missing {
                path: path.display().to_string(),
            };
            return Ok((status, None));
        }
        Err(source) => {
            return Err(PolicyInputError::Signature {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    let invalid = |code: &str, reason: String| SignatureStatus::Invalid {
        code: code.to_string(),
        reason,
    };
    let sig = match sshsig::parse_armored(&armoured) {
        Ok(sig) => sig,
        Err(e) => return Ok((invalid(e.code(), format!("{}: {e}", path.display())), None)),
    };
    let mut signer = SignerInfo {
        principal: None,
        fingerprint: sig.fingerprint(),
        key_type: sig.key_type.clone(),
        trusted_by: None,
    };
    if let Err(e) = sig.verify(message, POLICY_NAMESPACE) {
        return Ok((invalid(e.code(), e.to_string()), Some(signer)));
    }
    match trusted.authorize(&sig.public_key, POLICY_NAMESPACE, now) {
        Ok(entry) => {
            signer.principal = Some(entry.principals.clone());
            signer.trusted_by = Some(format!("{}:{}", trusted.source.display(), entry.line));
            Ok((SignatureStatus::Valid, Some(signer)))
        }
        Err(e) => Ok((invalid(e.code(), e.to_string()), Some(signer))),
    }
}
