//! Every report format rendered from one realistic two-host report, and read back with a real
//! parser (serde_json, quick-xml) to check its structure rather than its exact bytes.

use plumb::eval::{AppliedWaiver, Evidence, Reason, RuleResult, Status};
use plumb::report::{
    Changes, Format, HostOutcome, HostReport, JSON_SCHEMA_VERSION, RenderOptions, RuleCatalog,
    RuleInfo, ScanReport, Summary, TOOL, TableView, render, render_table,
};
use plumb::rules::{RuleOrigin, Severity};
use plumb::waivers::{Use, UseStatus};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

const OK_HOST: &str = "web-1.example.com";
const DOWN_HOST: &str = "db-1";
const HOST_ERROR: &str = "ssh: connect to host db-1 port 22: Connection refused";
/// A title and an actual value full of characters XML, Markdown and terminals care about.
const TRICKY_TITLE: &str = "Banner names <ACME> & \"Legal\" | notice";
/// The escape sequence (clear screen) stands for terminal control codes read from a host.
const TRICKY_ACTUAL: &str = "<none> & \"x\"\u{1b}[2J";

fn evidence(target: &str, expected: &str, actual: &str, source: Value) -> Evidence {
    Evidence {
        method: "file_content".into(),
        target: target.into(),
        expected: expected.into(),
        actual: actual.into(),
        source,
    }
}

fn result(
    rule_id: &str,
    title: &str,
    severity: Severity,
    status: Status,
    evidence: Vec<Evidence>,
) -> RuleResult {
    RuleResult {
        rule_id: rule_id.into(),
        title: title.into(),
        severity,
        status,
        reason: None,
        detail: None,
        implementation: None,
        evidence,
        waiver: None,
    }
}

fn results() -> Vec<RuleResult> {
    let mut audit = result(
        "auditd-rules-loaded",
        "Audit rules are loaded",
        Severity::High,
        Status::Error,
        vec![],
    );
    audit.reason = Some(Reason::ProbeFailed);
    audit.detail = Some("auditctl -l: permission denied".into());
    let mut selinux = result(
        "selinux-enforcing",
        "SELinux is enforcing",
        Severity::High,
        Status::Skipped,
        vec![],
    );
    selinux.reason = Some(Reason::Platform);
    selinux.detail = Some("the rule applies to rhel only".into());
    let mut faillock = result(
        "pam-faillock-deny",
        "Lock accounts after failed logins",
        Severity::High,
        Status::Fail,
        vec![
            evidence(
                "/etc/security/faillock.conf deny",
                "<= 5",
                "not set",
                json!({ "files_read": ["/etc/security/faillock.conf"] }),
            ),
            evidence(
                "/etc/pam.d/common-auth",
                "contains `pam_faillock.so`",
                "does not contain it",
                json!({ "file": "/etc/pam.d/common-auth", "line": null }),
            ),
            evidence(
                "/etc/pam.d/common-account",
                "contains `pam_faillock.so`",
                "does not contain it",
                json!({ "file": "/etc/pam.d/common-account", "line": 12 }),
            ),
        ],
    );
    faillock.implementation = Some("dpkg".into());
    vec![
        result(
            "sysctl-ip-forward",
            "IP forwarding is disabled",
            Severity::Medium,
            Status::Pass,
            vec![evidence(
                "net.ipv4.ip_forward",
                "0",
                "0",
                json!({ "file": "/proc/sys/net/ipv4/ip_forward" }),
            )],
        ),
        result(
            "tmp-noexec",
            "/tmp is mounted noexec",
            Severity::Low,
            Status::Fail,
            vec![evidence(
                "/tmp",
                "noexec",
                "rw,nosuid,nodev",
                json!({ "command": "findmnt /tmp", "exit_code": 0 }),
            )],
        ),
        result(
            "ssh-permit-root-login",
            "SSH root login is disabled",
            Severity::Critical,
            Status::Fail,
            vec![evidence(
                "PermitRootLogin",
                "no",
                "yes",
                json!({ "file": "/etc/ssh/sshd_config", "line": 33, "text": "PermitRootLogin yes" }),
            )],
        ),
        audit,
        selinux,
        faillock,
        result(
            "banner-legal-notice",
            TRICKY_TITLE,
            Severity::Medium,
            Status::Fail,
            vec![evidence(
                "/etc/issue.net",
                "contains `Authorized uses only`",
                TRICKY_ACTUAL,
                json!({ "file": "/etc/issue.net", "line": 1 }),
            )],
        ),
    ]
}

fn report() -> ScanReport {
    let results = results();
    let ok = HostReport {
        host: OK_HOST.into(),
        outcome: HostOutcome::Ok,
        error: None,
        platform: Some("Debian GNU/Linux 12 (bookworm)".into()),
        scan_id: Some("scan-0042".into()),
        started_at: "2026-11-22T02:59:00.123Z".into(),
        duration_ms: 1834,
        summary: Summary::of(&results),
        changes: Some(Changes {
            previous_scan: Some("scan-0041".into()),
            new_failures: vec!["ssh-permit-root-login".into()],
            fixed: vec!["sysctl-ip-forward".into()],
            removed: vec![],
            changed: 2,
        }),
        results,
    };
    let down = HostReport {
        host: DOWN_HOST.into(),
        outcome: HostOutcome::Error,
        error: Some(HOST_ERROR.into()),
        platform: None,
        scan_id: None,
        started_at: "2026-11-22T02:59:00.200Z".into(),
        duration_ms: 3005,
        summary: Summary::default(),
        changes: None,
        results: vec![],
    };
    let mut summary = ok.summary.clone();
    summary.add(&down.summary);
    ScanReport {
        schema_version: JSON_SCHEMA_VERSION,
        tool: TOOL,
        generated_at: "2026-11-22T02:59:03.300Z".into(),
        summary,
        hosts: vec![ok, down],
        waivers: Vec::new(),
    }
}

/// Every rule but `tmp-noexec`, which is left out to exercise results without rule texts.
fn catalog() -> RuleCatalog {
    let info = |id: &str, title: &str, severity: Severity, remediation: &str| RuleInfo {
        id: id.into(),
        title: title.into(),
        description: format!("Checks that {}.", title.to_lowercase()),
        rationale: "Reduces the attack surface.".into(),
        severity,
        remediation: remediation.into(),
        tags: vec!["cis".into(), "hardening".into()],
        profiles: vec!["cis_l1_server".into()],
        references: json!({ "cis": { "debian12": "5.2.10" }, "nist_800_53": ["AC-6(2)"] }),
        dialect: plumb::rules::Dialect::Plumb,
        metadata: Value::Null,
        source: RuleOrigin {
            file: "<embedded>/report.yml".into(),
            line: 7,
            column: 3,
        },
    };
    [
        info(
            "sysctl-ip-forward",
            "IP forwarding is disabled",
            Severity::Medium,
            "Set net.ipv4.ip_forward = 0.",
        ),
        info(
            "ssh-permit-root-login",
            "SSH root login is disabled",
            Severity::Critical,
            "Set `PermitRootLogin no` in /etc/ssh/sshd_config,\nthen run: systemctl reload ssh",
        ),
        info(
            "auditd-rules-loaded",
            "Audit rules are loaded",
            Severity::High,
            "Load the rules with augenrules --load.",
        ),
        info(
            "selinux-enforcing",
            "SELinux is enforcing",
            Severity::High,
            "Set SELINUX=enforcing.",
        ),
        info(
            "pam-faillock-deny",
            "Lock accounts after failed logins",
            Severity::High,
            "Enable pam_faillock with deny = 5.",
        ),
        info(
            "banner-legal-notice",
            TRICKY_TITLE,
            Severity::Medium,
            "Write the notice to /etc/issue.net | wc -l ```",
        ),
    ]
    .into_iter()
    .map(|info| (info.id.clone(), info))
    .collect()
}

/// [`report`] with one failure accepted by a waiver, so every optional field is rendered.
fn waived_report() -> ScanReport {
    let mut report = report();
    let mut waived = result(
        "ssh-max-auth-tries",
        "SSH limits authentication attempts",
        Severity::Medium,
        Status::Waived,
        vec![evidence(
            "MaxAuthTries",
            "<= 4",
            "6",
            json!({ "file": "/etc/ssh/sshd_config", "line": 40 }),
        )],
    );
    waived.waiver = Some(AppliedWaiver {
        id: "W-7".into(),
        reason: "bastion, accepted until the migration".into(),
        approved_by: "alice@example.com".into(),
        expires: "2027-03-31T00:00:00Z".into(),
        ticket: Some("SEC-7".into()),
    });
    let host = &mut report.hosts[0];
    host.results.push(waived);
    host.summary = Summary::of(&host.results);
    report.summary = host.summary.clone();
    report.waivers = vec![Use {
        id: "W-7".into(),
        status: UseStatus::Applied,
        expires: "2027-03-31T00:00:00Z".into(),
        waived: 1,
        expired_matches: 0,
    }];
    report
}

fn rendered(format: Format, color: bool) -> String {
    let options = RenderOptions { color, width: None };
    render(format, &report(), &catalog(), options).expect("the report renders")
}

// ---------------------------------------------------------------- JSON

fn assert_string(value: &Value, what: &str) {
    assert!(value.is_string(), "{what} should be a string: {value}");
}

fn assert_count(value: &Value, what: &str) -> u64 {
    value
        .as_u64()
        .unwrap_or_else(|| panic!("{what} should be a non-negative integer: {value}"))
}

fn assert_summary(summary: &Value, what: &str) {
    let total = assert_count(&summary["total"], &format!("{what}.total"));
    let parts: u64 = ["pass", "fail", "skipped", "error", "waived"]
        .iter()
        .map(|key| assert_count(&summary[key], &format!("{what}.{key}")))
        .sum();
    assert_eq!(total, parts, "{what}: total is the sum of the counts");
    assert!(
        summary["score"].is_null() || summary["score"].is_f64(),
        "{what}.score: number or null"
    );
    let by_severity = summary["failed_by_severity"]
        .as_object()
        .unwrap_or_else(|| panic!("{what}.failed_by_severity should be an object"));
    let mut failed = 0;
    for (severity, count) in by_severity {
        assert!(["low", "medium", "high", "critical"].contains(&severity.as_str()));
        failed += assert_count(count, "failed_by_severity count");
    }
    assert_eq!(Some(failed), summary["fail"].as_u64());
}

fn assert_result(result: &Value) {
    assert_string(&result["rule_id"], "rule_id");
    assert_string(&result["title"], "title");
    assert!(
        ["low", "medium", "high", "critical"].contains(&result["severity"].as_str().unwrap_or(""))
    );
    let status = result["status"].as_str().unwrap_or("");
    assert!(["pass", "fail", "skipped", "error"].contains(&status));
    for optional in ["reason", "detail", "implementation"] {
        let value = result.get(optional).unwrap_or(&Value::Null);
        assert!(value.is_null() || value.is_string(), "{optional}: {value}");
    }
    // A skip or error always says why.
    if matches!(status, "skipped" | "error") {
        assert_string(&result["reason"], "reason");
    }
    for evidence in result["evidence"].as_array().expect("evidence is an array") {
        for key in ["method", "target", "expected", "actual"] {
            assert_string(&evidence[key], key);
        }
        assert!(
            evidence.get("source").is_some(),
            "evidence.source is present"
        );
    }
}

#[test]
fn json_has_the_documented_shape() {
    let doc: Value = serde_json::from_str(&rendered(Format::Json, false)).expect("valid JSON");
    assert_eq!(doc["schema_version"], json!(1));
    assert_eq!(doc["tool"]["name"], json!("plumb"));
    assert_string(&doc["tool"]["version"], "tool.version");
    assert_eq!(doc["generated_at"], json!("2026-11-22T02:59:03.300Z"));
    assert_summary(&doc["summary"], "summary");

    let hosts = doc["hosts"].as_array().expect("hosts is an array");
    assert_eq!(hosts.len(), 2);
    for host in hosts {
        assert_string(&host["host"], "host");
        assert_string(&host["started_at"], "started_at");
        assert_count(&host["duration_ms"], "duration_ms");
        assert_summary(&host["summary"], "host summary");
        for result in host["results"].as_array().expect("results is an array") {
            assert_result(result);
        }
    }

    let ok = &hosts[0];
    assert_eq!(ok["outcome"], json!("ok"));
    assert!(ok.get("error").is_none(), "no error key on a scanned host");
    assert_eq!(ok["platform"], json!("Debian GNU/Linux 12 (bookworm)"));
    assert_eq!(ok["scan_id"], json!("scan-0042"));
    assert_eq!(ok["results"].as_array().map(Vec::len), Some(7));
    assert_eq!(ok["summary"]["fail"], json!(4));
    assert_eq!(ok["summary"]["score"], json!(20.0));
    assert_eq!(
        ok["summary"]["failed_by_severity"],
        json!({ "critical": 1, "high": 1, "medium": 1, "low": 1 })
    );
    let changes = &ok["changes"];
    assert_eq!(changes["previous_scan"], json!("scan-0041"));
    assert_eq!(changes["new_failures"], json!(["ssh-permit-root-login"]));
    assert_eq!(changes["fixed"], json!(["sysctl-ip-forward"]));
    assert_eq!(changes["removed"], json!([]));
    assert_eq!(changes["changed"], json!(2));
    let root_login = ok["results"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["rule_id"] == "ssh-permit-root-login"))
        .expect("the root login result");
    assert_eq!(
        root_login["evidence"][0]["source"],
        json!({ "file": "/etc/ssh/sshd_config", "line": 33, "text": "PermitRootLogin yes" })
    );
    assert!(
        root_login.get("reason").is_none(),
        "absent optionals are omitted"
    );

    let down = &hosts[1];
    assert_eq!(down["outcome"], json!("error"));
    assert_eq!(down["error"], json!(HOST_ERROR));
    assert_eq!(down["results"], json!([]));
    assert!(down.get("platform").is_none() && down.get("changes").is_none());
}

#[test]
fn ndjson_is_one_self_contained_object_per_line() {
    let text = rendered(Format::Ndjson, false);
    assert!(text.ends_with('\n'));
    let lines: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).expect("every line is JSON"))
        .collect();
    // 7 results and a summary for the scanned host, one host_error for the other.
    assert_eq!(lines.len(), 9);
    let kinds: Vec<&str> = lines
        .iter()
        .map(|l| l["type"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(&kinds[..7], ["result"; 7]);
    assert_eq!(&kinds[7..], ["summary", "host_error"]);

    for line in &lines {
        assert_eq!(line["schema_version"], json!(1));
        assert_string(&line["host"], "host");
        assert_string(&line["started_at"], "started_at");
        assert!(line["scan_id"].is_string() || line["scan_id"].is_null());
    }
    for line in &lines[..7] {
        assert_eq!(line["host"], json!(OK_HOST));
        assert_eq!(line["scan_id"], json!("scan-0042"));
        for key in ["reason", "detail", "implementation"] {
            assert!(line.get(key).is_some(), "result lines always carry {key}");
        }
        assert_result(line);
    }
    let error_line = lines
        .iter()
        .find(|l| l["rule_id"] == "auditd-rules-loaded")
        .expect("the error result");
    assert_eq!(error_line["status"], json!("error"));
    assert_eq!(error_line["reason"], json!("probe_failed"));
    assert_eq!(
        error_line["detail"],
        json!("auditctl -l: permission denied")
    );

    let summary = &lines[7];
    assert_eq!(summary["outcome"], json!("ok"));
    assert_eq!(summary["platform"], json!("Debian GNU/Linux 12 (bookworm)"));
    assert_eq!(summary["duration_ms"], json!(1834));
    assert_summary(&summary["summary"], "summary line");
    assert_eq!(
        summary["changes"]["new_failures"],
        json!(["ssh-permit-root-login"])
    );

    let host_error = &lines[8];
    assert_eq!(host_error["host"], json!(DOWN_HOST));
    assert_eq!(host_error["outcome"], json!("error"));
    assert_eq!(host_error["error"], json!(HOST_ERROR));
    assert_eq!(host_error["scan_id"], Value::Null);
}

// ---------------------------------------------------------------- SARIF

#[test]
fn sarif_rules_results_and_locations_line_up() {
    let doc: Value = serde_json::from_str(&rendered(Format::Sarif, false)).expect("valid JSON");
    assert_eq!(doc["version"], json!("2.1.0"));
    assert_eq!(
        doc["$schema"],
        json!("https://json.schemastore.org/sarif-2.1.0.json")
    );
    let runs = doc["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], json!("plumb"));
    assert_string(&driver["version"], "driver.version");

    let rules = driver["rules"].as_array().expect("rules");
    let ids: Vec<&str> = rules
        .iter()
        .map(|r| r["id"].as_str().unwrap_or(""))
        .collect();
    let unique: BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "rule ids are unique: {ids:?}");
    // Every rule with a result (passes and skips too), including one missing from the catalog.
    assert_eq!(rules.len(), 7);
    let root_login = rules
        .iter()
        .find(|r| r["id"] == "ssh-permit-root-login")
        .expect("descriptor");
    assert_eq!(root_login["name"], json!("SshPermitRootLogin"));
    assert_eq!(
        root_login["shortDescription"]["text"],
        json!("SSH root login is disabled")
    );
    assert_string(&root_login["fullDescription"]["text"], "fullDescription");
    assert!(
        root_login["help"]["text"]
            .as_str()
            .unwrap_or("")
            .contains("PermitRootLogin no")
    );
    assert!(
        root_login["help"]["markdown"]
            .as_str()
            .unwrap_or("")
            .contains("**Remediation**")
    );
    assert_eq!(root_login["defaultConfiguration"]["level"], json!("error"));
    assert_eq!(root_login["properties"]["severity"], json!("critical"));
    assert_eq!(
        root_login["properties"]["tags"],
        json!(["cis", "hardening"])
    );
    assert_eq!(
        root_login["properties"]["references"]["cis"]["debian12"],
        json!("5.2.10")
    );
    let uncatalogued = rules
        .iter()
        .find(|r| r["id"] == "tmp-noexec")
        .expect("fallback");
    assert_eq!(
        uncatalogued["shortDescription"]["text"],
        json!("/tmp is mounted noexec")
    );
    assert_eq!(uncatalogued["defaultConfiguration"]["level"], json!("note"));

    let results = run["results"].as_array().expect("results");
    // Four failures and one error; passes and skips are not results.
    assert_eq!(results.len(), 5);
    let mut levels = BTreeMap::new();
    for result in results {
        let rule_id = result["ruleId"].as_str().expect("ruleId");
        let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules.get(index).map(|r| &r["id"]), Some(&json!(rule_id)));
        assert_string(&result["message"]["text"], "message.text");
        assert_eq!(result["properties"]["host"], json!(OK_HOST));
        let logical = &result["locations"][0]["logicalLocations"][0];
        assert_eq!(logical["name"], json!(OK_HOST));
        levels.insert(rule_id.to_owned(), result["level"].clone());
    }
    assert_eq!(levels["ssh-permit-root-login"], json!("error"));
    assert_eq!(levels["pam-faillock-deny"], json!("error"));
    assert_eq!(levels["banner-legal-notice"], json!("warning"));
    assert_eq!(levels["tmp-noexec"], json!("note"));
    assert_eq!(levels["auditd-rules-loaded"], json!("error"));

    let find = |id: &str| {
        results
            .iter()
            .find(|r| r["ruleId"] == id)
            .unwrap_or_else(|| panic!("a result for {id}"))
    };
    let root = find("ssh-permit-root-login");
    assert_eq!(
        root["message"]["text"],
        json!("SSH root login is disabled: expected no, found yes")
    );
    // The primary location is the rule's definition; the files read on the host are related.
    let physical = &root["locations"][0]["physicalLocation"];
    assert_eq!(
        physical["artifactLocation"]["uri"],
        json!("plumb/rules/report.yml")
    );
    assert_eq!(physical["region"]["startLine"], json!(7));
    let related = &root["relatedLocations"][0]["physicalLocation"];
    assert_eq!(
        related["artifactLocation"]["uri"],
        json!("etc/ssh/sshd_config")
    );
    assert_eq!(related["artifactLocation"]["uriBaseId"], json!("HOSTROOT"));
    assert_eq!(related["region"]["startLine"], json!(33));

    // A file without a line has no region; every file is a related location.
    let faillock = find("pam-faillock-deny");
    let related = faillock["relatedLocations"].as_array().expect("related");
    let uris: Vec<&Value> = related
        .iter()
        .map(|r| &r["physicalLocation"]["artifactLocation"]["uri"])
        .collect();
    assert_eq!(
        uris,
        [
            &json!("etc/pam.d/common-auth"),
            &json!("etc/pam.d/common-account")
        ]
    );
    assert!(related[0]["physicalLocation"].get("region").is_none());
    assert_eq!(
        related[1]["physicalLocation"]["region"]["startLine"],
        json!(12)
    );

    // No file in the evidence, and no catalogued rule: still a location, by rule id.
    let tmp = find("tmp-noexec");
    assert_eq!(
        tmp["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        json!("plumb/rule/tmp-noexec")
    );
    assert!(tmp.get("relatedLocations").is_none());
    let error = find("auditd-rules-loaded");
    assert_eq!(error["properties"]["status"], json!("error"));
    assert!(
        error["message"]["text"]
            .as_str()
            .unwrap_or("")
            .contains("permission denied")
    );

    let invocation = &run["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], json!(false));
    let notification = &invocation["toolExecutionNotifications"][0];
    assert_eq!(notification["level"], json!("error"));
    assert!(
        notification["message"]["text"]
            .as_str()
            .unwrap_or("")
            .contains(HOST_ERROR)
    );
}

// ---------------------------------------------------------------- JUnit

#[derive(Debug, Deserialize)]
struct TestSuites {
    #[serde(rename = "@tests")]
    tests: usize,
    #[serde(rename = "@failures")]
    failures: usize,
    #[serde(rename = "@errors")]
    errors: usize,
    #[serde(rename = "@skipped")]
    skipped: usize,
    #[serde(rename = "testsuite", default)]
    suites: Vec<TestSuite>,
}

#[derive(Debug, Deserialize)]
struct TestSuite {
    #[serde(rename = "@name")]
    name: String,
    #[serde(rename = "@tests")]
    tests: usize,
    #[serde(rename = "@failures")]
    failures: usize,
    #[serde(rename = "@errors")]
    errors: usize,
    #[serde(rename = "@skipped")]
    skipped: usize,
    #[serde(rename = "@timestamp")]
    timestamp: String,
    #[serde(rename = "testcase", default)]
    cases: Vec<TestCase>,
}

#[derive(Debug, Deserialize)]
struct TestCase {
    #[serde(rename = "@classname")]
    classname: String,
    #[serde(rename = "@name")]
    name: String,
    failure: Option<Failure>,
    error: Option<Problem>,
    skipped: Option<Problem>,
}

#[derive(Debug, Deserialize)]
struct Failure {
    #[serde(rename = "@message")]
    message: String,
    #[serde(rename = "@type")]
    kind: String,
    #[serde(rename = "$text", default)]
    body: String,
}

#[derive(Debug, Deserialize)]
struct Problem {
    #[serde(rename = "@message")]
    message: String,
}

#[test]
fn junit_counts_match_test_cases_and_text_survives_escaping() {
    let xml = rendered(Format::Junit, false);
    assert!(
        xml.chars()
            .all(|c| !c.is_control() || matches!(c, '\n' | '\t' | '\r')),
        "no character XML 1.0 forbids"
    );
    let doc: TestSuites = quick_xml::de::from_str(&xml).expect("well-formed JUnit XML");
    assert_eq!(doc.suites.len(), 2);

    let mut totals = [0; 4];
    for suite in &doc.suites {
        let count = |pick: fn(&TestCase) -> bool| suite.cases.iter().filter(|c| pick(c)).count();
        assert_eq!(suite.tests, suite.cases.len(), "{}: tests", suite.name);
        assert_eq!(
            suite.failures,
            count(|c| c.failure.is_some()),
            "{}: failures",
            suite.name
        );
        assert_eq!(
            suite.errors,
            count(|c| c.error.is_some()),
            "{}: errors",
            suite.name
        );
        assert_eq!(
            suite.skipped,
            count(|c| c.skipped.is_some()),
            "{}: skipped",
            suite.name
        );
        for case in &suite.cases {
            assert_eq!(case.classname, format!("plumb.{}", suite.name));
        }
        for (total, n) in
            totals
                .iter_mut()
                .zip([suite.tests, suite.failures, suite.errors, suite.skipped])
        {
            *total += n;
        }
    }
    assert_eq!(totals, [doc.tests, doc.failures, doc.errors, doc.skipped]);

    let ok = &doc.suites[0];
    assert_eq!(ok.name, OK_HOST);
    assert_eq!(ok.timestamp, "2026-11-22T02:59:00");
    assert_eq!((ok.tests, ok.failures, ok.errors, ok.skipped), (7, 4, 1, 1));
    let case = |name: &str| {
        ok.cases
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("a test case named {name:?}"))
    };
    let tricky = case(&format!("banner-legal-notice: {TRICKY_TITLE}"));
    let failure = tricky.failure.as_ref().expect("a failure");
    assert_eq!(failure.kind, "medium");
    assert!(
        failure.message.contains("<none> & \"x\""),
        "{}",
        failure.message
    );
    assert!(
        !failure.message.contains('\u{1b}'),
        "illegal character stripped"
    );
    assert!(
        failure.body.contains("actual: <none> & \"x\""),
        "{}",
        failure.body
    );
    assert!(failure.body.contains("source: /etc/issue.net:1"));
    assert!(
        failure
            .body
            .contains("remediation:\nWrite the notice to /etc/issue.net | wc -l")
    );

    let root = case("ssh-permit-root-login: SSH root login is disabled");
    let failure = root.failure.as_ref().expect("a failure");
    assert_eq!(failure.kind, "critical");
    assert_eq!(failure.message, "expected no, found yes");
    assert!(
        failure.body.contains("then run: systemctl reload ssh"),
        "multi-line remediation"
    );

    let error = case("auditd-rules-loaded: Audit rules are loaded");
    let message = &error.error.as_ref().expect("an error").message;
    assert_eq!(message, "probe_failed: auditctl -l: permission denied");
    let skipped = case("selinux-enforcing: SELinux is enforcing");
    let message = &skipped.skipped.as_ref().expect("skipped").message;
    assert_eq!(message, "platform: the rule applies to rhel only");

    let down = &doc.suites[1];
    assert_eq!(down.name, DOWN_HOST);
    assert_eq!((down.tests, down.errors), (1, 1));
    let message = &down.cases[0]
        .error
        .as_ref()
        .expect("the host error")
        .message;
    assert_eq!(message, HOST_ERROR);
}

// ---------------------------------------------------------------- table

#[test]
fn table_without_color_has_no_escape_codes_and_fits_100_columns() {
    let text = rendered(Format::Table, false);
    assert!(!text.contains('\u{1b}'), "no escape codes without color");
    assert!(
        text.contains("\"x\"\\u{1b}[2J"),
        "control codes from hosts are shown escaped"
    );
    for line in text.lines() {
        assert!(line.chars().count() <= 100, "too wide: {line:?}");
    }
    // A one-line header first; a fleet is one line per host.
    let first = text.lines().next().unwrap();
    assert_eq!(first, format!("plumb {} · 2 hosts", TOOL.version));
    let host_line = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("a line for {name}"))
            .to_owned()
    };
    assert!(host_line(OK_HOST).contains("failures"));
    assert!(
        host_line(OK_HOST)
            .contains("score 20.0%, 4 fail (1 critical, 1 high, 1 medium, 1 low), 1 error")
    );
    assert!(host_line(DOWN_HOST).contains("not scanned"));
    assert!(
        host_line(DOWN_HOST).contains(HOST_ERROR),
        "the unscanned host shows its error"
    );

    // Failures by severity, then rule id; errors after them, with why; no passes or skips.
    let position = |needle: &str| {
        text.find(needle)
            .unwrap_or_else(|| panic!("{needle} shown"))
    };
    let order = [
        "ssh-permit-root-login",
        "pam-faillock-deny",
        "banner-legal-notice",
        "tmp-noexec",
        "could not be assessed",
        "auditd-rules-loaded",
    ];
    for pair in order.windows(2) {
        assert!(
            position(pair[0]) < position(pair[1]),
            "{} before {}",
            pair[0],
            pair[1]
        );
    }
    assert!(!text.contains("selinux-enforcing") && !text.contains("IP forwarding is disabled"));
    let audit = host_line("high      auditd-rules-loaded");
    assert!(
        audit.contains("probe_failed: auditctl -l:"),
        "why, cut to fit: {audit}"
    );
    // Remediation is for --explain; the summary says so, and comes last.
    assert!(!text.contains("systemctl reload ssh"));
    let summary = text.trim_end().rsplit("\n\n").next().unwrap();
    assert!(
        summary.starts_with("2 hosts: 1 scanned, 1 not scanned\n"),
        "{summary}"
    );
    assert!(summary.contains("7 rules: 1 pass, 4 fail, 1 error, 1 skipped; score 20.0%\n"));
    assert!(summary.contains("failed: 1 critical, 1 high, 1 medium, 1 low\n"));
    assert!(summary.contains("errors: 1 rule could not be assessed (probe_failed: 1)"));
    assert!(summary.contains("since last scan: 1 new failure, 1 fixed on 1 host"));
    assert!(summary.contains("--explain RULE"));
}

#[test]
fn table_with_color_is_colored() {
    let text = rendered(Format::Table, true);
    assert!(text.contains("\u{1b}[31m"), "red for failures");
    assert!(text.contains("\u{1b}[35mcritical"), "magenta for critical");
    assert!(text.contains("\u{1b}[32m"), "green for passes");
}

#[test]
fn table_fits_the_given_width() {
    for width in [40, 72, 80] {
        let options = RenderOptions {
            color: false,
            width: Some(width),
        };
        let text = render(Format::Table, &report(), &catalog(), options).expect("renders");
        for line in text.lines() {
            assert!(
                line.chars().count() <= usize::from(width),
                "too wide: {line:?}"
            );
        }
    }
}

#[test]
fn table_explains_a_rule_in_full_and_summarises_on_request() {
    let options = RenderOptions {
        color: false,
        width: Some(80),
    };
    let view = TableView {
        summary_only: false,
        explain: vec!["pam-faillock-deny".into()],
    };
    let text = render_table(&report(), &catalog(), options, &view);
    let explained = &text[text.find("pam-faillock-deny · high · ").expect("explained")..];
    assert!(explained.contains("  fix       Enable pam_faillock with deny = 5."));
    assert!(explained.contains("  host      web-1.example.com"));
    assert!(explained.contains("  actual    /etc/security/faillock.conf deny: not set"));
    assert!(
        explained.contains(
            "  source    /etc/pam.d/common-auth\n            /etc/pam.d/common-account:12"
        )
    );
    assert!(explained.contains("  refs      cis debian12 5.2.10; nist_800_53 AC-6(2)"));

    let summary = TableView {
        summary_only: true,
        explain: vec![],
    };
    let text = render_table(&report(), &catalog(), options, &summary);
    assert!(!text.contains("ssh-permit-root-login"), "{text}");
    assert!(text.contains("7 rules: 1 pass"), "{text}");
    assert_eq!(text.trim_end().split("\n\n").count(), 2, "{text}");
}

// ---------------------------------------------------------------- Markdown

/// Splits a Markdown table row into cells, honouring `\|` escapes.
fn cells(row: &str) -> Vec<String> {
    let mut cells = vec![String::new()];
    let mut chars = row.trim().trim_start_matches('|').chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                cells.last_mut().into_iter().for_each(|cell| cell.push(c));
                if let Some(next) = chars.next() {
                    cells
                        .last_mut()
                        .into_iter()
                        .for_each(|cell| cell.push(next));
                }
            }
            '|' => cells.push(String::new()),
            _ => cells.last_mut().into_iter().for_each(|cell| cell.push(c)),
        }
    }
    if cells.last().is_some_and(|c| c.trim().is_empty()) {
        cells.pop();
    }
    cells
}

#[test]
fn markdown_tables_keep_their_shape_and_escape_cells() {
    let text = rendered(Format::Markdown, false);
    assert!(text.starts_with("# plumb scan report\n"));

    // Every row of a table has as many cells as its header.
    let mut header_width = None;
    for line in text.lines() {
        if !line.starts_with('|') {
            header_width = None;
            continue;
        }
        let width = cells(line).len();
        match header_width {
            None => header_width = Some(width),
            Some(expected) => assert_eq!(width, expected, "row {line:?}"),
        }
    }

    let summary_row = text
        .lines()
        .find(|l| l.starts_with(&format!("| {OK_HOST} |")))
        .expect("a summary row for the scanned host");
    assert_eq!(
        cells(summary_row)
            .iter()
            .map(|c| c.trim())
            .collect::<Vec<_>>(),
        [
            OK_HOST,
            "Debian GNU/Linux 12 (bookworm)",
            "ok",
            "1",
            "4",
            "1",
            "1",
            "20.0%",
            "1 new failure (ssh-permit-root-login), 1 fixed (sysctl-ip-forward)",
        ]
    );
    assert!(text.contains("not scanned: ssh: connect to host db-1 port 22: Connection refused"));

    let tricky = text
        .lines()
        .find(|l| l.starts_with("| banner-legal-notice"))
        .expect("the tricky row");
    assert!(
        tricky.contains("Banner names \\<ACME\\> \\& \"Legal\" \\| notice"),
        "{tricky}"
    );

    // Groups from critical down, errors after failures, remediation last and collapsible.
    let position = |needle: &str| {
        text.find(needle)
            .unwrap_or_else(|| panic!("{needle} shown"))
    };
    let order = [
        "### Critical (1)",
        "### High (1)",
        "### Medium (1)",
        "### Low (1)",
        "### Could not evaluate (1)",
        "<details><summary>Remediation (3)</summary>",
        "</details>",
    ];
    for pair in order.windows(2) {
        assert!(
            position(pair[0]) < position(pair[1]),
            "{} before {}",
            pair[0],
            pair[1]
        );
    }
    // The remediation holding three backticks gets a longer fence.
    assert!(text.contains("````text\nWrite the notice to /etc/issue.net | wc -l ```\n````"));
    let faillock = text
        .lines()
        .find(|l| l.starts_with("| pam-faillock-deny"))
        .expect("the faillock row");
    assert!(
        faillock.contains("deny: not set `<br>` /etc/pam.d/common-auth: does not contain it `"),
        "multi-line cells use <br>: {faillock}"
    );
}

#[test]
fn markdown_evidence_keeps_tabs_and_runs_of_spaces_readable() {
    use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
    let pam = "auth\t[success=1 default=ignore]   pam_unix.so nullok";
    let mut report = report();
    report.hosts[0].results.push(result(
        "pam-unix-nullok",
        "No empty passwords",
        Severity::High,
        Status::Fail,
        vec![evidence(
            "/etc/pam.d/common-auth",
            "no `nullok` | none",
            pam,
            json!({ "file": "/etc/pam.d/common-auth", "line": 17 }),
        )],
    ));
    let text = render(
        Format::Markdown,
        &report,
        &catalog(),
        RenderOptions {
            color: false,
            width: None,
        },
    )
    .unwrap();
    // Read back as GitHub does: the row's cells, and the code inside them.
    let mut row: Vec<String> = Vec::new();
    let mut rows = Vec::new();
    for event in Parser::new_ext(&text, Options::ENABLE_TABLES) {
        match event {
            Event::Start(Tag::TableCell) => row.push(String::new()),
            Event::Code(code) | Event::Text(code) => {
                if let Some(cell) = row.last_mut() {
                    cell.push_str(&code);
                }
            }
            Event::End(TagEnd::TableRow) => rows.push(std::mem::take(&mut row)),
            _ => {}
        }
    }
    let pam_row = rows
        .iter()
        .find(|r| r.first().is_some_and(|c| c == "pam-unix-nullok"))
        .unwrap_or_else(|| panic!("a row for the rule in {rows:?}"));
    assert_eq!(pam_row[2], "no `nullok` | none", "{pam_row:?}");
    assert_eq!(
        pam_row[3], "auth→[success=1 default=ignore]   pam_unix.so nullok",
        "the tab is marked and the spaces kept: {pam_row:?}"
    );
}

// ---------------------------------------------------------------- the schema document

const SCHEMA_DOC: &str = include_str!("../README.md");

/// Field names (first column, in backticks) of the first table after `heading`.
fn documented_fields(heading: &str) -> BTreeSet<String> {
    let mut lines = SCHEMA_DOC.lines().skip_while(|l| *l != heading).skip(1);
    let mut fields = BTreeSet::new();
    let mut in_table = false;
    for line in lines.by_ref() {
        if let Some(row) = line.strip_prefix("| `") {
            in_table = true;
            if let Some((name, _)) = row.split_once('`') {
                fields.insert(name.to_owned());
            }
        } else if in_table && !line.starts_with('|') {
            break;
        }
    }
    assert!(!fields.is_empty(), "no field table under {heading:?}");
    fields
}

/// Every object's keys are documented, and every documented key occurs in some object.
fn assert_documented(objects: &[&Value], documented: &BTreeSet<String>, what: &str) {
    let mut seen = BTreeSet::new();
    for object in objects {
        let keys = object
            .as_object()
            .unwrap_or_else(|| panic!("{what} is an object"));
        for key in keys.keys() {
            assert!(
                documented.contains(key),
                "{what}: undocumented field {key:?}"
            );
            seen.insert(key.clone());
        }
    }
    assert_eq!(
        &seen, documented,
        "{what}: documented fields never rendered"
    );
}

#[test]
fn json_fields_are_exactly_the_documented_ones() {
    let options = RenderOptions {
        color: false,
        width: None,
    };
    let text = render(Format::Json, &waived_report(), &catalog(), options).unwrap();
    let doc: Value = serde_json::from_str(&text).expect("valid JSON");
    let hosts: Vec<&Value> = doc["hosts"].as_array().expect("hosts").iter().collect();
    let results: Vec<&Value> = hosts
        .iter()
        .flat_map(|h| h["results"].as_array().into_iter().flatten())
        .collect();
    let evidence: Vec<&Value> = results
        .iter()
        .flat_map(|r| r["evidence"].as_array().into_iter().flatten())
        .collect();
    let summaries: Vec<&Value> = std::iter::once(&doc["summary"])
        .chain(hosts.iter().map(|h| &h["summary"]))
        .collect();
    let changes: Vec<&Value> = hosts.iter().filter_map(|h| h.get("changes")).collect();

    assert_documented(&[&doc], &documented_fields("## `--format json`"), "report");
    assert_documented(&hosts, &documented_fields("### Host"), "host");
    assert_documented(&summaries, &documented_fields("### Summary"), "summary");
    assert_documented(&changes, &documented_fields("### Changes"), "changes");
    assert_documented(&results, &documented_fields("### Result"), "result");
    assert_documented(&evidence, &documented_fields("### Evidence"), "evidence");
}

#[test]
fn ndjson_fields_are_exactly_the_documented_ones() {
    let options = RenderOptions {
        color: false,
        width: None,
    };
    let text = render(Format::Ndjson, &waived_report(), &catalog(), options).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    let of_type =
        |kind: &str| -> Vec<&Value> { lines.iter().filter(|l| l["type"] == kind).collect() };
    let common = documented_fields("## `--format ndjson`");
    let with =
        |extra: BTreeSet<String>| -> BTreeSet<String> { common.union(&extra).cloned().collect() };

    assert_documented(
        &of_type("result"),
        &with(documented_fields("### Result")),
        "result line",
    );
    assert_documented(
        &of_type("summary"),
        &with(documented_fields("### `\"type\": \"summary\"`")),
        "summary line",
    );
    assert_documented(
        &of_type("host_error"),
        &with(documented_fields("### `\"type\": \"host_error\"`")),
        "host_error line",
    );
}

#[test]
fn the_schema_document_examples_are_valid_json() {
    let mut blocks = 0;
    let mut rest = SCHEMA_DOC;
    while let Some(start) = rest.find("```json\n") {
        let body = &rest[start + "```json\n".len()..];
        let end = body.find("```").expect("a closed code block");
        let value: Value = serde_json::from_str(&body[..end]).expect("example parses");
        assert_eq!(value["schema_version"], json!(1));
        blocks += 1;
        rest = &body[end + 3..];
    }
    assert_eq!(blocks, 3);
}

#[test]
fn markdown_stays_under_the_step_summary_limit() {
    let long_title = "A rule title long enough to make every failure row weigh a few hundred bytes";
    let failures: Vec<RuleResult> = (0..60)
        .map(|i| {
            result(
                &format!("rule-{i:03}"),
                long_title,
                Severity::High,
                Status::Fail,
                vec![evidence(
                    "/etc/some/config/file.conf",
                    "a value",
                    "another value",
                    json!({}),
                )],
            )
        })
        .collect();
    let mut big = report();
    let template = big.hosts[0].clone();
    big.hosts = (0..400)
        .map(|i| HostReport {
            host: format!("host-{i:03}"),
            summary: Summary::of(&failures),
            results: failures.clone(),
            ..template.clone()
        })
        .collect();
    let options = RenderOptions {
        color: false,
        width: None,
    };
    let text = render(Format::Markdown, &big, &catalog(), options).expect("renders");
    assert!(text.len() <= 1024 * 1024, "{} bytes", text.len());
    // The summary table still has every host; some sections are left out, and it says so.
    assert!(text.contains("| host-399 |"));
    assert!(text.contains("## host-000"));
    assert!(!text.contains("## host-399"));
    assert!(text.contains("more host sections left out"));
}

#[test]
fn an_empty_report_renders_in_every_format() {
    let mut empty = report();
    empty.hosts.clear();
    empty.summary = Summary::default();
    let options = RenderOptions {
        color: false,
        width: None,
    };
    let of = |format| render(format, &empty, &catalog(), options).expect("renders");

    assert_eq!(of(Format::Ndjson), "");
    let sarif: Value = serde_json::from_str(&of(Format::Sarif)).expect("valid SARIF JSON");
    assert_eq!(sarif["runs"][0]["results"], json!([]));
    assert_eq!(sarif["runs"][0]["tool"]["driver"]["rules"], json!([]));
    assert_eq!(
        sarif["runs"][0]["invocations"][0]["executionSuccessful"],
        json!(true)
    );
    let junit: TestSuites = quick_xml::de::from_str(&of(Format::Junit)).expect("valid XML");
    assert_eq!((junit.tests, junit.suites.len()), (0, 0));
    let json: Value = serde_json::from_str(&of(Format::Json)).expect("valid JSON");
    assert_eq!(json["hosts"], json!([]));
    assert!(of(Format::Table).contains("no hosts in this report"));
    assert!(of(Format::Markdown).contains("0 hosts"));
}

#[test]
fn json_ndjson_and_markdown_carry_each_rules_references_and_profiles() {
    let doc: Value = serde_json::from_str(&rendered(Format::Json, false)).expect("valid JSON");
    let results = doc["hosts"][0]["results"].as_array().expect("results");
    let root_login = results
        .iter()
        .find(|r| r["rule_id"] == "ssh-permit-root-login")
        .expect("the root login result");
    assert_eq!(root_login["references"]["cis"]["debian12"], json!("5.2.10"));
    assert_eq!(root_login["references"]["nist_800_53"], json!(["AC-6(2)"]));
    assert_eq!(root_login["profiles"], json!(["cis_l1_server"]));
    // A rule the catalog lacks has neither (optional fields are left out, never null).
    let tmp = results
        .iter()
        .find(|r| r["rule_id"] == "tmp-noexec")
        .expect("the tmp result");
    assert!(tmp.get("references").is_none() && tmp.get("profiles").is_none());

    let ndjson = rendered(Format::Ndjson, false);
    let lines: Vec<Value> = ndjson
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .filter(|line: &Value| line["type"] == "result")
        .collect();
    let line = lines
        .iter()
        .find(|l| l["rule_id"] == "ssh-permit-root-login")
        .expect("the root login line");
    assert_eq!(line["references"]["cis"]["debian12"], json!("5.2.10"));
    assert_eq!(line["profiles"], json!(["cis_l1_server"]));
    let tmp = lines
        .iter()
        .find(|l| l["rule_id"] == "tmp-noexec")
        .expect("the tmp line");
    assert_eq!(tmp["references"], Value::Null);
    assert_eq!(tmp["profiles"], json!([]));

    let markdown = rendered(Format::Markdown, false);
    let row = markdown
        .lines()
        .find(|l| l.starts_with("| ssh-permit-root-login"))
        .expect("the root login row");
    assert!(
        row.ends_with("| cis debian12 5.2.10; nist\\_800\\_53 AC-6(2) | cis\\_l1\\_server |"),
        "{row}"
    );
}
