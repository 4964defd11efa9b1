//! The capabilities Kensa's rules gate on, each answered from a fixture tree (fixtures/caps/)
//! scanned through the binary with `--root`: a rule per capability picks its `when:`
//! implementation exactly on the trees where the capability holds.

mod support;

use std::collections::BTreeSet;
use support::fixtures::repo;

/// The capabilities under test, in the order of the rules below.
const CAPABILITIES: [&str; 7] = [
    "authselect",
    "pam_faillock",
    "sssd",
    "sssd_configured",
    "directory_joined",
    "nftables_active",
    "rsyslog_active",
];

/// Each tree, the capabilities (of the seven) that hold on it, and why.
const TREES: &[(&str, &[&str], &str)] = &[
    ("authselect-yes", &["authselect"], "the authselect binary"),
    (
        "authselect-no",
        &[],
        "authconfig, authselect's predecessor, is not it",
    ),
    (
        "pam_faillock-yes",
        &["pam_faillock"],
        "faillock.conf, the module's configuration",
    ),
    (
        "pam_faillock-no",
        &[],
        "another PAM module's configuration only",
    ),
    ("sssd-yes", &["sssd"], "sssd.service in a unit directory"),
    ("sssd-no", &[], "only sssd-kcm.service, another unit"),
    (
        "sssd_configured-yes",
        &["sssd_configured"],
        "a non-empty sssd.conf (certificate login, no domain: not joined)",
    ),
    (
        "sssd_configured-dropin",
        &["sssd_configured"],
        "an empty sssd.conf, but a conf.d drop-in",
    ),
    (
        "sssd_configured-no",
        &["sssd"],
        "installed with an empty sssd.conf and no *.conf drop-in",
    ),
    (
        "directory_joined-sss",
        &["directory_joined", "sssd_configured"],
        "nsswitch passwd has sss and sssd.conf declares a domain",
    ),
    (
        "directory_joined-dropin",
        &["directory_joined", "sssd_configured"],
        "nsswitch passwd has sss and a drop-in declares an indented domain",
    ),
    (
        "directory_joined-ldap",
        &["directory_joined"],
        "nsswitch passwd has ldap",
    ),
    (
        "directory_joined-winbind",
        &["directory_joined"],
        "nsswitch passwd has winbind",
    ),
    (
        "directory_joined-no",
        &["sssd_configured"],
        "sss in passwd without a domain section; ldap/winbind only in a comment or other databases",
    ),
    (
        "nftables_active-yes",
        &["nftables_active"],
        "nftables.service enabled (a sysinit.target.wants link)",
    ),
    (
        "nftables_active-no",
        &[],
        "nftables.service installed, not enabled",
    ),
    (
        "rsyslog_active-yes",
        &["rsyslog_active"],
        "rsyslog.service enabled",
    ),
    (
        "rsyslog_active-no",
        &[],
        "rsyslog.service enabled but masked",
    ),
];

/// One plumb rule per capability: its `when:` implementation, else the default.
fn rules_yaml() -> String {
    let mut yaml = String::new();
    for name in CAPABILITIES {
        yaml.push_str(&format!(
            "- id: cap-{name}\n  title: picks by {name}\n  severity: low\n  implementations:\n    \
             - when: {name}\n      check: {{ method: file_exists, path: / }}\n    \
             - default: true\n      check: {{ method: file_exists, path: / }}\n"
        ));
    }
    yaml
}

/// The capabilities whose `when:` implementation each rule picked on `tree`.
fn picked(rules: &std::path::Path, tree: &str) -> BTreeSet<String> {
    let out = support::run(
        support::plumb()
            .args(["scan", "--format", "json", "--no-store", "--rules"])
            .arg(rules)
            .arg("--root")
            .arg(repo().join("fixtures/caps").join(tree)),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{tree}: {}",
        support::stderr(&out)
    );
    let report = support::json(&out);
    let results = report["hosts"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), CAPABILITIES.len(), "{tree}: {report}");
    results
        .iter()
        .filter_map(|result| {
            let id = result["rule_id"].as_str().unwrap();
            assert_eq!(result["status"], "pass", "{tree}: {result}");
            let implementation = result["implementation"].as_str()?;
            assert_eq!(format!("cap-{implementation}"), id, "{tree}");
            Some(implementation.to_owned())
        })
        .collect()
}

#[test]
fn each_capability_picks_its_implementation_exactly_where_it_holds() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("caps.yml");
    std::fs::write(&rules, rules_yaml()).unwrap();
    for (tree, holds, why) in TREES {
        let expected: BTreeSet<String> = holds.iter().map(|c| (*c).to_owned()).collect();
        assert_eq!(picked(&rules, tree), expected, "{tree}: {why}");
    }
    // Every capability is seen both holding and not.
    for name in CAPABILITIES {
        let holding = TREES.iter().filter(|(_, holds, _)| holds.contains(&name));
        assert!(holding.count() >= 1, "no tree where {name} holds");
        let not = TREES.iter().filter(|(_, holds, _)| !holds.contains(&name));
        assert!(not.count() >= 1, "no tree where {name} does not hold");
    }
    // Every tree under fixtures/caps is in the table.
    let on_disk: BTreeSet<String> = std::fs::read_dir(repo().join("fixtures/caps"))
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let listed: BTreeSet<String> = TREES.iter().map(|(t, _, _)| (*t).to_owned()).collect();
    assert_eq!(on_disk, listed);
}
