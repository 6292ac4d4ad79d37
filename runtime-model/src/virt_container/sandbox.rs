//! `virt_container/src/sandbox.rs`: `VirtSandbox`, the pod's VM and its lifecycle.

use std::sync::Arc;

use anyhow::{Context, Result};
use tokio::sync::{mpsc, RwLock};
use tracing::{error, info, warn};

use crate::agent::{Agent, CreateSandboxRequest};
use crate::common::types::{ContainerProcess, Pid, TaskExit};
use crate::common::{ContainerManager, ProcessPort, RuntimePorts};
use crate::hooks::{HookRunner, HookStage};
use crate::hypervisor::{Hypervisor, START_VM_TIMEOUT_MS};
use crate::resource::ResourceManager;
use crate::virt_container::health_check::HealthCheck;

/// `SandboxState`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SandboxState {
    Init,
    Running,
    Stopped,
}

pub struct VirtSandbox {
    pub sid: String,
    pub state: RwLock<SandboxState>,
    pub agent: Arc<dyn Agent>,
    pub hypervisor: Arc<dyn Hypervisor>,
    pub hooks: Arc<dyn HookRunner>,
    /// TaskExit events to containerd (`msg_sender` upstream).
    pub msg_sender: mpsc::Sender<TaskExit>,
    /// The sandbox's host resources, released by `shutdown`'s cleanup.
    pub resources: Arc<ResourceManager>,
    /// The shim process, which the health monitor ends.
    pub process: Arc<dyn ProcessPort>,
    /// The health monitor, started with the sandbox when the profile has one.
    pub monitor: Option<HealthCheck>,
}

impl VirtSandbox {
    pub fn new(
        sid: &str,
        agent: Arc<dyn Agent>,
        hypervisor: Arc<dyn Hypervisor>,
        hooks: Arc<dyn HookRunner>,
        msg_sender: mpsc::Sender<TaskExit>,
        ports: &RuntimePorts,
        health_monitor: bool,
    ) -> VirtSandbox {
        VirtSandbox {
            sid: sid.to_string(),
            state: RwLock::new(SandboxState::Init),
            agent,
            hypervisor,
            hooks,
            msg_sender,
            resources: ports.resources.clone(),
            process: ports.process.clone(),
            monitor: health_monitor.then(HealthCheck::default),
        }
    }

    /// prepare_vm -> (resources) -> start_vm(10 s) -> hooks -> agent.start(addr) ->
    /// create_sandbox -> Running -> the health monitor, when the profile has one
    /// (`sandbox.rs:735`). (set_policy and the OOM watcher are not modelled.)
    pub async fn start(&self) -> Result<()> {
        let mut state = self.state.write().await;
        if *state != SandboxState::Init {
            warn!(sid = %self.sid, "sandbox is started");
            return Ok(());
        }
        self.hypervisor
            .prepare_vm(&self.sid)
            .await
            .context("prepare vm")?;
        self.hypervisor
            .start_vm(START_VM_TIMEOUT_MS)
            .await
            .context("start vm")?;
        self.hooks
            .run(HookStage::Sandbox, &self.sid)
            .await
            .context("run hooks")?;
        let address = self
            .hypervisor
            .get_agent_socket()
            .await
            .context("get agent socket")?;
        self.agent.start(&address).await.context("start agent")?;
        self.agent
            .create_sandbox(CreateSandboxRequest {
                sandbox_id: self.sid.clone(),
            })
            .await
            .context("create sandbox")?;
        *state = SandboxState::Running;
        if let Some(monitor) = &self.monitor {
            monitor.start(&self.sid, self.agent.clone(), self.process.clone());
        }
        info!(sid = %self.sid, "sandbox started");
        Ok(())
    }

    /// `VirtSandbox::stop`: stop the VM.
    pub async fn stop(&self) -> Result<()> {
        let mut state = self.state.write().await;
        if *state != SandboxState::Running {
            return Ok(());
        }
        self.hypervisor.stop_vm().await.context("stop vm")?;
        *state = SandboxState::Stopped;
        info!(sid = %self.sid, "sandbox stopped");
        Ok(())
    }

    /// `VirtSandbox::shutdown`: stop, cleanup (hypervisor, then the resources), stop the
    /// monitor, agent stop.
    pub async fn shutdown(&self) -> Result<()> {
        self.stop().await.context("stop")?;
        self.hypervisor.cleanup().await.context("cleanup")?;
        self.resources.cleanup();
        if let Some(monitor) = &self.monitor {
            monitor.stop().await;
        }
        self.agent.stop().await;
        Ok(())
    }

    /// `VirtSandbox::wait_process`: wait for the exit, stop the sandbox if this is its
    /// container, then publish TaskExit.
    pub async fn wait_process(
        self: Arc<Self>,
        cm: Arc<dyn ContainerManager>,
        container_id: String,
        pid: Pid,
    ) {
        let process = ContainerProcess::init(&container_id);
        let exit_status = match cm.wait_process(&process).await {
            Ok(s) => s,
            Err(e) => {
                error!(container_id = %container_id, "failed to wait process {:?}", e);
                return;
            }
        };
        if cm.is_sandbox_container(&process).await {
            if let Err(e) = self.stop().await {
                error!(sid = %self.sid, "failed to stop sandbox {:?}", e);
            }
        }
        let event = TaskExit {
            container_id: container_id.clone(),
            id: container_id,
            pid,
            exit_status: exit_status.exit_code,
            exited_at: exit_status.exit_time,
        };
        if self.msg_sender.send(event).await.is_err() {
            error!(sid = %self.sid, "failed to send TaskExit: event channel closed");
        }
    }
}
