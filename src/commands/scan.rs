//! `plumb scan`: load rules, gather facts, evaluate, report.

use super::Output;
use crate::canonical::sha256_hex;
use crate::cli::ScanArgs;
use crate::config::Config;
use crate::eval::{self, EvalOptions, MAX_EVIDENCE_BYTES, RuleResult, Status};
use crate::exit;
use crate::probe::{self, Facts, ProbePlan};
use crate::report::{self, Changes, HostOutcome, HostReport, RenderOptions, ScanReport, Summary};
use crate::rules::{self, RuleSet, RuleSource, Selection, Severity};
use crate::store::{self, HostRecord, ResultRecord, ScanBatch, ScanStatus, Store, Trigger};
use anyhow::{Context, Result, anyhow};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Everything a scan was asked for, resolved from flags, environment, config and policy.
struct Plan {
    rules: RuleSet,
    ruleset_hash: String,
    evidence_max_bytes: usize,
    policy_version: Option<i64>,
}

pub fn run(args: &ScanArgs, config: &Config, state: Option<&Path>, output: &Output) -> Result<u8> {
    let mut store = open_store(args, config, state)?;
    let policy = match args.policy.as_ref().or(config.policy.as_ref()) {
        Some(path) => Some(load_policy(path, args, config, store.as_mut())?),
        None => None,
    };
    let plan = plan_scan(args, policy.as_ref())?;
    let root = scan_root(args.root.as_deref())?;
    let options = EvalOptions {
        evidence_max_bytes: plan.evidence_max_bytes,
    };
    let started_at = report::now_unix_ms();
    let clock = Instant::now();
    let probe_plan = ProbePlan::for_rules(&plan.rules, args.root.is_some());
    tracing::info!(
        rules = plan.rules.rules.len(),
        facts = probe_plan.len(),
        "probe plan ready"
    );
    let (facts, gather_timings) = if args.via_shell {
        let mark = Instant::now();
        let facts = probe::shell::gather_local(&probe_plan, &root)
            .map_err(|err| exit::operational(anyhow!(err)))?;
        let mut timings = probe::Timings::default();
        timings.add("total (shell)", mark.elapsed());
        (facts, timings)
    } else {
        probe::native::gather(&probe_plan, &root)
    };
    let (results, eval_timings) = eval::evaluate_all(&plan.rules, &facts, &options);
    tracing::debug!(?gather_timings, ?eval_timings, "timings");
    let finished_at = report::now_unix_ms();

    let host = host_name(args, &root);
    let mut host_report = HostReport {
        host: host.clone(),
        outcome: HostOutcome::Ok,
        error: None,
        platform: platform_name(&facts),
        scan_id: None,
        started_at: report::rfc3339(started_at),
        duration_ms: u64::try_from(clock.elapsed().as_millis()).unwrap_or(u64::MAX),
        summary: Summary::of(&results),
        changes: None,
        results,
    };
    if let Some(store) = store.as_mut() {
        let previous = store
            .scans(Some(&host), 1)
            .map_err(exit::operational)?
            .into_iter()
            .next()
            .map(|scan| scan.scan_id);
        let batch = scan_batch(&host_report, &plan, started_at, finished_at);
        let outcome = store.apply_scan(&batch).map_err(exit::operational)?;
        host_report.scan_id = Some(outcome.scan_id.to_string());
        host_report.changes = Some(Changes {
            previous_scan: previous,
            ..changes_of(&outcome)
        });
    }
    let code = exit_code(std::slice::from_ref(&host_report), args);
    let scan_report = ScanReport {
        schema_version: report::JSON_SCHEMA_VERSION,
        tool: report::TOOL,
        generated_at: report::rfc3339(report::now_unix_ms()),
        summary: host_report.summary.clone(),
        hosts: vec![host_report],
    };
    emit(&scan_report, &plan.rules, args.output.as_deref(), output)?;
    Ok(code)
}

/// The state file path: `--state`/`PLUMB_STATE`, then the config file, then the default.
pub fn state_path(state: Option<&Path>, config: &Config) -> Result<PathBuf> {
    state
        .map(Path::to_owned)
        .or_else(|| config.state.clone())
        .or_else(store::default_state_path)
        .ok_or_else(|| {
            exit::usage(anyhow!(
                "no state directory is known for this user; pass --state PATH or set PLUMB_STATE"
            ))
        })
}

fn open_store(args: &ScanArgs, config: &Config, state: Option<&Path>) -> Result<Option<Store>> {
    if args.no_store {
        return Ok(None);
    }
    let path = state_path(state, config)?;
    Store::open(&path).map(Some).map_err(exit::operational)
}

/// Verifies the policy and refuses (exit 2, with an audit event) anything not fit to run.
fn load_policy(
    path: &Path,
    args: &ScanArgs,
    config: &Config,
    store: Option<&mut Store>,
) -> Result<LoadedPolicy> {
    let report = super::verify_policy::verify(path, &args.trust, config)?;
    let signature_only = report.schema_errors.is_empty()
        && !report.revoked
        && report.pins.iter().all(|pin| pin.matched)
        && report.policy().is_some();
    let refusal = if report.is_valid() {
        None
    } else if args.allow_unsigned_policy && signature_only {
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
    let last_version = match &store {
        Some(store) => store.max_policy_version().map_err(exit::operational)?,
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
        return Err(exit::usage(anyhow!(
            "refusing policy {}: {reason}",
            path.display()
        )));
    }
    let policy = report
        .policy()
        .cloned()
        .ok_or_else(|| exit::usage(anyhow!("policy {} could not be read", path.display())))?;
    let base = path.parent().map(Path::to_owned).unwrap_or_default();
    Ok(LoadedPolicy { policy, base })
}

struct LoadedPolicy {
    policy: crate::policy::Policy,
    /// The policy file's directory: rule set paths are relative to it.
    base: PathBuf,
}

fn plan_scan(args: &ScanArgs, policy: Option<&LoadedPolicy>) -> Result<Plan> {
    let mut vars = BTreeMap::new();
    let sources = match policy {
        Some(loaded) => {
            if !args.rules.is_empty() {
                return Err(exit::usage(anyhow!(
                    "--rules and --policy both name rules; a policy pins its own rule sets"
                )));
            }
            vars.extend(loaded.policy.vars.clone());
            let paths: Vec<PathBuf> = loaded
                .policy
                .rulesets
                .iter()
                .map(|pin| loaded.base.join(&pin.path))
                .collect();
            read_rule_sources(&paths)?
        }
        None if args.rules.is_empty() => rules::embedded_sources(),
        None => read_rule_sources(&args.rules)?,
    };
    vars.extend(parse_vars(&args.vars)?);
    let rules = select(rules::load(&sources, &vars).map_err(exit::usage)?, args)?;
    let evidence_max_bytes = match (args.evidence_max_bytes, policy) {
        (Some(bytes), _) => bytes,
        (None, Some(loaded)) => loaded.policy.evidence.max_bytes as usize,
        (None, None) => eval::DEFAULT_EVIDENCE_BYTES,
    };
    if evidence_max_bytes > MAX_EVIDENCE_BYTES {
        return Err(exit::usage(anyhow!(
            "an evidence cap of {evidence_max_bytes} bytes is over the hard ceiling of {MAX_EVIDENCE_BYTES} bytes"
        )));
    }
    Ok(Plan {
        ruleset_hash: ruleset_hash(&sources),
        rules,
        evidence_max_bytes,
        policy_version: policy.and_then(|p| i64::try_from(p.policy.version).ok()),
    })
}

/// A hash naming the rule content scanned: sha256 over `<sha256 of file>  <name>` lines.
fn ruleset_hash(sources: &[RuleSource]) -> String {
    let mut lines: Vec<String> = sources
        .iter()
        .map(|source| format!("{}  {}\n", sha256_hex(source.text.as_bytes()), source.name))
        .collect();
    lines.sort();
    sha256_hex(lines.concat().as_bytes())
}

fn read_rule_sources(paths: &[PathBuf]) -> Result<Vec<RuleSource>> {
    rules::read_sources(paths).map_err(|err| match err {
        rules::LoadError::Io { .. } => exit::operational(err),
        other => exit::usage(other),
    })
}

fn scan_batch(host: &HostReport, plan: &Plan, started_at: i64, finished_at: i64) -> ScanBatch {
    let trigger = if std::env::var_os("CI").is_some() {
        Trigger::Ci
    } else {
        Trigger::Manual
    };
    ScanBatch {
        scan_id: uuid::Uuid::new_v4(),
        host: HostRecord {
            name: host.host.clone(),
            address: None,
            port: None,
            user: None,
            labels: BTreeMap::new(),
        },
        trigger,
        started_at,
        finished_at: finished_at.max(started_at),
        status: ScanStatus::Ok,
        error: None,
        policy_version: plan.policy_version,
        ruleset_hash: plan.ruleset_hash.clone(),
        results: host.results.iter().map(result_record).collect(),
    }
}

pub fn result_record(result: &RuleResult) -> ResultRecord {
    ResultRecord {
        rule_id: result.rule_id.clone(),
        title: result.title.clone(),
        severity: store_severity(result.severity),
        status: match result.status {
            Status::Pass => store::Status::Pass,
            Status::Fail => store::Status::Fail,
            Status::Skipped => store::Status::Skipped,
            Status::Error => store::Status::Error,
        },
        reason: result.reason.map(|reason| reason.as_str().to_owned()),
        evidence: serde_json::json!({
            "checks": result.evidence,
            "detail": result.detail,
            "implementation": result.implementation,
        }),
    }
}

fn store_severity(severity: Severity) -> store::Severity {
    match severity {
        Severity::Low => store::Severity::Low,
        Severity::Medium => store::Severity::Medium,
        Severity::High => store::Severity::High,
        Severity::Critical => store::Severity::Critical,
    }
}

/// New failures, fixes and removals since the host's previous scan.
pub fn changes_of(outcome: &store::ApplyOutcome) -> Changes {
    let mut changes = Changes {
        changed: outcome.changes.len(),
        ..Changes::default()
    };
    for change in &outcome.changes {
        let was_failing = change.previous_status == Some(store::Status::Fail);
        match (change.kind, change.new_status) {
            (store::ChangeKind::Removed, _) => changes.removed.push(change.rule_id.clone()),
            (_, Some(store::Status::Fail)) if !was_failing => {
                changes.new_failures.push(change.rule_id.clone())
            }
            (_, Some(store::Status::Pass)) if was_failing => {
                changes.fixed.push(change.rule_id.clone())
            }
            _ => {}
        }
    }
    changes
}

/// Applies `--rule`, `--tag`, `--min-severity` and `--exclude`.
fn select(set: RuleSet, args: &ScanArgs) -> Result<RuleSet> {
    let selection = Selection {
        rule_ids: args.rule_ids.clone(),
        tags: args.tags.clone(),
        min_severity: args.min_severity.map(Into::into),
        exclude: args.exclude.clone(),
    };
    selection
        .apply(set)
        .map_err(|err| exit::usage(anyhow!(err)))
}

pub fn parse_vars(pairs: &[String]) -> Result<BTreeMap<String, String>> {
    pairs
        .iter()
        .map(|pair| match pair.split_once('=') {
            Some((key, value)) if !key.trim().is_empty() => {
                Ok((key.trim().to_owned(), value.to_owned()))
            }
            _ => Err(exit::usage(anyhow!(
                "--var `{pair}` must look like KEY=VALUE"
            ))),
        })
        .collect()
}

fn scan_root(root: Option<&Path>) -> Result<PathBuf> {
    let Some(root) = root else {
        return Ok(PathBuf::from("/"));
    };
    let meta = std::fs::metadata(root)
        .with_context(|| format!("--root {}: cannot read the directory", root.display()))?;
    if !meta.is_dir() {
        return Err(exit::operational(anyhow!(
            "--root {} is not a directory",
            root.display()
        )));
    }
    Ok(root.to_owned())
}

fn host_name(args: &ScanArgs, root: &Path) -> String {
    if let Some(name) = &args.host_name {
        return name.clone();
    }
    if args.root.is_some() {
        let canonical = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_owned());
        return canonical.file_name().map_or_else(
            || canonical.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
    }
    local_hostname()
}

pub fn local_hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname NUL-terminates on success.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc == 0 {
        let len = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
        if let Ok(name) = std::str::from_utf8(&buf[..len]) {
            if !name.is_empty() {
                return name.to_owned();
            }
        }
    }
    "localhost".into()
}

fn platform_name(facts: &Facts) -> Option<String> {
    let host = eval::HostView::new(facts);
    let os = host.os_release();
    os.get("PRETTY_NAME").cloned().or_else(|| {
        let id = os.get("ID")?;
        Some(match os.get("VERSION_ID") {
            Some(version) => format!("{id} {version}"),
            None => id.clone(),
        })
    })
}

/// 1 when any result at or above `--fail-on` failed; 3 when a host could not be scanned.
pub fn exit_code(hosts: &[HostReport], args: &ScanArgs) -> u8 {
    let Some(threshold) = args.fail_on.threshold() else {
        return exit::CLEAN;
    };
    if hosts.iter().any(|h| h.outcome == HostOutcome::Error) {
        return exit::OPERATIONAL;
    }
    let failed =
        |result: &RuleResult| result.status == Status::Fail && result.severity >= threshold;
    if hosts.iter().flat_map(|h| &h.results).any(failed) {
        exit::FINDINGS
    } else {
        exit::CLEAN
    }
}

/// Renders the report to `--output` (atomically) or stdout.
pub fn emit(
    report: &ScanReport,
    rules: &RuleSet,
    path: Option<&Path>,
    output: &Output,
) -> Result<()> {
    let catalog = report::catalog(&rules.rules);
    let color = output.color && path.is_none();
    let options = RenderOptions {
        color,
        width: if path.is_none() {
            report::terminal_width()
        } else {
            None
        },
    };
    let mut text = report::render(output.format, report, &catalog, options)?;
    if !text.ends_with('\n') {
        text.push('\n');
    }
    match path {
        Some(path) => report::write_atomic(path, text.as_bytes())
            .with_context(|| format!("cannot write the report to {}", path.display())),
        None => {
            let mut stdout = std::io::stdout().lock();
            match stdout
                .write_all(text.as_bytes())
                .and_then(|()| stdout.flush())
            {
                // A closed pipe (`plumb scan | head`) is the reader's choice, not an error.
                Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                other => other.context("cannot write the report to stdout"),
            }
        }
    }
}
