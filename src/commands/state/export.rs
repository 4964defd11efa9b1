//! `plumb state export`, `state ack` and `state consumers`: a thin layer over
//! [`Store::export_batch`] and friends that picks the horizon and writes the batch.

use super::{StateContext, emit, format_time, table};
use crate::cli::PolicyArgs;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::exit;
use crate::policy::ExportSettings;
use crate::store::{self, Access, ExportBatch, ExportRequest, Store};
use serde::Serialize;
use std::path::Path;
use std::time::Duration;

/// Where `state export` takes its full-sync horizon from.
pub(super) struct HorizonSource<'a> {
    /// `--full-sync-horizon`: wins over the policy.
    pub given: Option<Duration>,
    /// `--policy`, else the config file's `policy:`.
    pub policy: Option<&'a Path>,
    pub args: &'a PolicyArgs,
    pub config: &'a Config,
}

impl HorizonSource<'_> {
    /// The flag, else the policy's `export.full_sync_horizon` (verified as `plumb scan`
    /// verifies it, a refusal recorded in `store`), else the default.
    fn resolve(&self, store: &mut Store) -> Result<i64> {
        let horizon = match (self.given, self.policy) {
            (Some(given), _) => given,
            (None, Some(path)) => {
                let loaded =
                    crate::commands::scan::load_policy(path, self.args, self.config, Some(store))?;
                loaded.policy.export.full_sync_horizon.as_duration()
            }
            (None, None) => ExportSettings::default().full_sync_horizon.as_duration(),
        };
        checked_ms(horizon)
    }
}

/// `--full-sync-horizon` as given, else the policy's default.
fn horizon_ms(given: Option<Duration>) -> Result<i64> {
    checked_ms(given.unwrap_or_else(|| ExportSettings::default().full_sync_horizon.as_duration()))
}

fn checked_ms(horizon: Duration) -> Result<i64> {
    if horizon.is_zero() {
        return Err(Error::args("--full-sync-horizon must be longer than 0s"));
    }
    i64::try_from(horizon.as_millis()).map_err(|_| Error::args("--full-sync-horizon is too large"))
}

/// The state, a file or a PostgreSQL database: export, ack and consumers run on both.
fn open(ctx: &StateContext) -> Result<Store> {
    Ok(Store::open_at(&ctx.location, Access::Existing)?)
}

/// A consumer name is a label in a table and a key in the file: printable and not blank.
fn check_consumer(name: &str) -> Result<()> {
    if name.trim().is_empty() || name.chars().any(char::is_control) {
        return Err(Error::args(format!(
            "--consumer {name:?} must be non-empty without control characters"
        )));
    }
    Ok(())
}

pub(super) fn export(
    ctx: &StateContext,
    consumer: &str,
    full: bool,
    horizon: &HorizonSource,
    output: Option<&Path>,
) -> Result<u8> {
    check_consumer(consumer)?;
    let mut store = open(ctx)?;
    let request = ExportRequest {
        consumer,
        full,
        full_sync_horizon_ms: horizon.resolve(&mut store)?,
        now_ms: store::now_ms(),
    };
    let batch = store.export_batch(&request)?;
    let mut bytes = Vec::new();
    if ctx.ndjson {
        ndjson(&mut bytes, &batch)?;
    } else {
        write_line(&mut bytes, &batch)?;
    }
    match output {
        Some(path) => crate::report::write_atomic(path, &bytes)
            .map_err(|source| Error::io("write the export batch to", path, source))?,
        // serde_json writes UTF-8, so this checks it without copying.
        None => crate::output::print(
            &String::from_utf8(bytes).map_err(|err| Error::Json(serde::ser::Error::custom(err)))?,
        )?,
    }
    Ok(exit::CLEAN)
}

/// One JSON object a line: the header (`"t":"batch"`), the records, and an `end` line with
/// the counts, so a consumer can tell a complete file from a cut one.
fn ndjson(out: &mut Vec<u8>, batch: &ExportBatch) -> Result<()> {
    #[derive(Serialize)]
    struct Header<'a> {
        t: &'static str,
        #[serde(flatten)]
        header: &'a store::BatchHeader,
    }
    write_line(
        out,
        &Header {
            t: "batch",
            header: &batch.header,
        },
    )?;
    for record in &batch.records {
        write_line(out, record)?;
    }
    #[derive(Serialize)]
    struct End<'a> {
        t: &'static str,
        batch_id: &'a str,
        counts: store::BatchCounts,
    }
    write_line(
        out,
        &End {
            t: "end",
            batch_id: &batch.header.batch_id,
            counts: batch.counts,
        },
    )
}

/// Appends `value` as compact JSON and a newline.
fn write_line<T: Serialize>(out: &mut Vec<u8>, value: &T) -> Result<()> {
    serde_json::to_writer(&mut *out, value).map_err(Error::Json)?;
    out.push(b'\n');
    Ok(())
}

pub(super) fn ack(ctx: &StateContext, consumer: &str, batch_id: &str) -> Result<u8> {
    check_consumer(consumer)?;
    let mut store: Store = open(ctx)?;
    let outcome = store.ack_export(consumer, batch_id, store::now_ms())?;
    emit(ctx, &outcome, |o| {
        if o.moved {
            format!(
                "{}: acknowledged batch {} (change log through id {})\n",
                o.consumer, o.batch_id, o.acked_through_txn
            )
        } else {
            format!(
                "{}: batch {} was already acknowledged; nothing changed\n",
                o.consumer, o.batch_id
            )
        }
    })
}

pub(super) fn consumers(ctx: &StateContext, horizon: Option<Duration>) -> Result<u8> {
    let list = open(ctx)?.export_consumers(horizon_ms(horizon)?, store::now_ms())?;
    emit(ctx, list.as_slice(), render_consumers)
}

fn render_consumers(list: &[store::ConsumerStatus]) -> String {
    let mut t = table(&[
        "consumer",
        "acked batch",
        "through id",
        "acked at",
        "last full",
        "full sync due",
        "unacked",
    ]);
    let time = |at: Option<i64>| at.map_or_else(|| "-".to_string(), format_time);
    for c in list {
        t.add_row(vec![
            c.name.clone(),
            c.acked_batch_id.clone().unwrap_or_else(|| "-".into()),
            c.acked_through_txn.map_or("-".into(), |id| id.to_string()),
            time(c.acked_at),
            time(c.last_full_at),
            if c.full_sync_due {
                "yes".to_string()
            } else {
                format!("at {}", time(c.next_full_sync_at))
            },
            c.unacked_batches.to_string(),
        ]);
    }
    format!("{t}\n")
}
