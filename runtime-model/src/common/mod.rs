//! `runtimes/common`: the types and the `ContainerManager` trait shared by runtimes.

pub mod container_manager;
pub mod error;
pub mod ports;
pub mod types;

pub use container_manager::ContainerManager;
pub use error::Error;
pub use ports::{ProcessPort, RuntimePorts};
