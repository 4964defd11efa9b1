//! The CIS Debian 12 coverage matrix (fixtures/coverage/cis_debian12.yml) agrees with the rule pack
//! compiled into the binary (plus fixtures/rules-extra, the slow file-system walks), and the pack covers at least the share of automatable Level 1 server
//! recommendations recorded here.
//!
//! Counting rule: the denominator is every recommendation whose levels include `l1_server` and whose
//! assessment is `automated`; the numerator is those whose matrix entry lists `rules`. Entries marked
//! `not_covered` (with the reason) count as not covered.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use plumb::rules;
use serde_yaml::Value;

/// The share reached with the section 2 methods merged (228 of 230). Raise it as coverage grows; it may
/// never fall.
const MIN_L1_SERVER_AUTOMATED_COVERED: (usize, usize) = (228, 230);

const LEVELS: [&str; 4] = ["l1_server", "l2_server", "l1_workstation", "l2_workstation"];

fn matrix() -> Vec<Value> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/coverage/cis_debian12.yml");
    let text = std::fs::read_to_string(&path).unwrap();
    let doc: Value = serde_yaml::from_str(&text).unwrap();
    assert_eq!(doc["benchmark"].as_str(), Some("cis_debian12"));
    doc["recommendations"].as_sequence().unwrap().clone()
}

fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Sequence(items) => items
            .iter()
            .map(|item| item.as_str().unwrap().to_owned())
            .collect(),
        Value::Null => Vec::new(),
        other => panic!("expected a string or a list of strings, got {other:?}"),
    }
}

/// Rule id -> the Debian 12 sections its references.cis.debian12 names, for the embedded pack
/// and fixtures/rules-extra.
fn pack_sections() -> BTreeMap<String, BTreeSet<String>> {
    let mut sources = rules::embedded_sources();
    sources.extend(
        rules::read_sources(&[
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/rules-extra")
        ])
        .unwrap(),
    );
    let set = rules::load(&sources, &rules::Vars::new()).unwrap();
    set.rules
        .iter()
        .map(|rule| {
            let sections = match &rule.references()["cis"]["debian12"] {
                serde_json::Value::String(s) => BTreeSet::from([s.clone()]),
                serde_json::Value::Array(items) => items
                    .iter()
                    .map(|item| item.as_str().unwrap().to_owned())
                    .collect(),
                serde_json::Value::Null => BTreeSet::new(),
                other => panic!("{}: references.cis.debian12 is {other}", rule.id),
            };
            (rule.id.clone(), sections)
        })
        .collect()
}

#[test]
fn matrix_entries_are_well_formed_and_name_existing_rules_that_reference_them() {
    let pack = pack_sections();
    let mut seen = BTreeSet::new();
    let mut problems = Vec::new();
    for entry in matrix() {
        let section = entry["section"].as_str().unwrap().to_owned();
        assert!(seen.insert(section.clone()), "{section} listed twice");
        let levels = strings(&entry["levels"]);
        assert!(!levels.is_empty(), "{section}: no levels");
        for level in &levels {
            assert!(LEVELS.contains(&level.as_str()), "{section}: level {level}");
        }
        let assessment = entry["assessment"].as_str().unwrap();
        assert!(
            matches!(assessment, "automated" | "manual"),
            "{section}: assessment {assessment}"
        );
        let answers = ["rules", "not_covered"]
            .iter()
            .filter(|key| !entry[**key].is_null())
            .count();
        assert_eq!(answers, 1, "{section}: exactly one of rules, not_covered");
        for id in strings(&entry["rules"]) {
            match pack.get(&id) {
                None => problems.push(format!("{section}: rule {id} is not in the pack")),
                Some(sections) if !sections.contains(&section) => problems.push(format!(
                    "{section}: rule {id} has references.cis.debian12 {sections:?}"
                )),
                Some(_) => {}
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_debian12_reference_in_the_pack_is_a_matrix_section_that_lists_the_rule() {
    let listed: BTreeMap<String, BTreeSet<String>> = matrix()
        .iter()
        .map(|entry| {
            (
                entry["section"].as_str().unwrap().to_owned(),
                strings(&entry["rules"]).into_iter().collect(),
            )
        })
        .collect();
    let mut problems = Vec::new();
    for (id, sections) in pack_sections() {
        for section in sections {
            match listed.get(&section) {
                None => problems.push(format!("{id}: {section} is not a Debian 12 section")),
                Some(rules) if !rules.contains(&id) => {
                    problems.push(format!("{id}: the matrix entry {section} does not list it"))
                }
                Some(_) => {}
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn automatable_level1_server_coverage_does_not_fall() {
    let mut total = 0;
    let mut covered = 0;
    let mut missing = Vec::new();
    for entry in matrix() {
        let levels = strings(&entry["levels"]);
        if !levels.iter().any(|level| level == "l1_server")
            || entry["assessment"].as_str() != Some("automated")
        {
            continue;
        }
        total += 1;
        if strings(&entry["rules"]).is_empty() {
            missing.push(entry["section"].as_str().unwrap().to_owned());
        } else {
            covered += 1;
        }
    }
    let share = 100.0 * covered as f64 / total as f64;
    println!(
        "CIS Debian 12 automatable Level 1 server recommendations covered: {covered}/{total} = {share:.1}% (not yet: {})",
        missing.join(" ")
    );
    let (floor_covered, floor_total) = MIN_L1_SERVER_AUTOMATED_COVERED;
    assert_eq!(
        total, floor_total,
        "the benchmark's Level 1 server automated count changed"
    );
    assert!(
        covered >= floor_covered,
        "coverage fell to {covered}/{total}; uncovered: {missing:?}"
    );
}
