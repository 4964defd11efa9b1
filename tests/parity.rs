//! The design's guard: the native executor and the shell executor (under dash, bash and
//! busybox sh) gather identical facts and give identical results, on every fixture host and on
//! the machine running the tests.

mod support;

use plumb::eval::{self, EvalOptions};
use plumb::probe::{self, Facts, ProbePlan};
use plumb::rules::{self, Capability, RuleSet};
use std::collections::BTreeMap;
use std::path::Path;

/// Methods the default pack uses rarely or not at all, so every method crosses both executors.
const EVERY_METHOD: &str = r#"
- id: parity-sshd-effective
  title: sshd -T
  severity: low
  check: { method: sshd_effective_config, key: permitrootlogin, expected: "no", comparator: "!=" }
- id: parity-file-content
  title: file_content
  severity: low
  checks:
    - { method: file_content, path: /etc/os-release, contains: "ID=" }
    - { method: file_content, path: /etc/passwd, not_contains: "no-such-user-here" }
- id: parity-command-output
  title: command with output
  severity: low
  check: { method: command, run: "uname -s; echo to-stderr >&2; exit 3", expected_exit: 3, stdout_regex: "Linux" }
- id: parity-set-compare
  title: set_compare
  severity: low
  check: { method: set_compare, observed_command: "cut -d: -f1 /etc/passwd", authorized: [root], mode: subset }
- id: parity-file-exists-glob
  title: file_exists on a glob
  severity: low
  check: { method: file_exists, path: "/etc/*.conf" }
- id: parity-systemd-target
  title: systemd_target
  severity: low
  check: { method: systemd_target, expected: multi-user.target }
- id: parity-apparmor
  title: apparmor_state
  severity: low
  check: { method: apparmor_state, expected: enabled }
- id: parity-accounts
  title: accounts, every fact it reads
  severity: low
  checks:
    - { method: accounts, predicate: shadow_last_change_past }
    - { method: accounts, predicate: no_forbidden_dot_files }
- id: parity-config-line
  title: config_line
  severity: low
  check: { method: config_line, paths: [/etc/sudoers, /etc/sudoers.d], scan_pattern: "*", pattern: NOPASSWD, expect: no_match }
- id: parity-not-loadable
  title: kernel_module_state not_loadable
  severity: low
  check: { method: kernel_module_state, name: cramfs, state: not_loadable }
- id: parity-capabilities
  title: the capabilities that read more than a marker path (files, unit links, systemd)
  severity: low
  implementations:
    - { when: sssd_configured, check: { method: file_exists, path: /etc/sssd/sssd.conf } }
    - { when: directory_joined, check: { method: file_exists, path: /etc/nsswitch.conf } }
    - { when: nftables_active, check: { method: file_exists, path: /etc/nftables.conf } }
    - { when: rsyslog_active, check: { method: file_exists, path: /etc/rsyslog.conf } }
    - { default: true, check: { method: file_exists, path: / } }
"#;

fn pack() -> RuleSet {
    let mut sources =
        rules::read_sources(&[support::fixtures::repo().join("fixtures/rules")]).unwrap();
    sources.push(rules::RuleSource {
        name: "parity-extra.yml".into(),
        text: EVERY_METHOD.into(),
    });
    rules::load(&sources, &BTreeMap::new()).unwrap()
}

#[test]
fn the_parity_rules_cover_every_method() {
    let used: std::collections::BTreeSet<&str> = pack()
        .rules
        .iter()
        .flat_map(|r| r.all_checks().map(|c| c.method()))
        .collect();
    for method in [
        "command",
        "file_exists",
        "file_absent",
        "file_permission",
        "file_content",
        "file_content_match",
        "config_value",
        "config_line",
        "accounts",
        "sshd_effective_config",
        "sysctl_value",
        "package_state",
        "service_state",
        "kernel_module_state",
        "mount_option",
        "grub_parameter",
        "audit_rule_exists",
        "set_compare",
        "systemd_target",
        "selinux_state",
        "apparmor_state",
    ] {
        assert!(used.contains(method), "no parity rule uses {method}");
    }
}

fn shells() -> Vec<Vec<&'static str>> {
    let mut shells = vec![vec!["/bin/sh", "-s"]];
    for (path, cmd) in [
        ("/bin/dash", vec!["/bin/dash", "-s"]),
        ("/bin/bash", vec!["/bin/bash", "-s"]),
        ("/bin/busybox", vec!["/bin/busybox", "sh", "-s"]),
    ] {
        if Path::new(path).exists() {
            shells.push(cmd);
        } else {
            eprintln!("{path} is not installed; .ci/run installs it");
        }
    }
    shells
}

fn assert_same_facts(native: &Facts, shell: &Facts, what: &str) {
    // Compare piecewise first, so a failure names the fact that differs.
    for (path, fact) in &native.files {
        assert_eq!(Some(fact), shell.files.get(path), "{what}: file {path}");
    }
    for (pattern, entries) in &native.stats {
        assert_eq!(
            Some(entries),
            shell.stats.get(pattern),
            "{what}: stat {pattern}"
        );
    }
    for (dir, listings) in &native.dirs {
        assert_eq!(Some(listings), shell.dirs.get(dir), "{what}: dir {dir}");
    }
    for (run, fact) in &native.commands {
        assert_eq!(Some(fact), shell.commands.get(run), "{what}: command {run}");
    }
    assert_eq!(native.packages, shell.packages, "{what}: packages");
    assert_eq!(native.units, shell.units, "{what}: units");
    assert_eq!(native.epoch_day, shell.epoch_day, "{what}: clock");
    assert_eq!(
        native.kernel_modules, shell.kernel_modules,
        "{what}: kernel modules"
    );
    assert_eq!(native, shell, "{what}: facts");
}

fn check_parity(rules: &RuleSet, root: &Path, offline: bool, what: &str) {
    let plan = ProbePlan::for_rules(rules, offline);
    let (native, _) = probe::native::gather(&plan, root);
    let native_results = eval::evaluate_all(rules, &native, &EvalOptions::default()).0;
    for shell in shells() {
        let label = format!("{what} via {}", shell.join(" "));
        let facts = probe::shell::gather_with(&plan, root, &shell)
            .unwrap_or_else(|err| panic!("{label}: {err}"));
        assert_same_facts(&native, &facts, &label);
        let results = eval::evaluate_all(rules, &facts, &EvalOptions::default()).0;
        assert_eq!(native_results, results, "{label}: results");
    }
}

#[test]
fn fixture_hosts_give_identical_facts_through_both_executors() {
    let rules = pack();
    for name in support::fixtures::host_names() {
        let tree = support::fixtures::materialise(&name);
        check_parity(&rules, tree.path(), true, &name);
    }
}

/// One rule per capability, each with a `when:` implementation, so a plan gathers every
/// capability's facts.
fn capability_rules() -> RuleSet {
    let mut yaml = String::new();
    for capability in Capability::ALL {
        let name = capability.as_str();
        yaml.push_str(&format!(
            "- id: cap-{name}\n  title: {name}\n  severity: low\n  implementations:\n    \
             - {{ when: {name}, check: {{ method: file_exists, path: / }} }}\n    \
             - {{ default: true, check: {{ method: file_absent, path: / }} }}\n"
        ));
    }
    let source = rules::RuleSource {
        name: "capabilities.yml".into(),
        text: yaml,
    };
    rules::load(&[source], &BTreeMap::new()).unwrap()
}

/// The capability trees (fixtures/caps/) give the same facts, so the same capability set,
/// through both executors; between them they make each capability hold somewhere.
#[test]
fn capability_trees_give_identical_capabilities_through_both_executors() {
    let rules = capability_rules();
    let plan = ProbePlan::for_rules(&rules, true);
    let trees = support::fixtures::repo().join("fixtures/caps");
    let mut seen = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(&trees).unwrap() {
        let root = entry.unwrap().path();
        if !root.is_dir() {
            continue;
        }
        let name = root.file_name().unwrap().to_string_lossy().into_owned();
        let (native, _) = probe::native::gather(&plan, &root);
        let capabilities = eval::HostView::new(&native).capabilities().clone();
        for shell in shells() {
            let label = format!("{name} via {}", shell.join(" "));
            let facts = probe::shell::gather_with(&plan, &root, &shell)
                .unwrap_or_else(|err| panic!("{label}: {err}"));
            assert_same_facts(&native, &facts, &label);
            let by_shell = eval::HostView::new(&facts).capabilities().clone();
            assert_eq!(capabilities, by_shell, "{label}: capabilities");
        }
        seen.extend(capabilities);
    }
    for capability in [
        Capability::Authselect,
        Capability::NftablesActive,
        Capability::DirectoryJoined,
        Capability::Sssd,
        Capability::SssdConfigured,
        Capability::RsyslogActive,
        Capability::PamFaillock,
    ] {
        assert!(seen.contains(&capability), "no tree has {capability:?}");
    }
}

#[test]
fn the_live_machine_gives_identical_facts_through_both_executors() {
    // Commands whose output changes between two runs (process lists, clocks) would make the
    // comparison flaky, so the live check uses the pack without such commands.
    let rules = pack();
    let stable = RuleSet {
        rules: rules
            .rules
            .into_iter()
            .filter(|rule| {
                !rule
                    .all_checks()
                    .any(|c| matches!(c, rules::Check::Command(cmd) if cmd.run.contains("ps ")))
            })
            .collect(),
    };
    check_parity(&stable, Path::new("/"), false, "live machine");
}

/// Commands at the edges of capture: a timeout, floods over the stdout and stderr caps (drained,
/// so the command still exits normally), output without a final newline, raw bytes, a non-zero
/// exit, and a command that reads stdin (it must see end of input at once).
const COMMAND_EDGES: &str = r#"
- id: edge-timeout
  title: hangs past its timeout
  severity: low
  check: { method: command, run: "sleep 30", timeout: 1 }
- id: edge-stdout-flood
  title: more stdout than the cap
  severity: low
  check: { method: command, run: "head -c 3000000 /dev/zero | tr '\\0' a; echo tr exited $? >&2" }
- id: edge-stderr-flood
  title: more stderr than the cap
  severity: low
  check: { method: command, run: "head -c 300000 /dev/zero | tr '\\0' e >&2; echo tr exited $?; exit 4", expected_exit: 4 }
- id: edge-raw-bytes
  title: no final newline, raw bytes
  severity: low
  check: { method: command, run: "printf 'a\\001\\377\\000b'" }
- id: edge-stdin
  title: reads stdin
  severity: low
  check: { method: command, run: "cat; echo read-all" }
"#;

#[test]
fn command_edge_cases_give_identical_facts_through_both_executors() {
    let rules = rules::load(
        &[rules::RuleSource {
            name: "command-edges.yml".into(),
            text: COMMAND_EDGES.into(),
        }],
        &BTreeMap::new(),
    )
    .unwrap();
    let plan = ProbePlan::for_rules(&rules, false);
    let (native, _) = probe::native::gather(&plan, Path::new("/"));
    // The cases are what they claim to be.
    let fact = |run: &str| native.commands.get(run).unwrap_or_else(|| panic!("{run}"));
    assert!(matches!(
        fact("sleep 30"),
        probe::facts::CommandFact::TimedOut { .. }
    ));
    assert!(matches!(
        fact("head -c 3000000 /dev/zero | tr '\\0' a; echo tr exited $? >&2"),
        probe::facts::CommandFact::Ran {
            stdout_truncated: true,
            exit_code: 0,
            ..
        }
    ));
    check_parity(&rules, Path::new("/"), false, "command edge cases");
}

/// Commands only some platform families need are skipped on other hosts, decided from
/// os-release in the same way by both executors; unusual os-release files run everything.
#[test]
fn platform_gated_commands_follow_os_release_the_same_way_in_both_executors() {
    let rules = rules::load(
        &[rules::RuleSource {
            name: "gated.yml".into(),
            text: r#"
- id: gated-rhel
  title: rhel only
  severity: low
  platforms: [{ family: rhel, min_version: 8 }]
  check: { method: command, run: "echo rhel" }
- id: gated-debian
  title: debian only
  severity: low
  platforms: [{ family: debian }]
  check: { method: command, run: "echo debian" }
- id: everywhere
  title: every platform
  severity: low
  check: { method: command, run: "echo all" }
"#
            .into(),
        }],
        &BTreeMap::new(),
    )
    .unwrap();
    let plan = ProbePlan::for_rules(&rules, false);
    // (case, files under the root, the commands expected to run)
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a [&'a str]);
    let cases: [Case; 9] = [
        (
            "rocky",
            &[(
                "etc/os-release",
                "NAME=\"Rocky Linux\"\nID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\n",
            )],
            &["echo all", "echo rhel"],
        ),
        (
            "debian",
            &[("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n")],
            &["echo all", "echo debian"],
        ),
        (
            "ubuntu (ID_LIKE names debian, so the loose reading keeps debian's commands)",
            &[("etc/os-release", "ID=ubuntu\nID_LIKE=debian\n")],
            &["echo all", "echo debian"],
        ),
        (
            "blanks and single quotes",
            &[("etc/os-release", "  ID = 'ol'\t\n")],
            &["echo all", "echo rhel"],
        ),
        (
            "comments",
            &[("etc/os-release", "#ID=rhel\nID=debian")],
            &["echo all", "echo debian"],
        ),
        (
            "fallback file",
            &[("usr/lib/os-release", "ID=centos\n")],
            &["echo all", "echo rhel"],
        ),
        (
            "crlf: unknown",
            &[("etc/os-release", "ID=debian\r\n")],
            &["echo all", "echo debian", "echo rhel"],
        ),
        (
            "no ID: unknown",
            &[("etc/os-release", "NAME=Something\n")],
            &["echo all", "echo debian", "echo rhel"],
        ),
        (
            "no os-release: unknown",
            &[],
            &["echo all", "echo debian", "echo rhel"],
        ),
    ];
    for (what, files, expected) in cases {
        let root = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let path = root.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        let (native, _) = probe::native::gather(&plan, root.path());
        let ran: Vec<&str> = native.commands.keys().map(String::as_str).collect();
        assert_eq!(ran, expected, "{what}: native");
        for shell in shells() {
            let label = format!("{what} via {}", shell.join(" "));
            let facts = probe::shell::gather_with(&plan, root.path(), &shell)
                .unwrap_or_else(|err| panic!("{label}: {err}"));
            assert_eq!(native.commands, facts.commands, "{label}");
        }
    }
    // A relative symlink inside the root is followed there, as for every other file.
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("etc")).unwrap();
    std::fs::create_dir_all(root.path().join("usr/lib")).unwrap();
    std::fs::write(root.path().join("usr/lib/os-release"), "ID=rhel\n").unwrap();
    std::os::unix::fs::symlink("../usr/lib/os-release", root.path().join("etc/os-release"))
        .unwrap();
    let (native, _) = probe::native::gather(&plan, root.path());
    assert_eq!(
        native.commands.keys().collect::<Vec<_>>(),
        ["echo all", "echo rhel"]
    );
    for shell in shells() {
        let facts = probe::shell::gather_with(&plan, root.path(), &shell).unwrap();
        assert_eq!(native.commands, facts.commands, "symlink via {shell:?}");
    }
}

/// A live host with rpm but no sqlite rpm database is asked `rpm -qa`, run with the commands
/// by the shell probe; both executors report the same packages (or the same error).
#[test]
fn the_rpm_query_gives_identical_packages_through_both_executors() {
    let rules = rules::load(
        &[rules::RuleSource {
            name: "rpm.yml".into(),
            text: "- id: pkg\n  title: a package\n  severity: low\n  \
                   check: { method: package_state, name: openssh, state: present }\n"
                .into(),
        }],
        &BTreeMap::new(),
    )
    .unwrap();
    let plan = ProbePlan::for_rules(&rules, false);
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("usr/bin")).unwrap();
    std::fs::write(root.path().join("usr/bin/rpm"), "").unwrap();
    let (native, _) = probe::native::gather(&plan, root.path());
    let packages = native.packages.as_ref().expect("packages gathered");
    assert!(
        !packages.errors.is_empty() || !packages.sources.is_empty(),
        "rpm -qa left no trace: {packages:?}"
    );
    for shell in shells() {
        let facts = probe::shell::gather_with(&plan, root.path(), &shell).unwrap();
        assert_eq!(native.packages, facts.packages, "via {shell:?}");
    }
}

/// Facts that the executors derive on the host: home directories named by passwd (with odd
/// lines, a home of `/`, dot files, `.` and `..`), the kernel module tree, and the clock.
#[test]
fn homes_modules_and_the_clock_give_identical_facts_through_both_executors() {
    let rules = rules::load(
        &[rules::RuleSource {
            name: "derived.yml".into(),
            text: r#"
- id: homes
  title: homes and dot files
  severity: low
  checks:
    - { method: accounts, predicate: home_dirs_mode }
    - { method: accounts, predicate: dot_files_not_group_or_world_writable }
    - { method: accounts, predicate: shadow_last_change_past }
- id: module
  title: not loadable
  severity: low
  check: { method: kernel_module_state, name: usb-storage, state: not_loadable }
"#
            .into(),
        }],
        &BTreeMap::new(),
    )
    .unwrap();
    let plan = ProbePlan::for_rules(&rules, true);
    let root = tempfile::tempdir().unwrap();
    let write = |path: &str, text: &str| {
        let path = root.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "etc/passwd",
        "root:x:0:0:root:/root:/bin/bash\nbad-line\ntop:x:1:1::/:/bin/sh\n\
         glob:x:2:2::/home/*:/bin/sh\nrel:x:3:3::home/rel:/bin/sh\n\
         sp:x:1001:1001::/home/with space//:/bin/bash\ngone:x:1002:1002::/home/gone:/bin/bash\n\
         last:x:1003:1003::/home/last:/bin/bash",
    );
    write(
        "etc/shadow",
        "root:*:19800:0:99999:7:::\nlast:!:99999::::::\n",
    );
    write("etc/group", "root:x:0:\n");
    write("etc/shells", "/bin/sh\n/bin/bash\n");
    write("root/.bashrc", "");
    write("root/.netrc", "");
    write("home/with space/.profile", "");
    write("home/last/.x", "");
    std::fs::create_dir_all(root.path().join("home/last/.cache")).unwrap();
    write("lib/modules/6.1.0-1-amd64/kernel/fs/cramfs/cramfs.ko", "");
    write(
        "lib/modules/6.1.0-1-amd64/kernel/drivers/usb/storage/usb-storage.ko.xz",
        "",
    );
    write("lib/modules/6.1.0-1-amd64/modules.dep", "");
    let (native, _) = probe::native::gather(&plan, root.path());
    // The cases are what they claim to be.
    assert!(
        native.stats.contains_key("/home/with space/.*"),
        "{:?}",
        native.stats.keys()
    );
    assert!(native.stats.contains_key("/.*"));
    assert!(
        !native
            .stats
            .keys()
            .any(|k| k.contains('*') && k.starts_with("/home/*"))
    );
    assert_eq!(native.stats["/home/gone"], []);
    assert!(native.epoch_day.is_some());
    let modules = native.kernel_modules.as_ref().expect("module tree read");
    assert!(modules.contains("usb_storage") && modules.contains("cramfs"));
    let results = eval::evaluate_all(&rules, &native, &EvalOptions::default()).0;
    for shell in shells() {
        let label = format!("derived facts via {}", shell.join(" "));
        let facts = probe::shell::gather_with(&plan, root.path(), &shell)
            .unwrap_or_else(|err| panic!("{label}: {err}"));
        assert_same_facts(&native, &facts, &label);
        let shell_results = eval::evaluate_all(&rules, &facts, &EvalOptions::default()).0;
        assert_eq!(results, shell_results, "{label}: results");
    }
    // Only the first lines of passwd name homes to stat: the last one counted is, the next is
    // not, in both executors.
    let mut passwd = "junk\n".repeat(probe::homes::MAX_HOME_LINES - 1);
    passwd.push_str("in:x:1:1::/home/in:/bin/sh\nout:x:2:2::/home/out:/bin/sh\n");
    write("etc/passwd", &passwd);
    let (native, _) = probe::native::gather(&plan, root.path());
    assert!(native.stats.contains_key("/home/in"));
    assert!(!native.stats.contains_key("/home/out"));
    for shell in shells() {
        let facts = probe::shell::gather_with(&plan, root.path(), &shell).unwrap();
        assert_eq!(native.stats, facts.stats, "line cap via {shell:?}");
    }
}

/// Kensa's `disabled` passes for a module no kernel ships (`unshipped_passes`), so the plan
/// asks for the module tree for it; both executors read the tree alike and agree on verdicts.
#[test]
fn unshipped_modules_give_identical_verdicts_through_both_executors() {
    let mut rules = rules::load(
        &[rules::RuleSource {
            name: "modules.yml".into(),
            text: r#"
- id: shipped
  title: a module a kernel ships
  severity: low
  check: { method: kernel_module_state, name: cramfs, state: disabled }
- id: unshipped
  title: a module no kernel ships
  severity: low
  check: { method: kernel_module_state, name: sctp, state: disabled }
- id: built-in
  title: a module a kernel has built in
  severity: low
  check: { method: kernel_module_state, name: squashfs, state: disabled }
"#
            .into(),
        }],
        &BTreeMap::new(),
    )
    .unwrap();
    assert!(!ProbePlan::for_rules(&rules, true).kernel_modules);
    for rule in &mut rules.rules {
        match &mut rule.implementations[0].check {
            rules::CheckExpr::Leaf(check) => match check.as_mut() {
                rules::Check::KernelModuleState {
                    unshipped_passes, ..
                } => *unshipped_passes = true,
                other => panic!("unexpected check {other:?}"),
            },
            other => panic!("unexpected check {other:?}"),
        }
    }
    let plan = ProbePlan::for_rules(&rules, true);
    assert!(plan.kernel_modules);
    let root = tempfile::tempdir().unwrap();
    let module = root
        .path()
        .join("lib/modules/6.1.0-1-amd64/kernel/fs/cramfs/cramfs.ko");
    std::fs::create_dir_all(module.parent().unwrap()).unwrap();
    std::fs::write(&module, "").unwrap();
    // modprobe loads a built-in module without a file (it has nothing to do), so it is shipped.
    std::fs::write(
        root.path()
            .join("lib/modules/6.1.0-1-amd64/modules.builtin"),
        "kernel/fs/squashfs/squashfs.ko\nkernel/fs/ext4/ext4.ko\n",
    )
    .unwrap();
    std::fs::create_dir_all(root.path().join("etc/modprobe.d")).unwrap();
    let (native, _) = probe::native::gather(&plan, root.path());
    let results = eval::evaluate_all(&rules, &native, &EvalOptions::default()).0;
    let verdicts: Vec<_> = results
        .iter()
        .map(|r| (r.rule_id.as_str(), r.status))
        .collect();
    assert_eq!(
        verdicts,
        [
            ("built-in", eval::Status::Fail),
            ("shipped", eval::Status::Fail),
            ("unshipped", eval::Status::Pass)
        ]
    );
    for shell in shells() {
        let label = format!("module tree via {}", shell.join(" "));
        let facts = probe::shell::gather_with(&plan, root.path(), &shell)
            .unwrap_or_else(|err| panic!("{label}: {err}"));
        assert_same_facts(&native, &facts, &label);
        let shell_results = eval::evaluate_all(&rules, &facts, &EvalOptions::default()).0;
        assert_eq!(results, shell_results, "{label}: results");
    }
}

/// Kensa-dialect rules (each Kensa semantic flag) on their tree and on every fixture host: both
/// executors gather the same facts and give the same verdicts.
#[test]
fn kensa_rules_give_identical_verdicts_through_both_executors() {
    use std::os::unix::fs::PermissionsExt;
    let kensa = support::fixtures::repo().join("fixtures/kensa");
    let vars = rules::read_vars_files(&[kensa.join("vars.yml")]).unwrap();
    let sources = rules::read_sources(&[kensa.join("rules"), kensa.join("mixed")]).unwrap();
    let rules = rules::load(&sources, &vars).unwrap();
    assert!(
        rules
            .rules
            .iter()
            .filter(|rule| rule.dialect == rules::Dialect::Kensa)
            .count()
            >= 10
    );
    let tree = tempfile::tempdir().unwrap();
    support::fixtures::copy_tree(&kensa.join("hosts/kx1"), tree.path());
    for (path, mode) in [("etc/kx/secret.key", 0o600), ("etc/kx/public.conf", 0o644)] {
        std::fs::set_permissions(tree.path().join(path), PermissionsExt::from_mode(mode)).unwrap();
    }
    // The tree decides most of these rules, so the comparison is between verdicts.
    let plan = ProbePlan::for_rules(&rules, true);
    let (facts, _) = probe::native::gather(&plan, tree.path());
    let decided = eval::evaluate_all(&rules, &facts, &EvalOptions::default())
        .0
        .iter()
        .filter(|r| matches!(r.status, eval::Status::Pass | eval::Status::Fail))
        .count();
    assert!(decided >= 10, "only {decided} verdicts decided on kx1");
    check_parity(&rules, tree.path(), true, "kx1 with Kensa rules");
    for name in support::fixtures::host_names() {
        let host = support::fixtures::materialise(&name);
        check_parity(
            &rules,
            host.path(),
            true,
            &format!("{name} with Kensa rules"),
        );
    }
}
