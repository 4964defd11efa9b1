//! One function per check method: (check, host facts) → outcome with evidence.

use super::compare::{compare, describe};
use super::config::{ConfigLine, find_config_values, sysctl_assignments};
use super::host::{ConfigFile, HostView, parse_env_file};
use super::redact;
use super::result::{Evidence, Outcome, Reason, Status};
use crate::probe::facts::{CommandFact, FileFact, FileKind, TOO_MANY_LINKS, UnitsFact};
use crate::probe::sources::*;
use crate::rules::*;
use serde_json::{Value, json};

/// Builds outcomes for one check, keeping method and target in one place.
struct Verdict<'c> {
    method: &'static str,
    target: &'c str,
    expected: String,
}

impl Verdict<'_> {
    fn outcome(&self, status: Status, actual: impl Into<String>, source: Value) -> Outcome {
        Outcome {
            status,
            reason: None,
            evidence: Evidence {
                method: self.method.to_owned(),
                target: self.target.to_owned(),
                expected: self.expected.clone(),
                actual: actual.into(),
                source,
            },
        }
    }

    fn pass_if(&self, ok: bool, actual: impl Into<String>, source: Value) -> Outcome {
        let status = if ok { Status::Pass } else { Status::Fail };
        self.outcome(status, actual, source)
    }

    fn with_reason(&self, status: Status, reason: Reason, detail: impl Into<String>) -> Outcome {
        let detail = detail.into();
        let mut outcome = self.outcome(status, detail.clone(), Value::Null);
        outcome.reason = Some((reason, detail));
        outcome
    }

    fn offline(&self, what: &str) -> Outcome {
        self.with_reason(
            Status::Skipped,
            Reason::NotAssessableOffline,
            format!("{what} needs a running system"),
        )
    }

    fn probe_failed(&self, detail: impl Into<String>) -> Outcome {
        self.with_reason(Status::Error, Reason::ProbeFailed, detail)
    }

    fn compared(&self, actual: &str, expectation: &Expectation, source: Value) -> Outcome {
        match compare(actual, expectation) {
            Ok(ok) => self.pass_if(ok, actual, source),
            Err(why) => self.outcome(Status::Fail, format!("{actual} ({why})"), source),
        }
    }
}

pub fn evaluate_check(check: &Check, host: &HostView) -> Outcome {
    match check {
        Check::Command(c) => command(c, host),
        Check::FileExists { path } => {
            let v = verdict(check, path, "exists");
            if let Some(problem) = host.stat_denied(path) {
                return v.probe_failed(problem);
            }
            let found = host.stat(path);
            v.pass_if(!found.is_empty(), presence(found.len()), stat_source(found))
        }
        Check::FileAbsent { path } => {
            let v = verdict(check, path, "absent");
            if let Some(problem) = host.stat_denied(path) {
                return v.probe_failed(problem);
            }
            let found = host.stat(path);
            v.pass_if(found.is_empty(), presence(found.len()), stat_source(found))
        }
        Check::FilePermission(c) => file_permission(check, c, host),
        Check::FileContent {
            path,
            needle,
            present,
            any_line,
        } => {
            let expected = match (*present, *any_line) {
                (true, false) => "contains",
                (false, false) => "does not contain",
                (true, true) => "has a line containing a line of",
                (false, true) => "has no line containing a line of",
            };
            let v = verdict(check, path, format!("{expected} `{needle}`"));
            with_file(&v, host, path, !present, |text| {
                let (found, line) = if *any_line {
                    // grep's lines: a last line without a newline counts, an empty tail not.
                    let literals: Vec<&str> = needle.split('\n').collect();
                    let line = text
                        .split_terminator('\n')
                        .position(|l| literals.iter().any(|literal| l.contains(literal)));
                    (line.is_some(), line)
                } else {
                    let line = text.lines().position(|l| l.contains(needle.as_str()));
                    (text.contains(needle.as_str()), line)
                };
                let actual = if found {
                    "contains it"
                } else {
                    "does not contain it"
                };
                let source = json!({ "file": path, "line": line.map(|l| l + 1) });
                v.pass_if(found == *present, actual, source)
            })
        }
        Check::FileContentMatch {
            path,
            pattern,
            expect_match,
            includes: Some(Includes::Sudo),
        } => sudoers_match(check, path, pattern, *expect_match, host),
        Check::FileContentMatch {
            path,
            pattern,
            expect_match,
            includes: None,
        } => {
            let expected = if *expect_match {
                "matches"
            } else {
                "does not match"
            };
            let v = verdict(check, path, format!("{expected} /{}/", pattern.as_str()));
            with_file(&v, host, path, !expect_match, |text| {
                let found = pattern.find(text);
                let (actual, source) = match found {
                    Some(m) => {
                        let line = text[..m.start()].matches('\n').count() + 1;
                        let matched = text[m.start()..].lines().next().unwrap_or_default();
                        // A shadow line holds a password hash: show only what the check saw.
                        let matched = if redact::is_shadow_file(path) {
                            redact::shadow_line(matched)
                        } else {
                            matched.to_owned()
                        };
                        (
                            format!("matched: {matched}"),
                            json!({ "file": path, "line": line }),
                        )
                    }
                    None => ("no match".to_owned(), json!({ "file": path })),
                };
                v.pass_if(found.is_some() == *expect_match, actual, source)
            })
        }
        Check::ConfigValue(c) => config_value(check, c, host),
        Check::ConfigLine(c) => config_line(check, c, host),
        Check::Accounts(c) => super::accounts::evaluate(c, host),
        Check::SshdEffectiveConfig {
            key,
            expectation,
            first_wins,
            failure_fails,
        } => {
            let v = verdict(check, key, describe(expectation));
            if host.offline() {
                return v.offline("`sshd -T`");
            }
            let source = json!({ "command": SSHD_T });
            match host.sshd_effective() {
                Ok(map) => match map.get(key) {
                    Some(values) if *first_wins => {
                        let first = values.first().map(String::as_str).unwrap_or_default();
                        v.compared(first, expectation, source)
                    }
                    Some(values) => v.compared(&values.join(" "), expectation, source),
                    None => v.outcome(Status::Fail, "not set", source),
                },
                // sshd ran and refused (bad config, no host keys) or is not there at all; a
                // timeout stays an error, since sshd might have answered.
                Err(why)
                    if *failure_fails
                        && matches!(
                            host.facts.command(SSHD_T),
                            Some(CommandFact::Ran { .. } | CommandFact::Failed { .. })
                        ) =>
                {
                    v.outcome(Status::Fail, why.clone(), source)
                }
                Err(why) => v.probe_failed(why.clone()),
            }
        }
        Check::SysctlValue {
            key,
            expectation,
            persisted,
        } => sysctl(check, key, expectation, *persisted, host),
        Check::PackageState { name, present } => package_state(check, name, *present, host),
        Check::ServiceState(c) => service_state(check, c, host),
        Check::KernelModuleState {
            name,
            state,
            unshipped_passes,
        } => kernel_module(check, name, *state, *unshipped_passes, host),
        Check::MountOption(c) => mount_option(check, c, host),
        Check::GrubParameter {
            name,
            value,
            present: true,
            default_grub_only: true,
        } => grub_default_only(check, name, value.as_deref().unwrap_or_default(), host),
        Check::GrubParameter {
            name,
            value,
            present,
            ..
        } => grub_parameter(check, name, value.as_deref(), *present, host),
        Check::AuditRuleExists(wanted) => audit_rule(check, wanted, host),
        Check::SetCompare {
            observed_command,
            authorized,
            alias_separator,
            equal,
            empty_authorized_skips,
            ..
        } => set_compare(
            check,
            observed_command,
            authorized,
            SetReading {
                alias_separator: alias_separator.as_deref(),
                equal: *equal,
                empty_authorized_skips: *empty_authorized_skips,
            },
            host,
        ),
        Check::SystemdTarget { expected, equal } => systemd_target(check, expected, *equal, host),
        Check::SelinuxState {
            expected,
            running_only,
        } => selinux(check, expected, *running_only, host),
        Check::ApparmorState { expected } => apparmor(check, expected, host),
    }
}

/// The permission bits Linux gives every symlink (what `stat` without `-L` shows).
const SYMLINK_MODE: u32 = 0o777;

/// Command output kept in evidence; the verdict still uses the whole captured output.
const EVIDENCE_OUTPUT_BYTES: usize = 4096;

fn clip(text: &str) -> &str {
    if text.len() <= EVIDENCE_OUTPUT_BYTES {
        return text;
    }
    let mut end = EVIDENCE_OUTPUT_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

fn verdict<'c>(check: &Check, target: &'c str, expected: impl Into<String>) -> Verdict<'c> {
    Verdict {
        method: check.method(),
        target,
        expected: expected.into(),
    }
}

fn presence(count: usize) -> String {
    match count {
        0 => "absent".into(),
        1 => "exists".into(),
        n => format!("{n} paths exist"),
    }
}

fn stat_source(entries: &[crate::probe::facts::StatEntry]) -> Value {
    json!({ "paths": entries.iter().map(|e| e.path.as_str()).collect::<Vec<_>>() })
}

/// Runs `f` on a file's text. A missing file passes when `missing_passes` (an absence check),
/// and fails otherwise; an unreadable one is a probe error.
fn with_file(
    v: &Verdict,
    host: &HostView,
    path: &str,
    missing_passes: bool,
    f: impl FnOnce(&str) -> Outcome,
) -> Outcome {
    match host.facts.file(path) {
        Some(FileFact::Text { content }) => f(content),
        Some(FileFact::Missing) => {
            v.pass_if(missing_passes, "file is missing", json!({ "file": path }))
        }
        Some(FileFact::TooLarge { size }) => {
            v.probe_failed(format!("{path} is too large to read ({size} bytes)"))
        }
        Some(FileFact::Unreadable) => v.probe_failed(format!("{path} is not a readable file")),
        Some(FileFact::TooManyLinks) => v.probe_failed(format!("{path}: {TOO_MANY_LINKS}")),
        None => v.probe_failed(format!("{path} was not gathered")),
    }
}

/// file_content_match over a sudoers file and everything it includes: a match in any of them
/// counts, and the evidence names the file and line.
fn sudoers_match(
    check: &Check,
    path: &str,
    pattern: &regex::Regex,
    expect_match: bool,
    host: &HostView,
) -> Outcome {
    let expected = if expect_match {
        "matches"
    } else {
        "does not match"
    };
    let v = verdict(
        check,
        path,
        format!("{expected} /{}/ (with its includes)", pattern.as_str()),
    );
    let files = match super::sudoers::sudoers_files(host, path) {
        Ok(Some(files)) => files,
        Ok(None) => return v.pass_if(!expect_match, "file is missing", json!({ "file": path })),
        Err(problem) => return v.probe_failed(problem),
    };
    for file in &files {
        if let Some(m) = pattern.find(file.text) {
            let line = file.text[..m.start()].matches('\n').count() + 1;
            let matched = file.text[m.start()..].lines().next().unwrap_or_default();
            let source = json!({ "file": file.path, "line": line });
            return v.pass_if(expect_match, format!("matched: {matched}"), source);
        }
    }
    let read: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    v.pass_if(!expect_match, "no match", json!({ "files_read": read }))
}

fn command(c: &CommandCheck, host: &HostView) -> Outcome {
    let mut expected = format!("exit {}", c.expected_exit);
    if let Some(text) = &c.expected_stdout {
        expected.push_str(&format!(", stdout contains `{text}`"));
    }
    if let Some(regex) = &c.stdout_regex {
        expected.push_str(&format!(", stdout matches /{}/", regex.as_str()));
    }
    if c.stdout_empty {
        expected.push_str(", stdout empty");
    }
    let v = Verdict {
        method: "command",
        target: &c.run,
        expected,
    };
    if host.offline() {
        return v.offline("a command");
    }
    match host.facts.command(&c.run) {
        Some(CommandFact::Ran {
            exit_code,
            stdout,
            stderr,
            stdout_truncated,
        }) => {
            let source = json!({
                "command": c.run,
                "exit_code": exit_code,
                "stdout": clip(stdout),
                "stderr": clip(stderr),
                "stdout_truncated": *stdout_truncated || stdout.len() > EVIDENCE_OUTPUT_BYTES,
            });
            if Some(*exit_code) == c.not_assessable_exit {
                let mut outcome = v.outcome(Status::Skipped, format!("exit {exit_code}"), source);
                outcome.reason = Some((
                    Reason::NotAssessable,
                    format!(
                        "the command exited {exit_code}, which the rule marks as not assessable"
                    ),
                ));
                return outcome;
            }
            let ok = *exit_code == c.expected_exit
                && c.expected_stdout
                    .as_ref()
                    .is_none_or(|t| stdout.contains(t.as_str()))
                && c.stdout_regex.as_ref().is_none_or(|r| r.is_match(stdout))
                // Truncated output was not empty.
                && (!c.stdout_empty || (stdout.trim().is_empty() && !stdout_truncated));
            let mut actual = format!("exit {exit_code}");
            if c.stdout_empty && !stdout.trim().is_empty() {
                actual.push_str(", stdout not empty");
            }
            v.pass_if(ok, actual, source)
        }
        Some(CommandFact::TimedOut { timeout_ms }) => v.with_reason(
            Status::Error,
            Reason::Timeout,
            format!("the command did not finish within {timeout_ms} ms"),
        ),
        Some(CommandFact::Failed { reason }) => v.probe_failed(reason.clone()),
        None => v.probe_failed("the command was not run"),
    }
}

fn file_permission(check: &Check, c: &FilePermissionCheck, host: &HostView) -> Outcome {
    let mut wanted = Vec::new();
    if let Some(mode) = c.mode {
        let relation = if c.exact_mode { "==" } else { "<=" };
        wanted.push(format!("mode {relation} {mode:04o}"));
    }
    if let Some(owner) = &c.owner {
        wanted.push(format!("owner {owner}"));
    }
    if let Some(group) = &c.group {
        wanted.push(format!("group {group}"));
    }
    let v = verdict(check, &c.path, wanted.join(", "));
    if let Some(problem) = host.stat_denied(&c.path) {
        return v.probe_failed(problem);
    }
    let entries = host.stat(&c.path);
    if entries.is_empty() {
        return match c.missing {
            Missing::Pass => v.outcome(Status::Pass, "missing", Value::Null),
            Missing::Fail => v.outcome(Status::Fail, "missing", Value::Null),
            Missing::Skip => v.with_reason(
                Status::Skipped,
                Reason::NotAssessable,
                format!("{} does not exist", c.path),
            ),
        };
    }
    let mut problems = Vec::new();
    let mut seen = Vec::new();
    let mode_problem = |path: &str, mode: u32| match c.mode {
        Some(want) if c.exact_mode && mode != want => {
            Some(format!("{path}: mode {mode:04o}, not {want:04o}"))
        }
        Some(max) if !c.exact_mode && mode & !max != 0 => {
            Some(format!("{path}: mode {mode:04o} exceeds {max:04o}"))
        }
        _ => None,
    };
    let mut unknown_link_owner = None;
    for entry in entries {
        if !c.follow_symlinks && entry.kind == FileKind::Symlink {
            // Judged as the link itself: Linux gives every symlink mode 0777. Its own owner is
            // not a gathered fact (stat entries carry the target's), so an owner or group
            // check of a link decides nothing unless the mode already fails.
            seen.push(format!("{} {SYMLINK_MODE:04o} (symlink)", entry.path));
            match mode_problem(&entry.path, SYMLINK_MODE) {
                Some(problem) => problems.push(problem),
                None if c.owner.is_some() || c.group.is_some() => {
                    unknown_link_owner.get_or_insert(entry.path.clone());
                }
                None => {}
            }
            continue;
        }
        let (Some(mode), Some(uid), Some(gid)) = (entry.mode, entry.uid, entry.gid) else {
            problems.push(format!("{}: dangling symlink", entry.path));
            continue;
        };
        let owner = host
            .user_name(uid)
            .map_or_else(|| uid.to_string(), str::to_owned);
        let group = host
            .group_name(gid)
            .map_or_else(|| gid.to_string(), str::to_owned);
        seen.push(format!("{} {mode:04o} {owner}:{group}", entry.path));
        problems.extend(mode_problem(&entry.path, mode));
        if let Some(want) = &c.owner {
            if *want != owner && *want != uid.to_string() {
                problems.push(format!("{}: owner {owner}, not {want}", entry.path));
            }
        }
        if let Some(want) = &c.group {
            if *want != group && *want != gid.to_string() {
                problems.push(format!("{}: group {group}, not {want}", entry.path));
            }
        }
    }
    if let (true, Some(path)) = (problems.is_empty(), unknown_link_owner) {
        return v.probe_failed(format!(
            "{path} is a symlink, and the owner of the link itself is not gathered"
        ));
    }
    let actual = if problems.is_empty() {
        seen.join("; ")
    } else {
        problems.join("; ")
    };
    let kinds: Vec<_> = entries
        .iter()
        .filter(|e| e.kind == FileKind::Symlink)
        .map(|e| e.path.as_str())
        .collect();
    v.pass_if(
        problems.is_empty(),
        actual,
        json!({ "paths": seen, "symlinks": kinds }),
    )
}

/// The files named by `paths` (a directory gives its files matching `scan_pattern`), and what
/// could not be read.
pub(super) fn config_files<'a>(
    paths: &[String],
    scan_pattern: &str,
    host: &HostView<'a>,
) -> (Vec<ConfigFile<'a>>, Vec<String>) {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for path in paths {
        match host.dir_files(path, scan_pattern) {
            Ok(Some(listing)) => {
                files.extend(listing);
                continue;
            }
            Err(problem) => {
                problems.push(problem);
                continue;
            }
            Ok(None) => {}
        }
        match host.facts.file(path) {
            Some(FileFact::Text { content }) => files.push(ConfigFile {
                path: path.clone(),
                text: content,
            }),
            Some(FileFact::Missing) | None => {}
            Some(FileFact::TooLarge { size }) => {
                problems.push(format!("{path} is too large ({size} bytes)"))
            }
            Some(FileFact::Unreadable) => problems.push(format!("{path} is not readable")),
            Some(FileFact::TooManyLinks) => problems.push(format!("{path}: {TOO_MANY_LINKS}")),
        }
    }
    (files, problems)
}

fn config_value(check: &Check, c: &ConfigValueCheck, host: &HostView) -> Outcome {
    let expected = c
        .expectation
        .as_ref()
        .map_or_else(|| "set".to_owned(), describe);
    let v = verdict(check, &c.key, expected);
    let (files, hits) = match &c.dropins {
        Some(dropins) => match super::dropins::values(c, dropins, host) {
            Ok(read) => read,
            Err(problem) => return v.probe_failed(problem),
        },
        None => {
            let (files, problems) = config_files(&c.paths, &c.scan_pattern, host);
            // A file that could not be read may hold the deciding occurrence: no verdict
            // without it.
            if let Some(problem) = problems.first() {
                return v.probe_failed(problem.clone());
            }
            let hits = find_config_values(&files, c);
            let files = files.into_iter().map(|f| f.path).collect();
            (files, hits)
        }
    };
    let chosen: Option<&ConfigLine> = match c.occurrence {
        Occurrence::First => hits.first(),
        Occurrence::Last => hits.last(),
    };
    let Some(hit) = chosen else {
        let source = json!({ "files_read": files });
        return v.pass_if(c.missing == Missing::Pass, "not set", source);
    };
    if redact::is_shadow_file(&hit.file) {
        return shadow_config_value(&v, c, hit);
    }
    let source = json!({ "file": hit.file, "line": hit.line_no, "text": hit.text });
    match &c.expectation {
        Some(expectation) => v.compared(&hit.value, expectation, source),
        None => v.outcome(Status::Pass, hit.value.clone(), source),
    }
}

/// Does some non-comment line of the files match? Evidence keeps the first matches.
fn config_line(check: &Check, c: &ConfigLineCheck, host: &HostView) -> Outcome {
    let wanted = if c.expect_match {
        "a line matches"
    } else {
        "no line matches"
    };
    let target = c.paths.join(", ");
    let v = Verdict {
        method: check.method(),
        target: &target,
        expected: format!("{wanted} /{}/", c.pattern.as_str()),
    };
    let (files, problems) = config_files(&c.paths, &c.scan_pattern, host);
    if let Some(problem) = problems.first() {
        return v.probe_failed(problem.clone());
    }
    let mut matches = Vec::new();
    let mut count = 0usize;
    for file in &files {
        for (index, line) in file.text.lines().enumerate() {
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') || !c.pattern.is_match(trimmed) {
                continue;
            }
            count += 1;
            if matches.len() == CONFIG_LINE_MATCHES_SHOWN {
                continue;
            }
            // A shadow line holds a password hash: show only what the check saw.
            let shown = if redact::is_shadow_file(&file.path) {
                redact::shadow_line(trimmed)
            } else {
                trimmed.to_owned()
            };
            matches.push(json!({ "file": file.path, "line": index + 1, "text": shown }));
        }
    }
    let read: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    let actual = match count {
        0 => "no line matches".to_owned(),
        1 => format!(
            "matched at {}:{}",
            matches[0]["file"].as_str().unwrap_or_default(),
            matches[0]["line"]
        ),
        n => format!("{n} lines match"),
    };
    let source = json!({ "files_read": read, "matches": matches });
    v.pass_if((count > 0) == c.expect_match, actual, source)
}

/// Matching lines kept in config_line evidence; the count in `actual` covers them all.
const CONFIG_LINE_MATCHES_SHOWN: usize = 20;

/// A config_value read from a shadow file: compared on the real value, shown as the state of
/// the password field only.
fn shadow_config_value(v: &Verdict, c: &ConfigValueCheck, hit: &ConfigLine) -> Outcome {
    let source =
        json!({ "file": hit.file, "line": hit.line_no, "text": redact::shadow_line(&hit.text) });
    let password = hit.value.split(':').next().unwrap_or_default();
    let mut outcome = match &c.expectation {
        Some(expectation) => match compare(&hit.value, expectation) {
            Ok(ok) => v.pass_if(ok, "", source),
            Err(_) => v.outcome(Status::Fail, "", source),
        },
        None => v.outcome(Status::Pass, "", source),
    };
    outcome.evidence.actual = redact::password_state(password);
    outcome
}

fn sysctl(
    check: &Check,
    key: &str,
    expectation: &Expectation,
    persisted: bool,
    host: &HostView,
) -> Outcome {
    let v = verdict(check, key, describe(expectation));
    let normalised = Expectation {
        expected: normalise_whitespace(&expectation.expected),
        comparator: expectation.comparator.clone(),
        case_insensitive: expectation.case_insensitive,
    };
    let mut sources = serde_json::Map::new();
    let mut actuals = Vec::new();
    let mut ok = true;
    if host.offline() {
        if !persisted {
            return v.offline("the running kernel's value");
        }
    } else {
        let proc_path = sysctl_proc_path(key);
        match host.facts.file(&proc_path) {
            Some(FileFact::Text { content }) => {
                let value = normalise_whitespace(content);
                match compare(&value, &normalised) {
                    Ok(true) => {}
                    Ok(false) => ok = false,
                    Err(why) => {
                        ok = false;
                        actuals.push(why);
                    }
                }
                actuals.push(format!("running: {value}"));
                sources.insert("running".into(), json!(proc_path));
            }
            Some(FileFact::Missing) => {
                return v.outcome(
                    Status::Fail,
                    "the kernel has no such key",
                    json!({ "file": proc_path }),
                );
            }
            _ => return v.probe_failed(format!("{proc_path} could not be read")),
        }
    }
    if persisted {
        let mut files = match host.layered_dir_files(&SYSCTL_DIRS, "*.conf") {
            Ok(files) => files,
            Err(problem) => return v.probe_failed(problem),
        };
        let conf = match host.file_if_readable(SYSCTL_CONF) {
            Ok(conf) => conf,
            Err(problem) => return v.probe_failed(problem),
        };
        if let Some(text) = conf {
            // procps applies /etc/sysctl.conf after the directories.
            files.push(ConfigFile {
                path: SYSCTL_CONF.into(),
                text,
            });
        }
        let effective = sysctl_assignments(&files, key).pop();
        match effective {
            Some(hit) => {
                let value = normalise_whitespace(&hit.value);
                match compare(&value, &normalised) {
                    Ok(true) => actuals.push(format!("persisted: {value}")),
                    Ok(false) => {
                        ok = false;
                        actuals.push(format!("persisted: {value}"));
                    }
                    Err(why) => {
                        ok = false;
                        actuals.push(format!("persisted: {value} ({why})"));
                    }
                }
                sources.insert(
                    "persisted".into(),
                    json!({ "file": hit.file, "line": hit.line_no }),
                );
            }
            None => {
                ok = false;
                actuals.push("persisted: not set".into());
            }
        }
    }
    v.pass_if(ok, actuals.join(", "), Value::Object(sources))
}

fn package_state(check: &Check, name: &str, present: bool, host: &HostView) -> Outcome {
    let v = verdict(check, name, if present { "present" } else { "absent" });
    let Some(packages) = &host.facts.packages else {
        return v.probe_failed("package facts were not gathered");
    };
    if packages.sources.is_empty() {
        let detail = match packages.errors.first() {
            Some(error) => format!("no package database could be read: {error}"),
            None => "no package database (dpkg, rpm, apk) found".into(),
        };
        return v.probe_failed(detail);
    }
    let matches = package_matcher(name);
    let holders: Vec<_> = packages
        .sources
        .iter()
        .filter(|source| matches(&source.installed))
        .map(|source| source.origin.as_str())
        .collect();
    let origins: Vec<_> = packages.sources.iter().map(|s| s.origin.as_str()).collect();
    let installed = !holders.is_empty();
    v.pass_if(
        installed == present,
        if installed {
            "installed"
        } else {
            "not installed"
        },
        json!({ "databases": origins }),
    )
}

/// Whether a database's installed names hold `name`, or, for a pattern with `*`/`?` (which
/// the loader allows only there), any name it matches.
fn package_matcher(name: &str) -> impl Fn(&std::collections::BTreeSet<String>) -> bool + '_ {
    let pattern = name
        .contains(['*', '?'])
        .then(|| {
            globset::Glob::new(name)
                .ok()
                .map(|glob| glob.compile_matcher())
        })
        .flatten();
    move |installed| match &pattern {
        Some(pattern) => installed
            .iter()
            .any(|candidate| pattern.is_match(candidate)),
        None => installed.contains(name),
    }
}

fn service_state(check: &Check, c: &ServiceStateCheck, host: &HostView) -> Outcome {
    let mut wanted = Vec::new();
    for (name, value) in [
        ("installed", c.installed),
        ("enabled", c.enabled),
        ("active", c.active),
        ("masked", c.masked),
    ] {
        if let Some(value) = value {
            wanted.push(format!("{name}={value}"));
        }
    }
    if let Some(target) = &c.wanted_by {
        wanted.push(format!("wanted by {target}"));
    }
    let v = verdict(check, &c.unit, wanted.join(", "));
    let live = host.unit_properties().and_then(|units| units.get(&c.unit));
    // A running systemd that did not answer is a failed probe, not a reason to guess.
    if let (None, Some(UnitsFact::Ran { output })) = (live, &host.facts.units) {
        let why = match output {
            CommandFact::Ran {
                exit_code: 0,
                stdout,
                ..
            } => format!(
                "`systemctl show` did not describe {} (got {} bytes)",
                c.unit,
                stdout.len()
            ),
            CommandFact::Ran {
                exit_code, stderr, ..
            } => format!(
                "`systemctl show` exited {exit_code}: {}",
                stderr.lines().next().unwrap_or_default()
            ),
            CommandFact::TimedOut { timeout_ms } => {
                format!("`systemctl show` timed out after {timeout_ms} ms")
            }
            CommandFact::Failed { reason } => format!("`systemctl show`: {reason}"),
        };
        return v.probe_failed(why);
    }
    let property = |name: &str| live.and_then(|props| props.get(name)).map(String::as_str);
    let source = if live.is_some() {
        json!({ "command": "systemctl show", "unit": c.unit })
    } else {
        json!({ "unit_links": SYSTEMD_ETC })
    };

    let enabled = match property("UnitFileState") {
        Some(state) => matches!(state, "enabled" | "enabled-runtime" | "alias"),
        None => unit_enable_links(&c.unit)
            .iter()
            .any(|pattern| !host.stat(pattern).is_empty()),
    };
    let masked = match (property("UnitFileState"), property("LoadState")) {
        (Some(file_state), load) => file_state.starts_with("masked") || load == Some("masked"),
        (None, _) => host
            .stat(&unit_mask_link(&c.unit))
            .iter()
            .any(|entry| entry.link_target.as_deref() == Some("/dev/null")),
    };
    let mut actual = vec![format!("enabled={enabled}"), format!("masked={masked}")];
    let enabled_ok = |want: bool| match (c.static_counts_enabled, property("UnitFileState")) {
        (true, Some(state)) if want => {
            matches!(
                state,
                "enabled" | "enabled-runtime" | "static" | "generated"
            )
        }
        (true, Some(state)) => !matches!(state, "enabled" | "enabled-runtime"),
        _ => want == enabled,
    };
    if let (true, Some(state)) = (c.static_counts_enabled, property("UnitFileState")) {
        actual.push(format!("unit file state={state}"));
    }
    let mut ok = c.enabled.is_none_or(enabled_ok) && c.masked.is_none_or(|want| want == masked);
    if let Some(want) = c.installed {
        // Live, systemd's own answer; offline, a unit file (not a mask link) in a unit dir.
        let installed = match property("LoadState") {
            Some(state) => state != "not-found",
            None => unit_file_paths(&c.unit).iter().any(|path| {
                host.stat(path)
                    .iter()
                    .any(|entry| entry.link_target.as_deref() != Some("/dev/null"))
            }),
        };
        actual.insert(0, format!("installed={installed}"));
        ok &= want == installed;
    }
    if let Some(target) = &c.wanted_by {
        let wanted = match property("WantedBy") {
            Some(list) => list.split_whitespace().any(|unit| unit == target),
            None => unit_wants_links(target, &c.unit)
                .iter()
                .any(|path| !host.stat(path).is_empty()),
        };
        actual.push(format!("wanted by {target}={wanted}"));
        ok &= wanted;
    }
    if let Some(want_active) = c.active {
        let active = property("ActiveState");
        match active {
            Some(state) => {
                actual.push(format!("active={}", state == "active"));
                ok &= want_active == (state == "active");
            }
            None if !ok => {} // already failing on what could be assessed
            None if host.offline() => return v.offline("whether a unit is active"),
            None => {
                return v.with_reason(
                    Status::Skipped,
                    Reason::NotAssessable,
                    "systemd is not running, so whether the unit is active is unknown",
                );
            }
        }
    }
    v.pass_if(ok, actual.join(", "), source)
}

/// `unshipped_passes` (Kensa) lets `disabled` pass for a module no kernel ships, as modprobe
/// cannot load it either; Kensa's `blacklisted` still wants the line, so it is unaffected.
fn kernel_module(
    check: &Check,
    name: &str,
    state: ModuleState,
    unshipped_passes: bool,
    host: &HostView,
) -> Outcome {
    let unshipped_counts = unshipped_passes && state == ModuleState::Disabled;
    let expected = match state {
        ModuleState::Disabled if unshipped_counts => {
            "disabled (install /bin/false, or not shipped) and not loaded"
        }
        ModuleState::Disabled => "disabled (install /bin/false) and not loaded",
        ModuleState::Blacklisted => "blacklisted and not loaded",
        ModuleState::NotLoaded => "not loaded",
        ModuleState::NotLoadable => {
            "not loadable (install /bin/false and blacklisted, or not shipped) and not loaded"
        }
    };
    let v = verdict(check, name, expected);
    // /etc/modprobe.conf first: older modprobe read it before the directories.
    let mut files: Vec<ConfigFile> = host
        .file_text(MODPROBE_CONF)
        .map(|text| ConfigFile {
            path: MODPROBE_CONF.to_owned(),
            text,
        })
        .into_iter()
        .collect();
    if state != ModuleState::NotLoaded {
        match host.layered_dir_files(&MODPROBE_DIRS, "*.conf") {
            Ok(listed) => files.extend(listed),
            Err(problem) => return v.probe_failed(problem),
        }
    }
    let find = |wanted: fn(&[&str], &str) -> bool| -> Option<(String, usize)> {
        files.iter().find_map(|file| {
            file.text
                .lines()
                .position(|line| wanted(&line.split_whitespace().collect::<Vec<_>>(), name))
                .map(|index| (file.path.clone(), index + 1))
        })
    };
    let install = find(is_install_false);
    let blacklist = find(is_blacklist);
    let shipped = module_shipped(name, host);
    let (config_ok, config_hit) = match state {
        ModuleState::NotLoaded => (true, None),
        ModuleState::Disabled => (
            install.is_some() || (unshipped_counts && shipped == Some(false)),
            install.clone(),
        ),
        ModuleState::Blacklisted => (blacklist.is_some(), blacklist.clone()),
        ModuleState::NotLoadable => (
            (install.is_some() && blacklist.is_some()) || shipped == Some(false),
            install.clone().or(blacklist.clone()),
        ),
    };
    let line =
        |hit: &Option<(String, usize)>| hit.as_ref().map(|(f, l)| json!({"file": f, "line": l}));
    let mut source = json!({ "config": line(&config_hit) });
    let mut actual = Vec::new();
    if state == ModuleState::NotLoadable {
        source["install"] = json!(line(&install));
        source["blacklist"] = json!(line(&blacklist));
        actual.push(
            match (&install, &blacklist) {
                (Some(_), Some(_)) => "install disabled, blacklisted",
                (Some(_), None) => "install disabled, not blacklisted",
                (None, Some(_)) => "blacklisted, install not disabled",
                (None, None) => "not configured",
            }
            .to_owned(),
        );
        actual.push(
            match shipped {
                Some(true) => "shipped by a kernel",
                Some(false) => "not shipped by any kernel",
                None => "no kernel module tree",
            }
            .to_owned(),
        );
    } else if unshipped_counts && install.is_none() {
        source["shipped"] = json!(shipped);
        actual.push(
            match shipped {
                Some(true) => "not configured, shipped by a kernel",
                Some(false) => "not configured, not shipped by any kernel",
                None => "not configured, no kernel module tree",
            }
            .to_owned(),
        );
    } else if state != ModuleState::NotLoaded {
        actual.push(
            if config_ok {
                "configured"
            } else {
                "not configured"
            }
            .to_owned(),
        );
    }
    let loaded = if host.offline() {
        None
    } else {
        match host.facts.file(PROC_MODULES) {
            Some(FileFact::Text { content }) => Some(content.lines().any(|line| {
                line.split_whitespace()
                    .next()
                    .is_some_and(|m| m.replace('-', "_") == name)
            })),
            _ => None,
        }
    };
    match loaded {
        Some(loaded) => {
            actual.push(if loaded { "loaded" } else { "not loaded" }.to_owned());
            source["loaded_from"] = json!(PROC_MODULES);
            v.pass_if(config_ok && !loaded, actual.join(", "), source)
        }
        None if !config_ok => v.outcome(Status::Fail, actual.join(", "), source),
        None if state == ModuleState::NotLoaded || !host.offline() => {
            if host.offline() {
                v.offline("the loaded module list")
            } else {
                v.probe_failed(format!("{PROC_MODULES} could not be read"))
            }
        }
        // Offline, the configuration is what can be assessed; it is right.
        None => v.outcome(Status::Pass, actual.join(", "), source),
    }
}

/// `install NAME /bin/false` (or true): modprobe runs that instead of loading the module.
fn is_install_false(words: &[&str], name: &str) -> bool {
    matches!(words, ["install", module, command, ..]
    if module.replace('-', "_") == name
        && matches!(
            *command,
            "/bin/false" | "/bin/true" | "/usr/bin/false" | "/usr/bin/true" | "false" | "true"
        ))
}

fn is_blacklist(words: &[&str], name: &str) -> bool {
    matches!(words, ["blacklist", module, ..] if module.replace('-', "_") == name)
}

/// Whether any kernel under /lib/modules ships the module as a loadable file; `None` when
/// that is unknown (no module tree, as in a container or a partial image).
fn module_shipped(name: &str, host: &HostView) -> Option<bool> {
    host.facts
        .kernel_modules
        .as_ref()
        .filter(|names| !names.is_empty())
        .map(|names| names.contains(name))
}

/// Mount entries (`/proc/mounts` or fstab): (mount point, options) for non-comment lines.
fn mount_entries(text: &str) -> Vec<(String, Vec<String>)> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let point = fields.get(1)?.replace("\\040", " ");
            let options = fields
                .get(3)
                .map_or_else(Vec::new, |o| o.split(',').map(str::to_owned).collect());
            Some((point, options))
        })
        .collect()
}

fn mount_option(check: &Check, c: &MountOptionCheck, host: &HostView) -> Outcome {
    let v = verdict(check, &c.mount_point, c.options.join(","));
    let source = json!({ "files": [PROC_MOUNTS, FSTAB] });
    let missing = |what: &str| match c.missing {
        Missing::Skip => v.with_reason(
            Status::Skipped,
            Reason::NotAssessable,
            format!("{} is not {what}", c.mount_point),
        ),
        Missing::Pass => v.outcome(
            Status::Pass,
            format!("not {what} (acceptable)"),
            source.clone(),
        ),
        Missing::Fail => v.outcome(Status::Fail, format!("not {what}"), Value::Null),
    };
    let lacking = |options: &[String]| -> Vec<String> {
        c.options
            .iter()
            .filter(|want| !options.contains(want))
            .cloned()
            .collect()
    };
    // The last entry for a mount point is the one on top.
    let find = |text: &str| {
        mount_entries(text)
            .into_iter()
            .rfind(|(p, _)| *p == c.mount_point)
            .map(|(_, options)| options)
    };
    let mounted = if host.offline() {
        None
    } else {
        let Some(text) = host.file_text(PROC_MOUNTS) else {
            return v.probe_failed(format!("{PROC_MOUNTS} could not be read"));
        };
        Some(find(text))
    };
    let fstab = if c.in_fstab || c.if_mounted {
        match host.file_if_readable(FSTAB) {
            Ok(text) => text.and_then(find),
            Err(problem) => return v.probe_failed(problem),
        }
    } else {
        None
    };
    if c.if_mounted {
        return mount_if_mounted(&v, mounted, fstab, &lacking, source);
    }
    let mut actual = Vec::new();
    let mut ok = true;
    match mounted {
        Some(Some(options)) => {
            ok &= lacking(&options).is_empty();
            actual.push(format!("mounted with {}", options.join(",")));
        }
        Some(None) => return missing("mounted"),
        None if !c.in_fstab => return v.offline("mounted file systems"),
        None => {}
    }
    if c.in_fstab {
        match fstab {
            Some(options) => {
                ok &= lacking(&options).is_empty();
                actual.push(format!("fstab: {}", options.join(",")));
            }
            None if host.offline() => return missing("in /etc/fstab"),
            None => {
                ok = false;
                actual.push("fstab: no entry".into());
            }
        }
    }
    v.pass_if(ok, actual.join("; "), source)
}

/// `if_mounted`: a mount point that is a separate mount (mounted now, or listed in fstab) has
/// the options where it is mounted and in fstab, which must list it; one that is neither has
/// nothing to check. Offline, fstab alone answers.
fn mount_if_mounted(
    v: &Verdict,
    mounted: Option<Option<Vec<String>>>,
    fstab: Option<Vec<String>>,
    lacking: &dyn Fn(&[String]) -> Vec<String>,
    source: Value,
) -> Outcome {
    let is_mounted = matches!(mounted, Some(Some(_)));
    if !is_mounted && fstab.is_none() {
        let actual = if mounted.is_some() {
            "not mounted and not in /etc/fstab: nothing to check"
        } else {
            "not in /etc/fstab: nothing to check"
        };
        return v.outcome(Status::Pass, actual.to_owned(), source);
    }
    let mut actual = Vec::new();
    let mut absent = Vec::new();
    match mounted {
        Some(Some(options)) => {
            absent.extend(lacking(&options));
            actual.push(format!("mounted with {}", options.join(",")));
        }
        Some(None) => actual.push("not mounted".to_owned()),
        None => {}
    }
    let ok = match &fstab {
        Some(options) => {
            absent.extend(lacking(options));
            actual.push(format!("fstab: {}", options.join(",")));
            absent.is_empty()
        }
        None => {
            actual.push("fstab: no entry".to_owned());
            false
        }
    };
    v.pass_if(ok, actual.join("; "), source)
}

/// Every kernel command line in the boot configuration, with where it came from, and the boot
/// files that are there but could not be read.
fn boot_cmdlines(host: &HostView) -> (Vec<(String, String)>, Vec<String>) {
    let mut lines = Vec::new();
    let mut problems = Vec::new();
    let readable = |path: &str, problems: &mut Vec<String>| {
        host.file_if_readable(path).unwrap_or_else(|problem| {
            problems.push(problem);
            None
        })
    };
    for cfg in GRUB_CFGS {
        for line in readable(cfg, &mut problems).unwrap_or_default().lines() {
            let trimmed = line.trim();
            let mut words = trimmed.split_whitespace();
            if matches!(words.next(), Some("linux" | "linux16" | "linuxefi")) {
                let args: Vec<&str> = words.skip(1).collect();
                lines.push((cfg.to_owned(), args.join(" ")));
            }
        }
    }
    let entries = host
        .dir_files(BLS_ENTRIES, "*.conf")
        .unwrap_or_else(|problem| {
            problems.push(problem);
            None
        });
    for file in entries.unwrap_or_default() {
        for line in file.text.lines() {
            if let Some(options) = line.trim().strip_prefix("options") {
                lines.push((file.path.clone(), options.trim().to_owned()));
            }
        }
    }
    if let Some(text) = readable(KERNEL_CMDLINE, &mut problems) {
        lines.push((KERNEL_CMDLINE.to_owned(), text.trim().to_owned()));
    }
    if lines.is_empty() {
        if let Some(text) = readable(DEFAULT_GRUB, &mut problems) {
            let vars = parse_env_file(text);
            let joined = ["GRUB_CMDLINE_LINUX", "GRUB_CMDLINE_LINUX_DEFAULT"]
                .iter()
                .filter_map(|name| vars.get(*name))
                .cloned()
                .collect::<Vec<_>>()
                .join(" ");
            lines.push((DEFAULT_GRUB.to_owned(), joined));
        }
    }
    (lines, problems)
}

fn grub_parameter(
    check: &Check,
    name: &str,
    value: Option<&str>,
    present: bool,
    host: &HostView,
) -> Outcome {
    let wanted = value.map_or_else(|| name.to_owned(), |value| format!("{name}={value}"));
    let v = verdict(
        check,
        name,
        if present {
            format!("{wanted} on every kernel command line")
        } else {
            format!("{wanted} absent")
        },
    );
    let has = |cmdline: &str| {
        cmdline.split_whitespace().any(|word| match value {
            Some(_) => word == wanted,
            None => word == name || word.starts_with(&format!("{name}=")),
        })
    };
    let (mut lines, problems) = boot_cmdlines(host);
    if !host.offline() {
        match host.file_text(PROC_CMDLINE) {
            Some(text) => lines.push((PROC_CMDLINE.to_owned(), text.trim().to_owned())),
            None => return v.probe_failed(format!("{PROC_CMDLINE} could not be read")),
        }
    }
    // One readable line that offends decides; otherwise an unread file might.
    let decided = lines.iter().any(|(_, cmdline)| has(cmdline) != present);
    if let (false, Some(problem)) = (decided, problems.first()) {
        return v.probe_failed(problem.clone());
    }
    if lines.is_empty() {
        return v.outcome(Status::Fail, "no kernel command line found", Value::Null);
    }
    let offending: Vec<&str> = lines
        .iter()
        .filter(|(_, cmdline)| has(cmdline) != present)
        .map(|(source, _)| source.as_str())
        .collect();
    let sources: Vec<&str> = lines.iter().map(|(source, _)| source.as_str()).collect();
    let actual = if offending.is_empty() {
        format!("as expected in {}", sources.join(", "))
    } else if present {
        format!("missing in {}", offending.join(", "))
    } else {
        format!("present in {}", offending.join(", "))
    };
    v.pass_if(offending.is_empty(), actual, json!({ "cmdlines": sources }))
}

/// Kensa's grub_parameter: `name=value` (a bare `name` for value 1) among the running kernel's
/// parameters, and `name` mentioned on a `GRUB_CMDLINE_LINUX` line of /etc/default/grub (commented
/// or not: Kensa greps the lines). Offline, the configuration alone is assessed.
fn grub_default_only(check: &Check, name: &str, value: &str, host: &HostView) -> Outcome {
    let v = verdict(
        check,
        name,
        format!("{name}={value} running and in {DEFAULT_GRUB}"),
    );
    let mut actual = Vec::new();
    let mut ok = true;
    if !host.offline() {
        let Some(cmdline) = host.file_text(PROC_CMDLINE) else {
            return v.probe_failed(format!("{PROC_CMDLINE} could not be read"));
        };
        let wanted = format!("{name}={value}");
        let running = cmdline
            .split_whitespace()
            .any(|word| word == wanted || (value == "1" && word == name));
        ok &= running;
        actual.push(format!(
            "{} in {PROC_CMDLINE}",
            if running { "set" } else { "not set" }
        ));
    }
    let default_grub = match host.file_if_readable(DEFAULT_GRUB) {
        Ok(text) => text.unwrap_or_default(),
        Err(problem) => return v.probe_failed(problem),
    };
    let persistent = default_grub
        .lines()
        .filter(|line| line.contains("GRUB_CMDLINE_LINUX"))
        .any(|line| line.contains(name));
    ok &= persistent;
    actual.push(format!(
        "{} in {DEFAULT_GRUB}",
        if persistent {
            "mentioned"
        } else {
            "not mentioned"
        }
    ));
    v.pass_if(
        ok,
        actual.join(", "),
        json!({ "files": [PROC_CMDLINE, DEFAULT_GRUB] }),
    )
}

fn audit_rule(check: &Check, wanted: &AuditMatch, host: &HostView) -> Outcome {
    let (target, expected) = match wanted {
        AuditMatch::Key(key) => (key.as_str(), format!("a rule with key {key}")),
        AuditMatch::Rule(rule) => (rule.as_str(), format!("rule `{rule}`")),
        AuditMatch::Loaded(lines) => return audit_rule_loaded(check, lines, host),
    };
    let v = verdict(check, target, expected);
    let matches = |line: &str| {
        let line = normalise_whitespace(line);
        if line.starts_with('#') || line.is_empty() {
            return false;
        }
        match wanted {
            AuditMatch::Rule(rule) => line == *rule,
            AuditMatch::Key(key) => {
                let words: Vec<&str> = line.split(' ').collect();
                words
                    .windows(2)
                    .any(|pair| pair[0] == "-k" && pair[1] == key)
                    || words.iter().any(|w| *w == format!("key={key}"))
            }
            AuditMatch::Loaded(_) => false,
        }
    };
    if !host.offline() {
        if let Some(CommandFact::Ran {
            exit_code: 0,
            stdout,
            ..
        }) = host.facts.command(AUDITCTL_LIST)
        {
            if stdout.lines().any(matches) {
                return v.outcome(Status::Pass, "loaded", json!({ "command": AUDITCTL_LIST }));
            }
        }
    }
    let files = match host.dir_files(AUDIT_RULES_DIR, "*.rules") {
        Ok(files) => files.unwrap_or_default(),
        Err(problem) => return v.probe_failed(problem),
    };
    for file in files {
        if let Some(index) = file.text.lines().position(matches) {
            return v.outcome(
                Status::Pass,
                "configured",
                json!({ "file": file.path, "line": index + 1 }),
            );
        }
    }
    v.outcome(
        Status::Fail,
        "no such rule",
        json!({ "searched": [AUDIT_RULES_DIR, AUDITCTL_LIST] }),
    )
}

/// How set_compare reads the observed lines and the authorized list.
struct SetReading<'a> {
    alias_separator: Option<&'a str>,
    equal: bool,
    empty_authorized_skips: bool,
}

/// One observed member: the names it answers to, the first being the one reported.
fn observed_members<'s>(stdout: &'s str, alias_separator: Option<&str>) -> Vec<Vec<&'s str>> {
    let lines: std::collections::BTreeSet<&str> = stdout
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    lines
        .into_iter()
        .filter_map(|line| {
            let names: Vec<&str> = match alias_separator {
                Some(separator) => line
                    .split(separator)
                    .map(str::trim)
                    .filter(|name| !name.is_empty())
                    .collect(),
                None => vec![line],
            };
            (!names.is_empty()).then_some(names)
        })
        .collect()
}

/// `AuditMatch::Loaded`: every line of the rule is loaded now. auditctl's output is read
/// whatever its exit status (a host without audit loads nothing); only a run that did not
/// finish leaves the answer open.
fn audit_rule_loaded(check: &Check, lines: &[String], host: &HostView) -> Outcome {
    let wanted: Vec<&str> = lines
        .iter()
        .map(|line| line.trim())
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .collect();
    let target = wanted.join("\n");
    let v = Verdict {
        method: check.method(),
        target: &target,
        expected: format!("{} rule line(s) loaded", wanted.len()),
    };
    if host.offline() {
        return v.offline("the loaded audit rules");
    }
    let stdout = match host.facts.command(AUDITCTL_LIST) {
        Some(CommandFact::Ran { stdout, .. }) => stdout.as_str(),
        Some(CommandFact::Failed { .. }) => "",
        Some(CommandFact::TimedOut { timeout_ms }) => {
            return v.with_reason(
                Status::Error,
                Reason::Timeout,
                format!("`{AUDITCTL_LIST}` did not finish within {timeout_ms} ms"),
            );
        }
        None => return v.probe_failed(format!("`{AUDITCTL_LIST}` was not run")),
    };
    let loaded: Vec<&str> = stdout.lines().collect();
    let source = json!({ "command": AUDITCTL_LIST });
    match wanted
        .iter()
        .find(|line| !super::audit_loaded::line_loaded(line, &loaded))
    {
        Some(line) => v.outcome(Status::Fail, format!("not loaded: {line}"), source),
        None => v.outcome(Status::Pass, "loaded", source),
    }
}

fn set_compare(
    check: &Check,
    command: &str,
    authorized: &[String],
    reading: SetReading,
    host: &HostView,
) -> Outcome {
    let equal = reading.equal;
    let v = verdict(
        check,
        command,
        format!(
            "{} {:?}",
            if equal { "equal to" } else { "within" },
            authorized
        ),
    );
    if reading.empty_authorized_skips && authorized.iter().all(|a| a.trim().is_empty()) {
        return v.with_reason(
            Status::Skipped,
            Reason::NotAssessable,
            "no authorized members are declared, so there is nothing to compare with",
        );
    }
    if host.offline() {
        return v.offline("a command");
    }
    match host.facts.command(command) {
        Some(CommandFact::Ran {
            exit_code: 0,
            stdout,
            ..
        }) => {
            let members = observed_members(stdout, reading.alias_separator);
            let allowed: std::collections::BTreeSet<&str> =
                authorized.iter().map(String::as_str).collect();
            // A member is authorized under any of its names (a user name or its UID).
            let unexpected: Vec<&str> = members
                .iter()
                .filter(|names| !names.iter().any(|name| allowed.contains(name)))
                .map(|names| names[0])
                .collect();
            let seen: std::collections::BTreeSet<&str> =
                members.iter().flatten().copied().collect();
            let absent: Vec<_> = allowed.difference(&seen).collect();
            let observed: Vec<&str> = members.iter().map(|names| names[0]).collect();
            let ok = unexpected.is_empty() && (!equal || absent.is_empty());
            v.pass_if(
                ok,
                format!("unexpected {unexpected:?}, absent {absent:?}"),
                json!({ "command": command, "observed": observed }),
            )
        }
        Some(CommandFact::Ran {
            exit_code, stderr, ..
        }) => v.probe_failed(format!(
            "`{command}` exited {exit_code}: {}",
            stderr.lines().next().unwrap_or_default()
        )),
        Some(CommandFact::TimedOut { timeout_ms }) => v.with_reason(
            Status::Error,
            Reason::Timeout,
            format!("`{command}` did not finish within {timeout_ms} ms"),
        ),
        Some(CommandFact::Failed { reason }) => v.probe_failed(reason.clone()),
        None => v.probe_failed("the command was not run"),
    }
}

fn systemd_target(check: &Check, expected: &str, equal: bool, host: &HostView) -> Outcome {
    let wanted = if equal {
        expected.to_owned()
    } else {
        format!("not {expected}")
    };
    let v = verdict(check, "default.target", wanted);
    let matches = |actual: &str| (actual == expected) == equal;
    if let Some(CommandFact::Ran {
        exit_code: 0,
        stdout,
        ..
    }) = host.facts.command(SYSTEMCTL_GET_DEFAULT)
    {
        let actual = stdout.trim();
        return v.pass_if(
            matches(actual),
            actual,
            json!({ "command": SYSTEMCTL_GET_DEFAULT }),
        );
    }
    for link in DEFAULT_TARGET_LINKS {
        if let Some(entry) = host.stat(link).first() {
            let target = entry.link_target.as_deref().unwrap_or_default();
            let actual = target.rsplit('/').next().unwrap_or_default();
            return v.pass_if(
                matches(actual),
                actual,
                json!({ "link": link, "target": target }),
            );
        }
    }
    if host.offline() {
        // No link in the tree: systemd's compiled-in default applies, unknown from files.
        return v.offline("the default target (no default.target link in the tree)");
    }
    v.outcome(Status::Fail, "no default target set", Value::Null)
}

fn selinux(check: &Check, expected: &str, running_only: bool, host: &HostView) -> Outcome {
    let v = verdict(check, "selinux", expected);
    if running_only && host.offline() {
        return v.offline("the running SELinux state");
    }
    let mut actual = Vec::new();
    let mut ok = true;
    if !running_only {
        let config = match host.file_if_readable(SELINUX_CONFIG) {
            Ok(config) => config,
            Err(problem) => return v.probe_failed(problem),
        };
        let configured = config
            .and_then(|text| parse_env_file(text).get("SELINUX").cloned())
            .unwrap_or_else(|| "not configured".into());
        actual.push(format!("config: {configured}"));
        // Without a configuration SELinux is not set up, which is what "disabled" asks for.
        ok = configured == expected || (configured == "not configured" && expected == "disabled");
    }
    if !host.offline() {
        // No enforce file means no SELinux in the kernel; anything unexpected is not a state.
        let running = match host.facts.file(SELINUX_ENFORCE) {
            Some(FileFact::Missing) => "disabled",
            Some(FileFact::Text { content }) if content.trim() == "1" => "enforcing",
            Some(FileFact::Text { content }) if content.trim() == "0" => "permissive",
            _ => {
                return v.probe_failed(format!(
                    "{SELINUX_ENFORCE} is unreadable or does not hold 0 or 1"
                ));
            }
        };
        ok &= running == expected;
        actual.push(format!("running: {running}"));
    }
    v.pass_if(
        ok,
        actual.join(", "),
        json!({ "files": [SELINUX_CONFIG, SELINUX_ENFORCE] }),
    )
}

fn apparmor(check: &Check, expected: &str, host: &HostView) -> Outcome {
    let v = verdict(check, "apparmor", expected);
    if host.offline() {
        return v.offline("the AppArmor state");
    }
    // No parameter file means AppArmor is not in the kernel; anything unexpected is not a state.
    let enabled = match host.facts.file(APPARMOR_ENABLED) {
        Some(FileFact::Missing) => false,
        Some(FileFact::Text { content }) if matches!(content.trim(), "Y" | "N") => {
            content.trim() == "Y"
        }
        _ => {
            return v.probe_failed(format!(
                "{APPARMOR_ENABLED} is unreadable or does not hold Y or N"
            ));
        }
    };
    let actual = if enabled { "enabled" } else { "disabled" };
    v.pass_if(
        actual == expected,
        actual,
        json!({ "file": APPARMOR_ENABLED }),
    )
}
