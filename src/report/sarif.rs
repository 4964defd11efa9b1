//! SARIF 2.1.0, for code-scanning dashboards: one run, a rule descriptor per rule seen, a result
//! per failure or error.

use super::findings::{self, problem};
use super::{HostOutcome, HostReport, RuleCatalog, ScanReport, TOOL};
use crate::eval::{RuleResult, Status};
use crate::rules::Severity;
use anyhow::Context;
use serde_json::{Value, json};
use std::collections::BTreeMap;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

pub(super) fn render(report: &ScanReport, rules: &RuleCatalog) -> anyhow::Result<String> {
    // Every rule with a result on any host, in id order; `ruleIndex` points into this list.
    let mut seen: BTreeMap<&str, &RuleResult> = BTreeMap::new();
    for result in report.hosts.iter().flat_map(|h| &h.results) {
        seen.entry(&result.rule_id).or_insert(result);
    }
    let index: BTreeMap<&str, usize> = seen.keys().enumerate().map(|(i, id)| (*id, i)).collect();
    let descriptors: Vec<Value> = seen
        .values()
        .map(|result| descriptor(result, rules))
        .collect();

    let mut results = Vec::new();
    for host in &report.hosts {
        for result in findings::findings(&host.results) {
            let rule_index = index.get(result.rule_id.as_str()).copied();
            results.push(sarif_result(host, result, rule_index));
        }
        // A waived failure is still a result, suppressed by its waiver.
        for result in super::waived::waived(&host.results) {
            let rule_index = index.get(result.rule_id.as_str()).copied();
            let mut waived = sarif_result(host, result, rule_index);
            waived["suppressions"] = super::waived::sarif_suppressions(result);
            results.push(waived);
        }
    }

    let notifications: Vec<Value> = report
        .hosts
        .iter()
        .filter(|h| h.outcome == HostOutcome::Error)
        .map(|host| {
            json!({
                "level": "error",
                "message": {
                    "text": format!(
                        "{}: {}",
                        host.host,
                        host.error.as_deref().unwrap_or("could not be scanned")
                    )
                },
                "locations": [{ "logicalLocations": [host_location(host)] }],
            })
        })
        .collect();

    let sarif = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": TOOL.name,
                    "version": TOOL.version,
                    "rules": descriptors,
                }
            },
            "invocations": [{
                "executionSuccessful": notifications.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
        }],
    });
    let mut text = serde_json::to_string_pretty(&sarif).context("could not serialize SARIF")?;
    text.push('\n');
    Ok(text)
}

fn descriptor(result: &RuleResult, rules: &RuleCatalog) -> Value {
    let Some(info) = rules.get(&result.rule_id) else {
        // Not in the catalog (e.g. a report rendered from stored results): what the result knows.
        return json!({
            "id": result.rule_id,
            "name": camel_case(&result.rule_id),
            "shortDescription": { "text": result.title },
            "defaultConfiguration": { "level": level(result.severity) },
            "properties": severity_properties(result.severity),
        });
    };
    let mut descriptor = json!({
        "id": info.id,
        "name": camel_case(&info.id),
        "shortDescription": { "text": info.title },
        "defaultConfiguration": { "level": level(info.severity) },
    });
    if !info.description.trim().is_empty() {
        descriptor["fullDescription"] = json!({ "text": info.description.trim() });
    }
    let remediation = info.remediation.trim();
    if !remediation.is_empty() {
        let mut markdown = String::new();
        if !info.rationale.trim().is_empty() {
            markdown.push_str(&format!("**Rationale:** {}\n\n", info.rationale.trim()));
        }
        markdown.push_str(&format!("**Remediation**\n\n{remediation}\n"));
        descriptor["help"] = json!({ "text": remediation, "markdown": markdown });
    }
    let mut properties = severity_properties(info.severity);
    properties["tags"] = json!(info.tags);
    if !info.references.is_null() {
        properties["references"] = info.references.clone();
    }
    descriptor["properties"] = properties;
    descriptor
}

// `security-severity` is the numeric score GitHub code scanning ranks security alerts by.
fn severity_properties(severity: Severity) -> Value {
    let score = match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
    };
    json!({ "severity": severity, "security-severity": score })
}

fn sarif_result(host: &HostReport, result: &RuleResult, rule_index: Option<usize>) -> Value {
    let (level, text) = match result.status {
        Status::Error => (
            "error",
            format!(
                "{}: could not be evaluated: {}",
                result.title,
                problem(result)
            ),
        ),
        _ => (
            level(result.severity),
            format!(
                "{}: expected {}, found {}",
                result.title,
                one_line(&findings::expected(result)),
                one_line(&findings::actual(result)),
            ),
        ),
    };

    let mut files = result.evidence.iter().filter_map(|evidence| {
        let location = findings::file_location(evidence)?;
        let mut physical = json!({ "artifactLocation": { "uri": path_uri(location.file) } });
        if let Some(line) = location.line {
            physical["region"] = json!({ "startLine": line });
        }
        Some((physical, &evidence.target))
    });
    let mut primary = json!({ "logicalLocations": [host_location(host)] });
    if let Some((physical, _)) = files.next() {
        primary["physicalLocation"] = physical;
    }
    let related: Vec<Value> = files
        .enumerate()
        .map(|(id, (physical, target))| {
            json!({ "id": id, "physicalLocation": physical, "message": { "text": target } })
        })
        .collect();

    let mut sarif = json!({
        "ruleId": result.rule_id,
        "level": level,
        "message": { "text": text },
        "locations": [primary],
        "properties": { "host": host.host, "status": result.status },
    });
    if let Some(rule_index) = rule_index {
        sarif["ruleIndex"] = json!(rule_index);
    }
    if !related.is_empty() {
        sarif["relatedLocations"] = json!(related);
    }
    if let Some(scan_id) = &host.scan_id {
        sarif["properties"]["scan_id"] = json!(scan_id);
    }
    sarif
}

fn host_location(host: &HostReport) -> Value {
    json!({ "name": host.host, "fullyQualifiedName": host.host, "kind": "host" })
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// `ssh-permit_root.login` → `SshPermitRootLogin`.
fn camel_case(id: &str) -> String {
    id.split(|c: char| !c.is_alphanumeric())
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_uppercase().chain(chars).collect::<String>()
            })
        })
        .collect()
}

/// A file path as a URI reference: bytes outside the URI path characters are percent-encoded.
fn path_uri(path: &str) -> String {
    let mut uri = String::with_capacity(path.len());
    for byte in path.bytes() {
        let keep = byte.is_ascii_alphanumeric() || b"/-._~!$&'()*+,;=:@".contains(&byte);
        if keep {
            uri.push(char::from(byte));
        } else {
            uri.push_str(&format!("%{byte:02X}"));
        }
    }
    uri
}

fn one_line(text: &str) -> String {
    text.replace('\n', "; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camel_case_joins_words() {
        assert_eq!(camel_case("ssh-permit_root.login"), "SshPermitRootLogin");
        assert_eq!(camel_case("--x--"), "X");
        assert_eq!(camel_case("audit-rules-v2"), "AuditRulesV2");
    }

    #[test]
    fn path_uri_encodes_what_a_uri_cannot_hold() {
        assert_eq!(path_uri("/etc/ssh/sshd_config"), "/etc/ssh/sshd_config");
        assert_eq!(path_uri("/etc/my file%#?"), "/etc/my%20file%25%23%3F");
        assert_eq!(path_uri("/etc/é"), "/etc/%C3%A9");
    }

    #[test]
    fn levels_follow_severity() {
        assert_eq!(level(Severity::Critical), "error");
        assert_eq!(level(Severity::High), "error");
        assert_eq!(level(Severity::Medium), "warning");
        assert_eq!(level(Severity::Low), "note");
    }
}
