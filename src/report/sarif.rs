//! SARIF 2.1.0, shaped for GitHub code scanning: one run for the whole fleet, a rule
//! descriptor per rule seen, a result per failure or error.
//!
//! - Every result's primary location is the rule's definition: its file relative to the working
//!   directory (or `plumb/rules/FILE` for the embedded pack, `plumb/external/PATH` for a file
//!   outside the working directory) and the line of its `id:`. The host is a logical location
//!   and a property; the files the evidence read on the host are related locations.
//! - `partialFingerprints` hash (rule id, host), so an alert follows one rule on one host.
//! - One run, not one per host: GitHub takes at most 20 runs per file, and a host that leaves
//!   the inventory would leave its own run's alerts open forever. The run has no
//!   `automationDetails`, so the upload's `category` tells two fleets apart.
//! - GitHub rejects a run of more than 25,000 results: beyond that the most severe are kept,
//!   and the run and stderr say how many were left out.

use super::findings::{self, problem};
use super::{HostOutcome, HostReport, RuleCatalog, ScanReport, TOOL};
use crate::eval::{RuleResult, Status};
use crate::rules::{RuleOrigin, Severity};
use anyhow::Context;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// GitHub code scanning rejects a run with more results than this.
pub const MAX_RESULTS_PER_RUN: usize = 25_000;
/// The `partialFingerprints` key; the version changes if the hashed input ever does.
pub const FINGERPRINT_KEY: &str = "plumbRuleHost/v1";
/// Where the embedded pack's files appear.
const EMBEDDED_URI: &str = "plumb/rules/";
/// Where a rule file outside the working directory appears, followed by its absolute path.
const EXTERNAL_URI: &str = "plumb/external/";
/// Where a rule missing from the catalog appears, followed by its id.
const UNCATALOGUED_URI: &str = "plumb/rule/";
/// Base of the related locations: paths on the scanned host, not in the repository.
const HOST_ROOT: &str = "HOSTROOT";

pub(super) fn render(report: &ScanReport, rules: &RuleCatalog) -> anyhow::Result<String> {
    let cwd = std::env::current_dir().ok();
    render_with(report, rules, cwd.as_deref(), MAX_RESULTS_PER_RUN)
}

/// [`render`] relative to `cwd` (`None`: every rule file is external), keeping at most
/// `max_results`.
fn render_with(
    report: &ScanReport,
    rules: &RuleCatalog,
    cwd: Option<&Path>,
    max_results: usize,
) -> anyhow::Result<String> {
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

    let found: Vec<(&HostReport, &RuleResult)> = report
        .hosts
        .iter()
        .flat_map(|host| {
            findings::findings(&host.results)
                .into_iter()
                .chain(super::waived::waived(&host.results))
                .map(move |r| (host, r))
        })
        .collect();
    let (kept, left_out) = most_severe(found, max_results);
    let mut uris = RuleUris::new(cwd);
    let results: Vec<Value> = kept
        .into_iter()
        .map(|(host, result)| {
            let rule_index = index.get(result.rule_id.as_str()).copied();
            let location = uris.location(rules, &result.rule_id);
            let mut sarif = sarif_result(host, result, rule_index, location);
            // A waived failure is still a result, suppressed by its waiver.
            if result.status == Status::Waived {
                sarif["suppressions"] = super::waived::sarif_suppressions(result);
            }
            sarif
        })
        .collect();

    let mut notifications: Vec<Value> = report
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
    let successful = notifications.is_empty();
    if left_out > 0 {
        let text = format!(
            "{left_out} less severe results left out: GitHub code scanning takes at most \
             {max_results} results per run (render --format json for all of them)"
        );
        tracing::warn!("SARIF: {text}");
        notifications.push(json!({ "level": "warning", "message": { "text": text } }));
    }

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
                "executionSuccessful": successful,
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
        }],
    });
    let mut text = serde_json::to_string_pretty(&sarif).context("could not serialize SARIF")?;
    text.push('\n');
    Ok(text)
}

/// At most `max` of `found`, the most severe first to stay (errors rank with their severity,
/// waived failures after every other result), in their original order; and how many were left
/// out.
fn most_severe<'a>(
    found: Vec<(&'a HostReport, &'a RuleResult)>,
    max: usize,
) -> (Vec<(&'a HostReport, &'a RuleResult)>, usize) {
    if found.len() <= max {
        return (found, 0);
    }
    let mut order: Vec<usize> = (0..found.len()).collect();
    // Waived results go first, then the least severe; stable: among equals the earlier host
    // and rule stay.
    order.sort_by_key(|&i| {
        let result = found[i].1;
        (
            result.status == Status::Waived,
            std::cmp::Reverse(result.severity),
        )
    });
    let mut keep = vec![false; found.len()];
    for &i in &order[..max] {
        keep[i] = true;
    }
    let left_out = found.len() - max;
    let kept = found
        .into_iter()
        .zip(keep)
        .filter_map(|(item, keep)| keep.then_some(item))
        .collect();
    (kept, left_out)
}

/// Each rule file's URI, worked out once per file.
struct RuleUris<'a> {
    cwd: Option<PathBuf>,
    by_file: BTreeMap<&'a str, String>,
}

impl<'a> RuleUris<'a> {
    fn new(cwd: Option<&Path>) -> Self {
        Self {
            cwd: cwd.map(Path::to_path_buf),
            by_file: BTreeMap::new(),
        }
    }

    /// The primary location of a result of `rule_id`: where the rule is defined.
    fn location(&mut self, rules: &'a RuleCatalog, rule_id: &str) -> Value {
        let (uri, line) = match rules.get(rule_id) {
            Some(info) => {
                let origin: &'a RuleOrigin = &info.source;
                let cwd = self.cwd.as_deref();
                let uri = self
                    .by_file
                    .entry(&origin.file)
                    .or_insert_with(|| rule_file_uri(&origin.file, cwd))
                    .clone();
                (uri, origin.line)
            }
            None => (format!("{UNCATALOGUED_URI}{}", uri_path(rule_id)), 1),
        };
        json!({
            "artifactLocation": { "uri": uri },
            // SARIF lines start at 1; an unknown line points at the file's start.
            "region": { "startLine": line.max(1) },
        })
    }
}

/// A rule file's source name as a relative URI (see the module comment).
fn rule_file_uri(file: &str, cwd: Option<&Path>) -> String {
    if let Some(name) = file.strip_prefix(crate::rules::EMBEDDED_PREFIX) {
        return format!("{EMBEDDED_URI}{}", uri_path(name));
    }
    let path = Path::new(file);
    let absolute = match cwd {
        Some(cwd) => normalized(&cwd.join(path)),
        None => normalized(path),
    };
    if let Some(cwd) = cwd {
        if let Ok(inside) = absolute.strip_prefix(normalized(cwd)) {
            return uri_of(inside);
        }
        // The same file through symlinks (a linked checkout, /tmp and /private/tmp).
        if let (Ok(real), Ok(real_cwd)) = (path.canonicalize(), cwd.canonicalize()) {
            if let Ok(inside) = real.strip_prefix(&real_cwd) {
                return uri_of(inside);
            }
        }
    }
    format!("{EXTERNAL_URI}{}", uri_of(&absolute))
}

/// `path` without `.` and `..` components (lexically: `..` at the root stays at the root).
fn normalized(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// The normal components of `path`, percent-encoded and joined by `/`: always relative.
fn uri_of(path: &Path) -> String {
    path.components()
        .filter_map(|component| match component {
            Component::Normal(part) => Some(uri_path(&part.to_string_lossy())),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("/")
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

fn sarif_result(
    host: &HostReport,
    result: &RuleResult,
    rule_index: Option<usize>,
    rule_location: Value,
) -> Value {
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

    // The files the evidence read, on the host: relative to its root, never to the repository.
    let related: Vec<Value> = result
        .evidence
        .iter()
        .filter_map(|evidence| {
            let location = findings::file_location(evidence)?;
            let mut physical = json!({
                "artifactLocation": {
                    "uri": uri_of(&normalized(Path::new(location.file))),
                    "uriBaseId": HOST_ROOT,
                }
            });
            if let Some(line) = location.line {
                physical["region"] = json!({ "startLine": line });
            }
            Some((physical, location.file))
        })
        .enumerate()
        .map(|(id, (physical, file))| {
            json!({
                "id": id,
                "physicalLocation": physical,
                "message": { "text": format!("{}:{file}", host.host) },
            })
        })
        .collect();

    let mut sarif = json!({
        "ruleId": result.rule_id,
        "level": level,
        "message": { "text": text },
        "locations": [{
            "physicalLocation": rule_location,
            "logicalLocations": [host_location(host)],
        }],
        "partialFingerprints": { FINGERPRINT_KEY: fingerprint(&result.rule_id, &host.host) },
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

/// Stable across runs and plumb versions: SHA-256 of the rule id and host, NUL-separated (no
/// id or host name holds a NUL, so two pairs never hash the same text).
fn fingerprint(rule_id: &str, host: &str) -> String {
    crate::canonical::sha256_hex(format!("{rule_id}\0{host}"))
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

/// A path as a URI path: bytes outside the URI path characters are percent-encoded.
fn uri_path(path: &str) -> String {
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
    fn uri_path_encodes_what_a_uri_cannot_hold() {
        assert_eq!(uri_path("/etc/ssh/sshd_config"), "/etc/ssh/sshd_config");
        assert_eq!(uri_path("/etc/my file%#?"), "/etc/my%20file%25%23%3F");
        assert_eq!(uri_path("/etc/é"), "/etc/%C3%A9");
    }

    #[test]
    fn rule_files_become_relative_uris() {
        let cwd = Some(Path::new("/work/repo"));
        let uri = |file: &str| rule_file_uri(file, cwd);
        assert_eq!(uri("<embedded>/ssh.yml"), "plumb/rules/ssh.yml");
        assert_eq!(uri("rules/ssh.yml"), "rules/ssh.yml");
        assert_eq!(uri("./rules/../rules/a b.yml"), "rules/a%20b.yml");
        assert_eq!(uri("/work/repo/rules/x.yml"), "rules/x.yml");
        // Outside the working directory: never `..` or an absolute path.
        assert_eq!(uri("../other/x.yml"), "plumb/external/work/other/x.yml");
        assert_eq!(
            uri("/etc/plumb/x#1.yml"),
            "plumb/external/etc/plumb/x%231.yml"
        );
        assert_eq!(rule_file_uri("x.yml", None), "plumb/external/x.yml");
    }

    fn host(name: &str, results: Vec<RuleResult>) -> HostReport {
        HostReport {
            host: name.into(),
            outcome: HostOutcome::Ok,
            error: None,
            platform: None,
            scan_id: None,
            started_at: String::new(),
            duration_ms: 0,
            summary: super::super::Summary::of(&results),
            changes: None,
            results,
        }
    }

    fn failure(id: &str, severity: Severity) -> RuleResult {
        RuleResult {
            rule_id: id.into(),
            title: id.into(),
            severity,
            status: Status::Fail,
            reason: None,
            detail: None,
            implementation: None,
            evidence: vec![],
            waiver: None,
        }
    }

    #[test]
    fn a_run_over_the_limit_keeps_the_most_severe_and_says_so() {
        let report = ScanReport {
            schema_version: super::super::JSON_SCHEMA_VERSION,
            tool: TOOL,
            generated_at: String::new(),
            summary: Default::default(),
            waivers: vec![],
            hosts: vec![
                host(
                    "a",
                    vec![
                        failure("low-1", Severity::Low),
                        failure("crit-1", Severity::Critical),
                    ],
                ),
                host(
                    "b",
                    vec![
                        failure("high-1", Severity::High),
                        failure("low-2", Severity::Low),
                    ],
                ),
            ],
        };
        let text = render_with(&report, &RuleCatalog::new(), None, 2).unwrap();
        let doc: Value = serde_json::from_str(&text).unwrap();
        let run = &doc["runs"][0];
        let kept: Vec<(&str, &str)> = run["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["properties"]["host"].as_str().unwrap(),
                    r["ruleId"].as_str().unwrap(),
                )
            })
            .collect();
        // The two most severe, still in host order.
        assert_eq!(kept, [("a", "crit-1"), ("b", "high-1")]);
        let note = &run["invocations"][0]["toolExecutionNotifications"][0];
        assert_eq!(note["level"], "warning");
        assert!(
            note["message"]["text"]
                .as_str()
                .unwrap()
                .starts_with("2 less severe results left out")
        );
        // Not an execution failure: every host was scanned.
        assert_eq!(run["invocations"][0]["executionSuccessful"], true);
        // A result without a catalogued rule still has a location.
        assert_eq!(
            run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "plumb/rule/crit-1"
        );
    }

    #[test]
    fn fingerprints_depend_on_rule_and_host_only() {
        assert_eq!(fingerprint("a", "h"), fingerprint("a", "h"));
        assert_ne!(fingerprint("a", "h"), fingerprint("a", "h2"));
        assert_ne!(fingerprint("ab", "c"), fingerprint("a", "bc"));
        assert_eq!(fingerprint("a", "h").len(), 64);
    }

    #[test]
    fn levels_follow_severity() {
        assert_eq!(level(Severity::Critical), "error");
        assert_eq!(level(Severity::High), "error");
        assert_eq!(level(Severity::Medium), "warning");
        assert_eq!(level(Severity::Low), "note");
    }
}
