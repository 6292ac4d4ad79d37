//! containerd's reference shim, containerd-shim-runc-v2 (containerd 1.7.34
//! `runtime/v2/runc/task/service.go`, `runtime/v2/runc/container.go`, `pkg/process/`):
//! the task service the shim v2 contract is written against, modelled so the same world,
//! clients and properties judge it (profile `runc-v2`).
//!
//! It is a different program from runtime-rs: one service mutex, a state machine per
//! init process, NotFound for a missing container or a deleted process, Delete of a
//! running task refused, one exit per process. runc and the host kernel are stood in
//! for by the `Agent` port (the simulated agent runs the processes and reports their
//! exits); `FIDELITY.md` section 9 lists what that changes.

pub mod errdefs;
pub mod init;
pub mod service;

pub use service::Service;
