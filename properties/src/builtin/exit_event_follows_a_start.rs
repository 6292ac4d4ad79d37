//! Events come in a sensible order: a process's exit only after the process started.

use std::collections::BTreeMap;

use crate::history::{fmt_ns, History, Op, TaskExit};
use crate::index::{ContainerIndex, Intervals};
use crate::property::{Property, Verdict};

/// A TaskExit for a container arrives only after a Start of it succeeded: a process that
/// never ran has not exited. Per incarnation: an incarnation of an id begins with a
/// successful Create that returned before the event and follows a successful Delete of
/// the id (or is its first); only a Start that returned after that Create was invoked
/// counts, as does one that got no answer (pending, closed or timed out: the shim may
/// have started the process and its answer been lost). A Create that replaced a live
/// entry without a Delete does not begin one, and
/// an event is not judged when a Create of the id was in flight between the exit and the
/// event's receipt: it may belong to either incarnation.
///
/// Contract: containerd's `TaskExit` (events/task.proto) reports the exit of a process
/// that ran, with its exit time; CRI acts on exits (containerd.md, "Events"). The Go Kata
/// shim starts its exit watcher in Start (runtime-rs.md, "The Go runtime"). runtime-rs
/// 3.24 spawns a waiter at Create (runtime-rs.md, "RuntimeHandlerManager"): when a
/// created, never started container is deleted, the exit watcher's sender is dropped
/// with the container and that waiter publishes a TaskExit with exit status 0 and no
/// exit time.
///
/// Where the reference shim differs: containerd-shim-runc-v2 registers a container's
/// init process with its reaper at Create (containerd.md, "How the service orders it";
/// `service.go` 225-227 and 253-254), and `runc kill` and `runc delete` work on a
/// created container, whose `runc init` process then exits and is reaped: runc-v2
/// publishes a TaskExit (exit 128 + signal) for a task killed or deleted before any
/// Start. That exit is real (a process ran and was killed); the Kata shims have no such
/// process to report, so the property holds them to the Go Kata shim's rule. kata-dst's
/// runc-v2 profile does not show the difference: its simulated agent has no process
/// before Start (FIDELITY.md R2).
pub struct ExitEventFollowsAStart;

/// The violation shown by TaskExit event `e`, which no successful Start preceded.
pub(crate) fn exit_without_start(e: usize, exit: &TaskExit) -> Verdict {
    let exit_time = exit.exited_at_ns.map_or_else(
        || "no exit time".to_string(),
        |t| format!("exit time {}", fmt_ns(t)),
    );
    Verdict::Violation {
        explanation: format!(
            "event #{e}: containerd received a TaskExit for {} (exit {}, {exit_time}) at {}, but no Start of it had succeeded",
            exit.container,
            exit.exit_status,
            fmt_ns(exit.at_ns)
        ),
        calls: Vec::new(),
        events: vec![e],
    }
}

/// One container's successful Creates, Deletes and Starts, indexed to answer in
/// O(log n) whether a Start of the incarnation current at some instant succeeded.
struct Lifecycle {
    /// The ends of the successful Creates and Deletes, ascending (ties in call order).
    ends: Vec<u64>,
    /// `incarnations[k]`: when the incarnation current after the first `k` of them
    /// began (the invocation of its Create; 0 before any).
    incarnations: Vec<u64>,
    starts: Intervals,
}

impl Lifecycle {
    fn new(h: &History, calls: &[usize]) -> Lifecycle {
        let succeeded: Vec<_> = calls
            .iter()
            .map(|&i| &h.calls[i])
            .filter(|c| c.reply().is_some())
            .collect();
        let mut done: Vec<_> = succeeded
            .iter()
            .filter(|c| matches!(c.op, Op::Create | Op::Delete))
            .collect();
        // Stable: ties in end keep call order.
        done.sort_by_key(|c| c.end_ns());
        let (mut incarnation, mut deleted) = (0, true);
        let mut incarnations = vec![incarnation];
        for c in &done {
            match c.op {
                Op::Delete => deleted = true,
                _ if deleted => (incarnation, deleted) = (c.invoked_ns, false),
                _ => {}
            }
            incarnations.push(incarnation);
        }
        // A Start with no answer (pending, its connection closed, or given up on by the
        // client) may have started the process in the shim: its answer may have been
        // lost, as on a partitioned link.
        let starts = calls
            .iter()
            .map(|&i| &h.calls[i])
            .filter(|c| c.op == Op::Start && (c.reply().is_some() || c.result.is_unanswered()))
            .map(|c| (c.invoked_ns, c.end_ns()));
        Lifecycle {
            ends: done.iter().map(|c| c.end_ns()).collect(),
            incarnations,
            starts: Intervals::new(starts),
        }
    }

    /// Whether a Start invoked by `at_ns` succeeded and returned after the incarnation
    /// current at `at_ns` began.
    fn started_by(&self, at_ns: u64) -> bool {
        let incarnation = self.incarnations[self.ends.partition_point(|&end| end <= at_ns)];
        self.starts
            .reach_of_starts_by(at_ns)
            .is_some_and(|end| end >= incarnation)
    }
}

impl Property for ExitEventFollowsAStart {
    fn name(&self) -> &'static str {
        "exit_event_follows_a_start"
    }

    fn contract(&self) -> &'static str {
        "containerd events/task.proto: TaskExit reports a process's exit; the Go shim's exit watcher starts in Start (runc-v2 reaps from Create: a created task it kills or deletes exits too)"
    }

    /// Reports the first TaskExit (in event order) that breaks the rule. In
    /// O(n log n): each container's lifecycle is indexed once.
    fn check(&self, h: &History) -> Verdict {
        self.check_indexed(h, &ContainerIndex::new(h))
    }

    fn check_indexed<'h>(&self, h: &'h History, index: &ContainerIndex<'h>) -> Verdict {
        let mut lifecycles: BTreeMap<&str, Lifecycle> = BTreeMap::new();
        for (e, exit) in h.task_exits() {
            let id = exit.container.as_str();
            if index.create_in_flight(id, exit.exited_from_ns(), exit.at_ns) {
                continue;
            }
            let lifecycle = lifecycles
                .entry(id)
                .or_insert_with(|| Lifecycle::new(h, index.calls_for(id)));
            if !lifecycle.started_by(exit.at_ns) {
                return exit_without_start(e, exit);
            }
        }
        Verdict::Pass
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::*;

    #[test]
    fn an_exit_after_a_start_passes() {
        let h = history(vec![
            call(Op::Create, "c", 0, 10),
            call(Op::Start, "c", 20, 30),
        ])
        .exit("c", 137, Some(90), 100);
        assert_eq!(ExitEventFollowsAStart.check(&h), Verdict::Pass);
    }

    #[test]
    fn a_start_that_got_no_answer_may_have_started_the_process() {
        for start in [
            call(Op::Start, "c", 20, 0).pending(),
            call(Op::Start, "c", 20, 200).closed(),
            call(Op::Start, "c", 20, 200).timed_out(),
        ] {
            let h =
                history(vec![call(Op::Create, "c", 0, 10), start]).exit("c", 137, Some(90), 100);
            assert_eq!(ExitEventFollowsAStart.check(&h), Verdict::Pass);
        }
        let refused = history(vec![
            call(Op::Create, "c", 0, 10),
            call(Op::Start, "c", 20, 30).fails(crate::Code::Unknown),
        ])
        .exit("c", 137, Some(90), 100);
        assert_eq!(
            evidence(ExitEventFollowsAStart.check(&refused)),
            (vec![], vec![0])
        );
    }

    #[test]
    fn an_exit_of_a_container_never_started_violates() {
        let h = history(vec![
            call(Op::Create, "c", 0, 10),
            call(Op::Delete, "c", 20, 30),
        ])
        .exit("c", 0, None, 31);
        assert_eq!(
            evidence(ExitEventFollowsAStart.check(&h)),
            (vec![], vec![0])
        );
    }

    #[test]
    fn a_start_of_an_earlier_incarnation_does_not_count() {
        let h = history(vec![
            call(Op::Create, "c", 0, 10),
            call(Op::Start, "c", 20, 30),
            call(Op::Delete, "c", 40, 50),
            call(Op::Create, "c", 60, 70),
        ])
        .exit("c", 137, Some(35), 45)
        .exit("c", 0, None, 80);
        assert_eq!(
            evidence(ExitEventFollowsAStart.check(&h)),
            (vec![], vec![1])
        );
    }

    #[test]
    fn a_start_sent_while_its_create_was_in_flight_counts() {
        let h = history(vec![
            call(Op::Create, "c", 0, 10),
            call(Op::Start, "c", 9, 30),
        ])
        .exit("c", 137, Some(35), 40);
        assert_eq!(ExitEventFollowsAStart.check(&h), Verdict::Pass);
    }

    #[test]
    fn an_exit_received_while_a_create_is_in_flight_is_not_judged() {
        let h = history(vec![
            call(Op::Create, "c", 0, 10),
            call(Op::Start, "c", 20, 30),
            call(Op::Create, "c", 40, 60),
        ])
        .exit("c", 137, Some(45), 50);
        assert_eq!(ExitEventFollowsAStart.check(&h), Verdict::Pass);
    }

    #[test]
    fn a_create_over_a_live_entry_begins_no_incarnation() {
        let h = history(vec![
            call(Op::Create, "c", 0, 10),
            call(Op::Start, "c", 20, 30),
            call(Op::Create, "c", 40, 50),
        ])
        .exit("c", 137, Some(55), 60);
        assert_eq!(ExitEventFollowsAStart.check(&h), Verdict::Pass);
    }

    #[test]
    fn an_exit_before_a_create_that_was_in_flight_is_not_judged() {
        // The old process exits during a Delete while a new Create is sent; the exit is
        // published only after that Create returned.
        let h = history(vec![
            call(Op::Create, "c", 0, 10),
            call(Op::Start, "c", 20, 30),
            call(Op::Delete, "c", 40, 60),
            call(Op::Create, "c", 45, 80),
        ])
        .exit("c", 137, Some(50), 90);
        assert_eq!(ExitEventFollowsAStart.check(&h), Verdict::Pass);
    }

    #[test]
    fn a_failed_start_does_not_count() {
        let h = history(vec![
            call(Op::Create, "c", 0, 10),
            call(Op::Start, "c", 20, 30).fails(crate::history::Code::Unknown),
        ])
        .exit("c", 0, None, 40);
        assert!(!ExitEventFollowsAStart.check(&h).is_pass());
    }
}
