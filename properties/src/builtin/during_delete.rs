//! Sometimes situations: another call on a container overlapping its Delete.

use crate::history::{History, Op};
use crate::index::{ContainerIndex, Intervals};
use crate::property::Sometimes;

/// Whether some call on X satisfying `is_op` overlaps in time a Delete on X. Per
/// container, in O(n log n): the calls' intervals are indexed once, and each Delete asks
/// whether one of them meets its own.
fn overlaps_a_delete(h: &History, index: &ContainerIndex, is_op: impl Fn(Op) -> bool) -> bool {
    let mut containers = index.containers();
    containers.any(|(_, calls)| {
        let calls = calls.iter().map(|&i| &h.calls[i]);
        let mut deletes = calls.clone().filter(|c| c.op == Op::Delete).peekable();
        if deletes.peek().is_none() {
            return false;
        }
        let others = Intervals::new(
            calls
                .filter(|c| is_op(c.op))
                .map(|c| (c.invoked_ns, c.end_ns())),
        );
        deletes.any(|d| others.meets(d.invoked_ns, d.end_ns()))
    })
}

/// A State on X overlapping in time a Delete on X: the race of issue #12336 is
/// possible only here.
pub struct StateDuringDelete;

impl Sometimes for StateDuringDelete {
    fn name(&self) -> &'static str {
        "state_during_delete"
    }

    fn hit(&self, h: &History) -> bool {
        self.hit_indexed(h, &ContainerIndex::new(h))
    }

    fn hit_indexed<'h>(&self, h: &'h History, index: &ContainerIndex<'h>) -> bool {
        overlaps_a_delete(h, index, |op| op == Op::State)
    }
}

/// A Kill on X overlapping in time a Delete on X (e.g. `ctr task delete --force`
/// racing CRI's delete-with-kill).
pub struct KillDuringDelete;

impl Sometimes for KillDuringDelete {
    fn name(&self) -> &'static str {
        "kill_during_delete"
    }

    fn hit(&self, h: &History) -> bool {
        self.hit_indexed(h, &ContainerIndex::new(h))
    }

    fn hit_indexed<'h>(&self, h: &'h History, index: &ContainerIndex<'h>) -> bool {
        overlaps_a_delete(h, index, |op| matches!(op, Op::Kill { .. }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::*;

    #[test]
    fn state_during_delete_is_hit_by_an_overlapping_state_on_the_same_id() {
        let h = history(vec![
            call(Op::Delete, "c", 20, 40),
            call(Op::State, "c", 30, 50),
        ]);
        assert!(StateDuringDelete.hit(&h));
    }

    #[test]
    fn state_during_delete_is_missed_by_sequential_or_other_id_states() {
        let h = history(vec![
            call(Op::State, "c", 0, 10),
            call(Op::Delete, "c", 20, 40),
            call(Op::State, "d", 30, 50),
            call(KILL9, "c", 30, 50),
            call(Op::State, "c", 41, 50),
        ]);
        assert!(!StateDuringDelete.hit(&h));
    }

    #[test]
    fn kill_during_delete_is_hit_by_an_overlapping_kill_on_the_same_id() {
        let h = history(vec![
            call(Op::Delete, "c", 20, 0).pending(),
            call(KILL9, "c", 100, 110),
        ]);
        assert!(KillDuringDelete.hit(&h));
    }

    #[test]
    fn kill_during_delete_is_missed_by_sequential_kills_and_overlapping_states() {
        let h = history(vec![
            call(KILL9, "c", 0, 10),
            call(Op::Delete, "c", 20, 40),
            call(Op::State, "c", 30, 50),
            call(KILL9, "d", 30, 50),
        ]);
        assert!(!KillDuringDelete.hit(&h));
    }
}
