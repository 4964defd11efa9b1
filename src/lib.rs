//! plumb: agentless compliance scanning of Linux hosts.

pub mod canonical;
pub mod commands;
pub mod exit;
pub mod store;
