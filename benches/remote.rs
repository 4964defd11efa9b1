//! Remote scanning benchmark against real loopback sshd servers (`cargo bench --bench remote`).
//!
//! Drives the release `plumb` binary as operators do and prints medians (min/max as the noise)
//! over `PLUMB_BENCH_RUNS` runs (default 10) of:
//! 1. ssh execs per host per scan, for 10 rules and for the full embedded pack (asserted 1);
//! 2. the per-host wall of a full-pack scan over loopback, its breakdown (connect, one empty
//!    exec, the probe script run locally) and a per-rule baseline: the same facts gathered
//!    with one exec per rule over one multiplexed master (`PLUMB_BENCH_BASELINE_RUNS` runs,
//!    default 3, as each takes seconds);
//! 3. 100 loopback hosts at concurrency 32, every host asserted ok;
//! 4. with `PLUMB_BENCH_KENSA_RULES=DIR` (and `PLUMB_BENCH_KENSA_VARS=FILE`, Kensa's variable
//!    defaults): a Kensa rule corpus read in its own dialect, its execs per scan (asserted 1)
//!    and its per-host wall next to the same per-rule baseline as in 2.
//!
//! Loopback means no network latency: the figures measure process, crypto and shell costs,
//! the floor of what a real network adds round trips to.

#[path = "../tests/support/sshd.rs"]
mod sshd;

mod common;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail, ensure};
use common::{show, stats};
use plumb::probe::ProbePlan;
use plumb::probe::shell;
use plumb::rules::RuleSet;
use sshd::{SshdOptions, TestSshd, stop_master, write_client_config};

const FLEET_HOSTS: usize = 100;
const FLEET_CONCURRENCY: usize = 32;

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
        .max(1)
}

fn main() -> Result<()> {
    let runs = env_number("PLUMB_BENCH_RUNS", 10);
    let baseline_runs = env_number("PLUMB_BENCH_BASELINE_RUNS", 3);
    let started = Instant::now();
    println!("remote scan benchmark: {runs} runs (baseline {baseline_runs}), release binary");
    println!("load average at start: {}", load_average());
    let embedded = Pack {
        label: "full embedded pack".into(),
        rules: plumb::rules::load(&plumb::rules::embedded_sources(), &BTreeMap::new())
            .context("loading the embedded pack")?,
        args: Vec::new(),
    };
    let kensa = kensa_pack()?;
    let scratch = tempfile::tempdir().context("creating a scratch dir")?;

    execs_per_host(runs, scratch.path(), kensa.as_ref())?;
    for empty_home in [true, false] {
        per_host_wall(runs, baseline_runs, &embedded, scratch.path(), empty_home)?;
    }
    fleet(runs, scratch.path())?;
    match &kensa {
        Some(pack) => per_host_wall(runs, baseline_runs, pack, scratch.path(), true)?,
        None => println!("\n== 4. skipped: set PLUMB_BENCH_KENSA_RULES=DIR for a Kensa corpus =="),
    }

    println!("load average at end: {}", load_average());
    println!("bench total: {:.0} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// A rule set as plumb loads it in process (for the plan and the baseline), and the scan
/// arguments that make the binary load the same set.
struct Pack {
    label: String,
    rules: RuleSet,
    args: Vec<String>,
}

/// The Kensa corpus named by `PLUMB_BENCH_KENSA_RULES`, with `PLUMB_BENCH_KENSA_VARS` as its
/// variables file, read as the binary reads it (dialect detected per file).
fn kensa_pack() -> Result<Option<Pack>> {
    let Some(dir) = std::env::var_os("PLUMB_BENCH_KENSA_RULES") else {
        return Ok(None);
    };
    let dir = PathBuf::from(dir);
    let mut args = vec!["--rules".to_owned(), dir.to_string_lossy().into_owned()];
    let vars = match std::env::var_os("PLUMB_BENCH_KENSA_VARS") {
        Some(file) => {
            let file = PathBuf::from(file);
            args.extend([
                "--vars-file".to_owned(),
                file.to_string_lossy().into_owned(),
            ]);
            plumb::rules::read_vars_files(&[&file]).context("reading the Kensa variables file")?
        }
        None => plumb::rules::Vars::new(),
    };
    let sources = plumb::rules::read_sources(&[dir]).context("reading the Kensa corpus")?;
    let rules = plumb::rules::load(&sources, &vars).context("loading the Kensa corpus")?;
    Ok(Some(Pack {
        label: format!("Kensa corpus ({} rules)", rules.rules.len()),
        rules,
        args,
    }))
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| text.trim().to_owned())
        .unwrap_or_else(|err| format!("unavailable ({err})"))
}

/// `plumb scan … --format json --no-store --fail-on never`, timed end to end; returns the wall
/// in ms and the parsed report, after checking the exit status.
fn timed_scan(args: &[&str], config: &Path) -> Result<(f64, serde_json::Value)> {
    let mut command = Command::new(env!("CARGO_BIN_EXE_plumb"));
    command
        .arg("scan")
        .args(args)
        .arg("--ssh-config")
        .arg(config)
        .args([
            "--no-store",
            "--format",
            "json",
            "--fail-on",
            "never",
            "--allow-errors",
        ])
        .stdin(Stdio::null());
    let started = Instant::now();
    let output = command.output().context("running plumb")?;
    let wall = started.elapsed().as_secs_f64() * 1000.0;
    ensure!(
        output.status.success(),
        "plumb scan {args:?} exited {}: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let report = serde_json::from_slice(&output.stdout).context("plumb's JSON report")?;
    Ok((wall, report))
}

/// Every host in the report scanned fine; returns their `duration_ms`.
fn check_hosts_ok(report: &serde_json::Value, expected: usize) -> Result<Vec<f64>> {
    let hosts = report["hosts"].as_array().context("report has no hosts")?;
    ensure!(
        hosts.len() == expected,
        "{} hosts in the report, expected {expected}",
        hosts.len()
    );
    let mut durations = Vec::new();
    for host in hosts {
        ensure!(host["outcome"] == "ok", "host not ok: {host}");
        durations.push(host["duration_ms"].as_f64().unwrap_or(f64::NAN));
    }
    Ok(durations)
}

/// 1. The exec count per scan, read from the counting server's ForceCommand.
fn execs_per_host(runs: usize, scratch: &Path, kensa: Option<&Pack>) -> Result<()> {
    println!("\n== 1. ssh execs per host per scan (counting sshd) ==");
    let server = TestSshd::start(SshdOptions {
        count_execs: true,
        empty_home: true,
        ..SshdOptions::default()
    })?;
    let config = server.ssh_config();
    let ten = scratch.join("ten.yml");
    let mut text = String::new();
    for n in 0..10 {
        text.push_str(&format!(
            "- id: r{n}\n  title: rule {n}\n  severity: low\n  check: {{ method: file_exists, path: /etc/hostname{n} }}\n"
        ));
    }
    std::fs::write(&ten, text).context("writing ten.yml")?;
    let ten = ten.to_string_lossy().into_owned();
    let mut cases: Vec<(&str, Vec<&str>)> = vec![
        ("10 rules", vec![&server.alias, "--rules", &ten]),
        ("full embedded pack", vec![&server.alias]),
    ];
    if let Some(pack) = kensa {
        let mut args = vec![server.alias.as_str()];
        args.extend(pack.args.iter().map(String::as_str));
        cases.push((&pack.label, args));
    }
    for (label, args) in cases {
        let mut counts = Vec::new();
        let mut rules = 0;
        for _ in 0..runs {
            let before = server.exec_count();
            let (_, report) = timed_scan(&args, &config)?;
            check_hosts_ok(&report, 1)?;
            rules = report["hosts"][0]["summary"]["total"].as_u64().unwrap_or(0);
            let execs = server.exec_count() - before;
            ensure!(execs == 1, "{label}: {execs} execs in one scan, expected 1");
            counts.push(execs as f64);
        }
        show(
            &format!("execs per scan, {label} ({rules} rules)"),
            &counts,
            "",
        );
    }
    Ok(())
}

/// 2. One host, full pack: plumb's wall, its parts, and the per-rule baseline.
fn per_host_wall(
    runs: usize,
    baseline_runs: usize,
    pack: &Pack,
    scratch: &Path,
    empty_home: bool,
) -> Result<()> {
    let rules = &pack.rules;
    let sessions = if empty_home {
        "sessions with an empty HOME (no shell rc files)"
    } else {
        "sessions with this account's own ~/.bashrc"
    };
    println!("\n== one host over loopback, {}, {sessions} ==", pack.label);
    let server = TestSshd::start(SshdOptions {
        empty_home,
        ..SshdOptions::default()
    })?;
    let config = server.ssh_config();
    let alias = server.alias.as_str();
    let mut scan_args = vec![alias];
    scan_args.extend(pack.args.iter().map(String::as_str));
    let plan = ProbePlan::for_rules(rules, false);
    println!(
        "rules: {}; distinct facts in the one script: {}",
        rules.rules.len(),
        plan.len()
    );

    // One unmeasured scan warms the page cache and checks the setup.
    check_hosts_ok(&timed_scan(&scan_args, &config)?.1, 1)?;
    let mut walls = Vec::new();
    let mut gathers = Vec::new();
    for _ in 0..runs {
        let (wall, report) = timed_scan(&scan_args, &config)?;
        gathers.extend(check_hosts_ok(&report, 1)?);
        walls.push(wall);
    }
    let plumb_wall = show("plumb scan, per-host wall (end to end)", &walls, "ms");
    show(
        "  of which the host's gather (report duration_ms)",
        &gathers,
        "ms",
    );

    let mut ssh_true = Vec::new();
    let mut master_start = Vec::new();
    let mut empty_exec = Vec::new();
    for _ in 0..runs {
        ssh_true.push(time_ms(|| {
            run_ok(
                Command::new("ssh")
                    .arg("-F")
                    .arg(&config)
                    .args([alias, "true"]),
            )
        })?);
        let master = Master::start(&server, scratch)?;
        master_start.push(master.started_ms);
        empty_exec.push(time_ms(|| master.exec_script(b"").map(drop))?);
    }
    show(
        "  for comparison: ssh -F F ALIAS true (connect + exec)",
        &ssh_true,
        "ms",
    );
    let master = show(
        "  connect: master start (ssh -M -f -N)",
        &master_start,
        "ms",
    );
    let exec = show(
        "  one exec of an empty script over the master",
        &empty_exec,
        "ms",
    );

    let mut local = Vec::new();
    let mut local_cpu = Vec::new();
    let mut parse = Vec::new();
    let (mut script_bytes, mut output_bytes) = (0, 0);
    for _ in 0..runs {
        let nonce = shell::new_nonce();
        let script = shell::script(&plan, "/", &nonce);
        let mut output = Vec::new();
        let cpu_before = children_cpu_ms();
        local.push(time_ms(|| {
            output = pipe_through(Command::new("sh").arg("-s"), script.as_bytes())?;
            Ok(())
        })?);
        local_cpu.push(children_cpu_ms() - cpu_before);
        parse.push(time_ms(|| {
            shell::parse(&output, &nonce, &plan)
                .map(drop)
                .context("parsing the local probe output")
        })?);
        (script_bytes, output_bytes) = (script.len(), output.len());
    }
    println!("  script {script_bytes} bytes in, {output_bytes} bytes out");
    let probe = show(
        "  probe time: the full-pack script run locally (sh -s)",
        &local,
        "ms",
    );
    let mut via_shell = Vec::new();
    for _ in 0..runs {
        via_shell.push(time_ms(|| {
            run_ok(
                Command::new(env!("CARGO_BIN_EXE_plumb"))
                    .args([
                        "scan",
                        "--via-shell",
                        "--no-store",
                        "--format",
                        "json",
                        "--fail-on",
                        "never",
                        "--allow-errors",
                    ])
                    .args(&pack.args),
            )
        })?);
    }
    show(
        "  plumb scan --via-shell of this machine (no ssh at all)",
        &via_shell,
        "ms",
    );
    show(
        "  probe CPU (user + sys of sh and its children)",
        &local_cpu,
        "ms",
    );
    show("  parse of that output (in process)", &parse, "ms");
    println!(
        "  per-host wall - (master start + empty exec + probe): {:.1} ms (target <= 50 ms)",
        plumb_wall.median - (master.median + exec.median + probe.median)
    );

    // The baseline: connect once, one exec for the platform facts every rule needs, then one
    // exec per rule with that rule's own facts, all over one multiplexed master.
    let basics = ProbePlan::for_rules(&RuleSet::default(), false);
    let scripts: Vec<(String, String, ProbePlan)> = std::iter::once(basics.clone())
        .chain(rules.rules.iter().map(|rule| {
            let single = RuleSet {
                rules: vec![rule.clone()],
            };
            without(ProbePlan::for_rules(&single, false), &basics)
        }))
        .map(|plan| {
            let nonce = shell::new_nonce();
            (shell::script(&plan, "/", &nonce), nonce, plan)
        })
        .collect();
    println!(
        "baseline: {} execs per host (1 for platform facts + 1 per rule), {baseline_runs} runs",
        scripts.len()
    );
    let mut baseline = Vec::new();
    for run in 1..=baseline_runs {
        let started = Instant::now();
        let master = Master::start(&server, scratch)?;
        let mut outputs = Vec::with_capacity(scripts.len());
        for (script, _, _) in &scripts {
            outputs.push(master.exec_script(script.as_bytes())?);
        }
        let elapsed = started.elapsed().as_secs_f64() * 1000.0;
        drop(master);
        // Checked outside the timing: every exec returned a complete, parseable stream.
        for (output, (_, nonce, plan)) in outputs.iter().zip(&scripts) {
            shell::parse(output, nonce, plan).context("parsing a baseline exec's output")?;
        }
        eprintln!("  baseline run {run}/{baseline_runs}: {elapsed:.0} ms");
        baseline.push(elapsed);
    }
    let base = show(
        "baseline: one exec per rule over one master (connect incl.)",
        &baseline,
        "ms",
    );
    println!(
        "ratio baseline / plumb per-host wall: {:.1}x (target >= 50x)",
        base.median / plumb_wall.median
    );
    println!(
        "ratio baseline / plumb gather (duration_ms): {:.1}x",
        base.median / stats(&gathers).median
    );
    Ok(())
}

/// The facts of `plan` that `basics` does not already ask for.
fn without(mut plan: ProbePlan, basics: &ProbePlan) -> ProbePlan {
    plan.files.retain(|f| !basics.files.contains(f));
    plan.stats.retain(|s| !basics.stats.contains(s));
    plan
}

/// 3. A fleet of loopback hosts from an inventory.
fn fleet(runs: usize, scratch: &Path) -> Result<()> {
    println!("\n== 3. {FLEET_HOSTS} loopback hosts, concurrency {FLEET_CONCURRENCY}, full pack ==");
    println!("(sessions with an empty HOME, as in the first part of 2)");
    let servers = TestSshd::start_many(
        FLEET_HOSTS,
        SshdOptions {
            empty_home: true,
            ..SshdOptions::default()
        },
    )?;
    let config = scratch.join("fleet_ssh_config");
    write_client_config(&servers, &config)?;
    let mut inventory = String::from("hosts:\n");
    for (index, server) in servers.iter().enumerate() {
        inventory.push_str(&format!(
            "  host{index:03}: {{ address: {} }}\n",
            server.alias
        ));
    }
    let inventory_path = scratch.join("inventory.yml");
    std::fs::write(&inventory_path, inventory).context("writing the inventory")?;
    let inventory_arg = inventory_path.to_string_lossy().into_owned();
    let concurrency = FLEET_CONCURRENCY.to_string();
    let args = ["-i", inventory_arg.as_str(), "--concurrency", &concurrency];
    let mut walls = Vec::new();
    let mut per_host = Vec::new();
    for _ in 0..runs {
        let (wall, report) = timed_scan(&args, &config)?;
        per_host.extend(check_hosts_ok(&report, FLEET_HOSTS)?);
        walls.push(wall);
    }
    let wall = show(
        &format!("{FLEET_HOSTS} hosts, every host ok: wall"),
        &walls,
        "ms",
    );
    println!(
        "  target <= 10000 ms: {}",
        if wall.median <= 10_000.0 {
            "met"
        } else {
            "missed"
        }
    );
    show(
        "  per-host gather under load (duration_ms)",
        &per_host,
        "ms",
    );
    Ok(())
}

/// User + system CPU of every child waited for so far, in ms.
fn children_cpu_ms() -> f64 {
    // SAFETY: rusage is plain data that getrusage fills.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    let ms = |t: libc::timeval| t.tv_sec as f64 * 1000.0 + t.tv_usec as f64 / 1000.0;
    ms(usage.ru_utime) + ms(usage.ru_stime)
}

fn time_ms(f: impl FnOnce() -> Result<()>) -> Result<f64> {
    let started = Instant::now();
    f()?;
    Ok(started.elapsed().as_secs_f64() * 1000.0)
}

fn run_ok(command: &mut Command) -> Result<()> {
    let status = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .with_context(|| format!("running {command:?}"))?;
    ensure!(status.success(), "{command:?} exited {status}");
    Ok(())
}

/// Runs `command` with `input` on stdin, returning all of stdout.
fn pipe_through(command: &mut Command, input: &[u8]) -> Result<Vec<u8>> {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {command:?}"))?;
    let mut stdin = child.stdin.take().context("no stdin pipe")?;
    let input = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let mut output = Vec::new();
    child
        .stdout
        .take()
        .context("no stdout pipe")?
        .read_to_end(&mut output)
        .context("reading stdout")?;
    let _ = writer.join();
    let status = child.wait().context("waiting")?;
    if !status.success() {
        bail!("{command:?} exited {status}");
    }
    Ok(output)
}

/// A multiplexed master started with the system ssh (ControlPersist), stopped on drop.
struct Master {
    config: PathBuf,
    alias: String,
    socket: PathBuf,
    started_ms: f64,
    _dir: tempfile::TempDir,
}

impl Master {
    fn start(server: &TestSshd, scratch: &Path) -> Result<Master> {
        let dir = tempfile::tempdir_in(scratch)?;
        let socket = dir.path().join("m.sock");
        let started_ms = time_ms(|| server.start_master(&socket, "60s"))?;
        Ok(Master {
            config: server.ssh_config(),
            alias: server.alias.clone(),
            socket,
            started_ms,
            _dir: dir,
        })
    }

    /// One exec of `sh -s` over the master with `script` on stdin; all of stdout.
    fn exec_script(&self, script: &[u8]) -> Result<Vec<u8>> {
        pipe_through(
            Command::new("ssh")
                .arg("-F")
                .arg(&self.config)
                .arg("-S")
                .arg(&self.socket)
                .args([&self.alias, "sh", "-s"]),
            script,
        )
    }
}

impl Drop for Master {
    fn drop(&mut self) {
        stop_master(&self.socket);
    }
}
