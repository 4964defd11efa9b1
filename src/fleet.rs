//! Gathering facts from many hosts at once: one probe per host (native, local sh, or ONE ssh
//! exec), bounded concurrency, each host locked as its probe starts and handed back as soon as
//! it is done, a progress display on a terminal, Ctrl-C that cleans up.

use crate::probe::shell::{self, ShellError};
use crate::probe::ssh::{SshError, SshTarget, SshTransport};
use crate::probe::{Facts, ProbePlan, native};
use crate::store::{HostLock, HostLocks};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};
use tokio::sync::OwnedSemaphorePermit;

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
    /// The run's admission check refused the host (a scheduled job that failed verification).
    Rejected,
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
            Self::Rejected => "rejected",
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
    /// This run's lock on the host, to be dropped once its results are recorded. `None` when
    /// there is no state file, or the host was not probed because it could not be locked.
    pub lock: Option<HostLock>,
}

impl Gathered {
    /// A host that was not probed.
    fn not_probed(failure: Failure, message: String) -> Gathered {
        Gathered {
            facts: Err((failure, message)),
            started_at: crate::report::now_unix_ms(),
            elapsed: Duration::ZERO,
            lock: None,
        }
    }
}

/// A last check on a host right before its probe starts (after it is locked); an `Err` says
/// why the host is not probed. It may block: it runs off the async workers.
pub type Admit = Arc<dyn Fn(&str) -> Result<(), String> + Send + Sync>;

/// Runs every probe with at most `concurrency` at once and hands each host's result, with its
/// index in `probes`, to `each` on the calling thread as soon as that host is done, while the
/// others are still probed. With `locks`, a host is locked when its probe starts (one held by
/// another run is `busy` and not probed) and the lock travels with its result. With `admit`,
/// a locked host that it refuses is `rejected` and not probed.
pub fn gather(
    probes: &[Probe],
    plans: &[ProbePlan],
    concurrency: usize,
    progress: bool,
    locks: Option<Arc<HostLocks>>,
    admit: Option<Admit>,
    mut each: impl FnMut(usize, Gathered),
) -> anyhow::Result<()> {
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
    if let Some(transport) = transport.clone() {
        runtime.spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                // Masters and control dirs go; in-flight probes end as interrupted.
                tokio::task::spawn_blocking(move || transport.shutdown());
            }
        });
    }
    // The probes run on the runtime's workers; this thread takes their results as they come.
    // A probe's permit travels with its result and is released once `each` has taken it, so at
    // most `concurrency` hosts' facts exist at once, however far probing runs ahead of the
    // evaluation and recording on this thread.
    let (done, results) = mpsc::channel::<(usize, Gathered, Option<OwnedSemaphorePermit>)>();
    let limit = Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)));
    for (index, probe) in probes.iter().cloned().enumerate() {
        let (limit, plans, transport) = (limit.clone(), plans.clone(), transport.clone());
        let (bar, failures, in_flight) = (bar.clone(), failures.clone(), in_flight.clone());
        let (locks, admit, done) = (locks.clone(), admit.clone(), done.clone());
        runtime.spawn(async move {
            let permit = limit.acquire_owned().await.ok();
            let admitted = async {
                let lock = match locks {
                    Some(locks) => Some(lock_host(locks, &probe.name).await?),
                    None => None,
                };
                if let Some(admit) = admit {
                    // On refusal the lock drops here, before anything is recorded.
                    admit_host(admit, &probe.name).await?;
                }
                Ok::<_, Gathered>(lock)
            };
            let lock = match admitted.await {
                Ok(lock) => lock,
                Err(not_probed) => {
                    failures.fetch_add(1, Ordering::Relaxed);
                    bar.inc(1);
                    // A send fails only when the caller is gone; nothing is left to tell.
                    let _ = done.send((index, not_probed, permit));
                    return;
                }
            };
            set_in_flight(&in_flight, &bar, &failures, Some(&probe.name), None);
            let started_at = crate::report::now_unix_ms();
            let clock = Instant::now();
            let facts = run_one(&probe, &plans[probe.plan], transport.as_ref()).await;
            if facts.is_err() {
                failures.fetch_add(1, Ordering::Relaxed);
            }
            set_in_flight(&in_flight, &bar, &failures, None, Some(&probe.name));
            bar.inc(1);
            let gathered = Gathered {
                facts,
                started_at,
                elapsed: clock.elapsed(),
                lock,
            };
            let _ = done.send((index, gathered, permit));
        });
    }
    drop(done);
    let mut delivered = vec![false; probes.len()];
    for (index, gathered, permit) in results {
        delivered[index] = true;
        each(index, gathered);
        drop(permit);
    }
    // A task that panicked sent nothing (and its lock was released as it unwound).
    for (index, _) in delivered.iter().enumerate().filter(|(_, sent)| !**sent) {
        each(
            index,
            Gathered::not_probed(Failure::Error, "the probe task failed".into()),
        );
    }
    bar.finish_and_clear();
    if let Some(transport) = transport {
        transport.shutdown();
    }
    Ok(())
}

/// Locks a host for this run, or says why it is not probed.
async fn lock_host(locks: Arc<HostLocks>, host: &str) -> Result<HostLock, Gathered> {
    let name = host.to_owned();
    // SQLite calls block (up to the busy timeout), so they stay off the async workers.
    let locked = tokio::task::spawn_blocking(move || locks.try_lock(&name)).await;
    match locked {
        Ok(Ok(Some(lock))) => Ok(lock),
        Ok(Ok(None)) => Err(Gathered::not_probed(
            Failure::Busy,
            "another plumb run is scanning this host".into(),
        )),
        Ok(Err(err)) => Err(Gathered::not_probed(
            Failure::Error,
            format!(
                "not scanned: the host could not be locked in the state file: {:#}",
                anyhow::Error::new(err)
            ),
        )),
        Err(err) => Err(Gathered::not_probed(
            Failure::Error,
            format!("not scanned: locking the host failed: {err}"),
        )),
    }
}

async fn admit_host(admit: Admit, host: &str) -> Result<(), Gathered> {
    let name = host.to_owned();
    match tokio::task::spawn_blocking(move || admit(&name)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(reason)) => Err(Gathered::not_probed(Failure::Rejected, reason)),
        Err(err) => Err(Gathered::not_probed(
            Failure::Error,
            format!("not scanned: the admission check failed: {err}"),
        )),
    }
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
    let local = matches!(probe.via, Via::Native | Via::LocalShell);
    if let (true, Some(root)) = (local, &probe.root) {
        // An inventory host's tree that is gone is an unreachable host, never an empty scan.
        if !Path::new(root).is_dir() {
            return Err((
                Failure::Unreachable,
                format!("its root {root} is not a directory on this machine"),
            ));
        }
    }
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
            let ran = transport.run_script(target, script.as_bytes()).await;
            let (output, exit) = match ran {
                Ok(output) => (output, None),
                Err(SshError::RemoteExit { output, .. }) => {
                    // A complete stream is usable whatever the exit status; otherwise say why.
                    let exit = output
                        .exit_code
                        .map_or_else(|| "was killed".to_owned(), |code| format!("exited {code}"));
                    let stderr = output.stderr_tail.lines().last().unwrap_or_default();
                    let stderr = if stderr.is_empty() {
                        String::new()
                    } else {
                        format!(": {stderr}")
                    };
                    (*output, Some((exit, stderr)))
                }
                Err(err) => return Err((classify(&err), err.to_string())),
            };
            // Parsing a big stream (and reading a shipped rpm database) is blocking work: off the
            // async workers, so other hosts' probes and timeouts keep running meanwhile.
            let plan = plan.clone();
            let parsed =
                tokio::task::spawn_blocking(move || shell::parse(&output.stdout, &nonce, &plan))
                    .await
                    .map_err(|err| {
                        (
                            Failure::Error,
                            format!("parsing the probe output failed: {err}"),
                        )
                    })?;
            parsed.map_err(|err| match exit {
                None => parse_failure(err),
                Some((exit, stderr)) => {
                    (Failure::Error, format!("the probe {exit} ({err}){stderr}"))
                }
            })
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
