//! `json`: the whole report as one document. `ndjson`: one self-contained object per line, for
//! streaming into log pipelines and `jq`. Both are documented in README.md ("JSON report schema").

use super::{
    Changes, HostOutcome, HostReport, JSON_SCHEMA_VERSION, RuleCatalog, ScanReport, Summary,
};
use crate::eval::{AppliedWaiver, Evidence, Reason, RuleResult, Status};
use crate::rules::{Dialect, Severity};
use anyhow::Context;
use serde::Serialize;

pub(super) fn render_json(report: &ScanReport, rules: &RuleCatalog) -> anyhow::Result<String> {
    let document = Document {
        report,
        hosts: report
            .hosts
            .iter()
            .map(|host| HostDocument {
                host,
                results: host
                    .results
                    .iter()
                    .map(|r| Annotated::new(r, rules))
                    .collect(),
            })
            .collect(),
    };
    let mut text =
        serde_json::to_string_pretty(&document).context("could not serialize the JSON report")?;
    text.push('\n');
    Ok(text)
}

/// Per host: one `result` line per result, then one `summary` line (or one `host_error`
/// line for a host that could not be scanned), so every host ends with exactly one of them.
pub(super) fn render_ndjson(report: &ScanReport, rules: &RuleCatalog) -> anyhow::Result<String> {
    let mut out = String::new();
    for host in &report.hosts {
        for result in &host.results {
            push_line(&mut out, &ResultLine::new(host, result, rules))?;
        }
        match host.outcome {
            HostOutcome::Ok => push_line(&mut out, &SummaryLine::new(host))?,
            HostOutcome::Error => push_line(&mut out, &HostErrorLine::new(host))?,
        }
    }
    Ok(out)
}

fn push_line(out: &mut String, line: &impl Serialize) -> anyhow::Result<()> {
    // serde_json escapes control characters, so a line never contains a raw newline.
    let text = serde_json::to_string(line).context("could not serialize an NDJSON line")?;
    out.push_str(&text);
    out.push('\n');
    Ok(())
}

/// The report with every result annotated; `ScanReport` and `HostReport` leave their lists to
/// this, so the fields around them are listed once.
#[derive(Serialize)]
struct Document<'a> {
    #[serde(flatten)]
    report: &'a ScanReport,
    hosts: Vec<HostDocument<'a>>,
}

#[derive(Serialize)]
struct HostDocument<'a> {
    #[serde(flatten)]
    host: &'a HostReport,
    results: Vec<Annotated<'a>>,
}

/// A result and its rule's references and profiles, so a report can be filtered by benchmark
/// section or control. Both are absent when the rule is not in the catalog.
#[derive(Serialize)]
struct Annotated<'a> {
    #[serde(flatten)]
    result: &'a RuleResult,
    #[serde(flatten)]
    rule: Option<RuleRefs<'a>>,
}

#[derive(Serialize)]
struct RuleRefs<'a> {
    references: &'a serde_json::Value,
    profiles: &'a [String],
    dialect: Dialect,
    metadata: &'a serde_json::Value,
}

impl<'a> RuleRefs<'a> {
    fn of(rules: &'a RuleCatalog, rule_id: &str) -> Option<Self> {
        rules.get(rule_id).map(|info| Self {
            references: &info.references,
            profiles: &info.profiles,
            dialect: info.dialect,
            metadata: &info.metadata,
        })
    }
}

impl<'a> Annotated<'a> {
    fn new(result: &'a RuleResult, rules: &'a RuleCatalog) -> Self {
        Self {
            result,
            rule: RuleRefs::of(rules, &result.rule_id),
        }
    }
}

/// Fields every line carries, so each line can be read alone.
#[derive(Serialize)]
struct Envelope<'a> {
    schema_version: u32,
    #[serde(rename = "type")]
    kind: &'static str,
    host: &'a str,
    scan_id: Option<&'a str>,
    started_at: &'a str,
}

impl<'a> Envelope<'a> {
    fn new(kind: &'static str, host: &'a HostReport) -> Self {
        Self {
            schema_version: JSON_SCHEMA_VERSION,
            kind,
            host: &host.host,
            scan_id: host.scan_id.as_deref(),
            started_at: &host.started_at,
        }
    }
}

#[derive(Serialize)]
struct ResultLine<'a> {
    #[serde(flatten)]
    envelope: Envelope<'a>,
    rule_id: &'a str,
    title: &'a str,
    severity: Severity,
    status: Status,
    reason: Option<Reason>,
    detail: Option<&'a str>,
    implementation: Option<&'a str>,
    evidence: &'a [Evidence],
    /// The waiver of a `waived` result.
    #[serde(skip_serializing_if = "Option::is_none")]
    waiver: Option<&'a AppliedWaiver>,
    /// `null` (and `[]`) for a rule missing from the catalog: every result line has the keys.
    references: &'a serde_json::Value,
    profiles: &'a [String],
    dialect: Option<Dialect>,
    metadata: &'a serde_json::Value,
}

impl<'a> ResultLine<'a> {
    fn new(host: &'a HostReport, result: &'a RuleResult, rules: &'a RuleCatalog) -> Self {
        let rule = RuleRefs::of(rules, &result.rule_id);
        let rule = rule.as_ref();
        Self {
            envelope: Envelope::new("result", host),
            rule_id: &result.rule_id,
            title: &result.title,
            severity: result.severity,
            status: result.status,
            reason: result.reason,
            detail: result.detail.as_deref(),
            implementation: result.implementation.as_deref(),
            evidence: &result.evidence,
            waiver: result.waiver.as_ref(),
            references: rule.map_or(&serde_json::Value::Null, |rule| rule.references),
            profiles: rule.map_or(&[], |rule| rule.profiles),
            dialect: rule.map(|rule| rule.dialect),
            metadata: rule.map_or(&serde_json::Value::Null, |rule| rule.metadata),
        }
    }
}

#[derive(Serialize)]
struct SummaryLine<'a> {
    #[serde(flatten)]
    envelope: Envelope<'a>,
    outcome: HostOutcome,
    platform: Option<&'a str>,
    duration_ms: u64,
    summary: &'a Summary,
    changes: Option<&'a Changes>,
}

impl<'a> SummaryLine<'a> {
    fn new(host: &'a HostReport) -> Self {
        Self {
            envelope: Envelope::new("summary", host),
            outcome: host.outcome,
            platform: host.platform.as_deref(),
            duration_ms: host.duration_ms,
            summary: &host.summary,
            changes: host.changes.as_ref(),
        }
    }
}

#[derive(Serialize)]
struct HostErrorLine<'a> {
    #[serde(flatten)]
    envelope: Envelope<'a>,
    outcome: HostOutcome,
    duration_ms: u64,
    error: &'a str,
}

impl<'a> HostErrorLine<'a> {
    fn new(host: &'a HostReport) -> Self {
        Self {
            envelope: Envelope::new("host_error", host),
            outcome: host.outcome,
            duration_ms: host.duration_ms,
            error: host.error.as_deref().unwrap_or("no error recorded"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::TOOL;

    fn host(name: &str, outcome: HostOutcome, results: Vec<RuleResult>) -> HostReport {
        HostReport {
            host: name.into(),
            outcome,
            error: (outcome == HostOutcome::Error).then(|| "connection refused".into()),
            platform: None,
            scan_id: None,
            started_at: "2026-01-01T00:00:00.000Z".into(),
            duration_ms: 5,
            summary: Summary::of(&results),
            changes: None,
            results,
        }
    }

    #[test]
    fn ndjson_multiline_detail_stays_on_one_line() {
        let result = RuleResult {
            rule_id: "r".into(),
            title: "line one\nline two".into(),
            severity: Severity::Low,
            status: Status::Error,
            reason: Some(Reason::ProbeFailed),
            detail: Some("stderr:\nboom\r\n".into()),
            implementation: None,
            evidence: vec![],
            waiver: None,
        };
        let report = ScanReport {
            schema_version: JSON_SCHEMA_VERSION,
            tool: TOOL,
            generated_at: "2026-01-01T00:00:00.000Z".into(),
            summary: Summary::default(),
            hosts: vec![
                host("a", HostOutcome::Ok, vec![result]),
                host("b", HostOutcome::Error, vec![]),
            ],
            waivers: Vec::new(),
        };
        let text = render_ndjson(&report, &RuleCatalog::new()).expect("renders");
        let kinds: Vec<String> = text
            .lines()
            .map(|line| {
                let value: serde_json::Value = serde_json::from_str(line).expect("valid line");
                value["type"].as_str().unwrap_or_default().to_owned()
            })
            .collect();
        assert_eq!(kinds, ["result", "summary", "host_error"]);
    }
}
