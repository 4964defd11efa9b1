//! Reports: one scan's results rendered as table, json, ndjson, junit, sarif, markdown or html.
//! Everything here writes to a buffer; the caller puts it on stdout or into `--output FILE`.

use crate::eval::{RuleResult, Status};
use crate::rules::{Dialect, Rule, RuleOrigin, Severity};
use serde::Serialize;
use std::collections::BTreeMap;

mod findings;
pub(crate) mod fit;
pub(crate) mod grid;
pub mod html;
mod json;
mod junit;
mod markdown;
pub(crate) mod paint;
mod sarif;
mod table;
mod waived;

pub(crate) use junit::escape as xml_escape;
pub(crate) use markdown::cell as markdown_cell;
pub use table::{TableView, WORST_HOSTS, clean as terminal_safe, terminal_width};

/// Version of the JSON/NDJSON report schema (documented in README). Bump on breaking changes.
pub const JSON_SCHEMA_VERSION: u32 = 1;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Table,
    Json,
    Ndjson,
    Junit,
    Sarif,
    Markdown,
    /// A self-contained page (see [`html`]); not for a terminal.
    Html,
}

/// Counts and score for one host (or the whole run).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Summary {
    pub total: usize,
    pub pass: usize,
    pub fail: usize,
    pub skipped: usize,
    pub error: usize,
    /// Failures a waiver accepts: counted neither as pass nor as fail (not in the score).
    pub waived: usize,
    /// [`crate::score::compliance_score`]; `None` when nothing was assessed.
    pub score: Option<f64>,
    /// Failures by severity name.
    pub failed_by_severity: BTreeMap<Severity, usize>,
}

impl Summary {
    pub fn of(results: &[RuleResult]) -> Self {
        let mut summary = Self {
            total: results.len(),
            ..Self::default()
        };
        for result in results {
            match result.status {
                Status::Pass => summary.pass += 1,
                Status::Fail => {
                    summary.fail += 1;
                    *summary
                        .failed_by_severity
                        .entry(result.severity)
                        .or_default() += 1;
                }
                Status::Skipped => summary.skipped += 1,
                Status::Error => summary.error += 1,
                Status::Waived => summary.waived += 1,
            }
        }
        summary.score = score(summary.pass, summary.fail);
        summary
    }

    pub fn add(&mut self, other: &Summary) {
        self.total += other.total;
        self.pass += other.pass;
        self.fail += other.fail;
        self.skipped += other.skipped;
        self.error += other.error;
        self.waived += other.waived;
        for (severity, count) in &other.failed_by_severity {
            *self.failed_by_severity.entry(*severity).or_default() += count;
        }
        self.score = score(self.pass, self.fail);
    }
}

fn score(pass: usize, fail: usize) -> Option<f64> {
    crate::score::compliance_score(pass as u64, fail as u64)
}

/// What changed since the host's previous stored scan.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Changes {
    pub previous_scan: Option<String>,
    /// Rules that fail now and did not before (regressions and first-seen failures).
    pub new_failures: Vec<String>,
    /// Rules that failed before and pass now.
    pub fixed: Vec<String>,
    /// Rules no longer in the rule set.
    pub removed: Vec<String>,
    /// Total changes recorded (any kind).
    pub changed: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HostOutcome {
    /// Scanned; results are complete.
    Ok,
    /// Could not be scanned at all; `error` says why and `results` is empty.
    Error,
}

#[derive(Clone, Debug, Serialize)]
pub struct HostReport {
    pub host: String,
    pub outcome: HostOutcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// os-release PRETTY_NAME (or ID VERSION_ID) when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scan_id: Option<String>,
    /// RFC 3339 UTC.
    pub started_at: String,
    pub duration_ms: u64,
    pub summary: Summary,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changes: Option<Changes>,
    /// Serialized by `json`, each result with its rule's references and profiles.
    #[serde(skip)]
    pub results: Vec<RuleResult>,
}

impl HostReport {
    /// The host was evaluated: it has results even if its outcome is an error (for example
    /// results that could not be recorded in the state file).
    pub fn evaluated(&self) -> bool {
        self.outcome == HostOutcome::Ok || !self.results.is_empty()
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct ToolInfo {
    pub name: &'static str,
    pub version: &'static str,
}

pub const TOOL: ToolInfo = ToolInfo {
    name: "plumb",
    version: env!("CARGO_PKG_VERSION"),
};

#[derive(Clone, Debug, Serialize)]
pub struct ScanReport {
    pub schema_version: u32,
    pub tool: ToolInfo,
    /// RFC 3339 UTC.
    pub generated_at: String,
    pub summary: Summary,
    /// Serialized by `json`, each result with its rule's references and profiles.
    #[serde(skip)]
    pub hosts: Vec<HostReport>,
    /// What each waiver of the run did: applied, expired or stale.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub waivers: Vec<crate::waivers::Use>,
}

/// Rule texts the renderers show next to results (remediation, help, references).
#[derive(Clone, Debug, Serialize)]
pub struct RuleInfo {
    pub id: String,
    pub title: String,
    pub description: String,
    pub rationale: String,
    pub severity: Severity,
    pub remediation: String,
    pub tags: Vec<String>,
    pub profiles: Vec<String>,
    pub references: serde_json::Value,
    /// The rule format the rule was read in.
    pub dialect: Dialect,
    /// The keys the dialect carries that plumb keeps without acting on (Kensa's `category`,
    /// `depends_on`, remediation mappings, ...); `null` for none.
    pub metadata: serde_json::Value,
    /// The rule's file and line: SARIF's physical location.
    #[serde(skip)]
    pub source: RuleOrigin,
}

impl From<&Rule> for RuleInfo {
    fn from(rule: &Rule) -> Self {
        Self {
            id: rule.id.clone(),
            title: rule.title.clone(),
            description: rule.description.clone(),
            rationale: rule.rationale.clone(),
            severity: rule.severity,
            remediation: rule.remediation.clone(),
            tags: rule.tags.clone(),
            profiles: rule.profiles.clone(),
            references: rule.references(),
            dialect: rule.dialect,
            metadata: rule
                .metadata
                .as_ref()
                .and_then(|metadata| serde_json::from_str(metadata.get()).ok())
                .unwrap_or_default(),
            source: rule.source.clone(),
        }
    }
}

pub type RuleCatalog = BTreeMap<String, RuleInfo>;

pub fn catalog(rules: &[Rule]) -> RuleCatalog {
    rules
        .iter()
        .map(|rule| (rule.id.clone(), RuleInfo::from(rule)))
        .collect()
}

/// How a report is rendered.
#[derive(Clone, Copy, Debug)]
pub struct RenderOptions {
    /// ANSI colors in the table format; no escape code at all when false.
    pub color: bool,
    /// Width the table format wraps to; `None` means [`DEFAULT_WIDTH`]. Passed in rather than
    /// detected so output written to a file does not depend on the terminal
    /// (see [`terminal_width`]).
    pub width: Option<u16>,
}

/// Table width when none is given: fits a common 100-column terminal.
pub const DEFAULT_WIDTH: u16 = 100;

/// Renders `report` in `format`. Rule texts (remediation, descriptions) come from `rules`;
/// a result whose rule is missing from the catalog is still rendered, without them.
pub fn render(
    format: Format,
    report: &ScanReport,
    rules: &RuleCatalog,
    options: RenderOptions,
) -> anyhow::Result<String> {
    let rendered = match format {
        Format::Table => table::render(report, rules, options, &TableView::default()),
        Format::Json => json::render_json(report, rules)?,
        Format::Ndjson => json::render_ndjson(report, rules)?,
        Format::Junit => junit::render(report, rules),
        Format::Sarif => sarif::render(report, rules)?,
        Format::Markdown => markdown::render(report, rules),
        Format::Html => html::render_scan(report, rules, None),
    };
    Ok(rendered)
}

/// Renders `report` in the table format with the `view`'s choices (`scan --summary`,
/// `--explain`).
pub fn render_table(
    report: &ScanReport,
    rules: &RuleCatalog,
    options: RenderOptions,
    view: &TableView,
) -> String {
    table::render(report, rules, options, view)
}

/// Writes `bytes` to `path` atomically: a temp file in the same directory, then rename, so a
/// reader never sees half a report and a failure leaves any previous file intact.
pub fn write_atomic(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => std::path::Path::new("."),
    };
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|err| err.error)?;
    Ok(())
}

/// Formats unix milliseconds as RFC 3339 UTC (`2026-11-24T02:59:00.123Z`).
pub fn rfc3339(unix_ms: i64) -> String {
    crate::time::rfc3339_millis(unix_ms)
}

pub fn now_unix_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_formats_known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(1_795_316_340_123), "2026-11-22T02:59:00.123Z");
        assert_eq!(rfc3339(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }
}
