//! `runtimes/src`: the runtime handler that dispatches task requests.

pub mod manager;

pub use crate::common::RuntimePorts;
pub use manager::{RuntimeHandlerManager, RuntimeInstance};
