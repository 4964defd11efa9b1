//! Loader validation: every error names file:line:column and says what is wrong.

use super::*;
use std::collections::BTreeMap;

fn try_load(text: &str, overrides: &[(&str, &str)]) -> Result<RuleSet, String> {
    let sources = [RuleSource {
        name: "rules/x.yml".into(),
        text: text.to_owned(),
    }];
    let overrides: BTreeMap<String, String> = overrides
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    // Through a cache, so a text loaded twice is also checked as read back from it.
    load_with_cache(
        &sources,
        &vars_from(&overrides, &VarOrigin::CommandLine),
        Some(test_cache()),
        DialectChoice::Auto,
    )
    .map_err(|err| err.to_string())
}

/// A rule cache for this test process, under a temporary directory.
fn test_cache() -> &'static RuleCache {
    static CACHE: std::sync::OnceLock<(tempfile::TempDir, RuleCache)> = std::sync::OnceLock::new();
    let (_, cache) = CACHE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let cache = RuleCache::at(dir.path().join("rules")).unwrap();
        (dir, cache)
    });
    cache
}

#[track_caller]
fn error(text: &str) -> String {
    match try_load(text, &[]) {
        Ok(_) => panic!("loaded but should not:\n{text}"),
        Err(message) => message,
    }
}

const HEAD: &str = "id: r1\ntitle: t\nseverity: low\n";

#[test]
fn unknown_key_names_line_and_column() {
    let text = format!("{HEAD}check:\n  method: file_exists\n  path: /etc/x\n  pth: /etc/y\n");
    let message = error(&text);
    assert!(message.starts_with("rules/x.yml:7:3: "), "{message}");
    assert!(message.contains("unknown field `pth`"), "{message}");
    let message = error(&format!(
        "{HEAD}titel: typo\ncheck: {{ method: file_exists, path: /x }}\n"
    ));
    assert!(message.starts_with("rules/x.yml:4:1: "), "{message}");
    assert!(message.contains("unknown field `titel`"), "{message}");
}

#[test]
fn parameter_of_another_method_is_rejected() {
    let message = error(&format!(
        "{HEAD}check:\n  method: file_exists\n  path: /x\n  key: k\n"
    ));
    assert!(message.starts_with("rules/x.yml:"), "{message}");
    assert!(
        message.contains("`key` is not a parameter of method `file_exists`"),
        "{message}"
    );
    let message = error(&format!(
        "{HEAD}check: {{ method: config_value, path: /x }}\n"
    ));
    assert!(
        message.contains("method `config_value` needs `key`"),
        "{message}"
    );
}

#[test]
fn wrong_type_names_line_and_column() {
    let message = error(&format!(
        "{HEAD}check:\n  method: service_state\n  name: auditd\n  enabled: [yes]\n"
    ));
    assert!(message.starts_with("rules/x.yml:7:12: "), "{message}");
    assert!(message.contains("expected a boolean"), "{message}");
    let message =
        error("id: r1\ntitle: t\nseverity: huge\ncheck: { method: file_exists, path: /x }\n");
    assert!(message.starts_with("rules/x.yml:3:11: "), "{message}");
    assert!(message.contains("unknown variant `huge`"), "{message}");
}

#[test]
fn duplicate_id_points_at_both_definitions() {
    let text = "- id: dup\n  title: a\n  severity: low\n  check: { method: file_exists, path: /a }\n\
                - id: dup\n  title: b\n  severity: low\n  check: { method: file_exists, path: /b }\n";
    let message = error(text);
    assert_eq!(
        message,
        "rules/x.yml:5:3: duplicate rule id `dup` (first defined at rules/x.yml:1:3)"
    );
    // Across files, both locations are named.
    let one = RuleSource {
        name: "a.yml".into(),
        text: format!("{HEAD}check: {{ method: file_exists, path: /a }}\n"),
    };
    let two = RuleSource {
        name: "b.yml".into(),
        text: format!("# again\n{HEAD}check: {{ method: file_exists, path: /a }}\n"),
    };
    let message = load(&[one, two], &BTreeMap::new()).unwrap_err().to_string();
    assert_eq!(
        message,
        "b.yml:2:1: duplicate rule id `r1` (first defined at a.yml:1:1)"
    );
}

#[test]
fn bad_regex_is_rejected() {
    let message = error(&format!(
        "{HEAD}check: {{ method: file_content_match, path: /x, pattern: \"(unclosed\" }}\n"
    ));
    assert!(message.starts_with("rules/x.yml:1:1: "), "{message}");
    assert!(
        message.contains("`pattern` is not a valid regex"),
        "{message}"
    );
    let message = error(&format!(
        "{HEAD}check: {{ method: config_value, path: /x, key: k, expected: \"[\", comparator: regex }}\n"
    ));
    assert!(
        message.contains("`expected` is not a valid regex"),
        "{message}"
    );
    let message = error(&format!(
        "{HEAD}check: {{ method: config_value, path: /x, key: k, expected: no, comparator: \"<=\" }}\n"
    ));
    assert!(
        message.contains("comparator `<=` needs a numeric `expected`, not `no`"),
        "{message}"
    );
}

#[test]
fn unknown_method_lists_the_known_ones() {
    let message = error(&format!("{HEAD}check:\n  method: file_exist\n  path: /x\n"));
    assert!(message.starts_with("rules/x.yml:5:3: "), "{message}");
    assert!(
        message.contains("unknown method `file_exist` (known: command, file_exists"),
        "{message}"
    );
}

#[test]
fn unknown_capability_and_default_count() {
    let imp = |when: &str| format!("  - {when}\n    check: {{ method: file_exists, path: /x }}\n");
    let text = format!(
        "{HEAD}implementations:\n{}{}",
        imp("when: systemd_v2"),
        imp("default: true")
    );
    let message = error(&text);
    assert!(message.starts_with("rules/x.yml:"), "{message}");
    assert!(
        message.contains("unknown capability `systemd_v2` (known: apt,"),
        "{message}"
    );
    let text = format!(
        "{HEAD}implementations:\n{}{}",
        imp("default: true"),
        imp("default: true")
    );
    let message = error(&text);
    assert!(
        message.contains("rule `r1` has 2 default implementations"),
        "{message}"
    );
    let text = format!("{HEAD}implementations:\n{}", imp("when: sshd"));
    assert!(error(&text).contains("rule `r1` has 0 default implementations"));
    let text = format!(
        "{HEAD}implementations:\n{}",
        imp("when: sshd\n    default: true")
    );
    assert!(error(&text).contains("needs either `when: CAPABILITY` or `default: true`"));
}

#[test]
fn variables_and_overrides() {
    let text = format!(
        "{HEAD}vars: {{ max: 4 }}\ncheck: {{ method: config_value, path: /x, key: k, expected: \"{{{{ max }}}}\", comparator: \"<=\" }}\n"
    );
    let expected = |set: &RuleSet| match set.rules[0].implementations[0].check.leaves()[0] {
        Check::ConfigValue(c) => c.expectation.as_ref().map(|e| e.expected.clone()),
        other => panic!("not a config_value: {other:?}"),
    };
    let set = try_load(&text, &[]).unwrap();
    assert_eq!(expected(&set).as_deref(), Some("4"));
    assert_eq!(set.rules[0].vars.get("max").map(String::as_str), Some("4"));
    let set = try_load(&text, &[("max", "3"), ("other", "x")]).unwrap();
    assert_eq!(expected(&set).as_deref(), Some("3"));
    assert_eq!(set.rules[0].vars.get("other"), None);
    // An override still passes validation: `<=` needs a number.
    let message = try_load(&text, &[("max", "lots")]).unwrap_err();
    assert!(
        message.contains("needs a numeric `expected`, not `lots`"),
        "{message}"
    );

    let text = format!("{HEAD}check: {{ method: file_exists, path: \"/etc/{{{{ dir }}}}/x\" }}\n");
    let message = try_load(&text, &[]).unwrap_err();
    assert_eq!(
        message,
        "rules/x.yml:1:1: undefined variable `dir` (define it in the rule's `vars` or pass --var dir=VALUE)"
    );
    // A --var defines a name the rule does not declare.
    let set = try_load(&text, &[("dir", "ssh")]).unwrap();
    match set.rules[0].implementations[0].check.leaves()[0] {
        Check::FileExists { path } => assert_eq!(path, "/etc/ssh/x"),
        other => panic!("not file_exists: {other:?}"),
    }
}

#[test]
fn parameter_values_are_validated() {
    let cases = [
        (
            "{ method: file_permission, path: /x, mode: \"0988\" }",
            "`mode` `0988` has a digit that is not octal (0-7)",
        ),
        (
            "{ method: config_value, path: /x, key: k, occurrence: middle }",
            "`occurrence` must be one of first, last, not `middle`",
        ),
        (
            "{ method: config_value, path: /x, key: k, delimiter: \"::\" }",
            "`delimiter` must be one character",
        ),
        (
            "{ method: config_value, path: /x, key: k, missing: skip }",
            "`missing` must be one of fail, pass, not `skip`",
        ),
        (
            "{ method: command, run: x, timeout: 5h }",
            "`timeout` must look like 30, 30s or 2m, not `5h`",
        ),
        (
            "{ method: sysctl_value, key: ../../etc/passwd, expected: 1 }",
            "`key` is not a sysctl name",
        ),
        (
            "{ method: selinux_state, expected: on }",
            "`expected` must be one of enforcing, permissive, disabled, not `on`",
        ),
        (
            "{ method: file_exists, path: [/a, /b] }",
            "method `file_exists` takes one `path`, not a list",
        ),
        (
            "{ method: file_content, path: /x, contains: a, not_contains: b }",
            "file_content needs exactly one of `contains` or `not_contains`",
        ),
        (
            "{ method: service_state, name: auditd }",
            "service_state needs at least one of `enabled`, `active`, `masked`",
        ),
        ("{ checks: [] }", "`checks`/`any` needs at least one check"),
    ];
    for (check, wanted) in cases {
        let message = error(&format!("{HEAD}check: {check}\n"));
        assert!(message.starts_with("rules/x.yml:"), "{message}");
        assert!(message.contains(wanted), "{check}: {message}");
    }
}

#[test]
fn values_are_quoted_in_shell_text_only() {
    let text = format!(
        "{HEAD}vars: {{ who: root }}\nchecks:\n  - {{ method: command, run: \"id -u {{{{ who }}}}\" }}\n  \
         - {{ method: set_compare, observed_command: \"getent group {{{{ who }}}}\", authorized: [x] }}\n  \
         - {{ method: file_exists, path: \"/home/{{{{ who }}}}\" }}\n"
    );
    let set = try_load(&text, &[("who", "a'b c")]).unwrap();
    let leaves = set.rules[0].implementations[0].check.leaves();
    match (leaves[0], leaves[1], leaves[2]) {
        (
            Check::Command(command),
            Check::SetCompare {
                observed_command, ..
            },
            Check::FileExists { path },
        ) => {
            assert_eq!(command.run, r"id -u 'a'\''b c'");
            assert_eq!(observed_command, r"getent group 'a'\''b c'");
            assert_eq!(path, "/home/a'b c");
        }
        other => panic!("unexpected checks: {other:?}"),
    }
}

#[test]
fn identifiers_are_checked_where_they_are_written() {
    for (method, field, bad) in [
        ("service_state", "name", "x.service;id"),
        ("package_state", "name", "a b"),
        ("kernel_module_state", "name", "usb$(id)"),
        ("sysctl_value", "key", "net.ipv4 ip_forward"),
    ] {
        let extra = match method {
            "service_state" => "enabled: false",
            "kernel_module_state" => "state: disabled",
            "sysctl_value" => "expected: 0",
            _ => "state: present",
        };
        let text = format!("{HEAD}check:\n  method: {method}\n  {field}: \"{bad}\"\n  {extra}\n");
        let message = error(&text);
        // The error points at the check mapping that holds the name.
        assert!(
            message.starts_with("rules/x.yml:5:3: check: ") && message.contains(bad),
            "{method}: {message}"
        );
    }
}

#[test]
fn the_embedded_pack_is_within_the_yaml_bounds_it_is_spared_at_run_time() {
    for source in crate::rules::embedded_sources() {
        assert!(crate::rules::is_embedded(&source), "{}", source.name);
        crate::yaml_bounds::check(&source.text, crate::yaml_bounds::Aliases::Bounded)
            .unwrap_or_else(|refusal| panic!("{}: {}", source.name, refusal.message));
        // Only the exact compiled-in text is spared.
        let edited = RuleSource {
            name: source.name.clone(),
            text: format!("{}\n", source.text),
        };
        assert!(!crate::rules::is_embedded(&edited));
    }
}

/// Issue 13 §1: every way to write a mode is read as meant, and an ambiguous one is an error at
/// its own line and column.
mod fidelity {
    use super::*;

    fn mode_of(written: &str) -> Result<u32, String> {
        let text =
            format!("{HEAD}check:\n  method: file_permission\n  path: /x\n  mode: {written}\n");
        let set = try_load(&text, &[])?;
        match set.rules[0].implementations[0].check.leaves()[0] {
            Check::FilePermission(check) => Ok(check.mode.unwrap()),
            other => panic!("not file_permission: {other:?}"),
        }
    }

    #[test]
    fn every_written_form_of_a_mode_reads_as_meant() {
        for written in [
            "'0640'", "\"0640\"", "0640", "\"640\"", "'640'", "640", "0o640", "'0o640'", "00640",
        ] {
            assert_eq!(mode_of(written), Ok(0o640), "{written}");
        }
        assert_eq!(mode_of("0o1777"), Ok(0o1777));
        assert_eq!(mode_of("2755"), Ok(0o2755));
        assert_eq!(mode_of("0"), Ok(0));
        assert_eq!(mode_of("'0600'"), Ok(0o600));
        // Explicit octal is taken as written, however unusual.
        assert_eq!(mode_of("0416"), Ok(0o416));
        assert_eq!(mode_of("0o416"), Ok(0o416));
        // Through a variable too.
        let text = format!(
            "{HEAD}vars: {{ m: '0o750' }}\ncheck: {{ method: file_permission, path: /x, mode: '{{{{ m }}}}' }}\n"
        );
        match try_load(&text, &[]).unwrap().rules[0].implementations[0]
            .check
            .leaves()[0]
        {
            Check::FilePermission(check) => assert_eq!(check.mode, Some(0o750)),
            other => panic!("not file_permission: {other:?}"),
        }
    }

    #[test]
    fn a_wrong_or_ambiguous_mode_is_an_error_at_its_line_and_column() {
        for (written, wanted) in [
            ("800", "`mode` `800` has a digit that is not octal"),
            ("'0800'", "`mode` `0800` has a digit that is not octal"),
            ("0o800", "`mode` `0o800` has a digit that is not octal"),
            // What a YAML dumper writes for 0o640: as chmod digits it is 0416.
            (
                "416",
                "`mode` `416` is ambiguous: chmod digits 0416, an unusual mask, or the decimal number 416 = 0640",
            ),
            ("\"420\"", "`mode` `420` is ambiguous"),
            ("44", "`mode` `44` is ambiguous"),
            ("0x1a0", "`mode` `0x1a0` is not a permission mode"),
            ("-640", "`mode` `-640` is not a permission mode"),
            ("6.4", "`mode` `6.4` is not a permission mode"),
            ("017777", "`mode` `017777` is larger than 07777"),
        ] {
            let message = mode_of(written).unwrap_err();
            assert!(
                message.starts_with("rules/x.yml:7:9: "),
                "{written}: {message}"
            );
            assert!(message.contains(wanted), "{written}: {message}");
        }
        // In a flow mapping, the column is the value's.
        let message = error(&format!(
            "{HEAD}check: {{ method: file_permission, path: /x, mode: 0o9 }}\n"
        ));
        assert!(message.starts_with("rules/x.yml:4:51: "), "{message}");
        // Non-numeric text is left to the method: set_compare's mode still loads.
        let text = format!(
            "{HEAD}check: {{ method: set_compare, observed_command: x, authorized: [a], mode: equal }}\n"
        );
        assert!(try_load(&text, &[]).is_ok());
        let message = error(&format!(
            "{HEAD}check: {{ method: file_permission, path: /x, mode: rw-r----- }}\n"
        ));
        assert!(
            message.contains("`mode` `rw-r-----` is not a permission mode"),
            "{message}"
        );
    }
}

#[test]
fn profiles_and_notes_load_and_profile_names_are_checked() {
    let set = try_load(
        &format!(
            "{HEAD}profiles: [cis_l1_server, cis_l2_server]\nnotes: absent means the default\ncheck: {{ method: file_exists, path: /x }}\n"
        ),
        &[],
    )
    .unwrap();
    assert_eq!(set.rules[0].profiles, ["cis_l1_server", "cis_l2_server"]);
    assert_eq!(set.rules[0].notes, "absent means the default");
    for bad in ["CIS_L1", "cis-l1", "''", "l1 server"] {
        let message = error(&format!(
            "{HEAD}profiles: [{bad}]\ncheck: {{ method: file_exists, path: /x }}\n"
        ));
        assert!(message.starts_with("rules/x.yml:1:1: "), "{message}");
        assert!(message.contains("is not a profile name"), "{message}");
    }
}

#[test]
fn a_profile_selects_its_rules_and_an_unknown_one_names_the_known() {
    let text = "- { id: a, title: a, severity: low, profiles: [p1], check: { method: file_exists, path: /a } }\n\
                - { id: b, title: b, severity: low, profiles: [p1, p2], tags: [t], check: { method: file_exists, path: /b } }\n\
                - { id: c, title: c, severity: low, check: { method: file_exists, path: /c } }\n";
    let set = try_load(text, &[]).unwrap();
    let ids = |selection: Selection| -> Vec<String> {
        selection
            .apply(set.clone())
            .unwrap()
            .rules
            .into_iter()
            .map(|r| r.id)
            .collect()
    };
    let profile = |names: &[&str]| Selection {
        profiles: names.iter().map(|n| (*n).to_owned()).collect(),
        ..Selection::default()
    };
    assert_eq!(ids(profile(&["p1"])), ["a", "b"]);
    assert_eq!(ids(profile(&["p2"])), ["b"]);
    assert_eq!(
        ids(Selection {
            tags: vec!["t".into()],
            ..profile(&["p1"])
        }),
        ["b"]
    );
    let message = profile(&["p1", "p3"]).apply(set.clone()).unwrap_err();
    assert_eq!(message, "unknown profile `p3`; known profiles: p1, p2");
    // A profile scan is a full scan of its own rule source.
    assert_eq!(profile(&["p2", "p1"]).scope(), crate::store::Scope::Full);
    assert_eq!(
        profile(&["p2", "p1", "p2"]).source_name("embedded"),
        "embedded\nprofiles:p1,p2"
    );
}

/// Twenty files, enough YAML for loading to use threads; `broken` replaces some files' text.
fn many_files(broken: &[(usize, &str)]) -> Result<RuleSet, String> {
    let padding = "x".repeat(15_000);
    let sources: Vec<RuleSource> = (0..20)
        .map(|file| {
            let text = broken
                .iter()
                .find(|(at, _)| *at == file)
                .map(|(_, text)| (*text).to_owned())
                .unwrap_or_else(|| {
                    format!(
                        "- id: r{file}\n  title: t\n  description: {padding}\n  severity: low\n  check: {{ method: file_exists, path: /x }}\n"
                    )
                });
            RuleSource {
                name: format!("rules/{file:02}.yml"),
                text,
            }
        })
        .collect();
    load_with_cache(
        &sources,
        &Vars::new(),
        Some(test_cache()),
        DialectChoice::Auto,
    )
    .map_err(|err| err.to_string())
}

#[test]
fn loading_on_threads_reports_the_error_a_file_by_file_load_meets_first() {
    assert_eq!(many_files(&[]).unwrap().rules.len(), 20);
    let invalid = "- id: bad\n  title: t\n  severity: low\n  check: { method: file_exists, path: [/a, /b] }\n";
    let duplicate =
        "- id: r1\n  title: t\n  severity: low\n  check: { method: file_exists, path: /x }\n";
    let unparsable = "- id: [\n";
    // A duplicate in file 8 comes after an invalid rule in file 5 ...
    let message = many_files(&[(5, invalid), (8, duplicate)]).unwrap_err();
    assert!(message.starts_with("rules/05.yml:1:"), "{message}");
    assert!(message.contains("takes one `path`"), "{message}");
    // ... and before one in file 9, or a file that does not parse.
    for later in [invalid, unparsable] {
        let message = many_files(&[(8, duplicate), (9, later)]).unwrap_err();
        assert!(
            message.starts_with("rules/08.yml:1:")
                && message.contains("duplicate rule id `r1` (first defined at rules/01.yml:1:3)"),
            "{message}"
        );
    }
    let message = many_files(&[(3, unparsable), (8, duplicate)]).unwrap_err();
    assert!(message.starts_with("rules/03.yml:"), "{message}");
}

/// The embedded pack under names from outside, so the cache takes it.
fn pack_from_outside() -> Vec<RuleSource> {
    embedded_sources()
        .into_iter()
        .map(|source| RuleSource {
            name: source.name.replace("<embedded>/", "site/"),
            text: source.text,
        })
        .collect()
}

fn entries(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    found.sort();
    found
}

#[test]
fn a_pack_read_back_from_the_cache_loads_as_the_parsed_pack() {
    let dir = tempfile::tempdir().unwrap();
    let cache = RuleCache::at(dir.path().join("c")).unwrap();
    let sources = pack_from_outside();
    let vars = Vars::new();
    let parsed = format!(
        "{:?}",
        load_with_cache(&sources, &vars, None, DialectChoice::Auto).unwrap()
    );
    let filling = format!(
        "{:?}",
        load_with_cache(&sources, &vars, Some(&cache), DialectChoice::Auto).unwrap()
    );
    assert_eq!(
        entries(cache.dir()).len(),
        sources.len(),
        "one entry per file"
    );
    let cached = format!(
        "{:?}",
        load_with_cache(&sources, &vars, Some(&cache), DialectChoice::Auto).unwrap()
    );
    assert_eq!(parsed, filling);
    assert_eq!(parsed, cached);
    // Variables are applied after the cache: an override reaches a cached rule.
    let overrides = vars_from(
        &BTreeMap::from([(
            "permit_root_login".to_owned(),
            "prohibit-password".to_owned(),
        )]),
        &VarOrigin::CommandLine,
    );
    assert_eq!(
        format!(
            "{:?}",
            load_with_cache(&sources, &overrides, None, DialectChoice::Auto).unwrap()
        ),
        format!(
            "{:?}",
            load_with_cache(&sources, &overrides, Some(&cache), DialectChoice::Auto).unwrap()
        )
    );
}

#[test]
fn a_cache_entry_is_used_only_when_private_and_whole() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let cache = RuleCache::at(dir.path().join("c")).unwrap();
    let text = format!("{HEAD}check: {{ method: file_exists, path: /etc/x }}\n");
    let sources = [RuleSource {
        name: "site/one.yml".into(),
        text,
    }];
    let title = |cache: Option<&RuleCache>| {
        load_with_cache(&sources, &Vars::new(), cache, DialectChoice::Auto)
            .unwrap()
            .rules[0]
            .title
            .clone()
    };
    assert_eq!(title(Some(&cache)), "t");
    let [entry] = entries(cache.dir()).try_into().unwrap();
    // An entry edited in place is what is loaded: this proves the cache is read at all.
    let original = std::fs::read_to_string(&entry).unwrap();
    std::fs::write(
        &entry,
        original.replace(r#""title":"t""#, r#""title":"from cache""#),
    )
    .unwrap();
    assert_eq!(title(Some(&cache)), "from cache");
    // Writable by others: not trusted, the file is parsed instead.
    std::fs::set_permissions(&entry, std::fs::Permissions::from_mode(0o666)).unwrap();
    assert_eq!(title(Some(&cache)), "t");
    // A symlink in its place is not followed.
    std::fs::remove_file(&entry).unwrap();
    let elsewhere = dir.path().join("elsewhere.json");
    std::fs::write(
        &elsewhere,
        original.replace(r#""title":"t""#, r#""title":"linked""#),
    )
    .unwrap();
    std::os::unix::fs::symlink(&elsewhere, &entry).unwrap();
    assert_eq!(title(Some(&cache)), "t");
    // Damaged, or holding a rule the YAML path would refuse: parsed instead.
    std::fs::remove_file(&entry).unwrap();
    for damaged in [
        original[..original.len() / 2].to_owned(),
        original.replace(r#""method":"file_exists""#, r#""method":"rm_rf""#),
        original.replace(r#""key":""#, r#""key":"0"#),
    ] {
        std::fs::write(&entry, damaged).unwrap();
        assert_eq!(title(Some(&cache)), "t");
    }
    // A directory others may write to is no cache at all.
    let open = dir.path().join("open");
    std::fs::create_dir(&open).unwrap();
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
    assert!(RuleCache::at(open).is_none());
}

#[test]
fn rules_come_out_sorted_by_id_whatever_the_file_order() {
    let ids = ["m", "c", "x", "a", "q", "b", "z", "k"];
    let text: String = ids
        .iter()
        .map(|id| format!("- id: {id}\n  title: t\n  severity: low\n  check: {{ method: file_exists, path: /x }}\n"))
        .collect();
    let set = try_load(&text, &[]).unwrap();
    let loaded: Vec<&str> = set.rules.iter().map(|rule| rule.id.as_str()).collect();
    let mut sorted = ids.to_vec();
    sorted.sort_unstable();
    assert_eq!(loaded, sorted);
}
