//! `plumb state report`: the fleet's HTML report from the state file (read-only): every
//! host's live results, the rules' texts from the rule pack, and trends from the history.

use super::{StateContext, open_state, parse_duration};
use crate::commands::scan::{refuse_html_on_terminal, write_page};
use crate::error::{Error, Result};
use crate::exit;
use crate::report::html::{self, Entry, Findings, GroupEvidence, HostRow, Page, Source};
use crate::rules::{self, Vars};
use crate::store::{self, HostSummary, Store};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::time::Duration;

/// How far back the trend charts reach when `--since` is not given.
const DEFAULT_SINCE: &str = "90d";

#[derive(Debug, Clone, clap::Args)]
pub struct ReportArgs {
    /// Write the page to FILE (atomically) instead of stdout
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Trends cover scans finished in the last AGE, such as 30d or 12h
    #[arg(long, value_name = "AGE", value_parser = parse_duration, default_value = DEFAULT_SINCE)]
    pub since: Duration,
    /// Rule files or directories for the rules' texts [default: the embedded pack]
    #[arg(long = "rules", value_name = "PATH", value_delimiter = ':')]
    pub rules: Vec<PathBuf>,
}

pub(super) fn report(ctx: &StateContext, args: &ReportArgs) -> Result<u8> {
    refuse_html_on_terminal(args.output.as_deref())?;
    let mut store = open_state(ctx)?;
    let sources = if args.rules.is_empty() {
        rules::embedded_sources()
    } else {
        rules::read_sources(&args.rules)?
    };
    let catalog = crate::report::catalog(&rules::load(&sources, &Vars::default())?.rules);
    let now = store::now_ms();
    let since_ms =
        i64::try_from(args.since.as_millis()).map_err(|_| Error::args("--since is too large"))?;
    let trends = store.trends(now.saturating_sub(since_ms), now)?;
    let mut hosts: Vec<HostRow> = store.hosts()?.iter().map(host_row).collect();
    html::sort_hosts(&mut hosts);
    let findings = findings(&mut store, &hosts)?;
    let page = html::render_fleet(&Page {
        source: Source::StateFile,
        generated_at: crate::report::rfc3339(now),
        hosts,
        findings,
        rules: &catalog,
        trends: Some(&trends),
    });
    write_page(&page, args.output.as_deref())?;
    Ok(exit::CLEAN)
}

fn host_row(host: &HostSummary) -> HostRow {
    let failing = [
        (rules::Severity::Critical, host.failing.critical),
        (rules::Severity::High, host.failing.high),
        (rules::Severity::Medium, host.failing.medium),
        (rules::Severity::Low, host.failing.low),
    ];
    HostRow {
        name: host.name.clone(),
        platform: None,
        scanned_at: host.last_scan_at.map(super::format_time),
        error: (host.last_scan_status.as_deref() == Some("error"))
            .then(|| "the last scan failed; results are from an earlier scan".to_string()),
        pass: host.counts.pass as usize,
        fail: host.counts.fail as usize,
        skipped: host.counts.skipped as usize,
        errors: host.counts.error as usize,
        waived: host.counts.waived as usize,
        failing: failing
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .map(|(severity, n)| (severity, n as usize))
            .collect::<BTreeMap<_, _>>(),
        score: host.score,
    }
}

/// The live results grouped; each group's evidence read once, by id.
fn findings(store: &mut Store, hosts: &[HostRow]) -> Result<Findings> {
    let index: HashMap<&str, u32> = hosts
        .iter()
        .enumerate()
        .map(|(i, h)| (h.name.as_str(), i as u32))
        .collect();
    let mut findings = Findings::default();
    let mut wanted = Vec::new();
    for result in store.live_results()? {
        let Some(&host) = index.get(result.host.as_str()) else {
            continue;
        };
        let entry = Entry {
            rule_id: &result.rule_id,
            title: &result.title,
            severity: result.severity,
            status: result.status,
            reason: result.reason.as_deref(),
        };
        // Equal evidence ids are equal results, so the id is the variant.
        if let Some(group) = findings.add(host, &entry, result.evidence_id as u64) {
            wanted.push((group, result.evidence_id));
        }
    }
    let texts = store.evidence_texts(wanted.iter().map(|(_, id)| *id))?;
    for (group, id) in wanted {
        if let Some(evidence) = texts.get(&id).and_then(|t| GroupEvidence::from_stored(t)) {
            findings.set_evidence(group, evidence);
        }
    }
    findings.sort();
    Ok(findings)
}
