//! Test support shared by the integration tests.
#![allow(dead_code)]

pub mod fixtures;
pub mod sshd;

use std::process::{Command, Output};

pub fn plumb() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_plumb"));
    // Keep tests independent of the caller's environment.
    for var in [
        "PLUMB_STATE",
        "PLUMB_FORMAT",
        "PLUMB_RULES",
        "PLUMB_FAIL_ON",
        "PLUMB_COLOR",
        "NO_COLOR",
    ] {
        cmd.env_remove(var);
    }
    // Never touch the developer's own state file: default state goes under target/.
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
