//! What was left in the simulated world when the run ended.

use std::collections::{BTreeMap, BTreeSet};

/// A snapshot of the world taken when the run ended.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct FinalState {
    /// The task ids containerd still held in its task list.
    pub task_list: BTreeSet<String>,
    /// Every shim process still alive, by shim (sandbox) id, with the container ids
    /// still in its container map.
    pub shims: BTreeMap<String, BTreeSet<String>>,
    /// Per agent, by sandbox id, the guest container ids still present in the VM.
    pub guests: BTreeMap<String, BTreeSet<String>>,
    /// Containers whose rootfs is still mounted.
    pub rootfs_mounted: BTreeSet<String>,
    /// Containers with at least one volume still mounted.
    pub volumes_mounted: BTreeSet<String>,
    /// Sandbox ids whose VM is still running.
    pub running_vms: BTreeSet<String>,
}

impl FinalState {
    /// The shims (by sandbox id, ascending) still alive whose container map still holds
    /// `container`; empty when no shim does.
    ///
    /// ```
    /// use properties::FinalState;
    /// let fin = FinalState {
    ///     shims: [("s".to_string(), ["c".to_string()].into())].into(),
    ///     ..FinalState::default()
    /// };
    /// assert_eq!(fin.shims_holding("c").collect::<Vec<_>>(), ["s"]);
    /// assert_eq!(fin.shims_holding("d").count(), 0);
    /// ```
    pub fn shims_holding<'a>(&'a self, container: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        held_by(&self.shims, container)
    }

    /// The agents (by sandbox id, ascending) that still have `container` in their
    /// guest; empty when none does.
    pub fn guests_holding<'a>(&'a self, container: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        held_by(&self.guests, container)
    }
}

fn held_by<'a>(
    owners: &'a BTreeMap<String, BTreeSet<String>>,
    container: &'a str,
) -> impl Iterator<Item = &'a str> + 'a {
    owners
        .iter()
        .filter(move |(_, held)| held.contains(container))
        .map(|(owner, _)| owner.as_str())
}
