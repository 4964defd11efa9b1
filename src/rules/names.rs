//! Identifiers that reach a host's command line or file system, checked against their real
//! grammar when rules load. They are also quoted where used; this makes a hostile or mistyped
//! name a rule error instead of a strange probe.

/// systemd's unit types (systemd.unit(5)).
const UNIT_TYPES: [&str; 11] = [
    "service",
    "socket",
    "device",
    "mount",
    "automount",
    "swap",
    "target",
    "path",
    "timer",
    "slice",
    "scope",
];

/// systemd's longest unit name (UNIT_NAME_MAX).
const UNIT_NAME_MAX: usize = 255;

/// Characters systemd allows in a unit name's prefix and instance.
fn unit_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, ':' | '-' | '_' | '.' | '\\')
}

/// A `service_state` name as the unit systemd knows: `sshd` means `sshd.service`, as for
/// systemctl; a name ending in a unit type is kept. `prefix[@instance].type` (systemd.unit(5)).
pub fn unit(name: &str) -> Result<String, String> {
    let bad = |why: &str| {
        Err(format!(
            "`name` is not a systemd unit name ({why}): `{name}`"
        ))
    };
    let typed = name
        .rsplit_once('.')
        .is_some_and(|(_, suffix)| UNIT_TYPES.contains(&suffix));
    let unit = if typed {
        name.to_owned()
    } else {
        format!("{name}.service")
    };
    if unit.len() > UNIT_NAME_MAX {
        return bad("longer than 255 characters");
    }
    let Some((stem, _)) = unit.rsplit_once('.') else {
        return bad("no unit type");
    };
    let (prefix, instance) = match stem.split_once('@') {
        Some((prefix, instance)) => (prefix, Some(instance)),
        None => (stem, None),
    };
    if prefix.is_empty() {
        return bad("empty name before the type or `@`");
    }
    if !prefix.chars().all(unit_char) {
        return bad(
            "only letters, digits and `:-_.\\` are allowed, with one `@` before an instance",
        );
    }
    if instance.is_some_and(|i| !i.chars().all(|c| unit_char(c) || c == '@')) {
        return bad("the instance may hold only letters, digits and `:-_.\\@`");
    }
    Ok(unit)
}

/// A package name as dpkg, rpm or apk may name it: Debian policy's `[a-z0-9][a-z0-9+.-]+`
/// widened to what RPM allows in a name (`[A-Za-z0-9._+-]`), where `*` and `?` after the
/// first character make it a pattern over the installed names (`xserver-xorg*`).
pub fn package(name: &str) -> Result<String, String> {
    let first_ok = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    let rest_ok = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '+' | '-' | '*' | '?'));
    if first_ok && rest_ok && name.len() <= 255 {
        Ok(name.to_owned())
    } else {
        Err(format!(
            "`name` is not a package name (a letter or digit, then letters, digits and `._+-`, or `*`/`?` as wildcards): `{name}`"
        ))
    }
}

/// A kernel module name (`[A-Za-z0-9_-]`), with `-` read as `_` as modprobe does.
pub fn kernel_module(name: &str) -> Result<String, String> {
    if !name.is_empty()
        && name.len() <= 255
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
    {
        Ok(name.replace('-', "_"))
    } else {
        Err(format!(
            "`name` is not a kernel module name (letters, digits, `_` and `-`): `{name}`"
        ))
    }
}

/// A sysctl key (`[A-Za-z0-9_./-]`), which becomes a path under /proc/sys.
pub fn sysctl_key(key: &str) -> Result<String, String> {
    let chars_ok = key
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '/' | '-'));
    if key.is_empty() || !chars_ok || key.contains("..") || key.starts_with(['.', '/']) {
        Err(format!(
            "`key` is not a sysctl name (letters, digits and `_./-`): `{key}`"
        ))
    } else {
        Ok(key.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_names_follow_systemd_unit_5() {
        assert_eq!(unit("sshd").unwrap(), "sshd.service");
        assert_eq!(unit("cups.socket").unwrap(), "cups.socket");
        assert_eq!(unit("getty@tty1.service").unwrap(), "getty@tty1.service");
        assert_eq!(unit("getty@.service").unwrap(), "getty@.service");
        assert_eq!(unit("dev-sda1.device").unwrap(), "dev-sda1.device");
        assert_eq!(unit("ntp.sec").unwrap(), "ntp.sec.service");
        for bad in [
            "x.service;touch /root/pwned;echo",
            "a b",
            "$(id).service",
            "",
            "@x.service",
            "../x.service",
            "x/y",
            "x*",
        ] {
            assert!(unit(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn packages_modules_and_sysctl_keys() {
        assert!(package("libpam-pwquality").is_ok());
        assert!(package("xorg-x11-server-common").is_ok());
        assert!(package("libstdc++6").is_ok());
        assert!(package("-rf").is_err());
        assert!(package("a;b").is_err());
        assert_eq!(kernel_module("usb-storage").unwrap(), "usb_storage");
        assert!(kernel_module("usb storage").is_err());
        assert!(kernel_module("../x").is_err());
        assert!(sysctl_key("net.ipv4.conf.all.rp_filter").is_ok());
        assert!(sysctl_key("kernel/yama/ptrace_scope").is_ok());
        assert!(sysctl_key("../../etc/shadow").is_err());
        assert!(sysctl_key("a b").is_err());
        assert!(sysctl_key("a$(x)").is_err());
    }
}
