//! `agent/src/lib.rs`: the port through which the runtime reaches the kata-agent in the VM.
//!
//! Request and response types keep upstream's names and the fields the model uses. They are
//! serde types so that a transport (the simulation's vsock) can encode them.

use anyhow::Result;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// Upstream's default `request_timeout_ms` for agent calls that have a deadline.
pub const DEFAULT_REQUEST_TIMEOUT_MS: u64 = 30_000;
/// The agent client's deadline for a health `check` (`health_check_request_timeout_ms`,
/// kata-types 3.24.0 `config/agent.rs:179`).
pub const HEALTH_CHECK_REQUEST_TIMEOUT_MS: u64 = 90_000;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerID {
    pub container_id: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerProcessID {
    pub container_id: ContainerID,
    pub exec_id: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateContainerRequest {
    pub process_id: ContainerProcessID,
    /// The command line of the container's init process (from the OCI spec).
    pub args: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoveContainerRequest {
    pub container_id: String,
    pub timeout: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignalProcessRequest {
    pub process_id: ContainerProcessID,
    pub signal: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitProcessRequest {
    pub process_id: ContainerProcessID,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitProcessResponse {
    pub status: i32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateSandboxRequest {
    pub sandbox_id: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckRequest {
    pub service: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthCheckResponse {
    pub status: u32,
}

/// The agent calls the model makes. Every call but `wait_process` has a deadline of
/// `request_timeout_ms` in upstream's implementation; that deadline belongs to the
/// implementation (the transport), not to the callers.
#[async_trait]
pub trait Agent: Send + Sync {
    /// Connects to the agent at `address` (the VM's vsock).
    async fn start(&self, address: &str) -> Result<()>;
    async fn create_sandbox(&self, req: CreateSandboxRequest) -> Result<()>;
    async fn destroy_sandbox(&self) -> Result<()>;
    async fn create_container(&self, req: CreateContainerRequest) -> Result<()>;
    async fn start_container(&self, req: ContainerID) -> Result<()>;
    async fn remove_container(&self, req: RemoveContainerRequest) -> Result<()>;
    async fn pause_container(&self, req: ContainerID) -> Result<()>;
    async fn resume_container(&self, req: ContainerID) -> Result<()>;
    async fn signal_process(&self, req: SignalProcessRequest) -> Result<()>;
    /// No deadline upstream: it returns when the process exits.
    async fn wait_process(&self, req: WaitProcessRequest) -> Result<WaitProcessResponse>;
    async fn check(&self, req: CheckRequest) -> Result<HealthCheckResponse>;
    /// Disconnects (`agent.stop()` upstream).
    async fn stop(&self);
}
