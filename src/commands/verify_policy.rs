//! `plumb verify-policy`: is this scan policy signed by a trusted, unrevoked key, well formed,
//! and are its rule sets the ones it pins?

use super::Output;
use crate::cli::{TrustArgs, VerifyPolicyArgs};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::output;
use crate::policy::{self, PolicyReport, TrustSource, VerifyRequest};
use crate::report::Format;
use std::path::PathBuf;

pub fn run(args: &VerifyPolicyArgs, config: &Config, output: &Output) -> Result<u8> {
    let policy = args
        .policy
        .clone()
        .or_else(|| config.policy.clone())
        .ok_or_else(|| {
            Error::args(
                "no policy given: pass POLICY, set PLUMB_POLICY, or set `policy` in the config file",
            )
        })?;
    let report = verify(&policy, &args.trust, config, false)?;
    let text = match output.format {
        Format::Json => serde_json::to_string_pretty(&report).map_err(Error::Json)? + "\n",
        Format::Table => policy::render_table(&report, output.color),
        other => {
            return Err(Error::args(format!(
                "verify-policy prints table or json, not {other:?}"
            )));
        }
    };
    output::print(&text)?;
    Ok(report.exit_code())
}

/// Verifies `policy` against the trust configured by flags, environment or config file.
/// Unreadable inputs are usage errors (exit 2); an invalid policy is a report, not an error.
/// `accept_unsigned` (scan's `--allow-unsigned-policy`) parses a policy whose signature does
/// not verify; otherwise such a policy is reported without being parsed.
pub fn verify(
    policy: &std::path::Path,
    trust: &TrustArgs,
    config: &Config,
    accept_unsigned: bool,
) -> Result<PolicyReport> {
    let source = trust_source(trust, config)?;
    let mut request = VerifyRequest::new(policy, source);
    request.accept_unsigned = accept_unsigned;
    request.signature = trust.signature.clone();
    request.revocation_list = trust
        .revocation_list
        .clone()
        .or_else(|| config.revocation_list.clone());
    Ok(policy::verify_policy(&request)?)
}

pub(crate) fn trust_source(trust: &TrustArgs, config: &Config) -> Result<TrustSource> {
    let pick = |key: &Option<PathBuf>, signers: &Option<PathBuf>| match (key, signers) {
        (Some(key), _) => Some(TrustSource::PublicKey(key.clone())),
        (None, Some(signers)) => Some(TrustSource::AllowedSigners(signers.clone())),
        (None, None) => None,
    };
    pick(&trust.key, &trust.allowed_signers)
        .or_else(|| pick(&config.trusted_key, &config.allowed_signers))
        .ok_or_else(|| {
            Error::args(
                "no trusted keys: pass --allowed-signers FILE or --key PUB, set PLUMB_ALLOWED_SIGNERS, or set `allowed_signers` in the config file",
            )
        })
}
