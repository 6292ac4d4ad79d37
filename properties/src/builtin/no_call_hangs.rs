//! Every call but Wait comes back, and soon.

use crate::history::{fmt_ns, Failure, History, Op, Outcome};
use crate::property::{Property, Verdict};

/// How long a call other than Wait may take, in simulated ns (10 s).
pub const HANG_BOUND_NS: u64 = 10_000_000_000;

/// Every call except Wait returns, within [`HANG_BOUND_NS`] of its invocation, and not
/// by the client giving up (a client-side Timeout is a hang the client cut short). A
/// call still pending when the run ended violates once the run outlasted the bound, and
/// the report says what blocked it when the run recorded that ([`History::blocked`]).
/// A call a delaying fault may have held up (an agent stall, a held link or a
/// partitioned link of its sandbox, before the faults were healed:
/// [`History::delaying_fault`]) is not judged
/// here: the liveness phase judges what happens once the fault is gone
/// ([`TeardownLeavesNothing`](crate::TeardownLeavesNothing)).
///
/// Contract: containerd bounds its shim RPCs (State 2 s, Shutdown 3 s; containerd.md,
/// "Tasks.List and getProcessState" and "shimTask.delete") and treats running out of
/// time as failure; only Wait blocks by design until the exit (containerd.md, "The
/// reference shim contract"). In runtime-rs, create_container holds the container map's
/// write lock across an agent RPC of up to 30 s (runtime-rs.md, "Operation order"),
/// which blocks every State behind it.
pub struct NoCallHangs;

impl Property for NoCallHangs {
    fn name(&self) -> &'static str {
        "no_call_hangs"
    }

    fn contract(&self) -> &'static str {
        "containerd.md: shim RPCs run under timeouts (State 2 s, Shutdown 3 s); only Wait blocks until the exit"
    }

    fn check(&self, h: &History) -> Verdict {
        for (i, c) in h.calls.iter().enumerate() {
            if c.op == Op::Wait {
                continue;
            }
            let end_ns = c.returned_ns.unwrap_or(h.ended_ns);
            if h.delaying_fault(&c.sandbox, c.invoked_ns, end_ns).is_some() {
                continue;
            }
            let took_ns = end_ns.saturating_sub(c.invoked_ns);
            let hung = match c.result {
                Outcome::Err(Failure::Timeout) => {
                    format!("the client gave up after {}", fmt_ns(took_ns))
                }
                Outcome::Pending if took_ns > HANG_BOUND_NS => {
                    format!(
                        "it had not returned {} later, when the run ended",
                        fmt_ns(took_ns)
                    )
                }
                _ if took_ns > HANG_BOUND_NS => format!("it took {}", fmt_ns(took_ns)),
                _ => continue,
            };
            let blocked = h.blocked(i).map_or_else(String::new, |b| format!(": {b}"));
            return Verdict::violation(
                format!(
                    "{}: {hung} (bound {}){blocked}",
                    h.describe(i),
                    fmt_ns(HANG_BOUND_NS)
                ),
                vec![i],
            );
        }
        Verdict::Pass
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::*;
    use crate::Waiting;

    #[test]
    fn passes_when_calls_return_in_time_and_only_wait_blocks() {
        let mut h = history(vec![
            call(Op::Create, "c", 0, HANG_BOUND_NS),
            call(Op::State, "c", 20, 30),
            call(Op::Wait, "c", 40, 0).pending(),
            call(Op::Wait, "d", 40, 50).timed_out(),
            call(Op::State, "c", 100, 0).pending(),
        ]);
        h.ended_ns = 100 + HANG_BOUND_NS;
        assert_eq!(NoCallHangs.check(&h), Verdict::Pass);
    }

    #[test]
    fn a_call_held_up_by_a_stall_before_the_heal_is_left_to_the_liveness_phase() {
        let stalled = |liveness_ns| {
            history(vec![call(Op::Create, "c", 0, 2 * HANG_BOUND_NS)])
                .fault(crate::FaultKind::AgentStall, "s", None, None, 5)
                .liveness_from(liveness_ns)
        };
        assert_eq!(NoCallHangs.check(&stalled(HANG_BOUND_NS)), Verdict::Pass);
        // A stall of another sandbox excuses nothing.
        let mut other = stalled(HANG_BOUND_NS);
        other.calls[0].sandbox = "t".into();
        assert_eq!(evidence(NoCallHangs.check(&other)).0, vec![0]);
    }

    #[test]
    fn a_call_slower_than_the_bound_violates() {
        let h = history(vec![call(Op::Create, "c", 0, HANG_BOUND_NS + 1)]);
        assert_eq!(evidence(NoCallHangs.check(&h)).0, vec![0]);
    }

    #[test]
    fn a_client_timeout_violates() {
        let h = history(vec![call(Op::State, "c", 0, 2_000_000_000).timed_out()]);
        let verdict = NoCallHangs.check(&h);
        assert!(
            matches!(&verdict, Verdict::Violation { explanation, .. }
                if explanation.ends_with("client deadline passed): the client gave up after 2.000000s (bound 10.000000s)")),
            "{verdict:?}"
        );
        assert_eq!(evidence(verdict).0, vec![0]);
    }

    #[test]
    fn a_pending_call_is_reported_with_what_blocked_it() {
        let mut h = history(vec![call(Op::Shutdown, "c", 0, 0).pending()]).stuck(vec![
            stuck_task(
                "Shutdown c",
                Some(Waiting::Lock(lock("service", "lock", "c"))),
                vec![],
            ),
            stuck_task(
                "the exit watcher of c",
                Some(Waiting::Other {
                    on: "room in the exit channel of".into(),
                    container: "c".into(),
                }),
                vec![lock("service", "lock", "c")],
            ),
        ]);
        h.ended_ns = 2 * HANG_BOUND_NS;
        let text = explanation(NoCallHangs.check(&h));
        assert!(text.ends_with("(bound 10.000000s): Shutdown c (pending 20.000000s) waits for the service lock (lock) held by the exit watcher of c, which waits for room in the exit channel of c"), "{text}");
    }

    #[test]
    fn a_call_its_client_gave_up_on_is_reported_with_the_locks_its_shim_still_held() {
        let h = history(vec![call(Op::Shutdown, "c", 0, 3_000_000_000).timed_out()]).stuck(vec![
            stuck_task(
                "the exit watcher of c",
                Some(Waiting::Other {
                    on: "room in the exit channel of".into(),
                    container: "c".into(),
                }),
                vec![lock("service", "lock", "c")],
            ),
        ]);
        let text = explanation(NoCallHangs.check(&h));
        assert!(text.ends_with("(bound 10.000000s): when the run ended, in its shim the exit watcher of c holds the service lock (lock) and waits for room in the exit channel of c"), "{text}");
    }

    #[test]
    fn a_call_pending_longer_than_the_bound_violates() {
        let mut h = history(vec![call(Op::Delete, "c", 5, 0).pending()]);
        h.ended_ns = 6 + HANG_BOUND_NS;
        assert_eq!(evidence(NoCallHangs.check(&h)).0, vec![0]);
    }
}
