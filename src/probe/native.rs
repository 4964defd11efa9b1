//! The native executor: gathers a plan's facts on this machine (or under `--root`) in Rust.

use super::command::run_shell;
use super::facts::*;
use super::families;
use super::homes;
use super::packages;
use super::paths::{
    NameMatcher, OpenError, denied_on_the_way, expand, host_path, host_path_nofollow, may_access,
    open_regular,
};
use super::plan::ProbePlan;
use super::sources::*;
use super::timings::Timings;
use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::thread;
use std::time::Instant;

/// Gathers every fact in `plan`. File facts are read under `root` ("/" for the live system).
pub fn gather(plan: &ProbePlan, root: &Path) -> (Facts, Timings) {
    let mut timings = Timings::default();
    let started = Instant::now();
    // Commands are the slow part: run them all at once while files are read.
    let gated = plan.commands.values().any(|c| !c.os_words.is_empty());
    let os_words = if gated {
        families::host_words(root)
    } else {
        None
    };
    let commands: Vec<_> = plan
        .commands
        .iter()
        .filter(|(_, planned)| families::needed(&planned.os_words, os_words.as_ref()))
        .map(|(run, planned)| {
            let (run, timeout) = (run.clone(), planned.timeout_ms);
            thread::spawn(move || {
                let fact = run_shell(&run, timeout);
                (run, fact)
            })
        })
        .collect();
    let units_thread = (!plan.offline && !plan.units.is_empty()).then(|| {
        let units = plan.units.clone();
        let root = root.to_owned();
        thread::spawn(move || gather_units(&units, &root))
    });

    let mut facts = Facts {
        offline: plan.offline,
        ..Facts::default()
    };
    let mark = Instant::now();
    for path in &plan.files {
        facts.files.insert(path.clone(), read_file(root, path));
    }
    timings.add("files", mark.elapsed());
    let mark = Instant::now();
    for pattern in &plan.stats {
        facts
            .stats
            .insert(pattern.clone(), stat_glob(root, pattern));
        if let Some(dir) = denied_on_the_way(root, pattern) {
            facts.stat_denied.insert(pattern.clone(), dir);
        }
    }
    if plan.homes {
        gather_homes(root, &mut facts);
    }
    if plan.clock {
        facts.epoch_day = epoch_day();
    }
    if plan.kernel_modules {
        facts.kernel_modules = kernel_module_files(root);
    }
    timings.add("stats", mark.elapsed());
    let mark = Instant::now();
    for (dir, pattern) in &plan.dirs {
        facts
            .dirs
            .entry(dir.clone())
            .or_default()
            .insert(pattern.clone(), read_dir(root, dir, pattern));
    }
    timings.add("dirs", mark.elapsed());
    if plan.packages {
        let mark = Instant::now();
        facts.packages = Some(gather_packages(root, plan.offline));
        timings.add("packages", mark.elapsed());
    }
    let mark = Instant::now();
    for handle in commands {
        if let Ok((run, fact)) = handle.join() {
            facts.commands.insert(run, fact);
        }
    }
    if let Some(handle) = units_thread {
        facts.units = handle.join().ok();
    }
    timings.add("commands (waiting)", mark.elapsed());
    timings.add("total", started.elapsed());
    (facts, timings)
}

/// A file's content, read under `root`: never anything but a regular file, never past the cap.
pub fn read_file(root: &Path, target: &str) -> FileFact {
    let (file, meta) = match open_regular(root, target) {
        Ok(opened) => opened,
        Err(OpenError::Missing) => return FileFact::Missing,
        Err(OpenError::TooManyLinks) => return FileFact::TooManyLinks,
        Err(OpenError::NotRegular | OpenError::Io(_)) => return FileFact::Unreadable,
    };
    if meta.len() > MAX_FILE_BYTES {
        return FileFact::TooLarge { size: meta.len() };
    }
    // /proc files report size 0, so read to the cap rather than trusting the length.
    let mut bytes = Vec::new();
    match file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes) {
        Ok(_) if bytes.len() as u64 > MAX_FILE_BYTES => FileFact::TooLarge {
            size: bytes.len() as u64,
        },
        Ok(_) => FileFact::from_bytes(&bytes),
        Err(_) => FileFact::Unreadable,
    }
}

/// Stats each home directory passwd names, and the dot files in it, keyed like any stat.
fn gather_homes(root: &Path, facts: &mut Facts) {
    let passwd = read_file(root, PASSWD);
    for home in homes::homes_to_stat(passwd.text().unwrap_or_default()) {
        let dots = homes::dot_files_pattern(&home);
        let entries = stat_glob(root, &dots);
        facts.stats.insert(dots, entries);
        let entries = stat_glob(root, &home);
        facts.stats.insert(home, entries);
    }
}

/// Module names of the files under /lib/modules (symlinks inside it are not followed, as
/// `find` does not); `None` when it is missing or a directory cannot be read.
fn kernel_module_files(root: &Path) -> Option<std::collections::BTreeSet<String>> {
    let top = host_path(root, KERNEL_MODULES).ok()?;
    if !fs::metadata(&top).ok()?.is_dir() {
        return None;
    }
    let mut names = std::collections::BTreeSet::new();
    let mut pending = vec![top.clone()];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).ok()? {
            let entry = entry.ok()?;
            let kind = entry.file_type().ok()?;
            if kind.is_dir() {
                pending.push(entry.path());
            } else if kind.is_file() {
                let name = entry.file_name();
                if let Some(module) = name.to_str().and_then(module_name_of_file) {
                    names.insert(module);
                    if names.len() > MAX_MODULE_NAMES {
                        return None;
                    }
                }
            }
        }
    }
    // A module built into a kernel is shipped too (modprobe knows it), though no file holds it.
    for kernel in fs::read_dir(&top).ok()? {
        let builtin = kernel.ok()?.path().join(MODULES_BUILTIN);
        let is_file = fs::symlink_metadata(&builtin).is_ok_and(|meta| meta.is_file());
        let text = is_file
            .then(|| crate::bounded_read::read_regular(&builtin, MAX_FILE_BYTES).ok())
            .flatten();
        if let Some(text) = text {
            names.extend(
                String::from_utf8_lossy(&text)
                    .lines()
                    .filter_map(|path| path.rsplit('/').next())
                    .filter_map(module_name_of_file),
            );
        }
    }
    (names.len() <= MAX_MODULE_NAMES).then_some(names)
}

/// Today by this machine's clock, as days since 1970-01-01.
pub fn epoch_day() -> Option<i64> {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs();
    i64::try_from(seconds / 86_400).ok()
}

pub fn stat_glob(root: &Path, pattern: &str) -> Vec<StatEntry> {
    expand(root, pattern)
        .into_iter()
        .filter_map(|target| stat_one(root, &target))
        .collect()
}

fn stat_one(root: &Path, target: &str) -> Option<StatEntry> {
    let path = host_path_nofollow(root, target).ok()?;
    let link = fs::symlink_metadata(&path).ok()?;
    let file_type = link.file_type();
    let kind = if file_type.is_symlink() {
        FileKind::Symlink
    } else if file_type.is_dir() {
        FileKind::Dir
    } else if file_type.is_file() {
        FileKind::File
    } else {
        FileKind::Other
    };
    let link_target = file_type
        .is_symlink()
        .then(|| fs::read_link(&path).ok())
        .flatten()
        .map(|target| target.to_string_lossy().into_owned());
    let resolved = host_path(root, target)
        .ok()
        .and_then(|path| fs::metadata(path).ok());
    Some(StatEntry {
        path: target.to_owned(),
        kind,
        link_target,
        mode: resolved.as_ref().map(|m| m.permissions().mode() & 0o7777),
        uid: resolved.as_ref().map(MetadataExt::uid),
        gid: resolved.as_ref().map(MetadataExt::gid),
    })
}

pub fn read_dir(root: &Path, dir: &str, pattern: &str) -> DirFact {
    let Ok(path) = host_path(root, dir) else {
        return DirFact::Missing;
    };
    match fs::metadata(&path) {
        Ok(meta) if meta.is_dir() => {}
        // A directory on the way that this user may not search hides whether it is there.
        Err(err) if err.kind() == std::io::ErrorKind::PermissionDenied => {
            return DirFact::Unreadable;
        }
        _ => return DirFact::Missing,
    }
    // Without both, names cannot be listed or their files not reached: never an empty list.
    if !may_access(&path, libc::R_OK | libc::X_OK) {
        return DirFact::Unreadable;
    }
    let Some(matcher) = NameMatcher::new(pattern) else {
        return DirFact::Entries {
            entries: Vec::new(),
        };
    };
    let Ok(entries) = fs::read_dir(&path) else {
        return DirFact::Unreadable;
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter(|name| matcher.is_match(name))
        .filter(|name| {
            // An entry whose links go past the hop limit is listed, so its error reaches the rule.
            let target = format!("{}/{name}", dir.trim_end_matches('/'));
            host_path(root, &target).map_or(true, |path| {
                fs::metadata(path).is_ok_and(|meta| meta.is_file())
            })
        })
        .collect();
    names.sort();
    let entries = names
        .into_iter()
        .map(|name| {
            let target = format!("{}/{name}", dir.trim_end_matches('/'));
            DirEntryFact {
                content: read_file(root, &target),
                name,
            }
        })
        .collect();
    DirFact::Entries { entries }
}

fn gather_packages(root: &Path, offline: bool) -> PackagesFact {
    let mut fact = PackagesFact::default();
    match read_database(root, DPKG_STATUS) {
        Database::Text(content) => fact.sources.push(PackageSource {
            manager: PackageManager::Dpkg,
            origin: DPKG_STATUS.into(),
            installed: packages::parse_dpkg_status(&content),
        }),
        Database::Refused(why) => fact.errors.push(why.message(DPKG_STATUS)),
        Database::Absent => {}
    }
    let is_file = |target: &str| host_path(root, target).is_ok_and(|path| path.is_file());
    let rpmdb = RPMDB_SQLITE.iter().find(|db| is_file(db));
    let rpmdb_path = rpmdb.and_then(|db| host_path(root, db).ok().map(|path| (db, path)));
    if let Some((db, path)) = rpmdb_path {
        // sqlite opens the path itself: a tree changed since resolution could redirect it.
        match packages::read_rpmdb_sqlite(&path, db) {
            Ok(installed) => fact.sources.push(PackageSource {
                manager: PackageManager::Rpm,
                origin: (*db).into(),
                installed,
            }),
            Err(err) => fact.errors.push(err),
        }
    } else if !offline && ["/usr/bin/rpm", "/bin/rpm"].iter().any(|rpm| is_file(rpm)) {
        match run_shell(RPM_QUERY_ALL, crate::defaults::COMMAND_TIMEOUT_MS) {
            CommandFact::Ran {
                exit_code: 0,
                stdout,
                ..
            } => fact.sources.push(PackageSource {
                manager: PackageManager::Rpm,
                origin: RPM_QUERY_ALL.into(),
                installed: packages::parse_name_lines(&stdout),
            }),
            other => fact.errors.push(format!("{RPM_QUERY_ALL}: {other:?}")),
        }
    }
    match read_database(root, APK_INSTALLED) {
        Database::Text(content) => fact.sources.push(PackageSource {
            manager: PackageManager::Apk,
            origin: APK_INSTALLED.into(),
            installed: packages::parse_apk_installed(&content),
        }),
        Database::Refused(why) => fact.errors.push(why.message(APK_INSTALLED)),
        Database::Absent => {}
    }
    fact
}

enum Database {
    /// No readable regular file there: the host does not use that manager.
    Absent,
    Refused(DatabaseRefusal),
    Text(String),
}

/// A package database as text, whole up to its own cap (they outgrow the per-file fact cap on
/// big hosts); over the cap it is refused, never cut short.
fn read_database(root: &Path, target: &str) -> Database {
    let (file, meta) = match open_regular(root, target) {
        Ok(opened) => opened,
        Err(OpenError::TooManyLinks) => return Database::Refused(DatabaseRefusal::TooManyLinks),
        Err(OpenError::Missing | OpenError::NotRegular | OpenError::Io(_)) => {
            return Database::Absent;
        }
    };
    let too_large = |size| Database::Refused(DatabaseRefusal::TooLarge { size });
    if meta.len() > MAX_PACKAGE_DB_BYTES {
        return too_large(meta.len());
    }
    let mut bytes = Vec::new();
    match file.take(MAX_PACKAGE_DB_BYTES + 1).read_to_end(&mut bytes) {
        Ok(_) if bytes.len() as u64 > MAX_PACKAGE_DB_BYTES => too_large(bytes.len() as u64),
        Ok(_) => Database::Text(String::from_utf8_lossy(&bytes).into_owned()),
        Err(_) => Database::Absent,
    }
}

fn gather_units(units: &std::collections::BTreeSet<String>, root: &Path) -> UnitsFact {
    if !host_path(root, SYSTEMD_RUNNING).is_ok_and(|path| path.is_dir()) {
        return UnitsFact::NotRunning;
    }
    UnitsFact::Ran {
        output: run_shell(&units_command(units), crate::defaults::COMMAND_TIMEOUT_MS),
    }
}

/// Parses `systemctl show` output (blank-line separated blocks) into unit → property → value.
pub fn parse_systemctl_show(text: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut units = BTreeMap::new();
    for block in text.split("\n\n") {
        let properties: BTreeMap<String, String> = block
            .lines()
            .filter_map(|line| line.split_once('='))
            .map(|(key, value)| (key.to_owned(), value.to_owned()))
            .collect();
        // An alias (sshd.service for ssh.service) is answered under every name it has.
        let names = properties
            .get("Names")
            .map(|n| n.split_whitespace().map(str::to_owned).collect::<Vec<_>>());
        let id = properties.get("Id").cloned();
        for name in names.into_iter().flatten().chain(id) {
            units.insert(name, properties.clone());
        }
    }
    units
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn systemctl_show_answers_aliases_too() {
        let text = "Id=ssh.service\nNames=ssh.service sshd.service\nActiveState=active\n\nId=cups.service\nNames=cups.service\nActiveState=inactive\n";
        let units = parse_systemctl_show(text);
        assert_eq!(units["sshd.service"]["ActiveState"], "active");
        assert_eq!(units["ssh.service"]["Id"], "ssh.service");
        assert_eq!(units["cups.service"]["ActiveState"], "inactive");
    }
}
