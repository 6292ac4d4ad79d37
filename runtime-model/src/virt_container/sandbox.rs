//! `virt_container/src/sandbox.rs`: `VirtSandbox`, the pod's VM and its lifecycle.

use std::sync::Arc;

use anyhow::{Context, Result};
use tokio::sync::{mpsc, Mutex, RwLock};
use tracing::{error, info, warn};

use crate::agent::{Agent, CreateSandboxRequest};
use crate::common::types::{ContainerProcess, Pid, TaskEvent, TaskExit};
use crate::common::{ContainerManager, ProcessPort, RuntimePorts};
use crate::hooks::{HookRunner, HookStage};
use crate::hypervisor::{Hypervisor, START_VM_TIMEOUT_MS};
use crate::profile::Profile;
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
    /// Events to containerd (`msg_sender` upstream).
    pub msg_sender: mpsc::Sender<TaskEvent>,
    /// The sandbox's host resources, released by `shutdown`'s cleanup.
    pub resources: Arc<ResourceManager>,
    /// Whether `cleanup` has run (main's `inner.cleaned`; read only with
    /// `profile.cleanup_once`).
    cleaned: Mutex<bool>,
    profile: Profile,
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
        msg_sender: mpsc::Sender<TaskEvent>,
        ports: &RuntimePorts,
        profile: Profile,
    ) -> VirtSandbox {
        VirtSandbox {
            sid: sid.to_string(),
            state: RwLock::new(SandboxState::Init),
            agent,
            hypervisor,
            hooks,
            msg_sender,
            resources: ports.resources.clone(),
            cleaned: Mutex::new(false),
            profile,
            process: ports.process.clone(),
            monitor: profile.health_monitor.then(HealthCheck::default),
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

    /// `VirtSandbox::stop` (3.24.0 `sandbox.rs:814-825`): under the sandbox's write lock,
    /// unless Stopped, stop the VM and mark the sandbox Stopped. With
    /// `profile.sandbox_stop_unlocked`, main's stop instead.
    pub async fn stop(&self) -> Result<()> {
        if self.profile.sandbox_stop_unlocked {
            return self.stop_unlocked().await;
        }
        let mut state = self.state.write().await;
        if *state != SandboxState::Stopped {
            self.hypervisor.stop_vm().await.context("stop vm")?;
            *state = SandboxState::Stopped;
            info!(sid = %self.sid, "sandbox stopped");
        }
        Ok(())
    }

    /// main's stop (3.32.0, PR #12957 commit 2b980b3a34 and PR #12293 commit 3095bd379b;
    /// main `sandbox.rs:1318-1345`): read the state and let the lock go; unless Stopped,
    /// stop the VM (from Init: ignore its error and record the stop), then wait for the
    /// VM's exit, which records Stopped. Two stops can both reach the VM. The OOM watcher
    /// its cancel token stops is not modelled (D3).
    async fn stop_unlocked(&self) -> Result<()> {
        let state = *self.state.read().await;
        if state == SandboxState::Stopped {
            return Ok(());
        }
        if state == SandboxState::Init {
            let _ = self.hypervisor.stop_vm().await;
            *self.state.write().await = SandboxState::Stopped;
            info!(sid = %self.sid, "sandbox stopped during Init");
            return Ok(());
        }
        self.hypervisor.stop_vm().await.context("stop vm")?;
        self.hypervisor
            .wait_vm()
            .await
            .context("wait for vm exit after stop")?;
        *self.state.write().await = SandboxState::Stopped;
        info!(sid = %self.sid, "sandbox stopped");
        Ok(())
    }

    /// `VirtSandbox::cleanup` (3.24.0 `sandbox.rs:849-864`): delete the hypervisor, then
    /// release the resources. With `profile.cleanup_once`, main's flag makes a second
    /// cleanup a no-op (main `sandbox.rs:1369-1378`: Wait on the sandbox container and
    /// Shutdown both clean up).
    pub async fn cleanup(&self) -> Result<()> {
        if self.profile.cleanup_once {
            let mut cleaned = self.cleaned.lock().await;
            if *cleaned {
                return Ok(());
            }
            *cleaned = true;
        }
        self.hypervisor
            .cleanup()
            .await
            .context("delete hypervisor")?;
        self.resources.cleanup();
        Ok(())
    }

    /// `VirtSandbox::shutdown` (3.24.0 `sandbox.rs:827-847`): stop, cleanup, stop the
    /// monitor, agent stop.
    pub async fn shutdown(&self) -> Result<()> {
        self.stop().await.context("stop")?;
        self.cleanup().await.context("do the clean up")?;
        if let Some(monitor) = &self.monitor {
            monitor.stop().await;
        }
        self.agent.stop().await;
        Ok(())
    }

    /// main's `rescan_network` before a container's start (3.30.0, PR #12899, commit
    /// 19bb8746f8; main `sandbox.rs:1416-1428`, `netns_rescan_config` 933-958): the VMM
    /// pid names the netns, then a netlink probe finds no new interface. The model has no
    /// network: the VMM pid is read through the port and the probe is one yield, with no
    /// lock held. An error is only logged by the caller.
    pub async fn rescan_network(&self) -> Result<()> {
        self.hypervisor.get_vmm_master_tid().await?;
        tokio::task::yield_now().await;
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
        // 3.24.0 `sandbox.rs:875-877`: a failed stop ends the waiter with its error (the
        // spawner logs it), so no TaskExit is published.
        if cm.is_sandbox_container(&process).await {
            if let Err(e) = self.stop().await.context("stop sandbox") {
                error!(sid = %self.sid, "sandbox wait process error: {:?}", e);
                return;
            }
        }
        let event = TaskExit {
            container_id: container_id.clone(),
            id: container_id,
            pid,
            exit_status: exit_status.exit_code,
            exited_at: exit_status.exit_time,
        };
        if self.msg_sender.send(TaskEvent::Exit(event)).await.is_err() {
            error!(sid = %self.sid, "failed to send TaskExit: event channel closed");
        }
    }
}
