//! The probe plan: every fact a rule set needs from one host, deduplicated.
//!
//! The plan is fixed before anything runs, so one round trip gathers it all: facts for every
//! implementation and platform are requested, and evaluation picks what applies afterwards.
//! The one exception is commands: each carries the platform families of the rules that need
//! it, and a host whose os-release names none of them skips it (see `families`).

use super::sources::*;
use crate::rules::{
    AccountPredicate, Capability, Check, ConfigValueCheck, Includes, ModuleState, Platform,
    RuleSet, When,
};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ProbePlan {
    /// Scanning a directory tree: nothing that needs a running system is requested.
    pub offline: bool,
    pub files: BTreeSet<String>,
    /// Paths or globs to `lstat`/`stat`.
    pub stats: BTreeSet<String>,
    /// (directory, file-name glob) listings with contents.
    pub dirs: BTreeSet<(String, String)>,
    /// Shell commands to run.
    pub commands: BTreeMap<String, PlannedCommand>,
    pub packages: bool,
    /// Units to ask a running systemd about.
    pub units: BTreeSet<String>,
    /// Stat every home directory /etc/passwd names, and the dot files in it (see `homes`).
    pub homes: bool,
    /// Read the clock (today's date, for password ages).
    pub clock: bool,
    /// List the module files kernels ship under /lib/modules.
    pub kernel_modules: bool,
}

/// One command of a plan.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PlannedCommand {
    pub timeout_ms: u64,
    /// The os-release ID/ID_LIKE words of the platform families whose rules need it; empty
    /// when a rule needs it on every platform.
    pub os_words: BTreeSet<String>,
}

impl ProbePlan {
    pub fn for_rules(rules: &RuleSet, offline: bool) -> Self {
        let mut plan = Self {
            offline,
            ..Self::default()
        };
        plan.add_host_basics();
        for rule in &rules.rules {
            let words: BTreeSet<String> = rule
                .platforms
                .iter()
                .flat_map(|platform| Platform::family_words(&platform.family))
                .map(str::to_owned)
                .collect();
            for check in rule.all_checks() {
                plan.add_check(check, &words);
            }
            for when in rule.implementations.iter().filter_map(|i| i.when.as_ref()) {
                plan.add_when(when);
            }
        }
        plan
    }

    /// How many distinct facts the plan asks for.
    pub fn len(&self) -> usize {
        self.files.len()
            + self.stats.len()
            + self.dirs.len()
            + self.commands.len()
            + usize::from(self.packages)
            + usize::from(!self.units.is_empty())
            + usize::from(self.homes)
            + usize::from(self.clock)
            + usize::from(self.kernel_modules)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn file(&mut self, path: &str) {
        self.files.insert(path.to_owned());
    }

    fn runtime_file(&mut self, path: &str) {
        if !self.offline {
            self.file(path);
        }
    }

    fn stat(&mut self, pattern: &str) {
        self.stats.insert(pattern.to_owned());
    }

    fn dir(&mut self, path: &str, pattern: &str) {
        self.dirs.insert((path.to_owned(), pattern.to_owned()));
    }

    /// Adds a command wanted on hosts with any of `os_words` (all hosts when empty).
    fn command(&mut self, run: &str, timeout_ms: u64, os_words: &BTreeSet<String>) {
        if self.offline {
            return;
        }
        match self.commands.get_mut(run) {
            Some(planned) => {
                planned.timeout_ms = planned.timeout_ms.max(timeout_ms);
                if planned.os_words.is_empty() || os_words.is_empty() {
                    planned.os_words.clear();
                } else {
                    planned.os_words.extend(os_words.iter().cloned());
                }
            }
            None => {
                let planned = PlannedCommand {
                    timeout_ms,
                    os_words: os_words.clone(),
                };
                self.commands.insert(run.to_owned(), planned);
            }
        }
    }

    /// Platform and capability facts, needed by every scan.
    fn add_host_basics(&mut self) {
        OS_RELEASE.iter().for_each(|path| self.file(path));
        self.file(SSHD_CONFIG);
        self.file(MACHINE_ID);
        for (_, markers) in CAPABILITY_MARKERS {
            markers.iter().for_each(|path| self.stat(path));
        }
        if !self.offline {
            self.stat(SYSTEMD_RUNNING);
        }
        // `sssd`: a unit file systemd would list, in any unit directory.
        unit_file_paths(SSSD_UNIT).iter().for_each(|p| self.stat(p));
    }

    /// Facts for the capabilities a `when:` names that need more than a marker path. They are
    /// gathered only for rule sets that ask: live they mean a `systemctl show`, and sssd.conf
    /// may hold a bind password, so no scan reads it without a reason.
    fn add_when(&mut self, when: &When) {
        match when {
            When::All(items) | When::Any(items) => items.iter().for_each(|w| self.add_when(w)),
            When::Has(Capability::NftablesActive) => self.unit_running(NFTABLES_UNIT),
            When::Has(Capability::RsyslogActive) => self.unit_running(RSYSLOG_UNIT),
            When::Has(Capability::SssdConfigured) => {
                self.sssd_config();
                self.live_unit(SSSD_UNIT);
            }
            When::Has(Capability::DirectoryJoined) => {
                self.file(NSSWITCH_CONF);
                self.sssd_config();
                self.live_unit(SSSD_UNIT);
                self.live_unit(NSLCD_UNIT);
            }
            When::Has(_) => {}
        }
    }

    /// Whether a unit runs: systemd's answer live; offline, its enablement and mask links.
    fn unit_running(&mut self, unit: &str) {
        if self.offline {
            unit_enable_links(unit).iter().for_each(|p| self.stat(p));
            self.stat(&unit_mask_link(unit));
        } else {
            self.live_unit(unit);
        }
    }

    /// A unit's live state, asked of a running systemd; nothing offline.
    fn live_unit(&mut self, unit: &str) {
        if !self.offline {
            self.units.insert(unit.to_owned());
        }
    }

    fn sssd_config(&mut self) {
        self.file(SSSD_CONF);
        self.dir(SSSD_CONF_DIR, SSSD_CONF_PATTERN);
    }

    fn add_check(&mut self, check: &Check, os_words: &BTreeSet<String>) {
        let default_timeout = crate::defaults::COMMAND_TIMEOUT_MS;
        match check {
            Check::Command(command) => self.command(&command.run, command.timeout_ms, os_words),
            Check::FileExists { path } | Check::FileAbsent { path } => self.stat(path),
            Check::FilePermission(check) => {
                // Both name lists, even for a check of one of them: evidence shows names.
                self.stat(&check.path);
                self.file(PASSWD);
                self.file(GROUP);
            }
            Check::FileContent { path, .. } => self.file(path),
            Check::FileContentMatch { path, includes, .. } => {
                self.file(path);
                if let Some(Includes::Sudo) = includes {
                    // The one include directory gathered up front: sudo's own `FILE.d`.
                    self.dir(&sudo_include_dir(path), SUDO_DIR_PATTERN);
                }
            }
            Check::ConfigValue(ConfigValueCheck {
                paths,
                dropins: Some(dropins),
                scan_pattern,
                ..
            }) => {
                paths.iter().for_each(|path| self.file(path));
                for dir in &dropins.dirs {
                    self.dir(dir, scan_pattern);
                }
            }
            Check::ConfigValue(check) => {
                // Whether a path is a file or a directory is only known on the host.
                for path in &check.paths {
                    self.file(path);
                    self.dir(path, &check.scan_pattern);
                }
            }
            Check::ConfigLine(check) => {
                for path in &check.paths {
                    self.file(path);
                    self.dir(path, &check.scan_pattern);
                }
            }
            Check::Accounts(check) => {
                ACCOUNT_FILES.iter().for_each(|path| self.file(path));
                self.homes |= check.predicate.needs_homes();
                self.clock |= check.predicate == AccountPredicate::ShadowLastChangePast;
            }
            Check::SshdEffectiveConfig { .. } => self.command(SSHD_T, default_timeout, os_words),
            Check::SysctlValue { key, persisted, .. } => {
                self.runtime_file(&sysctl_proc_path(key));
                if *persisted {
                    SYSCTL_DIRS.iter().for_each(|dir| self.dir(dir, "*.conf"));
                    self.file(SYSCTL_CONF);
                }
            }
            Check::PackageState { .. } => self.packages = true,
            Check::ServiceState(check) => {
                for link in unit_enable_links(&check.unit) {
                    self.stat(&link);
                }
                self.stat(&unit_mask_link(&check.unit));
                if check.installed.is_some() {
                    unit_file_paths(&check.unit)
                        .iter()
                        .for_each(|p| self.stat(p));
                }
                if let Some(target) = &check.wanted_by {
                    for link in unit_wants_links(target, &check.unit) {
                        self.stat(&link);
                    }
                }
                if !self.offline {
                    self.units.insert(check.unit.clone());
                }
            }
            Check::KernelModuleState {
                state,
                unshipped_passes,
                ..
            } => {
                MODPROBE_DIRS.iter().for_each(|dir| self.dir(dir, "*.conf"));
                self.file(MODPROBE_CONF);
                self.kernel_modules |= *state == ModuleState::NotLoadable
                    || (*unshipped_passes && *state == ModuleState::Disabled);
                self.runtime_file(PROC_MODULES);
            }
            Check::MountOption(_) => {
                self.file(FSTAB);
                self.runtime_file(PROC_MOUNTS);
            }
            Check::GrubParameter { .. } => {
                GRUB_CFGS.iter().for_each(|path| self.file(path));
                self.dir(BLS_ENTRIES, "*.conf");
                self.file(KERNEL_CMDLINE);
                self.file(DEFAULT_GRUB);
                self.runtime_file(PROC_CMDLINE);
            }
            Check::AuditRuleExists(_) => {
                self.dir(AUDIT_RULES_DIR, "*.rules");
                self.command(AUDITCTL_LIST, default_timeout, os_words);
            }
            Check::SetCompare {
                observed_command,
                timeout_ms,
                ..
            } => self.command(observed_command, *timeout_ms, os_words),
            Check::SystemdTarget { .. } => {
                DEFAULT_TARGET_LINKS.iter().for_each(|path| self.stat(path));
                self.command(SYSTEMCTL_GET_DEFAULT, default_timeout, os_words);
            }
            Check::SelinuxState { .. } => {
                self.file(SELINUX_CONFIG);
                self.runtime_file(SELINUX_ENFORCE);
            }
            Check::ApparmorState { .. } => self.runtime_file(APPARMOR_ENABLED),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{RuleSource, load};

    fn plan(when: &str, offline: bool) -> ProbePlan {
        let text = format!(
            "id: r\ntitle: t\nseverity: low\nimplementations:\n  \
             - {{ when: {when}, check: {{ method: file_exists, path: /a }} }}\n  \
             - {{ default: true, check: {{ method: file_exists, path: /b }} }}\n"
        );
        let sources = [RuleSource {
            name: "r.yml".into(),
            text,
        }];
        ProbePlan::for_rules(&load(&sources, &BTreeMap::new()).unwrap(), offline)
    }

    #[test]
    fn capability_facts_beyond_markers_are_gathered_only_when_a_rule_names_them() {
        let basic = plan("apt", false);
        assert!(basic.units.is_empty());
        assert!(!basic.files.contains(SSSD_CONF) && !basic.files.contains(NSSWITCH_CONF));
        // Marker stats are gathered for every scan, as for the older capabilities.
        assert!(basic.stats.contains("/etc/security/faillock.conf"));
        assert!(basic.stats.contains("/usr/lib/systemd/system/sssd.service"));

        let joined = plan("directory_joined", false);
        assert!(joined.files.contains(NSSWITCH_CONF) && joined.files.contains(SSSD_CONF));
        assert!(
            joined
                .dirs
                .contains(&(SSSD_CONF_DIR.into(), SSSD_CONF_PATTERN.into()))
        );
        let units: Vec<_> = joined.units.iter().map(String::as_str).collect();
        assert_eq!(units, [NSLCD_UNIT, SSSD_UNIT]);
        // Offline the same files, but no systemd to ask.
        let joined = plan("directory_joined", true);
        assert!(joined.files.contains(SSSD_CONF) && joined.units.is_empty());

        let live = plan("rsyslog_active", false);
        assert!(live.units.contains(RSYSLOG_UNIT));
        assert!(!live.stats.contains(&unit_mask_link(RSYSLOG_UNIT)));
        let offline = plan("rsyslog_active", true);
        assert!(offline.units.is_empty());
        assert!(offline.stats.contains(&unit_mask_link(RSYSLOG_UNIT)));
        for link in unit_enable_links(RSYSLOG_UNIT) {
            assert!(offline.stats.contains(&link));
        }
    }
}
