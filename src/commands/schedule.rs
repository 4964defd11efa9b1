//! `plumb schedule`: one pass of due hosts for cron or a systemd timer, and what an operator
//! needs around it (status, maintenance, the cron and timer lines).

use super::Output;
use crate::cli::{FailOn, InventoryArgs, PolicyArgs, ProfileArgs, RulesArgs, ScanArgs, SshArgs};
use crate::commands::scan;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::exit;
use crate::fleet::Failure;
use crate::output;
use crate::policy::{Clamp, PolicyDuration};
use crate::report::{self, Format};
use crate::scan::{ScanRequest, Trigger};
use crate::schedule_key::{JobKey, KEY_FILE_ENV};
use crate::store::{
    Access, ClaimReport, ClaimRequest, HostScheduleStatus, Job, JobResult, ScheduleSettings,
    StateLocation, Store,
};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

#[derive(Debug, clap::Subcommand)]
pub enum ScheduleCommand {
    /// Claim the hosts that are due, scan them, reschedule them, and exit (for cron or a
    /// systemd timer; overlapping runs never scan a host twice).
    #[command(after_help = RUN_ONCE_EXIT)]
    RunOnce(Box<RunOnceArgs>),
    /// Per host: tier, score, interval, next scan, how overdue, maintenance and backoff.
    Status {
        /// Only this host.
        host: Option<String>,
    },
    /// Keep a host out of scheduled scans until a time, for a while, or no longer.
    Maintenance(MaintenanceArgs),
    /// Print a crontab line and a systemd service and timer that run `run-once` with these
    /// options.
    Cron(Box<RunOnceArgs>),
}

const RUN_ONCE_EXIT: &str = "Exit codes:
  0  nothing scanned has failures at or above --fail-on
  1  a scanned host has failures at or above --fail-on
  2  usage or policy error (the policy is refused, with an audit event)
  3  a claimed host could not be scanned, or the job key or state file failed";

#[derive(Debug, Clone, clap::Args)]
pub struct RunOnceArgs {
    #[command(flatten)]
    pub inventory: InventoryArgs,
    #[command(flatten)]
    pub rules: RulesArgs,
    #[command(flatten)]
    pub profile: ProfileArgs,
    #[command(flatten)]
    pub policy: PolicyArgs,
    #[command(flatten)]
    pub ssh: SshArgs,
    /// Most hosts this pass claims [default: the policy's max_hosts_per_run, else no cap].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_hosts: Option<u32>,
    /// How long a claim holds a host before another run may take it over, such as 30m
    /// [default: the probe timeout for each round of --concurrency hosts, plus one].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub lease: Option<PolicyDuration>,
    /// Lowest severity of a failure that makes the exit code 1.
    #[arg(long, value_enum, default_value_t = FailOn::Low, env = "PLUMB_FAIL_ON")]
    pub fail_on: FailOn,
    /// Exit 0/1 even when rules could not be assessed.
    #[arg(long)]
    pub allow_errors: bool,
    /// Accept the failures these waivers name (repeatable), as `scan --waivers`
    #[arg(long = "waivers", value_name = "FILE")]
    pub waivers: Vec<std::path::PathBuf>,
}

#[derive(Debug, Clone, clap::Args)]
#[command(group(clap::ArgGroup::new("window").required(true).multiple(false)))]
pub struct MaintenanceArgs {
    /// The host, as the inventory names it.
    pub host: String,
    /// End of the window: RFC 3339 (2026-12-01T06:00:00Z) or a date (midnight UTC).
    #[arg(long, value_name = "TIME", group = "window")]
    pub until: Option<String>,
    /// Length of the window from now, such as 2h or 1d.
    #[arg(long = "for", value_name = "DURATION", value_parser = parse_duration, group = "window")]
    pub for_: Option<PolicyDuration>,
    /// End the host's maintenance now.
    #[arg(long, group = "window")]
    pub clear: bool,
}

fn parse_duration(text: &str) -> std::result::Result<PolicyDuration, String> {
    PolicyDuration::parse(text)
}

/// The job key file named by `PLUMB_SCHEDULE_KEY_FILE`, if any (else the default one).
fn key_override() -> Option<PathBuf> {
    std::env::var_os(KEY_FILE_ENV).map(PathBuf::from)
}

pub fn run(
    command: &ScheduleCommand,
    config: &Config,
    state: Option<&Path>,
    output: &Output,
) -> Result<u8> {
    let json = match output.format {
        Format::Table => false,
        Format::Json => true,
        other => {
            return Err(Error::args(format!(
                "plumb schedule prints table or json, not {other:?}"
            )));
        }
    };
    match command {
        ScheduleCommand::RunOnce(args) => run_once(args, config, state, output, json),
        ScheduleCommand::Status { host } => {
            let mut store =
                Store::open_at(&scan::state_location(state, config)?, Access::Existing)?;
            let now = crate::store::now_ms();
            let statuses: Vec<StatusView> = store
                .schedule_status(host.as_deref(), now)?
                .iter()
                .map(StatusView::of)
                .collect();
            let key_file = crate::schedule_key::key_path(key_override().as_deref());
            if json {
                output::print_json(&serde_json::json!({
                    "key_file": key_file,
                    "hosts": statuses,
                }))?;
            } else {
                output::print(&render_status(&statuses, key_file.as_deref()))?;
            }
            Ok(exit::CLEAN)
        }
        ScheduleCommand::Maintenance(args) => {
            let mut store =
                Store::open_at(&scan::state_location(state, config)?, Access::Existing)?;
            let now = crate::store::now_ms();
            let until = match (&args.until, args.for_, args.clear) {
                (Some(text), _, _) => Some(parse_until(text, now)?),
                (None, Some(duration), _) => {
                    let millis = i64::try_from(duration.as_secs()).unwrap_or(i64::MAX / 1000);
                    Some(now.saturating_add(millis.saturating_mul(1000)))
                }
                _ => None,
            };
            store.set_maintenance(&args.host, until, now)?;
            let text = match until {
                Some(until) => format!(
                    "{}: in maintenance until {}\n",
                    args.host,
                    crate::time::rfc3339_seconds(until)
                ),
                None => format!("{}: maintenance cleared\n", args.host),
            };
            if json {
                output::print_json(&serde_json::json!({
                    "host": args.host,
                    "maintenance_until": until.map(crate::time::rfc3339_seconds),
                }))?;
            } else {
                output::print(&text)?;
            }
            Ok(exit::CLEAN)
        }
        ScheduleCommand::Cron(args) => {
            let state = scan::state_location(state, config)?;
            output::print(&cron_text(args, &state, config)?)?;
            Ok(exit::CLEAN)
        }
    }
}

/// What one pass did, printed on stdout.
#[derive(Debug, Default, Serialize)]
struct PassSummary {
    claimed: usize,
    scanned: usize,
    failed: usize,
    rejected: usize,
    skipped_maintenance: Vec<String>,
    skipped_backoff: Vec<String>,
    not_yet_due: usize,
    /// Due, but over `--max-hosts`: left for the next pass.
    over_cap: usize,
    /// Due, but another pass holds their claim.
    claimed_elsewhere: usize,
    next_due: Option<String>,
    /// Intervals the policy asked for that were clamped to the floor or cap.
    clamps: Vec<String>,
    /// Hosts that are no longer in the inventory and left the schedule.
    unenrolled: Vec<String>,
}

fn run_once(
    args: &RunOnceArgs,
    config: &Config,
    state: Option<&Path>,
    output: &Output,
    json: bool,
) -> Result<u8> {
    let mut store = Store::open_at(&scan::state_location(state, config)?, Access::Create)?;
    let policy = load_policy(args, config, &mut store)?;
    let key = Arc::new(JobKey::resolve(key_override().as_deref())?);
    let scan_args = scan_args(args, policy.as_ref(), config)?;
    let request = scan::request(&scan_args, policy.as_ref(), Trigger::Scheduled, false)?;
    let settings = match &policy {
        Some(loaded) => ScheduleSettings::from_policy(&loaded.policy),
        None => ScheduleSettings::default(),
    };
    let max_hosts = args.max_hosts.or(settings.max_hosts);
    let now = crate::store::now_ms();
    let names: Vec<String> = request
        .targets
        .iter()
        .map(|t| t.record.name.clone())
        .collect();
    let enrolled = store.enrol(&names, &settings, now)?;
    // Read again: enrolment may have waited for another run's, which made its new hosts due
    // at that run's later clock; claiming at the first reading would find them not yet due.
    let now = crate::store::now_ms().max(now);
    let windows = policy
        .as_ref()
        .map(|p| crate::store::policy_maintenance(&p.policy.schedule));
    let maintenance: &dyn Fn(&str, i64) -> Option<i64> = match &windows {
        Some(windows) => windows,
        None => &crate::store::no_maintenance,
    };
    let owner = format!(
        "{}:{}:{}",
        scan::local_hostname(),
        std::process::id(),
        uuid::Uuid::new_v4()
    );
    let claims = store.claim_due(
        &ClaimRequest {
            owner: owner.clone(),
            now,
            lease: lease(
                args,
                &request,
                max_hosts.map_or(names.len(), |n| n as usize),
            ),
            max_hosts,
            policy_version: request.recording.policy_version,
            ruleset_hash: request.recording.ruleset_hash.clone(),
            maintenance,
            settings: &settings,
        },
        &key,
    )?;
    let mut summary = PassSummary {
        claimed: claims.jobs.len(),
        skipped_maintenance: claims.skipped_maintenance.clone(),
        skipped_backoff: claims.skipped_backoff.clone(),
        not_yet_due: claims.not_yet_due,
        over_cap: claims.over_cap,
        claimed_elsewhere: claims.already_claimed.len(),
        next_due: claims.next_due.map(crate::time::rfc3339_seconds),
        clamps: policy
            .as_ref()
            .map(|p| p.policy.clamps.iter().map(Clamp::to_string).collect())
            .unwrap_or_default(),
        unenrolled: enrolled.unenrolled.clone(),
        ..PassSummary::default()
    };
    for clamp in &summary.clamps {
        tracing::warn!("schedule interval clamped: {clamp}");
    }
    let scanned = scan_claimed(
        request,
        claims,
        &key,
        &settings,
        &mut store,
        args,
        output,
        &mut summary,
    );
    // Claims this pass did not finish go back now, even when it failed, not when they lapse.
    store.release_jobs(&owner, crate::store::now_ms())?;
    let code = scanned?;
    if json {
        output::print_json(&summary)?;
    } else {
        output::print(&render_summary(&summary))?;
    }
    Ok(code)
}

/// Scans the claimed hosts, each after its job's HMAC is checked, and reschedules each as it
/// lands. Returns the exit code of what was scanned.
#[allow(clippy::too_many_arguments)]
fn scan_claimed(
    mut request: ScanRequest,
    claims: ClaimReport,
    key: &Arc<JobKey>,
    settings: &ScheduleSettings,
    store: &mut Store,
    args: &RunOnceArgs,
    output: &Output,
    summary: &mut PassSummary,
) -> Result<u8> {
    if claims.jobs.is_empty() {
        return Ok(exit::CLEAN);
    }
    let jobs: BTreeMap<String, Job> = claims
        .jobs
        .into_iter()
        .map(|job| (job.host.clone(), job))
        .collect();
    request
        .targets
        .retain(|t| jobs.contains_key(&t.record.name));
    // A job claimed for a host the request does not hold cannot happen (both come from the
    // inventory just read); it is released at the end like any unscanned claim.
    let jobs_store = Arc::new(Mutex::new(store.reconnect()?));
    let verified: Arc<Mutex<BTreeSet<String>>> = Arc::default();
    {
        let (jobs, jobs_store, key, verified) = (
            jobs.clone(),
            jobs_store.clone(),
            Arc::clone(key),
            verified.clone(),
        );
        request.admit = Some(Arc::new(move |host: &str| {
            let job = jobs
                .get(host)
                .ok_or_else(|| format!("no job was claimed for {host}"))?;
            let mut store = jobs_store
                .lock()
                .map_err(|_| "the job check failed earlier".to_owned())?;
            match store.verify_job(&job.job_id, &key, crate::store::now_ms()) {
                Ok(Ok(_)) => {
                    if let Ok(mut verified) = verified.lock() {
                        verified.insert(host.to_owned());
                    }
                    Ok(())
                }
                Ok(Err(rejected)) => Err(format!("not scanned: {rejected}")),
                Err(err) => Err(format!(
                    "not scanned: the job could not be checked: {:#}",
                    anyhow::Error::new(err)
                )),
            }
        }));
    }
    let mut code = exit::CLEAN;
    let mut reschedule_error = None;
    crate::scan::execute(&request, Some(store), |index, host| {
        let name = &request.targets[index].record.name;
        let host_code = scan::exit_code(
            std::slice::from_ref(&host.report),
            args.fail_on,
            args.allow_errors,
        );
        code = code.max(host_code);
        if !output.quiet {
            eprint!("{}", scan::host_line(&host.report, host.failure).1);
            if let Some(note) = scan::unassessed_note(
                std::slice::from_ref(&host.report),
                args.fail_on,
                args.allow_errors,
            ) {
                eprintln!("plumb: {name}: {note}");
            }
        }
        let result = match host.failure {
            None => {
                summary.scanned += 1;
                JobResult::Scanned {
                    finished_at: host.finished_at,
                }
            }
            // Not this host's fault: another run holds it; the claim is released below.
            Some(Failure::Busy) => return,
            Some(Failure::Rejected) => {
                summary.rejected += 1;
                return;
            }
            Some(_) => {
                summary.failed += 1;
                JobResult::Failed {
                    error: host.report.error.clone().unwrap_or_default(),
                }
            }
        };
        let Some(job) = jobs.get(name) else { return };
        if !verified.lock().is_ok_and(|v| v.contains(name)) {
            return;
        }
        let finished = jobs_store
            .lock()
            .map_err(|_| Error::Operational(anyhow::anyhow!("the job store lock was poisoned")))
            .and_then(|mut store| {
                Ok(store.finish_job(job, &result, settings, crate::store::now_ms())?)
            });
        match finished {
            Ok(done) if done.lease_lost => tracing::warn!(
                "{name}: the claim lapsed before the scan ended; the host was not rescheduled by this run"
            ),
            Ok(_) => {}
            Err(err) => {
                reschedule_error.get_or_insert(err);
            }
        }
    })?;
    // A pass scans only the hosts that are due, so a waiver for the others is not stale;
    // only expiry is worth a warning here.
    let expired: Vec<_> = request
        .waivers
        .uses()
        .into_iter()
        .filter(|u| u.status == crate::waivers::UseStatus::Expired)
        .collect();
    if !output.quiet {
        for warning in crate::waivers::warnings(&expired) {
            eprintln!("plumb: warning: {warning}");
        }
    }
    if let Some(err) = reschedule_error {
        return Err(err);
    }
    Ok(code)
}

/// How long a claim holds: long enough for the whole pass, as each round of `concurrency`
/// hosts takes at most the probe timeout.
fn lease(args: &RunOnceArgs, request: &ScanRequest, claimable: usize) -> std::time::Duration {
    if let Some(lease) = args.lease {
        return lease.as_duration();
    }
    let probe_timeout = args
        .ssh
        .probe_timeout
        .map(std::time::Duration::from_secs)
        .unwrap_or(crate::defaults::PROBE_TIMEOUT);
    let rounds = claimable.div_ceil(request.concurrency.max(1)) as u32 + 1;
    probe_timeout.saturating_mul(rounds)
}

/// Scheduled runs need a verified policy unless `--allow-unsigned-policy`; a refusal is exit 2
/// with an audit event.
fn load_policy(
    args: &RunOnceArgs,
    config: &Config,
    store: &mut Store,
) -> Result<Option<scan::LoadedPolicy>> {
    match args.policy.policy.as_deref().or(config.policy.as_deref()) {
        Some(path) => Ok(Some(scan::load_policy(
            path,
            &args.policy,
            config,
            Some(store),
        )?)),
        None if args.policy.allow_unsigned_policy => Ok(None),
        None => {
            let reason = "scheduled runs need a signed policy (--policy FILE); \
                          --allow-unsigned-policy runs without one";
            let detail = serde_json::json!({ "reason": reason, "command": "schedule run-once" });
            if let Err(err) = store.record_audit_event("policy_refused", None, &detail) {
                tracing::warn!("could not record the refusal in the state file: {err}");
            }
            Err(Error::args(reason))
        }
    }
}

/// The scan options of a pass: every inventory host, the whole rule set or profile (a tier
/// comes only from a full scan; a profile is its own rule source), recorded in the state file.
fn scan_args(
    args: &RunOnceArgs,
    policy: Option<&scan::LoadedPolicy>,
    config: &Config,
) -> Result<ScanArgs> {
    let inventory = args
        .inventory
        .inventory
        .clone()
        .or_else(|| policy.and_then(scan::LoadedPolicy::inventory))
        .or_else(|| config.inventory.clone())
        .ok_or_else(|| {
            Error::args(
                "schedule run-once needs an inventory: -i FILE, PLUMB_INVENTORY, or `inventory:` in the policy or the config file",
            )
        })?;
    Ok(ScanArgs {
        hosts: Vec::new(),
        local: false,
        inventory: InventoryArgs {
            inventory: Some(inventory),
            limit: args.inventory.limit.clone(),
        },
        ssh: args.ssh.clone(),
        rules: args.rules.clone(),
        root: None,
        profile: args.profile.clone(),
        rule_ids: Vec::new(),
        tags: Vec::new(),
        min_severity: None,
        exclude: Vec::new(),
        fail_on: Some(args.fail_on),
        allow_errors: args.allow_errors,
        output: None,
        evidence_max_bytes: None,
        host_name: None,
        no_store: false,
        via_shell: false,
        waivers: args.waivers.clone(),
        policy: args.policy.clone(),
        view: crate::cli::ViewArgs::default(),
    })
}

/// The end of a maintenance window: RFC 3339 or a date, and in the future.
fn parse_until(text: &str, now: i64) -> Result<i64> {
    let until =
        crate::time::parse_time(text, now).map_err(|err| Error::args(format!("--until: {err}")))?;
    if until <= now {
        return Err(Error::args(format!(
            "--until {text} is not in the future; --clear ends a window now"
        )));
    }
    Ok(until)
}

fn render_summary(summary: &PassSummary) -> String {
    let mut text = format!(
        "claimed {}, scanned {}, failed {}, rejected {}, skipped for maintenance {}, skipped for backoff {}, not yet due {}\n",
        summary.claimed,
        summary.scanned,
        summary.failed,
        summary.rejected,
        summary.skipped_maintenance.len(),
        summary.skipped_backoff.len(),
        summary.not_yet_due,
    );
    if summary.over_cap > 0 || summary.claimed_elsewhere > 0 {
        text.push_str(&format!(
            "due but over --max-hosts {}, claimed by another pass {}\n",
            summary.over_cap, summary.claimed_elsewhere
        ));
    }
    match &summary.next_due {
        Some(at) => text.push_str(&format!("next due: {at}\n")),
        None => text.push_str("next due: none scheduled\n"),
    }
    for clamp in &summary.clamps {
        text.push_str(&format!("clamped: {clamp}\n"));
    }
    for host in &summary.unenrolled {
        text.push_str(&format!(
            "left the schedule: {}\n",
            report::terminal_safe(host)
        ));
    }
    text
}

/// One host's schedule as `schedule status` shows it: times in RFC 3339, spans as durations.
#[derive(Debug, Serialize)]
struct StatusView {
    host: String,
    enrolled: bool,
    tier: crate::tier::Tier,
    score: Option<f64>,
    interval: String,
    next_scan: String,
    /// How long past its next scan the host is; `None` when it is not due yet.
    overdue_by: Option<String>,
    last_scan: Option<String>,
    maintenance_until: Option<String>,
    consecutive_failures: u32,
    suppress_until: Option<String>,
    last_error: Option<String>,
    claimed_by: Option<String>,
}

impl StatusView {
    fn of(status: &HostScheduleStatus) -> StatusView {
        let span = |ms: i64| PolicyDuration::from_secs(u64::try_from(ms / 1000).unwrap_or(0));
        let time = crate::time::rfc3339_seconds;
        StatusView {
            host: status.host.clone(),
            enrolled: status.enrolled,
            tier: status.tier,
            score: status.score.map(|s| (s * 10.0).round() / 10.0),
            interval: span(status.interval_secs.saturating_mul(1000)).to_string(),
            next_scan: time(status.next_scan_at),
            overdue_by: (status.overdue_by > 0).then(|| span(status.overdue_by).to_string()),
            last_scan: status.last_scan_finished_at.map(time),
            maintenance_until: status.maintenance_until.map(time),
            consecutive_failures: status.consecutive_failures,
            suppress_until: status.suppress_until.map(time),
            last_error: status.last_error.clone(),
            claimed_by: status.claimed_by.clone(),
        }
    }
}

fn render_status(statuses: &[StatusView], key_file: Option<&Path>) -> String {
    let mut table = crate::commands::state::table(&[
        "host",
        "tier",
        "score",
        "interval",
        "next scan",
        "overdue",
        "maintenance",
        "backoff",
        "last error",
    ]);
    for status in statuses {
        let host = if status.enrolled {
            report::terminal_safe(&status.host)
        } else {
            format!("{} (left)", report::terminal_safe(&status.host))
        };
        table.add_row([
            host,
            status.tier.as_str().to_owned(),
            status
                .score
                .map(|s| format!("{s:.1}%"))
                .unwrap_or_else(|| "-".into()),
            status.interval.clone(),
            status.next_scan.clone(),
            status.overdue_by.clone().unwrap_or_default(),
            status.maintenance_until.clone().unwrap_or_default(),
            match (status.consecutive_failures, &status.suppress_until) {
                (0, _) => String::new(),
                (n, Some(until)) => format!("{n} failed, until {until}"),
                (n, None) => format!("{n} failed"),
            },
            status
                .last_error
                .as_deref()
                .map(report::terminal_safe)
                .unwrap_or_default(),
        ]);
    }
    let key_file = key_file.map_or_else(
        || format!("none (set {KEY_FILE_ENV})"),
        |path| path.display().to_string(),
    );
    format!("{table}\njob key: {key_file}\n")
}

/// A crontab line and a systemd service + timer that run this pass every interval floor.
fn cron_text(args: &RunOnceArgs, state: &StateLocation, config: &Config) -> Result<String> {
    let exe = std::env::current_exe()
        .map_err(|source| Error::io("finding the plumb binary", Path::new("plumb"), source))?;
    let words = run_once_words(&exe, state, args, config)?;
    let minutes = crate::policy::INTERVAL_FLOOR.as_secs() / 60;
    let cron_command: Vec<String> = words.iter().map(|w| shell_quote(w)).collect();
    // `%` ends a crontab command unless escaped.
    let cron_command = cron_command.join(" ").replace('%', "\\%");
    let exec: Vec<String> = words.iter().map(|w| systemd_quote(w)).collect();
    // A URL's password stays out of crontabs and unit files (and this output).
    let password_note = match state {
        StateLocation::Postgres(url) if url.password().is_some() => {
            "# The database password is not printed: give it to the job with PGPASSWORD or ~/.pgpass.\n"
        }
        _ => "",
    };
    Ok(format!(
        "{password_note}# crontab line (every {minutes} minutes, the shortest scan interval):\n\
         */{minutes} * * * * {cron_command}\n\
         \n\
         # /etc/systemd/system/plumb-schedule.service\n\
         [Unit]\n\
         Description=plumb schedule run-once: scan the hosts that are due\n\
         After=network-online.target\n\
         Wants=network-online.target\n\
         \n\
         [Service]\n\
         Type=oneshot\n\
         ExecStart={exec}\n\
         # Findings (exit 1) are results, not a failed unit.\n\
         SuccessExitStatus=1\n\
         \n\
         # /etc/systemd/system/plumb-schedule.timer\n\
         [Unit]\n\
         Description=Run plumb schedule run-once every {minutes} minutes\n\
         \n\
         [Timer]\n\
         OnCalendar=*:0/{minutes}\n\
         Persistent=true\n\
         \n\
         [Install]\n\
         WantedBy=timers.target\n",
        exec = exec.join(" ")
    ))
}

/// The command line of `run-once` with these options, paths made absolute.
fn run_once_words(
    exe: &Path,
    state: &StateLocation,
    args: &RunOnceArgs,
    config: &Config,
) -> Result<Vec<String>> {
    let absolute = |path: &Path| -> String {
        std::path::absolute(path)
            .unwrap_or_else(|_| path.to_owned())
            .display()
            .to_string()
    };
    let mut words = vec![
        absolute(exe),
        "--state".into(),
        match state {
            StateLocation::Path(path) => absolute(path),
            // The redacted form without its `:***`: the URL minus the password.
            StateLocation::Postgres(url) => url.to_string().replacen(":***@", "@", 1),
        },
        "schedule".into(),
        "run-once".into(),
    ];
    // The policy's own inventory is found when the pass runs; only -i and the config's count here.
    let inventory = args
        .inventory
        .inventory
        .clone()
        .or_else(|| config.inventory.clone());
    if inventory.is_none() && args.policy.policy.is_none() && config.policy.is_none() {
        return Err(Error::args(
            "schedule cron needs an inventory: -i FILE, PLUMB_INVENTORY, or `inventory:` in the policy or the config file",
        ));
    }
    let mut path_flag = |flag: &str, path: Option<&PathBuf>| {
        if let Some(path) = path {
            words.push(flag.into());
            words.push(absolute(path));
        }
    };
    path_flag("--inventory", inventory.as_ref());
    let trust = &args.policy.trust;
    path_flag("--policy", args.policy.policy.as_ref());
    path_flag("--allowed-signers", trust.allowed_signers.as_ref());
    path_flag("--key", trust.key.as_ref());
    path_flag("--signature", trust.signature.as_ref());
    path_flag("--revocation-list", trust.revocation_list.as_ref());
    path_flag("--identity", args.ssh.identity.as_ref());
    path_flag("--ssh-config", args.ssh.ssh_config.as_ref());
    path_flag("--known-hosts", args.ssh.known_hosts.as_ref());
    for path in &args.rules.rules {
        words.push("--rules".into());
        words.push(absolute(path));
    }
    for path in &args.rules.vars_files {
        words.push("--vars-file".into());
        words.push(absolute(path));
    }
    if args.rules.rules_dialect != crate::rules::DialectChoice::Auto {
        let dialect = clap::ValueEnum::to_possible_value(&args.rules.rules_dialect);
        words.push("--rules-dialect".into());
        words.extend(dialect.map(|v| v.get_name().to_owned()));
    }
    for (flag, values) in [
        ("--limit", &args.inventory.limit),
        ("--var", &args.rules.vars),
        ("--profile", &args.profile.profiles),
        ("--ssh-option", &args.ssh.ssh_options),
    ] {
        for value in values {
            words.push(flag.into());
            words.push(value.clone());
        }
    }
    let mut value_flag = |flag: &str, value: Option<String>| {
        if let Some(value) = value {
            words.push(flag.into());
            words.push(value);
        }
    };
    value_flag("--user", args.ssh.user.clone());
    value_flag("--port", args.ssh.port.map(|p| p.to_string()));
    value_flag(
        "--host-key-policy",
        args.ssh
            .host_key_policy
            .map(|p| clap::ValueEnum::to_possible_value(&p))
            .and_then(|v| v.map(|v| v.get_name().to_owned())),
    );
    value_flag(
        "--connect-timeout",
        args.ssh.connect_timeout.map(|s| s.to_string()),
    );
    value_flag(
        "--probe-timeout",
        args.ssh.probe_timeout.map(|s| s.to_string()),
    );
    value_flag("--concurrency", args.ssh.concurrency.map(|n| n.to_string()));
    value_flag("--max-hosts", args.max_hosts.map(|n| n.to_string()));
    value_flag("--lease", args.lease.map(|d| d.to_string()));
    if args.fail_on != FailOn::Low {
        value_flag(
            "--fail-on",
            clap::ValueEnum::to_possible_value(&args.fail_on).map(|v| v.get_name().to_owned()),
        );
    }
    if args.ssh.max_output != crate::defaults::MAX_OUTPUT {
        value_flag("--max-output", Some(args.ssh.max_output.to_string()));
    }
    for (flag, on) in [
        ("--sudo", args.ssh.sudo),
        ("--allow-unsigned-policy", args.policy.allow_unsigned_policy),
        ("--allow-errors", args.allow_errors),
    ] {
        if on {
            words.push(flag.into());
        }
    }
    Ok(words)
}

/// POSIX shell single quoting.
fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,+@".contains(&b));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// systemd `ExecStart=` quoting: double quotes with C escapes, and `%`/`$` doubled so systemd
/// neither expands specifiers nor environment variables.
fn systemd_quote(word: &str) -> String {
    let mut quoted = String::with_capacity(word.len() + 2);
    quoted.push('"');
    for c in word.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '%' => quoted.push_str("%%"),
            '$' => quoted.push_str("$$"),
            '\n' => quoted.push_str("\\n"),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_quoting_keeps_each_word_one_word() {
        assert_eq!(shell_quote("/usr/bin/plumb"), "/usr/bin/plumb");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("$(rm -rf /)"), "'$(rm -rf /)'");
    }

    #[test]
    fn systemd_quoting_escapes_specifiers_and_variables() {
        assert_eq!(systemd_quote("a%b$c\"d\\"), r#""a%%b$$c\"d\\""#);
    }
}
