//! Drift reports as table, json, ndjson, markdown (a CI step summary), junit and sarif.
//! Regressions come first everywhere (the entries are sorted so), and the summary last.

use super::{DriftEntry, DriftReport, RuleState, Side, StateAt, View};
use crate::report::{Format, TOOL, markdown_cell as cell, terminal_safe, xml_escape};
use crate::rules::Severity;
use crate::time::rfc3339_seconds;
use anyhow::Context;
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use serde::Serialize;
use serde_json::{Value, json};
use std::fmt::Write as _;

/// Renders `report` in `format`.
pub fn render(format: Format, report: &DriftReport) -> anyhow::Result<String> {
    Ok(match format {
        Format::Table => table(report),
        Format::Json => {
            serde_json::to_string_pretty(report).context("could not serialize the drift report")?
                + "\n"
        }
        Format::Ndjson => ndjson(report)?,
        Format::Markdown => markdown(report),
        Format::Junit => junit(report),
        Format::Sarif => sarif(report)?,
        // Refused by `plumb drift` before computing; `plumb state report` is the HTML view.
        Format::Html => anyhow::bail!("drift reports have no html format"),
    })
}

fn time(at: Option<i64>) -> String {
    at.map_or_else(|| "-".to_string(), rfc3339_seconds)
}

fn side_text(side: Option<&Side>) -> String {
    let Some(side) = side else {
        return "nothing".to_string();
    };
    let mut parts = Vec::new();
    if let Some(host) = &side.host {
        parts.push(host.clone());
    }
    if let Some(scan) = &side.scan_id {
        parts.push(format!("scan {scan}"));
    }
    match side.at {
        Some(i64::MAX) | None => parts.push("now".to_string()),
        Some(at) => parts.push(rfc3339_seconds(at)),
    }
    parts.join(" ")
}

fn heading(report: &DriftReport) -> String {
    match report.view {
        View::At => format!("state at {}", side_text(report.before.as_ref())),
        View::Fleet => format!(
            "regressions across the fleet, {} -> {}",
            side_text(report.before.as_ref()),
            side_text(report.after.as_ref())
        ),
        _ => format!(
            "drift: {} -> {}",
            side_text(report.before.as_ref()),
            side_text(report.after.as_ref())
        ),
    }
}

fn status_text(state: Option<&RuleState>) -> String {
    state.map_or_else(|| "absent".to_string(), |s| s.status.to_string())
}

/// The evidence's `actual` value (what moved), or the whole evidence on one line.
fn actual_text(state: Option<&RuleState>) -> String {
    let Some(evidence) = state
        .and_then(|s| s.evidence.as_ref())
        .and_then(|raw| serde_json::from_str::<Value>(raw.get()).ok())
    else {
        return "-".to_string();
    };
    let evidence = &evidence;
    let text_of = |value: &Value| match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    // Stored evidence is `{checks: [{actual, ...}], ...}`; a bare check has `actual` itself.
    let actuals: Vec<String> = match evidence.get("checks").and_then(Value::as_array) {
        Some(checks) => checks
            .iter()
            .filter_map(|check| check.get("actual"))
            .map(text_of)
            .collect(),
        None => evidence.get("actual").map(text_of).into_iter().collect(),
    };
    let text = if actuals.is_empty() {
        evidence.to_string()
    } else {
        actuals.join("; ")
    };
    let one_line = terminal_safe(&text).replace('\n', " ");
    if one_line.chars().count() > 60 {
        one_line.chars().take(57).collect::<String>() + "..."
    } else {
        one_line
    }
}

fn summary_text(report: &DriftReport) -> String {
    if report.view == View::At {
        let rules = report.state.as_ref().map_or(0, Vec::len);
        return format!("{rules} rules");
    }
    if report.entries.is_empty() {
        return "no drift".to_string();
    }
    let classes: Vec<String> = report
        .summary
        .by_class
        .iter()
        .map(|(class, n)| format!("{n} {}", class.as_str().replace('_', " ")))
        .collect();
    format!(
        "{} on {} host(s)",
        classes.join(", "),
        report.summary.hosts_affected
    )
}

fn new_table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table
        .load_style(UTF8_FULL_CONDENSED)
        .set_header(header.to_vec());
    table
}

fn table(report: &DriftReport) -> String {
    let mut out = format!("{}\n", terminal_safe(&heading(report)));
    if let Some(state) = &report.state {
        let mut t = new_table(&["rule", "status", "severity", "failing since", "actual"]);
        for rule in state {
            t.add_row(vec![
                terminal_safe(&rule.rule_id),
                rule.state.status.to_string(),
                rule.state.severity.to_string(),
                time(rule.failing_since),
                actual_text(Some(&rule.state)),
            ]);
        }
        out.push_str(&format!("{t}\n"));
    }
    if !report.groups.is_empty() {
        let mut t = new_table(&["rule", "severity", "hosts", "regressed on"]);
        for group in &report.groups {
            t.add_row(vec![
                terminal_safe(&group.rule_id),
                group.severity.to_string(),
                group.hosts.len().to_string(),
                terminal_safe(&group.hosts.join(", ")),
            ]);
        }
        out.push_str(&format!("{t}\n"));
    }
    if !report.entries.is_empty() && report.view != View::Fleet {
        let mut t = new_table(&[
            "change",
            "severity",
            "host",
            "rule",
            "before",
            "after",
            "actual before",
            "actual after",
            "changed",
            "flaps",
            "failing since",
        ]);
        for e in &report.entries {
            t.add_row(vec![
                e.class.as_str().to_string(),
                e.severity.to_string(),
                terminal_safe(&e.host),
                terminal_safe(&e.rule_id),
                status_text(e.before.as_ref()),
                status_text(e.after.as_ref()),
                actual_text(e.before.as_ref()),
                actual_text(e.after.as_ref()),
                time(e.changed_at),
                e.flaps.map_or_else(|| "-".to_string(), |n| n.to_string()),
                time(e.failing_since),
            ]);
        }
        out.push_str(&format!("{t}\n"));
    }
    out.push_str(&format!("summary: {}\n", summary_text(report)));
    out
}

#[derive(Serialize)]
struct Line<'a, T: Serialize> {
    schema_version: u32,
    #[serde(rename = "type")]
    kind: &'static str,
    view: View,
    #[serde(flatten)]
    body: &'a T,
}

#[derive(Serialize)]
struct StateLine<'a> {
    host: Option<&'a str>,
    #[serde(flatten)]
    rule: &'a StateAt,
}

#[derive(Serialize)]
struct SummaryLine<'a> {
    before: &'a Option<Side>,
    after: &'a Option<Side>,
    summary: &'a super::DriftSummary,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    groups: &'a [super::RuleGroup],
}

/// One `change` line per entry (or one `state` line per rule for `--at`), then one `summary`.
fn ndjson(report: &DriftReport) -> anyhow::Result<String> {
    let mut out = String::new();
    let host = report.before.as_ref().and_then(|s| s.host.as_deref());
    for rule in report.state.iter().flatten() {
        push_line(&mut out, report, "state", &StateLine { host, rule })?;
    }
    for entry in &report.entries {
        push_line(&mut out, report, "change", entry)?;
    }
    let summary = SummaryLine {
        before: &report.before,
        after: &report.after,
        summary: &report.summary,
        groups: &report.groups,
    };
    push_line(&mut out, report, "summary", &summary)?;
    Ok(out)
}

fn push_line<T: Serialize>(
    out: &mut String,
    report: &DriftReport,
    kind: &'static str,
    body: &T,
) -> anyhow::Result<()> {
    let line = Line {
        schema_version: report.schema_version,
        kind,
        view: report.view,
        body,
    };
    // serde_json escapes control characters, so a line never holds a raw newline.
    out.push_str(&serde_json::to_string(&line).context("could not serialize an NDJSON line")?);
    out.push('\n');
    Ok(())
}

fn markdown(report: &DriftReport) -> String {
    let mut out = format!("## plumb {}\n\n", cell(&heading(report)));
    let regressions: usize = report
        .summary
        .by_class
        .iter()
        .filter(|(class, _)| class.is_regression())
        .map(|(_, n)| n)
        .sum();
    if let Some(n) = Some(regressions).filter(|n| *n > 0) {
        let _ = writeln!(out, "**{n} regression(s)**\n");
    }
    if let Some(state) = &report.state {
        out.push_str("| rule | status | severity | failing since |\n|---|---|---|---|\n");
        for rule in state {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} |",
                cell(&rule.rule_id),
                rule.state.status,
                rule.state.severity,
                time(rule.failing_since)
            );
        }
        out.push('\n');
    }
    if !report.groups.is_empty() {
        out.push_str("| rule | severity | hosts |\n|---|---|---|\n");
        for group in &report.groups {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} |",
                cell(&group.rule_id),
                group.severity,
                cell(&group.hosts.join(", "))
            );
        }
        out.push('\n');
    } else if !report.entries.is_empty() {
        out.push_str(
            "| change | severity | host | rule | before | after | actual before | actual after |\n\
             |---|---|---|---|---|---|---|---|\n",
        );
        for e in &report.entries {
            let _ = writeln!(
                out,
                "| {} | {} | {} | `{}` | {} | {} | {} | {} |",
                e.class.as_str(),
                e.severity,
                cell(&e.host),
                cell(&e.rule_id),
                status_text(e.before.as_ref()),
                status_text(e.after.as_ref()),
                cell(&actual_text(e.before.as_ref())),
                cell(&actual_text(e.after.as_ref())),
            );
        }
        out.push('\n');
    }
    let _ = writeln!(out, "Summary: {}", cell(&summary_text(report)));
    out
}

/// One test case per entry; regressions are failures.
fn junit(report: &DriftReport) -> String {
    let failures = report
        .entries
        .iter()
        .filter(|e| e.class.is_regression())
        .count();
    let tests = report.entries.len();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"plumb drift\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\">"
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\">",
        xml_escape(&heading(report))
    );
    for e in &report.entries {
        let _ = write!(
            out,
            "    <testcase classname=\"{}\" name=\"{}\"",
            xml_escape(&format!("plumb.drift.{}", e.host)),
            xml_escape(&e.rule_id)
        );
        let detail = format!(
            "{} ({}): {} -> {}; actual {} -> {}",
            e.class.as_str(),
            e.severity,
            status_text(e.before.as_ref()),
            status_text(e.after.as_ref()),
            actual_text(e.before.as_ref()),
            actual_text(e.after.as_ref())
        );
        if e.class.is_regression() {
            let _ = writeln!(
                out,
                ">\n      <failure type=\"{}\" message=\"{}\"/>\n    </testcase>",
                e.class.as_str(),
                xml_escape(&detail)
            );
        } else {
            let _ = writeln!(
                out,
                ">\n      <system-out>{}</system-out>\n    </testcase>",
                xml_escape(&detail)
            );
        }
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

fn sarif_level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// SARIF 2.1.0 with one result per regression.
fn sarif(report: &DriftReport) -> anyhow::Result<String> {
    let regressions: Vec<&DriftEntry> = report
        .entries
        .iter()
        .filter(|e| e.class.is_regression())
        .collect();
    let mut rule_ids: Vec<&str> = regressions.iter().map(|e| e.rule_id.as_str()).collect();
    rule_ids.sort_unstable();
    rule_ids.dedup();
    let rules: Vec<Value> = rule_ids
        .iter()
        .map(|id| {
            let severity = regressions
                .iter()
                .find(|e| e.rule_id == *id)
                .map_or(Severity::Low, |e| e.severity);
            json!({
                "id": id,
                "defaultConfiguration": { "level": sarif_level(severity) },
                "properties": { "severity": severity },
            })
        })
        .collect();
    let results: Vec<Value> = regressions
        .iter()
        .map(|e| {
            let index = rule_ids.binary_search(&e.rule_id.as_str()).unwrap_or(0);
            json!({
                "ruleId": e.rule_id,
                "ruleIndex": index,
                "level": sarif_level(e.severity),
                "message": { "text": format!(
                    "{} regressed on {}: {} -> fail (actual {} -> {})",
                    e.rule_id,
                    e.host,
                    status_text(e.before.as_ref()),
                    actual_text(e.before.as_ref()),
                    actual_text(e.after.as_ref()),
                ) },
                "locations": [{ "logicalLocations": [
                    { "name": e.host, "fullyQualifiedName": e.host, "kind": "host" }
                ] }],
                "properties": {
                    "host": e.host,
                    "class": e.class,
                    "changed_at": e.changed_at.map(crate::time::rfc3339_millis),
                },
            })
        })
        .collect();
    let sarif = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": { "name": TOOL.name, "version": TOOL.version, "rules": rules } },
            "results": results,
        }],
    });
    Ok(serde_json::to_string_pretty(&sarif).context("could not serialize SARIF")? + "\n")
}
