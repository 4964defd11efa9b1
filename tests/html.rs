//! The HTML report in a real browser: Debian's `chromium`, headless, runs the page's script
//! (`--dump-dom` prints the DOM after it ran), and its network log shows every request the
//! page started. The size bound of a 1,000-host fleet page is checked by
//! `cargo bench --bench html` (building that state file takes minutes in a debug build).
//!
//! chromium is required: without it these tests fail (CI installs it in .ci/run).

mod support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use support::{fixtures, json, plumb, run, stderr};

/// A host name that is markup: it must show as text and load nothing.
const HOSTILE_HOST: &str = "web\"><img src=http://127.0.0.1:9/pwn.png>";

fn chromium() -> PathBuf {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("chromium"))
            .find(|path| path.is_file())
    });
    found.unwrap_or_else(|| {
        panic!(
            "chromium is not installed; the HTML report is tested in a real browser \
             (.ci/run installs Debian's chromium: apt-get install chromium)"
        )
    })
}

/// What headless chromium made of a page.
struct Browsed {
    /// The DOM after the page's script ran.
    dom: String,
    /// URLs of requests the page itself started (the browser's own background requests,
    /// such as its component updater, have no page origin and are not counted).
    page_requests: Vec<String>,
}

fn browse(url: &str, extra: &[&str]) -> Browsed {
    let dir = tempfile::tempdir().unwrap();
    let net_log = dir.path().join("net-log.json");
    let profile = dir.path().join("profile");
    let mut cmd = Command::new(chromium());
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .arg(format!("--log-net-log={}", net_log.display()))
    .args(extra)
    .arg(url);
    let out = support::run_bounded(&mut cmd, Duration::from_secs(120));
    assert!(out.status.success(), "chromium failed: {}", stderr(&out));
    Browsed {
        dom: String::from_utf8_lossy(&out.stdout).into_owned(),
        page_requests: page_requests(&net_log),
    }
}

/// URL requests in chromium's net log whose initiator is a page (a `file://` page's origin is
/// "null"); the browser's own requests are logged with the initiator "not an origin".
fn page_requests(net_log: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(net_log).expect("chromium wrote its net log");
    // chromium may leave the events array unterminated when it exits.
    let log: Value = serde_json::from_str(&text)
        .or_else(|_| serde_json::from_str(&format!("{}]}}", text.trim_end().trim_end_matches(','))))
        .expect("the net log is JSON");
    let start_job = &log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"];
    assert!(
        start_job.is_number(),
        "the net log names URL_REQUEST_START_JOB"
    );
    log["events"]
        .as_array()
        .expect("net log events")
        .iter()
        .filter(|event| &event["type"] == start_job)
        .filter_map(|event| {
            let params = &event["params"];
            let url = params["url"].as_str()?;
            (params["initiator"] != "not an origin").then(|| url.to_string())
        })
        .collect()
}

fn file_url(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// `data-NAME="VALUE"` of the first element whose start tag contains `marker`.
fn attribute(dom: &str, marker: &str, name: &str) -> Option<String> {
    let at = dom.find(marker)?;
    let tag_start = dom[..at].rfind('<')?;
    let tag = &dom[tag_start..tag_start + dom[tag_start..].find('>')?];
    let key = format!(" {name}=\"");
    let value = &tag[tag.find(&key)? + key.len()..];
    Some(value[..value.find('"')?].to_string())
}

fn count(dom: &str, marker: &str, name: &str) -> u64 {
    attribute(dom, marker, name)
        .unwrap_or_else(|| panic!("no {name} on {marker}"))
        .parse()
        .unwrap()
}

/// The `<g>` of a chart line by its label, and the number of dots in it.
fn dots_of_line(dom: &str, chart_id: &str, label: &str) -> usize {
    let chart = &dom[dom
        .find(&format!("id=\"{chart_id}\""))
        .expect("chart present")..];
    let chart = &chart[..chart.find("</svg>").unwrap()];
    let start = chart
        .find(&format!("data-label=\"{label}\""))
        .unwrap_or_else(|| panic!("no line {label} in {chart_id}"));
    let line = &chart[start..];
    let line = &line[..line.find("</g>").unwrap()];
    line.matches("<circle").count()
}

/// Vertices of the sparkline in a host's row of the hosts table (a lone scan is one dot).
fn spark_vertices(dom: &str, host: &str) -> usize {
    let row = &dom[dom
        .find(&format!("data-name=\"{host}\""))
        .expect("host row")..];
    let spark = &row[row.find("class=\"spark\"").expect("sparkline")..];
    let spark = &spark[..spark.find("</svg>").unwrap()];
    match spark.split("<polyline points=\"").nth(1) {
        Some(points) => points[..points.find('"').unwrap()]
            .split_whitespace()
            .count(),
        None => spark.matches("<circle").count(),
    }
}

fn scan_tree(tree: &Path, host: &str, state: &Path, format: &[&str]) -> std::process::Output {
    let out = run(plumb()
        .args(["scan", "--fail-on", "never", "--root"])
        .arg(tree)
        .args(["--host-name", host, "--state"])
        .arg(state)
        .args(format));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    out
}

fn artefact_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join("test-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn the_browser_detects_a_page_that_loads_from_the_network() {
    // The control for the "no request" checks below: the same detector flags a page that
    // does load something.
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("leaky.html");
    std::fs::write(
        &page,
        "<!DOCTYPE html><html><body><img src=\"http://127.0.0.1:9/x.png\"></body></html>",
    )
    .unwrap();
    let browsed = browse(&file_url(&page), &["--dump-dom"]);
    assert!(
        browsed
            .page_requests
            .iter()
            .any(|url| url.contains("127.0.0.1:9")),
        "{:?}",
        browsed.page_requests
    );
}

#[test]
fn a_scan_page_shows_the_json_reports_counts_and_one_trend_point_per_scan() {
    let tree = fixtures::materialise("debian12-default");
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.db");
    for _ in 0..3 {
        scan_tree(tree.path(), HOSTILE_HOST, &state, &["--format", "json"]);
    }
    let page = dir.path().join("scan.html");
    let out = run(plumb()
        .args(["scan", "--fail-on", "never", "--root"])
        .arg(tree.path())
        .args(["--host-name", HOSTILE_HOST, "--state"])
        .arg(&state)
        .args(["--format", "html", "--output"])
        .arg(&page));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(out.stdout.is_empty(), "the page went to --output only");
    // The same tree scanned for JSON (results are deterministic for a tree).
    let report = json(&scan_tree(
        tree.path(),
        HOSTILE_HOST,
        &state,
        &["--format", "json", "--no-store"],
    ));
    let summary = &report["summary"];

    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src &#39;none&#39;"
    ));
    assert!(!html.contains("<img"), "a host name became markup");

    let browsed = browse(&file_url(&page), &["--dump-dom"]);
    let dom = &browsed.dom;
    assert!(
        dom.contains("data-js=\"ready\""),
        "the page's script did not run (CSP hash?)"
    );
    for status in ["pass", "fail", "skipped", "error"] {
        assert_eq!(
            count(dom, "id=\"counts\"", &format!("data-{status}")),
            summary[status].as_u64().unwrap(),
            "{status}"
        );
    }
    for severity in ["critical", "high", "medium", "low"] {
        assert_eq!(
            count(dom, "id=\"counts\"", &format!("data-{severity}")),
            summary["failed_by_severity"][severity]
                .as_u64()
                .unwrap_or(0),
            "failed {severity}"
        );
    }
    assert!(!dom.contains("<img"), "a host name became an element");
    assert!(dom.contains("web\"&gt;&lt;img src=http://127.0.0.1:9/pwn.png&gt;"));
    // One dot per recorded scan of the host: three JSON scans and the HTML one.
    let scans = support::state_json(&state, &["scans", "--host", HOSTILE_HOST]);
    assert_eq!(scans.as_array().unwrap().len(), 4);
    let label = HOSTILE_HOST
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    assert_eq!(dots_of_line(dom, "trend-hosts", &label), 4);
    assert_eq!(browsed.page_requests, Vec::<String>::new());

    // A filter in the address: only high failures are counted.
    let filtered = browse(
        &format!("{}#st=fail&sev=high", file_url(&page)),
        &["--dump-dom"],
    );
    assert_eq!(
        count(&filtered.dom, "id=\"counts\"", "data-results"),
        summary["failed_by_severity"]["high"].as_u64().unwrap()
    );
}

#[test]
fn the_fleet_page_matches_the_state_file_and_is_screenshotted() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.db");
    let mut scans_per_host = Vec::new();
    for (i, name) in [
        "debian12-default",
        "debian12-hardened",
        "rhel9",
        "ubuntu2204",
    ]
    .iter()
    .enumerate()
    {
        let tree = fixtures::materialise(name);
        let host = format!("{name}.example");
        for _ in 0..=i {
            scan_tree(tree.path(), &host, &state, &["--format", "json"]);
        }
        scans_per_host.push((host, i + 1));
    }
    let page = dir.path().join("fleet.html");
    let out = run(plumb()
        .args(["state", "report", "--state"])
        .arg(&state)
        .arg("--output")
        .arg(&page));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    let browsed = browse(&file_url(&page), &["--dump-dom"]);
    let dom = &browsed.dom;
    assert!(dom.contains("data-js=\"ready\""));
    let hosts = support::state_json(&state, &["hosts"]);
    for status in ["pass", "fail", "skipped", "error"] {
        let expected: u64 = hosts
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["counts"][status].as_u64().unwrap())
            .sum();
        assert_eq!(
            count(dom, "id=\"counts\"", &format!("data-{status}")),
            expected,
            "{status}"
        );
        assert_eq!(
            count(dom, "id=\"totals\"", &format!("data-{status}")),
            expected,
            "{status}"
        );
    }
    // Each host's sparkline has one vertex per scan, and the fleet chart one dot per scan time.
    for (host, scans) in &scans_per_host {
        assert_eq!(spark_vertices(dom, host), *scans, "{host}");
    }
    let all_scans = support::state_json(&state, &["scans", "--limit", "100"]);
    let mut times: Vec<&str> = all_scans
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["finished_at"].as_str().unwrap())
        .collect();
    times.sort();
    times.dedup();
    assert_eq!(
        dots_of_line(dom, "trend-fleet-score", "fleet score"),
        times.len()
    );
    assert_eq!(
        dots_of_line(dom, "trend-failures", "critical"),
        times.len(),
        "failures by severity at every scan time"
    );
    assert_eq!(browsed.page_requests, Vec::<String>::new());

    let screenshot = artefact_dir().join("html-report.png");
    let _ = std::fs::remove_file(&screenshot);
    browse(
        &file_url(&page),
        &[
            &format!("--screenshot={}", screenshot.display()),
            "--window-size=1280,2000",
        ],
    );
    let png = std::fs::read(&screenshot).expect("chromium wrote the screenshot");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 20_000,
        "{}",
        png.len()
    );
}

#[test]
fn html_is_refused_on_a_terminal_and_by_commands_without_it() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.db");
    let tree = fixtures::materialise("rhel9");
    scan_tree(tree.path(), "h", &state, &["--format", "json"]);
    // `script` gives the command a terminal as stdout.
    let binary = env!("CARGO_BIN_EXE_plumb");
    let on_tty = Command::new("script")
        .args(["-qec"])
        .arg(format!(
            "{binary} state report --state {} </dev/null",
            state.display()
        ))
        .arg("/dev/null")
        .output()
        .expect("script (util-linux) runs");
    assert_eq!(
        on_tty.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&on_tty.stdout)
    );
    assert!(String::from_utf8_lossy(&on_tty.stdout).contains("--output FILE"));
    for args in [
        vec!["state", "report", "--format", "json"],
        vec!["state", "hosts", "--format", "html"],
        vec!["drift", "--format", "html"],
    ] {
        let out = run(plumb().args(&args).arg("--state").arg(&state));
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    }
}
