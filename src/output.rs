//! The one way a command's data reaches stdout, and the output decisions shared by every
//! command (format, color). A closed pipe (`plumb state hosts | head -1`) is the reader's
//! choice, not an error: the rest of the output is dropped and the command exits as it would
//! have.

use crate::cli::{ColorChoice, GlobalArgs};
use crate::error::Error;
use crate::report::Format;
use serde::Serialize;
use std::io::{IsTerminal, Write};

/// Output decisions shared by every subcommand.
#[derive(Clone, Copy, Debug)]
pub struct Output {
    pub format: Format,
    pub color: bool,
    pub quiet: bool,
    /// stderr is a terminal: progress displays may be shown.
    pub interactive: bool,
}

impl Output {
    pub fn from_args(global: &GlobalArgs) -> Self {
        let stdout_tty = std::io::stdout().is_terminal();
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let color = match global.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => stdout_tty && !no_color,
        };
        let format = global.format.unwrap_or(if stdout_tty {
            Format::Table
        } else {
            Format::Json
        });
        Self {
            format,
            color,
            quiet: global.quiet,
            interactive: std::io::stderr().is_terminal() && !global.quiet,
        }
    }
}

/// Writes `text` to stdout and flushes it; a closed pipe is success.
pub fn print(text: &str) -> Result<(), Error> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(Error::Output),
    }
}

/// Prints `value` as pretty JSON and a newline.
pub fn print_json<T: Serialize + ?Sized>(value: &T) -> Result<(), Error> {
    let text = serde_json::to_string_pretty(value).map_err(Error::Json)?;
    print(&(text + "\n"))
}
