//! A started process's TaskStart is published before its TaskExit.

use crate::history::{fmt_ns, History, Lifecycle, Op};
use crate::index::ContainerIndex;
use crate::property::{Property, Verdict};

/// When a shim publishes a TaskStart for a process, it publishes it before the process's
/// TaskExit. A TaskStart belongs to the latest successful Start of its container invoked
/// before containerd received it; a TaskExit is that process's when its exit time is not
/// before that Start's invocation. Events are ordered by their envelope stamps, the order
/// the shim published them (a publisher's retry can deliver them out of order); an event
/// without a stamp by its receipt. A shim that publishes no TaskStart is not judged.
///
/// Contract: the Go Kata shim holds `eventSendMu` through Start until TaskStart is queued,
/// "so that the start events are sent before any exit events" (`service.go:485-487`),
/// and queues TaskExit under it (`sendL`); containerd-shim-runc-v2 holds back an exit
/// that happens during Start until its TaskStart is published (`preStart`,
/// `handleStarted`, `runc/task/service.go:155-219`). runtime-rs main queues TaskStart
/// after it spawns the waiter that publishes TaskExit (runtime-rs.md, "Differences at
/// main").
pub struct StartEventPrecedesItsExit;

impl Property for StartEventPrecedesItsExit {
    fn name(&self) -> &'static str {
        "start_event_precedes_its_exit"
    }

    fn contract(&self) -> &'static str {
        "Go shim: eventSendMu holds TaskExit behind TaskStart (service.go:485-487); runc-v2: preStart/handleStarted publish an exit during Start after TaskStart"
    }

    fn check(&self, h: &History) -> Verdict {
        self.check_indexed(h, &ContainerIndex::new(h))
    }

    /// Reports the first TaskStart (in event order) with the first exit of its process
    /// published before it. Only the containers with a TaskStart are looked at: a
    /// history without one costs a pass over its events.
    fn check_indexed<'h>(&self, h: &'h History, index: &ContainerIndex<'h>) -> Verdict {
        let mut exits = None;
        for (s, event) in h.events.iter().enumerate() {
            let Some(start) = event.as_lifecycle().filter(|e| e.event == Lifecycle::Start) else {
                continue;
            };
            // The latest successful Start of the container invoked before the TaskStart
            // was received.
            let Some(call) = index
                .calls_for(&start.container)
                .iter()
                .copied()
                .filter(|&i| {
                    let c = &h.calls[i];
                    c.op == Op::Start && c.reply().is_some() && c.invoked_ns <= start.at_ns
                })
                .max_by_key(|&i| h.calls[i].invoked_ns)
            else {
                continue;
            };
            let invoked = h.calls[call].invoked_ns;
            let published = start.published_ns.unwrap_or(start.at_ns);
            let exits = exits.get_or_insert_with(|| h.published_exits().collect::<Vec<_>>());
            let early = exits.iter().find(|(_, e)| {
                e.container == start.container
                    && e.exited_from_ns() >= invoked
                    && e.published_ns.unwrap_or(e.at_ns) < published
            });
            if let Some(&(e, exit)) = early {
                return Verdict::Violation {
                    explanation: format!(
                        "event #{e} (TaskExit {} exit {}, published {}) came before event #{s} (TaskStart, published {}) of the process {} started",
                        exit.container,
                        exit.exit_status,
                        fmt_ns(exit.published_ns.unwrap_or(exit.at_ns)),
                        fmt_ns(published),
                        h.describe(call)
                    ),
                    calls: vec![call],
                    events: vec![e, s],
                };
            }
        }
        Verdict::Pass
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{Event, LifecycleEvent};
    use crate::testing::*;

    /// The history with a TaskStart for `container` received at `at_ns`, stamped
    /// `published_ns`.
    fn started(mut h: History, container: &str, at_ns: u64, published_ns: u64) -> History {
        h.events.push(Event::Lifecycle(LifecycleEvent {
            event: Lifecycle::Start,
            container: container.to_string(),
            pid: 42,
            at_ns,
            published_ns: Some(published_ns),
        }));
        h
    }

    /// Stamps the last event of `h` (a TaskExit) as published at `stamp`.
    fn exit_stamped(mut h: History, stamp: u64) -> History {
        if let Some(Event::TaskExit(exit)) = h.events.last_mut() {
            exit.published_ns = Some(stamp);
        }
        h
    }

    fn started_then_killed() -> History {
        history(vec![
            call(Op::Create, "c", 0, 10),
            call(Op::Start, "c", 20, 30),
        ])
    }

    #[test]
    fn passes_when_the_start_event_comes_first() {
        let h = started(started_then_killed(), "c", 29, 28).exit("c", 137, Some(40), 50);
        let h = exit_stamped(h, 45);
        assert_eq!(StartEventPrecedesItsExit.check(&h), Verdict::Pass);
    }

    #[test]
    fn an_exit_of_the_started_process_published_first_violates() {
        let h = exit_stamped(started_then_killed().exit("c", 137, Some(25), 27), 26);
        let h = started(h, "c", 29, 28);
        let verdict = StartEventPrecedesItsExit.check(&h);
        assert_eq!(evidence(verdict), (vec![1], vec![0, 1]));
    }

    #[test]
    fn an_exit_before_the_start_was_invoked_and_shims_without_start_events_are_not_judged() {
        // An earlier process's exit (before the Start) is not this process's.
        let h = exit_stamped(started_then_killed().exit("c", 0, Some(15), 16), 16);
        assert_eq!(
            StartEventPrecedesItsExit.check(&started(h, "c", 29, 28)),
            Verdict::Pass
        );
        // No TaskStart at all (runtime-rs 3.24).
        let h = started_then_killed().exit("c", 137, Some(25), 27);
        assert_eq!(StartEventPrecedesItsExit.check(&h), Verdict::Pass);
    }
}
