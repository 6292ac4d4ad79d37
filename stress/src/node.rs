//! One pod of the real-time node: the runtime-rs model's shim (`RuntimeHandlerManager`
//! behind the ttrpc `TaskService`) with an in-process VM: a kata-agent process table and
//! a VMM, every call paying its latency as a real sleep.
//!
//! The agent follows the simulation's fake agent: a container's init process runs until
//! SIGKILL or SIGTERM (exit 128 + signal); wait_process returns at the exit;
//! remove_container ends a running process first.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use anyhow::{anyhow, Result};
use async_trait::async_trait;
use runtime_model::agent::*;
use runtime_model::common::types::TaskEvent;
use runtime_model::common::ProcessPort;
use runtime_model::hooks::{HookRunner, HookStage};
use runtime_model::hypervisor::Hypervisor;
use runtime_model::resource::ResourceManager;
use runtime_model::runtimes::{RuntimeHandlerManager, RuntimePorts};
use runtime_model::service::TaskService;
use runtime_model::sync::watch;
use runtime_model::Profile;
use tokio::sync::mpsc;

use crate::latency::{self, pause};

const SIGKILL: u32 = 9;
const SIGTERM: u32 = 15;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Guest {
    Created,
    Running,
    Exited(i32),
}

struct GuestProcess {
    status: Guest,
    exited: watch::Sender<Option<i32>>,
}

/// The kata-agent of one VM, reached over a vsock that costs [`latency::VSOCK`] each way.
#[derive(Default)]
pub struct StdAgent {
    procs: Mutex<HashMap<String, GuestProcess>>,
}

impl StdAgent {
    async fn hop<T>(
        &self,
        work: std::ops::Range<u64>,
        f: impl FnOnce(&Self) -> Result<T>,
    ) -> Result<T> {
        pause(latency::VSOCK).await;
        pause(work).await;
        let out = f(self);
        pause(latency::VSOCK).await;
        out
    }

    fn end(&self, cid: &str, code: i32) {
        if let Some(p) = self.procs.lock().unwrap().get_mut(cid) {
            if p.status == Guest::Running {
                p.status = Guest::Exited(code);
                p.exited.send_replace(Some(code));
            }
        }
    }
}

fn missing(cid: &str) -> anyhow::Error {
    anyhow!("invalid container id {cid}")
}

#[async_trait]
impl Agent for StdAgent {
    async fn start(&self, _address: &str) -> Result<()> {
        Ok(())
    }
    async fn create_sandbox(&self, _req: CreateSandboxRequest) -> Result<()> {
        self.hop(latency::AGENT_OTHER, |_| Ok(())).await
    }
    async fn destroy_sandbox(&self) -> Result<()> {
        self.hop(latency::AGENT_OTHER, |_| Ok(())).await
    }
    async fn create_container(&self, req: CreateContainerRequest) -> Result<()> {
        let cid = req.process_id.container_id.container_id;
        self.hop(latency::AGENT_CREATE, |a| {
            let mut procs = a.procs.lock().unwrap();
            if procs.contains_key(&cid) {
                return Err(anyhow!("container {cid} already exists"));
            }
            let exited = watch::channel(None).0;
            procs.insert(
                cid,
                GuestProcess {
                    status: Guest::Created,
                    exited,
                },
            );
            Ok(())
        })
        .await
    }
    async fn start_container(&self, req: ContainerID) -> Result<()> {
        let cid = req.container_id;
        self.hop(latency::AGENT_START, |a| {
            let mut procs = a.procs.lock().unwrap();
            let p = procs.get_mut(&cid).ok_or_else(|| missing(&cid))?;
            p.status = Guest::Running;
            Ok(())
        })
        .await
    }
    async fn remove_container(&self, req: RemoveContainerRequest) -> Result<()> {
        let cid = req.container_id;
        self.hop(latency::AGENT_REMOVE, |a| {
            a.end(&cid, 128 + SIGKILL as i32);
            a.procs
                .lock()
                .unwrap()
                .remove(&cid)
                .map(|_| ())
                .ok_or_else(|| missing(&cid))
        })
        .await
    }
    async fn pause_container(&self, _req: ContainerID) -> Result<()> {
        Err(anyhow!("pause is not used by the stress method"))
    }
    async fn resume_container(&self, _req: ContainerID) -> Result<()> {
        Err(anyhow!("resume is not used by the stress method"))
    }
    async fn signal_process(&self, req: SignalProcessRequest) -> Result<()> {
        let cid = req.process_id.container_id.container_id;
        self.hop(latency::AGENT_OTHER, |a| {
            let status = a.procs.lock().unwrap().get(&cid).map(|p| p.status);
            match status.ok_or_else(|| missing(&cid))? {
                Guest::Running if req.signal == SIGKILL || req.signal == SIGTERM => {
                    a.end(&cid, 128 + req.signal as i32);
                    Ok(())
                }
                Guest::Running => Ok(()),
                _ => Err(anyhow!("process {cid} not found: ESRCH")),
            }
        })
        .await
    }
    async fn wait_process(&self, req: WaitProcessRequest) -> Result<WaitProcessResponse> {
        let cid = req.process_id.container_id.container_id;
        pause(latency::VSOCK).await;
        let mut exited = {
            let procs = self.procs.lock().unwrap();
            procs
                .get(&cid)
                .ok_or_else(|| missing(&cid))?
                .exited
                .subscribe()
        };
        let status = match exited.wait_for(|c| c.is_some()).await {
            Ok(code) => code.expect("waited for an exit"),
            Err(_) => return Err(anyhow!("container {cid} removed while waiting")),
        };
        pause(latency::VSOCK).await;
        Ok(WaitProcessResponse { status })
    }
    async fn check(&self, _req: CheckRequest) -> Result<HealthCheckResponse> {
        self.hop(latency::AGENT_OTHER, |_| {
            Ok(HealthCheckResponse { status: 1 })
        })
        .await
    }
    async fn stop(&self) {}
}

/// The VMM: boots in [`latency::VM_BOOT`].
pub struct StdVmm {
    up: watch::Sender<bool>,
}

#[async_trait]
impl Hypervisor for StdVmm {
    async fn prepare_vm(&self, _id: &str) -> Result<()> {
        Ok(())
    }
    async fn start_vm(&self, _timeout_ms: u64) -> Result<()> {
        pause(latency::VM_BOOT).await;
        self.up.send_replace(true);
        Ok(())
    }
    async fn stop_vm(&self) -> Result<()> {
        self.up.send_replace(false);
        Ok(())
    }
    async fn wait_vm(&self) -> Result<i32> {
        let _ = self.up.subscribe().wait_for(|up| !*up).await;
        Ok(0)
    }
    async fn get_vmm_master_tid(&self) -> Result<u32> {
        Ok(1)
    }
    async fn get_ns_path(&self) -> Result<String> {
        Ok("/var/run/netns/stress".into())
    }
    async fn get_agent_socket(&self) -> Result<String> {
        Ok("vsock://stress".into())
    }
    async fn cleanup(&self) -> Result<()> {
        Ok(())
    }
}

/// No OCI hooks, as in a Kubernetes pod.
pub struct NoHooks;

#[async_trait]
impl HookRunner for NoHooks {
    async fn run(&self, _stage: HookStage, _container_id: &str) -> Result<()> {
        Ok(())
    }
}

/// The shim process on the host's clock. Its agent always answers, so the health
/// monitor never asks it to exit; were it to, the request is reported on stderr (the
/// stress node has no process of its own to end).
struct HostProcess;

#[async_trait]
impl ProcessPort for HostProcess {
    async fn sleep(&self, d: std::time::Duration) {
        tokio::time::sleep(d).await;
    }

    fn exit(&self, code: i32) {
        eprintln!("the shim asked to exit with {code}");
    }
}

/// A pod's shim: the model's Task service, its events drained as containerd would.
pub fn shim(sid: &str, profile: Profile) -> Arc<TaskService> {
    let capacity = profile.event_publisher.channel_capacity();
    let (events, mut drain) = mpsc::channel::<TaskEvent>(capacity);
    tokio::spawn(async move { while drain.recv().await.is_some() {} });
    let ports = RuntimePorts {
        agent: Arc::new(StdAgent::default()),
        hypervisor: Arc::new(StdVmm {
            up: watch::channel(false).0,
        }),
        hooks: Arc::new(NoHooks),
        shim_pid: 1000,
        resources: Arc::new(ResourceManager::default()),
        process: Arc::new(HostProcess),
    };
    Arc::new(TaskService::new(
        Arc::new(RuntimeHandlerManager::new(sid, events, ports, profile)),
        profile.unset_exit_time,
    ))
}
