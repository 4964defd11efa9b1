//! The probe plan: every fact a rule set needs from one host, deduplicated.
//!
//! The plan is fixed before anything runs, so one round trip gathers it all: facts for every
//! implementation and platform are requested, and evaluation picks what applies afterwards.

use super::sources::*;
use crate::rules::{Check, RuleSet};
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
    /// Shell commands and their timeout in milliseconds.
    pub commands: BTreeMap<String, u64>,
    pub packages: bool,
    /// Units to ask a running systemd about.
    pub units: BTreeSet<String>,
}

impl ProbePlan {
    pub fn for_rules(rules: &RuleSet, offline: bool) -> Self {
        let mut plan = Self {
            offline,
            ..Self::default()
        };
        plan.add_host_basics();
        for rule in &rules.rules {
            for check in rule.all_checks() {
                plan.add_check(check);
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

    fn command(&mut self, run: &str, timeout_ms: u64) {
        if !self.offline {
            let slot = self.commands.entry(run.to_owned()).or_insert(timeout_ms);
            *slot = (*slot).max(timeout_ms);
        }
    }

    /// Platform and capability facts, needed by every scan.
    fn add_host_basics(&mut self) {
        OS_RELEASE.iter().for_each(|path| self.file(path));
        self.file(SSHD_CONFIG);
        for (_, markers) in CAPABILITY_MARKERS {
            markers.iter().for_each(|path| self.stat(path));
        }
        if !self.offline {
            self.stat(SYSTEMD_RUNNING);
        }
    }

    fn add_check(&mut self, check: &Check) {
        let default_timeout = crate::rules::DEFAULT_COMMAND_TIMEOUT_MS;
        match check {
            Check::Command(command) => self.command(&command.run, command.timeout_ms),
            Check::FileExists { path } | Check::FileAbsent { path } => self.stat(path),
            Check::FilePermission(check) => {
                self.stat(&check.path);
                if check.owner.is_some() {
                    self.file(PASSWD);
                }
                if check.group.is_some() {
                    self.file(GROUP);
                }
            }
            Check::FileContent { path, .. } | Check::FileContentMatch { path, .. } => {
                self.file(path)
            }
            Check::ConfigValue(check) => {
                // Whether a path is a file or a directory is only known on the host.
                for path in &check.paths {
                    self.file(path);
                    self.dir(path, &check.scan_pattern);
                }
            }
            Check::SshdEffectiveConfig { .. } => self.command(SSHD_T, default_timeout),
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
                if !self.offline {
                    self.units.insert(check.unit.clone());
                }
            }
            Check::KernelModuleState { .. } => {
                MODPROBE_DIRS.iter().for_each(|dir| self.dir(dir, "*.conf"));
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
                self.command(AUDITCTL_LIST, default_timeout);
            }
            Check::SetCompare {
                observed_command,
                timeout_ms,
                ..
            } => self.command(observed_command, *timeout_ms),
            Check::SystemdTarget { .. } => {
                DEFAULT_TARGET_LINKS.iter().for_each(|path| self.stat(path));
                self.command(SYSTEMCTL_GET_DEFAULT, default_timeout);
            }
            Check::SelinuxState { .. } => {
                self.file(SELINUX_CONFIG);
                self.runtime_file(SELINUX_ENFORCE);
            }
            Check::ApparmorState { .. } => self.runtime_file(APPARMOR_ENABLED),
        }
    }
}
