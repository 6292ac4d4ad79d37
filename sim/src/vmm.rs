//! The fake VMM: implements the model's `Hypervisor` port by creating, killing and
//! watching the pod's VM node. Booting the VM starts the fake kata-agent on that node;
//! stopping or crashing it kills the node, which drops the agent and closes its vsock.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use anyhow::{anyhow, Result};
use async_trait::async_trait;
use madsim::net::Endpoint;
use madsim::runtime::Handle;
use madsim::task::NodeId;
use runtime_model::hypervisor::Hypervisor;

use crate::agent::KataAgent;
use crate::latency::{pause, Site, Timing};
use crate::net::rpc::Liveness;

/// The VMM of one pod.
pub struct FakeVmm {
    name: String,
    addr: SocketAddr,
    /// The VMM process's thread id (what `get_vmm_master_tid` answers).
    tid: u32,
    timing: Arc<dyn Timing>,
    node: Mutex<Option<NodeId>>,
    /// The agent of the running VM, if one was booted.
    agent: Arc<Mutex<Option<Arc<KataAgent>>>>,
    /// Up while the VM runs and its agent listens.
    pub up: Liveness,
}

impl FakeVmm {
    pub fn new(name: String, addr: SocketAddr, tid: u32, timing: Arc<dyn Timing>) -> FakeVmm {
        FakeVmm {
            name,
            addr,
            tid,
            timing,
            node: Mutex::new(None),
            agent: Arc::new(Mutex::new(None)),
            up: Liveness::new(false),
        }
    }

    /// The guest's container ids if the VM runs, else None.
    pub fn guest_containers(&self) -> Option<Vec<String>> {
        if !self.up.is_up() {
            return None;
        }
        self.agent
            .lock()
            .unwrap()
            .as_ref()
            .map(|a| a.container_ids())
    }

    /// Ends the VM at once, as a VMM crash or a host OOM kill would.
    pub fn crash(&self) {
        if let Some(node) = self.node.lock().unwrap().take() {
            tracing::trace!(target: "kata_dst::timeline", "fault: the VM ends");
            Handle::current().kill(node);
        }
        self.up.set(false);
    }
}

#[async_trait]
impl Hypervisor for FakeVmm {
    async fn prepare_vm(&self, _id: &str) -> Result<()> {
        Ok(())
    }

    async fn start_vm(&self, timeout_ms: u64) -> Result<()> {
        let boot = self.timing.delay(Site::VmBoot);
        if boot.as_millis() as u64 > timeout_ms {
            return Err(anyhow!("VM did not start within {timeout_ms} ms"));
        }
        crate::clock::sleep(boot).await;
        let listening = Liveness::new(false);
        let (serving, addr, timing) = (listening.clone(), self.addr, self.timing.clone());
        let slot = self.agent.clone();
        let node = Handle::current()
            .create_node()
            .name(self.name.clone())
            .ip(addr.ip())
            .init(move || {
                // A booted VM starts with an empty guest: a fresh agent.
                let (agent, serving) = (KataAgent::new(timing.clone()), serving.clone());
                *slot.lock().unwrap() = Some(agent.clone());
                async move {
                    let ep = Endpoint::bind(addr)
                        .await
                        .expect("the VM's vsock port is free");
                    serving.set(true);
                    agent.serve(ep).await;
                }
            })
            .build();
        let _ = listening.watch().wait_for(|up| *up).await;
        *self.node.lock().unwrap() = Some(node.id());
        crate::nodes::track(node.id());
        self.up.set(true);
        Ok(())
    }

    async fn stop_vm(&self) -> Result<()> {
        self.crash();
        Ok(())
    }

    async fn wait_vm(&self) -> Result<i32> {
        let _ = self.up.watch().wait_for(|up| !*up).await;
        Ok(0)
    }

    async fn get_vmm_master_tid(&self) -> Result<u32> {
        Ok(self.tid)
    }

    async fn get_ns_path(&self) -> Result<String> {
        Ok(format!("/var/run/netns/cni-{}", self.name))
    }

    async fn get_agent_socket(&self) -> Result<String> {
        Ok(format!("vsock://{}", self.addr))
    }

    async fn cleanup(&self) -> Result<()> {
        Ok(())
    }
}

/// Runs each hook stage in the time the run's timing decides; hooks never fail here.
pub struct SimHooks {
    pub timing: Arc<dyn Timing>,
}

#[async_trait]
impl runtime_model::hooks::HookRunner for SimHooks {
    async fn run(
        &self,
        _stage: runtime_model::hooks::HookStage,
        _container_id: &str,
    ) -> Result<()> {
        pause(&*self.timing, Site::Hook).await;
        Ok(())
    }
}
