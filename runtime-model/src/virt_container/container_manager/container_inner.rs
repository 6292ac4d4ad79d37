//! `virt_container/src/container_manager/container_inner.rs`: the state behind a
//! container's `inner` lock.

use std::sync::Arc;

use anyhow::{anyhow, Context, Result};
use tracing::{info, warn};

use super::Process;
use crate::agent::{
    Agent, ContainerID, ContainerProcessID, RemoveContainerRequest, SignalProcessRequest,
};
use crate::common::types::{ContainerProcess, ProcessStatus, ProcessType};
use crate::common::Error;
use crate::resource::ResourceManager;

/// SIGKILL, as the agent expects it.
pub const SIGKILL: u32 = 9;
/// SIGTERM.
pub const SIGTERM: u32 = 15;

pub struct ContainerInner {
    pub agent: Arc<dyn Agent>,
    pub init_process: Process,
    pub exec_processes: Vec<Process>,
    /// The sandbox's resource manager, which holds this container's rootfs and volumes.
    pub resources: Arc<ResourceManager>,
}

impl ContainerInner {
    pub fn new(
        agent: Arc<dyn Agent>,
        init_process: Process,
        resources: Arc<ResourceManager>,
    ) -> ContainerInner {
        ContainerInner {
            agent,
            init_process,
            exec_processes: Vec::new(),
            resources,
        }
    }

    fn container_id(&self) -> &str {
        &self.init_process.process.container_id
    }

    /// `check_state`: the init process must be in one of `states`.
    pub async fn check_state(&self, states: &[ProcessStatus]) -> Result<()> {
        let state = self.init_process.get_status().await;
        if states.contains(&state) {
            return Ok(());
        }
        Err(anyhow!(
            "failed to check state {:?} for {:?}",
            state,
            states
        ))
    }

    /// `start_container`: init must be Created or Stopped; agent start; status Running.
    pub async fn start_container(&mut self, cid: &str) -> Result<()> {
        self.check_state(&[ProcessStatus::Created, ProcessStatus::Stopped])
            .await
            .context("check state")?;
        self.agent
            .start_container(ContainerID {
                container_id: cid.to_string(),
            })
            .await
            .context("agent start container")?;
        self.init_process.set_status(ProcessStatus::Running).await;
        Ok(())
    }

    fn find_process(&self, process: &ContainerProcess) -> Result<&Process> {
        match process.process_type {
            ProcessType::Container => Ok(&self.init_process),
            ProcessType::Exec => self
                .exec_processes
                .iter()
                .find(|p| p.process.exec_id == process.exec_id)
                .ok_or_else(|| {
                    anyhow!(
                        "failed to find cid {} eid {}",
                        process.container_id,
                        process.exec_id
                    )
                }),
        }
    }

    pub async fn state_process(
        &self,
        process: &ContainerProcess,
    ) -> Result<crate::common::types::ProcessStateInfo> {
        Ok(self.find_process(process)?.state().await)
    }

    /// `signal_process`: if the INIT process is Stopped, succeed (also for exec targets);
    /// `all` targets the init process; otherwise ask the agent.
    pub async fn signal_process(
        &self,
        process: &ContainerProcess,
        signal: u32,
        all: bool,
    ) -> Result<()> {
        if self.init_process.get_status().await == ProcessStatus::Stopped {
            return Ok(());
        }
        let exec_id = if all {
            String::new()
        } else {
            process.exec_id.clone()
        };
        self.agent
            .signal_process(SignalProcessRequest {
                process_id: ContainerProcessID {
                    container_id: ContainerID {
                        container_id: process.container_id.clone(),
                    },
                    exec_id,
                },
                signal,
            })
            .await
    }

    /// `stop_process`: if init is already Stopped, Ok; init must be Running (any status
    /// with `any_status`, the Go profile's stop); SIGKILL (errors ignored); for the init
    /// process, `cleanup_container`.
    pub async fn stop_process(
        &mut self,
        process: &ContainerProcess,
        any_status: bool,
    ) -> Result<()> {
        if self.init_process.get_status().await == ProcessStatus::Stopped {
            return Ok(());
        }
        if process.process_type == ProcessType::Container && !any_status {
            self.check_state(&[ProcessStatus::Running])
                .await
                .context("check state")?;
        }
        if let Err(e) = self.signal_process(process, SIGKILL, false).await {
            warn!(container_id = %process.container_id, "failed to signal process {:?}", e);
        }
        if process.process_type == ProcessType::Container {
            let cid = self.container_id().to_string();
            // stop_process cleans up with force (`container_inner.rs:250` at 3.24.0).
            self.cleanup_container(&cid, true).await?;
        }
        Ok(())
    }

    /// `cleanup_container`: agent remove_container (with `force`, a failure is only
    /// warned: `stop container: agent remove container failed`), init status := Stopped,
    /// clean volumes, clean rootfs (`container_inner.rs:180-222` at 3.24.0).
    pub async fn cleanup_container(&mut self, cid: &str, force: bool) -> Result<()> {
        let removed = self
            .agent
            .remove_container(RemoveContainerRequest {
                container_id: cid.to_string(),
                timeout: 0,
            })
            .await;
        match removed {
            Ok(()) => {}
            Err(e) if force => {
                warn!(container_id = %cid, "stop container: agent remove container failed: {}", e);
            }
            Err(e) => return Err(e.context("agent remove container")),
        }
        self.init_process.set_status(ProcessStatus::Stopped).await;
        self.resources.umount(cid);
        info!(container_id = %cid, "cleaned up container");
        Ok(())
    }

    /// Removes an exec process (`delete_exec_process`).
    pub fn delete_exec_process(&mut self, eid: &str) -> Result<()> {
        let before = self.exec_processes.len();
        self.exec_processes.retain(|p| p.process.exec_id != eid);
        if self.exec_processes.len() == before {
            return Err(Error::ProcessNotFound(eid.to_string()).into());
        }
        Ok(())
    }
}
