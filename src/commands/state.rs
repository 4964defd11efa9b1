//! `plumb state`: inspect, verify, prune, migrate the state file.

use crate::error::{Error, Result};
use crate::exit;
use crate::output;
use crate::store::{self, Access, StateLocation, Store};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use serde::Serialize;
use std::path::PathBuf;
use std::time::Duration;

mod export;
mod report;
mod tables;

pub use report::ReportArgs;

#[derive(Debug, Clone, clap::Subcommand)]
pub enum StateCommand {
    /// Print the state file's path.
    Path,
    /// Schema version, size, row counts and each host's last scan.
    Show,
    /// Every host with its score, compliance tier and failing rules by severity.
    Hosts,
    /// Recorded scans, newest first.
    Scans {
        /// Only scans of this host.
        #[arg(long)]
        host: Option<String>,
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
    /// A host's change log, newest first.
    History {
        host: String,
        /// Only changes of this rule.
        #[arg(long)]
        rule: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// Integrity check, foreign keys and the change log's hash chain (exit 1 if unsound).
    Check,
    /// Apply pending schema migrations, including ones not applied automatically.
    Migrate,
    /// Drop scans and change-log rows older than DURATION (current state, each host's last
    /// scan and the scan with the highest policy version are kept).
    Prune {
        /// Age such as 90s, 15m, 4h, 30d.
        #[arg(long, value_parser = parse_duration)]
        older_than: Duration,
    },
    /// Rebuild the file to reclaim space (a state file only).
    Vacuum,
    /// Copy a whole state into an empty one: a file into PostgreSQL, or a database back to a
    /// file (either side a path or a postgres:// URL; --state is not used).
    ///
    /// Copies hosts, rules, current state, the full change log with its hash chain (ids and
    /// hashes kept, so it still verifies), prune checkpoints, scans, evidence, the schedule,
    /// jobs, export cursors and audit events. Host locks are not copied: they are leases of
    /// processes running against the source. The target must be empty (a new file, an empty
    /// database, or one with only plumb's schema) and is written in one transaction, so a
    /// failure leaves it empty. The source must have this plumb's schema version (run
    /// `plumb state migrate` on it first) and a sound hash chain; it is only read.
    Copy {
        /// The state to copy: a file path or a postgres:// URL
        #[arg(value_name = "SRC")]
        source: std::ffi::OsString,
        /// Where to copy it: a new or empty file path, or an empty PostgreSQL database's URL
        #[arg(value_name = "DST")]
        target: std::ffi::OsString,
    },
    /// Write what a consumer has not acknowledged: changed results in full, unchanged hosts
    /// as references, removals (JSON, or NDJSON with --format ndjson). Moves no cursor.
    Export {
        /// Who the batch is for (created on first export)
        #[arg(long)]
        consumer: String,
        /// Write the batch to FILE (atomically) instead of stdout
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Send every result, whatever the consumer acknowledged
        #[arg(long)]
        full: bool,
        /// Send everything when the consumer's last acknowledged full batch is older than
        /// this, such as 12h or 7d [default: the policy's export.full_sync_horizon, else 7d]
        #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
        full_sync_horizon: Option<Duration>,
        /// The policy whose export.full_sync_horizon applies
        #[command(flatten)]
        policy: crate::cli::PolicyArgs,
    },
    /// Acknowledge an exported batch after uploading it: the consumer's cursor moves to it.
    Ack {
        #[arg(long)]
        consumer: String,
        /// The batch_id of the exported batch
        batch_id: String,
    },
    /// The fleet's HTML report (--format html, the default): hosts by score, findings,
    /// rule texts and trends, in one self-contained page.
    Report(ReportArgs),
    /// Each export consumer's cursor, last acknowledgement and whether a full sync is due.
    Consumers {
        /// As for `state export`
        #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
        full_sync_horizon: Option<Duration>,
    },
}

/// What every `plumb state` command needs from the global options.
#[derive(Debug, Clone)]
pub struct StateContext {
    /// `--state`, `PLUMB_STATE`, the config file's `state:` or the default file.
    pub location: StateLocation,
    pub json: bool,
    /// `--format ndjson` (only `state export` accepts it).
    pub ndjson: bool,
    pub color: bool,
}

/// Runs one `plumb state` command without a config file (see [`run_with_config`]).
pub fn run(cmd: &StateCommand, ctx: &StateContext) -> Result<u8> {
    run_with_config(cmd, ctx, &crate::config::Config::default())
}

/// Runs one `plumb state` command, printing its data on stdout; returns the exit code.
/// `config` gives `state export` its default policy.
pub fn run_with_config(
    cmd: &StateCommand,
    ctx: &StateContext,
    config: &crate::config::Config,
) -> Result<u8> {
    match cmd {
        StateCommand::Path => {
            // A URL is printed redacted (its Display), a path as it is.
            if ctx.json {
                let path = match &ctx.location {
                    StateLocation::Path(path) => serde_json::json!(path),
                    location => serde_json::json!(location.to_string()),
                };
                output::print_json(&serde_json::json!({ "path": path }))?;
            } else {
                output::print(&format!("{}\n", ctx.location))?;
            }
            Ok(exit::CLEAN)
        }
        StateCommand::Show => {
            let report = Store::open_at(&ctx.location, Access::Existing)?.show()?;
            emit(ctx, &report, |r| render_show(r, ctx.color))
        }
        StateCommand::Hosts => {
            let hosts = open_state(ctx)?.hosts()?;
            emit(ctx, hosts.as_slice(), |h| {
                tables::hosts(h, tables::width(), paint(ctx))
            })
        }
        StateCommand::Scans { host, limit } => {
            let scans = open_state(ctx)?.scans(host.as_deref(), *limit)?;
            emit(ctx, scans.as_slice(), |s| {
                tables::scans(s, tables::width(), paint(ctx))
            })
        }
        StateCommand::History { host, rule, limit } => {
            let entries = open_state(ctx)?.history(host, rule.as_deref(), *limit)?;
            emit(ctx, entries.as_slice(), |e| {
                tables::history(e, tables::width(), paint(ctx))
            })
        }
        StateCommand::Check => {
            // A file is checked without opening it as a store, so damage is reported too.
            let report = match &ctx.location {
                StateLocation::Path(path) => store::check_file(path)?,
                location => Store::open_at(location, Access::Existing)?.check()?,
            };
            emit(ctx, &report, render_check)?;
            Ok(if report.sound {
                exit::CLEAN
            } else {
                exit::FINDINGS
            })
        }
        StateCommand::Migrate => {
            let report = Store::open_at(&ctx.location, Access::Unmigrated)?.migrate()?;
            emit(ctx, &report, |r| {
                if r.applied.is_empty() {
                    format!("{}: schema version {} is current\n", r.path, r.to_version)
                } else {
                    let mut out = format!(
                        "{}: migrated schema {} -> {}\n",
                        r.path, r.from_version, r.to_version
                    );
                    r.applied
                        .iter()
                        .for_each(|m| out.push_str(&format!("  applied {m}\n")));
                    out
                }
            })
        }
        StateCommand::Prune { older_than } => {
            let millis = i64::try_from(older_than.as_millis())
                .map_err(|_| Error::args("--older-than is too large"))?;
            let report = open_state(ctx)?.prune(millis)?;
            emit(ctx, &report, |r| {
                format!(
                    "pruned {} scans and {} change-log rows older than {}\n",
                    r.scans_deleted,
                    r.transactions_deleted,
                    format_time(r.cutoff)
                )
            })
        }
        StateCommand::Vacuum => {
            if let StateLocation::Postgres(url) = &ctx.location {
                return Err(store::StoreError::vacuum_on_postgres(url).into());
            }
            let report = open_state(ctx)?.vacuum()?;
            emit(ctx, &report, |r| {
                format!("vacuumed: {} -> {} bytes\n", r.bytes_before, r.bytes_after)
            })
        }
        StateCommand::Export {
            consumer,
            output,
            full,
            full_sync_horizon,
            policy,
        } => {
            let horizon = export::HorizonSource {
                given: *full_sync_horizon,
                policy: policy.path(config)?,
                args: policy,
                config,
            };
            export::export(ctx, consumer, *full, &horizon, output.as_deref())
        }
        StateCommand::Copy { source, target } => {
            let source = StateLocation::parse(source).map_err(store::StoreError::from)?;
            let target = StateLocation::parse(target).map_err(store::StoreError::from)?;
            let report = store::copy_state(&source, &target)?;
            emit(ctx, &report, render_copy)
        }
        StateCommand::Ack { consumer, batch_id } => export::ack(ctx, consumer, batch_id),
        StateCommand::Consumers { full_sync_horizon } => export::consumers(ctx, *full_sync_horizon),
        StateCommand::Report(args) => report::report(ctx, args),
    }
}

/// Opens an existing store at a path or URL, for the commands that run on both backends.
fn open_state(ctx: &StateContext) -> Result<Store> {
    Ok(Store::open_at(&ctx.location, Access::Existing)?)
}

fn emit<T: Serialize + ?Sized>(
    ctx: &StateContext,
    value: &T,
    render: impl Fn(&T) -> String,
) -> Result<u8> {
    if ctx.json {
        output::print_json(value)?;
    } else {
        output::print(&render(value))?;
    }
    Ok(exit::CLEAN)
}

/// Parses `90s`, `15m`, `4h`, `30d`, as policy durations are written.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    crate::policy::PolicyDuration::parse(text).map(|d| d.as_duration())
}

/// Unix ms as `YYYY-MM-DDTHH:MM:SSZ` (UTC).
pub fn format_time(unix_ms: i64) -> String {
    crate::time::rfc3339_seconds(unix_ms)
}

fn score_text(score: Option<f64>) -> String {
    score.map_or_else(|| "-".to_string(), |s| format!("{s:.1}"))
}

/// A table in the style every `plumb state` and `plumb schedule` table uses.
pub(crate) fn table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table
        .load_style(UTF8_FULL_CONDENSED)
        .set_header(header.to_vec());
    table
}

fn render_show(report: &store::ShowReport, color: bool) -> String {
    let mut out = format!(
        "path:           {}\nschema version: {}\nsize:           {} bytes\nhosts:          {}\nrules:          {}\nscans:          {}\ntransactions:   {}\n",
        report.path,
        report.schema_version,
        report.file_size_bytes,
        report.hosts,
        report.rules,
        report.scans,
        report.transactions
    );
    if !report.last_scans.is_empty() {
        let paint = crate::report::paint::Paint { color };
        out.push_str(&tables::last_scans(
            &report.last_scans,
            tables::width(),
            paint,
        ));
    }
    out
}

fn paint(ctx: &StateContext) -> crate::report::paint::Paint {
    crate::report::paint::Paint { color: ctx.color }
}

fn render_copy(report: &store::CopyReport) -> String {
    let mut out = format!(
        "copied {} -> {} (schema version {})\n",
        report.source, report.target, report.schema_version
    );
    for table in &report.tables {
        out.push_str(&format!("  {:<20} {} rows\n", table.table, table.rows));
    }
    out.push_str(&format!(
        "hash chain: ok ({} rows from {})\n",
        report.chain.rows_checked, report.chain.starts_at
    ));
    out
}

fn render_check(report: &store::CheckReport) -> String {
    let mut out = match report.dialect {
        store::Dialect::Sqlite => format!("state file: {}\n", report.path.display()),
        store::Dialect::Postgres => format!("database: {}\n", report.path.display()),
    };
    for check in &report.not_applicable {
        out.push_str(&format!("{check}: not applicable on PostgreSQL\n"));
    }
    if let Some(error) = &report.error {
        out.push_str(&format!("error: {error}\n"));
    }
    if !report.integrity.is_empty() {
        out.push_str(&format!(
            "integrity_check: {}\n",
            report.integrity.join("; ")
        ));
    }
    if !report.not_applicable.is_empty() {
        // PostgreSQL enforces its keys itself: there is nothing to report as ok.
    } else if report.foreign_key_violations.is_empty() {
        out.push_str("foreign keys: ok\n");
    } else {
        for v in &report.foreign_key_violations {
            out.push_str(&format!(
                "foreign key violation: {} row {} -> {}\n",
                v.table,
                v.rowid.map_or("?".to_string(), |id| id.to_string()),
                v.parent
            ));
        }
    }
    if let Some(chain) = &report.chain {
        match &chain.first_bad {
            None => out.push_str(&format!(
                "hash chain: ok ({} rows from {})\n",
                chain.rows_checked, chain.starts_at
            )),
            Some(bad) => out.push_str(&format!(
                "hash chain: BROKEN at transactions row {} (scan {}, host {}, rule {}): {}\n",
                bad.id, bad.scan_id, bad.host, bad.rule_id, bad.problem
            )),
        }
    }
    out.push_str(if report.sound {
        "verdict: sound\n"
    } else {
        "verdict: NOT sound\n"
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_and_reject() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("4h"), Ok(Duration::from_secs(14_400)));
        assert_eq!(parse_duration("30d"), Ok(Duration::from_secs(2_592_000)));
        assert!(parse_duration("30").is_err());
        assert!(parse_duration("d").is_err());
        assert!(parse_duration("3y").is_err());
        assert!(parse_duration("99999999999999999999d").is_err());
    }

    #[test]
    fn times_format_as_utc() {
        assert_eq!(format_time(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_time(1_709_251_199_000), "2024-02-29T23:59:59Z");
    }
}
