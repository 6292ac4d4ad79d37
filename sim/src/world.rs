//! The simulated node: containerd (with `ctr` and CRI on the same host), one shim node per
//! pod, and one VM node per pod that its shim's VMM boots.
//!
//! Addresses: containerd 10.0.0.1, the shim of pod i 10.0.1.i, its VM 10.0.2.i.

use std::sync::Arc;

use anyhow::{Context, Result};
use madsim::net::Endpoint;
use madsim::runtime::Handle;
use madsim::task::NodeId;
use properties::FinalState;
use runtime_model::service::TASK_SERVICE;
use runtime_model::Profile;
use tokio::sync::mpsc;

use crate::containerd::{Containerd, ListOrder, ShimConn};
use crate::cri::{Cri, PodSpec};
use crate::ctr::Ctr;
use crate::fault::{Controls, Gate, Link};
use crate::latency::{Site, Timing};
use crate::net::host_addr;
use crate::net::rpc::{serve, RpcClient};
use crate::net::ttrpc::TtrpcClient;
use crate::recorder::Recorder;
use crate::shim::{ContainerdAddr, Shim, ShimSpec};

/// The name of the node containerd runs on.
pub const CONTAINERD_NODE: &str = "containerd";

/// containerd's host number (10.0.0.1).
pub const CONTAINERD_HOST: u16 = 1;

/// The world as the scenario drives it.
pub struct World {
    pub containerd: Arc<Containerd>,
    pub ctr: Arc<Ctr>,
    pub cri: Arc<Cri>,
    pub pods: Vec<PodSpec>,
    /// One shim per pod, in pod order.
    pub shims: Vec<Arc<Shim>>,
    /// The gates and heal signal faults work through.
    pub controls: Arc<Controls>,
    /// The profile the shims run.
    pub profile: Profile,
}

impl World {
    /// Starts containerd's services and one shim per pod. Must run on containerd's node.
    pub async fn start(
        profile: Profile,
        timing: Arc<dyn Timing>,
        recorder: Arc<Recorder>,
        pods: Vec<PodSpec>,
        list_order: ListOrder,
    ) -> Result<World> {
        let containerd = Containerd::new(recorder.clone(), timing.clone(), list_order);
        let controls = Arc::new(Controls::default());
        let events_addr = host_addr(CONTAINERD_HOST);
        let ep = Endpoint::bind(events_addr)
            .await
            .context("bind containerd's event service")?;
        tokio::spawn(serve(
            ep,
            timing.clone(),
            Site::Ttrpc,
            Gate::open(),
            containerd.events_handler(),
        ));
        let (reaper, mut reap) = mpsc::unbounded_channel::<(NodeId, String)>();
        let on_close = containerd.clone();
        tokio::spawn(async move {
            while let Some((node, sid)) = reap.recv().await {
                Handle::current().kill(node);
                on_close.shim_closed(&sid).await;
            }
        });
        let mut shims = Vec::with_capacity(pods.len());
        for (i, pod) in pods.iter().enumerate() {
            let n = i as u16 + 1;
            let shim = Shim::start(ShimSpec {
                sid: pod.sid.clone(),
                addr: host_addr(0x100 + n),
                vm_addr: host_addr(0x200 + n),
                shim_pid: 1000 + 10 * u32::from(n),
                profile,
                timing: timing.clone(),
                containerd: ContainerdAddr {
                    events: events_addr,
                    up: containerd.up.clone(),
                },
                reaper: reaper.clone(),
                pod: n as u8,
                recorder: recorder.clone(),
                controls: controls.clone(),
            });
            let _ = shim.up.watch().wait_for(|up| *up).await;
            let rpc = RpcClient::connect(
                shim.addr,
                shim.up.clone(),
                timing.clone(),
                Site::Ttrpc,
                controls.gate(Link::ContainerdShim, n as u8),
            )
            .await
            .context("connect to the shim")?;
            containerd.add_shim(Arc::new(ShimConn::new(
                &pod.sid,
                TtrpcClient::new(rpc, TASK_SERVICE),
                recorder.clone(),
            )));
            shims.push(shim);
        }
        // The shim binary's `delete` for a dead shim: the sandbox's VM goes and its host
        // mounts (the bundle's rootfs, the shared mounts) are removed.
        let sandboxes: std::collections::BTreeMap<String, _> = shims
            .iter()
            .map(|s| (s.sid.clone(), (s.vmm.clone(), s.resources.clone())))
            .collect();
        containerd.on_shim_binary_delete(Box::new(move |sid| {
            if let Some((vmm, resources)) = sandboxes.get(sid) {
                vmm.crash();
                resources.cleanup();
            }
        }));
        Ok(World {
            ctr: Arc::new(Ctr {
                containerd: containerd.clone(),
            }),
            cri: Arc::new(Cri {
                containerd: containerd.clone(),
            }),
            containerd,
            pods,
            shims,
            controls,
            profile,
        })
    }

    /// What is left: containerd's task list, each live shim's container map, each
    /// running VM's guest containers, and the host mounts every sandbox still holds.
    pub async fn final_state(&self) -> FinalState {
        let mut state = FinalState {
            task_list: self.containerd.task_ids(),
            ..FinalState::default()
        };
        for shim in &self.shims {
            if shim.up.is_up() {
                let ids = shim.handler.container_ids().await;
                state
                    .shims
                    .insert(shim.sid.clone(), ids.into_iter().collect());
            }
            if let Some(ids) = shim.vmm.guest_containers() {
                state
                    .guests
                    .insert(shim.sid.clone(), ids.into_iter().collect());
                state.running_vms.insert(shim.sid.clone());
            }
            state.rootfs_mounted.extend(shim.resources.rootfs_mounted());
            state
                .volumes_mounted
                .extend(shim.resources.volumes_mounted());
        }
        state
    }

    /// Runs every pod, all at once as kubelet would, and waits until all are ready.
    pub async fn run_pods(&self) -> Result<()> {
        let handles: Vec<_> = self
            .pods
            .iter()
            .map(|pod| {
                let (cri, pod) = (self.cri.clone(), pod.clone());
                tokio::spawn(async move { cri.run_pod(&pod).await })
            })
            .collect();
        // Every pod's setup ends before this returns, failed or not; the first failure is
        // the answer.
        let mut first_error = None;
        for h in handles {
            if let Err(e) = h.await.context("pod setup task").and_then(|r| r) {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}
