//! Test support shared by the integration tests.
#![allow(dead_code)]

pub mod backends;
pub mod fixtures;
pub mod postgres;
pub mod sshd;
pub mod tools;

use std::io::Read;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

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
        "PLUMB_SCHEDULE_KEY_FILE",
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
        "PLUMB_RULE_CACHE",
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("rule-cache"),
    );
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

/// Runs `cmd` to completion with stdout and stderr captured, or kills it and fails the test
/// once `deadline` has passed, so a regression that hangs fails instead of stalling CI.
pub fn run_bounded(cmd: &mut Command, deadline: Duration) -> Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting the command");
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            bytes
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("stdout is piped")));
    let stderr = drain(Box::new(child.stderr.take().expect("stderr is piped")));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for the command") {
            break status;
        }
        if started.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{cmd:?} did not finish within {deadline:?}: killed");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Output {
        status,
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
    }
}

/// The host named `name` in a JSON scan report.
pub fn report_host<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["hosts"]
        .as_array()
        .expect("hosts array")
        .iter()
        .find(|h| h["host"] == name)
        .unwrap_or_else(|| panic!("{name} is not in the report: {report}"))
}

/// `plumb state ARGS --state S --format json`, which must exit 0; its JSON.
pub fn state_json(state: &std::path::Path, args: &[&str]) -> serde_json::Value {
    let out = run(plumb()
        .arg("state")
        .args(args)
        .arg("--state")
        .arg(state)
        .args(["--format", "json"]));
    assert_eq!(
        out.status.code(),
        Some(0),
        "state {args:?}: {}",
        stderr(&out)
    );
    json(&out)
}

/// Makes `cmd` run with at most `bytes` of address space, so a regression that allocates
/// without bound fails the test instead of exhausting the machine.
pub fn limit_address_space(cmd: &mut Command, bytes: u64) -> &mut Command {
    use std::os::unix::process::CommandExt;
    // SAFETY: setrlimit is async-signal-safe, and nothing else runs between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            let limit = libc::rlimit {
                rlim_cur: bytes,
                rlim_max: bytes,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        })
    }
}

/// A process's exit code, -1 when a signal ended it.
pub fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

/// Polls `done` every 10 ms; fails the test after 60 s, naming `what`.
pub fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "gave up on {what}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}
