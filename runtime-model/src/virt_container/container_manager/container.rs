//! `virt_container/src/container_manager/container.rs`.

use std::sync::Arc;

use anyhow::{Context, Result};
use tokio::sync::RwLock;
use tracing::warn;

use super::container_inner::ContainerInner;
use super::process::{ExitWatcherContext, Process};
use crate::agent::{Agent, ContainerID, ContainerProcessID, CreateContainerRequest};
use crate::common::types::{
    ContainerConfig, ContainerProcess, Pid, ProcessStateInfo, ProcessStatus, ProcessType,
};
use crate::resource::ResourceManager;
use crate::sync::held::acquire;

/// One container: its config and the inner state behind `inner`'s lock.
pub struct Container {
    pub pid: Pid,
    pub container_id: String,
    pub config: ContainerConfig,
    pub inner: Arc<RwLock<ContainerInner>>,
    pub agent: Arc<dyn Agent>,
}

impl Container {
    /// `Container::new` (`container.rs:57`). (Upstream awaits the passfd listener
    /// address; that await is local and not modelled.)
    pub fn new(
        pid: Pid,
        config: ContainerConfig,
        agent: Arc<dyn Agent>,
        resources: Arc<ResourceManager>,
    ) -> Container {
        let process = ContainerProcess::init(&config.container_id);
        let mut init_process = Process::new(&process, pid, &config.bundle);
        init_process.terminal = config.terminal;
        init_process.stdin = config.stdin.clone();
        init_process.stdout = config.stdout.clone();
        init_process.stderr = config.stderr.clone();
        Container {
            pid,
            container_id: config.container_id.clone(),
            inner: Arc::new(RwLock::new(ContainerInner::new(
                agent.clone(),
                init_process,
                resources,
            ))),
            config,
            agent,
        }
    }

    /// `Container::create` (`container.rs:100`): under the inner write lock (and the
    /// map's, held by the caller), take the rootfs and volumes from the resource manager,
    /// then the agent's create_container; the init process is Created.
    pub async fn create(&self) -> Result<()> {
        let inner = acquire(self.inner.write(), "inner", "write", &self.container_id).await;
        inner.resources.mount(&self.container_id);
        self.agent
            .create_container(CreateContainerRequest {
                process_id: ContainerProcessID {
                    container_id: ContainerID {
                        container_id: self.container_id.clone(),
                    },
                    exec_id: String::new(),
                },
                args: vec!["sleep".into(), "300".into()],
            })
            .await
            .context("agent create container")?;
        inner.init_process.set_status(ProcessStatus::Created).await;
        Ok(())
    }

    /// `Container::cleanup`, after a failed create: releases what create took.
    pub async fn cleanup(&self) {
        let inner = acquire(self.inner.write(), "inner", "write", &self.container_id).await;
        inner.resources.umount(&self.container_id);
    }

    /// `Container::start`: under `inner.write()`, start the init process (on failure stop
    /// it again) and spawn its exit watcher.
    /// With `refused_start_stops` false (Go), a container neither Created nor Stopped is
    /// refused before anything is stopped.
    pub async fn start(
        &self,
        process: &ContainerProcess,
        ctx: ExitWatcherContext,
        refused_start_stops: bool,
    ) -> Result<()> {
        let mut inner = acquire(self.inner.write(), "inner", "write", &self.container_id).await;
        match process.process_type {
            ProcessType::Container => {
                if !refused_start_stops {
                    inner
                        .check_state(&[ProcessStatus::Created, ProcessStatus::Stopped])
                        .await
                        .context("check state")?;
                }
                if let Err(err) = inner.start_container(&process.container_id).await {
                    let _ = inner.stop_process(process, false).await;
                    return Err(err);
                }
                inner.init_process.start_io_and_wait(ctx);
            }
            ProcessType::Exec => {
                return Err(anyhow::anyhow!(
                    "exec process {} is not modelled",
                    process.exec_id
                ));
            }
        }
        Ok(())
    }

    pub async fn state_process(&self, process: &ContainerProcess) -> Result<ProcessStateInfo> {
        let inner = acquire(self.inner.read(), "inner", "read", &self.container_id).await;
        inner.state_process(process).await
    }

    pub async fn stop_process(&self, process: &ContainerProcess, any_status: bool) -> Result<()> {
        let mut inner = acquire(self.inner.write(), "inner", "write", &self.container_id).await;
        inner.stop_process(process, any_status).await
    }

    /// Under `inner.write()`, as upstream: a State on this container waits for the signal.
    pub async fn kill_process(
        &self,
        process: &ContainerProcess,
        signal: u32,
        all: bool,
    ) -> Result<()> {
        let inner = acquire(self.inner.write(), "inner", "write", &self.container_id).await;
        inner.signal_process(process, signal, all).await
    }

    /// `Container::wait_process`: the exit watcher and exit-status handle of `process`.
    pub async fn wait_process(
        &self,
        process: &ContainerProcess,
    ) -> Result<(
        Option<crate::sync::watch::Receiver<bool>>,
        Arc<RwLock<crate::common::types::ProcessExitStatus>>,
    )> {
        let inner = acquire(self.inner.read(), "inner", "read", &self.container_id).await;
        match process.process_type {
            ProcessType::Container => Ok(inner.init_process.fetch_exit_watcher()),
            ProcessType::Exec => {
                let p = inner
                    .exec_processes
                    .iter()
                    .find(|p| p.process.exec_id == process.exec_id)
                    .ok_or_else(|| {
                        anyhow::anyhow!(
                            "failed to find cid {} eid {}",
                            process.container_id,
                            process.exec_id
                        )
                    })?;
                Ok(p.fetch_exit_watcher())
            }
        }
    }

    /// `Container::pause`: if init is not Running, warn and succeed (Go: fail, with
    /// `wrong_state_fails`); else agent pause.
    pub async fn pause(&self, wrong_state_fails: bool) -> Result<()> {
        let inner = acquire(self.inner.write(), "inner", "write", &self.container_id).await;
        if inner.init_process.get_status().await != ProcessStatus::Running {
            if wrong_state_fails {
                return Err(anyhow::anyhow!(
                    "Container not running, impossible to pause"
                ));
            }
            warn!(container_id = %self.container_id, "container is not running");
            return Ok(());
        }
        self.agent
            .pause_container(ContainerID {
                container_id: self.container_id.clone(),
            })
            .await
            .context("agent pause container")?;
        inner.init_process.set_status(ProcessStatus::Paused).await;
        Ok(())
    }

    /// `Container::resume`: if init is not Paused, warn and succeed (Go: fail, with
    /// `wrong_state_fails`); else agent resume.
    pub async fn resume(&self, wrong_state_fails: bool) -> Result<()> {
        let inner = acquire(self.inner.write(), "inner", "write", &self.container_id).await;
        if inner.init_process.get_status().await != ProcessStatus::Paused {
            if wrong_state_fails {
                return Err(anyhow::anyhow!(
                    "Container not paused, impossible to resume"
                ));
            }
            warn!(container_id = %self.container_id, "container is not paused");
            return Ok(());
        }
        self.agent
            .resume_container(ContainerID {
                container_id: self.container_id.clone(),
            })
            .await
            .context("agent resume container")?;
        inner.init_process.set_status(ProcessStatus::Running).await;
        Ok(())
    }
}
