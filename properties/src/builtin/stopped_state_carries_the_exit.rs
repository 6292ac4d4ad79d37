//! A State that says a started process stopped says when it exited.

use std::collections::BTreeMap;

use crate::history::{History, Op, TaskStatus};
use crate::index::ContainerIndex;
use crate::property::{Property, Verdict};

/// A State that answers Stopped for a process that a Start started carries its exit
/// time: stopped, the exit code and the exit time are one fact, and a Stopped answer
/// without the time (read with exit code 0) tells containerd of an exit it cannot date,
/// whose code may not be the real one.
///
/// The Start counts when it succeeded and returned before the State was invoked, with no
/// Create of the id in flight from the Start's invocation to the State's end. A task
/// stopped before any Start (deleted while created) has no exit to carry and is not
/// judged.
///
/// Contract: the reference shim sets the stopped state, the exit code and the exit time
/// in one step (`SetExited`, under the process's mutex), and State's exit_status and
/// exited_at come from the process, zero until it exits (containerd.md, "The reference
/// shim contract"); the Go Kata shim sets STOPPED, the exit code and the exit time
/// together under `s.mu` (runtime-rs.md, "The Go runtime"). runtime-rs 3.24's exit
/// watcher lets `cleanup_container` set Stopped before it writes the exit code and time,
/// and `Process::state` reads them under separate locks (runtime-rs.md, "Operation
/// order"), so a State in between answers Stopped, exit 0, no exit time; PR #12337's
/// synthetic state for a deleted task answers the same (runtime-rs.md, "The proposed
/// fix").
pub struct StoppedStateCarriesTheExit;

impl Property for StoppedStateCarriesTheExit {
    fn name(&self) -> &'static str {
        "stopped_state_carries_the_exit"
    }

    fn contract(&self) -> &'static str {
        "containerd.md: reference shim sets stopped, code and time in one step and State reads them; runtime-rs.md: the Go shim sets STOPPED, code and time together"
    }

    /// Reports the first State (in call order) that breaks the rule, with its Start. In
    /// O(n log n): per container, the successful Starts by return with a running
    /// maximum of their invocation; a State finds the latest-invoked Start over before
    /// it with one binary search.
    fn check(&self, h: &History) -> Verdict {
        self.check_indexed(h, &ContainerIndex::new(h))
    }

    fn check_indexed<'h>(&self, h: &'h History, index: &ContainerIndex<'h>) -> Verdict {
        let starts = starts(h);
        for (s, state) in h.calls.iter().enumerate() {
            let stopped_without_time = state
                .reply()
                .is_some_and(|r| r.status == TaskStatus::Stopped && r.exited_at_ns.is_none());
            if state.op != Op::State || !stopped_without_time {
                continue;
            }
            let Some(own) = starts.get(state.container.as_str()) else {
                continue;
            };
            let before = own.partition_point(|&(returned, _)| returned < state.invoked_ns);
            let Some((_, start)) = before.checked_sub(1).map(|k| own[k]) else {
                continue;
            };
            let invoked = h.calls[start].invoked_ns;
            if !index.create_in_flight(&state.container, invoked, state.end_ns()) {
                return Verdict::violation(
                    format!(
                        "{} after {}: the State says the started process stopped but carries no exit time",
                        h.describe(s),
                        h.describe(start)
                    ),
                    vec![start, s],
                );
            }
        }
        Verdict::Pass
    }
}

/// Per container, its successful Starts as (return, the latest-invoked Start returned by
/// then), by return.
fn starts(h: &History) -> BTreeMap<&str, Vec<(u64, usize)>> {
    let mut starts: BTreeMap<&str, Vec<(u64, usize)>> = BTreeMap::new();
    for (i, c) in h.calls.iter().enumerate() {
        if let (Op::Start, Some(_), Some(at)) = (c.op, c.reply(), c.returned_ns) {
            starts.entry(&c.container).or_default().push((at, i));
        }
    }
    for own in starts.values_mut() {
        own.sort_unstable();
        let mut latest: Option<usize> = None;
        for (_, i) in own.iter_mut() {
            let later = latest.is_none_or(|l| h.calls[*i].invoked_ns > h.calls[l].invoked_ns);
            if later {
                latest = Some(*i);
            }
            *i = latest.expect("set above");
        }
    }
    starts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::*;

    fn state(at: u64) -> crate::history::Call {
        call(Op::State, "c", at, at + 5).listed()
    }

    #[test]
    fn a_stopped_state_with_its_exit_passes() {
        let h = history(vec![
            call(Op::Create, "c", 0, 10),
            call(Op::Start, "c", 20, 30),
            state(40).replies(status(TaskStatus::Running)),
            state(110).replies(exited(137, 100)),
        ]);
        assert_eq!(StoppedStateCarriesTheExit.check(&h), Verdict::Pass);
    }

    #[test]
    fn the_torn_stopped_exit_0_without_a_time_violates() {
        let h = history(vec![
            call(Op::Create, "c", 0, 10),
            call(Op::Start, "c", 20, 30),
            state(110).replies(status(TaskStatus::Stopped)),
        ]);
        let verdict = StoppedStateCarriesTheExit.check(&h);
        assert!(
            matches!(&verdict, Verdict::Violation { explanation, .. }
                if explanation.ends_with("carries no exit time")),
            "{verdict:?}"
        );
        assert_eq!(evidence(verdict), (vec![1, 2], vec![]));
    }

    #[test]
    fn a_task_stopped_before_any_start_is_not_judged() {
        let h = history(vec![
            call(Op::Create, "c", 0, 10),
            state(20).replies(status(TaskStatus::Stopped)),
            call(Op::Start, "c", 30, 50).fails(crate::history::Code::Unknown),
            call(Op::Start, "c", 40, 60),
            state(55).replies(status(TaskStatus::Stopped)),
        ]);
        assert_eq!(StoppedStateCarriesTheExit.check(&h), Verdict::Pass);
    }

    #[test]
    fn a_start_of_an_earlier_incarnation_does_not_count() {
        let h = history(vec![
            call(Op::Create, "c", 0, 10),
            call(Op::Start, "c", 20, 30),
            call(Op::Delete, "c", 110, 120).replies(exited(137, 100)),
            call(Op::Create, "c", 130, 140),
            call(Op::Delete, "c", 150, 160),
            state(155).replies(status(TaskStatus::Stopped)),
        ]);
        assert_eq!(StoppedStateCarriesTheExit.check(&h), Verdict::Pass);
    }
}
