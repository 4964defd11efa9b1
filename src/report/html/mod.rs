//! `html`: one self-contained page (no network loads, a CSP that forbids them) with the score,
//! a severity breakdown, findings filterable by severity, status, tag, CIS section and host,
//! the rules' texts, and trends from the state file as inline SVG.
//!
//! Size is bounded for fleets: results are grouped by (rule, status, evidence), so hosts with
//! the same finding share one entry that lists them by index; a rule shows at most
//! [`findings::MAX_VARIANTS`] distinct evidences per status and the rest as one "other values"
//! entry; rule texts appear once. See README "HTML report".

mod findings;
mod page;
mod svg;

use super::{RuleCatalog, ScanReport};
use crate::rules::Severity;
use crate::store::trends::{ScorePoint, Trends};
pub use findings::{Entry, Findings, GroupEvidence};
use std::collections::BTreeMap;

/// One host's line in the hosts table.
#[derive(Clone, Debug, Default)]
pub struct HostRow {
    pub name: String,
    pub platform: Option<String>,
    /// RFC 3339.
    pub scanned_at: Option<String>,
    /// Why the host could not be scanned.
    pub error: Option<String>,
    pub pass: usize,
    pub fail: usize,
    pub skipped: usize,
    pub errors: usize,
    /// Failures a waiver accepts: not in the score.
    pub waived: usize,
    pub failing: BTreeMap<Severity, usize>,
    pub score: Option<f64>,
}

/// Where the page's data came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// `plumb scan --format html`.
    Scan,
    /// `plumb state report`: the state file's live results.
    StateFile,
}

/// Everything one page shows.
pub struct Page<'a> {
    pub source: Source,
    pub generated_at: String,
    /// Sorted by score, worst first (see [`sort_hosts`]); findings refer to hosts by index.
    pub hosts: Vec<HostRow>,
    pub findings: Findings,
    pub rules: &'a RuleCatalog,
    /// Full trends (`state report`), or only score histories (a scan with a state file).
    pub trends: Option<&'a Trends>,
}

/// Worst score first; hosts without a score (nothing assessed, or not scanned) last; then by
/// name so the order is stable.
pub fn sort_hosts(hosts: &mut [HostRow]) {
    hosts.sort_by(|a, b| {
        let key = |h: &HostRow| h.score.unwrap_or(f64::INFINITY);
        key(a).total_cmp(&key(b)).then_with(|| a.name.cmp(&b.name))
    });
}

/// The page of one scan. `trends` holds the scanned hosts' score histories when the scan was
/// recorded in a state file.
pub fn render_scan(report: &ScanReport, rules: &RuleCatalog, trends: Option<&Trends>) -> String {
    let mut hosts: Vec<HostRow> = report
        .hosts
        .iter()
        .map(|host| HostRow {
            name: host.host.clone(),
            platform: host.platform.clone(),
            scanned_at: Some(host.started_at.clone()),
            error: host.error.clone(),
            pass: host.summary.pass,
            fail: host.summary.fail,
            skipped: host.summary.skipped,
            errors: host.summary.error,
            waived: host.summary.waived,
            failing: host.summary.failed_by_severity.clone(),
            score: host.summary.score,
        })
        .collect();
    sort_hosts(&mut hosts);
    let index: std::collections::HashMap<&str, u32> = hosts
        .iter()
        .enumerate()
        .map(|(i, h)| (h.name.as_str(), i as u32))
        .collect();
    let mut findings = Findings::default();
    for host in &report.hosts {
        let Some(&at) = index.get(host.host.as_str()) else {
            continue;
        };
        for result in &host.results {
            let key = findings::variant_key(&result.stored_evidence().to_string());
            let entry = findings::Entry {
                rule_id: &result.rule_id,
                title: &result.title,
                severity: result.severity,
                status: result.status,
                reason: result.reason.map(|r| r.as_str()),
            };
            if let Some(group) = findings.add(at, &entry, key) {
                // A waived failure says which waiver accepts it, and until when.
                let waiver = (result.status == crate::eval::Status::Waived)
                    .then(|| crate::report::waived::result_note(result));
                let detail = waiver.as_deref().or(result.detail.as_deref());
                findings.set_evidence(group, GroupEvidence::new(&result.evidence, detail));
            }
        }
    }
    findings.sort();
    page::render(&Page {
        source: Source::Scan,
        generated_at: report.generated_at.clone(),
        hosts,
        findings,
        rules,
        trends,
    })
}

/// The page of the fleet as the state file holds it.
pub fn render_fleet(page: &Page) -> String {
    page::render(page)
}

/// Score points of one host, oldest first.
fn host_points<'a>(trends: &'a Trends, host: &'a str) -> impl Iterator<Item = &'a ScorePoint> {
    trends.host_scores.iter().filter(move |p| p.host == host)
}

/// Escapes text for HTML element content and double- or single-quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters other than tab and newline are not valid HTML text.
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// `text` cut to at most `max` characters, with `…` when cut.
fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_string(),
        Some((end, _)) => format!("{}…", &text[..end]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_neutralises_markup_and_quotes() {
        assert_eq!(
            escape(r#"<img src=x onerror='a'>&"#),
            "&lt;img src=x onerror=&#39;a&#39;&gt;&amp;"
        );
        assert_eq!(escape("a\"b\u{1b}c"), "a&quot;b\u{fffd}c");
    }

    #[test]
    fn hosts_sort_worst_first_and_unscored_last() {
        let host = |name: &str, score: Option<f64>| HostRow {
            name: name.into(),
            score,
            ..HostRow::default()
        };
        let mut hosts = vec![
            host("c", None),
            host("b", Some(90.0)),
            host("a", Some(40.0)),
        ];
        sort_hosts(&mut hosts);
        let names: Vec<&str> = hosts.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(names, ["a", "b", "c"]);
    }

    /// Every text a host or a rule file controls, made of markup.
    #[test]
    fn hostile_texts_are_escaped_everywhere() {
        use crate::eval::{Evidence, RuleResult, Status};
        use crate::report::{HostOutcome, HostReport, RuleInfo, Summary};
        const EVIL: &str = "<script>alert(1)</script><img src=http://x/>";
        let result = RuleResult {
            rule_id: "evil-rule".into(),
            title: EVIL.into(),
            severity: Severity::High,
            status: Status::Fail,
            reason: None,
            detail: Some(EVIL.into()),
            waiver: None,
            implementation: None,
            evidence: vec![Evidence {
                method: "file_content".into(),
                target: EVIL.into(),
                expected: EVIL.into(),
                actual: EVIL.into(),
                source: serde_json::json!({ "path": EVIL, "line": 1 }),
            }],
        };
        let results = vec![result];
        let host = HostReport {
            host: EVIL.into(),
            outcome: HostOutcome::Ok,
            error: None,
            platform: Some(EVIL.into()),
            scan_id: None,
            started_at: EVIL.into(),
            duration_ms: 0,
            summary: Summary::of(&results),
            changes: None,
            results,
        };
        let report = crate::scan::scan_report(vec![
            host.clone(),
            HostReport {
                host: format!("{EVIL}2"),
                outcome: HostOutcome::Error,
                error: Some(EVIL.into()),
                results: Vec::new(),
                summary: Summary::default(),
                ..host
            },
        ]);
        let mut rules = RuleCatalog::new();
        rules.insert(
            "evil-rule".into(),
            RuleInfo {
                id: "evil-rule".into(),
                title: EVIL.into(),
                description: EVIL.into(),
                rationale: EVIL.into(),
                severity: Severity::High,
                remediation: EVIL.into(),
                tags: vec![EVIL.into()],
                profiles: Vec::new(),
                references: serde_json::json!({ "cis": { "debian12": EVIL }, EVIL: [EVIL] }),
                dialect: crate::rules::Dialect::Kensa,
                metadata: serde_json::json!({ "category": EVIL }),
                source: crate::rules::RuleOrigin {
                    file: EVIL.into(),
                    line: 1,
                    column: 1,
                },
            },
        );
        let page = render_scan(&report, &rules, None);
        // The page's own script is the only script element, and no image element exists.
        assert_eq!(page.matches("<script").count(), 1, "{page}");
        assert!(!page.contains("<img"));
        assert!(page.matches("&lt;script&gt;alert(1)").count() >= 10);
    }

    #[test]
    fn shorten_cuts_on_characters() {
        assert_eq!(shorten("ééé", 2), "éé…");
        assert_eq!(shorten("ab", 2), "ab");
    }
}
