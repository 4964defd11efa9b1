//! What every renderer needs from a result: which ones to show first, and their evidence as text.

use super::{RuleCatalog, RuleInfo};
use crate::eval::{Evidence, RuleResult, Status};

/// Failures and errors, most severe first, then by rule id.
pub(crate) fn findings(results: &[RuleResult]) -> Vec<&RuleResult> {
    by_severity(results, |status| {
        matches!(status, Status::Fail | Status::Error)
    })
}

/// The results whose status `keep` takes, most severe first, then by rule id.
pub(crate) fn by_severity(results: &[RuleResult], keep: fn(Status) -> bool) -> Vec<&RuleResult> {
    let mut shown: Vec<&RuleResult> = results.iter().filter(|r| keep(r.status)).collect();
    shown.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.rule_id.cmp(&b.rule_id))
    });
    shown
}

/// The expected values, one line per evidence entry.
pub(crate) fn expected(result: &RuleResult) -> String {
    evidence_lines(result, |e| &e.expected)
}

/// What was found: the actual values for a failure, the reason for an error.
pub(crate) fn actual(result: &RuleResult) -> String {
    match result.status {
        Status::Error => format!("error: {}", problem(result)),
        _ => evidence_lines(result, |e| &e.actual),
    }
}

/// Why a result is skipped or an error: `reason: detail`.
pub(crate) fn problem(result: &RuleResult) -> String {
    let reason = result.reason.map(|r| r.as_str());
    match (reason, result.detail.as_deref()) {
        (Some(reason), Some(detail)) => format!("{reason}: {detail}"),
        (Some(reason), None) => reason.to_owned(),
        (None, Some(detail)) => detail.to_owned(),
        (None, None) => "no reason recorded".to_owned(),
    }
}

// With several checks, each line names its target so the values can be told apart.
fn evidence_lines(result: &RuleResult, pick: impl Fn(&Evidence) -> &str) -> String {
    let labelled = result.evidence.len() > 1;
    result
        .evidence
        .iter()
        .map(|e| {
            if labelled && !e.target.is_empty() {
                format!("{}: {}", e.target, pick(e))
            } else {
                pick(e).to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A rule's references on one line, each leaf with its path: `{cis: {debian12: "5.2.10"},
/// nist_800_53: [AC-6(2), AC-17]}` reads `cis debian12 5.2.10; nist_800_53 AC-6(2), AC-17`.
pub(crate) fn references(rules: &RuleCatalog, rule_id: &str) -> String {
    let mut parts = Vec::new();
    if let Some(info) = rules.get(rule_id) {
        reference_parts(&info.references, String::new(), &mut parts);
    }
    parts.join("; ")
}

/// A rule's profiles, comma-separated.
pub(crate) fn profiles(rules: &RuleCatalog, rule_id: &str) -> String {
    rules
        .get(rule_id)
        .map(|info| info.profiles.join(", "))
        .unwrap_or_default()
}

fn reference_parts(value: &serde_json::Value, path: String, out: &mut Vec<String>) {
    use serde_json::Value;
    let labelled = |text: String| {
        if path.is_empty() {
            text
        } else {
            format!("{path} {text}")
        }
    };
    match value {
        Value::Null => {}
        Value::Object(map) => {
            for (key, inner) in map {
                let path = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path} {key}")
                };
                reference_parts(inner, path, out);
            }
        }
        Value::Array(items)
            if items
                .iter()
                .all(|item| !item.is_object() && !item.is_array()) =>
        {
            let items: Vec<String> = items.iter().map(scalar_text).collect();
            if !items.is_empty() {
                out.push(labelled(items.join(", ")));
            }
        }
        Value::Array(items) => {
            for item in items {
                reference_parts(item, path.clone(), out);
            }
        }
        scalar => out.push(labelled(scalar_text(scalar))),
    }
}

fn scalar_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

pub(crate) fn remediation<'a>(rules: &'a RuleCatalog, rule_id: &str) -> Option<&'a str> {
    rules
        .get(rule_id)
        .map(|info: &RuleInfo| info.remediation.trim())
        .filter(|text| !text.is_empty())
}

/// A file and (1-based) line the evidence was read from, when its source names one.
pub(crate) struct FileLocation<'a> {
    pub file: &'a str,
    pub line: Option<u64>,
}

/// Looks at the source itself, then one level down: some methods nest the file under a label
/// (`{"persisted": {"file": .., "line": ..}}` for sysctl, `{"config": {..}}` for modules).
pub(crate) fn file_location(evidence: &Evidence) -> Option<FileLocation<'_>> {
    let source = &evidence.source;
    location_in(source).or_else(|| source.as_object()?.values().find_map(location_in))
}

fn location_in(source: &serde_json::Value) -> Option<FileLocation<'_>> {
    let file = source.get("file")?.as_str()?;
    let line = source
        .get("line")
        .and_then(serde_json::Value::as_u64)
        .filter(|line| *line >= 1);
    Some(FileLocation { file, line })
}

/// `"3 items (a, b, c)"`, listing at most `limit` names.
pub(crate) fn counted_list(names: &[String], singular: &str, plural: &str, limit: usize) -> String {
    let noun = if names.len() == 1 { singular } else { plural };
    let mut text = format!("{} {noun}", names.len());
    if !names.is_empty() {
        let shown: Vec<&str> = names.iter().take(limit).map(String::as_str).collect();
        let more = names.len().saturating_sub(limit);
        text.push_str(" (");
        text.push_str(&shown.join(", "));
        if more > 0 {
            text.push_str(&format!(", +{more} more"));
        }
        text.push(')');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::Reason;
    use crate::rules::Severity;
    use serde_json::json;

    fn result(id: &str, severity: Severity, status: Status) -> RuleResult {
        RuleResult {
            rule_id: id.into(),
            title: id.into(),
            severity,
            status,
            reason: None,
            detail: None,
            implementation: None,
            evidence: vec![],
            waiver: None,
        }
    }

    fn evidence(target: &str, expected: &str, actual: &str, source: serde_json::Value) -> Evidence {
        Evidence {
            method: "file_content".into(),
            target: target.into(),
            expected: expected.into(),
            actual: actual.into(),
            source,
        }
    }

    #[test]
    fn findings_keep_failures_and_errors_most_severe_first() {
        let results = vec![
            result("b", Severity::Low, Status::Fail),
            result("pass", Severity::Critical, Status::Pass),
            result("c", Severity::High, Status::Error),
            result("a", Severity::High, Status::Fail),
            result("skip", Severity::Critical, Status::Skipped),
        ];
        let ids: Vec<&str> = findings(&results)
            .iter()
            .map(|r| r.rule_id.as_str())
            .collect();
        assert_eq!(ids, ["a", "c", "b"]);
    }

    #[test]
    fn several_evidence_lines_are_labelled_with_their_target() {
        let mut r = result("x", Severity::Low, Status::Fail);
        r.evidence = vec![evidence("A", "1", "2", json!({}))];
        assert_eq!(expected(&r), "1");
        r.evidence.push(evidence("B", "3", "4", json!({})));
        assert_eq!(expected(&r), "A: 1\nB: 3");
        assert_eq!(actual(&r), "A: 2\nB: 4");
    }

    #[test]
    fn an_error_shows_its_reason_as_the_actual_value() {
        let mut r = result("x", Severity::Low, Status::Error);
        r.reason = Some(Reason::Timeout);
        r.detail = Some("after 30 s".into());
        assert_eq!(actual(&r), "error: timeout: after 30 s");
    }

    #[test]
    fn file_location_needs_a_file_and_accepts_a_missing_or_null_line() {
        let e = evidence("t", "", "", json!({"file": "/etc/x", "line": 7}));
        let loc = file_location(&e).map(|l| (l.file, l.line));
        assert_eq!(loc, Some(("/etc/x", Some(7))));
        let e = evidence("t", "", "", json!({"file": "/etc/x", "line": null}));
        assert_eq!(file_location(&e).and_then(|l| l.line), None);
        let e = evidence("t", "", "", json!({"command": "sshd -T"}));
        assert!(file_location(&e).is_none());
        let nested =
            json!({"running": "/proc/sys/x", "persisted": {"file": "/etc/s.conf", "line": 3}});
        let e = evidence("t", "", "", nested);
        let loc = file_location(&e).map(|l| (l.file, l.line));
        assert_eq!(loc, Some(("/etc/s.conf", Some(3))));
    }

    #[test]
    fn counted_list_truncates_long_lists() {
        let names: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        assert_eq!(
            counted_list(&names, "fix", "fixes", 2),
            "3 fixes (a, b, +1 more)"
        );
        assert_eq!(counted_list(&names[..1], "fix", "fixes", 2), "1 fix (a)");
        assert_eq!(counted_list(&[], "fix", "fixes", 2), "0 fixes");
    }
}
