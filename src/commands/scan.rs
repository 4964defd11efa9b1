//! `plumb scan`: load rules, gather facts, evaluate, report.

use super::Output;
use crate::canonical::sha256_hex;
use crate::cli::ScanArgs;
use crate::config::Config;
use crate::eval::{self, EvalOptions, MAX_EVIDENCE_BYTES, RuleResult, Status};
use crate::exit;
use crate::fleet::{self, Failure, Probe, Via};
use crate::inventory;
use crate::probe::ssh::{SshOptions, SshTarget};
use crate::probe::{Facts, ProbePlan};
use crate::report::{self, Changes, HostOutcome, HostReport, RenderOptions, ScanReport, Summary};
use crate::rules::{self, RuleSet, RuleSource, Selection};
use crate::store::{self, HostRecord, ResultRecord, ScanBatch, ScanStatus, Store, Trigger};
use anyhow::{Context, Result, anyhow};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Everything a scan was asked for, resolved from flags, environment, config and policy.
struct Plan {
    sources: Vec<RuleSource>,
    /// The rules loaded with policy and `--var` variables, and those variables.
    rules: (BTreeMap<String, String>, RuleSet),
    /// Policy vars, then `--var` (inventory vars go between them, per host).
    policy_vars: BTreeMap<String, String>,
    cli_vars: BTreeMap<String, String>,
    ruleset_hash: String,
    evidence_max_bytes: usize,
    policy_version: Option<i64>,
    ssh: Option<crate::policy::SshSettings>,
}

/// One host of this run and what it is scanned with.
struct Target {
    probe: Probe,
    record: HostRecord,
    rules: usize,
}

pub fn run(args: &ScanArgs, config: &Config, state: Option<&Path>, output: &Output) -> Result<u8> {
    let mut store = open_store(args, config, state)?;
    let policy = match args.policy.as_ref().or(config.policy.as_ref()) {
        Some(path) => Some(load_policy(path, args, config, store.as_mut())?),
        None => None,
    };
    let plan = plan_scan(args, policy.as_ref())?;
    let options = EvalOptions {
        evidence_max_bytes: plan.evidence_max_bytes,
    };
    let (targets, rule_sets) = targets(args, &plan)?;
    let mut plans = Vec::new();
    let mut probes = Vec::with_capacity(targets.len());
    for target in &targets {
        let offline = target.probe.root.is_some();
        let probe_plan = ProbePlan::for_rules(&rule_sets[target.rules], offline);
        let index = match plans.iter().position(|p| *p == probe_plan) {
            Some(index) => index,
            None => {
                plans.push(probe_plan);
                plans.len() - 1
            }
        };
        probes.push(Probe {
            plan: index,
            ..target.probe.clone()
        });
    }
    tracing::info!(
        hosts = targets.len(),
        plans = plans.len(),
        "probe plans ready"
    );

    // A host another plumb run is scanning is skipped, not scanned twice.
    let owner = format!("{}:{}", std::process::id(), uuid::Uuid::new_v4());
    let lock_ttl = lock_ttl(args, &plan);
    let mut locked = vec![false; targets.len()];
    if let Some(store) = store.as_mut() {
        for (index, target) in targets.iter().enumerate() {
            locked[index] = store
                .try_lock_host(&target.record.name, &owner, lock_ttl)
                .map_err(exit::operational)?;
        }
    }
    let runnable: Vec<Probe> = probes
        .iter()
        .zip(&locked)
        .filter(|(_, locked)| **locked || store.is_none())
        .map(|(probe, _)| probe.clone())
        .collect();
    let mut gathered = fleet::gather_all(
        &runnable,
        &plans,
        concurrency(args, &plan),
        output.interactive,
    )?
    .into_iter();

    let mut hosts = Vec::with_capacity(targets.len());
    let mut states = Vec::with_capacity(targets.len());
    for (index, target) in targets.iter().enumerate() {
        let got = if locked[index] || store.is_none() {
            gathered.next()
        } else {
            None
        };
        let got = got.unwrap_or_else(|| fleet::Gathered {
            facts: Err((
                Failure::Busy,
                "another plumb run is scanning this host".into(),
            )),
            started_at: report::now_unix_ms(),
            elapsed: std::time::Duration::ZERO,
        });
        let rules = &rule_sets[target.rules];
        let (mut host_report, state) = host_report(&target.record.name, got, rules, &options);
        if let Some(store) = store.as_mut() {
            if locked[index] {
                record_scan(store, target, &mut host_report, &plan)?;
                if let Err(err) = store.unlock_host(&target.record.name, &owner) {
                    tracing::warn!(
                        "could not release the lock on {}: {err}",
                        target.record.name
                    );
                }
            }
        }
        states.push(state);
        hosts.push(host_report);
    }
    if !output.quiet
        && (hosts.len() > 1 || targets.iter().any(|t| matches!(t.probe.via, Via::Ssh(_))))
    {
        eprint!("{}", fleet_summary(&hosts, &states));
    }
    let code = exit_code(&hosts, args);
    let mut summary = Summary::default();
    for host in &hosts {
        summary.add(&host.summary);
    }
    let scan_report = ScanReport {
        schema_version: report::JSON_SCHEMA_VERSION,
        tool: report::TOOL,
        generated_at: report::rfc3339(report::now_unix_ms()),
        summary,
        hosts,
    };
    let mut all_rules = RuleSet::default();
    for set in rule_sets {
        for rule in set.rules {
            if !all_rules.rules.iter().any(|r| r.id == rule.id) {
                all_rules.rules.push(rule);
            }
        }
    }
    emit(&scan_report, &all_rules, args.output.as_deref(), output)?;
    Ok(code)
}

/// The hosts of this run: CLI hosts, inventory hosts, and this machine, each with the rule set
/// its variables give.
fn targets(args: &ScanArgs, plan: &Plan) -> Result<(Vec<Target>, Vec<RuleSet>)> {
    let ssh_options = ssh_options(args, plan)?;
    let mut rule_sets: Vec<(BTreeMap<String, String>, RuleSet)> = vec![plan.rules.clone()];
    let mut rules_for = |vars: &BTreeMap<String, String>| -> Result<usize> {
        let mut merged = plan.policy_vars.clone();
        merged.extend(vars.clone());
        merged.extend(plan.cli_vars.clone());
        if let Some(index) = rule_sets.iter().position(|(v, _)| *v == merged) {
            return Ok(index);
        }
        let set = select(
            rules::load(&plan.sources, &merged).map_err(exit::usage)?,
            args,
        )?;
        rule_sets.push((merged, set));
        Ok(rule_sets.len() - 1)
    };
    let mut targets = Vec::new();
    let remote = |name: &str, destination: &str, options: SshOptions| -> Result<Via> {
        SshTarget::new(destination, options)
            .map(|target| Via::Ssh(Box::new(target)))
            .map_err(|err| exit::usage(anyhow!("host `{name}`: {err}")))
    };
    for host in &args.hosts {
        targets.push(Target {
            probe: Probe {
                name: host.clone(),
                via: remote(host, host, ssh_options.clone())?,
                root: None,
                plan: 0,
            },
            record: host_record(host, None, None, None, BTreeMap::new()),
            rules: rules_for(&BTreeMap::new())?,
        });
    }
    if !args.limit.is_empty() && args.inventory.is_none() {
        return Err(exit::usage(anyhow!(
            "--limit selects inventory hosts; pass -i/--inventory FILE"
        )));
    }
    if let Some(path) = &args.inventory {
        let limit = inventory::Limit::new(&args.limit).map_err(|err| exit::usage(anyhow!(err)))?;
        let hosts = inventory::load(path).map_err(|err| match err {
            inventory::InventoryError::Io { .. } => exit::operational(err),
            other => exit::usage(other),
        })?;
        let selected: Vec<_> = hosts.into_iter().filter(|h| limit.selects(h)).collect();
        if selected.is_empty() {
            return Err(exit::usage(anyhow!(
                "no host of {} matches --limit {}",
                path.display(),
                args.limit.join(",")
            )));
        }
        for host in selected {
            let mut options = ssh_options.clone();
            options.user = host.user.clone().or(options.user);
            options.port = host.port.or(options.port);
            let destination = host.address.clone().unwrap_or_else(|| host.name.clone());
            targets.push(Target {
                probe: Probe {
                    name: host.name.clone(),
                    via: remote(&host.name, &destination, options)?,
                    root: host.root.clone(),
                    plan: 0,
                },
                rules: rules_for(&host.vars)?,
                record: host_record(&host.name, host.address, host.port, host.user, host.labels),
            });
        }
    }
    if args.local || targets.is_empty() {
        let root = match &args.root {
            Some(root) => Some(scan_root(root)?),
            None => None,
        };
        let name = host_name(args, root.as_deref());
        targets.push(Target {
            probe: Probe {
                name: name.clone(),
                via: if args.via_shell {
                    Via::LocalShell
                } else {
                    Via::Native
                },
                root: root.map(|r| r.display().to_string()),
                plan: 0,
            },
            record: host_record(&name, None, None, None, BTreeMap::new()),
            rules: rules_for(&BTreeMap::new())?,
        });
    } else if args.root.is_some() {
        return Err(exit::usage(anyhow!(
            "--root applies to this machine; with remote hosts add --local, or give a per-host `root` in the inventory"
        )));
    }
    let mut seen = std::collections::BTreeSet::new();
    for target in &targets {
        if !seen.insert(target.record.name.as_str()) {
            return Err(exit::usage(anyhow!(
                "host `{}` is named twice",
                target.record.name
            )));
        }
    }
    Ok((targets, rule_sets.into_iter().map(|(_, set)| set).collect()))
}

fn host_record(
    name: &str,
    address: Option<String>,
    port: Option<u16>,
    user: Option<String>,
    labels: BTreeMap<String, String>,
) -> HostRecord {
    HostRecord {
        name: name.to_owned(),
        address,
        port,
        user,
        labels,
    }
}

/// SSH settings: flags, then the policy's `ssh:` section, then defaults.
fn ssh_options(args: &ScanArgs, plan: &Plan) -> Result<SshOptions> {
    let ssh = &args.ssh;
    let policy = plan.ssh.as_ref();
    let mut options = SshOptions {
        user: ssh.user.clone(),
        port: ssh.port,
        identity: ssh.identity.clone(),
        ssh_options: ssh.ssh_options.clone(),
        config_file: ssh.ssh_config.clone(),
        known_hosts: ssh.known_hosts.clone(),
        sudo: ssh.sudo || policy.is_some_and(|p| p.sudo),
        max_output: ssh.max_output,
        ..SshOptions::default()
    };
    options.host_key_policy = ssh
        .host_key_policy
        .or(policy.map(|p| p.host_key_policy))
        .unwrap_or_default();
    if let Some(seconds) = ssh.connect_timeout {
        options.connect_timeout = std::time::Duration::from_secs(seconds.max(1));
    } else if let Some(policy) = policy {
        options.connect_timeout = policy.connect_timeout.as_duration();
    }
    if let Some(seconds) = ssh.probe_timeout {
        options.probe_timeout = std::time::Duration::from_secs(seconds.max(1));
    } else if let Some(policy) = policy {
        options.probe_timeout = policy.probe_timeout.as_duration();
    }
    Ok(options)
}

fn concurrency(args: &ScanArgs, plan: &Plan) -> usize {
    args.ssh
        .concurrency
        .or(plan.ssh.as_ref().map(|p| p.concurrency))
        .unwrap_or(16) as usize
}

/// How long a host lock lives: past any probe of this run, so a crashed run frees it.
fn lock_ttl(args: &ScanArgs, plan: &Plan) -> std::time::Duration {
    let probe = ssh_options(args, plan)
        .map(|o| o.connect_timeout * 2 + o.probe_timeout)
        .unwrap_or(std::time::Duration::from_secs(600));
    probe + std::time::Duration::from_secs(60)
}

/// Evaluates a gathered host (or reports why it has no facts).
fn host_report(
    name: &str,
    gathered: fleet::Gathered,
    rules: &RuleSet,
    options: &EvalOptions,
) -> (HostReport, Option<Failure>) {
    let duration_ms = u64::try_from(gathered.elapsed.as_millis()).unwrap_or(u64::MAX);
    let mut report = HostReport {
        host: name.to_owned(),
        outcome: HostOutcome::Ok,
        error: None,
        platform: None,
        scan_id: None,
        started_at: report::rfc3339(gathered.started_at),
        duration_ms,
        summary: Summary::default(),
        changes: None,
        results: Vec::new(),
    };
    match gathered.facts {
        Ok(facts) => {
            let (results, timings) = eval::evaluate_all(rules, &facts, options);
            tracing::debug!(host = name, ?timings, "evaluated");
            report.platform = platform_name(&facts);
            report.summary = Summary::of(&results);
            report.results = results;
            (report, None)
        }
        Err((failure, message)) => {
            report.outcome = HostOutcome::Error;
            report.error = Some(message);
            (report, Some(failure))
        }
    }
}

/// Stores one host's scan (an `error` scan when it could not be scanned) and fills in what
/// changed since its previous scan.
fn record_scan(
    store: &mut Store,
    target: &Target,
    host: &mut HostReport,
    plan: &Plan,
) -> Result<()> {
    let previous = store
        .scans(Some(&host.host), 1)
        .map_err(exit::operational)?
        .into_iter()
        .next()
        .map(|scan| scan.scan_id);
    let finished_at = report::now_unix_ms();
    let started_at = finished_at - i64::try_from(host.duration_ms).unwrap_or(0);
    let batch = scan_batch(host, target.record.clone(), plan, started_at, finished_at);
    let outcome = store.apply_scan(&batch).map_err(exit::operational)?;
    host.scan_id = Some(outcome.scan_id.to_string());
    if host.outcome == HostOutcome::Ok {
        host.changes = Some(Changes {
            previous_scan: previous,
            ..changes_of(&outcome)
        });
    }
    Ok(())
}

/// The end-of-run summary on stderr: each host's status and the totals.
fn fleet_summary(hosts: &[HostReport], states: &[Option<Failure>]) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut lines = String::new();
    for (host, state) in hosts.iter().zip(states) {
        let label = match state {
            Some(failure) => failure.label(),
            None if host.summary.fail > 0 => "failures",
            None => "ok",
        };
        *counts.entry(label).or_default() += 1;
        let detail = match (&host.error, host.summary.score) {
            (Some(error), _) => error.clone(),
            (None, Some(score)) => format!("{} failed, score {score}%", host.summary.fail),
            (None, None) => format!("{} failed", host.summary.fail),
        };
        lines.push_str(&format!("  {:<24} {:<16} {detail}\n", host.host, label));
    }
    let totals: Vec<String> = counts
        .iter()
        .map(|(label, n)| format!("{n} {label}"))
        .collect();
    format!("hosts: {} ({})\n{lines}", hosts.len(), totals.join(", "))
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
    let mut policy_vars = BTreeMap::new();
    let sources = match policy {
        Some(loaded) => {
            if !args.rules.is_empty() {
                return Err(exit::usage(anyhow!(
                    "--rules and --policy both name rules; a policy pins its own rule sets"
                )));
            }
            policy_vars.extend(loaded.policy.vars.clone());
            let mut sources = Vec::new();
            for pin in &loaded.policy.rulesets {
                let path = loaded.base.join(&pin.path);
                let read = read_rule_sources(std::slice::from_ref(&path))?;
                check_pin_of_read_sources(&path, &pin.sha256, &read)?;
                sources.extend(read);
            }
            sources
        }
        None if args.rules.is_empty() => rules::embedded_sources(),
        None => read_rule_sources(&args.rules)?,
    };
    let cli_vars = parse_vars(&args.vars)?;
    // Load up front so rule errors surface before any host is contacted; hosts without
    // inventory vars use this set as it is.
    let mut vars = policy_vars.clone();
    vars.extend(cli_vars.clone());
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
        rules: (vars, rules),
        sources,
        policy_vars,
        cli_vars,
        evidence_max_bytes,
        policy_version: policy.and_then(|p| i64::try_from(p.policy.version).ok()),
        ssh: policy.map(|p| p.policy.ssh.clone()),
    })
}

/// Verification hashed the pinned files; this checks the bytes actually loaded, so a file
/// changed after verification is never run unpinned.
fn check_pin_of_read_sources(path: &Path, pinned: &str, sources: &[RuleSource]) -> Result<()> {
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
        Err(exit::usage(anyhow!(
            "rule set {} changed after the policy was verified (pinned {pinned}, read {actual}); not scanning",
            path.display()
        )))
    }
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

fn scan_batch(
    host: &HostReport,
    record: HostRecord,
    plan: &Plan,
    started_at: i64,
    finished_at: i64,
) -> ScanBatch {
    let trigger = if std::env::var_os("CI").is_some() {
        Trigger::Ci
    } else {
        Trigger::Manual
    };
    let scanned = host.outcome == HostOutcome::Ok;
    ScanBatch {
        scan_id: uuid::Uuid::new_v4(),
        host: record,
        trigger,
        started_at,
        finished_at: finished_at.max(started_at),
        status: if scanned {
            ScanStatus::Ok
        } else {
            ScanStatus::Error
        },
        error: host.error.clone(),
        policy_version: plan.policy_version,
        ruleset_hash: plan.ruleset_hash.clone(),
        results: host.results.iter().map(result_record).collect(),
    }
}

pub fn result_record(result: &RuleResult) -> ResultRecord {
    ResultRecord {
        rule_id: result.rule_id.clone(),
        title: result.title.clone(),
        severity: result.severity,
        status: result.status,
        reason: result.reason.map(|reason| reason.as_str().to_owned()),
        evidence: serde_json::json!({
            "checks": result.evidence,
            "detail": result.detail,
            "implementation": result.implementation,
        }),
    }
}

/// New failures, fixes and removals since the host's previous scan.
pub fn changes_of(outcome: &store::ApplyOutcome) -> Changes {
    let mut changes = Changes {
        changed: outcome.changes.len(),
        ..Changes::default()
    };
    for change in &outcome.changes {
        let was_failing = change.previous_status == Some(Status::Fail);
        match (change.kind, change.new_status) {
            (store::ChangeKind::Removed, _) => changes.removed.push(change.rule_id.clone()),
            (_, Some(Status::Fail)) if !was_failing => {
                changes.new_failures.push(change.rule_id.clone())
            }
            (_, Some(Status::Pass)) if was_failing => changes.fixed.push(change.rule_id.clone()),
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

fn scan_root(root: &Path) -> Result<PathBuf> {
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

fn host_name(args: &ScanArgs, root: Option<&Path>) -> String {
    if let Some(name) = &args.host_name {
        return name.clone();
    }
    if let Some(root) = root {
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
