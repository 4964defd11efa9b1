//! The design's guard: the native executor and the shell executor (under dash, bash and
//! busybox sh) gather identical facts and give identical results, on every fixture host and on
//! the machine running the tests.

mod support;

use plumb::eval::{self, EvalOptions};
use plumb::probe::{self, Facts, ProbePlan};
use plumb::rules::{self, RuleSet};
use std::collections::BTreeMap;
use std::path::Path;

fn pack() -> RuleSet {
    let sources = rules::read_sources(&[support::fixtures::repo().join("fixtures/rules")]).unwrap();
    rules::load(&sources, &BTreeMap::new()).unwrap()
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
