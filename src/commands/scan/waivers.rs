//! The waivers of a scan: the policy's `waivers:` and `--waivers` files, checked as the policy
//! is (a signed policy's waivers files must be signed by the same trust).

use super::LoadedPolicy;
use crate::cli::{ScanArgs, TrustArgs};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::policy::{PolicyReport, RevocationList, TrustSource};
use crate::waivers::{self, WaiverSet};
use std::path::Path;

/// The trust a signed policy verified under, and the revocation list it was checked against.
pub struct PolicySigners {
    trust: TrustSource,
    revocations: Option<RevocationList>,
}

pub(super) fn policy_signers(
    report: &PolicyReport,
    trust: &TrustArgs,
    config: &Config,
) -> Result<PolicySigners> {
    let revocations = report
        .revocation_list
        .as_deref()
        .map(|path| RevocationList::load(Path::new(path)))
        .transpose()
        .map_err(|err| Error::PolicyInput(err.into()))?;
    Ok(PolicySigners {
        trust: crate::commands::verify_policy::trust_source(trust, config)?,
        revocations,
    })
}

/// The run's waivers, judged active or expired at this instant.
pub(super) fn load(args: &ScanArgs, policy: Option<&LoadedPolicy>) -> Result<WaiverSet> {
    let mut all = policy
        .map(|loaded| loaded.policy.waivers.clone())
        .unwrap_or_default();
    let signers = policy.and_then(|loaded| loaded.signers.as_ref());
    for path in &args.waivers {
        let signed = signers.map(|s| waivers::Signed {
            trust: &s.trust,
            revocations: s.revocations.as_ref(),
        });
        all.extend(waivers::read_file(
            path,
            signed,
            args.policy.allow_unsigned_policy,
        )?);
    }
    WaiverSet::new(all, crate::report::now_unix_ms()).map_err(Error::Args)
}
