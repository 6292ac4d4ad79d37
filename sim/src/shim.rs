//! A pod's shim node: the profile's program (the runtime-rs model, or containerd's
//! reference shim for `runc-v2`) behind the shim v2 ttrpc Task service, its event
//! forwarder to containerd, and the VMM it drives.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use madsim::net::Endpoint;
use madsim::runtime::Handle;
use madsim::task::NodeId;
use runtime_model::common::types::{ShimExit, TaskEvent};
use runtime_model::common::ProcessPort;
use runtime_model::profile::{EventPublisher, Program};
use runtime_model::reference_shim;
use runtime_model::resource::ResourceManager;
use runtime_model::runtimes::{RuntimeHandlerManager, RuntimePorts};
use runtime_model::service::{TaskHandler, TaskService};
use runtime_model::Profile;
use tokio::sync::mpsc;

use crate::fault::{Controls, Gate, Link};
use crate::latency::{Site, Timing};
use crate::net::rpc::{serve, Liveness, RpcClient};
use crate::net::ttrpc::{ttrpc_handler, TtrpcClient, TtrpcHandler};
use crate::net::vsock::AgentClient;
use crate::publisher::{self, EVENTS_SERVICE};
use crate::recorder::Recorder;
use crate::vmm::{FakeVmm, SimHooks};

/// Where a shim finds containerd.
#[derive(Clone)]
pub struct ContainerdAddr {
    pub events: SocketAddr,
    pub up: Liveness,
}

/// One running shim, as the world sees it.
pub struct Shim {
    pub sid: String,
    pub addr: SocketAddr,
    /// The shim process's node.
    pub node: NodeId,
    /// Up while the shim process serves.
    pub up: Liveness,
    /// The program inside, for the final-state snapshot.
    pub handler: Arc<dyn TaskHandler>,
    pub resources: Arc<ResourceManager>,
    pub vmm: Arc<FakeVmm>,
    /// The shim's agent client (a fault can close its connection).
    pub agent: Arc<AgentClient>,
    /// The runtime's OCI hook runner (a fault can make a hook fail).
    pub hooks: Arc<SimHooks>,
}

/// Everything a shim node needs to start.
pub struct ShimSpec {
    pub sid: String,
    pub addr: SocketAddr,
    pub vm_addr: SocketAddr,
    pub shim_pid: u32,
    pub profile: Profile,
    pub timing: Arc<dyn Timing>,
    pub containerd: ContainerdAddr,
    /// Where the shim asks to be reaped (its node killed, containerd told its connection
    /// closed) after a Shutdown that ends it: its node and sandbox id.
    pub reaper: mpsc::UnboundedSender<(NodeId, String)>,
    /// The pod's number (1-based), which names its links.
    pub pod: u8,
    pub recorder: Arc<Recorder>,
    pub controls: Arc<Controls>,
}

impl Shim {
    /// Starts the shim process on a node of its own (`containerd-shim-kata-v2 start`).
    pub fn start(spec: ShimSpec) -> Arc<Shim> {
        let timing = spec.timing.clone();
        let vsock_gate = spec.controls.gate(Link::ShimAgent, spec.pod);
        let vmm = Arc::new(FakeVmm::new(
            format!("vm-{}", spec.sid),
            spec.vm_addr,
            spec.shim_pid + 1,
            timing.clone(),
            spec.recorder.clone(),
            spec.controls.clone(),
            vsock_gate.clone(),
        ));
        let vm_up = vmm.up.clone();
        let agent_timing = timing.clone();
        let agent = Arc::new(AgentClient::new(move |address| {
            let addr: SocketAddr = address.strip_prefix("vsock://")?.parse().ok()?;
            let (vm_up, timing, gate) = (vm_up.clone(), agent_timing.clone(), vsock_gate.clone());
            Some(Box::pin(RpcClient::connect(
                addr,
                vm_up,
                timing,
                Site::Vsock,
                gate,
            )))
        }));
        let resources = Arc::new(ResourceManager::default());
        let hooks = Arc::new(SimHooks::new(timing.clone(), spec.controls.clone()));
        let up = Liveness::new(false);
        let node_id = Arc::new(Mutex::new(None::<NodeId>));
        let ports = RuntimePorts {
            agent: agent.clone(),
            hypervisor: vmm.clone(),
            hooks: hooks.clone(),
            shim_pid: spec.shim_pid,
            resources: resources.clone(),
            process: Arc::new(OwnProcess {
                up: up.clone(),
                node_id: node_id.clone(),
                reaper: spec.reaper.clone(),
                sid: spec.sid.clone(),
            }),
        };
        let capacity = spec.profile.event_publisher.channel_capacity();
        let (handler, events_rx): (Arc<dyn TaskHandler>, _) = match spec.profile.program {
            Program::Kata => {
                let (events_tx, events_rx) = mpsc::channel(capacity);
                let handler = RuntimeHandlerManager::new(&spec.sid, events_tx, ports, spec.profile);
                (Arc::new(handler), events_rx)
            }
            Program::RuncV2 => {
                let (events_tx, events_rx) = mpsc::channel(capacity);
                (
                    Arc::new(reference_shim::Service::new(&ports, events_tx)),
                    events_rx,
                )
            }
        };
        let process = ShimProcess {
            service: Arc::new(TaskService::new(
                handler.clone(),
                spec.profile.unset_exit_time,
            )),
            events: Arc::new(Mutex::new(Some(events_rx))),
            addr: spec.addr,
            timing,
            containerd: spec.containerd.clone(),
            up: up.clone(),
            node_id: node_id.clone(),
            reaper: spec.reaper.clone(),
            sid: spec.sid.clone(),
            gate: spec.controls.gate(Link::ContainerdShim, spec.pod),
            publisher: spec.profile.event_publisher,
        };
        let node = Handle::current()
            .create_node()
            .name(format!("shim-{}", spec.sid))
            .ip(spec.addr.ip())
            .init(move || process.clone().run())
            .build();
        *node_id.lock().unwrap() = Some(node.id());
        crate::nodes::track(node.id());
        Arc::new(Shim {
            sid: spec.sid,
            addr: spec.addr,
            node: node.id(),
            up,
            handler,
            resources,
            vmm,
            agent,
            hooks,
        })
    }
}

/// The shim process as the runtime inside sees it ([`ProcessPort`]): the world's clock,
/// and an exit that ends the shim's node, as a Shutdown does, so containerd sees the
/// connection close.
struct OwnProcess {
    up: Liveness,
    node_id: Arc<Mutex<Option<NodeId>>>,
    reaper: mpsc::UnboundedSender<(NodeId, String)>,
    sid: String,
}

#[async_trait::async_trait]
impl ProcessPort for OwnProcess {
    async fn sleep(&self, d: Duration) {
        crate::clock::sleep(d).await;
    }

    fn exit(&self, code: i32) {
        tracing::warn!(sid = %self.sid, code, "shim process exited");
        self.up.set(false);
        if let Some(id) = *self.node_id.lock().unwrap() {
            let _ = self.reaper.send((id, self.sid.clone()));
        }
    }
}

#[derive(Clone)]
struct ShimProcess {
    service: Arc<TaskService>,
    events: Arc<Mutex<Option<mpsc::Receiver<TaskEvent>>>>,
    addr: SocketAddr,
    timing: Arc<dyn Timing>,
    containerd: ContainerdAddr,
    up: Liveness,
    node_id: Arc<Mutex<Option<NodeId>>>,
    reaper: mpsc::UnboundedSender<(NodeId, String)>,
    sid: String,
    /// The gate of the containerd <-> shim link.
    gate: Gate,
    publisher: EventPublisher,
}

impl ShimProcess {
    async fn run(self) {
        let ep = Endpoint::bind(self.addr)
            .await
            .expect("the shim's port is free");
        if let Some(rx) = self.events.lock().unwrap().take() {
            tokio::spawn(forward_events(
                self.publisher,
                rx,
                self.containerd.clone(),
                self.timing.clone(),
                self.gate.clone(),
            ));
        }
        let (service, up, node_id, reaper, sid) = (
            self.service.clone(),
            self.up.clone(),
            self.node_id.clone(),
            self.reaper.clone(),
            self.sid.clone(),
        );
        let handler: TtrpcHandler = Arc::new(move |req| {
            let (service, up, node_id, reaper, sid) = (
                service.clone(),
                up.clone(),
                node_id.clone(),
                reaper.clone(),
                sid.clone(),
            );
            Box::pin(async move {
                let reply = service.handle(&req).await;
                match reply.exit {
                    ShimExit::Stay => {}
                    ShimExit::AfterReply => {
                        // The shim process exits right after answering Shutdown.
                        tokio::spawn(async move {
                            crate::clock::sleep(Duration::from_millis(1)).await;
                            up.set(false);
                            if let Some(id) = *node_id.lock().unwrap() {
                                let _ = reaper.send((id, sid));
                            }
                        });
                    }
                    ShimExit::WithoutReply => {
                        // The process exits inside the handler: no answer is ever sent,
                        // the caller sees the connection close.
                        up.set(false);
                        if let Some(id) = *node_id.lock().unwrap() {
                            let _ = reaper.send((id, sid));
                        }
                        std::future::pending::<()>().await;
                    }
                }
                reply.response
            })
        });
        self.up.set(true);
        serve(
            ep,
            self.timing.clone(),
            Site::Ttrpc,
            self.gate.clone(),
            ttrpc_handler(handler),
        )
        .await;
    }
}

/// Connects to containerd's event service and runs the profile's publisher on it.
async fn forward_events(
    publisher: EventPublisher,
    events: mpsc::Receiver<TaskEvent>,
    containerd: ContainerdAddr,
    timing: Arc<dyn Timing>,
    gate: Gate,
) {
    let Ok(rpc) =
        RpcClient::connect(containerd.events, containerd.up, timing, Site::Ttrpc, gate).await
    else {
        return;
    };
    publisher::publish(publisher, events, TtrpcClient::new(rpc, EVENTS_SERVICE)).await;
}
