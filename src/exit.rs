//! Process exit codes (DESIGN §8). Which failure earns which code is decided in one place,
//! [`crate::error::Error::code`].

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
