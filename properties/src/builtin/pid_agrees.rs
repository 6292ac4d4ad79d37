//! Every answer that names a task's pid names the one its Create answered.

use std::collections::BTreeMap;

use crate::history::{History, Op};
use crate::index::ContainerIndex;
use crate::property::{Property, Verdict};

/// Within one incarnation of a task, every pid the shim reports is the pid its Create
/// answered: Start's, State's (whatever the status) and Delete's answers, every TaskExit
/// event, and Connect's task pid while the task surely exists (no Delete of the id in
/// flight from its Create's invocation to the Connect's end: for an id it does not hold,
/// the reference shim answers task pid 0).
///
/// The incarnation of a report is the successful Create of the id that returned last
/// before the report began (a State's or Delete's invocation, a TaskExit's exit time);
/// a report is not judged when another Create of the id (whatever its outcome) was in
/// flight between that Create's return and the report's end, nor when no successful
/// Create came before it. Failed calls carry no pid and are not judged.
///
/// Contract: the shim v2 API (`api/runtime/task/v2/shim.proto`) gives the task's pid in
/// `CreateTaskResponse.pid`, `StartResponse.pid`, `StateResponse.pid` and
/// `DeleteResponse.pid`, and `events/task.proto` in `TaskExit.pid`; containerd-shim-runc-v2
/// answers each with the init process's pid, fixed when Create made the process
/// (`task/service.go` Create, Start, Delete, State; the reaper's TaskExit), and the Go Kata
/// shim answers each with the hypervisor's pid `s.hpid` (runtime-rs.md, "The Go runtime").
/// containerd lists a task with the pid State answers (`ctr task ls`'s PID column). PR
/// #12337's synthetic Stopped state answers pid 0 for a task it already deleted
/// (runtime-rs.md, "The proposed fix"). containerd answers a Create with Connect's
/// `task_pid`, not the Create's pid (v1.7.34 `services/tasks/local.go:250-261`), and the
/// reference shim's Connect answers the init pid (`task/service.go:589-598`);
/// runtime-rs 3.24 leaves `task_pid` 0 (kata-containers #9340, fixed in 3.30.0 by PR
/// #12899).
pub struct PidAgrees;

/// One answer naming a pid: where it is, the pid, and the span it covers.
struct PidReport {
    call: Option<usize>,
    event: Option<usize>,
    container: String,
    pid: u32,
    from_ns: u64,
    to_ns: u64,
    /// A Connect's task pid, judged only while no Delete of the id was sent.
    connect: bool,
}

impl Property for PidAgrees {
    fn name(&self) -> &'static str {
        "pid_agrees"
    }

    fn contract(&self) -> &'static str {
        "shim.proto/task.proto: Create, Start, State, Delete, Connect (task_pid) and TaskExit carry the task's pid; runc-v2 answers the init pid fixed at Create, the Go shim s.hpid; containerd's Create answers Connect's task_pid"
    }

    /// Reports the first disagreeing report (calls in call order, then events in event
    /// order) with its Create. In O(n log n): each report finds its Create by a binary
    /// search over its container's successful Creates, ordered by return.
    fn check(&self, h: &History) -> Verdict {
        let index = ContainerIndex::new(h);
        let mut creates: BTreeMap<&str, Vec<(u64, usize)>> = BTreeMap::new();
        for (i, c) in h.calls.iter().enumerate() {
            if let (Op::Create, Some(_), Some(at)) = (c.op, c.reply(), c.returned_ns) {
                creates.entry(&c.container).or_default().push((at, i));
            }
        }
        creates.values_mut().for_each(|v| v.sort_unstable());
        // A Delete in flight at some instant of [from, to] (a pending one: until the end).
        let delete_in_flight = |container: &str, from: u64, to: u64| {
            index.calls_for(container).iter().any(|&d| {
                let d = &h.calls[d];
                d.op == Op::Delete && d.invoked_ns <= to && d.end_ns() >= from
            })
        };
        for r in reports(h) {
            let Some(own) = creates.get(r.container.as_str()) else {
                continue;
            };
            let Some(k) = own
                .partition_point(|&(at, _)| at < r.from_ns)
                .checked_sub(1)
            else {
                continue;
            };
            let (returned, c) = own[k];
            if index.create_in_flight(&r.container, returned + 1, r.to_ns) {
                continue;
            }
            if r.connect && delete_in_flight(&r.container, h.calls[c].invoked_ns, r.to_ns) {
                continue;
            }
            let created = h.calls[c].reply().map_or(0, |reply| reply.pid);
            if created != r.pid {
                return disagrees(h, c, created, &r);
            }
        }
        Verdict::Pass
    }
}

/// The answers of Start, State, Delete and Connect that succeeded, in call order, then
/// the TaskExits in event order.
fn reports(h: &History) -> impl Iterator<Item = PidReport> + '_ {
    let calls = h.calls.iter().enumerate().filter_map(|(i, c)| {
        let reply = c.reply()?;
        matches!(c.op, Op::Start | Op::State | Op::Delete | Op::Connect).then(|| PidReport {
            call: Some(i),
            event: None,
            container: c.container.clone(),
            pid: reply.pid,
            from_ns: c.invoked_ns,
            to_ns: c.end_ns(),
            connect: c.op == Op::Connect,
        })
    });
    let events = h.task_exits().map(|(e, x)| PidReport {
        call: None,
        event: Some(e),
        container: x.container.clone(),
        pid: x.pid,
        from_ns: x.exited_from_ns(),
        to_ns: x.at_ns,
        connect: false,
    });
    calls.chain(events)
}

/// The violation shown by Create `c`, which answered `created`, and report `r`.
fn disagrees(h: &History, c: usize, created: u32, r: &PidReport) -> Verdict {
    let what = match (r.call, r.event) {
        (Some(i), _) => h.describe(i),
        (None, Some(e)) => format!("event #{e} (TaskExit {})", r.container),
        (None, None) => unreachable!("a report is a call or an event"),
    };
    Verdict::Violation {
        explanation: format!(
            "{} answered pid {created}, but {what} reports pid {} for the same task",
            h.describe(c),
            r.pid
        ),
        calls: [Some(c), r.call].into_iter().flatten().collect(),
        events: r.event.into_iter().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{Reply, TaskStatus};
    use crate::testing::*;

    fn pid(pid: u32) -> Reply {
        Reply {
            pid,
            ..Reply::default()
        }
    }

    #[test]
    fn passes_when_every_answer_names_the_created_pid() {
        let h = history(vec![
            call(Op::Create, "c", 0, 10).replies(pid(42)),
            call(Op::State, "c", 20, 30).replies(status(TaskStatus::Created)),
            call(Op::Start, "c", 40, 50).replies(pid(42)),
            call(Op::Delete, "c", 200, 210).replies(exited(137, 100)),
            call(
                Op::Kill {
                    signal: 9,
                    all: false,
                },
                "c",
                60,
                70,
            ),
            call(Op::Wait, "c", 60, 105).replies(exited(137, 100)),
        ])
        .exit("c", 137, Some(100), 106);
        assert_eq!(PidAgrees.check(&h), Verdict::Pass);
    }

    #[test]
    fn a_synthetic_state_with_pid_0_after_the_delete_violates() {
        let h = history(vec![
            call(Op::Create, "c", 0, 10).replies(pid(42)),
            call(Op::Delete, "c", 20, 40).replies(exited(137, 15)),
            call(Op::State, "c", 30, 50).listed().replies(Reply {
                status: TaskStatus::Stopped,
                ..Reply::default()
            }),
        ]);
        let verdict = PidAgrees.check(&h);
        assert!(
            matches!(&verdict, Verdict::Violation { explanation, .. }
                if explanation.ends_with("reports pid 0 for the same task")),
            "{verdict:?}"
        );
        assert_eq!(evidence(verdict), (vec![0, 2], vec![]));
    }

    #[test]
    fn a_task_exit_with_another_pid_violates() {
        let h = history(vec![
            call(Op::Create, "c", 0, 10).replies(pid(7)),
            call(Op::Start, "c", 20, 30).replies(pid(7)),
        ])
        .exit("c", 137, Some(90), 100);
        assert_eq!(evidence(PidAgrees.check(&h)), (vec![0], vec![0]));
    }

    #[test]
    fn a_connect_with_task_pid_0_for_a_live_task_violates_issue_9340() {
        let h = history(vec![
            call(Op::Create, "c", 0, 10).replies(pid(42)),
            call(Op::Connect, "c", 11, 12).replies(pid(0)),
        ]);
        let verdict = PidAgrees.check(&h);
        assert!(
            matches!(&verdict, Verdict::Violation { explanation, .. }
                if explanation.contains("Connect") && explanation.ends_with("reports pid 0 for the same task")),
            "{verdict:?}"
        );
        assert_eq!(evidence(verdict), (vec![0, 1], vec![]));
    }

    #[test]
    fn a_connect_after_a_delete_was_sent_is_not_judged() {
        // The reference shim answers task pid 0 for an id it no longer holds.
        let h = history(vec![
            call(Op::Create, "c", 0, 10).replies(pid(42)),
            call(Op::Connect, "c", 11, 12).replies(pid(42)),
            call(Op::Delete, "c", 20, 30).replies(exited(0, 15)),
            call(Op::Connect, "c", 25, 35).replies(pid(0)),
        ]);
        assert_eq!(PidAgrees.check(&h), Verdict::Pass);
        // A Delete in flight while the Create was may run right after it.
        let h = history(vec![
            call(Op::Delete, "c", 0, 12).replies(exited(0, 11)),
            call(Op::Create, "c", 1, 10).replies(pid(42)),
            call(Op::Connect, "c", 11, 13).replies(pid(0)),
        ]);
        assert_eq!(PidAgrees.check(&h), Verdict::Pass);
    }

    #[test]
    fn a_recreated_id_has_a_pid_of_its_own() {
        let h = history(vec![
            call(Op::Create, "c", 0, 10).replies(pid(42)),
            call(Op::Delete, "c", 20, 30).replies(exited(0, 15)),
            call(Op::Create, "c", 40, 50).replies(pid(43)),
            call(Op::State, "c", 60, 70).replies(Reply {
                pid: 43,
                ..status(TaskStatus::Created)
            }),
        ]);
        assert_eq!(PidAgrees.check(&h), Verdict::Pass);
    }

    #[test]
    fn reports_across_a_create_in_flight_or_without_a_create_are_not_judged() {
        let h = history(vec![
            call(Op::State, "c", 0, 5).replies(pid(1)),
            call(Op::Create, "c", 10, 20).replies(pid(42)),
            call(Op::Create, "c", 30, 60).fails(crate::history::Code::Unknown),
            call(Op::State, "c", 50, 55).replies(pid(9)),
            call(Op::Start, "c", 15, 25).replies(pid(9)),
            call(Op::State, "c", 70, 80).fails(crate::history::Code::NotFound),
        ]);
        assert_eq!(PidAgrees.check(&h), Verdict::Pass);
    }
}
