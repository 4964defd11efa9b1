//! The terminal view. A one-line header; one line per failure (severity, rule id, title, the
//! actual value cut to fit), most severe first; rules that could not be assessed, with why;
//! `--explain RULE` details; and the summary last, so it stays in view. A fleet gets one line
//! per host and the failures of its [`WORST_HOSTS`] worst hosts.

use super::findings::{self, counted_list};
use super::fit::{self, one_line, pad, truncate, wrap};
use super::paint::{Ansi, Paint, severity_color};
use super::{
    Changes, DEFAULT_WIDTH, HostOutcome, HostReport, RenderOptions, RuleCatalog, ScanReport,
    Summary, TOOL,
};
use crate::eval::{RuleResult, Status};
use std::collections::BTreeMap;

/// Rule ids listed inline in the "changes" line before "+N more".
const LISTED_CHANGES: usize = 5;
/// In a fleet, the hosts (lowest score first) whose failures are listed.
pub const WORST_HOSTS: usize = 3;
const GAP: &str = "  ";
/// Below this many columns the title is left out of a failure line.
const MIN_TITLE_WIDTH: usize = 12;
/// The one documented way to see a failure's detail, named in the summary.
const DETAIL_HINT: &str =
    "details: --explain RULE shows its expected and actual values and remediation";

/// What the table view shows beyond the default.
#[derive(Clone, Debug, Default)]
pub struct TableView {
    /// Header and summary only: no failure lines (`scan --summary`).
    pub summary_only: bool,
    /// Rules shown in full: expected, actual, source, remediation, references (`--explain`).
    pub explain: Vec<String>,
}

/// The width of the terminal: `COLUMNS` when set (as `ls` and `git` honour it), else the
/// terminal on stdout, if it is one.
pub fn terminal_width() -> Option<u16> {
    let columns = std::env::var("COLUMNS").ok();
    match columns.and_then(|c| c.trim().parse::<u16>().ok()) {
        Some(columns) if columns > 0 => Some(columns),
        _ => comfy_table::Table::new().width(),
    }
}

pub(super) fn render(
    report: &ScanReport,
    rules: &RuleCatalog,
    options: RenderOptions,
    view: &TableView,
) -> String {
    let view_ctx = View {
        paint: Paint {
            color: options.color,
        },
        width: usize::from(options.width.unwrap_or(DEFAULT_WIDTH)),
    };
    let mut blocks = vec![vec![view_ctx.header(report)]];
    if !view.summary_only {
        match report.hosts.as_slice() {
            [] => blocks.push(vec!["no hosts in this report".to_owned()]),
            [host] => blocks.extend(view_ctx.host_findings(host)),
            hosts => {
                blocks.push(view_ctx.host_lines(hosts));
                blocks.extend(view_ctx.worst_hosts(hosts));
            }
        }
        for rule_id in &view.explain {
            blocks.push(view_ctx.explain(report, rules, rule_id));
        }
    }
    blocks.push(view_ctx.summary(report, view));
    let mut out = String::new();
    for (index, block) in blocks.iter().filter(|b| !b.is_empty()).enumerate() {
        if index > 0 {
            out.push('\n');
        }
        for line in block {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

#[derive(Clone, Copy)]
struct View {
    paint: Paint,
    width: usize,
}

impl View {
    /// `plumb 0.1.0 · web-1 · Debian GNU/Linux 12 (bookworm) · 386 rules`, or the host count.
    fn header(self, report: &ScanReport) -> String {
        let tool = format!("{} {}", TOOL.name, TOOL.version);
        let mut parts = vec![tool];
        match report.hosts.as_slice() {
            [host] => {
                parts.push(clean(&host.host));
                parts.push(clean(
                    host.platform.as_deref().unwrap_or("unknown platform"),
                ));
                parts.push(plural(host.summary.total, "rule", "rules"));
            }
            hosts => parts.push(plural(hosts.len(), "host", "hosts")),
        }
        let line = truncate(&parts.join(" · "), self.width);
        self.paint.bold(&line)
    }

    /// A single host: its failures, then the rules that could not be assessed, then the
    /// failures a waiver accepts.
    fn host_findings(self, host: &HostReport) -> Vec<Vec<String>> {
        let mut shown = findings::findings(&host.results);
        let first_waived = shown.len();
        shown.extend(super::waived::waived(&host.results));
        let layout = Columns::of(&shown, self.width);
        // Exhaustive, so that a new status must say where it is shown.
        let (mut failures, mut errors, mut waived) = (Vec::new(), Vec::new(), Vec::new());
        for result in &shown {
            match result.status {
                Status::Fail => failures.push(self.finding_line(result, &layout)),
                Status::Error => errors.push(self.finding_line(result, &layout)),
                Status::Waived => waived.push(self.finding_line(result, &layout)),
                Status::Pass | Status::Skipped => {}
            }
        }
        let shown = &shown[..first_waived];
        if shown.is_empty() && host.evaluated() {
            failures.push(self.paint.fg("no failures", Ansi::Green));
        }
        if !errors.is_empty() {
            errors.insert(
                0,
                self.paint
                    .fg("could not be assessed (error), with why:", Ansi::Yellow),
            );
        }
        if !waived.is_empty() {
            waived.insert(
                0,
                self.paint
                    .fg("waived failures (accepted, not in the score):", Ansi::Cyan),
            );
        }
        vec![failures, errors, waived]
    }

    /// `high      rule-id  Title  actual value…`, fitted to the width.
    fn finding_line(self, result: &RuleResult, layout: &Columns) -> String {
        let (value, value_color) = match result.status {
            Status::Error => (findings::problem(result), Ansi::Yellow),
            Status::Waived => (super::waived::result_note(result), Ansi::Cyan),
            Status::Fail | Status::Pass | Status::Skipped => (findings::actual(result), Ansi::Red),
        };
        let severity = pad(result.severity.as_str(), layout.severity);
        let mut line = self.paint.fg(&severity, severity_color(result.severity));
        line.push_str(GAP);
        let id = clean(&result.rule_id);
        let id_len = id.chars().count();
        if id_len <= layout.id {
            line.push_str(&pad(&id, layout.id));
            if layout.title > 0 {
                line.push_str(GAP);
                let title = truncate(&one_line(&clean(&result.title)), layout.title);
                line.push_str(&pad(&title, layout.title));
            }
        } else {
            // A rare long id stays whole (it is what --explain takes): it takes its row's
            // title column, and the value starts where the others do, or right after it.
            line.push_str(&id);
            let value_column = self.width - layout.value;
            let used = fit::width(&line) + GAP.len();
            line.push_str(&" ".repeat(value_column.saturating_sub(used)));
        }
        let room = self.width.saturating_sub(fit::width(&line) + GAP.len());
        let value = truncate(&one_line(&clean(&value)), room);
        if !value.is_empty() {
            line.push_str(GAP);
            line.push_str(&self.paint.fg(&value, value_color));
        }
        line.trim_end().to_owned()
    }

    /// A fleet: one line per host, in the report's order.
    fn host_lines(self, hosts: &[HostReport]) -> Vec<String> {
        let name_width = hosts
            .iter()
            .map(|h| clean(&h.host).chars().count())
            .max()
            .unwrap_or(0)
            .min(self.width / 3);
        let state_width = hosts
            .iter()
            .map(|h| host_state(h).0.len())
            .max()
            .unwrap_or(0);
        hosts
            .iter()
            .map(|host| {
                let (state, color) = host_state(host);
                let name = pad(&truncate(&clean(&host.host), name_width), name_width);
                let detail = match (&host.error, host.outcome) {
                    (Some(error), HostOutcome::Error) if !host.evaluated() => clean(error),
                    _ => host_counts(&host.summary),
                };
                let room = self
                    .width
                    .saturating_sub(name_width + state_width + 2 * GAP.len());
                let detail = truncate(&one_line(&detail), room);
                let state = self.paint.fg(&pad(state, state_width), color);
                format!("{name}{GAP}{state}{GAP}{detail}")
                    .trim_end()
                    .to_owned()
            })
            .collect()
    }

    /// The failures of the worst hosts: lowest score first, then most failures.
    fn worst_hosts(self, hosts: &[HostReport]) -> Vec<Vec<String>> {
        let mut failing: Vec<&HostReport> = hosts
            .iter()
            .filter(|h| h.summary.fail + h.summary.error > 0)
            .collect();
        failing.sort_by(|a, b| {
            let score = |h: &HostReport| h.summary.score.unwrap_or(f64::INFINITY);
            score(a)
                .total_cmp(&score(b))
                .then_with(|| b.summary.fail.cmp(&a.summary.fail))
                .then_with(|| a.host.cmp(&b.host))
        });
        let mut blocks = Vec::new();
        for host in failing.iter().take(WORST_HOSTS) {
            let heading = format!(
                "{} · {}",
                self.paint.bold(&clean(&host.host)),
                host_counts(&host.summary)
            );
            let mut block = vec![truncate_painted(&heading, self.width)];
            for lines in self.host_findings(host) {
                block.extend(lines);
            }
            blocks.push(block);
        }
        let left = failing.len().saturating_sub(WORST_HOSTS);
        if left > 0 {
            let text = format!(
                "the failures of {} more {} are not listed: scan one host (or --limit HOST) to see its failures, or use --format json",
                left,
                if left == 1 { "host" } else { "hosts" }
            );
            blocks.push(wrap(&text, self.width, "", "  "));
        }
        blocks
    }

    /// `--explain RULE`: everything about one rule, per host where it is not a pass (every
    /// host's result for a single host).
    fn explain(self, report: &ScanReport, rules: &RuleCatalog, rule_id: &str) -> Vec<String> {
        let info = rules.get(rule_id);
        let results: Vec<(&HostReport, &RuleResult)> = report
            .hosts
            .iter()
            .flat_map(|h| h.results.iter().map(move |r| (h, r)))
            .filter(|(_, r)| r.rule_id == rule_id)
            .collect();
        let title = info
            .map(|i| i.title.as_str())
            .or(results.first().map(|(_, r)| r.title.as_str()))
            .unwrap_or("");
        let severity = info
            .map(|i| i.severity)
            .or(results.first().map(|(_, r)| r.severity));
        let mut head = self.paint.bold(&clean(rule_id));
        if let Some(severity) = severity {
            head.push_str(" · ");
            head.push_str(&self.paint.fg(severity.as_str(), severity_color(severity)));
        }
        head.push_str(" · ");
        head.push_str(&clean(title));
        let mut lines = wrap(&head, self.width, "", "  ");
        if let Some(info) = info {
            self.labelled(&mut lines, "why", &info.rationale);
        }
        let single = report.hosts.len() == 1;
        let mut passed = 0;
        for (host, result) in &results {
            if !single && result.status == Status::Pass {
                passed += 1;
                continue;
            }
            if !single {
                self.labelled(&mut lines, "host", &host.host);
            }
            let status = match result.status {
                Status::Skipped | Status::Error => {
                    format!("{}: {}", result.status.as_str(), findings::problem(result))
                }
                Status::Waived => format!("waived ({})", super::waived::result_note(result)),
                Status::Pass | Status::Fail => result.status.as_str().to_owned(),
            };
            self.labelled(&mut lines, "status", &status);
            if !result.evidence.is_empty() {
                self.labelled(&mut lines, "expected", &findings::expected(result));
                self.labelled(&mut lines, "actual", &findings::actual(result));
            }
            let sources: Vec<String> = result
                .evidence
                .iter()
                .filter_map(findings::file_location)
                .map(|l| match l.line {
                    Some(line) => format!("{}:{line}", l.file),
                    None => l.file.to_owned(),
                })
                .collect();
            self.labelled(&mut lines, "source", &sources.join("\n"));
        }
        if passed > 0 {
            self.labelled(&mut lines, "passes on", &plural(passed, "host", "hosts"));
        }
        if results.is_empty() {
            self.labelled(&mut lines, "status", "not evaluated on any host");
        }
        if let Some(fix) = findings::remediation(rules, rule_id) {
            self.labelled(&mut lines, "fix", fix);
        }
        self.labelled(&mut lines, "refs", &findings::references(rules, rule_id));
        lines
    }

    /// `  label     text`, each line of `text` wrapped under the text column.
    fn labelled(self, lines: &mut Vec<String>, label: &str, text: &str) {
        let rest = " ".repeat(12);
        let mut first = format!("  {}", pad(label, 10));
        for paragraph in clean(text).lines().filter(|l| !l.trim().is_empty()) {
            lines.extend(wrap(paragraph, self.width, &first, &rest));
            first.clone_from(&rest);
        }
    }

    /// Counts, score, changes, errors and why: printed last.
    fn summary(self, report: &ScanReport, view: &TableView) -> Vec<String> {
        let mut texts = Vec::new();
        if report.hosts.len() > 1 {
            let unscanned = report.hosts.iter().filter(|h| !h.evaluated()).count();
            texts.push(format!(
                "{}: {} scanned, {}",
                plural(report.hosts.len(), "host", "hosts"),
                report.hosts.len() - unscanned,
                self.paint.fg_if(
                    unscanned > 0,
                    &format!("{unscanned} not scanned"),
                    Ansi::Red
                ),
            ));
        }
        texts.push(self.counts(&report.summary));
        if let Some(failed) = self.failed_by_severity(&report.summary) {
            texts.push(failed);
        }
        if let Some(errors) = self.rule_errors(report) {
            texts.push(errors);
        }
        if let [host] = report.hosts.as_slice() {
            if let Some(error) = &host.error {
                let what = if host.evaluated() {
                    "not recorded:"
                } else {
                    "not scanned:"
                };
                texts.push(format!(
                    "{} {}",
                    self.paint.fg(what, Ansi::Red),
                    clean(error)
                ));
            }
        }
        if let Some(changes) = self.changes(report) {
            texts.push(changes);
        }
        if report.summary.fail + report.summary.error > 0 {
            if view.summary_only {
                texts.push("failures: listed without --summary".to_owned());
            }
            if view.explain.is_empty() {
                texts.push(DETAIL_HINT.to_owned());
            }
        }
        texts
            .iter()
            .flat_map(|text| wrap(text, self.width, "", "  "))
            .collect()
    }

    /// `12 rules: 7 pass, 3 fail, 1 error, 1 skipped; score 70.0%`
    fn counts(self, summary: &Summary) -> String {
        let paint = self.paint;
        format!(
            "{} rules: {}, {}, {}, {} skipped; score {}",
            summary.total,
            paint.fg_if(
                summary.pass > 0,
                &format!("{} pass", summary.pass),
                Ansi::Green
            ),
            paint.fg_if(
                summary.fail > 0,
                &format!("{} fail", summary.fail),
                Ansi::Red
            ),
            paint.fg_if(
                summary.error > 0,
                &format!("{} error", summary.error),
                Ansi::Yellow
            ),
            summary.skipped,
            score_text(summary.score),
        ) + &match summary.waived {
            0 => String::new(),
            n => format!("; {n} waived (not in the score)"),
        }
    }

    /// `failed: 1 critical, 2 high`, most severe first; `None` when nothing failed.
    fn failed_by_severity(self, summary: &Summary) -> Option<String> {
        if summary.failed_by_severity.is_empty() {
            return None;
        }
        let by_severity: Vec<String> = summary
            .failed_by_severity
            .iter()
            .rev()
            .map(|(severity, count)| {
                self.paint
                    .fg(&format!("{count} {severity}"), severity_color(*severity))
            })
            .collect();
        Some(format!("failed: {}", by_severity.join(", ")))
    }

    /// `errors: 2 rules could not be assessed (probe_failed: 1, timeout: 1)`.
    fn rule_errors(self, report: &ScanReport) -> Option<String> {
        let mut by_reason: BTreeMap<&str, usize> = BTreeMap::new();
        for result in report.hosts.iter().flat_map(|h| &h.results) {
            if result.status == Status::Error {
                let reason = result.reason.map_or("unknown", |r| r.as_str());
                *by_reason.entry(reason).or_default() += 1;
            }
        }
        if by_reason.is_empty() {
            return None;
        }
        let total: usize = by_reason.values().sum();
        let reasons: Vec<String> = by_reason
            .iter()
            .map(|(reason, n)| format!("{reason}: {n}"))
            .collect();
        Some(format!(
            "{} {} could not be assessed ({})",
            self.paint.fg("errors:", Ansi::Yellow),
            plural(total, "rule", "rules"),
            reasons.join(", ")
        ))
    }

    /// Since the previous scan: the host's list, or a fleet's totals.
    fn changes(self, report: &ScanReport) -> Option<String> {
        if let [host] = report.hosts.as_slice() {
            return host.changes.as_ref().map(|c| self.changes_line(c));
        }
        let known: Vec<&Changes> = report
            .hosts
            .iter()
            .filter_map(|h| h.changes.as_ref())
            .filter(|c| c.previous_scan.is_some())
            .collect();
        let first = report
            .hosts
            .iter()
            .filter_map(|h| h.changes.as_ref())
            .count()
            - known.len();
        if known.is_empty() && first == 0 {
            return None;
        }
        let new: usize = known.iter().map(|c| c.new_failures.len()).sum();
        let fixed: usize = known.iter().map(|c| c.fixed.len()).sum();
        let mut parts = Vec::new();
        if !known.is_empty() {
            parts.push(format!(
                "since last scan: {}, {} on {}",
                self.paint.fg_if(
                    new > 0,
                    &plural(new, "new failure", "new failures"),
                    Ansi::Red
                ),
                self.paint
                    .fg_if(fixed > 0, &format!("{fixed} fixed"), Ansi::Green),
                plural(known.len(), "host", "hosts"),
            ));
        }
        if first > 0 {
            parts.push(format!(
                "first recorded scan of {}",
                plural(first, "host", "hosts")
            ));
        }
        Some(parts.join("; "))
    }

    fn changes_line(self, changes: &Changes) -> String {
        let paint = self.paint;
        let Some(previous) = changes.previous_scan.as_deref().map(short_id) else {
            return "first recorded scan of this host".to_owned();
        };
        let list = |names: &[String], singular, plural| {
            clean(&counted_list(names, singular, plural, LISTED_CHANGES))
        };
        let mut text = format!(
            "since last scan ({previous}): {}, {}",
            paint.fg_if(
                !changes.new_failures.is_empty(),
                &list(&changes.new_failures, "new failure", "new failures"),
                Ansi::Red
            ),
            paint.fg_if(
                !changes.fixed.is_empty(),
                &list(&changes.fixed, "fixed", "fixed"),
                Ansi::Green
            ),
        );
        if !changes.removed.is_empty() {
            let removed = list(&changes.removed, "rule removed", "rules removed");
            text.push_str(&format!(", {removed}"));
        }
        text
    }
}

/// Column widths of the failure lines of one list, so they align.
struct Columns {
    severity: usize,
    id: usize,
    title: usize,
    value: usize,
}

impl Columns {
    fn of(shown: &[&RuleResult], width: usize) -> Self {
        let longest = |text: fn(&RuleResult) -> String| {
            shown
                .iter()
                .map(|r| one_line(&clean(&text(r))).chars().count())
                .max()
                .unwrap_or(0)
        };
        let severity = longest(|r| r.severity.as_str().to_owned());
        // Longer ids than this overflow their row's title (see `finding_line`).
        let id = longest(|r| r.rule_id.clone()).min(width * 2 / 5);
        let rest = width.saturating_sub(severity + GAP.len() + id + GAP.len());
        let value_max = longest(|r| match r.status {
            Status::Error => findings::problem(r),
            Status::Waived => super::waived::result_note(r),
            Status::Fail | Status::Pass | Status::Skipped => findings::actual(r),
        });
        // The title takes at most 45% of the rest, more when the values are short.
        let share = (rest * 9 / 20).max(rest.saturating_sub(value_max + GAP.len()));
        let mut title = longest(|r| r.title.clone()).min(share);
        if title < MIN_TITLE_WIDTH {
            title = 0;
        }
        let value = rest.saturating_sub(if title > 0 { title + GAP.len() } else { 0 });
        Self {
            severity,
            id,
            title,
            value,
        }
    }
}

/// A host's state word in the fleet list, and its colour.
fn host_state(host: &HostReport) -> (&'static str, Ansi) {
    match host.outcome {
        HostOutcome::Error if host.evaluated() => ("not recorded", Ansi::Red),
        HostOutcome::Error => ("not scanned", Ansi::Red),
        HostOutcome::Ok if host.summary.fail > 0 => ("failures", Ansi::Red),
        HostOutcome::Ok if host.summary.error > 0 => ("errors", Ansi::Yellow),
        HostOutcome::Ok => ("ok", Ansi::Green),
    }
}

/// `score 92.2%, 28 fail (5 high, 21 medium, 2 low), 1 error`
fn host_counts(summary: &Summary) -> String {
    let mut text = format!("score {}, {} fail", score_text(summary.score), summary.fail);
    if !summary.failed_by_severity.is_empty() {
        let by: Vec<String> = summary
            .failed_by_severity
            .iter()
            .rev()
            .map(|(severity, n)| format!("{n} {severity}"))
            .collect();
        text.push_str(&format!(" ({})", by.join(", ")));
    }
    if summary.error > 0 {
        text.push_str(&format!(", {} error", summary.error));
    }
    text
}

/// A scan id as `git` shows a commit: its first 8 characters (drift takes unique prefixes).
fn short_id(id: &str) -> String {
    let id = clean(id);
    if id.chars().count() > 12 {
        id.chars().take(8).collect()
    } else {
        id
    }
}

fn score_text(score: Option<f64>) -> String {
    score.map_or_else(|| "n/a".to_owned(), |score| format!("{score:.1}%"))
}

fn plural(n: usize, singular: &str, plural: &str) -> String {
    format!("{n} {}", if n == 1 { singular } else { plural })
}

/// A line with escape codes cut to `width` visible columns: plain text is cut with `…`;
/// a painted line that is too wide loses its paint rather than its fit.
fn truncate_painted(line: &str, width: usize) -> String {
    if fit::width(line) <= width {
        return line.to_owned();
    }
    truncate(&fit::strip_escapes(line), width)
}

/// Text from hosts and rule files made safe for a terminal: control characters (an escape
/// sequence in a config file, say) are shown escaped, never sent; line breaks stay.
pub fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c == '\t' {
            out.push_str("    ");
        } else if c.is_control() && c != '\n' {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAIN: View = View {
        paint: Paint { color: false },
        width: 80,
    };

    #[test]
    fn control_characters_are_shown_not_sent() {
        assert_eq!(clean("a\x1b[2Jb\tc\nd\r"), "a\\u{1b}[2Jb    c\nd\\r");
    }

    #[test]
    fn first_scan_has_no_change_counts() {
        let line = PLAIN.changes_line(&Changes::default());
        assert_eq!(line, "first recorded scan of this host");
    }

    #[test]
    fn changes_line_lists_new_failures_and_fixes() {
        let changes = Changes {
            previous_scan: Some("s1".into()),
            new_failures: vec!["a".into(), "b".into()],
            fixed: vec!["c".into()],
            removed: vec![],
            changed: 3,
        };
        assert_eq!(
            PLAIN.changes_line(&changes),
            "since last scan (s1): 2 new failures (a, b), 1 fixed (c)"
        );
    }

    #[test]
    fn a_painted_line_too_wide_is_cut_without_its_paint() {
        let line = "\x1b[1mweb-1\x1b[0m · score 50.0%";
        assert_eq!(truncate_painted(line, 40), line);
        assert_eq!(truncate_painted(line, 12), "web-1 ·…");
    }
}
