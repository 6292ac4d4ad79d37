//! `hypervisor/src/lib.rs`: the port through which the runtime drives the VMM.

use anyhow::Result;
use async_trait::async_trait;

/// Upstream's `start_vm` timeout in the sandbox start path (ms).
pub const START_VM_TIMEOUT_MS: u64 = 10_000;

/// The hypervisor calls the model makes.
#[async_trait]
pub trait Hypervisor: Send + Sync {
    async fn prepare_vm(&self, id: &str) -> Result<()>;
    async fn start_vm(&self, timeout_ms: u64) -> Result<()>;
    async fn stop_vm(&self) -> Result<()>;
    /// Returns the VMM's exit code when the VM ends.
    async fn wait_vm(&self) -> Result<i32>;
    async fn get_vmm_master_tid(&self) -> Result<u32>;
    async fn get_ns_path(&self) -> Result<String>;
    /// The vsock address the agent listens on once the VM runs.
    async fn get_agent_socket(&self) -> Result<String>;
    async fn cleanup(&self) -> Result<()>;
}
