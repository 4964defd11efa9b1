//! Which capabilities (`when:`) a host has, computed from its facts.
//!
//! Most are a marker path ([`CAPABILITY_MARKERS`]); the rest read a little more. Where a
//! capability means "a service is running", a live scan asks systemd, and a `--root` scan
//! answers what the image would do when booted (enabled and not masked), as `systemd` itself
//! counts as "installed" offline. Facts a rule set did not ask for read as absent, which is
//! harmless: only rules naming a capability ask for its facts (see `ProbePlan`).

use super::host::HostView;
use crate::probe::facts::{DirFact, FileFact};
use crate::probe::sources::*;
use crate::rules::Capability;
use std::collections::BTreeSet;

pub(super) fn of(host: &HostView) -> BTreeSet<Capability> {
    let mut caps = BTreeSet::new();
    for (name, markers) in CAPABILITY_MARKERS {
        if markers.iter().any(|path| host.exists(path)) {
            if let Some(cap) = Capability::parse(name) {
                caps.insert(cap);
            }
        }
    }
    // systemd counts when it is the running init; offline, when it is installed.
    let systemd = if host.offline() {
        CAPABILITY_MARKERS
            .iter()
            .filter(|(name, _)| *name == "systemd_installed")
            .flat_map(|(_, markers)| markers.iter())
            .any(|path| host.exists(path))
    } else {
        host.exists(SYSTEMD_RUNNING)
    };
    if systemd {
        caps.insert(Capability::Systemd);
    }
    if host
        .file_text(SSHD_CONFIG)
        .is_some_and(includes_drop_in_dir)
    {
        caps.insert(Capability::SshdConfigD);
    }
    // Installed: systemd would list the unit (a mask link included, as `list-unit-files` does).
    if unit_file_paths(SSSD_UNIT).iter().any(|p| host.exists(p)) {
        caps.insert(Capability::Sssd);
    }
    if unit_running(host, NFTABLES_UNIT) {
        caps.insert(Capability::NftablesActive);
    }
    if unit_running(host, RSYSLOG_UNIT) {
        caps.insert(Capability::RsyslogActive);
    }
    if sssd_configured(host) {
        caps.insert(Capability::SssdConfigured);
    }
    if directory_joined(host) {
        caps.insert(Capability::DirectoryJoined);
    }
    caps
}

/// Live: systemd says the unit is active. Offline: it would start at boot (an enablement link,
/// no mask).
fn unit_running(host: &HostView, unit: &str) -> bool {
    if !host.offline() {
        return live_active(host, unit);
    }
    let enabled = unit_enable_links(unit)
        .iter()
        .any(|pattern| !host.stat(pattern).is_empty());
    let masked = host
        .stat(&unit_mask_link(unit))
        .iter()
        .any(|entry| entry.link_target.as_deref() == Some("/dev/null"));
    enabled && !masked
}

/// What `systemctl is-active` counts as active; false offline, when systemd is not running, or
/// when it did not answer.
fn live_active(host: &HostView, unit: &str) -> bool {
    !host.offline()
        && host
            .unit_properties()
            .and_then(|units| units.get(unit))
            .and_then(|props| props.get("ActiveState"))
            .is_some_and(|state| matches!(state.as_str(), "active" | "reloading" | "refreshing"))
}

/// Someone configured SSSD: a non-empty sssd.conf or any drop-in (packages ship neither), or,
/// live, sssd running (the answer left when the config cannot be read).
fn sssd_configured(host: &HostView) -> bool {
    let conf = match host.facts.file(SSSD_CONF) {
        Some(FileFact::Text { content }) => !content.is_empty(),
        Some(FileFact::TooLarge { .. }) => true,
        _ => false,
    };
    let dropin = matches!(
        host.facts.dir(SSSD_CONF_DIR, SSSD_CONF_PATTERN),
        Some(DirFact::Entries { entries }) if !entries.is_empty()
    );
    conf || dropin || live_active(host, SSSD_UNIT)
}

/// Identity comes from a directory: nsswitch names ldap or winbind for `passwd`; or names sss
/// and SSSD has a `[domain/...]` section (or, live, sssd runs), since distributions ship `sss`
/// on hosts never joined; or, live, nslcd runs.
fn directory_joined(host: &HostView) -> bool {
    let nsswitch = host.file_text(NSSWITCH_CONF).unwrap_or_default();
    let passwd_names = |word: &str| passwd_sources(nsswitch).any(|rest| rest.contains(word));
    if passwd_names("ldap") || passwd_names("winbind") {
        return true;
    }
    let sss = passwd_names("sss") && (sssd_has_domain(host) || live_active(host, SSSD_UNIT));
    sss || live_active(host, NSLCD_UNIT)
}

/// The text after `passwd:` on each nsswitch line that starts with it.
fn passwd_sources(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .filter_map(|line| line.trim_start_matches(is_blank).strip_prefix("passwd:"))
}

fn is_blank(c: char) -> bool {
    c.is_ascii_whitespace() || c == '\u{b}'
}

/// Whether sssd.conf or a drop-in declares a domain; files that could not be read declare none.
fn sssd_has_domain(host: &HostView) -> bool {
    let declares = |text: &str| {
        text.lines()
            .any(|line| line.trim_start_matches(is_blank).starts_with("[domain/"))
    };
    let dropins = match host.facts.dir(SSSD_CONF_DIR, SSSD_CONF_PATTERN) {
        Some(DirFact::Entries { entries }) => entries.as_slice(),
        _ => &[],
    };
    host.file_text(SSSD_CONF).is_some_and(declares)
        || dropins
            .iter()
            .filter_map(|entry| entry.content.text())
            .any(declares)
}

/// Whether sshd_config includes a drop-in directory (`Include /etc/ssh/sshd_config.d/*.conf`).
fn includes_drop_in_dir(text: &str) -> bool {
    text.lines().any(|line| {
        let mut words = line.split_whitespace();
        matches!(words.next(), Some(word) if word.eq_ignore_ascii_case("include"))
            && words.any(|target| target.contains("sshd_config.d"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::{EvalOptions, Reason, Status, evaluate};
    use crate::probe::facts::{CommandFact, FileKind, StatEntry, UnitsFact};
    use crate::probe::{Facts, facts::DirEntryFact};
    use crate::rules::{RuleSource, When, load};
    use Capability::*;

    fn present(facts: &mut Facts, path: &str) {
        let entry = StatEntry {
            path: path.to_owned(),
            kind: FileKind::File,
            link_target: None,
            mode: Some(0o644),
            uid: Some(0),
            gid: Some(0),
        };
        facts.stats.insert(path.to_owned(), vec![entry]);
    }

    fn file(facts: &mut Facts, path: &str, text: &str) {
        facts
            .files
            .insert(path.to_owned(), FileFact::from_bytes(text.as_bytes()));
    }

    /// A running systemd that answered with `(unit, ActiveState)` pairs.
    fn systemd(facts: &mut Facts, units: &[(&str, &str)]) {
        let stdout = units
            .iter()
            .map(|(unit, state)| format!("Id={unit}\nNames={unit}\nActiveState={state}\n"))
            .collect::<Vec<_>>()
            .join("\n");
        let output = CommandFact::Ran {
            exit_code: 0,
            stdout,
            stderr: String::new(),
            stdout_truncated: false,
        };
        facts.units = Some(UnitsFact::Ran { output });
    }

    fn caps(facts: &Facts) -> BTreeSet<Capability> {
        of(&HostView::new(facts))
    }

    #[test]
    fn live_hosts_ask_systemd_whether_a_service_runs() {
        let mut facts = Facts::default();
        systemd(
            &mut facts,
            &[
                (NFTABLES_UNIT, "active"),
                (RSYSLOG_UNIT, "inactive"),
                (SSSD_UNIT, "reloading"),
                (NSLCD_UNIT, "failed"),
            ],
        );
        let found = caps(&facts);
        assert!(found.contains(&NftablesActive));
        assert!(!found.contains(&RsyslogActive));
        // A running sssd is configured, but joined only with sss in nsswitch.
        assert!(found.contains(&SssdConfigured));
        assert!(!found.contains(&DirectoryJoined));
        file(&mut facts, NSSWITCH_CONF, "passwd: files sss\n");
        assert!(caps(&facts).contains(&DirectoryJoined));

        // nslcd running is a join whatever nsswitch says.
        let mut facts = Facts::default();
        systemd(&mut facts, &[(NSLCD_UNIT, "active")]);
        assert!(caps(&facts).contains(&DirectoryJoined));

        // Live, enablement links are not an answer: systemd is (here: not running).
        let mut facts = Facts {
            units: Some(UnitsFact::NotRunning),
            ..Facts::default()
        };
        present(&mut facts, &unit_enable_links(RSYSLOG_UNIT)[0]);
        assert!(!caps(&facts).contains(&RsyslogActive));
    }

    #[test]
    fn offline_a_service_runs_when_it_is_enabled_and_not_masked() {
        let mut facts = Facts {
            offline: true,
            ..Facts::default()
        };
        // A live answer never counts offline, even if one were there.
        systemd(&mut facts, &[(SSSD_UNIT, "active"), (NSLCD_UNIT, "active")]);
        present(&mut facts, &unit_enable_links(NFTABLES_UNIT)[1]);
        let found = caps(&facts);
        assert!(found.contains(&NftablesActive));
        assert!(!found.contains(&SssdConfigured) && !found.contains(&DirectoryJoined));
        let mask = StatEntry {
            path: unit_mask_link(NFTABLES_UNIT),
            kind: FileKind::Symlink,
            link_target: Some("/dev/null".into()),
            mode: None,
            uid: None,
            gid: None,
        };
        facts.stats.insert(mask.path.clone(), vec![mask]);
        assert!(!caps(&facts).contains(&NftablesActive));
    }

    #[test]
    fn an_unread_dropin_is_configuration_but_declares_no_domain() {
        let mut facts = Facts::default();
        file(&mut facts, NSSWITCH_CONF, "passwd: sss files\n");
        facts.files.insert(SSSD_CONF.into(), FileFact::Unreadable);
        facts.dirs.entry(SSSD_CONF_DIR.into()).or_default().insert(
            SSSD_CONF_PATTERN.into(),
            DirFact::Entries {
                entries: vec![DirEntryFact {
                    name: "domain.conf".into(),
                    content: FileFact::Unreadable,
                }],
            },
        );
        let found = caps(&facts);
        // A drop-in there is configuration, even unread; its domain section is unknown.
        assert!(found.contains(&SssdConfigured));
        assert!(!found.contains(&DirectoryJoined));
        facts.dirs.clear();
        assert!(!caps(&facts).contains(&SssdConfigured));
    }

    const RULE: &str = "
id: when-expressions
title: picks by all/any
severity: low
implementations:
  - { when: apt, check: { method: file_exists, path: /first } }
  - { when: dnf, check: { method: file_exists, path: /second } }
  - { when: sshd, check: { method: file_exists, path: /third } }
  - { default: true, check: { method: file_exists, path: /default } }
";

    #[test]
    fn all_and_any_pick_the_first_implementation_whose_expression_holds() {
        let sources = [RuleSource {
            name: "when.yml".into(),
            text: RULE.into(),
        }];
        let mut rule = load(&sources, &Default::default()).unwrap().rules.remove(0);
        let has = When::Has;
        rule.implementations[0].when = Some(When::All(vec![has(Apt), has(SssdConfigured)]));
        rule.implementations[1].when = Some(When::Any(vec![has(Dnf), has(RsyslogActive)]));
        rule.implementations[2].when = Some(When::All(vec![
            When::Any(vec![has(Apt), has(Dnf)]),
            has(Authselect),
        ]));
        let picked = |facts: &Facts, rule: &crate::rules::Rule| {
            let result = evaluate(rule, &HostView::new(facts), &EvalOptions::default());
            (result.implementation, result.reason)
        };
        let named = |text: &str| (Some(text.to_owned()), None);

        // apt alone: all() lacks sssd_configured, any() has neither, nested all() lacks
        // authselect: the default.
        let mut facts = Facts::default();
        present(&mut facts, "/usr/bin/apt");
        assert_eq!(picked(&facts, &rule), (None, None));
        // With authselect the nested expression holds.
        present(&mut facts, "/usr/bin/authselect");
        assert_eq!(
            picked(&facts, &rule),
            named("all(any(apt, dnf), authselect)")
        );
        // Any one member of any() is enough, and an earlier implementation wins.
        systemd(&mut facts, &[(RSYSLOG_UNIT, "active")]);
        assert_eq!(picked(&facts, &rule), named("any(dnf, rsyslog_active)"));
        file(&mut facts, SSSD_CONF, "[sssd]\n");
        assert_eq!(picked(&facts, &rule), named("all(apt, sssd_configured)"));

        // Without a default (as Kensa rules may be), nothing holding skips the rule.
        rule.implementations.pop();
        let bare = Facts::default();
        let result = evaluate(&rule, &HostView::new(&bare), &EvalOptions::default());
        assert_eq!(
            (result.status, result.reason, result.implementation),
            (Status::Skipped, Some(Reason::NoImplementation), None)
        );
    }
}
