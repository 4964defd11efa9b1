//! Gathering facts from many hosts at once: one probe per host (native, local sh, or ONE ssh
//! exec), bounded concurrency, a progress display on a terminal, Ctrl-C that cleans up.

use crate::probe::shell::{self, ShellError};
use crate::probe::ssh::{SshError, SshTarget, SshTransport};
use crate::probe::{Facts, ProbePlan, native};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How one host's facts are gathered.
#[derive(Clone, Debug)]
pub enum Via {
    /// This machine, in Rust.
    Native,
    /// This machine, through the generated sh script.
    LocalShell,
    /// A remote host, through one ssh exec of the script.
    Ssh(Box<SshTarget>),
}

/// One host's probe: how, under which root, with which plan (index into the plans).
#[derive(Clone, Debug)]
pub struct Probe {
    pub name: String,
    pub via: Via,
    /// A directory on the host to scan instead of its live system.
    pub root: Option<String>,
    pub plan: usize,
}

/// Why a host has no facts, in the words of the end-of-run summary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    Unreachable,
    TimedOut,
    HostKeyRefused,
    /// Another plumb run holds this host's lock.
    Busy,
    /// Anything else: authentication, sudo, malformed or oversized output.
    Error,
}

impl Failure {
    pub fn label(self) -> &'static str {
        match self {
            Self::Unreachable => "unreachable",
            Self::TimedOut => "timed out",
            Self::HostKeyRefused => "host key refused",
            Self::Busy => "busy",
            Self::Error => "error",
        }
    }
}

#[derive(Debug)]
pub struct Gathered {
    pub facts: Result<Facts, (Failure, String)>,
    /// Unix milliseconds.
    pub started_at: i64,
    pub elapsed: Duration,
}

/// Runs every probe with at most `concurrency` at once, returning results in input order.
pub fn gather_all(
    probes: &[Probe],
    plans: &[ProbePlan],
    concurrency: usize,
    progress: bool,
) -> anyhow::Result<Vec<Gathered>> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let needs_ssh = probes.iter().any(|p| matches!(p.via, Via::Ssh(_)));
    let transport = if needs_ssh {
        if let Err(err) = crate::probe::ssh::cleanup_stale_control_dirs() {
            tracing::debug!("could not clean stale ssh control dirs: {err}");
        }
        Some(SshTransport::new().map_err(anyhow::Error::new)?)
    } else {
        None
    };
    let bar = progress_bar(probes.len(), progress);
    let failures = Arc::new(AtomicUsize::new(0));
    let in_flight = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let plans: Arc<Vec<ProbePlan>> = Arc::new(plans.to_vec());
    let results = runtime.block_on(async {
        if let Some(transport) = transport.clone() {
            tokio::spawn(async move {
                if tokio::signal::ctrl_c().await.is_ok() {
                    // Masters and control dirs go; in-flight probes end as interrupted.
                    tokio::task::spawn_blocking(move || transport.shutdown());
                }
            });
        }
        let limit = Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)));
        let mut tasks = Vec::with_capacity(probes.len());
        for probe in probes.iter().cloned() {
            let (limit, plans, transport) = (limit.clone(), plans.clone(), transport.clone());
            let (bar, failures, in_flight) = (bar.clone(), failures.clone(), in_flight.clone());
            tasks.push(tokio::spawn(async move {
                let _permit = limit.acquire_owned().await;
                set_in_flight(&in_flight, &bar, &failures, Some(&probe.name), None);
                let started_at = crate::report::now_unix_ms();
                let clock = Instant::now();
                let facts = run_one(&probe, &plans[probe.plan], transport.as_ref()).await;
                if facts.is_err() {
                    failures.fetch_add(1, Ordering::Relaxed);
                }
                set_in_flight(&in_flight, &bar, &failures, None, Some(&probe.name));
                bar.inc(1);
                Gathered {
                    facts,
                    started_at,
                    elapsed: clock.elapsed(),
                }
            }));
        }
        let mut results = Vec::with_capacity(tasks.len());
        for task in tasks {
            results.push(task.await.unwrap_or_else(|err| Gathered {
                facts: Err((Failure::Error, format!("the probe task failed: {err}"))),
                started_at: crate::report::now_unix_ms(),
                elapsed: Duration::ZERO,
            }));
        }
        results
    });
    bar.finish_and_clear();
    if let Some(transport) = transport {
        transport.shutdown();
    }
    Ok(results)
}

fn progress_bar(total: usize, visible: bool) -> ProgressBar {
    if !visible {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total as u64);
    let style = ProgressStyle::with_template("{spinner} {pos}/{len} hosts {wide_msg}")
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

fn set_in_flight(
    in_flight: &std::sync::Mutex<Vec<String>>,
    bar: &ProgressBar,
    failures: &AtomicUsize,
    add: Option<&str>,
    remove: Option<&str>,
) {
    let Ok(mut names) = in_flight.lock() else {
        return;
    };
    if let Some(name) = add {
        names.push(name.to_owned());
    }
    if let Some(name) = remove {
        names.retain(|n| n != name);
    }
    let shown: Vec<&str> = names.iter().take(3).map(String::as_str).collect();
    let more = names.len().saturating_sub(shown.len());
    let mut message = format!(
        "· {} failed · scanning {}",
        failures.load(Ordering::Relaxed),
        shown.join(", ")
    );
    if more > 0 {
        message.push_str(&format!(" +{more}"));
    }
    bar.set_message(message);
}

async fn run_one(
    probe: &Probe,
    plan: &ProbePlan,
    transport: Option<&SshTransport>,
) -> Result<Facts, (Failure, String)> {
    match &probe.via {
        Via::Native => {
            let (plan, root) = (plan.clone(), local_root(probe));
            tokio::task::spawn_blocking(move || native::gather(&plan, &root).0)
                .await
                .map_err(|err| (Failure::Error, format!("the native probe failed: {err}")))
        }
        Via::LocalShell => {
            let (plan, root) = (plan.clone(), local_root(probe));
            tokio::task::spawn_blocking(move || shell::gather_local(&plan, &root))
                .await
                .map_err(|err| (Failure::Error, format!("the shell probe failed: {err}")))?
                .map_err(|err| (Failure::Error, err.to_string()))
        }
        Via::Ssh(target) => {
            let Some(transport) = transport else {
                return Err((Failure::Error, "no ssh transport".into()));
            };
            let nonce = shell::new_nonce();
            let script = shell::script(plan, probe.root.as_deref().unwrap_or("/"), &nonce);
            match transport.run_script(target, script.as_bytes()).await {
                Ok(output) => shell::parse(&output.stdout, &nonce, plan).map_err(parse_failure),
                Err(SshError::RemoteExit { output, .. }) => {
                    // A complete stream is usable whatever the exit status; otherwise say why.
                    shell::parse(&output.stdout, &nonce, plan).map_err(|err| {
                        let exit = output.exit_code.map_or_else(
                            || "was killed".to_owned(),
                            |code| format!("exited {code}"),
                        );
                        let stderr = output
                            .stderr_tail
                            .lines()
                            .last()
                            .unwrap_or_default()
                            .to_owned();
                        (
                            Failure::Error,
                            format!(
                                "the probe {exit} ({err}){}",
                                if stderr.is_empty() {
                                    String::new()
                                } else {
                                    format!(": {stderr}")
                                }
                            ),
                        )
                    })
                }
                Err(err) => Err((classify(&err), err.to_string())),
            }
        }
    }
}

fn local_root(probe: &Probe) -> PathBuf {
    PathBuf::from(probe.root.as_deref().unwrap_or("/"))
}

fn parse_failure(err: ShellError) -> (Failure, String) {
    (Failure::Error, err.to_string())
}

fn classify(err: &SshError) -> Failure {
    match err {
        SshError::Unreachable { .. } | SshError::ConnectFailed { .. } => Failure::Unreachable,
        SshError::ConnectTimeout { .. } | SshError::ProbeTimeout { .. } => Failure::TimedOut,
        SshError::HostKeyUnknown { .. } | SshError::HostKeyChanged { .. } => {
            Failure::HostKeyRefused
        }
        _ => Failure::Error,
    }
}
