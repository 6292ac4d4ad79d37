//! The CRI plugin's side of a pod's life, as far as the shim sees it: run the pod's
//! sandbox and containers, and for each container an exit monitor (a Tasks.Wait) that,
//! when the process exits, gets the task, kills it (SIGKILL, all) and deletes it,
//! tolerating NotFound (containerd `internal/cri/server/events.go`, `handleContainerExit`).

use std::sync::Arc;

use anyhow::{anyhow, Result};
use tracing::{info, warn};

use crate::agent::SIGKILL;
use crate::containerd::Containerd;
use crate::latency::{pause, Site};

/// One pod: its sandbox (pause container) id and its containers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodSpec {
    pub sid: String,
    pub containers: Vec<String>,
}

pub struct Cri {
    pub containerd: Arc<Containerd>,
}

impl Cri {
    async fn grpc_delay(&self) {
        pause(&*self.containerd.timing, Site::Grpc).await;
    }

    /// RunPodSandbox, then CreateContainer and StartContainer for each container; each
    /// task gets its exit monitor.
    pub async fn run_pod(self: &Arc<Self>, pod: &PodSpec) -> Result<()> {
        for id in std::iter::once(&pod.sid).chain(&pod.containers) {
            self.grpc_delay().await;
            self.containerd
                .create(&pod.sid, id)
                .await
                .map_err(|e| anyhow!("create task {id}: {e}"))?;
            self.containerd
                .start(id)
                .await
                .map_err(|e| anyhow!("start task {id}: {e}"))?;
            self.grpc_delay().await;
            let (cri, id) = (self.clone(), id.clone());
            tokio::spawn(async move { cri.monitor_exit(&id).await });
        }
        info!(sid = %pod.sid, "pod ready");
        Ok(())
    }

    async fn monitor_exit(&self, id: &str) {
        let Ok(code) = self.containerd.wait(id).await else {
            return;
        };
        info!(id = %id, exit_status = code, "task exited");
        if let Err(e) = self.containerd.get(id).await {
            if e.is_not_found() {
                return;
            }
        }
        if let Err(e) = self.containerd.kill(id, SIGKILL, true).await {
            if !e.is_not_found() {
                warn!(id = %id, error = %e.message, "failed to kill exited task");
            }
        }
        if let Err(e) = self.containerd.delete(id).await {
            if !e.is_not_found() {
                warn!(id = %id, error = %e.message, "failed to delete exited task");
            }
        }
    }
}
