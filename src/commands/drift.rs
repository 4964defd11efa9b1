//! `plumb drift`: parses the flags into a [`DriftQuery`], runs [`drift::compute`] on the
//! state file (read-only), renders, and applies the `--fail-on-regression` gate.

use crate::cli::SeverityArg;
use crate::drift::{self, DriftQuery};
use crate::error::{Error, Result};
use crate::exit;
use crate::output::{self, Output};
use crate::store::{Access, Severity, StateLocation, Store};
use clap::Args;

/// The fleet view's window when no `--since` is given.
pub const DEFAULT_FLEET_SINCE: &str = "1d";

#[derive(Debug, Clone, Args)]
pub struct DriftArgs {
    /// The host to examine; without it (or with --all), regressions across the fleet
    #[arg(value_name = "HOST", conflicts_with = "all")]
    pub host: Option<String>,
    /// Regressions across every host, grouped by rule
    #[arg(long)]
    pub all: bool,
    #[arg(long, value_name = "TIME", help = format!(
        "Net change of each rule from TIME until now, with its flaps [fleet default: {DEFAULT_FLEET_SINCE}]"
    ))]
    pub since: Option<String>,
    /// The host's state at TIME, rebuilt from the change log (with --against: both hosts then)
    #[arg(long, value_name = "TIME", conflicts_with = "since")]
    pub at: Option<String>,
    /// A scan by id or unique prefix; give it twice to compare scan against scan
    #[arg(long = "scan", value_name = "ID", conflicts_with_all = ["host", "all", "since", "at", "against"])]
    pub scans: Vec<String>,
    /// Compare HOST against HOST2 (now, or --at TIME): every rule whose status or evidence differs
    #[arg(
        long,
        value_name = "HOST2",
        requires = "host",
        conflicts_with = "since"
    )]
    pub against: Option<String>,
    /// Exit 1 when a regression at or above SEVERITY is present [no value: low]
    #[arg(
        long,
        value_enum,
        value_name = "SEVERITY",
        num_args = 0..=1,
        default_missing_value = "low"
    )]
    pub fail_on_regression: Option<SeverityArg>,
}

/// Runs `plumb drift` against the state at `state` (a file or a PostgreSQL database);
/// returns the exit code.
pub fn run(args: &DriftArgs, state: &StateLocation, output: &Output) -> Result<u8> {
    if output.format == crate::report::Format::Html {
        return Err(Error::args(
            "plumb drift has no html format; the fleet's HTML report is `plumb state report`",
        ));
    }
    let now = crate::store::now_ms();
    let query = query(args, now)?;
    let started = std::time::Instant::now();
    let mut store = Store::open_at(state, Access::Existing)?;
    let opened = started.elapsed();
    let report = drift::compute(&mut store, &query, now)?;
    let computed = started.elapsed();
    let text = drift::render(output.format, &report)?;
    let rendered = started.elapsed();
    output::print(&text)?;
    tracing::debug!(
        open = ?opened,
        compute = ?computed - opened,
        render = ?rendered - computed,
        print = ?started.elapsed() - rendered,
        "drift timings"
    );
    let gate = args.fail_on_regression.map(Severity::from);
    Ok(match gate {
        Some(threshold) if report.regressions_at_or_above(threshold) > 0 => exit::FINDINGS,
        _ => exit::CLEAN,
    })
}

fn time(flag: &str, text: &str, now: i64) -> Result<i64> {
    crate::time::parse_time(text, now).map_err(|err| Error::args(format!("{flag}: {err}")))
}

/// The view the flags ask for.
fn query(args: &DriftArgs, now: i64) -> Result<DriftQuery> {
    let at = args
        .at
        .as_deref()
        .map(|t| time("--at", t, now))
        .transpose()?;
    let since = args
        .since
        .as_deref()
        .map(|t| time("--since", t, now))
        .transpose()?;
    if !args.scans.is_empty() {
        let [first, second] = args.scans.as_slice() else {
            return Err(Error::args(format!(
                "--scan compares two scans: give it twice (--scan A --scan B), not {} time(s)",
                args.scans.len()
            )));
        };
        return Ok(DriftQuery::Scans {
            first: first.clone(),
            second: second.clone(),
        });
    }
    let host = match (&args.host, args.all) {
        (Some(host), false) => host.clone(),
        _ => {
            if at.is_some() {
                return Err(Error::args(
                    "--at needs a HOST: the fleet view shows regressions since a time",
                ));
            }
            let since = match since {
                Some(since) => since,
                None => time("--since", DEFAULT_FLEET_SINCE, now)?,
            };
            return Ok(DriftQuery::Fleet { since });
        }
    };
    Ok(match (&args.against, at, since) {
        (Some(other), at, _) => DriftQuery::Against {
            host,
            other: other.clone(),
            at,
        },
        (None, Some(at), _) => DriftQuery::At { host, at },
        (None, None, Some(since)) => DriftQuery::Since { host, since },
        (None, None, None) => DriftQuery::LastScans { host },
    })
}
