//! The fake VMM: implements the model's `Hypervisor` port by creating, killing and
//! watching the pod's VM node. Booting the VM starts the fake kata-agent on that node;
//! stopping or crashing it kills the node, which drops the agent and closes its vsock.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{anyhow, Result};
use async_trait::async_trait;
use madsim::net::Endpoint;
use madsim::runtime::Handle;
use madsim::task::NodeId;
use runtime_model::hypervisor::Hypervisor;

use crate::agent::KataAgent;
use crate::fault::{Controls, Gate};
use crate::latency::{pause, Site, Timing};
use crate::net::rpc::Liveness;
use crate::recorder::Recorder;

/// The VMM of one pod.
pub struct FakeVmm {
    name: String,
    addr: SocketAddr,
    /// The VMM process's thread id (what `get_vmm_master_tid` answers).
    tid: u32,
    timing: Arc<dyn Timing>,
    recorder: Arc<Recorder>,
    controls: Arc<Controls>,
    /// The gate of the shim <-> agent link (the agent's answers pass it).
    gate: Gate,
    node: Mutex<Option<NodeId>>,
    /// The agent of the running VM, if one was booted.
    agent: Arc<Mutex<Option<Arc<KataAgent>>>>,
    /// Up while the VM runs and its agent listens.
    pub up: Liveness,
    /// A boot fault armed for the next boot: the extra delay, whether it fails, and its
    /// record for the history.
    boot_fault: Mutex<Option<(Duration, bool, properties::Fault)>>,
}

impl FakeVmm {
    pub fn new(
        name: String,
        addr: SocketAddr,
        tid: u32,
        timing: Arc<dyn Timing>,
        recorder: Arc<Recorder>,
        controls: Arc<Controls>,
        gate: Gate,
    ) -> FakeVmm {
        FakeVmm {
            name,
            addr,
            tid,
            timing,
            recorder,
            controls,
            gate,
            node: Mutex::new(None),
            agent: Arc::new(Mutex::new(None)),
            up: Liveness::new(false),
            boot_fault: Mutex::new(None),
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

    /// Makes the next boot take `delay` longer and, with `fails`, never come up.
    pub fn arm_boot(&self, delay: Duration, fails: bool, record: properties::Fault) {
        *self.boot_fault.lock().unwrap() = Some((delay, fails, record));
    }

    /// The VM's node, while it runs.
    pub fn node(&self) -> Option<NodeId> {
        *self.node.lock().unwrap()
    }

    /// The agent of the running VM, if one runs.
    pub fn agent(&self) -> Option<Arc<KataAgent>> {
        if !self.up.is_up() {
            return None;
        }
        self.agent.lock().unwrap().clone()
    }

    /// Ends the VM at once, as a VMM crash or a host OOM kill would: every guest process
    /// dies with it.
    pub fn crash(&self) {
        if let Some(node) = self.node.lock().unwrap().take() {
            if let Some(agent) = self.agent.lock().unwrap().take() {
                agent.die_with_vm();
            }
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
        let fault = self.boot_fault.lock().unwrap().take();
        if let Some((delay, fails, record)) = fault {
            self.recorder.fault(record);
            crate::clock::sleep(delay).await;
            if fails {
                return Err(anyhow!(
                    "VM failed to boot: guest kernel panic (injected fault)"
                ));
            }
        }
        let boot = self.timing.delay(Site::VmBoot);
        if boot.as_millis() as u64 > timeout_ms {
            return Err(anyhow!("VM did not start within {timeout_ms} ms"));
        }
        crate::clock::sleep(boot).await;
        let listening = Liveness::new(false);
        let (serving, addr, timing) = (listening.clone(), self.addr, self.timing.clone());
        let (recorder, controls, gate) = (
            self.recorder.clone(),
            self.controls.clone(),
            self.gate.clone(),
        );
        let slot = self.agent.clone();
        let node = Handle::current()
            .create_node()
            .name(self.name.clone())
            .ip(addr.ip())
            .init(move || {
                // A booted VM starts with an empty guest: a fresh agent.
                let agent = KataAgent::new(timing.clone(), recorder.clone(), controls.clone());
                let (serving, gate) = (serving.clone(), gate.clone());
                *slot.lock().unwrap() = Some(agent.clone());
                async move {
                    let ep = Endpoint::bind(addr)
                        .await
                        .expect("the VM's vsock port is free");
                    serving.set(true);
                    agent.serve(ep, gate).await;
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

/// Runs each hook stage in the time the run's timing decides. A fault can make the next
/// hook run fail ([`SimHooks::fail_next`]) or late ([`SimHooks::delay_next`]); healing
/// disarms either if it never triggered.
pub struct SimHooks {
    pub timing: Arc<dyn Timing>,
    pub controls: Arc<Controls>,
    failing: AtomicBool,
    /// Extra time the next hook run takes.
    late: Mutex<Option<Duration>>,
}

impl SimHooks {
    pub fn new(timing: Arc<dyn Timing>, controls: Arc<Controls>) -> SimHooks {
        SimHooks {
            timing,
            controls,
            failing: AtomicBool::new(false),
            late: Mutex::new(None),
        }
    }

    /// The next hook run takes `delay` longer.
    pub fn delay_next(&self, delay: Duration) {
        *self.late.lock().unwrap() = Some(delay);
    }

    /// The next hook run fails.
    pub fn fail_next(&self) {
        self.failing.store(true, Ordering::Relaxed);
    }
}

#[async_trait]
impl runtime_model::hooks::HookRunner for SimHooks {
    async fn run(&self, stage: runtime_model::hooks::HookStage, container_id: &str) -> Result<()> {
        pause(&*self.timing, Site::Hook).await;
        let late = self.late.lock().unwrap().take();
        if let Some(delay) = late.filter(|_| !self.controls.is_healed()) {
            crate::clock::sleep(delay).await;
        }
        let failing = self.failing.swap(false, Ordering::Relaxed);
        if failing && !self.controls.is_healed() {
            return Err(anyhow!(
                "{stage:?} hook of {container_id} failed: exit status 1 (injected fault)"
            ));
        }
        Ok(())
    }
}
