//! A real OpenSSH server on 127.0.0.1 for tests and benchmarks.
//!
//! Each `TestSshd` owns a temp dir with a generated host key and client key, an
//! authorized_keys file, a known_hosts file holding the host key, and a client ssh_config
//! that names the server by an alias. The ssh client reads ~/.ssh/config from the passwd
//! home, not $HOME, so tests pass [`TestSshd::ssh_config`] (or [`write_client_config`])
//! explicitly.
#![allow(dead_code)]

use std::fs;
use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

const SSHD: &str = "/usr/sbin/sshd";
/// How long a starting sshd may take to print its banner before the start counts as failed.
const READY_LIMIT: Duration = Duration::from_secs(20);
const START_ATTEMPTS: usize = 5;

static NEXT_ALIAS: AtomicUsize = AtomicUsize::new(1);

#[derive(Debug, Clone, Default)]
pub struct SshdOptions {
    /// A shell snippet run instead of the client's command (sshd `ForceCommand`), for
    /// simulating hosts that misbehave. `$SSH_ORIGINAL_COMMAND` holds what the client asked.
    pub force_command: Option<String>,
    /// Count every exec in a file (see [`TestSshd::exec_count`]), then run the client's
    /// command (or `force_command`).
    pub count_execs: bool,
    /// Give sessions an empty HOME (sshd `SetEnv`), so the account's shell rc files do not
    /// run: bash sources ~/.bashrc for every ssh exec, and a heavy one would dominate timings.
    pub empty_home: bool,
}

pub struct TestSshd {
    dir: tempfile::TempDir,
    child: Option<Child>,
    options: SshdOptions,
    pub port: u16,
    pub alias: String,
    pub user: String,
}

impl TestSshd {
    /// Starts a server on a free port and waits until it sends its SSH banner.
    pub fn start(options: SshdOptions) -> Result<TestSshd> {
        fs::create_dir_all("/run/sshd").context("creating /run/sshd")?;
        let dir = tempfile::Builder::new()
            .prefix("plumb-sshd-")
            .tempdir()
            .context("creating the sshd temp dir")?;
        let alias = format!("plumbtest{}", NEXT_ALIAS.fetch_add(1, Ordering::Relaxed));
        let mut server = TestSshd {
            dir,
            child: None,
            options,
            port: 0,
            alias,
            user: current_user()?,
        };
        keygen(&server.client_key())?;
        fs::copy(
            server.client_key().with_extension("pub"),
            server.path("authorized_keys"),
        )
        .context("writing authorized_keys")?;
        server.new_host_key()?;
        server.write_wrapper()?;
        let mut last_error = None;
        for _ in 0..START_ATTEMPTS {
            // Another test may grab the port between our probe and sshd's bind; try again.
            let port = free_port()?;
            match server.launch(port) {
                Ok(()) => {
                    server.write_client_files()?;
                    return Ok(server);
                }
                Err(err) => last_error = Some(err),
            }
        }
        Err(last_error.unwrap_or_else(|| anyhow::anyhow!("sshd did not start")))
    }

    /// Starts `count` servers in parallel.
    pub fn start_many(count: usize, options: SshdOptions) -> Result<Vec<TestSshd>> {
        thread::scope(|scope| {
            let handles: Vec<_> = (0..count)
                .map(|_| {
                    let options = options.clone();
                    scope.spawn(move || TestSshd::start(options))
                })
                .collect();
            handles
                .into_iter()
                .map(|handle| match handle.join() {
                    Ok(result) => result,
                    Err(_) => bail!("a thread starting sshd panicked"),
                })
                .collect()
        })
    }

    /// Stops the server and starts it again on the same port with a freshly generated host
    /// key, as a reinstalled (or impersonated) host would look. The harness's own
    /// known_hosts file is updated to the new key.
    pub fn restart_with_new_host_key(&mut self) -> Result<()> {
        self.stop();
        self.new_host_key()?;
        let port = self.port;
        let mut attempt = 0;
        loop {
            match self.launch(port) {
                Ok(()) => break,
                Err(err) if attempt >= START_ATTEMPTS => return Err(err),
                Err(_) => {
                    attempt += 1;
                    thread::sleep(Duration::from_millis(200));
                }
            }
        }
        self.write_client_files()
    }

    /// `host:port` for this server.
    pub fn destination(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// A client ssh_config naming this server by [`TestSshd::alias`].
    pub fn ssh_config(&self) -> PathBuf {
        self.path("ssh_config")
    }

    /// The client's private key (authorized on this server).
    pub fn client_key(&self) -> PathBuf {
        self.path("client_key")
    }

    /// A known_hosts file holding this server's current host key.
    pub fn known_hosts(&self) -> PathBuf {
        self.path("known_hosts")
    }

    /// The host's public key, `ssh-ed25519 AAAA…`.
    pub fn host_public_key(&self) -> Result<String> {
        let text = fs::read_to_string(self.path("host_key.pub")).context("reading host_key.pub")?;
        Ok(text
            .split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" "))
    }

    /// Execs counted so far (needs `count_execs`).
    pub fn exec_count(&self) -> usize {
        fs::read_to_string(self.path("exec-count"))
            .map(|text| text.lines().count())
            .unwrap_or(0)
    }

    /// The server's log (LogLevel VERBOSE).
    pub fn log(&self) -> String {
        fs::read_to_string(self.path("sshd.log")).unwrap_or_default()
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The `Host` block for this server in a client ssh_config.
    pub fn config_block(&self) -> String {
        format!(
            "Host {alias}\n  HostName 127.0.0.1\n  Port {port}\n  User {user}\n  \
             IdentityFile {key}\n  IdentitiesOnly yes\n  UserKnownHostsFile {known}\n  \
             StrictHostKeyChecking yes\n  BatchMode yes\n",
            alias = self.alias,
            port = self.port,
            user = self.user,
            key = self.client_key().display(),
            known = self.known_hosts().display(),
        )
    }

    /// Starts an OpenSSH master for this server on `socket` (`ssh -M -f -N`), as benchmarks'
    /// baselines use or a crashed plumb leaves behind; idle, it lingers for `persist`
    /// (`ControlPersist`). Stop it with [`stop_master`].
    pub fn start_master(&self, socket: &Path, persist: &str) -> Result<()> {
        let status = Command::new("ssh")
            .arg("-F")
            .arg(self.ssh_config())
            .args(["-M", "-f", "-N", "-o"])
            .arg(format!("ControlPersist={persist}"))
            .arg("-S")
            .arg(socket)
            .arg(&self.alias)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .context("running ssh")?;
        if !status.success() {
            bail!("starting a master for {} exited {status}", self.alias);
        }
        Ok(())
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn new_host_key(&self) -> Result<()> {
        let key = self.path("host_key");
        let _ = fs::remove_file(&key);
        let _ = fs::remove_file(key.with_extension("pub"));
        keygen(&key)
    }

    fn write_wrapper(&self) -> Result<()> {
        let mut body = String::from("#!/bin/sh\n");
        if self.options.count_execs {
            body.push_str(&format!(
                "echo exec >> '{}'\n",
                self.path("exec-count").display()
            ));
        }
        match &self.options.force_command {
            Some(command) => body.push_str(&format!("{command}\n")),
            None => body.push_str("exec /bin/sh -c \"$SSH_ORIGINAL_COMMAND\"\n"),
        }
        fs::write(self.path("force-command.sh"), body).context("writing the ForceCommand")
    }

    fn launch(&mut self, port: u16) -> Result<()> {
        let dir = self.dir.path().display().to_string();
        let mut config = format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {dir}/host_key\nPidFile {dir}/sshd.pid\n\
             AuthorizedKeysFile {dir}/authorized_keys\nStrictModes no\nUsePAM no\n\
             PubkeyAuthentication yes\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n\
             PermitRootLogin prohibit-password\nLogLevel VERBOSE\nMaxStartups 200\nMaxSessions 100\n"
        );
        if self.options.count_execs || self.options.force_command.is_some() {
            config.push_str(&format!("ForceCommand /bin/sh {dir}/force-command.sh\n"));
        }
        if self.options.empty_home {
            fs::create_dir_all(self.path("home")).context("creating the empty home")?;
            config.push_str(&format!("SetEnv HOME={dir}/home\n"));
        }
        fs::write(self.path("sshd_config"), config).context("writing sshd_config")?;
        // Only log lines from this launch count as proof that it is listening.
        let log_start = self.log().len();
        let child = Command::new(SSHD)
            .arg("-D")
            .arg("-e")
            .arg("-f")
            .arg(self.path("sshd_config"))
            .arg("-E")
            .arg(self.path("sshd.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {SSHD}"))?;
        self.child = Some(child);
        self.port = port;
        match self.wait_ready(log_start) {
            Ok(()) => Ok(()),
            Err(err) => {
                self.stop();
                Err(err.context(format!("sshd on port {port}; log:\n{}", self.log())))
            }
        }
    }

    /// Ready means: this sshd logged that it listens on the port (a banner alone could come
    /// from another server that won a race for the same port), and it answers with a banner.
    fn wait_ready(&mut self, log_start: usize) -> Result<()> {
        let started = Instant::now();
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let listening = format!("Server listening on 127.0.0.1 port {}.", self.port);
        loop {
            if let Some(child) = self.child.as_mut()
                && let Some(status) = child.try_wait()?
            {
                bail!("sshd exited early with {status}");
            }
            let ours = self
                .log()
                .get(log_start..)
                .is_some_and(|new| new.contains(&listening));
            if ours && let Ok(stream) = TcpStream::connect_timeout(&address, Duration::from_secs(2))
            {
                stream.set_read_timeout(Some(Duration::from_secs(5)))?;
                let mut banner = String::new();
                if BufReader::new(stream).read_line(&mut banner).is_ok()
                    && banner.starts_with("SSH-2.0-")
                {
                    return Ok(());
                }
            }
            if started.elapsed() > READY_LIMIT {
                bail!("sshd did not start listening within {READY_LIMIT:?}");
            }
            thread::sleep(Duration::from_millis(10));
        }
    }

    fn write_client_files(&self) -> Result<()> {
        let known = format!("[127.0.0.1]:{} {}\n", self.port, self.host_public_key()?);
        fs::write(self.known_hosts(), known).context("writing known_hosts")?;
        fs::write(self.ssh_config(), self.config_block()).context("writing ssh_config")
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for TestSshd {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Stops the master listening on `socket` (`ssh -O exit`); best effort.
pub fn stop_master(socket: &Path) {
    let _ = Command::new("ssh")
        .args(["-F", "/dev/null", "-S"])
        .arg(socket)
        .args(["-O", "exit", "master"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Writes one client ssh_config naming every server by its alias.
pub fn write_client_config(servers: &[TestSshd], path: &Path) -> Result<()> {
    let text: String = servers.iter().map(TestSshd::config_block).collect();
    fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

/// Pids of processes whose command line contains `marker` (to check nothing was left
/// running on the "remote" host, which is this machine).
pub fn processes_matching(marker: &str) -> Vec<u32> {
    let me = std::process::id();
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| *pid != me)
        .filter(|pid| {
            fs::read(format!("/proc/{pid}/cmdline"))
                .map(|raw| {
                    let text = String::from_utf8_lossy(&raw).replace('\0', " ");
                    text.contains(marker)
                })
                .unwrap_or(false)
        })
        .collect()
}

fn keygen(path: &Path) -> Result<()> {
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "plumb-test", "-f"])
        .arg(path)
        .stdin(Stdio::null())
        .status()
        .context("running ssh-keygen")?;
    if !status.success() {
        bail!("ssh-keygen failed for {}: {status}", path.display());
    }
    Ok(())
}

fn free_port() -> Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}

fn current_user() -> Result<String> {
    let output = Command::new("id")
        .arg("-un")
        .output()
        .context("running id -un")?;
    let name = String::from_utf8(output.stdout).context("user name is not UTF-8")?;
    let name = name.trim();
    if name.is_empty() {
        bail!("id -un printed nothing");
    }
    Ok(name.to_owned())
}
