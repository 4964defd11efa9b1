//! Process exit codes (DESIGN §8) and the error type that carries one.
//!
//! Errors are `anyhow` chains at the edges; a module marks the class of a failure by wrapping it
//! in [`Coded`], and `main` maps the chain to a code with [`code_for`].

use std::fmt;

/// Ran, and nothing at or above the `--fail-on` severity failed.
pub const CLEAN: u8 = 0;
/// Ran, and found failures or regressions.
pub const FINDINGS: u8 = 1;
/// Usage, configuration, rule or policy error.
pub const USAGE: u8 = 2;
/// Operational error: unreachable host, state file locked or corrupt, I/O failure.
pub const OPERATIONAL: u8 = 3;

/// The exit-code table as shown in `plumb --help` and the man page.
pub const HELP_TEXT: &str = "Exit codes:
  0  clean: nothing at or above --fail-on failed
  1  findings: failures at or above --fail-on (or regressions)
  2  usage, configuration, rule or policy error
  3  operational error: unreachable host, state file locked or corrupt, I/O";

/// An error whose exit code is known where it was raised.
#[derive(Debug)]
pub struct Coded {
    pub code: u8,
    pub error: anyhow::Error,
}

impl fmt::Display for Coded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The alternate form prints the whole context chain on one line.
        write!(f, "{:#}", self.error)
    }
}

impl std::error::Error for Coded {}

/// Marks an error as a usage, configuration, rule or policy error (exit 2).
pub fn usage(error: impl Into<anyhow::Error>) -> anyhow::Error {
    anyhow::Error::new(Coded {
        code: USAGE,
        error: error.into(),
    })
}

/// Marks an error as operational (exit 3). Unmarked errors are operational too; this exists
/// so a caller can state it.
pub fn operational(error: impl Into<anyhow::Error>) -> anyhow::Error {
    anyhow::Error::new(Coded {
        code: OPERATIONAL,
        error: error.into(),
    })
}

/// The exit code for an error chain: the outermost [`Coded`] wins; anything unmarked is an
/// operational error.
pub fn code_for(error: &anyhow::Error) -> u8 {
    error
        .chain()
        .find_map(|cause| cause.downcast_ref::<Coded>())
        .map_or(OPERATIONAL, |coded| coded.code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn marked_errors_keep_their_code_through_context() {
        let err = Err::<(), _>(usage(anyhow::anyhow!("bad flag")))
            .context("while parsing")
            .unwrap_err();
        assert_eq!(code_for(&err), USAGE);
        assert_eq!(code_for(&anyhow::anyhow!("disk full")), OPERATIONAL);
    }
}
