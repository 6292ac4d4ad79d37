//! OCI hooks as the runtime runs them (upstream: `oci::Hooks` run by `runtimes/common`'s hook
//! helpers). They run on the host, so they are a port of their own: the simulation decides
//! how long a hook takes and whether it fails.

use anyhow::Result;
use async_trait::async_trait;

/// The hook stages the modelled operations run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HookStage {
    /// `prestart`/`createRuntime` hooks run by `VirtSandbox::start` after `start_vm`.
    Sandbox,
    /// `createContainer` hooks run by `create_container` before the map lock.
    CreateContainer,
    /// `poststart` hooks run by `start_process` after the start.
    PostStart,
    /// `poststop` hooks run by `delete_process`.
    PostStop,
}

/// Runs the hooks of one stage for one container.
#[async_trait]
pub trait HookRunner: Send + Sync {
    async fn run(&self, stage: HookStage, container_id: &str) -> Result<()>;
}
