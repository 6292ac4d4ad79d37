//! `ctr` commands as the article's script runs them (containerd's `cmd/ctr`). Each
//! invocation first pays the cost of starting a `ctr` process, then talks gRPC to
//! containerd's Tasks service.

use std::future::Future;
use std::sync::Arc;

use containerd_shim_protos::api::Status;

use crate::containerd::rules::ctr_may_delete;
use crate::containerd::{Containerd, CtrdError, TaskInfo};
use crate::latency::{pause, Site};

pub struct Ctr {
    pub containerd: Arc<Containerd>,
}

impl Ctr {
    /// One gRPC call to containerd: a one-way delay each direction around the service.
    async fn grpc<T>(&self, call: impl Future<Output = T>) -> T {
        pause(&*self.containerd.timing, Site::Grpc).await;
        let out = call.await;
        pause(&*self.containerd.timing, Site::Grpc).await;
        out
    }

    async fn exec(&self) {
        pause(&*self.containerd.timing, Site::CtrExec).await;
    }

    /// `ctr -n k8s.io task ls`: one Tasks.List.
    pub async fn task_ls(&self) -> Vec<TaskInfo> {
        self.exec().await;
        self.grpc(self.containerd.list()).await
    }

    /// `ctr -n k8s.io task kill --signal S ID`.
    pub async fn task_kill(&self, id: &str, signal: u32) -> Result<(), CtrdError> {
        self.exec().await;
        self.grpc(self.containerd.kill(id, signal, false)).await
    }

    /// `ctr -n k8s.io task delete ID`: load the task (NotFound: `no running task found`),
    /// require a stopped, unknown or pid-0 created status, then Tasks.Delete.
    pub async fn task_delete(&self, id: &str) -> Result<u32, String> {
        self.exec().await;
        let task = match self.grpc(self.containerd.get(id)).await {
            Ok(t) => t,
            Err(e) if e.is_not_found() => return Err(format!("no running task found: {e}")),
            Err(e) => return Err(format!("unable to delete {id}: {e}")),
        };
        if !ctr_may_delete(task.status, task.pid) {
            return Err(format!(
                "unable to delete {id}: task must be stopped before deletion: {:?}: failed precondition",
                task.status
            ));
        }
        self.grpc(self.containerd.delete(id))
            .await
            .map_err(|e| format!("unable to delete {id}: {e}"))
    }

    /// `ctr -n k8s.io container delete ID`: if Tasks.Get fails, delete the metadata; if
    /// the task is stopped or created, delete the task, then the metadata; otherwise
    /// refuse.
    pub async fn container_delete(&self, id: &str) -> Result<(), String> {
        self.exec().await;
        match self.grpc(self.containerd.get(id)).await {
            Err(_) => {}
            Ok(t) if matches!(t.status, Status::STOPPED | Status::CREATED) => {
                self.grpc(self.containerd.delete(id))
                    .await
                    .map_err(|e| format!("failed to delete task {id}: {e}"))?;
            }
            Ok(_) => return Err(format!("cannot delete a non stopped container: {id}")),
        }
        self.grpc(async { self.containerd.delete_container(id) })
            .await
            .map_err(|e| e.to_string())
    }
}
