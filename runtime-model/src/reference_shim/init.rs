//! `pkg/process/init.go` and `init_state.go` (containerd 1.7.34): a container's init
//! process and its state machine. Every operation takes the process mutex `p.mu` for
//! its whole length (runc calls included), so a State waits for a Delete's runc delete.
//!
//! runc and the kernel are stood in for by the `Agent` port: `runc start` is the agent's
//! start_container, `runc delete` its remove_container, `runc kill` its signal_process,
//! `runc pause`/`resume` its pause/resume_container, and the reaper's exit is the
//! agent's wait_process.

use std::sync::Arc;
use std::time::SystemTime;

use anyhow::{anyhow, Result};
use tokio::sync::Mutex;

use super::errdefs::not_found;
use crate::agent::{
    Agent, ContainerID, ContainerProcessID, RemoveContainerRequest, SignalProcessRequest,
};
use crate::common::types::{Pid, ProcessStatus};
use crate::resource::ResourceManager;
use crate::sync::watch;

/// The states of `init_state.go`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InitState {
    Created,
    Running,
    Paused,
    Stopped,
    Deleted,
}

struct Guarded {
    state: InitState,
    /// `p.status`: the exit code, 0 until the exit.
    exit_status: i32,
    /// `p.exited`: Go's zero time until the exit, sent as a zero timestamp (here None,
    /// which containerd reads the same way: no exit time).
    exited_at: Option<SystemTime>,
}

/// `process.Init`.
pub struct Init {
    pub id: String,
    pub pid: Pid,
    mu: Mutex<Guarded>,
    /// `p.waitBlock`, closed (here: set) by `setExited`.
    wait_block: watch::Sender<bool>,
    agent: Arc<dyn Agent>,
    resources: Arc<ResourceManager>,
}

impl Init {
    /// A created init process (`runc create` has succeeded).
    pub fn new(id: &str, pid: Pid, agent: Arc<dyn Agent>, resources: Arc<ResourceManager>) -> Init {
        Init {
            id: id.to_string(),
            pid,
            mu: Mutex::new(Guarded {
                state: InitState::Created,
                exit_status: 0,
                exited_at: None,
            }),
            wait_block: watch::channel(false).0,
            agent,
            resources,
        }
    }

    /// `Init.Status`: a deleted process reports "stopped".
    pub async fn status(&self) -> ProcessStatus {
        match self.mu.lock().await.state {
            InitState::Created => ProcessStatus::Created,
            InitState::Running => ProcessStatus::Running,
            InitState::Paused => ProcessStatus::Paused,
            InitState::Stopped | InitState::Deleted => ProcessStatus::Stopped,
        }
    }

    /// `Init.ExitStatus` (its own acquisition of `p.mu`).
    pub async fn exit_status(&self) -> i32 {
        self.mu.lock().await.exit_status
    }

    /// `Init.ExitedAt` (its own acquisition of `p.mu`).
    pub async fn exited_at(&self) -> Option<SystemTime> {
        self.mu.lock().await.exited_at
    }

    fn cid(&self) -> ContainerID {
        ContainerID {
            container_id: self.id.clone(),
        }
    }

    /// `Init.Start`: only a created process starts (`runc start`).
    pub async fn start(&self) -> Result<()> {
        let mut g = self.mu.lock().await;
        match g.state {
            InitState::Created => {
                self.agent
                    .start_container(self.cid())
                    .await
                    .map_err(|e| anyhow!("OCI runtime start failed: {e:#}"))?;
                g.state = InitState::Running;
                Ok(())
            }
            InitState::Running => Err(anyhow!("cannot start a running process")),
            InitState::Paused => Err(anyhow!("cannot start a paused process")),
            InitState::Stopped => Err(anyhow!("cannot start a stopped process")),
            InitState::Deleted => Err(anyhow!("cannot start a deleted process")),
        }
    }

    /// `Init.Delete`: a created or stopped process is deleted (`runc delete`, an error
    /// saying "does not exist" ignored, then the rootfs unmounted); a running or paused
    /// one is refused with an untyped error; a deleted one is NotFound.
    pub async fn delete(&self) -> Result<()> {
        let mut g = self.mu.lock().await;
        match g.state {
            InitState::Created | InitState::Stopped => {
                let removed = self
                    .agent
                    .remove_container(RemoveContainerRequest {
                        container_id: self.id.clone(),
                        timeout: 0,
                    })
                    .await;
                let err = match removed {
                    Err(e) if !format!("{e:#}").contains("does not exist") => {
                        Some(anyhow!("failed to delete task: {e:#}"))
                    }
                    _ => None,
                };
                self.resources.umount(&self.id);
                match err {
                    Some(e) => Err(e),
                    None => {
                        g.state = InitState::Deleted;
                        Ok(())
                    }
                }
            }
            InitState::Running => Err(anyhow!("cannot delete a running process")),
            InitState::Paused => Err(anyhow!("cannot delete a paused process")),
            InitState::Deleted => Err(not_found("cannot delete a deleted process")),
        }
    }

    /// `Init.Kill`: a deleted process is NotFound; a stopped one is refused by runc
    /// ("container not running"), which `checkKillError` makes NotFound `process already
    /// finished`; otherwise `runc kill` (the agent's signal).
    /// (`runc kill --all` signals the same single guest process here.)
    pub async fn kill(&self, signal: u32) -> Result<()> {
        let g = self.mu.lock().await;
        match g.state {
            InitState::Deleted => Err(not_found("cannot kill a deleted process")),
            InitState::Stopped => Err(check_kill_error("container not running")),
            InitState::Created | InitState::Running | InitState::Paused => {
                let req = SignalProcessRequest {
                    process_id: ContainerProcessID {
                        container_id: self.cid(),
                        exec_id: String::new(),
                    },
                    signal,
                };
                self.agent
                    .signal_process(req)
                    .await
                    .map_err(|e| check_kill_error(&format!("{e:#}")))
            }
        }
    }

    /// `Init.Pause`: only a running process pauses.
    pub async fn pause(&self) -> Result<()> {
        let mut g = self.mu.lock().await;
        match g.state {
            InitState::Running => {
                self.agent
                    .pause_container(self.cid())
                    .await
                    .map_err(|e| anyhow!("OCI runtime pause failed: {e:#}"))?;
                g.state = InitState::Paused;
                Ok(())
            }
            InitState::Created => Err(anyhow!("cannot pause task in created state")),
            InitState::Paused => Err(anyhow!("cannot pause a paused container")),
            InitState::Stopped => Err(anyhow!("cannot pause a stopped container")),
            InitState::Deleted => Err(anyhow!("cannot pause a deleted process")),
        }
    }

    /// `Init.Resume`: only a paused process resumes.
    pub async fn resume(&self) -> Result<()> {
        let mut g = self.mu.lock().await;
        match g.state {
            InitState::Paused => {
                self.agent
                    .resume_container(self.cid())
                    .await
                    .map_err(|e| anyhow!("OCI runtime resume failed: {e:#}"))?;
                g.state = InitState::Running;
                Ok(())
            }
            InitState::Created => Err(anyhow!("cannot resume task in created state")),
            InitState::Running => Err(anyhow!("cannot resume a running process")),
            InitState::Stopped => Err(anyhow!("cannot resume a stopped container")),
            InitState::Deleted => Err(anyhow!("cannot resume a deleted process")),
        }
    }

    /// `Init.SetExited`: a created, running or paused process records the exit code and
    /// time, releases its waiters and is stopped; a stopped or deleted one is unchanged.
    /// (From paused runc also resumes the frozen cgroup; the guest process has already
    /// ended, so the model makes no call.)
    pub async fn set_exited(&self, status: i32) {
        let mut g = self.mu.lock().await;
        if matches!(
            g.state,
            InitState::Created | InitState::Running | InitState::Paused
        ) {
            g.exited_at = Some(SystemTime::now());
            g.exit_status = status;
            self.wait_block.send_replace(true);
            g.state = InitState::Stopped;
        }
    }

    /// `Init.Wait`: blocks until `setExited` (never, for a process deleted before it
    /// exited).
    pub async fn wait(&self) {
        let _ = self.wait_block.subscribe().wait_for(|exited| *exited).await;
    }
}

/// `checkKillError` (`pkg/process/utils.go`, lines 130-143): ESRCH, "container not
/// running" or "no such process" -> NotFound `process already finished`; "does not
/// exist" -> NotFound `no such container`; anything else untyped `unknown error after
/// kill`.
fn check_kill_error(text: &str) -> anyhow::Error {
    if text.contains("process already finished")
        || text.contains("container not running")
        || text.to_lowercase().contains("no such process")
        || text.contains("ESRCH")
    {
        not_found("process already finished")
    } else if text.contains("does not exist") {
        not_found("no such container")
    } else {
        anyhow!("unknown error after kill: {text}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference_shim::errdefs::to_grpc;
    use containerd_shim_protos::ttrpc::Code;

    #[test]
    fn kill_errors_map_as_check_kill_error_does() {
        let s = to_grpc(&check_kill_error("process c1 not found: ESRCH"));
        assert_eq!(
            (s.code(), s.message.as_str()),
            (Code::NOT_FOUND, "process already finished: not found")
        );
        let s = to_grpc(&check_kill_error("connection closed"));
        assert_eq!(
            (s.code(), s.message.as_str()),
            (Code::UNKNOWN, "unknown error after kill: connection closed")
        );
    }
}
