//! The ports a runtime instance is built on: how a shim reaches its VM and the host.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::agent::Agent;
use crate::common::types::Pid;
use crate::hooks::HookRunner;
use crate::hypervisor::Hypervisor;
use crate::resource::ResourceManager;

/// The ports a runtime instance is built on: how this shim reaches its VM and the host.
#[derive(Clone)]
pub struct RuntimePorts {
    pub agent: Arc<dyn Agent>,
    pub hypervisor: Arc<dyn Hypervisor>,
    pub hooks: Arc<dyn HookRunner>,
    /// The shim process's pid.
    pub shim_pid: Pid,
    /// The sandbox's resource manager (upstream creates it in `new_instance`; passed in
    /// here so a harness can see what is still mounted).
    pub resources: Arc<ResourceManager>,
    /// The shim process itself: its clock, and its end.
    pub process: Arc<dyn ProcessPort>,
}

/// What the runtime does to its own process from inside.
#[async_trait]
pub trait ProcessPort: Send + Sync {
    /// Sleeps `d` of the node's time (`tokio::time::sleep` upstream).
    async fn sleep(&self, d: Duration);
    /// Ends the process at once with `code` (`std::process::exit` upstream): nothing
    /// more runs in it and every connection it holds closes.
    fn exit(&self, code: i32);
}
