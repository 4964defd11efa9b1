//! Starting and stopping one host's ssh master connection.
//!
//! plumb starts the master itself (`ssh -M -f -N`) rather than through
//! `openssh::SessionBuilder`, so it can pass any `-o` on the command line (where ssh gives it
//! precedence over ssh_config, keeping ssh_config semantics for everything else) and kill a
//! connect that hangs. The exec then goes through openssh's native mux client.

use std::fs::{self, File};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use super::control::{ControlDir, Slot, stop_master_blocking};
use super::error::{SshError, classify_connect_failure};
use super::target::SshTarget;

/// A running master; stopped on `close` or, if the caller was cancelled, on drop.
pub(crate) struct Master {
    slot: Slot,
    control: Arc<ControlDir>,
    open: bool,
}

impl Master {
    pub(crate) async fn launch(
        control: &Arc<ControlDir>,
        target: &SshTarget,
    ) -> Result<Master, SshError> {
        let slot = control.slot();
        // From here on, dropping `master` stops whatever got started.
        let master = Master {
            slot,
            control: Arc::clone(control),
            open: true,
        };
        let stderr = File::create(&master.slot.stderr).map_err(|cause| SshError::Local {
            context: format!("creating {}", master.slot.stderr.display()),
            cause,
        })?;
        let mut command = tokio::process::Command::new("ssh");
        command
            .args(target.master_args(&master.slot.socket, &master.slot.log))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            // A file, not a pipe: the backgrounded master must not hold a pipe we wait on.
            .stderr(Stdio::from(stderr))
            .kill_on_drop(true);
        let child = command.spawn().map_err(|cause| SshError::Local {
            context: "running ssh (is the OpenSSH client installed?)".to_owned(),
            cause,
        })?;
        let timeout = target.options.connect_timeout;
        // ssh's ConnectTimeout covers TCP and the banner; this bounds the rest (key exchange,
        // authentication, ProxyJump hops) and kills a stuck ssh.
        let limit = timeout.saturating_mul(2) + Duration::from_secs(1);
        let status = match tokio::time::timeout(limit, child.wait_with_output()).await {
            Err(_) => {
                return Err(SshError::ConnectTimeout {
                    host: target.name.clone(),
                    timeout,
                });
            }
            Ok(Err(cause)) => {
                return Err(SshError::Local {
                    context: "waiting for ssh".to_owned(),
                    cause,
                });
            }
            Ok(Ok(output)) => output.status,
        };
        if !status.success() {
            let mut text = fs::read_to_string(&master.slot.stderr).unwrap_or_default();
            text.push('\n');
            text.push_str(&fs::read_to_string(&master.slot.log).unwrap_or_default());
            return Err(classify_connect_failure(&target.name, &text, timeout));
        }
        if control.is_shut_down() {
            return Err(SshError::Interrupted {
                host: target.name.clone(),
            });
        }
        Ok(master)
    }

    /// A handle for opening sessions over this master.
    pub(crate) fn session(&self) -> openssh::Session {
        openssh::Session::resume_mux(self.slot.socket.clone().into_boxed_path(), None)
    }

    /// Stops the master and forgets its files. After a clean exec, a stop-listening request
    /// over the control socket is enough: the master exits by itself once its last session
    /// has closed, and no ssh process has to start. Otherwise (`sessions_done` false, or the
    /// request failed) `ssh -O exit` ends it with whatever still runs.
    pub(crate) async fn close(mut self, sessions_done: bool) {
        self.open = false;
        let stopped = sessions_done && self.session().close().await.is_ok();
        if !stopped {
            let socket = self.slot.socket.clone();
            // `ssh -O exit` blocks for a few ms; keep it off the async worker threads.
            let _ = tokio::task::spawn_blocking(move || stop_master_blocking(&socket)).await;
        }
        self.control.release(&self.slot);
    }
}

impl Drop for Master {
    fn drop(&mut self) {
        if self.open {
            stop_master_blocking(&self.slot.socket);
            self.control.release(&self.slot);
        }
    }
}
