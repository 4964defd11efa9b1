//! Kensa's check semantics, driven by the per-check flags. Each rule is read as a plumb rule and
//! then given the Kensa value of one flag (what the Kensa loader sets), so every test shows the
//! same rule text and facts giving Kensa's verdict with the flag and plumb's without it.

use super::*;
use crate::rules::{AuditMatch, Check, CheckExpr, ConfigValueCheck, FilePermissionCheck};

/// The rule's single leaf check, to set a flag on.
fn leaf(rule: &mut Rule) -> &mut Check {
    match &mut rule.implementations[0].check {
        CheckExpr::Leaf(check) => check,
        other => panic!("not a single check: {other:?}"),
    }
}

/// The rule for `check` with `kensa` applied to its check.
fn kensa(check: &str, flag: impl FnOnce(&mut Check)) -> Rule {
    let mut rule = rule(check);
    flag(leaf(&mut rule));
    rule
}

fn status(rule: &Rule, facts: &Facts) -> Status {
    eval_rule(rule, facts).status
}

// ---------------------------------------------------------------------------------------------
// config_value
// ---------------------------------------------------------------------------------------------

const AUDITD: &str = "/etc/audit/auditd.conf";

fn config_value(check: &mut Check) -> &mut ConfigValueCheck {
    match check {
        Check::ConfigValue(c) => c,
        other => panic!("not config_value: {other:?}"),
    }
}

fn case_insensitive(check: &mut Check) {
    if let Some(expectation) = &mut config_value(check).expectation {
        expectation.case_insensitive = true;
    }
}

#[test]
fn config_value_case_insensitive_compares_any_case() {
    let check = r#"{ method: config_value, path: /etc/audit/auditd.conf, key: log_format, expected: enriched, delimiter: "=" }"#;
    let upper = facts().file(AUDITD, "log_format = ENRICHED\n").build();
    let kensa_rule = kensa(check, case_insensitive);
    let e = only(&eval_rule(&kensa_rule, &upper), Status::Pass, None);
    assert_eq!(e.actual, "ENRICHED");
    assert_eq!(e.expected, "== enriched (any case)");
    let raw = facts().file(AUDITD, "log_format = RAW\n").build();
    assert_eq!(status(&kensa_rule, &raw), Status::Fail);
    // plumb compares exactly.
    assert_eq!(status(&rule(check), &upper), Status::Fail);
}

#[test]
fn config_value_keep_quotes_compares_the_quotes_too() {
    let check = r#"{ method: config_value, path: /etc/audit/auditd.conf, key: name_format, expected: hostname, delimiter: "=" }"#;
    let keep = kensa(check, |c| config_value(c).keep_quotes = true);
    let quoted = facts().file(AUDITD, "name_format = \"hostname\"\n").build();
    let e = only(&eval_rule(&keep, &quoted), Status::Fail, None);
    assert_eq!(e.actual, "\"hostname\"");
    let bare = facts().file(AUDITD, "name_format = hostname\n").build();
    assert_eq!(status(&keep, &bare), Status::Pass);
    // plumb strips one matching pair of quotes.
    assert_eq!(status(&rule(check), &quoted), Status::Pass);
}

#[test]
fn config_value_bare_key_matches_an_empty_expected() {
    const FAILLOCK: &str = "/etc/security/faillock.conf";
    let check = r#"{ method: config_value, path: /etc/security/faillock.conf, key: audit, expected: "", delimiter: "=" }"#;
    let bare = kensa(check, |c| config_value(c).bare_key_is_empty = true);
    let alone = facts()
        .file(FAILLOCK, "# audit\ndeny = 3\n  audit  \n")
        .build();
    let e = only(&eval_rule(&bare, &alone), Status::Pass, None);
    assert_eq!(e.source["line"], 3);
    // A value, a comment or another key is not the key standing alone.
    for text in ["audit = 1\n", "# audit\n", "audit_x\n", ""] {
        let f = facts().file(FAILLOCK, text).build();
        assert_eq!(status(&bare, &f), Status::Fail, "{text:?}");
    }
    // A bare line does not count for a check that wants a value.
    let valued = kensa(
        r#"{ method: config_value, path: /etc/security/faillock.conf, key: audit, expected: "1", delimiter: "=" }"#,
        |c| config_value(c).bare_key_is_empty = true,
    );
    assert_eq!(status(&valued, &alone), Status::Fail);
    // plumb ignores a key without a delimiter.
    assert_eq!(status(&rule(check), &alone), Status::Fail);
}

#[test]
fn config_value_kensa_reading_of_a_repeated_key_is_the_first_in_any_case() {
    // Kensa's defaults as the loader sets them: `=`, first occurrence, any case.
    let check = r#"{ method: config_value, path: /etc/audit/auditd.conf, key: write_logs, expected: "yes", delimiter: "=", occurrence: first }"#;
    let kensa_rule = kensa(check, case_insensitive);
    let f = facts()
        .file(AUDITD, "write_logs = YES\nwrite_logs = no\n")
        .build();
    assert_eq!(status(&kensa_rule, &f), Status::Pass);
    let f = facts()
        .file(AUDITD, "write_logs = no\nwrite_logs = YES\n")
        .build();
    assert_eq!(status(&kensa_rule, &f), Status::Fail);
}

// ---------------------------------------------------------------------------------------------
// file_permission
// ---------------------------------------------------------------------------------------------

fn file_permission(check: &mut Check) -> &mut FilePermissionCheck {
    match check {
        Check::FilePermission(c) => c,
        other => panic!("not file_permission: {other:?}"),
    }
}

fn named() -> FactsBuilder {
    facts()
        .file("/etc/passwd", "root:x:0:0::/root:/bin/sh\n")
        .file("/etc/group", "root:x:0:\n")
}

#[test]
fn file_permission_exact_mode_wants_equality() {
    let check = "{ method: file_permission, path: /etc/motd, mode: '0644', owner: root }";
    let exact = kensa(check, |c| file_permission(c).exact_mode = true);
    let tighter = named()
        .stat("/etc/motd", vec![entry("/etc/motd", 0o600, 0, 0)])
        .build();
    let e = only(&eval_rule(&exact, &tighter), Status::Fail, None);
    assert_eq!(e.expected, "mode == 0644, owner root");
    assert_eq!(e.actual, "/etc/motd: mode 0600, not 0644");
    let equal = named()
        .stat("/etc/motd", vec![entry("/etc/motd", 0o644, 0, 0)])
        .build();
    assert_eq!(status(&exact, &equal), Status::Pass);
    // A setuid bit is part of the mode.
    let setuid = named()
        .stat("/etc/motd", vec![entry("/etc/motd", 0o4644, 0, 0)])
        .build();
    assert_eq!(status(&exact, &setuid), Status::Fail);
    // plumb: a mode within the maximum passes.
    assert_eq!(status(&rule(check), &tighter), Status::Pass);
}

/// A symlink whose target is root's and mode 0600 (what the stat fact carries for a link).
fn linked(path: &str) -> FactsBuilder {
    let mut entry = entry(path, 0o600, 0, 0);
    entry.kind = FileKind::Symlink;
    entry.link_target = Some("/boot/real.cfg".into());
    named().stat(path, vec![entry])
}

#[test]
fn file_permission_without_following_judges_the_link_itself() {
    let check = "{ method: file_permission, path: /etc/grub.cfg, mode: '0600' }";
    let nofollow = kensa(check, |c| file_permission(c).follow_symlinks = false);
    let f = linked("/etc/grub.cfg").build();
    let e = only(&eval_rule(&nofollow, &f), Status::Fail, None);
    assert_eq!(e.actual, "/etc/grub.cfg: mode 0777 exceeds 0600");
    // The link's own mode is 0777, which is what a 0777 check wants.
    let wide = kensa(
        "{ method: file_permission, path: /etc/grub.cfg, mode: '0777' }",
        |c| {
            let c = file_permission(c);
            c.follow_symlinks = false;
            c.exact_mode = true;
        },
    );
    assert_eq!(status(&wide, &f), Status::Pass);
    // plumb judges the target.
    assert_eq!(status(&rule(check), &f), Status::Pass);
}

#[test]
fn file_permission_link_owner_is_not_a_gathered_fact() {
    let check = "{ method: file_permission, path: /etc/grub.cfg, owner: root }";
    let nofollow = kensa(check, |c| file_permission(c).follow_symlinks = false);
    let r = eval_rule(&nofollow, &linked("/etc/grub.cfg").build());
    let e = only(&r, Status::Error, Some(Reason::ProbeFailed));
    assert!(
        e.actual.contains("owner of the link itself"),
        "{}",
        e.actual
    );
    // A failing mode decides without the owner.
    let both = kensa(
        "{ method: file_permission, path: /etc/grub.cfg, mode: '0600', owner: root }",
        |c| file_permission(c).follow_symlinks = false,
    );
    assert_eq!(
        status(&both, &linked("/etc/grub.cfg").build()),
        Status::Fail
    );
}

// ---------------------------------------------------------------------------------------------
// sshd_effective_config
// ---------------------------------------------------------------------------------------------

fn sshd_flags(check: &mut Check, case: bool, first: bool, fails: bool) {
    match check {
        Check::SshdEffectiveConfig {
            expectation,
            first_wins,
            failure_fails,
            ..
        } => {
            expectation.case_insensitive = case;
            *first_wins = first;
            *failure_fails = fails;
        }
        other => panic!("not sshd_effective_config: {other:?}"),
    }
}

#[test]
fn sshd_effective_config_case_insensitive() {
    let check = "{ method: sshd_effective_config, key: LogLevel, expected: verbose }";
    let f = facts().command("sshd -T", 0, "loglevel VERBOSE\n").build();
    let ci = kensa(check, |c| sshd_flags(c, true, false, false));
    assert_eq!(status(&ci, &f), Status::Pass);
    let f_info = facts().command("sshd -T", 0, "loglevel INFO\n").build();
    assert_eq!(status(&ci, &f_info), Status::Fail);
    assert_eq!(status(&rule(check), &f), Status::Fail);
}

#[test]
fn sshd_effective_config_first_value_wins() {
    let check = "{ method: sshd_effective_config, key: acceptenv, expected: LANG }";
    let twice = facts()
        .command("sshd -T", 0, "acceptenv LANG\nacceptenv LC_ALL\n")
        .build();
    let first = kensa(check, |c| sshd_flags(c, false, true, false));
    let e = only(&eval_rule(&first, &twice), Status::Pass, None);
    assert_eq!(e.actual, "LANG");
    let other_first = facts()
        .command("sshd -T", 0, "acceptenv LC_ALL\nacceptenv LANG\n")
        .build();
    assert_eq!(status(&first, &other_first), Status::Fail);
    // plumb compares every value, joined.
    assert_eq!(status(&rule(check), &twice), Status::Fail);
}

#[test]
fn sshd_effective_config_failing_sshd_is_a_fail() {
    let check = "{ method: sshd_effective_config, key: permitrootlogin, expected: 'no' }";
    let fails = kensa(check, |c| sshd_flags(c, false, false, true));
    let broken = facts().command("sshd -T", 255, "").build();
    let e = only(&eval_rule(&fails, &broken), Status::Fail, None);
    assert!(e.actual.contains("exited 255"), "{}", e.actual);
    let absent = facts()
        .command_fact(
            "sshd -T",
            CommandFact::Failed {
                reason: "not found".into(),
            },
        )
        .build();
    assert_eq!(status(&fails, &absent), Status::Fail);
    // A timeout says nothing about sshd's configuration.
    let slow = facts()
        .command_fact("sshd -T", CommandFact::TimedOut { timeout_ms: 10 })
        .build();
    assert_eq!(status(&fails, &slow), Status::Error);
    let good = facts()
        .command("sshd -T", 0, "permitrootlogin no\n")
        .build();
    assert_eq!(status(&fails, &good), Status::Pass);
    // plumb: no verdict without sshd's answer.
    assert_eq!(status(&rule(check), &broken), Status::Error);
}

// ---------------------------------------------------------------------------------------------
// kernel_module_state
// ---------------------------------------------------------------------------------------------

fn unshipped(check: &mut Check) {
    match check {
        Check::KernelModuleState {
            unshipped_passes, ..
        } => *unshipped_passes = true,
        other => panic!("not kernel_module_state: {other:?}"),
    }
}

/// An online host: modprobe configuration, loaded modules and the shipped module names.
fn modules(etc: &[(&str, &str)], loaded: &str, shipped: &[&str]) -> Facts {
    let mut f = facts()
        .file_fact("/etc/modprobe.conf", FileFact::Missing)
        .dir("/etc/modprobe.d", "*.conf", etc)
        .file("/proc/modules", loaded)
        .build();
    f.kernel_modules = Some(shipped.iter().map(|m| (*m).to_owned()).collect());
    f
}

#[test]
fn kernel_module_disabled_passes_when_no_kernel_ships_it_and_blacklisted_does_not() {
    let check = "{ method: kernel_module_state, name: cramfs, state: disabled }";
    let kensa_rule = kensa(check, unshipped);
    let unshipped_host = modules(&[], "ext4 1 0 - Live\n", &["ext4", "vfat"]);
    let e = only(&eval_rule(&kensa_rule, &unshipped_host), Status::Pass, None);
    assert_eq!(
        e.actual,
        "not configured, not shipped by any kernel, not loaded"
    );
    let shipped_host = modules(&[], "ext4 1 0 - Live\n", &["ext4", "cramfs"]);
    assert_eq!(status(&kensa_rule, &shipped_host), Status::Fail);
    // Configured is still enough.
    let configured = modules(
        &[("c.conf", "install cramfs /bin/false\n")],
        "",
        &["cramfs"],
    );
    assert_eq!(status(&kensa_rule, &configured), Status::Pass);
    // plumb wants the install line whatever the kernels ship.
    assert_eq!(status(&rule(check), &unshipped_host), Status::Fail);
    // Kensa's `blacklisted` still wants the line for a module no kernel ships.
    let blacklisted = kensa(
        "{ method: kernel_module_state, name: cramfs, state: blacklisted }",
        unshipped,
    );
    let none_shipped = modules(&[], "", &["ext4"]);
    assert_eq!(status(&blacklisted, &none_shipped), Status::Fail);
    let listed = modules(&[("c.conf", "blacklist cramfs\n")], "", &["ext4"]);
    assert_eq!(status(&blacklisted, &listed), Status::Pass);
}

// ---------------------------------------------------------------------------------------------
// set_compare
// ---------------------------------------------------------------------------------------------

const USERS: &str = "awk -F: '{print $1\":\"$3}' /etc/passwd";

fn set_flags(check: &mut Check, alias: Option<&str>, skips: bool) {
    match check {
        Check::SetCompare {
            alias_separator,
            empty_authorized_skips,
            ..
        } => {
            *alias_separator = alias.map(str::to_owned);
            *empty_authorized_skips = skips;
        }
        other => panic!("not set_compare: {other:?}"),
    }
}

fn users_check(authorized: &str) -> String {
    format!(
        r#"{{ method: set_compare, observed_command: "awk -F: '{{print $1\":\"$3}}' /etc/passwd", authorized: {authorized} }}"#
    )
}

#[test]
fn set_compare_alias_separator_accepts_any_name_of_a_member() {
    let check = users_check("['1000', bob]");
    let alias = kensa(&check, |c| set_flags(c, Some(":"), false));
    let f = facts().command(USERS, 0, "alice:1000\nbob:1001\n").build();
    let e = only(&eval_rule(&alias, &f), Status::Pass, None);
    assert_eq!(e.source["observed"], json!(["alice", "bob"]));
    let extra = facts()
        .command(USERS, 0, "alice:1000\ncarol:1002\n")
        .build();
    let e = only(&eval_rule(&alias, &extra), Status::Fail, None);
    assert!(e.actual.contains("\"carol\""), "{}", e.actual);
    // plumb: each line is one member, named by the whole line.
    assert_eq!(status(&rule(&check), &f), Status::Fail);
}

#[test]
fn set_compare_empty_authorized_is_not_assessable() {
    let check = users_check("[]");
    let skips = kensa(&check, |c| set_flags(c, Some(":"), true));
    let f = facts().command(USERS, 0, "alice:1000\n").build();
    let r = eval_rule(&skips, &f);
    only(&r, Status::Skipped, Some(Reason::NotAssessable));
    // A declared list is compared as usual.
    let declared = kensa(&users_check("[alice]"), |c| set_flags(c, Some(":"), true));
    assert_eq!(status(&declared, &f), Status::Pass);
    // plumb: with nothing authorized, every member is unexpected.
    assert_eq!(status(&rule(&check), &f), Status::Fail);
}

// ---------------------------------------------------------------------------------------------
// systemd_target
// ---------------------------------------------------------------------------------------------

#[test]
fn systemd_target_not_equal() {
    let check = "{ method: systemd_target, expected: graphical.target }";
    let not = kensa(check, |c| match c {
        Check::SystemdTarget { equal, .. } => *equal = false,
        other => panic!("not systemd_target: {other:?}"),
    });
    let multi = facts()
        .command("systemctl get-default", 0, "multi-user.target\n")
        .build();
    let e = only(&eval_rule(&not, &multi), Status::Pass, None);
    assert_eq!(e.expected, "not graphical.target");
    let graphical = facts()
        .command("systemctl get-default", 0, "graphical.target\n")
        .build();
    assert_eq!(status(&not, &graphical), Status::Fail);
    // From the default.target link too (offline).
    let linked = facts()
        .offline()
        .stat(
            "/etc/systemd/system/default.target",
            vec![link(
                "/etc/systemd/system/default.target",
                "/lib/systemd/system/graphical.target",
            )],
        )
        .build();
    assert_eq!(status(&not, &linked), Status::Fail);
    assert_eq!(status(&rule(check), &multi), Status::Fail);
}

// ---------------------------------------------------------------------------------------------
// audit_rule_exists
// ---------------------------------------------------------------------------------------------

/// Two lines, as a Kensa rule writes a syscall control for both ABIs.
const CLOCK_RULE: &str = "-a always,exit -F arch=b64 -S adjtimex -S settimeofday -k clock\n\
                          -a always,exit -F arch=b32 -S adjtimex -S settimeofday -k clock\n";

fn loaded_rule() -> Rule {
    kensa(
        "{ method: audit_rule_exists, rule: '-a always,exit -S adjtimex -k clock' }",
        |c| {
            *c = Check::AuditRuleExists(AuditMatch::Loaded(
                CLOCK_RULE.lines().map(str::to_owned).collect(),
            ))
        },
    )
}

#[test]
fn audit_rule_loaded_needs_every_line_in_auditctl_form() {
    let both = "-a always,exit -F arch=b64 -S settimeofday,adjtimex -F key=clock\n\
                -a always,exit -F arch=b32 -S settimeofday,adjtimex -F key=clock\n";
    let f = facts().command("auditctl -l", 0, both).build();
    let e = only(&eval_rule(&loaded_rule(), &f), Status::Pass, None);
    assert_eq!(e.actual, "loaded");
    let one = "-a always,exit -F arch=b64 -S settimeofday,adjtimex -F key=clock\n";
    let f = facts().command("auditctl -l", 0, one).build();
    let e = only(&eval_rule(&loaded_rule(), &f), Status::Fail, None);
    assert!(e.actual.contains("arch=b32"), "{}", e.actual);
    // plumb compares the whole normalised text with one line, which auditctl never prints.
    let plumb_rule = rule(&format!(
        "{{ method: audit_rule_exists, rule: {:?} }}",
        CLOCK_RULE
    ));
    let f = facts().command("auditctl -l", 0, both).build();
    assert_eq!(status(&plumb_rule, &f), Status::Fail);
}

#[test]
fn audit_rule_loaded_ignores_rules_d_and_reads_a_failed_auditctl_as_nothing_loaded() {
    let rules_d = [("50-clock.rules", CLOCK_RULE)];
    let f = facts()
        .command("auditctl -l", 1, "")
        .dir("/etc/audit/rules.d", "*.rules", &rules_d)
        .build();
    assert_eq!(status(&loaded_rule(), &f), Status::Fail);
    let slow = facts()
        .command_fact("auditctl -l", CommandFact::TimedOut { timeout_ms: 5 })
        .build();
    assert_eq!(status(&loaded_rule(), &slow), Status::Error);
    let offline = facts()
        .offline()
        .dir("/etc/audit/rules.d", "*.rules", &rules_d);
    let r = eval_rule(&loaded_rule(), &offline.build());
    only(&r, Status::Skipped, Some(Reason::NotAssessableOffline));
}

// ---------------------------------------------------------------------------------------------
// service_state
// ---------------------------------------------------------------------------------------------

fn static_counts(check: &mut Check) {
    match check {
        Check::ServiceState(c) => c.static_counts_enabled = true,
        other => panic!("not service_state: {other:?}"),
    }
}

#[test]
fn service_state_static_units_count_as_enabled() {
    let check = "{ method: service_state, name: systemd-journald, enabled: true }";
    let kensa_rule = kensa(check, static_counts);
    for (state, want) in [
        ("static", Status::Pass),
        ("generated", Status::Pass),
        ("enabled", Status::Pass),
        ("indirect", Status::Fail),
        ("alias", Status::Fail),
        ("disabled", Status::Fail),
    ] {
        let f = facts()
            .units(show(&[(
                "systemd-journald.service",
                "loaded",
                "active",
                state,
            )]))
            .build();
        assert_eq!(status(&kensa_rule, &f), want, "{state}");
    }
    let static_unit = facts()
        .units(show(&[(
            "systemd-journald.service",
            "loaded",
            "active",
            "static",
        )]))
        .build();
    assert_eq!(status(&rule(check), &static_unit), Status::Fail);
}

#[test]
fn service_state_not_enabled_fails_only_on_install_enabled_units() {
    let check = "{ method: service_state, name: rsync, enabled: false }";
    let kensa_rule = kensa(check, static_counts);
    for (state, want) in [
        ("alias", Status::Pass),
        ("static", Status::Pass),
        ("disabled", Status::Pass),
        ("enabled-runtime", Status::Fail),
        ("enabled", Status::Fail),
    ] {
        let f = facts()
            .units(show(&[("rsync.service", "loaded", "inactive", state)]))
            .build();
        assert_eq!(status(&kensa_rule, &f), want, "{state}");
    }
    let alias = facts()
        .units(show(&[("rsync.service", "loaded", "inactive", "alias")]))
        .build();
    assert_eq!(status(&rule(check), &alias), Status::Fail);
}

// ---------------------------------------------------------------------------------------------
// grub_parameter
// ---------------------------------------------------------------------------------------------

fn default_grub(check: &mut Check) {
    match check {
        Check::GrubParameter {
            default_grub_only, ..
        } => *default_grub_only = true,
        other => panic!("not grub_parameter: {other:?}"),
    }
}

fn boot(cmdline: &str, default_grub: &str) -> FactsBuilder {
    facts()
        .file("/proc/cmdline", cmdline)
        .file("/etc/default/grub", default_grub)
        // A recovery entry without the parameter: plumb reads every boot entry.
        .file(
            "/boot/grub/grub.cfg",
            "\tlinux /vmlinuz root=/dev/sda1 audit=1\n\tlinux /vmlinuz root=/dev/sda1 single\n",
        )
}

#[test]
fn grub_parameter_reads_the_running_line_and_default_grub() {
    let check = "{ method: grub_parameter, name: audit, value: '1' }";
    let kensa_rule = kensa(check, default_grub);
    let set = boot(
        "BOOT_IMAGE=/vmlinuz audit=1 quiet\n",
        "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet audit=1\"\n",
    )
    .build();
    let e = only(&eval_rule(&kensa_rule, &set), Status::Pass, None);
    assert_eq!(
        e.actual,
        "set in /proc/cmdline, mentioned in /etc/default/grub"
    );
    // A bare parameter counts for the value 1.
    let bare = boot("audit quiet\n", "GRUB_CMDLINE_LINUX=\"audit\"\n").build();
    assert_eq!(status(&kensa_rule, &bare), Status::Pass);
    // Not running, or not in /etc/default/grub: fail.
    let not_running = boot("quiet\n", "GRUB_CMDLINE_LINUX=\"audit=1\"\n").build();
    assert_eq!(status(&kensa_rule, &not_running), Status::Fail);
    let not_persistent = boot("audit=1\n", "GRUB_TIMEOUT=5\n").build();
    assert_eq!(status(&kensa_rule, &not_persistent), Status::Fail);
    // plumb wants it on every boot entry, the recovery one included.
    assert_eq!(status(&rule(check), &set), Status::Fail);
}

// ---------------------------------------------------------------------------------------------
// selinux_state
// ---------------------------------------------------------------------------------------------

#[test]
fn selinux_running_only_ignores_the_configuration() {
    let check = "{ method: selinux_state, expected: enforcing }";
    let running = kensa(check, |c| match c {
        Check::SelinuxState { running_only, .. } => *running_only = true,
        other => panic!("not selinux_state: {other:?}"),
    });
    // Enforcing now (setenforce 1), permissive after a reboot.
    let f = facts()
        .file("/etc/selinux/config", "SELINUX=permissive\n")
        .file("/sys/fs/selinux/enforce", "1\n")
        .build();
    let e = only(&eval_rule(&running, &f), Status::Pass, None);
    assert_eq!(e.actual, "running: enforcing");
    let permissive = facts()
        .file("/etc/selinux/config", "SELINUX=enforcing\n")
        .file("/sys/fs/selinux/enforce", "0\n")
        .build();
    assert_eq!(status(&running, &permissive), Status::Fail);
    let offline = facts()
        .offline()
        .file("/etc/selinux/config", "SELINUX=enforcing\n")
        .build();
    let r = eval_rule(&running, &offline);
    only(&r, Status::Skipped, Some(Reason::NotAssessableOffline));
    // plumb wants the configuration to agree.
    assert_eq!(status(&rule(check), &f), Status::Fail);
}

// ---------------------------------------------------------------------------------------------
// file_content
// ---------------------------------------------------------------------------------------------

#[test]
fn file_content_any_line_reads_the_needle_as_grep_f_does() {
    let check = r#"{ method: file_content, path: /etc/issue.net, contains: "Authorized use only.\nLogged.\n" }"#;
    let grep_f = kensa(check, |c| match c {
        Check::FileContent { any_line, .. } => *any_line = true,
        other => panic!("not file_content: {other:?}"),
    });
    // The trailing newline leaves an empty literal, which every line contains.
    let other_banner = facts().file("/etc/issue.net", "Welcome\n").build();
    let e = only(&eval_rule(&grep_f, &other_banner), Status::Pass, None);
    assert_eq!(e.source["line"], 1);
    // An empty file has no line to contain anything.
    let empty = facts().file("/etc/issue.net", "").build();
    assert_eq!(status(&grep_f, &empty), Status::Fail);
    // Without the empty literal, one of the lines must be there.
    let exact = kensa(
        r#"{ method: file_content, path: /etc/issue.net, contains: "Authorized use only.\nLogged." }"#,
        |c| match c {
            Check::FileContent { any_line, .. } => *any_line = true,
            other => panic!("not file_content: {other:?}"),
        },
    );
    assert_eq!(status(&exact, &other_banner), Status::Fail);
    let second = facts().file("/etc/issue.net", "Hi\nAll Logged.").build();
    assert_eq!(status(&exact, &second), Status::Pass);
    // plumb wants the whole text, newline included.
    assert_eq!(status(&rule(check), &other_banner), Status::Fail);
}
