//! Shared test helpers. `sshd.rs` is also used by `benches/ssh.rs`.
#![allow(dead_code)]

pub mod sshd;
