//! Sometimes situation: containerd's List asking a shim for a task whose Create is in
//! flight.

use crate::history::{History, Op};
use crate::index::{ContainerIndex, Intervals};
use crate::property::Sometimes;

/// A State on X that containerd sent for a listed task (not a client on the shim's
/// socket) overlapping in time a Create on X. containerd lists a task from its shim's
/// start, before the Create RPC (containerd.md, "The task list and shimTask.delete";
/// v1.7.34 `runtime/v2/manager.go` ShimManager.Start, then TaskManager.Create), so a
/// `ctr task ls` during pod creation reaches a shim that may not hold the container yet
/// (for a pod's first container, not even its runtime instance).
pub struct StateDuringCreate;

impl Sometimes for StateDuringCreate {
    fn name(&self) -> &'static str {
        "state_during_create"
    }

    fn hit(&self, h: &History) -> bool {
        self.hit_indexed(h, &ContainerIndex::new(h))
    }

    fn hit_indexed<'h>(&self, h: &'h History, index: &ContainerIndex<'h>) -> bool {
        let mut containers = index.containers();
        containers.any(|(_, calls)| {
            let calls = calls.iter().map(|&i| &h.calls[i]);
            let states = Intervals::new(
                calls
                    .clone()
                    .filter(|c| c.op == Op::State && c.listed_at_invoke && !c.direct)
                    .map(|c| (c.invoked_ns, c.end_ns())),
            );
            calls
                .filter(|c| c.op == Op::Create)
                .any(|c| states.meets(c.invoked_ns, c.end_ns()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::*;

    #[test]
    fn a_listed_state_overlapping_the_same_ids_create_is_a_hit() {
        let h = history(vec![
            call(Op::Create, "c", 10, 40),
            call(Op::State, "c", 20, 30).listed(),
        ]);
        assert!(StateDuringCreate.hit(&h));
        let pending = history(vec![
            call(Op::Create, "c", 10, 0).pending(),
            call(Op::State, "c", 500, 510).listed(),
        ]);
        assert!(StateDuringCreate.hit(&pending));
    }

    #[test]
    fn unlisted_direct_later_or_other_id_states_are_missed() {
        let h = history(vec![
            call(Op::Create, "c", 10, 40),
            call(Op::State, "c", 20, 30),
            call(Op::State, "c", 20, 30).listed().direct(),
            call(Op::State, "d", 20, 30).listed(),
            call(Op::State, "c", 41, 50).listed(),
        ]);
        assert!(!StateDuringCreate.hit(&h));
    }
}
