//! The validated rule model: what evaluation consumes.

use regex::Regex;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 4] = [Self::Low, Self::Medium, Self::High, Self::Critical];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }
}

impl std::str::FromStr for Severity {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|severity| severity.as_str() == text)
            .ok_or_else(|| format!("unknown severity {text:?}"))
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Cheap host facts that pick an implementation (`when:`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    Apt,
    Dnf,
    Yum,
    Rpm,
    Dpkg,
    Systemd,
    Sshd,
    SshdConfigD,
    Auditd,
    Selinux,
    Apparmor,
    Grub2,
    Firewalld,
    Ufw,
    Nftables,
    Gdm,
    Authselect,
    NftablesActive,
    DirectoryJoined,
    Sssd,
    SssdConfigured,
    RsyslogActive,
    PamFaillock,
}

impl Capability {
    pub const ALL: [Capability; 23] = [
        Self::Apt,
        Self::Dnf,
        Self::Yum,
        Self::Rpm,
        Self::Dpkg,
        Self::Systemd,
        Self::Sshd,
        Self::SshdConfigD,
        Self::Auditd,
        Self::Selinux,
        Self::Apparmor,
        Self::Grub2,
        Self::Firewalld,
        Self::Ufw,
        Self::Nftables,
        Self::Gdm,
        Self::Authselect,
        Self::NftablesActive,
        Self::DirectoryJoined,
        Self::Sssd,
        Self::SssdConfigured,
        Self::RsyslogActive,
        Self::PamFaillock,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Apt => "apt",
            Self::Dnf => "dnf",
            Self::Yum => "yum",
            Self::Rpm => "rpm",
            Self::Dpkg => "dpkg",
            Self::Systemd => "systemd",
            Self::Sshd => "sshd",
            Self::SshdConfigD => "sshd_config_d",
            Self::Auditd => "auditd",
            Self::Selinux => "selinux",
            Self::Apparmor => "apparmor",
            Self::Grub2 => "grub2",
            Self::Firewalld => "firewalld",
            Self::Ufw => "ufw",
            Self::Nftables => "nftables",
            Self::Gdm => "gdm",
            Self::Authselect => "authselect",
            Self::NftablesActive => "nftables_active",
            Self::DirectoryJoined => "directory_joined",
            Self::Sssd => "sssd",
            Self::SssdConfigured => "sssd_configured",
            Self::RsyslogActive => "rsyslog_active",
            Self::PamFaillock => "pam_faillock",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

/// A `when:` expression: a capability, or all/any of several.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum When {
    Has(Capability),
    All(Vec<When>),
    Any(Vec<When>),
}

impl When {
    /// Whether the host's capabilities satisfy the expression.
    pub fn holds(&self, has: &impl Fn(Capability) -> bool) -> bool {
        match self {
            Self::Has(capability) => has(*capability),
            Self::All(items) => items.iter().all(|item| item.holds(has)),
            Self::Any(items) => items.iter().any(|item| item.holds(has)),
        }
    }
}

impl fmt::Display for When {
    /// `sshd`, `all(authselect, sssd)`, `any(apt, dnf)`: how results name the implementation.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (name, items) = match self {
            Self::Has(capability) => return f.write_str(capability.as_str()),
            Self::All(items) => ("all", items),
            Self::Any(items) => ("any", items),
        };
        write!(f, "{name}(")?;
        for (index, item) in items.iter().enumerate() {
            if index > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{item}")?;
        }
        f.write_str(")")
    }
}

/// The rule format a file was read in; each file has one, and its rules keep that meaning.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    #[default]
    Plumb,
    Kensa,
}

impl Dialect {
    pub const ALL: [Dialect; 2] = [Self::Plumb, Self::Kensa];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Plumb => "plumb",
            Self::Kensa => "kensa",
        }
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One platform a rule applies to, matched against /etc/os-release.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Platform {
    pub family: String,
    pub min_version: Option<String>,
    pub max_version: Option<String>,
}

/// os-release IDs that belong to the `rhel` family besides `rhel` itself: distributions that
/// keep RHEL's version numbers.
pub const RHEL_REBUILDS: [&str; 4] = ["centos", "rocky", "almalinux", "ol"];

impl Platform {
    /// The os-release ID/ID_LIKE words that can put a host in `family`.
    pub fn family_words(family: &str) -> Vec<&str> {
        let mut words = vec![family];
        if family == "rhel" {
            words.extend(RHEL_REBUILDS);
        }
        words
    }
}

/// A compiled regex shared by every rule that uses the same pattern.
pub type SharedRegex = std::sync::Arc<Regex>;

#[derive(Clone, Debug)]
pub enum Comparator {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// Full match of the actual value.
    Regex(SharedRegex),
    Contains,
}

impl Comparator {
    pub fn symbol(&self) -> &'static str {
        match self {
            Self::Eq => "==",
            Self::Ne => "!=",
            Self::Lt => "<",
            Self::Le => "<=",
            Self::Gt => ">",
            Self::Ge => ">=",
            Self::Regex(_) => "regex",
            Self::Contains => "contains",
        }
    }
}

/// An expected value and how the actual value is compared with it.
#[derive(Clone, Debug)]
pub struct Expectation {
    pub expected: String,
    pub comparator: Comparator,
    /// Compare ignoring ASCII case (Kensa's config_value and sshd_effective_config).
    pub case_insensitive: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Missing {
    Fail,
    Pass,
    Skip,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Occurrence {
    First,
    Last,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delimiter {
    Whitespace,
    Char(char),
}

/// Include syntaxes a file check can follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Includes {
    /// sudoers: `@include`/`#include` files and `@includedir`/`#includedir` directories.
    Sudo,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModuleState {
    Disabled,
    Blacklisted,
    NotLoaded,
    /// `install NAME /bin/false` (or true) and blacklisted, or no kernel ships the module.
    NotLoadable,
}

#[derive(Clone, Debug)]
pub struct CommandCheck {
    pub run: String,
    pub expected_exit: i32,
    pub expected_stdout: Option<String>,
    pub stdout_regex: Option<SharedRegex>,
    pub not_assessable_exit: Option<i32>,
    pub timeout_ms: u64,
    /// Passes only when stdout holds nothing but whitespace.
    pub stdout_empty: bool,
}

#[derive(Clone, Debug)]
pub struct FilePermissionCheck {
    pub path: String,
    /// The maximum permission bits: no bit beyond these may be set.
    pub mode: Option<u32>,
    pub owner: Option<String>,
    pub group: Option<String>,
    pub missing: Missing,
    /// The mode must equal `mode` exactly, not merely stay within it (Kensa).
    pub exact_mode: bool,
    /// Judge a symlink by its target (plumb) or by the link itself (Kensa).
    pub follow_symlinks: bool,
}

#[derive(Clone, Debug)]
pub struct ConfigValueCheck {
    pub paths: Vec<String>,
    pub scan_pattern: String,
    pub key: String,
    pub expectation: Option<Expectation>,
    pub delimiter: Delimiter,
    pub case_insensitive_key: bool,
    pub occurrence: Occurrence,
    pub missing: Missing,
    pub stop_at: Option<SharedRegex>,
    /// Drop-in directories read with the main file (`paths` then holds that one file).
    pub dropins: Option<DropIns>,
    /// Keep quotes around a value instead of stripping one matching pair (Kensa).
    pub keep_quotes: bool,
    /// With `expected: ""`, the key must stand alone on some line (Kensa); lines giving it a
    /// value do not count then, and a bare line never counts for another `expected`. plumb
    /// (false): a key without a delimiter is ignored.
    pub bare_key_is_empty: bool,
}

/// The order in which a tool reads its main file and drop-in directories.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DropInOrder {
    /// The main file, then each directory's files sorted by name.
    Plain,
    /// The main file, then the drop-ins of every directory merged by file name (a name in an
    /// earlier directory hides it in later ones) and sorted by name.
    Systemd,
    /// The main file with each `Include` replaced by the files it names, where it appears.
    Sshd,
}

#[derive(Clone, Debug)]
pub struct DropIns {
    pub order: DropInOrder,
    pub dirs: Vec<String>,
}

/// `config_line`: does some non-comment line of some file match?
#[derive(Clone, Debug)]
pub struct ConfigLineCheck {
    pub paths: Vec<String>,
    pub scan_pattern: String,
    pub pattern: SharedRegex,
    pub expect_match: bool,
}

/// What the `accounts` method asserts about passwd, shadow, group and gshadow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountPredicate {
    UniqueUids,
    UniqueGids,
    UniqueUserNames,
    UniqueGroupNames,
    PasswdGidsExist,
    OnlyRootUid0,
    OnlyRootGid0,
    SystemAccountsNologin,
    SystemAccountsLocked,
    ShadowHashedOrLocked,
    ShadowLastChangePast,
    ShadowMaxDays,
    ShadowMinDays,
    ShadowWarnDays,
    ShadowInactiveDays,
    HomeDirsExist,
    HomeDirsOwned,
    HomeDirsMode,
    DotFilesNotGroupOrWorldWritable,
    NoForbiddenDotFiles,
    GroupEmpty,
}

impl AccountPredicate {
    pub const ALL: [(&'static str, AccountPredicate); 21] = [
        ("unique_uids", Self::UniqueUids),
        ("unique_gids", Self::UniqueGids),
        ("unique_user_names", Self::UniqueUserNames),
        ("unique_group_names", Self::UniqueGroupNames),
        ("passwd_gids_exist", Self::PasswdGidsExist),
        ("only_root_uid0", Self::OnlyRootUid0),
        ("only_root_gid0", Self::OnlyRootGid0),
        ("system_accounts_nologin", Self::SystemAccountsNologin),
        ("system_accounts_locked", Self::SystemAccountsLocked),
        ("shadow_hashed_or_locked", Self::ShadowHashedOrLocked),
        ("shadow_last_change_past", Self::ShadowLastChangePast),
        ("shadow_max_days", Self::ShadowMaxDays),
        ("shadow_min_days", Self::ShadowMinDays),
        ("shadow_warn_days", Self::ShadowWarnDays),
        ("shadow_inactive_days", Self::ShadowInactiveDays),
        ("home_dirs_exist", Self::HomeDirsExist),
        ("home_dirs_owned", Self::HomeDirsOwned),
        ("home_dirs_mode", Self::HomeDirsMode),
        (
            "dot_files_not_group_or_world_writable",
            Self::DotFilesNotGroupOrWorldWritable,
        ),
        ("no_forbidden_dot_files", Self::NoForbiddenDotFiles),
        ("group_empty", Self::GroupEmpty),
    ];

    pub fn as_str(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, p)| *p == self)
            .map_or("", |(name, _)| name)
    }

    /// The shadow field (0-based) a `shadow_*_days` predicate compares, if it is one.
    pub fn shadow_age_field(self) -> Option<usize> {
        match self {
            Self::ShadowMinDays => Some(3),
            Self::ShadowMaxDays => Some(4),
            Self::ShadowWarnDays => Some(5),
            Self::ShadowInactiveDays => Some(6),
            _ => None,
        }
    }

    /// Whether the predicate looks at home directories (so they are stat'ed on the host).
    pub fn needs_homes(self) -> bool {
        matches!(
            self,
            Self::HomeDirsExist
                | Self::HomeDirsOwned
                | Self::HomeDirsMode
                | Self::DotFilesNotGroupOrWorldWritable
                | Self::NoForbiddenDotFiles
        )
    }
}

/// Dot files no interactive user may have, unless a rule names others.
pub const DEFAULT_FORBIDDEN_DOT_FILES: [&str; 3] = [".netrc", ".rhosts", ".forward"];
/// The most a home directory may allow, unless a rule says otherwise.
pub const DEFAULT_HOME_MODE: u32 = 0o750;

#[derive(Clone, Debug)]
pub struct AccountsCheck {
    pub predicate: AccountPredicate,
    /// For the `shadow_*_days` predicates.
    pub expectation: Option<Expectation>,
    /// For `home_dirs_mode`: the maximum permission bits.
    pub mode: u32,
    /// For `no_forbidden_dot_files`.
    pub files: Vec<String>,
    /// For `group_empty`.
    pub group: String,
}

#[derive(Clone, Debug)]
pub struct ServiceStateCheck {
    pub unit: String,
    pub enabled: Option<bool>,
    pub active: Option<bool>,
    pub masked: Option<bool>,
    /// `false`: the unit must not exist at all (systemd: not-found).
    pub installed: Option<bool>,
    /// A target whose `.wants` must hold the unit.
    pub wanted_by: Option<String>,
    /// Kensa's reading of `enabled` against a running systemd: `enabled: true` is also met by
    /// `static` and `generated` units (on by design, no [Install]), and `enabled: false` fails
    /// only on `enabled`/`enabled-runtime` (so `alias` and `indirect` pass it). plumb (false):
    /// enabled means `enabled`, `enabled-runtime` or `alias`, both ways.
    pub static_counts_enabled: bool,
}

#[derive(Clone, Debug)]
pub struct MountOptionCheck {
    pub mount_point: String,
    pub options: Vec<String>,
    pub in_fstab: bool,
    pub missing: Missing,
    /// Only a mount point that is mounted (or listed in fstab) is checked, and then in both.
    pub if_mounted: bool,
}

#[derive(Clone, Debug)]
pub enum AuditMatch {
    Key(String),
    /// A rule text with whitespace normalised.
    Rule(String),
    /// Kensa's reading of a rule text: every line of it (blank and `#` lines aside) must be
    /// among the loaded rules (`auditctl -l`), matched on the fields auditctl keeps (see
    /// `eval::audit_loaded`); the rules.d files are not read.
    Loaded(Vec<String>),
}

/// A leaf check: one method with its validated parameters.
#[derive(Clone, Debug)]
pub enum Check {
    Command(CommandCheck),
    FileExists {
        path: String,
    },
    FileAbsent {
        path: String,
    },
    FilePermission(FilePermissionCheck),
    FileContent {
        path: String,
        needle: String,
        present: bool,
        /// Kensa's `grep -F` reading: each line of `needle` is a literal, and the file has it
        /// when some line of it contains any of them (an empty one, as a trailing newline
        /// leaves, matches every line). plumb (false): `needle` is one substring of the text.
        any_line: bool,
    },
    FileContentMatch {
        path: String,
        pattern: SharedRegex,
        expect_match: bool,
        /// Also read the files `path` includes, as the tool that owns it does.
        includes: Option<Includes>,
    },
    ConfigValue(ConfigValueCheck),
    ConfigLine(ConfigLineCheck),
    Accounts(AccountsCheck),
    SshdEffectiveConfig {
        key: String,
        expectation: Expectation,
        /// Compare only the first value of a key `sshd -T` prints more than once (Kensa),
        /// not all of them joined by spaces (plumb).
        first_wins: bool,
        /// A failing `sshd -T` is a `fail` (Kensa), not an `error` (plumb).
        failure_fails: bool,
    },
    SysctlValue {
        key: String,
        expectation: Expectation,
        persisted: bool,
    },
    PackageState {
        name: String,
        present: bool,
    },
    ServiceState(ServiceStateCheck),
    KernelModuleState {
        name: String,
        state: ModuleState,
        /// `disabled` passes for a module no installed kernel ships (Kensa: modprobe finds
        /// nothing to load); `blacklisted` still needs its line, as in Kensa.
        unshipped_passes: bool,
    },
    MountOption(MountOptionCheck),
    GrubParameter {
        name: String,
        value: Option<String>,
        present: bool,
        /// Kensa's reading (with `present`): the running command line has `name=value` (or a
        /// bare `name` when the value is 1), and some `GRUB_CMDLINE_LINUX` line of
        /// /etc/default/grub mentions `name`. plumb (false): every boot entry (grub.cfg, BLS,
        /// /etc/kernel/cmdline) and the running command line carry it.
        default_grub_only: bool,
    },
    AuditRuleExists(AuditMatch),
    SetCompare {
        observed_command: String,
        authorized: Vec<String>,
        /// Splits an observed line into names that all stand for one member (Kensa).
        alias_separator: Option<String>,
        equal: bool,
        /// An empty `authorized` list is `skipped` (not_assessable): nobody has declared what
        /// is allowed (Kensa). plumb: every observed member is then unexpected.
        empty_authorized_skips: bool,
        timeout_ms: u64,
    },
    SystemdTarget {
        expected: String,
        /// `false`: passes when the default target is anything but `expected`.
        equal: bool,
    },
    SelinuxState {
        expected: String,
        /// Only the running state counts, as `getenforce` reports it (Kensa). plumb (false):
        /// /etc/selinux/config must say the same.
        running_only: bool,
    },
    ApparmorState {
        expected: String,
    },
}

impl Check {
    pub fn method(&self) -> &'static str {
        match self {
            Self::Command(_) => "command",
            Self::FileExists { .. } => "file_exists",
            Self::FileAbsent { .. } => "file_absent",
            Self::FilePermission(_) => "file_permission",
            Self::FileContent { .. } => "file_content",
            Self::FileContentMatch { .. } => "file_content_match",
            Self::ConfigValue(_) => "config_value",
            Self::ConfigLine(_) => "config_line",
            Self::Accounts(_) => "accounts",
            Self::SshdEffectiveConfig { .. } => "sshd_effective_config",
            Self::SysctlValue { .. } => "sysctl_value",
            Self::PackageState { .. } => "package_state",
            Self::ServiceState(_) => "service_state",
            Self::KernelModuleState { .. } => "kernel_module_state",
            Self::MountOption(_) => "mount_option",
            Self::GrubParameter { .. } => "grub_parameter",
            Self::AuditRuleExists(_) => "audit_rule_exists",
            Self::SetCompare { .. } => "set_compare",
            Self::SystemdTarget { .. } => "systemd_target",
            Self::SelinuxState { .. } => "selinux_state",
            Self::ApparmorState { .. } => "apparmor_state",
        }
    }
}

/// A check, or an AND/OR combination of checks.
#[derive(Clone, Debug)]
pub enum CheckExpr {
    Leaf(Box<Check>),
    All(Vec<CheckExpr>),
    Any(Vec<CheckExpr>),
}

impl CheckExpr {
    /// Every leaf check, in order.
    pub fn leaves(&self) -> Vec<&Check> {
        let mut out = Vec::new();
        self.collect_leaves(&mut out);
        out
    }

    fn collect_leaves<'a>(&'a self, out: &mut Vec<&'a Check>) {
        match self {
            Self::Leaf(check) => out.push(check),
            Self::All(items) | Self::Any(items) => {
                items.iter().for_each(|item| item.collect_leaves(out))
            }
        }
    }
}

#[derive(Clone, Debug)]
pub struct Implementation {
    /// `None` marks the default implementation.
    pub when: Option<When>,
    pub check: CheckExpr,
}

#[derive(Clone, Debug)]
pub struct Rule {
    pub id: String,
    pub title: String,
    pub description: String,
    pub rationale: String,
    pub severity: Severity,
    pub tags: Vec<String>,
    /// Benchmark profiles (`cis_l1_server`, ...) that `--profile` selects by.
    pub profiles: Vec<String>,
    /// As compact JSON text; [`Rule::references`] parses it.
    pub references_json: Box<serde_json::value::RawValue>,
    /// Shared by every rule with the same list (packs repeat a handful of lists).
    pub platforms: std::sync::Arc<[Platform]>,
    pub vars: BTreeMap<String, String>,
    pub remediation: String,
    /// Where plumb's reading deliberately differs from a common reading; empty when none.
    pub notes: String,
    /// Evidence keeps verdicts only, never the text the check read (see `eval::redact`).
    pub sensitive: bool,
    /// Tried in order; the first whose `when` holds is used. A plumb rule's last one is the
    /// default; a Kensa rule may have none, and is then skipped when no `when` holds.
    pub implementations: Vec<Implementation>,
    /// The format the rule's file was read in.
    pub dialect: Dialect,
    /// Keys the dialect carries that plumb keeps without acting on, as a JSON object (Kensa:
    /// `category`, `transactional`, `depends_on`, `conflicts_with`, `supersedes`, and each
    /// implementation's `remediation` mapping); `None` when there are none.
    pub metadata: Option<Box<serde_json::value::RawValue>>,
    /// Kensa's `supersedes`/`conflicts_with`, which change what a selection runs; `None` when
    /// the rule declares neither.
    pub relations: Option<Box<Relations>>,
    /// Where the rule was defined, for messages and report locations.
    pub source: RuleOrigin,
}

/// Rules a Kensa rule replaces or conflicts with, by id (also kept in its metadata).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Relations {
    pub supersedes: Vec<String>,
    pub conflicts_with: Vec<String>,
}

/// Where a rule is defined: its file's name as loaded (shared by every rule of the file, so a
/// pack of thousands of rules keeps one copy per file) and the position of its `id:` key.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RuleOrigin {
    /// The source name: a path as given to `--rules`, or `<embedded>/FILE` for the built-in pack.
    pub file: std::sync::Arc<str>,
    /// 1-based; 0 when the `id:` key could not be found on a line of its own.
    pub line: u32,
    /// 1-based; 0 with an unknown line.
    pub column: u32,
}

impl fmt::Display for RuleOrigin {
    /// `file:line:column`, or the file alone when the line is unknown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            f.write_str(&self.file)
        } else {
            write!(f, "{}:{}:{}", self.file, self.line, self.column)
        }
    }
}

impl Rule {
    /// The rule's `references` (an empty object when it has none).
    pub fn references(&self) -> serde_json::Value {
        serde_json::from_str(self.references_json.get()).unwrap_or_default()
    }

    pub fn all_checks(&self) -> impl Iterator<Item = &Check> {
        self.implementations
            .iter()
            .flat_map(|implementation| implementation.check.leaves())
    }
}
