//! The `plumb` binary: parse, set up logging, dispatch, map errors to exit codes.

use clap::Parser;
use plumb::cli::{Cli, Command};
use plumb::commands::{self, Output};
use plumb::exit;
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
    let result = match &cli.command {
        Command::Scan(args) => commands::scan::run(args, &output),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("plumb: error: {err:#}");
            ExitCode::from(exit::code_for(&err))
        }
    }
}

fn init_logging(quiet: bool, verbose: u8, color: bool) {
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, 2) => "debug",
        (false, _) => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("PLUMB_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("plumb={level}")));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(color && std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .without_time()
        .with_target(false)
        .init();
}
