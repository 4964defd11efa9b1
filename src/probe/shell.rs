//! The shell executor: one POSIX `sh` script per host that gathers a whole plan and prints a
//! framed stream, parsed here into the same [`Facts`] the native executor produces.
//!
//! Framing: every record is `NONCE TYPE KEYLEN BODYLEN\n KEY BODY \n`, where NONCE is random per
//! run. Lengths are in bytes, so a file that contains a record header is only ever body bytes;
//! the stream must end with an `E` record carrying the record count, so truncation is caught.
//! Record types: F file, G file inside a listed directory, S stat glob, D directory listing,
//! C command, U systemd units, M kernel module files (`-`: unknown), P/Q/K package databases (R: one refused), Y today (days since
//! the epoch, -1 unknown), X probe failure, E end.

use super::facts::*;
use super::packages;
use super::plan::ProbePlan;
use super::sources::{RPM_QUERY_ALL, units_command};
use crate::defaults::{COMMAND_TIMEOUT_MS, MAX_LINK_HOPS, MAX_OUTPUT};
use crate::rules::shell_quote as quote;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};

const PRELUDE: &str = include_str!("probe.sh");
/// Bytes of junk tolerated before the first record (a noisy shell rc file on the target).
const MAX_PREAMBLE: usize = 64 * 1024;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ShellError {
    #[error("the probe output is malformed at byte {offset}: {detail}")]
    Framing { offset: usize, detail: String },
    #[error("the probe output ended early (no end record after {records} records)")]
    Truncated { records: usize },
    #[error("the probe failed on the target: {0}")]
    Probe(String),
    #[error("the probe output is larger than the {limit} byte cap")]
    TooLarge { limit: usize },
    #[error(
        "the probe output would take more than {limit} bytes of memory as facts (at the record for `{key}`)"
    )]
    TooCostly { key: String, limit: usize },
    #[error("cannot run the probe locally: {0}")]
    Local(String),
}

/// A random per-run nonce (hex), unknown to anything on the target before the script arrives.
pub fn new_nonce() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Whole seconds for `_start`, rounded up (at least 1).
fn timeout_secs(ms: u64) -> u64 {
    ms.div_ceil(1000).max(1)
}

/// The script for `plan`, reading files under `root` on the target ("/" for the live system).
pub fn script(plan: &ProbePlan, root: &str, nonce: &str) -> String {
    let root = root.trim_end_matches('/');
    let mut out = String::with_capacity(PRELUDE.len() + 64 * plan.len());
    let _ = writeln!(out, "NONCE={nonce}");
    let _ = writeln!(out, "ROOT={}", quote(root));
    let _ = writeln!(out, "export PATH={}", quote(COMMAND_PATH));
    let _ = writeln!(
        out,
        "FILE_CAP={MAX_FILE_BYTES} OUT_CAP={MAX_STDOUT_BYTES} ERR_CAP={MAX_STDERR_BYTES}"
    );
    // The same limits the native executor applies.
    let _ = writeln!(
        out,
        "QUERY_SECS={} MAX_HOPS={MAX_LINK_HOPS} DB_CAP={MAX_PACKAGE_DB_BYTES} HOMES_CAP={}",
        timeout_secs(COMMAND_TIMEOUT_MS),
        super::homes::MAX_HOME_LINES
    );
    out.push_str(PRELUDE);
    for path in &plan.files {
        let _ = writeln!(out, "ffile {}", quote(path));
    }
    for (dir, pattern) in &plan.dirs {
        let _ = writeln!(out, "fdir {} {}", quote(dir), quote(pattern));
    }
    out.push_str("fflush\n");
    for pattern in &plan.stats {
        let _ = writeln!(out, "fstat {}", quote(pattern));
    }
    if plan.homes {
        out.push_str("fhomes\n");
    }
    out.push_str("fstats\n");
    if plan.clock {
        out.push_str("fclock\n");
    }
    if plan.kernel_modules {
        out.push_str("fmodules\n");
    }
    // Commands, the rpm query and the unit query run side by side (as the native executor runs
    // them); their records are written afterwards, all with one wc and one cat.
    // Each `_start` names the os-release words of the families that need it (none: all).
    if plan.commands.values().any(|c| !c.os_words.is_empty()) {
        out.push_str("_os_words\n");
    }
    for (index, (run, planned)) in plan.commands.iter().enumerate() {
        let seconds = timeout_secs(planned.timeout_ms);
        let _ = write!(out, "_start c{index} {} {seconds}", quote(run));
        for word in &planned.os_words {
            let _ = write!(out, " {}", quote(word));
        }
        out.push('\n');
    }
    let rpm_query = quote(RPM_QUERY_ALL);
    if plan.packages {
        let _ = writeln!(out, "_pkgs_start {} {rpm_query}", u8::from(plan.offline));
    }
    let units =
        (!plan.offline && !plan.units.is_empty()).then(|| quote(&units_command(&plan.units)));
    if let Some(units) = &units {
        let _ = writeln!(out, "_units_start {units}");
    }
    out.push_str("wait\n_measure\n");
    for (index, run) in plan.commands.keys().enumerate() {
        let _ = writeln!(out, "_cmd_rec C {} c{index}", quote(run));
    }
    if plan.packages {
        let _ = writeln!(out, "_pkgs_rec {rpm_query}");
    }
    if let Some(units) = &units {
        let _ = writeln!(out, "_units_rec {units}");
    }
    out.push_str("_cat_flush\n");
    out.push_str("emits E \"\" \"$_N\"\n");
    out
}

/// One parsed record.
struct Record<'a> {
    kind: u8,
    key: std::borrow::Cow<'a, str>,
    body: &'a [u8],
}

/// Walks the stream's records in order, handing each to `each`, checking framing and the end
/// record. Nothing is collected, so a stream of tiny records costs no memory here.
fn records<'a>(
    output: &'a [u8],
    nonce: &str,
    mut each: impl FnMut(Record<'a>) -> Result<(), ShellError>,
) -> Result<(), ShellError> {
    let marker = format!("{nonce} ");
    let start = find_record_start(output, marker.as_bytes()).ok_or_else(|| {
        let detail = if output.is_empty() {
            "no output at all".to_owned()
        } else {
            "no record from this run's probe (wrong or missing nonce)".to_owned()
        };
        ShellError::Framing { offset: 0, detail }
    })?;
    let mut at = start;
    let mut found = 0usize;
    loop {
        if at >= output.len() {
            return Err(ShellError::Truncated { records: found });
        }
        let framing = |offset: usize, detail: &str| ShellError::Framing {
            offset,
            detail: detail.to_owned(),
        };
        let rest = &output[at..];
        let line_end = rest
            .iter()
            .take(256)
            .position(|b| *b == b'\n')
            .ok_or_else(|| {
                if rest.len() < 256 && !rest.contains(&b'\n') {
                    ShellError::Truncated { records: found }
                } else {
                    framing(at, "a record header is not terminated")
                }
            })?;
        let header = std::str::from_utf8(&rest[..line_end])
            .map_err(|_| framing(at, "a record header is not text"))?;
        let mut fields = header.split(' ');
        let (Some(seen_nonce), Some(kind), Some(key_len), Some(body_len), None) = (
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
        ) else {
            return Err(framing(at, "a record header does not have four fields"));
        };
        if seen_nonce != nonce {
            return Err(framing(at, "a record carries another nonce"));
        }
        let kind = match kind.as_bytes() {
            [kind] => *kind,
            _ => return Err(framing(at, "a record type is not one letter")),
        };
        let parse_len = |text: &str| text.parse::<usize>().ok();
        let (Some(key_len), Some(body_len)) = (parse_len(key_len), parse_len(body_len)) else {
            return Err(framing(at, "a record length is not a number"));
        };
        let key_start = at + line_end + 1;
        let body_start = key_start
            .checked_add(key_len)
            .ok_or_else(|| framing(at, "a record length overflows"))?;
        let body_end = body_start
            .checked_add(body_len)
            .ok_or_else(|| framing(at, "a record length overflows"))?;
        if body_end >= output.len() {
            return Err(ShellError::Truncated { records: found });
        }
        if output[body_end] != b'\n' {
            return Err(framing(body_end, "a record is longer than its header says"));
        }
        // Names that are not UTF-8 cannot match a rule's path; they are kept lossily.
        let key = String::from_utf8_lossy(&output[key_start..body_start]);
        let body = &output[body_start..body_end];
        at = body_end + 1;
        if kind == b'E' {
            let count: Option<usize> = std::str::from_utf8(body).ok().and_then(|t| t.parse().ok());
            if count != Some(found) {
                return Err(framing(body_start, "the end record's count does not match"));
            }
            if output[at..].iter().any(|b| !b.is_ascii_whitespace()) {
                return Err(framing(at, "data follows the end record"));
            }
            return Ok(());
        }
        found += 1;
        each(Record { kind, key, body })?;
    }
}

/// The first record header: at the start, or after a newline within the tolerated preamble.
fn find_record_start(output: &[u8], marker: &[u8]) -> Option<usize> {
    if output.starts_with(marker) {
        return Some(0);
    }
    let window = &output[..output.len().min(MAX_PREAMBLE + marker.len() + 1)];
    window
        .windows(marker.len() + 1)
        .position(|w| w[0] == b'\n' && &w[1..] == marker)
        .map(|at| at + 1)
}

fn bad(key: &str, detail: &str) -> ShellError {
    ShellError::Framing {
        offset: 0,
        detail: format!("record for `{key}`: {detail}"),
    }
}

/// Memory the parsed facts may take beyond the size of the stream they come from, so a host's
/// parse costs at most about twice its output cap. Real facts cost about their bytes: file
/// contents and command output are copied once, and entries are few.
const PARSE_ALLOWANCE: usize = 8 * 1024 * 1024;
/// What one parsed item costs beyond its bytes: an owned string's header and allocator slack,
/// and its slot in a map, set or vector.
const ITEM_OVERHEAD: usize = 64;

/// The memory left for one stream's facts. Every item is charged before it is built, so a
/// stream of millions of tiny entries (each worth far more in memory than in bytes) is refused
/// at the budget instead of taking many times its size.
struct Budget {
    limit: usize,
    left: usize,
}

impl Budget {
    fn for_output(output: &[u8]) -> Budget {
        let limit = output.len().saturating_add(PARSE_ALLOWANCE);
        Budget { limit, left: limit }
    }

    fn charge(&mut self, key: &str, bytes: usize) -> Result<(), ShellError> {
        match self.left.checked_sub(bytes) {
            Some(left) => {
                self.left = left;
                Ok(())
            }
            None => Err(ShellError::TooCostly {
                key: key.to_owned(),
                limit: self.limit,
            }),
        }
    }

    /// An item of `bytes` bytes.
    fn item(&mut self, key: &str, bytes: usize) -> Result<(), ShellError> {
        self.charge(key, bytes.saturating_add(ITEM_OVERHEAD))
    }

    /// A text of `text.len()` bytes split into a set of lines.
    fn lines(&mut self, key: &str, text: &[u8]) -> Result<(), ShellError> {
        let lines = text.iter().filter(|b| **b == b'\n').count() + 1;
        self.charge(
            key,
            lines
                .saturating_mul(ITEM_OVERHEAD)
                .saturating_add(text.len()),
        )
    }
}

fn parse_file(key: &str, body: &[u8], budget: &mut Budget) -> Result<FileFact, ShellError> {
    match body.split_first() {
        Some((b'M', [])) => Ok(FileFact::Missing),
        Some((b'U', [])) => Ok(FileFact::Unreadable),
        Some((b'O', [])) => Ok(FileFact::TooManyLinks),
        Some((b'L', size)) => std::str::from_utf8(size)
            .ok()
            .and_then(|s| s.parse().ok())
            .map(|size| FileFact::TooLarge { size })
            .ok_or_else(|| bad(key, "bad size")),
        Some((b'T', content)) => file_content(key, content, budget),
        _ => Err(bad(key, "unknown file state")),
    }
}

/// File content as a fact; the probe never sends more than the file cap.
fn file_content(key: &str, content: &[u8], budget: &mut Budget) -> Result<FileFact, ShellError> {
    if content.len() as u64 > MAX_FILE_BYTES {
        return Err(bad(key, "content is larger than the file cap"));
    }
    budget.item(key, content.len())?;
    Ok(FileFact::from_bytes(content))
}

fn parse_stat(
    key: &str,
    mut body: &[u8],
    budget: &mut Budget,
) -> Result<Vec<StatEntry>, ShellError> {
    let mut entries = Vec::new();
    while !body.is_empty() {
        let line_end = body
            .iter()
            .position(|b| *b == b'\n')
            .ok_or_else(|| bad(key, "stat entry without header"))?;
        let header = std::str::from_utf8(&body[..line_end]).map_err(|_| bad(key, "stat header"))?;
        let fields: Vec<&str> = header.split(' ').collect();
        let [kind, mode, uid, gid, path_len, link_len] = fields[..] else {
            return Err(bad(key, "stat header needs six fields"));
        };
        let number = |text: &str| text.parse::<usize>().map_err(|_| bad(key, "stat length"));
        let (path_len, link_len) = (number(path_len)?, number(link_len)?);
        let rest = &body[line_end + 1..];
        let entry_len = path_len
            .checked_add(link_len)
            .filter(|len| *len <= rest.len())
            .ok_or_else(|| bad(key, "stat entry shorter than its lengths"))?;
        // Twice the entry: a growing vector holds up to double its length.
        budget.item(key, 2 * std::mem::size_of::<StatEntry>() + entry_len)?;
        let path = String::from_utf8_lossy(&rest[..path_len]).into_owned();
        let link = String::from_utf8_lossy(&rest[path_len..path_len + link_len]).into_owned();
        let kind = match kind {
            "f" => FileKind::File,
            "d" => FileKind::Dir,
            "l" => FileKind::Symlink,
            "o" => FileKind::Other,
            _ => return Err(bad(key, "unknown file kind")),
        };
        let optional = |text: &str, radix: u32| match text {
            "-" => Ok(None),
            _ => u32::from_str_radix(text, radix)
                .map(Some)
                .map_err(|_| bad(key, "stat number")),
        };
        entries.push(StatEntry {
            path,
            kind,
            link_target: (kind == FileKind::Symlink).then_some(link),
            mode: optional(mode, 8)?,
            uid: optional(uid, 10)?,
            gid: optional(gid, 10)?,
        });
        body = &rest[entry_len..];
    }
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(entries)
}

fn parse_command(
    key: &str,
    body: &[u8],
    timeout_ms: u64,
    budget: &mut Budget,
) -> Result<CommandFact, ShellError> {
    if body == b"T" {
        return Ok(CommandFact::TimedOut { timeout_ms });
    }
    let line_end = body
        .iter()
        .position(|b| *b == b'\n')
        .ok_or_else(|| bad(key, "command header"))?;
    let header = std::str::from_utf8(&body[..line_end]).map_err(|_| bad(key, "command header"))?;
    let fields: Vec<&str> = header.split(' ').collect();
    let ["R", exit, out_len, err_len, truncated] = fields[..] else {
        return Err(bad(key, "command header needs R and four fields"));
    };
    let number = |text: &str| {
        text.parse::<usize>()
            .map_err(|_| bad(key, "command length"))
    };
    let (out_len, err_len) = (number(out_len)?, number(err_len)?);
    let exit_code: i32 = exit.parse().map_err(|_| bad(key, "exit code"))?;
    let rest = &body[line_end + 1..];
    if out_len.checked_add(err_len) != Some(rest.len()) {
        return Err(bad(key, "command output does not match its lengths"));
    }
    // The probe caps both streams; more is not a probe's output.
    if out_len > MAX_STDOUT_BYTES || err_len > MAX_STDERR_BYTES {
        return Err(bad(key, "command output is larger than its cap"));
    }
    if exit_code < 0 {
        return Ok(CommandFact::Failed {
            reason: "the command's exit status could not be read".into(),
        });
    }
    budget.item(key, rest.len())?;
    Ok(CommandFact::Ran {
        exit_code,
        stdout: String::from_utf8_lossy(&rest[..out_len]).into_owned(),
        stderr: String::from_utf8_lossy(&rest[out_len..]).into_owned(),
        stdout_truncated: truncated == "1",
    })
}

/// Parses a probe's output into facts for `plan`. A malformed stream is refused before any
/// fact is built; building then stops at the memory budget (see [`Budget`]).
pub fn parse(output: &[u8], nonce: &str, plan: &ProbePlan) -> Result<Facts, ShellError> {
    records(output, nonce, |_| Ok(()))?;
    let mut parser = Parser {
        plan,
        budget: Budget::for_output(output),
        facts: Facts {
            offline: plan.offline,
            ..Facts::default()
        },
        listed_files: BTreeMap::new(),
        listings: Vec::new(),
        dpkg: None,
        apk: None,
        rpm: None,
    };
    records(output, nonce, |record| parser.record(record))?;
    parser.finish()
}

/// What a D record says about a directory.
enum Listing {
    Missing,
    Unreadable,
    Names(Vec<String>),
}

/// Facts built from records as they come.
struct Parser<'p> {
    plan: &'p ProbePlan,
    budget: Budget,
    facts: Facts,
    /// Contents of files inside listed directories, by target path.
    listed_files: BTreeMap<String, FileFact>,
    /// Directory listings by key (`DIR\nPATTERN`).
    listings: Vec<(String, Listing)>,
    dpkg: Option<Result<std::collections::BTreeSet<String>, DatabaseRefusal>>,
    apk: Option<Result<std::collections::BTreeSet<String>, DatabaseRefusal>>,
    rpm: Option<Result<PackageSource, String>>,
}

impl Parser<'_> {
    fn record(&mut self, record: Record) -> Result<(), ShellError> {
        let key: &str = &record.key;
        let budget = &mut self.budget;
        budget.item(key, key.len())?;
        match record.kind {
            b'B' => {
                let (files, listed) = (&mut self.facts.files, &mut self.listed_files);
                for_each_batch_file(key, record.body, |kind, target, content| {
                    let fact = file_content(target, content, budget)?;
                    budget.item(target, target.len())?;
                    match kind {
                        b'F' => files.insert(target.to_owned(), fact),
                        _ => listed.insert(target.to_owned(), fact),
                    };
                    Ok(())
                })?;
            }
            b'F' => {
                let fact = parse_file(key, record.body, budget)?;
                self.facts.files.insert(key.to_owned(), fact);
            }
            b'G' => {
                let fact = parse_file(key, record.body, budget)?;
                self.listed_files.insert(key.to_owned(), fact);
            }
            b'S' => {
                let entries = parse_stat(key, record.body, budget)?;
                self.facts.stats.insert(key.to_owned(), entries);
            }
            b'Z' => {
                budget.item(key, record.body.len())?;
                let dir = String::from_utf8_lossy(record.body).into_owned();
                self.facts.stat_denied.insert(key.to_owned(), dir);
            }
            b'D' => {
                if !key.contains('\n') {
                    return Err(bad(key, "dir key"));
                }
                let names = match record.body.split_first() {
                    Some((b'M', [])) => Listing::Missing,
                    Some((b'U', [])) => Listing::Unreadable,
                    Some((b'E', rest)) => Listing::Names(parse_names(key, rest, budget)?),
                    _ => return Err(bad(key, "unknown listing state")),
                };
                self.listings.push((key.to_owned(), names));
            }
            b'C' => {
                let timeout = self
                    .plan
                    .commands
                    .get(key)
                    .map(|c| c.timeout_ms)
                    .unwrap_or_default();
                let fact = parse_command(key, record.body, timeout, budget)?;
                self.facts.commands.insert(key.to_owned(), fact);
            }
            b'U' => {
                self.facts.units = Some(if record.body == b"N" {
                    UnitsFact::NotRunning
                } else {
                    let timeout = crate::defaults::COMMAND_TIMEOUT_MS;
                    UnitsFact::Ran {
                        output: parse_command(key, record.body, timeout, budget)?,
                    }
                });
            }
            b'P' => {
                budget.lines(key, record.body)?;
                let text = String::from_utf8_lossy(record.body);
                match key {
                    "dpkg" => self.dpkg = Some(Ok(packages::parse_dpkg_status(&text))),
                    "apk" => self.apk = Some(Ok(packages::parse_apk_installed(&text))),
                    _ => return Err(bad(key, "unknown package database")),
                }
            }
            b'R' => {
                let refusal = match parse_file(key, record.body, budget)? {
                    FileFact::TooManyLinks => DatabaseRefusal::TooManyLinks,
                    FileFact::TooLarge { size } => DatabaseRefusal::TooLarge { size },
                    _ => return Err(bad(key, "unknown package database refusal")),
                };
                match key {
                    "dpkg" => self.dpkg = Some(Err(refusal)),
                    "apk" => self.apk = Some(Err(refusal)),
                    _ => return Err(bad(key, "unknown package database")),
                }
            }
            b'Q' => {
                let source = read_shipped_rpmdb(key, record.body);
                if let Ok(source) = &source {
                    let bytes: usize = source.installed.iter().map(String::len).sum();
                    budget.charge(key, bytes + source.installed.len() * ITEM_OVERHEAD)?;
                }
                self.rpm = Some(source);
            }
            b'K' => {
                let timeout = crate::defaults::COMMAND_TIMEOUT_MS;
                let fact = parse_command(key, record.body, timeout, budget)?;
                self.rpm = Some(match fact {
                    CommandFact::Ran {
                        exit_code: 0,
                        stdout,
                        ..
                    } => {
                        budget.lines(key, stdout.as_bytes())?;
                        Ok(PackageSource {
                            manager: PackageManager::Rpm,
                            origin: RPM_QUERY_ALL.into(),
                            installed: packages::parse_name_lines(&stdout),
                        })
                    }
                    other => Err(format!("{RPM_QUERY_ALL}: {other:?}")),
                });
            }
            b'Y' => {
                let day = std::str::from_utf8(record.body)
                    .map_err(|_| bad(key, "clock"))?
                    .parse::<i64>()
                    .map_err(|_| bad(key, "clock is not a number"))?;
                self.facts.epoch_day = (day >= 0).then_some(day);
            }
            b'M' => {
                self.facts.kernel_modules = match record.body {
                    b"-" => None,
                    paths => {
                        budget.lines(key, paths)?;
                        let names: std::collections::BTreeSet<String> =
                            String::from_utf8_lossy(paths)
                                .lines()
                                .filter_map(|path| path.rsplit('/').next())
                                .filter_map(super::sources::module_name_of_file)
                                .collect();
                        // The native executor's bound, so both say "unknown" alike.
                        (names.len() <= MAX_MODULE_NAMES).then_some(names)
                    }
                };
            }
            b'X' => {
                return Err(ShellError::Probe(
                    String::from_utf8_lossy(record.body).into_owned(),
                ));
            }
            _ => return Err(bad(key, "unknown record type")),
        }
        Ok(())
    }

    fn finish(mut self) -> Result<Facts, ShellError> {
        let mut facts = self.facts;
        for (key, names) in self.listings {
            let Some((dir, pattern)) = key.split_once('\n') else {
                continue;
            };
            let listing = match names {
                Listing::Missing => DirFact::Missing,
                Listing::Unreadable => DirFact::Unreadable,
                Listing::Names(mut names) => {
                    names.sort();
                    names.dedup();
                    let mut entries = Vec::with_capacity(names.len());
                    for name in names {
                        let target = format!("{}/{name}", dir.trim_end_matches('/'));
                        let content = self
                            .listed_files
                            .get(target.as_str())
                            .cloned()
                            .unwrap_or(FileFact::Unreadable);
                        // A file listed under many patterns is copied for each.
                        let copied = content.text().map_or(0, str::len);
                        self.budget.item(&key, copied)?;
                        entries.push(DirEntryFact { name, content });
                    }
                    DirFact::Entries { entries }
                }
            };
            facts
                .dirs
                .entry(dir.to_owned())
                .or_default()
                .insert(pattern.to_owned(), listing);
        }
        if self.plan.packages {
            let mut fact = PackagesFact::default();
            // In the native executor's order: dpkg, rpm, apk.
            let listed = |manager, origin: &str, read: Option<Result<_, DatabaseRefusal>>| {
                read.map(|read| {
                    read.map(|installed| PackageSource {
                        manager,
                        origin: origin.into(),
                        installed,
                    })
                    .map_err(|why| why.message(origin))
                })
            };
            let dpkg = listed(PackageManager::Dpkg, super::sources::DPKG_STATUS, self.dpkg);
            let apk = listed(PackageManager::Apk, super::sources::APK_INSTALLED, self.apk);
            for read in [dpkg, self.rpm, apk].into_iter().flatten() {
                match read {
                    Ok(source) => fact.sources.push(source),
                    Err(error) => fact.errors.push(error),
                }
            }
            facts.packages = Some(fact);
        }
        Ok(facts)
    }
}

/// Hands each file of a batch to `each` as (record type F or G, target path, content): the key
/// indexes `TYPE SIZE KEYLEN\nKEY` entries, the body is their contents back to back.
fn for_each_batch_file<'a>(
    index: &'a str,
    body: &'a [u8],
    mut each: impl FnMut(u8, &'a str, &'a [u8]) -> Result<(), ShellError>,
) -> Result<(), ShellError> {
    let mut rest = index;
    let mut offset = 0usize;
    while !rest.is_empty() {
        let (header, after) = rest
            .split_once('\n')
            .ok_or_else(|| bad("batch", "index entry without header"))?;
        let mut fields = header.split(' ');
        let (Some(kind), Some(size), Some(key_len), None) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            return Err(bad("batch", "index entry needs three fields"));
        };
        let kind = match kind {
            "F" => b'F',
            "G" => b'G',
            _ => return Err(bad("batch", "unknown entry type")),
        };
        let number = |text: &str| {
            text.parse::<usize>()
                .map_err(|_| bad("batch", "index number"))
        };
        let (size, key_len) = (number(size)?, number(key_len)?);
        let target = after
            .get(..key_len)
            .ok_or_else(|| bad("batch", "index entry shorter than its key"))?;
        let end = offset
            .checked_add(size)
            .filter(|end| *end <= body.len())
            .ok_or_else(|| bad("batch", "contents shorter than the index says"))?;
        each(kind, target, &body[offset..end])?;
        offset = end;
        rest = &after[key_len..];
    }
    if offset != body.len() {
        return Err(bad("batch", "contents longer than the index says"));
    }
    Ok(())
}

fn parse_names(key: &str, mut body: &[u8], budget: &mut Budget) -> Result<Vec<String>, ShellError> {
    let mut names = Vec::new();
    while !body.is_empty() {
        let colon = body
            .iter()
            .position(|b| *b == b':')
            .ok_or_else(|| bad(key, "listing entry"))?;
        let len: usize = std::str::from_utf8(&body[..colon])
            .ok()
            .and_then(|t| t.parse().ok())
            .ok_or_else(|| bad(key, "listing length"))?;
        let rest = &body[colon + 1..];
        if rest.len() < len {
            return Err(bad(key, "listing entry shorter than its length"));
        }
        if let Ok(name) = std::str::from_utf8(&rest[..len]) {
            // Twice a name's slot: a growing vector holds up to double its length.
            budget.item(key, 2 * std::mem::size_of::<String>() + len)?;
            names.push(name.to_owned());
        }
        body = &rest[len..];
    }
    Ok(names)
}

/// An rpm sqlite database shipped as bytes: read it with the same code as the native executor.
fn read_shipped_rpmdb(origin: &str, bytes: &[u8]) -> Result<PackageSource, String> {
    let copy = (|| -> std::io::Result<tempfile::NamedTempFile> {
        let mut file = tempfile::NamedTempFile::new()?;
        file.write_all(bytes)?;
        file.flush()?;
        Ok(file)
    })()
    .map_err(|err| format!("{origin}: cannot stage the database: {err}"))?;
    packages::read_rpmdb_sqlite(copy.path(), origin).map(|installed| PackageSource {
        manager: PackageManager::Rpm,
        origin: origin.to_owned(),
        installed,
    })
}

/// Runs the probe with the local `sh` (`plumb scan --via-shell`), under `root`.
pub fn gather_local(plan: &ProbePlan, root: &Path) -> Result<Facts, ShellError> {
    gather_with(plan, root, &["/bin/sh", "-s"])
}

/// Runs the probe with a given shell command line (`["busybox", "sh", "-s"]`), under `root`.
pub fn gather_with(plan: &ProbePlan, root: &Path, shell: &[&str]) -> Result<Facts, ShellError> {
    let nonce = new_nonce();
    let root = root
        .to_str()
        .ok_or_else(|| ShellError::Local("the --root path is not UTF-8".into()))?;
    let text = script(plan, root, &nonce);
    let (program, args) = shell
        .split_first()
        .ok_or_else(|| ShellError::Local("no shell given".into()))?;
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|err| ShellError::Local(format!("cannot start {program}: {err}")))?;
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| ShellError::Local("no stdin pipe".into()))?;
    let writer = std::thread::spawn(move || stdin.write_all(text.as_bytes()));
    let mut output = Vec::new();
    let read = child
        .stdout
        .take()
        .ok_or_else(|| ShellError::Local("no stdout pipe".into()))?
        .take(MAX_OUTPUT as u64 + 1)
        .read_to_end(&mut output);
    if output.len() > MAX_OUTPUT {
        let _ = child.kill();
        let _ = child.wait();
        return Err(ShellError::TooLarge { limit: MAX_OUTPUT });
    }
    let _ = writer.join();
    read.map_err(|err| ShellError::Local(format!("reading the probe output: {err}")))?;
    child
        .wait()
        .map_err(|err| ShellError::Local(format!("waiting for sh: {err}")))?;
    parse(&output, &nonce, plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_takes_its_limits_from_the_generator() {
        let script = script(&plan_with_file("/etc/hostname"), "", "n0");
        let limits = format!(
            "QUERY_SECS={} MAX_HOPS={} DB_CAP={} HOMES_CAP={}\n",
            COMMAND_TIMEOUT_MS / 1000,
            MAX_LINK_HOPS,
            MAX_PACKAGE_DB_BYTES,
            crate::probe::homes::MAX_HOME_LINES
        );
        assert!(script.contains(&limits), "{script}");
        // Every `_start` in the prelude passes its timeout as a variable, and the hop limit
        // is the generator's.
        let literal_timeout = regex::Regex::new(r#"_start \w+ "\$\d" \d"#).unwrap();
        assert!(!literal_timeout.is_match(PRELUDE));
        assert_eq!(PRELUDE.matches(r#""$QUERY_SECS""#).count(), 2);
        assert!(PRELUDE.contains(r#"-lt "$MAX_HOPS""#));
        assert!(!PRELUDE.contains("-lt 40"));
    }

    fn record(nonce: &str, kind: &str, key: &str, body: &[u8]) -> Vec<u8> {
        let mut out = format!("{nonce} {kind} {} {}\n{key}", key.len(), body.len()).into_bytes();
        out.extend_from_slice(body);
        out.push(b'\n');
        out
    }

    fn plan_with_file(path: &str) -> ProbePlan {
        let mut plan = ProbePlan::default();
        plan.files.insert(path.to_owned());
        plan
    }

    /// Even a file that knows the run's nonce cannot forge a record: its bytes are body bytes.
    #[test]
    fn file_content_cannot_forge_a_record() {
        let nonce = "0123456789abcdef0123456789abcdef";
        let forged = record(nonce, "F", "/etc/shadow", b"Tforged");
        let mut body = b"T".to_vec();
        body.extend_from_slice(&forged);
        let mut output = record(nonce, "F", "/etc/motd", &body);
        output.extend(record(nonce, "E", "", b"1"));
        let facts = parse(&output, nonce, &plan_with_file("/etc/motd")).unwrap();
        assert_eq!(facts.files.len(), 1);
        assert_eq!(
            facts.files["/etc/motd"].text(),
            Some(String::from_utf8_lossy(&forged).as_ref())
        );
    }

    #[test]
    fn broken_streams_are_errors_not_panics() {
        let nonce = "0123456789abcdef0123456789abcdef";
        let plan = plan_with_file("/etc/motd");
        let good = [
            record(nonce, "F", "/etc/motd", b"Thi"),
            record(nonce, "E", "", b"1"),
        ]
        .concat();
        assert!(parse(&good, nonce, &plan).is_ok());
        for cut in 0..good.len() {
            assert!(parse(&good[..cut], nonce, &plan).is_err(), "cut at {cut}");
        }
        let mut longer = good.clone();
        longer.extend_from_slice(b"junk");
        assert!(parse(&longer, nonce, &plan).is_err());
        let wrong_count = [
            record(nonce, "F", "/etc/motd", b"Thi"),
            record(nonce, "E", "", b"7"),
        ]
        .concat();
        assert!(parse(&wrong_count, nonce, &plan).is_err());
        let other_nonce = [record("ffff", "F", "/etc/motd", b"Thi")].concat();
        assert!(matches!(
            parse(&other_nonce, nonce, &plan),
            Err(ShellError::Framing { .. })
        ));
        let huge_length = format!("{nonce} F 1 99999999999999999999\n").into_bytes();
        assert!(parse(&huge_length, nonce, &plan).is_err());
        let max = usize::MAX;
        let huge_record = format!("{nonce} F 0 {max}\n").into_bytes();
        assert!(parse(&huge_record, nonce, &plan).is_err());
        // Lengths inside stat and command bodies that overflow when added.
        let mut stat_plan = plan.clone();
        stat_plan.stats.insert("/x".into());
        let stat_body = format!("f 644 0 0 {max} 2\nab");
        let stat = [
            record(nonce, "S", "/x", stat_body.as_bytes()),
            record(nonce, "E", "", b"1"),
        ]
        .concat();
        assert!(parse(&stat, nonce, &stat_plan).is_err());
        let mut command_plan = plan.clone();
        let planned = crate::probe::plan::PlannedCommand {
            timeout_ms: 1000,
            ..Default::default()
        };
        command_plan.commands.insert("c".into(), planned);
        let command_body = format!("R 0 {max} 2 0\nab");
        let command = [
            record(nonce, "C", "c", command_body.as_bytes()),
            record(nonce, "E", "", b"1"),
        ]
        .concat();
        assert!(parse(&command, nonce, &command_plan).is_err());
    }

    /// The clock and module-tree records: values parse, unknowns stay unknown, junk is refused.
    #[test]
    fn clock_and_module_records_parse_or_fail_cleanly() {
        let nonce = "0123456789abcdef0123456789abcdef";
        let plan = ProbePlan::default();
        let stream = |kind: &str, body: &[u8]| {
            [record(nonce, kind, "", body), record(nonce, "E", "", b"1")].concat()
        };
        let facts = parse(&stream("Y", b"20422"), nonce, &plan).unwrap();
        assert_eq!(facts.epoch_day, Some(20422));
        let facts = parse(&stream("Y", b"-1"), nonce, &plan).unwrap();
        assert_eq!(facts.epoch_day, None);
        assert!(parse(&stream("Y", b"soon"), nonce, &plan).is_err());
        let body = b"/lib/modules/6.1/kernel/fs/cramfs/cramfs.ko\n/lib/modules/6.1/kernel/x/usb-storage.ko.xz\n/lib/modules/6.1/modules.dep\n";
        let facts = parse(&stream("M", body), nonce, &plan).unwrap();
        let names: Vec<&str> = facts
            .kernel_modules
            .iter()
            .flatten()
            .map(String::as_str)
            .collect();
        assert_eq!(names, ["cramfs", "usb_storage"]);
        let facts = parse(&stream("M", b"-"), nonce, &plan).unwrap();
        assert_eq!(facts.kernel_modules, None);
    }

    #[test]
    fn the_parser_survives_arbitrary_bytes() {
        let nonce = "0123456789abcdef0123456789abcdef";
        let plan = plan_with_file("/etc/motd");
        // A deterministic xorshift stream: no dependency, reproducible failures.
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        for round in 0..2000 {
            let len = (round * 7) % 400;
            let mut bytes = Vec::with_capacity(len + 64);
            if round % 2 == 0 {
                bytes.extend_from_slice(format!("{nonce} ").as_bytes());
            }
            for _ in 0..len {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                bytes.push((state & 0xff) as u8);
            }
            let _ = parse(&bytes, nonce, &plan);
        }
    }
}
