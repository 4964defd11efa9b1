//! The ssh transport against real sshd servers on 127.0.0.1.

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use plumb::probe::ssh::{
    HostKeyPolicy, SshError, SshOptions, SshTarget, SshTransport, cleanup_stale_control_dirs_in,
};
use support::sshd::{SshdOptions, TestSshd, processes_matching, write_client_config};

/// Options that reach `server` by its alias through the harness's ssh_config.
fn options_for(server: &TestSshd) -> SshOptions {
    SshOptions {
        config_file: Some(server.ssh_config()),
        connect_timeout: Duration::from_secs(10),
        probe_timeout: Duration::from_secs(60),
        ..SshOptions::default()
    }
}

fn target(destination: &str, options: SshOptions) -> Result<SshTarget> {
    SshTarget::new(destination, options).context("building the target")
}

/// Waits (bounded) until no process carries `marker`; returns those still there.
fn wait_until_gone(marker: &str) -> Vec<u32> {
    let started = Instant::now();
    loop {
        let left = processes_matching(marker);
        if left.is_empty() || started.elapsed() > Duration::from_secs(30) {
            return left;
        }
        thread::sleep(Duration::from_millis(100));
    }
}

fn kill_all(pids: &[u32]) {
    for pid in pids {
        let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
    }
}

#[tokio::test]
async fn script_output_comes_back_byte_exact() -> Result<()> {
    let server = TestSshd::start(SshdOptions::default())?;
    let transport = SshTransport::new()?;
    let target = target(&server.alias, options_for(&server))?;

    // Every byte value, through printf octal escapes.
    let mut script = String::from("printf '");
    for byte in 0u8..=255 {
        script.push_str(&format!("\\{byte:03o}"));
    }
    script.push_str("'\n");
    let output = transport.run_script(&target, script.as_bytes()).await?;
    let expected: Vec<u8> = (0u8..=255).collect();
    assert_eq!(output.stdout, expected);
    assert_eq!(output.exit_code, Some(0));

    // 5 MiB of a known pattern.
    let line = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-+\n";
    let size = 5 * 1024 * 1024;
    let script = format!(
        "yes '{}' | head -c {size}\n",
        String::from_utf8_lossy(&line[..line.len() - 1])
    );
    let output = transport.run_script(&target, script.as_bytes()).await?;
    let expected: Vec<u8> = line.iter().copied().cycle().take(size).collect();
    assert_eq!(output.stdout.len(), size);
    assert!(output.stdout == expected, "5 MiB output differs");

    // Masters are stopped after each run: nothing is left in the control directory.
    let leftovers: Vec<PathBuf> = fs::read_dir(transport.control_dir())?
        .flatten()
        .map(|entry| entry.path())
        .collect();
    assert!(leftovers.is_empty(), "left in control dir: {leftovers:?}");
    // A clean run stops its master with a stop-listening request; the master then exits
    // by itself, without `ssh -O exit`.
    let masters = wait_until_gone(&transport.control_dir().display().to_string());
    kill_all(&masters);
    assert!(masters.is_empty(), "ssh masters still running: {masters:?}");
    Ok(())
}

#[tokio::test]
async fn one_exec_per_run_however_many_commands() -> Result<()> {
    let server = TestSshd::start(SshdOptions {
        count_execs: true,
        ..SshdOptions::default()
    })?;
    let transport = SshTransport::new()?;
    let target = target(&server.alias, options_for(&server))?;
    let script = "cat /etc/hostname >/dev/null\n".repeat(200) + "echo done\n";

    let output = transport.run_script(&target, script.as_bytes()).await?;
    assert_eq!(output.stdout, b"done\n");
    assert_eq!(server.exec_count(), 1);

    transport.run_script(&target, script.as_bytes()).await?;
    assert_eq!(server.exec_count(), 2);
    Ok(())
}

#[tokio::test]
async fn host_key_policies() -> Result<()> {
    let mut server = TestSshd::start(SshdOptions::default())?;
    let transport = SshTransport::new()?;
    let scratch = tempfile::tempdir()?;
    let known_hosts = scratch.path().join("known_hosts");
    fs::write(&known_hosts, "")?;
    let with_policy = |policy| SshOptions {
        known_hosts: Some(known_hosts.clone()),
        host_key_policy: policy,
        ..options_for(&server)
    };

    // Strict, key unknown: refused, with advice.
    let strict = target(&server.alias, with_policy(HostKeyPolicy::Strict))?;
    match transport.run_script(&strict, b"true\n").await {
        Err(err @ SshError::HostKeyUnknown { .. }) => {
            let message = err.to_string();
            assert!(message.contains("ssh-keyscan"), "{message}");
            assert!(message.contains("accept-new"), "{message}");
        }
        other => bail!("expected HostKeyUnknown, got {other:?}"),
    }

    // accept-new: trusted on first use and recorded.
    let accept_new = target(&server.alias, with_policy(HostKeyPolicy::AcceptNew))?;
    let output = transport.run_script(&accept_new, b"echo hi\n").await?;
    assert_eq!(output.stdout, b"hi\n");
    let recorded = fs::read_to_string(&known_hosts)?;
    let key = server.host_public_key()?;
    assert!(
        recorded.contains(&key),
        "known_hosts lacks {key}: {recorded}"
    );
    // Now strict works too.
    transport.run_script(&strict, b"true\n").await?;

    // Same host and port, new key: refused under both policies.
    let old_key = key;
    server.restart_with_new_host_key()?;
    assert_ne!(server.host_public_key()?, old_key);
    for probe in [&accept_new, &strict] {
        match transport.run_script(probe, b"echo should-not-run\n").await {
            Err(err @ SshError::HostKeyChanged { .. }) => {
                let message = err.to_string();
                assert!(message.contains("ssh-keygen"), "{message}");
                if let SshError::HostKeyChanged {
                    known_hosts: file,
                    line,
                    ..
                } = &err
                {
                    assert_eq!(file.as_deref(), Some(known_hosts.as_path()));
                    assert_eq!(*line, Some(1));
                }
            }
            other => bail!("expected HostKeyChanged, got {other:?}"),
        }
    }
    assert_eq!(
        fs::read_to_string(&known_hosts)?,
        recorded,
        "file untouched"
    );
    Ok(())
}

#[tokio::test]
async fn refused_connection_is_unreachable() -> Result<()> {
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let transport = SshTransport::new()?;
    let options = SshOptions {
        config_file: Some(PathBuf::from("/dev/null")),
        ..SshOptions::default()
    };
    let target = target(&format!("127.0.0.1:{port}"), options)?;
    match transport.run_script(&target, b"true\n").await {
        Err(SshError::Unreachable { detail, .. }) => {
            assert!(detail.contains("Connection refused"), "{detail}");
        }
        other => bail!("expected Unreachable, got {other:?}"),
    }
    Ok(())
}

#[tokio::test]
async fn a_silent_server_is_a_connect_timeout() -> Result<()> {
    // Accepts TCP but never sends the SSH banner.
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    // Detached: it holds the connection open until ssh gives up, then ends by itself.
    let _holder = thread::spawn(move || {
        if let Ok((stream, _)) = listener.accept() {
            thread::sleep(Duration::from_secs(15));
            drop(stream);
        }
    });
    let transport = SshTransport::new()?;
    let options = SshOptions {
        config_file: Some(PathBuf::from("/dev/null")),
        connect_timeout: Duration::from_secs(1),
        ..SshOptions::default()
    };
    let target = target(&format!("127.0.0.1:{port}"), options)?;
    let result = transport.run_script(&target, b"true\n").await;
    match result {
        Err(SshError::ConnectTimeout { timeout, .. }) => {
            assert_eq!(timeout, Duration::from_secs(1));
            Ok(())
        }
        other => bail!("expected ConnectTimeout, got {other:?}"),
    }
}

#[tokio::test]
async fn probe_timeout_ends_the_remote_process() -> Result<()> {
    let server = TestSshd::start(SshdOptions {
        count_execs: true,
        ..SshdOptions::default()
    })?;
    let transport = SshTransport::new()?;
    let options = SshOptions {
        probe_timeout: Duration::from_secs(2),
        ..options_for(&server)
    };
    let target = target(&server.alias, options)?;
    let marker = "7777.125";
    match transport
        .run_script(
            &target,
            format!("echo started\nsleep {marker}\necho late\n").as_bytes(),
        )
        .await
    {
        Err(SshError::ProbeTimeout { timeout, .. }) => {
            assert_eq!(timeout, Duration::from_secs(2));
        }
        other => bail!("expected ProbeTimeout, got {other:?}"),
    }
    let left = wait_until_gone(marker);
    kill_all(&left);
    assert!(left.is_empty(), "remote sleep still running: {left:?}");
    Ok(())
}

#[tokio::test]
async fn a_forced_command_that_hangs_still_times_out() -> Result<()> {
    // The host ignores the requested command (ForceCommand) and hangs. plumb gives up at its
    // own deadline; sshd refuses signals to forced commands, so the process is the host's.
    let marker = "8888.375";
    let server = TestSshd::start(SshdOptions {
        force_command: Some(format!("exec sleep {marker}")),
        ..SshdOptions::default()
    })?;
    let transport = SshTransport::new()?;
    let options = SshOptions {
        probe_timeout: Duration::from_secs(1),
        ..options_for(&server)
    };
    let target = target(&server.alias, options)?;
    let result = transport.run_script(&target, b"echo hi\n").await;
    kill_all(&processes_matching(marker));
    match result {
        Err(SshError::ProbeTimeout { .. }) => Ok(()),
        other => bail!("expected ProbeTimeout, got {other:?}"),
    }
}

/// This process's peak resident memory, in KiB.
fn peak_rss_kib() -> Result<u64> {
    let status = fs::read_to_string("/proc/self/status")?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmHWM in /proc/self/status")
}

#[tokio::test]
async fn output_over_the_cap_is_refused_and_the_producer_ends() -> Result<()> {
    let server = TestSshd::start(SshdOptions::default())?;
    let transport = SshTransport::new()?;
    let cap = 1024 * 1024;
    let options = SshOptions {
        max_output: cap,
        ..options_for(&server)
    };
    let target = target(&server.alias, options)?;

    // An endless stream: only stopping at the cap lets this return at all.
    let marker = "plumb-overflow-4242";
    match transport
        .run_script(&target, format!("yes {marker}\n").as_bytes())
        .await
    {
        Err(SshError::OutputTooLarge { limit, .. }) => assert_eq!(limit, cap),
        other => bail!("expected OutputTooLarge, got {other:?}"),
    }
    let left = wait_until_gone(marker);
    kill_all(&left);
    assert!(left.is_empty(), "remote producer still running: {left:?}");

    // 512 MiB offered: reading it all would raise this process's peak memory by that much.
    let before = peak_rss_kib()?;
    let script = "yes 0123456789abcdef0123456789abcdef | head -c 536870912\n";
    match transport.run_script(&target, script.as_bytes()).await {
        Err(SshError::OutputTooLarge { .. }) => {}
        other => bail!("expected OutputTooLarge, got {other:?}"),
    }
    let grown_mib = peak_rss_kib()?.saturating_sub(before) / 1024;
    assert!(grown_mib < 128, "peak memory grew by {grown_mib} MiB");
    Ok(())
}

#[tokio::test]
async fn non_zero_exit_keeps_output_and_stderr() -> Result<()> {
    let server = TestSshd::start(SshdOptions::default())?;
    let transport = SshTransport::new()?;
    let target = target(&server.alias, options_for(&server))?;
    let script = b"echo partial\necho 'disk on fire' >&2\nexit 3\necho never\n";
    match transport.run_script(&target, script).await {
        Err(err @ SshError::RemoteExit { .. }) => {
            let message = err.to_string();
            assert!(message.contains("status 3"), "{message}");
            assert!(message.contains("disk on fire"), "{message}");
            if let SshError::RemoteExit { output, .. } = err {
                assert_eq!(output.stdout, b"partial\n");
                assert_eq!(output.exit_code, Some(3));
                assert!(output.stderr_tail.contains("disk on fire"));
            }
        }
        other => bail!("expected RemoteExit, got {other:?}"),
    }
    // Killed by a signal: no exit code.
    match transport.run_script(&target, b"echo a\nkill -9 $$\n").await {
        Err(SshError::RemoteExit { output, .. }) => {
            assert_eq!(output.stdout, b"a\n");
            assert_ne!(output.exit_code, Some(0));
        }
        other => bail!("expected RemoteExit, got {other:?}"),
    }
    Ok(())
}

fn sudo_installed() -> bool {
    Command::new("sh")
        .args(["-c", "command -v sudo"])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

#[tokio::test]
async fn sudo_failure_is_reported_clearly() -> Result<()> {
    let server = TestSshd::start(SshdOptions::default())?;
    let transport = SshTransport::new()?;
    let options = SshOptions {
        sudo: true,
        ..options_for(&server)
    };
    let target = target(&server.alias, options)?;
    let result = transport.run_script(&target, b"id -u\n").await;
    if sudo_installed() {
        // The test user is root, for whom `sudo -n` needs no password: elevation works.
        // (A user without NOPASSWD would need an account on this machine; not created here.)
        let output = result?;
        assert_eq!(output.stdout, b"0\n");
    } else {
        match result {
            Err(SshError::SudoFailed { reason, .. }) => {
                assert!(reason.contains("not installed"), "{reason}");
            }
            other => bail!("expected SudoFailed, got {other:?}"),
        }
    }
    Ok(())
}

#[tokio::test]
async fn ssh_options_and_aliases() -> Result<()> {
    let server = TestSshd::start(SshdOptions::default())?;
    let transport = SshTransport::new()?;

    // No config at all: everything through -o and the target's fields.
    let options = SshOptions {
        config_file: Some(PathBuf::from("/dev/null")),
        identity: Some(server.client_key()),
        known_hosts: Some(server.known_hosts()),
        user: Some(server.user.clone()),
        ssh_options: vec![format!("Port={}", server.port), "Compression=yes".into()],
        ..SshOptions::default()
    };
    let plain = target("127.0.0.1", options)?;
    let output = transport.run_script(&plain, b"echo via-o\n").await?;
    assert_eq!(output.stdout, b"via-o\n");

    // -o wins over the alias's ssh_config: a wrong port makes the alias unreachable.
    let dead_port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let overridden = target(
        &server.alias,
        SshOptions {
            ssh_options: vec![format!("Port {dead_port}")],
            ..options_for(&server)
        },
    )?;
    match transport.run_script(&overridden, b"true\n").await {
        Err(SshError::Unreachable { .. }) => {}
        other => bail!("expected Unreachable, got {other:?}"),
    }

    // An -o that ssh does not know is a configuration error.
    let bogus = target(
        &server.alias,
        SshOptions {
            ssh_options: vec!["NoSuchOption=1".into()],
            ..options_for(&server)
        },
    )?;
    match transport.run_script(&bogus, b"true\n").await {
        Err(err @ SshError::Config { .. }) => assert!(err.is_usage_error()),
        other => bail!("expected Config, got {other:?}"),
    }

    // Options plumb owns cannot be overridden.
    let refused = SshTarget::new(
        &server.alias,
        SshOptions {
            ssh_options: vec!["StrictHostKeyChecking=no".into()],
            ..options_for(&server)
        },
    );
    assert!(matches!(refused, Err(SshError::InvalidTarget { .. })));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_servers_in_parallel() -> Result<()> {
    let servers = TestSshd::start_many(
        20,
        SshdOptions {
            count_execs: true,
            ..SshdOptions::default()
        },
    )?;
    let scratch = tempfile::tempdir()?;
    let config = scratch.path().join("ssh_config");
    write_client_config(&servers, &config)?;
    let transport = SshTransport::new()?;
    let mut tasks = tokio::task::JoinSet::new();
    for server in &servers {
        let transport = transport.clone();
        let alias = server.alias.clone();
        let options = SshOptions {
            config_file: Some(config.clone()),
            ..options_for(server)
        };
        tasks.spawn(async move {
            let target = SshTarget::new(&alias, options)?;
            let script = format!("echo {alias}\n");
            let output = transport.run_script(&target, script.as_bytes()).await?;
            Ok::<_, SshError>((alias, output.stdout))
        });
    }
    let mut done = 0;
    while let Some(joined) = tasks.join_next().await {
        let (alias, stdout) = joined??;
        assert_eq!(stdout, format!("{alias}\n").into_bytes());
        done += 1;
    }
    assert_eq!(done, 20);
    for server in &servers {
        assert_eq!(server.exec_count(), 1, "{}", server.alias);
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_stops_masters_mid_probe() -> Result<()> {
    let server = TestSshd::start(SshdOptions::default())?;
    let transport = SshTransport::new()?;
    let control_dir = transport.control_dir().to_path_buf();
    let target = target(&server.alias, options_for(&server))?;
    let running = {
        let transport = transport.clone();
        tokio::spawn(async move { transport.run_script(&target, b"sleep 6543.5\n").await })
    };
    // Wait (bounded) for the master's socket to appear.
    let started = Instant::now();
    while !has_socket(&control_dir) {
        if started.elapsed() > Duration::from_secs(20) {
            bail!("no master socket appeared in {}", control_dir.display());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    transport.shutdown();
    match running.await? {
        Err(SshError::Interrupted { .. }) => {}
        other => bail!("expected Interrupted, got {other:?}"),
    }
    assert!(!control_dir.exists(), "control dir removed");
    let masters = wait_until_gone(&control_dir.display().to_string());
    kill_all(&masters);
    assert!(masters.is_empty(), "ssh masters still running: {masters:?}");
    kill_all(&processes_matching("6543.5"));
    Ok(())
}

fn has_socket(dir: &Path) -> bool {
    fs::read_dir(dir).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| e.path().extension().is_some_and(|ext| ext == "sock"))
    })
}

#[test]
fn stale_control_dirs_are_cleaned_and_their_masters_stopped() -> Result<()> {
    let server = TestSshd::start(SshdOptions::default())?;
    let base = tempfile::tempdir()?;
    // A control dir left by a plumb that died: its pid cannot exist (above pid_max).
    let stale = base.path().join("plumb-ssh-4194999-crashed");
    fs::create_dir(&stale)?;
    let socket = stale.join("1.sock");
    server
        .start_master(&socket, "yes")
        .context("starting a master by hand")?;
    assert!(!processes_matching(&socket.display().to_string()).is_empty());

    let removed = cleanup_stale_control_dirs_in(base.path())?;
    assert_eq!(removed, vec![stale.clone()]);
    assert!(!stale.exists());
    let left = wait_until_gone(&socket.display().to_string());
    kill_all(&left);
    assert!(left.is_empty(), "stale master still running: {left:?}");
    Ok(())
}

#[tokio::test]
async fn proxy_jump_from_ssh_config() -> Result<()> {
    let servers = TestSshd::start_many(
        2,
        SshdOptions {
            count_execs: true,
            ..SshdOptions::default()
        },
    )?;
    let (Some(bastion), Some(inner)) = (servers.first(), servers.get(1)) else {
        bail!("two servers expected");
    };
    let scratch = tempfile::tempdir()?;
    let config = scratch.path().join("ssh_config");
    let text = format!(
        "{}{}Host behind-bastion\n  HostName 127.0.0.1\n  Port {}\n  User {}\n  \
         IdentityFile {}\n  UserKnownHostsFile {}\n  ProxyJump {}\n",
        bastion.config_block(),
        inner.config_block(),
        inner.port,
        inner.user,
        inner.client_key().display(),
        inner.known_hosts().display(),
        bastion.alias,
    );
    fs::write(&config, text)?;
    let transport = SshTransport::new()?;
    let options = SshOptions {
        config_file: Some(config),
        ..options_for(inner)
    };
    let target = target("behind-bastion", options)?;
    let output = transport
        .run_script(&target, b"echo $SSH_CONNECTION\n")
        .await?;
    assert!(!output.stdout.is_empty());
    // The exec ran on the inner host; the bastion only forwarded (no exec there).
    assert_eq!(inner.exec_count(), 1);
    assert_eq!(bastion.exec_count(), 0);
    // ...but the connection did go through it.
    assert!(
        bastion.log().contains("Accepted publickey"),
        "bastion log: {}",
        bastion.log()
    );
    Ok(())
}
