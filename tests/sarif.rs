//! `--format sarif` from the real binary: valid against the OASIS SARIF 2.1.0 schema, and within
//! what GitHub code scanning accepts, for every fixture host and for a 30-host fleet.

mod support;

use serde_json::Value;
use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::fs;
use std::path::Path;
use support::fixtures::{host_names, materialise, repo};
use support::{plumb, run, stderr};

/// GitHub code scanning's limits on one uploaded file.
const MAX_RUNS: usize = 20;
const MAX_RESULTS_PER_RUN: usize = 25_000;

/// A SARIF scan from the repository root (so `--rules fixtures/rules` is a relative path).
fn sarif(args: &[&OsStr]) -> Value {
    let out = run(plumb()
        .current_dir(repo())
        .args([
            "scan",
            "--format",
            "sarif",
            "--no-store",
            "--fail-on",
            "never",
        ])
        .args(["--allow-errors"])
        .args(args));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).expect("SARIF is JSON")
}

fn fixture_scan(name: &str, rules: Option<&str>) -> Value {
    let tree = materialise(name);
    let mut args: Vec<&OsStr> = vec![
        "--root".as_ref(),
        tree.path().as_os_str(),
        "--host-name".as_ref(),
        name.as_ref(),
    ];
    if let Some(rules) = rules {
        args.extend([OsStr::new("--rules"), OsStr::new(rules)]);
    }
    sarif(&args)
}

/// Compiled once: the schema is large.
fn validator() -> &'static jsonschema::Validator {
    static VALIDATOR: std::sync::OnceLock<jsonschema::Validator> = std::sync::OnceLock::new();
    VALIDATOR.get_or_init(|| {
        let text = fs::read_to_string(repo().join("tests/data/sarif-schema-2.1.0.json")).unwrap();
        let schema: Value = serde_json::from_str(&text).unwrap();
        jsonschema::draft4::options()
            .should_validate_formats(true)
            .build(&schema)
            .expect("the SARIF schema compiles")
    })
}

fn assert_schema_valid(doc: &Value, what: &str) {
    let errors: Vec<String> = validator()
        .iter_errors(doc)
        .take(10)
        .map(|err| format!("{} at {}", err, err.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:#?}");
}

#[test]
fn the_validator_rejects_what_the_schema_forbids() {
    // Guards the test itself: a validator that accepts anything would pass every check below.
    let doc = serde_json::json!({ "version": "2.1.0", "runs": [{ "results": [] }] });
    assert!(
        !validator().is_valid(&doc),
        "a run without `tool` is invalid"
    );
}

#[test]
fn every_fixture_host_is_valid_sarif_with_the_embedded_pack_and_with_rule_files() {
    for name in host_names() {
        assert_schema_valid(&fixture_scan(&name, None), &format!("{name} (embedded)"));
        let doc = fixture_scan(&name, Some("fixtures/rules"));
        assert_schema_valid(&doc, &format!("{name} (--rules)"));
    }
}

/// A URI as GitHub takes it for a file in the repository: relative, no scheme, no `..`, and
/// nothing but URI characters and well-formed percent escapes.
fn assert_relative_uri(uri: &str, what: &str) {
    assert!(!uri.is_empty(), "{what}: empty URI");
    assert!(!uri.starts_with('/'), "{what}: absolute path {uri}");
    let first = uri.split('/').next().unwrap_or("");
    assert!(!first.contains(':'), "{what}: has a scheme: {uri}");
    assert!(
        uri.split('/')
            .all(|segment| segment != ".." && segment != "."),
        "{what}: dot segment in {uri}"
    );
    let bytes = uri.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes[i];
        if byte == b'%' {
            let hex = uri.get(i + 1..i + 3).unwrap_or("");
            assert!(
                hex.len() == 2 && hex.chars().all(|c| c.is_ascii_hexdigit()),
                "{what}: bad escape in {uri}"
            );
            i += 3;
            continue;
        }
        assert!(
            byte.is_ascii_alphanumeric() || b"/-._~!$&'()*+,;=:@".contains(&byte),
            "{what}: {:?} is not a URI character in {uri}",
            char::from(byte)
        );
        i += 1;
    }
}

/// GitHub code scanning's rules for an upload, and that each location is where the rule is
/// written. Returns the number of results.
fn assert_github_accepts(doc: &Value, what: &str) -> usize {
    let runs = doc["runs"].as_array().expect("runs");
    assert!(
        !runs.is_empty() && runs.len() <= MAX_RUNS,
        "{what}: {} runs",
        runs.len()
    );
    let mut categories = BTreeSet::new();
    let mut total = 0;
    for run in runs {
        if let Some(id) = run["automationDetails"]["id"].as_str() {
            assert!(categories.insert(id.to_owned()), "{what}: repeated {id}");
        }
        let results = run["results"].as_array().expect("results");
        assert!(results.len() <= MAX_RESULTS_PER_RUN, "{what}: too many");
        let mut fingerprints = BTreeSet::new();
        for result in results {
            let rule = result["ruleId"].as_str().expect("ruleId");
            let host = result["properties"]["host"].as_str().expect("host");
            let at = format!("{what}: {rule} on {host}");
            let physical = &result["locations"][0]["physicalLocation"];
            let uri = physical["artifactLocation"]["uri"]
                .as_str()
                .unwrap_or_else(|| panic!("{at}: no physicalLocation uri: {result:#}"));
            assert_relative_uri(uri, &at);
            let line = physical["region"]["startLine"].as_u64().unwrap_or(0);
            assert!(line >= 1, "{at}: startLine {line}");
            assert_rule_is_written_at(uri, line, rule, &at);
            let logical = &result["locations"][0]["logicalLocations"][0];
            assert_eq!(logical["name"], host, "{at}: logical location");

            let prints = result["partialFingerprints"]
                .as_object()
                .unwrap_or_else(|| panic!("{at}: no partialFingerprints"));
            assert!(!prints.is_empty(), "{at}: empty partialFingerprints");
            let print = serde_json::to_string(prints).unwrap();
            assert!(fingerprints.insert(print), "{at}: fingerprint repeated");

            for related in result["relatedLocations"].as_array().into_iter().flatten() {
                let uri = related["physicalLocation"]["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap_or("x");
                assert_relative_uri(uri, &format!("{at} (related)"));
            }
        }
        total += results.len();
    }
    total
}

/// The URI, resolved in the repository (`plumb/rules/` is the embedded copy of
/// fixtures/rules), names a file whose line `line` defines `rule`.
fn assert_rule_is_written_at(uri: &str, line: u64, rule: &str, at: &str) {
    let path = match uri.strip_prefix("plumb/rules/") {
        Some(name) => repo().join("fixtures/rules").join(name),
        None => repo().join(uri),
    };
    let text = fs::read_to_string(&path).unwrap_or_else(|err| panic!("{at}: {uri}: {err}"));
    let written = text.lines().nth(line as usize - 1).unwrap_or("");
    assert!(
        written.contains("id:") && written.contains(rule),
        "{at}: line {line} of {uri} is {written:?}"
    );
}

#[test]
fn every_fixture_host_passes_github_code_scanning_rules() {
    for name in host_names() {
        let embedded = fixture_scan(&name, None);
        let found = assert_github_accepts(&embedded, &format!("{name} (embedded)"));
        assert!(found > 0, "{name}: the fixture hosts all have findings");
        let uri = embedded["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
            ["artifactLocation"]["uri"]
            .as_str()
            .unwrap();
        assert!(uri.starts_with("plumb/rules/"), "{uri}");

        let files = fixture_scan(&name, Some("fixtures/rules"));
        assert_github_accepts(&files, &format!("{name} (--rules)"));
        let uri =
            files["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
                ["uri"]
                .as_str()
                .unwrap();
        assert!(uri.starts_with("fixtures/rules/"), "{uri}");
    }
}

#[test]
fn a_rule_file_outside_the_working_directory_gets_a_relative_external_uri() {
    let outside = tempfile::tempdir().unwrap();
    let rules = outside.path().join("my rules.yml");
    fs::write(
        &rules,
        "- id: passwd-mode-0000\n  title: Nobody reads passwd\n  severity: high\n  check:\n    method: file_permission\n    path: /etc/passwd\n    mode: \"0000\"\n",
    )
    .unwrap();
    let tree = materialise("debian12-default");
    let doc = sarif(&[
        "--root".as_ref(),
        tree.path().as_os_str(),
        "--rules".as_ref(),
        rules.as_os_str(),
    ]);
    assert_schema_valid(&doc, "external rules");
    let location = &doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
    let uri = location["artifactLocation"]["uri"].as_str().unwrap();
    assert_relative_uri(uri, "external");
    let expected = format!(
        "plumb/external{}",
        rules.display().to_string().replace(' ', "%20")
    );
    assert_eq!(uri, expected);
    assert_eq!(location["region"]["startLine"], 1);
}

#[test]
fn a_thirty_host_fleet_is_one_valid_run_github_accepts() {
    let names = host_names();
    let trees: Vec<_> = names.iter().map(|name| materialise(name)).collect();
    let dir = tempfile::tempdir().unwrap();
    let mut inventory = String::from("hosts:\n");
    for i in 0..30 {
        let tree = &trees[i % trees.len()];
        inventory.push_str(&format!(
            "  fleet-{i:02}: {{ connection: local, root: {:?} }}\n",
            tree.path().display().to_string()
        ));
    }
    let path = dir.path().join("inventory.yml");
    fs::write(&path, inventory).unwrap();
    let doc = sarif(&["--inventory".as_ref(), path.as_os_str()]);
    assert_schema_valid(&doc, "fleet");
    let total = assert_github_accepts(&doc, "fleet");
    let runs = doc["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1, "one run for the fleet");
    let hosts: BTreeSet<&str> = runs[0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["properties"]["host"].as_str())
        .collect();
    assert_eq!(hosts.len(), 30, "every host has results: {hosts:?}");
    assert!(total > 30);
}

#[test]
fn fingerprints_are_stable_across_scans_and_differ_between_hosts() {
    let prints = |doc: &Value| -> Vec<(String, String)> {
        doc["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["ruleId"].as_str().unwrap().to_owned(),
                    r["partialFingerprints"].to_string(),
                )
            })
            .collect()
    };
    let first = prints(&fixture_scan("debian12-default", None));
    let again = prints(&fixture_scan("debian12-default", None));
    assert_eq!(first, again);
    let tree = materialise("debian12-default");
    let renamed = prints(&sarif(&[
        "--root".as_ref(),
        tree.path().as_os_str(),
        "--host-name".as_ref(),
        "another-name".as_ref(),
    ]));
    let (id, print) = &first[0];
    let other = renamed.iter().find(|(rule, _)| rule == id).unwrap();
    assert_ne!(&other.1, print, "the host is part of the fingerprint");
}

#[test]
fn sarif_files_in_the_repository_never_point_outside_it() {
    // The README's CI example uploads what `--output` wrote; a path given relative to the
    // working directory stays relative.
    let tree = materialise("rhel9");
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("plumb.sarif");
    let status = run(plumb()
        .current_dir(repo())
        .args(["scan", "--format", "sarif", "--no-store", "--allow-errors"])
        .args(["--fail-on", "never", "--rules", "./fixtures/rules/../rules"])
        .arg("--root")
        .arg(tree.path())
        .arg("--output")
        .arg(&file));
    assert_eq!(status.status.code(), Some(0), "{}", stderr(&status));
    let doc: Value = serde_json::from_str(&fs::read_to_string(&file).unwrap()).unwrap();
    assert_github_accepts(&doc, "dotted --rules");
    let uri = doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
        ["uri"]
        .as_str()
        .unwrap();
    assert!(uri.starts_with("fixtures/rules/"), "{uri}");
    assert!(Path::new(&repo().join(uri)).is_file());
}
