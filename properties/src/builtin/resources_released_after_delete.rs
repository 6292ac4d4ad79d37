//! A successful Delete leaves nothing of the container behind.

use crate::history::{History, Op};
use crate::index::ContainerIndex;
use crate::property::{Property, Verdict};

/// After a successful Delete of a container (not followed by a new Create of the id),
/// the final state holds nothing of it: no guest container in any agent, no rootfs or
/// volume still mounted, no entry in any shim's container map.
///
/// Contract: the Go Kata shim's Delete stops the container, deletes it in the VM,
/// unmounts the rootfs and only then forgets it (runtime-rs.md, "The Go runtime"); the
/// reference shim's Delete removes the container (containerd.md, "The reference shim
/// contract"). runtime-rs 3.24's `delete_process` neither calls agent
/// `remove_container` nor cleans rootfs or volumes (runtime-rs.md, "Operation order"):
/// only the exit watcher does, so a Created container that is deleted leaks them.
pub struct ResourcesReleasedAfterDelete;

impl Property for ResourcesReleasedAfterDelete {
    fn name(&self) -> &'static str {
        "resources_released_after_delete"
    }

    fn contract(&self) -> &'static str {
        "runtime-rs.md: Go shim Delete removes the guest container and unmounts rootfs before forgetting it; containerd.md: Delete removes the container"
    }

    /// O(n log n): each successful Delete asks the index whether a Create followed.
    fn check(&self, h: &History) -> Verdict {
        self.check_indexed(h, &ContainerIndex::new(h))
    }

    fn check_indexed<'h>(&self, h: &'h History, index: &ContainerIndex<'h>) -> Verdict {
        h.calls
            .iter()
            .enumerate()
            .filter(|(_, c)| c.op == Op::Delete && c.reply().is_some())
            .filter(|(_, c)| !index.create_in_flight(&c.container, c.invoked_ns, u64::MAX))
            .find_map(|(i, _)| left_behind(h, i))
            .unwrap_or(Verdict::Pass)
    }
}

/// The violation shown by the successful Delete `i`, if the run ended with something of
/// its container left.
pub(crate) fn left_behind(h: &History, i: usize) -> Option<Verdict> {
    let fin = &h.final_state;
    let id = h.calls[i].container.as_str();
    let mut left: Vec<String> = fin
        .guests_holding(id)
        .map(|sandbox| format!("a guest container in sandbox {sandbox}"))
        .chain(
            fin.shims_holding(id)
                .map(|shim| format!("an entry in shim {shim}'s map")),
        )
        .collect();
    if fin.rootfs_mounted.contains(id) {
        left.push("its rootfs mounted".to_string());
    }
    if fin.volumes_mounted.contains(id) {
        left.push("a volume mounted".to_string());
    }
    (!left.is_empty()).then(|| {
        Verdict::violation(
            format!(
                "{} succeeded, yet the run ended with {}",
                h.describe(i),
                left.join(", ")
            ),
            vec![i],
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{Code, FinalState};
    use crate::testing::*;
    use std::collections::BTreeSet;

    fn lifecycle() -> Vec<crate::history::Call> {
        vec![
            call(Op::Create, "c", 0, 10),
            call(Op::Create, "d", 0, 10),
            call(Op::Delete, "c", 20, 30),
        ]
    }

    /// The world still holds everything of container `id` in sandbox `s`.
    fn holding(id: &str) -> FinalState {
        let held: BTreeSet<String> = [id.to_string()].into();
        FinalState {
            shims: [("s".to_string(), held.clone())].into(),
            guests: [("s".to_string(), held.clone())].into(),
            rootfs_mounted: held.clone(),
            volumes_mounted: held,
            ..FinalState::default()
        }
    }

    #[test]
    fn passes_when_only_undeleted_containers_remain() {
        let mut h = history(lifecycle());
        h.final_state = holding("d");
        assert_eq!(ResourcesReleasedAfterDelete.check(&h), Verdict::Pass);
    }

    #[test]
    fn a_leaked_guest_container_and_rootfs_violate() {
        let mut h = history(lifecycle());
        h.final_state = FinalState {
            guests: [("s".to_string(), ["c".to_string()].into())].into(),
            rootfs_mounted: ["c".to_string()].into(),
            ..FinalState::default()
        };
        assert_eq!(evidence(ResourcesReleasedAfterDelete.check(&h)).0, vec![2]);
    }

    #[test]
    fn a_leaked_volume_alone_violates() {
        let mut h = history(lifecycle());
        h.final_state.volumes_mounted = ["c".to_string()].into();
        assert_eq!(evidence(ResourcesReleasedAfterDelete.check(&h)).0, vec![2]);
    }

    #[test]
    fn failed_deletes_and_recreated_ids_are_not_judged() {
        let mut calls = lifecycle();
        calls[2] = calls[2].clone().fails(Code::Unknown);
        calls.push(call(Op::Delete, "d", 40, 50));
        calls.push(call(Op::Create, "d", 60, 70));
        let mut h = history(calls);
        h.final_state = holding("c");
        h.final_state.rootfs_mounted.insert("d".to_string());
        assert_eq!(ResourcesReleasedAfterDelete.check(&h), Verdict::Pass);
    }
}
