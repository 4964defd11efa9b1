//! GitHub-flavoured Markdown, sized for a GitHub Actions step summary (`$GITHUB_STEP_SUMMARY`).

use super::findings::{self, counted_list, problem};
use super::{HostOutcome, HostReport, RuleCatalog, ScanReport};
use crate::eval::{RuleResult, Status};
use crate::rules::Severity;
use std::fmt::Write as _;

/// Rule ids listed in the summary table's "Changes" cell before "+N more".
const LISTED_CHANGES: usize = 5;
/// GitHub rejects a step summary larger than 1 MiB; host sections stop short of it.
const STEP_SUMMARY_LIMIT: usize = 1024 * 1024;
/// Room kept for the note saying what was left out.
const NOTE_ROOM: usize = 512;

pub(super) fn render(report: &ScanReport, rules: &RuleCatalog) -> String {
    let mut out = String::from("# plumb scan report\n\n");
    let _ = writeln!(
        out,
        "Generated {} by {} {}: {} host{}.\n",
        cell(&report.generated_at),
        report.tool.name,
        report.tool.version,
        report.hosts.len(),
        if report.hosts.len() == 1 { "" } else { "s" },
    );
    if report.hosts.is_empty() {
        return out;
    }
    out.push_str(
        "| Host | Platform | Outcome | Pass | Fail | Error | Skipped | Score | Changes |\n",
    );
    out.push_str("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- |\n");
    for host in &report.hosts {
        summary_row(&mut out, host);
    }
    for (index, host) in report.hosts.iter().enumerate() {
        let mut section = String::new();
        host_section(&mut section, host, rules);
        if out.len() + section.len() + NOTE_ROOM > STEP_SUMMARY_LIMIT {
            let left_out = report.hosts.len() - index;
            let _ = writeln!(
                out,
                "\n> **{left_out} more host section{} left out**: a step summary is limited to 1 MiB. \
                 Render `--format json` for everything.",
                if left_out == 1 { "" } else { "s" },
            );
            break;
        }
        out.push_str(&section);
    }
    out
}

fn summary_row(out: &mut String, host: &HostReport) {
    let platform = host
        .platform
        .as_deref()
        .map_or_else(|| "-".to_owned(), cell);
    if !host.evaluated() {
        let error = host.error.as_deref().unwrap_or("no error recorded");
        let _ = writeln!(
            out,
            "| {} | {platform} | not scanned: {} | | | | | | |",
            cell(&host.host),
            cell(error)
        );
        return;
    }
    let s = &host.summary;
    let score = s
        .score
        .map_or_else(|| "n/a".to_owned(), |v| format!("{v:.1}%"));
    let changes = match &host.changes {
        None => "-".to_owned(),
        Some(c) if c.previous_scan.is_none() => "first scan".to_owned(),
        Some(c) => cell(&format!(
            "{}, {}",
            counted_list(
                &c.new_failures,
                "new failure",
                "new failures",
                LISTED_CHANGES
            ),
            counted_list(&c.fixed, "fixed", "fixed", LISTED_CHANGES),
        )),
    };
    let _ = writeln!(
        out,
        "| {} | {platform} | ok | {} | {} | {} | {} | {score} | {changes} |",
        cell(&host.host),
        s.pass,
        s.fail,
        s.error,
        s.skipped,
    );
}

fn host_section(out: &mut String, host: &HostReport, rules: &RuleCatalog) {
    let _ = writeln!(out, "\n## {}\n", inline(&host.host));
    if host.outcome == HostOutcome::Error {
        let error = host.error.as_deref().unwrap_or("no error recorded");
        if !host.evaluated() {
            let _ = writeln!(out, "> **Could not be scanned:** {}", inline(error));
            return;
        }
        let _ = writeln!(out, "> **Error:** {}\n", inline(error));
    }
    waived_section(out, host);
    let shown = findings::findings(&host.results);
    if shown.is_empty() {
        out.push_str("No failures.\n");
        return;
    }
    let failures: Vec<&RuleResult> = shown
        .iter()
        .copied()
        .filter(|r| r.status == Status::Fail)
        .collect();
    for severity in Severity::ALL.iter().rev() {
        let group: Vec<&RuleResult> = failures
            .iter()
            .copied()
            .filter(|r| r.severity == *severity)
            .collect();
        if group.is_empty() {
            continue;
        }
        let _ = writeln!(out, "### {} ({})\n", heading(*severity), group.len());
        out.push_str(
            "| Rule | Title | Expected | Actual | References | Profiles |\n| --- | --- | --- | --- | --- | --- |\n",
        );
        for result in &group {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                cell(&result.rule_id),
                cell(&result.title),
                code_cell(&findings::expected(result)),
                code_cell(&findings::actual(result)),
                cell(&findings::references(rules, &result.rule_id)),
                cell(&findings::profiles(rules, &result.rule_id)),
            );
        }
        out.push('\n');
    }

    let errors: Vec<&RuleResult> = shown
        .iter()
        .copied()
        .filter(|r| r.status == Status::Error)
        .collect();
    if !errors.is_empty() {
        let _ = writeln!(out, "### Could not evaluate ({})\n", errors.len());
        out.push_str(
            "| Rule | Title | Severity | Reason | References | Profiles |\n| --- | --- | --- | --- | --- | --- |\n",
        );
        for result in &errors {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                cell(&result.rule_id),
                cell(&result.title),
                result.severity,
                cell(&problem(result)),
                cell(&findings::references(rules, &result.rule_id)),
                cell(&findings::profiles(rules, &result.rule_id)),
            );
        }
        out.push('\n');
    }

    remediation_details(out, &failures, rules);
}

/// Accepted failures, apart from the failures that count.
fn waived_section(out: &mut String, host: &HostReport) {
    let waived = super::waived::waived(&host.results);
    if waived.is_empty() {
        return;
    }
    let _ = writeln!(out, "### Waived ({})\n", waived.len());
    out.push_str(
        "| Rule | Title | Severity | Actual | Waiver |\n| --- | --- | --- | --- | --- |\n",
    );
    for result in waived {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            cell(&result.rule_id),
            cell(&result.title),
            result.severity,
            cell(&findings::actual(result)),
            cell(&super::waived::result_note(result)),
        );
    }
    out.push('\n');
}

fn remediation_details(out: &mut String, failures: &[&RuleResult], rules: &RuleCatalog) {
    let with_text: Vec<(&RuleResult, &str)> = failures
        .iter()
        .filter_map(|r| Some((*r, findings::remediation(rules, &r.rule_id)?)))
        .collect();
    if with_text.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "<details><summary>Remediation ({})</summary>\n",
        with_text.len()
    );
    for (result, text) in with_text {
        let _ = writeln!(
            out,
            "#### {}: {}\n",
            inline(&result.rule_id),
            inline(&result.title)
        );

        // A fence longer than any backtick run inside, so the text cannot close it.
        let fence = "`".repeat(longest_backtick_run(text).max(2) + 1);
        let _ = writeln!(out, "{fence}text\n{text}\n{fence}\n");
    }
    out.push_str("</details>\n");
}

fn heading(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "Critical",
        Severity::High => "High",
        Severity::Medium => "Medium",
        Severity::Low => "Low",
    }
}

/// Text for a table cell: inline-escaped, line breaks as `<br>` so the row stays one line.
pub(crate) fn cell(text: &str) -> String {
    let lines: Vec<String> = text.trim_end().lines().map(inline).collect();
    lines.join("<br>")
}

/// Evidence for a table cell: each line a code span, so tabs and runs of spaces stay as the
/// host wrote them (a tab shows as `→`, as a code span cannot hold a visible tab in a table),
/// lines joined by `<br>`.
fn code_cell(text: &str) -> String {
    let spans: Vec<String> = text.trim_end().lines().map(code_span).collect();
    spans.join("<br>")
}

/// One line as a code span: no escaping inside but the table's `\|`; a fence longer than
/// any backtick run inside, and a space each side that CommonMark strips again (so a value
/// starting or ending with a backtick or a space survives).
fn code_span(line: &str) -> String {
    let mut body = String::with_capacity(line.len());
    for c in line.chars() {
        match c {
            '\t' => body.push(TAB_MARK),
            '|' => body.push_str("\\|"),
            c if c.is_control() => {}
            c => body.push(c),
        }
    }
    if body.is_empty() {
        return String::new();
    }
    let fence = "`".repeat(longest_backtick_run(&body) + 1);
    format!("{fence} {body} {fence}")
}

/// How a tab in evidence is shown.
const TAB_MARK: char = '→';

/// Text shown literally inside a line: Markdown and HTML punctuation backslash-escaped
/// (CommonMark allows escaping any ASCII punctuation), line breaks folded into spaces.
fn inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

fn longest_backtick_run(text: &str) -> usize {
    text.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_escape_pipes_markup_and_newlines() {
        assert_eq!(cell("a|b"), "a\\|b");
        assert_eq!(cell("line1\nline2\n"), "line1<br>line2");
        assert_eq!(cell("<none> & *x*"), "\\<none\\> \\& \\*x\\*");
        assert_eq!(cell("C:\\tmp"), "C:\\\\tmp");
    }

    #[test]
    fn evidence_cells_keep_whitespace_in_code_spans() {
        assert_eq!(
            code_cell("auth\t[success=1 default=ignore]  pam_unix.so"),
            "` auth→[success=1 default=ignore]  pam_unix.so `"
        );
        assert_eq!(code_cell("a|b\nx ``y``\n"), "` a\\|b `<br>``` x ``y`` ```");
        assert_eq!(code_cell(""), "");
    }

    #[test]
    fn fences_outgrow_backticks_in_the_text() {
        assert_eq!(longest_backtick_run("a ```` b ` c"), 4);
        assert_eq!(longest_backtick_run("none"), 0);
    }
}
