//! The ports a runtime instance is built on: how a shim reaches its VM and the host.

use std::sync::Arc;

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
}
