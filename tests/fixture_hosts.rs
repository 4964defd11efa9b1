//! Each fixture host tree, scanned through the binary with `--root`, gives the results recorded
//! next to it in fixtures/hosts/<name>.expected (`RULE STATUS [REASON]` per line).
//! After an intended change, regenerate with: PLUMB_REGENERATE=1 cargo test --test fixture_hosts
//! and review the diff.

mod support;

use std::fs;
use support::fixtures;

fn scan_lines(name: &str) -> String {
    let report = fixtures::scan_report(name);
    let mut lines = String::new();
    for result in report["hosts"][0]["results"].as_array().unwrap() {
        let id = result["rule_id"].as_str().unwrap();
        let status = result["status"].as_str().unwrap();
        match result["reason"].as_str() {
            Some(reason) => lines.push_str(&format!("{id} {status} {reason}\n")),
            None => lines.push_str(&format!("{id} {status}\n")),
        }
    }
    lines
}

#[test]
fn fixture_hosts_give_their_expected_results() {
    let names = fixtures::host_names();
    assert!(names.len() >= 3, "at least three fixture hosts: {names:?}");
    for name in names {
        let expected_path = fixtures::repo().join(format!("fixtures/hosts/{name}.expected"));
        let actual = scan_lines(&name);
        if std::env::var_os("PLUMB_REGENERATE").is_some() {
            fs::write(&expected_path, &actual).unwrap();
            continue;
        }
        let expected = fs::read_to_string(&expected_path).unwrap_or_else(|err| {
            panic!(
                "{}: {err}; create it with PLUMB_REGENERATE=1 cargo test --test fixture_hosts",
                expected_path.display()
            )
        });
        let differences: Vec<String> = expected
            .lines()
            .zip(actual.lines())
            .filter(|(e, a)| e != a)
            .map(|(e, a)| format!("expected `{e}`, got `{a}`"))
            .collect();
        assert!(
            differences.is_empty() && expected.lines().count() == actual.lines().count(),
            "{name} differs from {}:\n{}\n(regenerate with PLUMB_REGENERATE=1 cargo test --test fixture_hosts after an intended change)",
            expected_path.display(),
            differences.join("\n")
        );
    }
}
