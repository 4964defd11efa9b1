//! One module per subcommand. Each returns the process exit code.

pub mod scan;
pub mod state;
pub mod verify_policy;

use crate::cli::{ColorChoice, GlobalArgs};
use crate::report::Format;
use std::io::IsTerminal;

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
