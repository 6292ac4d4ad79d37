//! `runtimes/src/manager.rs`: `RuntimeHandlerManager`.

use std::sync::Arc;

use anyhow::{anyhow, Context, Result};
use tokio::sync::{mpsc, Mutex, RwLock};
use tracing::{error, Instrument};

use crate::common::types::{ConnectPids, Pid, ShimExit, TaskEvent, TaskRequest, TaskResponse};
use crate::common::{ContainerManager, RuntimePorts};
use crate::profile::{LifecycleEvents, Profile, ShutdownRule, Waiters};
use crate::service::task_service::{error_status, TaskHandler};
use crate::sync::held::{acquire, task_span, Held};
use crate::virt_container::{VirtContainerManager, VirtSandbox};

/// `RuntimeInstance{sandbox, container_manager}`.
pub struct RuntimeInstance {
    pub sandbox: Arc<VirtSandbox>,
    pub container_manager: Arc<VirtContainerManager>,
}

struct RuntimeHandlerManagerInner {
    id: String,
    msg_sender: mpsc::Sender<TaskEvent>,
    runtime_instance: Option<Arc<RuntimeInstance>>,
}

/// Dispatches the shim's task requests to the runtime instance of its sandbox.
pub struct RuntimeHandlerManager {
    inner: RwLock<RuntimeHandlerManagerInner>,
    ports: RuntimePorts,
    profile: Profile,
    /// Go profile only: the service mutex (`s.mu`), held for every request but Wait.
    service_mutex: Option<Arc<Mutex<()>>>,
}

impl RuntimeHandlerManager {
    pub fn new(
        id: &str,
        msg_sender: mpsc::Sender<TaskEvent>,
        ports: RuntimePorts,
        profile: Profile,
    ) -> RuntimeHandlerManager {
        RuntimeHandlerManager {
            inner: RwLock::new(RuntimeHandlerManagerInner {
                id: id.to_string(),
                msg_sender,
                runtime_instance: None,
            }),
            ports,
            profile,
            service_mutex: profile.service_mutex.then(|| Arc::new(Mutex::new(()))),
        }
    }

    /// Creates and stores the runtime instance under the manager's write lock, unless one
    /// exists (`task_init_runtime_instance`, `runtimes/src/manager.rs:341`). The sandbox
    /// is started afterwards, outside the lock, by the Create handler.
    async fn try_init_runtime_instance(&self) -> Result<()> {
        let mut inner = self.inner.write().await;
        if inner.runtime_instance.is_some() {
            return Ok(());
        }
        let p = &self.ports;
        let sandbox = Arc::new(VirtSandbox::new(
            &inner.id,
            p.agent.clone(),
            p.hypervisor.clone(),
            p.hooks.clone(),
            inner.msg_sender.clone(),
            p,
            self.profile,
        ));
        let container_manager = Arc::new(VirtContainerManager::new(
            &inner.id,
            p,
            self.profile,
            self.service_mutex.clone(),
            inner.msg_sender.clone(),
        ));
        inner.runtime_instance = Some(Arc::new(RuntimeInstance {
            sandbox,
            container_manager,
        }));
        Ok(())
    }

    async fn get_runtime_instance(&self) -> Result<Arc<RuntimeInstance>> {
        self.inner
            .read()
            .await
            .runtime_instance
            .clone()
            .ok_or_else(|| anyhow!("runtime not ready"))
    }

    /// The ids in the container manager's map, sorted (empty before the sandbox runs).
    /// For a harness's inspection; takes the map's read lock.
    async fn map_ids(&self) -> Vec<String> {
        let Ok(instance) = self.get_runtime_instance().await else {
            return Vec::new();
        };
        let mut ids: Vec<String> = instance
            .container_manager
            .containers
            .read()
            .await
            .keys()
            .cloned()
            .collect();
        ids.sort();
        ids
    }

    fn spawn_waiter(instance: &RuntimeInstance, container_id: String, pid: Pid) {
        let sandbox = instance.sandbox.clone();
        let cm: Arc<dyn ContainerManager> = instance.container_manager.clone();
        let task = task_span("waiter", "", &container_id);
        tokio::spawn(sandbox.wait_process(cm, container_id, pid).instrument(task));
    }

    /// Go: `s.mu` for the whole of every request but Wait, which takes it only for its
    /// lookup (`service.go:1085-1087`).
    async fn service_guard(
        &self,
        req: &TaskRequest,
    ) -> Option<Held<tokio::sync::OwnedMutexGuard<()>>> {
        let container = req.container_id();
        match (&self.service_mutex, req) {
            (None, _) => None,
            (Some(m), TaskRequest::WaitProcess(_)) => {
                drop(acquire(m.lock(), "service", "lock", container).await);
                None
            }
            (Some(m), _) => {
                Some(acquire(m.clone().lock_owned(), "service", "lock", container).await)
            }
        }
    }

    /// `handler_task_message`: CreateContainer initialises the runtime and spawns a
    /// waiter; every other request goes through `handler_task_request` with the context
    /// `handler TaskRequest`.
    async fn handle(&self, req: TaskRequest) -> Result<TaskResponse> {
        let _service = self.service_guard(&req).await;
        if let TaskRequest::CreateContainer(config) = req {
            self.try_init_runtime_instance()
                .await
                .context("try init runtime instance")?;
            let instance = self
                .get_runtime_instance()
                .await
                .context("get runtime instance")?;
            // Outside the manager's lock: other requests reach the container manager while
            // the VM boots; a start that fails leaves the instance in place.
            instance
                .sandbox
                .start()
                .await
                .context("start sandbox in task handler")?;
            let (container_id, bundle) = (config.container_id.clone(), config.bundle.clone());
            let shim_pid = instance
                .container_manager
                .create_container(config)
                .await
                .context("create container")?;
            if self.profile.waiters == Waiters::CreateAndStart {
                Self::spawn_waiter(&instance, container_id.clone(), shim_pid);
            }
            let created = TaskEvent::Create {
                container_id,
                bundle,
                pid: shim_pid,
            };
            self.publish_lifecycle(created, "send task create event")
                .await?;
            Ok(TaskResponse::CreateContainer(shim_pid))
        } else {
            self.handler_task_request(req)
                .await
                .context("handler TaskRequest")
        }
    }

    /// Queues a lifecycle event as `profile.lifecycle_events` says: main sends it and a
    /// closed channel fails the request with `context`; the Go shim's channel send cannot
    /// fail (a closed channel here is only logged); 3.24.0 publishes none.
    async fn publish_lifecycle(&self, event: TaskEvent, context: &'static str) -> Result<()> {
        if self.profile.lifecycle_events == LifecycleEvents::None {
            return Ok(());
        }
        let msg_sender = self.inner.read().await.msg_sender.clone();
        let sent = msg_sender.send(event).await;
        match self.profile.lifecycle_events {
            LifecycleEvents::SentByHandler => sent.context(context),
            _ => {
                if sent.is_err() {
                    error!("{context}: event channel closed");
                }
                Ok(())
            }
        }
    }

    /// Go `service.go:960-999`: a no-op while any container remains; otherwise SIGKILL
    /// the VMM (its error ignored) and exit without answering.
    async fn shutdown_when_no_container_left(&self) -> TaskResponse {
        if !self.map_ids().await.is_empty() {
            return TaskResponse::ShutdownContainer(ShimExit::Stay);
        }
        if let Err(e) = self.ports.hypervisor.stop_vm().await {
            error!("failed to kill the hypervisor {:?}", e);
        }
        TaskResponse::ShutdownContainer(ShimExit::WithoutReply)
    }

    async fn handler_task_request(&self, req: TaskRequest) -> Result<TaskResponse> {
        if self.profile.shutdown_rule == ShutdownRule::NoContainerLeft
            && matches!(req, TaskRequest::ShutdownContainer(_))
        {
            return Ok(self.shutdown_when_no_container_left().await);
        }
        let instance = match self.get_runtime_instance().await {
            Ok(instance) => instance,
            // main (PR #13156): a Shutdown with no runtime instance still ends the shim.
            Err(_)
                if self.profile.shutdown_without_instance
                    && matches!(req, TaskRequest::ShutdownContainer(_)) =>
            {
                return Ok(TaskResponse::ShutdownContainer(ShimExit::AfterReply));
            }
            Err(e) => return Err(e.context("get runtime instance")),
        };
        let sandbox = instance.sandbox.clone();
        let cm = instance.container_manager.clone();
        let resp = match req {
            TaskRequest::CreateContainer(_) => unreachable!("handled by handler_task_message"),
            TaskRequest::DeleteProcess(process) => {
                let deleted = cm.delete_process(&process).await.context("do delete")?;
                let event = TaskEvent::Delete {
                    container_id: process.container_id.clone(),
                    pid: deleted.pid,
                    exit_status: deleted.exit_status,
                    exited_at: deleted.exited_at,
                };
                self.publish_lifecycle(event, "send task delete event")
                    .await?;
                TaskResponse::DeleteProcess(deleted)
            }
            TaskRequest::StateProcess(process) => TaskResponse::StateProcess(
                cm.state_process(&process).await.context("state process")?,
            ),
            TaskRequest::KillProcess(req) => {
                cm.kill_process(&req).await.context("kill process")?;
                TaskResponse::KillProcess
            }
            TaskRequest::WaitProcess(process) => {
                let exit_status = cm.wait_process(&process).await.context("wait process")?;
                if self.profile.wait_stops_sandbox && cm.is_sandbox_container(&process).await {
                    sandbox.stop().await.context("stop sandbox")?;
                    if self.profile.cleanup_once {
                        // main (4.0.0, PR #13139, commit 478970131c): release the
                        // sandbox's resources as soon as its container exits.
                        sandbox.cleanup().await.context("cleanup sandbox")?;
                    }
                }
                TaskResponse::WaitProcess(exit_status)
            }
            TaskRequest::StartProcess(process) => {
                // Go `service.go:485-487`: held so the start events are queued before any
                // exit event.
                let _event_send = match self.profile.lifecycle_events {
                    LifecycleEvents::GoEventSendMu => {
                        Some(cm.event_send_mu.clone().lock_owned().await)
                    }
                    _ => None,
                };
                if self.profile.rescan_network_before_start {
                    if let Err(e) = sandbox.rescan_network().await {
                        error!(
                            sid = %sandbox.sid,
                            "network rescan failed; container may lack networking: {:?}", e
                        );
                    }
                }
                let pid = match cm.start_process(&process).await {
                    Ok(pid) => pid,
                    Err(e) => {
                        if self.profile.waiters == Waiters::WatcherReaps {
                            cm.put_exit_of_failed_start(&process).await;
                        }
                        return Err(e.context("start process"));
                    }
                };
                if self.profile.waiters == Waiters::CreateAndStart {
                    Self::spawn_waiter(&instance, process.container_id.clone(), pid);
                }
                let started = TaskEvent::Start {
                    container_id: process.container_id.clone(),
                    pid,
                };
                self.publish_lifecycle(started, "send task start event")
                    .await?;
                TaskResponse::StartProcess(pid)
            }
            TaskRequest::ShutdownContainer(req) => {
                if !cm.need_shutdown_sandbox(&req).await {
                    return Ok(TaskResponse::ShutdownContainer(ShimExit::Stay));
                }
                sandbox.shutdown().await.context("do shutdown")?;
                TaskResponse::ShutdownContainer(ShimExit::AfterReply)
            }
            TaskRequest::PauseContainer(process) => {
                cm.pause_container(&process)
                    .await
                    .context("pause container")?;
                TaskResponse::PauseContainer
            }
            TaskRequest::ResumeContainer(process) => {
                cm.resume_container(&process)
                    .await
                    .context("resume container")?;
                TaskResponse::ResumeContainer
            }
            TaskRequest::ConnectContainer(process) => {
                let pid = cm.connect_container(&process).await.context("connect")?;
                TaskResponse::ConnectContainer(if self.profile.connect_answers_task_pid {
                    ConnectPids {
                        shim_pid: self.ports.shim_pid,
                        task_pid: pid,
                    }
                } else {
                    ConnectPids {
                        shim_pid: pid,
                        task_pid: 0,
                    }
                })
            }
        };
        Ok(resp)
    }
}

#[async_trait::async_trait]
impl TaskHandler for RuntimeHandlerManager {
    async fn handler_task_message(&self, req: TaskRequest) -> Result<TaskResponse> {
        self.handle(req).await
    }

    /// Switched by `error_mapping` (runtime-rs's `Others` as UNKNOWN, or Go's errdefs).
    fn error_status(&self, err: &anyhow::Error) -> containerd_shim_protos::ttrpc::Status {
        error_status(self.profile.error_mapping, err)
    }

    async fn container_ids(&self) -> Vec<String> {
        self.map_ids().await
    }
}
