//! plumb: agentless compliance scanning of Linux hosts.
//!
//! Rules ask for facts; an executor gathers every fact a host needs in one go; evaluation is a
//! pure function of (rule, facts); results are stored write-on-change.

// Data reaches stdout only through `output::print`, which treats a closed pipe as success.
#![deny(clippy::print_stdout)]

pub mod bounded_read;
pub mod canonical;
pub mod cli;
pub mod commands;
pub mod config;
pub mod defaults;
pub mod drift;
pub mod error;
pub mod eval;
pub mod exit;
pub mod fleet;
pub mod generate;
pub mod inventory;
pub mod output;
pub mod policy;
pub mod probe;
pub mod report;
pub mod rules;
pub mod scan;
pub mod schedule_key;
pub mod score;
pub mod store;
pub mod tier;
pub mod time;
pub mod waivers;
pub mod yaml_bounds;

pub use error::Error;
