//! plumb: agentless compliance scanning of Linux hosts.
//!
//! Rules ask for facts; an executor gathers every fact a host needs in one go; evaluation is a
//! pure function of (rule, facts); results are stored write-on-change.

pub mod canonical;
pub mod cli;
pub mod commands;
pub mod config;
pub mod eval;
pub mod exit;
pub mod fleet;
pub mod generate;
pub mod inventory;
pub mod policy;
pub mod probe;
pub mod report;
pub mod rules;
pub mod store;
pub mod time;
