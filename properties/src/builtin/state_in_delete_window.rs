//! Sometimes situation: a listed State sent after the Delete that removes the id.

use crate::history::{History, Op};
use crate::index::ContainerIndex;
use crate::property::Sometimes;

/// A State on X that containerd sent because X was still in its task list, invoked
/// after a Delete of X had been sent and before that Delete returned successfully: the
/// window of issue #12336 between the shim dropping X and containerd removing it from
/// its list on the Delete's return trip (containerd.md, "shimTask.delete", step 3).
pub struct StateInDeleteWindow;

impl Sometimes for StateInDeleteWindow {
    fn name(&self) -> &'static str {
        "state_in_delete_window"
    }

    /// Per container, in O(n log n): the listed States' invocation times are sorted
    /// once, and each successful Delete looks for one inside its window.
    fn hit(&self, h: &History) -> bool {
        self.hit_indexed(h, &ContainerIndex::new(h))
    }

    fn hit_indexed<'h>(&self, h: &'h History, index: &ContainerIndex<'h>) -> bool {
        let mut containers = index.containers();
        containers.any(|(_, calls)| {
            let calls = calls.iter().map(|&i| &h.calls[i]);
            let mut listed_states: Vec<u64> = calls
                .clone()
                .filter(|s| s.op == Op::State && s.listed_at_invoke)
                .map(|s| s.invoked_ns)
                .collect();
            listed_states.sort_unstable();
            calls
                .filter(|d| d.op == Op::Delete && d.reply().is_some())
                .any(|delete| {
                    let after = listed_states.partition_point(|&s| s <= delete.invoked_ns);
                    listed_states
                        .get(after)
                        .is_some_and(|&s| s <= delete.end_ns())
                })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::Code;
    use crate::testing::*;

    #[test]
    fn is_hit_by_a_listed_state_sent_while_a_successful_delete_is_in_flight() {
        let h = history(vec![
            call(Op::Delete, "c", 20, 40),
            call(Op::State, "c", 30, 50).listed().fails(Code::Unknown),
        ]);
        assert!(StateInDeleteWindow.hit(&h));
    }

    #[test]
    fn is_missed_by_states_sent_before_the_delete_unlisted_or_during_a_failed_delete() {
        let h = history(vec![
            call(Op::State, "c", 10, 30).listed(),
            call(Op::Delete, "c", 20, 40),
            call(Op::State, "c", 30, 50),
            call(Op::Delete, "d", 20, 40).fails(Code::Unknown),
            call(Op::State, "d", 30, 50).listed(),
        ]);
        assert!(!StateInDeleteWindow.hit(&h));
    }
}
