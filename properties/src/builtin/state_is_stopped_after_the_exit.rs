//! Once the process really ended and the shim reported its exit, State says Stopped.

use std::collections::BTreeMap;

use crate::history::{History, Op, TaskStatus};
use crate::index::{ContainerIndex, NEVER};
use crate::property::{Property, Verdict};

/// A State invoked after a container's process really ended in the guest (the fake
/// agent's ground truth, [`GuestExit`](crate::GuestExit)) and after the shim reported
/// that exit (a Wait returned, or containerd received a TaskExit, at or after the guest
/// exit) never answers Created, Running, Paused or Pausing: the shim that reported the
/// exit knows the process is stopped. (An error, NotFound included, or status Unknown is
/// not a status and is not judged here.)
///
/// A report that came before the process really ended (a Wait woken by a lost agent
/// connection while the process runs on) is not an exit the State must agree with: that
/// lie is `exit_status_matches_the_guest`'s. The guest exit, the report and the State
/// are compared only when no Create of the id was in flight from the earlier of the
/// guest exit and the report's start to the State's end (a re-created id starts over).
///
/// Contract: the reference shim records the exit in one step (`SetExited`: status
/// stopped, exit code and time, under the process's mutex) before it wakes the waiters
/// and publishes TaskExit, and State reads the status from the process (containerd.md,
/// "The reference shim contract": "Wait blocks until the exit is recorded", "State's
/// exit_status and exited_at come from the process"); the Go Kata shim's exit watcher
/// sets STOPPED, the exit code and time together before it signals the exit channel
/// and publishes TaskExit (runtime-rs.md, "The Go runtime"). runtime-rs 3.24's exit
/// watcher returns early when agent `wait_process` fails (a VM that died): waiters wake
/// with exit code 0 and the status stays Running (runtime-rs.md, "Operation order").
pub struct StateIsStoppedAfterTheExit;

/// One report of an exit that followed a real end: when it was over, the first Create
/// of its id in flight from the earlier of the guest exit and the report's start (or
/// [`NEVER`]), and its evidence (a call, or an event, and the guest exit's event).
#[derive(Clone, Copy)]
struct Known {
    end_ns: u64,
    next_create: i128,
    call: Option<usize>,
    event: Option<usize>,
    guest: usize,
}

impl Property for StateIsStoppedAfterTheExit {
    fn name(&self) -> &'static str {
        "state_is_stopped_after_the_exit"
    }

    fn contract(&self) -> &'static str {
        "containerd.md: reference shim records stopped, code and time in one step before Wait returns and TaskExit; State reads the process; runtime-rs.md: the Go shim sets STOPPED with the exit"
    }

    /// Reports the first State (in call order) that breaks the rule, with the report and
    /// guest exit that show the exit. In O(n log n): per container, the reports sorted
    /// by their end with a running maximum of their next Create; a State looks up the
    /// reports over before it was invoked with one binary search.
    fn check(&self, h: &History) -> Verdict {
        self.check_indexed(h, &ContainerIndex::new(h))
    }

    fn check_indexed<'h>(&self, h: &'h History, index: &ContainerIndex<'h>) -> Verdict {
        let known = known_exits(h, index);
        for (s, state) in h.calls.iter().enumerate() {
            let Some(reply) = state.reply() else {
                continue;
            };
            let running = matches!(
                reply.status,
                TaskStatus::Created
                    | TaskStatus::Running
                    | TaskStatus::Paused
                    | TaskStatus::Pausing
            );
            if state.op != Op::State || !running {
                continue;
            }
            let Some(own) = known.get(state.container.as_str()) else {
                continue;
            };
            let before = own.partition_point(|(k, _)| k.end_ns < state.invoked_ns);
            let Some((_, latest)) = before.checked_sub(1).map(|k| own[k]) else {
                continue;
            };
            if latest.next_create > i128::from(state.end_ns()) {
                return not_stopped(h, s, &latest);
            }
        }
        Verdict::Pass
    }
}

/// Per container, its reports of an exit that followed a guest exit, by end (ties by
/// evidence), each paired with the report of the largest next Create among it and those
/// before it.
fn known_exits<'h>(
    h: &'h History,
    index: &ContainerIndex,
) -> BTreeMap<&'h str, Vec<(Known, Known)>> {
    let mut guest: BTreeMap<&str, Vec<(u64, usize)>> = BTreeMap::new();
    for (e, g) in h.guest_exits() {
        guest.entry(&g.container).or_default().push((g.at_ns, e));
    }
    guest.values_mut().for_each(|v| v.sort_unstable());
    let waits = h.calls.iter().enumerate().filter_map(|(i, c)| {
        let returned = c.returned_ns?;
        (c.op == Op::Wait && c.reply().is_some()).then_some((
            c.container.as_str(),
            c.invoked_ns,
            returned,
            Some(i),
            None,
        ))
    });
    let exits = h.task_exits().map(|(e, x)| {
        let container = x.container.as_str();
        (container, x.exited_from_ns(), x.at_ns, None, Some(e))
    });
    let mut known: BTreeMap<&str, Vec<Known>> = BTreeMap::new();
    for (container, from_ns, end_ns, call, event) in waits.chain(exits) {
        let Some(ends) = guest.get(container) else {
            continue;
        };
        let Some(k) = ends.partition_point(|&(at, _)| at <= end_ns).checked_sub(1) else {
            continue;
        };
        let (guest_ns, guest_event) = ends[k];
        let next_create = index.first_create_reaching(container, guest_ns.min(from_ns));
        known.entry(container).or_default().push(Known {
            end_ns,
            next_create: next_create.map_or(NEVER, i128::from),
            call,
            event,
            guest: guest_event,
        });
    }
    known
        .into_iter()
        .map(|(container, mut reports)| {
            reports.sort_by_key(|k| (k.end_ns, k.call, k.event));
            let mut best: Option<Known> = None;
            let with_best = reports
                .into_iter()
                .map(|k| {
                    let b = match best {
                        Some(b) if b.next_create >= k.next_create => b,
                        _ => k,
                    };
                    best = Some(b);
                    (k, b)
                })
                .collect();
            (container, with_best)
        })
        .collect()
}

/// The violation shown by State `s`, which answered a live status after `known`.
fn not_stopped(h: &History, s: usize, known: &Known) -> Verdict {
    let report = match (known.call, known.event) {
        (Some(w), _) => h.describe(w),
        (None, Some(e)) => format!("event #{e} (TaskExit)"),
        (None, None) => unreachable!("a report is a call or an event"),
    };
    let mut calls: Vec<usize> = known.call.into_iter().chain([s]).collect();
    calls.sort_unstable();
    let mut events: Vec<usize> = known.event.into_iter().chain([known.guest]).collect();
    events.sort_unstable();
    Verdict::Violation {
        explanation: format!(
            "{}: the process of {} had ended in the guest (event #{}) and {report} had reported its exit, yet State did not say Stopped",
            h.describe(s),
            h.calls[s].container,
            known.guest
        ),
        calls,
        events,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::*;
    use TaskStatus::*;

    fn state(at: u64, s: TaskStatus) -> crate::history::Call {
        call(Op::State, "c", at, at + 5).listed().replies(status(s))
    }

    fn started() -> Vec<crate::history::Call> {
        vec![call(Op::Create, "c", 0, 10), call(Op::Start, "c", 20, 30)]
    }

    #[test]
    fn stopped_after_the_reported_exit_passes() {
        let mut calls = started();
        calls.push(call(Op::Wait, "c", 40, 105).replies(exited(137, 100)));
        calls.push(state(110, Stopped));
        calls.push(state(120, Unknown));
        let h = history(calls).guest_exit("c", Some(137), 90);
        assert_eq!(StateIsStoppedAfterTheExit.check(&h), Verdict::Pass);
    }

    #[test]
    fn running_after_a_wait_woken_by_a_dead_vm_violates() {
        let mut calls = started();
        calls.push(call(Op::Wait, "c", 40, 105));
        calls.push(state(110, Running));
        let h = history(calls).guest_exit("c", None, 90);
        let verdict = StateIsStoppedAfterTheExit.check(&h);
        assert!(
            matches!(&verdict, Verdict::Violation { explanation, .. }
                if explanation.ends_with("had reported its exit, yet State did not say Stopped")),
            "{verdict:?}"
        );
        assert_eq!(evidence(verdict), (vec![2, 3], vec![0]));
    }

    #[test]
    fn a_task_exit_counts_as_a_report() {
        let mut calls = started();
        calls.push(state(110, Paused));
        let h = history(calls)
            .guest_exit("c", Some(137), 90)
            .exit("c", 137, Some(95), 100);
        assert_eq!(
            evidence(StateIsStoppedAfterTheExit.check(&h)),
            (vec![2], vec![0, 1])
        );
    }

    #[test]
    fn a_live_status_before_the_report_or_the_guest_exit_is_not_judged() {
        let mut calls = started();
        // The guest exit happened, but the shim had not reported it yet.
        calls.push(state(95, Running));
        // A Wait woken before the process ended reported no real exit.
        calls.push(call(Op::Wait, "c", 40, 60));
        calls.push(state(70, Running));
        let h = history(calls).guest_exit("c", Some(137), 90);
        assert_eq!(StateIsStoppedAfterTheExit.check(&h), Verdict::Pass);
    }

    #[test]
    fn a_recreated_id_starts_over() {
        let h = history(vec![
            call(Op::Create, "c", 0, 10),
            call(Op::Start, "c", 20, 30),
            call(Op::Wait, "c", 40, 105).replies(exited(137, 100)),
            call(Op::Delete, "c", 110, 120).replies(exited(137, 100)),
            call(Op::Create, "c", 130, 140),
            state(150, Created),
        ])
        .guest_exit("c", Some(137), 90);
        assert_eq!(StateIsStoppedAfterTheExit.check(&h), Verdict::Pass);
    }
}
