//! SSH transport benchmark against real loopback sshd servers (`cargo bench --bench ssh`).
//!
//! Prints medians over `PLUMB_BENCH_RUNS` runs (default 10) of:
//! - one exec of a script of N commands (`cat /etc/hostname`, N = `PLUMB_BENCH_N`, default
//!   700), connect included, versus N execs of the same commands over one multiplexed master
//!   (one exec per fact, the per-command transport), and their ratio;
//! - the connect time (master start: TCP, key exchange, authentication);
//! - the wall time for 100 loopback hosts at concurrency 32, one exec each.

#[path = "../tests/support/sshd.rs"]
mod sshd;

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use plumb::probe::ssh::{SshOptions, SshTarget, SshTransport};
use sshd::{SshdOptions, TestSshd, write_client_config};

const HOSTS: usize = 100;
const CONCURRENCY: usize = 32;

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples.get(samples.len() / 2).copied().unwrap_or_default()
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn main() -> Result<()> {
    let runs = env_number("PLUMB_BENCH_RUNS", 10).max(1);
    let commands = env_number("PLUMB_BENCH_N", 700).max(1);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting tokio")?;
    runtime.block_on(bench(runs, commands))
}

async fn bench(runs: usize, commands: usize) -> Result<()> {
    println!("ssh transport benchmark: {runs} runs, {commands} commands per script");
    let server = TestSshd::start(SshdOptions::default())?;
    let transport = SshTransport::new()?;
    let options = SshOptions {
        config_file: Some(server.ssh_config()),
        ..SshOptions::default()
    };
    let target = SshTarget::new(&server.alias, options)?;
    let script = "cat /etc/hostname\n".repeat(commands);
    let hostname = std::fs::read("/etc/hostname").context("reading /etc/hostname")?;

    let mut one_exec = Vec::new();
    let mut connect = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        let output = transport.run_script(&target, script.as_bytes()).await?;
        one_exec.push(started.elapsed());
        connect.push(output.timings.connect);
        if output.stdout.len() != hostname.len() * commands {
            bail!("script output has {} bytes", output.stdout.len());
        }
    }

    let one = median(one_exec);
    println!(
        "one exec, {commands} commands (connect included): median {}",
        ms(one)
    );
    println!("connect (master start): median {}", ms(median(connect)));

    let servers = TestSshd::start_many(HOSTS, SshdOptions::default())?;
    let scratch = tempfile::tempdir()?;
    let config = scratch.path().join("ssh_config");
    write_client_config(&servers, &config)?;
    let mut fleet = Vec::new();
    for _ in 0..runs {
        fleet.push(run_fleet(&transport, &servers, &config).await?);
    }
    println!(
        "{HOSTS} hosts, concurrency {CONCURRENCY}, one exec each: median {}",
        ms(median(fleet))
    );
    drop(servers);

    // The slowest part last, each run reported as it ends.
    let mut per_command = Vec::new();
    for run in 1..=runs {
        let elapsed = exec_per_command(&server, commands, &hostname).await?;
        eprintln!("  baseline run {run}/{runs}: {}", ms(elapsed));
        per_command.push(elapsed);
    }
    let many = median(per_command);
    println!(
        "{commands} execs over one master (connect included): median {}",
        ms(many)
    );
    println!(
        "ratio per-command / one-exec: {:.1}x",
        many.as_secs_f64() / one.as_secs_f64().max(f64::EPSILON)
    );
    Ok(())
}

/// The baseline: connect once, then one exec per command over the multiplexed master.
async fn exec_per_command(server: &TestSshd, commands: usize, expected: &[u8]) -> Result<Duration> {
    let dir = tempfile::tempdir()?;
    let socket = dir.path().join("m.sock");
    let started = Instant::now();
    server.start_master(&socket, "60s")?;
    let session = openssh::Session::resume_mux(socket.clone().into_boxed_path(), None);
    for _ in 0..commands {
        let output = session.command("cat").arg("/etc/hostname").output().await?;
        if output.stdout != expected {
            bail!("baseline exec returned {:?}", output.stdout);
        }
    }
    let elapsed = started.elapsed();
    sshd::stop_master(&socket);
    Ok(elapsed)
}

async fn run_fleet(
    transport: &SshTransport,
    servers: &[TestSshd],
    config: &std::path::Path,
) -> Result<Duration> {
    let limit = Arc::new(tokio::sync::Semaphore::new(CONCURRENCY));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for server in servers {
        let transport = transport.clone();
        let limit = Arc::clone(&limit);
        let target = SshTarget::new(
            &server.alias,
            SshOptions {
                config_file: Some(config.to_path_buf()),
                ..SshOptions::default()
            },
        )?;
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await;
            transport.run_script(&target, b"cat /etc/hostname\n").await
        });
    }
    while let Some(joined) = tasks.join_next().await {
        joined??;
    }
    Ok(started.elapsed())
}
