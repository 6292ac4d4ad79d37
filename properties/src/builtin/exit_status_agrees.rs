//! Every report of one container's exit carries the same code and time.

use std::collections::BTreeMap;

use crate::history::{fmt_ns, History, Op, TaskStatus};
use crate::index::{dominated, ContainerIndex, Point, Summary, NEVER};
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
pub(crate) struct Report<'a> {
    source: Source,
    pub(crate) container: &'a str,
    /// The exit code and exit time.
    pub(crate) exit: (u32, Option<u64>),
    pub(crate) from_ns: u64,
    pub(crate) to_ns: u64,
}

/// Every report of an exit: the calls' in call order, then the TaskExits in event order.
pub(crate) fn reports(h: &History) -> Vec<Report<'_>> {
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
        from_ns: e.exited_from_ns(),
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

/// The violation shown by reports `a` and `b` of the same container's exit.
pub(crate) fn reported_two_ways(h: &History, a: &Report, b: &Report) -> Verdict {
    Verdict::Violation {
        explanation: format!(
            "{} but {}: the exit of {} is reported two ways",
            describe(h, a),
            describe(h, b),
            a.container
        ),
        calls: [a, b].iter().filter_map(|r| r.source.call()).collect(),
        events: [a, b].iter().filter_map(|r| r.source.event()).collect(),
    }
}

/// Whether no Create of the reports' container was in flight across the span of both.
fn comparable(index: &ContainerIndex, a: &Report, b: &Report) -> bool {
    let (from, to) = (a.from_ns.min(b.from_ns), a.to_ns.max(b.to_ns));
    !index.create_in_flight(a.container, from, to)
}

impl Property for ExitStatusAgrees {
    fn name(&self) -> &'static str {
        "exit_status_agrees"
    }

    fn contract(&self) -> &'static str {
        "containerd.md: reference shim contract (every waiter gets the code; Delete returns exit status and exited_at); runtime-rs.md: Go shim sets them together"
    }

    /// Reports the disagreeing pair `(a, b)` earliest in report order (calls in call
    /// order, then events in event order): the smallest `a`, then the smallest `b`
    /// after it.
    ///
    /// In O(n log n): with `G(r)` the invocation of the first Create of the container
    /// still in flight at or after report `r` begins (or never), two reports are
    /// comparable exactly when each one's `G` lies beyond both their ends. One sweep
    /// finds, for every report, the latest comparable report with another exit; the
    /// first report whose latest such partner comes after it starts the pair.
    fn check(&self, h: &History) -> Verdict {
        self.check_indexed(h, &ContainerIndex::new(h))
    }

    fn check_indexed<'h>(&self, h: &'h History, index: &ContainerIndex<'h>) -> Verdict {
        let reports = reports(h);
        let mut by_container: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (r, report) in reports.iter().enumerate() {
            by_container.entry(report.container).or_default().push(r);
        }
        let first = by_container
            .values()
            .filter_map(|own| first_with_a_later_disagreement(index, &reports, own))
            .min();
        let Some(n) = first else {
            return Verdict::Pass;
        };
        let a = &reports[n];
        let b = reports[n + 1..]
            .iter()
            .find(|b| b.container == a.container && b.exit != a.exit && comparable(index, a, b))
            .expect("a report with a later disagreeing partner has one");
        reported_two_ways(h, a, b)
    }
}

/// Among one container's reports (`own`, ascending), the first that some later
/// comparable report contradicts.
fn first_with_a_later_disagreement(
    index: &ContainerIndex,
    reports: &[Report],
    own: &[usize],
) -> Option<usize> {
    // (r, G(r), end) of each report with no Create in flight across itself.
    let spans: Vec<(usize, i128, i128)> = own
        .iter()
        .map(|&r| {
            let report = &reports[r];
            let next_create = index.first_create_reaching(report.container, report.from_ns);
            (
                r,
                next_create.map_or(NEVER, i128::from),
                report.to_ns.into(),
            )
        })
        .filter(|&(_, next_create, to)| next_create > to)
        .collect();
    let points: Vec<Point<LatestTwo>> = spans
        .iter()
        .map(|&(r, next_create, to)| (next_create, to, LatestTwo::of(r, reports[r].exit)))
        .collect();
    let queries: Vec<(i128, i128)> = spans
        .iter()
        .map(|&(_, next_create, to)| (to, next_create))
        .collect();
    spans
        .iter()
        .zip(dominated(&points, &queries))
        .find(|(&(r, _, _), latest)| latest.other_than(reports[r].exit).is_some_and(|p| p > r))
        .map(|(&(r, _, _), _)| r)
}

/// Of a set of reports, the latest one, and the latest one whose exit differs from
/// that one's: enough to find the latest report of the set whose exit differs from any
/// given exit.
#[derive(Clone)]
struct LatestTwo {
    latest: Option<(usize, Exit)>,
    latest_other: Option<(usize, Exit)>,
}

type Exit = (u32, Option<u64>);

impl LatestTwo {
    fn of(r: usize, exit: Exit) -> LatestTwo {
        LatestTwo {
            latest: Some((r, exit)),
            latest_other: None,
        }
    }

    /// The latest report whose exit is not `exit`.
    fn other_than(&self, exit: Exit) -> Option<usize> {
        let (r, latest_exit) = self.latest?;
        if latest_exit != exit {
            return Some(r);
        }
        self.latest_other.map(|(r, _)| r)
    }
}

impl Summary for LatestTwo {
    fn empty() -> Self {
        LatestTwo {
            latest: None,
            latest_other: None,
        }
    }

    fn absorb(&mut self, other: &Self) {
        let candidates = [
            self.latest,
            self.latest_other,
            other.latest,
            other.latest_other,
        ];
        let latest = candidates.iter().flatten().max_by_key(|(r, _)| *r).copied();
        let latest_other = latest.and_then(|(_, exit)| {
            candidates
                .iter()
                .flatten()
                .filter(|(_, e)| *e != exit)
                .max_by_key(|(r, _)| *r)
                .copied()
        });
        *self = LatestTwo {
            latest,
            latest_other,
        };
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
