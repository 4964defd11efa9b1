//! `plumb scan`: load rules, gather facts, evaluate, report.

mod record;
mod setup;
mod targets;

use super::Output;
use crate::canonical::sha256_hex;
use crate::cli::ScanArgs;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::eval::{self, EvalOptions, MAX_EVIDENCE_BYTES, RuleResult, Status};
use crate::exit;
use crate::fleet::{self, Failure, Probe, Via};
use crate::inventory;
use crate::probe::ssh::{SshOptions, SshTarget};
use crate::probe::{Facts, ProbePlan};
use crate::report::{self, Changes, HostOutcome, HostReport, RenderOptions, ScanReport, Summary};
use crate::rules::{self, RuleSet, RuleSource, Selection};
use crate::store::{
    self, HostLocks, HostRecord, ResultRecord, ScanBatch, ScanStatus, Store, Trigger,
};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use record::record_scan;
pub use record::{changes_of, result_record};
use setup::{load_policy, open_store, plan_scan, select};
pub use setup::{parse_vars, state_path};
pub use targets::local_hostname;
use targets::{concurrency, ssh_options, targets};

/// Everything a scan was asked for, resolved from flags, environment, config and policy.
struct Plan {
    sources: Vec<RuleSource>,
    /// The rules loaded with policy and `--var` variables, and those variables.
    rules: (rules::Vars, RuleSet),
    /// Precedence: rule defaults < inventory vars (per host) < policy vars < `--var`. The
    /// inventory is not signed, so it cannot change what a signed policy sets.
    policy_vars: rules::Vars,
    cli_vars: rules::Vars,
    ruleset_hash: String,
    /// The baseline this scan is recorded under (see `setup::rule_source_of_paths`).
    rule_source: String,
    scope: store::Scope,
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
    tracing::debug!(rules = plan.rules.1.rules.len(), "rules loaded");
    let options = EvalOptions {
        evidence_max_bytes: plan.evidence_max_bytes,
    };
    let ssh = ssh_options(args, &plan);
    let (targets, rule_sets) = targets(args, &plan, &ssh)?;
    // A plan depends only on the rule set and on scanning a tree or a live system.
    let mut plans = Vec::new();
    let mut plan_index: BTreeMap<(usize, bool), usize> = BTreeMap::new();
    let mut probes = Vec::with_capacity(targets.len());
    for target in &targets {
        let offline = target.probe.root.is_some();
        let index = *plan_index
            .entry((target.rules, offline))
            .or_insert_with(|| {
                plans.push(ProbePlan::for_rules(&rule_sets[target.rules], offline));
                plans.len() - 1
            });
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

    // A host another plumb run is scanning is skipped, not scanned twice. Locks are taken as
    // each probe starts, on a second connection (see `HostLocks`), and released once the
    // host's results are recorded; the heartbeat ends with `gather`.
    let locks = match store.as_ref() {
        Some(store) => {
            let owner = format!("{}:{}", std::process::id(), uuid::Uuid::new_v4());
            let locks = HostLocks::open(store, owner)?;
            Some(std::sync::Arc::new(locks))
        }
        None => None,
    };
    // Each host is evaluated and recorded as it arrives; the report keeps the input order.
    let mut done: Vec<Option<(HostReport, Option<Failure>)>> = std::iter::repeat_with(|| None)
        .take(targets.len())
        .collect();
    fleet::gather(
        &probes,
        &plans,
        concurrency(args, &plan),
        output.interactive,
        locks,
        |index, mut got| {
            let target = &targets[index];
            let lock = got.lock.take();
            let rules = &rule_sets[target.rules];
            let (mut host_report, mut state) =
                host_report(&target.record.name, got, rules, &options);
            // Only a host this run locked is recorded; a busy one belongs to the other run.
            if let (Some(store), Some(_)) = (store.as_mut(), &lock) {
                if let Err(err) = record_scan(store, target, &mut host_report, &plan) {
                    not_recorded(&mut host_report, &err);
                    state = Some(Failure::Error);
                }
            }
            drop(lock);
            done[index] = Some((host_report, state));
        },
    )?;
    let (hosts, states): (Vec<HostReport>, Vec<Option<Failure>>) = done
        .into_iter()
        .zip(&targets)
        .map(|(done, target)| {
            done.unwrap_or_else(|| {
                let missing = fleet::Gathered {
                    facts: Err((Failure::Error, "the host was never probed".into())),
                    started_at: report::now_unix_ms(),
                    elapsed: std::time::Duration::ZERO,
                    lock: None,
                };
                host_report(&target.record.name, missing, &RuleSet::default(), &options)
            })
        })
        .unzip();
    if !output.quiet
        && (hosts.len() > 1 || targets.iter().any(|t| matches!(t.probe.via, Via::Ssh(_))))
    {
        eprint!("{}", fleet_summary(&hosts, &states));
    }
    let code = exit_code(&hosts, args);
    if let Some(note) = unassessed_note(&hosts, args) {
        if !output.quiet || code != exit::CLEAN {
            eprintln!("plumb: {note}");
        }
    }
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
    emit(
        &scan_report,
        &merge_rule_sets(rule_sets),
        args.output.as_deref(),
        output,
    )?;
    Ok(code)
}

/// Every rule of the run's rule sets once, for the report's catalog: the first occurrence of
/// an id wins and order is kept. Linear, so a large pack across many variable sets stays cheap.
fn merge_rule_sets(rule_sets: Vec<RuleSet>) -> RuleSet {
    let mut seen = std::collections::HashSet::new();
    let mut all_rules = RuleSet::default();
    for set in rule_sets {
        for rule in set.rules {
            if seen.insert(rule.id.clone()) {
                all_rules.rules.push(rule);
            }
        }
    }
    all_rules
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

/// A host whose scan could not be stored becomes an error, keeping any results it has.
fn not_recorded(host: &mut HostReport, err: &Error) {
    let err = crate::error::Chain(err);
    host.error = Some(match (host.outcome, host.error.take()) {
        (HostOutcome::Ok, _) | (_, None) => {
            format!("scanned, but the results could not be recorded in the state file: {err}")
        }
        (_, Some(error)) => {
            format!("{error}; this error could not be recorded in the state file: {err}")
        }
    });
    host.outcome = HostOutcome::Error;
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
        // A host's error text comes from the host (its stderr): never raw to a terminal.
        let detail = match (&host.error, host.summary.score) {
            (Some(error), _) => report::terminal_safe(error),
            (None, Some(score)) => format!("{} failed, score {score}%", host.summary.fail),
            (None, None) => format!("{} failed", host.summary.fail),
        };
        let name = report::terminal_safe(&host.host);
        lines.push_str(&format!("  {name:<24} {label:<16} {detail}\n"));
    }
    let totals: Vec<String> = counts
        .iter()
        .map(|(label, n)| format!("{n} {label}"))
        .collect();
    format!("hosts: {} ({})\n{lines}", hosts.len(), totals.join(", "))
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

/// 3 when a host could not be scanned, or (fail closed, unless `--allow-errors`) a rule at or
/// above `--fail-on` could not be assessed; else 1 when a rule at or above `--fail-on` failed.
/// `--fail-on never` softens findings only, so its error floor is the lowest severity.
pub fn exit_code(hosts: &[HostReport], args: &ScanArgs) -> u8 {
    if hosts.iter().any(|h| h.outcome == HostOutcome::Error) {
        return exit::OPERATIONAL;
    }
    if !args.allow_errors && !unassessed(hosts, args).is_empty() {
        return exit::OPERATIONAL;
    }
    let Some(threshold) = args.fail_on.threshold() else {
        return exit::CLEAN;
    };
    let failed =
        |result: &RuleResult| result.status == Status::Fail && result.severity >= threshold;
    if hosts.iter().flat_map(|h| &h.results).any(failed) {
        exit::FINDINGS
    } else {
        exit::CLEAN
    }
}

/// Results in `error` at or above the gate's severity floor.
fn unassessed<'a>(hosts: &'a [HostReport], args: &ScanArgs) -> Vec<&'a RuleResult> {
    let floor = args.fail_on.threshold().unwrap_or(rules::Severity::Low);
    hosts
        .iter()
        .flat_map(|h| &h.results)
        .filter(|r| r.status == Status::Error && r.severity >= floor)
        .collect()
}

/// Why rules could not be assessed, with what the operator can do about it; `None` when every
/// rule at or above the gate's floor was assessed.
fn unassessed_note(hosts: &[HostReport], args: &ScanArgs) -> Option<String> {
    let errors = unassessed(hosts, args);
    if errors.is_empty() {
        return None;
    }
    let mut by_reason: BTreeMap<&str, usize> = BTreeMap::new();
    for result in &errors {
        *by_reason
            .entry(result.reason.map_or("unknown", |r| r.as_str()))
            .or_default() += 1;
    }
    let reasons: Vec<String> = by_reason
        .iter()
        .map(|(reason, n)| format!("{reason}: {n}"))
        .collect();
    let detail = |needle: &str| {
        errors
            .iter()
            .any(|r| r.detail.as_deref().is_some_and(|d| d.contains(needle)))
    };
    let mut hints = Vec::new();
    if detail("ermission denied") {
        hints.push("permission denied: run as root or with --sudo".to_owned());
    }
    if by_reason.contains_key(eval::Reason::EvidenceOversize.as_str()) {
        hints.push(format!(
            "evidence over the cap: raise --evidence-max-bytes (at most {MAX_EVIDENCE_BYTES})"
        ));
    }
    if by_reason.contains_key(eval::Reason::Timeout.as_str()) {
        hints.push("a command timed out".to_owned());
    }
    let verdict = if args.allow_errors {
        "allowed by --allow-errors"
    } else {
        "exit 3; --allow-errors accepts them"
    };
    let n = errors.len();
    let rules = if n == 1 { "rule" } else { "rules" };
    let hints = if hints.is_empty() {
        String::new()
    } else {
        format!("; {}", hints.join("; "))
    };
    Some(format!(
        "{n} {rules} could not be assessed ({}){hints} ({verdict})",
        reasons.join(", ")
    ))
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
            .map_err(|source| Error::io("writing the report to", path, source)),
        None => Ok(crate::output::print(&text)?),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(id: &str, title: &str) -> rules::Rule {
        let text = format!(
            "id: {id}\ntitle: {title}\nseverity: low\ncheck: {{ method: file_exists, path: /x }}\n"
        );
        let source = RuleSource {
            name: "x.yml".into(),
            text,
        };
        rules::load(&[source], &rules::Vars::new())
            .unwrap()
            .rules
            .remove(0)
    }

    #[test]
    fn merging_rule_sets_keeps_the_first_of_each_id_in_order() {
        let first = RuleSet {
            rules: vec![rule("b", "first b"), rule("a", "first a")],
        };
        let second = RuleSet {
            rules: vec![rule("a", "second a"), rule("c", "second c"), rule("b", "x")],
        };
        let merged = merge_rule_sets(vec![first, second]);
        let got: Vec<(&str, &str)> = merged
            .rules
            .iter()
            .map(|r| (r.id.as_str(), r.title.as_str()))
            .collect();
        assert_eq!(got, [("b", "first b"), ("a", "first a"), ("c", "second c")]);
    }

    #[test]
    fn the_fleet_summary_sends_no_escape_sequence_from_a_host() {
        let host = HostReport {
            host: "evil\u{1b}[2J".into(),
            outcome: HostOutcome::Error,
            error: Some("probe exited 1: \u{1b}]0;owned\u{7}\u{1b}[2Jgone".into()),
            platform: None,
            scan_id: None,
            started_at: String::new(),
            duration_ms: 0,
            summary: Summary::default(),
            changes: None,
            results: Vec::new(),
        };
        let text = fleet_summary(&[host], &[Some(Failure::Error)]);
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}'),
            "{text:?}"
        );
        assert!(text.contains("probe exited 1"), "{text}");
    }
}
