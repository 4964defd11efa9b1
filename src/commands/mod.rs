//! One module per subcommand. Each returns the process exit code.

pub mod drift;
pub mod rules;
pub mod scan;
pub mod schedule;
pub mod state;
pub mod verify_policy;

pub use crate::output::Output;
