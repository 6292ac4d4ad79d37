//! containerd hears of each process's exit once.

use std::collections::BTreeMap;

use crate::history::{fmt_ns, History, TaskExit};
use crate::index::{dominated, ContainerIndex, Earliest, Point, NEVER};
use crate::property::{Property, Verdict};

/// At most one TaskExit per container (per incarnation of its id).
///
/// Contract: the Go Kata shim publishes TaskExit once, from its one exit watcher, and
/// containerd removes a task from its list on Delete precisely to avoid duplicate exits
/// (containerd.md, "The task list and shimTask.delete", PR #4784). containerd itself does
/// not de-duplicate (containerd.md, "Events"), so a duplicate reaches every subscriber.
/// runtime-rs 3.24 spawns a `sandbox.wait_process` waiter at Create AND another at Start,
/// each of which publishes a TaskExit (runtime-rs.md, "RuntimeHandlerManager"): this
/// property is expected to be violated there.
///
/// Two TaskExits are not compared when a Create of the id was in flight between the
/// first's exit time and the second's receipt. A delivery that repeats an earlier one's
/// envelope stamp is the publisher retrying one event, not a second event
/// ([`History::published_exits`]): containerd's publishers deliver at least once.
pub struct OneExitEventPerProcess;

/// The violation shown by TaskExit events `i` (`a`) and `j` (`b`) of one container.
pub(crate) fn two_exits((i, a): (usize, &TaskExit), (j, b): (usize, &TaskExit)) -> Verdict {
    Verdict::Violation {
        explanation: format!(
            "events #{i} and #{j}: containerd received two TaskExits for {} (at {} and {})",
            a.container,
            fmt_ns(a.at_ns),
            fmt_ns(b.at_ns)
        ),
        calls: Vec::new(),
        events: vec![i, j],
    }
}

impl Property for OneExitEventPerProcess {
    fn name(&self) -> &'static str {
        "one_exit_event_per_process"
    }

    fn contract(&self) -> &'static str {
        "runtime-rs.md: the Go shim publishes TaskExit once; containerd.md: PR #4784 avoids duplicate exits, events are not de-duplicated"
    }

    /// Reports the pair `(i, j)` with the smallest `i`, then the smallest `j > i`. Per
    /// container, in O(n log n): TaskExit `j` duplicates an earlier `i` when it was
    /// received before the first Create in flight at or after `i`'s exit began.
    fn check(&self, h: &History) -> Verdict {
        let index = ContainerIndex::new(h);
        let mut by_container: BTreeMap<&str, Vec<(usize, &TaskExit)>> = BTreeMap::new();
        for (e, exit) in h.published_exits() {
            let exits = by_container.entry(&exit.container).or_default();
            exits.push((e, exit));
        }
        let first = by_container
            .iter()
            .filter_map(|(container, exits)| first_duplicate(&index, container, exits))
            .min_by_key(|&((i, _), _)| i);
        match first {
            Some((a, b)) => two_exits(a, b),
            None => Verdict::Pass,
        }
    }
}

/// A container's TaskExit, with its event index.
type Indexed<'h> = (usize, &'h TaskExit);

/// Among one container's TaskExits (in event order), the first duplicated pair.
fn first_duplicate<'h>(
    index: &ContainerIndex,
    container: &str,
    exits: &[Indexed<'h>],
) -> Option<(Indexed<'h>, Indexed<'h>)> {
    // Positions in `exits` follow event order.
    let points: Vec<Point<Earliest>> = exits
        .iter()
        .enumerate()
        .map(|(n, (_, b))| (n as i128, b.at_ns.into(), Earliest(Some(n))))
        .collect();
    let queries: Vec<(i128, i128)> = exits
        .iter()
        .enumerate()
        .map(|(n, (_, a))| {
            let next_create = index.first_create_reaching(container, a.exited_from_ns());
            (n as i128, next_create.map_or(NEVER, i128::from))
        })
        .collect();
    exits
        .iter()
        .zip(dominated(&points, &queries))
        .find_map(|(&first, later)| Some((first, exits[later.0?])))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{Event, Op};
    use crate::testing::*;

    #[test]
    fn passes_with_one_exit_per_container() {
        let h = history(vec![
            call(Op::Create, "c", 0, 10),
            call(Op::Create, "d", 0, 10),
        ])
        .exit("c", 0, Some(100), 110)
        .exit("d", 1, Some(100), 120);
        assert_eq!(OneExitEventPerProcess.check(&h), Verdict::Pass);
    }

    #[test]
    fn two_waiters_publishing_twice_violates() {
        let h = history(vec![call(Op::Create, "c", 0, 10)])
            .exit("c", 0, Some(100_000), 110_000)
            .exit("c", 0, Some(100_000), 111_000);
        let verdict = OneExitEventPerProcess.check(&h);
        assert_eq!(
            verdict,
            Verdict::Violation {
                explanation: "events #0 and #1: containerd received two TaskExits for c (at 0.000110s and 0.000111s)".to_string(),
                calls: vec![],
                events: vec![0, 1],
            }
        );
    }

    /// Stamps TaskExit `n` of `h` as published at `stamp`.
    fn stamped(mut h: History, n: usize, stamp: u64) -> History {
        if let Event::TaskExit(exit) = &mut h.events[n] {
            exit.published_ns = Some(stamp);
        }
        h
    }

    #[test]
    fn a_publisher_retry_of_one_event_is_not_a_second_exit() {
        let h = history(vec![call(Op::Create, "c", 0, 10)])
            .exit("c", 0, Some(100_000), 5_100_000)
            .exit("c", 0, Some(100_000), 6_100_000);
        let retried = stamped(stamped(h.clone(), 0, 100_500), 1, 100_500);
        assert_eq!(OneExitEventPerProcess.check(&retried), Verdict::Pass);
        let two_events = stamped(stamped(h, 0, 100_500), 1, 100_501);
        assert!(matches!(
            OneExitEventPerProcess.check(&two_events),
            Verdict::Violation { .. }
        ));
    }

    #[test]
    fn each_incarnation_of_a_recreated_id_may_exit_once() {
        let h = history(vec![
            call(Op::Create, "c", 0, 10),
            call(Op::Create, "c", 200, 210),
        ])
        .exit("c", 0, Some(100), 110)
        .exit("c", 0, Some(300), 310);
        assert_eq!(OneExitEventPerProcess.check(&h), Verdict::Pass);
    }
}
