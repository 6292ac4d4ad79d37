//! Every report of one container's exit carries the same code and time.

use crate::history::{fmt_ns, History, Op, TaskStatus};
use crate::property::{Property, Verdict};

/// For one container, every report of its exit agrees on the exit code and the exit
/// time: Wait's answer, State once it says Stopped with an exit time, Delete's answer
/// when it carries an exit time, and every TaskExit event.
///
/// Contract: containerd.md, "The reference shim contract" (Wait blocks until the exit is
/// recorded and every waiter gets the code; Delete returns the exit status and
/// exited_at) and runtime-rs.md, "The Go runtime" (the exit watcher sets STOPPED, exit
/// code and exit time together under `s.mu`; Delete returns the cached exit status).
/// runtime-rs 3.24 can disagree: when agent `wait_process` fails, waiters wake with code
/// 0 and no exit time while the container stays Running.
///
/// Reports are compared only when no Create of the id was in flight between them; a
/// TaskExit is placed at its exit time (or at receipt if it carries none).
pub struct ExitStatusAgrees;

/// Where a report of an exit was seen.
#[derive(Clone, Copy)]
enum Source {
    Call(usize),
    Event(usize),
}

impl Source {
    fn call(self) -> Option<usize> {
        match self {
            Source::Call(i) => Some(i),
            Source::Event(_) => None,
        }
    }

    fn event(self) -> Option<usize> {
        match self {
            Source::Event(i) => Some(i),
            Source::Call(_) => None,
        }
    }
}

/// One report of an exit: where it is, what it says, and the time span it covers.
struct Report<'a> {
    source: Source,
    container: &'a str,
    exit: (u32, Option<u64>),
    from_ns: u64,
    to_ns: u64,
}

fn reports(h: &History) -> Vec<Report<'_>> {
    let from_calls = h.calls.iter().enumerate().filter_map(|(i, c)| {
        let reply = c.reply()?;
        let reports_exit = match c.op {
            Op::Wait => true,
            Op::State => reply.status == TaskStatus::Stopped && reply.exited_at_ns.is_some(),
            Op::Delete => reply.exited_at_ns.is_some(),
            _ => false,
        };
        reports_exit.then_some(Report {
            source: Source::Call(i),
            container: &c.container,
            exit: (reply.exit_status, reply.exited_at_ns),
            from_ns: c.invoked_ns,
            to_ns: c.end_ns(),
        })
    });
    let from_events = h.task_exits().map(|(i, e)| Report {
        source: Source::Event(i),
        container: &e.container,
        exit: (e.exit_status, e.exited_at_ns),
        from_ns: e.exited_at_ns.unwrap_or(e.at_ns).min(e.at_ns),
        to_ns: e.at_ns,
    });
    from_calls.chain(from_events).collect()
}

fn describe(h: &History, r: &Report) -> String {
    let source = match r.source {
        Source::Call(i) => h.describe(i),
        Source::Event(i) => format!("event #{i} (TaskExit)"),
    };
    match r.exit.1 {
        Some(at) => format!("{source} reports exit {} at {}", r.exit.0, fmt_ns(at)),
        None => format!("{source} reports exit {} with no exit time", r.exit.0),
    }
}

impl Property for ExitStatusAgrees {
    fn name(&self) -> &'static str {
        "exit_status_agrees"
    }

    fn contract(&self) -> &'static str {
        "containerd.md: reference shim contract (every waiter gets the code; Delete returns exit status and exited_at); runtime-rs.md: Go shim sets them together"
    }

    fn check(&self, h: &History) -> Verdict {
        let reports = reports(h);
        for (n, a) in reports.iter().enumerate() {
            for b in &reports[n + 1..] {
                if a.container != b.container || a.exit == b.exit {
                    continue;
                }
                let (from, to) = (a.from_ns.min(b.from_ns), a.to_ns.max(b.to_ns));
                if h.create_in_flight(a.container, from, to) {
                    continue;
                }
                return Verdict::Violation {
                    explanation: format!(
                        "{} but {}: the exit of {} is reported two ways",
                        describe(h, a),
                        describe(h, b),
                        a.container
                    ),
                    calls: [a, b].iter().filter_map(|r| r.source.call()).collect(),
                    events: [a, b].iter().filter_map(|r| r.source.event()).collect(),
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
    fn passes_when_wait_state_delete_and_task_exit_agree() {
        let h = history(vec![
            call(Op::Create, "c", 0, 10),
            call(Op::Start, "c", 20, 30),
            call(Op::Wait, "c", 40, 105).replies(exited(137, 100)),
            call(Op::State, "c", 110, 120)
                .listed()
                .replies(exited(137, 100)),
            call(Op::Delete, "c", 130, 140).replies(exited(137, 100)),
        ])
        .exit("c", 137, Some(100), 106);
        assert_eq!(ExitStatusAgrees.check(&h), Verdict::Pass);
    }

    #[test]
    fn reports_without_an_exit_time_are_not_compared_for_state_and_delete() {
        let h = history(vec![
            call(Op::Create, "c", 0, 10),
            call(Op::Wait, "c", 20, 105).replies(exited(1, 100)),
            call(Op::State, "c", 106, 110).replies(status(TaskStatus::Stopped)),
            call(Op::Delete, "c", 130, 140).replies(status(TaskStatus::Unknown)),
        ]);
        assert_eq!(ExitStatusAgrees.check(&h), Verdict::Pass);
    }

    #[test]
    fn wait_waking_with_zero_and_no_time_disagrees_with_the_real_exit() {
        let h = history(vec![
            call(Op::Create, "c", 0, 10),
            call(Op::Wait, "c", 20, 50),
            call(Op::State, "c", 200, 210).replies(exited(137, 100)),
        ]);
        assert_eq!(evidence(ExitStatusAgrees.check(&h)), (vec![1, 2], vec![]));
    }

    #[test]
    fn a_task_exit_with_another_code_violates() {
        let h = history(vec![
            call(Op::Create, "c", 0, 10),
            call(Op::Wait, "c", 20, 105).replies(exited(137, 100)),
        ])
        .exit("c", 0, None, 106);
        let verdict = ExitStatusAgrees.check(&h);
        assert!(
            matches!(&verdict, Verdict::Violation { explanation, .. }
                if explanation.contains("reports exit 137 at 0.000000s but event #0 (TaskExit) reports exit 0 with no exit time")),
            "{verdict:?}"
        );
        assert_eq!(evidence(verdict), (vec![1], vec![0]));
    }

    #[test]
    fn incarnations_of_a_recreated_id_are_not_compared() {
        let h = history(vec![
            call(Op::Create, "c", 0, 10),
            call(Op::Wait, "c", 20, 105).replies(exited(1, 100)),
            call(Op::Delete, "c", 110, 120).replies(exited(1, 100)),
            call(Op::Create, "c", 130, 140),
            call(Op::Wait, "c", 150, 305).replies(exited(2, 300)),
        ]);
        assert_eq!(ExitStatusAgrees.check(&h), Verdict::Pass);
    }
}
