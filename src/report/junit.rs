//! JUnit XML, for CI systems that show test reports: a test suite per host, a test case per rule.

use super::findings::{self, problem};
use super::{HostOutcome, HostReport, RuleCatalog, ScanReport, Summary};
use crate::eval::{RuleResult, Status};
use std::fmt::Write as _;

pub(super) fn render(report: &ScanReport, rules: &RuleCatalog) -> String {
    let mut totals = Counts::default();
    let mut suites = String::new();
    for host in &report.hosts {
        let counts = Counts::of(host);
        totals.add(&counts);
        write_suite(&mut suites, host, &counts, rules);
    }
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"plumb\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{}\">",
        totals.tests,
        totals.failures,
        totals.errors,
        totals.skipped,
        seconds(totals.duration_ms),
    );
    out.push_str(&suites);
    out.push_str("</testsuites>\n");
    out
}

#[derive(Default)]
struct Counts {
    tests: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
    duration_ms: u64,
}

impl Counts {
    fn of(host: &HostReport) -> Self {
        match host.outcome {
            // A host that could not be scanned is one errored test case.
            HostOutcome::Error => Self {
                tests: 1,
                errors: 1,
                duration_ms: host.duration_ms,
                ..Self::default()
            },
            // Counted from the results written below, not from `host.summary`, so the
            // attributes always match the test cases.
            HostOutcome::Ok => {
                let summary = Summary::of(&host.results);
                Self {
                    tests: summary.total,
                    failures: summary.fail,
                    errors: summary.error,
                    skipped: summary.skipped + summary.waived,
                    duration_ms: host.duration_ms,
                }
            }
        }
    }

    fn add(&mut self, other: &Counts) {
        self.tests += other.tests;
        self.failures += other.failures;
        self.errors += other.errors;
        self.skipped += other.skipped;
        self.duration_ms += other.duration_ms;
    }
}

fn write_suite(out: &mut String, host: &HostReport, counts: &Counts, rules: &RuleCatalog) {
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" timestamp=\"{}\" time=\"{}\" hostname=\"{}\">",
        escape(&host.host),
        counts.tests,
        counts.failures,
        counts.errors,
        counts.skipped,
        escape(&junit_timestamp(&host.started_at)),
        seconds(host.duration_ms),
        escape(&host.host),
    );
    write_properties(out, host);
    let classname = escape(&format!("plumb.{}", host.host));
    match host.outcome {
        HostOutcome::Error => {
            let error = host.error.as_deref().unwrap_or("no error recorded");
            let _ = writeln!(
                out,
                "    <testcase classname=\"{classname}\" name=\"scan\">\n      <error message=\"{}\" type=\"host_error\"/>\n    </testcase>",
                escape(error)
            );
        }
        HostOutcome::Ok => {
            for result in &host.results {
                write_case(out, &classname, result, rules);
            }
        }
    }
    out.push_str("  </testsuite>\n");
}

fn write_properties(out: &mut String, host: &HostReport) {
    let properties = [
        ("platform", host.platform.as_deref()),
        ("scan_id", host.scan_id.as_deref()),
    ];
    if properties.iter().all(|(_, value)| value.is_none()) {
        return;
    }
    out.push_str("    <properties>\n");
    for (name, value) in properties {
        if let Some(value) = value {
            let _ = writeln!(
                out,
                "      <property name=\"{name}\" value=\"{}\"/>",
                escape(value)
            );
        }
    }
    out.push_str("    </properties>\n");
}

fn write_case(out: &mut String, classname: &str, result: &RuleResult, rules: &RuleCatalog) {
    let name = escape(&format!("{}: {}", result.rule_id, result.title));
    let open = format!("    <testcase classname=\"{classname}\" name=\"{name}\"");
    match result.status {
        Status::Pass => {
            let _ = writeln!(out, "{open}/>");
        }
        Status::Fail => {
            let message = format!(
                "expected {}, found {}",
                one_line(&findings::expected(result)),
                one_line(&findings::actual(result))
            );
            let _ = writeln!(
                out,
                "{open}>\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>",
                escape(&message),
                result.severity,
                escape_text(&failure_body(result, rules)),
            );
        }
        Status::Error => {
            let reason = result.reason.map_or("error", |r| r.as_str());
            let _ = writeln!(
                out,
                "{open}>\n      <error message=\"{}\" type=\"{reason}\"/>\n    </testcase>",
                escape(&problem(result)),
            );
        }
        Status::Skipped => {
            let _ = writeln!(
                out,
                "{open}>\n      <skipped message=\"{}\"/>\n    </testcase>",
                escape(&problem(result)),
            );
        }
        // JUnit has no "accepted failure": a skipped case whose message names the waiver,
        // with the failure's details as its text.
        Status::Waived => {
            let _ = writeln!(
                out,
                "{open}>\n      <skipped message=\"{}\">{}</skipped>\n    </testcase>",
                escape(&super::waived::result_note(result)),
                escape_text(&failure_body(result, rules)),
            );
        }
    }
}

fn failure_body(result: &RuleResult, rules: &RuleCatalog) -> String {
    let mut body = format!(
        "severity: {}\nexpected: {}\nactual: {}\n",
        result.severity,
        findings::expected(result),
        findings::actual(result),
    );
    for evidence in &result.evidence {
        if let Some(location) = findings::file_location(evidence) {
            match location.line {
                Some(line) => {
                    let _ = writeln!(body, "source: {}:{line}", location.file);
                }
                None => {
                    let _ = writeln!(body, "source: {}", location.file);
                }
            }
        }
    }
    if let Some(remediation) = findings::remediation(rules, &result.rule_id) {
        let _ = writeln!(body, "remediation:\n{remediation}");
    }
    body
}

fn one_line(text: &str) -> String {
    text.replace('\n', "; ")
}

fn seconds(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

/// The JUnit schema's timestamp has no zone and no fraction; ours are UTC, so
/// `2026-11-22T02:59:00.123Z` becomes `2026-11-22T02:59:00`.
fn junit_timestamp(rfc3339: &str) -> String {
    match rfc3339.get(..19) {
        Some(prefix) if rfc3339.ends_with('Z') => prefix.to_owned(),
        _ => rfc3339.to_owned(),
    }
}

/// Escapes text for an XML 1.0 attribute value. Characters XML 1.0 cannot carry at all (most
/// C0 controls, U+FFFE, U+FFFF) are dropped; tabs and line breaks become character references,
/// which attribute-value normalisation would otherwise turn into spaces.
pub(crate) fn escape(text: &str) -> String {
    escape_xml(text, true)
}

/// Escapes text for XML 1.0 element content, where tabs and newlines can stay as they are.
fn escape_text(text: &str) -> String {
    escape_xml(text, false)
}

fn escape_xml(text: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\'' if attribute => out.push_str("&apos;"),
            '\t' if attribute => out.push_str("&#9;"),
            '\n' if attribute => out.push_str("&#10;"),
            // A raw CR would be read back as a line feed.
            '\r' => out.push_str("&#13;"),
            c if is_xml_char(c) => out.push(c),
            _ => {}
        }
    }
    out
}

/// XML 1.0 `Char` production (Rust `char` already excludes surrogates).
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_handles_markup_and_drops_illegal_characters() {
        assert_eq!(
            escape("a<b>&\"c\"'d'"),
            "a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;"
        );
        assert_eq!(escape("x\u{0}\u{1b}[31m\u{FFFE}y"), "x[31my");
        assert_eq!(escape("l1\nl2\tt\r"), "l1&#10;l2&#9;t&#13;");
        assert_eq!(escape("ünï 🦀"), "ünï 🦀");
        assert_eq!(escape_text("a\n\t\"b\"\r<"), "a\n\t\"b\"&#13;&lt;");
    }

    #[test]
    fn timestamps_lose_zone_and_fraction() {
        assert_eq!(
            junit_timestamp("2026-11-22T02:59:00.123Z"),
            "2026-11-22T02:59:00"
        );
        assert_eq!(junit_timestamp("garbage"), "garbage");
    }

    #[test]
    fn seconds_have_millisecond_precision() {
        assert_eq!(seconds(1234), "1.234");
        assert_eq!(seconds(5), "0.005");
    }
}
