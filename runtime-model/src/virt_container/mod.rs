//! `runtimes/virt_container`: the VM-based runtime (the sandbox and its container manager).

pub mod container_manager;
pub mod health_check;
pub mod sandbox;

pub use container_manager::VirtContainerManager;
pub use sandbox::{SandboxState, VirtSandbox};
