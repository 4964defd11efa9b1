//! Test support shared by the integration tests.
#![allow(dead_code)]

pub mod fixtures;
pub mod sshd;
pub mod tools;

use std::process::{Command, Output};

/// `plumb` with no configuration leaking in from the caller's environment or home.
pub fn plumb() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_plumb"));
    for var in [
        "PLUMB_STATE",
        "PLUMB_FORMAT",
        "PLUMB_RULES",
        "PLUMB_FAIL_ON",
        "PLUMB_COLOR",
        "PLUMB_CONFIG",
        "PLUMB_POLICY",
        "PLUMB_ALLOWED_SIGNERS",
        "PLUMB_REVOCATION_LIST",
        "PLUMB_INVENTORY",
        "PLUMB_SSH_CONFIG",
        "PLUMB_LOG",
        "NO_COLOR",
        "CI",
    ] {
        cmd.env_remove(var);
    }
    // No user config file, and never the developer's own state file: defaults go under target/.
    cmd.env("XDG_CONFIG_HOME", "/nonexistent/plumb-test-config");
    cmd.env(
        "XDG_STATE_HOME",
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("state-home"),
    );
    cmd
}

pub fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("running plumb")
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|err| {
        panic!(
            "stdout is not JSON ({err}): {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            stderr(output)
        )
    })
}
