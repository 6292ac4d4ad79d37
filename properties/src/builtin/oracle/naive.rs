//! The checks as first written: every pair compared, every question answered by a scan
//! of the whole history. Slow (quadratic) and obviously faithful to each property's
//! contract; the indexed checks must agree with them on every history.

use crate::builtin::exit_event_follows_a_start::exit_without_start;
use crate::builtin::exit_status_agrees::{reported_two_ways, reports};
use crate::builtin::kill_after_exit_is_harmless::{harmful_kill, kill_after_exit_failed};
use crate::builtin::one_exit_event_per_process::two_exits;
use crate::builtin::resources_released_after_delete::left_behind;
use crate::builtin::shutdown_waits_for_the_last_container::{
    gone_while_holding, held_at, outlived,
};
use crate::builtin::status_transitions_are_legal::{reported_phase, went_backwards};
use crate::history::{Call, Failure, History, Op, Outcome};
use crate::property::Verdict;

pub fn status_transitions_are_legal(h: &History) -> Verdict {
    let states: Vec<(usize, u8)> = (0..h.calls.len())
        .filter_map(|i| Some((i, reported_phase(h, i)?)))
        .collect();
    for &(i, earlier) in &states {
        for &(j, later) in &states {
            let (a, b) = (&h.calls[i], &h.calls[j]);
            if a.container != b.container || !a.precedes(b) || later >= earlier {
                continue;
            }
            if h.create_in_flight(&a.container, a.invoked_ns, b.end_ns()) {
                continue;
            }
            return went_backwards(h, i, j);
        }
    }
    Verdict::Pass
}

pub fn exit_status_agrees(h: &History) -> Verdict {
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
            return reported_two_ways(h, a, b);
        }
    }
    Verdict::Pass
}

pub fn kill_after_exit_is_harmless(h: &History) -> Verdict {
    for (k, kill) in h.calls.iter().enumerate() {
        let Some(code) = harmful_kill(h, k) else {
            continue;
        };
        let exited = h.calls_for(&kill.container).find(|(_, w)| {
            w.op == Op::Wait
                && w.reply().is_some()
                && w.precedes(kill)
                && !h.create_in_flight(&kill.container, w.invoked_ns, kill.invoked_ns)
        });
        if let Some((w, _)) = exited {
            return kill_after_exit_failed(h, w, k, code);
        }
    }
    Verdict::Pass
}

pub fn resources_released_after_delete(h: &History) -> Verdict {
    for (i, c) in h.calls.iter().enumerate() {
        if c.op != Op::Delete || c.reply().is_none() {
            continue;
        }
        if h.create_in_flight(&c.container, c.invoked_ns, u64::MAX) {
            continue;
        }
        if let Some(violation) = left_behind(h, i) {
            return violation;
        }
    }
    Verdict::Pass
}

pub fn one_exit_event_per_process(h: &History) -> Verdict {
    let exits: Vec<_> = h.task_exits().collect();
    let repeats = |n: usize| {
        let (_, b) = exits[n];
        exits[..n].iter().any(|(_, a)| {
            a.container == b.container
                && a.published_ns.is_some()
                && a.published_ns == b.published_ns
        })
    };
    for (n, &(i, a)) in exits.iter().enumerate().filter(|&(n, _)| !repeats(n)) {
        for (m, &(j, b)) in exits.iter().enumerate().skip(n + 1) {
            if repeats(m) {
                continue;
            }
            let from = a.exited_at_ns.unwrap_or(a.at_ns).min(a.at_ns);
            if a.container != b.container || h.create_in_flight(&a.container, from, b.at_ns) {
                continue;
            }
            return two_exits((i, a), (j, b));
        }
    }
    Verdict::Pass
}

pub fn exit_event_follows_a_start(h: &History) -> Verdict {
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
                && (c.reply().is_some() || c.result.is_unanswered())
                && c.end_ns() >= incarnation
                && c.invoked_ns <= exit.at_ns
        });
        if !started {
            return exit_without_start(e, exit);
        }
    }
    Verdict::Pass
}

/// Whether, at `t`, some container of `sandbox` had a successful Create and a successful
/// Delete that overlapped, both returned by `t`, and no successful Create or Delete of
/// it returned after them and by `t`.
fn unknown_at(h: &History, sandbox: &str, t: u64) -> bool {
    let ok = |c: &&Call| c.sandbox == sandbox && c.reply().is_some() && c.end_ns() <= t;
    h.calls
        .iter()
        .filter(ok)
        .filter(|a| a.op == Op::Create)
        .any(|a| {
            h.calls_for(&a.container)
                .map(|(_, b)| b)
                .filter(ok)
                .filter(|b| b.op == Op::Delete)
                .any(|b| {
                    let overlap = a.invoked_ns <= b.end_ns() && b.invoked_ns <= a.end_ns();
                    let last = a.end_ns().max(b.end_ns());
                    overlap
                        && !h
                            .calls_for(&a.container)
                            .map(|(_, c)| c)
                            .filter(ok)
                            .any(|c| matches!(c.op, Op::Create | Op::Delete) && c.end_ns() > last)
                })
        })
}

pub fn shutdown_waits_for_the_last_container(h: &History) -> Verdict {
    for (i, s) in h.calls.iter().enumerate() {
        let (Op::Shutdown, Some(_), Some(t)) = (s.op, s.reply(), s.returned_ns) else {
            continue;
        };
        let in_flight = h.calls.iter().any(|c| {
            c.sandbox == s.sandbox
                && matches!(c.op, Op::Create | Op::Delete)
                && c.invoked_ns <= t
                && c.end_ns() > t
        });
        if in_flight || unknown_at(h, &s.sandbox, t) {
            continue;
        }
        let held = held_at(h, &s.sandbox, t);
        let next_shutdown = h
            .calls
            .iter()
            .filter(|c| c.op == Op::Shutdown && c.sandbox == s.sandbox && c.invoked_ns > t)
            .map(|c| c.invoked_ns)
            .min()
            .unwrap_or(u64::MAX);
        if !held.is_empty() {
            let closed = h.calls.iter().enumerate().find(|(_, c)| {
                c.sandbox == s.sandbox
                    && c.end_ns() > t
                    && c.end_ns() < next_shutdown
                    && c.result == Outcome::Err(Failure::Closed)
            });
            if let Some((j, _)) = closed {
                return gone_while_holding(h, i, j);
            }
            continue;
        }
        let recreated = h.calls.iter().any(|c| {
            c.op == Op::Create && c.sandbox == s.sandbox && c.invoked_ns > t && c.reply().is_some()
        });
        if !recreated && h.final_state.shims.contains_key(&s.sandbox) {
            return outlived(h, i);
        }
    }
    Verdict::Pass
}

/// Whether some call on X satisfying `is_op` overlaps in time a Delete on X.
pub fn overlaps_a_delete(h: &History, is_op: impl Fn(Op) -> bool) -> bool {
    h.calls.iter().enumerate().any(|(d, delete)| {
        delete.op == Op::Delete
            && h.calls_for(&delete.container)
                .any(|(i, c)| is_op(c.op) && h.overlapping(i, d))
    })
}

pub fn state_in_delete_window(h: &History) -> bool {
    h.calls.iter().any(|delete| {
        delete.op == Op::Delete
            && delete.reply().is_some()
            && h.calls_for(&delete.container).any(|(_, s)| {
                s.op == Op::State
                    && s.listed_at_invoke
                    && delete.invoked_ns < s.invoked_ns
                    && s.invoked_ns <= delete.end_ns()
            })
    })
}
