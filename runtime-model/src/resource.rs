//! `resource/src/manager.rs`: the host-side resources a sandbox hands its containers.
//! The model keeps what a release check needs: which containers still have their rootfs
//! and their volumes mounted on the host (shared into the guest).
//!
//! Upstream, `Container::new` takes the rootfs and volumes from the resource manager
//! (`handler_rootfs`, `handler_volumes`) and `cleanup_container` releases them; a
//! container dropped from the map without that cleanup leaves them mounted.

use std::collections::BTreeSet;
use std::sync::Mutex;

/// The mounts the sandbox's containers hold.
#[derive(Debug, Default)]
pub struct ResourceManager {
    rootfs: Mutex<BTreeSet<String>>,
    volumes: Mutex<BTreeSet<String>>,
}

impl ResourceManager {
    /// `handler_rootfs` and `handler_volumes` for a new container.
    pub fn mount(&self, container_id: &str) {
        self.rootfs.lock().unwrap().insert(container_id.to_string());
        self.volumes
            .lock()
            .unwrap()
            .insert(container_id.to_string());
    }

    /// The volumes' and the rootfs's `cleanup`.
    pub fn umount(&self, container_id: &str) {
        self.volumes.lock().unwrap().remove(container_id);
        self.rootfs.lock().unwrap().remove(container_id);
    }

    /// The sandbox's `cleanup` (`resource/src/manager_inner.rs` `cleanup` at 3.24.0): the
    /// share-fs mount of the sandbox goes, and with it every rootfs and volume shared
    /// into the guest through it.
    pub fn cleanup(&self) {
        self.volumes.lock().unwrap().clear();
        self.rootfs.lock().unwrap().clear();
    }

    /// Containers whose rootfs is still mounted.
    pub fn rootfs_mounted(&self) -> BTreeSet<String> {
        self.rootfs.lock().unwrap().clone()
    }

    /// Containers with volumes still mounted.
    pub fn volumes_mounted(&self) -> BTreeSet<String> {
        self.volumes.lock().unwrap().clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn umount_releases_what_mount_took() {
        let r = ResourceManager::default();
        r.mount("a");
        r.mount("b");
        r.umount("a");
        assert_eq!(r.rootfs_mounted(), ["b".to_string()].into());
        assert_eq!(r.volumes_mounted(), ["b".to_string()].into());
    }
}
