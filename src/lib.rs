//! plumb: agentless compliance scanning of Linux hosts.

pub mod exit;
pub mod probe;
