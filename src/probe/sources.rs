//! Where facts live on a Linux host: the paths and commands that both the planner (what to
//! gather) and evaluation (where to look) agree on.

pub const OS_RELEASE: [&str; 2] = ["/etc/os-release", "/usr/lib/os-release"];
pub const PASSWD: &str = "/etc/passwd";
pub const GROUP: &str = "/etc/group";
pub const SHADOW: &str = "/etc/shadow";
pub const GSHADOW: &str = "/etc/gshadow";
pub const LOGIN_DEFS: &str = "/etc/login.defs";
pub const SHELLS: &str = "/etc/shells";
/// What the `accounts` method reads.
pub const ACCOUNT_FILES: [&str; 6] = [PASSWD, SHADOW, GROUP, GSHADOW, LOGIN_DEFS, SHELLS];
/// Read by kmod's predecessors and still checked by auditors, before the modprobe.d dirs.
pub const MODPROBE_CONF: &str = "/etc/modprobe.conf";
/// Where kernels keep their loadable modules, one directory per kernel version.
pub const KERNEL_MODULES: &str = "/lib/modules";
/// In each kernel's directory under [`KERNEL_MODULES`]: the modules built into that kernel.
pub const MODULES_BUILTIN: &str = "modules.builtin";
pub const SSHD_CONFIG: &str = "/etc/ssh/sshd_config";
/// systemd's machine id: one machine reached under two names reports the same one.
pub const MACHINE_ID: &str = "/etc/machine-id";
pub const SSHD_T: &str = "sshd -T";
pub const AUDITCTL_LIST: &str = "auditctl -l";
pub const AUDIT_RULES_DIR: &str = "/etc/audit/rules.d";
pub const SYSTEMCTL_GET_DEFAULT: &str = "systemctl get-default";
pub const PROC_MODULES: &str = "/proc/modules";
pub const PROC_MOUNTS: &str = "/proc/mounts";
pub const PROC_CMDLINE: &str = "/proc/cmdline";
pub const FSTAB: &str = "/etc/fstab";
pub const SELINUX_ENFORCE: &str = "/sys/fs/selinux/enforce";
pub const SELINUX_CONFIG: &str = "/etc/selinux/config";
pub const APPARMOR_ENABLED: &str = "/sys/module/apparmor/parameters/enabled";
/// Present only while systemd is the running init.
pub const SYSTEMD_RUNNING: &str = "/run/systemd/system";

/// The drop-in directory gathered for a sudoers file (`/etc/sudoers` → `/etc/sudoers.d`), and
/// the listing pattern: every name, since sudo's own filter (no `.`, no trailing `~`) is not a
/// glob and is applied in evaluation.
pub fn sudo_include_dir(sudoers: &str) -> String {
    format!("{}.d", sudoers.trim_end_matches('/'))
}
pub const SUDO_DIR_PATTERN: &str = "*";

/// sysctl configuration directories, highest priority first (systemd-sysctl order).
pub const SYSCTL_DIRS: [&str; 5] = [
    "/etc/sysctl.d",
    "/run/sysctl.d",
    "/usr/local/lib/sysctl.d",
    "/usr/lib/sysctl.d",
    "/lib/sysctl.d",
];
pub const SYSCTL_CONF: &str = "/etc/sysctl.conf";

/// modprobe configuration directories, highest priority first.
pub const MODPROBE_DIRS: [&str; 5] = [
    "/etc/modprobe.d",
    "/run/modprobe.d",
    "/usr/local/lib/modprobe.d",
    "/usr/lib/modprobe.d",
    "/lib/modprobe.d",
];

/// Boot configuration holding kernel command lines.
pub const GRUB_CFGS: [&str; 2] = ["/boot/grub/grub.cfg", "/boot/grub2/grub.cfg"];
pub const BLS_ENTRIES: &str = "/boot/loader/entries";
pub const KERNEL_CMDLINE: &str = "/etc/kernel/cmdline";
pub const DEFAULT_GRUB: &str = "/etc/default/grub";

pub const DPKG_STATUS: &str = "/var/lib/dpkg/status";
pub const RPMDB_SQLITE: [&str; 2] = [
    "/var/lib/rpm/rpmdb.sqlite",
    "/usr/lib/sysimage/rpm/rpmdb.sqlite",
];
pub const APK_INSTALLED: &str = "/lib/apk/db/installed";
pub const RPM_QUERY_ALL: &str = "rpm -qa --qf '%{NAME}\\n'";

/// Unit files and their symlinks; `*.wants`/`*.requires` links mean "enabled".
pub const SYSTEMD_ETC: &str = "/etc/systemd/system";
pub const DEFAULT_TARGET_LINKS: [&str; 3] = [
    "/etc/systemd/system/default.target",
    "/usr/lib/systemd/system/default.target",
    "/lib/systemd/system/default.target",
];

/// The module name a file under /lib/modules holds (`usb-storage.ko.xz` → `usb_storage`), or
/// `None` when the file is not a module. Both executors and evaluation use this one reading.
pub fn module_name_of_file(file_name: &str) -> Option<String> {
    let (stem, after) = file_name.split_once(".ko")?;
    (!stem.is_empty() && (after.is_empty() || after.starts_with('.')))
        .then(|| stem.replace('-', "_"))
}

pub fn sysctl_proc_path(key: &str) -> String {
    format!("/proc/sys/{}", key.replace('.', "/"))
}

pub fn unit_enable_links(unit: &str) -> [String; 2] {
    [
        format!("{SYSTEMD_ETC}/*.wants/{unit}"),
        format!("{SYSTEMD_ETC}/*.requires/{unit}"),
    ]
}

/// Directories systemd loads unit files from (a `not-found` unit has none in any).
pub const UNIT_DIRS: [&str; 4] = [
    SYSTEMD_ETC,
    "/run/systemd/system",
    "/usr/lib/systemd/system",
    "/lib/systemd/system",
];

pub fn unit_file_paths(unit: &str) -> Vec<String> {
    UNIT_DIRS
        .iter()
        .map(|dir| format!("{dir}/{unit}"))
        .collect()
}

/// Links that make `target` want `unit`: the admin's (enabled) and the vendor's (static).
pub fn unit_wants_links(target: &str, unit: &str) -> Vec<String> {
    [
        SYSTEMD_ETC,
        "/usr/lib/systemd/system",
        "/lib/systemd/system",
    ]
    .iter()
    .map(|dir| format!("{dir}/{target}.wants/{unit}"))
    .collect()
}

pub fn unit_mask_link(unit: &str) -> String {
    format!("{SYSTEMD_ETC}/{unit}")
}

/// The one `systemctl show` call that answers every unit a scan asks about.
pub fn units_command<'a>(units: impl IntoIterator<Item = &'a String>) -> String {
    let mut command = String::from(
        "systemctl show --no-pager --property=Id,Names,LoadState,ActiveState,UnitFileState,WantedBy --",
    );
    // Names were checked against systemd's grammar at load; quoting keeps them words anyway.
    for unit in units {
        command.push(' ');
        command.push_str(&crate::rules::shell_quote(unit));
    }
    command
}

/// Paths whose presence answers a capability, by capability name.
pub const CAPABILITY_MARKERS: &[(&str, &[&str])] = &[
    ("apt", &["/usr/bin/apt", "/usr/bin/apt-get"]),
    ("dnf", &["/usr/bin/dnf"]),
    ("yum", &["/usr/bin/yum"]),
    ("rpm", &["/usr/bin/rpm", "/var/lib/rpm"]),
    ("dpkg", &["/var/lib/dpkg/status"]),
    (
        "systemd_installed",
        &["/usr/lib/systemd/systemd", "/lib/systemd/systemd"],
    ),
    ("sshd", &["/usr/sbin/sshd"]),
    ("auditd", &["/usr/sbin/auditd", "/sbin/auditd"]),
    ("selinux", &["/etc/selinux/config", "/sys/fs/selinux"]),
    (
        "apparmor",
        &["/etc/apparmor.d", "/sys/kernel/security/apparmor"],
    ),
    (
        "grub2",
        &[
            "/boot/grub/grub.cfg",
            "/boot/grub2/grub.cfg",
            "/etc/default/grub",
            "/usr/sbin/grub-install",
            "/usr/sbin/grub2-install",
        ],
    ),
    ("firewalld", &["/usr/sbin/firewalld"]),
    ("ufw", &["/usr/sbin/ufw"]),
    ("nftables", &["/usr/sbin/nft"]),
    ("gdm", &["/usr/sbin/gdm3", "/usr/sbin/gdm"]),
    (
        "authselect",
        &["/usr/bin/authselect", "/usr/sbin/authselect"],
    ),
    // The module reads this file; its presence is what says the host uses faillock.
    ("pam_faillock", &["/etc/security/faillock.conf"]),
];

/// Units whose systemd state answers a capability (see `eval::capabilities`).
pub const SSSD_UNIT: &str = "sssd.service";
pub const NSLCD_UNIT: &str = "nslcd.service";
pub const NFTABLES_UNIT: &str = "nftables.service";
pub const RSYSLOG_UNIT: &str = "rsyslog.service";
/// Where identity comes from (`passwd:` names the sources), and SSSD's own configuration.
pub const NSSWITCH_CONF: &str = "/etc/nsswitch.conf";
pub const SSSD_CONF: &str = "/etc/sssd/sssd.conf";
pub const SSSD_CONF_DIR: &str = "/etc/sssd/conf.d";
pub const SSSD_CONF_PATTERN: &str = "*.conf";
