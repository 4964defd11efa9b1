//! The page itself: head with its CSP, summary, trends, hosts, most failing rules, findings and
//! rule texts. Every text from a host, a rule or the state file goes through [`escape`].

use super::findings::Group;
use super::svg::{self, Series};
use super::{HostRow, Page, Source, escape, host_points};
use crate::eval::Status;
use crate::rules::Severity;
use crate::store::trends::ChangeDirection;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::fmt::Write;

const CSS: &str = include_str!("report.css");
const SCRIPT: &str = include_str!("report.js");

/// Host names listed in a finding before "and N more".
const MAX_HOST_NAMES: usize = 12;
/// Rules in the "failing on most hosts" table.
const MAX_TOP_RULES: usize = 20;
/// Regressions and fixes listed under their chart.
const MAX_FLIPS_LISTED: usize = 50;
/// Hosts drawn as their own line in the score chart; beyond, only sparklines.
const MAX_HOST_LINES: usize = 8;
/// Scans drawn per host sparkline (the newest).
const MAX_SPARK_POINTS: usize = 30;

const SEVERITIES: [Severity; 4] = [
    Severity::Critical,
    Severity::High,
    Severity::Medium,
    Severity::Low,
];
const STATUSES: [Status; 5] = [
    Status::Fail,
    Status::Error,
    Status::Waived,
    Status::Skipped,
    Status::Pass,
];

/// `'sha256-…'` of a script or style element's exact text, for the CSP.
fn csp_hash(text: &str) -> String {
    format!(
        "'sha256-{}'",
        STANDARD.encode(Sha256::digest(text.as_bytes()))
    )
}

/// The policy: nothing may be fetched; only this page's own script and style run.
pub fn content_security_policy() -> String {
    format!(
        "default-src 'none'; script-src {}; style-src {}; img-src data:; base-uri 'none'; form-action 'none'",
        csp_hash(SCRIPT),
        csp_hash(CSS)
    )
}

pub fn render(page: &Page) -> String {
    let mut out = String::with_capacity(64 * 1024 + page.hosts.len() * 600);
    let title = match page.source {
        Source::Scan => "plumb scan report",
        Source::StateFile => "plumb fleet report",
    };
    let _ = write!(
        out,
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{CSS}</style></head>
<body>
<header><h1>{title}</h1><p>{hosts} {noun} · generated {at} · {from} · plumb {version}</p></header>
"#,
        csp = escape(&content_security_policy()),
        hosts = page.hosts.len(),
        noun = if page.hosts.len() == 1 {
            "host"
        } else {
            "hosts"
        },
        at = escape(&page.generated_at),
        from = match page.source {
            Source::Scan => "from this scan",
            Source::StateFile => "from the state file's latest results",
        },
        version = env!("CARGO_PKG_VERSION"),
    );
    summary(&mut out, page);
    trends(&mut out, page);
    hosts(&mut out, page);
    top_rules(&mut out, page);
    findings(&mut out, page);
    rules(&mut out, page);
    let _ = write!(out, "<script>{SCRIPT}</script>\n</body></html>\n");
    out
}

fn summary(out: &mut String, page: &Page) {
    let sum = |f: fn(&HostRow) -> usize| page.hosts.iter().map(f).sum::<usize>();
    let (pass, fail, skipped, errors, waived) = (
        sum(|h| h.pass),
        sum(|h| h.fail),
        sum(|h| h.skipped),
        sum(|h| h.errors),
        sum(|h| h.waived),
    );
    let score = crate::score::compliance_score(pass as u64, fail as u64);
    let unscanned = page.hosts.iter().filter(|h| h.error.is_some()).count();
    let _ = write!(
        out,
        r#"<section id="summary"><h2>Summary</h2><div class="cards">
<div class="card score"><span class="big" id="score">{}</span><span>compliance score (pass ÷ assessed)</span></div>
<div class="card"><table class="counts" id="totals" data-pass="{pass}" data-fail="{fail}" data-skipped="{skipped}" data-error="{errors}" data-waived="{waived}">
<tr><th>pass</th><td>{pass}</td></tr><tr><th>fail</th><td>{fail}</td></tr><tr><th>skipped</th><td>{skipped}</td></tr><tr><th>error</th><td>{errors}</td></tr><tr><th>waived (not in the score)</th><td>{waived}</td></tr>
<tr><th>hosts not scanned</th><td>{unscanned}</td></tr></table></div>
<div class="card">"#,
        score.map_or_else(|| "–".to_string(), |s| format!("{s:.1}%")),
    );
    let bars: Vec<(&str, String, usize)> = SEVERITIES
        .iter()
        .map(|severity| {
            (
                severity.as_str(),
                format!("c-{}", severity.as_str()),
                page.hosts
                    .iter()
                    .map(|h| h.failing.get(severity).copied().unwrap_or(0))
                    .sum(),
            )
        })
        .collect();
    let bars: Vec<(&str, &str, usize)> =
        bars.iter().map(|(l, c, n)| (*l, c.as_str(), *n)).collect();
    out.push_str(&svg::hbars(
        "severity-breakdown",
        "Failures by severity",
        &bars,
    ));
    out.push_str("</div></div></section>\n");
}

fn trends(out: &mut String, page: &Page) {
    out.push_str(r#"<section id="trends"><h2>Trends</h2>"#);
    let Some(trends) = page.trends else {
        out.push_str(
            "<p class=\"note\">No history: this report was made without a state file. \
             Scan with a state file, then run <code>plumb state report</code> for trends.</p></section>\n",
        );
        return;
    };
    out.push_str("<div class=\"grid\">");
    if page.source == Source::StateFile {
        let fleet: Vec<(i64, f64)> = trends
            .fleet
            .iter()
            .filter_map(|p| Some((p.at, p.score?)))
            .collect();
        let _ = write!(
            out,
            "<div><h3>Fleet score over time</h3><p class=\"note\">Each point: every host's latest full scan at that time{}.</p>",
            if trends.fleet.len() >= crate::store::trends::MAX_FLEET_POINTS {
                " (scans grouped by time, one point per group)"
            } else {
                ""
            }
        );
        out.push_str(&svg::line_chart(
            "trend-fleet-score",
            "Fleet score over time",
            &[Series {
                label: "fleet score",
                class: "c-score",
                points: fleet,
            }],
            100.0,
        ));
        out.push_str("</div>");
        let series: Vec<Series> = SEVERITIES
            .iter()
            .map(|severity| Series {
                label: severity.as_str(),
                class: match severity {
                    Severity::Critical => "c-critical",
                    Severity::High => "c-high",
                    Severity::Medium => "c-medium",
                    Severity::Low => "c-low",
                },
                points: trends
                    .fleet
                    .iter()
                    .filter_map(|p| {
                        let f = p.failing?;
                        let n = match severity {
                            Severity::Critical => f.critical,
                            Severity::High => f.high,
                            Severity::Medium => f.medium,
                            Severity::Low => f.low,
                        };
                        Some((p.at, f64::from(n)))
                    })
                    .collect(),
            })
            .collect();
        let y_max = series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.1))
            .fold(0.0, f64::max);
        out.push_str("<div><h3>Failures by severity over time</h3>");
        if let Some(horizon) = trends.prune_horizon {
            let _ = write!(
                out,
                "<p class=\"note\">The change log was pruned: failures before {} are not known.</p>",
                escape(&crate::time::rfc3339_seconds(horizon))
            );
        }
        out.push_str(&legend(&series));
        out.push_str(&svg::line_chart(
            "trend-failures",
            "Failures by severity over time",
            &series,
            y_max,
        ));
        out.push_str("</div><div>");
        flips(out, trends);
        out.push_str("</div>");
    }
    out.push_str("<div>");
    host_lines(out, page, trends);
    out.push_str("</div></div></section>\n");
}

fn legend(series: &[Series]) -> String {
    let mut out = String::from(r#"<p class="legend">"#);
    for s in series {
        let _ = write!(
            out,
            r#"<span class="key {}">■</span> {} "#,
            escape(s.class),
            escape(s.label)
        );
    }
    out.push_str("</p>");
    out
}

/// Regressions and fixes of the last 30 days: a daily chart and the newest few listed.
fn flips(out: &mut String, trends: &crate::store::trends::Trends) {
    let days = crate::store::trends::CHANGE_WINDOW_MS / 86_400_000;
    let regressions = trends
        .flips
        .iter()
        .filter(|f| f.direction == ChangeDirection::Regression)
        .count();
    let _ = write!(
        out,
        "<h3>Regressions and fixes, last {days} days</h3><p class=\"note\"><span class=\"key c-regression\">■</span> {regressions} regressions (to fail) · <span class=\"key c-fix\">■</span> {} fixes (to pass)</p>",
        trends.flips.len() - regressions
    );
    let points: Vec<(i64, bool)> = trends
        .flips
        .iter()
        .map(|f| (f.at, f.direction == ChangeDirection::Regression))
        .collect();
    out.push_str(&svg::daily_flips(
        "trend-flips",
        "Regressions and fixes per day",
        trends.now,
        days,
        &points,
    ));
    if trends.flips.is_empty() {
        return;
    }
    out.push_str("<details><summary>Newest changes</summary><table class=\"list\"><tr><th>when</th><th>host</th><th>rule</th><th>severity</th><th>change</th></tr>");
    for flip in trends.flips.iter().take(MAX_FLIPS_LISTED) {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td><a href=\"#rule-{id}\"><code>{id}</code></a></td><td><span class=\"badge sev-{sev}\">{sev}</span></td><td>{}</td></tr>",
            escape(&crate::time::rfc3339_seconds(flip.at)),
            escape(&flip.host),
            match flip.direction {
                ChangeDirection::Regression => "regression",
                ChangeDirection::Fix => "fix",
            },
            id = escape(&flip.rule_id),
            sev = flip.severity.as_str(),
        );
    }
    out.push_str("</table>");
    more_note(out, trends.flips.len(), MAX_FLIPS_LISTED, "changes");
    out.push_str("</details>");
}

/// Each host's score over time: one line per host for a few hosts (sparklines in the hosts
/// table in any case).
fn host_lines(out: &mut String, page: &Page, trends: &crate::store::trends::Trends) {
    out.push_str("<h3>Score over time per host</h3>");
    if page.hosts.len() > MAX_HOST_LINES {
        out.push_str("<p class=\"note\">One line per host in the hosts table below.</p>");
        return;
    }
    let series: Vec<Series> = page
        .hosts
        .iter()
        .enumerate()
        .map(|(i, host)| Series {
            label: &host.name,
            class: [
                "c-h0", "c-h1", "c-h2", "c-h3", "c-h4", "c-h5", "c-h6", "c-h7",
            ][i % MAX_HOST_LINES],
            points: host_points(trends, &host.name)
                .filter_map(|p| Some((p.at, p.score?)))
                .collect(),
        })
        .collect();
    out.push_str(&legend(&series));
    out.push_str(&svg::line_chart(
        "trend-hosts",
        "Score over time per host",
        &series,
        100.0,
    ));
}

fn hosts(out: &mut String, page: &Page) {
    let _ = write!(
        out,
        "<section id=\"hosts\"><h2>Hosts by score</h2><p class=\"note\">Worst first. Select a host to filter the findings.</p><div class=\"scroll\"><table class=\"list\"><thead><tr><th>host</th><th>score</th>{}<th>crit</th><th>high</th><th>med</th><th>low</th><th>pass</th><th>skipped</th><th>error</th><th>scanned</th><th>platform / problem</th></tr></thead><tbody>",
        if page.trends.is_some() {
            "<th>trend</th>"
        } else {
            ""
        }
    );
    for (i, host) in page.hosts.iter().enumerate() {
        let name = escape(&host.name);
        let _ = write!(
            out,
            "<tr data-i=\"{i}\" data-name=\"{name}\"><td><a class=\"host\" href=\"#findings\" data-i=\"{i}\">{name}</a></td><td>{}</td>",
            host.score
                .map_or_else(|| "–".to_string(), |s| format!("{s:.1}"))
        );
        if let Some(trends) = page.trends {
            let scores: Vec<f64> = host_points(trends, &host.name)
                .filter_map(|p| p.score)
                .collect();
            let skip = scores.len().saturating_sub(MAX_SPARK_POINTS);
            let _ = write!(out, "<td>{}</td>", svg::sparkline(&scores[skip..]));
        }
        for severity in SEVERITIES {
            let n = host.failing.get(&severity).copied().unwrap_or(0);
            let _ = write!(
                out,
                "<td class=\"{}\">{n}</td>",
                if n > 0 { severity.as_str() } else { "zero" }
            );
        }
        let detail = match (&host.error, &host.platform) {
            (Some(error), _) => format!("<span class=\"problem\">{}</span>", escape(error)),
            (None, Some(platform)) => escape(platform),
            (None, None) => String::new(),
        };
        let _ = write!(
            out,
            "<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{detail}</td></tr>",
            host.pass,
            host.skipped,
            host.errors,
            escape(host.scanned_at.as_deref().unwrap_or("–")),
        );
    }
    out.push_str("</tbody></table></div></section>\n");
}

fn top_rules(out: &mut String, page: &Page) {
    if page.hosts.len() < 2 {
        return;
    }
    let rules = page.findings.most_failing();
    out.push_str("<section id=\"top-rules\"><h2>Rules failing on most hosts</h2>");
    if rules.is_empty() {
        out.push_str("<p>No rule fails.</p></section>\n");
        return;
    }
    out.push_str(
        "<table class=\"list\"><tr><th>hosts</th><th>severity</th><th>rule</th><th>title</th></tr>",
    );
    for (group, n) in rules.iter().take(MAX_TOP_RULES) {
        let _ = write!(
            out,
            "<tr><td>{n} of {}</td><td><span class=\"badge sev-{sev}\">{sev}</span></td><td><a href=\"#rule-{id}\"><code>{id}</code></a></td><td>{}</td></tr>",
            page.hosts.len(),
            escape(&group.title),
            sev = group.severity.as_str(),
            id = escape(&group.rule_id),
        );
    }
    out.push_str("</table>");
    more_note(out, rules.len(), MAX_TOP_RULES, "failing rules");
    out.push_str("</section>\n");
}

/// "N more …" under a list cut at `shown`.
fn more_note(out: &mut String, total: usize, shown: usize, what: &str) {
    if total > shown {
        let _ = write!(
            out,
            "<p class=\"more\">{} more {what} not listed.</p>",
            total - shown
        );
    }
}

/// The rule's tags and CIS sections (`5.1` of `5.1.12`), for the filters.
fn rule_labels(page: &Page, rule_id: &str) -> (Vec<String>, Vec<String>) {
    let Some(rule) = page.rules.get(rule_id) else {
        return (Vec::new(), Vec::new());
    };
    let mut sections = BTreeSet::new();
    let mut add = |value: &serde_json::Value| {
        if let Some(text) = value.as_str() {
            let section: Vec<&str> = text.split('.').take(2).collect();
            sections.insert(section.join("."));
        }
    };
    match rule.references.get("cis") {
        Some(serde_json::Value::Object(map)) => map.values().for_each(&mut add),
        Some(serde_json::Value::Array(list)) => list.iter().for_each(&mut add),
        Some(other) => add(other),
        None => {}
    }
    (rule.tags.clone(), sections.into_iter().collect())
}

fn findings(out: &mut String, page: &Page) {
    let mut tags = BTreeSet::new();
    let mut sections = BTreeSet::new();
    let mut groups = String::new();
    let mut evidence_used = 0;
    for group in &page.findings.groups {
        let (rule_tags, rule_sections) = rule_labels(page, &group.rule_id);
        tags.extend(rule_tags.iter().cloned());
        sections.extend(rule_sections.iter().cloned());
        finding(
            &mut groups,
            page,
            group,
            (&rule_tags, &rule_sections),
            &mut evidence_used,
        );
    }
    let total: usize = page.findings.groups.iter().map(|g| g.hosts.len()).sum();
    let _ = write!(
        out,
        "<section id=\"findings\"><h2>Findings</h2><p class=\"note\">Results with the same rule, status and evidence are one entry listing their hosts. Open an entry for expected and actual values, the evidence source, and the rule's rationale and remediation.</p>\n<form id=\"filters\" hidden>{}{}{}{}<label>Host <input name=\"host\" type=\"search\" placeholder=\"name contains\" autocomplete=\"off\"></label></form>\n<p id=\"counts\" aria-live=\"polite\">{total} results in {} entries.</p>\n",
        select(
            "sev",
            "Severity",
            SEVERITIES.iter().map(|s| s.as_str().to_string())
        ),
        select(
            "st",
            "Status",
            STATUSES.iter().map(|s| s.as_str().to_string())
        ),
        select("tag", "Tag", tags.into_iter()),
        select("cis", "CIS section", sections.into_iter()),
        page.findings.groups.len(),
    );
    out.push_str(&groups);
    out.push_str("</section>\n");
}

fn select(name: &str, label: &str, values: impl Iterator<Item = String>) -> String {
    let mut out = format!("<label>{label} <select name=\"{name}\"><option value=\"\">any</option>");
    for value in values {
        let value = escape(&value);
        let _ = write!(out, "<option value=\"{value}\">{value}</option>");
    }
    out.push_str("</select></label>");
    out
}

/// Bytes of evidence tables one page holds at most; later entries (passes and the least
/// severe come last) show their hosts but not their evidence.
pub const EVIDENCE_BUDGET: usize = 1_500_000;

fn finding(
    out: &mut String,
    page: &Page,
    group: &Group,
    labels: (&[String], &[String]),
    evidence_used: &mut usize,
) {
    let (tags, sections) = labels;
    let status = status_word(group.status);
    let sev = group.severity.as_str();
    let _ = write!(
        out,
        "<details class=\"f\" data-st=\"{status}\" data-sev=\"{sev}\" data-tags=\"{}\" data-cis=\"{}\" data-h=\"{}\"><summary><span class=\"badge sev-{sev}\">{sev}</span> <span class=\"badge st-{status}\">{status}</span> <code>{}</code> {}",
        escape(&tags.join(" ")),
        escape(&sections.join(" ")),
        host_ranges(&group.hosts),
        escape(&group.rule_id),
        escape(&group.title),
    );
    if page.hosts.len() > 1 {
        let _ = write!(
            out,
            " <span class=\"n\">{} {}</span>",
            group.hosts.len(),
            if group.hosts.len() == 1 {
                "host"
            } else {
                "hosts"
            }
        );
    }
    out.push_str("</summary><div class=\"body\">");
    if let Some(reason) = &group.reason {
        let _ = write!(out, "<p>Reason: <code>{}</code></p>", escape(reason));
    }
    match (&group.evidence, group.other) {
        (_, true) => out.push_str(&format!(
            "<p class=\"more\">Other values: these hosts' evidence differs from the {} shown above and is not included.</p>",
            super::findings::MAX_VARIANTS
        )),
        (None, false) => out.push_str("<p class=\"more\">Evidence not available.</p>"),
        (Some(_), false) if *evidence_used >= EVIDENCE_BUDGET => out.push_str(&format!(
            "<p class=\"more\">Evidence left out: this report's evidence budget ({} MB) is used up. \
             The JSON report or <code>plumb state history</code> has it.</p>",
            EVIDENCE_BUDGET as f64 / 1e6
        )),
        (Some(evidence), false) => {
            let before = out.len();
            if let Some(detail) = &evidence.detail {
                let _ = write!(out, "<p>{}</p>", escape(detail));
            }
            if !evidence.checks.is_empty() {
                out.push_str("<table class=\"ev\"><tr><th>check</th><th>expected</th><th>actual</th><th>source</th></tr>");
                for check in &evidence.checks {
                    let _ = write!(
                        out,
                        "<tr><td><code>{}</code> {}</td><td><pre>{}</pre></td><td><pre>{}</pre></td><td>{}</td></tr>",
                        escape(&check.method),
                        escape(&check.target),
                        escape(&check.expected),
                        escape(&check.actual),
                        escape(&source_text(&check.source)),
                    );
                }
                out.push_str("</table>");
                more_note(out, evidence.checks.len() + evidence.more_checks, evidence.checks.len(), "checks");
            }
            *evidence_used += out.len() - before;
        }
    }
    if page.hosts.len() > 1 {
        out.push_str("<p>Hosts: ");
        let names: Vec<String> = group
            .hosts
            .iter()
            .take(MAX_HOST_NAMES)
            .filter_map(|&i| page.hosts.get(i as usize))
            .map(|h| escape(&h.name))
            .collect();
        out.push_str(&names.join(", "));
        if group.hosts.len() > MAX_HOST_NAMES {
            let _ = write!(
                out,
                " and {} more (filter by host to see them)",
                group.hosts.len() - MAX_HOST_NAMES
            );
        }
        out.push_str("</p>");
    }
    let _ = writeln!(
        out,
        "<p><a href=\"#rule-{}\">Rationale, remediation and references</a></p></div></details>",
        escape(&group.rule_id)
    );
}

/// Where a check's value came from, in a line: `file:line`, `key: value`, lists joined.
fn source_text(source: &serde_json::Value) -> String {
    fn flat(value: &serde_json::Value) -> String {
        use serde_json::Value;
        match value {
            Value::Null => String::new(),
            Value::String(s) => s.clone(),
            Value::Array(list) => list.iter().map(flat).collect::<Vec<_>>().join(", "),
            Value::Object(map) => {
                let file = map
                    .get("file")
                    .or_else(|| map.get("path"))
                    .and_then(Value::as_str);
                match (file, map.get("line")) {
                    (Some(file), Some(Value::Number(line))) if map.len() == 2 => {
                        format!("{file}:{line}")
                    }
                    _ => map
                        .iter()
                        .map(|(k, v)| format!("{k}: {}", flat(v)))
                        .collect::<Vec<_>>()
                        .join("; "),
                }
            }
            other => other.to_string(),
        }
    }
    super::shorten(&flat(source), super::findings::MAX_VALUE_CHARS)
}

/// Host indices (sorted) as space-separated numbers and `first-last` runs.
fn host_ranges(hosts: &[u32]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < hosts.len() {
        let start = hosts[i];
        let mut end = start;
        while i + 1 < hosts.len() && hosts[i + 1] == end + 1 {
            i += 1;
            end = hosts[i];
        }
        if !out.is_empty() {
            out.push(' ');
        }
        if end > start {
            let _ = write!(out, "{start}-{end}");
        } else {
            let _ = write!(out, "{start}");
        }
        i += 1;
    }
    out
}

fn status_word(status: Status) -> &'static str {
    // Exhaustive on purpose: a new status must choose its word (and its place in status_rank).
    match status {
        Status::Pass => "pass",
        Status::Fail => "fail",
        Status::Skipped => "skipped",
        Status::Error => "error",
        Status::Waived => "waived",
    }
}

/// Each rule the findings mention, once: its texts and references.
fn rules(out: &mut String, page: &Page) {
    let ids: BTreeSet<(&str, &str)> = page
        .findings
        .groups
        .iter()
        .map(|g| (g.rule_id.as_str(), g.title.as_str()))
        .collect();
    out.push_str("<section id=\"rules\"><h2>Rules</h2>");
    let mut seen = BTreeSet::new();
    for (id, title) in ids {
        if !seen.insert(id) {
            continue;
        }
        let _ = write!(
            out,
            "<details class=\"rule\" id=\"rule-{eid}\"><summary><code>{eid}</code> {}</summary>",
            escape(title),
            eid = escape(id)
        );
        match page.rules.get(id) {
            None => out.push_str(
                "<p class=\"more\">This rule is not in the loaded rule set; its texts are not available.</p>",
            ),
            Some(rule) => {
                let _ = write!(
                    out,
                    "<dl><dt>Severity</dt><dd>{}</dd><dt>Description</dt><dd>{}</dd><dt>Rationale</dt><dd>{}</dd><dt>Remediation</dt><dd><pre>{}</pre></dd><dt>References</dt><dd>{}</dd><dt>Tags</dt><dd>{}</dd></dl>",
                    rule.severity.as_str(),
                    escape(rule.description.trim()),
                    escape(rule.rationale.trim()),
                    escape(rule.remediation.trim()),
                    references(&rule.references),
                    escape(&rule.tags.join(", ")),
                );
            }
        }
        out.push_str("</details>\n");
    }
    out.push_str("</section>\n");
}

/// References as `name: value, value` lines (escaped); links stay text, so nothing loads.
fn references(value: &serde_json::Value) -> String {
    fn flat(value: &serde_json::Value) -> String {
        match value {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Array(list) => list.iter().map(flat).collect::<Vec<_>>().join(", "),
            serde_json::Value::Object(map) => map
                .iter()
                .map(|(k, v)| format!("{k} {}", flat(v)))
                .collect::<Vec<_>>()
                .join(", "),
            other => other.to_string(),
        }
    }
    match value {
        serde_json::Value::Object(map) => map
            .iter()
            .map(|(k, v)| format!("<b>{}</b>: {}", escape(k), escape(&flat(v))))
            .collect::<Vec<_>>()
            .join("<br>"),
        serde_json::Value::Null => String::new(),
        other => escape(&flat(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_lists_collapse_runs() {
        assert_eq!(host_ranges(&[0, 1, 2, 5, 7, 8]), "0-2 5 7-8");
        assert_eq!(host_ranges(&[3]), "3");
    }

    #[test]
    fn sources_read_as_file_and_line() {
        let source = serde_json::json!({"persisted": {"file": "/etc/a.conf", "line": 18}});
        assert_eq!(source_text(&source), "persisted: /etc/a.conf:18");
        let read = serde_json::json!({"files_read": ["/a", "/b"]});
        assert_eq!(source_text(&read), "files_read: /a, /b");
    }

    #[test]
    fn the_csp_hashes_the_page_script_and_style() {
        let csp = content_security_policy();
        assert!(csp.starts_with("default-src 'none'"), "{csp}");
        assert!(csp.contains(&csp_hash(SCRIPT)) && csp.contains(&csp_hash(CSS)));
        // The script and style are inserted verbatim, so the hashes match what the browser sees.
        assert!(!SCRIPT.contains("</script") && !CSS.contains("</style"));
    }
}
