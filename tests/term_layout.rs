//! The terminal views at 80, 120 and 200 columns, from real scans of the fixture trees and a
//! real state file, through the binary (`COLUMNS` sets the width, as for `ls` and `git`).
//! Each view: no line wider than the terminal, no word split across lines, the header first,
//! failures most severe first, values cut with `…`, the summary last; `state` tables keep
//! their borders.

mod support;

use serde_json::Value;
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use support::{fixtures, json, plumb, run, stderr};

const WIDTHS: [usize; 3] = [80, 120, 200];
const SEVERITIES: [&str; 4] = ["critical", "high", "medium", "low"];

/// `plumb --format table scan ...` at `width` columns, recorded in `state`.
fn table(width: usize, state: &Path, args: &[&str]) -> (Option<i32>, String) {
    let out = run(plumb()
        .env("COLUMNS", width.to_string())
        .args(["--format", "table", "--color", "never", "scan", "--state"])
        .arg(state)
        .args(args));
    let text = String::from_utf8(out.stdout.clone()).expect("UTF-8");
    assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
    (out.status.code(), text)
}

fn json_scan(state: &Path, args: &[&str]) -> Value {
    let out = run(plumb()
        .args(["--format", "json", "scan", "--no-store", "--state"])
        .arg(state)
        .args(args));
    json(&out)
}

fn blocks(text: &str) -> Vec<Vec<&str>> {
    text.trim_end()
        .split("\n\n")
        .map(|block| block.lines().collect())
        .collect()
}

fn assert_fits(text: &str, width: usize) {
    for line in text.lines() {
        assert!(
            line.chars().count() <= width,
            "wider than {width}: {line:?}\n{text}"
        );
    }
}

/// The words of `lines`; the previous scan's id (each run is a new scan) reads `(ID):`.
fn words(lines: &[&str]) -> Vec<String> {
    lines
        .iter()
        .flat_map(|l| l.split_whitespace())
        .map(|w| {
            if w.starts_with('(') && w.ends_with("):") {
                "(ID):".to_owned()
            } else {
                w.to_owned()
            }
        })
        .collect()
}

/// Wrapping moves words between lines and never splits one: a block rendered narrow has the
/// very words of the same block rendered at 200 columns.
fn assert_same_words(narrow: &[&str], wide: &[&str], what: &str) {
    assert_eq!(
        words(narrow),
        words(wide),
        "{what}: words differ between widths\n{}\n---\n{}",
        narrow.join("\n"),
        wide.join("\n")
    );
}

/// A failing result's actual value as the one-line view shows it.
fn actual(result: &Value) -> String {
    let evidence = result["evidence"].as_array().expect("evidence");
    let labelled = evidence.len() > 1;
    let parts: Vec<String> = evidence
        .iter()
        .map(|e| {
            let target = e["target"].as_str().unwrap_or("");
            let value = e["actual"].as_str().unwrap_or("");
            if labelled && !target.is_empty() {
                format!("{target}: {value}")
            } else {
                value.to_owned()
            }
        })
        .collect();
    parts
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// `shown` is `full`, or a prefix of it (at a word or not) ended with `…`.
fn assert_whole_or_cut(shown: &str, full: &str, line: &str) {
    if shown == full {
        return;
    }
    let prefix = shown
        .strip_suffix('…')
        .unwrap_or_else(|| panic!("{shown:?} is neither {full:?} nor cut with …: {line}"));
    assert!(
        full.starts_with(prefix.trim_end()),
        "{shown:?} is not a cut of {full:?}: {line}"
    );
}

/// Checks a single host's failure lines against its JSON results: every failure once, most
/// severe first, its id whole, title and value whole or cut with `…`. Returns how many
/// fields were cut.
fn check_failure_lines(lines: &[&str], results: &[Value]) -> usize {
    let failing: BTreeMap<&str, &Value> = results
        .iter()
        .filter(|r| r["status"] == "fail")
        .map(|r| (r["rule_id"].as_str().unwrap(), r))
        .collect();
    assert_eq!(lines.len(), failing.len(), "one line per failure");
    let mut cut = 0;
    let mut last_rank = 0;
    for line in lines {
        let fields: Vec<&str> = line
            .split("  ")
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .collect();
        let rank = SEVERITIES
            .iter()
            .position(|s| *s == fields[0])
            .unwrap_or_else(|| panic!("a severity first: {line}"));
        assert!(rank >= last_rank, "most severe first: {line}");
        last_rank = rank;
        let result = failing
            .get(fields[1])
            .unwrap_or_else(|| panic!("a whole failing rule id second: {line}"));
        assert_eq!(result["severity"], fields[0], "{line}");
        let value = fields.last().unwrap();
        assert_whole_or_cut(value, &actual(result), line);
        if fields.len() == 4 {
            assert_whole_or_cut(fields[2], result["title"].as_str().unwrap(), line);
        }
        cut += fields.iter().filter(|f| f.ends_with('…')).count();
    }
    cut
}

#[test]
fn a_single_host_scan_has_its_header_first_failures_by_severity_and_the_summary_last() {
    let tree = fixtures::materialise("debian12-default");
    let root = tree.path().to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.db");
    let base = ["--root", root, "--host-name", "debian12-default"];
    let report = json_scan(&state, &base);
    let results = report["hosts"][0]["results"].as_array().unwrap().clone();

    // The first scan records the host; the views below show it with its changes.
    let (code, _) = table(200, &state, &base);
    assert_eq!(code, Some(1));
    let (_, wide) = table(200, &state, &base);
    let wide_blocks = blocks(&wide);
    for width in WIDTHS {
        let (code, text) = table(width, &state, &base);
        assert_eq!(code, Some(1), "{text}");
        assert_fits(&text, width);
        let blocks = blocks(&text);
        assert_eq!(blocks.len(), 3, "header, failures, summary:\n{text}");

        // Header: one line, naming the tool, the host and its platform.
        assert_eq!(blocks[0].len(), 1);
        assert!(blocks[0][0].starts_with("plumb "), "{text}");
        assert!(blocks[0][0].contains("debian12-default · Debian GNU/Linux 12"));

        let cut = check_failure_lines(&blocks[1], &results);
        if width < 200 {
            assert!(cut > 0, "at {width} columns some values are cut with …");
        }

        // Summary last: counts, score, changes and the one way to see details.
        let summary = blocks.last().unwrap();
        let joined = summary.join(" ");
        assert!(
            joined.contains("386 rules:") && joined.contains("score"),
            "{text}"
        );
        assert!(joined.contains("since last scan ("), "{text}");
        assert!(joined.contains("--explain RULE"), "{text}");
        assert_same_words(summary, wide_blocks.last().unwrap(), "summary");
    }
}

#[test]
fn explain_shows_one_rule_in_full_wrapped_at_spaces() {
    let tree = fixtures::materialise("debian12-default");
    let root = tree.path().to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.db");
    let rule = "auditd-installed";
    let args = ["--root", root, "--no-store", "--explain", rule];
    let (_, wide) = table(200, &state, &args);
    let wide_blocks = blocks(&wide);
    for width in WIDTHS {
        let (code, text) = table(width, &state, &args);
        assert_eq!(code, Some(1), "{text}");
        assert_fits(&text, width);
        let blocks = blocks(&text);
        // Header, failures, the explained rule, summary.
        assert_eq!(blocks.len(), 4, "{text}");
        let explained = &blocks[2];
        assert!(
            explained[0].starts_with(&format!("{rule} · high · ")),
            "{text}"
        );
        for label in ["why", "status", "expected", "actual", "fix", "refs"] {
            assert!(
                explained
                    .iter()
                    .any(|l| l.starts_with(&format!("  {label} "))),
                "{label} shown: {text}"
            );
        }
        assert_same_words(explained, &wide_blocks[2], "explained rule");
        assert!(!blocks[3].join(" ").contains("--explain RULE"), "{text}");
    }

    // A rule this scan does not evaluate is a usage error before anything is scanned.
    let out = run(plumb()
        .args(["--format", "table", "scan", "--no-store", "--root", root])
        .args(["--explain", "no-such-rule"]));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--explain no-such-rule"));
    // The views belong to the table format.
    let out = run(plumb()
        .args(["--format", "json", "scan", "--no-store", "--root", root])
        .arg("--summary"));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--format table"), "{}", stderr(&out));
}

#[test]
fn summary_prints_the_header_and_the_counts_only() {
    let tree = fixtures::materialise("rhel9");
    let root = tree.path().to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.db");
    for width in WIDTHS {
        let (code, text) = table(width, &state, &["--root", root, "--no-store", "--summary"]);
        assert_eq!(code, Some(1), "{text}");
        assert_fits(&text, width);
        let blocks = blocks(&text);
        assert_eq!(blocks.len(), 2, "header and summary only:\n{text}");
        assert!(blocks[0][0].starts_with("plumb "));
        let summary = blocks[1].join(" ");
        assert!(
            summary.contains("rules:") && summary.contains("failed:"),
            "{text}"
        );
        assert!(!text.lines().any(|l| l.starts_with("high ")), "{text}");
    }
}

#[test]
fn rules_that_could_not_be_assessed_are_listed_with_why_and_counted_in_the_summary() {
    let tree = fixtures::materialise("debian12-default");
    let root = tree.path().to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.db");
    // One byte of evidence per rule: every rule with evidence is an `evidence_oversize` error.
    let args = ["--root", root, "--no-store", "--evidence-max-bytes", "1"];
    let (code, text) = table(120, &state, &args);
    assert_eq!(code, Some(3), "{text}");
    assert_fits(&text, 120);
    let errors = blocks(&text)
        .into_iter()
        .find(|b| b[0].starts_with("could not be assessed"))
        .unwrap_or_else(|| panic!("an errors block: {text}"));
    assert!(errors.len() > 1);
    assert!(
        errors[1..].iter().all(|l| l.contains("evidence_oversize")),
        "{text}"
    );
    let summary = blocks(&text).last().unwrap().join(" ");
    assert!(
        summary.contains("errors:") && summary.contains("evidence_oversize:"),
        "{summary}"
    );
}

#[test]
fn colours_are_asked_for_and_take_no_width() {
    let tree = fixtures::materialise("rhel9");
    let root = tree.path().to_str().unwrap();
    let out = run(plumb()
        .env("COLUMNS", "80")
        .args([
            "--format",
            "table",
            "--color",
            "always",
            "scan",
            "--no-store",
        ])
        .args(["--root", root]));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("\u{1b}[31mhigh"), "severity coloured: {text}");
    for line in text.lines() {
        let mut visible = String::new();
        let mut escape = false;
        for c in line.chars() {
            match c {
                '\u{1b}' => escape = true,
                'm' if escape => escape = false,
                _ if escape => {}
                _ => visible.push(c),
            }
        }
        assert!(visible.chars().count() <= 80, "{visible:?}");
    }
    // `--summary` and `--explain` do not go together.
    let out = run(plumb()
        .args(["--format", "table", "scan", "--no-store", "--root", root])
        .args(["--summary", "--explain", "auditd-installed"]));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

/// Four fixture trees and a host that refuses connections, as one inventory.
fn fleet(dir: &Path) -> (Vec<tempfile::TempDir>, std::path::PathBuf) {
    let names = [
        "debian12-default",
        "debian12-hardened",
        "rhel9",
        "ubuntu2204",
    ];
    let trees: Vec<tempfile::TempDir> = names.iter().map(|n| fixtures::materialise(n)).collect();
    let mut inventory = String::from("hosts:\n");
    for (name, tree) in names.iter().zip(&trees) {
        inventory.push_str(&format!(
            "  {name}: {{ connection: local, root: {} }}\n",
            tree.path().display()
        ));
    }
    inventory.push_str("  down-1: { address: 127.0.0.1, port: 1 }\n");
    let path = dir.join("inventory.yml");
    fs::write(&path, inventory).unwrap();
    (trees, path)
}

#[test]
fn a_fleet_is_one_line_per_host_and_the_failures_of_its_three_worst_hosts() {
    let dir = tempfile::tempdir().unwrap();
    let (_trees, inventory) = fleet(dir.path());
    let inventory = inventory.to_str().unwrap();
    let state = dir.path().join("state.db");
    let report = json_scan(&state, &["-i", inventory]);
    let mut scored: Vec<(f64, String)> = report["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|h| {
            Some((
                h["summary"]["score"].as_f64()?,
                h["host"].as_str()?.to_owned(),
            ))
        })
        .collect();
    scored.sort_by(|a, b| a.0.total_cmp(&b.0));
    let worst: Vec<&str> = scored.iter().take(3).map(|(_, h)| h.as_str()).collect();

    let (_, wide) = table(200, &state, &["-i", inventory, "--no-store"]);
    let wide_summary = blocks(&wide).last().cloned().unwrap();
    for width in WIDTHS {
        let (code, text) = table(width, &state, &["-i", inventory, "--no-store"]);
        assert_eq!(code, Some(3), "a host could not be scanned: {text}");
        assert_fits(&text, width);
        let blocks = blocks(&text);
        let header = format!("plumb {} · 5 hosts", env!("CARGO_PKG_VERSION"));
        assert_eq!(blocks[0], [header.as_str()], "{text}");

        // One line per host, in inventory order; the unreachable one says why.
        let hosts = &blocks[1];
        assert_eq!(hosts.len(), 5, "{text}");
        let down = hosts.iter().find(|l| l.starts_with("down-1 ")).unwrap();
        assert!(
            down.contains("not scanned") && down.contains("127.0.0.1"),
            "{down}"
        );

        // The three worst hosts' failures, worst first, each under a heading.
        let listed: Vec<&str> = blocks[2..5]
            .iter()
            .map(|b| b[0].split(" · ").next().unwrap())
            .collect();
        assert_eq!(listed, worst, "{text}");
        for (block, name) in blocks[2..5].iter().zip(&worst) {
            let host = report["hosts"]
                .as_array()
                .unwrap()
                .iter()
                .find(|h| h["host"] == *name)
                .unwrap();
            check_failure_lines(&block[1..], host["results"].as_array().unwrap());
        }
        let note = blocks[5].join(" ");
        assert!(
            note.contains("the failures of 1 more host are not listed"),
            "{note}"
        );

        let summary = blocks.last().unwrap();
        assert!(
            summary[0].starts_with("5 hosts: 4 scanned, 1 not scanned"),
            "{text}"
        );
        assert_same_words(summary, &wide_summary, "fleet summary");
    }
}

/// A state file with the four fixture trees, one of them under a long name, scanned twice.
fn state_file(dir: &Path) -> std::path::PathBuf {
    let state = dir.join("state.db");
    let names = [
        ("debian12-default", "debian12-default"),
        ("rhel9", "a-rather-long-host-name.prod.example.internal"),
        ("ubuntu2204", "ubuntu2204"),
    ];
    for (tree, name) in names {
        let tree = fixtures::materialise(tree);
        for _ in 0..2 {
            let out = run(plumb()
                .args(["--format", "json", "scan", "--fail-on", "never", "--state"])
                .arg(&state)
                .arg("--root")
                .arg(tree.path())
                .args(["--host-name", name]));
            assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        }
    }
    state
}

/// Every table line is framed by its borders, as wide as the others, and fits.
fn assert_table_intact(text: &str, width: usize, what: &str) {
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with(['┌', '│', '╞', '└']))
        .collect();
    assert!(lines.len() >= 4, "{what}: a table\n{text}");
    let table_width = lines[0].chars().count();
    assert!(table_width <= width, "{what} at {width}:\n{text}");
    for line in &lines {
        assert_eq!(
            line.chars().count(),
            table_width,
            "{what}: ragged line {line:?}\n{text}"
        );
        let last = line.chars().last().unwrap();
        assert!(
            ['┐', '│', '╡', '┘'].contains(&last),
            "{what}: open border {line:?}"
        );
    }
}

#[test]
fn state_tables_fit_80_and_120_columns_with_their_borders_intact() {
    let dir = tempfile::tempdir().unwrap();
    let state = state_file(dir.path());
    let commands: [&[&str]; 4] = [
        &["show"],
        &["hosts"],
        &["scans"],
        &["history", "debian12-default", "--limit", "20"],
    ];
    for width in [80, 120] {
        for command in commands {
            let out = run(plumb()
                .env("COLUMNS", width.to_string())
                .args(["--format", "table", "--color", "never", "state"])
                .args(command)
                .arg("--state")
                .arg(&state));
            assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
            let text = String::from_utf8(out.stdout).unwrap();
            let what = format!("state {command:?}");
            assert_table_intact(&text, width, &what);
            assert_fits(
                &text
                    .lines()
                    .filter(|l| !l.starts_with("path:"))
                    .collect::<Vec<_>>()
                    .join("\n"),
                width,
            );
            // A long name is whole or cut with `…`, never wrapped onto a second line.
            let long = "a-rather-long-host-name.prod.example.internal";
            for line in text.lines().filter(|l| l.contains("a-rather-")) {
                let cell = line
                    .split(['│', '┆'])
                    .map(str::trim)
                    .find(|c| c.starts_with("a-rather-"))
                    .unwrap();
                assert_whole_or_cut(cell, long, line);
            }
        }
    }
    // At 120 columns `state hosts` has room for every column.
    let out = run(plumb()
        .env("COLUMNS", "120")
        .args([
            "--format", "table", "--color", "never", "state", "hosts", "--state",
        ])
        .arg(&state));
    let text = String::from_utf8(out.stdout).unwrap();
    for header in [
        "host",
        "score",
        "compliance",
        "last scan",
        "status",
        "crit",
        "low",
    ] {
        assert!(text.contains(header), "{header}: {text}");
    }
}
