//! `runtimes/common/src/container_manager.rs`: trait `ContainerManager`.

use anyhow::Result;
use async_trait::async_trait;

use super::types::{
    ContainerConfig, ContainerProcess, KillRequest, Pid, ProcessExitStatus, ProcessStateInfo,
    ShutdownRequest,
};

/// The operations a runtime's container manager offers to the runtime handler.
/// (Upstream also has stats, update, connect, close_process_io, exec_process,
/// resize_process_pty and pid; kata-dst's workloads do not drive them yet.)
#[async_trait]
pub trait ContainerManager: Send + Sync {
    async fn create_container(&self, config: ContainerConfig) -> Result<Pid>;
    async fn pause_container(&self, process: &ContainerProcess) -> Result<()>;
    async fn resume_container(&self, process: &ContainerProcess) -> Result<()>;
    async fn delete_process(&self, process: &ContainerProcess) -> Result<ProcessStateInfo>;
    async fn kill_process(&self, req: &KillRequest) -> Result<()>;
    async fn start_process(&self, process: &ContainerProcess) -> Result<Pid>;
    async fn state_process(&self, process: &ContainerProcess) -> Result<ProcessStateInfo>;
    async fn wait_process(&self, process: &ContainerProcess) -> Result<ProcessExitStatus>;
    async fn need_shutdown_sandbox(&self, req: &ShutdownRequest) -> bool;
    async fn is_sandbox_container(&self, process: &ContainerProcess) -> bool;
}
