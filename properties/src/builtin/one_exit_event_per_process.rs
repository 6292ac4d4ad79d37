//! containerd hears of each process's exit once.

use crate::history::{fmt_ns, History};
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
/// first's exit time and the second's receipt.
pub struct OneExitEventPerProcess;

impl Property for OneExitEventPerProcess {
    fn name(&self) -> &'static str {
        "one_exit_event_per_process"
    }

    fn contract(&self) -> &'static str {
        "runtime-rs.md: the Go shim publishes TaskExit once; containerd.md: PR #4784 avoids duplicate exits, events are not de-duplicated"
    }

    fn check(&self, h: &History) -> Verdict {
        let exits: Vec<_> = h.task_exits().collect();
        for (n, &(i, a)) in exits.iter().enumerate() {
            for &(j, b) in &exits[n + 1..] {
                let from = a.exited_at_ns.unwrap_or(a.at_ns).min(a.at_ns);
                if a.container != b.container || h.create_in_flight(&a.container, from, b.at_ns) {
                    continue;
                }
                return Verdict::Violation {
                    explanation: format!(
                        "events #{i} and #{j}: containerd received two TaskExits for {} (at {} and {})",
                        a.container,
                        fmt_ns(a.at_ns),
                        fmt_ns(b.at_ns)
                    ),
                    calls: Vec::new(),
                    events: vec![i, j],
                };
            }
        }
        Verdict::Pass
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::Op;
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
