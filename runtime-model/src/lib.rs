//! A model of Kata Containers' Rust runtime (runtime-rs), operation for operation.
//!
//! The module tree mirrors upstream's crates under `src/runtime-rs/crates/` so that a
//! runtime-rs developer finds each piece where they expect it:
//!
//! | here | upstream |
//! |---|---|
//! | [`common`] | `runtimes/common` (`ContainerManager`, `TaskRequest`, `Error`) |
//! | [`virt_container`] | `runtimes/virt_container` (`VirtContainerManager`, `VirtSandbox`) |
//! | [`runtimes`] | `runtimes/src/manager.rs` (`RuntimeHandlerManager`) |
//! | [`service`] | `service/src/task_service.rs` (the shim v2 ttrpc Task service) |
//! | [`agent`] | `agent/src/lib.rs` (the `Agent` port the VM is reached through) |
//! | [`hypervisor`] | `hypervisor/src/lib.rs` (the `Hypervisor` port) |
//! | [`reference_shim`] | containerd's containerd-shim-runc-v2 task service (profile `runc-v2`) |
//!
//! Behaviour that differs between upstream versions (or the Go shim) is chosen by a
//! [`profile::Profile`]: one switch per difference, never a copy of the model.
//! `FIDELITY.md` beside this crate maps every upstream step to the function that models it.
//!
//! The model only uses tokio (`sync`, `time`, `spawn`), so it runs unchanged on madsim's
//! deterministic scheduler (`--cfg madsim`) and on real tokio.
#![forbid(unsafe_code)]

pub mod agent;
pub mod common;
pub mod hooks;
pub mod hypervisor;
pub mod profile;
pub mod reference_shim;
pub mod resource;
pub mod runtimes;
pub mod service;
pub mod sync;
pub mod virt_container;

pub use profile::Profile;
