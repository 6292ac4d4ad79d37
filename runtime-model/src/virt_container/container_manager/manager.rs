//! `virt_container/src/container_manager/manager.rs`: `VirtContainerManager`.
//!
//! Lock scopes and await points follow 3.24.0 (see `FIDELITY.md`). The container map is a
//! tokio `RwLock`, which is fair and write-preferring: once `delete_process` queues for
//! the write lock, every new State queues behind it.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::{anyhow, Context, Result};
use async_trait::async_trait;
use tokio::sync::{mpsc, Mutex, RwLock};

use crate::common::RuntimePorts;
use crate::resource::ResourceManager;
use tracing::warn;

use super::container::Container;
use super::container_inner::{SIGKILL, SIGTERM};
use super::process::{ExitWatcherContext, Reaper, UNKNOWN_EXIT_STATUS};
use super::ContainerMap;
use crate::agent::Agent;
use crate::common::types::{
    ContainerConfig, ContainerProcess, KillRequest, Pid, ProcessExitStatus, ProcessStateInfo,
    ProcessStatus, ProcessType, ShutdownRequest, TaskEvent,
};
use crate::common::{ContainerManager, Error};
use crate::hooks::{HookRunner, HookStage};
use crate::hypervisor::Hypervisor;
use crate::profile::{
    DeleteOrder, KillRules, LifecycleEvents, MissingContainerState, PidSource, Profile, Waiters,
};
use crate::sync::held::{acquire, waiting, waiting_for_task};

pub struct VirtContainerManager {
    pub sid: String,
    /// The shim's pid, which 3.24.0 answers as every process's pid.
    pub pid: Pid,
    pub containers: ContainerMap,
    pub agent: Arc<dyn Agent>,
    pub hypervisor: Arc<dyn Hypervisor>,
    pub hooks: Arc<dyn HookRunner>,
    /// The sandbox's resource manager, shared with every container.
    pub resources: Arc<ResourceManager>,
    pub profile: Profile,
    /// Go profile only: the one service mutex (`s.mu`).
    pub service_mutex: Option<Arc<Mutex<()>>>,
    /// The runtime's event channel (Go profile: the exit watcher publishes on it).
    pub msg_sender: mpsc::Sender<TaskEvent>,
    /// Go profile only (`lifecycle_events = GoEventSendMu`): `s.eventSendMu`, held by a
    /// Start until its TaskStart is queued and by the exit watcher to queue a TaskExit.
    pub event_send_mu: Arc<Mutex<()>>,
}

impl VirtContainerManager {
    /// A manager for sandbox `sid` of the shim whose ports are `ports`.
    pub fn new(
        sid: &str,
        ports: &RuntimePorts,
        profile: Profile,
        service_mutex: Option<Arc<Mutex<()>>>,
        msg_sender: mpsc::Sender<TaskEvent>,
    ) -> VirtContainerManager {
        VirtContainerManager {
            sid: sid.to_string(),
            pid: ports.shim_pid,
            containers: Arc::new(RwLock::new(HashMap::new())),
            agent: ports.agent.clone(),
            hypervisor: ports.hypervisor.clone(),
            hooks: ports.hooks.clone(),
            resources: ports.resources.clone(),
            profile,
            service_mutex,
            msg_sender,
            event_send_mu: Arc::new(Mutex::new(())),
        }
    }

    fn exit_watcher_context(&self) -> ExitWatcherContext {
        ExitWatcherContext {
            containers: self.containers.clone(),
            agent: self.agent.clone(),
            service_mutex: self.service_mutex.clone(),
            exit_state_atomic: self.profile.exit_state_atomic,
            stop_any_status: self.profile.stop_any_status,
            recovers: self.profile.exit_watcher_recovers,
            reaper: (self.profile.waiters == Waiters::WatcherReaps).then(|| Reaper {
                events: self.msg_sender.clone(),
                event_send_mu: (self.profile.lifecycle_events == LifecycleEvents::GoEventSendMu)
                    .then(|| self.event_send_mu.clone()),
                hypervisor: self.hypervisor.clone(),
                sid: self.sid.clone(),
            }),
        }
    }

    /// Go `start.go:20-25`: a Start that failed on an existing container puts 255 in its
    /// exit channel (waiting while the slot is full), so a Wait returns.
    pub async fn put_exit_of_failed_start(&self, process: &ContainerProcess) {
        let exit_ch = {
            let containers = self.containers.read().await;
            let Some(c) = containers.get(&process.container_id) else {
                return;
            };
            let exit_ch = c.inner.read().await.init_process.exit_ch.clone();
            exit_ch
        };
        waiting(
            exit_ch.put(UNKNOWN_EXIT_STATUS),
            "room in the exit channel of",
            &process.container_id,
        )
        .await;
    }

    /// `connect_container`: the pid Create answered (3.24.0: the shim's, `manager.rs:375-377`;
    /// main: the VMM master tid, PR #12899, commit 3ad2de584f).
    pub async fn connect_container(&self, _process: &ContainerProcess) -> Result<Pid> {
        Ok(match self.profile.pid_source {
            PidSource::ShimPid => self.pid,
            PidSource::VmmMasterTid => self.hypervisor.get_vmm_master_tid().await?,
        })
    }

    /// main's synthetic state for the sandbox id when it is not in the map (PR #12167):
    /// Running, with the VMM's pid.
    async fn sandbox_running_state(&self) -> Result<ProcessStateInfo> {
        let pid = self.hypervisor.get_vmm_master_tid().await?;
        Ok(ProcessStateInfo {
            container_id: self.sid.clone(),
            pid,
            status: ProcessStatus::Running,
            ..ProcessStateInfo::default()
        })
    }

    /// Go `service.go:1085-1110`: look the container up, then take the code from its exit
    /// channel and put it back; the exit time is the container's, whatever it is then.
    async fn wait_on_exit_channel(&self, process: &ContainerProcess) -> Result<ProcessExitStatus> {
        let (exit_ch, exit_status) = {
            let containers = self.containers.read().await;
            let c = containers
                .get(&process.container_id)
                .ok_or_else(|| Error::ContainerNotFound(process.container_id.clone()))?;
            let inner = c.inner.read().await;
            (
                inner.init_process.exit_ch.clone(),
                inner.init_process.exit_status.clone(),
            )
        };
        let exit_code = waiting(
            exit_ch.take_and_put_back(),
            "the exit channel of",
            &process.container_id,
        )
        .await;
        let exit_time = exit_status.read().await.exit_time;
        Ok(ProcessExitStatus {
            exit_code,
            exit_time,
        })
    }

    /// PR #12337's answer for an id that is not in the map.
    fn synthetic_stopped_state(process: &ContainerProcess) -> ProcessStateInfo {
        warn!("Container not found in state query, returning stopped state");
        ProcessStateInfo {
            container_id: process.container_id.clone(),
            exec_id: process.exec_id.clone(),
            pid: 0,
            status: ProcessStatus::Stopped,
            exit_status: 0,
            exited_at: None,
            ..ProcessStateInfo::default()
        }
    }

    /// 3.24.0: remove under the write lock, poststop hooks, state; the write guard is
    /// held until the function returns.
    async fn delete_init_remove_first(
        &self,
        process: &ContainerProcess,
    ) -> Result<ProcessStateInfo> {
        let container_id = &process.container_id;
        let mut containers =
            acquire(self.containers.write(), "containers", "write", container_id).await;
        let c = containers
            .remove(container_id)
            .ok_or_else(|| Error::ContainerNotFound(container_id.clone()))?;
        self.hooks
            .run(HookStage::PostStop, container_id)
            .await
            .context("run poststop hooks")?;
        let state = c.state_process(process).await.context("state process");
        drop(containers);
        state
    }

    /// Go shim (`delete.go:17-40`): stop if not stopped (StopContainer removes the
    /// container in the VM), `DeleteContainer` (no agent call), poststop hooks (warn
    /// only), and remove the map entry LAST.
    async fn delete_init_remove_last(
        &self,
        process: &ContainerProcess,
    ) -> Result<ProcessStateInfo> {
        let container_id = &process.container_id;
        let containers = acquire(self.containers.read(), "containers", "read", container_id).await;
        let c = containers
            .get(container_id)
            .ok_or_else(|| Error::ContainerNotFound(container_id.clone()))?;
        if container_id != &self.sid
            && c.state_process(process).await?.status != ProcessStatus::Stopped
        {
            c.stop_process(process, self.profile.stop_any_status)
                .await
                .context("stop container")?;
        }
        if let Err(e) = self.hooks.run(HookStage::PostStop, container_id).await {
            warn!(container_id = %container_id, "poststop hooks failed: {:?}", e);
        }
        // Go `delete.go`: `if c.mounted` the rootfs is unmounted before the container is
        // forgotten (for the sandbox container too, which stop_process never cleaned).
        self.resources.umount(container_id);
        let state = c.state_process(process).await.context("state process")?;
        drop(containers);
        self.containers.write().await.remove(container_id);
        Ok(state)
    }
}

#[async_trait]
impl ContainerManager for VirtContainerManager {
    /// `Container::new` -> get_vmm_master_tid -> get_ns_path -> createContainer hooks ->
    /// `containers.write()` -> `container.create()` WHILE holding the map's write lock ->
    /// on error `cleanup()` -> insert (no check for an existing id; Go refuses one here,
    /// after the agent's CreateContainer and with nothing rolled back).
    async fn create_container(&self, config: ContainerConfig) -> Result<Pid> {
        let pid = match self.profile.pid_source {
            PidSource::ShimPid => self.pid,
            // main takes the (cached) master tid first and gives it to the container.
            PidSource::VmmMasterTid => self
                .hypervisor
                .get_vmm_master_tid()
                .await
                .context("get vmm master tid")?,
        };
        let container = Container::new(pid, config, self.agent.clone(), self.resources.clone());
        if self.profile.pid_source == PidSource::ShimPid {
            self.hypervisor
                .get_vmm_master_tid()
                .await
                .context("get vmm master tid")?;
        }
        let _netns = self.hypervisor.get_ns_path().await.context("get ns path")?;
        self.hooks
            .run(HookStage::CreateContainer, &container.container_id)
            .await
            .context("run createContainer hooks")?;
        let mut containers = acquire(
            self.containers.write(),
            "containers",
            "write",
            &container.container_id,
        )
        .await;
        if let Err(e) = container.create().await {
            container.cleanup().await;
            return Err(e);
        }
        if self.profile.refuse_duplicate_id && containers.contains_key(&container.container_id) {
            return Err(anyhow!("Duplicated container: {}", container.container_id));
        }
        containers.insert(container.container_id.clone(), container);
        Ok(pid)
    }

    async fn pause_container(&self, process: &ContainerProcess) -> Result<()> {
        let containers = self.containers.read().await;
        let c = containers
            .get(&process.container_id)
            .ok_or_else(|| Error::ContainerNotFound(process.container_id.clone()))?;
        c.pause(self.profile.pause_wrong_state_fails).await
    }

    async fn resume_container(&self, process: &ContainerProcess) -> Result<()> {
        let containers = self.containers.read().await;
        let c = containers
            .get(&process.container_id)
            .ok_or_else(|| Error::ContainerNotFound(process.container_id.clone()))?;
        c.resume(self.profile.pause_wrong_state_fails).await
    }

    async fn delete_process(&self, process: &ContainerProcess) -> Result<ProcessStateInfo> {
        match process.process_type {
            ProcessType::Container => match self.profile.delete_order {
                DeleteOrder::RemoveFirst => self.delete_init_remove_first(process).await,
                DeleteOrder::RemoveLast => self.delete_init_remove_last(process).await,
            },
            ProcessType::Exec => {
                let containers = self.containers.read().await;
                let c = containers
                    .get(&process.container_id)
                    .ok_or_else(|| Error::ContainerNotFound(process.container_id.clone()))?;
                let state = c.state_process(process).await.context("state process");
                c.inner
                    .write()
                    .await
                    .delete_exec_process(&process.exec_id)
                    .context("delete process")?;
                state
            }
        }
    }

    /// read -> get (ContainerNotFound) -> `c.kill_process`. 3.24.0: every agent error is
    /// logged and swallowed -> Ok. main (`kill_rules`): a missing container is Ok for
    /// SIGKILL/SIGTERM; for those signals a closed agent connection or a process already
    /// gone is Ok; every other agent error is returned.
    async fn kill_process(&self, req: &KillRequest) -> Result<()> {
        let container_id = &req.process.container_id;
        let containers = acquire(self.containers.read(), "containers", "read", container_id).await;
        let term_signal = req.signal == SIGKILL || req.signal == SIGTERM;
        let Some(c) = containers.get(container_id) else {
            if self.profile.kill_rules == KillRules::TolerateTermSignals && term_signal {
                warn!(container_id = %container_id, "Signal {} ignored due to container not existing", req.signal);
                return Ok(());
            }
            return Err(Error::ContainerNotFound(container_id.clone()).into());
        };
        let Err(e) = c.kill_process(&req.process, req.signal, req.all).await else {
            return Ok(());
        };
        match self.profile.kill_rules {
            KillRules::LogAndDrop => {
                warn!(container_id = %container_id, "failed to signal process {:?}", e);
                Ok(())
            }
            KillRules::TolerateTermSignals if term_signal && process_gone_or_unreachable(&e) => {
                warn!(container_id = %container_id, "signal to a terminated process ignored {:?}", e);
                Ok(())
            }
            KillRules::TolerateTermSignals => Err(e),
        }
    }

    /// `containers.read()` held throughout -> get -> `c.start()` -> get_vmm_master_tid ->
    /// poststart hooks -> pid.
    async fn start_process(&self, process: &ContainerProcess) -> Result<Pid> {
        let container_id = &process.container_id;
        let containers = acquire(self.containers.read(), "containers", "read", container_id).await;
        let c = containers
            .get(container_id)
            .ok_or_else(|| Error::ContainerNotFound(container_id.clone()))?;
        c.start(
            process,
            self.exit_watcher_context(),
            self.profile.refused_start_stops,
        )
        .await
        .context("start")?;
        let tid = self
            .hypervisor
            .get_vmm_master_tid()
            .await
            .context("get vmm master tid")?;
        self.hooks
            .run(HookStage::PostStart, container_id)
            .await
            .context("run poststart hooks")?;
        Ok(match self.profile.pid_source {
            PidSource::ShimPid => self.pid,
            PidSource::VmmMasterTid => tid,
        })
    }

    /// `containers.read()` -> get (else ContainerNotFound, or PR #12337's synthetic
    /// Stopped) -> `c.state_process().context("state process")`.
    async fn state_process(&self, process: &ContainerProcess) -> Result<ProcessStateInfo> {
        let containers = acquire(
            self.containers.read(),
            "containers",
            "read",
            &process.container_id,
        )
        .await;
        let Some(c) = containers.get(&process.container_id) else {
            return match self.profile.missing_container_state {
                MissingContainerState::SandboxRunning if process.container_id == self.sid => {
                    self.sandbox_running_state().await
                }
                MissingContainerState::Error | MissingContainerState::SandboxRunning => {
                    Err(Error::ContainerNotFound(process.container_id.clone()).into())
                }
                MissingContainerState::SyntheticStopped => {
                    Ok(Self::synthetic_stopped_state(process))
                }
            };
        };
        c.state_process(process).await.context("state process")
    }

    /// read -> get -> clone the watcher and exit-status handle -> drop the map guard ->
    /// wait until the sender is dropped -> the exit status.
    async fn wait_process(&self, process: &ContainerProcess) -> Result<ProcessExitStatus> {
        if self.profile.waiters == Waiters::WatcherReaps
            && process.process_type == ProcessType::Container
        {
            return self.wait_on_exit_channel(process).await;
        }
        let (watcher, status) = {
            let containers = self.containers.read().await;
            let c = containers
                .get(&process.container_id)
                .ok_or_else(|| Error::ContainerNotFound(process.container_id.clone()))?;
            c.wait_process(process).await?
        };
        match watcher {
            Some(mut watcher) => {
                let exited = async { while watcher.changed().await.is_ok() {} };
                waiting_for_task(exited, "exit watcher", &process.container_id).await;
            }
            None => warn!(container_id = %process.container_id, "failed to find watcher"),
        }
        let status = *status.read().await;
        Ok(status)
    }

    async fn need_shutdown_sandbox(&self, req: &ShutdownRequest) -> bool {
        req.is_now
            || (self.profile.shutdown_when_empty && self.containers.read().await.is_empty())
            || self.sid == req.container_id
    }

    async fn is_sandbox_container(&self, process: &ContainerProcess) -> bool {
        process.process_type == ProcessType::Container && process.container_id == self.sid
    }
}

/// main's typed agent errors, recognised by text: `AgentConnectionClosed` (ttrpc's
/// `remote stream closed`) and `ProcessAlreadyTerminated` (the agent's NOT_FOUND, which the
/// simulated agent words as ESRCH / not found; 3.32's "no such process" too).
fn process_gone_or_unreachable(err: &anyhow::Error) -> bool {
    let text = format!("{err:#}");
    ["stream closed", "ESRCH", "not found", "no such process"]
        .iter()
        .any(|t| text.contains(t))
}
