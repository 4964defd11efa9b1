//! The SSH transport: run one script on one host with exactly one exec, return its stdout.
//!
//! It knows nothing about rules or facts. Per call: start a master connection with the
//! system `ssh` (so ssh_config, ProxyJump, ssh-agent and certificates behave as they do for
//! the operator), open one exec channel over it with openssh's native mux client running
//! `sh -s` (optionally under `sudo -n`), write the script to stdin, read stdout under a cap,
//! then stop the master.
//!
//! ```no_run
//! # async fn demo() -> Result<(), plumb::probe::ssh::SshError> {
//! use plumb::probe::ssh::{SshOptions, SshTarget, SshTransport};
//! let transport = SshTransport::new()?;
//! let target = SshTarget::new("ops@web1:2222", SshOptions::default())?;
//! let output = transport.run_script(&target, b"cat /etc/hostname\n").await?;
//! # let _ = output; Ok(()) }
//! ```
//!
//! At start, a caller removes what crashed runs left with [`cleanup_stale_control_dirs`]; on
//! Ctrl-C it calls [`SshTransport::shutdown`] (e.g. from a task awaiting
//! `tokio::signal::ctrl_c()`), which stops every master still open.

mod control;
mod error;
mod exec;
mod master;
mod target;

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

pub use control::{
    ControlDir, cleanup_stale_control_dirs, cleanup_stale_control_dirs_in, default_control_base,
};
pub use error::SshError;
pub use exec::{ProbeOutput, ProbeTimings, STDERR_TAIL};
pub use target::{Destination, HostKeyPolicy, SshOptions, SshTarget};

use master::Master;

/// Runs scripts on hosts. Cheap to clone; clones share one control directory. Many
/// `run_script` calls may run at once on one tokio runtime (bound them in the caller).
///
/// Call [`SshTransport::shutdown`] from a Ctrl-C handler: it stops every master still open and
/// removes the control directory; in-flight calls then fail with [`SshError::Interrupted`] or
/// a session error. Dropping the last clone does the same.
#[derive(Debug, Clone)]
pub struct SshTransport {
    control: Arc<ControlDir>,
}

impl SshTransport {
    /// A transport with its control directory under [`default_control_base`].
    pub fn new() -> Result<SshTransport, SshError> {
        SshTransport::with_control_base(&default_control_base())
    }

    /// A transport with its control directory under `base`.
    pub fn with_control_base(base: &Path) -> Result<SshTransport, SshError> {
        Ok(SshTransport {
            control: Arc::new(ControlDir::create_in(base)?),
        })
    }

    /// The `plumb-ssh-<pid>-<random>` directory holding the control sockets.
    pub fn control_dir(&self) -> &Path {
        self.control.path()
    }

    /// Runs `script` on the target with exactly one exec of `sh -s` (or `sudo -n sh -s`),
    /// script on stdin. Succeeds only when the script exits 0; a non-zero exit is
    /// [`SshError::RemoteExit`], which keeps the output.
    pub async fn run_script(
        &self,
        target: &SshTarget,
        script: &[u8],
    ) -> Result<ProbeOutput, SshError> {
        let interrupted = || SshError::Interrupted {
            host: target.name.clone(),
        };
        if self.control.is_shut_down() {
            return Err(interrupted());
        }
        match self.connect_and_run(target, script).await {
            Ok(output) if output.exit_code == Some(0) => Ok(output),
            // Whatever broke during a shutdown broke because of it, also a probe killed with
            // its master (no exit code).
            _ if self.control.is_shut_down() => Err(interrupted()),
            Ok(output) => Err(SshError::RemoteExit {
                host: target.name.clone(),
                output: Box::new(output),
            }),
            Err(err) => Err(err),
        }
    }

    async fn connect_and_run(
        &self,
        target: &SshTarget,
        script: &[u8],
    ) -> Result<ProbeOutput, SshError> {
        let started = Instant::now();
        let master = Master::launch(&self.control, target).await?;
        let connect = started.elapsed();
        tracing::debug!(host = target.name, ?connect, "ssh master up");
        let result = exec::run(&master.session(), target, script).await;
        tracing::debug!(host = target.name, exec = ?started.elapsed() - connect, "probe exec done");
        master.close(result.is_ok()).await;
        let (stdout, exit_code, stderr_tail, exec) = result?;
        Ok(ProbeOutput {
            stdout,
            exit_code,
            stderr_tail,
            timings: ProbeTimings { connect, exec },
        })
    }

    /// Stops every open master and removes the control directory. Blocking and idempotent;
    /// later `run_script` calls fail with [`SshError::Interrupted`].
    pub fn shutdown(&self) {
        self.control.shutdown();
    }
}
