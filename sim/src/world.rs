//! The simulated node: containerd (with `ctr` and CRI on the same host), one shim node per
//! pod, and one VM node per pod that its shim's VMM boots.
//!
//! Addresses: containerd 10.0.0.1, the shim of pod i 10.0.1.i, its VM 10.0.2.i.

use std::sync::Arc;

use anyhow::{Context, Result};
use madsim::net::Endpoint;
use madsim::runtime::Handle;
use madsim::task::NodeId;
use runtime_model::service::TASK_SERVICE;
use runtime_model::Profile;
use tokio::sync::mpsc;

use crate::containerd::{Containerd, ShimConn};
use crate::cri::{Cri, PodSpec};
use crate::ctr::Ctr;
use crate::latency::{Site, Timing};
use crate::net::host_addr;
use crate::net::rpc::{serve, RpcClient};
use crate::net::ttrpc::TtrpcClient;
use crate::recorder::Recorder;
use crate::shim::{ContainerdAddr, Shim, ShimSpec};

/// containerd's host number (10.0.0.1).
pub const CONTAINERD_HOST: u16 = 1;

/// The world as the scenario drives it.
pub struct World {
    pub containerd: Arc<Containerd>,
    pub ctr: Arc<Ctr>,
    pub cri: Arc<Cri>,
    pub pods: Vec<PodSpec>,
}

impl World {
    /// Starts containerd's services and one shim per pod. Must run on containerd's node.
    pub async fn start(
        profile: Profile,
        timing: Arc<dyn Timing>,
        recorder: Arc<Recorder>,
        pods: Vec<PodSpec>,
    ) -> Result<World> {
        let containerd = Containerd::new(recorder.clone(), timing.clone());
        let events_addr = host_addr(CONTAINERD_HOST);
        let ep = Endpoint::bind(events_addr)
            .await
            .context("bind containerd's event service")?;
        tokio::spawn(serve(
            ep,
            timing.clone(),
            Site::Ttrpc,
            containerd.events_handler(),
        ));
        let (reaper, mut reap) = mpsc::unbounded_channel::<NodeId>();
        tokio::spawn(async move {
            while let Some(node) = reap.recv().await {
                Handle::current().kill(node);
            }
        });
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
            });
            let _ = shim.up.watch().wait_for(|up| *up).await;
            let rpc = RpcClient::connect(shim.addr, shim.up.clone(), timing.clone(), Site::Ttrpc)
                .await
                .context("connect to the shim")?;
            containerd.add_shim(Arc::new(ShimConn::new(
                &pod.sid,
                TtrpcClient::new(rpc, TASK_SERVICE),
                recorder.clone(),
            )));
        }
        Ok(World {
            ctr: Arc::new(Ctr {
                containerd: containerd.clone(),
            }),
            cri: Arc::new(Cri {
                containerd: containerd.clone(),
            }),
            containerd,
            pods,
        })
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
        for h in handles {
            h.await.context("pod setup task")??;
        }
        Ok(())
    }
}
