//! `plumb scan`: load rules, gather facts, evaluate, report.

mod setup;
mod targets;
mod waivers;

use super::Output;
use crate::canonical::sha256_hex;
use crate::cli::{FailOn, ScanArgs};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::eval::{self, EvalOptions, MAX_EVIDENCE_BYTES, RuleResult, Status};
use crate::exit;
use crate::fleet::{Failure, Probe, Via};
use crate::inventory;
use crate::probe::ssh::{SshOptions, SshTarget};
use crate::report::{self, HostOutcome, HostReport, RenderOptions, ScanReport};
use crate::rules::{self, RuleSet, RuleSource, Selection};
use crate::scan::{Recording, ScanRequest, ScanTarget, Trigger};
use crate::store::{self, HostRecord, StateLocation, Store};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use setup::{LoadedPolicy, load_policy, merge_vars, open_store, parse_vars, state_location};
use setup::{plan_scan, select};
use targets::{concurrency, ssh_options, targets};
pub use targets::{inventory_hosts, local_hostname};

/// Everything a scan was asked for, resolved from flags, environment, config and policy.
struct Plan {
    sources: Vec<RuleSource>,
    /// The rules loaded with policy and `--var` variables, and those variables.
    rules: (rules::Vars, RuleSet),
    /// Precedence: see [`merge_vars`].
    policy_vars: rules::Vars,
    cli_vars: rules::Vars,
    /// `--vars-file` values, later files winning.
    file_vars: rules::Vars,
    dialect: rules::DialectChoice,
    ruleset_hash: String,
    /// The baseline this scan is recorded under (see `setup::rule_source_of_paths`).
    rule_source: String,
    scope: store::Scope,
    evidence_max_bytes: usize,
    policy_version: Option<i64>,
    ssh: Option<crate::policy::SshSettings>,
}

pub fn run(args: &ScanArgs, config: &Config, state: Option<&Path>, output: &Output) -> Result<u8> {
    let args = &config.scan_args(args);
    let fail_on = args.fail_on.unwrap_or(FailOn::DEFAULT);
    let view = table_view(args, output)?;
    if output.format == report::Format::Html {
        refuse_html_on_terminal(args.output.as_deref())?;
    }
    let mut store = open_store(args.no_store, config, state)?;
    let policy = match args.policy.path(config)? {
        Some(path) => Some(load_policy(path, &args.policy, config, store.as_mut())?),
        None => None,
    };
    let trigger = if std::env::var_os("CI").is_some() {
        Trigger::Ci
    } else {
        Trigger::Manual
    };
    let request = request(args, policy.as_ref(), trigger, output.interactive)?;
    check_explained(&view, &request)?;
    let outcome = crate::scan::execute_collect(&request, store.as_mut())?;
    let (mut scan_report, failures, rules) = outcome.into_report();
    scan_report.waivers = request.waivers.uses();
    if !output.quiet {
        for warning in crate::waivers::warnings(&scan_report.waivers) {
            eprintln!("plumb: warning: {warning}");
        }
    }
    let hosts = &scan_report.hosts;
    // The table view on stdout lists every host itself, with its summary last.
    let table_on_stdout = output.format == report::Format::Table && args.output.is_none();
    if !output.quiet
        && !table_on_stdout
        && (hosts.len() > 1
            || request
                .targets
                .iter()
                .any(|t| matches!(t.probe.via, Via::Ssh(_))))
    {
        eprint!("{}", fleet_summary(hosts, &failures));
    }
    let code = exit_code(hosts, fail_on, args.allow_errors);
    if output.format == report::Format::Html {
        let trends = match &mut store {
            Some(store) => Some(scanned_host_trends(store, hosts)?),
            None => None,
        };
        let page = report::html::render_scan(
            &scan_report,
            &report::catalog(&rules.rules),
            trends.as_ref(),
        );
        write_page(&page, args.output.as_deref())?;
    } else {
        emit(&scan_report, &rules, args.output.as_deref(), output, &view)?;
    }
    // After the report, so that on a terminal the last lines are the summary and this note.
    if let Some(note) = unassessed_note(hosts, fail_on, args.allow_errors) {
        if !output.quiet || code != exit::CLEAN {
            eprintln!("plumb: {note}");
        }
    }
    Ok(code)
}

/// An HTML page is no use on a terminal: `--format html` needs `--output` or a redirect.
pub fn refuse_html_on_terminal(path: Option<&Path>) -> Result<()> {
    if path.is_none() && std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        return Err(Error::args(
            "--format html writes a web page: pass --output FILE or redirect stdout",
        ));
    }
    Ok(())
}

/// The scanned hosts' score histories (one point per recorded full scan) for the page; one
/// indexed read of `scans`, so cheap next to the scan itself.
fn scanned_host_trends(store: &mut Store, hosts: &[HostReport]) -> Result<store::trends::Trends> {
    let names: Vec<&str> = hosts.iter().map(|h| h.host.as_str()).collect();
    let now = store::now_ms();
    Ok(store::trends::Trends {
        since: 0,
        now,
        host_scores: store.score_history(0, Some(&names))?,
        ..store::trends::Trends::default()
    })
}

/// Writes a rendered page to `path` (atomically) or stdout.
pub fn write_page(page: &str, path: Option<&Path>) -> Result<()> {
    match path {
        Some(path) => report::write_atomic(path, page.as_bytes())
            .map_err(|source| Error::io("writing the report to", path, source)),
        None => Ok(crate::output::print(page)?),
    }
}

/// `--summary` and `--explain` are choices of the table view: refused with another format.
fn table_view(args: &ScanArgs, output: &Output) -> Result<report::TableView> {
    let view = report::TableView {
        summary_only: args.view.summary,
        explain: args.view.explain.clone(),
    };
    let asked = view.summary_only || !view.explain.is_empty();
    if asked && output.format != report::Format::Table {
        return Err(Error::args(
            "--summary and --explain choose what the table view shows: add --format table",
        ));
    }
    Ok(view)
}

/// Every `--explain` rule must be one this scan evaluates, so a typo fails before the scan.
fn check_explained(view: &report::TableView, request: &ScanRequest) -> Result<()> {
    for id in &view.explain {
        let known = request
            .rule_sets
            .iter()
            .any(|set| set.rules.iter().any(|rule| &rule.id == id));
        if !known {
            return Err(Error::args(format!(
                "--explain {id}: no rule with this id among the rules this scan evaluates (plumb rules list shows them)"
            )));
        }
    }
    Ok(())
}

/// Resolves flags, policy and inventory into a pipeline request.
pub fn request(
    args: &ScanArgs,
    policy: Option<&LoadedPolicy>,
    trigger: Trigger,
    progress: bool,
) -> Result<ScanRequest> {
    let plan = plan_scan(args, policy)?;
    tracing::debug!(rules = plan.rules.1.rules.len(), "rules loaded");
    let ssh = ssh_options(args, &plan);
    let (targets, rule_sets) = targets(args, &plan, &ssh)?;
    Ok(ScanRequest {
        targets,
        rule_sets,
        recording: Recording {
            ruleset_hash: plan.ruleset_hash.clone(),
            rule_source: plan.rule_source.clone(),
            scope: plan.scope,
            policy_version: plan.policy_version,
            trigger,
        },
        evaluation: EvalOptions {
            evidence_max_bytes: plan.evidence_max_bytes,
        },
        concurrency: concurrency(args, &plan),
        progress,
        admit: None,
        waivers: waivers::load(args, policy)?,
    })
}

/// The end-of-run summary on stderr: each host's status and the totals.
pub fn fleet_summary(hosts: &[HostReport], states: &[Option<Failure>]) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut lines = String::new();
    for (host, state) in hosts.iter().zip(states) {
        let (label, line) = host_line(host, *state);
        *counts.entry(label).or_default() += 1;
        lines.push_str(&line);
    }
    let totals: Vec<String> = counts
        .iter()
        .map(|(label, n)| format!("{n} {label}"))
        .collect();
    format!("hosts: {} ({})\n{lines}", hosts.len(), totals.join(", "))
}

/// One host's line of the summary, and its label (ok, failures, or why it has no results).
pub fn host_line(host: &HostReport, state: Option<Failure>) -> (&'static str, String) {
    let label = match state {
        Some(failure) => failure.label(),
        None if host.summary.fail > 0 => "failures",
        None => "ok",
    };
    // A host's error text comes from the host (its stderr): never raw to a terminal.
    let detail = match (&host.error, host.summary.score) {
        (Some(error), _) => report::terminal_safe(error),
        (None, Some(score)) => format!("{} failed, score {score}%", host.summary.fail),
        (None, None) => format!("{} failed", host.summary.fail),
    };
    let name = report::terminal_safe(&host.host);
    (label, format!("  {name:<24} {label:<16} {detail}\n"))
}

/// 3 when a host could not be scanned, or (fail closed, unless `--allow-errors`) a rule at or
/// above `--fail-on` could not be assessed; else 1 when a rule at or above `--fail-on` failed.
/// `--fail-on never` softens findings only, so its error floor is the lowest severity.
pub fn exit_code(hosts: &[HostReport], fail_on: FailOn, allow_errors: bool) -> u8 {
    if hosts.iter().any(|h| h.outcome == HostOutcome::Error) {
        return exit::OPERATIONAL;
    }
    if !allow_errors && !unassessed(hosts, fail_on).is_empty() {
        return exit::OPERATIONAL;
    }
    let Some(threshold) = fail_on.threshold() else {
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
fn unassessed(hosts: &[HostReport], fail_on: FailOn) -> Vec<&RuleResult> {
    let floor = fail_on.threshold().unwrap_or(rules::Severity::Low);
    hosts
        .iter()
        .flat_map(|h| &h.results)
        .filter(|r| r.status == Status::Error && r.severity >= floor)
        .collect()
}

/// Why rules could not be assessed, with what the operator can do about it; `None` when every
/// rule at or above the gate's floor was assessed.
pub fn unassessed_note(
    hosts: &[HostReport],
    fail_on: FailOn,
    allow_errors: bool,
) -> Option<String> {
    let errors = unassessed(hosts, fail_on);
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
    let verdict = if allow_errors {
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
    view: &report::TableView,
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
    let mut text = match output.format {
        report::Format::Table => report::render_table(report, &catalog, options, view),
        format => report::render(format, report, &catalog, options)?,
    };
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
    use crate::report::Summary;

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
