//! Events come in a sensible order: a process's exit only after the process started.

use crate::history::{fmt_ns, History, Op};
use crate::property::{Property, Verdict};

/// A TaskExit for a container arrives only after a Start of it succeeded: a process that
/// never ran has not exited. Per incarnation: an incarnation of an id begins with a
/// successful Create that returned before the event and follows a successful Delete of
/// the id (or is its first); only a Start that returned after that Create was invoked
/// counts. A Create that replaced a live entry without a Delete does not begin one, and
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
pub struct ExitEventFollowsAStart;

impl Property for ExitEventFollowsAStart {
    fn name(&self) -> &'static str {
        "exit_event_follows_a_start"
    }

    fn contract(&self) -> &'static str {
        "containerd events/task.proto: TaskExit reports a process's exit; the Go shim's exit watcher starts in Start"
    }

    fn check(&self, h: &History) -> Verdict {
        for (e, exit) in h.task_exits() {
            let exited = exit.exited_at_ns.unwrap_or(exit.at_ns).min(exit.at_ns);
            if h.create_in_flight(&exit.container, exited, exit.at_ns) {
                continue;
            }
            let mut done: Vec<_> = h
                .calls_for(&exit.container)
                .map(|(_, c)| c)
                .filter(|c| matches!(c.op, Op::Create | Op::Delete) && c.reply().is_some())
                .filter(|c| c.end_ns() <= exit.at_ns)
                .collect();
            done.sort_by_key(|c| c.end_ns());
            let (mut incarnation, mut deleted) = (0, true);
            for c in done {
                match c.op {
                    Op::Delete => deleted = true,
                    _ if deleted => (incarnation, deleted) = (c.invoked_ns, false),
                    _ => {}
                }
            }
            let started = h.calls_for(&exit.container).any(|(_, c)| {
                c.op == Op::Start
                    && c.reply().is_some()
                    && c.end_ns() >= incarnation
                    && c.invoked_ns <= exit.at_ns
            });
            if !started {
                return Verdict::Violation {
                    explanation: format!(
                        "event #{e}: containerd received a TaskExit for {} (exit {}, {}) at {}, but no Start of it had succeeded",
                        exit.container,
                        exit.exit_status,
                        exit.exited_at_ns.map_or_else(|| "no exit time".to_string(), |t| format!("exit time {}", fmt_ns(t))),
                        fmt_ns(exit.at_ns)
                    ),
                    calls: Vec::new(),
                    events: vec![e],
                };
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
