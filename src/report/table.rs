//! The human format: per host a header, counts, changes, and a table of what failed.

use super::findings::{self, counted_list};
use super::{
    Changes, DEFAULT_WIDTH, HostOutcome, HostReport, RenderOptions, RuleCatalog, ScanReport,
    Summary,
};
use crate::eval::{RuleResult, Status};
use crate::rules::Severity;
use comfy_table::{
    Attribute, Cell, Color, ColumnConstraint, ContentArrangement, Table, Width, presets,
};
use std::fmt::Write as _;

/// Rule ids listed inline in the "changes" line before "+N more".
const LISTED_CHANGES: usize = 5;
/// Rule ids longer than this wrap in the findings table.
const MAX_RULE_ID_WIDTH: u16 = 40;

/// The width of the terminal on stdout, when stdout is one.
pub fn terminal_width() -> Option<u16> {
    Table::new().width()
}

pub(super) fn render(report: &ScanReport, rules: &RuleCatalog, options: RenderOptions) -> String {
    let paint = Paint {
        color: options.color,
    };
    let width = options.width.unwrap_or(DEFAULT_WIDTH);
    let mut out = String::new();
    if report.hosts.is_empty() {
        out.push_str("no hosts in this report\n");
    }
    for (index, host) in report.hosts.iter().enumerate() {
        if index > 0 {
            out.push('\n');
        }
        render_host(&mut out, host, rules, paint, width);
    }
    if report.hosts.len() > 1 {
        let unscanned = report.hosts.iter().filter(|h| !h.evaluated()).count();
        let hosts = format!(
            "{}: {} scanned, {} not scanned",
            paint.bold(&format!("{} hosts", report.hosts.len())),
            report.hosts.len() - unscanned,
            paint.fg_if(unscanned > 0, &unscanned.to_string(), Ansi::Red),
        );
        out.push('\n');
        push_wrapped(&mut out, &hosts, width);
        push_wrapped(&mut out, &counts(&report.summary, paint), width);
        if let Some(failed) = failed_by_severity(&report.summary, paint) {
            push_wrapped(&mut out, &failed, width);
        }
    }
    out
}

fn render_host(out: &mut String, host: &HostReport, rules: &RuleCatalog, paint: Paint, width: u16) {
    let outcome = match host.outcome {
        HostOutcome::Ok => paint.fg("ok", Ansi::Green),
        HostOutcome::Error if host.evaluated() => paint.fg("not recorded", Ansi::Red),
        HostOutcome::Error => paint.fg("not scanned", Ansi::Red),
    };
    let platform = clean(host.platform.as_deref().unwrap_or("unknown platform"));
    let _ = writeln!(
        out,
        "{}  {platform}  {outcome}",
        paint.bold(&clean(&host.host))
    );

    if host.outcome == HostOutcome::Error {
        let error = clean(host.error.as_deref().unwrap_or("no error recorded"));
        push_wrapped(
            out,
            &format!("{} {error}", paint.fg("error:", Ansi::Red)),
            width,
        );
        if !host.evaluated() {
            return;
        }
    }
    push_wrapped(out, &counts(&host.summary, paint), width);
    if let Some(failed) = failed_by_severity(&host.summary, paint) {
        push_wrapped(out, &failed, width);
    }
    if let Some(changes) = &host.changes {
        push_wrapped(out, &changes_line(changes, paint), width);
    }

    for result in super::waived::waived(&host.results) {
        let line = format!(
            "{} {} {}: {}",
            paint.fg("waived", Ansi::Yellow),
            result.severity,
            clean(&result.rule_id),
            clean(&super::waived::result_note(result))
        );
        push_wrapped(out, &line, width);
    }
    let shown = findings::findings(&host.results);
    if shown.is_empty() {
        let _ = writeln!(out, "  {}", paint.fg("no failures", Ansi::Green));
        return;
    }
    let _ = writeln!(out, "{}", findings_table(&shown, paint, width));

    let remediations: Vec<(&str, &str)> = shown
        .iter()
        .filter(|r| r.status == Status::Fail)
        .filter_map(|r| {
            Some((
                r.rule_id.as_str(),
                findings::remediation(rules, &r.rule_id)?,
            ))
        })
        .collect();
    if !remediations.is_empty() {
        let _ = writeln!(out, "{}", remediation_table(&remediations, paint, width));
    }
}

/// `12 rules: 7 pass, 3 fail, 1 error, 1 skipped; score 70.0%`
fn counts(summary: &Summary, paint: Paint) -> String {
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
        summary
            .score
            .map_or_else(|| "n/a".to_owned(), |score| format!("{score:.1}%")),
    ) + &waived_count(summary)
}

/// `; 2 waived (not in the score)`, or nothing.
fn waived_count(summary: &Summary) -> String {
    match summary.waived {
        0 => String::new(),
        n => format!("; {n} waived (not in the score)"),
    }
}

/// `failed: 1 critical, 2 high`, most severe first; `None` when nothing failed.
fn failed_by_severity(summary: &Summary, paint: Paint) -> Option<String> {
    if summary.failed_by_severity.is_empty() {
        return None;
    }
    let by_severity: Vec<String> = summary
        .failed_by_severity
        .iter()
        .rev()
        .map(|(severity, count)| paint.fg(&format!("{count} {severity}"), severity_ansi(*severity)))
        .collect();
    Some(format!("failed: {}", by_severity.join(", ")))
}

/// Writes `text` indented by two, wrapped at spaces to `width` visible columns (continuation
/// lines indented by four); escape codes do not count towards the width.
fn push_wrapped(out: &mut String, text: &str, width: u16) {
    let width = usize::from(width);
    let mut column = 0;
    for word in text.split(' ') {
        let len = visible_len(word);
        if column == 0 {
            out.push_str("  ");
            column = 2;
        } else if column + 1 + len > width {
            out.push_str("\n    ");
            column = 4;
        } else {
            out.push(' ');
            column += 1;
        }
        out.push_str(word);
        column += len;
    }
    out.push('\n');
}

fn visible_len(text: &str) -> usize {
    let mut len = 0;
    let mut in_escape = false;
    for c in text.chars() {
        match c {
            '\x1b' => in_escape = true,
            'm' if in_escape => in_escape = false,
            _ if in_escape => {}
            _ => len += 1,
        }
    }
    len
}

fn changes_line(changes: &Changes, paint: Paint) -> String {
    let Some(previous) = changes.previous_scan.as_deref().map(clean) else {
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
        let _ = write!(text, ", {removed}");
    }
    text
}

fn findings_table(shown: &[&RuleResult], paint: Paint, width: u16) -> Table {
    let mut table = new_table(paint, width);
    table.set_header(
        ["Severity", "Rule", "Title", "Expected", "Actual"]
            .into_iter()
            .map(|h| Cell::new(h).add_attribute(Attribute::Bold))
            .collect::<Vec<_>>(),
    );
    for result in shown {
        let (actual_color, expected) = match result.status {
            Status::Error => (Color::Yellow, String::new()),
            _ => (Color::Red, findings::expected(result)),
        };
        table.add_row(vec![
            paint.cell(result.severity.as_str(), severity_color(result.severity)),
            Cell::new(clean(&result.rule_id)),
            Cell::new(clean(&result.title)),
            Cell::new(clean(&expected)),
            paint.cell(&clean(&findings::actual(result)), actual_color),
        ]);
    }
    // Severity never wraps, and rule ids only when absurdly long: they are what users grep for.
    let longest_id = shown.iter().map(|r| r.rule_id.chars().count()).max();
    let id_width = u16::try_from(longest_id.unwrap_or(0)).unwrap_or(u16::MAX);
    if let Some(column) = table.column_mut(0) {
        column.set_constraint(ColumnConstraint::ContentWidth);
    }
    if let Some(column) = table.column_mut(1) {
        // An absolute width includes the cell padding.
        let width = id_width.clamp(4, MAX_RULE_ID_WIDTH) + column.padding_width();
        column.set_constraint(ColumnConstraint::Absolute(Width::Fixed(width)));
    }
    table
}

fn remediation_table(rows: &[(&str, &str)], paint: Paint, width: u16) -> Table {
    let mut table = new_table(paint, width);
    table.set_header(vec![
        Cell::new("Rule").add_attribute(Attribute::Bold),
        Cell::new("Remediation").add_attribute(Attribute::Bold),
    ]);
    for (rule_id, text) in rows {
        table.add_row(vec![Cell::new(clean(rule_id)), Cell::new(clean(text))]);
    }
    table
}

// Never asks the terminal: the width is given and styling follows `color` alone, so the same
// report renders the same way to a file, a pipe or a TTY.
fn new_table(paint: Paint, width: u16) -> Table {
    let mut table = Table::new();
    table
        .load_style(presets::UTF8_FULL_CONDENSED)
        .force_no_tty()
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(width);
    if paint.color {
        table.enforce_styling();
    }
    table
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

fn severity_color(severity: Severity) -> Color {
    match severity {
        Severity::Critical => Color::Magenta,
        Severity::High => Color::Red,
        Severity::Medium => Color::Yellow,
        Severity::Low => Color::Cyan,
    }
}

fn severity_ansi(severity: Severity) -> Ansi {
    match severity {
        Severity::Critical => Ansi::Magenta,
        Severity::High => Ansi::Red,
        Severity::Medium => Ansi::Yellow,
        Severity::Low => Ansi::Cyan,
    }
}

#[derive(Clone, Copy)]
enum Ansi {
    Red = 31,
    Green = 32,
    Yellow = 33,
    Magenta = 35,
    Cyan = 36,
}

/// Colors text outside the tables; a no-op without `color`.
#[derive(Clone, Copy)]
struct Paint {
    color: bool,
}

impl Paint {
    fn fg(self, text: &str, color: Ansi) -> String {
        self.sgr(text, color as u8)
    }

    fn fg_if(self, condition: bool, text: &str, color: Ansi) -> String {
        if condition {
            self.fg(text, color)
        } else {
            text.to_owned()
        }
    }

    fn bold(self, text: &str) -> String {
        self.sgr(text, 1)
    }

    fn sgr(self, text: &str, code: u8) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    fn cell(self, text: &str, color: Color) -> Cell {
        let cell = Cell::new(text);
        if self.color { cell.fg(color) } else { cell }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paint_adds_escape_codes_only_with_color() {
        assert_eq!(Paint { color: false }.fg("x", Ansi::Red), "x");
        assert_eq!(Paint { color: true }.fg("x", Ansi::Red), "\x1b[31mx\x1b[0m");
    }

    #[test]
    fn wrapping_ignores_escape_codes_and_indents_continuations() {
        let mut out = String::new();
        push_wrapped(&mut out, "aaaa \x1b[31mbbbb\x1b[0m cccc", 12);
        assert_eq!(out, "  aaaa \x1b[31mbbbb\x1b[0m\n    cccc\n");
        assert_eq!(visible_len("\x1b[1mhost\x1b[0m"), 4);
    }

    #[test]
    fn control_characters_are_shown_not_sent() {
        assert_eq!(clean("a\x1b[2Jb\tc\nd\r"), "a\\u{1b}[2Jb    c\nd\\r");
    }

    #[test]
    fn first_scan_has_no_change_counts() {
        let changes = Changes::default();
        let line = changes_line(&changes, Paint { color: false });
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
        let line = changes_line(&changes, Paint { color: false });
        assert_eq!(
            line,
            "since last scan (s1): 2 new failures (a, b), 1 fixed (c)"
        );
    }
}
