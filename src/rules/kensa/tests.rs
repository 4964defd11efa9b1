//! The Kensa loader: what each Kensa shape becomes in the model, with Kensa's flags set.
//! Verdicts on fixture trees are in tests/kensa_dialect.rs.

use super::DialectChoice;
use crate::rules::vars_file::read_vars_file;
use crate::rules::*;
use std::path::{Path, PathBuf};

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/kensa")
        .join(path)
}

fn fixture_vars() -> Vars {
    read_vars_file(&fixture("vars.yml")).unwrap()
}

fn load_paths(paths: &[&str], dialect: DialectChoice) -> RuleSet {
    let paths: Vec<PathBuf> = paths.iter().map(|p| fixture(p)).collect();
    load_as(&read_sources(&paths).unwrap(), &fixture_vars(), dialect).unwrap()
}

fn rule<'a>(set: &'a RuleSet, id: &str) -> &'a Rule {
    set.rules
        .iter()
        .find(|rule| rule.id == id)
        .unwrap_or_else(|| panic!("{id} is loaded"))
}

fn only_check(rule: &Rule) -> &Check {
    let checks: Vec<&Check> = rule.all_checks().collect();
    assert_eq!(checks.len(), 1, "{}", rule.id);
    checks[0]
}

/// A Kensa rule file holding one default implementation with `check` (YAML, indented 6).
fn kensa_text(check: &str) -> String {
    format!(
        "id: kx-inline\ntitle: Inline\nseverity: low\ncategory: kx-tests\nimplementations:\n  - default: true\n    check:\n{}",
        check
            .lines()
            .map(|line| format!("      {line}\n"))
            .collect::<String>()
    )
}

fn load_text(text: &str, vars: &Vars) -> Result<RuleSet, String> {
    let source = RuleSource {
        name: "inline.yml".into(),
        text: text.to_owned(),
    };
    load_as(&[source], vars, DialectChoice::Auto).map_err(|err| err.to_string())
}

fn inline_check(check: &str) -> Check {
    let set = load_text(&kensa_text(check), &fixture_vars()).unwrap();
    only_check(&set.rules[0]).clone()
}

fn config(check: &Check) -> &ConfigValueCheck {
    match check {
        Check::ConfigValue(config) => config,
        other => panic!("not config_value: {other:?}"),
    }
}

#[test]
fn a_mixed_directory_reads_each_file_in_its_own_dialect() {
    let set = load_paths(&["mixed"], DialectChoice::Auto);
    let plumb = rule(&set, "kx-plumb-retries");
    let kensa = rule(&set, "kx-kensa-retries");
    assert_eq!(
        (plumb.dialect, kensa.dialect),
        (Dialect::Plumb, Dialect::Kensa)
    );
    assert!(plumb.metadata.is_none());
    let (p, k) = (config(only_check(plumb)), config(only_check(kensa)));
    assert_eq!(p.delimiter, Delimiter::Whitespace);
    assert_eq!(k.delimiter, Delimiter::Char('='));
    assert_eq!(
        (p.occurrence, k.occurrence),
        (Occurrence::Last, Occurrence::First)
    );
    let insensitive = |c: &ConfigValueCheck| c.expectation.as_ref().unwrap().case_insensitive;
    assert_eq!((insensitive(p), insensitive(k)), (false, true));
    assert_eq!((p.keep_quotes, k.keep_quotes), (false, true));
    assert_eq!((p.bare_key_is_empty, k.bare_key_is_empty), (false, true));
}

#[test]
fn the_dialect_flag_forces_one_reading() {
    // No Kensa-only key: `auto` reads it as plumb's.
    let auto = load_paths(&["plain"], DialectChoice::Auto);
    let forced = load_paths(&["plain"], DialectChoice::Kensa);
    assert_eq!(auto.rules[0].dialect, Dialect::Plumb);
    assert_eq!(forced.rules[0].dialect, Dialect::Kensa);
    assert_eq!(
        config(only_check(&auto.rules[0])).delimiter,
        Delimiter::Whitespace
    );
    assert_eq!(
        config(only_check(&forced.rules[0])).delimiter,
        Delimiter::Char('=')
    );
    // A Kensa file read as plumb's is refused at its Kensa-only key.
    let paths = [fixture("mixed/kensa-side.yml")];
    let err = load_as(
        &read_sources(&paths).unwrap(),
        &fixture_vars(),
        DialectChoice::Plumb,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("kensa-side.yml:7:1") && err.contains("`category`"),
        "{err}"
    );
}

#[test]
fn config_value_dropin_dir_reads_the_directory_last_wins() {
    let set = load_paths(&["rules"], DialectChoice::Auto);
    let check = only_check(rule(&set, "kx-min-length-dropin"));
    let config = config(check);
    let dropins = config.dropins.as_ref().expect("drop-ins");
    assert_eq!(dropins.order, DropInOrder::Plain);
    assert_eq!(dropins.dirs, ["/etc/kx/pw.conf.d"]);
    assert_eq!(config.paths, ["/etc/kx/pw.conf"]);
    assert_eq!(config.scan_pattern, "*.conf");
    assert_eq!(config.occurrence, Occurrence::Last);
    // The variable came from the vars file (Kensa's `variables:` shape).
    assert_eq!(config.expectation.as_ref().unwrap().expected, "12");
}

#[test]
fn file_permission_is_exact_and_does_not_follow_symlinks() {
    let set = load_paths(&["rules"], DialectChoice::Auto);
    match only_check(rule(&set, "kx-link-mode")) {
        Check::FilePermission(permission) => {
            assert_eq!(permission.mode, Some(0o644));
            assert!(permission.exact_mode && !permission.follow_symlinks);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn kernel_module_disabled_passes_when_unshipped_blacklisted_does_not() {
    let set = load_paths(&["rules"], DialectChoice::Auto);
    for id in ["kx-module-unshipped", "kx-module-shipped"] {
        match only_check(rule(&set, id)) {
            Check::KernelModuleState {
                state,
                unshipped_passes,
                ..
            } => assert_eq!((*state, *unshipped_passes), (ModuleState::Disabled, true)),
            other => panic!("{other:?}"),
        }
    }
    match inline_check("method: kernel_module_state\nname: kxfs\nstate: blacklisted") {
        Check::KernelModuleState {
            state,
            unshipped_passes,
            ..
        } => assert_eq!((state, unshipped_passes), (ModuleState::Blacklisted, false)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn when_all_any_nest_and_no_default_implementation_is_added() {
    let set = load_paths(&["rules"], DialectChoice::Auto);
    let rule = rule(&set, "kx-display-manager-only");
    let whens: Vec<Option<&When>> = rule
        .implementations
        .iter()
        .map(|i| i.when.as_ref())
        .collect();
    assert_eq!(
        whens,
        [
            Some(&When::Has(Capability::Gdm)),
            Some(&When::All(vec![
                When::Has(Capability::Authselect),
                When::Any(vec![
                    When::Has(Capability::Sssd),
                    When::Has(Capability::PamFaillock)
                ]),
            ])),
        ]
    );
}

#[test]
fn the_default_implementation_goes_last_and_an_unconditional_one_ends_the_list() {
    let text = "id: kx-order\ntitle: Order\nseverity: low\ncategory: kx-tests\nimplementations:\n  - default: true\n    check: {method: file_exists, path: /d}\n  - when: apt\n    check: {method: file_exists, path: /a}\n  - check: {method: file_exists, path: /u}\n  - when: dnf\n    check: {method: file_exists, path: /n}\n";
    let set = load_text(text, &Vars::new()).unwrap();
    let paths: Vec<(Option<String>, String)> = set.rules[0]
        .implementations
        .iter()
        .map(|i| {
            let path = match i.check.leaves()[0] {
                Check::FileExists { path } => path.clone(),
                other => panic!("{other:?}"),
            };
            (i.when.as_ref().map(ToString::to_string), path)
        })
        .collect();
    assert_eq!(
        paths,
        [(Some("apt".into()), "/a".into()), (None, "/u".into())]
    );
}

#[test]
fn metadata_keeps_kensa_only_keys_and_references_keep_their_shape() {
    let set = load_paths(&["rules"], DialectChoice::Auto);
    let rule = rule(&set, "kx-retries-limited");
    let metadata: serde_json::Value =
        serde_json::from_str(rule.metadata.as_ref().unwrap().get()).unwrap();
    assert_eq!(
        metadata,
        serde_json::json!({
            "category": "kx-tests",
            "transactional": false,
            "depends_on": ["kx-mode-strict"],
            "implementations": [{
                "default": true,
                "remediation": {"mechanism": "manual", "note": "Adjust the kx configuration by hand."}
            }]
        })
    );
    assert_eq!(rule.references()["stig"]["kx1"]["stig_id"], "KX-01-000001");
    assert_eq!(
        rule.vars.get("kx_max_retries").map(String::as_str),
        Some("5")
    );
}

#[test]
fn parameter_aliases_and_shapes_map_to_plumbs_methods() {
    match inline_check("method: grub_parameter\nkey: audit\nexpected: \"1\"") {
        Check::GrubParameter {
            name,
            value,
            present,
            default_grub_only,
        } => assert_eq!(
            (name.as_str(), value.as_deref(), present, default_grub_only),
            ("audit", Some("1"), true, true)
        ),
        other => panic!("{other:?}"),
    }
    match inline_check(
        "method: set_compare\nobserved_command: \"cut -d: -f1,3 /etc/passwd\"\nauthorized: \"{{ kx_allowed_users }}\"\nalias_separator: \":\"",
    ) {
        Check::SetCompare {
            authorized,
            alias_separator,
            equal,
            empty_authorized_skips,
            ..
        } => {
            assert_eq!(authorized, ["1001", "alice"]);
            assert!(
                empty_authorized_skips,
                "an undeclared set is not assessable"
            );
            assert_eq!(alias_separator.as_deref(), Some(":"));
            assert!(!equal, "only unauthorized members fail");
        }
        other => panic!("{other:?}"),
    }
    match inline_check("method: selinux_state\nstate: Enforcing") {
        Check::SelinuxState {
            expected,
            running_only,
        } => assert_eq!((expected.as_str(), running_only), ("enforcing", true)),
        other => panic!("{other:?}"),
    }
    match inline_check("method: systemd_target\nnot_expected: graphical.target") {
        Check::SystemdTarget { expected, equal } => {
            assert_eq!((expected.as_str(), equal), ("graphical.target", false))
        }
        other => panic!("{other:?}"),
    }
    match inline_check("method: command\nrun: \"true\"\nexpected_stdout: \"\"") {
        Check::Command(command) => {
            assert!(command.stdout_empty && command.expected_stdout.is_none())
        }
        other => panic!("{other:?}"),
    }
    match inline_check("method: file_content\npath: /etc/kx/auth.conf\nexpected_content: audit") {
        Check::FileContent {
            needle,
            present,
            any_line,
            ..
        } => assert_eq!((needle.as_str(), present, any_line), ("audit", true, true)),
        other => panic!("{other:?}"),
    }
    match inline_check("method: sshd_effective_config\nkey: PermitRootLogin\nexpected: \"no\"") {
        Check::SshdEffectiveConfig {
            key,
            expectation,
            first_wins,
            failure_fails,
        } => {
            assert_eq!(key, "permitrootlogin");
            assert!(expectation.case_insensitive && first_wins && failure_fails);
        }
        other => panic!("{other:?}"),
    }
    match inline_check("method: package_absent\nname: telnet") {
        Check::PackageState { name, present } => {
            assert_eq!((name.as_str(), present), ("telnet", false))
        }
        other => panic!("{other:?}"),
    }
    match inline_check("method: service_enabled\nname: auditd") {
        Check::ServiceState(service) => {
            assert_eq!((service.enabled, service.active), (Some(true), None));
            assert!(service.static_counts_enabled);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_multi_line_audit_rule_needs_every_line() {
    let set = load_text(
        &kensa_text("method: audit_rule_exists\nrule: |\n  -w /etc/kx -p wa -k kx\n  # a comment\n  -w /etc/kx2 -p wa -k kx"),
        &Vars::new(),
    )
    .unwrap();
    let checks: Vec<&Check> = set.rules[0].all_checks().collect();
    match checks.as_slice() {
        [Check::AuditRuleExists(AuditMatch::Loaded(lines))] => {
            assert_eq!(
                lines,
                &["-w /etc/kx -p wa -k kx", "-w /etc/kx2 -p wa -k kx"]
            )
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn what_kensa_does_not_accept_is_refused_where_it_is_written() {
    let refused = |check: &str| load_text(&kensa_text(check), &fixture_vars()).unwrap_err();
    let err = refused("method: config_value\npath: /x\nkey: k\nexpected: a\ncomparator: regex");
    assert!(err.contains("`comparator` must be one of"), "{err}");
    // Kensa's file_content reads `expected_content` only.
    let err = refused("method: file_content\npath: /x\nnot_expected: a");
    assert!(err.starts_with("inline.yml:8:"), "{err}");
    let err = refused("method: config_value\npath: /x\nkey: k");
    assert!(err.contains("needs `expected`"), "{err}");
    let err = refused("method: file_permission\npath: /x\nmode: \"0640\"\nstate: present");
    assert!(
        err.contains("`state` is not a parameter of Kensa method `file_permission`"),
        "{err}"
    );
    let text = "id: kx-not\ntitle: Not\nseverity: low\ncategory: kx-tests\nimplementations:\n  - when: {not: apt}\n    check: {method: file_exists, path: /x}\n";
    let err = load_text(text, &Vars::new()).unwrap_err();
    assert!(
        err.starts_with("inline.yml:6:") && err.contains("not supported"),
        "{err}"
    );
}
