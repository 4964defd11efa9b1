//! The `accounts` method: predicates over /etc/passwd, shadow, group and gshadow, parsed here
//! from file facts (so they work offline under `--root`), and over the home directories that
//! passwd names (stat'ed by the executors, see `probe::homes`).
//!
//! Evidence names accounts and says what is wrong with them; a shadow password field is only
//! ever described as "hashed", "locked", "empty" or "not a hash".

use super::compare::{compare, describe};
use super::host::HostView;
use super::result::{Evidence, Outcome, Reason, Status};
use crate::probe::facts::{FileFact, FileKind, StatEntry, TOO_MANY_LINKS};
use crate::probe::homes;
use crate::probe::sources::*;
use crate::rules::{AccountPredicate, AccountsCheck};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// UID_MIN when login.defs does not set it (shadow-utils' own default).
const DEFAULT_UID_MIN: u32 = 1000;
/// `nobody`: a system account whatever UID_MIN says.
const NOBODY_UID: u32 = 65534;
/// Accounts whose shell is part of their job (sync, shutdown, halt), besides root.
const SHELL_EXEMPT: [&str; 5] = ["root", "sync", "shutdown", "halt", "nfsnobody"];
/// Accounts that distributions ship with primary group 0.
const GID0_ALLOWED: [&str; 5] = ["root", "sync", "shutdown", "halt", "operator"];
/// Offenders listed in evidence; the count says how many there are in all.
const MAX_LISTED: usize = 50;

struct PasswdEntry<'a> {
    line: &'a str,
    name: &'a str,
    password: &'a str,
    uid: u32,
    gid: u32,
    shell: &'a str,
}

struct GroupEntry<'a> {
    name: &'a str,
    gid: u32,
    members: Vec<&'a str>,
}

/// A shadow or gshadow entry: the name, the password field and the fields after it.
struct ShadowEntry<'a> {
    name: &'a str,
    password: &'a str,
    rest: Vec<&'a str>,
}

/// Lines of a colon-separated database with their 1-based numbers; blank lines are skipped.
fn records(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split('\n')
        .enumerate()
        .map(|(index, line)| (index + 1, line))
        .filter(|(_, line)| !line.trim().is_empty())
}

/// Parsed entries and the numbers of the lines that are not entries.
type Parsed<T> = (Vec<T>, Vec<usize>);

fn parse_passwd(text: &str) -> Parsed<PasswdEntry<'_>> {
    let (mut entries, mut bad) = (Vec::new(), Vec::new());
    for (number, line) in records(text) {
        let fields: Vec<&str> = line.split(':').collect();
        match fields[..] {
            [name, password, uid, gid, _, _, shell] if !name.is_empty() => {
                match (uid.parse(), gid.parse()) {
                    (Ok(uid), Ok(gid)) => entries.push(PasswdEntry {
                        line,
                        name,
                        password,
                        uid,
                        gid,
                        shell,
                    }),
                    _ => bad.push(number),
                }
            }
            _ => bad.push(number),
        }
    }
    (entries, bad)
}

fn parse_group(text: &str) -> Parsed<GroupEntry<'_>> {
    let (mut entries, mut bad) = (Vec::new(), Vec::new());
    for (number, line) in records(text) {
        let fields: Vec<&str> = line.split(':').collect();
        match fields[..] {
            [name, _, gid, members] if !name.is_empty() => match gid.parse() {
                Ok(gid) => entries.push(GroupEntry {
                    name,
                    gid,
                    members: member_list(members),
                }),
                Err(_) => bad.push(number),
            },
            _ => bad.push(number),
        }
    }
    (entries, bad)
}

/// shadow(5) has 9 fields, gshadow(5) 4; either way the name and the password come first.
fn parse_shadow(text: &str, fields_wanted: usize) -> Parsed<ShadowEntry<'_>> {
    let (mut entries, mut bad) = (Vec::new(), Vec::new());
    for (number, line) in records(text) {
        let fields: Vec<&str> = line.split(':').collect();
        if fields.len() != fields_wanted || fields[0].is_empty() {
            bad.push(number);
            continue;
        }
        entries.push(ShadowEntry {
            name: fields[0],
            password: fields[1],
            rest: fields[2..].to_vec(),
        });
    }
    (entries, bad)
}

fn member_list(field: &str) -> Vec<&str> {
    field
        .split(',')
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .collect()
}

/// What a shadow password field is, without what it holds.
fn password_kind(field: &str) -> &'static str {
    if field.is_empty() {
        "empty"
    } else if field.starts_with(['!', '*']) {
        "locked"
    } else if is_hash(field) {
        "hashed"
    } else {
        "not a hash"
    }
}

/// A crypt(3) result: `$id$...$...`, or the 13 characters of traditional DES.
fn is_hash(field: &str) -> bool {
    let salt_chars = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '/');
    (field.starts_with('$') && field.matches('$').count() >= 3)
        || (field.len() == 13 && field.chars().all(salt_chars))
}

/// `UID_MIN` from login.defs (the last setting wins), else the shadow-utils default.
fn uid_min(login_defs: Option<&str>) -> u32 {
    login_defs
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            (words.next() == Some("UID_MIN"))
                .then(|| words.next()?.parse().ok())
                .flatten()
        })
        .next_back()
        .unwrap_or(DEFAULT_UID_MIN)
}

/// Login shells: /etc/shells without its nologin entries; without that file, any shell but
/// nologin and false.
struct Shells<'a>(Option<BTreeSet<&'a str>>);

impl Shells<'_> {
    fn is_login(&self, shell: &str) -> bool {
        let base = shell.rsplit('/').next().unwrap_or_default();
        if shell.is_empty() || base == "nologin" {
            return false;
        }
        match &self.0 {
            Some(listed) => listed.contains(shell),
            None => base != "false",
        }
    }
}

fn shells(text: Option<&str>) -> Shells<'_> {
    Shells(text.map(|text| {
        text.lines()
            .map(str::trim)
            .filter(|line| line.starts_with('/') && !line.ends_with("/nologin"))
            .collect()
    }))
}

/// The check's view of the account files.
struct Accounts<'a> {
    passwd: Parsed<PasswdEntry<'a>>,
    group: Option<Parsed<GroupEntry<'a>>>,
    shadow: Option<Parsed<ShadowEntry<'a>>>,
    gshadow: Option<Parsed<ShadowEntry<'a>>>,
    uid_min: u32,
    shells: Shells<'a>,
}

impl Accounts<'_> {
    fn system(&self, entry: &PasswdEntry) -> bool {
        entry.uid < self.uid_min || entry.uid == NOBODY_UID
    }

    fn shadow_of(&self, name: &str) -> Option<&ShadowEntry<'_>> {
        self.shadow
            .as_ref()
            .and_then(|(entries, _)| entries.iter().find(|e| e.name == name))
    }

    /// Interactive users: those with a login shell.
    fn interactive(&self) -> impl Iterator<Item = &PasswdEntry<'_>> {
        self.passwd
            .0
            .iter()
            .filter(|entry| self.shells.is_login(entry.shell))
    }
}

struct Verdict<'c> {
    target: &'c str,
    expected: String,
    files: Vec<&'static str>,
}

impl Verdict<'_> {
    fn outcome(&self, status: Status, actual: String, source: Value) -> Outcome {
        Outcome {
            status,
            reason: None,
            evidence: Evidence {
                method: "accounts".to_owned(),
                target: self.target.to_owned(),
                expected: self.expected.clone(),
                actual,
                source,
            },
        }
    }

    fn probe_failed(&self, detail: String) -> Outcome {
        let mut outcome = self.outcome(Status::Error, detail.clone(), Value::Null);
        outcome.reason = Some((Reason::ProbeFailed, detail));
        outcome
    }

    /// Pass when nothing offends; the evidence lists the offenders (capped) and their count.
    fn judged(&self, offenders: Vec<String>, clean: &str) -> Outcome {
        let count = offenders.len();
        let listed: Vec<&String> = offenders.iter().take(MAX_LISTED).collect();
        let source = json!({ "files": self.files, "offenders": listed, "count": count });
        if offenders.is_empty() {
            self.outcome(Status::Pass, clean.to_owned(), source)
        } else {
            let mut actual = listed
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join("; ");
            if count > MAX_LISTED {
                actual.push_str(&format!("; and {} more", count - MAX_LISTED));
            }
            self.outcome(Status::Fail, actual, source)
        }
    }
}

/// A file's text; `Ok(None)` when it does not exist.
fn text<'a>(host: &HostView<'a>, path: &str) -> Result<Option<&'a str>, String> {
    match host.facts.file(path) {
        Some(FileFact::Text { content }) => Ok(Some(content)),
        Some(FileFact::Missing) => Ok(None),
        Some(FileFact::TooLarge { size }) => Err(format!("{path} is too large ({size} bytes)")),
        Some(FileFact::Unreadable) => Err(format!("{path} is not readable")),
        Some(FileFact::TooManyLinks) => Err(format!("{path}: {TOO_MANY_LINKS}")),
        None => Err(format!("{path} was not gathered")),
    }
}

fn expected(c: &AccountsCheck) -> String {
    let age = |what: &str| {
        let expectation = c.expectation.as_ref().map(describe).unwrap_or_default();
        format!("{what} {expectation} for every account with a password")
    };
    match c.predicate {
        AccountPredicate::UniqueUids => "no UID shared by two accounts".into(),
        AccountPredicate::UniqueGids => "no GID shared by two groups".into(),
        AccountPredicate::UniqueUserNames => "no user name listed twice".into(),
        AccountPredicate::UniqueGroupNames => "no group name listed twice".into(),
        AccountPredicate::PasswdGidsExist => "every primary GID exists in /etc/group".into(),
        AccountPredicate::OnlyRootUid0 => "only root has UID 0".into(),
        AccountPredicate::OnlyRootGid0 => {
            "only group root has GID 0, and only root (or sync, shutdown, halt, operator) has it as primary group".into()
        }
        AccountPredicate::SystemAccountsNologin => {
            "system accounts (UID below UID_MIN) have no login shell".into()
        }
        AccountPredicate::SystemAccountsLocked => {
            "system accounts and accounts without a login shell are locked".into()
        }
        AccountPredicate::ShadowHashedOrLocked => {
            "every password is shadowed, and hashed or locked".into()
        }
        AccountPredicate::ShadowLastChangePast => {
            "no password's last change is in the future".into()
        }
        AccountPredicate::ShadowMaxDays => age("maximum days"),
        AccountPredicate::ShadowMinDays => age("minimum days"),
        AccountPredicate::ShadowWarnDays => age("warning days"),
        AccountPredicate::ShadowInactiveDays => age("inactive days"),
        AccountPredicate::HomeDirsExist => "every interactive user's home directory exists".into(),
        AccountPredicate::HomeDirsOwned => "interactive users own their home directories".into(),
        AccountPredicate::HomeDirsMode => {
            format!("interactive users' home directories have mode <= {:04o}", c.mode)
        }
        AccountPredicate::DotFilesNotGroupOrWorldWritable => {
            "no dot file in an interactive user's home is group- or world-writable".into()
        }
        AccountPredicate::NoForbiddenDotFiles => {
            format!("no interactive user has {}", c.files.join(", "))
        }
        AccountPredicate::GroupEmpty => format!("group {} has no members", c.group),
    }
}

pub fn evaluate(c: &AccountsCheck, host: &HostView) -> Outcome {
    let predicate = c.predicate;
    let target = if predicate == AccountPredicate::GroupEmpty {
        c.group.as_str()
    } else {
        predicate.as_str()
    };
    let mut files = vec![PASSWD];
    let uses_group = matches!(
        predicate,
        AccountPredicate::UniqueGids
            | AccountPredicate::UniqueGroupNames
            | AccountPredicate::PasswdGidsExist
            | AccountPredicate::OnlyRootGid0
            | AccountPredicate::GroupEmpty
    );
    let uses_shadow = matches!(
        predicate,
        AccountPredicate::SystemAccountsLocked
            | AccountPredicate::ShadowHashedOrLocked
            | AccountPredicate::ShadowLastChangePast
            | AccountPredicate::ShadowMaxDays
            | AccountPredicate::ShadowMinDays
            | AccountPredicate::ShadowWarnDays
            | AccountPredicate::ShadowInactiveDays
    );
    if uses_group {
        files.push(GROUP);
    }
    if predicate == AccountPredicate::GroupEmpty {
        files.push(GSHADOW);
    }
    if uses_shadow {
        files.push(SHADOW);
    }
    let v = Verdict {
        target,
        expected: expected(c),
        files,
    };
    let read = |path| text(host, path);
    let loaded = (|| -> Result<Result<Accounts, String>, String> {
        let Some(passwd) = read(PASSWD)? else {
            return Ok(Err(format!("{PASSWD} is missing")));
        };
        let group = match read(GROUP)? {
            None if uses_group => return Ok(Err(format!("{GROUP} is missing"))),
            other => other,
        };
        let shadow = match read(SHADOW)? {
            None if uses_shadow => return Ok(Err(format!("{SHADOW} is missing"))),
            other => other,
        };
        let gshadow = if predicate == AccountPredicate::GroupEmpty {
            read(GSHADOW)?
        } else {
            None
        };
        Ok(Ok(Accounts {
            passwd: parse_passwd(passwd),
            group: group.map(parse_group),
            shadow: shadow.map(|text| parse_shadow(text, 9)),
            gshadow: gshadow.map(|text| parse_shadow(text, 4)),
            uid_min: uid_min(read(LOGIN_DEFS)?),
            shells: shells(read(SHELLS)?),
        }))
    })();
    let accounts = match loaded {
        Err(problem) => return v.probe_failed(problem),
        Ok(Err(missing)) => return v.outcome(Status::Fail, missing, json!({ "files": v.files })),
        Ok(Ok(accounts)) => accounts,
    };
    // A line the tools cannot parse may hide an account: no verdict can ignore it.
    let mut malformed: Vec<String> = Vec::new();
    let mut note_bad = |path: &str, lines: &[usize]| {
        malformed.extend(
            lines
                .iter()
                .map(|n| format!("{path} line {n} is not a valid entry")),
        );
    };
    note_bad(PASSWD, &accounts.passwd.1);
    if uses_group {
        if let Some((_, bad)) = &accounts.group {
            note_bad(GROUP, bad);
        }
    }
    if uses_shadow {
        if let Some((_, bad)) = &accounts.shadow {
            note_bad(SHADOW, bad);
        }
    }
    if predicate == AccountPredicate::GroupEmpty {
        if let Some((_, bad)) = &accounts.gshadow {
            note_bad(GSHADOW, bad);
        }
    }
    if !malformed.is_empty() {
        return v.judged(malformed, "");
    }
    match offenders(c, &accounts, host) {
        Ok((offenders, clean)) => v.judged(offenders, &clean),
        Err(problem) => v.probe_failed(problem),
    }
}

/// Values shared by more than one entry: "uid 0: root, toor".
fn duplicates<'a, K: Ord + std::fmt::Display>(
    what: &str,
    items: impl Iterator<Item = (K, &'a str)>,
) -> Vec<String> {
    let mut by_key: BTreeMap<K, Vec<&str>> = BTreeMap::new();
    for (key, name) in items {
        by_key.entry(key).or_default().push(name);
    }
    by_key
        .into_iter()
        .filter(|(_, names)| names.len() > 1)
        .map(|(key, names)| format!("{what} {key}: {}", names.join(", ")))
        .collect()
}

/// The offenders of the check's predicate, and what a clean result says.
fn offenders(
    c: &AccountsCheck,
    accounts: &Accounts,
    host: &HostView,
) -> Result<(Vec<String>, String), String> {
    let passwd = &accounts.passwd.0;
    let groups: &[GroupEntry] = accounts.group.as_ref().map_or(&[], |(g, _)| g);
    let count = |n: usize, what: &str| format!("{n} {what} checked");
    Ok(match c.predicate {
        AccountPredicate::UniqueUids => (
            duplicates("uid", passwd.iter().map(|e| (e.uid, e.name))),
            count(passwd.len(), "accounts"),
        ),
        AccountPredicate::UniqueGids => (
            duplicates("gid", groups.iter().map(|g| (g.gid, g.name))),
            count(groups.len(), "groups"),
        ),
        AccountPredicate::UniqueUserNames => (
            duplicates("name", passwd.iter().map(|e| (e.name, e.name))),
            count(passwd.len(), "accounts"),
        ),
        AccountPredicate::UniqueGroupNames => (
            duplicates("name", groups.iter().map(|g| (g.name, g.name))),
            count(groups.len(), "groups"),
        ),
        AccountPredicate::PasswdGidsExist => {
            let known: BTreeSet<u32> = groups.iter().map(|g| g.gid).collect();
            let missing = passwd
                .iter()
                .filter(|e| !known.contains(&e.gid))
                .map(|e| format!("{}: group {} does not exist", e.name, e.gid))
                .collect();
            (missing, count(passwd.len(), "accounts"))
        }
        AccountPredicate::OnlyRootUid0 => {
            let others = passwd
                .iter()
                .filter(|e| e.uid == 0 && e.name != "root")
                .map(|e| format!("{} has UID 0", e.name))
                .collect();
            (others, "only root has UID 0".into())
        }
        AccountPredicate::OnlyRootGid0 => {
            let mut others: Vec<String> = groups
                .iter()
                .filter(|g| g.gid == 0 && g.name != "root")
                .map(|g| format!("group {} has GID 0", g.name))
                .collect();
            others.extend(
                passwd
                    .iter()
                    .filter(|e| e.gid == 0 && !GID0_ALLOWED.contains(&e.name))
                    .map(|e| format!("{} has primary GID 0", e.name)),
            );
            (others, "GID 0 is root's alone".into())
        }
        AccountPredicate::SystemAccountsNologin => {
            let offenders = passwd
                .iter()
                .filter(|e| accounts.system(e) && !SHELL_EXEMPT.contains(&e.name))
                .filter(|e| accounts.shells.is_login(e.shell))
                .map(|e| format!("{} (UID {}) has login shell {}", e.name, e.uid, e.shell))
                .collect();
            (
                offenders,
                format!(
                    "no system account has a login shell (UID_MIN {})",
                    accounts.uid_min
                ),
            )
        }
        AccountPredicate::SystemAccountsLocked => {
            let offenders = passwd
                .iter()
                .filter(|e| e.name != "root")
                .filter(|e| accounts.system(e) || !accounts.shells.is_login(e.shell))
                .filter_map(|e| {
                    let state = match accounts.shadow_of(e.name) {
                        Some(shadow) => password_kind(shadow.password),
                        None => return Some(format!("{}: no shadow entry", e.name)),
                    };
                    (state != "locked").then(|| format!("{}: {state}", e.name))
                })
                .collect();
            (offenders, "every such account is locked".into())
        }
        AccountPredicate::ShadowHashedOrLocked => {
            let mut offenders: Vec<String> = passwd
                .iter()
                .filter(|e| e.password != "x")
                .map(|e| format!("{}: password field in {PASSWD} is not `x`", e.name))
                .collect();
            let shadow: &[ShadowEntry] = accounts.shadow.as_ref().map_or(&[], |(s, _)| s);
            offenders.extend(shadow.iter().filter_map(|entry| {
                let kind = password_kind(entry.password);
                matches!(kind, "empty" | "not a hash").then(|| format!("{}: {kind}", entry.name))
            }));
            (offenders, count(shadow.len(), "shadow entries"))
        }
        AccountPredicate::ShadowLastChangePast => {
            let today = host
                .facts
                .epoch_day
                .ok_or("today's date could not be read on the host")?;
            let shadow: &[ShadowEntry] = accounts.shadow.as_ref().map_or(&[], |(s, _)| s);
            let offenders = shadow
                .iter()
                .filter_map(|entry| {
                    let field = entry.rest[0];
                    match field.parse::<i64>() {
                        _ if field.is_empty() => None,
                        Ok(day) if day > today => Some(format!(
                            "{}: last change is {} days in the future",
                            entry.name,
                            day - today
                        )),
                        Ok(_) => None,
                        Err(_) => Some(format!(
                            "{}: last change `{field}` is not a day",
                            entry.name
                        )),
                    }
                })
                .collect();
            (offenders, count(shadow.len(), "shadow entries"))
        }
        AccountPredicate::ShadowMaxDays
        | AccountPredicate::ShadowMinDays
        | AccountPredicate::ShadowWarnDays
        | AccountPredicate::ShadowInactiveDays => {
            let field = c.predicate.shadow_age_field().unwrap_or_default();
            let expectation = c.expectation.as_ref().ok_or("no expected value")?;
            let shadow: &[ShadowEntry] = accounts.shadow.as_ref().map_or(&[], |(s, _)| s);
            let with_password: Vec<&ShadowEntry> = shadow
                .iter()
                .filter(|e| password_kind(e.password) == "hashed")
                .collect();
            let offenders = with_password
                .iter()
                .filter_map(|entry| {
                    let value = entry.rest[field - 2];
                    if value.is_empty() {
                        return Some(format!("{}: not set", entry.name));
                    }
                    match compare(value, expectation) {
                        Ok(true) => None,
                        Ok(false) => Some(format!("{}: {value}", entry.name)),
                        Err(why) => Some(format!("{}: {value} ({why})", entry.name)),
                    }
                })
                .collect();
            (
                offenders,
                count(with_password.len(), "accounts with a password"),
            )
        }
        AccountPredicate::HomeDirsExist
        | AccountPredicate::HomeDirsOwned
        | AccountPredicate::HomeDirsMode
        | AccountPredicate::DotFilesNotGroupOrWorldWritable
        | AccountPredicate::NoForbiddenDotFiles => home_offenders(c, accounts, host)?,
        AccountPredicate::GroupEmpty => {
            let Some(group) = groups.iter().find(|g| g.name == c.group) else {
                return Ok((
                    vec![format!("group {} does not exist", c.group)],
                    String::new(),
                ));
            };
            let mut offenders: Vec<String> = group
                .members
                .iter()
                .map(|m| format!("{m} is a member ({GROUP})"))
                .collect();
            let gshadow: &[ShadowEntry] = accounts.gshadow.as_ref().map_or(&[], |(s, _)| s);
            if let Some(entry) = gshadow.iter().find(|e| e.name == c.group) {
                // gshadow: name:password:administrators:members
                for (field, role) in [(0, "an administrator"), (1, "a member")] {
                    offenders.extend(
                        member_list(entry.rest[field])
                            .into_iter()
                            .map(|m| format!("{m} is {role} ({GSHADOW})")),
                    );
                }
            }
            offenders.extend(
                accounts
                    .passwd
                    .0
                    .iter()
                    .filter(|e| e.gid == group.gid)
                    .map(|e| format!("{} has it as primary group", e.name)),
            );
            (
                offenders,
                format!("group {} (GID {}) is empty", group.name, group.gid),
            )
        }
    })
}

/// One home directory's stat; `Err` when the home was not examined.
fn home_stat<'a>(
    host: &HostView<'a>,
    entry: &PasswdEntry,
) -> Result<(String, Option<&'a StatEntry>), String> {
    let home = homes::home_of(entry.line).ok_or_else(|| {
        format!(
            "{}: home directory path not examined (unusual characters)",
            entry.name
        )
    })?;
    let stat = host
        .facts
        .stat(&home)
        .ok_or_else(|| format!("{}: home {home} was not gathered", entry.name))?;
    Ok((home, stat.first()))
}

fn home_offenders(
    c: &AccountsCheck,
    accounts: &Accounts,
    host: &HostView,
) -> Result<(Vec<String>, String), String> {
    let mut offenders = Vec::new();
    let mut checked = 0;
    for entry in accounts.interactive() {
        let (home, stat) = match home_stat(host, entry) {
            Ok(found) => found,
            Err(problem) => {
                offenders.push(problem);
                continue;
            }
        };
        checked += 1;
        let Some(stat) = stat else {
            if c.predicate == AccountPredicate::HomeDirsExist {
                offenders.push(format!("{}: {home} does not exist", entry.name));
            }
            continue;
        };
        match c.predicate {
            // A symlink whose target exists counts, as `test -d` follows it.
            AccountPredicate::HomeDirsExist
                if !(stat.kind == FileKind::Dir
                    || (stat.kind == FileKind::Symlink && stat.mode.is_some())) =>
            {
                offenders.push(format!("{}: {home} is not a directory", entry.name));
            }
            AccountPredicate::HomeDirsOwned if stat.uid != Some(entry.uid) => {
                let owner = stat.uid.map_or("unknown".into(), |uid| {
                    host.user_name(uid).map_or(uid.to_string(), str::to_owned)
                });
                offenders.push(format!("{}: {home} is owned by {owner}", entry.name));
            }
            AccountPredicate::HomeDirsMode if stat.mode.is_some_and(|mode| mode & !c.mode != 0) => {
                let mode = stat.mode.unwrap_or_default();
                offenders.push(format!("{}: {home} has mode {mode:04o}", entry.name));
            }
            AccountPredicate::DotFilesNotGroupOrWorldWritable
            | AccountPredicate::NoForbiddenDotFiles => {
                let dots = host
                    .facts
                    .stat(&homes::dot_files_pattern(&home))
                    .ok_or_else(|| format!("the dot files of {home} were not gathered"))?;
                for dot in dots {
                    let name = dot.path.rsplit('/').next().unwrap_or_default();
                    let forbidden = c.predicate == AccountPredicate::NoForbiddenDotFiles
                        && c.files.iter().any(|f| f == name);
                    let writable = c.predicate == AccountPredicate::DotFilesNotGroupOrWorldWritable
                        && dot.kind == FileKind::File
                        && dot.mode.is_some_and(|mode| mode & 0o022 != 0);
                    if forbidden {
                        offenders.push(format!("{}: {} exists", entry.name, dot.path));
                    }
                    if writable {
                        let mode = dot.mode.unwrap_or_default();
                        offenders.push(format!("{}: {} has mode {mode:04o}", entry.name, dot.path));
                    }
                }
            }
            _ => {}
        }
    }
    Ok((offenders, format!("{checked} interactive users checked")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_kinds_never_carry_the_field() {
        assert_eq!(password_kind(""), "empty");
        assert_eq!(password_kind("!$6$salt$hash"), "locked");
        assert_eq!(password_kind("*"), "locked");
        assert_eq!(password_kind("$y$j9T$salt$hash"), "hashed");
        assert_eq!(password_kind("abcdefghijklm"), "hashed");
        assert_eq!(password_kind("plaintext"), "not a hash");
    }

    #[test]
    fn uid_min_reads_the_last_setting_and_defaults() {
        assert_eq!(
            uid_min(Some("# UID_MIN 5\nUID_MIN\t\t 500\nUID_MIN 600\n")),
            600
        );
        assert_eq!(uid_min(Some("UID_MIN x\n")), DEFAULT_UID_MIN);
        assert_eq!(uid_min(None), DEFAULT_UID_MIN);
    }

    #[test]
    fn login_shells_follow_etc_shells() {
        let listed = shells(Some(
            "# /etc/shells\n/bin/sh\n/bin/bash\n/usr/sbin/nologin\n",
        ));
        assert!(listed.is_login("/bin/bash"));
        assert!(!listed.is_login("/usr/sbin/nologin"));
        assert!(!listed.is_login("/bin/sync"));
        let fallback = shells(None);
        assert!(fallback.is_login("/bin/zsh"));
        assert!(!fallback.is_login("/bin/false"));
        assert!(!fallback.is_login(""));
    }
}
