//! What a scan runs: the state file, a verified policy, rule sources, variables and selection.

use super::*;
use crate::error::{Error, Result};
use crate::rules::VarOrigin;

/// Where the state lives: `--state`/`PLUMB_STATE`, then the config file, then the default
/// file. A URL is read as one here (never as a file), and a malformed one is exit 2.
pub fn state_location(state: Option<&Path>, config: &Config) -> Result<StateLocation> {
    if let Some(value) = state {
        return Ok(StateLocation::parse(value.as_os_str()).map_err(store::StoreError::from)?);
    }
    if let Some(location) = &config.state {
        return Ok(location.clone());
    }
    store::default_state_path()
        .map(StateLocation::Path)
        .ok_or_else(|| {
            Error::args(
                "no state directory is known for this user; pass --state PATH or set PLUMB_STATE",
            )
        })
}

/// The state file a run records into; `None` with `--no-store`.
pub fn open_store(no_store: bool, config: &Config, state: Option<&Path>) -> Result<Option<Store>> {
    if no_store {
        return Ok(None);
    }
    let location = state_location(state, config)?;
    Ok(Some(Store::open_at(&location, store::Access::Create)?))
}

/// Verifies the policy and refuses (exit 2, with an audit event) anything not fit to run.
pub fn load_policy(
    path: &Path,
    args: &crate::cli::PolicyArgs,
    config: &Config,
    mut store: Option<&mut Store>,
) -> Result<LoadedPolicy> {
    let allow_unsigned_policy = args.allow_unsigned_policy;
    let report =
        crate::commands::verify_policy::verify(path, &args.trust, config, allow_unsigned_policy)?;
    let signature_only = report.schema_errors.is_empty()
        && !report.revoked
        && report.pins.iter().all(|pin| pin.matched)
        && report.policy().is_some();
    let refusal = if report.is_valid() {
        None
    } else if allow_unsigned_policy && signature_only {
        tracing::warn!(
            "using policy {} although its signature does not verify (--allow-unsigned-policy): {}",
            path.display(),
            report.problems().join("; ")
        );
        None
    } else {
        Some(report.problems().join("; "))
    };
    let version = report.version.and_then(|v| i64::try_from(v).ok());
    let last_version = match &mut store {
        Some(store) => store.max_policy_version()?,
        None => None,
    };
    let refusal = refusal.or_else(|| match (version, last_version) {
        (Some(version), Some(last)) if version < last => Some(format!(
            "policy version {version} is older than version {last} already used with this state file"
        )),
        _ => None,
    });
    if let Some(reason) = refusal {
        if let Some(store) = store {
            let detail = serde_json::json!({
                "policy": path.display().to_string(),
                "reason": reason,
                "fingerprint": report.signer.as_ref().map(|s| s.fingerprint.clone()),
                "version": report.version,
            });
            if let Err(err) = store.record_audit_event("policy_refused", None, &detail) {
                tracing::warn!("could not record the refusal in the state file: {err}");
            }
        }
        return Err(Error::PolicyRefused {
            path: path.to_owned(),
            reason,
        });
    }
    let policy = report
        .policy()
        .cloned()
        .ok_or_else(|| Error::PolicyRefused {
            path: path.to_owned(),
            reason: "it could not be read".into(),
        })?;
    let base = path.parent().map(Path::to_owned).unwrap_or_default();
    let signers = if report.is_valid() {
        Some(super::waivers::policy_signers(
            &report,
            &args.trust,
            config,
        )?)
    } else {
        None
    };
    Ok(LoadedPolicy {
        policy,
        base,
        source: rule_source_of_policy(path),
        signed: report.is_valid(),
        signers,
    })
}

/// A policy that verified (or was accepted unsigned with `--allow-unsigned-policy`).
pub struct LoadedPolicy {
    pub policy: crate::policy::Policy,
    /// The policy file's directory: rule set paths are relative to it.
    base: PathBuf,
    /// The rule source its scans are recorded under.
    source: String,
    /// Its signature verified (not accepted with `--allow-unsigned-policy`).
    pub signed: bool,
    /// Who signed it, so files that travel with it (`--waivers`) are checked the same way;
    /// `None` when it is not signed.
    pub(super) signers: Option<super::waivers::PolicySigners>,
}

impl LoadedPolicy {
    /// The policy's `inventory`, resolved against the policy file's directory.
    pub fn inventory(&self) -> Option<PathBuf> {
        self.policy
            .inventory
            .as_ref()
            .map(|path| self.base.join(path))
    }
}

/// A scan's rule source names its baseline in the state file: a rule is recorded `removed`
/// only when a full scan of the same source no longer has it. Paths are absolute, so the same
/// rules reached through another working directory are the same source.
fn rule_source_of_policy(path: &Path) -> String {
    format!("policy:{}", absolute(path).display())
}

fn rule_source_of_paths(paths: &[PathBuf]) -> String {
    let mut names: Vec<String> = paths
        .iter()
        .map(|path| absolute(path).display().to_string())
        .collect();
    names.sort();
    names.dedup();
    format!("rules:{}", names.join("\n"))
}

fn absolute(path: &Path) -> PathBuf {
    std::fs::canonicalize(path)
        .or_else(|_| std::path::absolute(path))
        .unwrap_or_else(|_| path.to_owned())
}

/// The embedded pack's rule source.
pub(super) const EMBEDDED_SOURCE: &str = "embedded";

pub(super) fn plan_scan(args: &ScanArgs, policy: Option<&LoadedPolicy>) -> Result<Plan> {
    let mut policy_vars = rules::Vars::new();
    let rule_source = match policy {
        Some(loaded) => loaded.source.clone(),
        None if args.rules.rules.is_empty() => EMBEDDED_SOURCE.to_owned(),
        None => rule_source_of_paths(&args.rules.rules),
    };
    let rule_source = selection(args).source_name(&rule_source);
    let sources = match policy {
        Some(loaded) => {
            if !args.rules.rules.is_empty() {
                return Err(Error::args(
                    "--rules and --policy both name rules; a policy pins its own rule sets",
                ));
            }
            let origin = if loaded.signed {
                VarOrigin::SignedPolicy
            } else {
                VarOrigin::UnsignedPolicy
            };
            policy_vars = rules::vars_from(&loaded.policy.vars, &origin);
            let mut sources = Vec::new();
            for pin in &loaded.policy.rulesets {
                let path = loaded.base.join(&pin.path);
                let read = read_rule_sources(std::slice::from_ref(&path))?;
                check_pin_of_read_sources(&path, &pin.sha256, &read)?;
                sources.extend(read);
            }
            sources
        }
        None if args.rules.rules.is_empty() => rules::embedded_sources(),
        None => read_rule_sources(&args.rules.rules)?,
    };
    let cli_vars = rules::vars_from(&parse_vars(&args.rules.vars)?, &VarOrigin::CommandLine);
    let file_vars = rules::read_vars_files(&args.rules.vars_files)?;
    // Load up front so rule errors surface before any host is contacted; hosts without
    // inventory vars use this set as it is.
    let vars = merge_vars(&file_vars, None, Some(&policy_vars), &cli_vars);
    let dialect = args.rules.rules_dialect;
    let rules = select(rules::load_as(&sources, &vars, dialect)?, args)?;
    let evidence_max_bytes = match (args.evidence_max_bytes, policy) {
        (Some(bytes), _) => bytes,
        (None, Some(loaded)) => loaded.policy.evidence.max_bytes as usize,
        (None, None) => eval::DEFAULT_EVIDENCE_BYTES,
    };
    if evidence_max_bytes > MAX_EVIDENCE_BYTES {
        return Err(Error::args(format!(
            "an evidence cap of {evidence_max_bytes} bytes is over the hard ceiling of {MAX_EVIDENCE_BYTES} bytes"
        )));
    }
    Ok(Plan {
        ruleset_hash: ruleset_hash(&sources),
        rule_source,
        scope: selection(args).scope(),
        rules: (vars, rules),
        sources,
        policy_vars,
        cli_vars,
        file_vars,
        dialect,
        evidence_max_bytes,
        policy_version: policy.and_then(|p| i64::try_from(p.policy.version).ok()),
        ssh: policy.map(|p| p.policy.ssh.clone()),
    })
}

/// Verification hashed the pinned files; this checks the bytes actually loaded, so a file
/// changed after verification is never run unpinned.
pub(super) fn check_pin_of_read_sources(
    path: &Path,
    pinned: &str,
    sources: &[RuleSource],
) -> Result<()> {
    let actual = if path.is_dir() {
        let prefix = format!("{}/", path.display().to_string().trim_end_matches('/'));
        crate::policy::manifest_hash(sources.iter().map(|source| {
            let rel = source.name.strip_prefix(&prefix).unwrap_or(&source.name);
            (rel, source.text.as_bytes())
        }))
    } else {
        let text = sources
            .first()
            .map(|s| s.text.as_bytes())
            .unwrap_or_default();
        crate::policy::bytes_hash(text)
    };
    if actual.eq_ignore_ascii_case(pinned) {
        Ok(())
    } else {
        Err(Error::PinMismatch {
            path: path.to_owned(),
            pinned: pinned.to_owned(),
            actual,
        })
    }
}

/// A hash naming the rule content scanned: sha256 over `<sha256 of file>  <name>` lines.
pub(super) fn ruleset_hash(sources: &[RuleSource]) -> String {
    let mut lines: Vec<String> = sources
        .iter()
        .map(|source| format!("{}  {}\n", sha256_hex(source.text.as_bytes()), source.name))
        .collect();
    lines.sort();
    sha256_hex(lines.concat().as_bytes())
}

pub(super) fn read_rule_sources(paths: &[PathBuf]) -> Result<Vec<RuleSource>> {
    Ok(rules::read_sources(paths)?)
}

fn selection(args: &ScanArgs) -> Selection {
    Selection {
        profiles: args.profile.profiles.clone(),
        rule_ids: args.rule_ids.clone(),
        tags: args.tags.clone(),
        min_severity: args.min_severity.map(Into::into),
        exclude: args.exclude.clone(),
    }
}

/// Applies `--profile`, `--rule`, `--tag`, `--min-severity` and `--exclude`.
pub(super) fn select(set: RuleSet, args: &ScanArgs) -> Result<RuleSet> {
    selection(args).apply(set).map_err(Error::Args)
}

/// The variables a rule set loads with, the one place their precedence is set. Lowest first:
/// a rule's own `vars` defaults (applied by the loader), `--vars-file` files (later files
/// win), the host's inventory vars, the policy's vars, `--var`. The inventory is not signed, so
/// it cannot change what a (signed) policy sets; `--var` is the operator at the keyboard.
pub fn merge_vars(
    files: &rules::Vars,
    inventory: Option<rules::Vars>,
    policy: Option<&rules::Vars>,
    cli: &rules::Vars,
) -> rules::Vars {
    let mut merged = files.clone();
    merged.extend(inventory.unwrap_or_default());
    merged.extend(policy.cloned().unwrap_or_default());
    merged.extend(cli.clone());
    merged
}

pub fn parse_vars(pairs: &[String]) -> Result<BTreeMap<String, String>> {
    pairs
        .iter()
        .map(|pair| match pair.split_once('=') {
            Some((key, value)) if !key.trim().is_empty() => {
                Ok((key.trim().to_owned(), value.to_owned()))
            }
            _ => Err(Error::args(format!(
                "--var `{pair}` must look like KEY=VALUE"
            ))),
        })
        .collect()
}
