//! A throwaway PostgreSQL cluster for tests: `initdb` into a temporary directory as `nobody`
//! (PostgreSQL refuses to run as root, and the tests run as root), a free port on 127.0.0.1,
//! a wait until it accepts logins, and a fast shutdown when the guard drops.
//!
//! A server that cannot start fails the test, as a missing sshd or chromium does elsewhere,
//! so no run passes on nothing.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The cluster's superuser and its password (scram-sha-256 over TCP).
pub const USER: &str = "plumb";
pub const PASSWORD: &str = "pg-test-Secret-7";

/// How long a cluster may take to accept logins before the harness gives up.
const READY_WITHIN: Duration = Duration::from_secs(60);

pub struct PgServer {
    child: Child,
    pub port: u16,
    /// The CA that signed the server's certificate, when it serves TLS.
    pub ca: Option<PathBuf>,
    /// `ssl=on` or `ssl=off`, to start the cluster again as it was.
    ssl: &'static str,
    dir: tempfile::TempDir,
}

impl PgServer {
    /// Starts a cluster; a cluster that cannot start fails `test`.
    pub fn start(test: &str) -> PgServer {
        Self::start_with(test, false)
    }

    /// A cluster that serves TLS with a certificate for 127.0.0.1 from a fresh test CA.
    pub fn start_tls(test: &str) -> PgServer {
        Self::start_with(test, true)
    }

    fn start_with(test: &str, tls: bool) -> PgServer {
        Self::try_start(tls)
            .unwrap_or_else(|why| panic!("{test}: the PostgreSQL test server did not start: {why}"))
    }

    fn try_start(tls: bool) -> Result<PgServer, String> {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            return Err("not root, so the cluster cannot be run as nobody".into());
        }
        let bin = bin_dir().ok_or("no initdb found (install Debian's postgresql package)")?;
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        // nobody must reach the directory; the cluster's own files are nobody's, 0700.
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755))
            .map_err(|e| e.to_string())?;
        let data = dir.path().join("data");
        let socket = dir.path().join("socket");
        let pwfile = dir.path().join("pwfile");
        for path in [&data, &socket] {
            fs::create_dir(path).map_err(|e| e.to_string())?;
            chown_nobody(path)?;
        }
        fs::write(&pwfile, PASSWORD).map_err(|e| e.to_string())?;
        fs::set_permissions(&pwfile, fs::Permissions::from_mode(0o644))
            .map_err(|e| e.to_string())?;
        let out = as_nobody(&bin.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args([
                "-U",
                USER,
                "--auth=scram-sha-256",
                "-E",
                "UTF8",
                "--no-sync",
            ])
            .arg(format!("--pwfile={}", pwfile.display()))
            .output()
            .map_err(|e| format!("running initdb: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "initdb failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let ssl = if tls {
            make_certificates(dir.path(), &data)?;
            "ssl=on"
        } else {
            "ssl=off"
        };
        let port = free_port()?;
        let child = launch(dir.path(), port, ssl)?;
        let ca = tls.then(|| dir.path().join("ca.crt"));
        let mut server = PgServer {
            child,
            port,
            ca,
            ssl,
            dir,
        };
        server.wait_ready()?;
        Ok(server)
    }

    /// A URL for this cluster with `password` (or none) and extra query parameters.
    pub fn url(&self, password: Option<&str>, query: &str) -> String {
        let credentials = match password {
            Some(password) => format!("{USER}:{password}"),
            None => USER.to_string(),
        };
        let query = if query.is_empty() {
            String::new()
        } else {
            format!("?{query}")
        };
        format!(
            "postgres://{credentials}@127.0.0.1:{}/postgres{query}",
            self.port
        )
    }

    fn log(&self) -> String {
        fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + READY_WITHIN;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("postgres exited ({status}): {}", self.log()));
            }
            // A login, not just an open port: the server says "starting up" until it is ready.
            let ready = std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok()
                && Command::new(bin_dir().unwrap_or_default().join("pg_isready"))
                    .args(["-q", "-h", "127.0.0.1", "-p", &self.port.to_string()])
                    .status()
                    .is_ok_and(|status| status.success());
            if ready {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!("not ready within {READY_WITHIN:?}: {}", self.log()));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl PgServer {
    /// Stops the server as an operator would (fast shutdown: sessions are ended and their
    /// transactions rolled back); its data stays for [`PgServer::restart`].
    pub fn stop(&mut self) {
        // Already stopped (and reaped): its pid may be another process's by now.
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        // SIGINT is PostgreSQL's fast shutdown: clients are disconnected, nothing waits.
        if let Ok(pid) = i32::try_from(self.child.id()) {
            // SAFETY: the pid is our own child, not yet reaped.
            unsafe { libc::kill(pid, libc::SIGINT) };
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts a stopped server again, on the same data and port.
    pub fn restart(&mut self) {
        self.child = launch(self.dir.path(), self.port, self.ssl)
            .unwrap_or_else(|why| panic!("restarting PostgreSQL: {why}"));
        self.wait_ready()
            .unwrap_or_else(|why| panic!("restarting PostgreSQL: {why}"));
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Runs the cluster in `dir` (made by `try_start`), logging to `dir`/server.log.
fn launch(dir: &Path, port: u16, ssl: &str) -> Result<Child, String> {
    let bin = bin_dir().ok_or("no postgres binary found")?;
    let log = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("server.log"))
        .map_err(|e| e.to_string())?;
    as_nobody(&bin.join("postgres"))
        .arg("-D")
        .arg(dir.join("data"))
        .args(["-p", &port.to_string(), "-h", "127.0.0.1", "-k"])
        .arg(dir.join("socket"))
        .args(["-c", "fsync=off", "-c", ssl])
        .stdin(Stdio::null())
        .stdout(log.try_clone().map_err(|e| e.to_string())?)
        .stderr(log)
        .spawn()
        .map_err(|e| format!("starting postgres: {e}"))
}

/// `PLUMB_PG_BIN`, else the newest /usr/lib/postgresql/N/bin (Debian), else initdb on PATH.
fn bin_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("PLUMB_PG_BIN") {
        return Some(PathBuf::from(dir));
    }
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Some(bin);
    }
    std::env::var_os("PATH")
        .and_then(|path| std::env::split_paths(&path).find(|dir| dir.join("initdb").exists()))
}

/// A CA, and server.crt/server.key (for IP 127.0.0.1) in the data directory, where the
/// server finds them by default; the key is nobody's, 0600, as PostgreSQL demands.
fn make_certificates(dir: &Path, data: &Path) -> Result<(), String> {
    let openssl = |args: &[&str]| -> Result<(), String> {
        let out = Command::new("openssl")
            .current_dir(dir)
            .args(args)
            .output()
            .map_err(|e| format!("running openssl: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let mut ca = vec!["req", "-x509", "-days", "2", "-subj", "/CN=plumb test CA"];
    ca.extend(ec);
    ca.extend(["-keyout", "ca.key", "-out", "ca.crt"]);
    openssl(&ca)?;
    let mut csr = vec!["req", "-subj", "/CN=127.0.0.1"];
    csr.extend(ec);
    csr.extend(["-keyout", "server.key", "-out", "server.csr"]);
    openssl(&csr)?;
    fs::write(dir.join("san.ext"), "subjectAltName=IP:127.0.0.1\n").map_err(|e| e.to_string())?;
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "san.ext",
        "-out",
        "server.crt",
    ])?;
    for name in ["server.crt", "server.key"] {
        let target = data.join(name);
        fs::copy(dir.join(name), &target).map_err(|e| e.to_string())?;
        fs::set_permissions(&target, fs::Permissions::from_mode(0o600))
            .map_err(|e| e.to_string())?;
        chown_nobody(&target)?;
    }
    Ok(())
}

fn as_nobody(program: &Path) -> Command {
    let mut cmd = Command::new("setpriv");
    cmd.args([
        "--reuid=nobody",
        "--regid=nogroup",
        "--clear-groups",
        "--reset-env",
    ])
    .arg(program);
    cmd
}

fn chown_nobody(path: &Path) -> Result<(), String> {
    let out = Command::new("chown")
        .arg("nobody:nogroup")
        .arg(path)
        .output()
        .map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "chown {}: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// A port nothing listens on right now (the kernel's pick, released at once).
pub fn free_port() -> Result<u16, String> {
    std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(|e| format!("finding a free port: {e}"))
}
