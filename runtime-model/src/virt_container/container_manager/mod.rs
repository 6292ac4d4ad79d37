//! `virt_container/src/container_manager/`.

pub mod container;
pub mod container_inner;
pub mod manager;
pub mod process;

pub use container::Container;
pub use container_inner::ContainerInner;
pub use manager::VirtContainerManager;
pub use process::Process;

use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::RwLock;

/// The container map shared by the manager and every exit watcher.
pub type ContainerMap = Arc<RwLock<HashMap<String, Container>>>;
