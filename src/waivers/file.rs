//! `--waivers FILE`: a YAML file with a `waivers:` list, in the policy's format. Under a
//! signed policy the file must be signed like the policy (`FILE.sig`); its signature is
//! checked over the raw bytes before they are parsed.

use super::Waiver;
use crate::bounded_read::read_regular;
use crate::policy::{RevocationList, SchemaError, TrustSource};
use crate::yaml_bounds::MAX_YAML_BYTES;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// A waivers file; unknown keys are errors at their line and column.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaiversFile {
    pub waivers: Vec<Waiver>,
}

/// Who must have signed a waivers file: the signed policy's trust.
pub struct Signed<'a> {
    pub trust: &'a TrustSource,
    pub revocations: Option<&'a RevocationList>,
}

#[derive(Debug, thiserror::Error)]
pub enum WaiversError {
    #[error("cannot read the waivers file {}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Invalid(#[from] SchemaError),
    #[error(
        "refusing the waivers file {}: the policy is signed, so waivers must be too, and {reason} \
         (sign it with ssh-keygen -Y sign -n {} like the policy, put its waivers in the policy, \
         or pass --allow-unsigned-policy)",
        .path.display(), crate::policy::POLICY_NAMESPACE
    )]
    Unsigned { path: PathBuf, reason: String },
    #[error("the waivers file {}", .path.display())]
    Trust {
        path: PathBuf,
        #[source]
        source: crate::policy::PolicyInputError,
    },
}

/// Reads a waivers file. With `signed`, the file's signature is verified first and a file
/// that is not signed by a trusted, unrevoked key is refused, unless `allow_unsigned` (then
/// with a warning).
pub fn read_file(
    path: &Path,
    signed: Option<Signed>,
    allow_unsigned: bool,
) -> Result<Vec<Waiver>, WaiversError> {
    let bytes = read_regular(path, MAX_YAML_BYTES).map_err(|source| WaiversError::Io {
        path: path.to_owned(),
        source,
    })?;
    if let Some(signed) = signed {
        let verdict = crate::policy::verify_companion(
            path,
            &bytes,
            signed.trust,
            signed.revocations,
            std::time::SystemTime::now(),
        )
        .map_err(|source| WaiversError::Trust {
            path: path.to_owned(),
            source,
        })?;
        match verdict {
            Ok(signer) => tracing::debug!(
                file = %path.display(),
                signer = %signer.fingerprint,
                "waivers file signature verified"
            ),
            Err(reason) if allow_unsigned => tracing::warn!(
                "using the waivers file {} although {reason} (--allow-unsigned-policy)",
                path.display()
            ),
            Err(reason) => {
                return Err(WaiversError::Unsigned {
                    path: path.to_owned(),
                    reason,
                });
            }
        }
    }
    let file: WaiversFile = crate::policy::parse_yaml_bytes(&bytes, path, "waivers file")?;
    Ok(file.waivers)
}
