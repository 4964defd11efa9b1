//! The one error type of plumb's commands. [`Error::code`] is the only table from a failure
//! to its exit class (DESIGN §8): callers say what went wrong, never which code it earns.
//!
//! Messages: `main` prints an error and its causes on one line with [`Chain`], so no Display
//! here repeats the cause it also exposes as its source.

use crate::exit::{OPERATIONAL, USAGE};
use crate::inventory::InventoryError;
use crate::policy::PolicyInputError;
use crate::probe::ssh::SshError;
use crate::rules::{LoadError, VarsFileError};
use crate::store::StoreError;
use std::fmt;
use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Flags or arguments that cannot be run as given.
    #[error("{0}")]
    Args(String),

    #[error("cannot read the config file {}", .path.display())]
    ConfigRead {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The config file is not valid; `location` is `:LINE:COLUMN` when known.
    #[error("{}{location}: {message}", .path.display())]
    Config {
        path: PathBuf,
        location: String,
        message: String,
    },

    #[error(transparent)]
    Rules(#[from] LoadError),

    /// The policy, its signature, the trusted keys or the revocation list could not be read.
    #[error(transparent)]
    PolicyInput(#[from] PolicyInputError),

    /// The policy was read and is not fit to run.
    #[error(transparent)]
    Waivers(#[from] crate::waivers::WaiversError),

    #[error("refusing policy {}: {reason}", .path.display())]
    PolicyRefused { path: PathBuf, reason: String },

    #[error(
        "rule set {} changed after the policy was verified (pinned {pinned}, read {actual}); not scanning",
        .path.display()
    )]
    PinMismatch {
        path: PathBuf,
        pinned: String,
        actual: String,
    },

    #[error(transparent)]
    Inventory(#[from] InventoryError),

    #[error(transparent)]
    VarsFile(#[from] VarsFileError),

    /// A host that cannot be reached as written.
    #[error("host `{host}`")]
    Target {
        host: String,
        #[source]
        source: Box<SshError>,
    },

    #[error(transparent)]
    Store(#[from] StoreError),

    /// The schedule's job-signing key cannot be used (missing override, not a regular file,
    /// loose mode, wrong length, unreadable). The key itself is never printed.
    #[error("schedule key {}: {problem}", .path.display())]
    ScheduleKey {
        path: PathBuf,
        problem: String,
        #[source]
        source: Option<std::io::Error>,
    },

    /// A local file or directory could not be used; `action` reads "cannot {action} PATH".
    #[error("cannot {action} {}", .path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// Writing the command's data to stdout failed (other than a closed pipe).
    #[error("cannot write to stdout")]
    Output(#[source] std::io::Error),

    #[error("cannot serialise the output as JSON")]
    Json(#[source] serde_json::Error),

    /// A failure of plumb's own machinery without a kind of its own (the async runtime, the
    /// ssh transport's setup, rendering a report): operational.
    #[error(transparent)]
    Operational(anyhow::Error),
}

impl Error {
    /// The exit code of this error: the one place a failure is given its class.
    pub fn code(&self) -> u8 {
        match self {
            Self::Args(_)
            | Self::ConfigRead { .. }
            | Self::Config { .. }
            | Self::PolicyInput(_)
            | Self::PolicyRefused { .. }
            | Self::Waivers(_)
            | Self::PinMismatch { .. } => USAGE,
            // A rule file or inventory refused as given (not a regular file, over its size cap)
            // is the operator's input; one that exists but cannot be read is the machine's.
            Self::Rules(LoadError::Io { source, .. })
            | Self::Inventory(InventoryError::Io { source, .. })
            | Self::VarsFile(VarsFileError::Io { source, .. })
                if crate::bounded_read::is_refusal(source) =>
            {
                USAGE
            }
            Self::Rules(LoadError::Io { .. }) => OPERATIONAL,
            Self::Rules(LoadError::Invalid { .. } | LoadError::Empty(_)) => USAGE,
            Self::Inventory(InventoryError::Io { .. }) => OPERATIONAL,
            Self::Inventory(InventoryError::Invalid { .. }) => USAGE,
            Self::VarsFile(VarsFileError::Io { .. }) => OPERATIONAL,
            Self::VarsFile(VarsFileError::Invalid { .. }) => USAGE,
            Self::Target { source, .. } => match **source {
                SshError::InvalidTarget { .. } | SshError::Config { .. } => USAGE,
                _ => OPERATIONAL,
            },
            // A state path that cannot be used as given is the operator's configuration.
            Self::Store(
                StoreError::Location(_)
                | StoreError::SqliteInternals { .. }
                | StoreError::SqliteOnly { .. }
                | StoreError::CopyRefused { .. }
                | StoreError::UrlAsPath { .. }
                | StoreError::MissingDirectory { .. }
                | StoreError::UnknownHost { .. },
            ) => USAGE,
            // An unknown or outdated batch id is the operator's input.
            Self::Store(StoreError::AckRefused { .. }) => USAGE,
            // Locked, corrupt, of another schema, unreadable or unwritable: the state file
            // stopped the run.
            Self::Store(_) => OPERATIONAL,
            Self::ScheduleKey { .. }
            | Self::Io { .. }
            | Self::Output(_)
            | Self::Json(_)
            | Self::Operational(_) => OPERATIONAL,
        }
    }

    pub fn args(message: impl Into<String>) -> Self {
        Self::Args(message.into())
    }

    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

/// An untyped failure is operational, unless it is one of ours passed through anyhow.
impl From<anyhow::Error> for Error {
    fn from(error: anyhow::Error) -> Self {
        match error.downcast::<Error>() {
            Ok(typed) => typed,
            Err(error) => Self::Operational(error),
        }
    }
}

/// An error and its causes on one line, `error: cause: cause`, as `main` prints it.
pub struct Chain<'a>(pub &'a (dyn std::error::Error + 'static));

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut cause = self.0.source();
        while let Some(next) = cause {
            write!(f, ": {next}")?;
            cause = next.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;

    fn io_error() -> io::Error {
        io::Error::new(io::ErrorKind::NotFound, "gone")
    }

    #[test]
    fn the_kind_inside_decides_where_it_matters() {
        let rules_io = Error::Rules(LoadError::Io {
            path: "r".into(),
            source: io_error(),
        });
        let rules_bad = Error::Rules(LoadError::Empty("r".into()));
        let inventory_io = Error::Inventory(InventoryError::Io {
            path: "i".into(),
            source: io_error(),
        });
        let inventory_bad = Error::Inventory(InventoryError::Invalid {
            location: "i:1".into(),
            message: "bad".into(),
        });
        let locked = Error::Store(StoreError::Locked {
            path: "s".into(),
            waited_secs: 1,
        });
        assert_eq!(rules_io.code(), OPERATIONAL);
        assert_eq!(rules_bad.code(), USAGE);
        assert_eq!(inventory_io.code(), OPERATIONAL);
        assert_eq!(inventory_bad.code(), USAGE);
        assert_eq!(locked.code(), OPERATIONAL);
        assert_eq!(Error::args("bad flag").code(), USAGE);
    }

    #[test]
    fn untyped_errors_are_operational_and_typed_ones_keep_their_class() {
        assert_eq!(Error::from(anyhow::anyhow!("disk")).code(), OPERATIONAL);
        let typed = Error::from(anyhow::Error::new(Error::args("flag")));
        assert!(matches!(typed, Error::Args(_)));
        assert_eq!(typed.code(), USAGE);
    }

    #[test]
    fn the_chain_states_each_cause_once() {
        let err = Error::io("read the directory", "/x", io_error());
        assert_eq!(
            Chain(&err).to_string(),
            "cannot read the directory /x: gone"
        );
    }
}
