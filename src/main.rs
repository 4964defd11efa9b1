//! The `plumb` binary: parse, set up logging, dispatch, map errors to exit codes.

// Data reaches stdout only through `output::print`, which treats a closed pipe as success.
#![deny(clippy::print_stdout)]

use clap::Parser;
use plumb::cli::{Cli, Command};
use plumb::commands::{self, Output};
use plumb::error::{Chain, Error};
use plumb::exit;
use plumb::report::Format;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return ExitCode::from(if err.use_stderr() {
                exit::USAGE
            } else {
                exit::CLEAN
            });
        }
    };
    let output = Output::from_args(&cli.global);
    init_logging(cli.global.quiet, cli.global.verbose, output.color);
    let result = run(&cli, &output);
    match result {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("plumb: error: {}", Chain(&err));
            ExitCode::from(err.code())
        }
    }
}

fn run(cli: &Cli, output: &Output) -> Result<u8, Error> {
    let config = plumb::config::load(cli.global.config.as_deref())?;
    // `--format` (or PLUMB_FORMAT) wins over the config file's `format`.
    let output = &match (cli.global.format, config.format) {
        (None, Some(format)) => Output { format, ..*output },
        _ => *output,
    };
    let state = cli.global.state.as_deref();
    match &cli.command {
        // Still untyped inside: its chain keeps the class its call sites marked.
        Command::Scan(args) => Ok(commands::scan::run(args, &config, state, output)?),
        Command::State { command } => {
            let ndjson_ok = matches!(command, commands::state::StateCommand::Export { .. });
            let ndjson = output.format == Format::Ndjson && ndjson_ok;
            // `state report` writes html only, so it is its default.
            let report = matches!(command, commands::state::StateCommand::Report(_));
            if report && !matches!(cli.global.format, None | Some(Format::Html)) {
                return Err(Error::args(format!(
                    "plumb state report writes html, not {:?}",
                    output.format
                )));
            }
            if !matches!(output.format, Format::Table | Format::Json) && !ndjson && !report {
                return Err(Error::args(format!(
                    "plumb state prints table or json, not {:?}",
                    output.format
                )));
            }
            let context = commands::state::StateContext {
                location: commands::scan::state_location(state, &config)?,
                json: output.format == Format::Json,
                ndjson,
                color: output.color,
            };
            commands::state::run_with_config(command, &context, &config)
        }
        Command::Schedule { command } => commands::schedule::run(command, &config, state, output),
        Command::Drift(args) => {
            let location = commands::scan::state_location(state, &config)?;
            commands::drift::run(args, &location, output)
        }
        Command::Rules { command } => commands::rules::run(command, output),
        Command::Generate { command } => plumb::generate::run(command),
        Command::VerifyPolicy(args) => commands::verify_policy::run(args, &config, output),
    }
}

/// `-q`/`-v` set the level; without them `PLUMB_LOG` may (flags beat the environment).
fn init_logging(quiet: bool, verbose: u8, color: bool) {
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, 2) => "debug",
        (false, _) => "trace",
    };
    let from_flags = || tracing_subscriber::EnvFilter::new(format!("plumb={level}"));
    let filter = if quiet || verbose > 0 {
        from_flags()
    } else {
        tracing_subscriber::EnvFilter::try_from_env("PLUMB_LOG").unwrap_or_else(|_| from_flags())
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(color && std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false);
    // From -vv on, each line carries the time since start, to show where a scan spends it.
    if verbose >= 2 {
        builder
            .with_timer(tracing_subscriber::fmt::time::uptime())
            .init();
    } else {
        builder.without_time().init();
    }
}
