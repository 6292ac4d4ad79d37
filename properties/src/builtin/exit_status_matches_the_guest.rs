//! The exit status a shim reports is the one the process really ended with.

use std::collections::BTreeMap;

use crate::history::{History, Op, Outcome};
use crate::property::{Property, Verdict};

/// Every exit status a Wait answers or a TaskExit carries agrees with what happened in
/// the guest (the fake agent's ground truth, [`GuestExit`](crate::GuestExit)):
/// - once the process ended with code X, a later report says X;
/// - a report of 0 (a clean exit) needs a process that really exited 0: never for a
///   process that died with its VM, and never for one that still runs (that a Start
///   started and that has not ended; a process never started has no exit status the
///   contract speaks of).
///
/// A shim that lost track of a process (its agent's WaitProcess failed, its VM died) may
/// report a code of its own choosing, as the Go shim reports 255 (runtime-rs.md, "The
/// Go runtime": "agent WaitProcess (error -> exit code 255)"), but never success: a
/// client such as a Job controller takes 0 as "completed". The process of a report is the
/// incarnation since the last Create of the id invoked before the report.
///
/// Contract: shim v2 `Wait` and `/tasks/exit` report the process's exit status
/// (containerd.md, "The reference shim contract": "Wait blocks until the exit is
/// recorded; every waiter gets the code"); runtime-rs 3.24's exit watcher returns exit
/// code 0 when the agent's wait_process fails (runtime-rs.md, "The exit watcher").
pub struct ExitStatusMatchesTheGuest;

/// A process's end in the guest: when, its event's index, its code (None: died with its
/// VM).
type GuestEnd = (u64, usize, Option<i32>);

/// One report of an exit: its status, when it was made, and its evidence.
struct Report {
    container: String,
    status: u32,
    at_ns: u64,
    call: Option<usize>,
    event: Option<usize>,
}

impl Property for ExitStatusMatchesTheGuest {
    fn name(&self) -> &'static str {
        "exit_status_matches_the_guest"
    }

    fn contract(&self) -> &'static str {
        "containerd.md: Wait and /tasks/exit report the process's exit status; runtime-rs.md: a failed agent wait_process is reported as exit 0 by 3.24, 255 by the Go shim"
    }

    fn check(&self, h: &History) -> Verdict {
        let mut creates: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
        for c in h.calls.iter().filter(|c| c.op == Op::Create) {
            creates.entry(&c.container).or_default().push(c.invoked_ns);
        }
        creates.values_mut().for_each(|v| v.sort_unstable());
        let mut guest: BTreeMap<&str, Vec<GuestEnd>> = BTreeMap::new();
        for (i, g) in h.guest_exits() {
            guest
                .entry(&g.container)
                .or_default()
                .push((g.at_ns, i, g.code));
        }
        guest.values_mut().for_each(|v| v.sort_unstable());
        let mut started: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
        for c in h
            .calls
            .iter()
            .filter(|c| c.op == Op::Start && c.reply().is_some())
        {
            if let Some(at) = c.returned_ns {
                started.entry(&c.container).or_default().push(at);
            }
        }
        started.values_mut().for_each(|v| v.sort_unstable());
        let mut reports: Vec<Report> = reports(h).collect();
        reports.sort_by_key(|r| (r.at_ns, r.call, r.event));
        for r in reports {
            let since = creates
                .get(r.container.as_str())
                .and_then(|times| {
                    let before = times.partition_point(|&t| t <= r.at_ns);
                    before.checked_sub(1).map(|k| times[k])
                })
                .unwrap_or(0);
            let ended = guest.get(r.container.as_str()).and_then(|exits| {
                let k = exits.partition_point(|&(t, _, _)| t < since);
                exits.get(k).filter(|&&(t, _, _)| t <= r.at_ns)
            });
            let wrong = match ended {
                Some(&(_, _, Some(code))) if code as u32 != r.status => {
                    format!("the process had exited with {code}")
                }
                Some(&(_, _, None)) if r.status == 0 => {
                    "the process had died with its VM (no clean exit)".to_string()
                }
                None if r.status == 0
                    && started
                        .get(r.container.as_str())
                        .is_some_and(|times| times.iter().any(|&t| since <= t && t <= r.at_ns)) =>
                {
                    "the process was still running in the guest".to_string()
                }
                _ => continue,
            };
            let what = match (r.call, r.event) {
                (Some(i), _) => h.describe(i),
                (None, Some(e)) => format!("event #{e} (TaskExit {})", r.container),
                (None, None) => unreachable!("a report is a call or an event"),
            };
            let events = r
                .event
                .into_iter()
                .chain(ended.map(|&(_, e, _)| e))
                .collect();
            return Verdict::Violation {
                explanation: format!("{what} reported exit status {} but {wrong}", r.status),
                calls: r.call.into_iter().collect(),
                events,
            };
        }
        Verdict::Pass
    }
}

/// The Waits that answered and the TaskExit events.
fn reports(h: &History) -> impl Iterator<Item = Report> + '_ {
    let waits = h
        .calls
        .iter()
        .enumerate()
        .filter_map(|(i, c)| match &c.result {
            Outcome::Ok(reply) if c.op == Op::Wait => Some(Report {
                container: c.container.clone(),
                status: reply.exit_status,
                at_ns: c.returned_ns?,
                call: Some(i),
                event: None,
            }),
            _ => None,
        });
    let exits = h.task_exits().map(|(e, x)| Report {
        container: x.container.clone(),
        status: x.exit_status,
        at_ns: x.at_ns,
        call: None,
        event: Some(e),
    });
    waits.chain(exits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::*;

    fn wait(at: u64, code: u32) -> crate::Call {
        call(Op::Wait, "c", 20, at).replies(exited(code, at))
    }

    #[test]
    fn a_report_of_the_real_code_passes() {
        let h = history(vec![call(Op::Create, "c", 0, 10), wait(100, 137)])
            .guest_exit("c", Some(137), 90)
            .exit("c", 137, Some(90), 95);
        assert!(ExitStatusMatchesTheGuest.check(&h).is_pass());
    }

    #[test]
    fn success_for_a_process_that_died_with_its_vm_violates() {
        let h = history(vec![call(Op::Create, "c", 0, 10), wait(100, 0)])
            .fault(crate::FaultKind::VmCrash, "s", None, None, 80)
            .guest_exit("c", None, 80);
        assert_eq!(
            evidence(ExitStatusMatchesTheGuest.check(&h)),
            (vec![1], vec![1])
        );
        // A code of the shim's own choosing is not a lie about success.
        let go =
            history(vec![call(Op::Create, "c", 0, 10), wait(100, 255)]).guest_exit("c", None, 80);
        assert!(ExitStatusMatchesTheGuest.check(&go).is_pass());
    }

    #[test]
    fn success_while_the_process_still_runs_violates() {
        let h = history(vec![
            call(Op::Create, "c", 0, 10),
            call(Op::Start, "c", 20, 30),
        ])
        .exit("c", 0, None, 50);
        assert_eq!(
            evidence(ExitStatusMatchesTheGuest.check(&h)),
            (vec![], vec![0])
        );
        // Never started: no exit status to contradict.
        let created = history(vec![call(Op::Create, "c", 0, 10)]).exit("c", 0, None, 50);
        assert!(ExitStatusMatchesTheGuest.check(&created).is_pass());
    }

    #[test]
    fn a_different_code_than_the_guest_s_violates() {
        let h = history(vec![call(Op::Create, "c", 0, 10), wait(100, 143)]).guest_exit(
            "c",
            Some(137),
            90,
        );
        assert_eq!(
            evidence(ExitStatusMatchesTheGuest.check(&h)),
            (vec![1], vec![0])
        );
    }

    #[test]
    fn a_re_created_id_is_judged_by_its_new_process() {
        // The first incarnation exited 137; the second exited 0 by itself.
        let h = history(vec![
            call(Op::Create, "c", 0, 10),
            call(Op::Create, "c", 200, 210),
            call(Op::Wait, "c", 220, 400).replies(exited(0, 390)),
        ])
        .guest_exit("c", Some(137), 100)
        .guest_exit("c", Some(0), 390);
        assert!(ExitStatusMatchesTheGuest.check(&h).is_pass());
        // Before its process ended, success for the new incarnation is a lie.
        let early = history(vec![
            call(Op::Create, "c", 0, 10),
            call(Op::Create, "c", 200, 210),
            call(Op::Start, "c", 215, 218),
            call(Op::Wait, "c", 220, 300).replies(exited(0, 290)),
        ])
        .guest_exit("c", Some(137), 100);
        assert_eq!(
            evidence(ExitStatusMatchesTheGuest.check(&early)),
            (vec![3], vec![])
        );
    }
}
