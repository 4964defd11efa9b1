//! Gathering facts from hosts.

pub mod ssh;
