//! `runtime/v2/runc/task/service.go` (containerd 1.7.34): the reference shim's task
//! service. Line numbers below are that file's.
//!
//! One service mutex `s.mu` guards the container map: Create (221-260) and Shutdown
//! (600-614) hold it throughout, `getContainer` (794-801) only for the lookup, Delete
//! (349-379) again to remove the entry LAST. Each container's init process has its own
//! mutex (`init.rs`). Exits are reaped per process from Create on (`preStart` registers
//! the init process at Create, 225-227 and 253-254): one TaskExit per process.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::{anyhow, Context, Result};
use containerd_shim_protos::ttrpc::Status;
use tokio::sync::{mpsc, Mutex};
use tracing::{error, info};

use super::errdefs::{not_found, to_grpc, Class, Typed};
use super::init::Init;
use crate::agent::{
    Agent, ContainerID, ContainerProcessID, CreateContainerRequest, WaitProcessRequest,
};
use crate::common::types::{
    ConnectPids, ContainerConfig, ContainerProcess, Pid, ProcessExitStatus, ProcessStateInfo,
    ProcessStatus, ProcessType, ShimExit, ShutdownRequest, TaskExit, TaskRequest, TaskResponse,
};
use crate::common::RuntimePorts;
use crate::hypervisor::{Hypervisor, START_VM_TIMEOUT_MS};
use crate::resource::ResourceManager;
use crate::service::TaskHandler;

/// `runc.Container`: the container and its init process.
pub struct Container {
    pub id: String,
    pub bundle: String,
    pub init: Arc<Init>,
}

struct Guarded {
    containers: HashMap<String, Arc<Container>>,
    /// Harness only: whether the node the containers run on (the simulated VM standing
    /// in for the host kernel) has been booted.
    host_up: bool,
    /// How many containers were created: a stand-in for the kernel's pid allocation.
    created: u32,
}

/// The reference shim's task service.
pub struct Service {
    /// `s.mu` and what it guards.
    mu: Mutex<Guarded>,
    agent: Arc<dyn Agent>,
    hypervisor: Arc<dyn Hypervisor>,
    resources: Arc<ResourceManager>,
    shim_pid: Pid,
    events: mpsc::Sender<TaskExit>,
}

impl Service {
    pub fn new(ports: &RuntimePorts, events: mpsc::Sender<TaskExit>) -> Service {
        Service {
            mu: Mutex::new(Guarded {
                containers: HashMap::new(),
                host_up: false,
                created: 0,
            }),
            agent: ports.agent.clone(),
            hypervisor: ports.hypervisor.clone(),
            resources: ports.resources.clone(),
            shim_pid: ports.shim_pid,
            events,
        }
    }

    /// `getContainer`: `s.mu` only for the lookup; NotFound `container not created`.
    async fn get_container(&self, id: &str) -> Result<Arc<Container>> {
        let g = self.mu.lock().await;
        g.containers
            .get(id)
            .cloned()
            .ok_or_else(|| not_found("container not created"))
    }

    /// `Container.Process`: the init process; the model has no exec processes, so any
    /// exec id is NotFound `process does not exist <id>` (container.go 288-300).
    fn process(c: &Container, process: &ContainerProcess) -> Result<Arc<Init>> {
        match process.process_type {
            ProcessType::Container => Ok(c.init.clone()),
            ProcessType::Exec => Err(not_found(format!(
                "process does not exist {}",
                process.exec_id
            ))),
        }
    }

    /// Harness: boots the simulated VM whose agent stands in for runc and the host
    /// kernel. Not part of the reference shim.
    async fn boot_host(&self) -> Result<()> {
        self.hypervisor.prepare_vm("runc-host").await?;
        self.hypervisor.start_vm(START_VM_TIMEOUT_MS).await?;
        let address = self.hypervisor.get_agent_socket().await?;
        self.agent.start(&address).await
    }

    /// Create (221-260): under `s.mu` throughout: mount the rootfs, `runc create`
    /// (unmounting again on failure), insert into the map (no duplicate check: runc
    /// refuses an existing id), register the init process with the reaper.
    async fn create(&self, config: ContainerConfig) -> Result<Pid> {
        let mut g = self.mu.lock().await;
        if !g.host_up {
            self.boot_host().await.context("boot the simulated host")?;
            g.host_up = true;
        }
        let id = config.container_id.clone();
        self.resources.mount(&id);
        let created = self
            .agent
            .create_container(CreateContainerRequest {
                process_id: ContainerProcessID {
                    container_id: ContainerID {
                        container_id: id.clone(),
                    },
                    exec_id: String::new(),
                },
                args: vec!["sleep".into(), "300".into()],
            })
            .await;
        if let Err(e) = created {
            self.resources.umount(&id);
            return Err(anyhow!("OCI runtime create failed: {e:#}"));
        }
        g.created += 1;
        let pid = self.shim_pid + 1 + g.created;
        let init = Arc::new(Init::new(
            &id,
            pid,
            self.agent.clone(),
            self.resources.clone(),
        ));
        g.containers.insert(
            id.clone(),
            Arc::new(Container {
                id: id.clone(),
                bundle: config.bundle,
                init: init.clone(),
            }),
        );
        tokio::spawn(reap(id, init, self.agent.clone(), self.events.clone()));
        Ok(pid)
    }

    /// Start (268-347): an exec id is refused FailedPrecondition once init has exited
    /// (274-282), else NotFound; the init process starts through its state machine.
    async fn start(&self, process: &ContainerProcess) -> Result<Pid> {
        let c = self.get_container(&process.container_id).await?;
        if process.process_type == ProcessType::Exec
            && c.init.status().await == ProcessStatus::Stopped
        {
            return Err(Typed {
                class: Class::FailedPrecondition,
                what: format!("container {} init process is not running", c.id),
            }
            .into());
        }
        let init = Self::process(&c, process)?;
        init.start().await?;
        Ok(init.pid)
    }

    /// State (416-456): status, then pid, exit status and exit time, each read on its
    /// own (`p.mu` per read).
    async fn state(&self, process: &ContainerProcess) -> Result<ProcessStateInfo> {
        let c = self.get_container(&process.container_id).await?;
        let init = Self::process(&c, process)?;
        let status = init.status().await;
        Ok(ProcessStateInfo {
            container_id: c.id.clone(),
            exec_id: process.exec_id.clone(),
            pid: init.pid,
            bundle: c.bundle.clone(),
            status,
            exit_status: init.exit_status().await,
            exited_at: init.exited_at().await,
            ..ProcessStateInfo::default()
        })
    }

    /// Delete (349-379): `container.Delete` first (the process becomes deleted), then
    /// the map entry is removed under `s.mu`; the answer is the process's exit.
    async fn delete(&self, process: &ContainerProcess) -> Result<ProcessStateInfo> {
        let c = self.get_container(&process.container_id).await?;
        let init = Self::process(&c, process)?;
        init.delete().await?;
        self.mu.lock().await.containers.remove(&c.id);
        Ok(ProcessStateInfo {
            container_id: c.id.clone(),
            pid: init.pid,
            status: ProcessStatus::Stopped,
            exit_status: init.exit_status().await,
            exited_at: init.exited_at().await,
            ..ProcessStateInfo::default()
        })
    }

    /// Wait (571-587): blocks until the process's exit is recorded.
    async fn wait(&self, process: &ContainerProcess) -> Result<ProcessExitStatus> {
        let c = self.get_container(&process.container_id).await?;
        let init = Self::process(&c, process)?;
        init.wait().await;
        Ok(ProcessExitStatus {
            exit_code: init.exit_status().await,
            exit_time: init.exited_at().await,
        })
    }

    /// Shutdown (600-614): under `s.mu`, a no-op while any container remains; else the
    /// shim exits (the harness also stops its simulated host).
    async fn shutdown(&self, _req: &ShutdownRequest) -> Result<ShimExit> {
        let g = self.mu.lock().await;
        if !g.containers.is_empty() {
            return Ok(ShimExit::Stay);
        }
        if g.host_up {
            self.agent.stop().await;
            self.hypervisor.stop_vm().await?;
        }
        Ok(ShimExit::AfterReply)
    }
}

/// The reaper for one init process (`processExits` 651-688 -> `handleInitExit` 703-745
/// -> `handleProcessExit` 747-764): on the exit, `SetExited`, then TaskExit. With no
/// exec processes the init exit is published at once. A guest process that vanished
/// without an exit (removed while created) publishes nothing.
async fn reap(id: String, init: Arc<Init>, agent: Arc<dyn Agent>, events: mpsc::Sender<TaskExit>) {
    let req = WaitProcessRequest {
        process_id: ContainerProcessID {
            container_id: ContainerID {
                container_id: id.clone(),
            },
            exec_id: String::new(),
        },
    };
    let code = match agent.wait_process(req).await {
        Ok(resp) => resp.status,
        Err(e) => {
            info!(container_id = %id, "no exit to reap: {e:#}");
            return;
        }
    };
    init.set_exited(code).await;
    let exit = TaskExit {
        container_id: id.clone(),
        id: id.clone(),
        pid: init.pid,
        exit_status: code,
        exited_at: init.exited_at().await,
    };
    if events.send(exit).await.is_err() {
        error!(container_id = %id, "failed to send TaskExit: event channel closed");
    }
}

#[async_trait::async_trait]
impl TaskHandler for Service {
    async fn handler_task_message(&self, req: TaskRequest) -> Result<TaskResponse> {
        Ok(match req {
            TaskRequest::CreateContainer(config) => {
                TaskResponse::CreateContainer(self.create(config).await?)
            }
            TaskRequest::StartProcess(p) => TaskResponse::StartProcess(self.start(&p).await?),
            TaskRequest::StateProcess(p) => TaskResponse::StateProcess(self.state(&p).await?),
            TaskRequest::DeleteProcess(p) => TaskResponse::DeleteProcess(self.delete(&p).await?),
            TaskRequest::WaitProcess(p) => TaskResponse::WaitProcess(self.wait(&p).await?),
            TaskRequest::KillProcess(k) => {
                // Kill (488-498): `container.Kill` -> the process's Kill.
                let c = self.get_container(&k.process.container_id).await?;
                Self::process(&c, &k.process)?.kill(k.signal).await?;
                TaskResponse::KillProcess
            }
            TaskRequest::PauseContainer(p) => {
                // Pause (458-471): the init process's Pause.
                self.get_container(&p.container_id)
                    .await?
                    .init
                    .pause()
                    .await?;
                TaskResponse::PauseContainer
            }
            TaskRequest::ResumeContainer(p) => {
                self.get_container(&p.container_id)
                    .await?
                    .init
                    .resume()
                    .await?;
                TaskResponse::ResumeContainer
            }
            TaskRequest::ShutdownContainer(r) => {
                TaskResponse::ShutdownContainer(self.shutdown(&r).await?)
            }
            TaskRequest::ConnectContainer(p) => {
                // Connect (589-598): the shim's pid, and the container's if there is one.
                let task_pid = match self.get_container(&p.container_id).await {
                    Ok(c) => c.init.pid,
                    Err(_) => 0,
                };
                TaskResponse::ConnectContainer(ConnectPids {
                    shim_pid: self.shim_pid,
                    task_pid,
                })
            }
        })
    }

    /// `errdefs.ToGRPC`: NotFound and FailedPrecondition keep their class, the rest is
    /// UNKNOWN (an untyped Go error reaches ttrpc as UNKNOWN too).
    fn error_status(&self, err: &anyhow::Error) -> Status {
        to_grpc(err)
    }

    async fn container_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.mu.lock().await.containers.keys().cloned().collect();
        ids.sort();
        ids
    }
}
